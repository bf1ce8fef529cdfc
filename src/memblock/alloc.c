/*
 * Allocation: find a fitting block in free memory, then reserve it.
 *
 * The search walks free ranges from the top (default) or from the bottom,
 * clipped to [min, max), and takes the highest (lowest) aligned block that
 * fits inside one range. A block never spans two memory regions, so it has
 * a single node and a single set of flags.
 */
#include "internal.h"

/* Highest (top_down) or lowest aligned block of size in [s, e), if any. */
static bool fit(vmk_paddr_t s, vmk_paddr_t e, vmk_size_t size, vmk_size_t align,
		bool top_down, vmk_paddr_t *out)
{
	vmk_paddr_t cand;

	if (e <= s || e - s < size)
		return false;
	if (top_down) {
		cand = VMK_ALIGN_DOWN(e - size, align);
		if (cand < s)
			return false;
	} else {
		if (s > VMK_PADDR_MAX - (align - 1))
			return false;
		cand = VMK_ALIGN_UP(s, align);
		if (cand > e || e - cand < size)
			return false;
	}
	*out = cand;
	return true;
}

/* Split [s, e) around the exclusions into ascending pieces; returns the count. */
static size_t carve(vmk_paddr_t s, vmk_paddr_t e, const struct vmk_range *excl,
		    size_t nexcl, struct vmk_range *piece)
{
	size_t n = 1;

	piece[0].base = s;
	piece[0].end = e;
	for (size_t x = 0; x < nexcl; x++) {
		size_t m = 0;
		struct vmk_range out[8];

		for (size_t i = 0; i < n; i++) {
			struct vmk_range p = piece[i];

			if (excl[x].end <= p.base || excl[x].base >= p.end) {
				out[m++] = p;
				continue;
			}
			if (p.base < excl[x].base)
				out[m++] = (struct vmk_range){ p.base, excl[x].base };
			if (excl[x].end < p.end)
				out[m++] = (struct vmk_range){ excl[x].end, p.end };
		}
		vmk_memcpy(piece, out, m * sizeof(*out));
		n = m;
	}
	/* Pieces of one range stay in order: each split keeps left before right. */
	return n;
}

bool vmk_memblock__find(const struct vmk_memblock *mb, vmk_size_t size,
			vmk_size_t align, vmk_paddr_t min, vmk_paddr_t max, int nid,
			bool mirror, const struct vmk_range *excl, size_t nexcl,
			vmk_paddr_t *out)
{
	bool top_down = !mb->bottom_up;
	uint64_t idx = 0;
	vmk_paddr_t s, e;

	VMK_ASSERT(nexcl <= 3, "memblock: at most 3 exclusions (got %zu)", nexcl);
	while (vmk_memblock__next_free(mb, &idx, nid, mirror ? VMK_MEMBLOCK_MIRROR : 0,
				       top_down, &s, &e, NULL)) {
		struct vmk_range piece[8];
		size_t n;

		s = VMK_MAX(s, min);
		e = VMK_MIN(e, max);
		if (e <= s)
			continue;
		n = carve(s, e, excl, nexcl, piece);
		for (size_t k = 0; k < n; k++) {
			struct vmk_range *p = &piece[top_down ? n - 1 - k : k];

			if (fit(p->base, p->end, size, align, top_down, out))
				return true;
		}
	}
	return false;
}

/* The direct map reaches [pa, pa + size) contiguously: its address, else NULL. */
static void *reach(vmk_paddr_t pa, vmk_size_t size)
{
	char *v = vmk_phys_to_virt(pa);

	if (!v || (char *)vmk_phys_to_virt(pa + size - 1) != v + (size - 1))
		return NULL;
	return v;
}

/*
 * Find in [min, max) and reserve. Returns 1 if nothing fits, else 0 or an
 * error. With virt, a block the direct map does not reach is an error.
 */
static int try_alloc(struct vmk_memblock *mb, vmk_size_t size, vmk_size_t align,
		     vmk_paddr_t min, vmk_paddr_t max, int nid, bool mirror,
		     bool virt, vmk_paddr_t *pa)
{
	vmk_paddr_t found;
	int err;

	if (!vmk_memblock__find(mb, size, align, min, max, nid, mirror, NULL, 0, &found))
		return 1;
	if (virt && !reach(found, size)) {
		vmk_log(VMK_LOG_ERR, "memblock: block at 0x%llx is not in the direct map",
			(unsigned long long)found);
		return -VMK_ENOMEM;
	}
	/* The found block is free: reserving it takes at most one slot. */
	err = vmk_memblock__prepare(mb, 0, vmk_memblock__add_need(&mb->reserved, found,
								 found + size,
								 VMK_NUMA_NO_NODE, 0),
				    found, found + size);
	if (err)
		return err;
	vmk_memblock__add_range(&mb->reserved, found, found + size, VMK_NUMA_NO_NODE, 0);
	*pa = found;
	return 0;
}

/* The search in [min, end): preferred node, any node, then without mirror. */
static int search(struct vmk_memblock *mb, vmk_size_t size, vmk_size_t align,
		  vmk_paddr_t min, vmk_paddr_t end, int nid, uint32_t flags, bool mirror,
		  bool virt, vmk_paddr_t *pa)
{
	int err;

	for (;;) {
		err = try_alloc(mb, size, align, min, end, nid, mirror, virt, pa);
		if (err <= 0)
			return err;
		if (nid != VMK_NUMA_NO_NODE && !(flags & VMK_MEMBLOCK_ALLOC_EXACT_NID)) {
			err = try_alloc(mb, size, align, min, end, VMK_NUMA_NO_NODE, mirror, virt, pa);
			if (err <= 0)
				return err;
		}
		if (!mirror)
			return 1;
		vmk_log(VMK_LOG_WARN, "memblock: could not allocate 0x%llx bytes of mirrored memory, falling back",
			(unsigned long long)size);
		mirror = false;
	}
}

static int alloc_core(struct vmk_memblock *mb, vmk_size_t size, vmk_size_t align,
		      vmk_paddr_t min, vmk_paddr_t max, int nid, uint32_t flags,
		      bool virt, vmk_paddr_t *pa)
{
	/* As Linux: once any memory is mirrored, every allocation prefers it. */
	bool mirror = (flags & VMK_MEMBLOCK_ALLOC_MIRROR) || mb->has_mirror;
	vmk_paddr_t end;
	int err;

	if (align == 0)
		align = VMK_PAGE_SIZE;
	if (size == 0 || !VMK_IS_POW2(align) || !pa || !vmk_memblock__nid_ok(nid) ||
	    (flags & ~VMK_MEMBLOCK__ALLOC_ALL))
		return -VMK_EINVAL;
	end = max == 0 ? VMK_PADDR_MAX : max;
	if (min >= end)
		return -VMK_EINVAL;
	if (!(flags & VMK_MEMBLOCK_ALLOC_NOLIMIT))
		end = VMK_MIN(end, mb->current_limit);
	if (vmk_fault("memblock.alloc"))
		return -VMK_ENOMEM;
	if (min < end) {
		err = search(mb, size, align, min, end, nid, flags, mirror, virt, pa);
		if (err <= 0)
			return err;
	}
	if (!(flags & VMK_MEMBLOCK_ALLOC_RETRY_FROM_0) || min == 0 || end == 0)
		return -VMK_ENOMEM;
	err = search(mb, size, align, 0, end, nid, flags, mirror, virt, pa);
	if (err)
		return err < 0 ? err : -VMK_ENOMEM;
	vmk_log(VMK_LOG_WARN, "memblock: no 0x%llx bytes above 0x%llx: allocated at 0x%llx instead",
		(unsigned long long)size, (unsigned long long)min, (unsigned long long)*pa);
	return 0;
}

int vmk_memblock_alloc_range(struct vmk_memblock *mb, vmk_size_t size,
			     vmk_size_t align, vmk_paddr_t min, vmk_paddr_t max,
			     int nid, uint32_t flags, vmk_paddr_t *pa)
{
	return alloc_core(mb, size, align, min, max, nid, flags, false, pa);
}

int vmk_memblock_alloc(struct vmk_memblock *mb, vmk_size_t size,
		       vmk_size_t align, vmk_paddr_t *pa)
{
	return vmk_memblock_alloc_range(mb, size, align, 0, 0, VMK_NUMA_NO_NODE, 0, pa);
}

int vmk_memblock_alloc_nid(struct vmk_memblock *mb, vmk_size_t size, vmk_size_t align,
			   int nid, uint32_t flags, vmk_paddr_t *pa)
{
	return vmk_memblock_alloc_range(mb, size, align, 0, 0, nid, flags, pa);
}

int vmk_memblock_alloc_try_nid(struct vmk_memblock *mb, vmk_size_t size, vmk_size_t align,
			       vmk_paddr_t min, vmk_paddr_t max, int nid, vmk_paddr_t *pa)
{
	return vmk_memblock_alloc_range(mb, size, align, min, max, nid,
					VMK_MEMBLOCK_ALLOC_RETRY_FROM_0, pa);
}

int vmk_memblock_alloc_from(struct vmk_memblock *mb, vmk_size_t size, vmk_size_t align,
			    vmk_paddr_t min, vmk_paddr_t *pa)
{
	return vmk_memblock_alloc_try_nid(mb, size, align, min, 0, VMK_NUMA_NO_NODE, pa);
}

void *vmk_memblock_alloc_virt(struct vmk_memblock *mb, vmk_size_t size,
			      vmk_size_t align, vmk_paddr_t *pa)
{
	vmk_paddr_t p;
	char *v;

	if (alloc_core(mb, size, align, 0, 0, VMK_NUMA_NO_NODE, 0, true, &p))
		return NULL;
	v = vmk_phys_to_virt(p);
	vmk_memset(v, 0, size);
	if (pa)
		*pa = p;
	return v;
}
