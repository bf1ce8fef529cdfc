/*
 * Node pool and name arena: the only memory the resource tree uses, all of
 * it handed in by the caller.
 */
#include <vmkit/platform.h>
#include <vmkit/resource.h>

/* Descriptor of nodes on the free list: catches double frees and list corruption. */
#define FREE_MARK	((int32_t)0x5eedf4ee)

void vmk_resource_init(struct vmk_resource *r, vmk_paddr_t start, vmk_paddr_t end,
		       const char *name, uint32_t flags, int32_t desc)
{
	r->start = start;
	r->end = end;
	r->name = name;
	r->flags = flags;
	r->desc = desc;
	r->parent = r->sibling = r->child = NULL;
}

void vmk_iomem_root_init(struct vmk_resource *root)
{
	vmk_resource_init(root, 0, VMK_PADDR_MAX, "PCI mem", VMK_RES_MEM, VMK_RES_DESC_NONE);
}

void vmk_ioport_root_init(struct vmk_resource *root)
{
	vmk_resource_init(root, 0, 0xffff, "PCI IO", VMK_RES_IO, VMK_RES_DESC_NONE);
}

void vmk_resource_pool_init(struct vmk_resource_pool *pool, struct vmk_resource *nodes,
			    size_t n, char *names, size_t names_cap)
{
	size_t i;

	pool->nodes = nodes;
	pool->cap = n;
	pool->free = NULL;
	/* Build the free list so that nodes come out in array order. */
	for (i = n; i-- > 0;) {
		vmk_resource_init(&nodes[i], 0, 0, NULL, 0, FREE_MARK);
		nodes[i].sibling = pool->free;
		pool->free = &nodes[i];
	}
	pool->nfree = n;
	pool->names = names;
	pool->names_cap = names ? names_cap : 0;
	pool->names_used = 0;
}

static bool pool_owns(const struct vmk_resource_pool *pool, const struct vmk_resource *r)
{
	uintptr_t p = (uintptr_t)r, b = (uintptr_t)pool->nodes;

	return p >= b && p < b + pool->cap * sizeof(*r) &&
	       (p - b) % sizeof(*r) == 0;
}

struct vmk_resource *vmk_resource_alloc(struct vmk_resource_pool *pool, vmk_paddr_t start,
					vmk_paddr_t end, const char *name, uint32_t flags,
					int32_t desc)
{
	struct vmk_resource *r;

	if (vmk_fault("resource.alloc") || !pool->free)
		return NULL;
	r = pool->free;
	VMK_VERIFY(pool_owns(pool, r) && r->desc == FREE_MARK,
		   "resource: pool free list corrupted (node %p not free)", (void *)r);
	pool->free = r->sibling;
	pool->nfree--;
	vmk_resource_init(r, start, end, name, flags, desc);
	return r;
}

void vmk_resource_free(struct vmk_resource_pool *pool, struct vmk_resource *r)
{
	VMK_VERIFY(pool_owns(pool, r), "resource: freed node %p is not from this pool", (void *)r);
	VMK_VERIFY(!r->parent && !r->child,
		   "resource: freed node [%llx-%llx] must be detached and childless",
		   (unsigned long long)r->start, (unsigned long long)r->end);
	VMK_VERIFY(r->desc != FREE_MARK && pool->nfree < pool->cap,
		   "resource: double free of node %p", (void *)r);
	vmk_resource_init(r, 0, 0, NULL, 0, FREE_MARK);
	r->sibling = pool->free;
	pool->free = r;
	pool->nfree++;
}

void vmk_resource_free_tree(struct vmk_resource_pool *pool, struct vmk_resource *r)
{
	struct vmk_resource *p, *next;

	if (r->parent) {
		/* Detach without lifting the children: they go with r. */
		struct vmk_resource **pp = &r->parent->child;

		while (*pp != r) {
			VMK_VERIFY(*pp, "resource: node missing from its parent's child list");
			pp = &(*pp)->sibling;
		}
		*pp = r->sibling;
		r->parent = NULL;
		r->sibling = NULL;
	}
	/*
	 * Free the descendants post-order without recursion: go down to a
	 * leaf, unlink it from its parent's head, free it, repeat.
	 */
	p = r->child;
	while (p) {
		if (p->child) {
			p = p->child;
			continue;
		}
		next = p->sibling ? p->sibling : p->parent;
		p->parent->child = p->sibling;
		p->parent = NULL;
		p->sibling = NULL;
		vmk_resource_free(pool, p);
		p = next == r ? NULL : next;
	}
	r->child = NULL;
	if (pool_owns(pool, r))
		vmk_resource_free(pool, r);
}

const char *vmk_resource_pool_strdup(struct vmk_resource_pool *pool, const char *s, size_t len)
{
	char *d;

	if (len > VMK_RESOURCE_NAME_MAX)
		return NULL;
	if (vmk_fault("resource.name"))
		return NULL;
	if (pool->names_cap - pool->names_used < len + 1)
		return NULL;
	d = pool->names + pool->names_used;
	vmk_memcpy(d, s, len);
	d[len] = '\0';
	pool->names_used += len + 1;
	return d;
}

void vmk_resource_pool_names_reset(struct vmk_resource_pool *pool, size_t mark)
{
	VMK_VERIFY(mark <= pool->names_used, "resource: name arena mark beyond fill level");
	pool->names_used = mark;
}
