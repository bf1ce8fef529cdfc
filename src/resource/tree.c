/*
 * Tree surgery: request, insert, release, remove, and the iterators.
 * Semantics follow Linux kernel/resource.c; the code is written from the
 * documented behaviour, iteratively.
 */
#include <vmkit/platform.h>
#include <vmkit/resource.h>

struct vmk_resource *vmk_resource_next(const struct vmk_resource *root,
				       const struct vmk_resource *r)
{
	if (r->child)
		return r->child;
	return vmk_resource_next_skip(root, r);
}

struct vmk_resource *vmk_resource_next_skip(const struct vmk_resource *root,
					    const struct vmk_resource *r)
{
	while (r != root && !r->sibling)
		r = r->parent;
	return r == root ? NULL : r->sibling;
}

unsigned int vmk_resource_depth(const struct vmk_resource *r)
{
	unsigned int d = 0;

	VMK_ASSERT(r->parent, "resource: depth of an unlinked node");
	for (r = r->parent; r->parent; r = r->parent)
		d++;
	return d;
}

static int check_new(const struct vmk_resource *parent, const struct vmk_resource *new,
		     struct vmk_resource **conflict)
{
	if (new == parent || new->start > new->end || new->parent || new->child)
		return -VMK_EINVAL;
	if (new->start < parent->start || new->end > parent->end) {
		if (conflict)
			*conflict = (struct vmk_resource *)parent;
		return -VMK_ERANGE;
	}
	return 0;
}

/*
 * Find where [start, end] goes among parent's children: *link is the
 * pointer to patch, and the child there (if any) is the first one that
 * does not end before start.
 */
static struct vmk_resource **find_slot(struct vmk_resource *parent, vmk_paddr_t start)
{
	struct vmk_resource **pp = &parent->child;

	while (*pp && (*pp)->end < start)
		pp = &(*pp)->sibling;
	return pp;
}

int vmk_resource_request(struct vmk_resource *parent, struct vmk_resource *new,
			 struct vmk_resource **conflict)
{
	struct vmk_resource **pp;
	int err = check_new(parent, new, conflict);

	if (err)
		return err;
	pp = find_slot(parent, new->start);
	if (*pp && (*pp)->start <= new->end) {
		if (conflict)
			*conflict = *pp;
		return -VMK_EEXIST;
	}
	new->sibling = *pp;
	new->parent = parent;
	*pp = new;
	return 0;
}

int vmk_resource_insert(struct vmk_resource *parent, struct vmk_resource *new,
			struct vmk_resource **conflict)
{
	struct vmk_resource **pp, *first, *last, *c;
	int err = check_new(parent, new, conflict);

	if (err)
		return err;
	/* Descend while one child strictly contains new. */
	for (;;) {
		pp = find_slot(parent, new->start);
		first = *pp;
		if (!first || first->start > new->end) {
			new->sibling = first;
			new->parent = parent;
			*pp = new;
			return 0;
		}
		if (first->start <= new->start && first->end >= new->end &&
		    !(first->start == new->start && first->end == new->end)) {
			parent = first;
			continue;
		}
		break;
	}
	/*
	 * The children overlapping new, first .. last, must all lie inside it:
	 * new adopts them. One sticking out is the conflict.
	 */
	for (last = first;; last = last->sibling) {
		if (last->start < new->start || last->end > new->end) {
			if (conflict)
				*conflict = last;
			return -VMK_EEXIST;
		}
		if (!last->sibling || last->sibling->start > new->end)
			break;
	}
	new->parent = parent;
	new->child = first;
	new->sibling = last->sibling;
	last->sibling = NULL;
	for (c = first; c; c = c->sibling)
		c->parent = new;
	*pp = new;
	return 0;
}

static struct vmk_resource **link_of(struct vmk_resource *r)
{
	struct vmk_resource **pp = &r->parent->child;

	while (*pp != r) {
		VMK_VERIFY(*pp, "resource: node [%llx-%llx] missing from its parent's child list",
			   (unsigned long long)r->start, (unsigned long long)r->end);
		pp = &(*pp)->sibling;
	}
	return pp;
}

int vmk_resource_release(struct vmk_resource *r)
{
	if (!r->parent)
		return -VMK_EINVAL;
	if (r->child)
		return -VMK_EBUSY;
	*link_of(r) = r->sibling;
	r->parent = NULL;
	r->sibling = NULL;
	return 0;
}

int vmk_resource_remove(struct vmk_resource *r)
{
	struct vmk_resource **pp, *c;

	if (!r->parent)
		return -VMK_EINVAL;
	pp = link_of(r);
	if (!r->child) {
		*pp = r->sibling;
	} else {
		for (c = r->child;; c = c->sibling) {
			c->parent = r->parent;
			if (!c->sibling)
				break;
		}
		c->sibling = r->sibling;
		*pp = r->child;
	}
	r->parent = r->sibling = r->child = NULL;
	return 0;
}

struct vmk_resource *vmk_resource_lookup(const struct vmk_resource *root, vmk_paddr_t addr)
{
	const struct vmk_resource *p = root, *c;

	for (;;) {
		for (c = p->child; c && c->end < addr; c = c->sibling)
			;
		if (!c || c->start > addr)
			break;
		p = c;
	}
	return p == root ? NULL : (struct vmk_resource *)p;
}
