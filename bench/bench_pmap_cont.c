/*
 * 64 KiB contiguous runs (arm64 contiguous bit): mapping 1 GiB of 4 KiB
 * pages with one vmk_pmap_enter_pages call, with and without folding
 * (promotion off, so the runs stay), removing it again (runs the range
 * covers whole go without unfolding), and the TLB entries
 * the simulator's MMU needs to cover the 1 GiB either way (one per run,
 * one per page). The simulator's MMU is installed only for the count:
 * the timed calls run with the counting platform hooks alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "mmu.h"
#include "bench_sim.h"
#include "sim.h"
#include <vmkit/phys.h>
#include <vmkit/pmap.h>

#define RAM_BASE	(1ull << 30)
#define RAM_END		(4ull << 30)
#define ALLOC_END	(RAM_BASE + (768ull << 20))
#define DATA		(2ull << 30)	/* 1 GiB of reserved "data" pages at 2 GiB */
#define UVA		0x0000000040000000ull
#define KVA		0xffff800000000000ull
#define NPG		(1u << 18)	/* pages in 1 GiB */
#define MAXR		32

static vmk_paddr_t *pas;

static void boot(bool cont)
{
	struct vmk_pmap_config pc;

	vmk_sim_install();
	bench_sim_machine("bench_pmap_cont", RAM_BASE, RAM_END, ALLOC_END);
	memset(&pc, 0, sizeof(pc));
	pc.arch = VMK_PMAP_ARCH_ARM64;
	pc.large_1g = true;
	pc.no_promote = true;
	pc.no_cont = !cont;
	pc.kva_start = KVA;
	pc.kva_end = KVA + (1ull << 40);
	pc.load_root = vmk_sim_mmu_load_root_hook;
	if (vmk_pmap_bootstrap(&pc)) {
		fprintf(stderr, "bench_pmap_cont: bootstrap failed\n");
		exit(1);
	}
}

/* TLB entries the simulated MMU needs for the 1 GiB mapped at UVA in pm. */
static double tlb_cover(struct vmk_pmap *pm)
{
	struct vmk_mmu_cfg mc;
	double n;

	memset(&mc, 0, sizeof(mc));
	mc.arch = VMK_PMAP_ARCH_ARM64;
	mc.levels = 4;
	mc.hw_af = mc.hw_dbm = true;
	vmk_sim_mmu_install(&mc);
	vmk_pmap_activate(pm, 0);
	n = (double)vmk_sim_mmu_cover(0, UVA, (vmk_size_t)NPG * 4096);
	vmk_pmap_activate(vmk_pmap_kernel(), 0);
	vmk_sim_mmu_uninstall();
	return n;
}

BENCH(pmap_cont_1g)
{
	int reps = bench_reps() > MAXR ? MAXR : bench_reps();
	double map[2][MAXR], unmap[2][MAXR], cover[2] = { 0, 0 };

	if (!pas) {
		pas = malloc(NPG * sizeof(*pas));
		if (!pas)
			exit(1);
		for (unsigned int i = 0; i < NPG; i++)
			pas[i] = DATA + (vmk_paddr_t)i * 4096;
	}
	for (int r = 0; r < reps; r++) {
		for (int fold = 0; fold < 2; fold++) {
			struct vmk_pmap *pm;
			struct vmk_pmap_stats st;
			double t0;

			boot(fold);
			if (vmk_pmap_create(&pm))
				exit(1);
			t0 = bench_now_ns();
			if (vmk_pmap_enter_pages(pm, UVA, pas, NPG, VMK_PROT_READ | VMK_PROT_WRITE, 0))
				exit(1);
			map[fold][r] = (bench_now_ns() - t0) / NPG;
			vmk_pmap_stats(pm, &st);
			if (st.folds != (fold ? NPG / 16 : 0)) {
				fprintf(stderr, "bench_pmap_cont: %llu runs folded\n", (unsigned long long)st.folds);
				exit(1);
			}
			if (r == 0)
				cover[fold] = tlb_cover(pm);
			t0 = bench_now_ns();
			if (vmk_pmap_remove(pm, UVA, UVA + (vmk_vaddr_t)NPG * 4096))
				exit(1);
			unmap[fold][r] = (bench_now_ns() - t0) / NPG;
			vmk_pmap_destroy(pm);
			vmk_phys_reset();
			vmk_sim_ram_reset();
		}
	}
	double plain = bench_median(map[0], (size_t)reps), uplain = bench_median(unmap[0], (size_t)reps);

	bench_report_stat("pmap_cont_map_1g_4k_plain_per_page", bench_stat(map[0], (size_t)reps), 0, 0,
			  "arm64 vmk_pmap_enter_pages of 1 GiB, no folding (cfg.no_cont)");
	bench_report_stat("pmap_cont_map_1g_4k_folded_per_page", bench_stat(map[1], (size_t)reps), plain, 0,
			  "the same, folded into 16384 contiguous-bit runs; baseline: no folding");
	bench_report_stat("pmap_cont_unmap_1g_4k_plain_per_page", bench_stat(unmap[0], (size_t)reps), 0, 0,
			  "vmk_pmap_remove of that 1 GiB, plain leaves");
	bench_report_stat("pmap_cont_unmap_1g_4k_folded_per_page", bench_stat(unmap[1], (size_t)reps), uplain, 0,
			  "the same over runs (whole runs go without unfolding); baseline: plain");
	bench_report_value("pmap_cont_tlb_entries_1g_plain", cover[0], "entries");
	bench_report_value("pmap_cont_tlb_entries_1g_folded", cover[1], "entries");
}
