#include "util.h"

#include <errno.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmkit/lib.h>

/* Inputs are memory maps, /proc/iomem texts and kernel images: 1 GiB is plenty. */
#define TOOL_MAX_FILE	(1 << 30)

char *tool_read_file(const char *path, size_t *len)
{
	bool is_stdin = strcmp(path, "-") == 0;
	struct stat st;
	FILE *f;

	/* A device or a directory never ends like a map file does. */
	if (!is_stdin && stat(path, &st) == 0 &&
	    (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISDIR(st.st_mode))) {
		fprintf(stderr, "vmkit: %s: not a regular file\n", path);
		return NULL;
	}
	f = is_stdin ? stdin : fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f) {
		fprintf(stderr, "vmkit: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (n > TOOL_MAX_FILE) {
			fprintf(stderr, "vmkit: %s: larger than %d MiB: not an input this tool reads\n",
				path, TOOL_MAX_FILE >> 20);
			free(buf);
			if (!is_stdin)
				fclose(f);
			return NULL;
		}
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
