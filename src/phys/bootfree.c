/*
 * Bootstrap free: give a physical range that was never on the free lists
 * (kernel image slack, preloaded modules, boot-loader data) to the
 * allocator. The range may span segments and domains; it is claimed
 * whole before any of it is freed, so two overlapping calls cannot both
 * free the same frames, and no step holds a domain lock (interrupts
 * disabled) for more than VMK_PHYS_LAZY_STEP chunks' worth of frames.
 */
#include "phys_internal.h"

/*
 * A call first claims every frame of its range (VMK_PGF_BOOTFREE on a
 * RESERVED frame), then frees them; a frame already claimed or not
 * RESERVED fails the call, which drops its own claims. Nothing else
 * changes a RESERVED frame's state (the allocator never takes one; a bad
 * mark only sets BADPEND, which the free honours), so both passes run in
 * bounded steps, one domain lock held at a time, and of two overlapping
 * calls (on other CPUs, or one in an interrupt handler) only one frees.
 */

/* Frames per domain-lock hold: VMK_PHYS_LAZY_STEP chunks' worth. */
#define BOOTFREE_STEP	((uint64_t)VMK_PHYS_LAZY_STEP * PHYS_CHUNK_PAGES)

enum walk_op { CLAIM, UNCLAIM, FREE };

/* The pfns of [lo, hi) in segments. */
static uint64_t covered(uint64_t lo, uint64_t hi)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < G.nsegs; i++) {
		uint64_t a = VMK_MAX(lo, G.segs[i].start_pfn), b = VMK_MIN(hi, G.segs[i].end_pfn);

		if (a < b)
			n += b - a;
	}
	return n;
}

/* Is [pfn, pfn + chunk) a whole chunk inside [pfn, b)? */
static bool whole_chunk(uint64_t pfn, uint64_t b)
{
	return pfn % PHYS_CHUNK_PAGES == 0 && b - pfn >= PHYS_CHUNK_PAGES;
}

/* The end of the chunk holding pfn, or b if sooner. */
static uint64_t chunk_end(uint64_t pfn, uint64_t b)
{
	return VMK_MIN(b, VMK_ALIGN_DOWN(pfn, PHYS_CHUNK_PAGES) + PHYS_CHUNK_PAGES);
}

/*
 * Drop this call's claims on [a, b) of s: the lazy chunks it claimed
 * whole, and the flags of initialised frames. Lock held.
 */
static void step_unclaim(struct vmk_phys_seg *s, uint64_t a, uint64_t b)
{
	for (uint64_t pfn = a; pfn < b;) {
		uint64_t e = chunk_end(pfn, b);

		if (whole_chunk(pfn, b) && vmk_phys__chunk_lazy(s, pfn / PHYS_CHUNK_PAGES)) {
			vmk_phys__chunk_unclaim(s, pfn / PHYS_CHUNK_PAGES);
			pfn = e;
			continue;
		}
		for (; pfn < e; pfn++) {
			struct vmk_page *p = seg_page(s, pfn);

			pg_set_flags(p, pg_flags(p) & ~VMK_PGF_BOOTFREE);
		}
	}
}

/*
 * Claim every frame of [a, b) in s if all are RESERVED and unclaimed;
 * nothing if not. A whole lazy reserved chunk is claimed by its bits,
 * without initialising its records; the rest are initialised and flagged.
 * Returns true if claimed. Lock held.
 */
static bool step_claim(struct vmk_phys_seg *s, uint64_t a, uint64_t b)
{
	for (uint64_t pfn = a; pfn < b;) {
		uint64_t e = chunk_end(pfn, b), c = pfn / PHYS_CHUNK_PAGES;

		if (whole_chunk(pfn, b) && vmk_phys__chunk_lazy(s, c)) {
			if (!vmk_phys__chunk_claim(s, c)) {
				step_unclaim(s, a, pfn);
				return false;
			}
			pfn = e;
			continue;
		}
		vmk_phys__materialise(s, pfn, e);
		for (; pfn < e; pfn++) {
			struct vmk_page *p = seg_page(s, pfn);
			unsigned int f = pg_flags(p);

			if (pg_state(p) != VMK_PAGE_RESERVED || (f & VMK_PGF_BOOTFREE)) {
				step_unclaim(s, a, pfn);
				return false;
			}
			pg_set_flags(p, f | VMK_PGF_BOOTFREE);
		}
	}
	return true;
}

/* Free initialised [a, b) of s: bad (pending) frames become BAD, runs of the rest join the buddy lists. Lock held. */
static void free_frames(struct vmk_phys_seg *s, uint64_t a, uint64_t b)
{
	struct vmk_phys_domain *dm = &G.dom[s->domain];
	uint64_t run = 0;

	for (uint64_t pfn = a; pfn <= b; pfn++) {
		struct vmk_page *p = pfn < b ? seg_page(s, pfn) : NULL;

		if (p) {
			VMK_VERIFY(pg_flags(p) & VMK_PGF_BOOTFREE,
				   "bootstrap free frees only frames it claimed (pfn %llx)",
				   (unsigned long long)pfn);
			pg_set_flags(p, pg_flags(p) & ~VMK_PGF_BOOTFREE);
		}
		if (p && !(pg_flags(p) & VMK_PGF_BADPEND)) {
			vmk_phys__set_state(p, 1, VMK_PAGE_RESERVED, VMK_PAGE_FREE, dm->count);
			p->order = VMK_ORDER_NONE;
			run++;
			continue;
		}
		if (p) {
			pg_set_flags(p, pg_flags(p) & ~VMK_PGF_BADPEND);
			vmk_phys__set_state(p, 1, VMK_PAGE_RESERVED, VMK_PAGE_BAD, dm->count);
		}
		if (run)
			vmk_phys__free_range(s, pfn - run, pfn);
		run = 0;
	}
}

/*
 * Free [a, b) of s: a chunk still claimed whole becomes a lazy free chunk
 * (its records stay uninitialised); initialised frames go one by one.
 * Lock held.
 */
static void step_free(struct vmk_phys_seg *s, uint64_t a, uint64_t b)
{
	for (uint64_t pfn = a; pfn < b;) {
		uint64_t e = chunk_end(pfn, b);

		if (!whole_chunk(pfn, b) ||
		    !vmk_phys__chunk_free_claimed(s, pfn / PHYS_CHUNK_PAGES))
			free_frames(s, pfn, e);
		pfn = e;
	}
}

/*
 * Apply op to [lo, hi) in steps, stopping at stop_pfn (UNCLAIM: where the
 * claim failed). Returns false if a CLAIM step failed; *fail is its start.
 */
static bool walk(uint64_t lo, uint64_t hi, enum walk_op op, uint64_t stop_pfn, uint64_t *fail)
{
	for (unsigned int i = 0; i < G.nsegs; i++) {
		struct vmk_phys_seg *s = &G.segs[i];
		struct vmk_phys_domain *dm = &G.dom[s->domain];
		uint64_t a = VMK_MAX(lo, s->start_pfn), b = VMK_MIN(hi, s->end_pfn);

		for (uint64_t x = a; x < b; x += BOOTFREE_STEP) {
			uint64_t y = VMK_MIN(b, x + BOOTFREE_STEP);
			bool ok = true;

			if (op == UNCLAIM && x == stop_pfn)
				return true;
			dom_lock(dm);
			if (op == CLAIM)
				ok = step_claim(s, x, y);
			else if (op == UNCLAIM)
				step_unclaim(s, x, y);
			else
				step_free(s, x, y);
			dom_unlock(dm);
			if (!ok) {
				*fail = x;
				return false;
			}
		}
	}
	return true;
}

int vmk_phys_bootstrap_free(vmk_paddr_t base, vmk_paddr_t end)
{
	uint64_t lo = base >> VMK_PAGE_SHIFT, hi = end >> VMK_PAGE_SHIFT, fail = 0;

	if (base >= end || (base & VMK_PAGE_MASK) || (end & VMK_PAGE_MASK))
		return -VMK_EINVAL;
	if (covered(lo, hi) != hi - lo)
		return -VMK_ENOENT;
	if (!walk(lo, hi, CLAIM, 0, &fail)) {
		walk(lo, hi, UNCLAIM, fail, &fail);
		vmk_log(VMK_LOG_ERR, "phys: bootstrap free of a range with frames not reserved");
		return -VMK_EINVAL;
	}
	walk(lo, hi, FREE, 0, &fail);
	return 0;
}
