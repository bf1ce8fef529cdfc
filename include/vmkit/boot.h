/*
 * boot: from a sanitized firmware map to the boot-time memory picture.
 *
 * This is the glue a kernel's early boot code runs once: every range of
 * the firmware map goes into memblock according to one policy table (what
 * is RAM, what is reserved, what must never be mapped), and into the
 * resource tree with the names Linux uses in /proc/iomem. The kernel image
 * is placed and reserved, and memblock's reservations inside System RAM
 * appear as nested children, so that /proc/iomem readers (kexec) see them.
 *
 * Policy (docs/boot.md has the reasons):
 *
 *   kind            memblock.memory  memblock             /proc/iomem name
 *   usable          yes              free                 System RAM
 *   boot-services   yes              free (after EBS)     System RAM
 *   bootloader      yes              reserved             System RAM
 *   unaccepted      yes              reserved             System RAM
 *   acpi-reclaim    yes              reserved             ACPI Tables
 *   acpi-nvs        yes              NOMAP                ACPI Non-volatile Storage
 *   runtime-code    yes              NOMAP                Reserved
 *   runtime-data    yes              NOMAP                Reserved
 *   nomap (DT)      yes              NOMAP                Reserved
 *   reserved        no                                    Reserved
 *     carved out of RAM (DT reserved-memory, VMK_FWMAP_F_IN_RAM):
 *                   yes              reserved             System RAM + "reserved" child
 *   soft-reserved   no                                    Soft Reserved
 *   persistent      no                                    Persistent Memory [(legacy)]
 *   unusable        no                                    Unusable memory
 *   mmio, mmio-port, pal-code: no                         Reserved
 *   any kind with VMK_FWMAP_F_NOMAP: memory, NOMAP; a RAM kind shows as
 *                   Reserved (not System RAM: nothing would nest in it)
 *
 * That table is x86-64's. arm64 (VMK_BOOT_ARCH_ARM64, the *_arch calls)
 * follows Linux arm64 reserve_regions()/is_memory() for UEFI maps: every
 * region with WB, WT or WC in its attributes is memory; those that are not
 * usable RAM (usable: Loader*, BootServices*, Conventional, ACPI reclaim,
 * Persistent, and only with WB) are NOMAP; ACPI reclaim is reserved (as
 * are Loader*, which hold the kernel, initrd and device tree); UC-only and
 * soft-reserved regions are not memory. /proc/iomem is then built from
 * memblock as request_standard_resources() does: one "System RAM" per
 * mapped memblock region and one "reserved" (lower case) per NOMAP one,
 * and vmk_boot_resources_add_reserved() nests the reservations (ACPI
 * reclaim too) as "reserved" inside System RAM. docs/boot.md lists the
 * differences from Linux.
 */
#ifndef VMKIT_BOOT_H
#define VMKIT_BOOT_H

#include <vmkit/fwmap.h>
#include <vmkit/memblock.h>
#include <vmkit/resource.h>

/* What memblock does with a kind (see the table above). */
enum vmk_boot_action {
	VMK_BOOT_SKIP = 0,	/* not memory */
	VMK_BOOT_FREE,		/* memory, free */
	VMK_BOOT_RESERVE,	/* memory, reserved */
	VMK_BOOT_NOMAP,		/* memory, NOMAP */
};

/* The architecture whose boot code the policy follows. */
enum vmk_boot_arch {
	VMK_BOOT_ARCH_X86_64 = 0,	/* arch/x86 e820 code (the table above) */
	VMK_BOOT_ARCH_ARM64 = 1,	/* arch/arm64 + drivers/firmware/efi/efi-init.c */
};

/*
 * The architecture a sanitized map comes from: x86-64 for every E820 map
 * (E820 exists only there, even when the map has no RAM below 1 MiB), and
 * for other formats when some RAM lies below 1 MiB (x86 firmware always
 * leaves some for the real-mode trampoline); arm64 otherwise. Callable any
 * time.
 */
uint32_t vmk_boot_guess_arch(const struct vmk_fwmap *m);

/*
 * The memblock action for an entry under arch's policy (enum
 * vmk_boot_arch; x86-64 is vmk_boot_action()). On arm64, UEFI entries
 * follow reserve_regions() (see above) and, for a map read from an arm64
 * /proc/iomem (format NONE), a top-level reserved range is NOMAP memory,
 * since arm64 prints exactly its NOMAP memblock regions that way. Callable
 * any time.
 */
enum vmk_boot_action vmk_boot_action_arch(const struct vmk_fwmap_entry *e, uint32_t format,
					  uint32_t arch);

/*
 * vmk_boot_memblock_from_fwmap() under arch's policy. Same returns and
 * context.
 */
int vmk_boot_memblock_from_fwmap_arch(struct vmk_memblock *mb, const struct vmk_fwmap *m,
				      uint32_t arch);

/*
 * The top level of /proc/iomem as Linux arm64 request_standard_resources()
 * builds it: one resource per memblock memory region, "reserved" for NOMAP
 * regions (the pages they touch) and "System RAM" for the others (the
 * whole pages inside), in memblock's order; nothing else. Nodes and names
 * come from pool. Returns 0, -VMK_ENOMEM when the pool runs out (the nodes
 * added so far stay), -VMK_EINVAL if a resource conflicts with one already
 * under root. Boot-only (reads mb).
 */
int vmk_boot_resources_from_memblock(struct vmk_resource *root, struct vmk_resource_pool *pool,
				     const struct vmk_memblock *mb);

/*
 * The memblock action for an entry of map format 'format' (enum
 * vmk_fwmap_format). Callable any time.
 */
enum vmk_boot_action vmk_boot_action(const struct vmk_fwmap_entry *e, uint32_t format);

/* The /proc/iomem name for an entry's kind (and raw type). Callable any time. */
const char *vmk_boot_resource_name(const struct vmk_fwmap_entry *e, uint32_t format);

/*
 * Feed every entry of the sanitized map m into mb per the policy table.
 * Entries must not overlap (run vmk_fwmap_sanitize first). Returns 0, or
 * the first memblock error (-VMK_ENOMEM/-VMK_ENOSPC when the region arrays
 * cannot grow); on error mb may hold part of the map, so callers start
 * over with a fresh memblock. Call before any memblock allocation.
 */
int vmk_boot_memblock_from_fwmap(struct vmk_memblock *mb, const struct vmk_fwmap *m);

/*
 * Build the top level of the /proc/iomem tree under root from the sanitized
 * map m: one resource per run of entries with the same name (adjacent
 * System RAM pieces of different kinds become one "System RAM"). Nodes and
 * names come from pool. Returns 0, -VMK_ENOMEM when the pool runs out (the
 * nodes added so far stay in the tree), -VMK_EINVAL if m overlaps.
 */
int vmk_boot_resources_from_fwmap(struct vmk_resource *root, struct vmk_resource_pool *pool,
				  const struct vmk_fwmap *m);

/*
 * Place and reserve a kernel image of size bytes: at *pa if fixed is true
 * (it must lie in free memblock memory: else -VMK_EBUSY, nothing
 * reserved), otherwise at the lowest align-aligned free address at or
 * above min (bottom-up, the way a relocatable kernel is put at
 * LOAD_PHYSICAL_ADDR). Stores the address in *pa. Returns 0, -VMK_EINVAL
 * for size 0 or a bad alignment, -VMK_ENOMEM if no free range fits.
 */
int vmk_boot_reserve_kernel(struct vmk_memblock *mb, vmk_size_t size, vmk_size_t align,
			    vmk_paddr_t min, bool fixed, vmk_paddr_t *pa);

/*
 * Add memblock's reservations that lie inside System RAM resources as
 * nested children: [kernel_base, kernel_base + kernel_size) as "Kernel
 * image" (skipped if kernel_size is 0) and every other reserved piece as
 * "reserved" (as arm64 kernels show firmware reservations), so that a
 * reader of /proc/iomem that honours nested entries never places anything
 * there. Each reservation is widened to whole pages first, as Linux's
 * reserve_memblock_reserved_regions() does. What existing children already describe (a "Crash kernel"
 * inserted before this call) is left as it is; only the gaps between
 * them get "reserved" children. Returns 0 or -VMK_ENOMEM when the pool
 * runs out (the children added so far stay).
 */
int vmk_boot_resources_add_reserved(struct vmk_resource *root, struct vmk_resource_pool *pool,
				    const struct vmk_memblock *mb, vmk_paddr_t kernel_base,
				    vmk_size_t kernel_size);

/* A memory affinity range from firmware: an ACPI SRAT memory entry, a DT numa-node-id. */
struct vmk_numa_range {
	vmk_paddr_t base;
	vmk_paddr_t end;	/* exclusive */
	int nid;
};

/*
 * Give every memblock.memory region its NUMA node from the firmware's
 * affinity ranges r[0 .. n), as Linux's NUMA init does for arch:
 *  - x86-64 (arch/x86/mm/numa.c): ranges of one node merge across a gap
 *    no other node's range touches (numa_cleanup_meminfo; ranges over no
 *    memory take no part, Linux sets them aside first), each merged
 *    range's memory gets its node, and if 1 MiB or more of memory is left
 *    without a node the affinity is dropped (numa_meminfo_cover_memory);
 *  - arm64 (drivers/base/arch_numa.c): each range's memory gets its node,
 *    and a memory region left without a node drops the affinity
 *    (numa_register_nodes: "invalid memblk node").
 * Without affinity (n == 0, or dropped) all memory is node 0, as Linux's
 * dummy_numa_init makes it. Returns the number of nodes memory ended up
 * on (1 when dropped), -VMK_EINVAL for a node outside [0,
 * VMK_MAX_DOMAINS) or a range with end < base (memblock unchanged), or a
 * memblock error (-VMK_ENOMEM when its arrays cannot grow). Boot-only.
 */
int vmk_boot_numa_apply(struct vmk_memblock *mb, const struct vmk_numa_range *r, size_t n,
			uint32_t arch);

#endif /* VMKIT_BOOT_H */
