/* vmk_vmem_check: every invariant of an arena, recounted from scratch. */
#include "vmem_internal.h"

struct ck {
	char *msg;
	size_t len;
	int err;
};

static void bad(struct ck *c, const char *fmt, ...) VMK_PRINTF(2, 3);
static void bad(struct ck *c, const char *fmt, ...)
{
	va_list ap;

	if (c->err)
		return;
	c->err = -VMK_EINVAL;
	if (c->msg && c->len) {
		va_start(ap, fmt);
		vmk_vsnprintf(c->msg, c->len, fmt, ap);
		va_end(ap);
	}
}

static bool on_list(struct vmk_list *head, struct vmk_list *n)
{
	struct vmk_list *it;

	vmk_list_foreach(it, head)
		if (it == n)
			return true;
	return false;
}

static void check_locked(struct vmk_vmem *vm, struct ck *c)
{
	struct vmk_vmem_bt *span = NULL, *prev = NULL;
	vmk_vaddr_t next = 0;	/* where the next segment of the span must start */
	bool span_done = true;
	uint64_t total = 0, inuse = 0, nbusy = 0, nfree = 0, listed = 0, spare = 0;
	struct vmk_list *it;

	vmk_list_foreach(it, &vm->seglist) {
		struct vmk_vmem_bt *bt = bt_of_seg(it);

		if (bt->size == 0 || bt_last(bt) < bt->start)
			bad(c, "tag %#llx has size %#llx", (unsigned long long)bt->start,
			    (unsigned long long)bt->size);
		if (!VMK_IS_ALIGNED(bt->start, vm->quantum) || !VMK_IS_ALIGNED(bt->size, vm->quantum))
			bad(c, "tag %#llx+%#llx not quantum-aligned", (unsigned long long)bt->start,
			    (unsigned long long)bt->size);
		if (bt_is_span(bt)) {
			if (!span_done)
				bad(c, "span %#llx not tiled by its segments", (unsigned long long)span->start);
			if (span && bt->start <= bt_last(span))
				bad(c, "span %#llx overlaps or precedes span %#llx",
				    (unsigned long long)bt->start, (unsigned long long)span->start);
			span = bt;
			next = bt->start;
			span_done = false;
			total += bt->size;
			prev = NULL;
			continue;
		}
		if (!span) {
			bad(c, "segment %#llx before any span", (unsigned long long)bt->start);
			continue;
		}
		if (span_done || bt->start != next || bt_last(bt) > bt_last(span))
			bad(c, "segment %#llx+%#llx does not continue span %#llx", (unsigned long long)bt->start,
			    (unsigned long long)bt->size, (unsigned long long)span->start);
		if (bt_last(bt) == bt_last(span))
			span_done = true;
		next = bt->start + bt->size;
		if (bt->type == BT_FREE) {
			unsigned int i = vmk_vmem__freelist_index(vm, bt->size);

			nfree++;
			if (prev && prev->type == BT_FREE)
				bad(c, "adjacent free segments at %#llx", (unsigned long long)bt->start);
			if (!on_list(&vm->freelist[i], &bt->q))
				bad(c, "free segment %#llx+%#llx not on free list %u", (unsigned long long)bt->start,
				    (unsigned long long)bt->size, i);
		} else if (bt->type == BT_BUSY) {
			nbusy++;
			inuse += bt->size;
			if (!on_list(&vm->hash[vmk_vmem__hash_index(vm, bt->start)], &bt->q))
				bad(c, "allocated segment %#llx not in its hash bucket", (unsigned long long)bt->start);
		} else {
			bad(c, "tag %#llx of type %u on the segment list", (unsigned long long)bt->start, bt->type);
		}
		if (span->type == BT_SPAN && bt->type == BT_FREE && bt->start == span->start &&
		    bt->size == span->size && vm->release)
			bad(c, "imported span %#llx wholly free but not released", (unsigned long long)span->start);
		prev = bt;
	}
	if (!span_done)
		bad(c, "last span not tiled by its segments");
	for (unsigned int i = 0; i < VMK_VMEM_NFREELISTS; i++) {
		bool empty = vmk_list_empty(&vm->freelist[i]);

		if (empty == !!(vm->freemask & (1ull << i)))
			bad(c, "free-list bitmap bit %u disagrees with the list", i);
		vmk_list_foreach(it, &vm->freelist[i]) {
			struct vmk_vmem_bt *bt = vmk_list_entry(it, struct vmk_vmem_bt, q);

			listed++;
			if (bt->type != BT_FREE || vmk_vmem__freelist_index(vm, bt->size) != i)
				bad(c, "free list %u holds %#llx+%#llx of type %u", i, (unsigned long long)bt->start,
				    (unsigned long long)bt->size, bt->type);
		}
	}
	vmk_list_foreach(it, &vm->bt_free)
		spare++;
	if (listed != nfree)
		bad(c, "%llu segments on free lists, %llu free segments", (unsigned long long)listed,
		    (unsigned long long)nfree);
	if (total != vm->total || inuse != vm->inuse || nbusy != vm->nbusy)
		bad(c, "counters total %#llx inuse %#llx busy %llu, recount %#llx %#llx %llu",
		    (unsigned long long)vm->total, (unsigned long long)vm->inuse, (unsigned long long)vm->nbusy,
		    (unsigned long long)total, (unsigned long long)inuse, (unsigned long long)nbusy);
	if (spare != vm->nbt_free)
		bad(c, "%llu spare tags counted as %llu", (unsigned long long)spare,
		    (unsigned long long)vm->nbt_free);
	for (unsigned int q = 0; q < vm->nqcache; q++)
		if (vm->qc[q].n > VMK_VMEM_QCACHE_DEPTH)
			bad(c, "quantum cache %u holds %u", q, vm->qc[q].n);
}

int vmk_vmem_check(struct vmk_vmem *vm, char *msg, size_t msglen)
{
	struct ck c = { msg, msglen, 0 };
	unsigned long s = vmk_vmem__lock(vm);

	check_locked(vm, &c);
	vmk_vmem__unlock(vm, s);
	return c.err;
}
