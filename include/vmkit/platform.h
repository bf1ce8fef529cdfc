/*
 * The platform contract: everything vmkit needs from the kernel (or the
 * simulator) that embeds it. The core never calls libc; it calls these.
 *
 * An embedder fills a struct vmk_platform and registers it with
 * vmk_platform_set() before calling any other vmkit function. Hooks marked
 * "optional" may be NULL; vmkit then uses the documented fallback.
 */
#ifndef VMKIT_PLATFORM_H
#define VMKIT_PLATFORM_H

#include <vmkit/types.h>

/* TLB invalidation requests (used by pmap). */
enum vmk_tlb_kind {
	VMK_TLB_PAGE,		/* one page at va */
	VMK_TLB_RANGE,		/* [va, va + size) */
	VMK_TLB_ASID,		/* everything tagged with asid; global entries stay */
	VMK_TLB_ALL,		/* everything, global entries included */
	VMK_TLB_NONGLOBAL,	/* every non-global entry (untagged user space:
				   x86 MOV CR3 without PCID) */
};

struct vmk_tlb_req {
	enum vmk_tlb_kind kind;
	vmk_vaddr_t va;
	vmk_size_t size;
	uint32_t asid;		/* ASID (arm64) or PCID (x86-64); 0 if unused */
	bool shootdown;		/* all CPUs (inner-shareable TLBI / IPI), not just this one */
	bool last_level;	/* only leaf entries changed (TLBI VALE vs VAE) */
	bool in_bbm;		/* inside a break-before-make window (see tlb_invalidate) */
	void *pmap;		/* the address space, for simulators that track it */
	/*
	 * The pmap's count of requests it made, this one included (the sum
	 * of its vmk_pmap_stats tlbi[]; 0 for requests no pmap counted), and
	 * a number no other pmap had since bootstrap: a platform or simulator
	 * may check that no request is lost or uncounted.
	 */
	uint64_t seq;
	uint64_t pmap_id;
};

/* Memory barriers the page-table code issues, named after what they order. */
enum vmk_barrier {
	VMK_BARRIER_PTE_STORE,	/* make PTE stores visible to the walker (arm64 DSB ISHST) */
	VMK_BARRIER_TLB_SYNC,	/* wait for TLB invalidation to complete (arm64 DSB ISH) */
	VMK_BARRIER_ISB,	/* context synchronisation (arm64 ISB) */
	VMK_BARRIER_FULL,	/* full fence (x86 MFENCE, arm64 DMB ISH) */
};

enum vmk_log_level {
	VMK_LOG_ERR,
	VMK_LOG_WARN,
	VMK_LOG_INFO,
	VMK_LOG_DEBUG,
};

typedef void (*vmk_rendezvous_fn)(void *arg, unsigned int cpu);

struct vmk_platform {
	/*
	 * Required once the library touches memory it manages: a kernel
	 * virtual address through which physical address pa can be read and
	 * written (direct map). Returns NULL if pa is not backed.
	 */
	void *(*phys_to_virt)(void *ctx, vmk_paddr_t pa);

	/*
	 * Optional: invalidate TLB entries. Fallback: nothing (no MMU yet).
	 * vmkit calls it with the pmap's spinlock held and interrupts as the
	 * caller left them, except with req->in_bbm: then it runs inside a
	 * break-before-make window (arm64 only; docs/pmap.md), with
	 * interrupts disabled, between the break and the make of an entry
	 * that may map vmkit's own data, the hook's data, or the stack's
	 * neighbours. Such a call must not fault on kernel memory it did not
	 * prepare beforehand, must not take a lock an interrupt handler may
	 * hold, and must finish without waiting for another CPU with
	 * interrupts disabled: on arm64 a broadcast TLBI ...IS needs no
	 * other CPU's help. A shootdown done with IPIs (x86) is never asked
	 * for inside a window (x86 has no break-before-make); it is asked for
	 * under the pmap spinlock with interrupts enabled, and the pmap's
	 * spinlocks spin with interrupts enabled (vmk_spin_lock never masks
	 * them, and calls cpu_relax while it waits), so a CPU waiting for a
	 * pmap lock still answers the IPI and the holder's shootdown
	 * completes. An embedder that takes a vmkit pmap lock with
	 * interrupts disabled must service shootdown requests while it spins.
	 */
	void (*tlb_invalidate)(void *ctx, const struct vmk_tlb_req *req);

	/*
	 * Optional: issue a barrier. Fallback: the architecture's instruction
	 * (arm64: DSB ISHST, DSB ISH, ISB, DMB ISH; x86: a locked RMW for
	 * FULL, a compiler barrier otherwise, as x86 needs no more).
	 */
	void (*barrier)(void *ctx, enum vmk_barrier kind);

	/* Optional: current CPU index (0 .. cpu_count-1). Fallback: 0. */
	unsigned int (*cpu_id)(void *ctx);

	/* Optional: number of CPUs. Fallback: 1. */
	unsigned int (*cpu_count)(void *ctx);

	/*
	 * Optional: run fn(arg, cpu) on the calling CPU while every other CPU
	 * is parked in code and data that are never subject to
	 * break-before-make, and return when it finished. Fallback: call fn
	 * on this CPU only (correct when cpu_count is 1).
	 */
	void (*rendezvous)(void *ctx, vmk_rendezvous_fn fn, void *arg);

	/* Optional: called in spin loops. Fallback: nothing. */
	void (*cpu_relax)(void *ctx);

	/*
	 * Optional: the critical-section contract. intr_disable masks
	 * every interrupt on the calling CPU, the IPIs of rendezvous and TLB
	 * shootdown included (they are taken at the outermost intr_restore),
	 * and returns the previous state; intr_restore(state) puts it back.
	 * Sections nest. vmkit brackets with them: every break-before-make
	 * window, every per-CPU cache operation, and every spinlock that may
	 * be taken from an interrupt handler (docs/architecture.md,
	 * "Contexts"). Inside a section vmkit waits for another CPU only in
	 * the tlb_invalidate of a break-before-make window: a platform that
	 * shoots down by IPI must keep serving other CPUs' shootdowns while
	 * that hook waits, or two windows on two CPUs deadlock. Fallback: nothing,
	 * which is correct only for an embedder that never calls vmkit from
	 * interrupt context and has no preemption.
	 */
	unsigned long (*intr_disable)(void *ctx);
	void (*intr_restore)(void *ctx, unsigned long state);

	/*
	 * Required: an invariant broke. msg says which. Must not return; if
	 * it does, vmkit executes a trap instruction.
	 */
	void (*panic)(void *ctx, const char *msg);

	/* Optional: a log line (no trailing newline). Fallback: dropped. */
	void (*log)(void *ctx, enum vmk_log_level level, const char *msg);

	/*
	 * Optional: fault injection. Called at every allocation point with a
	 * site name ("memblock.grow", "phys.alloc", ...); returning true makes
	 * that allocation fail as if memory were exhausted. Fallback: never.
	 */
	bool (*fault_inject)(void *ctx, const char *site);

	/*
	 * Optional: write a run of 32-byte records that will not be read
	 * again soon: first[0..3] at dst, then count - 1 copies of
	 * rest[0..3] after it (nothing when count is 0). dst is 8-byte
	 * aligned. The hook may bypass the cache (non-temporal stores); the
	 * stores must be complete and ordered before any store vmkit makes
	 * after it returns (x86: SFENCE after MOVNT*). vmkit calls it only
	 * from vmk_phys_init() with eager initialisation, at boot, with no
	 * vmkit lock held and interrupts as the caller left them, for the
	 * page array's whole 4 MiB chunks; it must not call vmkit. Fallback:
	 * vmk_stream_fill_default().
	 */
	void (*stream_fill)(void *ctx, void *dst, const uint64_t first[4],
			    const uint64_t rest[4], size_t count);

	void *ctx;		/* passed to every hook */
};

/* Register the platform. Call once, before anything else. */
void vmk_platform_set(const struct vmk_platform *p);

/* The registered platform (never NULL after vmk_platform_set). */
const struct vmk_platform *vmk_platform_get(void);

/* Convenience wrappers applying the documented fallbacks. */
void *vmk_phys_to_virt(vmk_paddr_t pa);
void vmk_tlb_invalidate(const struct vmk_tlb_req *req);
void vmk_barrier(enum vmk_barrier kind);
unsigned int vmk_cpu_id(void);
unsigned int vmk_cpu_count(void);
void vmk_rendezvous(vmk_rendezvous_fn fn, void *arg);
void vmk_cpu_relax(void);
unsigned long vmk_intr_disable(void);
void vmk_intr_restore(unsigned long state);

/* True if the platform asks this allocation site to fail. */
bool vmk_fault(const char *site);

/*
 * The stream_fill hook's contract (first record, then count - 1 copies of
 * rest, dst 8-byte aligned), through the hook if the platform has one,
 * else vmk_stream_fill_default(). Returns nothing; may be called wherever
 * the hook may (boot, no vmkit lock held).
 */
void vmk_stream_fill(void *dst, const uint64_t first[4], const uint64_t rest[4], size_t count);

/*
 * The fallback of stream_fill: on x86-64 non-temporal MOVNTI stores from
 * general registers (no SSE state, so a kernel built without it may call
 * it) followed by SFENCE, which write whole lines without reading them
 * first; elsewhere ordinary 8-byte stores. Returns nothing; any context
 * (it takes no lock and calls nothing).
 */
void vmk_stream_fill_default(void *dst, const uint64_t first[4], const uint64_t rest[4],
			     size_t count);

/*
 * For the inline hot-path wrappers below only: the registered platform,
 * or a platform with no hooks before vmk_platform_set() (never NULL).
 * Use vmk_platform_get() everywhere else.
 */
extern const struct vmk_platform *vmk_platform__hot;

/*
 * vmk_fault(site) for allocation fast paths: the same answer, but when no
 * fault_inject hook is registered it costs one predictable branch and no
 * call. May be called wherever vmk_fault() may.
 */
static inline bool vmk_fault_fast(const char *site)
{
	return VMK_UNLIKELY(vmk_platform__hot->fault_inject != NULL) && vmk_fault(site);
}

#if VMK_MD_INLINE_HOOKS
/*
 * The embedder's inline hooks (VMK_MD_INLINE_HOOKS): VMK_MD_HOOKS_HEADER,
 * included here (struct vmk_platform and vmk_platform__hot are declared),
 * defines
 *   static inline unsigned int vmk_md_cpu_id(void);
 *   static inline unsigned long vmk_md_intr_disable(void);
 *   static inline void vmk_md_intr_restore(unsigned long state);
 * with the contracts of the cpu_id, intr_disable and intr_restore hooks,
 * acting on the same CPU state as the registered hooks (vmkit calls both:
 * the fast paths these, everything else the hooks, and a state saved by
 * one may be restored by the other when they nest). The wrappers below
 * then cost what those functions cost, no call at all.
 */
#include VMK_MD_HOOKS_HEADER

static inline unsigned int vmk_cpu_id_fast(void)
{
	return vmk_md_cpu_id();
}

static inline unsigned long vmk_intr_disable_fast(void)
{
	return vmk_md_intr_disable();
}

static inline void vmk_intr_restore_fast(unsigned long state)
{
	vmk_md_intr_restore(state);
}
#else
/*
 * vmk_cpu_id() for fast paths: the same answer with the platform's hook
 * called directly (one indirect call instead of a call and an indirect
 * jump). May be called wherever vmk_cpu_id() may.
 */
static inline unsigned int vmk_cpu_id_fast(void)
{
	const struct vmk_platform *p = vmk_platform__hot;

	return p->cpu_id ? p->cpu_id(p->ctx) : 0;
}

/*
 * vmk_intr_disable() / vmk_intr_restore() for fast paths: the same
 * contract, with the hook called directly and no call at all when the
 * platform has none. May be called wherever those may.
 */
static inline unsigned long vmk_intr_disable_fast(void)
{
	const struct vmk_platform *p = vmk_platform__hot;

	return p->intr_disable ? p->intr_disable(p->ctx) : 0;
}

static inline void vmk_intr_restore_fast(unsigned long state)
{
	const struct vmk_platform *p = vmk_platform__hot;

	if (p->intr_restore)
		p->intr_restore(p->ctx, state);
}
#endif /* VMK_MD_INLINE_HOOKS */

/* Formatted log line; see lib.h for the format directives supported. */
void vmk_log(enum vmk_log_level level, const char *fmt, ...) VMK_PRINTF(2, 3);

/* Formats msg and calls the platform's panic hook. Never returns. */
VMK_NORETURN void vmk_panic(const char *fmt, ...) VMK_PRINTF(1, 2);

/*
 * VMK_ASSERT(cond, fmt, ...): an internal invariant. On failure it panics
 * with "invariant violated: <fmt> (<cond>) at file:line", so the message
 * names the invariant that broke. Compiled out when VMK_DEBUG is 0.
 */
#if VMK_DEBUG
#define VMK_ASSERT(cond, ...)						\
	do {								\
		if (VMK_UNLIKELY(!(cond)))				\
			vmk_assert_fail(#cond, __FILE__, __LINE__,	\
					__VA_ARGS__);			\
	} while (0)
#else
#define VMK_ASSERT(cond, ...)	do { (void)sizeof(cond); } while (0)
#endif

/* VMK_VERIFY: like VMK_ASSERT but never compiled out. */
#define VMK_VERIFY(cond, ...)						\
	do {								\
		if (VMK_UNLIKELY(!(cond)))				\
			vmk_assert_fail(#cond, __FILE__, __LINE__,	\
					__VA_ARGS__);			\
	} while (0)

VMK_NORETURN void vmk_assert_fail(const char *cond, const char *file,
				  int line, const char *fmt, ...)
	VMK_PRINTF(4, 5);

/* A spinlock built on compiler atomics; zero-initialised means unlocked. */
struct vmk_spinlock {
	volatile uint32_t locked;
};

#define VMK_SPINLOCK_INIT { 0 }

static inline void vmk_spin_lock(struct vmk_spinlock *l)
{
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE) != 0) {
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED) != 0)
			vmk_cpu_relax();
	}
}

static inline bool vmk_spin_trylock(struct vmk_spinlock *l)
{
	return __atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE) == 0;
}

static inline void vmk_spin_unlock(struct vmk_spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

static inline bool vmk_spin_held(const struct vmk_spinlock *l)
{
	return __atomic_load_n(&l->locked, __ATOMIC_RELAXED) != 0;
}

#endif /* VMKIT_PLATFORM_H */
