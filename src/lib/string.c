/* Memory and string functions for a core that has no libc. */
#include <vmkit/lib.h>

/*
 * Word-at-a-time copies: an 8-byte __builtin_memcpy compiles to one
 * unaligned load or store on x86-64 and arm64, never to a library call.
 */
static inline uint64_t load64(const unsigned char *p)
{
	uint64_t v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

static inline void store64(unsigned char *p, uint64_t v)
{
	__builtin_memcpy(p, &v, sizeof(v));
}

void *vmk_memset(void *d, int c, size_t n)
{
	unsigned char *p = d;
	uint64_t w = 0x0101010101010101ull * (unsigned char)c;

	for (; n >= 8; n -= 8, p += 8)
		store64(p, w);
	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *vmk_memcpy(void *d, const void *s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;

	for (; n >= 8; n -= 8, dp += 8, sp += 8)
		store64(dp, load64(sp));
	while (n--)
		*dp++ = *sp++;
	return d;
}

void *vmk_memmove(void *d, const void *s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;

	if (dp == sp || n == 0)
		return d;
	if (dp < sp || dp >= sp + n)
		return vmk_memcpy(d, s, n);
	/* Overlap with the destination above: copy from the end. */
	dp += n;
	sp += n;
	for (; n >= 8; n -= 8) {
		dp -= 8;
		sp -= 8;
		store64(dp, load64(sp));
	}
	while (n--)
		*--dp = *--sp;
	return d;
}

int vmk_memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x < *y ? -1 : 1;
	return 0;
}

size_t vmk_strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

size_t vmk_strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

int vmk_strcmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

int vmk_strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

size_t vmk_strlcpy(char *d, const char *s, size_t size)
{
	size_t n = vmk_strlen(s);

	if (size) {
		size_t c = n < size - 1 ? n : size - 1;

		vmk_memcpy(d, s, c);
		d[c] = '\0';
	}
	return n;
}

const char *vmk_strerror(int err)
{
	static const char *const names[] = {
		[VMK_OK] = "success",
		[VMK_EINVAL] = "invalid argument",
		[VMK_ENOMEM] = "out of memory",
		[VMK_EEXIST] = "already exists",
		[VMK_ENOENT] = "not found",
		[VMK_ERANGE] = "out of range",
		[VMK_EBUSY] = "busy",
		[VMK_ENOSPC] = "table full",
		[VMK_EFAULT] = "injected failure",
		[VMK_EPARSE] = "malformed input",
		[VMK_ENOTSUP] = "not supported",
		[VMK_EOVERFLOW] = "arithmetic overflow",
		[VMK_EACCES] = "access not allowed",
	};

	if (err < 0)
		err = -err;
	if ((size_t)err < VMK_ARRAY_SIZE(names) && names[err])
		return names[err];
	return "unknown error";
}
