/* Text scanning for the parsers of firmware map text (dmesg, /proc/iomem). */
#include <vmkit/lib.h>

bool vmk_next_line(const char *buf, size_t len, size_t *pos, struct vmk_str *line)
{
	size_t start = *pos, end;

	if (start >= len)
		return false;
	end = start;
	while (end < len && buf[end] != '\n')
		end++;
	*pos = end < len ? end + 1 : end;
	line->p = buf + start;
	line->len = end - start;
	if (line->len && line->p[line->len - 1] == '\r')
		line->len--;
	return true;
}

struct vmk_str vmk_str_trim(struct vmk_str s)
{
	while (s.len && vmk_isspace((unsigned char)s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len && vmk_isspace((unsigned char)s.p[s.len - 1]))
		s.len--;
	return s;
}

bool vmk_str_starts(struct vmk_str s, const char *prefix)
{
	size_t n = vmk_strlen(prefix);

	return s.len >= n && vmk_memcmp(s.p, prefix, n) == 0;
}

long vmk_str_find(struct vmk_str s, const char *needle)
{
	size_t n = vmk_strlen(needle), i;

	if (n == 0)
		return 0;
	for (i = 0; i + n <= s.len; i++)
		if (vmk_memcmp(s.p + i, needle, n) == 0)
			return (long)i;
	return -1;
}

bool vmk_str_eq(struct vmk_str s, const char *t)
{
	return vmk_strlen(t) == s.len && vmk_memcmp(s.p, t, s.len) == 0;
}

bool vmk_str_ieq(struct vmk_str s, const char *t)
{
	size_t i;

	if (vmk_strlen(t) != s.len)
		return false;
	for (i = 0; i < s.len; i++)
		if (vmk_tolower((unsigned char)s.p[i]) != vmk_tolower((unsigned char)t[i]))
			return false;
	return true;
}

static int digit_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = vmk_tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return 99;
}

int vmk_parse_u64(struct vmk_str s, int base, uint64_t *val, size_t *used)
{
	size_t i = 0, first;
	uint64_t v = 0;

	if ((base == 0 || base == 16) && s.len >= 3 && s.p[0] == '0' &&
	    (s.p[1] == 'x' || s.p[1] == 'X') && vmk_isxdigit((unsigned char)s.p[2])) {
		base = 16;
		i = 2;
	} else if (base == 0) {
		base = 10;
	}
	first = i;
	for (; i < s.len; i++) {
		int d = digit_value((unsigned char)s.p[i]);

		if (d >= base)
			break;
		if (vmk_mul_overflow(v, (uint64_t)base, &v) ||
		    vmk_add_overflow(v, (uint64_t)d, &v))
			return -VMK_ERANGE;
	}
	if (i == first)
		return -VMK_EPARSE;
	*val = v;
	if (used)
		*used = i;
	return 0;
}

int vmk_parse_size(struct vmk_str s, uint64_t *val, size_t *used)
{
	static const char suffixes[] = "kmgtpe";
	size_t n;
	uint64_t v;
	int err = vmk_parse_u64(s, 0, &v, &n);

	if (err)
		return err;
	if (n < s.len) {
		int c = vmk_tolower((unsigned char)s.p[n]);
		unsigned int k;

		for (k = 0; suffixes[k]; k++) {
			if (c == suffixes[k]) {
				unsigned int shift = 10 * (k + 1);

				if (v > (UINT64_MAX >> shift))
					return -VMK_ERANGE;
				v <<= shift;
				n++;
				break;
			}
		}
	}
	*val = v;
	if (used)
		*used = n;
	return 0;
}
