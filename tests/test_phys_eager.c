/*
 * Eager hand-over: whole chunks written in one pass through the
 * platform's stream_fill hook (or its fallback) and listed as max-order
 * blocks in that pass. The records and lists must come out as the lazy
 * hand-over's do once every chunk is initialised.
 */
#include "phys_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmkit/memblock.h>

#include "../src/phys/phys_internal.h"

#define MiB VMK_MiB
#define GiB VMK_GiB
#define PG VMK_PAGE_SIZE
#define CHUNK ((uint64_t)1 << (VMK_MAX_ORDER - 1))

static struct vmk_memblock mb;

static int setup(void **state)
{
	(void)state;
	tp_reset();
	vmk_memblock_init(&mb);
	return 0;
}

/* ---- the fallback fill ---- */

static void fill_case(size_t off_words, size_t count)
{
	static uint64_t buf[8 + 4 * 1100 + 8];
	const uint64_t first[4] = { 0x1111, 0x2222, 0x3333, 0x4444 };
	const uint64_t rest[4] = { 0, 0xa0a0, 0, 0x0706050403020100ull };
	uint64_t *d = buf + 8 + off_words;

	memset(buf, 0x5a, sizeof(buf));
	vmk_stream_fill_default(d, first, rest, count);
	for (size_t i = 0; i < 8 + off_words; i++)
		assert_true(buf[i] == 0x5a5a5a5a5a5a5a5aull);
	for (size_t r = 0; r < count; r++)
		for (size_t w = 0; w < 4; w++)
			assert_true(d[4 * r + w] == (r == 0 ? first[w] : rest[w]));
	for (uint64_t *g = d + 4 * count; g < buf + VMK_ARRAY_SIZE(buf); g++)
		assert_true(*g == 0x5a5a5a5a5a5a5a5aull);
}

static void test_stream_fill_default(void **state)
{
	static const size_t counts[] = { 0, 1, 2, 3, 5, 1024, 1099 };

	(void)state;
	/* Record-aligned, line-aligned and only word-aligned starts. */
	for (size_t i = 0; i < VMK_ARRAY_SIZE(counts); i++) {
		fill_case(0, counts[i]);
		fill_case(4, counts[i]);
		fill_case(1, counts[i]);
	}
}

/* ---- the hook ---- */

static struct {
	unsigned int calls;
	uint64_t records;
	void *ctx;
} hk;

static void count_fill(void *ctx, void *dst, const uint64_t first[4], const uint64_t rest[4],
		       size_t count)
{
	hk.calls++;
	hk.records += count;
	hk.ctx = ctx;
	vmk_stream_fill_default(dst, first, rest, count);
}

static struct vmk_platform hooked;

static void install_hook(void)
{
	hooked = *vmk_sim_platform();
	hooked.stream_fill = count_fill;
	vmk_platform_set(&hooked);
	memset(&hk, 0, sizeof(hk));
}

/*
 * [0, 64M) on node 0 as two memory regions that touch (different flags,
 * so memblock keeps them apart and the free range splits inside the chunk
 * [4M, 8M)), and [4G, 4G + 40M + 20K) with a partial last chunk; a kernel,
 * a reserved pair of frames inside a chunk, a bad free frame. Every byte
 * of RAM starts as 0xa5 so no record relies on zeroed memory.
 */
static const vmk_paddr_t bad[] = { 4 * GiB + 20 * MiB + 5 * PG };

static void build_machine(void)
{
	assert_int_equal(vmk_sim_ram_add(0, 64 * MiB), 0);
	assert_int_equal(vmk_sim_ram_add(4 * GiB, 40 * MiB + 5 * PG), 0);
	memset(vmk_sim_phys_to_virt(0), 0xa5, 64 * MiB);
	memset(vmk_sim_phys_to_virt(4 * GiB), 0xa5, 40 * MiB + 5 * PG);
	assert_int_equal(vmk_memblock_add_node(&mb, 0, 5 * MiB + 3 * PG, 0, 0), 0);
	assert_int_equal(vmk_memblock_add_node(&mb, 5 * MiB + 3 * PG, 59 * MiB - 3 * PG, 0,
					       VMK_MEMBLOCK_MIRROR), 0);
	assert_int_equal(vmk_memblock_add_node(&mb, 4 * GiB, 40 * MiB + 5 * PG, 0, 0), 0);
	assert_int_equal(vmk_memblock_reserve(&mb, 1 * MiB, 2 * MiB), 0);
	assert_int_equal(vmk_memblock_reserve(&mb, 0, PG), 0);
	assert_int_equal(vmk_memblock_reserve(&mb, 4 * GiB + 8 * MiB + PG, 2 * PG), 0);
}

static void boot(bool eager)
{
	struct vmk_phys_init_args args = { .bad = bad, .nbad = 1, .eager = eager };

	tp_reset();
	vmk_memblock_init(&mb);
	build_machine();
	assert_int_equal(vmk_phys_init(&mb, &args), 0);
}

/* Every frame's record as words, in address order, and the buddy lists' block counts. */
struct snap {
	uint64_t *words;
	uint64_t frames;
	char buddy[4096];
};

static void snapshot(struct snap *sn)
{
	struct vmk_outbuf ob;
	uint64_t n = 0;

	sn->frames = 0;
	for (unsigned int i = 0; i < G.nsegs; i++)
		sn->frames += G.segs[i].end_pfn - G.segs[i].start_pfn;
	sn->words = calloc(sn->frames * 4, sizeof(uint64_t));
	assert_non_null(sn->words);
	for (unsigned int i = 0; i < G.nsegs; i++) {
		const struct vmk_phys_seg *s = &G.segs[i];

		for (uint64_t pfn = s->start_pfn; pfn < s->end_pfn; pfn++, n++) {
			const struct vmk_page *p = vmk_pa_to_page(pfn << VMK_PAGE_SHIFT);
			const uint64_t *w = (const uint64_t *)(const void *)p;

			/* The list links of block heads differ by list order; the rest must not. */
			sn->words[4 * n + 0] = p->order == VMK_ORDER_NONE ? w[0] : 0;
			sn->words[4 * n + 1] = p->order == VMK_ORDER_NONE ? w[1] : 0;
			sn->words[4 * n + 2] = w[2];
			sn->words[4 * n + 3] = w[3];
		}
	}
	vmk_outbuf_init(&ob, sn->buddy, sizeof(sn->buddy));
	vmk_phys_print_buddyinfo(&ob.out);
	assert_false(ob.overflow);
}

/* The block heads of order k of pool q (domain 0), front to back, checked both ways. */
static unsigned int top_list(unsigned int q, unsigned int k, uint64_t *pfn, unsigned int max)
{
	const struct vmk_list *lh = &G.dom[0].pools[q].fl[k], *it, *back = lh;
	unsigned int n = 0;

	vmk_list_foreach(it, lh) {
		assert_true(it->prev == back);
		assert_true(n < max);
		pfn[n++] = pg_pfn(vmk_list_entry(it, struct vmk_page, plinks));
		back = it;
	}
	assert_true(lh->prev == back);
	return n;
}

static void test_eager_matches_lazy(void **state)
{
	struct snap lazy, eager;
	uint64_t heads[64];
	unsigned int n;

	(void)state;
	boot(false);
	vmk_phys_lazy_init_all();
	tp_check();
	snapshot(&lazy);

	boot(true);
	tp_check();
	snapshot(&eager);
	assert_true(eager.frames == lazy.frames);
	for (uint64_t i = 0; i < eager.frames * 4; i++)
		if (eager.words[i] != lazy.words[i]) {
			print_message("frame %llu word %llu: eager %llx, lazy %llx\n",
				      (unsigned long long)(i / 4), (unsigned long long)(i % 4),
				      (unsigned long long)eager.words[i],
				      (unsigned long long)lazy.words[i]);
			fail();
		}
	assert_string_equal(eager.buddy, lazy.buddy);
	/* Spot checks against the machine's layout. */
	assert_int_equal(vmk_page_state(vmk_pa_to_page(bad[0])), VMK_PAGE_BAD);
	assert_int_equal(vmk_page_state(vmk_pa_to_page(2 * MiB)), VMK_PAGE_RESERVED);
	assert_int_equal(vmk_page_state(vmk_pa_to_page(4 * GiB + 8 * MiB + 2 * PG)),
			 VMK_PAGE_RESERVED);
	assert_int_equal(vmk_pa_to_page(4 * GiB + 12 * MiB)->order, VMK_MAX_ORDER - 1);
	/* The split free range in [4M, 8M) coalesced back into one top-order block. */
	assert_int_equal(vmk_pa_to_page(4 * MiB)->order, VMK_MAX_ORDER - 1);
	/* DEFAULT pool: whole free chunks, listed highest first, linked both ways. */
	n = top_list(VMK_POOL_DEFAULT, VMK_MAX_ORDER - 1, heads, VMK_ARRAY_SIZE(heads));
	assert_true(n >= 5);
	for (unsigned int i = 1; i < n; i++)
		assert_true(heads[i] < heads[i - 1]);
	free(lazy.words);
	free(eager.words);
}

static void test_eager_uses_hook(void **state)
{
	uint64_t whole = 0;

	(void)state;
	tp_reset();
	install_hook();
	vmk_memblock_init(&mb);
	build_machine();
	assert_int_equal(vmk_phys_init(&mb, NULL), 0);
	assert_int_equal(hk.calls, 0);	/* lazy: no record of a whole chunk is written */

	vmk_phys_reset();
	vmk_sim_ram_reset();
	memset(&hk, 0, sizeof(hk));
	vmk_memblock_init(&mb);
	build_machine();
	{
		struct vmk_phys_init_args args = { .bad = bad, .nbad = 1, .eager = true };

		assert_int_equal(vmk_phys_init(&mb, &args), 0);
	}
	tp_check();
	/* Every whole chunk with no bad frame and no state change inside went through the hook. */
	for (unsigned int i = 0; i < G.nsegs; i++) {
		const struct vmk_phys_seg *s = &G.segs[i];

		for (uint64_t c = VMK_ALIGN_UP(s->start_pfn, CHUNK); c + CHUNK <= s->end_pfn; c += CHUNK) {
			const struct vmk_page *p = seg_page(s, c);
			bool uniform = true;

			for (uint64_t k = 1; k < CHUNK; k++)
				uniform &= pg_state(&p[k]) == pg_state(p) && pg_flags(&p[k]) == 0;
			/* [4M, 8M) holds two free ranges: written as edges, then coalesced. */
			if (uniform && c != (4 * MiB) / PG)
				whole += CHUNK;
		}
	}
	assert_true(whole > 0);
	assert_true(hk.records == whole);
	assert_true(hk.ctx == hooked.ctx);
	vmk_sim_install();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_stream_fill_default, setup),
		cmocka_unit_test_setup(test_eager_matches_lazy, setup),
		cmocka_unit_test_setup(test_eager_uses_hook, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
