/* Walks by flags and descriptor (Linux walk_iomem_res_desc and friends). */
#include <vmkit/resource.h>

static bool matches(const struct vmk_resource *r, uint32_t flags, int32_t desc)
{
	return (r->flags & flags) == flags && (desc == VMK_RES_DESC_ANY || r->desc == desc);
}

int vmk_resource_walk(const struct vmk_resource *root, vmk_paddr_t start, vmk_paddr_t end,
		      uint32_t flags, int32_t desc, vmk_resource_walk_fn fn, void *arg)
{
	const struct vmk_resource *r;
	int ret;

	if (start > end)
		return -VMK_EINVAL;
	r = vmk_resource_next(root, root);
	while (r) {
		if (r->start > end)
			break;
		if (r->end < start) {
			/* Nothing inside r reaches the window either. */
			r = vmk_resource_next_skip(root, r);
			continue;
		}
		if (!matches(r, flags, desc)) {
			r = vmk_resource_next(root, r);
			continue;
		}
		ret = fn(arg, VMK_MAX(r->start, start), VMK_MIN(r->end, end), r);
		if (ret)
			return ret;
		/* A match hides the matches nested inside it. */
		r = vmk_resource_next_skip(root, r);
	}
	return 0;
}

int vmk_resource_walk_system_ram(const struct vmk_resource *root, vmk_paddr_t start,
				 vmk_paddr_t end, vmk_resource_walk_fn fn, void *arg)
{
	return vmk_resource_walk(root, start, end, VMK_RES_SYSTEM_RAM | VMK_RES_BUSY,
				 VMK_RES_DESC_ANY, fn, arg);
}
