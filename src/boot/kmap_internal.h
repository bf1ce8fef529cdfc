/* kmap internals shared by kmap_image.c and kmap_direct.c (names vmk_kmap__). */
#ifndef VMKIT_KMAP_INTERNAL_H
#define VMKIT_KMAP_INTERNAL_H

#include <vmkit/kmap.h>

/* One run of equal protection and memory type, mapped with the largest leaves that fit. */
struct vmk_kmap__run {
	vmk_vaddr_t va;
	vmk_paddr_t pa;
	vmk_size_t size;
	uint32_t prot;
	enum vmk_memtype memtype;
	/*
	 * Optional: true if the large leaf at [va, va + len) of the run may
	 * later be partly freed (it then keeps a spare PTP and is never 1 GiB).
	 */
	bool (*releasable)(const void *ctx, vmk_vaddr_t va, vmk_size_t len);
	const void *ctx;
	uint64_t leaves[3];	/* out: 4 KiB, 2 MiB, 1 GiB leaves made */
};

/*
 * Map the run (NOREPLACE). Returns 0, or an error with *done bytes of the
 * run mapped from its start (the caller unmaps them).
 */
int vmk_kmap__map_run(struct vmk_pmap *k, struct vmk_kmap__run *r, vmk_size_t *done);

#endif
