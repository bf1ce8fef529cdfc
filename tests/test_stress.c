/*
 * `vmkit stress`, short: a 2-second soak on each architecture (make check
 * runs it in the normal build and under SAN=1 / TSAN=1) must pass every
 * checkpoint and balance; the same soak with a bug injected on purpose
 * (no shootdowns, a leaked page, a kernel mapping left over a freed
 * frame) must fail naming what broke; bad
 * arguments are usage errors.
 */
#include <string.h>

#include "cli_util.h"
#include "harness.h"

static char seed_arg[32];

static const char *seed(void)
{
	if (!seed_arg[0])
		snprintf(seed_arg, sizeof(seed_arg), "%lu", th_seed());
	return seed_arg;
}

static void soak(const char *arch, const char *cpus)
{
	const char *args[] = { "stress", "--cpus", cpus, "--seconds", "2", "--check-ms", "250", "--seed", seed(),
			       "--arch", arch, "--json", NULL };
	struct cli_result r = cli_run(args);

	if (r.status != 0)
		fail_msg("stress --arch %s --seed %s: status %d\n%s", arch, seed(), r.status, r.err);
	assert_non_null(strstr(r.out, "\"balanced\":true"));
	assert_non_null(strstr(r.out, "\"error\":\"\""));
	assert_true(json_u64_field(r.out, "seed") == strtoull(seed(), NULL, 10));
	assert_true(json_u64_field(r.out, "ops") > 0);
	/* Every interval's checkpoint and the final one. */
	assert_true(json_u64_field(r.out, "checks") >= 2);
	/* The CPUs share an address space and read each other's pages. */
	assert_true(json_u64_field(r.out, "shootdowns") > 0);
	/* The progress line and the seed go to stderr. */
	assert_non_null(strstr(r.err, "ops/s"));
	assert_non_null(strstr(r.err, "--seed"));
	printf("stress %s: %llu ops, %llu checks, %llu injected failures\n", arch,
	       (unsigned long long)json_u64_field(r.out, "ops"), (unsigned long long)json_u64_field(r.out, "checks"),
	       (unsigned long long)json_u64_field(r.out, "faults_injected"));
	cli_free(&r);
}

static void test_x86_64(void **state)
{
	soak("x86_64", "3");
}

static void test_arm64(void **state)
{
	soak("arm64", "2");
}

static void test_riscv64(void **state)
{
	soak("riscv64", "2");
}

/* A soak that cannot fail proves nothing: break the pmap's shootdowns, the run must say so. */
static void test_mutant_no_shootdown(void **state)
{
	const char *args[] = { "stress", "--cpus", "3", "--seconds", "2", "--check-ms", "200", "--seed", seed(),
			       "--inject-bug", "shootdown", NULL };
	struct cli_result r = cli_run(args);

	assert_int_equal(r.status, 1);
	/* The TLB audit at a checkpoint, or a CPU whose access through its TLB disagreed with the tables. */
	if (!strstr(r.err, "TLB") && !strstr(r.err, "break-before-make"))
		fail_msg("the missing shootdowns were not reported as such:\n%s", r.err);
	assert_null(strstr(r.out, "balanced       yes"));
	cli_free(&r);
}

static void test_mutant_leak(void **state)
{
	const char *args[] = { "stress", "--cpus", "2", "--seconds", "1", "--seed", seed(), "--arch", "arm64",
			       "--inject-bug", "leak", "--json", NULL };
	struct cli_result r = cli_run(args);

	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "allocated frames: 1 more than at the start"));
	assert_non_null(strstr(r.out, "\"balanced\":false"));
	cli_free(&r);
}

/* A frame freed while the kernel still maps it: no frame leaks, a mapping does; the books must say so. */
static void test_mutant_kernel_mapping_left(void **state)
{
	const char *args[] = { "stress", "--cpus", "2", "--seconds", "1", "--seed", seed(), "--arch", "riscv64",
			       "--inject-bug", "kmap", "--json", NULL };
	struct cli_result r = cli_run(args);

	if (r.status != 1 || !strstr(r.err, "kernel mappings: 1 pages more than kmem accounts for"))
		fail_msg("a kernel mapping left over a freed frame was not reported: status %d\n%s", r.status, r.err);
	assert_non_null(strstr(r.out, "\"balanced\":false"));
	cli_free(&r);
}

static void test_usage(void **state)
{
	static const char *const bad[][4] = {
		{ "--cpus", "0" }, { "--cpus", "17" }, { "--cpus", "two" }, { "--seconds", "0" },
		{ "--seconds", "86401" }, { "--arch", "sparc" }, { "--ram", "100M" }, { "--ram", "129M" },
		{ "--check-ms", "5" }, { "--inject-bug", "typo" }, { "--bogus" }, { "--cpus" },
		{ "--json", "--json" }, { "--seed", "1", "--seed", "2" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *args[6] = { "stress" };
		struct cli_result r;

		for (size_t k = 0; k < 4 && bad[i][k]; k++)
			args[k + 1] = bad[i][k];
		r = cli_run(args);
		if (r.status != 2 || !strstr(r.err, "vmkit stress: error:"))
			fail_msg("stress %s %s: status %d (want 2), stderr:\n%s", bad[i][0], bad[i][1] ? bad[i][1] : "",
				 r.status, r.err);
		cli_free(&r);
	}
}

static void test_help(void **state)
{
	const char *args[] = { "stress", "--help", NULL };
	struct cli_result r = cli_run(args);

	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "usage: vmkit stress"));
	assert_non_null(strstr(r.out, "Exit status:"));
	cli_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_x86_64),
		cmocka_unit_test(test_arm64),
		cmocka_unit_test(test_riscv64),
		cmocka_unit_test(test_mutant_no_shootdown),
		cmocka_unit_test(test_mutant_leak),
		cmocka_unit_test(test_mutant_kernel_mapping_left),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
