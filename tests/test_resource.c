/* Tests of the resource tree operations, pool, walks and classification. */
#include "resource_th.h"

static void test_init_roots(void **state)
{
	struct vmk_resource r;

	(void)state;
	vmk_iomem_root_init(&r);
	assert_true(r.start == 0 && r.end == UINT64_MAX);
	assert_int_equal(r.flags, VMK_RES_MEM);
	assert_string_equal(r.name, "PCI mem");
	assert_null(r.parent);
	assert_null(r.child);
	assert_true(vmk_resource_size(&r) == 0);	/* 2^64 wraps to 0, as documented */
	vmk_ioport_root_init(&r);
	assert_true(r.end == 0xffff);
	assert_int_equal(r.flags, VMK_RES_IO);
	vmk_resource_init(&r, 0x1000, 0x1fff, "x", VMK_RES_MEM | VMK_RES_BUSY, VMK_RES_DESC_RESERVED);
	assert_true(vmk_resource_size(&r) == 0x1000);
	assert_int_equal(r.desc, VMK_RES_DESC_RESERVED);
	assert_false(vmk_resource_linked(&r));
}

static void test_pool(void **state)
{
	struct vmk_resource nodes[3], *a, *b, *c, foreign;
	struct vmk_resource_pool pool;

	(void)state;
	vmk_resource_pool_init(&pool, nodes, 3, NULL, 0);
	a = vmk_resource_alloc(&pool, 1, 2, "a", VMK_RES_MEM, VMK_RES_DESC_NONE);
	b = vmk_resource_alloc(&pool, 3, 4, "b", VMK_RES_MEM, VMK_RES_DESC_NONE);
	c = vmk_resource_alloc(&pool, 5, 6, "c", VMK_RES_MEM, VMK_RES_DESC_NONE);
	assert_true(a == &nodes[0] && b == &nodes[1] && c == &nodes[2]);
	assert_true(a->start == 1 && a->end == 2 && !strcmp(a->name, "a"));
	assert_null(a->parent);
	assert_int_equal(pool.nfree, 0);
	assert_null(vmk_resource_alloc(&pool, 7, 8, "d", 0, 0));
	vmk_resource_free(&pool, b);
	assert_int_equal(pool.nfree, 1);
	assert_true(vmk_resource_alloc(&pool, 7, 8, "d", 0, 0) == b);

	/* Injected failure: NULL, pool untouched. */
	vmk_resource_free(&pool, c);
	vmk_sim_fail_nth(0, "resource.alloc", false);
	assert_null(vmk_resource_alloc(&pool, 1, 1, "x", 0, 0));
	vmk_sim_fail_off();
	assert_int_equal(pool.nfree, 1);

	/* Misuse panics naming what is wrong. */
	vmk_resource_init(&foreign, 0, 0, "f", 0, 0);
	assert_panics(vmk_resource_free(&pool, &foreign), "not from this pool");
	assert_panics(vmk_resource_free(&pool, c), "double free");
	a->parent = b;
	assert_panics(vmk_resource_free(&pool, a), "detached and childless");
	a->parent = NULL;
	vmk_resource_free(&pool, a);
	vmk_resource_free(&pool, b);
	assert_int_equal(pool.nfree, 3);
}

static void test_pool_names(void **state)
{
	struct vmk_resource nodes[1];
	struct vmk_resource_pool pool;
	char names[16], big[VMK_RESOURCE_NAME_MAX + 2];
	const char *s1, *s2;
	size_t mark;

	(void)state;
	vmk_resource_pool_init(&pool, nodes, 1, names, sizeof(names));
	s1 = vmk_resource_pool_strdup(&pool, "System RAMxx", 10);
	assert_string_equal(s1, "System RAM");
	assert_int_equal(vmk_resource_pool_names_mark(&pool), 11);
	mark = vmk_resource_pool_names_mark(&pool);
	/* 5 bytes left: "abcd" + NUL fits exactly, then nothing does. */
	s2 = vmk_resource_pool_strdup(&pool, "abcd", 4);
	assert_string_equal(s2, "abcd");
	assert_null(vmk_resource_pool_strdup(&pool, "", 0));
	vmk_resource_pool_names_reset(&pool, mark);
	assert_int_equal(pool.names_used, 11);
	assert_non_null(vmk_resource_pool_strdup(&pool, "", 0));
	assert_panics(vmk_resource_pool_names_reset(&pool, 13), "mark beyond");

	/* Injected failure. */
	vmk_resource_pool_names_reset(&pool, 0);
	vmk_sim_fail_nth(0, "resource.name", false);
	assert_null(vmk_resource_pool_strdup(&pool, "a", 1));
	vmk_sim_fail_off();
	assert_int_equal(pool.names_used, 0);

	/* Too long is refused, never cut, even with room. */
	{
		static char arena[4096];

		vmk_resource_pool_init(&pool, nodes, 1, arena, sizeof(arena));
		memset(big, 'n', sizeof(big));
		assert_null(vmk_resource_pool_strdup(&pool, big, VMK_RESOURCE_NAME_MAX + 1));
		assert_int_equal(pool.names_used, 0);
		s1 = vmk_resource_pool_strdup(&pool, big, VMK_RESOURCE_NAME_MAX);
		assert_non_null(s1);
		assert_int_equal(strlen(s1), VMK_RESOURCE_NAME_MAX);
	}
	/* No arena at all. */
	vmk_resource_pool_init(&pool, nodes, 1, NULL, 100);
	assert_null(vmk_resource_pool_strdup(&pool, "a", 1));
}

static void test_request(void **state)
{
	struct rt *t = rt_new();
	struct vmk_resource a, b, c, d, e, bad, *conflict;
	struct vmk_resource *root = &t->root;

	(void)state;
	vmk_resource_init(&a, 0x2000, 0x2fff, "a", VMK_RES_MEM, 0);
	vmk_resource_init(&b, 0x1000, 0x1fff, "b", VMK_RES_MEM, 0);
	vmk_resource_init(&c, 0x4000, 0x4fff, "c", VMK_RES_MEM, 0);
	assert_int_equal(vmk_resource_request(root, &a, NULL), 0);
	assert_int_equal(vmk_resource_request(root, &c, NULL), 0);
	assert_int_equal(vmk_resource_request(root, &b, NULL), 0);	/* lands first */
	rt_assert_tree(root, "00001000-00001fff : b\n00002000-00002fff : a\n00004000-00004fff : c\n");
	assert_true(a.parent == root && root->child == &b && b.sibling == &a && a.sibling == &c);

	/* A child of a, then a conflict at a's level even though it would fit in a. */
	vmk_resource_init(&d, 0x2100, 0x21ff, "d", VMK_RES_MEM, 0);
	assert_int_equal(vmk_resource_request(&a, &d, NULL), 0);
	vmk_resource_init(&e, 0x2200, 0x22ff, "e", VMK_RES_MEM, 0);
	conflict = NULL;
	assert_int_equal(vmk_resource_request(root, &e, &conflict), -VMK_EEXIST);
	assert_ptr_equal(conflict, &a);
	assert_false(vmk_resource_linked(&e));

	/* Overlapping two siblings: the lowest one is the conflict. */
	vmk_resource_init(&e, 0x1800, 0x40ff, "e", VMK_RES_MEM, 0);
	assert_int_equal(vmk_resource_request(root, &e, &conflict), -VMK_EEXIST);
	assert_ptr_equal(conflict, &b);
	/* Touching but not overlapping is fine: inclusive ends. */
	vmk_resource_init(&e, 0x3000, 0x3fff, "e", VMK_RES_MEM, 0);
	assert_int_equal(vmk_resource_request(root, &e, &conflict), 0);
	rt_assert_tree(root, "00001000-00001fff : b\n00002000-00002fff : a\n  00002100-000021ff : d\n"
			     "00003000-00003fff : e\n00004000-00004fff : c\n");

	/* Outside the parent: -ERANGE with the parent as conflict. */
	vmk_resource_init(&bad, 0x20ff, 0x2100, "bad", VMK_RES_MEM, 0);
	assert_int_equal(vmk_resource_request(&d, &bad, &conflict), -VMK_ERANGE);
	assert_ptr_equal(conflict, &d);
	vmk_resource_init(&bad, 0x21ff, 0x2200, "bad", VMK_RES_MEM, 0);
	assert_int_equal(vmk_resource_request(&d, &bad, &conflict), -VMK_ERANGE);
	/* Invalid: start > end, already linked, has children, new == parent. */
	vmk_resource_init(&bad, 0x9000, 0x8fff, "bad", VMK_RES_MEM, 0);
	assert_int_equal(vmk_resource_request(root, &bad, &conflict), -VMK_EINVAL);
	assert_int_equal(vmk_resource_request(root, &a, &conflict), -VMK_EINVAL);
	vmk_resource_init(&bad, 0x9000, 0x9fff, "bad", VMK_RES_MEM, 0);
	bad.child = &e;
	assert_int_equal(vmk_resource_request(root, &bad, &conflict), -VMK_EINVAL);
	assert_int_equal(vmk_resource_request(&bad, &bad, &conflict), -VMK_EINVAL);
	assert_int_equal(vmk_resource_check(root), 5);

	/* The very top of the address space is usable. */
	vmk_resource_init(&bad, 0xffffffffffff0000ull, UINT64_MAX, "top", VMK_RES_MEM, 0);
	assert_int_equal(vmk_resource_request(root, &bad, NULL), 0);
	assert_ptr_equal(c.sibling, &bad);
	assert_int_equal(vmk_resource_check(root), 6);
	free(t);
}

static void test_insert(void **state)
{
	struct rt *t = rt_new();
	struct vmk_resource *root = &t->root, n1, n2, n3, n4, n5, *conflict;

	(void)state;
	rt_parse(t, "00001000-00001fff : a\n"
		    "00002000-00002fff : b\n"
		    "  00002100-000021ff : b1\n"
		    "  00002800-00002fff : b2\n"
		    "00004000-00004fff : c\n"
		    "00006000-00006fff : d\n");
	/* Adopts the run of siblings it covers: c and d, not a or b. */
	vmk_resource_init(&n1, 0x3000, 0x6fff, "n1", VMK_RES_MEM, 0);
	assert_int_equal(vmk_resource_insert(root, &n1, &conflict), 0);
	rt_assert_tree(root, "00001000-00001fff : a\n"
			     "00002000-00002fff : b\n"
			     "  00002100-000021ff : b1\n"
			     "  00002800-00002fff : b2\n"
			     "00003000-00006fff : n1\n"
			     "  00004000-00004fff : c\n"
			     "  00006000-00006fff : d\n");
	assert_ptr_equal(rt_find(root, "c")->parent, &n1);

	/* Descends into b (which strictly contains it) and adopts b2 there. */
	vmk_resource_init(&n2, 0x2400, 0x2fff, "n2", VMK_RES_MEM, 0);
	assert_int_equal(vmk_resource_insert(root, &n2, &conflict), 0);
	assert_ptr_equal(n2.parent, rt_find(root, "b"));
	assert_ptr_equal(rt_find(root, "b2")->parent, &n2);

	/* Equal range: the new resource goes above the old one. */
	vmk_resource_init(&n3, 0x1000, 0x1fff, "n3", VMK_RES_MEM, 0);
	assert_int_equal(vmk_resource_insert(root, &n3, &conflict), 0);
	assert_ptr_equal(rt_find(root, "a")->parent, &n3);
	assert_ptr_equal(n3.parent, root);

	/* Partial overlap with c inside n1: conflict is c, nothing changes. */
	{
		char *before = rt_render(root);

		vmk_resource_init(&n4, 0x3800, 0x47ff, "n4", VMK_RES_MEM, 0);
		assert_int_equal(vmk_resource_insert(root, &n4, &conflict), -VMK_EEXIST);
		assert_ptr_equal(conflict, rt_find(root, "c"));
		/* Covers d fully but c partly: the conflict is c, the first sticking out. */
		vmk_resource_init(&n4, 0x4800, 0x6fff, "n4", VMK_RES_MEM, 0);
		assert_int_equal(vmk_resource_insert(root, &n4, &conflict), -VMK_EEXIST);
		assert_ptr_equal(conflict, rt_find(root, "c"));
		/* Crossing a top-level boundary. */
		vmk_resource_init(&n4, 0x1800, 0x27ff, "n4", VMK_RES_MEM, 0);
		assert_int_equal(vmk_resource_insert(root, &n4, &conflict), -VMK_EEXIST);
		assert_ptr_equal(conflict, &n3);
		rt_assert_tree(root, before);
		free(before);
		assert_false(vmk_resource_linked(&n4));
		assert_null(n4.child);
	}
	/* Into a gap deep down: no adoption, becomes a leaf. */
	vmk_resource_init(&n5, 0x5000, 0x5fff, "n5", VMK_RES_MEM, 0);
	assert_int_equal(vmk_resource_insert(root, &n5, &conflict), 0);
	assert_ptr_equal(n5.parent, &n1);
	assert_null(n5.child);
	rt_assert_tree(root, "00001000-00001fff : n3\n"
			     "  00001000-00001fff : a\n"
			     "00002000-00002fff : b\n"
			     "  00002100-000021ff : b1\n"
			     "  00002400-00002fff : n2\n"
			     "    00002800-00002fff : b2\n"
			     "00003000-00006fff : n1\n"
			     "  00004000-00004fff : c\n"
			     "  00005000-00005fff : n5\n"
			     "  00006000-00006fff : d\n");
	/* Errors shared with request. */
	vmk_resource_init(&n4, 2, 1, "n4", VMK_RES_MEM, 0);
	assert_int_equal(vmk_resource_insert(root, &n4, &conflict), -VMK_EINVAL);
	assert_int_equal(vmk_resource_insert(root, &n5, &conflict), -VMK_EINVAL);
	vmk_resource_init(&n4, 0x2000, 0x3000, "n4", VMK_RES_MEM, 0);
	assert_int_equal(vmk_resource_insert(&n2, &n4, &conflict), -VMK_ERANGE);
	assert_ptr_equal(conflict, &n2);
	assert_int_equal(vmk_resource_check(root), 10);

	/* Remove undoes insert: the children return to their grandparent in place. */
	assert_int_equal(vmk_resource_remove(&n1), 0);
	assert_int_equal(vmk_resource_remove(&n2), 0);
	assert_int_equal(vmk_resource_remove(&n3), 0);
	assert_int_equal(vmk_resource_remove(&n5), 0);	/* a leaf */
	assert_int_equal(vmk_resource_remove(&n5), -VMK_EINVAL);
	assert_null(n1.parent);
	assert_null(n1.child);
	assert_null(n1.sibling);
	rt_assert_tree(root, "00001000-00001fff : a\n"
			     "00002000-00002fff : b\n"
			     "  00002100-000021ff : b1\n"
			     "  00002800-00002fff : b2\n"
			     "00004000-00004fff : c\n"
			     "00006000-00006fff : d\n");
	vmk_resource_check(root);
	rt_free(t);
}

static void test_release(void **state)
{
	struct rt *t = rt_new();
	struct vmk_resource *root = &t->root, *b, *b1, *x;

	(void)state;
	rt_parse(t, "00001000-00001fff : a\n"
		    "00002000-00002fff : b\n"
		    "  00002100-000021ff : b1\n"
		    "00004000-00004fff : c\n");
	b = rt_find(root, "b");
	b1 = rt_find(root, "b1");
	assert_int_equal(vmk_resource_release(b), -VMK_EBUSY);
	assert_int_equal(vmk_resource_release(root), -VMK_EINVAL);
	assert_int_equal(vmk_resource_release(b1), 0);
	assert_null(b1->parent);
	assert_null(b->child);
	assert_int_equal(vmk_resource_release(b1), -VMK_EINVAL);
	assert_int_equal(vmk_resource_release(b), 0);
	rt_assert_tree(root, "00001000-00001fff : a\n00004000-00004fff : c\n");
	vmk_resource_free(&t->pool, b1);
	vmk_resource_free(&t->pool, b);
	/* First and last children. */
	assert_int_equal(vmk_resource_release(rt_find(root, "a")), 0);
	x = rt_find(root, "c");
	assert_int_equal(vmk_resource_release(x), 0);
	assert_null(root->child);
	/* A corrupted parent link is caught, not followed into the void. */
	{
		struct vmk_resource p, q;

		vmk_resource_init(&p, 0, 10, "p", 0, 0);
		vmk_resource_init(&q, 1, 2, "q", 0, 0);
		q.parent = &p;
		assert_panics(vmk_resource_release(&q), "missing from its parent");
	}
	free(t);
}

static void test_free_tree(void **state)
{
	struct rt *t = rt_new();
	struct vmk_resource *b;

	(void)state;
	rt_parse(t, "00001000-00001fff : a\n"
		    "00002000-00002fff : b\n"
		    "  00002100-000021ff : b1\n"
		    "    00002100-0000211f : b11\n"
		    "    00002120-0000213f : b12\n"
		    "  00002200-000022ff : b2\n"
		    "00004000-00004fff : c\n");
	assert_int_equal(t->pool.nfree, RT_NODES - 7);
	b = rt_find(&t->root, "b");
	vmk_resource_free_tree(&t->pool, b);
	assert_int_equal(t->pool.nfree, RT_NODES - 2);
	rt_assert_tree(&t->root, "00001000-00001fff : a\n00004000-00004fff : c\n");
	rt_free(t);	/* frees the rest, checks the pool is full */
}

static void test_lookup_and_iterate(void **state)
{
	struct rt *t = rt_new();
	struct vmk_resource *root = &t->root, *r;
	const char *order[] = { "a", "a1", "a11", "a12", "a2", "b", "top" };
	unsigned int depths[] = { 0, 1, 2, 2, 1, 0, 0 };
	int i = 0;

	(void)state;
	rt_parse(t, "00001000-00008fff : a\n"
		    "  00001000-00001fff : a1\n"
		    "    00001000-000010ff : a11\n"
		    "    00001800-00001fff : a12\n"
		    "  00004000-00004fff : a2\n"
		    "100000000-1ffffffff : b\n"
		    "ffffffffff000000-ffffffffffffffff : top\n");
	assert_string_equal(vmk_resource_lookup(root, 0x1000)->name, "a11");
	assert_string_equal(vmk_resource_lookup(root, 0x10ff)->name, "a11");
	assert_string_equal(vmk_resource_lookup(root, 0x1100)->name, "a1");
	assert_string_equal(vmk_resource_lookup(root, 0x1fff)->name, "a12");
	assert_string_equal(vmk_resource_lookup(root, 0x2000)->name, "a");
	assert_string_equal(vmk_resource_lookup(root, 0x8fff)->name, "a");
	assert_null(vmk_resource_lookup(root, 0x9000));
	assert_null(vmk_resource_lookup(root, 0xfff));
	assert_string_equal(vmk_resource_lookup(root, 0x180000000ull)->name, "b");
	assert_string_equal(vmk_resource_lookup(root, UINT64_MAX)->name, "top");
	/* Lookup below a subtree root. */
	assert_string_equal(vmk_resource_lookup(rt_find(root, "a1"), 0x1800)->name, "a12");
	assert_null(vmk_resource_lookup(rt_find(root, "a12"), 0x1800));

	for (r = vmk_resource_next(root, root); r; r = vmk_resource_next(root, r), i++) {
		assert_true(i < 7);
		assert_string_equal(r->name, order[i]);
		assert_int_equal(vmk_resource_depth(r), depths[i]);
	}
	assert_int_equal(i, 7);
	r = rt_find(root, "a");
	assert_string_equal(vmk_resource_next_skip(root, r)->name, "b");
	assert_string_equal(vmk_resource_next_skip(root, rt_find(root, "a12"))->name, "a2");
	assert_null(vmk_resource_next_skip(root, rt_find(root, "top")));
	/* Iterating a subtree stays inside it. */
	assert_string_equal(vmk_resource_next(r, rt_find(root, "a12"))->name, "a2");
	assert_null(vmk_resource_next(r, rt_find(root, "a2")));
	rt_free(t);
}

static void test_check_catches(void **state)
{
	struct vmk_resource root, a, b, c;

	(void)state;
	vmk_iomem_root_init(&root);
	vmk_resource_init(&a, 0x1000, 0x1fff, "a", VMK_RES_MEM, 0);
	vmk_resource_init(&b, 0x2000, 0x2fff, "b", VMK_RES_MEM, 0);
	vmk_resource_init(&c, 0x2100, 0x21ff, "c", VMK_RES_MEM, 0);
	assert_int_equal(vmk_resource_request(&root, &a, NULL), 0);
	assert_int_equal(vmk_resource_request(&root, &b, NULL), 0);
	assert_int_equal(vmk_resource_request(&b, &c, NULL), 0);
	assert_int_equal(vmk_resource_check(&root), 3);

	c.end = 0x3000;
	assert_panics(vmk_resource_check(&root), "child inside parent");
	c.end = 0x21ff;
	b.start = 0x1fff;
	assert_panics(vmk_resource_check(&root), "siblings sorted and disjoint");
	b.start = 0x2000;
	c.parent = &a;
	assert_panics(vmk_resource_check(&root), "parent link");
	c.parent = &b;
	c.start = 0x2200;
	assert_panics(vmk_resource_check(&root), "start <= end");
	c.start = 0x2100;
	/* Out of order siblings. */
	root.child = &b;
	b.sibling = &a;
	a.sibling = NULL;
	assert_panics(vmk_resource_check(&root), "siblings sorted and disjoint");
	root.child = &a;
	a.sibling = &b;
	b.sibling = NULL;
	assert_int_equal(vmk_resource_check(&root), 3);
}

static void test_walk(void **state)
{
	struct rt *t = rt_new();
	struct vmk_resource *root = &t->root;
	struct rt_ranges got;

	(void)state;
	rt_parse(t, "00000000-00000fff : reserved\n"
		    "00001000-0009ffff : System RAM\n"
		    "000a0000-000fffff : PCI Bus 0000:00\n"
		    "  000f0000-000fffff : reserved\n"
		    "00100000-3fffffff : System RAM\n"
		    "  01000000-01ffffff : Kernel code\n"
		    "  20000000-27ffffff : Crash kernel\n"
		    "  30000000-3000ffff : reserved\n"
		    "40000000-4000ffff : ACPI Tables\n"
		    "100000000-2ffffffff : System RAM\n");

	/* System RAM: top-level ones only; nested RAM-flagged children hidden. */
	memset(&got, 0, sizeof(got));
	assert_int_equal(vmk_resource_walk_system_ram(root, 0, UINT64_MAX, rt_collect, &got), 0);
	assert_int_equal(got.n, 3);
	assert_true(got.s[0] == 0x1000 && got.e[0] == 0x9ffff);
	assert_true(got.s[1] == 0x100000 && got.e[1] == 0x3fffffff);
	assert_true(got.s[2] == 0x100000000ull && got.e[2] == 0x2ffffffffull);
	assert_string_equal(got.res[2]->name, "System RAM");

	/* Clipped to the window. */
	memset(&got, 0, sizeof(got));
	assert_int_equal(vmk_resource_walk_system_ram(root, 0x80000, 0x200000, rt_collect, &got), 0);
	assert_int_equal(got.n, 2);
	assert_true(got.s[0] == 0x80000 && got.e[0] == 0x9ffff);
	assert_true(got.s[1] == 0x100000 && got.e[1] == 0x200000);

	/* By descriptor at any depth: reserved ones, nested included. */
	memset(&got, 0, sizeof(got));
	assert_int_equal(vmk_resource_walk(root, 0, UINT64_MAX, VMK_RES_MEM, VMK_RES_DESC_RESERVED,
					   rt_collect, &got), 0);
	assert_int_equal(got.n, 3);
	assert_true(got.s[0] == 0 && got.e[0] == 0xfff);
	assert_true(got.s[1] == 0xf0000 && got.e[1] == 0xfffff);
	assert_true(got.s[2] == 0x30000000 && got.e[2] == 0x3000ffff);

	memset(&got, 0, sizeof(got));
	assert_int_equal(vmk_resource_walk(root, 0, UINT64_MAX, VMK_RES_SYSTEM_RAM,
					   VMK_RES_DESC_CRASH_KERNEL, rt_collect, &got), 0);
	assert_int_equal(got.n, 1);
	assert_string_equal(got.res[0]->name, "Crash kernel");

	/* Everything with flags 0 and any desc: only the top level (matches hide nested ones). */
	memset(&got, 0, sizeof(got));
	assert_int_equal(vmk_resource_walk(root, 0, UINT64_MAX, 0, VMK_RES_DESC_ANY, rt_collect, &got), 0);
	assert_int_equal(got.n, 6);

	/* The callback's non-zero value stops the walk and comes back. */
	memset(&got, 0, sizeof(got));
	got.stop_after = 2;
	assert_int_equal(vmk_resource_walk_system_ram(root, 0, UINT64_MAX, rt_collect, &got), 7);
	assert_int_equal(got.n, 2);
	assert_int_equal(vmk_resource_walk(root, 2, 1, 0, VMK_RES_DESC_ANY, rt_collect, &got), -VMK_EINVAL);
	/* A window with nothing in it. */
	memset(&got, 0, sizeof(got));
	assert_int_equal(vmk_resource_walk_system_ram(root, 0x40000000, 0x4fffffff, rt_collect, &got), 0);
	assert_int_equal(got.n, 0);
	rt_free(t);
}

static void test_usable(void **state)
{
	struct rt *t = rt_new();
	struct vmk_resource *root = &t->root;
	struct rt_ranges got;

	(void)state;
	rt_parse(t, "00000000-00000fff : reserved\n"
		    "  00000000-00000fff : System RAM\n"		/* RAM inside reserved: not usable */
		    "00001000-0009ffff : System RAM\n"
		    "000a0000-000fffff : PCI Bus 0000:00\n"
		    "  000c0000-000cffff : System RAM\n"		/* RAM in a plain container: usable */
		    "00100000-3fffffff : System RAM\n"
		    "  00100000-001fffff : reserved\n"		/* at the start */
		    "  01000000-01ffffff : Kernel code\n"		/* transparent */
		    "    01800000-0180ffff : reserved\n"		/* excluded inside transparent */
		    "  02000000-02ffffff : Kernel data\n"		/* adjacent to Kernel code */
		    "  20000000-27ffffff : Crash kernel\n"
		    "  28000000-28ffffff : System ROM\n"		/* unknown name: excluded */
		    "  30000000-3000ffff : ACPI Tables\n"
		    "  3fff0000-3fffffff : reserved\n"		/* at the end */
		    "40000000-7fffffff : System RAM (kmem)\n"	/* driver managed */
		    "100000000-1ffffffff : Persistent Memory\n"
		    "  100000000-1ffffffff : System RAM\n"
		    "fffffffff0000000-ffffffffffffffff : System RAM\n"
		    "  fffffffffff00000-ffffffffffffffff : reserved\n");
	memset(&got, 0, sizeof(got));
	assert_int_equal(vmk_resource_walk_usable_ram(root, 0, UINT64_MAX, rt_collect, &got), 0);
	assert_int_equal(got.n, 7);
	assert_true(got.s[0] == 0x1000 && got.e[0] == 0x9ffff);
	assert_true(got.s[1] == 0xc0000 && got.e[1] == 0xcffff);
	assert_true(got.s[2] == 0x200000 && got.e[2] == 0x017fffff);
	assert_true(got.s[3] == 0x01810000 && got.e[3] == 0x1fffffff);
	assert_true(got.s[4] == 0x29000000 && got.e[4] == 0x2fffffff);
	assert_true(got.s[5] == 0x30010000 && got.e[5] == 0x3ffeffff);
	/* kmem RAM and RAM inside Persistent Memory are skipped. */
	assert_true(got.s[6] == 0xfffffffff0000000ull && got.e[6] == 0xffffffffffefffffull);
	assert_string_equal(got.res[2]->name, "System RAM");
	assert_true(got.res[2]->start == 0x100000);

	/* Top of the address space, with the exclusion reaching the end. */
	{
		struct rt *t2 = rt_new();

		rt_parse(t2, "fffffffff0000000-ffffffffffffffff : System RAM\n"
			     "  fffffffff0000000-fffffffff0000fff : Kernel code\n"
			     "  fffffffffff00000-ffffffffffffffff : reserved\n");
		memset(&got, 0, sizeof(got));
		assert_int_equal(vmk_resource_walk_usable_ram(&t2->root, 0, UINT64_MAX, rt_collect, &got), 0);
		assert_int_equal(got.n, 1);
		assert_true(got.s[0] == 0xfffffffff0000000ull && got.e[0] == 0xffffffffffefffffull);
		vmk_resource_free_tree(&t2->pool, &t2->root);
		rt_parse(t2, "fffffffff0000000-ffffffffffffffff : System RAM\n");
		memset(&got, 0, sizeof(got));
		assert_int_equal(vmk_resource_walk_usable_ram(&t2->root, 0, UINT64_MAX, rt_collect, &got), 0);
		assert_int_equal(got.n, 1);
		assert_true(got.e[0] == UINT64_MAX);
		rt_free(t2);
	}

	/* Window clipping cuts through pieces. */
	memset(&got, 0, sizeof(got));
	assert_int_equal(vmk_resource_walk_usable_ram(root, 0x80000, 0x01000000, rt_collect, &got), 0);
	assert_int_equal(got.n, 3);
	assert_true(got.s[0] == 0x80000 && got.e[0] == 0x9ffff);
	assert_true(got.s[1] == 0xc0000 && got.e[1] == 0xcffff);
	assert_true(got.s[2] == 0x200000 && got.e[2] == 0x01000000);
	/* Stop early. */
	memset(&got, 0, sizeof(got));
	got.stop_after = 3;
	assert_int_equal(vmk_resource_walk_usable_ram(root, 0, UINT64_MAX, rt_collect, &got), 7);
	assert_int_equal(got.n, 3);
	assert_int_equal(vmk_resource_walk_usable_ram(root, 5, 4, rt_collect, &got), -VMK_EINVAL);

	assert_true(vmk_resource_is_ram(rt_find(root, "Kernel code")));
	assert_false(vmk_resource_is_ram(rt_find(root, "Crash kernel")));
	assert_false(vmk_resource_is_ram(rt_find(root, "System RAM (kmem)")));
	assert_false(vmk_resource_is_ram(rt_find(root, "reserved")));
	assert_true(vmk_resource_may_hold_ram(rt_find(root, "PCI Bus 0000:00")));
	assert_false(vmk_resource_may_hold_ram(rt_find(root, "reserved")));
	assert_false(vmk_resource_may_hold_ram(rt_find(root, "System RAM")));
	assert_false(vmk_resource_may_hold_ram(rt_find(root, "Persistent Memory")));
	{
		struct vmk_resource cxl;

		vmk_resource_init(&cxl, 0, 1, "CXL Window 0", VMK_RES_MEM, VMK_RES_DESC_CXL);
		assert_true(vmk_resource_may_hold_ram(&cxl));
	}
	rt_free(t);
}

static void test_classify(void **state)
{
	static const struct {
		const char *name;
		uint32_t flags;
		int32_t desc;
	} cases[] = {
		{ "System RAM", VMK_RES_MEM | VMK_RES_SYSRAM | VMK_RES_BUSY, VMK_RES_DESC_NONE },
		{ "System RAM (kmem)", VMK_RES_MEM | VMK_RES_SYSRAM | VMK_RES_BUSY |
		  VMK_RES_SYSRAM_DRIVER_MANAGED, VMK_RES_DESC_NONE },
		{ "Kernel code", VMK_RES_MEM | VMK_RES_SYSRAM | VMK_RES_BUSY, VMK_RES_DESC_NONE },
		{ "Kernel data", VMK_RES_MEM | VMK_RES_SYSRAM | VMK_RES_BUSY, VMK_RES_DESC_NONE },
		{ "Kernel bss", VMK_RES_MEM | VMK_RES_SYSRAM | VMK_RES_BUSY, VMK_RES_DESC_NONE },
		{ "Kernel rodata", VMK_RES_MEM | VMK_RES_SYSRAM | VMK_RES_BUSY, VMK_RES_DESC_NONE },
		{ "Kernel image", VMK_RES_MEM | VMK_RES_SYSRAM | VMK_RES_BUSY, VMK_RES_DESC_NONE },
		{ "Crash kernel", VMK_RES_MEM | VMK_RES_SYSRAM | VMK_RES_BUSY, VMK_RES_DESC_CRASH_KERNEL },
		{ "Crash kernel (low)", VMK_RES_MEM | VMK_RES_SYSRAM | VMK_RES_BUSY, VMK_RES_DESC_CRASH_KERNEL },
		{ "Unusable memory", VMK_RES_MEM | VMK_RES_BUSY, VMK_RES_DESC_NONE },
		{ "reserved", VMK_RES_MEM, VMK_RES_DESC_RESERVED },
		{ "Reserved", VMK_RES_MEM, VMK_RES_DESC_RESERVED },
		{ "ACPI Tables", VMK_RES_MEM | VMK_RES_BUSY, VMK_RES_DESC_ACPI_TABLES },
		{ "ACPI Non-volatile Storage", VMK_RES_MEM | VMK_RES_BUSY, VMK_RES_DESC_ACPI_NV_STORAGE },
		{ "Persistent Memory", VMK_RES_MEM, VMK_RES_DESC_PERSISTENT_MEMORY },
		{ "Persistent Memory (legacy)", VMK_RES_MEM, VMK_RES_DESC_PERSISTENT_MEMORY_LEGACY },
		{ "Soft Reserved", VMK_RES_MEM, VMK_RES_DESC_SOFT_RESERVED },
		{ "CXL Window 0", VMK_RES_MEM, VMK_RES_DESC_CXL },
		{ "PCI Bus 0000:00", VMK_RES_MEM | VMK_RES_WINDOW, VMK_RES_DESC_NONE },
		{ "0000:00:1f.3", VMK_RES_MEM, VMK_RES_DESC_NONE },
		{ "PCI MMCONFIG 0000 [bus 00-ff]", VMK_RES_MEM, VMK_RES_DESC_NONE },
		{ "Video ROM", VMK_RES_MEM, VMK_RES_DESC_NONE },
		{ "system ram", VMK_RES_MEM, VMK_RES_DESC_NONE },	/* case matters, as in Linux */
		{ "System RA", VMK_RES_MEM, VMK_RES_DESC_NONE },
	};
	uint32_t f;
	int32_t d;

	(void)state;
	for (size_t i = 0; i < VMK_ARRAY_SIZE(cases); i++) {
		vmk_resource_classify(cases[i].name, strlen(cases[i].name), VMK_RES_MEM, &f, &d);
		if (f != cases[i].flags || d != cases[i].desc)
			fail_msg("%s: flags %#x desc %d, want %#x %d", cases[i].name, f, d,
				 cases[i].flags, cases[i].desc);
	}
	/* Unknown names take the root's type (ioports), and only the type bits. */
	vmk_resource_classify("keyboard", 8, VMK_RES_IO | VMK_RES_BUSY, &f, &d);
	assert_int_equal(f, VMK_RES_IO);
	/* Only len bytes count. */
	vmk_resource_classify("System RAMxyz", 10, VMK_RES_MEM, &f, &d);
	assert_int_equal(f, VMK_RES_SYSTEM_RAM | VMK_RES_BUSY);

	assert_string_equal(vmk_resource_desc_name(VMK_RES_DESC_RESERVED), "reserved");
	assert_string_equal(vmk_resource_desc_name(VMK_RES_DESC_NONE), "none");
	assert_string_equal(vmk_resource_desc_name(VMK_RES_DESC_ACPI_NV_STORAGE), "acpi_nvs");
	assert_string_equal(vmk_resource_desc_name(-1), "unknown");
	assert_string_equal(vmk_resource_desc_name(VMK_RES_DESC_COUNT), "unknown");
	for (int i = 0; i < VMK_RES_DESC_COUNT; i++)
		assert_string_not_equal(vmk_resource_desc_name(i), "unknown");
	assert_string_equal(vmk_resource_flag_name(VMK_RES_BUSY), "BUSY");
	assert_string_equal(vmk_resource_flag_name(VMK_RES_MEM), "MEM");
	assert_string_equal(vmk_resource_flag_name(VMK_RES_SYSRAM), "SYSRAM");
	assert_null(vmk_resource_flag_name(0x1));
	assert_null(vmk_resource_flag_name(0));
	/* Every IORESOURCE_* name of Linux's /proc/iomem flag dump, by value. */
	static const struct { uint32_t bit; const char *name; } linux_names[] = {
		{ 0x00000100u, "IO" }, { 0x00000200u, "MEM" }, { 0x00000300u, "REG" },
		{ 0x00000400u, "IRQ" }, { 0x00000800u, "DMA" }, { 0x00001000u, "BUS" },
		{ 0x00002000u, "PREFETCH" }, { 0x00004000u, "READONLY" },
		{ 0x00008000u, "CACHEABLE" }, { 0x00100000u, "MEM_64" }, { 0x00200000u, "WINDOW" },
		{ 0x01000000u, "SYSRAM" }, { 0x02000000u, "SYSRAM_DRIVER_MANAGED" },
		{ 0x04000000u, "SYSRAM_MERGEABLE" }, { 0x08000000u, "EXCLUSIVE" },
		{ 0x10000000u, "DISABLED" }, { 0x20000000u, "UNSET" }, { 0x40000000u, "AUTO" },
		{ 0x80000000u, "BUSY" },
	};
	for (size_t i = 0; i < sizeof(linux_names) / sizeof(linux_names[0]); i++) {
		const char *n = vmk_resource_flag_name(linux_names[i].bit);

		assert_non_null(n);
		assert_string_equal(n, linux_names[i].name);
	}
	/* A type value that is not one of the six has no name. */
	assert_null(vmk_resource_flag_name(0x500));
}

static void test_render_json(void **state)
{
	struct rt *t = rt_new();
	struct vmk_resource odd, *ram;
	char *s;

	(void)state;
	rt_parse(t, "00001000-00001fff : System RAM\n"
		    "  00001000-000010ff : reserved\n"
		    "00002000-00002fff : a\"b\\c\n");
	ram = rt_find(&t->root, "System RAM");
	vmk_resource_init(&odd, 0x3000, 0x3fff, NULL, 0x200 | 0x1 | VMK_RES_BUSY, 42);
	assert_int_equal(vmk_resource_request(&t->root, &odd, NULL), 0);
	s = rt_render_as(&t->root, true);
	assert_string_equal(s,
		"[\n"
		"  {\"start\": 4096, \"end\": 8191, \"name\": \"System RAM\", \"flags\": [\"MEM\", \"SYSRAM\", \"BUSY\"], \"desc\": \"none\", \"children\": [\n"
		"      {\"start\": 4096, \"end\": 4351, \"name\": \"reserved\", \"flags\": [\"MEM\"], \"desc\": \"reserved\", \"children\": []}\n"
		"    ]},\n"
		"  {\"start\": 8192, \"end\": 12287, \"name\": \"a\\\"b\\\\c\", \"flags\": [\"MEM\"], \"desc\": \"none\", \"children\": []},\n"
		"  {\"start\": 12288, \"end\": 16383, \"name\": \"<BAD>\", \"flags\": [\"MEM\", \"0x1\", \"BUSY\"], \"desc\": \"unknown\", \"children\": []}\n"
		"]");
	free(s);
	/* An unnamed type value is shown as a number, as an unnamed bit is. */
	struct vmk_resource odd_type;

	vmk_resource_init(&odd_type, 0x5000, 0x5fff, "t", 0x500 | VMK_RES_PREFETCH, 0);
	assert_int_equal(vmk_resource_request(&t->root, &odd_type, NULL), 0);
	s = rt_render_as(&t->root, true);
	assert_non_null(strstr(s, "\"name\": \"t\", \"flags\": [\"0x500\", \"PREFETCH\"]"));
	free(s);
	vmk_resource_remove(&odd_type);
	/* NULL names render as Linux does. */
	s = rt_render(&t->root);
	assert_non_null(strstr(s, "00003000-00003fff : <BAD>\n"));
	free(s);
	assert_int_equal(vmk_resource_release(&odd), 0);
	/* An empty tree. */
	vmk_resource_free_tree(&t->pool, &t->root);
	s = rt_render_as(&t->root, true);
	assert_string_equal(s, "[]");
	free(s);
	s = rt_render(&t->root);
	assert_string_equal(s, "");
	free(s);
	(void)ram;
	rt_free(t);
}

static void test_deep_tree(void **state)
{
	/* 200000 levels: a recursive walk would overflow the stack; none may recurse. */
	enum { DEPTH = 200000 };
	struct vmk_resource *nodes = calloc(DEPTH, sizeof(*nodes)), root;
	struct vmk_resource_pool pool;
	struct rt_ranges got;
	struct vmk_resource *r;

	(void)state;
	assert_non_null(nodes);
	vmk_iomem_root_init(&root);
	vmk_resource_pool_init(&pool, nodes, DEPTH, NULL, 0);
	r = &root;
	for (uint64_t d = 0; d < DEPTH; d++) {
		struct vmk_resource *n = vmk_resource_alloc(&pool, d, 2 * DEPTH - d,
			d == DEPTH - 1 ? "reserved" : "System RAM",
			d == DEPTH - 1 ? VMK_RES_MEM : VMK_RES_SYSTEM_RAM | VMK_RES_BUSY,
			d == DEPTH - 1 ? VMK_RES_DESC_RESERVED : VMK_RES_DESC_NONE);

		assert_int_equal(vmk_resource_request(r, n, NULL), 0);
		r = n;
	}
	assert_int_equal(vmk_resource_check(&root), DEPTH);
	assert_ptr_equal(vmk_resource_lookup(&root, DEPTH), r);
	assert_int_equal(vmk_resource_depth(r), DEPTH - 1);
	memset(&got, 0, sizeof(got));
	assert_int_equal(vmk_resource_walk_usable_ram(&root, 0, UINT64_MAX, rt_collect, &got), 0);
	assert_int_equal(got.n, 2);
	assert_true(got.s[0] == 0 && got.e[0] == DEPTH - 2);
	assert_true(got.s[1] == DEPTH + 2 && got.e[1] == 2 * DEPTH);
	memset(&got, 0, sizeof(got));
	assert_int_equal(vmk_resource_walk(&root, 0, UINT64_MAX, VMK_RES_MEM, VMK_RES_DESC_RESERVED,
					   rt_collect, &got), 0);
	assert_int_equal(got.n, 1);
	assert_ptr_equal(got.res[0], r);
	/* Insert in the middle of the chain and remove it again. */
	{
		struct vmk_resource mid;

		vmk_resource_init(&mid, 1000, 2 * DEPTH - 1000, "mid", VMK_RES_MEM, 0);
		assert_int_equal(vmk_resource_insert(&root, &mid, NULL), 0);
		assert_int_equal(vmk_resource_depth(&mid), 1000);
		assert_int_equal(vmk_resource_check(&root), DEPTH + 1);
		assert_int_equal(vmk_resource_remove(&mid), 0);
	}
	vmk_resource_free_tree(&pool, &root);
	assert_int_equal(pool.nfree, DEPTH);
	assert_null(root.child);
	free(nodes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_roots),
		cmocka_unit_test(test_pool),
		cmocka_unit_test(test_pool_names),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_insert),
		cmocka_unit_test(test_release),
		cmocka_unit_test(test_free_tree),
		cmocka_unit_test(test_lookup_and_iterate),
		cmocka_unit_test(test_check_catches),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_usable),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_render_json),
		cmocka_unit_test(test_deep_tree),
	};

	vmk_sim_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
