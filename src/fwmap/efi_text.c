/*
 * Linux's "efi: mem.." lines (printed with efi=debug, and by default on
 * older kernels), every form:
 *
 *   3.x:  efi: mem15: type=10, attr=0xf, range=[0x00000000ad853000-0x00000000ad85a000) (0MB)
 *   4.x:  efi: mem19: [Boot Data          |   |  |  |  |   |WB|WT|WC|UC] range=[0x...-0x...) (0MB)
 *   5.x+: efi: mem19: [Boot Data   |   |  |  |  |  |  |  |  |   |WB|WT|WC|UC] range=[0x...-0x...] (0MB)
 *         efi: mem50: [type=16     |attr=0x0000000000001000] range=[...]
 *   arm64 "Processing EFI memory map":
 *         efi:   0x000040000000-0x00004000ffff [Loader Data|   |  |  |  |  |  |  |   |WB|WT|WC|UC]*
 *   arm64 3.x-4.4 (arch/arm64/kernel/efi.c, no "efi:" prefix, only after
 *   the "Processing EFI memory map:" header; 3.x printed no attributes):
 *           0x000040000000-0x00004000ffff [Loader Data        |   |  |  |  |   |WB|WT|WC|UC]*
 *           0x000040000000-0x00004000ffff [Conventional Memory]
 *   The "*" and the newline came from pr_cont(), so a log may show the
 *   "*" as a line of its own, and a pasted log may wrap a long entry onto
 *   the next line: both are joined back.
 *
 * A log may hold several boots. A new map starts where the memN numbers
 * restart (mem00 after mem37) or at a second "Processing EFI memory map:"
 * header; the last map wins, with a warning (never a merge of two boots).
 *
 * A ")" closes a half-open range, a "]" an inclusive one. The attribute
 * columns are read by their labels, so every column layout any kernel
 * used is accepted.
 */
#include "fwmap_internal.h"

struct efi_line {
	uint32_t type;
	uint64_t attr;
	uint64_t base;
	uint64_t last;
	bool empty;	/* a 0-page descriptor: [a-a) or [a-(a-1)] */
};

/* "[Name |col|col|...]" or "[type=N |attr=0x...]" */
static int parse_typeattr(struct vmk_str *s, struct efi_line *el)
{
	struct vmk_str name;
	size_t i = 0;
	uint64_t v;

	if (!vmk_fwmap__eat(s, "["))
		return -VMK_EPARSE;
	while (i < s->len && s->p[i] != '|' && s->p[i] != ']')
		i++;
	if (i == s->len)
		return -VMK_EPARSE;
	name = vmk_str_trim((struct vmk_str){ s->p, i });
	if (vmk_fwmap__eat(&name, "type=")) {
		if (vmk_fwmap__dec(&name, &v) || v > UINT32_MAX || name.len)
			return -VMK_EPARSE;
		el->type = (uint32_t)v;
	} else if (vmk_fwmap__efi_type_from_linux(name, &el->type)) {
		return -VMK_EPARSE;
	}
	vmk_fwmap__skip(s, i);
	el->attr = 0;
	while (vmk_fwmap__eat(s, "|")) {
		struct vmk_str col;
		uint64_t bit;

		i = 0;
		while (i < s->len && s->p[i] != '|' && s->p[i] != ']')
			i++;
		if (i == s->len)
			return -VMK_EPARSE;
		col = vmk_str_trim((struct vmk_str){ s->p, i });
		vmk_fwmap__skip(s, i);
		if (vmk_fwmap__eat(&col, "attr=")) {
			if (vmk_fwmap__hex(&col, &v) || col.len)
				return -VMK_EPARSE;
			el->attr |= v;
		} else if (col.len) {
			if (vmk_fwmap__efi_attr_from_col(col, &bit))
				return -VMK_EPARSE;
			el->attr |= bit;
		}
	}
	return vmk_fwmap__eat(s, "]") ? 0 : -VMK_EPARSE;
}

/* "0xA-0xB" then ")" (exclusive) or "]" (inclusive). */
static int parse_range(struct vmk_str *s, struct efi_line *el, bool need_close)
{
	uint64_t end;
	bool excl;

	el->empty = false;
	if (vmk_fwmap__hex(s, &el->base) || !vmk_fwmap__eat(s, "-") || vmk_fwmap__hex(s, &end))
		return -VMK_EPARSE;
	excl = vmk_fwmap__eat(s, ")");
	if (!excl && !vmk_fwmap__eat(s, "]") && need_close)
		return -VMK_EPARSE;
	if (excl) {
		if (end == el->base)
			el->empty = true;
		else if (end < el->base)
			return -VMK_ERANGE;
		el->last = end - 1;
		return 0;
	}
	if (el->base && end == el->base - 1)
		el->empty = true;
	else if (end < el->base)
		return -VMK_ERANGE;
	el->last = end;
	return 0;
}

/* The " (12MB)" trailer: checked, a mismatch is a warning. */
static int parse_mb(struct vmk_str *s, const struct efi_line *el, bool *mismatch)
{
	uint64_t mb;

	vmk_fwmap__skip_ws(s);
	*mismatch = false;
	if (!s->len)
		return 0;
	if (!vmk_fwmap__eat(s, "(") || vmk_fwmap__dec(s, &mb) || !vmk_fwmap__eat(s, "MB)"))
		return -VMK_EPARSE;
	/* Linux prints num_pages >> 8: the size in whole MiB. */
	*mismatch = !el->empty && mb != ((el->last - el->base + 1) >> 20);
	return 0;
}

/*
 * Parse the text after "efi: "; returns 1 if it is a mem line (el filled),
 * 0 if it is some other efi line, or a negative error for a malformed mem
 * line (*what names what is wrong).
 */
static int parse_mem(struct vmk_str s, struct efi_line *el, bool *mismatch, const char **what,
		     uint64_t *idx)
{
	uint64_t v;
	int err;

	vmk_fwmap__skip_ws(&s);
	*mismatch = false;
	*idx = UINT64_MAX;
	if (vmk_fwmap__eat(&s, "mem")) {
		if (vmk_fwmap__dec(&s, &v) || !vmk_fwmap__eat(&s, ":"))
			return 0;	/* "efi: memattr: ..." and the like */
		*idx = v;
		vmk_fwmap__skip_ws(&s);
		if (vmk_fwmap__eat(&s, "type=")) {
			/* 3.x */
			*what = "malformed type=/attr=/range= fields";
			if (vmk_fwmap__dec(&s, &v) || v > UINT32_MAX || !vmk_fwmap__eat(&s, ", attr=") ||
			    vmk_fwmap__hex(&s, &el->attr) || !vmk_fwmap__eat(&s, ", range=["))
				return -VMK_EPARSE;
			el->type = (uint32_t)v;
		} else {
			*what = "malformed [type|attributes] field";
			if (parse_typeattr(&s, el))
				return -VMK_EPARSE;
			vmk_fwmap__skip_ws(&s);
			*what = "missing range=[";
			if (!vmk_fwmap__eat(&s, "range=["))
				return -VMK_EPARSE;
		}
		*what = "malformed range";
		err = parse_range(&s, el, true);
		if (err)
			return err;
		*what = "malformed (NMB) size";
		return parse_mb(&s, el, mismatch) ? -VMK_EPARSE : 1;
	}
	if (vmk_str_starts(s, "0x") && vmk_str_find(s, "[") > 0) {
		/* arm64: inclusive range, then the type/attribute field. */
		*what = "malformed range";
		err = parse_range(&s, el, false);
		if (err)
			return err;
		vmk_fwmap__skip_ws(&s);
		*what = "malformed [type|attributes] field";
		if (parse_typeattr(&s, el))
			return -VMK_EPARSE;
		vmk_fwmap__eat(&s, "*");
		return vmk_str_trim(s).len ? -VMK_EPARSE : 1;
	}
	return 0;
}

/* Attributes 3.x arm64 kernels did not print: what their firmware gave such types. */
static uint64_t assumed_attr(uint32_t type)
{
	switch (type) {
	case VMK_EFI_MMIO:
	case VMK_EFI_MMIO_PORT:
		return VMK_EFI_MEMORY_UC;
	case VMK_EFI_RESERVED:
	case VMK_EFI_UNUSABLE:
		return 0;
	default:
		return type < VMK_EFI_MAX_TYPE ? VMK_EFI_MEMORY_WB : 0;
	}
}

/* True if s opens a "[" that no "]" closes (an entry wrapped onto the next line). */
static bool unclosed(struct vmk_str s)
{
	long open = vmk_str_find(s, "[");

	return open >= 0 && vmk_str_find((struct vmk_str){ s.p + open, s.len - (size_t)open }, "]") < 0;
}

struct efi_text {
	struct vmk_fwmap *m;
	struct vmk_fwmap_diag *diag;
	size_t n0;		/* entries in m before this parse */
	uint32_t map_line;	/* first line of the map being read (0: none yet) */
	uint64_t last_idx;	/* memN number of the previous mem line */
	bool after_header;	/* inside an arm64 "Processing EFI memory map:" block */
	bool warned_attr;
};

/* A map starts at line: a second one (another boot) replaces the first. */
static void new_map(struct efi_text *st, uint32_t line)
{
	if (st->map_line)
		vmk_fwmap_diag_add(st->diag, VMK_FWMAP_WARN, VMK_FWMAP_AT_LINE, line,
				   "another EFI memory map starts here (another boot?); "
				   "the map from line %u on is dropped", (unsigned int)st->map_line);
	st->map_line = line;
	st->m->n = st->n0;
	st->last_idx = UINT64_MAX;
}

int vmk_fwmap_parse_efi_text(struct vmk_fwmap *m, const char *text, size_t len,
			     struct vmk_fwmap_diag *diag)
{
	struct vmk_fwmap__undo u;
	struct efi_text st = { .m = m, .diag = diag, .last_idx = UINT64_MAX };
	struct vmk_str l;
	size_t pos = 0, found = 0;
	uint32_t line = 0;
	int err = 0;

	if (len && !text)
		return -VMK_EINVAL;
	vmk_fwmap__begin(m, &u);
	st.n0 = m->n;
	while (err != -VMK_ENOSPC && vmk_next_line(text, len, &pos, &l)) {
		struct vmk_str s = vmk_fwmap__log_message(l), t;
		struct efi_line el;
		struct vmk_fwmap_entry ent;
		const char *what = "";
		char joined[512];
		bool mismatch, prefixed, no_attr;
		uint64_t idx;
		int r;

		if (line < UINT32_MAX)
			line++;
		prefixed = vmk_fwmap__eat(&s, "efi:");
		t = vmk_str_trim(s);
		if (vmk_str_starts(t, "Processing EFI memory map")) {
			if (found)
				new_map(&st, line);
			st.after_header = true;
			continue;
		}
		if (st.after_header && (t.len == 1 && t.p[0] == '*'))
			continue;	/* a pr_cont("*") that became a line of its own */
		if (!prefixed) {
			if (!st.after_header)
				continue;
			if (!vmk_str_starts(t, "0x")) {
				st.after_header = false;
				continue;
			}
		}
		if (vmk_str_starts(t, "0x") && unclosed(t) && s.len < sizeof(joined) / 2) {
			/*
			 * Wrapped by a terminal or a paste: the rest of the entry is
			 * the next raw line, cut anywhere (even inside a column).
			 */
			size_t save = pos;
			struct vmk_str nl;

			if (vmk_next_line(text, len, &pos, &nl) && nl.len && nl.len < sizeof(joined) / 2 &&
			    vmk_str_find(nl, "]") >= 0 && vmk_str_find(nl, "[") < 0) {
				vmk_memcpy(joined, s.p, s.len);
				vmk_memcpy(joined + s.len, nl.p, nl.len);
				s = (struct vmk_str){ joined, s.len + nl.len };
				if (line < UINT32_MAX)
					line++;
			} else {
				pos = save;
			}
		}
		r = parse_mem(s, &el, &mismatch, &what, &idx);
		if (r == 0)
			continue;
		if (idx != UINT64_MAX) {
			/* memN numbers restart: a map of another boot. */
			if (!st.map_line || (st.last_idx != UINT64_MAX && idx <= st.last_idx))
				new_map(&st, line);
			st.last_idx = idx;
		} else if (!st.map_line) {
			new_map(&st, line);
		}
		found++;
		if (r < 0) {
			if (r == -VMK_ERANGE)
				vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_LINE, line,
						   "efi mem line: range end below its start");
			else
				vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_LINE, line,
						   "efi mem line: %s", what);
			err = -VMK_EPARSE;
			continue;
		}
		if (el.empty) {
			vmk_fwmap_diag_add(diag, VMK_FWMAP_WARN, VMK_FWMAP_AT_LINE, line,
					   "0-page range at 0x%llx ignored", (unsigned long long)el.base);
			continue;
		}
		if (el.base == 0 && el.last == VMK_PADDR_MAX) {
			vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_LINE, line,
					   "efi mem line: range covers all 2^64 bytes");
			err = -VMK_EPARSE;
			continue;
		}
		if (mismatch)
			vmk_fwmap_diag_add(diag, VMK_FWMAP_WARN, VMK_FWMAP_AT_LINE, line,
					   "(NMB) size does not match the range");
		if (el.type >= VMK_EFI_MAX_TYPE && el.type < VMK_EFI_OEM_FIRST)
			vmk_fwmap_diag_add(diag, VMK_FWMAP_WARN, VMK_FWMAP_AT_LINE, line,
					   "undefined memory type %u treated as reserved",
					   (unsigned int)el.type);
		/* 3.x arm64: "[Conventional Memory]" with no attribute columns. */
		no_attr = idx == UINT64_MAX && el.attr == 0 && vmk_str_find(s, "|") < 0;
		if (no_attr) {
			el.attr = assumed_attr(el.type);
			if (!st.warned_attr)
				vmk_fwmap_diag_add(diag, VMK_FWMAP_WARN, VMK_FWMAP_AT_LINE, line,
						   "this kernel printed no attributes: WB assumed for RAM types, "
						   "UC for MMIO");
			st.warned_attr = true;
		}
		ent = (struct vmk_fwmap_entry){
			.base = el.base, .size = el.last - el.base + 1,
			.kind = vmk_efi_kind(el.type, el.attr), .fw_type = el.type,
			.attr = el.attr, .flags = vmk_fwmap__efi_flags(el.attr), .src = line,
		};
		if (err)
			continue;
		if (vmk_fwmap__push(m, &ent)) {
			vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_LINE, line,
					   "map full (%zu entries)", m->cap);
			err = -VMK_ENOSPC;
		}
	}
	if (!err && !found) {
		vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_NONE, 0,
				   "no efi mem line (efi: memN: ...) in %u lines", (unsigned int)line);
		err = -VMK_ENOENT;
	}
	if (!err)
		vmk_fwmap__set_format(m, VMK_FWMAP_FMT_EFI, VMK_FWMAP_AT_LINE);
	return vmk_fwmap__end(m, &u, err);
}
