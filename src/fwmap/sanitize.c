/*
 * Sanitizing a firmware map: whatever the firmware said becomes a sorted,
 * non-overlapping, page-aligned map.
 *
 * 1. Every entry gets an effective range: zero-length and invalid-kind
 *    entries are dropped, a range wrapping past 2^64 is cut at the top,
 *    and the physical address width is applied (clip, drop or refuse).
 * 2. Entries are sorted by base (in place, heapsort).
 * 3. Overlaps are resolved with a sweep over the sorted entries and a
 *    max-heap of the entries covering the sweep point, ordered by label
 *    (kind priority, then flags, attr, fw_type, src): every byte gets the
 *    label of the highest entry covering it. The next point where the
 *    winner can change is the next entry's base or the winner's end (an
 *    entry below the winner ending changes nothing), so the sweep does
 *    O(n) steps of O(log n): O(n log n) in all. Adjacent pieces with the
 *    same label are merged as they are produced.
 *    When the sorted input has no overlap this is done in place; else a
 *    counting sweep first finds the output size F, and only if it fits
 *    (cap >= n + F + heap) is the map rewritten: the input is moved to
 *    the top of the storage and the output written from the bottom, so
 *    a failure leaves the entries as they were (sorted).
 * 4. Page alignment, per page: a page touched by any reserved-class
 *    byte becomes the highest reserved-class label touching it
 *    (reserved memory widens outward); a page wholly covered by
 *    usable-class memory takes the highest usable-class label touching
 *    it; any other page is dropped (usable memory trims inward). Every
 *    reserved-class kind outranks every usable-class kind, so this is
 *    "widen, trim, then resolve by priority". It runs in place: each
 *    output piece belongs to one input entry, so the write index never
 *    passes the read index.
 */
#include "fwmap_internal.h"

struct san {
	uint64_t limit;		/* last address allowed */
	uint32_t beyond;
	uint64_t page;		/* page size; 1: no alignment */
	bool ignore_attr;
	bool efi;		/* the attributes are UEFI's (VMK_FWMAP_FMT_EFI) */
	struct vmk_fwmap_diag *diag;
	uint32_t src_where;
};

/* ---- labels ---- */

/* Total order of labels: which entry wins a byte both cover. */
static int label_cmp(const struct vmk_fwmap_entry *a, const struct vmk_fwmap_entry *b)
{
	unsigned int pa = vmk_mem_kind_priority(a->kind), pb = vmk_mem_kind_priority(b->kind);

	if (pa != pb)
		return pa < pb ? -1 : 1;
	if (a->flags != b->flags)
		return a->flags < b->flags ? -1 : 1;
	if (a->attr != b->attr)
		return a->attr < b->attr ? -1 : 1;
	if (a->fw_type != b->fw_type)
		return a->fw_type < b->fw_type ? -1 : 1;
	/* Same label: the earlier input line wins, for a stable src. */
	if (a->src != b->src)
		return a->src > b->src ? -1 : 1;
	return 0;
}

/*
 * What a UEFI entry's attributes decide, in one number: the best caching
 * allowed (WB 3, WC 2, WT 1, UC or none 0: the direct map's memory type
 * and the boot policy's is-memory test both follow from it) and the
 * soft-reserved bit (4). Merging entries that differ in it would give one
 * range the other's caching (WC-only RAM mapped write-back, or WB RAM
 * dropped with a UC-only neighbour), so even merge_ignores_attr keeps
 * them apart. Other formats' attribute bits mean something else.
 */
static uint32_t efi_class(uint64_t attr)
{
	uint32_t c = (attr & VMK_EFI_MEMORY_WB) ? 3 : (attr & VMK_EFI_MEMORY_WC) ? 2 : (attr & VMK_EFI_MEMORY_WT) ? 1 : 0;

	return c | ((attr & VMK_EFI_MEMORY_SP) ? 4 : 0);
}

static bool same_label(const struct san *s, const struct vmk_fwmap_entry *a,
		       const struct vmk_fwmap_entry *b)
{
	if (a->kind != b->kind || a->flags != b->flags)
		return false;
	if (s->ignore_attr)
		return !s->efi || efi_class(a->attr) == efi_class(b->attr);
	return a->attr == b->attr && a->fw_type == b->fw_type;
}

/* ---- effective ranges ---- */

static bool kind_valid(uint32_t kind)
{
	return kind != VMK_MEM_NONE && kind < VMK_MEM_NKINDS;
}

static uint64_t raw_last(const struct vmk_fwmap_entry *e)
{
	return e->size - 1 > VMK_PADDR_MAX - e->base ? VMK_PADDR_MAX : e->base + (e->size - 1);
}

/* The range [*base, *last] an entry contributes, or false if none. */
static bool eff(const struct san *s, const struct vmk_fwmap_entry *e, uint64_t *base,
		uint64_t *last)
{
	if (e->size == 0 || !kind_valid(e->kind))
		return false;
	*base = e->base;
	*last = raw_last(e);
	if (*last > s->limit) {
		if (s->beyond == VMK_FWMAP_BEYOND_DROP || *base > s->limit)
			return false;
		*last = s->limit;
	}
	return true;
}

/* Tell the caller what eff() did to an entry (only when committing). */
static void report_eff(const struct san *s, const struct vmk_fwmap_entry *e)
{
	if (e->size == 0) {
		vmk_fwmap_diag_add(s->diag, VMK_FWMAP_WARN, s->src_where, e->src,
				   "zero-length %s at 0x%llx dropped", vmk_mem_kind_name(e->kind),
				   (unsigned long long)e->base);
		return;
	}
	if (!kind_valid(e->kind)) {
		vmk_fwmap_diag_add(s->diag, VMK_FWMAP_WARN, s->src_where, e->src,
				   "invalid kind %u at 0x%llx: entry dropped",
				   (unsigned int)e->kind, (unsigned long long)e->base);
		return;
	}
	if (e->size - 1 > VMK_PADDR_MAX - e->base)
		vmk_fwmap_diag_add(s->diag, VMK_FWMAP_WARN, s->src_where, e->src,
				   "range at 0x%llx wraps past 2^64: cut at the top",
				   (unsigned long long)e->base);
	if (raw_last(e) > s->limit) {
		bool drop = s->beyond == VMK_FWMAP_BEYOND_DROP || e->base > s->limit;

		vmk_fwmap_diag_add(s->diag, VMK_FWMAP_WARN, s->src_where, e->src,
				   "%s [0x%llx-0x%llx] beyond the physical address limit 0x%llx: %s",
				   vmk_mem_kind_name(e->kind), (unsigned long long)e->base,
				   (unsigned long long)raw_last(e), (unsigned long long)s->limit,
				   drop ? "dropped" : "clipped");
	}
}

/* ---- output with merging ---- */

struct out {
	const struct san *s;
	struct vmk_fwmap_entry *e;	/* NULL: only count */
	size_t w;			/* pieces started */
	bool have;
	struct vmk_fwmap_entry cur;	/* the piece being extended */
	uint64_t cur_last;
	size_t write_limit;		/* in place: highest index that may be written */
};

static void out_store(struct out *o)
{
	struct vmk_fwmap_entry done = o->cur;

	done.size = o->cur_last - done.base + 1;
	if (!o->e)
		return;
	VMK_VERIFY(o->w - 1 <= o->write_limit,
		   "fwmap sanitize: output index %zu would overwrite unread input (limit %zu)",
		   o->w - 1, o->write_limit);
	o->e[o->w - 1] = done;
}

static void out_flush(struct out *o)
{
	if (!o->have)
		return;
	out_store(o);
	o->have = false;
}

/* Append [base, last] with lab's label; base is above everything so far. */
static void out_emit(struct out *o, uint64_t base, uint64_t last,
		     const struct vmk_fwmap_entry *lab)
{
	if (o->have && o->cur_last != VMK_PADDR_MAX && o->cur_last + 1 == base &&
	    same_label(o->s, &o->cur, lab) && !(o->cur.base == 0 && last == VMK_PADDR_MAX)) {
		o->cur_last = last;
		return;
	}
	/* The piece in o->cur is written only once complete. */
	if (o->have)
		out_store(o);
	o->cur = *lab;
	o->cur.base = base;
	o->cur_last = last;
	o->have = true;
	o->w++;
}

/* ---- the heap of active entries (indices stored bytewise in spare entries) ---- */

struct heap {
	unsigned char *slots;		/* 4 bytes per index, inside the map's storage */
	size_t n;
	const struct vmk_fwmap_entry *in;
};

static uint32_t heap_get(const struct heap *h, size_t k)
{
	return vmk_fwmap__le32(h->slots + 4 * k);
}

static void heap_set(struct heap *h, size_t k, uint32_t v)
{
	unsigned char *p = h->slots + 4 * k;

	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static bool heap_less(const struct heap *h, size_t a, size_t b)
{
	uint32_t ia = heap_get(h, a), ib = heap_get(h, b);
	int c = label_cmp(&h->in[ia], &h->in[ib]);

	return c < 0 || (c == 0 && ia > ib);
}

static void heap_swap(struct heap *h, size_t a, size_t b)
{
	uint32_t t = heap_get(h, a);

	heap_set(h, a, heap_get(h, b));
	heap_set(h, b, t);
}

static void heap_push(struct heap *h, uint32_t idx)
{
	size_t k = h->n++;

	heap_set(h, k, idx);
	while (k > 0 && heap_less(h, (k - 1) / 2, k)) {
		heap_swap(h, (k - 1) / 2, k);
		k = (k - 1) / 2;
	}
}

static void heap_pop(struct heap *h)
{
	size_t k = 0;

	h->n--;
	if (h->n == 0)
		return;
	heap_set(h, 0, heap_get(h, h->n));
	for (;;) {
		size_t c = 2 * k + 1;

		if (c >= h->n)
			return;
		if (c + 1 < h->n && heap_less(h, c, c + 1))
			c++;
		if (!heap_less(h, k, c))
			return;
		heap_swap(h, k, c);
		k = c;
	}
}

/* ---- overlap resolution ---- */

/*
 * The sweep over in[0 .. n) (sorted by base). With o->e NULL it only
 * counts the output pieces. Returns the number of pieces.
 */
static size_t sweep(const struct san *s, const struct vmk_fwmap_entry *in, size_t n,
		    unsigned char *heap_mem, struct out *o)
{
	struct heap h = { .slots = heap_mem, .n = 0, .in = in };
	uint64_t x = 0, b, l;
	size_t i = 0;

	for (;;) {
		uint64_t end;
		const struct vmk_fwmap_entry *top;

		while (i < n && !eff(s, &in[i], &b, &l))
			i++;
		if (h.n == 0) {
			if (i == n)
				break;
			eff(s, &in[i], &x, &l);
		}
		/* Activate everything that starts at or before x. */
		while (i < n) {
			if (eff(s, &in[i], &b, &l)) {
				if (b > x)
					break;
				heap_push(&h, (uint32_t)i);
			}
			i++;
		}
		/* Drop the winners that ended before x (lazy deletion). */
		while (h.n) {
			top = &in[heap_get(&h, 0)];
			eff(s, top, &b, &l);
			if (l >= x)
				break;
			heap_pop(&h);
		}
		if (h.n == 0)
			continue;
		top = &in[heap_get(&h, 0)];
		eff(s, top, &b, &end);
		while (i < n && !eff(s, &in[i], &b, &l))
			i++;
		if (i < n && b - 1 < end)
			end = b - 1;	/* b > x here, so b - 1 >= x */
		out_emit(o, x, end, top);
		if (end == VMK_PADDR_MAX)
			break;
		x = end + 1;
	}
	out_flush(o);
	return o->w;
}

static int cmp_base(const void *a, const void *b)
{
	const struct vmk_fwmap_entry *x = a, *y = b;

	if (x->base != y->base)
		return x->base < y->base ? -1 : 1;
	return 0;
}

/* Report the overlapping neighbours (before the map is rewritten). */
static void report_overlaps(const struct san *s, const struct vmk_fwmap_entry *in, size_t n)
{
	uint64_t max_last = 0, b, l;
	size_t i, holder = 0;
	bool any = false;

	for (i = 0; i < n; i++) {
		if (!eff(s, &in[i], &b, &l))
			continue;
		if (any && b <= max_last) {
			const struct vmk_fwmap_entry *w = label_cmp(&in[i], &in[holder]) > 0 ?
							  &in[i] : &in[holder];

			vmk_fwmap_diag_add(s->diag, VMK_FWMAP_INFO, s->src_where, in[i].src,
					   "%s [0x%llx-0x%llx] overlaps %s [0x%llx-0x%llx]: %s wins",
					   vmk_mem_kind_name(in[i].kind), (unsigned long long)b,
					   (unsigned long long)l, vmk_mem_kind_name(in[holder].kind),
					   (unsigned long long)in[holder].base,
					   (unsigned long long)VMK_MIN(raw_last(&in[holder]), s->limit),
					   vmk_mem_kind_name(w->kind));
		}
		if (!any || l > max_last) {
			max_last = l;
			holder = i;
		}
		any = true;
	}
}

static bool has_overlap(const struct san *s, const struct vmk_fwmap_entry *in, size_t n)
{
	uint64_t max_last = 0, b, l;
	bool any = false;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!eff(s, &in[i], &b, &l))
			continue;
		if (any && b <= max_last)
			return true;
		if (!any || l > max_last)
			max_last = l;
		any = true;
	}
	return false;
}

/* Heap slots that fit in 'entries' map entries. */
static size_t heap_slots(size_t entries)
{
	return entries * (sizeof(struct vmk_fwmap_entry) / 4);
}

static size_t heap_entries(size_t n)
{
	size_t per = sizeof(struct vmk_fwmap_entry) / 4;

	return (n + per - 1) / per;
}

/*
 * Resolve overlaps of the sorted m->e[0 .. n). Returns 0 or -VMK_ENOSPC
 * (entries unchanged).
 */
static int resolve(const struct san *s, struct vmk_fwmap *m)
{
	size_t n = m->n, i, f, need;
	struct out o = { .s = s, .write_limit = (size_t)-1 };
	uint64_t b, l;

	if (!has_overlap(s, m->e, n)) {
		/* In place: each input entry gives at most one piece. */
		o.e = m->e;
		for (i = 0; i < n; i++) {
			struct vmk_fwmap_entry cur = m->e[i];

			o.write_limit = i;
			report_eff(s, &cur);
			if (!eff(s, &cur, &b, &l))
				continue;
			out_emit(&o, b, l, &cur);
		}
		out_flush(&o);
		m->n = o.w;
		return 0;
	}
	/* Counting pass: the heap lives in the spare entries. */
	if (m->cap - n < heap_entries(n))
		return -VMK_ENOSPC;
	VMK_ASSERT(heap_slots(m->cap - n) >= n, "fwmap sanitize: heap room");
	f = sweep(s, m->e, n, (unsigned char *)(m->e + n), &o);
	need = n + f + heap_entries(n);
	if (need > m->cap || need < n)
		return -VMK_ENOSPC;

	/* Committed: report, move the input up, write the output from 0. */
	for (i = 0; i < n; i++)
		report_eff(s, &m->e[i]);
	report_overlaps(s, m->e, n);
	vmk_memmove(m->e + (m->cap - n), m->e, n * sizeof(*m->e));
	o = (struct out){ .s = s, .e = m->e, .write_limit = f ? f - 1 : 0 };
	i = sweep(s, m->e + (m->cap - n), n, (unsigned char *)(m->e + f), &o);
	VMK_ASSERT(i == f, "fwmap sanitize: the writing sweep made %zu pieces, the count said %zu",
		   i, f);
	m->n = f;
	return 0;
}

/* ---- page alignment ---- */

struct page_acc {
	bool have;
	uint64_t page;
	bool has_res, has_use;
	struct vmk_fwmap_entry best_res, best_use;
	uint64_t res_bytes, use_bytes;
};

struct align_stats {
	uint64_t trimmed;	/* usable-class bytes given up */
	uint64_t widened;	/* bytes newly reserved */
};

static void page_flush(struct page_acc *p, struct out *o, const struct san *s,
		       struct align_stats *st)
{
	uint64_t last;

	if (!p->have)
		return;
	p->have = false;
	last = p->page + (s->page - 1);
	if (p->has_res) {
		st->trimmed += p->use_bytes;
		st->widened += s->page - p->res_bytes - p->use_bytes;
		out_emit(o, p->page, last, &p->best_res);
	} else if (p->use_bytes == s->page) {
		out_emit(o, p->page, last, &p->best_use);
	} else {
		st->trimmed += p->use_bytes;
	}
}

static void page_add(struct page_acc *p, struct out *o, const struct san *s,
		     struct align_stats *st, uint64_t page, const struct vmk_fwmap_entry *e,
		     uint64_t bytes)
{
	if (p->have && p->page != page)
		page_flush(p, o, s, st);
	if (!p->have) {
		vmk_memset(p, 0, sizeof(*p));
		p->have = true;
		p->page = page;
	}
	if (vmk_mem_kind_usable_class(e->kind)) {
		if (!p->has_use || label_cmp(e, &p->best_use) > 0)
			p->best_use = *e;
		p->has_use = true;
		p->use_bytes += bytes;
	} else {
		if (!p->has_res || label_cmp(e, &p->best_res) > 0)
			p->best_res = *e;
		p->has_res = true;
		p->res_bytes += bytes;
	}
}

static void align(const struct san *s, struct vmk_fwmap *m)
{
	uint64_t mask = s->page - 1;
	struct out o = { .s = s, .e = m->e, .write_limit = 0 };
	struct page_acc p = { .have = false };
	struct align_stats st = { 0, 0 };
	size_t i, n = m->n;

	for (i = 0; i < n; i++) {
		struct vmk_fwmap_entry e = m->e[i];
		uint64_t a = e.base, z = a + (e.size - 1);
		uint64_t pa = a & ~mask, pz = z & ~mask, first, last_full;
		bool head = (a & mask) != 0, tail = (z & mask) != mask;

		o.write_limit = i;
		if (pa == pz && (head || tail)) {
			page_add(&p, &o, s, &st, pa, &e, z - a + 1);
			continue;
		}
		if (head) {
			page_add(&p, &o, s, &st, pa, &e, pa + s->page - a);
			first = pa + s->page;
		} else {
			first = a;
		}
		last_full = tail ? pz - 1 : z;
		if (first <= last_full && (!tail || pz != 0)) {
			page_flush(&p, &o, s, &st);
			out_emit(&o, first, last_full, &e);
		}
		if (tail)
			page_add(&p, &o, s, &st, pz, &e, z - pz + 1);
	}
	page_flush(&p, &o, s, &st);
	out_flush(&o);
	m->n = o.w;
	if (st.trimmed || st.widened)
		vmk_fwmap_diag_add(s->diag, VMK_FWMAP_INFO, VMK_FWMAP_AT_NONE, 0,
				   "page alignment (%llu bytes): %llu usable bytes trimmed, "
				   "%llu bytes more reserved",
				   (unsigned long long)s->page, (unsigned long long)st.trimmed,
				   (unsigned long long)st.widened);
}

/* ---- entry point ---- */

size_t vmk_fwmap_sanitize_cap(size_t n)
{
	/* n input + 2n - 1 output + heap; saturate rather than wrap. */
	size_t need = n + 2 * n + heap_entries(n) + 1;

	return need < n ? (size_t)-1 : need;
}

int vmk_fwmap_sanitize(struct vmk_fwmap *m, const struct vmk_fwmap_sanitize_opts *opts,
		       struct vmk_fwmap_diag *diag)
{
	struct vmk_fwmap_sanitize_opts def = { 0 };
	struct san s;
	unsigned int bits;
	size_t i;
	int err;

	if (!opts)
		opts = &def;
	bits = opts->phys_bits ? opts->phys_bits : VMK_PHYS_ADDR_BITS;
	s.page = opts->page_size ? opts->page_size : VMK_PAGE_SIZE;
	if (bits > 64 || !VMK_IS_POW2(s.page) || opts->beyond > VMK_FWMAP_BEYOND_REFUSE ||
	    m->n > UINT32_MAX || m->n > m->cap)
		return -VMK_EINVAL;
	s.limit = bits == 64 ? VMK_PADDR_MAX : ((uint64_t)1 << bits) - 1;
	s.beyond = opts->beyond;
	s.ignore_attr = opts->merge_ignores_attr;
	s.efi = m->format == VMK_FWMAP_FMT_EFI;
	s.diag = diag;
	s.src_where = m->src_where;

	if (s.beyond == VMK_FWMAP_BEYOND_REFUSE) {
		for (i = 0; i < m->n; i++) {
			const struct vmk_fwmap_entry *e = &m->e[i];

			if (e->size && kind_valid(e->kind) && raw_last(e) > s.limit) {
				vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, s.src_where, e->src,
						   "%s [0x%llx-0x%llx] is beyond the %u-bit physical address limit",
						   vmk_mem_kind_name(e->kind),
						   (unsigned long long)e->base,
						   (unsigned long long)raw_last(e), bits);
				return -VMK_ERANGE;
			}
		}
	}
	if (m->n == 0)
		return 0;
	vmk_sort(m->e, m->n, sizeof(*m->e), cmp_base);
	err = resolve(&s, m);
	if (err) {
		vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_NONE, 0,
				   "no room to resolve overlaps: %zu entries need a capacity of "
				   "up to %zu, the map has %zu",
				   m->n, vmk_fwmap_sanitize_cap(m->n), m->cap);
		return err;
	}
	if (s.page > 1)
		align(&s, m);
	return 0;
}
