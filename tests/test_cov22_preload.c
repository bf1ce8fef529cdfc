/*
 * The preload code's kernel-memory copy (vmk_preload__kva_copy) in every
 * direction its contract names: host buffer to kernel memory and back
 * across a page boundary (the bytes arrive, the neighbours stay), kernel
 * to kernel, and -VMK_EFAULT for an unmapped source (the destination
 * unchanged) or destination.
 */
#include "kmem_util.h"
#include "../src/preload/preload_internal.h"

#define PG	VMK_PAGE_SIZE

static int teardown(void **st)
{
	(void)st;
	kmt_shutdown();
	return 0;
}

static void test_kva_copy(void **st)
{
	unsigned char in[300], out[PG], zero[300];
	vmk_vaddr_t va, vb;

	(void)st;
	kmt_boot(VMK_PMAP_ARCH_X86_64);
	va = vmk_kmem_malloc(2 * PG, VMK_KM_ZERO);
	vb = vmk_kmem_malloc(2 * PG, VMK_KM_ZERO);
	assert_true(va && vb);
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 7 + 1);
	memset(zero, 0, sizeof(zero));
	/* Host to kernel, straddling the page boundary. */
	assert_int_equal(vmk_preload__kva_copy(NULL, va + PG - 100, in, 0, sizeof(in)), 0);
	memset(out, 0xee, sizeof(out));
	assert_int_equal(vmk_preload__kva_copy(out, 0, NULL, va + PG - 100, sizeof(in)), 0);
	assert_memory_equal(out, in, sizeof(in));
	assert_int_equal(out[sizeof(in)], 0xee);
	/* The bytes around it are still zero. */
	assert_int_equal(vmk_preload__kva_copy(out, 0, NULL, va + PG - 200, 100), 0);
	assert_memory_equal(out, zero, 100);
	/* Kernel to kernel. */
	assert_int_equal(vmk_preload__kva_copy(NULL, vb + 50, NULL, va + PG - 100, sizeof(in)), 0);
	assert_int_equal(vmk_preload__kva_copy(out, 0, NULL, vb + 50, sizeof(in)), 0);
	assert_memory_equal(out, in, sizeof(in));
	/* Unmapped source: -VMK_EFAULT, the host destination untouched. */
	memset(out, 0xee, sizeof(out));
	assert_int_equal(vmk_preload__kva_copy(out, 0, NULL, kmt_boot_va(), 16), -VMK_EFAULT);
	assert_int_equal(out[0], 0xee);
	/* Unmapped destination. */
	assert_int_equal(vmk_preload__kva_copy(NULL, kmt_boot_va(), in, 0, 16), -VMK_EFAULT);
	vmk_kmem_free(va, 2 * PG);
	vmk_kmem_free(vb, 2 * PG);
	kmt_check_fast();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_kva_copy, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
