/*
 * Eager hand-over of whole chunks (4 MiB, one max-order block each): every
 * record written once, in one sequential pass, and free chunks listed in
 * that same pass.
 *
 * A free chunk is a max-order block, so listing it needs no coalescing
 * and no record but its head: the head's list links are known before it
 * is written (the chunks of a run are linked to each other in address
 * order), so each head is written whole with its links, and the run is
 * joined to the list with two pointer stores at the end. The records go
 * through vmk_stream_fill(), which may bypass the cache: the page array
 * of a large machine is far bigger than the caches and is not read back
 * during the hand-over.
 */
#include "phys_internal.h"

/*
 * Chunk-aligned [ca, cb) of s: records in state st (FREE or RESERVED),
 * counted in the domain's counters; free chunks listed at the front of
 * the max-order list as if listed one by one in address order (the last
 * one first), the order the per-block path gives.
 */
void vmk_phys__eager_chunks(struct vmk_phys_seg *s, uint64_t ca, uint64_t cb, unsigned int st)
{
	const uint64_t tail[4] = { 0, 0, 0, pg_w3_make(st, VMK_ORDER_NONE, s->index, 0, 0, 0) };
	const uint64_t w3h = pg_w3_make(st, PHYS_CHUNK_ORDER, s->index, 0, 0, 0);
	struct vmk_phys_pool *pl = seg_pool(s);
	struct vmk_list *lh = &pl->fl[PHYS_CHUNK_ORDER];
	struct vmk_list *old_first = lh->next;
	uint64_t m = (cb - ca) / PHYS_CHUNK_PAGES;

	VMK_ASSERT(ca % PHYS_CHUNK_PAGES == 0 && cb % PHYS_CHUNK_PAGES == 0 && ca < cb &&
		   ca >= s->start_pfn && cb <= s->end_pfn, "eager chunks are whole chunks of s");
	cnt_add(&G.dom[s->domain].count[st], (int64_t)(cb - ca));
	if (st != VMK_PAGE_FREE) {
		vmk_stream_fill(seg_page(s, ca), tail, tail, cb - ca);
		return;
	}
	for (uint64_t j = 0; j < m; j++) {
		struct vmk_page *h = seg_page(s, ca + j * PHYS_CHUNK_PAGES);
		struct vmk_list *next = j == 0 ? old_first : &(h - PHYS_CHUNK_PAGES)->plinks;
		struct vmk_list *prev = j + 1 == m ? lh : &(h + PHYS_CHUNK_PAGES)->plinks;
		const uint64_t head[4] = { (uint64_t)(uintptr_t)next, (uint64_t)(uintptr_t)prev, 0, w3h };

		vmk_stream_fill(h, head, tail, PHYS_CHUNK_PAGES);
	}
	old_first->prev = &seg_page(s, ca)->plinks;
	lh->next = &seg_page(s, cb - PHYS_CHUNK_PAGES)->plinks;
	pl->nonempty |= 1u << PHYS_CHUNK_ORDER;
	ucnt_add(&pl->nblocks[PHYS_CHUNK_ORDER], (int64_t)m);
	ucnt_add(&pl->listed, (int64_t)(cb - ca));
}
