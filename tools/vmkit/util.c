#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmkit/lib.h>

/* Inputs are memory maps, /proc/iomem texts and kernel images: 1 GiB is plenty. */
#define TOOL_MAX_FILE	(1 << 30)

static const char *command = "vmkit";

void tool_set_command(const char *name)
{
	command = name;
}

const char *tool_command(void)
{
	return command;
}

static void vmessage(const char *sev, const char *file, unsigned int line, const char *fmt,
		     va_list ap)
{
	if (!file)
		fprintf(stderr, "%s: %s: ", command, sev);
	else if (line)
		fprintf(stderr, "%s:%u: %s: ", file, line, sev);
	else
		fprintf(stderr, "%s: %s: ", file, sev);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void tool_error(const char *file, unsigned int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("error", file, line, fmt, ap);
	va_end(ap);
}

void tool_warning(const char *file, unsigned int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("warning", file, line, fmt, ap);
	va_end(ap);
}

bool tool_seen_has(const struct tool_seen *s, const char *opt)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->opt[i], opt))
			return true;
	return false;
}

bool tool_seen_once(struct tool_seen *s, const char *opt)
{
	if (tool_seen_has(s, opt)) {
		tool_error(NULL, 0, "%s given twice", opt);
		return false;
	}
	if (s->n < sizeof(s->opt) / sizeof(s->opt[0]))
		s->opt[s->n++] = opt;
	return true;
}

/*
 * A terminal, a FIFO or a slow pipe may keep the tool waiting: say what
 * it waits for instead of hanging silently. A terminal is announced at
 * once; anything else only if no data came within a second, so ordinary
 * pipes stay quiet.
 */
static void wait_readable(int fd, const char *path, bool is_stdin)
{
	const char *what = is_stdin ? "standard input" : path;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (isatty(fd)) {
		fprintf(stderr, "%s: note: reading %s from the terminal (end with Ctrl-D)\n", command, what);
		return;
	}
	if (poll(&p, 1, 1000) != 0)
		return;
	fprintf(stderr, "%s: note: waiting for data on %s (nothing came within a second)\n", command,
		what);
	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
}

/* Open a FIFO without waiting for its writer (poll waits for data instead). */
static FILE *open_input(const char *path, bool fifo)
{
	int fd, fl;

	if (!fifo)
		return fopen(path, "rb");
	fd = open(path, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		close(fd);
		return NULL;
	}
	return fdopen(fd, "rb");
}

char *tool_read_file(const char *path, size_t *len)
{
	bool is_stdin = strcmp(path, "-") == 0;
	struct stat st;
	FILE *f;

	/* A device or a directory never ends like a map file does. */
	if (!is_stdin && stat(path, &st) == 0 &&
	    (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISDIR(st.st_mode))) {
		tool_error(path, 0, "not a regular file");
		return NULL;
	}
	f = is_stdin ? stdin : open_input(path, stat(path, &st) == 0 && S_ISFIFO(st.st_mode));
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f) {
		tool_error(path, 0, "%s", strerror(errno));
		return NULL;
	}
	wait_readable(fileno(f), path, is_stdin);
	for (;;) {
		if (n > TOOL_MAX_FILE) {
			tool_error(path, 0, "larger than %d MiB: not an input this tool reads",
				   TOOL_MAX_FILE >> 20);
			free(buf);
			if (!is_stdin)
				fclose(f);
			return NULL;
		}
		if (n + 4096 + 1 > cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			char *nb = realloc(buf, ncap);

			if (!nb) {
				tool_error(path, 0, "out of memory");
				free(buf);
				if (!is_stdin)
					fclose(f);
				return NULL;
			}
			buf = nb;
			cap = ncap;
		}
		size_t want = cap - n - 1, r = fread(buf + n, 1, want, f);

		n += r;
		/* A short count is end of input: a terminal's ^D is not seen twice. */
		if (r < want)
			break;
	}
	if (ferror(f)) {
		tool_error(path, 0, "read error");
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

bool tool_parse_pmap_arch(const char *arg, enum vmk_pmap_arch_id *arch)
{
	if (!strcmp(arg, "x86_64") || !strcmp(arg, "x86-64"))
		*arch = VMK_PMAP_ARCH_X86_64;
	else if (!strcmp(arg, "arm64") || !strcmp(arg, "aarch64"))
		*arch = VMK_PMAP_ARCH_ARM64;
	else if (!strcmp(arg, "riscv64"))
		*arch = VMK_PMAP_ARCH_RISCV64;
	else {
		tool_error(NULL, 0, "--arch: unknown architecture '%s'", arg);
		return false;
	}
	return true;
}

bool tool_parse_size(const char *opt, const char *arg, uint64_t *out)
{
	struct vmk_str s = { arg, strlen(arg) };
	size_t used;
	int err = vmk_parse_size(s, out, &used);

	if (err || used != s.len) {
		tool_error(NULL, 0, "%s: '%s' is not a size or address (%s)", opt, arg,
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
