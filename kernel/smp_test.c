/*
 * The two-CPU self-test: CPU 1 keeps writing and reading its per-CPU area
 * (from vmk_kmem_pcpu_alloc, VMK_KMEM_PCPU_RENDEZVOUS, at boot) while
 * CPU 0 backs and unbacks the rest of that area's 2 MiB kmem unit through
 * kmem, so the unit promotes to one 2 MiB leaf and demotes again under
 * CPU 1's feet (each change runs with CPU 1 parked: the rendezvous
 * strategy), and the translation CPU 1 uses must stay right. Then CPU 0
 * removes a page CPU 1 has been reading, and CPU 1 must fault on it: the
 * TLB shootdown reached it. The other way round, CPU 1 removes a page CPU 0
 * has read while CPU 0 waits in vmk_cpu_relax() (on x86 the boot CPU runs
 * with interrupts off, so only its spin loops can answer the shootdown),
 * and CPU 0 must fault on it. Also a rendezvous with CPU 1 parked.
 */
#include <vmkit/kmem.h>
#include <vmkit/phys.h>
#include <vmkit/pmap.h>
#include <vmkit/vmem.h>

#include "kernel.h"

#define RW	(VMK_PROT_READ | VMK_PROT_WRITE)
#define PG	VMK_PAGE_SIZE
#define MAX_RUNS	32

enum { PH_IDLE, PH_RUN, PH_PAUSE, PH_PAUSED, PH_PROBE, PH_PROBED, PH_MAP, PH_MAPPED, PH_UNMAP, PH_UNMAPPED, PH_DONE };

static struct {
	volatile int phase;
	volatile uint64_t pcpu_va, scratch_va;
	volatile uint64_t iters, errors, scratch_reads;
	volatile int probe_result;
	volatile uint64_t probe_addr;
	volatile uint64_t remote_va, remote_pa;	/* CPU 1 maps and removes it */
	volatile int remote_enter, remote_remove;
} st;

void smp_ap_main(unsigned int cpu)
{
	if (cpu != 1)
		return;
	while (st.phase != PH_DONE) {
		switch (st.phase) {
		case PH_RUN: {
			/* A different page of the area each time, all of it in turn. */
			uint64_t i = st.iters + 1, v = 0, slot = st.pcpu_va + (i * (PG + 8)) % KERNEL_PCPU_SIZE;

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
		case PH_MAP:
			st.remote_enter = vmk_pmap_enter(vmk_pmap_kernel(), st.remote_va, st.remote_pa, RW, 0);
			st.phase = PH_MAPPED;
			break;
		case PH_UNMAP:
			/* Waits for CPU 0's acknowledgement where the shootdown needs one. */
			st.remote_remove = vmk_pmap_remove(vmk_pmap_kernel(), st.remote_va, st.remote_va + PG);
			st.phase = PH_UNMAPPED;
			break;
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

struct run {
	uint64_t va, size;
};

/*
 * Take every free page of kmem's arena inside [unit, unit + 2 MiB) as
 * runs of KVA (the neighbours of the per-CPU areas; at most MAX_RUNS
 * runs). Returns how many.
 */
static unsigned int take_neighbours(struct vmk_vmem *arena, uint64_t unit, struct run *runs)
{
	uint64_t a = unit, end = unit + VMK_KMEM_UNIT, e, got;
	unsigned int n = 0;

	while (a < end && n < MAX_RUNS) {
		if (vmk_vmem_xalloc(arena, PG, 0, 0, 0, a, a + PG, VMK_VMEM_INSTANTFIT, &got)) {
			a += PG;
			continue;
		}
		vmk_vmem_xfree(arena, got, PG);
		for (e = a + PG; e < end; e += PG) {
			if (vmk_vmem_xalloc(arena, PG, 0, 0, 0, e, e + PG, VMK_VMEM_INSTANTFIT, &got))
				break;
			vmk_vmem_xfree(arena, got, PG);
		}
		if (vmk_vmem_xalloc(arena, e - a, 0, 0, 0, a, e, VMK_VMEM_INSTANTFIT, &got))
			break;
		runs[n++] = (struct run){ a, e - a };
		a = e;
	}
	return n;
}

/*
 * CPU 1 maps a page, CPU 0 reads it (its TLB now holds it), CPU 1 removes
 * it while CPU 0 spins in vmk_cpu_relax(): the removal completes only if
 * CPU 0's spin loop serves the shootdown, and CPU 0 must then fault on
 * the page.
 */
static void test_remote_shootdown(uint64_t va)
{
	uint64_t pa = vmk_page_to_pa(vmk_page_alloc(0, VMK_POOL_DEFAULT, 0)), v = 0;
	unsigned int n;
	bool mapped, read_ok, done, faulted;

	*(uint64_t *)vmk_phys_to_virt(pa) = 0x7e7e7e7e;
	st.remote_va = va;
	st.remote_pa = pa;
	st.remote_enter = st.remote_remove = -1;
	st.phase = PH_MAP;
	mapped = wait_phase(PH_MAPPED) && !st.remote_enter;
	read_ok = mapped && !probe_read((void *)(uintptr_t)va, &v) && v == 0x7e7e7e7e;
	st.phase = PH_UNMAP;
	done = wait_phase(PH_UNMAPPED) && !st.remote_remove;
	n = last_fault.count;
	faulted = done && probe_read((void *)(uintptr_t)va, &v) == 1 && last_fault.count == n + 1 &&
		  last_fault.addr == va;
	test_result("smp_remote_shootdown", mapped && read_ok && done && faulted,
		    "CPU 1 mapped 0x%llx (%s), CPU 0 read it (%s), CPU 1 removed it while CPU 0 spun (%s), "
		    "CPU 0 %s on it", (unsigned long long)va, mapped ? "yes" : "no", read_ok ? "yes" : "no",
		    done ? "yes" : "no", faulted ? "faulted" : "did NOT fault");
	if (done)	/* else CPU 1 may still hold the mapping (or the pmap's lock): keep the page */
		vmk_page_free(vmk_pa_to_page(pa));
}

void test_smp(void)
{
	struct vmk_pmap *k = vmk_pmap_kernel();
	struct vmk_vmem *arena = vmk_kmem_arena(0, false);
	uint64_t area = boot_state.pcpu_va[1], unit = VMK_ALIGN_DOWN(area, VMK_KMEM_UNIT);
	uint64_t sva = arch_test_va + 0x80000000ull + 0x400000, spa, neighbours = 0;
	struct run runs[MAX_RUNS];
	unsigned int nrun, nbacked = 0;
	struct vmk_pmap_mapping m;
	struct vmk_pmap_stats s0, s1;
	uint64_t served0, rounds_ok = 0, iters0, rdv0 = smp_rendezvous_count;
	bool live = true, shot;
	int r = 0;

	if (vmk_cpu_count() < 2 || !area) {
		test_result("smp_pcpu_shootdown", false, "%u CPU(s) online, the MADT lists %u", vmk_cpu_count(),
			    boot_info.ncpus);
		return;
	}
	vmk_vmem_qcache_drain(arena);		/* freed small KVA back in the arena, where xalloc sees it */
	nrun = take_neighbours(arena, unit, runs);
	for (unsigned int i = 0; i < nrun; i++)
		neighbours += runs[i].size / PG;
	spa = vmk_page_to_pa(vmk_page_alloc(0, VMK_POOL_DEFAULT, 0));
	*(uint64_t *)vmk_phys_to_virt(spa) = 0x5c5c5c5c;
	r = nrun ? vmk_pmap_enter(k, sva, spa, RW, 0) : -VMK_ENOENT;
	st.pcpu_va = area;
	st.scratch_va = sva;
	served0 = smp_shootdowns_served(1);
	vmk_pmap_stats(k, &s0);
	st.phase = PH_RUN;
	live = !r && wait_iters(200);
	iters0 = st.iters;
	/*
	 * Back the rest of the unit (kmem maps it from the unit's 2 MiB
	 * physical reservation, so it promotes), then unback it (demoted),
	 * 8 times, with CPU 1 running throughout.
	 */
	for (int round = 0; round < 8 && live; round++) {
		for (nbacked = 0; nbacked < nrun && !r; nbacked += !r)
			r = vmk_kmem_back(0, runs[nbacked].va, runs[nbacked].size, VMK_KM_ZERO);
		if (r || vmk_pmap_extract(k, area, &m) || m.size != 2 * VMK_MiB)
			break;
		live = wait_iters(50);
		for (; nbacked > 0; nbacked--)
			vmk_kmem_unback(runs[nbacked - 1].va, runs[nbacked - 1].size);
		if (vmk_pmap_extract(k, area, &m) || m.size != PG)
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
	test_remote_shootdown(sva + 2 * VMK_MiB);
	st.phase = PH_DONE;
	test_result("smp_pcpu_shootdown",
		    !r && live && rounds_ok == 8 && !st.errors && shot && smp_shootdowns_served(1) > served0 &&
			    s1.promotions >= s0.promotions + 8,
		    "CPU 1 made %llu accesses to its per-CPU area at 0x%llx (%llu during the 8 rounds of backing "
		    "and unbacking its %llu neighbouring pages, %llu errors), %llu promotions, %llu rendezvous, "
		    "%llu %s, CPU 1 %s on the removed page",
		    (unsigned long long)st.iters, (unsigned long long)area, (unsigned long long)(st.iters - iters0),
		    (unsigned long long)neighbours, (unsigned long long)st.errors,
		    (unsigned long long)(s1.promotions - s0.promotions),
		    (unsigned long long)(smp_rendezvous_count - rdv0),
		    (unsigned long long)(smp_shootdowns_served(1) - served0), arch_shootdown_what,
		    shot ? "faulted" : "did NOT fault");
	for (; nbacked > 0; nbacked--)		/* a round that stopped half-way */
		vmk_kmem_unback(runs[nbacked - 1].va, runs[nbacked - 1].size);
	for (unsigned int i = 0; i < nrun; i++)
		vmk_vmem_xfree(arena, runs[i].va, runs[i].size);
	vmk_page_free(vmk_pa_to_page(spa));

	vmk_rendezvous(rdv_fn, NULL);
	test_result("smp_rendezvous", rdv_seen_cpu == 0 && rdv_others_parked == vmk_cpu_count() - 1,
		    "ran on CPU %u with %u other CPU(s) parked", rdv_seen_cpu, rdv_others_parked);
}
