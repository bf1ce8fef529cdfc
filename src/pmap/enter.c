/*
 * Creating mappings: vmk_pmap_enter (4 KiB), vmk_pmap_enter_large
 * (2 MiB / 1 GiB), the kernel's quick enter/remove and growkernel.
 *
 * Order of every enter: take the table with a hold (allocating PTPs),
 * allocate what the new mapping needs (PV entry, spare PTP), and only
 * then change an entry; any failure before that point unwinds through
 * vmk_pmap__abort_ptp(), so nothing is left behind.
 */
#include "pmap_internal.h"

static bool prot_ok(uint32_t prot, uint32_t flags)
{
	return prot != VMK_PROT_NONE && !(prot & ~(uint32_t)(VMK_PROT_READ | VMK_PROT_WRITE | VMK_PROT_EXEC)) &&
	       ((flags >> VMK_PMAP_ENTER_MT_SHIFT) & 0xff) < VMK_MEMTYPE_COUNT;
}

/* Record the hardware's referenced/modified bits of a managed leaf going away. */
void vmk_pmap__note_removed(vmk_pte_t old, unsigned int lvl)
{
	uint32_t a = ARCH->attrs_of(old, lvl);
	uint8_t f = 0;
	vmk_paddr_t pa = ARCH->pa_of(old, lvl);

	if (!(a & VMK_PTE_A_MANAGED))
		return;
	if (a & VMK_PTE_A_ACCESSED)
		f |= VMK_PMAP_PGA_REFERENCED;
	if (a & VMK_PTE_A_DIRTY)
		f |= VMK_PMAP_PGA_MODIFIED;
	if (!f)
		return;
	for (uint64_t i = 0; i < ((uint64_t)1 << (9 * lvl)); i++) {
		struct vmk_page *pg = vmk_pa_to_page(pa + i * VMK_PAGE_SIZE);

		if (pg)
			__atomic_or_fetch(&pg->md_flags, f, __ATOMIC_RELAXED);
	}
}

/*
 * The spares of the blocks inside a block at (va, lvl): dormant since the
 * promotion that made the block, they serve a later demotion; when the
 * block itself goes away they belong to nothing and are freed with it.
 */
static void drop_inner_spares(struct vmk_pmap *pm, vmk_vaddr_t va, unsigned int lvl,
			      struct vmk_pmap_batch *b)
{
	unsigned int sub = lvl - 1;

	for (unsigned int i = 0; sub > 0 && pm->st.spare_ptps && i < VMK_PT_ENTRIES; i++) {
		vmk_vaddr_t v = va + (vmk_vaddr_t)i * VMK_PT_SIZE(sub);
		struct vmk_page *spare = vmk_pmap__spare_take(pm, v, sub);

		drop_inner_spares(pm, v, sub, b);
		if (!spare)
			continue;
		spare->owner = b ? (uint64_t)(uintptr_t)b->free : 0;
		if (b)
			b->free = spare;
		else
			vmk_pmap__ptp_free(pm, spare);
	}
}

void vmk_pmap__remove_leaf(struct vmk_pmap *pm, vmk_pte_t *p, vmk_vaddr_t va, unsigned int lvl,
			   vmk_paddr_t table_pa, bool pv_locked, struct vmk_pmap_batch *b)
{
	vmk_pte_t old = pte_clear(p);
	uint32_t a;

	VMK_ASSERT(pmap__is_leaf(old, lvl), "removing a non-leaf entry at %#llx", (unsigned long long)va);
	a = ARCH->attrs_of(old, lvl);
	if (b)
		vmk_pmap__batch_add(b, va, VMK_PT_SIZE(lvl), false);
	else
		vmk_pmap__tlb_range(pm, va, VMK_PT_SIZE(lvl), true);
	pmap__count_leaf(pm, lvl, -1);
	if (a & VMK_PTE_A_WIRED)
		pm->st.wired -= (uint64_t)1 << (9 * lvl);
	if (a & VMK_PTE_A_MANAGED) {
		struct vmk_page *head = vmk_pmap__pv_head(ARCH->pa_of(old, lvl), lvl);
		struct vmk_pv *pv;

		vmk_pmap__note_removed(old, lvl);
		if (!pv_locked)
			pv__lock();
		pv = vmk_pmap__pv_find(head, pm, va, lvl);
		VMK_VERIFY(pv != NULL, "managed mapping at %#llx has no PV entry", (unsigned long long)va);
		vmk_pmap__pv_unlink(head, pv);
		if (!pv_locked)
			pv__unlock();
		vmk_pmap__pv_free(pm, pv);
	}
	if (lvl > 0) {
		/* A block's spare PTP: the kernel keeps it as the (empty) table again. */
		struct vmk_page *spare = vmk_pmap__spare_take(pm, va, lvl);

		drop_inner_spares(pm, va, lvl, b);

		if (spare && pm->kernel) {
			if (b)
				vmk_pmap__batch_flush(pm, b);
			pte_store(p, ARCH->make_table(vmk_page_to_pa(spare), lvl, false));
			vmk_barrier(VMK_BARRIER_PTE_STORE);
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
 * try_promote's own first test, on the level-0 table just used (the
 * cached one): only a full table can become a block. Saves its walk
 * from the root on every enter that cannot promote.
 */
static bool leaf_full(struct vmk_pmap *pm, vmk_vaddr_t va)
{
	if (!pmap__leaf_hit(pm, va))
		return true;	/* not at hand: let try_promote look */
	if (!pm->kernel)
		return pm->leaf.pg->ref_count == VMK_PT_ENTRIES;
	/* Kernel PTPs have no count: a filling table is empty at the end. */
	return pmap__is_leaf(pte_load(&pm->leaf.tbl[VMK_PT_ENTRIES - 1]), 0) &&
	       pmap__is_leaf(pte_load(&pm->leaf.tbl[0]), 0);
}

int vmk_pmap_enter(struct vmk_pmap *pm, vmk_vaddr_t va, vmk_paddr_t pa, uint32_t prot, uint32_t flags)
{
	struct vmk_page *pg = NULL;
	struct vmk_pv *pv = NULL;
	vmk_paddr_t t;
	vmk_pte_t *p, old, new_pte;
	uint32_t a;
	int err = 0;

	if (!pm || (va & VMK_PAGE_MASK) || (pa & ~ARCH->page_pa_mask) || !vmk_pmap__va_ok(pm, va) ||
	    !prot_ok(prot, flags))
		return -VMK_EINVAL;
	if (flags & VMK_PMAP_ENTER_MANAGED) {
		pg = vmk_pa_to_page(pa);
		if (!pg || vmk_page_is_free(pg))
			return -VMK_EINVAL;
	}
	pmap__lock(pm);
	if (vmk_pmap__in_np(pm, va, VMK_PAGE_SIZE))
		flags |= VMK_PMAP_ENTER_NOPROMOTE;
	new_pte = pmap__leaf_tmpl(pm, prot, flags, &a) | pa;
	t = pmap__get_leaf(pm, va, &err);
	if (!t)
		goto out;
	VMK_ASSERT(pmap__leaf_hit(pm, va) && pm->leaf.pa == t, "the leaf table of %#llx is not the cached one",
		   (unsigned long long)va);
	p = &pm->leaf.tbl[VMK_PT_INDEX(va, 0)];
	old = pte_load(p);
	if (ARCH->is_valid(old, 0)) {
		uint32_t oa = ARCH->attrs_of(old, 0);

		if (flags & VMK_PMAP_ENTER_NOREPLACE) {
			vmk_pmap__abort_ptp(pm, va, 0, t);
			err = -VMK_EEXIST;
			goto out;
		}
		if (ARCH->pa_of(old, 0) == pa && (oa & VMK_PTE_A_MANAGED) == (a & VMK_PTE_A_MANAGED)) {
			/* Same page: new attributes; keep what the hardware recorded. */
			uint32_t keep = oa & (VMK_PTE_A_ACCESSED | VMK_PTE_A_DIRTY);

			if (!(a & VMK_PTE_A_WRITE) && (oa & VMK_PTE_A_DIRTY))
				vmk_pmap__note_removed(old, 0);
			new_pte = ARCH->make_leaf(pa, 0, a | keep);
			if ((oa & ~VMK_PTE_A_PERM_BITS) == (a & ~VMK_PTE_A_PERM_BITS)) {
				vmk_pte_t cur = old;

				while (!pte_cas(p, &cur, ARCH->make_leaf(pa, 0, a | (ARCH->attrs_of(cur, 0) &
						(VMK_PTE_A_ACCESSED | VMK_PTE_A_DIRTY)))))
					;
				vmk_pmap__tlb_page(pm, va, true);
			} else {
				vmk_pmap__update_entry(pm, p, new_pte, va, VMK_PAGE_SIZE, 0);
			}
			if ((oa ^ a) & VMK_PTE_A_WIRED)
				pm->st.wired += (a & VMK_PTE_A_WIRED) ? 1 : (uint64_t)-1;
			vmk_pmap__abort_ptp(pm, va, 0, t);	/* drop the hold: the entry was counted */
			goto promote;
		}
		/* Another page: get the PV entry first, then remove the old mapping. */
		if (pg && !(pv = vmk_pmap__pv_alloc(pm))) {
			vmk_pmap__abort_ptp(pm, va, 0, t);
			err = -VMK_ENOMEM;
			goto out;
		}
		VMK_VERIFY(!(oa & VMK_PTE_A_NOPROMOTE),
			   "replacing a no-promote (must-stay-valid) mapping at %#llx", (unsigned long long)va);
		/* The hold keeps the table alive across the removal (break, TLBI). */
		vmk_pmap__remove_leaf(pm, p, va, 0, t, false, NULL);
	} else if (pg && !(pv = vmk_pmap__pv_alloc(pm))) {
		vmk_pmap__abort_ptp(pm, va, 0, t);
		err = -VMK_ENOMEM;
		goto out;
	}
	pte_store(p, new_pte);
	vmk_barrier(VMK_BARRIER_PTE_STORE);
	pmap__count_leaf(pm, 0, 1);
	if (a & VMK_PTE_A_WIRED)
		pm->st.wired++;
	if (pv) {
		pv->va_lvl = va;
		pv__lock();
		vmk_pmap__pv_link(pg, pv);
		pv__unlock();
	}
promote:
	if (PG->promote && leaf_full(pm, va))	/* no-promote leaves are refused (and counted) there */
		vmk_pmap__try_promote(pm, va, 1);
out:
	pmap__unlock(pm);
	return err;
}

/* True if any of pas[0..n) is not page aligned or does not fit a leaf's address field. */
static bool pas_bad(const vmk_paddr_t *pas, size_t n)
{
	uint64_t bad = 0;

	for (size_t i = 0; i < n; i++)
		bad |= pas[i];
	return (bad & ~ARCH->page_pa_mask) != 0;
}

/*
 * Fill entries [idx, idx + cnt) of the level-0 table tbl for the batch
 * (managed: one PV entry each, PV lock held). Returns how many went in;
 * fewer than cnt only with *err set.
 */
static size_t fill_run(struct vmk_pmap *pm, vmk_pte_t *tbl, unsigned int idx, size_t cnt,
		       vmk_vaddr_t v, const vmk_paddr_t *pas, vmk_pte_t tmpl, bool managed, bool fresh,
		       int *err)
{
	vmk_pte_t *p = tbl + idx;
	uint64_t bad = 0;
	size_t k;

	if (fresh && !managed) {
		/*
		 * The hot loop: one load and one store per page, the addresses
		 * checked on the way. The table is unreachable until linked (a
		 * release store of its table entry after a barrier), so a bad
		 * address is simply never published, and these stores need no
		 * ordering of their own.
		 */
		for (k = 0; k < cnt; k++) {
			vmk_paddr_t pa = pas[k];

			bad |= pa;
			pte_store_relaxed(&p[k], tmpl | pa);
		}
		if (!(bad & ~ARCH->page_pa_mask))
			return cnt;
		*err = -VMK_EINVAL;
		return 0;
	}
	/* A live table: nothing may be written before every address is known good. */
	if (pas_bad(pas, cnt)) {
		*err = -VMK_EINVAL;
		return 0;
	}
	if (!managed) {
		for (k = 0; k < cnt; k++)
			pte_store(&p[k], tmpl | pas[k]);
		return cnt;
	}
	for (k = 0; k < cnt; k++) {
		struct vmk_page *pg = vmk_pa_to_page(pas[k]);
		struct vmk_pv *pv;

		if (!pg || vmk_page_is_free(pg)) {
			*err = -VMK_EINVAL;
			break;
		}
		pv = vmk_pmap__pv_alloc(pm);
		if (!pv) {
			*err = -VMK_ENOMEM;
			break;
		}
		pv->va_lvl = v + k * VMK_PAGE_SIZE;
		vmk_pmap__pv_link(pg, pv);
		pte_store(&p[k], tmpl | pas[k]);
	}
	return k;
}

int vmk_pmap_enter_pages(struct vmk_pmap *pm, vmk_vaddr_t va, const vmk_paddr_t *pas, size_t n,
			 uint32_t prot, uint32_t flags)
{
	struct vmk_pmap_batch b = { 0, 0, false, NULL };
	size_t done = 0;
	uint32_t a;
	bool managed;
	vmk_pte_t tmpl;
	int err = 0;

	if (!pm || !pas || n == 0 || n > ((vmk_vaddr_t)1 << 40) || (va & VMK_PAGE_MASK) ||
	    !vmk_pmap__range_ok(pm, va, va + n * VMK_PAGE_SIZE) || !prot_ok(prot, flags))
		return -VMK_EINVAL;
	pmap__lock(pm);
	if (vmk_pmap__in_np(pm, va, n * VMK_PAGE_SIZE))
		flags |= VMK_PMAP_ENTER_NOPROMOTE;
	/* Every leaf is the same descriptor but for the output address. */
	tmpl = pmap__leaf_tmpl(pm, prot, flags, &a);
	managed = (a & VMK_PTE_A_MANAGED) != 0;
	/* One level-0 table per round: the bookkeeping is per table, the loop per page. */
	while (done < n) {
		vmk_vaddr_t v = va + done * VMK_PAGE_SIZE;
		unsigned int idx = VMK_PT_INDEX(v, 0);
		size_t cnt = VMK_MIN((size_t)(VMK_PT_ENTRIES - idx), n - done), k;
		struct vmk_pmap_fresh f;
		vmk_paddr_t t = vmk_pmap__get_leaf_table(pm, v, &f, &err);
		vmk_pte_t *tbl;

		if (!t)
			break;
		tbl = f.pg ? pmap__table(t) : pm->leaf.tbl;
		if (f.pg) {
			/* A new table: only what the run does not cover needs zeroing. */
			vmk_memset(tbl, 0, idx * sizeof(vmk_pte_t));
			vmk_memset(tbl + idx + cnt, 0, (VMK_PT_ENTRIES - idx - cnt) * sizeof(vmk_pte_t));
		} else {
			/* The range must be unmapped: any non-zero entry (vmkit clears entries to 0). */
			vmk_pte_t used = 0;

			for (size_t i = 0; i < cnt; i++)
				used |= pte_load_relaxed(&tbl[idx + i]);
			if (used) {
				vmk_pmap__abort_ptp(pm, v, 0, t);
				err = -VMK_EEXIST;
				break;
			}
		}
		if (managed)
			pv__lock();
		k = fill_run(pm, tbl, idx, cnt, v, pas + done, tmpl, managed, f.pg != NULL, &err);
		if (managed)
			pv__unlock();
		if (f.pg) {
			vmk_memset(tbl + idx + k, 0, (cnt - k) * sizeof(vmk_pte_t));
			vmk_pmap__leaf_link(pm, v, &f, (unsigned int)k);	/* k == 0: freed */
		} else if (k == 0) {
			vmk_pmap__abort_ptp(pm, v, 0, t);	/* nothing installed: drop the hold */
		} else if (!pm->kernel) {
			/* The hold counts the first entry; the others add theirs. */
			pm->leaf.pg->ref_count += (uint32_t)(k - 1);
		}
		pmap__count_leaf(pm, 0, (int)k);
		if (a & VMK_PTE_A_WIRED)
			pm->st.wired += k;
		done += k;
		if (err)
			break;
	}
	vmk_barrier(VMK_BARRIER_PTE_STORE);
	if (err) {
		/* Undo: everything in [va, va + done) was created by this call. */
		for (size_t i = 0; i < done; i++) {
			vmk_vaddr_t v = va + i * VMK_PAGE_SIZE;
			unsigned int lvl;
			vmk_paddr_t t;
			vmk_pte_t *p = vmk_pmap__walk(pm, v, &lvl, &t);

			vmk_pmap__remove_leaf(pm, p, v, 0, t, false, &b);
		}
		vmk_pmap__batch_flush(pm, &b);
	} else if (PG->promote) {
		for (vmk_vaddr_t v = va & ~(VMK_PT_SIZE(1) - 1); v < va + n * VMK_PAGE_SIZE; v += VMK_PT_SIZE(1))
			vmk_pmap__try_promote(pm, v, 1);
	}
	pmap__unlock(pm);
	return err;
}

int vmk_pmap_enter_large(struct vmk_pmap *pm, vmk_vaddr_t va, vmk_paddr_t pa, vmk_size_t size,
			 uint32_t prot, uint32_t flags)
{
	unsigned int lvl = size == VMK_PT_SIZE(1) ? 1 : size == VMK_PT_SIZE(2) ? 2 : 0;
	struct vmk_page *head = NULL, *spare = NULL;
	struct vmk_pv *pv = NULL;
	vmk_paddr_t t;
	vmk_pte_t *p, old;
	uint32_t a;
	int err = 0;

	if (!pm || !lvl || !(PG->block_levels & (1u << lvl)) || (va & (size - 1)) || (pa & (size - 1)) ||
	    (pa & ~ARCH->page_pa_mask) || !vmk_pmap__range_ok(pm, va, va + size) || !prot_ok(prot, flags))
		return -VMK_EINVAL;
	if (flags & VMK_PMAP_ENTER_MANAGED) {
		head = vmk_pa_to_page(pa);
		if (!head || !vmk_pa_to_page(pa + size - VMK_PAGE_SIZE) || vmk_page_is_free(head))
			return -VMK_EINVAL;
	}
	pmap__lock(pm);
	if (vmk_pmap__in_np(pm, va, size))
		flags |= VMK_PMAP_ENTER_NOPROMOTE;
	a = vmk_pmap__attrs(pm, prot, flags);
	t = vmk_pmap__get_table(pm, va, lvl, !(flags & VMK_PMAP_ENTER_NOREPLACE), &err);
	if (!t) {
		err = err == -VMK_EEXIST ? -VMK_EEXIST : err;
		goto out;
	}
	p = &pmap__table(t)[VMK_PT_INDEX(va, lvl)];
	old = pte_load(p);
	if (ARCH->is_valid(old, lvl) && (flags & VMK_PMAP_ENTER_NOREPLACE)) {
		/* Kernel: nothing to undo (fixed counts); user: drops the hold only. */
		vmk_pmap__abort_ptp(pm, va, lvl, t);
		err = -VMK_EEXIST;
		goto out;
	}
	/* Before anything changes: an old block is only removed once nothing can fail. */
	if (head && !(pv = vmk_pmap__pv_alloc(pm))) {
		vmk_pmap__abort_ptp(pm, va, lvl, t);
		err = -VMK_ENOMEM;
		goto out;
	}
	if (ARCH->is_table(old, lvl)) {
		/* Only an empty kernel table may be replaced; it becomes the spare. */
		vmk_pte_t *sub = pmap__table(ARCH->pa_of(old, lvl));
		bool empty = pm->kernel;

		for (unsigned int i = 0; empty && i < VMK_PT_ENTRIES; i++)
			empty = !ARCH->is_valid(pte_load(&sub[i]), lvl - 1);
		if (!empty) {
			if (pv)
				vmk_pmap__pv_free(pm, pv);
			vmk_pmap__abort_ptp(pm, va, lvl, t);
			err = -VMK_EEXIST;
			goto out;
		}
	} else if (ARCH->is_valid(old, lvl)) {
		/* An old block is replaced: remove it (its spare comes back). */
		if (pm->kernel) {
			vmk_pmap__remove_leaf(pm, p, va, lvl, t, false, NULL);
			old = pte_load(p);	/* the spare, now an empty table */
		} else {
			vmk_pmap__remove_leaf(pm, p, va, lvl, t, false, NULL);
			old = 0;
		}
	}
	if (pm->kernel && !ARCH->is_table(old, lvl)) {
		/* Only when nothing was mapped there: no old block was removed. */
		spare = vmk_pmap__ptp_alloc(pm, "pmap.spare");
		if (!spare) {
			if (pv)
				vmk_pmap__pv_free(pm, pv);
			vmk_pmap__abort_ptp(pm, va, lvl, t);
			err = -VMK_ENOMEM;
			goto out;
		}
	}
	if (ARCH->is_table(old, lvl)) {
		spare = vmk_pa_to_page(ARCH->pa_of(old, lvl));
		vmk_pmap__update_entry(pm, p, ARCH->make_leaf(pa, lvl, a), va, size, lvl);
		pm->st.ptps--;
	} else {
		pte_store(p, ARCH->make_leaf(pa, lvl, a));
		vmk_barrier(VMK_BARRIER_PTE_STORE);
	}
	if (spare)
		vmk_pmap__spare_insert(pm, va, lvl, spare);
	pmap__count_leaf(pm, lvl, 1);
	if (a & VMK_PTE_A_WIRED)
		pm->st.wired += (uint64_t)1 << (9 * lvl);
	if (pv) {
		pv->va_lvl = va | lvl;
		pv__lock();
		vmk_pmap__pv_link(head, pv);
		pv__unlock();
	}
	if (PG->promote)	/* no-promote leaves are refused (and counted) there */
		vmk_pmap__try_promote(pm, va, lvl + 1);
out:
	pmap__unlock(pm);
	return err;
}

int vmk_pmap_growkernel(vmk_vaddr_t start, vmk_vaddr_t end)
{
	struct vmk_pmap *k = vmk_pmap_kernel();
	int err = 0;

	if (!k || !vmk_pmap__range_ok(k, start & ~VMK_PAGE_MASK, VMK_ALIGN_UP(end, VMK_PAGE_SIZE)))
		return -VMK_EINVAL;
	pmap__lock(k);
	for (vmk_vaddr_t va = start & ~(VMK_PT_SIZE(1) - 1); va < end; va += VMK_PT_SIZE(1)) {
		if (!vmk_pmap__get_table(k, va, 0, false, &err)) {
			if (err != -VMK_EEXIST)	/* a block already maps it: nothing to grow */
				break;
			err = 0;
		}
		if (va + VMK_PT_SIZE(1) < va)
			break;
	}
	pmap__unlock(k);
	return err;
}

int vmk_pmap_qenter(vmk_vaddr_t va, const vmk_paddr_t *pas, size_t n)
{
	struct vmk_pmap *k = vmk_pmap_kernel();
	uint32_t a;
	bool flush = false;

	if (!k || n == 0 || !pas || !vmk_pmap__range_ok(k, va, va + n * VMK_PAGE_SIZE))
		return -VMK_EINVAL;
	a = vmk_pmap__attrs(k, VMK_PROT_READ | VMK_PROT_WRITE, 0);
	pmap__lock(k);
	for (size_t i = 0; i < n; i++) {
		unsigned int lvl;

		vmk_pmap__walk(k, va + i * VMK_PAGE_SIZE, &lvl, NULL);
		if (lvl != 0 || (pas[i] & ~ARCH->page_pa_mask)) {
			pmap__unlock(k);
			return lvl != 0 ? -VMK_ENOENT : -VMK_EINVAL;
		}
	}
	/* Live entries are broken first (one invalidation), then all are made. */
	for (size_t i = 0; i < n; i++) {
		unsigned int lvl;
		vmk_pte_t *p = vmk_pmap__walk(k, va + i * VMK_PAGE_SIZE, &lvl, NULL);
		vmk_pte_t old = pte_load(p);

		if (!ARCH->is_valid(old, 0))
			continue;
		VMK_VERIFY(!(ARCH->attrs_of(old, 0) & (VMK_PTE_A_MANAGED | VMK_PTE_A_NOPROMOTE)),
			   "qenter over a managed or no-promote mapping at %#llx",
			   (unsigned long long)(va + i * VMK_PAGE_SIZE));
		pte_clear(p);
		pmap__count_leaf(k, 0, -1);
		flush = true;
	}
	if (flush)
		vmk_pmap__tlb_range(k, va, n * VMK_PAGE_SIZE, true);
	for (size_t i = 0; i < n; i++) {
		unsigned int lvl;
		vmk_pte_t *p = vmk_pmap__walk(k, va + i * VMK_PAGE_SIZE, &lvl, NULL);

		pte_store(p, ARCH->make_leaf(pas[i], 0, a));
		pmap__count_leaf(k, 0, 1);
	}
	vmk_barrier(VMK_BARRIER_PTE_STORE);
	pmap__unlock(k);
	return 0;
}

void vmk_pmap_qremove(vmk_vaddr_t va, size_t n)
{
	struct vmk_pmap *k = vmk_pmap_kernel();

	if (!k || n == 0 || !vmk_pmap__range_ok(k, va, va + n * VMK_PAGE_SIZE))
		return;
	pmap__lock(k);
	for (size_t i = 0; i < n; i++) {
		unsigned int lvl;
		vmk_pte_t *p = vmk_pmap__walk(k, va + i * VMK_PAGE_SIZE, &lvl, NULL);

		if (lvl != 0)
			continue;
		if (ARCH->is_valid(pte_clear(p), 0))
			pmap__count_leaf(k, 0, -1);
	}
	vmk_pmap__tlb_range(k, va, n * VMK_PAGE_SIZE, true);
	pmap__unlock(k);
}
