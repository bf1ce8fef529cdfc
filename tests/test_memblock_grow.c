/*
 * memblock array growth (static arrays full, resizing off and on, growth
 * while reserving, memory growth that needs reserved growth), the
 * invariant checker, and the fault-injection sweep over growth and
 * allocation.
 */
#include "memblock_util.h"

#define M VMK_MiB
#define PG VMK_PAGE_SIZE
#define INIT VMK_MEMBLOCK_INIT_REGIONS

/* Simulated RAM backing [RAM, RAM + RAM_SIZE). */
#define RAM	(16 * M)
#define RAM_SIZE (64 * M)

static struct vmk_memblock mb;

static int setup(void **state)
{
	(void)state;
	vmk_sim_install();
	vmk_sim_ram_reset();
	assert_int_equal(vmk_sim_ram_add(RAM, RAM_SIZE), 0);
	vmk_memblock_init(&mb);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vmk_sim_fail_off();
	vmk_sim_ram_reset();
	return 0;
}

/* n separate one-page reservations every other page from base. */
static void reserve_comb(vmk_paddr_t base, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(vmk_memblock_reserve(&mb, base + 2 * i * PG, PG), 0);
}

/* True if [b, e) lies inside one reserved region. */
static bool reserved_covers(vmk_paddr_t b, vmk_paddr_t e)
{
	for (size_t i = 0; i < mb.reserved.cnt; i++) {
		const struct vmk_memblock_region *r = &mb.reserved.regions[i];

		if (r->base <= b && r->base + r->size >= e)
			return true;
	}
	return false;
}

static void test_full_no_resize(void **state)
{
	struct mb_snap s;
	vmk_paddr_t pa;

	(void)state;
	/* memory list full: INIT separate regions */
	for (size_t i = 0; i < INIT; i++)
		assert_int_equal(vmk_memblock_add(&mb, RAM + 2 * i * PG, PG), 0);
	assert_int_equal(mb.memory.cnt, INIT);
	snap_take(&s, &mb);
	/* a new region: no room */
	assert_int_equal(vmk_memblock_add(&mb, RAM + 2 * INIT * PG + PG, PG), -VMK_ENOSPC);
	/* punching a hole would split: no room */
	assert_int_equal(vmk_memblock_add(&mb, 0x100000000ULL, 4 * PG), -VMK_ENOSPC);
	/* marking part of a region would split */
	assert_int_equal(vmk_memblock_mark_nomap(&mb, RAM, PG / 2), -VMK_ENOSPC);
	/* ... but not when nothing would change: no split is needed then */
	assert_int_equal(vmk_memblock_clear_nomap(&mb, RAM, PG / 2), 0);
	assert_int_equal(vmk_memblock_set_node(&mb, RAM + PG / 2, PG / 2, NN), 0);
	assert_int_equal(vmk_memblock_set_node(&mb, RAM + PG / 2, PG / 2, 1), -VMK_ENOSPC);
	assert_true(snap_same(&s, &mb));
	snap_free(&s);
	/* what needs no slot still works: bridge, extend, whole-region change, trim */
	assert_int_equal(vmk_memblock_add(&mb, RAM + PG, PG), 0);		/* bridges R0, R1 */
	assert_int_equal(mb.memory.cnt, INIT - 1);
	assert_int_equal(vmk_memblock_add(&mb, RAM + 3 * PG, PG / 2), 0);	/* grows R0 up */
	assert_int_equal(vmk_memblock_add(&mb, 0x100000000ULL, PG), 0);	/* takes the freed slot */
	assert_int_equal(mb.memory.cnt, INIT);
	/* regions now: [0, 3.5) [4, 5) [6, 7) [8, 9) ... (in pages from RAM) */
	assert_int_equal(vmk_memblock_add(&mb, RAM + 6 * PG - PG / 2, PG / 2), 0);	/* grows [6, 7) down */
	assert_true(mb.memory.regions[2].base == RAM + 6 * PG - PG / 2);
	assert_int_equal(vmk_memblock_set_node(&mb, RAM + 4 * PG, PG, 2), 0);	/* whole region */
	/* a hole touching only an incompatible neighbour needs a slot */
	assert_int_equal(vmk_memblock_add(&mb, RAM + 5 * PG, PG / 4), -VMK_ENOSPC);
	/* left neighbour touches but is on node 2: the compatible right one grows down */
	assert_int_equal(vmk_memblock_add(&mb, RAM + 5 * PG, PG / 2), 0);
	assert_int_equal(mb.memory.cnt, INIT);
	assert_true(mb.memory.regions[1].base == RAM + 4 * PG && mb.memory.regions[1].size == PG);
	assert_int_equal(mb.memory.regions[1].nid, 2);
	assert_true(mb.memory.regions[2].base == RAM + 5 * PG && mb.memory.regions[2].size == 2 * PG);
	assert_int_equal(mb.memory.regions[2].nid, NN);
	assert_int_equal(vmk_memblock_mark_nomap(&mb, RAM + 4 * PG, PG), 0);
	assert_int_equal(vmk_memblock_remove(&mb, RAM + 5 * PG, PG / 2), 0);	/* trims */
	assert_int_equal(vmk_memblock_remove(&mb, RAM + 6 * PG, PG / 2), -VMK_ENOSPC);	/* would split */
	vmk_memblock_check(&mb);

	/* reserved list full */
	vmk_memblock_init(&mb);
	assert_int_equal(vmk_memblock_add(&mb, RAM, RAM_SIZE), 0);
	reserve_comb(RAM, INIT);
	snap_take(&s, &mb);
	assert_int_equal(vmk_memblock_reserve(&mb, RAM + 2 * INIT * PG + PG, PG), -VMK_ENOSPC);
	assert_int_equal(vmk_memblock_free(&mb, RAM + PG / 4, PG / 2), -VMK_ENOSPC);
	/* allocation needing a new reserved region: ENOSPC, nothing changed */
	assert_int_equal(vmk_memblock_alloc(&mb, PG, 0, &pa), -VMK_ENOSPC);
	assert_true(snap_same(&s, &mb));
	snap_free(&s);
	/* allocation that extends a reservation needs no slot (bottom-up: right after the first) */
	vmk_memblock_set_bottom_up(&mb, true);
	assert_int_equal(vmk_memblock_alloc(&mb, PG, 0, &pa), 0);
	assert_true(pa == RAM + PG);
	assert_int_equal(mb.reserved.cnt, INIT - 1);
	vmk_memblock_check(&mb);
}

static void test_grow_reserved(void **state)
{
	struct vmk_range own[2];
	vmk_size_t user = 0;
	const size_t n = 4 * INIT + 3;	/* 128 -> 256 -> 512 -> 1024 */

	(void)state;
	vmk_memblock_allow_resize(&mb, true);
	assert_true(mb.can_resize);
	assert_int_equal(vmk_memblock_add(&mb, RAM, RAM_SIZE), 0);
	for (size_t i = 0; i < n; i++) {
		size_t max_before = mb.reserved.max;

		assert_int_equal(vmk_memblock_reserve(&mb, RAM + 2 * i * PG, PG), 0);
		user += PG;
		vmk_memblock_check(&mb);
		if (mb.reserved.max != max_before) {
			/* grown: new array reserved, old allocated array freed */
			assert_int_equal(mb.reserved.max, 2 * max_before);
			assert_true(mb.reserved.array_allocated);
			assert_ptr_equal(mb.reserved.regions,
					 vmk_sim_phys_to_virt(mb.reserved.array_pa));
		}
	}
	assert_int_equal(mb.reserved.max, 8 * INIT);
	assert_false(mb.memory.array_allocated);
	assert_int_equal(vmk_memblock_own_arrays(&mb, own), 1);
	assert_true(own[0].base == mb.reserved.array_pa);
	assert_true(own[0].end - own[0].base ==
		    VMK_ALIGN_UP(8 * INIT * sizeof(struct vmk_memblock_region), PG));
	assert_true(reserved_covers(own[0].base, own[0].end));
	/* only the user's reservations and the live array: old arrays were freed */
	assert_true(vmk_memblock_reserved_size(&mb) == user + (own[0].end - own[0].base));
	/* the reservations are all there */
	for (size_t i = 0; i < n; i++)
		assert_true(vmk_memblock_is_reserved(&mb, RAM + 2 * i * PG));
	assert_int_equal(mb.reserved.cnt, n + 1);
	/* Capping memory to a range without the live array is refused, memblock unchanged. */
	{
		uint64_t mem = vmk_memblock_phys_mem_size(&mb), res = vmk_memblock_reserved_size(&mb);
		vmk_paddr_t cap_base = own[0].end > RAM + RAM_SIZE / 2 ? RAM : RAM + RAM_SIZE / 2;

		assert_int_equal(vmk_memblock_cap_memory_range(&mb, cap_base, RAM_SIZE / 4), -VMK_EBUSY);
		assert_true(vmk_memblock_phys_mem_size(&mb) == mem);
		assert_true(vmk_memblock_reserved_size(&mb) == res);
		vmk_memblock_check(&mb);
	}
}

/* The reserve that triggers growth covers the place growth would pick. */
static void test_grow_while_reserving(void **state)
{
	struct vmk_range own[2];
	const vmk_paddr_t big = RAM + 32 * M;	/* [big, RAM + RAM_SIZE - 1 page) */
	const vmk_paddr_t big_end = RAM + RAM_SIZE - PG;

	(void)state;
	vmk_memblock_allow_resize(&mb, true);
	assert_int_equal(vmk_memblock_add(&mb, RAM, RAM_SIZE), 0);
	reserve_comb(RAM, INIT);
	/* top-down growth would take the top of RAM, which is being reserved */
	assert_int_equal(vmk_memblock_reserve(&mb, big, big_end - big), 0);
	vmk_memblock_check(&mb);
	assert_int_equal(vmk_memblock_own_arrays(&mb, own), 1);
	assert_true(own[0].end <= big || own[0].base >= big_end);
	/* the single page above the range is too small for the array: it went below */
	assert_true(own[0].end <= big);
	/* freeing the caller's range must not free the array */
	assert_int_equal(vmk_memblock_free(&mb, big, big_end - big), 0);
	vmk_memblock_check(&mb);
	assert_true(reserved_covers(own[0].base, own[0].end));
}

/* An allocation whose reservation needs growth: the array avoids the block. */
static void test_grow_while_allocating(void **state)
{
	struct vmk_range own[2];
	vmk_paddr_t pa;

	(void)state;
	vmk_memblock_allow_resize(&mb, true);
	assert_int_equal(vmk_memblock_add(&mb, RAM, RAM_SIZE), 0);
	reserve_comb(RAM, INIT);
	assert_int_equal(vmk_memblock_alloc(&mb, 8 * PG, 0, &pa), 0);
	assert_true(pa == RAM + RAM_SIZE - 8 * PG);
	assert_int_equal(vmk_memblock_own_arrays(&mb, own), 1);
	assert_true(own[0].end <= pa);
	assert_true(reserved_covers(pa, pa + 8 * PG));
	/* the block and the array touch: one reserved region, yet freeing the block keeps the array */
	assert_int_equal(vmk_memblock_free(&mb, pa, 8 * PG), 0);
	assert_true(reserved_covers(own[0].base, own[0].end));
	vmk_memblock_check(&mb);
}

/* Growing 'memory' when 'reserved' is full too: both grow in one go. */
static void test_grow_memory_and_reserved(void **state)
{
	struct vmk_range own[2];
	struct vmk_memblock_region *old_res;

	(void)state;
	vmk_memblock_allow_resize(&mb, true);
	assert_int_equal(vmk_memblock_add(&mb, RAM + 32 * M, 32 * M), 0);
	for (size_t i = 1; i < INIT; i++)
		assert_int_equal(vmk_memblock_add(&mb, RAM + 2 * i * PG, PG), 0);
	assert_int_equal(mb.memory.cnt, INIT);
	reserve_comb(RAM + 32 * M, INIT);
	assert_int_equal(mb.reserved.cnt, INIT);
	old_res = mb.reserved.regions;
	/* one more memory region: memory grows, and recording its array needs a reserved slot */
	assert_int_equal(vmk_memblock_add(&mb, RAM, PG), 0);
	vmk_memblock_check(&mb);
	assert_int_equal(mb.memory.cnt, INIT + 1);
	assert_int_equal(mb.memory.max, 2 * INIT);
	assert_true(mb.reserved.max > INIT);
	assert_true(mb.reserved.regions != old_res);
	assert_int_equal(vmk_memblock_own_arrays(&mb, own), 2);
	assert_true(own[0].base == mb.memory.array_pa);
	assert_true(own[1].base == mb.reserved.array_pa);
	assert_true(own[0].end <= own[1].base || own[1].end <= own[0].base);
	assert_true(reserved_covers(own[0].base, own[0].end));
	assert_true(reserved_covers(own[1].base, own[1].end));
	/* several more memory growths: each frees the previous memory array */
	for (size_t i = 0; i < 3 * INIT; i++)
		assert_int_equal(vmk_memblock_add(&mb, 0x100000000ULL + 2 * i * PG, PG), 0);
	vmk_memblock_check(&mb);
	assert_int_equal(mb.memory.cnt, 4 * INIT + 1);
	assert_int_equal(mb.memory.max, 8 * INIT);
	assert_int_equal(vmk_memblock_own_arrays(&mb, own), 2);
	assert_true(vmk_memblock_reserved_size(&mb) ==
		    INIT * PG + (own[0].end - own[0].base) + (own[1].end - own[1].base));
}

static void test_grow_failures(void **state)
{
	struct mb_snap s;

	(void)state;
	vmk_memblock_allow_resize(&mb, true);
	/* no free memory at all for the new array */
	for (size_t i = 0; i < INIT; i++)
		assert_int_equal(vmk_memblock_add(&mb, RAM + 2 * i * PG, PG), 0);
	assert_int_equal(vmk_memblock_reserve(&mb, 0, UINT64_MAX), 0);
	snap_take(&s, &mb);
	assert_int_equal(vmk_memblock_add(&mb, 0x100000000ULL, PG), -VMK_ENOMEM);
	assert_true(snap_same(&s, &mb));
	snap_free(&s);
	/* free memory, but not reachable through the direct map */
	vmk_memblock_init(&mb);
	vmk_memblock_allow_resize(&mb, true);
	assert_int_equal(vmk_memblock_add(&mb, 0x200000000ULL, 16 * M), 0);
	reserve_comb(0x200000000ULL, INIT);
	snap_take(&s, &mb);
	assert_int_equal(vmk_memblock_reserve(&mb, 0x300000000ULL, PG), -VMK_ENOMEM);
	assert_true(snap_same(&s, &mb));
	snap_free(&s);
	/* the current limit applies to arrays too */
	vmk_memblock_init(&mb);
	vmk_memblock_allow_resize(&mb, true);
	assert_int_equal(vmk_memblock_add(&mb, RAM, RAM_SIZE), 0);
	reserve_comb(RAM + 32 * M, INIT);
	vmk_memblock_set_current_limit(&mb, RAM);
	snap_take(&s, &mb);
	assert_int_equal(vmk_memblock_reserve(&mb, RAM, PG), -VMK_ENOMEM);
	assert_true(snap_same(&s, &mb));
	snap_free(&s);
	vmk_memblock_set_current_limit(&mb, RAM + 16 * M);
	assert_int_equal(vmk_memblock_reserve(&mb, RAM, PG), 0);
	assert_true(mb.reserved.array_pa + VMK_ALIGN_UP(2 * INIT * sizeof(struct vmk_memblock_region), PG)
		    <= RAM + 16 * M);
	/* resizing turned back off */
	vmk_memblock_allow_resize(&mb, false);
	assert_false(mb.can_resize);
}

/* A caller's reservation over an array survives the array's replacement. */
static void test_reserve_over_own_array(void **state)
{
	struct vmk_range own[2];
	vmk_paddr_t a0, a1, pa;
	unsigned long warn0;

	(void)state;
	vmk_memblock_allow_resize(&mb, true);
	assert_int_equal(vmk_memblock_add(&mb, RAM, RAM_SIZE), 0);
	reserve_comb(RAM, INIT + 1);
	assert_int_equal(vmk_memblock_own_arrays(&mb, own), 1);
	a0 = own[0].base;
	a1 = own[0].end;
	/* the array is in use: freeing it, removing it, NOMAP over it are refused */
	assert_int_equal(vmk_memblock_free(&mb, a0, PG), -VMK_EBUSY);
	assert_int_equal(vmk_memblock_free(&mb, a0 - PG, 2 * PG), -VMK_EBUSY);
	assert_int_equal(vmk_memblock_remove(&mb, a1 - 1, 1), -VMK_EBUSY);
	assert_int_equal(vmk_memblock_mark_nomap(&mb, a0, a1 - a0), -VMK_EBUSY);
	assert_int_equal(vmk_memblock_mark(&mb, a0, a1 - a0, VMK_MEMBLOCK_HOTPLUG), 0);
	assert_int_equal(vmk_memblock_clear(&mb, a0, a1 - a0, VMK_MEMBLOCK_HOTPLUG), 0);
	vmk_memblock_check(&mb);
	/* a caller reserves a range that covers the array's last page: warned */
	warn0 = vmk_sim_warnings();
	assert_int_equal(vmk_memblock_reserve(&mb, a1 - PG, 4 * PG), 0);
	assert_int_equal(vmk_sim_warnings(), warn0 + 1);
	assert_true(mb.reserved.array_shared);
	/* grow again: the old array is not freed, so the caller's range stays reserved */
	reserve_comb(RAM + 4 * M, INIT + 8);
	assert_int_equal(vmk_memblock_own_arrays(&mb, own), 1);
	assert_true(own[0].base != a0);
	assert_false(mb.reserved.array_shared);
	assert_true(reserved_covers(a1 - PG, a1 + 3 * PG));
	assert_true(reserved_covers(a0, a1));
	vmk_memblock_check(&mb);
	/* it is no longer memblock's: the caller may free it now */
	assert_int_equal(vmk_memblock_free(&mb, a0, a1 + 3 * PG - a0), 0);
	assert_false(vmk_memblock_is_region_reserved(&mb, a0, a1 + 3 * PG - a0));
	/* and allocations may use it again */
	vmk_memblock_set_current_limit(&mb, a1);
	assert_int_equal(vmk_memblock_alloc(&mb, PG, 0, &pa), 0);
	assert_true(pa == a1 - PG);
	vmk_memblock_check(&mb);
}

/* ---- the invariant checker: corrupt a copy, expect the right complaint ---- */

static struct vmk_memblock bad;
static struct vmk_memblock_region bad_mem[8], bad_res[8];

static void make_bad_copy(void)
{
	bad = mb;
	memcpy(bad_mem, mb.memory.regions, mb.memory.cnt * sizeof(bad_mem[0]));
	memcpy(bad_res, mb.reserved.regions, mb.reserved.cnt * sizeof(bad_res[0]));
	bad.memory.regions = bad_mem;
	bad.reserved.regions = bad_res;
	bad.memory.max = bad.reserved.max = 8;
}

static void test_check(void **state)
{
	(void)state;
	assert_int_equal(vmk_memblock_add_node(&mb, 0x1000, 0x1000, 0, 0), 0);
	assert_int_equal(vmk_memblock_add_node(&mb, 0x2000, 0x1000, 1, 0), 0);
	assert_int_equal(vmk_memblock_add(&mb, 0x8000, 0x1000), 0);
	assert_int_equal(vmk_memblock_reserve(&mb, 0x1000, 0x100), 0);
	assert_int_equal(vmk_memblock_reserve(&mb, 0x3000, 0x100), 0);
	make_bad_copy();
	vmk_memblock_check(&bad);	/* the copy itself is fine */

	make_bad_copy();
	bad.memory.cnt = 9;
	assert_panics(vmk_memblock_check(&bad), "memory: cnt 9 exceeds max 8");
	make_bad_copy();
	bad_mem[1].size = 0;
	assert_panics(vmk_memblock_check(&bad), "memory[1]: empty region");
	make_bad_copy();
	bad_mem[2].size = UINT64_MAX;
	assert_panics(vmk_memblock_check(&bad), "memory[2]: region wraps");
	make_bad_copy();
	bad_mem[1].base = 0x1800;
	assert_panics(vmk_memblock_check(&bad), "memory[1]: not sorted or overlaps");
	make_bad_copy();
	bad_mem[2].base = 0x500;
	assert_panics(vmk_memblock_check(&bad), "memory[2]: not sorted or overlaps");
	make_bad_copy();
	bad_mem[1].nid = 0;
	assert_panics(vmk_memblock_check(&bad), "memory[1]: not merged");
	make_bad_copy();
	bad_mem[0].flags = 0x100;
	assert_panics(vmk_memblock_check(&bad), "memory[0]: unknown flags 0x100");
	make_bad_copy();
	bad_mem[0].nid = 42;
	assert_panics(vmk_memblock_check(&bad), "memory[0]: bad node 42");
	make_bad_copy();
	bad.memory.total_size += 1;
	assert_panics(vmk_memblock_check(&bad), "memory: total_size 0x3001 != sum of regions 0x3000");
	make_bad_copy();
	bad_res[1].flags = VMK_MEMBLOCK_NOMAP;
	assert_panics(vmk_memblock_check(&bad), "reserved[1]: reserved region with flags or node");
	make_bad_copy();
	bad_res[0].size = 0x2100;
	assert_panics(vmk_memblock_check(&bad), "reserved[1]: not sorted or overlaps");
	make_bad_copy();
	bad.reserved.regions = NULL;
	assert_panics(vmk_memblock_check(&bad), "reserved: no region array");
	make_bad_copy();
	bad.memory.array_allocated = true;
	bad.memory.array_pa = 0x10000;
	assert_panics(vmk_memblock_check(&bad), "an array memblock allocated at 0x10000 is not reserved");
	/* the real one was never touched */
	vmk_memblock_check(&mb);
}

/* ---- fault injection sweep ---- */

enum op_kind { OP_ADD, OP_REMOVE, OP_RESERVE, OP_FREE, OP_MARK, OP_NODE, OP_DIR, OP_ALLOC };

struct op {
	enum op_kind kind;
	vmk_paddr_t base;
	vmk_size_t size;
	int arg;
};

/* A scenario with several growths of both arrays and many allocations. */
static size_t build_scenario(struct op *ops)
{
	size_t n = 0;

	ops[n++] = (struct op){ OP_ADD, RAM + 48 * M, 16 * M, 0 };
	/* both lists exactly full, then memory grows: one transaction grows both */
	for (size_t i = 0; i < INIT - 1; i++)
		ops[n++] = (struct op){ OP_ADD, RAM + 2 * i * PG, PG, (int)(i % 3) };
	for (size_t i = 0; i < INIT; i++)
		ops[n++] = (struct op){ OP_RESERVE, RAM + 48 * M + 2 * i * PG, PG, 0 };
	for (size_t i = INIT - 1; i < 600; i++)
		ops[n++] = (struct op){ OP_ADD, RAM + 2 * i * PG, PG, (int)(i % 3) };
	for (size_t i = INIT; i < 600; i++)
		ops[n++] = (struct op){ OP_RESERVE, RAM + 48 * M + 2 * i * PG, PG, 0 };
	for (size_t i = 0; i < 100; i++) {
		ops[n++] = (struct op){ OP_DIR, 0, 0, (int)(i % 2) };
		ops[n++] = (struct op){ OP_ALLOC, 0, (i % 4 + 1) * 0x800, 0 };
	}
	for (size_t i = 0; i < 40; i++)
		ops[n++] = (struct op){ OP_MARK, RAM + 48 * M + 4 * M + i * 8 * PG, PG, 0 };
	for (size_t i = 0; i < 40; i++)
		ops[n++] = (struct op){ OP_NODE, RAM + 48 * M + 8 * M + i * 8 * PG, PG, 1 };
	for (size_t i = 0; i < 40; i++)
		ops[n++] = (struct op){ OP_REMOVE, RAM + 48 * M + 12 * M + i * 8 * PG, PG, 0 };
	for (size_t i = 0; i < 600; i += 3)
		ops[n++] = (struct op){ OP_FREE, RAM + 48 * M + 2 * i * PG + PG / 4, PG / 2, 0 };
	ops[n++] = (struct op){ OP_RESERVE, RAM + 60 * M, 4 * M, 0 };
	return n;
}

static int run_op(const struct op *o)
{
	vmk_paddr_t pa;

	switch (o->kind) {
	case OP_ADD: return vmk_memblock_add_node(&mb, o->base, o->size, o->arg, 0);
	case OP_REMOVE: return vmk_memblock_remove(&mb, o->base, o->size);
	case OP_RESERVE: return vmk_memblock_reserve(&mb, o->base, o->size);
	case OP_FREE: return vmk_memblock_free(&mb, o->base, o->size);
	case OP_MARK: return vmk_memblock_mark_nomap(&mb, o->base, o->size);
	case OP_NODE: return vmk_memblock_set_node(&mb, o->base, o->size, o->arg);
	case OP_DIR:
		vmk_memblock_set_bottom_up(&mb, o->arg);
		return 0;
	case OP_ALLOC:
		return vmk_memblock_alloc(&mb, o->size, 0x800, &pa);
	}
	return -1;
}

static void start_scenario(void)
{
	vmk_memblock_init(&mb);
	vmk_memblock_allow_resize(&mb, true);
}

static void test_fault_sweep(void **state)
{
	static struct op ops[2048];
	size_t nops = build_scenario(ops);
	struct mb_snap base;
	unsigned long sites, n;

	(void)state;
	/* the run without faults, and how many fault sites it passes */
	vmk_sim_fail_nth(~0UL, "memblock.", false);
	start_scenario();
	for (size_t i = 0; i < nops; i++)
		assert_int_equal(run_op(&ops[i]), 0);
	vmk_memblock_check(&mb);
	sites = vmk_sim_fault_calls();
	assert_true(sites > 100);
	assert_true(mb.memory.max > 2 * INIT && mb.reserved.max > 2 * INIT);
	snap_take(&base, &mb);
	/* the sweep covers growth sites, not only allocations */
	vmk_sim_fail_nth(~0UL, "memblock.grow", false);
	start_scenario();
	for (size_t i = 0; i < nops; i++)
		assert_int_equal(run_op(&ops[i]), 0);
	print_message("fault sweep: %lu sites, %lu of them memblock.grow\n", sites,
		      vmk_sim_fault_calls());
	assert_true(vmk_sim_fault_calls() >= 5);

	/* fail each site once: the failing op changes nothing, a retry succeeds */
	for (n = 0; n < sites; n++) {
		size_t failed = 0;

		start_scenario();
		vmk_sim_fail_nth(n, "memblock.", false);
		for (size_t i = 0; i < nops; i++) {
			struct mb_snap s;
			int err;

			snap_take(&s, &mb);
			err = run_op(&ops[i]);
			if (err) {
				assert_int_equal(err, -VMK_ENOMEM);
				if (!snap_same(&s, &mb))
					fail_msg("fault %lu: op %zu (kind %d) changed the lists on failure",
						 n, i, ops[i].kind);
				vmk_memblock_check(&mb);
				failed++;
				assert_int_equal(run_op(&ops[i]), 0);
			}
			snap_free(&s);
		}
		assert_int_equal(failed, 1);
		assert_int_equal(vmk_sim_faults_injected(), 1);
		/* same end state as the run without faults */
		assert_true(snap_same(&base, &mb));
	}

	/* sticky: from site n on everything fails; each failure changes nothing */
	for (n = 0; n < sites; n += 37) {
		start_scenario();
		vmk_sim_fail_nth(n, "memblock.", true);
		for (size_t i = 0; i < nops; i++) {
			struct mb_snap s;
			int err;

			snap_take(&s, &mb);
			err = run_op(&ops[i]);
			if (err) {
				assert_int_equal(err, -VMK_ENOMEM);
				assert_true(snap_same(&s, &mb));
			}
			snap_free(&s);
		}
		vmk_memblock_check(&mb);
	}
	vmk_sim_fail_off();
	snap_free(&base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_full_no_resize, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grow_reserved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grow_while_reserving, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grow_while_allocating, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grow_memory_and_reserved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grow_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reserve_over_own_array, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_sweep, setup, teardown),
	};

	vmk_sim_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
