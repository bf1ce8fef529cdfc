/*
 * kmem: kernel memory, the layer that joins the kernel virtual address
 * arenas (vmem), the physical allocator (phys) and the kernel page tables
 * (pmap), as FreeBSD's vm_kern.c.
 *
 * KVA: one root arena over the window given to vmk_kmem_init(); per
 * NUMA domain, an ordinary arena and a NOFREE arena that import the root
 * in 2 MiB-aligned units (kernel page tables for a unit are grown when it
 * is imported, so backing never allocates a page-table page).
 *
 * Physical backing of ordinary memory: the first page backed in a 2 MiB
 * unit tries to take a whole 2 MiB-aligned physical run from the unit's
 * domain (a reservation, as FreeBSD's kernel-object reservations); every
 * page of the unit then uses the frame at the same offset in the run, so
 * a fully backed unit is promoted to a 2 MiB mapping by the pmap. Without
 * a free run, pages come one by one. A reservation goes back to phys when
 * its last page is unbacked. NOFREE memory comes from phys's NOFREE pool
 * (which gathers it in 2 MiB blocks) into the NOFREE arenas' own units.
 *
 * Rules kept on every path: every failure unwinds completely (KVA,
 * pages, mappings; NOFREE pages go back to the NOFREE pool, never
 * through the ordinary free path); KVA is returned to an arena only
 * after its mappings are removed (and the TLBs invalidated).
 *
 * Contexts: after vmk_kmem_init(), every function may be called from any
 * CPU in any context that may take spinlocks, unless it says otherwise.
 * Nothing sleeps: VMK_KM_NOWAIT is accepted and is what every call does.
 */
#ifndef VMKIT_KMEM_H
#define VMKIT_KMEM_H

#include <vmkit/vmem.h>
#include <vmkit/pmap.h>
#include <vmkit/phys.h>

/* Size of a KVA import unit and of a reservation (one 2 MiB superpage). */
#define VMK_KMEM_UNIT	(2 * VMK_MiB)

/* kmem_malloc flags. */
enum {
	VMK_KM_ZERO = 1u << 0,		/* zero the memory */
	VMK_KM_NOWAIT = 1u << 1,	/* never wait (always true here) */
	VMK_KM_NOFREE = 1u << 2,	/* permanent: never freed, gathered in NOFREE units */
	VMK_KM_EXACT_DOMAIN = 1u << 3,	/* only the requested domain */
};

struct vmk_kmem_config {
	/* The KVA window kmem manages: 2 MiB aligned, inside the kernel pmap's window. */
	vmk_vaddr_t kva_start, kva_end;
	/* CPU -> domain for VMK_DOMAIN_LOCAL (NULL: every CPU in domain 0). */
	const uint8_t *cpu_domain;
	unsigned int ncpus;
};

/*
 * Set kmem up over cfg's window. phys and the kernel pmap must be ready.
 * Allocates the unit table (one word and one byte per 2 MiB unit) from
 * phys. Boot time, once (tests call vmk_kmem_reset() first). Returns 0,
 * -VMK_EINVAL (window misaligned, empty or outside the kernel pmap) or
 * -VMK_ENOMEM.
 */
int vmk_kmem_init(const struct vmk_kmem_config *cfg);

/*
 * Forget kmem (arenas destroyed, unit table freed). Everything allocated
 * must have been freed (NOFREE memory is abandoned with its mappings).
 * Quiescent; for tests and tools that boot several machines.
 */
void vmk_kmem_reset(void);

/*
 * Allocate size bytes (rounded up to pages) of wired, mapped kernel
 * memory, read/write, no-execute, write-back. domain: a domain number,
 * VMK_DOMAIN_LOCAL or VMK_DOMAIN_RR (round-robin); other domains follow
 * unless VMK_KM_EXACT_DOMAIN. Returns the address, or 0 (no KVA or
 * memory, bad arguments, injected failure) with everything unwound.
 */
vmk_vaddr_t vmk_kmem_malloc_domain(int domain, vmk_size_t size, unsigned int flags);

/* vmk_kmem_malloc_domain(VMK_DOMAIN_RR, size, flags), FreeBSD's default policy. */
vmk_vaddr_t vmk_kmem_malloc(vmk_size_t size, unsigned int flags);

/*
 * Free memory from vmk_kmem_malloc*, vmk_kmem_alloc_contig (same size):
 * unmaps, frees the frames, then returns the KVA. Panics for NOFREE
 * memory or an address kmem did not hand out.
 */
void vmk_kmem_free(vmk_vaddr_t va, vmk_size_t size);

/*
 * Allocate size bytes of physically contiguous memory in [low, high),
 * aligned to align, not crossing boundary (phys's rules), with memory
 * attribute memattr (WT is not supported), from domain (fallback unless
 * VMK_KM_EXACT_DOMAIN), mapped like kmem_malloc. VMK_KM_ZERO zeroes it.
 * Returns the address or 0, with everything unwound. Free with
 * vmk_kmem_free().
 */
vmk_vaddr_t vmk_kmem_alloc_contig(vmk_size_t size, vmk_paddr_t low, vmk_paddr_t high,
				  vmk_paddr_t align, vmk_paddr_t boundary, unsigned int memattr,
				  int domain, unsigned int flags);

/*
 * Back [va, va + size) (page aligned, KVA from a kmem arena of domain,
 * unmapped) with pages of domain (VMK_KM_ZERO, VMK_KM_NOFREE honoured).
 * All or nothing: returns 0, or -VMK_ENOMEM / -VMK_EINVAL with nothing
 * mapped and every page taken given back.
 */
int vmk_kmem_back(int domain, vmk_vaddr_t va, vmk_size_t size, unsigned int flags);

/*
 * Unmap [va, va + size) (backed by vmk_kmem_back) and free its frames
 * (mappings are removed first). Does not return the KVA. Panics for
 * NOFREE pages.
 */
void vmk_kmem_unback(vmk_vaddr_t va, vmk_size_t size);

/*
 * A kernel stack of pages pages with guard unmapped pages below and above
 * it, from domain. Returns the lowest address of the stack (the guard
 * below ends there) or 0.
 */
vmk_vaddr_t vmk_kmem_alloc_stack(unsigned int pages, unsigned int guard, int domain);

/* Free a stack from vmk_kmem_alloc_stack (same pages and guard). */
void vmk_kmem_free_stack(vmk_vaddr_t stack, unsigned int pages, unsigned int guard);

/*
 * Free boot-time memory outside the kmem window (preloaded data, kernel
 * image slack) mapped in the kernel pmap over frames phys holds RESERVED:
 * the range is rounded inward to pages (partial head and tail pages stay);
 * each page's frame is looked up in the kernel pmap; the mappings are
 * removed (boot 2 MiB/1 GiB mappings cut by the range are demoted from
 * their spare page-table pages: if one is missing, the allocation this
 * would need is detected and kmem panics); the frames go to phys
 * (vmk_phys_bootstrap_free); last, the KVA joins the root KVA arena.
 * Returns 0, -VMK_ENOENT (a page is not mapped: nothing changed),
 * -VMK_EINVAL (range inside the kmem window, or a frame not RESERVED:
 * nothing changed) or -VMK_ENOMEM (no tags for the KVA: frames freed, the
 * KVA is lost). Boot time or with the kernel pmap otherwise idle.
 */
int vmk_kmem_bootstrap_free(vmk_vaddr_t va, vmk_size_t size);

/*
 * Per-CPU areas (seed 004): exception handlers reach them at any time, so
 * their translations must never be transiently invalid.
 *  - VMK_KMEM_PCPU_ALONE: the area gets a 2 MiB unit of its own (nothing
 *    else is ever mapped in it, so no neighbour's promotion or demotion
 *    touches its block), frames from the CPU's domain, mapped no-promote
 *    (the pmap refuses to promote it and panics if anything demotes or
 *    live-updates it).
 *  - VMK_KMEM_PCPU_RENDEZVOUS: the area is ordinary kmem memory; the 2 MiB
 *    blocks around it are registered with the pmap's rendezvous strategy,
 *    so a promotion or demotion there runs with every other CPU parked
 *    (the pmap holds up to 8 such ranges).
 */
enum vmk_kmem_pcpu_strategy {
	VMK_KMEM_PCPU_ALONE,
	VMK_KMEM_PCPU_RENDEZVOUS,
};

/*
 * Allocate size bytes (rounded to pages, at most 2 MiB) of zeroed per-CPU
 * memory in domain with strategy. Returns the address, or 0 (no memory or
 * KVA, a bad argument, the pmap's rendezvous ranges full) with everything
 * unwound. Boot time, before the area is live.
 */
vmk_vaddr_t vmk_kmem_pcpu_alloc(unsigned int domain, vmk_size_t size, enum vmk_kmem_pcpu_strategy strategy);

/* The root KVA arena (for exact placements and tests). */
struct vmk_vmem *vmk_kmem_kva_arena(void);

/* The ordinary (nofree false) or NOFREE arena of a domain. */
struct vmk_vmem *vmk_kmem_arena(unsigned int domain, bool nofree);

struct vmk_kmem_stats {
	uint64_t pages_backed;		/* ordinary pages mapped by kmem */
	uint64_t nofree_pages;		/* NOFREE pages mapped by kmem */
	uint64_t resv_active;		/* reservations held */
	uint64_t resv_pages_idle;	/* frames held in reservations but not mapped */
	uint64_t units;			/* 2 MiB units imported by the domain arenas */
	uint64_t bootstrap_freed;	/* pages given to phys by vmk_kmem_bootstrap_free */
};

/* Counters (approximate while others allocate). */
void vmk_kmem_stats(struct vmk_kmem_stats *st);

/*
 * Check kmem's invariants: every arena's vmem_check, every reservation's
 * count equals its mapped pages, every unit owned by one arena. Returns 0
 * or -VMK_EINVAL with the first broken invariant in msg. Quiescent.
 */
int vmk_kmem_check(char *msg, size_t msglen);

#endif /* VMKIT_KMEM_H */
