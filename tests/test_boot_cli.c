/*
 * End-to-end tests of `vmkit boot`: the embedded default machine's report
 * against figures computed here from the independent listing of its UEFI
 * map and from its description, machine descriptions with inline memory
 * and NUMA nodes (1 TiB), the picture, and description and usage errors.
 */
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "cli_util.h"

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* The value of "key":N after the first occurrence of section in json. */
static uint64_t field_in(const char *json, const char *section, const char *key)
{
	const char *s = strstr(json, section);

	assert_non_null(s);
	return json_u64_field(s, key);
}

static const char *const cats[] = {
	"free", "free_nofree_pool", "kernel_image", "preloads_kept", "page_array", "page_tables",
	"nofree", "percpu", "allocated_other", "crash_kernel", "firmware_reserved",
	"early_reserved", "reserved_other", "nomap", "bad", "unmanaged",
};

/* Sum of the accounting categories, read one by one from the JSON. */
static uint64_t category_sum(const char *json)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < sizeof(cats) / sizeof(cats[0]); i++)
		sum += field_in(json, "\"categories\"", cats[i]);
	return sum;
}

/* Memory per the boot policy, from the text listing of the embedded UEFI map. */
static uint64_t listing_ram(uint64_t *nomap)
{
	struct cli_listing l;
	const uint64_t *b = l.bytes;

	cli_read_listing(CLI_DEFAULT_LISTING, &l);
	*nomap = b[5] + b[6] + b[10];
	/* RAM kinds, ACPI reclaim, and the NOMAP runtime services and NVS. */
	return b[1] + b[2] + b[3] + b[4] + b[7] + b[9] + b[5] + b[6] + b[10];
}

/* Bytes of the mappings with page size ps and protection prot ("r-x"). */
static uint64_t mapped(const char *json, uint64_t ps, const char *prot)
{
	const char *p = strstr(json, "\"mappings\":[");
	const char *end;
	uint64_t bytes = 0;
	char want[64];

	assert_non_null(p);
	end = strchr(p, ']');
	snprintf(want, sizeof(want), "{\"page_size\":%llu,\"prot\":\"%s\"", (unsigned long long)ps, prot);
	while ((p = strstr(p, want)) && p < end) {
		bytes += json_u64_field(p, "bytes");
		p++;
	}
	return bytes;
}

static void test_default_machine_accounting(void **state)
{
	struct cli_result r;
	uint64_t nomap, ram = listing_ram(&nomap);

	(void)state;
	r = cli_run(ARGS("boot", "--json"));
	assert_int_equal(r.status, 0);
	/* Every byte in exactly one category: the categories add up to the listing's RAM. */
	assert_true(category_sum(r.out) == ram);
	assert_true(field_in(r.out, "\"accounting\"", "ram") == ram);
	assert_non_null(strstr(r.out, "\"consistent\":true"));
	assert_true(field_in(r.out, "\"categories\"", "nomap") == nomap);
	/* From the description: text 12M rodata 5M data 2M bss 5M; crashkernel=256M. */
	assert_true(field_in(r.out, "\"categories\"", "kernel_image") == 24 * VMK_MiB);
	assert_true(field_in(r.out, "\"categories\"", "crash_kernel") == 256 * VMK_MiB);
	/* Kept preloads: 96K and 3300K; the 500K bundle (125 whole pages) was released. */
	assert_true(field_in(r.out, "\"categories\"", "preloads_kept") == (96 + 3300) * VMK_KiB);
	/* The CPU (0x906ea, platform 1, rev 0xb4) takes the newest matching update, 0xf4. */
	assert_non_null(strstr(r.out, "revision 0xb4 -> 0xf4; 1 file(s) released, 125 pages freed"));
	/* Four CPUs, 64 KiB per-CPU areas. */
	assert_true(field_in(r.out, "\"categories\"", "percpu") == 4 * 64 * VMK_KiB);
	assert_true(field_in(r.out, "\"categories\"", "early_reserved") > 0);
	assert_true(field_in(r.out, "\"categories\"", "page_tables") > 0);
	assert_true(field_in(r.out, "\"categories\"", "free") > 3 * VMK_GiB);
	cli_free(&r);
}

static void test_default_machine_mappings(void **state)
{
	struct cli_result r;
	uint64_t kmem, regions, total;
	const char *p;

	(void)state;
	r = cli_run(ARGS("boot", "--json"));
	assert_int_equal(r.status, 0);
	/* Text: 12 MiB in 2 MiB pages, read-execute; rodata 5 MiB read-only. */
	assert_true(mapped(r.out, 2 * VMK_MiB, "r-x") == 12 * VMK_MiB);
	assert_true(mapped(r.out, 4096, "r-x") == 0);
	assert_true(mapped(r.out, 2 * VMK_MiB, "r--") + mapped(r.out, 4096, "r--") == 5 * VMK_MiB);
	assert_true(mapped(r.out, 2 * VMK_MiB, "rwx") + mapped(r.out, 4096, "rwx") +
		    mapped(r.out, VMK_GiB, "rwx") == 0);
	assert_true(json_u64_field(r.out, "wx_bytes") == 0);
	/* The only hole in the mapped ranges is the released microcode bundle (125 pages). */
	assert_true(json_u64_field(r.out, "unmapped_bytes") == 500 * VMK_KiB);
	/* 4 GiB q35: RAM above 4 GiB is [4G, 6G): two 1 GiB direct-map pages. */
	assert_true(mapped(r.out, VMK_GiB, "rw-") == 2 * VMK_GiB);
	/*
	 * The report walks the whole kernel address space: the kmem window's
	 * mappings are in it (at least the four 64 KiB per-CPU areas and the
	 * kept microcode copy), and nothing is mapped outside the regions.
	 */
	p = strstr(r.out, "{\"name\":\"kmem window\"");
	assert_non_null(p);
	kmem = json_u64_field(p, "mapped_bytes");
	assert_true(kmem >= 4 * 64 * VMK_KiB + 4096);
	p = strstr(r.out, "{\"name\":\"direct map\"");
	assert_non_null(p);
	regions = kmem + json_u64_field(p, "mapped_bytes");
	p = strstr(r.out, "{\"name\":\"kernel image and preloaded files\"");
	assert_non_null(p);
	regions += json_u64_field(p, "mapped_bytes");
	p = strstr(r.out, "{\"name\":\"elsewhere\"");
	assert_non_null(p);
	assert_true(json_u64_field(p, "mapped_bytes") == 0);
	total = mapped(r.out, 4096, "rw-") + mapped(r.out, 2 * VMK_MiB, "rw-") + mapped(r.out, VMK_GiB, "rw-") +
		mapped(r.out, 4096, "r--") + mapped(r.out, 2 * VMK_MiB, "r--") + mapped(r.out, 2 * VMK_MiB, "r-x");
	assert_true(json_u64_field(r.out, "mapped_bytes_total") == total);
	assert_true(total == regions);
	cli_free(&r);
}

static void test_text_report(void **state)
{
	static const char *const want[] = {
		"phases:", "fwmap", "memblock", "handover", "pagetables", "total",
		"/proc/iomem:", "Kernel image", "Crash kernel", "System RAM",
		"/proc/buddyinfo:", "Node 0, pool", "kernel mappings by size and permission",
		"W^X: no page is both writable and executable", "(equal)",
		"/boot/firmware/intel-ucode.bin", "cpu_microcode",
	};
	struct cli_result r;

	(void)state;
	r = cli_run(ARGS("boot"));
	assert_int_equal(r.status, 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(r.out, want[i]))
			fail_msg("boot report lacks \"%s\"", want[i]);
	assert_null(strstr(r.out, "MISMATCH"));
	cli_free(&r);
}

static char tmpdir[64];

static const char *write_tmp(const char *name, const char *text)
{
	static char path[128];
	FILE *f;

	if (!tmpdir[0]) {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/vmk-boot-XXXXXX");
		assert_non_null(mkdtemp(tmpdir));
	}
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/*
 * ThreadSanitizer's address space cannot always hold a 1 TiB simulated RAM
 * mapping: the big machine is 64 GiB there, in the same four nodes.
 */
#ifdef CLI_TSAN_BUILD
#define NODE	"0x400000000"		/* 16 GiB */
#define BIG	(64 * VMK_GiB)
#else
#define NODE	"0x4000000000"		/* 256 GiB */
#define BIG	VMK_TiB
#endif

/* 1 TiB in four nodes from memory lines; RAM is their sum, computed here. */
static void test_numa_1t(void **state)
{
	char desc[1024];
	uint64_t node = BIG / 4, ram = 0x9f000 + 0x7ff00000ull + (BIG - 2 * VMK_GiB);
	struct cli_result r;
	char svg[128], *pic;
	size_t len;

	(void)state;
	snprintf(desc, sizeof(desc),
		 "arch x86_64\n"
		 "memory 0x0 0x9f000\n"
		 "memory 0x100000 0x7ff00000\n"
		 "memory 0x100000000 0x%llx usable  # the rest\n"
		 "node 0 0 %s\nnode 1 %s %s\nnode 2 0x%llx %s\nnode 3 0x%llx 0x%llx\n"
		 "cpus 8\nnode-cpus 1 2-3\nnode-cpus 2 4,5\nnode-cpus 3 6-7\n"
		 "kernel text=16M rodata=4M data=4M bss=8M\n"
		 "cmdline crashkernel=1G\n",
		 (unsigned long long)(BIG - 2 * VMK_GiB), NODE, NODE, NODE, (unsigned long long)(2 * node), NODE,
		 (unsigned long long)(3 * node), (unsigned long long)(node + 2 * VMK_GiB));
	write_tmp("x", "");
	snprintf(svg, sizeof(svg), "%s/1t.svg", tmpdir);
	r = cli_run(ARGS("boot", write_tmp("numa.machine", desc), "--json", "--svg", svg));
	if (r.status)
		fail_msg("vmkit boot failed: %s", r.err);
	assert_true(json_u64_field(r.out, "nodes") == 4);
	assert_true(category_sum(r.out) == ram);
	assert_non_null(strstr(r.out, "\"consistent\":true"));
	assert_true(field_in(r.out, "\"categories\"", "crash_kernel") == VMK_GiB);
	assert_true(field_in(r.out, "\"categories\"", "kernel_image") == 32 * VMK_MiB);
	/* 1 GiB direct-map pages: [1G, 2G) and everything above 4 GiB. */
	assert_true(mapped(r.out, VMK_GiB, "rw-") == BIG - VMK_GiB);
	/* Lazy init: the page array was not initialised (frames still lazy). */
	assert_true(field_in(r.out, "\"phys\"", "lazy") > 0);
	cli_free(&r);
	/* The picture: one band per node, the legend, a page-sized file. */
	pic = th_read_file(svg, &len);
	assert_true(len < 400 * 1024);
	for (int n = 0; n < 4; n++) {
		char h[16];

		snprintf(h, sizeof(h), "node %d:", n);
		assert_non_null(strstr(pic, h));
	}
	assert_non_null(strstr(pic, "kernel image"));
	assert_non_null(strstr(pic, "#d62728"));	/* the kernel stays visible on 1 TiB */
	assert_non_null(strstr(pic, "crash kernel"));
	assert_non_null(strstr(pic, "</svg>"));
	free(pic);
	unlink(svg);
}

/* The firmware file is found next to the description. */
static void test_firmware_relative(void **state)
{
	char *map;
	size_t len;
	FILE *f;
	char path[160];
	struct cli_result r;

	(void)state;
	map = th_read_data("memmaps/qemu-virt-aavmf-aarch64-1G.efimap", &len);
	write_tmp("x.machine", "");
	snprintf(path, sizeof(path), "%s/virt.efimap", tmpdir);
	f = fopen(path, "wb");
	assert_non_null(f);
	fwrite(map, 1, len, f);
	fclose(f);
	free(map);
	r = cli_run(ARGS("boot", write_tmp("virt.machine", "arch arm64\nfirmware virt.efimap efi\ncpus 2\n"), "--json"));
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"arch\":\"arm64\""));
	assert_non_null(strstr(r.out, "\"consistent\":true"));
	assert_true(field_in(r.out, "\"categories\"", "early_reserved") == 0);
	/*
	 * arm64's boot policy (Linux arm64 reserve_regions): the 64 MiB flash
	 * (MMIO, WC) and the runtime code/data (0x2f0000 + 0x3e0000 bytes in
	 * the listing) are NOMAP memory; x86's policy counted only the latter.
	 */
	assert_true(field_in(r.out, "\"categories\"", "nomap") == 64 * VMK_MiB + 0x2f0000 + 0x3e0000);
	assert_true(field_in(r.out, "\"accounting\"", "ram") == 0x44000000);
	cli_free(&r);
}

static void test_svg_256m(void **state)
{
	static const char *const legend[] = {
		"kernel image", "page tables", "NOFREE", "per-CPU areas", "preloads kept", "preloads freed",
		"firmware reserved", "no-map", "bad", "free, by buddy order",
	};
	struct cli_result r;
	char svg[128], *pic;

	(void)state;
	write_tmp("x", "");
	snprintf(svg, sizeof(svg), "%s/256m.svg", tmpdir);
	r = cli_run(ARGS("boot", "examples/machines/q35-256M.machine", "--svg", svg));
	assert_int_equal(r.status, 0);
	pic = th_read_file(svg, NULL);
	assert_true(!strncmp(pic, "<svg ", 5));
	for (size_t i = 0; i < sizeof(legend) / sizeof(legend[0]); i++)
		if (!strstr(pic, legend[i]))
			fail_msg("legend lacks \"%s\"", legend[i]);
	/* The kernel, the kept preloads and the no-map runtime ranges are drawn. */
	assert_non_null(strstr(pic, "fill=\"#d62728\"/>"));
	assert_non_null(strstr(pic, "fill=\"#1f77b4\"/>"));
	assert_non_null(strstr(pic, "fill=\"#aec7e8\"/>"));	/* the unloaded module */
	assert_non_null(strstr(pic, "fill=\"#2f4f4f\"/>"));
	/* The per-CPU areas (kmem frames) are drawn in their own colour, not as other allocations. */
	assert_non_null(strstr(pic, "fill=\"#e377c2\"/>"));
	assert_non_null(strstr(pic, ">0x0</text>"));
	free(pic);
	unlink(svg);
	cli_free(&r);
}

static void expect_error(const char *desc, int status, const char *msg)
{
	struct cli_result r = cli_run(ARGS("boot", write_tmp("bad.machine", desc)));

	if (r.status != status || !strstr(r.err, msg))
		fail_msg("description:\n%s\nstatus %d, stderr: %s (wanted %d and \"%s\")", desc, r.status,
			 r.err, status, msg);
	cli_free(&r);
}

static void test_description_errors(void **state)
{
	(void)state;
	expect_error("arch x86_64\n", 1, "no memory");
	expect_error("memory 0 1G\nfrobnicate 3\n", 1, "bad.machine:2: unknown directive 'frobnicate'");
	expect_error("memory 0 1G\nfirmware x.efimap\n", 1, ":2: firmware: the memory is already given");
	expect_error("memory 0 1G\nmodule zfs.ko elf 1M\n", 1, ":2: 'zfs.ko': the loader records full paths");
	expect_error("memory 0 1G\nmodule /a.ko elf 1M\nmodule /a.ko elf 1M\n", 1, ":3: '/a.ko' is preloaded twice");
	expect_error("memory 0 1G\nucode signature=1 revision=2\n", 1, "'ucode' lines without a 'microcode PATH' bundle");
	expect_error("memory 0 1G\nmicrocode /u.bin\n", 1, "'microcode' without any 'ucode' line");
	expect_error("memory 0 1G\nucode size=1001\n", 1, "multiple of 16");
	expect_error("memory 0 1G\narch sparc\n", 1, ":2: arch: want x86_64 or arm64");
	expect_error("memory 0 1G\ncpus 65\n", 1, ":2: cpus: 65 is not from 1 to 64");
	expect_error("memory 0 1G\nnode 9 0 1G\n", 1, ":2: node: 9 is not a node");
	expect_error("memory 0 1G\nkernel at=0x1001000\n", 1, ":2: kernel: at= must be 2 MiB aligned");
	expect_error("memory 0 1G\nmemory 1G 0\n", 1, ":2: memory: empty or wrapping range");
	expect_error("memory 0 1G\ncmdline crashkernel=2G\n", 1, "crashkernel");
	expect_error("firmware /nonexistent/map.efimap\n", 1, "/nonexistent/map.efimap");
	expect_error("memory 0 64M\nkernel text=100M\n", 1, "no room for the kernel image");
}

static void test_usage_errors(void **state)
{
	const char *const *bad[] = {
		ARGS("boot", "--frob"),
		ARGS("boot", "a.machine", "b.machine"),
		ARGS("boot", "--svg"),
	};
	struct cli_result r;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = cli_run(bad[i]);
		assert_int_equal(r.status, 2);
		cli_free(&r);
	}
	r = cli_run(ARGS("boot", "--help"));
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "usage: vmkit boot"));
	cli_free(&r);
}

/* The command line keeps its spacing and stops at a comment. */
static void test_cmdline(void **state)
{
	struct cli_result r;

	(void)state;
	r = cli_run(ARGS("boot", write_tmp("c.machine", "memory 0 1G\ncmdline   a=1  b=\"x y\"  # note\n"), "--json"));
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"cmdline\":\"a=1  b=\\\"x y\\\"\""));
	cli_free(&r);
}

/* Bad frames are withheld and counted; eager and lazy boots account the same bytes. */
static void test_bad_frames_eager(void **state)
{
	static const char desc[] =
		"memory 0 0x9f000\nmemory 0x100000 0x3ff00000\n"
		"bad 0x20000000 0x20001000 0x30000000\n"
		"bad 0x1000000   # inside the kernel image: bad once freed, reserved now\n";
	struct cli_result lazy, eager;
	const char *path = write_tmp("bad.machine", desc);

	(void)state;
	lazy = cli_run(ARGS("boot", path, "--json"));
	eager = cli_run(ARGS("boot", path, "--json", "--eager"));
	assert_int_equal(lazy.status, 0);
	assert_int_equal(eager.status, 0);
	assert_true(field_in(lazy.out, "\"categories\"", "bad") == 3 * 4096);
	assert_true(category_sum(lazy.out) == 0x9f000 + 0x3ff00000ull);
	assert_true(category_sum(eager.out) == 0x9f000 + 0x3ff00000ull);
	for (size_t i = 0; i < sizeof(cats) / sizeof(cats[0]); i++)
		assert_true(field_in(lazy.out, "\"categories\"", cats[i]) ==
			    field_in(eager.out, "\"categories\"", cats[i]));
	cli_free(&lazy);
	cli_free(&eager);
}

/*
 * A module marked unload is freed through kmem_bootstrap_free (whole pages,
 * under the image's 2 MiB mapping) and its memory counts as free; the
 * others stay preloads. Sizes from examples/machines/q35-256M.machine.
 */
static void test_unload_preload(void **state)
{
	struct cli_result r;
	const char *vt;

	(void)state;
	r = cli_run(ARGS("boot", "examples/machines/q35-256M.machine", "--json"));
	assert_int_equal(r.status, 0);
	vt = strstr(r.out, "\"name\":\"/boot/kernel/if_vtnet.ko\"");
	assert_non_null(vt);
	assert_non_null(strstr(vt, "\"freed\":true"));
	assert_true(json_u64_field(vt, "freed_bytes") == 180 * VMK_KiB);
	assert_non_null(strstr(r.out, "\"name\":\"/boot/kernel/virtio_blk.ko\",\"type\":\"elf_obj_module\",\"base\""));
	/* Kept: virtio_blk (96K) and the bundle's partial last page (202K: 50 pages freed). */
	assert_true(field_in(r.out, "\"categories\"", "preloads_kept") == (96 + 4) * VMK_KiB);
	assert_non_null(strstr(r.out, "1 file(s) released, 50 pages freed"));
	assert_non_null(strstr(r.out, "\"consistent\":true"));
	assert_true(category_sum(r.out) == json_u64_field(strstr(r.out, "\"accounting\""), "ram"));
	cli_free(&r);
	/* The deleted file's records are EMPTY: the list no longer names it; the others stay. */
	r = cli_run(ARGS("boot", "examples/machines/q35-256M.machine"));
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "/boot/kernel/if_vtnet.ko                 elf_obj_module"));
	assert_null(strstr(r.out, "/boot/kernel/if_vtnet.ko elf_obj_module 0xffff"));
	assert_non_null(strstr(r.out, "/boot/kernel/virtio_blk.ko elf_obj_module 0xffff"));
	assert_non_null(strstr(r.out, "/boot/kernel/kernel elf kernel 0xffffffff80000000"));
	cli_free(&r);
}

/*
 * A real kernel's layout (the lines the demo kernel prints, docs/kernel.md):
 * the image where the loader put it (not 2 MiB aligned) by section, a
 * device page, the pmap's features, the kmem window, boot-services memory
 * kept until the page tables are built. Keeping it only moves the page
 * tables: the same bytes end up free.
 */
static void test_real_kernel_layout(void **state)
{
	static const char layout[] =
		"arch x86_64\ncpus 2\n"
		"image 0xe3a0000 0xffffffff801a0000 r--:4K r-x:0x3a000 r--:0xb000 rw-:0xc9000 r--:4K\n"
		"device 0xffffffffc0000000 0xfee00000 4K uc\n"
		"pmap 1g=no\nkmem 0xffffc90000000000 1G\npercpu 64K rendezvous\n";
	char cwd[512], desc[1200];
	struct cli_result late, early;
	const char *dev;

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(desc, sizeof(desc), "%sfirmware %s/examples/machines/qemu-q35-ovmf-x86_64-256M.efimap efi\n"
		 "boot-services late\n", layout, cwd);
	late = cli_run(ARGS("boot", write_tmp("late.machine", desc), "--json"));
	assert_int_equal(late.status, 0);
	snprintf(desc, sizeof(desc), "%sfirmware %s/examples/machines/qemu-q35-ovmf-x86_64-256M.efimap efi\n",
		 layout, cwd);
	early = cli_run(ARGS("boot", write_tmp("early.machine", desc), "--json"));
	assert_int_equal(early.status, 0);
	assert_non_null(strstr(late.out, "\"consistent\":true"));
	assert_true(field_in(late.out, "\"kernel\"", "base") == 0xe3a0000);
	assert_true(field_in(late.out, "\"categories\"", "kernel_image") == 0x110000);
	assert_true(mapped(late.out, 4096, "r-x") == 0x3a000);
	assert_true(mapped(late.out, VMK_GiB, "rw-") == 0);
	dev = strstr(late.out, "\"name\":\"device registers\"");
	assert_non_null(dev);
	assert_true(json_u64_field(dev, "mapped_bytes") == 4096);
	assert_non_null(strstr(late.out, "{\"page_size\":4096,\"prot\":\"rw-\",\"memtype\":\"UC\",\"count\":1,"));
	assert_true(json_u64_field(strstr(late.out, "\"name\":\"kmem window\""), "size") == VMK_GiB);
	assert_true(field_in(late.out, "\"categories\"", "free") == field_in(early.out, "\"categories\"", "free"));
	assert_true(field_in(late.out, "\"categories\"", "reserved_other") == 0);
	/* Rendezvous per-CPU areas: ordinary kmem memory, counted as per-CPU all the same. */
	assert_true(field_in(late.out, "\"categories\"", "percpu") == 2 * 64 * VMK_KiB);
	assert_non_null(strstr(late.out, "2 areas of 64 KiB (rendezvous)"));
	cli_free(&late);
	cli_free(&early);
	expect_error("memory 0 1G\nimage 0x1000 0x2000 r-y:4K\n", 1, ":2: image: 'r-y' is not r--, r-x or rw-");
	expect_error("memory 0 1G\nimage 0x1000 0x2000 r--:100\n", 1, ":2: image: section sizes");
	expect_error("memory 0 1G\nimage 0x1000 0x2000 r--:4K\nmodule /a elf 4K\n", 1, "no 'module'");
	expect_error("memory 0 1G\ndevice 0x1000 0x2000 4K mmio\n", 1, ":2: device: type 'mmio'");
	expect_error("memory 0 1G\npmap tmp=0x1000\n", 1, ":2: pmap: tmp= (4K aligned) and dmap= go together");
	expect_error("memory 0 1G\nkmem 0x1000 1G\n", 1, ":2: kmem: BASE and SIZE must be multiples of 2M");
	expect_error("memory 0 1G\npercpu 64K nearby\n", 1, ":2: percpu: want 'percpu SIZE [alone|rendezvous]'");
	expect_error("memory 0 1G\nboot-services early\n", 1, ":2: boot-services: want 'boot-services late'");
}

/*
 * The regions of a layout must not overlap: a device page inside the
 * kmem window, an image inside the direct map's range (where the machine
 * has no RAM) or a kmem window over the image is refused with the two
 * regions named. Accepted, the report counted the bytes in both regions
 * and printed "elsewhere 15.9 EiB mapped" (all minus more than all).
 * An image placed outside RAM is refused too.
 */
static void test_layout_overlaps(void **state)
{
	static const char head[] = "arch x86_64\ncpus 2\nmemory 0 512M\npmap 1g=no\npercpu 64K rendezvous\n"
				   "image 0x1000000 0xffffffff81000000 r-x:2M rw-:2M\n";
	char desc[1024];

	(void)state;
	snprintf(desc, sizeof(desc), "%sdevice 0xffffc90000200000 0xfee00000 2M uc\nkmem 0xffffc90000000000 1G\n", head);
	expect_error(desc, 1, "kmem: the kmem window [0xffffc90000000000-0xffffc9003fffffff] overlaps the device "
			      "registers [0xffffc90000200000-0xffffc900003fffff]");
	snprintf(desc, sizeof(desc), "%skmem 0xffffffff80000000 1G\n", head);
	expect_error(desc, 1, "kmem: the kmem window [0xffffffff80000000-0xffffffffbfffffff] overlaps the kernel "
			      "image and preloaded files [0xffffffff81000000-0xffffffff813fffff]");
	expect_error("arch x86_64\nmemory 0 512M\nimage 0x1000000 0xffff888030000000 r-x:2M\n", 1,
		     "pagetables: the kernel image and preloaded files [0xffff888030000000-0xffff8880301fffff] "
		     "overlap the direct map [0xffff888000000000-0xffff88803fffffff]");
	/* An image where the machine has no RAM: its bytes were in no category ("kernel_image 0 B"). */
	expect_error("arch x86_64\nmemory 0 512M\nimage 0x200000000 0xffffffff81000000 r-x:2M\n", 1,
		     "memblock: the kernel image [0x0000000200000000-0x00000002001fffff] is not all RAM");
	expect_error("arch x86_64\nmemory 0 512M\nimage 0x1ff00000 0xffffffff81000000 r-x:2M\n", 1,
		     "memblock: the kernel image [0x000000001ff00000-0x00000000200fffff] is not all RAM");
	snprintf(desc, sizeof(desc), "%sdevice 0xffffffffc0000000 0xfee00000 8K uc\n"
		 "device 0xffffffffc0001000 0xfee01000 4K uc\n", head);
	expect_error(desc, 1, "pagetables: the device registers [0xffffffffc0001000-0xffffffffc0001fff] overlap the "
			      "device registers [0xffffffffc0000000-0xffffffffc0001fff]");
}

static int cleanup(void **state)
{
	char cmd[128];

	(void)state;
	if (tmpdir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			return -1;
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_machine_accounting),
		cmocka_unit_test(test_default_machine_mappings),
		cmocka_unit_test(test_text_report),
		cmocka_unit_test(test_numa_1t),
		cmocka_unit_test(test_firmware_relative),
		cmocka_unit_test(test_svg_256m),
		cmocka_unit_test(test_description_errors),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_cmdline),
		cmocka_unit_test(test_bad_frames_eager),
		cmocka_unit_test(test_unload_preload),
		cmocka_unit_test(test_real_kernel_layout),
		cmocka_unit_test(test_layout_overlaps),
	};

	return cmocka_run_group_tests(tests, NULL, cleanup);
}
