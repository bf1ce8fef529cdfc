/*
 * Blocks of order > 0 and contiguous runs are taken and freed in one pass
 * of whole-word compares and one of whole-word stores per frame
 * (take_records(), free_fast_locked()): what those passes must still
 * do for every frame, not only the head. A tail on a reverse map refuses
 * the free and changes nothing; a tail marked bad while allocated turns
 * BAD and the rest goes back; the owner's fields of every tail are clean
 * at the next allocation; WIRED and the memory attribute reach every
 * record; a PTP block frees from PTP; a run whose frames are not all
 * order-0 pages, or a block freed as one page, is refused and changes
 * nothing.
 */
#include "phys_util.h"

#define MiB VMK_MiB
#define GiB VMK_GiB
#define PG VMK_PAGE_SIZE

static void expect_states(const struct vmk_page *p, size_t n, unsigned int st)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(vmk_page_state(&p[i]), st);
}

static void test_mapped_tail_refuses_block_free(void **state)
{
	struct vmk_page *p;

	(void)state;
	tp_reset();
	tp_add_free(4 * GiB, 4 * MiB, 0);
	p = vmk_page_alloc_order(0, 0, 3, 0);
	assert_non_null(p);
	p[5].md_pv = 0x1234;
	assert_panics(vmk_page_free_order(p, 3), "reverse-map");
	/* Refused before anything changed. */
	expect_states(p, 8, VMK_PAGE_ALLOC);
	p[5].md_pv = 0;
	vmk_page_free_order(p, 3);
	expect_states(p, 8, VMK_PAGE_FREE);
	tp_check();

	p = vmk_page_alloc_contig(0, 5, 0, ~(vmk_paddr_t)0, 0, 0, VMK_MEMATTR_WB, 0);
	assert_non_null(p);
	p[4].md_pv = 0x40;
	assert_panics(vmk_page_free_contig(p, 5), "reverse-map");
	expect_states(p, 5, VMK_PAGE_ALLOC);
	p[4].md_pv = 0;
	vmk_page_free_contig(p, 5);
	tp_check();
	assert_int_equal(tp_free(), 4 * MiB / PG);
}

static void test_double_free_of_tail_run_refused(void **state)
{
	struct vmk_page *p;

	(void)state;
	tp_reset();
	tp_add_free(4 * GiB, 4 * MiB, 0);
	p = vmk_page_alloc_contig(0, 6, 0, ~(vmk_paddr_t)0, 0, 0, VMK_MEMATTR_WB, 0);
	assert_non_null(p);
	vmk_page_free_contig(p + 3, 3);
	/* The head is allocated, frames 3..5 are not: refused. */
	assert_panics(vmk_page_free_contig(p, 6), "double free");
	expect_states(p, 3, VMK_PAGE_ALLOC);
	vmk_page_free_contig(p, 3);
	tp_check();
	assert_int_equal(tp_free(), 4 * MiB / PG);
}

static void test_bad_tail_retired_on_block_free(void **state)
{
	const vmk_paddr_t base = 4 * GiB;
	struct vmk_page *p, *q;
	size_t n = 0;

	(void)state;
	tp_reset();
	tp_add_free(base, 4 * MiB, 0);
	p = vmk_page_alloc_order(0, 0, 4, 0);
	assert_non_null(p);
	assert_int_equal(vmk_phys_add_bad(vmk_page_to_pa(&p[9])), 0);
	vmk_page_free_order(p, 4);
	assert_int_equal(vmk_page_state(&p[9]), VMK_PAGE_BAD);
	assert_int_equal(tp_state(VMK_PAGE_BAD), 1);
	expect_states(p, 9, VMK_PAGE_FREE);
	expect_states(&p[10], 6, VMK_PAGE_FREE);
	tp_check();
	/* Everything but the bad frame is allocatable again. */
	while ((q = vmk_page_alloc(0, 0, VMK_ALLOC_NOCACHE)) != NULL) {
		assert_true(q != &p[9]);
		n++;
	}
	assert_int_equal(n, 4 * MiB / PG - 1);

	/* The same through a contiguous run. */
	tp_reset();
	tp_add_free(base, 4 * MiB, 0);
	p = vmk_page_alloc_contig(0, 7, 0, ~(vmk_paddr_t)0, 0, 0, VMK_MEMATTR_WB, 0);
	assert_non_null(p);
	assert_int_equal(vmk_phys_add_bad(vmk_page_to_pa(&p[0])), 0);
	assert_int_equal(vmk_phys_add_bad(vmk_page_to_pa(&p[6])), 0);
	vmk_page_free_contig(p, 7);
	assert_int_equal(vmk_page_state(&p[0]), VMK_PAGE_BAD);
	assert_int_equal(vmk_page_state(&p[6]), VMK_PAGE_BAD);
	expect_states(&p[1], 5, VMK_PAGE_FREE);
	tp_check();
	assert_int_equal(tp_free(), 4 * MiB / PG - 2);
}

static void test_tails_clean_at_next_allocation(void **state)
{
	struct vmk_page *p, *q;

	(void)state;
	tp_reset();
	tp_add_free(4 * GiB, 64 * 1024, 0);
	p = vmk_page_alloc_order(0, 0, 4, VMK_ALLOC_WIRED);
	assert_non_null(p);
	assert_int_equal(p->order, 4);
	for (int i = 0; i < 16; i++) {
		assert_int_equal(p[i].ref_count, 1);
		assert_int_equal(p[i].owner, 0);
		assert_int_equal(p[i].md_pv, 0);
		assert_int_equal(p[i].memattr, VMK_MEMATTR_WB);
		if (i > 0)
			assert_int_equal(p[i].order, VMK_ORDER_NONE);
		/* What an owner leaves behind. */
		p[i].owner = 0xdead0000u + (uint64_t)i;
		p[i].ref_count = 7;
		p[i].md_flags = 0x5a;
	}
	vmk_page_free_order(p, 4);
	tp_check();
	/* The only 16 frames: the next allocations get the same records. */
	q = vmk_page_alloc_order(0, 0, 3, VMK_ALLOC_PTP);
	assert_non_null(q);
	assert_true(q == p || q == p + 8);
	expect_states(q, 8, VMK_PAGE_PTP);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(q[i].owner, 0);
		assert_int_equal(q[i].ref_count, 0);
		assert_int_equal(q[i].md_flags, 0);
	}
	q[2].ref_count = 3;
	vmk_page_free_order(q, 3);
	tp_check();
	p = vmk_page_alloc_contig(0, 16, 0, ~(vmk_paddr_t)0, 0, 0, VMK_MEMATTR_WC, 0);
	assert_non_null(p);
	for (int i = 0; i < 16; i++) {
		assert_int_equal(p[i].order, 0);
		assert_int_equal(p[i].memattr, VMK_MEMATTR_WC);
		assert_int_equal(p[i].ref_count, 0);
		assert_int_equal(p[i].owner, 0);
		assert_int_equal(p[i].md_flags, 0);
	}
	vmk_page_free_contig(p, 16);
	tp_check();
	assert_int_equal(tp_free(), 16);
}

static void test_run_with_a_block_head_refused(void **state)
{
	struct vmk_page *p;

	(void)state;
	tp_reset();
	tp_add_free(4 * GiB, 4 * MiB, 0);
	/* A block freed as a run: its head is order 2, not an order-0 page. */
	p = vmk_page_alloc_order(0, 0, 2, 0);
	assert_non_null(p);
	assert_panics(vmk_page_free_contig(p, 4), "order 0");
	expect_states(p, 4, VMK_PAGE_ALLOC);
	assert_int_equal(p->order, 2);
	vmk_page_free_order(p, 2);
	tp_check();
	/* A run one of whose tails claims to head a block. */
	p = vmk_page_alloc_contig(0, 6, 0, ~(vmk_paddr_t)0, 0, 0, VMK_MEMATTR_WB, 0);
	assert_non_null(p);
	p[4].order = 1;
	assert_panics(vmk_page_free_contig(p, 6), "order 0");
	expect_states(p, 6, VMK_PAGE_ALLOC);
	p[4].order = 0;
	vmk_page_free_contig(p, 6);
	tp_check();
	assert_int_equal(tp_free(), 4 * MiB / PG);
}

/*
 * vmk_page_free() is for order-0 pages: the head of a block (order > 0)
 * or a tail (order NONE) is refused by its fast test, which must read the
 * order byte as well as the state, and nothing changes.
 */
static void test_block_head_refused_by_page_free(void **state)
{
	struct vmk_page *p;
	uint64_t before;

	(void)state;
	tp_reset();
	tp_add_free(4 * GiB, 4 * MiB, 0);
	/* Warm the cache so that a wrong push would land in it unnoticed. */
	vmk_page_free(vmk_page_alloc(0, 0, 0));
	p = vmk_page_alloc_order(0, 0, 2, 0);
	assert_non_null(p);
	before = tp_free();
	assert_panics(vmk_page_free(p), "order-0");
	assert_panics(vmk_page_free(p + 1), "order-0");
	expect_states(p, 4, VMK_PAGE_ALLOC);
	assert_int_equal(p->order, 2);
	assert_int_equal(tp_free(), before);
	vmk_page_free_order(p, 2);
	tp_check();
	assert_int_equal(tp_free(), 4 * MiB / PG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mapped_tail_refuses_block_free),
		cmocka_unit_test(test_double_free_of_tail_run_refused),
		cmocka_unit_test(test_bad_tail_retired_on_block_free),
		cmocka_unit_test(test_tails_clean_at_next_allocation),
		cmocka_unit_test(test_run_with_a_block_head_refused),
		cmocka_unit_test(test_block_head_refused_by_page_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
