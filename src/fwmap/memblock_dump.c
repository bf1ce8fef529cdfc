/*
 * memblock=debug's dump in a kernel log (memblock_dump_all()):
 *
 *   MEMBLOCK configuration:
 *    memory size = 0x0000000040000000 reserved size = 0x0000000004a3e1c8
 *    memory.cnt  = 0x1
 *    memory[0x0]	[0x0000000040000000-0x000000007fffffff], 0x0000000040000000 bytes on node 0 flags: 0x0
 *    reserved.cnt  = 0x14
 *    reserved[0x0]	[...]
 *
 * A device-tree boot prints no firmware map: Linux reads memory from the
 * DT, and this dump is the only record of it in the log. The last dump
 * with memory is taken (arm64 dumps an empty memblock first; x86 dumps
 * before and after its NUMA init). Only memory regions: the reserved ones
 * mix firmware reservations with the kernel's own allocations.
 */
#include "fwmap_internal.h"

/* Linux's memblock flags (include/linux/memblock.h). */
#define LINUX_MEMBLOCK_MIRROR		0x2
#define LINUX_MEMBLOCK_NOMAP		0x4
#define LINUX_MEMBLOCK_DRIVER_MANAGED	0x8

/* "memory[0xN]\t[0xA-0xB], 0xS bytes [on node N ]flags: 0xF": 1 parsed, 0 another line, <0 malformed. */
static int parse_memory(struct vmk_str s, uint64_t *idx, uint64_t *a, uint64_t *b, uint64_t *flags)
{
	struct vmk_str rest;

	vmk_fwmap__skip_ws(&s);
	if (!vmk_fwmap__eat(&s, "memory[") || vmk_fwmap__hex(&s, idx) || !vmk_fwmap__eat(&s, "]"))
		return 0;
	vmk_fwmap__skip_ws(&s);
	if (!vmk_fwmap__eat(&s, "[") || vmk_fwmap__hex(&s, a) || !vmk_fwmap__eat(&s, "-") ||
	    vmk_fwmap__hex(&s, b) || !vmk_fwmap__eat(&s, "]") || *b < *a ||
	    !vmk_fwmap__after(s, "flags: ", &rest) || vmk_fwmap__hex(&rest, flags))
		return -VMK_EPARSE;
	return 1;
}

/* " memory.cnt  = 0xN": true with *cnt set. */
static bool parse_count(struct vmk_str s, uint64_t *cnt)
{
	struct vmk_str rest;

	vmk_fwmap__skip_ws(&s);
	if (!vmk_fwmap__eat(&s, "memory.cnt") || !vmk_fwmap__after(s, "=", &rest))
		return false;
	vmk_fwmap__skip_ws(&rest);
	return !vmk_fwmap__hex(&rest, cnt);
}

static bool is_header(struct vmk_str msg)
{
	return vmk_str_find(msg, "MEMBLOCK configuration:") >= 0;
}

int vmk_fwmap_parse_memblock_dump(struct vmk_fwmap *m, const char *text, size_t len,
				  struct vmk_fwmap_diag *diag)
{
	struct vmk_fwmap__undo u;
	struct vmk_str l;
	size_t pos = 0, start = 0, dump = 0;
	uint32_t line = 0, start_line = 0, dump_line = 0;
	uint64_t cnt = 0, seen = 0, prev_end = 0;
	bool have = false, in = false, has_cnt = false, ended = false;
	int err = 0;

	if (len && !text)
		return -VMK_EINVAL;
	/*
	 * First pass: where the last dump with a real memory region starts. A
	 * malformed first region counts as one, so that the dump is reported
	 * rather than an older one silently taken.
	 */
	while (vmk_next_line(text, len, &pos, &l)) {
		struct vmk_str msg = vmk_fwmap__log_message(l);
		uint64_t i, a, b, f;
		int r;

		line++;
		if (is_header(msg)) {
			in = true;
			dump = pos;
			dump_line = line;
			continue;
		}
		if (!in)
			continue;
		/* The dummy region of an empty memblock covers all 2^64 bytes and has size 0. */
		r = parse_memory(msg, &i, &a, &b, &f);
		if (r < 0 || (r == 1 && !(a == 0 && b == VMK_PADDR_MAX))) {
			start = dump;
			start_line = dump_line;
			have = true;
			in = false;
		}
	}
	if (!have)
		return -VMK_ENOENT;
	vmk_fwmap__begin(m, &u);
	pos = start;
	line = start_line;
	while (!err && vmk_next_line(text, len, &pos, &l)) {
		struct vmk_str msg = vmk_fwmap__log_message(l);
		uint64_t i, a, b, f;
		int r;

		line++;
		if (is_header(msg) || vmk_str_find(msg, "reserved.cnt") >= 0) {
			ended = true;
			break;
		}
		if (parse_count(msg, &cnt)) {
			has_cnt = true;
			continue;
		}
		r = parse_memory(msg, &i, &a, &b, &f);
		if (r == 0)
			continue;
		if (r < 0) {
			vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_LINE, line,
					   "memblock memory line: malformed (want \"memory[0xN]\t[0xA-0xB], ... flags: 0xF\")");
			err = -VMK_EPARSE;
			break;
		}
		/* memblock_dump() numbers the regions from 0: a gap is a line the log lost. */
		if (i != seen) {
			vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_LINE, line,
					   "memblock memory[0x%llx] where memory[0x%llx] was due: lines of the dump are missing",
					   (unsigned long long)i, (unsigned long long)seen);
			err = -VMK_EPARSE;
			break;
		}
		/* memblock keeps its regions sorted and disjoint. */
		if (seen && a < prev_end) {
			vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_LINE, line,
					   "memblock memory region 0x%llx is below the end of the previous one",
					   (unsigned long long)a);
			err = -VMK_EPARSE;
			break;
		}
		seen++;
		prev_end = b + 1;
		if (f & LINUX_MEMBLOCK_DRIVER_MANAGED) {
			vmk_fwmap_diag_add(diag, VMK_FWMAP_INFO, VMK_FWMAP_AT_LINE, line,
					   "driver-managed memory skipped (not boot memory)");
			continue;
		}
		{
			struct vmk_fwmap_entry ent = {
				.base = a, .size = b - a + 1, .src = line,
				.kind = f & LINUX_MEMBLOCK_NOMAP ? VMK_MEM_NOMAP : VMK_MEM_USABLE,
				.flags = f & LINUX_MEMBLOCK_MIRROR ? VMK_FWMAP_F_MIRROR : 0,
			};

			err = vmk_fwmap__push(m, &ent);
			if (err)
				vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_LINE, line,
						   "map full (%zu entries)", m->cap);
		}
	}
	if (!err && !ended) {
		vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_LINE, start_line,
				   "the text ends inside the memblock dump that starts here (no reserved.cnt line)");
		err = -VMK_EPARSE;
	} else if (!err && has_cnt && seen != cnt) {
		vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_LINE, line,
				   "memblock memory.cnt is 0x%llx but the dump has %llu memory lines: lines are missing",
				   (unsigned long long)cnt, (unsigned long long)seen);
		err = -VMK_EPARSE;
	}
	if (!err)
		vmk_fwmap__set_format(m, VMK_FWMAP_FMT_NONE, VMK_FWMAP_AT_LINE);
	return vmk_fwmap__end(m, &u, err);
}
