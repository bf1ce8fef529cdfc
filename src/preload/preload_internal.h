/* preload internals shared by the files of src/preload. Not a public header. */
#ifndef VMKIT_PRELOAD_INTERNAL_H
#define VMKIT_PRELOAD_INTERNAL_H

#include <vmkit/preload.h>

/* Mark every record of file f EMPTY. */
void vmk_preload__clear(struct vmk_preload *pl, vmk_preload_file f);

/*
 * Copy len bytes: a NULL dst means "kernel address dva", a NULL src
 * "kernel address sva" (translated page by page through the kernel pmap
 * and the direct map); otherwise plain pointers. Returns 0 or -VMK_EFAULT
 * (an address is not mapped).
 */
int vmk_preload__kva_copy(void *dst, vmk_vaddr_t dva, const void *src, vmk_vaddr_t sva, vmk_size_t len);

#endif
