/*
 * Spare page-table pages only where they are needed (issue 8): a kernel
 * block keeps a spare only when entered with VMK_PMAP_ENTER_KEEP_SPARE;
 * other kernel demotions draw from a small reserve and fail cleanly when
 * it is empty; vmk_pmap_check verifies "spare only where flagged" both
 * ways; the spare lookup stays correct at scale; live kernel memory is
 * not promoted to 1 GiB unless the configuration asks.
 */
#include "pmap_util.h"
#include "../src/pmap/pmap_internal.h"

#define ARCH_OF(state) (*(enum vmk_pmap_arch_id *)*(state))
#define RW (VMK_PROT_READ | VMK_PROT_WRITE)
#define KS VMK_PMAP_ENTER_KEEP_SPARE
#define S2M PT_SIZE(1)
#define S1G PT_SIZE(2)

static enum vmk_pmap_arch_id x86 = VMK_PMAP_ARCH_X86_64, arm = VMK_PMAP_ARCH_ARM64, rv = VMK_PMAP_ARCH_RISCV64;

/* The direct map's price: no spare and no allocation beyond the tables for a block without the flag. */
static void test_spare_only_with_flag(void **state)
{
	struct vmk_pmap *k;
	struct vmk_pmap_stats st0, st;
	vmk_vaddr_t kva;
	uint64_t ptp0;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	kva = pmt_kva() + S1G;
	vmk_pmap_stats(k, &st0);
	ptp0 = pmt_ptp_pages();
	for (unsigned int i = 0; i < 64; i++)
		assert_int_equal(vmk_pmap_enter_large(k, kva + i * S2M, PMT_DATA + i * S2M, S2M, RW, 0), 0);
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.spare_ptps, st0.spare_ptps);
	assert_int_equal(pmt_ptp_pages() - ptp0, st.ptps - st0.ptps);	/* tables only */
	/* With the flag: one spare each. */
	for (unsigned int i = 64; i < 96; i++)
		assert_int_equal(vmk_pmap_enter_large(k, kva + i * S2M, PMT_DATA + i * S2M, S2M, RW, KS), 0);
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.spare_ptps, st0.spare_ptps + 32);
	assert_int_equal(pmt_ptp_pages() - ptp0, st.ptps - st0.ptps + 32);
	pmt_check(k);
	/* A flagged block is demoted from its spare, an unflagged one from the reserve (then topped up). */
	assert_int_equal(vmk_pmap_remove(k, kva + 70 * S2M + 0x1000, kva + 70 * S2M + 0x2000), 0);
	assert_int_equal(vmk_pmap_remove(k, kva + 3 * S2M + 0x1000, kva + 3 * S2M + 0x2000), 0);
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.spare_ptps, st0.spare_ptps + 31);
	assert_int_equal(st.reserve_ptps, VMK_PMAP_KPOOL);
	assert_int_equal(st.demotions, st0.demotions + 2);
	pmt_check(k);
	/* Removing a flagged block whole: its spare stays as the (empty) table. */
	assert_int_equal(vmk_pmap_remove(k, kva + 71 * S2M, kva + 72 * S2M), 0);
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.spare_ptps, st0.spare_ptps + 30);
	pmt_check(k);
	pmt_shutdown();
}

/*
 * With the allocator exhausted, kernel demotions without a spare use the
 * reserve, VMK_PMAP_KPOOL of them; the next one fails with -VMK_ENOMEM and
 * the tables exactly as they were. The next kernel operation with memory
 * tops the reserve up again.
 */
static void test_reserve_bound_and_clean_failure(void **state)
{
	struct vmk_pmap *k;
	struct vmk_pmap_stats st, st2;
	struct vmk_pmap_mapping m;
	vmk_vaddr_t kva;
	uint64_t h, ptp;
	unsigned int n = VMK_PMAP_KPOOL + 1;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	kva = pmt_kva() + S1G;
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.reserve_ptps, VMK_PMAP_KPOOL);
	for (unsigned int i = 0; i < n; i++)
		assert_int_equal(vmk_pmap_enter_large(k, kva + i * S2M, PMT_DATA + i * S2M, S2M, RW, 0), 0);
	vmk_sim_fail_nth(0, NULL, true);
	for (unsigned int i = 0; i < VMK_PMAP_KPOOL; i++)
		assert_int_equal(vmk_pmap_remove(k, kva + i * S2M + 0x5000, kva + i * S2M + 0x6000), 0);
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.reserve_ptps, 0);
	h = pmt_tree_hash(vmk_pmap_root(k), vmk_pmap__g.top);
	ptp = pmt_ptp_pages();
	assert_int_equal(vmk_pmap_remove(k, kva + (n - 1) * S2M + 0x5000, kva + (n - 1) * S2M + 0x6000),
			 -VMK_ENOMEM);
	assert_int_equal(vmk_pmap_demote(k, kva + (n - 1) * S2M), -VMK_ENOMEM);
	assert_int_equal(vmk_pmap_protect(k, kva + (n - 1) * S2M, kva + (n - 1) * S2M + 0x1000, VMK_PROT_READ),
			 -VMK_ENOMEM);
	vmk_sim_fail_off();
	vmk_pmap_stats(k, &st2);
	assert_memory_equal(&st, &st2, sizeof(st));
	assert_true(pmt_tree_hash(vmk_pmap_root(k), vmk_pmap__g.top) == h);
	assert_int_equal(pmt_ptp_pages(), ptp);
	assert_int_equal(vmk_pmap_extract(k, kva + (n - 1) * S2M + 0x5000, &m), 0);
	assert_true(m.size == S2M);
	pmt_check(k);
	/* Memory again: the empty reserve is filled when a demotion needs it, and topped up after. */
	assert_int_equal(vmk_pmap_remove(k, kva + (n - 1) * S2M + 0x5000, kva + (n - 1) * S2M + 0x6000), 0);
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.reserve_ptps, VMK_PMAP_KPOOL);
	pmt_check(k);
	pmt_shutdown();
}

/* Mutants: the checker reports a spare allocated for an unflagged block, and a flagged block without one. */
static void test_check_spare_only_where_flagged(void **state)
{
	struct vmk_pmap *k;
	struct vmk_page *pg;
	char msg[256];
	vmk_vaddr_t kva;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	kva = pmt_kva() + S1G;
	assert_int_equal(vmk_pmap_enter_large(k, kva, PMT_DATA, S2M, RW, 0), 0);
	assert_int_equal(vmk_pmap_enter_large(k, kva + S2M, PMT_DATA, S2M, RW, KS), 0);
	pmt_check(k);
	/* A spare allocated for the unflagged block (what every kernel block used to get). */
	vmk_pmap__lock(k);
	pg = vmk_pmap__ptp_alloc(k, "test");
	assert_non_null(pg);
	vmk_pmap__spare_insert(k, kva, 1, pg, true);
	vmk_pmap__unlock(k);
	assert_int_equal(vmk_pmap_check(k, msg, sizeof(msg)), -VMK_EINVAL);
	assert_non_null(strstr(msg, "not entered with KEEP_SPARE"));
	vmk_pmap__lock(k);
	assert_true(vmk_pmap__spare_take(k, kva, 1, NULL) == pg);
	vmk_pmap__ptp_free(k, pg);
	vmk_pmap__unlock(k);
	pmt_check(k);
	/* The flagged block's spare gone: its demotion would allocate. */
	vmk_pmap__lock(k);
	pg = vmk_pmap__spare_take(k, kva + S2M, 1, NULL);
	vmk_pmap__unlock(k);
	assert_non_null(pg);
	assert_int_equal(vmk_pmap_check(k, msg, sizeof(msg)), -VMK_EINVAL);
	assert_non_null(strstr(msg, "has no spare"));
	vmk_pmap__lock(k);
	vmk_pmap__spare_insert(k, kva + S2M, 1, pg, true);
	vmk_pmap__unlock(k);
	pmt_check(k);
	pmt_shutdown();
}

/*
 * The spare lookup at scale: a few thousand flagged blocks, demoted and
 * promoted back in a scattered order, removed half, checked throughout.
 */
static void test_spares_at_scale(void **state)
{
	struct vmk_pmap *k;
	struct vmk_pmap_stats st0, st;
	vmk_vaddr_t kva;
	uint64_t ptp0, seed = th_seed() | 1;
	const unsigned int n = 2048;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	kva = pmt_kva() + S1G;
	vmk_pmap_stats(k, &st0);
	ptp0 = pmt_ptp_pages();
	for (unsigned int i = 0; i < n; i++)
		assert_int_equal(vmk_pmap_enter_large(k, kva + i * S2M, PMT_DATA + (i % 512) * S2M, S2M, RW, KS), 0);
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.spare_ptps, st0.spare_ptps + n);
	for (unsigned int j = 0; j < 256; j++) {
		unsigned int i = (unsigned int)(pmt_rand(&seed) % n);

		assert_int_equal(vmk_pmap_demote(k, kva + i * S2M), 0);
		if (j % 3 == 0)	/* back again: the table is the spare again */
			assert_int_equal(vmk_pmap_enter(k, kva + i * S2M, PMT_DATA + (i % 512) * S2M, RW, 0), 0);
	}
	pmt_check(k);
	for (unsigned int i = 0; i < n; i += 2)
		assert_int_equal(vmk_pmap_remove(k, kva + i * S2M, kva + (i + 1) * S2M), 0);
	pmt_check(k);
	assert_int_equal(vmk_pmap_remove(k, kva, kva + n * S2M), 0);
	vmk_pmap_stats(k, &st);
	/* Every spare went back as the empty table of its 2 MiB: nothing lost, nothing left over. */
	assert_int_equal(st.spare_ptps, st0.spare_ptps);
	assert_int_equal(pmt_ptp_pages() - ptp0, st.ptps - st0.ptps);
	pmt_check(k);
	pmt_shutdown();
}

/* Live kernel memory is not promoted to 1 GiB by default (a 1 GiB break-before-make window); user memory is. */
static void test_no_auto_kernel_1g_promotion(void **state)
{
	struct pmt_opts o = { .arch = ARCH_OF(state) };
	struct vmk_pmap *k;
	struct vmk_pmap_mapping m;
	struct vmk_pmap_stats st;
	vmk_vaddr_t kva;

	for (int asked = 0; asked < 2; asked++) {
		o.promote_kernel_1g = asked;
		pmt_boot(&o);
		k = vmk_pmap_kernel();
		kva = pmt_kva() + S1G;
		for (unsigned int i = 0; i < 512; i++)
			assert_int_equal(vmk_pmap_enter_large(k, kva + i * S2M, PMT_DATA + i * S2M, S2M, RW, 0), 0);
		assert_int_equal(vmk_pmap_extract(k, kva, &m), 0);
		assert_true(m.size == (asked ? S1G : S2M));
		vmk_pmap_stats(k, &st);
		assert_int_equal(st.mappings[2], asked ? 1 : 0);
		pmt_check(k);
		/* Explicitly entered 1 GiB kernel mappings are always allowed. */
		assert_int_equal(vmk_pmap_enter_large(k, kva + S1G, PMT_DATA, S1G, RW, 0), 0);
		pmt_check(k);
		pmt_shutdown();
	}
}

#define T(f) cmocka_unit_test_prestate(f, &x86), cmocka_unit_test_prestate(f, &arm), cmocka_unit_test_prestate(f, &rv)
/* The per-block keep-spare mark: riscv64's PTE has no room for it, the spare is the record (docs/pmap.md). */
#define T_KS(f) cmocka_unit_test_prestate(f, &x86), cmocka_unit_test_prestate(f, &arm)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_spare_only_with_flag),
		T(test_reserve_bound_and_clean_failure),
		T_KS(test_check_spare_only_where_flagged),
		T(test_spares_at_scale),
		T(test_no_auto_kernel_1g_promotion),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
