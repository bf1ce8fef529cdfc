/*
 * The C library functions the compiler calls on its own (structure copies
 * and zeroing) even in freestanding code: a kernel has to provide them.
 */
#include <vmkit/lib.h>

void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

void *memcpy(void *d, const void *s, size_t n)
{
	return vmk_memcpy(d, s, n);
}

void *memmove(void *d, const void *s, size_t n)
{
	return vmk_memmove(d, s, n);
}

void *memset(void *d, int c, size_t n)
{
	return vmk_memset(d, c, n);
}

int memcmp(const void *a, const void *b, size_t n)
{
	return vmk_memcmp(a, b, n);
}

/* The MS ABI's marker that floating point is used; the kernel uses none. */
int _fltused;
