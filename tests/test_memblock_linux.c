/*
 * memblock calls that mirror Linux helpers: alloc_try_nid / alloc_from
 * (retry from 0), trim_memory, cap_memory_range and mem_limit_remove_map
 * (mem=), the automatic preference for mirrored memory, and the dump's
 * " on node N" column. Expected values are worked out by hand from Linux's
 * mm/memblock.c.
 */
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

static void test_alloc_try_nid_retries_from_0(void **state)
{
	vmk_paddr_t pa = 0;
	unsigned long warn0;

	(void)state;
	assert_int_equal(vmk_memblock_add(&mb, 1 * M, 4 * M), 0);
	assert_int_equal(vmk_memblock_reserve(&mb, 4 * M, 1 * M), 0);
	/* plain alloc_range: nothing above 4 MiB is free */
	assert_int_equal(vmk_memblock_alloc_range(&mb, 64 * K, 0, 4 * M, 0, NN, 0, &pa), -VMK_ENOMEM);
	warn0 = vmk_sim_warnings();
	/* Linux memblock_alloc_from: the minimum is a preference, with a warning */
	assert_int_equal(vmk_memblock_alloc_from(&mb, 64 * K, 0, 4 * M, &pa), 0);
	assert_true(pa == 4 * M - 64 * K);
	assert_int_equal(vmk_sim_warnings(), warn0 + 1);
	/* room above min: no retry, no warning */
	assert_int_equal(vmk_memblock_free(&mb, 4 * M + 512 * K, 512 * K), 0);
	assert_int_equal(vmk_memblock_alloc_try_nid(&mb, 64 * K, 0, 4 * M, 0, NN, &pa), 0);
	assert_true(pa == 5 * M - 64 * K);
	assert_int_equal(vmk_sim_warnings(), warn0 + 1);
	/* min above the current limit: retried below the limit */
	vmk_memblock_set_current_limit(&mb, 2 * M);
	assert_int_equal(vmk_memblock_alloc_try_nid(&mb, 64 * K, 0, 3 * M, 0, NN, &pa), 0);
	assert_true(pa == 2 * M - 64 * K);
	/* nothing anywhere: -ENOMEM, nothing reserved */
	vmk_memblock_set_current_limit(&mb, VMK_PADDR_MAX);
	assert_int_equal(vmk_memblock_alloc_from(&mb, 8 * M, 0, 2 * M, &pa), -VMK_ENOMEM);
	/* the flag works through alloc_range too, and bad arguments still fail */
	assert_int_equal(vmk_memblock_alloc_range(&mb, 4 * K, 0, 16 * M, 0, NN,
						  VMK_MEMBLOCK_ALLOC_RETRY_FROM_0, &pa), 0);
	assert_true(pa == 5 * M - 68 * K);
	assert_int_equal(vmk_memblock_alloc_from(&mb, 4 * K, 3, 2 * M, &pa), -VMK_EINVAL);
	vmk_memblock_check(&mb);
}

static void test_trim_memory(void **state)
{
	(void)state;
	assert_int_equal(vmk_memblock_add(&mb, 0x1000, 0x9e000), 0);		/* [4K, 636K) */
	assert_int_equal(vmk_memblock_add(&mb, 0x100000, 0x3ff00000 - 0x1000), 0);
	assert_int_equal(vmk_memblock_add_node(&mb, 0x40000000, 0x180000, NN,
					       VMK_MEMBLOCK_NOMAP), 0);
	assert_int_equal(vmk_memblock_add(&mb, 0x40180000, 0x80000), 0);
	assert_int_equal(vmk_memblock_trim_memory(&mb, 3), -VMK_EINVAL);
	assert_int_equal(vmk_memblock_trim_memory(&mb, 0), -VMK_EINVAL);
	assert_int_equal(vmk_memblock_trim_memory(&mb, 2 * M), 0);
	/*
	 * [4K, 636K) has no aligned 2 MiB: gone. [1M, 1G-4K) -> [2M, 1022M).
	 * The NOMAP [1G, 1G+1.5M) and the touching [1G+1.5M, 1G+2M) are
	 * trimmed separately, as Linux does: both vanish.
	 */
	EXPECT(&mb.memory, { 2 * M, 1020 * M, NN, 0 });
	/* already aligned: nothing changes */
	assert_int_equal(vmk_memblock_trim_memory(&mb, 4 * K), 0);
	EXPECT(&mb.memory, { 2 * M, 1020 * M, NN, 0 });
	/* top of the address space: no aligned start, region goes */
	assert_int_equal(vmk_memblock_add(&mb, VMK_PADDR_MAX - 0x3000, 0x3000), 0);
	assert_int_equal(vmk_memblock_trim_memory(&mb, 1ULL << 63), 0);
	EXPECT_EMPTY(&mb.memory);
	vmk_memblock_check(&mb);
}

static void test_trim_keeps_own_arrays(void **state)
{
	vmk_paddr_t pa;
	struct vmk_range own[2];

	(void)state;
	vmk_sim_ram_reset();
	assert_int_equal(vmk_sim_ram_add(0x100000, 0x400000), 0);
	assert_int_equal(vmk_memblock_add(&mb, 0x100000, 0x3ff000), 0);
	vmk_memblock_allow_resize(&mb, true);
	/* enough scattered reservations to grow 'reserved' */
	for (unsigned i = 0; i < VMK_MEMBLOCK_INIT_REGIONS + 1; i++)
		assert_int_equal(vmk_memblock_reserve(&mb, 0x100000 + 2 * i * 0x1000, 0x1000), 0);
	assert_int_equal(vmk_memblock_own_arrays(&mb, own), 1);
	/* the array sits top-down at the end of memory, which trimming to 1 MiB drops */
	assert_true(own[0].end > 0x400000);
	assert_int_equal(vmk_memblock_trim_memory(&mb, 1 * M), -VMK_EBUSY);
	assert_true(mb.memory.regions[0].size == 0x3ff000);
	(void)pa;
	vmk_memblock_check(&mb);
	vmk_sim_ram_reset();
}

static void test_cap_memory_range(void **state)
{
	(void)state;
	/* cap before any memory: a warning, nothing else */
	assert_int_equal(vmk_memblock_cap_memory_range(&mb, 0, 1 * M), 0);
	assert_int_equal(vmk_memblock_add(&mb, 0x40000000, 0x100000), 0);
	assert_int_equal(vmk_memblock_add_node(&mb, 0x40100000, 0x100000, NN, VMK_MEMBLOCK_NOMAP), 0);
	assert_int_equal(vmk_memblock_add(&mb, 0x40200000, 0x600000), 0);
	assert_int_equal(vmk_memblock_add_node(&mb, 0x50000000, 0x10000, NN, VMK_MEMBLOCK_NOMAP), 0);
	assert_int_equal(vmk_memblock_add(&mb, 0x60000000, 0x100000), 0);
	assert_int_equal(vmk_memblock_reserve(&mb, 0x40000000, 0x1000), 0);
	assert_int_equal(vmk_memblock_reserve(&mb, 0x40300000, 0x200000), 0);
	assert_int_equal(vmk_memblock_reserve(&mb, 0x60000000, 0x1000), 0);
	/* keep [0x40080000, 0x40400000): mapped memory outside goes, NOMAP stays */
	assert_int_equal(vmk_memblock_cap_memory_range(&mb, 0x40080000, 0x380000), 0);
	EXPECT(&mb.memory, { 0x40080000, 0x80000, NN, 0 },
	       { 0x40100000, 0x100000, NN, VMK_MEMBLOCK_NOMAP },
	       { 0x40200000, 0x200000, NN, 0 },
	       { 0x50000000, 0x10000, NN, VMK_MEMBLOCK_NOMAP });
	EXPECT(&mb.reserved, { 0x40300000, 0x100000, NN, 0 });
	/* size 0: nothing */
	assert_int_equal(vmk_memblock_cap_memory_range(&mb, 0, 0), 0);
	assert_true(mb.memory.cnt == 4);
	vmk_memblock_check(&mb);
}

static void test_mem_limit_remove_map(void **state)
{
	(void)state;
	/* arm64 mem=: the first 'limit' bytes of memory, NOMAP counted */
	assert_int_equal(vmk_memblock_add(&mb, 0x40000000, 4 * M), 0);
	assert_int_equal(vmk_memblock_add_node(&mb, 0x40400000, 2 * M, NN, VMK_MEMBLOCK_NOMAP), 0);
	assert_int_equal(vmk_memblock_add(&mb, 0x80000000, 8 * M), 0);
	/* limit beyond the memory there is: no-op */
	assert_int_equal(vmk_memblock_mem_limit_remove_map(&mb, 14 * M), 0);
	assert_int_equal(vmk_memblock_mem_limit_remove_map(&mb, 0), 0);
	assert_true(vmk_memblock_phys_mem_size(&mb) == 14 * M);
	/* 4M + 2M NOMAP + 3M: memory ends at 0x80300000 */
	assert_int_equal(vmk_memblock_mem_limit_remove_map(&mb, 9 * M), 0);
	EXPECT(&mb.memory, { 0x40000000, 4 * M, NN, 0 },
	       { 0x40400000, 2 * M, NN, VMK_MEMBLOCK_NOMAP },
	       { 0x80000000, 3 * M, NN, 0 });
	/* a limit inside the first region */
	assert_int_equal(vmk_memblock_mem_limit_remove_map(&mb, 1 * M), 0);
	EXPECT(&mb.memory, { 0x40000000, 1 * M, NN, 0 },
	       { 0x40400000, 2 * M, NN, VMK_MEMBLOCK_NOMAP });
	vmk_memblock_check(&mb);
}

static void test_mirror_preferred_automatically(void **state)
{
	vmk_paddr_t pa;
	unsigned long warn0;

	(void)state;
	assert_int_equal(vmk_memblock_add(&mb, 0, 4 * M), 0);
	assert_false(mb.has_mirror);
	/* no mirror anywhere: a plain top-down allocation takes the top */
	assert_int_equal(vmk_memblock_alloc(&mb, 4 * K, 0, &pa), 0);
	assert_true(pa == 4 * M - 4 * K);
	/* marking some memory mirrored makes every allocation prefer it (Linux) */
	assert_int_equal(vmk_memblock_mark(&mb, 1 * M, 8 * K, VMK_MEMBLOCK_MIRROR), 0);
	assert_true(mb.has_mirror);
	warn0 = vmk_sim_warnings();
	assert_int_equal(vmk_memblock_alloc(&mb, 4 * K, 0, &pa), 0);
	assert_true(pa == 1 * M + 4 * K);
	assert_int_equal(vmk_memblock_alloc_nid(&mb, 4 * K, 0, 0, 0, &pa), 0);
	assert_true(pa == 1 * M);
	assert_int_equal(vmk_sim_warnings(), warn0);
	/* mirror exhausted: falls back with a warning */
	assert_int_equal(vmk_memblock_alloc(&mb, 4 * K, 0, &pa), 0);
	assert_true(pa == 4 * M - 8 * K);
	assert_int_equal(vmk_sim_warnings(), warn0 + 1);
	/* the preference stays once set, even if the flag is cleared (Linux) */
	assert_int_equal(vmk_memblock_clear(&mb, 0, 4 * M, VMK_MEMBLOCK_MIRROR), 0);
	assert_true(mb.has_mirror);
	/* adding mirrored memory also sets it */
	vmk_memblock_init(&mb);
	assert_int_equal(vmk_memblock_add_node(&mb, 0, 1 * M, NN, VMK_MEMBLOCK_MIRROR), 0);
	assert_true(mb.has_mirror);
	/* marking where there is no memory does not */
	vmk_memblock_init(&mb);
	assert_int_equal(vmk_memblock_mark(&mb, 0, 1 * M, VMK_MEMBLOCK_MIRROR), 0);
	assert_false(mb.has_mirror);
}

/*
 * The dump lines Linux prints with memblock=debug on a NUMA kernel:
 * pr_info(" %s[%#x]\t[%pa-%pa], %pa bytes%s flags: %#x\n") with
 * " on node %d" for a valid node (the kernel's %#x prints 0 as 0x0).
 */
static void test_dump_on_node_as_linux(void **state)
{
	char buf[1024];
	struct vmk_outbuf ob;

	(void)state;
	assert_int_equal(vmk_memblock_add_node(&mb, 0x40000000, 0x3c000000, 0, 0), 0);
	assert_int_equal(vmk_memblock_add_node(&mb, 0x7c000000, 0x4000000, 1, VMK_MEMBLOCK_NOMAP), 0);
	assert_int_equal(vmk_memblock_add(&mb, 0x80000000, 0x1000), 0);
	assert_int_equal(vmk_memblock_reserve(&mb, 0x40000000, 0x10000), 0);
	vmk_outbuf_init(&ob, buf, sizeof(buf));
	vmk_memblock_dump(&mb, &ob.out);
	assert_false(ob.overflow);
	assert_string_equal(buf,
		"MEMBLOCK configuration:\n"
		" memory size = 0x0000000040001000 reserved size = 0x0000000000010000\n"
		" memory.cnt  = 0x3\n"
		" memory[0x0]\t[0x0000000040000000-0x000000007bffffff], 0x000000003c000000 bytes on node 0 flags: 0x0\n"
		" memory[0x1]\t[0x000000007c000000-0x000000007fffffff], 0x0000000004000000 bytes on node 1 flags: 0x4\n"
		" memory[0x2]\t[0x0000000080000000-0x0000000080000fff], 0x0000000000001000 bytes flags: 0x0\n"
		" reserved.cnt  = 0x1\n"
		" reserved[0x0]\t[0x0000000040000000-0x000000004000ffff], 0x0000000000010000 bytes flags: 0x0\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_alloc_try_nid_retries_from_0, setup),
		cmocka_unit_test_setup(test_trim_memory, setup),
		cmocka_unit_test_setup(test_trim_keeps_own_arrays, setup),
		cmocka_unit_test_setup(test_cap_memory_range, setup),
		cmocka_unit_test_setup(test_mem_limit_remove_map, setup),
		cmocka_unit_test_setup(test_mirror_preferred_automatically, setup),
		cmocka_unit_test_setup(test_dump_on_node_as_linux, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
