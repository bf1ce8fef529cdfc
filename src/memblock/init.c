/* Setting up memblock, its knobs, and queries about the lists. */
#include "internal.h"

static void init_type(struct vmk_memblock_type *t, struct vmk_memblock_region *init,
		      const char *name)
{
	t->regions = init;
	t->cnt = 0;
	t->max = VMK_MEMBLOCK_INIT_REGIONS;
	t->total_size = 0;
	t->array_pa = 0;
	t->array_allocated = false;
	t->array_shared = false;
	t->name = name;
}

void vmk_memblock_init(struct vmk_memblock *mb)
{
	vmk_memset(mb, 0, sizeof(*mb));
	init_type(&mb->memory, mb->memory_init, "memory");
	init_type(&mb->reserved, mb->reserved_init, "reserved");
	mb->bottom_up = false;
	mb->can_resize = false;
	mb->current_limit = VMK_PADDR_MAX;
}

void vmk_memblock_allow_resize(struct vmk_memblock *mb, bool on)
{
	mb->can_resize = on;
}

void vmk_memblock_set_bottom_up(struct vmk_memblock *mb, bool bottom_up)
{
	mb->bottom_up = bottom_up;
}

void vmk_memblock_set_current_limit(struct vmk_memblock *mb, vmk_paddr_t limit)
{
	mb->current_limit = limit;
}

vmk_size_t vmk_memblock_phys_mem_size(const struct vmk_memblock *mb)
{
	return mb->memory.total_size;
}

vmk_size_t vmk_memblock_reserved_size(const struct vmk_memblock *mb)
{
	return mb->reserved.total_size;
}

vmk_paddr_t vmk_memblock_start_of_dram(const struct vmk_memblock *mb)
{
	return mb->memory.cnt ? mb->memory.regions[0].base : 0;
}

vmk_paddr_t vmk_memblock_end_of_dram(const struct vmk_memblock *mb)
{
	const struct vmk_memblock_type *t = &mb->memory;

	return t->cnt ? vmk_memblock__end(&t->regions[t->cnt - 1]) : 0;
}

/* The region of t containing pa, or NULL. */
static const struct vmk_memblock_region *lookup(const struct vmk_memblock_type *t,
						 vmk_paddr_t pa)
{
	size_t i = vmk_memblock__search(t, pa);

	return i < t->cnt && t->regions[i].base <= pa ? &t->regions[i] : NULL;
}

bool vmk_memblock_is_memory(const struct vmk_memblock *mb, vmk_paddr_t pa)
{
	return lookup(&mb->memory, pa) != NULL;
}

bool vmk_memblock_is_map_memory(const struct vmk_memblock *mb, vmk_paddr_t pa)
{
	const struct vmk_memblock_region *r = lookup(&mb->memory, pa);

	return r && !(r->flags & VMK_MEMBLOCK_NOMAP);
}

bool vmk_memblock_is_reserved(const struct vmk_memblock *mb, vmk_paddr_t pa)
{
	return lookup(&mb->reserved, pa) != NULL;
}

bool vmk_memblock_is_region_memory(const struct vmk_memblock *mb, vmk_paddr_t base,
				   vmk_size_t size)
{
	const struct vmk_memblock_type *t = &mb->memory;
	vmk_paddr_t end;
	size_t i;

	size = vmk_memblock__cap(base, size);
	if (size == 0)
		return false;
	end = base + size;
	/* Memory may be split in touching regions (different node or flags). */
	for (i = vmk_memblock__search(t, base); i < t->cnt; i++) {
		if (t->regions[i].base > base)
			return false;
		base = vmk_memblock__end(&t->regions[i]);
		if (base >= end)
			return true;
	}
	return false;
}

bool vmk_memblock_is_region_reserved(const struct vmk_memblock *mb,
				     vmk_paddr_t base, vmk_size_t size)
{
	const struct vmk_memblock_type *t = &mb->reserved;
	size_t i;

	size = vmk_memblock__cap(base, size);
	if (size == 0)
		return false;
	i = vmk_memblock__search(t, base);
	return i < t->cnt && t->regions[i].base < base + size;
}

size_t vmk_memblock_own_arrays(const struct vmk_memblock *mb, struct vmk_range out[2])
{
	const struct vmk_memblock_type *types[2] = { &mb->memory, &mb->reserved };
	size_t n = 0;

	for (size_t i = 0; i < 2; i++) {
		if (!types[i]->array_allocated)
			continue;
		out[n].base = types[i]->array_pa;
		out[n].end = types[i]->array_pa + vmk_memblock__array_bytes(types[i]->max);
		n++;
	}
	return n;
}

bool vmk_memblock__hits_array(const struct vmk_memblock *mb, vmk_paddr_t base,
			      vmk_paddr_t end)
{
	struct vmk_range own[2];
	size_t n = vmk_memblock_own_arrays(mb, own);

	for (size_t i = 0; i < n; i++)
		if (base < own[i].end && own[i].base < end)
			return true;
	return false;
}
