/*
 * vmk_vmem_check finds each broken invariant of an arena: the arena is
 * built through the API, one field or link is corrupted by hand, the
 * checker must fail naming that invariant, and after the corruption is
 * undone it must pass again (so the report came from the corruption).
 */
#include "phys_util.h"
#include "../src/vmem/vmem_internal.h"
#include <string.h>

#define PG	4096ull
#define BASE	0x100000ull
#define BASE2	0x400000ull

static struct vmk_vmem vm;
/* Tags by role: span 1, A busy, B free, C busy, tail free, span 2, its free segment. */
static struct vmk_vmem_bt *span1, *ta, *tb, *tc, *tail, *span2, *free2;

static void no_release(void *arg, vmk_vaddr_t addr, vmk_size_t size)
{
	(void)arg; (void)addr; (void)size;
	fail_msg("release called by the checker");
}

static struct vmk_vmem_bt *tag(unsigned int idx)
{
	struct vmk_list *it;
	unsigned int i = 0;

	vmk_list_foreach(it, &vm.seglist)
		if (i++ == idx)
			return bt_of_seg(it);
	fail_msg("no tag %u", idx);
	return NULL;
}

static int setup(void **st)
{
	struct vmk_vmem_params p = { .name = "ck", .base = BASE, .size = 16 * PG, .quantum = PG,
				     .qcache_max = 2 * PG };
	vmk_vaddr_t a, b, c;

	(void)st;
	tp_reset();
	tp_add_free(1ull << 30, 16ull << 20, 0);
	assert_int_equal(vmk_vmem_init(&vm, &p), 0);
	assert_int_equal(vmk_vmem_xalloc(&vm, PG, 0, 0, 0, 0, 0, VMK_VMEM_INSTANTFIT, &a), 0);
	assert_int_equal(vmk_vmem_xalloc(&vm, PG, 0, 0, 0, 0, 0, VMK_VMEM_INSTANTFIT, &b), 0);
	assert_int_equal(vmk_vmem_xalloc(&vm, 2 * PG, 0, 0, 0, 0, 0, VMK_VMEM_INSTANTFIT, &c), 0);
	assert_int_equal(a, BASE);
	assert_int_equal(b, BASE + PG);
	assert_int_equal(c, BASE + 2 * PG);
	vmk_vmem_xfree(&vm, b, PG);
	assert_int_equal(vmk_vmem_add(&vm, BASE2, 4 * PG), 0);
	span1 = tag(0); ta = tag(1); tb = tag(2); tc = tag(3); tail = tag(4); span2 = tag(5); free2 = tag(6);
	assert_true(bt_is_span(span1) && bt_is_span(span2));
	assert_int_equal(ta->type, BT_BUSY);
	assert_int_equal(tb->type, BT_FREE);
	assert_int_equal(tc->type, BT_BUSY);
	assert_int_equal(tail->type, BT_FREE);
	assert_int_equal(free2->type, BT_FREE);
	assert_int_equal(vmk_vmem_check(&vm, NULL, 0), 0);
	/* 20 pages in two spans, A and C (3 pages) allocated. */
	assert_int_equal(vmk_vmem_size(&vm, VMK_VMEM_TOTAL), 20 * PG);
	assert_int_equal(vmk_vmem_size(&vm, VMK_VMEM_ALLOC), 3 * PG);
	assert_int_equal(vmk_vmem_size(&vm, VMK_VMEM_FREE), 17 * PG);
	return 0;
}

static int teardown(void **st)
{
	char msg[160];

	(void)st;
	assert_int_equal(vmk_vmem_check(&vm, msg, sizeof(msg)), 0);
	vmk_vmem_xfree(&vm, BASE, PG);
	vmk_vmem_xfree(&vm, BASE + 2 * PG, 2 * PG);
	vmk_vmem_destroy(&vm);
	return 0;
}

/* The checker fails with a message holding want; NULL buffer also fails. */
static void expect_bad(const char *want)
{
	char msg[200] = "";

	assert_int_equal(vmk_vmem_check(&vm, msg, sizeof(msg)), -VMK_EINVAL);
	if (!strstr(msg, want))
		fail_msg("checker said '%s', expected '%s'", msg, want);
	assert_int_equal(vmk_vmem_check(&vm, NULL, 0), -VMK_EINVAL);
}

static void test_tag_fields(void **st)
{
	vmk_size_t sz = ta->size;

	(void)st;
	ta->size = 0;
	expect_bad("has size 0");
	ta->size = sz + 1;
	expect_bad("not quantum-aligned");
	ta->size = sz;
}

static void test_tiling(void **st)
{
	vmk_vaddr_t s2 = span2->start;

	(void)st;
	tail->size -= PG;		/* span 1 ends one page early */
	expect_bad("not tiled by its segments");
	tail->size += PG;
	span2->size += PG;		/* the last span's segments stop a page short */
	expect_bad("last span not tiled");
	span2->size -= PG;
	span2->start = BASE;		/* span 2 placed over span 1 */
	expect_bad("overlaps or precedes span");
	span2->start = s2;
	tb->start += PG;		/* B no longer follows A */
	expect_bad("does not continue span");
	tb->start -= PG;
	span1->type = BT_FREE;		/* the first tag is not a span */
	expect_bad("before any span");
	span1->type = BT_SPAN_STATIC;
}

static void test_segment_types(void **st)
{
	(void)st;
	tc->type = BT_FREE;		/* C free right after free B */
	expect_bad("adjacent free segments");
	tc->type = BT_BUSY;
	ta->type = BT_FREE;		/* A free, but its link is on a hash chain */
	expect_bad("not on free list");
	ta->type = BT_BUSY;
	tb->type = BT_BUSY;		/* B busy, but its link is on a free list */
	expect_bad("not in its hash bucket");
	tb->type = 7;
	expect_bad("of type 7 on the segment list");
	tb->type = BT_FREE;
}

static void test_imported_span_kept(void **st)
{
	(void)st;
	vm.release = no_release;
	span2->type = BT_SPAN;		/* wholly free imported span still held */
	expect_bad("wholly free but not released");
	span2->type = BT_SPAN_STATIC;
	vm.release = NULL;
}

static void test_free_lists(void **st)
{
	unsigned int i = vmk_vmem__freelist_index(&vm, tb->size), empty = 0;
	struct vmk_vmem_bt *spare;

	(void)st;
	while (!vmk_list_empty(&vm.freelist[empty]))
		empty++;
	vm.freemask |= 1ull << empty;
	expect_bad("free-list bitmap bit");
	vm.freemask &= ~(1ull << empty);

	/* A spare tag put on a free list: wrong type there, and one too many listed. */
	assert_false(vmk_list_empty(&vm.bt_free));
	spare = vmk_list_entry(vm.bt_free.next, struct vmk_vmem_bt, q);
	vmk_list_del(&spare->q);
	spare->start = BASE2 + 8 * PG;
	spare->size = tb->size;
	vmk_list_add_tail(&vm.freelist[i], &spare->q);
	expect_bad("holds");
	spare->type = BT_FREE;
	expect_bad("segments on free lists");
	vmk_list_del(&spare->q);
	spare->type = BT_SPARE;
	vmk_list_add(&vm.bt_free, &spare->q);
}

static void test_counters(void **st)
{
	(void)st;
	vm.inuse += PG;
	expect_bad("counters total");
	vm.inuse -= PG;
	vm.nbusy++;
	expect_bad("counters total");
	vm.nbusy--;
	vm.nbt_free++;
	expect_bad("spare tags counted");
	vm.nbt_free--;
	assert_true(vm.nqcache > 0);
	vm.qc[0].n = VMK_VMEM_QCACHE_DEPTH + 1;
	expect_bad("quantum cache 0 holds");
	vm.qc[0].n = 0;
}

/* Inconsistent requests are refused with -VMK_EINVAL and change nothing. */
static void test_bad_requests(void **st)
{
	vmk_vaddr_t a = 0;
	char msg[160];

	(void)st;
	assert_int_equal(vmk_vmem_alloc(&vm, 0, 0, &a), -VMK_EINVAL);
	assert_int_equal(vmk_vmem_xalloc(&vm, 0, 0, 0, 0, 0, 0, 0, &a), -VMK_EINVAL);
	assert_int_equal(vmk_vmem_xalloc(&vm, UINT64_MAX, 0, 0, 0, 0, 0, 0, &a), -VMK_EINVAL);
	assert_int_equal(vmk_vmem_xalloc(&vm, PG, 3 * PG, 0, 0, 0, 0, 0, &a), -VMK_EINVAL);	/* align not 2^n */
	assert_int_equal(vmk_vmem_xalloc(&vm, PG, PG / 2, 0, 0, 0, 0, 0, &a), -VMK_EINVAL);	/* below the quantum */
	assert_int_equal(vmk_vmem_xalloc(&vm, PG, 2 * PG, 2 * PG, 0, 0, 0, 0, &a), -VMK_EINVAL);	/* phase >= align */
	assert_int_equal(vmk_vmem_xalloc(&vm, PG, 2 * PG, 0x800, 0, 0, 0, 0, &a), -VMK_EINVAL);	/* phase off quantum */
	assert_int_equal(vmk_vmem_xalloc(&vm, PG, 0, 0, 3 * PG, 0, 0, 0, &a), -VMK_EINVAL);	/* nocross not 2^n */
	assert_int_equal(vmk_vmem_xalloc(&vm, 4 * PG, 0, 0, 2 * PG, 0, 0, 0, &a), -VMK_EINVAL);	/* nocross < size */
	assert_int_equal(vmk_vmem_xalloc(&vm, PG, 8 * PG, 0, 4 * PG, 0, 0, 0, &a), -VMK_EINVAL);	/* nocross < align */
	assert_int_equal(vmk_vmem_xalloc(&vm, PG, 0, 0, 0, BASE + 8 * PG, BASE + 8 * PG, 0, &a), -VMK_EINVAL);
	assert_int_equal(a, 0);
	assert_int_equal(vmk_vmem_size(&vm, VMK_VMEM_ALLOC), 3 * PG);
	assert_int_equal(vmk_vmem_check(&vm, msg, sizeof(msg)), 0);
	/* The same constraints made consistent are served. */
	assert_int_equal(vmk_vmem_xalloc(&vm, PG, 2 * PG, PG, 4 * PG, BASE + 4 * PG, BASE + 16 * PG, 0, &a), 0);
	assert_true(a % (2 * PG) == PG && a >= BASE + 4 * PG);
	vmk_vmem_xfree(&vm, a, PG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tag_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tiling, setup, teardown),
		cmocka_unit_test_setup_teardown(test_segment_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_imported_span_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_lists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
