/*
 * Freestanding helpers shared by every module: memory and string
 * functions, bit operations, sorting, intrusive lists, text scanning,
 * formatted output to a sink, and a fixed-capacity range set.
 */
#ifndef VMKIT_LIB_H
#define VMKIT_LIB_H

#include <stdarg.h>
#include <vmkit/types.h>

/* ---- memory and strings (no libc) ---- */
void *vmk_memset(void *d, int c, size_t n);
void *vmk_memcpy(void *d, const void *s, size_t n);
void *vmk_memmove(void *d, const void *s, size_t n);
int vmk_memcmp(const void *a, const void *b, size_t n);
size_t vmk_strlen(const char *s);
size_t vmk_strnlen(const char *s, size_t max);
int vmk_strcmp(const char *a, const char *b);
int vmk_strncmp(const char *a, const char *b, size_t n);
/* Copies at most size-1 bytes and NUL-terminates; returns strlen(s). */
size_t vmk_strlcpy(char *d, const char *s, size_t size);

static inline bool vmk_isspace(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
static inline bool vmk_isdigit(int c) { return c >= '0' && c <= '9'; }
static inline bool vmk_isxdigit(int c)
{
	return vmk_isdigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
static inline int vmk_tolower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

/* ---- bit operations ---- */
/*
 * fls64 and ffs64 in plain C (a binary search, six steps), for CPUs with no
 * count-zeros instruction: there gcc turns __builtin_clzll/ctzll into calls
 * to libgcc's __clzdi2/__ctzdi2, which a kernel does not link (riscv64
 * without Zbb). x must be non-zero. Any context.
 */
static inline unsigned int vmk_fls64_soft(uint64_t x)
{
	unsigned int r = 0;

	if (x >> 32) { x >>= 32; r += 32; }
	if (x >> 16) { x >>= 16; r += 16; }
	if (x >> 8) { x >>= 8; r += 8; }
	if (x >> 4) { x >>= 4; r += 4; }
	if (x >> 2) { x >>= 2; r += 2; }
	return r + (unsigned int)(x >> 1);
}
static inline unsigned int vmk_ffs64_soft(uint64_t x) { return vmk_fls64_soft(x & (0 - x)); }

#if defined(__riscv) && !defined(__riscv_zbb)
/* Index of the most significant set bit (0..63); x must be non-zero. */
static inline unsigned int vmk_fls64(uint64_t x) { return vmk_fls64_soft(x); }
/* Index of the least significant set bit (0..63); x must be non-zero. */
static inline unsigned int vmk_ffs64(uint64_t x) { return vmk_ffs64_soft(x); }
#else
/* Index of the most significant set bit (0..63); x must be non-zero. */
static inline unsigned int vmk_fls64(uint64_t x) { return 63u - (unsigned int)__builtin_clzll(x); }
/* Index of the least significant set bit (0..63); x must be non-zero. */
static inline unsigned int vmk_ffs64(uint64_t x) { return (unsigned int)__builtin_ctzll(x); }
#endif
/*
 * Bits set in x. Not __builtin_popcountll: without a popcount instruction
 * (x86-64 baseline) the compiler calls libgcc's __popcountdi2, which a
 * kernel does not link.
 */
static inline unsigned int vmk_popcount64(uint64_t x)
{
	x = x - ((x >> 1) & 0x5555555555555555ull);
	x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (unsigned int)((x * 0x0101010101010101ull) >> 56);
}
/* floor(log2(x)); x must be non-zero. */
static inline unsigned int vmk_ilog2(uint64_t x) { return vmk_fls64(x); }

/* ---- byte atomics ---- */
/*
 * Relaxed atomic fetch-or / fetch-and of a byte through a compare-and-swap
 * loop on the aligned 32-bit word that holds it (little-endian), the way
 * clang and Linux do byte atomics on riscv64 (masked LR/SC): the A
 * extension has word and doubleword AMOs only, and gcc before 13 turns a
 * byte RMW into a call to libatomic's __atomic_fetch_or_1, which a kernel
 * does not link. The other bytes of the word are never written. Returns the
 * byte's old value. Any context.
 */
static inline uint8_t vmk_atomic_fetch_or_u8_word(uint8_t *p, uint8_t v)
{
	uint32_t *w = (uint32_t *)((uintptr_t)p & ~(uintptr_t)3);
	unsigned int sh = (unsigned int)((uintptr_t)p & 3) * 8;
	uint32_t old = __atomic_load_n(w, __ATOMIC_RELAXED);

	while (!__atomic_compare_exchange_n(w, &old, old | ((uint32_t)v << sh), true,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	return (uint8_t)(old >> sh);
}
static inline uint8_t vmk_atomic_fetch_and_u8_word(uint8_t *p, uint8_t v)
{
	uint32_t *w = (uint32_t *)((uintptr_t)p & ~(uintptr_t)3);
	unsigned int sh = (unsigned int)((uintptr_t)p & 3) * 8;
	uint32_t old = __atomic_load_n(w, __ATOMIC_RELAXED);

	while (!__atomic_compare_exchange_n(w, &old, old & ~((uint32_t)(uint8_t)~v << sh), true,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	return (uint8_t)(old >> sh);
}
#if defined(__riscv) && !defined(__clang__)
/* Relaxed *p |= v on a byte; returns the old value. Any context. */
static inline uint8_t vmk_atomic_fetch_or_u8(uint8_t *p, uint8_t v) { return vmk_atomic_fetch_or_u8_word(p, v); }
/* Relaxed *p &= v on a byte; returns the old value. Any context. */
static inline uint8_t vmk_atomic_fetch_and_u8(uint8_t *p, uint8_t v) { return vmk_atomic_fetch_and_u8_word(p, v); }
#else
/* Relaxed *p |= v on a byte; returns the old value. Any context. */
static inline uint8_t vmk_atomic_fetch_or_u8(uint8_t *p, uint8_t v)
{
	return __atomic_fetch_or(p, v, __ATOMIC_RELAXED);
}
/* Relaxed *p &= v on a byte; returns the old value. Any context. */
static inline uint8_t vmk_atomic_fetch_and_u8(uint8_t *p, uint8_t v)
{
	return __atomic_fetch_and(p, v, __ATOMIC_RELAXED);
}
#endif

/* ---- overflow-checked arithmetic: return true on overflow ---- */
static inline bool vmk_add_overflow(uint64_t a, uint64_t b, uint64_t *r)
{
	return __builtin_add_overflow(a, b, r);
}
static inline bool vmk_mul_overflow(uint64_t a, uint64_t b, uint64_t *r)
{
	return __builtin_mul_overflow(a, b, r);
}

/* ---- sorting: in-place heapsort, no allocation, O(n log n) ---- */
void vmk_sort(void *base, size_t n, size_t size,
	      int (*cmp)(const void *a, const void *b));

/* ---- intrusive doubly linked list (circular, with a head node) ---- */
struct vmk_list {
	struct vmk_list *next, *prev;
};

#define VMK_LIST_INIT(name) { &(name), &(name) }

static inline void vmk_list_init(struct vmk_list *h) { h->next = h->prev = h; }
static inline bool vmk_list_empty(const struct vmk_list *h) { return h->next == h; }
static inline void vmk_list__add(struct vmk_list *n, struct vmk_list *p, struct vmk_list *nx)
{
	n->next = nx; n->prev = p; p->next = n; nx->prev = n;
}
/* Insert n right after h (at the front). */
static inline void vmk_list_add(struct vmk_list *h, struct vmk_list *n) { vmk_list__add(n, h, h->next); }
/* Insert n right before h (at the tail). */
static inline void vmk_list_add_tail(struct vmk_list *h, struct vmk_list *n) { vmk_list__add(n, h->prev, h); }
static inline void vmk_list_del(struct vmk_list *n)
{
	n->prev->next = n->next; n->next->prev = n->prev;
	n->next = n->prev = n;
}
#define vmk_list_entry(p, type, member) VMK_CONTAINER_OF(p, type, member)
#define vmk_list_foreach(it, head) \
	for ((it) = (head)->next; (it) != (head); (it) = (it)->next)
#define vmk_list_foreach_safe(it, tmp, head) \
	for ((it) = (head)->next, (tmp) = (it)->next; (it) != (head); \
	     (it) = (tmp), (tmp) = (it)->next)

/* ---- text scanning (for parsers of firmware text formats) ---- */

/* A view of a piece of text: not NUL-terminated. */
struct vmk_str {
	const char *p;
	size_t len;
};

/*
 * Take the next line of buf (at *pos) into *line, without its '\n' or a
 * trailing '\r'. Returns false at the end of buf.
 */
bool vmk_next_line(const char *buf, size_t len, size_t *pos, struct vmk_str *line);

/* Remove leading and trailing white space. */
struct vmk_str vmk_str_trim(struct vmk_str s);
/* True if s starts with the NUL-terminated prefix. */
bool vmk_str_starts(struct vmk_str s, const char *prefix);
/* Offset of needle in s, or -1. */
long vmk_str_find(struct vmk_str s, const char *needle);
/* True if s equals the NUL-terminated t. */
bool vmk_str_eq(struct vmk_str s, const char *t);
/* Case-insensitive variant of vmk_str_eq. */
bool vmk_str_ieq(struct vmk_str s, const char *t);

/*
 * Parse an unsigned integer at the start of s. base 0 accepts "0x" hex,
 * else decimal; base 16 accepts an optional "0x". On success stores the
 * value and the number of characters consumed and returns 0; returns
 * -VMK_EPARSE if no digit is there and -VMK_ERANGE on overflow.
 */
int vmk_parse_u64(struct vmk_str s, int base, uint64_t *val, size_t *used);

/*
 * Parse a size with an optional K/M/G/T/P/E suffix (powers of 1024), as
 * the kernel's memparse does: "512M", "0x1000", "2G". Same returns as
 * vmk_parse_u64; overflow of the multiplied value gives -VMK_ERANGE.
 */
int vmk_parse_size(struct vmk_str s, uint64_t *val, size_t *used);

/* ---- formatted output ---- */

/*
 * printf subset: %d %i %u %x %X %o %c %s %p %% with flags '-', '0',
 * '#' (0x / 0X before a non-zero %x / %X, 0 before a non-zero %o, as C),
 * width (number or *), precision for %s (number or *), and length
 * modifiers hh h l ll z j t. %s with NULL prints "(null)". Returns the
 * length of the whole text (buf holds at most size - 1 bytes of it, NUL
 * terminated when size > 0). Any context.
 */
int vmk_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int vmk_snprintf(char *buf, size_t size, const char *fmt, ...) VMK_PRINTF(3, 4);

/* A sink for rendered text: write(arg, s, n) is called with pieces. */
struct vmk_out {
	void (*write)(void *arg, const char *s, size_t n);
	void *arg;
	size_t total;		/* bytes written so far through vmk_out_* */
};

void vmk_out_write(struct vmk_out *o, const char *s, size_t n);
void vmk_out_puts(struct vmk_out *o, const char *s);
void vmk_out_printf(struct vmk_out *o, const char *fmt, ...) VMK_PRINTF(2, 3);
void vmk_out_vprintf(struct vmk_out *o, const char *fmt, va_list ap);

/*
 * Write s (NUL-terminated; NULL = "") as a JSON string: quotes, backslash
 * and control characters escaped, well-formed UTF-8 kept, every other
 * byte written as \ufffd, so the result is valid JSON whatever s holds.
 * Any context.
 */
void vmk_out_json_string(struct vmk_out *o, const char *s);

/* A sink into a fixed buffer (always NUL-terminated; overflow is noted). */
struct vmk_outbuf {
	struct vmk_out out;
	char *buf;
	size_t cap;
	size_t len;
	bool overflow;
};
void vmk_outbuf_init(struct vmk_outbuf *ob, char *buf, size_t cap);

/* Format a byte count as "4 KiB", "1.5 GiB" (one decimal) into buf. */
const char *vmk_fmt_size(char *buf, size_t size, uint64_t bytes);

/* ---- range set: sorted, non-overlapping, merged [base, end) ranges ---- */

struct vmk_range {
	vmk_paddr_t base;
	vmk_paddr_t end;	/* exclusive */
};

/* The set lives in caller-provided storage of 'cap' ranges. */
struct vmk_rangeset {
	struct vmk_range *r;
	size_t n;
	size_t cap;
};

void vmk_rangeset_init(struct vmk_rangeset *s, struct vmk_range *storage, size_t cap);
/* Add [base, end); merges with overlapping or touching ranges. -VMK_ENOSPC if full (set unchanged). */
int vmk_rangeset_add(struct vmk_rangeset *s, vmk_paddr_t base, vmk_paddr_t end);
/* Remove [base, end); may split a range. -VMK_ENOSPC if a split needs room (set unchanged). */
int vmk_rangeset_remove(struct vmk_rangeset *s, vmk_paddr_t base, vmk_paddr_t end);
/* True if [base, end) is entirely inside the set. */
bool vmk_rangeset_contains(const struct vmk_rangeset *s, vmk_paddr_t base, vmk_paddr_t end);
/* True if [base, end) overlaps any range of the set. */
bool vmk_rangeset_overlaps(const struct vmk_rangeset *s, vmk_paddr_t base, vmk_paddr_t end);
/* Sum of the sizes of all ranges. */
uint64_t vmk_rangeset_total(const struct vmk_rangeset *s);

#endif /* VMKIT_LIB_H */
