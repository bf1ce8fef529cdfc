/* Review of issue 9, the tool: each test here failed before its fix. */
#include "harness.h"
#include "cli_util.h"

#include <unistd.h>

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void put_le(unsigned char *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* A QEMU-like E820 table of 5 entries, esz bytes each (24: ACPI 3.0 attributes 1). */
static size_t e820_table(unsigned char *buf, size_t esz)
{
	static const uint64_t e[][3] = {
		{ 0, 0x9fc00, 1 }, { 0x9fc00, 0x400, 2 }, { 0xf0000, 0x10000, 2 },
		{ 0x100000, 0xbfee0000, 1 }, { 0xbffe0000, 0x20000, 2 },
	};
	for (size_t i = 0; i < 5; i++) {
		put_le(buf + i * esz, e[i][0], 8);
		put_le(buf + i * esz + 8, e[i][1], 8);
		put_le(buf + i * esz + 16, e[i][2], 4);
		if (esz == 24)
			put_le(buf + i * esz + 20, 1, 4);
	}
	return 5 * esz;
}

static void write_tmp(char *path, const void *data, size_t len)
{
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/*
 * --machine is "any of the above, detected from the content": a binary
 * E820 table (what --e820 reads) was always taken for a UEFI map and
 * refused.
 */
static void test_machine_reads_binary_e820(void **state)
{
	unsigned char buf[5 * 24];
	char path[] = "/tmp/vmkit-review9-XXXXXX";
	struct cli_result r;

	(void)state;
	for (size_t esz = 20; esz <= 24; esz += 4) {
		write_tmp(path, buf, e820_table(buf, esz));
		r = cli_run(ARGS("memmap", "--machine", path));
		if (r.status != 0 || !strstr(r.out, "(e820, 5 entries read"))
			print_error("esz %zu: status %d\nstdout:\n%s\nstderr:\n%s\n", esz, r.status,
				    r.out, r.err);
		assert_int_equal(r.status, 0);
		assert_non_null(strstr(r.out, "(e820, 5 entries read"));
		cli_free(&r);
		unlink(path);
		memcpy(path + sizeof(path) - 7, "XXXXXX", 6);
	}
}

/*
 * Issue 9: a binary E820 table whose size fits 20- and 24-byte entries and
 * that reads well under neither is refused ("give the entry size"):
 * --e820-entry-size 20|24 must exist to give it.
 */
static void test_e820_entry_size_option(void **state)
{
	unsigned char buf[10 * 24];
	char path[] = "/tmp/vmkit-review9-XXXXXX";
	struct cli_result r;

	(void)state;
	memset(buf, 0, sizeof(buf));
	e820_table(buf, 24);
	/* Four more entries, one of them empty: 240 bytes, 12 x 20 or 10 x 24. */
	e820_table(buf + 5 * 24, 24);
	for (size_t i = 5; i < 9; i++)
		put_le(buf + i * 24, 0x100000000ull * i, 8);
	memset(buf + 9 * 24, 0, 24);
	write_tmp(path, buf, sizeof(buf));
	r = cli_run(ARGS("memmap", "--e820", path));
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "give the entry size"));
	cli_free(&r);
	r = cli_run(ARGS("memmap", "--e820", path, "--e820-entry-size", "24"));
	if (r.status != 0)
		print_error("stdout:\n%s\nstderr:\n%s\n", r.out, r.err);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "(e820, 9 entries read"));	/* the empty one is skipped */
	cli_free(&r);
	r = cli_run(ARGS("memmap", "--e820", path, "--e820-entry-size", "22"));
	assert_int_equal(r.status, 2);
	cli_free(&r);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_machine_reads_binary_e820),
		cmocka_unit_test(test_e820_entry_size_option),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
