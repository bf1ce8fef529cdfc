/*
 * Free-range iteration: memory minus reserved, skipping NOMAP and
 * DRIVER_MANAGED memory, ascending or descending.
 *
 * Like Linux's __next_mem_range(), the cursor is a pair of indices packed
 * into 64 bits: the memory region (low half) and the hole between reserved
 * regions (high half; hole j lies between reserved[j-1] and reserved[j]).
 * Descending cursors count from the top, so that 0 starts both directions.
 */
#include "internal.h"

static bool skip_region(const struct vmk_memblock_region *m, int nid, uint32_t must)
{
	if (m->flags & VMK_MEMBLOCK__NOT_FREE)
		return true;
	if ((m->flags & must) != must)
		return true;
	return nid != VMK_NUMA_NO_NODE && m->nid != nid;
}

/* Bounds of hole j of the reserved list. */
static void hole(const struct vmk_memblock_type *res, size_t j, vmk_paddr_t *s, vmk_paddr_t *e)
{
	*s = j ? vmk_memblock__end(&res->regions[j - 1]) : 0;
	*e = j < res->cnt ? res->regions[j].base : VMK_PADDR_MAX;
}

static bool next_up(const struct vmk_memblock *mb, uint64_t *idx, int nid, uint32_t must,
		    vmk_paddr_t *base, vmk_paddr_t *end, int *out_nid)
{
	const struct vmk_memblock_type *mem = &mb->memory, *res = &mb->reserved;
	size_t a = (size_t)(*idx & 0xffffffffu), b = (size_t)(*idx >> 32);

	for (; a < mem->cnt; a++) {
		const struct vmk_memblock_region *m = &mem->regions[a];
		vmk_paddr_t m_end = vmk_memblock__end(m);

		if (skip_region(m, nid, must))
			continue;
		for (; b <= res->cnt; b++) {
			vmk_paddr_t hs, he;

			hole(res, b, &hs, &he);
			if (hs >= m_end)
				break;
			if (m->base < he) {
				*base = VMK_MAX(m->base, hs);
				*end = VMK_MIN(m_end, he);
				if (out_nid)
					*out_nid = m->nid;
				if (m_end <= he)
					a++;
				else
					b++;
				*idx = (uint64_t)a | ((uint64_t)b << 32);
				return true;
			}
		}
	}
	*idx = (uint64_t)a | ((uint64_t)b << 32);
	return false;
}

static bool next_down(const struct vmk_memblock *mb, uint64_t *idx, int nid, uint32_t must,
		      vmk_paddr_t *base, vmk_paddr_t *end, int *out_nid)
{
	const struct vmk_memblock_type *mem = &mb->memory, *res = &mb->reserved;
	/* a and b are counts from the top: region cnt-1-a, hole res->cnt-b. */
	size_t a = (size_t)(*idx & 0xffffffffu), b = (size_t)(*idx >> 32);

	for (; a < mem->cnt; a++) {
		const struct vmk_memblock_region *m = &mem->regions[mem->cnt - 1 - a];
		vmk_paddr_t m_end = vmk_memblock__end(m);

		if (skip_region(m, nid, must))
			continue;
		for (; b <= res->cnt; b++) {
			vmk_paddr_t hs, he;

			hole(res, res->cnt - b, &hs, &he);
			if (he <= m->base)
				break;
			if (m_end > hs) {
				*base = VMK_MAX(m->base, hs);
				*end = VMK_MIN(m_end, he);
				if (out_nid)
					*out_nid = m->nid;
				if (m->base >= hs)
					a++;
				else
					b++;
				*idx = (uint64_t)a | ((uint64_t)b << 32);
				return true;
			}
		}
	}
	*idx = (uint64_t)a | ((uint64_t)b << 32);
	return false;
}

bool vmk_memblock__next_free(const struct vmk_memblock *mb, uint64_t *idx, int nid,
			     uint32_t must_flags, bool reverse, vmk_paddr_t *base,
			     vmk_paddr_t *end, int *out_nid)
{
	if (reverse)
		return next_down(mb, idx, nid, must_flags, base, end, out_nid);
	return next_up(mb, idx, nid, must_flags, base, end, out_nid);
}

bool vmk_memblock_next_free(const struct vmk_memblock *mb, uint64_t *idx, int nid,
			    vmk_paddr_t *base, vmk_paddr_t *end, int *out_nid)
{
	return next_up(mb, idx, nid, 0, base, end, out_nid);
}

bool vmk_memblock_prev_free(const struct vmk_memblock *mb, uint64_t *idx, int nid,
			    vmk_paddr_t *base, vmk_paddr_t *end, int *out_nid)
{
	return next_down(mb, idx, nid, 0, base, end, out_nid);
}

vmk_size_t vmk_memblock_free_size(const struct vmk_memblock *mb)
{
	uint64_t idx = 0;
	vmk_paddr_t b, e;
	vmk_size_t sum = 0;

	while (next_up(mb, &idx, VMK_NUMA_NO_NODE, 0, &b, &e, NULL))
		sum += e - b;
	return sum;
}
