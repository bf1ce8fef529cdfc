/*
 * Break-before-make (Arm ARM D8.16.1): a valid entry whose output
 * address, memory type, size (block <-> table) or nG changes is first
 * made invalid, the TLB invalidated, and only then the new entry written.
 * A range that must never be transiently invalid either carries the
 * software no-promote bit (such an update panics: it is a bug) or uses the
 * rendezvous strategy, where the whole sequence runs while every other
 * CPU is parked in code and data that are never under break-before-make.
 */
#include "pmap_internal.h"

struct bbm_args {
	struct vmk_pmap *pm;
	vmk_pte_t *p;
	vmk_pte_t new_pte, old;
	vmk_vaddr_t va;
	vmk_size_t size;
	unsigned int lvl;
};

static void bbm_sequence(struct bbm_args *a)
{
	/* Break. */
	a->old = vmk_pmap__pte_clear(a->p);
	/* Invalidate (a table entry: walk caches too, so not last-level only). */
	vmk_pmap__tlb_range(a->pm, a->va, a->size, false);
	/* Make. */
	vmk_pmap__pte_store(a->p, a->new_pte);
	vmk_barrier(VMK_BARRIER_PTE_STORE);
}

static void bbm_rendezvous_fn(void *arg, unsigned int cpu)
{
	(void)cpu;
	bbm_sequence(arg);
}

vmk_pte_t vmk_pmap__update_entry(struct vmk_pmap *pm, vmk_pte_t *p, vmk_pte_t new_pte,
				 vmk_vaddr_t va, vmk_size_t size, unsigned int lvl)
{
	struct bbm_args a = { pm, p, new_pte, 0, va, size, lvl };
	vmk_pte_t old = vmk_pmap__pte_load(p);

	if (lvl > 0 && vmk_pmap__g.arch->is_table(old, lvl))
		vmk_pmap__leaf_forget(pm);	/* a table is unlinked: it may be the cached one */

	VMK_VERIFY(!(vmk_pmap__is_leaf(old, lvl) && (vmk_pmap__g.arch->attrs_of(old, lvl) & VMK_PTE_A_NOPROMOTE)),
		   "break-before-make update of a no-promote (must-stay-valid) mapping at %#llx",
		   (unsigned long long)va);
	if (!vmk_pmap__g.arch->needs_bbm) {
		/* x86: the entry may change in place; then flush the old translations. */
		old = __atomic_exchange_n(p, new_pte, __ATOMIC_ACQ_REL);
		vmk_pmap__tlb_range(pm, va, size, false);
		return old;
	}
	if (vmk_pmap__in_rdv(pm, va, size))
		vmk_rendezvous(bbm_rendezvous_fn, &a);
	else
		bbm_sequence(&a);
	return a.old;
}
