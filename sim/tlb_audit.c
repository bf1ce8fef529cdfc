/*
 * The simulator's checks on what the TLBs hold: the audit (every cached
 * translation and walk-cache entry still granted by the tables), the
 * break-before-make check at barriers and the must-stay-valid ranges.
 * The model is described in docs/simulator.md.
 */
#include "tlb_internal.h"
#include <vmkit/phys.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Dirty state of the translation of va in table entry pte (arch format);
 * for a 64 KiB run, of any of its 16 entries: the hardware records a
 * write through the run's one TLB entry in whichever entry it walked.
 */
static bool pte_dirty(uint64_t pte)
{
	switch (vmk_sim__mmu_cfg.arch) {
	case VMK_PMAP_ARCH_X86_64: return pte & (1ull << 6);
	case VMK_PMAP_ARCH_ARM64: return !(pte & (1ull << 7));
	default: return pte & (1ull << 7);
	}
}

static bool run_dirty(const struct tlb_ent *t, const struct vmk_mmu_walk *w)
{
	if (!w->cont)
		return pte_dirty(w->pte);
	for (unsigned int j = 0; j < 16; j++) {
		struct vmk_mmu_walk x;

		if (!vmk_mmu_walk(&vmk_sim__mmu_cfg, t->root_user, t->root_kernel, t->va + j * 0x1000ull, 0, false, &x) &&
		    pte_dirty(x.pte))
			return true;
	}
	return false;
}

/*
 * A cached 64 KiB run translates all 16 pages, whichever entry filled
 * it: each page must still be a run entry with the same output and no
 * fewer permissions. An entry of the run cleared or changed alone (not
 * unfolded first) leaves the one TLB entry translating it, and a fill
 * from any other entry of the run brings it back.
 */
static const char *run_page_stale(const struct tlb_ent *t)
{
	for (unsigned int j = 1; j < 16; j++) {
		vmk_vaddr_t va = t->va + j * 0x1000ull;
		struct vmk_mmu_walk w;

		if (vmk_mmu_walk(&vmk_sim__mmu_cfg, t->root_user, t->root_kernel, va, 0, false, &w))
			return "a cached 64 KiB run covers a page the tables no longer map (one entry changed without unfolding the run)";
		if (!w.cont || w.pa != t->w.pa + j * 0x1000ull || w.memattr != t->w.memattr ||
		    (t->w.writable && !w.writable) || (t->w.user && !w.user) ||
		    (t->w.uexec && !w.uexec) || (t->w.kexec && !w.kexec))
			return "a cached 64 KiB run covers a page the tables now map otherwise (one entry changed without unfolding the run)";
	}
	return NULL;
}

/* Is cached entry t still granted by the tables? */
static bool ent_stale(const struct tlb_ent *t, char *msg, size_t len, unsigned int cpu)
{
	struct vmk_mmu_walk w;
	int r = vmk_mmu_walk(&vmk_sim__mmu_cfg, t->root_user, t->root_kernel, t->va, 0, false, &w);
	const char *why = NULL;

	if (r)
		why = vmk_mmu_fault_name(r);
	else if (w.cont != t->w.cont)
		why = t->w.cont ? "cached as a 64 KiB run, now plain entries (unfold without the run's invalidation)" :
		      "cached as a page, now a 64 KiB run";
	else if (w.level != t->level)
		why = vmk_sim__mmu_cfg.arch == VMK_PMAP_ARCH_X86_64 ?
		      "other page size: size changed without invalidation (SDM 4.10.2.3)" :
		      "other page size (block/table change without break-before-make)";
	else if (w.pa != t->w.pa)
		why = "other output address";
	else if (w.memattr != t->w.memattr)
		why = "other memory type";
	else if ((t->w.writable && !w.writable) || (t->w.user && !w.user) ||
		 (t->w.uexec && !w.uexec) || (t->w.kexec && !w.kexec))
		why = "fewer permissions";
	else if (t->dirty && !run_dirty(t, &w))
		why = "dirty cached, clean in table";
	else if (t->w.cont)
		why = run_page_stale(t);
	if (why && msg && len)
		snprintf(msg, len, "cpu %u: stale TLB entry va %#llx level %u pa %#llx: %s", cpu,
			 (unsigned long long)t->va, t->level, (unsigned long long)t->w.pa, why);
	return why != NULL;
}

/* Does walk-cache entry e still point where the tables do? */
static bool wc_stale(const struct wc_ent *e, char *msg, size_t len, unsigned int cpu)
{
	struct vmk_mmu_walk w;
	struct vmk_mmu_walk_path path;
	vmk_paddr_t now;

	memset(&path, 0, sizeof(path));
	(void)vmk_mmu_walk_path(&vmk_sim__mmu_cfg, e->root_user, e->root_kernel, e->va, 0, false, &w, &path);
	now = path.table[e->tlevel];
	if (now == e->table && path.acc[e->tlevel] == e->acc)
		return false;
	if (msg && len)
		snprintf(msg, len,
			 "cpu %u: stale walk-cache entry va %#llx: level-%u table %#llx, the tables now hold %#llx%s",
			 cpu, (unsigned long long)e->va, e->tlevel, (unsigned long long)e->table,
			 (unsigned long long)now, now == e->table ? " with other hierarchical controls" : "");
	return true;
}

/* x86: two cached translations of different page sizes overlap (SDM 4.10.2.3). */
static bool two_sizes(const struct tlb_cpu *c, unsigned int i, char *msg, size_t len, unsigned int cpu)
{
	const struct tlb_ent *a = &c->e[i];

	for (unsigned int j = 0; j < TLB_MAX; j++) {
		const struct tlb_ent *b = &c->e[j];

		if (j == i || !b->valid || b->level <= a->level ||
		    !(a->w.global || b->w.global || a->asid == b->asid) ||
		    a->va - b->va >= vmk_sim__lvl_size(b->level))
			continue;
		if (msg && len)
			snprintf(msg, len,
				 "cpu %u: TLB holds two page sizes for va %#llx (level %u and level %u): page size changed without invalidation (SDM 4.10.2.3)",
				 cpu, (unsigned long long)a->va, a->level, b->level);
		return true;
	}
	return false;
}

unsigned int vmk_sim_tlb_audit(char *msg, size_t len)
{
	unsigned int n = 0;

	if (msg && len)
		msg[0] = '\0';
	for (unsigned int cpu = 0; cpu < NCPU; cpu++) {
		struct tlb_cpu *c = &vmk_sim__tlbs[cpu];

		pthread_mutex_lock(&c->lock);
		for (unsigned int i = 0; i < TLB_MAX; i++) {
			if (!c->e[i].valid)
				continue;
			if (ent_stale(&c->e[i], n ? NULL : msg, len, cpu))
				n++;
			else if (vmk_sim__mmu_cfg.arch == VMK_PMAP_ARCH_X86_64 && two_sizes(c, i, n ? NULL : msg, len, cpu))
				n++;
		}
		for (unsigned int i = 0; i < WC_MAX; i++)
			if (c->wc[i].valid && wc_stale(&c->wc[i], n ? NULL : msg, len, cpu))
				n++;
		pthread_mutex_unlock(&c->lock);
	}
	return n;
}

/* At a barrier: would another CPU's walk now conflict with what TLBs hold? */
void vmk_sim__check_bbm(void)
{
	if (vmk_sim__mmu_cfg.arch != VMK_PMAP_ARCH_ARM64)
		return;
	for (unsigned int cpu = 0; cpu < vmk_sim__ncpus(); cpu++) {
		struct tlb_cpu *c = &vmk_sim__tlbs[cpu];

		pthread_mutex_lock(&c->lock);
		for (unsigned int i = 0; i < TLB_MAX; i++) {
			struct tlb_ent *t = &c->e[i];
			struct vmk_mmu_walk w;

			if (!t->valid)
				continue;
			if (vmk_mmu_walk(&vmk_sim__mmu_cfg, t->root_user, t->root_kernel, t->va, 0, false, &w))
				continue;	/* invalid: the break step, fine */
			if (!vmk_sim__same_output(&t->w, t->va, &w, t->va))
				vmk_sim__violation("cpu %u: valid entry for va %#llx changed to another valid entry without break-before-make (level %u%s pa %#llx -> level %u%s pa %#llx)",
					  cpu, (unsigned long long)t->va, t->level, t->w.cont ? " 64 KiB run" : "",
					  (unsigned long long)t->w.pa, w.level, w.cont ? " 64 KiB run" : "",
					  (unsigned long long)w.pa);
		}
		pthread_mutex_unlock(&c->lock);
	}
}

void vmk_sim__check_msv(void)
{
	struct tlb_cpu *c0 = &vmk_sim__tlbs[0];

	if (__atomic_load_n(&vmk_sim__in_rendezvous, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&vmk_sim__walk_lock);
	for (unsigned int i = 0; i < vmk_sim__n_msv; i++) {
		for (vmk_vaddr_t va = vmk_sim__msv[i].va; va - vmk_sim__msv[i].va < vmk_sim__msv[i].size;) {
			struct vmk_mmu_walk w;
			int r = vmk_mmu_walk(&vmk_sim__mmu_cfg, c0->root_user, c0->root_kernel, va, 0, false, &w);

			if (r) {
				vmk_sim__violation("must-stay-valid va %#llx is invalid (%s) outside a rendezvous",
					  (unsigned long long)va, vmk_mmu_fault_name(r));
				pthread_mutex_unlock(&vmk_sim__walk_lock);
				return;
			}
			va = (va & ~(vmk_sim__lvl_size(w.level) - 1)) + vmk_sim__lvl_size(w.level);
		}
	}
	pthread_mutex_unlock(&vmk_sim__walk_lock);
}
