/*
 * TLB invalidation requests and the per-operation batch (one invalidation
 * for everything an operation cleared, then the PTPs it unlinked are
 * freed).
 *
 * Invalidation follows the arm64 sequence (the x86 one is a subset): the
 * PTE stores are made visible to the table walkers (DSB ISHST), the TLBI is
 * issued (broadcast inner-shareable when there is more than one CPU), its
 * completion is waited for (DSB ISH) and the context synchronised (ISB).
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
