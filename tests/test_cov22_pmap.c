/*
 * vmk_pmap_bootstrap with a temporary page (tmp_va): every allocation it
 * makes fails in turn (the N-th page-table allocation, N = 1, 2, ...
 * until it succeeds); each failure returns -VMK_ENOMEM, leaves no kernel
 * pmap and gives back every page it took, on x86-64 (one root) and on
 * arm64 (split roots: the empty user root too). The pmap that finally
 * boots maps through the temporary page's table without allocating.
 */
#include "pmap_util.h"

static void free_pages(uint64_t *free)
{
	struct vmk_phys_stats st;

	vmk_phys_drain_all_quiescent();
	vmk_phys_get_stats(&st);
	*free = st.free;
}

static void bootstrap_sweep(enum vmk_pmap_arch_id arch)
{
	struct vmk_pmap_config c;
	uint64_t before, after;
	unsigned int n;
	int r = -1;

	pmt_boot_arch(arch);
	memset(&c, 0, sizeof(c));
	c.arch = arch;
	c.nx = true;
	c.kva_start = pmt_kva();
	c.kva_end = pmt_kva() + (16ull << 30);
	c.tmp_va = c.kva_start + (8ull << 30);
	for (n = 1; n < 64 && r != 0; n++) {
		free_pages(&before);
		vmk_sim_fail_nth(n, "pmap.", false);
		r = vmk_pmap_bootstrap(&c);
		vmk_sim_fail_off();
		if (r == 0)
			break;
		assert_int_equal(r, -VMK_ENOMEM);
		assert_null(vmk_pmap_kernel());
		free_pages(&after);
		if (after != before)
			fail_msg("%s: bootstrap failing at allocation %u kept %lld pages",
				 arch == VMK_PMAP_ARCH_ARM64 ? "arm64" : "x86-64", n,
				 (long long)(before - after));
	}
	assert_int_equal(r, 0);
	/* Root, the user root on arm64, and the temporary page's tables: at least three allocations. */
	assert_true(n >= 3);
	assert_non_null(vmk_pmap_kernel());
	pmt_shutdown();
}

static void test_bootstrap_sweep_x86(void **state)
{
	(void)state;
	bootstrap_sweep(VMK_PMAP_ARCH_X86_64);
}

static void test_bootstrap_sweep_arm64(void **state)
{
	(void)state;
	bootstrap_sweep(VMK_PMAP_ARCH_ARM64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bootstrap_sweep_x86),
		cmocka_unit_test(test_bootstrap_sweep_arm64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
