/*
 * The fast paths of 4 KiB mapping, against the plain ones:
 *  - differential: vmk_pmap_enter_pages and one vmk_pmap_enter per page,
 *    on two pmaps given the same history, must leave bit-identical leaf
 *    entries, the same level-0 table reference counts and the same
 *    counters (random runs across table boundaries, into new and into
 *    partly filled tables, managed or not, wired, promotable or not);
 *  - all or nothing: a batch failing in a later table (bad address in a
 *    new or in a live table, occupied entry, free managed page, a block
 *    in the way, every allocation failing in turn) changes nothing;
 *  - the cached level-0 table never outlives its table (freed, promoted,
 *    replaced by a kernel block): vmk_pmap_check verifies it each step;
 *  - vmk_pmap_enter / enter_large refuse an address beyond the
 *    descriptor's output-address field instead of truncating it.
 * Randomized parts print their seed (replay: VMK_SEED).
 */
#include "pmap_util.h"
#include "../src/pmap/pmap_internal.h"

#define ARCH_OF(state) (*(enum vmk_pmap_arch_id *)*(state))
#define UVA	0x0000000040000000ull
#define S2M	PT_SIZE(1)
#define WPAGES	4096u			/* 16 MiB window */
#define RW	(VMK_PROT_READ | VMK_PROT_WRITE)
#define M	VMK_PMAP_ENTER_MANAGED

static enum vmk_pmap_arch_id x86 = VMK_PMAP_ARCH_X86_64, arm = VMK_PMAP_ARCH_ARM64, rv = VMK_PMAP_ARCH_RISCV64;
static vmk_paddr_t pas[WPAGES];

/* The entry mapping va and its level, read through the pmap's own walk. */
static vmk_pte_t leaf_of(struct vmk_pmap *pm, vmk_vaddr_t va, unsigned int *lvl, vmk_paddr_t *t)
{
	return vmk_pmap__pte_load(vmk_pmap__walk(pm, va, lvl, t));
}

/* a and b must map [ua, ua + n pages) and [ub, ...) identically, table by table. */
static void same_tables(struct vmk_pmap *a, vmk_vaddr_t ua, struct vmk_pmap *b, vmk_vaddr_t ub, unsigned int n,
			const char *what)
{
	for (unsigned int p = 0; p < n; p++) {
		unsigned int la, lb;
		vmk_paddr_t ta, tb;
		vmk_pte_t ea = leaf_of(a, ua + p * 4096ull, &la, &ta);
		vmk_pte_t eb = leaf_of(b, ub + p * 4096ull, &lb, &tb);

		/* enter_pages folds 64 KiB runs (arm64, riscv64 Svnapot) where enter never does: compare their leaves. */
		if (la == 0 && vmk_pmap__is_cont(ea, 0))
			ea = vmk_pmap__g.arch->unfold(ea, (unsigned int)(((ua >> 12) + p) % 16));
		if (lb == 0 && vmk_pmap__is_cont(eb, 0))
			eb = vmk_pmap__g.arch->unfold(eb, (unsigned int)(((ub >> 12) + p) % 16));
		if (la != lb || ea != eb)
			fail_msg("%s: page %u: level %u entry %#llx vs level %u entry %#llx", what, p, la,
				 (unsigned long long)ea, lb, (unsigned long long)eb);
		if (la == 0 && !a->kernel && vmk_pa_to_page(ta)->ref_count != vmk_pa_to_page(tb)->ref_count)
			fail_msg("%s: page %u: table counts %u vs %u", what, p, vmk_pa_to_page(ta)->ref_count,
				 vmk_pa_to_page(tb)->ref_count);
	}
}

static void same_stats(struct vmk_pmap *a, struct vmk_pmap *b)
{
	struct vmk_pmap_stats sa, sb;

	vmk_pmap_stats(a, &sa);
	vmk_pmap_stats(b, &sb);
	assert_int_equal(sa.resident, sb.resident);
	assert_int_equal(sa.wired, sb.wired);
	assert_int_equal(sa.ptps, sb.ptps);
	assert_int_equal(sa.spare_ptps, sb.spare_ptps);
	assert_memory_equal(sa.mappings, sb.mappings, sizeof(sa.mappings));
	assert_int_equal(sa.pv_entries, sb.pv_entries);
	assert_int_equal(sa.promotions, sb.promotions);
	assert_int_equal(sa.demotions, sb.demotions);
	assert_int_equal(sa.promotion_failures, sb.promotion_failures);
}

/* PAs for a run of n pages at window page p0: scattered, or following the VA (promotable). */
static void make_pas(uint64_t *rng, unsigned int p0, unsigned int n, bool follow)
{
	for (unsigned int i = 0; i < n; i++)
		pas[i] = follow ? PMT_DATA + (p0 + i) * 4096ull : PMT_DATA + (pmt_rand(rng) % 65536) * 4096ull;
}

static void differential(enum vmk_pmap_arch_id arch, bool no_promote, uint64_t seed)
{
	struct pmt_opts o = { .arch = arch, .no_promote = no_promote };
	static bool used[WPAGES];
	struct vmk_pmap *a, *b;
	uint64_t rng = seed * 0x9e3779b97f4a7c15ull + arch + 1, ptp0;
	unsigned int runs = 0;

	pmt_boot(&o);
	ptp0 = pmt_ptp_pages();
	assert_int_equal(vmk_pmap_create(&a), 0);
	/* Memory types other than WB in user space: inside a device window only. */
	assert_int_equal(vmk_pmap_allow_device(a, 0, 1ull << 38), 0);
	assert_int_equal(vmk_pmap_create(&b), 0);
	/* Memory types other than WB in user space: inside a device window only. */
	assert_int_equal(vmk_pmap_allow_device(b, 0, 1ull << 38), 0);
	memset(used, 0, sizeof(used));
	/*
	 * At least 60 steps, and on until more than 10 batches went in: random
	 * runs overlap often, and the assertion below must not depend on luck.
	 */
	for (unsigned int step = 0; step < 60 || (runs <= 10 && step < 2000); step++) {
		unsigned int p0 = (unsigned int)(pmt_rand(&rng) % WPAGES), n;
		uint32_t prot = pmt_rand(&rng) % 3 == 0 ? VMK_PROT_READ : RW;
		uint32_t fl = (pmt_rand(&rng) % 3 ? M : 0) | (pmt_rand(&rng) % 5 == 0 ? VMK_PMAP_ENTER_WIRED : 0) |
			      (pmt_rand(&rng) % 7 == 0 ? VMK_PMAP_MEMTYPE(VMK_MEMTYPE_WC) : 0);
		bool follow = pmt_rand(&rng) % 2, free_run = true;
		int r;

		/* Short runs inside a table, runs crossing one or several tables. */
		switch (pmt_rand(&rng) % 3) {
		case 0: n = 1 + (unsigned int)(pmt_rand(&rng) % 16); break;
		case 1: n = 1 + (unsigned int)(pmt_rand(&rng) % 600); break;
		default: n = 1 + (unsigned int)(pmt_rand(&rng) % 1600); break;
		}
		n = VMK_MIN(n, WPAGES - p0);
		if (pmt_rand(&rng) % 4 == 0) {
			/* A removal in both, so tables empty out, get freed and come back. */
			assert_int_equal(vmk_pmap_remove(a, UVA + p0 * 4096ull, UVA + (p0 + n) * 4096ull), 0);
			assert_int_equal(vmk_pmap_remove(b, UVA + p0 * 4096ull, UVA + (p0 + n) * 4096ull), 0);
			for (unsigned int p = p0; p < p0 + n; p++)
				used[p] = false;
			pmt_check(a);
			pmt_check(b);
			continue;
		}
		for (unsigned int p = p0; p < p0 + n; p++)
			free_run = free_run && !used[p];
		make_pas(&rng, p0, n, follow);
		r = vmk_pmap_enter_pages(a, UVA + p0 * 4096ull, pas, n, prot, fl);
		if (!free_run) {
			/* Promoted blocks cover their whole 2 MiB, so overlap is decided on pages. */
			assert_int_equal(r, -VMK_EEXIST);
		} else {
			assert_int_equal(r, 0);
			for (unsigned int i = 0; i < n; i++)
				assert_int_equal(vmk_pmap_enter(b, UVA + (p0 + i) * 4096ull, pas[i], prot,
								fl | VMK_PMAP_ENTER_NOREPLACE), 0);
			for (unsigned int p = p0; p < p0 + n; p++)
				used[p] = true;
			runs++;
		}
		pmt_check(a);
		pmt_check(b);
		same_tables(a, UVA, b, UVA, WPAGES, "enter_pages vs enter");
		same_stats(a, b);
	}
	assert_true(runs > 10);
	vmk_pmap_destroy(a);
	vmk_pmap_destroy(b);
	assert_int_equal(pmt_ptp_pages(), ptp0);
	pmt_shutdown();
}

static void test_differential_user(void **state)
{
	unsigned long seed = th_seed();

	printf("enter_pages differential (%s): seed %lu\n", pmt_arch_name(ARCH_OF(state)), seed);
	differential(ARCH_OF(state), false, seed);
	differential(ARCH_OF(state), true, seed + 1);
}

/* The kernel pmap: two windows 1 GiB apart get the same runs, one batched, one page by page. */
static void test_differential_kernel(void **state)
{
	unsigned long seed = th_seed();
	uint64_t rng = seed * 2654435761u + 7;
	struct vmk_pmap *k;
	vmk_vaddr_t wa, wb;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	wa = pmt_kva() + (1ull << 30);
	wb = pmt_kva() + (2ull << 30);
	printf("enter_pages kernel differential (%s): seed %lu\n", pmt_arch_name(ARCH_OF(state)), seed);
	for (unsigned int c = 0; c < 4; c++) {
		/* Disjoint runs (chunk c of the window), promotable every other time. */
		unsigned int p0 = c * 1000 + (unsigned int)(pmt_rand(&rng) % 100);
		unsigned int n = 1 + (unsigned int)(pmt_rand(&rng) % 900);

		make_pas(&rng, p0, n, c % 2 == 0);
		assert_int_equal(vmk_pmap_enter_pages(k, wa + p0 * 4096ull, pas, n, RW, 0), 0);
		for (unsigned int i = 0; i < n; i++)
			assert_int_equal(vmk_pmap_enter(k, wb + (p0 + i) * 4096ull, pas[i], RW, 0), 0);
		pmt_check(k);
		same_tables(k, wa, k, wb, WPAGES, "kernel enter_pages vs enter");
	}
	pmt_shutdown();
}

static void unchanged(struct vmk_pmap *pm, const struct pmt_snap *before)
{
	struct pmt_snap now;

	pmt_snap_take(pm, &now);
	pmt_snap_same(&now, before);
	pmt_check(pm);
}

static void test_all_or_nothing(void **state)
{
	struct vmk_pmap *pm;
	struct pmt_snap s;
	vmk_paddr_t huge = ARCH_OF(state) == VMK_PMAP_ARCH_X86_64 ? 1ull << 52 :
			   ARCH_OF(state) == VMK_PMAP_ARCH_ARM64 ? 1ull << 48 : 1ull << 56;
	unsigned int nfail = 0;
	int r;

	pmt_boot_arch(ARCH_OF(state));
	pm = NULL;
	assert_int_equal(vmk_pmap_create(&pm), 0);
	/* Memory types other than WB in user space: inside a device window only. */
	assert_int_equal(vmk_pmap_allow_device(pm, 0, 1ull << 38), 0);
	/* Some live tables: pages in the 2nd and 4th 2 MiB of the window. */
	assert_int_equal(vmk_pmap_enter(pm, UVA + S2M + 0x5000, PMT_DATA, RW, M), 0);
	assert_int_equal(vmk_pmap_enter(pm, UVA + 3 * S2M + 0x1ff000, PMT_DATA, RW, 0), 0);
	for (unsigned int i = 0; i < 2000; i++)
		pas[i] = PMT_DATA + i * 4096ull;
	pmt_snap_take(pm, &s);

	/* A bad address in a later, new table (the fill checks as it goes). */
	pas[1500] = huge;
	assert_int_equal(vmk_pmap_enter_pages(pm, UVA + 4 * S2M, pas, 2000, RW, 0), -VMK_EINVAL);
	unchanged(pm, &s);
	pas[1500] = PMT_DATA + 3;	/* not page aligned */
	assert_int_equal(vmk_pmap_enter_pages(pm, UVA + 4 * S2M, pas, 2000, RW, 0), -VMK_EINVAL);
	unchanged(pm, &s);
	pas[1500] = PMT_DATA + 1500 * 4096ull;
	/* A bad address in a live table (after a new one): nothing of it may be written first. */
	pas[300] = huge;
	assert_int_equal(vmk_pmap_enter_pages(pm, UVA + 3 * S2M - 0x80000, pas, 128 + 511, RW, 0), -VMK_EINVAL);
	unchanged(pm, &s);
	pas[300] = PMT_DATA + 300 * 4096ull;
	/* The same run with good addresses fills the live table up to its last entry. */
	assert_int_equal(vmk_pmap_enter_pages(pm, UVA + 3 * S2M - 0x80000, pas, 128 + 511, RW, 0), 0);
	pmt_check(pm);
	assert_int_equal(vmk_pmap_remove(pm, UVA + 3 * S2M - 0x80000, UVA + 4 * S2M - 0x1000), 0);
	pmt_check(pm);
	s.st.promotion_failures++;	/* the full table did not map a contiguous run */
	unchanged(pm, &s);
	/* An occupied entry in a later table, new tables before it. */
	assert_int_equal(vmk_pmap_enter_pages(pm, UVA + 2 * S2M + 0x1000, pas, 1030, RW, M), -VMK_EEXIST);
	unchanged(pm, &s);
	/* A free page among managed ones. */
	pas[900] = PMT_RAM_BASE + 200ull * 1024 * 1024;	/* allocator memory, never allocated this far */
	assert_int_equal(vmk_pmap_enter_pages(pm, UVA + 4 * S2M, pas, 1000, RW, M), -VMK_EINVAL);
	unchanged(pm, &s);
	pas[900] = PMT_DATA + 900 * 4096ull;
	/* Every allocation failing in turn (PTPs, PV chunks): -VMK_ENOMEM and nothing changed. */
	for (unsigned int n = 0;; n++) {
		vmk_sim_fail_nth(n, "pmap.", false);
		r = vmk_pmap_enter_pages(pm, UVA + S2M + 0x100000, pas, 1000, RW, M);
		vmk_sim_fail_off();
		if (r == 0)
			break;
		assert_int_equal(r, -VMK_ENOMEM);
		unchanged(pm, &s);
		nfail++;
	}
	assert_true(nfail >= 2);	/* at least two new tables and a PV chunk were needed */
	pmt_check(pm);
	vmk_pmap_destroy(pm);
	pmt_shutdown();
}

/* A block in the way is an existing mapping: -VMK_EEXIST, no demotion, no allocation. */
static void test_block_in_the_way(void **state)
{
	struct vmk_pmap *pm;
	struct vmk_pmap_mapping m;
	struct pmt_snap s;

	pmt_boot_arch(ARCH_OF(state));
	assert_int_equal(vmk_pmap_create(&pm), 0);
	/* Memory types other than WB in user space: inside a device window only. */
	assert_int_equal(vmk_pmap_allow_device(pm, 0, 1ull << 38), 0);
	assert_int_equal(vmk_pmap_enter_large(pm, UVA + S2M, PMT_DATA + S2M, S2M, RW, 0), 0);
	for (unsigned int i = 0; i < 1024; i++)
		pas[i] = PMT_DATA + 0x10000000ull + i * 4096ull;
	pmt_snap_take(pm, &s);
	assert_int_equal(vmk_pmap_enter_pages(pm, UVA + S2M - 0x10000, pas, 100, RW, 0), -VMK_EEXIST);
	unchanged(pm, &s);
	/* Even with every allocation failing it is the overlap that is reported. */
	vmk_sim_fail_nth(0, "pmap.", true);
	assert_int_equal(vmk_pmap_enter_pages(pm, UVA + S2M + 0x3000, pas, 2, RW, 0), -VMK_EEXIST);
	vmk_sim_fail_off();
	unchanged(pm, &s);
	assert_int_equal(s.st.demotions, 0);
	assert_int_equal(vmk_pmap_extract(pm, UVA + S2M + 0x3000, &m), 0);
	assert_true(m.size == S2M && m.pa == PMT_DATA + S2M + 0x3000);
	vmk_pmap_destroy(pm);
	pmt_shutdown();
}

/* The cached leaf table across everything that unlinks or replaces tables. */
static void test_leaf_cache_lifetime(void **state)
{
	struct vmk_pmap *pm, *k;
	struct vmk_pmap_mapping m;
	vmk_vaddr_t kva;

	pmt_boot_arch(ARCH_OF(state));
	assert_int_equal(vmk_pmap_create(&pm), 0);
	/* Memory types other than WB in user space: inside a device window only. */
	assert_int_equal(vmk_pmap_allow_device(pm, 0, 1ull << 38), 0);
	/* Freed: the only page of a table goes, its PTP is freed and reused elsewhere. */
	assert_int_equal(vmk_pmap_enter(pm, UVA + 0x3000, PMT_DATA, RW, 0), 0);
	assert_int_equal(vmk_pmap_remove(pm, UVA, UVA + S2M), 0);
	pmt_check(pm);
	assert_int_equal(vmk_pmap_enter(pm, UVA + 7 * S2M, PMT_DATA + 0x1000, RW, 0), 0);
	assert_int_equal(vmk_pmap_enter(pm, UVA + 0x4000, PMT_DATA + 0x2000, RW, 0), 0);
	pmt_check(pm);
	assert_int_equal(vmk_pmap_extract(pm, UVA + 0x3000, &m), -VMK_ENOENT);
	assert_int_equal(vmk_pmap_extract(pm, UVA + 0x4000, &m), 0);
	assert_true(m.pa == PMT_DATA + 0x2000);
	assert_int_equal(vmk_pmap_extract(pm, UVA + 7 * S2M, &m), 0);
	assert_true(m.pa == PMT_DATA + 0x1000);
	/* Promoted: the table becomes the block's spare; the next enter there demotes. */
	for (unsigned int i = 0; i < 512; i++)
		assert_int_equal(vmk_pmap_enter(pm, UVA + 2 * S2M + i * 4096ull, PMT_DATA + S2M + i * 4096ull, RW,
						 0), 0);
	assert_int_equal(vmk_pmap_extract(pm, UVA + 2 * S2M, &m), 0);
	assert_true(m.size == S2M);
	pmt_check(pm);
	assert_int_equal(vmk_pmap_enter(pm, UVA + 2 * S2M + 0x5000, PMT_DATA + 0x9000, VMK_PROT_READ, 0), 0);
	pmt_check(pm);
	assert_int_equal(vmk_pmap_extract(pm, UVA + 2 * S2M + 0x5000, &m), 0);
	assert_true(m.size == 4096 && m.pa == PMT_DATA + 0x9000);
	assert_int_equal(vmk_pmap_extract(pm, UVA + 2 * S2M + 0x6000, &m), 0);
	assert_true(m.size == 4096 && m.pa == PMT_DATA + S2M + 0x6000);
	vmk_pmap_destroy(pm);
	/* Kernel: an empty table replaced by a block (it becomes the spare). */
	k = vmk_pmap_kernel();
	kva = pmt_kva() + (1ull << 30);
	assert_int_equal(vmk_pmap_enter(k, kva + 0x1000, PMT_DATA, RW, 0), 0);
	vmk_pmap_qremove(kva + 0x1000, 1);
	pmt_check(k);
	assert_int_equal(vmk_pmap_enter_large(k, kva, PMT_DATA + S2M, S2M, RW, 0), 0);
	pmt_check(k);
	assert_int_equal(vmk_pmap_enter(k, kva + S2M + 0x2000, PMT_DATA, RW, 0), 0);
	assert_int_equal(vmk_pmap_enter(k, kva + 0x2000, PMT_DATA + 0x7000, RW, 0), 0);
	pmt_check(k);
	assert_int_equal(vmk_pmap_extract(k, kva + 0x2000, &m), 0);
	assert_true(m.size == 4096 && m.pa == PMT_DATA + 0x7000);
	assert_int_equal(vmk_pmap_extract(k, kva + 0x3000, &m), 0);
	assert_true(m.size == 4096 && m.pa == PMT_DATA + S2M + 0x3000);
	pmt_shutdown();
}

/* An output address the descriptor cannot hold is refused, not truncated (it used to be). */
static void test_pa_out_of_field(void **state)
{
	struct vmk_pmap *pm;
	struct vmk_pmap_mapping m;
	vmk_paddr_t huge = ARCH_OF(state) == VMK_PMAP_ARCH_X86_64 ? 1ull << 52 :
			   ARCH_OF(state) == VMK_PMAP_ARCH_ARM64 ? 1ull << 48 : 1ull << 56;
	struct pmt_snap s;

	pmt_boot_arch(ARCH_OF(state));
	assert_int_equal(vmk_pmap_create(&pm), 0);
	/* Memory types other than WB in user space: inside a device window only. */
	assert_int_equal(vmk_pmap_allow_device(pm, 0, 1ull << 38), 0);
	pmt_snap_take(pm, &s);
	assert_int_equal(vmk_pmap_enter(pm, UVA, huge + PMT_DATA, RW, 0), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_enter(pm, UVA, 1ull << 63, RW, 0), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_enter_large(pm, UVA, huge, S2M, RW, 0), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_extract(pm, UVA, &m), -VMK_ENOENT);
	unchanged(pm, &s);
	/* The highest address the field holds is fine. */
	assert_int_equal(vmk_pmap_enter(pm, UVA, huge - 4096, RW, 0), 0);
	assert_int_equal(vmk_pmap_extract(pm, UVA, &m), 0);
	assert_true(m.pa == huge - 4096);
	vmk_pmap_destroy(pm);
	pmt_shutdown();
}

#define T(f) cmocka_unit_test_prestate(f, &x86), cmocka_unit_test_prestate(f, &arm), cmocka_unit_test_prestate(f, &rv)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_differential_user),
		T(test_differential_kernel),
		T(test_all_or_nothing),
		T(test_block_in_the_way),
		T(test_leaf_cache_lifetime),
		T(test_pa_out_of_field),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
