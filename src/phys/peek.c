/*
 * Looking at a frame without changing anything: reports and pictures of
 * physical memory (vmkit boot --svg) must not initialise lazily waiting
 * page records, which on a terabyte machine would touch gigabytes of page
 * array just to draw it.
 */
#include "phys_internal.h"

static bool lazy_bit(const uint64_t *bm, uint64_t i)
{
	return (__atomic_load_n(&bm[i / 64], __ATOMIC_ACQUIRE) >> (i % 64)) & 1;
}

int vmk_phys_peek(vmk_paddr_t pa, struct vmk_phys_peek *pk)
{
	uint64_t pfn = pa >> VMK_PAGE_SHIFT;
	struct vmk_phys_seg *s = vmk_phys__pfn_seg(pfn);
	uint64_t chunk, i;
	const struct vmk_page *p;

	if (!s)
		return -VMK_ENOENT;
	pk->domain = s->domain;
	pk->pool = s->pool;
	pk->lazy = false;
	pk->order = 0;
	chunk = pfn / PHYS_CHUNK_PAGES;
	i = chunk - s->first_chunk;
	if (chunk >= s->first_chunk && i < s->nchunks &&
	    (lazy_bit(s->lazy_free, i) || lazy_bit(s->lazy_resv, i))) {
		pk->lazy = true;
		/* Both bits: a reserved chunk claimed by a bootstrap free in progress. */
		pk->state = lazy_bit(s->lazy_resv, i) ? VMK_PAGE_RESERVED : VMK_PAGE_FREE;
		pk->order = pk->state == VMK_PAGE_FREE ? PHYS_CHUNK_ORDER : 0;
		pk->run_start = (chunk * PHYS_CHUNK_PAGES) << VMK_PAGE_SHIFT;
		pk->run_end = ((chunk + 1) * PHYS_CHUNK_PAGES) << VMK_PAGE_SHIFT;
		return 0;
	}
	p = seg_page(s, pfn);
	pk->state = (enum vmk_page_state)pg_state(p);
	pk->run_start = pfn << VMK_PAGE_SHIFT;
	pk->run_end = (pfn + 1) << VMK_PAGE_SHIFT;
	if (pk->state != VMK_PAGE_FREE)
		return 0;
	/* The head of a free block is the first record at an alignment step with its order set. */
	for (unsigned int k = 0; k < VMK_MAX_ORDER; k++) {
		uint64_t h = pfn & ~(((uint64_t)1 << k) - 1);

		if (h < s->start_pfn)
			break;
		p = seg_page(s, h);
		if (pg_state(p) == VMK_PAGE_FREE && p->order == k) {
			pk->order = k;
			pk->run_start = h << VMK_PAGE_SHIFT;
			pk->run_end = (h + ((uint64_t)1 << k)) << VMK_PAGE_SHIFT;
			return 0;
		}
	}
	return 0;
}
