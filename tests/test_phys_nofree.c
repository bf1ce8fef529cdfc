/* NOFREE pool scenarios (seed thread 002): runs, take-back, partial failures, batches. */
#include "phys_util.h"

#define MiB VMK_MiB
#define GiB VMK_GiB
#define PG VMK_PAGE_SIZE
#define UNIT ((uint64_t)PG << VMK_PHYS_NOFREE_ORDER)

static int setup(void **state)
{
	(void)state;
	tp_reset();
	return 0;
}

static uint64_t imported(void)
{
	struct vmk_phys_stats st;

	vmk_phys_get_stats(&st);
	return st.nofree_imported;
}

static uint64_t returned(void)
{
	struct vmk_phys_stats st;

	vmk_phys_get_stats(&st);
	return st.nofree_returned;
}

static void test_import_and_gather(void **state)
{
	static struct vmk_page *nf[1100], *ord[1100];
	uint64_t blocks[8];
	unsigned int nblocks = 0;

	(void)state;
	tp_add_free(4 * GiB, 16 * MiB, 0);
	/* Interleave permanent and ordinary allocations. */
	for (int i = 0; i < 1100; i++) {
		nf[i] = vmk_page_alloc_nofree(0, 0);
		ord[i] = vmk_page_alloc(0, 0, 0);
		assert_non_null(nf[i]);
		assert_non_null(ord[i]);
		assert_int_equal(vmk_page_state(nf[i]), VMK_PAGE_NOFREE);
	}
	/* 1100 permanent pages pin exactly ceil(1100 / 512) = 3 aligned 2 MiB blocks. */
	for (int i = 0; i < 1100; i++) {
		uint64_t b = vmk_page_to_pa(nf[i]) / UNIT;
		unsigned int k;

		for (k = 0; k < nblocks && blocks[k] != b; k++)
			;
		if (k == nblocks) {
			assert_true(nblocks < 8);
			blocks[nblocks++] = b;
		}
	}
	assert_int_equal(nblocks, 3);
	assert_int_equal(imported(), 3);
	assert_int_equal(tp_state(VMK_PAGE_NOFREE), 1100);
	assert_int_equal(tp_state(VMK_PAGE_NOFREE_POOL), 3 * 512 - 1100);
	tp_check();
	/* The ordinary free path refuses NOFREE pages. */
	assert_panics(vmk_page_free(nf[0]), "NOFREE page");
	assert_panics(vmk_page_free_contig(nf[0], 1), "NOFREE page");
	assert_panics(vmk_page_free_bulk(&nf[0], 1), "NOFREE page");
	/* And the take-back path refuses ordinary pages. */
	assert_panics(vmk_page_nofree_return(ord[0]), "takes a NOFREE page");
	for (int i = 0; i < 1100; i++)
		vmk_page_free(ord[i]);
	tp_check();
}

static void test_take_back_coalesces(void **state)
{
	struct vmk_page *p[5];
	uint64_t avail;

	(void)state;
	tp_add_free(4 * GiB, 4 * MiB, 0);
	for (int i = 0; i < 5; i++)
		p[i] = vmk_page_alloc_nofree(0, 0);
	/* Taken from the end of one run: consecutive frames going down. */
	for (int i = 1; i < 5; i++)
		assert_true(vmk_page_to_pa(p[i]) + PG == vmk_page_to_pa(p[i - 1]));
	avail = tp_state(VMK_PAGE_NOFREE_POOL);
	assert_int_equal(avail, 512 - 5);
	/* Give back out of order: the middle first makes a separate run, then they join. */
	vmk_page_nofree_return(p[2]);
	tp_check();
	vmk_page_nofree_return(p[0]);
	tp_check();
	vmk_page_nofree_return(p[1]);
	tp_check();
	vmk_page_nofree_return(p[4]);
	vmk_page_nofree_return(p[3]);
	tp_check();
	assert_int_equal(returned(), 5);
	assert_int_equal(tp_state(VMK_PAGE_NOFREE_POOL), 512);
	assert_int_equal(imported(), 1);
	/* One run again: the next allocation is the block's last frame. */
	p[0] = vmk_page_alloc_nofree(0, 0);
	assert_true((vmk_page_to_pa(p[0]) + PG) % UNIT == 0);
	/* A pending-bad NOFREE page becomes BAD when taken back. */
	assert_int_equal(vmk_phys_add_bad(vmk_page_to_pa(p[0])), 0);
	vmk_page_nofree_return(p[0]);
	assert_int_equal(vmk_page_state(p[0]), VMK_PAGE_BAD);
	tp_check();
	/* A bad frame inside a run splits it. */
	assert_int_equal(vmk_phys_add_bad(vmk_page_to_pa(p[0]) - 100 * PG), 0);
	assert_int_equal(tp_state(VMK_PAGE_NOFREE_POOL), 510);
	tp_check();
	assert_panics(vmk_page_nofree_return(p[0]), "takes a NOFREE page");
}

/*
 * The kmem_malloc() scenario: a caller needs 4 NOFREE pages, takes them one
 * at a time, and the 4th allocation fails; it gives back what it took.
 */
static int nofree_multi(struct vmk_page **out, int n)
{
	for (int i = 0; i < n; i++) {
		out[i] = vmk_page_alloc_nofree(0, 0);
		if (!out[i]) {
			while (i-- > 0)
				vmk_page_nofree_return(out[i]);
			return -VMK_ENOMEM;
		}
	}
	return 0;
}

static void test_partial_failure_returns(void **state)
{
	struct vmk_page *p[4];
	uint64_t avail, nofree, free0;

	(void)state;
	tp_add_free(4 * GiB, 4 * MiB, 0);
	assert_int_equal(nofree_multi(p, 1), 0);	/* the pool exists */
	avail = tp_state(VMK_PAGE_NOFREE_POOL);
	nofree = tp_state(VMK_PAGE_NOFREE);
	free0 = tp_free();
	vmk_sim_fail_nth(3, "phys.nofree", false);
	assert_int_equal(nofree_multi(p, 4), -VMK_ENOMEM);
	vmk_sim_fail_off();
	assert_int_equal(tp_state(VMK_PAGE_NOFREE_POOL), avail);
	assert_int_equal(tp_state(VMK_PAGE_NOFREE), nofree);
	assert_int_equal(tp_free(), free0);
	assert_int_equal(returned(), 3);
	tp_check();
	/* The returned frames are handed out again, contiguously. */
	assert_int_equal(nofree_multi(p, 4), 0);
	for (int i = 1; i < 4; i++)
		assert_true(vmk_page_to_pa(p[i]) + PG == vmk_page_to_pa(p[i - 1]));
	tp_check();
}

static void test_batch_all_or_nothing(void **state)
{
	static struct vmk_page *v[2048];
	uint64_t free0, imp0;

	(void)state;
	tp_add_free(4 * GiB, 4 * MiB, 0);	/* 1024 frames: two import blocks */
	assert_int_equal(vmk_page_alloc_nofree_batch(0, 0, 0, v), -VMK_EINVAL);
	assert_int_equal(vmk_page_alloc_nofree_batch(0, 0, 5, NULL), -VMK_EINVAL);
	free0 = tp_free();
	imp0 = imported();
	/* More than memory holds: nothing taken, imports undone. */
	assert_int_equal(vmk_page_alloc_nofree_batch(0, 0, 1025, v), -VMK_ENOMEM);
	assert_int_equal(tp_free(), free0);
	assert_int_equal(imported(), imp0);
	assert_int_equal(tp_state(VMK_PAGE_NOFREE_POOL), 0);
	tp_check();
	/* An import that fails part-way (the second) undoes the first. */
	vmk_sim_fail_nth(1, "phys.nofree.import", false);
	assert_int_equal(vmk_page_alloc_nofree_batch(0, 0, 600, v), -VMK_ENOMEM);
	vmk_sim_fail_off();
	assert_int_equal(tp_free(), free0);
	assert_int_equal(imported(), imp0);
	tp_check();
	/* Exactly all of memory in one batch. */
	assert_int_equal(vmk_page_alloc_nofree_batch(0, 0, 1024, v), 0);
	for (int i = 0; i < 1024; i++)
		assert_int_equal(vmk_page_state(v[i]), VMK_PAGE_NOFREE);
	assert_int_equal(tp_free(), 0);
	assert_int_equal(imported(), 2);
	tp_check();
	assert_int_equal(vmk_page_alloc_nofree_batch(0, 0, 1, v + 1024), -VMK_ENOMEM);
	assert_null(vmk_page_alloc_nofree(0, 0));
	for (int i = 0; i < 1024; i++)
		vmk_page_nofree_return(v[i]);
	assert_int_equal(tp_state(VMK_PAGE_NOFREE_POOL), 1024);
	tp_check();
}

static void test_import_smaller_blocks(void **state)
{
	static struct vmk_page *hold[1024];
	struct vmk_page *p;

	(void)state;
	tp_add_free(4 * GiB, 4 * MiB, 0);
	/* Hold every other 16-page block: no 2 MiB block is free any more. */
	for (int i = 0; i < 1024 / 32; i++) {
		hold[i] = vmk_page_alloc_contig(0, 16, 4 * GiB + (uint64_t)i * 32 * PG,
						4 * GiB + (uint64_t)i * 32 * PG + 16 * PG, 0, 0, 0, 0);
		assert_non_null(hold[i]);
	}
	p = vmk_page_alloc_nofree(0, 0);
	assert_non_null(p);
	/* The import was a 16-page block. */
	assert_int_equal(tp_state(VMK_PAGE_NOFREE_POOL), 15);
	tp_check();
	for (int i = 0; i < 1024 / 32; i++)
		vmk_page_free_contig(hold[i], 16);
	tp_check();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_import_and_gather, setup),
		cmocka_unit_test_setup(test_take_back_coalesces, setup),
		cmocka_unit_test_setup(test_partial_failure_returns, setup),
		cmocka_unit_test_setup(test_batch_all_or_nothing, setup),
		cmocka_unit_test_setup(test_import_smaller_blocks, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
