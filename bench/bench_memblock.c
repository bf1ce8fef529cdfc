/*
 * memblock benchmarks: reserving 10,000 scattered ranges (which grows the
 * reserved array 128 -> 16384 on the way) and then 10,000 small top-down
 * allocations. Baseline: inserting the same ranges into a plain sorted
 * array (binary search + memmove, no merging, no growth), measured in the
 * same process; the ratio says what memblock's bookkeeping costs on top.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vmkit/memblock.h>
#include "sim.h"

#define N	10000
#define PG	VMK_PAGE_SIZE
#define RAM	(1ULL << 30)

static struct vmk_memblock mb;
static vmk_paddr_t where[N];
static struct vmk_range plain[N + 1];

/* N distinct even page numbers in random order: disjoint, never touching. */
static void scatter(unsigned int seed)
{
	static uint32_t pages[RAM / PG / 2];
	size_t n = VMK_ARRAY_SIZE(pages);

	srand(seed);
	for (size_t i = 0; i < n; i++)
		pages[i] = (uint32_t)(2 * i);
	for (size_t i = 0; i < N; i++) {
		size_t j = i + (size_t)rand() % (n - i);
		uint32_t t = pages[i];

		pages[i] = pages[j];
		pages[j] = t;
		where[i] = (vmk_paddr_t)pages[i] * PG;
	}
}

static void plain_insert(size_t *cnt, vmk_paddr_t base, vmk_paddr_t end)
{
	size_t lo = 0, hi = *cnt;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (plain[mid].base < base)
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(&plain[lo + 1], &plain[lo], (*cnt - lo) * sizeof(plain[0]));
	plain[lo].base = base;
	plain[lo].end = end;
	(*cnt)++;
}

BENCH(memblock)
{
	int reps = bench_reps();
	double t_res[64], t_alloc[64], t_base[64];
	int n = reps < 64 ? reps : 64;
	char note[96];

	vmk_sim_install();
	vmk_sim_ram_reset();
	if (vmk_sim_ram_add(0, RAM))
		abort();
	for (int r = 0; r < n; r++) {
		vmk_paddr_t pa;
		size_t cnt = 0;
		double t0;

		scatter((unsigned int)r + 1);
		vmk_memblock_init(&mb);
		vmk_memblock_allow_resize(&mb, true);
		if (vmk_memblock_add(&mb, 0, RAM))
			abort();
		t0 = bench_now_ns();
		for (size_t i = 0; i < N; i++)
			if (vmk_memblock_reserve(&mb, where[i], PG))
				abort();
		t_res[r] = (bench_now_ns() - t0) / N;

		t0 = bench_now_ns();
		for (size_t i = 0; i < N; i++) {
			if (vmk_memblock_alloc(&mb, 64, 64, &pa))
				abort();
			bench_keep(pa);
		}
		t_alloc[r] = (bench_now_ns() - t0) / N;

		t0 = bench_now_ns();
		for (size_t i = 0; i < N; i++)
			plain_insert(&cnt, where[i], where[i] + PG);
		t_base[r] = (bench_now_ns() - t0) / N;
		bench_keep(plain[cnt / 2].base);
	}
	vmk_memblock_check(&mb);
	double base = bench_median(t_base, n);

	snprintf(note, sizeof(note), "10k scattered reserves, arrays grown to %zu; baseline sorted insert",
		 mb.reserved.max);
	bench_report("memblock_reserve_scattered_10k_per_op", bench_median(t_res, n), base, note);
	bench_report("memblock_alloc_64B_topdown_10k_per_op", bench_median(t_alloc, n), base,
		     "after the 10k reserves; baseline sorted insert");
	vmk_sim_ram_reset();
}
