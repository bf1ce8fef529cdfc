/*
 * TLB invalidation semantics per request kind and architecture, and the
 * platform hooks the simulator installs (TLB invalidation, barrier,
 * rendezvous). The model is described in docs/simulator.md.
 */
#include "tlb_internal.h"
#include <vmkit/phys.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * x86 INVLPG: when the tables now map va with a large page, every TLB
 * entry within that page goes (SDM 4.10.4.1), so one INVLPG after a
 * promotion drops the old 4 KiB entries. Returns the level va is mapped
 * at from t's roots (0 if unmapped), remembered per root in *memo.
 */
struct invlpg_memo {
	vmk_paddr_t root;
	unsigned int level;
};

static unsigned int invlpg_level(const struct tlb_ent *t, vmk_vaddr_t va, struct invlpg_memo *memo)
{
	struct vmk_mmu_cfg cfg = vmk_sim__mmu_cfg;
	struct vmk_mmu_walk w;

	if (memo->root == t->root_user)
		return memo->level;
	cfg.check_ptp = false;
	memo->root = t->root_user;
	memo->level = vmk_mmu_walk(&cfg, t->root_user, t->root_kernel, va, 0, false, &w) ? 0 : w.level;
	return memo->level;
}

static bool invlpg_kills(const struct tlb_ent *t, vmk_vaddr_t va, struct invlpg_memo *memo)
{
	unsigned int l;

	if (va - t->va < vmk_sim__ent_size(t))
		return true;
	if (vmk_sim__mmu_cfg.arch != VMK_PMAP_ARCH_X86_64 || t->level >= 2 ||
	    (va ^ t->va) >= vmk_sim__lvl_size(2))
		return false;
	l = invlpg_level(t, va, memo);
	return l > t->level && ((va ^ t->va) & ~(vmk_sim__lvl_size(l) - 1)) == 0;
}

/* Walk-cache entries a request drops (arm64 VALE1 keeps them; x86 INVLPG drops the whole PCID's). */
static bool wc_kill(const struct wc_ent *e, const struct vmk_tlb_req *req)
{
	bool x86 = vmk_sim__mmu_cfg.arch == VMK_PMAP_ARCH_X86_64;

	switch (req->kind) {
	case VMK_TLB_PAGE:
	case VMK_TLB_RANGE:
		/*
		 * riscv64 SFENCE.VMA by address orders leaf PTEs only: a request
		 * that may cover a table entry is done as SFENCE.VMA x0, asid
		 * (x0, x0 for ASID 0), which drops every cached table entry of it.
		 */
		if (vmk_sim__mmu_cfg.arch == VMK_PMAP_ARCH_RISCV64)
			return !req->last_level && (req->asid == 0 || (!e->kern && e->asid == req->asid));
		if (x86)
			return e->kern || e->asid == req->asid;
		if (req->last_level || (!e->kern && e->asid != req->asid))
			return false;
		return e->va < req->va + (req->kind == VMK_TLB_PAGE ? 1 : req->size) &&
		       req->va < e->va + vmk_sim__lvl_size(e->tlevel + 1);
	case VMK_TLB_ASID:
		return (x86 && e->kern) || (!e->kern && e->asid == req->asid);
	case VMK_TLB_ALL:
	case VMK_TLB_NONGLOBAL:
		return true;
	}
	return true;
}

void vmk_sim__inval_cpu(struct tlb_cpu *c, const struct vmk_tlb_req *req)
{
	struct invlpg_memo memo[2] = { { ~0ull, 0 }, { ~0ull, 0 } };

	pthread_mutex_lock(&c->lock);
	for (unsigned int i = 0; i < WC_MAX; i++)
		if (c->wc[i].valid && wc_kill(&c->wc[i], req))
			c->wc[i].valid = false;
	for (unsigned int i = 0; i < TLB_MAX; i++) {
		struct tlb_ent *t = &c->e[i];
		bool kill = false;

		if (!t->valid)
			continue;
		switch (req->kind) {
		case VMK_TLB_PAGE:
			kill = invlpg_kills(t, req->va, &memo[0]);
			break;
		case VMK_TLB_RANGE:
			kill = (t->va < req->va + req->size && req->va < t->va + vmk_sim__ent_size(t)) ||
			       invlpg_kills(t, req->va, &memo[0]) ||
			       invlpg_kills(t, req->va + req->size - 1, &memo[1]);
			break;
		case VMK_TLB_ASID:
			kill = !t->w.global && t->asid == req->asid;
			break;
		case VMK_TLB_ALL:
			kill = true;
			break;
		case VMK_TLB_NONGLOBAL:
			kill = !t->w.global;
			break;
		}
		/* riscv64: a non-leaf request is SFENCE.VMA x0, asid (see wc_kill). */
		if (vmk_sim__mmu_cfg.arch == VMK_PMAP_ARCH_RISCV64 && !req->last_level &&
		    (req->kind == VMK_TLB_PAGE || req->kind == VMK_TLB_RANGE)) {
			if (req->asid == 0 || (!t->w.global && t->asid == req->asid))
				t->valid = false;
			continue;
		}
		/* By-VA invalidation hits global entries and the given ASID only. */
		if (kill && (req->kind == VMK_TLB_PAGE || req->kind == VMK_TLB_RANGE) &&
		    !t->w.global && t->asid != req->asid)
			kill = false;
		if (kill)
			t->valid = false;
	}
	pthread_mutex_unlock(&c->lock);
}

/*
 * A window's invalidation: what it names must be broken already (arm64
 * D8.16.1). One entry (a page request) is broken at its address; a range
 * (a run's 16 entries, a table's span) must be broken over all of it, or
 * a walk between the invalidation and the make refills what was not.
 */
static void check_window(const struct vmk_tlb_req *req)
{
	vmk_paddr_t root = vmk_pmap_root(req->pmap);
	vmk_size_t size = req->kind == VMK_TLB_RANGE ? req->size : 1;
	struct vmk_mmu_walk w;

	for (vmk_vaddr_t va = req->va; va - req->va < size;) {
		vmk_vaddr_t next;

		if (!vmk_mmu_walk(&vmk_sim__mmu_cfg, root, root, va, 0, false, &w)) {
			vmk_sim__violation("TLB invalidation of a break-before-make window while va %#llx still translates",
				  (unsigned long long)va);
			return;
		}
		/* Past the invalid entry the walk stopped at. */
		next = (va & ~(vmk_sim__lvl_size(w.fault_level) - 1)) + vmk_sim__lvl_size(w.fault_level);
		if (next <= va)
			break;
		va = next;
	}
}

void vmk_sim__hook_tlb(void *ctx, const struct vmk_tlb_req *req)
{
	if (req->in_bbm)
		vmk_sim_bbm_tlbi_begin();
	vmk_sim_hook_called();
	vmk_sim__cpu_enter();
	if (req->in_bbm)
		check_window(req);
	__atomic_add_fetch(&vmk_sim__n_tlbi, 1, __ATOMIC_RELAXED);
	vmk_sim__tlb_count(req);
	if (req->shootdown)
		__atomic_add_fetch(&vmk_sim__n_shoot, 1, __ATOMIC_RELAXED);
	vmk_sim__ev_add(VMK_SIM_EV_TLBI, req->kind, req->va, req->size, req->shootdown);
	if (req->kind == VMK_TLB_PAGE || req->kind == VMK_TLB_RANGE)
		vmk_sim__record_va(req->va);
	/* Just before the invalidation: fills it must remove. */
	vmk_sim__speculate();
	vmk_sim__bg_kick();
	if (req->shootdown) {
		for (unsigned int i = 0; i < vmk_sim__ncpus(); i++)
			vmk_sim__inval_cpu(&vmk_sim__tlbs[i], req);
	} else {
		vmk_sim__inval_cpu(&vmk_sim__tlbs[vmk_cpu_id() % NCPU], req);
	}
	/* Complete: no checker walk that began before is still reading tables. */
	pthread_mutex_lock(&vmk_sim__walk_lock);
	pthread_mutex_unlock(&vmk_sim__walk_lock);
	if (vmk_sim__prev_tlb)
		vmk_sim__prev_tlb(ctx, req);
	vmk_sim__check_msv();
	vmk_sim__cpu_leave();
	if (req->in_bbm)
		vmk_sim_bbm_tlbi_end();
}

void vmk_sim__hook_barrier(void *ctx, enum vmk_barrier kind)
{
	(void)ctx;
	vmk_sim_hook_called();
	vmk_sim__cpu_enter();
	__atomic_add_fetch(&vmk_sim__n_barrier[kind & 3], 1, __ATOMIC_RELAXED);
	vmk_sim__ev_add(VMK_SIM_EV_BARRIER, kind, 0, 0, false);
	{
		/* A full fence (gcc rejects __atomic_thread_fence under TSAN). */
		static uint32_t fence_word;

		__atomic_fetch_add(&fence_word, 0, __ATOMIC_SEQ_CST);
	}
	if (kind == VMK_BARRIER_PTE_STORE || kind == VMK_BARRIER_TLB_SYNC) {
		vmk_sim__check_bbm();
		vmk_sim__check_msv();
	}
	vmk_sim__speculate();
	vmk_sim__bg_kick();
	vmk_sim__cpu_leave();
}

/* The signal rendezvous calls this with every other registered CPU parked. */
struct rdv_call {
	vmk_rendezvous_fn fn;
	void *arg;
};

static void rdv_parked(void *arg, unsigned int cpu)
{
	struct rdv_call *rc = arg;

	vmk_sim__ev_add(VMK_SIM_EV_RENDEZVOUS_BEGIN, 0, 0, 0, false);
	__atomic_store_n(&vmk_sim__in_rendezvous, 1, __ATOMIC_RELEASE);
	vmk_sim__rdv_owner = true;
	rc->fn(rc->arg, cpu);
	vmk_sim__rdv_owner = false;
	__atomic_store_n(&vmk_sim__in_rendezvous, 0, __ATOMIC_RELEASE);
	vmk_sim__ev_add(VMK_SIM_EV_RENDEZVOUS_END, 0, 0, 0, false);
}

void vmk_sim__hook_rendezvous(void *ctx, vmk_rendezvous_fn fn, void *arg)
{
	(void)ctx;
	vmk_sim_hook_called();
	__atomic_add_fetch(&vmk_sim__n_rdv, 1, __ATOMIC_RELAXED);
	if (__atomic_load_n(&vmk_sim__rdv_any, __ATOMIC_ACQUIRE)) {
		struct rdv_call rc = { fn, arg };

		vmk_sim_rendezvous(rdv_parked, &rc);
		return;
	}
	pthread_rwlock_wrlock(&vmk_sim__park);	/* every other CPU is now outside its accesses */
	vmk_sim__ev_add(VMK_SIM_EV_RENDEZVOUS_BEGIN, 0, 0, 0, false);
	__atomic_store_n(&vmk_sim__in_rendezvous, 1, __ATOMIC_RELEASE);
	vmk_sim__rdv_owner = true;
	fn(arg, vmk_cpu_id());
	vmk_sim__rdv_owner = false;
	__atomic_store_n(&vmk_sim__in_rendezvous, 0, __ATOMIC_RELEASE);
	vmk_sim__ev_add(VMK_SIM_EV_RENDEZVOUS_END, 0, 0, 0, false);
	pthread_rwlock_unlock(&vmk_sim__park);
}
