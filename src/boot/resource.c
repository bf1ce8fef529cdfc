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

/* Insert [start, last] named name under the System RAM resource holding it. */
static int add_child(struct vmk_resource *root, struct vmk_resource_pool *pool,
		     vmk_paddr_t start, vmk_paddr_t last, const char *name, uint32_t flags,
		     int32_t desc)
{
	struct vmk_resource *parent = vmk_resource_lookup(root, start);
	struct vmk_resource *r, *conflict;

	while (parent && parent->parent != root)
		parent = parent->parent;
	if (!parent || !is_system_ram(parent->name) || last > parent->end)
		return 0;	/* not inside one System RAM resource: nothing to nest */
	r = vmk_resource_alloc(pool, start, last, name, flags, desc);
	if (!r)
		return -VMK_ENOMEM;
	if (vmk_resource_insert(parent, r, &conflict)) {
		vmk_resource_free(pool, r);
		return 0;	/* overlaps an existing child: that one already says it */
	}
	return 0;
}

int vmk_boot_resources_add_reserved(struct vmk_resource *root, struct vmk_resource_pool *pool,
				    const struct vmk_memblock *mb, vmk_paddr_t kernel_base,
				    vmk_size_t kernel_size)
{
	vmk_paddr_t kend = kernel_base + kernel_size;
	int err;

	if (kernel_size) {
		err = add_child(root, pool, kernel_base, kend - 1, "Kernel image",
				VMK_RES_SYSTEM_RAM | VMK_RES_BUSY, VMK_RES_DESC_NONE);
		if (err)
			return err;
	}
	for (size_t i = 0; i < mb->reserved.cnt; i++) {
		const struct vmk_memblock_region *r = &mb->reserved.regions[i];
		vmk_paddr_t b = r->base, e = r->base + r->size;

		/* The kernel image was named above; name what is around it. */
		if (kernel_size && b < kend && kernel_base < e) {
			if (b < kernel_base) {
				err = add_child(root, pool, b, kernel_base - 1, "reserved",
						VMK_RES_MEM | VMK_RES_BUSY, VMK_RES_DESC_RESERVED);
				if (err)
					return err;
			}
			b = kend;
			if (b >= e)
				continue;
		}
		/* A reservation may span several resources: nest each piece. */
		while (b < e) {
			struct vmk_resource *top = vmk_resource_lookup(root, b);
			vmk_paddr_t piece_end = e;

			while (top && top->parent != root)
				top = top->parent;
			if (top && top->end < e - 1)
				piece_end = top->end + 1;
			else if (!top) {
				/* b is in no resource: skip to the next one above it. */
				const struct vmk_resource *c = root->child;

				while (c && c->start <= b)
					c = c->sibling;
				if (!c || c->start >= e)
					break;
				b = c->start;
				continue;
			}
			err = add_child(root, pool, b, piece_end - 1, "reserved",
					VMK_RES_MEM | VMK_RES_BUSY, VMK_RES_DESC_RESERVED);
			if (err)
				return err;
			b = piece_end;
		}
	}
	return 0;
}
