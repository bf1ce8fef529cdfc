/*
 * phys's refusals: every bad argument of the segment, bulk, contiguous
 * and NOFREE entry points is refused (0, NULL or -VMK_EINVAL /
 * -VMK_EEXIST) with every frame where it was; queries and drains for a
 * CPU, domain or pool out of range do nothing; before any memory exists
 * the domain choosers and the counters answer without touching anything.
 * A domain without memory between two with memory is passed over by the
 * fallback and refused with EXACT_DOMAIN.
 */
#include "phys_util.h"

#define PG	VMK_PAGE_SIZE
#define MiB	VMK_MiB

struct snap {
	uint64_t state[VMK_PAGE_NSTATES];
	uint64_t free;
};

static void snap(struct snap *s)
{
	struct vmk_phys_stats st;

	vmk_phys_drain_all_quiescent();
	vmk_phys_get_stats(&st);
	memcpy(s->state, st.state, sizeof(s->state));
	s->free = st.free;
}

static void same(const struct snap *a, const char *what)
{
	struct snap b;

	snap(&b);
	if (memcmp(a, &b, sizeof(b)))
		fail_msg("%s changed phys (free %llu -> %llu)", what, (unsigned long long)a->free,
			 (unsigned long long)b.free);
}

static void test_segment_refusals(void **state)
{
	static uint64_t meta[64];
	struct snap s0;

	(void)state;
	tp_reset();
	tp_add_free(64 * MiB, 16 * MiB, 0);
	snap(&s0);
	assert_int_equal(vmk_phys_seg_meta_size(2 * PG, 2 * PG), 0);
	assert_int_equal(vmk_phys_seg_meta_size(PG + 8, 2 * PG), 0);
	assert_int_equal(vmk_phys_seg_meta_size(PG, 2 * PG + 8), 0);
	assert_true(vmk_phys_seg_meta_size(PG, 2 * PG) > 0);
	assert_int_equal(vmk_phys_seg_add(PG, 2 * PG, 0, NULL), -VMK_EINVAL);
	assert_int_equal(vmk_phys_seg_add(2 * PG, 2 * PG, 0, meta), -VMK_EINVAL);
	assert_int_equal(vmk_phys_seg_add(PG + 8, 2 * PG, 0, meta), -VMK_EINVAL);
	assert_int_equal(vmk_phys_seg_add(PG, 2 * PG - 8, 0, meta), -VMK_EINVAL);
	assert_int_equal(vmk_phys_seg_add(PG, 2 * PG, VMK_MAX_DOMAINS, meta), -VMK_EINVAL);
	assert_int_equal(vmk_phys_seg_add(PG, 2 * PG, 0, (char *)meta + 4), -VMK_EINVAL);
	assert_int_equal(vmk_phys_seg_add(72 * MiB, 72 * MiB + PG, 0, meta), -VMK_EEXIST);
	assert_null(vmk_pa_to_page(PG));
	same(&s0, "refused segments");
	tp_check();
}

static void test_alloc_refusals(void **state)
{
	struct vmk_page *pages[4] = { NULL };
	struct snap s0;

	(void)state;
	tp_reset();
	tp_add_free(64 * MiB, 16 * MiB, 0);
	snap(&s0);
	/* bulk: nothing asked, nowhere to put it, a pool or domain that does not exist */
	assert_int_equal(vmk_page_alloc_bulk(0, VMK_POOL_DEFAULT, 0, 0, pages), 0);
	assert_int_equal(vmk_page_alloc_bulk(0, VMK_POOL_DEFAULT, 0, 4, NULL), 0);
	assert_int_equal(vmk_page_alloc_bulk(0, VMK_NPOOLS, 0, 4, pages), 0);
	assert_int_equal(vmk_page_alloc_bulk(VMK_MAX_DOMAINS, VMK_POOL_DEFAULT, 0, 4, pages), 0);
	assert_int_equal(vmk_page_alloc_bulk(-7, VMK_POOL_DEFAULT, 0, 4, pages), 0);
	assert_null(pages[0]);
	/* contig: each parameter out of its rules */
	assert_null(vmk_page_alloc_contig(0, 0, 0, VMK_PADDR_MAX, 0, 0, VMK_MEMATTR_WB, 0));
	assert_null(vmk_page_alloc_contig(-7, 1, 0, VMK_PADDR_MAX, 0, 0, VMK_MEMATTR_WB, 0));
	assert_null(vmk_page_alloc_contig(0, 1, 0, VMK_PADDR_MAX, 0, 0, VMK_MEMATTR_COUNT, 0));
	assert_null(vmk_page_alloc_contig(0, 1, 80 * MiB, 64 * MiB, 0, 0, VMK_MEMATTR_WB, 0));
	assert_null(vmk_page_alloc_contig(0, 1, 0, VMK_PADDR_MAX, 3 * PG, 0, VMK_MEMATTR_WB, 0));
	assert_null(vmk_page_alloc_contig(0, 1, 0, VMK_PADDR_MAX, PG / 2, 0, VMK_MEMATTR_WB, 0));
	assert_null(vmk_page_alloc_contig(0, 1, 0, VMK_PADDR_MAX, 0, 3 * PG, VMK_MEMATTR_WB, 0));
	assert_null(vmk_page_alloc_contig(0, 1, 0, VMK_PADDR_MAX, 0, PG / 2, VMK_MEMATTR_WB, 0));
	assert_null(vmk_page_alloc_contig(0, (size_t)1 << 60, 0, VMK_PADDR_MAX, 0, 0, VMK_MEMATTR_WB, 0));
	/* a window with no whole page in it, more pages than the boundary holds */
	assert_null(vmk_page_alloc_contig(0, 1, 64 * MiB + 8, 64 * MiB + PG, 0, 0, VMK_MEMATTR_WB, 0));
	assert_null(vmk_page_alloc_contig(0, 4, 0, VMK_PADDR_MAX, 0, 2 * PG, VMK_MEMATTR_WB, 0));
	/* NOFREE batch */
	assert_int_equal(vmk_page_alloc_nofree_batch(0, 0, 0, pages), -VMK_EINVAL);
	assert_int_equal(vmk_page_alloc_nofree_batch(0, 0, 4, NULL), -VMK_EINVAL);
	assert_int_equal(vmk_page_alloc_nofree_batch(-7, 0, 4, pages), -VMK_EINVAL);
	assert_null(pages[0]);
	same(&s0, "refused allocations");
	/* The same requests with good arguments are served (the refusals were the arguments). */
	assert_int_equal(vmk_page_alloc_bulk(0, VMK_POOL_DEFAULT, 0, 4, pages), 4);
	vmk_page_free_bulk(pages, 4);
	tp_check();
}

/* Out-of-range CPUs, domains and pools: nothing happens, counters read 0. */
static void test_out_of_range(void **state)
{
	struct vmk_page *p;
	struct snap s0;

	(void)state;
	tp_reset();
	tp_add_free(64 * MiB, 16 * MiB, 0);
	p = vmk_page_alloc(0, VMK_POOL_DEFAULT, 0);
	assert_non_null(p);
	vmk_page_free(p);		/* now in CPU 0's cache */
	assert_int_equal(vmk_phys_free_pages(VMK_MAX_DOMAINS, VMK_POOL_DEFAULT), 0);
	assert_int_equal(vmk_phys_free_pages(0, VMK_NPOOLS), 0);
	{
		uint64_t n = 0;

		for (unsigned int q = 0; q < VMK_NPOOLS; q++)
			n += vmk_phys_free_pages(0, q);
		assert_int_equal(n, 16 * MiB / PG);
	}
	vmk_phys_drain_cpu(VMK_MAX_CPUS);
	vmk_phys_cpu_dead(VMK_MAX_CPUS);
	vmk_phys_set_cpu_domain(VMK_MAX_CPUS, 0);
	vmk_phys_set_cpu_domain(0, VMK_MAX_DOMAINS);
	/* CPU 0 still takes its cached page (its cache was not drained, its domain not changed). */
	assert_ptr_equal(vmk_page_alloc(VMK_DOMAIN_LOCAL, VMK_POOL_DEFAULT, 0), p);
	vmk_page_free(p);
	snap(&s0);
	same(&s0, "out-of-range calls");
	tp_check();
}

/* Before any memory: round-robin picks domain 0, an unknown negative domain is refused, queries read 0. */
static void test_no_memory(void **state)
{
	struct vmk_page *pages[2] = { NULL };

	(void)state;
	tp_reset();
	assert_int_equal(vmk_phys_domain_interleave(12345, 4), 0);
	assert_null(vmk_page_alloc(VMK_DOMAIN_RR, VMK_POOL_DEFAULT, 0));
	assert_null(vmk_page_alloc(-7, VMK_POOL_DEFAULT, 0));
	assert_int_equal(vmk_page_alloc_bulk(VMK_DOMAIN_RR, VMK_POOL_DEFAULT, 0, 2, pages), 0);
	assert_int_equal(vmk_page_alloc_nofree_batch(VMK_DOMAIN_RR, 0, 2, pages), -VMK_ENOMEM);
	assert_int_equal(vmk_phys_free_pages(0, VMK_POOL_DEFAULT), 0);
	vmk_phys_drain_cpu(0);
	assert_null(pages[0]);
}

static void test_domain_without_memory(void **state)
{
	struct vmk_page *p;
	vmk_paddr_t pa;
	struct snap s0;

	(void)state;
	tp_reset();
	tp_add_free(64 * MiB, 16 * MiB, 0);
	tp_add_free(128 * MiB, 16 * MiB, 2);
	snap(&s0);
	assert_null(vmk_page_alloc(1, VMK_POOL_DEFAULT, VMK_ALLOC_EXACT_DOMAIN | VMK_ALLOC_NOCACHE));
	assert_null(vmk_page_alloc_order(1, VMK_POOL_DEFAULT, 3, VMK_ALLOC_EXACT_DOMAIN));
	same(&s0, "refused exact-domain allocations");
	/* Without EXACT_DOMAIN a neighbour with memory serves, never domain 1. */
	p = vmk_page_alloc_order(1, VMK_POOL_DEFAULT, 3, 0);
	assert_non_null(p);
	pa = vmk_page_to_pa(p);
	assert_true((pa >= 64 * MiB && pa < 80 * MiB) || (pa >= 128 * MiB && pa < 144 * MiB));
	vmk_page_free_order(p, 3);
	p = vmk_page_alloc(1, VMK_POOL_DEFAULT, VMK_ALLOC_NOCACHE);
	assert_non_null(p);
	vmk_page_free(p);
	tp_check();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_segment_refusals),
		cmocka_unit_test(test_alloc_refusals),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_no_memory),
		cmocka_unit_test(test_domain_without_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
