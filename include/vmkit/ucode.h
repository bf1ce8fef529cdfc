/*
 * ucode: early microcode loading from a bundle of Intel updates the loader
 * preloaded as one file of type cpu_microcode (seed 000's motivating case,
 * FreeBSD's x86/ucode.c).
 *
 * An update: a 48-byte header (header version 1, revision, date, processor
 * signature, checksum, loader revision, processor flags, data size (0:
 * 2000), total size (0: 2048, else a multiple of 16 and at least header +
 * data)), the data, and optionally an extended signature table (count,
 * checksum, then count entries of signature, flags, checksum). Every dword
 * of the update sums to 0, and so does every dword of the extended table.
 *
 * The bundle is read through the kernel page tables (it is at the
 * preload's ADDR, a kernel virtual address) and the direct map.
 */
#ifndef VMKIT_UCODE_H
#define VMKIT_UCODE_H

#include <vmkit/preload.h>

#define VMK_UCODE_HDR_SIZE	48u
#define VMK_UCODE_EXT_HDR_SIZE	20u
#define VMK_UCODE_EXT_SIG_SIZE	12u

/* The CPU to match: CPUID(1).EAX and 1 << (IA32_PLATFORM_ID[52:50]). */
struct vmk_ucode_cpu {
	uint32_t signature;
	uint32_t platform_mask;
};

/* The platform's microcode hooks. */
struct vmk_ucode_ops {
	/* The running revision (IA32_BIOS_SIGN_ID). */
	int32_t (*current_rev)(void *ctx);
	/*
	 * Load the update at kernel address va (len bytes, page aligned)
	 * through IA32_BIOS_UPDT_TRIG. Returns 0 if the CPU took it, or a
	 * negative VMK_E* (e.g. the CPU refuses an update that is not newer).
	 */
	int (*apply)(void *ctx, vmk_vaddr_t va, vmk_size_t len);
	void *ctx;
};

/* Where an update is in a bundle. */
struct vmk_ucode_match {
	vmk_size_t offset;	/* from the bundle's start */
	vmk_size_t size;	/* total size */
	int32_t revision;
};

/*
 * Check one update at va with resid bytes left in the bundle. Returns 0
 * with *total set, or -VMK_EPARSE with the reason in err.
 */
int vmk_ucode_verify(vmk_vaddr_t va, vmk_size_t resid, vmk_size_t *total, char *err, size_t errlen);

/*
 * Scan the bundle [va, va + len) for the update matching cpu (main or
 * extended signature, platform flags) with the highest revision above
 * min_rev. Stops at the first malformed update. Returns 0 with *best set,
 * -VMK_ENOENT if nothing matches, or -VMK_EPARSE (err says which update
 * at which offset and why; nothing is selected).
 */
int vmk_ucode_scan(vmk_vaddr_t va, vmk_size_t len, const struct vmk_ucode_cpu *cpu, int32_t min_rev,
		   struct vmk_ucode_match *best, char *err, size_t errlen);

struct vmk_ucode_result {
	bool applied;
	int32_t old_rev, new_rev;
	vmk_vaddr_t copy;		/* the kept page-aligned copy (kmem), 0 if none */
	vmk_size_t copy_size;
	unsigned int files_released;	/* cpu_microcode preloads deleted */
	uint64_t pages_released;	/* frames they gave back */
	char err[160];			/* why nothing was applied, if so */
};

/*
 * Early microcode load: scan every cpu_microcode preload, pick the best
 * update for cpu newer than the running revision, copy it to page-aligned
 * kmem memory, apply it through ops, and, if it was applied and release is
 * set, delete every cpu_microcode preload (freeing its memory). With no
 * match, a refused update or release unset, no preload is freed. Returns
 * 0 (applied), -VMK_ENOENT (nothing to apply), -VMK_EPARSE (a malformed
 * update: nothing applied), -VMK_EBUSY (the CPU refused it), -VMK_ENOMEM.
 * Boot time, on the boot CPU.
 */
int vmk_ucode_load(struct vmk_preload *pl, const struct vmk_ucode_cpu *cpu, const struct vmk_ucode_ops *ops,
		   bool release, struct vmk_ucode_result *res);

#endif /* VMKIT_UCODE_H */
