/*
 * What a page handed to a user address space holds, and page poisoning
 * (src/phys/poison.c, docs/phys.md "Zeroed pages and poisoning"):
 *  - a page written, freed and allocated again with VMK_ALLOC_ZERO (the
 *    allocation a kernel makes for an anonymous user page), mapped into
 *    a user pmap, reads only zeros through the simulated MMU, on the
 *    order-0 per-CPU path, the buddy path and the contiguous path; without
 *    the flag the old contents come back (nothing else zeroes);
 *  - with poisoning on, a freed page holds the poison pattern, and a
 *    write to it after the free trips an assertion at its next
 *    allocation naming the page's physical address (order 0 and a page
 *    inside an order-2 block); no false report for pages never poisoned
 *    or poisoned and untouched.
 */
#include "pmap_util.h"
#include "../src/pmap/pmap_internal.h"
#include <string.h>

#define UVA	0x0000000040000000ull
#define RW	(VMK_PROT_READ | VMK_PROT_WRITE)
#define ARCH_OF(state) (*(enum vmk_pmap_arch_id *)*(state))

static enum vmk_pmap_arch_id x86 = VMK_PMAP_ARCH_X86_64, arm = VMK_PMAP_ARCH_ARM64, rv = VMK_PMAP_ARCH_RISCV64;

static unsigned char *bytes(struct vmk_page *pg)
{
	unsigned char *v = vmk_phys_to_virt(vmk_page_to_pa(pg));

	assert_non_null(v);
	return v;
}

/* Map pg at UVA in u and read every byte of it through the MMU: returns the number of non-zero bytes. */
static unsigned int user_nonzero(struct vmk_pmap *u, struct vmk_page *pg)
{
	unsigned int n = 0;

	assert_int_equal(vmk_pmap_enter(u, UVA, vmk_page_to_pa(pg), RW, VMK_PMAP_ENTER_MANAGED), 0);
	for (unsigned int off = 0; off < VMK_PAGE_SIZE; off += 8) {
		struct vmk_mmu_walk w;
		uint64_t x;

		assert_int_equal(vmk_sim_mmu_access(0, UVA + off, VMK_MMU_USER, &w), 0);
		memcpy(&x, vmk_sim_phys_to_virt(w.pa), sizeof(x));
		for (unsigned int i = 0; i < 8; i++)
			n += ((x >> (8 * i)) & 0xff) != 0;
	}
	assert_int_equal(vmk_pmap_remove(u, UVA, UVA + VMK_PAGE_SIZE), 0);
	return n;
}

/* Allocate order-2 blocks until one holds frame pa (the poisoned page is checked there). */
static void take_until(vmk_paddr_t pa)
{
	for (unsigned int i = 0; i < 20000; i++) {
		struct vmk_page *b = vmk_page_alloc_order(VMK_DOMAIN_LOCAL, VMK_POOL_DEFAULT, 2, 0);

		if (!b || (vmk_page_to_pa(b) <= pa && pa < vmk_page_to_pa(b) + 4 * VMK_PAGE_SIZE))
			return;
	}
}

static void drop_user(struct vmk_pmap *u)
{
	vmk_pmap_activate(vmk_pmap_kernel(), 0);
	vmk_pmap_destroy(u);
	vmk_phys_set_poison(false);
	pmt_shutdown();
}

static void test_user_page_reads_zero(void **state)
{
	struct vmk_pmap *u = pmt_boot_user(ARCH_OF(state));
	struct vmk_page *pg, *again;
	vmk_paddr_t pa;

	/* Order 0 through the per-CPU cache: the page just freed comes back. */
	pg = vmk_page_alloc(VMK_DOMAIN_LOCAL, VMK_POOL_DEFAULT, 0);
	assert_non_null(pg);
	pa = vmk_page_to_pa(pg);
	memset(bytes(pg), 0xa5, VMK_PAGE_SIZE);
	vmk_page_free(pg);
	again = vmk_page_alloc(VMK_DOMAIN_LOCAL, VMK_POOL_DEFAULT, 0);
	assert_int_equal(vmk_page_to_pa(again), pa);
	assert_int_equal(user_nonzero(u, again), VMK_PAGE_SIZE);	/* without the flag: the old bytes */
	vmk_page_free(again);
	again = vmk_page_alloc(VMK_DOMAIN_LOCAL, VMK_POOL_DEFAULT, VMK_ALLOC_ZERO);
	assert_int_equal(vmk_page_to_pa(again), pa);
	assert_int_equal(user_nonzero(u, again), 0);
	memset(bytes(again), 0x5a, VMK_PAGE_SIZE);
	vmk_page_free(again);
	/* Uncached order 0 and order 2 through the buddy lists. */
	again = vmk_page_alloc(VMK_DOMAIN_LOCAL, VMK_POOL_DEFAULT, VMK_ALLOC_ZERO | VMK_ALLOC_NOCACHE);
	assert_non_null(again);
	assert_int_equal(user_nonzero(u, again), 0);
	vmk_page_free(again);
	pg = vmk_page_alloc_order(VMK_DOMAIN_LOCAL, VMK_POOL_DEFAULT, 2, 0);
	assert_non_null(pg);
	pa = vmk_page_to_pa(pg);
	memset(bytes(pg), 0xa5, 4 * VMK_PAGE_SIZE);
	vmk_page_free_order(pg, 2);
	pg = vmk_page_alloc_order(VMK_DOMAIN_LOCAL, VMK_POOL_DEFAULT, 2, VMK_ALLOC_ZERO);
	assert_int_equal(vmk_page_to_pa(pg), pa);
	for (unsigned int i = 0; i < 4; i++)
		assert_int_equal(user_nonzero(u, pg + i), 0);
	vmk_page_free_order(pg, 2);
	pmt_check(u);
	drop_user(u);
}

static void test_poison_fills_and_checks(void **state)
{
	struct vmk_pmap *u = pmt_boot_user(ARCH_OF(state));
	struct vmk_page *pg, *again;

	assert_false(vmk_phys_poison());
	pg = vmk_page_alloc(VMK_DOMAIN_LOCAL, VMK_POOL_DEFAULT, 0);
	vmk_phys_set_poison(true);
	assert_true(vmk_phys_poison());
	memset(bytes(pg), 0, VMK_PAGE_SIZE);
	vmk_page_free(pg);
	/* Freed: every byte is the pattern. */
	for (unsigned int i = 0; i < VMK_PAGE_SIZE; i++)
		assert_int_equal(bytes(pg)[i], VMK_PHYS_POISON_BYTE);
	/* Untouched since: allocated without a report; ZERO still zeroes. */
	again = vmk_page_alloc(VMK_DOMAIN_LOCAL, VMK_POOL_DEFAULT, 0);
	assert_ptr_equal(again, pg);
	assert_int_equal(bytes(again)[100], VMK_PHYS_POISON_BYTE);
	vmk_page_free(again);
	again = vmk_page_alloc(VMK_DOMAIN_LOCAL, VMK_POOL_DEFAULT, VMK_ALLOC_ZERO);
	assert_ptr_equal(again, pg);
	assert_int_equal(user_nonzero(u, again), 0);
	vmk_page_free(again);
	pmt_check(u);
	drop_user(u);
}

static void test_use_after_free_reported(void **state)
{
	struct vmk_pmap *u = pmt_boot_user(ARCH_OF(state));
	struct vmk_page *pg;
	char want[80];

	vmk_phys_set_poison(true);
	/* Order 0 through the per-CPU cache. */
	pg = vmk_page_alloc(VMK_DOMAIN_LOCAL, VMK_POOL_DEFAULT, 0);
	vmk_page_free(pg);
	bytes(pg)[0x123] = 0x42;	/* the stale pointer writes */
	snprintf(want, sizeof(want), "page 0x%llx was written after it was freed (byte 0x123 is 0x42",
		 (unsigned long long)vmk_page_to_pa(pg));
	assert_panics(vmk_page_alloc(VMK_DOMAIN_LOCAL, VMK_POOL_DEFAULT, 0), want);
	drop_user(u);

	/* The third page of an order-2 block, through the buddy lists. */
	u = pmt_boot_user(ARCH_OF(state));
	vmk_phys_set_poison(true);
	pg = vmk_page_alloc_order(VMK_DOMAIN_LOCAL, VMK_POOL_DEFAULT, 2, 0);
	vmk_page_free_order(pg, 2);
	bytes(pg + 2)[4095] = 0;
	snprintf(want, sizeof(want), "page 0x%llx was written after it was freed (byte 0xfff is 0",
		 (unsigned long long)vmk_page_to_pa(pg + 2));
	assert_panics(take_until(vmk_page_to_pa(pg + 2)), want);
	drop_user(u);
}

#define T3(f) cmocka_unit_test_prestate(f, &x86), cmocka_unit_test_prestate(f, &arm), \
	      cmocka_unit_test_prestate(f, &rv)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T3(test_user_page_reads_zero),
		T3(test_poison_fills_and_checks),
		cmocka_unit_test_prestate(test_use_after_free_reported, &x86),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
