/*
 * vmk_pmap_enter's fast path (src/pmap/enter.c enter_fast): an unmanaged
 * page into an empty entry of the cached level-0 table is entered without
 * the general path. Whatever takes it, the result must be the general
 * path's: the no-promote range's bit, the wired count, the table's
 * reference count, promotion of a full table, the kernel's reserve; and
 * what it must not take (a mark kept by address, a managed page, a
 * NOREPLACE enter, an entry already valid) goes the general way.
 */
#include "pmap_util.h"
#include "../src/pmap/pmap_internal.h"

#define ARCH_OF(state) (*(enum vmk_pmap_arch_id *)*(state))
#define UVA	0x0000000040000000ull
#define RW	(VMK_PROT_READ | VMK_PROT_WRITE)
#define S2M	PT_SIZE(1)

static enum vmk_pmap_arch_id x86 = VMK_PMAP_ARCH_X86_64, arm = VMK_PMAP_ARCH_ARM64, rv = VMK_PMAP_ARCH_RISCV64;

/* pmt_drop_user, then the machine goes. */
static void drop_user(struct vmk_pmap *u)
{
	pmt_drop_user(u);
	pmt_shutdown();
}

/* Pages entered one by one into a no-promote range: every one carries the bit, the full table stays. */
static void test_no_promote_range(void **state)
{
	struct vmk_pmap *u = pmt_boot_user(ARCH_OF(state));
	struct vmk_pmap_stats st;

	assert_int_equal(vmk_pmap_protect_bbm(u, UVA, S2M, VMK_PMAP_BBM_NOPROMOTE), 0);
	for (unsigned int i = 0; i < 512; i++)
		assert_int_equal(vmk_pmap_enter(u, UVA + i * 4096ull, PMT_DATA + i * 4096ull, RW, 0), 0);
	for (unsigned int i = 0; i < 512; i++) {
		struct vmk_pmap_mapping m = pmt_extract(u, UVA + i * 4096ull);

		assert_true(m.size == 4096 && m.nopromote);
	}
	vmk_pmap_stats(u, &st);
	assert_int_equal(st.promotions, 0);
	assert_int_equal(st.mappings[0], 512);
	drop_user(u);
}

/* Outside such a range the same table is promoted when full, as by the general path. */
static void test_full_table_promoted(void **state)
{
	struct vmk_pmap *u = pmt_boot_user(ARCH_OF(state));
	struct vmk_pmap_stats st;

	for (unsigned int i = 0; i < 512; i++)
		assert_int_equal(vmk_pmap_enter(u, UVA + i * 4096ull, PMT_DATA + i * 4096ull, RW, 0), 0);
	vmk_pmap_stats(u, &st);
	assert_int_equal(st.promotions, 1);
	assert_true(pmt_extract(u, UVA + 4096).size == S2M);
	drop_user(u);
}

/* Wired pages are counted, the table's count follows its entries, the checker agrees. */
static void test_wired_and_counts(void **state)
{
	struct vmk_pmap *u = pmt_boot_user(ARCH_OF(state));
	struct vmk_pmap_stats st;
	vmk_paddr_t t = 0;

	for (unsigned int i = 0; i < 5; i++)
		assert_int_equal(vmk_pmap_enter(u, UVA + i * 4096ull, PMT_DATA + i * 4096ull, RW,
						i % 2 ? VMK_PMAP_ENTER_WIRED : 0), 0);
	vmk_pmap_stats(u, &st);
	assert_int_equal(st.wired, 2);
	assert_int_equal(st.resident, 5);
	assert_non_null(vmk_pmap__entry_at(u, UVA, 0, &t));
	assert_int_equal(vmk_pa_to_page(t)->ref_count, 5);
	pmt_check(u);
	/* Entered again (valid entries: the general path), nothing is counted twice. */
	for (unsigned int i = 0; i < 5; i++)
		assert_int_equal(vmk_pmap_enter(u, UVA + i * 4096ull, PMT_DATA + i * 4096ull, RW,
						VMK_PMAP_ENTER_WIRED), 0);
	vmk_pmap_stats(u, &st);
	assert_int_equal(st.wired, 5);
	assert_int_equal(st.resident, 5);
	assert_int_equal(vmk_pa_to_page(t)->ref_count, 5);
	/* NOREPLACE over a valid entry still fails, over an empty one succeeds. */
	assert_int_equal(vmk_pmap_enter(u, UVA, PMT_DATA + 0x100000, RW, VMK_PMAP_ENTER_NOREPLACE), -VMK_EEXIST);
	assert_int_equal(vmk_pmap_enter(u, UVA + 9 * 4096ull, PMT_DATA, RW, VMK_PMAP_ENTER_NOREPLACE), 0);
	assert_int_equal(vmk_pa_to_page(t)->ref_count, 6);
	drop_user(u);
}

/* No-promote pages outside a range: riscv64 records a mark by address (general path) for each. */
static void test_marked_pages(void **state)
{
	struct vmk_pmap *u = pmt_boot_user(ARCH_OF(state));

	for (unsigned int i = 0; i < 4; i++)
		assert_int_equal(vmk_pmap_enter(u, UVA + i * 4096ull, PMT_DATA + i * 4096ull, RW,
						i % 2 ? VMK_PMAP_ENTER_NOPROMOTE : 0), 0);
	for (unsigned int i = 0; i < 4; i++)
		assert_int_equal(pmt_extract(u, UVA + i * 4096ull).nopromote, i % 2 == 1);
	drop_user(u);
}

/* Kernel pages: the reserve stays full, the checker agrees. */
static void test_kernel_pages(void **state)
{
	struct vmk_pmap *k;
	struct vmk_pmap_stats st;
	vmk_vaddr_t kva;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	kva = pmt_kva() + PT_SIZE(2);
	for (unsigned int i = 0; i < 64; i++)
		assert_int_equal(vmk_pmap_enter(k, kva + i * 4096ull, PMT_DATA + i * 4096ull, RW, 0), 0);
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.reserve_ptps, VMK_PMAP_KPOOL);
	pmt_check(k);
	assert_int_equal(vmk_pmap_remove(k, kva, kva + 64 * 4096ull), 0);
	pmt_check(k);
	pmt_shutdown();
}

#define T(f) cmocka_unit_test_prestate(f, &x86), cmocka_unit_test_prestate(f, &arm), cmocka_unit_test_prestate(f, &rv)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_no_promote_range),
		T(test_full_table_promoted),
		T(test_wired_and_counts),
		T(test_marked_pages),
		T(test_kernel_pages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
