/*
 * Review of the issue-12 pmap changes: the spare directory's lookup
 * (src/pmap/spare.c, the per-pmap cache of host tables) and the
 * vmk_pmap_enter fast path (src/pmap/enter.c enter_fast).
 *
 * - The host cache is indexed by a table's frame number modulo its size:
 *   more hosts than slots must still each find their own spares, or a
 *   KEEP_SPARE block cannot be cut without allocating.
 * - A kernel enter that takes the fast path tops up the kernel's demotion
 *   reserve like every other kernel operation, so a reserve drained while
 *   the allocator failed is whole again after the next kernel enter.
 */
#include "pmap_util.h"
#include "../src/pmap/pmap_internal.h"

#define ARCH_OF(state) (*(enum vmk_pmap_arch_id *)*(state))
#define RW	(VMK_PROT_READ | VMK_PROT_WRITE)
#define S2M	PT_SIZE(1)
#define S1G	PT_SIZE(2)
#define KS	VMK_PMAP_ENTER_KEEP_SPARE
/* More hosts (tables holding a spare's block) than the cache has slots. */
#define NHOSTS	(VMK_PMAP_HOSTS + 9)

static enum vmk_pmap_arch_id x86 = VMK_PMAP_ARCH_X86_64, arm = VMK_PMAP_ARCH_ARM64, rv = VMK_PMAP_ARCH_RISCV64;

/*
 * One KEEP_SPARE 2 MiB block in each of NHOSTS 1 GiB regions: NHOSTS
 * level-1 tables hold one spare each, and some share a cache slot. Each
 * block is cut with every allocation failing: its own spare serves it.
 */
static void test_spare_hosts_beyond_cache(void **state)
{
	struct vmk_pmap *k;
	struct vmk_pmap_stats st;
	vmk_vaddr_t base;
	uint64_t other;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	base = pmt_kva() + S1G;
	/* PTP pages that are not the pmap's tables, spares or reserve (a split root's empty one). */
	vmk_pmap_stats(k, &st);
	other = pmt_ptp_pages() - st.ptps - st.reserve_ptps - st.spare_ptps;
	for (unsigned int i = 0; i < NHOSTS; i++)
		assert_int_equal(vmk_pmap_enter_large(k, base + i * S1G + 5 * S2M, PMT_DATA + i * S2M, S2M, RW, KS), 0);
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.spare_ptps, NHOSTS);
	pmt_check(k);

	/* Cut a page out of each block, in reverse order, with nothing to allocate from. */
	vmk_sim_fail_nth(0, "", true);
	for (unsigned int j = 0; j < NHOSTS; j++) {
		vmk_vaddr_t va = base + (NHOSTS - 1 - j) * S1G + 5 * S2M + 7 * VMK_PAGE_SIZE;

		assert_int_equal(vmk_pmap_remove(k, va, va + VMK_PAGE_SIZE), 0);
	}
	vmk_sim_fail_off();
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.spare_ptps, 0);
	assert_int_equal(st.mappings[1], 0);
	assert_int_equal(st.mappings[0], NHOSTS * 511ull);
	pmt_check(k);

	for (unsigned int i = 0; i < NHOSTS; i++)
		assert_int_equal(vmk_pmap_remove(k, base + i * S1G, base + (i + 1) * S1G), 0);
	pmt_check(k);
	/* Kernel tables stay, and every PTP page is one of them or of the reserve: no spare is lost. */
	vmk_pmap_stats(k, &st);
	assert_int_equal(pmt_ptp_pages(), other + st.ptps + st.reserve_ptps + st.spare_ptps);
	pmt_shutdown();
}

/*
 * The kernel's reserve, drained by demotions while the allocator fails,
 * is topped up by the next kernel enter even when that enter takes the
 * fast path (an empty entry of the cached level-0 table).
 */
static void test_fast_enter_tops_up_reserve(void **state)
{
	struct vmk_pmap *k;
	struct vmk_pmap_stats st;
	vmk_vaddr_t kva, blocks;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	kva = pmt_kva() + S1G;
	blocks = kva + 4 * S2M;
	assert_int_equal(vmk_pmap_enter(k, kva, PMT_DATA, RW, 0), 0);
	for (unsigned int i = 0; i < VMK_PMAP_KPOOL; i++)
		assert_int_equal(vmk_pmap_enter_large(k, blocks + i * S2M, PMT_DATA + (i + 1) * S2M, S2M, RW, 0), 0);
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.reserve_ptps, VMK_PMAP_KPOOL);

	/* Each cut demotes a block without a spare: from the reserve, never refilled meanwhile. */
	vmk_sim_fail_nth(0, "", true);
	for (unsigned int i = 0; i < VMK_PMAP_KPOOL; i++) {
		vmk_vaddr_t va = blocks + i * S2M + 3 * VMK_PAGE_SIZE;

		assert_int_equal(vmk_pmap_remove(k, va, va + VMK_PAGE_SIZE), 0);
	}
	vmk_sim_fail_off();
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.reserve_ptps, 0);

	/* The first page's table is still the cached one: the next enter beside it is the fast path. */
	vmk_pmap__lock(k);
	assert_true(vmk_pmap__leaf_hit(k, kva + VMK_PAGE_SIZE));
	vmk_pmap__unlock(k);
	assert_int_equal(vmk_pmap_enter(k, kva + VMK_PAGE_SIZE, PMT_DATA + VMK_PAGE_SIZE, RW, 0), 0);
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.reserve_ptps, VMK_PMAP_KPOOL);
	pmt_check(k);
	pmt_shutdown();
}

#define T(f) cmocka_unit_test_prestate(f, &x86), cmocka_unit_test_prestate(f, &arm), cmocka_unit_test_prestate(f, &rv)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_spare_hosts_beyond_cache),
		T(test_fast_enter_tops_up_reserve),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
