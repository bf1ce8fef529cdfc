/* Text helpers shared by the dmesg parsers: tokens, numbers, log prefixes. */
#include "fwmap_internal.h"

bool vmk_fwmap__eat(struct vmk_str *s, const char *t)
{
	if (!vmk_str_starts(*s, t))
		return false;
	vmk_fwmap__skip(s, vmk_strlen(t));
	return true;
}

bool vmk_fwmap__ieat(struct vmk_str *s, const char *t)
{
	size_t n = vmk_strlen(t), i;

	if (s->len < n)
		return false;
	for (i = 0; i < n; i++)
		if (vmk_tolower((unsigned char)s->p[i]) != vmk_tolower((unsigned char)t[i]))
			return false;
	vmk_fwmap__skip(s, n);
	return true;
}

int vmk_fwmap__hex(struct vmk_str *s, uint64_t *v)
{
	size_t used;
	int err = vmk_parse_u64(*s, 16, v, &used);

	if (err)
		return err;
	/* A lone "0x" is not a number (vmk_parse_u64 then reads just "0"). */
	vmk_fwmap__skip(s, used);
	return 0;
}

int vmk_fwmap__dec(struct vmk_str *s, uint64_t *v)
{
	size_t used;
	int err;

	if (!s->len || !vmk_isdigit((unsigned char)s->p[0]))
		return -VMK_EPARSE;
	err = vmk_parse_u64(*s, 10, v, &used);
	if (err)
		return err;
	vmk_fwmap__skip(s, used);
	return 0;
}

bool vmk_fwmap__after(struct vmk_str s, const char *needle, struct vmk_str *rest)
{
	size_t n = vmk_strlen(needle), i;

	if (n == 0 || s.len < n)
		return false;
	/* Compare only where the first character matches: lines are scanned often. */
	for (i = 0; i + n <= s.len; i++) {
		if (s.p[i] != needle[0] || vmk_memcmp(s.p + i, needle, n) != 0)
			continue;
		*rest = s;
		vmk_fwmap__skip(rest, i + n);
		return true;
	}
	return false;
}

/*
 * A bracketed prefix at the start: "[   12.345678] ", "[T123] ", the
 * "dmesg -T" form "[Thu Jun 12 10:49:44 2025] ".
 */
static bool eat_stamp(struct vmk_str *s)
{
	size_t i;

	if (!s->len || s->p[0] != '[')
		return false;
	for (i = 1; i < s->len && i < 64; i++) {
		char c = s->p[i];

		if (c == ']') {
			vmk_fwmap__skip(s, i + 1);
			vmk_fwmap__skip_ws(s);
			return true;
		}
		if (c == '[')
			return false;
	}
	return false;
}

struct vmk_str vmk_fwmap__log_message(struct vmk_str line)
{
	struct vmk_str s = vmk_str_trim(line), head, rest;

	/* syslog level "<6>" */
	if (s.len >= 3 && s.p[0] == '<' && vmk_isdigit((unsigned char)s.p[1])) {
		size_t i = 1;

		while (i < s.len && vmk_isdigit((unsigned char)s.p[i]))
			i++;
		if (i < s.len && s.p[i] == '>')
			vmk_fwmap__skip(&s, i + 1);
	}
	/* journalctl / syslog: "Jun 12 10:49:44 host kernel: msg" (in the first columns). */
	head = s;
	if (head.len > 100)
		head.len = 100;
	if (vmk_fwmap__after(head, "kernel: ", &rest))
		vmk_fwmap__skip(&s, (size_t)(rest.p - s.p));
	vmk_fwmap__skip_ws(&s);
	while (eat_stamp(&s))
		;
	return s;
}
