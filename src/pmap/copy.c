/*
 * vmk_pmap_copy: duplicate the managed mappings of a range into another
 * pmap as fork does. Blocks stay blocks. Each copy takes the destination
 * table with a hold first; if the PV entry cannot be had, the hold is
 * dropped through vmk_pmap__abort_ptp(), which frees a PTP allocated just
 * for this copy (FreeBSD D22763: decrementing alone would leak it).
 */
#include "pmap_internal.h"

/* Copy one leaf; returns 0, 1 if skipped, or -VMK_ENOMEM. */
static int copy_leaf(struct vmk_pmap *dst, struct vmk_pmap *src, vmk_pte_t e, vmk_vaddr_t va, unsigned int lvl)
{
	uint32_t a = vmk_pmap__marked(src, vmk_pmap__g.arch->attrs_of(e, lvl), va, lvl, 0);
	/* The copy is no-promote as the source is (a mark by address where the entry has no bit). */
	bool mark = vmk_pmap__g.marks && (a & VMK_PTE_A_NOPROMOTE) && !vmk_pmap__in_np(dst, va, VMK_PT_SIZE(lvl));
	struct vmk_page *mp = NULL;
	vmk_paddr_t pa = vmk_pmap__leaf_pa(e, lvl, va);	/* the copy is a plain leaf */
	struct vmk_page *head = vmk_pmap__pv_head(pa, lvl);
	struct vmk_pv *pv;
	vmk_paddr_t t;
	vmk_pte_t *p;
	int err = 0;

	/*
	 * A non-write-back leaf goes only where dst has a device window for
	 * it (secure.c): device memory reaches a user pmap only through
	 * vmk_pmap_allow_device, never by inheritance.
	 */
	if (!(a & VMK_PTE_A_MANAGED) || !head || vmk_pmap__leaf_insecure(dst, va, VMK_PT_SIZE(lvl), a))
		return 1;
	t = vmk_pmap__get_table(dst, va, lvl, false, &err);
	if (!t)
		return err == -VMK_EEXIST ? 1 : err;
	p = &vmk_pmap__table(t)[VMK_PT_INDEX(va, lvl)];
	if (vmk_pmap__g.arch->is_valid(vmk_pmap__pte_load(p), lvl)) {
		vmk_pmap__abort_ptp(dst, va, lvl, t);	/* count > 1 here: only drops the hold */
		return 1;
	}
	pv = vmk_pmap__pv_alloc(dst);
	if (pv && mark && !vmk_pmap__marks_any(t) && !(mp = vmk_pmap__marks_alloc(dst))) {
		vmk_pmap__pv_free(dst, pv);
		pv = NULL;
	}
	if (!pv) {
		vmk_pmap__abort_ptp(dst, va, lvl, t);	/* may free the PTP just allocated */
		return -VMK_ENOMEM;
	}
	/* Wiring is not inherited; a 4 KiB copy starts unreferenced and clean. */
	a &= ~(uint32_t)VMK_PTE_A_WIRED;
	if (lvl == 0)
		a &= ~(uint32_t)(VMK_PTE_A_ACCESSED | VMK_PTE_A_DIRTY);
	vmk_pmap__pte_store(p, vmk_pmap__g.arch->make_leaf(pa, lvl, a));
	vmk_pmap__count_leaf(dst, lvl, 1);
	if (mark)
		vmk_pmap__mark_set(t, VMK_PT_INDEX(va, lvl), 1, &mp);
	pv->va_lvl = va | lvl;
	vmk_pmap__pv_lock();
	vmk_pmap__pv_link(head, pv);
	vmk_pmap__pv_unlock();
	return 0;
}

int vmk_pmap_copy(struct vmk_pmap *dst, struct vmk_pmap *src, vmk_vaddr_t addr, vmk_size_t len)
{
	vmk_vaddr_t end = addr + len;
	int err = 0;

	if (!dst || !src || dst == src || dst->kernel || src->kernel || end < addr ||
	    !vmk_pmap__range_ok(src, addr, end))
		return -VMK_EINVAL;
	/* Two pmap locks: always in address order. */
	if (dst < src) {
		vmk_pmap__lock(dst);
		vmk_pmap__lock(src);
	} else {
		vmk_pmap__lock(src);
		vmk_pmap__lock(dst);
	}
	for (vmk_vaddr_t va = addr; va < end && !err;) {
		unsigned int lvl;
		vmk_pte_t e = vmk_pmap__pte_load(vmk_pmap__walk(src, va, &lvl, NULL));
		vmk_vaddr_t base = va & ~(VMK_PT_SIZE(lvl) - 1), next = base + VMK_PT_SIZE(lvl);

		/* Only blocks wholly inside the range are copied (as fork copies whole entries). */
		if (vmk_pmap__is_leaf(e, lvl) && base >= addr && next <= end) {
			int r = copy_leaf(dst, src, e, base, lvl);

			if (r < 0)
				err = r;
		}
		if (next <= va)
			break;
		va = next;
	}
	vmk_barrier(VMK_BARRIER_PTE_STORE);
	vmk_pmap__unlock(src);
	vmk_pmap__unlock(dst);
	return err;
}
