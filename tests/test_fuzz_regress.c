/*
 * Defects the fuzz targets found (fuzz/, docs/testing.md), one test each;
 * each failed before its fix. The inputs that found them are in the
 * targets' corpora (fuzz/corpus/<target>/regress-*), replayed by make
 * check.
 *
 * pv_head_not_a_list: the reverse-map walks (vmk_pmap_remove_all, and
 * is_modified / is_referenced / clear_modify / remove_write) look for
 * 2 MiB and 1 GiB block mappings on the PV list of the block's first
 * frame. When that frame is not a mapped page (a page-table page, whose
 * md_pv holds its pmap's id, or a free page, whose record holds free-list
 * links), its md_pv is no list, and the walks followed it
 * (fuzz_api_cross: a crash in vmk_pmap_remove_all).
 */
#include "pmap_util.h"

#define UVA	0x0000000040000000ull
#define PG	4096ull
#define S2M	(2ull << 20)
#define RW	(VMK_PROT_READ | VMK_PROT_WRITE)

static enum vmk_pmap_arch_id x86 = VMK_PMAP_ARCH_X86_64, arm = VMK_PMAP_ARCH_ARM64, rv = VMK_PMAP_ARCH_RISCV64;

/* A managed page whose 2 MiB head frame is in state head_state (FREE or PCPU, or PTP). */
static void walks_with_head(enum vmk_pmap_arch_id arch, bool ptp_head)
{
	struct vmk_pmap *pm;
	struct vmk_page *blk, *head;
	vmk_paddr_t pa;

	pmt_boot_arch(arch);
	assert_int_equal(vmk_pmap_create(&pm), 0);
	vmk_pmap_activate(pm, 0);
	/* 512 order-0 pages in one 2 MiB-aligned run; the first goes back (free). */
	blk = vmk_page_alloc_contig(0, 512, 0, VMK_PADDR_MAX, S2M, 0, 0, 0);
	assert_non_null(blk);
	head = blk;
	pa = vmk_page_to_pa(blk) + PG;
	vmk_page_free(head);
	if (ptp_head) {
		/* The freed head is the next page the allocator hands out: a new PTP takes it. */
		struct vmk_page *again = vmk_page_alloc(0, VMK_POOL_DEFAULT, VMK_ALLOC_PTP);

		assert_ptr_equal(again, head);
		again->md_pv = 1;	/* what ptp.c stores: its pmap's id */
	}
	assert_true(vmk_page_state(head) != VMK_PAGE_ALLOC);
	assert_int_equal(vmk_pmap_enter(pm, UVA, pa, RW, VMK_PMAP_ENTER_MANAGED | VMK_PMAP_ENTER_DIRTY), 0);
	assert_true(vmk_pmap_is_modified(pa));
	vmk_pmap_clear_modify(pa);
	vmk_pmap_remove_write(pa);
	(void)vmk_pmap_is_referenced(pa);
	assert_int_equal(vmk_pmap_remove_all(pa), 1);
	pmt_check(pm);
	vmk_pmap_activate(vmk_pmap_kernel(), 0);
	vmk_pmap_destroy(pm);
	if (ptp_head) {
		head->md_pv = 0;
		vmk_page_free(head);
	}
	for (unsigned int i = 1; i < 512; i++)
		vmk_page_free(blk + i);
	pmt_shutdown();
}

static void test_pv_head_free(void **state)
{
	walks_with_head(*(enum vmk_pmap_arch_id *)*state, false);
}

static void test_pv_head_ptp(void **state)
{
	walks_with_head(*(enum vmk_pmap_arch_id *)*state, true);
}

#define T(f) cmocka_unit_test_prestate(f, &x86), cmocka_unit_test_prestate(f, &arm), cmocka_unit_test_prestate(f, &rv)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_pv_head_free),
		T(test_pv_head_ptp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
