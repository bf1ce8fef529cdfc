/*
 * The usable-RAM walk: System RAM minus what is nested in it and must not
 * be overwritten, i.e. the memory a kexec loader may place segments in.
 * Why nested entries matter: arm64 publishes firmware reservations (EFI
 * memory map, ACPI tables) only as "reserved" children of System RAM, and
 * kexec-tools that read the first level only overwrote them.
 */
#include <vmkit/platform.h>

#include "internal.h"

bool vmk_resource_is_ram(const struct vmk_resource *r)
{
	return (r->flags & VMK_RES_SYSRAM) && !(r->flags & VMK_RES_SYSRAM_DRIVER_MANAGED) &&
	       r->desc == VMK_RES_DESC_NONE;
}

bool vmk_resource_may_hold_ram(const struct vmk_resource *r)
{
	/* A CXL window holds the regions carved from it; other descriptors own their range. */
	return !(r->flags & VMK_RES_SYSRAM) &&
	       (r->desc == VMK_RES_DESC_NONE || r->desc == VMK_RES_DESC_CXL);
}

/*
 * Walk the descendants of ram in pre-order, looking into transparent (RAM)
 * ones and cutting out the others. Excluded ranges come out sorted and
 * disjoint, so one cursor suffices. Nodes inside an excluded subtree are
 * still stepped over one by one, to keep pos exact.
 */
int vmk_resource__ram_pieces(const struct vmk_resource *ram, vmk_resource__piece_fn fn, void *arg)
{
	const struct vmk_resource *d, *skip_to = NULL;
	vmk_paddr_t cur = ram->start;
	bool done = false;	/* cur passed the top of the address space */
	size_t pos = 0;
	int ret;

	for (d = vmk_resource_next(ram, ram); d; d = vmk_resource_next(ram, d)) {
		pos++;
		if (skip_to) {
			if (d != skip_to)
				continue;
			skip_to = NULL;
		}
		if (vmk_resource_is_ram(d))
			continue;
		VMK_ASSERT(d->start >= cur, "resource: siblings sorted and disjoint (usable walk)");
		if (d->start > cur) {
			ret = fn(arg, cur, d->start - 1, NULL, 0);
			if (ret)
				return ret;
		}
		ret = fn(arg, d->start, d->end, d, pos);
		if (ret)
			return ret;
		if (d->end == VMK_PADDR_MAX) {
			done = true;
			break;
		}
		cur = d->end + 1;
		skip_to = vmk_resource_next_skip(ram, d);
		if (!skip_to)
			break;
	}
	if (!done && cur <= ram->end)
		return fn(arg, cur, ram->end, NULL, 0);
	return 0;
}

struct usable_walk {
	vmk_paddr_t lo, hi;		/* the caller's window */
	const struct vmk_resource *ram;
	vmk_resource_walk_fn fn;
	void *arg;
};

static int usable_piece(void *arg, vmk_paddr_t s, vmk_paddr_t e, const struct vmk_resource *ex,
			size_t pos)
{
	const struct usable_walk *w = arg;

	(void)pos;
	if (ex)
		return 0;
	s = VMK_MAX(s, w->lo);
	e = VMK_MIN(e, w->hi);
	if (s > e)
		return 0;
	return w->fn(w->arg, s, e, w->ram);
}

int vmk_resource_walk_usable_ram(const struct vmk_resource *root, vmk_paddr_t start,
				 vmk_paddr_t end, vmk_resource_walk_fn fn, void *arg)
{
	struct usable_walk w = { start, end, NULL, fn, arg };
	const struct vmk_resource *r;
	int ret;

	if (start > end)
		return -VMK_EINVAL;
	r = vmk_resource_next(root, root);
	while (r) {
		if (r->start > end)
			break;
		if (r->end < start) {
			r = vmk_resource_next_skip(root, r);
		} else if (vmk_resource_is_ram(r)) {
			w.ram = r;
			ret = vmk_resource__ram_pieces(r, usable_piece, &w);
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
