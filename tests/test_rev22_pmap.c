/*
 * Review of the issue-12 pmap changes: the spare directory's lookup
 * (src/pmap/spare.c, the per-pmap cache of host tables) and the
 * vmk_pmap_enter fast path (src/pmap/enter.c enter_fast).
 *
 * - The host cache is indexed by a table's frame number modulo its size:
 *   more hosts than slots must still each find their own spares, or a
 *   KEEP_SPARE block cannot be cut without allocating.
 * - A kernel enter that takes the fast path tops up the kernel's demotion
 *   reserve like every other kernel operation, so a reserve drained while
 *   the allocator failed is whole again after the next kernel enter.
 * - Random kernel operations over 1 GiB and 2 MiB blocks, KEEP_SPARE or
 *   not, promotion to 1 GiB included, on every format (3-level ones with
 *   1 GiB blocks in the root): the checker agrees after each, and once
 *   everything is removed every PTP page is a table or in the reserve.
 * - The fast path's result is the general path's: two user pmaps get the
 *   same random operations, one through vmk_pmap_enter as it is, the
 *   other with every enter into an empty entry made NOREPLACE (which the
 *   fast path never takes, and which changes nothing else there); entries,
 *   table counts and statistics must stay equal.
 */
#include "pmap_util.h"
#include "../src/pmap/pmap_internal.h"

#define ARCH_OF(state) (*(enum vmk_pmap_arch_id *)*(state))
#define RW	(VMK_PROT_READ | VMK_PROT_WRITE)
#define S2M	PT_SIZE(1)
#define S1G	PT_SIZE(2)
#define KS	VMK_PMAP_ENTER_KEEP_SPARE
/* More hosts (tables holding a spare's block) than the cache has slots. */
#define NHOSTS	(VMK_PMAP_HOSTS + 9)

static enum vmk_pmap_arch_id x86 = VMK_PMAP_ARCH_X86_64, arm = VMK_PMAP_ARCH_ARM64, rv = VMK_PMAP_ARCH_RISCV64;

/*
 * One KEEP_SPARE 2 MiB block in each of NHOSTS 1 GiB regions: NHOSTS
 * level-1 tables hold one spare each, and some share a cache slot. Each
 * block is cut with every allocation failing: its own spare serves it.
 */
static void test_spare_hosts_beyond_cache(void **state)
{
	struct vmk_pmap *k;
	struct vmk_pmap_stats st;
	vmk_vaddr_t base;
	uint64_t other;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	base = pmt_kva() + S1G;
	/* PTP pages that are not the pmap's tables, spares or reserve (a split root's empty one). */
	vmk_pmap_stats(k, &st);
	other = pmt_ptp_pages() - st.ptps - st.reserve_ptps - st.spare_ptps;
	for (unsigned int i = 0; i < NHOSTS; i++)
		assert_int_equal(vmk_pmap_enter_large(k, base + i * S1G + 5 * S2M, PMT_DATA + i * S2M, S2M, RW, KS), 0);
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.spare_ptps, NHOSTS);
	pmt_check(k);

	/* Cut a page out of each block, in reverse order, with nothing to allocate from. */
	vmk_sim_fail_nth(0, "", true);
	for (unsigned int j = 0; j < NHOSTS; j++) {
		vmk_vaddr_t va = base + (NHOSTS - 1 - j) * S1G + 5 * S2M + 7 * VMK_PAGE_SIZE;

		assert_int_equal(vmk_pmap_remove(k, va, va + VMK_PAGE_SIZE), 0);
	}
	vmk_sim_fail_off();
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.spare_ptps, 0);
	assert_int_equal(st.mappings[1], 0);
	assert_int_equal(st.mappings[0], NHOSTS * 511ull);
	pmt_check(k);

	for (unsigned int i = 0; i < NHOSTS; i++)
		assert_int_equal(vmk_pmap_remove(k, base + i * S1G, base + (i + 1) * S1G), 0);
	pmt_check(k);
	/* Kernel tables stay, and every PTP page is one of them or of the reserve: no spare is lost. */
	vmk_pmap_stats(k, &st);
	assert_int_equal(pmt_ptp_pages(), other + st.ptps + st.reserve_ptps + st.spare_ptps);
	pmt_shutdown();
}

/*
 * The kernel's reserve, drained by demotions while the allocator fails,
 * is topped up by the next kernel enter even when that enter takes the
 * fast path (an empty entry of the cached level-0 table).
 */
static void test_fast_enter_tops_up_reserve(void **state)
{
	struct vmk_pmap *k;
	struct vmk_pmap_stats st;
	vmk_vaddr_t kva, blocks;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	kva = pmt_kva() + S1G;
	blocks = kva + 4 * S2M;
	assert_int_equal(vmk_pmap_enter(k, kva, PMT_DATA, RW, 0), 0);
	for (unsigned int i = 0; i < VMK_PMAP_KPOOL; i++)
		assert_int_equal(vmk_pmap_enter_large(k, blocks + i * S2M, PMT_DATA + (i + 1) * S2M, S2M, RW, 0), 0);
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.reserve_ptps, VMK_PMAP_KPOOL);

	/* Each cut demotes a block without a spare: from the reserve, never refilled meanwhile. */
	vmk_sim_fail_nth(0, "", true);
	for (unsigned int i = 0; i < VMK_PMAP_KPOOL; i++) {
		vmk_vaddr_t va = blocks + i * S2M + 3 * VMK_PAGE_SIZE;

		assert_int_equal(vmk_pmap_remove(k, va, va + VMK_PAGE_SIZE), 0);
	}
	vmk_sim_fail_off();
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.reserve_ptps, 0);

	/* The first page's table is still the cached one: the next enter beside it is the fast path. */
	vmk_pmap__lock(k);
	assert_true(vmk_pmap__leaf_hit(k, kva + VMK_PAGE_SIZE));
	vmk_pmap__unlock(k);
	assert_int_equal(vmk_pmap_enter(k, kva + VMK_PAGE_SIZE, PMT_DATA + VMK_PAGE_SIZE, RW, 0), 0);
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.reserve_ptps, VMK_PMAP_KPOOL);
	pmt_check(k);
	pmt_shutdown();
}

#define UVA	0x0000000040000000ull
#define NREG	4		/* 2 MiB regions the random operations use */

/* The raw entry mapping va in pm (0 if none) and its level. */
static vmk_pte_t raw_entry(struct vmk_pmap *pm, vmk_vaddr_t va, unsigned int *lvl)
{
	vmk_pte_t e;

	vmk_pmap__lock(pm);
	e = vmk_pmap__pte_load(vmk_pmap__walk(pm, va, lvl, NULL));
	vmk_pmap__unlock(pm);
	return e;
}

/* A level-0 table's reference count (user pmaps: its valid entries and holds). */
static uint32_t leaf_count(struct vmk_pmap *pm, vmk_vaddr_t va)
{
	vmk_paddr_t t = 0;
	uint32_t n = UINT32_MAX;

	vmk_pmap__lock(pm);
	if (vmk_pmap__entry_at(pm, va, 0, &t) && t)
		n = vmk_pa_to_page(t)->ref_count;
	vmk_pmap__unlock(pm);
	return n;
}

static void same_state(struct vmk_pmap *a, struct vmk_pmap *b, unsigned long op)
{
	struct vmk_pmap_stats sa, sb;

	pmt_map_stats(a, &sa);
	pmt_map_stats(b, &sb);
	if (memcmp(&sa, &sb, sizeof(sa)) != 0)
		fail_msg("op %lu: statistics differ (resident %llu/%llu, promotions %llu/%llu, failures %llu/%llu, wired %llu/%llu)",
			 op, (unsigned long long)sa.resident, (unsigned long long)sb.resident,
			 (unsigned long long)sa.promotions, (unsigned long long)sb.promotions,
			 (unsigned long long)sa.promotion_failures, (unsigned long long)sb.promotion_failures,
			 (unsigned long long)sa.wired, (unsigned long long)sb.wired);
	for (vmk_vaddr_t va = UVA; va < UVA + NREG * S2M; va += VMK_PAGE_SIZE) {
		unsigned int la, lb;
		vmk_pte_t ea = raw_entry(a, va, &la), eb = raw_entry(b, va, &lb);

		if (ea != eb || la != lb)
			fail_msg("op %lu: entry for %#llx differs: %#llx (level %u) / %#llx (level %u)", op,
				 (unsigned long long)va, (unsigned long long)ea, la, (unsigned long long)eb, lb);
		if (va % S2M == 0 && leaf_count(a, va) != leaf_count(b, va))
			fail_msg("op %lu: table count for %#llx differs: %u / %u", op, (unsigned long long)va,
				 leaf_count(a, va), leaf_count(b, va));
	}
}

static void test_fast_path_is_the_general_path(void **state)
{
	static const uint32_t prots[] = { RW, VMK_PROT_READ, VMK_PROT_READ | VMK_PROT_EXEC };
	static bool np[NREG * 512];
	struct vmk_pmap *a, *b;
	uint64_t seed = th_seed() | 1;

	memset(np, 0, sizeof(np));

	pmt_boot_arch(ARCH_OF(state));
	assert_int_equal(vmk_pmap_create(&a), 0);
	assert_int_equal(vmk_pmap_create(&b), 0);
	/* The last region is a no-promote range in both. */
	assert_int_equal(vmk_pmap_protect_bbm(a, UVA + (NREG - 1) * S2M, S2M, VMK_PMAP_BBM_NOPROMOTE), 0);
	assert_int_equal(vmk_pmap_protect_bbm(b, UVA + (NREG - 1) * S2M, S2M, VMK_PMAP_BBM_NOPROMOTE), 0);
	for (unsigned long op = 0; op < 7 * 2048; op++) {
		uint64_t r = pmt_rand(&seed);
		/*
		 * Rounds of plain enters in order (tables fill and promote) and
		 * of random operations (entries empty out in cached tables).
		 */
		bool plain = (op / 2048) % 2 == 0;
		vmk_vaddr_t va = plain || r % 4 ? UVA + (op * VMK_PAGE_SIZE) % (NREG * S2M) :
				 UVA + (r >> 8) % (NREG * 512) * VMK_PAGE_SIZE;
		unsigned int kind = plain ? 0 : (unsigned int)(r >> 40) % 16;

		size_t idx = (size_t)((va - UVA) / VMK_PAGE_SIZE);

		if (kind < 12) {
			/*
			 * An enter: usually the page promotion wants, sometimes
			 * another page (into an empty entry) or other attributes.
			 * A no-promote page stays no-promote until removed.
			 */
			struct vmk_pmap_mapping m;
			bool empty = vmk_pmap_extract(b, va, &m) == -VMK_ENOENT;
			vmk_paddr_t pa = PMT_DATA + (va - UVA) + (kind == 11 && empty ? S2M * 8 : 0);
			uint32_t prot = kind == 10 ? prots[(r >> 50) % 3] : RW;
			uint32_t fl = kind == 9 ? VMK_PMAP_ENTER_WIRED : 0;

			if (!empty)
				pa = m.pa;	/* never another page over a no-promote one */
			if (np[idx] || (kind == 8 && (empty || m.size == VMK_PAGE_SIZE))) {
				fl |= VMK_PMAP_ENTER_NOPROMOTE;
				np[idx] = true;
			}
			assert_int_equal(vmk_pmap_enter(a, va, pa, prot, fl), 0);
			assert_int_equal(vmk_pmap_enter(b, va, pa, prot, fl | (empty ? VMK_PMAP_ENTER_NOREPLACE : 0)), 0);
		} else if (kind < 15) {
			vmk_vaddr_t end = va + VMK_PAGE_SIZE * (1 + (r >> 52) % 8);

			if (end > UVA + NREG * S2M)
				end = UVA + NREG * S2M;
			assert_int_equal(vmk_pmap_remove(a, va, end), 0);
			assert_int_equal(vmk_pmap_remove(b, va, end), 0);
			for (vmk_vaddr_t v = va; v < end; v += VMK_PAGE_SIZE)
				np[(v - UVA) / VMK_PAGE_SIZE] = false;
		} else {
			assert_int_equal(vmk_pmap_protect(a, va, va + VMK_PAGE_SIZE, VMK_PROT_READ), 0);
			assert_int_equal(vmk_pmap_protect(b, va, va + VMK_PAGE_SIZE, VMK_PROT_READ), 0);
		}
		if (op % 97 == 0 || op == 7 * 2048 - 1)
			same_state(a, b, op);
	}
	pmt_check(a);
	pmt_check(b);
	{
		struct vmk_pmap_stats st;

		vmk_pmap_stats(a, &st);
		assert_true(st.promotions > 0);	/* the operations reached the promotion too */
	}
	vmk_pmap_destroy(a);
	vmk_pmap_destroy(b);
	pmt_shutdown();
}

struct kcfg {
	enum vmk_pmap_arch_id arch;
	unsigned int levels;
};

static struct kcfg kx86 = { VMK_PMAP_ARCH_X86_64, 4 }, karm = { VMK_PMAP_ARCH_ARM64, 4 },
		   karm3 = { VMK_PMAP_ARCH_ARM64, 3 }, krv4 = { VMK_PMAP_ARCH_RISCV64, 4 },
		   krv3 = { VMK_PMAP_ARCH_RISCV64, 3 };

#define KREGION	(4 * S1G)
/* Random kernel operations per format (fewer under the sanitizers: the checker walks everything). */
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define KOPS	60
#else
#define KOPS	240
#endif

/* One physical layout for every size, so pieces and pages can promote back into blocks. */
static vmk_paddr_t kpa(vmk_vaddr_t off)
{
	return S1G + off % (2 * S1G);
}

static int kernel_op(struct vmk_pmap *k, vmk_vaddr_t base, uint64_t r)
{
	unsigned int kind = (unsigned int)(r % 8);
	uint32_t ks = (r >> 8) & 1 ? KS : 0;
	vmk_vaddr_t off = (r >> 16) % (KREGION / VMK_PAGE_SIZE) * VMK_PAGE_SIZE;

	switch (kind) {
	case 0:		/* a 1 GiB block (refused over a table that is not empty) */
		off &= ~(S1G - 1);
		return vmk_pmap_enter_large(k, base + off, kpa(off), S1G, RW, ks);
	case 1:
	case 2:		/* a 2 MiB block */
		off &= ~(S2M - 1);
		return vmk_pmap_enter_large(k, base + off, kpa(off), S2M, RW, ks);
	case 3: {	/* a table's worth of pages, in order: promotion, to 1 GiB too */
		off &= ~(S2M - 1);
		for (unsigned int i = 0; i < 512; i++) {
			int e = vmk_pmap_enter(k, base + off + i * VMK_PAGE_SIZE, kpa(off + i * VMK_PAGE_SIZE), RW, 0);

			if (e)
				return e;
		}
		return 0;
	}
	case 4: {	/* a cut of a few pages */
		vmk_vaddr_t end = off + VMK_PAGE_SIZE * (1 + (r >> 50) % 4);

		return vmk_pmap_remove(k, base + off, base + VMK_MIN(end, KREGION));
	}
	case 5: {	/* a bigger removal */
		vmk_vaddr_t end = off + S2M * (1 + (r >> 50) % 600);

		return vmk_pmap_remove(k, base + off, base + VMK_MIN(end, KREGION));
	}
	case 6: {	/* read-only, then back: a demotion, later a promotion again */
		vmk_vaddr_t end = VMK_MIN(off + VMK_PAGE_SIZE * (1 + (r >> 50) % 1024), KREGION);
		int e = vmk_pmap_protect(k, base + off, base + end, VMK_PROT_READ);

		return e ? e : vmk_pmap_protect(k, base + off, base + end, RW);
	}
	default:	/* one page (the same page over a block: a demotion) */
		return vmk_pmap_enter(k, base + off, kpa(off), RW, 0);
	}
}

static void test_kernel_spares_random(void **state)
{
	const struct kcfg *c = *state;
	struct pmt_opts o;
	struct vmk_pmap *k;
	struct vmk_pmap_stats st;
	uint64_t other, seed = th_seed() | 1;
	vmk_vaddr_t base;

	memset(&o, 0, sizeof(o));
	o.arch = c->arch;
	o.levels = c->levels;
	o.promote_kernel_1g = true;
	pmt_boot(&o);
	k = vmk_pmap_kernel();
	base = pmt_kva() + S1G;
	vmk_pmap_stats(k, &st);
	other = pmt_ptp_pages() - st.ptps - st.reserve_ptps - st.spare_ptps;
	/*
	 * Start from 1 GiB blocks, two of them KEEP_SPARE (513 spares each),
	 * where the kernel may have them (not at the root of riscv64 Sv39).
	 */
	for (unsigned int g = 0; g < 4; g++)
		assert_int_equal(vmk_pmap_enter_large(k, base + g * S1G, kpa(g * S1G), S1G, RW, g % 2 ? 0 : KS),
				 vmk_pmap__block_ok(k, 2) ? 0 : -VMK_EINVAL);
	vmk_pmap_stats(k, &st);
	assert_true(st.spare_ptps >= (vmk_pmap__block_ok(k, 2) ? 2 * 513 : 0));
	for (unsigned int op = 0; op < KOPS; op++) {
		uint64_t r = pmt_rand(&seed);
		int e = kernel_op(k, base, r);

		if (e != 0 && e != -VMK_EEXIST && !(e == -VMK_EINVAL && !vmk_pmap__block_ok(k, 2)))
			fail_msg("op %u (kind %u): %d", op, (unsigned int)(r % 8), e);
		if (op % 3 == 0 || op == KOPS - 1)
			pmt_check(k);
	}
	assert_int_equal(vmk_pmap_remove(k, base, base + KREGION), 0);
	pmt_check(k);
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.resident, 0);
	assert_int_equal(st.spare_ptps, 0);
	assert_int_equal(pmt_ptp_pages(), other + st.ptps + st.reserve_ptps);
	pmt_shutdown();
}

/* The kernel half of a user root: the same entries as the kernel's root. */
static void expect_shared_root(struct vmk_pmap *u)
{
	const vmk_pte_t *ut = vmk_pmap__table(vmk_pmap_root(u));
	const vmk_pte_t *kt = vmk_pmap__table(vmk_pmap_root(vmk_pmap_kernel()));

	for (unsigned int i = VMK_PT_ENTRIES / 2; i < VMK_PT_ENTRIES; i++)
		if (ut[i] != kt[i])
			fail_msg("user root entry %u is %#llx, the kernel's is %#llx: the kernel's mapping there is not the "
				 "one a CPU in the user's address space sees", i, (unsigned long long)ut[i],
				 (unsigned long long)kt[i]);
}

/*
 * riscv64 Sv39 has one root for both halves and 1 GiB entries in it: a
 * user root copies the kernel's top-level entries when it is created, so
 * the kernel may never change them afterwards. Neither a 1 GiB block
 * entered there nor one promoted from a full table of 2 MiB blocks may
 * replace the table bootstrap made (the user would keep walking it, the
 * block's spare, whose words are the spare directory's).
 */
static void test_sv39_root_entries_stay_shared(void **state)
{
	struct pmt_opts o;
	struct vmk_pmap *k, *u;
	vmk_vaddr_t g1, g2;
	int r;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.arch = VMK_PMAP_ARCH_RISCV64;
	o.levels = 3;
	o.promote_kernel_1g = true;
	pmt_boot(&o);
	k = vmk_pmap_kernel();
	assert_int_equal(vmk_pmap_create(&u), 0);
	g1 = pmt_kva() + S1G;
	g2 = pmt_kva() + 2 * S1G;
	expect_shared_root(u);

	/* Entered whole: refused (2 MiB leaves map it instead, as the direct map's do). */
	r = vmk_pmap_enter_large(k, g1, PMT_DATA - S1G, S1G, RW, KS);
	expect_shared_root(u);
	assert_int_equal(r, -VMK_EINVAL);

	/* A full table of contiguous 2 MiB blocks: it stays a table. */
	for (unsigned int i = 0; i < 512; i++)
		assert_int_equal(vmk_pmap_enter_large(k, g2 + i * S2M, PMT_DATA - S1G + i * S2M, S2M, RW, 0), 0);
	expect_shared_root(u);
	pmt_check(k);
	pmt_check(u);
	assert_int_equal(vmk_pmap_remove(k, g2, g2 + S1G), 0);
	expect_shared_root(u);
	vmk_pmap_destroy(u);
	pmt_shutdown();
}

#define T(f) cmocka_unit_test_prestate(f, &x86), cmocka_unit_test_prestate(f, &arm), cmocka_unit_test_prestate(f, &rv)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_spare_hosts_beyond_cache),
		T(test_fast_enter_tops_up_reserve),
		T(test_fast_path_is_the_general_path),
		cmocka_unit_test_prestate(test_kernel_spares_random, &kx86),
		cmocka_unit_test_prestate(test_kernel_spares_random, &karm),
		cmocka_unit_test_prestate(test_kernel_spares_random, &karm3),
		cmocka_unit_test_prestate(test_kernel_spares_random, &krv4),
		cmocka_unit_test_prestate(test_kernel_spares_random, &krv3),
		cmocka_unit_test(test_sv39_root_entries_stay_shared),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
