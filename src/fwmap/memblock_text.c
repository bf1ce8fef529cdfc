/*
 * Linux's memblock debugfs files, /sys/kernel/debug/memblock/memory and
 * .../reserved (kernels with CONFIG_ARCH_KEEP_MEMBLOCK, e.g. arm64):
 *
 *   before 6.4:   "   0: 0x0000000040000000..0x000000007c43ffff"
 *   6.4+:         "   0: 0x0000000040000000..0x000000007c43ffff    0 NONE"
 *                 "   1: 0x000000007c440000..0x000000007c72ffff    x NOMAP"
 *
 * (node number or "x", then the first flag's name). One text may hold
 * both files, as `head` or `grep .` over the two files
 * print them: a line naming "reserved" or "memory" that is not a region
 * line switches the list; "path:" prefixes (grep) are accepted too.
 */
#include "fwmap_internal.h"

enum list { MEMORY, RESERVED };

struct mb_line {
	uint64_t base, last;
	bool nomap, mirror, driver_managed;
};

/* "N: 0xA..0xB [node|x] [FLAG]"; 0 if not a region line, 1 if parsed, <0 if malformed. */
static int parse_region(struct vmk_str s, struct mb_line *ml)
{
	uint64_t v;
	struct vmk_str flag;

	vmk_fwmap__skip_ws(&s);
	if (vmk_fwmap__dec(&s, &v) || !vmk_fwmap__eat(&s, ":"))
		return 0;
	vmk_fwmap__skip_ws(&s);
	if (!vmk_str_starts(s, "0x"))
		return 0;
	if (vmk_fwmap__hex(&s, &ml->base) || !vmk_fwmap__eat(&s, "..") ||
	    vmk_fwmap__hex(&s, &ml->last) || ml->last < ml->base)
		return -VMK_EPARSE;
	ml->nomap = ml->mirror = ml->driver_managed = false;
	vmk_fwmap__skip_ws(&s);
	if (!s.len)
		return 1;
	if (!vmk_fwmap__eat(&s, "x") && vmk_fwmap__dec(&s, &v))
		return -VMK_EPARSE;
	flag = vmk_str_trim(s);
	if (!flag.len || vmk_str_eq(flag, "NONE"))
		return 1;
	ml->nomap = vmk_str_eq(flag, "NOMAP");
	ml->mirror = vmk_str_eq(flag, "MIRROR");
	ml->driver_managed = vmk_str_eq(flag, "DRV_MNG");
	return 1;
}

static int push(struct vmk_fwmap *m, vmk_paddr_t base, vmk_paddr_t last, uint32_t kind,
		uint32_t flags, uint32_t line)
{
	struct vmk_fwmap_entry ent = {
		.base = base, .size = last - base + 1, .kind = kind, .flags = flags, .src = line,
	};

	return vmk_fwmap__push(m, &ent);
}

/*
 * A reserved range: the parts inside memory entries [mem0, mem1) of m
 * (sorted) are RAM in use. The parts outside describe no memory (memblock
 * also reserves firmware tables and MMIO it never adds): they are left
 * out, and *outside is set.
 */
static int push_reserved(struct vmk_fwmap *m, size_t mem0, size_t mem1, uint64_t b, uint64_t l,
			 uint32_t line, bool *outside)
{
	uint64_t cur = b;

	for (size_t i = mem0; i < mem1 && cur <= l; i++) {
		uint64_t mb = m->e[i].base, ml = m->e[i].base + (m->e[i].size - 1);

		if (ml < cur)
			continue;
		if (mb > l)
			break;
		*outside |= mb > cur;
		if (push(m, VMK_MAX(mb, cur), VMK_MIN(ml, l), VMK_MEM_RESERVED, VMK_FWMAP_F_IN_RAM,
			 line))
			return -VMK_ENOSPC;
		if (ml >= l)
			return 0;
		cur = ml + 1;
	}
	*outside = true;
	return 0;
}

int vmk_fwmap_parse_memblock_debugfs(struct vmk_fwmap *m, const char *text, size_t len,
				     struct vmk_fwmap_diag *diag)
{
	struct vmk_fwmap__undo u;
	struct vmk_str l;
	enum list list = MEMORY;
	size_t pos = 0, found = 0, mem0, mem1;
	uint64_t prev_end = 0;
	bool have_prev = false;
	uint32_t line = 0;
	int err = 0;

	if (len && !text)
		return -VMK_EINVAL;
	vmk_fwmap__begin(m, &u);
	mem0 = mem1 = m->n;
	while (err != -VMK_ENOSPC && vmk_next_line(text, len, &pos, &l)) {
		struct vmk_str s = vmk_str_trim(l), rest;
		struct mb_line ml;
		int r;

		if (line < UINT32_MAX)
			line++;
		/* grep over the two files: "path:   0: 0x..." */
		if (vmk_fwmap__after(s, "memblock/", &rest)) {
			enum list to = vmk_str_starts(rest, "reserved") ? RESERVED : MEMORY;
			struct vmk_str after;

			if (to != list) {
				list = to;
				have_prev = false;
			}
			if (vmk_fwmap__after(rest, ":", &after))
				s = after;
			else
				continue;	/* "==> .../memblock/reserved <==" */
		} else if (vmk_str_find(s, ":") < 0 || vmk_str_find(s, "..") < 0) {
			/* A header of our own: "reserved:", "memory:". */
			if (vmk_str_starts(s, "reserved") || vmk_str_starts(s, "memory")) {
				list = vmk_str_starts(s, "reserved") ? RESERVED : MEMORY;
				have_prev = false;
			}
			continue;
		}
		r = parse_region(s, &ml);
		if (r == 0)
			continue;
		found++;
		if (r < 0) {
			vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_LINE, line,
					   "memblock region line: malformed (want \"N: 0xA..0xB [node] [FLAG]\")");
			err = -VMK_EPARSE;
			continue;
		}
		if (ml.base == 0 && ml.last == VMK_PADDR_MAX) {
			vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_LINE, line,
					   "memblock region covers all 2^64 bytes");
			err = -VMK_EPARSE;
			continue;
		}
		/* memblock keeps its lists sorted and disjoint: anything else is two files mixed up. */
		if (have_prev && ml.base < prev_end) {
			vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_LINE, line,
					   "%s region 0x%llx is below the end of the previous one",
					   list == MEMORY ? "memory" : "reserved",
					   (unsigned long long)ml.base);
			err = -VMK_EPARSE;
			continue;
		}
		have_prev = true;
		prev_end = ml.last + 1;
		if (err)
			continue;
		if (list == MEMORY) {
			if (mem1 != m->n) {
				vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_LINE, line,
						   "memory regions after the reserved ones: give memory first");
				err = -VMK_EPARSE;
				continue;
			}
			if (ml.driver_managed) {
				vmk_fwmap_diag_add(diag, VMK_FWMAP_INFO, VMK_FWMAP_AT_LINE, line,
						   "driver-managed memory skipped (not boot memory)");
				continue;
			}
			if (push(m, ml.base, ml.last, ml.nomap ? VMK_MEM_NOMAP : VMK_MEM_USABLE,
				 ml.mirror ? VMK_FWMAP_F_MIRROR : 0, line))
				err = -VMK_ENOSPC;
			mem1 = m->n;
		} else {
			bool outside = false;

			err = push_reserved(m, mem0, mem1, ml.base, ml.last, line, &outside);
			if (outside)
				vmk_fwmap_diag_add(diag, VMK_FWMAP_INFO, VMK_FWMAP_AT_LINE, line,
						   "the part of the reservation outside memory is left out");
		}
		if (err == -VMK_ENOSPC)
			vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_LINE, line,
					   "map full (%zu entries)", m->cap);
	}
	if (!err && mem1 == mem0) {
		if (found)
			vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_NONE, 0,
					   "no memblock memory region (only reserved ones)");
		else
			vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_NONE, 0,
					   "no memblock region line (N: 0xA..0xB) in %u lines",
					   (unsigned int)line);
		err = -VMK_ENOENT;
	}
	if (!err)
		vmk_fwmap__set_format(m, VMK_FWMAP_FMT_NONE, VMK_FWMAP_AT_LINE);
	return vmk_fwmap__end(m, &u, err);
}
