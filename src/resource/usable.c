/*
 * The usable-RAM walk: System RAM minus what is nested in it and must not
 * be overwritten, i.e. the memory a kexec loader may place segments in.
 * Why nested entries matter: arm64 publishes firmware reservations (EFI
 * memory map, ACPI tables) only as "reserved" children of System RAM, and
 * kexec-tools that read the first level only overwrote them.
 */
#include <vmkit/resource.h>

bool vmk_resource_is_ram(const struct vmk_resource *r)
{
	return (r->flags & VMK_RES_SYSRAM) && !(r->flags & VMK_RES_SYSRAM_DRIVER_MANAGED) &&
	       r->desc == VMK_RES_DESC_NONE;
}

/* A plain container (bus window, device) may hold RAM roots; descriptors may not. */
static bool may_hold_ram(const struct vmk_resource *r)
{
	return !(r->flags & VMK_RES_SYSRAM) && r->desc == VMK_RES_DESC_NONE;
}

struct usable_walk {
	vmk_paddr_t lo, hi;		/* the caller's window */
	vmk_resource_walk_fn fn;
	void *arg;
};

static int emit(const struct usable_walk *w, const struct vmk_resource *ram,
		vmk_paddr_t s, vmk_paddr_t e)
{
	s = VMK_MAX(s, w->lo);
	e = VMK_MIN(e, w->hi);
	if (s > e)
		return 0;
	return w->fn(w->arg, s, e, ram);
}

/*
 * Emit the usable pieces of RAM root 'ram': walk its descendants in address
 * order, looking into transparent (RAM) ones, cutting out the others. The
 * excluded ranges come out sorted and disjoint, so one cursor suffices.
 */
static int walk_root(const struct usable_walk *w, const struct vmk_resource *ram)
{
	const struct vmk_resource *d = ram->child;
	vmk_paddr_t cur = ram->start;
	bool done = false;		/* cur passed the top of the address space */
	int ret;

	while (d && !done) {
		if (vmk_resource_is_ram(d)) {
			d = vmk_resource_next(ram, d);
			continue;
		}
		if (d->start > cur) {
			ret = emit(w, ram, cur, d->start - 1);
			if (ret)
				return ret;
		}
		if (d->end == VMK_PADDR_MAX)
			done = true;
		else
			cur = VMK_MAX(cur, d->end + 1);
		d = vmk_resource_next_skip(ram, d);
	}
	if (!done && cur <= ram->end)
		return emit(w, ram, cur, ram->end);
	return 0;
}

int vmk_resource_walk_usable_ram(const struct vmk_resource *root, vmk_paddr_t start,
				 vmk_paddr_t end, vmk_resource_walk_fn fn, void *arg)
{
	struct usable_walk w = { start, end, fn, arg };
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
			ret = walk_root(&w, r);
			if (ret)
				return ret;
			r = vmk_resource_next_skip(root, r);
		} else if (may_hold_ram(r)) {
			r = vmk_resource_next(root, r);
		} else {
			r = vmk_resource_next_skip(root, r);
		}
	}
	return 0;
}
