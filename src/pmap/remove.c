/*
 * Removing mappings: one leaf (vmk_pmap__remove_leaf, with its PV entry,
 * spare PTPs and page state) and ranges (vmk_pmap_remove). A large
 * mapping cut by either end of the range is demoted first, all-or-nothing
 * (vmk_pmap__split_edges). Inside the range, leaves are cleared with one
 * TLB invalidation at the end, and the PTPs that became empty are freed
 * only after it.
 */
#include "pmap_internal.h"

/* Record the hardware's referenced/modified bits of a managed leaf going away. */
void vmk_pmap__note_removed(vmk_pte_t old, unsigned int lvl)
{
	uint32_t a = vmk_pmap__g.arch->attrs_of(old, lvl);
	uint8_t f = 0;
	vmk_paddr_t pa = vmk_pmap__g.arch->pa_of(old, lvl);

	if (!(a & VMK_PTE_A_MANAGED))
		return;
	if (a & VMK_PTE_A_ACCESSED)
		f |= VMK_PMAP_PAGE_REFERENCED;
	if (a & VMK_PTE_A_DIRTY)
		f |= VMK_PMAP_PAGE_MODIFIED;
	if (!f)
		return;
	for (uint64_t i = 0; i < ((uint64_t)1 << (9 * lvl)); i++) {
		struct vmk_page *pg = vmk_pa_to_page(pa + i * VMK_PAGE_SIZE);

		if (pg)
			vmk_atomic_fetch_or_u8(&pg->md_flags, f);
	}
}

void vmk_pmap__remove_leaf(struct vmk_pmap *pm, vmk_pte_t *p, vmk_vaddr_t va, unsigned int lvl,
			   vmk_paddr_t table_pa, bool pv_locked, struct vmk_pmap_batch *b)
{
	vmk_pte_t old = vmk_pmap__pte_clear(p);
	uint32_t a;

	VMK_ASSERT(vmk_pmap__is_leaf(old, lvl), "removing a non-leaf entry at %#llx", (unsigned long long)va);
	a = vmk_pmap__g.arch->attrs_of(old, lvl);
	if (vmk_pmap__g.marks)
		vmk_pmap__mark_clear(pm, table_pa, VMK_PT_INDEX(va, lvl), 1);
	if (b)
		vmk_pmap__batch_add(b, va, VMK_PT_SIZE(lvl), 1);
	else
		vmk_pmap__tlb_page(pm, va, VMK_PT_SIZE(lvl), true);
	vmk_pmap__count_leaf(pm, lvl, -1);
	if (a & VMK_PTE_A_WIRED)
		pm->st.wired -= (uint64_t)1 << (9 * lvl);
	if (a & VMK_PTE_A_MANAGED) {
		struct vmk_page *head = vmk_pmap__pv_head(vmk_pmap__g.arch->pa_of(old, lvl), lvl);
		struct vmk_pv *pv;

		vmk_pmap__note_removed(old, lvl);
		if (!pv_locked)
			vmk_pmap__pv_lock();
		pv = vmk_pmap__pv_find(head, pm, va, lvl);
		VMK_VERIFY(pv != NULL, "managed mapping at %#llx has no PV entry", (unsigned long long)va);
		vmk_pmap__pv_unlink(head, pv);
		if (!pv_locked)
			vmk_pmap__pv_unlock();
		vmk_pmap__pv_free(pm, pv);
	}
	if (lvl > 0) {
		/*
		 * A block's spare PTP: the kernel keeps it as the (empty) table
		 * again. The spares of the blocks inside it (dormant since the
		 * promotion that made the block) belong to nothing now.
		 */
		struct vmk_page *spare = vmk_pmap__spare_take(pm, va, lvl, NULL);

		if (spare)
			vmk_pmap__spares_drop(pm, spare, b);

		if (spare && pm->kernel) {
			if (b)
				vmk_pmap__batch_flush(pm, b);
			vmk_pmap__pte_store(p, vmk_pmap__g.arch->make_table(vmk_page_to_pa(spare), lvl, false));
			vmk_pmap__tlb_made(pm);
			pm->st.ptps++;
			return;		/* the entry stays valid: no count change */
		}
		if (spare) {
			spare->owner = b ? (uint64_t)(uintptr_t)b->free : 0;
			if (b)
				b->free = spare;
			else
				vmk_pmap__ptp_free(pm, spare);
		}
	}
	vmk_pmap__ptp_unref(pm, va, lvl, table_pa, b);
}

/*
 * Clear the 16 entries of the run at p into run[], as plain leaves each
 * with the run's accessed/dirty state (the OR the hardware left over the entries). The
 * entries still read as the run's until the caller's one invalidation of
 * the range, which the whole run lies in.
 */
static void clear_run(vmk_pte_t *p, vmk_pte_t *run)
{
	const struct vmk_pmap_arch *arch = vmk_pmap__g.arch;
	vmk_pte_t any = 0, all = ~(vmk_pte_t)0;

	for (unsigned int j = 0; j < VMK_PMAP_CONT_PAGES; j++) {
		run[j] = vmk_pmap__pte_clear(&p[j]);
		any |= run[j];
		all &= run[j];
	}
	/* As plain leaves, so that each names its own page (a riscv64 NAPOT entry names the run's). */
	for (unsigned int j = 0; j < VMK_PMAP_CONT_PAGES; j++) {
		run[j] = arch->unfold(run[j], j) | (any & arch->pte_ad_or);
		if (!(all & arch->pte_ad_clean))
			run[j] &= ~arch->pte_ad_clean;
	}
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
	vmk_pte_t *tbl = vmk_pmap__table(t);
	const vmk_pte_t sw_wired = vmk_pmap__g.arch->pte_sw_wired, sw_managed = vmk_pmap__g.arch->pte_sw_managed;
	unsigned int first = VMK_PT_INDEX(sva, 0), end = first + (unsigned int)((eva - sva) >> VMK_PAGE_SHIFT);
	unsigned int n = 0, nwired = 0, lo = end, hi = 0;
	bool pv_held = false;

	vmk_pte_t run[VMK_PMAP_CONT_PAGES];
	unsigned int run_end = 0;	/* entries below it were cleared into run[] */

	for (unsigned int i = first; i < end; i++) {
		vmk_pte_t *p = &tbl[i], e = i < run_end ? run[i % VMK_PMAP_CONT_PAGES] : vmk_pmap__pte_load_relaxed(p), old;
		vmk_vaddr_t va;

		if (e == 0 || !vmk_pmap__g.arch->is_valid(e, 0))
			continue;
		n++;
		lo = VMK_MIN(lo, i);
		hi = i + 1;
		nwired += (e & sw_wired) != 0;
		if (!(e & sw_managed)) {
			vmk_pmap__pte_store_relaxed(p, 0);
			continue;
		}
		/*
		 * A managed run inside the range (the range's edges unfolded
		 * theirs) goes whole, without unfolding: the entries cleared
		 * first, then each page takes the run's accessed/dirty OR.
		 */
		if (i >= run_end && vmk_pmap__is_cont(e, 0)) {
			/* Only a managed run gets here: it is read from run[] from now on. */
			VMK_ASSERT(i % VMK_PMAP_CONT_PAGES == 0 && i + VMK_PMAP_CONT_PAGES <= end,
				   "a 64 KiB run cut by the removal at index %u", i);
			clear_run(p, run);
			run_end = i + VMK_PMAP_CONT_PAGES;
		}
		old = i < run_end ? run[i % VMK_PMAP_CONT_PAGES] : vmk_pmap__pte_clear(p);
		va = sva + ((vmk_vaddr_t)(i - first) << VMK_PAGE_SHIFT);
		{
			struct vmk_page *head = vmk_pmap__pv_head(vmk_pmap__g.arch->pa_of(old, 0), 0);
			struct vmk_pv *pv;

			vmk_pmap__note_removed(old, 0);
			if (!pv_held) {
				vmk_pmap__pv_lock();
				pv_held = true;
			}
			pv = vmk_pmap__pv_find(head, pm, va, 0);
			VMK_VERIFY(pv != NULL, "managed mapping at %#llx has no PV entry", (unsigned long long)va);
			vmk_pmap__pv_unlink(head, pv);
			vmk_pmap__pv_free(pm, pv);
		}
	}
	if (pv_held)
		vmk_pmap__pv_unlock();
	if (n == 0)
		return;
	if (vmk_pmap__g.marks)
		vmk_pmap__mark_clear(pm, t, lo, hi - lo);
	sva += (vmk_vaddr_t)(lo - first) << VMK_PAGE_SHIFT;
	vmk_pmap__batch_add(b, sva, (vmk_size_t)(hi - lo) << VMK_PAGE_SHIFT, n);
	vmk_pmap__count_leaf(pm, 0, -(int)n);
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
	struct vmk_pmap_batch b = { .free = NULL };
	int r;

	if (!pm || !vmk_pmap__range_ok(pm, sva, eva))
		return -VMK_EINVAL;
	vmk_pmap__lock(pm);
	r = vmk_pmap__split_edges(pm, sva, eva);
	if (r == 0) {
		/* Runs cut by the range's ends become plain leaves; those inside go whole. */
		vmk_pmap__unfold_edges(pm, sva, eva);
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
				if (vmk_pmap__g.arch->is_valid(vmk_pmap__pte_load(p), lvl))
					vmk_pmap__remove_leaf(pm, p, va & ~(VMK_PT_SIZE(lvl) - 1), lvl, t, false, &b);
			}
			if (next <= va)
				break;
			va = next;
		}
		vmk_pmap__batch_flush(pm, &b);
	}
	if (pm->kernel)
		vmk_pmap__kpool_fill(pm);
	vmk_pmap__unlock(pm);
	return r;
}
