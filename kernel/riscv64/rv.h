/* riscv64 pieces shared by the kernel's riscv64 files. */
#ifndef KERNEL_RV_H
#define KERNEL_RV_H

#include <stdint.h>

#include <vmkit/platform.h>

/* SBI (the RISC-V Supervisor Binary Interface specification). */
#define SBI_EXT_0_1_CONSOLE_PUTCHAR	0x01
#define SBI_EXT_HSM			0x48534dull	/* "HSM" */
#define SBI_HSM_HART_START		0
#define SBI_HSM_HART_GET_STATUS		2
#define SBI_EXT_RFENCE			0x52464e43ull	/* "RFNC" */
#define SBI_RFENCE_SFENCE_VMA		1
#define SBI_RFENCE_SFENCE_VMA_ASID	2

struct sbiret {
	int64_t error, value;
};
struct sbiret rv_sbi(uint64_t eid, uint64_t fid, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3);

/* A trap frame (entry.S): x1..x31, then the trap CSRs. */
struct rv_frame {
	uint64_t x[31];
	uint64_t sepc, scause, stval, sstatus;
};

/* In a fault record's code: no mapping at the address (RISC-V's scause does not say). */
#define RV_FAULT_ABSENT	(1ull << 32)

static inline uint64_t rv_read_satp(void)
{
	uint64_t v;

	__asm__ volatile("csrr %0, satp" : "=r"(v));
	return v;
}

/* smp.c */
unsigned int rv_cpu_id(void *ctx);
/* cpu.c: the satp value of vmkit's kernel root (0 before the switch). */
uint64_t rv_kernel_satp(void);

#endif
