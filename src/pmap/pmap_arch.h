/*
 * pmap machine-dependent descriptor layer: the one interface between the
 * machine-independent page-table code (src/pmap/ files) and the hardware
 * descriptor formats (src/pmap/arch/<arch>.c). The MI code never touches
 * a descriptor bit; it asks these operations. Adding an architecture
 * means adding one arch file that fills a struct vmk_pmap_arch.
 *
 * Levels are numbered from the leaf up, independently of how many levels
 * a configuration has: level 0 holds 4 KiB page entries, level 1 maps
 * 2 MiB per entry, level 2 1 GiB, level 3 512 GiB, level 4 256 TiB. A
 * configuration with n levels has its root at level n - 1 and translates
 * 12 + 9 * n bits of virtual address. (Arm's numbering is 3 - level.)
 */
#ifndef VMKIT_PMAP_ARCH_H
#define VMKIT_PMAP_ARCH_H

#include <vmkit/pmap.h>

typedef uint64_t vmk_pte_t;

#define VMK_PT_ENTRIES		512u
#define VMK_PT_SHIFT(lvl)	(VMK_PAGE_SHIFT + 9u * (lvl))
#define VMK_PT_SIZE(lvl)	((uint64_t)1 << VMK_PT_SHIFT(lvl))
#define VMK_PT_INDEX(va, lvl)	((unsigned int)(((va) >> VMK_PT_SHIFT(lvl)) & (VMK_PT_ENTRIES - 1)))
#define VMK_PT_MAX_LEVELS	5u

/*
 * Machine-independent attribute set of a leaf entry. Canonical form (what
 * the MI code asks for, and what every arch returns exactly):
 *   user pages:   USER | PXN, plus UXN unless user-executable;
 *   kernel pages: UXN, plus PXN unless kernel-executable;
 *   DIRTY only together with WRITE.
 * x86 has one NX bit and U/S: NX = UXN for a user page, PXN for a kernel
 * page (the other is implied by U/S and SMEP). arm64 has both bits.
 */
enum {
	VMK_PTE_A_WRITE		= 1u << 0,	/* writable (arm64: DBM, or AP[2]=0) */
	VMK_PTE_A_USER		= 1u << 1,	/* accessible from user mode */
	VMK_PTE_A_UXN		= 1u << 2,	/* not executable in user mode */
	VMK_PTE_A_PXN		= 1u << 3,	/* not executable in kernel mode */
	VMK_PTE_A_GLOBAL	= 1u << 4,	/* x86 G; arm64 !nG */
	VMK_PTE_A_ACCESSED	= 1u << 5,	/* x86 A; arm64 AF */
	VMK_PTE_A_DIRTY		= 1u << 6,	/* x86 D; arm64 DBM with AP[2]=0 */
	VMK_PTE_A_WIRED		= 1u << 7,	/* software: wired mapping */
	VMK_PTE_A_MANAGED	= 1u << 8,	/* software: has a PV entry */
	VMK_PTE_A_NOPROMOTE	= 1u << 9,	/* software: must stay valid (no BBM) */
	VMK_PTE_A_KEEPSPARE	= 1u << 10,	/* software: kernel block entered with KEEP_SPARE */
	VMK_PTE_A_MT_SHIFT	= 12,		/* memory type (enum vmk_memtype) */
	VMK_PTE_A_MT_MASK	= 7u << 12,
};

#define VMK_PTE_A_MT(mt)	((uint32_t)(mt) << VMK_PTE_A_MT_SHIFT)
#define VMK_PTE_A_MT_OF(a)	((enum vmk_memtype)(((a) & VMK_PTE_A_MT_MASK) >> VMK_PTE_A_MT_SHIFT))

/* Bits that may change on a live leaf without break-before-make. */
#define VMK_PTE_A_PERM_BITS	(VMK_PTE_A_WRITE | VMK_PTE_A_UXN | VMK_PTE_A_PXN | \
				 VMK_PTE_A_ACCESSED | VMK_PTE_A_DIRTY | \
				 VMK_PTE_A_WIRED | VMK_PTE_A_MANAGED | VMK_PTE_A_NOPROMOTE | \
				 VMK_PTE_A_KEEPSPARE)

struct vmk_pmap_arch {
	const char *name;
	enum vmk_pmap_arch_id id;
	unsigned int min_levels, max_levels;	/* supported level counts */
	unsigned int default_levels;
	uint32_t block_levels;		/* bit lvl set: level lvl may hold a block */
	bool needs_bbm;			/* valid->valid changes need break-before-make */
	bool split_roots;		/* separate user (TTBR0) and kernel (TTBR1) roots */
	uint64_t memattr_reg;		/* value to load into IA32_PAT / MAIR_EL1 */
	uint64_t page_pa_mask;		/* output-address bits of a level-0 leaf */
	/* A page-aligned pa sits in a leaf as pa >> pte_pa_shift (riscv64 PPN: 2). */
	unsigned int pte_pa_shift;
	/* Software attributes (VMK_PTE_A_*) the format has no bits for: masked off. */
	uint32_t no_attrs;
	/*
	 * The raw descriptor bits of the software attributes WIRED and
	 * MANAGED, the same in a leaf at every level. The hardware never
	 * changes them, so bulk paths may test them without attrs_of().
	 */
	vmk_pte_t pte_sw_wired, pte_sw_managed;

	/* A table descriptor at level lvl (>= 1) pointing at the table at pa. */
	vmk_pte_t (*make_table)(vmk_paddr_t pa, unsigned int lvl, bool user);
	/* A leaf: a page (lvl 0) or a block (lvl >= 1) mapping pa with attrs. */
	vmk_pte_t (*make_leaf)(vmk_paddr_t pa, unsigned int lvl, uint32_t attrs);
	/* True if pte is valid at lvl (a table, a page or a block). */
	bool (*is_valid)(vmk_pte_t pte, unsigned int lvl);
	/* True if pte is a valid table descriptor (never at lvl 0). */
	bool (*is_table)(vmk_pte_t pte, unsigned int lvl);
	/* True if pte is a valid block (lvl >= 1 leaf). */
	bool (*is_block)(vmk_pte_t pte, unsigned int lvl);
	/* Output address of a leaf or the table address of a table entry. */
	vmk_paddr_t (*pa_of)(vmk_pte_t pte, unsigned int lvl);
	/* Canonical attributes of a leaf at lvl. */
	uint32_t (*attrs_of)(vmk_pte_t pte, unsigned int lvl);

	/*
	 * 64 KiB contiguous runs of VMK_PMAP_CONT_PAGES level-0 leaves
	 * (arm64 contiguous bit, riscv64 Svnapot); fold NULL: none.
	 * fold: the entry of such a run made from the run's leaf pte;
	 * unfold: the plain leaf for entry i of a run made of pte;
	 * is_cont: pte is a valid leaf of a run at lvl. pa_of() of a run's
	 * entry is inside the run's 64 KiB (vmk_pmap__leaf_pa has the page).
	 */
	vmk_pte_t (*fold)(vmk_pte_t pte);
	vmk_pte_t (*unfold)(vmk_pte_t pte, unsigned int i);
	bool (*is_cont)(vmk_pte_t pte, unsigned int lvl);
	/*
	 * Raw leaf bits that no canonical attribute stands for and that a
	 * leaf rebuilt from pa_of() and attrs_of() must keep (the run bits).
	 */
	vmk_pte_t pte_keep;
	/*
	 * The accessed/dirty state of a run is the OR over its entries (the
	 * hardware updates the one entry it used): bits to OR (arm64 AF,
	 * riscv64 A D), and a bit whose clearing in any entry means dirty
	 * (arm64 AP[2] of a DBM entry; 0: none).
	 */
	vmk_pte_t pte_ad_or, pte_ad_clean;
};

/* Level-0 leaves in one contiguous run, and the run's size (64 KiB on both arm64 and riscv64). */
#define VMK_PMAP_CONT_PAGES	16u
#define VMK_PMAP_CONT_SIZE	((uint64_t)VMK_PMAP_CONT_PAGES << VMK_PAGE_SHIFT)

/* True if pte is a valid leaf (page or block) at lvl. */
static inline bool vmk_pmap_arch_is_leaf(const struct vmk_pmap_arch *a, vmk_pte_t pte,
					 unsigned int lvl)
{
	return a->is_valid(pte, lvl) && !a->is_table(pte, lvl);
}

extern const struct vmk_pmap_arch vmk_pmap_arch_x86_64;
extern const struct vmk_pmap_arch vmk_pmap_arch_arm64;
extern const struct vmk_pmap_arch vmk_pmap_arch_riscv64;

/* The descriptor layer for id, or NULL if vmkit has none. */
const struct vmk_pmap_arch *vmk_pmap__arch(enum vmk_pmap_arch_id id);

#endif /* VMKIT_PMAP_ARCH_H */
