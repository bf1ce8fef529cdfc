/*
 * memblock: the boot-time memory allocator.
 *
 * Two region lists describe physical memory before the page allocator
 * exists: 'memory' (what RAM there is, with flags and a NUMA node) and
 * 'reserved' (what is in use). Free memory is memory minus reserved minus
 * NOMAP (and minus DRIVER_MANAGED memory, which is not boot memory).
 * Allocation carves from free memory top-down (default) or bottom-up.
 * Region lists start in static arrays inside struct vmk_memblock and
 * double when full; the bigger array is allocated from memblock itself
 * (through vmk_phys_to_virt) once resizing is allowed.
 *
 * Both lists are always canonical: sorted by base, non-empty, disjoint,
 * and no two touching neighbours with the same node and flags (reserved
 * regions carry no flags and no node, so they never touch).
 *
 * Ranges are [base, base + size). Sizes are clipped so that base + size
 * never wraps: a region never extends past VMK_PADDR_MAX (the last byte,
 * at VMK_PADDR_MAX itself, cannot be described). A size that clips to 0 is
 * a no-op returning 0. Every operation that fails leaves both lists exactly
 * as they were. Array growth is fault-injection site "memblock.grow",
 * allocation is "memblock.alloc".
 *
 * All functions may be called only before the hand-over to the page
 * allocator (vmk_phys_init); none takes a lock.
 */
#ifndef VMKIT_MEMBLOCK_H
#define VMKIT_MEMBLOCK_H

#include <vmkit/lib.h>

/* Region flags (memory regions only). */
enum {
	VMK_MEMBLOCK_NONE = 0,
	VMK_MEMBLOCK_HOTPLUG = 1u << 0,		/* hot-removable memory */
	VMK_MEMBLOCK_MIRROR = 1u << 1,		/* mirrored (reliable) memory */
	VMK_MEMBLOCK_NOMAP = 1u << 2,		/* not in the direct map, never allocated */
	VMK_MEMBLOCK_DRIVER_MANAGED = 1u << 3,	/* added by a driver, not boot memory */
};

#define VMK_NUMA_NO_NODE	(-1)

struct vmk_memblock_region {
	vmk_paddr_t base;
	vmk_size_t size;
	uint32_t flags;
	int32_t nid;		/* NUMA node, or VMK_NUMA_NO_NODE */
};

struct vmk_memblock_type {
	struct vmk_memblock_region *regions;
	size_t cnt;		/* regions in use */
	size_t max;		/* capacity of regions[] */
	vmk_size_t total_size;	/* sum of region sizes */
	vmk_paddr_t array_pa;	/* physical address of regions[] if memblock allocated it, else 0 */
	bool array_allocated;	/* regions[] came from memblock itself */
	bool array_shared;	/* a caller reserved part of regions[] too: keep it reserved when replaced */
	const char *name;	/* "memory" or "reserved" */
};

struct vmk_memblock {
	struct vmk_memblock_type memory;
	struct vmk_memblock_type reserved;
	bool bottom_up;			/* allocation direction */
	bool can_resize;		/* arrays may grow (vmk_phys_to_virt works) */
	vmk_paddr_t current_limit;	/* allocations end at or below this (exclusive) */
	bool has_mirror;		/* some memory was ever MIRROR: allocations prefer it */
	struct vmk_memblock_region memory_init[VMK_MEMBLOCK_INIT_REGIONS];
	struct vmk_memblock_region reserved_init[VMK_MEMBLOCK_INIT_REGIONS];
};

/* Allocation request flags. */
enum {
	VMK_MEMBLOCK_ALLOC_EXACT_NID = 1u << 0,	/* do not fall back to other nodes */
	VMK_MEMBLOCK_ALLOC_MIRROR = 1u << 1,	/* only from MIRROR memory (falls back if none) */
	VMK_MEMBLOCK_ALLOC_NOLIMIT = 1u << 2,	/* ignore current_limit */
	VMK_MEMBLOCK_ALLOC_RETRY_FROM_0 = 1u << 3, /* nothing above min: retry from 0 (warns) */
};

/*
 * Initialise mb: empty lists in the static arrays (VMK_MEMBLOCK_INIT_REGIONS
 * each), top-down, no limit, resizing off. Call first. mb must not move
 * afterwards while it uses its static arrays.
 */
void vmk_memblock_init(struct vmk_memblock *mb);

/*
 * Allow (or forbid) the region arrays to grow by allocating from memblock.
 * Turn on once vmk_phys_to_virt() can reach the memory memblock hands out.
 * With resizing off, an operation that needs more slots than the arrays
 * have fails with -VMK_ENOSPC.
 */
void vmk_memblock_allow_resize(struct vmk_memblock *mb, bool on);

/*
 * Add [base, base + size) to 'memory' on node nid with flags. Parts already
 * in 'memory' keep their node and flags; only the holes are added. Touching
 * regions with the same node and flags coalesce. Returns 0 (also for a
 * size that clips to 0), -VMK_EINVAL for a node outside
 * [0, VMK_MAX_DOMAINS) other than VMK_NUMA_NO_NODE or an unknown flag,
 * -VMK_ENOSPC if the array is full and resizing is off, -VMK_ENOMEM if
 * growing it failed. On error the lists are unchanged. A new array found
 * while growing never lies inside [base, base + size).
 */
int vmk_memblock_add_node(struct vmk_memblock *mb, vmk_paddr_t base,
			  vmk_size_t size, int nid, uint32_t flags);
/* vmk_memblock_add_node() with no node and no flags. */
int vmk_memblock_add(struct vmk_memblock *mb, vmk_paddr_t base, vmk_size_t size);

/*
 * Remove [base, base + size) from 'memory', trimming or splitting regions.
 * Parts that are not memory are ignored. Returns 0, -VMK_EBUSY if the
 * range overlaps one of memblock's own arrays (vmk_memblock_own_arrays),
 * -VMK_ENOSPC or -VMK_ENOMEM (only when a region must be split in two and
 * there is no slot); on error nothing changed.
 */
int vmk_memblock_remove(struct vmk_memblock *mb, vmk_paddr_t base, vmk_size_t size);

/*
 * Mark [base, base + size) reserved. It need not be in 'memory' (firmware
 * tables, MMIO) and may overlap existing reservations (they merge).
 * Returns 0, -VMK_ENOSPC or -VMK_ENOMEM; on error nothing changed. If the
 * reserved array grows here, the new array is placed outside the range.
 * Reserved ranges have no owner: if the range overlaps one of memblock's
 * own arrays, that array is not freed when it is replaced later (so the
 * caller's reservation survives), and a warning is logged.
 */
int vmk_memblock_reserve(struct vmk_memblock *mb, vmk_paddr_t base, vmk_size_t size);

/*
 * Un-reserve [base, base + size): the memory becomes free again. Parts not
 * reserved are ignored. Returns as vmk_memblock_remove() (-VMK_EBUSY if
 * the range overlaps one of memblock's own arrays, which are in use).
 */
int vmk_memblock_free(struct vmk_memblock *mb, vmk_paddr_t base, vmk_size_t size);

/*
 * Set or clear flags on the part of 'memory' inside [base, base + size),
 * splitting regions at the edges and re-merging. Parts that are not memory
 * are ignored; flags 0 is a no-op. Returns 0, -VMK_EINVAL for an unknown
 * flag, -VMK_EBUSY for marking NOMAP over one of memblock's own arrays
 * (they must stay in the direct map), -VMK_ENOSPC or -VMK_ENOMEM (a split
 * needs a slot; nothing is split when no region would change); on error
 * nothing changed.
 */
int vmk_memblock_mark(struct vmk_memblock *mb, vmk_paddr_t base,
		      vmk_size_t size, uint32_t flags);
int vmk_memblock_clear(struct vmk_memblock *mb, vmk_paddr_t base,
		       vmk_size_t size, uint32_t flags);
/* Shorthands for NOMAP (memory not in the direct map, never allocated). */
int vmk_memblock_mark_nomap(struct vmk_memblock *mb, vmk_paddr_t base, vmk_size_t size);
int vmk_memblock_clear_nomap(struct vmk_memblock *mb, vmk_paddr_t base, vmk_size_t size);

/*
 * Assign node nid (or VMK_NUMA_NO_NODE) to the memory inside
 * [base, base + size). Returns as vmk_memblock_mark().
 */
int vmk_memblock_set_node(struct vmk_memblock *mb, vmk_paddr_t base,
			  vmk_size_t size, int nid);

/* Allocation direction: false = top-down (default), true = bottom-up. */
void vmk_memblock_set_bottom_up(struct vmk_memblock *mb, bool bottom_up);

/*
 * Allocations (and grown arrays) must end at or below limit: limit is an
 * exclusive end, a block may end exactly at it. VMK_PADDR_MAX = no limit.
 */
void vmk_memblock_set_current_limit(struct vmk_memblock *mb, vmk_paddr_t limit);

/*
 * Allocate and reserve size bytes aligned to align (a power of two; 0
 * means VMK_PAGE_SIZE) inside [min, max) (max 0 or VMK_PADDR_MAX means no
 * upper bound), also below the current limit unless
 * VMK_MEMBLOCK_ALLOC_NOLIMIT is set. The block lies in one free range (so
 * on one node with one set of flags); top-down it is the highest fitting
 * block, bottom-up the lowest. Node nid (VMK_NUMA_NO_NODE: any) is
 * preferred; other nodes are tried unless VMK_MEMBLOCK_ALLOC_EXACT_NID is
 * set. MIRROR memory only is tried first, then (with a warning) any
 * memory, when VMK_MEMBLOCK_ALLOC_MIRROR is set or, as in Linux, once any
 * memory was ever marked or added MIRROR (mb->has_mirror). With
 * VMK_MEMBLOCK_ALLOC_RETRY_FROM_0, when nothing fits in [min, max) the
 * whole search is repeated in [0, max) with a warning (Linux
 * memblock_alloc_try_nid). NOMAP and DRIVER_MANAGED memory are
 * never returned. Address 0 can be returned. On success stores the address
 * in *pa and returns 0. Returns -VMK_EINVAL for size 0, an alignment that
 * is not a power of two, min >= max, a bad node, an unknown flag or a NULL
 * pa; -VMK_ENOMEM if nothing fits (also when [min, max) lies above the
 * limit) or at an injected failure at site "memblock.alloc"; -VMK_ENOSPC
 * or -VMK_ENOMEM if recording the block needed a bigger reserved array
 * that could not be had. On error nothing changed.
 */
int vmk_memblock_alloc_range(struct vmk_memblock *mb, vmk_size_t size,
			     vmk_size_t align, vmk_paddr_t min, vmk_paddr_t max,
			     int nid, uint32_t flags, vmk_paddr_t *pa);

/* vmk_memblock_alloc_range() anywhere below the current limit, any node. */
int vmk_memblock_alloc(struct vmk_memblock *mb, vmk_size_t size,
		       vmk_size_t align, vmk_paddr_t *pa);

/*
 * vmk_memblock_alloc_range() anywhere below the current limit, preferring
 * node nid, with the request flags (EXACT_NID, MIRROR, NOLIMIT).
 */
int vmk_memblock_alloc_nid(struct vmk_memblock *mb, vmk_size_t size, vmk_size_t align,
			   int nid, uint32_t flags, vmk_paddr_t *pa);

/*
 * Linux memblock_alloc_try_nid_raw(): vmk_memblock_alloc_range() with
 * VMK_MEMBLOCK_ALLOC_RETRY_FROM_0, so a min that leaves no room is only a
 * preference (a warning is logged when the block ends up below min).
 * Same returns as vmk_memblock_alloc_range(). Boot-only.
 */
int vmk_memblock_alloc_try_nid(struct vmk_memblock *mb, vmk_size_t size, vmk_size_t align,
			       vmk_paddr_t min, vmk_paddr_t max, int nid, vmk_paddr_t *pa);

/*
 * Linux memblock_alloc_from(): vmk_memblock_alloc_try_nid() above min, any
 * node, below the current limit. Boot-only.
 */
int vmk_memblock_alloc_from(struct vmk_memblock *mb, vmk_size_t size, vmk_size_t align,
			    vmk_paddr_t min, vmk_paddr_t *pa);

/*
 * vmk_memblock_alloc() for memory the caller will touch: returns the block
 * zeroed, through vmk_phys_to_virt(), and stores its physical address in
 * *pa (if pa is not NULL). Returns NULL (and reserves nothing) if nothing
 * fits or the direct map does not reach the block found.
 */
void *vmk_memblock_alloc_virt(struct vmk_memblock *mb, vmk_size_t size,
			      vmk_size_t align, vmk_paddr_t *pa);

/*
 * Linux memblock_trim_memory(): shrink every memory region on its own to
 * the align-aligned part inside it (align a power of two); regions with
 * no aligned part go. Touching regions of different node or flags are
 * trimmed separately, as in Linux. Returns 0, -VMK_EINVAL for a bad
 * align, -VMK_EBUSY (nothing changed) if that would drop memory holding
 * one of memblock's own arrays. Never needs a slot. Boot-only.
 */
int vmk_memblock_trim_memory(struct vmk_memblock *mb, vmk_size_t align);

/*
 * Linux memblock_cap_memory_range() (crash kernels, mem= on arm64): keep
 * only the memory inside [base, base + size); NOMAP regions anywhere stay
 * whole (firmware needs them described); reservations outside the range
 * go. Size 0 is a no-op; with no memory at all a warning is logged and
 * nothing happens. Returns 0, or -VMK_EBUSY (nothing changed) if one of
 * memblock's own arrays lies outside the range. Never needs a slot.
 * Boot-only.
 */
int vmk_memblock_cap_memory_range(struct vmk_memblock *mb, vmk_paddr_t base, vmk_size_t size);

/*
 * Linux memblock_mem_limit_remove_map() (arm64 mem=): keep the first limit
 * bytes of memory (counted over all regions, NOMAP included) by capping
 * memory at the address where they end. A limit of 0 or at least the
 * memory size is a no-op. Returns as vmk_memblock_cap_memory_range().
 * Boot-only.
 */
int vmk_memblock_mem_limit_remove_map(struct vmk_memblock *mb, vmk_size_t limit);

/*
 * Iterate over free ranges: memory minus reserved minus NOMAP (and minus
 * DRIVER_MANAGED), in ascending order, optionally only on node nid
 * (VMK_NUMA_NO_NODE: all). Start with *idx = 0; each call stores the next
 * range [*base, *end) and its node (out_nid may be NULL) and returns true,
 * or returns false at the end. A range never spans two memory regions, so
 * touching memory regions (different node or flags) give touching ranges.
 * *idx is an opaque cursor; the lists must not change during a walk.
 */
bool vmk_memblock_next_free(const struct vmk_memblock *mb, uint64_t *idx, int nid,
			    vmk_paddr_t *base, vmk_paddr_t *end, int *out_nid);

/* Same, in descending order. Start with *idx = 0. */
bool vmk_memblock_prev_free(const struct vmk_memblock *mb, uint64_t *idx, int nid,
			    vmk_paddr_t *base, vmk_paddr_t *end, int *out_nid);

/* for (each free range [b, e) on node nid, ascending); idx is a uint64_t. */
#define vmk_memblock_foreach_free(mb, idx, nid, b, e, out_nid)		\
	for ((idx) = 0; vmk_memblock_next_free((mb), &(idx), (nid), &(b), &(e), (out_nid)); )
/* Same, descending. */
#define vmk_memblock_foreach_free_reverse(mb, idx, nid, b, e, out_nid)	\
	for ((idx) = 0; vmk_memblock_prev_free((mb), &(idx), (nid), &(b), &(e), (out_nid)); )

/* Bytes in 'memory' (all flags, NOMAP included). */
vmk_size_t vmk_memblock_phys_mem_size(const struct vmk_memblock *mb);
/* Bytes in 'reserved' (also reservations outside memory, and own arrays). */
vmk_size_t vmk_memblock_reserved_size(const struct vmk_memblock *mb);
/* Bytes in the free ranges (what vmk_memblock_next_free() walks). */
vmk_size_t vmk_memblock_free_size(const struct vmk_memblock *mb);
/* Base of the lowest memory region, or 0 if there is no memory. */
vmk_paddr_t vmk_memblock_start_of_dram(const struct vmk_memblock *mb);
/* End (exclusive) of the highest memory region, or 0 if there is no memory. */
vmk_paddr_t vmk_memblock_end_of_dram(const struct vmk_memblock *mb);
/* True if pa is in 'memory'. */
bool vmk_memblock_is_memory(const struct vmk_memblock *mb, vmk_paddr_t pa);
/* True if pa is in 'memory' and not NOMAP. */
bool vmk_memblock_is_map_memory(const struct vmk_memblock *mb, vmk_paddr_t pa);
/* True if pa is in 'reserved'. */
bool vmk_memblock_is_reserved(const struct vmk_memblock *mb, vmk_paddr_t pa);
/* True if all of [base, base + size) is memory; false for size 0. */
bool vmk_memblock_is_region_memory(const struct vmk_memblock *mb, vmk_paddr_t base,
				   vmk_size_t size);
/* True if any of [base, base + size) is reserved; false for size 0. */
bool vmk_memblock_is_region_reserved(const struct vmk_memblock *mb,
				     vmk_paddr_t base, vmk_size_t size);

/*
 * Ranges of the region arrays memblock allocated from itself (whole pages,
 * reserved; to be released last at the hand-over). Stores up to 2 ranges
 * (memory's first); returns the count.
 */
size_t vmk_memblock_own_arrays(const struct vmk_memblock *mb, struct vmk_range out[2]);

/*
 * Print both lists in the style of Linux's memblock=debug dump:
 *   MEMBLOCK configuration:
 *    memory size = 0x... reserved size = 0x...
 *    memory.cnt  = 0x2
 *    memory[0x0]\t[0x<base>-0x<last byte>], 0x<size> bytes on node N flags: 0x0
 * (" on node N" only when the region has a node).
 */
void vmk_memblock_dump(const struct vmk_memblock *mb, struct vmk_out *out);

/*
 * Check the lists' invariants: cnt <= max, regions non-empty, not wrapping,
 * sorted, disjoint, merged, known flags and valid nodes, reserved regions
 * without flags or node, total_size equal to the sum, and memblock's own
 * arrays reserved. Panics with a message naming the broken invariant.
 */
void vmk_memblock_check(const struct vmk_memblock *mb);

#endif /* VMKIT_MEMBLOCK_H */
