/*
 * Mutants of the 64 KiB run code (test-only copies of a wrong step): the
 * simulator must report each, and must stay quiet for the pmap's own
 * sequence in the same scene (the control).
 *  - unfold without break-before-make: the 16 entries rewritten in place,
 *    one invalidation after; another CPU walks the run midway;
 *  - unfold without the run's invalidation: broken and rewritten, but a
 *    CPU keeps the 64 KiB TLB entry;
 *  - fold of frames that are not 64 KiB aligned (break-before-make done);
 *  - an atomic update of one entry that rebuilds it from its canonical
 *    attributes and so drops the run's bits (what vmk_pmap__leaf_rebuild
 *    prevents): the run is left mixed.
 */
#include "pmap_util.h"
#include "../src/pmap/pmap_internal.h"

#define ARCH_OF(state) (*(enum vmk_pmap_arch_id *)*(state))
#define UVA	0x0000000040000000ull
#define S64K	0x10000ull
#define RW	(VMK_PROT_READ | VMK_PROT_WRITE)

static enum vmk_pmap_arch_id arm = VMK_PMAP_ARCH_ARM64, rv = VMK_PMAP_ARCH_RISCV64;

enum mutant { MUT_NONE, MUT_NO_BBM, MUT_NO_TLBI, MUT_MISALIGNED, MUT_REBUILD_DROPS, MUT_COUNT };

static const char *const mut_name[MUT_COUNT] = { "control", "unfold without break-before-make",
						 "unfold without the run's TLBI", "fold of misaligned frames",
						 "atomic update drops the run bits" };

static struct vmk_pmap *u;

/* The level-0 entries of the run at va. */
static vmk_pte_t *run_at(vmk_vaddr_t va)
{
	unsigned int lvl;
	vmk_pte_t *p = vmk_pmap__walk(u, va, &lvl, NULL);

	assert_int_equal(lvl, 0);
	return p;
}

/* Another CPU walks page i of the run at va now (its TLB holds nothing there). */
static void other_cpu_walks(vmk_vaddr_t va, unsigned int i)
{
	(void)vmk_sim_mmu_access(1, va + i * 4096ull, VMK_MMU_READ | VMK_MMU_USER, NULL);
}

static void unfold_mutant(enum mutant m, vmk_vaddr_t va)
{
	const struct vmk_pmap_arch *a = vmk_pmap__g.arch;
	vmk_pte_t *run = run_at(va), e[16];

	for (unsigned int i = 0; i < 16; i++)
		e[i] = vmk_pmap__pte_load(&run[i]);
	if (m == MUT_NO_BBM) {
		for (unsigned int i = 0; i < 16; i++) {
			vmk_pmap__pte_store(&run[i], a->unfold(e[i], i));
			if (i == 7)
				other_cpu_walks(va, 12);
		}
		vmk_pmap__tlb_range(u, va, S64K, true);
	} else {	/* MUT_NO_TLBI */
		for (unsigned int i = 0; i < 16; i++)
			vmk_pmap__pte_clear(&run[i]);
		vmk_barrier(VMK_BARRIER_PTE_STORE);
		for (unsigned int i = 0; i < 16; i++)
			vmk_pmap__pte_store(&run[i], a->unfold(e[i], i));
		vmk_barrier(VMK_BARRIER_PTE_STORE);
	}
}

static void run_one(enum vmk_pmap_arch_id arch, enum mutant m)
{
	struct pmt_opts o = { .arch = arch, .ncpus = 2, .no_promote = true, .spec_pct = 100 };
	const struct vmk_pmap_arch *a;
	vmk_paddr_t pas[16];
	char msg[300];
	unsigned int n;

	u = pmt_boot_user_all(&o);
	a = vmk_pmap__g.arch;
	/* A 64 KiB-aligned run at UVA (folded), and 16 frames from an unaligned one at UVA + 64 KiB (plain). */
	pmt_pages(pas, PMT_DATA, 16);
	assert_int_equal(vmk_pmap_enter_pages(u, UVA, pas, 16, RW, 0), 0);
	for (unsigned int i = 0; i < 16; i++)
		pas[i] = PMT_DATA + S64K + (i + 1) * 4096ull;
	assert_int_equal(vmk_pmap_enter_pages(u, UVA + S64K, pas, 16, RW, 0), 0);
	assert_true(vmk_pmap__is_cont(vmk_pmap__pte_load(run_at(UVA)), 0));
	/* CPU 0 caches the run (one entry); CPU 1 caches nothing there. */
	vmk_sim_tlb_flush_all();
	assert_int_equal(vmk_sim_mmu_access(0, UVA + 3 * 4096, VMK_MMU_READ | VMK_MMU_USER, NULL), 0);
	assert_int_equal(vmk_sim_tlb_count(1), 0);

	vmk_pmap__lock(u);
	switch (m) {
	case MUT_NONE:
		vmk_pmap__unfold(u, run_at(UVA), UVA);
		other_cpu_walks(UVA, 12);
		break;
	case MUT_NO_BBM:
	case MUT_NO_TLBI:
		unfold_mutant(m, UVA);
		break;
	case MUT_MISALIGNED: {
		vmk_pte_t *run = run_at(UVA + S64K), e[16];

		for (unsigned int i = 0; i < 16; i++)
			e[i] = vmk_pmap__pte_clear(&run[i]);
		vmk_pmap__tlb_range(u, UVA + S64K, S64K, true);
		for (unsigned int i = 0; i < 16; i++)
			vmk_pmap__pte_store(&run[i], a->fold(e[i]));
		vmk_pmap__tlb_made(u);
		other_cpu_walks(UVA + S64K, 2);
		break;
	}
	default: {	/* MUT_REBUILD_DROPS: a permission change of entry 4 in place, the old way */
		vmk_pte_t *p = run_at(UVA) + 4, cur = vmk_pmap__pte_load(p);

		while (!vmk_pmap__pte_cas(p, &cur, a->make_leaf(a->pa_of(cur, 0), 0,
								 a->attrs_of(cur, 0) & ~(uint32_t)VMK_PTE_A_WRITE)))
			;
		vmk_pmap__tlb_page(u, UVA + 4 * 4096, 4096, true);
		other_cpu_walks(UVA, 9);
		break;
	}
	}
	vmk_pmap__unlock(u);
	n = pmt_reported(msg, sizeof(msg));
	if (m == MUT_NONE) {
		if (n)
			fail_msg("%s (%s): unexpected report: %s", mut_name[m], pmt_arch_name(arch), msg);
	} else {
		if (!n)
			fail_msg("%s (%s): the mutant was not caught", mut_name[m], pmt_arch_name(arch));
		printf("  %s (%s): caught: %s\n", mut_name[m], pmt_arch_name(arch), msg);
	}
	pmt_kernel_all();
	pmt_shutdown();
}

static void test_control(void **state)
{
	run_one(ARCH_OF(state), MUT_NONE);
}

static void test_unfold_without_bbm(void **state)
{
	run_one(ARCH_OF(state), MUT_NO_BBM);
}

static void test_unfold_without_tlbi(void **state)
{
	run_one(ARCH_OF(state), MUT_NO_TLBI);
}

static void test_fold_misaligned(void **state)
{
	run_one(ARCH_OF(state), MUT_MISALIGNED);
}

static void test_rebuild_drops_run_bits(void **state)
{
	run_one(ARCH_OF(state), MUT_REBUILD_DROPS);
}

#define T(f) cmocka_unit_test_prestate(f, &arm), cmocka_unit_test_prestate(f, &rv)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_control),
		T(test_unfold_without_bbm),
		T(test_unfold_without_tlbi),
		T(test_fold_misaligned),
		T(test_rebuild_drops_run_bits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
