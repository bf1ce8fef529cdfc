/*
 * The seed review threads as named tests:
 *  001 (FreeBSD D22763): kernel PTPs keep a fixed reference count;
 *      NOREPLACE on a kernel 2 MiB mapping leaves everything as it was;
 *      a PV allocation failure in pmap_copy frees the PTP it just took.
 *  000 (FreeBSD D16330/D16426): kernel 2 MiB mappings over preloaded data
 *      are demoted without allocating (spare PTPs).
 *  004 (FreeBSD D35434): per-CPU data under break-before-make: the
 *      no-promote bit refuses promotion and trips an assertion on
 *      demotion or a live update; the rendezvous strategy parks the
 *      other CPUs instead.
 * Plus tests that the software MMU really catches the bugs it claims to.
 */
#include "pmap_util.h"
#include "../src/pmap/pmap_internal.h"

#define ARCH_OF(state) (*(enum vmk_pmap_arch_id *)*(state))
#define UVA 0x0000000040000000ull
#define RW (VMK_PROT_READ | VMK_PROT_WRITE)
#define M VMK_PMAP_ENTER_MANAGED
#define S2M PT_SIZE(1)
#define S1G PT_SIZE(2)

static enum vmk_pmap_arch_id x86 = VMK_PMAP_ARCH_X86_64, arm = VMK_PMAP_ARCH_ARM64, rv = VMK_PMAP_ARCH_RISCV64;

/* Everything observable about a pmap and the allocator, for "nothing changed". */
struct snap {
	struct vmk_pmap_stats st;
	uint64_t ptp_pages, alloc_pages;
};

static void take(struct vmk_pmap *pm, struct snap *s)
{
	pmt_map_stats(pm, &s->st);
	s->ptp_pages = pmt_ptp_pages();
	s->alloc_pages = pmt_alloc_pages();
}

static void same(const struct snap *a, const struct snap *b)
{
	assert_memory_equal(&a->st, &b->st, sizeof(a->st));
	assert_int_equal(a->ptp_pages, b->ptp_pages);
	assert_int_equal(a->alloc_pages, b->alloc_pages);
}

static struct vmk_page *ptp_of(struct vmk_pmap *pm, vmk_vaddr_t va, unsigned int lvl)
{
	vmk_paddr_t t;

	assert_non_null(vmk_pmap__entry_at(pm, va, lvl, &t));
	return vmk_pa_to_page(t);
}

static void test_seed_kernel_ptp_fixed_refcount(void **state)
{
	struct vmk_pmap *k, *u;
	vmk_vaddr_t kva;
	struct vmk_pmap_stats st0, st1;
	uint64_t pages;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	kva = pmt_kva() + S1G;
	for (unsigned int i = 0; i < 10; i++)
		assert_int_equal(vmk_pmap_enter(k, kva + i * 4096ull, PMT_DATA + i * 4096ull, RW, 0), 0);
	/* A preload-style block: it keeps a spare (seed 000). */
	assert_int_equal(vmk_pmap_enter_large(k, kva + S2M, PMT_DATA + S2M, S2M, RW, VMK_PMAP_ENTER_KEEP_SPARE), 0);
	/* Every kernel PTP holds the fixed count, whatever it maps. */
	assert_int_equal(ptp_of(k, kva, 0)->ref_count, VMK_PMAP_KPTP_REF);
	assert_int_equal(ptp_of(k, kva, 1)->ref_count, VMK_PMAP_KPTP_REF);
	vmk_pmap_stats(k, &st0);
	pages = pmt_ptp_pages();
	assert_int_equal(vmk_pmap_remove(k, kva, kva + 2 * S2M), 0);
	vmk_pmap_stats(k, &st1);
	/* Nothing mapped any more, yet no kernel PTP was freed or recounted. */
	assert_int_equal(st1.resident, 0);
	assert_int_equal(st1.ptps, st0.ptps + 1);	/* the 2 MiB block's spare became its table again */
	assert_int_equal(st1.spare_ptps, 0);
	assert_int_equal(pmt_ptp_pages(), pages);
	assert_int_equal(ptp_of(k, kva, 0)->ref_count, VMK_PMAP_KPTP_REF);
	assert_int_equal(ptp_of(k, kva + S2M, 0)->ref_count, VMK_PMAP_KPTP_REF);
	pmt_check(k);
	/* User PTPs, in contrast, count their valid entries and go at zero. */
	assert_int_equal(vmk_pmap_create(&u), 0);
	for (unsigned int i = 0; i < 10; i++)
		assert_int_equal(vmk_pmap_enter(u, UVA + i * 4096ull, PMT_DATA + i * 4096ull, RW, M), 0);
	assert_int_equal(ptp_of(u, UVA, 0)->ref_count, 10);
	assert_int_equal(ptp_of(u, UVA, 1)->ref_count, 1);
	assert_int_equal(vmk_pmap_remove(u, UVA, UVA + 5 * 4096), 0);
	assert_int_equal(ptp_of(u, UVA, 0)->ref_count, 5);
	pages = pmt_ptp_pages();
	assert_int_equal(vmk_pmap_remove(u, UVA, UVA + 10 * 4096), 0);
	assert_int_equal(pmt_ptp_pages(), pages - 3);	/* the level 0, 1, 2 tables */
	pmt_check(u);
	vmk_pmap_destroy(u);
	pmt_shutdown();
}

static void test_seed_kernel_noreplace_2m(void **state)
{
	struct vmk_pmap *k;
	struct vmk_pmap_mapping m;
	struct snap a, b;
	vmk_vaddr_t r;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	r = pmt_kva() + 4 * S2M;
	/* A 4 KiB mapping inside the 2 MiB range: NOREPLACE refuses, nothing changes. */
	assert_int_equal(vmk_pmap_enter(k, r + 0x3000, PMT_DATA + 0x3000, RW, 0), 0);
	take(k, &a);
	assert_int_equal(vmk_pmap_enter_large(k, r, PMT_DATA + S2M, S2M, RW, VMK_PMAP_ENTER_NOREPLACE),
			 -VMK_EEXIST);
	take(k, &b);
	same(&a, &b);
	assert_int_equal(vmk_pmap_extract(k, r + 0x3000, &m), 0);
	assert_true(m.pa == PMT_DATA + 0x3000 && m.size == 4096u);
	/*
	 * An empty kernel table is not a mapping (FreeBSD D22763,
	 * pmap_every_pte_zero): kernel PTPs are never freed, so refusing
	 * would keep this KVA from ever taking a block again. NOREPLACE
	 * succeeds; the table becomes the block's spare with its fixed
	 * count: no allocation.
	 */
	assert_int_equal(vmk_pmap_remove(k, r + 0x3000, r + 0x4000), 0);
	take(k, &a);
	assert_int_equal(vmk_pmap_enter_large(k, r, PMT_DATA + S2M, S2M, RW, VMK_PMAP_ENTER_NOREPLACE), 0);
	take(k, &b);
	assert_int_equal(b.ptp_pages, a.ptp_pages);
	assert_int_equal(b.st.spare_ptps, a.st.spare_ptps + 1);
	assert_int_equal(b.st.ptps, a.st.ptps - 1);
	pmt_check(k);
	/* An existing 2 MiB mapping: refused, unchanged. */
	take(k, &a);
	assert_int_equal(vmk_pmap_enter_large(k, r, PMT_DATA, S2M, VMK_PROT_READ, VMK_PMAP_ENTER_NOREPLACE),
			 -VMK_EEXIST);
	take(k, &b);
	same(&a, &b);
	assert_int_equal(vmk_pmap_extract(k, r, &m), 0);
	assert_true(m.pa == PMT_DATA + S2M && m.prot == RW);
	/* Inside a 1 GiB block: refused without demoting it. */
	assert_int_equal(vmk_pmap_enter_large(k, pmt_kva() + 2 * S1G, PMT_DATA, S1G, RW, 0), 0);
	take(k, &a);
	assert_int_equal(vmk_pmap_enter_large(k, pmt_kva() + 2 * S1G + S2M, PMT_DATA, S2M, RW,
					      VMK_PMAP_ENTER_NOREPLACE), -VMK_EEXIST);
	take(k, &b);
	same(&a, &b);
	pmt_check(k);
	pmt_shutdown();
}

static void test_seed_copy_pv_failure_frees_ptp(void **state)
{
	struct vmk_pmap *src, *dst;
	struct vmk_pmap_mapping m;
	struct snap a, b;

	pmt_boot_arch(ARCH_OF(state));
	assert_int_equal(vmk_pmap_create(&src), 0);
	assert_int_equal(vmk_pmap_create(&dst), 0);
	assert_int_equal(vmk_pmap_enter_large(src, UVA, PMT_DATA, S2M, RW, M), 0);
	take(dst, &a);
	/* The copy allocates dst's level 2 and level 1 tables, then fails on the PV chunk. */
	vmk_sim_fail_nth(0, "pmap.pv_chunk", false);
	assert_int_equal(vmk_pmap_copy(dst, src, UVA, S2M), -VMK_ENOMEM);
	assert_int_equal(vmk_sim_faults_injected(), 1);
	vmk_sim_fail_off();
	take(dst, &b);
	same(&a, &b);		/* the just-allocated PTPs were freed: only the root */
	assert_int_equal(b.st.ptps, 1);
	pmt_check(dst);
	/* 4 KiB pages: same on the first page. */
	assert_int_equal(vmk_pmap_enter(src, UVA + S2M, PMT_DATA + S2M, RW, M), 0);
	take(dst, &a);
	vmk_sim_fail_nth(0, "pmap.pv_chunk", false);
	assert_int_equal(vmk_pmap_copy(dst, src, UVA + S2M, 4096), -VMK_ENOMEM);
	vmk_sim_fail_off();
	take(dst, &b);
	same(&a, &b);
	/* Aborting because dst already maps something only drops the hold. */
	assert_int_equal(vmk_pmap_enter(dst, UVA + 0x5000, PMT_DATA + 0x5000, RW, M), 0);
	take(dst, &a);
	assert_int_equal(vmk_pmap_copy(dst, src, UVA, S2M), 0);
	take(dst, &b);
	same(&a, &b);
	assert_int_equal(vmk_pmap_extract(dst, UVA, &m), -VMK_ENOENT);
	/* Without failures the block is copied as a block. */
	assert_int_equal(vmk_pmap_remove(dst, UVA, UVA + S2M), 0);
	assert_int_equal(vmk_pmap_copy(dst, src, UVA, 2 * S2M), 0);
	assert_int_equal(vmk_pmap_extract(dst, UVA + 0x1000, &m), 0);
	assert_true(m.size == S2M);
	pmt_check(src);
	pmt_check(dst);
	vmk_pmap_destroy(src);
	vmk_pmap_destroy(dst);
	pmt_shutdown();
}

static void test_seed_demote_kernel_2m_without_alloc(void **state)
{
	struct vmk_pmap *k;
	struct vmk_pmap_mapping m;
	struct snap a, b;
	vmk_vaddr_t pre;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	pre = pmt_kva() + 8 * S2M;
	/* "Preloaded data" mapped with kernel 2 MiB mappings at boot, each keeping a spare. */
	for (unsigned int i = 0; i < 3; i++)
		assert_int_equal(vmk_pmap_enter_large(k, pre + i * S2M, PMT_DATA + i * S2M, S2M, RW,
						      VMK_PMAP_ENTER_KEEP_SPARE), 0);
	for (unsigned int i = 0; i < 3; i++)
		assert_int_equal(vmk_sim_mmu_access(0, pre + i * S2M + 0x1000, VMK_MMU_READ, NULL), 0);
	/* Memory is exhausted: every allocation fails from now on. */
	vmk_sim_fail_nth(0, NULL, true);
	/* Free part of the preloaded area (cuts two blocks) and write-protect another part. */
	assert_int_equal(vmk_pmap_remove(k, pre + S2M - 0x3000, pre + S2M + 0x5000), 0);
	assert_int_equal(vmk_pmap_protect(k, pre + 2 * S2M + 0x10000, pre + 2 * S2M + 0x11000, VMK_PROT_READ), 0);
	assert_int_equal(vmk_sim_fault_calls(), 0);	/* not even attempted */
	vmk_sim_fail_off();
	assert_int_equal(vmk_pmap_extract(k, pre + S2M - 0x3000, &m), -VMK_ENOENT);
	assert_int_equal(vmk_pmap_extract(k, pre + S2M + 0x4000, &m), -VMK_ENOENT);
	assert_int_equal(vmk_pmap_extract(k, pre + S2M - 0x4000, &m), 0);
	assert_true(m.size == 4096u && m.pa == PMT_DATA + S2M - 0x4000);
	assert_int_equal(vmk_pmap_extract(k, pre + S2M + 0x5000, &m), 0);
	assert_int_equal(vmk_pmap_extract(k, pre + 2 * S2M + 0x10000, &m), 0);
	assert_int_equal(m.prot, VMK_PROT_READ);
	assert_int_equal(vmk_sim_mmu_access(0, pre + S2M + 0x1000, VMK_MMU_READ, NULL), VMK_MMU_FAULT_TRANSLATION);
	pmt_check(k);
	/*
	 * A kernel 1 GiB mapping with spares demoted to 4 KiB: the first step
	 * uses the block's spare, the second the spare of its 2 MiB piece;
	 * nothing comes from the (exhausted) allocator or the reserve.
	 */
	assert_int_equal(vmk_pmap_enter_large(k, pmt_kva() + 2 * S1G, PMT_DATA, S1G, RW, VMK_PMAP_ENTER_KEEP_SPARE),
			 0);
	take(k, &a);
	vmk_sim_fail_nth(0, NULL, true);
	assert_int_equal(vmk_pmap_remove(k, pmt_kva() + 2 * S1G + 0x1000, pmt_kva() + 2 * S1G + 0x2000), 0);
	vmk_sim_fail_off();
	take(k, &b);
	assert_int_equal(b.st.reserve_ptps, a.st.reserve_ptps);
	assert_int_equal(b.st.spare_ptps, a.st.spare_ptps - 2);
	assert_int_equal(b.ptp_pages, a.ptp_pages);
	assert_int_equal(vmk_pmap_extract(k, pmt_kva() + 2 * S1G + 0x1000, &m), -VMK_ENOENT);
	assert_int_equal(vmk_pmap_extract(k, pmt_kva() + 2 * S1G + 0x2000, &m), 0);
	pmt_check(k);
	pmt_shutdown();
}

static void test_seed_nopromote_refuses_promotion(void **state)
{
	struct vmk_pmap *k;
	struct vmk_pmap_mapping m;
	struct vmk_pmap_stats st;
	vmk_vaddr_t pcpu;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	pcpu = pmt_kva() + 16 * S2M;
	for (unsigned int i = 0; i < 512; i++)
		assert_int_equal(vmk_pmap_enter(k, pcpu + i * 4096ull, PMT_DATA + i * 4096ull, RW,
						VMK_PMAP_ENTER_NOPROMOTE), 0);
	assert_int_equal(vmk_pmap_extract(k, pcpu, &m), 0);
	assert_true(m.size == 4096u && m.nopromote);
	/* Marked after the fact (while not yet live): the completing enter is refused promotion too. */
	for (unsigned int i = 0; i < 511; i++)
		assert_int_equal(vmk_pmap_enter(k, pcpu + S2M + i * 4096ull, PMT_DATA + S2M + i * 4096ull, RW, 0), 0);
	assert_int_equal(vmk_pmap_protect_bbm(k, pcpu + S2M, S2M, VMK_PMAP_BBM_NOPROMOTE), 0);
	assert_int_equal(vmk_pmap_enter(k, pcpu + S2M + 511 * 4096ull, PMT_DATA + S2M + 511 * 4096ull, RW, 0), 0);
	assert_int_equal(vmk_pmap_extract(k, pcpu + S2M, &m), 0);
	assert_true(m.size == 4096u && m.nopromote);
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.promotions, 0);
	assert_true(st.promotion_failures >= 1);
	/* A block cannot be marked afterwards (it would have to be demoted). */
	assert_int_equal(vmk_pmap_enter_large(k, pcpu + 2 * S2M, PMT_DATA, S2M, RW, 0), 0);
	assert_int_equal(vmk_pmap_protect_bbm(k, pcpu + 2 * S2M, 4096, VMK_PMAP_BBM_NOPROMOTE), -VMK_EBUSY);
	/* Permission-only updates of the 4 KiB pages are fine (no break). */
	assert_int_equal(vmk_pmap_protect(k, pcpu, pcpu + 4096, VMK_PROT_READ), 0);
	pmt_check(k);
	/* Replacing a no-promote page (a live update needing break-before-make) trips the assertion. */
	assert_panics(vmk_pmap_enter(k, pcpu, PMT_DATA + 0x100000, RW, 0), "no-promote");
	pmt_shutdown();
}

/* Demotion of a no-promote block panics, whichever path demotes it. */
static void test_seed_nopromote_demotion_asserts(void **state)
{
	for (volatile unsigned int path = 0; path < 3; path++) {
		struct vmk_pmap *volatile k;
		volatile vmk_vaddr_t pcpu;

		pmt_boot_arch(ARCH_OF(state));
		k = vmk_pmap_kernel();
		pcpu = pmt_kva() + 16 * S2M;
		/* The per-CPU area in its own 2 MiB block, marked must-stay-valid. */
		assert_int_equal(vmk_pmap_enter_large(k, pcpu, PMT_DATA, S2M, RW, VMK_PMAP_ENTER_NOPROMOTE), 0);
		if (path == 0)
			assert_panics(vmk_pmap_remove(k, pcpu + 0x1000, pcpu + 0x2000), "no-promote");
		else if (path == 1)
			assert_panics(vmk_pmap_protect(k, pcpu, pcpu + 0x1000, VMK_PROT_READ), "no-promote");
		else
			assert_panics(vmk_pmap_demote(k, pcpu), "no-promote");
		pmt_shutdown();
	}
}

static void promote_pcpu(struct vmk_pmap *k, vmk_vaddr_t pcpu)
{
	for (unsigned int i = 0; i < 511; i++)
		assert_int_equal(vmk_pmap_enter(k, pcpu + i * 4096ull, PMT_DATA + i * 4096ull, RW, 0), 0);
	/* The area is live now: it must never be seen invalid again. */
	assert_int_equal(vmk_sim_mmu_must_stay_valid(pcpu, 511 * 4096ull), 0);
	/* Another CPU has the per-CPU pages in its TLB. */
	for (unsigned int i = 0; i < 511; i += 50)
		assert_int_equal(vmk_sim_mmu_access(1, pcpu + i * 4096ull, VMK_MMU_READ, NULL), 0);
	assert_int_equal(vmk_pmap_enter(k, pcpu + 511 * 4096ull, PMT_DATA + 511 * 4096ull, RW, 0), 0);
}

static void test_seed_rendezvous_strategy(void **state)
{
	struct pmt_opts o = { .arch = ARCH_OF(state), .ncpus = 2 };
	struct vmk_pmap *k;
	struct vmk_pmap_mapping m;
	vmk_vaddr_t pcpu;
	bool bbm = ARCH_OF(state) == VMK_PMAP_ARCH_ARM64;

	pmt_boot(&o);
	k = vmk_pmap_kernel();
	pcpu = pmt_kva() + 16 * S2M;
	assert_int_equal(vmk_pmap_protect_bbm(k, pcpu, S2M, VMK_PMAP_BBM_RENDEZVOUS), 0);
	promote_pcpu(k, pcpu);
	assert_int_equal(vmk_pmap_extract(k, pcpu, &m), 0);
	assert_true(m.size == S2M);
	/* arm64 broke the entry, but only while the other CPUs were parked. */
	assert_int_equal(vmk_sim_mmu_rendezvous_count(), bbm ? 1 : 0);
	assert_int_equal(vmk_sim_mmu_access(1, pcpu + 0x3000, VMK_MMU_READ, NULL), 0);
	/* Demotion too. */
	assert_int_equal(vmk_pmap_protect(k, pcpu, pcpu + 0x1000, VMK_PROT_READ), 0);
	assert_int_equal(vmk_sim_mmu_rendezvous_count(), bbm ? 2 : 0);
	pmt_check(k);

	/* The same without the strategy: the simulator sees the range go invalid (arm64). */
	pmt_boot(&o);
	k = vmk_pmap_kernel();
	promote_pcpu(k, pcpu);
	assert_int_equal(vmk_sim_mmu_bbm_violations() != 0, bbm);
	if (bbm)
		assert_non_null(strstr(vmk_sim_mmu_bbm_msg(), "must-stay-valid"));
	pmt_shutdown();
}

/*
 * arm64 promotion: the table entry is published (barrier), then one
 * window: break, one broadcast invalidation of the 2 MiB span while the
 * entry is invalid and interrupts are off (the simulator checks both at
 * the TLBI), make; its barriers are inline, so no hook runs in it.
 */
static void test_bbm_sequence(void **state)
{
	struct pmt_opts o = { .arch = VMK_PMAP_ARCH_ARM64, .ncpus = 2 };
	struct vmk_sim_mmu_ev ev[64];
	size_t n;
	int step = 0;
	struct vmk_pmap *k;
	struct vmk_mmu_walk w;

	(void)state;
	pmt_boot(&o);
	k = vmk_pmap_kernel();
	for (unsigned int i = 0; i < 511; i++)
		assert_int_equal(vmk_pmap_enter(k, pmt_kva() + i * 4096ull, PMT_DATA + i * 4096ull, RW, 0), 0);
	vmk_sim_mmu_events_clear();
	assert_int_equal(vmk_pmap_enter(k, pmt_kva() + 511 * 4096ull, PMT_DATA + 511 * 4096ull, RW, 0), 0);
	n = vmk_sim_mmu_events(ev, 64);
	for (size_t i = 0; i < n; i++) {
		if (step == 0 && ev[i].kind == VMK_SIM_EV_BARRIER && ev[i].arg == VMK_BARRIER_PTE_STORE) {
			step = 1;
		} else if (step >= 1 && ev[i].kind == VMK_SIM_EV_TLBI) {
			assert_int_equal(step, 1);	/* one invalidation */
			assert_true(ev[i].shootdown);
			assert_int_equal(ev[i].arg, VMK_TLB_RANGE);
			assert_true(ev[i].va == pmt_kva() && ev[i].size == S2M);
			step = 2;
		}
	}
	assert_int_equal(step, 2);
	assert_int_equal(vmk_sim_mmu_probe(0, pmt_kva() + 0x1000, VMK_MMU_READ, &w), 0);
	assert_int_equal(w.level, 1);
	assert_true(vmk_sim_intr_enabled());
	pmt_check(k);
	pmt_shutdown();
}

/* The simulator catches what it claims to catch (writes behind the pmap's back). */
static void test_sim_catches_bugs(void **state)
{
	struct pmt_opts o = { .arch = VMK_PMAP_ARCH_ARM64, .ncpus = 2 };
	struct vmk_pmap *k;
	vmk_pte_t *p;
	vmk_vaddr_t va;
	unsigned int lvl;
	char msg[200];

	(void)state;
	pmt_boot(&o);
	k = vmk_pmap_kernel();
	va = pmt_kva() + 0x5000;
	assert_int_equal(vmk_pmap_enter(k, va, PMT_DATA, RW, 0), 0);
	assert_int_equal(vmk_sim_mmu_access(1, va, VMK_MMU_READ, NULL), 0);
	p = vmk_pmap__walk(k, va, &lvl, NULL);
	/* 1. A missing invalidation: cleared, not flushed -> stale entry on cpu 1. */
	__atomic_store_n(p, 0, __ATOMIC_RELAXED);
	assert_int_equal(vmk_sim_tlb_audit(msg, sizeof(msg)), 1);
	assert_non_null(strstr(msg, "stale"));
	/* 2. valid -> other valid without break-before-make, seen at the next barrier. */
	assert_int_equal(vmk_pmap_enter(k, va, PMT_DATA, RW, 0), 0);
	assert_int_equal(vmk_sim_mmu_access(1, va, VMK_MMU_READ, NULL), 0);
	__atomic_store_n(p, vmk_pmap_arch_arm64.make_leaf(PMT_DATA + 0x1000, 0, VMK_PTE_A_UXN | VMK_PTE_A_ACCESSED), __ATOMIC_RELAXED);
	vmk_barrier(VMK_BARRIER_PTE_STORE);
	assert_true(vmk_sim_mmu_bbm_violations() >= 1);
	assert_non_null(strstr(vmk_sim_mmu_bbm_msg(), "without break-before-make"));
	/* 3. A block and a table for the same address in one TLB: conflict at fill. */
	pmt_boot(&o);
	k = vmk_pmap_kernel();
	va = pmt_kva() + S2M;
	for (unsigned int i = 0; i < 4; i++)
		assert_int_equal(vmk_pmap_enter(k, va + i * 4096ull, PMT_DATA + i * 4096ull, RW, 0), 0);
	assert_int_equal(vmk_sim_mmu_access(1, va, VMK_MMU_READ, NULL), 0);
	p = vmk_pmap__entry_at(k, va, 1, NULL);
	__atomic_store_n(p, vmk_pmap_arch_arm64.make_leaf(PMT_DATA + S2M, 1, VMK_PTE_A_UXN | VMK_PTE_A_ACCESSED),
			 __ATOMIC_RELAXED);
	{
		/* Drop cpu 1's walk cache (it would keep walking the old table), not va's 4 KiB entry. */
		struct vmk_tlb_req r = { .kind = VMK_TLB_PAGE, .va = va + 0x1000, .shootdown = true };

		vmk_tlb_invalidate(&r);
	}
	assert_int_equal(vmk_sim_mmu_access(1, va + 0x1000, VMK_MMU_READ, NULL), 0);
	assert_true(vmk_sim_mmu_bbm_violations() >= 1);
	assert_non_null(strstr(vmk_sim_mmu_bbm_msg(), "TLB conflict"));
	pmt_shutdown();
}

#define T(f) cmocka_unit_test_prestate(f, &x86), cmocka_unit_test_prestate(f, &arm), cmocka_unit_test_prestate(f, &rv)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_seed_kernel_ptp_fixed_refcount),
		T(test_seed_kernel_noreplace_2m),
		T(test_seed_copy_pv_failure_frees_ptp),
		T(test_seed_demote_kernel_2m_without_alloc),
		T(test_seed_nopromote_refuses_promotion),
		T(test_seed_nopromote_demotion_asserts),
		T(test_seed_rendezvous_strategy),
		cmocka_unit_test(test_bbm_sequence),
		cmocka_unit_test(test_sim_catches_bugs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
