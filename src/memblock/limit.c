/*
 * Shrinking 'memory' to what the kernel may use: trimming regions to an
 * alignment (Linux memblock_trim_memory) and the mem= limit (Linux
 * memblock_cap_memory_range / memblock_mem_limit_remove_map).
 *
 * None of these needs a slot: every region only shrinks or goes away, so
 * the only failure is touching memblock's own arrays, checked before
 * anything changes.
 */
#include "internal.h"

/* Drop region i of t (total_size kept right). */
static void drop(struct vmk_memblock_type *t, size_t i)
{
	t->total_size -= t->regions[i].size;
	vmk_memmove(&t->regions[i], &t->regions[i + 1],
		    (t->cnt - i - 1) * sizeof(t->regions[0]));
	t->cnt--;
}

/* Shrink region i of t to [base, end) (inside it, not empty). */
static void shrink(struct vmk_memblock_type *t, size_t i, vmk_paddr_t base, vmk_paddr_t end)
{
	struct vmk_memblock_region *r = &t->regions[i];

	t->total_size -= r->size - (end - base);
	r->base = base;
	r->size = end - base;
}

/*
 * The part of region r that trimming to align keeps: [*b, *e), empty if
 * nothing aligned fits.
 */
static void trimmed(const struct vmk_memblock_region *r, vmk_size_t align,
		    vmk_paddr_t *b, vmk_paddr_t *e)
{
	vmk_paddr_t end = vmk_memblock__end(r);

	*e = VMK_ALIGN_DOWN(end, align);
	if (r->base > VMK_PADDR_MAX - (align - 1)) {
		*b = *e;	/* no aligned start above base */
		return;
	}
	*b = VMK_ALIGN_UP(r->base, align);
	if (*b > *e)
		*b = *e;
}

int vmk_memblock_trim_memory(struct vmk_memblock *mb, vmk_size_t align)
{
	struct vmk_memblock_type *t = &mb->memory;
	size_t i;

	if (align == 0 || !VMK_IS_POW2(align))
		return -VMK_EINVAL;
	/* First pass: refuse before changing anything. */
	for (i = 0; i < t->cnt; i++) {
		const struct vmk_memblock_region *r = &t->regions[i];
		vmk_paddr_t b, e;

		trimmed(r, align, &b, &e);
		if ((b > r->base && vmk_memblock__hits_array(mb, r->base, b)) ||
		    (e < vmk_memblock__end(r) && vmk_memblock__hits_array(mb, e, vmk_memblock__end(r))) ||
		    (b == e && vmk_memblock__hits_array(mb, r->base, vmk_memblock__end(r)))) {
			vmk_log(VMK_LOG_ERR, "memblock: trimming memory[%zu] to 0x%llx would drop memblock's own array",
				i, (unsigned long long)align);
			return -VMK_EBUSY;
		}
	}
	/* Each region on its own, as Linux does: touching regions trim separately. */
	for (i = 0; i < t->cnt;) {
		vmk_paddr_t b, e;

		trimmed(&t->regions[i], align, &b, &e);
		if (b == e) {
			drop(t, i);
			continue;
		}
		shrink(t, i, b, e);
		i++;
	}
	return 0;
}

int vmk_memblock_cap_memory_range(struct vmk_memblock *mb, vmk_paddr_t base, vmk_size_t size)
{
	struct vmk_memblock_type *t = &mb->memory;
	struct vmk_range own[2];
	size_t n, i;
	vmk_paddr_t end;

	size = vmk_memblock__cap(base, size);
	if (size == 0)
		return 0;
	if (t->total_size == 0) {
		vmk_log(VMK_LOG_WARN, "memblock: cap_memory_range: no memory registered yet");
		return 0;
	}
	end = base + size;
	/* memblock's own arrays must stay: inside the kept range. */
	n = vmk_memblock_own_arrays(mb, own);
	for (i = 0; i < n; i++) {
		if (own[i].base < base || own[i].end > end) {
			vmk_log(VMK_LOG_ERR, "memblock: cannot cap memory to [0x%llx-0x%llx): memblock's own array is at 0x%llx",
				(unsigned long long)base, (unsigned long long)(end - 1),
				(unsigned long long)own[i].base);
			return -VMK_EBUSY;
		}
	}
	/*
	 * Mapped memory outside [base, end) goes; NOMAP regions stay whole
	 * (firmware needs them described). Nothing is split: the parts of a
	 * region outside the range go away, so no slot is needed.
	 */
	for (i = 0; i < t->cnt;) {
		struct vmk_memblock_region *r = &t->regions[i];
		vmk_paddr_t b = VMK_MAX(r->base, base), e = VMK_MIN(vmk_memblock__end(r), end);

		if (r->flags & VMK_MEMBLOCK_NOMAP) {
			i++;
			continue;
		}
		if (b >= e) {
			drop(t, i);
			continue;
		}
		shrink(t, i, b, e);
		i++;
	}
	/* Reservations outside the range go too (touching the ends: no split). */
	vmk_memblock__remove_range(&mb->reserved, 0, base);
	vmk_memblock__remove_range(&mb->reserved, end, VMK_PADDR_MAX);
	return 0;
}

int vmk_memblock_mem_limit_remove_map(struct vmk_memblock *mb, vmk_size_t limit)
{
	const struct vmk_memblock_type *t = &mb->memory;

	if (limit == 0)
		return 0;
	/* The address at which the first 'limit' bytes of memory (NOMAP too) end. */
	for (size_t i = 0; i < t->cnt; i++) {
		if (limit <= t->regions[i].size)
			return vmk_memblock_cap_memory_range(mb, 0, t->regions[i].base + limit);
		limit -= t->regions[i].size;
	}
	return 0;	/* the limit is above the memory there is */
}
