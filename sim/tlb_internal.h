/*
 * Shared between the simulator's TLB files (sim/tlb*.c); not for tests.
 * tlb.c: the per-CPU TLBs and walk caches, the walk through them, fills,
 * install and the queries; tlb_inval.c: invalidation semantics and the
 * platform hooks (TLB, barrier, rendezvous); tlb_audit.c: the stale
 * translation audit and the break-before-make and must-stay-valid
 * checks; tlb_spec.c: speculative fills and the background speculator;
 * tlb_dmap.c: phys_to_virt through the direct map; tlb_counts.c: the
 * invalidation counts check.
 */
#ifndef VMKIT_SIM_TLB_INTERNAL_H
#define VMKIT_SIM_TLB_INTERNAL_H

#include "mmu.h"
#include <pthread.h>
#include <stdarg.h>

#define TLB_MAX		256
#define NCPU		VMK_MAX_CPUS
#define EV_RING		512
#define MSV_MAX		8
#define WC_MAX		64
#define HINT_MAX	8
#define RING		64

struct tlb_ent {
	bool valid;
	vmk_vaddr_t va;		/* aligned to the leaf size */
	unsigned int level;
	uint32_t asid;
	vmk_paddr_t root_user, root_kernel;	/* the roots it was walked from */
	struct vmk_mmu_walk w;	/* w.pa is the translation of va */
	bool dirty;		/* cached with write done (x86 D / arm64 AP[2]=0) */
};

/*
 * A paging-structure cache entry (x86 PML4E/PDPTE/PDE caches; arm64 walk
 * cache): the level-tlevel table that translates [va, va + size of a
 * level-(tlevel + 1) entry), found through a table entry, with the
 * hierarchical controls accumulated above it. Kernel-half entries match
 * every ASID (a lenient choice: x86 tags them with the PCID).
 */
struct wc_ent {
	bool valid, kern;
	unsigned int tlevel;
	vmk_vaddr_t va;
	uint32_t asid;
	vmk_paddr_t root_user, root_kernel;	/* the roots it was walked from */
	vmk_paddr_t table;
	uint32_t acc;
};

struct tlb_cpu {
	pthread_mutex_t lock;
	struct tlb_ent e[TLB_MAX];
	struct wc_ent wc[WC_MAX];
	unsigned int next;	/* round-robin victim */
	unsigned int wc_next;
	vmk_paddr_t root_user, root_kernel;
	uint32_t asid;
};

struct sim_range {
	vmk_vaddr_t va;
	vmk_size_t size;
};

/* State (tlb.c). */
extern struct vmk_mmu_cfg vmk_sim__mmu_cfg;
extern struct tlb_cpu vmk_sim__tlbs[NCPU];
extern pthread_rwlock_t vmk_sim__park;
extern int vmk_sim__in_rendezvous;
extern _Thread_local bool vmk_sim__rdv_owner;
extern bool vmk_sim__rdv_any;
extern void (*vmk_sim__prev_tlb)(void *, const struct vmk_tlb_req *);
extern unsigned long vmk_sim__n_barrier[4], vmk_sim__n_tlbi, vmk_sim__n_shoot, vmk_sim__n_rdv;
extern pthread_mutex_t vmk_sim__walk_lock;
extern struct sim_range vmk_sim__msv[MSV_MAX];
extern unsigned int vmk_sim__n_msv;
extern unsigned int vmk_sim__spec_pct, vmk_sim__spec_walks;
extern uint64_t vmk_sim__spec_seed;
extern unsigned int vmk_sim__spec_gen;
extern _Thread_local uint64_t vmk_sim__spec_rng;
extern _Thread_local unsigned int vmk_sim__spec_rng_gen;
extern _Thread_local bool vmk_sim__spec_busy;
extern unsigned long vmk_sim__n_spec;
extern struct sim_range vmk_sim__hints[HINT_MAX];
extern unsigned int vmk_sim__n_hints;
extern vmk_vaddr_t vmk_sim__va_ring[RING];
extern unsigned int vmk_sim__va_ring_head;
extern vmk_vaddr_t vmk_sim__dmap_base;
extern vmk_paddr_t vmk_sim__dmap_start, vmk_sim__dmap_end;
extern void *(*vmk_sim__prev_p2v)(void *, vmk_paddr_t);
extern unsigned long vmk_sim__n_dmap;

/* Functions (in the file of their concept). */
void vmk_sim__cpu_enter(void);
void vmk_sim__cpu_leave(void);
unsigned int vmk_sim__tlb_cap(void);
unsigned int vmk_sim__ncpus(void);
void vmk_sim__violation(const char *fmt, ...);
void vmk_sim__ev_add(enum vmk_sim_mmu_ev_kind k, unsigned int arg, vmk_vaddr_t va, vmk_size_t size,
		   bool shoot);
vmk_size_t vmk_sim__lvl_size(unsigned int lvl);
/* What one cached translation covers: a 64 KiB run (arm64 contiguous bit, Svnapot) is one entry. */
static inline vmk_size_t vmk_sim__walk_size(const struct vmk_mmu_walk *w)
{
	return w->cont ? (vmk_size_t)0x10000 : vmk_sim__lvl_size(w->level);
}
static inline vmk_size_t vmk_sim__ent_size(const struct tlb_ent *t)
{
	return vmk_sim__walk_size(&t->w);
}
void vmk_sim__record_va(vmk_vaddr_t va);
int vmk_sim__cpu_walk(struct tlb_cpu *c, unsigned int cpu, vmk_vaddr_t va, uint32_t access, bool update,
		    struct vmk_mmu_walk *w);
bool vmk_sim__ent_hit(const struct tlb_ent *t, vmk_vaddr_t va, uint32_t asid);
bool vmk_sim__same_output(const struct vmk_mmu_walk *a, vmk_vaddr_t va_a, const struct vmk_mmu_walk *b,
			vmk_vaddr_t va_b);
void vmk_sim__tlb_insert(struct tlb_cpu *c, unsigned int cpu, vmk_vaddr_t va,
		       const struct vmk_mmu_walk *w, uint32_t access);
void vmk_sim__check_bbm(void);
void vmk_sim__check_msv(void);
void vmk_sim__inval_cpu(struct tlb_cpu *c, const struct vmk_tlb_req *req);
void vmk_sim__hook_tlb(void *ctx, const struct vmk_tlb_req *req);
void vmk_sim__hook_barrier(void *ctx, enum vmk_barrier kind);
void vmk_sim__hook_rendezvous(void *ctx, vmk_rendezvous_fn fn, void *arg);
void vmk_sim__speculate(void);
void vmk_sim__bg_kick(void);

/* tlb_counts.c: follow one request (hook_tlb), forget everything (install). */
void vmk_sim__tlb_count(const struct vmk_tlb_req *req);
void vmk_sim__tlb_counts_reset(void);

#endif
