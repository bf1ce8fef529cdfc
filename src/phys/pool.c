/*
 * Allocation policy: which domain and pool a request is served from, the
 * low-memory reserves, preparing allocated records, and freeing blocks.
 */
#include "phys_internal.h"

const char *vmk_pool_name(unsigned int pool)
{
	static const char *const names[VMK_NPOOLS] = { "DEFAULT", "DMA32", "DMA" };

	return pool < VMK_NPOOLS ? names[pool] : "?";
}

int vmk_phys__first_domain(int domain)
{
	unsigned int n = G.ndomains, cpu;
	struct vmk_phys_pcpu *pc;

	if (domain >= 0)
		return domain < VMK_MAX_DOMAINS ? domain : -1;
	if (domain == VMK_DOMAIN_LOCAL)
		return G.cpu_domain[phys_cpu()];
	if (domain != VMK_DOMAIN_RR || n == 0)
		return domain == VMK_DOMAIN_RR ? 0 : -1;
	cpu = phys_cpu();
	pc = &G.pcpu[cpu];
	for (unsigned int i = 0; i < n; i++) {
		unsigned int d = pc->rr++ % n;

		if (G.dom[d].present)
			return (int)d;
	}
	return 0;
}

int vmk_phys_domain_interleave(uint64_t index, unsigned int stripe_order)
{
	unsigned int with[VMK_MAX_DOMAINS], n = 0;

	for (unsigned int d = 0; d < G.ndomains; d++)
		if (G.dom[d].present)
			with[n++] = d;
	if (n == 0)
		return 0;
	if (stripe_order > 63)
		stripe_order = 63;
	return (int)with[(index >> stripe_order) % n];
}

int vmk_phys_set_lowmem_reserve(unsigned int domain, unsigned int pool, uint64_t pages)
{
	struct vmk_phys_domain *dm;

	if (domain >= VMK_MAX_DOMAINS || pool >= VMK_NPOOLS)
		return -VMK_EINVAL;
	phys_ready();
	dm = &G.dom[domain];
	dom_lock(dm);
	/* Atomic: the per-CPU fast path reads it without the lock. */
	__atomic_store_n(&dm->pools[pool].reserve, pages, __ATOMIC_RELAXED);
	dm->pools[pool].reserve_fixed = true;
	dom_unlock(dm);
	return 0;
}

bool vmk_phys__fallback_ok(const struct vmk_phys_pool *pl, unsigned int from, unsigned int pool,
			   unsigned int order, unsigned int flags)
{
	if (pool == from || (flags & VMK_ALLOC_LOWMEM))
		return true;
	return pl->listed + pl->lazy_free >= pow2(order) + pl->reserve;
}

void vmk_phys__zero(struct vmk_page *p, uint64_t n)
{
	vmk_paddr_t pa = vmk_page_to_pa(p);

	for (uint64_t i = 0; i < n; i++) {
		void *v = vmk_phys_to_virt(pa + i * VMK_PAGE_SIZE);

		VMK_VERIFY(v != NULL, "allocated frame %llx is reachable through the direct map",
			   (unsigned long long)(pa + i * VMK_PAGE_SIZE));
		vmk_memset(v, 0, VMK_PAGE_SIZE);
	}
}

void vmk_phys__free_refused(const struct vmk_page *p)
{
	unsigned int st = pg_state(p);

	VMK_VERIFY(st != VMK_PAGE_NOFREE,
		   "NOFREE page %llx freed through the ordinary free path (use vmk_page_nofree_return)",
		   (unsigned long long)vmk_page_to_pa(p));
	VMK_VERIFY(st == VMK_PAGE_ALLOC || st == VMK_PAGE_PTP,
		   "freed page %llx is allocated (state %s: double free?)",
		   (unsigned long long)vmk_page_to_pa(p), vmk_page_state_name(st));
	VMK_VERIFY(p->md_pv == 0, "freed page %llx is off every reverse-map list (md_pv 0)",
		   (unsigned long long)vmk_page_to_pa(p));
	vmk_panic("page %llx cannot be freed", (unsigned long long)vmk_page_to_pa(p));
}

/* Frames of a freed block go FREE (or BAD if pending), then to the lists. Lock held. */
static void free_locked(struct vmk_phys_domain *dm, struct vmk_page *p, uint64_t n)
{
	struct vmk_phys_seg *s = pg_seg(p);
	uint64_t pfn = pg_pfn(p), run = 0;

	for (uint64_t i = 0; i <= n; i++) {
		if (i < n) {
			unsigned int st = pg_state(&p[i]);

			p[i].ref_count = 0;
			p[i].order = VMK_ORDER_NONE;
			if (!(pg_flags(&p[i]) & VMK_PGF_BADPEND)) {
				vmk_phys__set_state(&p[i], 1, st, VMK_PAGE_FREE, dm->count);
				run++;
				continue;
			}
			pg_set_flags(&p[i], pg_flags(&p[i]) & ~VMK_PGF_BADPEND);
			vmk_phys__set_state(&p[i], 1, st, VMK_PAGE_BAD, dm->count);
		}
		if (run)
			vmk_phys__free_range(s, pfn + i - run, pfn + i);
		run = 0;
	}
}

/* Fields of word 3 a free compares. */
#define W3_STATE	pg_w3_make(0xff, 0, 0, 0, 0, 0)
#define W3_FLAGS	pg_w3_make(0, 0, 0, 0xff, 0, 0)
#define W3_CHECK	pg_w3_make(0xff, 0xff, 0, 0xff, 0, 0)

/*
 * The common case of a free of n frames, domain lock held: every frame in
 * state st (ALLOC or PTP), off every reverse map, with no flag, every
 * frame after the first with order tail (and the first too if tail is 0:
 * a contiguous run). Then the records go FREE in one pass of whole words
 * (reference count 0, no order, the owner's md_flags and the memattr
 * cleared) and the run goes to the lists. Returns false, having changed nothing, if any frame
 * differs: the caller takes the per-frame path, which names the frame at
 * fault or retires a frame marked bad. The flags are stable here:
 * vmk_phys_add_bad() flags allocated frames under this lock.
 */
static bool free_fast_locked(struct vmk_phys_domain *dm, struct vmk_page *p, uint64_t n,
			     unsigned int st, unsigned int tail)
{
	const uint64_t want = pg_w3_make(st, tail, 0, 0, 0, 0);
	const uint64_t hmask = tail == 0 ? W3_CHECK : W3_STATE | W3_FLAGS;
	/* md_flags and memattr are phys's while the frame is free; flags were 0. */
	const uint64_t w3 = pg_w3_make(VMK_PAGE_FREE, VMK_ORDER_NONE, p->seg, 0, 0, 0);
	uint64_t diff, d1 = 0, i = 1;

	if (st != VMK_PAGE_ALLOC && st != VMK_PAGE_PTP)
		return false;
	/* The head's order is the caller's to check, unless every frame has order 0. */
	diff = ((pg_w3(p) & hmask) ^ (want & hmask)) | pg_w0(p);
	/* No branch per frame: the compares are or-ed together, two frames a step. */
	for (; i + 2 <= n; i += 2) {
		diff |= ((pg_w3(&p[i]) & W3_CHECK) ^ want) | pg_w0(&p[i]);
		d1 |= ((pg_w3(&p[i + 1]) & W3_CHECK) ^ want) | pg_w0(&p[i + 1]);
	}
	if (i < n)
		diff |= ((pg_w3(&p[i]) & W3_CHECK) ^ want) | pg_w0(&p[i]);
	if (diff | d1)
		return false;
	/* ref_count 0; aux is 0 outside NOFREE runs. */
	for (i = 0; i + 2 <= n; i += 2) {
		((rec_word *)(void *)&p[i])[2] = 0;
		pg_set_w3(&p[i], w3);
		((rec_word *)(void *)&p[i + 1])[2] = 0;
		pg_set_w3(&p[i + 1], w3);
	}
	if (i < n) {
		((rec_word *)(void *)&p[i])[2] = 0;
		pg_set_w3(&p[i], w3);
	}
	cnt_add(&dm->count[st], -(int64_t)n);
	cnt_add(&dm->count[VMK_PAGE_FREE], (int64_t)n);
	vmk_phys__free_range(pg_seg(p), pg_pfn(p), pg_pfn(p) + n);
	return true;
}

void vmk_phys__free_pages(struct vmk_page *p, unsigned int order)
{
	struct vmk_phys_domain *dm = pg_dom(p);
	uint64_t n = pow2(order);
	bool done = false;

	/* Poisoning fills each page before the lock: the per-frame path does. */
	if (VMK_LIKELY(!G.poison)) {
		dom_lock(dm);
		done = free_fast_locked(dm, p, n, pg_state(p), VMK_ORDER_NONE);
		dom_unlock(dm);
	}
	if (done)
		return;
	for (uint64_t i = 0; i < n; i++)
		vmk_phys__free_check(&p[i]);
	dom_lock(dm);
	free_locked(dm, p, n);
	dom_unlock(dm);
}

void vmk_page_free_order(struct vmk_page *p, unsigned int order)
{
	VMK_VERIFY(order < VMK_MAX_ORDER && p->order == order,
		   "block freed with order %u was allocated with order %u", order, p->order);
	if (order == 0) {
		vmk_page_free(p);
		return;
	}
	VMK_VERIFY((pg_pfn(p) & (pow2(order) - 1)) == 0, "freed block of order %u is aligned", order);
	vmk_phys__free_pages(p, order);
}

void vmk_page_free_contig(struct vmk_page *p, size_t npages)
{
	struct vmk_phys_seg *s;
	struct vmk_phys_domain *dm;
	bool done = false;

	if (npages == 0)
		return;
	s = pg_seg(p);
	dm = &G.dom[s->domain];
	VMK_VERIFY(pg_pfn(p) + npages <= s->end_pfn, "contiguous run of %zu pages stays in its segment",
		   npages);
	if (npages > 1 && VMK_LIKELY(!G.poison)) {
		dom_lock(dm);
		done = free_fast_locked(dm, p, npages, pg_state(p), 0);
		dom_unlock(dm);
		if (done)
			return;
	}
	for (size_t i = 0; i < npages; i++) {
		vmk_phys__free_check(&p[i]);
		VMK_VERIFY(p[i].order == 0, "page %zu of a contiguous run is order 0", i);
	}
	dom_lock(dm);
	if (npages == 1 && !(pg_flags(p) & VMK_PGF_BADPEND)) {
		/* One page straight to the lists: the uncached order-0 free. */
		p->ref_count = 0;
		vmk_phys__set_state(p, 1, pg_state(p), VMK_PAGE_FREE, dm->count);
		vmk_phys__free_block(s, pg_pfn(p), 0);
	} else {
		free_locked(dm, p, npages);
	}
	dom_unlock(dm);
}

/*
 * Records of FREE frames with no flag (the common case): checked in one
 * pass without a branch per frame, then written whole words from
 * registers. A flagged frame (a poisoned page to check) takes the
 * per-field pass.
 */
void vmk_phys__take_records(struct vmk_page *p, uint64_t n, unsigned int to, unsigned int head_order,
			    unsigned int tail_order, unsigned int flags, unsigned int memattr,
			    int64_t *cnt)
{
	const uint64_t mask = pg_w3_make(0xff, 0, 0, 0xff, 0, 0);
	const uint64_t want = pg_w3_make(VMK_PAGE_FREE, 0, 0, 0, 0, 0);
	uint32_t rc = (flags & VMK_ALLOC_WIRED) ? 1 : 0;
	uint64_t diff = 0, d1 = 0, i = 0;

	VMK_VERIFY(vmk_phys__moves[VMK_PAGE_FREE] & (1u << to),
		   "page state change free -> %s is not allowed", vmk_page_state_name(to));
	/* Two frames a step, two accumulators: the loop is the cost of a big block. */
	for (; i + 2 <= n; i += 2) {
		diff |= (pg_w3(&p[i]) & mask) ^ want;
		d1 |= (pg_w3(&p[i + 1]) & mask) ^ want;
	}
	if (i < n)
		diff |= (pg_w3(&p[i]) & mask) ^ want;
	if (VMK_LIKELY((diff | d1) == 0)) {
		/* aux is 0 (it is non-zero only in NOFREE runs); flags are 0. */
		const uint64_t w2 = pg_w2_make(rc, 0);
		const uint64_t w3 = pg_w3_make(to, tail_order, p->seg, 0, 0, memattr);

		for (i = 0; i + 2 <= n; i += 2) {
			pg_set_w012(&p[i], 0, 0, w2);
			pg_set_w3(&p[i], w3);
			pg_set_w012(&p[i + 1], 0, 0, w2);
			pg_set_w3(&p[i + 1], w3);
		}
		if (i < n) {
			pg_set_w012(&p[i], 0, 0, w2);
			pg_set_w3(&p[i], w3);
		}
	} else {
		for (i = 0; i < n; i++) {
			VMK_VERIFY(pg_state(&p[i]) == VMK_PAGE_FREE,
				   "page %p expected in state free, found %s", (void *)&p[i],
				   vmk_page_state_name(pg_state(&p[i])));
			__atomic_store_n(&p[i].state, (uint8_t)to, __ATOMIC_RELAXED);
			if (VMK_UNLIKELY(pg_flags(&p[i]) & VMK_PGF_POISON))
				vmk_phys__poison_check(&p[i]);
			p[i].md_pv = 0;
			p[i].owner = 0;
			p[i].ref_count = rc;
			p[i].order = (uint8_t)tail_order;
			p[i].md_flags = 0;
			p[i].memattr = (uint8_t)memattr;
		}
	}
	p->order = (uint8_t)head_order;
	cnt_add(&cnt[VMK_PAGE_FREE], -(int64_t)n);
	cnt_add(&cnt[to], (int64_t)n);
}

/*
 * Allocate 2^order frames from the first domain and pool that can give
 * them, in policy order; order 0 refills the per-CPU cache on the way.
 */
struct vmk_page *vmk_phys__alloc_slow(int domain, unsigned int pool, unsigned int order,
				      unsigned int flags)
{
	int d0 = vmk_phys__first_domain(domain);
	unsigned int nd = G.ndomains;
	unsigned int state = (flags & VMK_ALLOC_PTP) ? VMK_PAGE_PTP : VMK_PAGE_ALLOC;
	bool cache = order == 0 && !(flags & VMK_ALLOC_NOCACHE);

	if (d0 < 0 || pool >= VMK_NPOOLS || order >= VMK_MAX_ORDER || nd == 0)
		return NULL;
	if ((unsigned int)d0 >= nd) {
		/* A domain without memory: only the fallback can serve. */
		if (flags & VMK_ALLOC_EXACT_DOMAIN)
			return NULL;
		d0 = 0;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		for (unsigned int i = 0; i < nd; i++) {
			unsigned int d = phys_dom_next((unsigned int)d0, i, nd);
			struct vmk_phys_domain *dm = &G.dom[d];

			if (i > 0 && (flags & VMK_ALLOC_EXACT_DOMAIN))
				break;
			if (!dm->present)
				continue;
			for (unsigned int q = pool; q < VMK_NPOOLS; q++) {
				struct vmk_phys_pool *pl = &dm->pools[q];
				struct vmk_page *p = NULL;

				if (q > pool && (flags & VMK_ALLOC_EXACT_POOL))
					break;
				if (!pl->present)
					continue;
				if (cache) {
					p = vmk_phys__pcpu_refill(d, q, q != pool, flags);
					if (p)
						return p;
					continue;
				}
				dom_lock(dm);
				if (vmk_phys__fallback_ok(pl, pool, q, order, flags))
					p = vmk_phys__take_block(d, q, order);
				if (p)
					vmk_phys__take_records(p, pow2(order), state, order,
							       VMK_ORDER_NONE, flags,
							       VMK_MEMATTR_WB, dm->count);
				dom_unlock(dm);
				if (p) {
					if (flags & VMK_ALLOC_ZERO)
						vmk_phys__zero(p, pow2(order));
					return p;
				}
			}
		}
		if (attempt == 0)
			vmk_phys__shortage();
	}
	return NULL;
}

struct vmk_page *vmk_page_alloc_order(int domain, unsigned int pool, unsigned int order,
				      unsigned int flags)
{
	if (order == 0)
		return vmk_page_alloc(domain, pool, flags);
	if (vmk_fault("phys.alloc"))
		return NULL;
	return vmk_phys__alloc_slow(domain, pool, order, flags | VMK_ALLOC_NOCACHE);
}

uint64_t vmk_phys_free_pages(unsigned int domain, unsigned int pool)
{
	uint64_t n = 0;

	if (domain >= VMK_MAX_DOMAINS || pool >= VMK_NPOOLS || !G.ready)
		return 0;
	n = ucnt_get(&G.dom[domain].pools[pool].listed) +
	    ucnt_get(&G.dom[domain].pools[pool].lazy_free);
	for (unsigned int c = 0; c < VMK_MAX_CPUS; c++)
		n += __atomic_load_n(&G.pcpu[c].cache[domain][pool].count, __ATOMIC_RELAXED);
	return n;
}
