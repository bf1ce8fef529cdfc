/*
 * phys internals shared by the files of src/phys. Not a public header.
 *
 * Locking: g.dom[d].lock protects domain d's pools (free lists, counters,
 * lazy cursors), its NOFREE pool, the lazy bitmaps of its segments, and the
 * records of its FREE and NOFREE_POOL frames. A per-CPU cache and its
 * counters are touched only by the owning CPU (or by a quiescent or
 * rendezvous drain). The state byte and flags byte of a record are read
 * and written with relaxed atomics because lock holders read the state of
 * neighbouring frames (buddies) whose owners may be changing them.
 */
#ifndef VMKIT_PHYS_INTERNAL_H
#define VMKIT_PHYS_INTERNAL_H

#include <vmkit/phys.h>
#include <vmkit/platform.h>

/* Lazy initialisation works in chunks of one max-order block. */
#define PHYS_CHUNK_ORDER	(VMK_MAX_ORDER - 1)
#define PHYS_CHUNK_PAGES	((uint64_t)1 << PHYS_CHUNK_ORDER)
/* Entries of the PA -> segment section table. */
#define PHYS_SECT_ENTRIES	2048
#define PHYS_SECT_MIN_SHIFT	21

struct vmk_phys_seg {
	vmk_paddr_t start, end;		/* page-aligned, end exclusive */
	uint64_t start_pfn, end_pfn;
	struct vmk_page *pages;		/* records of [start_pfn, end_pfn) */
	/*
	 * Lazy chunks, records not initialised: a bit in lazy_free only, a
	 * free chunk; in lazy_resv only, a reserved one; in both, a reserved
	 * chunk claimed by a bootstrap free in progress (its frames as if
	 * flagged VMK_PGF_BOOTFREE).
	 */
	uint64_t *lazy_free;
	uint64_t *lazy_resv;
	uint64_t first_chunk;		/* absolute chunk number of start_pfn */
	uint64_t nchunks;		/* chunks touching the segment */
	uint64_t lazy_count;		/* lazy chunks left (atomic: read without the lock) */
	uint64_t meta_bytes;		/* bytes of metadata (records + bitmaps) */
	uint8_t domain, pool, index;
	uint16_t pc_off;		/* offset of cache[domain][pool] in struct vmk_phys_pcpu */
};

struct vmk_phys_pool {
	struct vmk_list fl[VMK_MAX_ORDER];
	uint32_t nonempty;		/* bit k: fl[k] is not empty */
	uint64_t nblocks[VMK_MAX_ORDER];
	uint64_t listed;		/* frames in listed blocks */
	uint64_t lazy_free;		/* frames in lazy free chunks */
	uint64_t present;		/* frames in the pool's segments */
	uint64_t reserve;		/* low-memory reserve against fallbacks */
	bool reserve_fixed;		/* set by vmk_phys_set_lowmem_reserve */
	uint64_t segmask;		/* segments of this pool */
	unsigned int lazy_seg;		/* materialisation cursor: segment and chunk */
	uint64_t lazy_chunk;
};

struct vmk_phys_domain {
	struct vmk_spinlock lock;	/* taken with interrupts disabled: dom_lock() */
	unsigned long lock_intr;	/* interrupt state saved by the holder */
	struct vmk_phys_pool pools[VMK_NPOOLS];
	int64_t count[VMK_PAGE_NSTATES];	/* frames per state, domain side */
	uint64_t present;
	/* NOFREE pool: runs of contiguous NOFREE_POOL frames, length in aux. */
	struct vmk_list nofree_runs;
	uint64_t nofree_avail;
	uint64_t nofree_imported;
	uint64_t nofree_returned;
} __attribute__((aligned(64)));

struct vmk_phys_pcache {
	struct vmk_page *head;		/* LIFO stack through pcpu_next */
	uint32_t count;			/* pages in the stack */
	/*
	 * count plus the ALLOC frames handed out from this cache net of the
	 * ALLOC frames freed into it: so a pop or push of an ALLOC page
	 * changes count only, and this cache's share of its CPU's ALLOC
	 * counter is base - count (vmk_phys__pcpu_alloc_delta()). Changed
	 * where pages enter or leave otherwise: refills, drains, retirements,
	 * PTP pages. Written by the owner, read by anyone (relaxed atomics).
	 */
	int64_t base;
} __attribute__((aligned(32)));

/*
 * Rows of a CPU's caches: VMK_NPOOLS rounded up to a power of two, so
 * that with 32-byte caches and a power-of-two struct vmk_phys_pcpu the
 * fast paths find a cache with shifts.
 */
#define PHYS_PC_POOLS	4
VMK_STATIC_ASSERT(VMK_NPOOLS <= PHYS_PC_POOLS, "a row of caches holds every pool");

struct vmk_phys_pcpu {
	struct vmk_phys_pcache cache[VMK_MAX_DOMAINS][PHYS_PC_POOLS];	/* pools < VMK_NPOOLS */
	int64_t delta[VMK_MAX_DOMAINS][VMK_PAGE_NSTATES];	/* state counters, CPU side */
	uint32_t drain_req;		/* set by other CPUs (atomic) */
	uint32_t rr;			/* round-robin cursor */
	uint32_t busy;			/* inside a cache operation (re-entry detector) */
} __attribute__((aligned(2048)));

VMK_STATIC_ASSERT(sizeof(((struct vmk_phys_pcpu *)0)->cache) <= 65536,
		  "a cache's offset in struct vmk_phys_pcpu fits vmk_phys_seg.pc_off");

struct vmk_phys {
	bool ready;			/* lists initialised (vmk_phys_reset ran) */
	bool poison;			/* fill freed pages (poison.c) */
	struct vmk_phys_seg segs[VMK_PHYS_MAX_SEGS];
	unsigned int nsegs;
	unsigned int ndomains;		/* highest domain with memory + 1 */
	unsigned int sect_shift;
	uint8_t sect[PHYS_SECT_ENTRIES];
	uint8_t cpu_domain[VMK_MAX_CPUS];
	struct vmk_phys_domain dom[VMK_MAX_DOMAINS];
	struct vmk_phys_pcpu pcpu[VMK_MAX_CPUS];
	struct vmk_phys_boot_report boot;
};

extern struct vmk_phys vmk_phys__g;
#define G (vmk_phys__g)

/* ---- relaxed atomic helpers ---- */

static inline unsigned int pg_state(const struct vmk_page *p)
{
	return __atomic_load_n(&p->state, __ATOMIC_RELAXED);
}

static inline unsigned int pg_flags(const struct vmk_page *p)
{
	return __atomic_load_n(&p->flags, __ATOMIC_RELAXED);
}

static inline void pg_set_flags(struct vmk_page *p, unsigned int f)
{
	__atomic_store_n(&p->flags, (uint8_t)f, __ATOMIC_RELAXED);
}

/* Counter update by its only writer (lock holder or owning CPU); readable by anyone. */
static inline void cnt_add(int64_t *c, int64_t d)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + d, __ATOMIC_RELAXED);
}

static inline void ucnt_add(uint64_t *c, int64_t d)
{
	__atomic_store_n(c, (uint64_t)((int64_t)__atomic_load_n(c, __ATOMIC_RELAXED) + d),
			 __ATOMIC_RELAXED);
}

static inline uint64_t ucnt_get(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* ---- a record as words (the block paths write whole words) ---- */

/* A 64-bit word that may alias a record (GCC and Clang both honour may_alias). */
typedef uint64_t __attribute__((may_alias)) rec_word;

VMK_STATIC_ASSERT(sizeof(struct vmk_page) == 4 * sizeof(uint64_t), "a record is 4 words");
VMK_STATIC_ASSERT(__builtin_offsetof(struct vmk_page, ref_count) == 16 &&
		  __builtin_offsetof(struct vmk_page, aux) == 20 &&
		  __builtin_offsetof(struct vmk_page, state) == 24 &&
		  __builtin_offsetof(struct vmk_page, order) == 25 &&
		  __builtin_offsetof(struct vmk_page, seg) == 26 &&
		  __builtin_offsetof(struct vmk_page, flags) == 27 &&
		  __builtin_offsetof(struct vmk_page, md_flags) == 28 &&
		  __builtin_offsetof(struct vmk_page, memattr) == 29 &&
		  __builtin_offsetof(struct vmk_page, spare) == 30,
		  "word 2 of a record is ref_count, aux; word 3 state .. spare");

/*
 * Word 3 of a record (state, order, seg, flags, md_flags, memattr, spare)
 * with those byte values, in the machine's byte order; with 0xff bytes it
 * is a mask of the fields. Folds to a constant where the arguments are.
 */
static inline uint64_t pg_w3_make(unsigned int state, unsigned int order, unsigned int seg,
				  unsigned int flags, unsigned int md_flags, unsigned int memattr)
{
	union {
		struct { uint8_t b[6]; uint16_t spare; } f;
		uint64_t w;
	} u = { .f = { { (uint8_t)state, (uint8_t)order, (uint8_t)seg, (uint8_t)flags,
			 (uint8_t)md_flags, (uint8_t)memattr }, 0 } };

	return u.w;
}

/* Word 2 of a record: ref_count and aux. */
static inline uint64_t pg_w2_make(uint32_t ref_count, uint32_t aux)
{
	union {
		uint32_t f[2];
		uint64_t w;
	} u = { .f = { ref_count, aux } };

	return u.w;
}

/*
 * Word 3 read and written whole, relaxed-atomically: it holds the state and
 * flags bytes, which others read (and vmk_phys_add_bad() writes) with
 * one-byte atomics.
 */
static inline uint64_t pg_w3(const struct vmk_page *p)
{
	return __atomic_load_n((const rec_word *)(const void *)&p->state, __ATOMIC_RELAXED);
}

static inline void pg_set_w3(struct vmk_page *p, uint64_t w)
{
	__atomic_store_n((rec_word *)(void *)&p->state, w, __ATOMIC_RELAXED);
}

/* Words 0 (md_pv) and 2 (ref_count, aux) of a record. */
static inline uint64_t pg_w0(const struct vmk_page *p)
{
	return ((const rec_word *)(const void *)p)[0];
}

static inline void pg_set_w012(struct vmk_page *p, uint64_t w0, uint64_t w1, uint64_t w2)
{
	rec_word *d = (rec_word *)(void *)p;

	d[0] = w0;
	d[1] = w1;
	d[2] = w2;
}

/* ---- the one state-change function ---- */

/*
 * Bit s of vmk_phys__moves[o]: a frame may go from state o to state s.
 * Static in every file so the compiler folds the check on the fast paths.
 */
#define S_(x) (1u << VMK_PAGE_##x)
static const uint16_t vmk_phys__moves[VMK_PAGE_NSTATES] = {
	[VMK_PAGE_NONE] = 0,
	[VMK_PAGE_FREE] = S_(PCPU) | S_(ALLOC) | S_(PTP) | S_(NOFREE_POOL) | S_(BAD),
	[VMK_PAGE_PCPU] = S_(FREE) | S_(ALLOC) | S_(PTP) | S_(BAD),
	[VMK_PAGE_ALLOC] = S_(FREE) | S_(PCPU) | S_(BAD),
	[VMK_PAGE_PTP] = S_(FREE) | S_(PCPU) | S_(BAD),
	[VMK_PAGE_NOFREE] = S_(NOFREE_POOL) | S_(BAD),
	[VMK_PAGE_NOFREE_POOL] = S_(NOFREE) | S_(FREE) | S_(BAD),
	[VMK_PAGE_RESERVED] = S_(FREE) | S_(BAD),
	[VMK_PAGE_BAD] = 0,
};
#undef S_

/*
 * Move n consecutive records starting at p from state 'from' to state
 * 'to', updating counter array cnt (a domain's count[] under its lock, or
 * the calling CPU's delta[] for that domain). Every state change of a
 * frame after its record is initialised goes through here. PCPU frames
 * are not in cnt: the count of the cache holding them is their counter.
 */
static inline void vmk_phys__set_state(struct vmk_page *p, uint64_t n, unsigned int from,
				       unsigned int to, int64_t *cnt)
{
	/*
	 * Always checked: a wrong transition (a double free, a page freed from
	 * a cache it is not in) corrupts the lists silently otherwise. The
	 * move check folds away where from and to are constants; the state
	 * check is a load of the record about to be written.
	 */
	VMK_VERIFY(vmk_phys__moves[from] & (1u << to),
		   "page state change %s -> %s is not allowed",
		   vmk_page_state_name(from), vmk_page_state_name(to));
	for (uint64_t i = 0; i < n; i++) {
		VMK_VERIFY(pg_state(&p[i]) == from,
			   "page %p expected in state %s, found %s", (void *)&p[i],
			   vmk_page_state_name(from), vmk_page_state_name(pg_state(&p[i])));
		__atomic_store_n(&p[i].state, (uint8_t)to, __ATOMIC_RELAXED);
	}
	/* PCPU frames are counted by their caches' counts (one counter, not two). */
	if (from != VMK_PAGE_PCPU)
		cnt_add(&cnt[from], -(int64_t)n);
	if (to != VMK_PAGE_PCPU)
		cnt_add(&cnt[to], (int64_t)n);
}

/*
 * vmk_phys__set_state() of one frame whose state the caller has just read
 * as 'from' and checked may become 'to' (vmk_page_free() after
 * vmk_phys__free_check()): the same move and counting, without reading
 * the record or the move table again. Nothing else may change the state
 * meanwhile (the caller owns the page).
 */
static inline void vmk_phys__set_state_owned(struct vmk_page *p, unsigned int from,
					     unsigned int to, int64_t *cnt)
{
	__atomic_store_n(&p->state, (uint8_t)to, __ATOMIC_RELAXED);
	if (from != VMK_PAGE_PCPU)
		cnt_add(&cnt[from], -1);
	if (to != VMK_PAGE_PCPU)
		cnt_add(&cnt[to], 1);
}

/* Write fresh records for [p, p + n): state st (counted in cnt), no order. */
void vmk_phys__init_records(struct vmk_page *p, uint64_t n, uint8_t seg, unsigned int st,
			    int64_t *cnt);

/* ---- segments and records (page_array.c) ---- */

static inline struct vmk_phys_seg *pg_seg(const struct vmk_page *p)
{
	return &G.segs[p->seg];
}

static inline uint64_t pg_pfn(const struct vmk_page *p)
{
	const struct vmk_phys_seg *s = pg_seg(p);

	return s->start_pfn + (uint64_t)(p - s->pages);
}

static inline struct vmk_page *seg_page(const struct vmk_phys_seg *s, uint64_t pfn)
{
	return s->pages + (pfn - s->start_pfn);
}

static inline struct vmk_phys_domain *pg_dom(const struct vmk_page *p)
{
	return &G.dom[pg_seg(p)->domain];
}

static inline struct vmk_phys_pool *seg_pool(const struct vmk_phys_seg *s)
{
	return &G.dom[s->domain].pools[s->pool];
}

/* The segment holding pfn, or NULL. */
struct vmk_phys_seg *vmk_phys__pfn_seg(uint64_t pfn);

/* Pool of a physical address (by the pool boundaries). */
unsigned int vmk_phys__pool_of(vmk_paddr_t pa);

/* Add one segment piece (inside one pool); meta holds its records and bitmaps. */
int vmk_phys__seg_insert(vmk_paddr_t start, vmk_paddr_t end, unsigned int domain, void *meta,
			 struct vmk_phys_seg **out);

/* Bytes of metadata a segment piece [start, end) needs. */
uint64_t vmk_phys__seg_meta_bytes(vmk_paddr_t start, vmk_paddr_t end);

/* Rebuild the section table and the per-pool reserves after segments changed. */
void vmk_phys__segs_changed(void);

/* Is chunk (absolute index) of s lazy (free or reserved)? Lock held or acquire read. */
bool vmk_phys__chunk_lazy(const struct vmk_phys_seg *s, uint64_t chunk);

/*
 * Initialise the records of every lazy chunk of s meeting [lo, hi) (pfns).
 * Free chunks enter the buddy lists. Domain lock held. Returns frames done.
 */
uint64_t vmk_phys__materialise(struct vmk_phys_seg *s, uint64_t lo, uint64_t hi);

/* Initialise one lazy free chunk of pool (in domain d, lock held); false if none. */
bool vmk_phys__materialise_one(unsigned int d, unsigned int pool);

/*
 * Eager hand-over (eager.c): the records of the whole chunks [ca, cb) of s
 * in state st (FREE or RESERVED) in one pass, free chunks listed as
 * max-order blocks in that pass. Boot only.
 */
void vmk_phys__eager_chunks(struct vmk_phys_seg *s, uint64_t ca, uint64_t cb, unsigned int st);

/* Mark chunk (absolute index) of s lazy, free or reserved, at set-up. Lock held. */
void vmk_phys__set_lazy(struct vmk_phys_seg *s, uint64_t chunk, bool free);

/*
 * Bootstrap free of a whole lazy reserved chunk (absolute index) without
 * initialising its records, lock held: claim it (false if it is not lazy
 * reserved or is claimed already), drop the claim, or free it (it becomes
 * a lazy free chunk; false if it is not claimed, e.g. initialised since).
 */
bool vmk_phys__chunk_claim(struct vmk_phys_seg *s, uint64_t chunk);
void vmk_phys__chunk_unclaim(struct vmk_phys_seg *s, uint64_t chunk);
bool vmk_phys__chunk_free_claimed(struct vmk_phys_seg *s, uint64_t chunk);

/* Word wi of s's lazy-free bitmap without the claimed chunks: lazy free chunks only. */
static inline uint64_t vmk_phys__lazy_free_word(const struct vmk_phys_seg *s, uint64_t wi)
{
	return __atomic_load_n(&s->lazy_free[wi], __ATOMIC_ACQUIRE) &
	       ~__atomic_load_n(&s->lazy_resv[wi], __ATOMIC_ACQUIRE);
}

/* ---- buddy lists (buddy.c), domain lock held ---- */

/* List the free block of 2^order frames at pfn of s (records FREE), coalescing. */
void vmk_phys__free_block(struct vmk_phys_seg *s, uint64_t pfn, unsigned int order);

/* Free [lo, hi) (records FREE) in maximal aligned blocks, coalescing. */
void vmk_phys__free_range(struct vmk_phys_seg *s, uint64_t lo, uint64_t hi);

/*
 * Take a free block of 2^order frames from pool of domain d, splitting a
 * bigger one if needed and initialising lazy chunks when the lists run
 * out. Returns the head (all records still FREE) or NULL.
 */
struct vmk_page *vmk_phys__take_block(unsigned int d, unsigned int pool, unsigned int order);

/*
 * Take up to n order-0 frames from pool of d onto the LIFO stack (through
 * pcpu_next), each checked FREE and moved to state 'to' (counted in the
 * domain's counters unless PCPU); returns the count.
 */
uint64_t vmk_phys__take_pages(unsigned int d, unsigned int pool, uint64_t n,
			      struct vmk_page **stack, unsigned int to);

/* List helpers. */
void vmk_phys__fl_insert(struct vmk_phys_pool *pl, struct vmk_page *head, unsigned int order);
void vmk_phys__fl_remove(struct vmk_phys_pool *pl, struct vmk_page *head, unsigned int order);

/* The head of the free block holding free frame pfn of s. */
struct vmk_page *vmk_phys__free_head(const struct vmk_phys_seg *s, uint64_t pfn);

/* Remove free frame pfn from its block (the rest stays listed). Record stays FREE. */
void vmk_phys__extract(struct vmk_phys_seg *s, uint64_t pfn);

/* ---- policy (pool.c) ---- */

/* Domain to start from for a domain argument; -1 if invalid. */
int vmk_phys__first_domain(int domain);

/* May a request from pool 'from' take 2^order frames of lower pool pl? Lock held. */
bool vmk_phys__fallback_ok(const struct vmk_phys_pool *pl, unsigned int from, unsigned int pool,
			   unsigned int order, unsigned int flags);

/* Zero the frames of [p, p + n) through the direct map. */
void vmk_phys__zero(struct vmk_page *p, uint64_t n);

/* poison.c: fill a page being freed with the pattern; check (debug) and unflag one allocated. */
void vmk_phys__poison_fill(struct vmk_page *p);
void vmk_phys__poison_check(struct vmk_page *p);

/*
 * Prepare an allocated block's records (state already set): the owner's
 * fields cleared, order, zeroing. aux is already 0 (it is non-zero only at
 * NOFREE run boundaries; the checker verifies that).
 */
static inline void vmk_phys__prep_alloc(struct vmk_page *p, uint64_t n, unsigned int order,
					unsigned int flags, unsigned int memattr)
{
	for (uint64_t i = 0; i < n; i++) {
		if (VMK_UNLIKELY(pg_flags(&p[i]) & VMK_PGF_POISON))
			vmk_phys__poison_check(&p[i]);
		p[i].md_pv = 0;
		p[i].owner = 0;
		p[i].ref_count = (flags & VMK_ALLOC_WIRED) ? 1 : 0;
		p[i].order = VMK_ORDER_NONE;
		p[i].md_flags = 0;
		p[i].memattr = (uint8_t)memattr;
	}
	p->order = (uint8_t)order;
	if (flags & VMK_ALLOC_ZERO)
		vmk_phys__zero(p, n);
}

/*
 * Take the n FREE frames at p (off the lists, domain lock held) as state
 * 'to' with their records prepared as vmk_phys__prep_alloc() prepares
 * them, in one pass: every record gets tail_order, the head head_order.
 * No zeroing. cnt is the domain's count[].
 */
void vmk_phys__take_records(struct vmk_page *p, uint64_t n, unsigned int to, unsigned int head_order,
			    unsigned int tail_order, unsigned int flags, unsigned int memattr,
			    int64_t *cnt);

/* Panic naming why p may not be freed (out of line: the fast path only tests). */
VMK_NORETURN void vmk_phys__free_refused(const struct vmk_page *p);

/* Check a page about to be freed; returns its state (ALLOC or PTP). */
static inline unsigned int vmk_phys__free_check(const struct vmk_page *p)
{
	unsigned int st = pg_state(p);

	if (VMK_UNLIKELY((st != VMK_PAGE_ALLOC && st != VMK_PAGE_PTP) || p->md_pv != 0))
		vmk_phys__free_refused(p);
	if (VMK_UNLIKELY(G.poison))
		vmk_phys__poison_fill((struct vmk_page *)p);
	return st;
}

/*
 * Allocate 2^order frames from the first domain and pool that can give
 * them, in policy order (order 0 through the per-CPU caches unless
 * NOCACHE); drains caches and retries once when everything is short.
 */
struct vmk_page *vmk_phys__alloc_slow(int domain, unsigned int pool, unsigned int order,
				      unsigned int flags);

/* Return 2^order frames at p (state ALLOC/PTP) to the buddy lists. Takes the lock. */
void vmk_phys__free_pages(struct vmk_page *p, unsigned int order);

/* Remove NOFREE_POOL frame pfn of s from its run (nofree.c). Lock held. */
void vmk_phys__nofree_extract(struct vmk_phys_seg *s, uint64_t pfn);

/* ---- per-CPU caches (pcpu.c) ---- */

/* Remove p from the calling CPU's cache if it is there (then it is PCPU -> BAD). */
bool vmk_phys__pcpu_remove_bad(struct vmk_page *p);


/*
 * Refill the calling CPU's cache of (d, q) from the buddy lists and take
 * one page from it, prepared for flags. fallback: q is below the
 * requested pool (respect its reserve). NULL if the pool has nothing.
 */
struct vmk_page *vmk_phys__pcpu_refill(unsigned int d, unsigned int q, bool fallback,
				       unsigned int flags);

/* Take up to n pages of the calling CPU's cache (d, q) as allocated (state per flags). */
size_t vmk_phys__pcpu_take(unsigned int d, unsigned int q, unsigned int flags, size_t n,
			   struct vmk_page **pages);

/* Put pages[0..] (checked, allocated) into the calling CPU's caches until one is full; returns how many. */
size_t vmk_phys__pcpu_put(struct vmk_page **pages, size_t n);

/* Drain the calling CPU's caches (all domains and pools). */
void vmk_phys__drain_self(void);

/* Drain cpu's caches from wherever (quiescent or rendezvous). */
void vmk_phys__drain_cpu_direct(unsigned int cpu);

/* Relieve a shortage: drain own caches, ask others (rendezvous if possible). */
void vmk_phys__shortage(void);

/*
 * The ALLOC frames of domain d that cpu's caches account for (their part
 * of the per-state counters; delta[d][VMK_PAGE_ALLOC] holds the rest).
 */
static inline int64_t vmk_phys__pcpu_alloc_delta(unsigned int cpu, unsigned int d)
{
	int64_t n = 0;

	for (unsigned int q = 0; q < VMK_NPOOLS; q++) {
		const struct vmk_phys_pcache *c = &G.pcpu[cpu].cache[d][q];

		n += __atomic_load_n(&c->base, __ATOMIC_RELAXED) -
		     (int64_t)__atomic_load_n(&c->count, __ATOMIC_RELAXED);
	}
	return n;
}

/* Honour a pending drain request for the calling CPU. */
void vmk_phys__drain_pending(struct vmk_phys_pcpu *pc, unsigned int cpu);

static inline unsigned int phys_cpu(void)
{
	unsigned int c = vmk_cpu_id_fast();

	VMK_ASSERT(c < VMK_MAX_CPUS, "CPU id %u below VMK_MAX_CPUS", c);
	return c;
}

/* ---- domain locks ---- */

/*
 * A domain lock is taken with interrupts disabled (the critical-section
 * contract): an allocation may come from an interrupt handler, and a CPU
 * parked by a rendezvous then never holds one, so the rendezvous
 * function and every CPU still finishing its critical section can take
 * it. The holder keeps the saved state in the domain (it is the only
 * writer while it holds the lock). Domain locks never nest.
 */
static inline void dom_lock(struct vmk_phys_domain *dm)
{
	unsigned long s = vmk_intr_disable_fast();

	vmk_spin_lock(&dm->lock);
	dm->lock_intr = s;
}

static inline void dom_unlock(struct vmk_phys_domain *dm)
{
	unsigned long s = dm->lock_intr;

	vmk_spin_unlock(&dm->lock);
	vmk_intr_restore_fast(s);
}

/* ---- misc ---- */

/* The i-th domain of the fallback order starting at d0 (no division on the hot path). */
static inline unsigned int phys_dom_next(unsigned int d0, unsigned int i, unsigned int nd)
{
	unsigned int d = d0 + i;

	return d >= nd ? d - nd : d;
}

/* Initialise the global state on first use. */
static inline void phys_ready(void)
{
	if (VMK_UNLIKELY(!G.ready))
		vmk_phys_reset();
}

static inline uint64_t pow2(unsigned int o)
{
	return (uint64_t)1 << o;
}

#endif /* VMKIT_PHYS_INTERNAL_H */
