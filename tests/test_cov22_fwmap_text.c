/*
 * Text forms of firmware maps, the inputs no other test gave: E820 size
 * columns with tenths and unknown units, type names ended by ',' or run
 * into other text, "(type N)" out of range, several malformed lines in one
 * text (each named at its own line, the map unchanged), an update that
 * keeps only the left piece of an entry; EFI type=/attr= columns out of
 * range or with trailing text, 3.x fields malformed one at a time, lines
 * without the (NMB) trailer, wrapped entries that cannot be joined, a lone
 * "*" line, undefined types without attributes; memblock dumps and
 * debugfs lines cut at every field.
 */
#include "fwmap_test.h"

#define E820(r, t) "BIOS-e820: [mem " r "] " t "\n"

/* Parse text into a fresh map of cap entries; returns it (caller frees). */
static struct fm *parse(int (*fn)(struct vmk_fwmap *, const char *, size_t, struct vmk_fwmap_diag *),
			const char *text, int want)
{
	struct fm *f = fm_new(16);
	int r = fn(&f->m, text, strlen(text), &f->d);

	if (r != want) {
		fm_dump(f);
		fail_msg("\"%s\": returned %d, expected %d", text, r, want);
	}
	return f;
}

static void expect_err(int (*fn)(struct vmk_fwmap *, const char *, size_t, struct vmk_fwmap_diag *),
		       const char *text, uint32_t line, const char *msg)
{
	struct fm *f = parse(fn, text, -VMK_EPARSE);

	if (!fm_has(f, VMK_FWMAP_ERR, line, msg)) {
		fm_dump(f);
		fail_msg("\"%s\": no error at line %u with \"%s\"", text, line, msg);
	}
	assert_int_equal(f->m.n, 0);
	free(f);
}

/* ---- E820 ---- */

static void test_e820_size_column(void **state)
{
	struct fm *f;

	(void)state;
	/* 1.5 KB for 1536 bytes, 2 MB, and a tenth that does not match (1.4 KB for 1536). */
	f = parse(vmk_fwmap_parse_e820_text,
		  E820("0x0000000000001000-0x00000000000015ff", " 1.5 KB usable")
		  E820("0x0000000000200000-0x00000000003fffff", "    2 MB usable")
		  E820("0x0000000000400000-0x00000000004005ff", " 1.4 KB reserved"), 0);
	assert_int_equal(f->m.n, 3);
	fm_expect(f, 0, 0x1000, 0x600, VMK_MEM_USABLE);
	fm_expect(f, 1, 0x200000, 0x200000, VMK_MEM_USABLE);
	fm_expect(f, 2, 0x400000, 0x600, VMK_MEM_RESERVED);
	assert_false(fm_has(f, VMK_FWMAP_WARN, 1, "size column"));
	assert_false(fm_has(f, VMK_FWMAP_WARN, 2, "size column"));
	assert_true(fm_has(f, VMK_FWMAP_WARN, 3, "size column does not match"));
	free(f);
	/* Not a size column (a '.' without a digit, a unit Linux never prints): the type parser refuses it. */
	expect_err(vmk_fwmap_parse_e820_text, E820("0x1000-0x1fff", "4.") , 1, "unknown memory type \"4.\"");
	expect_err(vmk_fwmap_parse_e820_text, E820("0x1000-0x1fff", "4.x KB usable"), 1, "unknown memory type");
	expect_err(vmk_fwmap_parse_e820_text, E820("0x1000-0x1fff", "4 PB usable"), 1, "unknown memory type \"4 PB usable\"");
}

static void test_e820_names(void **state)
{
	struct fm *f;

	(void)state;
	/* Old form: a name ends at ',' or ')'; "(type N)" after persistent. */
	f = parse(vmk_fwmap_parse_e820_text,
		  "BIOS-e820: 0000000000000000 - 0000000000001000 (type 13)\n"
		  "BIOS-e820: [mem 0x0000000000001000-0x0000000000001fff] persistent (type 12)\n"
		  "BIOS-e820: [mem 0x0000000000002000-0x0000000000002fff] persistent RAM (type 7)\n", 0);
	assert_int_equal(f->m.n, 3);
	assert_int_equal(f->m.e[0].fw_type, 13);
	fm_expect(f, 1, 0x1000, 0x1000, VMK_MEM_PERSISTENT);
	fm_expect(f, 2, 0x2000, 0x1000, VMK_MEM_PERSISTENT);
	free(f);
	expect_err(vmk_fwmap_parse_e820_text, E820("0x1000-0x1fff", "type 13x"), 1, "unknown memory type");
	expect_err(vmk_fwmap_parse_e820_text, E820("0x1000-0x1fff", "usablex"), 1, "unknown memory type");
	expect_err(vmk_fwmap_parse_e820_text, E820("0x1000-0x1fff", "Unknown E820 typex"), 1, "unknown memory type");
	expect_err(vmk_fwmap_parse_e820_text, E820("0x1000-0x1fff", "persistent (type 4294967296)"), 1,
		   "unknown memory type");
	expect_err(vmk_fwmap_parse_e820_text, E820("0x1000-0x1fff", "persistent (type 7"), 1, "unknown memory type");
	expect_err(vmk_fwmap_parse_e820_text, E820("0x1000-0x1fff", "persistent (type x)"), 1, "unknown memory type");
	/* "type N," (comma) is a word end: only then does the trailing text fail. */
	expect_err(vmk_fwmap_parse_e820_text, E820("0x1000-0x1fff", "type 13,"), 1, "unknown memory type \",\"");
	expect_err(vmk_fwmap_parse_e820_text, E820("0x1000-0x1fff", "type 4294967296"), 1, "unknown memory type");
	/* A strict name with nothing after the colon. */
	expect_err(vmk_fwmap_parse_e820_text, "BIOS-e820:\n", 1, "without a memory range");
}

/* Several bad lines in one text: each is named at its line (the first error does not hide the others). */
static void test_e820_many_errors(void **state)
{
	static const struct {
		const char *line, *msg;
	} bad[] = {
		{ "BIOS-e820: [mem 0x2000-0x0fff] usable", "below its start" },
		{ "BIOS-e820: [mem 0x0000000000000000-0xffffffffffffffff] reserved", "all 2^64" },
		{ "BIOS-e820: [gap 0x2000-0x1000]", "gap end" },
		{ "BIOS-e820: [gap 0x1000-0x2000] usable", "after a gap" },
		{ "BIOS-e820: 0000000000002000 - 0000000000001000 (usable)", "range end is below its start" },
		{ "BIOS-e820: 0000000000001000 - (usable)", "malformed BIOS-e820 range" },
		{ "BIOS-e820: [mem 0x1000-0x1fff] bogus", "unknown memory type" },
		{ "e820: update [mem 0x1000-0x1fff] wrong ==> usable", "unknown memory type in an e820 update" },
		{ "e820: remove [mem 0x1000-0x1fff] wrong", "unknown memory type in an e820 remove" },
		{ "e820: update [mem 0x1000-0x1fff] usable reserved", "expected" },
		{ "e820: remove [mem 0x1000-0x1fff] usable extra", "unexpected text" },
		{ "e820 update range: 0000000000002000 - 0000000000001000 (usable) ==> (reserved)",
		  "malformed range in an e820 update" },
		{ "e820: update [mem 0x1000-0x1fff] usable ==> reserved", NULL },	/* valid, skipped after errors */
	};
	char text[4096];
	size_t o = 0;
	struct fm *f = fm_new(8);

	(void)state;
	assert_int_equal(vmk_fwmap_add(&f->m, 0x5000, 0x1000, VMK_MEM_NOMAP, 0), 0);
	o += (size_t)snprintf(text + o, sizeof(text) - o, E820("0x0000000000000000-0x0000000000ffffff", "usable"));
	for (size_t i = 0; i < VMK_ARRAY_SIZE(bad); i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "%s\n", bad[i].line);
	assert_int_equal(vmk_fwmap_parse_e820_text(&f->m, text, o, &f->d), -VMK_EPARSE);
	for (size_t i = 0; i < VMK_ARRAY_SIZE(bad); i++) {
		if (!bad[i].msg)
			continue;
		if (!fm_has(f, VMK_FWMAP_ERR, (uint32_t)(i + 2), bad[i].msg)) {
			fm_dump(f);
			fail_msg("no error at line %zu with \"%s\"", i + 2, bad[i].msg);
		}
	}
	assert_int_equal(f->d.errors, VMK_ARRAY_SIZE(bad) - 1);
	assert_int_equal(f->m.n, 1);
	fm_expect(f, 0, 0x5000, 0x1000, VMK_MEM_NOMAP);
	free(f);
}

/* An update over the tail of an entry keeps the head (only a left piece is split off). */
static void test_e820_update_tail(void **state)
{
	struct fm *f;

	(void)state;
	f = parse(vmk_fwmap_parse_e820_text,
		  E820("0x0000000000000000-0x0000000000003fff", "usable")
		  "e820: update [mem 0x00002000-0x00005fff] usable ==> reserved\n", 0);
	assert_int_equal(f->m.n, 2);
	fm_expect(f, 0, 0x2000, 0x2000, VMK_MEM_RESERVED);
	fm_expect(f, 1, 0, 0x2000, VMK_MEM_USABLE);
	free(f);
}

/* ---- EFI ---- */

#define EFI_OK "efi: mem00: type=7, attr=0xf, range=[0x100000-0x200000) (1MB)\n"

static void test_efi_fields(void **state)
{
	static const struct {
		const char *line, *msg;
	} bad[] = {
		{ "efi: mem01: [type=4294967296|attr=0x0] range=[0x0-0x1000) (0MB)", "[type|attributes]" },
		{ "efi: mem01: [type=16x|attr=0x0] range=[0x0-0x1000) (0MB)", "[type|attributes]" },
		{ "efi: mem01: [type=16|attr=0x10z] range=[0x0-0x1000) (0MB)", "[type|attributes]" },
		{ "efi: mem01: [Conventional|WB", "[type|attributes]" },
		{ "efi: mem01: type=4294967296, attr=0xf, range=[0x0-0x1000) (0MB)", "type=/attr=/range=" },
		{ "efi: mem01: type=7, attr=0xz, range=[0x0-0x1000) (0MB)", "type=/attr=/range=" },
		{ "efi: mem01: type=7, attr=0xf, rang=[0x0-0x1000) (0MB)", "type=/attr=/range=" },
		{ "efi: mem01: type=7, attr=0xf, range=[0x0-0x1000) 0MB)", "(NMB)" },
		{ "efi: mem01: type=7, attr=0xf, range=[0x0-0x1000) (0", "(NMB)" },
	};

	(void)state;
	for (size_t i = 0; i < VMK_ARRAY_SIZE(bad); i++) {
		char text[512];

		snprintf(text, sizeof(text), EFI_OK "%s\n", bad[i].line);
		expect_err(vmk_fwmap_parse_efi_text, text, 2, bad[i].msg);
	}
}

static void test_efi_lenient(void **state)
{
	struct fm *f;

	(void)state;
	/* No (NMB) trailer: accepted, nothing to compare. */
	f = parse(vmk_fwmap_parse_efi_text, "efi: mem00: type=7, attr=0xf, range=[0x1000-0x3000)\n", 0);
	fm_expect(f, 0, 0x1000, 0x2000, VMK_MEM_USABLE);
	assert_int_equal(f->d.warnings, 0);
	free(f);
	/*
	 * arm64's block: a lone "*" line is skipped; an entry whose
	 * continuation holds another '[' or no ']' is not joined (and is then
	 * malformed), an entry cut on the last line neither.
	 */
	f = parse(vmk_fwmap_parse_efi_text,
		  "efi: Processing EFI memory map:\n"
		  "efi:   0x000040000000-0x00004000ffff [Conventional Memory|   |  |  |  |  |  |  |   |WB|WT|WC|UC]\n"
		  "*\n"
		  "efi:   0x000050000000-0x00005000ffff [Conventional Memory|   |  |  |  |  |  |  |   |WB|WT|WC|UC]\n",
		  0);
	assert_int_equal(f->m.n, 2);
	fm_expect(f, 1, 0x50000000, 0x10000, VMK_MEM_USABLE);
	free(f);
	f = parse(vmk_fwmap_parse_efi_text,
		  "efi: Processing EFI memory map:\n"
		  "efi:   0x000040000000-0x00004000ffff [Conventional Memory|   |  |  |\n"
		  "efi:   0x000050000000-0x00005000ffff [Conventional Memory|   |  |  |  |  |  |  |   |WB|WT|WC|UC]\n",
		  -VMK_EPARSE);
	assert_true(fm_has(f, VMK_FWMAP_ERR, 2, "[type|attributes]"));
	free(f);
	f = parse(vmk_fwmap_parse_efi_text,
		  "efi: Processing EFI memory map:\n"
		  "efi:   0x000040000000-0x00004000ffff [Conventional Memory|   |  |  |\n"
		  "  |  |  |  |   |WB|WT\n", -VMK_EPARSE);
	assert_true(fm_has(f, VMK_FWMAP_ERR, 2, "[type|attributes]"));
	free(f);
	f = parse(vmk_fwmap_parse_efi_text,
		  "efi: Processing EFI memory map:\n"
		  "efi:   0x000040000000-0x00004000ffff [Conventional Memory|   |  |  |\n"
		  "\n", -VMK_EPARSE);
	assert_true(fm_has(f, VMK_FWMAP_ERR, 2, "[type|attributes]"));
	free(f);
	f = parse(vmk_fwmap_parse_efi_text,
		  "efi: Processing EFI memory map:\n"
		  "efi:   0x000040000000-0x00004000ffff [Conventional Memory|   |  |  |", -VMK_EPARSE);
	free(f);
	/* 3.x arm64 without attribute columns, an undefined type: reserved, no attribute assumed. */
	f = parse(vmk_fwmap_parse_efi_text, "efi:   0x000060000000-0x000060000fff [type=99]\n", 0);
	assert_int_equal(f->m.n, 1);
	fm_expect(f, 0, 0x60000000, 0x1000, VMK_MEM_RESERVED);
	assert_int_equal(f->m.e[0].attr, 0);
	assert_true(fm_has(f, VMK_FWMAP_WARN, 1, "undefined memory type 99"));
	free(f);
}

/* ---- memblock ---- */

#define MB_HDR "MEMBLOCK configuration:\n"
#define MB_OK " memory[0x0]\t[0x1000-0x1fff], 0x1000 bytes flags: 0x0\n"

static void test_memblock_dump_fields(void **state)
{
	static const char *const bad[] = {
		" memory[0x1]\t0x3000-0x3fff], 0x1000 bytes flags: 0x0",	/* no '[' */
		" memory[0x1]\t[0xz-0x3fff], 0x1000 bytes flags: 0x0",
		" memory[0x1]\t[0x3000 0x3fff], 0x1000 bytes flags: 0x0",	/* no '-' */
		" memory[0x1]\t[0x3000-0xz], 0x1000 bytes flags: 0x0",
		" memory[0x1]\t[0x3000-0x3fff, 0x1000 bytes flags: 0x0",	/* no ']' */
		" memory[0x1]\t[0x3000-0x3fff], 0x1000 bytes",			/* no flags */
		" memory[0x1]\t[0x3000-0x3fff], 0x1000 bytes flags: z",
	};

	(void)state;
	for (size_t i = 0; i < VMK_ARRAY_SIZE(bad); i++) {
		char text[512];

		snprintf(text, sizeof(text), MB_HDR MB_OK "%s\n reserved.cnt = 0x0\n", bad[i]);
		expect_err(vmk_fwmap_parse_memblock_dump, text, 3, "malformed");
	}
}

/* Lines that look like a region or a count but are not one are skipped. */
static void test_memblock_dump_other_lines(void **state)
{
	struct fm *f;

	(void)state;
	f = parse(vmk_fwmap_parse_memblock_dump,
		  MB_HDR
		  " memory[zz]\tsomething else\n"		/* index not hex: not a region line */
		  " memory[0x7 without a bracket\n"
		  " memory.cnt without an equals sign\n"
		  " memory.cnt = 0x1\n"
		  MB_OK
		  " reserved.cnt = 0x0\n", 0);
	assert_int_equal(f->m.n, 1);
	fm_expect(f, 0, 0x1000, 0x1000, VMK_MEM_USABLE);
	free(f);
}

static void test_memblock_debugfs_fields(void **state)
{
	struct fm *f;

	(void)state;
	/* "N: 0x..." without a node column; an "x" node; a trailing empty flag column. */
	f = parse(vmk_fwmap_parse_memblock_debugfs,
		  "memory:\n"
		  "   0: 0x0000000000001000..0x0000000000001fff\n"
		  "   1: 0x0000000000003000..0x0000000000003fff x NOMAP\n"
		  "   2: 0x0000000000005000..0x0000000000005fff 0 NONE\n", 0);
	assert_int_equal(f->m.n, 3);
	fm_expect(f, 0, 0x1000, 0x1000, VMK_MEM_USABLE);
	fm_expect(f, 1, 0x3000, 0x1000, VMK_MEM_NOMAP);
	fm_expect(f, 2, 0x5000, 0x1000, VMK_MEM_USABLE);
	free(f);
	/* Field by field malformed: a node that is no number, a bad range. */
	expect_err(vmk_fwmap_parse_memblock_debugfs, "memory:\n   0: 0x1000..0x1fff y NOMAP\n", 2, "malformed");
	expect_err(vmk_fwmap_parse_memblock_debugfs, "memory:\n   0: 0xz..0x1fff\n", 2, "malformed");
	expect_err(vmk_fwmap_parse_memblock_debugfs, "memory:\n   0: 0x1000-0x1fff..\n", 2, "malformed");
	/* "N:" then no 0x, or no number before ':': not region lines at all. */
	f = parse(vmk_fwmap_parse_memblock_debugfs,
		  "memory:\n   0: none..here\n   a: 0x1000..0x1fff\n   1: 0x0000000000001000..0x0000000000001fff\n", 0);
	assert_int_equal(f->m.n, 1);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_e820_size_column),
		cmocka_unit_test(test_e820_names),
		cmocka_unit_test(test_e820_many_errors),
		cmocka_unit_test(test_e820_update_tail),
		cmocka_unit_test(test_efi_fields),
		cmocka_unit_test(test_efi_lenient),
		cmocka_unit_test(test_memblock_dump_fields),
		cmocka_unit_test(test_memblock_dump_other_lines),
		cmocka_unit_test(test_memblock_debugfs_fields),
	};

	vmk_sim_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
