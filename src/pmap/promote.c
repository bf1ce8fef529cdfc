/*
 * Superpage promotion and demotion.
 *
 * Promotion replaces a full table of 512 leaves that map one aligned,
 * physically contiguous run with identical attributes by one block
 * (accessed/dirty are or-ed: being conservative never loses a dirty
 * page). The replaced PTP is kept as the block's spare, so a later
 * demotion needs no allocation. Leaves carrying the no-promote bit are
 * never promoted.
 *
 * Demotion replaces a block by a table of 512 leaves (or 512 smaller
 * blocks) with the same attributes. Everything it needs (the PTP, and for
 * a managed block the 511 extra PV entries) is obtained before any entry
 * changes, so it either fails with nothing changed or succeeds.
 */
#include "pmap_internal.h"

#define AD_BITS	(VMK_PTE_A_ACCESSED | VMK_PTE_A_DIRTY)

int vmk_pmap__demote(struct vmk_pmap *pm, vmk_pte_t *p, vmk_vaddr_t va, unsigned int lvl,
		     struct vmk_pmap_ptp_reserve *r, bool pv_locked)
{
	unsigned int sub = lvl - 1;
	vmk_pte_t old = pte_load(p), prev;
	struct vmk_page *pg;
	bool from_spare = true;
	vmk_paddr_t t, pa0;
	vmk_pte_t *tbl;
	uint32_t a, late;

	va &= ~(VMK_PT_SIZE(lvl) - 1);
	VMK_ASSERT(lvl >= 1 && ARCH->is_block(old, lvl), "demoting a non-block at %#llx", (unsigned long long)va);
	a = ARCH->attrs_of(old, lvl);
	VMK_VERIFY(!(a & VMK_PTE_A_NOPROMOTE),
		   "demotion of a no-promote (must-stay-valid) mapping at %#llx", (unsigned long long)va);
	pg = vmk_pmap__spare_take(pm, va, lvl);
	if (!pg) {
		from_spare = false;
		if (r && r->n)
			pg = r->pg[--r->n];
		else
			pg = vmk_pmap__ptp_alloc(pm, "pmap.ptp");
		if (!pg)
			return -VMK_ENOMEM;
	}
	if ((a & VMK_PTE_A_MANAGED) && vmk_pmap__pv_reserve(pm, VMK_PT_ENTRIES - 1)) {
		if (from_spare)
			vmk_pmap__spare_insert(pm, va, lvl, pg);
		else if (r)
			r->pg[r->n++] = pg;
		else
			vmk_pmap__ptp_free(pm, pg);
		return -VMK_ENOMEM;
	}
	t = vmk_page_to_pa(pg);
	tbl = pmap__table(t);
	pa0 = ARCH->pa_of(old, lvl);
	for (unsigned int i = 0; i < VMK_PT_ENTRIES; i++)
		pte_store(&tbl[i], ARCH->make_leaf(pa0 + (vmk_paddr_t)i * VMK_PT_SIZE(sub), sub, a));
	pg->ref_count = pm->kernel ? VMK_PMAP_KPTP_REF : VMK_PT_ENTRIES;
	vmk_barrier(VMK_BARRIER_PTE_STORE);
	prev = vmk_pmap__update_entry(pm, p, ARCH->make_table(t, lvl, !pm->kernel), va,
				      VMK_PT_SIZE(lvl), lvl);
	/* Accessed/dirty the hardware set after we read the block. */
	late = ARCH->attrs_of(prev, lvl) & AD_BITS & ~a;
	for (unsigned int i = 0; late && i < VMK_PT_ENTRIES; i++) {
		vmk_pte_t cur = pte_load(&tbl[i]);

		while (!pte_cas(&tbl[i], &cur, ARCH->make_leaf(ARCH->pa_of(cur, sub), sub,
							       ARCH->attrs_of(cur, sub) | late)))
			;
	}
	pm->st.ptps++;
	pm->st.demotions++;
	pmap__count_leaf(pm, lvl, -1);
	pmap__count_leaf(pm, sub, (int)VMK_PT_ENTRIES);
	if (a & VMK_PTE_A_MANAGED) {
		struct vmk_page *head = vmk_pmap__pv_head(pa0, lvl);
		struct vmk_pv *pv;

		if (!pv_locked)
			pv__lock();
		pv = vmk_pmap__pv_find(head, pm, va, lvl);
		VMK_VERIFY(pv != NULL, "managed block at %#llx has no PV entry", (unsigned long long)va);
		vmk_pmap__pv_unlink(head, pv);
		pv->va_lvl = va | sub;
		vmk_pmap__pv_link(vmk_pmap__pv_head(pa0, sub), pv);
		for (unsigned int i = 1; i < VMK_PT_ENTRIES; i++) {
			struct vmk_pv *n = vmk_pmap__pv_alloc(pm);
			vmk_paddr_t pa = pa0 + (vmk_paddr_t)i * VMK_PT_SIZE(sub);

			VMK_VERIFY(n != NULL, "reserved PV entry missing during demotion");
			n->va_lvl = (va + (vmk_vaddr_t)i * VMK_PT_SIZE(sub)) | sub;
			vmk_pmap__pv_link(vmk_pmap__pv_head(pa, sub), n);
		}
		if (!pv_locked)
			pv__unlock();
	}
	return 0;
}

int vmk_pmap_demote(struct vmk_pmap *pm, vmk_vaddr_t va)
{
	unsigned int lvl;
	vmk_pte_t *p;
	int r = 0;

	if (!pm || !vmk_pmap__va_ok(pm, va))
		return -VMK_EINVAL;
	pmap__lock(pm);
	p = vmk_pmap__walk(pm, va, &lvl, NULL);
	if (!ARCH->is_valid(pte_load(p), lvl))
		r = -VMK_ENOENT;
	else if (lvl > 0)
		r = vmk_pmap__demote(pm, p, va, lvl, NULL, false);
	pmap__unlock(pm);
	return r;
}

void vmk_pmap__try_promote(struct vmk_pmap *pm, vmk_vaddr_t va, unsigned int lvl)
{
	unsigned int sub = lvl - 1;
	vmk_vaddr_t base = va & ~(VMK_PT_SIZE(lvl) - 1);
	vmk_pte_t *pp, *tbl, e, f;
	vmk_paddr_t t, pa0;
	uint32_t a0, ad, late = 0;
	struct vmk_page *pg;

	if (lvl > PG->top || !(PG->block_levels & (1u << lvl)))
		return;
	pp = vmk_pmap__entry_at(pm, va, lvl, NULL);
	if (!pp)
		return;
	e = pte_load(pp);
	if (!ARCH->is_table(e, lvl))
		return;
	t = ARCH->pa_of(e, lvl);
	pg = vmk_pa_to_page(t);
	if (!pm->kernel && pg->ref_count != VMK_PT_ENTRIES)
		return;
	tbl = pmap__table(t);
	/* Kernel PTPs have no count: scan from the end, where a filling table is still empty. */
	f = pte_load(&tbl[VMK_PT_ENTRIES - 1]);
	if (!pmap__is_leaf(f, sub))
		return;
	f = pte_load(&tbl[0]);
	if (!pmap__is_leaf(f, sub))
		return;
	a0 = ARCH->attrs_of(f, sub);
	pa0 = ARCH->pa_of(f, sub);
	if ((pa0 & (VMK_PT_SIZE(lvl) - 1)) || (a0 & VMK_PTE_A_NOPROMOTE))
		goto refused;
	ad = a0 & AD_BITS;
	for (unsigned int i = VMK_PT_ENTRIES - 1; i > 0; i--) {
		vmk_pte_t x = pte_load(&tbl[i]);
		uint32_t ax;

		if (!pmap__is_leaf(x, sub))
			return;
		ax = ARCH->attrs_of(x, sub);
		if (ARCH->pa_of(x, sub) != pa0 + (vmk_paddr_t)i * VMK_PT_SIZE(sub) ||
		    (ax & ~AD_BITS) != (a0 & ~AD_BITS))
			goto refused;
		ad |= ax & AD_BITS;
	}
	vmk_pmap__update_entry(pm, pp, ARCH->make_leaf(pa0, lvl, (a0 & ~AD_BITS) | ad), base,
			       VMK_PT_SIZE(lvl), lvl);
	for (unsigned int i = 0; i < VMK_PT_ENTRIES; i++)
		late |= ARCH->attrs_of(pte_load(&tbl[i]), sub) & AD_BITS;
	late &= ~ad;
	if (late) {
		vmk_pte_t cur = pte_load(pp);

		while (!pte_cas(pp, &cur, ARCH->make_leaf(pa0, lvl, ARCH->attrs_of(cur, lvl) | late)))
			;
	}
	vmk_pmap__spare_insert(pm, base, lvl, pg);
	pm->st.ptps--;
	pm->st.promotions++;
	pmap__count_leaf(pm, sub, -(int)VMK_PT_ENTRIES);
	pmap__count_leaf(pm, lvl, 1);
	if (a0 & VMK_PTE_A_MANAGED) {
		struct vmk_page *h0 = vmk_pmap__pv_head(pa0, sub);
		struct vmk_pv *pv;

		pv__lock();
		pv = vmk_pmap__pv_find(h0, pm, base, sub);
		VMK_VERIFY(pv != NULL, "managed page at %#llx has no PV entry", (unsigned long long)base);
		vmk_pmap__pv_unlink(h0, pv);
		pv->va_lvl = base | lvl;
		vmk_pmap__pv_link(vmk_pmap__pv_head(pa0, lvl), pv);
		for (unsigned int i = 1; i < VMK_PT_ENTRIES; i++) {
			vmk_paddr_t pa = pa0 + (vmk_paddr_t)i * VMK_PT_SIZE(sub);
			struct vmk_page *h = vmk_pmap__pv_head(pa, sub);
			vmk_vaddr_t v = base + (vmk_vaddr_t)i * VMK_PT_SIZE(sub);

			pv = vmk_pmap__pv_find(h, pm, v, sub);
			VMK_VERIFY(pv != NULL, "managed page at %#llx has no PV entry", (unsigned long long)v);
			vmk_pmap__pv_unlink(h, pv);
			vmk_pmap__pv_free(pm, pv);
		}
		pv__unlock();
	}
	vmk_pmap__try_promote(pm, va, lvl + 1);
	return;
refused:
	pm->st.promotion_failures++;
}
