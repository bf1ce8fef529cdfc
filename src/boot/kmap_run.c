/*
 * kmap: one run of the boot mappings with the largest leaves alignment
 * allows (1 GiB, 2 MiB, then 64 KiB runs of 4 KiB pages, then pages). A leaf never reaches outside the run, so whatever borders it
 * (no-map memory, a device, another section's protection) stays out.
 */
#include "kmap_internal.h"

#define SZ_2M	(2 * VMK_MiB)
#define SZ_64K	((vmk_size_t)64 * 1024)
#define RUN	16u	/* 4 KiB pages in 64 KiB */

/*
 * A leaf of size at off: aligned, inside the run, and not ending at 2^64
 * (the pmap takes a block's range as [va, va + size), which cannot end
 * there: the last block of the address space is mapped with 4 KiB pages).
 */
static bool fits(const struct vmk_kmap__run *r, vmk_size_t off, vmk_size_t size)
{
	return !((r->va + off) & (size - 1)) && !((r->pa + off) & (size - 1)) && r->size - off >= size &&
	       r->va + off + size != 0;
}

/* Would the loop below take a 1 GiB leaf at off? */
static bool takes_1g(const struct vmk_kmap__run *r, vmk_size_t off, bool try_1g)
{
	/*
	 * Releasable memory never gets a 1 GiB leaf: partly freeing a 1 GiB
	 * block needs two levels of spares, and 2 MiB leaves keep the spare
	 * bookkeeping to one level.
	 */
	return try_1g && fits(r, off, VMK_GiB) && !(r->releasable && r->releasable(r->ctx, r->va + off, VMK_GiB));
}

/* Is the 2 MiB block at off releasable (entered with a spare)? */
static bool releasable_2m(const struct vmk_kmap__run *r, vmk_size_t off)
{
	return r->releasable && r->releasable(r->ctx, r->va + off, SZ_2M);
}

int vmk_kmap__map_run(struct vmk_pmap *k, struct vmk_kmap__run *r, vmk_size_t *done)
{
	uint32_t base = VMK_PMAP_ENTER_NOREPLACE | VMK_PMAP_MEMTYPE(r->memtype);
	bool try_1g = true;	/* cleared when the pmap has no 1 GiB leaves (-VMK_EINVAL) */
	vmk_size_t off = 0;
	int err = 0;

	while (off < r->size) {
		vmk_vaddr_t va = r->va + off;
		vmk_paddr_t pa = r->pa + off;
		uint32_t fl = base;
		vmk_size_t step;
		int lvl;

		if (takes_1g(r, off, try_1g)) {
			err = vmk_pmap_enter_large(k, va, pa, VMK_GiB, r->prot, fl);
			if (err == -VMK_EINVAL) {
				try_1g = false;
				continue;
			}
			step = VMK_GiB;
			lvl = 2;
		} else if (fits(r, off, SZ_2M)) {
			bool rel = releasable_2m(r, off);

			/*
			 * Every 2 MiB block that follows with the same spare choice,
			 * up to the next 1 GiB leaf, in one call (all or nothing: on
			 * failure none of them is mapped, and done stops before them).
			 */
			step = SZ_2M;
			while (fits(r, off + step, SZ_2M) && !takes_1g(r, off + step, try_1g) &&
			       releasable_2m(r, off + step) == rel)
				step += SZ_2M;
			if (rel)
				fl |= VMK_PMAP_ENTER_KEEP_SPARE;
			err = vmk_pmap_enter_blocks(k, va, pa, step, SZ_2M, r->prot, fl);
			lvl = 1;
		} else if (fits(r, off, SZ_64K)) {
			/*
			 * 16 pages in one call: where the MMU has 64 KiB runs (arm64
			 * contiguous bit, riscv64 Svnapot) the pmap folds them into
			 * one, which the TLB holds as one entry. The range must be
			 * unmapped, as NOREPLACE asks.
			 */
			vmk_paddr_t pas[RUN];

			for (unsigned int i = 0; i < RUN; i++)
				pas[i] = pa + (vmk_paddr_t)i * VMK_PAGE_SIZE;
			err = vmk_pmap_enter_pages(k, va, pas, RUN, r->prot, fl & ~(uint32_t)VMK_PMAP_ENTER_NOREPLACE);
			step = SZ_64K;
			lvl = 0;
		} else {
			err = vmk_pmap_enter(k, va, pa, r->prot, fl);
			step = VMK_PAGE_SIZE;
			lvl = 0;
		}
		if (err)
			break;
		r->leaves[lvl] += lvl == 0 ? step / VMK_PAGE_SIZE : lvl == 1 ? step / SZ_2M : 1;
		off += step;
	}
	*done = off;
	return err;
}
