/*
 * vmkit boot: the state of one simulated boot, shared by the phases
 * (cmd_boot_phases.c), the report (cmd_boot_report.c), the picture
 * (cmd_boot_svg.c) and the microcode bundle builder (cmd_boot_ucode.c).
 */
#ifndef VMKIT_TOOL_CMD_BOOT_H
#define VMKIT_TOOL_CMD_BOOT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <vmkit/kexec.h>
#include <vmkit/kmap.h>
#include <vmkit/memblock.h>
#include <vmkit/preload.h>
#include <vmkit/resource.h>

#include "machine.h"
#include "machine_desc.h"

/* The phases, in boot order. */
enum boot_phase {
	PH_FWMAP,	/* parse and sanitize the firmware map */
	PH_MEMBLOCK,	/* memory, NUMA nodes, early reservations, kernel, preloads, crashkernel */
	PH_RESOURCES,	/* /proc/iomem */
	PH_HANDOVER,	/* memblock -> physical allocator */
	PH_PAGETABLES,	/* kernel pmap: direct map, image by section, preloads */
	PH_KMEM,	/* kernel VA arena and kmem */
	PH_PERCPU,	/* per-CPU areas */
	PH_MICROCODE,	/* scan the bundle, select, apply, release the preloads */
	PH_PRELOADS,	/* unload modules marked unload */
	PH_NPHASES
};

struct boot_phase_result {
	bool ran;		/* false: not available in this build (why says so) */
	double ns;
	const char *why;	/* when !ran */
	char note[160];		/* one line of what happened */
};

/* A snapshot of a memblock region (memblock is gone after the hand-over). */
struct boot_region {
	uint64_t base, size;
	uint32_t flags;
	int nid;
};

#define BOOT_MAX_REGIONS	4096
#define BOOT_MAX_VRANGES	64

/* A kernel VA range the boot mapped, for the mapping report. */
struct boot_vrange {
	uint64_t va, size;
	const char *what;
};

struct boot_preload {
	const struct md_module *mod;
	uint64_t pa, size;		/* physical placement (size: bytes of the file) */
	uint64_t va;			/* kernel VA (image window) */
	bool freed;			/* its memory went back to the allocator */
	uint64_t freed_bytes;
};

struct boot {
	const struct machine_desc *d;
	const char *name;
	struct machine mc;
	bool have_map;
	struct vmk_memblock mb;
	struct boot_phase_result ph[PH_NPHASES];
	/* Memblock snapshot before the hand-over. */
	struct boot_region mem[BOOT_MAX_REGIONS], resv[BOOT_MAX_REGIONS];
	size_t nmem, nresv;
	uint64_t ram;			/* memblock memory bytes (NOMAP included) */
	/* Placement. */
	uint64_t early_base, early_size;	/* x86: the first MiB */
	uint64_t kbase, ksize;		/* kernel image */
	uint64_t kva;			/* its virtual base */
	uint64_t sect_off[4], sect_size[4];	/* text, rodata, data, bss offsets in the image */
	struct boot_preload pre[MD_MAX_MODULES];
	size_t npre;
	uint64_t preload_end;		/* physical end of the preload area */
	struct vmk_crash_region crash;
	/* /proc/iomem */
	struct vmk_resource root;
	struct vmk_resource_pool pool;
	struct vmk_resource crash_res[2];
	struct vmk_resource *nodes;
	char *names;
	/* Page tables. */
	uint64_t dmap;			/* direct map base */
	struct vmk_kmap_direct_stats dstats;	/* what vmk_kmap_direct() mapped */
	struct boot_vrange vr[BOOT_MAX_VRANGES];
	size_t nvr;
	/* The loader's record list (NAME, TYPE, ADDR, SIZE per file). */
	struct vmk_preload pl;
	uint64_t pl_buf[1024];
	/* kmem. */
	bool kmem_ready;
	uint64_t kmem_start, kmem_end;
	/* Per-CPU areas and microcode, when the kmem layer provides them. */
	uint64_t percpu_bytes;
	uint64_t percpu_va[MD_MAX_CPUS];	/* each CPU's area (kmem VA), for the picture */
	uint32_t ucode_applied_rev;
	bool ucode_applied;
	uint64_t ucode_copy, ucode_copy_size;	/* the kept page-aligned copy (kmem) */
};

/* Run every phase; returns 0 or -1 after printing why. */
int boot_run(struct boot *b, const struct machine_desc *d, const char *dir, bool embedded,
	     bool eager);
/* Free what boot_run() allocated and reset the simulator. */
void boot_free(struct boot *b);

/* The kmem phases (cmd_boot_kmem.c): 0 or -1 after printing why. */
/*
 * A kernel VA range [va, va + size) about to be mapped as what must not
 * overlap a range the boot already mapped (the report counts every
 * mapped byte in one region). Returns 0, or -1 after printing which two
 * regions overlap, in phase.
 */
int boot_vrange_free(const struct boot *b, const char *phase, uint64_t va, uint64_t size, const char *what);
int boot_phase_kmem(struct boot *b);
int boot_phase_preloads(struct boot *b);
int boot_phase_percpu(struct boot *b);
int boot_phase_microcode(struct boot *b);
/* Build the loader's record list for the kernel and the preloaded files. */
int boot_preload_records(struct boot *b);
/* Forget kmem (before the allocator is reset). */
void boot_kmem_free(struct boot *b);

/* Phase name for reports ("fwmap", "memblock", ...). */
const char *boot_phase_name(enum boot_phase p);

/* Memory accounting: every byte of RAM in exactly one category. */
enum boot_cat {
	CAT_FREE,		/* buddy lists and per-CPU caches */
	CAT_FREE_NOFREE_POOL,	/* free inside the NOFREE pools */
	CAT_KERNEL,		/* the kernel image */
	CAT_PRELOAD,		/* preloaded files still kept */
	CAT_PAGE_ARRAY,		/* page records */
	CAT_PAGE_TABLES,	/* page-table pages */
	CAT_NOFREE,		/* permanent kernel allocations */
	CAT_PERCPU,		/* per-CPU areas */
	CAT_ALLOC,		/* other allocated pages (kmem, ...) */
	CAT_CRASH,		/* the crash kernel reservation */
	CAT_FW_RESERVED,	/* firmware-reserved RAM (bootloader, ACPI tables, ...) */
	CAT_EARLY,		/* early reservations (x86: the first MiB) */
	CAT_OTHER_RESERVED,	/* reserved and none of the above */
	CAT_NOMAP,		/* NOMAP memory (no page records) */
	CAT_BAD,		/* bad frames */
	CAT_UNMANAGED,		/* partial pages and driver-managed memory */
	CAT_N
};

struct boot_accounting {
	uint64_t bytes[CAT_N];
	uint64_t ram;		/* memblock memory: what the categories must add up to */
	uint64_t sum;		/* sum of the categories */
};

const char *boot_cat_name(enum boot_cat c);
/* Compute the accounting; returns 0, or -1 if a category would go negative. */
int boot_account(const struct boot *b, struct boot_accounting *a);

/* Reports. */
void boot_print_text(const struct boot *b, FILE *f);
void boot_print_json(const struct boot *b, FILE *f);
/* The picture of physical memory; returns 0 or -1. */
int boot_write_svg(const struct boot *b, const char *path);

/* Microcode bundle: bytes of the generated bundle, and writing it to buf. */
uint64_t boot_ucode_bundle_size(const struct machine_desc *d);
void boot_ucode_bundle_write(const struct machine_desc *d, unsigned char *buf);

#endif
