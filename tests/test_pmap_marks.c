/*
 * The per-entry no-promote mark behaves the same on x86-64, arm64 and
 * riscv64. x86-64 and arm64 keep it in a software bit of the entry;
 * riscv64 has only RSW 9:8 (wired, managed) and keeps it by address
 * (src/pmap/marks.c). Each test runs on all three: the mark is set by
 * every enter that asks for it, reported by extract, walk and dump,
 * refuses promotion and demotion, follows a fork copy, goes with its
 * entry (a later plain enter there is promotable again), is rewritten by
 * an enter of the same page, and an enter that fails on the way leaves
 * nothing behind.
 */
#include "pmap_util.h"
#include "../src/pmap/pmap_internal.h"

#define ARCH_OF(state) (*(enum vmk_pmap_arch_id *)*(state))
#define UVA	0x0000000040000000ull
#define S2M	PT_SIZE(1)
#define RW	(VMK_PROT_READ | VMK_PROT_WRITE)
#define NP	VMK_PMAP_ENTER_NOPROMOTE
#define M	VMK_PMAP_ENTER_MANAGED

static enum vmk_pmap_arch_id x86 = VMK_PMAP_ARCH_X86_64, arm = VMK_PMAP_ARCH_ARM64, rv = VMK_PMAP_ARCH_RISCV64;
static vmk_paddr_t pas[512];

static bool np_at(struct vmk_pmap *pm, vmk_vaddr_t va)
{
	return pmt_extract(pm, va).nopromote;
}

static uint64_t promotions(struct vmk_pmap *pm)
{
	return pmt_stats(pm).promotions;
}

struct np_count {
	unsigned int np, all;
};

static int count_np(void *ctx, vmk_vaddr_t va, const struct vmk_pmap_mapping *m)
{
	struct np_count *c = ctx;

	(void)va;
	c->all++;
	c->np += m->nopromote;
	return 0;
}

/* One marked page among 512: the table is never promoted; removed, the mark goes with it. */
static void test_mark_one_page(void **state)
{
	struct vmk_pmap *u;
	struct np_count c = { 0, 0 };
	struct vmk_outbuf ob;
	static char buf[4096];

	u = pmt_boot_user(ARCH_OF(state));
	for (unsigned int i = 0; i < 512; i++)
		assert_int_equal(vmk_pmap_enter(u, UVA + i * 4096ull, PMT_DATA + i * 4096ull, RW, i == 7 ? NP : 0), 0);
	assert_true(np_at(u, UVA + 7 * 4096ull));
	assert_false(np_at(u, UVA + 6 * 4096ull));
	assert_false(np_at(u, UVA + 8 * 4096ull));
	assert_int_equal(promotions(u), 0);
	assert_int_equal(vmk_pmap_walk(u, UVA, UVA + S2M, count_np, &c), 0);
	assert_int_equal(c.all, 512);
	assert_int_equal(c.np, 1);
	vmk_outbuf_init(&ob, buf, sizeof(buf));
	vmk_pmap_dump(u, &ob.out, 0, NULL, 0);
	assert_non_null(strstr(buf, "nopromote"));
	pmt_check(u);
	/* Replacing it (another page) is a break of a must-stay-valid mapping. */
	assert_panics(vmk_pmap_enter(u, UVA + 7 * 4096ull, PMT_DATA + S2M, RW, 0), "no-promote");
	pmt_shutdown();

	/* Again; this time the marked page is removed and entered plain: the table promotes. */
	u = pmt_boot_user(ARCH_OF(state));
	for (unsigned int i = 0; i < 512; i++)
		assert_int_equal(vmk_pmap_enter(u, UVA + i * 4096ull, PMT_DATA + i * 4096ull, RW, i == 7 ? NP : 0), 0);
	assert_int_equal(vmk_pmap_remove(u, UVA + 7 * 4096ull, UVA + 8 * 4096ull), 0);
	pmt_check(u);
	assert_int_equal(vmk_pmap_enter(u, UVA + 7 * 4096ull, PMT_DATA + 7 * 4096ull, RW, 0), 0);
	assert_int_equal(promotions(u), 1);
	assert_false(np_at(u, UVA + 7 * 4096ull));
	assert_int_equal(vmk_pmap_remove(u, UVA, UVA + S2M), 0);
	pmt_check(u);
	pmt_drop_user(u);
	pmt_shutdown();
}

/* Entering the same page again rewrites the mark as the new flags say, both ways. */
static void test_mark_same_page(void **state)
{
	struct vmk_pmap *u = pmt_boot_user(ARCH_OF(state));
	vmk_vaddr_t va = UVA + 3 * 4096ull;

	assert_int_equal(vmk_pmap_enter(u, va, PMT_DATA, RW, 0), 0);
	assert_false(np_at(u, va));
	assert_int_equal(vmk_pmap_enter(u, va, PMT_DATA, RW, NP), 0);
	assert_true(np_at(u, va));
	pmt_check(u);
	assert_int_equal(vmk_pmap_enter(u, va, PMT_DATA, VMK_PROT_READ, NP), 0);
	assert_true(np_at(u, va));
	assert_int_equal(vmk_pmap_enter(u, va, PMT_DATA, RW, 0), 0);
	assert_false(np_at(u, va));
	pmt_check(u);
	pmt_drop_user(u);
	pmt_shutdown();
}

/* A no-promote 2 MiB block (user and kernel): never demoted; gone with its removal. */
static void test_mark_block(void **state)
{
	struct vmk_pmap *u = pmt_boot_user(ARCH_OF(state)), *k = vmk_pmap_kernel();
	vmk_vaddr_t kva = pmt_kva() + 8 * S2M;

	assert_int_equal(vmk_pmap_enter_large(u, UVA, PMT_DATA, S2M, RW, NP), 0);
	assert_int_equal(vmk_pmap_enter_large(k, kva, PMT_DATA, S2M, RW, NP), 0);
	assert_true(np_at(u, UVA + 0x5000));
	assert_true(np_at(k, kva));
	pmt_check(u);
	pmt_check(k);
	assert_panics(vmk_pmap_demote(u, UVA), "no-promote");
	pmt_shutdown();

	u = pmt_boot_user(ARCH_OF(state));
	k = vmk_pmap_kernel();
	assert_int_equal(vmk_pmap_enter_large(u, UVA, PMT_DATA, S2M, RW, NP), 0);
	assert_int_equal(vmk_pmap_enter_large(k, kva, PMT_DATA, S2M, RW, NP), 0);
	assert_int_equal(vmk_pmap_remove(u, UVA, UVA + S2M), 0);
	assert_int_equal(vmk_pmap_remove(k, kva, kva + S2M), 0);
	assert_int_equal(vmk_pmap_enter_large(u, UVA, PMT_DATA, S2M, RW, 0), 0);
	assert_int_equal(vmk_pmap_enter_large(k, kva, PMT_DATA, S2M, RW, 0), 0);
	assert_false(np_at(u, UVA));
	assert_false(np_at(k, kva));
	assert_int_equal(vmk_pmap_demote(u, UVA), 0);
	assert_int_equal(vmk_pmap_demote(k, kva), 0);
	pmt_check(k);
	pmt_drop_user(u);
	pmt_shutdown();
}

/* enter_pages with the mark, and every allocation of it failing in turn: all or nothing. */
static void test_mark_enter_pages_faults(void **state)
{
	struct vmk_pmap *u = pmt_boot_user(ARCH_OF(state));
	struct vmk_pmap_stats before, after;
	uint64_t ptp0;
	unsigned int failed = 0;
	struct np_count c = { 0, 0 };

	/* Over three level-0 tables (the second one whole). */
	for (unsigned int i = 0; i < 512; i++)
		pas[i] = PMT_DATA + i * 4096ull;
	ptp0 = pmt_ptp_pages();
	for (unsigned long n = 0;; n++) {
		int r;

		pmt_map_stats(u, &before);
		vmk_sim_fail_nth(n, "pmap.", false);
		r = vmk_pmap_enter_pages(u, UVA + S2M - 100 * 4096ull, pas, 512, RW, NP);
		vmk_sim_fail_off();
		if (r == 0)
			break;
		assert_int_equal(r, -VMK_ENOMEM);
		failed++;
		pmt_map_stats(u, &after);
		assert_memory_equal(&before, &after, sizeof(before));
		assert_int_equal(pmt_ptp_pages(), ptp0);
		pmt_check(u);
	}
	assert_true(failed >= 3);
	assert_int_equal(vmk_pmap_walk(u, 0, UVA + 4 * S2M, count_np, &c), 0);
	assert_int_equal(c.all, 512);
	assert_int_equal(c.np, 512);
	vmk_pmap_stats(u, &after);
	assert_int_equal(after.folds, 0);
	assert_int_equal(after.promotions, 0);
	pmt_check(u);
	assert_int_equal(vmk_pmap_remove(u, UVA, UVA + 4 * S2M), 0);
	pmt_check(u);
	pmt_drop_user(u);
	pmt_shutdown();
}

/* The single enter: its mark's allocation failing leaves nothing changed. */
static void test_mark_enter_faults(void **state)
{
	struct vmk_pmap *u = pmt_boot_user(ARCH_OF(state));
	struct vmk_pmap_stats before, after;
	unsigned int failed = 0;
	uint64_t ptp0;

	assert_int_equal(vmk_pmap_enter(u, UVA + 0x1000, PMT_DATA + 0x1000, RW, 0), 0);
	ptp0 = pmt_ptp_pages();
	for (unsigned long n = 0;; n++) {
		int r;

		pmt_map_stats(u, &before);
		vmk_sim_fail_nth(n, "pmap.", false);
		r = vmk_pmap_enter(u, UVA + 0x2000, PMT_DATA + 0x2000, RW, NP | M);
		vmk_sim_fail_off();
		if (r == 0)
			break;
		assert_int_equal(r, -VMK_ENOMEM);
		failed++;
		pmt_map_stats(u, &after);
		assert_memory_equal(&before, &after, sizeof(before));
		assert_int_equal(pmt_ptp_pages(), ptp0);
	}
	assert_true(failed >= 1);
	assert_true(np_at(u, UVA + 0x2000));
	assert_false(np_at(u, UVA + 0x1000));
	pmt_check(u);
	pmt_drop_user(u);
	pmt_shutdown();
}

/* A fork copy keeps the mark (the copy is the same kind of mapping). */
static void test_mark_copy(void **state)
{
	struct vmk_pmap *u = pmt_boot_user(ARCH_OF(state)), *c;

	assert_int_equal(vmk_pmap_create(&c), 0);
	assert_int_equal(vmk_pmap_enter(u, UVA, PMT_DATA, RW, M | NP), 0);
	assert_int_equal(vmk_pmap_enter(u, UVA + 0x1000, PMT_DATA + 0x1000, RW, M), 0);
	assert_int_equal(vmk_pmap_copy(c, u, UVA, S2M), 0);
	assert_true(np_at(c, UVA));
	assert_false(np_at(c, UVA + 0x1000));
	pmt_check(c);
	vmk_pmap_destroy(c);
	pmt_drop_user(u);
	pmt_shutdown();
}

/*
 * A kernel block entered with KEEP_SPARE is not a promoted one: qenter
 * refuses it (-VMK_ENOENT) rather than demote it with its spare.
 */
static void test_keepspare_block_not_promoted(void **state)
{
	struct vmk_pmap *k;
	vmk_vaddr_t kva;
	vmk_paddr_t pa = PMT_DATA + S2M;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	kva = pmt_kva() + 8 * S2M;
	assert_int_equal(vmk_pmap_enter_large(k, kva, PMT_DATA, S2M, RW, VMK_PMAP_ENTER_KEEP_SPARE), 0);
	assert_int_equal(vmk_pmap_qenter(kva + 0x1000, &pa, 1), -VMK_ENOENT);
	pmt_check(k);
	pmt_shutdown();
}

/*
 * 512 kernel 2 MiB blocks make a 1 GiB one only with one set of
 * attributes, the keep-spare mark included: one block without it keeps
 * them apart. With it on all, the 1 GiB block is marked, and its
 * demotion gives the mark back to every piece (each has its spare).
 */
static void test_keepspare_promotion(void **state)
{
	for (int all = 0; all < 2; all++) {
		struct pmt_opts o = { .arch = ARCH_OF(state), .promote_kernel_1g = true };
		struct vmk_pmap_stats st;
		struct vmk_pmap_mapping m;
		struct vmk_pmap *k;
		vmk_vaddr_t kva;

		pmt_boot(&o);
		k = vmk_pmap_kernel();
		kva = pmt_kva() + PT_SIZE(2);
		for (unsigned int i = 0; i < 512; i++)
			assert_int_equal(vmk_pmap_enter_large(k, kva + i * S2M, PMT_DATA + i * S2M, S2M, RW,
							      all || i != 5 ? VMK_PMAP_ENTER_KEEP_SPARE : 0), 0);
		vmk_pmap_stats(k, &st);
		assert_int_equal(st.promotions, all ? 1 : 0);
		assert_int_equal(vmk_pmap_extract(k, kva, &m), 0);
		assert_int_equal(m.size, all ? PT_SIZE(2) : S2M);
		pmt_check(k);
		if (all) {
			assert_int_equal(vmk_pmap_demote(k, kva), 0);
			pmt_check(k);
			/* Each piece cut to pages without allocating: its own spare, as KEEP_SPARE promised. */
			vmk_sim_fail_nth(0, "pmap.", true);
			assert_int_equal(vmk_pmap_remove(k, kva + 7 * S2M + 0x3000, kva + 7 * S2M + 0x4000), 0);
			vmk_sim_fail_off();
			pmt_check(k);
		}
		pmt_shutdown();
	}
}

/* riscv64: the checker sees a mark left on an entry that is no leaf (a removal that forgot it). */
static void test_check_sees_stale_mark(void **state)
{
	struct vmk_pmap *u = pmt_boot_user(VMK_PMAP_ARCH_RISCV64);
	struct vmk_page *mp = vmk_pmap__marks_alloc(u);
	char msg[256];
	unsigned int lvl;
	vmk_paddr_t t;

	(void)state;
	assert_non_null(mp);
	assert_int_equal(vmk_pmap_enter(u, UVA, PMT_DATA, RW, 0), 0);
	vmk_pmap__lock(u);
	vmk_pmap__walk(u, UVA, &lvl, &t);
	assert_int_equal(lvl, 0);
	vmk_pmap__mark_set(t, 5, 1, &mp);
	vmk_pmap__unlock(u);
	assert_int_not_equal(vmk_pmap_check(u, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "no-promote mark on an entry that is no leaf"));
	vmk_pmap__lock(u);
	vmk_pmap__mark_clear(u, t, 5, 1);
	vmk_pmap__unlock(u);
	assert_int_equal(vmk_pmap_check(u, msg, sizeof(msg)), 0);
	pmt_drop_user(u);
	pmt_shutdown();
}

#define T(f) cmocka_unit_test_prestate(f, &x86), cmocka_unit_test_prestate(f, &arm), cmocka_unit_test_prestate(f, &rv)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_mark_one_page),
		T(test_mark_same_page),
		T(test_mark_block),
		T(test_mark_enter_pages_faults),
		T(test_mark_enter_faults),
		T(test_mark_copy),
		T(test_keepspare_block_not_promoted),
		T(test_keepspare_promotion),
		cmocka_unit_test(test_check_sees_stale_mark),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
