/*
 * The polled rendezvous of arm64 and riscv64 (smp_poll.c): no interrupts
 * and no IPIs. Every CPU spins only through vmk_cpu_relax(), whose hook
 * calls smp_poll(), so a CPU that spins anywhere serves a pending
 * rendezvous; TLB shootdowns need no help from the target CPU there
 * (TLBI ...IS, SBI RFENCE).
 */
#ifndef KERNEL_SMP_POLL_H
#define KERNEL_SMP_POLL_H

#include "kernel.h"

/* CPUs that have come up (the boot CPU included); arch_start_cpus() waits on it. */
extern volatile unsigned int smp_cpus_online;

/* The platform's cpu_count hook: smp_cpus_online. Any context. */
unsigned int smp_poll_cpu_count(void *ctx);
/*
 * The platform's rendezvous hook: fn(arg, this CPU) runs while every other
 * online CPU is parked in smp_poll(); returns when they are released.
 * Any context where the caller may spin (interrupts are not needed).
 */
void smp_poll_rendezvous(void *ctx, vmk_rendezvous_fn fn, void *arg);
/* Park this CPU while a rendezvous it has not joined is pending; returns at once otherwise. Any context. */
void smp_poll(void);
/*
 * A started CPU's life on its own stack: it joins (counts as online, is not
 * owed the rendezvous pending now), runs smp_ap_main(cpu), then only polls.
 * Its entry code only; never returns.
 */
VMK_NORETURN void smp_poll_ap_run(unsigned int cpu);

/* The physical address of a kernel address in the image (what a CPU starting with the MMU off is given). */
static inline uint64_t smp_image_pa(const void *p)
{
	return (uint64_t)(uintptr_t)p - boot_info.image_kva + boot_info.image_pa;
}

/* Arch: one step of a spin that must not serve a rendezvous itself (yield, nop). Any context. */
void arch_spin_step(void);

#endif
