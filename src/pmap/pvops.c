/*
 * Per-page operations through the reverse maps: remove_all, write
 * protection, referenced/modified.
 *
 * Locking: the PV lock protects the lists; each mapping's pmap lock is
 * needed to touch its tables, and is ordered before the PV lock. So with
 * the PV lock held a walk only tries a pmap lock. If that fails it must
 * not try again and again: the holder may be waiting for the PV lock
 * (vmk_pmap_enter takes the pmap lock, then the PV lock), and a walk that
 * lets the PV lock go for a moment and takes it back hardly ever lets it
 * in, both spin. So the walk waits the right way round (FreeBSD's
 * pmap_remove_all and the others do the same with pv_gen): it notes the
 * generations of the page's lists, holds the pmap (pv_holds, so that the
 * struct outlives the wait), drops the PV lock, takes the pmap lock
 * waiting for it, takes the PV lock again, and goes on from where it was
 * if no list changed, else begins again (every visitor here is
 * idempotent). It begins again only after another CPU changed one of the
 * page's lists (or one hashed with them) while it waited.
 */
#include "pmap_internal.h"

typedef void (*pv_visit_fn)(struct vmk_pmap *pm, vmk_pte_t *p, vmk_vaddr_t va, unsigned int lvl,
			    vmk_paddr_t pa, void *arg);

/* The generations of the lists a walk of pa reads (its head at each level). */
struct pv_gens {
	uint32_t g[3];
};

static void pv_gens_read(vmk_paddr_t pa, struct pv_gens *s)
{
	for (unsigned int l = 0; l < 3; l++) {
		struct vmk_page *h = vmk_pmap__pv_head(pa, l);

		s->g[l] = h ? *vmk_pmap__pv_gen(h) : 0;
	}
}

/*
 * Lock pm, the pmap of the entry on pa's lists where the walk (PV lock
 * held) is. Returns true with pm locked and the PV lock held, the walk's
 * place still valid; false with the PV lock held and pm not locked: a list
 * changed while it waited, the walk must begin again.
 */
static bool pv_lock_pmap(struct vmk_pmap *pm, vmk_paddr_t pa)
{
	struct pv_gens before, now;

	if (vmk_spin_trylock(&pm->lock))
		return true;
	vmk_pmap__g.pv_waits++;
	pv_gens_read(pa, &before);
	/* pm has an entry listed: its destroy has not reached its wait for holds. */
	__atomic_add_fetch(&pm->pv_holds, 1, __ATOMIC_RELAXED);
	vmk_pmap__pv_unlock();
	vmk_pmap__lock(pm);
	vmk_pmap__pv_lock();
	pv_gens_read(pa, &now);
	if (now.g[0] == before.g[0] && now.g[1] == before.g[1] && now.g[2] == before.g[2]) {
		/* Its entry is still listed: destroy cannot pass pm's lock, which we hold. */
		__atomic_sub_fetch(&pm->pv_holds, 1, __ATOMIC_RELEASE);
		return true;
	}
	vmk_pmap__g.pv_restarts++;
	vmk_pmap__unlock(pm);
	/* The last touch of pm: a destroy may free it from here on. */
	__atomic_sub_fetch(&pm->pv_holds, 1, __ATOMIC_RELEASE);
	return false;
}

/* Visit every managed mapping of the page at pa (4 KiB ones and blocks covering it). */
static void pv_foreach(vmk_paddr_t pa, pv_visit_fn fn, void *arg)
{
	vmk_pmap__pv_lock();
restart:
	for (unsigned int l = 0; l <= 2; l++) {
		struct vmk_page *head = vmk_pmap__pv_walk_head(pa, l);

		if (!head)
			continue;
		for (struct vmk_pv *pv = vmk_pmap__pv_first(head); pv; pv = vmk_pmap__pv_next(head, pv)) {
			struct vmk_pmap *pm = vmk_pmap__pv_pmap(pv);
			vmk_vaddr_t va = pv->va_lvl & ~(vmk_vaddr_t)7;
			unsigned int lvl;
			vmk_pte_t *p;

			if ((pv->va_lvl & 7) != l)
				continue;
			if (!pv_lock_pmap(pm, pa))
				goto restart;
			p = vmk_pmap__walk(pm, va, &lvl, NULL);
			VMK_ASSERT(lvl == l && vmk_pmap__is_leaf(vmk_pmap__pte_load(p), lvl),
				   "PV entry %#llx level %u has no matching mapping", (unsigned long long)va, l);
			fn(pm, p, va, lvl, pa, arg);
			vmk_pmap__unlock(pm);
		}
	}
	vmk_pmap__pv_unlock();
}

/* Mark the other pages of a block: a bit cleared on the block must not be lost for them. */
static void mark_block(vmk_pte_t e, unsigned int lvl, vmk_paddr_t except, uint8_t f)
{
	vmk_paddr_t base = vmk_pmap__g.arch->pa_of(e, lvl);

	for (uint64_t i = 0; lvl > 0 && i < ((uint64_t)1 << (9 * lvl)); i++) {
		vmk_paddr_t pa = base + i * VMK_PAGE_SIZE;
		struct vmk_page *pg = pa == (except & ~VMK_PAGE_MASK) ? NULL : vmk_pa_to_page(pa);

		if (pg)
			vmk_atomic_fetch_or_u8(&pg->md_flags, f);
	}
}

/*
 * A visitor about to change the entry at p: if it is in a run, the run
 * becomes plain leaves first (each with the run's A/D OR). Only then, so
 * that a call with nothing to change leaves the run folded.
 */
static void plain_leaf(struct vmk_pmap *pm, vmk_pte_t *p, vmk_vaddr_t va, unsigned int lvl)
{
	if (lvl == 0)
		vmk_pmap__unfold(pm, p, va);
}

/* Clear attribute bits clr of the leaf at p (a permission-only change), then invalidate. */
static vmk_pte_t leaf_clear(struct vmk_pmap *pm, vmk_pte_t *p, vmk_vaddr_t va, unsigned int lvl,
			    uint32_t clr)
{
	vmk_pte_t cur = vmk_pmap__pte_load(p);

	while (!vmk_pmap__pte_cas(p, &cur, vmk_pmap__leaf_rebuild(cur, lvl, vmk_pmap__g.arch->attrs_of(cur, lvl) & ~clr)))
		;
	vmk_pmap__tlb_page(pm, va, VMK_PT_SIZE(lvl), true);
	return cur;
}

static void visit_ref(struct vmk_pmap *pm, vmk_pte_t *p, vmk_vaddr_t va, unsigned int lvl,
		      vmk_paddr_t pa, void *arg)
{
	vmk_pte_t e = vmk_pmap__pte_load(p);

	/* A run's accessed state is the OR over its 16 entries. */
	if (!(vmk_pmap__leaf_attrs(p, e, lvl) & VMK_PTE_A_ACCESSED))
		return;
	plain_leaf(pm, p, va, lvl);
	(*(unsigned int *)arg)++;
	mark_block(e, lvl, pa, VMK_PMAP_PAGE_REFERENCED);
	leaf_clear(pm, p, va, lvl, VMK_PTE_A_ACCESSED);
}

unsigned int vmk_pmap_ts_referenced(vmk_paddr_t pa)
{
	struct vmk_page *pg = vmk_pa_to_page(pa);
	unsigned int n = 0;

	if (!pg || !vmk_pmap__g.ready)
		return 0;
	pv_foreach(pa, visit_ref, &n);
	if (vmk_atomic_fetch_and_u8(&pg->md_flags, (uint8_t)~VMK_PMAP_PAGE_REFERENCED) &
	    VMK_PMAP_PAGE_REFERENCED)
		n++;
	return n;
}

struct test_arg {
	uint32_t bit;
	bool found;
};

static void visit_test(struct vmk_pmap *pm, vmk_pte_t *p, vmk_vaddr_t va, unsigned int lvl,
		       vmk_paddr_t pa, void *arg)
{
	struct test_arg *t = arg;

	(void)pm; (void)va; (void)pa;
	/* A run's accessed/dirty state is the OR over its 16 entries. */
	if (vmk_pmap__leaf_attrs(p, vmk_pmap__pte_load(p), lvl) & t->bit)
		t->found = true;
}

bool vmk_pmap_is_modified(vmk_paddr_t pa)
{
	struct vmk_page *pg = vmk_pa_to_page(pa);
	struct test_arg t = { VMK_PTE_A_DIRTY, false };

	if (!pg || !vmk_pmap__g.ready)
		return false;
	if (__atomic_load_n(&pg->md_flags, __ATOMIC_RELAXED) & VMK_PMAP_PAGE_MODIFIED)
		return true;
	pv_foreach(pa, visit_test, &t);
	return t.found;
}

bool vmk_pmap_is_referenced(vmk_paddr_t pa)
{
	struct vmk_page *pg = vmk_pa_to_page(pa);
	struct test_arg t = { VMK_PTE_A_ACCESSED, false };

	if (!pg || !vmk_pmap__g.ready)
		return false;
	if (__atomic_load_n(&pg->md_flags, __ATOMIC_RELAXED) & VMK_PMAP_PAGE_REFERENCED)
		return true;
	pv_foreach(pa, visit_test, &t);
	return t.found;
}

static void visit_clear_mod(struct vmk_pmap *pm, vmk_pte_t *p, vmk_vaddr_t va, unsigned int lvl,
			    vmk_paddr_t pa, void *arg)
{
	vmk_pte_t e = vmk_pmap__pte_load(p);

	(void)arg;
	/* A run's dirty state is the OR over its 16 entries. */
	if (!(vmk_pmap__leaf_attrs(p, e, lvl) & VMK_PTE_A_DIRTY))
		return;
	plain_leaf(pm, p, va, lvl);
	mark_block(e, lvl, pa, VMK_PMAP_PAGE_MODIFIED);
	leaf_clear(pm, p, va, lvl, VMK_PTE_A_DIRTY);
}

void vmk_pmap_clear_modify(vmk_paddr_t pa)
{
	struct vmk_page *pg = vmk_pa_to_page(pa);

	if (!pg || !vmk_pmap__g.ready)
		return;
	vmk_atomic_fetch_and_u8(&pg->md_flags, (uint8_t)~VMK_PMAP_PAGE_MODIFIED);
	pv_foreach(pa, visit_clear_mod, NULL);
}

static void visit_remove_write(struct vmk_pmap *pm, vmk_pte_t *p, vmk_vaddr_t va, unsigned int lvl,
			       vmk_paddr_t pa, void *arg)
{
	vmk_pte_t old;

	(void)arg; (void)pa;
	if (!(vmk_pmap__g.arch->attrs_of(vmk_pmap__pte_load(p), lvl) & VMK_PTE_A_WRITE))
		return;
	plain_leaf(pm, p, va, lvl);
	old = leaf_clear(pm, p, va, lvl, VMK_PTE_A_WRITE | VMK_PTE_A_DIRTY);
	if (vmk_pmap__g.arch->attrs_of(old, lvl) & VMK_PTE_A_DIRTY)
		vmk_pmap__note_removed(old, lvl);
}

void vmk_pmap_remove_write(vmk_paddr_t pa)
{
	if (!vmk_pa_to_page(pa) || !vmk_pmap__g.ready)
		return;
	pv_foreach(pa, visit_remove_write, NULL);
}

unsigned int vmk_pmap_remove_all(vmk_paddr_t pa)
{
	unsigned int n = 0;

	if (!vmk_pa_to_page(pa) || !vmk_pmap__g.ready)
		return 0;
	vmk_pmap__pv_lock();
restart:
	for (unsigned int l = 0; l <= 2; l++) {
		struct vmk_page *head = vmk_pmap__pv_walk_head(pa, l);

		if (!head)
			continue;
		for (struct vmk_pv *pv = vmk_pmap__pv_first(head); pv; pv = vmk_pmap__pv_next(head, pv)) {
			struct vmk_pmap *pm = vmk_pmap__pv_pmap(pv);
			vmk_vaddr_t va = pv->va_lvl & ~(vmk_vaddr_t)7;
			unsigned int lvl;
			vmk_paddr_t t;
			vmk_pte_t *p;

			if ((pv->va_lvl & 7) != l)
				continue;
			if (!pv_lock_pmap(pm, pa))
				goto restart;
			p = vmk_pmap__walk(pm, va, &lvl, &t);
			VMK_ASSERT(lvl == l, "PV entry %#llx level %u has no matching mapping",
				   (unsigned long long)va, l);
			if (l == 0)
				vmk_pmap__unfold(pm, p, va);
			if (l == 0 || vmk_pmap__demote(pm, p, va, l, NULL, true) != 0) {
				/* A 4 KiB mapping, or a block we could not demote: it goes whole. */
				vmk_pmap__remove_leaf(pm, p, va, l, t, true, NULL);
				n++;
			}
			vmk_pmap__unlock(pm);
			goto restart;	/* the lists changed */
		}
	}
	vmk_pmap__pv_unlock();
	return n;
}
