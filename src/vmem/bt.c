/*
 * Boundary tags: their supply (whole pages from the arena's tag source,
 * reserved before an operation changes anything), the power-of-two free
 * lists, and the hash of allocated segments.
 */
#include "vmem_internal.h"
#include <vmkit/phys.h>

/* The first slot of every tag page links the pages (so they can be returned). */
struct bt_page {
	void *next;
	uint64_t cookie;	/* the tag source's handle of the page */
};

#define BT_PER_PAGE	((VMK_PAGE_SIZE - sizeof(struct vmk_vmem_bt)) / sizeof(struct vmk_vmem_bt))

/* Tag pages from phys: the cookie is the frame's physical address. */
static void *phys_tag_page_alloc(void *ctx, uint64_t *cookie)
{
	struct vmk_page *pg = vmk_page_alloc(VMK_DOMAIN_LOCAL, VMK_POOL_DEFAULT, 0);
	void *va;

	VMK_UNUSED(ctx);
	if (!pg)
		return NULL;
	va = vmk_phys_to_virt(vmk_page_to_pa(pg));
	if (!va) {
		vmk_page_free(pg);
		return NULL;
	}
	*cookie = vmk_page_to_pa(pg);
	return va;
}

static void phys_tag_page_free(void *ctx, void *page, uint64_t cookie)
{
	VMK_UNUSED(ctx);
	VMK_UNUSED(page);
	vmk_page_free(vmk_pa_to_page(cookie));
}

const struct vmk_vmem_tag_source vmk_vmem_phys_tags = {
	.page_alloc = phys_tag_page_alloc,
	.page_free = phys_tag_page_free,
	.ctx = NULL,
};

unsigned long vmk_vmem__lock(struct vmk_vmem *vm)
{
	unsigned long s = vmk_intr_disable();

	vmk_spin_lock(&vm->lock);
	return s;
}

void vmk_vmem__unlock(struct vmk_vmem *vm, unsigned long s)
{
	vmk_spin_unlock(&vm->lock);
	vmk_intr_restore(s);
}

int vmk_vmem__bt_reserve(struct vmk_vmem *vm, unsigned int n)
{
	while (vm->nbt_free < n) {
		void *page;
		uint64_t cookie = 0;
		struct vmk_vmem_bt *bt;

		if (vmk_fault("vmem.bt"))
			return -VMK_ENOMEM;
		page = vm->tags.page_alloc(vm->tags.ctx, &cookie);
		if (!page)
			return -VMK_ENOMEM;
		((struct bt_page *)page)->cookie = cookie;
		((struct bt_page *)page)->next = vm->tag_pages;
		vm->tag_pages = page;
		vm->ntag_pages++;
		bt = (struct vmk_vmem_bt *)page + 1;
		for (size_t i = 0; i < BT_PER_PAGE; i++, bt++) {
			bt->type = BT_SPARE;
			vmk_list_add(&vm->bt_free, &bt->q);
			vm->nbt_free++;
		}
	}
	return 0;
}

struct vmk_vmem_bt *vmk_vmem__bt_get(struct vmk_vmem *vm)
{
	struct vmk_vmem_bt *bt;

	VMK_VERIFY(vm->nbt_free > 0, "vmem %s: a tag was taken that was not reserved", vm->name);
	bt = vmk_list_entry(vm->bt_free.next, struct vmk_vmem_bt, q);
	vmk_list_del(&bt->q);
	vm->nbt_free--;
	return bt;
}

void vmk_vmem__bt_put(struct vmk_vmem *vm, struct vmk_vmem_bt *bt)
{
	bt->type = BT_SPARE;
	bt->start = 0;
	bt->size = 0;
	vmk_list_add(&vm->bt_free, &bt->q);
	vm->nbt_free++;
}

void vmk_vmem__bt_pages_free(struct vmk_vmem *vm)
{
	void *p = vm->tag_pages;

	while (p) {
		void *next = ((struct bt_page *)p)->next;

		vm->tags.page_free(vm->tags.ctx, p, ((struct bt_page *)p)->cookie);
		p = next;
	}
	vm->tag_pages = NULL;
	vm->ntag_pages = 0;
	vmk_list_init(&vm->bt_free);
	vm->nbt_free = 0;
}

/* List i holds free segments of [2^i, 2^(i+1)) quanta. */
unsigned int vmk_vmem__freelist_index(struct vmk_vmem *vm, vmk_size_t size)
{
	return vmk_fls64(size >> vm->quantum_shift);
}

void vmk_vmem__free_insert(struct vmk_vmem *vm, struct vmk_vmem_bt *bt)
{
	unsigned int i = vmk_vmem__freelist_index(vm, bt->size);

	bt->type = BT_FREE;
	vmk_list_add(&vm->freelist[i], &bt->q);
	vm->freemask |= 1ull << i;
}

void vmk_vmem__free_remove(struct vmk_vmem *vm, struct vmk_vmem_bt *bt)
{
	unsigned int i = vmk_vmem__freelist_index(vm, bt->size);

	vmk_list_del(&bt->q);
	if (vmk_list_empty(&vm->freelist[i]))
		vm->freemask &= ~(1ull << i);
}

unsigned int vmk_vmem__hash_index(struct vmk_vmem *vm, vmk_vaddr_t addr)
{
	uint64_t h = (addr >> vm->quantum_shift) * 0x9e3779b97f4a7c15ull;

	return (unsigned int)(h >> 56) % VMK_VMEM_HASH_SIZE;
}

void vmk_vmem__hash_insert(struct vmk_vmem *vm, struct vmk_vmem_bt *bt)
{
	bt->type = BT_BUSY;
	vmk_list_add(&vm->hash[vmk_vmem__hash_index(vm, bt->start)], &bt->q);
	vm->nbusy++;
	vm->inuse += bt->size;
}

struct vmk_vmem_bt *vmk_vmem__hash_lookup(struct vmk_vmem *vm, vmk_vaddr_t addr)
{
	struct vmk_list *h = &vm->hash[vmk_vmem__hash_index(vm, addr)];
	struct vmk_list *it;

	vmk_list_foreach(it, h) {
		struct vmk_vmem_bt *bt = vmk_list_entry(it, struct vmk_vmem_bt, q);

		if (bt->start == addr)
			return bt;
	}
	return NULL;
}
