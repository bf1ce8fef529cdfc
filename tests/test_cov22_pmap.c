/*
 * vmk_pmap_bootstrap with a temporary page (tmp_va): every allocation it
 * makes fails in turn (the N-th page-table allocation, N = 1, 2, ...
 * until it succeeds); each failure returns -VMK_ENOMEM, leaves no kernel
 * pmap and gives back every page it took, on x86-64 (one root) and on
 * arm64 (split roots: the empty user root too). The pmap that finally
 * boots maps through the temporary page's table without allocating.
 * The reverse-map queries for an address outside RAM, or before a kernel
 * pmap exists, answer "nothing" and change nothing; vmk_pmap_copy and
 * vmk_pmap_fault_ad refuse each bad argument, and fault_ad refuses a user
 * access to a kernel page and a kernel execution of a no-execute one.
 */
#include "pmap_util.h"

#define RW	(VMK_PROT_READ | VMK_PROT_WRITE)
#define UVA	0x0000000040000000ull
#define PG	VMK_PAGE_SIZE

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

/* pa in no phys segment: every reverse-map query answers "nothing". */
static void pv_queries_nothing(vmk_paddr_t pa)
{
	assert_int_equal(vmk_pmap_ts_referenced(pa), 0);
	assert_false(vmk_pmap_is_modified(pa));
	assert_false(vmk_pmap_is_referenced(pa));
	vmk_pmap_clear_modify(pa);
	vmk_pmap_remove_write(pa);
	assert_int_equal(vmk_pmap_remove_all(pa), 0);
}

static void test_pv_queries_refuse(void **state)
{
	struct vmk_pmap *pm, *out = (struct vmk_pmap *)0x1;
	struct vmk_pmap_stats s0, s1;
	struct vmk_pmap_config c;

	(void)state;
	pmt_boot_arch(VMK_PMAP_ARCH_X86_64);
	assert_int_equal(vmk_pmap_create(&pm), 0);
	assert_int_equal(vmk_pmap_enter(pm, UVA, PMT_DATA, RW, VMK_PMAP_ENTER_MANAGED | VMK_PMAP_ENTER_DIRTY), 0);
	pmt_map_stats(pm, &s0);
	pv_queries_nothing(1ull << 44);
	pmt_map_stats(pm, &s1);
	assert_memory_equal(&s0, &s1, sizeof(s0));
	/* The same calls for a managed, dirty page do see it (the refusal was the address). */
	assert_true(vmk_pmap_is_modified(PMT_DATA));
	assert_int_equal(vmk_pmap_remove(pm, UVA, UVA + PG), 0);
	vmk_pmap_destroy(pm);
	/* No kernel pmap (its bootstrap failed): the queries and pmap_create refuse. */
	memset(&c, 0, sizeof(c));
	c.arch = VMK_PMAP_ARCH_X86_64;
	c.kva_start = pmt_kva();
	c.kva_end = pmt_kva() + (16ull << 30);
	vmk_sim_fail_nth(1, "pmap.", true);
	assert_int_equal(vmk_pmap_bootstrap(&c), -VMK_ENOMEM);
	vmk_sim_fail_off();
	pv_queries_nothing(PMT_DATA);
	assert_int_equal(vmk_pmap_create(&out), -VMK_EINVAL);
	assert_ptr_equal(out, (struct vmk_pmap *)0x1);
	pmt_shutdown();
}

static void test_copy_refusals(void **state)
{
	struct vmk_pmap *a, *b, *k;
	struct vmk_pmap_stats s0, s1;

	(void)state;
	pmt_boot_arch(VMK_PMAP_ARCH_X86_64);
	k = vmk_pmap_kernel();
	assert_int_equal(vmk_pmap_create(&a), 0);
	assert_int_equal(vmk_pmap_create(&b), 0);
	/* Managed: vmk_pmap_copy copies managed mappings only. */
	assert_int_equal(vmk_pmap_enter(a, UVA, PMT_DATA, RW, VMK_PMAP_ENTER_MANAGED), 0);
	pmt_map_stats(b, &s0);
	assert_int_equal(vmk_pmap_copy(NULL, a, UVA, PG), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_copy(b, NULL, UVA, PG), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_copy(a, a, UVA, PG), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_copy(k, a, UVA, PG), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_copy(b, k, pmt_kva(), PG), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_copy(b, a, UVA, 0 - UVA + PG), -VMK_EINVAL);	/* end wraps */
	assert_int_equal(vmk_pmap_copy(b, a, UVA + 8, PG), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_copy(b, a, pmt_kva(), PG), -VMK_EINVAL);		/* kernel half */
	pmt_map_stats(b, &s1);
	assert_memory_equal(&s0, &s1, sizeof(s0));
	assert_int_equal(vmk_pmap_copy(b, a, UVA, PG), 0);
	pmt_map_stats(b, &s1);
	assert_int_equal(s1.resident, s0.resident + 1);
	pmt_check(b);
	assert_int_equal(vmk_pmap_remove(a, UVA, UVA + PG), 0);
	assert_int_equal(vmk_pmap_remove(b, UVA, UVA + PG), 0);
	vmk_pmap_destroy(a);
	vmk_pmap_destroy(b);
	pmt_shutdown();
}

static void test_fault_ad_refusals(void **state)
{
	struct vmk_pmap *pm, *k;
	vmk_vaddr_t kva;

	(void)state;
	pmt_boot_arch(VMK_PMAP_ARCH_X86_64);
	k = vmk_pmap_kernel();
	kva = pmt_kva() + PT_SIZE(2);
	assert_int_equal(vmk_pmap_create(&pm), 0);
	assert_int_equal(vmk_pmap_enter(k, kva, PMT_DATA, RW, VMK_PMAP_ENTER_WIRED), 0);
	assert_int_equal(vmk_pmap_fault_ad(NULL, kva, VMK_PROT_READ, false), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_fault_ad(pm, kva, VMK_PROT_READ, true), -VMK_EINVAL);	/* not in pm */
	/* A user access to a kernel page, a kernel execution of a no-execute page: real faults. */
	assert_int_equal(vmk_pmap_fault_ad(k, kva, VMK_PROT_READ, true), -VMK_EACCES);
	assert_int_equal(vmk_pmap_fault_ad(k, kva, VMK_PROT_EXEC, false), -VMK_EACCES);
	assert_int_equal(vmk_pmap_fault_ad(k, kva + PG, VMK_PROT_READ, false), -VMK_ENOENT);
	assert_int_equal(vmk_pmap_fault_ad(k, kva, VMK_PROT_WRITE, false), 0);
	pmt_check(k);
	assert_int_equal(vmk_pmap_remove(k, kva, kva + PG), 0);
	vmk_pmap_destroy(pm);
	pmt_shutdown();
}

/* An architecture vmkit does not know: no register value, no levels. */
static void test_unknown_arch(void **state)
{
	(void)state;
	assert_true(vmk_pmap_memattr_reg((enum vmk_pmap_arch_id)9) == 0);
	assert_int_equal(vmk_pmap_default_levels((enum vmk_pmap_arch_id)9), 0);
	assert_int_equal(vmk_pmap_default_levels(VMK_PMAP_ARCH_X86_64), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bootstrap_sweep_x86),
		cmocka_unit_test(test_bootstrap_sweep_arm64),
		cmocka_unit_test(test_pv_queries_refuse),
		cmocka_unit_test(test_copy_refusals),
		cmocka_unit_test(test_fault_ad_refusals),
		cmocka_unit_test(test_unknown_arch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
