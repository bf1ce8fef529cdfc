/*
 * The polled rendezvous shared by arm64 and riscv64 (smp_poll.h). A
 * rendezvous has a generation: the initiator publishes it in rdv_gen,
 * every other CPU parks on its next vmk_cpu_relax() (recording the
 * generation in rdv_parked[] so it parks once per rendezvous), the
 * initiator runs fn when all are parked and releases them by publishing
 * the generation in rdv_release. CPU numbers come from the platform's
 * cpu_id hook.
 */
#include "smp_poll.h"

volatile unsigned int smp_cpus_online = 1;
volatile unsigned int smp_rdv_parked_count;
volatile uint64_t smp_rendezvous_count;

static volatile int rdv_lock;
static volatile uint64_t rdv_gen, rdv_release;
static volatile uint64_t rdv_parked[KERNEL_MAX_CPUS];

unsigned int smp_poll_cpu_count(void *ctx)
{
	(void)ctx;
	return smp_cpus_online;
}

void smp_poll(void)
{
	uint64_t g = rdv_gen;
	unsigned int me;

	if (smp_cpus_online == 1)
		return;
	me = arch_platform.cpu_id(NULL);
	if (rdv_parked[me] != g) {
		__atomic_store_n(&rdv_parked[me], g, __ATOMIC_RELEASE);
		__atomic_fetch_add(&smp_rdv_parked_count, 1, __ATOMIC_ACQ_REL);
		while (__atomic_load_n(&rdv_release, __ATOMIC_ACQUIRE) != g)
			arch_spin_step();
		__atomic_fetch_sub(&smp_rdv_parked_count, 1, __ATOMIC_ACQ_REL);
	}
}

void smp_poll_rendezvous(void *ctx, vmk_rendezvous_fn fn, void *arg)
{
	unsigned int n = smp_cpus_online, me = arch_platform.cpu_id(NULL);
	uint64_t g;

	(void)ctx;
	if (n == 1) {
		fn(arg, me);
		return;
	}
	while (__atomic_exchange_n(&rdv_lock, 1, __ATOMIC_ACQUIRE))
		smp_poll();
	g = rdv_gen + 1;
	rdv_parked[me] = g;
	__atomic_store_n(&rdv_gen, g, __ATOMIC_RELEASE);
	while (__atomic_load_n(&smp_rdv_parked_count, __ATOMIC_ACQUIRE) != n - 1)
		arch_spin_step();
	smp_rendezvous_count++;
	fn(arg, me);
	__atomic_store_n(&rdv_release, g, __ATOMIC_RELEASE);
	while (__atomic_load_n(&smp_rdv_parked_count, __ATOMIC_ACQUIRE) != 0)
		arch_spin_step();
	__atomic_store_n(&rdv_lock, 0, __ATOMIC_RELEASE);
}

void smp_poll_ap_run(unsigned int cpu)
{
	rdv_parked[cpu] = rdv_gen;
	__atomic_fetch_add(&smp_cpus_online, 1, __ATOMIC_ACQ_REL);
	smp_ap_main(cpu);
	for (;;)
		vmk_cpu_relax();
}
