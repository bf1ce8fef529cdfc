/*
 * Review defects of the physical allocator (issue 9), one test each:
 * NOFREE runs joined when a batch imports a block next to a run, and a
 * fallback into a lower pool respecting its reserve for cached pages.
 */
#include "phys_util.h"

#define MiB VMK_MiB
#define GiB VMK_GiB
#define PG VMK_PAGE_SIZE

/*
 * Fragmented memory: a 2 MiB unit where only small blocks are free. A
 * returned NOFREE page forms the run [7, 8); a batch then imports the
 * order-3 block [8, 16) right after it. The two must be one run: marking
 * frame 10 bad walks down to the run's head, and with two runs it found
 * [7, 8) and took its length for the whole (panic, or silent corruption
 * without VMK_DEBUG).
 */
static void test_nofree_import_joins_run(void **state)
{
	struct vmk_page *all, *nf[8], *batch[2];
	const vmk_paddr_t base = 4 * GiB;

	(void)state;
	tp_reset();
	tp_add_free(base, 2 * MiB, 0);
	all = vmk_page_alloc_contig(0, 512, 0, ~(vmk_paddr_t)0, 0, 0, VMK_MEMATTR_WB, 0);
	assert_non_null(all);
	assert_int_equal(vmk_page_to_pa(all), base);
	/* The pool imports [0, 8) and hands out 7, 6, ..., 0. */
	vmk_page_free_contig(all, 8);
	for (int i = 0; i < 8; i++) {
		nf[i] = vmk_page_alloc_nofree(0, 0);
		assert_non_null(nf[i]);
		assert_int_equal(vmk_page_to_pa(nf[i]), base + (vmk_paddr_t)(7 - i) * PG);
	}
	vmk_page_nofree_return(nf[0]);	/* run [7, 8) */
	tp_check();
	vmk_page_free_contig(all + 8, 8);	/* free block [8, 16) */
	assert_int_equal(vmk_page_alloc_nofree_batch(0, 0, 2, batch), 0);
	tp_check();	/* runs are joined */
	assert_int_equal(vmk_phys_add_bad(base + 10 * PG), 0);
	tp_check();
	assert_int_equal(vmk_page_state(vmk_pa_to_page(base + 10 * PG)), VMK_PAGE_BAD);
	for (int i = 7; i <= 13; i++)
		if (i != 10)
			assert_int_equal(vmk_page_state(vmk_pa_to_page(base + (vmk_paddr_t)i * PG)),
					 VMK_PAGE_NOFREE_POOL);
}

/* A batch whose imports land on both sides of an existing run. */
static void test_nofree_batch_imports_join_both_sides(void **state)
{
	struct vmk_page *all, *nf[8], *batch[9];
	const vmk_paddr_t base = 4 * GiB;

	(void)state;
	tp_reset();
	tp_add_free(base, 2 * MiB, 0);
	all = vmk_page_alloc_contig(0, 512, 0, ~(vmk_paddr_t)0, 0, 0, VMK_MEMATTR_WB, 0);
	assert_non_null(all);
	vmk_page_free_contig(all + 8, 8);	/* [8, 16) */
	for (int i = 0; i < 8; i++)
		nf[i] = vmk_page_alloc_nofree(0, 0);
	vmk_page_nofree_return(nf[7]);	/* frame 8: run [8, 9) */
	vmk_page_free_contig(all, 8);	/* [0, 8) */
	vmk_page_free_contig(all + 16, 16);	/* [16, 32) */
	/* avail 1 < 9: imports [16, 32) then [0, 8); every run touching another joins. */
	assert_int_equal(vmk_page_alloc_nofree_batch(0, 0, 9, batch), 0);
	tp_check();
	for (int i = 0; i < 9; i++)
		vmk_page_nofree_return(batch[i]);
	tp_check();
	assert_int_equal(vmk_phys_add_bad(base + 3 * PG), 0);
	assert_int_equal(vmk_phys_add_bad(base + 20 * PG), 0);
	tp_check();
}

/*
 * The DMA32 pool's reserve guards it against DEFAULT requests falling
 * back, also when its pages sit in this CPU's cache: the cache was
 * filled by a DMA32 request, then a DEFAULT request fell back and popped
 * a cached page below the reserve.
 */
static void test_fallback_respects_reserve_in_cache(void **state)
{
	struct vmk_page *p, *q;

	(void)state;
	tp_reset();
	tp_add_free(1 * GiB, 2 * MiB, 0);	/* DMA32 only */
	assert_int_equal(vmk_phys_set_lowmem_reserve(0, VMK_POOL_DMA32, 1024), 0);
	p = vmk_page_alloc(0, VMK_POOL_DMA32, 0);	/* fills the cache */
	assert_non_null(p);
	assert_true(tp_state(VMK_PAGE_PCPU) > 0);
	assert_null(vmk_page_alloc(0, VMK_POOL_DEFAULT, 0));
	assert_null(vmk_page_alloc(VMK_DOMAIN_LOCAL, VMK_POOL_DEFAULT, 0));
	q = vmk_page_alloc(0, VMK_POOL_DEFAULT, VMK_ALLOC_LOWMEM);	/* may take the reserve */
	assert_non_null(q);
	vmk_page_free(q);
	vmk_page_free(p);
	vmk_phys_drain_all_quiescent();
	tp_check();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nofree_import_joins_run),
		cmocka_unit_test(test_nofree_batch_imports_join_both_sides),
		cmocka_unit_test(test_fallback_respects_reserve_in_cache),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
