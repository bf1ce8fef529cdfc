/* Arena life cycle, spans, sizes and printing. */
#include "vmem_internal.h"

int vmk_vmem_init(struct vmk_vmem *vm, const struct vmk_vmem_params *p)
{
	vmk_size_t q = p->quantum ? p->quantum : 1;
	int err = 0;

	if (!VMK_IS_POW2(q) || (p->release && !p->import) ||
	    (p->qcache_max && p->qcache_max / q > VMK_VMEM_QCACHE_CLASSES) ||
	    (p->import_quantum && !VMK_IS_ALIGNED(p->import_quantum, q)))
		return -VMK_EINVAL;
	if (p->size && (!VMK_IS_ALIGNED(p->base, q) || !VMK_IS_ALIGNED(p->size, q) ||
			p->base + p->size - 1 < p->base))
		return -VMK_EINVAL;
	vmk_memset(vm, 0, sizeof(*vm));
	vm->name = p->name ? p->name : "vmem";
	vm->quantum = q;
	vm->quantum_shift = vmk_ilog2(q);
	vm->qcache_max = p->qcache_max ? VMK_ALIGN_DOWN(p->qcache_max, q) : 0;
	vm->nqcache = (unsigned int)(vm->qcache_max >> vm->quantum_shift);
	vm->import = p->import;
	vm->release = p->release;
	vm->import_arg = p->import_arg;
	vm->import_quantum = p->import_quantum ? p->import_quantum : q;
	vm->tags = p->tags ? *p->tags : vmk_vmem_phys_tags;
	vmk_list_init(&vm->seglist);
	vmk_list_init(&vm->bt_free);
	for (unsigned int i = 0; i < VMK_VMEM_NFREELISTS; i++)
		vmk_list_init(&vm->freelist[i]);
	for (unsigned int i = 0; i < VMK_VMEM_HASH_SIZE; i++)
		vmk_list_init(&vm->hash[i]);
	vm->ready = true;
	if (p->size) {
		err = vmk_vmem_add(vm, p->base, p->size);
		if (err) {
			vmk_vmem__bt_pages_free(vm);
			vm->ready = false;
		}
	}
	return err;
}

void vmk_vmem_destroy(struct vmk_vmem *vm)
{
	struct vmk_list *it, *tmp;
	unsigned long s;

	vmk_vmem_qcache_drain(vm);
	s = vmk_vmem__lock(vm);
	VMK_VERIFY(vm->nbusy == 0, "vmem %s destroyed with %llu allocations", vm->name,
		   (unsigned long long)vm->nbusy);
	vmk_list_foreach_safe(it, tmp, &vm->seglist) {
		struct vmk_vmem_bt *bt = bt_of_seg(it);

		if (bt->type == BT_SPAN && vm->release)
			vm->release(vm->import_arg, bt->start, bt->size);
	}
	vmk_list_init(&vm->seglist);
	vmk_vmem__bt_pages_free(vm);
	vm->ready = false;
	vmk_vmem__unlock(vm, s);
}

int vmk_vmem__span_add(struct vmk_vmem *vm, vmk_vaddr_t addr, vmk_size_t size, uint32_t type,
		   struct vmk_vmem_bt **spanp)
{
	struct vmk_list *pos = &vm->seglist, *it;
	struct vmk_vmem_bt *span, *seg;
	vmk_vaddr_t last = addr + size - 1;

	/* Find the first span after the new one; refuse any overlap. */
	vmk_list_foreach(it, &vm->seglist) {
		struct vmk_vmem_bt *bt = bt_of_seg(it);

		if (!bt_is_span(bt))
			continue;
		if (bt->start <= last && addr <= bt_last(bt))
			return -VMK_EEXIST;
		if (bt->start > last) {
			pos = it;
			break;
		}
	}
	span = vmk_vmem__bt_get(vm);
	seg = vmk_vmem__bt_get(vm);
	span->type = type;
	span->start = addr;
	span->size = size;
	seg->start = addr;
	seg->size = size;
	vmk_list__add(&span->seg, pos->prev, pos);
	vmk_list__add(&seg->seg, &span->seg, pos);
	vmk_vmem__free_insert(vm, seg);
	vm->total += size;
	if (spanp)
		*spanp = span;
	return 0;
}

int vmk_vmem_add(struct vmk_vmem *vm, vmk_vaddr_t addr, vmk_size_t size)
{
	unsigned long s;
	int err;

	if (size == 0 || !VMK_IS_ALIGNED(addr, vm->quantum) || !VMK_IS_ALIGNED(size, vm->quantum) ||
	    addr + size - 1 < addr)
		return -VMK_EINVAL;
	s = vmk_vmem__lock(vm);
	err = vmk_vmem__bt_reserve(vm, 2);
	if (!err)
		err = vmk_vmem__span_add(vm, addr, size, BT_SPAN_STATIC, NULL);
	vmk_vmem__unlock(vm, s);
	return err;
}

vmk_size_t vmk_vmem_size(struct vmk_vmem *vm, unsigned int what)
{
	switch (what) {
	case VMK_VMEM_ALLOC:
		return __atomic_load_n(&vm->inuse, __ATOMIC_RELAXED);
	case VMK_VMEM_FREE:
		return __atomic_load_n(&vm->total, __ATOMIC_RELAXED) -
		       __atomic_load_n(&vm->inuse, __ATOMIC_RELAXED);
	default:
		return __atomic_load_n(&vm->total, __ATOMIC_RELAXED);
	}
}

uint64_t vmk_vmem_tag_pages(struct vmk_vmem *vm)
{
	return __atomic_load_n(&vm->ntag_pages, __ATOMIC_RELAXED);
}

static const char *type_name(uint32_t t)
{
	static const char *const n[] = { "spare", "span (static)", "span (imported)", "free", "busy" };

	return t < VMK_ARRAY_SIZE(n) ? n[t] : "?";
}

void vmk_vmem_print(struct vmk_vmem *vm, struct vmk_out *out)
{
	struct vmk_list *it;
	unsigned long s = vmk_vmem__lock(vm);

	vmk_out_printf(out, "vmem %s: quantum %#llx, %llu of %llu bytes in use, %llu tag pages\n",
		       vm->name, (unsigned long long)vm->quantum, (unsigned long long)vm->inuse,
		       (unsigned long long)vm->total, (unsigned long long)vm->ntag_pages);
	vmk_list_foreach(it, &vm->seglist) {
		struct vmk_vmem_bt *bt = bt_of_seg(it);

		vmk_out_printf(out, "%s%#018llx-%#018llx %s\n", bt_is_span(bt) ? "" : "  ",
			       (unsigned long long)bt->start, (unsigned long long)bt_last(bt),
			       type_name(bt->type));
	}
	vmk_vmem__unlock(vm, s);
}
