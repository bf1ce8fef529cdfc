/*
 * pmap benchmarks on the simulator (x86-64 descriptors; the arm64 path
 * differs only in break-before-make, which costs the same hooks here):
 *  - map and unmap 1 GiB with 4 KiB pages, per page, one call per page
 *    and batched (vmk_pmap_enter_pages), against a floor doing the same
 *    work: a four-level walk that also allocates (from a LIFO pool), zeroes
 *    and links the missing tables, per page out of line for the per-page
 *    figure, once per table for the batched one; unmapping against the
 *    walk that clears the entries and frees the emptied tables. The bare
 *    loop writing the same number of descriptors into page-table-sized
 *    memory is kept as a second reference;
 *  - map a 64 GiB direct map with 1 GiB and with 2 MiB pages (no spare
 *    PTPs: only blocks entered with VMK_PMAP_ENTER_KEEP_SPARE keep one),
 *    and with 2 MiB pages keeping 32768 spares, then the spare lookup
 *    among them;
 *  - promotion and demotion of a 2 MiB range;
 *  - copy (fork) of a 1 GiB range of 4 KiB managed pages.
 * The platform hooks are the simulator's counting ones (no software MMU).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bench_sim.h"
#include "sim.h"
#include <vmkit/phys.h>
#include <vmkit/pmap.h>
#include "../src/pmap/pmap_internal.h"	/* the spare lookup is internal */

#define RAM_BASE	(1ull << 30)
#define RAM_END		(4ull << 30)
#define ALLOC_END	(RAM_BASE + (768ull << 20))
#define DATA		(2ull << 30)	/* 1 GiB of reserved "data" pages at 2 GiB */
#define UVA		0x0000000040000000ull
#define KVA		0xffff800000000000ull
#define NPG		(1u << 18)	/* pages in 1 GiB */
#define MAXR		64

static vmk_paddr_t *pas;

/* again: the last machine's host memory, already faulted in (bench_sim_machine_again). */
static void boot_on(bool again)
{
	struct vmk_pmap_config pc;

	vmk_sim_install();
	if (again)
		bench_sim_machine_again("bench_pmap", ALLOC_END);
	else
		bench_sim_machine("bench_pmap", RAM_BASE, RAM_END, ALLOC_END);
	memset(&pc, 0, sizeof(pc));
	pc.arch = VMK_PMAP_ARCH_X86_64;
	pc.large_1g = true;
	pc.nx = true;
	pc.kva_start = KVA;
	pc.kva_end = KVA + (1ull << 40);
	if (vmk_pmap_bootstrap(&pc)) {
		fprintf(stderr, "bench_pmap: bootstrap failed\n");
		exit(1);
	}
	if (!pas) {
		pas = malloc(NPG * sizeof(*pas));
		for (unsigned int i = 0; i < NPG; i++)
			pas[i] = DATA + (vmk_paddr_t)i * 4096;	/* contiguous: no promotion unless managed blocks */
	}
}

static void boot(void)
{
	boot_on(false);
}

static void shutdown_machine(void)
{
	vmk_phys_reset();
	vmk_sim_ram_reset();
}

static int nreps(void)
{
	int r = bench_reps();

	return r > MAXR ? MAXR : r;
}

/*
 * The baseline: a loop writing 2^18 descriptors into 512-entry tables (2 MiB
 * of page-aligned memory), one single-copy-atomic 8-byte store each, as a
 * live page table needs. The atomic stores keep the compiler from
 * vectorising or dropping it (one scalar mov per entry). If anything it is
 * the easier job: its target was just zeroed (warm), and it computes each
 * PA where vmk_pmap_enter_pages reads the caller's array.
 */
static double bare_loop_ns(uint64_t *tables)
{
	double t0 = bench_now_ns();

	for (unsigned int i = 0; i < NPG; i++)
		__atomic_store_n(&tables[i], (DATA + (uint64_t)i * 4096) | 0x8000000000000067ull, __ATOMIC_RELEASE);
	bench_keep(tables[NPG - 1]);
	return (bench_now_ns() - t0) / NPG;
}

/*
 * The floor: x86-64-style four-level tables in host memory, linked by
 * host address (the low 12 bits carry the present/write bits), tables
 * taken from a LIFO pool and zeroed when taken, as a new PTP must be.
 */
#define FL_TABLES 640
struct fl_table {
	uint64_t e[512];
};
static struct fl_table *fl_mem, *fl_free[FL_TABLES];
static unsigned int fl_nfree;
static uint64_t *fl_root;

static uint64_t *fl_take(void)
{
	uint64_t *t;

	if (!fl_nfree) {
		fprintf(stderr, "bench_pmap: floor out of tables\n");
		exit(1);
	}
	t = fl_free[--fl_nfree]->e;
	memset(t, 0, sizeof(struct fl_table));
	return t;
}

static void fl_put(uint64_t *t)
{
	fl_free[fl_nfree++] = (struct fl_table *)t;
}

static void fl_reset(void)
{
	if (!fl_mem)
		fl_mem = aligned_alloc(4096, FL_TABLES * sizeof(struct fl_table));
	fl_nfree = 0;
	for (unsigned int i = FL_TABLES; i-- > 0;)
		fl_put(fl_mem[i].e);
	fl_root = fl_take();
}

/* The table at `level` (1: the leaf table) covering va, allocated and linked when missing. */
static inline uint64_t *fl_table(vmk_vaddr_t va, int level)
{
	uint64_t *t = fl_root;

	for (int l = 4; l > level; l--) {
		uint64_t *slot = &t[(va >> (12 + 9 * (l - 1))) & 511];
		uint64_t e = __atomic_load_n(slot, __ATOMIC_RELAXED);

		if (!e) {
			uint64_t *n = fl_take();

			e = (uint64_t)(uintptr_t)n | 0x3;
			__atomic_store_n(slot, e, __ATOMIC_RELEASE);
		}
		t = (uint64_t *)(uintptr_t)(e & ~0xfffull);
	}
	return t;
}

/* One 4 KiB mapping per call, walking from the root (the per-page floor). */
__attribute__((noinline)) static void fl_enter(vmk_vaddr_t va, vmk_paddr_t pa)
{
	uint64_t *t = fl_table(va, 1);

	__atomic_store_n(&t[(va >> 12) & 511], pa | 0x8000000000000067ull, __ATOMIC_RELEASE);
}

/* n 4 KiB mappings from pas[], one walk per leaf table (the batched floor). */
__attribute__((noinline)) static void fl_enter_pages(vmk_vaddr_t va, const vmk_paddr_t *pa, size_t n)
{
	while (n) {
		uint64_t *t = fl_table(va, 1);
		size_t i = (va >> 12) & 511, k = VMK_MIN(n, 512 - i);

		for (size_t j = 0; j < k; j++)
			__atomic_store_n(&t[i + j], pa[j] | 0x8000000000000067ull, __ATOMIC_RELEASE);
		va += k << 12;
		pa += k;
		n -= k;
	}
}

/* Unmap [va, va + n pages): clear the entries, free each emptied leaf table. */
__attribute__((noinline)) static void fl_remove(vmk_vaddr_t va, size_t n)
{
	while (n) {
		uint64_t *pd = fl_table(va, 2), *slot = &pd[(va >> 21) & 511];
		uint64_t *t = (uint64_t *)(uintptr_t)(*slot & ~0xfffull);
		size_t i = (va >> 12) & 511, k = VMK_MIN(n, 512 - i);

		for (size_t j = 0; j < k; j++)
			__atomic_store_n(&t[i + j], 0, __ATOMIC_RELEASE);
		if (k == 512) {
			__atomic_store_n(slot, 0, __ATOMIC_RELEASE);
			fl_put(t);
		}
		va += k << 12;
		n -= k;
	}
}

/* One 2 MiB block mapping per call (the direct-map floor). */
__attribute__((noinline)) static void fl_enter_2m(vmk_vaddr_t va, vmk_paddr_t pa)
{
	uint64_t *t = fl_table(va, 2);

	__atomic_store_n(&t[(va >> 21) & 511], pa | 0x80000000000000e7ull, __ATOMIC_RELEASE);
}

/*
 * len bytes of 2 MiB blocks from va to pa in one call, one walk per level-1
 * table, then its entries stored (the floor of the batched block enter).
 */
__attribute__((noinline)) static void fl_enter_2m_blocks(vmk_vaddr_t va, vmk_paddr_t pa, uint64_t len)
{
	while (len) {
		uint64_t *t = fl_table(va, 2);
		size_t i = (va >> 21) & 511, k = VMK_MIN(len >> 21, 512 - i);

		for (size_t j = 0; j < k; j++)
			__atomic_store_n(&t[i + j], (pa + ((uint64_t)j << 21)) | 0x80000000000000e7ull,
					 __ATOMIC_RELEASE);
		va += (uint64_t)k << 21;
		pa += (uint64_t)k << 21;
		len -= (uint64_t)k << 21;
	}
}

BENCH(pmap_map_1g_4k)
{
	int reps = nreps();
	double enter[MAXR], batch[MAXR], unmap[MAXR], bare[MAXR];
	double fenter[MAXR], fbatch[MAXR], funmap[MAXR];
	uint64_t *tables = aligned_alloc(4096, NPG * sizeof(uint64_t));

	boot();
	/* Promotion off: the point is 4 KiB mappings (it would make 512 blocks). */
	for (int r = 0; r < reps; r++) {
		struct vmk_pmap *pm;
		double t0;

		memset(tables, 0, NPG * sizeof(uint64_t));
		bare[r] = bare_loop_ns(tables);
		fl_reset();
		t0 = bench_now_ns();
		for (unsigned int i = 0; i < NPG; i++)
			fl_enter(UVA + (vmk_vaddr_t)i * 4096, pas[i] + (i & 1) * 4096ull);
		fenter[r] = (bench_now_ns() - t0) / NPG;
		t0 = bench_now_ns();
		fl_remove(UVA, NPG);
		funmap[r] = (bench_now_ns() - t0) / NPG;
		if (vmk_pmap_create(&pm))
			exit(1);
		t0 = bench_now_ns();
		for (unsigned int i = 0; i < NPG; i++)
			if (vmk_pmap_enter(pm, UVA + (vmk_vaddr_t)i * 4096, pas[i] + (i & 1) * 4096ull,
					   VMK_PROT_READ | VMK_PROT_WRITE, 0))
				exit(1);
		enter[r] = (bench_now_ns() - t0) / NPG;
		t0 = bench_now_ns();
		if (vmk_pmap_remove(pm, UVA, UVA + (vmk_vaddr_t)NPG * 4096))
			exit(1);
		unmap[r] = (bench_now_ns() - t0) / NPG;
		/* Batched: one call for 1 GiB (odd pages shifted so no table is promotable). */
		for (unsigned int i = 0; i < NPG; i++)
			pas[i] = DATA + (vmk_paddr_t)i * 4096 + (i & 1) * 4096ull;
		fl_reset();
		t0 = bench_now_ns();
		fl_enter_pages(UVA, pas, NPG);
		fbatch[r] = (bench_now_ns() - t0) / NPG;
		t0 = bench_now_ns();
		if (vmk_pmap_enter_pages(pm, UVA, pas, NPG, VMK_PROT_READ | VMK_PROT_WRITE, 0))
			exit(1);
		batch[r] = (bench_now_ns() - t0) / NPG;
		for (unsigned int i = 0; i < NPG; i++)
			pas[i] = DATA + (vmk_paddr_t)i * 4096;
		vmk_pmap_destroy(pm);
	}
	double b = bench_median(bare, reps), fe = bench_median(fenter, reps);
	double fb = bench_median(fbatch, reps), fu = bench_median(funmap, reps);
	bench_report_stat("pmap_map_1g_4k_per_page", bench_stat(enter, reps), fe, b,
			  "vmk_pmap_enter per page; floor: out-of-line walk that allocates+links tables");
	bench_report_stat("pmap_map_1g_4k_batched_per_page", bench_stat(batch, reps), fb, b,
			  "vmk_pmap_enter_pages (one call); floor: one walk+alloc+link per table");
	bench_report_stat("pmap_unmap_1g_4k_per_page", bench_stat(unmap, reps), fu, b,
			  "vmk_pmap_remove of 1 GiB; floor: clear entries, free emptied tables");
	bench_report_stat("pmap_floor_enter_walk_alloc_per_page", bench_stat(fenter, reps), 0, b,
			  "floor: per-page walk from the root, tables taken+zeroed+linked");
	bench_report_stat("pmap_floor_enter_pages_per_page", bench_stat(fbatch, reps), 0, b,
			  "floor: batched, a walk+alloc+link per leaf table");
	bench_report_stat("pmap_floor_remove_per_page", bench_stat(funmap, reps), 0, b,
			  "floor: clear 512 entries and free the table, per page");
	bench_report_stat("pmap_bare_store_per_page", bench_stat(bare, reps), 0, 0,
			  "reference: bare loop of 8-byte descriptor stores, no tables");
	free(tables);
	shutdown_machine();
}

/* Free frames of the machine (the pmap's tables come from them). */
static uint64_t free_frames(void)
{
	struct vmk_phys_stats st;

	vmk_phys_get_stats(&st);
	return st.free;
}

BENCH(pmap_direct_map_64g)
{
	int reps = nreps();
	double g1[MAXR], m2[MAXR], bare[MAXR], f2[MAXR], faults[MAXR], b2[MAXR], fb2[MAXR];
	double ftables = 0, ptables = 0;

	/*
	 * w == 0 is an untimed warm-up (its figures are overwritten): every
	 * repetition after it runs on the same host memory, so neither the
	 * path's tables nor the floor's take a host page fault (a kernel's RAM
	 * never does); the faults the path still takes are reported.
	 */
	for (int w = 0; w <= reps; w++) {
		int r = w ? w - 1 : 0;
		struct vmk_pmap *k;
		double t0;
		long f0;

		boot_on(w > 0);
		k = vmk_pmap_kernel();
		/*
		 * The level-3 table is linked before the timing: the kernel pmap
		 * has it from the 1 GiB blocks, so both take the 64 level-2 tables.
		 */
		fl_reset();
		fl_table(KVA + (128ull << 30), 3);
		ftables = fl_nfree;
		t0 = bench_now_ns();
		for (unsigned int i = 0; i < 32768; i++)
			fl_enter_2m(KVA + (128ull << 30) + ((vmk_vaddr_t)i << 21), (vmk_paddr_t)i << 21);
		f2[r] = bench_now_ns() - t0;
		ftables -= fl_nfree;
		{
			/* the old reference: 32768 bare descriptor stores */
			uint64_t *tables = aligned_alloc(4096, NPG * sizeof(uint64_t));

			memset(tables, 0, NPG * sizeof(uint64_t));
			bare[r] = bare_loop_ns(tables) * 32768;
			free(tables);
		}
		t0 = bench_now_ns();
		for (unsigned int i = 0; i < 64; i++)
			if (vmk_pmap_enter_large(k, KVA + ((vmk_vaddr_t)i << 30), (vmk_paddr_t)i << 30, 1ull << 30,
						 VMK_PROT_READ | VMK_PROT_WRITE, VMK_PMAP_ENTER_NOREPLACE))
				exit(1);
		g1[r] = (bench_now_ns() - t0);
		f0 = bench_sim_host_faults();
		ptables = (double)free_frames();
		t0 = bench_now_ns();
		for (unsigned int i = 0; i < 32768; i++)
			if (vmk_pmap_enter_large(k, KVA + (128ull << 30) + ((vmk_vaddr_t)i << 21),
						 (vmk_paddr_t)i << 21, 1ull << 21, VMK_PROT_READ | VMK_PROT_WRITE,
						 VMK_PMAP_ENTER_NOREPLACE))
				exit(1);
		m2[r] = (bench_now_ns() - t0);
		faults[r] = (double)(bench_sim_host_faults() - f0);
		ptables -= (double)free_frames();
		fl_reset();
		fl_table(KVA + (256ull << 30), 3);
		t0 = bench_now_ns();
		fl_enter_2m_blocks(KVA + (256ull << 30), 0, 64ull << 30);
		fb2[r] = bench_now_ns() - t0;
		/* The same 64 GiB in one call (as a kernel maps its direct map), in a third 64 GiB of KVA. */
		t0 = bench_now_ns();
		if (vmk_pmap_enter_blocks(k, KVA + (256ull << 30), 0, 64ull << 30, 1ull << 21, VMK_PROT_READ | VMK_PROT_WRITE,
					  VMK_PMAP_ENTER_NOREPLACE))
			exit(1);
		b2[r] = (bench_now_ns() - t0);
	}
	shutdown_machine();
	bench_report_value("pmap_direct_map_64g_2m_host_faults", bench_median(faults, reps),
			   "host page faults during the timed 2 MiB direct map (median; 0: pre-faulted)");
	bench_report_value("pmap_direct_map_64g_2m_tables", ptables,
			   "page-table pages the timed 2 MiB direct map takes");
	bench_report_value("pmap_floor_direct_map_64g_2m_tables", ftables,
			   "tables its floor takes (the same number)");
	bench_report_stat("pmap_direct_map_64g_1g_pages_total", bench_stat(g1, reps), 0, 0,
			  "64 x 1 GiB kernel mappings, no spare PTPs");
	bench_report_stat("pmap_direct_map_64g_2m_pages_total", bench_stat(m2, reps), bench_median(f2, reps),
			  bench_median(bare, reps),
			  "32768 x 2 MiB kernel mappings, no spare PTPs; floor: walk+alloc+link per block");
	bench_report_stat("pmap_floor_direct_map_64g_2m_total", bench_stat(f2, reps), 0, 0,
			  "floor: 32768 out-of-line 2 MiB enters, 64 tables taken+zeroed+linked");
	bench_report_stat("pmap_direct_map_64g_2m_blocks_total", bench_stat(b2, reps), bench_median(fb2, reps),
			  bench_median(bare, reps),
			  "one vmk_pmap_enter_blocks of 64 GiB in 2 MiB blocks, no spare PTPs; "
			  "floor: pmap_floor_direct_map_64g_2m_blocks_total (walk+alloc+link per table)");
	bench_report_stat("pmap_floor_direct_map_64g_2m_blocks_total", bench_stat(fb2, reps), 0, 0,
			  "floor: 64 GiB of 2 MiB blocks in one out-of-line call, a walk+alloc+link per table");
}

/* The spare lookup's floor: the spare's record from a dense array indexed by block number. */
__attribute__((noinline)) static bool fl_spare_has(struct vmk_page *const *arr, vmk_vaddr_t base, vmk_vaddr_t va)
{
	return arr[(va - base) >> 21] != NULL;
}

/*
 * 32768 x 2 MiB kernel mappings that keep a spare each (what every kernel
 * block used to cost), then the lookup of a block's spare among them
 * (random blocks: a walk to the block's table and one directory word) and a
 * take + insert pair (a demotion's and a promotion's share).
 */
BENCH(pmap_spare_lookup)
{
	enum { NB = 32768, NL = 1u << 20 };
	int reps = nreps();
	double ent[MAXR], look[MAXR], ti[MAXR], fl[MAXR];
	vmk_vaddr_t base = KVA + (128ull << 30);
	struct vmk_page **arr = calloc(NB, sizeof(*arr));

	if (!arr)
		exit(1);

	for (int r = 0; r < reps; r++) {
		struct vmk_pmap *k;
		uint64_t seed = 0x9e3779b97f4a7c15ull + (uint64_t)r, hits = 0;
		double t0;

		boot();
		k = vmk_pmap_kernel();
		t0 = bench_now_ns();
		for (unsigned int i = 0; i < NB; i++)
			if (vmk_pmap_enter_large(k, base + ((vmk_vaddr_t)i << 21), (vmk_paddr_t)i << 21, 1ull << 21,
						 VMK_PROT_READ | VMK_PROT_WRITE,
						 VMK_PMAP_ENTER_NOREPLACE | VMK_PMAP_ENTER_KEEP_SPARE))
				exit(1);
		ent[r] = bench_now_ns() - t0;
		vmk_pmap__lock(k);
		t0 = bench_now_ns();
		for (unsigned int i = 0; i < NL; i++) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			hits += vmk_pmap__spare_has(k, base + ((seed % NB) << 21), 1);
		}
		look[r] = (bench_now_ns() - t0) / NL;
		if (hits != NL)
			exit(1);
		/* The floor: the same lookups in a dense array of the same spares' records. */
		for (unsigned int i = 0; i < NB; i++) {
			vmk_vaddr_t va = base + ((vmk_vaddr_t)i << 21);

			arr[i] = vmk_pmap__spare_take(k, va, 1, NULL);
			vmk_pmap__spare_insert(k, va, 1, arr[i], true);
		}
		seed = 0x9e3779b97f4a7c15ull + (uint64_t)r;
		hits = 0;
		t0 = bench_now_ns();
		for (unsigned int i = 0; i < NL; i++) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			hits += fl_spare_has(arr, base, base + ((seed % NB) << 21));
		}
		fl[r] = (bench_now_ns() - t0) / NL;
		if (hits != NL)
			exit(1);
		t0 = bench_now_ns();
		for (unsigned int i = 0; i < NB; i += 8) {
			vmk_vaddr_t va = base + ((vmk_vaddr_t)i << 21);
			struct vmk_page *pg = vmk_pmap__spare_take(k, va, 1, NULL);

			if (!pg)
				exit(1);
			vmk_pmap__spare_insert(k, va, 1, pg, true);
		}
		ti[r] = (bench_now_ns() - t0) / (NB / 8);
		vmk_pmap__unlock(k);
		shutdown_machine();
	}
	free(arr);
	bench_report_stat("pmap_direct_map_64g_2m_keep_spare_total", bench_stat(ent, reps), 0, 0,
			  "32768 x 2 MiB kernel mappings with VMK_PMAP_ENTER_KEEP_SPARE (32768 spares, 128 MiB)");
	bench_report_stat("pmap_spare_lookup_32768", bench_stat(look, reps), bench_median(fl, reps), 0,
			  "lookup of a random block's spare among 32768 (walk to its table, then its spares directory); "
			  "floor: a dense array of records indexed by block");
	bench_report_stat("pmap_floor_spare_lookup_array", bench_stat(fl, reps), 0, 0,
			  "floor: the spare's record from a dense array indexed by 2 MiB block (out of line)");
	bench_report_stat("pmap_spare_take_insert_32768", bench_stat(ti, reps), 0, 0,
			  "take (zeroes the page) + insert of a spare among 32768");
}

BENCH(pmap_promote_demote)
{
	int reps = nreps();
	double pro[MAXR], dem[MAXR], ent[MAXR];
	enum { CH = 64 };	/* 2 MiB chunks per repetition */

	boot();
	for (int r = 0; r < reps; r++) {
		struct vmk_pmap *pm;
		double tp = 0, te = 0, t0;

		if (vmk_pmap_create(&pm))
			exit(1);
		for (unsigned int c = 0; c < CH; c++) {
			vmk_vaddr_t va = UVA + ((vmk_vaddr_t)c << 21);

			t0 = bench_now_ns();
			for (unsigned int i = 0; i < 511; i++)
				vmk_pmap_enter(pm, va + i * 4096ull, DATA + ((vmk_paddr_t)c << 21) + i * 4096ull,
					       VMK_PROT_READ | VMK_PROT_WRITE, VMK_PMAP_ENTER_MANAGED);
			te += (bench_now_ns() - t0) / 511;
			t0 = bench_now_ns();
			vmk_pmap_enter(pm, va + 511 * 4096ull, DATA + ((vmk_paddr_t)c << 21) + 511 * 4096ull,
				       VMK_PROT_READ | VMK_PROT_WRITE, VMK_PMAP_ENTER_MANAGED);
			tp += bench_now_ns() - t0;
		}
		pro[r] = tp / CH;
		ent[r] = te / CH;
		t0 = bench_now_ns();
		for (unsigned int c = 0; c < CH; c++)
			if (vmk_pmap_demote(pm, UVA + ((vmk_vaddr_t)c << 21)))
				exit(1);
		dem[r] = (bench_now_ns() - t0) / CH;
		vmk_pmap_destroy(pm);
	}
	double e = bench_median(ent, reps);
	bench_report_stat("pmap_promote_2m_managed", bench_stat(pro, reps), e, 0,
			  "the enter that promotes (scan 512, PV 512->1) vs a plain managed enter");
	bench_report_stat("pmap_demote_2m_managed", bench_stat(dem, reps), e, 0,
			  "demotion with 511 new PV entries vs a plain managed enter");
	shutdown_machine();
}

BENCH(pmap_copy_1g)
{
	int reps = nreps();
	double cp[MAXR], cpb[MAXR];
	struct vmk_pmap *src, *src2;

	boot();
	if (vmk_pmap_create(&src) || vmk_pmap_create(&src2))
		exit(1);
	/* 1 GiB of managed 4 KiB pages (not promotable: every other page shifted) and 512 2 MiB blocks. */
	for (unsigned int i = 0; i < NPG; i++)
		pas[i] = DATA + (vmk_paddr_t)i * 4096 + (i & 1) * 4096ull;
	if (vmk_pmap_enter_pages(src, UVA, pas, NPG - 1, VMK_PROT_READ | VMK_PROT_WRITE, VMK_PMAP_ENTER_MANAGED))
		exit(1);
	for (unsigned int i = 0; i < 512; i++)
		if (vmk_pmap_enter_large(src2, UVA + ((vmk_vaddr_t)i << 21), DATA + ((vmk_paddr_t)i << 21), 1ull << 21,
					 VMK_PROT_READ | VMK_PROT_WRITE, VMK_PMAP_ENTER_MANAGED))
			exit(1);
	for (unsigned int i = 0; i < NPG; i++)
		pas[i] = DATA + (vmk_paddr_t)i * 4096;
	for (int r = 0; r < reps; r++) {
		struct vmk_pmap *dst;
		double t0;

		if (vmk_pmap_create(&dst))
			exit(1);
		t0 = bench_now_ns();
		if (vmk_pmap_copy(dst, src, UVA, 1ull << 30))
			exit(1);
		cp[r] = (bench_now_ns() - t0) / NPG;
		vmk_pmap_destroy(dst);
		if (vmk_pmap_create(&dst))
			exit(1);
		t0 = bench_now_ns();
		if (vmk_pmap_copy(dst, src2, UVA, 1ull << 30))
			exit(1);
		cpb[r] = bench_now_ns() - t0;
		vmk_pmap_destroy(dst);
	}
	bench_report_stat("pmap_copy_1g_4k_per_page", bench_stat(cp, reps), 0, 0,
			  "fork copy of 1 GiB of managed 4 KiB mappings, per page");
	bench_report_stat("pmap_copy_1g_2m_total", bench_stat(cpb, reps), 0, 0,
			  "fork copy of 1 GiB as 512 managed 2 MiB blocks, whole range");
	vmk_pmap_destroy(src);
	vmk_pmap_destroy(src2);
	shutdown_machine();
}
