/*
 * Bulk allocation and free of order-0 pages: the per-CPU cache first, the
 * rest with one lock acquisition per domain, so the per-page cost is a
 * list operation and a record update.
 */
#include "phys_internal.h"

size_t vmk_page_alloc_bulk(int domain, unsigned int pool, unsigned int flags, size_t n,
			   struct vmk_page **pages)
{
	unsigned int state = (flags & VMK_ALLOC_PTP) ? VMK_PAGE_PTP : VMK_PAGE_ALLOC;
	int d0 = vmk_phys__first_domain(domain);
	unsigned int nd = G.ndomains;
	size_t got = 0;

	if (n == 0 || !pages || pool >= VMK_NPOOLS || d0 < 0 || nd == 0)
		return 0;
	if (vmk_fault("phys.bulk"))
		return 0;
	if ((unsigned int)d0 >= nd) {
		if (flags & VMK_ALLOC_EXACT_DOMAIN)
			return 0;
		d0 = 0;
	}
	for (int attempt = 0; attempt < 2 && got < n; attempt++) {
		for (unsigned int i = 0; i < nd && got < n; i++) {
			unsigned int d = phys_dom_next((unsigned int)d0, i, nd);
			struct vmk_phys_domain *dm = &G.dom[d];

			if (i > 0 && (flags & VMK_ALLOC_EXACT_DOMAIN))
				break;
			for (unsigned int q = pool; q < VMK_NPOOLS && got < n; q++) {
				struct vmk_phys_pool *pl = &dm->pools[q];
				struct vmk_page *stack = NULL;
				uint64_t want = n - got;
				size_t first = got;

				if (q > pool && (flags & VMK_ALLOC_EXACT_POOL))
					break;
				if (!pl->present)
					continue;
				if (!(flags & VMK_ALLOC_NOCACHE) && q == pool)
					got += vmk_phys__pcpu_take(d, q, flags, want, pages + got);
				want = n - got;
				if (want == 0)
					goto prep;
				dom_lock(dm);
				if (q != pool && !(flags & VMK_ALLOC_LOWMEM)) {
					uint64_t avail = pl->listed + pl->lazy_free;

					want = avail > pl->reserve ? VMK_MIN(want, avail - pl->reserve) : 0;
				}
				vmk_phys__take_pages(d, q, want, &stack, state);
				for (; stack; stack = stack->pcpu_next)
					pages[got++] = stack;
				dom_unlock(dm);
prep:
				for (size_t k = first; k < got; k++)
					vmk_phys__prep_alloc(pages[k], 1, 0, flags, VMK_MEMATTR_WB);
			}
		}
		if (got < n && attempt == 0)
			vmk_phys__shortage();
	}
	return got;
}

void vmk_page_free_bulk(struct vmk_page **pages, size_t n)
{
	struct vmk_phys_domain *held = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		vmk_phys__free_check(pages[i]);
		VMK_VERIFY(pages[i]->order == 0, "bulk free takes order-0 pages (page %zu heads order %u)",
			   i, pages[i]->order);
	}
	i = vmk_phys__pcpu_put(pages, n);
	for (; i < n; i++) {
		struct vmk_page *p = pages[i];
		struct vmk_phys_domain *dm = pg_dom(p);
		unsigned int st = pg_state(p);

		if (dm != held) {
			if (held)
				dom_unlock(held);
			dom_lock(dm);
			held = dm;
		}
		p->ref_count = 0;
		p->order = VMK_ORDER_NONE;
		if (pg_flags(p) & VMK_PGF_BADPEND) {
			pg_set_flags(p, pg_flags(p) & ~VMK_PGF_BADPEND);
			vmk_phys__set_state(p, 1, st, VMK_PAGE_BAD, dm->count);
			continue;
		}
		vmk_phys__set_state(p, 1, st, VMK_PAGE_FREE, dm->count);
		vmk_phys__free_block(pg_seg(p), pg_pfn(p), 0);
	}
	if (held)
		dom_unlock(held);
}
