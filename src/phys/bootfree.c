/*
 * Bootstrap free: give a physical range that was never on the free lists
 * (kernel image slack, preloaded modules, boot-loader data) to the
 * allocator. The range may span segments; it is checked whole before
 * anything changes.
 */
#include "phys_internal.h"

/* Apply fn to each segment piece of [lo, hi) (pfns); returns pfns covered. */
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
		dom_lock(dm);
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
		dom_unlock(dm);
	}
	return covered;
}

/* True if every frame of [lo, hi) is RESERVED (initialising lazy records). */
static bool all_reserved(uint64_t lo, uint64_t hi)
{
	for (unsigned int i = 0; i < G.nsegs; i++) {
		struct vmk_phys_seg *s = &G.segs[i];
		struct vmk_phys_domain *dm = &G.dom[s->domain];
		uint64_t a = VMK_MAX(lo, s->start_pfn), b = VMK_MIN(hi, s->end_pfn);
		bool ok = true;

		if (a >= b)
			continue;
		dom_lock(dm);
		vmk_phys__materialise(s, a, b);
		for (uint64_t pfn = a; pfn < b && ok; pfn++)
			ok = pg_state(seg_page(s, pfn)) == VMK_PAGE_RESERVED;
		dom_unlock(dm);
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

	if (base >= end || (base & VMK_PAGE_MASK) || (end & VMK_PAGE_MASK))
		return -VMK_EINVAL;
	if (pieces(lo, hi, false) != hi - lo)
		return -VMK_ENOENT;
	if (!all_reserved(lo, hi))
		return -VMK_EINVAL;
	pieces(lo, hi, true);
	return 0;
}
