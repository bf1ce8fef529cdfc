/*
 * Regression tests from the adversarial review of the pmap (each failed
 * before its fix): spare PTPs of 2 MiB blocks inside a removed 1 GiB
 * block, failure atomicity of a replacing 2 MiB enter, addresses beyond
 * the descriptor field in qenter.
 */
#include "pmap_util.h"
#include "../src/pmap/pmap_internal.h"

#define ARCH_OF(state) (*(enum vmk_pmap_arch_id *)*(state))
#define UVA 0x0000000040000000ull	/* 1 GiB aligned */
#define RW (VMK_PROT_READ | VMK_PROT_WRITE)
#define M VMK_PMAP_ENTER_MANAGED
#define KS VMK_PMAP_ENTER_KEEP_SPARE
#define S2M PT_SIZE(1)
#define S1G PT_SIZE(2)

static enum vmk_pmap_arch_id x86 = VMK_PMAP_ARCH_X86_64, arm = VMK_PMAP_ARCH_ARM64, rv = VMK_PMAP_ARCH_RISCV64;

/* Map [va, va + 2 MiB) -> [pa, pa + 2 MiB) with 4 KiB pages (promoted to a block). */
static void fill_2m_4k(struct vmk_pmap *pm, vmk_vaddr_t va, vmk_paddr_t pa, uint32_t flags)
{
	static vmk_paddr_t pas[512];

	for (unsigned int i = 0; i < 512; i++)
		pas[i] = pa + i * 4096ull;
	assert_int_equal(vmk_pmap_enter_pages(pm, va, pas, 512, RW, flags), 0);
}

/*
 * User pmap: a 2 MiB block promoted from 4 KiB pages keeps its level-0
 * table as a spare; the 1 GiB promotion above it keeps the level-1 table
 * as the 1 GiB block's spare. Removing the 1 GiB block must drop the
 * 2 MiB spares under it too: they belong to no block any more (a leak
 * until destroy), and the next promotion of that 2 MiB found "two spare
 * PTPs for one block".
 */
static void test_remove_1g_drops_inner_spares_user(void **state)
{
	struct vmk_pmap *pm;
	struct vmk_pmap_stats st;
	struct vmk_pmap_mapping m;
	uint64_t ptp0;

	pmt_boot_arch(ARCH_OF(state));
	ptp0 = pmt_ptp_pages();
	pm = pmt_user(false);
	for (unsigned int i = 0; i < 511; i++)
		assert_int_equal(vmk_pmap_enter_large(pm, UVA + i * S2M, PMT_DATA + i * S2M, S2M, RW, 0), 0);
	fill_2m_4k(pm, UVA + 511 * S2M, PMT_DATA + 511 * S2M, 0);
	assert_int_equal(vmk_pmap_extract(pm, UVA, &m), 0);
	assert_true(m.size == S1G);
	pmt_check(pm);
	assert_int_equal(vmk_pmap_remove(pm, UVA, UVA + S1G), 0);
	vmk_pmap_stats(pm, &st);
	assert_int_equal(st.spare_ptps, 0);
	assert_int_equal(st.ptps, 1);
	assert_int_equal(pmt_ptp_pages() - ptp0, 1);	/* the root alone */
	pmt_check(pm);
	/* The same 2 MiB again: promotes with a spare of its own. */
	fill_2m_4k(pm, UVA + 511 * S2M, PMT_DATA + 511 * S2M, 0);
	assert_int_equal(vmk_pmap_extract(pm, UVA + 511 * S2M, &m), 0);
	assert_true(m.size == S2M);
	pmt_check(pm);
	vmk_pmap_activate(vmk_pmap_kernel(), 0);
	vmk_pmap_destroy(pm);
	assert_int_equal(pmt_ptp_pages(), ptp0);
	pmt_shutdown();
}

/* Kernel (1 GiB promotion asked for): 512 2 MiB mappings with spares promoted to 1 GiB, removed, mapped again. */
static void test_remove_1g_drops_inner_spares_kernel(void **state)
{
	struct vmk_pmap *k;
	struct vmk_pmap_stats st0, st;
	struct vmk_pmap_mapping m;
	vmk_vaddr_t kva;
	uint64_t ptp0;

	struct pmt_opts o = { .arch = ARCH_OF(state), .promote_kernel_1g = true };

	pmt_boot(&o);
	k = vmk_pmap_kernel();
	kva = pmt_kva() + S1G;
	vmk_pmap_stats(k, &st0);
	ptp0 = pmt_ptp_pages();
	for (unsigned int i = 0; i < 512; i++)
		assert_int_equal(vmk_pmap_enter_large(k, kva + i * S2M, PMT_DATA + i * S2M, S2M, RW, KS), 0);
	assert_int_equal(vmk_pmap_extract(k, kva, &m), 0);
	assert_true(m.size == S1G);
	pmt_check(k);
	assert_int_equal(vmk_pmap_remove(k, kva, kva + S1G), 0);
	pmt_check(k);
	vmk_pmap_stats(k, &st);
	/* What is left: the tables down to level 1 (fixed kernel PTPs), no spare. */
	assert_int_equal(st.spare_ptps, st0.spare_ptps);
	assert_int_equal(pmt_ptp_pages() - ptp0, st.ptps - st0.ptps);
	assert_int_equal(vmk_pmap_enter_large(k, kva, PMT_DATA, S2M, RW, KS), 0);
	pmt_check(k);
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.spare_ptps, st0.spare_ptps + 1);
	pmt_shutdown();
}

/*
 * A 2 MiB enter over an existing 2 MiB mapping of another page that fails
 * (no PV entry) must leave the old mapping in place: it removed the old
 * block first and only then allocated. Swept over every allocation, with
 * the old block's PV chunk holding only its entry (removing it frees the
 * chunk) and with the chunk full.
 */
static void replace_sweep(enum vmk_pmap_arch_id arch, unsigned int fillers)
{
	struct vmk_pmap *pm;
	struct vmk_pmap_mapping m;
	struct vmk_pmap_stats st0, st;
	uint64_t ptp0, alloc0;
	int r = -VMK_ENOMEM;

	pmt_boot_arch(arch);
	pm = pmt_user(false);
	assert_int_equal(vmk_pmap_enter_large(pm, UVA, PMT_DATA, S2M, RW, M), 0);
	for (unsigned int i = 0; i < fillers; i++)
		assert_int_equal(vmk_pmap_enter(pm, UVA + S1G + i * 4096ull, PMT_DATA + S1G + i * 4096ull, RW, M), 0);
	assert_int_equal(vmk_sim_mmu_access(0, UVA + 0x1000, VMK_MMU_READ | VMK_MMU_USER, NULL), 0);
	for (unsigned long n = 0; r == -VMK_ENOMEM; n++) {
		assert_true(n < 16);
		pmt_map_stats(pm, &st0);
		ptp0 = pmt_ptp_pages();
		alloc0 = pmt_alloc_pages();
		vmk_sim_fail_nth(n, "pmap", false);
		r = vmk_pmap_enter_large(pm, UVA, PMT_DATA + S2M, S2M, VMK_PROT_READ, M);
		vmk_sim_fail_off();
		pmt_check(pm);
		if (r != -VMK_ENOMEM)
			break;
		/* Failed: nothing changed, the old mapping still works. */
		assert_int_equal(vmk_pmap_extract(pm, UVA + 0x1000, &m), 0);
		assert_true(m.pa == PMT_DATA + 0x1000 && m.size == S2M && m.prot == RW && m.managed);
		pmt_map_stats(pm, &st);
		assert_memory_equal(&st, &st0, sizeof(st));
		assert_int_equal(pmt_ptp_pages(), ptp0);
		assert_int_equal(pmt_alloc_pages(), alloc0);
		assert_int_equal(vmk_sim_mmu_access(0, UVA + 0x1000, VMK_MMU_WRITE | VMK_MMU_USER, NULL), 0);
	}
	assert_int_equal(r, 0);
	assert_int_equal(vmk_pmap_extract(pm, UVA, &m), 0);
	assert_true(m.pa == PMT_DATA + S2M && m.prot == VMK_PROT_READ);
	assert_int_equal(vmk_sim_mmu_access(0, UVA, VMK_MMU_WRITE | VMK_MMU_USER, NULL), VMK_MMU_FAULT_PERMISSION);
	pmt_check(pm);
	vmk_pmap_activate(vmk_pmap_kernel(), 0);
	vmk_pmap_destroy(pm);
	pmt_shutdown();
}

static void test_enter_large_replace_failure_keeps_old(void **state)
{
	replace_sweep(ARCH_OF(state), 0);
	replace_sweep(ARCH_OF(state), 167);	/* 168 entries: the chunk is full */
}

/*
 * qenter refuses a physical address beyond the leaf's address field (as
 * enter does) with nothing changed; it used to drop the high bits and map
 * another page.
 */
static void test_qenter_refuses_pa_beyond_field(void **state)
{
	struct vmk_pmap *k;
	struct vmk_pmap_mapping m;
	vmk_vaddr_t kva;
	vmk_paddr_t pas[2];

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	kva = pmt_kva() + 4 * S2M;
	assert_int_equal(vmk_pmap_growkernel(kva, kva + S2M), 0);
	pas[0] = PMT_DATA;
	/* beyond the output address field (riscv64: 56 bits) */
	pas[1] = PMT_DATA + (ARCH_OF(state) == VMK_PMAP_ARCH_RISCV64 ? 1ull << 56 : 1ull << 52);
	assert_int_equal(vmk_pmap_qenter(kva, pas, 2), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_extract(k, kva, &m), -VMK_ENOENT);
	assert_int_equal(vmk_pmap_extract(k, kva + 4096, &m), -VMK_ENOENT);
	pas[1] = PMT_DATA + 4096;
	assert_int_equal(vmk_pmap_qenter(kva, pas, 2), 0);
	assert_int_equal(vmk_pmap_extract(k, kva + 4096, &m), 0);
	assert_true(m.pa == PMT_DATA + 4096);
	vmk_pmap_qremove(kva, 2);
	pmt_check(k);
	pmt_shutdown();
}

#define T(f) cmocka_unit_test_prestate(f, &x86), cmocka_unit_test_prestate(f, &arm), cmocka_unit_test_prestate(f, &rv)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_remove_1g_drops_inner_spares_user),
		T(test_remove_1g_drops_inner_spares_kernel),
		T(test_enter_large_replace_failure_keeps_old),
		T(test_qenter_refuses_pa_beyond_field),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
