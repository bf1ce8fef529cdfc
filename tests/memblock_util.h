/* Helpers shared by the memblock tests (hosted). */
#ifndef VMKIT_TEST_MEMBLOCK_UTIL_H
#define VMKIT_TEST_MEMBLOCK_UTIL_H

#include "harness.h"
#include <vmkit/memblock.h>

struct exp_region {
	uint64_t base, size;
	int nid;
	uint32_t flags;
};

#define NN VMK_NUMA_NO_NODE

/* Assert that t holds exactly the n regions of e (and the totals agree). */
static inline void expect_list(const struct vmk_memblock_type *t,
			       const struct exp_region *e, size_t n)
{
	uint64_t total = 0;

	if (t->cnt != n) {
		for (size_t i = 0; i < t->cnt; i++)
			print_message("  %s[%zu] = [%#llx, +%#llx) nid %d flags %#x\n", t->name, i,
				      (unsigned long long)t->regions[i].base,
				      (unsigned long long)t->regions[i].size,
				      (int)t->regions[i].nid, (unsigned)t->regions[i].flags);
		fail_msg("%s: %zu regions, expected %zu", t->name, t->cnt, n);
	}
	for (size_t i = 0; i < n; i++) {
		const struct vmk_memblock_region *r = &t->regions[i];

		if (r->base != e[i].base || r->size != e[i].size || r->nid != e[i].nid ||
		    r->flags != e[i].flags)
			fail_msg("%s[%zu] = [%#llx, +%#llx) nid %d flags %#x, expected "
				 "[%#llx, +%#llx) nid %d flags %#x", t->name, i,
				 (unsigned long long)r->base, (unsigned long long)r->size,
				 (int)r->nid, (unsigned)r->flags,
				 (unsigned long long)e[i].base, (unsigned long long)e[i].size,
				 e[i].nid, (unsigned)e[i].flags);
		total += e[i].size;
	}
	assert_true(t->total_size == total);
}

#define EXPECT(t, ...) do {							\
	static const struct exp_region exp__[] = { __VA_ARGS__ };		\
	expect_list((t), exp__, VMK_ARRAY_SIZE(exp__));				\
} while (0)
#define EXPECT_EMPTY(t) expect_list((t), NULL, 0)

/* A deep copy of both lists, to compare before/after a failed operation. */
struct mb_snap {
	struct vmk_memblock mb;
	struct vmk_memblock_region *mem, *res;
};

static inline void snap_take(struct mb_snap *s, const struct vmk_memblock *mb)
{
	s->mb = *mb;
	s->mem = malloc((mb->memory.cnt + 1) * sizeof(*s->mem));
	s->res = malloc((mb->reserved.cnt + 1) * sizeof(*s->res));
	memcpy(s->mem, mb->memory.regions, mb->memory.cnt * sizeof(*s->mem));
	memcpy(s->res, mb->reserved.regions, mb->reserved.cnt * sizeof(*s->res));
}

static inline bool type_same(const struct vmk_memblock_type *a,
			     const struct vmk_memblock_type *b,
			     const struct vmk_memblock_region *saved)
{
	return a->regions == b->regions && a->cnt == b->cnt && a->max == b->max &&
	       a->total_size == b->total_size && a->array_pa == b->array_pa &&
	       a->array_allocated == b->array_allocated &&
	       memcmp(saved, b->regions, b->cnt * sizeof(*saved)) == 0;
}

/* True if mb is exactly as when s was taken (lists, arrays, knobs). */
static inline bool snap_same(const struct mb_snap *s, const struct vmk_memblock *mb)
{
	return type_same(&s->mb.memory, &mb->memory, s->mem) &&
	       type_same(&s->mb.reserved, &mb->reserved, s->res) &&
	       s->mb.bottom_up == mb->bottom_up && s->mb.can_resize == mb->can_resize &&
	       s->mb.current_limit == mb->current_limit;
}

static inline void snap_free(struct mb_snap *s)
{
	free(s->mem);
	free(s->res);
}

#endif
