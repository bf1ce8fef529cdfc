/*
 * NOFREE: permanent allocations, gathered per domain in blocks imported
 * from the buddy allocator (2 MiB-aligned when possible) so they pin few
 * superpage-sized blocks. The pool is a list of runs of contiguous
 * NOFREE_POOL frames; a run's length is kept in its first and last
 * records (aux), so a page taken back joins its neighbours in O(1).
 * Runs never cross a 2 MiB-aligned unit, and inside a unit they are
 * maximal: no two runs touch (vmk_check_phys verifies it), which is what
 * lets vmk_phys__nofree_extract() find a run's head by walking down.
 * Domain lock held throughout.
 */
#include "phys_internal.h"

#define UNIT	pow2(VMK_PHYS_NOFREE_ORDER)

static void run_set(struct vmk_page *head, uint64_t len)
{
	head->aux = (uint32_t)len;
	head[len - 1].aux = (uint32_t)len;
}

/*
 * Make [pfn, pfn + n) of s (NOFREE_POOL, aux 0, on no list) a run, joined
 * with the runs touching it inside its unit.
 */
static void run_join(struct vmk_phys_domain *dm, struct vmk_phys_seg *s, uint64_t pfn, uint64_t n)
{
	uint64_t a = pfn, b = pfn + n;
	struct vmk_page *lh = NULL;

	if (pfn % UNIT != 0 && pfn > s->start_pfn &&
	    pg_state(seg_page(s, pfn - 1)) == VMK_PAGE_NOFREE_POOL) {
		struct vmk_page *lt = seg_page(s, pfn - 1);

		lh = lt - (lt->aux - 1);
		VMK_VERIFY(lh->aux == lt->aux, "NOFREE run before %llx keeps its length at both ends",
			   (unsigned long long)pfn);
		a = pg_pfn(lh);
		lt->aux = 0;
	}
	if (b % UNIT != 0 && b < s->end_pfn && pg_state(seg_page(s, b)) == VMK_PAGE_NOFREE_POOL) {
		struct vmk_page *rh = seg_page(s, b);
		uint64_t e = b + rh->aux;

		VMK_VERIFY(e <= s->end_pfn && seg_page(s, e - 1)->aux == rh->aux,
			   "NOFREE run at %llx keeps its length at both ends", (unsigned long long)b);
		seg_page(s, e - 1)->aux = 0;
		rh->aux = 0;
		vmk_list_del(&rh->plinks);
		b = e;
	}
	if (!lh)
		vmk_list_add(&dm->nofree_runs, &seg_page(s, pfn)->plinks);
	run_set(seg_page(s, a), b - a);
}

/* Import one block into d's pool: the biggest up to the unit, higher pools first. */
static bool nofree_import(unsigned int d, unsigned int flags, bool join)
{
	struct vmk_phys_domain *dm = &G.dom[d];

	if (vmk_fault("phys.nofree.import"))
		return false;
	for (int k = VMK_PHYS_NOFREE_ORDER; k >= 0; k--) {
		for (unsigned int q = 0; q < VMK_NPOOLS; q++) {
			struct vmk_phys_pool *pl = &dm->pools[q];
			struct vmk_page *h;
			uint64_t n = pow2((unsigned int)k);

			if (!pl->present || (q > 0 && (flags & VMK_ALLOC_EXACT_POOL)) ||
			    !vmk_phys__fallback_ok(pl, 0, q, (unsigned int)k, flags))
				continue;
			/* Only whole free blocks of order k or more (no lazy init for small ones). */
			if (!(pl->nonempty & ~(uint32_t)(pow2((unsigned int)k) - 1)) &&
			    (k != VMK_PHYS_NOFREE_ORDER || pl->lazy_free == 0))
				continue;
			h = vmk_phys__take_block(d, q, (unsigned int)k);
			if (!h)
				continue;
			vmk_phys__set_state(h, n, VMK_PAGE_FREE, VMK_PAGE_NOFREE_POOL, dm->count);
			for (uint64_t i = 0; i < n; i++)
				h[i].aux = 0;
			if (join) {
				run_join(dm, pg_seg(h), pg_pfn(h), n);
			} else {
				/* A batch's import, first on the list until the batch is decided. */
				run_set(h, n);
				vmk_list_add(&dm->nofree_runs, &h->plinks);
			}
			ucnt_add(&dm->nofree_avail, (int64_t)n);
			ucnt_add(&dm->nofree_imported, 1);
			return true;
		}
	}
	return false;
}

/* Give the first k runs (the blocks just imported) back to the buddy lists. */
static void nofree_unimport(unsigned int d, unsigned int k)
{
	struct vmk_phys_domain *dm = &G.dom[d];

	while (k-- > 0) {
		struct vmk_page *h = vmk_list_entry(dm->nofree_runs.next, struct vmk_page, plinks);
		uint64_t len = h->aux, pfn = pg_pfn(h);

		vmk_list_del(&h->plinks);
		h->aux = 0;
		h[len - 1].aux = 0;
		vmk_phys__set_state(h, len, VMK_PAGE_NOFREE_POOL, VMK_PAGE_FREE, dm->count);
		ucnt_add(&dm->nofree_avail, -(int64_t)len);
		ucnt_add(&dm->nofree_imported, -1);
		vmk_phys__free_range(pg_seg(h), pfn, pfn + len);
	}
}

/* Join the first k runs (a batch's imports) with their neighbours. */
static void nofree_join_imports(unsigned int d, unsigned int k)
{
	struct vmk_phys_domain *dm = &G.dom[d];
	struct vmk_list imports;

	/* Set the imports apart; a join may take one of them off this list too. */
	vmk_list_init(&imports);
	while (k-- > 0) {
		struct vmk_list *first = dm->nofree_runs.next;

		vmk_list_del(first);
		vmk_list_add_tail(&imports, first);
	}
	while (!vmk_list_empty(&imports)) {
		struct vmk_page *h = vmk_list_entry(imports.next, struct vmk_page, plinks);
		uint64_t len = h->aux;

		vmk_list_del(&h->plinks);
		h->aux = 0;
		h[len - 1].aux = 0;
		run_join(dm, pg_seg(h), pg_pfn(h), len);
	}
}

/* Take the last frame of the first run. */
static struct vmk_page *nofree_take(struct vmk_phys_domain *dm)
{
	struct vmk_page *h, *p;
	uint64_t len;

	if (vmk_list_empty(&dm->nofree_runs))
		return NULL;
	h = vmk_list_entry(dm->nofree_runs.next, struct vmk_page, plinks);
	len = h->aux;
	p = &h[len - 1];
	p->aux = 0;
	if (len == 1)
		vmk_list_del(&h->plinks);
	else
		run_set(h, len - 1);
	vmk_phys__set_state(p, 1, VMK_PAGE_NOFREE_POOL, VMK_PAGE_NOFREE, dm->count);
	ucnt_add(&dm->nofree_avail, -1);
	return p;
}

struct vmk_page *vmk_page_alloc_nofree(int domain, unsigned int flags)
{
	int d0 = vmk_phys__first_domain(domain);
	unsigned int nd = G.ndomains;

	if (d0 < 0 || nd == 0)
		return NULL;
	if (vmk_fault("phys.nofree"))
		return NULL;
	if ((unsigned int)d0 >= nd) {
		if (flags & VMK_ALLOC_EXACT_DOMAIN)
			return NULL;
		d0 = 0;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		for (unsigned int i = 0; i < nd; i++) {
			unsigned int d = phys_dom_next((unsigned int)d0, i, nd);
			struct vmk_phys_domain *dm = &G.dom[d];
			struct vmk_page *p;

			if (i > 0 && (flags & VMK_ALLOC_EXACT_DOMAIN))
				break;
			if (!dm->present)
				continue;
			dom_lock(dm);
			if (dm->nofree_avail == 0)
				nofree_import(d, flags, true);
			p = nofree_take(dm);
			dom_unlock(dm);
			if (p) {
				vmk_phys__prep_alloc(p, 1, 0, flags & ~VMK_ALLOC_WIRED, VMK_MEMATTR_WB);
				return p;
			}
		}
		if (attempt == 0)
			vmk_phys__shortage();
	}
	return NULL;
}

int vmk_page_alloc_nofree_batch(int domain, unsigned int flags, size_t n, struct vmk_page **pages)
{
	int d0 = vmk_phys__first_domain(domain);
	unsigned int nd = G.ndomains;

	if (n == 0 || !pages || d0 < 0)
		return -VMK_EINVAL;
	if (nd == 0 || vmk_fault("phys.nofree"))
		return -VMK_ENOMEM;
	if ((unsigned int)d0 >= nd) {
		if (flags & VMK_ALLOC_EXACT_DOMAIN)
			return -VMK_ENOMEM;
		d0 = 0;
	}
	for (unsigned int i = 0; i < nd; i++) {
		unsigned int d = phys_dom_next((unsigned int)d0, i, nd), imported = 0;
		struct vmk_phys_domain *dm = &G.dom[d];
		bool ok = true;

		if (i > 0 && (flags & VMK_ALLOC_EXACT_DOMAIN))
			break;
		if (!dm->present)
			continue;
		dom_lock(dm);
		while (dm->nofree_avail < n) {
			if (!nofree_import(d, flags, false)) {
				ok = false;
				break;
			}
			imported++;
		}
		if (!ok) {
			/* All or nothing: what this call imported goes back. */
			nofree_unimport(d, imported);
			dom_unlock(dm);
			continue;
		}
		nofree_join_imports(d, imported);
		for (size_t k = 0; k < n; k++)
			pages[k] = nofree_take(dm);
		dom_unlock(dm);
		for (size_t k = 0; k < n; k++)
			vmk_phys__prep_alloc(pages[k], 1, 0, flags & ~VMK_ALLOC_WIRED,
					     VMK_MEMATTR_WB);
		return 0;
	}
	return -VMK_ENOMEM;
}

void vmk_page_nofree_return(struct vmk_page *p)
{
	struct vmk_phys_seg *s = pg_seg(p);
	struct vmk_phys_domain *dm = &G.dom[s->domain];
	uint64_t pfn = pg_pfn(p);

	VMK_VERIFY(pg_state(p) == VMK_PAGE_NOFREE,
		   "vmk_page_nofree_return() takes a NOFREE page (page %llx is %s)",
		   (unsigned long long)(pfn << VMK_PAGE_SHIFT), vmk_page_state_name(pg_state(p)));
	VMK_ASSERT(p->md_pv == 0, "returned NOFREE page is off every reverse-map list");
	/* Taken back is freed: poisoned as vmk_phys__free_check() poisons the other frees. */
	if (VMK_UNLIKELY(G.poison))
		vmk_phys__poison_fill(p);
	dom_lock(dm);
	ucnt_add(&dm->nofree_returned, 1);
	p->ref_count = 0;
	p->order = VMK_ORDER_NONE;
	if (pg_flags(p) & VMK_PGF_BADPEND) {
		pg_set_flags(p, pg_flags(p) & ~VMK_PGF_BADPEND);
		vmk_phys__set_state(p, 1, VMK_PAGE_NOFREE, VMK_PAGE_BAD, dm->count);
		dom_unlock(dm);
		return;
	}
	vmk_phys__set_state(p, 1, VMK_PAGE_NOFREE, VMK_PAGE_NOFREE_POOL, dm->count);
	p->aux = 0;
	run_join(dm, s, pfn, 1);
	ucnt_add(&dm->nofree_avail, 1);
	dom_unlock(dm);
}

void vmk_phys__nofree_extract(struct vmk_phys_seg *s, uint64_t pfn)
{
	struct vmk_phys_domain *dm = &G.dom[s->domain];
	uint64_t a = pfn, b, len;
	struct vmk_page *h;

	/* Find the run's head: walk down inside the unit. */
	while (a % UNIT != 0 && a > s->start_pfn &&
	       pg_state(seg_page(s, a - 1)) == VMK_PAGE_NOFREE_POOL)
		a--;
	h = seg_page(s, a);
	len = h->aux;
	b = a + len;
	/* Always on: a wrong length here corrupts the pool silently. */
	VMK_VERIFY(pfn < b && seg_page(s, b - 1)->aux == len, "NOFREE run [%llx, %llx) is well formed",
		   (unsigned long long)a, (unsigned long long)b);
	h->aux = 0;
	seg_page(s, b - 1)->aux = 0;
	vmk_list_del(&h->plinks);
	if (pfn > a) {
		vmk_list_add(&dm->nofree_runs, &h->plinks);
		run_set(h, pfn - a);
	}
	if (pfn + 1 < b) {
		struct vmk_page *r = seg_page(s, pfn + 1);

		vmk_list_add(&dm->nofree_runs, &r->plinks);
		run_set(r, b - pfn - 1);
	}
	ucnt_add(&dm->nofree_avail, -1);
}
