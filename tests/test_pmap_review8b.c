/*
 * Review of issue 8's pmap changes (second pass): each test failed
 * before its fix.
 */
#include "pmap_util.h"
#include "../src/pmap/pmap_internal.h"

#define ARCH_OF(state) (*(enum vmk_pmap_arch_id *)*(state))
#define RW (VMK_PROT_READ | VMK_PROT_WRITE)
#define S2M PT_SIZE(1)

static enum vmk_pmap_arch_id x86 = VMK_PMAP_ARCH_X86_64, arm = VMK_PMAP_ARCH_ARM64, rv = VMK_PMAP_ARCH_RISCV64;

/*
 * qenter makes the same leaves as an ordinary unmanaged kernel enter, so
 * a table of qentered pages completed by one vmk_pmap_enter is promoted
 * (test_pmap_defects relies on that). The caller did nothing wrong, and
 * qremove of its own qentered pages must unmap them, not panic with
 * "mapped by a block". The promoted block has its old PTP as a spare, so
 * qremove demotes it without allocating.
 */
static void test_qremove_after_promotion_of_qentered_pages(void **state)
{
	struct vmk_pmap *k;
	struct vmk_pmap_mapping m;
	struct vmk_pmap_stats st0, st;
	vmk_paddr_t pas[511];
	vmk_vaddr_t kva;
	uint64_t ptp0;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	kva = pmt_kva() + 14 * S2M;
	assert_int_equal(vmk_pmap_growkernel(kva, kva + S2M), 0);
	for (unsigned int i = 0; i < 511; i++)
		pas[i] = PMT_DATA + i * 4096ull;
	assert_int_equal(vmk_pmap_qenter(kva, pas, 511), 0);
	vmk_pmap_stats(k, &st0);
	assert_int_equal(vmk_pmap_enter(k, kva + 511 * 4096ull, PMT_DATA + 511 * 4096ull, RW, 0), 0);
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.promotions, st0.promotions + 1);
	ptp0 = pmt_alloc_pages();
	assert_false(VMK_SIM_TRY_PANIC(vmk_pmap_qremove(kva, 511)));
	for (unsigned int i = 0; i < 511; i += 100)
		assert_int_equal(vmk_pmap_extract(k, kva + i * 4096ull, &m), -VMK_ENOENT);
	assert_int_equal(vmk_pmap_extract(k, kva + 511 * 4096ull, &m), 0);
	assert_true(m.pa == PMT_DATA + 511 * 4096ull && m.size == 4096);
	assert_int_equal(pmt_alloc_pages(), ptp0);	/* the spare, no allocation */
	pmt_check(k);
	pmt_shutdown();
}

#define T(f) cmocka_unit_test_prestate(f, &x86), cmocka_unit_test_prestate(f, &arm), cmocka_unit_test_prestate(f, &rv)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_qremove_after_promotion_of_qentered_pages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
