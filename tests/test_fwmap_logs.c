/*
 * Firmware maps out of real-world logs: several boots in one log (the last
 * one wins, with a warning, for EFI as for E820), and the older arm64
 * "Processing EFI memory map:" form (Linux 3.x-4.4: no "efi:" prefix, 3.x
 * without attributes, pr_cont("*") on a line of its own, entries wrapped
 * by a paste).
 */
#include "fwmap_test.h"

static void test_efi_two_boots_last_wins(void **state)
{
	struct fm *f = fm_new(64);
	/* a 4 GiB boot, then a 1 GiB boot of the same machine: never 5 GiB */
	const char *text =
		"Jun 01 10:00:00 host kernel: efi: mem00: [Conventional Memory|   |  |  |  |   |WB|WT|WC|UC] range=[0x0000000000000000-0x00000000000a0000) (0MB)\n"
		"Jun 01 10:00:00 host kernel: efi: mem01: [Conventional Memory|   |  |  |  |   |WB|WT|WC|UC] range=[0x0000000000100000-0x0000000080000000) (2047MB)\n"
		"Jun 01 10:00:00 host kernel: efi: mem02: [Conventional Memory|   |  |  |  |   |WB|WT|WC|UC] range=[0x0000000100000000-0x0000000180000000) (2048MB)\n"
		"-- Reboot --\n"
		"Jun 02 10:00:00 host kernel: efi: mem00: [Conventional Memory|   |  |  |  |   |WB|WT|WC|UC] range=[0x0000000000000000-0x00000000000a0000) (0MB)\n"
		"Jun 02 10:00:00 host kernel: efi: mem01: [Conventional Memory|   |  |  |  |   |WB|WT|WC|UC] range=[0x0000000000100000-0x0000000040000000) (1023MB)\n";

	(void)state;
	FM_PARSE_TEXT(f, vmk_fwmap_parse_efi_text, text, 0);
	assert_int_equal(f->m.n, 2);
	fm_expect(f, 0, 0, 0xa0000, VMK_MEM_USABLE);
	fm_expect(f, 1, 0x100000, 0x3ff00000, VMK_MEM_USABLE);
	assert_int_equal(f->d.warnings, 1);
	assert_true(fm_has(f, VMK_FWMAP_WARN, 5, "another EFI memory map starts here"));
	assert_true(fm_has(f, VMK_FWMAP_WARN, 5, "from line 1 on is dropped"));
	/* whole-dmesg entry point: same answer */
	vmk_fwmap_clear(&f->m);
	vmk_fwmap_diag_init(&f->d, f->msg, VMK_ARRAY_SIZE(f->msg));
	FM_PARSE_TEXT(f, vmk_fwmap_parse_dmesg, text, 0);
	assert_int_equal(f->m.n, 2);
	assert_int_equal(f->d.warnings, 1);
	free(f);
}

static void test_efi_one_boot_is_one_map(void **state)
{
	struct fm *f = fm_new(64);
	/* other efi lines between mem lines do not split a map */
	const char *text =
		"[    0.000000] efi: mem00: type=7, attr=0xf, range=[0x0000000000000000-0x00000000000a0000) (0MB)\n"
		"[    0.000000] efi: some other line\n"
		"[    0.000000] efi: mem01: type=7, attr=0xf, range=[0x0000000000100000-0x0000000000200000) (1MB)\n";

	(void)state;
	FM_PARSE_TEXT(f, vmk_fwmap_parse_efi_text, text, 0);
	assert_int_equal(f->m.n, 2);
	assert_int_equal(f->d.warnings, 0);
	free(f);
}

static void test_arm64_processing_two_boots(void **state)
{
	struct fm *f = fm_new(64);
	const char *text =
		"[    0.000000] efi: Processing EFI memory map:\n"
		"[    0.000000] efi:   0x000040000000-0x0000bfffffff [Conventional Memory|   |  |  |  |  |  |  |   |WB|WT|WC|UC]\n"
		"[    0.000000] efi: Processing EFI memory map:\n"
		"[    0.000000] efi:   0x000040000000-0x00007fffffff [Conventional Memory|   |  |  |  |  |  |  |   |WB|WT|WC|UC]\n";

	(void)state;
	FM_PARSE_TEXT(f, vmk_fwmap_parse_efi_text, text, 0);
	assert_int_equal(f->m.n, 1);
	fm_expect(f, 0, 0x40000000, 0x40000000, VMK_MEM_USABLE);
	assert_true(fm_has(f, VMK_FWMAP_WARN, 3, "another EFI memory map"));
	free(f);
}

static void test_arm64_old_format(void **state)
{
	struct fm *f = fm_new(64);
	/* Linux 4.0-4.4 arch/arm64/kernel/efi.c: no "efi:" prefix, pr_cont("*") */
	const char *text =
		"[    0.000000] Processing EFI memory map:\n"
		"[    0.000000]   0x000004000000-0x000007ffffff [Memory Mapped I/O  |RUN|  |  |  |  |  |  |   |  |WC|  |  ]\n"
		"[    0.000000]   0x000040000000-0x0000403fffff [Loader Data        |   |  |  |  |  |  |  |   |WB|WT|WC|UC]*\n"
		"[    0.000000]   0x000040400000-0x00007bffffff [Conventional Memory|   |  |  |  |  |  |  |   |WB|WT|WC|UC]\n"
		"[    0.000000]   0x00007c000000-0x00007c00ffff [Runtime Data       |RUN|  |  |  |  |  |  |   |WB|WT|WC|UC]\n"
		"[    0.000000] *\n"
		"[    0.000000]   0x00007c010000-0x00007c01ffff [ACPI Reclaim Memory|   |  |  |  |  |  |  |   |WB|WT|WC|UC]*\n"
		"[    0.000000]   0x00007c020000-0x00007fffffff [Boot Data          |   |  |  |  |  |  |  |   |WB|WT|WC|U\n"
		"C]\n"
		"[    0.000000] psci: probing for conduit method from DT.\n"
		/* not in the block any more: not an entry */
		"[    0.000000]   0x000100000000-0x0001ffffffff [Conventional Memory|   |  |  |  |  |  |  |   |WB|WT|WC|UC]\n";

	(void)state;
	FM_PARSE_TEXT(f, vmk_fwmap_parse_efi_text, text, 0);
	assert_int_equal(f->m.n, 6);
	fm_expect(f, 0, 0x4000000, 0x4000000, VMK_MEM_MMIO);
	assert_true(f->m.e[0].attr == (VMK_EFI_MEMORY_RUNTIME | VMK_EFI_MEMORY_WC));
	fm_expect(f, 1, 0x40000000, 0x400000, VMK_MEM_BOOTLOADER);
	fm_expect(f, 2, 0x40400000, 0x3bc00000, VMK_MEM_USABLE);
	fm_expect(f, 3, 0x7c000000, 0x10000, VMK_MEM_RUNTIME_DATA);
	fm_expect(f, 4, 0x7c010000, 0x10000, VMK_MEM_ACPI_RECLAIM);
	/* wrapped onto the next line, cut inside the "UC" column */
	fm_expect(f, 5, 0x7c020000, 0x3fe0000, VMK_MEM_BOOT_SERVICES);
	assert_true(f->m.e[5].attr == 0xf);
	assert_int_equal(f->d.errors, 0);
	assert_int_equal(f->d.warnings, 0);
	free(f);
}

static void test_arm64_3x_no_attributes(void **state)
{
	struct fm *f = fm_new(64);
	/* Linux 3.x arm64: "[%s]" type names only */
	const char *text =
		"<6>[    0.000000] Processing EFI memory map:\n"
		"<6>[    0.000000]   0x000008000000-0x00000bffffff [Memory Mapped I/O]\n"
		"<6>[    0.000000]   0x000080000000-0x00008000ffff [Loader Data]*\n"
		"<6>[    0.000000]   0x000080010000-0x0000fbffffff [Conventional Memory]\n"
		"<6>[    0.000000]   0x0000fc000000-0x0000fc00ffff [Runtime Code]*\n"
		"<6>[    0.000000]   0x0000fc010000-0x0000fc01ffff [Reserved]\n"
		"<6>[    0.000000]   0x0000fc020000-0x0000fc02ffff [Unusable Memory]\n"
		"<6>[    0.000000] Booting Linux on physical CPU 0x0\n";

	(void)state;
	FM_PARSE_TEXT(f, vmk_fwmap_parse_efi_text, text, 0);
	assert_int_equal(f->m.n, 6);
	/* Reserved and unusable memory had no cacheable attribute: none is assumed. */
	fm_expect(f, 4, 0xfc010000, 0x10000, VMK_MEM_RESERVED);
	assert_true(f->m.e[4].attr == 0);
	fm_expect(f, 5, 0xfc020000, 0x10000, VMK_MEM_UNUSABLE);
	assert_true(f->m.e[5].attr == 0);
	fm_expect(f, 0, 0x8000000, 0x4000000, VMK_MEM_MMIO);
	assert_true(f->m.e[0].attr == VMK_EFI_MEMORY_UC);
	fm_expect(f, 1, 0x80000000, 0x10000, VMK_MEM_BOOTLOADER);
	assert_true(f->m.e[1].attr == VMK_EFI_MEMORY_WB);
	fm_expect(f, 2, 0x80010000, 0x7bff0000, VMK_MEM_USABLE);
	fm_expect(f, 3, 0xfc000000, 0x10000, VMK_MEM_RUNTIME_CODE);
	/* the guess is said once */
	assert_int_equal(f->d.warnings, 1);
	assert_true(fm_has(f, VMK_FWMAP_WARN, 2, "printed no attributes"));
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_efi_two_boots_last_wins),
		cmocka_unit_test(test_efi_one_boot_is_one_map),
		cmocka_unit_test(test_arm64_processing_two_boots),
		cmocka_unit_test(test_arm64_old_format),
		cmocka_unit_test(test_arm64_3x_no_attributes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
