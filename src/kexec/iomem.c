/*
 * /proc/iomem as a source of truth, nested entries honoured. The RAM
 * roots are those of vmk_resource_walk_usable_ram(); what this adds is
 * the list of excluded ranges with the name that excluded each one.
 */
#include "internal.h"
#include <vmkit/resource.h>

static bool is_kernel_image(const struct vmk_resource *r)
{
	return r->name && (!vmk_strcmp(r->name, "Kernel code") || !vmk_strcmp(r->name, "Kernel data") ||
			   !vmk_strcmp(r->name, "Kernel bss") || !vmk_strcmp(r->name, "Kernel rodata") ||
			   !vmk_strcmp(r->name, "Kernel image"));
}

static vmk_paddr_t end_excl(const struct vmk_resource *r)
{
	/* A resource ending at the top of the address space is clipped by one byte. */
	return r->end == VMK_PADDR_MAX ? VMK_PADDR_MAX : r->end + 1;
}

static int scan_ram_root(struct vmk_kexec_plan *p, const struct vmk_resource *ram,
			 unsigned int flags)
{
	const struct vmk_resource *d = vmk_resource_next(ram, ram);
	int ret;

	ret = vmk_kexec_add_ram(p, ram->start, end_excl(ram));
	if (ret)
		return ret;
	while (d) {
		if (vmk_resource_is_ram(d)) {
			if ((flags & VMK_KEXEC_KEEP_RUNNING_KERNEL) && is_kernel_image(d)) {
				ret = vmk_kexec_exclude(p, d->start, end_excl(d), VMK_KEXEC_EXCL_KERNEL,
							"%s (running kernel, kept)", d->name);
				if (ret)
					return ret;
				d = vmk_resource_next_skip(ram, d);
				continue;
			}
			/* Transparent: the running kernel's image, nested RAM. */
			d = vmk_resource_next(ram, d);
			continue;
		}
		ret = vmk_kexec_exclude(p, d->start, end_excl(d), vmk_kexec__kind_of_desc(d->desc),
					"%s (nested in System RAM)", d->name ? d->name : "<BAD>");
		if (ret)
			return ret;
		d = vmk_resource_next_skip(ram, d);
	}
	return 0;
}

int vmk_kexec_plan_from_resources(struct vmk_kexec_plan *p, const struct vmk_resource *root,
				  unsigned int flags)
{
	const struct vmk_resource *r = vmk_resource_next(root, root);
	int ret;

	while (r) {
		if (vmk_resource_is_ram(r)) {
			ret = scan_ram_root(p, r, flags);
			if (ret)
				return ret;
			r = vmk_resource_next_skip(root, r);
		} else if (vmk_resource_may_hold_ram(r)) {
			r = vmk_resource_next(root, r);
		} else {
			r = vmk_resource_next_skip(root, r);
		}
	}
	return 0;
}

int vmk_kexec_find_crash_regions(const struct vmk_resource *root, struct vmk_crash_region *cr)
{
	vmk_memset(cr, 0, sizeof(*cr));
	for (const struct vmk_resource *r = vmk_resource_next(root, root); r;
	     r = vmk_resource_next(root, r)) {
		struct vmk_range x;

		if (r->desc != VMK_RES_DESC_CRASH_KERNEL)
			continue;
		x.base = r->start;
		x.end = end_excl(r);
		/*
		 * The highest is main (Linux crashk_res, where kdump segments go):
		 * a low part is reserved only below a main region that is above
		 * the low limit, whatever the two sizes are.
		 */
		if (cr->main.end == cr->main.base || x.base >= cr->main.base) {
			cr->low = cr->main;
			cr->main = x;
		} else if (cr->low.end == cr->low.base || x.base > cr->low.base) {
			cr->low = x;
		}
	}
	return cr->main.end > cr->main.base ? 0 : -VMK_ENOENT;
}
