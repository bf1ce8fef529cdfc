/*
 * The public list operations: add, remove, reserve, free, mark/clear flags,
 * set node. Each validates, clips the size at the top of the address
 * space, makes room (which may grow an array and is the only step that can
 * fail) and then applies a primitive that cannot fail.
 */
#include "internal.h"

static int add_to(struct vmk_memblock *mb, struct vmk_memblock_type *t,
		  vmk_paddr_t base, vmk_size_t size, int nid, uint32_t flags)
{
	vmk_paddr_t end;
	size_t need;
	int err;

	size = vmk_memblock__cap(base, size);
	if (size == 0)
		return 0;
	end = base + size;
	need = vmk_memblock__add_need(t, base, end, nid, flags);
	err = vmk_memblock__prepare(mb, t == &mb->memory ? need : 0,
				    t == &mb->reserved ? need : 0, base, end);
	if (err)
		return err;
	vmk_memblock__add_range(t, base, end, nid, flags);
	return 0;
}

static int remove_from(struct vmk_memblock *mb, struct vmk_memblock_type *t,
		       vmk_paddr_t base, vmk_size_t size)
{
	vmk_paddr_t end;
	size_t need;
	int err;

	size = vmk_memblock__cap(base, size);
	if (size == 0)
		return 0;
	end = base + size;
	if (vmk_memblock__hits_array(mb, base, end)) {
		vmk_log(VMK_LOG_ERR, "memblock: cannot take [0x%llx-0x%llx) from %s: memblock's own array is there",
			(unsigned long long)base, (unsigned long long)(end - 1), t->name);
		return -VMK_EBUSY;
	}
	need = vmk_memblock__remove_need(t, base, end);
	err = vmk_memblock__prepare(mb, t == &mb->memory ? need : 0,
				    t == &mb->reserved ? need : 0, base, end);
	if (err)
		return err;
	vmk_memblock__remove_range(t, base, end);
	return 0;
}

/*
 * Linux's system_has_some_mirror: set for good once any memory region
 * carries MIRROR, so that allocations prefer mirrored memory from then on.
 */
static void note_mirror(struct vmk_memblock *mb)
{
	for (size_t i = 0; i < mb->memory.cnt && !mb->has_mirror; i++)
		if (mb->memory.regions[i].flags & VMK_MEMBLOCK_MIRROR)
			mb->has_mirror = true;
}

int vmk_memblock_add_node(struct vmk_memblock *mb, vmk_paddr_t base,
			  vmk_size_t size, int nid, uint32_t flags)
{
	int err;

	if (!vmk_memblock__nid_ok(nid) || (flags & ~VMK_MEMBLOCK__FLAGS_ALL))
		return -VMK_EINVAL;
	err = add_to(mb, &mb->memory, base, size, nid, flags);
	if (!err && (flags & VMK_MEMBLOCK_MIRROR))
		note_mirror(mb);
	return err;
}

int vmk_memblock_add(struct vmk_memblock *mb, vmk_paddr_t base, vmk_size_t size)
{
	return vmk_memblock_add_node(mb, base, size, VMK_NUMA_NO_NODE, 0);
}

int vmk_memblock_remove(struct vmk_memblock *mb, vmk_paddr_t base, vmk_size_t size)
{
	return remove_from(mb, &mb->memory, base, size);
}

/*
 * Mark the arrays that [base, end) overlaps as shared with a caller, so
 * that replacing them does not free the caller's reservation.
 */
static void note_shared(struct vmk_memblock *mb, vmk_paddr_t base, vmk_paddr_t end)
{
	struct vmk_memblock_type *types[2] = { &mb->memory, &mb->reserved };

	for (size_t i = 0; i < 2; i++) {
		struct vmk_memblock_type *t = types[i];
		vmk_paddr_t a_end = t->array_pa + vmk_memblock__array_bytes(t->max);

		if (!t->array_allocated || end <= t->array_pa || base >= a_end)
			continue;
		if (!t->array_shared)
			vmk_log(VMK_LOG_WARN, "memblock: reservation [0x%llx-0x%llx) overlaps the %s array; it stays reserved",
				(unsigned long long)base, (unsigned long long)(end - 1), t->name);
		t->array_shared = true;
	}
}

int vmk_memblock_reserve(struct vmk_memblock *mb, vmk_paddr_t base, vmk_size_t size)
{
	int err = add_to(mb, &mb->reserved, base, size, VMK_NUMA_NO_NODE, 0);

	size = vmk_memblock__cap(base, size);
	if (!err && size)
		note_shared(mb, base, base + size);
	return err;
}

int vmk_memblock_free(struct vmk_memblock *mb, vmk_paddr_t base, vmk_size_t size)
{
	return remove_from(mb, &mb->reserved, base, size);
}

enum change { SET_FLAGS, CLEAR_FLAGS, SET_NODE };

static bool changes(const struct vmk_memblock_region *r, enum change how,
		    uint32_t flags, int nid)
{
	if (how == SET_FLAGS)
		return (r->flags & flags) != flags;
	if (how == CLEAR_FLAGS)
		return (r->flags & flags) != 0;
	return r->nid != nid;
}

/*
 * Isolate [base, base + size) in 'memory', change it, re-merge. Nothing is
 * split (and no room is needed) when no region there would change.
 */
static int change_memory(struct vmk_memblock *mb, vmk_paddr_t base, vmk_size_t size,
			 enum change how, uint32_t flags, int nid)
{
	struct vmk_memblock_type *t = &mb->memory;
	size_t first, last;
	vmk_paddr_t end;
	int err;

	size = vmk_memblock__cap(base, size);
	if (size == 0)
		return 0;
	end = base + size;
	if (how == SET_FLAGS && (flags & VMK_MEMBLOCK_NOMAP) &&
	    vmk_memblock__hits_array(mb, base, end)) {
		vmk_log(VMK_LOG_ERR, "memblock: cannot mark [0x%llx-0x%llx) NOMAP: memblock's own array is there",
			(unsigned long long)base, (unsigned long long)(end - 1));
		return -VMK_EBUSY;
	}
	for (first = vmk_memblock__search(t, base);
	     first < t->cnt && t->regions[first].base < end; first++)
		if (changes(&t->regions[first], how, flags, nid))
			break;
	if (first == t->cnt || t->regions[first].base >= end)
		return 0;
	err = vmk_memblock__prepare(mb, vmk_memblock__isolate_need(t, base, end), 0,
				    base, end);
	if (err)
		return err;
	vmk_memblock__isolate(t, base, end, &first, &last);
	for (size_t i = first; i < last; i++) {
		struct vmk_memblock_region *r = &t->regions[i];

		if (how == SET_FLAGS)
			r->flags |= flags;
		else if (how == CLEAR_FLAGS)
			r->flags &= ~flags;
		else
			r->nid = nid;
	}
	vmk_memblock__merge(t, first ? first - 1 : 0, last < t->cnt ? last : t->cnt - 1);
	return 0;
}

int vmk_memblock_mark(struct vmk_memblock *mb, vmk_paddr_t base,
		      vmk_size_t size, uint32_t flags)
{
	int err;

	if (flags & ~VMK_MEMBLOCK__FLAGS_ALL)
		return -VMK_EINVAL;
	if (flags == 0)
		return 0;
	err = change_memory(mb, base, size, SET_FLAGS, flags, 0);
	if (!err && (flags & VMK_MEMBLOCK_MIRROR))
		note_mirror(mb);
	return err;
}

int vmk_memblock_clear(struct vmk_memblock *mb, vmk_paddr_t base,
		       vmk_size_t size, uint32_t flags)
{
	if (flags & ~VMK_MEMBLOCK__FLAGS_ALL)
		return -VMK_EINVAL;
	if (flags == 0)
		return 0;
	return change_memory(mb, base, size, CLEAR_FLAGS, flags, 0);
}

int vmk_memblock_mark_nomap(struct vmk_memblock *mb, vmk_paddr_t base, vmk_size_t size)
{
	return vmk_memblock_mark(mb, base, size, VMK_MEMBLOCK_NOMAP);
}

int vmk_memblock_clear_nomap(struct vmk_memblock *mb, vmk_paddr_t base, vmk_size_t size)
{
	return vmk_memblock_clear(mb, base, size, VMK_MEMBLOCK_NOMAP);
}

int vmk_memblock_set_node(struct vmk_memblock *mb, vmk_paddr_t base,
			  vmk_size_t size, int nid)
{
	if (!vmk_memblock__nid_ok(nid))
		return -VMK_EINVAL;
	return change_memory(mb, base, size, SET_NODE, 0, nid);
}
