/*
 * TLB invalidation and break-before-make.
 *
 * Invalidation follows the arm64 sequence (the x86 one is a subset): the
 * PTE stores are made visible to the table walkers (DSB ISHST), the TLBI is
 * issued (broadcast inner-shareable when there is more than one CPU), its
 * completion is waited for (DSB ISH) and the context synchronised (ISB).
 *
 * Break-before-make (Arm ARM D8.16.1): a valid entry whose output
 * address, memory type, size (block <-> table) or nG changes is first
 * made invalid, the TLB invalidated, and only then the new entry written.
 * A range that must never be transiently invalid either carries the
 * software no-promote bit (such an update panics: it is a bug) or uses the
 * rendezvous strategy, where the whole sequence runs while every other
 * CPU is parked in code and data that are never under break-before-make.
 */
#include "pmap_internal.h"

/* Beyond this many pages a range invalidation becomes a full/ASID one. */
#define TLB_RANGE_MAX_PAGES	64

static void tlb_req(struct vmk_pmap *pm, enum vmk_tlb_kind kind, vmk_vaddr_t va,
		    vmk_size_t size, bool last_level)
{
	struct vmk_tlb_req r = {
		.kind = kind,
		.va = va,
		.size = size,
		.asid = pm->kernel ? 0 : pm->asid,
		.shootdown = vmk_cpu_count() > 1,
		.last_level = last_level,
		.pmap = pm,
	};

	vmk_barrier(VMK_BARRIER_PTE_STORE);
	vmk_tlb_invalidate(&r);
	vmk_barrier(VMK_BARRIER_TLB_SYNC);
	vmk_barrier(VMK_BARRIER_ISB);
}

void vmk_pmap__tlb_page(struct vmk_pmap *pm, vmk_vaddr_t va, bool last_level)
{
	tlb_req(pm, VMK_TLB_PAGE, va & ~VMK_PAGE_MASK, VMK_PAGE_SIZE, last_level);
}

void vmk_pmap__tlb_range(struct vmk_pmap *pm, vmk_vaddr_t va, vmk_size_t size, bool last_level)
{
	if (size <= VMK_PAGE_SIZE)
		tlb_req(pm, VMK_TLB_PAGE, va, VMK_PAGE_SIZE, last_level);
	else if (size / VMK_PAGE_SIZE <= TLB_RANGE_MAX_PAGES)
		tlb_req(pm, VMK_TLB_RANGE, va, size, last_level);
	else if (!pm->kernel && pm->asid)
		tlb_req(pm, VMK_TLB_ASID, va, size, false);
	else
		tlb_req(pm, VMK_TLB_ALL, va, size, false);
}

void vmk_pmap__batch_add(struct vmk_pmap_batch *b, vmk_vaddr_t va, vmk_size_t size, bool nonleaf)
{
	if (b->sva == b->eva) {
		b->sva = va;
		b->eva = va + size;
	} else {
		b->sva = VMK_MIN(b->sva, va);
		b->eva = VMK_MAX(b->eva, va + size);
	}
	b->nonleaf = b->nonleaf || nonleaf;
}

void vmk_pmap__batch_flush(struct vmk_pmap *pm, struct vmk_pmap_batch *b)
{
	if (b->sva != b->eva)
		vmk_pmap__tlb_range(pm, b->sva, b->eva - b->sva, !b->nonleaf);
	b->sva = b->eva = 0;
	b->nonleaf = false;
	while (b->free) {
		struct vmk_page *pg = b->free;

		b->free = (struct vmk_page *)(uintptr_t)pg->owner;
		vmk_pmap__ptp_free(pm, pg);
	}
}

bool vmk_pmap__in_rdv(struct vmk_pmap *pm, vmk_vaddr_t va, vmk_size_t size)
{
	for (unsigned int i = 0; i < pm->nrdv; i++)
		if (va < pm->rdv[i].end && pm->rdv[i].va < va + size)
			return true;
	return false;
}

bool vmk_pmap__in_np(struct vmk_pmap *pm, vmk_vaddr_t va, vmk_size_t size)
{
	for (unsigned int i = 0; i < pm->nnp; i++)
		if (va < pm->np[i].end && pm->np[i].va < va + size)
			return true;
	return false;
}

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
	a->old = pte_clear(a->p);
	/* Invalidate (a table entry: walk caches too, so not last-level only). */
	vmk_pmap__tlb_range(a->pm, a->va, a->size, false);
	/* Make. */
	pte_store(a->p, a->new_pte);
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
	vmk_pte_t old = pte_load(p);

	if (lvl > 0 && ARCH->is_table(old, lvl))
		pmap__leaf_forget(pm);	/* a table is unlinked: it may be the cached one */

	VMK_VERIFY(!(pmap__is_leaf(old, lvl) && (ARCH->attrs_of(old, lvl) & VMK_PTE_A_NOPROMOTE)),
		   "break-before-make update of a no-promote (must-stay-valid) mapping at %#llx",
		   (unsigned long long)va);
	if (!ARCH->needs_bbm) {
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
