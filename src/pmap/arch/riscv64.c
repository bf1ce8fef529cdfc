/*
 * riscv64 Sv39 / Sv48 / Sv57 page-table entries (RISC-V Privileged
 * Specification, "Supervisor-Level ISA": 4.1.11 satp, 4.3.1 Sv32 PTE
 * fields (V R W X U G A D RSW), 4.4 Sv39, 4.5 Sv48, 4.6 Sv57; chapter
 * "Svpbmt" for bits 62:61).
 *
 * Every level has the same format, so the level count (3, 4 or 5) is only
 * the configuration's: a PTE is a leaf at any level when R or X is set
 * (4 KiB, 2 MiB, 1 GiB, 512 GiB, 256 TiB) and a pointer to the next table
 * when R = W = X = 0. W without R is reserved. The PPN sits at bits 53:10,
 * so the entry holds pa >> 2 (pte_pa_shift). Bits 63:54 are reserved
 * (62:61 PBMT with Svpbmt, 63 N with Svnapot); a set reserved bit makes
 * the walk page-fault, so they carry no software state.
 *
 * Only the two RSW bits (9:8) are free for software: WIRED and MANAGED.
 * NOPROMOTE and KEEPSPARE have no room; the pmap masks them off
 * (no_attrs) and keeps them by address instead (../marks.c: a bitmap
 * page per page-table page for no-promote entries, a flag on the spare
 * PTP for keep-spare blocks), with the same behaviour as the bits.
 *
 * Svnapot (chapter "Svnapot"): a level-0 leaf with N = 1 and
 * ppn[0][3:0] = 0b1000 maps the naturally aligned 64 KiB range holding
 * the page; all 16 entries of the range are written identical, and the
 * walker takes the page from the low VA bits. Only the pmap's
 * configuration turns it on (the N bit is reserved without it).
 *
 * Accessed and dirty are plain bits: with Svadu the walker sets them,
 * with Svade (the default) an access with A = 0 or a store with D = 0
 * page-faults and software sets them.
 */
#include "../pmap_arch.h"

#define RV_V		(1ull << 0)
#define RV_R		(1ull << 1)
#define RV_W		(1ull << 2)
#define RV_X		(1ull << 3)
#define RV_U		(1ull << 4)
#define RV_G		(1ull << 5)
#define RV_A		(1ull << 6)
#define RV_D		(1ull << 7)
#define RV_SW_WIRED	(1ull << 8)	/* RSW[0] */
#define RV_SW_MANAGED	(1ull << 9)	/* RSW[1] */
#define RV_PPN_SHIFT	10
#define RV_PPN_MASK	0x003ffffffffffc00ull	/* bits 53:10 */
#define RV_PBMT_SHIFT	61
#define RV_PBMT_MASK	(3ull << 61)
#define RV_N		(1ull << 63)	/* Svnapot */
#define RV_NAPOT_PPN	(0xfull << RV_PPN_SHIFT)	/* ppn[0][3:0] */
#define RV_NAPOT_64K	(0x8ull << RV_PPN_SHIFT)	/* 0b1000: a 64 KiB range */

/* Svpbmt: 0 PMA (the platform's attributes: normal memory is WB), 1 NC, 2 IO. */
enum { PBMT_PMA = 0, PBMT_NC = 1, PBMT_IO = 2 };

static const unsigned int rv_mt_pbmt[VMK_MEMTYPE_COUNT] = {
	[VMK_MEMTYPE_WB] = PBMT_PMA,
	[VMK_MEMTYPE_UC] = PBMT_IO,
	[VMK_MEMTYPE_WC] = PBMT_NC,
	[VMK_MEMTYPE_DEVICE] = PBMT_IO,	/* one strongly-ordered I/O type */
};

/* The PPN field of pa (page aligned). */
static vmk_pte_t rv_ppn(vmk_paddr_t pa)
{
	return (pa >> 2) & RV_PPN_MASK;
}

/* PPN bits of a leaf at lvl: the low 9 * lvl bits must be zero (misaligned superpage). */
static vmk_pte_t rv_leaf_ppn_mask(unsigned int lvl)
{
	return RV_PPN_MASK & ~((VMK_PT_SIZE(lvl) - 1) >> 2);
}

static vmk_pte_t rv_make_table(vmk_paddr_t pa, unsigned int lvl, bool user)
{
	(void)user;	/* non-leaf U, A, D are reserved: zero */
	VMK_ASSERT(lvl >= 1, "riscv64: no table pointer at level 0");
	return rv_ppn(pa) | RV_V;
}

static vmk_pte_t rv_make_leaf(vmk_paddr_t pa, unsigned int lvl, uint32_t a)
{
	unsigned int mt = VMK_PTE_A_MT_OF(a);
	bool user = (a & VMK_PTE_A_USER) != 0;
	vmk_pte_t pte;

	VMK_ASSERT(mt < VMK_MEMTYPE_COUNT, "riscv64: memory type %u out of range", mt);
	VMK_ASSERT(lvl < VMK_PT_MAX_LEVELS, "riscv64: no leaf at level %u", lvl);
	pte = (rv_ppn(pa) & rv_leaf_ppn_mask(lvl)) | RV_V | RV_R |
	      ((vmk_pte_t)rv_mt_pbmt[mt] << RV_PBMT_SHIFT);
	if (a & VMK_PTE_A_WRITE)
		pte |= RV_W;
	if (user)
		pte |= RV_U;
	/* One X bit: U decides which mode may run it (S never runs U pages). */
	if (!(a & (user ? VMK_PTE_A_UXN : VMK_PTE_A_PXN)))
		pte |= RV_X;
	if (a & VMK_PTE_A_GLOBAL)
		pte |= RV_G;
	if (a & VMK_PTE_A_ACCESSED)
		pte |= RV_A;
	if ((a & VMK_PTE_A_DIRTY) && (a & VMK_PTE_A_WRITE))
		pte |= RV_D;
	if (a & VMK_PTE_A_WIRED)
		pte |= RV_SW_WIRED;
	if (a & VMK_PTE_A_MANAGED)
		pte |= RV_SW_MANAGED;
	return pte;
}

static bool rv_is_valid(vmk_pte_t pte, unsigned int lvl)
{
	(void)lvl;
	/* W without R is reserved: the walk faults on it as on V = 0. */
	return (pte & RV_V) && !((pte & RV_W) && !(pte & RV_R));
}

static bool rv_is_table(vmk_pte_t pte, unsigned int lvl)
{
	return lvl >= 1 && (pte & RV_V) && !(pte & (RV_R | RV_W | RV_X));
}

static bool rv_is_block(vmk_pte_t pte, unsigned int lvl)
{
	return lvl >= 1 && rv_is_valid(pte, lvl) && (pte & (RV_R | RV_X));
}

static vmk_paddr_t rv_pa_of(vmk_pte_t pte, unsigned int lvl)
{
	if (rv_is_block(pte, lvl))
		return (pte & rv_leaf_ppn_mask(lvl)) << 2;
	return (pte & RV_PPN_MASK) << 2;
}

static uint32_t rv_attrs_of(vmk_pte_t pte, unsigned int lvl)
{
	bool user = (pte & RV_U) != 0;
	uint32_t a = 0;

	(void)lvl;
	switch ((pte & RV_PBMT_MASK) >> RV_PBMT_SHIFT) {
	case PBMT_PMA: a |= VMK_PTE_A_MT(VMK_MEMTYPE_WB); break;
	case PBMT_NC: a |= VMK_PTE_A_MT(VMK_MEMTYPE_WC); break;
	default: a |= VMK_PTE_A_MT(VMK_MEMTYPE_UC); break;
	}
	if (pte & RV_W)
		a |= VMK_PTE_A_WRITE;
	if (user)
		a |= VMK_PTE_A_USER | VMK_PTE_A_PXN;	/* S-mode never executes U pages */
	else
		a |= VMK_PTE_A_UXN;			/* U = 0: not reachable from U-mode */
	if (!(pte & RV_X))
		a |= user ? VMK_PTE_A_UXN : VMK_PTE_A_PXN;
	if (pte & RV_G)
		a |= VMK_PTE_A_GLOBAL;
	if (pte & RV_A)
		a |= VMK_PTE_A_ACCESSED;
	if ((pte & RV_D) && (pte & RV_W))
		a |= VMK_PTE_A_DIRTY;
	if (pte & RV_SW_WIRED)
		a |= VMK_PTE_A_WIRED;
	if (pte & RV_SW_MANAGED)
		a |= VMK_PTE_A_MANAGED;
	return a;
}

static vmk_pte_t rv_fold(vmk_pte_t pte)
{
	return (pte & ~RV_NAPOT_PPN) | RV_NAPOT_64K | RV_N;
}

static vmk_pte_t rv_unfold(vmk_pte_t pte, unsigned int i)
{
	return (pte & ~(RV_NAPOT_PPN | RV_N)) | ((vmk_pte_t)(i & 0xf) << RV_PPN_SHIFT);
}

static bool rv_is_cont(vmk_pte_t pte, unsigned int lvl)
{
	return lvl == 0 && (pte & RV_N) && (pte & RV_V) && (pte & (RV_R | RV_X));
}

const struct vmk_pmap_arch vmk_pmap_arch_riscv64 = {
	.name = "riscv64",
	.id = VMK_PMAP_ARCH_RISCV64,
	.min_levels = 3,
	.max_levels = 5,
	.default_levels = 4,
	/* The MI pmap makes 2 MiB and 1 GiB blocks; the format allows more. */
	.block_levels = (1u << 1) | (1u << 2),
	.needs_bbm = false,
	.split_roots = false,
	.page_pa_mask = 0x00fffffffffff000ull,	/* 56-bit physical addresses */
	.pte_pa_shift = 2,
	.no_attrs = VMK_PTE_A_NOPROMOTE | VMK_PTE_A_KEEPSPARE,
	.pte_sw_wired = RV_SW_WIRED,
	.pte_sw_managed = RV_SW_MANAGED,
	.memattr_reg = 0,	/* no attribute register: PBMT values are fixed */
	.make_table = rv_make_table,
	.make_leaf = rv_make_leaf,
	.is_valid = rv_is_valid,
	.is_table = rv_is_table,
	.is_block = rv_is_block,
	.pa_of = rv_pa_of,
	.attrs_of = rv_attrs_of,
	.fold = rv_fold,
	.unfold = rv_unfold,
	.is_cont = rv_is_cont,
	.pte_keep = RV_N,
	.pte_ad_or = RV_A | RV_D,
	.pte_ad_clean = 0,
};

/* satp.MODE values (4.1.11, table "encoding of satp MODE field"). */
#define SATP_MODE_SV39	8ull
#define SATP_MODE_SV48	9ull
#define SATP_MODE_SV57	10ull

uint64_t vmk_pmap_riscv_satp(unsigned int levels, uint32_t asid, vmk_paddr_t root)
{
	uint64_t mode;

	switch (levels) {
	case 3: mode = SATP_MODE_SV39; break;
	case 4: mode = SATP_MODE_SV48; break;
	case 5: mode = SATP_MODE_SV57; break;
	default: return 0;
	}
	return (mode << 60) | ((uint64_t)(asid & 0xffffu) << 44) | ((root >> 12) & 0xfffffffffffull);
}
