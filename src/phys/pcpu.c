/*
 * Per-CPU caches of order-0 pages, one per (CPU, domain, pool): a LIFO
 * stack through the records, touched by the owning CPU without a lock or
 * atomic read-modify-write, inside a critical section (interrupts
 * disabled, vmk_intr_disable). This is the order-0 fast path of
 * vmk_page_alloc() and vmk_page_free(); refills and drains move
 * VMK_PHYS_PCPU_BATCH pages under one acquisition of the domain lock.
 *
 * Another CPU's cache is touched only where its owner cannot be inside a
 * cache operation: in a rendezvous (the owner is parked, and parks wait
 * for the end of a critical section, as a masked IPI does), for a CPU
 * that is offline (vmk_phys_cpu_dead), or when the whole system is
 * quiescent. The rendezvous function only detaches the stacks; the pages
 * go back to the buddy lists after it, so it takes no lock.
 */
#include "phys_internal.h"

/* The state and order bytes of a record as one 16-bit value, in the machine's byte order. */
static inline uint16_t so_make(unsigned int state, unsigned int order)
{
	union {
		uint8_t b[2];
		uint16_t h;
	} u = { { (uint8_t)state, (uint8_t)order } };

	return u.h;
}

typedef uint16_t __attribute__((may_alias)) rec_half;

/*
 * The state and order bytes of a record in one relaxed-atomic 16-bit
 * store. The flags byte next to them is not written: vmk_phys_add_bad()
 * may set a flag of a page in use at any time (under the domain lock,
 * which a cache operation does not take).
 */
static inline void pg_set_state_order(struct vmk_page *p, unsigned int state, unsigned int order)
{
	__atomic_store_n((rec_half *)(void *)&p->state, so_make(state, order), __ATOMIC_RELAXED);
}

/*
 * The fast paths read back exactly what the other direction stored: the
 * state and order in one 16-bit load, the flags byte (which they never
 * store) apart. A wider load over the bytes a 16-bit or 8-bit store just
 * wrote cannot be forwarded from the store buffer and waits for the
 * stores to retire, which cost more than the whole pop or push in an
 * alloc-then-free of the same page.
 */
static inline uint16_t pg_state_order(const struct vmk_page *p)
{
	return __atomic_load_n((const rec_half *)(const void *)&p->state, __ATOMIC_RELAXED);
}

/*
 * Keep a computed cache address in a register: without it the compiler
 * derives the address again from the global's for each access (a
 * dozen instructions on the fast paths).
 */
#define PC_KEEP(x) __asm__("" : "+r"(x))

/* Catch two threads using one CPU id, or a re-entry from an interrupt. */
static inline void pc_enter(struct vmk_phys_pcpu *pc)
{
#if VMK_DEBUG
	VMK_ASSERT(__atomic_load_n(&pc->busy, __ATOMIC_RELAXED) == 0,
		   "a per-CPU cache is used by one thread at a time (two threads share a CPU id, "
		   "or an allocator call was re-entered)");
	__atomic_store_n(&pc->busy, 1, __ATOMIC_RELAXED);
#else
	(void)pc;
#endif
}

static inline void pc_exit(struct vmk_phys_pcpu *pc)
{
#if VMK_DEBUG
	__atomic_store_n(&pc->busy, 0, __ATOMIC_RELAXED);
#else
	(void)pc;
#endif
}

static inline void pc_count(struct vmk_phys_pcache *c, uint32_t n)
{
	__atomic_store_n(&c->count, n, __ATOMIC_RELAXED);
}

static inline void prep_one(struct vmk_page *p, unsigned int flags)
{
	vmk_phys__prep_alloc(p, 1, 0, flags, VMK_MEMATTR_WB);
}

/*
 * The state move of one cached page, checked as vmk_phys__set_state()
 * checks it; the counters are the caller's (see struct vmk_phys_pcache).
 */
static inline void pc_move(struct vmk_page *p, unsigned int from, unsigned int to)
{
	VMK_VERIFY(pg_state(p) == from, "page %p expected in state %s, found %s", (void *)p,
		   vmk_page_state_name(from), vmk_page_state_name(pg_state(p)));
	__atomic_store_n(&p->state, (uint8_t)to, __ATOMIC_RELAXED);
}

/*
 * Pop the top page of cache c (of domain d, owned by pc) as an allocated
 * page in state st (ALLOC or PTP). An ALLOC page is counted by the count
 * going down; a PTP page moves one from the cache's base to the PTP counter.
 */
static inline struct vmk_page *pc_pop(struct vmk_phys_pcpu *pc, struct vmk_phys_pcache *c,
				      unsigned int d, unsigned int st)
{
	struct vmk_page *p = c->head;

	pc_move(p, VMK_PAGE_PCPU, st);
	c->head = p->pcpu_next;
	pc_count(c, c->count - 1);
	if (st != VMK_PAGE_ALLOC) {
		cnt_add(&c->base, -1);
		cnt_add(&pc->delta[d][st], 1);
	}
	return p;
}

/* Push p (checked, state st: ALLOC or PTP) onto cache c of domain d: pc_pop() reversed. */
static inline void pc_push(struct vmk_phys_pcpu *pc, struct vmk_phys_pcache *c, unsigned int d,
			   struct vmk_page *p, unsigned int st)
{
	pc_move(p, st, VMK_PAGE_PCPU);
	p->pcpu_next = c->head;
	c->head = p;
	pc_count(c, c->count + 1);
	if (st != VMK_PAGE_ALLOC) {
		cnt_add(&c->base, 1);
		cnt_add(&pc->delta[d][st], -1);
	}
}

/*
 * A page marked bad while its free was putting it into a cache (the free
 * is lock-free, so vmk_phys_add_bad can flag a page that is entering the
 * cache): it becomes BAD here instead of ever leaving the cache.
 */
static void retire_bad(struct vmk_phys_pcache *c, struct vmk_page *p, struct vmk_phys_domain *dm)
{
	p->pcpu_next = NULL;
	pg_set_flags(p, pg_flags(p) & ~VMK_PGF_BADPEND);
	vmk_phys__set_state(p, 1, VMK_PAGE_PCPU, VMK_PAGE_BAD, dm->count);
	cnt_add(&c->base, -1);
}

/* Retire the bad-pending pages at the top of cache c (of domain d). */
static VMK_NOINLINE void cache_retire_bad_head(struct vmk_phys_pcache *c, unsigned int d)
{
	struct vmk_phys_domain *dm = &G.dom[d];

	dom_lock(dm);
	while (c->head && (pg_flags(c->head) & VMK_PGF_BADPEND)) {
		struct vmk_page *p = c->head;

		c->head = p->pcpu_next;
		pc_count(c, c->count - 1);
		retire_bad(c, p, dm);
	}
	dom_unlock(dm);
}

/*
 * Give the run of records [lo, hi) of segment s (pages just taken from a
 * cache and moved to FREE) to the buddy lists: as maximal aligned blocks,
 * so a run that was one block when the cache took it is one list
 * insertion, not one insertion and a merge per page. Domain lock held.
 */
static void drain_run(struct vmk_phys_seg *s, struct vmk_page *lo, struct vmk_page *hi)
{
	uint64_t pfn = s->start_pfn + (uint64_t)(lo - s->pages);

	vmk_phys__free_range(s, pfn, pfn + (uint64_t)(hi - lo));
}

/*
 * Give n pages from the top of cache c (of domain d) back to the buddy
 * lists. One pass under the domain lock: each page's state and flags are
 * checked with one branch and its state written FREE, and pages adjacent
 * in the stack and in the segment's records (either direction: a refill
 * stacks a block in ascending order, frees in reverse allocation order
 * stack it descending) are gathered into runs, each listed as blocks.
 * The counters move once for the whole drain.
 */
static void cache_drain(struct vmk_phys_pcache *c, unsigned int d, uint32_t n)
{
	struct vmk_phys_domain *dm = &G.dom[d];
	struct vmk_page *top = c->head, *lo = NULL, *hi = NULL;
	uint64_t rseg = 0, moved = 0, left = 0;

	if (n == 0 || top == NULL)
		return;
	dom_lock(dm);
	while (n-- > 0 && top) {
		struct vmk_page *p = top;

		top = p->pcpu_next;
		left++;
		if (VMK_UNLIKELY(((pg_state(p) ^ VMK_PAGE_PCPU) | pg_flags(p)) != 0)) {
			/* Pending bad (retired here), or not PCPU at all (refused by the check). */
			if (pg_state(p) == VMK_PAGE_PCPU && (pg_flags(p) & VMK_PGF_BADPEND)) {
				retire_bad(c, p, dm);
				continue;
			}
			pc_move(p, VMK_PAGE_PCPU, VMK_PAGE_FREE);
		}
		__atomic_store_n(&p->state, (uint8_t)VMK_PAGE_FREE, __ATOMIC_RELAXED);
		moved++;
		if (p == hi && p->seg == rseg) {
			hi++;
		} else if (p + 1 == lo && p->seg == rseg) {
			lo--;
		} else {
			if (lo)
				drain_run(&G.segs[rseg], lo, hi);
			rseg = p->seg;
			lo = p;
			hi = p + 1;
		}
	}
	if (lo)
		drain_run(&G.segs[rseg], lo, hi);
	cnt_add(&dm->count[VMK_PAGE_FREE], (int64_t)moved);
	c->head = top;
	pc_count(c, c->count - (uint32_t)left);
	cnt_add(&c->base, -(int64_t)moved);
	dom_unlock(dm);
}

static void pcpu_drain_all_caches(struct vmk_phys_pcpu *pc)
{
	for (unsigned int d = 0; d < G.ndomains; d++)
		for (unsigned int q = 0; q < VMK_NPOOLS; q++)
			cache_drain(&pc->cache[d][q], d, UINT32_MAX);
}

void vmk_phys__drain_self(void)
{
	unsigned long irq = vmk_intr_disable_fast();
	struct vmk_phys_pcpu *pc = &G.pcpu[phys_cpu()];

	pc_enter(pc);
	__atomic_store_n(&pc->drain_req, 0, __ATOMIC_RELAXED);
	pcpu_drain_all_caches(pc);
	pc_exit(pc);
	vmk_intr_restore_fast(irq);
}

void vmk_phys__drain_cpu_direct(unsigned int cpu)
{
	struct vmk_phys_pcpu *pc = &G.pcpu[cpu];

	__atomic_store_n(&pc->drain_req, 0, __ATOMIC_RELAXED);
	pcpu_drain_all_caches(pc);
}

void vmk_phys__drain_pending(struct vmk_phys_pcpu *pc, unsigned int cpu)
{
	(void)cpu;
	if (__atomic_exchange_n(&pc->drain_req, 0, __ATOMIC_ACQUIRE))
		pcpu_drain_all_caches(pc);
}

void vmk_phys_drain_cpu(unsigned int cpu)
{
	if (cpu >= VMK_MAX_CPUS || !G.ready)
		return;
	if (cpu == vmk_cpu_id())
		vmk_phys__drain_self();
	else
		__atomic_store_n(&G.pcpu[cpu].drain_req, 1, __ATOMIC_RELEASE);
}

/* Pages detached from every cache by a rendezvous, per domain and pool. */
struct drain_grab {
	struct vmk_page *head[VMK_MAX_DOMAINS][VMK_NPOOLS];
	uint64_t n;
};

/*
 * Runs while every other CPU is parked outside its critical sections, so
 * no cache is in the middle of an operation. Only pointer moves: no lock
 * (none is needed, and the parked CPUs hold none of the domain locks,
 * which are taken with interrupts disabled).
 */
static void drain_grab_fn(void *arg, unsigned int self)
{
	struct drain_grab *g = arg;

	(void)self;
	for (unsigned int cpu = 0; cpu < VMK_MAX_CPUS; cpu++) {
		struct vmk_phys_pcpu *pc = &G.pcpu[cpu];

		__atomic_store_n(&pc->drain_req, 0, __ATOMIC_RELAXED);
		for (unsigned int d = 0; d < G.ndomains; d++) {
			for (unsigned int q = 0; q < VMK_NPOOLS; q++) {
				struct vmk_phys_pcache *c = &pc->cache[d][q];
				struct vmk_page *t = c->head;

				if (!t)
					continue;
				VMK_VERIFY(!__atomic_load_n(&pc->busy, __ATOMIC_RELAXED),
					   "CPU %u is parked outside its cache operations", cpu);
				g->n += c->count;
				cnt_add(&c->base, -(int64_t)c->count);
				while (t->pcpu_next)
					t = t->pcpu_next;
				t->pcpu_next = g->head[d][q];
				g->head[d][q] = c->head;
				c->head = NULL;
				pc_count(c, 0);
			}
		}
	}
}

/* Give detached stacks back to the buddy lists (as a drain of a cache holding them). */
static void drain_release(struct drain_grab *g)
{
	for (unsigned int d = 0; d < G.ndomains; d++) {
		for (unsigned int q = 0; q < VMK_NPOOLS; q++) {
			/* Its count and base mean nothing: the caches' were settled by the grab. */
			struct vmk_phys_pcache tmp = { g->head[d][q], UINT32_MAX, 0 };

			cache_drain(&tmp, d, UINT32_MAX);
		}
	}
}

/* vmk_phys_drain_all(); returns the pages a rendezvous took from the caches. */
static uint64_t drain_all(void)
{
	const struct vmk_platform *pl = vmk_platform_get();
	unsigned int self, n;

	if (!G.ready)
		return 0;
	n = VMK_MIN(vmk_cpu_count(), (unsigned int)VMK_MAX_CPUS);
	if (pl && pl->rendezvous && n > 1) {
		struct drain_grab g;

		vmk_memset(&g, 0, sizeof(g));
		vmk_rendezvous(drain_grab_fn, &g);
		drain_release(&g);
		return g.n;
	}
	self = vmk_cpu_id();
	for (unsigned int c = 0; c < n; c++)
		if (c != self)
			__atomic_store_n(&G.pcpu[c].drain_req, 1, __ATOMIC_RELEASE);
	vmk_phys__drain_self();
	return 0;
}

void vmk_phys_drain_all(void)
{
	drain_all();
}

void vmk_phys_drain_all_quiescent(void)
{
	if (!G.ready)
		return;
	for (unsigned int c = 0; c < VMK_MAX_CPUS; c++)
		vmk_phys__drain_cpu_direct(c);
}

void vmk_phys_cpu_dead(unsigned int cpu)
{
	struct vmk_phys_pcpu *pc;

	if (cpu >= VMK_MAX_CPUS || !G.ready)
		return;
	pc = &G.pcpu[cpu];
	vmk_phys__drain_cpu_direct(cpu);
	/* Fold its state counters into the domains', as Linux's page_alloc_cpu_dead does. */
	for (unsigned int d = 0; d < G.ndomains; d++) {
		struct vmk_phys_domain *dm = &G.dom[d];

		dom_lock(dm);
		for (unsigned int st = 0; st < VMK_PAGE_NSTATES; st++) {
			cnt_add(&dm->count[st], __atomic_load_n(&pc->delta[d][st], __ATOMIC_RELAXED));
			__atomic_store_n(&pc->delta[d][st], 0, __ATOMIC_RELAXED);
		}
		/* The caches are empty: their bases are ALLOC frames. */
		cnt_add(&dm->count[VMK_PAGE_ALLOC], vmk_phys__pcpu_alloc_delta(cpu, d));
		for (unsigned int q = 0; q < VMK_NPOOLS; q++)
			__atomic_store_n(&pc->cache[d][q].base, 0, __ATOMIC_RELAXED);
		dom_unlock(dm);
	}
}

void vmk_phys__shortage(void)
{
	drain_all();
}

struct vmk_page *vmk_phys__pcpu_refill(unsigned int d, unsigned int q, bool fallback,
				       unsigned int flags)
{
	unsigned long irq = vmk_intr_disable_fast();
	unsigned int cpu = phys_cpu();
	struct vmk_phys_pcpu *pc = &G.pcpu[cpu];
	struct vmk_phys_pcache *c = &pc->cache[d][q];
	struct vmk_phys_domain *dm = &G.dom[d];
	struct vmk_phys_pool *pl = &dm->pools[q];
	unsigned int state = (flags & VMK_ALLOC_PTP) ? VMK_PAGE_PTP : VMK_PAGE_ALLOC;
	struct vmk_page *p = NULL, *stack = NULL;
	uint64_t n = VMK_PHYS_PCPU_BATCH, got;

	pc_enter(pc);
	vmk_phys__drain_pending(pc, cpu);
	if (c->head && (pg_flags(c->head) & VMK_PGF_BADPEND))
		cache_retire_bad_head(c, d);
	/*
	 * A fallback into a lower pool respects its reserve even for cached
	 * pages: as Linux checks a zone's watermark before its per-CPU lists,
	 * the free pages outside the caches must exceed the reserve.
	 */
	if (fallback && !(flags & VMK_ALLOC_LOWMEM) &&
	    ucnt_get(&pl->listed) + ucnt_get(&pl->lazy_free) <= ucnt_get(&pl->reserve))
		goto out;
	if (c->head == NULL) {
		dom_lock(dm);
		if (fallback && !(flags & VMK_ALLOC_LOWMEM)) {
			uint64_t avail = pl->listed + pl->lazy_free;

			n = avail > pl->reserve ? VMK_MIN(n, avail - pl->reserve) : 0;
		}
		got = vmk_phys__take_pages(d, q, n, &stack, VMK_PAGE_PCPU);
		dom_unlock(dm);
		c->head = stack;
		pc_count(c, (uint32_t)got);
		cnt_add(&c->base, (int64_t)got);
	}
	if (c->head)
		p = pc_pop(pc, c, d, state);
out:
	pc_exit(pc);
	vmk_intr_restore_fast(irq);
	if (p)
		prep_one(p, flags);
	return p;
}

/* Uncached, from the requested domain and pool: one lock round trip. */
static VMK_NOINLINE struct vmk_page *alloc_nocache(int domain, unsigned int pool,
						   unsigned int flags)
{
	struct vmk_phys_domain *dm;
	struct vmk_page *p;

	if (domain < 0 || (unsigned int)domain >= G.ndomains || pool >= VMK_NPOOLS)
		return vmk_phys__alloc_slow(domain, pool, 0, flags);
	dm = &G.dom[domain];
	dom_lock(dm);
	p = vmk_phys__take_block((unsigned int)domain, pool, 0);
	if (p)
		vmk_phys__set_state(p, 1, VMK_PAGE_FREE,
				    (flags & VMK_ALLOC_PTP) ? VMK_PAGE_PTP : VMK_PAGE_ALLOC, dm->count);
	dom_unlock(dm);
	if (!p)
		return vmk_phys__alloc_slow(domain, pool, 0, flags);
	prep_one(p, flags);
	return p;
}

/* vmk_page_alloc() off the cache's fast path: NOCACHE, round-robin, bad arguments. */
static VMK_NOINLINE struct vmk_page *alloc_other(int domain, unsigned int pool,
						 unsigned int flags)
{
	if (flags & VMK_ALLOC_NOCACHE)
		return alloc_nocache(domain, pool, flags);
	return vmk_phys__alloc_slow(domain, pool, 0, flags);
}

/*
 * A pop from the calling CPU's cache of (domain, pool): the cache hit of
 * vmk_page_alloc(). Only the cache and the one record are touched; the
 * record's state and flags bytes are checked with one branch (a page that
 * is not PCPU, is pending bad or holds the poison pattern takes the slow
 * path, whose refill retires, checks or refuses it). A PCPU record has
 * order NONE and ref_count 0 (the free wrote them, and FREE records have
 * them too), so only the owner's words and attributes are written.
 * Everything else, an empty cache included, is vmk_phys__alloc_slow().
 * domain is a domain number or VMK_DOMAIN_LOCAL, pool < VMK_NPOOLS; flags
 * has neither NOCACHE nor ZERO.
 */
static inline __attribute__((always_inline)) struct vmk_page *
alloc_cached(int domain, unsigned int pool, unsigned int flags)
{
	unsigned int st = (flags & VMK_ALLOC_PTP) ? VMK_PAGE_PTP : VMK_PAGE_ALLOC;
	unsigned long irq = vmk_intr_disable_fast();
	unsigned int cpu = phys_cpu();
	unsigned int d = domain >= 0 ? (unsigned int)domain : G.cpu_domain[cpu];
	struct vmk_phys_pcpu *pc = &G.pcpu[cpu];
	struct vmk_phys_pcache *c = &pc->cache[d][pool];
	struct vmk_page *p;

	PC_KEEP(c);
	p = c->head;

	if (VMK_UNLIKELY(p == NULL || ((pg_state(p) ^ VMK_PAGE_PCPU) | pg_flags(p)) != 0)) {
		vmk_intr_restore_fast(irq);
		return vmk_phys__alloc_slow(domain, pool, 0, flags);
	}
	/* A pending drain request is honoured at the next free or refill. */
	pc_enter(pc);
	c->head = p->pcpu_next;
	pc_count(c, c->count - 1);
	pg_set_state_order(p, st, 0);
	if (st != VMK_PAGE_ALLOC) {
		cnt_add(&c->base, -1);
		cnt_add(&pc->delta[d][st], 1);
	}
	pc_exit(pc);
	vmk_intr_restore_fast(irq);
	/* The page is the caller's now: its owner's fields. */
	p->md_pv = 0;
	p->owner = 0;
	if (flags & VMK_ALLOC_WIRED)
		p->ref_count = 1;
	p->md_flags = 0;
	p->memattr = VMK_MEMATTR_WB;
	return p;
}

/*
 * vmk_page_alloc() with flags other than 0: the same pop for WIRED and PTP,
 * zeroing after it, the uncached and round-robin paths and the argument
 * checks.
 */
static VMK_NOINLINE struct vmk_page *alloc_flags(int domain, unsigned int pool, unsigned int flags)
{
	struct vmk_page *p;

	if (VMK_UNLIKELY((flags & VMK_ALLOC_NOCACHE) || pool >= VMK_NPOOLS ||
			 domain < VMK_DOMAIN_LOCAL || domain >= VMK_MAX_DOMAINS))
		return alloc_other(domain, pool, flags);
	p = alloc_cached(domain, pool, flags & ~(unsigned int)VMK_ALLOC_ZERO);
	if (p && (flags & VMK_ALLOC_ZERO))
		vmk_phys__zero(p, 1);
	return p;
}

/*
 * The fast path (flags 0, a local or numbered domain, a valid pool) is the
 * pop of alloc_cached() with the flags folded away; everything else is out
 * of line.
 */
struct vmk_page *vmk_page_alloc(int domain, unsigned int pool, unsigned int flags)
{
	if (vmk_fault_fast("phys.alloc"))
		return NULL;
	if (VMK_UNLIKELY(flags != 0 || pool >= VMK_NPOOLS || domain < VMK_DOMAIN_LOCAL ||
			 domain >= VMK_MAX_DOMAINS))
		return alloc_flags(domain, pool, flags);
	return alloc_cached(domain, pool, 0);
}

/* The rare cases of vmk_page_free(), out of line to keep the fast path lean. */
static VMK_NOINLINE void free_slow(struct vmk_page *p)
{
	VMK_VERIFY(p->order == 0, "vmk_page_free() frees an order-0 page (this one heads order %u)",
		   p->order);
	/* Marked bad while in use: straight to BAD under the domain lock. */
	vmk_phys__free_pages(p, 0);
}

/*
 * The end of a free that overflowed the cache or found a drain request:
 * the trim and the end of the critical section, so that the fast path
 * calls nothing and keeps nothing live across a call.
 */
static VMK_NOINLINE void free_trim_exit(struct vmk_phys_pcpu *pc, struct vmk_phys_pcache *c,
					unsigned int d, unsigned int cpu, unsigned long irq)
{
	if (c->count > VMK_PHYS_PCPU_HIGH)
		cache_drain(c, d, VMK_PHYS_PCPU_BATCH);
	vmk_phys__drain_pending(pc, cpu);
	pc_exit(pc);
	vmk_intr_restore_fast(irq);
}

/*
 * A push onto the calling CPU's cache of the page's domain and pool: the
 * cache side of vmk_page_free() for a checked order-0 page in state st
 * (ALLOC or PTP) that is not pending bad. Only p, st and irq live across
 * the hooks: the rest is derived after them.
 */
static inline __attribute__((always_inline)) void free_cached(struct vmk_page *p, unsigned int st)
{
	unsigned long irq = vmk_intr_disable_fast();
	unsigned int cpu = phys_cpu();
	const struct vmk_phys_seg *s = pg_seg(p);
	unsigned int d = s->domain;
	struct vmk_phys_pcpu *pc = &G.pcpu[cpu];
	struct vmk_phys_pcache *c;
	uint32_t n;

	PC_KEEP(pc);
	c = (struct vmk_phys_pcache *)(void *)((char *)pc + s->pc_off);
	n = c->count + 1;

	pc_enter(pc);
	p->ref_count = 0;
	pg_set_state_order(p, VMK_PAGE_PCPU, VMK_ORDER_NONE);
	if (st != VMK_PAGE_ALLOC) {
		cnt_add(&c->base, 1);
		cnt_add(&pc->delta[d][st], -1);
	}
	p->pcpu_next = c->head;
	c->head = p;
	pc_count(c, n);
	if (VMK_UNLIKELY(n > VMK_PHYS_PCPU_HIGH ||
			 __atomic_load_n(&pc->drain_req, __ATOMIC_RELAXED))) {
		free_trim_exit(pc, c, d, cpu, irq);
		return;
	}
	pc_exit(pc);
	vmk_intr_restore_fast(irq);
}

/*
 * vmk_page_free() of anything but an unmapped ALLOC page of order 0 with
 * no flag and poisoning off: the always-on checks name what is wrong
 * (a double free, a NOFREE page, a mapped page, a block head), a page
 * marked bad goes to BAD, a PTP or poisoned page goes to the cache.
 */
static VMK_NOINLINE void free_other(struct vmk_page *p)
{
	unsigned int st = vmk_phys__free_check(p);

	if (VMK_UNLIKELY(p->order != 0 || (pg_flags(p) & VMK_PGF_BADPEND))) {
		free_slow(p);
		return;
	}
	free_cached(p, st);
}

void vmk_page_free(struct vmk_page *p)
{
	/*
	 * Always on: one test of the state, order and flags bytes and one
	 * of the reverse-map word refuse (in free_other) a double free, a
	 * NOFREE page, a mapped page, a block head or tail.
	 */
	if (VMK_UNLIKELY(((unsigned int)(pg_state_order(p) ^ so_make(VMK_PAGE_ALLOC, 0)) | pg_flags(p)) != 0 ||
			 p->md_pv != 0 || G.poison)) {
		free_other(p);
		return;
	}
	free_cached(p, VMK_PAGE_ALLOC);
}

/* ---- used by bulk.c ---- */

size_t vmk_phys__pcpu_take(unsigned int d, unsigned int q, unsigned int flags, size_t n,
			   struct vmk_page **pages)
{
	unsigned long irq = vmk_intr_disable_fast();
	unsigned int cpu = phys_cpu();
	struct vmk_phys_pcpu *pc = &G.pcpu[cpu];
	struct vmk_phys_pcache *c = &pc->cache[d][q];
	unsigned int state = (flags & VMK_ALLOC_PTP) ? VMK_PAGE_PTP : VMK_PAGE_ALLOC;
	size_t got = 0;

	pc_enter(pc);
	vmk_phys__drain_pending(pc, cpu);
	while (got < n && c->head) {
		struct vmk_page *p = c->head;

		if (VMK_UNLIKELY(pg_flags(p) & VMK_PGF_BADPEND)) {
			cache_retire_bad_head(c, d);
			continue;
		}
		pages[got++] = pc_pop(pc, c, d, state);
	}
	pc_exit(pc);
	vmk_intr_restore_fast(irq);
	return got;
}

size_t vmk_phys__pcpu_put(struct vmk_page **pages, size_t n)
{
	unsigned long irq = vmk_intr_disable_fast();
	struct vmk_phys_pcpu *pc = &G.pcpu[phys_cpu()];
	size_t i;

	pc_enter(pc);
	for (i = 0; i < n; i++) {
		struct vmk_page *p = pages[i];
		const struct vmk_phys_seg *s = pg_seg(p);
		struct vmk_phys_pcache *c = &pc->cache[s->domain][s->pool];
		unsigned int st = pg_state(p);

		if (c->count >= VMK_PHYS_PCPU_HIGH || (pg_flags(p) & VMK_PGF_BADPEND))
			break;
		p->ref_count = 0;
		p->order = VMK_ORDER_NONE;
		pc_push(pc, c, s->domain, p, st);
	}
	pc_exit(pc);
	vmk_intr_restore_fast(irq);
	return i;
}

/* Called with the domain lock held, so interrupts are already disabled. */
bool vmk_phys__pcpu_remove_bad(struct vmk_page *p)
{
	struct vmk_phys_pcpu *pc = &G.pcpu[phys_cpu()];
	const struct vmk_phys_seg *s = pg_seg(p);
	struct vmk_phys_pcache *c = &pc->cache[s->domain][s->pool];
	struct vmk_page **pp;
	bool found = false;

	pc_enter(pc);
	for (pp = &c->head; *pp; pp = &(*pp)->pcpu_next) {
		if (*pp == p) {
			*pp = p->pcpu_next;
			pc_count(c, c->count - 1);
			cnt_add(&c->base, -1);
			p->pcpu_next = NULL;
			vmk_phys__set_state(p, 1, VMK_PAGE_PCPU, VMK_PAGE_BAD, pc->delta[s->domain]);
			found = true;
			break;
		}
	}
	pc_exit(pc);
	return found;
}
