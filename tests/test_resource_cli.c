/*
 * Tests of `vmkit iomem`: the command's function is compiled into this test
 * (tools/ objects are not linked into tests), stdout and stderr captured.
 */
#include "resource_th.h"
#include <unistd.h>

#include "../tools/vmkit/cmd_iomem.c"
#include "../tools/vmkit/util.c"

struct captured {
	int rc;
	char *out, *err;
};

static char *slurp(FILE *f)
{
	long n;
	char *s;

	fflush(f);
	n = ftell(f);
	s = calloc(1, (size_t)n + 1);
	assert_non_null(s);
	rewind(f);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	return s;
}

static struct captured run_cmd(int argc, char **argv)
{
	struct captured c;
	FILE *fo = tmpfile(), *fe = tmpfile();
	int so = dup(1), se = dup(2);

	assert_non_null(fo);
	assert_non_null(fe);
	fflush(stdout);
	fflush(stderr);
	dup2(fileno(fo), 1);
	dup2(fileno(fe), 2);
	c.rc = vmkit_cmd_iomem(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	fseek(fo, 0, SEEK_END);
	fseek(fe, 0, SEEK_END);
	c.out = slurp(fo);
	c.err = slurp(fe);
	fclose(fo);
	fclose(fe);
	return c;
}

static void test_round_trip_files(void **state)
{
	const char *files[] = { "memmaps/iomem-x86-centos6.txt", "memmaps/iomem-arm64-nested.txt" };

	(void)state;
	for (size_t i = 0; i < VMK_ARRAY_SIZE(files); i++) {
		char path[4096], *want = th_read_data(files[i], NULL);
		char *argv[] = { "iomem", path, NULL };
		struct captured c;

		snprintf(path, sizeof(path), "%s", th_data_path(files[i]));
		c = run_cmd(2, argv);
		assert_int_equal(c.rc, 0);
		assert_string_equal(c.out, want);
		assert_string_equal(c.err, "");
		free(c.out);
		free(c.err);
		free(want);
	}
}

static void test_usable_and_json(void **state)
{
	char path[4096];
	char *argv[] = { "iomem", "--usable", path, NULL };
	struct captured c;

	(void)state;
	snprintf(path, sizeof(path), "%s", th_data_path("memmaps/iomem-arm64-nested.txt"));
	c = run_cmd(3, argv);
	assert_int_equal(c.rc, 0);
	/* 0x154000 + 0x6b000 + 0x17a0000 + 0xae0000 + 0x7c88000, by hand. */
	assert_string_equal(c.out, "14000000-14153fff : usable\n"
				   "14155000-141bffff : usable\n"
				   "14bd0000-1636ffff : usable\n"
				   "16870000-1734ffff : usable\n"
				   "17378000-1effffff : usable\n"
				   "total usable: 168587264 bytes\n");
	free(c.out);
	free(c.err);
	/* RAM over the whole address space: 2^64 bytes, not a wrapped 0. */
	{
		char tmp[] = "/tmp/vmkit-iomem-all-XXXXXX";
		int fd = mkstemp(tmp);
		static const char all[] = "00000000-ffffffffffffffff : System RAM\n";
		char *av[] = { "iomem", "--usable", tmp, NULL };

		assert_true(fd >= 0);
		assert_int_equal(write(fd, all, sizeof(all) - 1), (ssize_t)(sizeof(all) - 1));
		close(fd);
		c = run_cmd(3, av);
		assert_int_equal(c.rc, 0);
		assert_string_equal(c.out, "00000000-ffffffffffffffff : usable\n"
					   "total usable: 18446744073709551616 bytes\n");
		free(c.out);
		free(c.err);
		unlink(tmp);
	}
	argv[1] = "--json";
	c = run_cmd(3, argv);
	assert_int_equal(c.rc, 0);
	assert_true(strncmp(c.out, "[\n  {\"start\": 268435456, \"end\": 270532607, \"name\": \"reserved\"", 61) == 0);
	assert_non_null(strstr(c.out, "{\"start\": 336936960, \"end\": 336941055, \"name\": \"reserved\", "
				      "\"flags\": [\"MEM\"], \"desc\": \"reserved\", \"children\": []}"));
	assert_true(c.out[strlen(c.out) - 2] == ']');
	free(c.out);
	free(c.err);
}

static void test_errors_and_usage(void **state)
{
	char path[] = "/tmp/vmk-iomem-XXXXXX";
	int fd = mkstemp(path);
	const char bad[] = "00000000-0000ffff : a\n  00000000-00000fff : b\n  00000800-00001fff : c\n";
	char *argv[] = { "iomem", path, NULL }, want[256];
	char *help[] = { "iomem", "--help", NULL }, *none[] = { "iomem", NULL };
	char *bogus[] = { "iomem", "--bogus", path, NULL }, *two[] = { "iomem", path, path, NULL };
	char *missing[] = { "iomem", "/nonexistent/vmk-iomem", NULL };
	struct captured c;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, bad, sizeof(bad) - 1), (ssize_t)sizeof(bad) - 1);
	close(fd);
	c = run_cmd(2, argv);
	assert_int_equal(c.rc, 1);
	snprintf(want, sizeof(want), "%s:3: error: siblings overlap: 800-1fff overlaps 0-fff (b)\n", path);
	assert_string_equal(c.err, want);
	assert_string_equal(c.out, "");
	free(c.out);
	free(c.err);
	unlink(path);

	c = run_cmd(2, help);
	assert_int_equal(c.rc, 0);
	assert_non_null(strstr(c.out, "usage: vmkit iomem"));
	free(c.out);
	free(c.err);
	c = run_cmd(1, none);
	assert_int_equal(c.rc, 2);
	free(c.out);
	free(c.err);
	c = run_cmd(3, bogus);
	assert_int_equal(c.rc, 2);
	assert_non_null(strstr(c.err, "unknown option '--bogus'"));
	free(c.out);
	free(c.err);
	c = run_cmd(3, two);
	assert_int_equal(c.rc, 2);
	free(c.out);
	free(c.err);
	c = run_cmd(2, missing);
	assert_int_equal(c.rc, 1);
	assert_non_null(strstr(c.err, "/nonexistent/vmk-iomem"));
	free(c.out);
	free(c.err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_files),
		cmocka_unit_test(test_usable_and_json),
		cmocka_unit_test(test_errors_and_usage),
	};

	vmk_sim_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
