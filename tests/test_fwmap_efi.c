/* UEFI memory map: binary descriptors, the size guess, Linux's efi: text. */
#include "fwmap_test.h"

/* Expected kind of every standard type (UEFI 2.10 table 7.10, see efi_types.c). */
static const uint32_t type_kind[16] = {
	VMK_MEM_RESERVED, VMK_MEM_BOOTLOADER, VMK_MEM_BOOTLOADER, VMK_MEM_BOOT_SERVICES,
	VMK_MEM_BOOT_SERVICES, VMK_MEM_RUNTIME_CODE, VMK_MEM_RUNTIME_DATA, VMK_MEM_USABLE,
	VMK_MEM_UNUSABLE, VMK_MEM_ACPI_RECLAIM, VMK_MEM_ACPI_NVS, VMK_MEM_MMIO,
	VMK_MEM_MMIO_PORT, VMK_MEM_PAL_CODE, VMK_MEM_PERSISTENT, VMK_MEM_UNACCEPTED,
};

static void test_kinds(void **state)
{
	(void)state;
	for (uint32_t t = 0; t < 16; t++)
		assert_int_equal(vmk_efi_kind(t, 0), type_kind[t]);
	assert_int_equal(vmk_efi_kind(VMK_EFI_CONVENTIONAL, VMK_EFI_MEMORY_SP), VMK_MEM_SOFT_RESERVED);
	assert_int_equal(vmk_efi_kind(VMK_EFI_BOOT_SERVICES_DATA, VMK_EFI_MEMORY_SP),
			 VMK_MEM_BOOT_SERVICES);
	assert_int_equal(vmk_efi_kind(16, 0), VMK_MEM_RESERVED);
	assert_int_equal(vmk_efi_kind(0x70000000u, 0), VMK_MEM_RESERVED);
	assert_int_equal(vmk_efi_kind(0x80000005u, 0), VMK_MEM_RESERVED);
	/* Usable after ExitBootServices: Conventional, Loader*, BootServices*. */
	for (uint32_t t = 0; t < 16; t++) {
		bool want = t == 1 || t == 2 || t == 3 || t == 4 || t == 7;

		assert_int_equal(vmk_mem_kind_usable_after_ebs(vmk_efi_kind(t, 0)), want);
	}
	assert_string_equal(vmk_efi_type_name(7), "EfiConventionalMemory");
	assert_string_equal(vmk_efi_type_name(15), "EfiUnacceptedMemoryType");
	assert_string_equal(vmk_efi_type_name(16), "EfiUndefined");
	assert_string_equal(vmk_efi_type_name(0x7fffffffu), "EfiOemType");
	assert_string_equal(vmk_efi_type_name(0x80000000u), "EfiOsType");
	assert_string_equal(vmk_efi_type_linux_name(4), "Boot Data");
	assert_null(vmk_efi_type_linux_name(16));
}

static void test_attr_string(void **state)
{
	char buf[256];

	(void)state;
	assert_string_equal(vmk_efi_attr_string(0, buf, sizeof(buf)), "");
	assert_string_equal(vmk_efi_attr_string(0x800000000000000full, buf, sizeof(buf)),
			    "UC|WC|WT|WB|RUNTIME");
	assert_string_equal(vmk_efi_attr_string(VMK_EFI_MEMORY_UCE | VMK_EFI_MEMORY_WP |
						VMK_EFI_MEMORY_RP | VMK_EFI_MEMORY_XP |
						VMK_EFI_MEMORY_NV | VMK_EFI_MEMORY_MORE_RELIABLE |
						VMK_EFI_MEMORY_RO | VMK_EFI_MEMORY_SP |
						VMK_EFI_MEMORY_CPU_CRYPTO | VMK_EFI_MEMORY_HOT_PLUGGABLE,
						buf, sizeof(buf)),
			    "UCE|WP|RP|XP|NV|MORE_RELIABLE|RO|SP|CPU_CRYPTO|HOT_PLUGGABLE");
	assert_string_equal(vmk_efi_attr_string(VMK_EFI_MEMORY_ISA_VALID | ((uint64_t)0x12 << 44) |
						(1ull << 30), buf, sizeof(buf)),
			    "ISA_VALID|ISA=0x12|0x40000000");
	/* Truncation keeps the buffer terminated. */
	assert_string_equal(vmk_efi_attr_string(0xf, buf, 6), "UC|WC");
}

static void test_binary(void **state)
{
	static const size_t sizes[] = { 40, 48, 56, 136 };

	(void)state;
	for (size_t s = 0; s < VMK_ARRAY_SIZE(sizes); s++) {
		size_t ds = sizes[s], n = 0, got = 0;
		unsigned char *buf = calloc(24, ds);
		struct fm *f = fm_new(64);

		/* Every type, then OEM and OS types; garbage in the padding past 40 bytes. */
		for (uint32_t t = 0; t < 16; t++, n++)
			put_efi(buf + n * ds, ds, t, 0x100000ull * (n + 1), n + 1, VMK_EFI_MEMORY_WB);
		put_efi(buf + n * ds, ds, 0x70000001u, 0x100000ull * (n + 1), 1, 0);
		n++;
		put_efi(buf + n * ds, ds, 0x80000001u, 0x100000ull * (n + 1), 1, 0);
		n++;
		put_efi(buf + n * ds, ds, VMK_EFI_CONVENTIONAL, 0x100000ull * (n + 1), 2,
			VMK_EFI_MEMORY_SP | VMK_EFI_MEMORY_MORE_RELIABLE | VMK_EFI_MEMORY_XP |
			VMK_EFI_MEMORY_RO | VMK_EFI_MEMORY_NV);
		n++;
		put_efi(buf + n * ds, ds, VMK_EFI_RUNTIME_SERVICES_CODE, 0x100000ull * (n + 1), 2,
			VMK_EFI_MEMORY_RUNTIME | VMK_EFI_MEMORY_WB);
		n++;
		for (size_t i = 0; i < n; i++)
			if (ds > 40)
				buf[i * ds + ds - 1] = 0xa5;
		assert_int_equal(vmk_fwmap_parse_efi(&f->m, buf, n * ds, ds, 1, &f->d), 0);
		assert_int_equal(f->m.n, n);
		assert_int_equal(f->m.format, VMK_FWMAP_FMT_EFI);
		for (uint32_t t = 0; t < 16; t++) {
			fm_expect(f, t, 0x100000ull * (t + 1), 4096ull * (t + 1), type_kind[t]);
			assert_int_equal(f->m.e[t].fw_type, t);
			assert_int_equal(f->m.e[t].src, t + 1);
			assert_true(f->m.e[t].attr == VMK_EFI_MEMORY_WB);
		}
		assert_int_equal(f->m.e[16].kind, VMK_MEM_RESERVED);
		assert_int_equal(f->m.e[17].kind, VMK_MEM_RESERVED);
		assert_int_equal(f->m.e[18].kind, VMK_MEM_SOFT_RESERVED);
		assert_int_equal(f->m.e[18].flags, VMK_FWMAP_F_SP | VMK_FWMAP_F_MIRROR |
				 VMK_FWMAP_F_XP | VMK_FWMAP_F_RO | VMK_FWMAP_F_NV);
		assert_int_equal(f->m.e[19].flags, VMK_FWMAP_F_RUNTIME);
		assert_int_equal(f->d.warnings + f->d.errors, 0);
		/* The guess finds the size. */
		assert_int_equal(vmk_fwmap_efi_guess_desc_size(buf, n * ds, &got), 0);
		assert_int_equal(got, ds);
		free(buf);
		free(f);
	}
}

static void test_binary_warnings(void **state)
{
	unsigned char buf[48 * 6];
	struct fm *f = fm_new(16);

	(void)state;
	put_efi(buf + 0 * 48, 48, 7, 0x1000, 0, 0);			/* 0 pages */
	put_efi(buf + 1 * 48, 48, 7, 0x2800, 1, 0);			/* unaligned */
	put_efi(buf + 2 * 48, 48, 20, 0x10000, 1, 0);			/* undefined type */
	put_efi(buf + 3 * 48, 48, 7, 0x20000, 1, 1ull << 40);		/* undefined attr */
	put_efi(buf + 4 * 48, 48, 7, 0x30000, 1, 0xf);
	put_efi(buf + 5 * 48, 48, 7, 0x40000, 1, 0xf);
	assert_int_equal(vmk_fwmap_parse_efi(&f->m, buf, sizeof(buf), 48, 2, &f->d), 0);
	assert_int_equal(f->m.n, 5);
	assert_int_equal(f->m.efi_desc_version, 2);
	assert_true(fm_has(f, VMK_FWMAP_WARN, 0, "descriptor version 2"));
	assert_true(fm_has(f, VMK_FWMAP_WARN, 1, "0 pages"));
	assert_true(fm_has(f, VMK_FWMAP_WARN, 2, "not 4 KiB aligned"));
	assert_true(fm_has(f, VMK_FWMAP_WARN, 3, "undefined memory type 20"));
	assert_true(fm_has(f, VMK_FWMAP_WARN, 4, "undefined attribute bits 0x10000000000"));
	/* The guess rejects such a blob (0 pages, unaligned...). */
	assert_int_equal(vmk_fwmap_efi_guess_desc_size(buf, sizeof(buf), &(size_t){ 0 }), -VMK_EPARSE);
	free(f);
}

static void test_binary_errors(void **state)
{
	unsigned char buf[48 * 3];
	struct fm *f = fm_new(2);

	(void)state;
	assert_int_equal(vmk_fwmap_add(&f->m, 0, 0x1000, VMK_MEM_USABLE, 0), 0);
	assert_int_equal(vmk_fwmap_parse_efi(&f->m, buf, 48, 32, 1, &f->d), -VMK_EINVAL);
	assert_true(fm_has(f, VMK_FWMAP_ERR, 0, "descriptor size 32"));
	assert_int_equal(vmk_fwmap_parse_efi(&f->m, buf, 44, 44, 1, &f->d), -VMK_EINVAL);
	assert_int_equal(vmk_fwmap_parse_efi(&f->m, NULL, 48, 48, 1, &f->d), -VMK_EINVAL);
	/* Page count overflow, range wrapping: errors naming the descriptor. */
	put_efi(buf, 48, 7, 0x1000, 1, 0);
	put_efi(buf + 48, 48, 7, 0x2000, 1ull << 52, 0);
	put_efi(buf + 96, 48, 7, 0xfffffffffffff000ull, 2, 0);
	assert_int_equal(vmk_fwmap_parse_efi(&f->m, buf, sizeof(buf), 48, 1, &f->d), -VMK_EPARSE);
	assert_true(fm_has(f, VMK_FWMAP_ERR, 2, "run past the top"));
	assert_true(fm_has(f, VMK_FWMAP_ERR, 3, "run past the top"));
	assert_int_equal(f->m.n, 1);
	assert_int_equal(f->m.format, VMK_FWMAP_FMT_NONE);
	/* Trailing bytes. */
	assert_int_equal(vmk_fwmap_parse_efi(&f->m, buf, 48 + 8, 48, 1, &f->d), -VMK_EPARSE);
	assert_true(fm_has(f, VMK_FWMAP_ERR, 48, "8 trailing bytes"));
	assert_int_equal(f->m.n, 1);
	/* Full. */
	put_efi(buf + 48, 48, 7, 0x2000, 1, 0);
	assert_int_equal(vmk_fwmap_parse_efi(&f->m, buf, 96, 48, 1, &f->d), -VMK_ENOSPC);
	assert_int_equal(f->m.n, 1);
	/* The last page of the address space is fine. */
	put_efi(buf, 48, 11, 0xfffffffffffff000ull, 1, VMK_EFI_MEMORY_RUNTIME);
	vmk_fwmap_clear(&f->m);
	assert_int_equal(vmk_fwmap_parse_efi(&f->m, buf, 48, 48, 1, &f->d), 0);
	fm_expect(f, 0, 0xfffffffffffff000ull, 0x1000, VMK_MEM_MMIO);
	/* Guess: empty or garbage input. */
	assert_int_equal(vmk_fwmap_efi_guess_desc_size(buf, 0, &(size_t){ 0 }), -VMK_EPARSE);
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(vmk_fwmap_efi_guess_desc_size(buf, sizeof(buf), &(size_t){ 0 }), -VMK_EPARSE);
	free(f);
}

/* ---- text ---- */

static void test_text_forms(void **state)
{
	struct fm *f = fm_new(32);
	const char *text =
		/* 3.x */
		"[    0.000000] efi: mem00: type=7, attr=0xf, range=[0x0000000000000000-0x00000000000a0000) (0MB)\n"
		"[    0.000000] efi: mem01: type=5, attr=0x800000000000000f, range=[0x00000000000a0000-0x00000000000b0000) (0MB)\n"
		/* 4.x */
		"[    0.000000] efi: mem02: [Conventional Memory|   |  |  |  |   |WB|WT|WC|UC] range=[0x0000000000100000-0x0000000040000000) (1023MB)\n"
		"[    0.000000] efi: mem03: [Runtime Data       |RUN|  |  |  |   |WB|WT|WC|UC] range=[0x0000000040000000-0x0000000040001000) (0MB)\n"
		"[    0.000000] efi: mem04: [ACPI Memory NVS    |   |  |  |  |   |WB|WT|WC|UC] range=[0x0000000040001000-0x0000000040002000) (0MB)\n"
		"[    0.000000] efi: mem05: [Memory Mapped I/O  |RUN|  |  |  |   |  |  |  |UC] range=[0x00000000fec00000-0x00000000fec01000) (0MB)\n"
		/* 5.x+: short names, more columns, inclusive end */
		"[    0.000000] efi: mem06: [Conventional|   |MR|  |SP|  |XP|  |  |   |WB|WT|WC|UC] range=[0x0000000100000000-0x00000001ffffffff] (4096MB)\n"
		"[    0.000000] efi: mem07: [ACPI Mem NVS|   |  |CC|  |NV|  |RP|WP|RO|UCE|WB|  |  ] range=[0x0000000200000000-0x0000000200000fff] (0MB)\n"
		"[    0.000000] efi: mem08: [type=16     |attr=0x0000000000001000] range=[0x0000000300000000-0x0000000300000fff] (0MB)\n"
		"[    0.000000] efi: mem09: [Unaccepted  |   |  |  |  |  |  |  |  |   |WB|  |  |  ] range=[0x0000000400000000-0x00000004ffffffff] (4096MB)\n"
		/* arm64 "Processing EFI memory map" */
		"[    0.000000] efi:   0x000040000000-0x00004000ffff [Loader Data|   |  |  |  |  |  |  |   |WB|WT|WC|UC]*\n"
		"[    0.000000] efi:   0x000009010000-0x000009010fff [Memory Mapped I/O  |RUN|  |  |  |   |  |  |  |UC]\n"
		"[    0.000000] efi: EFI v2.70 by EDK II\n"
		"[    0.000000] efi: memattr: some other line\n";

	(void)state;
	FM_PARSE_TEXT(f, vmk_fwmap_parse_efi_text, text, 0);
	assert_int_equal(f->m.n, 12);
	assert_int_equal(f->d.errors, 0);
	assert_int_equal(f->d.warnings, 1);
	assert_true(fm_has(f, VMK_FWMAP_WARN, 9, "undefined memory type 16"));
	fm_expect(f, 0, 0, 0xa0000, VMK_MEM_USABLE);
	fm_expect(f, 1, 0xa0000, 0x10000, VMK_MEM_RUNTIME_CODE);
	assert_true(f->m.e[1].flags & VMK_FWMAP_F_RUNTIME);
	fm_expect(f, 2, 0x100000, 0x3ff00000, VMK_MEM_USABLE);
	fm_expect(f, 3, 0x40000000, 0x1000, VMK_MEM_RUNTIME_DATA);
	assert_true(f->m.e[3].attr == (VMK_EFI_MEMORY_RUNTIME | 0xf));
	fm_expect(f, 4, 0x40001000, 0x1000, VMK_MEM_ACPI_NVS);
	fm_expect(f, 5, 0xfec00000, 0x1000, VMK_MEM_MMIO);
	assert_true(f->m.e[5].attr == (VMK_EFI_MEMORY_RUNTIME | VMK_EFI_MEMORY_UC));
	fm_expect(f, 6, 0x100000000ull, 0x100000000ull, VMK_MEM_SOFT_RESERVED);
	assert_true(f->m.e[6].attr == (VMK_EFI_MEMORY_MORE_RELIABLE | VMK_EFI_MEMORY_SP |
				       VMK_EFI_MEMORY_XP | 0xf));
	fm_expect(f, 7, 0x200000000ull, 0x1000, VMK_MEM_ACPI_NVS);
	assert_true(f->m.e[7].attr == (VMK_EFI_MEMORY_CPU_CRYPTO | VMK_EFI_MEMORY_NV |
				       VMK_EFI_MEMORY_RP | VMK_EFI_MEMORY_WP | VMK_EFI_MEMORY_RO |
				       VMK_EFI_MEMORY_UCE | VMK_EFI_MEMORY_WB));
	fm_expect(f, 8, 0x300000000ull, 0x1000, VMK_MEM_RESERVED);
	assert_int_equal(f->m.e[8].fw_type, 16);
	assert_true(f->m.e[8].attr == VMK_EFI_MEMORY_WP);
	fm_expect(f, 9, 0x400000000ull, 0x100000000ull, VMK_MEM_UNACCEPTED);
	fm_expect(f, 10, 0x40000000, 0x10000, VMK_MEM_BOOTLOADER);
	fm_expect(f, 11, 0x9010000, 0x1000, VMK_MEM_MMIO);
	assert_int_equal(f->m.e[11].src, 12);
	free(f);
}

static const struct {
	const char *line;
	const char *msg;
} bad_lines[] = {
	{ "efi: mem01: type=7, attr=0xf range=[0x0-0x1000) (0MB)", "type=/attr=/range=" },
	{ "efi: mem01: type=x, attr=0xf, range=[0x0-0x1000) (0MB)", "type=/attr=/range=" },
	{ "efi: mem01: type=7, attr=0xf, range=[0x2000-0x1000) (0MB)", "end below its start" },
	{ "efi: mem01: type=7, attr=0xf, range=[0x0-0x1000 (0MB)", "malformed range" },
	{ "efi: mem01: type=7, attr=0xf, range=[0x0-0x1000) (zMB)", "(NMB)" },
	{ "efi: mem01: [Bogus Memory |   |WB] range=[0x0-0x1000) (0MB)", "[type|attributes]" },
	{ "efi: mem01: [Conventional|   |ZZ] range=[0x0-0x1000) (0MB)", "[type|attributes]" },
	{ "efi: mem01: [Conventional|   |WB range=[0x0-0x1000) (0MB)", "[type|attributes]" },
	{ "efi: mem01: [type=x|attr=0x0] range=[0x0-0x1000) (0MB)", "[type|attributes]" },
	{ "efi: mem01: [type=16|attr=0xq] range=[0x0-0x1000) (0MB)", "[type|attributes]" },
	{ "efi: mem01: [Conventional|   |WB] rang=[0x0-0x1000) (0MB)", "missing range" },
	{ "efi: mem01: [Conventional|   |WB] range=[0x0-0xffffffffffffffff] (0MB)", "all 2^64" },
	{ "efi:   0x3000-0x0fff [Conventional|   |WB]", "end below its start" },
	{ "efi:   0x1000-0x1fff [Conventional|   |WB] junk", "[type|attributes]" },
};

static void test_text_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < VMK_ARRAY_SIZE(bad_lines); i++) {
		struct fm *f = fm_new(8);
		char text[512];

		snprintf(text, sizeof(text),
			 "efi: mem00: type=7, attr=0xf, range=[0x100000-0x200000) (1MB)\n"
			 "efi: EFI v2.70 by EDK II\n%s\n", bad_lines[i].line);
		if (vmk_fwmap_parse_efi_text(&f->m, text, strlen(text), &f->d) != -VMK_EPARSE) {
			fm_dump(f);
			fail_msg("line \"%s\" was accepted", bad_lines[i].line);
		}
		if (!fm_has(f, VMK_FWMAP_ERR, 3, bad_lines[i].msg)) {
			fm_dump(f);
			fail_msg("line \"%s\": no error at line 3 with \"%s\"", bad_lines[i].line,
				 bad_lines[i].msg);
		}
		assert_int_equal(f->m.n, 0);
		free(f);
	}
}

static void test_text_misc(void **state)
{
	struct fm *f = fm_new(1);

	(void)state;
	FM_PARSE_TEXT(f, vmk_fwmap_parse_efi_text, "efi: EFI v2.70\nhello\n", -VMK_ENOENT);
	assert_true(fm_has(f, VMK_FWMAP_ERR, 0, "no efi mem line"));
	/* 0-page ranges in either closing form: warnings. */
	FM_PARSE_TEXT(f, vmk_fwmap_parse_efi_text,
		      "efi: mem00: type=7, attr=0xf, range=[0x1000-0x1000) (0MB)\n"
		      "efi: mem01: [Conventional|   |WB] range=[0x2000-0x1fff] (0MB)\n"
		      "efi: mem02: [Conventional|   |WB] range=[0x2000-0x2fff] (7MB)\n", 0);
	assert_int_equal(f->m.n, 1);
	assert_true(fm_has(f, VMK_FWMAP_WARN, 1, "0-page"));
	assert_true(fm_has(f, VMK_FWMAP_WARN, 2, "0-page"));
	assert_true(fm_has(f, VMK_FWMAP_WARN, 3, "does not match"));
	/* Full. */
	vmk_fwmap_clear(&f->m);
	FM_PARSE_TEXT(f, vmk_fwmap_parse_efi_text,
		      "efi: mem00: type=7, attr=0xf, range=[0x1000-0x2000) (0MB)\n"
		      "efi: mem01: type=7, attr=0xf, range=[0x2000-0x3000) (0MB)\n", -VMK_ENOSPC);
	assert_int_equal(f->m.n, 0);
	/* Undefined types: a warning. */
	FM_PARSE_TEXT(f, vmk_fwmap_parse_efi_text,
		      "efi: mem00: type=99, attr=0x0, range=[0x1000-0x2000) (0MB)\n", 0);
	assert_true(fm_has(f, VMK_FWMAP_WARN, 1, "undefined memory type 99"));
	assert_int_equal(vmk_fwmap_parse_efi_text(&f->m, NULL, 3, NULL), -VMK_EINVAL);
	free(f);
}

/* parse_dmesg: falls back to EFI text; neither format is an error. */
static void test_dmesg(void **state)
{
	struct fm *f = fm_new(8);

	(void)state;
	FM_PARSE_TEXT(f, vmk_fwmap_parse_dmesg, "nothing here\n", -VMK_ENOENT);
	assert_true(fm_has(f, VMK_FWMAP_ERR, 0, "neither BIOS-e820 nor efi"));
	FM_PARSE_TEXT(f, vmk_fwmap_parse_dmesg,
		      "efi: mem00: type=7, attr=0xf, range=[0x1000-0x2000) (0MB)\n", 0);
	assert_int_equal(f->m.n, 1);
	/* A malformed EFI line is reported once, with its line. */
	vmk_fwmap_clear(&f->m);
	vmk_fwmap_diag_init(&f->d, f->msg, VMK_ARRAY_SIZE(f->msg));
	FM_PARSE_TEXT(f, vmk_fwmap_parse_dmesg, "x\nefi: mem00: type=7, attr=0xf, range=[0x1000-\n",
		      -VMK_EPARSE);
	assert_int_equal(f->d.errors, 1);
	assert_true(fm_has(f, VMK_FWMAP_ERR, 2, "malformed range"));
	/* A malformed E820 line with EFI lines present: the E820 error. */
	vmk_fwmap_diag_init(&f->d, f->msg, VMK_ARRAY_SIZE(f->msg));
	FM_PARSE_TEXT(f, vmk_fwmap_parse_dmesg,
		      "BIOS-e820: [mem 0x0-] usable\n"
		      "efi: mem00: type=7, attr=0xf, range=[0x1000-0x2000) (0MB)\n", -VMK_EPARSE);
	assert_true(fm_has(f, VMK_FWMAP_ERR, 1, "malformed BIOS-e820 range"));
	assert_int_equal(f->m.n, 0);
	assert_int_equal(vmk_fwmap_parse_dmesg(&f->m, NULL, 1, NULL), -VMK_EINVAL);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_attr_string),
		cmocka_unit_test(test_binary),
		cmocka_unit_test(test_binary_warnings),
		cmocka_unit_test(test_binary_errors),
		cmocka_unit_test(test_text_forms),
		cmocka_unit_test(test_text_errors),
		cmocka_unit_test(test_text_misc),
		cmocka_unit_test(test_dmesg),
	};

	vmk_sim_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
