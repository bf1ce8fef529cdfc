/*
 * Bootstrap free: give a physical range that was never on the free lists
 * (kernel image slack, preloaded modules, boot-loader data) to the
 * allocator. The range may span segments and domains; it is checked and
 * freed under one hold of every domain lock it touches (taken in domain
 * order, and nothing else holds two), so two overlapping calls cannot
 * both pass the check and free the same frames twice.
 */
#include "phys_internal.h"

/*
 * Each segment piece of [lo, hi) (pfns): count it, or (apply) free it.
 * Returns the pfns covered. The domain locks are held.
 */
static uint64_t pieces(uint64_t lo, uint64_t hi, bool apply)
{
	uint64_t covered = 0;

	for (unsigned int i = 0; i < G.nsegs; i++) {
		struct vmk_phys_seg *s = &G.segs[i];
		struct vmk_phys_domain *dm = &G.dom[s->domain];
		uint64_t a = VMK_MAX(lo, s->start_pfn), b = VMK_MIN(hi, s->end_pfn), run = 0;

		if (a >= b)
			continue;
		covered += b - a;
		if (!apply)
			continue;
		vmk_phys__materialise(s, a, b);
		for (uint64_t pfn = a; pfn <= b; pfn++) {
			struct vmk_page *p = pfn < b ? seg_page(s, pfn) : NULL;

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
	return covered;
}

/* True if every frame of [lo, hi) is RESERVED (initialising lazy records). Locks held. */
static bool all_reserved(uint64_t lo, uint64_t hi)
{
	for (unsigned int i = 0; i < G.nsegs; i++) {
		struct vmk_phys_seg *s = &G.segs[i];
		uint64_t a = VMK_MAX(lo, s->start_pfn), b = VMK_MIN(hi, s->end_pfn);
		bool ok = true;

		if (a >= b)
			continue;
		vmk_phys__materialise(s, a, b);
		for (uint64_t pfn = a; pfn < b && ok; pfn++)
			ok = pg_state(seg_page(s, pfn)) == VMK_PAGE_RESERVED;
		if (!ok) {
			vmk_log(VMK_LOG_ERR, "phys: bootstrap free of a range with frames not reserved");
			return false;
		}
	}
	return true;
}

int vmk_phys_bootstrap_free(vmk_paddr_t base, vmk_paddr_t end)
{
	uint64_t lo = base >> VMK_PAGE_SHIFT, hi = end >> VMK_PAGE_SHIFT;
	bool dom[VMK_MAX_DOMAINS] = { false };
	int err = 0;

	if (base >= end || (base & VMK_PAGE_MASK) || (end & VMK_PAGE_MASK))
		return -VMK_EINVAL;
	for (unsigned int i = 0; i < G.nsegs; i++)
		if (lo < G.segs[i].end_pfn && G.segs[i].start_pfn < hi)
			dom[G.segs[i].domain] = true;
	for (unsigned int d = 0; d < VMK_MAX_DOMAINS; d++)
		if (dom[d])
			dom_lock(&G.dom[d]);
	if (pieces(lo, hi, false) != hi - lo) {
		err = -VMK_ENOENT;
	} else if (!all_reserved(lo, hi)) {
		err = -VMK_EINVAL;
	} else {
		pieces(lo, hi, true);
	}
	for (unsigned int d = VMK_MAX_DOMAINS; d-- > 0;)
		if (dom[d])
			dom_unlock(&G.dom[d]);
	return err;
}
