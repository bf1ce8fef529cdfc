/*
 * vmem's refusals and edges: every bad parameter of vmk_vmem_init,
 * vmk_vmem_add and vmk_vmem_xalloc is refused with -VMK_EINVAL and
 * changes nothing; requests no segment can satisfy at the top of the
 * address space (alignment or a nocross window wrapping past 2^64) and
 * import sizes that overflow fail with -VMK_ENOMEM and change nothing; an
 * importing arena without a release function keeps its spans (on free and
 * on destroy). Tags come from a host-memory tag source so the test needs
 * no phys.
 */
#include "harness.h"
#include <vmkit/vmem.h>

#define PG	4096ull

struct tagsrc {
	unsigned int live, allocs;
};

static void *tag_alloc(void *ctx, uint64_t *cookie)
{
	struct tagsrc *t = ctx;
	void *p = NULL;

	if (posix_memalign(&p, PG, PG))
		return NULL;
	t->live++;
	t->allocs++;
	*cookie = (uint64_t)(uintptr_t)p;
	return p;
}

static void tag_free(void *ctx, void *page, uint64_t cookie)
{
	struct tagsrc *t = ctx;

	assert_int_equal((uint64_t)(uintptr_t)page, cookie);
	t->live--;
	free(page);
}

static struct tagsrc ts;
static const struct vmk_vmem_tag_source host_tags = { tag_alloc, tag_free, &ts };

static void ok_arena(struct vmk_vmem *vm)
{
	char msg[200];

	if (vmk_vmem_check(vm, msg, sizeof(msg)))
		fail_msg("vmem_check: %s", msg);
}

/* The segment list as text (the header line included). */
static void snap(struct vmk_vmem *vm, char *buf, size_t cap)
{
	struct vmk_outbuf ob;

	vmk_outbuf_init(&ob, buf, cap);
	vmk_vmem_print(vm, &ob.out);
}

static void test_init_refusals(void **state)
{
	static const struct vmk_vmem_params bad[] = {
		{ .quantum = 3 },					/* not a power of two */
		{ .quantum = PG, .release = (vmk_vmem_release_fn)1 },	/* release without import */
		{ .quantum = PG, .qcache_max = (VMK_VMEM_QCACHE_CLASSES + 1) * PG },
		{ .quantum = PG, .import_quantum = PG + PG / 2 },	/* not a multiple of the quantum */
		{ .quantum = PG, .base = PG / 2, .size = PG },		/* base misaligned */
		{ .quantum = PG, .base = PG, .size = PG / 2 },		/* size misaligned */
		{ .quantum = PG, .base = 0xfffffffffffff000ull, .size = 2 * PG },	/* wraps */
	};
	struct vmk_vmem vm;

	(void)state;
	for (size_t i = 0; i < VMK_ARRAY_SIZE(bad); i++) {
		struct vmk_vmem_params p = bad[i];

		p.tags = &host_tags;
		memset(&vm, 0xa5, sizeof(vm));
		assert_int_equal(vmk_vmem_init(&vm, &p), -VMK_EINVAL);
		/* Refused before anything is written or allocated. */
		assert_int_equal(((unsigned char *)&vm)[0], 0xa5);
		assert_int_equal(ts.live, 0);
	}
}

/* No name: the arena is called "vmem"; the largest allowed quantum cache is accepted. */
static void test_init_defaults(void **state)
{
	struct vmk_vmem_params p = { .quantum = PG, .qcache_max = VMK_VMEM_QCACHE_CLASSES * PG,
				     .base = 16 * PG, .size = 16 * PG, .tags = &host_tags };
	struct vmk_vmem vm;
	char buf[512];

	(void)state;
	assert_int_equal(vmk_vmem_init(&vm, &p), 0);
	snap(&vm, buf, sizeof(buf));
	assert_non_null(strstr(buf, "vmem vmem: quantum 0x1000, 0 of 65536 bytes in use"));
	assert_non_null(strstr(buf, "0x0000000000010000-0x000000000001ffff span (static)\n"
				    "  0x0000000000010000-0x000000000001ffff free\n"));
	assert_int_equal(vmk_vmem_size(&vm, VMK_VMEM_FREE), 16 * PG);
	assert_int_equal(vmk_vmem_size(&vm, VMK_VMEM_TOTAL), 16 * PG);
	vmk_vmem_destroy(&vm);
	assert_int_equal(ts.live, 0);
}

static void test_add_refusals(void **state)
{
	struct vmk_vmem_params p = { .name = "add", .quantum = PG, .base = 16 * PG, .size = 16 * PG,
				     .tags = &host_tags };
	struct vmk_vmem vm;
	char before[512], after[512];

	(void)state;
	assert_int_equal(vmk_vmem_init(&vm, &p), 0);
	snap(&vm, before, sizeof(before));
	assert_int_equal(vmk_vmem_add(&vm, 64 * PG, 0), -VMK_EINVAL);
	assert_int_equal(vmk_vmem_add(&vm, 64 * PG + 8, PG), -VMK_EINVAL);
	assert_int_equal(vmk_vmem_add(&vm, 64 * PG, PG + 8), -VMK_EINVAL);
	assert_int_equal(vmk_vmem_add(&vm, 0xfffffffffffff000ull, 2 * PG), -VMK_EINVAL);
	/* Overlapping the existing span. */
	assert_int_equal(vmk_vmem_add(&vm, 31 * PG, 2 * PG), -VMK_EEXIST);
	snap(&vm, after, sizeof(after));
	assert_string_equal(before, after);
	/* The last page of the address space is a valid span. */
	assert_int_equal(vmk_vmem_add(&vm, 0xfffffffffffff000ull, PG), 0);
	assert_int_equal(vmk_vmem_size(&vm, VMK_VMEM_TOTAL), 17 * PG);
	ok_arena(&vm);
	vmk_vmem_destroy(&vm);
	assert_int_equal(ts.live, 0);
}

static void test_xalloc_refusals(void **state)
{
	struct vmk_vmem_params p = { .name = "args", .quantum = PG, .base = 16 * PG, .size = 64 * PG,
				     .tags = &host_tags };
	struct vmk_vmem vm;
	vmk_vaddr_t a = 0x1234;
	char before[512], after[512];

	(void)state;
	assert_int_equal(vmk_vmem_init(&vm, &p), 0);
	snap(&vm, before, sizeof(before));
	/* size 0, and a size that overflows when rounded to the quantum */
	assert_int_equal(vmk_vmem_xalloc(&vm, 0, 0, 0, 0, 0, 0, 0, &a), -VMK_EINVAL);
	assert_int_equal(vmk_vmem_xalloc(&vm, ~0ull, 0, 0, 0, 0, 0, 0, &a), -VMK_EINVAL);
	/* align: not a power of two, below the quantum */
	assert_int_equal(vmk_vmem_xalloc(&vm, PG, 3 * PG, 0, 0, 0, 0, 0, &a), -VMK_EINVAL);
	assert_int_equal(vmk_vmem_xalloc(&vm, PG, PG / 2, 0, 0, 0, 0, 0, &a), -VMK_EINVAL);
	/* phase: not below the alignment, not a multiple of the quantum */
	assert_int_equal(vmk_vmem_xalloc(&vm, PG, 2 * PG, 2 * PG, 0, 0, 0, 0, &a), -VMK_EINVAL);
	assert_int_equal(vmk_vmem_xalloc(&vm, PG, 2 * PG, 8, 0, 0, 0, 0, &a), -VMK_EINVAL);
	/* nocross: not a power of two, smaller than the size, smaller than the alignment */
	assert_int_equal(vmk_vmem_xalloc(&vm, PG, 0, 0, 3 * PG, 0, 0, 0, &a), -VMK_EINVAL);
	assert_int_equal(vmk_vmem_xalloc(&vm, 4 * PG, 0, 0, 2 * PG, 0, 0, 0, &a), -VMK_EINVAL);
	assert_int_equal(vmk_vmem_xalloc(&vm, PG, 8 * PG, 0, 4 * PG, 0, 0, 0, &a), -VMK_EINVAL);
	/* an empty [min, max) window */
	assert_int_equal(vmk_vmem_xalloc(&vm, PG, 0, 0, 0, 32 * PG, 32 * PG, 0, &a), -VMK_EINVAL);
	assert_int_equal(vmk_vmem_xalloc(&vm, PG, 0, 0, 0, 32 * PG, 20 * PG, 0, &a), -VMK_EINVAL);
	assert_int_equal(a, 0x1234);
	snap(&vm, after, sizeof(after));
	assert_string_equal(before, after);
	assert_int_equal(vmk_vmem_size(&vm, VMK_VMEM_ALLOC), 0);
	vmk_vmem_destroy(&vm);
	assert_int_equal(ts.live, 0);
}

/*
 * An arena holding the top 2 GiB of the address space: requests whose
 * aligned start or nocross window would wrap past 2^64 find nothing, and
 * a phase that puts every start too close to the window's end never fits.
 */
static void test_top_wraps(void **state)
{
	const vmk_vaddr_t base = 0xffffffff80000000ull, top_pg = 0xfffffffffffff000ull;
	struct vmk_vmem_params p = { .name = "top", .quantum = PG, .base = base, .size = 0x80000000ull,
				     .tags = &host_tags };
	struct vmk_vmem vm;
	vmk_vaddr_t a = 0;
	char before[512], after[512];

	(void)state;
	assert_int_equal(vmk_vmem_init(&vm, &p), 0);
	snap(&vm, before, sizeof(before));
	/* The next 4 GiB boundary above base + 4 KiB is 2^64. */
	assert_int_equal(vmk_vmem_xalloc(&vm, PG, 1ull << 32, 0, 0, base + PG, 0, VMK_VMEM_BESTFIT, &a),
			 -VMK_ENOMEM);
	/* From the last page, an 8 KiB segment would cross 2^64; its next nocross window is 2^64. */
	assert_int_equal(vmk_vmem_xalloc(&vm, 2 * PG, 0, 0, 4 * PG, top_pg, 0, VMK_VMEM_BESTFIT, &a),
			 -VMK_ENOMEM);
	/* phase 8 KiB + 12 KiB > a 16 KiB window: no start avoids crossing. */
	assert_int_equal(vmk_vmem_xalloc(&vm, 3 * PG, 4 * PG, 2 * PG, 4 * PG, 0, 0, VMK_VMEM_BESTFIT, &a),
			 -VMK_ENOMEM);
	/* Larger than 2^63 quanta and not a power of two: no free list is large enough. */
	assert_int_equal(vmk_vmem_xalloc(&vm, (1ull << 63) + PG, 0, 0, 0, 0, 0, VMK_VMEM_INSTANTFIT, &a),
			 -VMK_ENOMEM);
	assert_int_equal(a, 0);
	snap(&vm, after, sizeof(after));
	assert_string_equal(before, after);
	/* The same window minus the wrap does fit: the last page, and a nocross pair just below it. */
	assert_int_equal(vmk_vmem_xalloc(&vm, PG, 0, 0, 0, top_pg, 0, VMK_VMEM_BESTFIT, &a), 0);
	assert_int_equal(a, top_pg);
	vmk_vmem_xfree(&vm, a, PG);
	assert_int_equal(vmk_vmem_xalloc(&vm, 2 * PG, 0, 0, 4 * PG, top_pg - 2 * PG, 0, VMK_VMEM_BESTFIT, &a), 0);
	assert_int_equal(a, top_pg - 2 * PG);
	vmk_vmem_xfree(&vm, a, 2 * PG);
	ok_arena(&vm);
	vmk_vmem_destroy(&vm);
	assert_int_equal(ts.live, 0);
}

/* ---- importing arenas ---- */

static struct vmk_vmem parent;
static unsigned int imports;

static int imp(void *arg, vmk_size_t size, unsigned int flags, vmk_vaddr_t *addrp)
{
	imports++;
	return vmk_vmem_alloc(arg, size, flags, addrp);
}

static void rel(void *arg, vmk_vaddr_t addr, vmk_size_t size)
{
	vmk_vmem_free(arg, addr, size);
}

/* Sizes whose import span (with room to align and for a nocross window) overflows: nothing imported. */
static void test_import_overflow(void **state)
{
	struct vmk_vmem_params pp = { .name = "parent", .quantum = PG, .base = 1ull << 40, .size = 1ull << 30,
				      .tags = &host_tags };
	struct vmk_vmem_params cp = { .name = "child", .quantum = PG, .import = imp, .release = rel,
				      .import_arg = &parent, .import_quantum = 1ull << 20, .tags = &host_tags };
	struct vmk_vmem child;
	vmk_vaddr_t a = 0;

	(void)state;
	imports = 0;
	assert_int_equal(vmk_vmem_init(&parent, &pp), 0);
	assert_int_equal(vmk_vmem_init(&child, &cp), 0);
	/* size + 2 * align overflows */
	assert_int_equal(vmk_vmem_xalloc(&child, (1ull << 63) + (1ull << 62), 1ull << 62, 0, 0, 0, 0, 0, &a),
			 -VMK_ENOMEM);
	/* size + 2 * align fits, adding 2 * nocross overflows */
	assert_int_equal(vmk_vmem_xalloc(&child, 1ull << 62, 1ull << 62, 0, 1ull << 62, 0, 0, 0, &a),
			 -VMK_ENOMEM);
	/* rounding up to the import quantum overflows */
	assert_int_equal(vmk_vmem_xalloc(&child, 0xfffffffffff00000ull + PG, 0, 0, 0, 0, 0, 0, &a), -VMK_ENOMEM);
	assert_int_equal(imports, 0);
	assert_int_equal(a, 0);
	assert_int_equal(vmk_vmem_size(&child, VMK_VMEM_TOTAL), 0);
	assert_int_equal(vmk_vmem_size(&parent, VMK_VMEM_ALLOC), 0);
	/* A size the parent can give is imported (sanity of the set-up). */
	assert_int_equal(vmk_vmem_xalloc(&child, PG, 0, 0, 0, 0, 0, 0, &a), 0);
	assert_int_equal(imports, 1);
	assert_int_equal(vmk_vmem_size(&parent, VMK_VMEM_ALLOC), 1ull << 20);
	vmk_vmem_xfree(&child, a, PG);
	assert_int_equal(vmk_vmem_size(&parent, VMK_VMEM_ALLOC), 0);
	ok_arena(&child);
	vmk_vmem_destroy(&child);
	vmk_vmem_destroy(&parent);
	assert_int_equal(ts.live, 0);
}

/*
 * Without a release function an arena keeps what it imported: freeing the
 * last segment of a span leaves the span (free, reusable without another
 * import), and destroy leaves it allocated in the parent.
 */
static void test_import_without_release(void **state)
{
	struct vmk_vmem_params pp = { .name = "parent", .quantum = PG, .base = 1ull << 40, .size = 1ull << 30,
				      .tags = &host_tags };
	struct vmk_vmem_params cp = { .name = "keeper", .quantum = PG, .import = imp,
				      .import_arg = &parent, .import_quantum = 16 * PG, .tags = &host_tags };
	struct vmk_vmem child;
	vmk_vaddr_t a, b;

	(void)state;
	imports = 0;
	assert_int_equal(vmk_vmem_init(&parent, &pp), 0);
	assert_int_equal(vmk_vmem_init(&child, &cp), 0);
	assert_int_equal(vmk_vmem_alloc(&child, 2 * PG, VMK_VMEM_INSTANTFIT, &a), 0);
	assert_int_equal(imports, 1);
	vmk_vmem_free(&child, a, 2 * PG);
	assert_int_equal(vmk_vmem_size(&child, VMK_VMEM_TOTAL), 16 * PG);
	assert_int_equal(vmk_vmem_size(&child, VMK_VMEM_FREE), 16 * PG);
	assert_int_equal(vmk_vmem_size(&parent, VMK_VMEM_ALLOC), 16 * PG);
	ok_arena(&child);
	assert_int_equal(vmk_vmem_alloc(&child, 16 * PG, VMK_VMEM_INSTANTFIT, &b), 0);
	assert_int_equal(imports, 1);
	vmk_vmem_free(&child, b, 16 * PG);
	vmk_vmem_destroy(&child);
	assert_int_equal(vmk_vmem_size(&parent, VMK_VMEM_ALLOC), 16 * PG);
	vmk_vmem_xfree(&parent, a & ~(16 * PG - 1), 16 * PG);
	assert_int_equal(vmk_vmem_size(&parent, VMK_VMEM_ALLOC), 0);
	ok_arena(&parent);
	vmk_vmem_destroy(&parent);
	assert_int_equal(ts.live, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_refusals),
		cmocka_unit_test(test_init_defaults),
		cmocka_unit_test(test_add_refusals),
		cmocka_unit_test(test_xalloc_refusals),
		cmocka_unit_test(test_top_wraps),
		cmocka_unit_test(test_import_overflow),
		cmocka_unit_test(test_import_without_release),
	};

	vmk_sim_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
