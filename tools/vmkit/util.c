#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmkit/lib.h>

char *tool_read_file(const char *path, size_t *len)
{
	bool is_stdin = strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f) {
		fprintf(stderr, "vmkit: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (n + 4096 + 1 > cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			char *nb = realloc(buf, ncap);

			if (!nb) {
				fprintf(stderr, "vmkit: %s: out of memory\n", path);
				free(buf);
				if (!is_stdin)
					fclose(f);
				return NULL;
			}
			buf = nb;
			cap = ncap;
		}
		size_t r = fread(buf + n, 1, cap - n - 1, f);

		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "vmkit: %s: read error\n", path);
		free(buf);
		if (!is_stdin)
			fclose(f);
		return NULL;
	}
	if (!is_stdin)
		fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

bool tool_parse_size(const char *opt, const char *arg, uint64_t *out)
{
	struct vmk_str s = { arg, strlen(arg) };
	size_t used;
	int err = vmk_parse_size(s, out, &used);

	if (err || used != s.len) {
		fprintf(stderr, "vmkit: %s: '%s' is not a size or address (%s)\n", opt, arg,
			err ? vmk_strerror(err) : "trailing characters");
		return false;
	}
	return true;
}

static void file_write(void *arg, const char *s, size_t n)
{
	fwrite(s, 1, n, (FILE *)arg);
}

void tool_out_file(struct vmk_out *o, FILE *f)
{
	o->write = file_write;
	o->arg = f;
	o->total = 0;
}
