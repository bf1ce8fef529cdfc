/*
 * A rendezvous that parks the other simulated CPUs wherever they happen
 * to be, as an IPI does on real hardware: the initiator sends a signal to
 * every other registered CPU thread; the handler acknowledges and spins
 * until the initiator has run its function and releases everyone. So a
 * CPU can be parked in the middle of a lock-free push or pop, or while it
 * holds a spinlock, unless it is inside vmk_intr_disable(): then, as a
 * CPU with interrupts masked, it takes the park at its outermost
 * vmk_intr_restore().
 *
 * Under ThreadSanitizer a signal is delivered at the thread's next
 * atomic operation or intercepted call rather than at any instruction;
 * the code under test is full of both, so parks still land mid-operation.
 * A thread asleep in a blocking host lock (pthread_mutex_lock) is at no
 * such point and never takes its park: so the simulator's own host locks
 * are held with the rendezvous masked (vmk_sim_rdv_mask), or a CPU
 * parked while holding one would leave the others asleep on it and the
 * initiator waiting for their acknowledgments for ever.
 */
#include "sim.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#define RDV_MAX_CPUS	64
#define RDV_SIGNAL	(SIGRTMIN + 3)

static pthread_once_t rdv_once = PTHREAD_ONCE_INIT;
/*
 * Registration and initiators: a ticket lock (fair, so a CPU that keeps
 * starting rendezvous cannot starve another that waits to start one),
 * held by the initiator for the whole rendezvous.
 */
static unsigned long rdv_next, rdv_serving;
static pthread_t rdv_tid[RDV_MAX_CPUS];
static bool rdv_on[RDV_MAX_CPUS];

static unsigned long rdv_gen;		/* current rendezvous (atomic) */
static unsigned long rdv_released;	/* last rendezvous released (atomic) */
/* Per CPU: the last rendezvous it parked for, and the last one it left (atomic). */
static unsigned long rdv_parked_gen[RDV_MAX_CPUS], rdv_left_gen[RDV_MAX_CPUS];
static bool rdv_sent[RDV_MAX_CPUS];	/* signalled in the current one (initiator only) */
static unsigned long st_rdv, st_parked, st_deferred;

static bool installed;
static unsigned long (*prev_disable)(void *);
static void (*prev_restore)(void *, unsigned long);
static void (*prev_rendezvous)(void *, vmk_rendezvous_fn, void *);

/* Per thread: registered, interrupt-disable depth, a park taken later. */
static _Thread_local volatile sig_atomic_t my_registered;
static _Thread_local unsigned int my_cpu;
static _Thread_local volatile unsigned long my_depth;
static _Thread_local volatile sig_atomic_t my_pending;

/*
 * Waiting: spin a while before yielding, so the waiting thread keeps its
 * core and the others are interrupted where they run rather than mostly
 * at their own yields.
 */
static void wait_relax(unsigned int *spins)
{
	if (++*spins < 200) {
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#elif defined(__aarch64__)
		__asm__ __volatile__("yield");
#endif
		return;
	}
	*spins = 0;
	sched_yield();
}

static void take_pending(void);

/* Wait for the ticket lock, answering rendezvous meanwhile (even with interrupts masked). */
static void rdv_lock_take(void)
{
	unsigned long t = __atomic_fetch_add(&rdv_next, 1, __ATOMIC_RELAXED);
	unsigned int spins = 0;

	while (__atomic_load_n(&rdv_serving, __ATOMIC_ACQUIRE) != t) {
		take_pending();
		wait_relax(&spins);
	}
}

static void rdv_lock_drop(void)
{
	__atomic_store_n(&rdv_serving, __atomic_load_n(&rdv_serving, __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELEASE);
}

static void park(void)
{
	unsigned long gen = __atomic_load_n(&rdv_gen, __ATOMIC_ACQUIRE);
	unsigned int spins = 0;

	__atomic_add_fetch(&st_parked, 1, __ATOMIC_RELAXED);
	/* Release: the initiator sees everything this CPU wrote before. */
	__atomic_store_n(&rdv_parked_gen[my_cpu], gen, __ATOMIC_RELEASE);
	while (__atomic_load_n(&rdv_released, __ATOMIC_ACQUIRE) < gen)
		wait_relax(&spins);
	__atomic_store_n(&rdv_left_gen[my_cpu], gen, __ATOMIC_RELEASE);
}

static void handler(int sig)
{
	int saved = errno;

	(void)sig;
	if (my_registered) {
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		if (my_depth > 0) {
			/* Interrupts masked: the park waits for vmk_intr_restore(). */
			__atomic_add_fetch(&st_deferred, 1, __ATOMIC_RELAXED);
			my_pending = 1;
		} else {
			park();
		}
	}
	errno = saved;
}

static void rdv_init(void)
{
	struct sigaction sa = { 0 };

	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(RDV_SIGNAL, &sa, NULL) != 0) {
		perror("sim rendezvous: sigaction");
		abort();
	}
}

/* Take a deferred park now (the thread is at a point where it may be parked). */
static void take_pending(void)
{
	if (my_pending) {
		my_pending = 0;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		park();
	}
}

static unsigned long hook_disable(void *ctx)
{
	unsigned long old = my_depth;

	(void)ctx;
	my_depth = old + 1;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	return old;
}

static void hook_restore(void *ctx, unsigned long state)
{
	(void)ctx;
	vmk_sim_rdv_unmask(state);
}

unsigned long vmk_sim_rdv_mask(void)
{
	return hook_disable(NULL);
}

void vmk_sim_rdv_unmask(unsigned long state)
{
	if (my_depth != state + 1) {
		fprintf(stderr, "sim rendezvous: vmk_intr_restore(%lu) at depth %lu (unbalanced)\n",
			state, (unsigned long)my_depth);
		abort();
	}
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	my_depth = state;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (state == 0)
		take_pending();
}

void vmk_sim_rendezvous(vmk_rendezvous_fn fn, void *arg)
{
	pthread_t self = pthread_self();
	unsigned int spins = 0;
	unsigned long gen, depth;

	pthread_once(&rdv_once, rdv_init);
	/*
	 * One initiator at a time. A CPU waiting to initiate answers the
	 * current rendezvous even with interrupts masked (a kernel's wait for
	 * the IPI lock polls for IPIs), or two initiators would wait for
	 * each other.
	 */
	rdv_lock_take();
	gen = __atomic_load_n(&rdv_gen, __ATOMIC_RELAXED) + 1;
	__atomic_store_n(&rdv_gen, gen, __ATOMIC_RELEASE);
	for (unsigned int c = 0; c < RDV_MAX_CPUS; c++) {
		rdv_sent[c] = rdv_on[c] && !pthread_equal(rdv_tid[c], self);
		if (!rdv_sent[c])
			continue;
		if (pthread_kill(rdv_tid[c], RDV_SIGNAL) != 0) {
			fprintf(stderr, "sim rendezvous: CPU %u's thread is gone (not unregistered)\n", c);
			abort();
		}
	}
	for (unsigned int c = 0; c < RDV_MAX_CPUS; c++)
		while (rdv_sent[c] && __atomic_load_n(&rdv_parked_gen[c], __ATOMIC_ACQUIRE) != gen)
			wait_relax(&spins);
	__atomic_add_fetch(&st_rdv, 1, __ATOMIC_RELAXED);
	/* The function runs as the CPU's IPI handler would: interrupts masked. */
	depth = my_depth;
	my_depth = depth + 1;
	fn(arg, vmk_cpu_id());
	my_depth = depth;
	__atomic_store_n(&rdv_released, gen, __ATOMIC_RELEASE);
	for (unsigned int c = 0; c < RDV_MAX_CPUS; c++)
		while (rdv_sent[c] && __atomic_load_n(&rdv_left_gen[c], __ATOMIC_ACQUIRE) != gen)
			wait_relax(&spins);
	rdv_lock_drop();
}

static void hook_rendezvous(void *ctx, vmk_rendezvous_fn fn, void *arg)
{
	(void)ctx;
	vmk_sim_rendezvous(fn, arg);
}

void vmk_sim_rdv_cpu_enter(unsigned int cpu)
{
	if (cpu >= RDV_MAX_CPUS) {
		fprintf(stderr, "sim rendezvous: CPU %u beyond %u\n", cpu, RDV_MAX_CPUS);
		abort();
	}
	pthread_once(&rdv_once, rdv_init);
	vmk_sim_set_cpu(cpu);
	rdv_lock_take();
	if (rdv_on[cpu]) {
		fprintf(stderr, "sim rendezvous: two threads registered as CPU %u\n", cpu);
		abort();
	}
	rdv_tid[cpu] = pthread_self();
	rdv_on[cpu] = true;
	my_cpu = cpu;
	my_registered = 1;
	rdv_lock_drop();
}

void vmk_sim_rdv_cpu_exit(void)
{
	pthread_t self = pthread_self();

	/* Not during a rendezvous: every signal sent to this thread was answered. */
	rdv_lock_take();
	for (unsigned int c = 0; c < RDV_MAX_CPUS; c++)
		if (rdv_on[c] && pthread_equal(rdv_tid[c], self))
			rdv_on[c] = false;
	my_registered = 0;
	rdv_lock_drop();
}

bool vmk_sim_intr_disabled(void)
{
	return my_depth > 0;
}

void vmk_sim_rdv_install(void)
{
	struct vmk_platform *p = vmk_sim_platform();

	pthread_once(&rdv_once, rdv_init);
	if (installed)
		return;
	prev_disable = p->intr_disable;
	prev_restore = p->intr_restore;
	prev_rendezvous = p->rendezvous;
	p->intr_disable = hook_disable;
	p->intr_restore = hook_restore;
	p->rendezvous = hook_rendezvous;
	installed = true;
}

void vmk_sim_rdv_uninstall(void)
{
	struct vmk_platform *p = vmk_sim_platform();

	if (!installed)
		return;
	p->intr_disable = prev_disable;
	p->intr_restore = prev_restore;
	p->rendezvous = prev_rendezvous;
	installed = false;
}

void vmk_sim_rdv_stats(struct vmk_sim_rdv_stats *st)
{
	st->rendezvous = __atomic_load_n(&st_rdv, __ATOMIC_RELAXED);
	st->parked = __atomic_load_n(&st_parked, __ATOMIC_RELAXED);
	st->deferred = __atomic_load_n(&st_deferred, __ATOMIC_RELAXED);
}
