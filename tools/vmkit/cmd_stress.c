/*
 * vmkit stress: a soak of every layer on several simulated CPUs at once
 * (the workload is cmd_stress_work.c). This file boots the machine (RAM,
 * phys, the software MMU with speculative fills, the kernel pmap, kmem, a
 * vmem arena, one user address space all CPUs share, the rendezvous that
 * parks CPUs anywhere), arms injected allocation failures, stops every CPU
 * between operations at intervals to check every invariant (phys, pmap,
 * kmem, vmem, the TLB audit, the CPUs' models), prints progress, and at
 * the end checks that the books balance: every frame free or owned by
 * someone who still holds it on purpose, no user mapping left, kmem and
 * vmem back where they started.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd_stress.h"
#include "commands.h"
#include "json.h"
#include "mmu.h"
#include "sim.h"
#include "util.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define RAM_BASE	GiB
#define KVA		0xffff800000000000ull
#define KVA_END		0xffff810000000000ull
#define KMEM_SIZE	(4 * GiB)
#define KSLICE		(KVA + 512 * GiB)
#define UVA		0x0000000040000000ull
#define VMEM_BASE	0x0000100000000000ull

struct st_run st;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vmkit stress [--cpus N] [--seconds S] [--seed X] [--arch x86_64|arm64|riscv64]\n"
		"                    [--ram SIZE] [--check-ms MS] [--no-faults] [--inject-bug shootdown|leak|kmap] [--json]\n"
		"\n"
		"A random workload over every layer on N simulated CPUs (threads) for S\n"
		"seconds: pages of every order (order 0 through the per-CPU caches),\n"
		"contiguous and bulk runs, NOFREE pages, kmem and vmem; 4 KiB pages,\n"
		"2 MiB blocks (promotion, demotion) and 64 KiB runs in one user address\n"
		"space all CPUs share, kernel pages and blocks, short-lived address\n"
		"spaces, reverse-map calls, per-CPU cache drains, frames marked bad at\n"
		"run time and injected allocation failures. The simulated MMU fills\n"
		"TLBs speculatively; CPUs read each other's pages, so every change\n"
		"needs its shootdown. Every check interval all CPUs stop between\n"
		"operations and every invariant is checked (phys, pmap, kmem, vmem,\n"
		"the TLB audit, break-before-make, each CPU's model of its pages).\n"
		"At the end everything is given back and the books must balance\n"
		"(frames per state, page tables, kmem, vmem, kernel mappings).\n"
		"A progress line (operations per second, memory in use, checks\n"
		"passed) goes to standard error once a second, rewritten in place on\n"
		"a terminal. The seed is printed; a run is deterministic per seed as\n"
		"far as the threads' interleaving allows.\n"
		"  --cpus       simulated CPUs, 1..%u (default 4)\n"
		"  --seconds    how long (default 10, at most 86400)\n"
		"  --seed       the run's seed (default: from the clock)\n"
		"  --arch       page-table format and MMU (default x86_64)\n"
		"  --ram        RAM size (default 512M, 128M..16G in 2 MiB steps)\n"
		"  --check-ms   milliseconds between checkpoints (default 500, 10..60000)\n"
		"  --no-faults  no injected allocation failures\n"
		"  --inject-bug a self-test: break something on purpose, the run must\n"
		"               fail (shootdown: TLB invalidations reach only the\n"
		"               calling CPU; leak: one page is never given back; kmap:\n"
		"               a kernel page is freed with its mapping left)\n"
		"  --json       the final report as one JSON object on standard output:\n"
		"               seed, arch, cpus, seconds, ops, ops_per_s, failed_ops,\n"
		"               faults_injected, checks, shootdowns, promotions,\n"
		"               demotions, folds, private_spaces, bad_frames,\n"
		"               nofree_pages, frames (present, free_start, free_end,\n"
		"               ptp_start, ptp_end, bad, nofree), balanced (true or\n"
		"               false) and error (a string, \"\" when none)\n"
		"Options may be given once. Exit status: 0 every check passed and the\n"
		"books balance, 1 a check failed or something did not balance (the\n"
		"message names it), 2 bad usage.\n", ST_MAX_CPUS);
}

/* ---- the machine ---- */

static void *meta;
static void (*real_tlb)(void *, const struct vmk_tlb_req *);

/* --inject-bug shootdown: every request invalidates the calling CPU only. */
static void local_only_tlb(void *ctx, const struct vmk_tlb_req *req)
{
	struct vmk_tlb_req r = *req;

	r.shootdown = false;
	real_tlb(ctx, &r);
}

static int boot_fail(const char *what, int r)
{
	tool_error(NULL, 0, "%s: %s", what, vmk_strerror(r));
	return 1;
}

static int boot(uint64_t ram)
{
	struct vmk_mmu_cfg mc;
	struct vmk_pmap_config pc;
	struct vmk_kmem_config kc = { 0 };
	struct vmk_vmem_params vp = { 0 };
	size_t msz;
	int r;

	vmk_sim_set_cpu_count(st.ncpus);
	vmk_sim_set_cpu(0);
	vmk_phys_reset();
	vmk_sim_ram_reset();
	msz = vmk_phys_seg_meta_size(RAM_BASE, RAM_BASE + ram);
	meta = aligned_alloc(64, (msz + 63) & ~(size_t)63);
	if (!meta)
		return boot_fail("page array", -VMK_ENOMEM);
	if ((r = vmk_sim_ram_add(RAM_BASE, ram)) || (r = vmk_phys_seg_add(RAM_BASE, RAM_BASE + ram, 0, meta)) ||
	    (r = vmk_phys_bootstrap_free(RAM_BASE, RAM_BASE + ram)))
		return boot_fail("RAM", r);

	memset(&mc, 0, sizeof(mc));
	mc.arch = st.arch;
	mc.levels = vmk_pmap_default_levels(st.arch);
	mc.nxe = mc.smep = true;
	mc.hw_af = mc.hw_dbm = true;
	mc.tlb_entries = 64;
	mc.check_ptp = true;
	mc.svnapot = true;
	vmk_sim_mmu_install(&mc);
	vmk_sim_mmu_speculate(10, 2, st.seed);

	memset(&pc, 0, sizeof(pc));
	pc.arch = st.arch;
	pc.large_1g = true;
	pc.nx = true;
	pc.svnapot = true;
	pc.asid_bits = 8;
	pc.kva_start = KVA;
	pc.kva_end = KVA_END;
	pc.load_root = vmk_sim_mmu_load_root_hook;
	if ((r = vmk_pmap_bootstrap(&pc)))
		return boot_fail("kernel pmap", r);
	for (unsigned int c = 0; c < st.ncpus; c++)
		vmk_pmap_activate(vmk_pmap_kernel(), c);
	vmk_kmem_reset();
	kc.kva_start = KVA;
	kc.kva_end = KVA + KMEM_SIZE;
	kc.ncpus = st.ncpus;
	if ((r = vmk_kmem_init(&kc)))
		return boot_fail("kmem", r);
	vp.name = "stress";
	vp.base = VMEM_BASE;
	vp.size = GiB;
	vp.quantum = 4096;
	vp.qcache_max = 8 * 4096;
	if ((r = vmk_vmem_init(&st.vmem, &vp)))
		return boot_fail("vmem arena", r);
	st.uva = UVA;
	st.kslice = KSLICE;
	vmk_sim_mmu_rendezvous_anywhere(true);
	if (st.bug == ST_BUG_SHOOTDOWN) {
		real_tlb = vmk_sim_platform()->tlb_invalidate;
		vmk_sim_platform()->tlb_invalidate = local_only_tlb;
		vmk_sim_tlb_expect_broken_pmap(true);
	}
	return 0;
}

static void shutdown_machine(void)
{
	if (real_tlb) {
		vmk_sim_platform()->tlb_invalidate = real_tlb;
		real_tlb = NULL;
		vmk_sim_tlb_expect_broken_pmap(false);
	}
	vmk_sim_mmu_rendezvous_anywhere(false);
	vmk_sim_mmu_uninstall();
	vmk_sim_tlb_flush_all();
	vmk_kmem_reset();
	vmk_phys_reset();
	vmk_sim_ram_reset();
	free(meta);
	meta = NULL;
}

/* ---- checks ---- */

static uint64_t tag_pages(void)
{
	uint64_t n = vmk_vmem_tag_pages(vmk_kmem_kva_arena()) + vmk_vmem_tag_pages(&st.vmem);

	for (unsigned int d = 0; vmk_kmem_arena(d, false); d++)
		n += vmk_vmem_tag_pages(vmk_kmem_arena(d, false)) + vmk_vmem_tag_pages(vmk_kmem_arena(d, true));
	return n;
}

static bool phys_ok(char *msg, size_t len)
{
	vmk_phys_drain_all_quiescent();
	if (VMK_SIM_TRY_PANIC(vmk_check_phys())) {
		snprintf(msg, len, "phys: %s", vmk_sim_panic_msg());
		return false;
	}
	return true;
}

static bool pmap_ok(struct vmk_pmap *pm, const char *name, char *msg, size_t len)
{
	char m[256];
	struct vmk_pmap_stats ps;

	if (vmk_pmap_check(pm, m, sizeof(m))) {
		snprintf(msg, len, "%s pmap: %s", name, m);
		return false;
	}
	vmk_pmap_stats(pm, &ps);
	if (vmk_sim_tlb_check_counts(pm, ps.tlbi, m, sizeof(m))) {
		snprintf(msg, len, "%s pmap TLB invalidation counts: %s", name, m);
		return false;
	}
	return true;
}

/* Everything, with every CPU stopped between operations. */
static bool check_all(char *msg, size_t len)
{
	char m[256];

	if (!pmap_ok(st.shared, "user", msg, len) || !pmap_ok(vmk_pmap_kernel(), "kernel", msg, len))
		return false;
	if (vmk_sim_tlb_audit(m, sizeof(m))) {
		snprintf(msg, len, "TLB audit: %s", m);
		return false;
	}
	if (vmk_sim_mmu_bbm_violations()) {
		snprintf(msg, len, "break-before-make: %s", vmk_sim_mmu_bbm_msg());
		return false;
	}
	if (vmk_sim_intr_violations()) {
		snprintf(msg, len, "interrupt rules: %s", vmk_sim_intr_msg());
		return false;
	}
	if (vmk_kmem_check(m, sizeof(m))) {
		snprintf(msg, len, "kmem: %s", m);
		return false;
	}
	if (vmk_vmem_check(&st.vmem, m, sizeof(m))) {
		snprintf(msg, len, "vmem: %s", m);
		return false;
	}
	for (unsigned int c = 0; c < st.ncpus; c++)
		if (!st_verify_slice(&st.cpu[c], msg, len))
			return false;
	return phys_ok(msg, len);
}

/* ---- the books ---- */

struct books {
	struct vmk_phys_stats ps;
	struct vmk_pmap_stats kern, user;
	struct vmk_kmem_stats km;
	uint64_t tags, arena_alloc, vmem_alloc;
};

static void books(struct books *b, bool with_user)
{
	for (unsigned int d = 0; vmk_kmem_arena(d, false); d++)
		vmk_vmem_qcache_drain(vmk_kmem_arena(d, false));
	vmk_vmem_qcache_drain(&st.vmem);
	vmk_phys_drain_all_quiescent();
	memset(b, 0, sizeof(*b));
	vmk_phys_get_stats(&b->ps);
	vmk_pmap_stats(vmk_pmap_kernel(), &b->kern);
	if (with_user)
		vmk_pmap_stats(st.shared, &b->user);
	vmk_kmem_stats(&b->km);
	b->tags = tag_pages();
	for (unsigned int d = 0; vmk_kmem_arena(d, false); d++)
		b->arena_alloc += vmk_vmem_size(vmk_kmem_arena(d, false), VMK_VMEM_ALLOC);
	b->vmem_alloc = vmk_vmem_size(&st.vmem, VMK_VMEM_ALLOC);
}

/* Page-table pages no address space owns, and ordinary pages nobody accounts for. */
static int64_t stray_ptp(const struct books *b)
{
	return (int64_t)b->ps.state[VMK_PAGE_PTP] -
	       (int64_t)(b->kern.ptps + b->kern.spare_ptps + b->kern.reserve_ptps + b->user.ptps + b->user.spare_ptps);
}

static int64_t stray_alloc(const struct books *b)
{
	return (int64_t)b->ps.state[VMK_PAGE_ALLOC] -
	       (int64_t)(b->tags + b->kern.pv_chunks + b->user.pv_chunks + b->km.pages_backed + b->km.resv_pages_idle);
}

static uint64_t bad_frames, bad_pending;

static bool balance(const struct books *a, const struct books *b, char *msg, size_t len)
{
	uint64_t sum = 0;
	int64_t d;

	for (unsigned int s = 0; s < VMK_PAGE_NSTATES; s++)
		sum += b->ps.state[s];
	if (sum != b->ps.present) {
		snprintf(msg, len, "frames: %llu in some state, %llu present", (unsigned long long)sum,
			 (unsigned long long)b->ps.present);
		return false;
	}
	if (b->ps.state[VMK_PAGE_PCPU]) {
		snprintf(msg, len, "%llu frames still in per-CPU caches after draining them",
			 (unsigned long long)b->ps.state[VMK_PAGE_PCPU]);
		return false;
	}
	if ((d = stray_alloc(b) - stray_alloc(a))) {
		snprintf(msg, len, "allocated frames: %lld more than at the start that no one accounts for "
			 "(a leak: ALLOC %llu -> %llu)", (long long)d,
			 (unsigned long long)a->ps.state[VMK_PAGE_ALLOC], (unsigned long long)b->ps.state[VMK_PAGE_ALLOC]);
		return false;
	}
	if ((d = stray_ptp(b) - stray_ptp(a))) {
		snprintf(msg, len, "page-table pages: %lld more than the address spaces own (PTP %llu -> %llu)",
			 (long long)d, (unsigned long long)a->ps.state[VMK_PAGE_PTP],
			 (unsigned long long)b->ps.state[VMK_PAGE_PTP]);
		return false;
	}
	if (b->ps.state[VMK_PAGE_NOFREE] - a->ps.state[VMK_PAGE_NOFREE] != st.nofree_pages) {
		snprintf(msg, len, "NOFREE frames: %llu -> %llu, but %llu NOFREE pages were taken",
			 (unsigned long long)a->ps.state[VMK_PAGE_NOFREE],
			 (unsigned long long)b->ps.state[VMK_PAGE_NOFREE], (unsigned long long)st.nofree_pages);
		return false;
	}
	if (b->ps.state[VMK_PAGE_BAD] - a->ps.state[VMK_PAGE_BAD] != bad_frames) {
		snprintf(msg, len, "BAD frames: %llu -> %llu, but %llu of the frames marked bad are BAD",
			 (unsigned long long)a->ps.state[VMK_PAGE_BAD], (unsigned long long)b->ps.state[VMK_PAGE_BAD],
			 (unsigned long long)bad_frames);
		return false;
	}
	if (b->km.pages_backed != a->km.pages_backed || b->km.resv_active != a->km.resv_active ||
	    b->km.resv_pages_idle != a->km.resv_pages_idle || b->arena_alloc != a->arena_alloc) {
		snprintf(msg, len, "kmem not back to its start: pages backed %llu -> %llu, reservations %llu -> %llu, "
			 "idle reserved frames %llu -> %llu, arena bytes %llu -> %llu",
			 (unsigned long long)a->km.pages_backed, (unsigned long long)b->km.pages_backed,
			 (unsigned long long)a->km.resv_active, (unsigned long long)b->km.resv_active,
			 (unsigned long long)a->km.resv_pages_idle, (unsigned long long)b->km.resv_pages_idle,
			 (unsigned long long)a->arena_alloc, (unsigned long long)b->arena_alloc);
		return false;
	}
	/*
	 * Kernel mappings: besides kmem's (its counters above) every CPU
	 * removed its kernel pages and blocks, so the kernel pmap maps what
	 * it did at the start plus kmem's NOFREE pages. A mapping left behind
	 * (its frame freed under it) shows here and nowhere else.
	 */
	if ((d = (int64_t)(b->kern.resident - a->kern.resident) -
		 (int64_t)(b->km.pages_backed - a->km.pages_backed) -
		 (int64_t)(b->km.nofree_pages - a->km.nofree_pages))) {
		snprintf(msg, len, "kernel mappings: %lld pages more than kmem accounts for (resident %llu -> %llu, "
			 "kmem NOFREE pages %llu -> %llu)", (long long)d, (unsigned long long)a->kern.resident,
			 (unsigned long long)b->kern.resident, (unsigned long long)a->km.nofree_pages,
			 (unsigned long long)b->km.nofree_pages);
		return false;
	}
	if (b->vmem_alloc != a->vmem_alloc) {
		snprintf(msg, len, "vmem arena: %llu bytes allocated, %llu at the start",
			 (unsigned long long)b->vmem_alloc, (unsigned long long)a->vmem_alloc);
		return false;
	}
	return true;
}

/* Frames marked bad: each must be BAD now, or still held by its (permanent) owner. */
static bool bad_ok(char *msg, size_t len)
{
	uint64_t n = st.bad_added < ST_MAX_BAD ? st.bad_added : ST_MAX_BAD;

	bad_frames = bad_pending = 0;
	for (uint64_t i = 0; i < n; i++) {
		struct vmk_phys_peek pk;

		if (st.bad[i] == ST_BAD_NONE)
			continue;
		if (vmk_phys_peek(st.bad[i], &pk)) {
			snprintf(msg, len, "bad frame %#llx: in no segment", (unsigned long long)st.bad[i]);
			return false;
		}
		if (pk.state == VMK_PAGE_BAD) {
			bad_frames++;
		} else if (pk.state == VMK_PAGE_PTP || pk.state == VMK_PAGE_NOFREE || pk.state == VMK_PAGE_ALLOC) {
			bad_pending++;
		} else {
			snprintf(msg, len, "frame %#llx was marked bad but is %s", (unsigned long long)st.bad[i],
				 vmk_page_state_name(pk.state));
			return false;
		}
	}
	return true;
}

/* ---- the run ---- */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t total_ops(void)
{
	uint64_t n = 0;

	for (unsigned int c = 0; c < st.ncpus; c++)
		n += __atomic_load_n(&st.cpu[c].ops, __ATOMIC_RELAXED);
	return n;
}

static const char *arch_name(enum vmk_pmap_arch_id a)
{
	return a == VMK_PMAP_ARCH_X86_64 ? "x86_64" : a == VMK_PMAP_ARCH_ARM64 ? "arm64" : "riscv64";
}

/* Stop every CPU between two operations. */
static void pause_all(void)
{
	__atomic_store_n(&st.pause, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&st.parked, __ATOMIC_ACQUIRE) != (int)st.ncpus)
		usleep(50);
}

static void resume_all(void)
{
	__atomic_store_n(&st.pause, 0, __ATOMIC_RELEASE);
}

static const char *worker_error(void)
{
	for (unsigned int c = 0; c < st.ncpus; c++)
		if (st.cpu[c].err[0])
			return st.cpu[c].err;
	return NULL;
}

struct report {
	double seconds;
	uint64_t ops, failed, injected, checks, shootdowns, promotions, demotions, folds;
	struct books start, end;
	bool balanced;
	char err[512];
};

static void progress(bool tty, double t, uint64_t ops, double rate, uint64_t checks, bool last)
{
	struct vmk_phys_stats ps;
	uint64_t used;

	vmk_phys_get_stats(&ps);
	used = ps.present - ps.free - ps.state[VMK_PAGE_NOFREE_POOL];
	fprintf(stderr, "%sstress: %5.1f s  %llu ops  %.0f ops/s  in use %llu MiB  checks %llu passed%s",
		tty ? "\r" : "", t, (unsigned long long)ops, rate, (unsigned long long)(used * 4096 / MiB),
		(unsigned long long)checks, tty ? "\033[K" : "\n");
	if (tty && last)
		fputc('\n', stderr);
	fflush(stderr);
}

static int run(double seconds, unsigned int check_ms, bool faults, struct report *rp)
{
	bool tty = isatty(2);
	double t0, next_check, next_line, last_t;
	uint64_t last_ops = 0, injected0, frng = st.seed ^ 0x9e3779b97f4a7c15ull;
	char *err = rp->err;
	size_t elen = sizeof(rp->err);
	int fail = 0, r;

	/* The books open before the user address space exists: it must be gone at the end. */
	books(&rp->start, false);
	if ((r = vmk_pmap_create(&st.shared)))
		return boot_fail("user pmap", r);
	injected0 = vmk_sim_faults_injected_total();
	for (unsigned int c = 0; c < st.ncpus; c++) {
		st.cpu[c].cpu = c;
		st.cpu[c].rng = st.seed * 0x9e3779b97f4a7c15ull + c * 7919 + 1;
	}
	for (unsigned int c = 0; c < st.ncpus; c++) {
		if (pthread_create(&st.cpu[c].th, NULL, st_worker, &st.cpu[c])) {
			tool_error(NULL, 0, "cannot start CPU thread %u", c);
			exit(1);
		}
	}
	t0 = last_t = now();
	next_check = t0 + check_ms / 1000.0;
	next_line = t0 + 1;
	while (!fail) {
		double t = now();
		const char *we = worker_error();

		if (we) {
			snprintf(err, elen, "%s", we);
			fail = 1;
			break;
		}
		if (t - t0 >= seconds)
			break;
		if (t >= next_check) {
			pause_all();
			vmk_sim_fail_off();
			if ((we = worker_error())) {
				snprintf(err, elen, "%s", we);
				fail = 1;
			} else if (!check_all(err, elen)) {
				fail = 1;
			} else {
				rp->checks++;
			}
			resume_all();
			next_check = now() + check_ms / 1000.0;
		}
		if (faults && !fail) {
			/* One failure somewhere in the next few hundred allocation attempts. */
			vmk_sim_fail_nth(st_rand(&frng) % 400, NULL, false);
		}
		if (t >= next_line && !fail) {
			uint64_t ops = total_ops();

			progress(tty, t - t0, ops, (ops - last_ops) / (t - last_t), rp->checks, false);
			last_ops = ops;
			last_t = t;
			next_line += 1;
		}
		usleep(faults ? 5000 : 20000);
	}
	/* No injections in the teardown. */
	vmk_sim_fail_off();
	rp->injected = vmk_sim_faults_injected_total() - injected0;
	__atomic_store_n(&st.stop, 1, __ATOMIC_RELEASE);
	for (unsigned int c = 0; c < st.ncpus; c++)
		pthread_join(st.cpu[c].th, NULL);
	rp->seconds = now() - t0;
	rp->ops = total_ops();
	progress(tty, rp->seconds, rp->ops, rp->ops / rp->seconds, rp->checks, true);
	for (unsigned int c = 0; c < st.ncpus; c++)
		rp->failed += st.cpu[c].failed;
	if (fail)
		return 1;
	return 0;
}

/* Everything back, every CPU idle: the last checks and the books. */
static int finish(struct report *rp)
{
	struct vmk_pmap_stats us, ks;
	char *err = rp->err;
	size_t elen = sizeof(rp->err);

	vmk_sim_set_cpu(0);
	for (unsigned int c = 0; c < st.ncpus; c++)
		if (!st_teardown(&st.cpu[c]) || st.cpu[c].err[0]) {
			snprintf(err, elen, "%s", st.cpu[c].err);
			return 1;
		}
	if (!check_all(err, elen))
		return 1;
	rp->checks++;
	vmk_pmap_stats(st.shared, &us);
	vmk_pmap_stats(vmk_pmap_kernel(), &ks);
	rp->promotions = us.promotions + ks.promotions;
	rp->demotions = us.demotions + ks.demotions;
	rp->folds = us.folds + ks.folds;
	rp->shootdowns = vmk_sim_mmu_shootdowns();
	if (us.resident || us.pv_entries || us.mappings[0] || us.mappings[1] || us.mappings[2]) {
		snprintf(err, elen, "user mappings left after every CPU gave its pages back: %llu pages resident, "
			 "%llu PV entries", (unsigned long long)us.resident, (unsigned long long)us.pv_entries);
		return 1;
	}
	for (unsigned int c = 0; c < st.ncpus; c++)
		vmk_pmap_activate(vmk_pmap_kernel(), c);
	vmk_pmap_destroy(st.shared);
	st.shared = NULL;
	if (!bad_ok(err, elen))
		return 1;
	books(&rp->end, false);
	if (!balance(&rp->start, &rp->end, err, elen))
		return 1;
	if (!phys_ok(err, elen))
		return 1;
	rp->balanced = true;
	return 0;
}

static void print_report(const struct report *rp, bool json)
{
	const struct vmk_phys_stats *a = &rp->start.ps, *b = &rp->end.ps;

	if (json) {
		struct json j;

		json_init(&j, stdout);
		json_begin_object(&j);
		json_kv_u64(&j, "seed", st.seed);
		json_kv_str(&j, "arch", arch_name(st.arch));
		json_kv_u64(&j, "cpus", st.ncpus);
		json_kv_u64(&j, "seconds", (uint64_t)(rp->seconds + 0.5));
		json_kv_u64(&j, "ops", rp->ops);
		json_kv_u64(&j, "ops_per_s", (uint64_t)(rp->ops / rp->seconds));
		json_kv_u64(&j, "failed_ops", rp->failed);
		json_kv_u64(&j, "faults_injected", rp->injected);
		json_kv_u64(&j, "checks", rp->checks);
		json_kv_u64(&j, "shootdowns", rp->shootdowns);
		json_kv_u64(&j, "promotions", rp->promotions);
		json_kv_u64(&j, "demotions", rp->demotions);
		json_kv_u64(&j, "folds", rp->folds);
		json_kv_u64(&j, "private_spaces", st.private_spaces);
		json_kv_u64(&j, "bad_frames", bad_frames + bad_pending);
		json_kv_u64(&j, "nofree_pages", st.nofree_pages);
		json_key(&j, "frames");
		json_begin_object(&j);
		json_kv_u64(&j, "present", a->present);
		json_kv_u64(&j, "free_start", a->free);
		json_kv_u64(&j, "free_end", b->free);
		json_kv_u64(&j, "ptp_start", a->state[VMK_PAGE_PTP]);
		json_kv_u64(&j, "ptp_end", b->state[VMK_PAGE_PTP]);
		json_kv_u64(&j, "bad", b->state[VMK_PAGE_BAD]);
		json_kv_u64(&j, "nofree", b->state[VMK_PAGE_NOFREE]);
		json_end_object(&j);
		json_key(&j, "balanced");
		json_bool(&j, rp->balanced);
		json_kv_str(&j, "error", rp->err);
		json_end_object(&j);
		json_finish(&j);
		return;
	}
	printf("stress: seed %llu, %s, %u CPUs, %.1f s\n", (unsigned long long)st.seed, arch_name(st.arch), st.ncpus,
	       rp->seconds);
	printf("  operations     %llu (%.0f/s), %llu failed cleanly, %llu allocation failures injected\n",
	       (unsigned long long)rp->ops, rp->ops / rp->seconds, (unsigned long long)rp->failed,
	       (unsigned long long)rp->injected);
	printf("  checks passed  %llu\n", (unsigned long long)rp->checks);
	if (!rp->balanced)
		return;
	printf("  pmap           %llu shootdowns, %llu promotions, %llu demotions, %llu 64 KiB runs, %llu address spaces\n",
	       (unsigned long long)rp->shootdowns, (unsigned long long)rp->promotions,
	       (unsigned long long)rp->demotions, (unsigned long long)rp->folds,
	       (unsigned long long)st.private_spaces + 1);
	printf("  frames         %llu present; free %llu -> %llu; page tables %llu -> %llu; "
	       "NOFREE %llu -> %llu; BAD %llu -> %llu (%llu marked bad, %llu held for ever)\n",
	       (unsigned long long)a->present, (unsigned long long)a->free, (unsigned long long)b->free,
	       (unsigned long long)a->state[VMK_PAGE_PTP], (unsigned long long)b->state[VMK_PAGE_PTP],
	       (unsigned long long)a->state[VMK_PAGE_NOFREE], (unsigned long long)b->state[VMK_PAGE_NOFREE],
	       (unsigned long long)a->state[VMK_PAGE_BAD], (unsigned long long)b->state[VMK_PAGE_BAD],
	       (unsigned long long)(bad_frames + bad_pending), (unsigned long long)bad_pending);
	printf("  balanced       yes: every frame free or held on purpose, no user mapping left, kmem and vmem back to their start\n");
}

static bool parse_u64(const char *opt, const char *arg, uint64_t lo, uint64_t hi, uint64_t *out)
{
	if (!tool_parse_size(opt, arg, out))
		return false;
	if (*out < lo || *out > hi) {
		tool_error(NULL, 0, "%s: want %llu..%llu", opt, (unsigned long long)lo, (unsigned long long)hi);
		return false;
	}
	return true;
}

int vmkit_cmd_stress(int argc, char **argv)
{
	uint64_t cpus = 4, seconds = 10, ram = 512 * MiB, check_ms = 500, seed;
	bool json = false, faults = true;
	enum vmk_pmap_arch_id arch = VMK_PMAP_ARCH_X86_64;
	enum st_bug bug = ST_BUG_NONE;
	struct tool_seen seen = { .n = 0 };
	static struct report rp;
	int r;

	seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool val = !strcmp(a, "--cpus") || !strcmp(a, "--seconds") || !strcmp(a, "--seed") ||
			   !strcmp(a, "--arch") || !strcmp(a, "--ram") || !strcmp(a, "--check-ms") ||
			   !strcmp(a, "--inject-bug");

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		}
		if (!tool_seen_once(&seen, a))
			return 2;
		if (val && i + 1 == argc) {
			tool_error(NULL, 0, "%s needs a value", a);
			return 2;
		}
		if (!strcmp(a, "--json")) {
			json = true;
		} else if (!strcmp(a, "--no-faults")) {
			faults = false;
		} else if (!strcmp(a, "--cpus")) {
			if (!parse_u64(a, argv[++i], 1, ST_MAX_CPUS, &cpus))
				return 2;
		} else if (!strcmp(a, "--seconds")) {
			if (!parse_u64(a, argv[++i], 1, 86400, &seconds))
				return 2;
		} else if (!strcmp(a, "--check-ms")) {
			if (!parse_u64(a, argv[++i], 10, 60000, &check_ms))
				return 2;
		} else if (!strcmp(a, "--seed")) {
			if (!tool_parse_size(a, argv[++i], &seed))
				return 2;
		} else if (!strcmp(a, "--ram")) {
			if (!parse_u64(a, argv[++i], 128 * MiB, 16 * GiB, &ram))
				return 2;
			if (ram & (2 * MiB - 1)) {
				tool_error(NULL, 0, "--ram: want a multiple of 2 MiB");
				return 2;
			}
		} else if (!strcmp(a, "--arch")) {
			if (!tool_parse_pmap_arch(argv[++i], &arch))
				return 2;
		} else if (!strcmp(a, "--inject-bug")) {
			a = argv[++i];
			if (!strcmp(a, "shootdown"))
				bug = ST_BUG_SHOOTDOWN;
			else if (!strcmp(a, "leak"))
				bug = ST_BUG_LEAK;
			else if (!strcmp(a, "kmap"))
				bug = ST_BUG_KMAP;
			else {
				tool_error(NULL, 0, "--inject-bug: want shootdown, leak or kmap, not '%s'", a);
				return 2;
			}
		} else {
			tool_error(NULL, 0, "unknown option '%s'", a);
			usage(stderr);
			return 2;
		}
	}
	memset(&st, 0, sizeof(st));
	st.arch = arch;
	st.ncpus = (unsigned int)cpus;
	st.seed = seed;
	st.bug = bug;
	fprintf(stderr, "stress: seed %llu (--seed %llu repeats its random choices, not its timing), %s, %u CPUs, %llu s\n",
		(unsigned long long)seed, (unsigned long long)seed, arch_name(arch), st.ncpus,
		(unsigned long long)seconds);
	if ((r = boot(ram)))
		return r;
	r = run((double)seconds, (unsigned int)check_ms, faults, &rp);
	if (!r)
		r = finish(&rp);
	print_report(&rp, json);
	if (r)
		tool_error(NULL, 0, "%s", rp.err);
	if (!r)
		shutdown_machine();
	return r;
}
