/*
 * kmem set-up: the root KVA arena, the per-domain arenas that import it in
 * 2 MiB units (growing the kernel page tables for each unit), the unit
 * table, domain policy, statistics and the invariant check.
 */
#include "kmem_internal.h"

struct kmem_state vmk_kmem__g;
#define G vmk_kmem__g

static int unit_import(void *arg, vmk_size_t size, unsigned int flags, vmk_vaddr_t *addrp)
{
	struct kmem_dom_arg *a = arg;
	vmk_vaddr_t va;
	unsigned long s;
	int err;

	VMK_UNUSED(flags);
	err = vmk_vmem_xalloc(&G.kva, size, VMK_KMEM_UNIT, 0, 0, 0, 0, VMK_VMEM_INSTANTFIT, &va);
	if (err)
		return err;
	/* Page tables are grown once per unit, so backing never allocates one. */
	err = vmk_pmap_growkernel(va, va + size);
	if (err) {
		vmk_vmem_xfree(&G.kva, va, size);
		return -VMK_ENOMEM;
	}
	s = vmk_intr_disable();
	vmk_spin_lock(&G.lock);
	for (vmk_vaddr_t u = va; u < va + size; u += VMK_KMEM_UNIT) {
		VMK_ASSERT(G.owner[vmk_kmem__unit(u)] == 0, "kmem: unit %#llx imported twice", (unsigned long long)u);
		G.owner[vmk_kmem__unit(u)] = (uint8_t)(a->nofree ? (KMU_NOFREE | a->domain) : (1 + a->domain));
		G.units++;
	}
	vmk_spin_unlock(&G.lock);
	vmk_intr_restore(s);
	*addrp = va;
	return 0;
}

static void unit_release(void *arg, vmk_vaddr_t va, vmk_size_t size)
{
	unsigned long s = vmk_intr_disable();

	VMK_UNUSED(arg);
	vmk_spin_lock(&G.lock);
	for (vmk_vaddr_t u = va; u < va + size; u += VMK_KMEM_UNIT) {
		VMK_ASSERT(G.resv[vmk_kmem__unit(u)] == 0, "kmem: unit %#llx released with a reservation",
			   (unsigned long long)u);
		G.owner[vmk_kmem__unit(u)] = 0;
		G.units--;
	}
	vmk_spin_unlock(&G.lock);
	vmk_intr_restore(s);
	vmk_vmem_xfree(&G.kva, va, size);
}

int vmk_kmem_init(const struct vmk_kmem_config *cfg)
{
	struct vmk_phys_stats ps;
	struct vmk_vmem_params p;
	uint64_t bytes;
	void *t;
	int err;

	if (!cfg || !vmk_pmap_kernel() || cfg->kva_end <= cfg->kva_start ||
	    !VMK_IS_ALIGNED(cfg->kva_start, VMK_KMEM_UNIT) || !VMK_IS_ALIGNED(cfg->kva_end, VMK_KMEM_UNIT))
		return -VMK_EINVAL;
	if (G.ready)
		return -VMK_EBUSY;
	vmk_memset(&G, 0, sizeof(G));
	G.start = cfg->kva_start;
	G.end = cfg->kva_end;
	G.nunits = (G.end - G.start) / VMK_KMEM_UNIT;
	bytes = G.nunits * (sizeof(uint64_t) + 1);
	G.table_npages = (size_t)((bytes + VMK_PAGE_SIZE - 1) / VMK_PAGE_SIZE);
	G.table_pages = vmk_page_alloc_contig(0, G.table_npages, 0, VMK_PADDR_MAX, 0, 0,
					      VMK_MEMATTR_WB, VMK_ALLOC_ZERO);
	if (!G.table_pages)
		return -VMK_ENOMEM;
	t = vmk_phys_to_virt(vmk_page_to_pa(G.table_pages));
	if (!t) {
		vmk_page_free_contig(G.table_pages, G.table_npages);
		return -VMK_EINVAL;
	}
	vmk_memset(t, 0, G.table_npages * VMK_PAGE_SIZE);
	G.resv = t;
	G.owner = (uint8_t *)(G.resv + G.nunits);
	vmk_memset(&p, 0, sizeof(p));
	p.name = "kva";
	p.base = G.start;
	p.size = G.end - G.start;
	p.quantum = VMK_PAGE_SIZE;
	err = vmk_vmem_init(&G.kva, &p);
	if (err)
		goto fail_table;
	vmk_phys_get_stats(&ps);
	G.ndomains = ps.ndomains ? ps.ndomains : 1;
	for (unsigned int d = 0; d < G.ndomains; d++) {
		for (int nf = 0; nf < 2; nf++) {
			struct kmem_dom_arg *a = &G.args[nf][d];

			a->domain = d;
			a->nofree = nf;
			vmk_memset(&p, 0, sizeof(p));
			p.name = nf ? "kmem-nofree" : "kmem";
			p.quantum = VMK_PAGE_SIZE;
			p.qcache_max = nf ? 0 : 4 * VMK_PAGE_SIZE;
			p.import = unit_import;
			p.release = unit_release;
			p.import_arg = a;
			p.import_quantum = VMK_KMEM_UNIT;
			err = vmk_vmem_init(nf ? &G.nofree[d] : &G.arena[d], &p);
			VMK_VERIFY(err == 0, "kmem: arena without a span failed to initialise");
		}
	}
	for (unsigned int c = 0; cfg->cpu_domain && c < cfg->ncpus && c < VMK_MAX_CPUS; c++)
		G.cpu_domain[c] = cfg->cpu_domain[c] < G.ndomains ? cfg->cpu_domain[c] : 0;
	G.ready = true;
	return 0;

fail_table:
	vmk_page_free_contig(G.table_pages, G.table_npages);
	vmk_memset(&G, 0, sizeof(G));
	return err;
}

void vmk_kmem_reset(void)
{
	if (!G.ready)
		return;
	for (unsigned int d = 0; d < G.ndomains; d++) {
		vmk_vmem_destroy(&G.arena[d]);
		/* NOFREE memory is abandoned (its frames stay NOFREE): only the tags go back. */
		G.nofree[d].nbusy = 0;
		G.nofree[d].release = NULL;
		vmk_vmem_destroy(&G.nofree[d]);
	}
	G.kva.nbusy = 0;
	vmk_vmem_destroy(&G.kva);
	vmk_page_free_contig(G.table_pages, G.table_npages);
	vmk_memset(&G, 0, sizeof(G));
}

unsigned int vmk_kmem__resolve_domain(int domain)
{
	unsigned int cpu = vmk_cpu_id() % VMK_MAX_CPUS;

	if (domain >= 0)
		return (unsigned int)domain < G.ndomains ? (unsigned int)domain : 0;
	if (domain == VMK_DOMAIN_LOCAL)
		return G.cpu_domain[cpu];
	return __atomic_fetch_add(&G.rr[cpu], 1, __ATOMIC_RELAXED) % G.ndomains;
}

int vmk_kmem__memtype(unsigned int memattr)
{
	switch (memattr) {
	case VMK_MEMATTR_WB:
		return VMK_MEMTYPE_WB;
	case VMK_MEMATTR_WC:
		return VMK_MEMTYPE_WC;
	case VMK_MEMATTR_UC:
		return VMK_MEMTYPE_UC;
	case VMK_MEMATTR_DEVICE:
		return VMK_MEMTYPE_DEVICE;
	default:
		return -1;
	}
}

struct vmk_vmem *vmk_kmem_kva_arena(void)
{
	return G.ready ? &G.kva : NULL;
}

struct vmk_vmem *vmk_kmem_arena(unsigned int domain, bool nofree)
{
	if (!G.ready || domain >= G.ndomains)
		return NULL;
	return nofree ? &G.nofree[domain] : &G.arena[domain];
}

void vmk_kmem_stats(struct vmk_kmem_stats *st)
{
	st->pages_backed = __atomic_load_n(&G.pages_backed, __ATOMIC_RELAXED);
	st->nofree_pages = __atomic_load_n(&G.nofree_pages, __ATOMIC_RELAXED);
	st->resv_active = __atomic_load_n(&G.resv_active, __ATOMIC_RELAXED);
	st->resv_pages_idle = __atomic_load_n(&G.resv_idle, __ATOMIC_RELAXED);
	st->units = __atomic_load_n(&G.units, __ATOMIC_RELAXED);
	st->bootstrap_freed = __atomic_load_n(&G.bootstrap_freed, __ATOMIC_RELAXED);
}

int vmk_kmem_check(char *msg, size_t msglen)
{
	uint64_t active = 0, idle = 0;
	int err;

	if (!G.ready)
		return 0;
	if ((err = vmk_vmem_check(&G.kva, msg, msglen)) != 0)
		return err;
	for (unsigned int d = 0; d < G.ndomains; d++) {
		if ((err = vmk_vmem_check(&G.arena[d], msg, msglen)) != 0 ||
		    (err = vmk_vmem_check(&G.nofree[d], msg, msglen)) != 0)
			return err;
	}
	for (uint64_t u = 0; u < G.nunits; u++) {
		vmk_vaddr_t base = G.start + u * VMK_KMEM_UNIT;
		struct vmk_page *head;
		uint32_t used = 0;

		if (!G.resv[u])
			continue;
		active++;
		if (G.owner[u] == 0 || (G.owner[u] & KMU_NOFREE)) {
			vmk_snprintf(msg, msglen, "kmem: reservation in unit %#llx not owned by an ordinary arena",
				     (unsigned long long)base);
			return -VMK_EINVAL;
		}
		head = vmk_pa_to_page(G.resv[u]);
		for (uint64_t i = 0; i < KMEM_UNIT_PAGES; i++) {
			struct vmk_page *pg = head + i;
			struct vmk_pmap_mapping m;
			bool mapped = vmk_pmap_extract(vmk_pmap_kernel(), base + i * VMK_PAGE_SIZE, &m) == 0 &&
				      m.pa == G.resv[u] + i * VMK_PAGE_SIZE;

			if (pg->owner == KMO_RESV_USED) {
				used++;
				if (!mapped) {
					vmk_snprintf(msg, msglen, "kmem: reserved frame %#llx in use but %#llx does not map it",
						     (unsigned long long)vmk_page_to_pa(pg),
						     (unsigned long long)(base + i * VMK_PAGE_SIZE));
					return -VMK_EINVAL;
				}
			} else if (pg->owner == KMO_RESV_IDLE) {
				idle++;
			} else {
				vmk_snprintf(msg, msglen, "kmem: frame %#llx of a reservation has owner %#llx",
					     (unsigned long long)vmk_page_to_pa(pg), (unsigned long long)pg->owner);
				return -VMK_EINVAL;
			}
		}
		if (used != head->ref_count || used == 0) {
			vmk_snprintf(msg, msglen, "kmem: reservation %#llx counts %u pages, %u mapped",
				     (unsigned long long)G.resv[u], head->ref_count, used);
			return -VMK_EINVAL;
		}
	}
	if (active != G.resv_active || idle != G.resv_idle) {
		vmk_snprintf(msg, msglen, "kmem: %llu reservations %llu idle frames, counted %llu %llu",
			     (unsigned long long)G.resv_active, (unsigned long long)G.resv_idle,
			     (unsigned long long)active, (unsigned long long)idle);
		return -VMK_EINVAL;
	}
	return 0;
}
