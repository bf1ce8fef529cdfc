/*
 * crashkernel= parsing, every form Linux accepts:
 *   size                      crashkernel=256M
 *   size@offset               crashkernel=256M@16M
 *   range list[@offset]       crashkernel=512M-2G:64M,2G-:128M   ([start, end) of RAM size)
 *   size,high / size,low      crashkernel=1G,high crashkernel=256M,low
 */
#include <vmkit/kexec.h>

void vmk_crash_arch_defaults(enum vmk_kexec_arch arch, struct vmk_crash_arch *ca)
{
	vmk_memset(ca, 0, sizeof(*ca));
	if (arch == VMK_KEXEC_ARCH_ARM64) {
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

/* A size with an optional K/M/G/T/P/E suffix, followed by a delimiter. */
static int size_at(struct cur *c, const char *what, uint64_t *v)
{
	struct vmk_str s = { c->s + c->pos, c->len - c->pos };
	size_t used;
	int ret, ch;

	ret = vmk_parse_size(s, v, &used);
	if (ret == -VMK_EPARSE) {
		ch = peek(c);
		if (ch < 0)
			return perr(c, -VMK_EPARSE, "missing %s at the end", what);
		return perr(c, -VMK_EPARSE, "missing %s at column %zu (found '%c')", what,
			    c->pos + 1, ch);
	}
	if (ret == -VMK_ERANGE)
		return perr(c, -VMK_ERANGE, "%s at column %zu overflows 64 bits", what, c->pos + 1);
	if (ret)
		return perr(c, ret, "bad %s at column %zu", what, c->pos + 1);
	c->pos += used;
	ch = peek(c);
	if (isalpha_(ch) || vmk_isdigit(ch))
		return perr(c, -VMK_EPARSE, "bad suffix '%c' after the %s at column %zu "
			    "(K, M, G, T, P or E)", ch, what, c->pos + 1);
	return 0;
}

static int offset_at(struct cur *c, uint64_t size, const struct vmk_crash_arch *ca,
		     struct vmk_crashkernel *ck)
{
	uint64_t end;
	int ret;

	c->pos++;	/* '@' */
	ret = size_at(c, "offset", &ck->offset);
	if (ret)
		return ret;
	/* Linux reads a base of 0 as "none given": size@0 is placed automatically. */
	ck->fixed = ck->offset != 0;
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

static int parse_ranges(struct cur *c, uint64_t ram, const struct vmk_crash_arch *ca,
			struct vmk_crashkernel *ck)
{
	uint64_t start, end, size, prev_end = 0;
	bool have_prev = false, prev_open = false, matched = false;
	unsigned int idx = 0;
	int ret;

	/*
	 * Like Linux, match the RAM size rounded up to 128 MiB: firmware keeps
	 * some of it, and "2G-:256M" must still pick a 2 GiB machine.
	 */
	if (ram && ram <= UINT64_MAX - (CK_RAM_ROUND - 1))
		ram = VMK_ALIGN_UP(ram, CK_RAM_ROUND);
	ck->form = VMK_CK_RANGES;
	for (;;) {
		idx++;
		ret = size_at(c, "range start", &start);
		if (ret)
			return ret;
		if (peek(c) != '-')
			return perr(c, -VMK_EPARSE, "range %u: '-' expected at column %zu", idx,
				    c->pos + 1);
		c->pos++;
		end = UINT64_MAX;
		if (peek(c) != ':') {
			ret = size_at(c, "range end", &end);
			if (ret)
				return ret;
			if (end <= start)
				return perr(c, -VMK_EINVAL, "range %u: start 0x%llx >= end 0x%llx",
					    idx, (unsigned long long)start, (unsigned long long)end);
		}
		if (peek(c) != ':')
			return perr(c, -VMK_EPARSE, "range %u: ':' expected at column %zu", idx,
				    c->pos + 1);
		c->pos++;
		ret = size_at(c, "size", &size);
		if (ret)
			return ret;
		if (have_prev && (prev_open || start < prev_end))
			return perr(c, -VMK_EINVAL, "range %u overlaps range %u or comes before it "
				    "(ranges must be sorted and disjoint)", idx, idx - 1);
		have_prev = true;
		prev_open = end == UINT64_MAX;
		prev_end = end;
		if (ram && !matched && size >= ram)
			return perr(c, -VMK_ERANGE, "range %u: size 0x%llx is not smaller than "
				    "system RAM 0x%llx", idx, (unsigned long long)size,
				    (unsigned long long)ram);
		if (ram && !matched && ram >= start && ram < end) {
			ck->size = size;
			matched = true;
		}
		if (peek(c) != ',')
			break;
		c->pos++;
	}
	if (peek(c) == '@') {
		ret = offset_at(c, ck->size, ca, ck);
		if (ret)
			return ret;
	}
	return at_end(c);
}

int vmk_crashkernel_parse(const char *val, size_t len, uint64_t system_ram,
			  const struct vmk_crash_arch *ca, struct vmk_crashkernel *ck,
			  char *err, size_t errlen)
{
	struct vmk_str t = vmk_str_trim((struct vmk_str){ val ? val : "", val ? len : 0 });
	struct cur c = { t.p, t.len, 0, err, errlen };
	long colon = vmk_str_find(t, ":");
	int ret;

	vmk_memset(ck, 0, sizeof(*ck));
	if (err && errlen)
		err[0] = '\0';
	if (t.len == 0)
		return perr(&c, -VMK_EPARSE, "empty value");
	if (colon >= 0) {
		ret = parse_ranges(&c, system_ram, ca, ck);
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
			ret = offset_at(&c, ck->size, ca, ck);
			if (!ret)
				ret = at_end(&c);
		} else if (peek(&c) == ',') {
			struct vmk_str suf = { c.s + c.pos + 1, c.len - c.pos - 1 };

			if (vmk_str_eq(suf, "high")) {
				ck->form = VMK_CK_HIGH;
				ck->high = true;
			} else if (vmk_str_eq(suf, "low")) {
				ck->form = VMK_CK_LOW;
			} else {
				return perr(&c, -VMK_EPARSE, "unknown suffix ',%.*s' at column %zu "
					    "(expected ,high or ,low)", (int)suf.len, suf.p, c.pos + 1);
			}
			c.pos = c.len;
			ret = 0;
		} else {
			ret = at_end(&c);
		}
	}
	if (ret)
		return ret;
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
	if (ret)
		return ret;
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
