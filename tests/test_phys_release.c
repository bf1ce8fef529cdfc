/*
 * Invariants whose failure corrupts the allocator silently stay checked
 * in release builds: this file is compiled with VMK_DEBUG 0 and runs the
 * page-state transition of phys_internal.h (the code every state change
 * goes through) on wrong transitions, which must panic.
 */
#define VMK_DEBUG 0
#include "phys_util.h"

#include "../src/phys/phys_internal.h"

#define MiB VMK_MiB
#define GiB VMK_GiB

VMK_STATIC_ASSERT(!VMK_DEBUG, "this test checks the release build's checks");

/* The build really is a release one here: assertions are compiled out. */
static void test_assertions_are_off(void **state)
{
	(void)state;
	assert_false(VMK_SIM_TRY_PANIC(VMK_ASSERT(0, "compiled out")));
}

static void test_wrong_from_state_panics(void **state)
{
	struct vmk_page *p;
	struct vmk_phys_domain *dm = &G.dom[0];

	(void)state;
	tp_reset();
	tp_add_free(4 * GiB, 4 * MiB, 0);
	p = vmk_page_alloc(0, VMK_POOL_DEFAULT, VMK_ALLOC_NOCACHE);
	assert_non_null(p);
	/* Freeing it as if it were in a cache (it is not): a double free in disguise. */
	assert_panics(vmk_phys__set_state(p, 1, VMK_PAGE_PCPU, VMK_PAGE_FREE, dm->count),
		      "expected in state pcpu, found alloc");
	assert_int_equal(vmk_page_state(p), VMK_PAGE_ALLOC);
	vmk_page_free(p);
	vmk_phys_drain_all_quiescent();
	tp_check();
}

static void test_forbidden_move_panics(void **state)
{
	struct vmk_page *p;
	struct vmk_phys_domain *dm = &G.dom[0];
	volatile unsigned int to = VMK_PAGE_NOFREE;

	(void)state;
	tp_reset();
	tp_add_free(4 * GiB, 4 * MiB, 0);
	p = vmk_page_alloc(0, VMK_POOL_DEFAULT, VMK_ALLOC_NOCACHE);
	assert_non_null(p);
	assert_panics(vmk_phys__set_state(p, 1, VMK_PAGE_ALLOC, to, dm->count), "is not allowed");
	assert_int_equal(vmk_page_state(p), VMK_PAGE_ALLOC);
	vmk_page_free(p);
	vmk_phys_drain_all_quiescent();
	tp_check();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_assertions_are_off),
		cmocka_unit_test(test_wrong_from_state_panics),
		cmocka_unit_test(test_forbidden_move_panics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
