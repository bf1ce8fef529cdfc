/*
 * vmk_check_phys(): recount everything and compare with the structures
 * and counters. Quiescent: no other CPU may be inside the allocator.
 */
#include "phys_internal.h"

#define CHECK(cond, ...) VMK_VERIFY(cond, __VA_ARGS__)

static uint64_t popcount_bits(const uint64_t *bm, uint64_t n)
{
	uint64_t c = 0;

	for (uint64_t i = 0; i < (n + 63) / 64; i++)
		c += vmk_popcount64(bm[i]);
	return c;
}

static void check_segments(void)
{
	for (unsigned int i = 0; i < G.nsegs; i++) {
		const struct vmk_phys_seg *s = &G.segs[i];
		uint64_t nf, nr;

		CHECK(s->index == i, "segment %u knows its index", i);
		CHECK(s->start < s->end && s->start_pfn << VMK_PAGE_SHIFT == s->start &&
		      s->end_pfn << VMK_PAGE_SHIFT == s->end, "segment %u is a page-aligned range", i);
		CHECK(i == 0 || G.segs[i - 1].end <= s->start, "segments %u and %u are sorted and disjoint",
		      i - 1, i);
		CHECK(s->pool == vmk_phys__pool_of(s->start) &&
		      s->pool == vmk_phys__pool_of(s->end - 1), "segment %u lies in one pool", i);
		CHECK(s->domain < G.ndomains, "segment %u has a domain below ndomains", i);
		CHECK(vmk_phys__pfn_seg(s->start_pfn) == s && vmk_phys__pfn_seg(s->end_pfn - 1) == s,
		      "the section table finds segment %u", i);
		nf = popcount_bits(s->lazy_free, s->nchunks);
		nr = popcount_bits(s->lazy_resv, s->nchunks);
		CHECK(nf + nr == s->lazy_count, "segment %u lazy_count equals its lazy bits", i);
		for (uint64_t w = 0; w < (s->nchunks + 63) / 64; w++)
			CHECK((s->lazy_free[w] & s->lazy_resv[w]) == 0,
			      "a lazy chunk of segment %u is free or reserved, not both", i);
	}
}

/* Free lists of one pool; returns the frames listed. */
static uint64_t check_pool(unsigned int d, unsigned int q)
{
	const struct vmk_phys_pool *pl = &G.dom[d].pools[q];
	uint64_t listed = 0, lazy = 0;

	for (unsigned int k = 0; k < VMK_MAX_ORDER; k++) {
		const struct vmk_list *it;
		uint64_t n = 0;

		vmk_list_foreach(it, &pl->fl[k]) {
			const struct vmk_page *h = vmk_list_entry(it, struct vmk_page, plinks);
			const struct vmk_phys_seg *s = pg_seg(h);
			uint64_t pfn = pg_pfn(h);

			CHECK(n <= ucnt_get(&pl->nblocks[k]), "free list d%u/%s/order %u is not longer than counted",
			      d, vmk_pool_name(q), k);
			CHECK(it->next->prev == it && it->prev->next == it,
			      "free list d%u/%s/order %u is linked both ways at block %llx", d,
			      vmk_pool_name(q), k, (unsigned long long)pfn);
			CHECK(s->domain == d && s->pool == q, "free block %llx is on its own domain and pool list",
			      (unsigned long long)pfn);
			CHECK(pg_state(h) == VMK_PAGE_FREE && h->order == k,
			      "free block %llx on the order-%u list is FREE with order %u (has %s, %u)",
			      (unsigned long long)pfn, k, k, vmk_page_state_name(pg_state(h)), h->order);
			CHECK((pfn & (pow2(k) - 1)) == 0, "free block %llx of order %u is aligned",
			      (unsigned long long)pfn, k);
			CHECK(pfn + pow2(k) <= s->end_pfn, "free block %llx stays in its segment",
			      (unsigned long long)pfn);
			CHECK(!vmk_phys__chunk_lazy(s, pfn / PHYS_CHUNK_PAGES),
			      "free block %llx is not in a lazy chunk", (unsigned long long)pfn);
			for (uint64_t i = 1; i < pow2(k); i++)
				CHECK(pg_state(&h[i]) == VMK_PAGE_FREE && h[i].order == VMK_ORDER_NONE,
				      "frame %llu of free block %llx is a FREE tail", (unsigned long long)i,
				      (unsigned long long)pfn);
			n++;
			listed += pow2(k);
		}
		CHECK(n == ucnt_get(&pl->nblocks[k]), "block count of d%u/%s/order %u matches its list",
		      d, vmk_pool_name(q), k);
		CHECK(((pl->nonempty >> k) & 1) == (n != 0),
		      "non-empty bitmap bit of d%u/%s/order %u matches the list", d, vmk_pool_name(q), k);
	}
	CHECK(listed == ucnt_get(&pl->listed), "listed frame counter of d%u/%s matches the lists", d,
	      vmk_pool_name(q));
	for (unsigned int i = 0; i < G.nsegs; i++)
		if (pl->segmask & ((uint64_t)1 << i))
			lazy += popcount_bits(G.segs[i].lazy_free, G.segs[i].nchunks) * PHYS_CHUNK_PAGES;
	CHECK(lazy == ucnt_get(&pl->lazy_free), "lazy free counter of d%u/%s matches the bitmaps", d,
	      vmk_pool_name(q));
	CHECK(pl->nonempty < (1u << VMK_MAX_ORDER), "bitmap of d%u/%s has no bit beyond the orders", d,
	      vmk_pool_name(q));
	return listed;
}

static uint64_t check_caches(unsigned int d, unsigned int q)
{
	uint64_t total = 0;

	for (unsigned int c = 0; c < VMK_MAX_CPUS; c++) {
		const struct vmk_phys_pcache *pc = &G.pcpu[c].cache[d][q];
		uint64_t n = 0;

		for (const struct vmk_page *p = pc->head; p; p = p->pcpu_next) {
			CHECK(n < pc->count, "cache of CPU %u d%u/%s holds no more than its count", c, d,
			      vmk_pool_name(q));
			CHECK(pg_state(p) == VMK_PAGE_PCPU && pg_seg(p)->domain == d &&
			      pg_seg(p)->pool == q, "cached page of CPU %u is PCPU in d%u/%s", c, d,
			      vmk_pool_name(q));
			n++;
		}
		CHECK(n == pc->count, "cache of CPU %u d%u/%s holds its count", c, d, vmk_pool_name(q));
		total += n;
	}
	return total;
}

static uint64_t check_nofree(unsigned int d)
{
	const struct vmk_phys_domain *dm = &G.dom[d];
	const struct vmk_list *it;
	uint64_t total = 0, unit = pow2(VMK_PHYS_NOFREE_ORDER);

	vmk_list_foreach(it, &dm->nofree_runs) {
		const struct vmk_page *h = vmk_list_entry(it, struct vmk_page, plinks);
		const struct vmk_phys_seg *s = pg_seg(h);
		uint64_t len = h->aux, pfn = pg_pfn(h);

		CHECK(len >= 1 && pfn + len <= s->end_pfn && h[len - 1].aux == len,
		      "NOFREE run at %llx keeps its length in its first and last frames",
		      (unsigned long long)pfn);
		CHECK(pfn / unit == (pfn + len - 1) / unit, "NOFREE run at %llx stays in one unit",
		      (unsigned long long)pfn);
		CHECK(s->domain == d, "NOFREE run at %llx is in its domain", (unsigned long long)pfn);
		/* Joined: no run touches another inside a unit (extract relies on it). */
		CHECK(pfn % unit == 0 || pfn == s->start_pfn ||
		      pg_state(&h[-1]) != VMK_PAGE_NOFREE_POOL,
		      "NOFREE run at %llx is joined with the run before it", (unsigned long long)pfn);
		CHECK((pfn + len) % unit == 0 || pfn + len == s->end_pfn ||
		      pg_state(&h[len]) != VMK_PAGE_NOFREE_POOL,
		      "NOFREE run at %llx is joined with the run after it", (unsigned long long)pfn);
		for (uint64_t i = 0; i < len; i++) {
			CHECK(pg_state(&h[i]) == VMK_PAGE_NOFREE_POOL,
			      "frame %llu of the NOFREE run at %llx is NOFREE_POOL", (unsigned long long)i,
			      (unsigned long long)pfn);
			CHECK(i == 0 || i == len - 1 || h[i].aux == 0,
			      "inner frame %llu of the NOFREE run at %llx has aux 0", (unsigned long long)i,
			      (unsigned long long)pfn);
		}
		total += len;
		CHECK(total <= dm->nofree_avail, "NOFREE runs of d%u are not longer than counted", d);
	}
	CHECK(total == dm->nofree_avail, "NOFREE available counter of d%u matches its runs", d);
	return total;
}

void vmk_check_phys(void)
{
	static int64_t seen[VMK_MAX_DOMAINS][VMK_PAGE_NSTATES];
	static uint64_t free_in_pool[VMK_MAX_DOMAINS][VMK_NPOOLS];

	if (!G.ready)
		return;
	vmk_memset(seen, 0, sizeof(seen));
	vmk_memset(free_in_pool, 0, sizeof(free_in_pool));
	check_segments();
	for (unsigned int i = 0; i < G.nsegs; i++) {
		const struct vmk_phys_seg *s = &G.segs[i];

		for (uint64_t pfn = s->start_pfn; pfn < s->end_pfn;) {
			uint64_t c = pfn / PHYS_CHUNK_PAGES, ce = VMK_MIN((c + 1) * PHYS_CHUNK_PAGES, s->end_pfn);
			uint64_t ci = c - s->first_chunk;

			if ((s->lazy_free[ci / 64] >> (ci % 64)) & 1) {
				seen[s->domain][VMK_PAGE_FREE] += (int64_t)(ce - pfn);
				pfn = ce;
				continue;
			}
			if ((s->lazy_resv[ci / 64] >> (ci % 64)) & 1) {
				seen[s->domain][VMK_PAGE_RESERVED] += (int64_t)(ce - pfn);
				pfn = ce;
				continue;
			}
			for (; pfn < ce; pfn++) {
				const struct vmk_page *p = seg_page(s, pfn);
				unsigned int st = pg_state(p);

				CHECK(st > VMK_PAGE_NONE && st < VMK_PAGE_NSTATES,
				      "frame %llx has a valid state (%u)", (unsigned long long)pfn, st);
				CHECK(p->seg == i, "frame %llx names its segment", (unsigned long long)pfn);
				CHECK(st == VMK_PAGE_FREE || st == VMK_PAGE_ALLOC || st == VMK_PAGE_PTP ||
				      p->order == VMK_ORDER_NONE || st == VMK_PAGE_NOFREE,
				      "frame %llx in state %s heads no block", (unsigned long long)pfn,
				      vmk_page_state_name(st));
				/* PCPU: add_bad raced the lock-free free; the cache retires it. */
				CHECK(!(pg_flags(p) & VMK_PGF_BADPEND) || st == VMK_PAGE_ALLOC ||
				      st == VMK_PAGE_PTP || st == VMK_PAGE_NOFREE || st == VMK_PAGE_RESERVED ||
				      st == VMK_PAGE_PCPU,
				      "frame %llx pending bad is in use or in a per-CPU cache",
				      (unsigned long long)pfn);
				if (st == VMK_PAGE_FREE || st == VMK_PAGE_PCPU || st == VMK_PAGE_NOFREE_POOL)
					CHECK(p->ref_count == 0, "free frame %llx has no references",
					      (unsigned long long)pfn);
				CHECK(st == VMK_PAGE_NOFREE_POOL || p->aux == 0,
				      "frame %llx outside a NOFREE pool has aux 0", (unsigned long long)pfn);
				seen[s->domain][st]++;
				if (st == VMK_PAGE_FREE)
					free_in_pool[s->domain][s->pool]++;
			}
		}
	}
	for (unsigned int d = 0; d < VMK_MAX_DOMAINS; d++) {
		const struct vmk_phys_domain *dm = &G.dom[d];
		uint64_t cached = 0, present = 0;

		for (unsigned int q = 0; q < VMK_NPOOLS; q++) {
			uint64_t listed = check_pool(d, q);

			CHECK(listed == free_in_pool[d][q],
			      "every FREE frame of d%u/%s is in a listed block (%llu listed, %llu FREE)", d,
			      vmk_pool_name(q), (unsigned long long)listed,
			      (unsigned long long)free_in_pool[d][q]);
			cached += check_caches(d, q);
			present += dm->pools[q].present;
		}
		CHECK(present == dm->present, "present frames of d%u add up over its pools", d);
		CHECK(cached == (uint64_t)seen[d][VMK_PAGE_PCPU], "PCPU frames of d%u are all in caches", d);
		CHECK(check_nofree(d) == (uint64_t)seen[d][VMK_PAGE_NOFREE_POOL],
		      "NOFREE_POOL frames of d%u are all in runs", d);
		for (unsigned int st = 0; st < VMK_PAGE_NSTATES; st++) {
			int64_t c = dm->count[st];

			for (unsigned int cpu = 0; cpu < VMK_MAX_CPUS; cpu++) {
				c += G.pcpu[cpu].delta[d][st];
				if (st == VMK_PAGE_ALLOC)
					c += vmk_phys__pcpu_alloc_delta(cpu, d);
			}
			/* PCPU frames are counted by the caches (checked above). */
			if (st == VMK_PAGE_PCPU) {
				CHECK(c == 0, "no state counter counts PCPU frames in d%u", d);
				continue;
			}
			CHECK(c == seen[d][st], "counter of %s frames in d%u (%lld) matches a recount (%lld)",
			      vmk_page_state_name(st), d, (long long)c, (long long)seen[d][st]);
		}
	}
}
