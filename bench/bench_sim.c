/* The benchmarks' simulated machine (bench_sim.h). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "bench_sim.h"
#include "sim.h"
#include <vmkit/phys.h>

/* The page records of the last machine (freed when the next one is made). */
static void *meta;
static vmk_paddr_t last_base, last_end;

static void hand_over(const char *who, vmk_paddr_t ram_base, vmk_paddr_t ram_end, vmk_paddr_t alloc_end)
{
	if (vmk_phys_seg_add(ram_base, ram_end, 0, meta) || vmk_phys_bootstrap_free(ram_base, alloc_end)) {
		fprintf(stderr, "%s: cannot set up the machine\n", who);
		exit(1);
	}
}

void bench_sim_machine(const char *who, vmk_paddr_t ram_base, vmk_paddr_t ram_end, vmk_paddr_t alloc_end)
{
	size_t m;

	vmk_sim_ram_reset();
	vmk_sim_set_cpu_count(1);
	vmk_sim_set_cpu(0);
	vmk_phys_reset();
	free(meta);
	m = vmk_phys_seg_meta_size(ram_base, ram_end);
	meta = aligned_alloc(64, (m + 63) & ~(size_t)63);
	if (!meta || vmk_sim_ram_add(ram_base, ram_end - ram_base)) {
		fprintf(stderr, "%s: cannot set up the machine\n", who);
		exit(1);
	}
	last_base = ram_base;
	last_end = ram_end;
	hand_over(who, ram_base, ram_end, alloc_end);
}

void bench_sim_machine_again(const char *who, vmk_paddr_t alloc_end)
{
	if (!meta || !vmk_sim_phys_to_virt(last_base) || !vmk_sim_phys_to_virt(last_end - 1)) {
		fprintf(stderr, "%s: no machine to hand over again\n", who);
		exit(1);
	}
	vmk_sim_set_cpu_count(1);
	vmk_sim_set_cpu(0);
	vmk_phys_reset();
	hand_over(who, last_base, last_end, alloc_end);
}

long bench_sim_host_faults(void)
{
	struct rusage u;

	getrusage(RUSAGE_SELF, &u);
	return u.ru_minflt + u.ru_majflt;
}
