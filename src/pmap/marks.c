/*
 * Per-entry no-promote marks kept by address, for a descriptor format
 * with no software bit left for them (riscv64: RSW 9:8 hold wired and
 * managed; every other spare bit is reserved and page-faults).
 *
 * A leaf entered with VMK_PMAP_ENTER_NOPROMOTE must behave as on x86-64
 * and arm64, where the mark is a bit of the entry: never promoted or
 * demoted, never replaced or updated through a break, reported by
 * extract and dump, gone with the entry. Here the mark of entry idx of a
 * page-table page is bit idx of a marks page hung off that PTP's record
 * (owner; the page then keeps the table's spares directory, which owner
 * holds otherwise: spare.c). The page exists only
 * while one of its bits is set: it is taken before the enter changes
 * anything (so the enter fails whole with -VMK_ENOMEM) and freed when the
 * last mark goes, by a removal, which never allocates. A table with
 * marks is never promoted, so a table becoming a spare or being freed
 * has none.
 *
 * The no-promote ranges of vmk_pmap_protect_bbm are kept by address on
 * every architecture (bbm_ranges.c) and need no mark: a leaf in one is
 * no-promote (vmk_pmap__np).
 *
 * The keep-spare mark of a kernel block is kept with the block's spare
 * PTP, which such a block always has (a flag in its record, ptp.c): it
 * is set where the bit would be written (vmk_pmap_enter_large with
 * KEEP_SPARE, a demotion giving it to the pieces that have their spare,
 * a promotion of marked pieces) and goes with the spare, taken by the
 * demotion or removal of the block. Demotion never allocates for it.
 */
#include "pmap_internal.h"

struct marks {
	uint64_t bits[VMK_PT_ENTRIES / 64];
	uint32_t count;
	uint64_t *spares;	/* the table's spares directory while it has marks (spare.c) */
};

static struct marks *marks_of(struct vmk_page *mp)
{
	return (struct marks *)(void *)vmk_pmap__table(vmk_page_to_pa(mp));
}

/* The marks page of the table at t, or NULL. */
static struct vmk_page *page_of(vmk_paddr_t t)
{
	struct vmk_page *pg = vmk_pa_to_page(t);

	return pg && !(pg->owner & VMK_PMAP_OWNER_DIR) ? (struct vmk_page *)(uintptr_t)pg->owner : NULL;
}

uint64_t **vmk_pmap__marks_spares(struct vmk_page *mp)
{
	return &marks_of(mp)->spares;
}

struct vmk_page *vmk_pmap__marks_alloc(struct vmk_pmap *pm)
{
	return vmk_pmap__ptp_alloc(pm, "pmap.marks");
}

void vmk_pmap__marks_put(struct vmk_pmap *pm, struct vmk_page **mp)
{
	if (*mp)
		vmk_pmap__ptp_free(pm, *mp);
	*mp = NULL;
}

bool vmk_pmap__mark_test(vmk_paddr_t t, unsigned int idx)
{
	struct vmk_page *mp = page_of(t);

	return mp && (marks_of(mp)->bits[idx / 64] >> (idx % 64) & 1);
}

bool vmk_pmap__marks_any(vmk_paddr_t t)
{
	return page_of(t) != NULL;
}

void vmk_pmap__mark_set(vmk_paddr_t t, unsigned int first, unsigned int n, struct vmk_page **mp)
{
	struct vmk_page *pg = vmk_pa_to_page(t);
	struct marks *m;

	VMK_ASSERT(pg, "marks for a table %#llx with no page record", (unsigned long long)t);
	if (!pg->owner || (pg->owner & VMK_PMAP_OWNER_DIR)) {
		VMK_ASSERT(*mp, "no marks page for the table at %#llx", (unsigned long long)t);
		marks_of(*mp)->spares = (uint64_t *)(uintptr_t)(pg->owner & ~VMK_PMAP_OWNER_DIR);
		pg->owner = (uint64_t)(uintptr_t)*mp;
		*mp = NULL;
	}
	m = marks_of((struct vmk_page *)(uintptr_t)pg->owner);
	for (unsigned int i = first; i < first + n; i++) {
		uint64_t bit = 1ull << (i % 64);

		if (!(m->bits[i / 64] & bit)) {
			m->bits[i / 64] |= bit;
			m->count++;
		}
	}
}

void vmk_pmap__mark_clear(struct vmk_pmap *pm, vmk_paddr_t t, unsigned int first, unsigned int n)
{
	struct vmk_page *pg = vmk_pa_to_page(t), *mp;
	struct marks *m;

	if (!pg || !pg->owner || (pg->owner & VMK_PMAP_OWNER_DIR))
		return;
	mp = (struct vmk_page *)(uintptr_t)pg->owner;
	m = marks_of(mp);
	for (unsigned int i = first; i < first + n; i++) {
		uint64_t bit = 1ull << (i % 64);

		if (m->bits[i / 64] & bit) {
			m->bits[i / 64] &= ~bit;
			m->count--;
		}
	}
	if (m->count == 0) {
		pg->owner = m->spares ? (uint64_t)(uintptr_t)m->spares | VMK_PMAP_OWNER_DIR : 0;
		vmk_pmap__ptp_free(pm, mp);
	}
}

unsigned int vmk_pmap__marks_count(vmk_paddr_t t)
{
	struct vmk_page *mp = page_of(t);

	return mp ? marks_of(mp)->count : 0;
}

bool vmk_pmap__np(struct vmk_pmap *pm, vmk_vaddr_t va, unsigned int lvl, vmk_paddr_t t)
{
	va &= ~(VMK_PT_SIZE(lvl) - 1);
	if (vmk_pmap__in_np(pm, va, VMK_PT_SIZE(lvl)))
		return true;
	if (!t && !vmk_pmap__entry_at(pm, va, lvl, &t))
		return false;
	return vmk_pmap__mark_test(t, VMK_PT_INDEX(va, lvl));
}

uint32_t vmk_pmap__marks_of(struct vmk_pmap *pm, vmk_vaddr_t va, unsigned int lvl, vmk_paddr_t t)
{
	uint32_t a = 0;

	va &= ~(VMK_PT_SIZE(lvl) - 1);
	if (vmk_pmap__np(pm, va, lvl, t))
		a |= VMK_PTE_A_NOPROMOTE;
	if (lvl > 0 && pm->kernel && vmk_pmap__spare_keep(pm, va, lvl))
		a |= VMK_PTE_A_KEEPSPARE;
	return a;
}
