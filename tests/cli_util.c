#include "harness.h"
#include "cli_util.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static char *slurp_fd(int fd)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	ssize_t r;

	assert_non_null(buf);
	while ((r = read(fd, buf + n, cap - n - 1)) > 0) {
		n += (size_t)r;
		if (cap - n < 4096) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	buf[n] = '\0';
	return buf;
}

struct cli_result cli_run_as_limit(const char *const *args, uint64_t as_bytes)
{
	const char *bin = getenv("VMKIT_BIN");
	char outname[] = "/tmp/vmkit-cli-out-XXXXXX", errname[] = "/tmp/vmkit-cli-err-XXXXXX";
	int ofd = mkstemp(outname), efd = mkstemp(errname);
	struct cli_result res;
	const char *argv[1024];
	size_t n = 0;
	pid_t pid;
	int st;

	assert_true(ofd >= 0 && efd >= 0);
	unlink(outname);
	unlink(errname);
	if (!bin)
		bin = "build/vmkit";
	argv[n++] = bin;
	for (; args[n - 1] && n < 1023; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		struct rlimit rl = { as_bytes, as_bytes };

		if (as_bytes && setrlimit(RLIMIT_AS, &rl))
			_exit(126);
		dup2(in, 0);
		dup2(ofd, 1);
		dup2(efd, 2);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	assert_true(waitpid(pid, &st, 0) == pid);
	res.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	if (res.status == 127)
		fail_msg("cannot run %s (set VMKIT_BIN)", bin);
	lseek(ofd, 0, SEEK_SET);
	lseek(efd, 0, SEEK_SET);
	res.out = slurp_fd(ofd);
	res.err = slurp_fd(efd);
	close(ofd);
	close(efd);
	return res;
}

struct cli_result cli_run(const char *const *args)
{
	return cli_run_as_limit(args, 0);
}

void cli_free(struct cli_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

uint64_t json_u64_field(const char *json, const char *key)
{
	char pat[128];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(json, pat);
	if (!p)
		fail_msg("JSON has no key %s", key);
	return strtoull(p + strlen(pat), NULL, 10);
}

void cli_read_listing(const char *name, struct cli_listing *l)
{
	char *text = th_read_data(name, NULL);
	char *save = NULL;

	memset(l, 0, sizeof(*l));
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned type;
		char tname[64];
		unsigned long long first, last, pages, attr;

		if (line[0] == '#')
			continue;
		assert_int_equal(sscanf(line, "%u %63s phys %llx-%llx pages %llu attr %llx",
					&type, tname, &first, &last, &pages, &attr), 6);
		assert_true(type < 16);
		assert_true(last - first + 1 == pages * 4096);
		l->bytes[type] += pages * 4096;
		if (type == 11 && (attr & 0xe))	/* MMIO mappable WB/WT/WC: arm64 memory */
			l->mmio_cached += pages * 4096;
		l->entries++;
	}
	free(text);
}
