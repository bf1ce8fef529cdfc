/* Feeding a sanitized firmware map into memblock, and placing the kernel. */
#include <vmkit/boot.h>

int vmk_boot_memblock_from_fwmap(struct vmk_memblock *mb, const struct vmk_fwmap *m)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct vmk_fwmap_entry *e = &m->e[i];
		enum vmk_boot_action act = vmk_boot_action(e, m->format);
		uint32_t flags = 0;
		int err;

		if (act == VMK_BOOT_SKIP)
			continue;
		if (e->flags & VMK_FWMAP_F_MIRROR)
			flags |= VMK_MEMBLOCK_MIRROR;
		if (e->attr & VMK_EFI_MEMORY_HOT_PLUGGABLE && m->format == VMK_FWMAP_FMT_EFI)
			flags |= VMK_MEMBLOCK_HOTPLUG;
		if (act == VMK_BOOT_NOMAP)
			flags |= VMK_MEMBLOCK_NOMAP;
		err = vmk_memblock_add_node(mb, e->base, e->size, VMK_NUMA_NO_NODE, flags);
		if (!err && act == VMK_BOOT_RESERVE)
			err = vmk_memblock_reserve(mb, e->base, e->size);
		if (err)
			return err;
	}
	return 0;
}

int vmk_boot_reserve_kernel(struct vmk_memblock *mb, vmk_size_t size, vmk_size_t align,
			    vmk_paddr_t min, bool fixed, vmk_paddr_t *pa)
{
	bool saved = mb->bottom_up;
	vmk_paddr_t end;
	int err;

	if (size == 0 || (align && !VMK_IS_POW2(align)))
		return -VMK_EINVAL;
	if (fixed) {
		if (vmk_add_overflow(*pa, size, &end))
			return -VMK_EINVAL;
		/* Every byte must be free memory: in a single free range. */
		uint64_t idx = 0;
		vmk_paddr_t b, e;

		while (vmk_memblock_next_free(mb, &idx, VMK_NUMA_NO_NODE, &b, &e, NULL))
			if (b <= *pa && end <= e)
				return vmk_memblock_reserve(mb, *pa, size);
		return -VMK_EBUSY;
	}
	vmk_memblock_set_bottom_up(mb, true);
	err = vmk_memblock_alloc_range(mb, size, align ? align : VMK_PAGE_SIZE, min,
				       VMK_PADDR_MAX, VMK_NUMA_NO_NODE, 0, pa);
	vmk_memblock_set_bottom_up(mb, saved);
	return err;
}
