/*
 * Fault-injection sweep: each scenario makes a series of allocations and
 * unwinds completely when one fails. The sweep fails the 1st, 2nd, ...
 * allocation attempt (any "phys." site) until the scenario completes, and
 * after every failed run checks that nothing leaked: the same frames are
 * free (NOFREE imports stay in the NOFREE pool, available), nothing is
 * left allocated, and every invariant holds.
 */
#include "phys_util.h"

#define MiB VMK_MiB
#define GiB VMK_GiB
#define PG VMK_PAGE_SIZE

struct taken {
	struct vmk_page *single[8];
	int nsingle;
	struct vmk_page *block;
	struct vmk_page *run;
	struct vmk_page *bulk[24];
	size_t nbulk;
	struct vmk_page *nf[700];
	size_t nnf;
};

static void undo(struct taken *t)
{
	while (t->nsingle > 0)
		vmk_page_free(t->single[--t->nsingle]);
	if (t->block)
		vmk_page_free_order(t->block, 3);
	if (t->run)
		vmk_page_free_contig(t->run, 37);
	vmk_page_free_bulk(t->bulk, t->nbulk);
	while (t->nnf > 0)
		vmk_page_nofree_return(t->nf[--t->nnf]);
	memset(t, 0, sizeof(*t));
}

/* Every kind of allocation; all or nothing. */
static int scenario(unsigned int flags, struct taken *t)
{
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < 3; i++) {
		t->single[t->nsingle] = vmk_page_alloc(0, VMK_POOL_DEFAULT, flags);
		if (!t->single[t->nsingle])
			goto fail;
		t->nsingle++;
	}
	t->single[t->nsingle] = vmk_page_alloc(1, VMK_POOL_DMA32, flags | VMK_ALLOC_PTP);
	if (!t->single[t->nsingle])
		goto fail;
	t->nsingle++;
	t->block = vmk_page_alloc_order(VMK_DOMAIN_RR, VMK_POOL_DEFAULT, 3, flags);
	if (!t->block)
		goto fail;
	t->run = vmk_page_alloc_contig(0, 37, 0, UINT64_MAX, 16 * PG, 0, 0, flags);
	if (!t->run)
		goto fail;
	t->nbulk = vmk_page_alloc_bulk(0, VMK_POOL_DEFAULT, flags, 24, t->bulk);
	if (t->nbulk < 24)
		goto fail;
	for (int i = 0; i < 3; i++) {
		t->nf[t->nnf] = vmk_page_alloc_nofree(i % 2, flags);
		if (!t->nf[t->nnf])
			goto fail;
		t->nnf++;
	}
	/* A batch that needs more imports. */
	if (vmk_page_alloc_nofree_batch(0, flags, 600, t->nf + t->nnf) != 0)
		goto fail;
	t->nnf += 600;
	return 0;
fail:
	undo(t);
	return -VMK_ENOMEM;
}

static void machine(void)
{
	tp_reset();
	vmk_sim_set_cpu_count(2);
	tp_add_free(16 * MiB, 16 * MiB, 0);
	tp_add_free(4 * GiB, 8 * MiB, 0);
	tp_add_free(8 * GiB, 4 * MiB, 1);
	tp_add_free(20 * MiB + 4 * GiB, 2 * MiB, 1);
}

static void sweep(unsigned int flags)
{
	struct taken t;
	unsigned long n;

	machine();
	for (n = 0;; n++) {
		struct vmk_phys_stats a, b;
		int err;

		vmk_phys_get_stats(&a);
		vmk_sim_fail_nth(n, "phys.", false);
		err = scenario(flags, &t);
		if (vmk_sim_faults_injected() == 0) {
			/* Past the last attempt: every earlier one was failed once. */
			assert_int_equal(vmk_sim_fault_calls(), n);
			vmk_sim_fail_off();
			assert_int_equal(err, 0);
			break;
		}
		vmk_sim_fail_off();
		/* A failure a fallback absorbed (another domain, a smaller import) is success. */
		if (err == 0)
			undo(&t);
		else
			assert_int_equal(err, -VMK_ENOMEM);
		vmk_phys_get_stats(&b);
		assert_int_equal(b.state[VMK_PAGE_ALLOC], a.state[VMK_PAGE_ALLOC]);
		assert_int_equal(b.state[VMK_PAGE_PTP], a.state[VMK_PAGE_PTP]);
		assert_int_equal(b.state[VMK_PAGE_NOFREE], a.state[VMK_PAGE_NOFREE]);
		assert_int_equal(b.free + b.state[VMK_PAGE_NOFREE_POOL],
				 a.free + a.state[VMK_PAGE_NOFREE_POOL]);
		tp_check();
	}
	/* 4 pages, a block, a run, a bulk, 3 NOFREE pages, a batch: at least 11 attempts. */
	assert_true(n >= 11);
	tp_check();
	undo(&t);
	tp_check();
}

static void test_sweep_cached(void **state)
{
	(void)state;
	sweep(0);
}

static void test_sweep_nocache(void **state)
{
	(void)state;
	sweep(VMK_ALLOC_NOCACHE);
}

/* Sticky failure: everything fails from the n-th attempt on. */
static void test_sticky(void **state)
{
	struct taken t;

	(void)state;
	machine();
	for (unsigned long n = 0; n < 12; n++) {
		uint64_t free0 = tp_free() + tp_state(VMK_PAGE_NOFREE_POOL);

		vmk_sim_fail_nth(n, "phys.", true);
		assert_int_equal(scenario(0, &t), -VMK_ENOMEM);
		vmk_sim_fail_off();
		assert_int_equal(tp_free() + tp_state(VMK_PAGE_NOFREE_POOL), free0);
		assert_int_equal(tp_state(VMK_PAGE_ALLOC), 0);
		tp_check();
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sweep_cached),
		cmocka_unit_test(test_sweep_nocache),
		cmocka_unit_test(test_sticky),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
