/*
 * Hand-over from memblock (vmk_phys_init): segments from memory regions,
 * the page array from memblock, free ranges into the buddy lists in
 * maximal aligned blocks, reserved ranges kept, memblock's own arrays
 * freed last, and a boot report that accounts for every byte.
 *
 * Records are written in two passes: the first gives every frame of every
 * segment its state (or marks whole free/reserved 4 MiB chunks lazy; with
 * eager init it writes whole chunks' records and lists the free ones as
 * max-order blocks, which coalesce with nothing), the second puts the
 * other initialised free frames on the lists. Freeing those only once
 * every record is valid means a coalescing buddy lookup never reads an
 * uninitialised record.
 */
#include <vmkit/memblock.h>

#include "phys_internal.h"

struct plan {
	vmk_paddr_t start, end;
	unsigned int domain;
	vmk_paddr_t meta_pa;
	uint64_t meta_size;		/* whole pages */
	void *meta;
};

struct handover {
	struct vmk_memblock *mb;
	const struct vmk_phys_init_args *args;
	bool lazy;
	struct plan plan[VMK_PHYS_MAX_SEGS];
	unsigned int nplan;
	uint64_t free_frames, resv_frames, bad_frames, bad_resv, lazy_frames;
};

static struct handover H;

static int plan_add(vmk_paddr_t b, vmk_paddr_t e, unsigned int domain)
{
	while (b < e) {
		vmk_paddr_t pe = e;
		struct plan *last = H.nplan ? &H.plan[H.nplan - 1] : NULL;

		if (b < VMK_PHYS_DMA_END)
			pe = VMK_MIN(e, (vmk_paddr_t)VMK_PHYS_DMA_END);
		else if (b < VMK_PHYS_DMA32_END)
			pe = VMK_MIN(e, (vmk_paddr_t)VMK_PHYS_DMA32_END);
		if (last && last->end == b && last->domain == domain &&
		    vmk_phys__pool_of(last->start) == vmk_phys__pool_of(b)) {
			last->end = pe;
		} else {
			if (H.nplan == VMK_PHYS_MAX_SEGS) {
				vmk_log(VMK_LOG_ERR, "phys: more than %u segments (VMK_PHYS_MAX_SEGS)",
					VMK_PHYS_MAX_SEGS);
				return -VMK_ENOSPC;
			}
			H.plan[H.nplan++] = (struct plan){ .start = b, .end = pe, .domain = domain };
		}
		b = pe;
	}
	return 0;
}

static int plan_segments(void)
{
	const struct vmk_memblock_type *m = &H.mb->memory;

	for (size_t i = 0; i < m->cnt; i++) {
		const struct vmk_memblock_region *r = &m->regions[i];
		vmk_paddr_t b = VMK_ALIGN_UP(r->base, VMK_PAGE_SIZE);
		vmk_paddr_t e = VMK_ALIGN_DOWN(r->base + r->size, VMK_PAGE_SIZE);
		int err;

		if (r->flags & (VMK_MEMBLOCK_NOMAP | VMK_MEMBLOCK_DRIVER_MANAGED))
			continue;
		if (r->nid >= VMK_MAX_DOMAINS || r->nid < VMK_NUMA_NO_NODE) {
			vmk_log(VMK_LOG_ERR, "phys: memory region %zu is on node %d, beyond VMK_MAX_DOMAINS (%d)",
				i, r->nid, VMK_MAX_DOMAINS);
			return -VMK_EINVAL;
		}
		if (r->base + r->size < r->base || b >= e)
			continue;
		err = plan_add(b, e, r->nid < 0 ? 0 : (unsigned int)r->nid);
		if (err)
			return err;
	}
	return 0;
}

static void release_meta(void)
{
	for (unsigned int i = 0; i < H.nplan; i++)
		if (H.plan[i].meta_size)
			vmk_memblock_free(H.mb, H.plan[i].meta_pa, H.plan[i].meta_size);
}

static int alloc_meta(void)
{
	for (unsigned int i = 0; i < H.nplan; i++) {
		struct plan *p = &H.plan[i];
		uint64_t size = VMK_ALIGN_UP(vmk_phys__seg_meta_bytes(p->start, p->end), VMK_PAGE_SIZE);
		char *v, *last;
		int err;

		if (vmk_fault("phys.init.page_array")) {
			err = -VMK_ENOMEM;
		} else {
			err = vmk_memblock_alloc_range(H.mb, size, VMK_PAGE_SIZE, 0, VMK_PADDR_MAX,
						       (int)p->domain, 0, &p->meta_pa);
		}
		if (err) {
			vmk_log(VMK_LOG_ERR, "phys: no room in memblock for the %llu-byte page array of segment %u",
				(unsigned long long)size, i);
			release_meta();
			return err == -VMK_EINVAL ? -VMK_EINVAL : -VMK_ENOMEM;
		}
		p->meta_size = size;
		v = vmk_phys_to_virt(p->meta_pa);
		last = vmk_phys_to_virt(p->meta_pa + size - 1);
		p->meta = v;
		if (!v || last != v + size - 1) {
			vmk_log(VMK_LOG_ERR, "phys: page array at %llx is not contiguous in the direct map",
				(unsigned long long)p->meta_pa);
			release_meta();
			return -VMK_EINVAL;
		}
	}
	return 0;
}

/* Smallest bad pfn in [lo, hi), or hi. */
static uint64_t next_bad(uint64_t lo, uint64_t hi)
{
	uint64_t best = hi;

	if (!H.args)
		return hi;
	for (size_t i = 0; i < H.args->nbad; i++) {
		uint64_t b = H.args->bad[i] >> VMK_PAGE_SHIFT;

		if (b >= lo && b < best)
			best = b;
	}
	return best;
}

/* The interior of [a, b) made of whole chunks: lazy, or written and listed in pass 1. */
static bool chunk_interior(uint64_t a, uint64_t b, uint64_t *ca, uint64_t *cb)
{
	*ca = VMK_ALIGN_UP(a, PHYS_CHUNK_PAGES);
	*cb = VMK_ALIGN_DOWN(b, PHYS_CHUNK_PAGES);
	return *ca < *cb;
}

/* Pass 1 on a bad-free piece: records (or lazy bits) in state st. */
static void init_piece(struct vmk_phys_seg *s, uint64_t a, uint64_t b, unsigned int st)
{
	int64_t *cnt = G.dom[s->domain].count;
	uint64_t ca, cb;

	if (st == VMK_PAGE_FREE)
		H.free_frames += b - a;
	else
		H.resv_frames += b - a;
	if (!chunk_interior(a, b, &ca, &cb)) {
		vmk_phys__init_records(seg_page(s, a), b - a, s->index, st, cnt);
		return;
	}
	vmk_phys__init_records(seg_page(s, a), ca - a, s->index, st, cnt);
	if (H.lazy) {
		for (uint64_t c = ca; c < cb; c += PHYS_CHUNK_PAGES)
			vmk_phys__set_lazy(s, c / PHYS_CHUNK_PAGES, st == VMK_PAGE_FREE);
		H.lazy_frames += cb - ca;
	} else {
		vmk_phys__eager_chunks(s, ca, cb, st);
	}
	vmk_phys__init_records(seg_page(s, cb), b - cb, s->index, st, cnt);
}

/* Pass 2 on a bad-free free piece: its frames outside whole chunks go on the lists. */
static void free_piece(struct vmk_phys_seg *s, uint64_t a, uint64_t b)
{
	uint64_t ca, cb;

	if (!chunk_interior(a, b, &ca, &cb)) {
		vmk_phys__free_range(s, a, b);
		return;
	}
	vmk_phys__free_range(s, a, ca);
	vmk_phys__free_range(s, cb, b);
}

/* Range [a, b) of s is free or reserved in memblock; split it around bad frames. */
static void classify(struct vmk_phys_seg *s, uint64_t a, uint64_t b, bool free, int pass)
{
	int64_t *cnt = G.dom[s->domain].count;

	while (a < b) {
		uint64_t bad = next_bad(a, b);

		if (bad > a) {
			if (pass == 1)
				init_piece(s, a, bad, free ? VMK_PAGE_FREE : VMK_PAGE_RESERVED);
			else if (free)
				free_piece(s, a, bad);
		}
		if (bad < b && pass == 1) {
			struct vmk_page *p = seg_page(s, bad);

			if (free) {
				vmk_phys__init_records(p, 1, s->index, VMK_PAGE_BAD, cnt);
				H.bad_frames++;
			} else {
				/* In use at boot: bad when it is freed. */
				vmk_phys__init_records(p, 1, s->index, VMK_PAGE_RESERVED, cnt);
				p->flags = VMK_PGF_BADPEND;
				H.resv_frames++;
				H.bad_resv++;
			}
		}
		a = bad + 1;
	}
}

/* Walk every segment against memblock's free ranges (page-rounded inward). */
static void walk(int pass)
{
	uint64_t idx = 0, fa = 0, fz = 0;
	vmk_paddr_t fb, fe;
	bool have;

	have = vmk_memblock_next_free(H.mb, &idx, VMK_NUMA_NO_NODE, &fb, &fe, NULL);
	if (have) {
		fa = VMK_ALIGN_UP(fb, VMK_PAGE_SIZE) >> VMK_PAGE_SHIFT;
		fz = VMK_ALIGN_DOWN(fe, VMK_PAGE_SIZE) >> VMK_PAGE_SHIFT;
	}
	for (unsigned int i = 0; i < G.nsegs; i++) {
		struct vmk_phys_seg *s = &G.segs[i];
		uint64_t pos = s->start_pfn;

		while (pos < s->end_pfn) {
			while (have && fz <= pos) {
				have = vmk_memblock_next_free(H.mb, &idx, VMK_NUMA_NO_NODE, &fb, &fe, NULL);
				if (have) {
					fa = VMK_ALIGN_UP(fb, VMK_PAGE_SIZE) >> VMK_PAGE_SHIFT;
					fz = VMK_ALIGN_DOWN(fe, VMK_PAGE_SIZE) >> VMK_PAGE_SHIFT;
				}
			}
			if (!have || fa >= s->end_pfn) {
				classify(s, pos, s->end_pfn, false, pass);
				break;
			}
			if (fa > pos) {
				classify(s, pos, fa, false, pass);
				pos = fa;
				continue;
			}
			classify(s, pos, VMK_MIN(fz, s->end_pfn), true, pass);
			pos = VMK_MIN(fz, s->end_pfn);
		}
	}
}

/*
 * The boot report, from memblock's memory regions: called while memblock's
 * arrays are still valid (before they are freed), with their bytes counted
 * reserved; vmk_phys_init() then moves the bytes it freed to free.
 */
static void account(void)
{
	struct vmk_phys_boot_report *r = &G.boot;
	const struct vmk_memblock_type *m = &H.mb->memory;
	uint64_t sum;

	vmk_memset(r, 0, sizeof(*r));
	r->nsegs = G.nsegs;
	r->eager = !H.lazy;
	for (size_t i = 0; i < m->cnt; i++) {
		const struct vmk_memblock_region *g = &m->regions[i];
		vmk_paddr_t b = VMK_ALIGN_UP(g->base, VMK_PAGE_SIZE);
		vmk_paddr_t e = VMK_ALIGN_DOWN(g->base + g->size, VMK_PAGE_SIZE);

		r->total += g->size;
		if (g->flags & VMK_MEMBLOCK_NOMAP)
			r->nomap += g->size;
		else if (g->flags & VMK_MEMBLOCK_DRIVER_MANAGED)
			r->driver_managed += g->size;
		else
			r->partial += b < e ? g->size - (e - b) : g->size;
	}
	for (unsigned int i = 0; i < H.nplan; i++)
		r->page_array += H.plan[i].meta_size;
	r->free = H.free_frames * VMK_PAGE_SIZE;
	r->reserved = H.resv_frames * VMK_PAGE_SIZE - r->page_array;
	r->bad = H.bad_frames * VMK_PAGE_SIZE;
	r->bad_reserved = H.bad_resv;
	r->lazy_frames = H.lazy_frames;
	sum = r->free + r->reserved + r->page_array + r->bad + r->nomap + r->driver_managed + r->partial;
	VMK_VERIFY(sum == r->total, "the boot report accounts for every byte (%llu of %llu)",
		   (unsigned long long)sum, (unsigned long long)r->total);
}

/*
 * Debug builds fill memblock's arrays with a pattern (Linux's
 * POISON_FREE_INITMEM) before freeing them, so a read of memblock after
 * the hand-over shows as garbage instead of passing unnoticed.
 */
static void poison_dead(vmk_paddr_t b, vmk_paddr_t e)
{
#if VMK_DEBUG
	for (vmk_paddr_t a = b; a < e; a += VMK_PAGE_SIZE) {
		void *v = vmk_phys_to_virt(a);

		if (v)
			vmk_memset(v, 0xcc, VMK_PAGE_SIZE);
	}
#else
	(void)b;
	(void)e;
#endif
}

int vmk_phys_init(struct vmk_memblock *mb, const struct vmk_phys_init_args *args)
{
	struct vmk_range own[2];
	size_t nown;
	uint64_t arrays = 0;
	int err;

	phys_ready();
	if (!mb)
		return -VMK_EINVAL;
	if (G.nsegs)
		return -VMK_EBUSY;
	vmk_memset(&H, 0, sizeof(H));
	H.mb = mb;
	H.args = args;
	H.lazy = !(args && args->eager);
	err = plan_segments();
	if (err)
		return err;
	err = alloc_meta();
	if (err)
		return err;
	for (unsigned int i = 0; i < H.nplan; i++) {
		struct vmk_phys_seg *s;

		err = vmk_phys__seg_insert(H.plan[i].start, H.plan[i].end, H.plan[i].domain,
					   H.plan[i].meta, &s);
		VMK_VERIFY(err == 0, "planned segment %u inserts (%d)", i, err);
	}
	vmk_phys__segs_changed();
	for (size_t i = 0; args && i < args->nbad; i++)
		if (!vmk_phys__pfn_seg(args->bad[i] >> VMK_PAGE_SHIFT))
			vmk_log(VMK_LOG_WARN, "phys: bad frame %llx is not in managed memory (ignored)",
				(unsigned long long)args->bad[i]);
	walk(1);
	walk(2);
	/* Account first: freeing memblock's own arrays ends memblock. */
	account();
	nown = vmk_memblock_own_arrays(mb, own);
	for (size_t i = 0; i < nown; i++) {
		vmk_paddr_t b = VMK_ALIGN_UP(own[i].base, VMK_PAGE_SIZE);
		vmk_paddr_t e = VMK_ALIGN_DOWN(own[i].end, VMK_PAGE_SIZE);

		if (b < e)
			poison_dead(b, e);
		if (b < e && vmk_phys_bootstrap_free(b, e) == 0)
			arrays += e - b;
		else if (b < e)
			vmk_log(VMK_LOG_WARN, "phys: memblock array [%llx, %llx) not released",
				(unsigned long long)b, (unsigned long long)e);
	}
	G.boot.free += arrays;
	G.boot.reserved -= arrays;
	G.boot.memblock_arrays = arrays;
	return 0;
}
