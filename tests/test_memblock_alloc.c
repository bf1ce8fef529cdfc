/* Unit tests of memblock allocation and free-range iteration. */
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

static void test_alloc_args(void **state)
{
	vmk_paddr_t pa = 0x1234;

	(void)state;
	assert_int_equal(vmk_memblock_add(&mb, 0x100000, 0x100000), 0);
	assert_int_equal(vmk_memblock_alloc(&mb, 0, 0, &pa), -VMK_EINVAL);
	assert_int_equal(vmk_memblock_alloc(&mb, 0x1000, 3, &pa), -VMK_EINVAL);
	assert_int_equal(vmk_memblock_alloc(&mb, 0x1000, 0x3000, &pa), -VMK_EINVAL);
	assert_int_equal(vmk_memblock_alloc(&mb, 0x1000, 0, NULL), -VMK_EINVAL);
	assert_int_equal(vmk_memblock_alloc_range(&mb, 0x1000, 0, 0x180000, 0x180000, NN, 0, &pa),
			 -VMK_EINVAL);
	assert_int_equal(vmk_memblock_alloc_range(&mb, 0x1000, 0, 0x190000, 0x180000, NN, 0, &pa),
			 -VMK_EINVAL);
	assert_int_equal(vmk_memblock_alloc_range(&mb, 0x1000, 0, 0, 0, 17, 0, &pa), -VMK_EINVAL);
	assert_int_equal(vmk_memblock_alloc_range(&mb, 0x1000, 0, 0, 0, NN, 1u << 8, &pa),
			 -VMK_EINVAL);
	assert_true(pa == 0x1234);
	EXPECT_EMPTY(&mb.reserved);
	/* too big */
	assert_int_equal(vmk_memblock_alloc(&mb, 0x100001, 1, &pa), -VMK_ENOMEM);
	assert_int_equal(vmk_memblock_alloc(&mb, UINT64_MAX, 1, &pa), -VMK_ENOMEM);
	/* alignment bigger than memory: nothing aligned inside */
	assert_int_equal(vmk_memblock_alloc(&mb, 0x1000, 1ULL << 40, &pa), -VMK_ENOMEM);
	assert_int_equal(vmk_memblock_alloc(&mb, 0x1000, 1ULL << 63, &pa), -VMK_ENOMEM);
	EXPECT_EMPTY(&mb.reserved);
	/* align 0 means a page; exact fit */
	assert_int_equal(vmk_memblock_alloc(&mb, 0x100000, 0, &pa), 0);
	assert_true(pa == 0x100000);
	EXPECT(&mb.reserved, { 0x100000, 0x100000, NN, 0 });
	assert_int_equal(vmk_memblock_alloc(&mb, 1, 1, &pa), -VMK_ENOMEM);
}

static void test_alloc_top_down_bottom_up(void **state)
{
	vmk_paddr_t pa;

	(void)state;
	assert_int_equal(vmk_memblock_add(&mb, 0x100000, 0x100000), 0);
	assert_int_equal(vmk_memblock_add(&mb, 0x400000, 0x100000), 0);
	assert_int_equal(vmk_memblock_reserve(&mb, 0x4ff000, 0x1000), 0);
	/* top-down: highest aligned block of the highest range */
	assert_int_equal(vmk_memblock_alloc(&mb, 0x3000, 0x2000, &pa), 0);
	assert_true(pa == 0x4fc000);
	/* byte alignment, odd size */
	assert_int_equal(vmk_memblock_alloc(&mb, 0x123, 1, &pa), 0);
	assert_true(pa == 0x4fc000 - 0x123);
	/* bottom-up: lowest */
	vmk_memblock_set_bottom_up(&mb, true);
	assert_true(mb.bottom_up);
	assert_int_equal(vmk_memblock_alloc(&mb, 0x800, 0x1000, &pa), 0);
	assert_true(pa == 0x100000);
	assert_int_equal(vmk_memblock_alloc(&mb, 0x800, 0x1000, &pa), 0);
	assert_true(pa == 0x101000);
	assert_int_equal(vmk_memblock_alloc(&mb, 0x10, 0x10, &pa), 0);
	assert_true(pa == 0x100800);
	EXPECT(&mb.reserved, { 0x100000, 0x810, NN, 0 }, { 0x101000, 0x800, NN, 0 },
	       { 0x4fc000 - 0x123, 0x4000 + 0x123, NN, 0 });
	/* a block never spans a reservation: no free range holds 0xff000 bytes */
	assert_true(vmk_memblock_free_size(&mb) > 0xff000);
	assert_int_equal(vmk_memblock_alloc(&mb, 0xff000, 0x800, &pa), -VMK_ENOMEM);
	/* exact fit of the largest range */
	assert_int_equal(vmk_memblock_alloc(&mb, 0xfe800, 0x800, &pa), 0);
	assert_true(pa == 0x101800);
	vmk_memblock_check(&mb);
}

static void test_alloc_range_limits(void **state)
{
	vmk_paddr_t pa;

	(void)state;
	assert_int_equal(vmk_memblock_add(&mb, 0x0, 0x1000000), 0);
	/* [min, max) honoured, block ends exactly at max */
	assert_int_equal(vmk_memblock_alloc_range(&mb, 0x1000, 0, 0x200000, 0x300000, NN, 0, &pa), 0);
	assert_true(pa == 0x2ff000);
	vmk_memblock_set_bottom_up(&mb, true);
	assert_int_equal(vmk_memblock_alloc_range(&mb, 0x1000, 0, 0x200000, 0x300000, NN, 0, &pa), 0);
	assert_true(pa == 0x200000);
	/* min unaligned: bottom-up rounds up */
	assert_int_equal(vmk_memblock_alloc_range(&mb, 0x1000, 0, 0x200001, 0x300000, NN, 0, &pa), 0);
	assert_true(pa == 0x201000);
	vmk_memblock_set_bottom_up(&mb, false);
	/* the current limit: a block may end exactly at it */
	vmk_memblock_set_current_limit(&mb, 0x800000);
	assert_int_equal(vmk_memblock_alloc(&mb, 0x1000, 0, &pa), 0);
	assert_true(pa == 0x7ff000);
	/* a range crossing the limit is cut at the limit */
	assert_int_equal(vmk_memblock_alloc_range(&mb, 0x1000, 0, 0x700000, 0x900000, NN, 0, &pa), 0);
	assert_true(pa == 0x7fe000);
	/* max = VMK_PADDR_MAX also means "up to the limit" */
	assert_int_equal(vmk_memblock_alloc_range(&mb, 0x1000, 0, 0, VMK_PADDR_MAX, NN, 0, &pa), 0);
	assert_true(pa == 0x7fd000);
	/* a range entirely above the limit: nothing fits */
	assert_int_equal(vmk_memblock_alloc_range(&mb, 0x1000, 0, 0x900000, 0xa00000, NN, 0, &pa),
			 -VMK_ENOMEM);
	/* ... unless NOLIMIT */
	assert_int_equal(vmk_memblock_alloc_range(&mb, 0x1000, 0, 0x900000, 0xa00000, NN,
						  VMK_MEMBLOCK_ALLOC_NOLIMIT, &pa), 0);
	assert_true(pa == 0x9ff000);
	assert_int_equal(vmk_memblock_alloc_range(&mb, 0x1000, 0, 0, 0, NN,
						  VMK_MEMBLOCK_ALLOC_NOLIMIT, &pa), 0);
	assert_true(pa == 0xfff000);
	/* limit 0: nothing can be allocated */
	vmk_memblock_set_current_limit(&mb, 0);
	assert_int_equal(vmk_memblock_alloc(&mb, 0x1000, 0, &pa), -VMK_ENOMEM);
	vmk_memblock_set_current_limit(&mb, VMK_PADDR_MAX);
	/* address 0 can be allocated */
	assert_int_equal(vmk_memblock_alloc_range(&mb, 0x1000, 0, 0, 0x1000, NN, 0, &pa), 0);
	assert_true(pa == 0);
	vmk_memblock_check(&mb);
}

static void test_alloc_top_of_address_space(void **state)
{
	vmk_paddr_t pa;
	const vmk_paddr_t top = UINT64_MAX - 0xffff;	/* memory [top, UINT64_MAX) */

	(void)state;
	assert_int_equal(vmk_memblock_add(&mb, top, UINT64_MAX), 0);
	EXPECT(&mb.memory, { top, 0xffff, NN, 0 });
	/* the last whole page below UINT64_MAX */
	assert_int_equal(vmk_memblock_alloc(&mb, 0x1000, 0, &pa), 0);
	assert_true(pa == 0xffffffffffffe000ULL);
	/* byte granularity reaches the last addressable byte */
	assert_int_equal(vmk_memblock_alloc(&mb, 0xfff, 1, &pa), 0);
	assert_true(pa == UINT64_MAX - 0xfff);
	/* bottom-up with a huge alignment must not overflow */
	vmk_memblock_set_bottom_up(&mb, true);
	assert_int_equal(vmk_memblock_alloc(&mb, 1, 1ULL << 63, &pa), -VMK_ENOMEM);
	assert_int_equal(vmk_memblock_alloc(&mb, 0x1000, 0, &pa), 0);
	assert_true(pa == top);
	vmk_memblock_check(&mb);
}

static void test_alloc_nomap_and_driver_managed(void **state)
{
	vmk_paddr_t pa;

	(void)state;
	assert_int_equal(vmk_memblock_add(&mb, 0x100000, 0x100000), 0);
	assert_int_equal(vmk_memblock_add_node(&mb, 0x200000, 0x100000, NN,
					       VMK_MEMBLOCK_DRIVER_MANAGED), 0);
	assert_int_equal(vmk_memblock_mark_nomap(&mb, 0x100000, 0x80000), 0);
	assert_int_equal(vmk_memblock_reserve(&mb, 0x180000, 0x80000), 0);
	/* only NOMAP and driver-managed memory left */
	assert_true(vmk_memblock_free_size(&mb) == 0);
	assert_int_equal(vmk_memblock_alloc(&mb, 0x1000, 0, &pa), -VMK_ENOMEM);
	vmk_memblock_set_bottom_up(&mb, true);
	assert_int_equal(vmk_memblock_alloc(&mb, 0x1000, 0, &pa), -VMK_ENOMEM);
	EXPECT(&mb.reserved, { 0x180000, 0x80000, NN, 0 });
	/* clearing NOMAP makes it allocatable */
	assert_int_equal(vmk_memblock_clear_nomap(&mb, 0x100000, 0x1000), 0);
	assert_int_equal(vmk_memblock_alloc(&mb, 0x1000, 0, &pa), 0);
	assert_true(pa == 0x100000);
	assert_int_equal(vmk_memblock_alloc(&mb, 0x1000, 0, &pa), -VMK_ENOMEM);
}

static void test_alloc_nodes(void **state)
{
	vmk_paddr_t pa;

	(void)state;
	assert_int_equal(vmk_memblock_add_node(&mb, 0x0, 0x100000, 0, 0), 0);
	assert_int_equal(vmk_memblock_add_node(&mb, 0x100000, 0x100000, 1, 0), 0);
	assert_int_equal(vmk_memblock_add_node(&mb, 0x200000, 0x100000, 2, 0), 0);
	/* preferred node */
	assert_int_equal(vmk_memblock_alloc_nid(&mb, 0x1000, 0, 1, 0, &pa), 0);
	assert_true(pa == 0x1ff000);
	assert_int_equal(vmk_memblock_alloc_nid(&mb, 0x1000, 0, 0, 0, &pa), 0);
	assert_true(pa == 0xff000);
	/* any node: top-down goes to node 2 */
	assert_int_equal(vmk_memblock_alloc_nid(&mb, 0x1000, 0, NN, 0, &pa), 0);
	assert_true(pa == 0x2ff000);
	/* a node without memory: falls back, unless EXACT_NID */
	assert_int_equal(vmk_memblock_alloc_nid(&mb, 0x1000, 0, 5, 0, &pa), 0);
	assert_true(pa == 0x2fe000);
	assert_int_equal(vmk_memblock_alloc_nid(&mb, 0x1000, 0, 5, VMK_MEMBLOCK_ALLOC_EXACT_NID, &pa),
			 -VMK_ENOMEM);
	/* nothing fits anywhere */
	assert_int_equal(vmk_memblock_alloc_range(&mb, 0x100000, 0, 0, 0, 0, 0, &pa), -VMK_ENOMEM);
	/* fits on the preferred node */
	assert_int_equal(vmk_memblock_alloc_range(&mb, 0x80000, 0, 0, 0, 0, 0, &pa), 0);
	assert_true(pa == 0x7f000);
	/* preferred node too small now: top-down fallback lands on node 2 */
	assert_int_equal(vmk_memblock_alloc_range(&mb, 0xc0000, 0, 0, 0, 0, 0, &pa), 0);
	assert_true(pa == 0x2fe000 - 0xc0000);
	/* fallback stays inside [min, max) */
	assert_int_equal(vmk_memblock_alloc_range(&mb, 0x1000, 0, 0x100000, 0x200000, 0, 0, &pa), 0);
	assert_true(pa == 0x1fe000);
	vmk_memblock_check(&mb);
}

static void test_alloc_mirror(void **state)
{
	vmk_paddr_t pa;
	unsigned long warn0;

	(void)state;
	assert_int_equal(vmk_memblock_add(&mb, 0x0, 0x400000), 0);
	assert_int_equal(vmk_memblock_mark(&mb, 0x100000, 0x2000, VMK_MEMBLOCK_MIRROR), 0);
	warn0 = vmk_sim_warnings();
	assert_int_equal(vmk_memblock_alloc_nid(&mb, 0x1000, 0, NN, VMK_MEMBLOCK_ALLOC_MIRROR, &pa), 0);
	assert_true(pa == 0x101000);
	assert_int_equal(vmk_memblock_alloc_nid(&mb, 0x1000, 0, NN, VMK_MEMBLOCK_ALLOC_MIRROR, &pa), 0);
	assert_true(pa == 0x100000);
	assert_int_equal(vmk_sim_warnings(), warn0);
	/* mirror exhausted: falls back with a warning */
	assert_int_equal(vmk_memblock_alloc_nid(&mb, 0x1000, 0, NN, VMK_MEMBLOCK_ALLOC_MIRROR, &pa), 0);
	assert_true(pa == 0x3ff000);
	assert_int_equal(vmk_sim_warnings(), warn0 + 1);
	/* as Linux, a plain request prefers mirror too once some exists (here: fallback) */
	assert_int_equal(vmk_memblock_alloc(&mb, 0x1000, 0, &pa), 0);
	assert_true(pa == 0x3fe000);
	assert_int_equal(vmk_sim_warnings(), warn0 + 2);
}

/* Collect all free ranges in one direction into r[]; returns the count. */
static size_t walk(bool down, int nid, struct vmk_range *r, int *nids, size_t max)
{
	uint64_t idx;
	vmk_paddr_t b, e;
	int n_id;
	size_t n = 0;

	if (down) {
		vmk_memblock_foreach_free_reverse(&mb, idx, nid, b, e, &n_id) {
			assert_true(n < max);
			r[n].base = b;
			r[n].end = e;
			nids[n++] = n_id;
		}
	} else {
		vmk_memblock_foreach_free(&mb, idx, nid, b, e, &n_id) {
			assert_true(n < max);
			r[n].base = b;
			r[n].end = e;
			nids[n++] = n_id;
		}
	}
	return n;
}

static void test_iterate(void **state)
{
	struct vmk_range r[16];
	int nids[16];
	size_t n;
	static const struct vmk_range want[] = {
		{ 0x1000, 0x2000 }, { 0x3000, 0x4000 }, { 0x4000, 0x6000 },
		{ 0x8000, 0x9000 }, { 0xa000, 0xc000 },
	};
	static const int want_nid[] = { 0, 0, 1, 1, 1 };

	(void)state;
	/* memory: [0x1000, 0x4000) node 0, [0x4000, 0x9000) node 1, [0xa000, 0x10000) node 1 */
	assert_int_equal(vmk_memblock_add_node(&mb, 0x1000, 0x3000, 0, 0), 0);
	assert_int_equal(vmk_memblock_add_node(&mb, 0x4000, 0x5000, 1, 0), 0);
	assert_int_equal(vmk_memblock_add_node(&mb, 0xa000, 0x6000, 1, 0), 0);
	assert_int_equal(vmk_memblock_mark_nomap(&mb, 0xe000, 0x2000), 0);
	/* reserved: sticks out below memory, in the middle, across a hole, beyond */
	assert_int_equal(vmk_memblock_reserve(&mb, 0x0, 0x1000), 0);
	assert_int_equal(vmk_memblock_reserve(&mb, 0x2000, 0x1000), 0);
	assert_int_equal(vmk_memblock_reserve(&mb, 0x6000, 0x2000), 0);
	assert_int_equal(vmk_memblock_reserve(&mb, 0xc000, 0x1000), 0);
	assert_int_equal(vmk_memblock_reserve(&mb, 0xd000, 0x100000), 0);
	n = walk(false, NN, r, nids, 16);
	assert_int_equal(n, 5);
	for (size_t i = 0; i < n; i++) {
		assert_true(r[i].base == want[i].base && r[i].end == want[i].end);
		assert_int_equal(nids[i], want_nid[i]);
	}
	n = walk(true, NN, r, nids, 16);
	assert_int_equal(n, 5);
	for (size_t i = 0; i < n; i++) {
		assert_true(r[i].base == want[4 - i].base && r[i].end == want[4 - i].end);
		assert_int_equal(nids[i], want_nid[4 - i]);
	}
	/* per node */
	n = walk(false, 0, r, nids, 16);
	assert_int_equal(n, 2);
	assert_true(r[1].base == 0x3000 && r[1].end == 0x4000);
	n = walk(true, 1, r, nids, 16);
	assert_int_equal(n, 3);
	assert_true(r[0].base == 0xa000 && r[2].base == 0x4000);
	assert_int_equal(walk(false, 3, r, nids, 16), 0);
	assert_int_equal(walk(true, 3, r, nids, 16), 0);
	assert_true(vmk_memblock_free_size(&mb) == 0x1000 + 0x1000 + 0x2000 + 0x1000 + 0x2000);
	/* out_nid may be NULL */
	{
		uint64_t idx = 0;
		vmk_paddr_t b, e;

		assert_true(vmk_memblock_next_free(&mb, &idx, NN, &b, &e, NULL));
		assert_true(b == 0x1000 && e == 0x2000);
		idx = 0;
		assert_true(vmk_memblock_prev_free(&mb, &idx, NN, &b, &e, NULL));
		assert_true(b == 0xa000 && e == 0xc000);
	}
	/* no reservations: whole regions */
	vmk_memblock_init(&mb);
	assert_int_equal(vmk_memblock_add(&mb, 0x1000, 0x1000), 0);
	n = walk(true, NN, r, nids, 16);
	assert_int_equal(n, 1);
	assert_true(r[0].base == 0x1000 && r[0].end == 0x2000 && nids[0] == NN);
	/* all reserved: nothing */
	assert_int_equal(vmk_memblock_reserve(&mb, 0, UINT64_MAX), 0);
	assert_int_equal(walk(false, NN, r, nids, 16), 0);
	assert_int_equal(walk(true, NN, r, nids, 16), 0);
}

static void test_alloc_virt(void **state)
{
	vmk_paddr_t pa = 0;
	unsigned char *v;

	(void)state;
	vmk_sim_ram_reset();
	assert_int_equal(vmk_sim_ram_add(0x100000, 0x100000), 0);
	assert_int_equal(vmk_memblock_add(&mb, 0x100000, 0x100000), 0);
	assert_int_equal(vmk_memblock_add(&mb, 0x10000000, 0x100000), 0);	/* not backed */
	/* top-down finds the unbacked range first: refused, nothing reserved */
	assert_null(vmk_memblock_alloc_virt(&mb, 0x1000, 0, &pa));
	EXPECT_EMPTY(&mb.reserved);
	vmk_memblock_set_current_limit(&mb, 0x200000);
	memset(vmk_sim_phys_to_virt(0x1ff000), 0xa5, 0x1000);
	v = vmk_memblock_alloc_virt(&mb, 0x1000, 0, &pa);
	assert_non_null(v);
	assert_true(pa == 0x1ff000);
	assert_ptr_equal(v, vmk_sim_phys_to_virt(0x1ff000));
	for (int i = 0; i < 0x1000; i++)
		assert_int_equal(v[i], 0);
	EXPECT(&mb.reserved, { 0x1ff000, 0x1000, NN, 0 });
	assert_null(vmk_memblock_alloc_virt(&mb, 0, 0, &pa));
	vmk_sim_ram_reset();
}

static void test_alloc_fault(void **state)
{
	vmk_paddr_t pa;
	struct mb_snap s;

	(void)state;
	assert_int_equal(vmk_memblock_add(&mb, 0x100000, 0x100000), 0);
	snap_take(&s, &mb);
	vmk_sim_fail_nth(0, "memblock.alloc", false);
	assert_int_equal(vmk_memblock_alloc(&mb, 0x1000, 0, &pa), -VMK_ENOMEM);
	assert_int_equal(vmk_sim_faults_injected(), 1);
	assert_true(snap_same(&s, &mb));
	assert_int_equal(vmk_memblock_alloc(&mb, 0x1000, 0, &pa), 0);
	vmk_sim_fail_off();
	snap_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_alloc_args, setup),
		cmocka_unit_test_setup(test_alloc_top_down_bottom_up, setup),
		cmocka_unit_test_setup(test_alloc_range_limits, setup),
		cmocka_unit_test_setup(test_alloc_top_of_address_space, setup),
		cmocka_unit_test_setup(test_alloc_nomap_and_driver_managed, setup),
		cmocka_unit_test_setup(test_alloc_nodes, setup),
		cmocka_unit_test_setup(test_alloc_mirror, setup),
		cmocka_unit_test_setup(test_iterate, setup),
		cmocka_unit_test_setup(test_alloc_virt, setup),
		cmocka_unit_test_setup(test_alloc_fault, setup),
	};

	vmk_sim_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
