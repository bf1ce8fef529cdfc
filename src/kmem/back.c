/*
 * Backing KVA with frames: reservations (a 2 MiB-aligned physical run per
 * 2 MiB unit, so full units promote), single frames when no run is free,
 * NOFREE frames; and unbacking, which removes the mappings before any
 * frame is freed.
 */
#include "kmem_internal.h"

#define G vmk_kmem__g

static unsigned long klock(void)
{
	unsigned long s = vmk_intr_disable();

	vmk_spin_lock(&G.lock);
	return s;
}

static void kunlock(unsigned long s)
{
	vmk_spin_unlock(&G.lock);
	vmk_intr_restore(s);
}

/* A frame for va in domain d, or NULL. */
static struct vmk_page *take_page(unsigned int d, vmk_vaddr_t va, unsigned int flags)
{
	unsigned int pf = (flags & VMK_KM_EXACT_DOMAIN) ? VMK_ALLOC_EXACT_DOMAIN : 0;
	uint64_t u = vmk_kmem__unit(va);
	struct vmk_page *pg;
	unsigned long s;

	if (flags & VMK_KM_NOFREE) {
		pg = vmk_page_alloc_nofree((int)d, 0);
		if (pg)
			pg->owner = KMO_NOFREE;
		return pg;
	}
	s = klock();
	if (!G.resv[u]) {
		/* One buddy block of the unit's size: O(1) to take and to give back whole. */
		struct vmk_page *head = vmk_page_alloc_order((int)d, VMK_POOL_DEFAULT, KMEM_RESV_ORDER,
							     pf | VMK_ALLOC_EXACT_DOMAIN | VMK_ALLOC_NOCACHE);

		if (head) {
			for (uint64_t i = 0; i < KMEM_UNIT_PAGES; i++) {
				head[i].owner = KMO_RESV_IDLE;
				head[i].ref_count = 0;
			}
			G.resv[u] = vmk_page_to_pa(head);
			G.resv_active++;
			G.resv_idle += KMEM_UNIT_PAGES;
		}
	}
	if (G.resv[u]) {
		struct vmk_page *head = vmk_pa_to_page(G.resv[u]);

		pg = head + (va - G.start) % VMK_KMEM_UNIT / VMK_PAGE_SIZE;
		VMK_VERIFY(pg->owner == KMO_RESV_IDLE, "kmem: reserved frame %#llx for %#llx already in use",
			   (unsigned long long)vmk_page_to_pa(pg), (unsigned long long)va);
		pg->owner = KMO_RESV_USED;
		head->ref_count++;
		G.resv_idle--;
		kunlock(s);
		return pg;
	}
	kunlock(s);
	pg = vmk_page_alloc((int)d, VMK_POOL_DEFAULT, pf);
	if (pg)
		pg->owner = KMO_SINGLE;
	return pg;
}

/* Give a frame back by its owner word. NOFREE frames only while unwinding a failed back. */
static void put_page(struct vmk_page *pg, vmk_vaddr_t va, bool unwinding)
{
	switch (pg->owner) {
	case KMO_NOFREE:
		VMK_VERIFY(unwinding, "kmem: freeing NOFREE memory at %#llx", (unsigned long long)va);
		pg->owner = 0;
		/* Back to the NOFREE pool, never the ordinary free path. */
		vmk_page_nofree_return(pg);
		__atomic_fetch_sub(&G.nofree_pages, 1, __ATOMIC_RELAXED);
		return;
	case KMO_SINGLE:
	case KMO_CONTIG:
		pg->owner = 0;
		vmk_page_free(pg);
		break;
	case KMO_RESV_USED: {
		vmk_paddr_t hpa = VMK_ALIGN_DOWN(vmk_page_to_pa(pg), VMK_KMEM_UNIT);
		struct vmk_page *head = vmk_pa_to_page(hpa);
		unsigned long s = klock();

		VMK_VERIFY(G.resv[vmk_kmem__unit(va)] == hpa, "kmem: frame %#llx at %#llx is not the unit's reservation",
			   (unsigned long long)vmk_page_to_pa(pg), (unsigned long long)va);
		pg->owner = KMO_RESV_IDLE;
		G.resv_idle++;
		if (--head->ref_count == 0) {
			G.resv[vmk_kmem__unit(va)] = 0;
			G.resv_active--;
			G.resv_idle -= KMEM_UNIT_PAGES;
			for (uint64_t i = 0; i < KMEM_UNIT_PAGES; i++)
				head[i].owner = 0;
			kunlock(s);
			vmk_page_free_order(head, KMEM_RESV_ORDER);
		} else {
			kunlock(s);
		}
		break;
	}
	default:
		vmk_panic("kmem: frame %#llx mapped at %#llx is not kmem's (owner %#llx)",
			  (unsigned long long)vmk_page_to_pa(pg), (unsigned long long)va,
			  (unsigned long long)pg->owner);
	}
	__atomic_fetch_sub(&G.pages_backed, 1, __ATOMIC_RELAXED);
}

#define UNBACK_CHUNK	64

static void unback(vmk_vaddr_t va, uint64_t npages, bool unwinding)
{
	struct vmk_pmap *k = vmk_pmap_kernel();
	vmk_paddr_t pas[UNBACK_CHUNK];

	while (npages > 0) {
		uint64_t n = VMK_MIN(npages, (uint64_t)UNBACK_CHUNK);
		int err;

		for (uint64_t i = 0; i < n; i++) {
			struct vmk_pmap_mapping m;

			VMK_VERIFY(vmk_pmap_extract(k, va + i * VMK_PAGE_SIZE, &m) == 0,
				   "kmem: unbacking %#llx, which is not mapped",
				   (unsigned long long)(va + i * VMK_PAGE_SIZE));
			pas[i] = m.pa;
		}
		/* Mappings go (and the TLBs are invalidated) before any frame is reused. */
		err = vmk_pmap_remove(k, va, va + n * VMK_PAGE_SIZE);
		VMK_VERIFY(err == 0, "kmem: removing kernel mappings at %#llx failed (%d)", (unsigned long long)va, err);
		for (uint64_t i = 0; i < n; i++)
			put_page(vmk_pa_to_page(pas[i]), va + i * VMK_PAGE_SIZE, unwinding);
		va += n * VMK_PAGE_SIZE;
		npages -= n;
	}
}

void vmk_kmem__unback(vmk_vaddr_t va, uint64_t npages)
{
	unback(va, npages, false);
}

int vmk_kmem_back(int domain, vmk_vaddr_t va, vmk_size_t size, unsigned int flags)
{
	struct vmk_pmap *k = vmk_pmap_kernel();
	uint32_t ef = VMK_PMAP_ENTER_WIRED | VMK_PMAP_ENTER_NOREPLACE | VMK_PMAP_ENTER_NOSLEEP |
		      VMK_PMAP_MEMTYPE(VMK_MEMTYPE_WB);
	unsigned int d;
	uint64_t n = size / VMK_PAGE_SIZE, i;
	int err = 0;

	if (!G.ready || size == 0 || !VMK_IS_ALIGNED(va, VMK_PAGE_SIZE) || !VMK_IS_ALIGNED(size, VMK_PAGE_SIZE) ||
	    !vmk_kmem__in_window(va) || va + size > G.end || va + size < va)
		return -VMK_EINVAL;
	d = vmk_kmem__resolve_domain(domain);
	for (i = 0; i < n; i++) {
		vmk_vaddr_t v = va + i * VMK_PAGE_SIZE;
		struct vmk_page *pg;

		if (vmk_fault("kmem.back")) {
			err = -VMK_ENOMEM;
			break;
		}
		pg = take_page(d, v, flags);
		if (!pg) {
			err = -VMK_ENOMEM;
			break;
		}
		if (flags & VMK_KM_ZERO)
			vmk_memset(vmk_phys_to_virt(vmk_page_to_pa(pg)), 0, VMK_PAGE_SIZE);
		if (flags & VMK_KM_NOFREE)
			__atomic_fetch_add(&G.nofree_pages, 1, __ATOMIC_RELAXED);
		else
			__atomic_fetch_add(&G.pages_backed, 1, __ATOMIC_RELAXED);
		err = vmk_pmap_enter(k, v, vmk_page_to_pa(pg), VMK_PROT_READ | VMK_PROT_WRITE, ef);
		if (err) {
			put_page(pg, v, true);
			err = err == -VMK_EEXIST ? -VMK_EINVAL : -VMK_ENOMEM;
			break;
		}
	}
	if (err)
		unback(va, i, true);
	return err;
}

void vmk_kmem_unback(vmk_vaddr_t va, vmk_size_t size)
{
	VMK_VERIFY(vmk_kmem__in_window(va) && VMK_IS_ALIGNED(va | size, VMK_PAGE_SIZE),
		   "kmem: unback of %#llx+%#llx outside kmem", (unsigned long long)va, (unsigned long long)size);
	unback(va, size / VMK_PAGE_SIZE, false);
}
