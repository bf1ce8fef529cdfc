/*
 * Software page-table walkers reading hardware-format tables from
 * simulated RAM. Bit positions are written out here from the manuals on
 * purpose (no shared code with src/pmap).
 *
 * x86-64: Intel SDM Vol. 3A 4.5 (walk), 4.6 (access rights: U/S and R/W
 * combine over all levels, CR0.WP=1 assumed, NX with EFER.NXE, SMEP),
 * 4.8 (A set in every entry used, D in the leaf on a write).
 * arm64: Arm ARM D8 (VMSAv8-64, 4 KiB granule): TTBR0/TTBR1 selection by
 * the top VA bits, descriptor types per level, APTable/XNTable
 * hierarchical controls, AP[2:1]/UXN/PXN (EL0-writable implies PXN),
 * hardware AF (TCR.HA) and DBM dirty state (TCR.HD).
 * riscv64: RISC-V Privileged Specification 4.3.2 "Virtual Address
 * Translation Process" for Sv39/Sv48/Sv57 (one root, satp; a leaf at any
 * level when R or X is set; W without R, reserved bits 63:54 (PBMT 62:61
 * without Svpbmt or = 3) and a superpage with non-zero low PPN bits
 * page-fault; U pages are never executable in S-mode; S-mode loads and
 * stores of U pages are allowed (sstatus.SUM = 1)). A and D: Svade (the
 * default) faults on an access with A = 0 and a store with D = 0; with
 * cfg.hw_af / cfg.hw_dbm (Svadu, menvcfg.ADUE) the walker sets them
 * atomically. Non-leaf A, D, U (reserved, must be zero) fault here too,
 * stricter than hardware, to catch an encoder that sets them.
 * 64 KiB runs: arm64 D8.6.1 "The Contiguous bit" (16 level 3 entries,
 * 64 KiB-aligned VA and OA, identical but for the OA and AF/dirty state;
 * otherwise "misprogramming of the Contiguous bit"); riscv64 chapter
 * "Svnapot" (N = 1 with ppn[0][3:0] = 0b1000 on a level-0 leaf, any other
 * N encoding page-faults; the walker takes ppn[0][3:0] from the VA).
 */
#include "mmu.h"

#include <string.h>
#include <vmkit/phys.h>

#define X_P	(1ull << 0)
#define X_RW	(1ull << 1)
#define X_US	(1ull << 2)
#define X_PWT	(1ull << 3)
#define X_PCD	(1ull << 4)
#define X_A	(1ull << 5)
#define X_D	(1ull << 6)
#define X_PS	(1ull << 7)
#define X_G	(1ull << 8)
#define X_NX	(1ull << 63)
#define X_ADDR	0x000ffffffffff000ull

#define R_VALID	(1ull << 0)
#define R_TABLE	(1ull << 1)
#define R_APU	(1ull << 6)
#define R_APRO	(1ull << 7)
#define R_AF	(1ull << 10)
#define R_NG	(1ull << 11)
#define R_DBM	(1ull << 51)
#define R_CONT	(1ull << 52)
#define R_SW	(0xfull << 55)
#define R_PXN	(1ull << 53)
#define R_UXN	(1ull << 54)
#define R_PXNT	(1ull << 59)
#define R_UXNT	(1ull << 60)
#define R_APT_NOEL0 (1ull << 61)
#define R_APT_RO (1ull << 62)
#define R_ADDR	0x0000fffffffff000ull

#define V_V	(1ull << 0)
#define V_R	(1ull << 1)
#define V_W	(1ull << 2)
#define V_X	(1ull << 3)
#define V_U	(1ull << 4)
#define V_G	(1ull << 5)
#define V_A	(1ull << 6)
#define V_D	(1ull << 7)
#define V_PPN	0x003ffffffffffc00ull	/* bits 53:10 */
#define V_PBMT	(3ull << 61)
#define V_RSVD	0xffc0000000000000ull	/* bits 63:54 */
#define V_N	(1ull << 63)		/* Svnapot */
#define V_RSW	(3ull << 8)
#define RUN	16u			/* entries in a 64 KiB run */

#define MAX_RETRY 64

const char *vmk_mmu_fault_name(int fault)
{
	static const char *const n[] = { "ok", "address", "translation", "reserved-bit",
					 "access-flag", "permission", "bus", "freed-ptp", "foreign-ptp" };

	return fault >= 0 && fault < (int)(sizeof(n) / sizeof(n[0])) ? n[fault] : "?";
}

static uint64_t *entry_ptr(vmk_paddr_t table, unsigned int idx)
{
	return vmk_sim_phys_to_virt(table + (vmk_paddr_t)idx * 8);
}

static int fail(struct vmk_mmu_walk *w, int fault, unsigned int lvl)
{
	w->fault = fault;
	w->fault_level = lvl;
	return fault;
}

/*
 * A table page the walker is about to read must be a live page-table page
 * (cfg->check_ptp): reading a freed one is what a walk cache still
 * pointing at it, or a root freed while loaded, does on real hardware.
 * Pages outside the physical allocator's segments are not checked.
 */
static bool table_dead(const struct vmk_mmu_cfg *cfg, vmk_paddr_t table)
{
	struct vmk_page *pg;

	if (!cfg->check_ptp)
		return false;
	pg = vmk_pa_to_page(table);
	return pg && vmk_page_state(pg) != VMK_PAGE_PTP;
}

static int fail_dead(struct vmk_mmu_walk *w, vmk_paddr_t table, unsigned int lvl)
{
	w->pa = table;
	return fail(w, VMK_MMU_FAULT_FREED_PTP, lvl);
}

/*
 * A table page below the root must belong to the address space being
 * walked (path->owner_*): a page freed and reused as another address
 * space's table is live, so table_dead passes it, yet a walk cache still
 * pointing at it reads another process's (or the kernel's) tables.
 */
static bool table_foreign(const struct vmk_mmu_cfg *cfg, vmk_paddr_t table, int lvl, vmk_vaddr_t va,
			  const struct vmk_mmu_walk_path *path, uint64_t *owner)
{
	uint64_t want;
	struct vmk_page *pg;

	if (!cfg->check_ptp || !path || lvl >= (int)cfg->levels - 1)
		return false;
	want = (int64_t)va < 0 ? path->owner_kernel : path->owner_user;
	pg = want ? vmk_pa_to_page(table) : NULL;
	if (!pg)
		return false;
	*owner = __atomic_load_n(&pg->md_pv, __ATOMIC_RELAXED);
	return *owner != want;
}

static int fail_foreign(struct vmk_mmu_walk *w, vmk_paddr_t table, unsigned int lvl, uint64_t owner)
{
	w->pa = table;
	w->pte = owner;
	return fail(w, VMK_MMU_FAULT_FOREIGN_PTP, lvl);
}

/* Address bits of an entry above the physical address width are reserved (x86) / address-size faults (arm64). */
static bool above_maxphys(const struct vmk_mmu_cfg *cfg, uint64_t e, uint64_t addr_mask)
{
	unsigned int bits = cfg->pa_bits ? cfg->pa_bits : 52;

	return bits < 52 && (e & addr_mask & ~((1ull << bits) - 1)) != 0;
}

static void path_note(struct vmk_mmu_walk_path *path, int lvl, vmk_paddr_t table, uint32_t acc)
{
	if (path) {
		path->table[lvl] = table;
		path->acc[lvl] = acc;
	}
}

/*
 * The 16 entries of the run holding the level-0 entry e (index idx9 of
 * table): a contiguous (cont) entry needs all valid ones contiguous and
 * consistent (same(f, j) says whether entry j, f, matches); a plain one
 * needs no valid contiguous entry beside it. Invalid entries are allowed:
 * a run is written entry by entry over invalid ones, and broken whole.
 */
static const char *run_check(uint64_t table, unsigned int idx9, bool cont, uint64_t cont_bit, uint64_t valid_bit,
			     const char *(*same)(uint64_t e, uint64_t f, unsigned int i, unsigned int j), uint64_t e)
{
	const uint64_t *run = entry_ptr(table, idx9 & ~(RUN - 1));

	if (!run)
		return NULL;
	for (unsigned int j = 0; j < RUN; j++) {
		uint64_t f = __atomic_load_n(&run[j], __ATOMIC_RELAXED);
		const char *why;

		if (!(f & valid_bit))
			continue;
		if (!!(f & cont_bit) != cont)
			return "contiguous and plain entries mixed in one 64 KiB run";
		if (cont && (why = same(e, f, idx9 & (RUN - 1), j)) != NULL)
			return why;
	}
	return NULL;
}

static const char *a64_same(uint64_t e, uint64_t f, unsigned int i, unsigned int j)
{
	/*
	 * Each entry keeps its own OA; AF and the dirty state are per entry;
	 * bits 58:55 are software's. AP[2] is the dirty state of a DBM entry
	 * only: without DBM it is the write permission, which must match.
	 */
	const uint64_t ign = R_ADDR | R_AF | R_SW | ((e & f & R_DBM) ? R_APRO : 0);
	uint64_t base = (e & R_ADDR) - ((uint64_t)i << 12);

	if (base & 0xffff)
		return "contiguous run with a misaligned output address";
	if ((f & R_ADDR) != base + ((uint64_t)j << 12))
		return "contiguous run whose output addresses are not contiguous";
	if ((f & ~ign) != (e & ~ign))
		return "attributes differ within a contiguous run (misprogramming of the Contiguous bit)";
	return NULL;
}

static const char *rv_same(uint64_t e, uint64_t f, unsigned int i, unsigned int j)
{
	(void)i; (void)j;
	/* One translation for the whole range: the entries are identical but for A/D (set per entry). */
	if ((f ^ e) & ~(V_A | V_D | V_RSW))
		return "Svnapot entries of one 64 KiB run differ";
	return NULL;
}

static int x86_walk_once(const struct vmk_mmu_cfg *cfg, vmk_paddr_t cr3, vmk_vaddr_t va,
			 uint32_t acc, bool update, struct vmk_mmu_walk *w, bool *retry,
			 struct vmk_mmu_walk_path *path)
{
	unsigned int vabits = 12 + 9 * cfg->levels, shift = 64 - vabits;
	uint64_t *used[5];
	uint64_t e = 0, table = cr3 & X_ADDR;
	bool us = true, rw = true, nx = false;
	int lvl = (int)cfg->levels - 1, nused = 0;
	uint64_t owner = 0;

	if ((vmk_vaddr_t)((int64_t)(va << shift) >> shift) != va)
		return fail(w, VMK_MMU_FAULT_ADDRESS, cfg->levels - 1);
	if (path && path->start_table) {
		/* A paging-structure cache hit: start below the cached entry. */
		lvl = (int)path->start_level;
		table = path->start_table;
		us = !(path->start_acc & VMK_MMU_ACC_NOUSER);
		rw = !(path->start_acc & VMK_MMU_ACC_RO);
		nx = (path->start_acc & VMK_MMU_ACC_PXN) != 0;
	}
	for (; lvl >= 0; lvl--) {
		unsigned int s = 12 + 9 * (unsigned int)lvl;
		uint64_t *p = entry_ptr(table, (unsigned int)(va >> s) & 511);
		bool leaf;

		if (!p)
			return fail(w, VMK_MMU_FAULT_BUS, (unsigned int)lvl);
		if (table_dead(cfg, table))
			return fail_dead(w, table, (unsigned int)lvl);
		if (table_foreign(cfg, table, lvl, va, path, &owner))
			return fail_foreign(w, table, (unsigned int)lvl, owner);
		path_note(path, lvl, table, (us ? 0 : VMK_MMU_ACC_NOUSER) | (rw ? 0 : VMK_MMU_ACC_RO) |
			  (nx ? VMK_MMU_ACC_PXN : 0));
		e = __atomic_load_n(p, __ATOMIC_ACQUIRE);
		if (!(e & X_P))
			return fail(w, VMK_MMU_FAULT_TRANSLATION, (unsigned int)lvl);
		if ((e & X_NX) && !cfg->nxe)
			return fail(w, VMK_MMU_FAULT_RESERVED, (unsigned int)lvl);
		if (lvl >= 3 && (e & X_PS))
			return fail(w, VMK_MMU_FAULT_RESERVED, (unsigned int)lvl);
		/* SDM 4.5.4: PS in a PDPTE without CPUID Page1GB is reserved. */
		if (lvl == 2 && (e & X_PS) && cfg->no_page_1g)
			return fail(w, VMK_MMU_FAULT_RESERVED, (unsigned int)lvl);
		/* SDM 4.5.4: address bits at and above MAXPHYADDR are reserved in every entry. */
		if (above_maxphys(cfg, e, X_ADDR))
			return fail(w, VMK_MMU_FAULT_RESERVED, (unsigned int)lvl);
		leaf = lvl == 0 || (e & X_PS);
		/* Large pages: address bits below the page size (above PAT at 12) are reserved. */
		if (leaf && lvl > 0 && (e & X_ADDR & ((1ull << s) - 1) & ~0x1fffull))
			return fail(w, VMK_MMU_FAULT_RESERVED, (unsigned int)lvl);
		us = us && (e & X_US);
		rw = rw && (e & X_RW);
		nx = nx || (cfg->nxe && (e & X_NX));
		used[nused++] = p;
		if (leaf)
			break;
		table = e & X_ADDR;
	}
	w->level = (unsigned int)lvl;
	w->user = us;
	w->writable = rw;
	w->uexec = us && !nx;
	w->kexec = !nx && !(cfg->smep && us);
	w->global = (e & X_G) != 0;
	{
		uint64_t patbit = lvl == 0 ? (1ull << 7) : (1ull << 12);
		unsigned int s = 12 + 9 * (unsigned int)lvl;

		w->memattr = ((e & X_PWT) ? 1 : 0) | ((e & X_PCD) ? 2 : 0) | ((e & patbit) ? 4 : 0);
		w->pa = (e & X_ADDR & ~((1ull << s) - 1)) | (va & ((1ull << s) - 1));
	}
	if (acc) {
		bool user = acc & VMK_MMU_USER;

		if (user && !us)
			return fail(w, VMK_MMU_FAULT_PERMISSION, w->level);
		if ((acc & VMK_MMU_WRITE) && !rw)
			return fail(w, VMK_MMU_FAULT_PERMISSION, w->level);
		if ((acc & VMK_MMU_EXEC) && !(user ? w->uexec : w->kexec))
			return fail(w, VMK_MMU_FAULT_PERMISSION, w->level);
	}
	if (update) {
		for (int i = 0; i < nused; i++) {
			uint64_t want = X_A | ((i == nused - 1 && (acc & VMK_MMU_WRITE)) ? X_D : 0);
			uint64_t old = __atomic_load_n(used[i], __ATOMIC_RELAXED);

			if ((old & want) == want)
				continue;
			if (i == nused - 1 && old != e) {
				*retry = true;
				return 0;
			}
			if (!(old & X_P) ||
			    !__atomic_compare_exchange_n(used[i], &old, old | want, false,
							 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
				*retry = true;
				return 0;
			}
			if (i == nused - 1)
				e = old | want;
		}
	}
	w->pte = e;
	w->fault = 0;
	return 0;
}

static int a64_walk_once(const struct vmk_mmu_cfg *cfg, vmk_paddr_t ttbr0, vmk_paddr_t ttbr1,
			 vmk_vaddr_t va, uint32_t acc, bool update, struct vmk_mmu_walk *w,
			 bool *retry, struct vmk_mmu_walk_path *path)
{
	unsigned int vabits = 12 + 9 * cfg->levels;
	uint64_t top = va >> vabits, e = 0, table;
	uint64_t *p = NULL;
	bool apt_ro = false, apt_noel0 = false, pxnt = false, uxnt = false;
	bool ro, el0, ap_el0w;
	int lvl;
	uint64_t owner = 0;

	if (top == 0)
		table = ttbr0 & R_ADDR;
	else if (top == (~0ull >> vabits))
		table = ttbr1 & R_ADDR;
	else
		return fail(w, VMK_MMU_FAULT_ADDRESS, cfg->levels - 1);
	lvl = (int)cfg->levels - 1;
	if (path && path->start_table) {
		/* A walk-cache hit: start below the cached entry with its hierarchical controls. */
		lvl = (int)path->start_level;
		table = path->start_table;
		apt_noel0 = path->start_acc & VMK_MMU_ACC_NOUSER;
		apt_ro = path->start_acc & VMK_MMU_ACC_RO;
		pxnt = path->start_acc & VMK_MMU_ACC_PXN;
		uxnt = path->start_acc & VMK_MMU_ACC_UXN;
	}
	for (; lvl >= 0; lvl--) {
		unsigned int s = 12 + 9 * (unsigned int)lvl;

		p = entry_ptr(table, (unsigned int)(va >> s) & 511);
		if (!p)
			return fail(w, VMK_MMU_FAULT_BUS, (unsigned int)lvl);
		if (table_dead(cfg, table))
			return fail_dead(w, table, (unsigned int)lvl);
		if (table_foreign(cfg, table, lvl, va, path, &owner))
			return fail_foreign(w, table, (unsigned int)lvl, owner);
		path_note(path, lvl, table, (apt_noel0 ? VMK_MMU_ACC_NOUSER : 0) | (apt_ro ? VMK_MMU_ACC_RO : 0) |
			  (pxnt ? VMK_MMU_ACC_PXN : 0) | (uxnt ? VMK_MMU_ACC_UXN : 0));
		e = __atomic_load_n(p, __ATOMIC_ACQUIRE);
		if (!(e & R_VALID))
			return fail(w, VMK_MMU_FAULT_TRANSLATION, (unsigned int)lvl);
		/* D8.2: an output/next-level address beyond the PA size is an address size fault. */
		if (above_maxphys(cfg, e, R_ADDR))
			return fail(w, VMK_MMU_FAULT_ADDRESS, (unsigned int)lvl);
		if (lvl == 0) {
			if (!(e & R_TABLE))	/* 0b01 at level 3: reserved, faults */
				return fail(w, VMK_MMU_FAULT_TRANSLATION, 0);
			w->cont = (e & R_CONT) != 0;
			w->cont_bad = run_check(table, (unsigned int)(va >> 12) & 511, w->cont, R_CONT,
						R_VALID, a64_same, e);
			break;
		}
		if (!(e & R_TABLE)) {
			if (lvl >= 3)	/* no level 0 blocks with 4 KiB granule (no LPA2) */
				return fail(w, VMK_MMU_FAULT_TRANSLATION, (unsigned int)lvl);
			break;		/* level 1/2 block */
		}
		apt_ro = apt_ro || (e & R_APT_RO);
		apt_noel0 = apt_noel0 || (e & R_APT_NOEL0);
		pxnt = pxnt || (e & R_PXNT);
		uxnt = uxnt || (e & R_UXNT);
		table = e & R_ADDR;
	}
	w->level = (unsigned int)lvl;
	{
		unsigned int s = 12 + 9 * (unsigned int)lvl;

		w->pa = (e & R_ADDR & ~((1ull << s) - 1)) | (va & ((1ull << s) - 1));
	}
	ro = (e & R_APRO) || apt_ro;
	el0 = (e & R_APU) && !apt_noel0;
	ap_el0w = (e & R_APU) && !(e & R_APRO);	/* AP = 01: EL0 can write -> implicit PXN */
	w->user = el0;
	w->writable = !ro || ((e & R_DBM) && cfg->hw_dbm && !apt_ro);
	w->uexec = el0 && !(e & R_UXN) && !uxnt;
	w->kexec = !(e & R_PXN) && !pxnt && !ap_el0w;
	w->global = !(e & R_NG);
	w->memattr = (unsigned int)((e >> 2) & 7);
	if (acc || update) {
		if (!(e & R_AF) && !cfg->hw_af)
			return fail(w, VMK_MMU_FAULT_ACCESS_FLAG, w->level);
	}
	if (acc) {
		bool user = acc & VMK_MMU_USER;

		if (user && !el0)
			return fail(w, VMK_MMU_FAULT_PERMISSION, w->level);
		if ((acc & VMK_MMU_WRITE) && !w->writable)
			return fail(w, VMK_MMU_FAULT_PERMISSION, w->level);
		if ((acc & VMK_MMU_EXEC) && !(user ? w->uexec : w->kexec))
			return fail(w, VMK_MMU_FAULT_PERMISSION, w->level);
	}
	if (update) {
		uint64_t want = e | R_AF;

		if ((acc & VMK_MMU_WRITE) && (e & R_APRO))
			want &= ~R_APRO;	/* DBM: the write makes it dirty */
		if (want != e) {
			uint64_t old = e;

			if (!__atomic_compare_exchange_n(p, &old, want, false, __ATOMIC_ACQ_REL,
							 __ATOMIC_RELAXED)) {
				*retry = true;
				return 0;
			}
			e = want;
		}
	}
	w->pte = e;
	w->fault = 0;
	return 0;
}

static int rv_walk_once(const struct vmk_mmu_cfg *cfg, vmk_paddr_t satp_root, vmk_vaddr_t va,
			uint32_t acc, bool update, struct vmk_mmu_walk *w, bool *retry,
			struct vmk_mmu_walk_path *path)
{
	unsigned int vabits = 12 + 9 * cfg->levels, shift = 64 - vabits;
	uint64_t e = 0, table = satp_root & ~0xfffull, rsvd = V_RSVD;
	uint64_t *p = NULL;
	bool global = false;
	int lvl = (int)cfg->levels - 1;
	uint64_t owner = 0;

	/* Svpbmt makes bits 62:61 meaningful; without it they are reserved like the rest. */
	if (!cfg->no_svpbmt)
		rsvd &= ~V_PBMT;
	if (cfg->svnapot)
		rsvd &= ~V_N;
	/* Bits 63:vabits must all equal bit vabits - 1. */
	if ((vmk_vaddr_t)((int64_t)(va << shift) >> shift) != va)
		return fail(w, VMK_MMU_FAULT_ADDRESS, cfg->levels - 1);
	if (path && path->start_table) {
		/* A walk-cache hit: start below the cached entry (G is the only inherited control). */
		lvl = (int)path->start_level;
		table = path->start_table;
		global = (path->start_acc & VMK_MMU_ACC_GLOBAL) != 0;
	}
	for (; lvl >= 0; lvl--) {
		unsigned int s = 12 + 9 * (unsigned int)lvl;

		p = entry_ptr(table, (unsigned int)(va >> s) & 511);
		if (!p)
			return fail(w, VMK_MMU_FAULT_BUS, (unsigned int)lvl);
		if (table_dead(cfg, table))
			return fail_dead(w, table, (unsigned int)lvl);
		if (table_foreign(cfg, table, lvl, va, path, &owner))
			return fail_foreign(w, table, (unsigned int)lvl, owner);
		path_note(path, lvl, table, global ? VMK_MMU_ACC_GLOBAL : 0);
		e = __atomic_load_n(p, __ATOMIC_ACQUIRE);
		if (!(e & V_V))
			return fail(w, VMK_MMU_FAULT_TRANSLATION, (unsigned int)lvl);
		if ((e & V_W) && !(e & V_R))
			return fail(w, VMK_MMU_FAULT_RESERVED, (unsigned int)lvl);
		if ((e & rsvd) || (e & V_PBMT) == V_PBMT)
			return fail(w, VMK_MMU_FAULT_RESERVED, (unsigned int)lvl);
		/* The PPN above the physical address width reaches no memory: an access fault. */
		if (above_maxphys(cfg, (e & V_PPN) << 2, 0x00fffffffffff000ull))
			return fail(w, VMK_MMU_FAULT_BUS, (unsigned int)lvl);
		global = global || (e & V_G);
		if ((e & V_N) && (!(e & (V_R | V_X)) || lvl > 0 || ((e >> 10) & 0xf) != 0x8))
			return fail(w, VMK_MMU_FAULT_RESERVED, (unsigned int)lvl);	/* reserved N encoding */
		if (lvl == 0 && (e & (V_R | V_X))) {
			w->cont = (e & V_N) != 0;
			if (cfg->svnapot)
				w->cont_bad = run_check(table, (unsigned int)(va >> 12) & 511, w->cont, V_N, V_V,
							rv_same, e);
		}
		if (e & (V_R | V_X))
			break;		/* a leaf at this level */
		/* A pointer: A, D, U and PBMT are reserved in it. */
		if (e & (V_A | V_D | V_U | V_PBMT))
			return fail(w, VMK_MMU_FAULT_RESERVED, (unsigned int)lvl);
		if (lvl == 0)	/* a pointer at the last level */
			return fail(w, VMK_MMU_FAULT_TRANSLATION, 0);
		table = (e & V_PPN) << 2;
	}
	w->level = (unsigned int)lvl;
	{
		unsigned int s = 12 + 9 * (unsigned int)lvl;
		uint64_t pa = (e & V_PPN) << 2;

		/* A superpage whose low PPN bits are not zero is misaligned: page fault. */
		if (pa & ((1ull << s) - 1))
			return fail(w, VMK_MMU_FAULT_RESERVED, (unsigned int)lvl);
		/* Svnapot: ppn[0][3:0] comes from the VA. */
		if (w->cont)
			pa = (pa & ~0xffffull) | (va & 0xf000);
		w->pa = pa | (va & ((1ull << s) - 1));
	}
	w->user = (e & V_U) != 0;
	w->writable = (e & V_W) != 0;
	w->uexec = w->user && (e & V_X);
	w->kexec = !w->user && (e & V_X);
	w->global = global;
	w->memattr = (unsigned int)((e & V_PBMT) >> 61);
	if (acc) {
		bool user = acc & VMK_MMU_USER;

		if (user != w->user && (user || (acc & VMK_MMU_EXEC)))
			return fail(w, VMK_MMU_FAULT_PERMISSION, w->level);
		if ((acc & VMK_MMU_WRITE) && !w->writable)
			return fail(w, VMK_MMU_FAULT_PERMISSION, w->level);
		if ((acc & VMK_MMU_EXEC) && !(e & V_X))
			return fail(w, VMK_MMU_FAULT_PERMISSION, w->level);
		if (!(acc & VMK_MMU_EXEC) && !(e & V_R))
			return fail(w, VMK_MMU_FAULT_PERMISSION, w->level);
	}
	if (acc || update) {
		uint64_t want = e | V_A | ((acc & VMK_MMU_WRITE) ? V_D : 0);

		/* Svade: software sets A and D; the access page-faults until it has. */
		if (!(e & V_A) && !cfg->hw_af)
			return fail(w, VMK_MMU_FAULT_ACCESS_FLAG, w->level);
		if ((acc & VMK_MMU_WRITE) && !(e & V_D) && !cfg->hw_dbm)
			return fail(w, VMK_MMU_FAULT_ACCESS_FLAG, w->level);
		if (update && want != e) {
			uint64_t old = e;

			/* Svadu: the update is atomic with the check that the PTE did not change. */
			if (!__atomic_compare_exchange_n(p, &old, want, false, __ATOMIC_ACQ_REL,
							 __ATOMIC_RELAXED)) {
				*retry = true;
				return 0;
			}
			e = want;
		}
	}
	w->pte = e;
	w->fault = 0;
	return 0;
}

int vmk_mmu_walk_path(const struct vmk_mmu_cfg *cfg, vmk_paddr_t user_root, vmk_paddr_t kernel_root,
		      vmk_vaddr_t va, uint32_t access, bool update, struct vmk_mmu_walk *w,
		      struct vmk_mmu_walk_path *path)
{
	for (int i = 0; i < MAX_RETRY; i++) {
		bool retry = false;
		int r;

		memset(w, 0, sizeof(*w));
		if (path) {
			memset(path->table, 0, sizeof(path->table));
			memset(path->acc, 0, sizeof(path->acc));
		}
		if (cfg->arch == VMK_PMAP_ARCH_X86_64)
			r = x86_walk_once(cfg, user_root, va, access, update, w, &retry, path);
		else if (cfg->arch == VMK_PMAP_ARCH_RISCV64)
			r = rv_walk_once(cfg, user_root, va, access, update, w, &retry, path);
		else
			r = a64_walk_once(cfg, user_root, kernel_root, va, access, update, w, &retry, path);
		if (!retry)
			return r;
	}
	return fail(w, VMK_MMU_FAULT_TRANSLATION, 0);
}

int vmk_mmu_walk(const struct vmk_mmu_cfg *cfg, vmk_paddr_t user_root, vmk_paddr_t kernel_root,
		 vmk_vaddr_t va, uint32_t access, bool update, struct vmk_mmu_walk *w)
{
	return vmk_mmu_walk_path(cfg, user_root, kernel_root, va, access, update, w, NULL);
}
