/*
 * arm64 multiprocessing: secondary CPUs started with PSCI CPU_ON over
 * HVC, CPU numbering from MPIDR_EL1 through the MADT's GICC order; the
 * rendezvous is the polled one of smp_poll.c. TLB shootdowns need no IPI
 * (TLBI ...IS).
 */
#include <vmkit/pmap.h>

#include "../smp_poll.h"
#include "a64.h"

#define AP_STACK	(32 * 1024)

static uint8_t ap_stacks[KERNEL_MAX_CPUS][AP_STACK] __attribute__((aligned(16)));

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

void arch_spin_step(void)
{
	__asm__ volatile("yield");
}

extern const char a64_ap_start[];

static void ap_entry(unsigned int cpu);

static void ap_entry(unsigned int cpu)
{
	a64_set_vbar();
	smp_poll_ap_run(cpu);
}

unsigned int arch_start_cpus(void)
{
	const struct boot_info *bi = &boot_info;

	for (unsigned int cpu = 1; cpu < bi->ncpus; cpu++) {
		unsigned int before = smp_cpus_online;
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
		r = (int64_t)a64_hvc(0xc4000003ull, bi->cpu_hwid[cpu], smp_image_pa(a64_ap_start),
				     smp_image_pa(&ap_ctx));
		for (uint64_t spin = 0; !r && smp_cpus_online == before && spin < KERNEL_SPIN_LIMIT; spin++)
			__asm__ volatile("yield");
		if (smp_cpus_online == before)
			kprintf("smp: CPU %u (MPIDR 0x%x) did not start (PSCI CPU_ON returned %lld)\n", cpu,
				bi->cpu_hwid[cpu], (long long)r);
		else
			kprintf("smp: CPU %u (MPIDR 0x%x) is up\n", cpu, bi->cpu_hwid[cpu]);
	}
	return smp_cpus_online;
}
