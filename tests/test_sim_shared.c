/*
 * CPUs sharing address spaces, under the adversarial simulator (walk
 * caches, speculative fills, freed-PTP checks) and the rendezvous that
 * parks a CPU anywhere (a signal, as an IPI). Meant for ThreadSanitizer
 * (make check TSAN=1) as well as the normal build:
 *  - two workers on CPUs 1 and 2 run one user pmap at once: each enters,
 *    removes and protects pages of its own slice and checks its accesses
 *    against a private model, and also reads the other's slice and the
 *    other's kernel pages, so every change needs a shootdown to reach the
 *    other CPU's TLB and walk caches;
 *  - both read a shared kernel range, and map/unmap kernel pages;
 *  - the background speculator walks live addresses of every CPU while
 *    they run (not only at the hooks);
 *  - a prober on CPU 3 keeps reading the per-CPU area (must stay valid),
 *    which the main CPU keeps demoting and re-promoting with the
 *    rendezvous strategy: the other CPUs are parked wherever they are.
 * Then a deterministic epilogue: CPU 1 caches a page, CPU 2 removes it.
 * The mutant run clears every request's shootdown flag (only the
 * invalidating CPU's TLB is emptied): the simulator must report it.
 */
#include <pthread.h>

#include "pmap_util.h"

#define ARCH_OF(state) (*(enum vmk_pmap_arch_id *)*(state))
#define NW	2
#define UVA	0x0000000040000000ull
#define WP	512u
#define S2M	PT_SIZE(1)
#define RW	(VMK_PROT_READ | VMK_PROT_WRITE)
#define M	VMK_PMAP_ENTER_MANAGED

static enum vmk_pmap_arch_id x86 = VMK_PMAP_ARCH_X86_64, arm = VMK_PMAP_ARCH_ARM64, rv = VMK_PMAP_ARCH_RISCV64;

struct worker {
	pthread_t th;
	unsigned int cpu, id;
	uint64_t rng;
	struct { bool valid; vmk_paddr_t pa; uint32_t prot; } e[WP];
	char err[256];
};

static struct vmk_pmap *shared;
static volatile int stop_flag;
static unsigned int iters;
static vmk_vaddr_t pcpu_va, kshared_va;
static char side_err[256];
static bool mutant_local;
static void (*real_tlb)(void *, const struct vmk_tlb_req *);

static void local_only_tlb(void *ctx, const struct vmk_tlb_req *req)
{
	struct vmk_tlb_req r = *req;

	if (__atomic_load_n(&mutant_local, __ATOMIC_RELAXED))
		r.shootdown = false;
	real_tlb(ctx, &r);
}

static uint64_t rnd(uint64_t *s, uint64_t n)
{
	return pmt_rand(s) % n;
}

static vmk_vaddr_t slice_va(unsigned int id, unsigned int p)
{
	return UVA + ((vmk_vaddr_t)id * WP + p) * VMK_PAGE_SIZE;
}

static vmk_vaddr_t kpage_va(unsigned int id, unsigned int p)
{
	return pmt_kva() + (vmk_vaddr_t)(id + 1) * PT_SIZE(2) + p * VMK_PAGE_SIZE;
}

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	unsigned int other = w->id ^ 1;

	vmk_sim_rdv_cpu_enter(w->cpu);
	vmk_pmap_activate(shared, w->cpu);
	for (unsigned int it = 0; it < iters && !w->err[0]; it++) {
		unsigned int op = (unsigned int)rnd(&w->rng, 100), p = (unsigned int)rnd(&w->rng, WP);
		uint32_t prot = rnd(&w->rng, 2) ? RW : VMK_PROT_READ;
		int r = 0;

		if (op < 35) {
			vmk_paddr_t pa = PMT_DATA + (w->id * WP + rnd(&w->rng, WP)) * 4096ull;

			r = vmk_pmap_enter(shared, slice_va(w->id, p), pa, prot, M);
			w->e[p].valid = true;
			w->e[p].pa = pa;
			w->e[p].prot = prot;
		} else if (op < 50) {
			unsigned int n = 1 + (unsigned int)rnd(&w->rng, 32);

			n = VMK_MIN(n, WP - p);	/* a macro: its arguments are evaluated twice */

			r = vmk_pmap_remove(shared, slice_va(w->id, p), slice_va(w->id, p + n));
			for (unsigned int q = p; q < p + n; q++)
				w->e[q].valid = false;
		} else if (op < 60) {
			unsigned int n = 1 + (unsigned int)rnd(&w->rng, 32);

			n = VMK_MIN(n, WP - p);	/* a macro: its arguments are evaluated twice */

			r = vmk_pmap_protect(shared, slice_va(w->id, p), slice_va(w->id, p + n), prot);
			for (unsigned int q = p; q < p + n; q++)
				w->e[q].prot = prot;
		} else if (op < 68) {
			/* a kernel page of this worker: the other one reads them too */
			vmk_vaddr_t kva = kpage_va(w->id, p % 16);

			r = vmk_pmap_enter(vmk_pmap_kernel(), kva, PMT_DATA + 4096ull * p, RW, 0);
			if (!r && vmk_sim_mmu_access(w->cpu, kva, VMK_MMU_WRITE, NULL))
				snprintf(w->err, sizeof(w->err), "kernel mapping %#llx faults", (unsigned long long)kva);
			if (!r)
				r = vmk_pmap_remove(vmk_pmap_kernel(), kva, kva + 4096);
		} else if (op < 80) {
			/* the other worker's pages and kernel pages, the shared kernel range: unchecked reads */
			(void)vmk_sim_mmu_access(w->cpu, slice_va(other, p), VMK_MMU_READ | VMK_MMU_USER, NULL);
			(void)vmk_sim_mmu_access(w->cpu, kpage_va(other, p % 16), VMK_MMU_READ, NULL);
			if (vmk_sim_mmu_access(w->cpu, kshared_va + p * 4096ull, VMK_MMU_READ, NULL))
				snprintf(w->err, sizeof(w->err), "shared kernel page %u faults", p);
		} else {
			for (unsigned int k = 0; k < 8 && !w->err[0]; k++) {
				unsigned int q = (unsigned int)rnd(&w->rng, WP);
				bool wr = rnd(&w->rng, 2);
				struct vmk_mmu_walk mw;
				int f = vmk_sim_mmu_access(w->cpu, slice_va(w->id, q),
							   (wr ? VMK_MMU_WRITE : VMK_MMU_READ) | VMK_MMU_USER, &mw);
				bool ok = w->e[q].valid && (!wr || (w->e[q].prot & VMK_PROT_WRITE));

				if ((f == 0) != ok || (f == 0 && mw.pa != w->e[q].pa)) {
					struct vmk_mmu_walk pw;
					int pf = vmk_sim_mmu_probe(w->cpu, slice_va(w->id, q), 0, &pw);

					snprintf(w->err, sizeof(w->err),
						 "worker %u cpu %u/%u it %u: %s page %u: %s at level %u, model %s pa %#llx/%#llx (tables now: %s pa %#llx)",
						 w->id, w->cpu, vmk_cpu_id(), it, wr ? "write" : "read", q, vmk_mmu_fault_name(f), mw.fault_level,
						 ok ? "allowed" : "denied", (unsigned long long)mw.pa,
						 (unsigned long long)w->e[q].pa, vmk_mmu_fault_name(pf),
						 (unsigned long long)pw.pa);
				}
			}
		}
		if (r && !w->err[0])
			snprintf(w->err, sizeof(w->err), "cpu %u it %u op %u failed: %d", w->cpu, it, op, r);
	}
	vmk_sim_rdv_cpu_exit();
	return NULL;
}

static void *prober_fn(void *arg)
{
	uint64_t rng = (uint64_t)(uintptr_t)arg;

	vmk_sim_rdv_cpu_enter(NW + 1);
	while (!__atomic_load_n(&stop_flag, __ATOMIC_ACQUIRE)) {
		vmk_vaddr_t va = pcpu_va + rnd(&rng, 512) * 4096ull;
		int f = vmk_sim_mmu_access(NW + 1, va, VMK_MMU_READ, NULL);

		if (f && !side_err[0])
			snprintf(side_err, sizeof(side_err), "prober: per-CPU va %#llx faulted (%s)",
				 (unsigned long long)va, vmk_mmu_fault_name(f));
	}
	vmk_sim_rdv_cpu_exit();
	return NULL;
}

/* Returns what the simulator reported (0: nothing). */
static unsigned int run(enum vmk_pmap_arch_id arch, bool mutant)
{
	struct pmt_opts o = { .arch = arch, .ncpus = NW + 2, .asid_bits = 8, .spec_pct = 25 };
	static struct worker w[NW];
	struct vmk_sim_rdv_stats rs;
	struct vmk_pmap *k;
	pthread_t probe_th;
	unsigned long seed = th_seed(), shoot;
	const char *e = getenv("VMK_SIM_SHARED_ITERS");
	unsigned int cycles = 0, n;
	char msg[300];

	iters = e && *e ? (unsigned int)strtoul(e, NULL, 0) : 300;
	pmt_boot(&o);
	real_tlb = vmk_sim_platform()->tlb_invalidate;
	vmk_sim_platform()->tlb_invalidate = local_only_tlb;
	mutant_local = mutant;
	vmk_sim_tlb_expect_broken_pmap(mutant);
	vmk_sim_mmu_rendezvous_anywhere(true);
	vmk_sim_rdv_cpu_enter(0);
	k = vmk_pmap_kernel();
	printf("sim shared (%s%s): seed %lu, %u iterations per worker\n", pmt_arch_name(arch),
	       mutant ? ", mutant: no shootdowns" : "", seed, iters);
	pcpu_va = pmt_kva() + 32 * S2M;
	kshared_va = pmt_kva() + 40 * S2M;
	assert_int_equal(vmk_pmap_protect_bbm(k, pcpu_va, S2M, VMK_PMAP_BBM_RENDEZVOUS), 0);
	for (unsigned int i = 0; i < 512; i++) {
		assert_int_equal(vmk_pmap_enter(k, pcpu_va + i * 4096ull, PMT_DATA + 8 * S2M + i * 4096ull, RW, 0), 0);
		assert_int_equal(vmk_pmap_enter(k, kshared_va + i * 4096ull, PMT_DATA + 12 * S2M + i * 4096ull, RW, 0), 0);
	}
	assert_int_equal(vmk_sim_mmu_must_stay_valid(pcpu_va, S2M), 0);
	assert_int_equal(vmk_pmap_create(&shared), 0);
	/* The hardware walks while vmkit runs, not only at its hooks. */
	assert_int_equal(vmk_sim_mmu_spec_thread(true), 0);
	stop_flag = 0;
	side_err[0] = '\0';
	for (unsigned int i = 0; i < NW; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].id = i;
		w[i].cpu = i + 1;
		w[i].rng = seed * 7919 + i + 1;
	}
	assert_int_equal(pthread_create(&probe_th, NULL, prober_fn, (void *)(uintptr_t)(seed | 3)), 0);
	for (unsigned int i = 0; i < NW; i++)
		assert_int_equal(pthread_create(&w[i].th, NULL, worker_fn, &w[i]), 0);
	while (cycles < 60) {
		assert_int_equal(vmk_pmap_protect(k, pcpu_va, pcpu_va + 4096, VMK_PROT_READ), 0);
		assert_int_equal(vmk_pmap_protect(k, pcpu_va, pcpu_va + 4096, RW), 0);
		assert_int_equal(vmk_pmap_enter(k, pcpu_va + 4096, PMT_DATA + 8 * S2M + 4096, RW, 0), 0);
		cycles++;
	}
	for (unsigned int i = 0; i < NW; i++)
		pthread_join(w[i].th, NULL);
	__atomic_store_n(&stop_flag, 1, __ATOMIC_RELEASE);
	pthread_join(probe_th, NULL);
	vmk_sim_rdv_stats(&rs);
	shoot = vmk_sim_mmu_shootdowns();
	vmk_sim_mmu_spec_thread(false);
	printf("sim shared: %lu shootdown requests, %lu rendezvous, %lu CPU parks, %lu speculative walks "
	       "(%lu background rounds)\n", shoot, rs.rendezvous, rs.parked, vmk_sim_mmu_spec_walks(),
	       vmk_sim_mmu_spec_thread_rounds());
	for (unsigned int i = 0; i < NW; i++)
		if (w[i].err[0] && !mutant)
			fail_msg("%s", w[i].err);
	if (side_err[0] && !mutant)
		fail_msg("%s", side_err);
	if (!mutant)
		assert_true(shoot > 0);
	/* x86 changes entries in place: only arm64 needs the rendezvous. */
	assert_true(arch == VMK_PMAP_ARCH_X86_64 || rs.rendezvous >= cycles);
	/* Epilogue: CPU 1 caches a page of the shared space, CPU 2 removes it. */
	vmk_sim_mmu_speculate(0, 0, 0);
	assert_int_equal(vmk_pmap_enter(shared, UVA, PMT_DATA, RW, 0), 0);
	assert_int_equal(vmk_sim_mmu_access(1, UVA, VMK_MMU_READ | VMK_MMU_USER, NULL), 0);
	vmk_sim_set_cpu(2);
	assert_int_equal(vmk_pmap_remove(shared, UVA, UVA + 4096), 0);
	vmk_sim_set_cpu(0);
	n = vmk_sim_tlb_audit(msg, sizeof(msg));
	if (vmk_sim_mmu_bbm_violations()) {
		snprintf(msg, sizeof(msg), "%s", vmk_sim_mmu_bbm_msg());
		n++;
	}
	if (!mutant) {
		if (n)
			fail_msg("simulator report: %s", msg);
		pmt_check(shared);
		pmt_check(k);
	} else {
		if (side_err[0]) {
			/* A CPU that missed a shootdown walked a replaced table: caught on the way. */
			snprintf(msg, sizeof(msg), "%s", side_err);
			n++;
		}
		printf("  mutant caught: %s\n", msg);
	}
	mutant_local = false;
	vmk_sim_tlb_expect_broken_pmap(false);
	for (unsigned int c = 0; c < NW + 2; c++)
		vmk_pmap_activate(k, c);
	vmk_pmap_destroy(shared);
	vmk_sim_rdv_cpu_exit();
	vmk_sim_platform()->tlb_invalidate = real_tlb;
	pmt_shutdown();
	return n;
}

static void test_shared(void **state)
{
	assert_int_equal(run(ARCH_OF(state), false), 0);
}

static void test_shared_mutant_no_shootdown(void **state)
{
	assert_true(run(ARCH_OF(state), true) > 0);
}

#define T(f) cmocka_unit_test_prestate(f, &x86), cmocka_unit_test_prestate(f, &arm), cmocka_unit_test_prestate(f, &rv)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_shared),
		T(test_shared_mutant_no_shootdown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
