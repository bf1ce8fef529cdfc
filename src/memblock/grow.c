/*
 * Growing the region arrays.
 *
 * The lists start in the static arrays inside struct vmk_memblock. When an
 * operation needs more slots than are left, the array is doubled: the new
 * array is carved from memblock's own free memory (reached through
 * vmk_phys_to_virt), the regions are copied, the new array is reserved
 * and the old one, if memblock had allocated it, is freed.
 *
 * Growth is one transaction. Everything that can fail (finding room, the
 * "memblock.grow" fault site, reachability through the direct map) is done
 * first, for both lists; only then is anything written. Recording the new
 * arrays in 'reserved' takes slots there too, so when 'memory' grows and
 * 'reserved' lacks room for that bookkeeping, 'reserved' grows in the same
 * transaction. An old array a caller also reserved (array_shared) is not
 * freed: reservations have no owner, and freeing it would drop the caller's.
 * This is also how growth while reserving is handled: the new
 * arrays are found outside the range being reserved (so a later free of that
 * range cannot free an array), and the doubled 'reserved' array has room for
 * the caller's reservation, the new arrays and the freed old ones.
 */
#include "internal.h"

/* Double max until it holds want regions. */
static size_t grown_max(size_t max, size_t want)
{
	size_t m = max ? max : 1;

	while (m < want)
		m *= 2;
	return m;
}

/* The direct map must reach [pa, pa + bytes) contiguously. */
static void *reach(vmk_paddr_t pa, vmk_size_t bytes)
{
	char *v = vmk_phys_to_virt(pa);

	if (!v || (char *)vmk_phys_to_virt(pa + bytes - 1) != v + (bytes - 1))
		return NULL;
	return v;
}

struct grow_step {
	struct vmk_memblock_type *t;
	size_t new_max;
	vmk_paddr_t pa;
	void *va;
	/* the array being replaced, to free once the new one is in place */
	bool old_allocated;
	bool old_shared;
	vmk_paddr_t old_pa;
	vmk_size_t old_bytes;
};

/* Find and check room for a new array of s->new_max regions. */
static int plan(struct vmk_memblock *mb, struct grow_step *s,
		struct vmk_range *excl, size_t *nexcl)
{
	vmk_size_t bytes = vmk_memblock__array_bytes(s->new_max);

	if (vmk_fault("memblock.grow"))
		return -VMK_ENOMEM;
	if (!vmk_memblock__find(mb, bytes, VMK_PAGE_SIZE, 0, mb->current_limit,
				VMK_NUMA_NO_NODE, false, excl, *nexcl, &s->pa)) {
		vmk_log(VMK_LOG_ERR, "memblock: no room to grow %s to %zu regions",
			s->t->name, s->new_max);
		return -VMK_ENOMEM;
	}
	s->va = reach(s->pa, bytes);
	if (!s->va) {
		vmk_log(VMK_LOG_ERR, "memblock: new %s array at 0x%llx is not in the direct map",
			s->t->name, (unsigned long long)s->pa);
		return -VMK_ENOMEM;
	}
	excl[*nexcl].base = s->pa;
	excl[*nexcl].end = s->pa + bytes;
	(*nexcl)++;
	s->old_allocated = s->t->array_allocated;
	s->old_shared = s->t->array_shared;
	s->old_pa = s->t->array_pa;
	s->old_bytes = vmk_memblock__array_bytes(s->t->max);
	return 0;
}

/* Switch t to the new array (copying the regions). */
static void switch_array(struct grow_step *s)
{
	struct vmk_memblock_type *t = s->t;

	vmk_memcpy(s->va, t->regions, t->cnt * sizeof(*t->regions));
	t->regions = s->va;
	t->max = s->new_max;
	t->array_pa = s->pa;
	t->array_allocated = true;
	t->array_shared = false;
	vmk_log(VMK_LOG_DEBUG, "memblock: %s is doubled to %zu at [0x%016llx-0x%016llx]",
		t->name, t->max, (unsigned long long)s->pa,
		(unsigned long long)(s->pa + vmk_memblock__array_bytes(t->max) - 1));
}

/* Reserve [base, end) in 'reserved', whose room was made beforehand. */
static void reserve_noalloc(struct vmk_memblock *mb, vmk_paddr_t base, vmk_paddr_t end)
{
	VMK_ASSERT(mb->reserved.cnt + vmk_memblock__add_need(&mb->reserved, base, end,
							    VMK_NUMA_NO_NODE, 0) <=
		   mb->reserved.max, "reserved: no room left for an array after growth");
	vmk_memblock__add_range(&mb->reserved, base, end, VMK_NUMA_NO_NODE, 0);
}

static void free_noalloc(struct vmk_memblock *mb, vmk_paddr_t base, vmk_paddr_t end)
{
	VMK_ASSERT(mb->reserved.cnt + vmk_memblock__remove_need(&mb->reserved, base, end) <=
		   mb->reserved.max, "reserved: no room left to free an old array");
	vmk_memblock__remove_range(&mb->reserved, base, end);
}

int vmk_memblock__prepare(struct vmk_memblock *mb, size_t mem_need, size_t res_need,
			  vmk_paddr_t avoid_base, vmk_paddr_t avoid_end)
{
	struct vmk_memblock_type *mem = &mb->memory, *res = &mb->reserved;
	bool grow_mem = mem->cnt + mem_need > mem->max;
	bool grow_res = res->cnt + res_need > res->max;
	struct grow_step steps[2];
	struct vmk_range excl[3];
	size_t nsteps = 0, nexcl = 0, res_want;
	int err;

	if (!grow_mem && !grow_res)
		return 0;
	if (!mb->can_resize)
		return -VMK_ENOSPC;

	/*
	 * Slots 'reserved' needs besides res_need: one per new array and one
	 * per freed old array (a free may split a merged region in two). Two
	 * more for an operation on 'reserved' are a margin only: an operation
	 * that needs slots there never overlaps a reservation (holes touching
	 * one just grow it), so freeing an old array cannot raise its need.
	 */
	res_want = res->cnt + res_need + (res_need ? 2 : 0) + (grow_mem ? 2 : 0);
	if (!grow_res && res_want > res->max)
		grow_res = true;
	if (grow_res)
		res_want += 2;

	if (avoid_end > avoid_base) {
		excl[nexcl].base = avoid_base;
		excl[nexcl].end = avoid_end;
		nexcl++;
	}
	if (grow_mem) {
		steps[nsteps].t = mem;
		steps[nsteps++].new_max = grown_max(mem->max, mem->cnt + mem_need);
	}
	if (grow_res) {
		steps[nsteps].t = res;
		steps[nsteps++].new_max = grown_max(res->max, res_want);
	}
	for (size_t i = 0; i < nsteps; i++) {
		err = plan(mb, &steps[i], excl, &nexcl);
		if (err)
			return err;
	}

	/* Commit: nothing below can fail. */
	for (size_t i = 0; i < nsteps; i++)
		switch_array(&steps[i]);
	for (size_t i = 0; i < nsteps; i++)
		reserve_noalloc(mb, steps[i].pa,
				steps[i].pa + vmk_memblock__array_bytes(steps[i].new_max));
	for (size_t i = 0; i < nsteps; i++)
		if (steps[i].old_allocated && !steps[i].old_shared)
			free_noalloc(mb, steps[i].old_pa, steps[i].old_pa + steps[i].old_bytes);
	return 0;
}
