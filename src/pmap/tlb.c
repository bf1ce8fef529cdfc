/*
 * TLB invalidation requests and the per-operation batch (one invalidation
 * for everything an operation cleared, then the PTPs it unlinked are
 * freed).
 *
 * Invalidation follows the arm64 sequence (the x86 one is a subset): the
 * PTE stores are made visible to the table walkers (DSB ISHST), the TLBI is
 * issued (broadcast inner-shareable when there is more than one CPU), its
 * completion is waited for (DSB ISH) and the context synchronised (ISB).
 *
 * What each change needs, and no more:
 *  - one leaf changed or removed, of any size: one by-VA request
 *    (VMK_TLB_PAGE, size = the leaf's size). x86 INVLPG removes every TLB
 *    entry of a large page whatever address inside it is named (SDM vol. 3
 *    4.10.4.1); on arm64 TLBI VALE1IS / VAE1IS by any address of a block
 *    removes the block's entry, and break-before-make guarantees no
 *    fragment of another size is cached for it (Arm ARM D8.16.1).
 *  - a block demoted: the old translation was that one block entry, so
 *    the same single last-level request.
 *  - a table of leaves replaced by a block (promotion): the TLB may hold
 *    one entry per leaf, so the whole span (VMK_TLB_RANGE, one request;
 *    the platform may carry it out as a range TLBI, a loop or a flush),
 *    not last-level, because the table entry was cached by the walk caches.
 *  - a PTP unlinked (freed, or an empty table replaced): only the walk
 *    caches can still point at it, and any one address it translated
 *    reaches those entries: one by-VA request that is not last-level
 *    (arm64 TLBI VAE1IS rather than VALE1IS; x86 INVLPG also drops the
 *    paging-structure caches, SDM 4.10.4.1), never the whole span.
 *  - many leaves: a range up to VMK_PMAP_TLB_RANGE_MAX pages, then a
 *    user space's own entries (VMK_TLB_ASID with an ASID/PCID,
 *    VMK_TLB_NONGLOBAL without: the kernel's global entries stay), and
 *    only for the kernel everything (VMK_TLB_ALL).
 *  - an entry re-written with the same value: nothing.
 * Every request is counted in the pmap's statistics by kind, and carries
 * its number among the pmap's requests (req.seq), so the simulator checks
 * that the counts are what reached the hardware.
 */
#include "pmap_internal.h"
#include "../lib/arch_barrier.h"

VMK_STATIC_ASSERT(VMK_TLB_NONGLOBAL + 1 == VMK_PMAP_TLB_KINDS, "one counter per TLB request kind");

void vmk_pmap__tlb_req(struct vmk_pmap *pm, struct vmk_tlb_req *r, enum vmk_tlb_kind kind,
		       vmk_vaddr_t va, vmk_size_t size, bool last_level)
{
	*r = (struct vmk_tlb_req){
		.kind = kind,
		.va = va,
		.size = size,
		.asid = pm->kernel ? 0 : pm->asid,
		.shootdown = vmk_cpu_count() > 1,
		.last_level = last_level,
		.pmap = pm,
		.pmap_id = pm->id,
	};
	pm->st.tlbi[kind]++;
	if (!last_level)
		pm->st.tlbi_nonleaf++;
	/* Numbered, so that whoever carries requests out can tell a lost or uncounted one. */
	for (unsigned int k = 0; k < VMK_PMAP_TLB_KINDS; k++)
		r->seq += pm->st.tlbi[k];
}

static void tlb_issue(struct vmk_pmap *pm, enum vmk_tlb_kind kind, vmk_vaddr_t va, vmk_size_t size,
		      bool last_level)
{
	struct vmk_tlb_req r;

	vmk_pmap__tlb_req(pm, &r, kind, va, size, last_level);
	vmk_barrier(VMK_BARRIER_PTE_STORE);
	vmk_tlb_invalidate(&r);
	vmk_barrier(VMK_BARRIER_TLB_SYNC);
	vmk_barrier(VMK_BARRIER_ISB);
}

void vmk_pmap__tlb_page(struct vmk_pmap *pm, vmk_vaddr_t va, vmk_size_t size, bool last_level)
{
	tlb_issue(pm, VMK_TLB_PAGE, va & ~(size - 1), size, last_level);
}

void vmk_pmap__tlb_span(struct vmk_pmap *pm, vmk_vaddr_t va, vmk_size_t size, bool last_level)
{
	tlb_issue(pm, VMK_TLB_RANGE, va, size, last_level);
}

void vmk_pmap__tlb_range(struct vmk_pmap *pm, vmk_vaddr_t va, vmk_size_t size, bool last_level)
{
	if (size <= VMK_PAGE_SIZE)
		tlb_issue(pm, VMK_TLB_PAGE, va, VMK_PAGE_SIZE, last_level);
	else if (size / VMK_PAGE_SIZE <= VMK_PMAP_TLB_RANGE_MAX)
		tlb_issue(pm, VMK_TLB_RANGE, va, size, last_level);
	else if (!pm->kernel)
		tlb_issue(pm, pm->asid ? VMK_TLB_ASID : VMK_TLB_NONGLOBAL, va, size, false);
	else
		tlb_issue(pm, VMK_TLB_ALL, va, size, false);
}

void vmk_pmap__made_insn(bool kernel)
{
	vmk_arch_barrier(VMK_BARRIER_PTE_STORE);
	if (kernel)
		vmk_arch_barrier(VMK_BARRIER_ISB);
}

static void batch_extend(struct vmk_pmap_batch *b, vmk_vaddr_t va, vmk_size_t size)
{
	if (b->sva == b->eva) {
		b->sva = va;
		b->eva = va + size;
	} else {
		b->sva = VMK_MIN(b->sva, va);
		b->eva = VMK_MAX(b->eva, va + size);
	}
}

void vmk_pmap__batch_add(struct vmk_pmap_batch *b, vmk_vaddr_t va, vmk_size_t size, uint64_t n)
{
	if (n == 0)
		return;
	if (b->n == 0 && n == 1)
		b->one = VMK_MAX(b->one, size);
	b->n += n;
	batch_extend(b, va, size);
}

void vmk_pmap__batch_table(struct vmk_pmap_batch *b, vmk_vaddr_t va)
{
	if (b->sva == b->eva)
		b->one = VMK_PAGE_SIZE;
	batch_extend(b, va & ~VMK_PAGE_MASK, VMK_PAGE_SIZE);
	b->nonleaf = true;
}

void vmk_pmap__batch_flush(struct vmk_pmap *pm, struct vmk_pmap_batch *b)
{
	if (b->sva != b->eva) {
		/* One translation (and the walk-cache entries on its way): one by-VA request. */
		if (b->n <= 1 && b->eva - b->sva <= b->one)
			vmk_pmap__tlb_page(pm, b->sva, b->eva - b->sva, !b->nonleaf);
		else
			vmk_pmap__tlb_range(pm, b->sva, b->eva - b->sva, !b->nonleaf);
	}
	b->sva = b->eva = 0;
	b->n = 0;
	b->one = 0;
	b->nonleaf = false;
	while (b->free) {
		struct vmk_page *pg = b->free;

		b->free = (struct vmk_page *)(uintptr_t)pg->owner;
		vmk_pmap__ptp_free(pm, pg);
	}
}
