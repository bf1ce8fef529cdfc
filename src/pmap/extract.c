/* vmk_pmap_extract: what a virtual address translates to, read from the tables. */
#include "pmap_internal.h"

int vmk_pmap_extract(struct vmk_pmap *pm, vmk_vaddr_t va, struct vmk_pmap_mapping *m)
{
	unsigned int lvl;
	vmk_pte_t e;
	uint32_t a;
	int r = -VMK_ENOENT;

	if (!pm || !m || !vmk_pmap__va_ok(pm, va))
		return -VMK_EINVAL;
	vmk_pmap__lock(pm);
	e = vmk_pmap__pte_load(vmk_pmap__walk(pm, va, &lvl, NULL));
	if (vmk_pmap__is_leaf(e, lvl)) {
		a = vmk_pmap__g.arch->attrs_of(e, lvl);
		vmk_memset(m, 0, sizeof(*m));
		m->size = VMK_PT_SIZE(lvl);
		m->pa = vmk_pmap__g.arch->pa_of(e, lvl) + (va & (m->size - 1));
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
		r = 0;
	}
	vmk_pmap__unlock(pm);
	return r;
}
