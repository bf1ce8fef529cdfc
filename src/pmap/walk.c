/*
 * vmk_pmap_walk: every leaf of an address range, read from the tables in
 * address order. Reports and checks (W^X, mappings by size) must see
 * what the page tables hold, not what a caller meant to map, and an
 * address space is far too large to probe page by page.
 */
#include "pmap_internal.h"

struct walk {
	struct vmk_pmap *pm;
	vmk_vaddr_t sva, elast;		/* inclusive last address: the range may end at 2^64 */
	int (*fn)(void *ctx, vmk_vaddr_t va, const struct vmk_pmap_mapping *m);
	void *ctx;
};

static int walk(struct walk *w, vmk_paddr_t t, unsigned int lvl, vmk_vaddr_t base)
{
	vmk_pte_t *tbl = vmk_pmap__table(t);
	bool shared_top = !w->pm->kernel && !vmk_pmap__g.arch->split_roots && lvl == vmk_pmap__g.top;

	for (unsigned int i = 0; i < VMK_PT_ENTRIES; i++) {
		vmk_pte_t e = vmk_pmap__pte_load(&tbl[i]);
		vmk_vaddr_t va = base + ((vmk_vaddr_t)i << VMK_PT_SHIFT(lvl));
		vmk_vaddr_t last;
		int r;

		if (lvl == vmk_pmap__g.top && w->pm->kernel) {
			/* The kernel's root covers the top of the address space: sign-extend. */
			if (vmk_pmap__g.arch->split_roots)
				va |= ~(vmk_vaddr_t)0 << vmk_pmap__g.va_bits;
			else if (va >> (vmk_pmap__g.va_bits - 1))
				va |= ~(vmk_vaddr_t)0 << (vmk_pmap__g.va_bits - 1);
		}
		last = va + (VMK_PT_SIZE(lvl) - 1);
		if (last < w->sva || va > w->elast)
			continue;
		if (!vmk_pmap__g.arch->is_valid(e, lvl) || (shared_top && i >= VMK_PT_ENTRIES / 2))
			continue;
		if (vmk_pmap__g.arch->is_table(e, lvl)) {
			r = walk(w, vmk_pmap__g.arch->pa_of(e, lvl), lvl - 1, va);
		} else {
			struct vmk_pmap_mapping m;

			vmk_pmap__mapping_at(&tbl[i], e, lvl, va, &m);
			if (vmk_pmap__g.marks)
				m.nopromote = vmk_pmap__np(w->pm, va, lvl, t);
			r = w->fn(w->ctx, va, &m);
		}
		if (r)
			return r;
	}
	return 0;
}

int vmk_pmap_walk(struct vmk_pmap *pm, vmk_vaddr_t sva, vmk_vaddr_t eva,
		  int (*fn)(void *ctx, vmk_vaddr_t va, const struct vmk_pmap_mapping *m), void *ctx)
{
	struct walk w = { pm, sva, eva - 1, fn, ctx };
	int r;

	if (!pm || !fn || (eva && eva <= sva))
		return -VMK_EINVAL;
	vmk_pmap__lock(pm);
	r = walk(&w, pm->root, vmk_pmap__g.top, 0);
	vmk_pmap__unlock(pm);
	return r;
}
