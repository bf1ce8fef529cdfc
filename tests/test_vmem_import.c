/*
 * An importing arena calls its import function with its own lock dropped
 * and interrupts as its caller had them. kmem's import grows the kernel
 * page tables under the kernel pmap's lock; a CPU that waits for that
 * lock with interrupts off cannot answer the shootdown or rendezvous IPI
 * the lock's holder may be waiting for. `vmkit stress` hung that way
 * under ThreadSanitizer: CPU 1 in vmem_xalloc (arena lock, interrupts
 * off) -> kmem unit_import -> growkernel spinning on the kernel pmap
 * lock; CPU 0 holding that lock, parked by CPU 2's rendezvous
 * (vmk_phys_drain_all); CPU 2 waiting for CPU 1 to park.
 * Also: a failure to get tags after the (unlocked) import gives the span
 * back, and kmem's own path (a first malloc imports a unit) sees the
 * same.
 */
#include "kmem_util.h"
#include <vmkit/vmem.h>

#define PG	4096ull

static struct vmk_vmem parent, child;
static unsigned int imports, bad_imports, releases;

static int imp(void *arg, vmk_size_t size, unsigned int flags, vmk_vaddr_t *addrp)
{
	imports++;
	if (!vmk_sim_intr_enabled() || vmk_spin_held(&child.lock))
		bad_imports++;
	return vmk_vmem_alloc(arg, size, flags | VMK_VMEM_INSTANTFIT, addrp);
}

static void rel(void *arg, vmk_vaddr_t addr, vmk_size_t size)
{
	releases++;
	vmk_vmem_free(arg, addr, size);
}

static void arenas(void)
{
	struct vmk_vmem_params pp = { .name = "parent", .base = 1ull << 40, .size = 1ull << 30, .quantum = PG };
	struct vmk_vmem_params cp = { .name = "child", .quantum = PG, .qcache_max = 4 * PG, .import = imp,
				      .release = rel, .import_arg = &parent, .import_quantum = 16 * PG };

	imports = bad_imports = releases = 0;
	assert_int_equal(vmk_vmem_init(&parent, &pp), 0);
	assert_int_equal(vmk_vmem_init(&child, &cp), 0);
}

static void teardown(void)
{
	char msg[200];

	assert_int_equal(vmk_vmem_check(&child, msg, sizeof(msg)), 0);
	assert_int_equal(vmk_vmem_check(&parent, msg, sizeof(msg)), 0);
	vmk_vmem_destroy(&child);
	vmk_vmem_destroy(&parent);
	assert_int_equal(vmk_vmem_size(&parent, VMK_VMEM_ALLOC), 0);
}

/* xalloc, alloc through the quantum cache and alloc beyond it: each import runs unlocked, interrupts on. */
static void test_import_unlocked(void **state)
{
	vmk_vaddr_t a, b, c;

	pmt_boot_arch(VMK_PMAP_ARCH_X86_64);
	arenas();
	assert_int_equal(vmk_vmem_xalloc(&child, 40 * PG, 8 * PG, 0, 0, 0, 0, VMK_VMEM_BESTFIT, &a), 0);
	assert_int_equal(vmk_vmem_alloc(&child, 2 * PG, VMK_VMEM_INSTANTFIT, &b), 0);
	assert_int_equal(vmk_vmem_alloc(&child, 64 * PG, VMK_VMEM_INSTANTFIT, &c), 0);
	assert_true(imports >= 2);
	if (bad_imports)
		fail_msg("%u of %u imports ran with the arena locked or interrupts off", bad_imports, imports);
	vmk_vmem_xfree(&child, a, 40 * PG);
	vmk_vmem_free(&child, b, 2 * PG);
	vmk_vmem_free(&child, c, 64 * PG);
	teardown();
	pmt_shutdown();
}

/* The quantum cache's refill runs with the cache locked: an empty arena must still import unlocked. */
static void test_qcache_refill_imports_unlocked(void **state)
{
	vmk_vaddr_t a[40];

	pmt_boot_arch(VMK_PMAP_ARCH_X86_64);
	arenas();
	for (unsigned int i = 0; i < 40; i++)
		assert_int_equal(vmk_vmem_alloc(&child, PG, VMK_VMEM_INSTANTFIT, &a[i]), 0);
	assert_true(imports >= 2);
	assert_int_equal(bad_imports, 0);
	for (unsigned int i = 0; i < 40; i++)
		vmk_vmem_free(&child, a[i], PG);
	vmk_vmem_qcache_drain(&child);
	teardown();
	pmt_shutdown();
}

/*
 * No tags after the import: the arena was unlocked meanwhile and another
 * CPU used its spare tags (here the import function plays that CPU), and
 * no tag page can be had. The imported span goes back to the parent and
 * the request fails with nothing else changed.
 */
static vmk_vaddr_t nested[256];
static unsigned int nnested;

static int imp_steal(void *arg, vmk_size_t size, unsigned int flags, vmk_vaddr_t *addrp)
{
	int r = vmk_vmem_alloc(arg, size, flags | VMK_VMEM_INSTANTFIT, addrp);

	imports++;
	if (imports == 2) {
		while (child.nbt_free >= VMK_VMEM_BT_MAXALLOC && nnested < 256)
			assert_int_equal(vmk_vmem_xalloc(&child, PG, 0, 0, 0, 0, 0, VMK_VMEM_INSTANTFIT,
							 &nested[nnested++]), 0);
		vmk_sim_fail_nth(0, "vmem.bt", true);
	}
	return r;
}

static void test_tags_after_import(void **state)
{
	vmk_vaddr_t a, b;
	vmk_size_t parent_before;

	pmt_boot_arch(VMK_PMAP_ARCH_X86_64);
	arenas();
	child.import = imp_steal;
	child.import_quantum = 256 * PG;
	nnested = 0;
	assert_int_equal(vmk_vmem_xalloc(&child, PG, 0, 0, 0, 0, 0, VMK_VMEM_INSTANTFIT, &a), 0);
	parent_before = vmk_vmem_size(&parent, VMK_VMEM_ALLOC);
	assert_int_equal(vmk_vmem_xalloc(&child, 300 * PG, 0, 0, 0, 0, 0, VMK_VMEM_INSTANTFIT, &b), -VMK_ENOMEM);
	assert_true(vmk_sim_faults_injected() > 0);
	vmk_sim_fail_off();
	assert_true(nnested > 0 && child.nbt_free < VMK_VMEM_BT_MAXALLOC);
	assert_int_equal(releases, 1);
	assert_int_equal(vmk_vmem_size(&parent, VMK_VMEM_ALLOC), parent_before);
	assert_int_equal(vmk_vmem_size(&child, VMK_VMEM_ALLOC), (1 + nnested) * PG);
	for (unsigned int i = 0; i < nnested; i++)
		vmk_vmem_xfree(&child, nested[i], PG);
	vmk_vmem_xfree(&child, a, PG);
	teardown();
	pmt_shutdown();
}

/*
 * Two imports at once: while this CPU imports (arena unlocked), another
 * (played by the import function) imports a span too and takes a page of
 * it. The fit for this request is then in the other span (best fit), and
 * the span this CPU imported must not stay wholly free: it goes back.
 */
static vmk_vaddr_t other_page;

static int imp_race(void *arg, vmk_size_t size, unsigned int flags, vmk_vaddr_t *addrp)
{
	imports++;
	if (imports == 1)
		assert_int_equal(vmk_vmem_xalloc(&child, PG, 0, 0, 0, 0, 0, VMK_VMEM_INSTANTFIT, &other_page), 0);
	return vmk_vmem_alloc(arg, size, flags | VMK_VMEM_INSTANTFIT, addrp);
}

static void test_concurrent_imports(void **state)
{
	vmk_vaddr_t a;
	char msg[200];

	pmt_boot_arch(VMK_PMAP_ARCH_X86_64);
	arenas();
	child.import = imp_race;
	child.import_quantum = 256 * PG;
	assert_int_equal(vmk_vmem_xalloc(&child, 100 * PG, 0, 0, 0, 0, 0, VMK_VMEM_BESTFIT, &a), 0);
	assert_int_equal(imports, 2);
	if (vmk_vmem_check(&child, msg, sizeof(msg)))
		fail_msg("after two overlapping imports: %s", msg);
	assert_int_equal(releases, 1);
	assert_int_equal(vmk_vmem_size(&parent, VMK_VMEM_ALLOC), 256 * PG);
	vmk_vmem_xfree(&child, a, 100 * PG);
	vmk_vmem_xfree(&child, other_page, PG);
	teardown();
	pmt_shutdown();
}

/* kmem: a malloc that imports a 2 MiB unit (growing the kernel page tables) does it with interrupts on. */
static vmk_vmem_import_fn kmem_import;
static unsigned int kmem_imports, kmem_bad_imports;

static int watch_import(void *arg, vmk_size_t size, unsigned int flags, vmk_vaddr_t *addrp)
{
	kmem_imports++;
	if (!vmk_sim_intr_enabled() || vmk_spin_held(&vmk_kmem_arena(0, false)->lock))
		kmem_bad_imports++;
	return kmem_import(arg, size, flags, addrp);
}

static void test_kmem_unit_import(void **state)
{
	struct vmk_vmem *dom;
	vmk_vaddr_t va;

	kmt_boot(VMK_PMAP_ARCH_X86_64);
	dom = vmk_kmem_arena(0, false);
	kmem_import = dom->import;
	assert_non_null(kmem_import);
	dom->import = watch_import;
	kmem_imports = kmem_bad_imports = 0;
	va = vmk_kmem_malloc(3 * PG, 0);
	assert_true(va != 0);
	assert_int_equal(kmem_imports, 1);
	assert_int_equal(kmem_bad_imports, 0);
	vmk_kmem_free(va, 3 * PG);
	dom->import = kmem_import;
	kmt_check();
	kmt_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_import_unlocked),
		cmocka_unit_test(test_qcache_refill_imports_unlocked),
		cmocka_unit_test(test_tags_after_import),
		cmocka_unit_test(test_concurrent_imports),
		cmocka_unit_test(test_kmem_unit_import),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
