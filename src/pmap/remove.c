/*
 * Removing and re-protecting ranges. A large mapping cut by either end of
 * the range is demoted first; everything those demotions need is taken
 * up front (vmk_pmap__split_edges), so the operation either fails with
 * nothing changed or cannot fail at all. Inside the range, leaves are
 * cleared with one TLB invalidation at the end, and the PTPs that became
 * empty are freed only after it.
 */
#include "pmap_internal.h"

/* Demotions needed so that addr becomes a leaf boundary; counts spare-less ones. */
static bool edge_needs(struct vmk_pmap *pm, vmk_vaddr_t addr, unsigned int *ptps, uint64_t *pvs)
{
	unsigned int lvl;
	vmk_pte_t e = pte_load(vmk_pmap__walk(pm, addr, &lvl, NULL));
	bool spare;
	uint32_t a;

	if (lvl == 0 || !ARCH->is_block(e, lvl) || !(addr & (VMK_PT_SIZE(lvl) - 1)))
		return false;
	a = ARCH->attrs_of(e, lvl);
	spare = vmk_pmap__spare_has(pm, addr & ~(VMK_PT_SIZE(lvl) - 1), lvl);
	for (unsigned int l = lvl; l > 0 && (addr & (VMK_PT_SIZE(l) - 1)); l--) {
		if (!(l == lvl && spare))
			(*ptps)++;
		if (a & VMK_PTE_A_MANAGED)
			*pvs += VMK_PT_ENTRIES - 1;
	}
	return true;
}

int vmk_pmap__split_edges(struct vmk_pmap *pm, vmk_vaddr_t sva, vmk_vaddr_t eva)
{
	struct vmk_pmap_ptp_reserve r = { .n = 0 };
	vmk_vaddr_t edge[2] = { sva, eva };
	unsigned int nptp = 0;
	uint64_t npv = 0;
	bool cut;

	cut = edge_needs(pm, sva, &nptp, &npv);
	if (vmk_pmap__va_ok(pm, eva))
		cut = edge_needs(pm, eva, &nptp, &npv) || cut;
	if (!cut)
		return 0;
	if (vmk_pmap__reserve_ptps(pm, &r, nptp))
		return -VMK_ENOMEM;
	if (vmk_pmap__pv_reserve(pm, npv)) {
		vmk_pmap__reserve_release(pm, &r);
		return -VMK_ENOMEM;
	}
	for (unsigned int i = 0; i < 2; i++) {
		vmk_vaddr_t addr = edge[i];

		if (i == 1 && !vmk_pmap__va_ok(pm, eva))
			break;
		for (;;) {
			unsigned int lvl;
			vmk_pte_t *p = vmk_pmap__walk(pm, addr, &lvl, NULL);
			int err;

			if (lvl == 0 || !ARCH->is_block(pte_load(p), lvl) || !(addr & (VMK_PT_SIZE(lvl) - 1)))
				break;
			err = vmk_pmap__demote(pm, p, addr, lvl, &r, false);
			VMK_VERIFY(err == 0, "demotion failed after its resources were reserved (%d)", err);
		}
	}
	vmk_pmap__reserve_release(pm, &r);
	return 0;
}

/* Call fn on every leaf inside [sva, eva) (after split_edges). */
#define FOR_EACH_LEAF(pm, sva, eva, p, va, lvl, t, body)				\
	for (vmk_vaddr_t va = (sva); va < (eva);) {					\
		unsigned int lvl;							\
		vmk_paddr_t t;								\
		vmk_pte_t *p = vmk_pmap__walk((pm), va, &lvl, &t);			\
		vmk_vaddr_t next_ = (va & ~(VMK_PT_SIZE(lvl) - 1)) + VMK_PT_SIZE(lvl);	\
		if (ARCH->is_valid(pte_load(p), lvl)) {					\
			body								\
		}									\
		if (next_ <= va)							\
			break;								\
		va = next_;								\
	}

/*
 * Remove the valid 4 KiB leaves of the level-0 table at t within
 * [sva, eva) (one table's worth): one page-record lookup and one count
 * update for the whole run instead of one per entry. An unmanaged leaf
 * is cleared with a plain store: nothing is recorded from its
 * accessed/dirty bits, so the atomic exchange that would catch the
 * hardware's last update is only needed for managed ones.
 */
static void remove_table_run(struct vmk_pmap *pm, vmk_paddr_t t, vmk_vaddr_t sva, vmk_vaddr_t eva,
			     struct vmk_pmap_batch *b)
{
	vmk_pte_t *tbl = pmap__table(t);
	const vmk_pte_t sw_wired = ARCH->pte_sw_wired, sw_managed = ARCH->pte_sw_managed;
	unsigned int first = VMK_PT_INDEX(sva, 0), end = first + (unsigned int)((eva - sva) >> VMK_PAGE_SHIFT);
	unsigned int n = 0, nwired = 0;
	bool pv_held = false;

	for (unsigned int i = first; i < end; i++) {
		vmk_pte_t *p = &tbl[i], e = pte_load_relaxed(p), old;
		vmk_vaddr_t va;

		if (e == 0 || !ARCH->is_valid(e, 0))
			continue;
		n++;
		nwired += (e & sw_wired) != 0;
		if (!(e & sw_managed)) {
			pte_store_relaxed(p, 0);
			continue;
		}
		old = pte_clear(p);
		va = sva + ((vmk_vaddr_t)(i - first) << VMK_PAGE_SHIFT);
		{
			struct vmk_page *head = vmk_pmap__pv_head(ARCH->pa_of(old, 0), 0);
			struct vmk_pv *pv;

			vmk_pmap__note_removed(old, 0);
			if (!pv_held) {
				pv__lock();
				pv_held = true;
			}
			pv = vmk_pmap__pv_find(head, pm, va, 0);
			VMK_VERIFY(pv != NULL, "managed mapping at %#llx has no PV entry", (unsigned long long)va);
			vmk_pmap__pv_unlink(head, pv);
			vmk_pmap__pv_free(pm, pv);
		}
	}
	if (pv_held)
		pv__unlock();
	if (n == 0)
		return;
	vmk_pmap__batch_add(b, sva, eva - sva, false);
	pmap__count_leaf(pm, 0, -(int)n);
	pm->st.wired -= nwired;
	if (!pm->kernel && t != pm->root) {
		struct vmk_page *pg = vmk_pa_to_page(t);

		VMK_ASSERT(pg->ref_count >= n, "PTP %#llx counts %u entries, %u removed",
			   (unsigned long long)t, pg->ref_count, n);
		pg->ref_count -= n - 1;	/* the last one goes through the unref path */
	}
	vmk_pmap__ptp_unref(pm, sva, 0, t, b);
}

int vmk_pmap_remove(struct vmk_pmap *pm, vmk_vaddr_t sva, vmk_vaddr_t eva)
{
	struct vmk_pmap_batch b = { 0, 0, false, NULL };
	int r;

	if (!pm || !vmk_pmap__range_ok(pm, sva, eva))
		return -VMK_EINVAL;
	pmap__lock(pm);
	r = vmk_pmap__split_edges(pm, sva, eva);
	if (r == 0) {
		for (vmk_vaddr_t va = sva; va < eva;) {
			unsigned int lvl;
			vmk_paddr_t t;
			vmk_pte_t *p = vmk_pmap__walk(pm, va, &lvl, &t);
			vmk_vaddr_t next;

			if (lvl == 0) {
				/* A whole level-0 table's part of the range at once. */
				next = (va & ~(VMK_PT_SIZE(1) - 1)) + VMK_PT_SIZE(1);
				remove_table_run(pm, t, va, VMK_MIN(next, eva), &b);
			} else {
				next = (va & ~(VMK_PT_SIZE(lvl) - 1)) + VMK_PT_SIZE(lvl);
				if (ARCH->is_valid(pte_load(p), lvl))
					vmk_pmap__remove_leaf(pm, p, va & ~(VMK_PT_SIZE(lvl) - 1), lvl, t, false, &b);
			}
			if (next <= va)
				break;
			va = next;
		}
		vmk_pmap__batch_flush(pm, &b);
	}
	pmap__unlock(pm);
	return r;
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
	return a & PG->attr_mask;
}

int vmk_pmap_protect(struct vmk_pmap *pm, vmk_vaddr_t sva, vmk_vaddr_t eva, uint32_t prot)
{
	struct vmk_pmap_batch b = { 0, 0, false, NULL };
	int r;

	if (!(prot & (VMK_PROT_READ | VMK_PROT_WRITE | VMK_PROT_EXEC)))
		return vmk_pmap_remove(pm, sva, eva);
	if (!pm || !vmk_pmap__range_ok(pm, sva, eva) ||
	    (prot & ~(uint32_t)(VMK_PROT_READ | VMK_PROT_WRITE | VMK_PROT_EXEC)))
		return -VMK_EINVAL;
	pmap__lock(pm);
	r = vmk_pmap__split_edges(pm, sva, eva);
	if (r == 0) {
		FOR_EACH_LEAF(pm, sva, eva, p, va, lvl, t, {
			vmk_pte_t cur = pte_load(p);
			uint32_t oa = ARCH->attrs_of(cur, lvl);
			uint32_t na = protect_attrs(pm, oa, prot);
			vmk_paddr_t pa = ARCH->pa_of(cur, lvl);

			(void)t;
			if (na != oa) {
				/* Permission-only change: allowed in place (no break-before-make). */
				while (!pte_cas(p, &cur, ARCH->make_leaf(pa, lvl,
						protect_attrs(pm, ARCH->attrs_of(cur, lvl), prot))))
					;
				if ((ARCH->attrs_of(cur, lvl) & VMK_PTE_A_DIRTY) && !(prot & VMK_PROT_WRITE))
					vmk_pmap__note_removed(cur, lvl);
				vmk_pmap__batch_add(&b, va & ~(VMK_PT_SIZE(lvl) - 1), VMK_PT_SIZE(lvl), false);
			}
		})
		vmk_pmap__batch_flush(pm, &b);
	}
	pmap__unlock(pm);
	return r;
}
