/*
 * Several simulated CPUs (threads) using the pmap at once, meant for
 * ThreadSanitizer (make check TSAN=1) as well as the normal build:
 *  - workers, each on its own CPU with its own user pmap, enter / remove /
 *    protect / fill (promotion) pages drawn from a shared pool, so their
 *    PV lists interleave; they also map and unmap in the shared kernel
 *    pmap, and access their pages through their TLBs, checking every
 *    result against a private model;
 *  - a reverse-map thread runs ts_referenced / is_modified / clear_modify
 *    over the shared pages (taking other CPUs' pmap locks);
 *  - a prober CPU keeps reading the per-CPU area, a range that must stay
 *    valid, while the main CPU keeps demoting and re-promoting it with the
 *    rendezvous strategy.
 * At the end every pmap is checked, no TLB holds a stale translation and
 * the simulator saw no break-before-make violation.
 */
#include <pthread.h>

#include "pmap_util.h"
#include "../src/pmap/pmap_internal.h"

#define ARCH_OF(state) (*(enum vmk_pmap_arch_id *)*(state))
#define NWORK	3
#define UVA	0x0000000040000000ull
#define WP	1024u
#define POOL	256u
#define S2M	PT_SIZE(1)
#define RW	(VMK_PROT_READ | VMK_PROT_WRITE)
#define M	VMK_PMAP_ENTER_MANAGED

static enum vmk_pmap_arch_id x86 = VMK_PMAP_ARCH_X86_64, arm = VMK_PMAP_ARCH_ARM64,
			      rv = VMK_PMAP_ARCH_RISCV64;

struct worker {
	pthread_t th;
	unsigned int cpu;
	struct vmk_pmap *pm;
	uint64_t rng;
	struct { bool valid; vmk_paddr_t pa; uint32_t prot; } e[WP];
	char err[256];
};

static volatile int stop_flag;
static unsigned int iters;
static vmk_vaddr_t pcpu_va;
static char side_err[256];

static uint64_t rnd(uint64_t *s, uint64_t n)
{
	return pmt_rand(s) % n;
}

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	vmk_vaddr_t kbase = pmt_kva() + (vmk_vaddr_t)w->cpu * PT_SIZE(2);

	vmk_sim_set_cpu(w->cpu);
	vmk_pmap_activate(w->pm, w->cpu);
	for (unsigned int it = 0; it < iters && !w->err[0]; it++) {
		unsigned int op = (unsigned int)rnd(&w->rng, 100), p = (unsigned int)rnd(&w->rng, WP);
		uint32_t prot = rnd(&w->rng, 2) ? RW : VMK_PROT_READ;
		int r = 0;

		if (op < 40) {
			vmk_paddr_t pa = PMT_DATA + rnd(&w->rng, POOL) * 4096ull;

			r = vmk_pmap_enter(w->pm, UVA + p * 4096ull, pa, prot, M);
			w->e[p].valid = true;
			w->e[p].pa = pa;
			w->e[p].prot = prot;
		} else if (op < 44) {
			/* a full chunk from this worker's private run: promotion */
			unsigned int c = (unsigned int)rnd(&w->rng, WP / 512);
			vmk_paddr_t base = PMT_DATA + (vmk_paddr_t)(w->cpu + 1) * 64 * S2M + c * S2M;

			for (unsigned int q = 0; q < 512 && !r; q++) {
				r = vmk_pmap_enter(w->pm, UVA + (c * 512 + q) * 4096ull, base + q * 4096ull, prot, M);
				w->e[c * 512 + q].valid = true;
				w->e[c * 512 + q].pa = base + q * 4096ull;
				w->e[c * 512 + q].prot = prot;
			}
		} else if (op < 60) {
			unsigned int n = 1 + (unsigned int)rnd(&w->rng, 64);

			n = VMK_MIN(n, WP - p);
			r = vmk_pmap_remove(w->pm, UVA + p * 4096ull, UVA + (p + n) * 4096ull);
			for (unsigned int q = p; q < p + n; q++)
				w->e[q].valid = false;
		} else if (op < 72) {
			unsigned int n = 1 + (unsigned int)rnd(&w->rng, 64);

			n = VMK_MIN(n, WP - p);
			r = vmk_pmap_protect(w->pm, UVA + p * 4096ull, UVA + (p + n) * 4096ull, prot);
			for (unsigned int q = p; q < p + n; q++)
				w->e[q].prot = prot;
		} else if (op < 80) {
			/* the shared kernel pmap */
			vmk_vaddr_t kva = kbase + rnd(&w->rng, 64) * 4096ull;
			struct vmk_pmap_mapping m;

			r = vmk_pmap_enter(vmk_pmap_kernel(), kva, PMT_DATA + 4096ull * p, RW, 0);
			if (!r && (vmk_pmap_extract(vmk_pmap_kernel(), kva, &m) || m.pa != PMT_DATA + 4096ull * p))
				snprintf(w->err, sizeof(w->err), "kernel mapping %#llx lost", (unsigned long long)kva);
			if (!r && vmk_sim_mmu_access(w->cpu, kva, VMK_MMU_WRITE, NULL))
				snprintf(w->err, sizeof(w->err), "kernel mapping %#llx faults", (unsigned long long)kva);
			if (!r)
				r = vmk_pmap_remove(vmk_pmap_kernel(), kva, kva + 4096);
		} else {
			/* accesses through this CPU's TLB must match the model */
			for (unsigned int k = 0; k < 8 && !w->err[0]; k++) {
				unsigned int q = (unsigned int)rnd(&w->rng, WP);
				bool wr = rnd(&w->rng, 2);
				struct vmk_mmu_walk mw;
				int f = vmk_sim_mmu_access(w->cpu, UVA + q * 4096ull,
							   (wr ? VMK_MMU_WRITE : VMK_MMU_READ) | VMK_MMU_USER, &mw);
				bool ok = w->e[q].valid && (!wr || (w->e[q].prot & VMK_PROT_WRITE));

				if ((f == 0) != ok || (f == 0 && mw.pa != w->e[q].pa))
					snprintf(w->err, sizeof(w->err),
						 "cpu %u it %u: access %s page %u: %s, model %s pa %#llx/%#llx", w->cpu,
						 it, wr ? "write" : "read", q, vmk_mmu_fault_name(f),
						 ok ? "allowed" : "denied", (unsigned long long)mw.pa,
						 (unsigned long long)w->e[q].pa);
			}
		}
		if (r && !w->err[0])
			snprintf(w->err, sizeof(w->err), "cpu %u it %u op %u failed: %d", w->cpu, it, op, r);
	}
	return NULL;
}

static void *pv_fn(void *arg)
{
	uint64_t rng = (uint64_t)(uintptr_t)arg;

	vmk_sim_set_cpu(NWORK + 1);
	while (!__atomic_load_n(&stop_flag, __ATOMIC_ACQUIRE)) {
		vmk_paddr_t pa = PMT_DATA + rnd(&rng, POOL) * 4096ull;

		(void)vmk_pmap_ts_referenced(pa);
		(void)vmk_pmap_is_modified(pa);
		vmk_pmap_clear_modify(pa);
	}
	return NULL;
}

static void *prober_fn(void *arg)
{
	unsigned int cpu = NWORK + 2;
	uint64_t rng = (uint64_t)(uintptr_t)arg;

	vmk_sim_set_cpu(cpu);
	while (!__atomic_load_n(&stop_flag, __ATOMIC_ACQUIRE)) {
		vmk_vaddr_t va = pcpu_va + rnd(&rng, 512) * 4096ull;
		int f = vmk_sim_mmu_access(cpu, va, VMK_MMU_READ, NULL);

		if (f && !side_err[0])
			snprintf(side_err, sizeof(side_err), "prober: per-CPU va %#llx faulted (%s)",
				 (unsigned long long)va, vmk_mmu_fault_name(f));
	}
	return NULL;
}

static void test_mt(void **state)
{
	struct pmt_opts o = { .arch = ARCH_OF(state), .ncpus = NWORK + 3, .asid_bits = 8 };
	static struct worker w[NWORK];
	pthread_t pv_th, probe_th;
	struct vmk_pmap *k;
	unsigned long seed = th_seed();
	const char *e = getenv("VMK_PMAP_MT_ITERS");
	unsigned int cycles = 0;

	/* 1000 per worker on each of the three architectures: make check's budget. */
	iters = e && *e ? (unsigned int)strtoul(e, NULL, 0) : 1000;
	pmt_boot(&o);
	k = vmk_pmap_kernel();
	printf("pmap mt (%s): seed %lu, %u iterations per worker\n", pmt_arch_name(o.arch), seed, iters);
	/* The per-CPU area: live, protected by the rendezvous strategy. */
	pcpu_va = pmt_kva() + 32 * S2M;
	assert_int_equal(vmk_pmap_protect_bbm(k, pcpu_va, S2M, VMK_PMAP_BBM_RENDEZVOUS), 0);
	for (unsigned int i = 0; i < 512; i++)
		assert_int_equal(vmk_pmap_enter(k, pcpu_va + i * 4096ull, PMT_DATA + 8 * S2M + i * 4096ull, RW, 0), 0);
	assert_int_equal(vmk_sim_mmu_must_stay_valid(pcpu_va, S2M), 0);
	stop_flag = 0;
	side_err[0] = '\0';
	for (unsigned int i = 0; i < NWORK; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].cpu = i + 1;
		w[i].rng = seed * 7919 + i + 1;
		assert_int_equal(vmk_pmap_create(&w[i].pm), 0);
	}
	assert_int_equal(pthread_create(&pv_th, NULL, pv_fn, (void *)(uintptr_t)(seed | 1)), 0);
	assert_int_equal(pthread_create(&probe_th, NULL, prober_fn, (void *)(uintptr_t)(seed | 3)), 0);
	for (unsigned int i = 0; i < NWORK; i++)
		assert_int_equal(pthread_create(&w[i].th, NULL, worker_fn, &w[i]), 0);
	/* Main CPU: demote and re-promote the per-CPU area while the others run. */
	/* A bounded number of cycles, overlapping the workers; then wait for them. */
	while (cycles < 200) {
		struct vmk_pmap_mapping m;

		assert_int_equal(vmk_pmap_protect(k, pcpu_va, pcpu_va + 4096, VMK_PROT_READ), 0);
		assert_int_equal(vmk_pmap_protect(k, pcpu_va, pcpu_va + 4096, RW), 0);
		assert_int_equal(vmk_pmap_enter(k, pcpu_va + 4096, PMT_DATA + 8 * S2M + 4096, RW, 0), 0);
		assert_int_equal(vmk_pmap_extract(k, pcpu_va, &m), 0);
		assert_true(m.size == S2M);
		cycles++;
	}
	for (unsigned int i = 0; i < NWORK; i++)
		pthread_join(w[i].th, NULL);
	__atomic_store_n(&stop_flag, 1, __ATOMIC_RELEASE);
	pthread_join(pv_th, NULL);
	pthread_join(probe_th, NULL);
	printf("pmap mt: %u demote/promote cycles of the per-CPU area, %lu rendezvous\n", cycles,
	       vmk_sim_mmu_rendezvous_count());
	/* How often the reverse-map thread met a busy pmap lock (test_pmap_pv_wait has the cases). */
	printf("pmap mt: PV walks waited for a pmap lock %llu times, began again %llu times\n",
	       (unsigned long long)vmk_pmap__g.pv_waits, (unsigned long long)vmk_pmap__g.pv_restarts);
	for (unsigned int i = 0; i < NWORK; i++)
		if (w[i].err[0])
			fail_msg("%s", w[i].err);
	if (side_err[0])
		fail_msg("%s", side_err);
	for (unsigned int i = 0; i < NWORK; i++)
		pmt_check(w[i].pm);
	pmt_check(k);
	for (unsigned int i = 0; i < NWORK; i++) {
		vmk_pmap_activate(k, w[i].cpu);
		vmk_pmap_destroy(w[i].pm);
	}
	pmt_check(k);
	pmt_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_prestate(test_mt, &x86),
		cmocka_unit_test_prestate(test_mt, &arm),
		cmocka_unit_test_prestate(test_mt, &rv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
