/*
 * Contiguous allocation (FreeBSD's vm_phys_alloc_contig): npages frames
 * in [low, high), aligned, not crossing a boundary. The search walks the
 * free lists of a pool and, for each block that starts a run of free
 * frames, extends the run over the following free blocks of any order, so
 * a request is served from several smaller adjacent blocks too. Only
 * listed free blocks are considered: reserved frames, per-CPU cached
 * frames and never-freed segments are never touched.
 */
#include "phys_internal.h"

struct contig_req {
	uint64_t npages, lo, hi;	/* pfns: [lo, hi) */
	uint64_t align, bound;		/* in pages; bound 0: none */
};

/* Is frame pfn of s free and its record initialised? */
static bool frame_free(const struct vmk_phys_seg *s, uint64_t pfn)
{
	if (pfn < s->start_pfn || pfn >= s->end_pfn)
		return false;
	if (s->lazy_count && vmk_phys__chunk_lazy(s, pfn / PHYS_CHUNK_PAGES))
		return false;
	return pg_state(seg_page(s, pfn)) == VMK_PAGE_FREE;
}

/* First start >= from, aligned and not crossing a boundary. */
static uint64_t place(const struct contig_req *r, uint64_t from)
{
	uint64_t st = VMK_ALIGN_UP(from, r->align);

	if (r->bound && ((st ^ (st + r->npages - 1)) & ~(r->bound - 1)))
		st = VMK_ALIGN_UP(VMK_ALIGN_UP(st + 1, r->bound), r->align);
	return st;
}

/*
 * If the run of free frames starting at block head h (pfn) holds a valid
 * placement, return its start; else UINT64_MAX. The first placement at or
 * after the run's start is the only candidate: any later one needs the
 * run to reach further.
 */
static uint64_t try_run(const struct vmk_phys_seg *s, uint64_t h, const struct contig_req *r)
{
	uint64_t hi = VMK_MIN(s->end_pfn, r->hi);
	uint64_t end = h + pow2(seg_page(s, h)->order);
	uint64_t st = place(r, VMK_MAX(h, r->lo));

	if (st + r->npages > hi || st + r->npages < st)
		return UINT64_MAX;
	while (end < st + r->npages && frame_free(s, end)) {
		VMK_VERIFY(seg_page(s, end)->order != VMK_ORDER_NONE,
			   "a free frame right after a free block heads a block");
		end += pow2(seg_page(s, end)->order);
	}
	return end >= st + r->npages ? st : UINT64_MAX;
}

/* Search pool (d, q) for a placement; returns the start pfn or UINT64_MAX. Lock held. */
static uint64_t search(unsigned int d, unsigned int q, const struct contig_req *r,
		       struct vmk_phys_seg **sp)
{
	struct vmk_phys_pool *pl = &G.dom[d].pools[q];
	unsigned int kmin = r->npages >= pow2(VMK_MAX_ORDER - 1) ? VMK_MAX_ORDER - 1 :
			    (unsigned int)vmk_ilog2(r->npages) + ((r->npages & (r->npages - 1)) != 0);

	/* Blocks that can hold the request alone first, then runs of smaller ones. */
	for (unsigned int step = 0; step < VMK_MAX_ORDER; step++) {
		unsigned int k = kmin + step < VMK_MAX_ORDER ? kmin + step :
				 VMK_MAX_ORDER - 1 - step;
		struct vmk_list *it;

		if (!(pl->nonempty & (1u << k)))
			continue;
		vmk_list_foreach(it, &pl->fl[k]) {
			struct vmk_page *b = vmk_list_entry(it, struct vmk_page, plinks);
			struct vmk_phys_seg *s = pg_seg(b);
			uint64_t h = pg_pfn(b), st;

			if (h + pow2(k) <= r->lo || h >= r->hi)
				continue;
			/* Not a run head: its run is tried from the head's block. */
			if (h > r->lo && frame_free(s, h - 1))
				continue;
			st = try_run(s, h, r);
			if (st != UINT64_MAX) {
				*sp = s;
				return st;
			}
		}
	}
	return UINT64_MAX;
}

/*
 * Take [st, st + n) of s off the free lists as ALLOC/PTP, every record
 * prepared as an order-0 page for flags and memattr. Lock held.
 */
static void carve(struct vmk_phys_seg *s, uint64_t st, uint64_t n, unsigned int state,
		  unsigned int flags, unsigned int memattr)
{
	struct vmk_phys_domain *dm = &G.dom[s->domain];
	struct vmk_phys_pool *pl = seg_pool(s);
	uint64_t e = st + n, first = 0, last = 0, pfn = st;
	bool one = true;

	while (pfn < e) {
		struct vmk_page *h = vmk_phys__free_head(s, pfn);
		uint64_t hp = pg_pfn(h), k = h->order;

		if (one)
			first = hp;
		one = false;
		vmk_phys__fl_remove(pl, h, (unsigned int)k);
		pfn = hp + pow2((unsigned int)k);
		last = pfn;
	}
	vmk_phys__take_records(seg_page(s, st), n, state, 0, 0, flags, memattr, dm->count);
	/* The parts of the first and last blocks outside the run go back. */
	vmk_phys__free_range(s, first, st);
	vmk_phys__free_range(s, e, last);
}

/*
 * Initialise up to max lazy free chunks of pool (d, q) meeting [lo, hi).
 * Lock held. Returns the chunks initialised.
 */
static uint64_t lazy_in_range(unsigned int d, unsigned int q, uint64_t lo, uint64_t hi,
			      uint64_t max)
{
	struct vmk_phys_pool *pl = &G.dom[d].pools[q];
	uint64_t done = 0;

	for (unsigned int i = 0; i < G.nsegs && done < max && pl->lazy_free; i++) {
		struct vmk_phys_seg *s = &G.segs[i];
		uint64_t a = VMK_MAX(lo, s->start_pfn), b = VMK_MIN(hi, s->end_pfn), c0, c1;

		if (!(pl->segmask & ((uint64_t)1 << i)) || s->lazy_count == 0 || a >= b)
			continue;
		c0 = a / PHYS_CHUNK_PAGES - s->first_chunk;
		c1 = (b - 1) / PHYS_CHUNK_PAGES - s->first_chunk;
		for (uint64_t c = c0; c <= c1 && done < max; c++) {
			uint64_t w = vmk_phys__lazy_free_word(s, c / 64) >> (c % 64), cp;

			if (w == 0) {	/* the rest of this bitmap word */
				c |= 63;
				continue;
			}
			c += vmk_ffs64(w);
			if (c > c1)
				break;
			cp = (s->first_chunk + c) * PHYS_CHUNK_PAGES;
			vmk_phys__materialise(s, cp, cp + 1);
			done++;
		}
	}
	return done;
}

/*
 * Initialise up to want lazy free chunks for request r in pool (d, q),
 * at most VMK_PHYS_LAZY_STEP per hold of the domain lock (held on entry
 * and on return; dropped between steps). Returns the chunks initialised.
 */
static uint64_t lazy_for_request(struct vmk_phys_domain *dm, unsigned int d, unsigned int q,
				 const struct contig_req *r, uint64_t want)
{
	uint64_t done = 0, n;

	while (done < want) {
		n = lazy_in_range(d, q, r->lo, r->hi, VMK_MIN(want - done, VMK_PHYS_LAZY_STEP));
		if (n == 0)
			break;
		done += n;
		if (done < want) {
			dom_unlock(dm);
			dom_lock(dm);
		}
	}
	return done;
}

struct vmk_page *vmk_page_alloc_contig(int domain, size_t npages, vmk_paddr_t low,
				       vmk_paddr_t high, vmk_paddr_t align,
				       vmk_paddr_t boundary, unsigned int memattr,
				       unsigned int flags)
{
	unsigned int state = (flags & VMK_ALLOC_PTP) ? VMK_PAGE_PTP : VMK_PAGE_ALLOC;
	struct contig_req r;
	unsigned int nd = G.ndomains, qtop, qbot;
	int d0 = vmk_phys__first_domain(domain);

	if (align == 0)
		align = VMK_PAGE_SIZE;
	if (npages == 0 || d0 < 0 || nd == 0 || memattr >= VMK_MEMATTR_COUNT || low >= high ||
	    !VMK_IS_POW2(align) || align < VMK_PAGE_SIZE ||
	    (boundary && (!VMK_IS_POW2(boundary) || boundary < VMK_PAGE_SIZE)) ||
	    npages > (UINT64_MAX >> VMK_PAGE_SHIFT))
		return NULL;
	r.npages = npages;
	r.lo = VMK_ALIGN_UP(low, VMK_PAGE_SIZE) >> VMK_PAGE_SHIFT;
	r.hi = high >> VMK_PAGE_SHIFT;
	r.align = align >> VMK_PAGE_SHIFT;
	r.bound = boundary >> VMK_PAGE_SHIFT;
	if (r.lo >= r.hi || (r.bound && npages > r.bound))
		return NULL;
	if (vmk_fault("phys.contig"))
		return NULL;
	if ((unsigned int)d0 >= nd) {
		if (flags & VMK_ALLOC_EXACT_DOMAIN)
			return NULL;
		d0 = 0;
	}
	qtop = vmk_phys__pool_of((r.hi - 1) << VMK_PAGE_SHIFT);
	qbot = vmk_phys__pool_of(r.lo << VMK_PAGE_SHIFT);
	for (int attempt = 0; attempt < 2; attempt++) {
		for (unsigned int i = 0; i < nd; i++) {
			unsigned int d = phys_dom_next((unsigned int)d0, i, nd);
			struct vmk_phys_domain *dm = &G.dom[d];

			if (i > 0 && (flags & VMK_ALLOC_EXACT_DOMAIN))
				break;
			for (unsigned int q = qtop; q <= qbot; q++) {
				struct vmk_phys_pool *pl = &dm->pools[q];
				struct vmk_phys_seg *s = NULL;
				uint64_t st = UINT64_MAX, batch;

				if (!pl->present || (q != qtop && (flags & VMK_ALLOC_EXACT_POOL)))
					continue;
				batch = (npages + r.align) / PHYS_CHUNK_PAGES + 2;
				dom_lock(dm);
				if (q == qtop || (flags & VMK_ALLOC_LOWMEM) ||
				    pl->listed + pl->lazy_free >= npages + pl->reserve) {
					for (;;) {
						st = search(d, q, &r, &s);
						if (st != UINT64_MAX ||
						    !lazy_for_request(dm, d, q, &r, batch))
							break;
						batch *= 2;
					}
				}
				if (st != UINT64_MAX)
					carve(s, st, npages, state, flags, memattr);
				dom_unlock(dm);
				if (st != UINT64_MAX) {
					struct vmk_page *p = seg_page(s, st);

					if (flags & VMK_ALLOC_ZERO)
						vmk_phys__zero(p, npages);
					return p;
				}
			}
		}
		if (attempt == 0)
			vmk_phys__shortage();
	}
	return NULL;
}
