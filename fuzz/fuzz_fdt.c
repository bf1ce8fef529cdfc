/*
 * libFuzzer target: device-tree memory maps through libfdt (the hosted
 * adapter sim/fwmap_fdt.c). Byte 0 even: the rest is a raw blob (whatever
 * libfdt makes of it, the adapter must fail cleanly or produce sound
 * entries). Byte 0 odd: the rest drives a generator that writes a
 * well-formed tree with libfdt's sequential-write API (cells 1 or 2,
 * memory nodes with or without device_type, disabled ones, several reg
 * tuples, /reserved-memory children with no-map / reusable / size only,
 * /memreserve/ entries), and the parse must give exactly the entries the
 * generator's own list says, in order (memory, reserved-memory,
 * memreserve), or fail exactly when a range wraps. A failed parse leaves
 * the map as it was; the sanitized map is sorted and non-overlapping.
 */
#include "fuzz_util.h"

#include <libfdt.h>
#include <vmkit/fwmap.h>
#include "sim.h"
#include "fwmap_fdt.h"

#define CAP 1024
#define MAXE 256

static struct vmk_fwmap_entry ents[CAP];
static struct vmk_fwmap_msg msgs[32];
static uint64_t blobbuf[8192];

struct want {
	struct vmk_fwmap_entry e[MAXE];
	size_t n;
	bool wraps, any;
};

static void expect_range(struct want *w, uint64_t base, uint64_t size, uint32_t kind, uint32_t flags)
{
	w->any = true;
	if (size == 0)
		return;
	if (base + (size - 1) < base)
		w->wraps = true;
	if (w->n < MAXE)
		w->e[w->n++] = (struct vmk_fwmap_entry){ .base = base, .size = size, .kind = kind, .flags = flags };
}

static void put_cells(uint8_t *p, uint64_t v, int cells)
{
	for (int i = 4 * cells - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t take_val(struct fz_in *in, int cells)
{
	/* Page-ish values most of the time, so ranges overlap and touch. */
	uint64_t v = fz_u8(in) & 0x80 ? fz_u64(in) : (uint64_t)fz_u32(in) << 12;

	return cells == 1 ? (uint32_t)v : v;
}

/* reg with k tuples; each also goes to the expected list unless skip. */
static int reg_prop(void *fdt, struct fz_in *in, int ac, int sc, unsigned int k, struct want *w,
		    bool skip, uint32_t kind, uint32_t flags)
{
	uint8_t reg[16 * 16];
	unsigned int t = (unsigned int)(ac + sc) * 4;

	for (unsigned int i = 0; i < k; i++) {
		uint64_t base = take_val(in, ac), size = take_val(in, sc);

		put_cells(reg + i * t, base, ac);
		put_cells(reg + i * t + 4 * ac, size, sc);
		if (!skip)
			expect_range(w, base, size, kind, flags);
	}
	return fdt_property(fdt, "reg", reg, (int)(k * t));
}

static int generate(struct fz_in *in, struct want *w)
{
	void *fdt = blobbuf;
	int ac = 1 + (fz_u8(in) & 1), sc = 1 + (fz_u8(in) & 1);
	unsigned int nmem = fz_u8(in) % 5, nres = fz_u8(in) % 5, nrsv = fz_u8(in) % 4;
	char name[32];
	int r = 0;

	r |= fdt_create(fdt, sizeof(blobbuf));
	for (unsigned int i = 0; i < nrsv; i++) {
		uint64_t a = take_val(in, 2), s = take_val(in, 2);

		r |= fdt_add_reservemap_entry(fdt, a, s);
	}
	r |= fdt_finish_reservemap(fdt);
	r |= fdt_begin_node(fdt, "");
	r |= fdt_property_u32(fdt, "#address-cells", (uint32_t)ac);
	r |= fdt_property_u32(fdt, "#size-cells", (uint32_t)sc);
	for (unsigned int i = 0; i < nmem; i++) {
		uint8_t f = fz_u8(in);
		bool typed = !(f & 1), off = f & 2;

		snprintf(name, sizeof(name), f & 4 ? "memory@%x" : "ram%u", i);
		r |= fdt_begin_node(fdt, name);
		if (typed)
			r |= fdt_property_string(fdt, "device_type", "memory");
		if (off)
			r |= fdt_property_string(fdt, "status", f & 8 ? "disabled" : "okay");
		/* Taken: typed, or named memory@ (with a warning). */
		r |= reg_prop(fdt, in, ac, sc, 1 + (f >> 4) % 3, w,
			      !(typed || (f & 4)) || (off && (f & 8)), VMK_MEM_USABLE, 0);
		r |= fdt_end_node(fdt);
	}
	if (nres) {
		r |= fdt_begin_node(fdt, "reserved-memory");
		r |= fdt_property_u32(fdt, "#address-cells", (uint32_t)ac);
		r |= fdt_property_u32(fdt, "#size-cells", (uint32_t)sc);
		r |= fdt_property(fdt, "ranges", NULL, 0);
		for (unsigned int i = 0; i < nres; i++) {
			uint8_t f = fz_u8(in);
			bool nomap = f & 1, reusable = f & 2, dynamic = f & 4, off = f & 8;
			uint32_t flags = nomap ? VMK_FWMAP_F_NOMAP : reusable ? VMK_FWMAP_F_REUSABLE : 0;

			snprintf(name, sizeof(name), "region%u", i);
			r |= fdt_begin_node(fdt, name);
			if (nomap)
				r |= fdt_property(fdt, "no-map", NULL, 0);
			if (reusable)
				r |= fdt_property(fdt, "reusable", NULL, 0);
			if (off)
				r |= fdt_property_string(fdt, "status", "disabled");
			if (dynamic)
				r |= fdt_property_u32(fdt, "size", 0x100000);
			else
				r |= reg_prop(fdt, in, ac, sc, 1 + (f >> 4) % 2, w, off,
					      nomap ? VMK_MEM_NOMAP : VMK_MEM_RESERVED, flags);
			r |= fdt_end_node(fdt);
		}
		r |= fdt_end_node(fdt);
	}
	r |= fdt_end_node(fdt);
	r |= fdt_finish(fdt);
	return r;
}

/* The memreserve entries go last in the expected list; read them back from the blob. */
static void expect_memreserve(struct want *w)
{
	for (int i = 0; i < fdt_num_mem_rsv(blobbuf); i++) {
		uint64_t a, s;

		fdt_get_mem_rsv(blobbuf, i, &a, &s);
		expect_range(w, a, s, VMK_MEM_RESERVED, VMK_FWMAP_F_MEMRESERVE);
	}
}

static void sound(struct vmk_fwmap *m)
{
	size_t bad = 0;

	for (size_t i = 0; i < m->n; i++)
		FZ_CHECK(m->e[i].size && m->e[i].base + (m->e[i].size - 1) >= m->e[i].base,
			 "entry %zu empty or wrapping", i);
	FZ_CHECK(vmk_fwmap_sanitize(m, NULL, NULL) == 0, "sanitize failed");
	FZ_CHECK(vmk_fwmap_check(m, VMK_PAGE_SIZE, &bad) == 0, "sanitized map bad at %zu", bad);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool installed;
	static struct want w;
	struct vmk_fwmap m;
	struct vmk_fwmap_diag diag;
	struct fz_in in = { data + 1, size ? size - 1 : 0 };
	int r;

	if (!installed) {
		vmk_sim_install();
		installed = true;
	}
	if (size < 1)
		return 0;
	vmk_fwmap_init(&m, ents, CAP);
	vmk_fwmap_diag_init(&diag, msgs, VMK_ARRAY_SIZE(msgs));
	FZ_CHECK(vmk_fwmap_add(&m, 0x7000, 0x1000, VMK_MEM_NOMAP, VMK_FWMAP_F_NOMAP) == 0, "add");
	if (!(data[0] & 1)) {
		size_t n = size - 1 > sizeof(blobbuf) ? sizeof(blobbuf) : size - 1;

		memcpy(blobbuf, data + 1, n);
		r = vmk_fwmap_parse_fdt(&m, blobbuf, n, &diag);
		if (r) {
			FZ_CHECK(m.n == 1 && m.e[0].base == 0x7000, "a failed parse changed the map");
			return 0;
		}
		sound(&m);
		return 0;
	}
	memset(&w, 0, sizeof(w));
	FZ_CHECK(generate(&in, &w) == 0, "the generator's tree does not fit");
	expect_memreserve(&w);
	r = vmk_fwmap_parse_fdt(&m, blobbuf, fdt_totalsize(blobbuf), &diag);
	if (w.wraps) {
		FZ_CHECK(r == -VMK_EPARSE && m.n == 1, "a wrapping range parsed (%d)", r);
		return 0;
	}
	if (!w.any) {
		FZ_CHECK(r == -VMK_ENOENT && m.n == 1, "a tree without memory parsed (%d)", r);
		return 0;
	}
	FZ_CHECK(r == 0, "a well-formed tree failed (%d)", r);
	FZ_CHECK(m.n == 1 + w.n, "%zu entries, %zu expected", m.n - 1, w.n);
	for (size_t i = 0; i < w.n; i++) {
		const struct vmk_fwmap_entry *e = &m.e[i + 1], *x = &w.e[i];

		FZ_CHECK(e->base == x->base && e->size == x->size && e->kind == x->kind &&
			 e->flags == x->flags, "entry %zu: [%#llx +%#llx) kind %u flags %#x, expected "
			 "[%#llx +%#llx) kind %u flags %#x", i, (unsigned long long)e->base,
			 (unsigned long long)e->size, e->kind, e->flags, (unsigned long long)x->base,
			 (unsigned long long)x->size, x->kind, x->flags);
	}
	sound(&m);
	return 0;
}
