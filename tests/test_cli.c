/*
 * End-to-end tests of the vmkit tool: `vmkit memmap` on every real map,
 * its JSON figures checked against an oracle computed here from the
 * independent text listings, and its errors for bad input and bad usage.
 */
#include "harness.h"
#include "cli_util.h"

#include <libfdt.h>

#include <unistd.h>

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/*
 * The boot policy (include/vmkit/boot.h) applied to the listing: usable =
 * Conventional + BootServices; reserved = Loader + ACPI reclaim; no-map =
 * Runtime + ACPI NVS; on arm64 (Linux reserve_regions/is_memory) no-map
 * also holds MMIO that may be mapped WB/WT/WC (the 64 MiB flash).
 */
static void check_qemu_map(const char *base, bool arm64)
{
	char efimap[256], txt[256];
	struct cli_listing l;
	struct cli_result r;

	snprintf(efimap, sizeof(efimap), "memmaps/%s.efimap", base);
	snprintf(txt, sizeof(txt), "memmaps/%s.txt", base);
	cli_read_listing(txt, &l);
	char *path = strdup(th_data_path(efimap));
	r = cli_run(ARGS("memmap", "--efi", path, "--json", "--kernel-size", "0",
			 "--reserve-low", "0"));
	assert_int_equal(r.status, 0);
	uint64_t usable = l.bytes[3] + l.bytes[4] + l.bytes[7];
	uint64_t reserved = l.bytes[1] + l.bytes[2] + l.bytes[9];
	uint64_t nomap = l.bytes[5] + l.bytes[6] + l.bytes[10] + (arm64 ? l.mmio_cached : 0);

	assert_int_equal(json_u64_field(r.out, "usable_bytes"), usable);
	assert_int_equal(json_u64_field(r.out, "reserved_bytes"), reserved);
	assert_int_equal(json_u64_field(r.out, "nomap_bytes"), nomap);
	assert_int_equal(json_u64_field(r.out, "ram_bytes"), usable + reserved + nomap);
	assert_int_equal(json_u64_field(r.out, "entries_read"), (uint64_t)l.entries);
	assert_non_null(strstr(r.out, "\"resources\":["));
	assert_non_null(strstr(r.out, "\"name\": \"System RAM\""));
	cli_free(&r);

	/* With a 16 MiB kernel, exactly 16 MiB move from usable to reserved. */
	r = cli_run(ARGS("memmap", "--efi", path, "--json", "--reserve-low", "0"));
	assert_int_equal(r.status, 0);
	assert_int_equal(json_u64_field(r.out, "usable_bytes"), usable - 16 * VMK_MiB);
	assert_int_equal(json_u64_field(r.out, "reserved_bytes"), reserved + 16 * VMK_MiB);
	uint64_t kbase = json_u64_field(r.out, "base");	/* first "base" is the kernel's */
	assert_true(kbase % (2 * VMK_MiB) == 0);
	cli_free(&r);
	free(path);
}

static void test_memmap_qemu_x86(void **state)
{
	(void)state;
	check_qemu_map("qemu-q35-ovmf-x86_64-256M", false);
	check_qemu_map("qemu-q35-ovmf-x86_64-1G", false);
	check_qemu_map("qemu-q35-ovmf-x86_64-4G", false);
}

static void test_memmap_qemu_arm64(void **state)
{
	(void)state;
	check_qemu_map("qemu-virt-aavmf-aarch64-256M", true);
	check_qemu_map("qemu-virt-aavmf-aarch64-1G", true);
	check_qemu_map("qemu-virt-aavmf-aarch64-4G", true);
}

/* The default run is the embedded q35 4 GiB machine: same figures as its file. */
static void test_memmap_default(void **state)
{
	struct cli_listing l;
	struct cli_result r;

	(void)state;
	cli_read_listing(CLI_DEFAULT_LISTING, &l);
	r = cli_run(ARGS("memmap", "--json"));
	assert_int_equal(r.status, 0);
	/* x86 defaults: 64 KiB low reserve (inside Conventional at 0) and a 16 MiB kernel. */
	assert_int_equal(json_u64_field(r.out, "usable_bytes"),
			 l.bytes[3] + l.bytes[4] + l.bytes[7] - 16 * VMK_MiB - 64 * VMK_KiB);
	cli_free(&r);
	r = cli_run(ARGS("memmap"));
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "Firmware map (sanitized):"));
	assert_non_null(strstr(r.out, "MEMBLOCK configuration:"));
	assert_non_null(strstr(r.out, "/proc/iomem:"));
	assert_non_null(strstr(r.out, "  01000000-01ffffff : Kernel image"));
	assert_non_null(strstr(r.out, "Summary:"));
	cli_free(&r);
}

/* crashkernel= reserved at boot: accounted, and shown as "Crash kernel" in System RAM. */
static void test_memmap_crashkernel(void **state)
{
	struct cli_result r, base;

	(void)state;
	base = cli_run(ARGS("memmap", "--json"));
	r = cli_run(ARGS("memmap", "--json", "--crashkernel", "256M"));
	assert_int_equal(base.status, 0);
	assert_int_equal(r.status, 0);
	assert_int_equal(json_u64_field(r.out, "reserved_bytes"),
			 json_u64_field(base.out, "reserved_bytes") + 256 * VMK_MiB);
	assert_int_equal(json_u64_field(r.out, "usable_bytes"),
			 json_u64_field(base.out, "usable_bytes") - 256 * VMK_MiB);
	const char *ck = strstr(r.out, "\"crashkernel\":");
	assert_non_null(ck);
	uint64_t cbase = json_u64_field(ck, "base");
	assert_int_equal(json_u64_field(ck, "size"), 256 * VMK_MiB);
	assert_true(cbase % (16 * VMK_MiB) == 0);	/* x86-64 crash kernel alignment */
	assert_true(cbase + 256 * VMK_MiB <= 4 * VMK_GiB);	/* plain form: below 4 GiB first */
	cli_free(&r);
	cli_free(&base);
	r = cli_run(ARGS("memmap", "--crashkernel", "256M"));
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, " : Crash kernel\n"));
	cli_free(&r);
	/* A malformed spec: usage error naming the problem. */
	r = cli_run(ARGS("memmap", "--crashkernel", "12Q"));
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "bad suffix"));
	cli_free(&r);
	/* Well-formed but larger than this machine's RAM: bad data, status 1. */
	r = cli_run(ARGS("memmap", "--crashkernel", "8G"));
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "system RAM"));
	cli_free(&r);
}

/* E820 dmesg files: usable figures computed by hand from the files. */
static void test_memmap_e820_text(void **state)
{
	struct cli_result r;
	const char *p;

	(void)state;
	/*
	 * e820-x86-linux3.16.txt usable lines: 0x0-0x57fff (0x58000),
	 * 0x59000-0x9dfff (0x45000), 0x100000-0xad852fff (0xad753000),
	 * 0xad85a000-0xae0d2fff (0x879000), 0xae374000-0xbd8c5fff (0xf552000),
	 * 0xbdacf000-0xbde00fff (0x332000), 0xbefff000-0xbeffffff (0x1000).
	 * NVS: 0xad853000 (0x7000) + 0xbde01000-0xbeb05fff (0xd05000).
	 */
	p = th_data_path("memmaps/e820-x86-linux3.16.txt");
	r = cli_run(ARGS("memmap", "--dmesg", p, "--json", "--kernel-size", "0", "--reserve-low", "0"));
	assert_int_equal(r.status, 0);
	assert_int_equal(json_u64_field(r.out, "usable_bytes"),
			 0x58000ull + 0x45000 + 0xad753000 + 0x879000 + 0xf552000 + 0x332000 + 0x1000);
	assert_int_equal(json_u64_field(r.out, "nomap_bytes"), 0x7000ull + 0xd05000);
	cli_free(&r);
	/* i440fx: 0x100000-0x3ffdafff usable; the reserved range above 1 TiB stays out. */
	p = th_data_path("memmaps/e820-x86-qemu-i440fx.txt");
	r = cli_run(ARGS("memmap", "--e820", p, "--json", "--kernel-size", "0", "--reserve-low", "0"));
	assert_int_equal(r.status, 0);
	assert_int_equal(json_u64_field(r.out, "usable_bytes"), 0x3ffdb000ull - 0x100000);
	assert_non_null(strstr(r.out, "\"start\": 1086626725888"));	/* 0xfd00000000 Reserved */
	cli_free(&r);
}

static void test_memmap_iomem(void **state)
{
	struct cli_result r;

	(void)state;
	/*
	 * iomem-arm64-nested.txt: System RAM 0x14000000-0x1effffff holds nested
	 * reserved 0x14154000 (0x1000), 0x141c0000-0x14bcffff (0xa10000),
	 * 0x16370000-0x1686ffff (0x500000), 0x17350000-0x17377fff (0x28000);
	 * Kernel code/data count as RAM. Usable = 0xb000000 - the reserved.
	 */
	r = cli_run(ARGS("memmap", "--iomem", th_data_path("memmaps/iomem-arm64-nested.txt"),
			 "--json", "--kernel-size", "0"));
	assert_int_equal(r.status, 0);
	uint64_t nested = 0x1000ull + 0xa10000 + 0x500000 + 0x28000;

	/*
	 * Nested reserved entries are RAM in use: memory, reserved, not free.
	 * The top-level "reserved" ranges (2 MiB + 8 KiB) are what arm64
	 * prints for NOMAP memblock memory: memory too, as in Linux.
	 */
	assert_int_equal(json_u64_field(r.out, "ram_bytes"), 0xb000000ull + 0x202000);
	assert_int_equal(json_u64_field(r.out, "nomap_bytes"), 0x202000);
	assert_int_equal(json_u64_field(r.out, "reserved_bytes"), nested);
	assert_int_equal(json_u64_field(r.out, "usable_bytes"), 0xb000000ull - nested);
	cli_free(&r);
	/* The nesting read from the file comes back in the tree (Kernel code/data are RAM). */
	r = cli_run(ARGS("memmap", "--iomem", th_data_path("memmaps/iomem-arm64-nested.txt"),
			 "--kernel-size", "0"));
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "14000000-1effffff : System RAM\n"
				      "  14154000-14154fff : reserved\n"
				      "  141c0000-14bcffff : reserved\n"
				      "  16370000-1686ffff : reserved\n"
				      "  17350000-17377fff : reserved\n"));
	cli_free(&r);
}

/* A device tree built here with libfdt: 1 GiB of RAM with three carve-outs. */
static void test_memmap_dtb(void **state)
{
	static char fdt[4096];
	const fdt64_t mem[] = { cpu_to_fdt64(0x40000000), cpu_to_fdt64(0x40000000) };
	const fdt64_t nomap[] = { cpu_to_fdt64(0x4e000000), cpu_to_fdt64(0x2000000) };
	const fdt64_t cma[] = { cpu_to_fdt64(0x50000000), cpu_to_fdt64(0x8000000) };
	char path[] = "/tmp/vmkit-dtb-XXXXXX";
	struct cli_result r;
	int fd;

	(void)state;
	assert_int_equal(fdt_create(fdt, sizeof(fdt)), 0);
	assert_int_equal(fdt_add_reservemap_entry(fdt, 0x48000000, 0x10000), 0);
	assert_int_equal(fdt_finish_reservemap(fdt), 0);
	assert_int_equal(fdt_begin_node(fdt, ""), 0);
	assert_int_equal(fdt_property_u32(fdt, "#address-cells", 2), 0);
	assert_int_equal(fdt_property_u32(fdt, "#size-cells", 2), 0);
	assert_int_equal(fdt_begin_node(fdt, "memory@40000000"), 0);
	assert_int_equal(fdt_property_string(fdt, "device_type", "memory"), 0);
	assert_int_equal(fdt_property(fdt, "reg", mem, sizeof(mem)), 0);
	assert_int_equal(fdt_end_node(fdt), 0);
	assert_int_equal(fdt_begin_node(fdt, "reserved-memory"), 0);
	assert_int_equal(fdt_property_u32(fdt, "#address-cells", 2), 0);
	assert_int_equal(fdt_property_u32(fdt, "#size-cells", 2), 0);
	assert_int_equal(fdt_property(fdt, "ranges", NULL, 0), 0);
	assert_int_equal(fdt_begin_node(fdt, "fw@4e000000"), 0);
	assert_int_equal(fdt_property(fdt, "reg", nomap, sizeof(nomap)), 0);
	assert_int_equal(fdt_property(fdt, "no-map", NULL, 0), 0);
	assert_int_equal(fdt_end_node(fdt), 0);
	assert_int_equal(fdt_begin_node(fdt, "cma@50000000"), 0);
	assert_int_equal(fdt_property(fdt, "reg", cma, sizeof(cma)), 0);
	assert_int_equal(fdt_property(fdt, "reusable", NULL, 0), 0);
	assert_int_equal(fdt_end_node(fdt), 0);
	assert_int_equal(fdt_end_node(fdt), 0);
	assert_int_equal(fdt_end_node(fdt), 0);
	assert_int_equal(fdt_finish(fdt), 0);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, fdt, fdt_totalsize(fdt)), (ssize_t)fdt_totalsize(fdt));
	close(fd);

	r = cli_run(ARGS("memmap", "--dtb", path, "--json", "--kernel-size", "0"));
	assert_int_equal(r.status, 0);
	assert_int_equal(json_u64_field(r.out, "ram_bytes"), VMK_GiB);
	assert_int_equal(json_u64_field(r.out, "nomap_bytes"), 32 * VMK_MiB);
	assert_int_equal(json_u64_field(r.out, "reserved_bytes"), 128 * VMK_MiB + 64 * VMK_KiB);
	assert_int_equal(json_u64_field(r.out, "usable_bytes"),
			 VMK_GiB - 160 * VMK_MiB - 64 * VMK_KiB);
	cli_free(&r);
	/* Carve-outs are nested in System RAM, as an arm64 kernel shows them. */
	r = cli_run(ARGS("memmap", "--dtb", path, "--kernel-size", "0"));
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "40000000-4dffffff : System RAM\n"
				      "  48000000-4800ffff : reserved\n"
				      "4e000000-4fffffff : reserved\n"	/* no-map: arm64's name */
				      "50000000-7fffffff : System RAM\n"
				      "  50000000-57ffffff : reserved\n"));
	cli_free(&r);
	/* A truncated blob is refused with exit status 1. */
	assert_int_equal(truncate(path, 40), 0);
	r = cli_run(ARGS("memmap", "--dtb", path));
	assert_int_equal(r.status, 1);
	cli_free(&r);
	unlink(path);
}

static void test_memmap_errors(void **state)
{
	struct cli_result r;
	char path[] = "/tmp/vmkit-bad-XXXXXX";
	int fd;
	const char bad[] = "[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable\n"
			   "[    0.000000] BIOS-e820: [mem 0x00000000000zzzzz-0x000000000009ffff] reserved\n";

	(void)state;
	/* Bad usage: exit 2 with a message naming the problem. */
	r = cli_run(ARGS("memmap", "--frobnicate"));
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--frobnicate"));
	cli_free(&r);
	r = cli_run(ARGS("memmap", "--kernel-size", "12Q"));
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--kernel-size"));
	cli_free(&r);
	r = cli_run(ARGS("memmap", "--efi"));
	assert_int_equal(r.status, 2);
	cli_free(&r);
	r = cli_run(ARGS("nonsense"));
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "unknown command"));
	cli_free(&r);
	/* Options given twice, and a kernel running past 2^64: exit 2, named. */
	{
		static const char *const twice[][5] = {
			{ "memmap", "--kernel-size", "16M", "--kernel-size", "8M" },
			{ "memmap", "--kernel-addr", "0x1000000", "--kernel-addr", "0x2000000" },
			{ "memmap", "--arch", "x86_64", "--arch", "arm64" },
			{ "memmap", "--reserve-low", "64K", "--reserve-low", "1M" },
			{ "memmap", "--phys-bits", "48", "--phys-bits", "52" },
			{ "memmap", "--desc-size", "48", "--desc-size", "40" },
		};

		for (size_t i = 0; i < sizeof(twice) / sizeof(twice[0]); i++) {
			r = cli_run(ARGS(twice[i][0], twice[i][1], twice[i][2], twice[i][3], twice[i][4]));
			assert_int_equal(r.status, 2);
			assert_non_null(strstr(r.err, twice[i][1]));
			assert_non_null(strstr(r.err, "twice"));
			cli_free(&r);
		}
	}
	r = cli_run(ARGS("memmap", "--json", "--json"));
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--json given twice"));
	cli_free(&r);
	r = cli_run(ARGS("memmap", "--kernel-addr", "0xffffffffffff0000"));
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "past the top of the address space"));
	cli_free(&r);
	r = cli_run(ARGS("memmap", "--kernel-addr", "0xfffffffffffff000", "--kernel-size", "0x1000",
			 "--json"));
	assert_int_equal(r.status, 1);		/* ends exactly at 2^64: valid, just not free */
	assert_non_null(strstr(r.err, "0xfffffffffffff000-0xffffffffffffffff"));
	cli_free(&r);
	r = cli_run(ARGS("iomem", "--json", "--json", "x"));
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--json given twice"));
	cli_free(&r);
	r = cli_run(ARGS("iomem", "--json", "--usable", "x"));
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "exclude each other"));
	cli_free(&r);
	r = cli_run(ARGS("iomem", "--json"));
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "no FILE"));
	cli_free(&r);
	/* Missing file: exit 1 naming it. */
	r = cli_run(ARGS("memmap", "--efi", "/nonexistent/map"));
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "/nonexistent/map"));
	cli_free(&r);
	/* Malformed line: exit 1 naming the line. */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, bad, sizeof(bad) - 1), (ssize_t)(sizeof(bad) - 1));
	close(fd);
	r = cli_run(ARGS("memmap", "--dmesg", path));
	assert_int_equal(r.status, 1);
	{
		char want[64];

		snprintf(want, sizeof(want), "%s:2: error: ", path);
		assert_non_null(strstr(r.err, want));
	}
	cli_free(&r);
	/* A device or a directory is refused, not read forever. */
	r = cli_run(ARGS("memmap", "--efi", "/dev/zero"));
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "not a regular file"));
	cli_free(&r);
	r = cli_run(ARGS("iomem", "/tmp"));
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "not a regular file"));
	cli_free(&r);
	/* A map without RAM says so. */
	{
		char p3[] = "/tmp/vmkit-noram-XXXXXX";
		const char noram[] = "BIOS-e820: [mem 0x00000000000a0000-0x00000000000fffff] reserved\n";
		int fd3 = mkstemp(p3);

		assert_true(fd3 >= 0);
		assert_int_equal(write(fd3, noram, sizeof(noram) - 1), (ssize_t)(sizeof(noram) - 1));
		close(fd3);
		r = cli_run(ARGS("memmap", "--dmesg", p3));
		assert_int_equal(r.status, 1);
		assert_non_null(strstr(r.err, "holds no RAM"));
		cli_free(&r);
		unlink(p3);
	}
	/* A kernel placed over reserved memory is refused. */
	r = cli_run(ARGS("memmap", "--kernel-addr", "0x7f76c000"));
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "not inside free memory"));
	cli_free(&r);
	/* A truncated UEFI map (not a whole number of descriptors) is refused. */
	{
		size_t len;
		char *blob = th_read_data("memmaps/qemu-q35-ovmf-x86_64-1G.efimap", &len);
		char p2[] = "/tmp/vmkit-trunc-XXXXXX";
		int fd2 = mkstemp(p2);

		assert_true(fd2 >= 0);
		assert_int_equal(write(fd2, blob, len - 7), (ssize_t)(len - 7));
		close(fd2);
		r = cli_run(ARGS("memmap", "--efi", p2, "--desc-size", "48"));
		assert_int_equal(r.status, 1);
		cli_free(&r);
		unlink(p2);
		free(blob);
	}
	unlink(path);
}

static void test_help(void **state)
{
	static const char *const cmds[] = { "memmap", "iomem", "kexec-plan", "phys", "ptdump" };
	struct cli_result r;

	(void)state;
	r = cli_run(ARGS("--help"));
	assert_int_equal(r.status, 0);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		assert_non_null(strstr(r.out, cmds[i]));
		struct cli_result h = cli_run(ARGS(cmds[i], "--help"));

		assert_int_equal(h.status, 0);
		assert_non_null(strstr(h.out, "usage"));
		cli_free(&h);
	}
	cli_free(&r);
}

/* vmkit iomem renders a well-formed file back byte for byte. */
static void test_iomem_roundtrip(void **state)
{
	static const char *const files[] = { "memmaps/iomem-x86-centos6.txt",
					     "memmaps/iomem-arm64-nested.txt" };

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		char *want = th_read_data(files[i], NULL);
		struct cli_result r = cli_run(ARGS("iomem", th_data_path(files[i])));

		assert_int_equal(r.status, 0);
		assert_string_equal(r.out, want);
		cli_free(&r);
		free(want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memmap_qemu_x86),
		cmocka_unit_test(test_memmap_qemu_arm64),
		cmocka_unit_test(test_memmap_default),
		cmocka_unit_test(test_memmap_crashkernel),
		cmocka_unit_test(test_memmap_e820_text),
		cmocka_unit_test(test_memmap_iomem),
		cmocka_unit_test(test_memmap_dtb),
		cmocka_unit_test(test_memmap_errors),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_iomem_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
