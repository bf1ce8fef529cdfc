/*
 * Every real map in tests/data/memmaps parses, and concrete facts about
 * each hold.
 *
 * The expected figures were computed independently of vmkit with a few
 * lines of Python over the files (regular expressions for the text, the
 * struct module with '<IIQQQQ' at a 48-byte stride for the .efimap
 * blobs), summing last - first + 1 (text, inclusive) or end - start
 * (half-open EFI text) or pages * 4096 (binary) per type, and checked by
 * hand against a few lines of each file. The .txt listings of the QEMU
 * maps are read here with sscanf as an oracle for the binary parse.
 */
#include "fwmap_test.h"

static char *read_map(const char *name, size_t *len)
{
	char rel[512];

	snprintf(rel, sizeof(rel), "memmaps/%s", name);
	return th_read_data(rel, len);
}

static void sanitize_ok(struct fm *f)
{
	size_t bad = 0;
	int r = vmk_fwmap_sanitize(&f->m, NULL, &f->d);

	if (r) {
		fm_dump(f);
		fail_msg("sanitize returned %d", r);
	}
	if (vmk_fwmap_check(&f->m, 0, &bad))
		fail_msg("sanitized map broken at entry %zu", bad);
}

static void test_e820_journal(void **state)
{
	struct fm *f = fm_new(64);
	struct vmk_fwmap_totals t;
	size_t len;
	char *text = read_map("e820-x86-journal.txt", &len);

	(void)state;
	assert_int_equal(vmk_fwmap_parse_dmesg(&f->m, text, len, &f->d), 0);
	assert_int_equal(f->d.errors, 0);
	assert_int_equal(f->m.n, 14);
	assert_int_equal(f->m.format, VMK_FWMAP_FMT_E820);
	vmk_fwmap_totals(&f->m, &t);
	assert_true(t.bytes[VMK_MEM_USABLE] == 2329726976ull);
	assert_int_equal(t.count[VMK_MEM_USABLE], 6);
	assert_true(t.bytes[VMK_MEM_RESERVED] == 84795392ull);
	assert_int_equal(t.count[VMK_MEM_RESERVED], 6);
	assert_true(t.bytes[VMK_MEM_ACPI_NVS] == 294912);
	assert_true(t.bytes[VMK_MEM_ACPI_RECLAIM] == 188416);
	/* The excerpt starts mid-map: its first line is the VGA hole. */
	fm_expect(f, 0, 0xa0000, 0x20000, VMK_MEM_RESERVED);
	assert_int_equal(f->m.e[0].src, 1);
	fm_expect(f, 1, 0x100000, 0x8ad01000 - 0x100000, VMK_MEM_USABLE);
	fm_expect(f, 4, 0x8ad61000, 0x8ad8f000 - 0x8ad61000, VMK_MEM_ACPI_RECLAIM);
	assert_int_equal(f->m.e[4].fw_type, VMK_E820_ACPI);
	fm_expect(f, 13, 0xe00f8000, 0x1000, VMK_MEM_RESERVED);
	/* Already sorted, aligned and without neighbours of one kind: unchanged. */
	sanitize_ok(f);
	assert_int_equal(f->m.n, 14);
	assert_true(vmk_fwmap_bytes(&f->m, VMK_MEM_USABLE) == 2329726976ull);
	free(text);
	free(f);
}

static void test_e820_linux316(void **state)
{
	struct fm *f = fm_new(64);
	struct vmk_fwmap_totals t;
	size_t len;
	char *text = read_map("e820-x86-linux3.16.txt", &len);

	(void)state;
	assert_int_equal(vmk_fwmap_parse_e820_text(&f->m, text, len, &f->d), 0);
	assert_int_equal(f->m.n, 14);
	vmk_fwmap_totals(&f->m, &t);
	assert_true(t.bytes[VMK_MEM_USABLE] == 3180257280ull);
	assert_int_equal(t.count[VMK_MEM_USABLE], 7);
	assert_true(t.bytes[VMK_MEM_RESERVED] == 10117120ull);
	assert_int_equal(t.count[VMK_MEM_RESERVED], 5);
	assert_true(t.bytes[VMK_MEM_ACPI_NVS] == 13680640ull);
	assert_int_equal(t.count[VMK_MEM_ACPI_NVS], 2);
	/* Line 1 is the command line, line 2 the header: the map starts on line 3. */
	assert_int_equal(f->m.e[0].src, 3);
	fm_expect(f, 0, 0, 0x58000, VMK_MEM_USABLE);
	fm_expect(f, 1, 0x58000, 0x1000, VMK_MEM_RESERVED);
	fm_expect(f, 13, 0xbefff000, 0x1000, VMK_MEM_USABLE);
	sanitize_ok(f);
	assert_int_equal(f->m.n, 14);
	free(text);
	free(f);
}

static void test_e820_qemu_i440fx(void **state)
{
	struct fm *f = fm_new(64);
	struct vmk_fwmap_sanitize_opts o = { .phys_bits = 36 };
	size_t len;
	char *text = read_map("e820-x86-qemu-i440fx.txt", &len);

	(void)state;
	assert_int_equal(vmk_fwmap_parse_dmesg(&f->m, text, len, &f->d), 0);
	assert_int_equal(f->m.n, 5);
	assert_true(vmk_fwmap_bytes(&f->m, VMK_MEM_USABLE) == 1072541696ull);
	assert_true(vmk_fwmap_bytes(&f->m, VMK_MEM_RESERVED) == 12885331968ull);
	/* The reserved range above 1 TiB. */
	fm_expect(f, 4, 0xfd00000000ull, 0x300000000ull, VMK_MEM_RESERVED);
	/* With a 40-bit width everything fits; with 36 bits it goes. */
	sanitize_ok(f);
	assert_int_equal(f->m.n, 5);
	assert_int_equal(vmk_fwmap_sanitize(&f->m, &o, &f->d), 0);
	assert_int_equal(f->m.n, 4);
	assert_true(fm_has(f, VMK_FWMAP_WARN, 5, "beyond the physical address limit"));
	assert_true(vmk_fwmap_bytes(&f->m, VMK_MEM_RESERVED) == 12885331968ull - 0x300000000ull);
	free(text);
	free(f);
}

static void test_efi_linux316(void **state)
{
	struct fm *f = fm_new(64);
	struct vmk_fwmap_totals t;
	size_t len;
	char *text = read_map("efi-x86-linux3.16.txt", &len);

	(void)state;
	assert_int_equal(vmk_fwmap_parse_dmesg(&f->m, text, len, &f->d), 0);
	assert_int_equal(f->m.format, VMK_FWMAP_FMT_EFI);
	assert_int_equal(f->m.n, 13);
	vmk_fwmap_totals(&f->m, &t);
	assert_true(t.bytes[VMK_MEM_USABLE] == 213598208ull);	/* type 7 */
	assert_int_equal(t.count[VMK_MEM_USABLE], 3);
	assert_true(t.bytes[VMK_MEM_BOOT_SERVICES] == 1818624ull + 7340032ull); /* 4 + 3 */
	assert_true(t.bytes[VMK_MEM_RUNTIME_DATA] == 2756608ull);	/* 6 */
	assert_true(t.bytes[VMK_MEM_ACPI_NVS] == 28672);		/* 10 */
	assert_true(t.bytes[VMK_MEM_BOOTLOADER] == 8192);		/* 2 */
	/* mem21: type=6, attr=0x800000000000000f: runtime with UC|WC|WT|WB. */
	fm_expect(f, 6, 0xae0d3000, 0xae374000 - 0xae0d3000, VMK_MEM_RUNTIME_DATA);
	assert_true(f->m.e[6].attr == 0x800000000000000full);
	assert_true(f->m.e[6].flags & VMK_FWMAP_F_RUNTIME);
	assert_int_equal(f->m.e[6].src, 7);
	sanitize_ok(f);
	assert_true(vmk_fwmap_bytes(&f->m, VMK_MEM_USABLE) == 213598208ull);
	free(text);
	free(f);
}

static void test_efi_linux4(void **state)
{
	struct fm *f = fm_new(64);
	size_t len;
	char *text = read_map("efi-x86-linux4.txt", &len);

	(void)state;
	assert_int_equal(vmk_fwmap_parse_efi_text(&f->m, text, len, &f->d), 0);
	assert_int_equal(f->m.n, 10);
	assert_true(vmk_fwmap_bytes(&f->m, VMK_MEM_BOOT_SERVICES) == 15126528ull);
	assert_true(vmk_fwmap_bytes(&f->m, VMK_MEM_USABLE) == 94208ull);
	fm_expect(f, 0, 0xabba0000, 0xabc1b000 - 0xabba0000, VMK_MEM_BOOT_SERVICES);
	assert_int_equal(f->m.e[0].fw_type, VMK_EFI_BOOT_SERVICES_DATA);
	assert_true(f->m.e[0].attr == 0xf);	/* WB|WT|WC|UC columns */
	fm_expect(f, 9, 0xaca23000, 0x1000, VMK_MEM_USABLE);
	/* Contiguous entries alternate kinds: sanitize keeps all ten. */
	sanitize_ok(f);
	assert_int_equal(f->m.n, 10);
	free(text);
	free(f);
}

/* The same boot's E820 and EFI lines in one dmesg: E820 wins, with a warning. */
static void test_dmesg_both(void **state)
{
	struct fm *f = fm_new(64);
	size_t l1, l2;
	char *a = read_map("e820-x86-linux3.16.txt", &l1);
	char *b = read_map("efi-x86-linux3.16.txt", &l2);
	char *both = malloc(l1 + l2 + 1);

	(void)state;
	memcpy(both, a, l1);
	memcpy(both + l1, b, l2);
	both[l1 + l2] = '\0';
	assert_int_equal(vmk_fwmap_parse_dmesg(&f->m, both, l1 + l2, &f->d), 0);
	assert_int_equal(f->m.format, VMK_FWMAP_FMT_E820);
	assert_int_equal(f->m.n, 14);
	assert_true(fm_has(f, VMK_FWMAP_WARN, 0, "efi mem lines ignored"));
	free(a);
	free(b);
	free(both);
	free(f);
}

struct efimap_case {
	const char *name;
	size_t entries;
	uint64_t bytes[16];	/* by EFI type */
	uint64_t first_base;
	unsigned int runtime;	/* descriptors with EFI_MEMORY_RUNTIME */
};

static const struct efimap_case efimaps[] = {
	{ "qemu-q35-ovmf-x86_64-256M", 128,
	  { [0] = 268959744, [1] = 90112, [2] = 65536, [3] = 3899392, [4] = 30842880,
	    [5] = 1048576, [6] = 2646016, [7] = 226779136, [9] = 73728, [10] = 2072576,
	    [11] = 4194304 }, 0, 5 },
	{ "qemu-q35-ovmf-x86_64-1G", 128,
	  { [0] = 268959744, [1] = 90112, [2] = 65536, [3] = 3899392, [4] = 30842880,
	    [5] = 1048576, [6] = 2646016, [7] = 1032085504, [9] = 73728, [10] = 2072576,
	    [11] = 4194304 }, 0, 5 },
	{ "qemu-q35-ovmf-x86_64-4G", 130,
	  { [0] = 268959744, [1] = 90112, [2] = 73728, [3] = 3899392, [4] = 30846976,
	    [5] = 1048576, [6] = 2646016, [7] = 4253298688ull, [9] = 73728, [10] = 2072576,
	    [11] = 4194304 }, 0, 5 },
	{ "qemu-virt-aavmf-aarch64-256M", 27,
	  { [1] = 90112, [2] = 40960, [3] = 4427776, [4] = 19218432, [5] = 2883584,
	    [6] = 4259840, [7] = 237449216, [9] = 65536, [11] = 67112960 }, 0x40000000, 7 },
	{ "qemu-virt-aavmf-aarch64-1G", 27,
	  { [1] = 90112, [2] = 40960, [3] = 4427776, [4] = 19218432, [5] = 2883584,
	    [6] = 4259840, [7] = 1042755584, [9] = 65536, [11] = 67112960 }, 0x40000000, 7 },
	{ "qemu-virt-aavmf-aarch64-4G", 27,
	  { [1] = 90112, [2] = 40960, [3] = 4427776, [4] = 19226624, [5] = 2883584,
	    [6] = 4259840, [7] = 4263972864ull, [9] = 65536, [11] = 67112960 }, 0x40000000, 7 },
};

/* Compare the binary parse with our own listing of the same map, line by line. */
static void check_listing(const struct fm *f, const char *name)
{
	char path[256], *text, *line, *save = NULL;
	size_t len, i = 0;

	snprintf(path, sizeof(path), "%s.txt", name);
	text = read_map(path, &len);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned int type;
		char tname[64];
		unsigned long long first, last, pages, attr;

		if (line[0] == '#')
			continue;
		if (sscanf(line, "%u %63s phys %llx-%llx pages %llu attr %llx", &type, tname,
			   &first, &last, &pages, &attr) != 6)
			fail_msg("%s: listing line not understood: %s", path, line);
		assert_true(i < f->m.n);
		if (f->m.e[i].fw_type != type || f->m.e[i].base != first ||
		    f->m.e[i].size != last - first + 1 || f->m.e[i].size != pages * 4096 ||
		    f->m.e[i].attr != attr || f->m.e[i].src != i + 1)
			fail_msg("%s: descriptor %zu differs from the listing: %s", name, i + 1, line);
		assert_int_equal(f->m.e[i].kind, vmk_efi_kind(type, attr));
		i++;
	}
	assert_int_equal(i, f->m.n);
	free(text);
}

static void test_efimaps(void **state)
{
	(void)state;
	for (size_t c = 0; c < VMK_ARRAY_SIZE(efimaps); c++) {
		const struct efimap_case *k = &efimaps[c];
		struct fm *f = fm_new(512);
		struct vmk_fwmap_totals t;
		char path[256], *blob;
		size_t len, ds = 0;
		unsigned int rt = 0;
		uint64_t by_type[16] = { 0 };

		snprintf(path, sizeof(path), "%s.efimap", k->name);
		blob = read_map(path, &len);
		assert_int_equal(vmk_fwmap_efi_guess_desc_size(blob, len, &ds), 0);
		assert_int_equal(ds, 48);
		assert_int_equal(vmk_fwmap_parse_efi(&f->m, blob, len, ds, 1, &f->d), 0);
		assert_int_equal(f->d.errors + f->d.warnings, 0);
		assert_int_equal(f->m.n, k->entries);
		assert_int_equal(f->m.efi_desc_version, 1);
		assert_true(f->m.e[0].base == k->first_base);
		for (size_t i = 0; i < f->m.n; i++) {
			assert_true(f->m.e[i].fw_type < 16);
			by_type[f->m.e[i].fw_type] += f->m.e[i].size;
			rt += !!(f->m.e[i].flags & VMK_FWMAP_F_RUNTIME);
		}
		for (int ty = 0; ty < 16; ty++)
			if (by_type[ty] != k->bytes[ty])
				fail_msg("%s: type %d: %llu bytes, expected %llu", k->name, ty,
					 (unsigned long long)by_type[ty],
					 (unsigned long long)k->bytes[ty]);
		assert_int_equal(rt, k->runtime);
		check_listing(f, k->name);

		/* Sanitized: sorted, aligned, every byte kept with its kind. */
		sanitize_ok(f);
		vmk_fwmap_totals(&f->m, &t);
		assert_true(t.bytes[VMK_MEM_USABLE] == k->bytes[7]);
		assert_true(t.bytes[VMK_MEM_BOOTLOADER] == k->bytes[1] + k->bytes[2]);
		assert_true(t.bytes[VMK_MEM_BOOT_SERVICES] == k->bytes[3] + k->bytes[4]);
		assert_true(t.bytes[VMK_MEM_RUNTIME_CODE] == k->bytes[5]);
		assert_true(t.bytes[VMK_MEM_RUNTIME_DATA] == k->bytes[6]);
		assert_true(t.bytes[VMK_MEM_MMIO] == k->bytes[11]);
		assert_true(t.bytes[VMK_MEM_RESERVED] == k->bytes[0]);
		free(blob);
		free(f);
	}
}

/* What the README says about the QEMU maps' layout. */
static void test_efimap_layout(void **state)
{
	struct fm *f = fm_new(512);
	size_t len;
	char *blob = read_map("qemu-q35-ovmf-x86_64-4G.efimap", &len);

	(void)state;
	assert_int_equal(vmk_fwmap_parse_efi(&f->m, blob, len, 48, 1, &f->d), 0);
	/* Firmware order: PCIe ECAM (reserved) then the flash (MMIO, runtime) come last. */
	fm_expect(f, f->m.n - 2, 0xb0000000, 0x10000000, VMK_MEM_RESERVED);
	fm_expect(f, f->m.n - 1, 0xffc00000, 0x400000, VMK_MEM_MMIO);
	assert_true(f->m.e[f->m.n - 1].flags & VMK_FWMAP_F_RUNTIME);
	/* RAM at 0-2 GiB and 4-6 GiB: nothing usable-after-EBS in 2-4 GiB. */
	sanitize_ok(f);
	for (size_t i = 0; i < f->m.n; i++) {
		const struct vmk_fwmap_entry *e = &f->m.e[i];

		if (vmk_mem_kind_usable_after_ebs(e->kind))
			assert_true(e->base + e->size <= 0x80000000ull ||
				    (e->base >= 0x100000000ull && e->base + e->size <= 0x180000000ull));
	}
	assert_true(f->m.e[f->m.n - 1].base + f->m.e[f->m.n - 1].size == 0x180000000ull);
	free(blob);
	free(f);
}

/*
 * The /proc/iomem samples belong to the resource module's parser; the
 * dmesg parser must not mistake them for a map (it finds none).
 */
static void test_iomem_not_dmesg(void **state)
{
	static const char *const files[] = { "iomem-x86-centos6.txt", "iomem-arm64-nested.txt" };

	(void)state;
	for (size_t i = 0; i < VMK_ARRAY_SIZE(files); i++) {
		struct fm *f = fm_new(64);
		size_t len;
		char *text = read_map(files[i], &len);

		assert_int_equal(vmk_fwmap_parse_dmesg(&f->m, text, len, &f->d), -VMK_ENOENT);
		assert_int_equal(f->m.n, 0);
		assert_int_equal(f->d.errors, 1);
		free(text);
		free(f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_e820_journal),
		cmocka_unit_test(test_e820_linux316),
		cmocka_unit_test(test_e820_qemu_i440fx),
		cmocka_unit_test(test_efi_linux316),
		cmocka_unit_test(test_efi_linux4),
		cmocka_unit_test(test_dmesg_both),
		cmocka_unit_test(test_efimaps),
		cmocka_unit_test(test_efimap_layout),
		cmocka_unit_test(test_iomem_not_dmesg),
	};

	vmk_sim_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
