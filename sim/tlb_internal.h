/*
 * Shared between the simulator's TLB files (sim/tlb*.c); not for tests.
 */
#ifndef VMKIT_SIM_TLB_INTERNAL_H
#define VMKIT_SIM_TLB_INTERNAL_H

#include "mmu.h"
#include <stdarg.h>

/* tlb_counts.c: follow one request (hook_tlb), forget everything (install). */
void vmk_sim__tlb_count(const struct vmk_tlb_req *req);
void vmk_sim__tlb_counts_reset(void);

#endif
