/*
 * Page-table pages: allocation from the physical allocator, the walk that
 * creates missing tables, reference counts, the one unwinding function
 * (vmk_pmap__abort_ptp) and the kernel's demotion reserve. The spare PTPs
 * kept for demotion are filed in spare.c.
 *
 * Reference counts: a user PTP's ref_count is the number of valid entries
 * in it; it is freed (after a TLB invalidation of the range it mapped)
 * when that drops to zero. Whoever is about to install an entry takes a
 * "hold" first, which becomes the count of the new entry; if the install
 * fails the hold is dropped through vmk_pmap__abort_ptp(), which frees a
 * PTP that was allocated for nothing. The root and every kernel PTP are
 * never freed: kernel PTPs keep the fixed count VMK_PMAP_KPTP_REF.
 */
#include "pmap_internal.h"

static struct vmk_page *ptp_alloc(struct vmk_pmap *pm, const char *site, uint32_t zero)
{
	struct vmk_page *pg;

	if (vmk_fault(site))
		return NULL;
	pg = vmk_page_alloc(VMK_DOMAIN_LOCAL, VMK_POOL_DEFAULT, zero | VMK_ALLOC_PTP);
	if (!pg)
		return NULL;
	pg->ref_count = pm->kernel ? VMK_PMAP_KPTP_REF : 0;
	pg->owner = 0;		/* a live table's: its marks page or spares (marks.c, spare.c) */
	/*
	 * A PTP's md_pv names its pmap (no PV list ever hangs off a PTP) for
	 * its whole life, spare or table, until it is freed: a simulator
	 * checks with it that a walk reads only its own address space's
	 * tables. Atomic: a walker may read it through a stale walk cache.
	 */
	__atomic_store_n(&pg->md_pv, pm->id, __ATOMIC_RELAXED);
	__atomic_add_fetch(&vmk_pmap__g.pages_held, 1, __ATOMIC_RELAXED);
	return pg;
}

struct vmk_page *vmk_pmap__ptp_alloc(struct vmk_pmap *pm, const char *site)
{
	return ptp_alloc(pm, site, VMK_ALLOC_ZERO);
}

void vmk_pmap__ptp_free(struct vmk_pmap *pm, struct vmk_page *pg)
{
	(void)pm;
	VMK_ASSERT(vmk_page_state(pg) == VMK_PAGE_PTP, "freeing a page-table page that is not PTP");
	pg->ref_count = 0;
	__atomic_store_n(&pg->md_pv, 0, __ATOMIC_RELAXED);
	pg->owner = 0;
	vmk_page_free(pg);
	__atomic_sub_fetch(&vmk_pmap__g.pages_held, 1, __ATOMIC_RELAXED);
}

vmk_pte_t *vmk_pmap__walk(struct vmk_pmap *pm, vmk_vaddr_t va, unsigned int *lvl,
			  vmk_paddr_t *table_pa)
{
	vmk_paddr_t t = pm->root;
	unsigned int l = vmk_pmap__g.top;

	for (;;) {
		vmk_pte_t *p = &vmk_pmap__table(t)[VMK_PT_INDEX(va, l)];
		vmk_pte_t e = vmk_pmap__pte_load(p);

		if (l == 0 || !vmk_pmap__g.arch->is_table(e, l)) {
			*lvl = l;
			if (table_pa)
				*table_pa = t;
			return p;
		}
		t = vmk_pmap__g.arch->pa_of(e, l);
		l--;
	}
}

vmk_pte_t *vmk_pmap__entry_at(struct vmk_pmap *pm, vmk_vaddr_t va, unsigned int lvl,
			      vmk_paddr_t *table_pa)
{
	vmk_paddr_t t = pm->root;

	for (unsigned int l = vmk_pmap__g.top;; l--) {
		vmk_pte_t *p = &vmk_pmap__table(t)[VMK_PT_INDEX(va, l)];
		vmk_pte_t e;

		if (l == lvl) {
			if (table_pa)
				*table_pa = t;
			return p;
		}
		e = vmk_pmap__pte_load(p);
		if (!vmk_pmap__g.arch->is_table(e, l))
			return NULL;
		t = vmk_pmap__g.arch->pa_of(e, l);
	}
}

void vmk_pmap__ptp_hold(struct vmk_pmap *pm, vmk_paddr_t table_pa)
{
	struct vmk_page *pg;

	if (pm->kernel || table_pa == pm->root)
		return;
	pg = vmk_pa_to_page(table_pa);
	VMK_ASSERT(pg && pg->ref_count <= VMK_PT_ENTRIES,	/* 512 entries + one hold */
		   "PTP %#llx holds more than 512 entries and a hold", (unsigned long long)table_pa);
	pg->ref_count++;
}

void vmk_pmap__ptp_unref(struct vmk_pmap *pm, vmk_vaddr_t va, unsigned int lvl,
			 vmk_paddr_t table_pa, struct vmk_pmap_batch *b)
{
	/* Without a batch: one invalidation for every level unlinked, then the frees. */
	struct vmk_pmap_batch local = { .free = NULL };
	struct vmk_pmap_batch *q = b ? b : &local;

	while (!pm->kernel && table_pa != pm->root) {
		struct vmk_page *pg = vmk_pa_to_page(table_pa);
		vmk_paddr_t parent;
		vmk_pte_t *pp;

		VMK_ASSERT(pg && pg->ref_count > 0, "PTP %#llx reference count underflow",
			   (unsigned long long)table_pa);
		if (--pg->ref_count > 0)
			break;
		pp = vmk_pmap__entry_at(pm, va, lvl + 1, &parent);
		VMK_ASSERT(pp && vmk_pmap__g.arch->pa_of(vmk_pmap__pte_load(pp), lvl + 1) == table_pa,
			   "PTP %#llx not linked where its va says", (unsigned long long)table_pa);
		VMK_ASSERT(!pg->owner, "PTP %#llx freed with no-promote marks", (unsigned long long)table_pa);
		vmk_pmap__pte_clear(pp);
		vmk_pmap__leaf_forget(pm);
		pm->st.ptps--;
		/* Walk caches may hold the table until the invalidation: freed after it. */
		vmk_pmap__batch_table(q, va);
		pg->owner = (uint64_t)(uintptr_t)q->free;
		q->free = pg;
		table_pa = parent;
		lvl++;
	}
	if (!b)
		vmk_pmap__batch_flush(pm, &local);
}

void vmk_pmap__abort_ptp(struct vmk_pmap *pm, vmk_vaddr_t va, unsigned int lvl,
			 vmk_paddr_t table_pa)
{
	vmk_pmap__ptp_unref(pm, va, lvl, table_pa, NULL);
}

static void leaf_remember(struct vmk_pmap *pm, vmk_vaddr_t va, vmk_paddr_t t)
{
	pm->leaf.va = va & ~(VMK_PT_SIZE(1) - 1);
	pm->leaf.pa = t;
	pm->leaf.pg = vmk_pa_to_page(t);
	pm->leaf.tbl = vmk_pmap__table(t);
}

vmk_paddr_t vmk_pmap__get_table(struct vmk_pmap *pm, vmk_vaddr_t va, unsigned int lvl,
				bool demote, int *err)
{
	vmk_paddr_t t = pm->root;
	unsigned int l = vmk_pmap__g.top;

	if (lvl == 0 && vmk_pmap__leaf_hit(pm, va))
		return vmk_pmap__leaf_hold(pm);	/* callers in a hurry use vmk_pmap__get_leaf() */
	while (l > lvl) {
		vmk_pte_t *p = &vmk_pmap__table(t)[VMK_PT_INDEX(va, l)];
		vmk_pte_t e = vmk_pmap__pte_load(p);
		struct vmk_page *pg;
		vmk_paddr_t child;
		int r;

		if (vmk_pmap__g.arch->is_table(e, l)) {
			t = vmk_pmap__g.arch->pa_of(e, l);
			l--;
			continue;
		}
		if (vmk_pmap__g.arch->is_valid(e, l)) {
			if (!demote) {
				*err = -VMK_EEXIST;
				return 0;
			}
			r = vmk_pmap__demote(pm, p, va & ~(VMK_PT_SIZE(l) - 1), l, NULL, false);
			if (r) {
				*err = r;
				return 0;
			}
			continue;
		}
		vmk_pmap__ptp_hold(pm, t);
		pg = vmk_pmap__ptp_alloc(pm, "pmap.ptp");
		if (!pg) {
			vmk_pmap__abort_ptp(pm, va, l, t);
			*err = -VMK_ENOMEM;
			return 0;
		}
		child = vmk_page_to_pa(pg);
		/* The zeroed table must be visible before the entry publishing it. */
		vmk_barrier(VMK_BARRIER_PTE_STORE);
		vmk_pmap__pte_store(p, vmk_pmap__g.arch->make_table(child, l, !pm->kernel));
		pm->st.ptps++;
		t = child;
		l--;
	}
	if (lvl == 0) {
		leaf_remember(pm, va, t);
		return vmk_pmap__leaf_hold(pm);
	}
	if (lvl == 1 && t != pm->root) {
		/* Remembered for the next 2 MiB enter here (vmk_pmap_enter_large's fast path). */
		pm->mid.va = va & ~(VMK_PT_SIZE(2) - 1);
		pm->mid.pa = t;
		pm->mid.pg = vmk_pa_to_page(t);
		pm->mid.tbl = vmk_pmap__table(t);
	}
	vmk_pmap__ptp_hold(pm, t);
	return t;
}

vmk_paddr_t vmk_pmap__get_leaf_table(struct vmk_pmap *pm, vmk_vaddr_t va, struct vmk_pmap_fresh *f,
				     int *err)
{
	vmk_paddr_t t1;
	vmk_pte_t *p1, e1;
	struct vmk_page *pg;

	f->pg = NULL;
	if (vmk_pmap__leaf_hit(pm, va))
		return vmk_pmap__leaf_hold(pm);
	/* The level-1 table, with a hold for the entry that will point at the leaf table. */
	t1 = vmk_pmap__get_table(pm, va, 1, false, err);
	if (!t1)
		return 0;
	p1 = &vmk_pmap__table(t1)[VMK_PT_INDEX(va, 1)];
	e1 = vmk_pmap__pte_load(p1);
	if (vmk_pmap__g.arch->is_table(e1, 1)) {
		/* It exists after all: the hold on the parent was not needed. */
		vmk_pmap__abort_ptp(pm, va, 1, t1);
		leaf_remember(pm, va, vmk_pmap__g.arch->pa_of(e1, 1));
		return vmk_pmap__leaf_hold(pm);
	}
	if (vmk_pmap__g.arch->is_valid(e1, 1)) {
		vmk_pmap__abort_ptp(pm, va, 1, t1);
		*err = -VMK_EEXIST;
		return 0;
	}
	/* Not zeroed: the caller writes all 512 entries before linking it. */
	pg = ptp_alloc(pm, "pmap.ptp", 0);
	if (!pg) {
		vmk_pmap__abort_ptp(pm, va, 1, t1);
		*err = -VMK_ENOMEM;
		return 0;
	}
	f->pg = pg;
	f->slot = p1;
	f->parent = t1;
	return vmk_page_to_pa(pg);
}

void vmk_pmap__leaf_link(struct vmk_pmap *pm, vmk_vaddr_t va, struct vmk_pmap_fresh *f, unsigned int n)
{
	vmk_paddr_t t = vmk_page_to_pa(f->pg);

	if (n == 0) {
		/* Nothing went in: give the page back and the parent's hold with it. */
		vmk_pmap__ptp_free(pm, f->pg);
		vmk_pmap__abort_ptp(pm, va, 1, f->parent);
		return;
	}
	f->pg->ref_count = pm->kernel ? VMK_PMAP_KPTP_REF : n;
	/* The filled table must be visible before the entry publishing it. */
	vmk_barrier(VMK_BARRIER_PTE_STORE);
	vmk_pmap__pte_store(f->slot, vmk_pmap__g.arch->make_table(t, 1, !pm->kernel));
	pm->st.ptps++;
	leaf_remember(pm, va, t);
}

/*
 * ---- the kernel's demotion reserve ----
 *
 * A kernel block without a spare is demoted with a PTP from this small
 * pool, so a kernel demotion does not depend on the allocator at that
 * moment. The pool is topped up from the allocator at the end of every
 * kernel operation that may allocate (and at bootstrap; a failed top-up
 * is not an error), and tried once more when a demotion finds it empty;
 * only then does the demotion fail, with -VMK_ENOMEM and nothing
 * changed. So while the allocator fails, VMK_PMAP_KPOOL kernel
 * demotions without a spare still succeed.
 */
void vmk_pmap__kpool_fill(struct vmk_pmap *pm)
{
	while (vmk_pmap__g.nkpool < VMK_PMAP_KPOOL) {
		struct vmk_page *pg = vmk_pmap__ptp_alloc(pm, "pmap.kreserve");

		if (!pg)
			break;
		vmk_pmap__g.kpool[vmk_pmap__g.nkpool++] = pg;
	}
	pm->st.reserve_ptps = vmk_pmap__g.nkpool;
}

struct vmk_page *vmk_pmap__kpool_take(struct vmk_pmap *pm)
{
	struct vmk_page *pg;

	if (vmk_pmap__g.nkpool == 0)
		vmk_pmap__kpool_fill(pm);	/* drained while the allocator failed: one more try */
	if (vmk_pmap__g.nkpool == 0)
		return NULL;
	pg = vmk_pmap__g.kpool[--vmk_pmap__g.nkpool];
	pm->st.reserve_ptps = vmk_pmap__g.nkpool;
	return pg;
}

void vmk_pmap__kpool_put(struct vmk_pmap *pm, struct vmk_page *pg)
{
	VMK_ASSERT(vmk_pmap__g.nkpool < VMK_PMAP_KPOOL, "kernel PTP reserve overflow");
	vmk_pmap__ptes_zero(vmk_pmap__table(vmk_page_to_pa(pg)), VMK_PT_ENTRIES);
	pg->ref_count = VMK_PMAP_KPTP_REF;
	vmk_pmap__g.kpool[vmk_pmap__g.nkpool++] = pg;
	pm->st.reserve_ptps = vmk_pmap__g.nkpool;
}

int vmk_pmap__reserve_ptps(struct vmk_pmap *pm, struct vmk_pmap_ptp_reserve *r, unsigned int n)
{
	VMK_ASSERT(r->n + n <= VMK_ARRAY_SIZE(r->pg), "PTP reserve overflow");
	while (n--) {
		/* The kernel demotes from its reserve only. */
		struct vmk_page *pg = pm->kernel ? vmk_pmap__kpool_take(pm) : vmk_pmap__ptp_alloc(pm, "pmap.ptp");

		if (!pg) {
			vmk_pmap__reserve_release(pm, r);
			return -VMK_ENOMEM;
		}
		r->pg[r->n++] = pg;
	}
	return 0;
}

void vmk_pmap__reserve_release(struct vmk_pmap *pm, struct vmk_pmap_ptp_reserve *r)
{
	while (r->n) {
		struct vmk_page *pg = r->pg[--r->n];

		if (pm->kernel)
			vmk_pmap__kpool_put(pm, pg);
		else
			vmk_pmap__ptp_free(pm, pg);
	}
}
