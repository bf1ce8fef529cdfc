/*
 * Helpers for the pmap tests: a simulated machine (RAM, physical
 * allocator, software MMU, kernel pmap) and whole-state checks.
 */
#ifndef VMKIT_TEST_PMAP_UTIL_H
#define VMKIT_TEST_PMAP_UTIL_H

#include "harness.h"
#include "mmu.h"
#include <vmkit/phys.h>
#include <vmkit/pmap.h>

/*
 * Machine layout: RAM [1 GiB, 4 GiB). [1 GiB, 1 GiB + 256 MiB) goes to the
 * allocator (PTPs, PV chunks); [2 GiB, 4 GiB) stays RESERVED: "data" pages
 * the tests map (managed pages need a page record that is not free).
 */
/* Size mapped by one entry at level l (0: 4 KiB, 1: 2 MiB, 2: 1 GiB). */
#define PT_SIZE(l)	((uint64_t)1 << (12 + 9 * (l)))

#define PMT_RAM_BASE	(1ull << 30)
#define PMT_RAM_END	(4ull << 30)
#define PMT_ALLOC_END	(PMT_RAM_BASE + (256ull << 20))
#define PMT_DATA	(2ull << 30)

/* Kernel virtual window used by the tests (valid on every configuration but arm64 3-level). */
#define PMT_KVA		0xffff800000000000ull
#define PMT_KVA_END	0xffff810000000000ull
#define PMT_KVA3	0xffffff8000000000ull	/* arm64 with 3 levels */
#define PMT_KVA_SV39	0xffffffc000000000ull	/* riscv64 Sv39: the top 256 GiB */

struct pmt_opts {
	enum vmk_pmap_arch_id arch;
	unsigned int levels;		/* 0: default */
	unsigned int ncpus;		/* 0: 1 */
	unsigned int asid_bits;
	bool no_promote;
	bool promote_kernel_1g;		/* let promotion make kernel 1 GiB blocks */
	bool no_1g;
	bool kva_top;			/* the kernel window ends at 2^64 (kva_end 0) */
	bool hw_af_off;			/* arm64: no hardware access flag */
	bool hw_dbm_off;		/* no hardware dirty update (arm64 DBM, riscv64 Svadu) */
	bool no_cont;			/* no 64 KiB runs (arm64 contiguous bit; riscv64: no Svnapot, else on) */
	unsigned int sim_pa_bits;	/* the simulated CPU's MAXPHYADDR / PA size; 0: 52 */
	bool sim_no_page_1g;		/* the simulated CPU lacks 1 GiB pages (whatever the pmap is told) */
	bool sim_old_model;		/* no walk caches, no speculation, no freed-PTP check */
	unsigned int spec_pct;		/* speculative fills at this % of barriers/TLBIs; 0: 10 */
	/* Direct map, temporary page and pointer hook (struct vmk_pmap_config); 0: none. */
	vmk_vaddr_t dmap_base, dmap_end, tmp_va;
	void *(*kva_ptr)(void *ctx, vmk_vaddr_t va);
	/*
	 * riscv64: a hart with these features (svnapot, svpbmt): the simulated
	 * MMU has exactly them and the pmap is configured from them through
	 * vmk_pmap_config_riscv (its levels must equal levels). NULL: defaults.
	 */
	const struct vmk_mmu_features *rv_feat;
};

/* Boot: simulator, RAM, allocator, MMU, kernel pmap active on every CPU. */
void pmt_boot(const struct pmt_opts *o);

/* Shorthand: boot arch with defaults. */
void pmt_boot_arch(enum vmk_pmap_arch_id arch);

/* Free the machine's host memory (MMU uninstalled). */
void pmt_shutdown(void);

/* Kernel window base for the booted configuration. */
vmk_vaddr_t pmt_kva(void);

/* Pages held in PTP state and ALLOC state by phys (independent leak counters). */
uint64_t pmt_ptp_pages(void);
uint64_t pmt_alloc_pages(void);

/* Assert the pmap's invariants hold, the TLBs hold nothing stale, no BBM violation happened and its TLB invalidation counts are what reached the platform. */
void pmt_check(struct vmk_pmap *pm);

/*
 * vmk_pmap_stats without the TLB invalidation counters: the mapping state
 * a failed call must leave unchanged (its unwinding may invalidate what
 * it unlinked).
 */
void pmt_map_stats(struct vmk_pmap *pm, struct vmk_pmap_stats *st);

/*
 * A new user pmap, active on CPU 0. device: memory types other than WB are
 * allowed in [0, 2^38) (user space allows them inside a device window only).
 */
struct vmk_pmap *pmt_user(bool device);

/* pmt_boot_arch(arch), then pmt_user(false). */
struct vmk_pmap *pmt_boot_user(enum vmk_pmap_arch_id arch);

/* pmt_check(pm), the kernel pmap active on CPU 0 again, pm destroyed. */
void pmt_drop_user(struct vmk_pmap *pm);

/* pmt_boot(o), then a new user pmap active on each of o's CPUs. */
struct vmk_pmap *pmt_boot_user_all(const struct pmt_opts *o);

/* The kernel pmap active again on each CPU of the booted machine (a user pmap may then be destroyed). */
void pmt_kernel_all(void);

/* pas[i] = pa0 + i * 4 KiB for i < n. */
void pmt_pages(vmk_paddr_t *pas, vmk_paddr_t pa0, unsigned int n);

/* The TLB audit's findings plus the break-before-make violations, counted; msg has the last one. */
unsigned int pmt_reported(char *msg, size_t len);

/*
 * pmt_opts.kva_ptr for a configuration with a direct map: the host pointer
 * of a kernel address, found through CPU 0's simulated MMU as a CPU would
 * reach it; each call is recorded in pmt_kva_probe (which the test zeroes).
 */
void *pmt_kva_through_mmu(void *ctx, vmk_vaddr_t va);
extern struct pmt_kva_probe {
	unsigned int calls;
	vmk_vaddr_t last;	/* the address of the last call */
	vmk_paddr_t pa;		/* where it translated (last successful call) */
} pmt_kva_probe;

/* vmk_pmap_extract of va, which must succeed. */
struct vmk_pmap_mapping pmt_extract(struct vmk_pmap *pm, vmk_vaddr_t va);

/* vmk_pmap_stats of pm. */
struct vmk_pmap_stats pmt_stats(struct vmk_pmap *pm);

/* A hash of every entry of the tree under table t of level lvl, in hardware format (table addresses included). */
uint64_t pmt_tree_hash(vmk_paddr_t t, unsigned int lvl);

/* Everything a failed operation on a pmap must leave as it was. */
struct pmt_snap {
	struct vmk_pmap_stats st;	/* pmt_map_stats */
	uint64_t hash;			/* pmt_tree_hash of its root */
	uint64_t ptp, alloc;		/* pmt_ptp_pages, pmt_alloc_pages */
};

/* Fill s from pm and the machine. */
void pmt_snap_take(struct vmk_pmap *pm, struct pmt_snap *s);

/* Assert a and b are the same snapshot. */
void pmt_snap_same(const struct pmt_snap *a, const struct pmt_snap *b);

/* xorshift PRNG. */
uint64_t pmt_rand(uint64_t *s);

/* Arch name for messages. */
const char *pmt_arch_name(enum vmk_pmap_arch_id a);

#endif
