/* Tests of the conversion from a resource tree to firmware-map entries. */
#include "resource_th.h"
#include <vmkit/fwmap.h>

struct want {
	uint64_t base, last;
	uint32_t kind;
	uint32_t src;
	uint32_t flags;		/* VMK_FWMAP_F_IN_RAM for entries nested in System RAM */
};

static void expect_map(const struct vmk_fwmap *m, size_t from, const struct want *w, size_t n)
{
	if (m->n - from != n) {
		for (size_t i = from; i < m->n; i++)
			fprintf(stderr, "  %#llx-%#llx %s src %u\n", (unsigned long long)m->e[i].base,
				(unsigned long long)(m->e[i].base + m->e[i].size - 1),
				vmk_mem_kind_name(m->e[i].kind), m->e[i].src);
		fail_msg("%zu entries, want %zu", m->n - from, n);
	}
	for (size_t i = 0; i < n; i++) {
		const struct vmk_fwmap_entry *e = &m->e[from + i];

		if (e->base != w[i].base || e->base + e->size - 1 != w[i].last || e->kind != w[i].kind ||
		    e->src != w[i].src || e->flags != w[i].flags)
			fail_msg("entry %zu: %#llx-%#llx %s src %u, want %#llx-%#llx %s src %u", i,
				 (unsigned long long)e->base, (unsigned long long)(e->base + e->size - 1),
				 vmk_mem_kind_name(e->kind), e->src, (unsigned long long)w[i].base,
				 (unsigned long long)w[i].last, vmk_mem_kind_name(w[i].kind), w[i].src);
		assert_int_equal(e->fw_type, 0);
		assert_true(e->attr == 0);
	}
}

static void test_centos6(void **state)
{
	struct rt *t = rt_new();
	struct vmk_fwmap_entry storage[32];
	struct vmk_fwmap m;
	size_t len;
	char *text = th_read_data("memmaps/iomem-x86-centos6.txt", &len);
	/* By hand from the file; src is the line number. */
	static const struct want w[] = {
		{ 0x00000000, 0x0000ffff, VMK_MEM_RESERVED, 1, 0 },
		{ 0x00010000, 0x0009e7ff, VMK_MEM_USABLE, 2, 0 },
		{ 0x0009e800, 0x0009ffff, VMK_MEM_RESERVED, 3, 0 },
		{ 0x000dc000, 0x000fffff, VMK_MEM_RESERVED, 11, 0 },
		{ 0x00100000, 0x7fedffff, VMK_MEM_USABLE, 13, 0 },
		{ 0x7fee0000, 0x7fefefff, VMK_MEM_ACPI_RECLAIM, 18, 0 },
		{ 0x7feff000, 0x7fefffff, VMK_MEM_ACPI_NVS, 19, 0 },
		{ 0x7ff00000, 0x7fffffff, VMK_MEM_USABLE, 20, 0 },
	};

	(void)state;
	assert_int_equal(vmk_resource_parse(&t->root, &t->pool, text, len, NULL), 0);
	vmk_fwmap_init(&m, storage, VMK_ARRAY_SIZE(storage));
	assert_int_equal(vmk_resource_to_fwmap(&t->root, &m), 0);
	expect_map(&m, 0, w, VMK_ARRAY_SIZE(w));
	assert_true(vmk_fwmap_bytes(&m, VMK_MEM_USABLE) == 0x8e800 + 0x7fde0000 + 0x100000);
	assert_int_equal(vmk_fwmap_check(&m, 1, NULL), 0);
	free(text);
	rt_free(t);
}

static void test_arm64_nested(void **state)
{
	struct rt *t = rt_new();
	struct vmk_fwmap_entry storage[32];
	struct vmk_fwmap m;
	size_t len;
	char *text = th_read_data("memmaps/iomem-arm64-nested.txt", &len);
	static const struct want w[] = {
		{ 0x10000000, 0x101fffff, VMK_MEM_RESERVED, 1, 0 },
		{ 0x10201000, 0x10202fff, VMK_MEM_RESERVED, 2, 0 },
		{ 0x14000000, 0x14153fff, VMK_MEM_USABLE, 3, 0 },
		{ 0x14154000, 0x14154fff, VMK_MEM_RESERVED, 4, VMK_FWMAP_F_IN_RAM },
		{ 0x14155000, 0x141bffff, VMK_MEM_USABLE, 3, 0 },
		{ 0x141c0000, 0x14bcffff, VMK_MEM_RESERVED, 5, VMK_FWMAP_F_IN_RAM },
		{ 0x14bd0000, 0x1636ffff, VMK_MEM_USABLE, 3, 0 },	/* Kernel code is RAM */
		{ 0x16370000, 0x1686ffff, VMK_MEM_RESERVED, 7, VMK_FWMAP_F_IN_RAM },
		{ 0x16870000, 0x1734ffff, VMK_MEM_USABLE, 3, 0 },	/* Kernel data is RAM */
		{ 0x17350000, 0x17377fff, VMK_MEM_RESERVED, 9, VMK_FWMAP_F_IN_RAM },
		{ 0x17378000, 0x1effffff, VMK_MEM_USABLE, 3, 0 },
	};

	(void)state;
	assert_int_equal(vmk_resource_parse(&t->root, &t->pool, text, len, NULL), 0);
	vmk_fwmap_init(&m, storage, VMK_ARRAY_SIZE(storage));
	assert_int_equal(vmk_resource_to_fwmap(&t->root, &m), 0);
	expect_map(&m, 0, w, VMK_ARRAY_SIZE(w));
	assert_int_equal(vmk_fwmap_check(&m, 1, NULL), 0);
	free(text);
	rt_free(t);
}

static const char kinds_text[] =
	"00000000-00000fff : Reserved\n"				/* 1 */
	"00001000-00001fff : reserved\n"				/* 2: merges with 1 */
	"00002000-0009ffff : System RAM\n"				/* 3 */
	"  00002000-00002fff : System ROM\n"				/* 4: unknown inside RAM */
	"000a0000-000fffff : PCI Bus 0000:00\n"				/* 5: container */
	"  000f0000-000fffff : reserved\n"				/* 6 */
	"00100000-3fffffff : System RAM\n"				/* 7 */
	"  01000000-01ffffff : Kernel code\n"				/* 8 */
	"    01800000-01800fff : ACPI Tables\n"			/* 9 */
	"  20000000-2fffffff : Crash kernel\n"				/* 10 */
	"  3ffff000-3fffffff : ACPI Non-volatile Storage\n"		/* 11 */
	"40000000-4fffffff : Soft Reserved\n"				/* 12 */
	"  40000000-4fffffff : System RAM (kmem)\n"			/* 13 */
	"50000000-5fffffff : System RAM (kmem)\n"			/* 14: skipped */
	"60000000-6fffffff : Persistent Memory (legacy)\n"		/* 15 */
	"70000000-7fffffff : Persistent Memory\n"			/* 16: merges with 15 */
	"80000000-8fffffff : Crash kernel\n"				/* 17: top level */
	"100000000-1ffffffff : CXL Window 0\n"				/* 18: container */
	"  100000000-17fffffff : System RAM\n"				/* 19 */
	"  180000000-1ffffffff : Soft Reserved\n"			/* 20 */
	"200000000-2ffffffff : System RAM\n"				/* 21: not merged with 20 */
	"300000000-300000fff : Unusable memory\n"			/* 22 */
	"300001000-300001fff : Unknown E820 type\n"			/* 23 */
	"300002000-300002fff : RAM buffer\n";				/* 24: nothing */

static void test_kinds(void **state)
{
	struct rt *t = rt_new();
	struct vmk_fwmap_entry storage[40];
	struct vmk_fwmap m;
	static const struct want w[] = {
		/* 1 and 2 touch: one entry; the System ROM nested in RAM (4) is RAM in use. */
		{ 0x00000000, 0x00001fff, VMK_MEM_RESERVED, 1, 0 },
		{ 0x00002000, 0x00002fff, VMK_MEM_RESERVED, 4, VMK_FWMAP_F_IN_RAM },
		{ 0x00003000, 0x0009ffff, VMK_MEM_USABLE, 3, 0 },
		{ 0x000f0000, 0x000fffff, VMK_MEM_RESERVED, 6, 0 },
		{ 0x00100000, 0x017fffff, VMK_MEM_USABLE, 7, 0 },
		{ 0x01800000, 0x01800fff, VMK_MEM_ACPI_RECLAIM, 9, VMK_FWMAP_F_IN_RAM },
		{ 0x01801000, 0x1fffffff, VMK_MEM_USABLE, 7, 0 },
		{ 0x20000000, 0x2fffffff, VMK_MEM_RESERVED, 10, VMK_FWMAP_F_IN_RAM },
		{ 0x30000000, 0x3fffefff, VMK_MEM_USABLE, 7, 0 },
		{ 0x3ffff000, 0x3fffffff, VMK_MEM_ACPI_NVS, 11, VMK_FWMAP_F_IN_RAM },
		{ 0x40000000, 0x4fffffff, VMK_MEM_SOFT_RESERVED, 12, 0 },
		{ 0x60000000, 0x7fffffff, VMK_MEM_PERSISTENT, 15, 0 },
		{ 0x80000000, 0x8fffffff, VMK_MEM_RESERVED, 17, 0 },
		{ 0x100000000ull, 0x17fffffffull, VMK_MEM_USABLE, 19, 0 },
		{ 0x180000000ull, 0x1ffffffffull, VMK_MEM_SOFT_RESERVED, 20, 0 },
		{ 0x200000000ull, 0x2ffffffffull, VMK_MEM_USABLE, 21, 0 },
		{ 0x300000000ull, 0x300000fffull, VMK_MEM_UNUSABLE, 22, 0 },
		{ 0x300001000ull, 0x300001fffull, VMK_MEM_RESERVED, 23, 0 },
	};

	(void)state;
	rt_parse(t, kinds_text);
	vmk_fwmap_init(&m, storage, VMK_ARRAY_SIZE(storage));
	assert_int_equal(vmk_resource_to_fwmap(&t->root, &m), 0);
	expect_map(&m, 0, w, VMK_ARRAY_SIZE(w));
	assert_int_equal(vmk_fwmap_check(&m, 1, NULL), 0);

	/* Appending to a map: earlier entries are kept and never merged into. */
	vmk_fwmap_init(&m, storage, VMK_ARRAY_SIZE(storage));
	assert_int_equal(vmk_fwmap_add(&m, 0x1000000000ull, 0x1000, VMK_MEM_RESERVED, 0), 0);
	assert_int_equal(vmk_resource_to_fwmap(&t->root, &m), 0);
	assert_true(m.e[0].base == 0x1000000000ull && m.e[0].size == 0x1000);
	expect_map(&m, 1, w, VMK_ARRAY_SIZE(w));

	/* Full: -ENOSPC and the map as before, for every too-small capacity. */
	for (size_t cap = 1; cap <= VMK_ARRAY_SIZE(w); cap++) {
		vmk_fwmap_init(&m, storage, cap);
		assert_int_equal(vmk_fwmap_add(&m, 0x1000000000ull, 0x1000, VMK_MEM_RESERVED, 0), 0);
		assert_int_equal(vmk_resource_to_fwmap(&t->root, &m), -VMK_ENOSPC);
		assert_int_equal(m.n, 1);
		assert_true(m.e[0].base == 0x1000000000ull);
	}
	rt_free(t);
}

static void test_edges(void **state)
{
	struct rt *t = rt_new();
	struct vmk_fwmap_entry storage[8];
	struct vmk_fwmap m;
	static const struct want top[] = {
		{ 0xfffffffff0000000ull, 0xffffffffffefffffull, VMK_MEM_USABLE, 1, 0 },
		{ 0xfffffffffff00000ull, UINT64_MAX, VMK_MEM_RESERVED, 2, VMK_FWMAP_F_IN_RAM },
	};

	(void)state;
	/* A resource covering all 2^64 bytes cannot become an entry. */
	rt_parse(t, "00000000-ffffffffffffffff : reserved\n");
	vmk_fwmap_init(&m, storage, VMK_ARRAY_SIZE(storage));
	assert_int_equal(vmk_resource_to_fwmap(&t->root, &m), -VMK_ERANGE);
	assert_int_equal(m.n, 0);
	vmk_resource_free_tree(&t->pool, &t->root);
	/* Two halves that would merge into 2^64: kept apart. */
	rt_parse(t, "00000000-7fffffffffffffff : reserved\n8000000000000000-ffffffffffffffff : reserved\n");
	assert_int_equal(vmk_resource_to_fwmap(&t->root, &m), 0);
	assert_int_equal(m.n, 2);
	vmk_resource_free_tree(&t->pool, &t->root);
	/* The top of the address space. */
	rt_parse(t, "fffffffff0000000-ffffffffffffffff : System RAM\n"
		    "  fffffffffff00000-ffffffffffffffff : reserved\n");
	vmk_fwmap_init(&m, storage, VMK_ARRAY_SIZE(storage));
	assert_int_equal(vmk_resource_to_fwmap(&t->root, &m), 0);
	expect_map(&m, 0, top, VMK_ARRAY_SIZE(top));
	/* An empty tree adds nothing. */
	vmk_resource_free_tree(&t->pool, &t->root);
	vmk_fwmap_init(&m, storage, VMK_ARRAY_SIZE(storage));
	assert_int_equal(vmk_resource_to_fwmap(&t->root, &m), 0);
	assert_int_equal(m.n, 0);
	rt_free(t);
}

/* ZONE_DEVICE private memory (a driver's, no firmware range) leaves no entry; the RAM around it stays. */
static void test_device_private_skipped(void **state)
{
	struct rt *t = rt_new();
	struct vmk_fwmap_entry storage[8];
	struct vmk_fwmap m;
	struct vmk_resource dev;

	(void)state;
	rt_parse(t, "10000000-1fffffff : System RAM\n");
	vmk_resource_init(&dev, 0x400000000ull, 0x43fffffffull, "device private memory", VMK_RES_MEM,
			  VMK_RES_DESC_DEVICE_PRIVATE_MEMORY);
	assert_int_equal(vmk_resource_request(&t->root, &dev, NULL), 0);
	vmk_fwmap_init(&m, storage, VMK_ARRAY_SIZE(storage));
	assert_int_equal(vmk_resource_to_fwmap(&t->root, &m), 0);
	assert_int_equal(m.n, 1);
	assert_true(m.e[0].base == 0x10000000 && m.e[0].size == 0x10000000 && m.e[0].kind == VMK_MEM_USABLE);
	vmk_resource_remove(&dev);
	rt_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_centos6),
		cmocka_unit_test(test_arm64_nested),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_device_private_skipped),
	};

	vmk_sim_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
