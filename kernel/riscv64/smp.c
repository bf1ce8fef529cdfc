/*
 * riscv64 multiprocessing: secondary harts started with SBI HSM
 * hart_start, CPU numbers in tp (the device tree's /cpus order), and a
 * rendezvous without interrupts as on arm64: every CPU spins only
 * through vmk_cpu_relax(), which parks it when a rendezvous is pending.
 * Shootdowns go through SBI RFENCE (cpu.c), which needs nothing from the
 * target hart's supervisor code.
 */
#include <vmkit/pmap.h>

#include "../kernel.h"
#include "rv.h"

#define AP_STACK	(32 * 1024)

static volatile unsigned int cpus_online = 1;
static uint8_t ap_stacks[KERNEL_MAX_CPUS][AP_STACK] __attribute__((aligned(16)));

static volatile int rdv_lock;
static volatile uint64_t rdv_gen, rdv_release;
static volatile uint64_t rdv_parked[KERNEL_MAX_CPUS];
volatile unsigned int smp_rdv_parked_count;
volatile uint64_t smp_rendezvous_count;

/* What rv_ap_start reads through its physical address (entry.S). */
static struct {
	uint64_t satp, stack, cpu;
} ap_ctx[KERNEL_MAX_CPUS] __attribute__((aligned(64)));

unsigned int rv_cpu_id(void *ctx)
{
	uint64_t tp;

	(void)ctx;
	__asm__ volatile("mv %0, tp" : "=r"(tp));
	return (unsigned int)tp;
}

unsigned int rv_cpu_count(void *ctx)
{
	(void)ctx;
	return cpus_online;
}

void rv_smp_poll(void)
{
	uint64_t g = rdv_gen;
	unsigned int me;

	if (cpus_online == 1)
		return;
	me = rv_cpu_id(NULL);
	if (rdv_parked[me] != g) {
		__atomic_store_n(&rdv_parked[me], g, __ATOMIC_RELEASE);
		__atomic_fetch_add(&smp_rdv_parked_count, 1, __ATOMIC_ACQ_REL);
		while (__atomic_load_n(&rdv_release, __ATOMIC_ACQUIRE) != g)
			__asm__ volatile("nop");
		__atomic_fetch_sub(&smp_rdv_parked_count, 1, __ATOMIC_ACQ_REL);
	}
}

void rv_rendezvous(void *ctx, vmk_rendezvous_fn fn, void *arg)
{
	unsigned int n = cpus_online, me = rv_cpu_id(NULL);
	uint64_t g;

	(void)ctx;
	if (n == 1) {
		fn(arg, me);
		return;
	}
	while (__atomic_exchange_n(&rdv_lock, 1, __ATOMIC_ACQUIRE))
		rv_smp_poll();
	g = rdv_gen + 1;
	rdv_parked[me] = g;
	__atomic_store_n(&rdv_gen, g, __ATOMIC_RELEASE);
	while (__atomic_load_n(&smp_rdv_parked_count, __ATOMIC_ACQUIRE) != n - 1)
		__asm__ volatile("nop");
	smp_rendezvous_count++;
	fn(arg, me);
	__atomic_store_n(&rdv_release, g, __ATOMIC_RELEASE);
	while (__atomic_load_n(&smp_rdv_parked_count, __ATOMIC_ACQUIRE) != 0)
		__asm__ volatile("nop");
	__atomic_store_n(&rdv_lock, 0, __ATOMIC_RELEASE);
}

extern const char rv_ap_start[];

void rv_ap_entry(unsigned int cpu);

void rv_ap_entry(unsigned int cpu)
{
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
		struct sbiret r;

		ap_ctx[cpu].satp = rv_kernel_satp();
		ap_ctx[cpu].stack = (uint64_t)(uintptr_t)(ap_stacks[cpu] + AP_STACK);
		ap_ctx[cpu].cpu = cpu;
		__asm__ volatile("fence rw, rw" : : : "memory");
		r = rv_sbi(SBI_EXT_HSM, SBI_HSM_HART_START, bi->cpu_hwid[cpu], image_pa_of(rv_ap_start),
			   image_pa_of(&ap_ctx[cpu]), 0);
		for (uint64_t spin = 0; !r.error && cpus_online == before && spin < KERNEL_SPIN_LIMIT; spin++)
			__asm__ volatile("nop");
		if (cpus_online == before)
			kprintf("smp: CPU %u (hart %u) did not start (SBI HSM hart_start returned %lld)\n", cpu,
				bi->cpu_hwid[cpu], (long long)r.error);
		else
			kprintf("smp: CPU %u (hart %u) is up\n", cpu, bi->cpu_hwid[cpu]);
	}
	return cpus_online;
}
