/*
 * x86-64 page-table descriptors (Intel SDM Vol. 3A, chapter 4 "Paging":
 * 4.5 4-level and 5-level paging, tables 4-14..4-20 for the entry
 * formats, 4.6 access rights, 4.8 accessed and dirty flags, 4.9.2 PAT;
 * CPUID in Vol. 2A "CPUID").
 *
 * Leaves may sit at level 0 (PTE, 4 KiB), level 1 (PDE with PS, 2 MiB)
 * and level 2 (PDPTE with PS, 1 GiB, if CPUID.80000001H:EDX.Page1GB).
 * The PAT bit is bit 7 in a PTE but bit 12 in a large-page PDE/PDPTE,
 * where bit 7 is PS.
 */
#include "../pmap_arch.h"

#define X86_P		(1ull << 0)
#define X86_RW		(1ull << 1)
#define X86_US		(1ull << 2)
#define X86_PWT		(1ull << 3)
#define X86_PCD		(1ull << 4)
#define X86_A		(1ull << 5)
#define X86_D		(1ull << 6)
#define X86_PS		(1ull << 7)	/* levels 1-2: page size */
#define X86_PAT_4K	(1ull << 7)	/* level 0: PAT */
#define X86_G		(1ull << 8)
#define X86_SW_WIRED	(1ull << 9)	/* ignored bits 9-11: software */
#define X86_SW_MANAGED	(1ull << 10)
#define X86_SW_NOPROMO	(1ull << 11)
#define X86_SW_KEEPSPARE	(1ull << 52)	/* ignored bits 58:52: software */
#define X86_PAT_LARGE	(1ull << 12)
#define X86_NX		(1ull << 63)	/* needs IA32_EFER.NXE */

#define X86_ADDR_MASK	0x000ffffffffff000ull	/* bits 51:12 */

/*
 * PAT layout: entries 0-3 keep their power-on values (WB, WT, UC-, UC) so
 * tables built before the MSR is written mean the same thing; WC sits at
 * entry 6, so a WC mapping exercises the PAT bit itself.
 */
enum { PAT_UC = 0x00, PAT_WC = 0x01, PAT_WT = 0x04, PAT_WP = 0x05, PAT_WB = 0x06, PAT_UCM = 0x07 };
#define PAT_ENTRY(i, t)	((uint64_t)(t) << (8 * (i)))
#define X86_PAT_MSR	(PAT_ENTRY(0, PAT_WB) | PAT_ENTRY(1, PAT_WT) | PAT_ENTRY(2, PAT_UCM) | \
			 PAT_ENTRY(3, PAT_UC) | PAT_ENTRY(4, PAT_WB) | PAT_ENTRY(5, PAT_WP) | \
			 PAT_ENTRY(6, PAT_WC) | PAT_ENTRY(7, PAT_UCM))

static const unsigned int x86_mt_index[VMK_MEMTYPE_COUNT] = {
	[VMK_MEMTYPE_WB] = 0,
	[VMK_MEMTYPE_UC] = 3,
	[VMK_MEMTYPE_WC] = 6,
	[VMK_MEMTYPE_DEVICE] = 3,	/* x86 has one strong-uncached type */
};

static uint64_t x86_pat_bit(unsigned int lvl)
{
	return lvl == 0 ? X86_PAT_4K : X86_PAT_LARGE;
}

static uint64_t x86_leaf_addr_mask(unsigned int lvl)
{
	return X86_ADDR_MASK & ~(VMK_PT_SIZE(lvl) - 1);
}

static vmk_pte_t x86_make_table(vmk_paddr_t pa, unsigned int lvl, bool user)
{
	VMK_ASSERT(lvl >= 1, "x86: no table descriptor at level 0");
	/* Non-leaf entries grant everything; the leaf decides. */
	return (pa & X86_ADDR_MASK) | X86_P | X86_RW | X86_A | (user ? X86_US : 0);
}

static vmk_pte_t x86_make_leaf(vmk_paddr_t pa, unsigned int lvl, uint32_t a)
{
	unsigned int mt = VMK_PTE_A_MT_OF(a);
	unsigned int idx;
	vmk_pte_t pte;

	VMK_ASSERT(mt < VMK_MEMTYPE_COUNT, "x86: memory type %u out of range", mt);
	VMK_ASSERT(lvl <= 2, "x86: no leaf at level %u", lvl);
	idx = x86_mt_index[mt];
	pte = (pa & x86_leaf_addr_mask(lvl)) | X86_P;
	if (lvl > 0)
		pte |= X86_PS;
	if (idx & 1)
		pte |= X86_PWT;
	if (idx & 2)
		pte |= X86_PCD;
	if (idx & 4)
		pte |= x86_pat_bit(lvl);
	if (a & VMK_PTE_A_WRITE)
		pte |= X86_RW;
	if (a & VMK_PTE_A_USER)
		pte |= X86_US;
	if (a & VMK_PTE_A_ACCESSED)
		pte |= X86_A;
	if ((a & VMK_PTE_A_DIRTY) && (a & VMK_PTE_A_WRITE))
		pte |= X86_D;
	if (a & VMK_PTE_A_GLOBAL)
		pte |= X86_G;
	/* One NX bit: it guards the mode that can reach the page at all. */
	if (a & ((a & VMK_PTE_A_USER) ? VMK_PTE_A_UXN : VMK_PTE_A_PXN))
		pte |= X86_NX;
	if (a & VMK_PTE_A_WIRED)
		pte |= X86_SW_WIRED;
	if (a & VMK_PTE_A_MANAGED)
		pte |= X86_SW_MANAGED;
	if (a & VMK_PTE_A_NOPROMOTE)
		pte |= X86_SW_NOPROMO;
	if (a & VMK_PTE_A_KEEPSPARE)
		pte |= X86_SW_KEEPSPARE;
	return pte;
}

static bool x86_is_valid(vmk_pte_t pte, unsigned int lvl)
{
	(void)lvl;
	return (pte & X86_P) != 0;
}

static bool x86_is_table(vmk_pte_t pte, unsigned int lvl)
{
	return lvl >= 1 && (pte & X86_P) && !(pte & X86_PS);
}

static bool x86_is_block(vmk_pte_t pte, unsigned int lvl)
{
	return (lvl == 1 || lvl == 2) && (pte & X86_P) && (pte & X86_PS);
}

static vmk_paddr_t x86_pa_of(vmk_pte_t pte, unsigned int lvl)
{
	if (x86_is_block(pte, lvl))
		return pte & x86_leaf_addr_mask(lvl);
	return pte & X86_ADDR_MASK;
}

static uint32_t x86_attrs_of(vmk_pte_t pte, unsigned int lvl)
{
	unsigned int idx = 0;
	uint32_t a = 0;
	enum vmk_memtype mt = VMK_MEMTYPE_UC;
	bool user = (pte & X86_US) != 0;

	if (pte & X86_PWT)
		idx |= 1;
	if (pte & X86_PCD)
		idx |= 2;
	if (pte & x86_pat_bit(lvl))
		idx |= 4;
	switch ((X86_PAT_MSR >> (8 * idx)) & 0xff) {
	case PAT_WB: mt = VMK_MEMTYPE_WB; break;
	case PAT_WC: mt = VMK_MEMTYPE_WC; break;
	default: mt = VMK_MEMTYPE_UC; break;	/* WT/WP/UC-/UC: never produced */
	}
	a |= VMK_PTE_A_MT(mt);
	if (pte & X86_RW)
		a |= VMK_PTE_A_WRITE;
	if (user)
		a |= VMK_PTE_A_USER | VMK_PTE_A_PXN;	/* SMEP: kernel never runs user pages */
	else
		a |= VMK_PTE_A_UXN;			/* U/S=0: user cannot reach it */
	if (pte & X86_NX)
		a |= user ? VMK_PTE_A_UXN : VMK_PTE_A_PXN;
	if (pte & X86_G)
		a |= VMK_PTE_A_GLOBAL;
	if (pte & X86_A)
		a |= VMK_PTE_A_ACCESSED;
	if ((pte & X86_D) && (pte & X86_RW))
		a |= VMK_PTE_A_DIRTY;
	if (pte & X86_SW_WIRED)
		a |= VMK_PTE_A_WIRED;
	if (pte & X86_SW_MANAGED)
		a |= VMK_PTE_A_MANAGED;
	if (pte & X86_SW_NOPROMO)
		a |= VMK_PTE_A_NOPROMOTE;
	if (pte & X86_SW_KEEPSPARE)
		a |= VMK_PTE_A_KEEPSPARE;
	return a;
}

const struct vmk_pmap_arch vmk_pmap_arch_x86_64 = {
	.name = "x86_64",
	.id = VMK_PMAP_ARCH_X86_64,
	.min_levels = 4,
	.max_levels = 5,
	.default_levels = 4,
	.block_levels = (1u << 1) | (1u << 2),
	.needs_bbm = false,
	.split_roots = false,
	.page_pa_mask = X86_ADDR_MASK,
	.pte_sw_wired = X86_SW_WIRED,
	.pte_sw_managed = X86_SW_MANAGED,
	.memattr_reg = X86_PAT_MSR,
	.make_table = x86_make_table,
	.make_leaf = x86_make_leaf,
	.is_valid = x86_is_valid,
	.is_table = x86_is_table,
	.is_block = x86_is_block,
	.pa_of = x86_pa_of,
	.attrs_of = x86_attrs_of,
};

/* CPUID bit positions (SDM Vol. 2A, CPUID: tables 3-10, 3-11 and leaf 7/8000_0001h/8000_0008h). */
#define CPUID1_EDX_PSE		(1u << 3)
#define CPUID1_EDX_PAE		(1u << 6)
#define CPUID1_EDX_PGE		(1u << 13)
#define CPUID1_ECX_PCID		(1u << 17)
#define CPUID7_EBX_INVPCID	(1u << 10)
#define CPUID7_ECX_LA57		(1u << 16)
#define CPUIDE1_EDX_NX		(1u << 20)
#define CPUIDE1_EDX_PAGE1GB	(1u << 26)

int vmk_mmu_features_x86(const struct vmk_x86_cpuid *c, struct vmk_mmu_features *f)
{
	vmk_memset(f, 0, sizeof(*f));
	f->gran_4k = true;
	f->hw_af = true;
	f->hw_dbm = true;
	if (!(c->l1_edx & CPUID1_EDX_PAE))
		return -VMK_ENOTSUP;
	f->pge = (c->l1_edx & CPUID1_EDX_PGE) != 0;
	f->pcid = (c->l1_ecx & CPUID1_ECX_PCID) != 0;
	f->asid_bits = f->pcid ? 12 : 0;
	f->invpcid = (c->l7_ebx & CPUID7_EBX_INVPCID) != 0;
	f->la57 = (c->l7_ecx & CPUID7_ECX_LA57) != 0;
	f->pa_bits = 36;	/* SDM: MAXPHYADDR is 36 without leaf 80000008h */
	f->va_bits = f->la57 ? 57 : 48;
	if (c->max_ext >= 0x80000001u) {
		f->nx = (c->e1_edx & CPUIDE1_EDX_NX) != 0;
		f->page_1g = (c->e1_edx & CPUIDE1_EDX_PAGE1GB) != 0;
	}
	if (c->max_ext >= 0x80000008u) {
		unsigned int pa = c->e8_eax & 0xff, va = (c->e8_eax >> 8) & 0xff;

		if (pa)
			f->pa_bits = pa > 52 ? 52 : pa;
		if (va)
			f->va_bits = va;
	}
	return 0;
}
