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
static int parse_memory(struct vmk_str s, uint64_t *a, uint64_t *b, uint64_t *flags)
{
	struct vmk_str rest;
	uint64_t idx;

	vmk_fwmap__skip_ws(&s);
	if (!vmk_fwmap__eat(&s, "memory[") || vmk_fwmap__hex(&s, &idx) || !vmk_fwmap__eat(&s, "]"))
		return 0;
	vmk_fwmap__skip_ws(&s);
	if (!vmk_fwmap__eat(&s, "[") || vmk_fwmap__hex(&s, a) || !vmk_fwmap__eat(&s, "-") ||
	    vmk_fwmap__hex(&s, b) || !vmk_fwmap__eat(&s, "]") || *b < *a ||
	    !vmk_fwmap__after(s, "flags: ", &rest) || vmk_fwmap__hex(&rest, flags))
		return -VMK_EPARSE;
	return 1;
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
	bool have = false, in = false;
	int err = 0;

	if (len && !text)
		return -VMK_EINVAL;
	/* First pass: where the last dump with a real memory region starts. */
	while (vmk_next_line(text, len, &pos, &l)) {
		struct vmk_str msg = vmk_fwmap__log_message(l);
		uint64_t a, b, f;

		line++;
		if (is_header(msg)) {
			in = true;
			dump = pos;
			dump_line = line;
			continue;
		}
		/* The dummy region of an empty memblock covers all 2^64 bytes and has size 0. */
		if (in && parse_memory(msg, &a, &b, &f) == 1 && !(a == 0 && b == VMK_PADDR_MAX)) {
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
		uint64_t a, b, f;
		int r;

		line++;
		if (is_header(msg) || vmk_str_find(msg, "reserved.cnt") >= 0)
			break;
		r = parse_memory(msg, &a, &b, &f);
		if (r == 0)
			continue;
		if (r < 0) {
			vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_LINE, line,
					   "memblock memory line: malformed (want \"memory[0xN]\t[0xA-0xB], ... flags: 0xF\")");
			err = -VMK_EPARSE;
			break;
		}
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
	if (!err)
		vmk_fwmap__set_format(m, VMK_FWMAP_FMT_NONE, VMK_FWMAP_AT_LINE);
	return vmk_fwmap__end(m, &u, err);
}
