/*
 * vmem and kmem benchmarks. Baselines are measured in the same run:
 *  - vmem pairs: a bare LIFO free list of the same segment size (an array
 *    stack of addresses behind out-of-line functions), the floor for any
 *    allocator call;
 *  - kmem_malloc: none (it is vmem + phys + pmap; the ratio would hide
 *    which part costs);
 *  - kmem_bootstrap_free of 1 GiB: phys bootstrap free of the same frames
 *    without the mappings (what is left is the pmap work).
 * Fault injection is switched off (as in a production build).
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmkit/kmem.h>
#include <vmkit/phys.h>
#include <vmkit/pmap.h>
#include <vmkit/vmem.h>

#include "bench_sim.h"
#include "sim.h"

#define RAM_BASE	(1ull << 30)
#define RAM_END		(8ull << 30)
#define ALLOC_END	(RAM_BASE + (2ull << 30))
#define BOOT_PA		(4ull << 30)	/* 1 GiB of "preloads", RESERVED */
#define KVA		0xffff800000000000ull
#define BOOT_VA		(KVA + (512ull << 30))
#define N		4096
#define MAXR		64

static struct vmk_platform plat;

static int nreps(void)
{
	int r = bench_reps();

	return r > MAXR ? MAXR : r;
}

static void boot(void)
{
	struct vmk_pmap_config pc;
	struct vmk_kmem_config kc;

	vmk_kmem_reset();
	vmk_sim_install();
	plat = *vmk_sim_platform();
	plat.fault_inject = NULL;
	vmk_platform_set(&plat);
	bench_sim_machine("bench_kmem", RAM_BASE, RAM_END, ALLOC_END);
	memset(&pc, 0, sizeof(pc));
	pc.arch = VMK_PMAP_ARCH_X86_64;
	pc.large_1g = true;
	pc.nx = true;
	pc.kva_start = KVA;
	pc.kva_end = KVA + (1ull << 40);
	memset(&kc, 0, sizeof(kc));
	kc.kva_start = KVA;
	kc.kva_end = KVA + (64ull << 30);
	if (vmk_pmap_bootstrap(&pc) || vmk_kmem_init(&kc)) {
		fprintf(stderr, "bench_kmem: bootstrap failed\n");
		exit(1);
	}
}

static void shutdown_machine(void)
{
	vmk_kmem_reset();
	vmk_phys_reset();
	vmk_sim_ram_reset();
	vmk_platform_set(vmk_sim_platform());
}

/* ---- the baseline: a bare LIFO free list of addresses ---- */

static vmk_vaddr_t fl[N];
static unsigned int fln;

__attribute__((noinline)) static vmk_vaddr_t fl_alloc(void)
{
	return fln ? fl[--fln] : 0;
}

__attribute__((noinline)) static void fl_free(vmk_vaddr_t a)
{
	fl[fln++] = a;
}

static double pair_freelist(vmk_size_t size)
{
	double t;

	fln = 0;
	for (unsigned int i = 0; i < N; i++)
		fl_free(0x100000 + (vmk_vaddr_t)i * size);
	t = bench_now_ns();
	for (unsigned int i = 0; i < N; i++) {
		vmk_vaddr_t a = fl_alloc();

		bench_keep(a);
		fl_free(a);
	}
	return (bench_now_ns() - t) / N;
}

static double pair_vmem(struct vmk_vmem *vm, vmk_size_t size)
{
	vmk_vaddr_t a;
	double t = bench_now_ns();

	for (unsigned int i = 0; i < N; i++) {
		if (vmk_vmem_alloc(vm, size, VMK_VMEM_INSTANTFIT, &a))
			exit(1);
		bench_keep(a);
		vmk_vmem_free(vm, a, size);
	}
	return (bench_now_ns() - t) / N;
}

static void vmem_pairs(const char *key, vmk_size_t size, vmk_size_t qcache_max)
{
	struct vmk_vmem vm;
	struct vmk_vmem_params p = { .name = "bench", .base = 0x100000, .size = 1ull << 36, .quantum = 4096,
				     .qcache_max = qcache_max };
	double v[MAXR], b[MAXR];
	vmk_vaddr_t hold[64];
	int r = nreps();
	char note[96];

	boot();
	if (vmk_vmem_init(&vm, &p))
		exit(1);
	/* Some segments allocated, so the arena is not trivially one span. */
	for (int i = 0; i < 64; i++)
		vmk_vmem_xalloc(&vm, size, 0, 0, 0, 0x100000 + (vmk_vaddr_t)i * 0x100000, 0, 0, &hold[i]);
	for (int i = 0; i < r; i++) {
		v[i] = pair_vmem(&vm, size);
		b[i] = pair_freelist(size);
	}
	snprintf(note, sizeof(note), "alloc+free of %llu KiB; baseline: bare free list",
		 (unsigned long long)(size >> 10));
	bench_report(key, bench_median(v, r), bench_median(b, r), note);
	for (int i = 0; i < 64; i++)
		vmk_vmem_xfree(&vm, hold[i], size);
	vmk_vmem_destroy(&vm);
	shutdown_machine();
}

BENCH(vmem)
{
	vmem_pairs("vmem_instantfit_pair_16k", 4 * 4096, 0);
	vmem_pairs("vmem_qcache_pair_4k", 4096, 4 * 4096);
}

static void kmem_pair(const char *key, vmk_size_t size)
{
	double v[MAXR];
	int r = nreps();
	char note[96];

	boot();
	vmk_kmem_free(vmk_kmem_malloc(size, 0), size);	/* grow the unit's page tables once */
	for (int i = 0; i < r; i++) {
		double t = bench_now_ns();

		for (unsigned int k = 0; k < 256; k++) {
			vmk_vaddr_t a = vmk_kmem_malloc(size, 0);

			if (!a)
				exit(1);
			vmk_kmem_free(a, size);
		}
		v[i] = (bench_now_ns() - t) / 256;
	}
	snprintf(note, sizeof(note), "kmem_malloc+kmem_free of %llu KiB (mapped, wired)",
		 (unsigned long long)(size >> 10));
	bench_report(key, bench_median(v, r), 0, note);
	shutdown_machine();
}

BENCH(kmem_malloc)
{
	kmem_pair("kmem_malloc_free_4k", 4096);
	kmem_pair("kmem_malloc_free_64k", 64 << 10);
}

/* 1 GiB of preloads under 2 MiB blocks with spares, freed with partial head and tail. */
BENCH(kmem_bootstrap_free)
{
	double v[MAXR], b[MAXR];
	int r = nreps() > 5 ? 5 : nreps();

	for (int i = 0; i < r; i++) {
		double t;

		boot();
		for (vmk_size_t o = 0; o < (1ull << 30); o += 2ull << 20)
			if (vmk_pmap_enter_large(vmk_pmap_kernel(), BOOT_VA + o, BOOT_PA + o, 2ull << 20,
						 VMK_PROT_READ | VMK_PROT_WRITE,
						 VMK_PMAP_ENTER_WIRED | VMK_PMAP_ENTER_KEEP_SPARE))
				exit(1);
		t = bench_now_ns();
		if (vmk_kmem_bootstrap_free(BOOT_VA + 100, (1ull << 30) - 200))
			exit(1);
		v[i] = bench_now_ns() - t;
		shutdown_machine();
		boot();
		t = bench_now_ns();
		if (vmk_phys_bootstrap_free(BOOT_PA + 4096, BOOT_PA + (1ull << 30) - 4096))
			exit(1);
		b[i] = bench_now_ns() - t;
		shutdown_machine();
	}
	bench_report("kmem_bootstrap_free_1g", bench_median(v, r), bench_median(b, r),
		     "whole call (512 2 MiB blocks, two demoted); baseline: phys bootstrap free of the frames");
}
