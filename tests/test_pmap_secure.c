/*
 * The pmap's security properties (src/pmap/secure.c, docs/pmap.md
 * "Security properties") on x86-64, arm64 and riscv64:
 *  - vmk_pmap_check reports a writable and executable kernel mapping,
 *    naming its address (4 KiB and 2 MiB), except inside a range
 *    declared with vmk_pmap_allow_wx;
 *  - user mappings of memory types other than write-back are refused
 *    outside a vmk_pmap_allow_device window, accepted inside;
 *  - user mappings are never executable by the kernel (arm64 PXN,
 *    x86-64 SMEP on U=1 pages, riscv64 U pages), kernel mappings never by
 *    user mode, seen through the simulated MMU; on arm64, whose
 *    descriptors carry both bits, a leaf without them is reported.
 */
#include "pmap_util.h"
#include "../src/pmap/pmap_internal.h"
#include <string.h>

#define UVA	0x0000000040000000ull
#define S2M	PT_SIZE(1)
#define RW	(VMK_PROT_READ | VMK_PROT_WRITE)
#define RWX	(VMK_PROT_READ | VMK_PROT_WRITE | VMK_PROT_EXEC)
#define RX	(VMK_PROT_READ | VMK_PROT_EXEC)
#define ARCH_OF(state) (*(enum vmk_pmap_arch_id *)*(state))

static enum vmk_pmap_arch_id x86 = VMK_PMAP_ARCH_X86_64, arm = VMK_PMAP_ARCH_ARM64, rv = VMK_PMAP_ARCH_RISCV64;

/* vmk_pmap_check's verdict on pm; msg gets its message. */
static int check(struct vmk_pmap *pm, char *msg, size_t len)
{
	return vmk_pmap_check(pm, msg, len);
}

static void expect_report(struct vmk_pmap *pm, const char *what, vmk_vaddr_t va)
{
	char msg[200], addr[40];

	assert_int_equal(check(pm, msg, sizeof(msg)), -VMK_EINVAL);
	snprintf(addr, sizeof(addr), "at %#llx", (unsigned long long)va);
	if (!strstr(msg, what) || !strstr(msg, addr))
		fail_msg("reported '%s', expected '%s' at %s", msg, what, addr);
}

static void expect_clean(struct vmk_pmap *pm)
{
	char msg[200];

	if (check(pm, msg, sizeof(msg)) != 0)
		fail_msg("unexpected report: %s", msg);
}

static void test_kernel_wx_reported(void **state)
{
	struct vmk_pmap *k;
	vmk_vaddr_t kva;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	kva = pmt_kva();
	expect_clean(k);
	/* R+X and R+W are fine; R+W+X is reported with its address. */
	assert_int_equal(vmk_pmap_enter(k, kva, PMT_DATA, RX, 0), 0);
	assert_int_equal(vmk_pmap_enter(k, kva + 4096, PMT_DATA + 4096, RW, 0), 0);
	expect_clean(k);
	assert_int_equal(vmk_pmap_enter(k, kva + 8192, PMT_DATA + 8192, RWX, 0), 0);
	expect_report(k, "writable and executable kernel mapping", kva + 8192);
	assert_int_equal(vmk_pmap_remove(k, kva, kva + 3 * 4096), 0);
	expect_clean(k);
	/* A block too; and making it W+X later through protect. */
	assert_int_equal(vmk_pmap_enter_large(k, kva + S2M, PMT_DATA, S2M, RW, 0), 0);
	expect_clean(k);
	assert_int_equal(vmk_pmap_protect(k, kva + S2M, kva + 2 * S2M, RWX), 0);
	expect_report(k, "writable and executable kernel mapping", kva + S2M);
	assert_int_equal(vmk_pmap_protect(k, kva + S2M, kva + 2 * S2M, RX), 0);
	expect_clean(k);
	assert_int_equal(vmk_pmap_remove(k, kva + S2M, kva + 2 * S2M), 0);
	pmt_check(k);
	pmt_shutdown();
}

static void test_kernel_wx_opt_out(void **state)
{
	struct vmk_pmap *k, *u;
	vmk_vaddr_t kva;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	kva = pmt_kva();
	assert_int_equal(vmk_pmap_create(&u), 0);
	/* Only the kernel pmap, page-aligned, non-wrapping, at most 8. */
	assert_int_equal(vmk_pmap_allow_wx(u, kva, 4096), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_allow_wx(NULL, kva, 4096), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_allow_wx(k, kva + 1, 4096), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_allow_wx(k, kva, 0), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_allow_wx(k, ~0ull - 4095, 8192), -VMK_EINVAL);
	/* The trampoline page: W+X there is not reported, next door it is. */
	assert_int_equal(vmk_pmap_allow_wx(k, kva, 4096), 0);
	assert_int_equal(vmk_pmap_enter(k, kva, PMT_DATA, RWX, 0), 0);
	expect_clean(k);
	assert_int_equal(vmk_pmap_enter(k, kva + 4096, PMT_DATA + 4096, RWX, 0), 0);
	expect_report(k, "writable and executable kernel mapping", kva + 4096);
	assert_int_equal(vmk_pmap_remove(k, kva + 4096, kva + 8192), 0);
	/* A block must lie wholly inside the range. */
	assert_int_equal(vmk_pmap_enter_large(k, kva + S2M, PMT_DATA, S2M, RWX, 0), 0);
	expect_report(k, "writable and executable kernel mapping", kva + S2M);
	assert_int_equal(vmk_pmap_allow_wx(k, kva + S2M, S2M), 0);
	expect_clean(k);
	for (unsigned int i = 2; i < 8; i++)
		assert_int_equal(vmk_pmap_allow_wx(k, kva + i * S2M, 4096), 0);
	assert_int_equal(vmk_pmap_allow_wx(k, kva + 9 * S2M, 4096), -VMK_ENOSPC);
	assert_int_equal(vmk_pmap_remove(k, kva, kva + 2 * S2M), 0);
	pmt_check(k);
	vmk_pmap_destroy(u);
	pmt_shutdown();
}

static void test_user_device_only_in_window(void **state)
{
	struct vmk_pmap *u;
	struct vmk_pmap_mapping m;
	struct vmk_pmap_stats st;
	vmk_paddr_t pas[4] = { PMT_DATA, PMT_DATA + 4096, PMT_DATA + 8192, PMT_DATA + 12288 };
	static const enum vmk_memtype mts[] = { VMK_MEMTYPE_UC, VMK_MEMTYPE_WC, VMK_MEMTYPE_DEVICE };

	pmt_boot_arch(ARCH_OF(state));
	assert_int_equal(vmk_pmap_create(&u), 0);
	vmk_pmap_activate(u, 0);
	/* Write-back anywhere; the other types nowhere but in a device window. */
	assert_int_equal(vmk_pmap_enter(u, UVA, PMT_DATA, RW, 0), 0);
	for (unsigned int i = 0; i < 3; i++) {
		uint32_t mt = VMK_PMAP_MEMTYPE(mts[i]);

		assert_int_equal(vmk_pmap_enter(u, UVA + 4096, PMT_DATA, RW, mt), -VMK_EINVAL);
		assert_int_equal(vmk_pmap_enter(u, UVA, PMT_DATA, RW, mt), -VMK_EINVAL);	/* nor over WB */
		assert_int_equal(vmk_pmap_enter_pages(u, UVA + S2M, pas, 4, RW, mt), -VMK_EINVAL);
		assert_int_equal(vmk_pmap_enter_large(u, UVA + S2M, PMT_DATA, S2M, RW, mt), -VMK_EINVAL);
	}
	vmk_pmap_stats(u, &st);
	assert_int_equal(st.resident, 1);
	assert_int_equal(vmk_pmap_extract(u, UVA, &m), 0);
	assert_int_equal(m.memtype, VMK_MEMTYPE_WB);
	/* The explicit device API: a window, then device mappings inside it only. */
	assert_int_equal(vmk_pmap_allow_device(vmk_pmap_kernel(), UVA, S2M), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_allow_device(u, UVA + S2M + 1, S2M), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_allow_device(u, UVA + S2M, S2M), 0);
	assert_int_equal(vmk_pmap_enter(u, UVA + S2M, PMT_DATA, RW, VMK_PMAP_MEMTYPE(VMK_MEMTYPE_DEVICE)), 0);
	assert_int_equal(vmk_pmap_enter_pages(u, UVA + S2M + 4096, pas, 4, RW, VMK_PMAP_MEMTYPE(VMK_MEMTYPE_WC)), 0);
	/* A run crossing the window's end is refused whole. */
	assert_int_equal(vmk_pmap_enter_pages(u, UVA + 2 * S2M - 8192, pas, 4, RW,
					      VMK_PMAP_MEMTYPE(VMK_MEMTYPE_UC)), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_extract(u, UVA + S2M, &m), 0);
	assert_int_not_equal(m.memtype, VMK_MEMTYPE_WB);	/* x86-64 and riscv64 read device as UC */
	pmt_check(u);
	assert_int_equal(vmk_pmap_remove(u, UVA, UVA + 2 * S2M), 0);
	assert_int_equal(vmk_pmap_enter_large(u, UVA + S2M, PMT_DATA, S2M, RW, VMK_PMAP_MEMTYPE(VMK_MEMTYPE_UC)), 0);
	pmt_check(u);
	assert_int_equal(vmk_pmap_remove(u, UVA + S2M, UVA + 2 * S2M), 0);
	vmk_pmap_activate(vmk_pmap_kernel(), 0);
	vmk_pmap_destroy(u);
	pmt_shutdown();
}

/* A leaf's raw attributes rebuilt with bits clr removed (what a broken pmap could write). */
static void strip(struct vmk_pmap *pm, vmk_vaddr_t va, uint32_t clr)
{
	unsigned int lvl;
	vmk_pte_t *p = vmk_pmap__walk(pm, va, &lvl, NULL);
	vmk_pte_t e = vmk_pmap__pte_load(p);

	vmk_pmap__pte_store(p, vmk_pmap__leaf_rebuild(e, lvl, vmk_pmap__g.arch->attrs_of(e, lvl) & ~clr));
}

static void test_exec_across_privilege(void **state)
{
	enum vmk_pmap_arch_id arch = ARCH_OF(state);
	struct vmk_pmap *u, *k;
	struct vmk_mmu_walk w;
	vmk_vaddr_t kva;

	pmt_boot_arch(arch);
	k = vmk_pmap_kernel();
	kva = pmt_kva();
	assert_int_equal(vmk_pmap_create(&u), 0);
	vmk_pmap_activate(u, 0);
	assert_int_equal(vmk_pmap_enter(u, UVA, PMT_DATA, RX, 0), 0);
	assert_int_equal(vmk_pmap_enter(k, kva, PMT_DATA + 4096, RX, 0), 0);
	/* User code runs in user mode only; kernel code in the kernel only. */
	assert_int_equal(vmk_sim_mmu_access(0, UVA, VMK_MMU_EXEC | VMK_MMU_USER, &w), 0);
	assert_false(w.kexec);
	assert_int_equal(vmk_sim_mmu_access(0, UVA, VMK_MMU_EXEC, NULL), VMK_MMU_FAULT_PERMISSION);
	assert_int_equal(vmk_sim_mmu_access(0, kva, VMK_MMU_EXEC, &w), 0);
	assert_false(w.uexec);
	assert_int_equal(vmk_sim_mmu_access(0, kva, VMK_MMU_EXEC | VMK_MMU_USER, NULL), VMK_MMU_FAULT_PERMISSION);
	/* The decoded leaves carry both bits on every architecture. */
	assert_true(vmk_pmap__g.arch->attrs_of(vmk_pmap__pte_load(vmk_pmap__walk(u, UVA, &(unsigned int){ 0 }, NULL)), 0) &
		    VMK_PTE_A_PXN);
	assert_true(vmk_pmap__g.arch->attrs_of(vmk_pmap__pte_load(vmk_pmap__walk(k, kva, &(unsigned int){ 0 }, NULL)), 0) &
		    VMK_PTE_A_UXN);
	pmt_check(u);
	pmt_check(k);
	if (arch == VMK_PMAP_ARCH_ARM64) {
		/* arm64 descriptors hold PXN and UXN themselves: a leaf without them is reported. */
		strip(u, UVA, VMK_PTE_A_PXN);
		expect_report(u, "kernel-executable (no PXN) user mapping", UVA);
		strip(k, kva, VMK_PTE_A_UXN);
		expect_report(k, "user-executable kernel mapping", kva);
	}
	vmk_pmap_activate(k, 0);
	vmk_pmap_destroy(u);
	pmt_shutdown();
}

#define T3(f) cmocka_unit_test_prestate(f, &x86), cmocka_unit_test_prestate(f, &arm), \
	      cmocka_unit_test_prestate(f, &rv)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T3(test_kernel_wx_reported),
		T3(test_kernel_wx_opt_out),
		T3(test_user_device_only_in_window),
		T3(test_exec_across_privilege),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
