/*
 * Reading and writing kernel virtual memory from the core: each page is
 * translated through the kernel pmap and reached through the direct map
 * (in the simulator, kernel addresses are not host addresses).
 */
#include <vmkit/pmap.h>
#include "preload_internal.h"

int vmk_preload__kva_copy(void *dst, vmk_vaddr_t dva, const void *src, vmk_vaddr_t sva, vmk_size_t len)
{
	struct vmk_pmap *k = vmk_pmap_kernel();

	while (len > 0) {
		vmk_size_t n = len;
		uint8_t *d = dst, *s = (uint8_t *)(uintptr_t)src;
		struct vmk_pmap_mapping m;

		if (!dst) {
			if (vmk_pmap_extract(k, dva, &m) || !(d = vmk_phys_to_virt(m.pa)))
				return -VMK_EFAULT;
			n = VMK_MIN(n, VMK_PAGE_SIZE - (dva & VMK_PAGE_MASK));
		}
		if (!src) {
			if (vmk_pmap_extract(k, sva, &m) || !(s = vmk_phys_to_virt(m.pa)))
				return -VMK_EFAULT;
			n = VMK_MIN(n, VMK_PAGE_SIZE - (sva & VMK_PAGE_MASK));
		}
		vmk_memmove(d, s, (size_t)n);
		if (dst)
			dst = (uint8_t *)dst + n;
		else
			dva += n;
		if (src)
			src = (const uint8_t *)src + n;
		else
			sva += n;
		len -= n;
	}
	return 0;
}
