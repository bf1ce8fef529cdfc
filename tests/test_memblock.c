/* Unit tests of memblock: list operations, flags and nodes, queries. */
#include "memblock_util.h"

#define M VMK_MiB
#define K VMK_KiB

static struct vmk_memblock mb;

static int setup(void **state)
{
	(void)state;
	vmk_sim_install();
	vmk_memblock_init(&mb);
	return 0;
}

static void test_init(void **state)
{
	(void)state;
	EXPECT_EMPTY(&mb.memory);
	EXPECT_EMPTY(&mb.reserved);
	assert_int_equal(mb.memory.max, VMK_MEMBLOCK_INIT_REGIONS);
	assert_ptr_equal(mb.memory.regions, mb.memory_init);
	assert_ptr_equal(mb.reserved.regions, mb.reserved_init);
	assert_string_equal(mb.memory.name, "memory");
	assert_string_equal(mb.reserved.name, "reserved");
	assert_false(mb.bottom_up);
	assert_false(mb.can_resize);
	assert_true(mb.current_limit == VMK_PADDR_MAX);
	assert_true(vmk_memblock_phys_mem_size(&mb) == 0);
	assert_true(vmk_memblock_free_size(&mb) == 0);
	assert_true(vmk_memblock_start_of_dram(&mb) == 0);
	assert_true(vmk_memblock_end_of_dram(&mb) == 0);
	vmk_memblock_check(&mb);
}

static void test_add_merge(void **state)
{
	(void)state;
	assert_int_equal(vmk_memblock_add(&mb, 0x10000, 0x10000), 0);
	assert_int_equal(vmk_memblock_add(&mb, 0x40000, 0x10000), 0);
	EXPECT(&mb.memory, { 0x10000, 0x10000, NN, 0 }, { 0x40000, 0x10000, NN, 0 });
	/* touching on the left: coalesces */
	assert_int_equal(vmk_memblock_add(&mb, 0x20000, 0x8000), 0);
	EXPECT(&mb.memory, { 0x10000, 0x18000, NN, 0 }, { 0x40000, 0x10000, NN, 0 });
	/* touching on the right */
	assert_int_equal(vmk_memblock_add(&mb, 0x38000, 0x8000), 0);
	EXPECT(&mb.memory, { 0x10000, 0x18000, NN, 0 }, { 0x38000, 0x18000, NN, 0 });
	/* overlapping both and bridging the hole */
	assert_int_equal(vmk_memblock_add(&mb, 0x18000, 0x30000), 0);
	EXPECT(&mb.memory, { 0x10000, 0x40000, NN, 0 });
	/* fully inside: nothing changes */
	assert_int_equal(vmk_memblock_add(&mb, 0x20000, 0x1000), 0);
	EXPECT(&mb.memory, { 0x10000, 0x40000, NN, 0 });
	/* covering everything extends both ends */
	assert_int_equal(vmk_memblock_add(&mb, 0x0, 0x100000), 0);
	EXPECT(&mb.memory, { 0x0, 0x100000, NN, 0 });
	assert_true(vmk_memblock_phys_mem_size(&mb) == 0x100000);
	vmk_memblock_check(&mb);
}

static void test_add_incompatible(void **state)
{
	(void)state;
	assert_int_equal(vmk_memblock_add_node(&mb, 0x100000, 0x100000, 0, 0), 0);
	/* touching but another node: stays separate */
	assert_int_equal(vmk_memblock_add_node(&mb, 0x200000, 0x100000, 1, 0), 0);
	/* touching but other flags: stays separate */
	assert_int_equal(vmk_memblock_add_node(&mb, 0x300000, 0x100000, 1, VMK_MEMBLOCK_HOTPLUG), 0);
	EXPECT(&mb.memory, { 0x100000, 0x100000, 0, 0 }, { 0x200000, 0x100000, 1, 0 },
	       { 0x300000, 0x100000, 1, VMK_MEMBLOCK_HOTPLUG });
	/* overlapping add: existing parts keep node and flags, holes get the new ones */
	assert_int_equal(vmk_memblock_add_node(&mb, 0x0, 0x500000, 2, VMK_MEMBLOCK_MIRROR), 0);
	EXPECT(&mb.memory, { 0x0, 0x100000, 2, VMK_MEMBLOCK_MIRROR },
	       { 0x100000, 0x100000, 0, 0 }, { 0x200000, 0x100000, 1, 0 },
	       { 0x300000, 0x100000, 1, VMK_MEMBLOCK_HOTPLUG },
	       { 0x400000, 0x100000, 2, VMK_MEMBLOCK_MIRROR });
	/* a hole between compatible neighbours becomes one region */
	assert_int_equal(vmk_memblock_add_node(&mb, 0x600000, 0x100000, 2, VMK_MEMBLOCK_MIRROR), 0);
	assert_int_equal(vmk_memblock_add_node(&mb, 0x500000, 0x100000, 2, VMK_MEMBLOCK_MIRROR), 0);
	EXPECT(&mb.memory, { 0x0, 0x100000, 2, VMK_MEMBLOCK_MIRROR },
	       { 0x100000, 0x100000, 0, 0 }, { 0x200000, 0x100000, 1, 0 },
	       { 0x300000, 0x100000, 1, VMK_MEMBLOCK_HOTPLUG },
	       { 0x400000, 0x300000, 2, VMK_MEMBLOCK_MIRROR });
	vmk_memblock_check(&mb);
}

static void test_add_errors_and_edges(void **state)
{
	(void)state;
	/* size 0 is a no-op */
	assert_int_equal(vmk_memblock_add(&mb, 0x1000, 0), 0);
	assert_int_equal(vmk_memblock_reserve(&mb, 0x1000, 0), 0);
	assert_int_equal(vmk_memblock_remove(&mb, 0x1000, 0), 0);
	assert_int_equal(vmk_memblock_free(&mb, 0x1000, 0), 0);
	assert_int_equal(vmk_memblock_mark_nomap(&mb, 0x1000, 0), 0);
	assert_int_equal(vmk_memblock_set_node(&mb, 0x1000, 0, 1), 0);
	EXPECT_EMPTY(&mb.memory);
	EXPECT_EMPTY(&mb.reserved);
	/* bad node, bad flags */
	assert_int_equal(vmk_memblock_add_node(&mb, 0x1000, 0x1000, VMK_MAX_DOMAINS, 0), -VMK_EINVAL);
	assert_int_equal(vmk_memblock_add_node(&mb, 0x1000, 0x1000, -2, 0), -VMK_EINVAL);
	assert_int_equal(vmk_memblock_add_node(&mb, 0x1000, 0x1000, 0, 1u << 7), -VMK_EINVAL);
	assert_int_equal(vmk_memblock_set_node(&mb, 0x1000, 0x1000, 99), -VMK_EINVAL);
	assert_int_equal(vmk_memblock_mark(&mb, 0x1000, 0x1000, 1u << 9), -VMK_EINVAL);
	assert_int_equal(vmk_memblock_clear(&mb, 0x1000, 0x1000, 1u << 9), -VMK_EINVAL);
	EXPECT_EMPTY(&mb.memory);
	/* the top of the address space: the size is clipped, nothing wraps */
	assert_int_equal(vmk_memblock_add(&mb, UINT64_MAX - 0xfff, 0x10000), 0);
	EXPECT(&mb.memory, { UINT64_MAX - 0xfff, 0xfff, NN, 0 });
	assert_true(vmk_memblock_end_of_dram(&mb) == UINT64_MAX);
	/* base at the very top: clips to nothing */
	assert_int_equal(vmk_memblock_add(&mb, UINT64_MAX, 5), 0);
	assert_int_equal(vmk_memblock_reserve(&mb, UINT64_MAX, UINT64_MAX), 0);
	EXPECT(&mb.memory, { UINT64_MAX - 0xfff, 0xfff, NN, 0 });
	EXPECT_EMPTY(&mb.reserved);
	/* everything: [0, UINT64_MAX) */
	assert_int_equal(vmk_memblock_add(&mb, 0, UINT64_MAX), 0);
	EXPECT(&mb.memory, { 0, UINT64_MAX, NN, 0 });
	assert_int_equal(vmk_memblock_remove(&mb, 0x1000, UINT64_MAX), 0);
	EXPECT(&mb.memory, { 0, 0x1000, NN, 0 });
	assert_int_equal(vmk_memblock_reserve(&mb, 0x8000, UINT64_MAX), 0);
	EXPECT(&mb.reserved, { 0x8000, UINT64_MAX - 0x8000, NN, 0 });
	assert_int_equal(vmk_memblock_free(&mb, UINT64_MAX - 0x1000, 0x2000), 0);
	EXPECT(&mb.reserved, { 0x8000, UINT64_MAX - 0x1000 - 0x8000, NN, 0 });
	vmk_memblock_check(&mb);
}

static void test_remove(void **state)
{
	(void)state;
	assert_int_equal(vmk_memblock_add_node(&mb, 0x100000, 0x100000, 0, 0), 0);
	assert_int_equal(vmk_memblock_add_node(&mb, 0x200000, 0x100000, 1, 0), 0);
	assert_int_equal(vmk_memblock_add_node(&mb, 0x400000, 0x100000, 1, 0), 0);
	/* punch a hole in the middle of one region: split */
	assert_int_equal(vmk_memblock_remove(&mb, 0x140000, 0x10000), 0);
	EXPECT(&mb.memory, { 0x100000, 0x40000, 0, 0 }, { 0x150000, 0xb0000, 0, 0 },
	       { 0x200000, 0x100000, 1, 0 }, { 0x400000, 0x100000, 1, 0 });
	/* across a boundary: trims both sides */
	assert_int_equal(vmk_memblock_remove(&mb, 0x1f0000, 0x20000), 0);
	EXPECT(&mb.memory, { 0x100000, 0x40000, 0, 0 }, { 0x150000, 0xa0000, 0, 0 },
	       { 0x210000, 0xf0000, 1, 0 }, { 0x400000, 0x100000, 1, 0 });
	/* non-memory only: nothing */
	assert_int_equal(vmk_memblock_remove(&mb, 0x300000, 0x100000), 0);
	assert_int_equal(mb.memory.cnt, 4);
	/* swallowing whole regions and trimming the last */
	assert_int_equal(vmk_memblock_remove(&mb, 0x0, 0x410000), 0);
	EXPECT(&mb.memory, { 0x410000, 0xf0000, 1, 0 });
	assert_int_equal(vmk_memblock_remove(&mb, 0x0, UINT64_MAX), 0);
	EXPECT_EMPTY(&mb.memory);
	vmk_memblock_check(&mb);
}

static void test_reserve_free(void **state)
{
	(void)state;
	assert_int_equal(vmk_memblock_add(&mb, 0x100000, 0x100000), 0);
	/* reserved ranges may stick out of memory or lie outside it */
	assert_int_equal(vmk_memblock_reserve(&mb, 0xf0000, 0x20000), 0);
	assert_int_equal(vmk_memblock_reserve(&mb, 0x1f0000, 0x20000), 0);
	assert_int_equal(vmk_memblock_reserve(&mb, 0xfee00000, 0x1000), 0);
	EXPECT(&mb.reserved, { 0xf0000, 0x20000, NN, 0 }, { 0x1f0000, 0x20000, NN, 0 },
	       { 0xfee00000, 0x1000, NN, 0 });
	assert_true(vmk_memblock_reserved_size(&mb) == 0x41000);
	/* free memory: [0x110000, 0x1f0000) */
	assert_true(vmk_memblock_free_size(&mb) == 0xe0000);
	/* overlapping reservations merge */
	assert_int_equal(vmk_memblock_reserve(&mb, 0x100000, 0x20000), 0);
	EXPECT(&mb.reserved, { 0xf0000, 0x30000, NN, 0 }, { 0x1f0000, 0x20000, NN, 0 },
	       { 0xfee00000, 0x1000, NN, 0 });
	/* touching reservations merge */
	assert_int_equal(vmk_memblock_reserve(&mb, 0x1e0000, 0x10000), 0);
	EXPECT(&mb.reserved, { 0xf0000, 0x30000, NN, 0 }, { 0x1e0000, 0x30000, NN, 0 },
	       { 0xfee00000, 0x1000, NN, 0 });
	/* free splits and trims; freeing what is not reserved is ignored */
	assert_int_equal(vmk_memblock_free(&mb, 0xf8000, 0x1000), 0);
	assert_int_equal(vmk_memblock_free(&mb, 0x200000, 0x100000), 0);
	assert_int_equal(vmk_memblock_free(&mb, 0x50000000, 0x1000), 0);
	EXPECT(&mb.reserved, { 0xf0000, 0x8000, NN, 0 }, { 0xf9000, 0x27000, NN, 0 },
	       { 0x1e0000, 0x20000, NN, 0 }, { 0xfee00000, 0x1000, NN, 0 });
	assert_true(vmk_memblock_is_region_reserved(&mb, 0xf7000, 0x1000));
	assert_false(vmk_memblock_is_region_reserved(&mb, 0xf8000, 0x1000));
	assert_true(vmk_memblock_is_region_reserved(&mb, 0xf8000, 0x1001));
	assert_false(vmk_memblock_is_region_reserved(&mb, 0xf7000, 0));
	assert_true(vmk_memblock_is_reserved(&mb, 0xfee00fff));
	assert_false(vmk_memblock_is_reserved(&mb, 0xfee01000));
	vmk_memblock_check(&mb);
}

static void test_mark_clear(void **state)
{
	(void)state;
	assert_int_equal(vmk_memblock_add(&mb, 0x100000, 0x400000), 0);
	assert_int_equal(vmk_memblock_add(&mb, 0x800000, 0x100000), 0);
	assert_int_equal(vmk_memblock_mark_nomap(&mb, 0x200000, 0x100000), 0);
	EXPECT(&mb.memory, { 0x100000, 0x100000, NN, 0 },
	       { 0x200000, 0x100000, NN, VMK_MEMBLOCK_NOMAP },
	       { 0x300000, 0x200000, NN, 0 }, { 0x800000, 0x100000, NN, 0 });
	assert_true(vmk_memblock_is_memory(&mb, 0x200000));
	assert_false(vmk_memblock_is_map_memory(&mb, 0x200000));
	assert_true(vmk_memblock_is_map_memory(&mb, 0x1fffff));
	assert_false(vmk_memblock_is_map_memory(&mb, 0x500000));
	/* NOMAP memory still counts as memory but is not free */
	assert_true(vmk_memblock_phys_mem_size(&mb) == 0x500000);
	assert_true(vmk_memblock_free_size(&mb) == 0x400000);
	/* marking across a hole only touches memory */
	assert_int_equal(vmk_memblock_mark(&mb, 0x480000, 0x400000, VMK_MEMBLOCK_HOTPLUG), 0);
	EXPECT(&mb.memory, { 0x100000, 0x100000, NN, 0 },
	       { 0x200000, 0x100000, NN, VMK_MEMBLOCK_NOMAP },
	       { 0x300000, 0x180000, NN, 0 }, { 0x480000, 0x80000, NN, VMK_MEMBLOCK_HOTPLUG },
	       { 0x800000, 0x80000, NN, VMK_MEMBLOCK_HOTPLUG }, { 0x880000, 0x80000, NN, 0 });
	/* marking a flag a region already has changes nothing */
	assert_int_equal(vmk_memblock_mark(&mb, 0x210000, 0x1000, VMK_MEMBLOCK_NOMAP), 0);
	assert_int_equal(mb.memory.cnt, 6);
	/* clearing merges back */
	assert_int_equal(vmk_memblock_clear(&mb, 0x0, 0x1000000, VMK_MEMBLOCK_HOTPLUG), 0);
	assert_int_equal(vmk_memblock_clear_nomap(&mb, 0x200000, 0x100000), 0);
	EXPECT(&mb.memory, { 0x100000, 0x400000, NN, 0 }, { 0x800000, 0x100000, NN, 0 });
	/* two flags at once, then clear one */
	assert_int_equal(vmk_memblock_mark(&mb, 0x100000, 0x1000,
					   VMK_MEMBLOCK_MIRROR | VMK_MEMBLOCK_HOTPLUG), 0);
	assert_int_equal(vmk_memblock_clear(&mb, 0x100000, 0x1000, VMK_MEMBLOCK_HOTPLUG), 0);
	EXPECT(&mb.memory, { 0x100000, 0x1000, NN, VMK_MEMBLOCK_MIRROR },
	       { 0x101000, 0x3ff000, NN, 0 }, { 0x800000, 0x100000, NN, 0 });
	/* flags 0 and non-memory ranges: no-ops */
	assert_int_equal(vmk_memblock_mark(&mb, 0x100000, 0x1000, 0), 0);
	assert_int_equal(vmk_memblock_mark_nomap(&mb, 0x600000, 0x100000), 0);
	assert_int_equal(mb.memory.cnt, 3);
	vmk_memblock_check(&mb);
}

static void test_set_node(void **state)
{
	(void)state;
	assert_int_equal(vmk_memblock_add(&mb, 0x0, 0x400000), 0);
	assert_int_equal(vmk_memblock_set_node(&mb, 0x0, 0x200000, 0), 0);
	assert_int_equal(vmk_memblock_set_node(&mb, 0x200000, 0x200000, 1), 0);
	EXPECT(&mb.memory, { 0x0, 0x200000, 0, 0 }, { 0x200000, 0x200000, 1, 0 });
	/* moving a piece from one node to the other merges with it */
	assert_int_equal(vmk_memblock_set_node(&mb, 0x100000, 0x100000, 1), 0);
	EXPECT(&mb.memory, { 0x0, 0x100000, 0, 0 }, { 0x100000, 0x300000, 1, 0 });
	assert_int_equal(vmk_memblock_set_node(&mb, 0x0, UINT64_MAX, NN), 0);
	EXPECT(&mb.memory, { 0x0, 0x400000, NN, 0 });
	vmk_memblock_check(&mb);
}

static void test_queries(void **state)
{
	(void)state;
	assert_int_equal(vmk_memblock_add(&mb, 0x1000, 0x1000), 0);
	assert_int_equal(vmk_memblock_add_node(&mb, 0x2000, 0x1000, 1, 0), 0);
	assert_int_equal(vmk_memblock_add(&mb, 0x10000, 0x1000), 0);
	assert_true(vmk_memblock_start_of_dram(&mb) == 0x1000);
	assert_true(vmk_memblock_end_of_dram(&mb) == 0x11000);
	assert_false(vmk_memblock_is_memory(&mb, 0xfff));
	assert_true(vmk_memblock_is_memory(&mb, 0x1000));
	assert_true(vmk_memblock_is_memory(&mb, 0x2fff));
	assert_false(vmk_memblock_is_memory(&mb, 0x3000));
	assert_false(vmk_memblock_is_memory(&mb, 0x11000));
	/* a region made of two touching regions (other node) is memory */
	assert_true(vmk_memblock_is_region_memory(&mb, 0x1800, 0x1000));
	assert_true(vmk_memblock_is_region_memory(&mb, 0x1000, 0x2000));
	assert_false(vmk_memblock_is_region_memory(&mb, 0x1000, 0x2001));
	assert_false(vmk_memblock_is_region_memory(&mb, 0xfff, 0x10));
	assert_false(vmk_memblock_is_region_memory(&mb, 0x1000, 0));
	assert_false(vmk_memblock_is_region_memory(&mb, 0x2000, 0xf000));
}

static void test_dump(void **state)
{
	char buf[1024];
	struct vmk_outbuf ob;

	(void)state;
	assert_int_equal(vmk_memblock_add_node(&mb, 0x1000, 0x9f000, 0, 0), 0);
	assert_int_equal(vmk_memblock_add(&mb, 0x100000, 0x100000), 0);
	assert_int_equal(vmk_memblock_mark_nomap(&mb, 0x180000, 0x80000), 0);
	assert_int_equal(vmk_memblock_reserve(&mb, 0x1000, 0x1000), 0);
	vmk_outbuf_init(&ob, buf, sizeof(buf));
	vmk_memblock_dump(&mb, &ob.out);
	assert_false(ob.overflow);
	assert_string_equal(buf,
		"MEMBLOCK configuration:\n"
		" memory size = 0x000000000019f000 reserved size = 0x0000000000001000\n"
		" memory.cnt  = 0x3\n"
		" memory[0x0]\t[0x0000000000001000-0x000000000009ffff], 0x000000000009f000 bytes on node 0 flags: 0x0\n"
		" memory[0x1]\t[0x0000000000100000-0x000000000017ffff], 0x0000000000080000 bytes flags: 0x0\n"
		" memory[0x2]\t[0x0000000000180000-0x00000000001fffff], 0x0000000000080000 bytes flags: 0x4\n"
		" reserved.cnt  = 0x1\n"
		" reserved[0x0]\t[0x0000000000001000-0x0000000000001fff], 0x0000000000001000 bytes flags: 0x0\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_init, setup),
		cmocka_unit_test_setup(test_add_merge, setup),
		cmocka_unit_test_setup(test_add_incompatible, setup),
		cmocka_unit_test_setup(test_add_errors_and_edges, setup),
		cmocka_unit_test_setup(test_remove, setup),
		cmocka_unit_test_setup(test_reserve_free, setup),
		cmocka_unit_test_setup(test_mark_clear, setup),
		cmocka_unit_test_setup(test_set_node, setup),
		cmocka_unit_test_setup(test_queries, setup),
		cmocka_unit_test_setup(test_dump, setup),
	};

	vmk_sim_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
