/*
 * JSON strings from arbitrary bytes. Names and paths come from files and
 * command lines that need not be UTF-8; the JSON a tool prints must still
 * parse, so every byte that does not start a well-formed UTF-8 sequence
 * becomes U+FFFD.
 */
#include <vmkit/lib.h>

/* Length of the well-formed UTF-8 sequence at p (RFC 3629), 0 if none. */
static size_t utf8_len(const unsigned char *p)
{
	unsigned char c = p[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	/* No overlong forms, no surrogates, nothing above U+10FFFF. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

void vmk_out_json_string(struct vmk_out *o, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	vmk_out_write(o, "\"", 1);
	while (*p) {
		size_t n;

		if (*p == '"' || *p == '\\') {
			vmk_out_write(o, "\\", 1);
			vmk_out_write(o, (const char *)p, 1);
			p++;
		} else if (*p < 0x20 || *p == 0x7f) {
			vmk_out_printf(o, "\\u%04x", *p);
			p++;
		} else if (*p < 0x80) {
			vmk_out_write(o, (const char *)p, 1);
			p++;
		} else if ((n = utf8_len(p)) != 0) {
			/* The NUL terminator fails the continuation test: no overrun. */
			vmk_out_write(o, (const char *)p, n);
			p += n;
		} else {
			vmk_out_write(o, "\\ufffd", 6);
			p++;
		}
	}
	vmk_out_write(o, "\"", 1);
}
