/*
 * pmap benchmarks on the simulator (x86-64 descriptors; the arm64 path
 * differs only in break-before-make, which costs the same hooks here):
 *  - map and unmap 1 GiB with 4 KiB pages, per page, one call per page
 *    and batched (vmk_pmap_enter_pages), against a bare loop writing the
 *    same number of descriptors into page-table-sized memory;
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

static void *meta;
static vmk_paddr_t *pas;

static void boot(void)
{
	struct vmk_pmap_config pc;
	size_t m;

	vmk_sim_install();
	vmk_sim_ram_reset();
	vmk_sim_set_cpu_count(1);
	vmk_sim_set_cpu(0);
	vmk_phys_reset();
	free(meta);
	m = vmk_phys_seg_meta_size(RAM_BASE, RAM_END);
	meta = aligned_alloc(64, (m + 63) & ~(size_t)63);
	if (!meta || vmk_sim_ram_add(RAM_BASE, RAM_END - RAM_BASE) ||
	    vmk_phys_seg_add(RAM_BASE, RAM_END, 0, meta) || vmk_phys_bootstrap_free(RAM_BASE, ALLOC_END)) {
		fprintf(stderr, "bench_pmap: cannot set up the machine\n");
		exit(1);
	}
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

BENCH(pmap_map_1g_4k)
{
	int reps = nreps();
	double enter[MAXR], batch[MAXR], unmap[MAXR], bare[MAXR];
	uint64_t *tables = aligned_alloc(4096, NPG * sizeof(uint64_t));

	boot();
	/* Promotion off: the point is 4 KiB mappings (it would make 512 blocks). */
	for (int r = 0; r < reps; r++) {
		struct vmk_pmap *pm;
		double t0;

		memset(tables, 0, NPG * sizeof(uint64_t));
		bare[r] = bare_loop_ns(tables);
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
		t0 = bench_now_ns();
		if (vmk_pmap_enter_pages(pm, UVA, pas, NPG, VMK_PROT_READ | VMK_PROT_WRITE, 0))
			exit(1);
		batch[r] = (bench_now_ns() - t0) / NPG;
		for (unsigned int i = 0; i < NPG; i++)
			pas[i] = DATA + (vmk_paddr_t)i * 4096;
		vmk_pmap_destroy(pm);
	}
	double b = bench_median(bare, reps);
	bench_report("pmap_map_1g_4k_per_page", bench_median(enter, reps), b,
		     "vmk_pmap_enter per page vs bare descriptor-store loop");
	bench_report("pmap_map_1g_4k_batched_per_page", bench_median(batch, reps), b,
		     "vmk_pmap_enter_pages (one call) vs bare loop");
	bench_report("pmap_unmap_1g_4k_per_page", bench_median(unmap, reps), b,
		     "vmk_pmap_remove of 1 GiB vs bare loop");
	free(tables);
	shutdown_machine();
}

BENCH(pmap_direct_map_64g)
{
	int reps = nreps();
	double g1[MAXR], m2[MAXR], bare[MAXR];
	uint64_t *tables = aligned_alloc(4096, NPG * sizeof(uint64_t));

	for (int r = 0; r < reps; r++) {
		struct vmk_pmap *k;
		double t0;

		boot();
		k = vmk_pmap_kernel();
		bare[r] = bare_loop_ns(tables) * 32768;	/* 32768 entries, for the 2 MiB case */
		t0 = bench_now_ns();
		for (unsigned int i = 0; i < 64; i++)
			if (vmk_pmap_enter_large(k, KVA + ((vmk_vaddr_t)i << 30), (vmk_paddr_t)i << 30, 1ull << 30,
						 VMK_PROT_READ | VMK_PROT_WRITE, VMK_PMAP_ENTER_NOREPLACE))
				exit(1);
		g1[r] = (bench_now_ns() - t0);
		t0 = bench_now_ns();
		for (unsigned int i = 0; i < 32768; i++)
			if (vmk_pmap_enter_large(k, KVA + (128ull << 30) + ((vmk_vaddr_t)i << 21),
						 (vmk_paddr_t)i << 21, 1ull << 21, VMK_PROT_READ | VMK_PROT_WRITE,
						 VMK_PMAP_ENTER_NOREPLACE))
				exit(1);
		m2[r] = (bench_now_ns() - t0);
		shutdown_machine();
	}
	bench_report("pmap_direct_map_64g_1g_pages_total", bench_median(g1, reps), 0,
		     "64 x 1 GiB kernel mappings, no spare PTPs");
	bench_report("pmap_direct_map_64g_2m_pages_total", bench_median(m2, reps), bench_median(bare, reps),
		     "32768 x 2 MiB kernel mappings, no spare PTPs, vs bare loop of 32768 stores");
	free(tables);
}

/*
 * 32768 x 2 MiB kernel mappings that keep a spare each (what every kernel
 * block used to cost), then the lookup of a block's spare among them
 * (random blocks; the old 64-bucket hash took about 1.4 us here) and a
 * take + insert pair (a demotion's and a promotion's share).
 */
BENCH(pmap_spare_lookup)
{
	enum { NB = 32768, NL = 1u << 20 };
	int reps = nreps();
	double ent[MAXR], look[MAXR], ti[MAXR];
	vmk_vaddr_t base = KVA + (128ull << 30);

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
	bench_report("pmap_direct_map_64g_2m_keep_spare_total", bench_median(ent, reps), 0,
		     "32768 x 2 MiB kernel mappings with VMK_PMAP_ENTER_KEEP_SPARE (32768 spares, 128 MiB)");
	bench_report("pmap_spare_lookup_32768", bench_median(look, reps), 0,
		     "lookup of a random block's spare among 32768 (treap in the spare pages)");
	bench_report("pmap_spare_take_insert_32768", bench_median(ti, reps), 0,
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
	bench_report("pmap_promote_2m_managed", bench_median(pro, reps), e,
		     "the enter that promotes (scan 512, PV 512->1) vs a plain managed enter");
	bench_report("pmap_demote_2m_managed", bench_median(dem, reps), e,
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
	bench_report("pmap_copy_1g_4k_per_page", bench_median(cp, reps), 0,
		     "fork copy of 1 GiB of managed 4 KiB mappings, per page");
	bench_report("pmap_copy_1g_2m_total", bench_median(cpb, reps), 0,
		     "fork copy of 1 GiB as 512 managed 2 MiB blocks, whole range");
	vmk_pmap_destroy(src);
	vmk_pmap_destroy(src2);
	shutdown_machine();
}
