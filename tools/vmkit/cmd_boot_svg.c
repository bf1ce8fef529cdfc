/*
 * vmkit boot --svg: a picture of physical memory after boot. One band per
 * NUMA node; a band is a few rows of equal power-of-two spans, so 256 MiB
 * and 1 TiB both fill the page. Each pixel takes the colour of the state
 * holding most of its bytes, where anything but free memory counts 1024
 * times, so that a kernel image or a run of page-table pages stays visible on a
 * terabyte. States come from the allocator (vmk_phys_peek: no lazily
 * waiting record is initialised) and from what the boot placed where.
 */
#include <stdlib.h>
#include <string.h>

#include <vmkit/boot.h>
#include <vmkit/phys.h>
#include <vmkit/pmap.h>

#include "cmd_boot.h"

enum svg_cat {
	S_HOLE,
	S_FREE0,			/* S_FREE0 + order */
	S_KERNEL = S_FREE0 + VMK_MAX_ORDER,
	S_KDATA,			/* page array and other reserved kernel data */
	S_PT,
	S_NOFREE,
	S_NOFREE_POOL,
	S_PERCPU,
	S_ALLOC,
	S_PRE_KEPT,
	S_PRE_FREED,
	S_CRASH,
	S_FW,
	S_EARLY,
	S_NOMAP,
	S_BAD,
	S_UNMANAGED,
	S_N
};

static const struct { const char *color, *name; } cats[S_N] = {
	[S_HOLE] = { "#ffffff", "no memory" },
	[S_KERNEL] = { "#d62728", "kernel image" },
	[S_KDATA] = { "#ff9896", "kernel data (page array, early)" },
	[S_PT] = { "#9467bd", "page tables" },
	[S_NOFREE] = { "#8c564b", "NOFREE" },
	[S_NOFREE_POOL] = { "#c49c94", "NOFREE pool (free)" },
	[S_PERCPU] = { "#e377c2", "per-CPU areas" },
	[S_ALLOC] = { "#ffbb78", "allocated (kmem, other)" },
	[S_PRE_KEPT] = { "#1f77b4", "preloads kept" },
	[S_PRE_FREED] = { "#aec7e8", "preloads freed" },
	[S_CRASH] = { "#ff7f0e", "crash kernel" },
	[S_FW] = { "#7f7f7f", "firmware reserved" },
	[S_EARLY] = { "#bcbd22", "early reserved (first MiB)" },
	[S_NOMAP] = { "#2f4f4f", "no-map" },
	[S_BAD] = { "#000000", "bad" },
	[S_UNMANAGED] = { "#dbdb8d", "unmanaged (partial pages)" },
};

/* Free by order: light to dark green. */
static const char *const free_color[VMK_MAX_ORDER] = {
	"#e5f5e0", "#d4eecb", "#c2e6b7", "#addea3", "#97d48f", "#80c97c",
	"#67bd6a", "#4daf5a", "#35a04b", "#218b3e", "#0b6f2f",
};

#define WIDTH_PX	1024
#define LEFT		170
#define ROW_H		16
#define ROW_GAP		3
#define MAX_ROWS	8
#define WEIGHT		1024

struct interval {
	uint64_t start, end;
	int cat;
};

struct painter {
	struct interval *iv;	/* sorted, disjoint elementary label intervals */
	size_t niv;
	uint64_t lo, px;	/* band start, bytes per pixel */
	size_t npx;
	double (*bins)[S_N];
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * The frames of the per-CPU areas: kmem memory (ALLOC frames like any
 * other), found through the kernel page tables from each CPU's area.
 * Physically adjacent pages become one interval.
 */
static size_t percpu_intervals(const struct boot *b, struct interval *l, size_t max)
{
	uint64_t size = VMK_ALIGN_UP(b->d->percpu_size, VMK_PAGE_SIZE);
	size_t n = 0;

	for (unsigned int c = 0; c < b->d->cpus && b->percpu_va[c]; c++) {
		for (uint64_t off = 0; off < size; off += VMK_PAGE_SIZE) {
			struct vmk_pmap_mapping m;

			if (vmk_pmap_extract(vmk_pmap_kernel(), b->percpu_va[c] + off, &m))
				continue;
			if (n && l[n - 1].end == m.pa) {
				l[n - 1].end += VMK_PAGE_SIZE;
			} else if (n < max) {
				l[n++] = (struct interval){ m.pa, m.pa + VMK_PAGE_SIZE, S_PERCPU };
			}
		}
	}
	return n;
}

/* Labels in priority order; elementary intervals take the first label covering them. */
static int build_intervals(const struct boot *b, struct painter *p)
{
	struct interval l[4096];
	uint64_t *pts;
	size_t n = 0, np = 0;

	n = percpu_intervals(b, l, 4096 - 2 * MD_MAX_MODULES - 8);
	l[n++] = (struct interval){ b->kbase, b->kbase + b->ksize, S_KERNEL };
	for (size_t i = 0; i < b->npre; i++)
		l[n++] = (struct interval){ b->pre[i].pa, b->pre[i].pa + VMK_ALIGN_UP(b->pre[i].size, VMK_PAGE_SIZE),
					    b->pre[i].freed ? S_PRE_FREED : S_PRE_KEPT };
	if (b->crash.main.end > b->crash.main.base)
		l[n++] = (struct interval){ b->crash.main.base, b->crash.main.end, S_CRASH };
	if (b->crash.low.end > b->crash.low.base)
		l[n++] = (struct interval){ b->crash.low.base, b->crash.low.end, S_CRASH };
	if (b->early_size)
		l[n++] = (struct interval){ b->early_base, b->early_base + b->early_size, S_EARLY };
	for (size_t i = 0; i < b->mc.map.n && n < 4096; i++) {
		const struct vmk_fwmap_entry *e = &b->mc.map.e[i];

		if (vmk_boot_action(e, b->mc.map.format) == VMK_BOOT_RESERVE)
			l[n++] = (struct interval){ e->base, e->base + e->size, S_FW };
	}
	pts = malloc(2 * n * sizeof(*pts));
	p->iv = malloc(2 * n * sizeof(*p->iv));
	if (!pts || !p->iv) {
		free(pts);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		pts[np++] = l[i].start;
		pts[np++] = l[i].end;
	}
	qsort(pts, np, sizeof(*pts), cmp_u64);
	p->niv = 0;
	for (size_t i = 0; i + 1 < np; i++) {
		if (pts[i] == pts[i + 1])
			continue;
		for (size_t k = 0; k < n; k++)
			if (l[k].start <= pts[i] && pts[i + 1] <= l[k].end) {
				p->iv[p->niv++] = (struct interval){ pts[i], pts[i + 1], l[k].cat };
				break;
			}
	}
	free(pts);
	return 0;
}

/* The label at pa (-1: none) and where it (or the gap before the next label) ends. */
static int label_at(const struct painter *p, uint64_t pa, uint64_t *end)
{
	size_t lo = 0, hi = p->niv;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (p->iv[mid].end <= pa)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < p->niv && p->iv[lo].start <= pa) {
		*end = p->iv[lo].end;
		return p->iv[lo].cat;
	}
	*end = lo < p->niv ? p->iv[lo].start : UINT64_MAX;
	return -1;
}

static void paint(struct painter *p, uint64_t start, uint64_t end, int cat)
{
	double w = cat >= S_FREE0 && cat < S_FREE0 + VMK_MAX_ORDER ? 1 : WEIGHT;

	if (end <= p->lo)
		return;
	start = VMK_MAX(start, p->lo);
	while (start < end) {
		size_t i = (size_t)((start - p->lo) / p->px);
		uint64_t pend;

		if (i >= p->npx)
			return;
		pend = VMK_MIN(end, p->lo + (uint64_t)(i + 1) * p->px);
		p->bins[i][cat] += (double)(pend - start) * w;
		start = pend;
	}
}

static int reserved_cat(int label)
{
	/* Pages of a freed preload still reserved are its partial head and tail: kept. */
	return label < 0 ? S_KDATA : label == S_PRE_FREED ? S_PRE_KEPT : label;
}

/* Paint the managed memory of [start, end) by frame state. */
static void paint_memory(struct painter *p, const struct boot *b, uint64_t start, uint64_t end)
{
	uint64_t pa = start;

	while (pa < end) {
		struct vmk_phys_peek pk;
		uint64_t next, lend;
		int label = label_at(p, pa, &lend), cat;

		if (vmk_phys_peek(pa, &pk)) {
			next = VMK_MIN(VMK_ALIGN_DOWN(pa, VMK_PAGE_SIZE) + VMK_PAGE_SIZE, end);
			paint(p, pa, next, S_UNMANAGED);
			pa = next;
			continue;
		}
		next = VMK_MIN(VMK_MIN(pk.run_end, end), lend);
		switch (pk.state) {
		case VMK_PAGE_FREE:
			cat = label == S_PRE_FREED ? S_PRE_FREED : S_FREE0 + (int)pk.order;
			break;
		case VMK_PAGE_PCPU:
			cat = label == S_PRE_FREED ? S_PRE_FREED : S_FREE0;
			break;
		case VMK_PAGE_PTP:
			cat = S_PT;
			break;
		case VMK_PAGE_NOFREE:
			cat = S_NOFREE;
			break;
		case VMK_PAGE_NOFREE_POOL:
			cat = S_NOFREE_POOL;
			break;
		case VMK_PAGE_BAD:
			cat = S_BAD;
			break;
		case VMK_PAGE_ALLOC:
			cat = label == S_PERCPU ? S_PERCPU : S_ALLOC;
			break;
		default:
			cat = reserved_cat(label);
			break;
		}
		(void)b;
		paint(p, pa, next, cat);
		pa = next;
	}
}

static const char *human(uint64_t v, char *buf, size_t n)
{
	return vmk_fmt_size(buf, n, v);
}

struct band {
	int nid;
	uint64_t lo, hi, ram;
};

static size_t bands(const struct boot *b, struct band *bd)
{
	size_t n = 0;

	for (size_t i = 0; i < b->nmem; i++) {
		int nid = b->mem[i].nid < 0 ? 0 : b->mem[i].nid;
		size_t k;

		for (k = 0; k < n && bd[k].nid != nid; k++)
			;
		if (k == n)
			bd[n++] = (struct band){ nid, b->mem[i].base, b->mem[i].base + b->mem[i].size, 0 };
		bd[k].lo = VMK_MIN(bd[k].lo, b->mem[i].base);
		bd[k].hi = VMK_MAX(bd[k].hi, b->mem[i].base + b->mem[i].size);
		bd[k].ram += b->mem[i].size;
	}
	return n;
}

static void legend(FILE *f, int y)
{
	int x = 10;

	fprintf(f, "<text x=\"10\" y=\"%d\" class=\"t\">free, by buddy order 0 (4K) .. %d (%uM):</text>\n", y + 11,
		VMK_MAX_ORDER - 1, 1u << (VMK_MAX_ORDER - 1 + 12 - 20));
	for (int k = 0; k < VMK_MAX_ORDER; k++)
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"18\" height=\"12\" fill=\"%s\" stroke=\"#999\"/>"
			"<text x=\"%d\" y=\"%d\" class=\"s\">%d</text>\n", 250 + k * 24, y + 1, free_color[k],
			254 + k * 24, y + 24, k);
	y += 34;
	for (int c = S_KERNEL; c < S_N; c++) {
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"12\" fill=\"%s\" stroke=\"#999\"/>"
			"<text x=\"%d\" y=\"%d\" class=\"t\">%s</text>\n", x, y, cats[c].color, x + 19, y + 11,
			cats[c].name);
		x += 250;
		if (x > 900) {
			x = 10;
			y += 18;
		}
	}
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"12\" fill=\"%s\" stroke=\"#999\"/>"
		"<text x=\"%d\" y=\"%d\" class=\"t\">%s</text>\n", x, y, cats[S_HOLE].color, x + 19, y + 11,
		cats[S_HOLE].name);
}

static const char *pixel_color(const double *bin)
{
	int best = S_HOLE;
	double bw = 0;

	for (int c = 0; c < S_N; c++)
		if (bin[c] > bw) {
			bw = bin[c];
			best = c;
		}
	if (best >= S_FREE0 && best < S_FREE0 + VMK_MAX_ORDER)
		return free_color[best - S_FREE0];
	return cats[best].color;
}

int boot_write_svg(const struct boot *b, const char *path)
{
	struct band bd[MD_MAX_NODES + 1];
	size_t nb = bands(b, bd);
	struct painter p;
	FILE *f;
	int y = 40, height = 0;
	char h1[32], h2[32];

	memset(&p, 0, sizeof(p));
	if (build_intervals(b, &p))
		return -1;
	p.npx = WIDTH_PX * MAX_ROWS;
	p.bins = malloc(p.npx * sizeof(*p.bins));
	f = fopen(path, "w");
	if (!f || !p.bins) {
		fprintf(stderr, "vmkit boot: %s: cannot write the picture\n", path);
		if (f)
			fclose(f);
		free(p.bins);
		free(p.iv);
		return -1;
	}
	for (size_t i = 0; i < nb; i++) {
		uint64_t span = bd[i].hi - bd[i].lo, row = 16 * VMK_MiB;

		while (row * MAX_ROWS < span)
			row *= 2;
		height += 24 + (int)((span + row - 1) / row) * (ROW_H + ROW_GAP);
	}
	height += 40 + 34 + 18 * 6 + 20;
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n"
		"<style>.t{font:12px sans-serif;fill:#222}.s{font:9px sans-serif;fill:#444}.a{font:11px monospace;fill:#333}"
		".h{font:bold 14px sans-serif;fill:#111}</style>\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"#fafafa\"/>\n",
		LEFT + WIDTH_PX + 20, height, LEFT + WIDTH_PX + 20, height);
	fprintf(f, "<text x=\"10\" y=\"22\" class=\"h\">vmkit boot: physical memory after boot, %s (%s of RAM)</text>\n",
		b->name, human(b->ram, h1, sizeof(h1)));
	for (size_t i = 0; i < nb; i++) {
		uint64_t span = bd[i].hi - bd[i].lo, row = 16 * VMK_MiB;
		size_t rows;

		while (row * MAX_ROWS < span)
			row *= 2;
		rows = (size_t)((span + row - 1) / row);
		p.lo = VMK_ALIGN_DOWN(bd[i].lo, row);
		rows = (size_t)((bd[i].hi - p.lo + row - 1) / row);
		p.px = row / WIDTH_PX;
		memset(p.bins, 0, p.npx * sizeof(*p.bins));
		for (size_t k = 0; k < b->nmem; k++) {
			const struct boot_region *r = &b->mem[k];

			if ((r->nid < 0 ? 0 : r->nid) != bd[i].nid)
				continue;
			if (r->flags & VMK_MEMBLOCK_NOMAP)
				paint(&p, r->base, r->base + r->size, S_NOMAP);
			else
				paint_memory(&p, b, r->base, r->base + r->size);
		}
		y += 16;
		fprintf(f, "<text x=\"10\" y=\"%d\" class=\"h\">node %d: 0x%llx-0x%llx, %s of RAM, %s per row, %s per pixel</text>\n",
			y, bd[i].nid, (unsigned long long)bd[i].lo, (unsigned long long)(bd[i].hi - 1),
			human(bd[i].ram, h1, sizeof(h1)), human(row, h2, sizeof(h2)), human(p.px, h1 + 16, 16));
		y += 8;
		for (size_t r = 0; r < rows; r++) {
			fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"a\" text-anchor=\"end\">0x%llx</text>\n", LEFT - 6,
				y + ROW_H - 4, (unsigned long long)(p.lo + r * row));
			for (size_t x = 0; x < WIDTH_PX;) {
				const char *c = pixel_color(p.bins[r * WIDTH_PX + x]);
				size_t e = x + 1;

				while (e < WIDTH_PX && pixel_color(p.bins[r * WIDTH_PX + e]) == c)
					e++;
				fprintf(f, "<rect x=\"%zu\" y=\"%d\" width=\"%zu\" height=\"%d\" fill=\"%s\"/>\n", LEFT + x, y,
					e - x, ROW_H, c);
				x = e;
			}
			fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#bbb\"/>\n", LEFT,
				y, WIDTH_PX, ROW_H);
			y += ROW_H + ROW_GAP;
		}
	}
	y += 12;
	legend(f, y);
	fprintf(f, "</svg>\n");
	free(p.bins);
	free(p.iv);
	if (fclose(f)) {
		fprintf(stderr, "vmkit boot: %s: write error\n", path);
		return -1;
	}
	return 0;
}
