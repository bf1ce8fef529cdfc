/* Device tree memory maps via libfdt (hosted adapter for fwmap). */
#include <stdio.h>
#include <string.h>
#include <libfdt.h>

#include "fwmap_fdt.h"

struct fdt_ctx {
	const void *fdt;
	struct vmk_fwmap *m;
	struct vmk_fwmap_diag *diag;
	uint32_t next_src;
	int err;
	size_t found;		/* memory or reserved ranges seen */
};

static const char *node_path(const struct fdt_ctx *c, int off, char *buf, int size)
{
	if (fdt_get_path(c->fdt, off, buf, size) < 0)
		snprintf(buf, (size_t)size, "(node at offset %d)", off);
	return buf;
}

#define FAIL(c, ...) do {							\
	vmk_fwmap_diag_add((c)->diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_NONE, 0, __VA_ARGS__); \
	if (!(c)->err)								\
		(c)->err = -VMK_EPARSE;						\
} while (0)

#define WARN(c, ...) \
	vmk_fwmap_diag_add((c)->diag, VMK_FWMAP_WARN, VMK_FWMAP_AT_NONE, 0, __VA_ARGS__)

/* Big-endian cells; bytewise, since nothing promises p is aligned. */
static uint64_t read_cells(const unsigned char *p, int cells)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 4 * cells; i++)
		v = (v << 8) | p[i];
	return v;
}

static void add(struct fdt_ctx *c, const char *what, uint64_t base, uint64_t size,
		uint32_t kind, uint32_t flags)
{
	struct vmk_fwmap_entry e = {
		.base = base, .size = size, .kind = kind, .flags = flags,
		.src = ++c->next_src,
	};
	int r;

	c->found++;
	if (size == 0) {
		WARN(c, "%s: zero-sized range at 0x%llx ignored", what, (unsigned long long)base);
		return;
	}
	if (size - 1 > UINT64_MAX - base) {
		FAIL(c, "%s: range 0x%llx + 0x%llx wraps past the top of the address space",
		     what, (unsigned long long)base, (unsigned long long)size);
		return;
	}
	if (c->err)
		return;
	r = vmk_fwmap_add_entry(c->m, &e);
	if (r == -VMK_ENOSPC) {
		vmk_fwmap_diag_add(c->diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_NONE, 0,
				   "%s: map full (%zu entries)", what, c->m->cap);
		c->err = r;
	}
}

/* The #address-cells/#size-cells a node gives its children. */
static bool cells_of(struct fdt_ctx *c, int node, int *ac, int *sc)
{
	char path[256];

	*ac = fdt_address_cells(c->fdt, node);
	*sc = fdt_size_cells(c->fdt, node);
	if (*ac < 1 || *ac > 2 || *sc < 1 || *sc > 2) {
		FAIL(c, "%s: unsupported cells (#address-cells %d, #size-cells %d; need 1 or 2)",
		     node_path(c, node, path, sizeof(path)), *ac, *sc);
		return false;
	}
	return true;
}

/* Every (address, size) tuple of node's reg. */
static void add_reg(struct fdt_ctx *c, int node, int ac, int sc, uint32_t kind, uint32_t flags)
{
	char path[256];
	const unsigned char *reg;
	int len, i, tuple = (ac + sc) * 4;

	node_path(c, node, path, sizeof(path));
	reg = fdt_getprop(c->fdt, node, "reg", &len);
	if (!reg) {
		FAIL(c, "%s: no reg property", path);
		return;
	}
	if (len == 0 || len % tuple) {
		FAIL(c, "%s: reg is %d bytes, not a whole number of %d-byte (address, size) tuples",
		     path, len, tuple);
		return;
	}
	for (i = 0; i < len / tuple; i++) {
		const unsigned char *p = reg + i * tuple;

		add(c, path, read_cells(p, ac), read_cells(p + 4 * ac, sc), kind, flags);
	}
}

static bool disabled(const struct fdt_ctx *c, int node)
{
	const char *st = fdt_getprop(c->fdt, node, "status", NULL);

	return st && strcmp(st, "okay") != 0 && strcmp(st, "ok") != 0;
}

static void scan_memory(struct fdt_ctx *c, int ac, int sc)
{
	int node;

	fdt_for_each_subnode(node, c->fdt, 0) {
		const char *type = fdt_getprop(c->fdt, node, "device_type", NULL);
		const char *name = fdt_get_name(c->fdt, node, NULL);
		bool named = name && (strcmp(name, "memory") == 0 || strncmp(name, "memory@", 7) == 0);

		if (type ? strcmp(type, "memory") != 0 : !named)
			continue;
		if (!type)
			WARN(c, "/%s: memory node without device_type = \"memory\" taken anyway", name);
		if (disabled(c, node))
			continue;
		add_reg(c, node, ac, sc, VMK_MEM_USABLE, 0);
	}
}

static void scan_reserved(struct fdt_ctx *c, int root_ac, int root_sc)
{
	int rm = fdt_path_offset(c->fdt, "/reserved-memory"), node, ac, sc;
	char path[256];

	if (rm < 0)
		return;
	if (!cells_of(c, rm, &ac, &sc))
		return;
	if (ac != root_ac || sc != root_sc)
		WARN(c, "/reserved-memory: cells (%d, %d) differ from the root's (%d, %d)",
		     ac, sc, root_ac, root_sc);
	fdt_for_each_subnode(node, c->fdt, rm) {
		bool nomap = fdt_getprop(c->fdt, node, "no-map", NULL) != NULL;
		bool reusable = fdt_getprop(c->fdt, node, "reusable", NULL) != NULL;
		uint32_t flags = 0;

		node_path(c, node, path, sizeof(path));
		if (disabled(c, node))
			continue;
		if (!fdt_getprop(c->fdt, node, "reg", NULL)) {
			if (fdt_getprop(c->fdt, node, "size", NULL))
				WARN(c, "%s: dynamic reservation (size without reg) left to the OS",
				     path);
			else
				WARN(c, "%s: neither reg nor size: ignored", path);
			continue;
		}
		if (nomap && reusable) {
			WARN(c, "%s: both no-map and reusable: treated as no-map", path);
			reusable = false;
		}
		if (nomap)
			flags |= VMK_FWMAP_F_NOMAP;
		if (reusable)
			flags |= VMK_FWMAP_F_REUSABLE;
		add_reg(c, node, ac, sc, nomap ? VMK_MEM_NOMAP : VMK_MEM_RESERVED, flags);
	}
}

static void scan_memreserve(struct fdt_ctx *c)
{
	int i, n = fdt_num_mem_rsv(c->fdt);
	char what[48];

	if (n < 0) {
		FAIL(c, "/memreserve/ block: %s", fdt_strerror(n));
		return;
	}
	for (i = 0; i < n; i++) {
		uint64_t addr, size;
		int r = fdt_get_mem_rsv(c->fdt, i, &addr, &size);

		snprintf(what, sizeof(what), "/memreserve/ entry %d", i + 1);
		if (r < 0) {
			FAIL(c, "%s: %s", what, fdt_strerror(r));
			return;
		}
		add(c, what, addr, size, VMK_MEM_RESERVED, VMK_FWMAP_F_MEMRESERVE);
	}
}

/* The blob's header and structure, checked before anything is read. */
static int check_blob(const void *blob, size_t len, struct vmk_fwmap_diag *diag)
{
	int r;

	if (!blob || len < sizeof(struct fdt_header)) {
		vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_OFFSET, 0,
				   "truncated: %zu bytes cannot hold a device tree header", len);
		return -VMK_EPARSE;
	}
	if (fdt_magic(blob) != FDT_MAGIC) {
		vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_OFFSET, 0,
				   "not a device tree blob: magic 0x%08x, expected 0x%08x",
				   (unsigned int)fdt_magic(blob), (unsigned int)FDT_MAGIC);
		return -VMK_EPARSE;
	}
	if (fdt_totalsize(blob) > len) {
		vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_OFFSET, 0,
				   "truncated: header says %u bytes, only %zu present",
				   (unsigned int)fdt_totalsize(blob), len);
		return -VMK_EPARSE;
	}
	r = fdt_check_full(blob, len);
	if (r < 0) {
		vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_NONE, 0,
				   "malformed device tree: %s", fdt_strerror(r));
		return -VMK_EPARSE;
	}
	return 0;
}

int vmk_fwmap_parse_fdt(struct vmk_fwmap *m, const void *blob, size_t len,
			struct vmk_fwmap_diag *diag)
{
	struct fdt_ctx c = { .fdt = blob, .m = m, .diag = diag };
	size_t n0 = m->n;
	int ac, sc, r;

	r = check_blob(blob, len, diag);
	if (r)
		return r;
	if (!cells_of(&c, 0, &ac, &sc))
		return c.err;
	scan_memory(&c, ac, sc);
	scan_reserved(&c, ac, sc);
	scan_memreserve(&c);
	if (!c.err && c.found == 0) {
		vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_NONE, 0,
				   "no /memory node, /reserved-memory child or /memreserve/ entry");
		c.err = -VMK_ENOENT;
	}
	if (c.err) {
		m->n = n0;
		return c.err;
	}
	if (m->format == VMK_FWMAP_FMT_NONE) {
		m->format = VMK_FWMAP_FMT_FDT;
		m->src_where = VMK_FWMAP_AT_NONE;
	}
	return 0;
}

size_t vmk_fwmap_fdt_numa(const void *blob, size_t len, struct vmk_numa_range *r, size_t cap)
{
	struct fdt_ctx c = { .fdt = blob };
	size_t n = 0;
	int ac, sc, node;

	if (check_blob(blob, len, NULL) || !cells_of(&c, 0, &ac, &sc))
		return 0;
	/* of_numa_parse_memory_nodes(): memory nodes with numa-node-id, every reg tuple. */
	fdt_for_each_subnode(node, blob, 0) {
		const char *type = fdt_getprop(blob, node, "device_type", NULL);
		const unsigned char *id, *reg;
		int idlen, rlen, tuple = (ac + sc) * 4;

		if (!type || strcmp(type, "memory") || disabled(&c, node))
			continue;
		id = fdt_getprop(blob, node, "numa-node-id", &idlen);
		reg = fdt_getprop(blob, node, "reg", &rlen);
		if (!id || idlen != 4 || !reg)
			continue;
		for (int i = 0; i + tuple <= rlen && n < cap; i += tuple) {
			uint64_t b = read_cells(reg + i, ac), s = read_cells(reg + i + 4 * ac, sc);

			if (s == 0 || b + s < b)
				continue;
			r[n++] = (struct vmk_numa_range){ .base = b, .end = b + s, .nid = (int)read_cells(id, 1) };
		}
	}
	return n;
}
