/*
 * Reports: statistics, the boot accounting, /proc/buddyinfo, per-state
 * counts, segments, and a JSON rendering of all of them.
 */
#include "phys_internal.h"

void vmk_phys_get_stats(struct vmk_phys_stats *st)
{
	vmk_memset(st, 0, sizeof(*st));
	if (!G.ready)
		return;
	st->nsegs = G.nsegs;
	st->ndomains = G.ndomains;
	for (unsigned int d = 0; d < VMK_MAX_DOMAINS; d++) {
		const struct vmk_phys_domain *dm = &G.dom[d];

		st->present += dm->present;
		st->nofree_imported += ucnt_get(&dm->nofree_imported);
		st->nofree_returned += ucnt_get(&dm->nofree_returned);
		for (unsigned int s = 0; s < VMK_PAGE_NSTATES; s++) {
			int64_t c = __atomic_load_n(&dm->count[s], __ATOMIC_RELAXED);

			for (unsigned int cpu = 0; cpu < VMK_MAX_CPUS; cpu++) {
				c += __atomic_load_n(&G.pcpu[cpu].delta[d][s], __ATOMIC_RELAXED);
				if (s == VMK_PAGE_ALLOC)
					c += vmk_phys__pcpu_alloc_delta(cpu, d);
			}
			st->state[s] += (uint64_t)c;
		}
		for (unsigned int cpu = 0; cpu < VMK_MAX_CPUS; cpu++)
			for (unsigned int q = 0; q < VMK_NPOOLS; q++)
				st->state[VMK_PAGE_PCPU] +=
					__atomic_load_n(&G.pcpu[cpu].cache[d][q].count, __ATOMIC_RELAXED);
	}
	for (unsigned int i = 0; i < G.nsegs; i++)
		st->lazy += __atomic_load_n(&G.segs[i].lazy_count, __ATOMIC_RELAXED) * PHYS_CHUNK_PAGES;
	st->free = st->state[VMK_PAGE_FREE] + st->state[VMK_PAGE_PCPU];
}

const struct vmk_phys_boot_report *vmk_phys_boot_report(void)
{
	return &G.boot;
}

static void line_size(struct vmk_out *out, const char *what, uint64_t bytes, uint64_t total)
{
	char b[32];
	uint64_t permille = total ? bytes * 1000 / total : 0;

	vmk_out_printf(out, "  %-26s %16llu bytes %10s %3llu.%llu%%\n", what,
		       (unsigned long long)bytes, vmk_fmt_size(b, sizeof(b), bytes),
		       (unsigned long long)(permille / 10), (unsigned long long)(permille % 10));
}

void vmk_phys_print_boot(struct vmk_out *out)
{
	const struct vmk_phys_boot_report *r = &G.boot;
	uint64_t sum = r->free + r->reserved + r->page_array + r->bad + r->nomap +
		       r->driver_managed + r->partial;

	vmk_out_printf(out, "phys: hand-over from memblock (%u segments, %s record init)\n", r->nsegs,
		       r->eager ? "eager" : "lazy");
	line_size(out, "total memory", r->total, r->total);
	line_size(out, "free", r->free, r->total);
	line_size(out, "  of which memblock arrays", r->memblock_arrays, r->total);
	line_size(out, "reserved", r->reserved, r->total);
	line_size(out, "page array", r->page_array, r->total);
	line_size(out, "bad", r->bad, r->total);
	line_size(out, "nomap", r->nomap, r->total);
	line_size(out, "driver-managed", r->driver_managed, r->total);
	line_size(out, "partial pages", r->partial, r->total);
	vmk_out_printf(out, "  accounted: free + reserved + page array + bad + nomap + driver-managed + partial = %llu %s total %llu\n",
		       (unsigned long long)sum, sum == r->total ? "==" : "!=",
		       (unsigned long long)r->total);
	if (r->bad_reserved)
		vmk_out_printf(out, "  bad frames inside reserved memory (bad when freed): %llu\n",
			       (unsigned long long)r->bad_reserved);
	vmk_out_printf(out, "  frames awaiting lazy init: %llu\n", (unsigned long long)r->lazy_frames);
}

/* Free blocks of order k in (d, q), lazy chunks counted as top-order blocks. */
static uint64_t blocks(unsigned int d, unsigned int q, unsigned int k)
{
	const struct vmk_phys_pool *pl = &G.dom[d].pools[q];
	uint64_t n = ucnt_get(&pl->nblocks[k]);

	if (k == VMK_MAX_ORDER - 1)
		n += ucnt_get(&pl->lazy_free) / PHYS_CHUNK_PAGES;
	return n;
}

void vmk_phys_print_buddyinfo(struct vmk_out *out)
{
	for (unsigned int d = 0; d < G.ndomains; d++) {
		for (unsigned int q = VMK_NPOOLS; q-- > 0;) {
			if (!G.dom[d].pools[q].present)
				continue;
			vmk_out_printf(out, "Node %u, pool %8s ", d, vmk_pool_name(q));
			for (unsigned int k = 0; k < VMK_MAX_ORDER; k++)
				vmk_out_printf(out, " %6llu", (unsigned long long)blocks(d, q, k));
			vmk_out_puts(out, "\n");
		}
	}
}

void vmk_phys_print_states(struct vmk_out *out)
{
	struct vmk_phys_stats st;
	uint64_t meta = 0;
	char b[32];

	vmk_phys_get_stats(&st);
	for (unsigned int i = 0; i < G.nsegs; i++)
		meta += G.segs[i].meta_bytes;
	vmk_out_printf(out, "frames: %llu present (%s), %llu free\n", (unsigned long long)st.present,
		       vmk_fmt_size(b, sizeof(b), st.present * VMK_PAGE_SIZE),
		       (unsigned long long)st.free);
	for (unsigned int s = VMK_PAGE_FREE; s < VMK_PAGE_NSTATES; s++)
		vmk_out_printf(out, "  %-12s %12llu\n", vmk_page_state_name(s),
			       (unsigned long long)st.state[s]);
	vmk_out_printf(out, "  %-12s %12llu (records not yet initialised, counted above)\n", "lazy",
		       (unsigned long long)st.lazy);
	vmk_out_printf(out, "bytes per frame: %zu (metadata %s)\n", sizeof(struct vmk_page),
		       vmk_fmt_size(b, sizeof(b), meta));
	vmk_out_printf(out, "NOFREE: %llu blocks imported, %llu pages available, %llu pages taken back\n",
		       (unsigned long long)st.nofree_imported,
		       (unsigned long long)st.state[VMK_PAGE_NOFREE_POOL],
		       (unsigned long long)st.nofree_returned);
}

/* Call fn for every BAD or pending-bad frame (lazy chunks never hold one). */
static void each_bad(void (*fn)(void *arg, vmk_paddr_t pa, bool pending), void *arg)
{
	for (unsigned int i = 0; i < G.nsegs; i++) {
		const struct vmk_phys_seg *s = &G.segs[i];

		for (uint64_t pfn = s->start_pfn; pfn < s->end_pfn; pfn++) {
			const struct vmk_page *p;

			if (s->lazy_count && vmk_phys__chunk_lazy(s, pfn / PHYS_CHUNK_PAGES)) {
				pfn = VMK_ALIGN_UP(pfn + 1, PHYS_CHUNK_PAGES) - 1;
				continue;
			}
			p = seg_page(s, pfn);
			if (pg_state(p) == VMK_PAGE_BAD || (pg_flags(p) & VMK_PGF_BADPEND))
				fn(arg, pfn << VMK_PAGE_SHIFT, pg_state(p) != VMK_PAGE_BAD);
		}
	}
}

static void bad_text(void *arg, vmk_paddr_t pa, bool pending)
{
	vmk_out_printf(arg, "  0x%012llx%s\n", (unsigned long long)pa,
		       pending ? " (in use: bad when freed)" : "");
}

void vmk_phys_print_bad(struct vmk_out *out)
{
	struct vmk_phys_stats st;

	vmk_phys_get_stats(&st);
	vmk_out_printf(out, "bad frames: %llu\n", (unsigned long long)st.state[VMK_PAGE_BAD]);
	each_bad(bad_text, out);
}

struct bad_json {
	struct vmk_out *out;
	bool first;
};

static void bad_json(void *arg, vmk_paddr_t pa, bool pending)
{
	struct bad_json *b = arg;

	vmk_out_printf(b->out, "%s{\"pa\": %llu, \"pending\": %s}", b->first ? "" : ", ",
		       (unsigned long long)pa, pending ? "true" : "false");
	b->first = false;
}

void vmk_phys_print_segments(struct vmk_out *out)
{
	for (unsigned int i = 0; i < G.nsegs; i++) {
		const struct vmk_phys_seg *s = &G.segs[i];
		char b[32];

		vmk_out_printf(out, "seg %2u: [0x%012llx-0x%012llx] domain %u pool %-7s %10llu frames (%s), %llu lazy chunks\n",
			       i, (unsigned long long)s->start, (unsigned long long)(s->end - 1),
			       s->domain, vmk_pool_name(s->pool),
			       (unsigned long long)(s->end_pfn - s->start_pfn),
			       vmk_fmt_size(b, sizeof(b), s->end - s->start),
			       (unsigned long long)s->lazy_count);
	}
}

void vmk_phys_print_json(struct vmk_out *out)
{
	const struct vmk_phys_boot_report *r = &G.boot;
	struct vmk_phys_stats st;
	bool first = true;

	vmk_phys_get_stats(&st);
	vmk_out_printf(out, "{\n  \"bytes_per_frame\": %zu,\n", sizeof(struct vmk_page));
	vmk_out_printf(out, "  \"boot\": {\"total\": %llu, \"free\": %llu, \"reserved\": %llu, "
		       "\"page_array\": %llu, \"bad\": %llu, \"nomap\": %llu, \"driver_managed\": %llu, "
		       "\"partial\": %llu, \"memblock_arrays\": %llu, \"lazy_frames\": %llu, "
		       "\"eager\": %s},\n",
		       (unsigned long long)r->total, (unsigned long long)r->free,
		       (unsigned long long)r->reserved, (unsigned long long)r->page_array,
		       (unsigned long long)r->bad, (unsigned long long)r->nomap,
		       (unsigned long long)r->driver_managed, (unsigned long long)r->partial, (unsigned long long)r->memblock_arrays,
		       (unsigned long long)r->lazy_frames, r->eager ? "true" : "false");
	vmk_out_printf(out, "  \"segments\": [");
	for (unsigned int i = 0; i < G.nsegs; i++) {
		const struct vmk_phys_seg *s = &G.segs[i];

		vmk_out_printf(out, "%s\n    {\"start\": %llu, \"end\": %llu, \"domain\": %u, \"pool\": \"%s\", \"lazy_chunks\": %llu}",
			       i ? "," : "", (unsigned long long)s->start, (unsigned long long)s->end,
			       s->domain, vmk_pool_name(s->pool), (unsigned long long)s->lazy_count);
	}
	vmk_out_printf(out, "\n  ],\n  \"states\": {");
	for (unsigned int s = VMK_PAGE_FREE; s < VMK_PAGE_NSTATES; s++)
		vmk_out_printf(out, "%s\"%s\": %llu", s == VMK_PAGE_FREE ? "" : ", ",
			       vmk_page_state_name(s), (unsigned long long)st.state[s]);
	vmk_out_printf(out, "},\n  \"present\": %llu, \"lazy\": %llu,\n", (unsigned long long)st.present,
		       (unsigned long long)st.lazy);
	vmk_out_printf(out, "  \"nofree\": {\"imported\": %llu, \"available\": %llu, \"returned\": %llu},\n",
		       (unsigned long long)st.nofree_imported,
		       (unsigned long long)st.state[VMK_PAGE_NOFREE_POOL],
		       (unsigned long long)st.nofree_returned);
	{
		struct bad_json b = { out, true };

		vmk_out_puts(out, "  \"bad_frames\": [");
		each_bad(bad_json, &b);
		vmk_out_puts(out, "],\n");
	}
	vmk_out_printf(out, "  \"buddyinfo\": [");
	for (unsigned int d = 0; d < G.ndomains; d++) {
		for (unsigned int q = VMK_NPOOLS; q-- > 0;) {
			if (!G.dom[d].pools[q].present)
				continue;
			vmk_out_printf(out, "%s\n    {\"node\": %u, \"pool\": \"%s\", \"free\": [", first ? "" : ",",
				       d, vmk_pool_name(q));
			first = false;
			for (unsigned int k = 0; k < VMK_MAX_ORDER; k++)
				vmk_out_printf(out, "%s%llu", k ? ", " : "", (unsigned long long)blocks(d, q, k));
			vmk_out_puts(out, "]}");
		}
	}
	vmk_out_puts(out, "\n  ]\n}\n");
}
