/* Selection of the machine-dependent descriptor layer. */
#include "pmap_arch.h"

const struct vmk_pmap_arch *vmk_pmap__arch(enum vmk_pmap_arch_id id)
{
	/* An embedder may leave formats out (vmkit.mk's VMKIT_ARCHS). */
	switch (id) {
#if !VMK_PMAP_NO_X86_64
	case VMK_PMAP_ARCH_X86_64:
		return &vmk_pmap_arch_x86_64;
#endif
#if !VMK_PMAP_NO_ARM64
	case VMK_PMAP_ARCH_ARM64:
		return &vmk_pmap_arch_arm64;
#endif
#if !VMK_PMAP_NO_RISCV64
	case VMK_PMAP_ARCH_RISCV64:
		return &vmk_pmap_arch_riscv64;
#endif
	default:
		break;
	}
	return NULL;
}

/* Value for IA32_PAT / MAIR_EL1 matching the memory types vmkit writes (riscv64: 0). */
uint64_t vmk_pmap_memattr_reg(enum vmk_pmap_arch_id arch)
{
	const struct vmk_pmap_arch *a = vmk_pmap__arch(arch);

	return a ? a->memattr_reg : 0;
}

/* Levels used when a configuration asks for 0 (4 on both). */
unsigned int vmk_pmap_default_levels(enum vmk_pmap_arch_id arch)
{
	const struct vmk_pmap_arch *a = vmk_pmap__arch(arch);

	return a ? a->default_levels : 0;
}
