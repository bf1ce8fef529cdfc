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
static FILE *fz_err;

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

#endif
