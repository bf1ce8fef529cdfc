/*
 * The live boot state as a source of truth: memblock (memory minus
 * reserved minus NOMAP) plus the resource tree's named ranges.
 */
#include "internal.h"
#include <vmkit/memblock.h>
#include <vmkit/resource.h>

static unsigned int kind_of_desc(int32_t desc)
{
	switch (desc) {
	case VMK_RES_DESC_CRASH_KERNEL:
		return VMK_KEXEC_EXCL_CRASH_KERNEL;
	case VMK_RES_DESC_ACPI_TABLES:
		return VMK_KEXEC_EXCL_ACPI_TABLES;
	case VMK_RES_DESC_ACPI_NV_STORAGE:
		return VMK_KEXEC_EXCL_ACPI_NVS;
	case VMK_RES_DESC_RESERVED:
		return VMK_KEXEC_EXCL_RESERVED;
	default:
		return VMK_KEXEC_EXCL_OTHER;
	}
}


unsigned int vmk_kexec__kind_of_desc(int32_t desc)
{
	return kind_of_desc(desc);
}

int vmk_kexec_plan_from_live(struct vmk_kexec_plan *p, const struct vmk_memblock *mb,
			     const struct vmk_resource *root)
{
	int ret;

	for (size_t i = 0; i < mb->memory.cnt; i++) {
		const struct vmk_memblock_region *r = &mb->memory.regions[i];

		/*
		 * Memory a driver added (kmem, virtio-mem) is not boot memory and
		 * may go away: Linux's memblock walk (MEMBLOCK_NONE) never offers it.
		 */
		if (r->flags & VMK_MEMBLOCK_DRIVER_MANAGED)
			continue;
		ret = vmk_kexec_add_ram(p, r->base, r->base + r->size);
		if (ret)
			return ret;
		if (r->flags & VMK_MEMBLOCK_NOMAP) {
			ret = vmk_kexec_exclude(p, r->base, r->base + r->size, VMK_KEXEC_EXCL_NOMAP,
						"no-map (memblock NOMAP)");
			if (ret)
				return ret;
		}
	}
	for (size_t i = 0; i < mb->reserved.cnt; i++) {
		const struct vmk_memblock_region *r = &mb->reserved.regions[i];

		ret = vmk_kexec_exclude(p, r->base, r->base + r->size, VMK_KEXEC_EXCL_RESERVED,
					"memblock reserved");
		if (ret)
			return ret;
	}
	if (!root)
		return 0;
	/* Named ranges say why: Crash kernel, ACPI, firmware reservations. */
	for (const struct vmk_resource *r = vmk_resource_next(root, root); r;
	     r = vmk_resource_next(root, r)) {
		bool driver = (r->flags & VMK_RES_SYSRAM_DRIVER_MANAGED) != 0;

		if ((r->desc == VMK_RES_DESC_NONE && !driver) || r->end == VMK_PADDR_MAX)
			continue;
		if (!vmk_rangeset_overlaps(&p->ram, r->start, r->end + 1))
			continue;
		/* locate_mem_hole_callback() skips driver-managed System RAM too. */
		ret = vmk_kexec_exclude(p, r->start, r->end + 1,
					driver ? VMK_KEXEC_EXCL_OTHER : kind_of_desc(r->desc), "%s%s",
					r->name ? r->name : "<BAD>", driver ? " (driver-managed)" : "");
		if (ret)
			return ret;
	}
	return 0;
}

int vmk_kexec_plan_to_memblock(const struct vmk_kexec_plan *p, struct vmk_memblock *mb)
{
	int ret;

	for (size_t i = 0; i < p->ram.n; i++) {
		ret = vmk_memblock_add(mb, p->ram.r[i].base, p->ram.r[i].end - p->ram.r[i].base);
		if (ret)
			return ret;
	}
	for (size_t i = 0; i < p->nexcl; i++) {
		const struct vmk_kexec_excl *e = &p->excl[i];

		if (e->kind == VMK_KEXEC_EXCL_NOMAP)
			ret = vmk_memblock_mark_nomap(mb, e->base, e->end - e->base);
		else
			ret = vmk_memblock_reserve(mb, e->base, e->end - e->base);
		if (ret)
			return ret;
	}
	return 0;
}
