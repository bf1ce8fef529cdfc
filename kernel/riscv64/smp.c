/*
 * riscv64 multiprocessing: secondary harts started with SBI HSM
 * hart_start, CPU numbers in tp (the device tree's /cpus order); the
 * rendezvous is the polled one of smp_poll.c, as on arm64.
 * Shootdowns go through SBI RFENCE (cpu.c), which needs nothing from the
 * target hart's supervisor code.
 */
#include <vmkit/pmap.h>

#include "../smp_poll.h"
#include "rv.h"

#define AP_STACK	(32 * 1024)

static uint8_t ap_stacks[KERNEL_MAX_CPUS][AP_STACK] __attribute__((aligned(16)));

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

void arch_spin_step(void)
{
	__asm__ volatile("nop");
}

/* entry.S: where a started hart begins; it calls smp_poll_ap_run(its CPU number). */
extern const char rv_ap_start[];

unsigned int arch_start_cpus(void)
{
	const struct boot_info *bi = &boot_info;

	for (unsigned int cpu = 1; cpu < bi->ncpus; cpu++) {
		unsigned int before = smp_cpus_online;
		struct sbiret r;

		ap_ctx[cpu].satp = rv_kernel_satp();
		ap_ctx[cpu].stack = (uint64_t)(uintptr_t)(ap_stacks[cpu] + AP_STACK);
		ap_ctx[cpu].cpu = cpu;
		__asm__ volatile("fence rw, rw" : : : "memory");
		r = rv_sbi(SBI_EXT_HSM, SBI_HSM_HART_START, bi->cpu_hwid[cpu], smp_image_pa(rv_ap_start),
			   smp_image_pa(&ap_ctx[cpu]), 0);
		for (uint64_t spin = 0; !r.error && smp_cpus_online == before && spin < KERNEL_SPIN_LIMIT; spin++)
			__asm__ volatile("nop");
		if (smp_cpus_online == before) {
			/* What the firmware thinks the hart is doing (0 started, 1 stopped, 2 start pending). */
			struct sbiret st = rv_sbi(SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, bi->cpu_hwid[cpu], 0, 0, 0);

			kprintf("smp: CPU %u (hart %u) did not start (SBI HSM hart_start returned %lld; "
				"hart_get_status %lld, state %lld)\n", cpu, bi->cpu_hwid[cpu], (long long)r.error,
				(long long)st.error, (long long)st.value);
		}
		else
			kprintf("smp: CPU %u (hart %u) is up\n", cpu, bi->cpu_hwid[cpu]);
	}
	return smp_cpus_online;
}
