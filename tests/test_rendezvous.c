/*
 * The simulator's arbitrary-point rendezvous (sim/rendezvous.c): other
 * CPUs are parked wherever they are (mid-loop, not at a cooperative
 * point), a CPU with interrupts disabled finishes its section first, and
 * two CPUs starting a rendezvous at once do not deadlock.
 */
#include "harness.h"

#include <pthread.h>
#include <sched.h>

#define NW 3

static unsigned long counter[NW];	/* written by its worker with plain stores */
static unsigned int stop;
static unsigned int ready;

static void *spinner(void *arg)
{
	unsigned int cpu = (unsigned int)(uintptr_t)arg;

	vmk_sim_rdv_cpu_enter(cpu);
	__atomic_add_fetch(&ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		/* A plain read-modify-write: it stops wherever the park lands. */
		counter[cpu - 1]++;
	}
	vmk_sim_rdv_cpu_exit();
	return NULL;
}

static void frozen_fn(void *arg, unsigned int cpu)
{
	unsigned long before[NW];
	bool *ok = arg;

	(void)cpu;
	for (int i = 0; i < NW; i++)
		before[i] = counter[i];
	for (int k = 0; k < 10; k++)
		sched_yield();
	for (int i = 0; i < NW; i++)
		if (counter[i] != before[i])
			*ok = false;
}

/* While the function runs, no other CPU makes progress. */
static void test_parks_everyone(void **state)
{
	pthread_t t[NW];
	struct vmk_sim_rdv_stats a, b;

	(void)state;
	vmk_sim_install();
	vmk_sim_set_cpu_count(NW + 1);
	vmk_sim_rdv_install();
	vmk_sim_rdv_cpu_enter(0);
	stop = ready = 0;
	for (uintptr_t i = 0; i < NW; i++)
		assert_int_equal(pthread_create(&t[i], NULL, spinner, (void *)(i + 1)), 0);
	while (__atomic_load_n(&ready, __ATOMIC_ACQUIRE) < NW)
		sched_yield();
	vmk_sim_rdv_stats(&a);
	for (int r = 0; r < 50; r++) {
		bool ok = true;

		vmk_rendezvous(frozen_fn, &ok);
		assert_true(ok);
	}
	vmk_sim_rdv_stats(&b);
	assert_int_equal(b.rendezvous - a.rendezvous, 50);
	assert_int_equal(b.parked - a.parked, 50 * NW);
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < NW; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	vmk_sim_rdv_cpu_exit();
	vmk_sim_rdv_uninstall();
	vmk_sim_set_cpu_count(1);
}

/* ---- a CPU with interrupts disabled parks only when it restores them ---- */

static unsigned int in_section, section_done;
static unsigned long deferred_before;

static void *masked(void *arg)
{
	struct vmk_sim_rdv_stats st;
	unsigned long s;

	(void)arg;
	vmk_sim_rdv_cpu_enter(1);
	s = vmk_intr_disable();
	__atomic_store_n(&in_section, 1, __ATOMIC_RELEASE);
	/* Wait until the park request has arrived and been postponed. */
	do {
		vmk_sim_rdv_stats(&st);
		sched_yield();
	} while (st.deferred == deferred_before);
	section_done = 1;	/* plain store: the rendezvous function must see it */
	vmk_intr_restore(s);
	vmk_sim_rdv_cpu_exit();
	return NULL;
}

static void check_section_fn(void *arg, unsigned int cpu)
{
	(void)cpu;
	*(unsigned int *)arg = section_done;
}

static void test_masked_cpu_defers(void **state)
{
	pthread_t t;
	struct vmk_sim_rdv_stats st;
	unsigned int seen = 0;

	(void)state;
	vmk_sim_install();
	vmk_sim_set_cpu_count(2);
	vmk_sim_rdv_install();
	vmk_sim_rdv_cpu_enter(0);
	in_section = section_done = 0;
	vmk_sim_rdv_stats(&st);
	deferred_before = st.deferred;
	assert_int_equal(pthread_create(&t, NULL, masked, NULL), 0);
	while (!__atomic_load_n(&in_section, __ATOMIC_ACQUIRE))
		sched_yield();
	vmk_rendezvous(check_section_fn, &seen);
	assert_int_equal(seen, 1);
	assert_int_equal(pthread_join(t, NULL), 0);
	vmk_sim_rdv_stats(&st);
	assert_int_equal(st.deferred, deferred_before + 1);
	assert_false(vmk_sim_intr_disabled());
	vmk_sim_rdv_cpu_exit();
	vmk_sim_rdv_uninstall();
	vmk_sim_set_cpu_count(1);
}

/* ---- every CPU starts rendezvous, some with interrupts disabled ---- */

static unsigned long fn_runs;

static void count_fn(void *arg, unsigned int cpu)
{
	(void)arg;
	(void)cpu;
	fn_runs++;	/* plain: only one rendezvous function runs at a time */
}

static void *initiator(void *arg)
{
	unsigned int cpu = (unsigned int)(uintptr_t)arg;

	vmk_sim_rdv_cpu_enter(cpu);
	for (int i = 0; i < 100; i++) {
		unsigned long s = 0;
		bool masked_now = (i + cpu) % 3 == 0;

		if (masked_now)
			s = vmk_intr_disable();
		vmk_rendezvous(count_fn, NULL);
		if (masked_now)
			vmk_intr_restore(s);
	}
	vmk_sim_rdv_cpu_exit();
	return NULL;
}

static void test_concurrent_initiators(void **state)
{
	pthread_t t[NW];

	(void)state;
	vmk_sim_install();
	vmk_sim_set_cpu_count(NW);
	vmk_sim_rdv_install();
	fn_runs = 0;
	for (uintptr_t i = 0; i < NW; i++)
		assert_int_equal(pthread_create(&t[i], NULL, initiator, (void *)i), 0);
	for (int i = 0; i < NW; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(fn_runs, 100 * NW);
	vmk_sim_rdv_uninstall();
	vmk_sim_set_cpu_count(1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parks_everyone),
		cmocka_unit_test(test_masked_cpu_defers),
		cmocka_unit_test(test_concurrent_initiators),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
