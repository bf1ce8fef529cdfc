/*
 * 64 KiB contiguous runs (arm64 contiguous bit, riscv64 Svnapot) under the
 * adversarial simulator: enter_pages and demotion fold them, every change
 * to one entry unfolds the run first (break-before-make over all 16
 * entries, one 64 KiB invalidation), a run's accessed/dirty state is the
 * OR over its entries, promotion takes a table of runs, and x86-64 never
 * folds. The simulator's own checks (a run seen mixed, misaligned or with
 * differing attributes; a stale or conflicting TLB entry) run throughout
 * through pmt_check; the mutants that break them are in
 * test_pmap_cont_mutants.c.
 */
#include <pthread.h>

#include "pmap_util.h"
#include <vmkit/kmap.h>
#include "../src/pmap/pmap_internal.h"

#define ARCH_OF(state) (*(enum vmk_pmap_arch_id *)*(state))
#define UVA	0x0000000040000000ull
#define S64K	0x10000ull
#define S2M	PT_SIZE(1)
#define RW	(VMK_PROT_READ | VMK_PROT_WRITE)
#define M	VMK_PMAP_ENTER_MANAGED
#define NPG	512u

static enum vmk_pmap_arch_id x86 = VMK_PMAP_ARCH_X86_64, arm = VMK_PMAP_ARCH_ARM64, rv = VMK_PMAP_ARCH_RISCV64;
static vmk_paddr_t pas[NPG];

/* pas[i] = pa0 + i pages. */
static void contiguous(vmk_paddr_t pa0, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		pas[i] = pa0 + i * 4096ull;
}

/* Boot arch with 2 CPUs, promotion off unless asked; a user pmap active on both. */
static struct vmk_pmap *boot_user(enum vmk_pmap_arch_id arch, bool promote)
{
	struct pmt_opts o = { .arch = arch, .ncpus = 2, .no_promote = !promote };

	return pmt_boot_user_all(&o);
}

static bool is_cont_at(struct vmk_pmap *pm, vmk_vaddr_t va)
{
	return pmt_extract(pm, va).contiguous;
}

static uint64_t folds(struct vmk_pmap *pm)
{
	return pmt_stats(pm).folds;
}

static uint64_t unfolds(struct vmk_pmap *pm)
{
	return pmt_stats(pm).unfolds;
}

/* Every page of [va, va + n pages) read on cpu, translating to pa0 + i pages. */
static void read_all(unsigned int cpu, vmk_vaddr_t va, vmk_paddr_t pa0, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		struct vmk_mmu_walk w;

		assert_int_equal(vmk_sim_mmu_access(cpu, va + i * 4096ull + 8, VMK_MMU_READ | VMK_MMU_USER, &w), 0);
		assert_int_equal(w.pa, pa0 + i * 4096ull + 8);
	}
}

static void test_fold_enter_pages(void **state)
{
	struct vmk_pmap *u = boot_user(ARCH_OF(state), false);

	/* 64 pages from a 64 KiB-aligned frame at a 64 KiB-aligned address: 4 runs. */
	contiguous(PMT_DATA, 64);
	assert_int_equal(vmk_pmap_enter_pages(u, UVA, pas, 64, RW, 0), 0);
	assert_int_equal(folds(u), 4);
	for (unsigned int i = 0; i < 64; i++) {
		struct vmk_pmap_mapping m;

		assert_int_equal(vmk_pmap_extract(u, UVA + i * 4096ull + 5, &m), 0);
		assert_true(m.contiguous);
		assert_int_equal(m.size, 4096);
		assert_int_equal(m.pa, PMT_DATA + i * 4096ull + 5);
	}
	/* One TLB entry per run, whichever page filled it. */
	vmk_sim_tlb_flush_all();
	read_all(0, UVA, PMT_DATA, 64);
	assert_int_equal(vmk_sim_tlb_count(0), 4);
	assert_int_equal(vmk_sim_mmu_cover(0, UVA, 64 * 4096ull), 4);
	pmt_check(u);

	/* What cannot fold: an unaligned frame, an unaligned address, a hole in the frames, a short run. */
	contiguous(PMT_DATA + S2M + 4096, 32);
	assert_int_equal(vmk_pmap_enter_pages(u, UVA + S2M, pas, 32, RW, 0), 0);
	contiguous(PMT_DATA + 2 * S2M, 32);
	assert_int_equal(vmk_pmap_enter_pages(u, UVA + 2 * S2M + 4096, pas, 32, RW, 0), 0);
	contiguous(PMT_DATA + 3 * S2M, 16);
	pas[7] += S2M;
	assert_int_equal(vmk_pmap_enter_pages(u, UVA + 3 * S2M, pas, 16, RW, 0), 0);
	contiguous(PMT_DATA + 4 * S2M, 15);
	assert_int_equal(vmk_pmap_enter_pages(u, UVA + 4 * S2M, pas, 15, RW, 0), 0);
	assert_int_equal(folds(u), 4);
	/* Inside an unaligned call (pages 4..43) the whole aligned run (16..31) folds. */
	contiguous(PMT_DATA + 5 * S2M + 4 * 4096, 40);
	assert_int_equal(vmk_pmap_enter_pages(u, UVA + 5 * S2M + 4 * 4096, pas, 40, RW, 0), 0);
	assert_int_equal(folds(u), 5);
	assert_false(is_cont_at(u, UVA + 5 * S2M + 4 * 4096));
	assert_true(is_cont_at(u, UVA + 5 * S2M + S64K));
	assert_false(is_cont_at(u, UVA + 5 * S2M + 2 * S64K));
	pmt_check(u);
	pmt_kernel_all();
	vmk_pmap_destroy(u);
	pmt_shutdown();
}

/* x86-64 has no 64 KiB mapping: the same call never folds. */
static void test_x86_never_folds(void **state)
{
	struct vmk_pmap *u = boot_user(VMK_PMAP_ARCH_X86_64, false);

	(void)state;
	contiguous(PMT_DATA, 64);
	assert_int_equal(vmk_pmap_enter_pages(u, UVA, pas, 64, RW, M), 0);
	assert_int_equal(folds(u), 0);
	assert_false(is_cont_at(u, UVA));
	vmk_sim_tlb_flush_all();
	read_all(0, UVA, PMT_DATA, 64);
	assert_int_equal(vmk_sim_mmu_cover(0, UVA, 64 * 4096ull), 64);
	assert_int_equal(vmk_pmap_protect(u, UVA, UVA + 4096, VMK_PROT_READ), 0);
	assert_int_equal(unfolds(u), 0);
	pmt_check(u);
	pmt_kernel_all();
	vmk_pmap_destroy(u);
	pmt_shutdown();
}

enum { OP_REMOVE, OP_PROTECT, OP_ENTER_OVER, OP_FAULT_AD, OP_CLEAR_MOD, OP_TS_REF, OP_REMOVE_WRITE,
       OP_REMOVE_ALL, OP_DEMOTE_NOOP, OP_COUNT };

static const char *const op_name[OP_COUNT] = { "remove", "protect", "enter over", "fault_ad", "clear_modify",
					       "ts_referenced", "remove_write", "remove_all", "demote" };

/*
 * Each change to one page of a run (the run cached on both CPUs first):
 * that run, and only it, is unfolded with one 64 KiB invalidation inside
 * a break-before-make window; the others stay folded; the simulator sees
 * nothing wrong.
 */
static void test_unfold_on_change(void **state)
{
	for (unsigned int op = 0; op < OP_COUNT; op++) {
		struct vmk_pmap *u = boot_user(ARCH_OF(state), false);
		vmk_vaddr_t run = UVA + S64K, va = run + 5 * 4096;
		vmk_paddr_t pa = PMT_DATA + S64K + 5 * 4096;
		struct vmk_sim_mmu_ev ev[256];
		size_t n;
		bool win = false;

		contiguous(PMT_DATA, 48);
		assert_int_equal(vmk_pmap_enter_pages(u, UVA, pas, 48, RW, M), 0);
		assert_int_equal(folds(u), 3);
		read_all(0, UVA, PMT_DATA, 48);
		read_all(1, UVA, PMT_DATA, 48);
		assert_int_equal(vmk_sim_tlb_count(1), 3);
		vmk_sim_mmu_events_clear();
		switch (op) {
		case OP_REMOVE: assert_int_equal(vmk_pmap_remove(u, va, va + 4096), 0); break;
		case OP_PROTECT: assert_int_equal(vmk_pmap_protect(u, va, va + 4096, VMK_PROT_READ), 0); break;
		case OP_ENTER_OVER: assert_int_equal(vmk_pmap_enter(u, va, PMT_DATA + S2M, RW, M), 0); break;
		case OP_FAULT_AD: assert_int_equal(vmk_pmap_fault_ad(u, va, VMK_PROT_WRITE, true), 0); break;
		case OP_CLEAR_MOD:
			/* Dirty through another page of the run: the run's state is the OR. */
			assert_int_equal(vmk_sim_mmu_access(0, run + 9 * 4096, VMK_MMU_WRITE | VMK_MMU_USER, NULL), 0);
			assert_true(vmk_pmap_is_modified(pa));
			vmk_pmap_clear_modify(pa);
			break;
		case OP_TS_REF: assert_true(vmk_pmap_ts_referenced(pa) >= 1); break;
		case OP_REMOVE_WRITE: vmk_pmap_remove_write(pa); break;
		case OP_REMOVE_ALL: assert_int_equal(vmk_pmap_remove_all(pa), 1); break;
		default: assert_int_equal(vmk_pmap_demote(u, va), 0); break;	/* a 4 KiB page: nothing */
		}
		if (op == OP_DEMOTE_NOOP) {
			assert_int_equal(unfolds(u), 0);
			assert_true(is_cont_at(u, va));
		} else {
			if (unfolds(u) != 1)
				fail_msg("%s (%s): %llu unfolds", op_name[op], pmt_arch_name(ARCH_OF(state)),
					 (unsigned long long)unfolds(u));
			assert_true(is_cont_at(u, UVA) && is_cont_at(u, UVA + 2 * S64K));
			assert_false(is_cont_at(u, run));
			/* The window's one 64 KiB invalidation of the run (its barriers are inline, not hooks). */
			n = vmk_sim_mmu_events(ev, 256);
			for (size_t i = 0; i < n; i++)
				win |= ev[i].kind == VMK_SIM_EV_TLBI && ev[i].arg == VMK_TLB_RANGE && ev[i].va == run &&
				       ev[i].size == S64K;
			if (!win)
				fail_msg("%s: no 64 KiB invalidation of the run", op_name[op]);
		}
		pmt_check(u);
		/* Both CPUs see the run's other pages as before. */
		for (unsigned int cpu = 0; cpu < 2; cpu++)
			read_all(cpu, run, PMT_DATA + S64K, 5);
		pmt_check(u);
		pmt_kernel_all();
		vmk_pmap_destroy(u);
		pmt_shutdown();
	}
}

/*
 * The hardware sets accessed/dirty in the one entry it walked: the run's
 * state is the OR. A write through page 3 makes every page of the run
 * modified for the queries, and the removal of the whole run hands that
 * state to each page.
 */
static void test_ad_is_or_over_run(void **state)
{
	struct vmk_pmap *u = boot_user(ARCH_OF(state), false);
	struct vmk_pmap_mapping m;

	contiguous(PMT_DATA, 16);
	assert_int_equal(vmk_pmap_enter_pages(u, UVA, pas, 16, RW, M), 0);
	for (unsigned int i = 0; i < 16; i++)
		assert_false(vmk_pmap_is_modified(PMT_DATA + i * 4096ull));
	assert_int_equal(vmk_sim_mmu_access(0, UVA + 3 * 4096, VMK_MMU_WRITE | VMK_MMU_USER, NULL), 0);
	/* Only entry 3 holds the dirty state... */
	assert_true(vmk_pmap__g.arch->attrs_of(vmk_pmap__pte_load(vmk_pmap__walk(u, UVA + 3 * 4096, &(unsigned int){ 0 },
											 NULL)), 0) & VMK_PTE_A_DIRTY);
	assert_false(vmk_pmap__g.arch->attrs_of(vmk_pmap__pte_load(vmk_pmap__walk(u, UVA, &(unsigned int){ 0 }, NULL)), 0) &
		     VMK_PTE_A_DIRTY);
	/* ...but every page of the run reads as modified. */
	for (unsigned int i = 0; i < 16; i++) {
		assert_true(vmk_pmap_is_modified(PMT_DATA + i * 4096ull));
		assert_int_equal(vmk_pmap_extract(u, UVA + i * 4096ull, &m), 0);
		assert_true(m.dirty && m.contiguous);
	}
	/* The whole run goes without unfolding, and the state still reaches each page. */
	assert_int_equal(vmk_pmap_remove(u, UVA, UVA + 16 * 4096ull), 0);
	assert_int_equal(unfolds(u), 0);
	for (unsigned int i = 0; i < 16; i++)
		assert_true(vmk_pmap_is_modified(PMT_DATA + i * 4096ull));
	pmt_check(u);
	pmt_kernel_all();
	vmk_pmap_destroy(u);
	pmt_shutdown();
}

/*
 * A 2 MiB table of runs promotes (the block replaces the table under
 * break-before-make; the cached 64 KiB entries go with the 2 MiB
 * invalidation), and its demotion gives runs back.
 */
static void test_promote_and_demote_runs(void **state)
{
	struct vmk_pmap *u = boot_user(ARCH_OF(state), true);
	struct vmk_pmap_mapping m;
	struct vmk_pmap_stats st;

	contiguous(PMT_DATA, NPG);
	/* 511 pages: 31 runs and 15 plain leaves, cached on both CPUs. */
	assert_int_equal(vmk_pmap_enter_pages(u, UVA, pas, NPG - 1, RW, 0), 0);
	assert_int_equal(folds(u), 31);
	read_all(0, UVA, PMT_DATA, NPG - 1);
	read_all(1, UVA, PMT_DATA, 64);
	pmt_check(u);
	/* The last page completes the table: promotion. */
	assert_int_equal(vmk_pmap_enter(u, UVA + (NPG - 1) * 4096ull, pas[NPG - 1], RW, 0), 0);
	assert_int_equal(vmk_pmap_extract(u, UVA, &m), 0);
	assert_int_equal(m.size, S2M);
	read_all(1, UVA, PMT_DATA, NPG);
	pmt_check(u);
	/* Demotion: 32 runs, each cached as one entry. */
	assert_int_equal(vmk_pmap_demote(u, UVA), 0);
	vmk_pmap_stats(u, &st);
	assert_int_equal(st.folds, 31 + 32);
	assert_int_equal(st.promotions, 1);
	vmk_sim_tlb_flush_all();
	read_all(0, UVA, PMT_DATA, NPG);
	assert_int_equal(vmk_sim_mmu_cover(0, UVA, S2M), 32);
	pmt_check(u);
	/* And promotes again from runs alone. */
	assert_int_equal(vmk_pmap_protect(u, UVA, UVA + 4096, VMK_PROT_READ), 0);
	assert_int_equal(unfolds(u), 1);
	assert_int_equal(vmk_pmap_protect(u, UVA, UVA + 4096, RW), 0);
	vmk_pmap__lock(u);
	vmk_pmap__try_promote(u, UVA, 1);
	vmk_pmap__unlock(u);
	assert_int_equal(vmk_pmap_extract(u, UVA + 4096, &m), 0);
	assert_int_equal(m.size, S2M);
	read_all(0, UVA, PMT_DATA, NPG);
	pmt_check(u);
	pmt_kernel_all();
	vmk_pmap_destroy(u);
	pmt_shutdown();
}

/*
 * The kernel pmap folds too (enter_pages, demotion of a 2 MiB block), but
 * never no-promote (must-stay-valid) leaves or a rendezvous range: an
 * unfold there would break or park.
 */
static void test_kernel_and_protected_ranges(void **state)
{
	struct pmt_opts o = { .arch = ARCH_OF(state), .ncpus = 2, .no_promote = true };
	struct vmk_pmap *k;
	vmk_vaddr_t kva;

	pmt_boot(&o);
	k = vmk_pmap_kernel();
	kva = pmt_kva() + 8 * S2M;
	contiguous(PMT_DATA, 32);
	assert_int_equal(vmk_pmap_enter_pages(k, kva, pas, 32, RW, 0), 0);
	assert_int_equal(folds(k), 2);
	assert_int_equal(vmk_pmap_enter_pages(k, kva + S2M, pas, 32, RW, VMK_PMAP_ENTER_NOPROMOTE), 0);
	assert_int_equal(vmk_pmap_protect_bbm(k, kva + 2 * S2M, S2M, VMK_PMAP_BBM_RENDEZVOUS), 0);
	assert_int_equal(vmk_pmap_enter_pages(k, kva + 2 * S2M, pas, 32, RW, 0), 0);
	assert_int_equal(vmk_pmap_enter_large(k, kva + 3 * S2M, PMT_DATA, S2M, RW, 0), 0);
	assert_int_equal(vmk_pmap_demote(k, kva + 3 * S2M), 0);
	assert_int_equal(folds(k), 2 + 32);
	assert_false(is_cont_at(k, kva + S2M));
	assert_false(is_cont_at(k, kva + 2 * S2M));
	/* NOPROMOTE over a folded range unfolds it first (the memory is not live yet). */
	assert_int_equal(vmk_pmap_protect_bbm(k, kva, S64K, VMK_PMAP_BBM_NOPROMOTE), 0);
	assert_int_equal(unfolds(k), 1);
	assert_true(is_cont_at(k, kva + S64K));
	pmt_check(k);
	pmt_shutdown();
}

/*
 * The kernel bootstrap: kmap maps what 2 MiB leaves cannot cover in 64 KiB
 * steps, so the image folds where the MMU has runs (x86-64: plain pages,
 * the same leaves as before).
 */
static void test_kmap_image_folds(void **state)
{
	struct pmt_opts o = { .arch = ARCH_OF(state), .ncpus = 2, .no_promote = true };
	/* 1 MiB + 64 KiB + 8 KiB r-x, 448 KiB rw-: 64 KiB-aligned, never 2 MiB-aligned. */
	static const struct vmk_kmap_section img[2] = {
		{ 1024 * 1024 + S64K + 8192, VMK_PROT_READ | VMK_PROT_EXEC, 0 },
		{ 448 * 1024 - 8192, RW, 0 },
	};
	bool runs = ARCH_OF(state) != VMK_PMAP_ARCH_X86_64;
	struct vmk_pmap *k;
	vmk_vaddr_t va;

	pmt_boot(&o);
	k = vmk_pmap_kernel();
	va = pmt_kva() + 64 * S2M + S64K;
	assert_int_equal(vmk_kmap_image(k, va, PMT_DATA + S64K, img, 2), 0);
	/* text: 17 runs and 2 pages; data: 14 pages (to the next 64 KiB), then 6 runs. */
	assert_int_equal(folds(k), runs ? 17 + 6 : 0);
	assert_int_equal(is_cont_at(k, va), runs);
	assert_false(is_cont_at(k, va + 17 * S64K));
	assert_int_equal(is_cont_at(k, va + 18 * S64K), runs);
	vmk_sim_tlb_flush_all();
	assert_int_equal(vmk_sim_mmu_cover(0, va, 24 * S64K), runs ? 17 + 2 + 14 + 6 : 24 * 16);
	pmt_check(k);
	pmt_shutdown();
}

/* Managed runs under injected allocation failures: all or nothing, nothing leaked. */
static void test_alloc_failures(void **state)
{
	struct pmt_opts o = { .arch = ARCH_OF(state), .ncpus = 2, .no_promote = true };
	struct vmk_pmap_stats before, after;
	struct vmk_pmap *u;
	uint64_t ptp0, alloc0;
	unsigned int failed = 0;

	pmt_boot(&o);
	ptp0 = pmt_ptp_pages();
	alloc0 = pmt_alloc_pages();
	assert_int_equal(vmk_pmap_create(&u), 0);
	vmk_pmap_activate(u, 0);
	vmk_pmap_activate(u, 1);

	contiguous(PMT_DATA, 128);
	for (unsigned long n = 0;; n++) {
		int r;

		pmt_map_stats(u, &before);
		vmk_sim_fail_nth(n, "pmap.", false);
		r = vmk_pmap_enter_pages(u, UVA + 4 * 4096, pas + 4, 120, RW, M);
		vmk_sim_fail_off();
		if (r == 0)
			break;
		assert_int_equal(r, -VMK_ENOMEM);
		failed++;
		pmt_map_stats(u, &after);
		assert_memory_equal(&before, &after, sizeof(before));
		pmt_check(u);
	}
	assert_true(failed > 0);
	/* Pages 4..123: the runs at pages 16, 32, .. 96; the failed calls' runs were undone (unfolded). */
	assert_int_equal(folds(u) - unfolds(u), 6);
	pmt_check(u);
	assert_int_equal(vmk_pmap_remove(u, UVA, UVA + S2M), 0);
	pmt_kernel_all();
	vmk_pmap_destroy(u);
	assert_int_equal(pmt_ptp_pages(), ptp0);
	assert_int_equal(pmt_alloc_pages(), alloc0);
	pmt_shutdown();
}

/*
 * The atomic-update paths rebuild a leaf from its canonical attributes;
 * a run's bits are no attribute, so the rebuild must keep them (it did
 * not: the contiguous bit, N and the NAPOT PPN would have been dropped
 * from one entry, leaving a mixed run).
 */
static void test_rebuild_keeps_run_bits(void **state)
{
	const struct vmk_pmap_arch *a;
	static const uint32_t attrs[] = {
		VMK_PTE_A_MT(VMK_MEMTYPE_WB) | VMK_PTE_A_UXN | VMK_PTE_A_ACCESSED,
		VMK_PTE_A_MT(VMK_MEMTYPE_WB) | VMK_PTE_A_WRITE | VMK_PTE_A_USER | VMK_PTE_A_PXN | VMK_PTE_A_MANAGED,
		VMK_PTE_A_MT(VMK_MEMTYPE_WC) | VMK_PTE_A_WRITE | VMK_PTE_A_DIRTY | VMK_PTE_A_UXN | VMK_PTE_A_GLOBAL |
			VMK_PTE_A_WIRED | VMK_PTE_A_ACCESSED,
	};
	struct pmt_opts o = { .arch = ARCH_OF(state) };

	pmt_boot(&o);
	a = vmk_pmap__g.arch;
	for (unsigned int k = 0; k < VMK_ARRAY_SIZE(attrs); k++) {
		for (unsigned int i = 0; i < 16; i++) {
			vmk_pte_t e = a->fold(a->make_leaf(PMT_DATA + i * 4096ull, 0, attrs[k]));
			uint32_t ea = a->attrs_of(e, 0);

			assert_true(vmk_pmap__is_cont(e, 0));
			assert_int_equal(vmk_pmap__leaf_rebuild(e, 0, ea), e);
			/* An accessed/dirty update keeps the run too. */
			assert_true(vmk_pmap__is_cont(vmk_pmap__leaf_rebuild(e, 0, ea | VMK_PTE_A_ACCESSED), 0));
			assert_int_equal(vmk_pmap__leaf_pa(vmk_pmap__leaf_rebuild(e, 0, ea & ~(uint32_t)VMK_PTE_A_ACCESSED), 0,
							   UVA + i * 4096ull),
					 PMT_DATA + i * 4096ull);
			/* Unfolding gives back the plain leaf. */
			assert_int_equal(a->unfold(e, i), a->make_leaf(PMT_DATA + i * 4096ull, 0, attrs[k]));
		}
	}
	pmt_shutdown();
}

/*
 * Shared CPUs: readers on CPUs 1 and 2 keep translating the pages of a
 * user range (every successful access must give the one frame that
 * address ever maps), the background speculator walks, and CPU 0 keeps
 * folding (enter_pages), unfolding (protect of one page, clear_modify)
 * and removing runs. No violation, no stale entry, no wrong frame.
 */
#define NR	2
static struct vmk_pmap *shared;
static volatile int stop_flag;
static char reader_err[NR][200];

static void *reader(void *arg)
{
	unsigned int id = (unsigned int)(uintptr_t)arg, cpu = id + 1;
	uint64_t rng = 0x9e3779b97f4a7c15ull * (id + 1);

	vmk_sim_rdv_cpu_enter(cpu);
	while (!__atomic_load_n(&stop_flag, __ATOMIC_ACQUIRE) && !reader_err[id][0]) {
		unsigned int p = (unsigned int)(pmt_rand(&rng) % 128);
		struct vmk_mmu_walk w;
		uint32_t acc = (pmt_rand(&rng) & 1 ? VMK_MMU_WRITE : VMK_MMU_READ) | VMK_MMU_USER;

		if (vmk_sim_mmu_access(cpu, UVA + p * 4096ull, acc, &w) == 0 && w.pa != PMT_DATA + p * 4096ull)
			snprintf(reader_err[id], sizeof(reader_err[id]), "cpu %u: va page %u -> %#llx", cpu, p,
				 (unsigned long long)w.pa);
	}
	vmk_sim_rdv_cpu_exit();
	return NULL;
}

static void test_shared_cpus(void **state)
{
	struct pmt_opts o = { .arch = ARCH_OF(state), .ncpus = 3, .no_promote = true };
	pthread_t th[NR];
	uint64_t rng = th_seed();
	char msg[300];
	unsigned int rounds = 300;

	pmt_boot(&o);
	printf("shared cpus (%s): seed %llu\n", pmt_arch_name(o.arch), (unsigned long long)rng);
	assert_int_equal(vmk_pmap_create(&shared), 0);
	for (unsigned int c = 0; c < 3; c++)
		vmk_pmap_activate(shared, c);
	contiguous(PMT_DATA, 128);
	vmk_sim_mmu_rendezvous_anywhere(true);
	assert_int_equal(vmk_sim_mmu_spec_hint(UVA, 128 * 4096ull), 0);
	assert_int_equal(vmk_sim_mmu_spec_thread(true), 0);
	stop_flag = 0;
	for (unsigned int i = 0; i < NR; i++) {
		reader_err[i][0] = 0;
		assert_int_equal(pthread_create(&th[i], NULL, reader, (void *)(uintptr_t)i), 0);
	}
	vmk_sim_rdv_cpu_enter(0);
	for (unsigned int r = 0; r < rounds; r++) {
		unsigned int run = (unsigned int)(pmt_rand(&rng) % 8), op = (unsigned int)(pmt_rand(&rng) % 4);
		vmk_vaddr_t va = UVA + run * S64K;

		switch (op) {
		case 0:
			(void)vmk_pmap_enter_pages(shared, va, pas + run * 16, 16, RW, M);
			break;
		case 1:
			assert_int_equal(vmk_pmap_protect(shared, va + 4096, va + 2 * 4096, VMK_PROT_READ), 0);
			break;
		case 2:
			vmk_pmap_clear_modify(PMT_DATA + run * S64K + 7 * 4096);
			break;
		default:
			assert_int_equal(vmk_pmap_remove(shared, va, va + S64K), 0);
			break;
		}
	}
	vmk_sim_rdv_cpu_exit();
	__atomic_store_n(&stop_flag, 1, __ATOMIC_RELEASE);
	for (unsigned int i = 0; i < NR; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	assert_int_equal(vmk_sim_mmu_spec_thread(false), 0);
	vmk_sim_mmu_spec_hints_clear();
	vmk_sim_mmu_rendezvous_anywhere(false);
	for (unsigned int i = 0; i < NR; i++)
		if (reader_err[i][0])
			fail_msg("%s", reader_err[i]);
	if (vmk_sim_tlb_audit(msg, sizeof(msg)))
		fail_msg("audit: %s", msg);
	assert_true(folds(shared) > 0 && unfolds(shared) > 0);
	pmt_check(shared);
	for (unsigned int c = 0; c < 3; c++)
		vmk_pmap_activate(vmk_pmap_kernel(), c);
	vmk_pmap_destroy(shared);
	pmt_shutdown();
}

#define T(f) cmocka_unit_test_prestate(f, &arm), cmocka_unit_test_prestate(f, &rv)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_fold_enter_pages),
		cmocka_unit_test_prestate(test_x86_never_folds, &x86),
		T(test_unfold_on_change),
		T(test_ad_is_or_over_run),
		T(test_promote_and_demote_runs),
		T(test_kernel_and_protected_ranges),
		T(test_kmap_image_folds),
		cmocka_unit_test_prestate(test_kmap_image_folds, &x86),
		T(test_alloc_failures),
		T(test_rebuild_keeps_run_bits),
		T(test_shared_cpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
