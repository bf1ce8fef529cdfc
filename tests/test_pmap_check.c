/*
 * vmk_pmap_check finds each broken invariant of a pmap, on every
 * architecture: a pmap built through the API, one table entry, page
 * record or counter corrupted by hand, the checker must fail naming that
 * invariant, and pass again once the corruption is undone (so the report
 * came from it). The simulated MMU never walks the corrupted tables.
 */
#include "pmap_util.h"
#include "../src/pmap/pmap_internal.h"
#include <string.h>

#define ARCH_OF(state) (*(enum vmk_pmap_arch_id *)*(state))
#define RW	(VMK_PROT_READ | VMK_PROT_WRITE)
#define UVA	0x0000000040000000ull
#define A	vmk_pmap__g.arch

static enum vmk_pmap_arch_id x86 = VMK_PMAP_ARCH_X86_64, arm = VMK_PMAP_ARCH_ARM64, rv = VMK_PMAP_ARCH_RISCV64;

static void expect_bad(struct vmk_pmap *pm, const char *want)
{
	char msg[256] = "";

	if (vmk_pmap_check(pm, msg, sizeof(msg)) != -VMK_EINVAL)
		fail_msg("%s: pmap_check passed, expected '%s'", pmt_arch_name(A->id), want);
	if (!strstr(msg, want))
		fail_msg("pmap_check said '%s', expected '%s'", msg, want);
	assert_int_equal(vmk_pmap_check(pm, NULL, 0), -VMK_EINVAL);
}

static void expect_good(struct vmk_pmap *pm)
{
	char msg[256] = "";

	if (vmk_pmap_check(pm, msg, sizeof(msg)))
		fail_msg("pmap_check after the repair: %s", msg);
}

/* The leaf at p (level lvl) rewritten with attributes changed; returns the old entry. */
static vmk_pte_t rewrite(vmk_pte_t *p, unsigned int lvl, uint32_t clear, uint32_t set)
{
	vmk_pte_t e = vmk_pmap__pte_load(p);

	vmk_pmap__pte_store(p, vmk_pmap__leaf_rebuild(e, lvl, (A->attrs_of(e, lvl) & ~clear) | set));
	return e;
}

static vmk_pte_t *leaf_at(struct vmk_pmap *pm, vmk_vaddr_t va, vmk_paddr_t *table)
{
	unsigned int l;
	vmk_pte_t *p = vmk_pmap__walk(pm, va, &l, table);

	assert_non_null(p);
	assert_int_equal(l, 0);
	return p;
}

/* Leaf attributes: the user bit, a PV entry for a managed leaf, keep-spare only on kernel blocks. */
static void test_leaf_attributes(void **state)
{
	struct vmk_pmap *pm;
	vmk_pte_t *pm1, *pu, old;

	pmt_boot_arch(ARCH_OF(state));
	assert_int_equal(vmk_pmap_create(&pm), 0);
	assert_int_equal(vmk_pmap_enter(pm, UVA + 0x1000, PMT_DATA + 0x1000, RW,
					VMK_PMAP_ENTER_MANAGED | VMK_PMAP_ENTER_WIRED), 0);
	assert_int_equal(vmk_pmap_enter(pm, UVA + 0x2000, PMT_DATA + 0x2000, RW, 0), 0);
	pm1 = leaf_at(pm, UVA + 0x1000, NULL);
	pu = leaf_at(pm, UVA + 0x2000, NULL);
	expect_good(pm);

	old = rewrite(pu, 0, VMK_PTE_A_USER, 0);
	expect_bad(pm, "has the wrong user bit");
	vmk_pmap__pte_store(pu, old);
	old = rewrite(pu, 0, 0, VMK_PTE_A_MANAGED);
	expect_bad(pm, "has no PV entry");
	vmk_pmap__pte_store(pu, old);
	/* riscv64 has no bit for it: nothing to corrupt there. */
	old = rewrite(pu, 0, 0, VMK_PTE_A_KEEPSPARE);
	if (A->attrs_of(vmk_pmap__pte_load(pu), 0) & VMK_PTE_A_KEEPSPARE)
		expect_bad(pm, "keep-spare bit on a 4 KiB leaf");
	else
		assert_int_equal(ARCH_OF(state), VMK_PMAP_ARCH_RISCV64);
	vmk_pmap__pte_store(pu, old);
	old = rewrite(pm1, 0, VMK_PTE_A_WIRED, 0);
	expect_bad(pm, "wired 0, counted 1");
	vmk_pmap__pte_store(pm1, old);
	expect_good(pm);
	vmk_pmap_destroy(pm);
	pmt_shutdown();
}

/* Table entries: a PTP's reference count, an empty user PTP, a table that is no PTP, a leaf too high. */
static void test_tables(void **state)
{
	struct vmk_pmap *pm;
	vmk_pte_t *p1, *p2, *pt, *top, e1, e2, et, etop;
	vmk_paddr_t t0, parent;
	struct vmk_page *pg;
	unsigned int lt;

	pmt_boot_arch(ARCH_OF(state));
	assert_int_equal(vmk_pmap_create(&pm), 0);
	assert_int_equal(vmk_pmap_enter(pm, UVA + 0x1000, PMT_DATA + 0x1000, RW, 0), 0);
	assert_int_equal(vmk_pmap_enter(pm, UVA + 0x2000, PMT_DATA + 0x2000, RW, 0), 0);
	p1 = leaf_at(pm, UVA + 0x1000, &t0);
	p2 = leaf_at(pm, UVA + 0x2000, NULL);
	pg = vmk_pa_to_page(t0);
	assert_int_equal(pg->ref_count, 2);

	pg->ref_count++;
	expect_bad(pm, "ref_count 3 but 2 valid entries");
	pg->ref_count--;
	/* Both leaves gone, the count with them, but the table still linked. */
	e1 = vmk_pmap__pte_load(p1);
	e2 = vmk_pmap__pte_load(p2);
	vmk_pmap__pte_store(p1, 0);
	vmk_pmap__pte_store(p2, 0);
	pg->ref_count = 0;
	expect_bad(pm, "empty user PTP left");
	vmk_pmap__pte_store(p1, e1);
	vmk_pmap__pte_store(p2, e2);
	pg->ref_count = 2;
	expect_good(pm);

	/* The level-1 entry pointing at a data frame instead of the PTP. */
	pt = vmk_pmap__entry_at(pm, UVA, 1, &parent);
	assert_non_null(pt);
	et = vmk_pmap__pte_load(pt);
	assert_true(A->is_table(et, 1) && A->pa_of(et, 1) == t0);
	vmk_pmap__pte_store(pt, A->make_table(PMT_DATA + 0x100000, 1, true));
	expect_bad(pm, "is not a PTP page");
	vmk_pmap__pte_store(pt, et);
	expect_good(pm);

	/* A leaf in the top-level table, where no architecture has blocks. */
	lt = vmk_pmap__g.top;
	assert_true(lt > 2);
	top = &((vmk_pte_t *)vmk_pmap__table(pm->root))[1];
	etop = vmk_pmap__pte_load(top);
	assert_false(A->is_valid(etop, lt));
	/*
	 * A 1 GiB block encoding (no architecture has a leaf format of its own
	 * up there). arm64's walk reads a block descriptor at level 0 as
	 * invalid (a translation fault), as the checker does: nothing to find.
	 */
	vmk_pmap__pte_store(top, A->make_leaf(0, 2, VMK_PTE_A_USER | VMK_PTE_A_UXN | VMK_PTE_A_PXN));
	if (A->is_valid(vmk_pmap__pte_load(top), lt))
		expect_bad(pm, "where blocks are not allowed");
	else
		assert_int_equal(ARCH_OF(state), VMK_PMAP_ARCH_ARM64);
	vmk_pmap__pte_store(top, etop);
	expect_good(pm);
	vmk_pmap_destroy(pm);
	pmt_shutdown();
}

/* The counters the walk recounts, and the cached level-0 and level-1 tables. */
static void test_counters(void **state)
{
	struct vmk_pmap *pm;
	uint64_t all = 0;

	pmt_boot_arch(ARCH_OF(state));
	assert_int_equal(vmk_pmap_create(&pm), 0);
	assert_int_equal(vmk_pmap_enter(pm, UVA + 0x1000, PMT_DATA + 0x1000, RW, VMK_PMAP_ENTER_MANAGED), 0);
	assert_int_equal(vmk_pmap_enter(pm, UVA + 0x2000, PMT_DATA + 0x2000, RW, 0), 0);
	expect_good(pm);
	pm->st.pv_entries++;
	expect_bad(pm, "1 managed mappings but 2 PV entries");
	pm->st.pv_entries--;
	pm->st.spare_ptps++;
	expect_bad(pm, "0 spare PTPs, counted 1");
	pm->st.spare_ptps--;
	for (unsigned int k = 0; k < VMK_PMAP_TLB_KINDS; k++)
		all += pm->st.tlbi[k];
	pm->st.tlbi_nonleaf += all + 1;
	expect_bad(pm, "non-last-level TLB requests among");
	pm->st.tlbi_nonleaf -= all + 1;
	expect_good(pm);
	assert_non_null(pm->leaf.tbl);
	pm->leaf.pa += VMK_PAGE_SIZE;
	expect_bad(pm, "cached level-0 table");
	pm->leaf.pa -= VMK_PAGE_SIZE;
	expect_good(pm);
	assert_int_equal(vmk_pmap_enter_large(pm, UVA + PT_SIZE(1), PMT_DATA + PT_SIZE(1), PT_SIZE(1), RW, 0), 0);
	assert_non_null(pm->mid.tbl);
	pm->mid.pa += VMK_PAGE_SIZE;
	expect_bad(pm, "cached level-1 table");
	pm->mid.pa -= VMK_PAGE_SIZE;
	expect_good(pm);
	vmk_pmap_destroy(pm);
	pmt_shutdown();
}

/* The kernel pmap: fixed PTP references, the PTP reserve count, spares that serve no block. */
static void test_kernel(void **state)
{
	struct vmk_pmap *k;
	struct vmk_page *pg, *data;
	vmk_paddr_t t0;
	vmk_vaddr_t kva;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	kva = pmt_kva() + PT_SIZE(2);
	assert_int_equal(vmk_pmap_enter(k, kva, PMT_DATA, RW, 0), 0);
	leaf_at(k, kva, &t0);
	pg = vmk_pa_to_page(t0);
	pg->ref_count++;
	expect_bad(k, "has ref_count");
	pg->ref_count--;
	k->st.reserve_ptps++;
	expect_bad(k, "PTPs in the kernel reserve");
	k->st.reserve_ptps--;
	expect_good(k);

	/* A spare for an address no block maps, then one that is not even a PTP page. */
	vmk_pmap__lock(k);
	pg = vmk_pmap__ptp_alloc(k, "test");
	assert_non_null(pg);
	vmk_pmap__spare_insert(k, kva + PT_SIZE(1), 1, pg, false);
	vmk_pmap__unlock(k);
	expect_bad(k, "but no block maps it");
	vmk_pmap__lock(k);
	assert_true(vmk_pmap__spare_take(k, kva + PT_SIZE(1), 1, NULL) == pg);
	vmk_pmap__ptp_free(k, pg);
	data = vmk_pa_to_page(PMT_DATA + 0x200000);
	vmk_pmap__spare_insert(k, kva + PT_SIZE(1), 1, data, false);
	vmk_pmap__unlock(k);
	expect_bad(k, "is not a PTP page");
	vmk_pmap__lock(k);
	assert_true(vmk_pmap__spare_take(k, kva + PT_SIZE(1), 1, NULL) == data);
	vmk_pmap__unlock(k);
	expect_good(k);
	assert_int_equal(vmk_pmap_remove(k, kva, kva + VMK_PAGE_SIZE), 0);
	pmt_check(k);
	pmt_shutdown();
}

/*
 * Every public entry point refuses what it cannot do -- no pmap, an
 * address in the other half or not canonical, an empty or reversed
 * range -- with -VMK_EINVAL (or nothing, for the void ones) and changes
 * nothing.
 */
static void test_bad_arguments(void **state)
{
	struct vmk_pmap *pm, *k;
	struct vmk_pmap_mapping m;
	struct vmk_pmap_stats s0, s1, k0, k1;
	vmk_paddr_t pa = PMT_DATA;
	vmk_vaddr_t kva;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	kva = pmt_kva() + PT_SIZE(2);
	assert_int_equal(vmk_pmap_create(&pm), 0);
	assert_int_equal(vmk_pmap_enter(pm, UVA, PMT_DATA, RW, 0), 0);
	pmt_map_stats(pm, &s0);
	pmt_map_stats(k, &k0);
	assert_int_equal(vmk_pmap_extract(NULL, UVA, &m), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_extract(pm, UVA, NULL), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_extract(pm, kva, &m), -VMK_EINVAL);	/* kernel half */
	assert_int_equal(vmk_pmap_protect(NULL, UVA, UVA + 0x1000, VMK_PROT_READ), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_protect(pm, UVA, UVA + 0x1000, VMK_PROT_READ | 0x100), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_protect(pm, UVA + 0x1000, UVA, VMK_PROT_READ), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_remove(NULL, UVA, UVA + 0x1000), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_remove(pm, kva, kva + 0x1000), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_demote(NULL, UVA), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_demote(pm, kva), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_protect_bbm(NULL, UVA, 0x1000, VMK_PMAP_BBM_RENDEZVOUS), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_protect_bbm(pm, kva, 0x1000, VMK_PMAP_BBM_RENDEZVOUS), -VMK_EINVAL);
	/* The kernel-only calls refuse user addresses. */
	assert_int_equal(vmk_pmap_growkernel(UVA, UVA + 0x1000), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_qenter(UVA, &pa, 1), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_qenter(kva, &pa, 0), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_qenter(kva, NULL, 1), -VMK_EINVAL);
	vmk_pmap_qremove(UVA, 1);
	vmk_pmap_qremove(kva, 0);
	pmt_map_stats(pm, &s1);
	pmt_map_stats(k, &k1);
	assert_memory_equal(&s0, &s1, sizeof(s0));
	assert_memory_equal(&k0, &k1, sizeof(k0));
	assert_int_equal(vmk_pmap_extract(pm, UVA, &m), 0);
	assert_true(m.pa == PMT_DATA);
	/* The rendezvous table holds VMK_PMAP_MAX_RDV ranges; one more is refused. */
	for (unsigned int i = 0; i < 8; i++)
		assert_int_equal(vmk_pmap_protect_bbm(pm, UVA + i * PT_SIZE(1), PT_SIZE(1),
						      VMK_PMAP_BBM_RENDEZVOUS), 0);
	assert_int_equal(vmk_pmap_protect_bbm(pm, UVA + 8 * PT_SIZE(1), PT_SIZE(1), VMK_PMAP_BBM_RENDEZVOUS),
			 -VMK_ENOSPC);
	/* So does the no-promote table (ranges over mapped pages only). */
	for (unsigned int i = 0; i < 8; i++)
		assert_int_equal(vmk_pmap_protect_bbm(pm, UVA, VMK_PAGE_SIZE, VMK_PMAP_BBM_NOPROMOTE), 0);
	assert_int_equal(vmk_pmap_protect_bbm(pm, UVA, VMK_PAGE_SIZE, VMK_PMAP_BBM_NOPROMOTE), -VMK_ENOSPC);
	pmt_check(pm);
	assert_int_equal(vmk_pmap_remove(pm, UVA, UVA + VMK_PAGE_SIZE), 0);
	vmk_pmap_destroy(pm);
	pmt_shutdown();
}

/* 64 KiB runs (arm64 contiguous bit, riscv64 Svnapot): an entry unlike entry 0, or entry 0 out of the run. */
static void test_runs(void **state)
{
	struct vmk_pmap *pm;
	vmk_paddr_t pas[16];
	vmk_pte_t *p0, *p5, e0, e5;
	struct vmk_pmap_mapping m;

	pmt_boot_arch(ARCH_OF(state));
	assert_int_equal(vmk_pmap_create(&pm), 0);
	for (unsigned int i = 0; i < 16; i++)
		pas[i] = PMT_DATA + i * VMK_PAGE_SIZE;
	assert_int_equal(vmk_pmap_enter_pages(pm, UVA, pas, 16, RW, 0), 0);
	assert_int_equal(vmk_pmap_extract(pm, UVA, &m), 0);
	assert_true(m.contiguous);
	p0 = leaf_at(pm, UVA, NULL);
	p5 = leaf_at(pm, UVA + 5 * VMK_PAGE_SIZE, NULL);
	expect_good(pm);
	/* Entry 5 loses its write permission: the run's entries disagree. */
	e5 = rewrite(p5, 0, VMK_PTE_A_WRITE, 0);
	expect_bad(pm, "entry 5");
	vmk_pmap__pte_store(p5, e5);
	/* Entry 0 made a plain leaf: entry 1 belongs to a run without a head. */
	e0 = vmk_pmap__pte_load(p0);
	vmk_pmap__pte_store(p0, A->unfold(e0, 0));
	expect_bad(pm, "entry 0 is not part of it");
	vmk_pmap__pte_store(p0, e0);
	expect_good(pm);
	assert_int_equal(vmk_pmap_remove(pm, UVA, UVA + 16 * VMK_PAGE_SIZE), 0);
	vmk_pmap_destroy(pm);
	pmt_shutdown();
}

/* Configurations vmk_pmap_bootstrap refuses before touching anything: the booted kernel pmap stays. */
static void test_bootstrap_refuses(void **state)
{
	struct vmk_pmap_config c, bad;
	struct vmk_pmap_stats s0, s1;

	pmt_boot_arch(ARCH_OF(state));
	pmt_map_stats(vmk_pmap_kernel(), &s0);
	memset(&c, 0, sizeof(c));
	c.arch = ARCH_OF(state);
	c.kva_start = pmt_kva();
	c.kva_end = pmt_kva() + (16ull << 30);
	assert_int_equal(vmk_pmap_bootstrap(NULL), -VMK_EINVAL);
	bad = c; bad.arch = (enum vmk_pmap_arch_id)9;
	assert_int_equal(vmk_pmap_bootstrap(&bad), -VMK_EINVAL);
	bad = c; bad.levels = 9;
	assert_int_equal(vmk_pmap_bootstrap(&bad), -VMK_EINVAL);
	bad = c; bad.kva_end = bad.kva_start;
	assert_int_equal(vmk_pmap_bootstrap(&bad), -VMK_EINVAL);
	bad = c; bad.kva_start = 0x1000;		/* the user half */
	assert_int_equal(vmk_pmap_bootstrap(&bad), -VMK_EINVAL);
	bad = c; bad.kva_start += 0x10;
	assert_int_equal(vmk_pmap_bootstrap(&bad), -VMK_EINVAL);
	bad = c; bad.kva_end += 0x10;
	assert_int_equal(vmk_pmap_bootstrap(&bad), -VMK_EINVAL);
	bad = c; bad.asid_bits = 17;
	assert_int_equal(vmk_pmap_bootstrap(&bad), -VMK_EINVAL);
	if (ARCH_OF(state) == VMK_PMAP_ARCH_X86_64) {
		bad = c; bad.asid_bits = 13;		/* x86 PCIDs are 12 bits */
		assert_int_equal(vmk_pmap_bootstrap(&bad), -VMK_EINVAL);
	}
	/* A temporary page that is misaligned or outside the kernel window is a bad configuration too. */
	bad = c; bad.tmp_va = c.kva_start + 0x10;
	assert_int_equal(vmk_pmap_bootstrap(&bad), -VMK_EINVAL);
	bad = c; bad.tmp_va = 0x1000;
	assert_int_equal(vmk_pmap_bootstrap(&bad), -VMK_EINVAL);
	bad = c; bad.tmp_va = c.kva_end;
	assert_int_equal(vmk_pmap_bootstrap(&bad), -VMK_EINVAL);
	assert_non_null(vmk_pmap_kernel());
	assert_int_equal(vmk_pmap_create(NULL), -VMK_EINVAL);
	pmt_map_stats(vmk_pmap_kernel(), &s1);
	assert_memory_equal(&s0, &s1, sizeof(s0));
	pmt_check(vmk_pmap_kernel());
	pmt_shutdown();
}

#define T(f) cmocka_unit_test_prestate(f, &x86), cmocka_unit_test_prestate(f, &arm), cmocka_unit_test_prestate(f, &rv)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_leaf_attributes),
		T(test_tables),
		T(test_counters),
		T(test_kernel),
		T(test_bad_arguments),
		T(test_bootstrap_refuses),
		cmocka_unit_test_prestate(test_runs, &arm),
		cmocka_unit_test_prestate(test_runs, &rv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
