/* Tests of the kexec placement engine: each rule and each error. */
#include "harness.h"
#include <vmkit/kexec.h>

#define MiB VMK_MiB
#define KiB VMK_KiB

static struct vmk_kexec_store st;

static struct vmk_kexec_plan *fresh(void)
{
	static struct vmk_kexec_plan p;

	vmk_kexec_plan_init_store(&p, &st);
	return &p;
}

static struct vmk_kexec_req req(const char *name, uint64_t memsz, uint64_t align)
{
	struct vmk_kexec_req r;

	memset(&r, 0, sizeof(r));
	r.name = name;
	r.bufsz = memsz;
	r.memsz = memsz;
	r.align = align;
	return r;
}

static void test_directions(void **state)
{
	struct vmk_kexec_plan *p = fresh();
	struct vmk_kexec_req r = req("a", MiB, MiB);
	vmk_paddr_t b;

	(void)state;
	assert_int_equal(vmk_kexec_add_ram(p, 0, 16 * MiB), 0);
	assert_int_equal(vmk_kexec_exclude(p, 4 * MiB, 5 * MiB, VMK_KEXEC_EXCL_RESERVED, "r"), 0);
	vmk_kexec_set_dir(p, VMK_KEXEC_BOTTOM_UP);
	assert_int_equal(vmk_kexec_place(p, &r, &b), 0);
	assert_true(b == 0);
	vmk_kexec_set_dir(p, VMK_KEXEC_TOP_DOWN);
	r.name = "b";
	assert_int_equal(vmk_kexec_place(p, &r, &b), 0);
	assert_true(b == 15 * MiB);
	/* A per-segment direction overrides the global one. */
	r.name = "c";
	r.dir = VMK_KEXEC_BOTTOM_UP;
	assert_int_equal(vmk_kexec_place(p, &r, &b), 0);
	assert_true(b == MiB);
	/* Bottom-up skips the excluded 4-5 MiB. */
	r.name = "d";
	r.memsz = r.bufsz = 3 * MiB;
	assert_int_equal(vmk_kexec_place(p, &r, &b), 0);
	assert_true(b == 5 * MiB);
	assert_int_equal(vmk_kexec_verify(p), 0);
	assert_non_null(vmk_kexec_find_seg(p, "d"));
	assert_null(vmk_kexec_find_seg(p, "zz"));
}

static void test_alignment_and_window(void **state)
{
	struct vmk_kexec_plan *p = fresh();
	struct vmk_kexec_req r = req("k", MiB, 2 * MiB);
	vmk_paddr_t b;

	(void)state;
	vmk_kexec_add_ram(p, 0x1000, 8 * MiB);
	vmk_kexec_set_dir(p, VMK_KEXEC_BOTTOM_UP);
	assert_int_equal(vmk_kexec_place(p, &r, &b), 0);
	assert_true(b == 2 * MiB);		/* 0x1000 is not 2 MiB aligned */
	vmk_kexec_set_dir(p, VMK_KEXEC_TOP_DOWN);
	r.name = "k2";
	assert_int_equal(vmk_kexec_place(p, &r, &b), 0);
	assert_true(b == 6 * MiB);		/* highest 2 MiB multiple with end <= 8 MiB */
	/* Window [0, 5 MiB) exclusive max, top-down. */
	r = req("w", MiB, 0);
	r.max = 5 * MiB;
	assert_int_equal(vmk_kexec_place(p, &r, &b), 0);
	assert_true(b == 4 * MiB);		/* 3-6 MiB is free: highest end <= 5 MiB */
	assert_int_equal(vmk_kexec_verify(p), 0);
}

static void test_page_rounding_and_memsz(void **state)
{
	struct vmk_kexec_plan *p = fresh();
	struct vmk_kexec_req r = req("tiny", 1, 0);
	vmk_paddr_t b;

	(void)state;
	/* RAM edges off page boundaries: holes are trimmed to [0x2000, 0x5000). */
	vmk_kexec_add_ram(p, 0x1800, 0x5800);
	assert_true(vmk_kexec_free_bytes(p) == 0x3000);
	assert_int_equal(vmk_kexec_place(p, &r, &b), 0);
	assert_true(b == 0x4000);
	assert_true(p->seg[0].memsz == VMK_PAGE_SIZE);
	/* The hole must fit memsz, not just bufsz: 8 KiB left, memsz 12 KiB. */
	r = req("big", 12 * KiB, 0);
	r.bufsz = 4 * KiB;
	assert_int_equal(vmk_kexec_place(p, &r, &b), -VMK_ENOMEM);
	assert_non_null(strstr(p->err, "'big'"));
	r.memsz = 8 * KiB;
	assert_int_equal(vmk_kexec_place(p, &r, &b), 0);
	assert_true(b == 0x2000);
	assert_true(vmk_kexec_free_bytes(p) == 0);
}

static void test_no_fit_error(void **state)
{
	struct vmk_kexec_plan *p = fresh();
	struct vmk_kexec_req r = req("initrd", 10 * MiB, 0);
	size_t nexcl;

	(void)state;
	vmk_kexec_add_ram(p, 0, 16 * MiB);
	vmk_kexec_exclude(p, 6 * MiB, 7 * MiB, VMK_KEXEC_EXCL_ACPI_TABLES, "ACPI Tables");
	nexcl = p->nexcl;
	assert_int_equal(vmk_kexec_place(p, &r, NULL), -VMK_ENOMEM);
	assert_non_null(strstr(p->err, "segment 'initrd'"));
	assert_non_null(strstr(p->err, "largest hole in the window 0x700000-0xffffff (9 MiB)"));
	assert_true(p->fail_any_hole.base == 7 * MiB && p->fail_any_hole.end == 16 * MiB);
	assert_int_equal(p->nseg, 0);
	assert_int_equal(p->nexcl, nexcl);	/* unchanged */
	/* Window limited below 6 MiB: the largest hole in the window is 0-6 MiB. */
	r.max = 6 * MiB;
	assert_int_equal(vmk_kexec_place(p, &r, NULL), -VMK_ENOMEM);
	assert_non_null(strstr(p->err, "largest hole in the window 0x0-0x5fffff (6 MiB)"));
	assert_non_null(strstr(p->err, "largest hole anywhere 0x700000-0xffffff (9 MiB)"));
	/* A window entirely in the excluded range. */
	r = req("fixed", MiB, 0);
	r.min = 6 * MiB;
	r.max = 7 * MiB;
	assert_int_equal(vmk_kexec_place(p, &r, NULL), -VMK_ENOMEM);
	assert_non_null(strstr(p->err, "no free memory in the window"));
	assert_non_null(strstr(p->err, "blocked by acpi-tables 'ACPI Tables'"));
}

static void test_phase_and_boundary(void **state)
{
	struct vmk_kexec_plan *p = fresh();
	struct vmk_kexec_req r = req("img", MiB, 2 * MiB);
	vmk_paddr_t b;

	(void)state;
	vmk_kexec_add_ram(p, MiB, 16 * MiB);
	vmk_kexec_set_dir(p, VMK_KEXEC_BOTTOM_UP);
	r.phase = 0x80000;
	assert_int_equal(vmk_kexec_place(p, &r, &b), 0);
	assert_true(b == 0x280000);
	vmk_kexec_set_dir(p, VMK_KEXEC_TOP_DOWN);
	r.name = "img2";
	assert_int_equal(vmk_kexec_place(p, &r, &b), 0);
	assert_true(b == 14 * MiB + 0x80000);	/* end 15.5 MiB <= 16 MiB */

	p = fresh();
	vmk_kexec_add_ram(p, 0x1ff000, 0x600000);
	r = req("dtb", 8 * KiB, 8);
	r.boundary = 2 * MiB;
	r.dir = VMK_KEXEC_BOTTOM_UP;
	assert_int_equal(vmk_kexec_place(p, &r, &b), 0);
	assert_true(b == 0x200000);		/* 0x1ff000 would cross 2 MiB */
	p = fresh();
	vmk_kexec_add_ram(p, 0, 0x201000);
	r.dir = VMK_KEXEC_TOP_DOWN;
	assert_int_equal(vmk_kexec_place(p, &r, &b), 0);
	assert_true(b == 0x1fe000);		/* 0x1ff000 would cross 2 MiB */
	assert_int_equal(vmk_kexec_verify(p), 0);
}

static void test_bad_requests(void **state)
{
	struct vmk_kexec_plan *p = fresh();
	struct vmk_kexec_req r;

	(void)state;
	vmk_kexec_add_ram(p, 0, 64 * MiB);
	r = req("x", MiB, 3 * KiB);
	assert_int_equal(vmk_kexec_place(p, &r, NULL), -VMK_EINVAL);
	assert_non_null(strstr(p->err, "power of two"));
	r = req("x", MiB, 0);
	r.bufsz = 2 * MiB;
	assert_int_equal(vmk_kexec_place(p, &r, NULL), -VMK_EINVAL);
	assert_non_null(strstr(p->err, "'x': bufsz is larger than memsz"));
	r = req("x", 0, 0);
	assert_int_equal(vmk_kexec_place(p, &r, NULL), -VMK_EINVAL);
	r = req("x", MiB, 2 * MiB);
	r.phase = 0x800;
	assert_int_equal(vmk_kexec_place(p, &r, NULL), -VMK_EINVAL);
	r.phase = 2 * MiB;
	assert_int_equal(vmk_kexec_place(p, &r, NULL), -VMK_EINVAL);
	r = req("x", MiB, 0);
	r.min = 8 * MiB;
	r.max = 8 * MiB;
	assert_int_equal(vmk_kexec_place(p, &r, NULL), -VMK_EINVAL);
	assert_non_null(strstr(p->err, "min >= max"));
	r = req("x", 4 * MiB, 0);
	r.boundary = 2 * MiB;
	assert_int_equal(vmk_kexec_place(p, &r, NULL), -VMK_EINVAL);
	r.boundary = 3 * MiB;
	assert_int_equal(vmk_kexec_place(p, &r, NULL), -VMK_EINVAL);
	r = req(NULL, MiB, 0);
	assert_int_equal(vmk_kexec_place(p, &r, NULL), -VMK_EINVAL);
	r = req("x", UINT64_MAX - 5, 0);
	assert_int_equal(vmk_kexec_place(p, &r, NULL), -VMK_EINVAL);
	assert_int_equal(p->nseg, 0);
	assert_int_equal(p->nexcl, 0);
	/* Bad exclusions and RAM. */
	assert_int_equal(vmk_kexec_exclude(p, 10, 5, VMK_KEXEC_EXCL_OTHER, "x"), -VMK_EINVAL);
	assert_int_equal(vmk_kexec_exclude(p, 0, 5, 99, "x"), -VMK_EINVAL);
	assert_int_equal(vmk_kexec_add_ram(p, 10, 5), -VMK_EINVAL);
}

static void test_tables_full(void **state)
{
	struct vmk_range ram[2], blocked[3];
	struct vmk_kexec_excl excl[3];
	struct vmk_kexec_seg seg[2];
	struct vmk_kexec_plan p;
	struct vmk_kexec_req r = req("s", VMK_PAGE_SIZE, 0);

	(void)state;
	vmk_kexec_plan_init(&p, ram, 2, blocked, excl, 3, seg, 2);
	assert_int_equal(vmk_kexec_add_ram(&p, 0, MiB), 0);
	assert_int_equal(vmk_kexec_add_ram(&p, 2 * MiB, 3 * MiB), 0);
	assert_int_equal(vmk_kexec_add_ram(&p, 4 * MiB, 5 * MiB), -VMK_ENOSPC);
	assert_non_null(strstr(p.err, "RAM table full"));
	assert_int_equal(vmk_kexec_exclude(&p, 0, 4096, VMK_KEXEC_EXCL_OTHER, "a"), 0);
	/* Same range and kind again: recorded once. */
	assert_int_equal(vmk_kexec_exclude(&p, 0, 4096, VMK_KEXEC_EXCL_OTHER, "a"), 0);
	assert_int_equal(p.nexcl, 1);
	assert_int_equal(vmk_kexec_place(&p, &r, NULL), 0);
	r.name = "t";
	assert_int_equal(vmk_kexec_place(&p, &r, NULL), 0);
	assert_int_equal(p.nexcl, 3);
	r.name = "u";
	assert_int_equal(vmk_kexec_place(&p, &r, NULL), -VMK_ENOSPC);
	assert_int_equal(p.nseg, 2);
	assert_int_equal(vmk_kexec_exclude(&p, 8192 * 4, 8192 * 5, VMK_KEXEC_EXCL_OTHER, "b"),
			 -VMK_ENOSPC);
	assert_int_equal(vmk_kexec_verify(&p), 0);
}

static void test_exclusions_sorted_and_clip(void **state)
{
	struct vmk_kexec_plan *p = fresh();

	(void)state;
	vmk_kexec_add_ram(p, 0, 64 * MiB);
	vmk_kexec_exclude(p, 8 * MiB, 9 * MiB, VMK_KEXEC_EXCL_DTB, "dtb");
	vmk_kexec_exclude(p, 2 * MiB, 3 * MiB, VMK_KEXEC_EXCL_UEFI_MMAP, "UEFI memory map");
	vmk_kexec_exclude(p, 2 * MiB + 4096, 4 * MiB, VMK_KEXEC_EXCL_RESERVED, "reserved");
	assert_int_equal(p->nexcl, 3);
	assert_true(p->excl[0].base == 2 * MiB && p->excl[1].base == 2 * MiB + 4096);
	assert_string_equal(p->excl[2].reason, "dtb");
	assert_int_equal(p->blocked.n, 2);	/* 2-4 MiB merged, 8-9 MiB */
	assert_true(vmk_kexec_free_bytes(p) == 61 * MiB);
	vmk_kexec_clip_ram(p, 3 * MiB, 10 * MiB);
	assert_true(vmk_kexec_free_bytes(p) == 5 * MiB);	/* 4-8 and 9-10 */
	/* One range for two reasons: both kept, ordered by kind whatever the insertion order. */
	p = fresh();
	vmk_kexec_add_ram(p, 0, 64 * MiB);
	assert_int_equal(vmk_kexec_exclude(p, MiB, 2 * MiB, VMK_KEXEC_EXCL_OTHER, "b"), 0);
	assert_int_equal(vmk_kexec_exclude(p, MiB, 2 * MiB, VMK_KEXEC_EXCL_RESERVED, "a"), 0);
	assert_int_equal(p->nexcl, 2);
	assert_int_equal(p->excl[0].kind, VMK_KEXEC_EXCL_RESERVED);
	assert_int_equal(p->excl[1].kind, VMK_KEXEC_EXCL_OTHER);
	assert_int_equal(p->blocked.n, 1);
}

static void test_verify_catches(void **state)
{
	struct vmk_kexec_plan *p = fresh();
	struct vmk_kexec_req r = req("a", MiB, 0);

	(void)state;
	vmk_kexec_add_ram(p, 0, 16 * MiB);
	vmk_kexec_exclude(p, 0, MiB, VMK_KEXEC_EXCL_RESERVED, "low");
	vmk_kexec_place(p, &r, NULL);
	r.name = "b";
	vmk_kexec_place(p, &r, NULL);
	assert_int_equal(vmk_kexec_verify(p), 0);
	p->seg[1].base = p->seg[0].base;
	assert_int_equal(vmk_kexec_verify(p), -VMK_EINVAL);
	assert_non_null(strstr(p->err, "segment 'b'"));
	p->seg[1].base = 0;
	assert_int_equal(vmk_kexec_verify(p), -VMK_EINVAL);
	assert_non_null(strstr(p->err, "overlaps an excluded range"));
	p->seg[1].base = 32 * MiB;
	assert_int_equal(vmk_kexec_verify(p), -VMK_EINVAL);
	assert_non_null(strstr(p->err, "not inside RAM"));
}

/* Each rule vmk_kexec_verify re-checks on a placed segment, broken one at a time. */
static void test_verify_each_rule(void **state)
{
	struct vmk_kexec_plan *p = fresh();
	struct vmk_kexec_req r = req("k", 2 * MiB, 2 * MiB);
	struct vmk_kexec_seg *s, saved;

	(void)state;
	vmk_kexec_add_ram(p, 0, 64 * MiB);
	r.min = 8 * MiB;
	r.max = 32 * MiB;
	r.boundary = 4 * MiB;
	assert_int_equal(vmk_kexec_place(p, &r, NULL), 0);
	s = &p->seg[0];
	saved = *s;
	assert_int_equal(vmk_kexec_verify(p), 0);
	s->memsz = MiB;				/* shrank below the request */
	assert_int_equal(vmk_kexec_verify(p), -VMK_EINVAL);
	assert_non_null(strstr(p->err, "memsz wraps or shrank"));
	*s = saved;
	s->req.align = 4 * MiB;			/* 2 MiB-aligned only */
	s->base = 26 * MiB;
	assert_int_equal(vmk_kexec_verify(p), -VMK_EINVAL);
	assert_non_null(strstr(p->err, "misaligned"));
	*s = saved;
	s->req.min = s->base + 2 * MiB;		/* below its window */
	assert_int_equal(vmk_kexec_verify(p), -VMK_EINVAL);
	assert_non_null(strstr(p->err, "outside its window"));
	*s = saved;
	s->req.boundary = MiB;			/* 2 MiB across a 1 MiB boundary */
	assert_int_equal(vmk_kexec_verify(p), -VMK_EINVAL);
	assert_non_null(strstr(p->err, "crosses its boundary"));
	*s = saved;
	assert_int_equal(vmk_kexec_verify(p), 0);
}

/* The rarer refusals of vmk_kexec_place, each with its message and the plan unchanged. */
static void test_place_rare_refusals(void **state)
{
	struct vmk_range ram[2], blocked[2];
	struct vmk_kexec_excl excl[1];
	struct vmk_kexec_seg seg[4];
	struct vmk_kexec_plan tiny;
	struct vmk_kexec_plan *p = fresh();
	struct vmk_kexec_req r = req("b", MiB, 2 * MiB);

	(void)state;
	vmk_kexec_add_ram(p, 0, 64 * MiB);
	r.boundary = 4 * MiB;
	r.phase = MiB;
	assert_int_equal(vmk_kexec_place(p, &r, NULL), -VMK_EINVAL);
	assert_non_null(strstr(p->err, "boundary and phase cannot be combined"));
	assert_int_equal(p->nseg, 0);
	/* No RAM at all: the explanation says so. */
	p = fresh();
	r = req("n", MiB, 0);
	assert_int_equal(vmk_kexec_place(p, &r, NULL), -VMK_ENOMEM);
	assert_non_null(strstr(p->err, "no free memory in the window; no free memory at all"));
	/* Room for segments but not for the exclusion a placement records. */
	vmk_kexec_plan_init(&tiny, ram, 2, blocked, excl, 1, seg, 4);
	assert_int_equal(vmk_kexec_add_ram(&tiny, 0, 16 * MiB), 0);
	assert_int_equal(vmk_kexec_exclude(&tiny, 0, MiB, VMK_KEXEC_EXCL_RESERVED, "low"), 0);
	assert_int_equal(vmk_kexec_place(&tiny, &r, NULL), -VMK_ENOSPC);
	assert_non_null(strstr(tiny.err, "segment 'n': exclusion table full (1)"));
	assert_int_equal(tiny.nseg, 0);
	assert_int_equal(tiny.nexcl, 1);
}

static void test_render(void **state)
{
	struct vmk_kexec_plan *p = fresh();
	struct vmk_kexec_req r = req("kernel", 3 * MiB, 2 * MiB);
	static char buf[8192];
	struct vmk_outbuf ob;

	(void)state;
	vmk_kexec_add_ram(p, 0, 16 * MiB);
	vmk_kexec_exclude(p, MiB, 2 * MiB, VMK_KEXEC_EXCL_ACPI_TABLES, "ACPI \"Tables\"");
	r.bufsz = 2 * MiB;
	r.note = "test note";
	vmk_kexec_place(p, &r, NULL);
	vmk_outbuf_init(&ob, buf, sizeof(buf));
	vmk_kexec_render(p, &ob.out);
	assert_false(ob.overflow);
	assert_non_null(strstr(buf, "kernel       0x0000000000c00000-0x0000000000efffff 2 MiB      3 MiB"));
	assert_non_null(strstr(buf, "top-down: highest 2 MiB-aligned fit in hole 0x200000-0xffffff; test note"));
	assert_non_null(strstr(buf, "acpi-tables"));
	vmk_outbuf_init(&ob, buf, sizeof(buf));
	vmk_kexec_render_json(p, &ob.out);
	assert_non_null(strstr(buf, "\"segments\":[{\"name\":\"kernel\",\"base\":12582912,\"size\":2097152,\"memsz\":3145728"));
	assert_non_null(strstr(buf, "\"excluded\":[{\"base\":1048576,\"size\":1048576,\"kind\":\"acpi-tables\",\"reason\":\"ACPI \\\"Tables\\\"\"}"));
}

/*
 * Reference model: on a small random page map, brute-force the lowest or
 * highest legal address and compare with the engine.
 */
#define NPAGES 256

static bool page_free(const bool *ram, const bool *blk, uint64_t pg)
{
	return pg < NPAGES && ram[pg] && !blk[pg];
}

static void test_random_against_model(void **state)
{
	unsigned long seed = th_seed();
	struct vmk_kexec_plan *p;

	(void)state;
	srand((unsigned int)seed);
	for (int iter = 0; iter < 400; iter++) {
		bool ram[NPAGES] = { 0 }, blk[NPAGES] = { 0 };
		bool top = rand() & 1;

		p = fresh();
		vmk_kexec_set_dir(p, top ? VMK_KEXEC_TOP_DOWN : VMK_KEXEC_BOTTOM_UP);
		for (int k = 0; k < 5; k++) {
			uint64_t a = rand() % NPAGES, n = 1 + rand() % 64;
			uint64_t e = VMK_MIN(a + n, (uint64_t)NPAGES);

			vmk_kexec_add_ram(p, a * 4096, e * 4096);
			for (uint64_t i = a; i < e; i++)
				ram[i] = true;
		}
		for (int k = 0; k < 6; k++) {
			uint64_t a = rand() % NPAGES, n = 1 + rand() % 8;
			uint64_t e = VMK_MIN(a + n, (uint64_t)NPAGES);

			/* Sub-page exclusions block the whole page. */
			vmk_kexec_exclude(p, a * 4096 + 100, e * 4096 - 100, VMK_KEXEC_EXCL_RESERVED, "r%d", k);
			for (uint64_t i = a; i < e; i++)
				blk[i] = true;
		}
		for (int s = 0; s < 4; s++) {
			struct vmk_kexec_req r;
			uint64_t alignpg = 1u << (rand() % 4), npg = 1 + rand() % 16;
			int64_t want = -1;
			vmk_paddr_t got;
			int ret;
			char name[8];

			snprintf(name, sizeof(name), "s%d", s);
			r = req(strdup(name), npg * 4096 - (rand() % 4096), alignpg * 4096);
			r.min = (uint64_t)(rand() % 64) * 4096;
			r.max = (rand() & 1) ? 0 : r.min + (uint64_t)(64 + rand() % 192) * 4096;
			if (rand() % 3 == 0 && npg <= 8)
				r.boundary = 8 * 4096;
			for (uint64_t x = 0; x + npg <= NPAGES; x++) {
				uint64_t pa = x * 4096, end = pa + npg * 4096;
				bool ok = pa % r.align == 0 && pa >= r.min && (!r.max || end <= r.max);

				if (ok && r.boundary)
					ok = pa / r.boundary == (end - 1) / r.boundary;
				for (uint64_t i = x; ok && i < x + npg; i++)
					ok = page_free(ram, blk, i);
				if (ok && (want < 0 || top))
					want = (int64_t)pa;
			}
			ret = vmk_kexec_place(p, &r, &got);
			if (want < 0) {
				if (ret != -VMK_ENOMEM)
					fail_msg("seed %lu iter %d: model finds no place, engine %d at 0x%llx",
						 seed, iter, ret, (unsigned long long)got);
				free((void *)r.name);
				continue;
			}
			if (ret != 0 || (int64_t)got != want)
				fail_msg("seed %lu iter %d seg %d: engine %d 0x%llx, model 0x%llx (%s)",
					 seed, iter, s, ret, (unsigned long long)got,
					 (unsigned long long)want, p->err);
			for (uint64_t i = got / 4096; i < got / 4096 + npg; i++)
				blk[i] = true;
		}
		assert_int_equal(vmk_kexec_verify(p), 0);
		for (size_t i = 0; i < p->nseg; i++)
			free((void *)p->seg[i].req.name);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_directions),
		cmocka_unit_test(test_alignment_and_window),
		cmocka_unit_test(test_page_rounding_and_memsz),
		cmocka_unit_test(test_no_fit_error),
		cmocka_unit_test(test_phase_and_boundary),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_tables_full),
		cmocka_unit_test(test_exclusions_sorted_and_clip),
		cmocka_unit_test(test_verify_catches),
		cmocka_unit_test(test_verify_each_rule),
		cmocka_unit_test(test_place_rare_refusals),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_random_against_model),
	};

	vmk_sim_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
