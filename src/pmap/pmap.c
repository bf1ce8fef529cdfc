/*
 * pmap life cycle: bootstrap of the kernel pmap, user pmap creation and
 * destruction, ASIDs/PCIDs, activation, address checks and counters.
 */
#include "pmap_internal.h"

struct vmk_pmap_global vmk_pmap__g;

/* End of the user half. */
static vmk_vaddr_t user_end(void)
{
	return (vmk_vaddr_t)1 << (vmk_pmap__g.arch->split_roots ? vmk_pmap__g.va_bits : vmk_pmap__g.va_bits - 1);
}

/* Free every kernel PTP under the table at t (level lvl); bootstrap failure only. */
static void free_tree(struct vmk_pmap *pm, vmk_paddr_t t, unsigned int lvl)
{
	vmk_pte_t *tbl = vmk_pmap__table(t);

	for (unsigned int i = 0; lvl > 0 && i < VMK_PT_ENTRIES; i++) {
		vmk_pte_t e = vmk_pmap__pte_load(&tbl[i]);

		if (vmk_pmap__g.arch->is_table(e, lvl)) {
			free_tree(pm, vmk_pmap__g.arch->pa_of(e, lvl), lvl - 1);
			vmk_pmap__ptp_free(pm, vmk_pa_to_page(vmk_pmap__g.arch->pa_of(e, lvl)));
		}
	}
}

int vmk_pmap_bootstrap(const struct vmk_pmap_config *cfg)
{
	const struct vmk_pmap_arch *a = cfg ? vmk_pmap__arch(cfg->arch) : NULL;
	struct vmk_pmap *k = &vmk_pmap__g.kpmap;
	struct vmk_page *root, *empty = NULL;
	unsigned int levels, vabits;
	vmk_vaddr_t kmin, top_size;

	if (!a)
		return -VMK_EINVAL;
	levels = cfg->levels ? cfg->levels : a->default_levels;
	if (levels < a->min_levels || levels > a->max_levels)
		return -VMK_EINVAL;
	vabits = 12 + 9 * levels;
	kmin = ~(vmk_vaddr_t)0 << (a->split_roots ? vabits : vabits - 1);
	if (cfg->kva_start >= cfg->kva_end - 1 || cfg->kva_start < kmin ||
	    (cfg->kva_start & VMK_PAGE_MASK) || (cfg->kva_end & VMK_PAGE_MASK) ||
	    cfg->asid_bits > 16 || (cfg->arch == VMK_PMAP_ARCH_X86_64 && cfg->asid_bits > 12))
		return -VMK_EINVAL;
	/* Checked before anything is reset: a bad tmp_va leaves the current kernel pmap as it is. */
	if (cfg->tmp_va && ((cfg->tmp_va & VMK_PAGE_MASK) || cfg->tmp_va < cfg->kva_start ||
			    cfg->tmp_va > cfg->kva_end - 1))
		return -VMK_EINVAL;

	vmk_memset(&vmk_pmap__g, 0, sizeof(vmk_pmap__g));
	vmk_pmap__g.arch = a;
	vmk_pmap__g.cfg = *cfg;
	vmk_pmap__g.levels = levels;
	vmk_pmap__g.top = levels - 1;
	vmk_pmap__g.va_bits = vabits;
	vmk_pmap__g.block_levels = a->block_levels & (cfg->large_1g ? ~0u : ~(1u << 2));
	vmk_pmap__g.attr_mask = ~0u;
	if (cfg->arch == VMK_PMAP_ARCH_X86_64 && !cfg->nx)
		vmk_pmap__g.attr_mask &= ~(uint32_t)(VMK_PTE_A_UXN | VMK_PTE_A_PXN);
	vmk_pmap__g.attr_mask &= ~a->no_attrs;
	/* riscv64 without Svpbmt: PBMT bits are reserved, every mapping takes the PMA's type. */
	if (cfg->arch == VMK_PMAP_ARCH_RISCV64 && cfg->no_svpbmt)
		vmk_pmap__g.attr_mask &= ~(uint32_t)VMK_PTE_A_MT_MASK;
	vmk_pmap__g.promote = !cfg->no_promote;
	vmk_pmap__g.marks = (a->no_attrs & VMK_PTE_A_NOPROMOTE) != 0;
	vmk_pmap__g.cont = a->fold && !cfg->no_cont && (cfg->arch != VMK_PMAP_ARCH_RISCV64 || cfg->svnapot);
	k->kernel = true;
	k->id = ++vmk_pmap__g.last_id;
	vmk_list_init(&k->pv_chunks);
	vmk_pmap__g.asid_map[0] = 1;	/* ASID 0: the kernel / untagged */

	root = vmk_pmap__ptp_alloc(k, "pmap.bootstrap");
	if (!root)
		return -VMK_ENOMEM;
	k->root_page = root;
	k->root = vmk_page_to_pa(root);
	k->st.ptps = 1;
	/*
	 * One root for both halves (x86-64): the kernel's top-level entries are
	 * created now and never change, because every user root copies them.
	 * With split roots (arm64 TTBR1) nothing is shared and the root may
	 * even hold blocks (3 levels: 1 GiB at the root).
	 */
	top_size = VMK_PT_SIZE(vmk_pmap__g.top);
	for (vmk_vaddr_t va = cfg->kva_start & ~(top_size - 1);
	     !a->split_roots && va <= cfg->kva_end - 1; va += top_size) {
		vmk_pte_t *p = &vmk_pmap__table(k->root)[VMK_PT_INDEX(va, vmk_pmap__g.top)];
		struct vmk_page *pg;

		if (vmk_pmap__g.arch->is_valid(vmk_pmap__pte_load(p), vmk_pmap__g.top))
			continue;
		pg = vmk_pmap__ptp_alloc(k, "pmap.bootstrap");
		if (!pg)
			goto fail;
		vmk_pmap__pte_store(p, vmk_pmap__g.arch->make_table(vmk_page_to_pa(pg), vmk_pmap__g.top, false));
		k->st.ptps++;
		if (va + top_size < va)
			break;
	}
	if (a->split_roots) {
		empty = vmk_pmap__ptp_alloc(k, "pmap.bootstrap");
		if (!empty)
			goto fail;
		vmk_pmap__g.empty_root = vmk_page_to_pa(empty);
	}
	if (cfg->tmp_va) {
		/* Its level-0 table exists from now on: using it never allocates. */
		int err = 0;

		if (!vmk_pmap__get_table(k, cfg->tmp_va, 0, false, &err))
			goto fail;
		vmk_pmap__leaf_forget(k);
	}
	vmk_barrier(VMK_BARRIER_PTE_STORE);
	vmk_pmap__kpool_fill(k);	/* best effort: topped up again by later kernel operations */
	vmk_pmap__g.ready = true;
	return 0;
fail:
	free_tree(k, k->root, vmk_pmap__g.top);
	vmk_pmap__ptp_free(k, root);
	if (empty)
		vmk_pmap__ptp_free(k, empty);
	vmk_pmap__g.arch = NULL;
	return -VMK_ENOMEM;
}

struct vmk_pmap *vmk_pmap_kernel(void)
{
	return vmk_pmap__g.ready ? &vmk_pmap__g.kpmap : NULL;
}

static uint32_t asid_alloc(void)
{
	uint32_t n = 1u << vmk_pmap__g.cfg.asid_bits, got = 0;

	if (!vmk_pmap__g.cfg.asid_bits)
		return 0;
	vmk_spin_lock(&vmk_pmap__g.asid_lock);
	for (uint32_t i = 1; i < n && i < 4096; i++) {
		if (!(vmk_pmap__g.asid_map[i / 64] & (1ull << (i % 64)))) {
			vmk_pmap__g.asid_map[i / 64] |= 1ull << (i % 64);
			got = i;
			break;
		}
	}
	vmk_spin_unlock(&vmk_pmap__g.asid_lock);
	return got;	/* 0 when exhausted: untagged, flushed on every switch */
}

static void asid_free(uint32_t asid)
{
	if (!asid)
		return;
	vmk_spin_lock(&vmk_pmap__g.asid_lock);
	vmk_pmap__g.asid_map[asid / 64] &= ~(1ull << (asid % 64));
	vmk_spin_unlock(&vmk_pmap__g.asid_lock);
}

int vmk_pmap_create(struct vmk_pmap **out)
{
	struct vmk_page *self, *root;
	struct vmk_pmap *pm;

	if (!vmk_pmap__g.ready || !out)
		return -VMK_EINVAL;
	VMK_STATIC_ASSERT(sizeof(struct vmk_pmap) <= VMK_PAGE_SIZE, "struct vmk_pmap must fit a page");
	if (vmk_fault("pmap.create"))
		return -VMK_ENOMEM;
	self = vmk_page_alloc(VMK_DOMAIN_LOCAL, VMK_POOL_DEFAULT, VMK_ALLOC_ZERO);
	if (!self)
		return -VMK_ENOMEM;
	pm = vmk_phys_to_virt(vmk_page_to_pa(self));
	vmk_memset(pm, 0, sizeof(*pm));
	pm->self_page = self;
	pm->id = __atomic_add_fetch(&vmk_pmap__g.last_id, 1, __ATOMIC_RELAXED);
	vmk_list_init(&pm->pv_chunks);
	root = vmk_pmap__ptp_alloc(pm, "pmap.ptp");
	if (!root) {
		vmk_page_free(self);
		return -VMK_ENOMEM;
	}
	__atomic_add_fetch(&vmk_pmap__g.pages_held, 1, __ATOMIC_RELAXED);
	pm->root_page = root;
	pm->root = vmk_page_to_pa(root);
	pm->st.ptps = 1;
	if (!vmk_pmap__g.arch->split_roots) {
		/* One root for both halves: share the kernel's fixed top-level entries. */
		vmk_pte_t *u = vmk_pmap__table(pm->root), *k = vmk_pmap__table(vmk_pmap__g.kpmap.root);

		for (unsigned int i = VMK_PT_ENTRIES / 2; i < VMK_PT_ENTRIES; i++)
			vmk_pmap__pte_store(&u[i], vmk_pmap__pte_load(&k[i]));
	}
	pm->asid = asid_alloc();
	*out = pm;
	return 0;
}

void vmk_pmap_destroy(struct vmk_pmap *pm)
{
	struct vmk_page *self;
	int r;

	VMK_VERIFY(pm && !pm->kernel, "the kernel pmap cannot be destroyed");
	/* Its root is still loaded somewhere (FreeBSD asserts pm_active empty in pmap_release). */
	for (unsigned int w = 0; w < VMK_ARRAY_SIZE(pm->active); w++)
		VMK_VERIFY(__atomic_load_n(&pm->active[w], __ATOMIC_RELAXED) == 0,
			   "destroying a pmap that is active on a CPU (cpus %#llx in word %u)",
			   (unsigned long long)pm->active[w], w);
	/* Removing everything never needs memory: no range edge cuts a block. */
	r = vmk_pmap_remove(pm, 0, user_end());
	VMK_VERIFY(r == 0, "removing every mapping of a dying pmap failed (%d)", r);
	vmk_pmap__lock(pm);
	VMK_VERIFY(pm->st.ptps == 1 && pm->st.resident == 0,
		   "dying pmap still has %llu PTPs and %llu pages", (unsigned long long)pm->st.ptps,
		   (unsigned long long)pm->st.resident);
	vmk_pmap__spare_free_all(pm);
	vmk_pmap__pv_free_all_chunks(pm);
	if (pm->asid) {
		struct vmk_tlb_req req;

		vmk_pmap__tlb_req(pm, &req, VMK_TLB_ASID, 0, 0, false);
		vmk_tlb_invalidate(&req);
		vmk_barrier(VMK_BARRIER_TLB_SYNC);
		asid_free(pm->asid);
	}
	vmk_pmap__unlock(pm);
	vmk_pmap__ptp_free(pm, pm->root_page);
	/*
	 * A PV walk may still wait for our lock, having found one of our
	 * entries before we removed it (pvops.c): it only takes the lock and
	 * lets it go, but the struct must outlive that. No walk can hold us
	 * any more: we have no PV entry left.
	 */
	while (__atomic_load_n(&pm->pv_holds, __ATOMIC_ACQUIRE))
		vmk_cpu_relax();
	self = pm->self_page;
	vmk_page_free(self);
	__atomic_sub_fetch(&vmk_pmap__g.pages_held, 1, __ATOMIC_RELAXED);
}

void vmk_pmap_activate(struct vmk_pmap *pm, unsigned int cpu)
{
	struct vmk_pmap *old;
	vmk_paddr_t user_root;

	VMK_VERIFY(cpu < VMK_MAX_CPUS, "activate on cpu %u beyond VMK_MAX_CPUS", cpu);
	old = __atomic_exchange_n(&vmk_pmap__g.cur[cpu], pm, __ATOMIC_ACQ_REL);
	if (old && old != pm)
		__atomic_and_fetch(&old->active[cpu / 64], ~(1ull << (cpu % 64)), __ATOMIC_RELAXED);
	__atomic_or_fetch(&pm->active[cpu / 64], 1ull << (cpu % 64), __ATOMIC_RELAXED);
	if (pm->kernel)
		user_root = vmk_pmap__g.arch->split_roots ? vmk_pmap__g.empty_root : pm->root;
	else
		user_root = pm->root;
	if (vmk_pmap__g.cfg.load_root)
		vmk_pmap__g.cfg.load_root(vmk_pmap__g.cfg.load_root_ctx, cpu, user_root, vmk_pmap__g.kpmap.root,
				  pm->kernel ? 0 : pm->asid);
}

vmk_paddr_t vmk_pmap_root(struct vmk_pmap *pm)
{
	return pm->root;
}

uint32_t vmk_pmap_asid(struct vmk_pmap *pm)
{
	return pm->asid;
}

void vmk_pmap_stats(struct vmk_pmap *pm, struct vmk_pmap_stats *st)
{
	vmk_pmap__lock(pm);
	*st = pm->st;
	vmk_pmap__unlock(pm);
}
