/* fwmap: kinds, the programmatic API, totals, checks, diagnostics, the table renderer. */
#include "fwmap_test.h"

static void test_kind_names(void **state)
{
	static const char *const names[VMK_MEM_NKINDS] = {
		"none", "usable", "reserved", "acpi-reclaim", "acpi-nvs", "unusable",
		"persistent", "soft-reserved", "bootloader", "boot-services", "runtime-code",
		"runtime-data", "mmio", "mmio-port", "pal-code", "unaccepted", "nomap",
	};

	(void)state;
	for (uint32_t k = 0; k < VMK_MEM_NKINDS; k++) {
		struct vmk_str s = { names[k], strlen(names[k]) };

		assert_string_equal(vmk_mem_kind_name(k), names[k]);
		assert_int_equal(vmk_mem_kind_from_name(s), k);	/* "none" maps to NONE too */
	}
	assert_string_equal(vmk_mem_kind_name(VMK_MEM_NKINDS), "invalid");
	assert_int_equal(vmk_mem_kind_from_name((struct vmk_str){ "ACPI-NVS", 8 }), VMK_MEM_ACPI_NVS);
	assert_int_equal(vmk_mem_kind_from_name((struct vmk_str){ "usable2", 7 }), VMK_MEM_NONE);
	assert_int_equal(vmk_mem_kind_priority(VMK_MEM_NONE), 0);
	assert_int_equal(vmk_mem_kind_priority(1234), 0);
}

static void test_kind_predicates(void **state)
{
	(void)state;
	for (uint32_t k = 0; k <= VMK_MEM_NKINDS; k++) {
		bool ebs = k == VMK_MEM_USABLE || k == VMK_MEM_BOOTLOADER || k == VMK_MEM_BOOT_SERVICES;
		bool ucls = ebs || k == VMK_MEM_UNACCEPTED;
		bool ram = ucls || k == VMK_MEM_ACPI_RECLAIM || k == VMK_MEM_ACPI_NVS ||
			   k == VMK_MEM_RUNTIME_CODE || k == VMK_MEM_RUNTIME_DATA ||
			   k == VMK_MEM_SOFT_RESERVED;

		assert_int_equal(vmk_mem_kind_usable_after_ebs(k), ebs);
		assert_int_equal(vmk_mem_kind_usable_class(k), ucls);
		assert_int_equal(vmk_mem_kind_is_ram(k), ram);
		/* Every reserved-class kind outranks every usable-class kind. */
		for (uint32_t j = 1; j < VMK_MEM_NKINDS; j++)
			if (k >= 1 && k < VMK_MEM_NKINDS && ucls && !vmk_mem_kind_usable_class(j))
				assert_true(vmk_mem_kind_priority(k) < vmk_mem_kind_priority(j));
	}
	assert_int_equal(vmk_mem_kind_e820_type(VMK_MEM_USABLE), 1);
	assert_int_equal(vmk_mem_kind_e820_type(VMK_MEM_BOOT_SERVICES), 1);
	assert_int_equal(vmk_mem_kind_e820_type(VMK_MEM_ACPI_RECLAIM), 3);
	assert_int_equal(vmk_mem_kind_e820_type(VMK_MEM_ACPI_NVS), 4);
	assert_int_equal(vmk_mem_kind_e820_type(VMK_MEM_UNUSABLE), 5);
	assert_int_equal(vmk_mem_kind_e820_type(VMK_MEM_PERSISTENT), 7);
	assert_int_equal(vmk_mem_kind_e820_type(VMK_MEM_RUNTIME_DATA), 2);
}

static void test_add(void **state)
{
	struct vmk_fwmap_entry st[3];
	struct vmk_fwmap m;
	struct vmk_fwmap_entry e = { .base = 0x1000, .size = 0x1000, .kind = VMK_MEM_ACPI_NVS,
				     .fw_type = 4, .attr = 1, .flags = 2, .src = 9 };

	(void)state;
	vmk_fwmap_init(&m, st, 3);
	assert_int_equal(vmk_fwmap_add(&m, 0, 0, VMK_MEM_USABLE, 0), -VMK_EINVAL);
	assert_int_equal(vmk_fwmap_add(&m, 0, 1, VMK_MEM_NONE, 0), -VMK_EINVAL);
	assert_int_equal(vmk_fwmap_add(&m, 0, 1, VMK_MEM_NKINDS, 0), -VMK_EINVAL);
	assert_int_equal(vmk_fwmap_add(&m, UINT64_MAX, 2, VMK_MEM_USABLE, 0), -VMK_EOVERFLOW);
	assert_int_equal(vmk_fwmap_add(&m, UINT64_MAX, 1, VMK_MEM_USABLE, 0), 0);	/* ends at 2^64 */
	assert_int_equal(vmk_fwmap_add(&m, 0, UINT64_MAX, VMK_MEM_RESERVED, VMK_FWMAP_F_NOMAP), 0);
	assert_int_equal(vmk_fwmap_add_entry(&m, &e), 0);
	assert_int_equal(vmk_fwmap_add(&m, 0, 1, VMK_MEM_USABLE, 0), -VMK_ENOSPC);
	assert_int_equal(m.n, 3);
	assert_memory_equal(&m.e[2], &e, sizeof(e));
	assert_int_equal(m.e[1].flags, VMK_FWMAP_F_NOMAP);
	assert_int_equal(m.e[1].src, 0);
	vmk_fwmap_clear(&m);
	assert_int_equal(m.n, 0);
	assert_int_equal(m.cap, 3);
}

static void test_totals(void **state)
{
	struct fm *f = fm_new(8);
	struct vmk_fwmap_totals t;

	(void)state;
	assert_int_equal(vmk_fwmap_add(&f->m, 0, 0x1000, VMK_MEM_USABLE, 0), 0);
	assert_int_equal(vmk_fwmap_add(&f->m, 0x2000, 0x3000, VMK_MEM_USABLE, 0), 0);
	assert_int_equal(vmk_fwmap_add(&f->m, 0x8000, 0x1000, VMK_MEM_NOMAP, VMK_FWMAP_F_NOMAP), 0);
	assert_int_equal(vmk_fwmap_add(&f->m, 0x9000, 0x2000, VMK_MEM_RUNTIME_CODE, VMK_FWMAP_F_NOMAP), 0);
	assert_int_equal(vmk_fwmap_add(&f->m, 0x10000, 0x1000, VMK_MEM_RESERVED, 0), 0);
	vmk_fwmap_totals(&f->m, &t);
	assert_true(t.bytes[VMK_MEM_USABLE] == 0x4000);
	assert_int_equal(t.count[VMK_MEM_USABLE], 2);
	assert_true(t.nomap_bytes == 0x3000);
	assert_true(t.total_bytes == 0x8000);
	assert_false(t.saturated);
	assert_true(vmk_fwmap_bytes(&f->m, VMK_MEM_RESERVED) == 0x1000);
	assert_true(vmk_fwmap_bytes(&f->m, VMK_MEM_MMIO) == 0);
	/* Sums that pass 2^64 saturate. */
	assert_int_equal(vmk_fwmap_add(&f->m, 0, UINT64_MAX, VMK_MEM_USABLE, 0), 0);
	vmk_fwmap_totals(&f->m, &t);
	assert_true(t.saturated);
	assert_true(t.bytes[VMK_MEM_USABLE] == UINT64_MAX);
	assert_true(vmk_fwmap_bytes(&f->m, VMK_MEM_USABLE) == UINT64_MAX);
	free(f);
}

static void test_check(void **state)
{
	struct fm *f = fm_new(8);
	size_t bad = 99;

	(void)state;
	assert_int_equal(vmk_fwmap_add(&f->m, 0, 0x1000, VMK_MEM_USABLE, 0), 0);
	assert_int_equal(vmk_fwmap_add(&f->m, 0x1000, 0x1000, VMK_MEM_RESERVED, 0), 0);
	assert_int_equal(vmk_fwmap_check(&f->m, 0, &bad), 0);
	assert_int_equal(vmk_fwmap_check(&f->m, 3, &bad), -VMK_EINVAL);
	assert_int_equal(vmk_fwmap_add(&f->m, 0x1800, 0x800, VMK_MEM_RESERVED, 0), 0);
	assert_int_equal(vmk_fwmap_check(&f->m, 1, &bad), -VMK_EINVAL);	/* overlap */
	assert_int_equal(bad, 2);
	f->m.e[2].base = 0x2000;
	assert_int_equal(vmk_fwmap_check(&f->m, 1, NULL), 0);
	assert_int_equal(vmk_fwmap_check(&f->m, 0x1000, &bad), -VMK_EINVAL);	/* size 0x800 */
	assert_int_equal(bad, 2);
	f->m.e[0].kind = 77;
	assert_int_equal(vmk_fwmap_check(&f->m, 1, &bad), -VMK_EINVAL);
	assert_int_equal(bad, 0);
	free(f);
}

static void test_diag(void **state)
{
	struct vmk_fwmap_msg msg[2];
	struct vmk_fwmap_diag d;
	struct fm_text t;

	(void)state;
	vmk_fwmap_diag_add(NULL, VMK_FWMAP_ERR, VMK_FWMAP_AT_LINE, 1, "ignored");
	vmk_fwmap_diag_init(&d, msg, 2);
	vmk_fwmap_diag_add(&d, VMK_FWMAP_ERR, VMK_FWMAP_AT_LINE, 12, "bad %s", "thing");
	vmk_fwmap_diag_add(&d, VMK_FWMAP_INFO, VMK_FWMAP_AT_ENTRY, 3, "note");
	vmk_fwmap_diag_add(&d, VMK_FWMAP_WARN, VMK_FWMAP_AT_OFFSET, 48, "lost");
	assert_int_equal(d.n, 2);
	assert_int_equal(d.errors, 1);
	assert_int_equal(d.warnings, 1);
	assert_int_equal(d.infos, 1);
	assert_int_equal(d.lost, 1);
	fm_text_init(&t);
	vmk_fwmap_diag_print(&d, &t.out, "map.txt", VMK_FWMAP_INFO);
	assert_string_equal(t.s, "map.txt: line 12: error: bad thing\n"
				 "map.txt: entry 3: note: note\n"
				 "map.txt: (1 more messages not kept)\n");
	free(t.s);
	fm_text_init(&t);
	vmk_fwmap_diag_print(&d, &t.out, NULL, VMK_FWMAP_WARN);
	assert_string_equal(t.s, "line 12: error: bad thing\n(1 more messages not kept)\n");
	free(t.s);
	/* Long messages are cut, never overflow. */
	vmk_fwmap_diag_init(&d, msg, 1);
	vmk_fwmap_diag_add(&d, VMK_FWMAP_WARN, VMK_FWMAP_AT_NONE, 0, "%0300d", 5);
	assert_int_equal(strlen(msg[0].text), VMK_FWMAP_MSG_LEN - 1);
	/* A sink without storage only counts. */
	vmk_fwmap_diag_init(&d, NULL, 5);
	vmk_fwmap_diag_add(&d, VMK_FWMAP_ERR, VMK_FWMAP_AT_NONE, 0, "x");
	assert_int_equal(d.errors, 1);
	assert_int_equal(d.lost, 1);
}

static void test_render_table(void **state)
{
	struct fm *f = fm_new(8);
	struct fm_text t;
	unsigned char d[48];

	(void)state;
	put_efi(d, 48, VMK_EFI_RUNTIME_SERVICES_DATA, 0x7f000000, 16,
		VMK_EFI_MEMORY_RUNTIME | VMK_EFI_MEMORY_WB);
	assert_int_equal(vmk_fwmap_parse_efi(&f->m, d, 48, 48, 1, NULL), 0);
	fm_text_init(&t);
	vmk_fwmap_render_table(&f->m, &t.out);
	assert_string_equal(t.s, "  0x000000007f000000-0x000000007f00ffff  runtime-data      64 KiB"
				 "  EfiRuntimeServicesData WB|RUNTIME  [runtime]\n");
	free(t.s);
	vmk_fwmap_init(&f->m, f->st, 8);
	assert_int_equal(vmk_fwmap_add(&f->m, 0x100000, 0x300000, VMK_MEM_NOMAP,
				       VMK_FWMAP_F_NOMAP | VMK_FWMAP_F_REUSABLE), 0);
	assert_int_equal(vmk_fwmap_add(&f->m, 0, 0x1000, VMK_MEM_USABLE, 0), 0);
	fm_text_init(&t);
	vmk_fwmap_render_table(&f->m, &t.out);
	assert_string_equal(t.s, "  0x0000000000100000-0x00000000003fffff  nomap              3 MiB  [nomap,reusable]\n"
				 "  0x0000000000000000-0x0000000000000fff  usable             4 KiB\n");
	free(t.s);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_kind_predicates),
		cmocka_unit_test(test_add),
		cmocka_unit_test(test_totals),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_diag),
		cmocka_unit_test(test_render_table),
	};

	vmk_sim_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
