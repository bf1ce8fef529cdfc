/*
 * Device tree memory maps (sim/fwmap_fdt.c). The DTBs are built at run
 * time with libfdt's sequential-write API.
 */
#include <libfdt.h>

#include "fwmap_test.h"
#include "fwmap_fdt.h"

#define DTB_SIZE 8192

/* Big-endian cells for a reg property. */
static int reg_prop(void *fdt, int ac, int sc, const uint64_t *v, int tuples)
{
	unsigned char buf[256];
	int len = 0;

	for (int t = 0; t < tuples; t++) {
		for (int k = 0; k < 2; k++) {
			int cells = k ? sc : ac;

			for (int c = cells - 1; c >= 0; c--) {
				uint32_t cell = (uint32_t)(v[2 * t + k] >> (32 * c));

				buf[len++] = (unsigned char)(cell >> 24);
				buf[len++] = (unsigned char)(cell >> 16);
				buf[len++] = (unsigned char)(cell >> 8);
				buf[len++] = (unsigned char)cell;
			}
		}
	}
	return fdt_property(fdt, "reg", buf, len);
}

#define OK(x) assert_int_equal((x), 0)

/* The usual arm64-like tree: two memory nodes, reserved-memory, /memreserve/. */
static void *build_full(void)
{
	void *fdt = calloc(1, DTB_SIZE);
	static const uint64_t mem0[] = { 0x40000000, 0x20000000, 0x80000000, 0x40000000 };
	static const uint64_t mem1[] = { 0x880000000ull, 0x80000000 };
	static const uint64_t tz[] = { 0x4e000000, 0x2000000 };
	static const uint64_t cma[] = { 0x50000000, 0x8000000 };
	static const uint64_t off[] = { 0x60000000, 0x1000 };

	OK(fdt_create(fdt, DTB_SIZE));
	OK(fdt_add_reservemap_entry(fdt, 0x48000000, 0x10000));
	OK(fdt_finish_reservemap(fdt));
	OK(fdt_begin_node(fdt, ""));
	OK(fdt_property_u32(fdt, "#address-cells", 2));
	OK(fdt_property_u32(fdt, "#size-cells", 2));
	OK(fdt_begin_node(fdt, "cpus"));
	OK(fdt_end_node(fdt));
	OK(fdt_begin_node(fdt, "memory@40000000"));
	OK(fdt_property_string(fdt, "device_type", "memory"));
	OK(reg_prop(fdt, 2, 2, mem0, 2));
	OK(fdt_end_node(fdt));
	OK(fdt_begin_node(fdt, "memory@880000000"));
	OK(fdt_property_string(fdt, "device_type", "memory"));
	OK(reg_prop(fdt, 2, 2, mem1, 1));
	OK(fdt_end_node(fdt));
	OK(fdt_begin_node(fdt, "memory@c0000000"));	/* disabled */
	OK(fdt_property_string(fdt, "device_type", "memory"));
	OK(fdt_property_string(fdt, "status", "disabled"));
	OK(reg_prop(fdt, 2, 2, mem1, 1));
	OK(fdt_end_node(fdt));
	OK(fdt_begin_node(fdt, "reserved-memory"));
	OK(fdt_property_u32(fdt, "#address-cells", 2));
	OK(fdt_property_u32(fdt, "#size-cells", 2));
	OK(fdt_property(fdt, "ranges", NULL, 0));
	OK(fdt_begin_node(fdt, "secmon@4e000000"));
	OK(reg_prop(fdt, 2, 2, tz, 1));
	OK(fdt_property(fdt, "no-map", NULL, 0));
	OK(fdt_end_node(fdt));
	OK(fdt_begin_node(fdt, "linux,cma"));
	OK(fdt_property_string(fdt, "compatible", "shared-dma-pool"));
	OK(fdt_property(fdt, "reusable", NULL, 0));
	OK(reg_prop(fdt, 2, 2, cma, 1));
	OK(fdt_end_node(fdt));
	OK(fdt_begin_node(fdt, "dyn"));
	OK(fdt_property_u64(fdt, "size", 0x400000));
	OK(fdt_property_u64(fdt, "alignment", 0x400000));
	OK(fdt_end_node(fdt));
	OK(fdt_begin_node(fdt, "off@60000000"));
	OK(fdt_property_string(fdt, "status", "disabled"));
	OK(reg_prop(fdt, 2, 2, off, 1));
	OK(fdt_end_node(fdt));
	OK(fdt_end_node(fdt));	/* reserved-memory */
	OK(fdt_end_node(fdt));	/* root */
	OK(fdt_finish(fdt));
	return fdt;
}

static void test_full(void **state)
{
	struct fm *f = fm_new(16);
	void *fdt = build_full();

	(void)state;
	if (vmk_fwmap_parse_fdt(&f->m, fdt, fdt_totalsize(fdt), &f->d)) {
		fm_dump(f);
		fail_msg("parse failed");
	}
	assert_int_equal(f->m.format, VMK_FWMAP_FMT_FDT);
	assert_int_equal(f->m.n, 6);
	fm_expect(f, 0, 0x40000000, 0x20000000, VMK_MEM_USABLE);
	fm_expect(f, 1, 0x80000000, 0x40000000, VMK_MEM_USABLE);
	fm_expect(f, 2, 0x880000000ull, 0x80000000, VMK_MEM_USABLE);
	fm_expect(f, 3, 0x4e000000, 0x2000000, VMK_MEM_NOMAP);
	assert_int_equal(f->m.e[3].flags, VMK_FWMAP_F_NOMAP);
	fm_expect(f, 4, 0x50000000, 0x8000000, VMK_MEM_RESERVED);
	assert_int_equal(f->m.e[4].flags, VMK_FWMAP_F_REUSABLE);
	fm_expect(f, 5, 0x48000000, 0x10000, VMK_MEM_RESERVED);
	assert_int_equal(f->m.e[5].flags, VMK_FWMAP_F_MEMRESERVE);
	for (size_t i = 0; i < f->m.n; i++)
		assert_int_equal(f->m.e[i].src, i + 1);
	assert_true(fm_has(f, VMK_FWMAP_WARN, 0, "/reserved-memory/dyn: dynamic reservation"));
	assert_int_equal(f->d.errors, 0);
	/* Sanitized: the reservations carve the RAM. */
	assert_int_equal(vmk_fwmap_sanitize(&f->m, NULL, &f->d), 0);
	assert_true(vmk_fwmap_bytes(&f->m, VMK_MEM_USABLE) ==
		    0x20000000ull + 0x40000000 + 0x80000000 - 0x2000000 - 0x8000000 - 0x10000);
	free(fdt);
	free(f);
}

/* One-cell addresses and sizes; a memory node known only by its name. */
static void test_one_cell(void **state)
{
	struct fm *f = fm_new(16);
	void *fdt = calloc(1, DTB_SIZE);
	static const uint64_t mem[] = { 0x0, 0x8000000, 0x10000000, 0x1000, 0x20000000, 0 };

	(void)state;
	OK(fdt_create(fdt, DTB_SIZE));
	OK(fdt_finish_reservemap(fdt));
	OK(fdt_begin_node(fdt, ""));
	OK(fdt_property_u32(fdt, "#address-cells", 1));
	OK(fdt_property_u32(fdt, "#size-cells", 1));
	OK(fdt_begin_node(fdt, "memory@0"));
	OK(reg_prop(fdt, 1, 1, mem, 3));
	OK(fdt_end_node(fdt));
	OK(fdt_begin_node(fdt, "reserved-memory"));
	OK(fdt_property_u32(fdt, "#address-cells", 1));
	OK(fdt_property_u32(fdt, "#size-cells", 2));	/* differs from the root */
	OK(fdt_begin_node(fdt, "both"));
	OK(reg_prop(fdt, 1, 2, (const uint64_t[]){ 0x100000, 0x1000 }, 1));
	OK(fdt_property(fdt, "no-map", NULL, 0));
	OK(fdt_property(fdt, "reusable", NULL, 0));
	OK(fdt_end_node(fdt));
	OK(fdt_begin_node(fdt, "empty"));
	OK(fdt_end_node(fdt));
	OK(fdt_end_node(fdt));
	OK(fdt_end_node(fdt));
	OK(fdt_finish(fdt));
	assert_int_equal(vmk_fwmap_parse_fdt(&f->m, fdt, fdt_totalsize(fdt), &f->d), 0);
	assert_int_equal(f->m.n, 3);
	fm_expect(f, 0, 0, 0x8000000, VMK_MEM_USABLE);
	fm_expect(f, 1, 0x10000000, 0x1000, VMK_MEM_USABLE);
	fm_expect(f, 2, 0x100000, 0x1000, VMK_MEM_NOMAP);
	assert_true(fm_has(f, VMK_FWMAP_WARN, 0, "without device_type"));
	assert_true(fm_has(f, VMK_FWMAP_WARN, 0, "/memory@0: zero-sized range at 0x20000000"));
	assert_true(fm_has(f, VMK_FWMAP_WARN, 0, "differ from the root"));
	assert_true(fm_has(f, VMK_FWMAP_WARN, 0, "both no-map and reusable"));
	assert_true(fm_has(f, VMK_FWMAP_WARN, 0, "/reserved-memory/empty: neither reg nor size"));
	free(fdt);
	free(f);
}

/* A tree built by 'build' must fail with an error containing msg. */
static void expect_bad(void *fdt, size_t len, int want, const char *msg)
{
	struct fm *f = fm_new(16);

	assert_int_equal(vmk_fwmap_add(&f->m, 0x1000, 0x1000, VMK_MEM_MMIO, 0), 0);
	if (vmk_fwmap_parse_fdt(&f->m, fdt, len, &f->d) != want) {
		fm_dump(f);
		fail_msg("expected %d with \"%s\"", want, msg);
	}
	if (!fm_has(f, VMK_FWMAP_ERR, 0, msg)) {
		fm_dump(f);
		fail_msg("no error saying \"%s\"", msg);
	}
	assert_int_equal(f->m.n, 1);
	assert_int_equal(f->m.format, VMK_FWMAP_FMT_NONE);
	free(f);
}

/* A tree with a root of the given cells and one memory node with raw reg bytes. */
static void *build_mem(int ac, int sc, const void *reg, int reg_len)
{
	void *fdt = calloc(1, DTB_SIZE);

	OK(fdt_create(fdt, DTB_SIZE));
	OK(fdt_finish_reservemap(fdt));
	OK(fdt_begin_node(fdt, ""));
	if (ac >= 0)
		OK(fdt_property_u32(fdt, "#address-cells", (uint32_t)ac));
	if (sc >= 0)
		OK(fdt_property_u32(fdt, "#size-cells", (uint32_t)sc));
	OK(fdt_begin_node(fdt, "memory@0"));
	OK(fdt_property_string(fdt, "device_type", "memory"));
	if (reg)
		OK(fdt_property(fdt, "reg", reg, reg_len));
	OK(fdt_end_node(fdt));
	OK(fdt_end_node(fdt));
	OK(fdt_finish(fdt));
	return fdt;
}

static void test_malformed(void **state)
{
	static const unsigned char reg12[12] = { 0 };
	static const unsigned char wrap[16] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0, 0x00,	/* base */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,	/* size 64 KiB */
	};
	void *fdt;

	(void)state;
	/* Bad magic. */
	fdt = build_full();
	((unsigned char *)fdt)[0] ^= 0xff;
	expect_bad(fdt, DTB_SIZE, -VMK_EPARSE, "not a device tree blob");
	free(fdt);
	/* Truncated: shorter than the header says, shorter than a header. */
	fdt = build_full();
	expect_bad(fdt, fdt_totalsize(fdt) - 8, -VMK_EPARSE, "truncated: header says");
	expect_bad(fdt, 20, -VMK_EPARSE, "cannot hold a device tree header");
	expect_bad(NULL, 0, -VMK_EPARSE, "cannot hold");
	/* A corrupted structure block. */
	memset((char *)fdt + fdt_off_dt_struct(fdt) + 8, 0x7f, 16);
	expect_bad(fdt, fdt_totalsize(fdt), -VMK_EPARSE, "malformed device tree");
	free(fdt);
	/* Bad cells. */
	fdt = build_mem(3, 2, reg12, 12);
	expect_bad(fdt, DTB_SIZE, -VMK_EPARSE, "unsupported cells (#address-cells 3");
	free(fdt);
	fdt = build_mem(2, 0, reg12, 8);
	expect_bad(fdt, DTB_SIZE, -VMK_EPARSE, "#size-cells 0");
	free(fdt);
	/* reg of a bad length; no reg; a wrapping range. */
	fdt = build_mem(2, 2, reg12, 12);
	expect_bad(fdt, DTB_SIZE, -VMK_EPARSE, "/memory@0: reg is 12 bytes");
	free(fdt);
	fdt = build_mem(2, 2, NULL, 0);
	expect_bad(fdt, DTB_SIZE, -VMK_EPARSE, "/memory@0: no reg property");
	free(fdt);
	fdt = build_mem(2, 2, wrap, 16);
	expect_bad(fdt, DTB_SIZE, -VMK_EPARSE, "wraps past the top");
	free(fdt);
	/* No memory at all. */
	fdt = build_mem(2, 2, NULL, 0);
	fdt_nop_node(fdt, fdt_path_offset(fdt, "/memory@0"));
	expect_bad(fdt, DTB_SIZE, -VMK_ENOENT, "no /memory node");
	free(fdt);
}

static void test_full_map(void **state)
{
	struct fm *f = fm_new(3);
	void *fdt = build_full();

	(void)state;
	assert_int_equal(vmk_fwmap_parse_fdt(&f->m, fdt, fdt_totalsize(fdt), &f->d), -VMK_ENOSPC);
	assert_int_equal(f->m.n, 0);
	assert_true(fm_has(f, VMK_FWMAP_ERR, 0, "map full"));
	free(fdt);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_one_cell),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_full_map),
	};

	vmk_sim_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
