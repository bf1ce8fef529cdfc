/*
 * Bad frames: never handed out, reported. A free frame leaves its buddy
 * block (the block splits around it) or its NOFREE run at once; a frame
 * in use is flagged and turns BAD when it is freed.
 */
#include "phys_internal.h"

int vmk_phys_add_bad(vmk_paddr_t pa)
{
	struct vmk_page *p = vmk_pa_to_page(pa);
	struct vmk_phys_seg *s;
	struct vmk_phys_domain *dm;
	unsigned int st;
	int err = 0;

	if (!p)
		return -VMK_ENOENT;
	s = pg_seg(p);
	dm = &G.dom[s->domain];
	dom_lock(dm);
	st = pg_state(p);
	if (st == VMK_PAGE_BAD || (pg_flags(p) & VMK_PGF_BADPEND)) {
		err = -VMK_EEXIST;
	} else if (st == VMK_PAGE_FREE) {
		vmk_phys__extract(s, pg_pfn(p));
		vmk_phys__set_state(p, 1, VMK_PAGE_FREE, VMK_PAGE_BAD, dm->count);
	} else if (st == VMK_PAGE_NOFREE_POOL) {
		vmk_phys__nofree_extract(s, pg_pfn(p));
		p->aux = 0;
		vmk_phys__set_state(p, 1, VMK_PAGE_NOFREE_POOL, VMK_PAGE_BAD, dm->count);
	} else if (st == VMK_PAGE_PCPU) {
		if (!vmk_phys__pcpu_remove_bad(p))
			err = -VMK_EBUSY;
	} else {
		/* ALLOC, PTP, NOFREE, RESERVED: BAD when freed. */
		pg_set_flags(p, pg_flags(p) | VMK_PGF_BADPEND);
	}
	dom_unlock(dm);
	if (err == 0)
		vmk_log(VMK_LOG_WARN, "phys: frame %llx marked bad (%s)", (unsigned long long)pa,
			st == VMK_PAGE_FREE || st == VMK_PAGE_NOFREE_POOL || st == VMK_PAGE_PCPU ?
			"withdrawn" : "when freed");
	return err;
}
