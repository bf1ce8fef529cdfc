/*
 * The simulator's software MMU: a page-table walker per architecture that
 * reads the tables in their hardware format from simulated RAM, and a
 * per-CPU software TLB filled by the walker and emptied only through the
 * platform's tlb_invalidate hook.
 *
 * The walker deliberately shares no code with src/pmap: its bit
 * definitions come straight from the Intel SDM and the Arm ARM, so a bug
 * in the pmap's descriptor layer shows up as a disagreement.
 *
 * What it catches:
 *  - a missing TLB invalidation: vmk_sim_tlb_audit() re-walks every cached
 *    translation and reports one the tables no longer grant (stale);
 *  - break-before-make violations (arm64): at every barrier the pmap
 *    issues, each cached translation is re-walked; a valid entry that now
 *    translates differently (output address, size, memory type, nG) means
 *    a valid->valid change without the invalid + TLBI step, and filling a
 *    translation that overlaps a cached one of another size or output is a
 *    TLB conflict (a block and a table for the same address);
 *  - 64 KiB contiguous runs (arm64 contiguous bit, riscv64 Svnapot): a
 *    fill from any entry of a run caches the whole 64 KiB as one TLB
 *    entry; a walk that finds the run's 16 entries inconsistent (plain
 *    and contiguous mixed, misaligned output, attributes differing) is a
 *    violation, and a cached run whose entries changed kind without the
 *    break + TLBI is caught by the checks above;
 *  - a range registered as must-stay-valid that is found invalid at a
 *    barrier or by another CPU's access outside a rendezvous.
 */
#ifndef VMKIT_SIM_MMU_H
#define VMKIT_SIM_MMU_H

#include <vmkit/pmap.h>
#include "sim.h"

/* Access kinds (or-ed). */
enum {
	VMK_MMU_READ = 1u << 0,
	VMK_MMU_WRITE = 1u << 1,
	VMK_MMU_EXEC = 1u << 2,
	VMK_MMU_USER = 1u << 3,		/* from user mode (CPL 3 / EL0) */
};

enum vmk_mmu_fault {
	VMK_MMU_OK = 0,
	VMK_MMU_FAULT_ADDRESS,		/* non-canonical / outside both TTBR ranges */
	VMK_MMU_FAULT_TRANSLATION,	/* not present / invalid descriptor */
	VMK_MMU_FAULT_RESERVED,		/* reserved bit set (x86 #PF RSVD) */
	VMK_MMU_FAULT_ACCESS_FLAG,	/* arm64 AF=0 without hardware AF */
	VMK_MMU_FAULT_PERMISSION,
	VMK_MMU_FAULT_BUS,		/* a table is not in simulated RAM */
	VMK_MMU_FAULT_FREED_PTP,	/* simulator error, not a CPU fault: a table page
					   read is not a live PTP (cfg.check_ptp); w->pa is it */
	VMK_MMU_FAULT_FOREIGN_PTP,	/* simulator error: a table page read below the root
					   is a live PTP of another address space (cfg.check_ptp
					   and path->owner_*); w->pa is it, w->pte its owner */
};

struct vmk_mmu_cfg {
	enum vmk_pmap_arch_id arch;
	unsigned int levels;		/* 4 or 5 (x86), 3 or 4 (arm64), 3-5 (riscv64 Sv39/48/57) */
	bool nxe;			/* x86 EFER.NXE (else bit 63 is reserved) */
	bool smep;			/* x86 CR4.SMEP */
	bool hw_af, hw_dbm;		/* arm64 TCR_EL1.HA / HD; riscv64 Svadu for A / D
					   (both off: Svade, A = 0 or a store with D = 0 faults) */
	bool no_svpbmt;			/* riscv64 without Svpbmt: PBMT bits are reserved */
	bool svnapot;			/* riscv64 Svnapot: N (bit 63) makes 64 KiB runs (else reserved) */
	unsigned int tlb_entries;	/* per CPU; 0: 64 */
	unsigned int pa_bits;		/* x86 MAXPHYADDR / arm64 PA size; 0: 52. Address
					   bits above it: x86 reserved-bit fault, arm64
					   address size fault */
	bool no_page_1g;		/* x86 without CPUID Page1GB: PS in a PDPTE is reserved */
	bool check_ptp;			/* every table read must be a live PTP (phys state) */
	bool no_walk_cache;		/* no paging-structure / walk caches (the old model) */
	unsigned int walk_cache_entries; /* per CPU; 0: 16 */
};

/* Result of a walk. */
struct vmk_mmu_walk {
	int fault;			/* enum vmk_mmu_fault */
	unsigned int fault_level;	/* level (from the leaf up) that faulted */
	vmk_paddr_t pa;			/* translated address of va */
	unsigned int level;		/* level of the leaf: 0 (4K), 1 (2M), 2 (1G) */
	uint64_t pte;			/* the leaf descriptor (after A/D update) */
	bool writable, user, uexec, kexec, global;
	unsigned int memattr;		/* PAT index (x86) / AttrIndx (arm64) */
	/*
	 * A level-0 leaf of a 64 KiB contiguous run (arm64 contiguous bit,
	 * riscv64 Svnapot): the TLB may hold the whole run as one entry.
	 */
	bool cont;
	/*
	 * The walk found the run holding va (its 16 entries) broken: plain
	 * and contiguous entries mixed, a misaligned or non-contiguous
	 * output address, attributes that differ (Arm ARM "misprogramming
	 * of the Contiguous bit"; Svnapot entries not identical). NULL: fine.
	 * The simulated CPUs report it as a violation.
	 */
	const char *cont_bad;
};

/* Hierarchical controls accumulated above a table (x86: U/S, R/W, XD; arm64: APTable, PXNTable, UXNTable). */
enum {
	VMK_MMU_ACC_NOUSER = 1u << 0,	/* x86 U/S=0 above / arm64 APTable[0] */
	VMK_MMU_ACC_RO = 1u << 1,	/* x86 R/W=0 above / arm64 APTable[1] */
	VMK_MMU_ACC_PXN = 1u << 2,	/* x86 XD above / arm64 PXNTable */
	VMK_MMU_ACC_UXN = 1u << 3,	/* arm64 UXNTable */
	VMK_MMU_ACC_GLOBAL = 1u << 4,	/* riscv64 G in a pointer above */
};

/*
 * Where a walk starts and which tables it read, for the walk caches: with
 * start_table set the walk begins at the level-start_level table
 * start_table with the controls start_acc (a paging-structure cache hit);
 * table[l] is then the level-l table the walk read (0: not reached) and
 * acc[l] the controls accumulated above it.
 */
struct vmk_mmu_walk_path {
	unsigned int start_level;
	vmk_paddr_t start_table;
	uint32_t start_acc;
	/*
	 * With cfg.check_ptp: the address space whose tables a walk of a
	 * user-half (owner_user) or kernel-half (owner_kernel) address may
	 * read below the root, as a PTP's md_pv names it (the pmap's id; see
	 * vmk_pmap_create); 0: not checked.
	 */
	uint64_t owner_user, owner_kernel;
	vmk_paddr_t table[5];
	uint32_t acc[5];
};

/* vmk_mmu_walk() with a start point and a record of the tables read (path may be NULL). */
int vmk_mmu_walk_path(const struct vmk_mmu_cfg *cfg, vmk_paddr_t user_root, vmk_paddr_t kernel_root,
		      vmk_vaddr_t va, uint32_t access, bool update, struct vmk_mmu_walk *w,
		      struct vmk_mmu_walk_path *path);

/*
 * Walk va from the given roots (x86: user_root is CR3 and kernel_root is
 * ignored; arm64: TTBR0 and TTBR1) for an access. With update, accessed and
 * dirty are set as the hardware would. Returns w->fault.
 */
int vmk_mmu_walk(const struct vmk_mmu_cfg *cfg, vmk_paddr_t user_root, vmk_paddr_t kernel_root,
		 vmk_vaddr_t va, uint32_t access, bool update, struct vmk_mmu_walk *w);

/* Human-readable fault name. */
const char *vmk_mmu_fault_name(int fault);

/* ---- the simulated MMU: per-CPU TLBs, hooks, checks ---- */

/*
 * Install the MMU: resets every TLB and counter and sets the platform's
 * tlb_invalidate, barrier and rendezvous hooks (the previous tlb hook is
 * still called, so sim counters keep counting).
 */
void vmk_sim_mmu_install(const struct vmk_mmu_cfg *cfg);

/* Restore the hooks that were there before vmk_sim_mmu_install(). */
void vmk_sim_mmu_uninstall(void);

/* The installed configuration. */
const struct vmk_mmu_cfg *vmk_sim_mmu_cfg(void);

/* Load cpu's roots and ASID (what CR3 / TTBR writes do; asid 0 flushes non-global). */
void vmk_sim_mmu_set_root(unsigned int cpu, vmk_paddr_t user_root, vmk_paddr_t kernel_root,
			  uint32_t asid);

/* A load_root hook for struct vmk_pmap_config. */
void vmk_sim_mmu_load_root_hook(void *ctx, unsigned int cpu, vmk_paddr_t user_root,
				vmk_paddr_t kernel_root, uint32_t asid);

/*
 * An access by cpu through its TLB (filled by a walk on a miss). Returns
 * the fault (0 if none) and the translation in *w (may be NULL).
 */
int vmk_sim_mmu_access(unsigned int cpu, vmk_vaddr_t va, uint32_t access, struct vmk_mmu_walk *w);

/* Translate va on cpu's current roots without touching the TLB or A/D bits. */
int vmk_sim_mmu_probe(unsigned int cpu, vmk_vaddr_t va, uint32_t access, struct vmk_mmu_walk *w);

/*
 * Re-walk every cached translation of every CPU; return how many are
 * stale (the tables no longer grant them: unmapped, other output, fewer
 * permissions). The first one is described in msg.
 */
unsigned int vmk_sim_tlb_audit(char *msg, size_t len);

/*
 * TLB entries it takes to cover [va, va + size) on cpu's current roots:
 * one per translation (a block, a 64 KiB run and a page count one each);
 * unmapped pages need none. Walks without touching TLBs or A/D bits.
 */
uint64_t vmk_sim_mmu_cover(unsigned int cpu, vmk_vaddr_t va, vmk_size_t size);

/* Drop every cached translation of every CPU (a test reset, not a hook). */
void vmk_sim_tlb_flush_all(void);

/* Cached translations of cpu. */
unsigned int vmk_sim_tlb_count(unsigned int cpu);

/*
 * Mutant tests only: the pmap under test is deliberately broken (it skips
 * shootdowns, say), so a CPU may walk a table that is being rewritten
 * through a paging-structure cache entry nobody invalidated. The simulator
 * reports the stale translation that follows; under ThreadSanitizer the
 * walker's reads are then not recorded, since the data race they form is
 * the injected bug, not one of the simulator's. Off by default.
 */
void vmk_sim_tlb_expect_broken_pmap(bool on);

/*
 * Register [va, va + size) (translated with kernel_root on cpu 0's
 * configuration) as must-stay-valid; up to 8 ranges. 0 or -VMK_ENOSPC.
 */
int vmk_sim_mmu_must_stay_valid(vmk_vaddr_t va, vmk_size_t size);

/*
 * Violations seen since install: break-before-make, must-stay-valid, a
 * page-table page read after being freed, a broken direct map.
 */
unsigned long vmk_sim_mmu_bbm_violations(void);

/* Description of the first violation ("" if none). */
const char *vmk_sim_mmu_bbm_msg(void);

/* Event log of the hooks, for checking sequences. */
enum vmk_sim_mmu_ev_kind {
	VMK_SIM_EV_BARRIER,		/* arg: enum vmk_barrier */
	VMK_SIM_EV_TLBI,		/* arg: enum vmk_tlb_kind */
	VMK_SIM_EV_RENDEZVOUS_BEGIN,
	VMK_SIM_EV_RENDEZVOUS_END,
};

struct vmk_sim_mmu_ev {
	enum vmk_sim_mmu_ev_kind kind;
	unsigned int arg;
	vmk_vaddr_t va;
	vmk_size_t size;
	bool shootdown;
};

/* Copy the last up-to-n events (oldest first) into ev; returns how many. */
size_t vmk_sim_mmu_events(struct vmk_sim_mmu_ev *ev, size_t n);

/* Forget the event log. */
void vmk_sim_mmu_events_clear(void);

/* Barriers of each kind issued since install. */
unsigned long vmk_sim_mmu_barriers(enum vmk_barrier kind);

/*
 * The invalidation counts check (sim/tlb_counts.c): compare what pmap
 * counted by kind (vmk_pmap_stats tlbi[], VMK_PMAP_TLB_KINDS of them)
 * with the requests that reached the platform for it, and report any
 * request since install that arrived out of the pmap's numbering (lost,
 * or issued without being counted). Returns 0, or -1 with msg set.
 */
int vmk_sim_tlb_check_counts(const void *pmap, const uint64_t *tlbi, char *msg, size_t len);
/* Requests since install that arrived out of their pmap's numbering. */
unsigned long vmk_sim_tlb_count_violations(void);

/* TLB invalidation requests since install (and those with shootdown set). */
unsigned long vmk_sim_mmu_tlbis(void);
unsigned long vmk_sim_mmu_shootdowns(void);

/* Rendezvous calls since install. */
unsigned long vmk_sim_mmu_rendezvous_count(void);

/*
 * Speculative fills: a CPU may walk and cache any valid translation at
 * any time. With pct > 0, at pct percent of the speculation points (every
 * barrier and every TLB invalidation, just before it acts) each CPU
 * walks `walks` live addresses of its address space (half recently
 * accessed or invalidated ones, half found by a random descent of its
 * tables) plus one page of every hint range, filling its walk caches and
 * (for leaves already accessed) its TLB. seed makes the choices
 * reproducible in a single-threaded test. install() turns it off.
 */
void vmk_sim_mmu_speculate(unsigned int pct, unsigned int walks, uint64_t seed);

/*
 * The background speculator: with on, a walker thread besides the
 * speculation points (kicked by every barrier and TLB invalidation hook,
 * it walks while the kicking CPU runs on: the hint ranges on every CPU,
 * then `walks` of vmk_sim_mmu_speculate, 2 if 0, live addresses on one
 * CPU chosen by its generator seeded with the speculation seed). Set the
 * hints before starting it. Off: the thread is joined (uninstall does
 * it too). Returns 0 or -VMK_ENOMEM.
 */
int vmk_sim_mmu_spec_thread(bool on);
/* Wait until the background speculator has done a whole round begun after this call (no-op when off). */
void vmk_sim_mmu_spec_thread_sync(void);
/* Rounds the background speculator has done since it was started first. */
unsigned long vmk_sim_mmu_spec_thread_rounds(void);

/* Add [va, va + size) to the ranges every speculation point walks (up to 8). 0 or -VMK_ENOSPC. */
int vmk_sim_mmu_spec_hint(vmk_vaddr_t va, vmk_size_t size);
void vmk_sim_mmu_spec_hints_clear(void);

/* Speculative walks done since install. */
unsigned long vmk_sim_mmu_spec_walks(void);

/*
 * phys_to_virt through the simulated MMU: from now on the platform's
 * phys_to_virt(pa) for pa in [start, end) translates base + (pa - start)
 * on the calling CPU (TLB, walk caches) and returns the memory that
 * translation really reaches; a fault or another address is a violation
 * (vmk_sim_mmu_bbm_violations). Map the direct map first. base 0 turns it
 * off; install() and uninstall() do too.
 */
void vmk_sim_mmu_direct_map(vmk_vaddr_t base, vmk_paddr_t start, vmk_paddr_t end);

/*
 * Rendezvous through the signal-based rendezvous of sim/rendezvous.c
 * (on): vmk_rendezvous() parks every other CPU thread registered with
 * vmk_sim_rdv_cpu_enter() wherever it is in vmkit, as an IPI does (not
 * only at the simulator's hooks); the simulator's own code runs with the
 * park masked. Off (the default, and after uninstall): the park lock.
 */
void vmk_sim_mmu_rendezvous_anywhere(bool on);

/* phys_to_virt calls that went through the direct map. */
unsigned long vmk_sim_mmu_direct_map_calls(void);

#endif /* VMKIT_SIM_MMU_H */
