/*
 * vmem: a general resource allocator for integer ranges (kernel virtual
 * addresses, ASIDs/PCIDs, I/O space), after Bonwick and Adams' vmem and
 * FreeBSD's subr_vmem.c.
 *
 * An arena holds spans (ranges it manages) cut into segments, each free
 * or allocated, described by boundary tags on one address-ordered list.
 * Free segments also sit on power-of-two free lists (list i holds sizes
 * of [2^i, 2^(i+1)) quanta) with a bitmap of the non-empty ones, so an
 * instant-fit allocation without constraints takes the head of the first
 * non-empty list at or above the request's rounded-up class: O(1).
 * Allocated segments are found again through a hash of their start.
 * Freeing coalesces with free neighbours in the same span.
 *
 * Policies: instant fit (O(1); falls back to the request's own class so
 * it fails only if nothing fits), best fit (the smallest fitting segment),
 * next fit (address order from where the last allocation ended, wrapping:
 * for identifiers that should not be reused soon).
 *
 * Quantum caches: requests up to qcache_max go through per-size caches of
 * ready-made segments, filled and drained in batches, so the common small
 * case touches no boundary tag.
 *
 * Import: an arena with an import function asks its parent for a span
 * when nothing fits, and gives an imported span back when it is entirely
 * free again.
 *
 * Boundary tags come from whole pages given by a tag source (default: the
 * physical allocator through the direct map, never from this or any other
 * arena), and every operation first makes sure it holds the most tags it
 * can need (VMK_VMEM_BT_MAXALLOC), so it never runs out half-way and never
 * recurses into an arena. Every failure leaves the arena's segments as
 * they were. Tag pages return to the source when the arena is destroyed.
 *
 * Locking: each arena has a spinlock, taken with interrupts disabled
 * (vmk_intr_disable), so arenas may be used from any context that may take
 * a spinlock. An importing arena calls its import function with its own
 * lock dropped and interrupts as its caller had them (as FreeBSD's
 * vmem_import does), since an import may take locks a CPU must wait for
 * with interrupts enabled (kmem's grows the kernel page tables under the
 * kernel pmap's lock); it calls its release function with its lock held,
 * so the parent must never call into the child.
 */
#ifndef VMKIT_VMEM_H
#define VMKIT_VMEM_H

#include <vmkit/lib.h>
#include <vmkit/platform.h>

/* Free lists (one per power of two of quanta). */
#define VMK_VMEM_NFREELISTS	64
/* Buckets of the allocated-segment hash. */
#ifndef VMK_VMEM_HASH_SIZE
#define VMK_VMEM_HASH_SIZE	256
#endif
/* Most quantum-cache classes (qcache_max / quantum). */
#define VMK_VMEM_QCACHE_CLASSES	16
/* Segments each quantum-cache class holds at most. */
#define VMK_VMEM_QCACHE_DEPTH	32
/* Most boundary tags one operation consumes (an import span + its free
   segment, and two splits), as FreeBSD's BT_MAXALLOC. */
#define VMK_VMEM_BT_MAXALLOC	4

/* Allocation policies (flags & VMK_VMEM_POLICY_MASK). */
enum {
	VMK_VMEM_INSTANTFIT = 0,
	VMK_VMEM_BESTFIT = 1,
	VMK_VMEM_NEXTFIT = 2,
	VMK_VMEM_POLICY_MASK = 3,
};

/* vmk_vmem_size() selectors. */
enum {
	VMK_VMEM_ALLOC = 1,	/* bytes allocated (quantum caches included) */
	VMK_VMEM_FREE = 2,	/* bytes free */
	VMK_VMEM_TOTAL = 3,	/* bytes managed */
};

/*
 * Where an arena gets whole pages for boundary tags. page_alloc returns a
 * writable page-sized, 8-byte-aligned buffer (and a handle in *cookie) or
 * NULL; page_free takes one back with its handle. Must not call into any
 * vmem arena.
 */
struct vmk_vmem_tag_source {
	void *(*page_alloc)(void *ctx, uint64_t *cookie);
	void (*page_free)(void *ctx, void *page, uint64_t cookie);
	void *ctx;
};

/* The default tag source: order-0 pages from phys, addressed through the direct map. */
extern const struct vmk_vmem_tag_source vmk_vmem_phys_tags;

/*
 * Import: put a span of at least size bytes (a multiple of the arena's
 * import quantum) into *addrp and return 0, or return a negative VMK_E*.
 */
typedef int (*vmk_vmem_import_fn)(void *arg, vmk_size_t size, unsigned int flags,
				  vmk_vaddr_t *addrp);
/* Release: take back a span that import returned (same address and size). */
typedef void (*vmk_vmem_release_fn)(void *arg, vmk_vaddr_t addr, vmk_size_t size);

struct vmk_vmem_params {
	const char *name;
	vmk_vaddr_t base;		/* initial span (size 0: none) */
	vmk_size_t size;
	vmk_size_t quantum;		/* power of two; 0: 1 */
	vmk_size_t qcache_max;		/* largest size served from quantum caches (0: none) */
	vmk_vmem_import_fn import;	/* optional parent */
	vmk_vmem_release_fn release;
	void *import_arg;
	vmk_size_t import_quantum;	/* spans are imported in multiples of this (0: quantum) */
	const struct vmk_vmem_tag_source *tags;	/* NULL: vmk_vmem_phys_tags */
};

struct vmk_vmem_bt;

/* Private to vmem: callers only allocate it (static or embedded) and pass it around. */
struct vmk_vmem_qc {
	struct vmk_spinlock lock;
	uint32_t n;
	vmk_vaddr_t a[VMK_VMEM_QCACHE_DEPTH];
};

struct vmk_vmem {
	struct vmk_spinlock lock;
	const char *name;
	vmk_size_t quantum;
	unsigned int quantum_shift;
	vmk_size_t qcache_max;
	unsigned int nqcache;
	vmk_vmem_import_fn import;
	vmk_vmem_release_fn release;
	void *import_arg;
	vmk_size_t import_quantum;
	struct vmk_vmem_tag_source tags;
	struct vmk_list seglist;			/* every tag, by address */
	struct vmk_list freelist[VMK_VMEM_NFREELISTS];
	uint64_t freemask;				/* bit i: freelist[i] not empty */
	struct vmk_list hash[VMK_VMEM_HASH_SIZE];	/* allocated segments */
	struct vmk_list bt_free;			/* spare tags */
	uint64_t nbt_free;
	void *tag_pages;				/* chain of tag pages */
	uint64_t ntag_pages;
	vmk_vaddr_t rotor;				/* next fit: where to look first */
	vmk_size_t inuse, total;
	uint64_t nbusy;
	uint64_t imports, releases;
	bool ready;
	struct vmk_vmem_qc qc[VMK_VMEM_QCACHE_CLASSES];
};

/*
 * Initialise arena vm (caller-owned storage) with p. Returns 0, or
 * -VMK_EINVAL (quantum not a power of two, misaligned span, qcache_max
 * beyond VMK_VMEM_QCACHE_CLASSES quanta, release without import) or
 * -VMK_ENOMEM (no tag page for the initial span). Any context.
 */
int vmk_vmem_init(struct vmk_vmem *vm, const struct vmk_vmem_params *p);

/*
 * Give every imported span back to the parent and every tag page back to
 * the tag source. The arena must hold no allocation besides quantum-cache
 * contents (they are drained): panics otherwise. Any context.
 */
void vmk_vmem_destroy(struct vmk_vmem *vm);

/*
 * Add [addr, addr + size) as a span of its own. Returns 0, -VMK_EINVAL
 * (empty, misaligned, wraps), -VMK_EEXIST (overlaps a span: nothing
 * changed) or -VMK_ENOMEM (no tags: nothing changed). Any context.
 */
int vmk_vmem_add(struct vmk_vmem *vm, vmk_vaddr_t addr, vmk_size_t size);

/*
 * Allocate size bytes (rounded up to the quantum) with policy
 * flags & VMK_VMEM_POLICY_MASK; sizes up to qcache_max come from the
 * quantum caches. Returns 0 with *addrp set, -VMK_EINVAL (size 0) or
 * -VMK_ENOMEM (nothing fits, no tags, or an injected failure at
 * "vmem.alloc"), with the arena unchanged. Any context.
 */
int vmk_vmem_alloc(struct vmk_vmem *vm, vmk_size_t size, unsigned int flags,
		   vmk_vaddr_t *addrp);

/* Free what vmk_vmem_alloc() returned (same size). Panics on a bad free. */
void vmk_vmem_free(struct vmk_vmem *vm, vmk_vaddr_t addr, vmk_size_t size);

/*
 * Allocate size bytes at an address a with a % align == phase (align a
 * power of two multiple of the quantum, 0: the quantum; phase < align), not
 * crossing a multiple of nocross (a power of two >= size and >= align, or
 * 0), inside [minaddr, maxaddr) (maxaddr 0: no upper limit). Never uses
 * the quantum caches. Returns 0 with *addrp set, -VMK_EINVAL for
 * inconsistent constraints, or -VMK_ENOMEM; the arena is unchanged on
 * failure (a span imported for the request goes back). Any context.
 */
int vmk_vmem_xalloc(struct vmk_vmem *vm, vmk_size_t size, vmk_size_t align, vmk_size_t phase,
		    vmk_size_t nocross, vmk_vaddr_t minaddr, vmk_vaddr_t maxaddr,
		    unsigned int flags, vmk_vaddr_t *addrp);

/*
 * Free a segment from vmk_vmem_xalloc() (or an alloc that bypassed the
 * caches); coalesces, and releases an imported span that became entirely
 * free. Panics if [addr, addr + size) is not exactly an allocated
 * segment. Any context.
 */
void vmk_vmem_xfree(struct vmk_vmem *vm, vmk_vaddr_t addr, vmk_size_t size);

/* Return every quantum-cached segment to the arena. Any context. */
void vmk_vmem_qcache_drain(struct vmk_vmem *vm);

/* Bytes allocated, free or managed (VMK_VMEM_ALLOC / FREE / TOTAL). */
vmk_size_t vmk_vmem_size(struct vmk_vmem *vm, unsigned int what);

/* Pages the arena holds for boundary tags. */
uint64_t vmk_vmem_tag_pages(struct vmk_vmem *vm);

/*
 * Check every invariant: tags in address order, spans disjoint and tiled
 * by their segments, no two adjacent free segments in a span, every free
 * segment on the list of its class and the bitmap matching, every
 * allocated segment in the hash under its bucket, counters equal to a
 * recount, spare tags counted. Returns 0, or -VMK_EINVAL with the first
 * broken invariant in msg. Takes the arena lock.
 */
int vmk_vmem_check(struct vmk_vmem *vm, char *msg, size_t msglen);

/* One line per span and segment. Takes the arena lock. */
void vmk_vmem_print(struct vmk_vmem *vm, struct vmk_out *out);

#endif /* VMKIT_VMEM_H */
