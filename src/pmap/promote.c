/*
 * Superpage promotion and demotion, and the demotions that make a range
 * edge a leaf boundary (vmk_pmap__split_edges, for remove and protect).
 *
 * Promotion replaces a full table of 512 leaves that map one aligned,
 * physically contiguous run with identical attributes, accessed and
 * dirty included, by one block: or-ing them would report all 512 pages
 * modified when one was written (FreeBSD refuses such a table too, after
 * write-protecting its clean pages; here the clean ones stay writable
 * and a bit the hardware sets during the promotion goes to its own page).
 * The replaced PTP is kept as the block's spare, so a later demotion
 * needs no allocation. Leaves carrying the no-promote bit, or in a range
 * marked no-promote, are never promoted; neither is live kernel memory
 * promoted to 1 GiB unless the configuration asks for it. Every attempt
 * on a full table that fails is counted.
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
	vmk_pte_t old = vmk_pmap__pte_load(p), prev;
	struct vmk_page *pg;
	bool from_spare = true, reserved = false;
	vmk_paddr_t t, pa0;
	vmk_pte_t *tbl, leaf;
	uint32_t a, late;
	bool fold;

	va &= ~(VMK_PT_SIZE(lvl) - 1);
	VMK_ASSERT(lvl >= 1 && vmk_pmap__g.arch->is_block(old, lvl), "demoting a non-block at %#llx",
		   (unsigned long long)va);
	a = vmk_pmap__marked(pm, vmk_pmap__g.arch->attrs_of(old, lvl), va, lvl, 0);
	VMK_VERIFY(!(a & VMK_PTE_A_NOPROMOTE),
		   "demotion of a no-promote (must-stay-valid) mapping at %#llx", (unsigned long long)va);
	pg = vmk_pmap__spare_take(pm, va, lvl, &reserved);
	if (!pg) {
		from_spare = false;
		if (r && r->n)
			pg = r->pg[--r->n];
		else if (pm->kernel)
			pg = vmk_pmap__kpool_take(pm);	/* the kernel's reserve, never the allocator */
		else
			pg = vmk_pmap__ptp_alloc(pm, "pmap.ptp");
		if (!pg)
			return -VMK_ENOMEM;
	}
	if ((a & VMK_PTE_A_MANAGED) && vmk_pmap__pv_reserve(pm, VMK_PT_ENTRIES - 1)) {
		if (from_spare) {
			vmk_pmap__spare_insert(pm, va, lvl, pg, reserved);
			if (vmk_pmap__g.marks && (a & VMK_PTE_A_KEEPSPARE))
				vmk_pmap__spare_set_keep(pm, va, lvl);
		} else if (r)
			r->pg[r->n++] = pg;
		else if (pm->kernel)
			vmk_pmap__kpool_put(pm, pg);
		else
			vmk_pmap__ptp_free(pm, pg);
		return -VMK_ENOMEM;
	}
	t = vmk_page_to_pa(pg);
	tbl = vmk_pmap__table(t);
	pa0 = vmk_pmap__g.arch->pa_of(old, lvl);
	/*
	 * Not in a rendezvous range (each later unfold there would park every
	 * CPU) nor a no-promote one (an unfold breaks the run, and riscv64,
	 * with no PTE bit for the mark, demotes such blocks in place).
	 */
	fold = sub == 0 && vmk_pmap__g.cont && !vmk_pmap__in_rdv(pm, va, VMK_PT_SIZE(lvl)) &&
	       !vmk_pmap__in_np(pm, va, VMK_PT_SIZE(lvl));
	for (unsigned int i = 0; i < VMK_PT_ENTRIES; i++) {
		/*
		 * A piece keeps the keep-spare mark only if it has its spare:
		 * a 1 GiB block promoted from KEEP_SPARE 2 MiB blocks keeps
		 * their spares dormant, filed under its own spare (the table
		 * pg becomes), and they serve the pieces again.
		 */
		uint32_t piece_a = a & ~(uint32_t)VMK_PTE_A_KEEPSPARE;

		if ((a & VMK_PTE_A_KEEPSPARE) && sub > 0 && vmk_pmap__spare_under(pg, i)) {
			piece_a = a;
			if (vmk_pmap__g.marks)
				vmk_pmap__spare_set_keep_under(pg, i);
		}
		leaf = vmk_pmap__g.arch->make_leaf(pa0 + (vmk_paddr_t)i * VMK_PT_SIZE(sub), sub, piece_a);
		/* 4 KiB pieces of a block are aligned and contiguous: whole 64 KiB runs. */
		if (fold)
			leaf = vmk_pmap__g.arch->fold(leaf);
		vmk_pmap__pte_store(&tbl[i], leaf);
	}
	if (fold)
		pm->st.folds += VMK_PT_ENTRIES / VMK_PMAP_CONT_PAGES;
	a &= ~(uint32_t)VMK_PTE_A_KEEPSPARE;
	pg->ref_count = pm->kernel ? VMK_PMAP_KPTP_REF : VMK_PT_ENTRIES;
	vmk_barrier(VMK_BARRIER_PTE_STORE);
	prev = vmk_pmap__update_entry(pm, p, vmk_pmap__g.arch->make_table(t, lvl, !pm->kernel), va,
				      VMK_PT_SIZE(lvl), lvl, false);
	/* Accessed/dirty the hardware set after we read the block. */
	late = vmk_pmap__g.arch->attrs_of(prev, lvl) & AD_BITS & ~a;
	for (unsigned int i = 0; late && i < VMK_PT_ENTRIES; i++) {
		vmk_pte_t cur = vmk_pmap__pte_load(&tbl[i]);

		while (!vmk_pmap__pte_cas(&tbl[i], &cur, vmk_pmap__leaf_rebuild(cur, sub,
				vmk_pmap__g.arch->attrs_of(cur, sub) | late)))
			;
	}
	pm->st.ptps++;
	pm->st.demotions++;
	vmk_pmap__count_leaf(pm, lvl, -1);
	vmk_pmap__count_leaf(pm, sub, (int)VMK_PT_ENTRIES);
	if (a & VMK_PTE_A_MANAGED) {
		struct vmk_page *head = vmk_pmap__pv_head(pa0, lvl);
		struct vmk_pv *pv;

		if (!pv_locked)
			vmk_pmap__pv_lock();
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
			vmk_pmap__pv_unlock();
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
	vmk_pmap__lock(pm);
	p = vmk_pmap__walk(pm, va, &lvl, NULL);
	if (!vmk_pmap__g.arch->is_valid(vmk_pmap__pte_load(p), lvl))
		r = -VMK_ENOENT;
	else if (lvl > 0)
		r = vmk_pmap__demote(pm, p, va, lvl, NULL, false);
	if (pm->kernel)
		vmk_pmap__kpool_fill(pm);
	vmk_pmap__unlock(pm);
	return r;
}

/*
 * Demotions needed so that addr becomes a leaf boundary; counts the PTPs
 * that do not come from a spare and the PV entries. A block that the
 * other edge (other, or ~0: none) already cuts is demoted once, for it.
 */
static bool edge_needs(struct vmk_pmap *pm, vmk_vaddr_t addr, vmk_vaddr_t other, unsigned int *ptps,
		       uint64_t *pvs)
{
	unsigned int lvl;
	vmk_pte_t e = vmk_pmap__pte_load(vmk_pmap__walk(pm, addr, &lvl, NULL));
	bool spare;
	uint32_t a;

	if (lvl == 0 || !vmk_pmap__g.arch->is_block(e, lvl) || !(addr & (VMK_PT_SIZE(lvl) - 1)))
		return false;
	a = vmk_pmap__g.arch->attrs_of(e, lvl);
	spare = vmk_pmap__spare_has(pm, addr & ~(VMK_PT_SIZE(lvl) - 1), lvl);
	for (unsigned int l = lvl; l > 0 && (addr & (VMK_PT_SIZE(l) - 1)); l--) {
		if (other != ~(vmk_vaddr_t)0 && (other >> VMK_PT_SHIFT(l)) == (addr >> VMK_PT_SHIFT(l)) &&
		    (other & (VMK_PT_SIZE(l) - 1)))
			continue;
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

	cut = edge_needs(pm, sva, ~(vmk_vaddr_t)0, &nptp, &npv);
	if (vmk_pmap__va_ok(pm, eva))
		cut = edge_needs(pm, eva, sva, &nptp, &npv) || cut;
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

			if (lvl == 0 || !vmk_pmap__g.arch->is_block(vmk_pmap__pte_load(p), lvl) ||
			    !(addr & (VMK_PT_SIZE(lvl) - 1)))
				break;
			err = vmk_pmap__demote(pm, p, addr, lvl, &r, false);
			VMK_VERIFY(err == 0, "demotion failed after its resources were reserved (%d)", err);
		}
	}
	vmk_pmap__reserve_release(pm, &r);
	return 0;
}

/* A page of the promoted table had bits set after it was read: they are its own, not the block's. */
static void note_late(vmk_pte_t *tbl, vmk_vaddr_t base, unsigned int sub, uint32_t a0)
{
	const struct vmk_pmap_arch *arch = vmk_pmap__g.arch;

	for (unsigned int i = 0; i < VMK_PT_ENTRIES; i++) {
		vmk_pte_t cur = vmk_pmap__pte_load(&tbl[i]);
		/* A run's state is the OR over its entries: a late bit in one is every page's. */
		uint32_t late = vmk_pmap__leaf_attrs(&tbl[i], cur, sub) & AD_BITS & ~a0;
		vmk_paddr_t pa = vmk_pmap__leaf_pa(cur, sub, base + (vmk_vaddr_t)i * VMK_PT_SIZE(sub));

		if (late)
			vmk_pmap__note_removed(arch->make_leaf(pa, sub, (a0 & ~AD_BITS) | late), sub);
	}
}

void vmk_pmap__try_promote_range(struct vmk_pmap *pm, vmk_vaddr_t va, vmk_size_t len, unsigned int lvl)
{
	/* By count: the last block of the address space ends at 2^64, where v wraps to 0. */
	vmk_size_t up = VMK_PT_SIZE(lvl);
	vmk_vaddr_t last = (va + len - 1) & ~(up - 1);

	for (vmk_vaddr_t v = va & ~(up - 1);; v += up) {
		vmk_pmap__try_promote(pm, v, lvl);
		if (v == last)
			break;
	}
}

void vmk_pmap__try_promote(struct vmk_pmap *pm, vmk_vaddr_t va, unsigned int lvl)
{
	const struct vmk_pmap_arch *arch = vmk_pmap__g.arch;
	unsigned int sub = lvl - 1;
	vmk_vaddr_t base = va & ~(VMK_PT_SIZE(lvl) - 1);
	vmk_pte_t *pp, *tbl, e, f;
	vmk_paddr_t t, pa0;
	uint32_t a0;
	struct vmk_page *pg;

	if (lvl > vmk_pmap__g.top || !vmk_pmap__block_ok(pm, lvl))
		return;
	/* A 1 GiB break-before-make window over live kernel memory only when asked for. */
	if (pm->kernel && lvl >= 2 && !vmk_pmap__g.cfg.promote_kernel_1g)
		return;
	pp = vmk_pmap__entry_at(pm, va, lvl, NULL);
	if (!pp)
		return;
	e = vmk_pmap__pte_load(pp);
	if (!arch->is_table(e, lvl))
		return;
	t = arch->pa_of(e, lvl);
	pg = vmk_pa_to_page(t);
	if (!pm->kernel && pg->ref_count != VMK_PT_ENTRIES)
		return;
	tbl = vmk_pmap__table(t);
	/*
	 * Kernel PTPs have no count: a table whose last or first entry is no
	 * leaf is still filling, no attempt (docs/pmap.md; the enter paths'
	 * own test, table_full, does not even call then). From here on every
	 * way out but the promotion is a counted failure, a hole included.
	 */
	if (!vmk_pmap__is_leaf(vmk_pmap__pte_load(&tbl[VMK_PT_ENTRIES - 1]), sub))
		return;
	f = vmk_pmap__pte_load(&tbl[0]);
	if (pm->kernel && !vmk_pmap__is_leaf(f, sub))
		return;
	if (!vmk_pmap__is_leaf(f, sub) || vmk_pmap__in_np(pm, base, VMK_PT_SIZE(lvl)))
		goto refused;
	/* Runs (if any) count as their OR: the hardware marks one entry of a run. */
	a0 = vmk_pmap__marked(pm, vmk_pmap__leaf_attrs(&tbl[0], f, sub), base, sub, t);
	pa0 = vmk_pmap__leaf_pa(f, sub, base);
	if ((pa0 & (VMK_PT_SIZE(lvl) - 1)) || (a0 & VMK_PTE_A_NOPROMOTE) ||
	    (vmk_pmap__g.marks && vmk_pmap__marks_any(t)))
		goto refused;
	/* Identical attributes, accessed and dirty included: a block's state is every page's. */
	for (unsigned int i = VMK_PT_ENTRIES - 1; i > 0; i--) {
		vmk_pte_t x = vmk_pmap__pte_load(&tbl[i]);

		if (!vmk_pmap__is_leaf(x, sub) ||
		    vmk_pmap__leaf_pa(x, sub, base + (vmk_vaddr_t)i * VMK_PT_SIZE(sub)) !=
		    pa0 + (vmk_paddr_t)i * VMK_PT_SIZE(sub) ||
		    vmk_pmap__marked(pm, vmk_pmap__leaf_attrs(&tbl[i], x, sub),
				     base + (vmk_vaddr_t)i * VMK_PT_SIZE(sub), sub, t) != a0)
			goto refused;
	}
	vmk_pmap__update_entry(pm, pp, arch->make_leaf(pa0, lvl, a0), base, VMK_PT_SIZE(lvl), lvl, false);
	note_late(tbl, base, sub, a0);
	VMK_ASSERT(!pg->owner || (pg->owner & VMK_PMAP_OWNER_DIR),
		   "promoting the table at %#llx, which has no-promote marks", (unsigned long long)base);
	vmk_pmap__spare_insert(pm, base, lvl, pg, false);
	if (vmk_pmap__g.marks && (a0 & VMK_PTE_A_KEEPSPARE))
		vmk_pmap__spare_set_keep(pm, base, lvl);
	pm->st.ptps--;
	pm->st.promotions++;
	vmk_pmap__count_leaf(pm, sub, -(int)VMK_PT_ENTRIES);
	vmk_pmap__count_leaf(pm, lvl, 1);
	if (a0 & VMK_PTE_A_MANAGED) {
		struct vmk_page *h0 = vmk_pmap__pv_head(pa0, sub);
		struct vmk_pv *pv;

		vmk_pmap__pv_lock();
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
		vmk_pmap__pv_unlock();
	}
	vmk_pmap__try_promote(pm, va, lvl + 1);
	return;
refused:
	pm->st.promotion_failures++;
}
