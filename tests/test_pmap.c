/*
 * pmap API tests, run for each architecture: every public operation,
 * checked through extract, the software MMU (walks and TLBs) and the
 * pmap's own invariant checker.
 */
#include "pmap_util.h"

#define ARCH_OF(state) (*(enum vmk_pmap_arch_id *)*(state))
#define UVA 0x0000000040000000ull	/* a 1 GiB-aligned user address */
#define RW (VMK_PROT_READ | VMK_PROT_WRITE)
#define M VMK_PMAP_ENTER_MANAGED

static enum vmk_pmap_arch_id x86 = VMK_PMAP_ARCH_X86_64, arm = VMK_PMAP_ARCH_ARM64, rv = VMK_PMAP_ARCH_RISCV64;

static int acc(unsigned int cpu, vmk_vaddr_t va, uint32_t a)
{
	return vmk_sim_mmu_access(cpu, va, a, NULL);
}

static struct vmk_pmap *new_user(unsigned int cpu)
{
	struct vmk_pmap *pm;

	assert_int_equal(vmk_pmap_create(&pm), 0);
	/* Memory types other than WB in user space: inside a device window only. */
	assert_int_equal(vmk_pmap_allow_device(pm, 0, 1ull << 38), 0);
	vmk_pmap_activate(pm, cpu);
	return pm;
}

static void test_enter_extract_access(void **state)
{
	struct vmk_pmap *pm;
	struct vmk_pmap_mapping m;
	struct vmk_mmu_walk w;
	uint64_t ptp0;

	pmt_boot_arch(ARCH_OF(state));
	ptp0 = pmt_ptp_pages();
	pm = new_user(0);
	assert_int_equal(vmk_pmap_enter(pm, UVA + 0x3000, PMT_DATA + 0x7000, RW, M), 0);
	assert_int_equal(vmk_pmap_extract(pm, UVA + 0x3123, &m), 0);
	assert_true(m.pa == PMT_DATA + 0x7123);
	assert_true(m.size == 4096u && m.user && m.managed && !m.global && !m.dirty);
	assert_int_equal(m.prot, RW);
	assert_int_equal(m.memtype, VMK_MEMTYPE_WB);
	/* The MMU agrees: user read and write work, execute does not, the kernel cannot execute. */
	assert_int_equal(vmk_sim_mmu_access(0, UVA + 0x3010, VMK_MMU_READ | VMK_MMU_USER, &w), 0);
	assert_true(w.pa == PMT_DATA + 0x7010);
	assert_int_equal(acc(0, UVA + 0x3010, VMK_MMU_WRITE | VMK_MMU_USER), 0);
	assert_int_equal(acc(0, UVA + 0x3010, VMK_MMU_EXEC | VMK_MMU_USER), VMK_MMU_FAULT_PERMISSION);
	assert_int_equal(acc(0, UVA + 0x4000, VMK_MMU_READ | VMK_MMU_USER), VMK_MMU_FAULT_TRANSLATION);
	/* The write made it dirty, as the hardware does. */
	assert_int_equal(vmk_pmap_extract(pm, UVA + 0x3000, &m), 0);
	assert_true(m.dirty && m.accessed);
	assert_true(vmk_pmap_is_modified(PMT_DATA + 0x7000));
	pmt_check(pm);
	/* Root + 3 tables for one page (4 levels). */
	assert_int_equal(pmt_ptp_pages() - ptp0, 4);
	/* Remove: the TLB must not keep it, the PTPs go away. */
	assert_int_equal(vmk_pmap_remove(pm, UVA, UVA + 0x10000), 0);
	assert_int_equal(vmk_pmap_extract(pm, UVA + 0x3000, &m), -VMK_ENOENT);
	assert_int_equal(acc(0, UVA + 0x3010, VMK_MMU_READ | VMK_MMU_USER), VMK_MMU_FAULT_TRANSLATION);
	pmt_check(pm);
	assert_int_equal(pmt_ptp_pages() - ptp0, 1);
	/* The modified state outlives the mapping. */
	assert_true(vmk_pmap_is_modified(PMT_DATA + 0x7000));
	vmk_pmap_activate(vmk_pmap_kernel(), 0);
	vmk_pmap_destroy(pm);
	assert_int_equal(pmt_ptp_pages(), ptp0);
	pmt_shutdown();
}

static void test_enter_errors(void **state)
{
	struct vmk_pmap *pm;
	struct vmk_pmap_stats st;
	struct vmk_pmap_mapping m;
	vmk_vaddr_t kva;

	pmt_boot_arch(ARCH_OF(state));
	kva = pmt_kva();
	pm = new_user(0);
	assert_int_equal(vmk_pmap_enter(pm, UVA + 1, PMT_DATA, RW, 0), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_enter(pm, UVA, PMT_DATA + 8, RW, 0), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_enter(pm, kva, PMT_DATA, RW, 0), -VMK_EINVAL);	/* kernel half */
	assert_int_equal(vmk_pmap_enter(vmk_pmap_kernel(), UVA, PMT_DATA, RW, 0), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_enter(pm, UVA, PMT_DATA, VMK_PROT_NONE, 0), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_enter(pm, UVA, PMT_DATA, RW, VMK_PMAP_MEMTYPE(7)), -VMK_EINVAL);
	/* Managed needs a page record that is not free: beyond RAM, and a free allocator page. */
	assert_int_equal(vmk_pmap_enter(pm, UVA, 0x10000000000ull, RW, M), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_enter(pm, UVA, PMT_ALLOC_END - 4096, RW, M), -VMK_EINVAL);
	vmk_pmap_stats(pm, &st);
	assert_int_equal(st.ptps, 1);
	/* NOREPLACE keeps the first mapping; a plain enter replaces it. */
	assert_int_equal(vmk_pmap_enter(pm, UVA, PMT_DATA, RW, M | VMK_PMAP_ENTER_WIRED), 0);
	assert_int_equal(vmk_pmap_enter(pm, UVA, PMT_DATA + 4096, VMK_PROT_READ,
					M | VMK_PMAP_ENTER_NOREPLACE), -VMK_EEXIST);
	assert_int_equal(vmk_pmap_extract(pm, UVA, &m), 0);
	assert_true(m.pa == PMT_DATA && m.wired && m.prot == RW);
	vmk_pmap_stats(pm, &st);
	assert_int_equal(st.wired, 1);
	assert_int_equal(acc(0, UVA, VMK_MMU_WRITE | VMK_MMU_USER), 0);
	assert_int_equal(vmk_pmap_enter(pm, UVA, PMT_DATA + 4096, VMK_PROT_READ | VMK_PROT_EXEC, M), 0);
	assert_int_equal(vmk_pmap_extract(pm, UVA, &m), 0);
	assert_true(m.pa == PMT_DATA + 4096 && !m.wired && m.prot == (VMK_PROT_READ | VMK_PROT_EXEC));
	/* The stale writable translation is gone from the TLB. */
	assert_int_equal(acc(0, UVA, VMK_MMU_WRITE | VMK_MMU_USER), VMK_MMU_FAULT_PERMISSION);
	assert_int_equal(acc(0, UVA, VMK_MMU_EXEC | VMK_MMU_USER), 0);
	vmk_pmap_stats(pm, &st);
	assert_int_equal(st.wired, 0);
	assert_int_equal(st.pv_entries, 1);
	/* The old page remembers it was written. */
	assert_true(vmk_pmap_is_modified(PMT_DATA));
	/* Same page again with new memory type: replaced in place. */
	assert_int_equal(vmk_pmap_enter(pm, UVA, PMT_DATA + 4096, VMK_PROT_READ,
					M | VMK_PMAP_MEMTYPE(VMK_MEMTYPE_WC)), 0);
	assert_int_equal(vmk_pmap_extract(pm, UVA, &m), 0);
	assert_int_equal(m.memtype, VMK_MEMTYPE_WC);
	pmt_check(pm);
	vmk_pmap_activate(vmk_pmap_kernel(), 0);
	vmk_pmap_destroy(pm);
	pmt_shutdown();
}

static void test_promote_demote(void **state)
{
	struct vmk_pmap *pm;
	struct vmk_pmap_mapping m;
	struct vmk_pmap_stats st;
	struct vmk_mmu_walk w;

	struct pmt_opts o = { .arch = ARCH_OF(state), .ncpus = 2 };

	pmt_boot(&o);
	pm = new_user(0);
	/* 511 pages: still 4 KiB; touch them through the TLB. */
	for (unsigned int i = 0; i < 511; i++)
		assert_int_equal(vmk_pmap_enter(pm, UVA + i * 4096ull, PMT_DATA + i * 4096ull, RW, M), 0);
	for (unsigned int i = 0; i < 511; i += 37)
		assert_int_equal(acc(0, UVA + i * 4096ull, VMK_MMU_READ | VMK_MMU_USER), 0);
	assert_int_equal(vmk_pmap_extract(pm, UVA, &m), 0);
	assert_true(m.size == 4096u);
	/* The 512th makes a 2 MiB block. */
	assert_int_equal(vmk_pmap_enter(pm, UVA + 511 * 4096ull, PMT_DATA + 511 * 4096ull, RW, M), 0);
	assert_int_equal(vmk_pmap_extract(pm, UVA + 0x1234, &m), 0);
	assert_true(m.size == PT_SIZE(1) && m.pa == PMT_DATA + 0x1234);
	vmk_pmap_stats(pm, &st);
	assert_int_equal(st.promotions, 1);
	assert_int_equal(st.mappings[1], 1);
	assert_int_equal(st.mappings[0], 0);
	assert_int_equal(st.pv_entries, 1);
	assert_int_equal(st.spare_ptps, 1);
	assert_int_equal(vmk_sim_mmu_access(1, UVA + 0x1234, VMK_MMU_READ | VMK_MMU_USER, &w),
			 VMK_MMU_FAULT_TRANSLATION);	/* cpu 1 runs the kernel only */
	assert_int_equal(vmk_sim_mmu_access(0, UVA + 0x1234, VMK_MMU_WRITE | VMK_MMU_USER, &w), 0);
	assert_int_equal(w.level, 1);
	pmt_check(pm);
	/* Write-protect one page: the block is demoted, one page read-only, the rest unchanged. */
	assert_int_equal(vmk_pmap_protect(pm, UVA + 0x5000, UVA + 0x6000, VMK_PROT_READ), 0);
	vmk_pmap_stats(pm, &st);
	assert_int_equal(st.demotions, 1);
	assert_int_equal(st.mappings[0], 512);
	assert_int_equal(st.pv_entries, 512);
	assert_int_equal(acc(0, UVA + 0x5000, VMK_MMU_WRITE | VMK_MMU_USER), VMK_MMU_FAULT_PERMISSION);
	assert_int_equal(acc(0, UVA + 0x6000, VMK_MMU_WRITE | VMK_MMU_USER), 0);
	assert_int_equal(vmk_pmap_extract(pm, UVA + 0x5000, &m), 0);
	assert_true(m.prot == VMK_PROT_READ && m.size == 4096u);
	/* The write through the block made every page dirty (or-ed dirty state is kept). */
	assert_true(vmk_pmap_is_modified(PMT_DATA + 0x5000));
	assert_true(vmk_pmap_is_modified(PMT_DATA + 0x1ff000));
	pmt_check(pm);
	/*
	 * Restore: the page is writable again but clean, the others dirty, so
	 * the next enter does not promote (that would make it dirty too);
	 * once written it is, on the next enter into the table.
	 */
	assert_int_equal(vmk_pmap_protect(pm, UVA + 0x5000, UVA + 0x6000, RW), 0);
	assert_int_equal(vmk_pmap_enter(pm, UVA + 0x7000, PMT_DATA + 0x7000, RW, M), 0);
	assert_int_equal(vmk_pmap_extract(pm, UVA, &m), 0);
	assert_true(m.size == 4096u);
	assert_int_equal(acc(0, UVA + 0x5000, VMK_MMU_WRITE | VMK_MMU_USER), 0);
	assert_int_equal(vmk_pmap_enter(pm, UVA + 0x7000, PMT_DATA + 0x7000, RW, M), 0);
	assert_int_equal(vmk_pmap_extract(pm, UVA, &m), 0);
	assert_true(m.size == PT_SIZE(1));
	pmt_check(pm);
	/* Remove a hole: demotion then removal. */
	assert_int_equal(vmk_pmap_remove(pm, UVA + 0x10000, UVA + 0x12000), 0);
	assert_int_equal(vmk_pmap_extract(pm, UVA + 0x11000, &m), -VMK_ENOENT);
	assert_int_equal(vmk_pmap_extract(pm, UVA + 0x12000, &m), 0);
	vmk_pmap_stats(pm, &st);
	assert_int_equal(st.resident, 510);
	pmt_check(pm);
	/* Explicit demotion of a 4 KiB mapping is a no-op; of nothing, ENOENT. */
	assert_int_equal(vmk_pmap_demote(pm, UVA), 0);
	assert_int_equal(vmk_pmap_demote(pm, UVA + 0x11000), -VMK_ENOENT);
	vmk_pmap_activate(vmk_pmap_kernel(), 0);
	vmk_pmap_destroy(pm);
	pmt_shutdown();
}

static void test_large_and_1g(void **state)
{
	struct vmk_pmap *pm, *k;
	struct vmk_pmap_mapping m;
	struct vmk_pmap_stats st;
	vmk_vaddr_t kva;
	struct vmk_mmu_walk w;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	kva = pmt_kva();
	pm = new_user(0);
	/* A 1 GiB user block, managed, over the reserved data range. */
	assert_int_equal(vmk_pmap_enter_large(pm, UVA, PMT_DATA, PT_SIZE(2), RW, M), 0);
	assert_int_equal(vmk_pmap_extract(pm, UVA + 0x12345678, &m), 0);
	assert_true(m.size == PT_SIZE(2) && m.pa == PMT_DATA + 0x12345678);
	assert_int_equal(vmk_sim_mmu_access(0, UVA + 0x12345678, VMK_MMU_READ | VMK_MMU_USER, &w), 0);
	assert_int_equal(w.level, 2);
	/* Unaligned and wrong sizes. */
	assert_int_equal(vmk_pmap_enter_large(pm, UVA + 4096, PMT_DATA, PT_SIZE(1), RW, 0), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_enter_large(pm, UVA, PMT_DATA, 8192, RW, 0), -VMK_EINVAL);
	/* Remove 4 KiB in the middle: 1G -> 2M -> 4K, two PTPs, everything else still mapped. */
	assert_int_equal(vmk_pmap_remove(pm, UVA + 0x200000 * 3 + 0x5000, UVA + 0x200000 * 3 + 0x6000), 0);
	vmk_pmap_stats(pm, &st);
	assert_int_equal(st.mappings[2], 0);
	assert_int_equal(st.mappings[1], 511);
	assert_int_equal(st.mappings[0], 511);
	assert_int_equal(st.pv_entries, 1022);
	assert_int_equal(vmk_pmap_extract(pm, UVA + 0x200000 * 3 + 0x5000, &m), -VMK_ENOENT);
	assert_int_equal(vmk_pmap_extract(pm, UVA + 0x200000 * 3 + 0x6000, &m), 0);
	assert_int_equal(vmk_pmap_extract(pm, UVA + 0x30000000, &m), 0);
	assert_true(m.size == PT_SIZE(1));
	/* The stale 1 GiB translation must be gone. */
	assert_int_equal(acc(0, UVA + 0x200000 * 3 + 0x5000, VMK_MMU_READ | VMK_MMU_USER),
			 VMK_MMU_FAULT_TRANSLATION);
	pmt_check(pm);
	/* Put the page back: 4K -> 2M -> 1G promotion again. */
	assert_int_equal(vmk_pmap_enter(pm, UVA + 0x200000 * 3 + 0x5000, PMT_DATA + 0x200000 * 3 + 0x5000,
					RW, M), 0);
	assert_int_equal(vmk_pmap_extract(pm, UVA, &m), 0);
	assert_true(m.size == PT_SIZE(2));
	vmk_pmap_stats(pm, &st);
	assert_int_equal(st.pv_entries, 1);
	pmt_check(pm);
	/* Kernel: a 2 MiB block gets a spare PTP when asked (KEEP_SPARE), else none. */
	assert_int_equal(vmk_pmap_enter_large(k, kva + PT_SIZE(2) + PT_SIZE(1), PMT_DATA, PT_SIZE(1), RW, 0), 0);
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.spare_ptps, 0);
	assert_int_equal(vmk_pmap_enter_large(k, kva + PT_SIZE(2), PMT_DATA, PT_SIZE(1), RW,
					      VMK_PMAP_ENTER_KEEP_SPARE), 0);
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.spare_ptps, 1);
	assert_int_equal(vmk_sim_mmu_access(0, kva + PT_SIZE(2) + 0x1000, VMK_MMU_WRITE, &w), 0);
	assert_true(w.global && w.level == 1);
	assert_int_equal(acc(0, kva + PT_SIZE(2), VMK_MMU_READ | VMK_MMU_USER), VMK_MMU_FAULT_PERMISSION);
	pmt_check(k);
	vmk_pmap_activate(k, 0);
	vmk_pmap_destroy(pm);
	pmt_shutdown();
}

static void test_protect_exec_memtype(void **state)
{
	struct vmk_pmap *pm, *k;
	struct vmk_pmap_mapping m;
	struct vmk_mmu_walk w;
	vmk_vaddr_t kva;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	kva = pmt_kva();
	pm = new_user(0);
	for (unsigned int i = 0; i < 8; i++)
		assert_int_equal(vmk_pmap_enter(pm, UVA + i * 4096ull, PMT_DATA + i * 4096ull,
						VMK_PROT_READ | VMK_PROT_EXEC, M), 0);
	for (unsigned int i = 0; i < 8; i++)
		assert_int_equal(acc(0, UVA + i * 4096ull, VMK_MMU_EXEC | VMK_MMU_USER), 0);
	assert_int_equal(vmk_pmap_protect(pm, UVA, UVA + 4 * 4096, RW), 0);
	for (unsigned int i = 0; i < 8; i++) {
		assert_int_equal(acc(0, UVA + i * 4096ull, VMK_MMU_EXEC | VMK_MMU_USER),
				 i < 4 ? VMK_MMU_FAULT_PERMISSION : 0);
		assert_int_equal(acc(0, UVA + i * 4096ull, VMK_MMU_WRITE | VMK_MMU_USER),
				 i < 4 ? 0 : VMK_MMU_FAULT_PERMISSION);
	}
	/* Write-protection keeps the dirty state on the page. */
	assert_true(vmk_pmap_is_modified(PMT_DATA));
	vmk_pmap_clear_modify(PMT_DATA);
	assert_false(vmk_pmap_is_modified(PMT_DATA));
	assert_int_equal(acc(0, UVA, VMK_MMU_WRITE | VMK_MMU_USER), 0);	/* clean -> dirty again */
	assert_true(vmk_pmap_is_modified(PMT_DATA));
	assert_int_equal(vmk_pmap_protect(pm, UVA, UVA + 8 * 4096, VMK_PROT_READ), 0);
	assert_true(vmk_pmap_is_modified(PMT_DATA));
	assert_int_equal(vmk_pmap_extract(pm, UVA, &m), 0);
	assert_false(m.dirty);
	/* PROT_NONE removes. */
	assert_int_equal(vmk_pmap_protect(pm, UVA, UVA + 4096, VMK_PROT_NONE), 0);
	assert_int_equal(vmk_pmap_extract(pm, UVA, &m), -VMK_ENOENT);
	pmt_check(pm);
	/* Memory types as the walker sees them: PAT index (x86) / AttrIndx (arm64). */
	for (unsigned int mt = 0; mt < VMK_MEMTYPE_COUNT; mt++) {
		static const unsigned int x86_idx[] = { 0, 3, 6, 3 }, arm_idx[] = { 0, 1, 2, 3 };
		static const unsigned int rv_pbmt[] = { 0, 2, 1, 2 };	/* PMA, IO, NC, IO */

		assert_int_equal(vmk_pmap_enter(k, kva + mt * 4096ull, PMT_DATA + mt * 4096ull, RW,
						VMK_PMAP_MEMTYPE(mt)), 0);
		assert_int_equal(vmk_sim_mmu_access(0, kva + mt * 4096ull, VMK_MMU_READ, &w), 0);
		assert_int_equal(w.memattr, ARCH_OF(state) == VMK_PMAP_ARCH_X86_64 ? x86_idx[mt] :
					    ARCH_OF(state) == VMK_PMAP_ARCH_ARM64 ? arm_idx[mt] : rv_pbmt[mt]);
		assert_int_equal(acc(0, kva + mt * 4096ull, VMK_MMU_EXEC), VMK_MMU_FAULT_PERMISSION);
	}
	assert_int_equal(vmk_pmap_protect(k, kva, kva + 4096, VMK_PROT_READ | VMK_PROT_EXEC), 0);
	assert_int_equal(acc(0, kva, VMK_MMU_EXEC), 0);
	assert_int_equal(acc(0, kva, VMK_MMU_WRITE), VMK_MMU_FAULT_PERMISSION);
	pmt_check(k);
	vmk_pmap_activate(k, 0);
	vmk_pmap_destroy(pm);
	pmt_shutdown();
}

static void test_copy_and_remove_all(void **state)
{
	struct vmk_pmap *a, *b;
	struct vmk_pmap_mapping m;
	struct vmk_pmap_stats st;

	struct pmt_opts o = { .arch = ARCH_OF(state), .ncpus = 2 };

	pmt_boot(&o);
	a = new_user(0);
	b = new_user(1);
	/* a: a managed 2 MiB block, 4 KiB pages, and one unmanaged page (not copied). */
	assert_int_equal(vmk_pmap_enter_large(a, UVA, PMT_DATA, PT_SIZE(1), RW, M | VMK_PMAP_ENTER_WIRED), 0);
	for (unsigned int i = 0; i < 16; i++)
		assert_int_equal(vmk_pmap_enter(a, UVA + PT_SIZE(1) + i * 4096ull,
						PMT_DATA + PT_SIZE(1) + i * 4096ull, RW, M), 0);
	assert_int_equal(vmk_pmap_enter(a, UVA + PT_SIZE(1) + 16 * 4096ull, PMT_DATA + 0x10000000, RW, 0), 0);
	assert_int_equal(vmk_pmap_copy(b, a, UVA, 2 * PT_SIZE(1)), 0);
	assert_int_equal(vmk_pmap_extract(b, UVA + 0x1000, &m), 0);
	assert_true(m.size == PT_SIZE(1) && m.pa == PMT_DATA + 0x1000 && !m.wired && m.prot == RW);
	assert_int_equal(vmk_pmap_extract(b, UVA + PT_SIZE(1) + 0x3000, &m), 0);
	assert_true(m.pa == PMT_DATA + PT_SIZE(1) + 0x3000 && !m.dirty);
	assert_int_equal(vmk_pmap_extract(b, UVA + PT_SIZE(1) + 16 * 4096ull, &m), -VMK_ENOENT);
	vmk_pmap_stats(b, &st);
	assert_int_equal(st.pv_entries, 17);
	assert_int_equal(st.wired, 0);
	assert_int_equal(vmk_sim_mmu_access(1, UVA + 0x1000, VMK_MMU_READ | VMK_MMU_USER, NULL), 0);
	pmt_check(a);
	pmt_check(b);
	/* remove_all of a page inside the block: demoted in both, that page unmapped in both. */
	assert_int_equal(vmk_pmap_remove_all(PMT_DATA + 0x1000), 2);
	assert_int_equal(vmk_pmap_extract(a, UVA + 0x1000, &m), -VMK_ENOENT);
	assert_int_equal(vmk_pmap_extract(b, UVA + 0x1000, &m), -VMK_ENOENT);
	assert_int_equal(vmk_pmap_extract(b, UVA + 0x2000, &m), 0);
	assert_int_equal(acc(1, UVA + 0x1000, VMK_MMU_READ | VMK_MMU_USER), VMK_MMU_FAULT_TRANSLATION);
	assert_int_equal(vmk_pmap_remove_all(PMT_DATA + PT_SIZE(1) + 0x3000), 2);
	assert_int_equal(vmk_pmap_remove_all(PMT_DATA + 0x10000000), 0);	/* unmanaged */
	pmt_check(a);
	pmt_check(b);
	/* Referenced bits: counted and cleared per mapping (the fork copy starts unreferenced). */
	assert_int_equal(vmk_pmap_ts_referenced(PMT_DATA + PT_SIZE(1) + 0x4000), 1);
	assert_int_equal(acc(1, UVA + PT_SIZE(1) + 0x4000, VMK_MMU_READ | VMK_MMU_USER), 0);
	assert_int_equal(acc(0, UVA + PT_SIZE(1) + 0x4000, VMK_MMU_READ | VMK_MMU_USER), 0);
	assert_int_equal(vmk_pmap_ts_referenced(PMT_DATA + PT_SIZE(1) + 0x4000), 2);
	assert_int_equal(vmk_pmap_ts_referenced(PMT_DATA + PT_SIZE(1) + 0x4000), 0);
	assert_false(vmk_pmap_is_referenced(PMT_DATA + PT_SIZE(1) + 0x4000));
	assert_int_equal(acc(0, UVA + PT_SIZE(1) + 0x4000, VMK_MMU_READ | VMK_MMU_USER), 0);
	assert_true(vmk_pmap_is_referenced(PMT_DATA + PT_SIZE(1) + 0x4000));
	assert_int_equal(vmk_pmap_ts_referenced(PMT_DATA + PT_SIZE(1) + 0x4000), 1);
	/* remove_write over every mapping of a page. */
	vmk_pmap_remove_write(PMT_DATA + PT_SIZE(1) + 0x5000);
	assert_int_equal(acc(0, UVA + PT_SIZE(1) + 0x5000, VMK_MMU_WRITE | VMK_MMU_USER), VMK_MMU_FAULT_PERMISSION);
	assert_int_equal(acc(1, UVA + PT_SIZE(1) + 0x5000, VMK_MMU_WRITE | VMK_MMU_USER), VMK_MMU_FAULT_PERMISSION);
	assert_int_equal(vmk_pmap_copy(a, a, UVA, 4096), -VMK_EINVAL);
	pmt_check(a);
	pmt_check(b);
	vmk_pmap_activate(vmk_pmap_kernel(), 0);
	vmk_pmap_activate(vmk_pmap_kernel(), 1);
	vmk_pmap_destroy(a);
	vmk_pmap_destroy(b);
	pmt_shutdown();
}

static void test_qenter_growkernel(void **state)
{
	struct vmk_pmap *k;
	vmk_paddr_t pas[4] = { PMT_DATA, PMT_DATA + 0x5000, PMT_DATA + 0x9000, PMT_DATA + 0x1000 };
	struct vmk_mmu_walk w;
	vmk_vaddr_t va;
	uint64_t ptp;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	va = pmt_kva() + 0x40000000 - 0x2000;	/* straddles two 2 MiB tables */
	assert_int_equal(vmk_pmap_qenter(va, pas, 4), -VMK_ENOENT);
	assert_int_equal(vmk_pmap_growkernel(va, va + 4 * 4096), 0);
	ptp = pmt_ptp_pages();
	vmk_sim_fail_nth(0, NULL, true);	/* quick enter must not allocate */
	assert_int_equal(vmk_pmap_qenter(va, pas, 4), 0);
	vmk_sim_fail_off();
	assert_int_equal(pmt_ptp_pages(), ptp);
	for (unsigned int i = 0; i < 4; i++) {
		assert_int_equal(vmk_sim_mmu_access(0, va + i * 4096ull + 8, VMK_MMU_WRITE, &w), 0);
		assert_true(w.pa == pas[i] + 8 && w.global);
	}
	/* Re-enter over live mappings: the old translations must be flushed. */
	pas[0] = PMT_DATA + 0x20000;
	assert_int_equal(vmk_pmap_qenter(va, pas, 1), 0);
	assert_int_equal(vmk_sim_mmu_access(0, va, VMK_MMU_READ, &w), 0);
	assert_true(w.pa == PMT_DATA + 0x20000);
	vmk_pmap_qremove(va, 4);
	assert_int_equal(acc(0, va + 4096, VMK_MMU_READ), VMK_MMU_FAULT_TRANSLATION);
	/* Kernel PTPs stay after the removal. */
	assert_int_equal(pmt_ptp_pages(), ptp);
	pmt_check(k);
	pmt_shutdown();
}

static void test_asid_activate(void **state)
{
	struct pmt_opts o = { .arch = ARCH_OF(state), .asid_bits = 8, .ncpus = 2 };
	struct vmk_pmap *a, *b;
	struct vmk_mmu_walk w;

	pmt_boot(&o);
	a = new_user(0);
	b = new_user(0);
	assert_true(vmk_pmap_asid(a) != 0 && vmk_pmap_asid(b) != 0 && vmk_pmap_asid(a) != vmk_pmap_asid(b));
	assert_int_equal(vmk_pmap_enter(a, UVA, PMT_DATA, RW, M), 0);
	assert_int_equal(vmk_pmap_enter(b, UVA, PMT_DATA + 4096, RW, M), 0);
	vmk_pmap_activate(a, 0);
	assert_int_equal(vmk_sim_mmu_access(0, UVA, VMK_MMU_READ | VMK_MMU_USER, &w), 0);
	assert_true(w.pa == PMT_DATA);
	vmk_pmap_activate(b, 0);
	assert_int_equal(vmk_sim_mmu_access(0, UVA, VMK_MMU_READ | VMK_MMU_USER, &w), 0);
	assert_true(w.pa == PMT_DATA + 4096);
	/* Tagged: a's entry survives the switch (2 user entries cached). */
	assert_true(vmk_sim_tlb_count(0) >= 2);
	/* Removing in a (not active) must still invalidate a's tagged entry. */
	assert_int_equal(vmk_pmap_remove(a, UVA, UVA + 4096), 0);
	pmt_check(a);
	vmk_pmap_activate(a, 0);
	assert_int_equal(acc(0, UVA, VMK_MMU_READ | VMK_MMU_USER), VMK_MMU_FAULT_TRANSLATION);
	vmk_pmap_activate(vmk_pmap_kernel(), 0);
	vmk_pmap_destroy(a);
	vmk_pmap_destroy(b);
	pmt_check(vmk_pmap_kernel());
	pmt_shutdown();
}

static void test_levels(void **state)
{
	enum vmk_pmap_arch_id arch = ARCH_OF(state);
	/* x86 5-level, riscv64 Sv57; arm64 3 levels. */
	struct pmt_opts o = { .arch = arch, .levels = arch == VMK_PMAP_ARCH_ARM64 ? 3 : 5 };
	struct vmk_pmap *pm, *k;
	struct vmk_mmu_walk w;
	struct vmk_pmap_stats st;
	vmk_vaddr_t high = arch != VMK_PMAP_ARCH_ARM64 ? 0x00ff000000000000ull : 0x0000007f00000000ull;

	pmt_boot(&o);
	k = vmk_pmap_kernel();
	pm = new_user(0);
	assert_int_equal(vmk_pmap_enter(pm, high, PMT_DATA, RW, M), 0);
	assert_int_equal(vmk_sim_mmu_access(0, high, VMK_MMU_READ | VMK_MMU_USER, &w), 0);
	assert_true(w.pa == PMT_DATA);
	vmk_pmap_stats(pm, &st);
	assert_int_equal(st.ptps, o.levels);
	/* Beyond the configured width. */
	assert_int_equal(vmk_pmap_enter(pm, high << 1, PMT_DATA, RW, M), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_enter(k, pmt_kva() + 0x1000, PMT_DATA, RW, 0), 0);
	assert_int_equal(vmk_sim_mmu_access(0, pmt_kva() + 0x1000, VMK_MMU_READ, &w), 0);
	pmt_check(pm);
	pmt_check(k);
	vmk_pmap_activate(k, 0);
	vmk_pmap_destroy(pm);
	/* Bad configurations. */
	{
		struct vmk_pmap_config c = { .arch = arch, .levels = 6, .kva_start = PMT_KVA, .kva_end = PMT_KVA_END };

		assert_int_equal(vmk_pmap_bootstrap(&c), -VMK_EINVAL);
		c.levels = 0;
		c.kva_start = 0x1000;
		assert_int_equal(vmk_pmap_bootstrap(&c), -VMK_EINVAL);
	}
	pmt_shutdown();
}

static void test_ptdump(void **state)
{
	struct vmk_pmap *k;
	char buf[8192];
	struct vmk_outbuf ob;
	vmk_vaddr_t kva;
	struct vmk_pmap_dump_marker mk[] = { { 0, "start" } };

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	kva = pmt_kva();
	mk[0].va = kva;
	assert_int_equal(vmk_pmap_enter_large(k, kva, PMT_DATA, PT_SIZE(2), RW, 0), 0);
	assert_int_equal(vmk_pmap_enter_large(k, kva + PT_SIZE(2), PMT_DATA + PT_SIZE(2), PT_SIZE(2), RW, 0), 0);
	for (unsigned int i = 0; i < 3; i++)
		assert_int_equal(vmk_pmap_enter(k, kva + 2 * PT_SIZE(2) + i * 4096ull, PMT_DATA + i * 4096ull,
						VMK_PROT_READ, 0), 0);
	vmk_outbuf_init(&ob, buf, sizeof(buf));
	vmk_pmap_dump(k, &ob.out, 0, mk, 1);
	assert_false(ob.overflow);
	/* Two 1G blocks coalesce into one 2G line; three 4K pages into one 12K line. */
	assert_non_null(strstr(buf, "---[ start ]---"));
	assert_non_null(strstr(buf, "2 GiB pud RW"));
	assert_non_null(strstr(buf, "12 KiB pte ro"));
	assert_non_null(strstr(buf, "1G mappings: 2"));
	assert_non_null(strstr(buf, "4K mappings: 3"));
	vmk_outbuf_init(&ob, buf, sizeof(buf));
	vmk_pmap_dump(k, &ob.out, VMK_PMAP_DUMP_JSON, NULL, 0);
	assert_non_null(strstr(buf, "\"1G\": 2"));
	assert_non_null(strstr(buf, "\"level\": \"pud\""));
	pmt_shutdown();
}

static void test_enter_pages(void **state)
{
	static vmk_paddr_t pas[1100];
	struct vmk_pmap *pm;
	struct vmk_pmap_mapping m;
	struct vmk_pmap_stats st;
	uint64_t ptp0;

	pmt_boot_arch(ARCH_OF(state));
	pm = new_user(0);
	ptp0 = pmt_ptp_pages();
	for (unsigned int i = 0; i < 1100; i++)
		pas[i] = PMT_DATA + i * 4096ull;
	/* 1100 pages from 1 MiB into the window: two full tables get promoted. */
	assert_int_equal(vmk_pmap_enter_pages(pm, UVA + 0x100000, pas + 256, 1100 - 256 + 0, RW, M), 0);
	vmk_pmap_stats(pm, &st);
	assert_int_equal(st.resident, 844);
	assert_int_equal(st.mappings[1], 1);	/* [2M, 4M) is complete and aligned */
	assert_int_equal(vmk_pmap_extract(pm, UVA + 0x100000, &m), 0);
	assert_true(m.pa == PMT_DATA + 0x100000 && m.size == 4096u);
	assert_int_equal(vmk_pmap_extract(pm, UVA + PT_SIZE(1) + 0x1000, &m), 0);
	assert_true(m.size == PT_SIZE(1));
	assert_int_equal(acc(0, UVA + 0x1ff000, VMK_MMU_WRITE | VMK_MMU_USER), 0);
	pmt_check(pm);
	/* Overlapping an existing mapping: refused with nothing left behind. */
	pmt_map_stats(pm, &st);
	assert_int_equal(vmk_pmap_enter_pages(pm, UVA, pas, 300, RW, M), -VMK_EEXIST);
	{
		struct vmk_pmap_stats st2;

		pmt_map_stats(pm, &st2);
		assert_memory_equal(&st, &st2, sizeof(st));
	}
	assert_int_equal(vmk_pmap_extract(pm, UVA, &m), -VMK_ENOENT);
	/* Out of memory half-way: all or nothing. */
	vmk_sim_fail_nth(1, "pmap.", false);
	assert_int_equal(vmk_pmap_enter_pages(pm, UVA + 8 * PT_SIZE(1), pas, 1100, RW, M), -VMK_ENOMEM);
	vmk_sim_fail_off();
	assert_int_equal(vmk_pmap_extract(pm, UVA + 8 * PT_SIZE(1), &m), -VMK_ENOENT);
	pmt_check(pm);
	assert_int_equal(vmk_pmap_remove(pm, UVA, UVA + 16 * PT_SIZE(1)), 0);
	assert_int_equal(pmt_ptp_pages(), ptp0);
	vmk_pmap_activate(vmk_pmap_kernel(), 0);
	vmk_pmap_destroy(pm);
	pmt_shutdown();
}

#define T(f) cmocka_unit_test_prestate(f, &x86), cmocka_unit_test_prestate(f, &arm), cmocka_unit_test_prestate(f, &rv)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_enter_extract_access),
		T(test_enter_errors),
		T(test_promote_demote),
		T(test_large_and_1g),
		T(test_protect_exec_memtype),
		T(test_copy_and_remove_all),
		T(test_qenter_growkernel),
		T(test_asid_activate),
		T(test_levels),
		T(test_ptdump),
		T(test_enter_pages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
