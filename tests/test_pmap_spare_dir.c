/*
 * The spares directory (src/pmap/spare.c): the spares of a table's
 * blocks are filed in a directory kept in one of those spares and
 * pointed to by the table's record. It must follow its spares: move when
 * the spare holding it is taken, go with the last one, live beside the
 * no-promote marks page on riscv64 (which then keeps its address), and
 * file the pieces of a 1 GiB block under the block's own spare.
 */
#include "pmap_util.h"
#include "../src/pmap/pmap_internal.h"

#define ARCH_OF(state) (*(enum vmk_pmap_arch_id *)*(state))
#define RW (VMK_PROT_READ | VMK_PROT_WRITE)
#define KS VMK_PMAP_ENTER_KEEP_SPARE
#define NP VMK_PMAP_ENTER_NOPROMOTE
#define S2M PT_SIZE(1)
#define S1G PT_SIZE(2)

static enum vmk_pmap_arch_id x86 = VMK_PMAP_ARCH_X86_64, arm = VMK_PMAP_ARCH_ARM64, rv = VMK_PMAP_ARCH_RISCV64;

/* The record of the table holding the level-lvl entry for va. */
static struct vmk_page *host(struct vmk_pmap *pm, vmk_vaddr_t va, unsigned int lvl)
{
	vmk_paddr_t t = 0;

	assert_non_null(vmk_pmap__entry_at(pm, va, lvl, &t));
	return vmk_pa_to_page(t);
}

static uint64_t spares(struct vmk_pmap *pm)
{
	struct vmk_pmap_stats st;

	vmk_pmap_stats(pm, &st);
	return st.spare_ptps;
}

/* Exactly the blocks in have[] (of n from va) have a spare. */
static void expect_spares(struct vmk_pmap *k, vmk_vaddr_t va, const bool *have, unsigned int n)
{
	vmk_pmap__lock(k);
	for (unsigned int i = 0; i < n; i++)
		if (vmk_pmap__spare_has(k, va + i * S2M, 1) != have[i])
			fail_msg("block %u: spare %s, expected %s", i, have[i] ? "missing" : "present",
				 have[i] ? "one" : "none");
	vmk_pmap__unlock(k);
}

/*
 * 512 KEEP_SPARE blocks in one table, demoted one by one: the first one's
 * spare holds the directory, so its demotion moves the directory; every
 * other block keeps its spare throughout, and the last demotion leaves
 * the table's record clean. Promoted back and removed, nothing is lost.
 */
static void test_directory_follows_its_spares(void **state)
{
	struct vmk_pmap *k;
	struct vmk_page *h;
	struct vmk_pmap_stats st0, st;
	static bool have[512];
	static unsigned int perm[512];
	uint64_t seed = th_seed() | 1, ptp0, o;
	vmk_vaddr_t kva;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	kva = pmt_kva() + S1G;
	vmk_pmap_stats(k, &st0);
	ptp0 = pmt_ptp_pages();
	for (unsigned int i = 0; i < 512; i++) {
		assert_int_equal(vmk_pmap_enter_large(k, kva + i * S2M, PMT_DATA + i * S2M, S2M, RW, KS), 0);
		have[i] = true;
		perm[i] = i;
	}
	assert_int_equal(spares(k), st0.spare_ptps + 512);
	h = host(k, kva, 1);
	o = h->owner;
	assert_true(o & VMK_PMAP_OWNER_DIR);
	expect_spares(k, kva, have, 512);
	/* The first block's spare holds the directory: it moves. */
	assert_int_equal(vmk_pmap_demote(k, kva), 0);
	have[0] = false;
	assert_true((h->owner & VMK_PMAP_OWNER_DIR) && h->owner != o);
	expect_spares(k, kva, have, 512);
	pmt_check(k);
	for (unsigned int i = 511; i > 1; i--) {
		unsigned int j = 1 + (unsigned int)(pmt_rand(&seed) % i), x = perm[i];

		perm[i] = perm[j];
		perm[j] = x;
	}
	for (unsigned int j = 1; j < 512; j++) {
		assert_int_equal(vmk_pmap_demote(k, kva + perm[j] * S2M), 0);
		have[perm[j]] = false;
		if (j % 61 == 0) {
			expect_spares(k, kva, have, 512);
			pmt_check(k);
		}
	}
	assert_int_equal(h->owner, 0);
	assert_int_equal(spares(k), st0.spare_ptps);
	pmt_check(k);
	/* Promoted back (the table becomes the spare again), in the shuffled order. */
	for (unsigned int j = 0; j < 512; j += 2) {
		assert_int_equal(vmk_pmap_enter(k, kva + perm[j] * S2M, PMT_DATA + perm[j] * S2M, RW, 0), 0);
		have[perm[j]] = true;
	}
	expect_spares(k, kva, have, 512);
	pmt_check(k);
	assert_int_equal(vmk_pmap_remove(k, kva, kva + S1G), 0);
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.spare_ptps, st0.spare_ptps);
	assert_int_equal(pmt_ptp_pages() - ptp0, st.ptps - st0.ptps);
	assert_int_equal(h->owner, 0);
	pmt_check(k);
	pmt_shutdown();
}

/*
 * A table with a no-promote block (riscv64 keeps the mark in a marks
 * page hung off the table's record) and KEEP_SPARE blocks: the directory
 * and the marks page coexist in whichever order they come and go.
 */
static void test_directory_beside_marks(void **state)
{
	struct vmk_pmap *k;
	struct vmk_page *h;
	struct vmk_pmap_mapping m;
	bool have[3] = { false, true, true };
	vmk_vaddr_t kva;
	uint64_t s0;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	kva = pmt_kva() + S1G;
	s0 = spares(k);
	assert_int_equal(vmk_pmap_enter_large(k, kva, PMT_DATA, S2M, RW, NP), 0);
	assert_int_equal(vmk_pmap_enter_large(k, kva + S2M, PMT_DATA + S2M, S2M, RW, KS), 0);
	assert_int_equal(vmk_pmap_enter_large(k, kva + 2 * S2M, PMT_DATA + 2 * S2M, S2M, RW, KS), 0);
	h = host(k, kva, 1);
	/* riscv64: the marks page came first, the directory is kept in it. */
	assert_true(vmk_pmap__g.marks ? h->owner && !(h->owner & VMK_PMAP_OWNER_DIR) :
		    (h->owner & VMK_PMAP_OWNER_DIR) != 0);
	expect_spares(k, kva, have, 3);
	assert_int_equal(vmk_pmap_extract(k, kva, &m), 0);
	assert_true(m.nopromote);
	pmt_check(k);
	/* The mark goes: the directory stays, in the record. */
	assert_int_equal(vmk_pmap_remove(k, kva, kva + S2M), 0);
	assert_true(h->owner & VMK_PMAP_OWNER_DIR);
	expect_spares(k, kva, have, 3);
	pmt_check(k);
	/* A mark comes while the table has spares: the marks page takes the directory over. */
	assert_int_equal(vmk_pmap_enter_large(k, kva, PMT_DATA, S2M, RW, NP), 0);
	assert_true(vmk_pmap__g.marks ? !(h->owner & VMK_PMAP_OWNER_DIR) : (h->owner & VMK_PMAP_OWNER_DIR) != 0);
	expect_spares(k, kva, have, 3);
	assert_int_equal(vmk_pmap_extract(k, kva, &m), 0);
	assert_true(m.nopromote);
	pmt_check(k);
	/* The spares go (demotions): the marks page stays, without a directory. */
	assert_int_equal(vmk_pmap_demote(k, kva + S2M), 0);
	assert_int_equal(vmk_pmap_demote(k, kva + 2 * S2M), 0);
	have[1] = have[2] = false;
	expect_spares(k, kva, have, 3);
	if (vmk_pmap__g.marks) {
		assert_true(h->owner && !(h->owner & VMK_PMAP_OWNER_DIR));
		assert_null(*vmk_pmap__marks_spares((struct vmk_page *)(uintptr_t)h->owner));
	} else {
		assert_int_equal(h->owner, 0);
	}
	assert_int_equal(spares(k), s0);
	pmt_check(k);
	assert_int_equal(vmk_pmap_remove(k, kva, kva + 3 * S2M), 0);
	assert_int_equal(h->owner, 0);
	pmt_check(k);
	pmt_shutdown();
}

/*
 * A KEEP_SPARE 1 GiB block: its pieces' spares are filed under its own
 * spare, so they are found through it, then under the table its demotion
 * makes of it; a piece's demotion takes its own; removing the whole
 * range frees the rest, with the page holding the directory last.
 */
static void test_pieces_under_the_block_spare(void **state)
{
	struct vmk_pmap *k;
	struct vmk_pmap_stats st0, st;
	static bool have[512];
	uint64_t ptp0;
	vmk_vaddr_t kva;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	kva = pmt_kva() + S1G;
	vmk_pmap_stats(k, &st0);
	ptp0 = pmt_ptp_pages();
	assert_int_equal(vmk_pmap_enter_large(k, kva, PMT_DATA, S1G, RW, KS), 0);
	assert_int_equal(spares(k), st0.spare_ptps + 513);
	for (unsigned int i = 0; i < 512; i++)
		have[i] = true;
	expect_spares(k, kva, have, 512);
	vmk_pmap__lock(k);
	assert_true(vmk_pmap__spare_has(k, kva, 2));
	vmk_pmap__unlock(k);
	pmt_check(k);
	assert_int_equal(vmk_pmap_demote(k, kva + 5 * S2M), 0);	/* 1 GiB -> 2 MiB: the pieces keep theirs */
	assert_int_equal(spares(k), st0.spare_ptps + 512);
	expect_spares(k, kva, have, 512);
	assert_true(host(k, kva, 1)->owner & VMK_PMAP_OWNER_DIR);
	pmt_check(k);
	assert_int_equal(vmk_pmap_demote(k, kva + 5 * S2M), 0);	/* then 2 MiB -> 4 KiB: its own */
	have[5] = false;
	expect_spares(k, kva, have, 512);
	pmt_check(k);
	assert_int_equal(vmk_pmap_remove(k, kva, kva + S1G), 0);
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.spare_ptps, st0.spare_ptps);
	assert_int_equal(pmt_ptp_pages() - ptp0, st.ptps - st0.ptps);
	pmt_check(k);
	pmt_shutdown();
}

#define T(f) cmocka_unit_test_prestate(f, &x86), cmocka_unit_test_prestate(f, &arm), cmocka_unit_test_prestate(f, &rv)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_directory_follows_its_spares),
		T(test_directory_beside_marks),
		T(test_pieces_under_the_block_spare),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
