/*
 * The simulated machine the pmap and kmem benchmarks run on (sim/): one
 * CPU and one RAM range with its phys segment.
 */
#ifndef VMKIT_BENCH_SIM_H
#define VMKIT_BENCH_SIM_H

#include <vmkit/types.h>

/*
 * RAM [ram_base, ram_end) in the simulator, with CPU 0 of 1 running, and
 * one phys segment over it of which [ram_base, alloc_end) is free for the
 * allocator (the rest stays reserved). The simulator's platform must be
 * installed. Exits the program, naming who, when the machine cannot be made.
 */
void bench_sim_machine(const char *who, vmk_paddr_t ram_base, vmk_paddr_t ram_end, vmk_paddr_t alloc_end);

/*
 * The last machine of bench_sim_machine() again, with a reset allocator,
 * on the same host memory: RAM and page records stay mapped, so the host
 * pages a repetition touches were faulted in by the one before (a
 * kernel's RAM never page-faults; a first touch of fresh anonymous host
 * memory costs microseconds that no kernel path pays). Its RAM keeps
 * whatever the last run left there, as RAM does.
 */
void bench_sim_machine_again(const char *who, vmk_paddr_t alloc_end);

/* Page faults the process has taken so far (getrusage: minor + major). */
long bench_sim_host_faults(void);

#endif
