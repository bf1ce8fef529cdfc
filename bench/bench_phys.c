/*
 * Physical allocator benchmarks. Each figure is the median of BENCH_REPS
 * repetitions with its run-to-run spread, and its ratio to a floor that
 * does the same work, measured in the same process (repetitions alternate
 * between the paths so drift hits them alike):
 *  - order 0: a bare LIFO list threaded through the records of the same
 *    frames, inlined into the loop (the floor), and the same list behind
 *    out-of-line alloc/free functions (the reference: the floor of any
 *    allocator call); at batch 1, 32, 64 (the historical figure) and 1024
 *    (more than the per-CPU cache holds: its overflow path), and at batch
 *    32 and 1024 with half of the frames allocated;
 *  - mixed orders: the same trace of allocations and frees (recorded from
 *    the real run) replayed on segregated per-order LIFO lists of block
 *    heads: the same block sizes, no splitting, no coalescing;
 *  - contiguous allocation: an order-9 buddy allocation of the same size,
 *    both at 50% occupancy with only a few 2 MiB blocks wholly free;
 *  - hand-over: writing the page array with memset (the floor for eager
 *    record initialisation), and, as the reference, writing it once with
 *    the record pattern through vmk_stream_fill_default() (the stores
 *    eager initialisation cannot do without: memset writes zeros, which
 *    x86's string stores write faster than any pattern).
 * The simulator's fault-injection hook takes a mutex on every call, so it
 * is switched off here (as in a production build).
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmkit/memblock.h>
#include <vmkit/phys.h>

#include "bench_sim.h"
#include "sim.h"

#define MiB VMK_MiB
#define GiB VMK_GiB
#define PG VMK_PAGE_SIZE
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

/*
 * The cheapest correct critical-section and CPU-id hooks for this
 * one-CPU machine, as a kernel's would be (a per-CPU load, a saved and
 * restored interrupt flag): what the library costs without the
 * simulator's bookkeeping (its hooks count calls and check
 * break-before-make windows in thread-local state).
 */
static unsigned long lean_depth;

static unsigned int lean_cpu_id(void *ctx)
{
	(void)ctx;
	return 0;
}

static unsigned long lean_intr_disable(void *ctx)
{
	(void)ctx;
	return lean_depth++;
}

static void lean_intr_restore(void *ctx, unsigned long state)
{
	(void)ctx;
	lean_depth = state;
}

/*
 * Why the order-0 fast paths load exactly the bytes the other direction
 * stored: a record's 16-bit state/order store followed by an 8-byte load
 * of word 3 (what they did before), against the 16-bit and 1-byte loads
 * they do now. Per store-load pair, ns.
 */
typedef uint16_t __attribute__((may_alias)) sf_half;
typedef uint64_t __attribute__((may_alias)) sf_word;

__attribute__((noinline)) static double store_forward(bool wide)
{
	static struct vmk_page rec;
	const long n = 4000000;
	uint64_t acc = 0;
	double t0 = bench_now_ns();

	for (long i = 0; i < n; i++) {
		__atomic_store_n((sf_half *)(void *)&rec.state, (uint16_t)(i & 3), __ATOMIC_RELAXED);
		if (wide)
			acc += __atomic_load_n((sf_word *)(void *)&rec.state, __ATOMIC_RELAXED) & 0xff0000ff;
		else
			acc += __atomic_load_n((sf_half *)(void *)&rec.state, __ATOMIC_RELAXED) |
			       __atomic_load_n(&rec.flags, __ATOMIC_RELAXED);
	}
	bench_keep(acc);
	return (bench_now_ns() - t0) / (double)n;
}

static void store_forward_report(int n)
{
	double w[MAXREPS], m[MAXREPS];

	for (int r = 0; r < n; r++) {
		w[r] = store_forward(true);
		m[r] = store_forward(false);
	}
	bench_report_stat("phys_store_forward_wide_load", bench_stat(w, n), bench_median(m, n), 0,
			  "a record's 16-bit state store, then an 8-byte load over it; floor: 16-bit and 1-byte loads");
	bench_report_stat("phys_store_forward_matching_loads", bench_stat(m, n), 0, 0,
			  "a record's 16-bit state store, then a 16-bit load of it and a 1-byte load of the flags");
}

static void lean_platform(void)
{
	plat = *vmk_sim_platform();
	plat.fault_inject = NULL;
	plat.cpu_id = lean_cpu_id;
	plat.intr_disable = lean_intr_disable;
	plat.intr_restore = lean_intr_restore;
	vmk_platform_set(&plat);
}

static int reps(void)
{
	int r = bench_reps();

	return r > MAXREPS ? MAXREPS : r;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
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
 * The order-0 floor: a bare LIFO free list over the same records. The
 * frames are allocated from phys first (so their records are ours) and
 * linked through the owner word.
 */
#define LIFO_PAGES 4096
#define MAXBATCH 1024
#define PAIRS 196608	/* alloc+free pairs per measurement, any batch */
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
		fprintf(stderr, "bench_phys: no pages for the floor\n");
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

static struct vmk_page *vbuf[MAXBATCH];

/* Out-of-line LIFO: the reference (what any allocator call costs at least). */
__attribute__((noinline)) static double run_lifo(int batch)
{
	int iters = PAIRS / batch;
	double t0 = bench_now_ns();

	for (int it = 0; it < iters; it++) {
		for (int i = 0; i < batch; i++)
			vbuf[i] = lifo_alloc();
		for (int i = batch; i-- > 0;)
			lifo_free(vbuf[i]);
		bench_keep(vbuf[0]);
	}
	return (bench_now_ns() - t0) / ((double)iters * batch);
}

/* Inline LIFO: the floor (the same list operations, no call). */
__attribute__((noinline)) static double run_lifo_inline(int batch)
{
	int iters = PAIRS / batch;
	double t0 = bench_now_ns();

	for (int it = 0; it < iters; it++) {
		for (int i = 0; i < batch; i++) {
			vbuf[i] = lifo;
			lifo = LNEXT(vbuf[i]);
		}
		for (int i = batch; i-- > 0;) {
			LSET(vbuf[i], lifo);
			lifo = vbuf[i];
		}
		bench_keep(vbuf[0]);
	}
	return (bench_now_ns() - t0) / ((double)iters * batch);
}

__attribute__((noinline)) static double run_pcpu(int batch)
{
	int iters = PAIRS / batch;
	double t0 = bench_now_ns();

	for (int it = 0; it < iters; it++) {
		for (int i = 0; i < batch; i++)
			vbuf[i] = vmk_page_alloc(0, VMK_POOL_DEFAULT, 0);
		for (int i = batch; i-- > 0;)
			vmk_page_free(vbuf[i]);
		bench_keep(vbuf[0]);
	}
	return (bench_now_ns() - t0) / ((double)iters * batch);
}

/* Both directions bypass the cache: NOCACHE allocation, a one-page run freed to the lists. */
__attribute__((noinline)) static double run_buddy(int batch)
{
	int iters = PAIRS / batch / 4;	/* slower path: fewer pairs */
	double t0 = bench_now_ns();

	for (int it = 0; it < iters; it++) {
		for (int i = 0; i < batch; i++)
			vbuf[i] = vmk_page_alloc(0, VMK_POOL_DEFAULT, VMK_ALLOC_NOCACHE);
		for (int i = batch; i-- > 0;)
			vmk_page_free_contig(vbuf[i], 1);
		bench_keep(vbuf[0]);
	}
	return (bench_now_ns() - t0) / ((double)iters * batch);
}

__attribute__((noinline)) static double run_bulk(int batch)
{
	int iters = PAIRS / batch;
	double t0 = bench_now_ns();

	for (int it = 0; it < iters; it++) {
		size_t n = vmk_page_alloc_bulk(0, VMK_POOL_DEFAULT, 0, (size_t)batch, vbuf);

		vmk_page_free_bulk(vbuf, n);
		bench_keep(vbuf[0]);
	}
	return (bench_now_ns() - t0) / ((double)iters * batch);
}

struct order0_runs {
	double inl[MAXREPS], ool[MAXREPS], pc[MAXREPS], bd[MAXREPS], bk[MAXREPS];
};

/* One repetition of every path at this batch size, alternating. */
static void order0_rep(struct order0_runs *o, int r, int batch, bool bulk)
{
	o->inl[r] = run_lifo_inline(batch);
	o->ool[r] = run_lifo(batch);
	o->pc[r] = run_pcpu(batch);
	o->bd[r] = run_buddy(batch);
	o->bk[r] = bulk ? run_bulk(batch) : 0;
}

/*
 * Every repetition at one batch size. Out of line so that callgrind can cut
 * its profile at each batch (--dump-before/--dump-after=order0_batch).
 */
__attribute__((noinline)) static void order0_batch(struct order0_runs *o, int n, int batch, bool bulk)
{
	for (int r = 0; r < n; r++)
		order0_rep(o, r, batch, bulk);
}

/* Report the order-0 figures of one batch size under prefix (e.g. "phys_order0_b32"). */
static void order0_report(struct order0_runs *o, int n, const char *prefix, const char *what)
{
	struct bench_stat inl = bench_stat(o->inl, n), ool = bench_stat(o->ool, n);
	char k[96], note[128];

	snprintf(k, sizeof(k), "%s_lifo_inline_pair", prefix);
	snprintf(note, sizeof(note), "floor: bare LIFO list inlined in the loop (%s)", what);
	bench_report_stat(k, inl, 0, 0, note);
	snprintf(k, sizeof(k), "%s_lifo_pair", prefix);
	snprintf(note, sizeof(note), "reference: the LIFO behind out-of-line alloc/free (%s)", what);
	bench_report_stat(k, ool, inl.median, 0, note);
	snprintf(k, sizeof(k), "%s_pcpu_pair", prefix);
	snprintf(note, sizeof(note), "vmk_page_alloc + vmk_page_free, per-CPU cache (%s)", what);
	bench_report_stat(k, bench_stat(o->pc, n), inl.median, ool.median, note);
	snprintf(k, sizeof(k), "%s_buddy_pair", prefix);
	snprintf(note, sizeof(note), "NOCACHE alloc + free to the lists (%s)", what);
	bench_report_stat(k, bench_stat(o->bd, n), inl.median, ool.median, note);
}

/*
 * Allocate frames until `frac` of all frames of the machine (total) are
 * allocated, spread at random (so the free ones are scattered single
 * frames and short runs). Returns the frames taken (to free afterwards).
 */
static struct vmk_page **occupy(uint64_t total, uint64_t already, double frac, size_t *count)
{
	uint64_t nfree = total - already, want = (uint64_t)(frac * (double)total) - already;
	struct vmk_page **all = calloc(nfree, sizeof(*all));
	uint64_t rng = 0x5eed, kept = 0;

	for (uint64_t i = 0; i < nfree; i++)
		all[i] = vmk_page_alloc(0, VMK_POOL_DEFAULT, VMK_ALLOC_NOCACHE);
	/* keep exactly `want` of them, chosen at random (selection sampling) */
	for (uint64_t i = 0; i < nfree; i++) {
		if (all[i] && xorshift(&rng) % (nfree - i) < want - kept) {
			all[kept++] = all[i];
		} else if (all[i]) {
			vmk_page_free(all[i]);
		}
	}
	vmk_phys_drain_all_quiescent();
	*count = kept;
	return all;
}

/*
 * Of the free frames of [4G, 4G + size), the fraction that are free blocks
 * of order 0 (their buddy allocated), read from the allocator: 1/2 when
 * the allocated half is spread at random, less when part of it is one
 * compact run (the free frames then sit in larger blocks).
 */
static double free_single_fraction(uint64_t size)
{
	uint64_t nfree = 0, single = 0;

	for (vmk_paddr_t pa = 4 * GiB; pa < 4 * GiB + size; pa += PG) {
		struct vmk_phys_peek pk;

		if (vmk_phys_peek(pa, &pk) || pk.state != VMK_PAGE_FREE)
			continue;
		nfree++;
		single += pk.order == 0;
	}
	return nfree ? (double)single / (double)nfree : 0;
}

/*
 * The floor's list made of n frames of held[] (taken from its end), so at
 * 50% occupancy its frames are part of the scattered half instead of a
 * compact run beside it. Returns the count left in held[].
 */
static size_t lifo_from(struct vmk_page **held, size_t count, size_t n)
{
	lifo = NULL;
	for (size_t i = 0; i < n; i++) {
		lifo_pages[i] = held[count - n + i];
		lifo_free(lifo_pages[i]);
	}
	return count - n;
}

BENCH(phys_order0)
{
	static const int batches[] = { 1, 32, 1024 };
	static struct order0_runs o, b64;
	const uint64_t size = 64 * MiB, frames = size / PG;
	int n = reps();
	struct vmk_page **held;
	size_t nheld;
	char prefix[64], what[64];

	quiet_platform();
	machine(size);
	lifo_build();
	/* The historical figures: batch 64, out-of-line reference kept under its old key. */
	order0_batch(&b64, n, 64, true);
	{
		struct bench_stat inl = bench_stat(b64.inl, n), ool = bench_stat(b64.ool, n);

		bench_report_stat("phys_order0_lifo_baseline_pair", ool, inl.median, 0,
				  "reference: bare LIFO, out-of-line alloc/free (batch 64)");
		bench_report_stat("phys_order0_lifo_inline_pair", inl, 0, 0,
				  "floor: bare LIFO inlined in the loop (batch 64)");
		bench_report_stat("phys_order0_pcpu_pair", bench_stat(b64.pc, n), inl.median, ool.median,
				  "vmk_page_alloc + vmk_page_free through the per-CPU cache (batch 64)");
		bench_report_stat("phys_order0_buddy_pair", bench_stat(b64.bd, n), inl.median, ool.median,
				  "NOCACHE alloc + free to the lists (domain lock, split/coalesce; batch 64)");
		bench_report_stat("phys_order0_bulk_pair", bench_stat(b64.bk, n), inl.median, ool.median,
				  "vmk_page_alloc_bulk + vmk_page_free_bulk of 64, per page");
	}
	for (size_t b = 0; b < VMK_ARRAY_SIZE(batches); b++) {
		order0_batch(&o, n, batches[b], false);
		snprintf(prefix, sizeof(prefix), "phys_order0_b%d", batches[b]);
		snprintf(what, sizeof(what), "batch %d", batches[b]);
		order0_report(&o, n, prefix, what);
	}
	/* Batch 1 and 1024 again with the lean hooks (the same frames, the same floors). */
	lean_platform();
	for (int bb = 0; bb < 2; bb++) {
		int batch = bb ? 1024 : 1;
		struct bench_stat inl, ool;
		char note[160];

		order0_batch(&o, n, batch, false);
		inl = bench_stat(o.inl, n);
		ool = bench_stat(o.ool, n);
		snprintf(prefix, sizeof(prefix), "phys_order0_b%d_pcpu_pair_lean_hooks", batch);
		snprintf(note, sizeof(note), "vmk_page_alloc + vmk_page_free, per-CPU cache (batch %d), "
			 "one-line CPU-id and interrupt hooks instead of the simulator's", batch);
		bench_report_stat(prefix, bench_stat(o.pc, n), inl.median, ool.median, note);
	}
	VMK_VERIFY(lean_depth == 0, "the lean hooks' sections are balanced");
	store_forward_report(n);
	quiet_platform();
	/*
	 * Half of the frames allocated, scattered: refills and overflows meet
	 * fragments. The floor's list is made anew from frames of that half:
	 * lifo_build()'s frames are one compact quarter of the machine, beside
	 * which the allocator would meet the rest at one third occupancy.
	 */
	lifo_destroy();
	vmk_phys_drain_all_quiescent();
	held = occupy(frames, 0, 0.5, &nheld);
	nheld = lifo_from(held, nheld, LIFO_PAGES);
	bench_report_value("phys_order0_50pct_occupancy",
			   1.0 - (double)vmk_phys_free_pages(0, VMK_POOL_DEFAULT) / (double)frames,
			   "fraction of frames allocated (measured)");
	bench_report_value("phys_order0_50pct_free_single_fraction", free_single_fraction(size),
			   "free frames whose buddy is allocated (measured; 0.5 if spread at random)");
	for (int bb = 0; bb < 2; bb++) {
		int batch = bb ? 1024 : 32;

		order0_batch(&o, n, batch, false);
		snprintf(prefix, sizeof(prefix), "phys_order0_50pct_b%d", batch);
		snprintf(what, sizeof(what), "batch %d, 50%% of frames allocated", batch);
		order0_report(&o, n, prefix, what);
	}
	for (size_t i = 0; i < nheld; i++)
		vmk_page_free(held[i]);
	free(held);
	lifo_destroy();
	vmk_check_phys();
	bench_report_value("bytes_per_frame", (double)sizeof(struct vmk_page), "bytes");
	loud_platform();
}

/* ---- mixed orders ---- */

/*
 * The floor for mixed orders: one LIFO list of block heads per order, fed
 * by a bump pointer over 32-byte records (the size of a page record) laid
 * out like frames, so a block of order o takes 2^o records and its head is
 * as far from its neighbours as a real one. The same sizes are allocated
 * and freed in the same order as the real run; no split, no coalescing.
 */
struct fnode {
	struct fnode *next;
	uint64_t pad[3];
};

static struct fnode *fpool, *fhead[VMK_MAX_ORDER];
static size_t fbump, fcap;

__attribute__((noinline)) static struct fnode *floor_alloc(unsigned int o)
{
	struct fnode *p = fhead[o];

	if (p) {
		fhead[o] = p->next;
		return p;
	}
	if (fbump + (1u << o) > fcap) {
		fprintf(stderr, "bench_phys: mixed-order floor out of records\n");
		exit(1);
	}
	p = &fpool[fbump];
	fbump += 1u << o;
	return p;
}

__attribute__((noinline)) static void floor_free(struct fnode *p, unsigned int o)
{
	p->next = fhead[o];
	fhead[o] = p;
}

static void floor_reset(size_t cap)
{
	if (cap > fcap) {
		free(fpool);
		fpool = aligned_alloc(64, cap * sizeof(*fpool));
		fcap = cap;
	}
	memset(fhead, 0, sizeof(fhead));
	fbump = 0;
}

/* One recorded step: an allocation of `order` (failed: skipped) or a free of slot `slot`. */
struct mop {
	uint8_t alloc, order, failed;
	uint32_t slot;
};

struct mixed {
	struct mop *trace;
	size_t nops, cap;
	struct { struct vmk_page *p; unsigned int order; } *live;
	struct fnode **flive;
	size_t nl, maxlive;
	uint64_t pages;		/* pages held by live blocks */
};

static void mop_push(struct mixed *m, bool alloc, unsigned int order, size_t slot, bool failed)
{
	if (m->nops == m->cap) {
		fprintf(stderr, "bench_phys: trace full\n");
		exit(1);
	}
	m->trace[m->nops++] = (struct mop){ alloc, (uint8_t)order, failed, (uint32_t)slot };
}

static void mixed_alloc(struct mixed *m, unsigned int o)
{
	struct vmk_page *p = vmk_page_alloc_order(0, VMK_POOL_DEFAULT, o, 0);

	mop_push(m, true, o, m->nl, !p);
	if (p) {
		m->live[m->nl].p = p;
		m->live[m->nl++].order = o;
		m->pages += 1u << o;
	}
}

static void mixed_free(struct mixed *m, size_t k)
{
	mop_push(m, false, m->live[k].order, k, false);
	vmk_page_free_order(m->live[k].p, m->live[k].order);
	m->pages -= 1u << m->live[k].order;
	m->live[k] = m->live[--m->nl];
}

/* Replay trace[from, to) on the floor; returns ns per operation. */
static double floor_replay(struct mixed *m, size_t from, size_t to, size_t *fnl)
{
	double t0 = bench_now_ns();

	for (size_t i = from; i < to; i++) {
		const struct mop *op = &m->trace[i];

		if (op->alloc) {
			if (!op->failed)
				m->flive[(*fnl)++] = floor_alloc(op->order);
		} else {
			floor_free(m->flive[op->slot], op->order);
			m->flive[op->slot] = m->flive[--*fnl];
		}
	}
	return (bench_now_ns() - t0) / (double)(to - from);
}

static void mixed_init(struct mixed *m, size_t maxlive, size_t maxops)
{
	m->trace = malloc(maxops * sizeof(*m->trace));
	m->cap = maxops;
	m->live = malloc(maxlive * sizeof(*m->live));
	m->flive = malloc(maxlive * sizeof(*m->flive));
	m->maxlive = maxlive;
	m->nl = m->nops = 0;
	m->pages = 0;
}

static void mixed_fini(struct mixed *m)
{
	while (m->nl)
		mixed_free(m, m->nl - 1);
	free(m->trace);
	free(m->live);
	free(m->flive);
}

/* The historical workload: up to 512 live blocks, random alloc / random free. */
BENCH(phys_mixed)
{
	enum { LIVE = 512, OPS = 40000 };
	double t[MAXREPS], base[MAXREPS];
	int n = reps(), fails = 0;
	struct mixed m;

	quiet_platform();
	machine(256 * MiB);
	mixed_init(&m, LIVE, OPS + LIVE);
	for (int r = 0; r < n; r++) {
		uint64_t rng = 0x9e3779b97f4a7c15ull + (uint64_t)r;
		size_t fnl = 0, end;
		double t0;

		m.nops = 0;
		t0 = bench_now_ns();
		for (int i = 0; i < OPS; i++) {
			xorshift(&rng);
			if (m.nl < LIVE && (m.nl == 0 || (rng & 1)))
				mixed_alloc(&m, (unsigned int)((rng >> 8) % 10));
			else
				mixed_free(&m, (rng >> 20) % m.nl);
		}
		t[r] = (bench_now_ns() - t0) / OPS;
		end = m.nops;
		while (m.nl)
			mixed_free(&m, m.nl - 1);
		for (size_t i = 0; i < end; i++)
			fails += m.trace[i].alloc && m.trace[i].failed;
		floor_reset(4 * 65536);
		base[r] = floor_replay(&m, 0, end, &fnl);
	}
	mixed_fini(&m);
	vmk_check_phys();
	if (fails)
		printf("phys_mixed: %d allocations failed (replayed as skipped)\n", fails);
	bench_report_stat("phys_mixed_orders_0_9_op", bench_stat(t, n), bench_median(base, n), 0,
			  "random orders 0..9 alloc / random free, <= 512 live; "
			  "floor: per-order LIFO lists, same trace");
	loud_platform();
}

/*
 * Random orders 0..9 at 50% occupancy: memory is first filled to half with
 * random-order blocks, then every step frees a random live block when at
 * least half is allocated and allocates one of a random order otherwise,
 * so the occupancy stays at 50% (within one block) during the run.
 */
BENCH(phys_mixed_50pct)
{
	enum { OPS = 40000, MAXLIVE = 65536 };
	const uint64_t size = 256 * MiB, frames = size / PG, target = frames / 2;
	double t[MAXREPS], base[MAXREPS], occ[MAXREPS];
	int n = reps(), fails = 0;
	struct mixed m;

	quiet_platform();
	machine(size);
	mixed_init(&m, MAXLIVE, 2 * MAXLIVE + OPS);
	for (int r = 0; r < n; r++) {
		uint64_t rng = 0x51ed270b27a3c5d9ull + (uint64_t)r;
		size_t fnl = 0, fill;
		double t0;

		m.nops = 0;
		while (m.pages < target)
			mixed_alloc(&m, (unsigned int)((xorshift(&rng) >> 8) % 10));
		fill = m.nops;
		t0 = bench_now_ns();
		for (int i = 0; i < OPS; i++) {
			xorshift(&rng);
			if (m.pages >= target)
				mixed_free(&m, (rng >> 20) % m.nl);
			else
				mixed_alloc(&m, (unsigned int)((rng >> 8) % 10));
		}
		t[r] = (bench_now_ns() - t0) / OPS;
		occ[r] = (double)m.pages / (double)frames;
		for (size_t i = fill; i < fill + OPS; i++)
			fails += m.trace[i].alloc && m.trace[i].failed;
		while (m.nl)
			mixed_free(&m, m.nl - 1);
		floor_reset(4 * frames);
		floor_replay(&m, 0, fill, &fnl);	/* the same filled state, untimed */
		base[r] = floor_replay(&m, fill, fill + OPS, &fnl);
	}
	mixed_fini(&m);
	vmk_check_phys();
	if (fails)
		printf("phys_mixed_50pct: %d allocations failed (replayed as skipped)\n", fails);
	bench_report_value("phys_mixed_50pct_occupancy", bench_median(occ, n),
			   "fraction of frames allocated at the end of the run (median)");
	bench_report_stat("phys_mixed_orders_0_9_50pct_op", bench_stat(t, n), bench_median(base, n), 0,
			  "random orders 0..9 at 50% occupancy, per alloc or free; "
			  "floor: per-order LIFO lists, same trace");
	loud_platform();
}

/* ---- contiguous allocation in fragmented memory ---- */

/*
 * 1 GiB, half of its frames allocated: one 2 MiB block in 32 is left
 * wholly free, every other block keeps a random 264 of its 512 frames
 * (49.95% overall). The run keeps RING 2 MiB allocations live and replaces
 * the oldest each step, so occupancy stays put while the allocator has to
 * find a different free block each time. The reference is the same ring
 * of order-9 buddy allocations at the same occupancy.
 */
BENCH(phys_contig)
{
	enum { TRIES = 200, RING = 4, BLK = 512, KEEP = 264, FREE_EVERY = 32 };
	const uint64_t size = 1 * GiB, npages = size / PG, nblk = npages / BLK;
	struct vmk_page **all = calloc(npages, sizeof(*all));
	struct vmk_page *ring[RING];
	double t[MAXREPS], base[MAXREPS];
	int n = reps(), fails = 0;
	uint64_t rng = 12345, wholly_free = 0, held = 0;

	quiet_platform();
	machine(size);
	for (uint64_t i = 0; i < npages; i++)
		all[i] = vmk_page_alloc(0, VMK_POOL_DEFAULT, VMK_ALLOC_NOCACHE);
	for (uint64_t b = 0; b < nblk; b++) {
		uint64_t kept = 0, keep = b % FREE_EVERY == FREE_EVERY / 2 ? 0 : KEEP;

		for (uint64_t i = 0; i < BLK; i++) {
			struct vmk_page **pp = &all[b * BLK + i];

			if (*pp && xorshift(&rng) % (BLK - i) < keep - kept) {
				kept++;
				continue;
			}
			if (*pp)
				vmk_page_free(*pp);
			*pp = NULL;
		}
		wholly_free += kept == 0;
		held += kept;
	}
	vmk_phys_drain_all_quiescent();
	/* What the allocator holds, not what the loop above meant to leave. */
	{
		uint64_t free_blocks = 0;

		for (uint64_t b = 0; b < nblk; b++) {
			struct vmk_phys_peek pk;

			free_blocks += !vmk_phys_peek(4 * GiB + b * 2 * MiB, &pk) &&
				       pk.state == VMK_PAGE_FREE && pk.order >= 9;
		}
		if (free_blocks != wholly_free ||
		    npages - vmk_phys_free_pages(0, VMK_POOL_DEFAULT) != held)
			printf("phys_contig: the allocator holds %llu wholly free 2 MiB blocks, "
			       "%llu meant\n", (unsigned long long)free_blocks,
			       (unsigned long long)wholly_free);
		wholly_free = free_blocks;
		held = npages - vmk_phys_free_pages(0, VMK_POOL_DEFAULT);
	}
	bench_report_value("phys_contig_free_2m_blocks_fraction", (double)wholly_free / (double)nblk,
			   "2 MiB blocks wholly free (measured: vmk_phys_peek of each block)");
	bench_report_value("phys_contig_occupancy", (double)held / (double)npages,
			   "fraction of frames allocated (measured: free pages)");
	for (int r = 0; r < n; r++) {
		double t0;

		for (int i = 0; i < RING; i++)
			ring[i] = vmk_page_alloc_contig(0, BLK, 0, UINT64_MAX, 2 * MiB, 0, 0, 0);
		t0 = bench_now_ns();
		for (int i = 0; i < TRIES; i++) {
			struct vmk_page *p = vmk_page_alloc_contig(0, BLK, 0, UINT64_MAX, 2 * MiB, 0, 0, 0);

			fails += !p;
			if (ring[i % RING])
				vmk_page_free_contig(ring[i % RING], BLK);
			ring[i % RING] = p;
		}
		t[r] = (bench_now_ns() - t0) / TRIES;
		for (int i = 0; i < RING; i++)
			if (ring[i])
				vmk_page_free_contig(ring[i], BLK);
		for (int i = 0; i < RING; i++)
			ring[i] = vmk_page_alloc_order(0, VMK_POOL_DEFAULT, 9, 0);
		t0 = bench_now_ns();
		for (int i = 0; i < TRIES; i++) {
			struct vmk_page *p = vmk_page_alloc_order(0, VMK_POOL_DEFAULT, 9, 0);

			fails += !p;
			if (ring[i % RING])
				vmk_page_free_order(ring[i % RING], 9);
			ring[i % RING] = p;
		}
		base[r] = (bench_now_ns() - t0) / TRIES;
		for (int i = 0; i < RING; i++)
			if (ring[i])
				vmk_page_free_order(ring[i], 9);
	}
	if (fails)
		fprintf(stderr, "bench_phys: %d of %d 2 MiB allocations failed\n", fails, 2 * n * TRIES);
	vmk_check_phys();
	bench_report_stat("phys_contig_512_2m_fragmented", bench_stat(t, n), bench_median(base, n), 0,
			  "512 pages 2 MiB-aligned at 50% occupancy, 1/32 of blocks free; "
			  "ratio vs an order-9 buddy alloc");
	bench_report_stat("phys_contig_order9_reference", bench_stat(base, n), 0, 0,
			  "order-9 buddy alloc + free of the oldest of 4, same memory");
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

/* Returns the median total hand-over time (0 if it could not run). */
static double handover(const char *key, uint64_t size, bool eager, int n)
{
	struct vmk_phys_init_args args = { .eager = eager };
	double t[MAXREPS], base[MAXREPS], ref[MAXREPS], faults[MAXREPS], cold = 0, total;
	char k[96], note[160];
	uint64_t gib = size / GiB;

	if (vmk_sim_ram_add(4 * GiB, size)) {
		fprintf(stderr, "bench_phys: cannot simulate %llu GiB\n", (unsigned long long)gib);
		return 0;
	}
	/*
	 * w == 0 is the first run, on fresh host memory: reported as such
	 * (its host page faults are no kernel's cost), its figures overwritten,
	 * so every repetition and its floors run on memory already faulted in.
	 */
	for (int w = 0; w <= n; w++) {
		int r = w ? w - 1 : 0;
		const struct vmk_phys_boot_report *br;
		double t0;
		long f0;

		boot_memblock(size);
		f0 = bench_sim_host_faults();
		t0 = bench_now_ns();
		if (vmk_phys_init(&mb, &args)) {
			fprintf(stderr, "bench_phys: hand-over of %llu GiB failed\n", (unsigned long long)gib);
			return 0;
		}
		t[r] = bench_now_ns() - t0;
		faults[r] = (double)(bench_sim_host_faults() - f0);
		if (w == 0)
			cold = t[r];
		/* The floor for eager init: writing the page array once. */
		br = vmk_phys_boot_report();
		{
			/* The page array is the top of RAM (memblock allocates top-down). */
			vmk_paddr_t arr = 4 * GiB + size - br->page_array;
			char *v = vmk_sim_phys_to_virt(arr);

			/* A tail record's pattern (state FREE, order none, segment 0). */
			static const uint64_t pat[4] = { 0, 0, 0, 0xff01 };

			t0 = bench_now_ns();
			if (eager)
				memset(v, 0, br->page_array);
			base[r] = eager ? bench_now_ns() - t0 : 0;
			t0 = bench_now_ns();
			if (eager)
				vmk_stream_fill_default(v, pat, pat, br->page_array / 32);
			ref[r] = eager ? bench_now_ns() - t0 : 0;
		}
	}
	total = bench_median(t, n);
	snprintf(k, sizeof(k), "%s_host_faults", key);
	bench_report_value(k, bench_median(faults, n), "host page faults during a timed hand-over (median; 0: pre-faulted)");
	snprintf(k, sizeof(k), "%s", key);
	snprintf(note, sizeof(note), "%s hand-over of %llu GiB (first run %.2f ms)%s",
		 eager ? "eager" : "lazy", (unsigned long long)gib, cold / 1e6,
		 eager ? "; ratio vs memset of the page array, and vs a streamed record fill" : "");
	bench_report_stat(k, bench_stat(t, n), eager ? bench_median(base, n) : 0,
			  eager ? bench_median(ref, n) : 0, note);
	if (eager) {
		double per[MAXREPS];

		for (int r = 0; r < n; r++)
			per[r] = t[r] / (double)gib;
		snprintf(k, sizeof(k), "%s_per_gib", key);
		bench_report_stat(k, bench_stat(per, n), bench_median(base, n) / (double)gib,
				  bench_median(ref, n) / (double)gib,
				  "eager hand-over time per GiB; ratio vs memset, and vs a streamed record fill");
	}
	vmk_phys_reset();
	vmk_sim_ram_reset();
	return total;
}

/*
 * vmk_phys_seg_add + vmk_phys_bootstrap_free of size bytes (the way an
 * embedder that does not use memblock hands memory over), records in host
 * memory; ratio against the eager hand-over of the same size (eager_ns,
 * measured just before in the same process).
 */
static void seg_add_free(const char *key, uint64_t size, int n, double eager_ns)
{
	size_t m = vmk_phys_seg_meta_size(4 * GiB, 4 * GiB + size);
	void *recs = aligned_alloc(4096, (m + 4095) & ~(size_t)4095);
	double t[MAXREPS];
	char note[128];

	if (!recs || vmk_sim_ram_add(4 * GiB, size)) {
		fprintf(stderr, "bench_phys: cannot simulate %llu GiB\n", (unsigned long long)(size / GiB));
		free(recs);
		return;
	}
	memset(recs, 0, m);	/* first touch outside the timing */
	for (int r = 0; r < n; r++) {
		double t0;

		vmk_phys_reset();
		t0 = bench_now_ns();
		if (vmk_phys_seg_add(4 * GiB, 4 * GiB + size, 0, recs) ||
		    vmk_phys_bootstrap_free(4 * GiB, 4 * GiB + size)) {
			fprintf(stderr, "bench_phys: seg_add + bootstrap_free failed\n");
			break;
		}
		t[r] = bench_now_ns() - t0;
	}
	snprintf(note, sizeof(note), "vmk_phys_seg_add + vmk_phys_bootstrap_free of %llu GiB; "
		 "ratio vs the eager hand-over", (unsigned long long)(size / GiB));
	bench_report_stat(key, bench_stat(t, n), eager_ns, 0, note);
	vmk_phys_reset();
	vmk_sim_ram_reset();
	free(recs);
}



BENCH(phys_handover)
{
	int n = reps();
	double eager64;

	quiet_platform();
	vmk_sim_ram_reset();
	handover("phys_handover_lazy_4g", 4 * GiB, false, n);
	handover("phys_handover_lazy_64g", 64 * GiB, false, n);
	handover("phys_handover_lazy_1t", 1024 * GiB, false, n);
	handover("phys_handover_eager_4g", 4 * GiB, true, n);
	eager64 = handover("phys_handover_eager_64g", 64 * GiB, true, VMK_MIN(n, 5));
	seg_add_free("phys_seg_add_bootstrap_free_64g", 64 * GiB, VMK_MIN(n, 5), eager64);
	loud_platform();
}
