/*
 * Seed 004: per-CPU areas are never transiently invalid. Simulated CPUs
 * keep touching their per-CPU data (as exception handlers would) while
 * CPU 0 promotes and demotes neighbouring kernel memory; the software MMU
 * reports any access that faults and any moment a must-stay-valid range
 * is invalid outside a rendezvous. A control shows the same workload
 * caught when the area is placed as ordinary memory.
 */
#include <pthread.h>

#include "kmem_util.h"

#define PG	4096ull
#define S2M	(2ull << 20)
#define NCPU	4
#define AREA	(16 * PG)

static vmk_vaddr_t area[NCPU];
static volatile int stop_flag;
static char side_err[256];
static unsigned long touches;

static void *toucher(void *arg)
{
	unsigned int cpu = (unsigned int)(uintptr_t)arg;
	uint64_t i = 0;

	vmk_sim_set_cpu(cpu);
	while (!__atomic_load_n(&stop_flag, __ATOMIC_ACQUIRE)) {
		vmk_vaddr_t va = area[cpu] + (i++ % (AREA / PG)) * PG + 8;
		int f = vmk_sim_mmu_access(cpu, va, (i & 1) ? VMK_MMU_WRITE : VMK_MMU_READ, NULL);

		if (f && !side_err[0])
			snprintf(side_err, sizeof(side_err), "cpu %u: per-CPU va %#llx faulted (%s)", cpu,
				 (unsigned long long)va, vmk_mmu_fault_name(f));
		__atomic_fetch_add(&touches, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void boot(enum vmk_pmap_arch_id arch)
{
	struct pmt_opts o = { .arch = arch, .ncpus = NCPU };

	kmt_boot_opts(&o);
}

/* CPU 0: fill units (promotion), punch holes (demotion), free them; returns cycles. */
static unsigned int churn(unsigned int cycles)
{
	struct vmk_pmap_stats s0, s1;
	unsigned int c;

	vmk_pmap_stats(vmk_pmap_kernel(), &s0);
	for (c = 0; c < cycles && !side_err[0]; c++) {
		vmk_vaddr_t v = vmk_kmem_malloc(2 * S2M, 0);

		assert_true(v != 0);
		vmk_kmem_unback(v + 5 * PG, PG);		/* demotes a promoted unit */
		assert_int_equal(vmk_kmem_back(0, v + 5 * PG, PG, 0), 0);	/* promotes it again */
		vmk_kmem_free(v, 2 * S2M);
	}
	vmk_pmap_stats(vmk_pmap_kernel(), &s1);
	assert_true(s1.promotions > s0.promotions);
	assert_true(s1.demotions > s0.demotions);
	return c;
}

static void run(enum vmk_kmem_pcpu_strategy strat, enum vmk_pmap_arch_id arch)
{
	pthread_t th[NCPU];

	boot(arch);
	side_err[0] = 0;
	stop_flag = 0;
	touches = 0;
	for (unsigned int c = 1; c < NCPU; c++) {
		area[c] = vmk_kmem_pcpu_alloc(0, AREA, strat);
		assert_true(area[c] != 0);
		assert_int_equal(vmk_sim_mmu_must_stay_valid(area[c], AREA), 0);
	}
	for (unsigned int c = 1; c < NCPU; c++)
		assert_int_equal(pthread_create(&th[c], NULL, toucher, (void *)(uintptr_t)c), 0);
	while (__atomic_load_n(&touches, __ATOMIC_RELAXED) < 1000)
		sched_yield();
	churn(4);
	__atomic_store_n(&stop_flag, 1, __ATOMIC_RELEASE);
	for (unsigned int c = 1; c < NCPU; c++)
		pthread_join(th[c], NULL);
	if (side_err[0])
		fail_msg("%s", side_err);
	if (vmk_sim_mmu_bbm_violations())
		fail_msg("%s: %s", pmt_arch_name(arch), vmk_sim_mmu_bbm_msg());
	assert_true(touches > 3000);
	kmt_check_fast();
}

/* Alone in its unit, no-promote: nothing else is ever mapped in the unit, nothing touches its entries. */
static void test_seed_pcpu_alone(void **st)
{
	(void)st;
	for (unsigned int a = 0; a < 2; a++) {
		enum vmk_pmap_arch_id arch = a ? VMK_PMAP_ARCH_ARM64 : VMK_PMAP_ARCH_X86_64;
		struct vmk_pmap_mapping m;

		run(VMK_KMEM_PCPU_ALONE, arch);
		for (unsigned int c = 1; c < NCPU; c++) {
			vmk_vaddr_t unit = area[c] & ~(S2M - 1);

			assert_int_equal(area[c], unit);
			for (vmk_vaddr_t v = unit; v < unit + S2M; v += PG) {
				int r = vmk_pmap_extract(vmk_pmap_kernel(), v, &m);

				if (v < area[c] + AREA) {
					assert_int_equal(r, 0);
					assert_true(m.nopromote);
					assert_int_equal(m.size, PG);
				} else {
					assert_int_equal(r, -VMK_ENOENT);
				}
			}
		}
		kmt_shutdown();
	}
}

/* The rendezvous strategy: the area shares units with ordinary memory that promotes and demotes. */
static void test_seed_pcpu_rendezvous(void **st)
{
	(void)st;
	for (unsigned int a = 0; a < 2; a++) {
		enum vmk_pmap_arch_id arch = a ? VMK_PMAP_ARCH_ARM64 : VMK_PMAP_ARCH_X86_64;
		unsigned long rv0;
		vmk_vaddr_t fill[512];
		unsigned int n = 0;
		pthread_t th;

		boot(arch);
		side_err[0] = 0;
		stop_flag = 0;
		touches = 0;
		area[1] = vmk_kmem_pcpu_alloc(0, AREA, VMK_KMEM_PCPU_RENDEZVOUS);
		assert_true(area[1] != 0);
		assert_int_equal(vmk_sim_mmu_must_stay_valid(area[1], AREA), 0);
		assert_int_equal(pthread_create(&th, NULL, toucher, (void *)(uintptr_t)1), 0);
		while (__atomic_load_n(&touches, __ATOMIC_RELAXED) < 1000)
			sched_yield();
		rv0 = vmk_sim_mmu_rendezvous_count();
		/* Fill the area's own unit page by page until it promotes, then punch a hole. */
		for (int round = 0; round < 2; round++) {
			struct vmk_pmap_mapping m;

			n = 0;
			while (n < 512) {
				fill[n] = vmk_kmem_malloc(PG, 0);
				assert_true(fill[n] != 0);
				n++;
				if (vmk_pmap_extract(vmk_pmap_kernel(), area[1], &m) == 0 && m.size == S2M)
					break;
			}
			assert_int_equal(m.size, S2M);
			for (unsigned int i = 0; i < n; i++)
				vmk_kmem_free(fill[i], PG);
		}
		__atomic_store_n(&stop_flag, 1, __ATOMIC_RELEASE);
		pthread_join(th, NULL);
		if (side_err[0])
			fail_msg("%s", side_err);
		if (vmk_sim_mmu_bbm_violations())
			fail_msg("%s: %s", pmt_arch_name(arch), vmk_sim_mmu_bbm_msg());
		/* arm64 changes a table to a block with break-before-make: inside a rendezvous. */
		if (arch == VMK_PMAP_ARCH_ARM64)
			assert_true(vmk_sim_mmu_rendezvous_count() > rv0);
		kmt_check_fast();
		vmk_kmem_free(area[1], AREA);
		kmt_shutdown();
	}
}

/*
 * The kernel pmap holds 8 rendezvous ranges (documented): the ninth
 * rendezvous area is refused with 0 and nothing taken (KVA, frames,
 * mappings as before); the other strategy and a bad one are unaffected.
 */
static void test_rendezvous_ranges_full(void **st)
{
	vmk_vaddr_t a[8], x;
	struct kmt_snap s0;

	(void)st;
	kmt_boot(VMK_PMAP_ARCH_X86_64);
	for (unsigned int i = 0; i < 8; i++) {
		a[i] = vmk_kmem_pcpu_alloc(0, PG, VMK_KMEM_PCPU_RENDEZVOUS);
		assert_true(a[i] != 0);
	}
	kmt_snap(&s0);
	assert_true(vmk_kmem_pcpu_alloc(0, PG, VMK_KMEM_PCPU_RENDEZVOUS) == 0);
	kmt_same(&s0, "ninth rendezvous area");
	assert_true(vmk_kmem_pcpu_alloc(0, PG, (enum vmk_kmem_pcpu_strategy)5) == 0);
	x = vmk_kmem_pcpu_alloc(0, PG, VMK_KMEM_PCPU_ALONE);
	assert_true(x != 0);
	kmt_check_fast();
	for (unsigned int i = 0; i < 8; i++)
		vmk_kmem_free(a[i], PG);
	kmt_shutdown();
}

/* Control: the same per-CPU data as plain kmem memory is caught invalid when its unit promotes (arm64 BBM). */
static void test_plain_placement_is_caught(void **st)
{
	struct vmk_pmap_mapping m;
	vmk_vaddr_t fill[512], p;
	unsigned int n = 0;

	(void)st;
	boot(VMK_PMAP_ARCH_ARM64);
	p = vmk_kmem_malloc(AREA, 0);
	assert_int_equal(vmk_sim_mmu_must_stay_valid(p, AREA), 0);
	while (n < 512) {
		fill[n] = vmk_kmem_malloc(PG, 0);
		n++;
		if (vmk_pmap_extract(vmk_pmap_kernel(), p, &m) == 0 && m.size == S2M)
			break;
	}
	assert_int_equal(m.size, S2M);
	assert_true(vmk_sim_mmu_bbm_violations() > 0);
	for (unsigned int i = 0; i < n; i++)
		vmk_kmem_free(fill[i], PG);
	vmk_kmem_free(p, AREA);
	kmt_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_pcpu_alone),
		cmocka_unit_test(test_seed_pcpu_rendezvous),
		cmocka_unit_test(test_plain_placement_is_caught),
		cmocka_unit_test(test_rendezvous_ranges_full),
	};

	vmk_sim_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
