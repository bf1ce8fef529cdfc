/*
 * Review of issue 8's pmap changes (second pass): each test failed
 * before its fix.
 */
#include "pmap_util.h"
#include "../src/pmap/pmap_internal.h"

#define ARCH_OF(state) (*(enum vmk_pmap_arch_id *)*(state))
#define RW (VMK_PROT_READ | VMK_PROT_WRITE)
#define S2M PT_SIZE(1)
#define S1G PT_SIZE(2)

static enum vmk_pmap_arch_id x86 = VMK_PMAP_ARCH_X86_64, arm = VMK_PMAP_ARCH_ARM64, rv = VMK_PMAP_ARCH_RISCV64;

/* Boot arch; 511 of the 512 pages of a grown kernel 2 MiB range qentered (the last page left for the test). */
static vmk_vaddr_t qenter_511(enum vmk_pmap_arch_id arch, struct vmk_pmap **kp)
{
	vmk_paddr_t pas[511];
	vmk_vaddr_t kva;

	pmt_boot_arch(arch);
	*kp = vmk_pmap_kernel();
	kva = pmt_kva() + 14 * S2M;
	assert_int_equal(vmk_pmap_growkernel(kva, kva + S2M), 0);
	pmt_pages(pas, PMT_DATA, 511);
	assert_int_equal(vmk_pmap_qenter(kva, pas, 511), 0);
	return kva;
}

/*
 * qenter makes the same leaves as an ordinary unmanaged kernel enter, so
 * a table of qentered pages completed by one vmk_pmap_enter is promoted
 * (test_pmap_defects relies on that). The caller did nothing wrong, and
 * qremove of its own qentered pages must unmap them, not panic with
 * "mapped by a block". The promoted block has its old PTP as a spare, so
 * qremove demotes it without allocating.
 */
static void test_qremove_after_promotion_of_qentered_pages(void **state)
{
	struct vmk_pmap *k;
	struct vmk_pmap_mapping m;
	struct vmk_pmap_stats st0, st;
	vmk_vaddr_t kva;
	uint64_t ptp0;

	kva = qenter_511(ARCH_OF(state), &k);
	vmk_pmap_stats(k, &st0);
	assert_int_equal(vmk_pmap_enter(k, kva + 511 * 4096ull, PMT_DATA + 511 * 4096ull, RW, 0), 0);
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.promotions, st0.promotions + 1);
	ptp0 = pmt_alloc_pages();
	assert_false(VMK_SIM_TRY_PANIC(vmk_pmap_qremove(kva, 511)));
	for (unsigned int i = 0; i < 511; i += 100)
		assert_int_equal(vmk_pmap_extract(k, kva + i * 4096ull, &m), -VMK_ENOENT);
	assert_int_equal(vmk_pmap_extract(k, kva + 511 * 4096ull, &m), 0);
	assert_true(m.pa == PMT_DATA + 511 * 4096ull && m.size == 4096);
	assert_int_equal(pmt_alloc_pages(), ptp0);	/* the spare, no allocation */
	pmt_check(k);
	pmt_shutdown();
}

/*
 * The spare accounting of a 1 GiB KEEP_SPARE block through a partial
 * remove, a re-enter that re-promotes it, and a full remove: at every
 * step the spares are exactly those the blocks can be demoted with, the
 * checker passes, no cut takes the kernel reserve, and a full remove
 * leaves no spare behind.
 */
static void test_keep_spare_1g_cut_repromote_remove(void **state)
{
	struct pmt_opts o = { .arch = ARCH_OF(state), .promote_kernel_1g = true };
	const uint32_t ks = VMK_PMAP_ENTER_KEEP_SPARE;
	struct vmk_pmap_mapping m;
	struct vmk_pmap_stats st0, st;
	struct vmk_pmap *k;
	vmk_vaddr_t base;

	pmt_boot(&o);
	k = vmk_pmap_kernel();
	base = pmt_kva() + S1G;
	vmk_pmap_stats(k, &st0);
	assert_int_equal(vmk_pmap_enter_large(k, base, PMT_DATA, S1G, RW, ks), 0);
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.spare_ptps - st0.spare_ptps, 513);
	pmt_check(k);
	/* One 4 KiB page out: two demotions, two spares used. */
	assert_int_equal(vmk_pmap_remove(k, base + 9 * S2M + 0x3000, base + 9 * S2M + 0x4000), 0);
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.spare_ptps - st0.spare_ptps, 511);
	pmt_check(k);
	/* A whole 2 MiB piece out: its dormant spare goes with it. */
	assert_int_equal(vmk_pmap_remove(k, base + 5 * S2M, base + 6 * S2M), 0);
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.spare_ptps - st0.spare_ptps, 510);
	pmt_check(k);
	/* Put both back as they were: piece 9 is promoted, then the whole 1 GiB. */
	assert_int_equal(vmk_pmap_enter_large(k, base + 5 * S2M, PMT_DATA + 5 * S2M, S2M, RW, ks), 0);
	pmt_check(k);
	assert_int_equal(vmk_pmap_enter(k, base + 9 * S2M + 0x3000, PMT_DATA + 9 * S2M + 0x3000, RW, ks), 0);
	/*
	 * Piece 9 is promoted back to 2 MiB (with its old table as spare);
	 * the 1 GiB block may stay split (piece 9 no longer carries the
	 * keep-spare mark on x86/arm64), but every piece can still be cut
	 * from its own spare.
	 */
	assert_int_equal(vmk_pmap_extract(k, base + 9 * S2M, &m), 0);
	assert_true(m.size == S2M || m.size == S1G);
	pmt_check(k);
	/* Cut again: the spares serve, the reserve is not touched. */
	vmk_pmap_stats(k, &st0);
	assert_int_equal(vmk_pmap_remove(k, base + 77 * S2M + 0x5000, base + 77 * S2M + 0x6000), 0);
	vmk_pmap_stats(k, &st);
	assert_int_equal(st0.spare_ptps - st.spare_ptps, m.size == S1G ? 2 : 1);
	assert_int_equal(st.reserve_ptps, st0.reserve_ptps);
	pmt_check(k);
	assert_int_equal(vmk_pmap_remove(k, base, base + S1G), 0);
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.spare_ptps, 0);
	pmt_check(k);
	pmt_shutdown();
}

/*
 * The simulator's TLB invalidation counts follow every pmap that issued
 * a request: a process count above its table size (many live address
 * spaces, or many created and destroyed at distinct addresses) must not
 * turn into "counted N, the last that reached the platform is 0" for a
 * pmap whose requests all arrived.
 */
static void test_tlb_counts_many_pmaps(void **state)
{
	enum { N = 300 };
	static struct vmk_pmap *pm[N];
	const vmk_vaddr_t uva = 0x40000000ull;

	pmt_boot_arch(ARCH_OF(state));
	for (unsigned int i = 0; i < N; i++) {
		assert_int_equal(vmk_pmap_create(&pm[i]), 0);
		assert_int_equal(vmk_pmap_enter(pm[i], uva, PMT_DATA, RW, 0), 0);
		assert_int_equal(vmk_pmap_remove(pm[i], uva, uva + 4096), 0);
	}
	for (unsigned int i = 0; i < N; i++) {
		struct vmk_pmap_stats st;

		vmk_pmap_stats(pm[i], &st);
		assert_true(st.tlbi[VMK_TLB_PAGE] + st.tlbi[VMK_TLB_NONGLOBAL] + st.tlbi[VMK_TLB_ASID] > 0);
		pmt_check(pm[i]);
	}
	for (unsigned int i = 0; i < N; i++)
		vmk_pmap_destroy(pm[i]);
	pmt_shutdown();
}

/*
 * The same with kernel 1 GiB promotion asked for: 512 tables of
 * qentered pages, each completed by an enter, are promoted to 2 MiB and
 * then to 1 GiB; qremove of one qentered page demotes both levels with
 * their spares.
 */
static void test_qremove_after_1g_promotion_of_qentered_pages(void **state)
{
	struct pmt_opts o = { .arch = ARCH_OF(state), .promote_kernel_1g = true };
	static vmk_paddr_t pas[511];
	struct vmk_pmap_mapping m;
	struct vmk_pmap *k;
	vmk_vaddr_t base;
	uint64_t alloc0;

	pmt_boot(&o);
	k = vmk_pmap_kernel();
	base = pmt_kva() + S1G;
	assert_int_equal(vmk_pmap_growkernel(base, base + S1G), 0);
	for (unsigned int j = 0; j < 512; j++) {
		for (unsigned int i = 0; i < 511; i++)
			pas[i] = PMT_DATA + j * S2M + i * 4096ull;
		assert_int_equal(vmk_pmap_qenter(base + j * S2M, pas, 511), 0);
		assert_int_equal(vmk_pmap_enter(k, base + j * S2M + 511 * 4096ull,
						PMT_DATA + j * S2M + 511 * 4096ull, RW, 0), 0);
	}
	assert_int_equal(vmk_pmap_extract(k, base, &m), 0);
	assert_true(m.size == S1G);
	alloc0 = pmt_alloc_pages();
	assert_false(VMK_SIM_TRY_PANIC(vmk_pmap_qremove(base + 7 * S2M + 0x5000, 2)));
	assert_int_equal(vmk_pmap_extract(k, base + 7 * S2M + 0x5000, &m), -VMK_ENOENT);
	assert_int_equal(vmk_pmap_extract(k, base + 7 * S2M + 0x6000, &m), -VMK_ENOENT);
	assert_int_equal(vmk_pmap_extract(k, base + 7 * S2M + 0x7000, &m), 0);
	assert_true(m.size == 4096 && m.pa == PMT_DATA + 7 * S2M + 0x7000);
	assert_int_equal(vmk_pmap_extract(k, base + 8 * S2M, &m), 0);
	assert_true(m.size == S2M);
	assert_int_equal(pmt_alloc_pages(), alloc0);
	pmt_check(k);
	pmt_shutdown();
}

/*
 * qenter over its own pages again (replacing them, as FreeBSD's
 * pmap_qenter allows) after they were promoted with a neighbour's enter:
 * the tables were grown, so -VMK_ENOENT ("grow the kernel first") is
 * wrong and vmk_pmap_growkernel cannot help (a block maps the range).
 * The promoted block is demoted with its spare.
 */
static void test_qenter_again_after_promotion(void **state)
{
	struct vmk_pmap *k;
	struct vmk_pmap_mapping m;
	vmk_paddr_t pa = PMT_DATA + S2M;
	vmk_vaddr_t kva;
	uint64_t alloc0;

	kva = qenter_511(ARCH_OF(state), &k);
	assert_int_equal(vmk_pmap_enter(k, kva + 511 * 4096ull, PMT_DATA + 511 * 4096ull, RW, 0), 0);
	assert_int_equal(vmk_pmap_extract(k, kva, &m), 0);
	assert_true(m.size == S2M);
	alloc0 = pmt_alloc_pages();
	assert_int_equal(vmk_pmap_qenter(kva, &pa, 1), 0);
	assert_int_equal(vmk_pmap_extract(k, kva, &m), 0);
	assert_true(m.pa == PMT_DATA + S2M && m.size == 4096);
	assert_int_equal(vmk_pmap_extract(k, kva + 0x1000, &m), 0);
	assert_true(m.pa == PMT_DATA + 0x1000 && m.size == 4096);
	assert_int_equal(pmt_alloc_pages(), alloc0);
	pmt_check(k);
	pmt_shutdown();
}

/*
 * vmk_pmap_fault_ad on a 2 MiB block leaf (riscv64 Svade, arm64 without
 * AF/DBM hardware): a store anywhere in a clean managed block faults, the
 * entry point sets dirty on the block (so every page of it reports
 * modified, as a block has one dirty bit), the store then goes through,
 * and the tables and TLB stay consistent.
 */
static void test_fault_ad_block(void **state)
{
	struct pmt_opts o = { .arch = ARCH_OF(state), .hw_af_off = true, .hw_dbm_off = true };
	const vmk_vaddr_t va = 0x40000000ull;
	struct vmk_mmu_walk w;
	struct vmk_pmap *pm;

	pmt_boot(&o);
	assert_int_equal(vmk_pmap_create(&pm), 0);
	vmk_pmap_activate(pm, 0);
	assert_int_equal(vmk_pmap_enter_large(pm, va, PMT_DATA, S2M, RW, VMK_PMAP_ENTER_MANAGED), 0);
	assert_int_equal(vmk_sim_mmu_access(0, va + 0x5000, VMK_MMU_READ | VMK_MMU_USER, &w), 0);
	assert_true(vmk_sim_mmu_access(0, va + 0x5000, VMK_MMU_WRITE | VMK_MMU_USER, &w) != 0);
	assert_false(vmk_pmap_is_modified(PMT_DATA + 0x5000));
	assert_int_equal(vmk_pmap_fault_ad(pm, va + 0x5008, VMK_PROT_WRITE, true), 0);
	assert_int_equal(vmk_sim_mmu_access(0, va + 0x5000, VMK_MMU_WRITE | VMK_MMU_USER, &w), 0);
	assert_int_equal(vmk_sim_mmu_access(0, va + 0x1ff000, VMK_MMU_WRITE | VMK_MMU_USER, &w), 0);
	assert_true(vmk_pmap_is_modified(PMT_DATA + 0x5000));
	pmt_check(pm);
	assert_int_equal(vmk_pmap_remove(pm, va, va + S2M), 0);
	vmk_pmap_activate(vmk_pmap_kernel(), 0);
	vmk_pmap_destroy(pm);
	pmt_shutdown();
}

#define T(f) cmocka_unit_test_prestate(f, &x86), cmocka_unit_test_prestate(f, &arm), cmocka_unit_test_prestate(f, &rv)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_qremove_after_promotion_of_qentered_pages),
		T(test_keep_spare_1g_cut_repromote_remove),
		cmocka_unit_test_prestate(test_fault_ad_block, &arm),
		cmocka_unit_test_prestate(test_fault_ad_block, &rv),
		T(test_qenter_again_after_promotion),
		T(test_qremove_after_1g_promotion_of_qentered_pages),
		cmocka_unit_test_prestate(test_tlb_counts_many_pmaps, &x86),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
