/*
 * Segments, the page array and page <-> address conversion, lazy record
 * initialisation, and the state table.
 */
#include "phys_internal.h"

struct vmk_phys vmk_phys__g;

static const char *const state_names[VMK_PAGE_NSTATES] = {
	[VMK_PAGE_NONE] = "none",
	[VMK_PAGE_FREE] = "free",
	[VMK_PAGE_PCPU] = "pcpu",
	[VMK_PAGE_ALLOC] = "alloc",
	[VMK_PAGE_PTP] = "ptp",
	[VMK_PAGE_NOFREE] = "nofree",
	[VMK_PAGE_NOFREE_POOL] = "nofree-pool",
	[VMK_PAGE_RESERVED] = "reserved",
	[VMK_PAGE_BAD] = "bad",
};


const char *vmk_page_state_name(unsigned int state)
{
	return state < VMK_PAGE_NSTATES ? state_names[state] : "?";
}

void vmk_phys__init_records(struct vmk_page *p, uint64_t n, uint8_t seg, unsigned int st,
			    int64_t *cnt)
{
	const struct vmk_page t = {
		.state = (uint8_t)st, .order = VMK_ORDER_NONE, .seg = seg,
	};
	const rec_word *tw = (const rec_word *)(const void *)&t;
	const uint64_t w0 = tw[0], w1 = tw[1], w2 = tw[2], w3 = tw[3];
	rec_word *d = (rec_word *)(void *)p;

	/* Whole words from registers: this loop runs over every frame at an eager hand-over. */
	for (uint64_t i = 0; i < n; i++, d += 4) {
		d[0] = w0;
		d[1] = w1;
		d[2] = w2;
		d[3] = w3;
	}
	if (cnt)
		cnt_add(&cnt[st], (int64_t)n);
}

unsigned int vmk_phys__pool_of(vmk_paddr_t pa)
{
	if (pa < VMK_PHYS_DMA_END)
		return VMK_POOL_DMA;
	if (pa < VMK_PHYS_DMA32_END)
		return VMK_POOL_DMA32;
	return VMK_POOL_DEFAULT;
}

/* End of the pool piece that starts at pa. */
static vmk_paddr_t pool_piece_end(vmk_paddr_t pa, vmk_paddr_t end)
{
	if (pa < VMK_PHYS_DMA_END)
		return VMK_MIN(end, (vmk_paddr_t)VMK_PHYS_DMA_END);
	if (pa < VMK_PHYS_DMA32_END)
		return VMK_MIN(end, (vmk_paddr_t)VMK_PHYS_DMA32_END);
	return end;
}

static uint64_t seg_nchunks(uint64_t spfn, uint64_t epfn)
{
	return (epfn - 1) / PHYS_CHUNK_PAGES - spfn / PHYS_CHUNK_PAGES + 1;
}

uint64_t vmk_phys__seg_meta_bytes(vmk_paddr_t start, vmk_paddr_t end)
{
	uint64_t spfn = start >> VMK_PAGE_SHIFT, epfn = end >> VMK_PAGE_SHIFT;
	uint64_t words = (seg_nchunks(spfn, epfn) + 63) / 64;

	return (epfn - spfn) * sizeof(struct vmk_page) + 2 * words * sizeof(uint64_t);
}

size_t vmk_phys_seg_meta_size(vmk_paddr_t base, vmk_paddr_t end)
{
	uint64_t total = 0;

	if (base >= end || (base & VMK_PAGE_MASK) || (end & VMK_PAGE_MASK))
		return 0;
	for (vmk_paddr_t a = base; a < end;) {
		vmk_paddr_t e = pool_piece_end(a, end);

		total += vmk_phys__seg_meta_bytes(a, e);
		a = e;
	}
	return (size_t)total;
}

int vmk_phys__seg_insert(vmk_paddr_t start, vmk_paddr_t end, unsigned int domain, void *meta,
			 struct vmk_phys_seg **out)
{
	struct vmk_phys_seg *s;
	unsigned int i, pos;
	uint64_t words;

	if (G.nsegs == VMK_PHYS_MAX_SEGS)
		return -VMK_ENOSPC;
	for (i = 0; i < G.nsegs; i++)
		if (start < G.segs[i].end && G.segs[i].start < end)
			return -VMK_EEXIST;
	/* Keep segs[] sorted; records name their segment, so renumber. */
	for (pos = 0; pos < G.nsegs && G.segs[pos].start < start; pos++)
		;
	for (i = G.nsegs; i > pos; i--)
		G.segs[i] = G.segs[i - 1];
	G.nsegs++;
	s = &G.segs[pos];
	vmk_memset(s, 0, sizeof(*s));
	s->start = start;
	s->end = end;
	s->start_pfn = start >> VMK_PAGE_SHIFT;
	s->end_pfn = end >> VMK_PAGE_SHIFT;
	s->pages = meta;
	s->first_chunk = s->start_pfn / PHYS_CHUNK_PAGES;
	s->nchunks = seg_nchunks(s->start_pfn, s->end_pfn);
	words = (s->nchunks + 63) / 64;
	s->lazy_free = (uint64_t *)(void *)(s->pages + (s->end_pfn - s->start_pfn));
	s->lazy_resv = s->lazy_free + words;
	vmk_memset(s->lazy_free, 0, 2 * words * sizeof(uint64_t));
	s->meta_bytes = vmk_phys__seg_meta_bytes(start, end);
	s->domain = (uint8_t)domain;
	s->pool = (uint8_t)vmk_phys__pool_of(start);
	s->pc_off = (uint16_t)((char *)&G.pcpu[0].cache[domain][s->pool] - (char *)&G.pcpu[0]);
	for (i = 0; i < G.nsegs; i++) {
		struct vmk_phys_seg *t = &G.segs[i];

		if (t->index != i && t != s) {
			/* Renumbering a segment rewrites its records (set-up time only). */
			for (uint64_t k = 0; k < t->end_pfn - t->start_pfn; k++)
				if (!vmk_phys__chunk_lazy(t, (t->start_pfn + k) / PHYS_CHUNK_PAGES))
					t->pages[k].seg = (uint8_t)i;
		}
		t->index = (uint8_t)i;
	}
	*out = s;
	return 0;
}

void vmk_phys__segs_changed(void)
{
	vmk_paddr_t maxend = 0;
	unsigned int shift = PHYS_SECT_MIN_SHIFT, s = 0;

	G.ndomains = 0;
	for (unsigned int d = 0; d < VMK_MAX_DOMAINS; d++) {
		G.dom[d].present = 0;
		for (unsigned int p = 0; p < VMK_NPOOLS; p++) {
			G.dom[d].pools[p].present = 0;
			G.dom[d].pools[p].segmask = 0;
		}
	}
	for (unsigned int i = 0; i < G.nsegs; i++) {
		struct vmk_phys_seg *sg = &G.segs[i];
		struct vmk_phys_pool *pl = seg_pool(sg);
		uint64_t n = sg->end_pfn - sg->start_pfn;

		pl->present += n;
		pl->segmask |= (uint64_t)1 << i;
		G.dom[sg->domain].present += n;
		if (sg->domain + 1u > G.ndomains)
			G.ndomains = sg->domain + 1u;
		maxend = VMK_MAX(maxend, sg->end);
	}
	while (maxend > 0 && ((maxend - 1) >> shift) >= PHYS_SECT_ENTRIES)
		shift++;
	G.sect_shift = shift;
	for (unsigned int e = 0; e < PHYS_SECT_ENTRIES; e++) {
		vmk_paddr_t base = (vmk_paddr_t)e << shift;

		while (s < G.nsegs && G.segs[s].end <= base)
			s++;
		G.sect[e] = (uint8_t)s;
	}
	/* Low-memory reserves: a share of the memory of the higher pools. */
	for (unsigned int d = 0; d < VMK_MAX_DOMAINS; d++) {
		uint64_t higher = 0;

		for (unsigned int p = 0; p < VMK_NPOOLS; p++) {
			struct vmk_phys_pool *pl = &G.dom[d].pools[p];

			if (!pl->reserve_fixed)
				__atomic_store_n(&pl->reserve,
						 VMK_MIN(higher / VMK_PHYS_LOWMEM_RESERVE_RATIO,
							 pl->present / 2), __ATOMIC_RELAXED);
			higher += pl->present;
		}
	}
}

struct vmk_phys_seg *vmk_phys__pfn_seg(uint64_t pfn)
{
	vmk_paddr_t pa = pfn << VMK_PAGE_SHIFT;
	uint64_t e = pa >> G.sect_shift;
	unsigned int i;

	if (e >= PHYS_SECT_ENTRIES || (pa >> VMK_PAGE_SHIFT) != pfn)
		return NULL;
	for (i = G.sect[e]; i < G.nsegs && G.segs[i].end <= pa; i++)
		;
	if (i >= G.nsegs || pa < G.segs[i].start)
		return NULL;
	return &G.segs[i];
}

vmk_paddr_t vmk_page_to_pa(const struct vmk_page *p)
{
	return pg_pfn(p) << VMK_PAGE_SHIFT;
}

struct vmk_page *vmk_pa_to_page(vmk_paddr_t pa)
{
	uint64_t pfn = pa >> VMK_PAGE_SHIFT;
	struct vmk_phys_seg *s = vmk_phys__pfn_seg(pfn);

	if (!s)
		return NULL;
	if (VMK_UNLIKELY(__atomic_load_n(&s->lazy_count, __ATOMIC_ACQUIRE) != 0) &&
	    vmk_phys__chunk_lazy(s, pfn / PHYS_CHUNK_PAGES)) {
		struct vmk_phys_domain *dm = &G.dom[s->domain];

		dom_lock(dm);
		vmk_phys__materialise(s, pfn, pfn + 1);
		dom_unlock(dm);
	}
	return seg_page(s, pfn);
}

/* ---- lazy chunks ---- */

static bool bit_get(const uint64_t *bm, uint64_t i)
{
	return (__atomic_load_n(&bm[i / 64], __ATOMIC_ACQUIRE) >> (i % 64)) & 1;
}

static void bit_put(uint64_t *bm, uint64_t i, bool on)
{
	uint64_t w = __atomic_load_n(&bm[i / 64], __ATOMIC_RELAXED);

	w = on ? (w | ((uint64_t)1 << (i % 64))) : (w & ~((uint64_t)1 << (i % 64)));
	__atomic_store_n(&bm[i / 64], w, __ATOMIC_RELEASE);
}

bool vmk_phys__chunk_lazy(const struct vmk_phys_seg *s, uint64_t chunk)
{
	uint64_t i = chunk - s->first_chunk;

	if (chunk < s->first_chunk || i >= s->nchunks)
		return false;
	return bit_get(s->lazy_free, i) || bit_get(s->lazy_resv, i);
}

void vmk_phys__set_lazy(struct vmk_phys_seg *s, uint64_t chunk, bool free)
{
	uint64_t i = chunk - s->first_chunk;
	struct vmk_phys_domain *dm = &G.dom[s->domain];

	VMK_ASSERT(chunk * PHYS_CHUNK_PAGES >= s->start_pfn &&
		   (chunk + 1) * PHYS_CHUNK_PAGES <= s->end_pfn,
		   "a lazy chunk lies inside its segment");
	bit_put(free ? s->lazy_free : s->lazy_resv, i, true);
	__atomic_store_n(&s->lazy_count, s->lazy_count + 1, __ATOMIC_RELEASE);
	cnt_add(&dm->count[free ? VMK_PAGE_FREE : VMK_PAGE_RESERVED], (int64_t)PHYS_CHUNK_PAGES);
	if (free)
		ucnt_add(&seg_pool(s)->lazy_free, (int64_t)PHYS_CHUNK_PAGES);
}

bool vmk_phys__chunk_claim(struct vmk_phys_seg *s, uint64_t chunk)
{
	uint64_t i = chunk - s->first_chunk;

	if (chunk < s->first_chunk || i >= s->nchunks || !bit_get(s->lazy_resv, i) ||
	    bit_get(s->lazy_free, i))
		return false;
	bit_put(s->lazy_free, i, true);
	return true;
}

void vmk_phys__chunk_unclaim(struct vmk_phys_seg *s, uint64_t chunk)
{
	uint64_t i = chunk - s->first_chunk;

	if (chunk >= s->first_chunk && i < s->nchunks && bit_get(s->lazy_resv, i))
		bit_put(s->lazy_free, i, false);
}

bool vmk_phys__chunk_free_claimed(struct vmk_phys_seg *s, uint64_t chunk)
{
	uint64_t i = chunk - s->first_chunk;
	struct vmk_phys_domain *dm = &G.dom[s->domain];

	if (chunk < s->first_chunk || i >= s->nchunks || !bit_get(s->lazy_resv, i) ||
	    !bit_get(s->lazy_free, i))
		return false;
	bit_put(s->lazy_resv, i, false);
	cnt_add(&dm->count[VMK_PAGE_RESERVED], -(int64_t)PHYS_CHUNK_PAGES);
	cnt_add(&dm->count[VMK_PAGE_FREE], (int64_t)PHYS_CHUNK_PAGES);
	ucnt_add(&seg_pool(s)->lazy_free, (int64_t)PHYS_CHUNK_PAGES);
	return true;
}

/* Initialise lazy chunk i (relative) of s. */
static void materialise_chunk(struct vmk_phys_seg *s, uint64_t i)
{
	uint64_t pfn = (s->first_chunk + i) * PHYS_CHUNK_PAGES;
	struct vmk_page *p = seg_page(s, pfn);
	bool resv = bit_get(s->lazy_resv, i);
	bool free = !resv;

	vmk_phys__init_records(p, PHYS_CHUNK_PAGES, s->index,
			       free ? VMK_PAGE_FREE : VMK_PAGE_RESERVED, NULL);
	if (resv && bit_get(s->lazy_free, i)) {
		/* Claimed by a bootstrap free in progress: the claim moves to the records. */
		for (uint64_t k = 0; k < PHYS_CHUNK_PAGES; k++)
			p[k].flags = VMK_PGF_BOOTFREE;
		bit_put(s->lazy_free, i, false);
	}
	/* Clearing the bit publishes the records (release). */
	bit_put(free ? s->lazy_free : s->lazy_resv, i, false);
	__atomic_store_n(&s->lazy_count, s->lazy_count - 1, __ATOMIC_RELEASE);
	if (free) {
		ucnt_add(&seg_pool(s)->lazy_free, -(int64_t)PHYS_CHUNK_PAGES);
		vmk_phys__fl_insert(seg_pool(s), p, PHYS_CHUNK_ORDER);
	}
}

uint64_t vmk_phys__materialise(struct vmk_phys_seg *s, uint64_t lo, uint64_t hi)
{
	uint64_t done = 0, c0, c1;

	if (s->lazy_count == 0 || lo >= hi)
		return 0;
	lo = VMK_MAX(lo, s->start_pfn);
	hi = VMK_MIN(hi, s->end_pfn);
	if (lo >= hi)
		return 0;
	c0 = lo / PHYS_CHUNK_PAGES - s->first_chunk;
	c1 = (hi - 1) / PHYS_CHUNK_PAGES - s->first_chunk;
	for (uint64_t i = c0; i <= c1 && s->lazy_count; i++) {
		/* Skip whole empty bitmap words quickly. */
		if (i % 64 == 0 && i + 63 <= c1 && s->lazy_free[i / 64] == 0 &&
		    s->lazy_resv[i / 64] == 0) {
			i += 63;
			continue;
		}
		if (bit_get(s->lazy_free, i) || bit_get(s->lazy_resv, i)) {
			materialise_chunk(s, i);
			done += PHYS_CHUNK_PAGES;
		}
	}
	return done;
}

bool vmk_phys__materialise_one(unsigned int d, unsigned int pool)
{
	struct vmk_phys_pool *pl = &G.dom[d].pools[pool];

	if (pl->lazy_free == 0)
		return false;
	for (unsigned int n = 0; n <= G.nsegs; n++) {
		unsigned int si = (pl->lazy_seg + n) % G.nsegs;
		struct vmk_phys_seg *s = &G.segs[si];
		uint64_t i = (n == 0) ? pl->lazy_chunk : 0;

		if (!(pl->segmask & ((uint64_t)1 << si)) || s->lazy_count == 0)
			continue;
		for (; i < s->nchunks; i++) {
			uint64_t w = vmk_phys__lazy_free_word(s, i / 64) >> (i % 64);

			if (w == 0) {
				i |= 63;
				continue;
			}
			i += vmk_ffs64(w);
			if (i >= s->nchunks)
				break;
			materialise_chunk(s, i);
			pl->lazy_seg = si;
			pl->lazy_chunk = i + 1;
			return true;
		}
	}
	VMK_ASSERT(0, "pool lazy_free counter says %llu frames but no lazy chunk is left",
		   (unsigned long long)pl->lazy_free);
	return false;
}

uint64_t vmk_phys_lazy_init_all(void)
{
	uint64_t done = 0;

	for (unsigned int i = 0; i < G.nsegs; i++) {
		struct vmk_phys_seg *s = &G.segs[i];
		struct vmk_phys_domain *dm = &G.dom[s->domain];

		/* VMK_PHYS_LAZY_STEP chunks per lock hold: bounded time with interrupts off. */
		for (uint64_t c = 0; c < s->nchunks; c += VMK_PHYS_LAZY_STEP) {
			uint64_t lo = (s->first_chunk + c) * PHYS_CHUNK_PAGES;

			if (__atomic_load_n(&s->lazy_count, __ATOMIC_ACQUIRE) == 0)
				break;
			dom_lock(dm);
			done += vmk_phys__materialise(s, lo, lo + VMK_PHYS_LAZY_STEP * PHYS_CHUNK_PAGES);
			dom_unlock(dm);
		}
	}
	return done;
}

/* ---- set-up without memblock ---- */

/*
 * Every frame of a new segment RESERVED: whole chunks lazily (a bootstrap
 * free of them then only flips their bits), the partial chunks at the
 * ends as records.
 */
static void seg_add_records(struct vmk_phys_seg *s)
{
	uint64_t ca = VMK_ALIGN_UP(s->start_pfn, PHYS_CHUNK_PAGES);
	uint64_t cb = VMK_ALIGN_DOWN(s->end_pfn, PHYS_CHUNK_PAGES);
	int64_t *cnt = G.dom[s->domain].count;

	if (ca >= cb) {
		vmk_phys__init_records(s->pages, s->end_pfn - s->start_pfn, s->index,
				       VMK_PAGE_RESERVED, cnt);
		return;
	}
	vmk_phys__init_records(s->pages, ca - s->start_pfn, s->index, VMK_PAGE_RESERVED, cnt);
	for (uint64_t c = ca; c < cb; c += PHYS_CHUNK_PAGES)
		vmk_phys__set_lazy(s, c / PHYS_CHUNK_PAGES, false);
	vmk_phys__init_records(seg_page(s, cb), s->end_pfn - cb, s->index, VMK_PAGE_RESERVED, cnt);
}

int vmk_phys_seg_add(vmk_paddr_t base, vmk_paddr_t end, unsigned int domain, void *meta)
{
	unsigned int pieces = 0;
	char *m = meta;
	int err;

	phys_ready();
	if (!meta || base >= end || (base & VMK_PAGE_MASK) || (end & VMK_PAGE_MASK) ||
	    domain >= VMK_MAX_DOMAINS || ((uintptr_t)meta & 7))
		return -VMK_EINVAL;
	for (vmk_paddr_t a = base; a < end; a = pool_piece_end(a, end))
		pieces++;
	if (G.nsegs + pieces > VMK_PHYS_MAX_SEGS)
		return -VMK_ENOSPC;
	for (unsigned int i = 0; i < G.nsegs; i++)
		if (base < G.segs[i].end && G.segs[i].start < end)
			return -VMK_EEXIST;
	for (vmk_paddr_t a = base; a < end;) {
		vmk_paddr_t e = pool_piece_end(a, end);
		struct vmk_phys_seg *s;

		err = vmk_phys__seg_insert(a, e, domain, m, &s);
		VMK_VERIFY(err == 0, "segment insert after checks cannot fail (%d)", err);
		seg_add_records(s);
		m += s->meta_bytes;
		a = e;
	}
	vmk_phys__segs_changed();
	return 0;
}

void vmk_phys_reset(void)
{
	vmk_memset(&G, 0, sizeof(G));
	G.poison = VMK_PHYS_POISON;
	for (unsigned int d = 0; d < VMK_MAX_DOMAINS; d++) {
		vmk_list_init(&G.dom[d].nofree_runs);
		for (unsigned int p = 0; p < VMK_NPOOLS; p++)
			for (unsigned int o = 0; o < VMK_MAX_ORDER; o++)
				vmk_list_init(&G.dom[d].pools[p].fl[o]);
	}
	G.sect_shift = PHYS_SECT_MIN_SHIFT;
	G.ready = true;
}

void vmk_phys_set_cpu_domain(unsigned int cpu, unsigned int domain)
{
	if (cpu < VMK_MAX_CPUS && domain < VMK_MAX_DOMAINS)
		G.cpu_domain[cpu] = (uint8_t)domain;
}
