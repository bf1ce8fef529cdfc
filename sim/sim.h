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

/* ---- log ---- */
/* Print log lines to stderr (default: only when VMK_SIM_LOG is set). */
void vmk_sim_log_to_stderr(bool on);
/* Count of log lines at level <= VMK_LOG_WARN since install. */
unsigned long vmk_sim_warnings(void);

/* ---- counters for TLB and barrier hooks (pmap tests extend these) ---- */
unsigned long vmk_sim_tlb_requests(void);

#endif /* VMKIT_SIM_H */
