/*
 * vmk_pmap_enter_large's fast path (src/pmap/enter.c large_fast): an
 * unmanaged 2 MiB block without KEEP_SPARE into an empty entry of the
 * cached level-1 table (a direct map) is entered without the general
 * path. The result must be the general path's: counts, wired, the
 * table's reference count, the no-promote range's bit, promotion of a
 * full table; what it must not take (a mark kept by address, a valid
 * entry) goes the general way; and the cached table is never used after
 * it was unlinked (freed, or replaced by a block).
 */
#include "pmap_util.h"
#include "../src/pmap/pmap_internal.h"

#define ARCH_OF(state) (*(enum vmk_pmap_arch_id *)*(state))
#define UVA	0x0000000040000000ull
#define RW	(VMK_PROT_READ | VMK_PROT_WRITE)
#define S2M	PT_SIZE(1)
#define S1G	PT_SIZE(2)

static enum vmk_pmap_arch_id x86 = VMK_PMAP_ARCH_X86_64, arm = VMK_PMAP_ARCH_ARM64, rv = VMK_PMAP_ARCH_RISCV64;

/* pmt_drop_user, then the machine goes. */
static void drop_user(struct vmk_pmap *u)
{
	pmt_drop_user(u);
	pmt_shutdown();
}

/* A 1 GiB-aligned kernel address with room for a few GiB above it. */
static vmk_vaddr_t kbase(void)
{
	return (pmt_kva() + 2 * S1G) & ~(S1G - 1);
}

/* User blocks: counted, wired counted, the table's count follows its entries, nothing twice. */
static void test_user_counts(void **state)
{
	struct vmk_pmap *u = pmt_boot_user(ARCH_OF(state));
	struct vmk_pmap_stats st;
	vmk_paddr_t t = 0;

	for (unsigned int i = 0; i < 5; i++)
		assert_int_equal(vmk_pmap_enter_large(u, UVA + i * S2M, PMT_DATA + i * S2M, S2M, RW,
						      i % 2 ? VMK_PMAP_ENTER_WIRED : 0), 0);
	vmk_pmap_stats(u, &st);
	assert_int_equal(st.mappings[1], 5);
	assert_int_equal(st.resident, 5 * 512);
	assert_int_equal(st.wired, 2 * 512);
	assert_non_null(vmk_pmap__entry_at(u, UVA, 1, &t));
	assert_int_equal(vmk_pa_to_page(t)->ref_count, 5);
	for (unsigned int i = 0; i < 5; i++) {
		struct vmk_pmap_mapping m = pmt_extract(u, UVA + i * S2M + 4096);

		assert_true(m.size == S2M && m.pa == PMT_DATA + i * S2M + 4096 && m.wired == (i % 2 == 1));
	}
	pmt_check(u);
	/* Again over valid entries (the general path): nothing is counted twice. */
	for (unsigned int i = 0; i < 5; i++)
		assert_int_equal(vmk_pmap_enter_large(u, UVA + i * S2M, PMT_DATA + i * S2M, S2M, RW,
						      VMK_PMAP_ENTER_WIRED), 0);
	vmk_pmap_stats(u, &st);
	assert_int_equal(st.mappings[1], 5);
	assert_int_equal(st.wired, 5 * 512);
	assert_int_equal(vmk_pa_to_page(t)->ref_count, 5);
	assert_int_equal(vmk_pmap_enter_large(u, UVA, PMT_DATA, S2M, RW, VMK_PMAP_ENTER_NOREPLACE), -VMK_EEXIST);
	assert_int_equal(vmk_pmap_enter_large(u, UVA + 9 * S2M, PMT_DATA, S2M, RW, VMK_PMAP_ENTER_NOREPLACE), 0);
	assert_int_equal(vmk_pa_to_page(t)->ref_count, 6);
	drop_user(u);
}

/* A user table of 512 contiguous blocks is promoted to 1 GiB, as by the general path. */
static void test_full_table_promoted(void **state)
{
	struct vmk_pmap *u = pmt_boot_user(ARCH_OF(state));
	struct vmk_pmap_stats st;

	for (unsigned int i = 0; i < 512; i++)
		assert_int_equal(vmk_pmap_enter_large(u, UVA + i * S2M, PMT_DATA - S1G + i * S2M, S2M, RW, 0), 0);
	vmk_pmap_stats(u, &st);
	assert_int_equal(st.promotions, 1);
	assert_true(pmt_extract(u, UVA + S2M).size == S1G);
	drop_user(u);
}

/* Blocks in a no-promote range carry the bit; a full table of them stays. */
static void test_no_promote_range(void **state)
{
	struct vmk_pmap *u = pmt_boot_user(ARCH_OF(state));
	struct vmk_pmap_stats st;

	assert_int_equal(vmk_pmap_protect_bbm(u, UVA, S1G, VMK_PMAP_BBM_NOPROMOTE), 0);
	for (unsigned int i = 0; i < 512; i++)
		assert_int_equal(vmk_pmap_enter_large(u, UVA + i * S2M, PMT_DATA - S1G + i * S2M, S2M, RW, 0), 0);
	for (unsigned int i = 0; i < 512; i += 37) {
		struct vmk_pmap_mapping m = pmt_extract(u, UVA + i * S2M);

		assert_true(m.size == S2M && m.nopromote);
	}
	vmk_pmap_stats(u, &st);
	assert_int_equal(st.promotions, 0);
	assert_int_equal(st.mappings[1], 512);
	drop_user(u);
}

/* No-promote blocks outside a range: riscv64 records a mark by address (the general path) for each. */
static void test_marked_blocks(void **state)
{
	struct vmk_pmap *k;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	for (unsigned int i = 0; i < 4; i++)
		assert_int_equal(vmk_pmap_enter_large(k, kbase() + i * S2M, PMT_DATA + i * S2M, S2M, RW,
						      i % 2 ? VMK_PMAP_ENTER_NOPROMOTE : 0), 0);
	for (unsigned int i = 0; i < 4; i++)
		assert_int_equal(pmt_extract(k, kbase() + i * S2M).nopromote, i % 2 == 1);
	pmt_check(k);
	pmt_shutdown();
}

/* A kernel direct map: blocks counted, the reserve full, no spares, the checker agrees. */
static void test_kernel_direct_map(void **state)
{
	struct vmk_pmap *k;
	struct vmk_pmap_stats st0, st;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	vmk_pmap_stats(k, &st0);
	for (unsigned int i = 0; i < 600; i++)
		assert_int_equal(vmk_pmap_enter_large(k, kbase() + i * S2M, PMT_DATA - S1G + i * S2M, S2M, RW,
						      VMK_PMAP_ENTER_NOREPLACE), 0);
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.mappings[1] - st0.mappings[1], 600);
	assert_int_equal(st.spare_ptps, st0.spare_ptps);
	assert_int_equal(st.promotions, 0);	/* kernel 1 GiB promotion is off by default */
	assert_int_equal(st.reserve_ptps, VMK_PMAP_KPOOL);
	assert_true(pmt_extract(k, kbase() + 513 * S2M + 4096).pa == PMT_DATA - S1G + 513 * S2M + 4096);
	pmt_check(k);
	assert_int_equal(vmk_pmap_remove(k, kbase(), kbase() + 600 * S2M), 0);
	pmt_check(k);
	pmt_shutdown();
}

/* A user table freed under the cache: the next block gets new tables, not the freed one. */
static void test_user_table_freed(void **state)
{
	struct vmk_pmap *u = pmt_boot_user(ARCH_OF(state));

	assert_int_equal(vmk_pmap_enter_large(u, UVA, PMT_DATA, S2M, RW, 0), 0);
	assert_int_equal(vmk_pmap_enter_large(u, UVA + S2M, PMT_DATA + S2M, S2M, RW, 0), 0);
	pmt_check(u);
	assert_int_equal(vmk_pmap_remove(u, UVA, UVA + 2 * S2M), 0);	/* frees the level-1 table */
	assert_int_equal(vmk_pmap_enter_large(u, UVA + 4 * S2M, PMT_DATA + 4 * S2M, S2M, RW, 0), 0);
	assert_true(pmt_extract(u, UVA + 4 * S2M).pa == PMT_DATA + 4 * S2M);
	drop_user(u);
}

/*
 * A kernel table replaced by a 1 GiB block under the cache (it becomes the
 * block's spare): a 2 MiB enter there meets the block, never the old table.
 */
static void test_kernel_table_replaced(void **state)
{
	struct vmk_pmap *k;
	vmk_vaddr_t b;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	b = kbase();
	assert_int_equal(vmk_pmap_enter_large(k, b, PMT_DATA, S2M, RW, 0), 0);
	assert_int_equal(vmk_pmap_remove(k, b, b + S2M), 0);	/* the kernel's table stays, empty */
	assert_int_equal(vmk_pmap_enter_large(k, b, PMT_DATA, S1G, RW, 0), 0);
	assert_true(pmt_extract(k, b + 3 * S2M).size == S1G);
	assert_int_equal(vmk_pmap_enter_large(k, b + 3 * S2M, PMT_DATA + S1G, S2M, RW, VMK_PMAP_ENTER_NOREPLACE),
			 -VMK_EEXIST);
	pmt_check(k);
	/* Without NOREPLACE the block is demoted and the piece replaced; its neighbours stay. */
	assert_int_equal(vmk_pmap_enter_large(k, b + 3 * S2M, PMT_DATA - S1G, S2M, RW, 0), 0);
	assert_true(pmt_extract(k, b + 3 * S2M).pa == PMT_DATA - S1G);
	assert_true(pmt_extract(k, b + 4 * S2M).pa == PMT_DATA + 4 * S2M && pmt_extract(k, b + 4 * S2M).size == S2M);
	pmt_check(k);
	pmt_shutdown();
}

/*
 * A platform with no barrier hook (as the benchmark's): the fast paths
 * issue the architecture's instruction themselves, and what they enter
 * is the same.
 */
static void test_no_barrier_hook(void **state)
{
	struct vmk_pmap *k, *u = pmt_boot_user(ARCH_OF(state));
	struct vmk_platform *p = vmk_sim_platform();
	void (*hook)(void *, enum vmk_barrier) = p->barrier;

	k = vmk_pmap_kernel();
	p->barrier = NULL;
	for (unsigned int i = 0; i < 3; i++) {
		assert_int_equal(vmk_pmap_enter(u, UVA + i * 4096ull, PMT_DATA + i * 4096ull, RW, 0), 0);
		assert_int_equal(vmk_pmap_enter_large(u, UVA + (i + 1) * S2M, PMT_DATA + (i + 1) * S2M, S2M, RW, 0), 0);
		assert_int_equal(vmk_pmap_enter_large(k, kbase() + i * S2M, PMT_DATA + i * S2M, S2M, RW, 0), 0);
	}
	p->barrier = hook;
	for (unsigned int i = 0; i < 3; i++) {
		assert_true(pmt_extract(u, UVA + i * 4096ull).pa == PMT_DATA + i * 4096ull);
		assert_true(pmt_extract(u, UVA + (i + 1) * S2M).pa == PMT_DATA + (i + 1) * S2M);
		assert_true(pmt_extract(k, kbase() + i * S2M).pa == PMT_DATA + i * S2M);
	}
	pmt_check(k);
	drop_user(u);
}

/*
 * The kernel's demotion reserve, drained while the allocator failed, is
 * topped up by the next 2 MiB enter even when that enter takes the fast
 * path (an empty entry of the cached level-1 table).
 */
static void test_fast_block_tops_up_reserve(void **state)
{
	struct vmk_pmap *k;
	struct vmk_pmap_stats st;
	vmk_vaddr_t b;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	b = kbase();
	for (unsigned int i = 0; i < VMK_PMAP_KPOOL; i++)
		assert_int_equal(vmk_pmap_enter_large(k, b + i * S2M, PMT_DATA + i * S2M, S2M, RW, 0), 0);
	vmk_sim_fail_nth(0, "", true);
	for (unsigned int i = 0; i < VMK_PMAP_KPOOL; i++) {
		vmk_vaddr_t va = b + i * S2M + 3 * VMK_PAGE_SIZE;

		assert_int_equal(vmk_pmap_remove(k, va, va + VMK_PAGE_SIZE), 0);	/* a demotion from the reserve */
	}
	vmk_sim_fail_off();
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.reserve_ptps, 0);
	vmk_pmap__lock(k);
	assert_true(vmk_pmap__mid_hit(k, b + 100 * S2M));
	vmk_pmap__unlock(k);
	assert_int_equal(vmk_pmap_enter_large(k, b + 100 * S2M, PMT_DATA, S2M, RW, 0), 0);
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.reserve_ptps, VMK_PMAP_KPOOL);
	pmt_check(k);
	pmt_shutdown();
}

#define T(f) cmocka_unit_test_prestate(f, &x86), cmocka_unit_test_prestate(f, &arm), cmocka_unit_test_prestate(f, &rv)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_user_counts),
		T(test_full_table_promoted),
		T(test_no_promote_range),
		T(test_marked_blocks),
		T(test_kernel_direct_map),
		T(test_user_table_freed),
		T(test_kernel_table_replaced),
		T(test_no_barrier_hook),
		T(test_fast_block_tops_up_reserve),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
