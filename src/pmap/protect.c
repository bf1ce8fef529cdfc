/*
 * vmk_pmap_protect: a permission-only change of every leaf in a range,
 * made in place (no break-before-make is needed for permissions) with
 * one TLB invalidation at the end. Blocks cut by the range ends are
 * demoted first (vmk_pmap__split_edges).
 */
#include "pmap_internal.h"

/* Call fn on every leaf inside [sva, eva) (after split_edges). */
#define FOR_EACH_LEAF(pm, sva, eva, p, va, lvl, t, body)				\
	for (vmk_vaddr_t va = (sva); va < (eva);) {					\
		unsigned int lvl;							\
		vmk_paddr_t t;								\
		vmk_pte_t *p = vmk_pmap__walk((pm), va, &lvl, &t);			\
		vmk_vaddr_t next_ = (va & ~(VMK_PT_SIZE(lvl) - 1)) + VMK_PT_SIZE(lvl);	\
		if (vmk_pmap__g.arch->is_valid(vmk_pmap__pte_load(p), lvl)) {					\
			body								\
		}									\
		if (next_ <= va)							\
			break;								\
		va = next_;								\
	}

/* Attributes of a leaf after protect(prot). */
static uint32_t protect_attrs(struct vmk_pmap *pm, uint32_t a, uint32_t prot)
{
	a &= ~(uint32_t)(VMK_PTE_A_WRITE | VMK_PTE_A_UXN | VMK_PTE_A_PXN);
	if (prot & VMK_PROT_WRITE)
		a |= VMK_PTE_A_WRITE;
	else
		a &= ~(uint32_t)VMK_PTE_A_DIRTY;
	if (pm->kernel)
		a |= VMK_PTE_A_UXN | ((prot & VMK_PROT_EXEC) ? 0 : VMK_PTE_A_PXN);
	else
		a |= VMK_PTE_A_PXN | ((prot & VMK_PROT_EXEC) ? 0 : VMK_PTE_A_UXN);
	if ((prot & VMK_PROT_WRITE) && !(a & VMK_PTE_A_MANAGED))
		a |= VMK_PTE_A_DIRTY;
	return a & vmk_pmap__g.attr_mask;
}

int vmk_pmap_protect(struct vmk_pmap *pm, vmk_vaddr_t sva, vmk_vaddr_t eva, uint32_t prot)
{
	struct vmk_pmap_batch b = { .free = NULL };
	int r;

	if (!(prot & (VMK_PROT_READ | VMK_PROT_WRITE | VMK_PROT_EXEC)))
		return vmk_pmap_remove(pm, sva, eva);
	if (!pm || !vmk_pmap__range_ok(pm, sva, eva) ||
	    (prot & ~(uint32_t)(VMK_PROT_READ | VMK_PROT_WRITE | VMK_PROT_EXEC)))
		return -VMK_EINVAL;
	vmk_pmap__lock(pm);
	r = vmk_pmap__split_edges(pm, sva, eva);
	if (r == 0) {
		FOR_EACH_LEAF(pm, sva, eva, p, va, lvl, t, {
			vmk_pte_t cur = vmk_pmap__pte_load(p);
			uint32_t oa = vmk_pmap__g.arch->attrs_of(cur, lvl);
			uint32_t na = protect_attrs(pm, oa, prot);
			(void)t;
			/*
			 * A change to an entry of a run: the run becomes plain
			 * leaves first (its entries differ only in A/D, so a run
			 * that keeps its protection stays folded).
			 */
			if (na != oa && vmk_pmap__is_cont(cur, lvl)) {
				vmk_pmap__unfold(pm, p, va);
				cur = vmk_pmap__pte_load(p);
				oa = vmk_pmap__g.arch->attrs_of(cur, lvl);
				na = protect_attrs(pm, oa, prot);
			}
			if (na != oa) {
				/* Permission-only change: allowed in place (no break-before-make). */
				while (!vmk_pmap__pte_cas(p, &cur, vmk_pmap__leaf_rebuild(cur, lvl,
						protect_attrs(pm, vmk_pmap__g.arch->attrs_of(cur, lvl), prot))))
					;
				if ((vmk_pmap__g.arch->attrs_of(cur, lvl) & VMK_PTE_A_DIRTY) &&
				    !(prot & VMK_PROT_WRITE))
					vmk_pmap__note_removed(cur, lvl);
				vmk_pmap__batch_add(&b, va & ~(VMK_PT_SIZE(lvl) - 1), VMK_PT_SIZE(lvl), 1);
			}
		})
		vmk_pmap__batch_flush(pm, &b);
	}
	if (pm->kernel)
		vmk_pmap__kpool_fill(pm);
	vmk_pmap__unlock(pm);
	return r;
}
