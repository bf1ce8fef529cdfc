/* Helpers shared by the vmkit subcommands (hosted). */
#ifndef VMKIT_TOOL_UTIL_H
#define VMKIT_TOOL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <vmkit/lib.h>
#include <vmkit/pmap.h>

/*
 * Read a whole file ("-": standard input) into a malloc'd, NUL-terminated
 * buffer. Returns NULL and prints "FILE: error: reason" on error. Reading
 * a terminal or a FIFO says so on stderr first (it waits for a writer or
 * for end of input).
 */
char *tool_read_file(const char *path, size_t *len);

/*
 * Parse a size or address argument ("16M", "0x1000000", "4096"); prints
 * "vmkit CMD: error: OPTION: ..." and returns false when it is not a number.
 */
bool tool_parse_size(const char *opt, const char *arg, uint64_t *out);

/*
 * Parse --arch's value (x86_64/x86-64, arm64/aarch64, riscv64) into *arch;
 * prints "--arch: unknown architecture" and returns false for another.
 */
bool tool_parse_pmap_arch(const char *arg, enum vmk_pmap_arch_id *arch);

/* A vmk_out writing to a stdio stream. */
void tool_out_file(struct vmk_out *o, FILE *f);

/*
 * Messages, one format everywhere: "WHERE: error: MSG" on stderr, WHERE
 * being "FILE:LINE" (line > 0), "FILE" (file not NULL) or the running
 * command ("vmkit memmap", set by main). Warnings say "warning:".
 */
void tool_set_command(const char *name);
const char *tool_command(void);
void tool_error(const char *file, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void tool_warning(const char *file, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Options given so far, to refuse one given twice (a usage error). */
struct tool_seen {
	const char *opt[64];
	size_t n;
};

/*
 * Record option opt. Returns false after printing a usage error if it
 * was given before (an option that may repeat is not passed here).
 */
bool tool_seen_once(struct tool_seen *s, const char *opt);

/* True if opt was recorded. */
bool tool_seen_has(const struct tool_seen *s, const char *opt);

#endif
