/*
 * Per-CPU software TLBs and walk caches: their state, lookups and fills,
 * the walk through them (page-table pages of another address space or
 * freed ones reported), installing the simulated MMU and its queries.
 * Invalidation and the hooks are in tlb_inval.c, the checks in
 * tlb_audit.c, speculation in tlb_spec.c, the direct map in tlb_dmap.c
 * (tlb_internal.h). The model is described in docs/simulator.md.
 */
#include "tlb_internal.h"
#include <vmkit/phys.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


struct vmk_mmu_cfg vmk_sim__mmu_cfg;
static bool broken_pmap;	/* vmk_sim_tlb_expect_broken_pmap() */

#if defined(__SANITIZE_THREAD__)
#define SIM_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SIM_TSAN 1
#endif
#endif
#ifdef SIM_TSAN
void AnnotateIgnoreReadsBegin(const char *file, int line);
void AnnotateIgnoreReadsEnd(const char *file, int line);
#define walk_reads_ignored(on) ((on) ? AnnotateIgnoreReadsBegin(__FILE__, __LINE__) : (void)0)
#define walk_reads_recorded(on) ((on) ? AnnotateIgnoreReadsEnd(__FILE__, __LINE__) : (void)0)
#else
#define walk_reads_ignored(on) ((void)(on))
#define walk_reads_recorded(on) ((void)(on))
#endif

void vmk_sim_tlb_expect_broken_pmap(bool on)
{
	__atomic_store_n(&broken_pmap, on, __ATOMIC_RELAXED);
}
static bool mmu_installed;
struct tlb_cpu vmk_sim__tlbs[NCPU];
static pthread_once_t tlb_once = PTHREAD_ONCE_INIT;
pthread_rwlock_t vmk_sim__park;	/* rendezvous parks accessors */
int vmk_sim__in_rendezvous;
_Thread_local bool vmk_sim__rdv_owner;	/* this thread runs the rendezvous function */

/*
 * Hooks are code running on a CPU: a rendezvous parks them too. With the
 * park lock, at their boundaries; with the signal rendezvous
 * (vmk_sim_mmu_rendezvous_anywhere), the simulator's own code runs with
 * the rendezvous masked, as the hardware's walks and TLB maintenance are
 * not interruptible, so a CPU parks anywhere in vmkit but never inside
 * the simulator holding one of its locks.
 */
bool vmk_sim__rdv_any;
static _Thread_local unsigned long rdv_mask[4];
static _Thread_local unsigned int rdv_nmask;
/* The rendezvous' interrupt hooks, and the ones it replaced (chained: both see vmkit's calls). */
static unsigned long (*rdv_disable)(void *);
static void (*rdv_restore)(void *, unsigned long);
static unsigned long (*under_disable)(void *);
static void (*under_restore)(void *, unsigned long);
static _Thread_local unsigned long under_state[16];
static _Thread_local unsigned int under_n;

void vmk_sim__cpu_enter(void)
{
	if (vmk_sim__rdv_owner)
		return;
	if (__atomic_load_n(&vmk_sim__rdv_any, __ATOMIC_ACQUIRE)) {
		rdv_mask[rdv_nmask++ & 3] = rdv_disable(vmk_sim_platform()->ctx);
		return;
	}
	pthread_rwlock_rdlock(&vmk_sim__park);
}

void vmk_sim__cpu_leave(void)
{
	if (vmk_sim__rdv_owner)
		return;
	if (__atomic_load_n(&vmk_sim__rdv_any, __ATOMIC_ACQUIRE)) {
		rdv_restore(vmk_sim_platform()->ctx, rdv_mask[--rdv_nmask & 3]);
		return;
	}
	pthread_rwlock_unlock(&vmk_sim__park);
}


void (*vmk_sim__prev_tlb)(void *, const struct vmk_tlb_req *);
static void (*prev_barrier)(void *, enum vmk_barrier);
static void (*prev_rendezvous)(void *, vmk_rendezvous_fn, void *);

static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vmk_sim_mmu_ev ev_ring[EV_RING];
static size_t ev_head, ev_count;
unsigned long vmk_sim__n_barrier[4], vmk_sim__n_tlbi, vmk_sim__n_shoot, vmk_sim__n_rdv;

static pthread_mutex_t viol_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long n_viol;
static char viol_msg[256];

/*
 * Walks the checkers do outside any CPU's TLB lock. A TLB invalidation
 * waits for walks in flight (as a DSB after TLBI does), so a PTP freed
 * after it is never still being read.
 */
pthread_mutex_t vmk_sim__walk_lock = PTHREAD_MUTEX_INITIALIZER;

struct sim_range vmk_sim__msv[MSV_MAX];
unsigned int vmk_sim__n_msv;

/* Speculative fills (vmk_sim_mmu_speculate). */
unsigned int vmk_sim__spec_pct, vmk_sim__spec_walks;
uint64_t vmk_sim__spec_seed;
unsigned int vmk_sim__spec_gen;
_Thread_local uint64_t vmk_sim__spec_rng;
_Thread_local unsigned int vmk_sim__spec_rng_gen;
_Thread_local bool vmk_sim__spec_busy;
unsigned long vmk_sim__n_spec;
struct sim_range vmk_sim__hints[HINT_MAX];
unsigned int vmk_sim__n_hints;
vmk_vaddr_t vmk_sim__va_ring[RING];	/* addresses recently accessed or invalidated */
unsigned int vmk_sim__va_ring_head;

/* phys_to_virt through the direct map (vmk_sim_mmu_direct_map). */
vmk_vaddr_t vmk_sim__dmap_base;
vmk_paddr_t vmk_sim__dmap_start, vmk_sim__dmap_end;
void *(*vmk_sim__prev_p2v)(void *, vmk_paddr_t);
unsigned long vmk_sim__n_dmap;

static void tlb_init_once(void)
{
	pthread_rwlockattr_t a;

	/* Writer preference: a rendezvous must not starve behind busy CPUs. */
	pthread_rwlockattr_init(&a);
	pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&vmk_sim__park, &a);
	pthread_rwlockattr_destroy(&a);
	for (unsigned int i = 0; i < NCPU; i++)
		pthread_mutex_init(&vmk_sim__tlbs[i].lock, NULL);
}

unsigned int vmk_sim__tlb_cap(void)
{
	unsigned int n = vmk_sim__mmu_cfg.tlb_entries ? vmk_sim__mmu_cfg.tlb_entries : 64;

	return n > TLB_MAX ? TLB_MAX : n;
}

/* Simulated CPUs in use: only their TLBs can hold anything. */
unsigned int vmk_sim__ncpus(void)
{
	unsigned int n = vmk_cpu_count();

	return n < NCPU ? n : NCPU;
}

void vmk_sim__violation(const char *fmt, ...)
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

void vmk_sim__ev_add(enum vmk_sim_mmu_ev_kind k, unsigned int arg, vmk_vaddr_t va, vmk_size_t size,
		   bool shoot)
{
	pthread_mutex_lock(&ev_lock);
	ev_ring[ev_head] = (struct vmk_sim_mmu_ev){ k, arg, va, size, shoot };
	ev_head = (ev_head + 1) % EV_RING;
	if (ev_count < EV_RING)
		ev_count++;
	pthread_mutex_unlock(&ev_lock);
}

vmk_size_t vmk_sim__lvl_size(unsigned int lvl)
{
	return (vmk_size_t)1 << (12 + 9 * lvl);
}

static unsigned int wc_cap(void)
{
	unsigned int n = vmk_sim__mmu_cfg.walk_cache_entries ? vmk_sim__mmu_cfg.walk_cache_entries : 16;

	return vmk_sim__mmu_cfg.no_walk_cache ? 0 : n > WC_MAX ? WC_MAX : n;
}

static bool va_kern(vmk_vaddr_t va)
{
	return (int64_t)va < 0;
}

/* The roots to re-walk a translation of va with later: x86 kernel-half ones from the kernel root. */
static void ent_roots(const struct tlb_cpu *c, vmk_vaddr_t va, vmk_paddr_t *ru, vmk_paddr_t *rk)
{
	*ru = c->root_user;
	*rk = c->root_kernel;
	if (vmk_sim__mmu_cfg.arch != VMK_PMAP_ARCH_ARM64 && va_kern(va) && c->root_kernel)
		*ru = c->root_kernel;
}

void vmk_sim__record_va(vmk_vaddr_t va)
{
	unsigned int i = __atomic_fetch_add(&vmk_sim__va_ring_head, 1, __ATOMIC_RELAXED) % RING;

	__atomic_store_n(&vmk_sim__va_ring[i], va & ~(vmk_vaddr_t)VMK_PAGE_MASK, __ATOMIC_RELAXED);
}

/* The deepest walk-cache entry of c usable for va (NULL: walk from the root). */
static const struct wc_ent *wc_lookup(const struct tlb_cpu *c, vmk_vaddr_t va)
{
	const struct wc_ent *best = NULL;
	bool kern = va_kern(va);

	for (unsigned int i = 0; i < wc_cap(); i++) {
		const struct wc_ent *e = &c->wc[i];

		if (!e->valid || e->kern != kern || (!kern && e->asid != c->asid) ||
		    va - e->va >= vmk_sim__lvl_size(e->tlevel + 1))
			continue;
		if (!best || e->tlevel < best->tlevel)
			best = e;
	}
	return best;
}

static void wc_insert(struct tlb_cpu *c, vmk_vaddr_t va, unsigned int tlevel, vmk_paddr_t table,
		      uint32_t acc)
{
	vmk_vaddr_t base = va & ~(vmk_sim__lvl_size(tlevel + 1) - 1);
	bool kern = va_kern(va);
	unsigned int cap = wc_cap(), slot = cap;
	struct wc_ent *e;

	for (unsigned int i = 0; i < cap; i++) {
		e = &c->wc[i];
		if (!e->valid) {
			if (slot == cap)
				slot = i;
			continue;
		}
		if (e->tlevel == tlevel && e->va == base && e->kern == kern &&
		    (kern || e->asid == c->asid)) {
			slot = i;
			break;
		}
	}
	if (slot == cap) {
		slot = c->wc_next;
		c->wc_next = (c->wc_next + 1) % cap;
	}
	e = &c->wc[slot];
	e->valid = true;
	e->kern = kern;
	e->tlevel = tlevel;
	e->va = base;
	e->asid = c->asid;
	ent_roots(c, va, &e->root_user, &e->root_kernel);
	e->table = table;
	e->acc = acc;
}

/* The pmap id a root page names (its md_pv, see vmk_pmap_create); 0: unknown, not checked. */
static uint64_t root_owner(vmk_paddr_t root)
{
	struct vmk_page *pg = root && vmk_sim__mmu_cfg.check_ptp ? vmk_pa_to_page(root) : NULL;

	return pg && vmk_page_state(pg) == VMK_PAGE_PTP ? __atomic_load_n(&pg->md_pv, __ATOMIC_RELAXED) : 0;
}

/*
 * A walk by cpu (c locked), through its walk caches, filling them with
 * every table entry the walk used. Reading a page that is not a live PTP
 * is reported. Returns the fault.
 */
int vmk_sim__cpu_walk(struct tlb_cpu *c, unsigned int cpu, vmk_vaddr_t va, uint32_t access, bool update,
		    struct vmk_mmu_walk *w)
{
	struct vmk_mmu_walk_path path;
	const struct wc_ent *hit = wc_lookup(c, va);
	unsigned int from;
	bool ign;
	int r;

	memset(&path, 0, sizeof(path));
	if (hit) {
		path.start_level = hit->tlevel;
		path.start_table = hit->table;
		path.start_acc = hit->acc;
	}
	path.owner_user = root_owner(c->root_user);
	path.owner_kernel = root_owner(c->root_kernel);
	from = hit ? hit->tlevel : vmk_sim__mmu_cfg.levels - 1;
	ign = __atomic_load_n(&broken_pmap, __ATOMIC_RELAXED);
	walk_reads_ignored(ign);
	r = vmk_mmu_walk_path(&vmk_sim__mmu_cfg, c->root_user, c->root_kernel, va, access, update, w, &path);
	walk_reads_recorded(ign);
	if (r == VMK_MMU_OK && w->cont_bad)
		vmk_sim__violation("cpu %u: walk of va %#llx: %s (entry %#llx)", cpu, (unsigned long long)va,
				   w->cont_bad, (unsigned long long)w->pte);
	if (r == VMK_MMU_FAULT_FREED_PTP)
		vmk_sim__violation("cpu %u: walk of va %#llx read page %#llx, which is not a live page-table page (%s)",
			  cpu, (unsigned long long)va, (unsigned long long)w->pa,
			  hit && w->fault_level == hit->tlevel ? "through a walk-cache entry" : "from the root");
	if (r == VMK_MMU_FAULT_FOREIGN_PTP)
		vmk_sim__violation("cpu %u: walk of va %#llx read page %#llx, a page-table page of another address space "
			  "(pmap id %llu, not %llu) (%s)", cpu, (unsigned long long)va, (unsigned long long)w->pa,
			  (unsigned long long)w->pte,
			  (unsigned long long)((int64_t)va < 0 ? path.owner_kernel : path.owner_user),
			  hit && w->fault_level == hit->tlevel ? "through a walk-cache entry" : "from the root");
	for (unsigned int l = 0; l + 1 <= from && l < 5; l++)
		if (path.table[l] && wc_cap())
			wc_insert(c, va, l, path.table[l], path.acc[l]);
	return r;
}

/* True if cached entry t matches a lookup of va in address space asid. */
bool vmk_sim__ent_hit(const struct tlb_ent *t, vmk_vaddr_t va, uint32_t asid)
{
	return t->valid && va - t->va < vmk_sim__ent_size(t) && (t->w.global || t->asid == asid);
}

/* Same translation for the purposes of break-before-make (permissions may differ). */
bool vmk_sim__same_output(const struct vmk_mmu_walk *a, vmk_vaddr_t va_a, const struct vmk_mmu_walk *b,
			vmk_vaddr_t va_b)
{
	return a->level == b->level && a->cont == b->cont &&
	       a->pa - (va_a & (vmk_sim__walk_size(a) - 1)) == b->pa - (va_b & (vmk_sim__walk_size(b) - 1)) &&
	       a->memattr == b->memattr && a->global == b->global;
}

void vmk_sim__tlb_insert(struct tlb_cpu *c, unsigned int cpu, vmk_vaddr_t va,
		       const struct vmk_mmu_walk *w, uint32_t access)
{
	vmk_size_t sz = vmk_sim__walk_size(w);
	vmk_vaddr_t base = va & ~(sz - 1);
	unsigned int cap = vmk_sim__tlb_cap(), slot = cap;

	for (unsigned int i = 0; i < cap; i++) {
		struct tlb_ent *t = &c->e[i];

		if (!t->valid) {
			if (slot == cap)
				slot = i;
			continue;
		}
		if (!(t->w.global || w->global || t->asid == c->asid))
			continue;
		if (t->va < base + sz && base < t->va + vmk_sim__ent_size(t)) {
			if (t->va == base && t->level == w->level && t->w.cont == w->cont) {
				slot = i;	/* refresh (e.g. a dirtying write) */
				continue;
			}
			if (vmk_sim__mmu_cfg.arch == VMK_PMAP_ARCH_ARM64 && !vmk_sim__same_output(&t->w, t->va, w, va))
				vmk_sim__violation("cpu %u: TLB conflict at va %#llx: cached level %u pa %#llx, walked level %u pa %#llx",
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
	ent_roots(c, va, &c->e[slot].root_user, &c->e[slot].root_kernel);
	c->e[slot].w = *w;
	c->e[slot].w.pa = w->pa - (va & (sz - 1));
	c->e[slot].dirty = (access & VMK_MMU_WRITE) != 0;
}

static bool msv_contains(vmk_vaddr_t va)
{
	for (unsigned int i = 0; i < vmk_sim__n_msv; i++)
		if (va - vmk_sim__msv[i].va < vmk_sim__msv[i].size)
			return true;
	return false;
}

int vmk_sim_mmu_access(unsigned int cpu, vmk_vaddr_t va, uint32_t access, struct vmk_mmu_walk *out)
{
	struct tlb_cpu *c = &vmk_sim__tlbs[cpu % NCPU];
	struct vmk_mmu_walk w;
	int r = VMK_MMU_OK;
	bool hit = false;

	vmk_sim__cpu_enter();
	pthread_mutex_lock(&c->lock);
	for (unsigned int i = 0; i < vmk_sim__tlb_cap(); i++) {
		struct tlb_ent *t = &c->e[i];
		bool user = access & VMK_MMU_USER;

		if (!vmk_sim__ent_hit(t, va, c->asid))
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
		r = vmk_sim__cpu_walk(c, cpu, va, access, true, &w);
		if (r == VMK_MMU_OK)
			vmk_sim__tlb_insert(c, cpu, va, &w, access);
	}
	pthread_mutex_unlock(&c->lock);
	vmk_sim__record_va(va);
	if (r == VMK_MMU_FAULT_TRANSLATION && msv_contains(va) &&
	    !__atomic_load_n(&vmk_sim__in_rendezvous, __ATOMIC_ACQUIRE))
		vmk_sim__violation("cpu %u: must-stay-valid va %#llx found invalid", cpu, (unsigned long long)va);
	vmk_sim__cpu_leave();
	if (out)
		*out = w;
	return r;
}

int vmk_sim_mmu_probe(unsigned int cpu, vmk_vaddr_t va, uint32_t access, struct vmk_mmu_walk *w)
{
	struct tlb_cpu *c = &vmk_sim__tlbs[cpu % NCPU];
	vmk_paddr_t ru, rk;

	pthread_mutex_lock(&c->lock);
	ru = c->root_user;
	rk = c->root_kernel;
	pthread_mutex_unlock(&c->lock);
	return vmk_mmu_walk(&vmk_sim__mmu_cfg, ru, rk, va, access, false, w);
}

void vmk_sim_tlb_flush_all(void)
{
	struct vmk_tlb_req all = { .kind = VMK_TLB_ALL };

	for (unsigned int i = 0; i < NCPU; i++)
		vmk_sim__inval_cpu(&vmk_sim__tlbs[i], &all);
}

void vmk_sim_mmu_install(const struct vmk_mmu_cfg *cfg)
{
	struct vmk_platform *p = vmk_sim_platform();

	pthread_once(&tlb_once, tlb_init_once);
	if (!mmu_installed) {
		vmk_sim__prev_tlb = p->tlb_invalidate;
		prev_barrier = p->barrier;
		prev_rendezvous = p->rendezvous;
	}
	vmk_sim__mmu_cfg = *cfg;
	mmu_installed = true;
	vmk_sim_tlb_flush_all();
	for (unsigned int i = 0; i < NCPU; i++) {
		vmk_sim__tlbs[i].root_user = vmk_sim__tlbs[i].root_kernel = 0;
		vmk_sim__tlbs[i].asid = 0;
		vmk_sim__tlbs[i].next = 0;
		vmk_sim__tlbs[i].wc_next = 0;
	}
	memset(vmk_sim__n_barrier, 0, sizeof(vmk_sim__n_barrier));
	vmk_sim__n_tlbi = vmk_sim__n_shoot = vmk_sim__n_rdv = n_viol = 0;
	vmk_sim__tlb_counts_reset();
	viol_msg[0] = '\0';
	vmk_sim__n_msv = 0;
	vmk_sim__n_hints = 0;
	vmk_sim__n_spec = vmk_sim__n_dmap = 0;
	__atomic_store_n(&vmk_sim__va_ring_head, 0, __ATOMIC_RELAXED);
	vmk_sim_mmu_speculate(0, 0, 0);
	vmk_sim_mmu_direct_map(0, 0, 0);
	vmk_sim_mmu_events_clear();
	p->tlb_invalidate = vmk_sim__hook_tlb;
	p->barrier = vmk_sim__hook_barrier;
	p->rendezvous = vmk_sim__hook_rendezvous;
}

static unsigned long chain_disable(void *ctx)
{
	unsigned long st = rdv_disable(ctx);

	if (under_disable)
		under_state[under_n++ & 15] = under_disable(ctx);
	return st;
}

static void chain_restore(void *ctx, unsigned long st)
{
	if (under_restore)
		under_restore(ctx, under_state[--under_n & 15]);
	rdv_restore(ctx, st);
}

void vmk_sim_mmu_rendezvous_anywhere(bool on)
{
	struct vmk_platform *p = vmk_sim_platform();

	if (on == __atomic_load_n(&vmk_sim__rdv_any, __ATOMIC_RELAXED))
		return;
	if (on) {
		under_disable = p->intr_disable;
		under_restore = p->intr_restore;
		vmk_sim_rdv_install();
		rdv_disable = p->intr_disable;
		rdv_restore = p->intr_restore;
		/* vmkit's calls reach both the rendezvous and the interrupt-state recorder. */
		p->intr_disable = chain_disable;
		p->intr_restore = chain_restore;
		/* The MMU's hook stays in front: it records the rendezvous for the checks. */
		p->rendezvous = vmk_sim__hook_rendezvous;
		__atomic_store_n(&vmk_sim__rdv_any, true, __ATOMIC_RELEASE);
	} else {
		__atomic_store_n(&vmk_sim__rdv_any, false, __ATOMIC_RELEASE);
		vmk_sim_rdv_uninstall();
		p->rendezvous = vmk_sim__hook_rendezvous;
	}
}

void vmk_sim_mmu_uninstall(void)
{
	struct vmk_platform *p = vmk_sim_platform();

	if (!mmu_installed)
		return;
	vmk_sim_mmu_spec_thread(false);
	vmk_sim_mmu_direct_map(0, 0, 0);
	vmk_sim_mmu_speculate(0, 0, 0);
	vmk_sim_mmu_rendezvous_anywhere(false);
	p->tlb_invalidate = vmk_sim__prev_tlb;
	p->barrier = prev_barrier;
	p->rendezvous = prev_rendezvous;
	mmu_installed = false;
}

const struct vmk_mmu_cfg *vmk_sim_mmu_cfg(void)
{
	return &vmk_sim__mmu_cfg;
}

void vmk_sim_mmu_set_root(unsigned int cpu, vmk_paddr_t user_root, vmk_paddr_t kernel_root,
			  uint32_t asid)
{
	struct tlb_cpu *c = &vmk_sim__tlbs[cpu % NCPU];

	pthread_mutex_lock(&c->lock);
	c->root_user = user_root;
	c->root_kernel = kernel_root;
	c->asid = asid;
	/* Untagged address spaces: a root switch drops the non-global entries. */
	if (asid == 0) {
		for (unsigned int i = 0; i < TLB_MAX; i++)
			if (c->e[i].valid && !c->e[i].w.global)
				c->e[i].valid = false;
		/* MOV CR3 without PCID empties the paging-structure caches (SDM 4.10.4.1). */
		for (unsigned int i = 0; i < WC_MAX; i++)
			c->wc[i].valid = false;
	}
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
	struct tlb_cpu *c = &vmk_sim__tlbs[cpu % NCPU];
	unsigned int n = 0;

	pthread_mutex_lock(&c->lock);
	for (unsigned int i = 0; i < TLB_MAX; i++)
		n += c->e[i].valid;
	pthread_mutex_unlock(&c->lock);
	return n;
}

int vmk_sim_mmu_must_stay_valid(vmk_vaddr_t va, vmk_size_t size)
{
	if (vmk_sim__n_msv == MSV_MAX)
		return -VMK_ENOSPC;
	vmk_sim__msv[vmk_sim__n_msv].va = va;
	vmk_sim__msv[vmk_sim__n_msv].size = size;
	vmk_sim__n_msv++;
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
	return __atomic_load_n(&vmk_sim__n_barrier[kind & 3], __ATOMIC_RELAXED);
}

unsigned long vmk_sim_mmu_tlbis(void)
{
	return __atomic_load_n(&vmk_sim__n_tlbi, __ATOMIC_RELAXED);
}

unsigned long vmk_sim_mmu_shootdowns(void)
{
	return __atomic_load_n(&vmk_sim__n_shoot, __ATOMIC_RELAXED);
}

unsigned long vmk_sim_mmu_rendezvous_count(void)
{
	return __atomic_load_n(&vmk_sim__n_rdv, __ATOMIC_RELAXED);
}

uint64_t vmk_sim_mmu_cover(unsigned int cpu, vmk_vaddr_t va, vmk_size_t size)
{
	struct tlb_cpu *c = &vmk_sim__tlbs[cpu % NCPU];
	uint64_t n = 0;

	for (vmk_vaddr_t v = va; v - va < size;) {
		struct vmk_mmu_walk w;
		vmk_size_t sz;

		if (vmk_mmu_walk(&vmk_sim__mmu_cfg, c->root_user, c->root_kernel, v, 0, false, &w)) {
			v += 0x1000;
			continue;
		}
		n++;
		sz = vmk_sim__walk_size(&w);
		v = (v & ~(sz - 1)) + sz;
	}
	return n;
}
