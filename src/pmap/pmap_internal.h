/*
 * pmap internals shared by the machine-independent files. Not a public
 * header: every name here starts with vmk_pmap__ (VMK_PMAP_ for constants).
 */
#ifndef VMKIT_PMAP_INTERNAL_H
#define VMKIT_PMAP_INTERNAL_H

#include <vmkit/phys.h>
#include "pmap_arch.h"

#define VMK_PMAP_MAX_RDV	8	/* rendezvous ranges per pmap */
#define VMK_PMAP_MAX_ALLOW	8	/* W+X / device windows per pmap (secure.c) */
enum { VMK_PMAP_ALLOW_WX = 1, VMK_PMAP_ALLOW_DEVICE = 2 };
#define VMK_PMAP_KPOOL		8	/* the kernel's demotion reserve (see ptp.c) */
#define VMK_PMAP_KPTP_REF	1u	/* the fixed ref_count of every kernel PTP */
#define VMK_PMAP_PV_GENS	256	/* PV list generation counters (a hash of head pages) */
#define VMK_PMAP_HOSTS		64	/* cached records of spare hosts per pmap (spare.c) */

/* md_flags bits on managed pages: state left behind by removed mappings. */
enum {
	VMK_PMAP_PAGE_REFERENCED = 1u << 0,
	VMK_PMAP_PAGE_MODIFIED = 1u << 1,
};

struct vmk_pmap {
	struct vmk_spinlock lock;
	/*
	 * PV walks holding this pmap while they wait for its lock with the PV
	 * lock dropped (pvops.c); vmk_pmap_destroy waits for none before it
	 * frees the struct. Taken only under the PV lock while an entry of
	 * this pmap is listed, so never again once destroy removed them all.
	 */
	uint32_t pv_holds;
	struct vmk_page *self_page;		/* the page holding this struct (user pmaps) */
	bool kernel;
	uint32_t asid;
	uint64_t id;				/* unique since bootstrap (in its TLB requests) */
	vmk_paddr_t root;
	struct vmk_page *root_page;
	struct vmk_list pv_chunks;		/* chunks with a free entry first */
	uint64_t pv_free;			/* free entries in those chunks */
	struct vmk_pmap_stats st;
	struct { vmk_vaddr_t va, end; } rdv[VMK_PMAP_MAX_RDV];	/* rendezvous strategy */
	unsigned int nrdv;
	struct { vmk_vaddr_t va, end; } np[VMK_PMAP_MAX_RDV];	/* no-promote ranges */
	unsigned int nnp;
	struct { vmk_vaddr_t va, last; uint32_t what; } allow[VMK_PMAP_MAX_ALLOW];	/* secure.c */
	unsigned int nallow;
	uint64_t active[(VMK_MAX_CPUS + 63) / 64];	/* CPUs running it */
	/*
	 * The last level-0 table reached, so that consecutive 4 KiB enters
	 * do not walk from the root each time (tbl NULL: none). Forgotten
	 * whenever a table entry is cleared or replaced (vmk_pmap__leaf_forget).
	 */
	struct {
		vmk_vaddr_t va;			/* 2 MiB-aligned va it maps */
		vmk_paddr_t pa;
		vmk_pte_t *tbl;
		struct vmk_page *pg;
	} leaf;
	/* The same for the last level-1 table reached by vmk_pmap__get_table (va 1 GiB-aligned). */
	struct {
		vmk_vaddr_t va;
		vmk_paddr_t pa;
		vmk_pte_t *tbl;
		struct vmk_page *pg;
	} mid;
	/* The last 4 KiB leaf template made (vmk_pmap__leaf_tmpl; prot 0: none), and 2 MiB block one. */
	struct vmk_pmap__tmpl {
		uint32_t prot, flags, a;
		vmk_pte_t pte;
	} tmpl, btmpl;
	/*
	 * Records and addresses of the tables the spare lookup walks, by
	 * physical address (spare.c): neither changes while the frame is
	 * managed, so an entry is right as long as its address matches,
	 * whatever became of the table.
	 */
	struct { vmk_paddr_t pa; struct vmk_page *pg; vmk_pte_t *tbl; } hosts[VMK_PMAP_HOSTS];
	vmk_pte_t *root_tbl;			/* the root's entries, once the spare lookup needed them */
};

/* Global pmap state: the configuration and the kernel pmap. */
struct vmk_pmap_global {
	const struct vmk_pmap_arch *arch;
	struct vmk_pmap_config cfg;
	unsigned int levels;		/* levels of translation */
	unsigned int top;		/* level of the root table: levels - 1 */
	unsigned int va_bits;		/* 12 + 9 * levels */
	uint32_t block_levels;		/* levels allowed to hold a leaf block */
	uint32_t attr_mask;		/* attribute bits the hardware supports */
	bool promote;
	bool cont;			/* fold 64 KiB runs (arch has them and the config allows) */
	bool marks;			/* no-promote marks kept by address (marks.c: riscv64) */
	uint64_t last_id;		/* the last pmap id given */
	struct vmk_pmap kpmap;
	struct vmk_spinlock pv_lock;	/* every page's PV list; pv_gen; the counters below */
	/*
	 * Generations of the PV lists, by head page (vmk_pmap__pv_gen): bumped
	 * whenever a list hashed there changes, so that a walk that let go of
	 * the PV lock can tell whether its place in a list is still valid.
	 */
	uint32_t pv_gen[VMK_PMAP_PV_GENS];
	uint64_t pv_waits;		/* PV walks that waited for a pmap lock */
	uint64_t pv_restarts;		/* ... and began again: a list changed meanwhile */
	struct vmk_spinlock asid_lock;
	uint64_t asid_map[(1u << 12) / 64];	/* allocated ASIDs/PCIDs */
	uint64_t pages_held;		/* PTPs + spares + PV chunks + pmap structs, all pmaps */
	vmk_paddr_t empty_root;		/* arm64: TTBR0 of a CPU with no user pmap */
	struct vmk_pmap *cur[VMK_MAX_CPUS];	/* pmap active on each CPU */
	struct vmk_page *kpool[VMK_PMAP_KPOOL];	/* the kernel's demotion reserve */
	unsigned int nkpool;
	bool ready;
};

extern struct vmk_pmap_global vmk_pmap__g;

/* A leaf entry at level lvl as the public mapping record (pa of the leaf's start). */
void vmk_pmap__mapping_of(vmk_pte_t e, unsigned int lvl, struct vmk_pmap_mapping *m);
/* The same for the leaf e read at p mapping va: a run's entry gives va's page and the run's A/D. */
void vmk_pmap__mapping_at(const vmk_pte_t *p, vmk_pte_t e, unsigned int lvl, vmk_vaddr_t va,
			  struct vmk_pmap_mapping *m);

/* ---- PTE access: always atomic, the MMU updates A/D concurrently ---- */
/* The output-address bits of a page-aligned pa in a leaf (riscv64 holds the PPN at bit 10). */
static inline vmk_pte_t vmk_pmap__pte_pa(vmk_paddr_t pa)
{
	return pa >> vmk_pmap__g.arch->pte_pa_shift;
}

static inline vmk_pte_t vmk_pmap__pte_load(const vmk_pte_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}
static inline void vmk_pmap__pte_store(vmk_pte_t *p, vmk_pte_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}
/* For entries no walker can reach yet, or ordered by a later barrier and release store. */
static inline void vmk_pmap__pte_store_relaxed(vmk_pte_t *p, vmk_pte_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}
static inline vmk_pte_t vmk_pmap__pte_load_relaxed(const vmk_pte_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}
/*
 * Zero n entries one 64-bit store at a time. A table that is being
 * recycled (a spare taken, a reserve refilled) may still be read by a
 * walker through a paging-structure cache that a broken caller failed to
 * shoot down; each entry must then read as either its old or its new value,
 * never a torn one, and memset promises neither.
 */
static inline void vmk_pmap__ptes_zero(vmk_pte_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		__atomic_store_n(&p[i], 0, __ATOMIC_RELAXED);
}
static inline vmk_pte_t vmk_pmap__pte_clear(vmk_pte_t *p)
{
	return __atomic_exchange_n(p, 0, __ATOMIC_ACQ_REL);
}
static inline bool vmk_pmap__pte_cas(vmk_pte_t *p, vmk_pte_t *old, vmk_pte_t new_pte)
{
	return __atomic_compare_exchange_n(p, old, new_pte, false, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
}

/* The table at pa as an array of entries. */
static inline vmk_pte_t *vmk_pmap__table(vmk_paddr_t pa)
{
	vmk_pte_t *t = vmk_phys_to_virt(pa);

	VMK_VERIFY(t != NULL, "page-table page %#llx is not reachable", (unsigned long long)pa);
	return t;
}

static inline bool vmk_pmap__is_leaf(vmk_pte_t e, unsigned int lvl)
{
	return vmk_pmap__g.arch->is_valid(e, lvl) && !vmk_pmap__g.arch->is_table(e, lvl);
}

/* Size index (0: 4K, 1: 2M, 2: 1G) of a leaf at lvl for the statistics. */
static inline void vmk_pmap__count_leaf(struct vmk_pmap *pm, unsigned int lvl, int delta)
{
	pm->st.mappings[lvl] += (uint64_t)(int64_t)delta;
	pm->st.resident += (uint64_t)(int64_t)delta << (9 * lvl);	/* unsigned: wraps as intended */
}

/* ---- the per-pmap level-0 table cache (pmap lock held) ---- */
static inline bool vmk_pmap__leaf_hit(const struct vmk_pmap *pm, vmk_vaddr_t va)
{
	return pm->leaf.tbl && pm->leaf.va == (va & ~(VMK_PT_SIZE(1) - 1));
}
/* Both cached tables: called wherever a table entry is cleared or replaced (either may be unlinked). */
static inline void vmk_pmap__leaf_forget(struct vmk_pmap *pm)
{
	pm->leaf.tbl = NULL;
	pm->mid.tbl = NULL;
}
/* The cached level-1 table holds va's 2 MiB entry (pmap lock held). */
static inline bool vmk_pmap__mid_hit(const struct vmk_pmap *pm, vmk_vaddr_t va)
{
	return pm->mid.tbl && pm->mid.va == (va & ~(VMK_PT_SIZE(2) - 1));
}
/* Hold on the cached level-0 table (user pmaps: its page is at hand, no lookup). */
static inline vmk_paddr_t vmk_pmap__leaf_hold(struct vmk_pmap *pm)
{
	if (!pm->kernel) {
		VMK_ASSERT(pm->leaf.pg->ref_count <= VMK_PT_ENTRIES,
			   "PTP %#llx holds more than 512 entries and a hold", (unsigned long long)pm->leaf.pa);
		pm->leaf.pg->ref_count++;
	}
	return pm->leaf.pa;
}

/* ---- locking ---- */
static inline void vmk_pmap__lock(struct vmk_pmap *pm) { vmk_spin_lock(&pm->lock); }
static inline void vmk_pmap__unlock(struct vmk_pmap *pm) { vmk_spin_unlock(&pm->lock); }
static inline void vmk_pmap__pv_lock(void) { vmk_spin_lock(&vmk_pmap__g.pv_lock); }
static inline void vmk_pmap__pv_unlock(void) { vmk_spin_unlock(&vmk_pmap__g.pv_lock); }

/* ---- addresses ---- */
/* True if va lies in pm's address space (a user pmap's half, the kernel's window). */
static inline bool vmk_pmap__va_ok(struct vmk_pmap *pm, vmk_vaddr_t va)
{
	/* x86-64 splits one space in halves; arm64 has two spaces of va_bits each. */
	unsigned int ubits = vmk_pmap__g.arch->split_roots ? vmk_pmap__g.va_bits : vmk_pmap__g.va_bits - 1;

	if (!pm->kernel)
		return (va >> ubits) == 0;
	return va >= vmk_pmap__g.cfg.kva_start && va <= vmk_pmap__g.cfg.kva_end - 1;
}
/* True if [sva, eva) is a non-empty page-aligned range inside pm's address space. */
static inline bool vmk_pmap__range_ok(struct vmk_pmap *pm, vmk_vaddr_t sva, vmk_vaddr_t eva)
{
	return sva < eva && !(sva & VMK_PAGE_MASK) && !(eva & VMK_PAGE_MASK) &&
	       vmk_pmap__va_ok(pm, sva) && vmk_pmap__va_ok(pm, eva - 1);
}

/*
 * May pm hold a block at level lvl? Not the kernel at the top level of a
 * root shared by both halves (x86-64, riscv64): every user root copies
 * the kernel's top-level entries when it is created and is never told of
 * a change, so those entries stay the tables bootstrap made. Of the
 * formats, only riscv64 Sv39 (a top-level entry maps 1 GiB) is refused
 * something by this: its kernel maps 1 GiB with 2 MiB blocks.
 */
static inline bool vmk_pmap__block_ok(const struct vmk_pmap *pm, unsigned int lvl)
{
	return (vmk_pmap__g.block_levels & (1u << lvl)) &&
	       !(pm->kernel && !vmk_pmap__g.arch->split_roots && lvl == vmk_pmap__g.top);
}

/*
 * Deferred work of one operation: one TLB invalidation for everything it
 * cleared, then the PTPs it unlinked are freed (never before: a walk
 * cache may still point at them until the invalidation). Zero-initialise.
 */
struct vmk_pmap_batch {
	vmk_vaddr_t sva, eva;		/* range to invalidate; sva == eva: none */
	uint64_t n;			/* leaves cleared */
	vmk_size_t one;			/* n <= 1: the span one by-VA request covers */
	bool nonleaf;			/* a table entry was cleared too */
	struct vmk_page *free;		/* PTPs to free, linked through owner */
};
/* n leaves cleared within [va, va + size) (n 1: one leaf of that size). */
void vmk_pmap__batch_add(struct vmk_pmap_batch *b, vmk_vaddr_t va, vmk_size_t size, uint64_t n);
/* A table entry on the way to va was cleared (its PTP unlinked). */
void vmk_pmap__batch_table(struct vmk_pmap_batch *b, vmk_vaddr_t va);
void vmk_pmap__batch_flush(struct vmk_pmap *pm, struct vmk_pmap_batch *b);

/* ---- PTPs (ptp.c) ---- */
struct vmk_page *vmk_pmap__ptp_alloc(struct vmk_pmap *pm, const char *site);
void vmk_pmap__ptp_free(struct vmk_pmap *pm, struct vmk_page *pg);
/* Walk: pointer to the entry mapping va at the lowest level reached (*lvl). */
vmk_pte_t *vmk_pmap__walk(struct vmk_pmap *pm, vmk_vaddr_t va, unsigned int *lvl,
			  vmk_paddr_t *table_pa);
/*
 * The table holding level-lvl entries for va, creating missing PTPs, with
 * a hold reference taken on it (user pmaps) for the entry the caller is
 * about to install. Blocks above lvl are demoted first (may allocate).
 * Returns the table's PA or 0 with *err set.
 */
vmk_paddr_t vmk_pmap__get_table(struct vmk_pmap *pm, vmk_vaddr_t va, unsigned int lvl,
				bool demote, int *err);
/*
 * vmk_pmap__get_table(pm, va, 0, true, err) with the cache hit inline.
 * On success the table is the cached one: pm->leaf.tbl points at it.
 */
static inline vmk_paddr_t vmk_pmap__get_leaf(struct vmk_pmap *pm, vmk_vaddr_t va, int *err)
{
	if (vmk_pmap__leaf_hit(pm, va))
		return vmk_pmap__leaf_hold(pm);
	return vmk_pmap__get_table(pm, va, 0, true, err);
}
/*
 * For batches that fill a level-0 table: like vmk_pmap__get_table(pm, va,
 * 0, false, err), except that a missing level-0 table is allocated
 * without zeroing and not linked (f->pg set; f->pg NULL: the table
 * existed and is held as usual). The caller must write all 512 entries
 * of a fresh table, then call vmk_pmap__leaf_link() with the number of
 * valid entries it wrote (0: the page and the parent's hold go back).
 * A block above va gives -VMK_EEXIST (no demotion).
 */
struct vmk_pmap_fresh {
	struct vmk_page *pg;
	vmk_pte_t *slot;		/* the level-1 entry to point at it */
	vmk_paddr_t parent;		/* the level-1 table, held for that entry */
};
vmk_paddr_t vmk_pmap__get_leaf_table(struct vmk_pmap *pm, vmk_vaddr_t va, struct vmk_pmap_fresh *f,
				     int *err);
void vmk_pmap__leaf_link(struct vmk_pmap *pm, vmk_vaddr_t va, struct vmk_pmap_fresh *f, unsigned int n);
/* Take / drop one valid-entry reference on the table at table_pa (no-op for kernel and root). */
void vmk_pmap__ptp_hold(struct vmk_pmap *pm, vmk_paddr_t table_pa);
/*
 * The one unwinding function: drop the reference the caller held on the
 * level-lvl table at table_pa for va; if it was the last, unlink the PTP
 * from its parent (recursively), invalidate and free it.
 */
void vmk_pmap__abort_ptp(struct vmk_pmap *pm, vmk_vaddr_t va, unsigned int lvl,
			 vmk_paddr_t table_pa);
/* The same, with invalidation and freeing deferred to b (NULL: immediate). */
void vmk_pmap__ptp_unref(struct vmk_pmap *pm, vmk_vaddr_t va, unsigned int lvl,
			 vmk_paddr_t table_pa, struct vmk_pmap_batch *b);
/* Pointer to the level-lvl entry for va; the tables above must exist (else NULL). */
vmk_pte_t *vmk_pmap__entry_at(struct vmk_pmap *pm, vmk_vaddr_t va, unsigned int lvl,
			      vmk_paddr_t *table_pa);
/*
 * Spare PTPs for demoting the block at (va, lvl), O(1): filed under the
 * table (or the larger block's spare) holding the block's entry, which
 * must exist (spare.c). reserved: the page was allocated for a
 * KEEP_SPARE block (else it is a PTP that existed anyway: promotion, a
 * replaced empty table). Pmap lock held.
 */
void vmk_pmap__spare_insert(struct vmk_pmap *pm, vmk_vaddr_t va, unsigned int lvl,
			    struct vmk_page *pg, bool reserved);
/*
 * Take the spare (zeroed, counted as a table-to-be); *reserved (may be
 * NULL) says how it came. The page keeps the spares filed under it (the
 * pieces of a larger block), as the table it becomes.
 */
struct vmk_page *vmk_pmap__spare_take(struct vmk_pmap *pm, vmk_vaddr_t va, unsigned int lvl,
				      bool *reserved);
bool vmk_pmap__spare_has(struct vmk_pmap *pm, vmk_vaddr_t va, unsigned int lvl);
/* The keep-spare mark of the block at (va, lvl), kept on its spare where the entry has no bit (marks.c). */
bool vmk_pmap__spare_keep(struct vmk_pmap *pm, vmk_vaddr_t va, unsigned int lvl);
void vmk_pmap__spare_set_keep(struct vmk_pmap *pm, vmk_vaddr_t va, unsigned int lvl);
/* The same by host page: entry idx of the table (or spare) host. */
bool vmk_pmap__spare_under(struct vmk_page *host, unsigned int idx);
void vmk_pmap__spare_set_keep_under(struct vmk_page *host, unsigned int idx);
/* Free every spare filed under host, and theirs (into b's free list if b). */
void vmk_pmap__spares_drop(struct vmk_pmap *pm, struct vmk_page *host, struct vmk_pmap_batch *b);
void vmk_pmap__spare_free_all(struct vmk_pmap *pm);
typedef void (*vmk_pmap_spare_fn)(void *arg, struct vmk_page *pg, vmk_vaddr_t va, unsigned int lvl,
				  bool reserved);
/* In a PTP's owner: the spares' directory (spare.c); else 0 or the marks page. */
#define VMK_PMAP_OWNER_DIR	1ull
/* The directory address a marks page keeps for its table (marks.c). */
uint64_t **vmk_pmap__marks_spares(struct vmk_page *mp);
/* Call fn on every spare, in address order by table. */
void vmk_pmap__spare_foreach(struct vmk_pmap *pm, vmk_pmap_spare_fn fn, void *arg);

/*
 * A 1 GiB kernel block entered with KEEP_SPARE gets a dormant spare for
 * each 2 MiB piece too (keepspare.c): allocate the 512 of them into
 * *list (all or none: -VMK_ENOMEM), file them under the block at va
 * (what is left on the list is freed), or free them.
 */
int vmk_pmap__piece_spares_alloc(struct vmk_pmap *pm, struct vmk_page **list);
void vmk_pmap__piece_spares_insert(struct vmk_pmap *pm, vmk_vaddr_t va, struct vmk_page **list);
void vmk_pmap__piece_spares_free(struct vmk_pmap *pm, struct vmk_page **list);

/* The kernel's demotion reserve (pmap lock of the kernel pmap held). */
void vmk_pmap__kpool_fill(struct vmk_pmap *pm);
struct vmk_page *vmk_pmap__kpool_take(struct vmk_pmap *pm);
void vmk_pmap__kpool_put(struct vmk_pmap *pm, struct vmk_page *pg);

/* A local reserve of PTPs taken before an operation that must not fail midway. */
struct vmk_pmap_ptp_reserve {
	struct vmk_page *pg[8];
	unsigned int n;
};
int vmk_pmap__reserve_ptps(struct vmk_pmap *pm, struct vmk_pmap_ptp_reserve *r, unsigned int n);
void vmk_pmap__reserve_release(struct vmk_pmap *pm, struct vmk_pmap_ptp_reserve *r);

/* ---- PV entries (pv.c) ---- */
struct vmk_pv {
	struct vmk_list link;	/* on the page's circular list (head in md_pv) */
	vmk_vaddr_t va_lvl;	/* va | level of the mapping */
};
int vmk_pmap__pv_reserve(struct vmk_pmap *pm, uint64_t n);
struct vmk_pv *vmk_pmap__pv_alloc(struct vmk_pmap *pm);
void vmk_pmap__pv_free(struct vmk_pmap *pm, struct vmk_pv *pv);
struct vmk_pmap *vmk_pmap__pv_pmap(const struct vmk_pv *pv);
/* PV list of the page at pa for a level-lvl mapping: the head page of the block. */
struct vmk_page *vmk_pmap__pv_head(vmk_paddr_t pa, unsigned int lvl);
/*
 * vmk_pmap__pv_head() for the walks that start from a page (remove_all,
 * is_modified, ...): NULL when the first frame of the level-lvl block
 * around pa is free or a page-table page, so no mapping can hang there.
 */
struct vmk_page *vmk_pmap__pv_walk_head(vmk_paddr_t pa, unsigned int lvl);
/* The generation counter of the PV list at head (PV lock held to read or bump it). */
static inline uint32_t *vmk_pmap__pv_gen(const struct vmk_page *head)
{
	uint64_t k = (uint64_t)(uintptr_t)head / sizeof(*head);

	return &vmk_pmap__g.pv_gen[(k * 0x9e3779b97f4a7c15ull) >> 56];
}
/* With the PV lock held. */
void vmk_pmap__pv_link(struct vmk_page *head, struct vmk_pv *pv);
void vmk_pmap__pv_unlink(struct vmk_page *head, struct vmk_pv *pv);
struct vmk_pv *vmk_pmap__pv_find(struct vmk_page *head, struct vmk_pmap *pm, vmk_vaddr_t va,
				 unsigned int lvl);
struct vmk_pv *vmk_pmap__pv_first(struct vmk_page *head);
struct vmk_pv *vmk_pmap__pv_next(struct vmk_page *head, struct vmk_pv *pv);
void vmk_pmap__pv_free_all_chunks(struct vmk_pmap *pm);

/* ---- TLB invalidation (tlb.c) and break-before-make (bbm.c, bbm_ranges.c) ---- */
/* Beyond this many pages a range request becomes an ASID / non-global / full one. */
#define VMK_PMAP_TLB_RANGE_MAX	64
/* Fill *r for pm and count it in pm's statistics (pmap lock held); issues nothing. */
void vmk_pmap__tlb_req(struct vmk_pmap *pm, struct vmk_tlb_req *r, enum vmk_tlb_kind kind,
		       vmk_vaddr_t va, vmk_size_t size, bool last_level);
/* Invalidate the one translation of size bytes (a power of two) containing va. */
void vmk_pmap__tlb_page(struct vmk_pmap *pm, vmk_vaddr_t va, vmk_size_t size, bool last_level);
/* Invalidate the span of one block's worth of leaves [va, va + size): one range request. */
void vmk_pmap__tlb_span(struct vmk_pmap *pm, vmk_vaddr_t va, vmk_size_t size, bool last_level);
/* Invalidate [va, va + size), or more (see tlb.c). */
void vmk_pmap__tlb_range(struct vmk_pmap *pm, vmk_vaddr_t va, vmk_size_t size, bool last_level);
/* With no barrier hook registered: the instructions vmk_pmap__tlb_made issues (tlb.c). */
void vmk_pmap__made_insn(bool kernel);
/*
 * New entries were stored where nothing was valid: publish them (no
 * invalidation needed). The platform's barrier hook is called directly,
 * not through vmk_barrier().
 *
 * arm64 without FEAT_ETS2: the local CPU may have looked up the new
 * kernel address before the store (speculatively, or in the instruction
 * stream already fetched) and would take a spurious translation fault on
 * it; the ISB makes the next instruction see the new entry (Arm ARM
 * D8.16.2, as Linux's kernel set_pte does). User mappings are first used
 * after an exception return, which synchronises the context anyway.
 */
static inline void vmk_pmap__tlb_made(struct vmk_pmap *pm)
{
	const struct vmk_platform *p = vmk_platform__hot;

	if (!p->barrier) {
		vmk_pmap__made_insn(pm->kernel);
		return;
	}
	p->barrier(p->ctx, VMK_BARRIER_PTE_STORE);
	if (pm->kernel)
		p->barrier(p->ctx, VMK_BARRIER_ISB);
}
/*
 * Replace the valid entry *p (mapping [va, va + size) at lvl) by new_pte,
 * with break-before-make where the architecture needs it. Panics on a
 * no-promote range unless it uses the rendezvous strategy. Returns the old
 * entry (with the hardware's last A/D bits).
 */
vmk_pte_t vmk_pmap__update_entry(struct vmk_pmap *pm, vmk_pte_t *p, vmk_pte_t new_pte,
				 vmk_vaddr_t va, vmk_size_t size, unsigned int lvl, bool table_empty);
bool vmk_pmap__in_rdv(struct vmk_pmap *pm, vmk_vaddr_t va, vmk_size_t size);
/* True if [va, va + size) overlaps a range marked no-promote. */
bool vmk_pmap__in_np(struct vmk_pmap *pm, vmk_vaddr_t va, vmk_size_t size);
/* secure.c: why leaf attributes a at [va, va + size) break a security rule of pm (NULL: they do not). */
const char *vmk_pmap__leaf_insecure(const struct vmk_pmap *pm, vmk_vaddr_t va, vmk_size_t size, uint32_t a);
/* May pm map [va, va + size) with the memory type in enter flags? (user: WB, or a device window) */
bool vmk_pmap__memtype_ok(const struct vmk_pmap *pm, vmk_vaddr_t va, vmk_size_t size, uint32_t flags);

/*
 * ---- no-promote marks kept by address (marks.c; vmk_pmap__g.marks) ----
 * Pmap lock held for all. The mark of entry idx of the table at t.
 */
struct vmk_page *vmk_pmap__marks_alloc(struct vmk_pmap *pm);	/* NULL: out of memory */
void vmk_pmap__marks_put(struct vmk_pmap *pm, struct vmk_page **mp);	/* free *mp unless used */
bool vmk_pmap__mark_test(vmk_paddr_t t, unsigned int idx);
bool vmk_pmap__marks_any(vmk_paddr_t t);
unsigned int vmk_pmap__marks_count(vmk_paddr_t t);
/* Mark entries [first, first + n) of t; a table without marks takes *mp (then NULL). */
void vmk_pmap__mark_set(vmk_paddr_t t, unsigned int first, unsigned int n, struct vmk_page **mp);
/* Unmark them; the marks page goes with the last mark. Never allocates. */
void vmk_pmap__mark_clear(struct vmk_pmap *pm, vmk_paddr_t t, unsigned int first, unsigned int n);
/*
 * True if the leaf at (va, lvl) is no-promote by address: in a
 * no-promote range or marked (t: its table, 0: walked to).
 */
bool vmk_pmap__np(struct vmk_pmap *pm, vmk_vaddr_t va, unsigned int lvl, vmk_paddr_t t);
/* The marks (NOPROMOTE, KEEPSPARE) of the leaf at (va, lvl) kept by address. */
uint32_t vmk_pmap__marks_of(struct vmk_pmap *pm, vmk_vaddr_t va, unsigned int lvl, vmk_paddr_t t);
/* Leaf attributes a of the entry at (va, lvl) with the marks kept by address. */
static inline uint32_t vmk_pmap__marked(struct vmk_pmap *pm, uint32_t a, vmk_vaddr_t va, unsigned int lvl,
					vmk_paddr_t t)
{
	if (vmk_pmap__g.marks)
		a |= vmk_pmap__marks_of(pm, va, lvl, t);
	return a;
}

/* ---- 64 KiB contiguous runs (cont.c, the unfold window in bbm.c) ---- */
static inline bool vmk_pmap__is_cont(vmk_pte_t e, unsigned int lvl)
{
	return vmk_pmap__g.arch->is_cont && vmk_pmap__g.arch->is_cont(e, lvl);
}
/* The page a leaf e at lvl maps at va (a run's entry: va's page inside the run's 64 KiB). */
static inline vmk_paddr_t vmk_pmap__leaf_pa(vmk_pte_t e, unsigned int lvl, vmk_vaddr_t va)
{
	vmk_paddr_t pa = vmk_pmap__g.arch->pa_of(e, lvl);

	if (vmk_pmap__is_cont(e, lvl))
		pa = (pa & ~(VMK_PMAP_CONT_SIZE - 1)) | (va & (VMK_PMAP_CONT_SIZE - 1) & ~(vmk_vaddr_t)VMK_PAGE_MASK);
	return pa;
}
/*
 * The leaf e with attributes a: every raw bit that no canonical
 * attribute stands for (a run's bits) is kept, so an atomic update of
 * permission or accessed/dirty bits never turns one entry of a run into
 * a plain leaf behind the others' backs.
 */
static inline vmk_pte_t vmk_pmap__leaf_rebuild(vmk_pte_t e, unsigned int lvl, uint32_t a)
{
	return vmk_pmap__g.arch->make_leaf(vmk_pmap__g.arch->pa_of(e, lvl), lvl, a) |
	       (e & vmk_pmap__g.arch->pte_keep);
}
/* Attributes of the leaf e read at p (level lvl); a run's accessed/dirty are the OR over its entries. */
uint32_t vmk_pmap__leaf_attrs(const vmk_pte_t *p, vmk_pte_t e, unsigned int lvl);
/*
 * If the level-0 entry p (mapping va) belongs to a run, rewrite the run
 * as 16 plain leaves (the accessed/dirty OR in each) with break-before-
 * make across all 16: all made invalid, the 64 KiB invalidated, then the
 * new entries written. Pmap lock held; never allocates.
 */
void vmk_pmap__unfold(struct vmk_pmap *pm, vmk_pte_t *p, vmk_vaddr_t va);
/* vmk_pmap__unfold for every run overlapping [sva, eva) (eva 0: the top of the address space). */
void vmk_pmap__unfold_range(struct vmk_pmap *pm, vmk_vaddr_t sva, vmk_vaddr_t eva);
/* Only the runs that [sva, eva) cuts: those holding sva and eva when they are not run-aligned. */
void vmk_pmap__unfold_edges(struct vmk_pmap *pm, vmk_vaddr_t sva, vmk_vaddr_t eva);
/* True if pas[0..16) may fold at the 64 KiB-aligned va: contiguous from a 64 KiB-aligned page. */
static inline bool vmk_pmap__run_foldable(vmk_vaddr_t va, const vmk_paddr_t *pas)
{
	vmk_paddr_t pa0 = pas[0];

	if ((va | pa0) & (VMK_PMAP_CONT_SIZE - 1))
		return false;
	for (unsigned int j = 1; j < VMK_PMAP_CONT_PAGES; j++)
		if (pas[j] != pa0 + ((vmk_paddr_t)j << VMK_PAGE_SHIFT))
			return false;
	return true;
}

/* ---- leaf attributes (leafattr.c) and mappings (enter.c, remove.c, promote.c) ---- */
uint32_t vmk_pmap__attrs(struct vmk_pmap *pm, uint32_t prot, uint32_t flags);
/*
 * The leaf for (prot, flags) at level lvl (0: 4 KiB page, 1: 2 MiB block)
 * with output address 0, to be or-ed with a PA aligned to that level
 * within the arch's page_pa_mask (the output address sits in the same bits
 * at every level of all three formats); its attributes in *attrs. The
 * pmap remembers the last one made per level in *t (pmap lock held).
 */
vmk_pte_t vmk_pmap__tmpl_make(struct vmk_pmap *pm, struct vmk_pmap__tmpl *t, unsigned int lvl, uint32_t prot,
			      uint32_t flags);
static inline vmk_pte_t vmk_pmap__tmpl_get(struct vmk_pmap *pm, struct vmk_pmap__tmpl *t, unsigned int lvl,
					   uint32_t prot, uint32_t flags, uint32_t *attrs)
{
	/* prot 0 is never valid here: a zeroed pmap has no template cached. */
	vmk_pte_t pte = t->prot == prot && t->flags == flags ? t->pte : vmk_pmap__tmpl_make(pm, t, lvl, prot, flags);

	*attrs = t->a;
	return pte;
}
static inline vmk_pte_t vmk_pmap__leaf_tmpl(struct vmk_pmap *pm, uint32_t prot, uint32_t flags,
					    uint32_t *attrs)
{
	return vmk_pmap__tmpl_get(pm, &pm->tmpl, 0, prot, flags, attrs);
}
static inline vmk_pte_t vmk_pmap__block_tmpl(struct vmk_pmap *pm, uint32_t prot, uint32_t flags,
					     uint32_t *attrs)
{
	return vmk_pmap__tmpl_get(pm, &pm->btmpl, 1, prot, flags, attrs);
}
/* Are prot and the enter flags' memory type allowed for [va, va + size) of pm? (enter.c) */
bool vmk_pmap__prot_ok(struct vmk_pmap *pm, vmk_vaddr_t va, vmk_size_t size, uint32_t prot, uint32_t flags);
/* FreeBSD's pmap_every_pte_zero: nothing in the table at pa, not even an invalid entry's bits. */
bool vmk_pmap__every_pte_zero(vmk_paddr_t pa);
/*
 * The record of a managed block's first page if the block [pa, pa + size)
 * has page records at both ends and its first page is not free, else NULL.
 */
struct vmk_page *vmk_pmap__block_head(vmk_paddr_t pa, vmk_size_t size);
/*
 * vmk_pmap_enter_large's general path for one level-lvl block, arguments
 * checked (head: the managed page), pm locked and left locked; no
 * promotion and no top-up of the kernel's reserve (the caller's). Returns
 * 0 or -VMK_E* with nothing changed but, for the kernel, PTPs linked.
 */
int vmk_pmap__large_one(struct vmk_pmap *pm, vmk_vaddr_t va, vmk_paddr_t pa, unsigned int lvl, uint32_t prot,
			uint32_t flags, struct vmk_page *head);
/* Remove the leaf at *p (va, lvl, in the table at table_pa); pv_locked: caller holds the PV lock. */
void vmk_pmap__remove_leaf(struct vmk_pmap *pm, vmk_pte_t *p, vmk_vaddr_t va, unsigned int lvl,
			   vmk_paddr_t table_pa, bool pv_locked, struct vmk_pmap_batch *b);
/* Make sure [sva, eva) starts and ends on leaf boundaries (demoting); all-or-nothing. */
int vmk_pmap__split_edges(struct vmk_pmap *pm, vmk_vaddr_t sva, vmk_vaddr_t eva);
/* Demote the block at *p (va, lvl); the PTP comes from r if given, else a spare or the allocator. */
int vmk_pmap__demote(struct vmk_pmap *pm, vmk_pte_t *p, vmk_vaddr_t va, unsigned int lvl,
		     struct vmk_pmap_ptp_reserve *r, bool pv_locked);
/* Try to promote the table holding va's level-(lvl-1) entries into a level-lvl block. */
void vmk_pmap__try_promote(struct vmk_pmap *pm, vmk_vaddr_t va, unsigned int lvl);
/* vmk_pmap__try_promote of every level-lvl block that [va, va + len) touches (len > 0). */
void vmk_pmap__try_promote_range(struct vmk_pmap *pm, vmk_vaddr_t va, vmk_size_t len, unsigned int lvl);
/* Page-state bookkeeping when a managed leaf goes away. */
void vmk_pmap__note_removed(vmk_pte_t old, unsigned int lvl);

#endif /* VMKIT_PMAP_INTERNAL_H */
