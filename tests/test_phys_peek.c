/*
 * vmk_phys_peek(): a frame's state, domain and the run sharing it (free
 * block, lazy chunk, or the frame), without initialising lazily waiting
 * records. Checked against the allocator's own counters and against the
 * buddy rules (blocks aligned to their order, disjoint, covering exactly
 * the free frames).
 */
#include "harness.h"

#include <vmkit/memblock.h>
#include <vmkit/phys.h>

#define PG	4096ull
#define MiB	(1ull << 20)
#define CHUNK	((1ull << (VMK_MAX_ORDER - 1)) * PG)

static struct vmk_memblock mb;

static int setup(void **state)
{
	(void)state;
	vmk_sim_install();
	vmk_phys_reset();
	vmk_sim_ram_reset();
	vmk_sim_set_cpu_count(1);
	vmk_sim_set_cpu(0);
	vmk_memblock_init(&mb);
	vmk_memblock_allow_resize(&mb, true);
	if (vmk_sim_ram_add(0, 256 * MiB) || vmk_memblock_add_node(&mb, 0, 128 * MiB, 0, 0) ||
	    vmk_memblock_add_node(&mb, 128 * MiB, 128 * MiB, 1, 0) ||
	    vmk_memblock_reserve(&mb, 0, 1 * MiB) || vmk_phys_init(&mb, NULL))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vmk_phys_reset();
	vmk_sim_ram_reset();
	return 0;
}

/* A lazy chunk is reported as one max-order free block, and stays lazy. */
static void test_lazy_chunk_untouched(void **state)
{
	struct vmk_phys_stats before, after;
	struct vmk_phys_peek pk;
	vmk_paddr_t pa = 200 * MiB + 5 * PG;

	(void)state;
	vmk_phys_get_stats(&before);
	assert_true(before.lazy > 0);
	assert_int_equal(vmk_phys_peek(pa, &pk), 0);
	assert_true(pk.lazy);
	assert_int_equal(pk.state, VMK_PAGE_FREE);
	assert_int_equal(pk.order, VMK_MAX_ORDER - 1);
	assert_int_equal(pk.domain, 1);
	assert_true(pk.run_start == VMK_ALIGN_DOWN(pa, CHUNK) && pk.run_end == pk.run_start + CHUNK);
	/* Peeking every chunk of the machine initialises nothing. */
	for (vmk_paddr_t a = 1 * MiB; a < 256 * MiB; a += CHUNK)
		assert_int_equal(vmk_phys_peek(a, &pk), 0);
	vmk_phys_get_stats(&after);
	assert_true(after.lazy == before.lazy);
}

/* After an allocation, the peeked free blocks of its chunk obey the buddy rules and cover the rest. */
static void test_free_blocks_after_alloc(void **state)
{
	struct vmk_page *p;
	vmk_paddr_t pa, c0, a;
	uint64_t free_bytes = 0, resv_bytes = 0;
	struct vmk_phys_peek pk;

	(void)state;
	p = vmk_page_alloc(0, VMK_POOL_DEFAULT, VMK_ALLOC_NOCACHE);
	assert_non_null(p);
	pa = vmk_page_to_pa(p);
	assert_int_equal(vmk_phys_peek(pa, &pk), 0);
	assert_int_equal(pk.state, VMK_PAGE_ALLOC);
	assert_false(pk.lazy);
	assert_true(pk.run_start == pa && pk.run_end == pa + PG);
	c0 = VMK_ALIGN_DOWN(pa, CHUNK);
	for (a = c0; a < c0 + CHUNK; a = pk.run_end) {
		assert_int_equal(vmk_phys_peek(a, &pk), 0);
		assert_true(pk.run_start == a);
		if (a == pa)
			continue;
		if (pk.state == VMK_PAGE_RESERVED) {	/* the first MiB, the page array */
			assert_true(pk.run_end - pk.run_start == PG);
			resv_bytes += PG;
			continue;
		}
		assert_int_equal(pk.state, VMK_PAGE_FREE);
		assert_true(pk.run_end - pk.run_start == PG << pk.order);
		assert_true(pk.run_start % (PG << pk.order) == 0);
		assert_true(pa < pk.run_start || pa >= pk.run_end);
		free_bytes += pk.run_end - pk.run_start;
	}
	assert_true(a == c0 + CHUNK);
	assert_true(free_bytes + resv_bytes == CHUNK - PG);
	vmk_page_free(p);
	vmk_phys_drain_all_quiescent();
	/* Freed, the page rejoins a block around it. */
	assert_int_equal(vmk_phys_peek(pa, &pk), 0);
	assert_int_equal(pk.state, VMK_PAGE_FREE);
	assert_true(pk.run_start <= pa && pa < pk.run_end);
	if (!resv_bytes)
		assert_true(pk.run_start == c0 && pk.order == VMK_MAX_ORDER - 1);
}

static void test_reserved_and_outside(void **state)
{
	struct vmk_phys_peek pk;

	(void)state;
	assert_int_equal(vmk_phys_peek(0x5000, &pk), 0);
	assert_int_equal(pk.state, VMK_PAGE_RESERVED);
	assert_true(pk.run_end - pk.run_start == PG || pk.lazy);
	assert_int_equal(vmk_phys_peek(256 * MiB, &pk), -VMK_ENOENT);
	assert_int_equal(vmk_phys_peek(1ull << 40, &pk), -VMK_ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lazy_chunk_untouched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_blocks_after_alloc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reserved_and_outside, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
