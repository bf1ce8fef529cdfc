/*
 * Review of the 64 KiB run code (arm64 contiguous bit, riscv64 Svnapot):
 * cases the first suites did not cover, each failing before its fix.
 *  - riscv64 keeps no-promote ranges by address only (no PTE bit): a
 *    2 MiB block there demoted (in place: riscv64 needs no
 *    break-before-make) must give plain leaves, since unfolding a run
 *    breaks it and a no-promote range must never be invalid.
 */
#include "pmap_util.h"
#include "../src/pmap/pmap_internal.h"

#define ARCH_OF(state) (*(enum vmk_pmap_arch_id *)*(state))
#define UVA	0x0000000040000000ull
#define S64K	0x10000ull
#define S2M	PT_SIZE(1)
#define RW	(VMK_PROT_READ | VMK_PROT_WRITE)

static enum vmk_pmap_arch_id rv = VMK_PMAP_ARCH_RISCV64;

static bool is_cont_at(struct vmk_pmap *pm, vmk_vaddr_t va)
{
	struct vmk_pmap_mapping m;

	assert_int_equal(vmk_pmap_extract(pm, va, &m), 0);
	return m.contiguous;
}

static unsigned int reported(char *msg, size_t len)
{
	unsigned int n = vmk_sim_tlb_audit(msg, len);

	if (vmk_sim_mmu_bbm_violations()) {
		snprintf(msg, len, "%s", vmk_sim_mmu_bbm_msg());
		n += (unsigned int)vmk_sim_mmu_bbm_violations();
	}
	return n;
}

/*
 * riscv64: a kernel 2 MiB block entered in a no-promote range (the range
 * is kept by address; the leaf has no bit for it) and then cut by a
 * protect of one page. The demotion may happen in place (no
 * break-before-make on riscv64), but its 4 KiB pieces must not fold: the
 * protect would then unfold the run, breaking a must-stay-valid range.
 */
static void test_np_demotion_does_not_fold(void **state)
{
	struct pmt_opts o = { .arch = ARCH_OF(state), .ncpus = 2, .no_promote = true };
	struct vmk_pmap_stats st;
	struct vmk_pmap *k;
	vmk_vaddr_t kva;
	char msg[300];

	pmt_boot(&o);
	k = vmk_pmap_kernel();
	kva = pmt_kva() + 8 * S2M;
	assert_int_equal(vmk_pmap_protect_bbm(k, kva, S2M, VMK_PMAP_BBM_NOPROMOTE), 0);
	assert_int_equal(vmk_pmap_enter_large(k, kva, PMT_DATA, S2M, RW, 0), 0);
	assert_int_equal(vmk_sim_mmu_must_stay_valid(kva, S2M), 0);
	assert_int_equal(vmk_pmap_protect(k, kva + S64K, kva + S64K + 4096, VMK_PROT_READ), 0);
	if (reported(msg, sizeof(msg)))
		fail_msg("%s", msg);
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.demotions, 1);
	assert_int_equal(st.unfolds, 0);
	assert_int_equal(st.folds, 0);
	assert_false(is_cont_at(k, kva));
	pmt_check(k);
	pmt_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_prestate(test_np_demotion_does_not_fold, &rv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
