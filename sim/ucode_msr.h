/*
 * A simulated microcode MSR pair for vmk_ucode_load's hooks: the running
 * revision, and an update trigger that refuses an update that is not
 * newer, a signature mismatch, or a header it cannot read through the
 * kernel page tables (as the CPU reads the update by linear address).
 */
#ifndef VMKIT_SIM_UCODE_MSR_H
#define VMKIT_SIM_UCODE_MSR_H

#include <vmkit/ucode.h>

struct vmk_sim_ucode_cpu {
	struct vmk_ucode_cpu id;
	int32_t rev;			/* IA32_BIOS_SIGN_ID */
	unsigned int applied;		/* updates taken */
	unsigned int refused;		/* updates refused */
};

/* Hooks bound to cpu (ctx). */
void vmk_sim_ucode_ops(struct vmk_sim_ucode_cpu *cpu, struct vmk_ucode_ops *ops);

#endif
