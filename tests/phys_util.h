/* Helpers for the phys tests: machines built from segments directly. */
#ifndef VMKIT_TEST_PHYS_UTIL_H
#define VMKIT_TEST_PHYS_UTIL_H

#include "harness.h"
#include <vmkit/phys.h>

#define TP_MAX_META 16

struct tp_machine {
	void *meta[TP_MAX_META];
	unsigned int nmeta;
};

extern struct tp_machine tp_m;

/* Fresh allocator and simulator (single CPU 0). */
void tp_reset(void);

/* Add RAM [base, base+size) in domain with records in host memory; all frames RESERVED. */
void tp_add(vmk_paddr_t base, vmk_size_t size, unsigned int domain);

/* Add RAM and free it all. */
void tp_add_free(vmk_paddr_t base, vmk_size_t size, unsigned int domain);

/* Free frames by the stats (FREE + PCPU). */
uint64_t tp_free(void);

/* Count of frames in state st. */
uint64_t tp_state(unsigned int st);

/* Drain every cache and check every invariant. */
void tp_check(void);

/* xorshift PRNG. */
uint64_t tp_rand(uint64_t *s);

#endif
