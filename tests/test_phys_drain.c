/*
 * The per-CPU cache's drain gathers pages adjacent in the stack and in
 * frame numbers into runs and frees each run as maximal aligned blocks.
 * Whatever order the pages were freed in (ascending, descending, shuffled,
 * with holes, with a page turned bad inside a run), the buddy lists must
 * end as they would with one free per page: every block maximal. The
 * expected lists are computed here from the frame numbers alone.
 */
#include "phys_util.h"

#include <stdio.h>
#include <string.h>

#include "../src/phys/phys_internal.h"

#define MiB VMK_MiB
#define GiB VMK_GiB
#define PG VMK_PAGE_SIZE

/* Unaligned at both ends so the runs meet segment edges of every order. */
#define BASE (4 * GiB + 3 * PG)
#define END (4 * GiB + 8 * MiB - 5 * PG)
#define NPAGES 700

static struct vmk_page *pages[NPAGES];

static void machine(void)
{
	tp_reset();
	tp_add_free(4 * GiB, 8 * MiB, 0);
	/* Every chunk's records initialised: all free frames are in the lists. */
	vmk_phys_lazy_init_all();
}

/*
 * Blocks per order of a set of free frames given as a bitmap over
 * [first, first + n): maximal aligned blocks, found by greedy decomposition
 * of each run of free frames.
 */
static void expected_blocks(const uint8_t *isfree, uint64_t first, uint64_t n,
			    uint64_t nblocks[VMK_MAX_ORDER])
{
	memset(nblocks, 0, VMK_MAX_ORDER * sizeof(nblocks[0]));
	for (uint64_t i = 0; i < n;) {
		uint64_t j = i;

		if (!isfree[i]) {
			i++;
			continue;
		}
		while (j < n && isfree[j])
			j++;
		for (uint64_t lo = first + i, hi = first + j; lo < hi;) {
			unsigned int o = 0;

			while (o + 1 < VMK_MAX_ORDER && (lo & ((2ull << o) - 1)) == 0 &&
			       lo + (2ull << o) <= hi)
				o++;
			nblocks[o]++;
			lo += 1ull << o;
		}
		i = j;
	}
}

/* The pool's lists against the expected blocks of every frame of [4 GiB, 4 GiB + 8 MiB). */
static void assert_lists(void)
{
	static uint8_t isfree[8 * MiB / PG];
	const uint64_t first = 4 * GiB / PG, n = 8 * MiB / PG;
	const struct vmk_phys_pool *pl = &G.dom[0].pools[VMK_POOL_DEFAULT];
	uint64_t want[VMK_MAX_ORDER];

	vmk_phys_drain_all_quiescent();
	tp_check();
	for (uint64_t i = 0; i < n; i++)
		isfree[i] = vmk_page_state(vmk_pa_to_page((first + i) * PG)) == VMK_PAGE_FREE;
	expected_blocks(isfree, first, n, want);
	for (unsigned int o = 0; o < VMK_MAX_ORDER; o++) {
		if (pl->nblocks[o] != want[o])
			fail_msg("order %u: %llu blocks listed, %llu expected", o,
				 (unsigned long long)pl->nblocks[o], (unsigned long long)want[o]);
	}
}

static void take(void)
{
	for (size_t i = 0; i < NPAGES; i++) {
		pages[i] = vmk_page_alloc(0, VMK_POOL_DEFAULT, 0);
		assert_non_null(pages[i]);
	}
}

enum { FORWARD, REVERSE, SHUFFLED, EVEN_THEN_ODD, NORDERS };

static void free_in_order(int how, uint64_t seed)
{
	static size_t idx[NPAGES];

	for (size_t i = 0; i < NPAGES; i++)
		idx[i] = i;
	if (how == REVERSE) {
		for (size_t i = 0; i < NPAGES; i++)
			idx[i] = NPAGES - 1 - i;
	} else if (how == SHUFFLED) {
		for (size_t i = NPAGES; i-- > 1;) {
			size_t j = (size_t)(tp_rand(&seed) % (i + 1)), t = idx[i];

			idx[i] = idx[j];
			idx[j] = t;
		}
	} else if (how == EVEN_THEN_ODD) {
		size_t k = 0;

		for (size_t i = 0; i < NPAGES; i += 2)
			idx[k++] = i;
		for (size_t i = 1; i < NPAGES; i += 2)
			idx[k++] = i;
	}
	for (size_t i = 0; i < NPAGES; i++) {
		vmk_page_free(pages[idx[i]]);
		/* Half-way: the lists must already be maximal for what is free. */
		if (i == NPAGES / 2)
			assert_lists();
	}
}

static void test_drain_orders(void **state)
{
	uint64_t seed = 0xd4a1u;

	(void)state;
	printf("seed %#llx\n", (unsigned long long)seed);
	for (int how = 0; how < NORDERS; how++) {
		machine();
		/* Frames outside [BASE, END) held, so the free space has unaligned edges. */
		for (vmk_paddr_t pa = 4 * GiB; pa < BASE; pa += PG)
			assert_non_null(vmk_page_alloc_contig(0, 1, pa, pa + PG, PG, 0, VMK_MEMATTR_WB, 0));
		for (vmk_paddr_t pa = END; pa < 4 * GiB + 8 * MiB; pa += PG)
			assert_non_null(vmk_page_alloc_contig(0, 1, pa, pa + PG, PG, 0, VMK_MEMATTR_WB, 0));
		take();
		assert_lists();
		free_in_order(how, seed);
		assert_lists();
		/* Twice: the second round takes pages the first one freed in a new order. */
		take();
		free_in_order(how, seed + 1);
		assert_lists();
		assert_int_equal(tp_state(VMK_PAGE_ALLOC), (BASE - 4 * GiB) / PG + (4 * GiB + 8 * MiB - END) / PG);
	}
}

/*
 * A page flagged bad while it entered a cache (the lock-free free racing
 * vmk_phys_add_bad) sits in the middle of a run: the drain retires it and
 * frees the pages on both sides.
 */
static void test_drain_bad_inside_run(void **state)
{
	struct vmk_page *bad;

	(void)state;
	machine();
	take();
	for (size_t i = NPAGES; i-- > 0;)
		vmk_page_free(pages[i]);
	/* The cache holds its last VMK_PHYS_PCPU_HIGH or fewer pages; flag one in the middle. */
	bad = G.pcpu[0].cache[0][VMK_POOL_DEFAULT].head;
	assert_non_null(bad);
	for (int k = 0; k < 5 && bad->pcpu_next; k++)
		bad = bad->pcpu_next;
	assert_int_equal(vmk_page_state(bad), VMK_PAGE_PCPU);
	pg_set_flags(bad, pg_flags(bad) | VMK_PGF_BADPEND);
	assert_lists();
	assert_int_equal(vmk_page_state(bad), VMK_PAGE_BAD);
	assert_int_equal(tp_state(VMK_PAGE_BAD), 1);
	assert_int_equal(tp_state(VMK_PAGE_PCPU), 0);
	assert_int_equal(tp_state(VMK_PAGE_ALLOC), 0);
}

/*
 * A page in a cache twice (a corrupted stack) is refused, not freed twice:
 * the state check of the gathered run still sees every page. Runs last,
 * as the panic leaves the domain lock held.
 */
static void test_drain_duplicate_panics(void **state)
{
	struct vmk_phys_pcache *c;
	struct vmk_page *p, *q;

	(void)state;
	machine();
	c = &G.pcpu[0].cache[0][VMK_POOL_DEFAULT];
	p = vmk_page_alloc(0, VMK_POOL_DEFAULT, 0);
	q = vmk_page_alloc(0, VMK_POOL_DEFAULT, 0);
	assert_non_null(p);
	assert_non_null(q);
	vmk_page_free(q);
	vmk_page_free(p);
	/* p -> q -> p -> q: each page twice. */
	assert_ptr_equal(c->head, p);
	assert_ptr_equal(p->pcpu_next, q);
	q->pcpu_next = p;
	p->pcpu_next = q;
	c->count = 4;
	assert_panics(vmk_phys_drain_all_quiescent(), "expected in state pcpu");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drain_orders),
		cmocka_unit_test(test_drain_bad_inside_run),
		cmocka_unit_test(test_drain_duplicate_panics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
