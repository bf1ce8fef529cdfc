/*
 * Linux's E820 dmesg text, every generation of it:
 *
 *   2.6:  BIOS-e820: 0000000000000000 - 000000000009f800 (usable)       end exclusive
 *         e820 update range: 0000000000000000 - 0000000000001000 (usable) ==> (reserved)
 *         e820 remove range: 00000000000a0000 - 0000000000100000 (usable)
 *   3.x+: BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable  end inclusive
 *         e820: update [mem 0x00000000-0x00000fff] usable ==> reserved
 *         e820: remove [mem 0x000a0000-0x000fffff] usable
 *   6.x:  BIOS-e820: [gap 0x00000000000a0000-0x00000000000effff]
 *         BIOS-e820: [mem 0x0000000000100000-0x000000007ffdffff] System RAM
 *         BIOS-e820: [mem 0x00000000feffc000-0x00000000feffffff]   16   KB device reserved
 *
 * with any syslog, journalctl or timestamp prefix. Besides the firmware
 * map ("BIOS-e820", "BIOS-88", "BIOS-e801", "Xen") the kernel prints
 * whole maps after it changed them ("modified", "user" after memmap=,
 * "reserve setup_data"); such a block replaces the map read so far, as it
 * is what the kernel used from then on. Edit lines are applied in order,
 * the way __e820__range_update/e820__range_remove did.
 */
#include "fwmap_internal.h"

struct who {
	const char *name;
	bool firmware;	/* a firmware map: a second block means a second boot */
	bool strict;	/* "<name>:" alone makes it a map line */
};

static const struct who whos[] = {
	{ "BIOS-e820", true, true },
	{ "BIOS-88", true, true },
	{ "BIOS-e801", true, true },
	{ "Xen", true, false },
	{ "modified", false, false },
	{ "user", false, false },
	{ "reserve setup_data", false, false },
};

struct e820_state {
	struct vmk_fwmap *m;
	struct vmk_fwmap_diag *diag;
	size_t n0;			/* map entries before this parse */
	const struct who *block;	/* who of the block being read */
	bool in_block;			/* the previous line continued it */
	uint32_t fw_block_line;		/* first line of the current firmware block */
	size_t map_lines;
	int err;
};

#define ERR(st, line, ...) do {							\
	vmk_fwmap_diag_add((st)->diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_LINE, (line), __VA_ARGS__); \
	if (!(st)->err)								\
		(st)->err = -VMK_EPARSE;					\
} while (0)

/* "[mem 0xA-0xB]" (inclusive) after "[mem " or "[gap " was eaten. */
static int parse_bracket_range(struct vmk_str *s, uint64_t *base, uint64_t *last)
{
	if (vmk_fwmap__hex(s, base) || !vmk_fwmap__eat(s, "-") ||
	    vmk_fwmap__hex(s, last) || !vmk_fwmap__eat(s, "]"))
		return -VMK_EPARSE;
	return 0;
}

/* "0000000000000000 - 000000000009f800" (end exclusive) into base/last. */
static int parse_old_range(struct vmk_str *s, uint64_t *base, uint64_t *last, bool *empty)
{
	uint64_t end;

	if (vmk_fwmap__hex(s, base))
		return -VMK_EPARSE;
	vmk_fwmap__skip_ws(s);
	if (!vmk_fwmap__eat(s, "-"))
		return -VMK_EPARSE;
	vmk_fwmap__skip_ws(s);
	if (vmk_fwmap__hex(s, &end))
		return -VMK_EPARSE;
	*empty = end == *base;
	if (end < *base)
		return -VMK_ERANGE;
	*last = end - 1;
	return 0;
}

/* A type name, bare or in parentheses. */
static int parse_type(struct vmk_str *s, uint32_t *type, bool *unknown)
{
	bool paren;

	vmk_fwmap__skip_ws(s);
	paren = vmk_fwmap__eat(s, "(");
	if (!vmk_fwmap__e820_name(s, type, unknown))
		return -VMK_EPARSE;
	if (paren && !vmk_fwmap__eat(s, ")"))
		return -VMK_EPARSE;
	return 0;
}

/*
 * The size column of 6.x kernels: "   16   KB", " 1.9 GB". Checked
 * against the range (a mismatch is only a warning: the column is
 * informational).
 */
static void skip_size_column(struct e820_state *st, struct vmk_str *s, uint32_t line,
			     uint64_t size)
{
	static const char *const units[] = { "KB", "MB", "GB", "TB" };
	struct vmk_str t = *s;
	uint64_t whole, tenth = 0, unit = VMK_KiB;
	bool has_tenth = false;
	unsigned int u;

	vmk_fwmap__skip_ws(&t);
	if (vmk_fwmap__dec(&t, &whole))
		return;
	if (vmk_fwmap__eat(&t, ".")) {
		if (!t.len || !vmk_isdigit((unsigned char)t.p[0]))
			return;
		tenth = (uint64_t)(t.p[0] - '0');
		has_tenth = true;
		vmk_fwmap__skip(&t, 1);
	}
	vmk_fwmap__skip_ws(&t);
	for (u = 0; u < VMK_ARRAY_SIZE(units); u++, unit <<= 10)
		if (vmk_fwmap__eat(&t, units[u]))
			break;
	if (u == VMK_ARRAY_SIZE(units))
		return;		/* not a size column: leave it to the type parser */
	*s = t;
	if (size / unit != whole || (has_tenth && 10 * (size % unit) / unit != tenth))
		vmk_fwmap_diag_add(st->diag, VMK_FWMAP_WARN, VMK_FWMAP_AT_LINE, line,
				   "size column does not match the range (%llu bytes)",
				   (unsigned long long)size);
}

static bool only_space(struct vmk_str s)
{
	return vmk_str_trim(s).len == 0;
}

static void add_range(struct e820_state *st, uint32_t line, uint64_t base, uint64_t last,
		      uint32_t type, bool unknown)
{
	struct vmk_fwmap_entry ent = {
		.base = base, .fw_type = type, .kind = vmk_e820_kind(type), .src = line,
	};

	if (last < base) {
		ERR(st, line, "range end 0x%llx is below its start 0x%llx",
		    (unsigned long long)last, (unsigned long long)base);
		return;
	}
	if (base == 0 && last == VMK_PADDR_MAX) {
		ERR(st, line, "range covers all 2^64 bytes; an entry cannot");
		return;
	}
	if (unknown)
		vmk_fwmap_diag_add(st->diag, VMK_FWMAP_WARN, VMK_FWMAP_AT_LINE, line,
				   "unknown E820 type treated as reserved");
	ent.size = last - base + 1;
	if (st->err)
		return;		/* only collecting diagnostics now */
	if (vmk_fwmap__push(st->m, &ent)) {
		vmk_fwmap_diag_add(st->diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_LINE, line,
				   "map full (%zu entries)", st->m->cap);
		st->err = -VMK_ENOSPC;
	}
}

/* A map line of block 'w' starts or continues a block. */
static void enter_block(struct e820_state *st, const struct who *w, uint32_t line)
{
	if (st->in_block && st->block == w)
		return;
	if (w->firmware) {
		if (st->fw_block_line)
			vmk_fwmap_diag_add(st->diag, VMK_FWMAP_WARN, VMK_FWMAP_AT_LINE, line,
					   "another %s map starts here (another boot?); "
					   "the map from line %u on is dropped",
					   w->name, (unsigned int)st->fw_block_line);
		st->fw_block_line = line;
		st->m->n = st->n0;
	} else if (st->m->n > st->n0) {
		vmk_fwmap_diag_add(st->diag, VMK_FWMAP_INFO, VMK_FWMAP_AT_LINE, line,
				   "the kernel's \"%s\" map replaces the map read so far",
				   w->name);
		st->m->n = st->n0;
	}
	st->block = w;
	st->in_block = true;
}

/*
 * Try to read a map line of block 'w' whose "<name>:" was eaten from s.
 * Returns false if the line is not a map line (only possible for
 * non-strict names).
 */
static bool map_line(struct e820_state *st, const struct who *w, struct vmk_str s, uint32_t line)
{
	uint64_t base, last;
	uint32_t type;
	bool unknown, empty = false, gap;

	vmk_fwmap__skip_ws(&s);
	gap = vmk_str_starts(s, "[gap ");
	if (vmk_fwmap__eat(&s, "[mem ") || vmk_fwmap__eat(&s, "[gap ")) {
		if (parse_bracket_range(&s, &base, &last)) {
			ERR(st, line, "malformed %s range", w->name);
			return true;
		}
		enter_block(st, w, line);
		st->map_lines++;
		if (gap) {
			if (!only_space(s))
				ERR(st, line, "unexpected text after a gap range");
			else if (last < base)
				ERR(st, line, "gap end 0x%llx is below its start 0x%llx",
				    (unsigned long long)last, (unsigned long long)base);
			return true;
		}
		if (last >= base)
			skip_size_column(st, &s, line, last - base + 1);
	} else if (s.len && vmk_isxdigit((unsigned char)s.p[0])) {
		int err = parse_old_range(&s, &base, &last, &empty);

		if (err && !w->strict)
			return false;
		if (err) {
			if (err == -VMK_ERANGE)
				ERR(st, line, "range end is below its start");
			else
				ERR(st, line, "malformed %s range", w->name);
			return true;
		}
		enter_block(st, w, line);
		st->map_lines++;
	} else {
		if (w->strict)
			ERR(st, line, "%s line without a memory range", w->name);
		return w->strict;
	}
	if (parse_type(&s, &type, &unknown) || !only_space(s)) {
		ERR(st, line, "unknown memory type \"%.*s\"", (int)vmk_str_trim(s).len,
		    vmk_str_trim(s).p);
		return true;
	}
	if (empty) {
		vmk_fwmap_diag_add(st->diag, VMK_FWMAP_WARN, VMK_FWMAP_AT_LINE, line,
				   "zero-length range at 0x%llx ignored", (unsigned long long)base);
		return true;
	}
	add_range(st, line, base, last, type, unknown);
	return true;
}

/* Linux's __e820__range_update over the entries read so far. */
static void apply_update(struct e820_state *st, uint32_t line, uint64_t base, uint64_t last,
			 uint32_t old_type, uint32_t new_type)
{
	struct vmk_fwmap *m = st->m;
	size_t i, count = m->n;

	if (old_type == new_type)
		return;		/* e.g. "usable ==> usable": RESERVED_KERN printed as usable */
	for (i = st->n0; i < count && !st->err; i++) {
		struct vmk_fwmap_entry *e = &m->e[i];
		uint64_t elast = e->base + (e->size - 1), lo, hi;

		if (e->fw_type != old_type || e->base > last || elast < base)
			continue;
		lo = VMK_MAX(e->base, base);
		hi = VMK_MIN(elast, last);
		/* Pieces outside the range keep the old type; count the room first. */
		if (m->n + (lo > e->base) + (hi < elast) > m->cap) {
			vmk_fwmap_diag_add(st->diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_LINE, line,
					   "map full (%zu entries) splitting an entry", m->cap);
			st->err = -VMK_ENOSPC;
			return;
		}
		if (lo > e->base) {
			struct vmk_fwmap_entry left = *e;

			left.size = lo - e->base;
			m->e[m->n++] = left;
		}
		if (hi < elast) {
			struct vmk_fwmap_entry right = *e;

			right.base = hi + 1;
			right.size = elast - hi;
			m->e[m->n++] = right;
		}
		e->base = lo;
		e->size = hi - lo + 1;
		e->fw_type = new_type;
		e->kind = vmk_e820_kind(new_type);
		e->src = line;
	}
}

/* Linux's e820__range_remove (type 0: any type). */
static void apply_remove(struct e820_state *st, uint32_t line, uint64_t base, uint64_t last,
			 bool filter, uint32_t type)
{
	struct vmk_fwmap *m = st->m;
	size_t i = st->n0;

	while (i < m->n && !st->err) {
		struct vmk_fwmap_entry *e = &m->e[i];
		uint64_t elast = e->base + (e->size - 1);

		if ((filter && e->fw_type != type) || e->base > last || elast < base) {
			i++;
			continue;
		}
		if (e->base >= base && elast <= last) {
			/* Wholly removed: fill the hole with the last entry. */
			*e = m->e[--m->n];
			continue;
		}
		if (e->base < base && elast > last) {
			struct vmk_fwmap_entry right = *e;

			if (m->n >= m->cap) {
				vmk_fwmap_diag_add(st->diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_LINE, line,
						   "map full (%zu entries) splitting an entry", m->cap);
				st->err = -VMK_ENOSPC;
				return;
			}
			right.base = last + 1;
			right.size = elast - last;
			m->e[m->n++] = right;
			e->size = base - e->base;
		} else if (e->base < base) {
			e->size = base - e->base;
		} else {
			e->size = elast - last;
			e->base = last + 1;
		}
		i++;
	}
}

/* "e820: update ..." and friends; false if the line is not an edit line. */
static bool edit_line(struct e820_state *st, struct vmk_str s, uint32_t line)
{
	uint64_t base, last;
	uint32_t old_type = 0, new_type;
	bool update, unknown, empty = false, filter = false;

	if (vmk_fwmap__eat(&s, "e820: update ")) {
		update = true;
	} else if (vmk_fwmap__eat(&s, "e820: remove ")) {
		update = false;
	} else if (vmk_fwmap__eat(&s, "e820 update range: ")) {
		update = true;
	} else if (vmk_fwmap__eat(&s, "e820 remove range: ")) {
		update = false;
	} else {
		return false;
	}
	st->in_block = false;
	if (vmk_fwmap__eat(&s, "[mem ")) {
		if (parse_bracket_range(&s, &base, &last) || last < base) {
			ERR(st, line, "malformed range in an e820 %s line", update ? "update" : "remove");
			return true;
		}
	} else if (parse_old_range(&s, &base, &last, &empty)) {
		ERR(st, line, "malformed range in an e820 %s line", update ? "update" : "remove");
		return true;
	}
	vmk_fwmap__skip_ws(&s);
	if (update || s.len) {
		if (parse_type(&s, &old_type, &unknown)) {
			ERR(st, line, "unknown memory type in an e820 %s line",
			    update ? "update" : "remove");
			return true;
		}
		filter = true;
	}
	if (update) {
		vmk_fwmap__skip_ws(&s);
		if (!vmk_fwmap__eat(&s, "==>") || parse_type(&s, &new_type, &unknown)) {
			ERR(st, line, "malformed e820 update line (expected \"TYPE ==> TYPE\")");
			return true;
		}
	}
	if (!only_space(s)) {
		ERR(st, line, "unexpected text at the end of an e820 edit line");
		return true;
	}
	if (st->map_lines == 0)
		vmk_fwmap_diag_add(st->diag, VMK_FWMAP_WARN, VMK_FWMAP_AT_LINE, line,
				   "e820 edit before any map line");
	if (empty || st->err)
		return true;
	if (update)
		apply_update(st, line, base, last, old_type, new_type);
	else
		apply_remove(st, line, base, last, filter, old_type);
	return true;
}

static void one_line(struct e820_state *st, struct vmk_str raw, uint32_t line)
{
	struct vmk_str s = vmk_fwmap__log_message(raw);
	size_t i;

	if (!s.len)
		return;
	for (i = 0; i < VMK_ARRAY_SIZE(whos); i++) {
		struct vmk_str t = s;

		if (vmk_fwmap__eat(&t, whos[i].name) && vmk_fwmap__eat(&t, ":") &&
		    map_line(st, &whos[i], t, line))
			return;
	}
	if (edit_line(st, s, line))
		return;
	st->in_block = false;
}

int vmk_fwmap_parse_e820_text(struct vmk_fwmap *m, const char *text, size_t len,
			      struct vmk_fwmap_diag *diag)
{
	struct e820_state st = { .m = m, .diag = diag, .n0 = m->n };
	struct vmk_fwmap__undo u;
	struct vmk_str l;
	size_t pos = 0;
	uint32_t line = 0;

	if (len && !text)
		return -VMK_EINVAL;
	vmk_fwmap__begin(m, &u);
	while (st.err != -VMK_ENOSPC && vmk_next_line(text, len, &pos, &l)) {
		if (line < UINT32_MAX)
			line++;
		one_line(&st, l, line);
	}
	if (!st.err && st.map_lines == 0) {
		vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_NONE, 0,
				   "no E820 map line (BIOS-e820: ...) in %u lines",
				   (unsigned int)line);
		st.err = -VMK_ENOENT;
	}
	if (!st.err)
		vmk_fwmap__set_format(m, VMK_FWMAP_FMT_E820, VMK_FWMAP_AT_LINE);
	return vmk_fwmap__end(m, &u, st.err);
}
