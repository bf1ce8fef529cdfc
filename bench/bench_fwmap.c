/*
 * fwmap figures: sanitizing big overlapping maps (per entry, with the
 * in-place sort of the same entries as the baseline, so the ratio shows
 * the sweep's cost over the O(n log n) floor at each size), and parsing
 * E820 dmesg text (per line, with bare line splitting as the baseline).
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vmkit/fwmap.h>

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* RAM chunks that overlap their neighbours, with reservations scattered inside, shuffled. */
static void make_map(struct vmk_fwmap_entry *e, size_t n, uint64_t seed)
{
	rng_state = seed * 0x9e3779b97f4a7c15ull + 1;
	for (size_t i = 0; i < n; i++) {
		if (i % 2 == 0) {
			e[i] = (struct vmk_fwmap_entry){
				.base = (uint64_t)i * 0x100000,
				.size = 0x100000 + (rnd() % 4) * 0x1000 + 0x800,
				.kind = VMK_MEM_USABLE,
			};
		} else {
			e[i] = (struct vmk_fwmap_entry){
				.base = (rnd() % ((uint64_t)n * 0x100000)) & ~0xffull,
				.size = 0x1000 + rnd() % 0x10000,
				.kind = 2 + (uint32_t)(rnd() % (VMK_MEM_NKINDS - 2)),
			};
		}
	}
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = rnd() % (i + 1);
		struct vmk_fwmap_entry t = e[i];

		e[i] = e[j];
		e[j] = t;
	}
}

static int cmp_base(const void *a, const void *b)
{
	const struct vmk_fwmap_entry *x = a, *y = b;

	return (x->base > y->base) - (x->base < y->base);
}

static void sanitize_size(size_t n)
{
	size_t cap = vmk_fwmap_sanitize_cap(n);
	struct vmk_fwmap_entry *e = malloc(cap * sizeof(*e));
	int reps = bench_reps() > 64 ? 64 : bench_reps();
	double t[64], base[64];
	size_t out = 0;
	char key[64], note[96];

	for (int r = 0; r < reps; r++) {
		struct vmk_fwmap m;
		double t0;

		make_map(e, n, (uint64_t)r);
		vmk_fwmap_init(&m, e, cap);
		m.n = n;
		t0 = bench_now_ns();
		if (vmk_fwmap_sanitize(&m, NULL, NULL))
			abort();
		t[r] = (bench_now_ns() - t0) / (double)n;
		out = m.n;
		bench_keep(m.n);
		make_map(e, n, (uint64_t)r);
		t0 = bench_now_ns();
		vmk_sort(e, n, sizeof(*e), cmp_base);
		base[r] = (bench_now_ns() - t0) / (double)n;
		bench_keep(e[0].base);
	}
	snprintf(key, sizeof(key), "fwmap_sanitize_%zu_per_entry", n);
	snprintf(note, sizeof(note), "%zu overlapping entries -> %zu; baseline: vmk_sort by base", n, out);
	bench_report(key, bench_median(t, (size_t)reps), bench_median(base, (size_t)reps), note);
	free(e);
}

BENCH(fwmap_sanitize)
{
	sanitize_size(1000);
	sanitize_size(10000);
	sanitize_size(100000);
}

BENCH(fwmap_parse_e820_text)
{
	enum { LINES = 20000 };
	char *text = malloc((size_t)LINES * 96);
	struct vmk_fwmap_entry *st = malloc(LINES * sizeof(*st));
	int reps = bench_reps() > 64 ? 64 : bench_reps();
	double t[64], base[64];
	size_t len = 0;

	for (int i = 0; i < LINES; i++)
		len += (size_t)sprintf(text + len,
				       "[    0.000000] BIOS-e820: [mem 0x%016llx-0x%016llx] %s\n",
				       (unsigned long long)i * 0x10000,
				       (unsigned long long)i * 0x10000 + 0xffff,
				       i % 3 ? "usable" : "ACPI NVS");
	for (int r = 0; r < reps; r++) {
		struct vmk_fwmap m;
		struct vmk_str l;
		size_t pos = 0, lines = 0;
		double t0;

		vmk_fwmap_init(&m, st, LINES);
		t0 = bench_now_ns();
		if (vmk_fwmap_parse_e820_text(&m, text, len, NULL) || m.n != LINES)
			abort();
		t[r] = (bench_now_ns() - t0) / LINES;
		t0 = bench_now_ns();
		while (vmk_next_line(text, len, &pos, &l))
			lines++;
		base[r] = (bench_now_ns() - t0) / LINES;
		bench_keep(lines);
	}
	bench_report("fwmap_parse_e820_text_per_line", bench_median(t, (size_t)reps),
		     bench_median(base, (size_t)reps), "baseline: vmk_next_line over the same text");
	free(text);
	free(st);
}
