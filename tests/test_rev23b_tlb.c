/*
 * Review of vmk_pmap_enter_blocks: what the CPUs may cache and when they
 * see the new entries. With every barrier and invalidation a speculation
 * point over the range, and the range's blocks accessed by 2 CPUs, no CPU
 * may keep a translation the tables no longer grant: after a promotion at
 * the end of the run, after the undo of an -VMK_ENOMEM, after a kernel
 * table of zeros is replaced. The batched fill publishes its stores as the
 * per-block path does (PTE_STORE, and ISB for the kernel), and a kernel
 * run on a shared Sv39 root is reachable through a user root made before.
 */
#include "pmap_util.h"
#include "../src/pmap/pmap_internal.h"
#include <stdio.h>

#define ARCH_OF(state) (*(enum vmk_pmap_arch_id *)*(state))
#define UVA	0x0000000040000000ull
#define RW	(VMK_PROT_READ | VMK_PROT_WRITE)
#define S4K	PT_SIZE(0)
#define S2M	PT_SIZE(1)
#define S1G	PT_SIZE(2)
#define UNMANAGED_PA	(8ull << 30)

static enum vmk_pmap_arch_id x86 = VMK_PMAP_ARCH_X86_64, arm = VMK_PMAP_ARCH_ARM64, rv = VMK_PMAP_ARCH_RISCV64;

static void boot(enum vmk_pmap_arch_id arch, bool k1g)
{
	struct pmt_opts o = { .arch = arch, .ncpus = 2, .spec_pct = 100, .promote_kernel_1g = k1g };

	pmt_boot(&o);
}

static void touch(vmk_vaddr_t va, vmk_size_t len, vmk_size_t step)
{
	for (unsigned int cpu = 0; cpu < 2; cpu++)
		for (vmk_vaddr_t v = va; v < va + len; v += step)
			assert_int_equal(vmk_sim_mmu_access(cpu, v + 5 * S4K, VMK_MMU_READ, NULL), 0);
}

static void clean(void)
{
	char msg[256] = "";
	unsigned int n = pmt_reported(msg, sizeof(msg));

	if (n)
		printf("reported %u: %s\n", n, msg);
	assert_int_equal(n, 0);
}

/* A user run over a whole table and a piece, promoted at the end, accessed, then undone by ENOMEM elsewhere. */
static void test_user_promote_audit(void **state)
{
	struct vmk_pmap *u;
	struct pmt_opts o = { .arch = ARCH_OF(state), .ncpus = 2, .spec_pct = 100 };

	u = pmt_boot_user_all(&o);
	assert_int_equal(vmk_sim_mmu_spec_hint(UVA, 2 * S1G), 0);
	assert_int_equal(vmk_pmap_enter_blocks(u, UVA, UNMANAGED_PA, S1G + 8 * S2M, S2M, RW, 0), 0);
	assert_int_equal(pmt_stats(u).promotions, 1);
	touch(UVA, S1G + 8 * S2M, S2M);
	clean();
	pmt_check(u);
	/* Every allocation failing in turn: whatever was entered and cached is gone. */
	for (unsigned int f = 0;; f++) {
		int r;

		vmk_sim_fail_nth(f, "pmap.", false);
		r = vmk_pmap_enter_blocks(u, UVA + 2 * S1G - 4 * S2M, UNMANAGED_PA, 3 * S1G, S2M, RW, 0);
		vmk_sim_fail_off();
		clean();
		pmt_check(u);
		if (r == 0)
			break;
		assert_int_equal(r, -VMK_ENOMEM);
	}
	touch(UVA + 2 * S1G - 4 * S2M, 3 * S1G, S2M);
	clean();
	pmt_kernel_all();
	pmt_drop_user(u);
	pmt_shutdown();
}

/* The kernel: tables of zeros replaced, 1 GiB promotion allowed, accessed between calls. */
static void test_kernel_audit(void **state)
{
	struct vmk_pmap *k;
	vmk_vaddr_t b;

	boot(ARCH_OF(state), true);
	k = vmk_pmap_kernel();
	b = (pmt_kva() + 2 * S1G) & ~(S1G - 1);
	assert_int_equal(vmk_sim_mmu_spec_hint(b, 2 * S1G), 0);
	/* Tables of zeros at three places, one accessed (cached) before it is emptied. */
	for (unsigned int i = 0; i < 3; i++) {
		vmk_vaddr_t z = b + (i * 300 + 7) * S2M;

		assert_int_equal(vmk_pmap_enter(k, z, PMT_DATA, RW, 0), 0);
		touch(z - 5 * S4K, S4K, S4K);
		assert_int_equal(vmk_pmap_remove(k, z, z + S4K), 0);
	}
	clean();
	assert_int_equal(vmk_pmap_enter_blocks(k, b, UNMANAGED_PA, S1G + 400 * S2M, S2M, RW, 0), 0);
	touch(b, S1G + 400 * S2M, S2M);
	clean();
	pmt_check(k);
	pmt_shutdown();
}

static void test_sv39_shared(void **state)
{
	struct pmt_opts o = { .arch = rv, .levels = 3 };
	struct vmk_pmap *u, *k;
	vmk_vaddr_t b;

	(void)state;
	pmt_boot(&o);
	k = vmk_pmap_kernel();
	u = pmt_user(false);	/* active on CPU 0, its root copied before the call */
	b = pmt_kva() + 5 * S1G;
	assert_int_equal(vmk_pmap_enter_blocks(k, b, UNMANAGED_PA, 3 * S1G, S2M, RW, 0), 0);
	for (vmk_vaddr_t v = b; v < b + 3 * S1G; v += 64 * S2M)
		assert_int_equal(vmk_sim_mmu_access(0, v, VMK_MMU_READ, NULL), 0);
	pmt_check(k);
	pmt_drop_user(u);
	pmt_shutdown();
}

/*
 * The batched fill publishes what it stored before returning, as the
 * per-block path does: with the level-1 table already there (nothing
 * allocated, so no other barrier in the call), the run's stores are
 * followed by a PTE_STORE barrier, and for the kernel an ISB after it.
 */
static void publish_case(struct vmk_pmap *pm, vmk_vaddr_t b, bool kernel)
{
	struct vmk_sim_mmu_ev ev[64];
	size_t n;
	int last_store = -1, last_isb = -1;

	/* The table, and the cached one, exist: a block at its start. */
	assert_int_equal(vmk_pmap_enter_large(pm, b, UNMANAGED_PA, S2M, RW, 0), 0);
	vmk_sim_mmu_events_clear();
	assert_int_equal(vmk_pmap_enter_blocks(pm, b + S2M, UNMANAGED_PA + S2M, 100 * S2M, S2M, RW, 0), 0);
	n = vmk_sim_mmu_events(ev, 64);
	for (size_t i = 0; i < n; i++) {
		if (ev[i].kind != VMK_SIM_EV_BARRIER)
			continue;
		if (ev[i].arg == VMK_BARRIER_PTE_STORE)
			last_store = (int)i;
		if (ev[i].arg == VMK_BARRIER_ISB)
			last_isb = (int)i;
	}
	assert_true(last_store >= 0);
	if (kernel)
		assert_true(last_isb > last_store);
	assert_int_equal(pmt_stats(pm).mappings[1] >= 101, 1);
	pmt_check(pm);
}

static void test_publish(void **state)
{
	struct vmk_pmap *u;

	boot(ARCH_OF(state), false);
	publish_case(vmk_pmap_kernel(), (pmt_kva() + 2 * S1G) & ~(S1G - 1), true);
	u = pmt_user(false);
	publish_case(u, UVA, false);
	pmt_drop_user(u);
	pmt_shutdown();
}

#define T(f) cmocka_unit_test_prestate(f, &x86), cmocka_unit_test_prestate(f, &arm), cmocka_unit_test_prestate(f, &rv)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_user_promote_audit),
		T(test_kernel_audit),
		T(test_publish),
		cmocka_unit_test_prestate(test_sv39_shared, &rv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
