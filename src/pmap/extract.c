/* vmk_pmap_extract: what a virtual address translates to, read from the tables. */
#include "pmap_internal.h"

void vmk_pmap__mapping_of(vmk_pte_t e, unsigned int lvl, struct vmk_pmap_mapping *m)
{
	uint32_t a = vmk_pmap__g.arch->attrs_of(e, lvl);

	vmk_memset(m, 0, sizeof(*m));
	m->size = VMK_PT_SIZE(lvl);
	m->pa = vmk_pmap__g.arch->pa_of(e, lvl);
	m->prot = VMK_PROT_READ | ((a & VMK_PTE_A_WRITE) ? VMK_PROT_WRITE : 0);
	if (!(a & ((a & VMK_PTE_A_USER) ? VMK_PTE_A_UXN : VMK_PTE_A_PXN)))
		m->prot |= VMK_PROT_EXEC;
	m->memtype = VMK_PTE_A_MT_OF(a);
	m->user = a & VMK_PTE_A_USER;
	m->global = a & VMK_PTE_A_GLOBAL;
	m->wired = a & VMK_PTE_A_WIRED;
	m->managed = a & VMK_PTE_A_MANAGED;
	m->nopromote = a & VMK_PTE_A_NOPROMOTE;
	m->accessed = a & VMK_PTE_A_ACCESSED;
	m->dirty = a & VMK_PTE_A_DIRTY;
}

void vmk_pmap__mapping_at(const vmk_pte_t *p, vmk_pte_t e, unsigned int lvl, vmk_vaddr_t va,
			  struct vmk_pmap_mapping *m)
{
	vmk_pmap__mapping_of(e, lvl, m);
	if (vmk_pmap__is_cont(e, lvl)) {
		uint32_t a = vmk_pmap__leaf_attrs(p, e, lvl);

		m->pa = vmk_pmap__leaf_pa(e, lvl, va);
		m->contiguous = true;
		m->accessed = a & VMK_PTE_A_ACCESSED;
		m->dirty = a & VMK_PTE_A_DIRTY;
	}
}

int vmk_pmap_extract(struct vmk_pmap *pm, vmk_vaddr_t va, struct vmk_pmap_mapping *m)
{
	unsigned int lvl;
	vmk_pte_t e, *p;
	int r = -VMK_ENOENT;

	if (!pm || !m || !vmk_pmap__va_ok(pm, va))
		return -VMK_EINVAL;
	vmk_pmap__lock(pm);
	p = vmk_pmap__walk(pm, va, &lvl, NULL);
	e = vmk_pmap__pte_load(p);
	if (vmk_pmap__is_leaf(e, lvl)) {
		vmk_pmap__mapping_at(p, e, lvl, va, m);
		m->nopromote = vmk_pmap__marked(pm, m->nopromote ? VMK_PTE_A_NOPROMOTE : 0, va, lvl, 0) != 0;
		m->pa += va & (m->size - 1);
		r = 0;
	}
	vmk_pmap__unlock(pm);
	return r;
}
