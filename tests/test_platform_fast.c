/*
 * The inline hot-path platform wrappers (vmk_fault_fast, vmk_cpu_id_fast)
 * give the same answers as vmk_fault and vmk_cpu_id in every platform
 * configuration: no platform, hooks absent, hooks present, hooks changed
 * in the registered struct after registration.
 */
#include "harness.h"

static struct vmk_platform plat;
static unsigned int fault_calls;
static char fault_site[64];

static bool fail_ab(void *ctx, const char *site)
{
	(void)ctx;
	fault_calls++;
	snprintf(fault_site, sizeof(fault_site), "%s", site);
	return strcmp(site, "a.b") == 0;
}

static unsigned int cpu_seven(void *ctx)
{
	return *(unsigned int *)ctx;
}

static int teardown(void **state)
{
	(void)state;
	vmk_sim_install();
	vmk_sim_set_cpu(0);
	return 0;
}

static void test_no_platform(void **state)
{
	(void)state;
	vmk_platform_set(NULL);
	assert_null(vmk_platform_get());
	assert_false(vmk_fault("a.b"));
	assert_false(vmk_fault_fast("a.b"));
	assert_int_equal(vmk_cpu_id(), 0);
	assert_int_equal(vmk_cpu_id_fast(), 0);
}

static void test_hooks_absent(void **state)
{
	(void)state;
	memset(&plat, 0, sizeof(plat));
	plat.panic = vmk_sim_platform()->panic;
	vmk_platform_set(&plat);
	assert_false(vmk_fault_fast("a.b"));
	assert_int_equal(vmk_cpu_id_fast(), 0);
	assert_int_equal(vmk_cpu_id_fast(), vmk_cpu_id());
}

static void test_fault_hook(void **state)
{
	(void)state;
	memset(&plat, 0, sizeof(plat));
	plat.fault_inject = fail_ab;
	vmk_platform_set(&plat);
	fault_calls = 0;
	assert_true(vmk_fault_fast("a.b"));
	assert_string_equal(fault_site, "a.b");
	assert_false(vmk_fault_fast("c.d"));
	assert_string_equal(fault_site, "c.d");
	assert_int_equal(fault_calls, 2);
	assert_true(vmk_fault("a.b"));
	assert_int_equal(fault_calls, 3);
}

/* The wrappers read the registered struct itself, as vmk_fault() does. */
static void test_hooks_changed_in_place(void **state)
{
	unsigned int seven = 7;

	(void)state;
	memset(&plat, 0, sizeof(plat));
	vmk_platform_set(&plat);
	assert_false(vmk_fault_fast("a.b"));
	plat.fault_inject = fail_ab;
	plat.cpu_id = cpu_seven;
	plat.ctx = &seven;
	fault_calls = 0;
	assert_true(vmk_fault_fast("a.b"));
	assert_int_equal(fault_calls, 1);
	assert_int_equal(vmk_cpu_id_fast(), 7);
	assert_int_equal(vmk_cpu_id(), 7);
	plat.fault_inject = NULL;
	assert_false(vmk_fault_fast("a.b"));
	assert_int_equal(fault_calls, 1);
}

static void test_sim_cpu_ids(void **state)
{
	(void)state;
	vmk_sim_install();
	vmk_sim_set_cpu_count(8);
	for (unsigned int c = 0; c < 8; c++) {
		vmk_sim_set_cpu(c);
		assert_int_equal(vmk_cpu_id_fast(), c);
		assert_int_equal(vmk_cpu_id(), c);
	}
	vmk_sim_set_cpu_count(1);
}

/* The sim's fault hook through the fast wrapper: the n-th call fails, once. */
static void test_sim_fail_nth(void **state)
{
	(void)state;
	vmk_sim_install();
	vmk_sim_fail_nth(2, "x.", false);
	assert_false(vmk_fault_fast("x.one"));
	assert_false(vmk_fault_fast("y.other"));	/* another prefix: not counted */
	assert_false(vmk_fault_fast("x.two"));
	assert_true(vmk_fault_fast("x.three"));
	assert_false(vmk_fault_fast("x.four"));
	vmk_sim_fail_off();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_no_platform, teardown),
		cmocka_unit_test_teardown(test_hooks_absent, teardown),
		cmocka_unit_test_teardown(test_fault_hook, teardown),
		cmocka_unit_test_teardown(test_hooks_changed_in_place, teardown),
		cmocka_unit_test_teardown(test_sim_cpu_ids, teardown),
		cmocka_unit_test_teardown(test_sim_fail_nth, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
