/*
 * The spares of a 1 GiB kernel block entered with KEEP_SPARE.
 *
 * KEEP_SPARE promises that the block can be cut anywhere without
 * allocating (kmem_bootstrap_free frees boot mappings piecewise where
 * nothing may be allocated). Cutting one 4 KiB page out of a 1 GiB block
 * demotes two levels, 1 GiB -> 2 MiB -> 4 KiB, so one spare is not
 * enough: besides its own, the block gets one for each of its 512 2 MiB
 * pieces, dormant until a demotion makes the piece a block again. That
 * is what a 1 GiB block promoted from 512 KEEP_SPARE 2 MiB blocks has,
 * at the same cost (513 PTPs, 1/512 of the block): the demotion gives
 * each piece that has its spare the keep-spare mark (promote.c), and a
 * removal of the whole block frees the dormant ones (remove.c).
 */
#include "pmap_internal.h"

int vmk_pmap__piece_spares_alloc(struct vmk_pmap *pm, struct vmk_page **list)
{
	*list = NULL;
	for (unsigned int i = 0; i < VMK_PT_ENTRIES; i++) {
		struct vmk_page *pg = vmk_pmap__ptp_alloc(pm, "pmap.spare");

		if (!pg) {
			vmk_pmap__piece_spares_free(pm, list);
			return -VMK_ENOMEM;
		}
		/* Linked through owner until inserted. */
		pg->owner = (uint64_t)(uintptr_t)*list;
		*list = pg;
	}
	return 0;
}

void vmk_pmap__piece_spares_free(struct vmk_pmap *pm, struct vmk_page **list)
{
	while (*list) {
		struct vmk_page *pg = *list;

		*list = (struct vmk_page *)(uintptr_t)pg->owner;
		vmk_pmap__ptp_free(pm, pg);
	}
}

void vmk_pmap__piece_spares_insert(struct vmk_pmap *pm, vmk_vaddr_t va, struct vmk_page **list)
{
	for (unsigned int i = 0; i < VMK_PT_ENTRIES && *list; i++) {
		vmk_vaddr_t v = va + (vmk_vaddr_t)i * VMK_PT_SIZE(1);
		struct vmk_page *pg = *list;

		if (vmk_pmap__spare_has(pm, v, 1))
			continue;	/* never: no block lay under the new one (kept for robustness) */
		*list = (struct vmk_page *)(uintptr_t)pg->owner;
		pg->owner = 0;
		vmk_pmap__spare_insert(pm, v, 1, pg, true);
	}
	vmk_pmap__piece_spares_free(pm, list);
}
