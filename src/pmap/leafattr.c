/*
 * The machine-independent attribute set of a new leaf (VMK_PTE_A_*) from
 * the caller's protection and enter flags, and the cached 4 KiB leaf and
 * 2 MiB block templates built from it.
 */
#include "pmap_internal.h"

uint32_t vmk_pmap__attrs(struct vmk_pmap *pm, uint32_t prot, uint32_t flags)
{
	uint32_t a = VMK_PTE_A_MT((flags >> VMK_PMAP_ENTER_MT_SHIFT) & 7) | VMK_PTE_A_ACCESSED;

	if (prot & VMK_PROT_WRITE)
		a |= VMK_PTE_A_WRITE;
	if (pm->kernel) {
		a |= VMK_PTE_A_UXN | VMK_PTE_A_GLOBAL;
		if (!(prot & VMK_PROT_EXEC))
			a |= VMK_PTE_A_PXN;
	} else {
		a |= VMK_PTE_A_USER | VMK_PTE_A_PXN;
		if (!(prot & VMK_PROT_EXEC))
			a |= VMK_PTE_A_UXN;
	}
	if (flags & VMK_PMAP_ENTER_WIRED)
		a |= VMK_PTE_A_WIRED;
	if (flags & VMK_PMAP_ENTER_MANAGED)
		a |= VMK_PTE_A_MANAGED;
	if (flags & VMK_PMAP_ENTER_NOPROMOTE)
		a |= VMK_PTE_A_NOPROMOTE;
	if ((flags & VMK_PMAP_ENTER_KEEP_SPARE) && pm->kernel)
		a |= VMK_PTE_A_KEEPSPARE;
	/* Unmanaged pages are not tracked: pre-dirty them so the MMU never writes. */
	if ((prot & VMK_PROT_WRITE) && (!(flags & VMK_PMAP_ENTER_MANAGED) || (flags & VMK_PMAP_ENTER_DIRTY)))
		a |= VMK_PTE_A_DIRTY;
	return a & vmk_pmap__g.attr_mask;
}

vmk_pte_t vmk_pmap__tmpl_make(struct vmk_pmap *pm, struct vmk_pmap__tmpl *t, unsigned int lvl, uint32_t prot,
			      uint32_t flags)
{
	t->a = vmk_pmap__attrs(pm, prot, flags);
	t->pte = vmk_pmap__g.arch->make_leaf(0, lvl, t->a);
	t->prot = prot;
	t->flags = flags;
	return t->pte;
}
