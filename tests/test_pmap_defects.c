/*
 * The pmap defects of issue 8, one test each (each failed before its
 * fix): NOREPLACE refuses before changing anything, kernel NOREPLACE over
 * an all-zero PTP, qenter/qremove and the wired count, qenter in a
 * no-promote range, destroying an active pmap, promotion spreading
 * dirty/accessed state, accessed/dirty lost on a same-page attribute
 * change, uncounted failed promotions.
 */
#include "pmap_util.h"
#include "../src/pmap/pmap_internal.h"

#define ARCH_OF(state) (*(enum vmk_pmap_arch_id *)*(state))
#define UVA 0x0000000040000000ull	/* 1 GiB aligned */
#define RW (VMK_PROT_READ | VMK_PROT_WRITE)
#define M VMK_PMAP_ENTER_MANAGED
#define NOREP VMK_PMAP_ENTER_NOREPLACE
#define S2M PT_SIZE(1)
#define S1G PT_SIZE(2)

static enum vmk_pmap_arch_id x86 = VMK_PMAP_ARCH_X86_64, arm = VMK_PMAP_ARCH_ARM64, rv = VMK_PMAP_ARCH_RISCV64;

/* pmt_snap_take with the TLB invalidation counters in the statistics: these failures invalidate nothing. */
static void take(struct vmk_pmap *pm, struct pmt_snap *s)
{
	pmt_snap_take(pm, s);
	vmk_pmap_stats(pm, &s->st);
}

/* 1. A 4 KiB NOREPLACE enter inside a user 2 MiB block: -EEXIST, the block not demoted. */
static void test_noreplace_user_block_not_demoted(void **state)
{
	struct vmk_pmap *pm;
	struct vmk_pmap_mapping m;
	struct pmt_snap a, b;

	pmt_boot_arch(ARCH_OF(state));
	pm = pmt_user(true);
	assert_int_equal(vmk_pmap_enter_large(pm, UVA, PMT_DATA, S2M, RW, M), 0);
	take(pm, &a);
	assert_int_equal(vmk_pmap_enter(pm, UVA + 0x3000, PMT_DATA + S1G, RW, M | NOREP), -VMK_EEXIST);
	take(pm, &b);
	pmt_snap_same(&a, &b);	/* was: one more PTP, 511 more PV entries, a demotion */
	assert_int_equal(vmk_pmap_extract(pm, UVA + 0x3000, &m), 0);
	assert_true(m.size == S2M && m.pa == PMT_DATA + 0x3000);
	pmt_drop_user(pm);
	pmt_shutdown();
}

/* 1. The same over a no-promote block (kernel and user): -EEXIST, not a panic. */
static void test_noreplace_nopromote_block_no_panic(void **state)
{
	struct vmk_pmap *pm, *k;
	struct pmt_snap a, b;
	vmk_vaddr_t kva;
	volatile int r = 0;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	kva = pmt_kva() + 8 * S2M;
	pm = pmt_user(true);
	assert_int_equal(vmk_pmap_enter_large(pm, UVA, PMT_DATA, S2M, RW, VMK_PMAP_ENTER_NOPROMOTE), 0);
	assert_int_equal(vmk_pmap_enter_large(k, kva, PMT_DATA, S2M, RW, VMK_PMAP_ENTER_NOPROMOTE), 0);
	take(pm, &a);
	assert_false(VMK_SIM_TRY_PANIC(r = vmk_pmap_enter(pm, UVA + 0x5000, PMT_DATA, RW, NOREP)));
	assert_int_equal(r, -VMK_EEXIST);
	take(pm, &b);
	pmt_snap_same(&a, &b);
	take(k, &a);
	assert_false(VMK_SIM_TRY_PANIC(r = vmk_pmap_enter(k, kva + 0x5000, PMT_DATA, RW, NOREP)));
	assert_int_equal(r, -VMK_EEXIST);
	take(k, &b);
	pmt_snap_same(&a, &b);
	pmt_check(k);
	pmt_drop_user(pm);
	pmt_shutdown();
}

/*
 * 1. A managed 2 MiB enter inside an unmanaged 1 GiB block whose PV entry
 * cannot be had: the 1 GiB block was demoted first and then the enter
 * failed. Swept over every allocation: each failure leaves the tables
 * bit for bit as they were.
 */
static void test_enter_large_fails_before_demoting(void **state)
{
	struct vmk_pmap *pm;
	struct vmk_pmap_mapping m;
	struct pmt_snap a, b;
	int r = -VMK_ENOMEM;

	pmt_boot_arch(ARCH_OF(state));
	pm = pmt_user(true);
	assert_int_equal(vmk_pmap_enter_large(pm, UVA, PMT_DATA, S1G, RW, 0), 0);
	/* The PV chunk first (the case the review found), then every allocation in turn. */
	take(pm, &a);
	vmk_sim_fail_nth(0, "pmap.pv_chunk", false);
	r = vmk_pmap_enter_large(pm, UVA + S2M, PMT_DATA, S2M, RW, M);
	vmk_sim_fail_off();
	assert_int_equal(r, -VMK_ENOMEM);
	take(pm, &b);
	pmt_snap_same(&a, &b);
	r = -VMK_ENOMEM;
	for (unsigned long n = 0; r == -VMK_ENOMEM; n++) {
		assert_true(n < 16);
		take(pm, &a);
		vmk_sim_fail_nth(n, "pmap", false);
		r = vmk_pmap_enter_large(pm, UVA + S2M, PMT_DATA, S2M, RW, M);
		vmk_sim_fail_off();
		pmt_check(pm);
		if (r == 0)
			break;
		assert_int_equal(r, -VMK_ENOMEM);
		take(pm, &b);
		pmt_snap_same(&a, &b);
		assert_int_equal(vmk_pmap_extract(pm, UVA + S2M, &m), 0);
		assert_true(m.size == S1G && !m.managed);
	}
	assert_int_equal(vmk_pmap_extract(pm, UVA + S2M, &m), 0);
	assert_true(m.size == S2M && m.managed && m.pa == PMT_DATA);
	pmt_drop_user(pm);
	pmt_shutdown();
}

/* The kernel PTP mapping va at level 0 (its page record). */
static struct vmk_page *leaf_ptp(struct vmk_pmap *k, vmk_vaddr_t va)
{
	vmk_pte_t *p = vmk_pmap__entry_at(k, va, 1, NULL);

	assert_non_null(p);
	assert_true(vmk_pmap__g.arch->is_table(*p, 1));
	return vmk_pa_to_page(vmk_pmap__g.arch->pa_of(*p, 1));
}

/*
 * 2. A kernel 2 MiB NOREPLACE enter over a kernel PTP of zeros succeeds
 * (FreeBSD D22763, pmap_every_pte_zero): kernel PTPs are never freed, so
 * refusing kept KVA once mapped with 4 KiB pages from ever taking a block
 * again. The PTP becomes the block's spare with its fixed count; nothing
 * is allocated.
 */
static void test_kernel_noreplace_over_zero_ptp(void **state)
{
	struct vmk_pmap *k;
	struct vmk_pmap_mapping m;
	struct vmk_page *ptp;
	struct pmt_snap a, b;
	vmk_vaddr_t kva;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	kva = pmt_kva() + 6 * S2M;
	assert_int_equal(vmk_pmap_enter(k, kva + 0x3000, PMT_DATA, RW, 0), 0);
	assert_int_equal(vmk_pmap_remove(k, kva, kva + S2M), 0);
	ptp = leaf_ptp(k, kva);
	take(k, &a);
	assert_int_equal(vmk_pmap_enter_large(k, kva, PMT_DATA, S2M, RW, NOREP), 0);
	take(k, &b);
	assert_int_equal(b.ptp, a.ptp);
	assert_int_equal(b.alloc, a.alloc);
	assert_int_equal(b.st.ptps, a.st.ptps - 1);
	assert_int_equal(b.st.spare_ptps, a.st.spare_ptps + 1);
	assert_int_equal(ptp->ref_count, VMK_PMAP_KPTP_REF);
	assert_true(vmk_pmap__spare_has(k, kva, 1));
	assert_int_equal(vmk_pmap_extract(k, kva + 0x3000, &m), 0);
	assert_true(m.size == S2M && m.pa == PMT_DATA + 0x3000);
	pmt_check(k);
	/* Demoting it again needs nothing: the saved PTP comes back. */
	take(k, &a);
	vmk_sim_fail_nth(0, NULL, true);
	assert_int_equal(vmk_pmap_demote(k, kva), 0);
	vmk_sim_fail_off();
	take(k, &b);
	assert_int_equal(b.ptp, a.ptp);
	assert_true(leaf_ptp(k, kva) == ptp);
	pmt_check(k);
	pmt_shutdown();
}

/* 3. qenter over, and qremove of, a wired kernel page keep the wired count. */
static void test_qenter_qremove_keep_wired_count(void **state)
{
	struct vmk_pmap *k;
	struct vmk_pmap_stats st0, st;
	vmk_vaddr_t kva;
	vmk_paddr_t pa = PMT_DATA + 0x7000;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	kva = pmt_kva() + 10 * S2M;
	vmk_pmap_stats(k, &st0);
	assert_int_equal(vmk_pmap_enter(k, kva, PMT_DATA, RW, VMK_PMAP_ENTER_WIRED), 0);
	assert_int_equal(vmk_pmap_enter(k, kva + 0x1000, PMT_DATA, RW, VMK_PMAP_ENTER_WIRED), 0);
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.wired, st0.wired + 2);
	assert_int_equal(vmk_pmap_qenter(kva, &pa, 1), 0);	/* replaces a wired page by an unwired one */
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.wired, st0.wired + 1);
	pmt_check(k);
	vmk_pmap_qremove(kva + 0x1000, 1);			/* removes a wired page */
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.wired, st0.wired);
	pmt_check(k);
	vmk_pmap_qremove(kva, 1);
	pmt_check(k);
	pmt_shutdown();
}

/*
 * 3/4. qremove removes only what qenter makes. Over a no-promote range
 * mapped by a 2 MiB block it returned silently with the page still
 * mapped; over a managed page it left the PV entry behind. Both panic
 * now, with nothing changed.
 */
static void test_qremove_refuses_what_qenter_did_not_make(void **state)
{
	struct vmk_pmap *k;
	struct vmk_pmap_mapping m;
	struct pmt_snap a, b;
	vmk_vaddr_t kva;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	kva = pmt_kva() + 16 * S2M;
	assert_int_equal(vmk_pmap_protect_bbm(k, kva, S2M, VMK_PMAP_BBM_NOPROMOTE), 0);
	assert_int_equal(vmk_pmap_enter_large(k, kva, PMT_DATA, S2M, RW, 0), 0);
	take(k, &a);
	assert_true(VMK_SIM_TRY_PANIC(vmk_pmap_qremove(kva + 0x3000, 1)));
	assert_non_null(strstr(vmk_sim_panic_msg(), "mapped by a block"));
	take(k, &b);
	pmt_snap_same(&a, &b);
	assert_int_equal(vmk_pmap_extract(k, kva + 0x3000, &m), 0);
	/* A managed page: the first page is qenter's, the second not; neither goes. */
	assert_int_equal(vmk_pmap_growkernel(kva + S2M, kva + 2 * S2M), 0);
	{
		vmk_paddr_t pa = PMT_DATA + S2M;

		assert_int_equal(vmk_pmap_qenter(kva + S2M, &pa, 1), 0);
	}
	assert_int_equal(vmk_pmap_enter(k, kva + S2M + 0x1000, PMT_DATA + S2M + 0x1000, RW, M), 0);
	take(k, &a);
	assert_true(VMK_SIM_TRY_PANIC(vmk_pmap_qremove(kva + S2M, 2)));
	assert_non_null(strstr(vmk_sim_panic_msg(), "managed"));
	take(k, &b);
	pmt_snap_same(&a, &b);
	pmt_check(k);
	pmt_shutdown();
}

/*
 * 4. A page marked no-promote before it is mapped, then mapped with
 * qenter: an ordinary enter completing its table must not promote it
 * (seed 004: the per-CPU area must never be under break-before-make).
 */
static void test_qenter_honours_nopromote_range(void **state)
{
	struct vmk_pmap *k;
	struct vmk_pmap_mapping m;
	struct vmk_pmap_stats st;
	vmk_vaddr_t kva;
	vmk_paddr_t pa;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	kva = pmt_kva() + 12 * S2M;
	assert_int_equal(vmk_pmap_growkernel(kva, kva + S2M), 0);
	assert_int_equal(vmk_pmap_protect_bbm(k, kva + 0x40000, 0x1000, VMK_PMAP_BBM_NOPROMOTE), 0);
	pa = PMT_DATA + 0x40000;
	assert_int_equal(vmk_pmap_qenter(kva + 0x40000, &pa, 1), 0);
	assert_int_equal(vmk_pmap_extract(k, kva + 0x40000, &m), 0);
	assert_true(m.nopromote);
	/* The rest of the table, same attributes as qenter's, contiguous: promotable but for that page. */
	for (unsigned int i = 0; i < 512; i++)
		if (i != 0x40)
			assert_int_equal(vmk_pmap_enter(k, kva + i * 4096ull, PMT_DATA + i * 4096ull, RW, 0), 0);
	assert_int_equal(vmk_pmap_extract(k, kva + 0x40000, &m), 0);
	assert_true(m.size == 4096u);
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.promotions, 0);
	assert_true(st.promotion_failures >= 1);
	pmt_check(k);
	pmt_shutdown();
}

/* 4. try_promote consults the range itself, not only the leaves' bit. */
static void test_try_promote_consults_range(void **state)
{
	struct vmk_pmap *k;
	struct vmk_pmap_mapping m;
	vmk_vaddr_t kva;
	vmk_pte_t *p;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	kva = pmt_kva() + 14 * S2M;
	assert_int_equal(vmk_pmap_protect_bbm(k, kva + 0x1000, 0x1000, VMK_PMAP_BBM_NOPROMOTE), 0);
	for (unsigned int i = 0; i < 511; i++)
		assert_int_equal(vmk_pmap_enter(k, kva + i * 4096ull, PMT_DATA + i * 4096ull, RW, 0), 0);
	/* A leaf in the range without the bit (as qenter used to make): clear it by hand. */
	p = vmk_pmap__entry_at(k, kva + 0x1000, 0, NULL);
	*p = vmk_pmap__g.arch->make_leaf(PMT_DATA + 0x1000, 0,
					  vmk_pmap__g.arch->attrs_of(*p, 0) & ~(uint32_t)VMK_PTE_A_NOPROMOTE);
	assert_int_equal(vmk_pmap_enter(k, kva + 511 * 4096ull, PMT_DATA + 511 * 4096ull, RW, 0), 0);
	assert_int_equal(vmk_pmap_extract(k, kva, &m), 0);
	assert_true(m.size == 4096u);
	pmt_shutdown();
}

/* 5. Destroying a pmap whose root a CPU still uses is refused. */
static void test_destroy_active_refused(void **state)
{
	struct pmt_opts o = { .arch = ARCH_OF(state), .ncpus = 2 };
	struct vmk_pmap *pm;

	pmt_boot(&o);
	pm = pmt_user(true);
	assert_int_equal(vmk_pmap_enter(pm, UVA, PMT_DATA, RW, M), 0);
	assert_panics(vmk_pmap_destroy(pm), "active");
	vmk_pmap_activate(pm, 1);
	vmk_pmap_activate(vmk_pmap_kernel(), 0);
	assert_panics(vmk_pmap_destroy(pm), "active");	/* still on cpu 1 */
	pmt_check(pm);
	vmk_pmap_activate(vmk_pmap_kernel(), 1);
	vmk_pmap_destroy(pm);
	pmt_shutdown();
}

/*
 * 6. 512 clean writable managed pages, one written: promotion would make
 * the block dirty, every page "modified". It is refused (and counted);
 * the written page alone is modified. The same for accessed state.
 */
static void test_promotion_does_not_spread_dirty(void **state)
{
	struct vmk_pmap *pm;
	struct vmk_pmap_mapping m;
	struct vmk_pmap_stats st;

	pmt_boot_arch(ARCH_OF(state));
	pm = pmt_user(true);
	for (unsigned int i = 0; i < 511; i++)
		assert_int_equal(vmk_pmap_enter(pm, UVA + i * 4096ull, PMT_DATA + i * 4096ull, RW, M), 0);
	assert_int_equal(vmk_sim_mmu_access(0, UVA + 5 * 4096ull, VMK_MMU_WRITE | VMK_MMU_USER, NULL), 0);
	assert_int_equal(vmk_pmap_enter(pm, UVA + 511 * 4096ull, PMT_DATA + 511 * 4096ull, RW, M), 0);
	assert_int_equal(vmk_pmap_extract(pm, UVA, &m), 0);
	assert_true(m.size == 4096u);
	vmk_pmap_stats(pm, &st);
	assert_int_equal(st.promotions, 0);
	assert_int_equal(st.promotion_failures, 1);
	assert_true(vmk_pmap_is_modified(PMT_DATA + 5 * 4096ull));
	assert_false(vmk_pmap_is_modified(PMT_DATA + 100 * 4096ull));
	pmt_check(pm);
	/* Another 2 MiB: all clean, one page's accessed bit cleared. */
	for (unsigned int i = 0; i < 511; i++)
		assert_int_equal(vmk_pmap_enter(pm, UVA + S2M + i * 4096ull, PMT_DATA + S2M + i * 4096ull, RW, M), 0);
	assert_int_equal(vmk_pmap_ts_referenced(PMT_DATA + S2M + 7 * 4096ull), 1);
	assert_int_equal(vmk_pmap_enter(pm, UVA + S2M + 511 * 4096ull, PMT_DATA + S2M + 511 * 4096ull, RW, M), 0);
	assert_int_equal(vmk_pmap_extract(pm, UVA + S2M, &m), 0);
	assert_true(m.size == 4096u);
	assert_false(vmk_pmap_is_referenced(PMT_DATA + S2M + 7 * 4096ull));
	assert_false(vmk_pmap_is_modified(PMT_DATA + S2M + 7 * 4096ull));
	/* Accessed again: all alike, all clean: promoted, clean. */
	assert_int_equal(vmk_sim_mmu_access(0, UVA + S2M + 7 * 4096ull, VMK_MMU_READ | VMK_MMU_USER, NULL), 0);
	assert_int_equal(vmk_pmap_enter(pm, UVA + S2M + 511 * 4096ull, PMT_DATA + S2M + 511 * 4096ull, RW, M), 0);
	assert_int_equal(vmk_pmap_extract(pm, UVA + S2M, &m), 0);
	assert_true(m.size == S2M && !m.dirty && m.accessed);
	assert_false(vmk_pmap_is_modified(PMT_DATA + S2M + 9 * 4096ull));
	pmt_drop_user(pm);
	pmt_shutdown();
}

/*
 * 7. A same-page enter that changes the memory type goes through
 * break-before-make; a write by another CPU between the enter's read of
 * the entry and the break sets dirty, which the entry returned by the
 * break carries: it must not be lost. arm64 (x86 changes it in place).
 * The other CPU writes just before the rendezvous parks it.
 */
static struct vmk_platform *hook_plat;
static void (*hook_orig)(void *ctx, vmk_rendezvous_fn fn, void *arg);
static vmk_vaddr_t hook_va;

static void write_then_park(void *ctx, vmk_rendezvous_fn fn, void *arg)
{
	assert_int_equal(vmk_sim_mmu_access(1, hook_va, VMK_MMU_WRITE | VMK_MMU_USER, NULL), 0);
	hook_orig(ctx, fn, arg);
}

static void test_attr_change_keeps_late_dirty(void **state)
{
	struct pmt_opts o = { .arch = VMK_PMAP_ARCH_ARM64, .ncpus = 2 };
	struct vmk_pmap *pm;
	struct vmk_pmap_mapping m;

	(void)state;
	pmt_boot(&o);
	pm = pmt_user(true);
	vmk_pmap_activate(pm, 1);
	hook_va = UVA + 0x3000;
	assert_int_equal(vmk_pmap_protect_bbm(pm, hook_va, 0x1000, VMK_PMAP_BBM_RENDEZVOUS), 0);
	assert_int_equal(vmk_pmap_enter(pm, hook_va, PMT_DATA, RW, M), 0);
	assert_int_equal(vmk_pmap_extract(pm, hook_va, &m), 0);
	assert_false(m.dirty);
	hook_plat = vmk_sim_platform();
	hook_orig = hook_plat->rendezvous;
	hook_plat->rendezvous = write_then_park;
	assert_int_equal(vmk_pmap_enter(pm, hook_va, PMT_DATA, RW, M | VMK_PMAP_MEMTYPE(VMK_MEMTYPE_WC)), 0);
	hook_plat->rendezvous = hook_orig;
	assert_int_equal(vmk_pmap_extract(pm, hook_va, &m), 0);
	assert_true(m.memtype == VMK_MEMTYPE_WC);
	assert_true(m.dirty);
	assert_true(vmk_pmap_is_modified(PMT_DATA));
	/* Read-only now: the dirty state moves to the page. */
	assert_int_equal(vmk_pmap_enter(pm, hook_va, PMT_DATA, VMK_PROT_READ, M), 0);
	assert_int_equal(vmk_pmap_extract(pm, hook_va, &m), 0);
	assert_false(m.dirty);
	assert_true(vmk_pmap_is_modified(PMT_DATA));
	vmk_pmap_activate(vmk_pmap_kernel(), 1);
	pmt_drop_user(pm);
	pmt_shutdown();
}

/* 8. A promotion attempt on a kernel table with a hole in the middle is counted. */
static void test_failed_promotion_with_hole_counted(void **state)
{
	struct vmk_pmap *k;
	struct vmk_pmap_stats st0, st;
	vmk_vaddr_t kva;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	kva = pmt_kva() + 16 * S2M;
	vmk_pmap_stats(k, &st0);
	/* Everything but entry 100, the first one last: the enter of entry 0 sees a full-looking table. */
	for (unsigned int i = 511; i > 0; i--)
		if (i != 100)
			assert_int_equal(vmk_pmap_enter(k, kva + i * 4096ull, PMT_DATA + i * 4096ull, RW, 0), 0);
	vmk_pmap_stats(k, &st);
	assert_true(st.promotion_failures == st0.promotion_failures);
	assert_int_equal(vmk_pmap_enter(k, kva, PMT_DATA, RW, 0), 0);
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.promotions, st0.promotions);
	assert_int_equal(st.promotion_failures, st0.promotion_failures + 1);
	pmt_check(k);
	pmt_shutdown();
}

#define T(f) cmocka_unit_test_prestate(f, &x86), cmocka_unit_test_prestate(f, &arm), cmocka_unit_test_prestate(f, &rv)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_noreplace_user_block_not_demoted),
		T(test_noreplace_nopromote_block_no_panic),
		T(test_enter_large_fails_before_demoting),
		T(test_kernel_noreplace_over_zero_ptp),
		T(test_qenter_qremove_keep_wired_count),
		T(test_qremove_refuses_what_qenter_did_not_make),
		T(test_qenter_honours_nopromote_range),
		T(test_try_promote_consults_range),
		T(test_destroy_active_refused),
		T(test_promotion_does_not_spread_dirty),
		cmocka_unit_test_prestate(test_attr_change_keeps_late_dirty, &arm),
		T(test_failed_promotion_with_hole_counted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
