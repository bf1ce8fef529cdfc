/* The /proc/iomem view of a boot: firmware ranges, then nested reservations. */
#include <vmkit/boot.h>

static bool is_system_ram(const char *name)
{
	return vmk_strcmp(name, "System RAM") == 0;
}

static int add_top(struct vmk_resource *root, struct vmk_resource_pool *pool,
		   vmk_paddr_t start, vmk_paddr_t last, const char *name)
{
	uint32_t flags;
	int32_t desc;
	struct vmk_resource *r, *conflict;
	int err;

	vmk_resource_classify(name, vmk_strlen(name), VMK_RES_MEM, &flags, &desc);
	r = vmk_resource_alloc(pool, start, last, name, flags, desc);
	if (!r)
		return -VMK_ENOMEM;
	err = vmk_resource_request(root, r, &conflict);
	if (err) {
		vmk_resource_free(pool, r);
		return -VMK_EINVAL;
	}
	return 0;
}

int vmk_boot_resources_from_fwmap(struct vmk_resource *root, struct vmk_resource_pool *pool,
				  const struct vmk_fwmap *m)
{
	size_t i = 0;

	while (i < m->n) {
		const char *name = vmk_boot_resource_name(&m->e[i], m->format);
		vmk_paddr_t start = m->e[i].base;
		vmk_paddr_t last = m->e[i].base + (m->e[i].size - 1);
		size_t j = i + 1;
		int err;

		/* Coalesce touching entries that show under the same name. */
		while (j < m->n && m->e[j].base == last + 1 &&
		       vmk_strcmp(vmk_boot_resource_name(&m->e[j], m->format), name) == 0) {
			last = m->e[j].base + (m->e[j].size - 1);
			j++;
		}
		err = add_top(root, pool, start, last, name);
		if (err)
			return err;
		i = j;
	}
	return 0;
}

/* A child of parent [start, last] (inside it, between its existing children). */
static int add_child(struct vmk_resource *parent, struct vmk_resource_pool *pool,
		     vmk_paddr_t start, vmk_paddr_t last, const char *name, uint32_t flags,
		     int32_t desc)
{
	struct vmk_resource *r = vmk_resource_alloc(pool, start, last, name, flags, desc);
	struct vmk_resource *conflict;

	if (!r)
		return -VMK_ENOMEM;
	if (vmk_resource_request(parent, r, &conflict)) {
		vmk_resource_free(pool, r);
		return -VMK_EINVAL;	/* cannot happen: callers pass gaps */
	}
	return 0;
}

/* The top-level resource holding addr, or else the first one above it. */
static struct vmk_resource *top_at_or_above(struct vmk_resource *root, vmk_paddr_t addr)
{
	struct vmk_resource *c;

	for (c = root->child; c; c = c->sibling)
		if (c->end >= addr)
			return c;
	return NULL;
}

/*
 * Describe [b, e) inside System RAM resource top as "reserved" children,
 * leaving whatever its existing children (kernel image, crash kernel)
 * already describe.
 */
static int nest_reserved(struct vmk_resource *top, struct vmk_resource_pool *pool,
			 vmk_paddr_t b, vmk_paddr_t e)
{
	struct vmk_resource *c;
	vmk_paddr_t cur = b;
	int err;

	for (c = top->child; c && cur < e; c = c->sibling) {
		if (c->end < cur)
			continue;
		if (c->start >= e)
			break;
		if (c->start > cur) {
			err = add_child(top, pool, cur, c->start - 1, "reserved",
					VMK_RES_MEM | VMK_RES_BUSY, VMK_RES_DESC_RESERVED);
			if (err)
				return err;
		}
		cur = c->end + 1;
		if (cur == 0)
			return 0;	/* the child ends at the top of the address space */
	}
	if (cur < e)
		return add_child(top, pool, cur, e - 1, "reserved", VMK_RES_MEM | VMK_RES_BUSY,
				 VMK_RES_DESC_RESERVED);
	return 0;
}

int vmk_boot_resources_add_reserved(struct vmk_resource *root, struct vmk_resource_pool *pool,
				    const struct vmk_memblock *mb, vmk_paddr_t kernel_base,
				    vmk_size_t kernel_size)
{
	int err;

	if (kernel_size) {
		struct vmk_resource *top = top_at_or_above(root, kernel_base);

		if (top && is_system_ram(top->name) && top->start <= kernel_base &&
		    kernel_base + (kernel_size - 1) <= top->end) {
			err = add_child(top, pool, kernel_base, kernel_base + (kernel_size - 1),
					"Kernel image", VMK_RES_SYSTEM_RAM | VMK_RES_BUSY,
					VMK_RES_DESC_NONE);
			if (err)
				return err;
		}
	}
	for (size_t i = 0; i < mb->reserved.cnt; i++) {
		const struct vmk_memblock_region *r = &mb->reserved.regions[i];
		/*
		 * Whole pages, as Linux (PFN_DOWN/PFN_UP): a page partly reserved
		 * is not free for a loader. An earlier reservation's rounded end
		 * may cover this one's first page: nest_reserved() fills only gaps.
		 */
		vmk_paddr_t b = VMK_ALIGN_DOWN(r->base, VMK_PAGE_SIZE);
		vmk_paddr_t e = r->base + r->size;

		/* Rounding up would wrap only inside the last page: keep that end exact. */
		if (e <= VMK_PADDR_MAX - (VMK_PAGE_SIZE - 1))
			e = VMK_ALIGN_UP(e, VMK_PAGE_SIZE);

		/* A reservation may span several resources: nest each piece. */
		while (b < e) {
			struct vmk_resource *top = top_at_or_above(root, b);
			vmk_paddr_t piece_end;

			if (!top || top->start >= e)
				break;
			if (top->start > b)
				b = top->start;
			piece_end = top->end >= e - 1 ? e : top->end + 1;
			if (is_system_ram(top->name)) {
				err = nest_reserved(top, pool, b, piece_end);
				if (err)
					return err;
			}
			if (piece_end == e || top->end == VMK_PADDR_MAX)
				break;
			b = piece_end;
		}
	}
	return 0;
}
