/*
 * arm64 VMSAv8-64 stage 1 descriptors, 4 KiB granule (Arm ARM DDI 0487,
 * D8.3 "Translation table descriptor formats", D8.4 "Memory attribute
 * fields", D8.4.1 stage 1 permissions (AP, UXN, PXN), D8.4.5/D8.4.6
 * hardware management of the Access flag and dirty state (DBM), D8.2.8
 * MAIR; ID registers in D23.2 "ID_AA64MMFR0_EL1", "ID_AA64MMFR1_EL1").
 *
 * Level 3 (our level 0) entries are pages when bits[1:0] = 0b11; levels
 * 0-2 hold tables (0b11) or, at levels 1 and 2, blocks (0b01) of 1 GiB and
 * 2 MiB. Dirty state follows the DBM convention the hardware updates: a
 * writable entry has DBM set; AP[2]=1 means clean (read-only until the
 * first write clears it), AP[2]=0 dirty.
 */
#include "../pmap_arch.h"

#define A64_VALID	(1ull << 0)
#define A64_TABLE	(1ull << 1)	/* levels 0-2: table; level 3: page */
#define A64_ATTRIDX(i)	((uint64_t)(i) << 2)
#define A64_ATTRIDX_MASK (7ull << 2)
#define A64_NS		(1ull << 5)
#define A64_AP_USER	(1ull << 6)	/* AP[1]: EL0 access */
#define A64_AP_RO	(1ull << 7)	/* AP[2]: read-only */
#define A64_SH_IS	(3ull << 8)	/* inner shareable */
#define A64_AF		(1ull << 10)
#define A64_NG		(1ull << 11)
#define A64_DBM		(1ull << 51)
#define A64_CONT	(1ull << 52)
#define A64_PXN		(1ull << 53)
#define A64_UXN		(1ull << 54)
#define A64_SW_WIRED	(1ull << 55)	/* bits 58:55 are for software */
#define A64_SW_MANAGED	(1ull << 56)
#define A64_SW_NOPROMO	(1ull << 57)
#define A64_SW_KEEPSPARE	(1ull << 58)

#define A64_ADDR_MASK	0x0000fffffffff000ull	/* OA bits 47:12 */

/* MAIR_EL1 attribute encodings (D8.2.8 / D19 MAIR_EL1). */
enum {
	MAIR_WB = 0xff,			/* Normal, inner/outer write-back RW-allocate */
	MAIR_DEVICE_nGnRnE = 0x00,
	MAIR_NORMAL_NC = 0x44,		/* Normal, inner/outer non-cacheable */
	MAIR_DEVICE_nGnRE = 0x04,
};
#define MAIR_ATTR(i, v)	((uint64_t)(v) << (8 * (i)))
#define A64_MAIR	(MAIR_ATTR(0, MAIR_WB) | MAIR_ATTR(1, MAIR_DEVICE_nGnRnE) | \
			 MAIR_ATTR(2, MAIR_NORMAL_NC) | MAIR_ATTR(3, MAIR_DEVICE_nGnRE))

static const unsigned int a64_mt_index[VMK_MEMTYPE_COUNT] = {
	[VMK_MEMTYPE_WB] = 0,
	[VMK_MEMTYPE_UC] = 1,
	[VMK_MEMTYPE_WC] = 2,
	[VMK_MEMTYPE_DEVICE] = 3,
};

static uint64_t a64_leaf_addr_mask(unsigned int lvl)
{
	return A64_ADDR_MASK & ~(VMK_PT_SIZE(lvl) - 1);
}

static vmk_pte_t a64_make_table(vmk_paddr_t pa, unsigned int lvl, bool user)
{
	(void)user;	/* no hierarchical APTable/XNTable restrictions */
	VMK_ASSERT(lvl >= 1, "arm64: no table descriptor at level 3");
	return (pa & A64_ADDR_MASK) | A64_VALID | A64_TABLE;
}

static vmk_pte_t a64_make_leaf(vmk_paddr_t pa, unsigned int lvl, uint32_t a)
{
	unsigned int mt = VMK_PTE_A_MT_OF(a);
	vmk_pte_t pte;

	VMK_ASSERT(mt < VMK_MEMTYPE_COUNT, "arm64: memory type %u out of range", mt);
	VMK_ASSERT(lvl <= 2, "arm64: no block at level %u (4 KiB granule)", 3 - (int)lvl);
	pte = (pa & a64_leaf_addr_mask(lvl)) | A64_VALID | A64_SH_IS |
	      A64_ATTRIDX(a64_mt_index[mt]);
	if (lvl == 0)
		pte |= A64_TABLE;	/* bits[1:0] = 0b11: page */
	if (a & VMK_PTE_A_WRITE) {
		pte |= A64_DBM;
		if (!(a & VMK_PTE_A_DIRTY))
			pte |= A64_AP_RO;	/* writable-clean */
	} else {
		pte |= A64_AP_RO;
	}
	if (a & VMK_PTE_A_USER)
		pte |= A64_AP_USER;
	if (a & VMK_PTE_A_UXN)
		pte |= A64_UXN;
	if (a & VMK_PTE_A_PXN)
		pte |= A64_PXN;
	if (!(a & VMK_PTE_A_GLOBAL))
		pte |= A64_NG;
	if (a & VMK_PTE_A_ACCESSED)
		pte |= A64_AF;
	if (a & VMK_PTE_A_WIRED)
		pte |= A64_SW_WIRED;
	if (a & VMK_PTE_A_MANAGED)
		pte |= A64_SW_MANAGED;
	if (a & VMK_PTE_A_NOPROMOTE)
		pte |= A64_SW_NOPROMO;
	if (a & VMK_PTE_A_KEEPSPARE)
		pte |= A64_SW_KEEPSPARE;
	return pte;
}

static bool a64_is_valid(vmk_pte_t pte, unsigned int lvl)
{
	if (!(pte & A64_VALID))
		return false;
	/* 0b01 at level 3 is reserved (invalid); at level 0 (our 3) it is no block either. */
	if (!(pte & A64_TABLE) && (lvl == 0 || lvl == 3))
		return false;
	return true;
}

static bool a64_is_table(vmk_pte_t pte, unsigned int lvl)
{
	return lvl >= 1 && (pte & (A64_VALID | A64_TABLE)) == (A64_VALID | A64_TABLE);
}

static bool a64_is_block(vmk_pte_t pte, unsigned int lvl)
{
	return (lvl == 1 || lvl == 2) && (pte & (A64_VALID | A64_TABLE)) == A64_VALID;
}

static vmk_paddr_t a64_pa_of(vmk_pte_t pte, unsigned int lvl)
{
	if (a64_is_block(pte, lvl))
		return pte & a64_leaf_addr_mask(lvl);
	return pte & A64_ADDR_MASK;
}

static uint32_t a64_attrs_of(vmk_pte_t pte, unsigned int lvl)
{
	unsigned int idx = (unsigned int)((pte & A64_ATTRIDX_MASK) >> 2);
	enum vmk_memtype mt = VMK_MEMTYPE_DEVICE;
	uint32_t a = 0;

	(void)lvl;
	switch ((A64_MAIR >> (8 * idx)) & 0xff) {
	case MAIR_WB: mt = VMK_MEMTYPE_WB; break;
	case MAIR_DEVICE_nGnRnE: mt = VMK_MEMTYPE_UC; break;
	case MAIR_NORMAL_NC: mt = VMK_MEMTYPE_WC; break;
	default: mt = VMK_MEMTYPE_DEVICE; break;
	}
	a |= VMK_PTE_A_MT(mt);
	if ((pte & A64_DBM) || !(pte & A64_AP_RO))
		a |= VMK_PTE_A_WRITE;
	if (!(pte & A64_AP_RO))
		a |= VMK_PTE_A_DIRTY;
	if (pte & A64_AP_USER)
		a |= VMK_PTE_A_USER;
	if (pte & A64_UXN)
		a |= VMK_PTE_A_UXN;
	if (pte & A64_PXN)
		a |= VMK_PTE_A_PXN;
	if (!(pte & A64_NG))
		a |= VMK_PTE_A_GLOBAL;
	if (pte & A64_AF)
		a |= VMK_PTE_A_ACCESSED;
	if (pte & A64_SW_WIRED)
		a |= VMK_PTE_A_WIRED;
	if (pte & A64_SW_MANAGED)
		a |= VMK_PTE_A_MANAGED;
	if (pte & A64_SW_NOPROMO)
		a |= VMK_PTE_A_NOPROMOTE;
	if (pte & A64_SW_KEEPSPARE)
		a |= VMK_PTE_A_KEEPSPARE;
	return a;
}

/*
 * Contiguous hint (D8.6.1 "The Contiguous bit"): 16 adjacent level 3
 * entries, 64 KiB-aligned in VA and OA, identical but for the output
 * address and AF / dirty state, may be cached as one TLB entry. Each
 * entry keeps its own output address.
 */
static vmk_pte_t a64_fold(vmk_pte_t pte)
{
	return pte | A64_CONT;
}

static vmk_pte_t a64_unfold(vmk_pte_t pte, unsigned int i)
{
	(void)i;
	return pte & ~A64_CONT;
}

static bool a64_is_cont(vmk_pte_t pte, unsigned int lvl)
{
	return lvl == 0 && (pte & (A64_VALID | A64_TABLE | A64_CONT)) == (A64_VALID | A64_TABLE | A64_CONT);
}

const struct vmk_pmap_arch vmk_pmap_arch_arm64 = {
	.name = "arm64",
	.id = VMK_PMAP_ARCH_ARM64,
	.min_levels = 3,
	.max_levels = 4,
	.default_levels = 4,
	.block_levels = (1u << 1) | (1u << 2),
	.needs_bbm = true,
	.split_roots = true,
	.page_pa_mask = A64_ADDR_MASK,
	.pte_sw_wired = A64_SW_WIRED,
	.pte_sw_managed = A64_SW_MANAGED,
	.memattr_reg = A64_MAIR,
	.make_table = a64_make_table,
	.make_leaf = a64_make_leaf,
	.is_valid = a64_is_valid,
	.is_table = a64_is_table,
	.is_block = a64_is_block,
	.pa_of = a64_pa_of,
	.attrs_of = a64_attrs_of,
	.fold = a64_fold,
	.unfold = a64_unfold,
	.is_cont = a64_is_cont,
	.pte_keep = A64_CONT,
	.pte_ad_or = A64_AF,
	.pte_ad_clean = A64_AP_RO,
};

/* ID_AA64MMFR0_EL1 fields. */
#define MMFR0_PARANGE(r)	((unsigned int)((r) >> 0) & 0xf)
#define MMFR0_ASIDBITS(r)	((unsigned int)((r) >> 4) & 0xf)
#define MMFR0_TGRAN4(r)		((unsigned int)((r) >> 28) & 0xf)
/* ID_AA64MMFR1_EL1 fields. */
#define MMFR1_HAFDBS(r)		((unsigned int)((r) >> 0) & 0xf)

int vmk_mmu_features_arm64(uint64_t mmfr0, uint64_t mmfr1, struct vmk_mmu_features *f)
{
	static const unsigned char parange_bits[] = { 32, 36, 40, 42, 44, 48, 52, 56 };
	unsigned int pr = MMFR0_PARANGE(mmfr0);
	unsigned int tg = MMFR0_TGRAN4(mmfr0);
	unsigned int hafdbs = MMFR1_HAFDBS(mmfr1);

	vmk_memset(f, 0, sizeof(*f));
	f->nx = true;
	f->page_1g = true;	/* level 1 blocks always exist with the 4 KiB granule */
	/* TGran4 is a signed field: 0xF (-1) alone means "not implemented". */
	f->gran_4k = tg != 0xf;
	f->lpa2 = tg == 1;
	f->asid_bits = MMFR0_ASIDBITS(mmfr0) == 2 ? 16 : 8;
	f->hw_af = hafdbs >= 1;
	f->hw_dbm = hafdbs >= 2;
	if (pr >= VMK_ARRAY_SIZE(parange_bits))
		return -VMK_EINVAL;
	f->pa_bits = parange_bits[pr];
	/* 52-bit output with 4 KiB pages needs LPA2; without it 48 is the most. */
	if (f->pa_bits > 48 && !f->lpa2)
		f->pa_bits = 48;
	f->va_bits = f->lpa2 ? 52 : 48;
	if (!f->gran_4k)
		return -VMK_ENOTSUP;
	return 0;
}
