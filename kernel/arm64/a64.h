/* arm64 system registers and the pieces the arch files share. */
#ifndef KERNEL_A64_H
#define KERNEL_A64_H

#include <stdint.h>
#include <vmkit/platform.h>

#define SYSREG_R(name)								\
	static inline uint64_t read_##name(void)				\
	{									\
		uint64_t v;							\
		__asm__ volatile("mrs %0, " #name : "=r"(v));			\
		return v;							\
	}
SYSREG_R(tcr_el1)
SYSREG_R(sctlr_el1)
SYSREG_R(mpidr_el1)
SYSREG_R(id_aa64mmfr0_el1)
SYSREG_R(id_aa64mmfr1_el1)
SYSREG_R(daif)
SYSREG_R(ttbr0_el1)
SYSREG_R(ttbr1_el1)
SYSREG_R(mair_el1)

/* Descriptor bits (4 KiB granule). */
#define D_VALID		0x1ull
#define D_TABLE		0x3ull		/* table (levels 0-2) or page (level 3) */
#define D_BLOCK		0x1ull
#define D_ATTR(i)	((uint64_t)(i) << 2)
#define D_SH_INNER	(3ull << 8)
#define D_AF		(1ull << 10)
#define D_PXN		(1ull << 53)
#define D_UXN		(1ull << 54)

struct a64_frame {
	uint64_t x[31];
	uint64_t elr, spsr, esr, far, entry;
	uint64_t pad;
};

uint64_t a64_hvc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);
void a64_set_vbar(void);
void a64_flush_local_all(void);
unsigned int a64_cpu_id(void *ctx);
extern uint64_t a64_tcr, a64_ap_ttbr0;

#endif
