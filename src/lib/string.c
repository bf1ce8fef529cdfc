/* Memory and string functions for a core that has no libc. */
#include <vmkit/lib.h>

void *vmk_memset(void *d, int c, size_t n)
{
	unsigned char *p = d;

	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *vmk_memcpy(void *d, const void *s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;

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
	if (dp < sp) {
		while (n--)
			*dp++ = *sp++;
	} else {
		dp += n;
		sp += n;
		while (n--)
			*--dp = *--sp;
	}
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
	};

	if (err < 0)
		err = -err;
	if ((size_t)err < VMK_ARRAY_SIZE(names) && names[err])
		return names[err];
	return "unknown error";
}
