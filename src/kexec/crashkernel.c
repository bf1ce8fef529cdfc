/*
 * crashkernel= parsing, the forms of Linux's parse_crashkernel():
 *   size                      crashkernel=256M
 *   size@offset               crashkernel=256M@16M
 *   range list[@offset]       crashkernel=512M-2G:64M,2G-:128M   ([start, end) of RAM size)
 *   size,high / size,low      crashkernel=1G,high crashkernel=256M,low
 * (",cma" is skipped by the command-line rules; not parsed.) Numbers are
 * read like memparse(): 0x hex, a leading 0 octal, else decimal. The
 * leniency is Linux's too: a range list is not required to be sorted (the
 * first matching range wins) and whatever follows the matching range or
 * an offset is skipped unread; that text is reported in ck->ignored_*.
 */
#include <vmkit/kexec.h>

void vmk_crash_arch_defaults(enum vmk_kexec_arch arch, struct vmk_crash_arch *ca)
{
	vmk_memset(ca, 0, sizeof(*ca));
	/* riscv64 (asm/crash_reserve.h): PMD_SIZE, the DMA32 limit, end of DRAM, as arm64. */
	if (arch == VMK_KEXEC_ARCH_ARM64 || arch == VMK_KEXEC_ARCH_RISCV64) {
		ca->align = 2 * VMK_MiB;
		ca->fixed_align = 2 * VMK_MiB;
		ca->low_min = 0;
		ca->low_max = 4 * VMK_GiB;	/* the DMA zone limit on most machines */
		ca->high_max = 0;		/* end of RAM */
		ca->default_low = 128 * VMK_MiB;
	} else {
		ca->align = 16 * VMK_MiB;
		ca->fixed_align = 16 * VMK_MiB;	/* CRASH_ALIGN: Linux 6.7+ generic reservation */
		ca->low_min = 16 * VMK_MiB;	/* keep ISA DMA and firmware's low memory */
		ca->low_max = 4 * VMK_GiB;
		ca->high_max = 64 * VMK_TiB;	/* 4-level paging limit of a kdump kernel */
		ca->default_low = 256 * VMK_MiB; /* max(swiotlb 64 MiB + 8 MiB, 256 MiB) */
	}
}

/* A range list matches the RAM size rounded up to this (Linux parse_crashkernel_mem). */
#define CK_RAM_ROUND	(128 * VMK_MiB)

struct cur {
	const char *s;
	size_t len;
	size_t pos;
	char *err;
	size_t errlen;
};

static int perr(struct cur *c, int code, const char *fmt, ...) VMK_PRINTF(3, 4);
static int perr(struct cur *c, int code, const char *fmt, ...)
{
	struct vmk_outbuf ob;
	va_list ap;

	if (!c->err || !c->errlen)
		return code;
	vmk_outbuf_init(&ob, c->err, c->errlen);
	vmk_out_printf(&ob.out, "crashkernel=%.*s: ", (int)c->len, c->s);
	va_start(ap, fmt);
	vmk_out_vprintf(&ob.out, fmt, ap);
	va_end(ap);
	return code;
}

static int peek(const struct cur *c)
{
	return c->pos < c->len ? (unsigned char)c->s[c->pos] : -1;
}

static bool isalpha_(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/*
 * memparse(): a number in base 0 (0x hex, leading 0 octal, else decimal)
 * and an optional K/M/G/T/P/E suffix. The character after it is not
 * checked here.
 */
static int memparse_at(struct cur *c, const char *what, uint64_t *v)
{
	struct vmk_str s = { c->s + c->pos, c->len - c->pos };
	static const char suffixes[] = "kmgtpe";
	int base = 0, ret, ch;
	size_t used;

	if (s.len >= 2 && s.p[0] == '0' && s.p[1] != 'x' && s.p[1] != 'X')
		base = 8;
	ret = vmk_parse_u64(s, base, v, &used);
	if (ret == -VMK_EPARSE) {
		ch = peek(c);
		if (ch < 0)
			return perr(c, -VMK_EPARSE, "missing %s at the end", what);
		return perr(c, -VMK_EPARSE, "missing %s at column %zu (found '%c')", what,
			    c->pos + 1, ch);
	}
	if (ret)
		return perr(c, -VMK_ERANGE, "%s at column %zu overflows 64 bits", what, c->pos + 1);
	if (used < s.len) {
		ch = vmk_tolower((unsigned char)s.p[used]);
		for (unsigned int k = 0; suffixes[k]; k++) {
			unsigned int shift = 10 * (k + 1);

			if (ch != suffixes[k])
				continue;
			if (*v > (UINT64_MAX >> shift))
				return perr(c, -VMK_ERANGE, "%s at column %zu overflows 64 bits", what,
					    c->pos + 1);
			*v <<= shift;
			used++;
			break;
		}
	}
	c->pos += used;
	return 0;
}

/* memparse_at() where a letter or digit may not follow (Linux: "unrecognized char"). */
static int size_at(struct cur *c, const char *what, uint64_t *v)
{
	int ret = memparse_at(c, what, v), ch;

	if (ret)
		return ret;
	ch = peek(c);
	if (isalpha_(ch) || vmk_isdigit(ch))
		return perr(c, -VMK_EPARSE, "bad suffix '%c' after the %s at column %zu "
			    "(K, M, G, T, P or E)", ch, what, c->pos + 1);
	return 0;
}

/* Record text Linux skips without reading (the first such span only). */
static void skip_rest(struct cur *c, struct vmk_crashkernel *ck, size_t to)
{
	if (to > c->pos && ck->ignored_len == 0) {
		ck->ignored_pos = c->pos;
		ck->ignored_len = to - c->pos;
	}
	c->pos = to;
}

/*
 * "@offset": Linux reads the number and nothing after it (the simple form
 * even reads no number as 0). A size of 0 reserves nothing, so its offset
 * is not checked (Linux never uses it).
 */
static int offset_at(struct cur *c, uint64_t size, const struct vmk_crash_arch *ca,
		     struct vmk_crashkernel *ck, bool simple)
{
	uint64_t end;
	int ret;

	c->pos++;	/* '@' */
	if (simple && !vmk_isdigit(peek(c))) {
		/*
		 * parse_crashkernel_simple() takes memparse()'s 0 for no number
		 * ("256M@", "256M@auto"): base 0, placed automatically.
		 */
		ck->offset = 0;
		skip_rest(c, ck, c->len);
		return 0;
	}
	ret = memparse_at(c, "offset", &ck->offset);
	if (ret)
		return ret;
	skip_rest(c, ck, c->len);
	/* Linux reads a base of 0 as "none given": size@0 is placed automatically. */
	ck->fixed = ck->offset != 0;
	if (size == 0)
		return 0;
	if (vmk_add_overflow(ck->offset, size, &end))
		return perr(c, -VMK_ERANGE, "offset 0x%llx + size 0x%llx overflows",
			    (unsigned long long)ck->offset, (unsigned long long)size);
	if (ca && ca->fixed_align && !VMK_IS_ALIGNED(ck->offset, ca->fixed_align))
		return perr(c, -VMK_EINVAL, "offset 0x%llx is not aligned to 0x%llx",
			    (unsigned long long)ck->offset, (unsigned long long)ca->fixed_align);
	return 0;
}

static int at_end(struct cur *c)
{
	int ch = peek(c);

	if (ch < 0)
		return 0;
	return perr(c, -VMK_EPARSE, "unexpected '%c' at column %zu", ch, c->pos + 1);
}

/* One "start-[end]:size" entry (Linux parse_crashkernel_mem's loop body). */
static int range_at(struct cur *c, unsigned int idx, uint64_t *start, uint64_t *end,
		    uint64_t *size)
{
	int ret = memparse_at(c, "range start", start);

	if (ret)
		return ret;
	if (peek(c) != '-')
		return perr(c, -VMK_EPARSE, "range %u: '-' expected at column %zu", idx, c->pos + 1);
	c->pos++;
	*end = UINT64_MAX;
	if (peek(c) != ':') {
		ret = memparse_at(c, "range end", end);
		if (ret)
			return ret;
		if (*end <= *start)
			return perr(c, -VMK_EINVAL, "range %u: start 0x%llx >= end 0x%llx", idx,
				    (unsigned long long)*start, (unsigned long long)*end);
	}
	if (peek(c) != ':')
		return perr(c, -VMK_EPARSE, "range %u: ':' expected at column %zu", idx, c->pos + 1);
	c->pos++;
	return memparse_at(c, "size", size);
}

/*
 * True if c->s[c->pos, to) is the well-formed rest of a range list
 * (",start-end:size..."): then skipping it is ordinary, not worth a note.
 */
static bool rest_is_list(const struct cur *c, size_t to)
{
	struct cur t = { c->s, to, c->pos, NULL, 0 };
	uint64_t a, b, z;

	while (peek(&t) == ',') {
		t.pos++;
		if (range_at(&t, 0, &a, &b, &z))
			return false;
	}
	return t.pos == to;
}

static size_t find_at(const struct cur *c)
{
	size_t i = c->pos;

	while (i < c->len && c->s[i] != '@')
		i++;
	return i;
}

static int parse_ranges(struct cur *c, uint64_t ram, const struct vmk_crash_arch *ca,
			struct vmk_crashkernel *ck)
{
	uint64_t start, end, size;
	bool matched = false;
	unsigned int idx = 0;
	size_t at;
	int ret;

	/*
	 * Like Linux, match the RAM size rounded up to 128 MiB: firmware keeps
	 * some of it, and "2G-:256M" must still pick a 2 GiB machine.
	 */
	if (ram && ram <= UINT64_MAX - (CK_RAM_ROUND - 1))
		ram = VMK_ALIGN_UP(ram, CK_RAM_ROUND);
	ck->form = VMK_CK_RANGES;
	/* Entries in any order: the first one containing the RAM size wins. */
	for (;;) {
		idx++;
		ret = range_at(c, idx, &start, &end, &size);
		if (ret)
			return ret;
		if (ram && size >= ram)
			return perr(c, -VMK_ERANGE, "range %u: size 0x%llx is not smaller than "
				    "system RAM 0x%llx", idx, (unsigned long long)size,
				    (unsigned long long)ram);
		if (ram && ram >= start && ram < end) {
			ck->size = size;
			matched = true;
			break;
		}
		if (peek(c) != ',')
			break;
		c->pos++;
	}
	if (!matched || size == 0) {
		/* Nothing reserved: Linux reads no further (not even an offset). */
		skip_rest(c, ck, c->len);
		return 0;
	}
	/* Linux skips everything after the matching entry up to an '@'. */
	at = find_at(c);
	if (rest_is_list(c, at))
		c->pos = at;
	else
		skip_rest(c, ck, at);
	if (peek(c) == '@')
		return offset_at(c, ck->size, ca, ck, false);
	return 0;
}

static bool has_suffix(struct vmk_str t, const char *suf)
{
	size_t n = vmk_strlen(suf);

	return t.len >= n && !vmk_memcmp(t.p + t.len - n, suf, n);
}

int vmk_crashkernel_parse(const char *val, size_t len, uint64_t system_ram,
			  const struct vmk_crash_arch *ca, struct vmk_crashkernel *ck,
			  char *err, size_t errlen)
{
	struct vmk_str t = vmk_str_trim((struct vmk_str){ val ? val : "", val ? len : 0 });
	struct cur c = { t.p, t.len, 0, err, errlen };
	long colon = vmk_str_find(t, ":");
	bool high = has_suffix(t, ",high"), low = has_suffix(t, ",low");
	int ret;

	vmk_memset(ck, 0, sizeof(*ck));
	if (err && errlen)
		err[0] = '\0';
	if (t.len == 0)
		return perr(&c, -VMK_EPARSE, "empty value");
	if (high || low) {
		/* parse_crashkernel_suffix(): a size, then exactly the suffix. */
		ck->form = high ? VMK_CK_HIGH : VMK_CK_LOW;
		ck->high = high;
		ret = memparse_at(&c, "size", &ck->size);
		if (ret)
			return ret;
		if (c.pos != t.len - (high ? 5 : 4))
			return perr(&c, -VMK_EPARSE, "unexpected '%c' at column %zu (expected a "
				    "size and then ,%s)", c.s[c.pos], c.pos + 1, high ? "high" : "low");
		c.pos = c.len;
	} else if (colon >= 0) {
		ret = parse_ranges(&c, system_ram, ca, ck);
		if (ret)
			return ret;
	} else {
		ck->form = VMK_CK_SIZE;
		ret = size_at(&c, "size", &ck->size);
		if (ret)
			return ret;
		if (peek(&c) == '-') {
			/* "start-end" without ":size": a range list missing its size. */
			vmk_memset(ck, 0, sizeof(*ck));
			c.pos = 0;
			ret = parse_ranges(&c, system_ram, ca, ck);
		} else if (peek(&c) == '@') {
			ck->form = VMK_CK_SIZE_OFFSET;
			ret = offset_at(&c, ck->size, ca, ck, true);
		} else if (peek(&c) == ',') {
			struct vmk_str suf = { c.s + c.pos + 1, c.len - c.pos - 1 };

			return perr(&c, -VMK_EPARSE, "unknown suffix ',%.*s' at column %zu "
				    "(expected ,high or ,low)", (int)suf.len, suf.p, c.pos + 1);
		} else {
			ret = at_end(&c);
		}
		if (ret)
			return ret;
	}
	if (system_ram && ck->size >= system_ram && ck->form != VMK_CK_LOW)
		return perr(&c, -VMK_ERANGE, "size 0x%llx is not smaller than system RAM 0x%llx",
			    (unsigned long long)ck->size, (unsigned long long)system_ram);
	return 0;
}

/* One crashkernel= occurrence on a command line. */
struct ck_arg {
	const char *p;
	size_t len;
	bool found;
};

static bool ends_with(const char *p, size_t len, const char *suf)
{
	size_t n = vmk_strlen(suf);

	return len >= n && !vmk_memcmp(p + len - n, suf, n);
}

int vmk_crashkernel_parse_cmdline(const char *cmdline, uint64_t system_ram,
				  const struct vmk_crash_arch *ca, struct vmk_crashkernel *ck,
				  char *err, size_t errlen)
{
	static const char key[] = "crashkernel=";
	struct ck_arg plain = { 0 }, high = { 0 }, low = { 0 };
	size_t i = 0, n = cmdline ? vmk_strlen(cmdline) : 0;
	struct vmk_crashkernel lk;
	int ret;

	vmk_memset(ck, 0, sizeof(*ck));
	if (err && errlen)
		err[0] = '\0';
	/* Split on blanks; double quotes group, as the kernel's parser does. */
	while (i < n) {
		size_t s, e;
		bool q = false;

		while (i < n && vmk_isspace(cmdline[i]))
			i++;
		s = i;
		while (i < n && (q || !vmk_isspace(cmdline[i]))) {
			if (cmdline[i] == '"')
				q = !q;
			i++;
		}
		e = i;
		if (e - s >= sizeof(key) - 1 && !vmk_memcmp(cmdline + s, key, sizeof(key) - 1)) {
			struct ck_arg a = { cmdline + s + sizeof(key) - 1, e - s - (sizeof(key) - 1), true };

			if (ends_with(a.p, a.len, ",high"))
				high = a;
			else if (ends_with(a.p, a.len, ",low"))
				low = a;
			else if (!ends_with(a.p, a.len, ",cma"))	/* CMA: not handled here */
				plain = a;
		}
	}
	if (plain.found)
		return vmk_crashkernel_parse(plain.p, plain.len, system_ram, ca, ck, err, errlen);
	if (!high.found) {
		ck->form = VMK_CK_NONE;	/* a ,low alone means nothing */
		return 0;
	}
	ret = vmk_crashkernel_parse(high.p, high.len, system_ram, ca, ck, err, errlen);
	if (ret || ck->size == 0)
		return ret;	/* "0,high": Linux reserves nothing and never reads ,low */
	if (low.found) {
		ret = vmk_crashkernel_parse(low.p, low.len, 0, ca, &lk, err, errlen);
		if (ret)
			return ret;
		ck->low_size = lk.size;
		ck->low_given = true;
	} else {
		ck->low_size = ca ? ca->default_low : 0;
	}
	return 0;
}
