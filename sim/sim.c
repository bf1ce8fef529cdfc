/* The simulator platform: RAM, CPUs as threads, panics, fault injection. */
#include "sim.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define SIM_MAX_RAM 64

struct sim_ram {
	vmk_paddr_t base;
	vmk_size_t size;
	unsigned char *host;
};

static struct sim_ram sim_ram[SIM_MAX_RAM];
static unsigned int sim_nram;
static unsigned int sim_ncpus = 1;
/* Exported under vmk_sim__ names for sim/md_hooks.h (the inline-hook build, MD=1). */
_Thread_local unsigned int vmk_sim__cpu;
#define sim_cpu vmk_sim__cpu
static _Thread_local struct vmk_sim_panic_ctx *sim_panic_top;
static _Thread_local char sim_panic_buf[512];

static pthread_mutex_t sim_fault_lock = PTHREAD_MUTEX_INITIALIZER;
static bool sim_fault_on;

/* The simulator's host locks are held with the rendezvous masked (vmk_sim_rdv_mask). */
static unsigned long host_lock(pthread_mutex_t *m)
{
	unsigned long s = vmk_sim_rdv_mask();

	pthread_mutex_lock(m);
	return s;
}

static void host_unlock(pthread_mutex_t *m, unsigned long s)
{
	pthread_mutex_unlock(m);
	vmk_sim_rdv_unmask(s);
}

static bool sim_fault_sticky;
static unsigned long sim_fault_n;
static char sim_fault_prefix[64];
static unsigned long sim_fault_calls;
static unsigned long sim_fault_injected;
static unsigned long sim_fault_total;

/*
 * Interrupt state of each simulated CPU (thread), and the hooks vmkit
 * called on it, so that a break-before-make window can be checked: from
 * the intr_disable that opens it to the intr_restore that closes it, the
 * TLB invalidation is the only hook allowed.
 */
_Thread_local unsigned long vmk_sim__intr_depth;	/* intr_disable nesting */
_Thread_local unsigned long vmk_sim__hooks;		/* hook calls on this CPU */
_Thread_local unsigned long vmk_sim__hooks_snap;	/* at the last intr_disable / window TLBI */
_Thread_local bool vmk_sim__window_open;		/* after a window's TLBI, until intr_restore */
#define sim_intr_depth vmk_sim__intr_depth
#define sim_hooks vmk_sim__hooks
#define sim_hooks_snap vmk_sim__hooks_snap
#define sim_window_open vmk_sim__window_open
static pthread_mutex_t sim_intr_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long sim_intr_viol;
static char sim_intr_msg[256];

static bool sim_log_stderr;
static unsigned long sim_warn_count;
static unsigned long sim_tlb_count;

int vmk_sim_ram_add(vmk_paddr_t base, vmk_size_t size)
{
	void *p;

	if (size == 0 || (base & VMK_PAGE_MASK) || (size & VMK_PAGE_MASK))
		return -VMK_EINVAL;
	if (sim_nram == SIM_MAX_RAM)
		return -VMK_ENOSPC;
	for (unsigned int i = 0; i < sim_nram; i++)
		if (base < sim_ram[i].base + sim_ram[i].size &&
		    sim_ram[i].base < base + size)
			return -VMK_EEXIST;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -VMK_ENOMEM;
	sim_ram[sim_nram].base = base;
	sim_ram[sim_nram].size = size;
	sim_ram[sim_nram].host = p;
	sim_nram++;
	return 0;
}

void vmk_sim_ram_reset(void)
{
	for (unsigned int i = 0; i < sim_nram; i++)
		munmap(sim_ram[i].host, sim_ram[i].size);
	sim_nram = 0;
}

void *vmk_sim_phys_to_virt(vmk_paddr_t pa)
{
	for (unsigned int i = 0; i < sim_nram; i++)
		if (pa >= sim_ram[i].base && pa - sim_ram[i].base < sim_ram[i].size)
			return sim_ram[i].host + (pa - sim_ram[i].base);
	return NULL;
}

void vmk_sim__intr_violation(const char *msg)
{
	pthread_mutex_lock(&sim_intr_lock);
	if (sim_intr_viol++ == 0)
		snprintf(sim_intr_msg, sizeof(sim_intr_msg), "cpu %u: %s", sim_cpu, msg);
	pthread_mutex_unlock(&sim_intr_lock);
}

void vmk_sim_hook_called(void)
{
	sim_hooks++;
}

unsigned long vmk_sim__intr_disable(void *ctx)
{
	(void)ctx;
	sim_hooks_snap = sim_hooks;
	return sim_intr_depth++;
}

void vmk_sim__intr_restore_checked(unsigned long state)
{
	if (sim_window_open && sim_hooks != sim_hooks_snap)
		vmk_sim__intr_violation("a hook ran in a break-before-make window after its TLB invalidation");
	sim_window_open = false;
	if (state + 1 != sim_intr_depth)
		vmk_sim__intr_violation("intr_restore does not match the last intr_disable");
	sim_intr_depth = state;
}

void vmk_sim__intr_restore(void *ctx, unsigned long state)
{
	(void)ctx;
	vmk_sim__intr_restore_checked(state);
}

bool vmk_sim_intr_enabled(void)
{
	return sim_intr_depth == 0;
}

void vmk_sim_bbm_tlbi_begin(void)
{
	if (sim_intr_depth == 0)
		vmk_sim__intr_violation("TLB invalidation of a break-before-make window with interrupts enabled");
	else if (sim_hooks != sim_hooks_snap)
		vmk_sim__intr_violation("a hook ran in a break-before-make window before its TLB invalidation");
}

void vmk_sim_bbm_tlbi_end(void)
{
	sim_window_open = true;
	sim_hooks_snap = sim_hooks;
}

unsigned long vmk_sim_intr_violations(void)
{
	return __atomic_load_n(&sim_intr_viol, __ATOMIC_RELAXED);
}

const char *vmk_sim_intr_msg(void)
{
	return sim_intr_msg;
}

static void *sim_p2v(void *ctx, vmk_paddr_t pa)
{
	(void)ctx;
	sim_hooks++;
	return vmk_sim_phys_to_virt(pa);
}

static void sim_tlb(void *ctx, const struct vmk_tlb_req *req)
{
	(void)ctx;
	(void)req;
	__atomic_add_fetch(&sim_tlb_count, 1, __ATOMIC_RELAXED);
}

unsigned int vmk_sim__cpu_id(void *ctx)
{
	(void)ctx;
	sim_hooks++;
	return sim_cpu;
}

static unsigned int sim_cpu_count(void *ctx)
{
	(void)ctx;
	sim_hooks++;
	return sim_ncpus;
}

static void sim_panic(void *ctx, const char *msg)
{
	(void)ctx;
	snprintf(sim_panic_buf, sizeof(sim_panic_buf), "%s", msg);
	if (sim_panic_top)
		longjmp(sim_panic_top->jb, 1);
	fprintf(stderr, "vmkit panic: %s\n", msg);
	abort();
}

static void sim_log(void *ctx, enum vmk_log_level level, const char *msg)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };

	(void)ctx;
	sim_hooks++;
	if (level <= VMK_LOG_WARN)
		__atomic_add_fetch(&sim_warn_count, 1, __ATOMIC_RELAXED);
	if (sim_log_stderr) {
		/* stdio's stream lock is a host lock too. */
		unsigned long hs = vmk_sim_rdv_mask();

		fprintf(stderr, "vmkit %s: %s\n", names[level], msg);
		vmk_sim_rdv_unmask(hs);
	}
}

static bool sim_fault_inject(void *ctx, const char *site)
{
	bool fail = false;
	unsigned long hs;

	(void)ctx;
	sim_hooks++;
	hs = host_lock(&sim_fault_lock);
	if (sim_fault_prefix[0] == '\0' ||
	    strncmp(site, sim_fault_prefix, strlen(sim_fault_prefix)) == 0) {
		unsigned long k = sim_fault_calls++;

		if (sim_fault_on && (k == sim_fault_n || (sim_fault_sticky && k > sim_fault_n))) {
			fail = true;
			sim_fault_injected++;
			sim_fault_total++;
		}
	}
	host_unlock(&sim_fault_lock, hs);
	return fail;
}

static struct vmk_platform sim_platform = {
	.phys_to_virt = sim_p2v,
	.tlb_invalidate = sim_tlb,
	.cpu_id = vmk_sim__cpu_id,
	.cpu_count = sim_cpu_count,
	.panic = sim_panic,
	.log = sim_log,
	.fault_inject = sim_fault_inject,
	.intr_disable = vmk_sim__intr_disable,
	.intr_restore = vmk_sim__intr_restore,
};

struct vmk_platform *vmk_sim_platform(void)
{
	return &sim_platform;
}

void vmk_sim_install(void)
{
	const char *e = getenv("VMK_SIM_LOG");

	sim_log_stderr = e && *e && strcmp(e, "0") != 0;
	vmk_sim_fail_off();
	pthread_mutex_lock(&sim_intr_lock);
	sim_intr_viol = 0;
	sim_intr_msg[0] = '\0';
	pthread_mutex_unlock(&sim_intr_lock);
	vmk_platform_set(&sim_platform);
}

void vmk_sim_set_cpu_count(unsigned int n)
{
	sim_ncpus = n ? n : 1;
}

void vmk_sim_set_cpu(unsigned int id)
{
	sim_cpu = id;
}

void vmk_sim_panic_push(struct vmk_sim_panic_ctx *c)
{
	c->prev = sim_panic_top;
	sim_panic_top = c;
}

void vmk_sim_panic_pop(struct vmk_sim_panic_ctx *c)
{
	sim_panic_top = c->prev;
}

const char *vmk_sim_panic_msg(void)
{
	return sim_panic_buf;
}

void vmk_sim_fail_nth(unsigned long n, const char *prefix, bool sticky)
{
	unsigned long hs = host_lock(&sim_fault_lock);

	sim_fault_on = true;
	sim_fault_sticky = sticky;
	sim_fault_n = n;
	snprintf(sim_fault_prefix, sizeof(sim_fault_prefix), "%s", prefix ? prefix : "");
	sim_fault_calls = 0;
	sim_fault_injected = 0;
	host_unlock(&sim_fault_lock, hs);
}

void vmk_sim_fail_off(void)
{
	unsigned long hs = host_lock(&sim_fault_lock);

	sim_fault_on = false;
	sim_fault_prefix[0] = '\0';
	sim_fault_calls = 0;
	sim_fault_injected = 0;
	host_unlock(&sim_fault_lock, hs);
}

/* Under the lock: CPU threads may be counting while another thread asks. */
unsigned long vmk_sim_fault_calls(void)
{
	unsigned long hs = host_lock(&sim_fault_lock), n = sim_fault_calls;

	host_unlock(&sim_fault_lock, hs);
	return n;
}

unsigned long vmk_sim_faults_injected(void)
{
	unsigned long hs = host_lock(&sim_fault_lock), n = sim_fault_injected;

	host_unlock(&sim_fault_lock, hs);
	return n;
}

unsigned long vmk_sim_faults_injected_total(void)
{
	unsigned long hs = host_lock(&sim_fault_lock), n = sim_fault_total;

	host_unlock(&sim_fault_lock, hs);
	return n;
}

void vmk_sim_log_to_stderr(bool on)
{
	sim_log_stderr = on;
}

unsigned long vmk_sim_warnings(void)
{
	return sim_warn_count;
}

unsigned long vmk_sim_tlb_requests(void)
{
	return sim_tlb_count;
}
