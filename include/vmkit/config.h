/*
 * vmkit compile-time configuration: the one config header an embedder
 * edits or overrides with -D flags. Every knob has a default here.
 */
#ifndef VMKIT_CONFIG_H
#define VMKIT_CONFIG_H

/* Define VMK_CONFIG_USER_HEADER to a file name to pull in overrides first. */
#ifdef VMK_CONFIG_USER_HEADER
#include VMK_CONFIG_USER_HEADER
#endif

/* Largest number of CPUs the per-CPU structures are sized for. */
#ifndef VMK_MAX_CPUS
#define VMK_MAX_CPUS		64
#endif

/* Largest number of NUMA domains (memory nodes). */
#ifndef VMK_MAX_DOMAINS
#define VMK_MAX_DOMAINS		8
#endif

/* Default physical address width in bits (52 is the x86-64/arm64 maximum). */
#ifndef VMK_PHYS_ADDR_BITS
#define VMK_PHYS_ADDR_BITS	52
#endif

/* Regions memblock holds in its static arrays before it grows them. */
#ifndef VMK_MEMBLOCK_INIT_REGIONS
#define VMK_MEMBLOCK_INIT_REGIONS	128
#endif

/* Buddy orders 0 .. VMK_MAX_ORDER-1; 11 gives 4 MiB blocks with 4 KiB pages. */
#ifndef VMK_MAX_ORDER
#define VMK_MAX_ORDER		11
#endif

/*
 * Page poisoning from boot (vmk_phys_set_poison() changes it at run
 * time): freed pages are filled with VMK_PHYS_POISON_BYTE and, in debug
 * builds, checked when allocated again (docs/phys.md).
 */
#ifndef VMK_PHYS_POISON
#define VMK_PHYS_POISON		0
#endif
#ifndef VMK_PHYS_POISON_BYTE
#define VMK_PHYS_POISON_BYTE	0x6b
#endif

/* Compile the invariant assertions (VMK_ASSERT) in; 0 removes them. */
#ifndef VMK_DEBUG
#define VMK_DEBUG		1
#endif

/*
 * Page-table formats left out of the build (1 = left out): an embedder
 * that compiles only its own architecture's src/pmap/arch file sets the
 * others (vmkit.mk does it from VMKIT_ARCHS). vmk_pmap_bootstrap() then
 * refuses a left-out format with -VMK_EINVAL.
 */
#ifndef VMK_PMAP_NO_X86_64
#define VMK_PMAP_NO_X86_64	0
#endif
#ifndef VMK_PMAP_NO_ARM64
#define VMK_PMAP_NO_ARM64	0
#endif

/*
 * 1: the embedder provides the interrupt and CPU-id hooks of the fast
 * paths inline, as Linux's architecture headers provide local_irq_save()
 * and smp_processor_id(): its config header (VMK_CONFIG_USER_HEADER) sets
 * this and VMK_MD_HOOKS_HEADER, the header platform.h then includes for
 * them (see vmk_cpu_id_fast() there).
 */
#ifndef VMK_MD_INLINE_HOOKS
#define VMK_MD_INLINE_HOOKS	0
#endif

#endif /* VMKIT_CONFIG_H */
