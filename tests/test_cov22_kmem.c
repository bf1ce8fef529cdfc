/*
 * kmem's refusals: before vmk_kmem_init every entry point refuses (0,
 * NULL or -VMK_EINVAL) and the checker has nothing to check; init refuses
 * a missing config, an empty or misaligned window, no kernel pmap, and a
 * second init; on a booted machine vmk_kmem_back, vmk_kmem_bootstrap_free
 * and vmk_kmem_pcpu_alloc refuse every bad range or size with nothing
 * taken (phys, pmap, arenas and kmem counters as before).
 */
#include "kmem_util.h"

#define PG	VMK_PAGE_SIZE

static int teardown(void **st)
{
	(void)st;
	kmt_shutdown();
	return 0;
}

static struct vmk_kmem_config window(void)
{
	struct vmk_kmem_config c = { 0 };

	c.kva_start = pmt_kva();
	c.kva_end = pmt_kva() + KMT_WINDOW;
	return c;
}

static void test_not_ready(void **st)
{
	struct vmk_kmem_config c, bad;
	struct vmk_phys_stats before, after;
	char msg[64] = "untouched";

	(void)st;
	kmt_boot(VMK_PMAP_ARCH_X86_64);
	vmk_kmem_reset();
	vmk_phys_get_stats(&before);
	assert_true(vmk_kmem_malloc(PG, 0) == 0);
	assert_true(vmk_kmem_malloc_domain(0, PG, 0) == 0);
	assert_true(vmk_kmem_alloc_contig(PG, 0, UINT64_MAX, 0, 0, VMK_MEMATTR_WB, 0, 0) == 0);
	assert_true(vmk_kmem_alloc_stack(2, 1, 0) == 0);
	assert_true(vmk_kmem_pcpu_alloc(0, PG, VMK_KMEM_PCPU_ALONE) == 0);
	assert_int_equal(vmk_kmem_back(0, pmt_kva(), PG, 0), -VMK_EINVAL);
	assert_int_equal(vmk_kmem_bootstrap_free(kmt_boot_va(), PG), -VMK_EINVAL);
	assert_null(vmk_kmem_kva_arena());
	assert_null(vmk_kmem_arena(0, false));
	assert_int_equal(vmk_kmem_check(msg, sizeof(msg)), 0);
	assert_string_equal(msg, "untouched");
	vmk_phys_get_stats(&after);
	assert_int_equal(after.free, before.free);

	/* init's refusals, then a good init and a second one. */
	c = window();
	assert_int_equal(vmk_kmem_init(NULL), -VMK_EINVAL);
	bad = c;
	bad.kva_end = bad.kva_start;
	assert_int_equal(vmk_kmem_init(&bad), -VMK_EINVAL);
	bad = c;
	bad.kva_start += PG;
	assert_int_equal(vmk_kmem_init(&bad), -VMK_EINVAL);
	bad = c;
	bad.kva_end -= PG;
	assert_int_equal(vmk_kmem_init(&bad), -VMK_EINVAL);
	assert_null(vmk_kmem_kva_arena());
	vmk_phys_get_stats(&after);
	assert_int_equal(after.free, before.free);
	assert_int_equal(vmk_kmem_init(&c), 0);
	assert_non_null(vmk_kmem_kva_arena());
	assert_int_equal(vmk_kmem_init(&c), -VMK_EBUSY);
	assert_int_equal(vmk_kmem_check(NULL, 0), 0);
}

/* Without a kernel pmap (its bootstrap failed) there is nothing to map into. */
static void test_no_kernel_pmap(void **st)
{
	struct vmk_kmem_config c;
	struct vmk_pmap_config pc;

	(void)st;
	kmt_boot(VMK_PMAP_ARCH_X86_64);
	c = window();
	vmk_kmem_reset();
	memset(&pc, 0, sizeof(pc));
	pc.arch = VMK_PMAP_ARCH_X86_64;
	pc.kva_start = pmt_kva();
	pc.kva_end = pmt_kva() + (16ull << 30);
	vmk_sim_fail_nth(1, "pmap.", true);
	assert_int_equal(vmk_pmap_bootstrap(&pc), -VMK_ENOMEM);
	vmk_sim_fail_off();
	assert_null(vmk_pmap_kernel());
	assert_int_equal(vmk_kmem_init(&c), -VMK_EINVAL);
	assert_null(vmk_kmem_kva_arena());
}

static void test_back_refusals(void **st)
{
	struct kmt_snap s0;
	const vmk_vaddr_t lo = pmt_kva(), hi = pmt_kva() + KMT_WINDOW;

	(void)st;
	kmt_boot(VMK_PMAP_ARCH_X86_64);
	kmt_snap(&s0);
	assert_int_equal(vmk_kmem_back(0, lo, 0, 0), -VMK_EINVAL);
	assert_int_equal(vmk_kmem_back(0, lo + 8, PG, 0), -VMK_EINVAL);
	assert_int_equal(vmk_kmem_back(0, lo, PG + 8, 0), -VMK_EINVAL);
	assert_int_equal(vmk_kmem_back(0, lo - PG, PG, 0), -VMK_EINVAL);	/* below the window */
	assert_int_equal(vmk_kmem_back(0, hi, PG, 0), -VMK_EINVAL);		/* at its end */
	assert_int_equal(vmk_kmem_back(0, hi - PG, 2 * PG, 0), -VMK_EINVAL);	/* runs past it */
	assert_int_equal(vmk_kmem_back(0, lo, 0 - lo, 0), -VMK_EINVAL);		/* va + size wraps to 0 */
	kmt_same(&s0, "refused backs");
	kmt_check_fast();
}

static void test_bootstrap_free_refusals(void **st)
{
	struct kmt_snap s0;
	struct vmk_kmem_stats ks;
	const vmk_vaddr_t b = kmt_boot_va();

	(void)st;
	kmt_boot(VMK_PMAP_ARCH_X86_64);
	kmt_snap(&s0);
	assert_int_equal(vmk_kmem_bootstrap_free(b, 0 - b + PG), -VMK_EINVAL);	/* va + size wraps */
	assert_int_equal(vmk_kmem_bootstrap_free(~(vmk_vaddr_t)0 - 8, 0), -VMK_EINVAL);	/* rounding up wraps */
	assert_int_equal(vmk_kmem_bootstrap_free(pmt_kva() + PG, PG), -VMK_EINVAL);	/* inside the kmem window */
	/* Inside the window even though it starts below it. */
	assert_int_equal(vmk_kmem_bootstrap_free(pmt_kva() - PG, 2 * PG), -VMK_EINVAL);
	/* Not a whole page once rounded inward: nothing to do. */
	assert_int_equal(vmk_kmem_bootstrap_free(b + 8, PG), 0);
	/* Outside the window, but nothing mapped there. */
	assert_int_equal(vmk_kmem_bootstrap_free(b, PG), -VMK_ENOENT);
	vmk_kmem_stats(&ks);
	assert_int_equal(ks.bootstrap_freed, 0);
	kmt_same(&s0, "refused bootstrap frees");
	kmt_check_fast();
}

static void test_pcpu_refusals(void **st)
{
	struct kmt_snap s0;

	(void)st;
	kmt_boot(VMK_PMAP_ARCH_X86_64);
	kmt_snap(&s0);
	assert_true(vmk_kmem_pcpu_alloc(0, 0, VMK_KMEM_PCPU_ALONE) == 0);
	assert_true(vmk_kmem_pcpu_alloc(0, VMK_KMEM_UNIT + PG, VMK_KMEM_PCPU_ALONE) == 0);
	assert_true(vmk_kmem_pcpu_alloc(VMK_MAX_DOMAINS, PG, VMK_KMEM_PCPU_RENDEZVOUS) == 0);
	assert_null(vmk_kmem_arena(VMK_MAX_DOMAINS, false));
	kmt_same(&s0, "refused per-CPU allocations");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_not_ready, teardown),
		cmocka_unit_test_teardown(test_no_kernel_pmap, teardown),
		cmocka_unit_test_teardown(test_back_refusals, teardown),
		cmocka_unit_test_teardown(test_bootstrap_free_refusals, teardown),
		cmocka_unit_test_teardown(test_pcpu_refusals, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
