/*
 * vmem: a randomized differential test against an interval model (a
 * bitmap of owned and used units, searched by brute force), the policies,
 * quantum caches, import/release, and the boundary-tag supply.
 */
#include "phys_util.h"
#include <vmkit/vmem.h>

/* ---- the model: units 0 .. MODEL_N-1 of the arena's address space ---- */

#define MODEL_BASE	0x10000ull
#define MODEL_N		4096
#define MODEL_MAXOPS	1024

static struct {
	int span[MODEL_N];		/* span id + 1, 0: not in the arena */
	bool used[MODEL_N];
	vmk_vaddr_t addr[MODEL_MAXOPS];	/* live allocations (quantum 1) */
	vmk_size_t size[MODEL_MAXOPS];
	unsigned int n;
	unsigned int nspans;
} M;

static void setup_phys(void)
{
	tp_reset();
	tp_add_free(1ull << 30, 64ull << 20, 0);
}

static bool m_free_run(vmk_vaddr_t a, vmk_size_t size)
{
	uint64_t i0 = a - MODEL_BASE;

	if (a < MODEL_BASE || i0 + size > MODEL_N)
		return false;
	for (uint64_t i = i0; i < i0 + size; i++)
		if (!M.span[i] || M.used[i] || M.span[i] != M.span[i0])
			return false;
	return true;
}

/* Brute force: every candidate address that meets the constraints. */
static bool m_any_fit(vmk_size_t size, vmk_size_t align, vmk_size_t phase, vmk_size_t nocross,
		      vmk_vaddr_t min, vmk_vaddr_t max)
{
	for (vmk_vaddr_t a = MODEL_BASE; a + size <= MODEL_BASE + MODEL_N; a++) {
		if (a % align != phase || a < min || (max && a + size > max))
			continue;
		if (nocross && a / nocross != (a + size - 1) / nocross)
			continue;
		if (m_free_run(a, size))
			return true;
	}
	return false;
}

/* Length of the maximal free run (within one span) holding unit a. */
static uint64_t m_run_len(vmk_vaddr_t a)
{
	uint64_t i = a - MODEL_BASE, lo = i, hi = i;

	while (lo > 0 && M.span[lo - 1] == M.span[i] && !M.used[lo - 1])
		lo--;
	while (hi + 1 < MODEL_N && M.span[hi + 1] == M.span[i] && !M.used[hi + 1])
		hi++;
	return hi - lo + 1;
}

/* Smallest free run that has a fit for the request (brute force). */
static uint64_t m_best_run(vmk_size_t size, vmk_size_t align, vmk_size_t phase, vmk_size_t nocross,
			   vmk_vaddr_t min, vmk_vaddr_t max)
{
	uint64_t best = UINT64_MAX;

	for (vmk_vaddr_t a = MODEL_BASE; a + size <= MODEL_BASE + MODEL_N; a++) {
		if (a % align != phase || a < min || (max && a + size > max))
			continue;
		if (nocross && a / nocross != (a + size - 1) / nocross)
			continue;
		if (m_free_run(a, size) && m_run_len(a) < best)
			best = m_run_len(a);
	}
	return best;
}

static void m_mark(vmk_vaddr_t a, vmk_size_t size, bool used)
{
	for (uint64_t i = a - MODEL_BASE; i < a - MODEL_BASE + size; i++)
		M.used[i] = used;
}

static uint64_t m_count(bool used_only)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < MODEL_N; i++)
		n += M.span[i] && (!used_only || M.used[i]);
	return n;
}

static void check_arena(struct vmk_vmem *vm)
{
	char msg[256];

	if (vmk_vmem_check(vm, msg, sizeof(msg)) != 0)
		fail_msg("vmem_check: %s", msg);
	assert_int_equal(vmk_vmem_size(vm, VMK_VMEM_ALLOC), m_count(true));
	assert_int_equal(vmk_vmem_size(vm, VMK_VMEM_TOTAL), m_count(false));
}

/* The arena's segment list as text, without the header (tag pages may grow). */
static void snapshot(struct vmk_vmem *vm, char *buf, size_t cap)
{
	struct vmk_outbuf ob;
	char *nl;

	vmk_outbuf_init(&ob, buf, cap);
	vmk_vmem_print(vm, &ob.out);
	nl = strchr(buf, '\n');
	if (nl)
		memmove(buf, nl + 1, strlen(nl + 1) + 1);
}

static void m_add_span(struct vmk_vmem *vm, uint64_t off, uint64_t len)
{
	int r = vmk_vmem_add(vm, MODEL_BASE + off, len);
	bool overlap = false;

	for (uint64_t i = off; i < off + len; i++)
		overlap |= M.span[i] != 0;
	if (overlap) {
		assert_int_equal(r, -VMK_EEXIST);
		return;
	}
	assert_int_equal(r, 0);
	M.nspans++;
	for (uint64_t i = off; i < off + len; i++)
		M.span[i] = (int)M.nspans;
}

static void differential(unsigned int policy, uint64_t seed)
{
	static char before[1 << 16], after[1 << 16];
	struct vmk_vmem vm;
	struct vmk_vmem_params p = { .name = "diff", .quantum = 1 };
	uint64_t s = seed | 1;
	unsigned int fails = 0, allocs = 0;

	setup_phys();
	memset(&M, 0, sizeof(M));
	assert_int_equal(vmk_vmem_init(&vm, &p), 0);
	m_add_span(&vm, 0, 1024);
	m_add_span(&vm, 1024, 512);	/* adjacent: a separate span */
	m_add_span(&vm, 2048, 1536);
	for (unsigned int op = 0; op < 800; op++) {
		uint64_t r = tp_rand(&s) % 100;

		if (r < 2) {
			m_add_span(&vm, tp_rand(&s) % 4000, 1 + tp_rand(&s) % 96);
		} else if (r < 45 && M.n > 0) {
			unsigned int k = (unsigned int)(tp_rand(&s) % M.n);

			vmk_vmem_xfree(&vm, M.addr[k], M.size[k]);
			m_mark(M.addr[k], M.size[k], false);
			M.addr[k] = M.addr[--M.n];
			M.size[k] = M.size[M.n];
		} else if (M.n < MODEL_MAXOPS) {
			vmk_size_t size = 1 + tp_rand(&s) % (tp_rand(&s) % 4 ? 16 : 200);
			vmk_size_t align = 1ull << (tp_rand(&s) % 4 ? 0 : tp_rand(&s) % 7);
			vmk_size_t phase = align > 1 && tp_rand(&s) % 2 ? tp_rand(&s) % align : 0;
			vmk_size_t nocross = 0;
			vmk_vaddr_t min = 0, max = 0, a = 0;
			uint64_t best = 0;
			int err;

			if (tp_rand(&s) % 6 == 0) {
				nocross = 1ull << (9 + tp_rand(&s) % 3);
				if (nocross < size || nocross < align)
					nocross = 0;
			}
			if (tp_rand(&s) % 5 == 0) {
				min = MODEL_BASE + tp_rand(&s) % MODEL_N;
				max = tp_rand(&s) % 2 ? min + size + tp_rand(&s) % 600 : 0;
			}
			if (policy == VMK_VMEM_BESTFIT)
				best = m_best_run(size, align, phase, nocross, min, max);
			/* Every 3rd request also proves a failure changed nothing (printing is slow under TSan). */
			if (op % 3 == 0)
				snapshot(&vm, before, sizeof(before));
			err = vmk_vmem_xalloc(&vm, size, align, phase, nocross, min, max, policy, &a);
			if (err) {
				assert_int_equal(err, -VMK_ENOMEM);
				if (m_any_fit(size, align, phase, nocross, min, max))
					fail_msg("seed %llu op %u: xalloc(%llu, align %llu, phase %llu, nocross %llu, "
						 "[%#llx, %#llx)) failed but a fit exists", (unsigned long long)seed, op,
						 (unsigned long long)size, (unsigned long long)align,
						 (unsigned long long)phase, (unsigned long long)nocross,
						 (unsigned long long)min, (unsigned long long)max);
				if (op % 3 == 0) {
					snapshot(&vm, after, sizeof(after));
					assert_string_equal(before, after);
				}
				fails++;
			} else {
				allocs++;
				assert_int_equal(a % align, phase);
				assert_true(a >= min);
				if (max)
					assert_true(a + size <= max);
				if (nocross)
					assert_int_equal(a / nocross, (a + size - 1) / nocross);
				if (!m_free_run(a, size))
					fail_msg("seed %llu op %u: %#llx+%llu is not free in the model",
						 (unsigned long long)seed, op, (unsigned long long)a,
						 (unsigned long long)size);
				if (policy == VMK_VMEM_BESTFIT && m_run_len(a) != best)
					fail_msg("seed %llu op %u: best fit took a run of %llu, smallest fitting %llu",
						 (unsigned long long)seed, op, (unsigned long long)m_run_len(a),
						 (unsigned long long)best);
				m_mark(a, size, true);
				M.addr[M.n] = a;
				M.size[M.n++] = size;
			}
		}
		if (op % 8 == 0)
			check_arena(&vm);
	}
	check_arena(&vm);
	assert_true(allocs > 130);
	assert_true(fails > 0);
	while (M.n > 0) {
		M.n--;
		vmk_vmem_xfree(&vm, M.addr[M.n], M.size[M.n]);
		m_mark(M.addr[M.n], M.size[M.n], false);
	}
	check_arena(&vm);
	vmk_vmem_destroy(&vm);
	assert_int_equal(tp_state(VMK_PAGE_ALLOC), 0);
	tp_check();
}

static void test_differential_instant(void **st)
{
	(void)st;
	differential(VMK_VMEM_INSTANTFIT, th_seed());
}

static void test_differential_best(void **st)
{
	(void)st;
	differential(VMK_VMEM_BESTFIT, th_seed() + 1);
}

static void test_differential_next(void **st)
{
	(void)st;
	differential(VMK_VMEM_NEXTFIT, th_seed() + 2);
}

/* Instant fit takes the first big-enough class (O(1)); best fit the smallest fitting hole. */
static void test_instant_fit_is_first_class(void **st)
{
	struct vmk_vmem vm;
	struct vmk_vmem_params p = { .name = "if", .quantum = 4096 };
	const vmk_vaddr_t base = 0x100000, pg = 4096;
	vmk_vaddr_t x;

	(void)st;
	setup_phys();
	assert_int_equal(vmk_vmem_init(&vm, &p), 0);
	assert_int_equal(vmk_vmem_add(&vm, base, 32 * pg), 0);
	for (vmk_vaddr_t i = 0; i < 32; i++) {
		assert_int_equal(vmk_vmem_alloc(&vm, pg, VMK_VMEM_BESTFIT, &x), 0);
		assert_int_equal(x, base + i * pg);
	}
	/* Hole A: pages 1..3 (3 pages); hole B: pages 10..17 (8 pages). */
	for (vmk_vaddr_t i = 1; i <= 3; i++)
		vmk_vmem_free(&vm, base + i * pg, pg);
	for (vmk_vaddr_t i = 10; i <= 17; i++)
		vmk_vmem_free(&vm, base + i * pg, pg);
	assert_int_equal(vmk_vmem_alloc(&vm, 3 * pg, VMK_VMEM_BESTFIT, &x), 0);
	assert_int_equal(x, base + pg);
	vmk_vmem_free(&vm, x, 3 * pg);
	/* Instant fit: 3 pages round up to class 4+, so hole B. */
	assert_int_equal(vmk_vmem_alloc(&vm, 3 * pg, VMK_VMEM_INSTANTFIT, &x), 0);
	assert_int_equal(x, base + 10 * pg);
	assert_int_equal(vmk_vmem_alloc(&vm, 3 * pg, VMK_VMEM_INSTANTFIT, &x), 0);
	assert_int_equal(x, base + 13 * pg);	/* B's rest: 5 pages, class 4 */
	/* B's rest is 2 pages; only A fits, found by the fallback to the request's own class. */
	assert_int_equal(vmk_vmem_alloc(&vm, 3 * pg, VMK_VMEM_INSTANTFIT, &x), 0);
	assert_int_equal(x, base + pg);
	assert_int_equal(vmk_vmem_alloc(&vm, 3 * pg, VMK_VMEM_INSTANTFIT, &x), -VMK_ENOMEM);
	assert_int_equal(vmk_vmem_check(&vm, NULL, 0), 0);
	vmk_vmem_free(&vm, base + pg, 3 * pg);
	vmk_vmem_free(&vm, base + 10 * pg, 3 * pg);
	vmk_vmem_free(&vm, base + 13 * pg, 3 * pg);
	for (vmk_vaddr_t i = 0; i < 32; i++)
		if (i == 0 || (i > 3 && i < 10) || i > 17)
			vmk_vmem_free(&vm, base + i * pg, pg);
	assert_int_equal(vmk_vmem_size(&vm, VMK_VMEM_ALLOC), 0);
	assert_int_equal(vmk_vmem_check(&vm, NULL, 0), 0);
	vmk_vmem_destroy(&vm);
}

static void test_next_fit_rotates(void **st)
{
	struct vmk_vmem vm;
	struct vmk_vmem_params p = { .name = "asid", .base = 1, .size = 255, .quantum = 1 };
	vmk_vaddr_t a, b;

	(void)st;
	setup_phys();
	assert_int_equal(vmk_vmem_init(&vm, &p), 0);
	assert_int_equal(vmk_vmem_alloc(&vm, 1, VMK_VMEM_NEXTFIT, &a), 0);
	assert_int_equal(a, 1);
	vmk_vmem_free(&vm, a, 1);
	assert_int_equal(vmk_vmem_alloc(&vm, 1, VMK_VMEM_NEXTFIT, &b), 0);
	assert_int_equal(b, 2);	/* not reused at once */
	for (vmk_vaddr_t i = 3; i <= 255; i++) {
		assert_int_equal(vmk_vmem_alloc(&vm, 1, VMK_VMEM_NEXTFIT, &a), 0);
		assert_int_equal(a, i);
	}
	/* Wraps to the one free identifier. */
	assert_int_equal(vmk_vmem_alloc(&vm, 1, VMK_VMEM_NEXTFIT, &a), 0);
	assert_int_equal(a, 1);
	assert_int_equal(vmk_vmem_alloc(&vm, 1, VMK_VMEM_NEXTFIT, &a), -VMK_ENOMEM);
	for (vmk_vaddr_t i = 1; i <= 255; i++)
		vmk_vmem_free(&vm, i, 1);
	assert_int_equal(vmk_vmem_check(&vm, NULL, 0), 0);
	vmk_vmem_destroy(&vm);
}

/* ---- import and release ---- */

static int imp(void *arg, vmk_size_t size, unsigned int flags, vmk_vaddr_t *addrp)
{
	return vmk_vmem_xalloc(arg, size, 0x200000, 0, 0, 0, 0, flags & VMK_VMEM_POLICY_MASK, addrp);
}

static void rel(void *arg, vmk_vaddr_t addr, vmk_size_t size)
{
	vmk_vmem_xfree(arg, addr, size);
}

static void test_import_release(void **st)
{
	struct vmk_vmem parent, child;
	struct vmk_vmem_params pp = { .name = "parent", .base = 0x40000000, .size = 0x1000000, .quantum = 4096 };
	struct vmk_vmem_params cp = { .name = "child", .quantum = 4096, .import = imp, .release = rel,
				      .import_arg = &parent, .import_quantum = 0x200000 };
	vmk_vaddr_t a[64];

	(void)st;
	setup_phys();
	assert_int_equal(vmk_vmem_init(&parent, &pp), 0);
	cp.import_arg = &parent;
	assert_int_equal(vmk_vmem_init(&child, &cp), 0);
	for (int i = 0; i < 64; i++) {
		assert_int_equal(vmk_vmem_alloc(&child, 0x10000, 0, &a[i]), 0);
		assert_true(a[i] >= 0x40000000 && a[i] < 0x41000000);
	}
	assert_int_equal(vmk_vmem_size(&parent, VMK_VMEM_ALLOC), 0x400000);	/* two 2 MiB units */
	assert_int_equal(vmk_vmem_size(&child, VMK_VMEM_TOTAL), 0x400000);
	/* A request that fits nowhere, even after an import: the import goes back. */
	vmk_vaddr_t x;
	assert_int_equal(vmk_vmem_xalloc(&child, 0x1000, 0, 0, 0, 0x10, 0x20, 0, &x), -VMK_ENOMEM);
	assert_int_equal(vmk_vmem_size(&parent, VMK_VMEM_ALLOC), 0x400000);
	/* Parent exhausted: import fails, the child is unchanged. */
	assert_int_equal(vmk_vmem_alloc(&child, 0x2000000, 0, &x), -VMK_ENOMEM);
	assert_int_equal(vmk_vmem_size(&child, VMK_VMEM_TOTAL), 0x400000);
	for (int i = 0; i < 64; i++)
		vmk_vmem_free(&child, a[i], 0x10000);
	assert_int_equal(vmk_vmem_size(&child, VMK_VMEM_TOTAL), 0);
	assert_int_equal(vmk_vmem_size(&parent, VMK_VMEM_ALLOC), 0);
	assert_int_equal(child.imports, child.releases);
	assert_int_equal(vmk_vmem_check(&child, NULL, 0), 0);
	assert_int_equal(vmk_vmem_check(&parent, NULL, 0), 0);
	vmk_vmem_destroy(&child);
	vmk_vmem_destroy(&parent);
	assert_int_equal(tp_state(VMK_PAGE_ALLOC), 0);
}

/* ---- quantum caches ---- */

static void test_qcache(void **st)
{
	struct vmk_vmem vm;
	struct vmk_vmem_params p = { .name = "qc", .base = 0x100000, .size = 0x1000000, .quantum = 4096,
				     .qcache_max = 4 * 4096 };
	vmk_vaddr_t a[300];
	vmk_size_t sz[300];
	uint64_t s = th_seed() | 1;
	char msg[200];

	(void)st;
	setup_phys();
	assert_int_equal(vmk_vmem_init(&vm, &p), 0);
	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < 300; i++) {
			sz[i] = (1 + tp_rand(&s) % 6) * 4096;
			assert_int_equal(vmk_vmem_alloc(&vm, sz[i], 0, &a[i]), 0);
			for (int j = 0; j < i; j++)
				assert_true(a[i] + sz[i] <= a[j] || a[j] + sz[j] <= a[i]);
		}
		for (int i = 0; i < 300; i++)
			vmk_vmem_free(&vm, a[i], sz[i]);
	}
	if (vmk_vmem_check(&vm, msg, sizeof(msg)))
		fail_msg("%s", msg);
	assert_true(vmk_vmem_size(&vm, VMK_VMEM_ALLOC) > 0);	/* cached */
	vmk_vmem_qcache_drain(&vm);
	assert_int_equal(vmk_vmem_size(&vm, VMK_VMEM_ALLOC), 0);
	assert_int_equal(vmk_vmem_check(&vm, NULL, 0), 0);
	vmk_vmem_destroy(&vm);
}

/* ---- boundary-tag supply ---- */

static unsigned int pages_left;
static void *lim_alloc(void *ctx, uint64_t *cookie)
{
	(void)ctx;
	if (pages_left == 0)
		return NULL;
	pages_left--;
	*cookie = 7;
	return aligned_alloc(4096, 4096);
}

static void lim_free(void *ctx, void *page, uint64_t cookie)
{
	(void)ctx;
	assert_int_equal(cookie, 7);
	free(page);
}

static const struct vmk_vmem_tag_source lim = { lim_alloc, lim_free, NULL };

/* Out of tags: allocations fail with the arena unchanged; frees never need tags. */
static void test_tag_exhaustion(void **st)
{
	static char before[1 << 16], after[1 << 16];
	struct vmk_vmem vm;
	struct vmk_vmem_params p = { .name = "tags", .base = 0, .size = 1ull << 30, .quantum = 4096,
				     .tags = &lim };
	vmk_vaddr_t a[400];
	unsigned int n = 0;
	int err = 0;

	(void)st;
	pages_left = 3;
	assert_int_equal(vmk_vmem_init(&vm, &p), 0);
	/* Every other page, so each allocation needs a new tag. */
	while (n < 400) {
		snapshot(&vm, before, sizeof(before));
		err = vmk_vmem_xalloc(&vm, 4096, 0, 0, 0, (vmk_vaddr_t)n * 0x2000, 0, VMK_VMEM_INSTANTFIT, &a[n]);
		if (err) {
			snapshot(&vm, after, sizeof(after));
			assert_string_equal(before, after);
			break;
		}
		n++;
	}
	assert_int_equal(err, -VMK_ENOMEM);
	assert_true(n > 100);
	assert_int_equal(vmk_vmem_check(&vm, NULL, 0), 0);
	for (unsigned int i = 0; i < n; i++)
		vmk_vmem_xfree(&vm, a[i], 4096);
	assert_int_equal(vmk_vmem_size(&vm, VMK_VMEM_ALLOC), 0);
	assert_int_equal(vmk_vmem_check(&vm, NULL, 0), 0);
	vmk_vmem_destroy(&vm);
}

/* Injected failures at every site of an import-backed allocation leave both arenas unchanged. */
static void test_fault_sweep(void **st)
{
	static char b1[1 << 14], b2[1 << 14], a1[1 << 14], a2[1 << 14];
	struct vmk_vmem parent, child;
	struct vmk_vmem_params pp = { .name = "parent", .base = 0x40000000, .size = 0x1000000, .quantum = 4096 };
	struct vmk_vmem_params cp = { .name = "child", .quantum = 4096, .import = imp, .release = rel,
				      .import_quantum = 0x200000 };
	unsigned long n;

	(void)st;
	for (n = 0;; n++) {
		vmk_vaddr_t x;
		int err;

		setup_phys();
		assert_int_equal(vmk_vmem_init(&parent, &pp), 0);
		cp.import_arg = &parent;
		assert_int_equal(vmk_vmem_init(&child, &cp), 0);
		snapshot(&parent, b1, sizeof(b1));
		snapshot(&child, b2, sizeof(b2));
		vmk_sim_fail_nth(n, NULL, false);
		err = vmk_vmem_xalloc(&child, 0x3000, 0x4000, 0x1000, 0, 0, 0, 0, &x);
		if (vmk_sim_faults_injected() == 0) {
			vmk_sim_fail_off();
			assert_int_equal(err, 0);
			break;
		}
		vmk_sim_fail_off();
		assert_int_equal(err, -VMK_ENOMEM);
		snapshot(&parent, a1, sizeof(a1));
		snapshot(&child, a2, sizeof(a2));
		assert_string_equal(b1, a1);
		assert_string_equal(b2, a2);
		vmk_vmem_destroy(&child);
		vmk_vmem_destroy(&parent);
		assert_int_equal(tp_state(VMK_PAGE_ALLOC), 0);
	}
	assert_true(n >= 3);
}

static void test_bad_free_panics(void **st)
{
	struct vmk_vmem vm;
	struct vmk_vmem_params p = { .name = "bad", .base = 0x1000, .size = 0x10000, .quantum = 4096 };
	vmk_vaddr_t a;

	(void)st;
	setup_phys();
	assert_int_equal(vmk_vmem_init(&vm, &p), 0);
	assert_int_equal(vmk_vmem_alloc(&vm, 0x2000, 0, &a), 0);
	assert_panics(vmk_vmem_xfree(&vm, a, 0x1000), "not an allocated segment");
	assert_panics(vmk_vmem_xfree(&vm, a + 0x1000, 0x1000), "not an allocated segment");
	vmk_vmem_xfree(&vm, a, 0x2000);
	assert_panics(vmk_vmem_xfree(&vm, a, 0x2000), "not an allocated segment");
	assert_int_equal(vmk_vmem_xalloc(&vm, 0x1000, 0x3000, 0, 0, 0, 0, 0, &a), -VMK_EINVAL);
	assert_int_equal(vmk_vmem_xalloc(&vm, 0x2000, 0, 0, 0x1000, 0, 0, 0, &a), -VMK_EINVAL);
	assert_int_equal(vmk_vmem_add(&vm, 0x8000, 0x1000), -VMK_EEXIST);
	assert_int_equal(vmk_vmem_check(&vm, NULL, 0), 0);
	vmk_vmem_destroy(&vm);
}

/* A span that ends at the top of the address space (kernel VA). */
static void test_top_of_space(void **st)
{
	struct vmk_vmem vm;
	struct vmk_vmem_params p = { .name = "top", .base = 0xffffffff80000000ull, .size = 0x80000000ull,
				     .quantum = 4096 };
	vmk_vaddr_t a;

	(void)st;
	setup_phys();
	assert_int_equal(vmk_vmem_init(&vm, &p), 0);
	assert_int_equal(vmk_vmem_xalloc(&vm, 0x1000, 0, 0, 0, 0xfffffffffffff000ull, 0, 0, &a), 0);
	assert_int_equal(a, 0xfffffffffffff000ull);
	assert_int_equal(vmk_vmem_xalloc(&vm, 0x2000, 0, 0, 0, 0xfffffffffffff000ull, 0, 0, &a), -VMK_ENOMEM);
	vmk_vmem_xfree(&vm, 0xfffffffffffff000ull, 0x1000);
	assert_int_equal(vmk_vmem_xalloc(&vm, 0x80000000ull, 0, 0, 0, 0, 0, VMK_VMEM_BESTFIT, &a), 0);
	assert_int_equal(a, 0xffffffff80000000ull);
	vmk_vmem_xfree(&vm, a, 0x80000000ull);
	assert_int_equal(vmk_vmem_check(&vm, NULL, 0), 0);
	vmk_vmem_destroy(&vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_differential_instant),
		cmocka_unit_test(test_differential_best),
		cmocka_unit_test(test_differential_next),
		cmocka_unit_test(test_instant_fit_is_first_class),
		cmocka_unit_test(test_next_fit_rotates),
		cmocka_unit_test(test_import_release),
		cmocka_unit_test(test_qcache),
		cmocka_unit_test(test_tag_exhaustion),
		cmocka_unit_test(test_fault_sweep),
		cmocka_unit_test(test_bad_free_panics),
		cmocka_unit_test(test_top_of_space),
	};

	vmk_sim_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
