/*
 * The per-CPU caches' side of the state counters and the guards of the
 * order-0 fast paths. A pop or push of an ALLOC page changes only the
 * cache's count; the cache's base absorbs everything else (refills,
 * drains, retirements, PTP pages, rendezvous grabs, an offline CPU). The
 * counters are checked against a recount of the records
 * (vmk_check_phys(), with the caches still full) after every kind of
 * move, with pages allocated on one CPU and freed on the other.
 */
#include "phys_util.h"

#include <string.h>

#include "../src/phys/phys_internal.h"

#define MiB VMK_MiB
#define GiB VMK_GiB
#define PG VMK_PAGE_SIZE
#define NFRAMES (4 * MiB / PG)

static struct vmk_page *pg[NFRAMES];

static int setup(void **state)
{
	(void)state;
	tp_reset();
	vmk_sim_set_cpu_count(2);
	vmk_sim_set_cpu(0);
	tp_add_free(4 * GiB, 4 * MiB, 0);
	vmk_phys_lazy_init_all();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vmk_sim_set_cpu(0);
	vmk_sim_set_cpu_count(1);
	return 0;
}

/* The counters say what the records say, the caches full; the free total adds up. */
static void counts(uint64_t alloc, uint64_t ptp, uint64_t bad)
{
	vmk_check_phys();
	assert_int_equal(tp_state(VMK_PAGE_ALLOC), alloc);
	assert_int_equal(tp_state(VMK_PAGE_PTP), ptp);
	assert_int_equal(tp_state(VMK_PAGE_BAD), bad);
	assert_int_equal(tp_free(), NFRAMES - alloc - ptp - bad);
}

static void test_counters_across_cpus(void **state)
{
	struct vmk_page *bulk[40], *p;
	uint64_t n = 0;

	(void)state;
	/* CPU 0: refills, pops of both kinds. */
	for (int i = 0; i < 200; i++)
		pg[n++] = vmk_page_alloc(0, VMK_POOL_DEFAULT, 0);
	for (int i = 0; i < 50; i++)
		pg[n++] = vmk_page_alloc(VMK_DOMAIN_LOCAL, VMK_POOL_DEFAULT, VMK_ALLOC_PTP);
	for (uint64_t i = 0; i < n; i++)
		assert_non_null(pg[i]);
	counts(200, 50, 0);
	/* CPU 1 frees most of them: pushes of both kinds, trims of its cache. */
	vmk_sim_set_cpu(1);
	for (uint64_t i = 250; i-- > 60;)
		vmk_page_free(pg[i]);
	n = 60;
	counts(60, 0, 0);
	assert_true(G.pcpu[1].cache[0][VMK_POOL_DEFAULT].count <= VMK_PHYS_PCPU_HIGH);
	/* CPU 1 allocates from what it cached, and beyond (a refill). */
	for (int i = 0; i < 150; i++)
		pg[n++] = vmk_page_alloc(0, VMK_POOL_DEFAULT, i % 3 ? 0 : VMK_ALLOC_PTP);
	counts(160, 50, 0);
	/* Bulk: taken on CPU 1 as PTP, given back on CPU 0. */
	assert_int_equal(vmk_page_alloc_bulk(0, VMK_POOL_DEFAULT, VMK_ALLOC_PTP, 40, bulk), 40);
	counts(160, 90, 0);
	vmk_sim_set_cpu(0);
	vmk_page_free_bulk(bulk, 40);
	counts(160, 50, 0);
	/* A page of the calling CPU's cache marked bad leaves it as BAD. */
	p = G.pcpu[0].cache[0][VMK_POOL_DEFAULT].head;
	assert_non_null(p);
	assert_int_equal(vmk_phys_add_bad(vmk_page_to_pa(p)), 0);
	assert_int_equal(vmk_page_state(p), VMK_PAGE_BAD);
	counts(160, 50, 1);
	/* A pending-bad page at the top of a cache is retired by the next allocation. */
	p = G.pcpu[0].cache[0][VMK_POOL_DEFAULT].head;
	assert_non_null(p);
	pg_set_flags(p, pg_flags(p) | VMK_PGF_BADPEND);
	pg[n] = vmk_page_alloc(0, VMK_POOL_DEFAULT, 0);
	assert_non_null(pg[n]);
	assert_ptr_not_equal(pg[n], p);
	n++;
	assert_int_equal(vmk_page_state(p), VMK_PAGE_BAD);
	counts(161, 50, 2);
	/* CPU 1 goes offline with pages in its cache and its own counters. */
	vmk_sim_set_cpu(1);
	vmk_page_free(pg[--n]);
	vmk_sim_set_cpu(0);
	counts(160, 50, 2);
	assert_true(G.pcpu[1].cache[0][VMK_POOL_DEFAULT].count > 0);
	vmk_phys_cpu_dead(1);
	assert_int_equal(G.pcpu[1].cache[0][VMK_POOL_DEFAULT].count, 0);
	assert_int_equal(G.pcpu[1].cache[0][VMK_POOL_DEFAULT].base, 0);
	counts(160, 50, 2);
	for (uint64_t i = 0; i < n; i++)
		vmk_page_free(pg[i]);
	counts(0, 0, 2);
	tp_check();
	counts(0, 0, 2);
}

/* The same moves with a rendezvous: the grab settles the caches' bases. */
static void test_counters_rendezvous_drain(void **state)
{
	uint64_t n = 0;

	(void)state;
	for (int i = 0; i < 100; i++)
		pg[n++] = vmk_page_alloc(0, VMK_POOL_DEFAULT, i % 4 ? 0 : VMK_ALLOC_PTP);
	vmk_sim_set_cpu(1);
	for (uint64_t i = 0; i < 70; i++)
		vmk_page_free(pg[i]);
	vmk_sim_set_cpu(0);
	counts(23, 7, 0);
	/* CPU 1 runs nothing, so nothing is parked; the grab empties both caches. */
	vmk_sim_rdv_install();
	vmk_sim_rdv_cpu_enter(0);
	assert_true(G.pcpu[1].cache[0][VMK_POOL_DEFAULT].count > 0);
	vmk_phys_drain_all();
	vmk_sim_rdv_cpu_exit();
	vmk_sim_rdv_uninstall();
	assert_int_equal(tp_state(VMK_PAGE_PCPU), 0);
	counts(23, 7, 0);
	for (uint64_t i = 70; i < n; i++)
		vmk_page_free(pg[i]);
	counts(0, 0, 0);
}

/*
 * A page the cache holds twice (a corrupted stack, or a page freed while
 * still cached) is refused when it comes round again, not handed out
 * twice: the fast path's state compare sends it to the refill, whose pop
 * checks it.
 */
static void test_alloc_refuses_page_twice_in_cache(void **state)
{
	struct vmk_phys_pcache *c = &G.pcpu[0].cache[0][VMK_POOL_DEFAULT];
	struct vmk_page *p, *q;

	(void)state;
	p = vmk_page_alloc(0, VMK_POOL_DEFAULT, 0);
	q = vmk_page_alloc(0, VMK_POOL_DEFAULT, 0);
	vmk_page_free(q);
	vmk_page_free(p);
	assert_ptr_equal(c->head, p);
	assert_ptr_equal(p->pcpu_next, q);
	/* p -> q -> p */
	q->pcpu_next = p;
	assert_ptr_equal(vmk_page_alloc(0, VMK_POOL_DEFAULT, 0), p);
	assert_ptr_equal(vmk_page_alloc(0, VMK_POOL_DEFAULT, 0), q);
	assert_panics(vmk_page_alloc(0, VMK_POOL_DEFAULT, 0), "expected in state pcpu");
}

/*
 * A cache hit hands out a clean record whatever the last owner left in
 * it: owner words, pmap's attribute bits, the order, the reference count
 * (0, or 1 when WIRED), the memory attribute; and zeroes when asked.
 */
static void test_alloc_hit_prepares_record(void **state)
{
	struct vmk_page *p, *q;
	unsigned char *v;

	(void)state;
	p = vmk_page_alloc(0, VMK_POOL_DEFAULT, 0);
	assert_non_null(p);
	p->owner = 0x1234;
	p->md_flags = 0x7;
	p->ref_count = 5;
	vmk_page_free(p);
	assert_int_equal(p->ref_count, 0);
	assert_int_equal(p->order, VMK_ORDER_NONE);
	q = vmk_page_alloc(0, VMK_POOL_DEFAULT, 0);
	assert_ptr_equal(q, p);
	assert_int_equal(q->md_pv, 0);
	assert_int_equal(q->owner, 0);
	assert_int_equal(q->md_flags, 0);
	assert_int_equal(q->ref_count, 0);
	assert_int_equal(q->order, 0);
	assert_int_equal(q->memattr, VMK_MEMATTR_WB);
	assert_int_equal(q->aux, 0);
	q->owner = 1;
	q->md_flags = 0x3;
	vmk_page_free(q);
	q = vmk_page_alloc(0, VMK_POOL_DEFAULT, VMK_ALLOC_WIRED | VMK_ALLOC_PTP | VMK_ALLOC_ZERO);
	assert_ptr_equal(q, p);
	assert_int_equal(vmk_page_state(q), VMK_PAGE_PTP);
	assert_int_equal(q->ref_count, 1);
	assert_int_equal(q->owner, 0);
	assert_int_equal(q->md_flags, 0);
	assert_int_equal(q->order, 0);
	v = vmk_sim_phys_to_virt(vmk_page_to_pa(q));
	for (size_t i = 0; i < PG; i++)
		assert_int_equal(v[i], 0);
	memset(v, 0xa5, PG);
	q->ref_count = 0;
	vmk_page_free(q);
	counts(0, 0, 0);
}

static void assert_zeroed(struct vmk_page *p, uint64_t n)
{
	const unsigned char *v = vmk_sim_phys_to_virt(vmk_page_to_pa(p));

	assert_non_null(p);
	for (size_t i = 0; i < n * PG; i++)
		assert_int_equal(v[i], 0);
}

/* ZERO is honoured on every path: a cache hit, NOCACHE, bulk, a block. */
static void test_alloc_zero_every_path(void **state)
{
	struct vmk_page *hit, *nc, *blk, *bulk[8];

	(void)state;
	memset(vmk_sim_phys_to_virt(4 * GiB), 0xa5, 4 * MiB);
	hit = vmk_page_alloc(0, VMK_POOL_DEFAULT, VMK_ALLOC_ZERO);
	assert_zeroed(hit, 1);
	nc = vmk_page_alloc(0, VMK_POOL_DEFAULT, VMK_ALLOC_ZERO | VMK_ALLOC_NOCACHE);
	assert_zeroed(nc, 1);
	assert_int_equal(vmk_page_alloc_bulk(0, VMK_POOL_DEFAULT, VMK_ALLOC_ZERO, 8, bulk), 8);
	for (int i = 0; i < 8; i++)
		assert_zeroed(bulk[i], 1);
	blk = vmk_page_alloc_order(0, VMK_POOL_DEFAULT, 2, VMK_ALLOC_ZERO);
	assert_zeroed(blk, 4);
	vmk_page_free(hit);
	vmk_page_free(nc);
	vmk_page_free_bulk(bulk, 8);
	vmk_page_free_order(blk, 2);
	counts(0, 0, 0);
}

/*
 * The free fast path's one compare refuses what the per-field checks
 * refused: a tail of a block, a block head, a free page, a mapped page.
 */
static void test_free_refusals(void **state)
{
	struct vmk_page *b = vmk_page_alloc_order(0, VMK_POOL_DEFAULT, 2, 0);
	struct vmk_page *p = vmk_page_alloc(0, VMK_POOL_DEFAULT, 0);

	(void)state;
	assert_non_null(b);
	assert_non_null(p);
	assert_panics(vmk_page_free(&b[1]), "order-0");
	assert_panics(vmk_page_free(b), "order-0");
	p->md_pv = 0x1000;
	assert_panics(vmk_page_free(p), "reverse-map");
	p->md_pv = 0;
	vmk_page_free(p);
	assert_panics(vmk_page_free(p), "double free");
	vmk_page_free_order(b, 2);
	counts(0, 0, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_counters_across_cpus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counters_rendezvous_drain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alloc_hit_prepares_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alloc_zero_every_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_refusals, setup, teardown),
		/* Last: the panic leaves the cache corrupted. */
		cmocka_unit_test_setup_teardown(test_alloc_refuses_page_twice_in_cache, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
