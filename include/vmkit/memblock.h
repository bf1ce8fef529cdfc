/*
 * memblock: the boot-time memory allocator.
 *
 * Two region lists describe physical memory before the page allocator
 * exists: 'memory' (what RAM there is, with flags and a NUMA node) and
 * 'reserved' (what is in use). Free memory is memory minus reserved minus
 * NOMAP. Allocation carves from free memory top-down (default) or
 * bottom-up. Region lists start in static arrays inside struct
 * vmk_memblock and double when full; the bigger array is allocated from
 * memblock itself (through vmk_phys_to_virt) once resizing is allowed.
 *
 * Sizes are clipped so that base + size never wraps: a region never
 * extends past VMK_PADDR_MAX. All functions may be called only before the
 * hand-over to the page allocator (vmk_phys_init); none takes a lock.
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
	const char *name;	/* "memory" or "reserved" */
};

struct vmk_memblock {
	struct vmk_memblock_type memory;
	struct vmk_memblock_type reserved;
	bool bottom_up;			/* allocation direction */
	bool can_resize;		/* arrays may grow (vmk_phys_to_virt works) */
	vmk_paddr_t current_limit;	/* allocations end at or below this (exclusive) */
	struct vmk_memblock_region memory_init[VMK_MEMBLOCK_INIT_REGIONS];
	struct vmk_memblock_region reserved_init[VMK_MEMBLOCK_INIT_REGIONS];
};

/* Allocation request flags. */
enum {
	VMK_MEMBLOCK_ALLOC_EXACT_NID = 1u << 0,	/* do not fall back to other nodes */
	VMK_MEMBLOCK_ALLOC_MIRROR = 1u << 1,	/* only from MIRROR memory (falls back if none) */
	VMK_MEMBLOCK_ALLOC_NOLIMIT = 1u << 2,	/* ignore current_limit */
};

/*
 * Initialise mb: empty lists in the static arrays, top-down, no limit,
 * resizing off. Call first.
 */
void vmk_memblock_init(struct vmk_memblock *mb);

/*
 * Allow (or forbid) the region arrays to grow by allocating from memblock.
 * Turn on once vmk_phys_to_virt() can reach the memory memblock hands out.
 */
void vmk_memblock_allow_resize(struct vmk_memblock *mb, bool on);

/*
 * Add [base, base + size) to 'memory' on node nid with flags. Overlaps with
 * existing memory are merged; adjacent regions with the same node and
 * flags coalesce. Returns 0, -VMK_EINVAL (size 0 is accepted as a no-op
 * returning 0), or -VMK_ENOMEM/-VMK_ENOSPC if the array cannot grow (the
 * lists are then unchanged).
 */
int vmk_memblock_add_node(struct vmk_memblock *mb, vmk_paddr_t base,
			  vmk_size_t size, int nid, uint32_t flags);
/* vmk_memblock_add_node() with no node and no flags. */
int vmk_memblock_add(struct vmk_memblock *mb, vmk_paddr_t base, vmk_size_t size);

/* Remove [base, base + size) from 'memory' (splitting regions). Same returns. */
int vmk_memblock_remove(struct vmk_memblock *mb, vmk_paddr_t base, vmk_size_t size);

/* Mark [base, base + size) reserved (it need not be in 'memory'). Same returns. */
int vmk_memblock_reserve(struct vmk_memblock *mb, vmk_paddr_t base, vmk_size_t size);

/* Un-reserve [base, base + size): the memory becomes free again. Same returns. */
int vmk_memblock_free(struct vmk_memblock *mb, vmk_paddr_t base, vmk_size_t size);

/*
 * Set or clear flags on the part of 'memory' inside [base, base + size),
 * splitting regions at the edges. Returns as vmk_memblock_add_node.
 */
int vmk_memblock_mark(struct vmk_memblock *mb, vmk_paddr_t base,
		      vmk_size_t size, uint32_t flags);
int vmk_memblock_clear(struct vmk_memblock *mb, vmk_paddr_t base,
		       vmk_size_t size, uint32_t flags);
/* Shorthands for NOMAP. */
int vmk_memblock_mark_nomap(struct vmk_memblock *mb, vmk_paddr_t base, vmk_size_t size);
int vmk_memblock_clear_nomap(struct vmk_memblock *mb, vmk_paddr_t base, vmk_size_t size);

/* Assign node nid to the memory inside [base, base + size). Returns as add. */
int vmk_memblock_set_node(struct vmk_memblock *mb, vmk_paddr_t base,
			  vmk_size_t size, int nid);

/* Allocation direction: false = top-down (default), true = bottom-up. */
void vmk_memblock_set_bottom_up(struct vmk_memblock *mb, bool bottom_up);

/* Allocations must end at or below limit (exclusive); VMK_PADDR_MAX = none. */
void vmk_memblock_set_current_limit(struct vmk_memblock *mb, vmk_paddr_t limit);

/*
 * Allocate and reserve size bytes aligned to align (a power of two; 0
 * means VMK_PAGE_SIZE) inside [min, max) (max 0 or VMK_PADDR_MAX means up
 * to the current limit), preferring node nid (VMK_NUMA_NO_NODE: any) and
 * falling back to any node unless VMK_MEMBLOCK_ALLOC_EXACT_NID is set.
 * Never returns NOMAP memory. On success stores the address in *pa and
 * returns 0. Returns -VMK_EINVAL for size 0, an alignment that is not a
 * power of two, or min >= max; -VMK_ENOMEM if nothing fits (or an injected
 * failure at site "memblock.alloc").
 */
int vmk_memblock_alloc_range(struct vmk_memblock *mb, vmk_size_t size,
			     vmk_size_t align, vmk_paddr_t min, vmk_paddr_t max,
			     int nid, uint32_t flags, vmk_paddr_t *pa);

/* vmk_memblock_alloc_range() anywhere below the current limit, any node. */
int vmk_memblock_alloc(struct vmk_memblock *mb, vmk_size_t size,
		       vmk_size_t align, vmk_paddr_t *pa);

/*
 * Iterate over free ranges: memory minus reserved minus NOMAP, in
 * ascending order, optionally only on node nid (VMK_NUMA_NO_NODE: all).
 * Start with *idx = 0; each call stores the next range [*base, *end) and
 * its node and returns true, or returns false at the end.
 */
bool vmk_memblock_next_free(const struct vmk_memblock *mb, uint64_t *idx, int nid,
			    vmk_paddr_t *base, vmk_paddr_t *end, int *out_nid);

/* Same, in descending order. Start with *idx = 0. */
bool vmk_memblock_prev_free(const struct vmk_memblock *mb, uint64_t *idx, int nid,
			    vmk_paddr_t *base, vmk_paddr_t *end, int *out_nid);

/* Totals and queries. */
vmk_size_t vmk_memblock_phys_mem_size(const struct vmk_memblock *mb);
vmk_size_t vmk_memblock_reserved_size(const struct vmk_memblock *mb);
vmk_size_t vmk_memblock_free_size(const struct vmk_memblock *mb);
vmk_paddr_t vmk_memblock_start_of_dram(const struct vmk_memblock *mb);
vmk_paddr_t vmk_memblock_end_of_dram(const struct vmk_memblock *mb);
bool vmk_memblock_is_memory(const struct vmk_memblock *mb, vmk_paddr_t pa);
bool vmk_memblock_is_map_memory(const struct vmk_memblock *mb, vmk_paddr_t pa);
bool vmk_memblock_is_region_reserved(const struct vmk_memblock *mb,
				     vmk_paddr_t base, vmk_size_t size);

/*
 * Ranges of the region arrays memblock allocated from itself (to be
 * released last at the hand-over). Stores up to 2 ranges; returns the count.
 */
size_t vmk_memblock_own_arrays(const struct vmk_memblock *mb, struct vmk_range out[2]);

/* Print both lists in the style of Linux's memblock=debug dump. */
void vmk_memblock_dump(const struct vmk_memblock *mb, struct vmk_out *out);

/* Check the lists' invariants (sorted, disjoint, merged, totals); panics if broken. */
void vmk_memblock_check(const struct vmk_memblock *mb);

#endif /* VMKIT_MEMBLOCK_H */
