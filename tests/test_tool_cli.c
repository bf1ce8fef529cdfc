/*
 * The vmkit tool as a whole: one error format, options given twice, exit
 * statuses, JSON that parses whatever bytes the inputs hold, inputs that
 * keep the tool waiting, and the per-command findings of the real-data
 * trial (memmap without room for the default kernel, phys --eager beyond
 * the host, --bad outside RAM, --machine warnings, kdump into an existing
 * crash kernel region).
 */
#include "harness.h"
#include "cli_util.h"

#include <ctype.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* A temporary file holding text; the caller unlinks path. */
static void write_tmp(char *path, const char *text, size_t len)
{
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

/* ---- an independent JSON checker (RFC 8259, strings must be UTF-8) ---- */

struct jp {
	const unsigned char *p, *end;
	int depth;
};

static bool j_value(struct jp *j);

static void j_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static bool j_lit(struct jp *j, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n))
		return false;
	j->p += n;
	return true;
}

/* One UTF-8 encoded code point, decoded and range-checked. */
static bool j_utf8(struct jp *j)
{
	unsigned int c = *j->p, n, cp, min;

	if (c >= 0xf0 && c <= 0xf7) {
		n = 3;
		cp = c & 0x07;
		min = 0x10000;
	} else if (c >= 0xe0) {
		if (c > 0xef)
			return false;
		n = 2;
		cp = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xc0) {
		n = 1;
		cp = c & 0x1f;
		min = 0x80;
	} else {
		return false;	/* a continuation byte where a character starts */
	}
	j->p++;
	for (unsigned int i = 0; i < n; i++, j->p++) {
		if (j->p >= j->end || (*j->p & 0xc0) != 0x80)
			return false;
		cp = cp << 6 | (*j->p & 0x3f);
	}
	return cp >= min && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
}

static bool j_string(struct jp *j)
{
	if (j->p >= j->end || *j->p != '"')
		return false;
	j->p++;
	while (j->p < j->end && *j->p != '"') {
		if (*j->p < 0x20)
			return false;
		if (*j->p == '\\') {
			j->p++;
			if (j->p >= j->end)
				return false;
			if (*j->p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (j->p + i >= j->end || !isxdigit(j->p[i]))
						return false;
				j->p += 5;
			} else if (strchr("\"\\/bfnrt", *j->p) && *j->p) {
				j->p++;
			} else {
				return false;
			}
		} else if (*j->p >= 0x80) {
			if (!j_utf8(j))
				return false;
		} else {
			j->p++;
		}
	}
	if (j->p >= j->end)
		return false;
	j->p++;
	return true;
}

static bool j_number(struct jp *j)
{
	const unsigned char *s = j->p;

	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (j->p < j->end && *j->p >= '1' && *j->p <= '9')
		while (j->p < j->end && isdigit(*j->p))
			j->p++;
	else
		return false;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (j->p >= j->end || !isdigit(*j->p))
			return false;
		while (j->p < j->end && isdigit(*j->p))
			j->p++;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (j->p >= j->end || !isdigit(*j->p))
			return false;
		while (j->p < j->end && isdigit(*j->p))
			j->p++;
	}
	return j->p > s;
}

static bool j_members(struct jp *j, char close, bool keyed)
{
	j->p++;
	j_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return true;
	}
	for (;;) {
		j_ws(j);
		if (keyed) {
			if (!j_string(j))
				return false;
			j_ws(j);
			if (j->p >= j->end || *j->p != ':')
				return false;
			j->p++;
		}
		if (!j_value(j))
			return false;
		j_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == close) {
			j->p++;
			return true;
		}
		return false;
	}
}

static bool j_value(struct jp *j)
{
	bool ok;

	j_ws(j);
	if (j->p >= j->end || ++j->depth > 64)
		return false;
	switch (*j->p) {
	case '{':
		ok = j_members(j, '}', true);
		break;
	case '[':
		ok = j_members(j, ']', false);
		break;
	case '"':
		ok = j_string(j);
		break;
	case 't':
		ok = j_lit(j, "true");
		break;
	case 'f':
		ok = j_lit(j, "false");
		break;
	case 'n':
		ok = j_lit(j, "null");
		break;
	default:
		ok = j_number(j);
		break;
	}
	j->depth--;
	return ok;
}

/* True if text is exactly one valid JSON document (plus white space). */
static bool json_valid(const char *text)
{
	struct jp j = { (const unsigned char *)text, (const unsigned char *)text + strlen(text), 0 };

	if (!j_value(&j))
		return false;
	j_ws(&j);
	return j.p == j.end;
}

/* The checker itself: it must refuse what is not JSON. */
static void test_json_checker(void **state)
{
	(void)state;
	assert_true(json_valid("{\"a\":[1,-2.5e3,true,null,\"\\u00e9\xc3\xa9\"]}\n"));
	assert_false(json_valid("{\"a\":\"\xff\"}"));
	assert_false(json_valid("{\"a\":\"\xc0\xaf\"}"));		/* overlong '/' */
	assert_false(json_valid("{\"a\":\"\xed\xa0\x80\"}"));	/* surrogate */
	assert_false(json_valid("{\"a\":\"\x80\"}"));
	assert_false(json_valid("{\"a\":\"\x01\"}"));
	assert_false(json_valid("{\"a\":1,}"));
	assert_false(json_valid("{\"a\":01}"));
	assert_false(json_valid("{\"a\":1}{"));
}

/* Also ask python3's json module when it is installed (a second, unrelated reader). */
static void python_agrees(const char *text)
{
	char path[] = "/tmp/vmkit-json-XXXXXX", cmd[256];
	int st;

	if (system("command -v python3 >/dev/null 2>&1") != 0)
		return;
	write_tmp(path, text, strlen(text));
	snprintf(cmd, sizeof(cmd), "python3 -m json.tool < %s > /dev/null 2>&1", path);
	st = system(cmd);
	unlink(path);
	if (st != 0)
		fail_msg("python3 -m json.tool refuses the output:\n%s", text);
}

/*
 * Names and paths with bytes that are not UTF-8 (a lone 0xff, a stray
 * continuation byte, an overlong slash, an encoded surrogate), control
 * characters, quotes and backslashes: every --json output still parses.
 */
static void test_json_any_bytes(void **state)
{
	static const char text[] =
		"00000000-00000fff : Reserved\n"
		"00001000-0009ffff : System RAM\n"
		"00100000-7fffffff : System RAM\n"
		"  01000000-01ffffff : Kernel code\n"
		"  20000000-2000ffff : odd \xff\x80 \xc0\xaf \xed\xa0\x80 \"q\" \\ caf\xc3\xa9\n";
	char path[] = "/tmp/vmkit-\xff\xfe-json-XXXXXX";
	const char *const *cmds[] = {
		ARGS("iomem", "--json", path),
		ARGS("memmap", "--iomem", path, "--json"),
		ARGS("kexec-plan", "--iomem", path, "--kernel", "30M", "--json"),
		ARGS("phys", "--iomem", path, "--json"),
	};

	(void)state;
	write_tmp(path, text, sizeof(text) - 1);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		struct cli_result r = cli_run(cmds[i]);

		if (r.status != 0)
			fail_msg("%s: status %d: %s", cmds[i][0], r.status, r.err);
		if (!json_valid(r.out))
			fail_msg("vmkit %s --json printed invalid JSON:\n%s", cmds[i][0], r.out);
		python_agrees(r.out);
		cli_free(&r);
	}
	unlink(path);
}

/* ---- messages and exit statuses ---- */

/*
 * Every line on stderr is "WHERE: error|warning|note: ...", WHERE being
 * FILE, FILE:LINE or "vmkit COMMAND".
 */
static void check_format(const char *cmd, const char *err)
{
	char *copy = strdup(err), *save = NULL;

	assert_non_null(copy);
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *sev = strstr(line, ": error: ");

		if (!sev)
			sev = strstr(line, ": warning: ");
		if (!sev)
			sev = strstr(line, ": note: ");
		if (!sev || !strncmp(line, "usage:", 6)) {
			/* A usage text may follow an unknown option. */
			if (!strncmp(line, "usage:", 6))
				break;
			fail_msg("vmkit %s: stderr line \"%s\" is not WHERE: error: ...", cmd, line);
		}
		if (!strncmp(line, "vmkit", 5) && strncmp(line, "vmkit: ", 7)) {
			char want[64];

			snprintf(want, sizeof(want), "vmkit %s: ", cmd);
			if (strncmp(line, want, strlen(want)))
				fail_msg("\"%s\" does not name the command %s", line, cmd);
		}
	}
	free(copy);
}

static void expect(const char *const *args, int status, const char *needle)
{
	struct cli_result r = cli_run(args);

	if (r.status != status || !strstr(r.err, needle))
		fail_msg("vmkit %s ...: status %d (want %d), stderr \"%s\" (want \"%s\")", args[0],
			 r.status, status, r.err, needle);
	check_format(args[0], r.err);
	cli_free(&r);
}

static void test_one_error_format(void **state)
{
	char bad[] = "/tmp/vmkit-fmt-XXXXXX", badio[] = "/tmp/vmkit-fmtio-XXXXXX", want[96];
	static const char e820[] = "BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable\n"
				   "BIOS-e820: [mem 0x00000000000zzzzz-0x000000000009ffff] reserved\n";
	static const char io[] = "00000000-00000fff : Reserved\nzzzz\n";

	(void)state;
	write_tmp(bad, e820, sizeof(e820) - 1);
	write_tmp(badio, io, sizeof(io) - 1);
	snprintf(want, sizeof(want), "%s:2: error: ", bad);
	expect(ARGS("memmap", "--dmesg", bad), 1, want);
	expect(ARGS("phys", "--dmesg", bad), 1, want);
	expect(ARGS("kexec-plan", "--machine", bad, "--kernel", "30M"), 1, want);
	snprintf(want, sizeof(want), "%s:2: error: ", badio);
	expect(ARGS("iomem", badio), 1, want);
	expect(ARGS("kexec-plan", "--iomem", badio, "--kernel", "30M"), 1, want);
	expect(ARGS("memmap", "--efi", "/nonexistent/map"), 1, "/nonexistent/map: error: ");
	expect(ARGS("phys", "--machine", "/nonexistent/map"), 1, "/nonexistent/map: error: ");
	expect(ARGS("memmap", "--frobnicate"), 2, "vmkit memmap: error: ");
	expect(ARGS("phys", "--ram", "12Q"), 2, "vmkit phys: error: --ram");
	expect(ARGS("kexec-plan", "--iomem", bad), 2, "vmkit kexec-plan: error: --kernel");
	expect(ARGS("ptdump", "--bogus"), 2, "vmkit ptdump: error: unknown option");
	expect(ARGS("iomem"), 2, "vmkit iomem: error: no FILE");
	expect(ARGS("nonsense"), 2, "vmkit: error: unknown command");
	unlink(bad);
	unlink(badio);
}

/* Options given twice or contradicting each other: status 2 in every command. */
static void test_repeated_options(void **state)
{
	static const char *const twice[][8] = {
		{ "memmap", "--arch", "x86_64", "--arch", "arm64", NULL },
		{ "memmap", "--json", "--json", NULL },
		{ "phys", "--ram", "4G", "--ram", "8G", NULL },
		{ "phys", "--eager", "--eager", NULL },
		{ "phys", "--json", "--json", NULL },
		{ "phys", "--kernel-size", "8M", "--kernel-size", "16M", NULL },
		{ "phys", "--ram", "4G", "--domains", "2", "--domains", "4", NULL },
		{ "kexec-plan", "--arch", "x86_64", "--arch", "arm64", NULL },
		{ "kexec-plan", "--kernel", "30M", "--kernel", "20M", NULL },
		{ "kexec-plan", "--json", "--json", NULL },
		{ "kexec-plan", "--cmdline", "a", "--cmdline", "b", NULL },
		{ "kexec-plan", "--top-down", "--top-down", NULL },
		{ "ptdump", "--arch", "arm64", "--arch", "x86_64", NULL },
		{ "ptdump", "--levels", "4", "--levels", "5", NULL },
		{ "ptdump", "--user", "--user", NULL },
		{ "iomem", "--json", "--json", "x", NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(twice) / sizeof(twice[0]); i++)
		expect(twice[i], 2, "given twice");
	expect(ARGS("kexec-plan", "--top-down", "--bottom-up"), 2, "exclude each other");
	expect(ARGS("kexec-plan", "--bottom-up", "--top-down"), 2, "exclude each other");
	expect(ARGS("memmap", "--efi", "a", "--e820", "b"), 2, "one source only");
	expect(ARGS("phys", "--ram", "4G", "--machine", "x"), 2, "one source only");
	expect(ARGS("iomem", "--json", "--usable", "x"), 2, "exclude each other");
}

/* A crash kernel larger than the machine is bad data (1); a malformed one is usage (2). */
static void test_crash_size_status(void **state)
{
	char io[4096];

	(void)state;
	snprintf(io, sizeof(io), "%s", th_data_path("memmaps/iomem-x86-centos6.txt"));
	expect(ARGS("kexec-plan", "--iomem", io, "--kernel", "30M", "--crashkernel", "8G"), 1,
	       "not smaller than system RAM");
	expect(ARGS("kexec-plan", "--iomem", io, "--kernel", "30M", "--crashkernel", "8Q"), 2,
	       "bad suffix");
	expect(ARGS("memmap", "--crashkernel", "8G"), 1, "not smaller than system RAM");
	expect(ARGS("memmap", "--crashkernel", "1G-:x"), 2, "missing size");
}

/* ---- inputs that keep the tool waiting ---- */

struct child {
	pid_t pid;
	int err;	/* read end of the child's stderr */
	int out;	/* read end of its stdout */
};

static struct child spawn(const char *const *args, int in)
{
	const char *bin = getenv("VMKIT_BIN");
	const char *argv[16];
	int e[2], o[2];
	struct child c;
	size_t n = 0;

	assert_int_equal(pipe(e), 0);
	assert_int_equal(pipe(o), 0);
	argv[n++] = bin ? bin : "build/vmkit";
	for (; args[n - 1] && n < 15; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	c.pid = fork();
	assert_true(c.pid >= 0);
	if (c.pid == 0) {
		dup2(in, 0);
		dup2(o[1], 1);
		dup2(e[1], 2);
		close(e[0]);
		close(o[0]);
		alarm(30);	/* a regression blocks: end it */
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(e[1]);
	close(o[1]);
	c.err = e[0];
	c.out = o[0];
	return c;
}

/* Read the child's stderr until it contains needle (or it ends, or 20 s pass). */
static bool wait_for(int fd, const char *needle, char *buf, size_t cap)
{
	size_t n = strlen(buf);
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (!strstr(buf, needle)) {
		ssize_t r;

		if (poll(&p, 1, 20000) <= 0)
			return false;
		r = read(fd, buf + n, cap - n - 1);
		if (r <= 0)
			return false;
		n += (size_t)r;
		buf[n] = '\0';
	}
	return true;
}

static int finish(struct child *c, char *out, size_t cap)
{
	ssize_t r;
	size_t n = 0;
	int st;

	while (n + 1 < cap && (r = read(c->out, out + n, cap - n - 1)) > 0)
		n += (size_t)r;
	out[n] = '\0';
	assert_true(waitpid(c->pid, &st, 0) == c->pid);
	close(c->out);
	close(c->err);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char small_iomem[] = "00001000-0009ffff : System RAM\n";

/*
 * stdin a pipe nobody writes to yet, and a FIFO given by name with no
 * writer: the tool says what it waits for, then reads what comes.
 */
static void test_waiting_inputs(void **state)
{
	char err[4096] = "", out[4096], fifo[] = "/tmp/vmkit-fifo-XXXXXX";
	int p[2], fd;
	struct child c;

	(void)state;
	/* The write end must not leak into the child, or its stdin never ends. */
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	c = spawn(ARGS("iomem", "-"), p[0]);
	close(p[0]);
	if (!wait_for(c.err, "waiting for data on standard input", err, sizeof(err)))
		fail_msg("vmkit iomem - on a silent pipe said nothing: \"%s\"", err);
	assert_int_equal(write(p[1], small_iomem, sizeof(small_iomem) - 1),
			 (ssize_t)(sizeof(small_iomem) - 1));
	close(p[1]);
	assert_int_equal(finish(&c, out, sizeof(out)), 0);
	assert_string_equal(out, small_iomem);

	/* A named FIFO: opening it must not hang before saying anything. */
	fd = mkstemp(fifo);
	assert_true(fd >= 0);
	close(fd);
	unlink(fifo);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	fd = open("/dev/null", O_RDONLY);
	c = spawn(ARGS("iomem", fifo), fd);
	close(fd);
	err[0] = '\0';
	if (!wait_for(c.err, fifo, err, sizeof(err)))
		fail_msg("vmkit iomem FIFO said nothing: \"%s\"", err);
	assert_non_null(strstr(err, "waiting for data"));
	fd = open(fifo, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, small_iomem, sizeof(small_iomem) - 1),
			 (ssize_t)(sizeof(small_iomem) - 1));
	close(fd);
	assert_int_equal(finish(&c, out, sizeof(out)), 0);
	assert_string_equal(out, small_iomem);
	unlink(fifo);
}

/* A terminal on stdin: the tool says at once that it reads it. */
static void test_terminal_input(void **state)
{
	char err[4096] = "", out[4096];
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC), s;
	struct child c;

	(void)state;
	if (m < 0 || grantpt(m) || unlockpt(m))
		skip();
	s = open(ptsname(m), O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(s >= 0);
	c = spawn(ARGS("iomem", "-"), s);
	close(s);
	if (!wait_for(c.err, "standard input from the terminal", err, sizeof(err)))
		fail_msg("vmkit iomem - on a terminal said nothing: \"%s\"", err);
	/* One line, then end of input (^D at the start of a line). */
	assert_int_equal(write(m, small_iomem, sizeof(small_iomem) - 1),
			 (ssize_t)(sizeof(small_iomem) - 1));
	assert_int_equal(write(m, "\x04", 1), 1);
	assert_int_equal(finish(&c, out, sizeof(out)), 0);
	assert_string_equal(out, small_iomem);
	close(m);
}

/* ---- per-command findings ---- */

/* A 16 MiB machine has no room for the default 16 MiB kernel at 16 MiB: print the map anyway. */
static void test_memmap_without_default_kernel(void **state)
{
	static const char map[] = "BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable\n"
				  "BIOS-e820: [mem 0x0000000000100000-0x0000000000ffffff] usable\n";
	char path[] = "/tmp/vmkit-small-XXXXXX";
	struct cli_result r;

	(void)state;
	write_tmp(path, map, sizeof(map) - 1);
	r = cli_run(ARGS("memmap", "--dmesg", path));
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "00100000-00ffffff : System RAM"));
	assert_non_null(strstr(r.out, "Summary:"));
	assert_null(strstr(r.out, "Kernel image:"));
	assert_non_null(strstr(r.err, "warning: no free memory for the default"));
	cli_free(&r);
	r = cli_run(ARGS("memmap", "--dmesg", path, "--json"));
	assert_int_equal(r.status, 0);
	assert_int_equal(json_u64_field(strstr(r.out, "\"kernel\":"), "size"), 0);
	cli_free(&r);
	/* Asked for explicitly, it is still an error. */
	r = cli_run(ARGS("memmap", "--dmesg", path, "--kernel-size", "16M"));
	assert_int_equal(r.status, 1);
	cli_free(&r);
	unlink(path);
}

/* Free memory of this host per /proc/meminfo (0 if unknown). */
static uint64_t host_available(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	unsigned long long kb = 0;
	char line[256];

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return (uint64_t)kb * 1024;
}

/* phys --ram 64T --eager needs 512 GiB of page records: refused up front, naming it. */
static void test_phys_refuses_what_cannot_fit(void **state)
{
	struct child c;
	char err[4096] = "", out[65536];
	int in = open("/dev/null", O_RDONLY), st;

	(void)state;
	if (host_available() >= 600ull << 30)
		skip();		/* a host that could really hold it */
	c = spawn(ARGS("phys", "--ram", "64T", "--eager"), in);
	close(in);
	wait_for(c.err, "\n", err, sizeof(err));
	st = finish(&c, out, sizeof(out));
	/* Under TSan the simulated RAM itself cannot be mapped first: also bad data. */
	if (st != 1 || !((strstr(err, "512 GiB of page records") && strstr(err, "available")) ||
			 strstr(err, "cannot simulate")))
		fail_msg("status %d, stderr \"%s\"", st, err);
	check_format("phys", err);
}

static void test_phys_bad_outside_ram(void **state)
{
	struct cli_result r = cli_run(ARGS("phys", "--ram", "1G", "--bad", "0x900000000,0x2000"));

	(void)state;
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.err, "vmkit phys: warning: --bad 0x900000000 is not in RAM"));
	assert_null(strstr(r.err, "0x2000 is not"));
	cli_free(&r);
}

/* A parser warning shows with --machine in every command, as with --dmesg. */
static void test_machine_warnings(void **state)
{
	static const char map[] =
		"BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usable\n"
		"BIOS-e820: [mem 0x0000000000100000-0x000000007fffffff] usable\n"
		"efi: mem00: [Conventional|   |  |  |  |  |  |  |  |  |   |WB|WT|WC|UC] "
		"range=[0x0000000000000000-0x000000000009ffff] (0MB)\n";
	const char *const *cmds[3];
	char path[] = "/tmp/vmkit-warn-XXXXXX";

	(void)state;
	write_tmp(path, map, sizeof(map) - 1);
	cmds[0] = ARGS("phys", "--machine", path);
	cmds[1] = ARGS("kexec-plan", "--machine", path, "--kernel", "30M");
	cmds[2] = ARGS("phys", "--dmesg", path);
	for (size_t i = 0; i < 3; i++) {
		struct cli_result r = cli_run(cmds[i]);
		char want[128];

		snprintf(want, sizeof(want), "%s: warning: efi mem lines ignored", path);
		if (r.status != 0 || !strstr(r.err, want))
			fail_msg("vmkit %s %s: status %d, stderr \"%s\"", cmds[i][0], cmds[i][1],
				 r.status, r.err);
		cli_free(&r);
	}
	unlink(path);
}

/* Every "base" of the segments array lies in [lo, hi). Returns how many. */
static int segments_within(const char *json, uint64_t lo, uint64_t hi)
{
	const char *s = strstr(json, "\"segments\":["), *e;
	int n = 0;

	assert_non_null(s);
	e = strchr(s, ']');
	assert_non_null(e);
	for (const char *b = strstr(s, "\"base\":"); b && b < e; b = strstr(b + 1, "\"base\":")) {
		uint64_t v = strtoull(b + 7, NULL, 10);

		if (v < lo || v >= hi)
			fail_msg("segment at 0x%llx outside the crash kernel region",
				 (unsigned long long)v);
		n++;
	}
	return n;
}

/* The running kernel already reserved "Crash kernel": the kdump load goes there. */
static void test_kdump_into_existing_region(void **state)
{
	static const char io[] =
		"00000000-00000fff : Reserved\n"
		"00001000-0009fbff : System RAM\n"
		"000a0000-000fffff : Reserved\n"
		"00100000-bffdffff : System RAM\n"
		"  01000000-01ffffff : Kernel code\n"
		"  20000000-2fffffff : Crash kernel\n"
		"bffe0000-bfffffff : Reserved\n"
		"100000000-13fffffff : System RAM\n";
	char path[] = "/tmp/vmkit-crash-XXXXXX";
	struct cli_result r;

	(void)state;
	write_tmp(path, io, sizeof(io) - 1);
	r = cli_run(ARGS("kexec-plan", "--iomem", path, "--kernel", "30M", "--crashkernel", "256M",
			 "--json"));
	assert_int_equal(r.status, 0);
	assert_int_equal(json_u64_field(strstr(r.out, "\"crashkernel\":"), "base"), 0x20000000);
	assert_true(segments_within(r.out, 0x20000000, 0x30000000) >= 4);
	assert_non_null(strstr(r.err, "warning: has a Crash kernel region"));
	cli_free(&r);
	r = cli_run(ARGS("kexec-plan", "--iomem", path, "--kernel", "30M", "--kdump", "--json"));
	assert_int_equal(r.status, 0);
	assert_true(segments_within(r.out, 0x20000000, 0x30000000) >= 4);
	cli_free(&r);
	unlink(path);
	r = cli_run(ARGS("kexec-plan", "--iomem", th_data_path("memmaps/iomem-x86-centos6.txt"),
			 "--kernel", "30M", "--kdump"));
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "no Crash kernel region"));
	cli_free(&r);
}

/* A file of the source tree (tests run from the top or from tests/). */
static char *tree_file(const char *rel)
{
	static const char *const roots[] = { ".", ".." };
	char path[4096];

	for (size_t i = 0; i < 2; i++) {
		size_t len;
		char *t;

		snprintf(path, sizeof(path), "%s/%s", roots[i], rel);
		if (access(path, R_OK) == 0 && (t = th_read_file(path, &len)) != NULL)
			return t;
	}
	fail_msg("cannot find %s", rel);
	return NULL;
}

/*
 * README's tool table has a row for every command `vmkit --help` lists
 * and says how to read stdin; every docs/ file the Makefile header cites
 * exists.
 */
static void test_docs_list_the_tool(void **state)
{
	struct cli_result r = cli_run(ARGS("--help"));
	char *readme = tree_file("README.md"), *mk = tree_file("Makefile"), *line, *save = NULL;
	int ncmd = 0;

	(void)state;
	assert_int_equal(r.status, 0);
	line = strstr(r.out, "commands:");
	assert_non_null(line);
	/* The command table ends at the first empty line (exit status, json follow). */
	assert_non_null(strstr(line, "\n\n"));
	strstr(line, "\n\n")[1] = '\0';
	for (line = strtok_r(line, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[64], want[96];

		if (strncmp(line, "  ", 2) || sscanf(line + 2, "%63[a-z0-9-]", name) != 1)
			continue;
		snprintf(want, sizeof(want), "| `vmkit %s", name);
		if (!strstr(readme, want))
			fail_msg("README's tool table lacks %s", name);
		ncmd++;
	}
	assert_true(ncmd >= 5);
	assert_non_null(strstr(readme, "`-` reads standard input"));
	/* The Makefile's header comment: every docs/NAME.md it names exists. */
	for (char *p = mk; *p == '#' || *p == '\n'; p = strchr(p, '\n') + 1) {
		char *eol = strchr(p, '\n'), *d;

		assert_non_null(eol);
		for (d = strstr(p, "docs/"); d && d < eol; d = strstr(d + 1, "docs/")) {
			char doc[128];
			size_t n = strspn(d, "abcdefghijklmnopqrstuvwxyz0123456789-_./");

			snprintf(doc, sizeof(doc), "%.*s", (int)n, d);
			if (doc[n - 1] == '.')
				doc[n - 1] = '\0';
			free(tree_file(doc));
		}
	}
	free(readme);
	free(mk);
	cli_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_checker),
		cmocka_unit_test(test_json_any_bytes),
		cmocka_unit_test(test_one_error_format),
		cmocka_unit_test(test_repeated_options),
		cmocka_unit_test(test_crash_size_status),
		cmocka_unit_test(test_waiting_inputs),
		cmocka_unit_test(test_terminal_input),
		cmocka_unit_test(test_memmap_without_default_kernel),
		cmocka_unit_test(test_phys_refuses_what_cannot_fit),
		cmocka_unit_test(test_phys_bad_outside_ram),
		cmocka_unit_test(test_machine_warnings),
		cmocka_unit_test(test_kdump_into_existing_region),
		cmocka_unit_test(test_docs_list_the_tool),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
