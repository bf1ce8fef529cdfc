/* Baseline figures for the library helpers (sorting a memory map). */
#include "bench.h"

#include <stdlib.h>
#include <vmkit/lib.h>

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

BENCH(lib_sort)
{
	enum { N = 4096 };
	static uint64_t v[N];
	int reps = bench_reps();
	double t[64], base[64];

	for (int r = 0; r < reps && r < 64; r++) {
		srand(r);
		for (int i = 0; i < N; i++)
			v[i] = (uint64_t)rand() << 12;
		double t0 = bench_now_ns();
		vmk_sort(v, N, sizeof(v[0]), cmp_u64);
		t[r] = (bench_now_ns() - t0) / N;
		srand(r);
		for (int i = 0; i < N; i++)
			v[i] = (uint64_t)rand() << 12;
		t0 = bench_now_ns();
		qsort(v, N, sizeof(v[0]), cmp_u64);
		base[r] = (bench_now_ns() - t0) / N;
	}
	int n = reps < 64 ? reps : 64;
	double b = bench_median(base, n);
	bench_report("lib_sort_4096_per_elem", bench_median(t, n), b, "heapsort vs libc qsort");
}
