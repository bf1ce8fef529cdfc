/*
 * kmap: the kernel's boot-time mappings, built with the pmap.
 *
 * A kernel calls these once, after vmk_pmap_bootstrap() and the hand-over
 * to the physical allocator (page-table pages come from it), and before
 * kmem: the image by section with W^X, a direct map of all RAM, then a
 * report of what the page tables hold. They are platform-neutral: the
 * caller says where things are (virtual and physical addresses, the
 * firmware map, the boot policy's architecture) and the pmap writes the
 * architecture's tables.
 *
 * Large pages: a 2 MiB or 1 GiB leaf is used wherever virtual and physical
 * addresses are both aligned and the whole page lies inside one run of
 * equal protection and memory type, so no leaf ever reaches outside what
 * was asked for (a no-map or device range next to RAM stays unmapped).
 *
 * No function here allocates anything but page-table pages, and every
 * failure unmaps what the call had mapped (the kernel's page-table pages
 * stay: they are never freed, and the next call reuses them).
 */
#ifndef VMKIT_KMAP_H
#define VMKIT_KMAP_H

#include <vmkit/fwmap.h>
#include <vmkit/pmap.h>

/* Section flags. */
enum {
	/*
	 * Parts of the section may be freed later, piecewise, where nothing
	 * can be allocated (vmk_kmem_bootstrap_free of image slack or
	 * preloaded files): every large leaf touching it keeps a spare
	 * page-table page (VMK_PMAP_ENTER_KEEP_SPARE), and no 1 GiB leaf is
	 * used for it.
	 */
	VMK_KMAP_RELEASABLE = 1u << 0,
};

/* One section of the kernel image (text, rodata, data, bss, preloaded files). */
struct vmk_kmap_section {
	vmk_size_t size;	/* bytes, a multiple of 4 KiB (0: skipped) */
	uint32_t prot;		/* VMK_PROT_*: never both WRITE and EXEC */
	uint32_t flags;		/* VMK_KMAP_* */
};

/*
 * Map the kernel image: sections s[0 .. n) laid out back to back from
 * physical pa at virtual va (both 4 KiB aligned), each with its own
 * protection (text r-x, rodata r--, data and bss rw-: W^X). Consecutive
 * sections of equal protection form one run, so large leaves may span
 * them. Mappings are global, write-back, unmanaged; nothing may be mapped
 * there yet. Returns 0; -VMK_EINVAL (a section both writable and
 * executable, a size or address not page aligned, a range that wraps or
 * leaves the kernel window), -VMK_EEXIST (something mapped there) or
 * -VMK_ENOMEM, with nothing of the image mapped. Boot-only: call once the
 * kernel pmap and the physical allocator exist, before other CPUs run.
 */
int vmk_kmap_image(struct vmk_pmap *kernel, vmk_vaddr_t va, vmk_paddr_t pa,
		   const struct vmk_kmap_section *s, size_t n);

/* What vmk_kmap_direct() mapped. */
struct vmk_kmap_direct_stats {
	vmk_size_t bytes;		/* bytes mapped */
	vmk_size_t bytes_by_memtype[VMK_MEMTYPE_COUNT];
	uint64_t runs;			/* runs of adjacent entries with one memory type */
	uint64_t leaves[3];		/* 4 KiB, 2 MiB, 1 GiB leaves made */
};

/*
 * The direct map: every entry of the sanitized firmware map m that the
 * boot policy of boot_arch (enum vmk_boot_arch, include/vmkit/boot.h)
 * makes mapped memory (VMK_BOOT_FREE or VMK_BOOT_RESERVE) is mapped at
 * dmap_base + its physical address, read/write, never executable, global,
 * with the memory type the firmware gives it: write-back when a UEFI
 * entry allows WB (and for E820, device-tree and other maps, which only
 * describe write-back RAM), else write-combining when it allows WC, else
 * uncached (a map sanitized with merge_ignores_attr keeps entries of
 * different cacheability apart, so each keeps its own). No-map memory,
 * device (MMIO) ranges, reserved and holes are
 * never mapped, not even as the tail of a large leaf. Entries are trimmed
 * inward to 4 KiB. st may be NULL. Returns 0; -VMK_EINVAL (dmap_base not
 * 1 GiB aligned, an address beyond the window), -VMK_EEXIST or
 * -VMK_ENOMEM, with nothing of the direct map mapped. Boot-only, as
 * vmk_kmap_image().
 */
int vmk_kmap_direct(struct vmk_pmap *kernel, vmk_vaddr_t dmap_base, const struct vmk_fwmap *m,
		    uint32_t boot_arch, struct vmk_kmap_direct_stats *st);

/*
 * The memory type vmk_kmap_direct() gives an entry of a map of format
 * (enum vmk_fwmap_format): WB for non-UEFI formats and UEFI entries with
 * the WB bit, else WC with the WC bit, else UC (no cacheability bit
 * allows no caching). Any context: it only reads e.
 */
enum vmk_memtype vmk_kmap_memtype(const struct vmk_fwmap_entry *e, uint32_t format);

/* One class of the mapping report: leaves of one size, protection and memory type. */
struct vmk_kmap_class {
	vmk_size_t page_size;		/* 4 KiB, 2 MiB or 1 GiB */
	uint32_t prot;			/* VMK_PROT_* */
	enum vmk_memtype memtype;
	uint64_t leaves;
	vmk_size_t bytes;		/* inside the reported range */
};

#define VMK_KMAP_MAX_CLASSES	48

/* Mappings by size and permission, read from the page tables. */
struct vmk_kmap_report {
	struct vmk_kmap_class cls[VMK_KMAP_MAX_CLASSES];	/* in order of first appearance */
	size_t ncls;
	uint64_t leaves;		/* every leaf seen (also those past the class table) */
	vmk_size_t bytes;
	/* W^X: leaves both writable and executable. */
	uint64_t wx_leaves;
	vmk_size_t wx_bytes;
	vmk_vaddr_t wx_first;		/* the first such leaf (valid if wx_leaves) */
	/* User-accessible leaves in the range (a kernel range has none). */
	uint64_t user_leaves;
};

/*
 * Walk the page tables of pmap over [sva, eva) (eva 0: up to 2^64; the
 * whole kernel address space is [0, 0)), counting every leaf by size,
 * protection and memory type, and check W^X. Leaves are counted by the
 * bytes they have inside the range. Returns 0 if no leaf is both
 * writable and executable, 1 if one is (r->wx_* say how many and the
 * first), -VMK_EINVAL for bad arguments. Takes the pmap lock; callable
 * wherever the pmap may be used.
 */
int vmk_kmap_report(struct vmk_pmap *pmap, vmk_vaddr_t sva, vmk_vaddr_t eva, struct vmk_kmap_report *r);

#endif /* VMKIT_KMAP_H */
