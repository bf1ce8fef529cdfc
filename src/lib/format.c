/* A small printf for the core: enough for logs, reports and /proc/iomem. */
#include <vmkit/lib.h>

/*
 * Output goes either into a buffer (snprintf semantics: count everything,
 * store what fits) or, staged in small pieces, to a sink (no length limit).
 */
struct fmt_state {
	char *buf;
	size_t size;
	size_t len;		/* characters that would have been written */
	struct vmk_out *out;	/* non-NULL: stream to this sink instead */
	char stage[64];
	size_t staged;
};

static void flush(struct fmt_state *st)
{
	if (st->out && st->staged) {
		vmk_out_write(st->out, st->stage, st->staged);
		st->staged = 0;
	}
}

static void put(struct fmt_state *st, char c)
{
	if (st->out) {
		if (st->staged == sizeof(st->stage))
			flush(st);
		st->stage[st->staged++] = c;
	} else if (st->len + 1 < st->size) {
		st->buf[st->len] = c;
	}
	st->len++;
}

static void put_padded(struct fmt_state *st, const char *s, size_t n,
		       int width, bool left, char pad)
{
	size_t w = width > 0 ? (size_t)width : 0;

	if (!left)
		for (; w > n; w--)
			put(st, pad);
	for (size_t i = 0; i < n; i++)
		put(st, s[i]);
	if (left)
		for (; w > n; w--)
			put(st, ' ');
}

/* '#' gives hex a 0x/0X before nonzero values and octal a leading 0, as C's printf. */
static void put_number(struct fmt_state *st, uint64_t v, bool neg, unsigned int base,
		       bool upper, int width, bool left, bool zero, bool alt)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24], out[28], pre[2];
	size_t n = 0, npre = 0, k = 0;

	if (alt && base == 16 && v)
		pre[npre++] = '0', pre[npre++] = upper ? 'X' : 'x';
	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	if (alt && base == 8 && tmp[n - 1] != '0')
		tmp[n++] = '0';
	if (neg)
		pre[npre++] = '-';
	if (zero && !left) {
		/* Sign and prefix before the zeros. */
		for (size_t i = 0; i < npre; i++)
			put(st, pre[i]);
		width = width > (int)npre ? width - (int)npre : 0;
	} else {
		for (size_t i = 0; i < npre; i++)
			out[k++] = pre[i];
	}
	for (size_t i = 0; i < n; i++)
		out[k++] = tmp[n - 1 - i];
	put_padded(st, out, k, width, left, (zero && !left) ? '0' : ' ');
}

static void format(struct fmt_state *st, const char *fmt, va_list ap);

int vmk_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct fmt_state st = { .buf = buf, .size = size };

	format(&st, fmt, ap);
	if (size)
		buf[st.len < size ? st.len : size - 1] = '\0';
	return st.len > (size_t)INT32_MAX ? INT32_MAX : (int)st.len;
}

static void format(struct fmt_state *stp, const char *fmt, va_list ap)
{
#define st (*stp)

	for (; *fmt; fmt++) {
		bool left = false, zero = false, alt = false;
		int width = 0, prec = -1, lng = 0;
		uint64_t u;
		int64_t s;

		if (*fmt != '%') {
			put(&st, *fmt);
			continue;
		}
		fmt++;
		for (;; fmt++) {
			if (*fmt == '-')
				left = true;
			else if (*fmt == '0')
				zero = true;
			else if (*fmt == '#')
				alt = true;
			else if (*fmt != '+' && *fmt != ' ')
				break;
		}
		if (*fmt == '*') {
			width = va_arg(ap, int);
			if (width < 0) {
				left = true;
				width = -width;
			}
			fmt++;
		} else {
			while (vmk_isdigit((unsigned char)*fmt))
				width = width * 10 + (*fmt++ - '0');
		}
		if (*fmt == '.') {
			fmt++;
			prec = 0;
			if (*fmt == '*') {
				prec = va_arg(ap, int);
				fmt++;
			} else {
				while (vmk_isdigit((unsigned char)*fmt))
					prec = prec * 10 + (*fmt++ - '0');
			}
		}
		for (;; fmt++) {
			if (*fmt == 'h')
				lng--;
			else if (*fmt == 'l')
				lng++;
			else if (*fmt == 'z' || *fmt == 'j' || *fmt == 't')
				lng = 2;
			else
				break;
		}
		switch (*fmt) {
		case 'd':
		case 'i':
			if (lng >= 1)
				s = lng >= 2 ? va_arg(ap, long long) : va_arg(ap, long);
			else
				s = va_arg(ap, int);
			u = s < 0 ? (uint64_t)0 - (uint64_t)s : (uint64_t)s;
			put_number(&st, u, s < 0, 10, false, width, left, zero, false);
			break;
		case 'u':
		case 'x':
		case 'X':
		case 'o':
			if (lng >= 1)
				u = lng >= 2 ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned long);
			else
				u = va_arg(ap, unsigned int);
			put_number(&st, u, false,
				   *fmt == 'u' ? 10 : *fmt == 'o' ? 8 : 16,
				   *fmt == 'X', width, left, zero, alt);
			break;
		case 'p':
			put(&st, '0');
			put(&st, 'x');
			put_number(&st, (uint64_t)(uintptr_t)va_arg(ap, void *), false, 16,
				   false, width, left, zero, false);
			break;
		case 'c': {
			char c = (char)va_arg(ap, int);

			put_padded(&st, &c, 1, width, left, ' ');
			break;
		}
		case 's': {
			const char *str = va_arg(ap, const char *);

			if (!str)
				str = "(null)";
			size_t n = prec >= 0 ? vmk_strnlen(str, (size_t)prec) : vmk_strlen(str);
			put_padded(&st, str, n, width, left, ' ');
			break;
		}
		case '%':
			put(&st, '%');
			break;
		case '\0':
			fmt--;
			break;
		default:
			put(&st, '%');
			put(&st, *fmt);
			break;
		}
	}
#undef st
}

int vmk_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vmk_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

void vmk_out_write(struct vmk_out *o, const char *s, size_t n)
{
	if (n == 0)
		return;
	o->write(o->arg, s, n);
	o->total += n;
}

void vmk_out_puts(struct vmk_out *o, const char *s)
{
	vmk_out_write(o, s, vmk_strlen(s));
}

void vmk_out_vprintf(struct vmk_out *o, const char *fmt, va_list ap)
{
	struct fmt_state st = { .out = o };
	va_list ap2;

	va_copy(ap2, ap);
	format(&st, fmt, ap2);
	va_end(ap2);
	flush(&st);
}

void vmk_out_printf(struct vmk_out *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmk_out_vprintf(o, fmt, ap);
	va_end(ap);
}

static void outbuf_write(void *arg, const char *s, size_t n)
{
	struct vmk_outbuf *ob = arg;

	if (ob->cap == 0) {
		ob->overflow = true;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (ob->len + 1 >= ob->cap) {
			ob->overflow = true;
			break;
		}
		ob->buf[ob->len++] = s[i];
	}
	ob->buf[ob->len] = '\0';
}

void vmk_outbuf_init(struct vmk_outbuf *ob, char *buf, size_t cap)
{
	ob->out.write = outbuf_write;
	ob->out.arg = ob;
	ob->out.total = 0;
	ob->buf = buf;
	ob->cap = cap;
	ob->len = 0;
	ob->overflow = false;
	if (cap)
		buf[0] = '\0';
}

const char *vmk_fmt_size(char *buf, size_t size, uint64_t bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned int u = 0;
	uint64_t whole = bytes, tenth = 0;

	while (whole >= 1024 && u + 1 < VMK_ARRAY_SIZE(units)) {
		tenth = ((whole % 1024) * 10) / 1024;
		whole /= 1024;
		u++;
	}
	if (u == 0 || tenth == 0)
		vmk_snprintf(buf, size, "%llu %s", (unsigned long long)whole, units[u]);
	else
		vmk_snprintf(buf, size, "%llu.%llu %s", (unsigned long long)whole,
			     (unsigned long long)tenth, units[u]);
	return buf;
}
