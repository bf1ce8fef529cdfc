/*
 * Allocation and free: fitting a request's constraints into a free
 * segment, the three policies, splitting, coalescing, import and release.
 */
#include "vmem_internal.h"

struct req {
	vmk_size_t size, align, phase, nocross;
	vmk_vaddr_t min, maxlast;	/* inclusive bounds */
};

/* The lowest address in bt satisfying r, or false. Overflow means no fit. */
static bool fit(const struct vmk_vmem_bt *bt, const struct req *r, vmk_vaddr_t min,
		vmk_vaddr_t *addrp)
{
	vmk_vaddr_t start = bt->start, last = bt_last(bt), a;

	if (bt->size < r->size)
		return false;
	if (start < min)
		start = min;
	if (last > r->maxlast)
		last = r->maxlast;
	if (start > last)
		return false;
	a = start + ((r->phase - start) & (r->align - 1));
	if (a < start)
		return false;
	if (r->nocross && ((a ^ (a + r->size - 1)) & ~(r->nocross - 1))) {
		vmk_vaddr_t b = (a | (r->nocross - 1)) + 1;

		if (b == 0)
			return false;
		a = b + ((r->phase - b) & (r->align - 1));
		if (a < b || ((a ^ (a + r->size - 1)) & ~(r->nocross - 1)))
			return false;
	}
	if (a > last || last - a < r->size - 1)
		return false;
	*addrp = a;
	return true;
}

static struct vmk_vmem_bt *scan_list(struct vmk_vmem *vm, unsigned int i, const struct req *r,
				     bool best, vmk_vaddr_t *addrp)
{
	struct vmk_vmem_bt *found = NULL;
	struct vmk_list *it;
	vmk_vaddr_t a;

	vmk_list_foreach(it, &vm->freelist[i]) {
		struct vmk_vmem_bt *bt = vmk_list_entry(it, struct vmk_vmem_bt, q);

		if (!fit(bt, r, r->min, &a))
			continue;
		if (!best) {
			*addrp = a;
			return bt;
		}
		if (!found || bt->size < found->size) {
			found = bt;
			*addrp = a;
		}
	}
	return found;
}

/*
 * Instant fit: every segment on a list at or above the rounded-up class is
 * large enough, so without constraints the first one is taken. If none
 * fits, the request's own class may still hold a fitting segment.
 */
static struct vmk_vmem_bt *find_instant(struct vmk_vmem *vm, const struct req *r, vmk_vaddr_t *addrp)
{
	uint64_t q = r->size >> vm->quantum_shift;
	unsigned int lo = vmk_fls64(q), up = VMK_IS_POW2(q) ? lo : lo + 1;
	uint64_t mask = up >= 64 ? 0 : vm->freemask & ~((1ull << up) - 1);
	struct vmk_vmem_bt *bt;

	while (mask) {
		unsigned int i = vmk_ffs64(mask);

		mask &= mask - 1;
		bt = scan_list(vm, i, r, false, addrp);
		if (bt)
			return bt;
	}
	if (up != lo && (vm->freemask & (1ull << lo)))
		return scan_list(vm, lo, r, true, addrp);
	return NULL;
}

/* Best fit: lists hold disjoint size classes, so the first list with a fit holds the smallest. */
static struct vmk_vmem_bt *find_best(struct vmk_vmem *vm, const struct req *r, vmk_vaddr_t *addrp)
{
	unsigned int lo = vmk_fls64(r->size >> vm->quantum_shift);
	uint64_t mask = vm->freemask & ~((1ull << lo) - 1);

	while (mask) {
		unsigned int i = vmk_ffs64(mask);
		struct vmk_vmem_bt *bt;

		mask &= mask - 1;
		bt = scan_list(vm, i, r, true, addrp);
		if (bt)
			return bt;
	}
	return NULL;
}

/* Next fit: the first fit at or after the rotor in address order, then from the start. */
static struct vmk_vmem_bt *find_next(struct vmk_vmem *vm, const struct req *r, vmk_vaddr_t *addrp)
{
	for (int pass = 0; pass < 2; pass++) {
		vmk_vaddr_t min = pass == 0 ? VMK_MAX(r->min, vm->rotor) : r->min;
		struct vmk_list *it;

		vmk_list_foreach(it, &vm->seglist) {
			struct vmk_vmem_bt *bt = bt_of_seg(it);

			if (bt->type == BT_FREE && fit(bt, r, min, addrp))
				return bt;
		}
		if (vm->rotor <= r->min)
			break;
	}
	return NULL;
}

static struct vmk_vmem_bt *find(struct vmk_vmem *vm, const struct req *r, unsigned int policy,
				vmk_vaddr_t *addrp)
{
	if (policy == VMK_VMEM_BESTFIT)
		return find_best(vm, r, addrp);
	if (policy == VMK_VMEM_NEXTFIT)
		return find_next(vm, r, addrp);
	return find_instant(vm, r, addrp);
}

/* Cut [a, a + size) out of free segment bt and mark it allocated (tags reserved). */
static void split(struct vmk_vmem *vm, struct vmk_vmem_bt *bt, vmk_vaddr_t a, vmk_size_t size)
{
	vmk_vmem__free_remove(vm, bt);
	if (a > bt->start) {
		struct vmk_vmem_bt *f = vmk_vmem__bt_get(vm);

		f->start = bt->start;
		f->size = a - bt->start;
		vmk_list__add(&f->seg, bt->seg.prev, &bt->seg);
		vmk_vmem__free_insert(vm, f);
		bt->start = a;
		bt->size -= f->size;
	}
	if (bt->size > size) {
		struct vmk_vmem_bt *f = vmk_vmem__bt_get(vm);

		f->start = a + size;
		f->size = bt->size - size;
		vmk_list__add(&f->seg, &bt->seg, bt->seg.next);
		vmk_vmem__free_insert(vm, f);
		bt->size = size;
	}
	vmk_vmem__hash_insert(vm, bt);
}

/* Remove an imported span whose only segment is free, and give it back. */
static void span_release(struct vmk_vmem *vm, struct vmk_vmem_bt *span, struct vmk_vmem_bt *seg)
{
	vmk_vmem__free_remove(vm, seg);
	vmk_list_del(&seg->seg);
	vmk_list_del(&span->seg);
	vm->total -= span->size;
	vm->releases++;
	vm->release(vm->import_arg, span->start, span->size);
	vmk_vmem__bt_put(vm, seg);
	vmk_vmem__bt_put(vm, span);
}

/*
 * Import a span for r. The arena is unlocked around the import function,
 * with interrupts as the caller had them (*s is the state vmk_vmem__lock
 * saved; it is taken again after), as FreeBSD's vmem_import drops the
 * arena lock: an import may take locks a CPU must wait for with
 * interrupts enabled (kmem's grows the kernel page tables under the
 * kernel pmap's lock, whose holder may be waiting for this CPU to answer
 * a shootdown or a rendezvous). Others may use the arena meanwhile, so the
 * tags are reserved again before the span is added; without them the
 * span goes straight back.
 */
static int import(struct vmk_vmem *vm, const struct req *r, unsigned int flags, unsigned long *s,
		  struct vmk_vmem_bt **spanp)
{
	vmk_size_t size = r->size;
	vmk_vaddr_t addr;
	int err;

	/* Room to align, as FreeBSD's vmem_import does. */
	if (r->align > vm->quantum && vmk_add_overflow(size, r->align * 2, &size))
		return -VMK_ENOMEM;
	/* And room for a whole nocross window wherever the parent puts the span. */
	if (r->nocross && vmk_add_overflow(size, r->nocross * 2, &size))
		return -VMK_ENOMEM;
	if (vmk_add_overflow(size, vm->import_quantum - 1, &size))
		return -VMK_ENOMEM;
	size -= size % vm->import_quantum;
	vmk_vmem__unlock(vm, *s);
	err = vm->import(vm->import_arg, size, flags, &addr);
	*s = vmk_vmem__lock(vm);
	if (err)
		return -VMK_ENOMEM;
	VMK_VERIFY(VMK_IS_ALIGNED(addr, vm->quantum) && addr + size - 1 >= addr,
		   "vmem %s: import returned a misaligned span %#llx", vm->name, (unsigned long long)addr);
	if (vmk_vmem__bt_reserve(vm, VMK_VMEM_BT_MAXALLOC)) {
		if (vm->release)
			vm->release(vm->import_arg, addr, size);
		return -VMK_ENOMEM;
	}
	err = vmk_vmem__span_add(vm, addr, size, BT_SPAN, spanp);
	VMK_VERIFY(err == 0, "vmem %s: imported span %#llx+%#llx overlaps a span", vm->name,
		   (unsigned long long)addr, (unsigned long long)size);
	vm->imports++;
	return 0;
}

int vmk_vmem__xalloc_locked(struct vmk_vmem *vm, vmk_size_t size, vmk_size_t align, vmk_size_t phase,
			vmk_size_t nocross, vmk_vaddr_t minaddr, vmk_vaddr_t maxaddr,
			unsigned int flags, unsigned long *s, vmk_vaddr_t *addrp)
{
	struct req r = {
		.size = size, .align = align, .phase = phase, .nocross = nocross,
		.min = minaddr, .maxlast = maxaddr ? maxaddr - 1 : ~(vmk_vaddr_t)0,
	};
	unsigned int policy = flags & VMK_VMEM_POLICY_MASK;
	struct vmk_vmem_bt *bt, *span = NULL;
	vmk_vaddr_t a = 0;

	if (vmk_vmem__bt_reserve(vm, VMK_VMEM_BT_MAXALLOC))
		return -VMK_ENOMEM;
	bt = find(vm, &r, policy, &a);
	if (!bt && vm->import && s) {
		if (import(vm, &r, flags, s, &span))
			return -VMK_ENOMEM;
		bt = find(vm, &r, policy, &a);
		if (!bt) {
			/*
			 * Nothing changes on failure: the span goes back. An arena
			 * without a release function keeps it (as FreeBSD's does).
			 */
			if (vm->release)
				span_release(vm, span, bt_of_seg(span->seg.next));
			return -VMK_ENOMEM;
		}
	}
	if (!bt)
		return -VMK_ENOMEM;
	split(vm, bt, a, size);
	/*
	 * While the arena was unlocked for the import another CPU may have
	 * imported too, and the fit found may lie in its span: this one must
	 * not stay wholly free (it would never be released).
	 */
	if (span && vm->release) {
		struct vmk_vmem_bt *seg = bt_of_seg(span->seg.next);

		if (seg->type == BT_FREE && seg->start == span->start && seg->size == span->size)
			span_release(vm, span, seg);
	}
	if (policy == VMK_VMEM_NEXTFIT)
		vm->rotor = a + size;
	*addrp = a;
	return 0;
}

bool vmk_vmem__xfree_locked(struct vmk_vmem *vm, vmk_vaddr_t addr, vmk_size_t size)
{
	struct vmk_vmem_bt *bt = vmk_vmem__hash_lookup(vm, addr), *n, *p;

	if (!bt || bt->size != size)
		return false;
	vmk_list_del(&bt->q);
	vm->nbusy--;
	vm->inuse -= size;
	if (bt->seg.next != &vm->seglist) {
		n = bt_of_seg(bt->seg.next);
		if (n->type == BT_FREE) {
			vmk_vmem__free_remove(vm, n);
			bt->size += n->size;
			vmk_list_del(&n->seg);
			vmk_vmem__bt_put(vm, n);
		}
	}
	p = bt_of_seg(bt->seg.prev);
	if (p->type == BT_FREE) {
		vmk_vmem__free_remove(vm, p);
		p->size += bt->size;
		vmk_list_del(&bt->seg);
		vmk_vmem__bt_put(vm, bt);
		bt = p;
		p = bt_of_seg(bt->seg.prev);
	}
	vmk_vmem__free_insert(vm, bt);
	if (p->type == BT_SPAN && p->start == bt->start && p->size == bt->size && vm->release)
		span_release(vm, p, bt);
	return true;
}

/* Panics (after the lock is dropped) for a free that matches no allocated segment. */
static void bad_free(struct vmk_vmem *vm, vmk_vaddr_t addr, vmk_size_t size)
{
	vmk_panic("vmem %s: free of %#llx+%#llx that is not an allocated segment", vm->name,
		  (unsigned long long)addr, (unsigned long long)size);
}

static int check_args(struct vmk_vmem *vm, vmk_size_t *size, vmk_size_t *align, vmk_size_t phase,
		      vmk_size_t nocross, vmk_vaddr_t minaddr, vmk_vaddr_t maxaddr)
{
	vmk_size_t s = *size;

	if (!vm->ready || s == 0 || vmk_add_overflow(s, vm->quantum - 1, &s))
		return -VMK_EINVAL;
	s &= ~(vm->quantum - 1);
	if (*align == 0)
		*align = vm->quantum;
	if (!VMK_IS_POW2(*align) || *align < vm->quantum || phase >= *align ||
	    !VMK_IS_ALIGNED(phase, vm->quantum))
		return -VMK_EINVAL;
	if (nocross && (!VMK_IS_POW2(nocross) || nocross < s || nocross < *align))
		return -VMK_EINVAL;
	if (maxaddr && maxaddr <= minaddr)
		return -VMK_EINVAL;
	*size = s;
	return 0;
}

int vmk_vmem_xalloc(struct vmk_vmem *vm, vmk_size_t size, vmk_size_t align, vmk_size_t phase,
		    vmk_size_t nocross, vmk_vaddr_t minaddr, vmk_vaddr_t maxaddr,
		    unsigned int flags, vmk_vaddr_t *addrp)
{
	unsigned long s;
	int err = check_args(vm, &size, &align, phase, nocross, minaddr, maxaddr);

	if (err)
		return err;
	if (vmk_fault_fast("vmem.alloc"))
		return -VMK_ENOMEM;
	s = vmk_vmem__lock(vm);
	err = vmk_vmem__xalloc_locked(vm, size, align, phase, nocross, minaddr, maxaddr, flags, &s, addrp);
	vmk_vmem__unlock(vm, s);
	return err;
}

void vmk_vmem_xfree(struct vmk_vmem *vm, vmk_vaddr_t addr, vmk_size_t size)
{
	unsigned long s;
	bool ok;

	size = VMK_ALIGN_UP(size, vm->quantum);
	s = vmk_vmem__lock(vm);
	ok = vmk_vmem__xfree_locked(vm, addr, size);
	vmk_vmem__unlock(vm, s);
	if (!ok)
		bad_free(vm, addr, size);
}

/* ---- quantum caches ---- */

static int qc_alloc(struct vmk_vmem *vm, struct vmk_vmem_qc *qc, vmk_size_t size, vmk_vaddr_t *addrp)
{
	unsigned long s = vmk_intr_disable();
	int err = 0;

	vmk_spin_lock(&qc->lock);
	if (qc->n > 0) {
		*addrp = qc->a[--qc->n];
	} else {
		/*
		 * Refill half the cache in one arena lock hold; the first one
		 * is the answer. No import with the cache locked and
		 * interrupts off: that is done below, unlocked.
		 */
		vmk_spin_lock(&vm->lock);
		err = vmk_vmem__xalloc_locked(vm, size, vm->quantum, 0, 0, 0, 0, VMK_VMEM_INSTANTFIT, NULL, addrp);
		for (unsigned int i = 1; !err && i < VMK_VMEM_QCACHE_DEPTH / 2; i++) {
			if (vmk_vmem__xalloc_locked(vm, size, vm->quantum, 0, 0, 0, 0, VMK_VMEM_INSTANTFIT, NULL,
						&qc->a[qc->n]))
				break;
			qc->n++;
		}
		vmk_spin_unlock(&vm->lock);
	}
	vmk_spin_unlock(&qc->lock);
	vmk_intr_restore(s);
	if (err && vm->import) {
		s = vmk_vmem__lock(vm);
		err = vmk_vmem__xalloc_locked(vm, size, vm->quantum, 0, 0, 0, 0, VMK_VMEM_INSTANTFIT, &s, addrp);
		vmk_vmem__unlock(vm, s);
	}
	return err;
}

static void qc_free(struct vmk_vmem *vm, struct vmk_vmem_qc *qc, vmk_size_t size, vmk_vaddr_t addr)
{
	unsigned long s = vmk_intr_disable();

	vmk_spin_lock(&qc->lock);
	if (qc->n == VMK_VMEM_QCACHE_DEPTH) {
		vmk_spin_lock(&vm->lock);
		while (qc->n > VMK_VMEM_QCACHE_DEPTH / 2)
			VMK_VERIFY(vmk_vmem__xfree_locked(vm, qc->a[--qc->n], size), "vmem %s: cached segment lost",
				   vm->name);
		vmk_spin_unlock(&vm->lock);
	}
	qc->a[qc->n++] = addr;
	vmk_spin_unlock(&qc->lock);
	vmk_intr_restore(s);
}

void vmk_vmem_qcache_drain(struct vmk_vmem *vm)
{
	for (unsigned int c = 0; c < vm->nqcache; c++) {
		struct vmk_vmem_qc *qc = &vm->qc[c];
		vmk_size_t size = (vmk_size_t)(c + 1) << vm->quantum_shift;
		unsigned long s = vmk_intr_disable();

		vmk_spin_lock(&qc->lock);
		vmk_spin_lock(&vm->lock);
		while (qc->n > 0)
			VMK_VERIFY(vmk_vmem__xfree_locked(vm, qc->a[--qc->n], size), "vmem %s: cached segment lost",
				   vm->name);
		vmk_spin_unlock(&vm->lock);
		vmk_spin_unlock(&qc->lock);
		vmk_intr_restore(s);
	}
}

int vmk_vmem_alloc(struct vmk_vmem *vm, vmk_size_t size, unsigned int flags, vmk_vaddr_t *addrp)
{
	vmk_size_t align = 0;
	int err = check_args(vm, &size, &align, 0, 0, 0, 0);

	if (err)
		return err;
	if (vmk_fault_fast("vmem.alloc"))
		return -VMK_ENOMEM;
	if (size <= vm->qcache_max && (flags & VMK_VMEM_POLICY_MASK) != VMK_VMEM_NEXTFIT)
		return qc_alloc(vm, &vm->qc[(size >> vm->quantum_shift) - 1], size, addrp);
	return vmk_vmem_xalloc(vm, size, 0, 0, 0, 0, 0, flags, addrp);
}

void vmk_vmem_free(struct vmk_vmem *vm, vmk_vaddr_t addr, vmk_size_t size)
{
	size = VMK_ALIGN_UP(size, vm->quantum);
	if (size <= vm->qcache_max) {
		qc_free(vm, &vm->qc[(size >> vm->quantum_shift) - 1], size, addr);
		return;
	}
	vmk_vmem_xfree(vm, addr, size);
}
