/* Unit tests of the physical page allocator: records, buddy, pools, contig, bad pages. */
#include "phys_util.h"

#include <stddef.h>

#define MiB VMK_MiB
#define GiB VMK_GiB
#define PG VMK_PAGE_SIZE
#define CHUNK ((uint64_t)PG << (VMK_MAX_ORDER - 1))

static int setup(void **state)
{
	(void)state;
	tp_reset();
	return 0;
}

static void test_layout(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct vmk_page), 32);
	/* The owner's fields share storage with the free-list links. */
	assert_int_equal(offsetof(struct vmk_page, md_pv), offsetof(struct vmk_page, plinks));
	assert_int_equal(offsetof(struct vmk_page, owner), offsetof(struct vmk_page, plinks) + 8);
	assert_true(offsetof(struct vmk_page, ref_count) >= 16);
	assert_string_equal(vmk_page_state_name(VMK_PAGE_PTP), "ptp");
	assert_string_equal(vmk_page_state_name(200), "?");
}

static void test_segments_and_conversion(void **state)
{
	struct vmk_phys_stats st;
	struct vmk_page *p;

	(void)state;
	/* [1M, 48M) splits at 16 MiB into a DMA and a DMA32 segment. */
	tp_add_free(1 * MiB, 47 * MiB, 0);
	tp_add_free(4 * GiB, 32 * MiB, 0);
	vmk_phys_get_stats(&st);
	assert_int_equal(st.nsegs, 3);
	assert_int_equal(st.present, (47 + 32) * MiB / PG);
	assert_int_equal(st.free, st.present);
	assert_int_equal(vmk_phys_free_pages(0, VMK_POOL_DMA), 15 * MiB / PG);
	assert_int_equal(vmk_phys_free_pages(0, VMK_POOL_DMA32), 32 * MiB / PG);
	assert_int_equal(vmk_phys_free_pages(0, VMK_POOL_DEFAULT), 32 * MiB / PG);
	/* Outside every segment. */
	assert_null(vmk_pa_to_page(0));
	assert_null(vmk_pa_to_page(1 * MiB - 1));
	assert_null(vmk_pa_to_page(48 * MiB));
	assert_null(vmk_pa_to_page(4 * GiB - 1));
	assert_null(vmk_pa_to_page(4 * GiB + 32 * MiB));
	assert_null(vmk_pa_to_page(UINT64_MAX));
	/* Round trips, including an unaligned address inside a frame. */
	for (vmk_paddr_t pa = 1 * MiB; pa < 48 * MiB; pa += 17 * PG) {
		p = vmk_pa_to_page(pa + 123);
		assert_non_null(p);
		assert_true(vmk_page_to_pa(p) == pa);
	}
	p = vmk_pa_to_page(4 * GiB + 32 * MiB - 1);
	assert_true(vmk_page_to_pa(p) == 4 * GiB + 32 * MiB - PG);
	/* Records of one segment are dense. */
	assert_ptr_equal(vmk_pa_to_page(20 * MiB) + 1, vmk_pa_to_page(20 * MiB + PG));
	tp_check();
	/* Overlap and bad arguments. */
	assert_int_equal(vmk_phys_seg_add(2 * MiB, 3 * MiB, 0, tp_m.meta[0]), -VMK_EEXIST);
	assert_int_equal(vmk_phys_seg_add(2 * MiB + 1, 3 * MiB, 0, tp_m.meta[0]), -VMK_EINVAL);
	assert_int_equal(vmk_phys_seg_add(8 * GiB, 9 * GiB, VMK_MAX_DOMAINS, tp_m.meta[0]), -VMK_EINVAL);
	assert_int_equal(vmk_phys_seg_meta_size(0, 4096),
			 sizeof(struct vmk_page) + 2 * sizeof(uint64_t));
}

static void test_order0_all(void **state)
{
	uint64_t n = 32 * MiB / PG, got = 0;
	struct vmk_page **v = calloc(n + 1, sizeof(*v));
	struct vmk_phys_stats st;

	(void)state;
	tp_add_free(4 * GiB, 32 * MiB, 0);
	while ((v[got] = vmk_page_alloc(0, VMK_POOL_DEFAULT, 0)) != NULL) {
		assert_true(got < n);
		assert_int_equal(vmk_page_state(v[got]), VMK_PAGE_ALLOC);
		assert_int_equal(v[got]->ref_count, 0);
		assert_int_equal(v[got]->order, 0);
		got++;
	}
	assert_int_equal(got, n);
	tp_check();
	/* Every page handed out once. */
	for (uint64_t i = 0; i < n; i++)
		v[i]->owner = 0;
	for (uint64_t i = 0; i < n; i++) {
		assert_int_equal(v[i]->owner, 0);
		v[i]->owner = 1;
	}
	vmk_phys_get_stats(&st);
	assert_int_equal(st.state[VMK_PAGE_ALLOC], n);
	assert_int_equal(st.free, 0);
	for (uint64_t i = 0; i < n; i++) {
		v[i]->owner = 0;
		vmk_page_free(v[i]);
	}
	tp_check();
	assert_int_equal(tp_free(), n);
	vmk_phys_drain_all_quiescent();
	tp_check();
	/* Everything coalesced back into max-order blocks. */
	{
		char buf[512];
		struct vmk_outbuf ob;
		char want[64];

		vmk_outbuf_init(&ob, buf, sizeof(buf));
		vmk_phys_print_buddyinfo(&ob.out);
		snprintf(want, sizeof(want), " %6llu\n", (unsigned long long)(32 * MiB / CHUNK));
		assert_non_null(strstr(buf, "Node 0, pool  DEFAULT"));
		assert_non_null(strstr(buf, want));
	}
	free(v);
}

static void test_orders_split_coalesce(void **state)
{
	struct vmk_page *a, *b, *c;

	(void)state;
	tp_add_free(4 * GiB, 8 * MiB, 0);
	a = vmk_page_alloc_order(0, VMK_POOL_DEFAULT, 3, 0);
	b = vmk_page_alloc_order(0, VMK_POOL_DEFAULT, 3, 0);
	c = vmk_page_alloc_order(0, VMK_POOL_DEFAULT, VMK_MAX_ORDER - 1, 0);
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	/* Natural alignment; the two order-3 blocks are buddies of the same split. */
	assert_int_equal(vmk_page_to_pa(a) % (8 * PG), 0);
	assert_int_equal(vmk_page_to_pa(c) % CHUNK, 0);
	assert_true((vmk_page_to_pa(a) ^ vmk_page_to_pa(b)) == 8 * PG);
	for (int i = 0; i < 8; i++)
		assert_int_equal(vmk_page_state(&a[i]), VMK_PAGE_ALLOC);
	assert_int_equal(a[0].order, 3);
	assert_int_equal(a[1].order, VMK_ORDER_NONE);
	assert_null(vmk_page_alloc_order(0, VMK_POOL_DEFAULT, VMK_MAX_ORDER - 1, VMK_ALLOC_EXACT_POOL));
	assert_null(vmk_page_alloc_order(0, VMK_POOL_DEFAULT, VMK_MAX_ORDER, 0));
	tp_check();
	assert_panics(vmk_page_free_order(a, 2), "allocated with order 3");
	vmk_page_free_order(a, 3);
	vmk_page_free_order(b, 3);
	vmk_page_free_order(c, VMK_MAX_ORDER - 1);
	tp_check();
	/* Back to two max-order blocks: the top order can be allocated twice. */
	a = vmk_page_alloc_order(0, VMK_POOL_DEFAULT, VMK_MAX_ORDER - 1, 0);
	b = vmk_page_alloc_order(0, VMK_POOL_DEFAULT, VMK_MAX_ORDER - 1, 0);
	assert_non_null(a);
	assert_non_null(b);
	vmk_page_free_order(a, VMK_MAX_ORDER - 1);
	vmk_page_free_order(b, VMK_MAX_ORDER - 1);
	tp_check();
}

static void test_free_errors_panic(void **state)
{
	struct vmk_page *p;

	(void)state;
	tp_add_free(4 * GiB, 4 * MiB, 0);
	p = vmk_page_alloc(0, 0, 0);
	assert_non_null(p);
	p->md_pv = 0x1234;
	assert_panics(vmk_page_free(p), "reverse-map");
	p->md_pv = 0;
	vmk_page_free(p);
	assert_panics(vmk_page_free(p), "double free");
	p = vmk_pa_to_page(4 * GiB);
	/* A reserved frame cannot be freed either. */
	tp_reset();
	tp_add(4 * GiB, 4 * MiB, 0);
	assert_panics(vmk_page_free(vmk_pa_to_page(4 * GiB)), "state reserved");
}

/*
 * The order-0 fast paths: a cached free moves an ALLOC or PTP page to
 * PCPU and takes it off the right state counter; NOCACHE requests with an
 * odd domain or pool take the out-of-line path and its fallbacks; all of
 * it with and without a fault hook registered.
 */
static void order0_fast_paths(void)
{
	const uint64_t n = 4 * MiB / PG;
	struct vmk_page *a, *b, *c;
	uint64_t cached;

	tp_add_free(4 * GiB, 4 * MiB, 0);
	a = vmk_page_alloc(0, VMK_POOL_DEFAULT, 0);
	b = vmk_page_alloc(0, VMK_POOL_DEFAULT, VMK_ALLOC_PTP);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(vmk_page_state(a), VMK_PAGE_ALLOC);
	assert_int_equal(vmk_page_state(b), VMK_PAGE_PTP);
	assert_int_equal(tp_state(VMK_PAGE_ALLOC), 1);
	assert_int_equal(tp_state(VMK_PAGE_PTP), 1);
	assert_int_equal(tp_free(), n - 2);
	vmk_page_free(b);
	assert_int_equal(vmk_page_state(b), VMK_PAGE_PCPU);
	assert_int_equal(b->order, VMK_ORDER_NONE);
	assert_int_equal(tp_state(VMK_PAGE_PTP), 0);
	assert_int_equal(tp_state(VMK_PAGE_ALLOC), 1);
	assert_int_equal(tp_free(), n - 1);
	assert_panics(vmk_page_free(b), "double free");
	/* The refused free changed nothing: the cache still works. */
	c = vmk_page_alloc(0, VMK_POOL_DEFAULT, 0);
	assert_ptr_equal(c, b);
	assert_int_equal(tp_state(VMK_PAGE_ALLOC), 2);
	vmk_page_free(c);
	vmk_page_free(a);
	assert_int_equal(tp_state(VMK_PAGE_ALLOC), 0);
	assert_int_equal(tp_free(), n);
	/* NOCACHE: a domain without memory falls back, unless EXACT_DOMAIN. */
	cached = tp_state(VMK_PAGE_PCPU);
	assert_true(cached >= 2);
	a = vmk_page_alloc(3, VMK_POOL_DEFAULT, VMK_ALLOC_NOCACHE);
	assert_non_null(a);
	assert_int_equal(vmk_page_state(a), VMK_PAGE_ALLOC);
	assert_null(vmk_page_alloc(3, VMK_POOL_DEFAULT, VMK_ALLOC_NOCACHE | VMK_ALLOC_EXACT_DOMAIN));
	assert_null(vmk_page_alloc(0, VMK_NPOOLS, VMK_ALLOC_NOCACHE));
	assert_null(vmk_page_alloc(0, VMK_NPOOLS, 0));
	b = vmk_page_alloc(VMK_DOMAIN_LOCAL, VMK_POOL_DEFAULT, VMK_ALLOC_NOCACHE | VMK_ALLOC_PTP);
	assert_non_null(b);
	assert_int_equal(vmk_page_state(b), VMK_PAGE_PTP);
	/* None of it touched the cache. */
	assert_int_equal(tp_state(VMK_PAGE_PCPU), cached);
	vmk_page_free(a);
	vmk_page_free(b);
	assert_int_equal(tp_free(), n);
	tp_check();
}

static void test_order0_fast_paths(void **state)
{
	(void)state;
	order0_fast_paths();
}

/* The same with no fault hook registered (the production configuration). */
static void test_order0_fast_paths_no_fault_hook(void **state)
{
	struct vmk_platform *sim = vmk_sim_platform();
	bool (*hook)(void *, const char *) = sim->fault_inject;

	(void)state;
	sim->fault_inject = NULL;
	order0_fast_paths();
	sim->fault_inject = hook;
	/* And the hook is seen again at once: this allocation is failed. */
	vmk_sim_fail_nth(0, "phys.alloc", false);
	assert_null(vmk_page_alloc(0, VMK_POOL_DEFAULT, 0));
	assert_int_equal(vmk_sim_faults_injected(), 1);
	vmk_sim_fail_off();
}

static void test_ptp_wired_zero(void **state)
{
	struct vmk_page *p;
	unsigned char *v;

	(void)state;
	tp_add_free(4 * GiB, 4 * MiB, 0);
	p = vmk_page_alloc(0, 0, VMK_ALLOC_PTP | VMK_ALLOC_WIRED);
	assert_int_equal(vmk_page_state(p), VMK_PAGE_PTP);
	assert_int_equal(p->ref_count, 1);
	assert_int_equal(tp_state(VMK_PAGE_PTP), 1);
	v = vmk_sim_phys_to_virt(vmk_page_to_pa(p));
	memset(v, 0x5a, PG);
	p->ref_count = 0;
	vmk_page_free(p);
	/* LIFO cache: the same frame comes back, zeroed on request. */
	p = vmk_page_alloc(0, 0, VMK_ALLOC_ZERO);
	assert_ptr_equal(vmk_sim_phys_to_virt(vmk_page_to_pa(p)), v);
	for (size_t i = 0; i < PG; i++)
		assert_int_equal(v[i], 0);
	vmk_page_free(p);
	tp_check();
}

static void test_pool_fallback_and_reserve(void **state)
{
	static struct vmk_page *keep[8192];
	struct vmk_page *p;
	uint64_t n = 0, dma32 = 16 * MiB / PG;

	(void)state;
	tp_add_free(16 * MiB, 16 * MiB, 0);	/* DMA32 */
	tp_add_free(4 * GiB, 4 * MiB, 0);	/* DEFAULT */
	assert_int_equal(vmk_phys_set_lowmem_reserve(0, VMK_POOL_DMA32, 1000), 0);
	assert_int_equal(vmk_phys_set_lowmem_reserve(0, 9, 0), -VMK_EINVAL);
	/* Exhaust DEFAULT. */
	while ((p = vmk_page_alloc(0, VMK_POOL_DEFAULT, VMK_ALLOC_EXACT_POOL)) != NULL)
		keep[n++] = p;
	assert_int_equal(n, 4 * MiB / PG);
	/* Fallback into DMA32 stops at its reserve. */
	while ((p = vmk_page_alloc(0, VMK_POOL_DEFAULT, VMK_ALLOC_NOCACHE)) != NULL) {
		assert_true(vmk_page_to_pa(p) < 4 * GiB);
		assert_true(n < 8192);
		keep[n++] = p;
	}
	assert_int_equal(n, 4 * MiB / PG + dma32 - 1000);
	assert_int_equal(vmk_phys_free_pages(0, VMK_POOL_DMA32), 1000);
	/* A DMA32 request takes the reserve; so does a LOWMEM one. */
	p = vmk_page_alloc(0, VMK_POOL_DMA32, VMK_ALLOC_NOCACHE);
	assert_non_null(p);
	vmk_page_free(p);
	p = vmk_page_alloc(0, VMK_POOL_DEFAULT, VMK_ALLOC_LOWMEM | VMK_ALLOC_NOCACHE);
	assert_non_null(p);
	vmk_page_free(p);
	/* DMA requests never go up. */
	assert_null(vmk_page_alloc(0, VMK_POOL_DMA, 0));
	tp_check();
	while (n > 0)
		vmk_page_free(keep[--n]);
	vmk_phys_drain_all_quiescent();
	tp_check();
	assert_int_equal(tp_free(), 4 * MiB / PG + dma32);
}

static void test_domains(void **state)
{
	struct vmk_page *p;
	int seen[2] = { 0, 0 };

	(void)state;
	tp_add_free(4 * GiB, 4 * MiB, 0);
	tp_add_free(8 * GiB, 4 * MiB, 1);
	p = vmk_page_alloc(1, 0, 0);
	assert_true(vmk_page_to_pa(p) >= 8 * GiB);
	vmk_page_free(p);
	vmk_phys_set_cpu_domain(0, 1);
	p = vmk_page_alloc(VMK_DOMAIN_LOCAL, 0, 0);
	assert_true(vmk_page_to_pa(p) >= 8 * GiB);
	vmk_page_free(p);
	for (int i = 0; i < 8; i++) {
		p = vmk_page_alloc(VMK_DOMAIN_RR, 0, 0);
		seen[vmk_page_to_pa(p) >= 8 * GiB]++;
		vmk_page_free(p);
	}
	assert_int_equal(seen[0], 4);
	assert_int_equal(seen[1], 4);
	assert_int_equal(vmk_phys_domain_interleave(0, 0), 0);
	assert_int_equal(vmk_phys_domain_interleave(1, 0), 1);
	assert_int_equal(vmk_phys_domain_interleave(511, 9), 0);
	assert_int_equal(vmk_phys_domain_interleave(512, 9), 1);
	/* Domain 1 exhausted: fallback to 0 unless EXACT_DOMAIN. */
	p = vmk_page_alloc_order(1, 0, VMK_MAX_ORDER - 1, 0);
	assert_true(vmk_page_to_pa(p) >= 8 * GiB);
	assert_null(vmk_page_alloc_order(1, 0, VMK_MAX_ORDER - 1, VMK_ALLOC_EXACT_DOMAIN));
	{
		struct vmk_page *q = vmk_page_alloc_order(1, 0, VMK_MAX_ORDER - 1, 0);

		assert_true(vmk_page_to_pa(q) < 8 * GiB);
		vmk_page_free_order(q, VMK_MAX_ORDER - 1);
	}
	vmk_page_free_order(p, VMK_MAX_ORDER - 1);
	assert_null(vmk_page_alloc(VMK_MAX_DOMAINS, 0, 0));
	assert_null(vmk_page_alloc(-7, 0, 0));
	assert_null(vmk_page_alloc(0, VMK_NPOOLS, 0));
	/* A domain without memory falls back. */
	p = vmk_page_alloc(5, 0, 0);
	assert_non_null(p);
	vmk_page_free(p);
	assert_null(vmk_page_alloc(5, 0, VMK_ALLOC_EXACT_DOMAIN));
	vmk_phys_drain_all_quiescent();
	tp_check();
}

/*
 * Every allocator honours EXACT_DOMAIN for a domain number beyond the
 * machine's (nothing) and falls back to domain 0 without it; a domain
 * with no memory between two others is skipped.
 */
static void test_exact_domain_every_allocator(void **state)
{
	struct vmk_page *pg[4], *p;
	const unsigned int X = VMK_ALLOC_EXACT_DOMAIN;

	(void)state;
	tp_reset();
	tp_add_free(1 * GiB, 64 * MiB, 0);
	tp_add_free(8 * GiB, 64 * MiB, 2);	/* domain 1 has no memory */
	assert_int_equal(vmk_page_alloc_bulk(5, 0, X, 4, pg), 0);
	assert_int_equal(vmk_page_alloc_bulk(5, 0, 0, 4, pg), 4);
	for (int i = 0; i < 4; i++)
		assert_true(vmk_page_to_pa(pg[i]) < 8 * GiB);
	vmk_page_free_bulk(pg, 4);
	assert_int_equal(vmk_page_alloc_bulk(1, 0, 0, 2, pg), 2);
	vmk_page_free_bulk(pg, 2);
	assert_null(vmk_page_alloc_contig(5, 4, 0, UINT64_MAX, 0, 0, VMK_MEMATTR_WB, X));
	p = vmk_page_alloc_contig(5, 4, 0, UINT64_MAX, 0, 0, VMK_MEMATTR_WB, 0);
	assert_non_null(p);
	assert_true(vmk_page_to_pa(p) < 8 * GiB);
	vmk_page_free_contig(p, 4);
	assert_null(vmk_page_alloc_nofree(5, X));
	p = vmk_page_alloc_nofree(5, 0);
	assert_non_null(p);
	assert_true(vmk_page_to_pa(p) < 8 * GiB);
	vmk_page_nofree_return(p);
	p = vmk_page_alloc_nofree(1, 0);	/* domain 1 empty: the next present one */
	assert_non_null(p);
	vmk_page_nofree_return(p);
	assert_int_equal(vmk_page_alloc_nofree_batch(5, X, 2, pg), -VMK_ENOMEM);
	assert_int_equal(vmk_page_alloc_nofree_batch(5, 0, 2, pg), 0);
	assert_true(vmk_page_to_pa(pg[0]) < 8 * GiB);
	vmk_page_nofree_return(pg[0]);
	vmk_page_nofree_return(pg[1]);
	assert_int_equal(vmk_page_alloc_nofree_batch(1, 0, 2, pg), 0);
	vmk_page_nofree_return(pg[0]);
	vmk_page_nofree_return(pg[1]);
	tp_check();
}

/* A page marked bad while allocated becomes BAD when a bulk free returns it, the others free. */
static void test_bulk_free_pending_bad(void **state)
{
	struct vmk_page *pg[4];
	uint64_t free0;

	(void)state;
	tp_reset();
	tp_add_free(1 * GiB, 64 * MiB, 0);
	free0 = tp_free();
	assert_int_equal(vmk_page_alloc_bulk(0, 0, VMK_ALLOC_NOCACHE, 4, pg), 4);
	assert_int_equal(vmk_phys_add_bad(vmk_page_to_pa(pg[0])), 0);
	assert_int_equal(vmk_page_state(pg[0]), VMK_PAGE_ALLOC);	/* pending until freed */
	vmk_page_free_bulk(pg, 4);
	assert_int_equal(vmk_page_state(pg[0]), VMK_PAGE_BAD);
	assert_int_equal(tp_state(VMK_PAGE_BAD), 1);
	assert_int_equal(tp_free(), free0 - 1);
	tp_check();
}

/* Reference check of a contiguous run. */
static void check_run(struct vmk_page *p, size_t n, vmk_paddr_t lo, vmk_paddr_t hi,
		      vmk_paddr_t align, vmk_paddr_t bound)
{
	vmk_paddr_t pa = vmk_page_to_pa(p);

	assert_non_null(p);
	assert_true(pa >= lo && pa + n * PG <= hi);
	assert_int_equal(pa % align, 0);
	if (bound)
		assert_true(pa / bound == (pa + n * PG - 1) / bound);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(vmk_page_state(&p[i]), VMK_PAGE_ALLOC);
		assert_true(vmk_page_to_pa(&p[i]) == pa + i * PG);
	}
}

static void test_contig(void **state)
{
	struct vmk_page *p, *q, *hold[64];
	vmk_paddr_t base = 4 * GiB;

	(void)state;
	tp_add_free(base, 8 * MiB, 0);
	p = vmk_page_alloc_contig(0, 3, base, base + 8 * MiB, 4 * PG, 0, VMK_MEMATTR_WC, 0);
	check_run(p, 3, base, base + 8 * MiB, 4 * PG, 0);
	assert_int_equal(p[2].memattr, VMK_MEMATTR_WC);
	q = vmk_page_alloc_contig(0, 512, base + 1 * MiB, base + 8 * MiB, 2 * MiB, 0, 0, 0);
	check_run(q, 512, base + 1 * MiB, base + 8 * MiB, 2 * MiB, 0);
	tp_check();
	/* Pages of a run are freed one by one. */
	for (int i = 0; i < 3; i++)
		vmk_page_free(&p[i]);
	vmk_page_free_contig(q, 512);
	vmk_phys_drain_all_quiescent();
	tp_check();
	/* Boundary: 5 pages not crossing 16 KiB cannot exist; 4 can. */
	assert_null(vmk_page_alloc_contig(0, 5, base, base + 8 * MiB, 0, 4 * PG, 0, 0));
	p = vmk_page_alloc_contig(0, 3, base + PG, base + 8 * MiB, 0, 4 * PG, 0, 0);
	check_run(p, 3, base + PG, base + 8 * MiB, PG, 4 * PG);
	vmk_page_free_contig(p, 3);
	/* Bad arguments. */
	assert_null(vmk_page_alloc_contig(0, 0, base, base + MiB, 0, 0, 0, 0));
	assert_null(vmk_page_alloc_contig(0, 1, base, base + MiB, 3 * PG, 0, 0, 0));
	assert_null(vmk_page_alloc_contig(0, 1, base + MiB, base, 0, 0, 0, 0));
	assert_null(vmk_page_alloc_contig(0, 1, base, base + MiB, 0, 0, VMK_MEMATTR_COUNT, 0));
	/* Nothing in range. */
	assert_null(vmk_page_alloc_contig(0, 1, 0, 4 * GiB, 0, 0, 0, 0));
	/* Whole memory in one run of 2048 pages crossing max-order blocks. */
	p = vmk_page_alloc_contig(0, 2048, base, base + 8 * MiB, 0, 0, 0, 0);
	check_run(p, 2048, base, base + 8 * MiB, PG, 0);
	assert_null(vmk_page_alloc_contig(0, 1, base, base + 8 * MiB, 0, 0, 0, 0));
	vmk_page_free_contig(p, 2048);
	tp_check();
	/* A run made of small blocks: every other 64 KiB block held. */
	for (int i = 0; i < 64; i++)
		hold[i] = vmk_page_alloc_contig(0, 16, base + (uint64_t)i * 32 * PG,
						base + (uint64_t)i * 32 * PG + 16 * PG, 0, 0, 0, 0);
	for (int i = 0; i < 64; i++)
		check_run(hold[i], 16, base, base + 8 * MiB, PG, 0);
	/* Free three of them next to each other: a run of 48 + 16 + 16 pages... */
	vmk_page_free_contig(hold[10], 16);
	vmk_page_free_contig(hold[11], 16);
	/* [10*32, 12*32+16) is free: 48 pages with 3 runs of orders 4 and 4 in between. */
	p = vmk_page_alloc_contig(0, 48, base + 10 * 32 * PG, base + 13 * 32 * PG, 0, 0, 0, 0);
	check_run(p, 48, base + 10 * 32 * PG, base + 12 * 32 * PG + 16 * PG, PG, 0);
	assert_true(vmk_page_to_pa(p) == base + 10 * 32 * PG);
	tp_check();
	vmk_page_free_contig(p, 48);
	for (int i = 0; i < 64; i++)
		if (i != 10 && i != 11)
			vmk_page_free_contig(hold[i], 16);
	vmk_phys_drain_all_quiescent();
	tp_check();
	assert_int_equal(tp_free(), 8 * MiB / PG);
}

static void test_contig_drains_caches(void **state)
{
	struct vmk_page *v[1024];
	struct vmk_page *p;

	(void)state;
	tp_add_free(4 * GiB, 4 * MiB, 0);
	for (int i = 0; i < 1024; i++)
		v[i] = vmk_page_alloc(0, 0, 0);
	/* Freed into the cache (up to its high mark). */
	for (int i = 0; i < 1024; i++)
		vmk_page_free(v[i]);
	assert_true(tp_state(VMK_PAGE_PCPU) > 0);
	p = vmk_page_alloc_contig(0, 1024, 0, UINT64_MAX, 0, 0, 0, 0);
	assert_non_null(p);
	assert_int_equal(tp_state(VMK_PAGE_PCPU), 0);
	vmk_page_free_contig(p, 1024);
	tp_check();
}

static void test_bad_pages(void **state)
{
	vmk_paddr_t base = 4 * GiB, bad = base + 5 * PG;
	struct vmk_page *p, *a;
	uint64_t n = 0;

	(void)state;
	tp_add_free(base, 4 * MiB, 0);
	assert_int_equal(vmk_phys_add_bad(bad), 0);
	assert_int_equal(vmk_phys_add_bad(bad), -VMK_EEXIST);
	assert_int_equal(vmk_phys_add_bad(8 * GiB), -VMK_ENOENT);
	assert_int_equal(vmk_page_state(vmk_pa_to_page(bad)), VMK_PAGE_BAD);
	tp_check();
	/* The block split around it: everything else is still allocatable. */
	while ((p = vmk_page_alloc(0, 0, VMK_ALLOC_NOCACHE)) != NULL) {
		assert_true(vmk_page_to_pa(p) != bad);
		n++;
	}
	assert_int_equal(n, 4 * MiB / PG - 1);
	/* An allocated page marked bad turns BAD when freed. */
	a = vmk_pa_to_page(base + 9 * PG);
	assert_int_equal(vmk_phys_add_bad(base + 9 * PG), 0);
	assert_int_equal(vmk_page_state(a), VMK_PAGE_ALLOC);
	vmk_page_free(a);
	assert_int_equal(vmk_page_state(a), VMK_PAGE_BAD);
	assert_int_equal(tp_state(VMK_PAGE_BAD), 2);
	tp_check();
	/* A page in this CPU's cache is withdrawn from it. */
	a = vmk_pa_to_page(base + 20 * PG);
	vmk_page_free(a);
	assert_int_equal(vmk_page_state(a), VMK_PAGE_PCPU);
	assert_int_equal(vmk_phys_add_bad(base + 20 * PG), 0);
	assert_int_equal(vmk_page_state(a), VMK_PAGE_BAD);
	tp_check();
	/* In another CPU's cache: busy until drained. */
	vmk_sim_set_cpu_count(2);
	vmk_sim_set_cpu(1);
	a = vmk_pa_to_page(base + 21 * PG);
	vmk_page_free(a);
	vmk_sim_set_cpu(0);
	assert_int_equal(vmk_phys_add_bad(base + 21 * PG), -VMK_EBUSY);
	vmk_phys_drain_all_quiescent();
	assert_int_equal(vmk_phys_add_bad(base + 21 * PG), 0);
	assert_int_equal(tp_state(VMK_PAGE_BAD), 4);
	tp_check();
}

/*
 * The outcome of vmk_phys_add_bad racing a lock-free vmk_page_free: add_bad
 * saw the page allocated and flagged it, the free had already read no flag
 * and pushed it onto its cache. The cache must retire it as BAD on every
 * way out (the fast path, the refill, bulk takes, drains), never hand it out.
 */
static void raced_bad(struct vmk_page *p)
{
	vmk_page_free(p);
	assert_int_equal(vmk_page_state(p), VMK_PAGE_PCPU);
	__atomic_store_n(&p->flags, (uint8_t)(p->flags | VMK_PGF_BADPEND), __ATOMIC_RELAXED);
	tp_check();	/* a legal, transient state */
}

static void test_bad_raced_free(void **state)
{
	vmk_paddr_t base = 4 * GiB;
	struct vmk_page *pages[64], *p, *q;

	(void)state;
	tp_add_free(base, 4 * MiB, 0);
	/* Fast path: the flagged page at the top of the cache is not returned. */
	p = vmk_page_alloc(0, 0, 0);
	assert_non_null(p);
	raced_bad(p);
	q = vmk_page_alloc(0, 0, 0);
	assert_non_null(q);
	assert_ptr_not_equal(q, p);
	assert_int_equal(vmk_page_state(p), VMK_PAGE_BAD);
	assert_int_equal(p->flags & VMK_PGF_BADPEND, 0);
	tp_check();
	/* Bulk take. */
	raced_bad(q);
	assert_int_equal(vmk_page_alloc_bulk(0, 0, 0, 8, pages), 8);
	for (int i = 0; i < 8; i++)
		assert_ptr_not_equal(pages[i], q);
	assert_int_equal(vmk_page_state(q), VMK_PAGE_BAD);
	vmk_page_free_bulk(pages, 8);
	tp_check();
	/* Drain. */
	p = vmk_page_alloc(0, 0, 0);
	raced_bad(p);
	vmk_phys_drain_all_quiescent();
	assert_int_equal(vmk_page_state(p), VMK_PAGE_BAD);
	assert_int_equal(tp_state(VMK_PAGE_BAD), 3);
	tp_check();
	/* Nothing handed out afterwards is bad. */
	while ((p = vmk_page_alloc(0, 0, 0)) != NULL)
		assert_int_equal(vmk_page_state(p), VMK_PAGE_ALLOC);
	assert_int_equal(tp_state(VMK_PAGE_BAD), 3);
}

static void test_bootstrap_free(void **state)
{
	vmk_paddr_t base = 4 * GiB;
	struct vmk_page *p;

	(void)state;
	/* A "kernel image" segment whose frames start reserved. */
	tp_add(base, 4 * MiB, 0);
	tp_check();
	assert_int_equal(tp_state(VMK_PAGE_RESERVED), 4 * MiB / PG);
	assert_null(vmk_page_alloc(0, 0, 0));
	assert_int_equal(vmk_phys_bootstrap_free(base, base + 4 * MiB + PG), -VMK_ENOENT);
	assert_int_equal(vmk_phys_bootstrap_free(base + 1, base + PG), -VMK_EINVAL);
	assert_int_equal(vmk_phys_bootstrap_free(base, base), -VMK_EINVAL);
	/* A bad frame inside the image stays out when the range is freed. */
	assert_int_equal(vmk_phys_add_bad(base + 2 * MiB + 3 * PG), 0);
	assert_int_equal(vmk_phys_bootstrap_free(base + 2 * MiB, base + 4 * MiB), 0);
	assert_int_equal(tp_free(), 2 * MiB / PG - 1);
	assert_int_equal(tp_state(VMK_PAGE_BAD), 1);
	/* Already free: refused, nothing changes. */
	assert_int_equal(vmk_phys_bootstrap_free(base + 1 * MiB, base + 3 * MiB), -VMK_EINVAL);
	assert_int_equal(tp_free(), 2 * MiB / PG - 1);
	tp_check();
	/* Freeing the rest page by page coalesces into the top order. */
	for (vmk_paddr_t a = base; a < base + 2 * MiB; a += PG)
		assert_int_equal(vmk_phys_bootstrap_free(a, a + PG), 0);
	tp_check();
	p = vmk_page_alloc_contig(0, 512, 0, UINT64_MAX, 2 * MiB, 0, 0, 0);
	assert_true(vmk_page_to_pa(p) == base);
	vmk_page_free_contig(p, 512);
	tp_check();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_layout, setup),
		cmocka_unit_test(test_exact_domain_every_allocator),
		cmocka_unit_test(test_bulk_free_pending_bad),
		cmocka_unit_test_setup(test_segments_and_conversion, setup),
		cmocka_unit_test_setup(test_order0_all, setup),
		cmocka_unit_test_setup(test_orders_split_coalesce, setup),
		cmocka_unit_test_setup(test_free_errors_panic, setup),
		cmocka_unit_test_setup(test_order0_fast_paths, setup),
		cmocka_unit_test_setup(test_order0_fast_paths_no_fault_hook, setup),
		cmocka_unit_test_setup(test_ptp_wired_zero, setup),
		cmocka_unit_test_setup(test_pool_fallback_and_reserve, setup),
		cmocka_unit_test_setup(test_domains, setup),
		cmocka_unit_test_setup(test_contig, setup),
		cmocka_unit_test_setup(test_contig_drains_caches, setup),
		cmocka_unit_test_setup(test_bad_pages, setup),
		cmocka_unit_test_setup(test_bad_raced_free, setup),
		cmocka_unit_test_setup(test_bootstrap_free, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
