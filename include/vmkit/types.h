/*
 * vmkit basic types and error codes.
 *
 * Only the compiler's freestanding headers are used here, so this header
 * (and every other core header) compiles with -ffreestanding -nostdinc.
 */
#ifndef VMKIT_TYPES_H
#define VMKIT_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vmkit/config.h>

typedef uint64_t vmk_paddr_t;	/* physical address */
typedef uint64_t vmk_vaddr_t;	/* virtual address */
typedef uint64_t vmk_size_t;	/* a size in bytes that may exceed the host's size_t */

/*
 * Error codes. Public functions return 0 on success or one of these,
 * negated (e.g. -VMK_ENOMEM).
 */
enum {
	VMK_OK = 0,
	VMK_EINVAL = 1,		/* an argument is malformed or out of range */
	VMK_ENOMEM = 2,		/* no memory to satisfy the request */
	VMK_EEXIST = 3,		/* something is already there (NOREPLACE, conflict) */
	VMK_ENOENT = 4,		/* nothing found */
	VMK_ERANGE = 5,		/* a value does not fit (overflow, address width) */
	VMK_EBUSY = 6,		/* the object is in use */
	VMK_ENOSPC = 7,		/* a fixed-size table is full */
	VMK_EFAULT = 8,		/* injected failure */
	VMK_EPARSE = 9,		/* malformed input text or table */
	VMK_ENOTSUP = 10,	/* not supported in this configuration */
	VMK_EOVERFLOW = 11,	/* arithmetic overflow */
	VMK_EACCES = 12,	/* the mapping does not allow the access */
};

/* Human-readable name of an error code (positive or negative). */
const char *vmk_strerror(int err);

#define VMK_PAGE_SHIFT	12
#define VMK_PAGE_SIZE	((vmk_paddr_t)1 << VMK_PAGE_SHIFT)
#define VMK_PAGE_MASK	(VMK_PAGE_SIZE - 1)

#define VMK_KiB	((uint64_t)1 << 10)
#define VMK_MiB	((uint64_t)1 << 20)
#define VMK_GiB	((uint64_t)1 << 30)
#define VMK_TiB	((uint64_t)1 << 40)

/* The top of the physical address space: an end address of "everything". */
#define VMK_PADDR_MAX	UINT64_MAX

#define VMK_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define VMK_MIN(a, b)		((a) < (b) ? (a) : (b))
#define VMK_MAX(a, b)		((a) > (b) ? (a) : (b))

/* Alignment helpers; 'a' must be a power of two. */
#define VMK_IS_POW2(x)		((x) != 0 && (((x) & ((x) - 1)) == 0))
#define VMK_ALIGN_DOWN(x, a)	((x) & ~((__typeof__(x))(a) - 1))
#define VMK_ALIGN_UP(x, a)	VMK_ALIGN_DOWN((x) + ((__typeof__(x))(a) - 1), (a))
#define VMK_IS_ALIGNED(x, a)	(((x) & ((__typeof__(x))(a) - 1)) == 0)

#define VMK_CONTAINER_OF(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#define VMK_UNUSED(x)		((void)(x))
#define VMK_LIKELY(x)		__builtin_expect(!!(x), 1)
#define VMK_UNLIKELY(x)		__builtin_expect(!!(x), 0)
#define VMK_STATIC_ASSERT(c, msg) _Static_assert(c, msg)

#if defined(__GNUC__)
#define VMK_PRINTF(f, a)	__attribute__((format(printf, f, a)))
#define VMK_NORETURN		__attribute__((noreturn))
#define VMK_NOINLINE		__attribute__((noinline))
#else
#define VMK_PRINTF(f, a)
#define VMK_NORETURN
#define VMK_NOINLINE
#endif

#endif /* VMKIT_TYPES_H */
