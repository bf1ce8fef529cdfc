/*
 * A small streaming JSON writer for the vmkit tool's --json output, which
 * is a stable interface other tools read. Handles commas and nesting;
 * numbers are printed as plain integers.
 */
#ifndef VMKIT_TOOL_JSON_H
#define VMKIT_TOOL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct json {
	FILE *f;
	int depth;
	bool need_comma[32];
	bool after_key;
};

void json_init(struct json *j, FILE *f);
void json_begin_object(struct json *j);
void json_end_object(struct json *j);
void json_begin_array(struct json *j);
void json_end_array(struct json *j);
/* Object member name; the next value call gives its value. */
void json_key(struct json *j, const char *key);
void json_u64(struct json *j, uint64_t v);
void json_i64(struct json *j, int64_t v);
void json_bool(struct json *j, bool v);
void json_str(struct json *j, const char *s);
/* Hex string "0x..." for addresses, for readers that lose 64-bit precision. */
void json_hex(struct json *j, uint64_t v);
/* Shorthands: key + value. */
void json_kv_u64(struct json *j, const char *key, uint64_t v);
void json_kv_str(struct json *j, const char *key, const char *s);
void json_kv_hex(struct json *j, const char *key, uint64_t v);
/* End the document with a newline. */
void json_finish(struct json *j);

/*
 * Start a value that the caller writes raw to j->f (e.g. JSON rendered by
 * the core through a vmk_out): handles the separating comma.
 */
void json_raw_value(struct json *j);

#endif
