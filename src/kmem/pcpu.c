/*
 * Per-CPU areas (seed 004): placed so their translations are never
 * transiently invalid, either alone in a no-promote 2 MiB unit or under
 * the pmap's rendezvous strategy.
 */
#include "kmem_internal.h"

#define G vmk_kmem__g

static vmk_vaddr_t pcpu_alone(unsigned int d, vmk_size_t size)
{
	struct vmk_pmap *k = vmk_pmap_kernel();
	uint64_t n = size / VMK_PAGE_SIZE, i;
	vmk_vaddr_t va;
	int err = 0;

	/* A unit of its own, straight from the root: no arena ever places anything else in it. */
	if (vmk_vmem_xalloc(&G.kva, VMK_KMEM_UNIT, VMK_KMEM_UNIT, 0, 0, 0, 0, VMK_VMEM_INSTANTFIT, &va))
		return 0;
	if (vmk_pmap_growkernel(va, va + VMK_KMEM_UNIT)) {
		vmk_vmem_xfree(&G.kva, va, VMK_KMEM_UNIT);
		return 0;
	}
	for (i = 0; i < n; i++) {
		struct vmk_page *pg = vmk_page_alloc((int)d, VMK_POOL_DEFAULT,
						     VMK_ALLOC_EXACT_DOMAIN | VMK_ALLOC_ZERO | VMK_ALLOC_NOCACHE);

		if (!pg) {
			err = -VMK_ENOMEM;
			break;
		}
		pg->owner = KMO_SINGLE;
		__atomic_fetch_add(&G.pages_backed, 1, __ATOMIC_RELAXED);
		err = vmk_pmap_enter(k, va + i * VMK_PAGE_SIZE, vmk_page_to_pa(pg), VMK_PROT_READ | VMK_PROT_WRITE,
				     VMK_PMAP_ENTER_WIRED | VMK_PMAP_ENTER_NOREPLACE | VMK_PMAP_ENTER_NOSLEEP |
				     VMK_PMAP_ENTER_NOPROMOTE | VMK_PMAP_MEMTYPE(VMK_MEMTYPE_WB));
		if (err) {
			pg->owner = 0;
			vmk_page_free(pg);
			__atomic_fetch_sub(&G.pages_backed, 1, __ATOMIC_RELAXED);
			break;
		}
	}
	if (err) {
		vmk_kmem__unback(va, i);
		vmk_vmem_xfree(&G.kva, va, VMK_KMEM_UNIT);
		return 0;
	}
	return va;
}

vmk_vaddr_t vmk_kmem_pcpu_alloc(unsigned int domain, vmk_size_t size, enum vmk_kmem_pcpu_strategy strategy)
{
	vmk_vaddr_t va, lo, hi;

	if (!G.ready || size == 0 || size > VMK_KMEM_UNIT || domain >= G.ndomains)
		return 0;
	size = VMK_ALIGN_UP(size, VMK_PAGE_SIZE);
	if (strategy == VMK_KMEM_PCPU_ALONE)
		return pcpu_alone(domain, size);
	if (strategy != VMK_KMEM_PCPU_RENDEZVOUS)
		return 0;
	/* Register the blocks first: the area must never be promoted outside a rendezvous. */
	if (vmk_vmem_alloc(&G.arena[domain], size, VMK_VMEM_INSTANTFIT, &va))
		return 0;
	lo = VMK_ALIGN_DOWN(va, VMK_KMEM_UNIT);
	hi = VMK_ALIGN_UP(va + size, VMK_KMEM_UNIT);
	if (vmk_pmap_protect_bbm(vmk_pmap_kernel(), lo, hi - lo, VMK_PMAP_BBM_RENDEZVOUS)) {
		vmk_vmem_free(&G.arena[domain], va, size);
		return 0;
	}
	if (vmk_kmem_back((int)domain, va, size, VMK_KM_ZERO | VMK_KM_EXACT_DOMAIN)) {
		/* The rendezvous range stays registered: the pmap has no way to drop one. */
		vmk_vmem_free(&G.arena[domain], va, size);
		return 0;
	}
	return va;
}
