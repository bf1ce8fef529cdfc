/*
 * Review of the 64 KiB run code (arm64 contiguous bit, riscv64 Svnapot):
 * cases the first suites did not cover, each failing before its fix.
 *  - riscv64 keeps no-promote ranges by address only (no PTE bit): a
 *    2 MiB block there demoted (in place: riscv64 needs no
 *    break-before-make) must give plain leaves, since unfolding a run
 *    breaks it and a no-promote range must never be invalid;
 *  - the simulator must report a 64 KiB TLB entry that covers a page
 *    the tables no longer map (one entry of a run cleared without
 *    unfolding: a fill from any other entry covers the cleared page);
 *  - arm64 run entries may differ in AF and the dirty state only: AP[2]
 *    of an entry without DBM is its write permission;
 *  - a break-before-make window's range invalidation must find the whole
 *    range broken (an unfold that breaks half the run is reported);
 *  - only a change unfolds a run: a refused fault_ad, a protect to the
 *    same protection, clear_modify of a clean run, remove_write of a
 *    read-only one and an enter of the page the run maps, as it maps it,
 *    leave it folded;
 *  - vmk_pmap_check verifies a run's encoding (riscv64 ppn[0][3:0]).
 * And paths the first suites left untested (passing): a direct-map run
 * holding its own table unfolds through tmp_va; managed runs keep their
 * PV entries and A/D through promotion, demotion and reverse-map calls;
 * a fold of live entries in place is reported.
 */
#include "pmap_util.h"
#include "../src/pmap/pmap_internal.h"

#define ARCH_OF(state) (*(enum vmk_pmap_arch_id *)*(state))
#define UVA	0x0000000040000000ull
#define S64K	0x10000ull
#define S2M	PT_SIZE(1)
#define RW	(VMK_PROT_READ | VMK_PROT_WRITE)

static enum vmk_pmap_arch_id x86 = VMK_PMAP_ARCH_X86_64, arm = VMK_PMAP_ARCH_ARM64, rv = VMK_PMAP_ARCH_RISCV64;

static bool is_cont_at(struct vmk_pmap *pm, vmk_vaddr_t va)
{
	return pmt_extract(pm, va).contiguous;
}

/* The mutant's defect (what) must be reported, the control must report nothing; then the machine goes. */
static void verdict(enum vmk_pmap_arch_id arch, bool mutant, const char *what)
{
	char msg[300];
	unsigned int n = pmt_reported(msg, sizeof(msg));

	if (mutant && !n)
		fail_msg("%s: %s was not reported", pmt_arch_name(arch), what);
	if (!mutant && n)
		fail_msg("%s: control reported: %s", pmt_arch_name(arch), msg);
	if (mutant)
		printf("  %s: caught: %s\n", pmt_arch_name(arch), msg);
	pmt_kernel_all();
	pmt_shutdown();
}

/*
 * A kernel 2 MiB block entered in a no-promote range, then cut by a
 * protect of one page: the block is no-promote (on riscv64 by address,
 * src/pmap/marks.c), so the demotion is refused with a panic on every
 * architecture, as the API says; it never demotes in place into 4 KiB
 * pieces, let alone folded ones a later change would have to unfold.
 */
static void test_np_demotion_does_not_fold(void **state)
{
	struct pmt_opts o = { .arch = ARCH_OF(state), .ncpus = 2, .no_promote = true };
	struct vmk_pmap_stats st;
	struct vmk_pmap *k;
	vmk_vaddr_t kva;

	pmt_boot(&o);
	k = vmk_pmap_kernel();
	kva = pmt_kva() + 8 * S2M;
	assert_int_equal(vmk_pmap_protect_bbm(k, kva, S2M, VMK_PMAP_BBM_NOPROMOTE), 0);
	assert_int_equal(vmk_pmap_enter_large(k, kva, PMT_DATA, S2M, RW, 0), 0);
	assert_int_equal(vmk_sim_mmu_must_stay_valid(kva, S2M), 0);
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.folds, 0);
	/* The panic leaves the pmap locked: nothing more on it. */
	assert_panics(vmk_pmap_protect(k, kva + S64K, kva + S64K + 4096, VMK_PROT_READ), "no-promote");
	pmt_shutdown();
}

/*
 * Mutant: one page of a run removed without unfolding (its entry cleared,
 * its 4 KiB invalidated). A walk of another page of the run refills the
 * 64 KiB TLB entry, which still translates the removed page: the
 * simulator must report it (control: the pmap's own removal).
 */
static void remove_one(enum vmk_pmap_arch_id arch, bool mutant)
{
	struct pmt_opts o = { .arch = arch, .ncpus = 2, .no_promote = true };
	struct vmk_pmap *u;
	vmk_paddr_t pas[16];
	unsigned int lvl;

	u = pmt_boot_user_all(&o);
	pmt_pages(pas, PMT_DATA, 16);
	assert_int_equal(vmk_pmap_enter_pages(u, UVA, pas, 16, RW, 0), 0);
	assert_true(is_cont_at(u, UVA));
	vmk_sim_tlb_flush_all();
	if (mutant) {
		vmk_pmap__lock(u);
		vmk_pmap__pte_clear(vmk_pmap__walk(u, UVA + 7 * 4096, &lvl, NULL));
		vmk_pmap__tlb_page(u, UVA + 7 * 4096, 4096, true);
		vmk_pmap__unlock(u);
	} else {
		assert_int_equal(vmk_pmap_remove(u, UVA + 7 * 4096, UVA + 8 * 4096), 0);
	}
	/* Another page of the run is read: its fill covers the whole 64 KiB. */
	assert_int_equal(vmk_sim_mmu_access(1, UVA + 3 * 4096, VMK_MMU_READ | VMK_MMU_USER, NULL), 0);
	verdict(arch, mutant, "a 64 KiB TLB entry over a removed page");
}

static void test_remove_one_control(void **state)
{
	remove_one(ARCH_OF(state), false);
}

static void test_remove_one_without_unfold_reported(void **state)
{
	remove_one(ARCH_OF(state), true);
}

/*
 * arm64: the entries of a run may differ only in AF and dirty state
 * (D8.6.1); AP[2] is the dirty state only of a DBM entry, of any other
 * it is the write permission. A read-only run (no DBM) with one entry
 * made writable in place is misprogrammed: a fill from that entry would
 * make all 64 KiB writable. The walker must report it.
 */
static void test_a64_run_permission_differs_reported(void **state)
{
	struct pmt_opts o = { .arch = VMK_PMAP_ARCH_ARM64, .ncpus = 2, .no_promote = true };
	struct vmk_pmap *u;
	vmk_paddr_t pas[16];
	vmk_pte_t *p;
	char msg[300];
	unsigned int lvl;

	(void)state;
	u = pmt_boot_user_all(&o);
	pmt_pages(pas, PMT_DATA, 16);
	assert_int_equal(vmk_pmap_enter_pages(u, UVA, pas, 16, VMK_PROT_READ, 0), 0);
	assert_true(is_cont_at(u, UVA));
	/* The control: the read-only run is consistent. */
	assert_int_equal(vmk_sim_mmu_access(1, UVA + 2 * 4096, VMK_MMU_READ | VMK_MMU_USER, NULL), 0);
	if (pmt_reported(msg, sizeof(msg)))
		fail_msg("control reported: %s", msg);
	/* Entry 5: AP[2] cleared (EL0/EL1 writable), no DBM, contiguous bit kept. */
	vmk_pmap__lock(u);
	p = vmk_pmap__walk(u, UVA + 5 * 4096, &lvl, NULL);
	vmk_pmap__pte_store(p, vmk_pmap__pte_load(p) & ~(1ull << 7));
	vmk_pmap__unlock(u);
	vmk_sim_tlb_flush_all();
	/* A walk of another entry of the run (which is read-only, as it should be). */
	(void)vmk_sim_mmu_access(1, UVA + 9 * 4096, VMK_MMU_READ | VMK_MMU_USER, NULL);
	if (!pmt_reported(msg, sizeof(msg)))
		fail_msg("a contiguous run with one writable entry among read-only ones was not reported");
	printf("  caught: %s\n", msg);
	pmt_kernel_all();
	pmt_shutdown();
}

/*
 * Managed runs through promotion and demotion: the PV entries follow
 * (512 -> one 2 MiB entry -> 512), the page states keep the run's A/D
 * OR, and the reverse-map operations on one page unfold only its run.
 */
static void test_managed_runs_promote_demote(void **state)
{
	struct pmt_opts o = { .arch = ARCH_OF(state), .ncpus = 2, .no_promote = false };
	static vmk_paddr_t pas[512];
	struct vmk_pmap_mapping m;
	struct vmk_pmap_stats st;
	struct vmk_pmap *u;

	u = pmt_boot_user_all(&o);
	pmt_pages(pas, PMT_DATA, 512);
	assert_int_equal(vmk_pmap_enter_pages(u, UVA, pas, 512, RW, VMK_PMAP_ENTER_MANAGED), 0);
	assert_int_equal(vmk_pmap_extract(u, UVA, &m), 0);
	assert_int_equal(m.size, S2M);
	pmt_check(u);
	/* A write through page 40 dirties the block; demotion gives 32 runs, each dirty. */
	assert_int_equal(vmk_sim_mmu_access(0, UVA + 40 * 4096, VMK_MMU_WRITE | VMK_MMU_USER, NULL), 0);
	assert_int_equal(vmk_pmap_demote(u, UVA), 0);
	vmk_pmap_stats(u, &st);
	assert_int_equal(st.pv_entries, 512);
	assert_true(is_cont_at(u, UVA + 40 * 4096));
	pmt_check(u);
	for (unsigned int i = 0; i < 512; i += 37)
		assert_true(vmk_pmap_is_modified(pas[i]));
	/* Clean one page: its run unfolds, the others stay runs, the others' state stays. */
	vmk_pmap_clear_modify(pas[40]);
	assert_false(vmk_pmap_is_modified(pas[40]));
	assert_true(vmk_pmap_is_modified(pas[41]) && vmk_pmap_is_modified(pas[200]));
	assert_false(is_cont_at(u, UVA + 40 * 4096));
	assert_true(is_cont_at(u, UVA + 48 * 4096));
	vmk_pmap_stats(u, &st);
	assert_int_equal(st.unfolds, 1);
	/* remove_all of a page in another run. */
	assert_int_equal(vmk_pmap_remove_all(pas[300]), 1);
	assert_int_equal(vmk_pmap_extract(u, UVA + 300 * 4096, &m), -VMK_ENOENT);
	assert_true(vmk_pmap_is_modified(pas[300]) && vmk_pmap_is_modified(pas[301]));
	vmk_pmap_stats(u, &st);
	assert_int_equal(st.unfolds, 2);
	assert_int_equal(st.pv_entries, 511);
	pmt_check(u);
	/* Everything goes; every page keeps its modified state. */
	assert_int_equal(vmk_pmap_remove(u, UVA, UVA + S2M), 0);
	vmk_pmap_stats(u, &st);
	assert_int_equal(st.pv_entries, 0);
	for (unsigned int i = 0; i < 512; i++)
		if (i != 40 && !vmk_pmap_is_modified(pas[i]))
			fail_msg("page %u lost its modified state", i);
	pmt_check(u);
	pmt_kernel_all();
	vmk_pmap_destroy(u);
	pmt_shutdown();
}

/*
 * Mutant: an unfold whose break covers only half the run (entries 0-7
 * made invalid, the run's 64 KiB invalidated, then all 16 rewritten as
 * plain leaves): entries 8-15 go from contiguous to plain while valid,
 * and a walk of them between the invalidation and the rewrite refills
 * the 64 KiB entry. The window's invalidation must find the whole range
 * broken, not only its first page. No speculative walks here: the
 * report must not depend on one happening.
 */
static void half_break(enum vmk_pmap_arch_id arch, bool mutant)
{
	struct pmt_opts o = { .arch = arch, .ncpus = 2, .no_promote = true };
	const struct vmk_pmap_arch *a;
	struct vmk_pmap *u;
	struct vmk_tlb_req r;
	vmk_paddr_t pas[16];
	vmk_pte_t *run, e[16];
	unsigned int lvl;

	pmt_boot(&o);
	vmk_sim_mmu_speculate(0, 2, 1);
	a = vmk_pmap__g.arch;
	assert_int_equal(vmk_pmap_create(&u), 0);
	vmk_pmap_activate(u, 0);
	vmk_pmap_activate(u, 1);
	pmt_pages(pas, PMT_DATA, 16);
	assert_int_equal(vmk_pmap_enter_pages(u, UVA, pas, 16, RW, 0), 0);
	assert_int_equal(vmk_sim_mmu_access(0, UVA + 3 * 4096, VMK_MMU_READ | VMK_MMU_USER, NULL), 0);
	vmk_pmap__lock(u);
	run = vmk_pmap__walk(u, UVA, &lvl, NULL);
	assert_int_equal(lvl, 0);
	if (mutant) {
		for (unsigned int i = 0; i < 16; i++)
			e[i] = i < 8 ? vmk_pmap__pte_clear(&run[i]) : vmk_pmap__pte_load(&run[i]);
		vmk_barrier(VMK_BARRIER_PTE_STORE);
		vmk_pmap__tlb_req(u, &r, VMK_TLB_RANGE, UVA, S64K, true);
		r.in_bbm = true;
		vmk_tlb_invalidate(&r);
		vmk_barrier(VMK_BARRIER_TLB_SYNC);
		for (unsigned int i = 0; i < 16; i++)
			vmk_pmap__pte_store(&run[i], a->unfold(e[i], i));
		vmk_barrier(VMK_BARRIER_PTE_STORE);
	} else {
		vmk_pmap__unfold(u, run, UVA);
	}
	vmk_pmap__unlock(u);
	verdict(arch, mutant, "an unfold breaking half the run");
}

static void test_half_break_control(void **state)
{
	half_break(ARCH_OF(state), false);
}

static void test_half_break_reported(void **state)
{
	half_break(ARCH_OF(state), true);
}

/*
 * vmk_pmap_fault_ad on a real protection fault (a store to a read-only
 * run, a user access to a kernel run) fails with -VMK_EACCES and must
 * change nothing: the run stays folded, nothing is broken or invalidated.
 */
static void test_fault_ad_eacces_keeps_run(void **state)
{
	struct pmt_opts o = { .arch = ARCH_OF(state), .ncpus = 2, .no_promote = true, .hw_dbm_off = true };
	struct vmk_pmap_stats st;
	struct vmk_pmap *u;
	vmk_paddr_t pas[16];
	uint64_t tlbi0;

	u = pmt_boot_user_all(&o);
	pmt_pages(pas, PMT_DATA, 16);
	assert_int_equal(vmk_pmap_enter_pages(u, UVA, pas, 16, VMK_PROT_READ, VMK_PMAP_ENTER_MANAGED), 0);
	assert_true(is_cont_at(u, UVA));
	vmk_pmap_stats(u, &st);
	tlbi0 = st.tlbi[VMK_TLB_PAGE] + st.tlbi[VMK_TLB_RANGE];
	assert_int_equal(vmk_pmap_fault_ad(u, UVA + 5 * 4096, VMK_PROT_WRITE, true), -VMK_EACCES);
	assert_int_equal(vmk_pmap_fault_ad(u, UVA + 6 * 4096, VMK_PROT_EXEC, true), -VMK_EACCES);
	vmk_pmap_stats(u, &st);
	if (st.unfolds || st.tlbi[VMK_TLB_PAGE] + st.tlbi[VMK_TLB_RANGE] != tlbi0)
		fail_msg("%s: a refused fault_ad changed the run (%llu unfolds, %llu invalidations)",
			 pmt_arch_name(o.arch), (unsigned long long)st.unfolds,
			 (unsigned long long)(st.tlbi[VMK_TLB_PAGE] + st.tlbi[VMK_TLB_RANGE] - tlbi0));
	assert_true(is_cont_at(u, UVA + 5 * 4096));
	/* A read is the fault it can serve (accessed is set already: nothing to do but the invalidation). */
	assert_int_equal(vmk_pmap_fault_ad(u, UVA + 5 * 4096, VMK_PROT_READ, true), 0);
	pmt_check(u);
	assert_int_equal(vmk_pmap_remove(u, UVA, UVA + S64K), 0);
	pmt_kernel_all();
	vmk_pmap_destroy(u);
	pmt_shutdown();
}

/*
 * vmk_pmap_protect that changes nothing (the run already has the
 * protection asked for) leaves the run folded: an unfold is a
 * break-before-make over 16 live pages, owed only to a change.
 */
static void test_noop_protect_keeps_run(void **state)
{
	struct pmt_opts o = { .arch = ARCH_OF(state), .ncpus = 2, .no_promote = true };
	struct vmk_pmap_stats st;
	struct vmk_pmap *u;
	vmk_paddr_t pas[32];

	u = pmt_boot_user_all(&o);
	pmt_pages(pas, PMT_DATA, 32);
	assert_int_equal(vmk_pmap_enter_pages(u, UVA, pas, 16, RW, VMK_PMAP_ENTER_MANAGED), 0);
	assert_int_equal(vmk_pmap_enter_pages(u, UVA + S64K, pas + 16, 16, VMK_PROT_READ, 0), 0);
	/* Dirty one page of the writable run: the others stay clean, as the hardware leaves them. */
	assert_int_equal(vmk_sim_mmu_access(0, UVA + 3 * 4096, VMK_MMU_WRITE | VMK_MMU_USER, NULL), 0);
	assert_int_equal(vmk_pmap_protect(u, UVA, UVA + S64K, RW), 0);
	assert_int_equal(vmk_pmap_protect(u, UVA + 4096, UVA + 2 * 4096, RW), 0);
	assert_int_equal(vmk_pmap_protect(u, UVA + S64K, UVA + 2 * S64K, VMK_PROT_READ), 0);
	vmk_pmap_stats(u, &st);
	if (st.unfolds)
		fail_msg("%s: a protect that changes nothing unfolded %llu runs", pmt_arch_name(o.arch),
			 (unsigned long long)st.unfolds);
	assert_true(is_cont_at(u, UVA) && is_cont_at(u, UVA + S64K));
	/* A real change unfolds the run it touches, and only it. */
	assert_int_equal(vmk_pmap_protect(u, UVA + 4096, UVA + 2 * 4096, VMK_PROT_READ), 0);
	vmk_pmap_stats(u, &st);
	assert_int_equal(st.unfolds, 1);
	assert_false(is_cont_at(u, UVA));
	assert_true(is_cont_at(u, UVA + S64K));
	/* The run's dirty state reached the page that lost write access. */
	assert_true(vmk_pmap_is_modified(pas[1]));
	pmt_check(u);
	assert_int_equal(vmk_pmap_remove(u, UVA, UVA + 2 * S64K), 0);
	pmt_kernel_all();
	vmk_pmap_destroy(u);
	pmt_shutdown();
}

/*
 * The reverse-map calls unfold a run only when they change an entry of
 * it: clear_modify of a clean run, remove_write of a read-only run (the
 * page daemon's everyday calls) must leave it folded.
 */
static void test_pv_noop_keeps_run(void **state)
{
	struct pmt_opts o = { .arch = ARCH_OF(state), .ncpus = 2, .no_promote = true };
	struct vmk_pmap_stats st;
	struct vmk_pmap *u;
	vmk_paddr_t pas[48];

	u = pmt_boot_user_all(&o);
	pmt_pages(pas, PMT_DATA, 48);
	assert_int_equal(vmk_pmap_enter_pages(u, UVA, pas, 16, RW, VMK_PMAP_ENTER_MANAGED), 0);
	assert_int_equal(vmk_pmap_enter_pages(u, UVA + S64K, pas + 16, 16, VMK_PROT_READ, VMK_PMAP_ENTER_MANAGED), 0);
	assert_int_equal(vmk_pmap_enter_pages(u, UVA + 2 * S64K, pas + 32, 16, RW, VMK_PMAP_ENTER_MANAGED), 0);
	vmk_pmap_clear_modify(pas[5]);		/* clean run: nothing to clear */
	vmk_pmap_remove_write(pas[16 + 5]);	/* read-only run: nothing to remove */
	vmk_pmap_stats(u, &st);
	if (st.unfolds)
		fail_msg("%s: reverse-map calls that change nothing unfolded %llu runs", pmt_arch_name(o.arch),
			 (unsigned long long)st.unfolds);
	assert_true(is_cont_at(u, UVA) && is_cont_at(u, UVA + S64K));
	/* The same calls with something to do unfold their run, and keep the OR semantics. */
	assert_int_equal(vmk_sim_mmu_access(0, UVA + 9 * 4096, VMK_MMU_WRITE | VMK_MMU_USER, NULL), 0);
	assert_true(vmk_pmap_is_modified(pas[5]));
	vmk_pmap_clear_modify(pas[5]);
	assert_false(vmk_pmap_is_modified(pas[5]));
	assert_true(vmk_pmap_is_modified(pas[9]) && vmk_pmap_is_modified(pas[6]));
	vmk_pmap_remove_write(pas[32 + 2]);
	assert_true(vmk_pmap_ts_referenced(pas[16 + 3]) >= 1);
	vmk_pmap_stats(u, &st);
	assert_int_equal(st.unfolds, 3);
	assert_false(is_cont_at(u, UVA) || is_cont_at(u, UVA + S64K) || is_cont_at(u, UVA + 2 * S64K));
	pmt_check(u);
	assert_int_equal(vmk_pmap_remove(u, UVA, UVA + 3 * S64K), 0);
	pmt_kernel_all();
	vmk_pmap_destroy(u);
	pmt_shutdown();
}

/*
 * vmk_pmap_enter of the page a run already maps there, with the run's
 * attributes (a fault on a page another thread mapped, a prefault), is
 * no change: the run stays folded and keeps its A/D. Another protection
 * or another page still unfolds it.
 */
static void test_same_enter_keeps_run(void **state)
{
	struct pmt_opts o = { .arch = ARCH_OF(state), .ncpus = 2, .no_promote = true };
	const uint32_t M = VMK_PMAP_ENTER_MANAGED;
	struct vmk_pmap_stats st;
	struct vmk_pmap *u;
	vmk_paddr_t pas[16];

	u = pmt_boot_user_all(&o);
	pmt_pages(pas, PMT_DATA, 16);
	assert_int_equal(vmk_pmap_enter_pages(u, UVA, pas, 16, RW, M), 0);
	assert_int_equal(vmk_sim_mmu_access(0, UVA + 5 * 4096, VMK_MMU_WRITE | VMK_MMU_USER, NULL), 0);
	assert_int_equal(vmk_pmap_enter(u, UVA + 5 * 4096, pas[5], RW, M), 0);	/* the dirty entry */
	assert_int_equal(vmk_pmap_enter(u, UVA + 6 * 4096, pas[6], RW, M), 0);	/* a clean one */
	vmk_pmap_stats(u, &st);
	if (st.unfolds)
		fail_msg("%s: entering the page a run maps, as it maps it, unfolded the run", pmt_arch_name(o.arch));
	assert_true(is_cont_at(u, UVA));
	assert_int_equal(st.pv_entries, 16);
	assert_true(vmk_pmap_is_modified(pas[6]));	/* the run's OR */
	pmt_check(u);
	/* Read-only now: a change. */
	assert_int_equal(vmk_pmap_enter(u, UVA + 6 * 4096, pas[6], VMK_PROT_READ, M), 0);
	vmk_pmap_stats(u, &st);
	assert_int_equal(st.unfolds, 1);
	assert_false(is_cont_at(u, UVA));
	assert_true(vmk_pmap_is_modified(pas[6]) && vmk_pmap_is_modified(pas[5]));
	pmt_check(u);
	assert_int_equal(vmk_pmap_remove(u, UVA, UVA + S64K), 0);
	pmt_kernel_all();
	vmk_pmap_destroy(u);
	pmt_shutdown();
}

/*
 * Mutant: riscv64 run entries with N set but ppn[0][3:0] not 0b1000 (a
 * reserved Svnapot encoding: every access page-faults). The frames,
 * attributes and alignment all look right, so vmk_pmap_check must check
 * the encoding itself.
 */
static void test_check_reports_bad_napot_encoding(void **state)
{
	struct pmt_opts o = { .arch = VMK_PMAP_ARCH_RISCV64, .no_promote = true };
	struct vmk_pmap *u;
	vmk_paddr_t pas[16];
	vmk_pte_t *run;
	struct vmk_mmu_walk w;
	char msg[200];
	unsigned int lvl;

	(void)state;
	u = pmt_boot_user_all(&o);
	pmt_pages(pas, PMT_DATA, 16);
	assert_int_equal(vmk_pmap_enter_pages(u, UVA, pas, 16, RW, 0), 0);
	assert_int_equal(vmk_pmap_check(u, msg, sizeof(msg)), 0);
	run = vmk_pmap__walk(u, UVA, &lvl, NULL);
	assert_int_equal(lvl, 0);
	for (unsigned int i = 0; i < 16; i++)	/* ppn[0][3:0] 0b1000 -> 0b0000 */
		vmk_pmap__pte_store(&run[i], vmk_pmap__pte_load(&run[i]) & ~(0xfull << 10));
	vmk_sim_tlb_flush_all();
	assert_int_equal(vmk_sim_mmu_access(0, UVA, VMK_MMU_READ | VMK_MMU_USER, &w), VMK_MMU_FAULT_RESERVED);
	if (vmk_pmap_check(u, msg, sizeof(msg)) == 0)
		fail_msg("vmk_pmap_check passed a run in a reserved Svnapot encoding");
	printf("  caught: %s\n", msg);
	for (unsigned int i = 0; i < 16; i++)
		vmk_pmap__pte_store(&run[i], vmk_pmap__pte_load(&run[i]) | (0x8ull << 10));
	assert_int_equal(vmk_pmap_check(u, msg, sizeof(msg)), 0);
	assert_int_equal(vmk_pmap_remove(u, UVA, UVA + S64K), 0);
	vmk_pmap_activate(vmk_pmap_kernel(), 0);
	vmk_pmap_destroy(u);
	pmt_shutdown();
}

/*
 * Mutant: 16 live plain leaves (aligned, contiguous frames, one set of
 * attributes) folded in place, without break-before-make, while a CPU
 * holds a 4 KiB translation of one of them. The pmap only ever folds
 * over invalid entries; the simulator must report this fold.
 */
static void test_fold_in_place_reported(void **state)
{
	struct pmt_opts o = { .arch = ARCH_OF(state), .ncpus = 2, .no_promote = true };
	const struct vmk_pmap_arch *a;
	struct vmk_pmap *u;
	vmk_pte_t *run;
	char msg[300];
	unsigned int lvl;

	u = pmt_boot_user_all(&o);
	a = vmk_pmap__g.arch;
	for (unsigned int i = 0; i < 16; i++)	/* one page at a time: never folded */
		assert_int_equal(vmk_pmap_enter(u, UVA + i * 4096ull, PMT_DATA + i * 4096ull, RW, 0), 0);
	assert_false(is_cont_at(u, UVA));
	assert_int_equal(vmk_sim_mmu_access(0, UVA + 3 * 4096, VMK_MMU_READ | VMK_MMU_USER, NULL), 0);
	if (pmt_reported(msg, sizeof(msg)))
		fail_msg("control reported: %s", msg);
	vmk_pmap__lock(u);
	run = vmk_pmap__walk(u, UVA, &lvl, NULL);
	for (unsigned int i = 0; i < 16; i++) {
		vmk_pmap__pte_store(&run[i], a->fold(vmk_pmap__pte_load(&run[i])));
		vmk_barrier(VMK_BARRIER_PTE_STORE);
	}
	vmk_pmap__unlock(u);
	if (!pmt_reported(msg, sizeof(msg)))
		fail_msg("%s: a fold of live entries in place was not reported", pmt_arch_name(o.arch));
	printf("  %s: caught: %s\n", pmt_arch_name(o.arch), msg);
	pmt_kernel_all();
	pmt_shutdown();
}

#define DMAP	(PMT_KVA + (512ull << 30))
#define TMPVA	(PMT_KVA + (1ull << 30))

/*
 * A direct-map run that holds the very table of its own 16 entries:
 * the unfold's window unmaps that table's direct-map address, so the
 * 16 entries must be written through the temporary mapping (tmp_va), as
 * a 2 MiB demotion of the block holding its own table is.
 */
static void test_dmap_unfolds_run_holding_own_table(void **state)
{
	struct pmt_opts o = { .arch = ARCH_OF(state), .no_promote = true, .dmap_base = DMAP,
			      .dmap_end = DMAP + PMT_RAM_END, .tmp_va = TMPVA, .kva_ptr = pmt_kva_through_mmu };
	struct vmk_pmap *k;
	struct vmk_pmap_mapping m;
	struct vmk_mmu_walk w;
	vmk_paddr_t t1, t0, x;

	pmt_boot(&o);
	k = vmk_pmap_kernel();
	/* The table of 2 MiB entries for [DMAP + 1 GiB, DMAP + 2 GiB), where RAM starts. */
	assert_int_equal(vmk_pmap_growkernel(DMAP + PMT_RAM_BASE, DMAP + PMT_RAM_BASE + S2M), 0);
	assert_non_null(vmk_pmap__entry_at(k, DMAP + PMT_RAM_BASE, 1, &t1));
	x = t1 & ~(S2M - 1);
	/* The 2 MiB around it as 32 runs; its level-0 table comes from the same region. */
	for (unsigned int r = 0; r < 32; r++) {
		vmk_paddr_t pas[16];

		for (unsigned int i = 0; i < 16; i++)
			pas[i] = x + r * S64K + i * 4096ull;
		assert_int_equal(vmk_pmap_enter_pages(k, DMAP + x + r * S64K, pas, 16, RW, 0), 0);
	}
	assert_non_null(vmk_pmap__entry_at(k, DMAP + x, 0, &t0));
	if ((t0 & ~(S2M - 1)) != x)
		fail_msg("the level-0 table %#llx is not in [%#llx, +2 MiB): the scene needs another region",
			 (unsigned long long)t0, (unsigned long long)x);
	assert_true(is_cont_at(k, DMAP + t0));
	assert_int_equal(vmk_sim_mmu_access(0, DMAP + t0, VMK_MMU_READ, NULL), 0);
	pmt_kva_probe.calls = 0;
	assert_int_equal(vmk_pmap_protect(k, DMAP + t0 + 4096 * ((t0 >> 12) % 16 == 15 ? -1 : 1),
					  DMAP + t0 + 4096 * ((t0 >> 12) % 16 == 15 ? 0 : 2), VMK_PROT_READ), 0);
	assert_false(is_cont_at(k, DMAP + t0));
	if (pmt_kva_probe.calls != 1 || pmt_kva_probe.last != TMPVA || pmt_kva_probe.pa != t0)
		fail_msg("%s: the run's entries were not written through tmp_va (%u calls, last %#llx -> %#llx)",
			 pmt_arch_name(o.arch), pmt_kva_probe.calls, (unsigned long long)pmt_kva_probe.last, (unsigned long long)pmt_kva_probe.pa);
	assert_int_equal(vmk_pmap_extract(k, DMAP + t0, &m), 0);
	assert_true(m.size == 4096 && m.pa == t0);
	assert_int_equal(vmk_sim_mmu_access(0, DMAP + t0, VMK_MMU_READ | VMK_MMU_WRITE, &w), 0);
	assert_true(w.pa == t0);
	assert_int_equal(vmk_sim_mmu_probe(0, TMPVA, VMK_MMU_READ, &w), VMK_MMU_FAULT_TRANSLATION);
	pmt_check(k);
	pmt_shutdown();
}

#define T(f) cmocka_unit_test_prestate(f, &arm), cmocka_unit_test_prestate(f, &rv)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_prestate(test_np_demotion_does_not_fold, &x86),
		T(test_np_demotion_does_not_fold),
		T(test_remove_one_control),
		T(test_remove_one_without_unfold_reported),
		cmocka_unit_test(test_a64_run_permission_differs_reported),
		T(test_dmap_unfolds_run_holding_own_table),
		T(test_managed_runs_promote_demote),
		T(test_half_break_control),
		T(test_half_break_reported),
		T(test_fault_ad_eacces_keeps_run),
		T(test_noop_protect_keeps_run),
		T(test_pv_noop_keeps_run),
		T(test_same_enter_keeps_run),
		cmocka_unit_test(test_check_reports_bad_napot_encoding),
		T(test_fold_in_place_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
