/*
 * struct vmk_page: the metadata record of one 4 KiB physical frame.
 *
 * The physical allocator (phys.h) keeps one record per frame of every
 * segment, in a dense array per segment, so that page <-> physical address
 * conversion is O(1). A record is 32 bytes (Linux's struct page is 64,
 * FreeBSD's vm_page is over 100): the free-list links share storage with
 * the fields the owner of an allocated page uses (pmap's reverse-map head
 * and an owner word), because a page is never both free and mapped.
 *
 * Ownership: while a page is free (FREE, PCPU, NOFREE_POOL) every field
 * belongs to phys. While it is allocated (ALLOC, PTP, NOFREE) the fields
 * md_pv, owner, ref_count, md_flags belong to the caller; state, order,
 * seg, flags, memattr stay phys's and are read-only to everyone else.
 */
#ifndef VMKIT_PAGE_H
#define VMKIT_PAGE_H

#include <vmkit/types.h>
#include <vmkit/lib.h>

/* The state of a frame. Every frame is in exactly one state. */
enum vmk_page_state {
	VMK_PAGE_NONE = 0,	/* never a valid state: an uninitialised record */
	VMK_PAGE_FREE,		/* in a free block of the buddy lists (or a lazy chunk) */
	VMK_PAGE_PCPU,		/* free, held in a per-CPU cache */
	VMK_PAGE_ALLOC,		/* allocated (ordinary) */
	VMK_PAGE_PTP,		/* allocated as a page-table page */
	VMK_PAGE_NOFREE,	/* allocated permanently (never freed, only returned to NOFREE) */
	VMK_PAGE_NOFREE_POOL,	/* free inside a domain's NOFREE pool */
	VMK_PAGE_RESERVED,	/* never on the free lists: firmware, kernel, preloads, page array */
	VMK_PAGE_BAD,		/* faulty memory: never handed out */
	VMK_PAGE_NSTATES
};

/* Memory attributes a caller can request for an allocation (pmap applies them). */
enum vmk_memattr {
	VMK_MEMATTR_WB = 0,	/* normal, write-back cacheable */
	VMK_MEMATTR_WT,		/* write-through */
	VMK_MEMATTR_WC,		/* write-combining (normal non-cacheable on arm64) */
	VMK_MEMATTR_UC,		/* uncacheable (strong order) */
	VMK_MEMATTR_DEVICE,	/* device memory (arm64 Device-nGnRE) */
	VMK_MEMATTR_COUNT
};

/* Phys-owned flag bits in struct vmk_page.flags. */
enum {
	VMK_PGF_BADPEND = 1u << 0,	/* marked bad while in use: becomes BAD when freed */
	VMK_PGF_BOOTFREE = 1u << 1,	/* RESERVED, claimed by a bootstrap free in progress */
	VMK_PGF_POISON = 1u << 2,	/* freed with poisoning on: holds the pattern until allocated */
};

/* order value of a record that does not head a block. */
#define VMK_ORDER_NONE	0xffu

struct vmk_page {
	union {
		/* phys: free lists and NOFREE runs (FREE, NOFREE_POOL). */
		struct vmk_list plinks;
		/* phys: per-CPU cache stack (PCPU). */
		struct vmk_page *pcpu_next;
		/* the owner of an allocated page (ALLOC, PTP, NOFREE). */
		struct {
			/*
			 * pmap's reverse-map (PV) list head: opaque to phys,
			 * which only requires it to be 0 when the page is freed.
			 */
			uint64_t md_pv;
			/* A word for the allocating layer (object, vmem arena, index). */
			uint64_t owner;
		};
	};
	/*
	 * References held by the owner. 0 at allocation (1 with
	 * VMK_ALLOC_WIRED); for a page-table page, the count of valid entries
	 * (or a fixed count for kernel page-table pages). Phys never reads it
	 * for an allocated page; it is 0 whenever the page is free.
	 */
	uint32_t ref_count;
	/* phys: NOFREE run length, kept in a run's first and last record. */
	uint32_t aux;
	uint8_t state;		/* enum vmk_page_state; read with vmk_page_state() */
	uint8_t order;		/* order of the free or allocated block this record heads, else VMK_ORDER_NONE */
	uint8_t seg;		/* index of the segment holding the frame */
	uint8_t flags;		/* VMK_PGF_* */
	uint8_t md_flags;	/* pmap's attribute bits (referenced, modified, no-promote); opaque to phys */
	uint8_t memattr;	/* enum vmk_memattr requested at allocation */
	uint16_t spare;		/* unused; zero */
};

VMK_STATIC_ASSERT(sizeof(struct vmk_page) <= 32, "struct vmk_page must fit 32 bytes");
VMK_STATIC_ASSERT(sizeof(struct vmk_page) == 32, "struct vmk_page is laid out as 32 bytes");

/*
 * The state of an allocated or reserved page. May be called at any time
 * on a record returned by the allocator or by vmk_pa_to_page(). The read
 * is a single atomic byte load, so it may race with a state change of a
 * page the caller does not own (it then returns either state).
 */
static inline enum vmk_page_state vmk_page_state(const struct vmk_page *p)
{
	return (enum vmk_page_state)__atomic_load_n(&p->state, __ATOMIC_RELAXED);
}

/* True if the frame is free (in the buddy lists, a per-CPU cache, or a NOFREE pool). */
static inline bool vmk_page_is_free(const struct vmk_page *p)
{
	enum vmk_page_state s = vmk_page_state(p);

	return s == VMK_PAGE_FREE || s == VMK_PAGE_PCPU || s == VMK_PAGE_NOFREE_POOL;
}

/* True if the page is allocated (ALLOC, PTP or NOFREE). */
static inline bool vmk_page_is_allocated(const struct vmk_page *p)
{
	enum vmk_page_state s = vmk_page_state(p);

	return s == VMK_PAGE_ALLOC || s == VMK_PAGE_PTP || s == VMK_PAGE_NOFREE;
}

/* Short name of a state ("free", "alloc", ...); "?" for an invalid value. */
const char *vmk_page_state_name(unsigned int state);

#endif /* VMKIT_PAGE_H */
