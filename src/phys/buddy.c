/*
 * Buddy free lists: per domain, per pool, per order, with a bitmap of the
 * non-empty orders. All functions run with the domain lock held.
 *
 * Record invariant (what makes lookups cheap): every frame of a free block
 * has state FREE; the block's first record has order == the block's order;
 * every other record of the block has order VMK_ORDER_NONE. So the head of
 * the block holding a free frame is the first record at or below it, at an
 * alignment step, whose order is set.
 */
#include "phys_internal.h"

void vmk_phys__fl_insert(struct vmk_phys_pool *pl, struct vmk_page *head, unsigned int order)
{
	head->order = (uint8_t)order;
	vmk_list_add(&pl->fl[order], &head->plinks);
	pl->nonempty |= 1u << order;
	ucnt_add(&pl->nblocks[order], 1);
	ucnt_add(&pl->listed, (int64_t)pow2(order));
}

void vmk_phys__fl_remove(struct vmk_phys_pool *pl, struct vmk_page *head, unsigned int order)
{
	VMK_VERIFY(head->order == order, "free block head has order %u, list says %u",
		   head->order, order);
	vmk_list_del(&head->plinks);
	if (vmk_list_empty(&pl->fl[order]))
		pl->nonempty &= ~(1u << order);
	ucnt_add(&pl->nblocks[order], -1);
	ucnt_add(&pl->listed, -(int64_t)pow2(order));
	head->order = VMK_ORDER_NONE;
}

void vmk_phys__free_block(struct vmk_phys_seg *s, uint64_t pfn, unsigned int order)
{
	struct vmk_phys_pool *pl = seg_pool(s);

	VMK_VERIFY((pfn & (pow2(order) - 1)) == 0, "freed block of order %u is aligned", order);
	seg_page(s, pfn)->order = VMK_ORDER_NONE;
	/*
	 * A buddy below the top order lies in the same max-order chunk as the
	 * block, which is initialised since the block is, so its record is
	 * valid to read.
	 */
	while (order < VMK_MAX_ORDER - 1) {
		uint64_t b = pfn ^ pow2(order);
		struct vmk_page *bp;

		if (b < s->start_pfn || b + pow2(order) > s->end_pfn)
			break;
		bp = seg_page(s, b);
		if (pg_state(bp) != VMK_PAGE_FREE || bp->order != order)
			break;
		vmk_phys__fl_remove(pl, bp, order);
		pfn &= ~pow2(order);
		order++;
	}
	vmk_phys__fl_insert(pl, seg_page(s, pfn), order);
}

void vmk_phys__free_range(struct vmk_phys_seg *s, uint64_t lo, uint64_t hi)
{
	while (lo < hi) {
		unsigned int o = lo ? vmk_ffs64(lo) : VMK_MAX_ORDER - 1;

		if (o > VMK_MAX_ORDER - 1)
			o = VMK_MAX_ORDER - 1;
		while (pow2(o) > hi - lo)
			o--;
		vmk_phys__free_block(s, lo, o);
		lo += pow2(o);
	}
}

struct vmk_page *vmk_phys__take_block(unsigned int d, unsigned int pool, unsigned int order)
{
	struct vmk_phys_pool *pl = &G.dom[d].pools[pool];
	struct vmk_page *head;
	struct vmk_phys_seg *s;
	uint32_t m;
	unsigned int k;
	uint64_t pfn;

	while ((m = pl->nonempty & ~(pow2(order) - 1)) == 0)
		if (!vmk_phys__materialise_one(d, pool))
			return NULL;
	k = vmk_ffs64(m);
	head = vmk_list_entry(pl->fl[k].next, struct vmk_page, plinks);
	vmk_phys__fl_remove(pl, head, k);
	s = pg_seg(head);
	pfn = pg_pfn(head);
	/* Keep the low half, give back the high halves. */
	while (k > order) {
		k--;
		vmk_phys__fl_insert(pl, seg_page(s, pfn + pow2(k)), k);
	}
	return head;
}

uint64_t vmk_phys__take_pages(unsigned int d, unsigned int pool, uint64_t n,
			      struct vmk_page **stack, unsigned int to)
{
	struct vmk_phys_domain *dm = &G.dom[d];
	struct vmk_phys_pool *pl = &dm->pools[pool];
	struct vmk_page *top = *stack;
	uint64_t got = 0;

	while (got < n) {
		uint64_t rem = n - got;
		unsigned int want = vmk_ilog2(rem), k;
		uint32_t low;
		struct vmk_page *head;

		if (want > VMK_MAX_ORDER - 1)
			want = VMK_MAX_ORDER - 1;
		/* Whole small blocks first: the largest non-empty order <= want. */
		low = pl->nonempty & (uint32_t)(pow2(want + 1) - 1);
		k = low ? vmk_fls64(low) : want;
		head = vmk_phys__take_block(d, pool, k);
		if (!head)
			break;
		/*
		 * One pass per block: check, move and link each record, the
		 * block's first frame on top (so pops go up in frame order).
		 */
		for (uint64_t i = pow2(k); i-- > 0;) {
			VMK_VERIFY(pg_state(&head[i]) == VMK_PAGE_FREE,
				   "page %p expected in state %s, found %s", (void *)&head[i],
				   vmk_page_state_name(VMK_PAGE_FREE),
				   vmk_page_state_name(pg_state(&head[i])));
			__atomic_store_n(&head[i].state, (uint8_t)to, __ATOMIC_RELAXED);
			head[i].pcpu_next = top;
			top = &head[i];
		}
		got += pow2(k);
	}
	*stack = top;
	cnt_add(&dm->count[VMK_PAGE_FREE], -(int64_t)got);
	if (to != VMK_PAGE_PCPU)
		cnt_add(&dm->count[to], (int64_t)got);
	return got;
}

struct vmk_page *vmk_phys__free_head(const struct vmk_phys_seg *s, uint64_t pfn)
{
	for (unsigned int k = 0; k < VMK_MAX_ORDER; k++) {
		uint64_t h = pfn & ~(pow2(k) - 1);
		struct vmk_page *r;

		if (h < s->start_pfn)
			break;
		r = seg_page(s, h);
		if (r->order != VMK_ORDER_NONE) {
			VMK_VERIFY(pg_state(r) == VMK_PAGE_FREE && pfn < h + pow2(r->order),
				   "free frame %llx lies inside the block headed at %llx",
				   (unsigned long long)pfn, (unsigned long long)h);
			return r;
		}
	}
	VMK_VERIFY(0, "free frame %llx has a block head", (unsigned long long)pfn);
	return NULL;
}

void vmk_phys__extract(struct vmk_phys_seg *s, uint64_t pfn)
{
	struct vmk_phys_pool *pl = seg_pool(s);
	struct vmk_page *head = vmk_phys__free_head(s, pfn);
	unsigned int k = head->order;
	uint64_t h = pg_pfn(head);

	vmk_phys__fl_remove(pl, head, k);
	while (k > 0) {
		uint64_t half;

		k--;
		half = pow2(k);
		if (pfn < h + half) {
			vmk_phys__fl_insert(pl, seg_page(s, h + half), k);
		} else {
			vmk_phys__fl_insert(pl, seg_page(s, h), k);
			h += half;
		}
	}
}
