/*
 * Per-CPU software TLBs and walk caches, the platform hooks that empty
 * them (TLB invalidation, barriers, rendezvous) and the checks built on
 * them: stale translations and walk-cache entries, break-before-make
 * conflicts, must-stay-valid ranges, page-table pages read after being
 * freed. The model is described in docs/simulator.md.
 */
#include "tlb_internal.h"
#include <vmkit/phys.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TLB_MAX		256
#define NCPU		VMK_MAX_CPUS
#define EV_RING		512
#define MSV_MAX		8
#define WC_MAX		64
#define HINT_MAX	8
#define RING		64

struct tlb_ent {
	bool valid;
	vmk_vaddr_t va;		/* aligned to the leaf size */
	unsigned int level;
	uint32_t asid;
	vmk_paddr_t root_user, root_kernel;	/* the roots it was walked from */
	struct vmk_mmu_walk w;	/* w.pa is the translation of va */
	bool dirty;		/* cached with write done (x86 D / arm64 AP[2]=0) */
};

/*
 * A paging-structure cache entry (x86 PML4E/PDPTE/PDE caches; arm64 walk
 * cache): the level-tlevel table that translates [va, va + size of a
 * level-(tlevel + 1) entry), found through a table entry, with the
 * hierarchical controls accumulated above it. Kernel-half entries match
 * every ASID (a lenient choice: x86 tags them with the PCID).
 */
struct wc_ent {
	bool valid, kern;
	unsigned int tlevel;
	vmk_vaddr_t va;
	uint32_t asid;
	vmk_paddr_t root_user, root_kernel;	/* the roots it was walked from */
	vmk_paddr_t table;
	uint32_t acc;
};

struct tlb_cpu {
	pthread_mutex_t lock;
	struct tlb_ent e[TLB_MAX];
	struct wc_ent wc[WC_MAX];
	unsigned int next;	/* round-robin victim */
	unsigned int wc_next;
	vmk_paddr_t root_user, root_kernel;
	uint32_t asid;
};

static struct vmk_mmu_cfg mmu_cfg;
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
static struct tlb_cpu tlbs[NCPU];
static pthread_once_t tlb_once = PTHREAD_ONCE_INIT;
static pthread_rwlock_t park;	/* rendezvous parks accessors */
static int in_rendezvous;
static _Thread_local bool rdv_owner;	/* this thread runs the rendezvous function */

/*
 * Hooks are code running on a CPU: a rendezvous parks them too. With the
 * park lock, at their boundaries; with the signal rendezvous
 * (vmk_sim_mmu_rendezvous_anywhere), the simulator's own code runs with
 * the rendezvous masked, as the hardware's walks and TLB maintenance are
 * not interruptible, so a CPU parks anywhere in vmkit but never inside
 * the simulator holding one of its locks.
 */
static bool rdv_any;
static _Thread_local unsigned long rdv_mask[4];
static _Thread_local unsigned int rdv_nmask;
/* The rendezvous' interrupt hooks, and the ones it replaced (chained: both see vmkit's calls). */
static unsigned long (*rdv_disable)(void *);
static void (*rdv_restore)(void *, unsigned long);
static unsigned long (*under_disable)(void *);
static void (*under_restore)(void *, unsigned long);
static _Thread_local unsigned long under_state[16];
static _Thread_local unsigned int under_n;

static void cpu_enter(void)
{
	if (rdv_owner)
		return;
	if (__atomic_load_n(&rdv_any, __ATOMIC_ACQUIRE)) {
		rdv_mask[rdv_nmask++ & 3] = rdv_disable(vmk_sim_platform()->ctx);
		return;
	}
	pthread_rwlock_rdlock(&park);
}

static void cpu_leave(void)
{
	if (rdv_owner)
		return;
	if (__atomic_load_n(&rdv_any, __ATOMIC_ACQUIRE)) {
		rdv_restore(vmk_sim_platform()->ctx, rdv_mask[--rdv_nmask & 3]);
		return;
	}
	pthread_rwlock_unlock(&park);
}

static void speculate(void);
static void bg_kick(void);

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

/* Speculative fills (vmk_sim_mmu_speculate). */
static unsigned int spec_pct, spec_walks;
static uint64_t spec_seed;
static unsigned int spec_gen;
static _Thread_local uint64_t spec_rng;
static _Thread_local unsigned int spec_rng_gen;
static _Thread_local bool spec_busy;
static unsigned long n_spec;
static struct { vmk_vaddr_t va; vmk_size_t size; } hints[HINT_MAX];
static unsigned int n_hints;
static vmk_vaddr_t va_ring[RING];	/* addresses recently accessed or invalidated */
static unsigned int va_ring_head;

/* phys_to_virt through the direct map (vmk_sim_mmu_direct_map). */
static vmk_vaddr_t dmap_base;
static vmk_paddr_t dmap_start, dmap_end;
static void *(*prev_p2v)(void *, vmk_paddr_t);
static unsigned long n_dmap;

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

static unsigned int wc_cap(void)
{
	unsigned int n = mmu_cfg.walk_cache_entries ? mmu_cfg.walk_cache_entries : 16;

	return mmu_cfg.no_walk_cache ? 0 : n > WC_MAX ? WC_MAX : n;
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
	if (mmu_cfg.arch != VMK_PMAP_ARCH_ARM64 && va_kern(va) && c->root_kernel)
		*ru = c->root_kernel;
}

static void record_va(vmk_vaddr_t va)
{
	unsigned int i = __atomic_fetch_add(&va_ring_head, 1, __ATOMIC_RELAXED) % RING;

	__atomic_store_n(&va_ring[i], va & ~(vmk_vaddr_t)VMK_PAGE_MASK, __ATOMIC_RELAXED);
}

/* The deepest walk-cache entry of c usable for va (NULL: walk from the root). */
static const struct wc_ent *wc_lookup(const struct tlb_cpu *c, vmk_vaddr_t va)
{
	const struct wc_ent *best = NULL;
	bool kern = va_kern(va);

	for (unsigned int i = 0; i < wc_cap(); i++) {
		const struct wc_ent *e = &c->wc[i];

		if (!e->valid || e->kern != kern || (!kern && e->asid != c->asid) ||
		    va - e->va >= lvl_size(e->tlevel + 1))
			continue;
		if (!best || e->tlevel < best->tlevel)
			best = e;
	}
	return best;
}

static void wc_insert(struct tlb_cpu *c, vmk_vaddr_t va, unsigned int tlevel, vmk_paddr_t table,
		      uint32_t acc)
{
	vmk_vaddr_t base = va & ~(lvl_size(tlevel + 1) - 1);
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
	struct vmk_page *pg = root && mmu_cfg.check_ptp ? vmk_pa_to_page(root) : NULL;

	return pg && vmk_page_state(pg) == VMK_PAGE_PTP ? __atomic_load_n(&pg->md_pv, __ATOMIC_RELAXED) : 0;
}

/*
 * A walk by cpu (c locked), through its walk caches, filling them with
 * every table entry the walk used. Reading a page that is not a live PTP
 * is reported. Returns the fault.
 */
static int cpu_walk(struct tlb_cpu *c, unsigned int cpu, vmk_vaddr_t va, uint32_t access, bool update,
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
	from = hit ? hit->tlevel : mmu_cfg.levels - 1;
	ign = __atomic_load_n(&broken_pmap, __ATOMIC_RELAXED);
	walk_reads_ignored(ign);
	r = vmk_mmu_walk_path(&mmu_cfg, c->root_user, c->root_kernel, va, access, update, w, &path);
	walk_reads_recorded(ign);
	if (r == VMK_MMU_FAULT_FREED_PTP)
		violation("cpu %u: walk of va %#llx read page %#llx, which is not a live page-table page (%s)",
			  cpu, (unsigned long long)va, (unsigned long long)w->pa,
			  hit && w->fault_level == hit->tlevel ? "through a walk-cache entry" : "from the root");
	if (r == VMK_MMU_FAULT_FOREIGN_PTP)
		violation("cpu %u: walk of va %#llx read page %#llx, a page-table page of another address space "
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
	ent_roots(c, va, &c->e[slot].root_user, &c->e[slot].root_kernel);
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

	cpu_enter();
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
		r = cpu_walk(c, cpu, va, access, true, &w);
		if (r == VMK_MMU_OK)
			tlb_insert(c, cpu, va, &w, access);
	}
	pthread_mutex_unlock(&c->lock);
	record_va(va);
	if (r == VMK_MMU_FAULT_TRANSLATION && msv_contains(va) &&
	    !__atomic_load_n(&in_rendezvous, __ATOMIC_ACQUIRE))
		violation("cpu %u: must-stay-valid va %#llx found invalid", cpu, (unsigned long long)va);
	cpu_leave();
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
	else if (w.level != t->level)
		why = mmu_cfg.arch == VMK_PMAP_ARCH_X86_64 ?
		      "other page size: size changed without invalidation (SDM 4.10.2.3)" :
		      "other page size (block/table change without break-before-make)";
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
	else if (t->dirty && mmu_cfg.arch == VMK_PMAP_ARCH_RISCV64 && !(w.pte & (1ull << 7)))
		why = "dirty cached, clean in table";
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
	(void)vmk_mmu_walk_path(&mmu_cfg, e->root_user, e->root_kernel, e->va, 0, false, &w, &path);
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
		    a->va - b->va >= lvl_size(b->level))
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
		struct tlb_cpu *c = &tlbs[cpu];

		pthread_mutex_lock(&c->lock);
		for (unsigned int i = 0; i < TLB_MAX; i++) {
			if (!c->e[i].valid)
				continue;
			if (ent_stale(&c->e[i], n ? NULL : msg, len, cpu))
				n++;
			else if (mmu_cfg.arch == VMK_PMAP_ARCH_X86_64 && two_sizes(c, i, n ? NULL : msg, len, cpu))
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
	struct vmk_mmu_cfg cfg = mmu_cfg;
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

	if (va - t->va < lvl_size(t->level))
		return true;
	if (mmu_cfg.arch != VMK_PMAP_ARCH_X86_64 || t->level >= 2 ||
	    (va ^ t->va) >= lvl_size(2))
		return false;
	l = invlpg_level(t, va, memo);
	return l > t->level && ((va ^ t->va) & ~(lvl_size(l) - 1)) == 0;
}

/* Walk-cache entries a request drops (arm64 VALE1 keeps them; x86 INVLPG drops the whole PCID's). */
static bool wc_kill(const struct wc_ent *e, const struct vmk_tlb_req *req)
{
	bool x86 = mmu_cfg.arch == VMK_PMAP_ARCH_X86_64;

	switch (req->kind) {
	case VMK_TLB_PAGE:
	case VMK_TLB_RANGE:
		/*
		 * riscv64 SFENCE.VMA by address orders leaf PTEs only: a request
		 * that may cover a table entry is done as SFENCE.VMA x0, asid
		 * (x0, x0 for ASID 0), which drops every cached table entry of it.
		 */
		if (mmu_cfg.arch == VMK_PMAP_ARCH_RISCV64)
			return !req->last_level && (req->asid == 0 || (!e->kern && e->asid == req->asid));
		if (x86)
			return e->kern || e->asid == req->asid;
		if (req->last_level || (!e->kern && e->asid != req->asid))
			return false;
		return e->va < req->va + (req->kind == VMK_TLB_PAGE ? 1 : req->size) &&
		       req->va < e->va + lvl_size(e->tlevel + 1);
	case VMK_TLB_ASID:
		return (x86 && e->kern) || (!e->kern && e->asid == req->asid);
	case VMK_TLB_ALL:
	case VMK_TLB_NONGLOBAL:
		return true;
	}
	return true;
}

static void inval_cpu(struct tlb_cpu *c, const struct vmk_tlb_req *req)
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
			kill = (t->va < req->va + req->size && req->va < t->va + lvl_size(t->level)) ||
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
		if (mmu_cfg.arch == VMK_PMAP_ARCH_RISCV64 && !req->last_level &&
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
	vmk_sim__tlb_count(req);
	if (req->shootdown)
		__atomic_add_fetch(&n_shoot, 1, __ATOMIC_RELAXED);
	ev_add(VMK_SIM_EV_TLBI, req->kind, req->va, req->size, req->shootdown);
	if (req->kind == VMK_TLB_PAGE || req->kind == VMK_TLB_RANGE)
		record_va(req->va);
	/* Just before the invalidation: fills it must remove. */
	speculate();
	bg_kick();
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
	speculate();
	bg_kick();
	cpu_leave();
}

/* The signal rendezvous calls this with every other registered CPU parked. */
struct rdv_call {
	vmk_rendezvous_fn fn;
	void *arg;
};

static void rdv_parked(void *arg, unsigned int cpu)
{
	struct rdv_call *rc = arg;

	ev_add(VMK_SIM_EV_RENDEZVOUS_BEGIN, 0, 0, 0, false);
	__atomic_store_n(&in_rendezvous, 1, __ATOMIC_RELEASE);
	rdv_owner = true;
	rc->fn(rc->arg, cpu);
	rdv_owner = false;
	__atomic_store_n(&in_rendezvous, 0, __ATOMIC_RELEASE);
	ev_add(VMK_SIM_EV_RENDEZVOUS_END, 0, 0, 0, false);
}

static void hook_rendezvous(void *ctx, vmk_rendezvous_fn fn, void *arg)
{
	(void)ctx;
	vmk_sim_hook_called();
	__atomic_add_fetch(&n_rdv, 1, __ATOMIC_RELAXED);
	if (__atomic_load_n(&rdv_any, __ATOMIC_ACQUIRE)) {
		struct rdv_call rc = { fn, arg };

		vmk_sim_rendezvous(rdv_parked, &rc);
		return;
	}
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

/* ---- speculative fills ---- */

static uint64_t spec_rand(void)
{
	uint64_t x;

	if (spec_rng_gen != __atomic_load_n(&spec_gen, __ATOMIC_RELAXED) || !spec_rng) {
		spec_rng_gen = __atomic_load_n(&spec_gen, __ATOMIC_RELAXED);
		spec_rng = (__atomic_load_n(&spec_seed, __ATOMIC_RELAXED) + 1) * 0x9e3779b97f4a7c15ull +
			   (uint64_t)(vmk_cpu_id() + 1) * 0xbf58476d1ce4e5b9ull;
		if (!spec_rng)
			spec_rng = 1;
	}
	x = spec_rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	spec_rng = x;
	return x;
}

static bool desc_valid(uint64_t e)
{
	return e & 1;	/* x86 P, arm64 valid, riscv64 V */
}

static bool desc_leaf(uint64_t e, unsigned int lvl)
{
	if (lvl == 0)
		return true;
	if (mmu_cfg.arch == VMK_PMAP_ARCH_RISCV64)
		return (e & 0xa) != 0;	/* R or X */
	return mmu_cfg.arch == VMK_PMAP_ARCH_X86_64 ? (e & (1ull << 7)) != 0 : !(e & 2);
}

/* The next table of a table entry. */
static vmk_paddr_t desc_table(uint64_t e)
{
	if (mmu_cfg.arch == VMK_PMAP_ARCH_RISCV64)
		return (e & 0x003ffffffffffc00ull) << 2;	/* PPN 53:10 */
	return e & 0x000ffffffffff000ull;
}

/*
 * A random live address of c's address space: descend from a root,
 * taking at each level a valid entry near a random index (a table with
 * none ends the descent there: the walk then faults below tables the
 * walk caches may still keep).
 */
static vmk_vaddr_t spec_descend(const struct tlb_cpu *c)
{
	unsigned int top = mmu_cfg.levels - 1, vabits = 12 + 9 * mmu_cfg.levels;
	bool kern = false;
	vmk_paddr_t table = c->root_user;
	vmk_vaddr_t va = 0;

	if (mmu_cfg.arch == VMK_PMAP_ARCH_ARM64 && c->root_kernel && (!table || (spec_rand() & 1))) {
		kern = true;
		table = c->root_kernel;
	}
	for (int l = (int)top; l >= 0 && table; l--) {
		const uint64_t *t = vmk_sim_phys_to_virt(table & 0x000ffffffffff000ull);
		unsigned int idx = (unsigned int)(spec_rand() % 512), k;
		uint64_t e = 0;

		if (!t)
			break;
		for (k = 0; k < 32; k++) {
			e = __atomic_load_n(&t[(idx + k) % 512], __ATOMIC_RELAXED);
			if (desc_valid(e))
				break;
		}
		if (k < 32)
			idx = (idx + k) % 512;
		va |= (vmk_vaddr_t)idx << (12 + 9 * l);
		if (k == 32 || desc_leaf(e, (unsigned int)l))
			break;
		table = desc_table(e);
	}
	if (mmu_cfg.arch != VMK_PMAP_ARCH_ARM64)
		kern = (va >> (vabits - 1)) & 1;
	if (kern)
		va |= ~0ull << vabits;
	return va;
}

/* One speculative walk by cpu (c locked): walk caches always, the TLB if the leaf was accessed. */
static void spec_one(struct tlb_cpu *c, unsigned int cpu, vmk_vaddr_t va)
{
	struct vmk_mmu_walk w;
	uint64_t af = mmu_cfg.arch == VMK_PMAP_ARCH_X86_64 ? (1ull << 5) :
		      mmu_cfg.arch == VMK_PMAP_ARCH_RISCV64 ? (1ull << 6) : (1ull << 10);

	for (unsigned int i = 0; i < tlb_cap(); i++)
		if (ent_hit(&c->e[i], va, c->asid))
			return;	/* a TLB hit: the hardware does not walk */
	__atomic_add_fetch(&n_spec, 1, __ATOMIC_RELAXED);
	/* No A/D update: a test may count referenced bits; a leaf is cached only once accessed. */
	if (cpu_walk(c, cpu, va, 0, false, &w) == VMK_MMU_OK && (w.pte & af))
		tlb_insert(c, cpu, va, &w, 0);
}

/* Speculative walks by cpu (c locked): every hint range, then `walks` live addresses. */
static void spec_cpu(struct tlb_cpu *c, unsigned int cpu, unsigned int walks)
{
	if (!c->root_user && !c->root_kernel)
		return;
	for (unsigned int h = 0; h < n_hints; h++)
		spec_one(c, cpu, hints[h].va + (spec_rand() % (hints[h].size >> 12)) * VMK_PAGE_SIZE);
	for (unsigned int i = 0; i < walks; i++) {
		vmk_vaddr_t va;

		if ((spec_rand() & 1) && __atomic_load_n(&va_ring_head, __ATOMIC_RELAXED))
			va = __atomic_load_n(&va_ring[spec_rand() % RING], __ATOMIC_RELAXED);
		else
			va = spec_descend(c);
		spec_one(c, cpu, va);
	}
}

/*
 * A speculation point: maybe walk a few live addresses on one CPU chosen
 * at random (every CPU over many points: the cost stays flat as CPUs are
 * added), and the hint ranges on every CPU.
 */
static void speculate(void)
{
	unsigned int pct = __atomic_load_n(&spec_pct, __ATOMIC_RELAXED), n = ncpus(), pick;

	if (!pct || spec_busy || spec_rand() % 100 >= pct)
		return;
	spec_busy = true;
	pick = (unsigned int)(spec_rand() % n);
	for (unsigned int cpu = 0; cpu < n; cpu++) {
		struct tlb_cpu *c = &tlbs[cpu];

		if (cpu != pick && !n_hints)
			continue;
		pthread_mutex_lock(&c->lock);
		spec_cpu(c, cpu, cpu == pick ? spec_walks : 0);
		pthread_mutex_unlock(&c->lock);
	}
	spec_busy = false;
}

void vmk_sim_mmu_speculate(unsigned int pct, unsigned int walks, uint64_t seed)
{
	__atomic_store_n(&spec_seed, seed, __ATOMIC_RELAXED);
	__atomic_store_n(&spec_walks, walks, __ATOMIC_RELAXED);
	__atomic_add_fetch(&spec_gen, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&spec_pct, pct > 100 ? 100 : pct, __ATOMIC_RELAXED);
}

int vmk_sim_mmu_spec_hint(vmk_vaddr_t va, vmk_size_t size)
{
	if (n_hints == HINT_MAX || size < VMK_PAGE_SIZE)
		return -VMK_ENOSPC;
	hints[n_hints].va = va & ~(vmk_vaddr_t)VMK_PAGE_MASK;
	hints[n_hints].size = size;
	n_hints++;
	return 0;
}

void vmk_sim_mmu_spec_hints_clear(void)
{
	n_hints = 0;
}

unsigned long vmk_sim_mmu_spec_walks(void)
{
	return __atomic_load_n(&n_spec, __ATOMIC_RELAXED);
}

/*
 * ---- the background speculator (vmk_sim_mmu_spec_thread) ----
 *
 * A walker thread besides the speculation points: the hardware walks
 * while vmkit runs, not only at its hooks. Each barrier and TLB
 * invalidation hook kicks it; per kick it does one round while the
 * kicking CPU runs on: the hint ranges on every CPU, then `walks` live
 * addresses on one CPU chosen at random (its own seeded generator, so
 * the choices are the seed's; when they happen depends on the threads).
 * It holds one CPU's TLB lock at a time, as a walk on that CPU would,
 * so a TLB invalidation of that CPU waits for a walk in flight.
 */
static pthread_t bg_th;
static pthread_mutex_t bg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t bg_cond = PTHREAD_COND_INITIALIZER;
static bool bg_run, bg_started;		/* bg_lock */
static unsigned long bg_kicks, bg_rounds;	/* bg_lock */
static bool bg_enabled;			/* atomic: kicks are wanted */

static void bg_kick(void)
{
	if (!__atomic_load_n(&bg_enabled, __ATOMIC_RELAXED))
		return;
	pthread_mutex_lock(&bg_lock);
	bg_kicks++;
	pthread_cond_broadcast(&bg_cond);
	pthread_mutex_unlock(&bg_lock);
}

static void bg_round(void)
{
	unsigned int n = ncpus(), pick = (unsigned int)(spec_rand() % n);
	unsigned int walks = __atomic_load_n(&spec_walks, __ATOMIC_RELAXED);

	for (unsigned int cpu = 0; cpu < n; cpu++) {
		struct tlb_cpu *c = &tlbs[cpu];

		if (cpu != pick && !n_hints)
			continue;
		pthread_mutex_lock(&c->lock);
		spec_cpu(c, cpu, cpu == pick ? (walks ? walks : 2) : 0);
		pthread_mutex_unlock(&c->lock);
	}
}

static void *bg_main(void *arg)
{
	unsigned long seen = 0;

	spec_rng_gen = __atomic_load_n(&spec_gen, __ATOMIC_RELAXED);
	spec_rng = ((uint64_t)(uintptr_t)arg + 1) * 0xd1b54a32d192ed03ull | 1;
	pthread_mutex_lock(&bg_lock);
	for (;;) {
		while (bg_run && bg_kicks == seen)
			pthread_cond_wait(&bg_cond, &bg_lock);
		if (!bg_run)
			break;
		seen = bg_kicks;
		pthread_mutex_unlock(&bg_lock);
		bg_round();
		pthread_mutex_lock(&bg_lock);
		bg_rounds++;
		pthread_cond_broadcast(&bg_cond);
	}
	pthread_mutex_unlock(&bg_lock);
	return NULL;
}

int vmk_sim_mmu_spec_thread(bool on)
{
	int r = 0;

	pthread_mutex_lock(&bg_lock);
	if (on && !bg_started) {
		bg_run = true;
		r = pthread_create(&bg_th, NULL, bg_main,
				   (void *)(uintptr_t)__atomic_load_n(&spec_seed, __ATOMIC_RELAXED));
		bg_started = r == 0;
		bg_run = bg_started;
		__atomic_store_n(&bg_enabled, bg_started, __ATOMIC_RELAXED);
	} else if (!on && bg_started) {
		__atomic_store_n(&bg_enabled, false, __ATOMIC_RELAXED);
		bg_run = false;
		pthread_cond_broadcast(&bg_cond);
		pthread_mutex_unlock(&bg_lock);
		pthread_join(bg_th, NULL);
		pthread_mutex_lock(&bg_lock);
		bg_started = false;
	}
	pthread_mutex_unlock(&bg_lock);
	return r ? -VMK_ENOMEM : 0;
}

void vmk_sim_mmu_spec_thread_sync(void)
{
	unsigned long want;

	pthread_mutex_lock(&bg_lock);
	if (bg_started) {
		want = bg_rounds + 2;	/* a round that began after this call */
		bg_kicks++;
		pthread_cond_broadcast(&bg_cond);
		while (bg_run && bg_rounds < want) {
			pthread_cond_wait(&bg_cond, &bg_lock);
			if (bg_rounds < want) {
				bg_kicks++;
				pthread_cond_broadcast(&bg_cond);
			}
		}
	}
	pthread_mutex_unlock(&bg_lock);
}

unsigned long vmk_sim_mmu_spec_thread_rounds(void)
{
	unsigned long n;

	pthread_mutex_lock(&bg_lock);
	n = bg_rounds;
	pthread_mutex_unlock(&bg_lock);
	return n;
}

/* ---- phys_to_virt through the direct map ---- */

static void *hook_p2v(void *ctx, vmk_paddr_t pa)
{
	unsigned int cpu = vmk_cpu_id() % NCPU;
	struct tlb_cpu *c = &tlbs[cpu];
	struct vmk_mmu_walk w;
	vmk_vaddr_t va;
	int r = VMK_MMU_OK;
	bool hit = false;

	if (pa < dmap_start || pa >= dmap_end || (!c->root_user && !c->root_kernel))
		return prev_p2v(ctx, pa);
	va = dmap_base + (pa - dmap_start);
	__atomic_add_fetch(&n_dmap, 1, __ATOMIC_RELAXED);
	cpu_enter();
	pthread_mutex_lock(&c->lock);
	for (unsigned int i = 0; i < tlb_cap(); i++) {
		struct tlb_ent *t = &c->e[i];

		if (ent_hit(t, va, c->asid)) {
			w = t->w;
			w.pa = t->w.pa + (va - t->va);
			hit = true;
			break;
		}
	}
	if (!hit) {
		r = cpu_walk(c, cpu, va, VMK_MMU_READ, true, &w);
		if (r == VMK_MMU_OK)
			tlb_insert(c, cpu, va, &w, VMK_MMU_READ);
	}
	pthread_mutex_unlock(&c->lock);
	cpu_leave();
	if (r != VMK_MMU_OK) {
		violation("cpu %u: phys_to_virt(%#llx): direct-map va %#llx faults (%s)", cpu,
			  (unsigned long long)pa, (unsigned long long)va, vmk_mmu_fault_name(r));
		return prev_p2v(ctx, pa);
	}
	if (w.pa != pa)
		violation("cpu %u: phys_to_virt(%#llx): direct-map va %#llx translates to %#llx", cpu,
			  (unsigned long long)pa, (unsigned long long)va, (unsigned long long)w.pa);
	/* What a kernel would touch: the memory the direct map really maps. */
	return prev_p2v(ctx, w.pa);
}

void vmk_sim_mmu_direct_map(vmk_vaddr_t base, vmk_paddr_t start, vmk_paddr_t end)
{
	struct vmk_platform *p = vmk_sim_platform();

	dmap_base = base;
	dmap_start = start;
	dmap_end = base ? end : 0;
	if (base && p->phys_to_virt != hook_p2v) {
		prev_p2v = p->phys_to_virt;
		p->phys_to_virt = hook_p2v;
	} else if (!base && p->phys_to_virt == hook_p2v) {
		p->phys_to_virt = prev_p2v;
	}
}

unsigned long vmk_sim_mmu_direct_map_calls(void)
{
	return __atomic_load_n(&n_dmap, __ATOMIC_RELAXED);
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
		tlbs[i].wc_next = 0;
	}
	memset(n_barrier, 0, sizeof(n_barrier));
	n_tlbi = n_shoot = n_rdv = n_viol = 0;
	vmk_sim__tlb_counts_reset();
	viol_msg[0] = '\0';
	n_msv = 0;
	n_hints = 0;
	n_spec = n_dmap = 0;
	__atomic_store_n(&va_ring_head, 0, __ATOMIC_RELAXED);
	vmk_sim_mmu_speculate(0, 0, 0);
	vmk_sim_mmu_direct_map(0, 0, 0);
	vmk_sim_mmu_events_clear();
	p->tlb_invalidate = hook_tlb;
	p->barrier = hook_barrier;
	p->rendezvous = hook_rendezvous;
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

	if (on == __atomic_load_n(&rdv_any, __ATOMIC_RELAXED))
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
		p->rendezvous = hook_rendezvous;
		__atomic_store_n(&rdv_any, true, __ATOMIC_RELEASE);
	} else {
		__atomic_store_n(&rdv_any, false, __ATOMIC_RELEASE);
		vmk_sim_rdv_uninstall();
		p->rendezvous = hook_rendezvous;
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
