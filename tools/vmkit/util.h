/* Helpers shared by the vmkit subcommands (hosted). */
#ifndef VMKIT_TOOL_UTIL_H
#define VMKIT_TOOL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <vmkit/lib.h>

/*
 * Read a whole file ("-": standard input) into a malloc'd, NUL-terminated
 * buffer. Returns NULL and prints "vmkit: FILE: reason" on error.
 */
char *tool_read_file(const char *path, size_t *len);

/*
 * Parse a size or address argument ("16M", "0x1000000", "4096"); prints
 * "vmkit: OPTION: ..." and returns false when it is not a number.
 */
bool tool_parse_size(const char *opt, const char *arg, uint64_t *out);

/* A vmk_out writing to a stdio stream. */
void tool_out_file(struct vmk_out *o, FILE *f);

#endif
