/*
 * Resource tree figures: parsing and rendering /proc/iomem text, and the
 * deepest lookup, each against a baseline measured in the same process.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vmkit/resource.h>

#define TOP	512		/* top-level System RAM / reserved pairs */
#define LINES	(TOP * 6)

static char text[LINES * 64];
static size_t text_len;
static struct vmk_resource nodes[LINES];
static char names[LINES * 32];

/* A machine-like map: RAM with kernel and reserved children, PCI windows with devices. */
static void make_text(void)
{
	size_t n = 0;

	for (int i = 0; i < TOP; i++) {
		uint64_t b = (uint64_t)i << 32;

		n += (size_t)sprintf(text + n, "%08llx-%08llx : System RAM\n",
				     (unsigned long long)b, (unsigned long long)(b + 0x7fffffff));
		n += (size_t)sprintf(text + n, "  %08llx-%08llx : Kernel code\n",
				     (unsigned long long)(b + 0x1000000), (unsigned long long)(b + 0x1ffffff));
		n += (size_t)sprintf(text + n, "  %08llx-%08llx : reserved\n",
				     (unsigned long long)(b + 0x40000000), (unsigned long long)(b + 0x400fffff));
		n += (size_t)sprintf(text + n, "%08llx-%08llx : PCI Bus 0000:%02x\n",
				     (unsigned long long)(b + 0x80000000), (unsigned long long)(b + 0xffffffff), i & 0xff);
		n += (size_t)sprintf(text + n, "  %08llx-%08llx : 0000:%02x:00.0\n",
				     (unsigned long long)(b + 0x80000000), (unsigned long long)(b + 0x8fffffff), i & 0xff);
		n += (size_t)sprintf(text + n, "    %08llx-%08llx : xhci-hcd\n",
				     (unsigned long long)(b + 0x80000000), (unsigned long long)(b + 0x8000ffff));
	}
	text_len = n;
}

static void sink(void *arg, const char *s, size_t n)
{
	size_t *total = arg;

	*total += n;
	bench_keep(s);
}

BENCH(resource_parse_render)
{
	int reps = bench_reps(), n = reps < 64 ? reps : 64;
	double tp[64], tr[64], tb[64];
	struct vmk_resource root;
	struct vmk_resource_pool pool;
	size_t total = 0, pos, lines;
	struct vmk_out out = { sink, &total, 0 };
	struct vmk_str line;

	make_text();
	for (int r = 0; r < n; r++) {
		/* Baseline: only splitting the text into lines, which any parser must do. */
		double t0 = bench_now_ns();
		pos = 0;
		lines = 0;
		while (vmk_next_line(text, text_len, &pos, &line))
			lines += line.len != 0;
		tb[r] = (bench_now_ns() - t0) / LINES;
		bench_keep(lines);

		vmk_iomem_root_init(&root);
		vmk_resource_pool_init(&pool, nodes, LINES, names, sizeof(names));
		t0 = bench_now_ns();
		if (vmk_resource_parse(&root, &pool, text, text_len, NULL) != 0)
			abort();
		tp[r] = (bench_now_ns() - t0) / LINES;
		t0 = bench_now_ns();
		vmk_resource_render(&root, &out);
		tr[r] = (bench_now_ns() - t0) / LINES;
	}
	if (total != text_len * (size_t)n)
		abort();
	double b = bench_median(tb, n);
	bench_report("resource_parse_per_line", bench_median(tp, n), b,
		     "parse 3072-line /proc/iomem vs line splitting alone");
	bench_report("resource_render_per_line", bench_median(tr, n), b,
		     "render vs line splitting alone");
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

BENCH(resource_lookup)
{
	enum { Q = 1 << 16 };
	static uint64_t addr[Q], starts[LINES];
	int reps = bench_reps(), n = reps < 64 ? reps : 64;
	double tl[64], tb[64];
	struct vmk_resource root;
	struct vmk_resource_pool pool;
	size_t ns = 0;

	make_text();
	vmk_iomem_root_init(&root);
	vmk_resource_pool_init(&pool, nodes, LINES, names, sizeof(names));
	if (vmk_resource_parse(&root, &pool, text, text_len, NULL) != 0)
		abort();
	for (struct vmk_resource *r = vmk_resource_next(&root, &root); r; r = vmk_resource_next(&root, r))
		starts[ns++] = r->start;
	qsort(starts, ns, sizeof(starts[0]), cmp_u64);
	srand(1);
	for (int i = 0; i < Q; i++)
		addr[i] = ((uint64_t)(rand() % TOP) << 32) | ((uint64_t)rand() << 1 & 0xffffffffu);
	for (int r = 0; r < n; r++) {
		uintptr_t acc = 0;
		double t0 = bench_now_ns();

		for (int i = 0; i < Q; i++)
			acc += (uintptr_t)vmk_resource_lookup(&root, addr[i]);
		tl[r] = (bench_now_ns() - t0) / Q;
		bench_keep(acc);
		/* Baseline: binary search over the sorted starts of all resources. */
		t0 = bench_now_ns();
		for (int i = 0; i < Q; i++) {
			size_t lo = 0, hi = ns;

			while (lo < hi) {
				size_t mid = (lo + hi) / 2;

				if (starts[mid] <= addr[i])
					lo = mid + 1;
				else
					hi = mid;
			}
			acc += lo;
		}
		tb[r] = (bench_now_ns() - t0) / Q;
		bench_keep(acc);
	}
	bench_report("resource_lookup_3072_nodes", bench_median(tl, n), bench_median(tb, n),
		     "deepest lookup (linear sibling scan) vs binary search of sorted starts");
}
