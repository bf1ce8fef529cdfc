/*
 * The security properties of leaves, which vmk_pmap_check verifies and
 * vmk_pmap_enter* enforce where the caller asks for the mapping:
 *  - kernel W^X: no kernel leaf is both writable and executable
 *    (!PXN), except inside a range the kernel declared with
 *    vmk_pmap_allow_wx (a trampoline patched while it runs, say);
 *  - a kernel leaf is never executable from user mode (UXN; x86-64 and
 *    riscv64 give U=0 pages no user access at all);
 *  - a user leaf is never executable by the kernel (PXN): arm64 sets
 *    PXN on every user page; x86-64 user pages have U=1, so SMEP keeps
 *    supervisor fetches off them; riscv64 S-mode cannot execute U pages
 *    (the ISA; SUM opens them to data accesses only). The decoders give
 *    such leaves PXN, so the one rule holds on every architecture;
 *  - a user leaf maps normal write-back memory, or another memory type
 *    (device registers, uncached, write-combining) only inside a device
 *    window the pmap's owner declared with vmk_pmap_allow_device: enters
 *    elsewhere are refused, so device memory reaches user space only
 *    through that explicit call.
 */
#include "pmap_internal.h"

/*
 * Whether [va, va + size) lies inside the union of pm's ranges of kind
 * what: adjacent ranges cover a block together (a 2 MiB block promoted
 * from pages of two neighbouring windows is as allowed as its pages).
 * Each step moves va past a range that ends below the last byte, so no
 * range is used twice.
 */
static bool in_allowed(const struct vmk_pmap *pm, uint32_t what, vmk_vaddr_t va, vmk_size_t size)
{
	vmk_vaddr_t last = va + (size - 1);
	/*
	 * Enters check without the pmap lock: ranges are only ever added, each
	 * written before the count that publishes it (release in allow()).
	 */
	unsigned int n = __atomic_load_n(&pm->nallow, __ATOMIC_ACQUIRE);

	for (;;) {
		unsigned int i;

		for (i = 0; i < n; i++)
			if (pm->allow[i].what == what && pm->allow[i].va <= va && va <= pm->allow[i].last)
				break;
		if (i == n)
			return false;
		if (last <= pm->allow[i].last)
			return true;
		va = pm->allow[i].last + 1;
	}
}

static int allow(struct vmk_pmap *pm, uint32_t what, vmk_vaddr_t va, vmk_size_t size)
{
	int r = 0;

	if (size == 0 || ((va | size) & VMK_PAGE_MASK) || va + (size - 1) < va)
		return -VMK_EINVAL;
	vmk_pmap__lock(pm);
	if (pm->nallow == VMK_PMAP_MAX_ALLOW) {
		r = -VMK_ENOSPC;
	} else {
		pm->allow[pm->nallow].va = va;
		pm->allow[pm->nallow].last = va + (size - 1);
		pm->allow[pm->nallow].what = what;
		__atomic_store_n(&pm->nallow, pm->nallow + 1, __ATOMIC_RELEASE);
	}
	vmk_pmap__unlock(pm);
	return r;
}

int vmk_pmap_allow_wx(struct vmk_pmap *kernel, vmk_vaddr_t va, vmk_size_t size)
{
	if (!kernel || !kernel->kernel)
		return -VMK_EINVAL;
	return allow(kernel, VMK_PMAP_ALLOW_WX, va, size);
}

int vmk_pmap_allow_device(struct vmk_pmap *user, vmk_vaddr_t va, vmk_size_t size)
{
	if (!user || user->kernel)
		return -VMK_EINVAL;
	return allow(user, VMK_PMAP_ALLOW_DEVICE, va, size);
}

bool vmk_pmap__memtype_ok(const struct vmk_pmap *pm, vmk_vaddr_t va, vmk_size_t size, uint32_t flags)
{
	enum vmk_memtype mt = (enum vmk_memtype)((flags >> VMK_PMAP_ENTER_MT_SHIFT) & 0xff);

	return pm->kernel || mt == VMK_MEMTYPE_WB || in_allowed(pm, VMK_PMAP_ALLOW_DEVICE, va, size);
}

const char *vmk_pmap__leaf_insecure(const struct vmk_pmap *pm, vmk_vaddr_t va, vmk_size_t size, uint32_t a)
{
	if (pm->kernel) {
		if ((a & VMK_PTE_A_WRITE) && !(a & VMK_PTE_A_PXN) && !in_allowed(pm, VMK_PMAP_ALLOW_WX, va, size))
			return "writable and executable kernel";
		if (!(a & VMK_PTE_A_UXN))
			return "user-executable kernel";
		return NULL;
	}
	if (!(a & VMK_PTE_A_PXN))
		return "kernel-executable (no PXN) user";
	if (VMK_PTE_A_MT_OF(a) != VMK_MEMTYPE_WB && !in_allowed(pm, VMK_PMAP_ALLOW_DEVICE, va, size))
		return "non-write-back (device) user";
	return NULL;
}
