/*
 * Region list primitives: search, insert, split (isolate), remove, merge.
 *
 * A list is kept in canonical form: regions sorted by base, non-empty,
 * disjoint, and no two touching neighbours with the same node and flags.
 * These primitives never grow an array: callers first ask *_need() how
 * many slots an operation takes and make room (grow.c), so a failure can
 * only happen before anything changed.
 */
#include "internal.h"

static bool mergeable(const struct vmk_memblock_region *a,
		      const struct vmk_memblock_region *b)
{
	return vmk_memblock__end(a) == b->base && a->nid == b->nid &&
	       a->flags == b->flags;
}

size_t vmk_memblock__search(const struct vmk_memblock_type *t, vmk_paddr_t addr)
{
	size_t lo = 0, hi = t->cnt;

	/* Ends are sorted too, since regions are sorted and disjoint. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (vmk_memblock__end(&t->regions[mid]) > addr)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/*
 * Move n regions from src to dst (overlap allowed). This is where a
 * reserve into a list of thousands of regions spends its time (it moves
 * half the list on average), so it is one memmove, the embedding kernel's
 * own (tuned) one, as Linux's memblock does: a struct-at-a-time loop took
 * about 1.9x as long as memmove on 10,000 scattered reserves. The compiler
 * may call memmove for any freestanding code, so every embedder already
 * provides it (docs/building.md).
 */
static void move_regions(struct vmk_memblock_region *r, size_t dst, size_t src, size_t n)
{
	if (n && dst != src)
		__builtin_memmove(&r[dst], &r[src], n * sizeof(*r));
}

static void insert_at(struct vmk_memblock_type *t, size_t i, vmk_paddr_t base,
		      vmk_size_t size, int nid, uint32_t flags)
{
	struct vmk_memblock_region *r = t->regions;

	VMK_ASSERT(t->cnt < t->max, "%s: insert into a full array (cnt %zu)",
		   t->name, t->cnt);
	move_regions(r, i + 1, i, t->cnt - i);
	r[i].base = base;
	r[i].size = size;
	r[i].nid = nid;
	r[i].flags = flags;
	t->cnt++;
}

/*
 * A hole [pos, hole_end) before region i can be filled by growing a
 * touching compatible neighbour instead of taking a new slot: the left one
 * (region i-1 ends at pos) or the right one (region i starts at hole_end).
 */
static bool left_extends(const struct vmk_memblock_type *t, size_t i, vmk_paddr_t pos,
			 int nid, uint32_t flags)
{
	const struct vmk_memblock_region *r = t->regions;

	return i > 0 && vmk_memblock__end(&r[i - 1]) == pos && r[i - 1].nid == nid &&
	       r[i - 1].flags == flags;
}

static bool right_extends(const struct vmk_memblock_type *t, size_t i, vmk_paddr_t hole_end,
			  int nid, uint32_t flags)
{
	const struct vmk_memblock_region *r = t->regions;

	return i < t->cnt && r[i].base == hole_end && r[i].nid == nid && r[i].flags == flags;
}

size_t vmk_memblock__add_need(const struct vmk_memblock_type *t, vmk_paddr_t base,
			      vmk_paddr_t end, int nid, uint32_t flags)
{
	size_t i = vmk_memblock__search(t, base), n = 0;
	vmk_paddr_t pos = base;

	while (pos < end) {
		vmk_paddr_t hole_end;

		if (i < t->cnt && t->regions[i].base <= pos) {
			pos = vmk_memblock__end(&t->regions[i++]);
			continue;
		}
		hole_end = i < t->cnt ? VMK_MIN(t->regions[i].base, end) : end;
		if (!left_extends(t, i, pos, nid, flags) &&
		    !right_extends(t, i, hole_end, nid, flags))
			n++;
		pos = hole_end;
	}
	return n;
}

void vmk_memblock__add_range(struct vmk_memblock_type *t, vmk_paddr_t base,
			     vmk_paddr_t end, int nid, uint32_t flags)
{
	struct vmk_memblock_region *r = t->regions;
	size_t first = vmk_memblock__search(t, base), i = first;
	vmk_paddr_t pos = base;

	/* Existing regions keep their node and flags; only holes are filled. */
	while (pos < end) {
		vmk_paddr_t hole_end;

		if (i < t->cnt && r[i].base <= pos) {
			pos = vmk_memblock__end(&r[i++]);
			continue;
		}
		hole_end = i < t->cnt ? VMK_MIN(r[i].base, end) : end;
		if (left_extends(t, i, pos, nid, flags)) {
			/* merge() below joins a compatible right neighbour too */
			r[i - 1].size += hole_end - pos;
		} else if (right_extends(t, i, hole_end, nid, flags)) {
			r[i].size += hole_end - pos;
			r[i].base = pos;
		} else {
			insert_at(t, i++, pos, hole_end - pos, nid, flags);
		}
		t->total_size += hole_end - pos;
		pos = hole_end;
	}
	vmk_memblock__merge(t, first ? first - 1 : 0, i < t->cnt ? i : t->cnt - 1);
}

size_t vmk_memblock__isolate_need(const struct vmk_memblock_type *t,
				  vmk_paddr_t base, vmk_paddr_t end)
{
	size_t i = vmk_memblock__search(t, base), n = 0;

	if (i < t->cnt && t->regions[i].base < base)
		n++;
	i = vmk_memblock__search(t, end);
	if (i < t->cnt && t->regions[i].base < end)
		n++;
	return n;
}

/* Split region i at addr (strictly inside it) into two. */
static void split_at(struct vmk_memblock_type *t, size_t i, vmk_paddr_t addr)
{
	struct vmk_memblock_region r = t->regions[i];

	insert_at(t, i + 1, addr, vmk_memblock__end(&r) - addr, r.nid, r.flags);
	t->regions[i].size = addr - r.base;
}

void vmk_memblock__isolate(struct vmk_memblock_type *t, vmk_paddr_t base,
			   vmk_paddr_t end, size_t *first, size_t *last)
{
	size_t i = vmk_memblock__search(t, base);

	if (i < t->cnt && t->regions[i].base < base) {
		split_at(t, i, base);
		i++;
	}
	*first = i;
	i = vmk_memblock__search(t, end);
	if (i < t->cnt && t->regions[i].base < end) {
		split_at(t, i, end);
		i++;
	}
	*last = i;
}

size_t vmk_memblock__remove_need(const struct vmk_memblock_type *t,
				 vmk_paddr_t base, vmk_paddr_t end)
{
	size_t i = vmk_memblock__search(t, base);

	/* Only punching a hole strictly inside one region takes a slot. */
	return i < t->cnt && t->regions[i].base < base &&
	       vmk_memblock__end(&t->regions[i]) > end;
}

void vmk_memblock__remove_range(struct vmk_memblock_type *t, vmk_paddr_t base,
				vmk_paddr_t end)
{
	struct vmk_memblock_region *r = t->regions;
	size_t i = vmk_memblock__search(t, base), j;

	if (i == t->cnt || r[i].base >= end)
		return;
	if (r[i].base < base && vmk_memblock__end(&r[i]) > end) {
		split_at(t, i, end);
		r[i].size = base - r[i].base;
		t->total_size -= end - base;
		return;
	}
	if (r[i].base < base) {
		t->total_size -= vmk_memblock__end(&r[i]) - base;
		r[i].size = base - r[i].base;
		i++;
	}
	for (j = i; j < t->cnt && vmk_memblock__end(&r[j]) <= end; j++)
		t->total_size -= r[j].size;
	if (j < t->cnt && r[j].base < end) {
		t->total_size -= end - r[j].base;
		r[j].size = vmk_memblock__end(&r[j]) - end;
		r[j].base = end;
	}
	move_regions(r, i, j, t->cnt - j);
	t->cnt -= j - i;
}

void vmk_memblock__merge(struct vmk_memblock_type *t, size_t lo, size_t hi)
{
	struct vmk_memblock_region *r = t->regions;
	size_t w = lo;

	if (t->cnt == 0 || lo >= hi)
		return;
	VMK_ASSERT(hi < t->cnt, "%s: merge window [%zu, %zu] past cnt %zu",
		   t->name, lo, hi, t->cnt);
	for (size_t i = lo + 1; i <= hi; i++) {
		if (mergeable(&r[w], &r[i]))
			r[w].size += r[i].size;
		else
			r[++w] = r[i];
	}
	if (w == hi)
		return;
	move_regions(r, w + 1, hi + 1, t->cnt - hi - 1);
	t->cnt -= hi - w;
}
