/*
 * kmem internals shared by the files of src/kmem. Not a public header.
 *
 * The unit table has one entry per 2 MiB unit of the kmem window: which
 * arena imported it (0: the root still owns it) and the physical address
 * of its reservation (0: none). A reservation's frames are ALLOC pages of
 * phys; kmem marks each in its owner word (KMO_*), and the reservation's
 * first frame counts the frames in use in its ref_count.
 */
#ifndef VMKIT_KMEM_INTERNAL_H
#define VMKIT_KMEM_INTERNAL_H

#include <vmkit/kmem.h>

#define KMEM_UNIT_PAGES	(VMK_KMEM_UNIT / VMK_PAGE_SIZE)
#define KMEM_RESV_ORDER	9	/* log2(KMEM_UNIT_PAGES): a reservation is one buddy block */

VMK_STATIC_ASSERT(KMEM_UNIT_PAGES == (1u << KMEM_RESV_ORDER), "a reservation is one 2 MiB buddy block");
VMK_STATIC_ASSERT(KMEM_RESV_ORDER < VMK_MAX_ORDER, "the buddy allocator must hold 2 MiB blocks");

/* Page owner words (struct vmk_page.owner) of frames kmem holds. */
#define KMO_MAGIC	0x6b6d0000ull
enum {
	KMO_SINGLE = KMO_MAGIC | 1,	/* one frame, freed on its own */
	KMO_RESV_IDLE = KMO_MAGIC | 2,	/* in a reservation, not mapped */
	KMO_RESV_USED = KMO_MAGIC | 3,	/* in a reservation, mapped */
	KMO_NOFREE = KMO_MAGIC | 4,	/* a NOFREE frame */
	KMO_CONTIG = KMO_MAGIC | 5,	/* from kmem_alloc_contig, freed on its own */
};

/* Unit owners: 0 root, 1 + domain ordinary, 0x80 | domain NOFREE. */
#define KMU_NOFREE	0x80u

struct kmem_dom_arg {
	unsigned int domain;
	bool nofree;
};

struct kmem_state {
	bool ready;
	vmk_vaddr_t start, end;
	uint64_t nunits;
	uint64_t *resv;			/* per unit: reservation PA, 0 if none */
	uint8_t *owner;			/* per unit: KMU owner */
	struct vmk_page *table_pages;	/* the table's frames (contiguous) */
	size_t table_npages;
	struct vmk_spinlock lock;	/* unit table and reservations */
	struct vmk_vmem kva;
	struct vmk_vmem arena[VMK_MAX_DOMAINS];
	struct vmk_vmem nofree[VMK_MAX_DOMAINS];
	struct kmem_dom_arg args[2][VMK_MAX_DOMAINS];
	uint8_t cpu_domain[VMK_MAX_CPUS];
	unsigned int ndomains;
	uint32_t rr[VMK_MAX_CPUS];
	uint64_t pages_backed, nofree_pages, resv_active, resv_idle, units, bootstrap_freed;
};

extern struct kmem_state vmk_kmem__g;

static inline bool vmk_kmem__in_window(vmk_vaddr_t va)
{
	return vmk_kmem__g.ready && va >= vmk_kmem__g.start && va < vmk_kmem__g.end;
}

static inline uint64_t vmk_kmem__unit(vmk_vaddr_t va)
{
	return (va - vmk_kmem__g.start) / VMK_KMEM_UNIT;
}

/* Domain number for a policy argument (LOCAL, RR, or a number). */
unsigned int vmk_kmem__resolve_domain(int domain);

/* pmap memory type for a memattr; -1 if unsupported. */
int vmk_kmem__memtype(unsigned int memattr);

/* Unmap [va, va + n pages) and free each frame by its owner word (back.c). */
void vmk_kmem__unback(vmk_vaddr_t va, uint64_t npages);

#endif /* VMKIT_KMEM_INTERNAL_H */
