/*
 * kmap: the mapping report, from a walk of the page tables
 * (vmk_pmap_walk). A list of what was requested would say what the boot
 * meant to map; the tables say what the MMU will use, which is what a
 * W^X check must look at.
 */
#include "kmap_internal.h"

struct rep {
	struct vmk_kmap_report *r;
	vmk_vaddr_t sva, elast;		/* inclusive last address */
};

static int leaf(void *ctx, vmk_vaddr_t va, const struct vmk_pmap_mapping *m)
{
	struct rep *p = ctx;
	struct vmk_kmap_report *r = p->r;
	vmk_vaddr_t first = VMK_MAX(va, p->sva), last = VMK_MIN(va + (m->size - 1), p->elast);
	vmk_size_t bytes = last - first + 1;
	size_t i;

	r->leaves++;
	r->bytes += bytes;
	if (m->user)
		r->user_leaves++;
	if ((m->prot & VMK_PROT_WRITE) && (m->prot & VMK_PROT_EXEC)) {
		if (!r->wx_leaves)
			r->wx_first = va;
		r->wx_leaves++;
		r->wx_bytes += bytes;
	}
	for (i = 0; i < r->ncls; i++)
		if (r->cls[i].page_size == m->size && r->cls[i].prot == m->prot && r->cls[i].memtype == m->memtype)
			break;
	if (i == r->ncls) {
		if (r->ncls == VMK_KMAP_MAX_CLASSES)
			return 0;	/* counted in leaves and bytes only */
		r->cls[r->ncls++] = (struct vmk_kmap_class){ m->size, m->prot, m->memtype, 0, 0 };
	}
	r->cls[i].leaves++;
	r->cls[i].bytes += bytes;
	return 0;
}

int vmk_kmap_report(struct vmk_pmap *pmap, vmk_vaddr_t sva, vmk_vaddr_t eva, struct vmk_kmap_report *r)
{
	struct rep p = { r, sva, eva - 1 };
	int err;

	if (!pmap || !r || (eva && eva <= sva))
		return -VMK_EINVAL;
	vmk_memset(r, 0, sizeof(*r));
	err = vmk_pmap_walk(pmap, sva, eva, leaf, &p);
	if (err)
		return err;
	return r->wx_leaves ? 1 : 0;
}
