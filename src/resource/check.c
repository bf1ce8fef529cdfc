/* The structural invariants of a resource tree, checked with panics that name them. */
#include <vmkit/platform.h>
#include <vmkit/resource.h>

#define R(x) (unsigned long long)(x)->start, (unsigned long long)(x)->end, \
	((x)->name ? (x)->name : "<BAD>")

size_t vmk_resource_check(const struct vmk_resource *root)
{
	const struct vmk_resource *p, *c, *prev;
	size_t n = 0;

	VMK_VERIFY(root->start <= root->end, "resource: start <= end broken at root [%llx-%llx] %s",
		   R(root));
	/* Visit every node as a parent and check its child list. */
	for (p = root; p; p = vmk_resource_next(root, p)) {
		if (p != root)
			n++;
		prev = NULL;
		for (c = p->child; c; prev = c, c = c->sibling) {
			VMK_VERIFY(c->parent == p,
				   "resource: parent link broken: [%llx-%llx] %s under [%llx-%llx] %s",
				   R(c), R(p));
			VMK_VERIFY(c->start <= c->end, "resource: start <= end broken at [%llx-%llx] %s",
				   R(c));
			VMK_VERIFY(c->start >= p->start && c->end <= p->end,
				   "resource: child inside parent broken: [%llx-%llx] %s outside [%llx-%llx] %s",
				   R(c), R(p));
			VMK_VERIFY(!prev || prev->end < c->start,
				   "resource: siblings sorted and disjoint broken: [%llx-%llx] %s then [%llx-%llx] %s",
				   R(prev), R(c));
		}
	}
	return n;
}
