/*
 * 64 KiB contiguous runs: 16 level-0 leaves, aligned in VA and PA, with
 * one set of attributes, that the TLB may hold as one entry (arm64
 * contiguous bit, Arm ARM D8.6.1; riscv64 Svnapot). The pmap folds them
 * when it writes a whole run at once (vmk_pmap_enter_pages, demotion of
 * a 2 MiB block) and unfolds a run before any change to one of its
 * entries, so that every other path only ever sees plain leaves; the
 * hardware sets accessed/dirty in whichever entry it used, so a run's
 * state is the OR over its entries (D8.6.1, "the AF and dirty state of
 * each entry may differ"; Svnapot likewise).
 */
#include "pmap_internal.h"

#define AD_BITS	(VMK_PTE_A_ACCESSED | VMK_PTE_A_DIRTY)

/* The first entry of the run holding p: tables are page aligned, runs are 16-entry aligned. */
static const vmk_pte_t *run_of(const vmk_pte_t *p)
{
	return p - (((uintptr_t)p / sizeof(vmk_pte_t)) & (VMK_PMAP_CONT_PAGES - 1));
}

uint32_t vmk_pmap__leaf_attrs(const vmk_pte_t *p, vmk_pte_t e, unsigned int lvl)
{
	const struct vmk_pmap_arch *arch = vmk_pmap__g.arch;
	uint32_t a = arch->attrs_of(e, lvl);

	if (vmk_pmap__is_cont(e, lvl)) {
		const vmk_pte_t *run = run_of(p);

		for (unsigned int j = 0; j < VMK_PMAP_CONT_PAGES; j++)
			a |= arch->attrs_of(vmk_pmap__pte_load(&run[j]), lvl) & AD_BITS;
		if (!(a & VMK_PTE_A_WRITE))
			a &= ~(uint32_t)VMK_PTE_A_DIRTY;
	}
	return a;
}

void vmk_pmap__unfold_range(struct vmk_pmap *pm, vmk_vaddr_t sva, vmk_vaddr_t eva)
{
	vmk_vaddr_t v = sva & ~(VMK_PMAP_CONT_SIZE - 1), span = eva - v;

	if (!vmk_pmap__g.cont)
		return;	/* no run was ever made */
	/* span: eva may be 0 (2^64); offsets from v never wrap. */
	while (v - (sva & ~(VMK_PMAP_CONT_SIZE - 1)) < span) {
		vmk_vaddr_t off = v - (sva & ~(VMK_PMAP_CONT_SIZE - 1)), next;
		unsigned int lvl;
		vmk_pte_t *p = vmk_pmap__walk(pm, v, &lvl, NULL);

		if (lvl > 0) {
			next = (v & ~(VMK_PT_SIZE(lvl) - 1)) + VMK_PT_SIZE(lvl);
		} else {
			/* This level-0 table's part of the range, one run at a time. */
			vmk_vaddr_t tend = (v & ~(VMK_PT_SIZE(1) - 1)) + VMK_PT_SIZE(1);

			for (; v != tend && v - (sva & ~(VMK_PMAP_CONT_SIZE - 1)) < span;
			     v += VMK_PMAP_CONT_SIZE, p += VMK_PMAP_CONT_PAGES)
				vmk_pmap__unfold(pm, p, v);
			next = tend;
		}
		if (next - (sva & ~(VMK_PMAP_CONT_SIZE - 1)) <= off)
			break;	/* wrapped past the top */
		v = next;
	}
}

void vmk_pmap__unfold_edges(struct vmk_pmap *pm, vmk_vaddr_t sva, vmk_vaddr_t eva)
{
	vmk_vaddr_t edge[2] = { sva, eva };

	if (!vmk_pmap__g.cont)
		return;
	for (unsigned int i = 0; i < 2; i++) {
		unsigned int lvl;
		vmk_pte_t *p;

		if (!(edge[i] & (VMK_PMAP_CONT_SIZE - 1)) || (i == 1 && !vmk_pmap__va_ok(pm, edge[i])))
			continue;
		p = vmk_pmap__walk(pm, edge[i], &lvl, NULL);
		if (lvl == 0)
			vmk_pmap__unfold(pm, p, edge[i]);
	}
}
