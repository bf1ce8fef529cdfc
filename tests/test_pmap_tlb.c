/*
 * The exact TLB invalidations each pmap operation issues, by kind, on
 * x86-64 and arm64: counted by the pmap (vmk_pmap_stats .tlbi) and, as
 * an independent record, by the simulator (its event log of the
 * requests it received). Each expectation is the minimum that is still
 * correct (tlb.c says why); pmt_check's TLB audit proves nothing stale
 * is left behind after each operation.
 */
#include "pmap_util.h"
#include "../src/pmap/pmap_internal.h"

#define ARCH_OF(state) (*(enum vmk_pmap_arch_id *)*(state))
#define UVA 0x0000000040000000ull	/* 1 GiB aligned */
#define RW (VMK_PROT_READ | VMK_PROT_WRITE)
#define RO VMK_PROT_READ
#define S4K PT_SIZE(0)
#define S2M PT_SIZE(1)

static enum vmk_pmap_arch_id x86 = VMK_PMAP_ARCH_X86_64, arm = VMK_PMAP_ARCH_ARM64, rv = VMK_PMAP_ARCH_RISCV64;

/* Requests of one operation: per kind, not-last-level ones, and what the simulator saw. */
struct tlbi {
	uint64_t kind[VMK_PMAP_TLB_KINDS], nonleaf;
	size_t nev;
	struct vmk_sim_mmu_ev ev[8];
};

static struct vmk_pmap_stats before;

static void start(struct vmk_pmap *pm)
{
	vmk_pmap_stats(pm, &before);
	vmk_sim_mmu_events_clear();
}

/* The requests since start(), checked against the simulator's record. */
static struct tlbi done(struct vmk_pmap *pm)
{
	struct vmk_sim_mmu_ev all[256];
	struct vmk_pmap_stats st;
	struct tlbi t;
	size_t n = vmk_sim_mmu_events(all, 256);
	uint64_t total = 0, seen[VMK_PMAP_TLB_KINDS] = { 0 };

	memset(&t, 0, sizeof(t));
	vmk_pmap_stats(pm, &st);
	for (unsigned int k = 0; k < VMK_PMAP_TLB_KINDS; k++) {
		t.kind[k] = st.tlbi[k] - before.tlbi[k];
		total += t.kind[k];
	}
	t.nonleaf = st.tlbi_nonleaf - before.tlbi_nonleaf;
	for (size_t i = 0; i < n; i++) {
		if (all[i].kind != VMK_SIM_EV_TLBI)
			continue;
		seen[all[i].arg]++;
		if (t.nev < 8)
			t.ev[t.nev] = all[i];
		t.nev++;
	}
	assert_int_equal(t.nev, total);
	assert_memory_equal(seen, t.kind, sizeof(seen));
	pmt_check(pm);
	return t;
}

/* Exactly one request, of kind, at va covering size bytes, last-level or not. */
static void one(const struct tlbi *t, enum vmk_tlb_kind kind, vmk_vaddr_t va, vmk_size_t size,
		bool nonleaf)
{
	assert_int_equal(t->nev, 1);
	assert_int_equal(t->ev[0].arg, kind);
	assert_int_equal(t->nonleaf, nonleaf ? 1 : 0);
	if (kind == VMK_TLB_PAGE || kind == VMK_TLB_RANGE) {
		assert_true(t->ev[0].va == va);
		assert_true(t->ev[0].size == size);
	}
}

static void none(const struct tlbi *t)
{
	assert_int_equal(t->nev, 0);
}

/* Switch cpu 0 away from pm (a pmap active on a CPU cannot be destroyed), then destroy it. */
static void drop_user(struct vmk_pmap *pm)
{
	vmk_pmap_activate(vmk_pmap_kernel(), 0);
	vmk_pmap_destroy(pm);
}

static void boot(void **state, bool promote, unsigned int asid_bits)
{
	struct pmt_opts o = { .arch = ARCH_OF(state), .no_promote = !promote, .asid_bits = asid_bits };

	pmt_boot(&o);
}

/* Enter new, re-enter identical, change permissions, change memory type: kernel and user. */
static void test_enter(void **state)
{
	struct vmk_pmap *pm[2];
	struct tlbi t;

	boot(state, false, 0);
	pm[0] = vmk_pmap_kernel();
	pm[1] = pmt_user(true);
	for (unsigned int i = 0; i < 2; i++) {
		vmk_vaddr_t va = i ? UVA : pmt_kva();
		unsigned long isb = vmk_sim_mmu_barriers(VMK_BARRIER_ISB);

		start(pm[i]);
		assert_int_equal(vmk_pmap_enter(pm[i], va, PMT_DATA, RW, 0), 0);
		t = done(pm[i]);
		none(&t);
		/* A new kernel mapping is synchronised for this CPU (ISB); a user one needs not. */
		assert_int_equal(vmk_sim_mmu_barriers(VMK_BARRIER_ISB) - isb, i == 0 ? 1 : 0);
		assert_int_equal(vmk_sim_mmu_access(0, va, VMK_MMU_WRITE | (i ? VMK_MMU_USER : 0), NULL), 0);

		start(pm[i]);
		assert_int_equal(vmk_pmap_enter(pm[i], va, PMT_DATA, RW, 0), 0);
		t = done(pm[i]);
		none(&t);

		start(pm[i]);
		assert_int_equal(vmk_pmap_enter(pm[i], va, PMT_DATA, RO, 0), 0);
		t = done(pm[i]);
		one(&t, VMK_TLB_PAGE, va, S4K, false);

		start(pm[i]);
		assert_int_equal(vmk_pmap_enter(pm[i], va, PMT_DATA, RO, VMK_PMAP_MEMTYPE(VMK_MEMTYPE_UC)), 0);
		t = done(pm[i]);
		one(&t, VMK_TLB_PAGE, va, S4K, false);
	}
	drop_user(pm[1]);
	pmt_shutdown();
}

/* Removing one page: its PTP stays; its PTPs go (one walk-cache request at that VA, not the span). */
static void test_remove_page(void **state)
{
	struct vmk_pmap *pm, *k;
	struct tlbi t;

	boot(state, false, 0);
	pm = pmt_user(true);
	assert_int_equal(vmk_pmap_enter(pm, UVA, PMT_DATA, RW, 0), 0);
	assert_int_equal(vmk_pmap_enter(pm, UVA + S4K, PMT_DATA + S4K, RW, 0), 0);
	start(pm);
	assert_int_equal(vmk_pmap_remove(pm, UVA, UVA + S4K), 0);
	t = done(pm);
	one(&t, VMK_TLB_PAGE, UVA, S4K, false);
	/* The last page: the level-0, level-1 and level-2 tables under the root go with it. */
	start(pm);
	assert_int_equal(vmk_pmap_remove(pm, UVA + S4K, UVA + 2 * S4K), 0);
	t = done(pm);
	one(&t, VMK_TLB_PAGE, UVA + S4K, S4K, true);
	drop_user(pm);
	/* Kernel PTPs stay. */
	k = vmk_pmap_kernel();
	assert_int_equal(vmk_pmap_enter(k, pmt_kva(), PMT_DATA, RW, 0), 0);
	start(k);
	assert_int_equal(vmk_pmap_remove(k, pmt_kva(), pmt_kva() + S4K), 0);
	t = done(k);
	one(&t, VMK_TLB_PAGE, pmt_kva(), S4K, false);
	pmt_shutdown();
}

/* A failed enter frees the PTPs it made: one walk-cache request for all the levels. */
static void test_free_ptp_on_failure(void **state)
{
	struct vmk_pmap *pm;
	struct tlbi t;

	boot(state, false, 0);
	pm = pmt_user(true);
	start(pm);
	vmk_sim_fail_nth(0, "pmap.pv_chunk", false);
	assert_int_equal(vmk_pmap_enter(pm, UVA, PMT_DATA, RW, VMK_PMAP_ENTER_MANAGED), -VMK_ENOMEM);
	vmk_sim_fail_off();
	t = done(pm);
	one(&t, VMK_TLB_PAGE, UVA, S4K, true);
	drop_user(pm);
	pmt_shutdown();
}

/* Blocks: remove, demote, promote; one request each, by VA for one block. */
static void test_blocks(void **state)
{
	struct vmk_pmap *pm, *k;
	struct tlbi t;
	static vmk_paddr_t pas[512];

	boot(state, true, 0);
	k = vmk_pmap_kernel();
	pm = pmt_user(true);
	/* A neighbour keeps the level-1 table alive. */
	assert_int_equal(vmk_pmap_enter(pm, UVA + 8 * S2M, PMT_DATA, RW, 0), 0);
	assert_int_equal(vmk_pmap_enter_large(pm, UVA, PMT_DATA + S2M, S2M, RW, 0), 0);
	assert_int_equal(vmk_sim_mmu_access(0, UVA + 0x5000, VMK_MMU_READ | VMK_MMU_USER, NULL), 0);
	start(pm);
	assert_int_equal(vmk_pmap_remove(pm, UVA, UVA + S2M), 0);
	t = done(pm);
	one(&t, VMK_TLB_PAGE, UVA, S2M, false);

	/* Kernel: remove (its spare comes back as the table), demote, promote. */
	assert_int_equal(vmk_pmap_enter_large(k, pmt_kva(), PMT_DATA + S2M, S2M, RW, 0), 0);
	start(k);
	assert_int_equal(vmk_pmap_remove(k, pmt_kva(), pmt_kva() + S2M), 0);
	t = done(k);
	one(&t, VMK_TLB_PAGE, pmt_kva(), S2M, false);

	assert_int_equal(vmk_pmap_enter_large(k, pmt_kva() + S2M, PMT_DATA + S2M, S2M, RW, 0), 0);
	assert_int_equal(vmk_sim_mmu_access(0, pmt_kva() + S2M + 0x3000, VMK_MMU_READ, NULL), 0);
	start(k);
	assert_int_equal(vmk_pmap_demote(k, pmt_kva() + S2M), 0);
	t = done(k);
	one(&t, VMK_TLB_PAGE, pmt_kva() + S2M, S2M, false);

	/* Promotion: the 512 leaves may all be cached: the span, walk caches included. */
	for (unsigned int i = 0; i < 512; i++)
		pas[i] = PMT_DATA + 4 * S2M + i * S4K;
	assert_int_equal(vmk_pmap_enter_pages(pm, UVA + 2 * S2M, pas, 511, RW, 0), 0);
	start(pm);
	assert_int_equal(vmk_pmap_enter(pm, UVA + 2 * S2M + 511 * S4K, pas[511], RW, 0), 0);
	t = done(pm);
	one(&t, VMK_TLB_RANGE, UVA + 2 * S2M, S2M, true);
	assert_int_equal(vmk_sim_mmu_access(0, UVA + 2 * S2M, VMK_MMU_READ | VMK_MMU_USER, NULL), 0);
	drop_user(pm);
	pmt_shutdown();
}

/*
 * Many pages: a user space's own entries only (by ASID/PCID, or every
 * non-global entry when untagged), so the kernel's global entries
 * survive; the kernel flushes everything.
 */
static void test_large_range(void **state)
{
	for (unsigned int tagged = 0; tagged < 2; tagged++) {
		struct vmk_pmap *pm, *k;
		struct vmk_mmu_walk w;
		struct tlbi t;
		unsigned int n = 2 * 64;

		boot(state, false, tagged ? 8 : 0);
		k = vmk_pmap_kernel();
		pm = pmt_user(true);
		assert_true((vmk_pmap_asid(pm) != 0) == (tagged != 0));
		assert_int_equal(vmk_pmap_enter(k, pmt_kva(), PMT_DATA, RW, 0), 0);
		for (unsigned int i = 0; i < n; i++)
			assert_int_equal(vmk_pmap_enter(pm, UVA + i * S4K, PMT_DATA + i * S4K, RW, 0), 0);
		assert_int_equal(vmk_sim_mmu_access(0, pmt_kva(), VMK_MMU_READ, &w), 0);
		assert_true(w.global);
		start(pm);
		assert_int_equal(vmk_pmap_remove(pm, UVA, UVA + n * S4K), 0);
		t = done(pm);
		one(&t, tagged ? VMK_TLB_ASID : VMK_TLB_NONGLOBAL, 0, 0, true);
		/* The kernel's entry is still cached: only global entries are left. */
		assert_int_equal(vmk_sim_tlb_count(0), 1);

		for (unsigned int i = 0; i < n; i++)
			assert_int_equal(vmk_pmap_enter(k, pmt_kva() + S2M + i * S4K, PMT_DATA + i * S4K, RW, 0), 0);
		start(k);
		assert_int_equal(vmk_pmap_remove(k, pmt_kva() + S2M, pmt_kva() + S2M + n * S4K), 0);
		t = done(k);
		one(&t, VMK_TLB_ALL, 0, 0, true);
		/* A few pages: one range request. */
		for (unsigned int i = 0; i < 3; i++)
			assert_int_equal(vmk_pmap_enter(pm, UVA + i * S4K, PMT_DATA + i * S4K, RW, 0), 0);
		assert_int_equal(vmk_pmap_enter(pm, UVA + 3 * S4K, PMT_DATA, RW, 0), 0);
		start(pm);
		assert_int_equal(vmk_pmap_remove(pm, UVA, UVA + 3 * S4K), 0);
		t = done(pm);
		one(&t, VMK_TLB_RANGE, UVA, 3 * S4K, false);
		drop_user(pm);
		pmt_shutdown();
	}
}

/* qremove invalidates only what it cleared: nothing mapped, nothing issued. */
static void test_qremove(void **state)
{
	struct vmk_pmap *k;
	struct tlbi t;
	vmk_paddr_t pa = PMT_DATA;

	boot(state, false, 0);
	k = vmk_pmap_kernel();
	assert_int_equal(vmk_pmap_growkernel(pmt_kva(), pmt_kva() + S2M), 0);
	start(k);
	vmk_pmap_qremove(pmt_kva(), 4);
	t = done(k);
	none(&t);
	assert_int_equal(vmk_pmap_qenter(pmt_kva() + S4K, &pa, 1), 0);
	start(k);
	vmk_pmap_qremove(pmt_kva(), 4);
	t = done(k);
	one(&t, VMK_TLB_PAGE, pmt_kva() + S4K, S4K, false);
	pmt_shutdown();
}

/* ---- a direct-map block holding its own table (arm64) ---- */

#define DMAP	(PMT_KVA + (512ull << 30))
#define TMPVA	(PMT_KVA + (1ull << 30))

/*
 * Demoting the direct-map 2 MiB block that holds the table of its own
 * entry: the window would unmap the table it writes, so the entry goes
 * through a temporary mapping of that table at tmp_va, made before the
 * window and removed after it. A block elsewhere is written in place.
 */
static void test_dmap_demotes_own_table(void **state)
{
	struct pmt_opts o = { .arch = VMK_PMAP_ARCH_ARM64, .no_promote = true, .dmap_base = DMAP,
			      .dmap_end = DMAP + PMT_RAM_END, .tmp_va = TMPVA, .kva_ptr = pmt_kva_through_mmu };
	struct vmk_pmap *k;
	struct vmk_pmap_mapping m;
	struct vmk_mmu_walk w;
	vmk_paddr_t t1, x;
	struct tlbi t;

	(void)state;
	pmt_boot(&o);
	k = vmk_pmap_kernel();
	/* The table of 2 MiB entries for [DMAP + 1 GiB, DMAP + 2 GiB), where RAM starts. */
	assert_int_equal(vmk_pmap_growkernel(DMAP + PMT_RAM_BASE, DMAP + PMT_RAM_BASE + S2M), 0);
	assert_non_null(vmk_pmap__entry_at(k, DMAP + PMT_RAM_BASE, 1, &t1));
	x = t1 & ~(S2M - 1);
	assert_true(x >= PMT_RAM_BASE && x < PMT_ALLOC_END);
	assert_int_equal(vmk_pmap_enter_large(k, DMAP + x, x, S2M, RW, 0), 0);
	/* A neighbouring direct-map block that does not hold a table. */
	assert_int_equal(vmk_pmap_enter_large(k, DMAP + (x ^ S2M), x ^ S2M, S2M, RW, 0), 0);
	assert_int_equal(vmk_sim_mmu_access(0, DMAP + t1, VMK_MMU_READ, NULL), 0);

	pmt_kva_probe.calls = 0;
	start(k);
	assert_int_equal(vmk_pmap_demote(k, DMAP + (x ^ S2M)), 0);
	t = done(k);
	one(&t, VMK_TLB_PAGE, DMAP + (x ^ S2M), S2M, false);
	assert_int_equal(pmt_kva_probe.calls, 0);

	start(k);
	assert_int_equal(vmk_pmap_demote(k, DMAP + x), 0);
	t = done(k);
	assert_int_equal(pmt_kva_probe.calls, 1);
	assert_true(pmt_kva_probe.last == TMPVA && pmt_kva_probe.pa == t1);	/* tmp_va mapped the table then */
	/* The block, in the window; then the temporary page. */
	assert_int_equal(t.nev, 2);
	assert_true(t.ev[0].arg == VMK_TLB_PAGE && t.ev[0].va == DMAP + x && t.ev[0].size == S2M);
	assert_true(t.ev[1].arg == VMK_TLB_PAGE && t.ev[1].va == TMPVA && t.ev[1].size == S4K);
	assert_int_equal(vmk_sim_mmu_probe(0, TMPVA, VMK_MMU_READ, &w), VMK_MMU_FAULT_TRANSLATION);
	assert_int_equal(vmk_pmap_extract(k, DMAP + t1, &m), 0);
	assert_true(m.size == S4K && m.pa == t1);
	assert_int_equal(vmk_sim_mmu_access(0, DMAP + t1, VMK_MMU_READ | VMK_MMU_WRITE, &w), 0);
	assert_true(w.pa == t1 && w.level == 0);
	pmt_check(k);
	pmt_shutdown();
}

/* ---- the simulator checks the window (mutants: a window that breaks its rules) ---- */

static unsigned long (*sim_intr_disable)(void *);
static void (*sim_tlbi)(void *, const struct vmk_tlb_req *);

/* Interrupts left on: the state is reported, nothing masked. */
static unsigned long intr_left_on(void *ctx)
{
	(void)ctx;
	return 0;
}

/* A hook run inside the window before the invalidation (as a log or cpu_count call would). */
static void tlbi_after_a_hook(void *ctx, const struct vmk_tlb_req *req)
{
	(void)vmk_cpu_count();
	sim_tlbi(ctx, req);
}

static void demote_with(bool intr_on, bool extra_hook, const char *want)
{
	struct pmt_opts o = { .arch = VMK_PMAP_ARCH_ARM64, .no_promote = true };
	struct vmk_platform *p;
	struct vmk_pmap *k;

	pmt_boot(&o);
	k = vmk_pmap_kernel();
	assert_int_equal(vmk_pmap_enter_large(k, pmt_kva(), PMT_DATA, S2M, RW, 0), 0);
	p = vmk_sim_platform();
	sim_intr_disable = p->intr_disable;
	sim_tlbi = p->tlb_invalidate;
	if (intr_on)
		p->intr_disable = intr_left_on;
	if (extra_hook)
		p->tlb_invalidate = tlbi_after_a_hook;
	assert_int_equal(vmk_pmap_demote(k, pmt_kva()), 0);
	p->intr_disable = sim_intr_disable;
	p->tlb_invalidate = sim_tlbi;
	if (want) {
		assert_true(vmk_sim_intr_violations() > 0);
		assert_non_null(strstr(vmk_sim_intr_msg(), want));
	} else {
		assert_int_equal(vmk_sim_intr_violations(), 0);
		pmt_check(k);
	}
	pmt_shutdown();
}

static void test_sim_checks_window(void **state)
{
	(void)state;
	demote_with(false, false, NULL);
	demote_with(true, false, "interrupts enabled");
	demote_with(false, true, "before its TLB invalidation");
}

#define T(f) cmocka_unit_test_prestate(f, &x86), cmocka_unit_test_prestate(f, &arm), cmocka_unit_test_prestate(f, &rv)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_enter),
		T(test_remove_page),
		T(test_free_ptp_on_failure),
		T(test_blocks),
		T(test_large_range),
		T(test_qremove),
		cmocka_unit_test(test_dmap_demotes_own_table),
		cmocka_unit_test(test_sim_checks_window),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
