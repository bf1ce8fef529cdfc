/*
 * Shootdowns by IPI under the pmap spinlock (x86-64, which has no
 * break-before-make window): the CPU holding a pmap lock waits for every
 * other CPU to answer its shootdown, and a CPU spinning on that same lock
 * must still answer (platform.h, tlb_invalidate). The platform here models
 * IPIs: a shootdown marks a request pending on each other CPU and waits
 * (bounded) for them to be served; a CPU serves its pending request in
 * cpu_relax when its interrupts are enabled, as an interrupt would be
 * taken in a spin loop.
 */
#include "pmap_util.h"
#include "../src/pmap/pmap_internal.h"

#include <pthread.h>
#include <sched.h>
#include <time.h>

#define UVA 0x0000000040000000ull
#define RW (VMK_PROT_READ | VMK_PROT_WRITE)
#define WAIT_NS 1000000000ll	/* give up on an answer after 1 s: a deadlock */

static void (*sim_tlb)(void *, const struct vmk_tlb_req *);
static void (*sim_relax)(void *);
static int ipi_pending[2];
static unsigned long relax_calls[2], served[2], timeouts;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* The interrupt: taken only with interrupts enabled. */
static void serve(unsigned int cpu)
{
	if (vmk_sim_intr_enabled() && __atomic_exchange_n(&ipi_pending[cpu], 0, __ATOMIC_ACQ_REL))
		__atomic_add_fetch(&served[cpu], 1, __ATOMIC_RELAXED);
}

static void ipi_relax(void *ctx)
{
	unsigned int cpu = vmk_cpu_id() & 1;

	__atomic_add_fetch(&relax_calls[cpu], 1, __ATOMIC_RELAXED);
	serve(cpu);
	if (sim_relax)
		sim_relax(ctx);
	sched_yield();
}

static void ipi_tlb(void *ctx, const struct vmk_tlb_req *req)
{
	unsigned int me = vmk_cpu_id() & 1, other = me ^ 1;
	int64_t deadline;

	sim_tlb(ctx, req);	/* the simulated TLBs of every CPU are emptied here */
	if (!req->shootdown)
		return;
	__atomic_store_n(&ipi_pending[other], 1, __ATOMIC_RELEASE);
	deadline = now_ns() + WAIT_NS;
	while (__atomic_load_n(&ipi_pending[other], __ATOMIC_ACQUIRE)) {
		serve(me);	/* a waiting CPU answers requests aimed at it */
		if (now_ns() > deadline) {
			__atomic_store_n(&ipi_pending[other], 0, __ATOMIC_RELEASE);
			__atomic_add_fetch(&timeouts, 1, __ATOMIC_RELAXED);
			break;
		}
		sched_yield();
	}
}

struct cpu1 {
	struct vmk_pmap *pm;
	bool intr_off;		/* the embedder's mistake: lock taken with interrupts masked */
	int r;
};

static void *cpu1_main(void *arg)
{
	struct cpu1 *c = arg;
	unsigned long s = 0;

	vmk_sim_set_cpu(1);
	if (c->intr_off)
		s = vmk_intr_disable();
	c->r = vmk_pmap_enter(c->pm, UVA + 0x1000, PMT_DATA + 0x1000, RW, 0);
	if (c->intr_off)
		vmk_intr_restore(s);
	return NULL;
}

/* cpu 0 holds the pmap lock and shoots down while cpu 1 spins on it. */
static unsigned long run(bool intr_off)
{
	struct pmt_opts o = { .arch = VMK_PMAP_ARCH_X86_64, .ncpus = 2, .no_promote = true };
	struct vmk_platform *p;
	struct vmk_pmap *pm;
	struct cpu1 c;
	pthread_t t;
	int64_t deadline;
	unsigned long got;

	pmt_boot(&o);
	p = vmk_sim_platform();
	sim_tlb = p->tlb_invalidate;
	sim_relax = p->cpu_relax;
	p->tlb_invalidate = ipi_tlb;
	p->cpu_relax = ipi_relax;
	memset(ipi_pending, 0, sizeof(ipi_pending));
	memset(relax_calls, 0, sizeof(relax_calls));
	memset(served, 0, sizeof(served));
	timeouts = 0;
	assert_int_equal(vmk_pmap_create(&pm), 0);
	vmk_pmap_activate(pm, 0);
	vmk_pmap_activate(pm, 1);
	assert_int_equal(vmk_pmap_enter(pm, UVA, PMT_DATA, RW, 0), 0);

	c.pm = pm;
	c.intr_off = intr_off;
	c.r = 1;
	vmk_pmap__lock(pm);
	assert_int_equal(pthread_create(&t, NULL, cpu1_main, &c), 0);
	/* Wait until cpu 1 spins on the lock (its spin loop relaxes). */
	deadline = now_ns() + 10 * WAIT_NS;
	while (!__atomic_load_n(&relax_calls[1], __ATOMIC_ACQUIRE) && now_ns() < deadline)
		sched_yield();
	assert_true(__atomic_load_n(&relax_calls[1], __ATOMIC_ACQUIRE) > 0);
	vmk_pmap__tlb_range(pm, UVA, VMK_PAGE_SIZE, true);
	vmk_pmap__unlock(pm);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(c.r, 0);
	got = __atomic_load_n(&served[1], __ATOMIC_RELAXED);
	assert_int_equal(got + __atomic_load_n(&timeouts, __ATOMIC_RELAXED), 1);

	p->tlb_invalidate = sim_tlb;
	p->cpu_relax = sim_relax;
	/* A pmap active on a CPU cannot be destroyed. */
	vmk_pmap_activate(vmk_pmap_kernel(), 0);
	vmk_pmap_activate(vmk_pmap_kernel(), 1);
	vmk_pmap_destroy(pm);
	pmt_shutdown();
	return got;
}

/* vmkit's spin loops keep interrupts enabled: the spinning CPU answers. */
static void test_spinning_cpu_answers_shootdown(void **state)
{
	(void)state;
	assert_int_equal(run(false), 1);
	assert_int_equal(timeouts, 0);
}

/* The model can see the deadlock: a CPU spinning with interrupts masked never answers. */
static void test_masked_spinner_deadlocks(void **state)
{
	(void)state;
	assert_int_equal(run(true), 0);
	assert_int_equal(timeouts, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spinning_cpu_answers_shootdown),
		cmocka_unit_test(test_masked_spinner_deadlocks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
