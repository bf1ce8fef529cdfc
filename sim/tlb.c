/*
 * Per-CPU software TLBs, the platform hooks that empty them (TLB
 * invalidation, barriers, rendezvous) and the checks built on them:
 * stale translations, break-before-make conflicts, must-stay-valid ranges.
 */
#include "mmu.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TLB_MAX		256
#define NCPU		VMK_MAX_CPUS
#define EV_RING		512
#define MSV_MAX		8

struct tlb_ent {
	bool valid;
	vmk_vaddr_t va;		/* aligned to the leaf size */
	unsigned int level;
	uint32_t asid;
	vmk_paddr_t root_user, root_kernel;	/* the roots it was walked from */
	struct vmk_mmu_walk w;	/* w.pa is the translation of va */
	bool dirty;		/* cached with write done (x86 D / arm64 AP[2]=0) */
};

struct tlb_cpu {
	pthread_mutex_t lock;
	struct tlb_ent e[TLB_MAX];
	unsigned int next;	/* round-robin victim */
	vmk_paddr_t root_user, root_kernel;
	uint32_t asid;
};

static struct vmk_mmu_cfg mmu_cfg;
static bool mmu_installed;
static struct tlb_cpu tlbs[NCPU];
static pthread_once_t tlb_once = PTHREAD_ONCE_INIT;
static pthread_rwlock_t park;	/* rendezvous parks accessors */
static int in_rendezvous;
static _Thread_local bool rdv_owner;	/* this thread runs the rendezvous function */

/* Hooks are code running on a CPU: a rendezvous parks them too. */
static void cpu_enter(void)
{
	if (!rdv_owner)
		pthread_rwlock_rdlock(&park);
}

static void cpu_leave(void)
{
	if (!rdv_owner)
		pthread_rwlock_unlock(&park);
}

static void (*prev_tlb)(void *, const struct vmk_tlb_req *);
static void (*prev_barrier)(void *, enum vmk_barrier);
static void (*prev_rendezvous)(void *, vmk_rendezvous_fn, void *);

static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vmk_sim_mmu_ev ev_ring[EV_RING];
static size_t ev_head, ev_count;
static unsigned long n_barrier[4], n_tlbi, n_shoot, n_rdv;

static pthread_mutex_t viol_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long n_viol;
static char viol_msg[256];

/*
 * Walks the checkers do outside any CPU's TLB lock. A TLB invalidation
 * waits for walks in flight (as a DSB after TLBI does), so a PTP freed
 * after it is never still being read.
 */
static pthread_mutex_t walk_lock = PTHREAD_MUTEX_INITIALIZER;

static struct { vmk_vaddr_t va; vmk_size_t size; } msv[MSV_MAX];
static unsigned int n_msv;

static void tlb_init_once(void)
{
	pthread_rwlockattr_t a;

	/* Writer preference: a rendezvous must not starve behind busy CPUs. */
	pthread_rwlockattr_init(&a);
	pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&park, &a);
	pthread_rwlockattr_destroy(&a);
	for (unsigned int i = 0; i < NCPU; i++)
		pthread_mutex_init(&tlbs[i].lock, NULL);
}

static unsigned int tlb_cap(void)
{
	unsigned int n = mmu_cfg.tlb_entries ? mmu_cfg.tlb_entries : 64;

	return n > TLB_MAX ? TLB_MAX : n;
}

/* Simulated CPUs in use: only their TLBs can hold anything. */
static unsigned int ncpus(void)
{
	unsigned int n = vmk_cpu_count();

	return n < NCPU ? n : NCPU;
}

static void violation(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&viol_lock);
	if (n_viol++ == 0) {
		va_start(ap, fmt);
		vsnprintf(viol_msg, sizeof(viol_msg), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&viol_lock);
}

static void ev_add(enum vmk_sim_mmu_ev_kind k, unsigned int arg, vmk_vaddr_t va, vmk_size_t size,
		   bool shoot)
{
	pthread_mutex_lock(&ev_lock);
	ev_ring[ev_head] = (struct vmk_sim_mmu_ev){ k, arg, va, size, shoot };
	ev_head = (ev_head + 1) % EV_RING;
	if (ev_count < EV_RING)
		ev_count++;
	pthread_mutex_unlock(&ev_lock);
}

static vmk_size_t lvl_size(unsigned int lvl)
{
	return (vmk_size_t)1 << (12 + 9 * lvl);
}

/* True if cached entry t matches a lookup of va in address space asid. */
static bool ent_hit(const struct tlb_ent *t, vmk_vaddr_t va, uint32_t asid)
{
	return t->valid && va - t->va < lvl_size(t->level) && (t->w.global || t->asid == asid);
}

/* Same translation for the purposes of break-before-make (permissions may differ). */
static bool same_output(const struct vmk_mmu_walk *a, vmk_vaddr_t va_a, const struct vmk_mmu_walk *b,
			vmk_vaddr_t va_b)
{
	return a->level == b->level && a->pa - (va_a & (lvl_size(a->level) - 1)) ==
	       b->pa - (va_b & (lvl_size(b->level) - 1)) &&
	       a->memattr == b->memattr && a->global == b->global;
}

static void tlb_insert(struct tlb_cpu *c, unsigned int cpu, vmk_vaddr_t va,
		       const struct vmk_mmu_walk *w, uint32_t access)
{
	vmk_size_t sz = lvl_size(w->level);
	vmk_vaddr_t base = va & ~(sz - 1);
	unsigned int cap = tlb_cap(), slot = cap;

	for (unsigned int i = 0; i < cap; i++) {
		struct tlb_ent *t = &c->e[i];

		if (!t->valid) {
			if (slot == cap)
				slot = i;
			continue;
		}
		if (!(t->w.global || w->global || t->asid == c->asid))
			continue;
		if (t->va < base + sz && base < t->va + lvl_size(t->level)) {
			if (t->va == base && t->level == w->level) {
				slot = i;	/* refresh (e.g. a dirtying write) */
				continue;
			}
			if (mmu_cfg.arch == VMK_PMAP_ARCH_ARM64 && !same_output(&t->w, t->va, w, va))
				violation("cpu %u: TLB conflict at va %#llx: cached level %u pa %#llx, walked level %u pa %#llx",
					  cpu, (unsigned long long)va, t->level,
					  (unsigned long long)t->w.pa, w->level, (unsigned long long)w->pa);
		}
	}
	if (slot == cap) {
		slot = c->next;
		c->next = (c->next + 1) % cap;
	}
	c->e[slot].valid = true;
	c->e[slot].va = base;
	c->e[slot].level = w->level;
	c->e[slot].asid = c->asid;
	c->e[slot].root_user = c->root_user;
	c->e[slot].root_kernel = c->root_kernel;
	c->e[slot].w = *w;
	c->e[slot].w.pa = w->pa - (va & (sz - 1));
	c->e[slot].dirty = (access & VMK_MMU_WRITE) != 0;
}

static bool msv_contains(vmk_vaddr_t va)
{
	for (unsigned int i = 0; i < n_msv; i++)
		if (va - msv[i].va < msv[i].size)
			return true;
	return false;
}

int vmk_sim_mmu_access(unsigned int cpu, vmk_vaddr_t va, uint32_t access, struct vmk_mmu_walk *out)
{
	struct tlb_cpu *c = &tlbs[cpu % NCPU];
	struct vmk_mmu_walk w;
	int r = VMK_MMU_OK;
	bool hit = false;

	pthread_rwlock_rdlock(&park);
	pthread_mutex_lock(&c->lock);
	for (unsigned int i = 0; i < tlb_cap(); i++) {
		struct tlb_ent *t = &c->e[i];
		bool user = access & VMK_MMU_USER;

		if (!ent_hit(t, va, c->asid))
			continue;
		/* A write through a clean entry walks again to set dirty, as hardware does. */
		if ((access & VMK_MMU_WRITE) && !t->dirty)
			break;
		w = t->w;
		w.pa = t->w.pa + (va - t->va);
		hit = true;
		if ((user && !w.user) || ((access & VMK_MMU_WRITE) && !w.writable) ||
		    ((access & VMK_MMU_EXEC) && !(user ? w.uexec : w.kexec)))
			r = w.fault = VMK_MMU_FAULT_PERMISSION;
		break;
	}
	if (!hit) {
		r = vmk_mmu_walk(&mmu_cfg, c->root_user, c->root_kernel, va, access, true, &w);
		if (r == VMK_MMU_OK)
			tlb_insert(c, cpu, va, &w, access);
	}
	pthread_mutex_unlock(&c->lock);
	if (r == VMK_MMU_FAULT_TRANSLATION && msv_contains(va) &&
	    !__atomic_load_n(&in_rendezvous, __ATOMIC_ACQUIRE))
		violation("cpu %u: must-stay-valid va %#llx found invalid", cpu, (unsigned long long)va);
	pthread_rwlock_unlock(&park);
	if (out)
		*out = w;
	return r;
}

int vmk_sim_mmu_probe(unsigned int cpu, vmk_vaddr_t va, uint32_t access, struct vmk_mmu_walk *w)
{
	struct tlb_cpu *c = &tlbs[cpu % NCPU];
	vmk_paddr_t ru, rk;

	pthread_mutex_lock(&c->lock);
	ru = c->root_user;
	rk = c->root_kernel;
	pthread_mutex_unlock(&c->lock);
	return vmk_mmu_walk(&mmu_cfg, ru, rk, va, access, false, w);
}

/* Is cached entry t still granted by the tables? */
static bool ent_stale(const struct tlb_ent *t, char *msg, size_t len, unsigned int cpu)
{
	struct vmk_mmu_walk w;
	int r = vmk_mmu_walk(&mmu_cfg, t->root_user, t->root_kernel, t->va, 0, false, &w);
	const char *why = NULL;

	if (r)
		why = vmk_mmu_fault_name(r);
	else if (w.pa != t->w.pa)
		why = "other output address";
	else if (w.memattr != t->w.memattr)
		why = "other memory type";
	else if ((t->w.writable && !w.writable) || (t->w.user && !w.user) ||
		 (t->w.uexec && !w.uexec) || (t->w.kexec && !w.kexec))
		why = "fewer permissions";
	else if (t->dirty && mmu_cfg.arch == VMK_PMAP_ARCH_X86_64 && !(w.pte & (1ull << 6)))
		why = "dirty cached, clean in table";
	else if (t->dirty && mmu_cfg.arch == VMK_PMAP_ARCH_ARM64 && (w.pte & (1ull << 7)))
		why = "dirty cached, clean in table";
	if (why && msg && len)
		snprintf(msg, len, "cpu %u: stale TLB entry va %#llx level %u pa %#llx: %s", cpu,
			 (unsigned long long)t->va, t->level, (unsigned long long)t->w.pa, why);
	return why != NULL;
}

unsigned int vmk_sim_tlb_audit(char *msg, size_t len)
{
	unsigned int n = 0;

	if (msg && len)
		msg[0] = '\0';
	for (unsigned int cpu = 0; cpu < NCPU; cpu++) {
		struct tlb_cpu *c = &tlbs[cpu];

		pthread_mutex_lock(&c->lock);
		for (unsigned int i = 0; i < TLB_MAX; i++)
			if (c->e[i].valid && ent_stale(&c->e[i], n ? NULL : msg, len, cpu))
				n++;
		pthread_mutex_unlock(&c->lock);
	}
	return n;
}

/* At a barrier: would another CPU's walk now conflict with what TLBs hold? */
static void check_bbm(void)
{
	if (mmu_cfg.arch != VMK_PMAP_ARCH_ARM64)
		return;
	for (unsigned int cpu = 0; cpu < ncpus(); cpu++) {
		struct tlb_cpu *c = &tlbs[cpu];

		pthread_mutex_lock(&c->lock);
		for (unsigned int i = 0; i < TLB_MAX; i++) {
			struct tlb_ent *t = &c->e[i];
			struct vmk_mmu_walk w;

			if (!t->valid)
				continue;
			if (vmk_mmu_walk(&mmu_cfg, t->root_user, t->root_kernel, t->va, 0, false, &w))
				continue;	/* invalid: the break step, fine */
			if (!same_output(&t->w, t->va, &w, t->va))
				violation("cpu %u: valid entry for va %#llx changed to another valid entry without break-before-make (level %u pa %#llx -> level %u pa %#llx)",
					  cpu, (unsigned long long)t->va, t->level,
					  (unsigned long long)t->w.pa, w.level, (unsigned long long)w.pa);
		}
		pthread_mutex_unlock(&c->lock);
	}
}

static void check_msv(void)
{
	struct tlb_cpu *c0 = &tlbs[0];

	if (__atomic_load_n(&in_rendezvous, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&walk_lock);
	for (unsigned int i = 0; i < n_msv; i++) {
		for (vmk_vaddr_t va = msv[i].va; va - msv[i].va < msv[i].size;) {
			struct vmk_mmu_walk w;
			int r = vmk_mmu_walk(&mmu_cfg, c0->root_user, c0->root_kernel, va, 0, false, &w);

			if (r) {
				violation("must-stay-valid va %#llx is invalid (%s) outside a rendezvous",
					  (unsigned long long)va, vmk_mmu_fault_name(r));
				pthread_mutex_unlock(&walk_lock);
				return;
			}
			va = (va & ~(lvl_size(w.level) - 1)) + lvl_size(w.level);
		}
	}
	pthread_mutex_unlock(&walk_lock);
}

static void inval_cpu(struct tlb_cpu *c, const struct vmk_tlb_req *req)
{
	pthread_mutex_lock(&c->lock);
	for (unsigned int i = 0; i < TLB_MAX; i++) {
		struct tlb_ent *t = &c->e[i];
		bool kill = false;

		if (!t->valid)
			continue;
		switch (req->kind) {
		case VMK_TLB_PAGE:
			kill = req->va - t->va < lvl_size(t->level);
			break;
		case VMK_TLB_RANGE:
			kill = t->va < req->va + req->size && req->va < t->va + lvl_size(t->level);
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
		/* By-VA invalidation hits global entries and the given ASID only. */
		if (kill && (req->kind == VMK_TLB_PAGE || req->kind == VMK_TLB_RANGE) &&
		    !t->w.global && t->asid != req->asid)
			kill = false;
		if (kill)
			t->valid = false;
	}
	pthread_mutex_unlock(&c->lock);
}

/* A window's invalidation: the entry must be broken already (arm64 D8.16.1). */
static void check_window(const struct vmk_tlb_req *req)
{
	vmk_paddr_t root = vmk_pmap_root(req->pmap);
	struct vmk_mmu_walk w;

	if (!vmk_mmu_walk(&mmu_cfg, root, root, req->va, 0, false, &w))
		violation("TLB invalidation of a break-before-make window while va %#llx still translates",
			  (unsigned long long)req->va);
}

static void hook_tlb(void *ctx, const struct vmk_tlb_req *req)
{
	if (req->in_bbm)
		vmk_sim_bbm_tlbi_begin();
	vmk_sim_hook_called();
	cpu_enter();
	if (req->in_bbm)
		check_window(req);
	__atomic_add_fetch(&n_tlbi, 1, __ATOMIC_RELAXED);
	if (req->shootdown)
		__atomic_add_fetch(&n_shoot, 1, __ATOMIC_RELAXED);
	ev_add(VMK_SIM_EV_TLBI, req->kind, req->va, req->size, req->shootdown);
	if (req->shootdown) {
		for (unsigned int i = 0; i < ncpus(); i++)
			inval_cpu(&tlbs[i], req);
	} else {
		inval_cpu(&tlbs[vmk_cpu_id() % NCPU], req);
	}
	/* Complete: no checker walk that began before is still reading tables. */
	pthread_mutex_lock(&walk_lock);
	pthread_mutex_unlock(&walk_lock);
	if (prev_tlb)
		prev_tlb(ctx, req);
	check_msv();
	cpu_leave();
	if (req->in_bbm)
		vmk_sim_bbm_tlbi_end();
}

static void hook_barrier(void *ctx, enum vmk_barrier kind)
{
	(void)ctx;
	vmk_sim_hook_called();
	cpu_enter();
	__atomic_add_fetch(&n_barrier[kind & 3], 1, __ATOMIC_RELAXED);
	ev_add(VMK_SIM_EV_BARRIER, kind, 0, 0, false);
	{
		/* A full fence (gcc rejects __atomic_thread_fence under TSAN). */
		static uint32_t fence_word;

		__atomic_fetch_add(&fence_word, 0, __ATOMIC_SEQ_CST);
	}
	if (kind == VMK_BARRIER_PTE_STORE || kind == VMK_BARRIER_TLB_SYNC) {
		check_bbm();
		check_msv();
	}
	cpu_leave();
}

static void hook_rendezvous(void *ctx, vmk_rendezvous_fn fn, void *arg)
{
	(void)ctx;
	vmk_sim_hook_called();
	__atomic_add_fetch(&n_rdv, 1, __ATOMIC_RELAXED);
	pthread_rwlock_wrlock(&park);	/* every other CPU is now outside its accesses */
	ev_add(VMK_SIM_EV_RENDEZVOUS_BEGIN, 0, 0, 0, false);
	__atomic_store_n(&in_rendezvous, 1, __ATOMIC_RELEASE);
	rdv_owner = true;
	fn(arg, vmk_cpu_id());
	rdv_owner = false;
	__atomic_store_n(&in_rendezvous, 0, __ATOMIC_RELEASE);
	ev_add(VMK_SIM_EV_RENDEZVOUS_END, 0, 0, 0, false);
	pthread_rwlock_unlock(&park);
}

void vmk_sim_tlb_flush_all(void)
{
	struct vmk_tlb_req all = { .kind = VMK_TLB_ALL };

	for (unsigned int i = 0; i < NCPU; i++)
		inval_cpu(&tlbs[i], &all);
}

void vmk_sim_mmu_install(const struct vmk_mmu_cfg *cfg)
{
	struct vmk_platform *p = vmk_sim_platform();

	pthread_once(&tlb_once, tlb_init_once);
	if (!mmu_installed) {
		prev_tlb = p->tlb_invalidate;
		prev_barrier = p->barrier;
		prev_rendezvous = p->rendezvous;
	}
	mmu_cfg = *cfg;
	mmu_installed = true;
	vmk_sim_tlb_flush_all();
	for (unsigned int i = 0; i < NCPU; i++) {
		tlbs[i].root_user = tlbs[i].root_kernel = 0;
		tlbs[i].asid = 0;
		tlbs[i].next = 0;
	}
	memset(n_barrier, 0, sizeof(n_barrier));
	n_tlbi = n_shoot = n_rdv = n_viol = 0;
	viol_msg[0] = '\0';
	n_msv = 0;
	vmk_sim_mmu_events_clear();
	p->tlb_invalidate = hook_tlb;
	p->barrier = hook_barrier;
	p->rendezvous = hook_rendezvous;
}

void vmk_sim_mmu_uninstall(void)
{
	struct vmk_platform *p = vmk_sim_platform();

	if (!mmu_installed)
		return;
	p->tlb_invalidate = prev_tlb;
	p->barrier = prev_barrier;
	p->rendezvous = prev_rendezvous;
	mmu_installed = false;
}

const struct vmk_mmu_cfg *vmk_sim_mmu_cfg(void)
{
	return &mmu_cfg;
}

void vmk_sim_mmu_set_root(unsigned int cpu, vmk_paddr_t user_root, vmk_paddr_t kernel_root,
			  uint32_t asid)
{
	struct tlb_cpu *c = &tlbs[cpu % NCPU];

	pthread_mutex_lock(&c->lock);
	c->root_user = user_root;
	c->root_kernel = kernel_root;
	c->asid = asid;
	/* Untagged address spaces: a root switch drops the non-global entries. */
	if (asid == 0)
		for (unsigned int i = 0; i < TLB_MAX; i++)
			if (c->e[i].valid && !c->e[i].w.global)
				c->e[i].valid = false;
	pthread_mutex_unlock(&c->lock);
}

void vmk_sim_mmu_load_root_hook(void *ctx, unsigned int cpu, vmk_paddr_t user_root,
				vmk_paddr_t kernel_root, uint32_t asid)
{
	(void)ctx;
	vmk_sim_mmu_set_root(cpu, user_root, kernel_root, asid);
}

unsigned int vmk_sim_tlb_count(unsigned int cpu)
{
	struct tlb_cpu *c = &tlbs[cpu % NCPU];
	unsigned int n = 0;

	pthread_mutex_lock(&c->lock);
	for (unsigned int i = 0; i < TLB_MAX; i++)
		n += c->e[i].valid;
	pthread_mutex_unlock(&c->lock);
	return n;
}

int vmk_sim_mmu_must_stay_valid(vmk_vaddr_t va, vmk_size_t size)
{
	if (n_msv == MSV_MAX)
		return -VMK_ENOSPC;
	msv[n_msv].va = va;
	msv[n_msv].size = size;
	n_msv++;
	return 0;
}

unsigned long vmk_sim_mmu_bbm_violations(void)
{
	return __atomic_load_n(&n_viol, __ATOMIC_RELAXED);
}

const char *vmk_sim_mmu_bbm_msg(void)
{
	return viol_msg;
}

size_t vmk_sim_mmu_events(struct vmk_sim_mmu_ev *ev, size_t n)
{
	size_t k;

	pthread_mutex_lock(&ev_lock);
	k = n < ev_count ? n : ev_count;
	for (size_t i = 0; i < k; i++)
		ev[i] = ev_ring[(ev_head + EV_RING - k + i) % EV_RING];
	pthread_mutex_unlock(&ev_lock);
	return k;
}

void vmk_sim_mmu_events_clear(void)
{
	pthread_mutex_lock(&ev_lock);
	ev_head = ev_count = 0;
	pthread_mutex_unlock(&ev_lock);
}

unsigned long vmk_sim_mmu_barriers(enum vmk_barrier kind)
{
	return __atomic_load_n(&n_barrier[kind & 3], __ATOMIC_RELAXED);
}

unsigned long vmk_sim_mmu_tlbis(void)
{
	return __atomic_load_n(&n_tlbi, __ATOMIC_RELAXED);
}

unsigned long vmk_sim_mmu_shootdowns(void)
{
	return __atomic_load_n(&n_shoot, __ATOMIC_RELAXED);
}

unsigned long vmk_sim_mmu_rendezvous_count(void)
{
	return __atomic_load_n(&n_rdv, __ATOMIC_RELAXED);
}
