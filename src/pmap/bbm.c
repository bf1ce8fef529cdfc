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
 *  - no logging, no cpu_count, no assertion: all checks happen before.
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

vmk_pte_t vmk_pmap__update_entry(struct vmk_pmap *pm, vmk_pte_t *p, vmk_pte_t new_pte,
				 vmk_vaddr_t va, vmk_size_t size, unsigned int lvl, bool table_empty)
{
	const struct vmk_platform *plat = vmk_platform_get();
	struct bbm_window w = { .slot = p, .new_pte = new_pte };
	vmk_pte_t old = vmk_pmap__pte_load(p);
	bool table = lvl > 0 && vmk_pmap__g.arch->is_table(old, lvl);

	if (table)
		vmk_pmap__leaf_forget(pm);	/* a table is unlinked: it may be the cached one */

	VMK_VERIFY(!(vmk_pmap__is_leaf(old, lvl) &&
		     (vmk_pmap__g.arch->attrs_of(old, lvl) & VMK_PTE_A_NOPROMOTE)),
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
	if (vmk_pmap__in_rdv(pm, va, size))
		vmk_rendezvous(bbm_rendezvous_fn, &w);
	else
		bbm_window(&w);
	return w.old;
}
