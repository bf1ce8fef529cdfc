/*
 * Speculative fills: at the speculation points (barrier and TLBI hooks)
 * and from the background speculator thread, CPUs walk and cache live
 * translations no test touched. The model is described in
 * docs/simulator.md.
 */
#include "tlb_internal.h"
#include <vmkit/phys.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- speculative fills ---- */

static uint64_t spec_rand(void)
{
	uint64_t x;

	if (vmk_sim__spec_rng_gen != __atomic_load_n(&vmk_sim__spec_gen, __ATOMIC_RELAXED) || !vmk_sim__spec_rng) {
		vmk_sim__spec_rng_gen = __atomic_load_n(&vmk_sim__spec_gen, __ATOMIC_RELAXED);
		vmk_sim__spec_rng = (__atomic_load_n(&vmk_sim__spec_seed, __ATOMIC_RELAXED) + 1) * 0x9e3779b97f4a7c15ull +
			   (uint64_t)(vmk_cpu_id() + 1) * 0xbf58476d1ce4e5b9ull;
		if (!vmk_sim__spec_rng)
			vmk_sim__spec_rng = 1;
	}
	x = vmk_sim__spec_rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	vmk_sim__spec_rng = x;
	return x;
}

static bool desc_valid(uint64_t e)
{
	return e & 1;	/* x86 P, arm64 valid, riscv64 V */
}

static bool desc_leaf(uint64_t e, unsigned int lvl)
{
	if (lvl == 0)
		return true;
	if (vmk_sim__mmu_cfg.arch == VMK_PMAP_ARCH_RISCV64)
		return (e & 0xa) != 0;	/* R or X */
	return vmk_sim__mmu_cfg.arch == VMK_PMAP_ARCH_X86_64 ? (e & (1ull << 7)) != 0 : !(e & 2);
}

/* The next table of a table entry. */
static vmk_paddr_t desc_table(uint64_t e)
{
	if (vmk_sim__mmu_cfg.arch == VMK_PMAP_ARCH_RISCV64)
		return (e & 0x003ffffffffffc00ull) << 2;	/* PPN 53:10 */
	return e & 0x000ffffffffff000ull;
}

/*
 * A random live address of c's address space: descend from a root,
 * taking at each level a valid entry near a random index (a table with
 * none ends the descent there: the walk then faults below tables the
 * walk caches may still keep).
 */
static vmk_vaddr_t spec_descend(const struct tlb_cpu *c)
{
	unsigned int top = vmk_sim__mmu_cfg.levels - 1, vabits = 12 + 9 * vmk_sim__mmu_cfg.levels;
	bool kern = false;
	vmk_paddr_t table = c->root_user;
	vmk_vaddr_t va = 0;

	if (vmk_sim__mmu_cfg.arch == VMK_PMAP_ARCH_ARM64 && c->root_kernel && (!table || (spec_rand() & 1))) {
		kern = true;
		table = c->root_kernel;
	}
	for (int l = (int)top; l >= 0 && table; l--) {
		const uint64_t *t = vmk_sim_phys_to_virt(table & 0x000ffffffffff000ull);
		unsigned int idx = (unsigned int)(spec_rand() % 512), k;
		uint64_t e = 0;

		if (!t)
			break;
		/*
		 * Acquire, as the walker in mmu_walk.c: a hardware walk is ordered
		 * by its address dependency, so a table linked by a release store
		 * is read as initialised (relaxed loads let TSan see the zeroing of
		 * a new table race with this read).
		 */
		for (k = 0; k < 32; k++) {
			e = __atomic_load_n(&t[(idx + k) % 512], __ATOMIC_ACQUIRE);
			if (desc_valid(e))
				break;
		}
		if (k < 32)
			idx = (idx + k) % 512;
		va |= (vmk_vaddr_t)idx << (12 + 9 * l);
		if (k == 32 || desc_leaf(e, (unsigned int)l))
			break;
		table = desc_table(e);
	}
	if (vmk_sim__mmu_cfg.arch != VMK_PMAP_ARCH_ARM64)
		kern = (va >> (vabits - 1)) & 1;
	if (kern)
		va |= ~0ull << vabits;
	return va;
}

/* One speculative walk by cpu (c locked): walk caches always, the TLB if the leaf was accessed. */
static void spec_one(struct tlb_cpu *c, unsigned int cpu, vmk_vaddr_t va)
{
	struct vmk_mmu_walk w;
	uint64_t af = vmk_sim__mmu_cfg.arch == VMK_PMAP_ARCH_X86_64 ? (1ull << 5) :
		      vmk_sim__mmu_cfg.arch == VMK_PMAP_ARCH_RISCV64 ? (1ull << 6) : (1ull << 10);

	for (unsigned int i = 0; i < vmk_sim__tlb_cap(); i++)
		if (vmk_sim__ent_hit(&c->e[i], va, c->asid))
			return;	/* a TLB hit: the hardware does not walk */
	__atomic_add_fetch(&vmk_sim__n_spec, 1, __ATOMIC_RELAXED);
	/* No A/D update: a test may count referenced bits; a leaf is cached only once accessed. */
	if (vmk_sim__cpu_walk(c, cpu, va, 0, false, &w) == VMK_MMU_OK && (w.pte & af))
		vmk_sim__tlb_insert(c, cpu, va, &w, 0);
}

/* Speculative walks by cpu (c locked): every hint range, then `walks` live addresses. */
static void spec_cpu(struct tlb_cpu *c, unsigned int cpu, unsigned int walks)
{
	if (!c->root_user && !c->root_kernel)
		return;
	for (unsigned int h = 0; h < vmk_sim__n_hints; h++)
		spec_one(c, cpu, vmk_sim__hints[h].va + (spec_rand() % (vmk_sim__hints[h].size >> 12)) * VMK_PAGE_SIZE);
	for (unsigned int i = 0; i < walks; i++) {
		vmk_vaddr_t va;

		if ((spec_rand() & 1) && __atomic_load_n(&vmk_sim__va_ring_head, __ATOMIC_RELAXED))
			va = __atomic_load_n(&vmk_sim__va_ring[spec_rand() % RING], __ATOMIC_RELAXED);
		else
			va = spec_descend(c);
		spec_one(c, cpu, va);
	}
}

/*
 * A speculation point: maybe walk a few live addresses on one CPU chosen
 * at random (every CPU over many points: the cost stays flat as CPUs are
 * added), and the hint ranges on every CPU.
 */
void vmk_sim__speculate(void)
{
	unsigned int pct = __atomic_load_n(&vmk_sim__spec_pct, __ATOMIC_RELAXED), n = vmk_sim__ncpus(), pick;

	if (!pct || vmk_sim__spec_busy || spec_rand() % 100 >= pct)
		return;
	vmk_sim__spec_busy = true;
	pick = (unsigned int)(spec_rand() % n);
	for (unsigned int cpu = 0; cpu < n; cpu++) {
		struct tlb_cpu *c = &vmk_sim__tlbs[cpu];

		if (cpu != pick && !vmk_sim__n_hints)
			continue;
		pthread_mutex_lock(&c->lock);
		spec_cpu(c, cpu, cpu == pick ? vmk_sim__spec_walks : 0);
		pthread_mutex_unlock(&c->lock);
	}
	vmk_sim__spec_busy = false;
}

void vmk_sim_mmu_speculate(unsigned int pct, unsigned int walks, uint64_t seed)
{
	__atomic_store_n(&vmk_sim__spec_seed, seed, __ATOMIC_RELAXED);
	__atomic_store_n(&vmk_sim__spec_walks, walks, __ATOMIC_RELAXED);
	__atomic_add_fetch(&vmk_sim__spec_gen, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&vmk_sim__spec_pct, pct > 100 ? 100 : pct, __ATOMIC_RELAXED);
}

int vmk_sim_mmu_spec_hint(vmk_vaddr_t va, vmk_size_t size)
{
	if (vmk_sim__n_hints == HINT_MAX || size < VMK_PAGE_SIZE)
		return -VMK_ENOSPC;
	vmk_sim__hints[vmk_sim__n_hints].va = va & ~(vmk_vaddr_t)VMK_PAGE_MASK;
	vmk_sim__hints[vmk_sim__n_hints].size = size;
	vmk_sim__n_hints++;
	return 0;
}

void vmk_sim_mmu_spec_hints_clear(void)
{
	vmk_sim__n_hints = 0;
}

unsigned long vmk_sim_mmu_spec_walks(void)
{
	return __atomic_load_n(&vmk_sim__n_spec, __ATOMIC_RELAXED);
}

/*
 * ---- the background speculator (vmk_sim_mmu_spec_thread) ----
 *
 * A walker thread besides the speculation points: the hardware walks
 * while vmkit runs, not only at its hooks. Each barrier and TLB
 * invalidation hook kicks it; per kick it does one round while the
 * kicking CPU runs on: the hint ranges on every CPU, then `walks` live
 * addresses on one CPU chosen at random (its own seeded generator, so
 * the choices are the seed's; when they happen depends on the threads).
 * It holds one CPU's TLB lock at a time, as a walk on that CPU would,
 * so a TLB invalidation of that CPU waits for a walk in flight.
 */
static pthread_t bg_th;
static pthread_mutex_t bg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t bg_cond = PTHREAD_COND_INITIALIZER;
static bool bg_run, bg_started;		/* bg_lock */
static unsigned long bg_kicks, bg_rounds;	/* bg_lock */
static bool bg_enabled;			/* atomic: kicks are wanted */

void vmk_sim__bg_kick(void)
{
	if (!__atomic_load_n(&bg_enabled, __ATOMIC_RELAXED))
		return;
	pthread_mutex_lock(&bg_lock);
	bg_kicks++;
	pthread_cond_broadcast(&bg_cond);
	pthread_mutex_unlock(&bg_lock);
}

static void bg_round(void)
{
	unsigned int n = vmk_sim__ncpus(), pick = (unsigned int)(spec_rand() % n);
	unsigned int walks = __atomic_load_n(&vmk_sim__spec_walks, __ATOMIC_RELAXED);

	for (unsigned int cpu = 0; cpu < n; cpu++) {
		struct tlb_cpu *c = &vmk_sim__tlbs[cpu];

		if (cpu != pick && !vmk_sim__n_hints)
			continue;
		pthread_mutex_lock(&c->lock);
		spec_cpu(c, cpu, cpu == pick ? (walks ? walks : 2) : 0);
		pthread_mutex_unlock(&c->lock);
	}
}

static void *bg_main(void *arg)
{
	unsigned long seen = 0;

	vmk_sim__spec_rng_gen = __atomic_load_n(&vmk_sim__spec_gen, __ATOMIC_RELAXED);
	vmk_sim__spec_rng = ((uint64_t)(uintptr_t)arg + 1) * 0xd1b54a32d192ed03ull | 1;
	pthread_mutex_lock(&bg_lock);
	for (;;) {
		while (bg_run && bg_kicks == seen)
			pthread_cond_wait(&bg_cond, &bg_lock);
		if (!bg_run)
			break;
		seen = bg_kicks;
		pthread_mutex_unlock(&bg_lock);
		bg_round();
		pthread_mutex_lock(&bg_lock);
		bg_rounds++;
		pthread_cond_broadcast(&bg_cond);
	}
	pthread_mutex_unlock(&bg_lock);
	return NULL;
}

int vmk_sim_mmu_spec_thread(bool on)
{
	int r = 0;

	pthread_mutex_lock(&bg_lock);
	if (on && !bg_started) {
		bg_run = true;
		r = pthread_create(&bg_th, NULL, bg_main,
				   (void *)(uintptr_t)__atomic_load_n(&vmk_sim__spec_seed, __ATOMIC_RELAXED));
		bg_started = r == 0;
		bg_run = bg_started;
		__atomic_store_n(&bg_enabled, bg_started, __ATOMIC_RELAXED);
	} else if (!on && bg_started) {
		__atomic_store_n(&bg_enabled, false, __ATOMIC_RELAXED);
		bg_run = false;
		pthread_cond_broadcast(&bg_cond);
		pthread_mutex_unlock(&bg_lock);
		pthread_join(bg_th, NULL);
		pthread_mutex_lock(&bg_lock);
		bg_started = false;
	}
	pthread_mutex_unlock(&bg_lock);
	return r ? -VMK_ENOMEM : 0;
}

void vmk_sim_mmu_spec_thread_sync(void)
{
	unsigned long want;

	pthread_mutex_lock(&bg_lock);
	if (bg_started) {
		want = bg_rounds + 2;	/* a round that began after this call */
		bg_kicks++;
		pthread_cond_broadcast(&bg_cond);
		while (bg_run && bg_rounds < want) {
			pthread_cond_wait(&bg_cond, &bg_lock);
			if (bg_rounds < want) {
				bg_kicks++;
				pthread_cond_broadcast(&bg_cond);
			}
		}
	}
	pthread_mutex_unlock(&bg_lock);
}

unsigned long vmk_sim_mmu_spec_thread_rounds(void)
{
	unsigned long n;

	pthread_mutex_lock(&bg_lock);
	n = bg_rounds;
	pthread_mutex_unlock(&bg_lock);
	return n;
}
