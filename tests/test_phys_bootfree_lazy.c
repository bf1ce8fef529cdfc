/*
 * vmk_phys_bootstrap_free() of whole lazy chunks: a chunk still lazy
 * (vmk_phys_seg_add() leaves every whole chunk of a segment lazy) is
 * claimed and freed by its bits, without initialising its records. These
 * tests pin what that must keep: the frames' states and counters, the
 * refusals (a range already free, or claimed by another call), the claims
 * dropped after a refusal, chunk edges in the middle of a range, and a
 * claimed chunk whose records another caller initialises between the
 * claim and the free (it must still be freed, frame by frame).
 */
#include "phys_util.h"

#define MiB VMK_MiB
#define GiB VMK_GiB
#define PG VMK_PAGE_SIZE
#define CHUNK ((uint64_t)VMK_PAGE_SIZE << (VMK_MAX_ORDER - 1))

static uint64_t lazy_now(void)
{
	struct vmk_phys_stats st;

	vmk_phys_get_stats(&st);
	return st.lazy;
}

static void test_seg_add_lazy_then_bootstrap_free(void **state)
{
	const vmk_paddr_t base = 4 * GiB;
	struct vmk_phys_peek pk;

	(void)state;
	tp_reset();
	/* Partial chunks at both ends: records; the 15 whole chunks between: lazy. */
	tp_add(base + 1 * MiB, 62 * MiB, 0);
	assert_int_equal(lazy_now(), 14 * CHUNK / PG);
	assert_int_equal(tp_state(VMK_PAGE_RESERVED), 62 * MiB / PG);
	assert_int_equal(vmk_phys_peek(base + 8 * MiB, &pk), 0);
	assert_true(pk.lazy);
	assert_int_equal(pk.state, VMK_PAGE_RESERVED);
	tp_check();
	/* Misaligned range: its partial chunks are initialised, the whole ones flip. */
	assert_int_equal(vmk_phys_bootstrap_free(base + 2 * MiB, base + 58 * MiB), 0);
	/* [56, 60) MiB was partly in the range: initialised; 13 chunks stay lazy (free). */
	assert_int_equal(lazy_now(), 13 * CHUNK / PG);
	assert_int_equal(tp_free(), 56 * MiB / PG);
	assert_int_equal(tp_state(VMK_PAGE_RESERVED), 6 * MiB / PG);
	assert_int_equal(vmk_phys_peek(base + 8 * MiB, &pk), 0);
	assert_true(pk.lazy);
	assert_int_equal(pk.state, VMK_PAGE_FREE);
	tp_check();
	/* Freed already: refused, and nothing changes (no claim left behind). */
	assert_int_equal(vmk_phys_bootstrap_free(base + 4 * MiB, base + 12 * MiB), -VMK_EINVAL);
	assert_int_equal(vmk_phys_bootstrap_free(base + 60 * MiB, base + 62 * MiB), 0);
	assert_int_equal(vmk_phys_bootstrap_free(base + 1 * MiB, base + 63 * MiB), -VMK_EINVAL);
	assert_int_equal(tp_state(VMK_PAGE_RESERVED), 4 * MiB / PG);
	tp_check();
	/* The freed lazy chunks are allocatable: the whole free memory, page by page. */
	{
		uint64_t n = 0;
		struct vmk_page *p;

		while ((p = vmk_page_alloc(0, 0, VMK_ALLOC_NOCACHE)) != NULL) {
			assert_int_equal(vmk_page_state(p), VMK_PAGE_ALLOC);
			n++;
		}
		assert_int_equal(n, 58 * MiB / PG);
	}
	tp_check();
}

/* A bad frame in a lazy chunk initialises it; the free then goes frame by frame. */
static void test_bad_frame_in_lazy_chunk(void **state)
{
	const vmk_paddr_t base = 4 * GiB;

	(void)state;
	tp_reset();
	tp_add(base, 64 * MiB, 0);
	assert_int_equal(vmk_phys_add_bad(base + 20 * MiB + 5 * PG), 0);
	assert_int_equal(vmk_phys_bootstrap_free(base, base + 64 * MiB), 0);
	assert_int_equal(tp_state(VMK_PAGE_BAD), 1);
	assert_int_equal(tp_free(), 64 * MiB / PG - 1);
	assert_int_equal(vmk_page_state(vmk_pa_to_page(base + 20 * MiB + 5 * PG)), VMK_PAGE_BAD);
	tp_check();
}

/*
 * Another caller initialises a claimed chunk between the claim and the
 * free: the interrupt-disable hook (called by every domain-lock
 * acquisition, before the lock is taken) looks the chunk's frame up with
 * vmk_pa_to_page() at the first step after the claims.
 */
static unsigned long (*prev_disable)(void *);
static int hook_calls, hook_fire_at, hook_busy;
static vmk_paddr_t hook_pa;

static unsigned long disable_and_touch(void *ctx)
{
	if (!hook_busy && ++hook_calls == hook_fire_at) {
		hook_busy = 1;
		assert_non_null(vmk_pa_to_page(hook_pa));
		hook_busy = 0;
	}
	return prev_disable ? prev_disable(ctx) : 0;
}

static void test_claimed_chunk_initialised_before_free(void **state)
{
	const vmk_paddr_t base = 4 * GiB;
	struct vmk_platform *p = vmk_sim_platform();
	struct vmk_phys_peek pk;
	uint64_t steps = (128 * MiB / CHUNK + VMK_PHYS_LAZY_STEP - 1) / VMK_PHYS_LAZY_STEP;

	(void)state;
	tp_reset();
	tp_add(base, 128 * MiB, 0);
	prev_disable = p->intr_disable;
	p->intr_disable = disable_and_touch;
	hook_calls = 0;
	/* The claim steps, then the first free step: the last chunk is claimed by then. */
	hook_fire_at = (int)steps + 1;
	hook_pa = base + 128 * MiB - PG;
	assert_int_equal(vmk_phys_bootstrap_free(base, base + 128 * MiB), 0);
	p->intr_disable = prev_disable;
	assert_true(hook_calls > hook_fire_at);
	assert_int_equal(vmk_phys_peek(hook_pa, &pk), 0);
	assert_false(pk.lazy);
	assert_int_equal(pk.state, VMK_PAGE_FREE);
	assert_int_equal(tp_free(), 128 * MiB / PG);
	assert_int_equal(tp_state(VMK_PAGE_RESERVED), 0);
	tp_check();
	/* The initialised chunk carries no claim flag into the lists. */
	for (vmk_paddr_t a = base + 128 * MiB - CHUNK; a < base + 128 * MiB; a += PG)
		assert_int_equal(vmk_pa_to_page(a)->flags, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seg_add_lazy_then_bootstrap_free),
		cmocka_unit_test(test_bad_frame_in_lazy_chunk),
		cmocka_unit_test(test_claimed_chunk_initialised_before_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
