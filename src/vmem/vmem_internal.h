/*
 * vmem internals shared by the files of src/vmem. Not a public header.
 *
 * A boundary tag describes one span or one segment. Span tags precede
 * the segments that tile them on vm->seglist. A tag's link 'q' puts it on
 * exactly one other list at a time: a free list (FREE), a hash chain
 * (BUSY), the spare-tag list (unused), or none (span tags).
 */
#ifndef VMKIT_VMEM_INTERNAL_H
#define VMKIT_VMEM_INTERNAL_H

#include <vmkit/vmem.h>

enum bt_type {
	BT_SPARE = 0,
	BT_SPAN_STATIC,		/* added with vmk_vmem_add / the initial span: never released */
	BT_SPAN,		/* imported from the parent: released when wholly free */
	BT_FREE,
	BT_BUSY,
};

struct vmk_vmem_bt {
	struct vmk_list seg;	/* vm->seglist */
	struct vmk_list q;	/* free list, hash chain or spare list */
	vmk_vaddr_t start;
	vmk_size_t size;
	uint32_t type;
};

static inline bool bt_is_span(const struct vmk_vmem_bt *bt)
{
	return bt->type == BT_SPAN || bt->type == BT_SPAN_STATIC;
}

/* Last address of a tag (inclusive, so a span may end at 2^64). */
static inline vmk_vaddr_t bt_last(const struct vmk_vmem_bt *bt)
{
	return bt->start + bt->size - 1;
}

static inline struct vmk_vmem_bt *bt_of_seg(struct vmk_list *l)
{
	return vmk_list_entry(l, struct vmk_vmem_bt, seg);
}

/* Lock / unlock with interrupts disabled. */
unsigned long vmk_vmem__lock(struct vmk_vmem *vm);
void vmk_vmem__unlock(struct vmk_vmem *vm, unsigned long s);

/* Tag supply (bt.c). */
int vmk_vmem__bt_reserve(struct vmk_vmem *vm, unsigned int n);
struct vmk_vmem_bt *vmk_vmem__bt_get(struct vmk_vmem *vm);
void vmk_vmem__bt_put(struct vmk_vmem *vm, struct vmk_vmem_bt *bt);
void vmk_vmem__bt_pages_free(struct vmk_vmem *vm);

/* Free lists and hash (bt.c). */
unsigned int vmk_vmem__freelist_index(struct vmk_vmem *vm, vmk_size_t size);
void vmk_vmem__free_insert(struct vmk_vmem *vm, struct vmk_vmem_bt *bt);
void vmk_vmem__free_remove(struct vmk_vmem *vm, struct vmk_vmem_bt *bt);
unsigned int vmk_vmem__hash_index(struct vmk_vmem *vm, vmk_vaddr_t addr);
void vmk_vmem__hash_insert(struct vmk_vmem *vm, struct vmk_vmem_bt *bt);
struct vmk_vmem_bt *vmk_vmem__hash_lookup(struct vmk_vmem *vm, vmk_vaddr_t addr);

/* Spans (vmem.c): insert a span and its free segment in address order
   (two reserved tags); -VMK_EEXIST if it overlaps a span. */
int vmk_vmem__span_add(struct vmk_vmem *vm, vmk_vaddr_t addr, vmk_size_t size, uint32_t type,
		   struct vmk_vmem_bt **spanp);

/*
 * Allocation core (alloc.c), lock held. s: the interrupt state
 * vmk_vmem__lock() returned, so that an import can drop the lock around the
 * import function (it is updated when the lock is taken again); NULL:
 * no import (a caller that holds other locks with interrupts off).
 */
int vmk_vmem__xalloc_locked(struct vmk_vmem *vm, vmk_size_t size, vmk_size_t align, vmk_size_t phase,
			vmk_size_t nocross, vmk_vaddr_t minaddr, vmk_vaddr_t maxaddr,
			unsigned int flags, unsigned long *s, vmk_vaddr_t *addrp);
bool vmk_vmem__xfree_locked(struct vmk_vmem *vm, vmk_vaddr_t addr, vmk_size_t size);

#endif /* VMKIT_VMEM_INTERNAL_H */
