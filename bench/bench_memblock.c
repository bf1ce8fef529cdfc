/*
 * memblock benchmarks: reserving 10,000 scattered ranges (which grows the
 * reserved array 128 -> 16384 on the way) and then 10,000 small top-down
 * allocations. Floors, measured in the same process, alternating with the
 * real runs:
 *  - reserve: inserting the same ranges into a plain sorted array of the
 *    same 24-byte region records (binary search + libc memmove, no merging,
 *    no growth): the same bytes moved; the ratio says what memblock's
 *    bookkeeping costs on top. The same insert into 16-byte ranges (the
 *    floor this figure had before) is reported as a reference;
 *  - alloc: a bump pointer handing out the same 64-byte blocks top-down.
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
static struct vmk_memblock_region plainr[N + 1];

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

__attribute__((noinline)) static void plain_insert(size_t *cnt, vmk_paddr_t base, vmk_paddr_t end)
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

/* The same insert into records of memblock's own size. */
__attribute__((noinline)) static void region_insert(size_t *cnt, vmk_paddr_t base, vmk_size_t size)
{
	size_t lo = 0, hi = *cnt;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (plainr[mid].base < base)
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(&plainr[lo + 1], &plainr[lo], (*cnt - lo) * sizeof(plainr[0]));
	plainr[lo].base = base;
	plainr[lo].size = size;
	plainr[lo].flags = 0;
	plainr[lo].nid = VMK_NUMA_NO_NODE;
	(*cnt)++;
}

/* The allocation floor: a bump pointer going down, aligned like memblock_alloc. */
__attribute__((noinline)) static vmk_paddr_t bump_alloc(vmk_paddr_t *top, vmk_size_t size,
							vmk_size_t align)
{
	*top = (*top - size) & ~(align - 1);
	return *top;
}

BENCH(memblock)
{
	int reps = bench_reps();
	double t_res[64], t_alloc[64], t_base[64], t_base16[64], t_bump[64];
	int n = reps < 64 ? reps : 64;
	char note[128];

	vmk_sim_install();
	vmk_sim_ram_reset();
	if (vmk_sim_ram_add(0, RAM))
		abort();
	for (int r = 0; r < n; r++) {
		vmk_paddr_t pa, top = RAM;
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
		for (size_t i = 0; i < N; i++)
			region_insert(&cnt, where[i], PG);
		t_base[r] = (bench_now_ns() - t0) / N;
		bench_keep(plainr[cnt / 2].base);

		cnt = 0;
		t0 = bench_now_ns();
		for (size_t i = 0; i < N; i++)
			plain_insert(&cnt, where[i], where[i] + PG);
		t_base16[r] = (bench_now_ns() - t0) / N;
		bench_keep(plain[cnt / 2].base);

		t0 = bench_now_ns();
		for (size_t i = 0; i < N; i++) {
			if (vmk_memblock_alloc(&mb, 64, 64, &pa))
				abort();
			bench_keep(pa);
		}
		t_alloc[r] = (bench_now_ns() - t0) / N;

		t0 = bench_now_ns();
		for (size_t i = 0; i < N; i++) {
			pa = bump_alloc(&top, 64, 64);
			bench_keep(pa);
		}
		t_bump[r] = (bench_now_ns() - t0) / N;
	}
	vmk_memblock_check(&mb);
	double base = bench_median(t_base, n), base16 = bench_median(t_base16, n);
	double bump = bench_median(t_bump, n);

	snprintf(note, sizeof(note), "10k scattered reserves, arrays grown to %zu; floor: sorted insert "
		 "of 24-byte records with memmove", mb.reserved.max);
	bench_report_stat("memblock_reserve_scattered_10k_per_op", bench_stat(t_res, n), base, base16, note);
	bench_report_stat("memblock_floor_sorted_insert_24b_per_op", bench_stat(t_base, n), 0, base16,
			  "floor: binary search + memmove into 24-byte records (memblock's own)");
	bench_report_stat("memblock_floor_sorted_insert_16b_per_op", bench_stat(t_base16, n), 0, 0,
			  "reference: the same into 16-byte ranges (the floor before)");
	bench_report_stat("memblock_alloc_64B_topdown_10k_per_op", bench_stat(t_alloc, n), bump, 0,
			  "after the 10k reserves; floor: a bump pointer (out of line)");
	bench_report_stat("memblock_floor_bump_alloc_per_op", bench_stat(t_bump, n), 0, 0,
			  "floor: bump pointer, 64 bytes aligned to 64, top-down");
	vmk_sim_ram_reset();
}
