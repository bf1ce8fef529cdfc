/*
 * Shared helpers of the fuzz targets (hosted): a property check that
 * aborts with a message (libFuzzer reports the abort as a crash), a
 * growable output sink, and a little-endian reader of the input bytes.
 */
#ifndef VMKIT_FUZZ_UTIL_H
#define VMKIT_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmkit/lib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Where FZ_CHECK reports (stderr unless fz_quiet() moved stderr away). */
static FILE *fz_err __attribute__((unused));

#define FZ_CHECK(c, ...) do {							\
	if (!(c)) {								\
		FILE *fz__f = fz_err ? fz_err : stderr;				\
		fprintf(fz__f, "%s:%d: property failed: %s: ", __FILE__,	\
			__LINE__, #c);						\
		fprintf(fz__f, __VA_ARGS__);					\
		fputc('\n', fz__f);						\
		fflush(fz__f);							\
		abort();							\
	}									\
} while (0)

/*
 * Point stdio's stderr at /dev/null (code under test that prints every
 * rejection would flood the output); FZ_CHECK keeps the real one, and so
 * do libFuzzer and the sanitizers (they hold their own). Set
 * VMK_FUZZ_VERBOSE to keep it.
 */
static inline void fz_quiet(void)
{
	FILE *null;

	if (fz_err || getenv("VMK_FUZZ_VERBOSE"))
		return;
	null = fopen("/dev/null", "w");
	if (!null)
		return;
	fz_err = stderr;
	stderr = null;
}

/* A vmk_out that collects into a heap buffer (fz_buf_free releases it). */
struct fz_buf {
	struct vmk_out out;
	char *p;
	size_t len, cap;
};

static void fz_buf_write(void *arg, const char *s, size_t n)
{
	struct fz_buf *b = arg;

	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

static inline void fz_buf_init(struct fz_buf *b)
{
	memset(b, 0, sizeof(*b));
	b->out.write = fz_buf_write;
	b->out.arg = b;
}

static inline void fz_buf_free(struct fz_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* A cursor over the input: reads return 0 once the bytes run out. */
struct fz_in {
	const uint8_t *p;
	size_t n;
};

static inline uint64_t fz_take(struct fz_in *in, unsigned int bytes)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < bytes; i++) {
		if (in->n) {
			v |= (uint64_t)in->p[0] << (8 * i);
			in->p++;
			in->n--;
		}
	}
	return v;
}

/* The n-byte little-endian number at p (n <= 8). */
static inline uint64_t fz_le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static inline uint8_t fz_u8(struct fz_in *in) { return (uint8_t)fz_take(in, 1); }
static inline uint32_t fz_u32(struct fz_in *in) { return (uint32_t)fz_take(in, 4); }
static inline uint64_t fz_u64(struct fz_in *in) { return fz_take(in, 8); }

#endif
