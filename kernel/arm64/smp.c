/*
 * arm64 multiprocessing: secondary CPUs started with PSCI CPU_ON over
 * HVC, CPU numbering from MPIDR_EL1 through the MADT's GICC order, and a
 * rendezvous without interrupts: every CPU spins only through
 * vmk_cpu_relax(), which parks it when a rendezvous is pending. TLB
 * shootdowns need no IPI (TLBI ...IS).
 */
#include <vmkit/pmap.h>

#include "../kernel.h"
#include "a64.h"

#define AP_STACK	(32 * 1024)

static volatile unsigned int cpus_online = 1;
static uint8_t ap_stacks[KERNEL_MAX_CPUS][AP_STACK] __attribute__((aligned(16)));

static volatile int rdv_lock;
static volatile uint64_t rdv_gen, rdv_release;
static volatile uint64_t rdv_parked[KERNEL_MAX_CPUS];
volatile unsigned int smp_rdv_parked_count;
volatile uint64_t smp_rendezvous_count;

/* What a64_ap_start reads with the MMU off (8-byte aligned, cleaned to PoC). */
static struct {
	uint64_t mair, tcr, ttbr0, ttbr1, sctlr, stack, entry, cpu;
} ap_ctx __attribute__((aligned(64)));

unsigned int a64_cpu_id(void *ctx)
{
	uint64_t aff = read_mpidr_el1() & 0xff00ffffffull;

	(void)ctx;
	for (unsigned int i = 0; i < boot_info.ncpus; i++)
		if (boot_info.cpu_hwid[i] == (uint32_t)aff)
			return i;
	return 0;
}

unsigned int a64_cpu_count(void *ctx)
{
	(void)ctx;
	return cpus_online;
}

void a64_smp_poll(void)
{
	uint64_t g = rdv_gen;
	unsigned int me;

	if (cpus_online == 1)
		return;
	me = a64_cpu_id(NULL);
	if (rdv_parked[me] != g) {
		__atomic_store_n(&rdv_parked[me], g, __ATOMIC_RELEASE);
		__atomic_fetch_add(&smp_rdv_parked_count, 1, __ATOMIC_ACQ_REL);
		while (__atomic_load_n(&rdv_release, __ATOMIC_ACQUIRE) != g)
			__asm__ volatile("yield");
		__atomic_fetch_sub(&smp_rdv_parked_count, 1, __ATOMIC_ACQ_REL);
	}
}

void a64_rendezvous(void *ctx, vmk_rendezvous_fn fn, void *arg)
{
	unsigned int n = cpus_online, me = a64_cpu_id(NULL);
	uint64_t g;

	(void)ctx;
	if (n == 1) {
		fn(arg, me);
		return;
	}
	while (__atomic_exchange_n(&rdv_lock, 1, __ATOMIC_ACQUIRE))
		a64_smp_poll();
	g = rdv_gen + 1;
	rdv_parked[me] = g;
	__atomic_store_n(&rdv_gen, g, __ATOMIC_RELEASE);
	while (__atomic_load_n(&smp_rdv_parked_count, __ATOMIC_ACQUIRE) != n - 1)
		__asm__ volatile("yield");
	smp_rendezvous_count++;
	fn(arg, me);
	__atomic_store_n(&rdv_release, g, __ATOMIC_RELEASE);
	while (__atomic_load_n(&smp_rdv_parked_count, __ATOMIC_ACQUIRE) != 0)
		__asm__ volatile("yield");
	__atomic_store_n(&rdv_lock, 0, __ATOMIC_RELEASE);
}

extern const char a64_ap_start[];

static void ap_entry(unsigned int cpu);

static void ap_entry(unsigned int cpu)
{
	a64_set_vbar();
	rdv_parked[cpu] = rdv_gen;
	__atomic_fetch_add(&cpus_online, 1, __ATOMIC_ACQ_REL);
	smp_ap_main(cpu);
	for (;;)
		vmk_cpu_relax();
}

/* The physical address of a kernel address in the image. */
static uint64_t image_pa_of(const void *p)
{
	return (uint64_t)(uintptr_t)p - boot_info.image_kva + boot_info.image_pa;
}

unsigned int arch_start_cpus(void)
{
	const struct boot_info *bi = &boot_info;

	for (unsigned int cpu = 1; cpu < bi->ncpus; cpu++) {
		unsigned int before = cpus_online;
		int64_t r;

		ap_ctx.mair = read_mair_el1();
		ap_ctx.tcr = a64_tcr;
		ap_ctx.ttbr0 = a64_ap_ttbr0;
		ap_ctx.ttbr1 = read_ttbr1_el1();
		ap_ctx.sctlr = read_sctlr_el1();
		ap_ctx.stack = (uint64_t)(uintptr_t)(ap_stacks[cpu] + AP_STACK);
		ap_ctx.entry = (uint64_t)(uintptr_t)ap_entry;
		ap_ctx.cpu = cpu;
		for (uint64_t a = (uint64_t)(uintptr_t)&ap_ctx; a < (uint64_t)(uintptr_t)(&ap_ctx + 1); a += 64)
			__asm__ volatile("dc civac, %0" : : "r"(a) : "memory");
		__asm__ volatile("dsb sy" : : : "memory");
		r = (int64_t)a64_hvc(0xc4000003ull, bi->cpu_hwid[cpu], image_pa_of(a64_ap_start),
				     image_pa_of(&ap_ctx));
		for (uint64_t spin = 0; !r && cpus_online == before && spin < KERNEL_SPIN_LIMIT; spin++)
			__asm__ volatile("yield");
		if (cpus_online == before)
			kprintf("smp: CPU %u (MPIDR 0x%x) did not start (PSCI CPU_ON returned %lld)\n", cpu,
				bi->cpu_hwid[cpu], (long long)r);
		else
			kprintf("smp: CPU %u (MPIDR 0x%x) is up\n", cpu, bi->cpu_hwid[cpu]);
	}
	return cpus_online;
}
