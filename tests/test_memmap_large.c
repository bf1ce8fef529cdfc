/*
 * Maps larger than the tool's old fixed limits (2048 parsed entries, 4096
 * /proc/iomem nodes): the buffers grow instead of refusing a real map of a
 * large server or a long journal.
 */
#include "harness.h"
#include "cli_util.h"

#include <unistd.h>

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* Write text to a temporary file; returns its path (caller unlinks and frees). */
static char *temp_file(const char *text)
{
	char *path = strdup("/tmp/vmkit-large-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_e820_5000_entries(void **state)
{
	size_t n = 5000, cap = n * 80 + 1, o = 0;
	char *text = malloc(cap), *path;
	struct cli_result r;

	(void)state;
	/* alternating 1 MiB usable / 64 KiB reserved ranges from 4 GiB up */
	for (size_t i = 0; i < n; i++) {
		uint64_t base = 0x100000000ull + i * 0x200000ull;

		o += (size_t)snprintf(text + o, cap - o, "BIOS-e820: [mem 0x%016llx-0x%016llx] %s\n",
				      (unsigned long long)base,
				      (unsigned long long)(base + (i % 2 ? 0xffff : 0xfffff)),
				      i % 2 ? "reserved" : "usable");
	}
	path = temp_file(text);
	r = cli_run(ARGS("memmap", "--e820", path, "--json", "--kernel-size", "0",
			 "--reserve-low", "0"));
	if (r.status != 0)
		fail_msg("status %d: %s", r.status, r.err);
	assert_int_equal(json_u64_field(r.out, "entries_read"), n);
	assert_int_equal(json_u64_field(r.out, "ram_bytes"), (n / 2) * 0x100000ull);
	/* memblock's grown region arrays take a few pages of it */
	assert_true(json_u64_field(r.out, "usable_bytes") > (n / 2 - 1) * 0x100000ull);
	cli_free(&r);
	unlink(path);
	free(path);
	free(text);
}

static void test_iomem_6000_nodes(void **state)
{
	size_t n = 3000, cap = n * 100 + 1, o = 0;
	char *text = malloc(cap), *path;
	struct cli_result r;

	(void)state;
	/* 3000 System RAM ranges, each with one nested reserved page: 6000 nodes */
	for (size_t i = 0; i < n; i++) {
		uint64_t base = 0x100000000ull + i * 0x400000ull;

		o += (size_t)snprintf(text + o, cap - o,
				      "%llx-%llx : System RAM\n  %llx-%llx : reserved\n",
				      (unsigned long long)base, (unsigned long long)(base + 0x1fffff),
				      (unsigned long long)base, (unsigned long long)(base + 0xfff));
	}
	path = temp_file(text);
	r = cli_run(ARGS("memmap", "--iomem", path, "--json", "--kernel-size", "0",
			 "--reserve-low", "0", "--arch", "x86_64"));
	if (r.status != 0)
		fail_msg("status %d: %s", r.status, r.err);
	assert_int_equal(json_u64_field(r.out, "ram_bytes"), n * 0x200000ull);
	/* the nested pages, plus the pages of memblock's grown region arrays */
	assert_true(json_u64_field(r.out, "reserved_bytes") >= n * 0x1000ull);
	assert_true(json_u64_field(r.out, "reserved_bytes") < n * 0x1000ull + 0x100000);
	cli_free(&r);
	unlink(path);
	free(path);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_e820_5000_entries),
		cmocka_unit_test(test_iomem_6000_nodes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
