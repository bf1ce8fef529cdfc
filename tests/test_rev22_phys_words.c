/*
 * Review of the whole-word block passes (src/phys/pool.c take_records()
 * and free_fast_locked()): every frame the word pass accepts, the
 * per-frame path would accept too. The frames the passes handle apart
 * from the two-a-step loop (the head of a free, the last frame of a
 * block, the last frame of an odd run) get the same checks as the
 * others: a head on a reverse map, a last frame marked bad, a frame in
 * another state, the poison of the last frame of an odd run.
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

static void boot(void)
{
	tp_reset();
	tp_add_free(4 * GiB, 4 * MiB, 0);
}

static void mapped_head_block(unsigned int order)
{
	struct vmk_page *p = vmk_page_alloc_order(0, 0, order, 0);

	assert_non_null(p);
	p[0].md_pv = 0x1000;
	assert_panics(vmk_page_free_order(p, order), "reverse-map");
	expect_states(p, (size_t)1 << order, VMK_PAGE_ALLOC);
	p[0].md_pv = 0;
	vmk_page_free_order(p, order);
	expect_states(p, (size_t)1 << order, VMK_PAGE_FREE);
	tp_check();
}

/* A block or run whose head is on a reverse map is refused, nothing changed. */
static void test_mapped_head_refuses_free(void **state)
{
	struct vmk_page *p;

	(void)state;
	boot();
	for (unsigned int order = 1; order <= 4; order++)
		mapped_head_block(order);
	p = vmk_page_alloc_contig(0, 4, 0, ~(vmk_paddr_t)0, 0, 0, VMK_MEMATTR_WB, 0);
	assert_non_null(p);
	p[0].md_pv = 0x2000;
	assert_panics(vmk_page_free_contig(p, 4), "reverse-map");
	expect_states(p, 4, VMK_PAGE_ALLOC);
	p[0].md_pv = 0;
	vmk_page_free_contig(p, 4);
	tp_check();
	assert_int_equal(tp_free(), 4 * MiB / PG);
}

static void last_frame_of_block(unsigned int order)
{
	size_t n = (size_t)1 << order;
	struct vmk_page *p;

	boot();
	p = vmk_page_alloc_order(0, 0, order, 0);
	assert_non_null(p);
	p[n - 1].md_pv = 0x3000;
	assert_panics(vmk_page_free_order(p, order), "reverse-map");
	expect_states(p, n, VMK_PAGE_ALLOC);
	p[n - 1].md_pv = 0;

	assert_int_equal(vmk_phys_add_bad(vmk_page_to_pa(&p[n - 1])), 0);
	vmk_page_free_order(p, order);
	expect_states(p, n - 1, VMK_PAGE_FREE);
	assert_int_equal(vmk_page_state(&p[n - 1]), VMK_PAGE_BAD);
	assert_int_equal(tp_state(VMK_PAGE_BAD), 1);
	tp_check();
	assert_int_equal(tp_free(), 4 * MiB / PG - 1);
}

/* The last frame of a block: marked bad, it turns BAD; on a reverse map, the free is refused. */
static void test_last_frame_of_block_checked(void **state)
{
	(void)state;
	for (unsigned int order = 1; order <= 5; order++)
		last_frame_of_block(order);
	/* The same for the last frame of an even contiguous run. */
	{
		struct vmk_page *p;

		boot();
		p = vmk_page_alloc_contig(0, 6, 0, ~(vmk_paddr_t)0, 0, 0, VMK_MEMATTR_WB, 0);
		assert_non_null(p);
		assert_int_equal(vmk_phys_add_bad(vmk_page_to_pa(&p[5])), 0);
		vmk_page_free_contig(p, 6);
		expect_states(p, 5, VMK_PAGE_FREE);
		assert_int_equal(vmk_page_state(&p[5]), VMK_PAGE_BAD);
		tp_check();
	}
}

static void tail_in_other_state(unsigned int k)
{
	struct vmk_page *p;

	boot();
	p = vmk_page_alloc_order(0, 0, 2, 0);
	assert_non_null(p);
	/* As if the frame had never been handed out (a stray record). */
	__atomic_store_n(&p[k].state, (uint8_t)VMK_PAGE_RESERVED, __ATOMIC_RELAXED);
	assert_panics(vmk_page_free_order(p, 2), "state reserved");
	assert_int_equal(vmk_page_state(&p[0]), VMK_PAGE_ALLOC);
	__atomic_store_n(&p[k].state, (uint8_t)VMK_PAGE_ALLOC, __ATOMIC_RELAXED);
	vmk_page_free_order(p, 2);
	expect_states(p, 4, VMK_PAGE_FREE);
	tp_check();
}

/* A frame of a block in another state than allocated (a reserved one) refuses the free. */
static void test_tail_in_other_state_refused(void **state)
{
	(void)state;
	for (unsigned int k = 1; k < 4; k++)
		tail_in_other_state(k);
}

#if VMK_DEBUG
/*
 * Poison kept by the last frame of an odd run (the frame the word pass
 * checks after its two-a-step loop): written after the free, it is
 * reported when a contiguous run takes it.
 */
static void test_poison_of_last_frame_of_odd_run(void **state)
{
	struct vmk_page *p, *x;
	unsigned char *v;
	char want[96];

	(void)state;
	boot();
	p = vmk_page_alloc_contig(0, 3, 0, ~(vmk_paddr_t)0, 0, 0, VMK_MEMATTR_WB, 0);
	assert_non_null(p);
	x = &p[2];
	/* Only the last frame is freed with poisoning on. */
	vmk_page_free_contig(p, 2);
	vmk_phys_set_poison(true);
	vmk_page_free_contig(x, 1);
	vmk_phys_set_poison(false);
	v = vmk_phys_to_virt(vmk_page_to_pa(x));
	assert_non_null(v);
	v[0x77] = 0x5a;		/* the stale pointer writes */
	snprintf(want, sizeof(want), "page 0x%llx was written after it was freed (byte 0x77 is 0x5a",
		 (unsigned long long)vmk_page_to_pa(x));
	assert_panics(vmk_page_alloc_contig(0, 3, vmk_page_to_pa(p), vmk_page_to_pa(p) + 3 * PG, 0, 0,
					    VMK_MEMATTR_WB, 0), want);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mapped_head_refuses_free),
		cmocka_unit_test(test_last_frame_of_block_checked),
		cmocka_unit_test(test_tail_in_other_state_refused),
#if VMK_DEBUG
		cmocka_unit_test(test_poison_of_last_frame_of_odd_run),
#endif
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
