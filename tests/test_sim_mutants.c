/*
 * Mutant tests of the adversarial simulator: each runs a deliberately
 * broken pmap (a platform-hook wrapper that drops or weakens a TLB
 * invalidation, or a test-only copy of a step that writes the tables
 * behind the pmap's back) three times:
 *  - on the old model (no walk caches, no speculative fills, no
 *    freed-PTP check): nothing is reported, which is why the capability
 *    was needed;
 *  - on the new model: the simulator reports it;
 *  - on the new model without the mutant: nothing is reported (no false
 *    positive from the capability itself).
 */
#include "pmap_util.h"
#include "../src/pmap/pmap_internal.h"

#define UVA	0x0000000040000000ull
#define S2M	PT_SIZE(1)
#define S1G	PT_SIZE(2)
#define RW	(VMK_PROT_READ | VMK_PROT_WRITE)
#define ARCH_OF(state) (*(enum vmk_pmap_arch_id *)*(state))

static enum vmk_pmap_arch_id x86 = VMK_PMAP_ARCH_X86_64, arm = VMK_PMAP_ARCH_ARM64, rv = VMK_PMAP_ARCH_RISCV64;

/* ---- the TLB-hook mutants ---- */
enum mutant {
	MUT_NONE,
	MUT_DROP,		/* no invalidation at all */
	MUT_LAST_LEVEL,		/* every by-VA invalidation becomes last-level only (VAE -> VALE) */
	MUT_DROP_ASID,		/* an ASID flush becomes nothing */
	MUT_LOCAL,		/* no shootdown: this CPU only */
};

static enum mutant mut;
static void (*real_tlb)(void *, const struct vmk_tlb_req *);

static void mutant_tlb(void *ctx, const struct vmk_tlb_req *req)
{
	struct vmk_tlb_req r = *req;

	switch (__atomic_load_n(&mut, __ATOMIC_RELAXED)) {
	case MUT_NONE:
		break;
	case MUT_DROP:
		return;
	case MUT_LAST_LEVEL:
		r.last_level = r.kind == VMK_TLB_PAGE || r.kind == VMK_TLB_RANGE;
		break;
	case MUT_DROP_ASID:
		if (r.kind == VMK_TLB_ASID)
			return;
		break;
	case MUT_LOCAL:
		r.shootdown = false;
		break;
	}
	real_tlb(ctx, &r);
}

/* Boot for one run: model 0 old, 1 new with the mutant, 2 new without it. */
static void boot(enum vmk_pmap_arch_id arch, int model, unsigned int ncpus, struct pmt_opts *o)
{
	struct vmk_platform *p;

	o->arch = arch;
	o->ncpus = ncpus;
	o->sim_old_model = model == 0;
	o->spec_pct = 100;
	pmt_boot(o);
	p = vmk_sim_platform();
	real_tlb = p->tlb_invalidate;
	p->tlb_invalidate = mutant_tlb;
	mut = MUT_NONE;
}

/* What the simulator reported: violations and stale TLB / walk-cache entries. */
static unsigned int reported(char *msg, size_t len)
{
	unsigned int n = vmk_sim_tlb_audit(msg, len);

	if (vmk_sim_mmu_bbm_violations()) {
		snprintf(msg, len, "%s", vmk_sim_mmu_bbm_msg());
		n += (unsigned int)vmk_sim_mmu_bbm_violations();
	}
	return n;
}

static void expect(int model, const char *what, const char *needle)
{
	char msg[300];
	unsigned int n = reported(msg, sizeof(msg));

	if (model == 1) {
		if (n == 0)
			fail_msg("%s: the mutant was not caught", what);
		if (needle && !strstr(msg, needle))
			fail_msg("%s: caught as '%s', expected '%s'", what, msg, needle);
		printf("  %s: caught: %s\n", what, msg);
	} else if (n != 0) {
		fail_msg("%s (%s): unexpected report: %s", what, model == 0 ? "old model" : "no mutant", msg);
	}
}

static void unhook(void)
{
	mut = MUT_NONE;
	vmk_sim_platform()->tlb_invalidate = real_tlb;
	pmt_shutdown();
}

/*
 * A user enter that fails on its PV entry after creating the PTPs for va
 * frees them again (vmk_pmap__abort_ptp). No leaf was ever installed, so
 * only walk caches can hold those tables: without the invalidation after
 * the free, a CPU keeps walking freed pages.
 */
static void abort_ptp_run(enum vmk_pmap_arch_id arch, int model, enum mutant m, const char *what)
{
	struct pmt_opts o = { 0 };
	struct vmk_pmap *u;

	boot(arch, model, 1, &o);
	assert_int_equal(vmk_pmap_create(&u), 0);
	vmk_pmap_activate(u, 0);
	assert_int_equal(vmk_sim_mmu_spec_hint(UVA, VMK_PAGE_SIZE), 0);
	if (model == 1)
		mut = m;
	vmk_sim_fail_nth(0, "pmap.pv_chunk", false);
	assert_int_equal(vmk_pmap_enter(u, UVA, PMT_DATA, RW, VMK_PMAP_ENTER_MANAGED), -VMK_ENOMEM);
	vmk_sim_fail_off();
	mut = MUT_NONE;
	/* The CPU keeps running: it walks va (speculatively) at the next barrier. */
	vmk_barrier(VMK_BARRIER_FULL);
	expect(model, what, "not a live page-table page");
	vmk_pmap_activate(vmk_pmap_kernel(), 0);
	vmk_pmap_destroy(u);
	unhook();
}

/* Paging-structure caches: the invalidation after freeing a PTP is dropped. */
static void test_walk_cache_drop_ptp_tlbi(void **state)
{
	for (int model = 0; model < 3; model++)
		abort_ptp_run(ARCH_OF(state), model, MUT_DROP, "PTP freed without invalidation");
}

/* TLBI semantics (arm64): VAE1IS turned into VALE1IS leaves the walk cache pointing at the freed PTP. */
static void test_walk_cache_last_level_tlbi(void **state)
{
	(void)state;
	for (int model = 0; model < 3; model++)
		abort_ptp_run(VMK_PMAP_ARCH_ARM64, model, MUT_LAST_LEVEL, "PTP freed with a last-level TLBI");
}

/*
 * Speculative fills: a live kernel page no test accesses has its output
 * address changed in place (a test-only copy of a wrong update step: no
 * break, no invalidation). Only a CPU that cached it speculatively shows
 * the break-before-make violation at the next barrier.
 */
static void test_spec_fill_sees_untouched_bbm(void **state)
{
	(void)state;
	for (int model = 0; model < 3; model++) {
		struct pmt_opts o = { 0 };
		struct vmk_pmap *k;
		vmk_vaddr_t va;
		unsigned int lvl;
		vmk_pte_t *p;

		boot(VMK_PMAP_ARCH_ARM64, model, 2, &o);
		k = vmk_pmap_kernel();
		va = pmt_kva() + 7 * S2M + 0x3000;
		assert_int_equal(vmk_pmap_enter(k, va, PMT_DATA, RW, 0), 0);
		assert_int_equal(vmk_sim_mmu_spec_hint(va, VMK_PAGE_SIZE), 0);
		vmk_barrier(VMK_BARRIER_FULL);	/* some CPU work: a speculation point */
		p = vmk_pmap__walk(k, va, &lvl, NULL);
		assert_int_equal(lvl, 0);
		if (model == 1)
			__atomic_store_n(p, vmk_pmap_arch_arm64.make_leaf(PMT_DATA + 0x1000, 0,
					 VMK_PTE_A_WRITE | VMK_PTE_A_UXN | VMK_PTE_A_PXN | VMK_PTE_A_GLOBAL |
					 VMK_PTE_A_ACCESSED | VMK_PTE_A_DIRTY), __ATOMIC_RELEASE);
		else
			assert_int_equal(vmk_pmap_enter(k, va, PMT_DATA + 0x1000, RW, 0), 0);
		vmk_barrier(VMK_BARRIER_PTE_STORE);
		expect(model, "valid->valid change of an untouched page", "without break-before-make");
		unhook();
	}
}

/*
 * An ASID flush turned into nothing: removing 128 pages of a tagged user
 * address space is one ASID flush. The test never accesses the pages, so
 * on the old model no TLB holds them; a CPU that cached them
 * speculatively keeps translating them.
 */
static void test_asid_flush_dropped(void **state)
{
	for (int model = 0; model < 3; model++) {
		struct pmt_opts o = { .asid_bits = 8 };
		struct vmk_pmap *a;

		boot(ARCH_OF(state), model, 2, &o);
		assert_int_equal(vmk_pmap_create(&a), 0);
		vmk_pmap_activate(a, 0);
		vmk_pmap_activate(a, 1);
		assert_int_equal(vmk_sim_mmu_spec_hint(UVA, 128 * VMK_PAGE_SIZE), 0);
		for (unsigned int i = 0; i < 128; i++)
			assert_int_equal(vmk_pmap_enter(a, UVA + i * 4096ull, PMT_DATA + i * 4096ull, RW, 0), 0);
		for (unsigned int i = 0; i < 64; i++)
			vmk_barrier(VMK_BARRIER_FULL);	/* the CPUs run on */
		vmk_sim_mmu_spec_hints_clear();
		vmk_sim_mmu_speculate(0, 0, 0);
		if (model == 1)
			mut = MUT_DROP_ASID;
		assert_int_equal(vmk_pmap_remove(a, UVA, UVA + 128 * 4096ull), 0);
		mut = MUT_NONE;
		expect(model, "ASID flush dropped", "stale TLB entry");
		vmk_pmap_activate(vmk_pmap_kernel(), 0);
		vmk_pmap_activate(vmk_pmap_kernel(), 1);
		vmk_pmap_destroy(a);
		unhook();
	}
}

/*
 * x86 (SDM 4.10.2.3): a kernel 2 MiB page demoted in place (protecting
 * one 4 KiB page) without invalidation: the cached 2 MiB translation of
 * the unchanged first page still matches the tables in address and
 * permissions, but not in size.
 */
static void test_x86_size_change_without_invalidation(void **state)
{
	(void)state;
	for (int model = 0; model < 3; model++) {
		struct pmt_opts o = { 0 };
		struct vmk_pmap *k;
		vmk_vaddr_t va;

		boot(VMK_PMAP_ARCH_X86_64, model, 1, &o);
		k = vmk_pmap_kernel();
		va = pmt_kva() + 4 * S2M;
		assert_int_equal(vmk_pmap_enter_large(k, va, PMT_DATA, S2M, RW, 0), 0);
		assert_int_equal(vmk_sim_mmu_access(0, va, VMK_MMU_READ, NULL), 0);
		if (model == 1)
			mut = MUT_DROP;
		assert_int_equal(vmk_pmap_protect(k, va + 0x1000, va + 0x2000, VMK_PROT_READ), 0);
		mut = MUT_NONE;
		expect(model, "x86 page size changed without invalidation", "SDM 4.10.2.3");
		unhook();
	}
}

/* x86: a 1 GiB page on a CPU without Page1GB, and an address above MAXPHYADDR, fault. */
static void test_x86_reserved_bits(void **state)
{
	(void)state;
	for (int model = 0; model < 3; model++) {
		struct pmt_opts o = { 0 };
		struct vmk_pmap *k;
		vmk_vaddr_t va;
		int f1, f2;

		/* The mutant: the pmap is told 1 GiB pages exist and maps above the CPU's 36 bits. */
		o.sim_no_page_1g = model == 1;
		o.sim_pa_bits = model == 1 ? 36 : 0;
		boot(VMK_PMAP_ARCH_X86_64, model, 1, &o);
		k = vmk_pmap_kernel();
		va = pmt_kva() + 4 * S1G;
		assert_int_equal(vmk_pmap_enter_large(k, va, PMT_RAM_BASE, S1G, RW, 0), 0);
		f1 = vmk_sim_mmu_access(0, va + 0x5000, VMK_MMU_READ, NULL);
		assert_int_equal(vmk_pmap_enter(k, pmt_kva() + 0x1000, 1ull << 36, RW, 0), 0);
		f2 = vmk_sim_mmu_access(0, pmt_kva() + 0x1000, VMK_MMU_READ, NULL);
		if (model == 1) {
			assert_int_equal(f1, VMK_MMU_FAULT_RESERVED);
			assert_int_equal(f2, VMK_MMU_FAULT_RESERVED);
		} else {
			assert_int_equal(f1, 0);
			assert_int_equal(f2, 0);
		}
		unhook();
	}
}

/*
 * phys_to_virt through the direct map: a direct-map demotion that wrote
 * one wrong output address (a test-only copy of the bad step) sends the
 * pmap's reads of a user root to another page. Only translating
 * phys_to_virt through the MMU sees it.
 */
static void test_direct_map_broken(void **state)
{
	for (volatile int model = 0; model < 3; model++) {
		struct pmt_opts o = { 0 };
		struct vmk_pmap *k, *u;
		vmk_vaddr_t dmap, rva;
		vmk_paddr_t root;
		unsigned int lvl;
		vmk_pte_t *p;
		bool panicked;

		/* Plain leaves: the one bad entry must not also break a 64 KiB run (reported first). */
		o.no_cont = true;
		boot(ARCH_OF(state), model, 1, &o);
		k = vmk_pmap_kernel();
		dmap = pmt_kva() + 256 * S1G;
		for (vmk_paddr_t pa = PMT_RAM_BASE; pa < PMT_ALLOC_END; pa += S2M)
			assert_int_equal(vmk_pmap_enter_large(k, dmap + (pa - PMT_RAM_BASE), pa, S2M, RW, 0), 0);
		if (model != 0)
			vmk_sim_mmu_direct_map(dmap, PMT_RAM_BASE, PMT_ALLOC_END);
		assert_int_equal(vmk_pmap_create(&u), 0);
		assert_int_equal(vmk_pmap_enter(u, UVA, PMT_DATA, RW, 0), 0);
		if (model != 0)
			assert_true(vmk_sim_mmu_direct_map_calls() > 0);
		root = vmk_pmap_root(u);
		rva = dmap + (root - PMT_RAM_BASE);
		assert_int_equal(vmk_pmap_demote(k, rva), 0);
		if (model == 1) {
			p = vmk_pmap__walk(k, rva, &lvl, NULL);
			assert_int_equal(lvl, 0);
			/* The bad demotion step: the root's direct-map page maps the next page. */
			__atomic_store_n(p, __atomic_load_n(p, __ATOMIC_ACQUIRE) + VMK_PAGE_SIZE, __ATOMIC_RELEASE);
			vmk_sim_tlb_flush_all();
		}
		panicked = VMK_SIM_TRY_PANIC(vmk_pmap_enter(u, UVA + 4 * S1G, PMT_DATA + 0x1000, RW, 0));
		(void)panicked;
		vmk_sim_mmu_direct_map(0, 0, 0);
		expect(model, "broken direct map", "direct-map va");
		if (model != 1)
			vmk_pmap_destroy(u);
		unhook();
	}
}

/*
 * A page-table page of another address space: user pmap A's 4 KiB
 * pages are removed and the invalidation after freeing their table T is
 * dropped; pmap B then gets T as one of its tables. T is a live PTP, so
 * the freed-PTP check passes it, yet CPU 0 (still running A) walks B's
 * table through its stale walk-cache entry on the next access nearby.
 * The walker names the owner a table page has (its pmap id) and reports
 * the walk at once.
 */
static void test_walk_reads_other_address_space(void **state)
{
	for (int model = 0; model < 3; model++) {
		struct pmt_opts o = { 0 };
		struct vmk_pmap *a, *b;
		struct vmk_page *tp;
		vmk_paddr_t t;
		unsigned int lvl, i;

		boot(ARCH_OF(state), model, 1, &o);
		vmk_sim_mmu_speculate(0, 0, 0);	/* no walk between the free and the reuse */
		assert_int_equal(vmk_pmap_create(&a), 0);
		vmk_pmap_activate(a, 0);
		assert_int_equal(vmk_pmap_enter(a, UVA, PMT_DATA, RW, 0), 0);
		assert_int_equal(vmk_pmap_enter(a, UVA + 0x1000, PMT_DATA + 0x1000, RW, 0), 0);
		assert_int_equal(vmk_sim_mmu_access(0, UVA, VMK_MMU_READ | VMK_MMU_USER, NULL), 0);
		vmk_pmap__walk(a, UVA, &lvl, &t);
		assert_int_equal(lvl, 0);
		assert_int_equal(vmk_pmap_create(&b), 0);
		if (model == 1)
			mut = MUT_DROP;
		assert_int_equal(vmk_pmap_remove(a, UVA, UVA + 0x2000), 0);
		mut = MUT_NONE;
		tp = vmk_pa_to_page(t);
		assert_true(vmk_page_is_free(tp));
		/* B's tables, until one of them is T. */
		for (i = 0; i < 64 && vmk_page_state(tp) != VMK_PAGE_PTP; i++)
			assert_int_equal(vmk_pmap_enter(b, UVA + (i + 1) * S1G, PMT_DATA, RW, 0), 0);
		assert_int_equal(vmk_page_state(tp), VMK_PAGE_PTP);
		(void)vmk_sim_mmu_access(0, UVA + 0x1000, VMK_MMU_READ | VMK_MMU_USER, NULL);
		expect(model, "a freed table reused by another address space", "another address space");
		vmk_sim_tlb_flush_all();	/* what the dropped invalidation left */
		vmk_pmap_activate(vmk_pmap_kernel(), 0);
		vmk_pmap_destroy(a);
		vmk_pmap_destroy(b);
		unhook();
	}
}

/*
 * The background speculator: the speculation points are off, so only the
 * walker thread can have cached the untouched page before the mutant
 * changes its output address in place. Off (model 0): nothing is cached,
 * nothing seen; on (model 1): the next barrier sees the changed cached
 * translation; on without the mutant (model 2): a proper update is clean
 * while the thread walks.
 */
static void test_spec_thread_sees_untouched_bbm(void **state)
{
	(void)state;
	for (int model = 0; model < 3; model++) {
		struct pmt_opts o = { 0 };
		struct vmk_pmap *k;
		vmk_vaddr_t va;
		unsigned int lvl;
		vmk_pte_t *p;

		boot(VMK_PMAP_ARCH_ARM64, model, 2, &o);
		vmk_sim_mmu_speculate(0, 2, th_seed());	/* no speculation at the hooks */
		k = vmk_pmap_kernel();
		va = pmt_kva() + 9 * S2M + 0x5000;
		assert_int_equal(vmk_pmap_enter(k, va, PMT_DATA, RW, 0), 0);
		assert_int_equal(vmk_sim_mmu_spec_hint(va, VMK_PAGE_SIZE), 0);
		if (model != 0) {
			assert_int_equal(vmk_sim_mmu_spec_thread(true), 0);
			vmk_sim_mmu_spec_thread_sync();
			assert_true(vmk_sim_mmu_spec_thread_rounds() > 0);
		}
		p = vmk_pmap__walk(k, va, &lvl, NULL);
		assert_int_equal(lvl, 0);
		if (model == 1)
			__atomic_store_n(p, vmk_pmap_arch_arm64.make_leaf(PMT_DATA + 0x1000, 0,
					 VMK_PTE_A_WRITE | VMK_PTE_A_UXN | VMK_PTE_A_PXN | VMK_PTE_A_GLOBAL |
					 VMK_PTE_A_ACCESSED | VMK_PTE_A_DIRTY), __ATOMIC_RELEASE);
		else
			assert_int_equal(vmk_pmap_enter(k, va, PMT_DATA + 0x1000, RW, 0), 0);
		vmk_barrier(VMK_BARRIER_PTE_STORE);
		vmk_sim_mmu_spec_thread(false);
		expect(model, "valid->valid change seen by the background speculator", "without break-before-make");
		unhook();
	}
}

#define T(f) cmocka_unit_test_prestate(f, &x86), cmocka_unit_test_prestate(f, &arm), cmocka_unit_test_prestate(f, &rv)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_walk_cache_drop_ptp_tlbi),
		cmocka_unit_test(test_walk_cache_last_level_tlbi),
		cmocka_unit_test(test_spec_fill_sees_untouched_bbm),
		cmocka_unit_test(test_spec_thread_sees_untouched_bbm),
		T(test_asid_flush_dropped),
		cmocka_unit_test(test_x86_size_change_without_invalidation),
		cmocka_unit_test(test_x86_reserved_bits),
		T(test_direct_map_broken),
		T(test_walk_reads_other_address_space),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
