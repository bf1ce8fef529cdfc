/*
 * Randomized test: request / insert / release / remove against a reference
 * model that keeps only intervals and parent indices, with the tree's
 * invariants, deepest lookup, the usable-RAM walk and the fwmap conversion
 * checked against brute-force per-address answers.
 * VMK_SEED replays a run; VMK_RESOURCE_STEPS scales it (default 3000).
 */
#include "resource_th.h"
#include <vmkit/fwmap.h>

#define NPOOL	64
#define SPACE	512		/* addresses base .. base + SPACE - 1 */
#define ROOT	(-1)

enum kind { K_RAM, K_KERNEL, K_RESERVED, K_CONTAINER, K_KMEM, K_ACPI, K_CRASH, K_CXL, NKIND };

static const struct {
	const char *name;
	uint32_t flags;
	int32_t desc;
} kinds[NKIND] = {
	[K_RAM] = { "System RAM", VMK_RES_SYSTEM_RAM | VMK_RES_BUSY, VMK_RES_DESC_NONE },
	[K_KERNEL] = { "Kernel code", VMK_RES_SYSTEM_RAM | VMK_RES_BUSY, VMK_RES_DESC_NONE },
	[K_RESERVED] = { "reserved", VMK_RES_MEM, VMK_RES_DESC_RESERVED },
	[K_CONTAINER] = { "PCI Bus 0000:00", VMK_RES_MEM | VMK_RES_WINDOW, VMK_RES_DESC_NONE },
	[K_KMEM] = { "System RAM (kmem)", VMK_RES_SYSTEM_RAM | VMK_RES_BUSY |
		     VMK_RES_SYSRAM_DRIVER_MANAGED, VMK_RES_DESC_NONE },
	[K_ACPI] = { "ACPI Tables", VMK_RES_MEM | VMK_RES_BUSY, VMK_RES_DESC_ACPI_TABLES },
	[K_CRASH] = { "Crash kernel", VMK_RES_SYSTEM_RAM | VMK_RES_BUSY, VMK_RES_DESC_CRASH_KERNEL },
	[K_CXL] = { "CXL Window 0", VMK_RES_MEM, VMK_RES_DESC_CXL },
};

struct model {
	bool linked;
	bool allocated;
	int parent;		/* model index or ROOT */
	uint64_t s, e;
	enum kind kind;
};

static struct model md[NPOOL];
static struct vmk_resource nodes[NPOOL], root;
static struct vmk_resource_pool pool;
static uint64_t base;
/* added, refused, adopted children, deepest level, usable pieces, fwmap entries */
static unsigned long stats[6];

static unsigned long rnd_state;
static unsigned long rnd(void)
{
	/* xorshift64*: independent of libc's rand() */
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return (unsigned long)((rnd_state * 0x2545F4914F6CDD1Dull) >> 11);
}

static int idx(const struct vmk_resource *r)
{
	return r == &root ? ROOT : (int)(r - nodes);
}

static struct vmk_resource *node(int i)
{
	return i == ROOT ? &root : &nodes[i];
}

static bool m_overlaps(int i, uint64_t s, uint64_t e)
{
	return md[i].s <= e && s <= md[i].e;
}

static uint64_t m_start(int p)
{
	return p == ROOT ? 0 : md[p].s;
}

static uint64_t m_end(int p)
{
	return p == ROOT ? UINT64_MAX : md[p].e;
}

/* Linked children of p overlapping [s, e], sorted by start. */
static int m_overlapping(int p, uint64_t s, uint64_t e, int *out)
{
	int n = 0;

	for (int i = 0; i < NPOOL; i++) {
		if (!md[i].linked || md[i].parent != p || !m_overlaps(i, s, e))
			continue;
		int j = n++;

		while (j > 0 && md[out[j - 1]].s > md[i].s) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = i;
	}
	return n;
}

static bool m_has_children(int p)
{
	for (int i = 0; i < NPOOL; i++)
		if (md[i].linked && md[i].parent == p)
			return true;
	return false;
}

static int m_depth(int i)
{
	int d = 0;

	while (md[i].parent != ROOT) {
		i = md[i].parent;
		d++;
	}
	return d;
}

/* The chain of linked nodes containing address a, outermost first. */
static int m_path(uint64_t a, int *path)
{
	int n = 0, p = ROOT;

	for (;;) {
		int c = -1;

		for (int i = 0; i < NPOOL; i++)
			if (md[i].linked && md[i].parent == p && md[i].s <= a && a <= md[i].e)
				c = i;
		if (c < 0)
			return n;
		path[n++] = c;
		p = c;
	}
}

static bool k_is_ram(enum kind k)
{
	return k == K_RAM || k == K_KERNEL;
}

static bool k_container(enum kind k)
{
	return k == K_CONTAINER || k == K_CXL;
}

/* The RAM root whose usable part holds a, or -1; by the documented rules, per address. */
static int usable_root(uint64_t a)
{
	int path[NPOOL + 1], n = m_path(a, path), i, r;

	for (i = 0; i < n && !k_is_ram(md[path[i]].kind); i++)
		if (!k_container(md[path[i]].kind))
			return -1;
	if (i == n)
		return -1;
	r = path[i];
	for (i++; i < n; i++)
		if (!k_is_ram(md[path[i]].kind))
			return -1;
	return r;
}

/* The fwmap kind the conversion must give address a (VMK_MEM_NONE: no entry). */
/* Nested in System RAM: the entry carries VMK_FWMAP_F_IN_RAM. */
#define IN_RAM_BIT	(1u << 16)

/* Expected kind of address a, with IN_RAM_BIT for carve-outs of RAM. */
static uint32_t fw_kind(uint64_t a)
{
	int path[NPOOL + 1], n = m_path(a, path), i;

	for (i = 0; i < n && k_container(md[path[i]].kind); i++)
		;
	if (i == n)
		return VMK_MEM_NONE;
	if (k_is_ram(md[path[i]].kind)) {
		for (i++; i < n && k_is_ram(md[path[i]].kind); i++)
			;
		if (i == n)
			return VMK_MEM_USABLE;
		return (md[path[i]].kind == K_ACPI ? VMK_MEM_ACPI_RECLAIM : VMK_MEM_RESERVED) | IN_RAM_BIT;
	}
	switch (md[path[i]].kind) {
	case K_ACPI: return VMK_MEM_ACPI_RECLAIM;
	case K_RESERVED: case K_CRASH: return VMK_MEM_RESERVED;
	default: return VMK_MEM_NONE;	/* kmem: skipped */
	}
}

static void verify_structure(void)
{
	size_t linked = 0;

	for (int i = 0; i < NPOOL; i++) {
		if (!md[i].linked) {
			assert_null(nodes[i].parent);
			continue;
		}
		linked++;
		if (idx(nodes[i].parent) != md[i].parent)
			fail_msg("node %d [%llx-%llx]: parent %d, model says %d", i,
				 (unsigned long long)md[i].s, (unsigned long long)md[i].e,
				 idx(nodes[i].parent), md[i].parent);
		assert_true(nodes[i].start == md[i].s && nodes[i].end == md[i].e);
	}
	assert_int_equal(vmk_resource_check(&root), linked);
	assert_int_equal(pool.nfree, NPOOL - (size_t)({ int c = 0; for (int i = 0; i < NPOOL; i++) c += md[i].allocated; c; }));
}

static void verify_queries(void)
{
	struct rt_ranges got;
	struct vmk_fwmap_entry st[NPOOL * 4];
	struct vmk_fwmap m;
	int k = 0, path[NPOOL + 1];
	size_t e = 0;

	/* Deepest lookup. */
	for (uint64_t a = 0; a < SPACE; a += 1 + rnd() % 7) {
		int n = m_path(base + a, path);
		struct vmk_resource *r = vmk_resource_lookup(&root, base + a);

		if (n == 0)
			assert_null(r);
		else
			assert_int_equal(idx(r), path[n - 1]);
		if (n)
			assert_int_equal(m_depth(path[n - 1]), n - 1);
	}
	/* Usable RAM: runs of addresses with the same RAM root. */
	memset(&got, 0, sizeof(got));
	assert_int_equal(vmk_resource_walk_usable_ram(&root, 0, UINT64_MAX, rt_collect, &got), 0);
	for (uint64_t a = 0; a < SPACE;) {
		int r = usable_root(base + a);
		uint64_t b = a;

		if (r < 0) {
			a++;
			continue;
		}
		while (b + 1 < SPACE && usable_root(base + b + 1) == r)
			b++;
		if (k >= got.n)
			fail_msg("usable run %llx-%llx missing from the walk", (unsigned long long)(base + a),
				 (unsigned long long)(base + b));
		if (got.s[k] != base + a || got.e[k] != base + b || idx(got.res[k]) != r)
			fail_msg("usable piece %d: %llx-%llx (node %d), model %llx-%llx (node %d)", k,
				 (unsigned long long)got.s[k], (unsigned long long)got.e[k],
				 idx(got.res[k]), (unsigned long long)(base + a),
				 (unsigned long long)(base + b), r);
		k++;
		a = b + 1;
	}
	assert_int_equal(got.n, k);
	stats[4] += (unsigned long)k;
	/* Firmware map: runs of addresses of the same kind. */
	vmk_fwmap_init(&m, st, VMK_ARRAY_SIZE(st));
	assert_int_equal(vmk_resource_to_fwmap(&root, &m), 0);
	for (uint64_t a = 0; a < SPACE;) {
		uint32_t kd = fw_kind(base + a);
		uint64_t b = a;

		if (kd == VMK_MEM_NONE) {
			a++;
			continue;
		}
		while (b + 1 < SPACE && fw_kind(base + b + 1) == kd)
			b++;
		if (e >= m.n || m.e[e].base != base + a || m.e[e].base + m.e[e].size - 1 != base + b ||
		    (m.e[e].kind | ((m.e[e].flags & VMK_FWMAP_F_IN_RAM) ? IN_RAM_BIT : 0)) != kd)
			fail_msg("fwmap entry %zu differs from model run %llx-%llx %s%s", e,
				 (unsigned long long)(base + a), (unsigned long long)(base + b),
				 vmk_mem_kind_name(kd & ~IN_RAM_BIT), kd & IN_RAM_BIT ? " (in RAM)" : "");
		e++;
		a = b + 1;
	}
	assert_int_equal(m.n, e);
	stats[5] += e;
}

static void random_range(int p, uint64_t *s, uint64_t *e)
{
	uint64_t lo = p == ROOT ? base : md[p].s, hi = p == ROOT ? base + SPACE - 1 : md[p].e;
	uint64_t span = hi - lo + 1, len;

	if (rnd() % 8 == 0) {	/* anywhere: exercises "outside the parent" */
		lo = base;
		span = SPACE;
	}
	*s = lo + rnd() % span;
	len = 1 + (rnd() % 4 == 0 ? rnd() % span : rnd() % 16);
	*e = *s + len - 1;
	if (*e > base + SPACE - 1 || *e < *s)
		*e = base + SPACE - 1;
}

static int random_linked(void)
{
	int c = 0, pick;

	for (int i = 0; i < NPOOL; i++)
		c += md[i].linked;
	if (!c)
		return ROOT;
	pick = (int)(rnd() % (unsigned long)c);
	for (int i = 0; i < NPOOL; i++)
		if (md[i].linked && pick-- == 0)
			return i;
	return ROOT;
}

static void step_add(bool insert)
{
	int p0 = rnd() % 3 == 0 ? ROOT : random_linked(), p = p0, ov[NPOOL], n = 0, i, c = -2;
	enum kind k = (enum kind)(rnd() % NKIND);
	uint64_t s, e;
	struct vmk_resource *r, *conflict = NULL;
	int want, ret;

	random_range(p, &s, &e);
	if (rnd() % 16 == 0)
		vmk_sim_fail_nth(0, "resource.alloc", false);
	r = vmk_resource_alloc(&pool, s, e, kinds[k].name, kinds[k].flags, kinds[k].desc);
	vmk_sim_fail_off();
	if (!r)
		return;		/* pool empty or injected failure: nothing changed */
	i = idx(r);
	assert_false(md[i].allocated);
	md[i] = (struct model){ false, true, ROOT, s, e, k };

	/* What the model says. */
	if (s < m_start(p) || e > m_end(p)) {
		want = -VMK_ERANGE;
		c = p;
	} else if (!insert) {
		n = m_overlapping(p, s, e, ov);
		want = n ? -VMK_EEXIST : 0;
		c = n ? ov[0] : -2;
	} else {
		for (;;) {
			n = m_overlapping(p, s, e, ov);
			if (n == 1 && md[ov[0]].s <= s && md[ov[0]].e >= e &&
			    !(md[ov[0]].s == s && md[ov[0]].e == e)) {
				p = ov[0];
				continue;
			}
			break;
		}
		want = 0;
		for (int j = 0; j < n; j++) {
			if (md[ov[j]].s < s || md[ov[j]].e > e) {
				want = -VMK_EEXIST;
				c = ov[j];
				break;
			}
		}
	}
	ret = insert ? vmk_resource_insert(node(p0), r, &conflict)
		     : vmk_resource_request(node(p0), r, &conflict);
	if (ret != want)
		fail_msg("%s [%llx-%llx] under %d: %d, model %d", insert ? "insert" : "request",
			 (unsigned long long)s, (unsigned long long)e, p0, ret, want);
	stats[ret ? 1 : 0]++;
	if (ret) {
		assert_int_equal(idx(conflict), c);
		assert_false(vmk_resource_linked(r));
		assert_null(r->child);
		vmk_resource_free(&pool, r);
		md[i].allocated = false;
		return;
	}
	md[i].linked = true;
	md[i].parent = p;
	if (insert)
		for (int j = 0; j < n; j++)
			md[ov[j]].parent = i;
	stats[2] += (unsigned long)n;
	if (m_depth(i) > (int)stats[3])
		stats[3] = (unsigned long)m_depth(i);
}

static void step_release(bool lift)
{
	int x = random_linked(), ret;

	if (x == ROOT)
		return;
	ret = lift ? vmk_resource_remove(&nodes[x]) : vmk_resource_release(&nodes[x]);
	if (!lift && m_has_children(x)) {
		assert_int_equal(ret, -VMK_EBUSY);
		return;
	}
	assert_int_equal(ret, 0);
	for (int j = 0; j < NPOOL; j++)
		if (md[j].linked && md[j].parent == x)
			md[j].parent = md[x].parent;
	md[x].linked = false;
	md[x].allocated = false;
	vmk_resource_free(&pool, &nodes[x]);
}

static void run(uint64_t space_base, unsigned long steps_n)
{
	unsigned long counts[4] = { 0 };

	base = space_base;
	memset(stats, 0, sizeof(stats));
	memset(md, 0, sizeof(md));
	vmk_iomem_root_init(&root);
	vmk_resource_pool_init(&pool, nodes, NPOOL, NULL, 0);
	for (unsigned long st = 0; st < steps_n; st++) {
		unsigned long op = rnd() % 10;

		/* Grow faster than shrink so the pool runs dry now and then. */
		if (op < 3)
			step_add(false), counts[0]++;
		else if (op < 6)
			step_add(true), counts[1]++;
		else if (op < 8)
			step_release(false), counts[2]++;
		else
			step_release(true), counts[3]++;
		verify_structure();
		if (st % 8 == 0)
			verify_queries();
	}
	verify_queries();
	vmk_resource_free_tree(&pool, &root);
	assert_int_equal(pool.nfree, NPOOL);
	assert_true(counts[0] && counts[1] && counts[2] && counts[3]);
	fprintf(stderr, "%lu steps at %#llx: %lu added, %lu refused, %lu adopted, depth %lu, "
		"%lu usable pieces and %lu fwmap entries checked\n", steps_n, (unsigned long long)base,
		stats[0], stats[1], stats[2], stats[3], stats[4], stats[5]);
	/* The run must have exercised the interesting cases. */
	assert_true(stats[0] > steps_n / 10 && stats[1] > steps_n / 10 && stats[2] > 0 && stats[3] >= 3);
}

static unsigned long steps(void)
{
	const char *e = getenv("VMK_RESOURCE_STEPS");

	return e ? strtoul(e, NULL, 0) : 10000;
}

static void test_random_low(void **state)
{
	(void)state;
	rnd_state = th_seed() * 2 + 1;
	run(0, steps());
}

static void test_random_top(void **state)
{
	/* The same at the very top of the address space, where end + 1 wraps. */
	(void)state;
	rnd_state = th_seed() * 2 + 3;
	run(UINT64_MAX - (SPACE - 1), steps());
}

/* The model itself must notice a wrong tree: a check that cannot fail proves nothing. */
static void test_model_catches(void **state)
{
	(void)state;
	rnd_state = 12345;
	base = 0;
	memset(md, 0, sizeof(md));
	vmk_iomem_root_init(&root);
	vmk_resource_pool_init(&pool, nodes, NPOOL, NULL, 0);
	while (pool.nfree > NPOOL - 8)
		step_add(false);
	/* Break one parent link behind the model's back and the check must panic. */
	for (int i = 0; i < NPOOL; i++) {
		if (md[i].linked) {
			struct vmk_resource *saved = nodes[i].parent;

			nodes[i].parent = &nodes[(i + 1) % NPOOL];
			assert_panics(vmk_resource_check(&root), "parent link");
			nodes[i].parent = saved;
			break;
		}
	}
	verify_structure();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_low),
		cmocka_unit_test(test_random_top),
		cmocka_unit_test(test_model_catches),
	};

	vmk_sim_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
