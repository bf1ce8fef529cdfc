/* Shared helpers for the cmocka tests: data files and panic assertions. */
#ifndef VMKIT_TEST_HARNESS_H
#define VMKIT_TEST_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <vmkit/lib.h>
#include <vmkit/platform.h>
#include "sim.h"

/* Read a whole file (NUL-terminated copy); fails the test if it cannot. */
char *th_read_file(const char *path, size_t *len);

/* Path of a file under tests/data (works from the repo root or tests/). */
const char *th_data_path(const char *rel);

/* Read tests/data/<rel>. */
char *th_read_data(const char *rel, size_t *len);

/*
 * Assert that stmt trips a vmkit panic whose message contains substr.
 */
#define assert_panics(stmt, substr) do {					\
	bool th__p = VMK_SIM_TRY_PANIC(stmt);					\
	if (!th__p)								\
		fail_msg("expected a panic containing \"%s\"", (substr));	\
	if (!strstr(vmk_sim_panic_msg(), (substr)))				\
		fail_msg("panic message \"%s\" lacks \"%s\"",			\
			 vmk_sim_panic_msg(), (substr));			\
} while (0)

/* Seed for randomized tests: $VMK_SEED or time-based; printed once. */
unsigned long th_seed(void);

#endif
