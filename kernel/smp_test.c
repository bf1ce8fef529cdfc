/*
 * The two-CPU self-test: CPU 1 keeps writing and reading its per-CPU page
 * while CPU 0 promotes and demotes the 2 MiB run around that page (the
 * translation CPU 1 is using changes under it and must stay right), then
 * CPU 0 removes a page CPU 1 has been reading, and CPU 1 must fault on it:
 * the TLB shootdown reached it. Also a rendezvous with CPU 1 parked.
 */
#include <vmkit/phys.h>
#include <vmkit/pmap.h>

#include "kernel.h"

#define RW	(VMK_PROT_READ | VMK_PROT_WRITE)
#define PG	VMK_PAGE_SIZE

enum { PH_IDLE, PH_RUN, PH_PAUSE, PH_PAUSED, PH_PROBE, PH_PROBED, PH_DONE };

static struct {
	volatile int phase;
	volatile uint64_t pcpu_va, scratch_va;
	volatile uint64_t iters, errors, scratch_reads;
	volatile int probe_result;
	volatile uint64_t probe_addr;
} st;

void smp_ap_main(unsigned int cpu)
{
	if (cpu != 1)
		return;
	while (st.phase != PH_DONE) {
		switch (st.phase) {
		case PH_RUN: {
			uint64_t i = st.iters + 1, v = 0, slot = st.pcpu_va + (i % 512) * 8;

			if (probe_write((void *)(uintptr_t)slot, i ^ 0x5a5a) || probe_read((void *)(uintptr_t)slot, &v) ||
			    v != (i ^ 0x5a5a))
				st.errors++;
			if (!probe_read((void *)(uintptr_t)st.scratch_va, &v) && v == 0x5c5c5c5c)
				st.scratch_reads++;
			else
				st.errors++;
			st.iters = i;
			break;
		}
		case PH_PAUSE:
			st.phase = PH_PAUSED;
			break;
		case PH_PROBE: {
			uint64_t v;
			unsigned int n = last_fault.count;

			st.probe_result = probe_read((void *)(uintptr_t)st.scratch_va, &v);
			st.probe_addr = last_fault.count == n + 1 ? last_fault.addr : 0;
			st.phase = PH_PROBED;
			break;
		}
		default:
			break;
		}
		vmk_cpu_relax();
	}
}

static bool wait_iters(uint64_t n)
{
	uint64_t start = st.iters;

	for (uint64_t spin = 0; spin < KERNEL_SPIN_LIMIT; spin++) {
		if (st.iters >= start + n)
			return true;
		vmk_cpu_relax();
	}
	return false;
}

static bool wait_phase(int ph)
{
	for (uint64_t spin = 0; spin < KERNEL_SPIN_LIMIT; spin++) {
		if (st.phase == ph)
			return true;
		vmk_cpu_relax();
	}
	return false;
}

static volatile unsigned int rdv_seen_cpu = 99, rdv_others_parked;

static void rdv_fn(void *arg, unsigned int cpu)
{
	(void)arg;
	rdv_seen_cpu = cpu;
	rdv_others_parked = smp_rdv_parked_count;
}

void test_smp(void)
{
	struct vmk_pmap *k = vmk_pmap_kernel();
	uint64_t va = arch_test_va + 0x80000000ull, sva = va + 0x400000, pa, spa;
	struct vmk_page *blk;
	struct vmk_pmap_mapping m;
	struct vmk_pmap_stats s0, s1;
	uint64_t served0, rounds_ok = 0, iters0, rdv0 = smp_rendezvous_count;
	bool live = true, shot;
	int r = 0;

	if (vmk_cpu_count() < 2) {
		test_result("smp_pcpu_shootdown", false, "%u CPU(s) online, the MADT lists %u", vmk_cpu_count(),
			    boot_info.ncpus);
		return;
	}
	blk = vmk_page_alloc_order(0, VMK_POOL_DEFAULT, 9, 0);
	spa = vmk_page_to_pa(vmk_page_alloc(0, VMK_POOL_DEFAULT, 0));
	pa = vmk_page_to_pa(blk);
	*(uint64_t *)vmk_phys_to_virt(spa) = 0x5c5c5c5c;
	/*
	 * CPU 1 must never see its page unmapped: where a live change needs
	 * break-before-make (arm64), it runs with CPU 1 parked.
	 */
	r = vmk_pmap_protect_bbm(k, va, 2 * VMK_MiB, VMK_PMAP_BBM_RENDEZVOUS);
	r = r ? r : vmk_pmap_enter(k, va, pa, RW, 0);
	r = r ? r : vmk_pmap_enter(k, sva, spa, RW, 0);
	st.pcpu_va = va;
	st.scratch_va = sva;
	served0 = smp_shootdowns_served(1);
	vmk_pmap_stats(k, &s0);
	st.phase = PH_RUN;
	live = !r && wait_iters(200);
	iters0 = st.iters;
	/* Promote and demote the run around CPU 1's page, 8 times, with CPU 1 running throughout. */
	for (int round = 0; round < 8 && live; round++) {
		for (unsigned int i = 1; i < 512 && !r; i++)
			r = vmk_pmap_enter(k, va + i * PG, pa + i * PG, RW, 0);
		if (r || vmk_pmap_extract(k, va, &m) || m.size != 2 * VMK_MiB)
			break;
		live = wait_iters(50);
		r = vmk_pmap_demote(k, va);
		r = r ? r : vmk_pmap_remove(k, va + PG, va + 2 * VMK_MiB);
		if (r || vmk_pmap_extract(k, va, &m) || m.size != PG)
			break;
		live = live && wait_iters(50);
		rounds_ok++;
	}
	vmk_pmap_stats(k, &s1);
	/* CPU 1 has the scratch page in its TLB; remove it, then CPU 1 must fault on it. */
	st.phase = PH_PAUSE;
	live = live && wait_phase(PH_PAUSED);
	r = r ? r : vmk_pmap_remove(k, sva, sva + PG);
	st.phase = PH_PROBE;
	shot = wait_phase(PH_PROBED) && st.probe_result == 1 && st.probe_addr == sva;
	st.phase = PH_DONE;
	test_result("smp_pcpu_shootdown",
		    !r && live && rounds_ok == 8 && !st.errors && shot && smp_shootdowns_served(1) > served0 &&
			    s1.promotions >= s0.promotions + 8,
		    "CPU 1 made %llu accesses (%llu during the 8 promote/demote rounds, %llu errors), "
		    "%llu promotions, %llu rendezvous, %llu %s, CPU 1 %s on the removed page",
		    (unsigned long long)st.iters, (unsigned long long)(st.iters - iters0),
		    (unsigned long long)st.errors, (unsigned long long)(s1.promotions - s0.promotions),
		    (unsigned long long)(smp_rendezvous_count - rdv0),
		    (unsigned long long)(smp_shootdowns_served(1) - served0), arch_shootdown_what,
		    shot ? "faulted" : "did NOT fault");
	vmk_pmap_remove(k, va, va + PG);
	vmk_page_free_order(blk, 9);
	vmk_page_free(vmk_pa_to_page(spa));

	vmk_rendezvous(rdv_fn, NULL);
	test_result("smp_rendezvous", rdv_seen_cpu == 0 && rdv_others_parked == vmk_cpu_count() - 1,
		    "ran on CPU %u with %u other CPU(s) parked", rdv_seen_cpu, rdv_others_parked);
}
