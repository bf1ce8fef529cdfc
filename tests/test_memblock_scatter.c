/*
 * Long region lists: thousands of scattered one-page reservations in random
 * order (each insert moves a long tail of the array up, across several
 * doublings of the array), frees in random order (tails moved down), and a
 * merge of everything back into one region; and the same inserts with the
 * array's growth failing at each growth in turn. Seeded by $VMK_SEED
 * (printed).
 */
#include "memblock_util.h"

#include <stdlib.h>

#define M VMK_MiB
#define PG VMK_PAGE_SIZE

#define RAM	(16 * M)
#define RAM_SIZE (64 * M)
#define SPAN	(32 * M)		/* the scattered pages lie in [RAM, RAM + SPAN) */
#define SLOTS	(SPAN / PG / 2)		/* even pages only: no two touch */
#define NRES	3000

static struct vmk_memblock mb;
static uint32_t order[SLOTS];		/* slot numbers in insertion order */
static bool held[SLOTS];
static uint64_t rng;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static vmk_paddr_t slot_pa(size_t s)
{
	return RAM + 2 * (vmk_paddr_t)s * PG;
}

static int setup(void **state)
{
	(void)state;
	vmk_sim_install();
	vmk_sim_ram_reset();
	assert_int_equal(vmk_sim_ram_add(RAM, RAM_SIZE), 0);
	vmk_memblock_init(&mb);
	vmk_memblock_allow_resize(&mb, true);
	assert_int_equal(vmk_memblock_add(&mb, RAM, RAM_SIZE), 0);
	rng = th_seed() * 2654435761ULL + 1;
	for (size_t i = 0; i < SLOTS; i++)
		order[i] = (uint32_t)i;
	for (size_t i = 0; i < SLOTS - 1; i++) {
		size_t j = i + next() % (SLOTS - i);
		uint32_t t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (size_t i = 0; i < SLOTS; i++)
		held[i] = false;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vmk_sim_fail_off();
	vmk_sim_ram_reset();
	return 0;
}

/*
 * 'reserved' must be exactly the held pages, in order, below RAM + SPAN,
 * and above it only memblock's own arrays (allocated top-down).
 */
static void expect_held(void)
{
	const struct vmk_memblock_type *t = &mb.reserved;
	struct vmk_range own[2];
	size_t i = 0, n = vmk_memblock_own_arrays(&mb, own);

	for (size_t s = 0; s < SLOTS; s++) {
		if (!held[s])
			continue;
		if (i >= t->cnt || t->regions[i].base != slot_pa(s) || t->regions[i].size != PG)
			fail_msg("reserved[%zu]: expected the page at %#llx", i,
				 (unsigned long long)slot_pa(s));
		i++;
	}
	for (; i < t->cnt; i++) {
		const struct vmk_memblock_region *r = &t->regions[i];
		bool is_own = false;

		for (size_t k = 0; k < n; k++)
			is_own |= r->base <= own[k].base && r->base + r->size >= own[k].end;
		if (r->base < RAM + SPAN || !is_own)
			fail_msg("reserved[%zu] = [%#llx, +%#llx) is neither a held page nor an array", i,
				 (unsigned long long)r->base, (unsigned long long)r->size);
	}
	vmk_memblock_check(&mb);
}

static void test_scattered_reserve_free_merge(void **state)
{
	(void)state;
	for (size_t i = 0; i < NRES; i++) {
		assert_int_equal(vmk_memblock_reserve(&mb, slot_pa(order[i]), PG), 0);
		held[order[i]] = true;
		if (i % 500 == 499)
			expect_held();
	}
	assert_true(mb.reserved.max >= NRES);
	expect_held();
	/* free two in three, in another random order */
	for (size_t i = 0; i < NRES; i++) {
		size_t j = i + next() % (NRES - i);
		uint32_t t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (size_t i = 0; i < NRES; i++) {
		if (i % 3 == 2)
			continue;
		assert_int_equal(vmk_memblock_free(&mb, slot_pa(order[i]), PG), 0);
		held[order[i]] = false;
		if (i % 700 == 0)
			expect_held();
	}
	expect_held();
	/* one reservation over the whole span swallows and merges them all */
	assert_int_equal(vmk_memblock_reserve(&mb, RAM, SPAN), 0);
	assert_true(mb.reserved.regions[0].base == RAM && mb.reserved.regions[0].size == SPAN);
	assert_true(mb.reserved.cnt <= 3);
	vmk_memblock_check(&mb);
}

/*
 * The growth of 'reserved' fails at the n-th growth: the reserve that needed
 * it returns -VMK_ENOMEM and leaves both lists as they were; the retry
 * succeeds and the end state is the one without faults.
 */
static void test_scattered_growth_failure(void **state)
{
	unsigned long growths;

	(void)state;
	vmk_sim_fail_nth(~0UL, "memblock.grow", false);
	for (size_t i = 0; i < NRES; i++)
		assert_int_equal(vmk_memblock_reserve(&mb, slot_pa(order[i]), PG), 0);
	growths = vmk_sim_fault_calls();
	assert_true(growths >= 4);	/* 128 -> 4096 */
	for (unsigned long n = 0; n < growths; n++) {
		size_t failed = 0;

		vmk_memblock_init(&mb);
		vmk_memblock_allow_resize(&mb, true);
		assert_int_equal(vmk_memblock_add(&mb, RAM, RAM_SIZE), 0);
		for (size_t s = 0; s < SLOTS; s++)
			held[s] = false;
		vmk_sim_fail_nth(n, "memblock.grow", false);
		for (size_t i = 0; i < NRES; i++) {
			struct mb_snap snap;
			int err;

			snap_take(&snap, &mb);
			err = vmk_memblock_reserve(&mb, slot_pa(order[i]), PG);
			if (err) {
				assert_int_equal(err, -VMK_ENOMEM);
				if (!snap_same(&snap, &mb))
					fail_msg("growth %lu failed at reserve %zu and changed the lists", n, i);
				failed++;
				assert_int_equal(vmk_memblock_reserve(&mb, slot_pa(order[i]), PG), 0);
			}
			held[order[i]] = true;
			snap_free(&snap);
		}
		assert_int_equal(failed, 1);
		expect_held();
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_scattered_reserve_free_merge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scattered_growth_failure, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
