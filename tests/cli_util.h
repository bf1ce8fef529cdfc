/* Running the vmkit tool from tests: capture stdout, stderr and status. */
#ifndef VMKIT_TEST_CLI_UTIL_H
#define VMKIT_TEST_CLI_UTIL_H

#include <stdint.h>

/*
 * Defined when this build (and so the tool under test) runs under
 * ThreadSanitizer, whose address space cannot always hold the largest
 * simulated RAM mappings: the tests then use smaller machines.
 */
#if defined(__SANITIZE_THREAD__)
#define CLI_TSAN_BUILD 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CLI_TSAN_BUILD 1
#endif
#endif

struct cli_result {
	int status;	/* exit status, or -1 if it did not exit normally */
	char *out;	/* stdout, NUL-terminated */
	char *err;	/* stderr, NUL-terminated */
};

/*
 * Run "$VMKIT_BIN args..." (default build/vmkit) with the arguments in a
 * NULL-terminated list; fails the test if it cannot be started.
 */
struct cli_result cli_run(const char *const *args);

/* cli_run with the child's address space limited to as_bytes (RLIMIT_AS). */
struct cli_result cli_run_as_limit(const char *const *args, uint64_t as_bytes);
void cli_free(struct cli_result *r);

/* The value of the first "key":N in a JSON text (fails the test if absent). */
uint64_t json_u64_field(const char *json, const char *key);

/* What a UEFI map's text listing (tests/data/memmaps/NAME.txt) holds, by EFI type. */
struct cli_listing {
	uint64_t bytes[16];
	uint64_t mmio_cached;	/* MMIO with WB, WT or WC */
	int entries;
};

/* Read the listing at data path name (each line's range and page count must agree; fails the test otherwise). */
void cli_read_listing(const char *name, struct cli_listing *l);

/* The listing of the UEFI map embedded in the tool as its default machine. */
#define CLI_DEFAULT_LISTING	"memmaps/qemu-q35-ovmf-x86_64-4G.txt"

#endif
