/*
 * Lazy initialisation in bounded steps: vmk_phys_lazy_init_all(), a
 * failing contiguous request and a bootstrap free initialise at most
 * VMK_PHYS_LAZY_STEP chunks per hold of a domain lock. The domain lock is taken inside
 * vmk_intr_disable(), so the test wraps the platform's interrupt hooks and
 * measures, for each outermost critical section, how many frames left
 * the lazy state (vmk_phys_get_stats() reads only atomics, so it may be
 * called there).
 */
#include "phys_util.h"

#include <vmkit/memblock.h>

#define MiB VMK_MiB
#define GiB VMK_GiB
#define CHUNK_PAGES ((uint64_t)1 << (VMK_MAX_ORDER - 1))

static struct vmk_memblock mb;

static unsigned long (*prev_disable)(void *);
static void (*prev_restore)(void *, unsigned long);
static unsigned long depth;
static uint64_t lazy_at_entry, max_chunks_per_hold, holds_with_init;

static uint64_t lazy_now(void)
{
	struct vmk_phys_stats st;

	vmk_phys_get_stats(&st);
	return st.lazy;
}

static unsigned long count_disable(void *ctx)
{
	if (depth++ == 0)
		lazy_at_entry = lazy_now();
	return prev_disable ? prev_disable(ctx) : 0;
}

static void count_restore(void *ctx, unsigned long s)
{
	if (prev_restore)
		prev_restore(ctx, s);
	if (--depth == 0) {
		uint64_t chunks = (lazy_at_entry - lazy_now()) / CHUNK_PAGES;

		if (chunks)
			holds_with_init++;
		if (chunks > max_chunks_per_hold)
			max_chunks_per_hold = chunks;
	}
}

static void measure(bool on)
{
	struct vmk_platform *p = vmk_sim_platform();

	if (on) {
		prev_disable = p->intr_disable;
		prev_restore = p->intr_restore;
		p->intr_disable = count_disable;
		p->intr_restore = count_restore;
		depth = 0;
		max_chunks_per_hold = holds_with_init = 0;
	} else {
		p->intr_disable = prev_disable;
		p->intr_restore = prev_restore;
	}
}

/* 1 GiB at 4 GiB, left lazy: 256 chunks, far more than one step. */
static int setup(void **state)
{
	(void)state;
	tp_reset();
	vmk_memblock_init(&mb);
	assert_int_equal(vmk_sim_ram_add(4 * GiB, 1 * GiB), 0);
	assert_int_equal(vmk_memblock_add(&mb, 4 * GiB, 1 * GiB), 0);
	assert_int_equal(vmk_phys_init(&mb, NULL), 0);
	assert_true(lazy_now() > 8 * VMK_PHYS_LAZY_STEP * CHUNK_PAGES);
	return 0;
}

static void test_lazy_init_all_bounded(void **state)
{
	uint64_t lazy0 = lazy_now(), done;

	(void)state;
	measure(true);
	done = vmk_phys_lazy_init_all();
	measure(false);
	assert_int_equal(done, lazy0);
	assert_int_equal(lazy_now(), 0);
	print_message("lazy_init_all: %llu chunks in %llu lock holds, at most %llu per hold\n",
		      (unsigned long long)(lazy0 / CHUNK_PAGES), (unsigned long long)holds_with_init,
		      (unsigned long long)max_chunks_per_hold);
	assert_true(max_chunks_per_hold >= 1);
	assert_true(max_chunks_per_hold <= VMK_PHYS_LAZY_STEP);
	tp_check();
}

/* A contiguous request larger than the machine initialises everything, step by step, and fails. */
static void test_failing_contig_bounded(void **state)
{
	uint64_t lazy0 = lazy_now();
	struct vmk_page *p;

	(void)state;
	measure(true);
	p = vmk_page_alloc_contig(0, (size_t)(2 * GiB / VMK_PAGE_SIZE), 0, ~(vmk_paddr_t)0, 0, 0,
				  VMK_MEMATTR_WB, 0);
	measure(false);
	assert_null(p);
	print_message("failing contig: %llu chunks initialised in %llu lock holds, at most %llu per hold\n",
		      (unsigned long long)((lazy0 - lazy_now()) / CHUNK_PAGES),
		      (unsigned long long)holds_with_init, (unsigned long long)max_chunks_per_hold);
	/* It did initialise what it could search (more than one step's worth). */
	assert_true(lazy0 - lazy_now() > VMK_PHYS_LAZY_STEP * CHUNK_PAGES);
	assert_true(max_chunks_per_hold <= VMK_PHYS_LAZY_STEP);
	tp_check();
	/* A request that fits still succeeds after the steps (the lock was dropped between them). */
	p = vmk_page_alloc_contig(0, (size_t)(512 * MiB / VMK_PAGE_SIZE), 0, ~(vmk_paddr_t)0,
				  2 * MiB, 0, VMK_MEMATTR_WB, 0);
	assert_non_null(p);
	vmk_page_free_contig(p, (size_t)(512 * MiB / VMK_PAGE_SIZE));
	tp_check();
}

/*
 * A bootstrap free of a large reserved range (a 256 MiB preload whose
 * chunks were left lazy) works in bounded steps too, and initialises no
 * record: its whole chunks go from lazy reserved to lazy free.
 */
static void test_bootstrap_free_bounded(void **state)
{
	uint64_t lazy0, resv0;
	struct vmk_phys_stats st;

	(void)state;
	tp_reset();
	vmk_memblock_init(&mb);
	assert_int_equal(vmk_sim_ram_add(4 * GiB, 1 * GiB), 0);
	assert_int_equal(vmk_memblock_add(&mb, 4 * GiB, 1 * GiB), 0);
	assert_int_equal(vmk_memblock_reserve(&mb, 4 * GiB + 256 * MiB, 256 * MiB), 0);
	assert_int_equal(vmk_phys_init(&mb, NULL), 0);
	lazy0 = lazy_now();
	vmk_phys_get_stats(&st);
	resv0 = st.state[VMK_PAGE_RESERVED];
	measure(true);
	/* A range whose last steps are free fails and drops the claims of its first steps. */
	assert_int_equal(vmk_phys_bootstrap_free(4 * GiB + 256 * MiB, 4 * GiB + 768 * MiB), -VMK_EINVAL);
	/* ... and one that fails in the middle of a step drops that step's claims too. */
	assert_int_equal(vmk_phys_bootstrap_free(4 * GiB + 316 * MiB, 4 * GiB + 516 * MiB), -VMK_EINVAL);
	assert_int_equal(vmk_phys_bootstrap_free(4 * GiB + 256 * MiB, 4 * GiB + 512 * MiB), 0);
	measure(false);
	print_message("bootstrap free of 256 MiB: %llu chunks initialised in %llu lock holds, at most %llu per hold\n",
		      (unsigned long long)((lazy0 - lazy_now()) / CHUNK_PAGES),
		      (unsigned long long)holds_with_init, (unsigned long long)max_chunks_per_hold);
	assert_int_equal(lazy_now(), lazy0);
	assert_int_equal(holds_with_init, 0);
	vmk_phys_get_stats(&st);
	assert_int_equal(resv0 - st.state[VMK_PAGE_RESERVED], 256 * MiB / VMK_PAGE_SIZE);
	tp_check();
	/* Freed twice: nothing changes the second time. */
	assert_int_equal(vmk_phys_bootstrap_free(4 * GiB + 256 * MiB, 4 * GiB + 512 * MiB), -VMK_EINVAL);
	tp_check();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_lazy_init_all_bounded, setup),
		cmocka_unit_test_setup(test_failing_contig_bounded, setup),
		cmocka_unit_test(test_bootstrap_free_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
