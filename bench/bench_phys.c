/*
 * Physical allocator benchmarks. Baselines are measured in the same run:
 *  - order-0 work: a bare LIFO free list threaded through the same page
 *    records, behind out-of-line alloc/free functions (the floor for any
 *    allocator call); the same list inlined into the loop is reported too;
 *  - contiguous allocation: an order-9 buddy allocation of the same size;
 *  - hand-over: writing the page array with memset (the floor for eager
 *    record initialisation).
 * The simulator's fault-injection hook takes a mutex on every call, so it
 * is switched off here (as in a production build).
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmkit/memblock.h>
#include <vmkit/phys.h>

#include "sim.h"

#define MiB VMK_MiB
#define GiB VMK_GiB
#define PG VMK_PAGE_SIZE
#define BATCH 64
#define MAXREPS 64

static struct vmk_platform plat;
static void *meta;

static void quiet_platform(void)
{
	plat = *vmk_sim_platform();
	plat.fault_inject = NULL;
	vmk_platform_set(&plat);
}

static void loud_platform(void)
{
	vmk_platform_set(vmk_sim_platform());
}

static int reps(void)
{
	int r = bench_reps();

	return r > MAXREPS ? MAXREPS : r;
}

/* A fresh allocator over [4G, 4G + size) on one CPU, records in host memory. */
static void machine(uint64_t size)
{
	size_t m = vmk_phys_seg_meta_size(4 * GiB, 4 * GiB + size);

	vmk_phys_reset();
	vmk_sim_ram_reset();
	vmk_sim_set_cpu_count(1);
	vmk_sim_set_cpu(0);
	free(meta);
	meta = aligned_alloc(4096, (m + 4095) & ~(size_t)4095);
	if (!meta || vmk_sim_ram_add(4 * GiB, size) ||
	    vmk_phys_seg_add(4 * GiB, 4 * GiB + size, 0, meta) ||
	    vmk_phys_bootstrap_free(4 * GiB, 4 * GiB + size)) {
		fprintf(stderr, "bench_phys: cannot set up the machine\n");
		exit(1);
	}
}

/*
 * The baseline: a bare LIFO free list over the same records. The frames
 * are allocated from phys first (so their records are ours) and linked
 * through the owner word.
 */
#define LIFO_PAGES 4096
static struct vmk_page *lifo, *lifo_pages[LIFO_PAGES];

#define LNEXT(p) ((struct vmk_page *)(uintptr_t)(p)->owner)
#define LSET(p, q) ((p)->owner = (uint64_t)(uintptr_t)(q))

__attribute__((noinline)) static struct vmk_page *lifo_alloc(void)
{
	struct vmk_page *p = lifo;

	lifo = LNEXT(p);
	return p;
}

__attribute__((noinline)) static void lifo_free(struct vmk_page *p)
{
	LSET(p, lifo);
	lifo = p;
}

static void lifo_build(void)
{
	size_t n = vmk_page_alloc_bulk(0, VMK_POOL_DEFAULT, VMK_ALLOC_NOCACHE, LIFO_PAGES, lifo_pages);

	if (n != LIFO_PAGES) {
		fprintf(stderr, "bench_phys: no pages for the baseline\n");
		exit(1);
	}
	lifo = NULL;
	for (size_t i = LIFO_PAGES; i-- > 0;)
		lifo_free(lifo_pages[i]);
}

static void lifo_destroy(void)
{
	for (size_t i = 0; i < LIFO_PAGES; i++)
		lifo_pages[i]->owner = 0;
	vmk_page_free_bulk(lifo_pages, LIFO_PAGES);
	lifo = NULL;
}

enum { ITERS = 3000 };

static double run_lifo(void)
{
	struct vmk_page *v[BATCH];
	double t0 = bench_now_ns();

	for (int it = 0; it < ITERS; it++) {
		for (int i = 0; i < BATCH; i++)
			v[i] = lifo_alloc();
		for (int i = BATCH; i-- > 0;)
			lifo_free(v[i]);
		bench_keep(v[0]);
	}
	return (bench_now_ns() - t0) / (ITERS * BATCH);
}

static double run_lifo_inline(void)
{
	struct vmk_page *v[BATCH];
	double t0 = bench_now_ns();

	for (int it = 0; it < ITERS; it++) {
		for (int i = 0; i < BATCH; i++) {
			v[i] = lifo;
			lifo = LNEXT(v[i]);
		}
		for (int i = BATCH; i-- > 0;) {
			LSET(v[i], lifo);
			lifo = v[i];
		}
		bench_keep(v[0]);
	}
	return (bench_now_ns() - t0) / (ITERS * BATCH);
}

static double run_pcpu(void)
{
	struct vmk_page *v[BATCH];
	double t0 = bench_now_ns();

	for (int it = 0; it < ITERS; it++) {
		for (int i = 0; i < BATCH; i++)
			v[i] = vmk_page_alloc(0, VMK_POOL_DEFAULT, 0);
		for (int i = BATCH; i-- > 0;)
			vmk_page_free(v[i]);
		bench_keep(v[0]);
	}
	return (bench_now_ns() - t0) / (ITERS * BATCH);
}

/* Both directions bypass the cache: NOCACHE allocation, a one-page run freed to the lists. */
static double run_buddy(void)
{
	struct vmk_page *v[BATCH];
	double t0 = bench_now_ns();

	for (int it = 0; it < ITERS; it++) {
		for (int i = 0; i < BATCH; i++)
			v[i] = vmk_page_alloc(0, VMK_POOL_DEFAULT, VMK_ALLOC_NOCACHE);
		for (int i = BATCH; i-- > 0;)
			vmk_page_free_contig(v[i], 1);
		bench_keep(v[0]);
	}
	return (bench_now_ns() - t0) / (ITERS * BATCH);
}

static double run_bulk(void)
{
	struct vmk_page *v[BATCH];
	double t0 = bench_now_ns();

	for (int it = 0; it < ITERS; it++) {
		size_t n = vmk_page_alloc_bulk(0, VMK_POOL_DEFAULT, 0, BATCH, v);

		vmk_page_free_bulk(v, n);
		bench_keep(v[0]);
	}
	return (bench_now_ns() - t0) / (ITERS * BATCH);
}

BENCH(phys_order0)
{
	double base[MAXREPS], inl[MAXREPS], pc[MAXREPS], bd[MAXREPS], bk[MAXREPS];
	int n = reps();
	double b;

	quiet_platform();
	machine(64 * MiB);
	lifo_build();
	for (int r = 0; r < n; r++) {
		/* Alternate the measurements so drift hits them all alike. */
		base[r] = run_lifo();
		inl[r] = run_lifo_inline();
		pc[r] = run_pcpu();
		bd[r] = run_buddy();
		bk[r] = run_bulk();
	}
	lifo_destroy();
	vmk_check_phys();
	b = bench_median(base, n);
	bench_report("phys_order0_lifo_baseline_pair", b, 0,
		     "bare LIFO list, out-of-line alloc/free (the floor)");
	bench_report("phys_order0_lifo_inline_pair", bench_median(inl, n), b,
		     "bare LIFO list inlined in the loop");
	bench_report("phys_order0_pcpu_pair", bench_median(pc, n), b,
		     "vmk_page_alloc + vmk_page_free through the per-CPU cache");
	bench_report("phys_order0_buddy_pair", bench_median(bd, n), b,
		     "NOCACHE alloc + free to the lists (domain lock, buddy split/coalesce)");
	bench_report("phys_order0_bulk_pair", bench_median(bk, n), b,
		     "vmk_page_alloc_bulk + vmk_page_free_bulk of 64, per page");
	bench_report_value("bytes_per_frame", (double)sizeof(struct vmk_page), "bytes");
	loud_platform();
}

/* ---- mixed orders ---- */

BENCH(phys_mixed)
{
	enum { LIVE = 512, OPS = 40000 };
	static struct { struct vmk_page *p; unsigned int order; } live[LIVE];
	double t[MAXREPS], base[MAXREPS];
	int n = reps();

	quiet_platform();
	machine(256 * MiB);
	lifo_build();
	for (int r = 0; r < n; r++) {
		uint64_t rng = 0x9e3779b97f4a7c15ull + (uint64_t)r;
		size_t nl = 0;
		double t0;

		base[r] = run_lifo();
		t0 = bench_now_ns();
		for (int i = 0; i < OPS; i++) {
			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			if (nl < LIVE && (nl == 0 || (rng & 1))) {
				unsigned int o = (unsigned int)((rng >> 8) % 10);
				struct vmk_page *p = vmk_page_alloc_order(0, VMK_POOL_DEFAULT, o, 0);

				if (p) {
					live[nl].p = p;
					live[nl++].order = o;
				}
			} else {
				size_t k = (rng >> 20) % nl;

				vmk_page_free_order(live[k].p, live[k].order);
				live[k] = live[--nl];
			}
		}
		t[r] = (bench_now_ns() - t0) / OPS;
		while (nl)
			vmk_page_free_order(live[nl - 1].p, live[nl - 1].order), nl--;
	}
	lifo_destroy();
	vmk_check_phys();
	bench_report("phys_mixed_orders_0_9_op", bench_median(t, n), bench_median(base, n),
		     "random orders 0..9 alloc / random free, 512 live; ratio vs an order-0 LIFO pair");
	loud_platform();
}

/* ---- contiguous allocation in fragmented memory ---- */

BENCH(phys_contig)
{
	enum { SIZE_MB = 256, TRIES = 200 };
	uint64_t npages = SIZE_MB * MiB / PG, rng = 12345;
	struct vmk_page **all = calloc(npages, sizeof(*all));
	double t[MAXREPS], base[MAXREPS];
	int n = reps(), ok = 0;

	quiet_platform();
	machine(SIZE_MB * MiB);
	for (uint64_t i = 0; i < npages; i++)
		all[i] = vmk_page_alloc(0, VMK_POOL_DEFAULT, VMK_ALLOC_NOCACHE);
	/*
	 * 50% fragmented: in every other 2 MiB block a random half of the pages
	 * stay allocated; the other blocks are freed whole. Half of memory is
	 * free, but only a quarter of it in 2 MiB-aligned runs.
	 */
	for (uint64_t b = 0; b < npages / 512; b++) {
		for (uint64_t i = 0; i < 512; i++) {
			struct vmk_page *p = all[b * 512 + i];
			bool keep;

			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			keep = (b % 2) && (rng & 1);
			if (!keep) {
				vmk_page_free(p);
				all[b * 512 + i] = NULL;
			}
		}
	}
	vmk_phys_drain_all_quiescent();
	for (int r = 0; r < n; r++) {
		double t0 = bench_now_ns();

		for (int i = 0; i < TRIES; i++) {
			struct vmk_page *p = vmk_page_alloc_contig(0, 512, 0, UINT64_MAX, 2 * MiB, 0, 0, 0);

			ok += p != NULL;
			if (p)
				vmk_page_free_contig(p, 512);
		}
		t[r] = (bench_now_ns() - t0) / TRIES;
		t0 = bench_now_ns();
		for (int i = 0; i < TRIES; i++) {
			struct vmk_page *p = vmk_page_alloc_order(0, VMK_POOL_DEFAULT, 9, 0);

			if (p)
				vmk_page_free_order(p, 9);
		}
		base[r] = (bench_now_ns() - t0) / TRIES;
	}
	if (ok != n * TRIES)
		fprintf(stderr, "bench_phys: %d of %d contiguous allocations failed\n", n * TRIES - ok,
			n * TRIES);
	vmk_check_phys();
	bench_report("phys_contig_512_2m_fragmented", bench_median(t, n), bench_median(base, n),
		     "512 pages 2 MiB-aligned, memory 50% fragmented; ratio vs an order-9 buddy alloc");
	for (uint64_t i = 0; i < npages; i++)
		if (all[i])
			vmk_page_free(all[i]);
	free(all);
	loud_platform();
}

/* ---- hand-over ---- */

static struct vmk_memblock mb;

/* memblock for [4G, 4G + size) with a kernel at 4G + 16M; allocator reset. */
static void boot_memblock(uint64_t size)
{
	vmk_phys_reset();
	vmk_memblock_init(&mb);
	vmk_memblock_add(&mb, 4 * GiB, size);
	vmk_memblock_reserve(&mb, 4 * GiB + 16 * MiB, 16 * MiB);
}

static void handover(const char *key, uint64_t size, bool eager, int n)
{
	struct vmk_phys_init_args args = { .eager = eager };
	double t[MAXREPS], base[MAXREPS], cold = 0;
	char k[96], note[128];
	uint64_t gib = size / GiB;

	if (vmk_sim_ram_add(4 * GiB, size)) {
		fprintf(stderr, "bench_phys: cannot simulate %llu GiB\n", (unsigned long long)gib);
		return;
	}
	for (int r = 0; r < n; r++) {
		const struct vmk_phys_boot_report *br;
		double t0;

		boot_memblock(size);
		t0 = bench_now_ns();
		if (vmk_phys_init(&mb, &args)) {
			fprintf(stderr, "bench_phys: hand-over of %llu GiB failed\n", (unsigned long long)gib);
			return;
		}
		t[r] = bench_now_ns() - t0;
		if (r == 0)
			cold = t[r];
		/* The floor for eager init: writing the page array once. */
		br = vmk_phys_boot_report();
		{
			/* The page array is the top of RAM (memblock allocates top-down). */
			vmk_paddr_t arr = 4 * GiB + size - br->page_array;
			char *v = vmk_sim_phys_to_virt(arr);

			t0 = bench_now_ns();
			if (eager)
				memset(v, 0, br->page_array);
			base[r] = eager ? bench_now_ns() - t0 : 0;
		}
	}
	snprintf(k, sizeof(k), "%s", key);
	snprintf(note, sizeof(note), "%s hand-over of %llu GiB (first run %.2f ms)%s",
		 eager ? "eager" : "lazy", (unsigned long long)gib, cold / 1e6,
		 eager ? "; ratio vs memset of the page array" : "");
	bench_report(k, bench_median(t, n), eager ? bench_median(base, n) : 0, note);
	if (eager) {
		double per[MAXREPS];

		for (int r = 0; r < n; r++)
			per[r] = t[r] / (double)gib;
		snprintf(k, sizeof(k), "%s_per_gib", key);
		bench_report(k, bench_median(per, n), 0, "eager hand-over time per GiB");
	}
	vmk_phys_reset();
	vmk_sim_ram_reset();
}

BENCH(phys_handover)
{
	int n = reps();

	quiet_platform();
	vmk_sim_ram_reset();
	handover("phys_handover_lazy_4g", 4 * GiB, false, n);
	handover("phys_handover_lazy_64g", 64 * GiB, false, n);
	handover("phys_handover_lazy_1t", 1024 * GiB, false, n);
	handover("phys_handover_eager_4g", 4 * GiB, true, n);
	handover("phys_handover_eager_64g", 64 * GiB, true, VMK_MIN(n, 5));
	loud_platform();
}
