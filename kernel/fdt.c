/*
 * A small flattened-device-tree reader (no libfdt: vmkit's DT adapter,
 * sim/fwmap_fdt.c, is hosted): the memory nodes, the /memreserve/ block,
 * the /reserved-memory children (OpenSBI's region on riscv64), /chosen's
 * stdout-path and initrd, the CPUs under /cpus with their MPIDR (riscv64: hart ID)
 * and the first one's riscv,isa / riscv,isa-extensions / mmu-type, and
 * the PSCI conduit. Runs before ExitBootServices on the blob the UEFI
 * configuration table points to (identity-mapped; riscv64: the blob
 * OpenSBI passes in a1, through the early map), so that nothing of it is
 * needed afterwards (the strings it returns point into the blob).
 * Every offset and length is checked against the header's sizes.
 */
#include "kernel.h"

#define DT_MAGIC	0xd00dfeedu
#define DT_TOK_BEGIN_NODE	1
#define DT_TOK_END_NODE	2
#define DT_TOK_PROP	3
#define DT_TOK_NOP		4
#define DT_TOK_END		9
#define MAX_DEPTH	16

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t cells(const uint8_t *p, uint32_t n)
{
	uint64_t v = 0;

	for (uint32_t i = 0; i < n; i++)
		v = v << 32 | be32(p + 4 * i);
	return v;
}

static bool streq(const char *a, const char *b)
{
	return vmk_strcmp(a, b) == 0;
}

/* "memory" or "memory@...": a node name's part before '@' is s. */
static bool name_is(const char *name, const char *s)
{
	size_t n = vmk_strlen(s);

	return vmk_memcmp(name, s, n) == 0 && (name[n] == 0 || name[n] == '@');
}

/* What a node being walked has said so far (props come in any order). */
struct node {
	const char *name;
	uint32_t addr_cells, size_cells;	/* for its children */
	const uint8_t *reg;
	uint32_t reg_len;
	bool is_memory, is_cpu;
	const char *isa, *isa_ext, *mmu_type;	/* riscv64 CPU properties */
	uint32_t isa_len, isa_ext_len, mmu_type_len;
};

static void end_node(struct dt_info *dt, const struct node *parent, const struct node *n, unsigned int depth)
{
	uint32_t ac = parent->addr_cells, sc = parent->size_cells, step = 4 * (ac + sc);

	if (depth == 2 && n->is_memory && n->reg && ac && ac <= 2 && sc <= 2 && step) {
		for (uint32_t off = 0; off + step <= n->reg_len && dt->nmem < DT_MAX_MEM; off += step) {
			uint64_t base = cells(n->reg + off, ac), size = cells(n->reg + off + 4 * ac, sc);

			if (size)
				dt->mem[dt->nmem++] = (struct dt_range){ base, size };
		}
	}
	if (depth == 3 && n->reg && ac && ac <= 2 && sc <= 2 && step && parent->name &&
	    name_is(parent->name, "reserved-memory")) {
		for (uint32_t off = 0; off + step <= n->reg_len && dt->nresmem < DT_MAX_MEM; off += step) {
			uint64_t base = cells(n->reg + off, ac), size = cells(n->reg + off + 4 * ac, sc);

			if (size)
				dt->resmem[dt->nresmem++] = (struct dt_range){ base, size };
		}
	}
	if (depth == 3 && n->is_cpu && n->reg && ac && ac <= 2 && n->reg_len >= 4 * ac &&
	    dt->ncpus < KERNEL_MAX_CPUS && parent->name && streq(parent->name, "cpus")) {
		if (!dt->ncpus) {
			dt->isa = n->isa;
			dt->isa_len = n->isa_len;
			dt->isa_ext = n->isa_ext;
			dt->isa_ext_len = n->isa_ext_len;
			dt->mmu_type = n->mmu_type;
			dt->mmu_type_len = n->mmu_type_len;
		}
		dt->mpidr[dt->ncpus++] = (uint32_t)cells(n->reg, ac);
	}
}

int dt_read(struct dt_info *dt, const void *blob)
{
	const uint8_t *b = blob, *st, *strs;
	uint32_t total, off_st, off_strs, off_rsv, size_st, size_strs, pos = 0;
	struct node stack[MAX_DEPTH];
	unsigned int depth = 0;

	vmk_memset(dt, 0, sizeof(*dt));
	dt->pa = (uint64_t)(uintptr_t)blob;
	if (be32(b) != DT_MAGIC)
		return -VMK_EPARSE;
	total = be32(b + 4);
	off_st = be32(b + 8);
	off_strs = be32(b + 12);
	off_rsv = be32(b + 16);
	dt->version = be32(b + 20);
	size_strs = be32(b + 32);
	size_st = be32(b + 36);
	dt->size = total;
	if (dt->version < 17 || total < 40 || off_st > total || size_st > total - off_st || off_strs > total ||
	    size_strs > total - off_strs || off_rsv > total - 16)
		return -VMK_EPARSE;
	for (uint32_t o = off_rsv; o + 16 <= total && dt->nrsv < DT_MAX_MEM; o += 16) {
		uint64_t base = cells(b + o, 2), size = cells(b + o + 8, 2);

		if (!base && !size)
			break;
		dt->rsv[dt->nrsv++] = (struct dt_range){ base, size };
	}
	st = b + off_st;
	strs = b + off_strs;
	stack[0] = (struct node){ .addr_cells = 2, .size_cells = 1 };	/* the spec's defaults above the root */
	while (pos + 4 <= size_st) {
		uint32_t tok = be32(st + pos);

		pos += 4;
		if (tok == DT_TOK_BEGIN_NODE) {
			const char *name = (const char *)st + pos;
			uint32_t len = 0;

			while (pos + len < size_st && st[pos + len])
				len++;
			if (pos + len >= size_st || depth + 1 >= MAX_DEPTH)
				return -VMK_EPARSE;
			pos = VMK_ALIGN_UP(pos + len + 1, 4);
			depth++;
			stack[depth] = (struct node){ .name = name, .addr_cells = 2, .size_cells = 1 };
			if (depth == 2 && name_is(name, "cpus"))
				stack[depth].addr_cells = 1;
		} else if (tok == DT_TOK_END_NODE) {
			if (!depth)
				return -VMK_EPARSE;
			if (depth >= 2)
				end_node(dt, &stack[depth - 1], &stack[depth], depth);
			depth--;
		} else if (tok == DT_TOK_PROP) {
			uint32_t len, nameoff;
			const uint8_t *val;
			const char *pn;
			struct node *n = &stack[depth];

			if (pos + 8 > size_st || !depth)
				return -VMK_EPARSE;
			len = be32(st + pos);
			nameoff = be32(st + pos + 4);
			val = st + pos + 8;
			if (len > size_st - pos - 8 || nameoff >= size_strs)
				return -VMK_EPARSE;
			pos = VMK_ALIGN_UP(pos + 8 + len, 4);
			pn = (const char *)strs + nameoff;
			if (vmk_strnlen(pn, size_strs - nameoff) == size_strs - nameoff)
				return -VMK_EPARSE;
			if (streq(pn, "#address-cells") && len == 4)
				n->addr_cells = be32(val);
			else if (streq(pn, "#size-cells") && len == 4)
				n->size_cells = be32(val);
			else if (streq(pn, "reg")) {
				n->reg = val;
				n->reg_len = len;
			} else if (streq(pn, "device_type") && len) {
				n->is_memory = len == 7 && !vmk_memcmp(val, "memory", 7);
				n->is_cpu = len == 4 && !vmk_memcmp(val, "cpu", 4);
			} else if (streq(pn, "riscv,isa")) {
				n->isa = (const char *)val;
				n->isa_len = len;
			} else if (streq(pn, "riscv,isa-extensions")) {
				n->isa_ext = (const char *)val;
				n->isa_ext_len = len;
			} else if (streq(pn, "mmu-type")) {
				n->mmu_type = (const char *)val;
				n->mmu_type_len = len;
			} else if ((streq(pn, "linux,initrd-start") || streq(pn, "linux,initrd-end")) && depth == 2 &&
				   streq(n->name, "chosen") && (len == 4 || len == 8)) {
				if (pn[13] == 's')
					dt->initrd_start = cells(val, len / 4);
				else
					dt->initrd_end = cells(val, len / 4);
			} else if (streq(pn, "stdout-path") && depth == 2 && streq(n->name, "chosen") && len &&
				   !val[len - 1]) {
				dt->stdout_path = (const char *)val;
			} else if (streq(pn, "method") && depth == 2 && name_is(n->name, "psci") && len < sizeof(dt->psci) &&
				   len && !val[len - 1]) {
				vmk_memcpy(dt->psci, val, len);
			}
		} else if (tok == DT_TOK_END) {
			dt->valid = depth == 0;
			return dt->valid ? 0 : -VMK_EPARSE;
		} else if (tok != DT_TOK_NOP) {
			return -VMK_EPARSE;
		}
	}
	return -VMK_EPARSE;
}
