/*
 * riscv64 MMU features from a hart's device-tree node: the ISA string
 * (riscv,isa, e.g. "rv64imafdc_zicsr_svpbmt"), the newer string list
 * (riscv,isa-extensions) and mmu-type ("riscv,sv39/48/57"). Firmware
 * writes these by hand and gets them wrong, so the parser is strict: any
 * character, name or layout the ISA naming rules do not allow is an error
 * that says where, rather than a feature silently dropped or invented.
 * Pure code over caller-owned bytes: no allocation, any context.
 */
#include <vmkit/lib.h>
#include <vmkit/pmap.h>

/* Longest property read: real ISA strings are a few hundred bytes. */
#define ISA_MAX_LEN	4096
/* Longest extension name (the longest ratified ones are ~12 characters). */
#define EXT_NAME_MAX	64

static int fail(char *err, size_t errlen, int code, const char *fmt, ...) VMK_PRINTF(4, 5);
static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vmk_vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

static bool is_lower(char c) { return c >= 'a' && c <= 'z'; }

/* c as '%s' in a message: itself when printable, else its code. */
static const char *show(char buf[8], char c)
{
	if (c > ' ' && c < 0x7f)
		vmk_snprintf(buf, 8, "'%c'", c);
	else
		vmk_snprintf(buf, 8, "0x%02x", (unsigned char)c);
	return buf;
}

/* The naming rules are case-insensitive (DT uses lower case): byte i, lowered. */
static char at(const char *p, size_t i) { return (char)vmk_tolower((unsigned char)p[i]); }

/*
 * The one string of a DT string property of len bytes: up to the first
 * NUL (or len). Returns its length, or -1 if non-NUL bytes follow the
 * NUL (a string list where one string belongs).
 */
static long dt_string(const char *p, size_t len)
{
	size_t n = 0;

	while (n < len && p[n])
		n++;
	for (size_t i = n; i < len; i++)
		if (p[i])
			return -1;
	return (long)n;
}

/* The extensions vmkit's pmap cares about; every other name is valid and ignored. */
static void note_ext(struct vmk_mmu_features *f, const char *name, size_t n)
{
	static const struct {
		const char *name;
		size_t off;
	} known[] = {
		{ "svpbmt", offsetof(struct vmk_mmu_features, svpbmt) },
		{ "svnapot", offsetof(struct vmk_mmu_features, svnapot) },
		{ "svadu", offsetof(struct vmk_mmu_features, svadu) },
		{ "svade", offsetof(struct vmk_mmu_features, svade) },
	};

	for (size_t i = 0; i < VMK_ARRAY_SIZE(known); i++) {
		size_t j = 0;

		if (vmk_strlen(known[i].name) != n)
			continue;
		while (j < n && known[i].name[j] == at(name, j))
			j++;
		if (j == n)
			*(bool *)((char *)f + known[i].off) = true;
	}
}

/* Skip a version ("2", "2p1") at s[*pos]. */
static void skip_version(const char *s, size_t n, size_t *pos)
{
	size_t p = *pos;

	while (p < n && vmk_isdigit(s[p]))
		p++;
	if (p > *pos && p + 1 < n && at(s, p) == 'p' && vmk_isdigit(s[p + 1])) {
		p++;
		while (p < n && vmk_isdigit(s[p]))
			p++;
	}
	*pos = p;
}

/*
 * Length of a multi-letter name without its version suffix: "svnapot1p0"
 * is svnapot 1.0. Names may hold digits inside ("zve32x"), never at the
 * end, so trailing digits are always a version.
 */
static size_t strip_version(const char *t, size_t n)
{
	size_t k = n;

	while (k > 0 && vmk_isdigit(t[k - 1]))
		k--;
	if (k < n && k >= 2 && at(t, k - 1) == 'p' && vmk_isdigit(t[k - 2])) {
		size_t j = k - 1;

		while (j > 0 && vmk_isdigit(t[j - 1]))
			j--;
		k = j;
	}
	return k;
}

/* riscv,isa: "rv64" base [single letters [version]]... [_multi-letter [version]]... */
static int parse_isa(const char *s, size_t len, struct vmk_mmu_features *f, bool record,
		     char *err, size_t errlen)
{
	long ln = dt_string(s, len);
	size_t n, pos = 2, xlen = 0;
	char cb[8];
	int shown;

	if (ln < 0)
		return fail(err, errlen, -VMK_EINVAL, "riscv,isa: more than one string");
	n = (size_t)ln;
	if (n == 0)
		return fail(err, errlen, -VMK_EINVAL, "riscv,isa: empty");
	if (n > ISA_MAX_LEN)
		return fail(err, errlen, -VMK_EINVAL, "riscv,isa: %zu bytes, more than %d", n,
			    ISA_MAX_LEN);
	shown = (int)VMK_MIN(n, (size_t)40);
	if (n < 2 || at(s, 0) != 'r' || at(s, 1) != 'v')
		return fail(err, errlen, -VMK_EINVAL, "riscv,isa '%.*s': does not start with rv64",
			    shown, s);
	/* XLEN is written as is: "rv064" is no ISA name. */
	while (pos < n && vmk_isdigit(s[pos]) && xlen < 1000 && !(pos > 2 && xlen == 0))
		xlen = xlen * 10 + (size_t)(s[pos++] - '0');
	if (xlen == 32 || xlen == 128)
		return fail(err, errlen, -VMK_ENOTSUP, "riscv,isa '%.*s': an RV%zu hart, not RV64",
			    shown, s, xlen);
	if (xlen != 64)
		return fail(err, errlen, -VMK_EINVAL, "riscv,isa '%.*s': does not start with rv64",
			    shown, s);
	if (pos == n || (at(s, pos) != 'i' && at(s, pos) != 'g' && at(s, pos) != 'e'))
		return fail(err, errlen, -VMK_EINVAL, "riscv,isa: no base ISA (i, e or g) at "
			    "column %zu", pos + 1);
	if (at(s, pos) == 'e')
		return fail(err, errlen, -VMK_ENOTSUP, "riscv,isa: RV64E has no supervisor paging");
	pos++;
	skip_version(s, n, &pos);
	/* Single-letter extensions, until '_' or the first multi-letter name. */
	while (pos < n && s[pos] != '_' && at(s, pos) != 's' && at(s, pos) != 'x' &&
	       at(s, pos) != 'z') {
		if (!is_lower(at(s, pos)))
			return fail(err, errlen, -VMK_EINVAL, "riscv,isa: %s at column %zu is not an "
				    "extension letter", show(cb, s[pos]), pos + 1);
		pos++;
		skip_version(s, n, &pos);
	}
	/* Multi-letter extensions (and single letters written with underscores). */
	while (pos < n) {
		size_t start, k;

		if (s[pos] == '_') {
			pos++;
			if (pos == n || s[pos] == '_')
				return fail(err, errlen, -VMK_EINVAL, "riscv,isa: empty extension name at "
					    "column %zu", pos + 1);
		}
		start = pos;
		while (pos < n && s[pos] != '_') {
			if (!is_lower(at(s, pos)) && !vmk_isdigit(s[pos]))
				return fail(err, errlen, -VMK_EINVAL, "riscv,isa: %s at column %zu is "
					    "not allowed in an extension name", show(cb, s[pos]), pos + 1);
			pos++;
		}
		if (!is_lower(at(s, start)))
			return fail(err, errlen, -VMK_EINVAL, "riscv,isa: extension at column %zu "
				    "starts with %s, not a letter", start + 1, show(cb, s[start]));
		if (pos - start > EXT_NAME_MAX)
			return fail(err, errlen, -VMK_EINVAL, "riscv,isa: extension at column %zu is "
				    "longer than %d characters", start + 1, EXT_NAME_MAX);
		k = strip_version(s + start, pos - start);
		if (k == 0)
			return fail(err, errlen, -VMK_EINVAL, "riscv,isa: extension at column %zu has "
				    "a version but no name", start + 1);
		if (record)
			note_ext(f, s + start, k);
	}
	return 0;
}

/* riscv,isa-extensions: "i\0m\0a\0...\0", each a lower-case name without version. */
static int parse_exts(const char *p, size_t len, struct vmk_mmu_features *f, char *err,
		      size_t errlen)
{
	bool base = false;
	size_t i = 0, idx = 0;

	if (len > ISA_MAX_LEN)
		return fail(err, errlen, -VMK_EINVAL, "riscv,isa-extensions: %zu bytes, more than %d",
			    len, ISA_MAX_LEN);
	if (p[len - 1])
		return fail(err, errlen, -VMK_EINVAL, "riscv,isa-extensions: the list does not end "
			    "with a NUL (truncated?)");
	while (i < len) {
		size_t start = i;

		while (p[i])
			i++;
		if (i == start)
			return fail(err, errlen, -VMK_EINVAL, "riscv,isa-extensions: entry %zu is empty",
				    idx);
		if (i - start > EXT_NAME_MAX)
			return fail(err, errlen, -VMK_EINVAL, "riscv,isa-extensions: entry %zu is longer "
				    "than %d characters", idx, EXT_NAME_MAX);
		for (size_t j = start; j < i; j++)
			if (!is_lower(p[j]) && !(j > start && vmk_isdigit(p[j])))
				return fail(err, errlen, -VMK_EINVAL, "riscv,isa-extensions: entry %zu "
					    "'%.*s' is not a lower-case extension name", idx,
					    (int)(i - start), p + start);
		if (vmk_isdigit(p[i - 1]))
			return fail(err, errlen, -VMK_EINVAL, "riscv,isa-extensions: entry %zu '%.*s' "
				    "ends in a digit (no versions in this list)", idx,
				    (int)(i - start), p + start);
		/* A common firmware slip: the riscv,isa value put in the list. */
		if (i - start > 2 && p[start] == 'r' && p[start + 1] == 'v' && vmk_isdigit(p[start + 2]))
			return fail(err, errlen, -VMK_EINVAL, "riscv,isa-extensions: entry %zu '%.*s' is "
				    "an ISA string, not an extension name", idx, (int)(i - start),
				    p + start);
		if (i - start == 1 && p[start] == 'i')
			base = true;
		note_ext(f, p + start, i - start);
		i++;
		idx++;
	}
	if (!base)
		return fail(err, errlen, -VMK_EINVAL, "riscv,isa-extensions: no \"i\" (the base "
			    "integer ISA)");
	return 0;
}

static int parse_mmu_type(const char *p, size_t len, struct vmk_mmu_features *f, char *err,
			  size_t errlen)
{
	static const struct {
		const char *name;
		unsigned int va_bits;
	} modes[] = { { "riscv,sv39", 39 }, { "riscv,sv48", 48 }, { "riscv,sv57", 57 } };
	long ln = dt_string(p, len);
	size_t n;

	if (ln < 0)
		return fail(err, errlen, -VMK_EINVAL, "mmu-type: more than one string");
	n = (size_t)ln;
	for (size_t i = 0; i < VMK_ARRAY_SIZE(modes); i++)
		if (vmk_strlen(modes[i].name) == n && !vmk_memcmp(modes[i].name, p, n)) {
			f->va_bits = modes[i].va_bits;
			return 0;
		}
	if ((n == 10 && !vmk_memcmp(p, "riscv,none", 10)) ||
	    (n == 10 && !vmk_memcmp(p, "riscv,sv32", 10)))
		return fail(err, errlen, -VMK_ENOTSUP, "mmu-type '%.*s': no RV64 paging", (int)n, p);
	return fail(err, errlen, -VMK_EINVAL, "mmu-type '%.*s': not riscv,sv39, riscv,sv48 or "
		    "riscv,sv57", (int)VMK_MIN(n, (size_t)40), p);
}

int vmk_mmu_features_riscv(const struct vmk_riscv_dt *dt, struct vmk_mmu_features *f,
			   char *err, size_t errlen)
{
	int ret;

	vmk_memset(f, 0, sizeof(*f));
	if (err && errlen)
		err[0] = '\0';
	if (!dt->isa_len && !dt->isa_extensions_len)
		return fail(err, errlen, -VMK_EINVAL, "neither riscv,isa nor riscv,isa-extensions");
	/*
	 * riscv,isa-extensions supersedes riscv,isa (the binding; Linux reads
	 * it first): with both, the list names the extensions and the string
	 * must still be a well-formed RV64 one.
	 */
	ret = dt->isa_len ? parse_isa(dt->isa, dt->isa_len, f, !dt->isa_extensions_len, err, errlen)
			  : 0;
	if (!ret && dt->isa_extensions_len)
		ret = parse_exts(dt->isa_extensions, dt->isa_extensions_len, f, err, errlen);
	/* Without mmu-type: Sv39, which every RV64 MMU with Sv48 or Sv57 also has. */
	f->va_bits = 39;
	if (!ret && dt->mmu_type_len)
		ret = parse_mmu_type(dt->mmu_type, dt->mmu_type_len, f, err, errlen);
	if (ret) {
		vmk_memset(f, 0, sizeof(*f));
		return ret;
	}
	f->gran_4k = true;
	f->page_1g = true;	/* a level-2 leaf in every Sv39+ mode */
	f->nx = true;		/* X is a permission bit */
	f->pge = true;		/* G */
	f->pa_bits = 56;	/* PPN[2..] reaches bit 55 in Sv39, Sv48 and Sv57 */
	/*
	 * Svadu alone: the hardware sets A and D. With Svade as well the
	 * firmware leaves hardware updating off until the OS asks for it
	 * (SBI FWFT); with neither, either may happen: software must cope
	 * with both, so only Svadu alone counts as hardware A/D.
	 */
	f->hw_af = f->hw_dbm = f->svadu && !f->svade;
	return 0;
}

int vmk_pmap_config_riscv(const struct vmk_mmu_features *f, struct vmk_pmap_config *cfg)
{
	unsigned int levels;

	switch (f->va_bits) {
	case 39:
		levels = 3;
		break;
	case 48:
		levels = 4;
		break;
	case 57:
		levels = 5;
		break;
	default:
		return -VMK_EINVAL;
	}
	cfg->arch = VMK_PMAP_ARCH_RISCV64;
	cfg->levels = levels;
	cfg->no_svpbmt = !f->svpbmt;
	/* Without Svnapot the N bit is reserved: a NAPOT entry would page-fault. */
	cfg->svnapot = f->svnapot;
	cfg->large_1g = f->page_1g;
	cfg->nx = true;
	return 0;
}
