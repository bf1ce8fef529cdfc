/*
 * Break-before-make (Arm ARM D8.16.1; FreeBSD arm64 pmap_update_entry):
 * a valid entry whose output address, memory type, size (block <-> table)
 * or nG changes is first made invalid, the TLB invalidated, and only then
 * the new entry written. A range that must never be transiently invalid
 * either carries the software no-promote bit (such an update panics: it is
 * a bug) or uses the rendezvous strategy, where the whole sequence runs
 * while every other CPU is parked in code and data that are never under
 * break-before-make.
 *
 * The window, from the break to the make, has its own rules, because the
 * entry being broken may map anything of the kernel's, vmkit's .bss (the
 * kernel pmap, the platform pointer, the statistics) included:
 *  - interrupts are disabled on this CPU (vmk_intr_disable), so no handler
 *    runs on this CPU while the translation is missing, and nothing
 *    preempts it;
 *  - the only call is the platform's TLB invalidation hook, with a request
 *    built before the window (req.in_bbm set); the function pointer is read
 *    before too, and barriers are inline instructions, not hooks;
 *  - no other memory is touched but the entry and the window's own
 *    description on this CPU's stack (kernel stacks must not lie in a
 *    range that is ever broken: map them with 4 KiB pages or no-promote);
 *  - no logging, no cpu_count, no assertion: all checks happen before;
 *  - the entry is written through a mapping the window leaves alone: when
 *    the table holding it is reached through the very direct-map block
 *    being broken (demoting or promoting the direct map around its own
 *    PTP), through a temporary mapping of that table at cfg.tmp_va made
 *    before the window (FreeBSD arm64 pmap_demote_l2 with tmpl2; its L2,
 *    Arm's level 2, is our level 1, the 2 MiB entries).
 * Everything the window needs is computed in update_entry before it.
 */
#include "pmap_internal.h"
#include "../lib/arch_barrier.h"

struct bbm_window {
	vmk_pte_t *slot;		/* the entry */
	vmk_pte_t new_pte, old;
	void (*tlbi)(void *ctx, const struct vmk_tlb_req *req);
	void *ctx;
	struct vmk_tlb_req req;
};

/* The window itself: touches *w and *w->slot only, calls only w->tlbi. */
static void bbm_window(struct bbm_window *w)
{
	unsigned long intr = vmk_intr_disable();

	/* Break. */
	w->old = __atomic_exchange_n(w->slot, 0, __ATOMIC_ACQ_REL);
	vmk_arch_barrier(VMK_BARRIER_PTE_STORE);
	/* Invalidate, and wait for it on every CPU. */
	if (w->tlbi)
		w->tlbi(w->ctx, &w->req);
	vmk_arch_barrier(VMK_BARRIER_TLB_SYNC);
	/* Make, and let this CPU use it at once. */
	__atomic_store_n(w->slot, w->new_pte, __ATOMIC_RELEASE);
	vmk_arch_barrier(VMK_BARRIER_PTE_STORE);
	vmk_arch_barrier(VMK_BARRIER_ISB);
	vmk_intr_restore(intr);
}

static void bbm_rendezvous_fn(void *arg, unsigned int cpu)
{
	(void)cpu;
	bbm_window(arg);
}

/*
 * The entry at p (level lvl for va) must be written through a temporary
 * mapping when the table holding it is reached through the direct map at
 * an address inside [va, va + size), which the window unmaps. Returns the
 * pointer to write through (p itself when no temporary mapping is needed);
 * *tmp is the temporary leaf to clear afterwards (NULL: none).
 */
static vmk_pte_t *bbm_slot(struct vmk_pmap *pm, vmk_pte_t *p, vmk_vaddr_t va, vmk_size_t size,
			   unsigned int lvl, vmk_pte_t **tmp)
{
	const struct vmk_pmap_config *cfg = &vmk_pmap__g.cfg;
	vmk_paddr_t tpa;
	vmk_vaddr_t tva;
	char *base;

	*tmp = NULL;
	if (!pm->kernel || !cfg->tmp_va || cfg->dmap_end <= cfg->dmap_base ||
	    vmk_pmap__entry_at(pm, va, lvl, &tpa) != p || tpa >= cfg->dmap_end - cfg->dmap_base)
		return p;
	tva = cfg->dmap_base + tpa;
	if (tva - va >= size)
		return p;
	*tmp = vmk_pmap__entry_at(pm, cfg->tmp_va, 0, NULL);
	VMK_VERIFY(*tmp && !vmk_pmap__g.arch->is_valid(vmk_pmap__pte_load(*tmp), 0),
		   "the temporary page %#llx is not reserved", (unsigned long long)cfg->tmp_va);
	vmk_pmap__pte_store(*tmp, vmk_pmap__g.arch->make_leaf(tpa, 0,
			    vmk_pmap__attrs(pm, VMK_PROT_READ | VMK_PROT_WRITE, 0)));
	vmk_pmap__tlb_made(pm);
	base = cfg->kva_ptr ? cfg->kva_ptr(cfg->kva_ptr_ctx, cfg->tmp_va) : (char *)(uintptr_t)cfg->tmp_va;
	VMK_VERIFY(base != NULL, "no pointer for the temporary page %#llx", (unsigned long long)cfg->tmp_va);
	return (vmk_pte_t *)(void *)(base + VMK_PT_INDEX(va, lvl) * sizeof(vmk_pte_t));
}

vmk_pte_t vmk_pmap__update_entry(struct vmk_pmap *pm, vmk_pte_t *p, vmk_pte_t new_pte,
				 vmk_vaddr_t va, vmk_size_t size, unsigned int lvl, bool table_empty)
{
	const struct vmk_platform *plat = vmk_platform_get();
	struct bbm_window w = { .slot = p, .new_pte = new_pte };
	vmk_pte_t old = vmk_pmap__pte_load(p), *tmp;
	bool table = lvl > 0 && vmk_pmap__g.arch->is_table(old, lvl);

	if (table)
		vmk_pmap__leaf_forget(pm);	/* a table is unlinked: it may be the cached one */

	VMK_VERIFY(!(vmk_pmap__is_leaf(old, lvl) &&
		     (vmk_pmap__marked(pm, vmk_pmap__g.arch->attrs_of(old, lvl), va, lvl, 0) & VMK_PTE_A_NOPROMOTE)),
		   "break-before-make update of a no-promote (must-stay-valid) mapping at %#llx",
		   (unsigned long long)va);
	if (!vmk_pmap__g.arch->needs_bbm) {
		/* x86: the entry may change in place; then flush the old translations. */
		old = __atomic_exchange_n(p, new_pte, __ATOMIC_ACQ_REL);
		if (table && !table_empty)
			vmk_pmap__tlb_span(pm, va, size, false);
		else
			vmk_pmap__tlb_page(pm, va, table ? VMK_PAGE_SIZE : size, !table);
		return old;
	}
	/* The request (counted now: the statistics may lie in the range broken). */
	if (table && !table_empty)
		vmk_pmap__tlb_req(pm, &w.req, VMK_TLB_RANGE, va, size, false);
	else if (table)
		vmk_pmap__tlb_req(pm, &w.req, VMK_TLB_PAGE, va, VMK_PAGE_SIZE, false);
	else
		vmk_pmap__tlb_req(pm, &w.req, VMK_TLB_PAGE, va, size, true);
	w.req.in_bbm = true;
	w.tlbi = plat ? plat->tlb_invalidate : NULL;
	w.ctx = plat ? plat->ctx : NULL;
	w.slot = bbm_slot(pm, p, va, size, lvl, &tmp);
	if (vmk_pmap__in_rdv(pm, va, size))
		vmk_rendezvous(bbm_rendezvous_fn, &w);
	else
		bbm_window(&w);
	if (tmp) {
		vmk_pmap__pte_clear(tmp);
		vmk_pmap__tlb_page(pm, vmk_pmap__g.cfg.tmp_va, VMK_PAGE_SIZE, true);
	}
	return w.old;
}

/*
 * Unfolding a 64 KiB run (cont.c): the same window over all 16 entries,
 * because a walker must never see contiguous and plain entries for one
 * run (Arm ARM D8.6.1, "misprogramming of the Contiguous bit", and the
 * TLB conflict it allows). The accessed/dirty state the hardware left in
 * any entry is read by the break itself and given to every new entry.
 */
struct run_window {
	vmk_pte_t *slot;		/* the run's first entry */
	vmk_pte_t new_pte[VMK_PMAP_CONT_PAGES];
	vmk_pte_t ad_or, ad_clean;
	void (*tlbi)(void *ctx, const struct vmk_tlb_req *req);
	void *ctx;
	struct vmk_tlb_req req;
};

static void run_window(struct run_window *w)
{
	unsigned long intr = vmk_intr_disable();
	vmk_pte_t any = 0, all = ~(vmk_pte_t)0;

	for (unsigned int i = 0; i < VMK_PMAP_CONT_PAGES; i++) {
		vmk_pte_t old = __atomic_exchange_n(&w->slot[i], 0, __ATOMIC_ACQ_REL);

		any |= old;
		if (old)
			all &= old;
	}
	vmk_arch_barrier(VMK_BARRIER_PTE_STORE);
	if (w->tlbi)
		w->tlbi(w->ctx, &w->req);
	vmk_arch_barrier(VMK_BARRIER_TLB_SYNC);
	for (unsigned int i = 0; i < VMK_PMAP_CONT_PAGES; i++) {
		vmk_pte_t n = w->new_pte[i] | (any & w->ad_or);

		if (!(all & w->ad_clean))
			n &= ~w->ad_clean;	/* one entry was made dirty: all are */
		__atomic_store_n(&w->slot[i], n, __ATOMIC_RELEASE);
	}
	vmk_arch_barrier(VMK_BARRIER_PTE_STORE);
	vmk_arch_barrier(VMK_BARRIER_ISB);
	vmk_intr_restore(intr);
}

static void run_rendezvous_fn(void *arg, unsigned int cpu)
{
	(void)cpu;
	run_window(arg);
}

void vmk_pmap__unfold(struct vmk_pmap *pm, vmk_pte_t *p, vmk_vaddr_t va)
{
	const struct vmk_pmap_arch *arch = vmk_pmap__g.arch;
	const struct vmk_platform *plat = vmk_platform_get();
	struct run_window w;
	vmk_vaddr_t base = va & ~(VMK_PMAP_CONT_SIZE - 1);
	vmk_pte_t *run = p - VMK_PT_INDEX(va, 0) % VMK_PMAP_CONT_PAGES, *tmp;

	if (!vmk_pmap__is_cont(vmk_pmap__pte_load(p), 0))
		return;
	for (unsigned int i = 0; i < VMK_PMAP_CONT_PAGES; i++) {
		vmk_pte_t e = vmk_pmap__pte_load(&run[i]);

		VMK_VERIFY(vmk_pmap__is_cont(e, 0) && !(arch->attrs_of(e, 0) & VMK_PTE_A_NOPROMOTE),
			   "broken 64 KiB run at %#llx: entry %u is %#llx", (unsigned long long)base, i,
			   (unsigned long long)e);
		w.new_pte[i] = arch->unfold(e, i);
	}
	w.ad_or = arch->pte_ad_or;
	w.ad_clean = arch->pte_ad_clean;
	/* One TLB entry may cover the run, or 16 may: invalidate all 64 KiB. */
	vmk_pmap__tlb_req(pm, &w.req, VMK_TLB_RANGE, base, VMK_PMAP_CONT_SIZE, true);
	w.req.in_bbm = true;
	w.tlbi = plat ? plat->tlb_invalidate : NULL;
	w.ctx = plat ? plat->ctx : NULL;
	w.slot = bbm_slot(pm, run, base, VMK_PMAP_CONT_SIZE, 0, &tmp);
	if (vmk_pmap__in_rdv(pm, base, VMK_PMAP_CONT_SIZE))
		vmk_rendezvous(run_rendezvous_fn, &w);
	else
		run_window(&w);
	if (tmp) {
		vmk_pmap__pte_clear(tmp);
		vmk_pmap__tlb_page(pm, vmk_pmap__g.cfg.tmp_va, VMK_PAGE_SIZE, true);
	}
	pm->st.unfolds++;
}
