/* E820: the binary table and every form of Linux's dmesg text. */
#include "fwmap_test.h"

/* ---- binary ---- */

static size_t put_e820(unsigned char *p, size_t esz, uint64_t base, uint64_t size,
		       uint32_t type, uint32_t xattr)
{
	put_le64(p, base);
	put_le64(p + 8, size);
	put_le32(p + 16, type);
	if (esz == 24)
		put_le32(p + 20, xattr);
	return esz;
}

static void test_e820_bin20(void **state)
{
	unsigned char t[20 * 8];
	size_t o = 0;
	struct fm *f = fm_new(16);

	(void)state;
	o += put_e820(t + o, 20, 0x0, 0x9fc00, VMK_E820_RAM, 0);
	o += put_e820(t + o, 20, 0x9fc00, 0x400, VMK_E820_RESERVED, 0);
	o += put_e820(t + o, 20, 0x100000, 0x7ff00000, VMK_E820_RAM, 0);
	o += put_e820(t + o, 20, 0x80000000, 0x1000, VMK_E820_ACPI, 0);
	o += put_e820(t + o, 20, 0x80001000, 0x1000, VMK_E820_NVS, 0);
	o += put_e820(t + o, 20, 0x90000000, 0x1000, VMK_E820_PRAM, 0);
	o += put_e820(t + o, 20, 0xa0000000, 0x1000, 0xf0000001u, 0);	/* OEM */
	o += put_e820(t + o, 20, 0xb0000000, 0x1000, 9, 0);		/* undefined */
	assert_int_equal(vmk_fwmap_parse_e820(&f->m, t, o, 20, &f->d), 0);
	assert_int_equal(f->m.n, 8);
	assert_int_equal(f->m.format, VMK_FWMAP_FMT_E820);
	assert_int_equal(f->m.src_where, VMK_FWMAP_AT_ENTRY);
	fm_expect(f, 0, 0, 0x9fc00, VMK_MEM_USABLE);
	fm_expect(f, 1, 0x9fc00, 0x400, VMK_MEM_RESERVED);
	fm_expect(f, 3, 0x80000000, 0x1000, VMK_MEM_ACPI_RECLAIM);
	fm_expect(f, 4, 0x80001000, 0x1000, VMK_MEM_ACPI_NVS);
	fm_expect(f, 5, 0x90000000, 0x1000, VMK_MEM_PERSISTENT);
	fm_expect(f, 6, 0xa0000000, 0x1000, VMK_MEM_RESERVED);
	fm_expect(f, 7, 0xb0000000, 0x1000, VMK_MEM_RESERVED);
	assert_int_equal(f->m.e[7].src, 8);
	/* The undefined type gets a warning, the OEM type none. */
	assert_true(fm_has(f, VMK_FWMAP_WARN, 8, "undefined E820 type 9"));
	assert_false(fm_has(f, VMK_FWMAP_WARN, 7, "undefined"));
	/* Auto size: 160 bytes is a multiple of 20 (and not of 24). */
	vmk_fwmap_clear(&f->m);
	assert_int_equal(vmk_fwmap_parse_e820(&f->m, t, o, 0, NULL), 0);
	assert_int_equal(f->m.n, 8);
	free(f);
}

static void test_e820_bin24(void **state)
{
	unsigned char t[24 * 5];
	size_t o = 0;
	struct fm *f = fm_new(16);

	(void)state;
	o += put_e820(t + o, 24, 0x0, 0x9f000, VMK_E820_RAM, 1);
	o += put_e820(t + o, 24, 0x9f000, 0x1000, VMK_E820_RESERVED, 0);	/* disabled */
	o += put_e820(t + o, 24, 0x100000, 0, VMK_E820_RAM, 1);		/* empty */
	o += put_e820(t + o, 24, 0x200000, 0x1000, VMK_E820_PMEM, 3);	/* non-volatile */
	o += put_e820(t + o, 24, 0x300000, 0x1000, VMK_E820_DISABLED, 1);
	/* 120 bytes divides by 20 too: say 24 explicitly. */
	assert_int_equal(vmk_fwmap_parse_e820(&f->m, t, o, 24, &f->d), 0);
	assert_int_equal(f->m.n, 3);
	fm_expect(f, 0, 0, 0x9f000, VMK_MEM_USABLE);
	fm_expect(f, 1, 0x200000, 0x1000, VMK_MEM_PERSISTENT);
	assert_true(f->m.e[1].flags & VMK_FWMAP_F_NV);
	assert_true(f->m.e[1].attr == 3);
	assert_int_equal(f->m.e[1].src, 4);
	fm_expect(f, 2, 0x300000, 0x1000, VMK_MEM_UNUSABLE);
	assert_true(fm_has(f, VMK_FWMAP_WARN, 2, "entry disabled"));
	assert_true(fm_has(f, VMK_FWMAP_WARN, 3, "zero-length"));
	/* 24 * 5 bytes with a size of 0: taken as 20-byte entries (a multiple of both). */
	o = 0;
	o += put_e820(t + o, 24, 0x0, 0x1000, VMK_E820_RAM, 1);
	vmk_fwmap_clear(&f->m);
	assert_int_equal(vmk_fwmap_parse_e820(&f->m, t, 24 * 3, 0, NULL), 0);
	free(f);
}

static void test_e820_bin_errors(void **state)
{
	unsigned char t[24 * 3];
	struct fm *f = fm_new(2);
	size_t o = 0;

	(void)state;
	assert_int_equal(vmk_fwmap_add(&f->m, 0x1000, 0x1000, VMK_MEM_USABLE, 0), 0);
	assert_int_equal(vmk_fwmap_parse_e820(&f->m, t, 48, 16, &f->d), -VMK_EINVAL);
	assert_true(fm_has(f, VMK_FWMAP_ERR, 0, "neither 20 nor 24"));
	assert_int_equal(vmk_fwmap_parse_e820(&f->m, t, 50, 20, &f->d), -VMK_EINVAL);
	assert_true(fm_has(f, VMK_FWMAP_ERR, 40, "not a whole number"));
	/* A wrapping entry: error naming it, map unchanged. */
	o += put_e820(t + o, 24, 0x0, 0x1000, VMK_E820_RAM, 1);
	o += put_e820(t + o, 24, 0xfffffffffffff000ull, 0x2000, VMK_E820_RESERVED, 1);
	o += put_e820(t + o, 24, 0x2000, 0x1000, VMK_E820_RAM, 1);
	assert_int_equal(vmk_fwmap_parse_e820(&f->m, t, o, 24, &f->d), -VMK_EPARSE);
	assert_true(fm_has(f, VMK_FWMAP_ERR, 2, "wraps"));
	assert_int_equal(f->m.n, 1);
	assert_int_equal(f->m.format, VMK_FWMAP_FMT_NONE);
	/* Full: -VMK_ENOSPC, unchanged. */
	o = 0;
	o += put_e820(t + o, 24, 0x0, 0x1000, VMK_E820_RAM, 1);
	o += put_e820(t + o, 24, 0x2000, 0x1000, VMK_E820_RAM, 1);
	assert_int_equal(vmk_fwmap_parse_e820(&f->m, t, o, 24, &f->d), -VMK_ENOSPC);
	assert_int_equal(f->m.n, 1);
	fm_expect(f, 0, 0x1000, 0x1000, VMK_MEM_USABLE);
	/* An empty table is fine. */
	assert_int_equal(vmk_fwmap_parse_e820(&f->m, NULL, 0, 20, NULL), 0);
	free(f);
}

/* ---- text ---- */

static void test_text_classic(void **state)
{
	struct fm *f = fm_new(32);
	const char *text =
		"[    0.000000] e820: BIOS-provided physical RAM map:\n"
		"[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable\n"
		"[    0.000000] BIOS-e820: [mem 0x000000000009fc00-0x000000000009ffff] reserved\n"
		"[    0.000000] BIOS-e820: [mem 0x0000000000100000-0x00000000bffdffff] usable\n"
		"[    0.000000] BIOS-e820: [mem 0x00000000bffe0000-0x00000000bfffffff] ACPI data\n"
		"[    0.000000] BIOS-e820: [mem 0x00000000c0000000-0x00000000c0000fff] ACPI NVS\n"
		"[    0.000000] BIOS-e820: [mem 0x00000000c0001000-0x00000000c0001fff] unusable\n"
		"[    0.000000] BIOS-e820: [mem 0x0000000100000000-0x000000013fffffff] persistent (type 7)\n"
		"[    0.000000] BIOS-e820: [mem 0x0000000140000000-0x000000017fffffff] persistent (type 12)\n"
		"[    0.000000] BIOS-e820: [mem 0x0000000180000000-0x00000001bfffffff] soft reserved\n"
		"[    0.000000] BIOS-e820: [mem 0x00000001c0000000-0x00000001c0000fff] type 20\n"
		"[    0.000000] NX (Execute Disable) protection: active\n";

	(void)state;
	FM_PARSE_TEXT(f, vmk_fwmap_parse_e820_text, text, 0);
	assert_int_equal(f->m.n, 10);
	assert_int_equal(f->m.src_where, VMK_FWMAP_AT_LINE);
	fm_expect(f, 0, 0, 0x9fc00, VMK_MEM_USABLE);
	assert_int_equal(f->m.e[0].src, 2);
	fm_expect(f, 1, 0x9fc00, 0x400, VMK_MEM_RESERVED);
	fm_expect(f, 3, 0xbffe0000, 0x20000, VMK_MEM_ACPI_RECLAIM);
	fm_expect(f, 4, 0xc0000000, 0x1000, VMK_MEM_ACPI_NVS);
	fm_expect(f, 5, 0xc0001000, 0x1000, VMK_MEM_UNUSABLE);
	fm_expect(f, 6, 0x100000000ull, 0x40000000, VMK_MEM_PERSISTENT);
	assert_int_equal(f->m.e[6].fw_type, 7);
	fm_expect(f, 7, 0x140000000ull, 0x40000000, VMK_MEM_PERSISTENT);
	assert_int_equal(f->m.e[7].fw_type, 12);
	fm_expect(f, 8, 0x180000000ull, 0x40000000, VMK_MEM_SOFT_RESERVED);
	fm_expect(f, 9, 0x1c0000000ull, 0x1000, VMK_MEM_RESERVED);
	assert_int_equal(f->m.e[9].fw_type, 20);
	assert_int_equal(f->d.errors + f->d.warnings, 0);
	free(f);
}

/* 2.6 kernels: "start - end (type)" with an exclusive end. */
static void test_text_old(void **state)
{
	struct fm *f = fm_new(32);
	const char *text =
		"<6>BIOS-provided physical RAM map:\n"
		"<6> BIOS-e820: 0000000000000000 - 000000000009f000 (usable)\n"
		"<6> BIOS-e820: 000000000009f000 - 00000000000a0000 (reserved)\n"
		"<6> BIOS-e820: 00000000000f0000 - 0000000000100000 (reserved)\n"
		"<6> BIOS-e820: 0000000000100000 - 000000007fff0000 (usable)\n"
		"<6> BIOS-e820: 000000007fff0000 - 000000007fff3000 (ACPI NVS)\n"
		"<6> BIOS-e820: 000000007fff3000 - 0000000080000000 (ACPI data)\n"
		"<6> BIOS-e820: 00000000fec00000 - 00000000fec00000 (reserved)\n"
		"<6> BIOS-e820: 00000000fee00000 - 00000000fee01000 type 9\n";

	(void)state;
	FM_PARSE_TEXT(f, vmk_fwmap_parse_e820_text, text, 0);
	assert_int_equal(f->m.n, 7);
	fm_expect(f, 0, 0, 0x9f000, VMK_MEM_USABLE);
	fm_expect(f, 3, 0x100000, 0x7fef0000, VMK_MEM_USABLE);
	fm_expect(f, 4, 0x7fff0000, 0x3000, VMK_MEM_ACPI_NVS);
	fm_expect(f, 5, 0x7fff3000, 0xd000, VMK_MEM_ACPI_RECLAIM);
	fm_expect(f, 6, 0xfee00000, 0x1000, VMK_MEM_RESERVED);
	assert_true(fm_has(f, VMK_FWMAP_WARN, 8, "zero-length"));
	free(f);
}

/* 6.x kernels: new names, [gap] lines, a size column; journalctl prefixes. */
static void test_text_new(void **state)
{
	struct fm *f = fm_new(32);
	const char *text =
		"Jun 12 10:49:44 host kernel: BIOS-e820: [gap 0x0000000000000000-0x0000000000000fff]\n"
		"Jun 12 10:49:44 host kernel: BIOS-e820: [mem 0x0000000000001000-0x000000000009fbff] System RAM\n"
		"Jun 12 10:49:44 host kernel: BIOS-e820: [mem 0x000000000009fc00-0x000000000009ffff]    1   KB device reserved\n"
		"Jun 12 10:49:44 host kernel: BIOS-e820: [gap 0x00000000000a0000-0x00000000000effff]\n"
		"Jun 12 10:49:44 host kernel: BIOS-e820: [mem 0x0000000000100000-0x000000007ffdffff]  1.9 GB kernel usable RAM\n"
		"Jun 12 10:49:44 host kernel: BIOS-e820: [mem 0x000000fd00000000-0x000000ffffffffff]   12   GB device reserved\n"
		"Jun 12 10:49:44 host kernel: BIOS-e820: [mem 0x0000010000000000-0x0000010000000fff] persistent RAM (type 12)\n"
		"[Thu Jun 12 10:49:44 2025] BIOS-e820: [mem 0x0000020000000000-0x0000020000000fff]    8   KB ACPI tables\n";

	(void)state;
	FM_PARSE_TEXT(f, vmk_fwmap_parse_e820_text, text, 0);
	assert_int_equal(f->m.n, 6);
	fm_expect(f, 0, 0x1000, 0x9ec00, VMK_MEM_USABLE);
	fm_expect(f, 1, 0x9fc00, 0x400, VMK_MEM_RESERVED);
	fm_expect(f, 2, 0x100000, 0x7fee0000, VMK_MEM_USABLE);
	fm_expect(f, 3, 0xfd00000000ull, 0x300000000ull, VMK_MEM_RESERVED);
	fm_expect(f, 4, 0x10000000000ull, 0x1000, VMK_MEM_PERSISTENT);
	fm_expect(f, 5, 0x20000000000ull, 0x1000, VMK_MEM_ACPI_RECLAIM);
	/* The size column of the last line says 8 KB for a 4 KiB range. */
	assert_true(fm_has(f, VMK_FWMAP_WARN, 8, "size column"));
	assert_int_equal(f->d.warnings, 1);
	free(f);
}

/* Edit lines are applied in order, as the kernel did. */
static void test_text_edits(void **state)
{
	struct fm *f = fm_new(32);
	const char *text =
		"BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable\n"
		"BIOS-e820: [mem 0x0000000000100000-0x00000000bfffffff] usable\n"
		"BIOS-e820: [mem 0x00000000c0000000-0x00000000c00fffff] reserved\n"
		"e820: update [mem 0x00000000-0x00000fff] usable ==> reserved\n"
		"e820: remove [mem 0x000a0000-0x000fffff] usable\n"
		"e820: update [mem 0x10000000-0x10000fff] usable ==> reserved\n"
		"e820: update [mem 0x7ff5b018-0x7ff6b057] usable ==> usable\n"
		"e820: remove [mem 0xc0080000-0xc00fffff]\n"
		"e820: update [mem 0x00000000-0x0000ffff] ACPI NVS ==> usable\n";

	(void)state;
	FM_PARSE_TEXT(f, vmk_fwmap_parse_e820_text, text, 0);
	assert_int_equal(vmk_fwmap_sanitize(&f->m, NULL, &f->d), 0);
	assert_int_equal(f->m.n, 6);
	fm_expect(f, 0, 0x0, 0x1000, VMK_MEM_RESERVED);
	assert_int_equal(f->m.e[0].src, 4);
	fm_expect(f, 1, 0x1000, 0x9f000, VMK_MEM_USABLE);
	fm_expect(f, 2, 0x100000, 0x10000000 - 0x100000, VMK_MEM_USABLE);
	fm_expect(f, 3, 0x10000000, 0x1000, VMK_MEM_RESERVED);
	fm_expect(f, 4, 0x10001000, 0xc0000000 - 0x10001000, VMK_MEM_USABLE);
	/* The reserved range lost its top half to the untyped remove. */
	fm_expect(f, 5, 0xc0000000, 0x80000, VMK_MEM_RESERVED);
	free(f);
	f = fm_new(32);
	FM_PARSE_TEXT(f, vmk_fwmap_parse_e820_text, text, 0);
	assert_true(vmk_fwmap_bytes(&f->m, VMK_MEM_RESERVED) == 0x1000 + 0x1000 + 0x80000);
	free(f);
}

/* Every shape of e820__range_remove: whole entry, low part, split, and a split with the map full. */
static void test_text_remove_shapes(void **state)
{
	struct fm *f = fm_new(32);
	const char *text =
		"BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable\n"
		"BIOS-e820: [mem 0x0000000000100000-0x00000000001fffff] reserved\n"
		"BIOS-e820: [mem 0x0000000000200000-0x000000003fffffff] usable\n"
		"e820: remove [mem 0x00100000-0x001fffff] reserved\n"
		"e820: remove [mem 0x00000000-0x00000fff] usable\n"
		"e820: remove [mem 0x10000000-0x10000fff] usable\n";
	const char *full =
		"BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable\n"
		"BIOS-e820: [mem 0x0000000000100000-0x000000003fffffff] usable\n"
		"e820: remove [mem 0x10000000-0x10000fff] usable\n";

	(void)state;
	FM_PARSE_TEXT(f, vmk_fwmap_parse_e820_text, text, 0);
	assert_int_equal(vmk_fwmap_sanitize(&f->m, NULL, &f->d), 0);
	assert_int_equal(f->m.n, 3);
	fm_expect(f, 0, 0x1000, 0x9f000, VMK_MEM_USABLE);
	fm_expect(f, 1, 0x200000, 0x10000000 - 0x200000, VMK_MEM_USABLE);
	fm_expect(f, 2, 0x10001000, 0x40000000 - 0x10001000, VMK_MEM_USABLE);
	assert_true(vmk_fwmap_bytes(&f->m, VMK_MEM_RESERVED) == 0);
	free(f);
	/* Two slots, both used: the split needs a third and fails naming the line. */
	f = fm_new(2);
	FM_PARSE_TEXT(f, vmk_fwmap_parse_e820_text, full, -VMK_ENOSPC);
	assert_true(fm_has(f, VMK_FWMAP_ERR, 3, "splitting an entry"));
	free(f);
}

/* The names Linux 2.6 to 4.x printed for types 12 and 7 ("persistent memory ...") read back. */
static void test_text_persistent_names(void **state)
{
	struct fm *f = fm_new(8);
	const char *text =
		"BIOS-e820: [mem 0x0000000000001000-0x0000000000001fff] persistent memory (legacy)\n"
		"BIOS-e820: [mem 0x0000000000002000-0x0000000000002fff] persistent memory\n";

	(void)state;
	FM_PARSE_TEXT(f, vmk_fwmap_parse_e820_text, text, 0);
	assert_int_equal(f->m.n, 2);
	assert_int_equal(f->m.e[0].fw_type, VMK_E820_PRAM);
	assert_int_equal(f->m.e[1].fw_type, VMK_E820_PMEM);
	fm_expect(f, 0, 0x1000, 0x1000, VMK_MEM_PERSISTENT);
	fm_expect(f, 1, 0x2000, 0x1000, VMK_MEM_PERSISTENT);
	free(f);
}

/* The 2.6 forms of the edit lines. */
static void test_text_old_edits(void **state)
{
	struct fm *f = fm_new(32);
	const char *text =
		" BIOS-e820: 0000000000000000 - 00000000000a0000 (usable)\n"
		" BIOS-e820: 0000000000100000 - 0000000040000000 (usable)\n"
		"e820 update range: 0000000000000000 - 0000000000010000 (usable) ==> (reserved)\n"
		"e820 remove range: 00000000000a0000 - 0000000000100000 (usable)\n"
		"e820 remove range: 0000000020000000 - 0000000020001000 (usable)\n";

	(void)state;
	FM_PARSE_TEXT(f, vmk_fwmap_parse_e820_text, text, 0);
	assert_int_equal(vmk_fwmap_sanitize(&f->m, NULL, NULL), 0);
	assert_int_equal(f->m.n, 4);
	fm_expect(f, 0, 0x0, 0x10000, VMK_MEM_RESERVED);
	fm_expect(f, 1, 0x10000, 0x90000, VMK_MEM_USABLE);
	fm_expect(f, 2, 0x100000, 0x20000000 - 0x100000, VMK_MEM_USABLE);
	fm_expect(f, 3, 0x20001000, 0x40000000 - 0x20001000, VMK_MEM_USABLE);
	free(f);
}

/* A "modified"/"user" map replaces what was read; a second BIOS map is a second boot. */
static void test_text_blocks(void **state)
{
	struct fm *f = fm_new(32);
	const char *text =
		"BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable\n"
		"BIOS-e820: [mem 0x0000000000100000-0x00000000bfffffff] usable\n"
		"e820: user-defined physical RAM map:\n"
		"user: [mem 0x0000000000000000-0x000000000009ffff] usable\n"
		"user: [mem 0x0000000000100000-0x000000003fffffff] usable\n"
		"user: [mem 0x0000000040000000-0x000000004fffffff] persistent (type 12)\n"
		"user: this line is not a map line\n";
	const char *two_boots =
		"BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable\n"
		"Linux version 6.1\n"
		"BIOS-e820: [mem 0x0000000000000000-0x000000000007ffff] usable\n"
		"BIOS-e820: [mem 0x0000000000080000-0x000000000009ffff] reserved\n";

	(void)state;
	FM_PARSE_TEXT(f, vmk_fwmap_parse_e820_text, text, 0);
	assert_int_equal(f->m.n, 3);
	fm_expect(f, 1, 0x100000, 0x3ff00000, VMK_MEM_USABLE);
	fm_expect(f, 2, 0x40000000, 0x10000000, VMK_MEM_PERSISTENT);
	assert_true(fm_has(f, VMK_FWMAP_INFO, 4, "replaces"));
	vmk_fwmap_clear(&f->m);
	FM_PARSE_TEXT(f, vmk_fwmap_parse_e820_text, two_boots, 0);
	assert_int_equal(f->m.n, 2);
	fm_expect(f, 0, 0, 0x80000, VMK_MEM_USABLE);
	assert_true(fm_has(f, VMK_FWMAP_WARN, 3, "another BIOS-e820 map"));
	free(f);
}

static const struct {
	const char *line;
	const char *msg;
} bad_lines[] = {
	{ "BIOS-e820: [mem 0x2000-0x0fff] usable", "below its start" },
	{ "BIOS-e820: [mem 0xzz-0x0fff] usable", "malformed BIOS-e820 range" },
	{ "BIOS-e820: [mem 0x1000-0x1fff usable", "malformed BIOS-e820 range" },
	{ "BIOS-e820: [mem 0x1000-0x1fff] bogus", "unknown memory type \"bogus\"" },
	{ "BIOS-e820: [mem 0x1000-0x1fff] usable trailing", "unknown memory type" },
	{ "BIOS-e820: [mem 0x1000-0x1fff] type", "unknown memory type" },
	{ "BIOS-e820: [mem 0x1000-0x1fff] type 99999999999", "unknown memory type" },
	{ "BIOS-e820: hello", "without a memory range" },
	{ "BIOS-e820: 0000000000002000 - 0000000000001000 (usable)", "below its start" },
	{ "BIOS-e820: 0000000000001000 - (usable)", "malformed" },
	{ "BIOS-e820: [mem 0x0000000000000000-0xffffffffffffffff] reserved", "all 2^64" },
	{ "BIOS-e820: [mem 0x10000000000000000-0x1] usable", "malformed" },
	{ "BIOS-e820: [gap 0x2000-0x1000]", "gap end" },
	{ "BIOS-e820: [gap 0x1000-0x2000] usable", "after a gap" },
	{ "e820: update [mem 0x1000-0x1fff] usable reserved", "expected" },
	{ "e820: update [mem 0x1000-0x1fff] usable ==> nothing", "expected" },
	{ "e820: update [mem 0x1000-0x1fff] wrong ==> usable", "unknown memory type" },
	{ "e820: update [mem 0x2000-0x1fff] usable ==> reserved", "malformed range" },
	{ "e820: remove [mem 0x1000-0x1fff] usable extra", "unexpected text" },
	{ "e820 remove range: 01 - (usable)", "malformed range" },
	{ "user: [mem 0x1000-] usable", "malformed user range" },
	{ "BIOS-e820: 0000000000001000 - 0000000000002000 (usable", "unknown memory type" },
	{ "BIOS-e820: [mem 0x1000-0x1fff] persistent (type 99999999999)", "unknown memory type" },
};

/* Every malformed line is an error naming its line; the map stays as it was. */
static void test_text_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < VMK_ARRAY_SIZE(bad_lines); i++) {
		struct fm *f = fm_new(8);
		char text[512];

		assert_int_equal(vmk_fwmap_add(&f->m, 0x5000, 0x1000, VMK_MEM_NOMAP, 0), 0);
		snprintf(text, sizeof(text),
			 "BIOS-e820: [mem 0x0000000000000000-0x0000000000000fff] usable\n"
			 "some other line\n%s\n", bad_lines[i].line);
		if (vmk_fwmap_parse_e820_text(&f->m, text, strlen(text), &f->d) != -VMK_EPARSE) {
			fm_dump(f);
			fail_msg("line \"%s\" was accepted", bad_lines[i].line);
		}
		if (!fm_has(f, VMK_FWMAP_ERR, 3, bad_lines[i].msg)) {
			fm_dump(f);
			fail_msg("line \"%s\": no error at line 3 saying \"%s\"", bad_lines[i].line,
				 bad_lines[i].msg);
		}
		assert_int_equal(f->m.n, 1);
		fm_expect(f, 0, 0x5000, 0x1000, VMK_MEM_NOMAP);
		assert_int_equal(f->m.format, VMK_FWMAP_FMT_NONE);
		free(f);
	}
}

static void test_text_misc(void **state)
{
	struct fm *f = fm_new(2);
	const char *three =
		"BIOS-e820: [mem 0x0000000000000000-0x0000000000000fff] usable\n"
		"BIOS-e820: [mem 0x0000000000001000-0x0000000000001fff] reserved\n"
		"BIOS-e820: [mem 0x0000000000002000-0x0000000000002fff] usable\n";
	const char *split =
		"BIOS-e820: [mem 0x0000000000000000-0x0000000000ffffff] usable\n"
		"e820: update [mem 0x00100000-0x00100fff] usable ==> reserved\n";
	const char *unknown =
		"BIOS-e820: [mem 0x0000000000000000-0x0000000000000fff] Unknown E820 type\n"
		"e820: update [mem 0x00000000-0x00000fff] usable ==> reserved\n";

	(void)state;
	/* Not an E820 text at all. */
	FM_PARSE_TEXT(f, vmk_fwmap_parse_e820_text, "hello\nworld\n", -VMK_ENOENT);
	assert_true(fm_has(f, VMK_FWMAP_ERR, 0, "no E820 map line"));
	/* Full map: ENOSPC, unchanged. */
	FM_PARSE_TEXT(f, vmk_fwmap_parse_e820_text, three, -VMK_ENOSPC);
	assert_int_equal(f->m.n, 0);
	/* A split by an edit line needs room too. */
	f->m.cap = 2;
	FM_PARSE_TEXT(f, vmk_fwmap_parse_e820_text, split, -VMK_ENOSPC);
	assert_int_equal(f->m.n, 0);
	free(f);
	f = fm_new(8);
	FM_PARSE_TEXT(f, vmk_fwmap_parse_e820_text, split, 0);
	assert_int_equal(f->m.n, 3);
	/* Linux's "Unknown E820 type": reserved, with a warning; an edit before any map. */
	vmk_fwmap_clear(&f->m);
	FM_PARSE_TEXT(f, vmk_fwmap_parse_e820_text, unknown, 0);
	fm_expect(f, 0, 0, 0x1000, VMK_MEM_RESERVED);
	assert_true(fm_has(f, VMK_FWMAP_WARN, 1, "unknown E820 type"));
	vmk_fwmap_clear(&f->m);
	FM_PARSE_TEXT(f, vmk_fwmap_parse_e820_text,
		      "e820: remove [mem 0x000a0000-0x000fffff] usable\n"
		      "BIOS-e820: [mem 0x0000000000000000-0x0000000000000fff] usable\n", 0);
	assert_true(fm_has(f, VMK_FWMAP_WARN, 1, "before any map line"));
	/* NULL text with a length. */
	assert_int_equal(vmk_fwmap_parse_e820_text(&f->m, NULL, 5, NULL), -VMK_EINVAL);
	free(f);
}

static void test_type_names(void **state)
{
	char buf[48];

	(void)state;
	assert_string_equal(vmk_e820_type_name(1, buf, sizeof(buf)), "usable");
	assert_string_equal(vmk_e820_type_name(2, buf, sizeof(buf)), "reserved");
	assert_string_equal(vmk_e820_type_name(3, buf, sizeof(buf)), "ACPI data");
	assert_string_equal(vmk_e820_type_name(4, buf, sizeof(buf)), "ACPI NVS");
	assert_string_equal(vmk_e820_type_name(5, buf, sizeof(buf)), "unusable");
	assert_string_equal(vmk_e820_type_name(7, buf, sizeof(buf)), "persistent (type 7)");
	assert_string_equal(vmk_e820_type_name(12, buf, sizeof(buf)), "persistent (type 12)");
	assert_string_equal(vmk_e820_type_name(0xefffffff, buf, sizeof(buf)), "soft reserved");
	assert_string_equal(vmk_e820_type_name(6, buf, sizeof(buf)), "type 6");
	assert_int_equal(vmk_e820_kind(6), VMK_MEM_UNUSABLE);
	assert_int_equal(vmk_e820_kind(0), VMK_MEM_RESERVED);
	assert_int_equal(vmk_e820_kind(0xffffffffu), VMK_MEM_RESERVED);
}

/* What render_e820 prints, parse_e820_text reads back. */
static void test_render_roundtrip(void **state)
{
	struct fm *f = fm_new(32), *g = fm_new(32);
	struct fm_text t;
	static const uint32_t kinds[] = {
		VMK_MEM_USABLE, VMK_MEM_RESERVED, VMK_MEM_ACPI_RECLAIM, VMK_MEM_ACPI_NVS,
		VMK_MEM_UNUSABLE, VMK_MEM_PERSISTENT, VMK_MEM_SOFT_RESERVED, VMK_MEM_MMIO,
	};

	(void)state;
	for (size_t i = 0; i < VMK_ARRAY_SIZE(kinds); i++)
		assert_int_equal(vmk_fwmap_add(&f->m, 0x100000 * i, 0x1000 * (i + 1), kinds[i], 0), 0);
	fm_text_init(&t);
	vmk_fwmap_render_e820(&f->m, &t.out, NULL);
	assert_non_null(strstr(t.s, "BIOS-e820: [mem 0x0000000000000000-0x0000000000000fff] usable\n"));
	assert_non_null(strstr(t.s, "[mem 0x0000000000600000-0x0000000000606fff] soft reserved\n"));
	FM_PARSE_TEXT(g, vmk_fwmap_parse_e820_text, t.s, 0);
	assert_int_equal(g->m.n, f->m.n);
	for (size_t i = 0; i < f->m.n; i++) {
		uint32_t k = kinds[i] == VMK_MEM_MMIO ? VMK_MEM_RESERVED : kinds[i];

		fm_expect(g, i, f->m.e[i].base, f->m.e[i].size, k);
	}
	free(t.s);
	free(f);
	free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_e820_bin20),
		cmocka_unit_test(test_text_remove_shapes),
		cmocka_unit_test(test_text_persistent_names),
		cmocka_unit_test(test_e820_bin24),
		cmocka_unit_test(test_e820_bin_errors),
		cmocka_unit_test(test_text_classic),
		cmocka_unit_test(test_text_old),
		cmocka_unit_test(test_text_new),
		cmocka_unit_test(test_text_edits),
		cmocka_unit_test(test_text_old_edits),
		cmocka_unit_test(test_text_blocks),
		cmocka_unit_test(test_text_errors),
		cmocka_unit_test(test_text_misc),
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_render_roundtrip),
	};

	vmk_sim_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
