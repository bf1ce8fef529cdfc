/*
 * vmk_kmem_check finds each broken invariant of kmem's reservations: a
 * booted machine with one small allocation, one field corrupted by hand,
 * the checker must fail naming it, and pass again once it is undone.
 */
#include "kmem_util.h"
#include "../src/kmem/kmem_internal.h"
#include <string.h>

#define G vmk_kmem__g

static vmk_vaddr_t va;
static uint64_t unit;		/* the unit of va's reservation */
static struct vmk_page *head, *idle;

static int setup(void **st)
{
	(void)st;
	kmt_boot(VMK_PMAP_ARCH_X86_64);
	va = vmk_kmem_malloc(VMK_PAGE_SIZE, 0);
	assert_true(va != 0);
	unit = (va - G.start) / VMK_KMEM_UNIT;
	assert_true(unit < G.nunits && G.resv[unit] != 0);
	head = vmk_pa_to_page(G.resv[unit]);
	idle = NULL;
	for (uint64_t i = 0; i < VMK_KMEM_UNIT / VMK_PAGE_SIZE && !idle; i++)
		if (head[i].owner == KMO_RESV_IDLE)
			idle = &head[i];
	assert_non_null(idle);
	assert_int_equal(vmk_kmem_check(NULL, 0), 0);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	vmk_kmem_free(va, VMK_PAGE_SIZE);
	kmt_check();
	kmt_shutdown();
	return 0;
}

static void expect_bad(const char *want)
{
	char msg[200] = "";

	assert_int_equal(vmk_kmem_check(msg, sizeof(msg)), -VMK_EINVAL);
	if (!strstr(msg, want))
		fail_msg("kmem_check said '%s', expected '%s'", msg, want);
}

static void test_arena_checked(void **st)
{
	(void)st;
	G.arena[0].nbt_free++;
	expect_bad("spare tags counted");
	G.arena[0].nbt_free--;
	G.nofree[0].nbt_free++;
	expect_bad("spare tags counted");
	G.nofree[0].nbt_free--;
	assert_int_equal(vmk_kmem_check(NULL, 0), 0);
}

static void test_unit_owner(void **st)
{
	uint8_t own = G.owner[unit];

	(void)st;
	G.owner[unit] = 0;
	expect_bad("not owned by an ordinary arena");
	G.owner[unit] = KMU_NOFREE;
	expect_bad("not owned by an ordinary arena");
	G.owner[unit] = own;
	assert_int_equal(vmk_kmem_check(NULL, 0), 0);
}

static void test_frame_owners(void **st)
{
	(void)st;
	idle->owner = KMO_RESV_USED;		/* in use, but nothing maps it */
	expect_bad("in use but");
	idle->owner = KMO_SINGLE;		/* not a reservation owner at all */
	expect_bad("of a reservation has owner");
	idle->owner = KMO_RESV_IDLE;
	assert_int_equal(vmk_kmem_check(NULL, 0), 0);
}

static void test_counts(void **st)
{
	(void)st;
	head->ref_count++;
	expect_bad("counts 2 pages, 1 mapped");
	head->ref_count--;
	G.resv_idle++;
	expect_bad("idle frames, counted");
	G.resv_idle--;
	G.resv_active++;
	expect_bad("idle frames, counted");
	G.resv_active--;
	assert_int_equal(vmk_kmem_check(NULL, 0), 0);
}

/* Requests kmem cannot serve: 0 with nothing taken; before kmem_init likewise. */
static void test_bad_requests(void **st)
{
	struct kmt_snap s0;

	(void)st;
	kmt_snap(&s0);
	assert_true(vmk_kmem_malloc(0, 0) == 0);
	assert_true(vmk_kmem_malloc(KMT_WINDOW + VMK_PAGE_SIZE, 0) == 0);		/* larger than the window */
	assert_true(vmk_kmem_alloc_contig(0, 0, UINT64_MAX, 0, 0, VMK_MEMATTR_WB, 0, 0) == 0);
	assert_true(vmk_kmem_alloc_contig(VMK_PAGE_SIZE, 0, UINT64_MAX, 0, 0, VMK_MEMATTR_WT, 0, 0) == 0);
	assert_true(vmk_kmem_alloc_contig(KMT_WINDOW + VMK_PAGE_SIZE, 0, UINT64_MAX, 0, 0, VMK_MEMATTR_WB, 0, 0) == 0);
	assert_true(vmk_kmem_alloc_stack(0, 1, 0) == 0);
	kmt_same(&s0, "refused requests");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_arena_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unit_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frame_owners, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
