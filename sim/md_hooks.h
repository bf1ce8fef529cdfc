/*
 * The simulator's interrupt and CPU-id hooks as inline functions (the
 * MD=1 build; included by platform.h). They act on the same per-thread
 * state as the hooks sim.c registers and check the same things (nesting,
 * a hook inside a break-before-make window), so the two may nest; only
 * the call is gone. Tests and the simulator's rendezvous and TLB models
 * swap other hooks into the platform: then the registered hook is called,
 * as without MD=1 (a load and a compare decide).
 */
#ifndef VMKIT_SIM_MD_HOOKS_H
#define VMKIT_SIM_MD_HOOKS_H

extern _Thread_local unsigned int vmk_sim__cpu;
extern _Thread_local unsigned long vmk_sim__intr_depth;
extern _Thread_local unsigned long vmk_sim__hooks;
extern _Thread_local unsigned long vmk_sim__hooks_snap;
extern _Thread_local _Bool vmk_sim__window_open;
unsigned int vmk_sim__cpu_id(void *ctx);
unsigned long vmk_sim__intr_disable(void *ctx);
void vmk_sim__intr_restore(void *ctx, unsigned long state);
void vmk_sim__intr_restore_checked(unsigned long state);

static inline unsigned int vmk_md_cpu_id(void)
{
	const struct vmk_platform *p = vmk_platform__hot;

	if (__builtin_expect(p->cpu_id != vmk_sim__cpu_id, 0))
		return p->cpu_id ? p->cpu_id(p->ctx) : 0;
	vmk_sim__hooks++;
	return vmk_sim__cpu;
}

static inline unsigned long vmk_md_intr_disable(void)
{
	const struct vmk_platform *p = vmk_platform__hot;

	if (__builtin_expect(p->intr_disable != vmk_sim__intr_disable, 0))
		return p->intr_disable ? p->intr_disable(p->ctx) : 0;
	vmk_sim__hooks_snap = vmk_sim__hooks;
	return vmk_sim__intr_depth++;
}

/* The common case inline; a window to close or a mismatch goes to sim.c's checks. */
static inline void vmk_md_intr_restore(unsigned long state)
{
	const struct vmk_platform *p = vmk_platform__hot;

	if (__builtin_expect(p->intr_restore != vmk_sim__intr_restore, 0)) {
		if (p->intr_restore)
			p->intr_restore(p->ctx, state);
		return;
	}
	if (__builtin_expect(vmk_sim__window_open || state + 1 != vmk_sim__intr_depth, 0)) {
		vmk_sim__intr_restore_checked(state);
		return;
	}
	vmk_sim__intr_depth = state;
}

#endif /* VMKIT_SIM_MD_HOOKS_H */
