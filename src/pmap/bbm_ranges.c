/*
 * Kernel ranges that must never be transiently invalid, and how each is
 * kept so (vmk_pmap_protect_bbm): no-promote ranges are never promoted,
 * demoted or updated through break-before-make; rendezvous ranges are
 * updated only while every other CPU is parked.
 */
#include "pmap_internal.h"

bool vmk_pmap__in_rdv(struct vmk_pmap *pm, vmk_vaddr_t va, vmk_size_t size)
{
	for (unsigned int i = 0; i < pm->nrdv; i++)
		if (va < pm->rdv[i].end && pm->rdv[i].va < va + size)
			return true;
	return false;
}

bool vmk_pmap__in_np(struct vmk_pmap *pm, vmk_vaddr_t va, vmk_size_t size)
{
	for (unsigned int i = 0; i < pm->nnp; i++)
		if (va < pm->np[i].end && pm->np[i].va < va + size)
			return true;
	return false;
}

int vmk_pmap_protect_bbm(struct vmk_pmap *pm, vmk_vaddr_t va, vmk_size_t size,
			 enum vmk_pmap_bbm strategy)
{
	vmk_vaddr_t end = va + size;
	int r = 0;

	if (!pm || !vmk_pmap__range_ok(pm, va, end))
		return -VMK_EINVAL;
	vmk_pmap__lock(pm);
	if (strategy == VMK_PMAP_BBM_RENDEZVOUS) {
		if (pm->nrdv == VMK_PMAP_MAX_RDV) {
			r = -VMK_ENOSPC;
		} else {
			pm->rdv[pm->nrdv].va = va;
			pm->rdv[pm->nrdv].end = end;
			pm->nrdv++;
		}
	} else if (strategy == VMK_PMAP_BBM_NOPROMOTE) {
		/* First check, then change: all or nothing. */
		if (pm->nnp == VMK_PMAP_MAX_RDV)
			r = -VMK_ENOSPC;
		for (vmk_vaddr_t v = va; v < end && !r; v += VMK_PAGE_SIZE) {
			unsigned int lvl;
			vmk_pte_t *p = vmk_pmap__walk(pm, v, &lvl, NULL);

			if (lvl > 0 && vmk_pmap__is_leaf(vmk_pmap__pte_load(p), lvl))
				r = -VMK_EBUSY;
		}
		/* Runs are never no-promote: unfolding one needs the break this range forbids. */
		if (!r)
			vmk_pmap__unfold_range(pm, va, end);
		for (vmk_vaddr_t v = va; v < end && !r; v += VMK_PAGE_SIZE) {
			unsigned int lvl;
			vmk_pte_t *p = vmk_pmap__walk(pm, v, &lvl, NULL);
			vmk_pte_t e = vmk_pmap__pte_load(p);

			while (vmk_pmap__is_leaf(e, 0) &&
			       !vmk_pmap__pte_cas(p, &e, vmk_pmap__leaf_rebuild(e, 0,
					vmk_pmap__g.arch->attrs_of(e, 0) | VMK_PTE_A_NOPROMOTE)))
				;
		}
		if (!r) {
			pm->np[pm->nnp].va = va;
			pm->np[pm->nnp].end = end;
			pm->nnp++;
		}
	} else {
		r = -VMK_EINVAL;
	}
	vmk_pmap__unlock(pm);
	return r;
}
