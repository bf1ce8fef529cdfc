/*
 * Per-CPU caches against a rendezvous that parks CPUs at arbitrary points
 * (sim/rendezvous.c, signal-based like an IPI): draining every cache
 * while the other CPUs allocate, free, use NOFREE and contiguous runs;
 * reclaiming pages stranded in another CPU's cache; a CPU going offline.
 * Run under ThreadSanitizer with `make check TSAN=1`.
 * VMK_PHYS_RDV_OPS sets the operations per thread.
 */
#include "phys_util.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>

#define MiB VMK_MiB
#define GiB VMK_GiB
#define NT 3	/* CPU 0 drains, the others allocate and free */
#define HELD 128

static unsigned long ops;
static uint64_t seed0;
static unsigned long drains[NT];
static unsigned int started, ndone_workers;
static unsigned long spent;

/* Completion with a deadline: a deadlock fails the test instead of hanging it. */
static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cv = PTHREAD_COND_INITIALIZER;
static unsigned int ndone;

static void finished(void)
{
	pthread_mutex_lock(&done_lock);
	ndone++;
	pthread_cond_broadcast(&done_cv);
	pthread_mutex_unlock(&done_lock);
}

static void wait_all(unsigned int n, int seconds)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += seconds;
	pthread_mutex_lock(&done_lock);
	while (ndone < n) {
		if (pthread_cond_timedwait(&done_cv, &done_lock, &ts) == ETIMEDOUT) {
			fprintf(stderr, "phys rdv: threads stuck after %d s (deadlock), seed %llu\n",
				seconds, (unsigned long long)seed0);
			abort();
		}
	}
	pthread_mutex_unlock(&done_lock);
}

struct held {
	struct vmk_page *p;
	size_t n;
	int kind;	/* 0 single, 1 nofree, 2 contig run, 3 bulk-freed single */
};

static void put(struct held *h)
{
	if (h->kind == 1)
		vmk_page_nofree_return(h->p);
	else if (h->kind == 2)
		vmk_page_free_contig(h->p, h->n);
	else
		vmk_page_free(h->p);
}

static void *worker(void *arg)
{
	unsigned int cpu = (unsigned int)(uintptr_t)arg;
	struct held held[HELD];
	size_t nh = 0;
	/* splitmix64 of the seed: the CPUs' streams are unrelated (not in lockstep). */
	uint64_t rng = (seed0 + (cpu + 1) * 0x9e3779b97f4a7c15ull);

	rng = (rng ^ (rng >> 30)) * 0xbf58476d1ce4e5b9ull;
	rng = (rng ^ (rng >> 27)) * 0x94d049bb133111ebull;
	rng ^= rng >> 31;
	rng |= 1;

	vmk_sim_rdv_cpu_enter(cpu);
	/* Start together, so the CPUs overlap for the whole run. */
	__atomic_add_fetch(&started, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&started, __ATOMIC_ACQUIRE) < NT - 1)
		sched_yield();
	/*
	 * A shared budget of operations: everyone runs until it is spent, so
	 * the CPUs overlap to the end even when one is parked more often.
	 */
	while (__atomic_add_fetch(&spent, 1, __ATOMIC_RELAXED) <= ops * (NT - 1)) {
		unsigned int op = (unsigned int)(tp_rand(&rng) % 200);
		struct held h = { 0 };

		if (op < 1) {	/* 0.5%: a drain from a busy CPU (concurrent initiators) */
			vmk_phys_drain_all();
			drains[cpu]++;
			continue;
		}
		if (nh == HELD || (nh > 0 && op < 90)) {
			size_t k = tp_rand(&rng) % nh;

			h = held[k];
			held[k] = held[--nh];
			put(&h);
			continue;
		}
		if (op < 110) {
			h.p = vmk_page_alloc_nofree(VMK_DOMAIN_LOCAL, 0);
			h.kind = 1;
		} else if (op < 120) {
			h.n = 1 + tp_rand(&rng) % 64;
			h.p = vmk_page_alloc_contig(VMK_DOMAIN_LOCAL, h.n, 0, ~(vmk_paddr_t)0, 0, 0,
						    VMK_MEMATTR_WB, 0);
			h.kind = 2;
		} else {
			h.p = vmk_page_alloc(VMK_DOMAIN_LOCAL, VMK_POOL_DEFAULT, 0);
		}
		if (h.p)
			held[nh++] = h;
	}
	while (nh)
		put(&held[--nh]);
	__atomic_add_fetch(&ndone_workers, 1, __ATOMIC_RELEASE);
	vmk_sim_rdv_cpu_exit();
	finished();
	return NULL;
}

/* CPU 0 drains everyone while the others work: its IPIs land wherever they run. */
static void *drainer(void *arg)
{
	(void)arg;
	unsigned long last = 0;

	vmk_sim_rdv_cpu_enter(0);
	while (__atomic_load_n(&ndone_workers, __ATOMIC_ACQUIRE) < NT - 1) {
		unsigned long now = __atomic_load_n(&spent, __ATOMIC_RELAXED);

		/* One drain per 32 operations of the others: they are not starved by parks. */
		if (now - last < 32) {
			sched_yield();
			continue;
		}
		last = now;
		vmk_phys_drain_all();
		drains[0]++;
	}
	vmk_sim_rdv_cpu_exit();
	finished();
	return NULL;
}

/* Every drain is a rendezvous; the workers are parked wherever they are. */
static void test_drain_while_busy(void **state)
{
	const char *e = getenv("VMK_PHYS_RDV_OPS");
	pthread_t t[NT];
	struct vmk_phys_stats st;
	struct vmk_sim_rdv_stats rs;
	uint64_t total;

	unsigned long nd = 0;

	(void)state;
	ops = e ? strtoul(e, NULL, 0) : 20000;	/* per CPU */
	seed0 = th_seed();
	tp_reset();
	vmk_sim_set_cpu_count(NT);
	vmk_sim_rdv_install();
	/* Small enough that NOFREE imports next to used runs and memory runs short. */
	tp_add_free(4 * GiB, 16 * MiB, 0);
	total = tp_free();
	ndone = started = ndone_workers = 0;
	spent = 0;
	assert_int_equal(pthread_create(&t[0], NULL, drainer, NULL), 0);
	for (unsigned int c = 1; c < NT; c++)
		assert_int_equal(pthread_create(&t[c], NULL, worker, (void *)(uintptr_t)c), 0);
	wait_all(NT, 120);
	for (unsigned int c = 0; c < NT; c++)
		assert_int_equal(pthread_join(t[c], NULL), 0);
	vmk_sim_rdv_stats(&rs);
	vmk_sim_rdv_uninstall();
	vmk_check_phys();
	vmk_phys_drain_all_quiescent();
	vmk_check_phys();
	vmk_phys_get_stats(&st);
	assert_int_equal(st.free + st.state[VMK_PAGE_NOFREE_POOL], total);
	assert_int_equal(st.state[VMK_PAGE_ALLOC] + st.state[VMK_PAGE_NOFREE], 0);
	for (unsigned int c = 0; c < NT; c++)
		nd += drains[c];
	assert_true(rs.parked > 0);
	print_message("rdv drain: %u CPUs x %lu ops, %lu drains, %lu rendezvous, %lu parks "
		      "(%lu deferred to the end of a critical section)\n",
		      NT, ops, nd, rs.rendezvous, rs.parked, rs.deferred);
	vmk_sim_set_cpu_count(1);
}

/* ---- stranded caches ---- */

static unsigned int phase;	/* 1: CPU 1 filled its cache; 2: release it */

static void *filler(void *arg)
{
	struct vmk_page *p[96];
	bool rdv = arg != NULL;

	if (rdv)
		vmk_sim_rdv_cpu_enter(1);
	else
		vmk_sim_set_cpu(1);
	for (int i = 0; i < 96; i++)
		p[i] = vmk_page_alloc(0, VMK_POOL_DEFAULT, 0);
	for (int i = 0; i < 96; i++)
		vmk_page_free(p[i]);
	__atomic_store_n(&phase, 1, __ATOMIC_RELEASE);
	if (rdv) {
		/* Stay online, busy elsewhere: the rendezvous parks it here. */
		while (__atomic_load_n(&phase, __ATOMIC_ACQUIRE) != 2)
			sched_yield();
		vmk_sim_rdv_cpu_exit();
	}
	finished();
	return NULL;
}

static void stranded_setup(void)
{
	tp_reset();
	vmk_sim_set_cpu_count(2);
	tp_add_free(4 * GiB, 4 * MiB, 0);	/* 1024 frames */
	phase = 0;
	ndone = 0;
}

/* All 1024 frames contiguous while 96 sit in CPU 1's cache: the rendezvous reclaims them. */
static void test_stranded_reclaimed_by_rendezvous(void **state)
{
	pthread_t t;
	struct vmk_page *run;

	(void)state;
	stranded_setup();
	vmk_sim_rdv_install();
	vmk_sim_rdv_cpu_enter(0);
	assert_int_equal(pthread_create(&t, NULL, filler, (void *)1), 0);
	while (__atomic_load_n(&phase, __ATOMIC_ACQUIRE) != 1)
		sched_yield();
	assert_int_equal(tp_state(VMK_PAGE_PCPU), 96);
	run = vmk_page_alloc_contig(0, 1024, 0, ~(vmk_paddr_t)0, 0, 0, VMK_MEMATTR_WB, 0);
	assert_non_null(run);
	assert_int_equal(vmk_page_to_pa(run), 4 * GiB);
	__atomic_store_n(&phase, 2, __ATOMIC_RELEASE);
	wait_all(1, 120);
	assert_int_equal(pthread_join(t, NULL), 0);
	vmk_sim_rdv_cpu_exit();
	vmk_sim_rdv_uninstall();
	vmk_page_free_contig(run, 1024);
	tp_check();
	vmk_sim_set_cpu_count(1);
}

/* Without a rendezvous, CPU 1 going offline gives its cache back. */
static void test_cpu_dead_returns_cache(void **state)
{
	pthread_t t;
	struct vmk_page *run;
	struct vmk_phys_stats st;

	(void)state;
	stranded_setup();
	assert_int_equal(pthread_create(&t, NULL, filler, NULL), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	/* Only a request can be posted to CPU 1, which runs nothing: the run cannot be found. */
	assert_null(vmk_page_alloc_contig(0, 1024, 0, ~(vmk_paddr_t)0, 0, 0, VMK_MEMATTR_WB, 0));
	assert_int_equal(tp_state(VMK_PAGE_PCPU), 96);
	vmk_phys_cpu_dead(1);
	assert_int_equal(tp_state(VMK_PAGE_PCPU), 0);
	tp_check();
	run = vmk_page_alloc_contig(0, 1024, 0, ~(vmk_paddr_t)0, 0, 0, VMK_MEMATTR_WB, 0);
	assert_non_null(run);
	vmk_page_free_contig(run, 1024);
	vmk_phys_drain_all_quiescent();
	tp_check();
	vmk_phys_get_stats(&st);
	assert_int_equal(st.free, 1024);
	vmk_sim_set_cpu_count(1);
}

static void *cpu1_alloc_free(void *arg)
{
	struct vmk_page *p;

	(void)arg;
	vmk_sim_set_cpu(1);
	p = vmk_page_alloc(0, VMK_POOL_DEFAULT, 0);	/* a pop: requests are not looked at */
	assert_non_null(p);
	vmk_page_free(p);				/* the push honours the drain request */
	return NULL;
}

/*
 * Without a rendezvous, the failing request posts a drain request to CPU
 * 1; CPU 1's next free returns its whole cache, and the request then
 * succeeds.
 */
static void test_stranded_request_honoured(void **state)
{
	pthread_t t;
	struct vmk_page *run;

	(void)state;
	stranded_setup();
	assert_int_equal(pthread_create(&t, NULL, filler, NULL), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_null(vmk_page_alloc_contig(0, 1024, 0, ~(vmk_paddr_t)0, 0, 0, VMK_MEMATTR_WB, 0));
	assert_int_equal(tp_state(VMK_PAGE_PCPU), 96);
	assert_int_equal(pthread_create(&t, NULL, cpu1_alloc_free, NULL), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(tp_state(VMK_PAGE_PCPU), 0);
	run = vmk_page_alloc_contig(0, 1024, 0, ~(vmk_paddr_t)0, 0, 0, VMK_MEMATTR_WB, 0);
	assert_non_null(run);
	vmk_page_free_contig(run, 1024);
	tp_check();
	vmk_sim_set_cpu_count(1);
}


/* ---- a CPU holding a domain lock when the rendezvous comes ---- */

static bool (*prev_fault)(void *, const char *);
static unsigned int holder_inside, holder_armed;
static unsigned long holder_deferred0;

/* Called by phys with the domain lock held (the NOFREE import's fault site). */
static bool holder_fault(void *ctx, const char *site)
{
	if (__atomic_load_n(&holder_armed, __ATOMIC_ACQUIRE) &&
	    strcmp(site, "phys.nofree.import") == 0 && vmk_cpu_id() == 1) {
		struct vmk_sim_rdv_stats st;

		__atomic_store_n(&holder_armed, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&holder_inside, 1, __ATOMIC_RELEASE);
		/* Hold the lock until the park request has come (and been postponed). */
		do {
			vmk_sim_rdv_stats(&st);
			sched_yield();
		} while (st.deferred == holder_deferred0);
	}
	return prev_fault ? prev_fault(ctx, site) : false;
}

static void *lock_holder(void *arg)
{
	struct vmk_page *p;

	(void)arg;
	vmk_sim_rdv_cpu_enter(1);
	p = vmk_page_alloc_nofree(0, 0);
	assert_non_null(p);
	vmk_page_nofree_return(p);
	vmk_sim_rdv_cpu_exit();
	finished();
	return NULL;
}

static void *drain_initiator(void *arg)
{
	(void)arg;
	vmk_sim_rdv_cpu_enter(0);
	while (!__atomic_load_n(&holder_inside, __ATOMIC_ACQUIRE))
		sched_yield();
	vmk_phys_drain_all();
	vmk_sim_rdv_cpu_exit();
	finished();
	return NULL;
}

/*
 * CPU 1 holds the domain lock (inside the NOFREE import) when CPU 0
 * drains: the park waits for the lock to be dropped (it is held with
 * interrupts disabled), so the drain neither deadlocks nor sees a
 * half-done operation.
 */
static void test_drain_waits_for_lock_holder(void **state)
{
	struct vmk_platform *pl = vmk_sim_platform();
	struct vmk_sim_rdv_stats st;
	pthread_t a, b;

	(void)state;
	tp_reset();
	vmk_sim_set_cpu_count(2);
	tp_add_free(4 * GiB, 4 * MiB, 0);
	vmk_sim_rdv_install();
	prev_fault = pl->fault_inject;
	pl->fault_inject = holder_fault;
	vmk_sim_rdv_stats(&st);
	holder_deferred0 = st.deferred;
	holder_inside = 0;
	ndone = 0;
	__atomic_store_n(&holder_armed, 1, __ATOMIC_RELEASE);
	assert_int_equal(pthread_create(&a, NULL, lock_holder, NULL), 0);
	assert_int_equal(pthread_create(&b, NULL, drain_initiator, NULL), 0);
	wait_all(2, 120);
	assert_int_equal(pthread_join(a, NULL), 0);
	assert_int_equal(pthread_join(b, NULL), 0);
	pl->fault_inject = prev_fault;
	vmk_sim_rdv_uninstall();
	vmk_sim_rdv_stats(&st);
	assert_int_equal(st.deferred, holder_deferred0 + 1);
	tp_check();
	vmk_sim_set_cpu_count(1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drain_while_busy),
		cmocka_unit_test(test_drain_waits_for_lock_holder),
		cmocka_unit_test(test_stranded_reclaimed_by_rendezvous),
		cmocka_unit_test(test_cpu_dead_returns_cache),
		cmocka_unit_test(test_stranded_request_honoured),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
