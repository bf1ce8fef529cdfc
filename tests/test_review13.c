/*
 * Defects an independent review of issue 13's security properties found
 * (src/pmap/secure.c, src/pmap/copy.c), on x86-64, arm64 and riscv64:
 *  - vmk_pmap_copy (fork) copied a managed write-combining leaf from a
 *    pmap that has a device window to one that has none: the child got a
 *    device mapping without the explicit call, and vmk_pmap_check on it
 *    reported "non-write-back (device) user mapping". A non-write-back
 *    leaf is copied only where the destination allows it (else skipped,
 *    as an optimisation may: the child's fault decides);
 *  - a 2 MiB block promoted from the pages of two adjacent device windows
 *    (each page allowed) was reported by vmk_pmap_check, which wanted a
 *    leaf inside one window: the windows now count together (the same
 *    for vmk_pmap_allow_wx ranges).
 */
#include "pmap_util.h"
#include <string.h>

#define UVA	0x0000000040000000ull
#define S2M	PT_SIZE(1)
#define RW	(VMK_PROT_READ | VMK_PROT_WRITE)
#define M	VMK_PMAP_ENTER_MANAGED
#define ARCH_OF(state) (*(enum vmk_pmap_arch_id *)*(state))

static enum vmk_pmap_arch_id x86 = VMK_PMAP_ARCH_X86_64, arm = VMK_PMAP_ARCH_ARM64, rv = VMK_PMAP_ARCH_RISCV64;

static void expect_clean(struct vmk_pmap *pm)
{
	char msg[200];

	if (vmk_pmap_check(pm, msg, sizeof(msg)) != 0)
		fail_msg("unexpected report: %s", msg);
}

static void test_copy_keeps_device_in_windows(void **state)
{
	struct vmk_pmap *parent, *child, *child2;
	struct vmk_pmap_mapping m;
	uint32_t wc = M | VMK_PMAP_MEMTYPE(VMK_MEMTYPE_WC);

	pmt_boot_arch(ARCH_OF(state));
	assert_int_equal(vmk_pmap_create(&parent), 0);
	assert_int_equal(vmk_pmap_create(&child), 0);
	assert_int_equal(vmk_pmap_create(&child2), 0);
	/* The parent: a WB page, a WC page and a WC block in its device window. */
	assert_int_equal(vmk_pmap_allow_device(parent, UVA + S2M, 2 * S2M), 0);
	assert_int_equal(vmk_pmap_enter(parent, UVA, PMT_DATA, RW, M), 0);
	assert_int_equal(vmk_pmap_enter(parent, UVA + S2M, PMT_DATA + 4096, RW, wc), 0);
	assert_int_equal(vmk_pmap_enter_large(parent, UVA + 2 * S2M, PMT_DATA + S2M, S2M, RW, wc), 0);
	expect_clean(parent);
	/* A child without a window gets the write-back page only. */
	assert_int_equal(vmk_pmap_copy(child, parent, UVA, 3 * S2M), 0);
	expect_clean(child);
	assert_int_equal(vmk_pmap_extract(child, UVA, &m), 0);
	assert_int_equal(vmk_pmap_extract(child, UVA + S2M, &m), -VMK_ENOENT);
	assert_int_equal(vmk_pmap_extract(child, UVA + 2 * S2M, &m), -VMK_ENOENT);
	/* A child with the same window gets all three. */
	assert_int_equal(vmk_pmap_allow_device(child2, UVA + S2M, 2 * S2M), 0);
	assert_int_equal(vmk_pmap_copy(child2, parent, UVA, 3 * S2M), 0);
	expect_clean(child2);
	assert_int_equal(vmk_pmap_extract(child2, UVA + S2M, &m), 0);
	assert_int_equal(m.memtype, VMK_MEMTYPE_WC);
	assert_int_equal(vmk_pmap_extract(child2, UVA + 2 * S2M, &m), 0);
	assert_int_equal(m.size, S2M);
	pmt_check(parent);
	pmt_check(child);
	pmt_check(child2);
	vmk_pmap_destroy(child2);
	vmk_pmap_destroy(child);
	vmk_pmap_destroy(parent);
	pmt_shutdown();
}

/* Two adjacent device windows together cover a block the pmap promotes from their pages. */
static void test_promotion_across_adjacent_windows(void **state)
{
	struct vmk_pmap *u;
	struct vmk_pmap_mapping m;
	static vmk_paddr_t pas[256];
	uint32_t wc = VMK_PMAP_MEMTYPE(VMK_MEMTYPE_WC);

	pmt_boot_arch(ARCH_OF(state));
	assert_int_equal(vmk_pmap_create(&u), 0);
	assert_int_equal(vmk_pmap_allow_device(u, UVA, S2M / 2), 0);
	assert_int_equal(vmk_pmap_allow_device(u, UVA + S2M / 2, S2M / 2), 0);
	for (unsigned int h = 0; h < 2; h++) {
		for (unsigned int i = 0; i < 256; i++)
			pas[i] = PMT_DATA + (h * 256ull + i) * 4096;
		assert_int_equal(vmk_pmap_enter_pages(u, UVA + h * (S2M / 2), pas, 256, RW, wc), 0);
	}
	assert_int_equal(vmk_pmap_extract(u, UVA, &m), 0);
	expect_clean(u);
	pmt_check(u);
	vmk_pmap_destroy(u);
	pmt_shutdown();
}

#define T3(f) cmocka_unit_test_prestate(f, &x86), cmocka_unit_test_prestate(f, &arm), \
	      cmocka_unit_test_prestate(f, &rv)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T3(test_copy_keeps_device_in_windows),
		T3(test_promotion_across_adjacent_windows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
