/*
 * The hosted simulator's platform: simulated RAM backed by sparse host
 * mappings, CPUs as threads, catchable panics and fault injection.
 * Hosted code only (tests, tools, benchmarks); never part of the core.
 */
#ifndef VMKIT_SIM_H
#define VMKIT_SIM_H

#include <setjmp.h>
#include <vmkit/platform.h>

/*
 * Back physical range [base, base + size) with host memory (zero-filled,
 * reserved lazily, so terabytes cost nothing until touched). Returns 0 or
 * a negative VMK_E* code.
 */
int vmk_sim_ram_add(vmk_paddr_t base, vmk_size_t size);

/* Drop every RAM range. */
void vmk_sim_ram_reset(void);

/* Host pointer for pa, or NULL if pa is not simulated RAM. */
void *vmk_sim_phys_to_virt(vmk_paddr_t pa);

/* Register the simulator platform (idempotent). Also resets fault injection. */
void vmk_sim_install(void);

/* The simulator's platform structure (for tests that wrap hooks). */
struct vmk_platform *vmk_sim_platform(void);

/* ---- CPUs ---- */
void vmk_sim_set_cpu_count(unsigned int n);
/* Bind the calling thread to simulated CPU id. */
void vmk_sim_set_cpu(unsigned int id);

/* ---- panics ---- */

/*
 * Run code that may panic. VMK_SIM_TRY_PANIC(stmt) evaluates to true if
 * stmt panicked; the message is then in vmk_sim_panic_msg(). A panic
 * outside such a block prints the message and aborts the process.
 */
struct vmk_sim_panic_ctx {
	jmp_buf jb;
	struct vmk_sim_panic_ctx *prev;
};
void vmk_sim_panic_push(struct vmk_sim_panic_ctx *c);
void vmk_sim_panic_pop(struct vmk_sim_panic_ctx *c);
const char *vmk_sim_panic_msg(void);

#define VMK_SIM_TRY_PANIC(stmt) ({					\
	struct vmk_sim_panic_ctx vmk__pc;				\
	bool vmk__panicked;						\
	vmk_sim_panic_push(&vmk__pc);					\
	if (setjmp(vmk__pc.jb) == 0) {					\
		stmt;							\
		vmk__panicked = false;					\
	} else {							\
		vmk__panicked = true;					\
	}								\
	vmk_sim_panic_pop(&vmk__pc);					\
	vmk__panicked;							\
})

/* ---- fault injection ---- */

/*
 * Fail the n-th (0-based) allocation attempt whose site name starts with
 * prefix (NULL or "" matches every site), counting from this call. Only
 * that one attempt fails; pass sticky to fail it and every later one.
 */
void vmk_sim_fail_nth(unsigned long n, const char *prefix, bool sticky);
/* Stop injecting failures and reset the counters. */
void vmk_sim_fail_off(void);
/* Allocation attempts seen (matching the prefix) since the last reset. */
unsigned long vmk_sim_fault_calls(void);
/* Failures injected since the last reset. */
unsigned long vmk_sim_faults_injected(void);
/* Failures injected since the process started (never reset). */
unsigned long vmk_sim_faults_injected_total(void);

/* ---- log ---- */
/* Print log lines to stderr (default: only when VMK_SIM_LOG is set). */
void vmk_sim_log_to_stderr(bool on);
/* Count of log lines at level <= VMK_LOG_WARN since install. */
unsigned long vmk_sim_warnings(void);

/* ---- interrupts and break-before-make windows ---- */
/* True if the calling CPU has interrupts enabled (no intr_disable outstanding). */
bool vmk_sim_intr_enabled(void);
/*
 * Window checks, for the simulator's hooks: a hook ran on this CPU; a
 * window's TLB invalidation starts (interrupts must be off and no hook
 * may have run since intr_disable) and ends (none may run until
 * intr_restore).
 */
void vmk_sim_hook_called(void);
void vmk_sim_bbm_tlbi_begin(void);
void vmk_sim_bbm_tlbi_end(void);
/* Broken interrupt / window rules seen since install, and the first one. */
unsigned long vmk_sim_intr_violations(void);
const char *vmk_sim_intr_msg(void);

/* ---- counters for TLB and barrier hooks (pmap tests extend these) ---- */
unsigned long vmk_sim_tlb_requests(void);

/* ---- arbitrary-point rendezvous (sim/rendezvous.c) ---- */

/*
 * Install the signal-based rendezvous as the platform's rendezvous hook,
 * with intr_disable/intr_restore hooks that mask it (previous hooks are
 * kept for vmk_sim_rdv_uninstall). vmk_rendezvous() then parks every other
 * registered CPU thread wherever it is, as an IPI does, runs the function
 * on the caller and releases them; a thread inside vmk_intr_disable()
 * parks at its outermost vmk_intr_restore(). Idempotent.
 */
void vmk_sim_rdv_install(void);
void vmk_sim_rdv_uninstall(void);

/*
 * The calling thread becomes simulated CPU cpu (vmk_sim_set_cpu) and can
 * be parked. Every registered thread must call vmk_sim_rdv_cpu_exit()
 * before it ends, and must not block with interrupts disabled on
 * something a parked thread holds (as on real hardware).
 */
void vmk_sim_rdv_cpu_enter(unsigned int cpu);
void vmk_sim_rdv_cpu_exit(void);

/* The rendezvous itself (also reachable through the platform hook once installed). */
void vmk_sim_rendezvous(vmk_rendezvous_fn fn, void *arg);

/*
 * Mask and unmask the rendezvous on the calling thread without going
 * through the platform's intr hooks (so the break-before-make bookkeeping
 * of sim.c is untouched): the simulator's own host locks (fault
 * injection, logging) are held inside such a section. A thread parked
 * while it held one would block every other CPU that waits for it in the
 * host's blocking lock, where ThreadSanitizer does not deliver the park
 * signal (it defers signals to its interceptors' return points, and a
 * thread asleep in pthread_mutex_lock is in none), so the rendezvous
 * would wait for its acknowledgment for ever. Nests; any thread.
 */
unsigned long vmk_sim_rdv_mask(void);
void vmk_sim_rdv_unmask(unsigned long state);

/* True if the calling thread is inside vmk_intr_disable() (the hooks above). */
bool vmk_sim_intr_disabled(void);

struct vmk_sim_rdv_stats {
	unsigned long rendezvous;	/* rendezvous completed */
	unsigned long parked;		/* CPU parks (immediate or deferred) */
	unsigned long deferred;		/* parks postponed to vmk_intr_restore() */
};
void vmk_sim_rdv_stats(struct vmk_sim_rdv_stats *st);

#endif /* VMKIT_SIM_H */
