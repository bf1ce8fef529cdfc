/*
 * The allocation path's search for a lazy chunk skips bitmap words with
 * no lazy free chunk: on a 1 GiB lazy machine whose first 64 chunks (one
 * whole word) were initialised by lookups, order-10 allocations first
 * take those 64 blocks, and the next one initialises chunk 64 (the lowest
 * lazy one) and returns it, one chunk leaving the lazy count.
 * The hand-over joins adjacent memory regions of one node and pool that
 * memblock keeps apart (different flags) into one segment, and accounts
 * driver-managed memory without making records for it.
 */
#include "phys_util.h"

#include <vmkit/memblock.h>

#define GiB VMK_GiB
#define CHUNK_ORDER (VMK_MAX_ORDER - 1)
#define CHUNK_PAGES ((uint64_t)1 << CHUNK_ORDER)
#define CHUNK_BYTES (CHUNK_PAGES * VMK_PAGE_SIZE)
#define BASE (4 * GiB)

static struct vmk_memblock mb;

static uint64_t lazy_now(void)
{
	struct vmk_phys_stats st;

	vmk_phys_get_stats(&st);
	return st.lazy;
}

static void test_alloc_skips_initialised_word(void **state)
{
	static struct vmk_page *got[80];
	uint64_t lazy0;
	unsigned int n = 0;
	bool beyond = false;

	(void)state;
	tp_reset();
	vmk_memblock_init(&mb);
	assert_int_equal(vmk_sim_ram_add(BASE, 1 * GiB), 0);
	assert_int_equal(vmk_memblock_add(&mb, BASE, 1 * GiB), 0);
	assert_int_equal(vmk_phys_init(&mb, NULL), 0);
	/* Chunks 0..63 initialised (each a free order-10 block now). */
	for (uint64_t c = 0; c < 64; c++)
		assert_non_null(vmk_pa_to_page(BASE + c * CHUNK_BYTES));
	lazy0 = lazy_now();
	assert_true(lazy0 > 0);
	while (!beyond) {
		uint64_t before = lazy_now();
		vmk_paddr_t pa;

		assert_true(n < VMK_ARRAY_SIZE(got));
		got[n] = vmk_page_alloc_order(0, VMK_POOL_DEFAULT, CHUNK_ORDER, VMK_ALLOC_NOCACHE);
		assert_non_null(got[n]);
		pa = vmk_page_to_pa(got[n]);
		n++;
		if (pa < BASE + 64 * CHUNK_BYTES) {
			assert_int_equal(lazy_now(), before);
			continue;
		}
		/* The first block from beyond the initialised word: chunk 64, just initialised. */
		beyond = true;
		assert_int_equal(pa, BASE + 64 * CHUNK_BYTES);
		assert_int_equal(before - lazy_now(), CHUNK_PAGES);
	}
	/* Every block of the initialised word came first. */
	assert_int_equal(n, 65);
	assert_int_equal(lazy0 - lazy_now(), CHUNK_PAGES);
	for (unsigned int i = 0; i < n; i++)
		vmk_page_free_order(got[i], CHUNK_ORDER);
	tp_check();
}

static void test_handover_joins_and_driver_managed(void **state)
{
	const struct vmk_phys_boot_report *r;
	const uint64_t M256 = 256ull << 20;

	(void)state;
	tp_reset();
	vmk_memblock_init(&mb);
	assert_int_equal(vmk_sim_ram_add(BASE, 1 * GiB), 0);
	assert_int_equal(vmk_memblock_add_node(&mb, BASE, M256, 0, 0), 0);
	assert_int_equal(vmk_memblock_add_node(&mb, BASE + M256, M256, 0, VMK_MEMBLOCK_MIRROR), 0);
	assert_int_equal(vmk_memblock_add_node(&mb, BASE + 2 * M256, M256, 0, VMK_MEMBLOCK_DRIVER_MANAGED), 0);
	assert_int_equal(mb.memory.cnt, 3);
	assert_int_equal(vmk_phys_init(&mb, NULL), 0);
	r = vmk_phys_boot_report();
	assert_int_equal(r->nsegs, 1);
	assert_int_equal(r->total, 3 * M256);
	assert_int_equal(r->driver_managed, M256);
	assert_int_equal(r->free + r->reserved + r->page_array + r->bad + r->nomap + r->driver_managed + r->partial,
			 r->total);
	assert_non_null(vmk_pa_to_page(BASE + M256 - VMK_PAGE_SIZE));
	assert_non_null(vmk_pa_to_page(BASE + M256));
	assert_null(vmk_pa_to_page(BASE + 2 * M256));
	tp_check();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_skips_initialised_word),
		cmocka_unit_test(test_handover_joins_and_driver_managed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
