/* Helpers shared by the resource tests (static: each test binary gets its own copy). */
#ifndef VMKIT_TEST_RESOURCE_TH_H
#define VMKIT_TEST_RESOURCE_TH_H

#include "harness.h"
#include <vmkit/resource.h>

#define RT_NODES	4096
#define RT_NAMES	(256 * 1024)

/* A tree with its own pool; tests allocate these statically or on the heap. */
struct rt {
	struct vmk_resource root;
	struct vmk_resource_pool pool;
	struct vmk_resource nodes[RT_NODES];
	char names[RT_NAMES];
};

static inline struct rt *rt_new(void)
{
	struct rt *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	vmk_iomem_root_init(&t->root);
	vmk_resource_pool_init(&t->pool, t->nodes, RT_NODES, t->names, RT_NAMES);
	return t;
}

static inline void rt_free(struct rt *t)
{
	vmk_resource_free_tree(&t->pool, &t->root);
	assert_int_equal(t->pool.nfree, RT_NODES);
	free(t);
}

static inline void rt_out_write(void *arg, const char *s, size_t n)
{
	struct { char *buf; size_t len, cap; } *b = arg;

	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->buf = realloc(b->buf, b->cap);
		assert_non_null(b->buf);
	}
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

/* Render the tree under root to a malloc'd string (iomem text or JSON). */
static inline char *rt_render_as(const struct vmk_resource *root, bool json)
{
	struct { char *buf; size_t len, cap; } b = { NULL, 0, 0 };
	struct vmk_out out = { rt_out_write, &b, 0 };

	rt_out_write(&b, "", 0);
	if (json)
		vmk_resource_render_json(root, &out);
	else
		vmk_resource_render(root, &out);
	return b.buf;
}

static inline char *rt_render(const struct vmk_resource *root)
{
	return rt_render_as(root, false);
}

/* Parse text (which must be well formed) into t. */
static inline void rt_parse(struct rt *t, const char *text)
{
	struct vmk_resource_error err;
	int ret = vmk_resource_parse(&t->root, &t->pool, text, strlen(text), &err);

	if (ret)
		fail_msg("parse failed (%d) at line %u: %s", ret, err.line, err.msg);
	vmk_resource_check(&t->root);
}

/* Assert that the tree renders to exactly want. */
#define rt_assert_tree(root, want) do {					\
	char *rt__s = rt_render(root);					\
	if (strcmp(rt__s, (want)) != 0)					\
		fail_msg("tree is\n%s\nwant\n%s", rt__s, (want));	\
	free(rt__s);							\
} while (0)

/* The first resource (pre-order) under root named name, or NULL. */
static inline struct vmk_resource *rt_find(const struct vmk_resource *root, const char *name)
{
	struct vmk_resource *r;

	for (r = vmk_resource_next(root, root); r; r = vmk_resource_next(root, r))
		if (r->name && !strcmp(r->name, name))
			return r;
	return NULL;
}

/* Collects walk results as [start, end] pairs. */
struct rt_ranges {
	uint64_t s[256], e[256];
	const struct vmk_resource *res[256];
	int n;
	int stop_after;		/* return 7 from the callback after this many (0: never) */
};

static inline int rt_collect(void *arg, vmk_paddr_t start, vmk_paddr_t end,
			     const struct vmk_resource *res)
{
	struct rt_ranges *r = arg;

	assert_true(r->n < 256);
	assert_true(start <= end);
	r->s[r->n] = start;
	r->e[r->n] = end;
	r->res[r->n] = res;
	r->n++;
	return (r->stop_after && r->n == r->stop_after) ? 7 : 0;
}

#endif
