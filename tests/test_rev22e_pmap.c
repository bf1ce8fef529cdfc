/*
 * Review of the issue-12 pmap fast paths (rev22e): the 2 MiB enter_large
 * fast path into the cached level-1 table, the per-page fast path and the
 * kernel's full-table test (src/pmap/enter.c table_full, large_fast).
 *
 * - A kernel table is scanned for promotion only when its first and last
 *   entries are leaves (docs/pmap.md); a table with a leaf at the end and
 *   none at the start is no attempt and no failure, whichever enter path
 *   wrote the entry (the fast paths skip try_promote there; the general
 *   2 MiB path and enter_pages called it, and it counted a failure).
 * - The cached level-0 and level-1 tables are never used after the table
 *   was unlinked, freed, promoted or replaced: random operations over a
 *   few GiB (2 MiB and 1 GiB blocks, pages, whole-table fills that
 *   promote, removals, demotions, protections), user and kernel pmaps, on
 *   all three formats, each followed by vmk_pmap_check (which verifies
 *   both cached tables against the tree), the simulator's TLB audit and a
 *   comparison with a shadow of what must be mapped.
 */
#include "pmap_util.h"
#include "../src/pmap/pmap_internal.h"

#include <stdio.h>
#include <stdlib.h>

#define ARCH_OF(state) (*(enum vmk_pmap_arch_id *)*(state))
#define RW	(VMK_PROT_READ | VMK_PROT_WRITE)
#define S4K	4096ull
#define S2M	PT_SIZE(1)
#define S1G	PT_SIZE(2)

static enum vmk_pmap_arch_id x86 = VMK_PMAP_ARCH_X86_64, arm = VMK_PMAP_ARCH_ARM64, rv = VMK_PMAP_ARCH_RISCV64;

/* A 1 GiB-aligned kernel address with room for a few GiB above it. */
static vmk_vaddr_t kbase(void)
{
	return (pmt_kva() + 2 * S1G) & ~(S1G - 1);
}

static void boot_1g(enum vmk_pmap_arch_id arch)
{
	struct pmt_opts o = { .arch = arch, .promote_kernel_1g = true };

	pmt_boot(&o);
}

/*
 * 2 MiB blocks at the end of a fresh kernel level-1 table: the first goes
 * the general way (no table cached yet), the second the fast way. Neither
 * table has a leaf at its start, so neither is a promotion attempt.
 */
static void test_kernel_block_at_end_is_no_attempt(void **state)
{
	struct vmk_pmap *k;
	struct vmk_pmap_stats st0, st;
	vmk_vaddr_t b;

	boot_1g(ARCH_OF(state));
	k = vmk_pmap_kernel();
	b = kbase();
	st0 = pmt_stats(k);
	assert_int_equal(vmk_pmap_enter_large(k, b + 511 * S2M, PMT_DATA, S2M, RW, 0), 0);	/* general */
	assert_int_equal(vmk_pmap_enter_large(k, b + 510 * S2M, PMT_DATA + S2M, S2M, RW, 0), 0);	/* fast */
	st = pmt_stats(k);
	if (st.promotion_failures != st0.promotion_failures)
		fail_msg("%llu promotion failures counted for a table with no leaf at its start",
			 (unsigned long long)(st.promotion_failures - st0.promotion_failures));
	/* Filled from the start, the same table is an attempt: a hole in it is counted once. */
	assert_int_equal(vmk_pmap_enter_large(k, b, PMT_DATA + 2 * S2M, S2M, RW, 0), 0);
	st = pmt_stats(k);
	assert_int_equal(st.promotion_failures, st0.promotion_failures + 1);
	assert_int_equal(st.promotions, st0.promotions);
	pmt_check(k);
	pmt_shutdown();
}

/* The same page through vmk_pmap_enter and vmk_pmap_enter_pages: the same count. */
static void test_kernel_page_at_end_same_count(void **state)
{
	struct vmk_pmap *k;
	struct vmk_pmap_stats st0, st1, st2;
	vmk_paddr_t pa = PMT_DATA + 511 * S4K;
	vmk_vaddr_t b;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	b = kbase();
	st0 = pmt_stats(k);
	assert_int_equal(vmk_pmap_enter(k, b + 511 * S4K, pa, RW, 0), 0);
	st1 = pmt_stats(k);
	assert_int_equal(vmk_pmap_enter_pages(k, b + S2M + 511 * S4K, &pa, 1, RW, 0), 0);
	st2 = pmt_stats(k);
	if (st1.promotion_failures - st0.promotion_failures != st2.promotion_failures - st1.promotion_failures)
		fail_msg("vmk_pmap_enter counted %llu promotion failures, vmk_pmap_enter_pages %llu",
			 (unsigned long long)(st1.promotion_failures - st0.promotion_failures),
			 (unsigned long long)(st2.promotion_failures - st1.promotion_failures));
	assert_int_equal(st2.promotion_failures, st0.promotion_failures);
	pmt_check(k);
	pmt_shutdown();
}

/* ---- random operations against a shadow ---- */

#define WIN_GIB		3u
#define WIN_PAGES	(WIN_GIB * 262144u)
static vmk_paddr_t shadow[WIN_PAGES];	/* pa mapped at page i of the window, 0: none */

static uint64_t rng, seed_now;

static uint64_t rnd(uint64_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % n;
}

/* Physical address for window page i: contiguous (so full tables promote) with a per-GiB shift. */
static vmk_paddr_t pa_of(unsigned int i, unsigned int shift)
{
	return PMT_DATA + (((vmk_paddr_t)i * S4K + (vmk_paddr_t)shift * S2M) & (S1G - 1));
}

static void set_range(unsigned int first, unsigned int n, unsigned int shift)
{
	for (unsigned int i = first; i < first + n; i++)
		shadow[i] = pa_of(i, shift);
}

static void compare(struct vmk_pmap *pm, vmk_vaddr_t base, unsigned int i, unsigned int step, const char *op)
{
	struct vmk_pmap_mapping m;
	int r = vmk_pmap_extract(pm, base + (vmk_vaddr_t)i * S4K, &m);

	if (shadow[i] == 0 && r == 0)
		fail_msg("seed %#llx step %u (%s): page %#llx mapped to %#llx, should be unmapped",
			 (unsigned long long)seed_now, step, op, (unsigned long long)(base + (vmk_vaddr_t)i * S4K),
			 (unsigned long long)m.pa);
	if (shadow[i] != 0 && (r != 0 || m.pa != shadow[i]))
		fail_msg("seed %#llx step %u (%s): page %#llx -> %#llx (%d), should be %#llx",
			 (unsigned long long)seed_now, step, op, (unsigned long long)(base + (vmk_vaddr_t)i * S4K),
			 (unsigned long long)(r ? 0 : m.pa), r, (unsigned long long)shadow[i]);
}

static void random_ops(struct vmk_pmap *pm, vmk_vaddr_t base, unsigned int steps, uint64_t seed)
{
	rng = seed_now = seed;
	memset(shadow, 0, sizeof(shadow));
	for (unsigned int s = 0; s < steps; s++) {
		unsigned int op = (unsigned int)rnd(9), shift = (unsigned int)rnd(2);
		unsigned int g = (unsigned int)rnd(WIN_GIB), blk = g * 512 + (unsigned int)rnd(512);
		unsigned int pg = (unsigned int)rnd(WIN_PAGES), n;
		const char *name = "";
		int r = 0;

		switch (op) {
		case 0:
		case 1:		/* a 2 MiB block (the fast path when the table is at hand) */
			name = "enter_large 2M";
			r = vmk_pmap_enter_large(pm, base + blk * S2M, pa_of(blk * 512, shift), S2M, RW,
						 rnd(3) == 0 ? VMK_PMAP_ENTER_WIRED :
						 rnd(2) ? VMK_PMAP_ENTER_NOREPLACE : 0);
			if (r == 0)
				set_range(blk * 512, 512, shift);
			break;
		case 2:		/* a run of 2 MiB blocks filling (part of) a table: may promote to 1 GiB */
			name = "fill 2M";
			n = 1 + (unsigned int)rnd(512);
			for (unsigned int j = 0; j < n; j++) {
				unsigned int bj = g * 512 + j;

				if (vmk_pmap_enter_large(pm, base + bj * S2M, pa_of(bj * 512, 0), S2M, RW, 0) == 0)
					set_range(bj * 512, 512, 0);
			}
			break;
		case 3:		/* pages, sometimes a whole table of them (promoted to 2 MiB) */
			name = "enter 4K";
			n = rnd(4) == 0 ? 512 : 1 + (unsigned int)rnd(8);
			if (n == 512)
				pg &= ~511u;
			for (unsigned int j = 0; j < n && pg + j < WIN_PAGES; j++)
				if (vmk_pmap_enter(pm, base + (vmk_vaddr_t)(pg + j) * S4K, pa_of(pg + j, 0), RW, 0) == 0)
					shadow[pg + j] = pa_of(pg + j, 0);
			break;
		case 4:		/* a 1 GiB block */
			name = "enter_large 1G";
			if (!(vmk_pmap__g.block_levels & 4u))
				break;
			r = vmk_pmap_enter_large(pm, base + g * S1G, PMT_DATA - S1G, S1G, RW, 0);
			if (r == 0)
				for (unsigned int i = 0; i < 262144u; i++)
					shadow[g * 262144u + i] = PMT_DATA - S1G + (vmk_paddr_t)i * S4K;
			break;
		case 5:		/* a removal: whole blocks or any page range */
		case 6:
			name = "remove";
			if (op == 5) {
				pg = blk * 512;
				n = 512 * (1 + (unsigned int)rnd(600));
			} else {
				n = 1 + (unsigned int)rnd(2048);
			}
			if (pg + n > WIN_PAGES)
				n = WIN_PAGES - pg;
			r = vmk_pmap_remove(pm, base + (vmk_vaddr_t)pg * S4K, base + (vmk_vaddr_t)(pg + n) * S4K);
			if (r == 0)
				memset(&shadow[pg], 0, n * sizeof(shadow[0]));
			break;
		case 7:
			name = "demote";
			r = vmk_pmap_demote(pm, base + (vmk_vaddr_t)pg * S4K);
			if (r == -VMK_ENOENT)
				r = 0;
			break;
		case 8:
			name = "protect";
			n = 1 + (unsigned int)rnd(4096);
			if (pg + n > WIN_PAGES)
				n = WIN_PAGES - pg;
			r = vmk_pmap_protect(pm, base + (vmk_vaddr_t)pg * S4K, base + (vmk_vaddr_t)(pg + n) * S4K,
					     rnd(2) ? VMK_PROT_READ : RW);
			break;
		}
		if (r != 0 && r != -VMK_EEXIST)
			fail_msg("seed %#llx step %u (%s): %d", (unsigned long long)seed, s, name, r);
		{
			char msg[256];

			if (vmk_pmap_check(pm, msg, sizeof(msg)) != 0)
				fail_msg("seed %#llx step %u (%s): %s", (unsigned long long)seed, s, name, msg);
		}
		for (unsigned int j = 0; j < 16; j++)
			compare(pm, base, (unsigned int)rnd(WIN_PAGES), s, name);
		compare(pm, base, blk * 512, s, name);
		compare(pm, base, pg, s, name);
	}
	pmt_check(pm);
	for (unsigned int i = 0; i < WIN_PAGES; i += 61)
		compare(pm, base, i, steps, "final");
}

/* The seed of one test: REV22E_SEED as given, else one per format and pmap kind. */
static uint64_t seed_of(enum vmk_pmap_arch_id arch, unsigned int kernel)
{
	const char *env = getenv("REV22E_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : (0x9e3779b97f4a7c15ull ^ ((uint64_t)arch << 8) ^ ((uint64_t)kernel << 4)) | 1;

	printf("# seed %#llx (replay with REV22E_SEED=%#llx)\n", (unsigned long long)seed, (unsigned long long)seed);
	return seed ? seed : 1;
}

static void test_random_user(void **state)
{
	struct vmk_pmap *u;

	pmt_boot_arch(ARCH_OF(state));
	u = pmt_user(false);
	random_ops(u, 1ull << 30, 150, seed_of(ARCH_OF(state), 0));
	vmk_pmap_activate(vmk_pmap_kernel(), 0);
	vmk_pmap_destroy(u);
	pmt_shutdown();
}

static void test_random_kernel(void **state)
{
	boot_1g(ARCH_OF(state));
	random_ops(vmk_pmap_kernel(), kbase(), 150, seed_of(ARCH_OF(state), 1));
	pmt_shutdown();
}

#define T(f) cmocka_unit_test_prestate(f, &x86), cmocka_unit_test_prestate(f, &arm), cmocka_unit_test_prestate(f, &rv)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_kernel_block_at_end_is_no_attempt),
		T(test_kernel_page_at_end_same_count),
		T(test_random_user),
		T(test_random_kernel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
