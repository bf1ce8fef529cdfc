/* kmem_malloc, kmem_free, kmem_alloc_contig and kernel stacks. */
#include "kmem_internal.h"

#define G vmk_kmem__g

vmk_vaddr_t vmk_kmem_malloc_domain(int domain, vmk_size_t size, unsigned int flags)
{
	unsigned int d0;

	if (!G.ready || size == 0 || size > G.end - G.start)
		return 0;
	size = VMK_ALIGN_UP(size, VMK_PAGE_SIZE);
	d0 = vmk_kmem__resolve_domain(domain);
	for (unsigned int k = 0; k < G.ndomains; k++) {
		unsigned int d = (d0 + k) % G.ndomains;
		struct vmk_vmem *arena = (flags & VMK_KM_NOFREE) ? &G.nofree[d] : &G.arena[d];
		vmk_vaddr_t va;

		if (k > 0 && (flags & VMK_KM_EXACT_DOMAIN))
			break;
		if (vmk_vmem_alloc(arena, size, VMK_VMEM_INSTANTFIT, &va))
			continue;
		if (vmk_kmem_back((int)d, va, size, flags | VMK_KM_EXACT_DOMAIN) == 0)
			return va;
		/* back() unmapped and gave every frame back; now the KVA. */
		vmk_vmem_free(arena, va, size);
	}
	return 0;
}

vmk_vaddr_t vmk_kmem_malloc(vmk_size_t size, unsigned int flags)
{
	return vmk_kmem_malloc_domain(VMK_DOMAIN_RR, size, flags);
}

/* The ordinary arena that imported va's unit; panics for anything else. */
static struct vmk_vmem *arena_of(vmk_vaddr_t va, vmk_size_t size)
{
	uint8_t o;

	VMK_VERIFY(vmk_kmem__in_window(va) && va + size <= G.end && VMK_IS_ALIGNED(va, VMK_PAGE_SIZE),
		   "kmem: free of %#llx+%#llx outside kmem", (unsigned long long)va, (unsigned long long)size);
	o = G.owner[vmk_kmem__unit(va)];
	VMK_VERIFY(!(o & KMU_NOFREE), "kmem: free of NOFREE memory at %#llx", (unsigned long long)va);
	VMK_VERIFY(o != 0, "kmem: free of %#llx, which no kmem arena holds", (unsigned long long)va);
	return &G.arena[o - 1];
}

void vmk_kmem_free(vmk_vaddr_t va, vmk_size_t size)
{
	struct vmk_vmem *arena;

	size = VMK_ALIGN_UP(size, VMK_PAGE_SIZE);
	arena = arena_of(va, size);
	vmk_kmem__unback(va, size / VMK_PAGE_SIZE);
	vmk_vmem_free(arena, va, size);
}

vmk_vaddr_t vmk_kmem_alloc_contig(vmk_size_t size, vmk_paddr_t low, vmk_paddr_t high,
				  vmk_paddr_t align, vmk_paddr_t boundary, unsigned int memattr,
				  int domain, unsigned int flags)
{
	struct vmk_pmap *k = vmk_pmap_kernel();
	int mt = vmk_kmem__memtype(memattr);
	uint64_t n;
	unsigned int d0;

	if (!G.ready || size == 0 || mt < 0 || size > G.end - G.start)
		return 0;
	size = VMK_ALIGN_UP(size, VMK_PAGE_SIZE);
	n = size / VMK_PAGE_SIZE;
	d0 = vmk_kmem__resolve_domain(domain);
	for (unsigned int t = 0; t < G.ndomains; t++) {
		unsigned int d = (d0 + t) % G.ndomains;
		struct vmk_page *head;
		vmk_vaddr_t va;
		uint64_t i;
		int err = 0;

		if (t > 0 && (flags & VMK_KM_EXACT_DOMAIN))
			break;
		head = vmk_page_alloc_contig((int)d, n, low, high, align, boundary, memattr,
					     VMK_ALLOC_EXACT_DOMAIN | ((flags & VMK_KM_ZERO) ? VMK_ALLOC_ZERO : 0));
		if (!head)
			continue;
		if (vmk_vmem_alloc(&G.arena[d], size, VMK_VMEM_INSTANTFIT, &va)) {
			vmk_page_free_contig(head, n);
			continue;
		}
		for (i = 0; i < n; i++) {
			err = vmk_fault("kmem.contig") ? -VMK_ENOMEM :
			      vmk_pmap_enter(k, va + i * VMK_PAGE_SIZE, vmk_page_to_pa(&head[i]),
					     VMK_PROT_READ | VMK_PROT_WRITE,
					     VMK_PMAP_ENTER_WIRED | VMK_PMAP_ENTER_NOREPLACE |
					     VMK_PMAP_ENTER_NOSLEEP | VMK_PMAP_MEMTYPE(mt));
			if (err)
				break;
			head[i].owner = KMO_CONTIG;
			__atomic_fetch_add(&G.pages_backed, 1, __ATOMIC_RELAXED);
		}
		if (!err)
			return va;
		/* Unmap what was mapped, then every frame goes back, then the KVA. */
		vmk_kmem__unback(va, i);
		for (uint64_t j = i; j < n; j++)
			vmk_page_free(&head[j]);
		vmk_vmem_free(&G.arena[d], va, size);
	}
	return 0;
}

vmk_vaddr_t vmk_kmem_alloc_stack(unsigned int pages, unsigned int guard, int domain)
{
	vmk_size_t total = (vmk_size_t)(pages + 2 * (uint64_t)guard) * VMK_PAGE_SIZE;
	unsigned int d;
	vmk_vaddr_t va;

	if (!G.ready || pages == 0)
		return 0;
	d = vmk_kmem__resolve_domain(domain);
	if (vmk_vmem_alloc(&G.arena[d], total, VMK_VMEM_INSTANTFIT, &va))
		return 0;
	/* Only the stack is backed: the guards stay unmapped, so running off either end faults. */
	if (vmk_kmem_back((int)d, va + guard * VMK_PAGE_SIZE, (vmk_size_t)pages * VMK_PAGE_SIZE, VMK_KM_ZERO)) {
		vmk_vmem_free(&G.arena[d], va, total);
		return 0;
	}
	return va + guard * VMK_PAGE_SIZE;
}

void vmk_kmem_free_stack(vmk_vaddr_t stack, unsigned int pages, unsigned int guard)
{
	vmk_size_t total = (vmk_size_t)(pages + 2 * (uint64_t)guard) * VMK_PAGE_SIZE;
	vmk_vaddr_t va = stack - guard * VMK_PAGE_SIZE;
	struct vmk_vmem *arena = arena_of(va, total);

	vmk_kmem__unback(stack, pages);
	vmk_vmem_free(arena, va, total);
}
