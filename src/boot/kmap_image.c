/*
 * kmap: the kernel image by section, W^X. Sections of equal protection
 * are mapped as one run so that large leaves can span them (data, bss
 * and the preloaded files after them are usually one writable run);
 * a large leaf that touches a releasable section keeps a spare
 * page-table page, so that vmk_kmem_bootstrap_free() can later demote it
 * without allocating.
 */
#include "kmap_internal.h"

struct image {
	vmk_vaddr_t va;
	const struct vmk_kmap_section *s;
	size_t n;
};

/* Does [va, va + len) overlap a section flagged releasable? */
static bool releasable(const void *ctx, vmk_vaddr_t va, vmk_size_t len)
{
	const struct image *im = ctx;
	vmk_vaddr_t at = im->va;

	for (size_t i = 0; i < im->n; at += im->s[i].size, i++)
		/* inclusive ends: a section or leaf may end at 2^64 */
		if ((im->s[i].flags & VMK_KMAP_RELEASABLE) && im->s[i].size && at <= va + (len - 1) &&
		    va <= at + (im->s[i].size - 1))
			return true;
	return false;
}

static int check(vmk_vaddr_t va, vmk_paddr_t pa, const struct vmk_kmap_section *s, size_t n, vmk_size_t *total)
{
	vmk_size_t sum = 0;

	if ((va | pa) & (VMK_PAGE_SIZE - 1) || (n && !s))
		return -VMK_EINVAL;
	for (size_t i = 0; i < n; i++) {
		if ((s[i].prot & VMK_PROT_WRITE) && (s[i].prot & VMK_PROT_EXEC))
			return -VMK_EINVAL;	/* W^X is a rule, not a default */
		if ((s[i].size & (VMK_PAGE_SIZE - 1)) || s[i].size > ~sum)
			return -VMK_EINVAL;
		sum += s[i].size;
	}
	if ((sum && va + sum - 1 < va) || (sum && pa + sum - 1 < pa))
		return -VMK_EINVAL;
	*total = sum;
	return 0;
}

int vmk_kmap_image(struct vmk_pmap *kernel, vmk_vaddr_t va, vmk_paddr_t pa,
		   const struct vmk_kmap_section *s, size_t n)
{
	struct image im = { va, s, n };
	vmk_size_t total, off = 0;
	int err;

	if (!kernel)
		return -VMK_EINVAL;
	err = check(va, pa, s, n, &total);
	if (err)
		return err;
	for (size_t i = 0; i < n;) {
		struct vmk_kmap__run r;
		vmk_size_t done;
		size_t j = i + 1;

		if (!s[i].size) {
			i++;
			continue;
		}
		vmk_memset(&r, 0, sizeof(r));
		r.va = va + off;
		r.pa = pa + off;
		r.size = s[i].size;
		r.prot = s[i].prot;
		r.memtype = VMK_MEMTYPE_WB;
		r.releasable = releasable;
		r.ctx = &im;
		for (; j < n && (!s[j].size || s[j].prot == s[i].prot); j++)
			r.size += s[j].size;
		err = vmk_kmap__map_run(kernel, &r, &done);
		if (err) {
			/* Only what this call mapped: the range was empty (NOREPLACE). */
			if (off + done)
				vmk_pmap_remove(kernel, va, va + off + done);
			return err;
		}
		off += r.size;
		i = j;
	}
	return 0;
}
