/*
 * The page-fault handler's accessed/dirty entry point, for MMUs that do
 * not update those bits themselves: riscv64 with Svade (an access with
 * A = 0 or a store with D = 0 page-faults) and arm64 without FEAT_HAFDBS
 * (AF = 0 faults; a writable-clean page is read-only until software
 * makes it dirty). The fault is resolved on the one leaf, without a full
 * re-enter: no PV or table work, no break-before-make (only permission-
 * class bits change).
 */
#include "pmap_internal.h"

int vmk_pmap_fault_ad(struct vmk_pmap *pm, vmk_vaddr_t va, uint32_t prot, bool user)
{
	const struct vmk_pmap_arch *arch = vmk_pmap__g.arch;
	unsigned int lvl;
	vmk_pte_t *p, cur;
	uint32_t a, want;
	int r = 0;

	if (!pm || !vmk_pmap__va_ok(pm, va) ||
	    (prot & ~(uint32_t)(VMK_PROT_READ | VMK_PROT_WRITE | VMK_PROT_EXEC)))
		return -VMK_EINVAL;
	vmk_pmap__lock(pm);
	p = vmk_pmap__walk(pm, va, &lvl, NULL);
	cur = p ? vmk_pmap__pte_load(p) : 0;
	if (!p || !vmk_pmap__is_leaf(cur, lvl)) {
		r = -VMK_ENOENT;
		goto out;
	}
	a = arch->attrs_of(cur, lvl);
	/*
	 * A real protection fault is the caller's, not ours to hide; refused
	 * before anything changes (a run's entries share their permissions).
	 */
	if ((user && !(a & VMK_PTE_A_USER)) || ((prot & VMK_PROT_WRITE) && !(a & VMK_PTE_A_WRITE)) ||
	    ((prot & VMK_PROT_EXEC) && (a & (user ? VMK_PTE_A_UXN : VMK_PTE_A_PXN)))) {
		r = -VMK_EACCES;
		goto out;
	}
	/* Setting A/D in one entry of a run is a change to the run: it becomes plain leaves. */
	if (vmk_pmap__is_cont(cur, lvl)) {
		vmk_pmap__unfold(pm, p, va);
		cur = vmk_pmap__pte_load(p);
	}
	want = VMK_PTE_A_ACCESSED | ((prot & VMK_PROT_WRITE) ? VMK_PTE_A_DIRTY : 0);
	/* Keep what the other CPUs (or a hardware updater) set meanwhile: CAS on the attributes read. */
	while ((arch->attrs_of(cur, lvl) & want) != want &&
	       !vmk_pmap__pte_cas(p, &cur, vmk_pmap__leaf_rebuild(cur, lvl, arch->attrs_of(cur, lvl) | want)))
		;
	/*
	 * The faulting translation may be cached (arm64 keeps a read-only
	 * TLB entry for a clean page; riscv64 may cache an A = 0 one): drop
	 * this one leaf, or the access faults again.
	 */
	vmk_pmap__tlb_page(pm, va & ~(VMK_PT_SIZE(lvl) - 1), VMK_PT_SIZE(lvl), true);
out:
	vmk_pmap__unlock(pm);
	return r;
}
