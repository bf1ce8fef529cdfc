/*
 * phys_to_virt through the simulated MMU: a kernel reaches physical
 * memory through its direct map, so a broken direct map is seen.
 */
#include "tlb_internal.h"
#include <vmkit/phys.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- phys_to_virt through the direct map ---- */

static void *hook_p2v(void *ctx, vmk_paddr_t pa)
{
	unsigned int cpu = vmk_cpu_id() % NCPU;
	struct tlb_cpu *c = &vmk_sim__tlbs[cpu];
	struct vmk_mmu_walk w;
	vmk_vaddr_t va;
	int r = VMK_MMU_OK;
	bool hit = false;

	if (pa < vmk_sim__dmap_start || pa >= vmk_sim__dmap_end || (!c->root_user && !c->root_kernel))
		return vmk_sim__prev_p2v(ctx, pa);
	va = vmk_sim__dmap_base + (pa - vmk_sim__dmap_start);
	__atomic_add_fetch(&vmk_sim__n_dmap, 1, __ATOMIC_RELAXED);
	vmk_sim__cpu_enter();
	pthread_mutex_lock(&c->lock);
	for (unsigned int i = 0; i < vmk_sim__tlb_cap(); i++) {
		struct tlb_ent *t = &c->e[i];

		if (vmk_sim__ent_hit(t, va, c->asid)) {
			w = t->w;
			w.pa = t->w.pa + (va - t->va);
			hit = true;
			break;
		}
	}
	if (!hit) {
		r = vmk_sim__cpu_walk(c, cpu, va, VMK_MMU_READ, true, &w);
		if (r == VMK_MMU_OK)
			vmk_sim__tlb_insert(c, cpu, va, &w, VMK_MMU_READ);
	}
	pthread_mutex_unlock(&c->lock);
	vmk_sim__cpu_leave();
	if (r != VMK_MMU_OK) {
		vmk_sim__violation("cpu %u: phys_to_virt(%#llx): direct-map va %#llx faults (%s)", cpu,
			  (unsigned long long)pa, (unsigned long long)va, vmk_mmu_fault_name(r));
		return vmk_sim__prev_p2v(ctx, pa);
	}
	if (w.pa != pa)
		vmk_sim__violation("cpu %u: phys_to_virt(%#llx): direct-map va %#llx translates to %#llx", cpu,
			  (unsigned long long)pa, (unsigned long long)va, (unsigned long long)w.pa);
	/* What a kernel would touch: the memory the direct map really maps. */
	return vmk_sim__prev_p2v(ctx, w.pa);
}

void vmk_sim_mmu_direct_map(vmk_vaddr_t base, vmk_paddr_t start, vmk_paddr_t end)
{
	struct vmk_platform *p = vmk_sim_platform();

	vmk_sim__dmap_base = base;
	vmk_sim__dmap_start = start;
	vmk_sim__dmap_end = base ? end : 0;
	if (base && p->phys_to_virt != hook_p2v) {
		vmk_sim__prev_p2v = p->phys_to_virt;
		p->phys_to_virt = hook_p2v;
	} else if (!base && p->phys_to_virt == hook_p2v) {
		p->phys_to_virt = vmk_sim__prev_p2v;
	}
}

unsigned long vmk_sim_mmu_direct_map_calls(void)
{
	return __atomic_load_n(&vmk_sim__n_dmap, __ATOMIC_RELAXED);
}
