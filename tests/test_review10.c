/*
 * Review of issue 10's vmem: a child arena that imports without a release
 * function, and nocross requests served by import.
 */
#include "phys_util.h"
#include <vmkit/vmem.h>
#include "kmem_util.h"

#define PG	4096ull
#define S2M	(2ull << 20)
#define BOOT_PA	((2ull << 30) + (64ull << 20))

static void setup_phys(void)
{
	tp_reset();
	tp_add_free(1ull << 30, 64ull << 20, 0);
}

/* The parent hands out spans one page off any 8 KiB boundary, as a fragmented parent may. */
static int imp_odd(void *arg, vmk_size_t size, unsigned int flags, vmk_vaddr_t *addrp)
{
	return vmk_vmem_xalloc(arg, size, 0x2000, 0x1000, 0, 0, 0, flags & VMK_VMEM_POLICY_MASK, addrp);
}

static int imp(void *arg, vmk_size_t size, unsigned int flags, vmk_vaddr_t *addrp)
{
	return vmk_vmem_xalloc(arg, size, 0, 0, 0, 0, 0, flags & VMK_VMEM_POLICY_MASK, addrp);
}

static void rel(void *arg, vmk_vaddr_t addr, vmk_size_t size)
{
	vmk_vmem_xfree(arg, addr, size);
}

/*
 * An arena may import without a release function (vmem_init allows it,
 * as FreeBSD does). A request the imported span cannot satisfy must fail
 * with -VMK_ENOMEM, not call a NULL release.
 */
static void test_import_without_release_constrained_failure(void **st)
{
	struct vmk_vmem parent, child;
	struct vmk_vmem_params pp = { .name = "parent", .base = 0x40000000, .size = 0x1000000, .quantum = 4096 };
	struct vmk_vmem_params cp = { .name = "child", .quantum = 4096, .import = imp };
	vmk_vaddr_t x = 0;

	(void)st;
	setup_phys();
	assert_int_equal(vmk_vmem_init(&parent, &pp), 0);
	cp.import_arg = &parent;
	assert_int_equal(vmk_vmem_init(&child, &cp), 0);
	/* maxaddr below everything the parent owns: no import can fit it. */
	assert_int_equal(vmk_vmem_xalloc(&child, 0x1000, 0, 0, 0, 0x1000, 0x2000, 0, &x), -VMK_ENOMEM);
	assert_int_equal(vmk_vmem_check(&child, NULL, 0), 0);
	assert_int_equal(vmk_vmem_check(&parent, NULL, 0), 0);
	/* The arena still works. */
	assert_int_equal(vmk_vmem_xalloc(&child, 0x1000, 0, 0, 0, 0, 0, 0, &x), 0);
	assert_true(x >= 0x40000000 && x < 0x41000000);
}

/*
 * nocross through import: the import must be large enough that a
 * nocross-aligned window exists in it, as it is for align.
 */
static void test_import_nocross(void **st)
{
	struct vmk_vmem parent, child;
	struct vmk_vmem_params pp = { .name = "parent", .base = 0x40000000, .size = 0x1000000, .quantum = 4096 };
	struct vmk_vmem_params cp = { .name = "child", .quantum = 4096, .import = imp_odd, .release = rel };
	vmk_vaddr_t x = 0;

	(void)st;
	setup_phys();
	assert_int_equal(vmk_vmem_init(&parent, &pp), 0);
	cp.import_arg = &parent;
	assert_int_equal(vmk_vmem_init(&child, &cp), 0);
	assert_int_equal(vmk_vmem_xalloc(&child, 0x2000, 0, 0, 0x2000, 0, 0, 0, &x), 0);
	assert_int_equal(x & 0x1fff, 0);
	assert_int_equal(vmk_vmem_check(&child, NULL, 0), 0);
	vmk_vmem_xfree(&child, x, 0x2000);
	assert_int_equal(vmk_vmem_size(&parent, VMK_VMEM_ALLOC), 0);
	vmk_vmem_destroy(&child);
	vmk_vmem_destroy(&parent);
}

static uint64_t free_frames(void)
{
	struct vmk_phys_stats st;

	vmk_phys_drain_all_quiescent();
	vmk_phys_get_stats(&st);
	return st.free;
}

/*
 * kmem_bootstrap_free of a range with unaligned head and tail over four
 * boot 2 MiB blocks: exactly the whole pages inside are freed, the head
 * and tail pages and the rest of their blocks keep their translations.
 */
static void test_bootstrap_free_multi_block(void **st)
{
	struct vmk_pmap *k;
	struct vmk_pmap_mapping m;
	vmk_vaddr_t b, lo, hi;
	uint64_t f0;

	(void)st;
	kmt_boot(VMK_PMAP_ARCH_X86_64);
	k = vmk_pmap_kernel();
	b = kmt_boot_va();
	for (unsigned int i = 0; i < 4; i++)
		assert_int_equal(vmk_pmap_enter_large(k, b + i * S2M, BOOT_PA + i * S2M, S2M,
						      VMK_PROT_READ | VMK_PROT_WRITE,
						      VMK_PMAP_ENTER_WIRED | VMK_PMAP_ENTER_KEEP_SPARE), 0);
	lo = b + 0x1800;
	hi = b + 3 * S2M + 0x2800;
	f0 = free_frames();
	assert_int_equal(vmk_kmem_bootstrap_free(lo, hi - lo), 0);
	assert_int_equal(free_frames() - f0, (b + 3 * S2M + 0x2000 - (b + 0x2000)) / PG);
	for (vmk_vaddr_t v = b; v < b + 4 * S2M; v += PG) {
		bool in = v >= b + 0x2000 && v < b + 3 * S2M + 0x2000;

		if (in) {
			assert_int_equal(vmk_pmap_extract(k, v, &m), -VMK_ENOENT);
		} else {
			assert_int_equal(vmk_pmap_extract(k, v, &m), 0);
			assert_int_equal(m.pa, BOOT_PA + (v - b));
		}
	}
	kmt_check();
	kmt_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_import_without_release_constrained_failure),
		cmocka_unit_test(test_import_nocross),
		cmocka_unit_test(test_bootstrap_free_multi_block),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
