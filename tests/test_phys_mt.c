/*
 * Multi-threaded stress: simulated CPUs (threads) allocate and free
 * through their caches, the buddy lists, contiguous and NOFREE paths,
 * hand pages to each other (so pages are freed on another CPU than the
 * one that allocated them) and post drain requests, in memory small
 * enough to run short. Afterwards every invariant holds and every frame
 * is accounted for. Run under ThreadSanitizer with `make check TSAN=1`.
 * VMK_PHYS_MT_OPS sets the operations per thread.
 */
#include "phys_util.h"

#include <pthread.h>

#define MiB VMK_MiB
#define GiB VMK_GiB
#define PG VMK_PAGE_SIZE
#define NTHREADS 4
#define HELD 256

/* A hand-off queue between threads. */
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vmk_page *q[1024];
static size_t qn;

static unsigned long ops_per_thread;
static uint64_t seed0;
static unsigned long fails[NTHREADS];

struct held {
	struct vmk_page *p;
	uint64_t n;
	int kind;	/* 0 single, 1 order-2 block, 2 contig run, 3 nofree */
};

static void put(struct held *h)
{
	switch (h->kind) {
	case 0:
		vmk_page_free(h->p);
		break;
	case 1:
		vmk_page_free_order(h->p, 2);
		break;
	case 2:
		vmk_page_free_contig(h->p, h->n);
		break;
	case 3:
		vmk_page_nofree_return(h->p);
		break;
	}
}

static void *worker(void *arg)
{
	unsigned int cpu = (unsigned int)(uintptr_t)arg;
	struct held held[HELD];
	size_t nh = 0;
	uint64_t rng = seed0 + cpu * 7919 + 1;

	vmk_sim_set_cpu(cpu);
	for (unsigned long i = 0; i < ops_per_thread; i++) {
		unsigned int op = (unsigned int)(tp_rand(&rng) % 100);
		struct held h = { 0 };

		if (nh == HELD || (nh > 0 && op < 40)) {
			size_t k = tp_rand(&rng) % nh;

			h = held[k];
			held[k] = held[--nh];
			/* Some single pages go to another CPU to be freed there. */
			if (h.kind == 0 && op < 10) {
				pthread_mutex_lock(&q_lock);
				if (qn < VMK_ARRAY_SIZE(q)) {
					q[qn++] = h.p;
					h.p = NULL;
				}
				pthread_mutex_unlock(&q_lock);
				if (!h.p)
					continue;
			}
			put(&h);
			continue;
		}
		if (op < 45) {
			struct vmk_page *p = NULL;

			pthread_mutex_lock(&q_lock);
			if (qn)
				p = q[--qn];
			pthread_mutex_unlock(&q_lock);
			if (p)
				vmk_page_free(p);
			continue;
		}
		if (op < 80) {
			h.p = vmk_page_alloc(VMK_DOMAIN_LOCAL, VMK_POOL_DEFAULT, op & 1 ? VMK_ALLOC_PTP : 0);
			h.n = 1;
		} else if (op < 88) {
			h.p = vmk_page_alloc_order(VMK_DOMAIN_RR, VMK_POOL_DEFAULT, 2, 0);
			h.n = 4;
			h.kind = 1;
		} else if (op < 92) {
			h.n = 1 + tp_rand(&rng) % 40;
			h.p = vmk_page_alloc_contig(VMK_DOMAIN_LOCAL, h.n, 0, UINT64_MAX, 4 * PG, 0, 0, 0);
			h.kind = 2;
		} else if (op < 96) {
			h.p = vmk_page_alloc_nofree((int)(cpu % 2), 0);
			h.n = 1;
			h.kind = 3;
		} else if (op < 98) {
			struct vmk_page *v[16];
			size_t n = vmk_page_alloc_bulk(VMK_DOMAIN_LOCAL, 0, 0, 16, v);

			vmk_page_free_bulk(v, n);
			continue;
		} else {
			vmk_phys_drain_cpu((unsigned int)(tp_rand(&rng) % NTHREADS));
			continue;
		}
		if (!h.p) {
			fails[cpu]++;
			continue;
		}
		/* The owner's fields are ours to use. */
		h.p->owner = cpu;
		h.p->ref_count++;
		h.p->ref_count = 0;
		held[nh++] = h;
	}
	while (nh > 0)
		put(&held[--nh]);
	return NULL;
}

static void test_stress(void **state)
{
	const char *e = getenv("VMK_PHYS_MT_OPS");
	pthread_t t[NTHREADS];
	struct vmk_phys_stats st;
	uint64_t total;
	unsigned long nf = 0;

	(void)state;
	ops_per_thread = e ? strtoul(e, NULL, 0) : 20000;
	seed0 = th_seed();
	tp_reset();
	vmk_sim_set_cpu_count(NTHREADS);
	/* 2 domains, small enough that threads run short. */
	tp_add_free(4 * GiB, 3 * MiB, 0);
	tp_add_free(8 * GiB, 3 * MiB, 1);
	for (unsigned int c = 0; c < NTHREADS; c++)
		vmk_phys_set_cpu_domain(c, c % 2);
	total = tp_free();
	for (unsigned int c = 0; c < NTHREADS; c++)
		assert_int_equal(pthread_create(&t[c], NULL, worker, (void *)(uintptr_t)c), 0);
	for (unsigned int c = 0; c < NTHREADS; c++)
		assert_int_equal(pthread_join(t[c], NULL), 0);
	while (qn)
		vmk_page_free(q[--qn]);
	vmk_check_phys();
	vmk_phys_drain_all_quiescent();
	vmk_check_phys();
	vmk_phys_get_stats(&st);
	/* Everything came back: free, or in a NOFREE pool. */
	assert_int_equal(st.free + st.state[VMK_PAGE_NOFREE_POOL], total);
	assert_int_equal(st.state[VMK_PAGE_ALLOC] + st.state[VMK_PAGE_PTP] + st.state[VMK_PAGE_NOFREE], 0);
	for (unsigned int c = 0; c < NTHREADS; c++)
		nf += fails[c];
	print_message("stress: %u threads x %lu ops, %lu allocations found memory short\n", NTHREADS,
		      ops_per_thread, nf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stress),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
