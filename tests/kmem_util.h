/* Helpers for the kmem tests: a booted machine with kmem and whole-state snapshots. */
#ifndef VMKIT_TEST_KMEM_UTIL_H
#define VMKIT_TEST_KMEM_UTIL_H

#include "pmap_util.h"
#include <vmkit/kmem.h>

/* kmem's window: the first 4 GiB of the test kernel window. */
#define KMT_WINDOW	(4ull << 30)
/* Boot-time mappings (image, preloads) live 512 GiB above the kmem window. */
#define KMT_BOOT_OFF	(512ull << 30)

/* Boot the pmap machine (pmt_boot) and kmem over [pmt_kva(), + KMT_WINDOW). */
void kmt_boot(enum vmk_pmap_arch_id arch);
/* kmt_boot with the machine of o. */
void kmt_boot_opts(const struct pmt_opts *o);
void kmt_shutdown(void);
vmk_vaddr_t kmt_boot_va(void);

/* Everything that must come back after a failure. */
struct kmt_snap {
	uint64_t state[VMK_PAGE_NSTATES];	/* ALLOC less vmem tag pages */
	uint64_t free;
	uint64_t nofree_returned;
	uint64_t resident;
	uint64_t kva_alloc, arena_alloc, nofree_alloc;
	struct vmk_kmem_stats km;
};

void kmt_snap(struct kmt_snap *s);
/* Fail unless now equals s (names the first field that differs). */
void kmt_same(const struct kmt_snap *s, const char *what);
/* kmem_check, vmk_check_phys, pmap check, TLB audit, BBM. */
void kmt_check(void);
/* The same without vmk_check_phys (which walks every frame: slow in sweeps). */
void kmt_check_fast(void);

#endif
