/*
 * Creating mappings: vmk_pmap_enter (4 KiB), vmk_pmap_enter_pages (a
 * run of 4 KiB pages) and vmk_pmap_enter_large (2 MiB / 1 GiB); runs of
 * blocks are in blocks.c.
 *
 * Order of every enter: take the table with a hold (allocating PTPs),
 * allocate what the new mapping needs (PV entry, spare PTP), and only
 * then change an entry; any failure before that point unwinds through
 * vmk_pmap__abort_ptp(), so nothing is left behind.
 */
#include "pmap_internal.h"

/* A user pmap takes memory types other than write-back only in its device windows (secure.c). */
bool vmk_pmap__prot_ok(struct vmk_pmap *pm, vmk_vaddr_t va, vmk_size_t size, uint32_t prot, uint32_t flags)
{
	return prot != VMK_PROT_NONE && !(prot & ~(uint32_t)(VMK_PROT_READ | VMK_PROT_WRITE | VMK_PROT_EXEC)) &&
	       ((flags >> VMK_PMAP_ENTER_MT_SHIFT) & 0xff) < VMK_MEMTYPE_COUNT &&
	       (pm->kernel || ((flags >> VMK_PMAP_ENTER_MT_SHIFT) & 0xff) == VMK_MEMTYPE_WB ||
		vmk_pmap__memtype_ok(pm, va, size, flags));
}

#define AD_BITS	(VMK_PTE_A_ACCESSED | VMK_PTE_A_DIRTY)

/*
 * vmk_pmap_enter over a mapping of the same page: new attributes a,
 * keeping what the hardware recorded. The accessed/dirty bits kept are
 * those of the entry the atomic update replaced (the hardware may set
 * them until then), never of an earlier read; dirty state of a page that
 * loses write access goes to the page.
 */
static void same_page(struct vmk_pmap *pm, vmk_pte_t *p, vmk_pte_t old, vmk_vaddr_t va,
		      vmk_paddr_t pa, uint32_t a)
{
	const struct vmk_pmap_arch *arch = vmk_pmap__g.arch;
	uint32_t oa = arch->attrs_of(old, 0);
	uint32_t keep = (a & VMK_PTE_A_WRITE) ? AD_BITS : VMK_PTE_A_ACCESSED;
	vmk_pte_t cur = old;

	if ((oa & ~VMK_PTE_A_PERM_BITS) == (a & ~VMK_PTE_A_PERM_BITS)) {
		/* Permission-only change: in place, merging the bits of the entry replaced. */
		for (;;) {
			vmk_pte_t want = arch->make_leaf(pa, 0, a | (arch->attrs_of(cur, 0) & keep));

			if (want == cur)
				break;	/* the same entry: no TLB entry can be stale */
			if (vmk_pmap__pte_cas(p, &cur, want)) {
				vmk_pmap__tlb_page(pm, va, VMK_PAGE_SIZE, true);
				break;
			}
		}
	} else {
		uint32_t late;

		cur = vmk_pmap__update_entry(pm, p, arch->make_leaf(pa, 0, a | (oa & keep)), va, VMK_PAGE_SIZE, 0,
					     false);
		/* Set by the hardware between our read and the break: not lost. */
		late = arch->attrs_of(cur, 0) & keep & ~oa;
		if (late) {
			vmk_pte_t now = vmk_pmap__pte_load(p);

			while (!vmk_pmap__pte_cas(p, &now, vmk_pmap__leaf_rebuild(now, 0, arch->attrs_of(now, 0) | late)))
				;
		}
	}
	if (!(a & VMK_PTE_A_WRITE) && (arch->attrs_of(cur, 0) & VMK_PTE_A_DIRTY))
		vmk_pmap__note_removed(cur, 0);
	if ((oa ^ a) & VMK_PTE_A_WIRED)
		pm->st.wired += (a & VMK_PTE_A_WIRED) ? 1 : (uint64_t)-1;
}

/*
 * try_promote's own first test on the table just written, which is at
 * hand (tbl, its record pg): only a full table can become a block. A
 * user PTP's count is its number of valid entries, kept as entries come
 * and go, so that is one compare; kernel PTPs have no count: a filling
 * table is empty at the end. Saves try_promote's walk from the root on
 * every enter that cannot promote.
 */
static inline bool table_full(const struct vmk_pmap *pm, const vmk_pte_t *tbl, const struct vmk_page *pg,
			      unsigned int lvl)
{
	vmk_pte_t last;

	if (!pm->kernel)
		return pg->ref_count == VMK_PT_ENTRIES;
	last = vmk_pmap__pte_load(&tbl[VMK_PT_ENTRIES - 1]);
	/* An empty entry is zero: no need to ask the format while the table fills. */
	return last != 0 && vmk_pmap__is_leaf(last, lvl) && vmk_pmap__is_leaf(vmk_pmap__pte_load(&tbl[0]), lvl);
}

/* The same for the level-0 table of va, if it is the cached one. */
static bool leaf_full(struct vmk_pmap *pm, vmk_vaddr_t va)
{
	if (!vmk_pmap__leaf_hit(pm, va))
		return true;	/* not at hand: let try_promote look */
	return table_full(pm, pm->leaf.tbl, pm->leaf.pg, 0);
}

/*
 * A no-promote enter on a format without the bit records the mark by
 * address (marks.c); inside a no-promote range the range is the record.
 */
static bool marks_wanted(struct vmk_pmap *pm, vmk_vaddr_t va, vmk_size_t size, uint32_t flags)
{
	return vmk_pmap__g.marks && (flags & VMK_PMAP_ENTER_NOPROMOTE) && !vmk_pmap__in_np(pm, va, size);
}

/*
 * The common case of vmk_pmap_enter, pmap locked: an unmanaged page into
 * an empty entry of the cached level-0 table, with no mark to record by
 * address. It does what the general path does there (enter_locked) with
 * nothing it cannot need: no walk, no PV entry, no marks page. False:
 * not that case, nothing done.
 */
static inline bool enter_fast(struct vmk_pmap *pm, vmk_vaddr_t va, vmk_paddr_t pa, uint32_t prot,
			      uint32_t flags)
{
	vmk_pte_t *p, new_pte;
	uint32_t a;
	bool np;

	if ((flags & (VMK_PMAP_ENTER_MANAGED | VMK_PMAP_ENTER_NOREPLACE)) || !vmk_pmap__leaf_hit(pm, va))
		return false;
	np = pm->nnp && vmk_pmap__in_np(pm, va, VMK_PAGE_SIZE);
	if (vmk_pmap__g.marks && (flags & VMK_PMAP_ENTER_NOPROMOTE) && !np)
		return false;
	p = &pm->leaf.tbl[VMK_PT_INDEX(va, 0)];
	/* Empty is zero (vmkit clears entries to 0): anything else, invalid or not, takes the general path. */
	if (vmk_pmap__pte_load(p) != 0)
		return false;
	if (np)
		flags |= VMK_PMAP_ENTER_NOPROMOTE;
	new_pte = vmk_pmap__leaf_tmpl(pm, prot, flags, &a) | vmk_pmap__pte_pa(pa);
	vmk_pmap__leaf_hold(pm);	/* the new entry's count */
	vmk_pmap__pte_store(p, new_pte);
	vmk_pmap__tlb_made(pm);
	vmk_pmap__count_leaf(pm, 0, 1);
	if (a & VMK_PTE_A_WIRED)
		pm->st.wired++;
	/* No-promote leaves are refused (and counted) by try_promote. */
	if (vmk_pmap__g.promote && table_full(pm, pm->leaf.tbl, pm->leaf.pg, 0))
		vmk_pmap__try_promote(pm, va, 1);
	return true;
}

static int enter_locked(struct vmk_pmap *pm, vmk_vaddr_t va, vmk_paddr_t pa, uint32_t prot, uint32_t flags,
			struct vmk_page *pg);

int vmk_pmap_enter(struct vmk_pmap *pm, vmk_vaddr_t va, vmk_paddr_t pa, uint32_t prot, uint32_t flags)
{
	struct vmk_page *pg = NULL;

	if (!pm || (va & VMK_PAGE_MASK) || (pa & ~vmk_pmap__g.arch->page_pa_mask) || !vmk_pmap__va_ok(pm, va) ||
	    !vmk_pmap__prot_ok(pm, va, VMK_PAGE_SIZE, prot, flags))
		return -VMK_EINVAL;
	if (flags & VMK_PMAP_ENTER_MANAGED) {
		pg = vmk_pa_to_page(pa);
		if (!pg || vmk_page_is_free(pg))
			return -VMK_EINVAL;
	}
	flags &= ~(uint32_t)VMK_PMAP_ENTER_KEEP_SPARE;	/* blocks only */
	vmk_pmap__lock(pm);
	if (!enter_fast(pm, va, pa, prot, flags))
		return enter_locked(pm, va, pa, prot, flags, pg);	/* unlocks */
	if (pm->kernel && vmk_pmap__g.nkpool < VMK_PMAP_KPOOL)
		vmk_pmap__kpool_fill(pm);
	vmk_pmap__unlock(pm);
	return 0;
}

/* vmk_pmap_enter's general path: pm locked (unlocked on return), arguments checked, pg the managed page. */
static VMK_NOINLINE int enter_locked(struct vmk_pmap *pm, vmk_vaddr_t va, vmk_paddr_t pa, uint32_t prot,
				     uint32_t flags, struct vmk_page *pg)
{
	struct vmk_page *mp = NULL;
	struct vmk_pv *pv = NULL;
	vmk_paddr_t t;
	vmk_pte_t *p, old, new_pte;
	uint32_t a;
	bool mark;
	int err = 0;

	mark = marks_wanted(pm, va, VMK_PAGE_SIZE, flags);
	if (vmk_pmap__in_np(pm, va, VMK_PAGE_SIZE))
		flags |= VMK_PMAP_ENTER_NOPROMOTE;
	new_pte = vmk_pmap__leaf_tmpl(pm, prot, flags, &a) | vmk_pmap__pte_pa(pa);
	if (mark && !(mp = vmk_pmap__marks_alloc(pm))) {
		err = -VMK_ENOMEM;
		goto out;
	}
	/*
	 * A block over va (never with the leaf table at hand) is demoted
	 * first, and no failure may follow a demotion: the PV entry is had
	 * before it, and a 1 GiB block's two demotions are both reserved
	 * first (vmk_pmap__split_edges) or not made. Otherwise the PV entry
	 * is had only when the enter needs one (not for the same page again).
	 */
	if (!(flags & VMK_PMAP_ENTER_NOREPLACE) && !vmk_pmap__leaf_hit(pm, va)) {
		unsigned int wl;
		vmk_pte_t *wp = vmk_pmap__walk(pm, va, &wl, NULL);

		if (wl > 0 && vmk_pmap__g.arch->is_valid(vmk_pmap__pte_load(wp), wl)) {
			if (pg && !(pv = vmk_pmap__pv_alloc(pm))) {
				err = -VMK_ENOMEM;
				goto out;
			}
			if ((err = vmk_pmap__split_edges(pm, va, va + VMK_PAGE_SIZE)) != 0)
				goto fail;
		}
	}
	if (flags & VMK_PMAP_ENTER_NOREPLACE)
		/* Refuse before changing anything: a block over va is a mapping, never demoted. */
		t = vmk_pmap__leaf_hit(pm, va) ? vmk_pmap__leaf_hold(pm) : vmk_pmap__get_table(pm, va, 0, false, &err);
	else
		t = vmk_pmap__get_leaf(pm, va, &err);
	if (!t)
		goto fail;
	VMK_ASSERT(vmk_pmap__leaf_hit(pm, va) && pm->leaf.pa == t, "the leaf table of %#llx is not the cached one",
		   (unsigned long long)va);
	p = &pm->leaf.tbl[VMK_PT_INDEX(va, 0)];
	old = vmk_pmap__pte_load(p);
	if (vmk_pmap__g.arch->is_valid(old, 0)) {
		uint32_t oa;

		if (flags & VMK_PMAP_ENTER_NOREPLACE) {
			vmk_pmap__abort_ptp(pm, va, 0, t);
			err = -VMK_EEXIST;
			goto fail;
		}
		if (vmk_pmap__is_cont(old, 0)) {
			uint32_t keep = (a & VMK_PTE_A_WRITE) ? AD_BITS : VMK_PTE_A_ACCESSED;

			/* The page the run maps here, as it maps it (A/D its own): no change. */
			if (vmk_pmap__leaf_pa(old, 0, va) == pa &&
			    vmk_pmap__leaf_rebuild(old, 0, a | (vmk_pmap__g.arch->attrs_of(old, 0) & keep)) == old) {
				vmk_pmap__abort_ptp(pm, va, 0, t);	/* drop the hold: the entry was counted */
				if (pv) {
					vmk_pmap__pv_free(pm, pv);
					pv = NULL;
				}
				goto promote;
			}
			/* One entry of a run changes: the run becomes 16 plain leaves first. */
			vmk_pmap__unfold(pm, p, va);
			old = vmk_pmap__pte_load(p);
		}
		oa = vmk_pmap__marked(pm, vmk_pmap__g.arch->attrs_of(old, 0), va, 0, t);
		if (vmk_pmap__g.arch->pa_of(old, 0) == pa && (oa & VMK_PTE_A_MANAGED) == (a & VMK_PTE_A_MANAGED)) {
			same_page(pm, p, old, va, pa, a);
			/* The new flags decide, as the entry's own bit would be rewritten. */
			if (mark)
				vmk_pmap__mark_set(t, VMK_PT_INDEX(va, 0), 1, &mp);
			else if (vmk_pmap__g.marks)
				vmk_pmap__mark_clear(pm, t, VMK_PT_INDEX(va, 0), 1);
			vmk_pmap__abort_ptp(pm, va, 0, t);	/* drop the hold: the entry was counted */
			if (pv) {
				vmk_pmap__pv_free(pm, pv);
				pv = NULL;
			}
			goto promote;
		}
		/* Another page: get the PV entry first, then remove the old mapping. */
		if (pg && !pv && !(pv = vmk_pmap__pv_alloc(pm))) {
			vmk_pmap__abort_ptp(pm, va, 0, t);
			err = -VMK_ENOMEM;
			goto out;
		}
		VMK_VERIFY(!(oa & VMK_PTE_A_NOPROMOTE),
			   "replacing a no-promote (must-stay-valid) mapping at %#llx", (unsigned long long)va);
		/* The hold keeps the table alive across the removal (break, TLBI). */
		vmk_pmap__remove_leaf(pm, p, va, 0, t, false, NULL);
	} else if (pg && !pv && !(pv = vmk_pmap__pv_alloc(pm))) {
		vmk_pmap__abort_ptp(pm, va, 0, t);
		err = -VMK_ENOMEM;
		goto out;
	}
	vmk_pmap__pte_store(p, new_pte);
	vmk_pmap__tlb_made(pm);
	vmk_pmap__count_leaf(pm, 0, 1);
	if (mark)
		vmk_pmap__mark_set(t, VMK_PT_INDEX(va, 0), 1, &mp);
	if (a & VMK_PTE_A_WIRED)
		pm->st.wired++;
	if (pv) {
		pv->va_lvl = va;
		vmk_pmap__pv_lock();
		vmk_pmap__pv_link(pg, pv);
		vmk_pmap__pv_unlock();
	}
promote:
	if (vmk_pmap__g.promote && leaf_full(pm, va))	/* no-promote leaves are refused (and counted) there */
		vmk_pmap__try_promote(pm, va, 1);
	goto out;
fail:
	if (pv)
		vmk_pmap__pv_free(pm, pv);
out:
	vmk_pmap__marks_put(pm, &mp);
	if (pm->kernel)
		vmk_pmap__kpool_fill(pm);
	vmk_pmap__unlock(pm);
	return err;
}

/* True if any of pas[0..n) is not page aligned or does not fit a leaf's address field. */
static bool pas_bad(const vmk_paddr_t *pas, size_t n)
{
	uint64_t bad = 0;

	for (size_t i = 0; i < n; i++)
		bad |= pas[i];
	return (bad & ~vmk_pmap__g.arch->page_pa_mask) != 0;
}

/* True if the run of 16 entries at k (of cnt, the first at va v) may fold. */
static bool fold_at(bool fold, vmk_vaddr_t v, size_t k, size_t cnt, const vmk_paddr_t *pas)
{
	return fold && k + VMK_PMAP_CONT_PAGES <= cnt &&
	       vmk_pmap__run_foldable(v + k * VMK_PAGE_SIZE, pas + k);
}

/*
 * A managed run of 16 pages about to fold: every page must be a live
 * page and every PV entry had before the first entry is written, so
 * that a run is never left half written. Returns 0, or -VMK_EINVAL for
 * a bad page (nothing taken), -VMK_ENOMEM (nothing taken).
 */
static int run_pvs(struct vmk_pmap *pm, const vmk_paddr_t *pas, struct vmk_pv **pv)
{
	for (unsigned int j = 0; j < VMK_PMAP_CONT_PAGES; j++) {
		struct vmk_page *pg = vmk_pa_to_page(pas[j]);

		if (!pg || vmk_page_is_free(pg))
			return -VMK_EINVAL;
	}
	for (unsigned int j = 0; j < VMK_PMAP_CONT_PAGES; j++) {
		pv[j] = vmk_pmap__pv_alloc(pm);
		if (!pv[j]) {
			while (j--)
				vmk_pmap__pv_free(pm, pv[j]);
			return -VMK_ENOMEM;
		}
	}
	return 0;
}

/*
 * Fill entries [idx, idx + cnt) of the level-0 table tbl for the batch
 * (managed: one PV entry each, PV lock held); fold: make 64 KiB runs
 * where the pages allow. Returns how many went in; fewer than cnt only
 * with *err set. A run is written whole or not at all, and only over
 * entries that were invalid, so no walker sees a run change kind.
 */
static size_t fill_run(struct vmk_pmap *pm, vmk_pte_t *tbl, unsigned int idx, size_t cnt,
		       vmk_vaddr_t v, const vmk_paddr_t *pas, vmk_pte_t tmpl, bool managed, bool fresh,
		       bool fold, int *err)
{
	const struct vmk_pmap_arch *arch = vmk_pmap__g.arch;
	vmk_pte_t *p = tbl + idx;
	uint64_t bad = 0;
	unsigned int sh = arch->pte_pa_shift;
	size_t k;

	if (fresh && !managed) {
		/*
		 * The hot loop: one load and one store per page, the addresses
		 * checked on the way. The table is unreachable until linked (a
		 * release store of its table entry after a barrier), so a bad
		 * address is simply never published, these stores need no
		 * ordering of their own.
		 */
		uint64_t runs = 0;

		for (k = 0; k < cnt;) {
			if (fold && ((idx + k) & (VMK_PMAP_CONT_PAGES - 1)) == 0 && fold_at(fold, v, k, cnt, pas)) {
				/* A run's entries step by a constant (arm64: one page; riscv64: 0, all identical). */
				vmk_pte_t e0 = arch->fold(tmpl | (pas[k] >> sh));
				vmk_pte_t d = arch->fold(tmpl | (pas[k + 1] >> sh)) - e0;

				bad |= pas[k] | pas[k + VMK_PMAP_CONT_PAGES - 1];	/* the others lie between */
				for (unsigned int j = 0; j < VMK_PMAP_CONT_PAGES; j++)
					vmk_pmap__pte_store_relaxed(&p[k + j], e0 + j * d);
				runs++;
				k += VMK_PMAP_CONT_PAGES;
				continue;
			}
			bad |= pas[k];
			vmk_pmap__pte_store_relaxed(&p[k], tmpl | (pas[k] >> sh));
			k++;
		}
		if (bad & ~arch->page_pa_mask) {
			*err = -VMK_EINVAL;
			return 0;
		}
		pm->st.folds += runs;
		return cnt;
	}
	/* A live table: nothing may be written before every address is known good. */
	if (pas_bad(pas, cnt)) {
		*err = -VMK_EINVAL;
		return 0;
	}
	for (k = 0; k < cnt;) {
		if (((idx + k) & (VMK_PMAP_CONT_PAGES - 1)) == 0 && fold_at(fold, v, k, cnt, pas)) {
			struct vmk_pv *pv[VMK_PMAP_CONT_PAGES];

			if (managed && (*err = run_pvs(pm, pas + k, pv)) != 0) {
				if (*err == -VMK_EINVAL) {
					*err = 0;	/* the page-by-page path names the bad page */
					goto one;
				}
				break;
			}
			for (unsigned int j = 0; j < VMK_PMAP_CONT_PAGES; j++) {
				if (managed) {
					pv[j]->va_lvl = v + (k + j) * VMK_PAGE_SIZE;
					vmk_pmap__pv_link(vmk_pa_to_page(pas[k + j]), pv[j]);
				}
				vmk_pmap__pte_store(&p[k + j], arch->fold(tmpl | (pas[k + j] >> sh)));
			}
			pm->st.folds++;
			k += VMK_PMAP_CONT_PAGES;
			continue;
		}
one:
		if (managed) {
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
		}
		vmk_pmap__pte_store(&p[k], tmpl | (pas[k] >> sh));
		k++;
	}
	return k;
}

int vmk_pmap_enter_pages(struct vmk_pmap *pm, vmk_vaddr_t va, const vmk_paddr_t *pas, size_t n,
			 uint32_t prot, uint32_t flags)
{
	struct vmk_pmap_batch b = { .free = NULL };
	struct vmk_page *mp = NULL;
	size_t done = 0;
	uint32_t a;
	bool managed, fold, mark;
	vmk_pte_t tmpl;
	int err = 0;

	if (!pm || !pas || n == 0 || n > ((vmk_vaddr_t)1 << 40) || (va & VMK_PAGE_MASK) ||
	    !vmk_pmap__range_ok(pm, va, va + n * VMK_PAGE_SIZE) ||
	    !vmk_pmap__prot_ok(pm, va, n * VMK_PAGE_SIZE, prot, flags))
		return -VMK_EINVAL;
	flags &= ~(uint32_t)VMK_PMAP_ENTER_KEEP_SPARE;	/* blocks only */
	vmk_pmap__lock(pm);
	mark = marks_wanted(pm, va, n * VMK_PAGE_SIZE, flags);
	if (vmk_pmap__in_np(pm, va, n * VMK_PAGE_SIZE))
		flags |= VMK_PMAP_ENTER_NOPROMOTE;
	/* Every leaf is the same descriptor but for the output address. */
	tmpl = vmk_pmap__leaf_tmpl(pm, prot, flags, &a);
	managed = (a & VMK_PTE_A_MANAGED) != 0;
	/*
	 * Unfolding a run breaks it: never for no-promote (must-stay-valid)
	 * leaves, nor in a rendezvous range (each unfold would park every CPU).
	 */
	fold = vmk_pmap__g.cont && !(flags & VMK_PMAP_ENTER_NOPROMOTE) && !vmk_pmap__in_rdv(pm, va, n * VMK_PAGE_SIZE);
	/* One level-0 table per round: the bookkeeping is per table, the loop per page. */
	while (done < n) {
		vmk_vaddr_t v = va + done * VMK_PAGE_SIZE;
		unsigned int idx = VMK_PT_INDEX(v, 0);
		size_t cnt = VMK_MIN((size_t)(VMK_PT_ENTRIES - idx), n - done), k;
		struct vmk_pmap_fresh f;
		vmk_paddr_t t;
		vmk_pte_t *tbl;

		/* A table's marks page is had before its entries are written. */
		if (mark && !mp && !(mp = vmk_pmap__marks_alloc(pm))) {
			err = -VMK_ENOMEM;
			break;
		}
		t = vmk_pmap__get_leaf_table(pm, v, &f, &err);
		if (!t)
			break;
		tbl = f.pg ? vmk_pmap__table(t) : pm->leaf.tbl;
		if (f.pg) {
			/* A new table: only what the run does not cover needs zeroing. */
			vmk_pmap__ptes_zero(tbl, idx);
			vmk_pmap__ptes_zero(tbl + idx + cnt, VMK_PT_ENTRIES - idx - cnt);
		} else {
			/* The range must be unmapped: any non-zero entry (vmkit clears entries to 0). */
			vmk_pte_t used = 0;

			for (size_t i = 0; i < cnt; i++)
				used |= vmk_pmap__pte_load_relaxed(&tbl[idx + i]);
			if (used) {
				vmk_pmap__abort_ptp(pm, v, 0, t);
				err = -VMK_EEXIST;
				break;
			}
		}
		if (managed)
			vmk_pmap__pv_lock();
		k = fill_run(pm, tbl, idx, cnt, v, pas + done, tmpl, managed, f.pg != NULL, fold, &err);
		if (managed)
			vmk_pmap__pv_unlock();
		if (mark && k)
			vmk_pmap__mark_set(t, idx, (unsigned int)k, &mp);
		if (f.pg) {
			vmk_pmap__ptes_zero(tbl + idx + k, cnt - k);
			vmk_pmap__leaf_link(pm, v, &f, (unsigned int)k);	/* k == 0: freed */
		} else if (k == 0) {
			vmk_pmap__abort_ptp(pm, v, 0, t);	/* nothing installed: drop the hold */
		} else if (!pm->kernel) {
			/* The hold counts the first entry; the others add theirs. */
			pm->leaf.pg->ref_count += (uint32_t)(k - 1);
		}
		vmk_pmap__count_leaf(pm, 0, (int)k);
		if (a & VMK_PTE_A_WIRED)
			pm->st.wired += k;
		done += k;
		if (err)
			break;
	}
	vmk_pmap__tlb_made(pm);
	vmk_pmap__marks_put(pm, &mp);
	if (err) {
		/* Undo: everything in [va, va + done) was created by this call. */
		vmk_pmap__unfold_range(pm, va, va + done * VMK_PAGE_SIZE);
		for (size_t i = 0; i < done; i++) {
			vmk_vaddr_t v = va + i * VMK_PAGE_SIZE;
			unsigned int lvl;
			vmk_paddr_t t;
			vmk_pte_t *p = vmk_pmap__walk(pm, v, &lvl, &t);

			vmk_pmap__remove_leaf(pm, p, v, 0, t, false, &b);
		}
		vmk_pmap__batch_flush(pm, &b);
	} else if (vmk_pmap__g.promote) {
		vmk_pmap__try_promote_range(pm, va, n * VMK_PAGE_SIZE, 1);
	}
	vmk_pmap__unlock(pm);
	return err;
}

/*
 * The common case of vmk_pmap_enter_large, pmap locked: an unmanaged
 * 2 MiB block without KEEP_SPARE into an empty entry of the cached
 * level-1 table, with no mark to record by address (a direct map). It
 * does what the general path does there and nothing it cannot need: no
 * walk, no PV entry, no spare, no marks page, and the promotion test
 * only on a full table. False: not that case, nothing done.
 */
static inline bool large_fast(struct vmk_pmap *pm, vmk_vaddr_t va, vmk_paddr_t pa, uint32_t prot, uint32_t flags)
{
	vmk_pte_t *p, new_pte;
	uint32_t a;
	bool np;

	if ((flags & (VMK_PMAP_ENTER_MANAGED | VMK_PMAP_ENTER_KEEP_SPARE)) || !vmk_pmap__mid_hit(pm, va))
		return false;
	np = pm->nnp && vmk_pmap__in_np(pm, va, VMK_PT_SIZE(1));
	if (vmk_pmap__g.marks && (flags & VMK_PMAP_ENTER_NOPROMOTE) && !np)
		return false;
	p = &pm->mid.tbl[VMK_PT_INDEX(va, 1)];
	/* Empty is zero: a table, a block or anything else takes the general path. */
	if (vmk_pmap__pte_load(p) != 0)
		return false;
	if (np)
		flags |= VMK_PMAP_ENTER_NOPROMOTE;
	new_pte = vmk_pmap__block_tmpl(pm, prot, flags, &a) | vmk_pmap__pte_pa(pa);
	VMK_ASSERT(new_pte == vmk_pmap__g.arch->make_leaf(pa, 1, a), "the 2 MiB template at %#llx is not the leaf",
		   (unsigned long long)va);
	if (!pm->kernel) {
		/* The new entry's count (the hold vmk_pmap__get_table would take). */
		VMK_ASSERT(pm->mid.pg->ref_count < VMK_PT_ENTRIES, "PTP %#llx holds more than 512 entries",
			   (unsigned long long)pm->mid.pa);
		pm->mid.pg->ref_count++;
	}
	vmk_pmap__pte_store(p, new_pte);
	vmk_pmap__tlb_made(pm);
	vmk_pmap__count_leaf(pm, 1, 1);
	if (a & VMK_PTE_A_WIRED)
		pm->st.wired += VMK_PT_ENTRIES;
	/* No-promote blocks are refused (and counted) by try_promote. */
	if (vmk_pmap__g.promote && table_full(pm, pm->mid.tbl, pm->mid.pg, 1))
		vmk_pmap__try_promote(pm, va, 2);
	return true;
}

struct vmk_page *vmk_pmap__block_head(vmk_paddr_t pa, vmk_size_t size)
{
	struct vmk_page *head = vmk_pa_to_page(pa);

	if (!head || !vmk_pa_to_page(pa + size - VMK_PAGE_SIZE) || vmk_page_is_free(head))
		return NULL;
	return head;
}

bool vmk_pmap__every_pte_zero(vmk_paddr_t pa)
{
	const vmk_pte_t *tbl = vmk_pmap__table(pa);
	vmk_pte_t any = 0;

	for (unsigned int i = 0; i < VMK_PT_ENTRIES; i++)
		any |= vmk_pmap__pte_load_relaxed(&tbl[i]);
	return any == 0;
}

static int large_locked(struct vmk_pmap *pm, vmk_vaddr_t va, vmk_paddr_t pa, unsigned int lvl, uint32_t prot,
			uint32_t flags, struct vmk_page *head);

int vmk_pmap_enter_large(struct vmk_pmap *pm, vmk_vaddr_t va, vmk_paddr_t pa, vmk_size_t size,
			 uint32_t prot, uint32_t flags)
{
	unsigned int lvl = size == VMK_PT_SIZE(1) ? 1 : size == VMK_PT_SIZE(2) ? 2 : 0;
	struct vmk_page *head = NULL;

	if (!pm || !lvl || !vmk_pmap__block_ok(pm, lvl) || (va & (size - 1)) || (pa & (size - 1)) ||
	    (pa & ~vmk_pmap__g.arch->page_pa_mask) || !vmk_pmap__range_ok(pm, va, va + size) ||
	    !vmk_pmap__prot_ok(pm, va, size, prot, flags))
		return -VMK_EINVAL;
	if ((flags & VMK_PMAP_ENTER_MANAGED) && !(head = vmk_pmap__block_head(pa, size)))
		return -VMK_EINVAL;
	if (!pm->kernel)
		flags &= ~(uint32_t)VMK_PMAP_ENTER_KEEP_SPARE;
	vmk_pmap__lock(pm);
	if (lvl != 1 || !large_fast(pm, va, pa, prot, flags))
		return large_locked(pm, va, pa, lvl, prot, flags, head);	/* unlocks */
	if (pm->kernel && vmk_pmap__g.nkpool < VMK_PMAP_KPOOL)
		vmk_pmap__kpool_fill(pm);
	vmk_pmap__unlock(pm);
	return 0;
}

/* vmk_pmap_enter_large's general path: pm locked (unlocked on return), arguments checked, head the managed page. */
static VMK_NOINLINE int large_locked(struct vmk_pmap *pm, vmk_vaddr_t va, vmk_paddr_t pa, unsigned int lvl,
				     uint32_t prot, uint32_t flags, struct vmk_page *head)
{
	int err = vmk_pmap__large_one(pm, va, pa, lvl, prot, flags, head);

	if (!err && vmk_pmap__g.promote)	/* no-promote leaves are refused (and counted) there */
		vmk_pmap__try_promote(pm, va, lvl + 1);
	if (pm->kernel)
		vmk_pmap__kpool_fill(pm);
	vmk_pmap__unlock(pm);
	return err;
}

int vmk_pmap__large_one(struct vmk_pmap *pm, vmk_vaddr_t va, vmk_paddr_t pa, unsigned int lvl, uint32_t prot,
			uint32_t flags, struct vmk_page *head)
{
	vmk_size_t size = VMK_PT_SIZE(lvl);
	struct vmk_page *spare = NULL, *pieces = NULL, *mp = NULL;
	struct vmk_pv *pv = NULL;
	vmk_paddr_t t;
	vmk_pte_t *p, old;
	uint32_t a;
	bool mark;
	int err = 0;

	mark = marks_wanted(pm, va, size, flags);
	if (vmk_pmap__in_np(pm, va, size))
		flags |= VMK_PMAP_ENTER_NOPROMOTE;
	a = vmk_pmap__attrs(pm, prot, flags);
	/*
	 * Everything that can fail is had before any entry changes, a
	 * demotion of a larger block above included: the PV entry, and the
	 * spare of a block entered with KEEP_SPARE (given back if an empty
	 * table there becomes the spare instead), and for a 1 GiB one the
	 * spares of its 2 MiB pieces (keepspare.c).
	 */
	if (head && !(pv = vmk_pmap__pv_alloc(pm))) {
		err = -VMK_ENOMEM;
		goto out;
	}
	if ((flags & VMK_PMAP_ENTER_KEEP_SPARE) && !(spare = vmk_pmap__ptp_alloc(pm, "pmap.spare"))) {
		err = -VMK_ENOMEM;
		goto fail;
	}
	if ((flags & VMK_PMAP_ENTER_KEEP_SPARE) && lvl == 2 && (err = vmk_pmap__piece_spares_alloc(pm, &pieces)))
		goto fail;
	if (mark && !(mp = vmk_pmap__marks_alloc(pm))) {
		err = -VMK_ENOMEM;
		goto fail;
	}
	t = vmk_pmap__get_table(pm, va, lvl, !(flags & VMK_PMAP_ENTER_NOREPLACE), &err);
	if (!t)
		goto fail;
	p = &vmk_pmap__table(t)[VMK_PT_INDEX(va, lvl)];
	old = vmk_pmap__pte_load(p);
	if (vmk_pmap__g.arch->is_table(old, lvl)) {
		/*
		 * Only an empty kernel table may be replaced (kernel PTPs are
		 * never freed, so refusing would keep 4 KiB-mapped KVA from
		 * ever taking a block again: FreeBSD D22763). It becomes the
		 * block's spare, keeping its fixed count. NOREPLACE asks for a
		 * table of zeros, as pmap_every_pte_zero.
		 */
		vmk_paddr_t sub = vmk_pmap__g.arch->pa_of(old, lvl);
		bool empty = pm->kernel;

		if (empty && (flags & VMK_PMAP_ENTER_NOREPLACE)) {
			empty = vmk_pmap__every_pte_zero(sub);
		} else {
			const vmk_pte_t *tbl = vmk_pmap__table(sub);

			for (unsigned int i = 0; empty && i < VMK_PT_ENTRIES; i++)
				empty = !vmk_pmap__g.arch->is_valid(vmk_pmap__pte_load(&tbl[i]), lvl - 1);
		}
		if (!empty) {
			vmk_pmap__abort_ptp(pm, va, lvl, t);
			err = -VMK_EEXIST;
			goto fail;
		}
	} else if (vmk_pmap__g.arch->is_valid(old, lvl)) {
		if (flags & VMK_PMAP_ENTER_NOREPLACE) {
			/* Kernel: nothing to undo (fixed counts); user: drops the hold only. */
			vmk_pmap__abort_ptp(pm, va, lvl, t);
			err = -VMK_EEXIST;
			goto fail;
		}
		/* An old block is replaced: remove it (a kernel one's spare comes back as an empty table). */
		vmk_pmap__remove_leaf(pm, p, va, lvl, t, false, NULL);
		old = vmk_pmap__pte_load(p);
	}
	if (vmk_pmap__g.arch->is_table(old, lvl)) {
		if (spare)
			vmk_pmap__ptp_free(pm, spare);
		spare = vmk_pa_to_page(vmk_pmap__g.arch->pa_of(old, lvl));
		vmk_pmap__update_entry(pm, p, vmk_pmap__g.arch->make_leaf(pa, lvl, a), va, size, lvl, true);
		pm->st.ptps--;
		vmk_pmap__spare_insert(pm, va, lvl, spare, false);
	} else {
		vmk_pmap__pte_store(p, vmk_pmap__g.arch->make_leaf(pa, lvl, a));
		vmk_pmap__tlb_made(pm);
		if (spare)
			vmk_pmap__spare_insert(pm, va, lvl, spare, true);
	}
	if (vmk_pmap__g.marks && (flags & VMK_PMAP_ENTER_KEEP_SPARE))
		vmk_pmap__spare_set_keep(pm, va, lvl);	/* the mark the entry has no bit for */
	if (pieces)
		vmk_pmap__piece_spares_insert(pm, va, &pieces);
	if (mark)
		vmk_pmap__mark_set(t, VMK_PT_INDEX(va, lvl), 1, &mp);
	vmk_pmap__count_leaf(pm, lvl, 1);
	if (a & VMK_PTE_A_WIRED)
		pm->st.wired += (uint64_t)1 << (9 * lvl);
	if (pv) {
		pv->va_lvl = va | lvl;
		vmk_pmap__pv_lock();
		vmk_pmap__pv_link(head, pv);
		vmk_pmap__pv_unlock();
	}
	goto out;
fail:
	if (spare)
		vmk_pmap__ptp_free(pm, spare);
	vmk_pmap__piece_spares_free(pm, &pieces);
	if (pv)
		vmk_pmap__pv_free(pm, pv);
out:
	vmk_pmap__marks_put(pm, &mp);
	return err;
}
