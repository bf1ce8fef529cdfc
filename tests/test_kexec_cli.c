/* vmkit kexec-plan: JSON keys, exit statuses, nonsense arguments and files. */
#include "harness.h"
#include "cli_util.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static const char *iomem(void)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s", th_data_path("memmaps/iomem-x86-centos6.txt"));
	return path;
}

/* The text between the first "key":[ and its closing bracket (no nesting inside). */
static char *array_of(const char *json, const char *key)
{
	char pat[64];
	const char *s, *e;

	snprintf(pat, sizeof(pat), "\"%s\":[", key);
	s = strstr(json, pat);
	assert_non_null(s);
	s += strlen(pat);
	e = strchr(s, ']');
	assert_non_null(e);
	return strndup(s, (size_t)(e - s));
}

/* Every {...} object of an array has each of the keys. Returns the object count. */
static int objects_have(const char *arr, const char *const *keys)
{
	int n = 0;

	for (const char *o = strchr(arr, '{'); o; o = strchr(o + 1, '{')) {
		const char *end = strchr(o, '}');
		char *obj;

		assert_non_null(end);
		obj = strndup(o, (size_t)(end - o + 1));
		for (size_t k = 0; keys[k]; k++) {
			char pat[64];

			snprintf(pat, sizeof(pat), "\"%s\":", keys[k]);
			if (!strstr(obj, pat))
				fail_msg("object %s lacks \"%s\"", obj, keys[k]);
		}
		free(obj);
		n++;
	}
	return n;
}

static void test_json_keys(void **state)
{
	static const char *const seg_keys[] = { "name", "base", "size", "memsz", NULL };
	static const char *const excl_keys[] = { "base", "size", "reason", NULL };
	struct cli_result r;
	char *segs, *excl;

	(void)state;
	r = cli_run(ARGS("kexec-plan", "--iomem", iomem(), "--kernel", "30M", "--initrd", "20M",
			 "--json"));
	assert_int_equal(r.status, 0);
	segs = array_of(r.out, "segments");
	excl = array_of(r.out, "excluded");
	/* boot_params, cmdline, kernel, initrd; each placed segment is also excluded. */
	assert_int_equal(objects_have(segs, seg_keys), 4);
	assert_true(objects_have(excl, excl_keys) >= 4);
	assert_non_null(strstr(segs, "\"name\":\"initrd\""));
	free(segs);
	free(excl);
	cli_free(&r);
}

static void expect(const char *const *args, int status, const char *needle)
{
	struct cli_result r = cli_run(args);

	if (r.status != status || !strstr(r.err, needle))
		fail_msg("kexec-plan %s %s: status %d (want %d), stderr \"%s\" (want \"%s\")",
			 args[1] ? args[1] : "", args[2] ? args[2] : "", r.status, status, r.err,
			 needle);
	cli_free(&r);
}

static void test_bad_arguments(void **state)
{
	(void)state;
	expect(ARGS("kexec-plan"), 2, "exactly one of --iomem");
	expect(ARGS("kexec-plan", "--iomem"), 2, "needs an argument");
	expect(ARGS("kexec-plan", "--iomem", iomem()), 2, "--kernel FILE|SIZE is required");
	expect(ARGS("kexec-plan", "--iomem", iomem(), "--kernel", "30M", "--bogus"), 2,
	       "unknown option '--bogus'");
	expect(ARGS("kexec-plan", "--iomem", iomem(), "--kernel", "30M", "--arch", "mips"), 2,
	       "--arch mips: use x86_64, arm64 or riscv64");
	expect(ARGS("kexec-plan", "--iomem", iomem(), "--kernel", "lots"), 2, "not a size");
	expect(ARGS("kexec-plan", "--iomem", iomem(), "--kernel", "30M", "--crashkernel", "1G-:"), 2,
	       "crashkernel=1G-:");
	/* Data that cannot work: status 1 with the reason. */
	expect(ARGS("kexec-plan", "--iomem", "/nonexistent/iomem", "--kernel", "30M"), 1,
	       "/nonexistent/iomem");
	expect(ARGS("kexec-plan", "--iomem", iomem(), "--kernel", "30M", "--arch", "arm64"), 1,
	       "device tree is required");
	expect(ARGS("kexec-plan", "--iomem", iomem(), "--kernel", "30M", "--initrd", "100G"), 1,
	       "segment 'initrd'");
	expect(ARGS("kexec-plan", "--iomem", iomem(), "--kernel", "30M", "--crashkernel", "0"), 1,
	       "reserves nothing");
	/*
	 * A kernel SIZE is a synthetic file of SIZE + 2 KiB of setup: one that
	 * wraps 64 bits must say so, not "file is 2047 bytes, less than its setup".
	 */
	expect(ARGS("kexec-plan", "--iomem", iomem(), "--kernel", "18446744073709551615"), 1,
	       "--kernel 18446744073709551615: too large");
}

/*
 * Run the tool on a device that never ends. The fix refuses it up front;
 * without it the tool would read forever, so the child gets an address
 * space limit and an alarm (not under the sanitizers, whose shadow memory
 * needs the address space).
 */
static struct cli_result run_bounded(const char *const *args)
{
	char errname[] = "/tmp/vmkit-kexec-cli-XXXXXX";
	int efd = mkstemp(errname), st;
	const char *bin = getenv("VMKIT_BIN");
	const char *argv[16];
	struct cli_result res = { 0 };
	size_t n = 0;
	pid_t pid;

	assert_true(efd >= 0);
	unlink(errname);
	argv[n++] = bin ? bin : "build/vmkit";
	for (; args[n - 1] && n < 15; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);

		dup2(nul, 0);
		dup2(nul, 1);
		dup2(efd, 2);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
		{
			struct rlimit rl = { 1ul << 30, 1ul << 30 };

			setrlimit(RLIMIT_AS, &rl);
		}
#endif
		alarm(20);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	assert_true(waitpid(pid, &st, 0) == pid);
	res.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	res.err = calloc(1, 4096);
	assert_non_null(res.err);
	lseek(efd, 0, SEEK_SET);
	assert_true(read(efd, res.err, 4095) >= 0);
	close(efd);
	return res;
}

static void test_device_files(void **state)
{
	static const char *const opts[] = { "--iomem", "--machine" };
	struct cli_result r;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		r = run_bounded(ARGS("kexec-plan", opts[i], "/dev/zero", "--kernel", "30M"));
		if (r.status != 1 || !strstr(r.err, "/dev/zero: error: ") ||
		    !strstr(r.err, "not a regular file"))
			fail_msg("%s /dev/zero: status %d, stderr \"%s\"", opts[i], r.status, r.err);
		free(r.err);
	}
	r = run_bounded(ARGS("kexec-plan", "--iomem", iomem(), "--kernel", "30M", "--initrd",
			     "/dev/zero"));
	if (r.status != 1 || !strstr(r.err, "/dev/zero: error: --initrd: not a regular file"))
		fail_msg("--initrd /dev/zero: status %d, stderr \"%s\"", r.status, r.err);
	free(r.err);
	r = run_bounded(ARGS("kexec-plan", "--iomem", "/tmp", "--kernel", "30M"));
	if (r.status != 1 || !strstr(r.err, "/tmp: error: --iomem: not a regular file"))
		fail_msg("--iomem /tmp: status %d, stderr \"%s\"", r.status, r.err);
	free(r.err);
}

/* A file with these bytes; returns its path (static buffer per slot). */
static const char *tmpfile_with(int slot, const void *data, size_t len)
{
	static char paths[4][64];
	int fd;

	snprintf(paths[slot], sizeof(paths[slot]), "/tmp/vmkit-kexec-rv-XXXXXX");
	fd = mkstemp(paths[slot]);
	assert_true(fd >= 0);
	assert_true(write(fd, data, len) == (ssize_t)len);
	close(fd);
	return paths[slot];
}

static void put_le(uint8_t *b, size_t off, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		b[off + i] = (uint8_t)(v >> (8 * i));
}

/*
 * kexec-plan --arch riscv64 on a QEMU-virt-like /proc/iomem (RAM from
 * 2 GiB, OpenSBI's range reserved): the kernel 2 MiB aligned as low as
 * possible, a real header read from a file, malformed headers refused
 * with status 1 and a message naming the kernel file and the field.
 */
static void test_riscv64(void **state)
{
	static const char iomem_rv[] =
		"10000000-100000ff : serial\n"
		"80000000-8003ffff : Reserved\n"
		"80040000-bfffffff : System RAM\n"
		"  80200000-80ffffff : Kernel image\n"
		"  bf000000-bf00ffff : reserved\n";
	uint8_t hdr[4096] = { 0 };
	const char *map, *img;
	struct cli_result r;
	char want[256];

	(void)state;
	map = tmpfile_with(0, iomem_rv, sizeof(iomem_rv) - 1);
	r = cli_run(ARGS("kexec-plan", "--iomem", map, "--arch", "riscv64", "--kernel", "30M",
			 "--initrd", "8M", "--dtb", "64K", "--json"));
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"arch\":\"riscv64\""));
	/* 0x80200000: the first 2 MiB boundary in RAM. */
	assert_non_null(strstr(r.out, "{\"name\":\"kernel\",\"base\":2149580800,"));
	cli_free(&r);

	/* A header version 0.2 file: image_size 40 MiB, text_offset 4 MiB (the alignment). */
	put_le(hdr, 0x08, 0x400000, 8);
	put_le(hdr, 0x10, 40 * VMK_MiB, 8);
	put_le(hdr, 0x20, 2, 4);
	memcpy(hdr + 0x38, "RSC\x05", 4);
	img = tmpfile_with(1, hdr, sizeof(hdr));
	r = cli_run(ARGS("kexec-plan", "--iomem", map, "--arch", "riscv", "--kernel", img,
			 "--dtb", "64K", "--json"));
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "{\"name\":\"kernel\",\"base\":2151677952,\"size\":4096,"
				"\"memsz\":41943040,\"align\":4194304"));
	cli_free(&r);
	unlink(img);

	/* Malformed: no magic, reserved flags, image_size 0, a file too short. */
	hdr[0x38] = 'X';
	img = tmpfile_with(1, hdr, sizeof(hdr));
	snprintf(want, sizeof(want), "%s: error: riscv64 Image: no \"RSC\\x05\" magic at 0x38", img);
	expect(ARGS("kexec-plan", "--iomem", map, "--arch", "riscv64", "--kernel", img, "--dtb", "64K"),
	       1, want);
	unlink(img);
	hdr[0x38] = 'R';
	put_le(hdr, 0x18, 0x80, 8);
	img = tmpfile_with(1, hdr, sizeof(hdr));
	expect(ARGS("kexec-plan", "--iomem", map, "--arch", "riscv64", "--kernel", img, "--dtb", "64K"),
	       1, "flags 0x80 set reserved bits 1-63");
	unlink(img);
	put_le(hdr, 0x18, 0, 8);
	put_le(hdr, 0x10, 0, 8);
	img = tmpfile_with(1, hdr, sizeof(hdr));
	expect(ARGS("kexec-plan", "--iomem", map, "--arch", "riscv64", "--kernel", img, "--dtb", "64K"),
	       1, "image_size is 0");
	unlink(img);
	img = tmpfile_with(1, hdr, 40);
	expect(ARGS("kexec-plan", "--iomem", map, "--arch", "riscv64", "--kernel", img, "--dtb", "64K"),
	       1, "40 bytes is too short");
	unlink(img);
	/* Not a riscv64 Image: the magic says what was found. */
	memset(hdr, 0, sizeof(hdr));
	put_le(hdr, 0x10, 40 * VMK_MiB, 8);
	put_le(hdr, 0x38, 0x644d5241, 4);
	img = tmpfile_with(1, hdr, sizeof(hdr));
	expect(ARGS("kexec-plan", "--iomem", map, "--arch", "riscv64", "--kernel", img, "--dtb", "64K"),
	       1, "(found 0x644d5241): not a riscv64 Image");
	unlink(img);
	expect(ARGS("kexec-plan", "--iomem", map, "--arch", "riscv64", "--kernel", "30M"), 1,
	       "riscv64: a device tree is required");
	unlink(map);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_keys),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_device_files),
		cmocka_unit_test(test_riscv64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
