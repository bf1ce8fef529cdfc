/*
 * phys: the physical page allocator.
 *
 * Memory is described by segments: page-aligned physical ranges, each in
 * one NUMA domain and one free pool, each with a dense array of struct
 * vmk_page records. Free memory sits in buddy free lists per domain, per
 * pool, per order (0 .. VMK_MAX_ORDER-1), with a bitmap of the non-empty
 * orders so the smallest fitting block is found in O(1). Order-0 pages go
 * through per-CPU caches. Pools are address classes, as FreeBSD's free
 * lists and Linux's zones: DEFAULT (anything), DMA32 (below 4 GiB), DMA
 * (below 16 MiB); a request falls back only to lower pools and does not
 * take the last low memory unless it says so.
 *
 * Life cycle: memblock describes memory at boot; vmk_phys_init() takes it
 * over once (builds segments, allocates the page array from memblock,
 * frees memblock's free ranges into the buddy lists, keeps reserved
 * ranges reserved, frees memblock's own arrays last). Without memblock, a
 * caller may build segments directly with vmk_phys_seg_add() and give
 * ranges to the allocator with vmk_phys_bootstrap_free().
 *
 * Concurrency: each domain has a spinlock for its free lists, NOFREE pool
 * and lazy-init state. Per-CPU caches are touched only by their CPU
 * without a lock: the caller must not migrate to another CPU (or be
 * re-entered on the same CPU, e.g. from an interrupt) during an
 * allocator call, as with FreeBSD's critical sections. A CPU drains
 * another CPU's cache by posting a request (honoured at that CPU's next
 * free or cache refill) or, if the platform has a rendezvous hook,
 * directly while the others are parked. Functions documented "quiescent" may only be called
 * when no other CPU is inside the allocator (boot, tests, debuggers).
 */
#ifndef VMKIT_PHYS_H
#define VMKIT_PHYS_H

#include <vmkit/page.h>

struct vmk_memblock;

/* ---- configuration (override with -D) ---- */

/* Most segments the allocator manages. */
#ifndef VMK_PHYS_MAX_SEGS
#define VMK_PHYS_MAX_SEGS	64
#endif
/* End of the DMA pool (exclusive) and of the DMA32 pool. */
#ifndef VMK_PHYS_DMA_END
#define VMK_PHYS_DMA_END	(16 * VMK_MiB)
#endif
#ifndef VMK_PHYS_DMA32_END
#define VMK_PHYS_DMA32_END	(4 * VMK_GiB)
#endif
/* Per-CPU cache: pages held at most, and pages moved per refill/drain. */
#ifndef VMK_PHYS_PCPU_HIGH
#define VMK_PHYS_PCPU_HIGH	96
#endif
#ifndef VMK_PHYS_PCPU_BATCH
#define VMK_PHYS_PCPU_BATCH	32
#endif
/*
 * Lazy initialisation runs in steps of at most this many 4 MiB chunks
 * (records of 1024 frames each) per hold of a domain lock, so a failing
 * contiguous request or vmk_phys_lazy_init_all() on a large machine does
 * not hold the lock, with interrupts disabled, for a whole segment.
 */
#ifndef VMK_PHYS_LAZY_STEP
#define VMK_PHYS_LAZY_STEP	16
#endif
/* Order of the blocks the NOFREE pool imports (9: 2 MiB with 4 KiB pages). */
#ifndef VMK_PHYS_NOFREE_ORDER
#define VMK_PHYS_NOFREE_ORDER	9
#endif
/* A lower pool keeps (pages of the higher pools of its domain) / RATIO back from fallbacks. */
#ifndef VMK_PHYS_LOWMEM_RESERVE_RATIO
#define VMK_PHYS_LOWMEM_RESERVE_RATIO	256
#endif

VMK_STATIC_ASSERT(VMK_MAX_ORDER >= 2 && VMK_MAX_ORDER <= 20, "VMK_MAX_ORDER out of range");
VMK_STATIC_ASSERT(VMK_PHYS_LAZY_STEP >= 1, "lazy initialisation makes progress");
VMK_STATIC_ASSERT(VMK_PHYS_NOFREE_ORDER < VMK_MAX_ORDER, "NOFREE import order must be a buddy order");
VMK_STATIC_ASSERT(VMK_PHYS_MAX_SEGS <= 64,
		  "a pool's segments are a 64-bit mask (and a segment index fits a byte)");
VMK_STATIC_ASSERT(VMK_MAX_DOMAINS <= 255, "domain index must fit a byte");

/* ---- pools, domains, flags ---- */

enum vmk_pool {
	VMK_POOL_DEFAULT = 0,	/* any address */
	VMK_POOL_DMA32 = 1,	/* below VMK_PHYS_DMA32_END */
	VMK_POOL_DMA = 2,	/* below VMK_PHYS_DMA_END */
	VMK_NPOOLS = 3
};

/* Domain arguments besides a domain number (0 .. VMK_MAX_DOMAINS-1). */
#define VMK_DOMAIN_LOCAL	(-1)	/* the calling CPU's domain (vmk_phys_set_cpu_domain) */
#define VMK_DOMAIN_RR		(-2)	/* round-robin over domains with memory, per CPU */

/* Allocation flags. */
enum {
	VMK_ALLOC_ZERO = 1u << 0,		/* zero the page(s) */
	VMK_ALLOC_EXACT_DOMAIN = 1u << 1,	/* do not fall back to other domains */
	VMK_ALLOC_EXACT_POOL = 1u << 2,		/* do not fall back to lower pools */
	VMK_ALLOC_LOWMEM = 1u << 3,		/* may take the low-memory reserve of lower pools */
	VMK_ALLOC_NOCACHE = 1u << 4,		/* bypass the per-CPU cache */
	VMK_ALLOC_PTP = 1u << 5,		/* state VMK_PAGE_PTP (page-table page) */
	VMK_ALLOC_WIRED = 1u << 6,		/* ref_count starts at 1 */
};

/* ---- hand-over and set-up ---- */

struct vmk_phys_init_args {
	const vmk_paddr_t *bad;	/* addresses of bad frames (any order, duplicates ok), or NULL */
	size_t nbad;
	bool eager;		/* initialise every page record now (default: lazily) */
};

/*
 * Take memory over from memblock: build segments from its memory regions
 * (node -> domain; NOMAP memory is left out), allocate the page array
 * from memblock (each segment's records on its own node), put memblock's
 * free ranges into the buddy lists in maximal aligned blocks (less the bad
 * frames), keep reserved ranges reserved, and free memblock's own arrays
 * last. Page records are initialised lazily in 4 MiB chunks (when first
 * needed) unless args->eager. args may be NULL. Call once, before any
 * other allocator function except vmk_phys_reset(); memblock must not be
 * used afterwards. Returns 0; -VMK_EBUSY if the allocator already has
 * segments; -VMK_EINVAL if a memory region is on a node beyond
 * VMK_MAX_DOMAINS or the page array is not contiguous in the direct map;
 * -VMK_ENOSPC for more than VMK_PHYS_MAX_SEGS segments; -VMK_ENOMEM if the
 * page array does not fit. On failure nothing changed (memblock included).
 */
int vmk_phys_init(struct vmk_memblock *mb, const struct vmk_phys_init_args *args);

/*
 * Bytes of metadata vmk_phys_seg_add() needs for [base, end) (page records
 * plus lazy-init bitmaps, for every pool piece). 0 if the range is empty
 * or not page-aligned.
 */
size_t vmk_phys_seg_meta_size(vmk_paddr_t base, vmk_paddr_t end);

/*
 * Add a segment [base, end) in domain, split at pool boundaries, using
 * meta (vmk_phys_seg_meta_size() bytes, 8-byte aligned, reachable by the
 * CPU) for its records. Every frame starts RESERVED; give ranges to the
 * allocator with vmk_phys_bootstrap_free(). For embedders without
 * memblock, for tests, and after vmk_phys_init() for memory memblock did
 * not describe (a kernel image and preloaded modules kept out of its
 * memory, as FreeBSD keeps them out of phys_avail). Boot time, quiescent:
 * a segment below existing ones renumbers their records. Returns 0,
 * -VMK_EINVAL (not page-aligned, empty, meta NULL, domain out of range),
 * -VMK_EEXIST (overlaps a segment) or -VMK_ENOSPC (too many segments).
 */
int vmk_phys_seg_add(vmk_paddr_t base, vmk_paddr_t end, unsigned int domain, void *meta);

/*
 * Forget every segment, free list and cache (the metadata memory is not
 * touched). Quiescent. For tests and tools that boot several machines.
 */
void vmk_phys_reset(void);

/*
 * Page poisoning on or off (the state vmk_phys_reset starts in is
 * VMK_PHYS_POISON): while on, every page freed is filled with
 * VMK_PHYS_POISON_BYTE through the direct map, and a debug build panics
 * when it allocates such a page again and finds a byte changed, naming
 * the page's physical address (a write after free). Pages freed while off
 * are never checked. Any context; takes effect for frees that follow.
 */
void vmk_phys_set_poison(bool on);

/* Whether freed pages are poisoned now. Any context. */
bool vmk_phys_poison(void);

/*
 * Initialise every record still waiting for lazy initialisation (free
 * chunks enter the buddy lists as max-order blocks). Returns the number of
 * frames initialised. May be called at any time where the allocator may
 * be; takes each domain lock for at most VMK_PHYS_LAZY_STEP chunks at a
 * time.
 */
uint64_t vmk_phys_lazy_init_all(void);

/* Map CPU cpu to domain (for VMK_DOMAIN_LOCAL). Default: every CPU in domain 0. */
void vmk_phys_set_cpu_domain(unsigned int cpu, unsigned int domain);

/*
 * Domain for the index-th page of an interleaved allocation: stripes of
 * 2^stripe_order pages rotate over the domains with memory. Pass the
 * result as the domain argument. Returns 0 if there is no memory yet.
 */
int vmk_phys_domain_interleave(uint64_t index, unsigned int stripe_order);

/*
 * Override the low-memory reserve of pool in domain (pages kept back from
 * requests that fall back from a higher pool). Returns 0 or -VMK_EINVAL.
 */
int vmk_phys_set_lowmem_reserve(unsigned int domain, unsigned int pool, uint64_t pages);

/* ---- page <-> physical address ---- */

/* Physical address of the frame of p. O(1). */
vmk_paddr_t vmk_page_to_pa(const struct vmk_page *p);

/*
 * The record of the frame holding pa, or NULL if pa is in no segment.
 * O(1); initialises the record first if it was waiting for lazy init.
 */
struct vmk_page *vmk_pa_to_page(vmk_paddr_t pa);

/* ---- allocation ---- */

/*
 * Allocate one page (order 0) from domain (a number, VMK_DOMAIN_LOCAL or
 * VMK_DOMAIN_RR; other domains follow unless VMK_ALLOC_EXACT_DOMAIN) and
 * pool (lower pools follow unless VMK_ALLOC_EXACT_POOL), through the
 * per-CPU cache unless VMK_ALLOC_NOCACHE. The page is ALLOC (PTP with
 * VMK_ALLOC_PTP), ref_count 0 (1 with WIRED), md_pv and owner 0, md_flags
 * 0, memattr WB. Returns NULL when no memory is left, for a bad argument,
 * or on an injected failure ("phys.alloc"). Any context that may take a
 * spinlock.
 */
struct vmk_page *vmk_page_alloc(int domain, unsigned int pool, unsigned int flags);

/*
 * Allocate a naturally aligned block of 2^order pages (order <
 * VMK_MAX_ORDER); like vmk_page_alloc() otherwise (order 0 goes through
 * the per-CPU cache). Every record of the block is ALLOC/PTP; the first
 * has order == order. Free with vmk_page_free_order(). Site "phys.alloc".
 */
struct vmk_page *vmk_page_alloc_order(int domain, unsigned int pool, unsigned int order,
				      unsigned int flags);

/*
 * Free an order-0 page that vmk_page_alloc() (or a contiguous or bulk
 * allocation) returned. Panics if the page is not ALLOC or PTP (double
 * free, a NOFREE page: use vmk_page_nofree_return()) or is still on a
 * reverse-map list (md_pv != 0). A page marked bad while in use becomes
 * BAD.
 */
void vmk_page_free(struct vmk_page *p);

/* Free a block from vmk_page_alloc_order(); order must match. Panics as vmk_page_free(). */
void vmk_page_free_order(struct vmk_page *p, unsigned int order);

/*
 * Allocate npages (>= 1, any count) physically contiguous pages inside
 * [low, high), starting at a multiple of align (a power of two >= the page
 * size, or 0 for a page), not crossing a multiple of boundary (a power of
 * two, or 0 for none), from domain (with fallback unless EXACT_DOMAIN)
 * and whichever pools [low, high) reaches, preferring higher pools. The
 * search looks at runs of free blocks of every order, drains per-CPU
 * caches when it fails, and never takes reserved pages. Each page is an
 * order-0 ALLOC page with the given memattr; free them one by one with
 * vmk_page_free() or together with vmk_page_free_contig(). Returns the
 * first page, or NULL (nothing fits, bad arguments, or an injected
 * failure at "phys.contig").
 */
struct vmk_page *vmk_page_alloc_contig(int domain, size_t npages, vmk_paddr_t low,
				       vmk_paddr_t high, vmk_paddr_t align,
				       vmk_paddr_t boundary, unsigned int memattr,
				       unsigned int flags);

/* Free npages consecutive order-0 pages starting at p (e.g. a contiguous allocation). */
void vmk_page_free_contig(struct vmk_page *p, size_t npages);

/*
 * Allocate up to n order-0 pages into pages[], taking the per-CPU cache
 * first and the rest under one lock acquisition per domain. Returns how
 * many were allocated (pages[0 .. ret-1]); 0 on an injected failure
 * ("phys.bulk").
 */
size_t vmk_page_alloc_bulk(int domain, unsigned int pool, unsigned int flags, size_t n,
			   struct vmk_page **pages);

/* Free n order-0 pages (as vmk_page_free() each, batched per domain). */
void vmk_page_free_bulk(struct vmk_page **pages, size_t n);

/* ---- NOFREE: permanent allocations gathered in few 2 MiB blocks ---- */

/*
 * Allocate one permanent page from domain's NOFREE pool, importing a
 * 2 MiB-aligned block from the buddy allocator when the pool is empty
 * (smaller blocks if no 2 MiB block is free). The page is NOFREE; it may
 * only go back through vmk_page_nofree_return(). NULL if no memory, or on
 * injected failure ("phys.nofree").
 */
struct vmk_page *vmk_page_alloc_nofree(int domain, unsigned int flags);

/*
 * Allocate n NOFREE pages, all or nothing: on failure no page is taken
 * and blocks imported by this call go back to the buddy allocator.
 * Returns 0, -VMK_EINVAL (n == 0 or pages NULL) or -VMK_ENOMEM.
 */
int vmk_page_alloc_nofree_batch(int domain, unsigned int flags, size_t n, struct vmk_page **pages);

/*
 * Take a NOFREE page back into its domain's NOFREE pool (for callers
 * whose multi-page NOFREE allocation failed part-way). The page joins the
 * adjacent runs; the pool counts the pages taken back. Panics if the page
 * is not NOFREE.
 */
void vmk_page_nofree_return(struct vmk_page *p);

/* ---- bad pages and bootstrap free ---- */

/*
 * Mark the frame holding pa bad. A free frame leaves its buddy block
 * (which splits around it) or NOFREE run at once; an allocated or
 * reserved one becomes BAD when it is freed. Returns 0, -VMK_ENOENT (pa
 * in no segment), -VMK_EEXIST (already bad or pending) or -VMK_EBUSY (the
 * frame is in another CPU's cache: drain it and retry).
 */
int vmk_phys_add_bad(vmk_paddr_t pa);

/*
 * Give [base, end) (page-aligned), never on the free lists (kernel image
 * slack, preloaded data), to the allocator: its frames must all be
 * RESERVED; bad (pending) frames become BAD, the rest join the buddy
 * lists coalescing with their neighbours. Returns 0, -VMK_EINVAL
 * (unaligned or empty range, or a frame not RESERVED: nothing changed)
 * or -VMK_ENOENT (part of the range is in no segment: nothing changed).
 * The range is claimed whole before any of it is freed, so of two
 * overlapping calls only one frees (the other fails, -VMK_EINVAL). Any
 * context where the allocator may be called; the range's lazy records are
 * initialised, and its frames checked and freed, in steps of at most
 * VMK_PHYS_LAZY_STEP chunks' worth per domain-lock hold.
 */
int vmk_phys_bootstrap_free(vmk_paddr_t base, vmk_paddr_t end);

/* ---- per-CPU caches ---- */

/*
 * Drain cpu's cache back to the buddy lists: at once for the calling CPU,
 * else by posting a request the CPU honours at its next free or refill.
 * Any context where the allocator may be called.
 */
void vmk_phys_drain_cpu(unsigned int cpu);

/*
 * Drain every CPU's cache. With the platform's rendezvous hook (and more
 * than one CPU) it is synchronous: every cache is empty when it returns
 * (pages freed meanwhile may refill them). Then it must not be called
 * with interrupts disabled or from the rendezvous function. Without the
 * hook it drains the caller's cache and posts requests to the others,
 * which they honour at their next cache operation. Returns nothing; the
 * allocator calls it itself before failing a request for lack of memory.
 */
void vmk_phys_drain_all(void);

/* Drain every cache directly. Quiescent: no other CPU is inside the allocator. */
void vmk_phys_drain_all_quiescent(void);

/*
 * CPU cpu went offline (it runs no code and will not until it comes back
 * online): return its caches to the buddy lists and fold its statistics
 * into its domains', as Linux's page_alloc_cpu_dead() does. Called on
 * another CPU, in any context where the allocator may be called.
 */
void vmk_phys_cpu_dead(unsigned int cpu);

/* ---- statistics, checking, reports ---- */

struct vmk_phys_stats {
	uint64_t present;			/* frames in segments */
	uint64_t state[VMK_PAGE_NSTATES];	/* frames per state */
	uint64_t free;				/* FREE + PCPU (not NOFREE_POOL) */
	uint64_t lazy;				/* frames still awaiting lazy init (free or reserved) */
	uint64_t nofree_imported;		/* blocks the NOFREE pools imported */
	uint64_t nofree_returned;		/* NOFREE pages taken back */
	unsigned int nsegs;
	unsigned int ndomains;			/* domains with memory (highest + 1) */
};

/* Counters summed over domains and CPUs (approximate while others allocate). */
void vmk_phys_get_stats(struct vmk_phys_stats *st);

/* Free frames (FREE + PCPU) in one domain and pool. */
uint64_t vmk_phys_free_pages(unsigned int domain, unsigned int pool);

/*
 * Check every invariant: each frame in exactly one state, free blocks
 * aligned, disjoint, on the list of their order, domain and pool, cache
 * and NOFREE runs well formed, lazy chunks accounted, and every counter
 * equal to a recount. Panics naming the broken invariant. Quiescent.
 */
void vmk_check_phys(void);

/* The boot accounting of vmk_phys_init(), in bytes. */
struct vmk_phys_boot_report {
	uint64_t total;		/* memblock memory, NOMAP included */
	uint64_t free;		/* put on the free lists (memblock's own arrays included) */
	uint64_t reserved;	/* kept reserved */
	uint64_t page_array;	/* page records and bitmaps (whole pages) */
	uint64_t bad;		/* bad frames withheld from the free lists */
	uint64_t nomap;		/* NOMAP memory (no records) */
	uint64_t driver_managed; /* DRIVER_MANAGED memory (not boot memory; no records) */
	uint64_t partial;	/* slivers of memory regions smaller than a page */
	uint64_t memblock_arrays; /* memblock's own arrays freed last (part of free) */
	uint64_t lazy_frames;	/* frames whose records await lazy init */
	uint64_t bad_reserved;	/* bad frames inside reserved memory (pending) */
	unsigned int nsegs;
	bool eager;
};

/* The report of the last vmk_phys_init() (zeroes before it). */
const struct vmk_phys_boot_report *vmk_phys_boot_report(void);

/*
 * Print the boot report: every byte accounted for (free + reserved + page
 * array + bad + nomap + driver-managed + partial pages == total).
 */
void vmk_phys_print_boot(struct vmk_out *out);

/* /proc/buddyinfo format: "Node 0, pool DMA32  n0 n1 ... " per domain and pool. */
void vmk_phys_print_buddyinfo(struct vmk_out *out);

/* Frames per state, bytes per frame, NOFREE and per-CPU figures. */
void vmk_phys_print_states(struct vmk_out *out);

/* Every BAD frame, and every frame in use that turns BAD when freed. Quiescent. */
void vmk_phys_print_bad(struct vmk_out *out);

/* Segments: range, domain, pool, frames, lazy chunks. */
void vmk_phys_print_segments(struct vmk_out *out);

/* Everything above as one JSON object (bad frames included: quiescent). */
void vmk_phys_print_json(struct vmk_out *out);

/* What vmk_phys_peek() reports about a frame. */
struct vmk_phys_peek {
	enum vmk_page_state state;
	unsigned int domain, pool;
	bool lazy;			/* its chunk's records await lazy init */
	unsigned int order;		/* FREE: order of the free block holding it */
	vmk_paddr_t run_start, run_end;	/* frames known to share the state: the free
					 * block, the lazy chunk, or the frame itself */
};

/*
 * Describe the frame holding pa without initialising any record (a lazy
 * chunk reports FREE as one max-order block, or RESERVED). Returns 0, or
 * -VMK_ENOENT if pa is in no segment. Quiescent (reports, debuggers).
 */
int vmk_phys_peek(vmk_paddr_t pa, struct vmk_phys_peek *pk);

/* Name of a pool ("DEFAULT", "DMA32", "DMA"). */
const char *vmk_pool_name(unsigned int pool);

#endif /* VMKIT_PHYS_H */
