/*
 * memblock internals shared by the files of src/memblock. Not a public
 * header: names are vmk_memblock__ prefixed.
 */
#ifndef VMKIT_MEMBLOCK_INTERNAL_H
#define VMKIT_MEMBLOCK_INTERNAL_H

#include <vmkit/memblock.h>
#include <vmkit/platform.h>

#define VMK_MEMBLOCK__FLAGS_ALL						\
	(VMK_MEMBLOCK_HOTPLUG | VMK_MEMBLOCK_MIRROR | VMK_MEMBLOCK_NOMAP |	\
	 VMK_MEMBLOCK_DRIVER_MANAGED)

#define VMK_MEMBLOCK__ALLOC_ALL						\
	(VMK_MEMBLOCK_ALLOC_EXACT_NID | VMK_MEMBLOCK_ALLOC_MIRROR |	\
	 VMK_MEMBLOCK_ALLOC_NOLIMIT | VMK_MEMBLOCK_ALLOC_RETRY_FROM_0)

/* Memory with these flags is neither free nor allocatable. */
#define VMK_MEMBLOCK__NOT_FREE	(VMK_MEMBLOCK_NOMAP | VMK_MEMBLOCK_DRIVER_MANAGED)

static inline vmk_paddr_t vmk_memblock__end(const struct vmk_memblock_region *r)
{
	return r->base + r->size;
}

/* Clip size so that base + size never wraps past VMK_PADDR_MAX. */
static inline vmk_size_t vmk_memblock__cap(vmk_paddr_t base, vmk_size_t size)
{
	return size > VMK_PADDR_MAX - base ? VMK_PADDR_MAX - base : size;
}

static inline bool vmk_memblock__nid_ok(int nid)
{
	return nid == VMK_NUMA_NO_NODE || (nid >= 0 && nid < VMK_MAX_DOMAINS);
}

/* Bytes of a memblock-allocated array holding max regions (whole pages). */
static inline vmk_size_t vmk_memblock__array_bytes(size_t max)
{
	return VMK_ALIGN_UP((vmk_size_t)max * sizeof(struct vmk_memblock_region),
			    VMK_PAGE_SIZE);
}

/* ---- region list primitives (regions.c); none of them grows an array ---- */

/* Index of the first region whose end is above addr (cnt if none). */
size_t vmk_memblock__search(const struct vmk_memblock_type *t, vmk_paddr_t addr);

/* Regions vmk_memblock__add_range() would insert for [base, end). */
size_t vmk_memblock__add_need(const struct vmk_memblock_type *t, vmk_paddr_t base,
			      vmk_paddr_t end, int nid, uint32_t flags);
/* Regions vmk_memblock__remove_range() would insert for [base, end) (0 or 1). */
size_t vmk_memblock__remove_need(const struct vmk_memblock_type *t,
				 vmk_paddr_t base, vmk_paddr_t end);
/* Regions vmk_memblock__isolate() would insert for [base, end) (0..2). */
size_t vmk_memblock__isolate_need(const struct vmk_memblock_type *t,
				  vmk_paddr_t base, vmk_paddr_t end);

/* Fill the holes of [base, end) with (nid, flags) regions and merge. */
void vmk_memblock__add_range(struct vmk_memblock_type *t, vmk_paddr_t base,
			     vmk_paddr_t end, int nid, uint32_t flags);
/*
 * Split regions at base and end so that [*first, *last) are exactly the
 * regions inside [base, end).
 */
void vmk_memblock__isolate(struct vmk_memblock_type *t, vmk_paddr_t base,
			   vmk_paddr_t end, size_t *first, size_t *last);
/* Drop [base, end) from t. */
void vmk_memblock__remove_range(struct vmk_memblock_type *t, vmk_paddr_t base,
				vmk_paddr_t end);
/* Coalesce compatible touching neighbours among regions [lo, hi]. */
void vmk_memblock__merge(struct vmk_memblock_type *t, size_t lo, size_t hi);

/* ---- array growth (grow.c) ---- */

/*
 * Make sure 'memory' has room for mem_need more regions and 'reserved' for
 * res_need more, growing the arrays if needed. New arrays never overlap
 * [avoid_base, avoid_end). Returns 0, -VMK_ENOSPC (resizing off) or
 * -VMK_ENOMEM; on failure nothing changed.
 */
int vmk_memblock__prepare(struct vmk_memblock *mb, size_t mem_need, size_t res_need,
			  vmk_paddr_t avoid_base, vmk_paddr_t avoid_end);

/* True if [base, end) overlaps an array memblock allocated for itself. */
bool vmk_memblock__hits_array(const struct vmk_memblock *mb, vmk_paddr_t base,
			      vmk_paddr_t end);

/* ---- free-range search (find.c, iter.c) ---- */

/*
 * Next free range in ascending (reverse=false) or descending order among
 * memory regions on node nid (or any) that carry all of must_flags.
 */
bool vmk_memblock__next_free(const struct vmk_memblock *mb, uint64_t *idx, int nid,
			     uint32_t must_flags, bool reverse, vmk_paddr_t *base,
			     vmk_paddr_t *end, int *out_nid);

/*
 * Find size bytes aligned to align inside [min, max) in free memory on node
 * nid (or any), MIRROR-only if mirror, avoiding the nexcl ranges excl.
 * Direction follows mb->bottom_up. Returns true and stores *out on success.
 */
bool vmk_memblock__find(const struct vmk_memblock *mb, vmk_size_t size,
			vmk_size_t align, vmk_paddr_t min, vmk_paddr_t max, int nid,
			bool mirror, const struct vmk_range *excl, size_t nexcl,
			vmk_paddr_t *out);

#endif /* VMKIT_MEMBLOCK_INTERNAL_H */
