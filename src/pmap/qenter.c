/*
 * The kernel's quick mappings: vmk_pmap_qenter / vmk_pmap_qremove map
 * and unmap runs of pages in kernel tables that already exist, and
 * vmk_pmap_growkernel creates those tables beforehand, so the quick
 * paths never allocate.
 */
#include "pmap_internal.h"

int vmk_pmap_growkernel(vmk_vaddr_t start, vmk_vaddr_t end)
{
	struct vmk_pmap *k = vmk_pmap_kernel();
	int err = 0;

	if (!k || !vmk_pmap__range_ok(k, start & ~VMK_PAGE_MASK, VMK_ALIGN_UP(end, VMK_PAGE_SIZE)))
		return -VMK_EINVAL;
	vmk_pmap__lock(k);
	for (vmk_vaddr_t va = start & ~(VMK_PT_SIZE(1) - 1); va < end; va += VMK_PT_SIZE(1)) {
		if (!vmk_pmap__get_table(k, va, 0, false, &err)) {
			if (err != -VMK_EEXIST)	/* a block already maps it: nothing to grow */
				break;
			err = 0;
		}
		if (va + VMK_PT_SIZE(1) < va)
			break;
	}
	vmk_pmap__kpool_fill(k);
	vmk_pmap__unlock(k);
	return err;
}

/* The block over va at lvl came from promotion: a spare at every level down to 2 MiB. */
static bool promoted(struct vmk_pmap *k, vmk_vaddr_t va, unsigned int lvl, vmk_pte_t e)
{
	if (vmk_pmap__marked(k, vmk_pmap__g.arch->attrs_of(e, lvl), va, lvl, 0) &
	    (VMK_PTE_A_MANAGED | VMK_PTE_A_NOPROMOTE | VMK_PTE_A_KEEPSPARE))
		return false;
	for (; lvl > 0; lvl--)
		if (!vmk_pmap__spare_has(k, va & ~(VMK_PT_SIZE(lvl) - 1), lvl))
			return false;
	return true;
}

/* Demote the promoted blocks over [va, va + n pages) with their spares (checked by promoted()). */
static void demote_promoted(struct vmk_pmap *k, vmk_vaddr_t va, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		vmk_vaddr_t v = va + i * VMK_PAGE_SIZE;
		unsigned int lvl;
		vmk_pte_t *p = vmk_pmap__walk(k, v, &lvl, NULL);

		/* A 1 GiB block promoted from promoted 2 MiB ones comes down two levels. */
		while (lvl > 0 && vmk_pmap__g.arch->is_valid(vmk_pmap__pte_load(p), lvl)) {
			VMK_VERIFY(vmk_pmap__demote(k, p, v, lvl, NULL, false) == 0,
				   "demotion of %#llx with its spare failed", (unsigned long long)v);
			p = vmk_pmap__walk(k, v, &lvl, NULL);
		}
	}
}

int vmk_pmap_qenter(vmk_vaddr_t va, const vmk_paddr_t *pas, size_t n)
{
	struct vmk_pmap *k = vmk_pmap_kernel();
	uint32_t a, anp;
	bool flush = false;

	if (!k || n == 0 || !pas || !vmk_pmap__range_ok(k, va, va + n * VMK_PAGE_SIZE))
		return -VMK_EINVAL;
	a = vmk_pmap__attrs(k, VMK_PROT_READ | VMK_PROT_WRITE, 0);
	anp = vmk_pmap__attrs(k, VMK_PROT_READ | VMK_PROT_WRITE, VMK_PMAP_ENTER_NOPROMOTE);
	vmk_pmap__lock(k);
	/*
	 * A block over a page is an error (no table to enter into) unless it
	 * was promoted from a full table (of qenter's pages, say): that one is
	 * demoted back with its spare, without allocating.
	 */
	for (size_t i = 0; i < n; i++) {
		vmk_vaddr_t v = va + i * VMK_PAGE_SIZE;
		unsigned int lvl;
		vmk_pte_t e = vmk_pmap__pte_load(vmk_pmap__walk(k, v, &lvl, NULL));
		bool ok = lvl == 0 || (vmk_pmap__g.arch->is_valid(e, lvl) && promoted(k, v, lvl, e));

		if (!ok || (pas[i] & ~vmk_pmap__g.arch->page_pa_mask)) {
			vmk_pmap__unlock(k);
			return !ok ? -VMK_ENOENT : -VMK_EINVAL;
		}
	}
	demote_promoted(k, va, n);
	vmk_pmap__unfold_range(k, va, va + n * VMK_PAGE_SIZE);
	/* Live entries are broken first (one invalidation), then all are made. */
	for (size_t i = 0; i < n; i++) {
		unsigned int lvl;
		vmk_pte_t *p = vmk_pmap__walk(k, va + i * VMK_PAGE_SIZE, &lvl, NULL);
		vmk_pte_t old = vmk_pmap__pte_load(p);

		if (!vmk_pmap__g.arch->is_valid(old, 0))
			continue;
		VMK_VERIFY(!(vmk_pmap__marked(k, vmk_pmap__g.arch->attrs_of(old, 0), va + i * VMK_PAGE_SIZE, 0, 0) &
			     (VMK_PTE_A_MANAGED | VMK_PTE_A_NOPROMOTE)),
			   "qenter over a managed or no-promote mapping at %#llx",
			   (unsigned long long)(va + i * VMK_PAGE_SIZE));
		vmk_pmap__pte_clear(p);
		vmk_pmap__count_leaf(k, 0, -1);
		if (vmk_pmap__g.arch->attrs_of(old, 0) & VMK_PTE_A_WIRED)
			k->st.wired--;
		flush = true;
	}
	if (flush)
		vmk_pmap__tlb_range(k, va, n * VMK_PAGE_SIZE, true);
	for (size_t i = 0; i < n; i++) {
		vmk_vaddr_t v = va + i * VMK_PAGE_SIZE;
		unsigned int lvl;
		vmk_pte_t *p = vmk_pmap__walk(k, v, &lvl, NULL);

		/* A page of a no-promote range is marked as an enter there would mark it. */
		vmk_pmap__pte_store(p, vmk_pmap__g.arch->make_leaf(pas[i], 0,
								   vmk_pmap__in_np(k, v, VMK_PAGE_SIZE) ? anp : a));
		vmk_pmap__count_leaf(k, 0, 1);
	}
	vmk_pmap__tlb_made(k);
	vmk_pmap__unlock(k);
	return 0;
}

void vmk_pmap_qremove(vmk_vaddr_t va, size_t n)
{
	struct vmk_pmap *k = vmk_pmap_kernel();
	struct vmk_pmap_batch b = { .free = NULL };

	if (!k || n == 0 || !vmk_pmap__range_ok(k, va, va + n * VMK_PAGE_SIZE))
		return;
	vmk_pmap__lock(k);
	/*
	 * Only what qenter makes is removed: 4 KiB unmanaged leaves. qenter's
	 * leaves are those of an unmanaged kernel enter, so a table of them
	 * completed by vmk_pmap_enter may have been promoted: such a block
	 * has its old table as its spare (a 1 GiB one, and each 2 MiB piece)
	 * and is demoted back with them (no allocation, cannot fail). Any
	 * other block over a page (a no-promote range mapped with 2 MiB
	 * pages, say) would stay mapped, and a managed leaf would leave its
	 * PV entry behind; both are the caller's bug, refused before anything
	 * changes.
	 */
	for (size_t i = 0; i < n; i++) {
		vmk_vaddr_t v = va + i * VMK_PAGE_SIZE;
		unsigned int lvl;
		vmk_pte_t e = vmk_pmap__pte_load(vmk_pmap__walk(k, v, &lvl, NULL));
		uint32_t a;

		if (!vmk_pmap__g.arch->is_valid(e, lvl))
			continue;
		a = vmk_pmap__g.arch->attrs_of(e, lvl);
		if (lvl > 0 && promoted(k, v, lvl, e))
			continue;
		if (lvl != 0 || (a & VMK_PTE_A_MANAGED)) {
			vmk_pmap__unlock(k);
			vmk_panic("qremove of %#llx: %s, not a page entered with qenter", (unsigned long long)v,
				  lvl ? "mapped by a block" : "a managed mapping");
		}
	}
	demote_promoted(k, va, n);
	vmk_pmap__unfold_range(k, va, va + n * VMK_PAGE_SIZE);
	for (size_t i = 0; i < n; i++) {
		unsigned int lvl;
		vmk_paddr_t t;
		vmk_pte_t *p = vmk_pmap__walk(k, va + i * VMK_PAGE_SIZE, &lvl, &t);
		vmk_pte_t old;

		if (lvl != 0)
			continue;
		old = vmk_pmap__pte_clear(p);
		if (!vmk_pmap__g.arch->is_valid(old, 0))
			continue;
		vmk_pmap__count_leaf(k, 0, -1);
		if (vmk_pmap__g.marks)
			vmk_pmap__mark_clear(k, t, VMK_PT_INDEX(va + i * VMK_PAGE_SIZE, 0), 1);
		vmk_pmap__batch_add(&b, va + i * VMK_PAGE_SIZE, VMK_PAGE_SIZE, 1);
		if (vmk_pmap__g.arch->attrs_of(old, 0) & VMK_PTE_A_WIRED)
			k->st.wired--;
	}
	vmk_pmap__batch_flush(k, &b);
	vmk_pmap__unlock(k);
}
