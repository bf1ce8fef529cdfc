#include "json.h"
#include "util.h"

void json_init(struct json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->need_comma[0] = false;
	j->after_key = false;
}

static void before_value(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->need_comma[j->depth])
		fputc(',', j->f);
	j->need_comma[j->depth] = true;
}

static void open(struct json *j, char c)
{
	before_value(j);
	fputc(c, j->f);
	if (j->depth < 31)
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void close_(struct json *j, char c)
{
	if (j->depth > 0)
		j->depth--;
	fputc(c, j->f);
}

void json_begin_object(struct json *j) { open(j, '{'); }
void json_end_object(struct json *j) { close_(j, '}'); }
void json_begin_array(struct json *j) { open(j, '['); }
void json_end_array(struct json *j) { close_(j, ']'); }

static void put_string(FILE *f, const char *s)
{
	struct vmk_out o;

	tool_out_file(&o, f);
	vmk_out_json_string(&o, s);
}

void json_key(struct json *j, const char *key)
{
	before_value(j);
	put_string(j->f, key);
	fputc(':', j->f);
	j->after_key = true;
}

void json_u64(struct json *j, uint64_t v)
{
	before_value(j);
	fprintf(j->f, "%llu", (unsigned long long)v);
}

void json_i64(struct json *j, int64_t v)
{
	before_value(j);
	fprintf(j->f, "%lld", (long long)v);
}

void json_bool(struct json *j, bool v)
{
	before_value(j);
	fputs(v ? "true" : "false", j->f);
}

void json_str(struct json *j, const char *s)
{
	before_value(j);
	put_string(j->f, s ? s : "");
}

void json_hex(struct json *j, uint64_t v)
{
	before_value(j);
	fprintf(j->f, "\"0x%llx\"", (unsigned long long)v);
}

void json_kv_u64(struct json *j, const char *key, uint64_t v) { json_key(j, key); json_u64(j, v); }
void json_kv_str(struct json *j, const char *key, const char *s) { json_key(j, key); json_str(j, s); }
void json_kv_hex(struct json *j, const char *key, uint64_t v) { json_key(j, key); json_hex(j, v); }

void json_finish(struct json *j)
{
	fputc('\n', j->f);
	fflush(j->f);
}

void json_raw_value(struct json *j)
{
	before_value(j);
}
