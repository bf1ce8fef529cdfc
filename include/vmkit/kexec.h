/*
 * kexec: where to put the next kernel.
 *
 * A kexec load is a list of segments (kernel, initrd, device tree, boot
 * parameters, command line, ELF core header) that are copied to their
 * final physical addresses only when the old kernel has stopped. Choosing
 * those addresses is this module's job. A plan holds:
 *
 *  - 'ram': the memory segments may use at all (System RAM; for a kdump
 *    load only the crash kernel region);
 *  - 'excluded': ranges inside it that must stay intact for the next
 *    kernel, each with a reason (reserved, no-map, ACPI tables, the UEFI
 *    memory map, the device tree, the command line, segments already
 *    placed, the crash kernel region for a normal load);
 *  - the placed segments.
 *
 * Holes are 'ram' minus every excluded range, trimmed to pages. A segment
 * goes into the first hole that fits in the chosen direction: top-down
 * takes the highest aligned address, bottom-up the lowest, always inside
 * the segment's [min, max) window. Everything lives in caller-provided
 * storage; nothing is allocated and the result is deterministic.
 *
 * Sources of truth: the live boot state (memblock and the resource tree,
 * as an in-kernel kexec_file_load sees it), a /proc/iomem text parsed
 * with the resource module (nested entries count), or a firmware map.
 * The architecture loaders (x86-64 bzImage, arm64 Image) turn an image
 * header into segment requests; crashkernel= is parsed and reserved here.
 *
 * None of these functions takes a lock: a plan belongs to one caller.
 */
#ifndef VMKIT_KEXEC_H
#define VMKIT_KEXEC_H

#include <vmkit/lib.h>
#include <vmkit/platform.h>

struct vmk_memblock;
struct vmk_resource;
struct vmk_fwmap;
struct vmk_crash_region;

/* Placement direction. DEFAULT means "the plan's global direction". */
enum vmk_kexec_dir {
	VMK_KEXEC_DIR_DEFAULT = 0,
	VMK_KEXEC_TOP_DOWN,
	VMK_KEXEC_BOTTOM_UP,
};

/* Why a range is kept clear. */
enum vmk_kexec_excl_kind {
	VMK_KEXEC_EXCL_RESERVED,	/* memblock reserved, iomem "reserved" */
	VMK_KEXEC_EXCL_NOMAP,		/* memblock NOMAP: not even in the direct map */
	VMK_KEXEC_EXCL_ACPI_TABLES,	/* ACPI tables (reclaimable, but the next kernel reads them) */
	VMK_KEXEC_EXCL_ACPI_NVS,	/* ACPI non-volatile storage */
	VMK_KEXEC_EXCL_UEFI_MMAP,	/* the UEFI memory map handed to the next kernel */
	VMK_KEXEC_EXCL_FIRMWARE,	/* UEFI runtime services and other firmware-owned RAM */
	VMK_KEXEC_EXCL_DTB,		/* the device tree the next kernel boots with */
	VMK_KEXEC_EXCL_CMDLINE,		/* a command line the next kernel reads in place */
	VMK_KEXEC_EXCL_CRASH_KERNEL,	/* the crash kernel region (normal loads keep out) */
	VMK_KEXEC_EXCL_KERNEL,		/* the running kernel, when policy keeps it */
	VMK_KEXEC_EXCL_SEGMENT,		/* a segment of this plan already placed */
	VMK_KEXEC_EXCL_OTHER,		/* anything else nested in RAM that we do not know */
	VMK_KEXEC_EXCL_NKINDS
};

/* Short name of an exclusion kind ("reserved", "no-map", ...). */
const char *vmk_kexec_excl_kind_name(unsigned int kind);

#define VMK_KEXEC_REASON_LEN	48
#define VMK_KEXEC_WHY_LEN	200
#define VMK_KEXEC_ERR_LEN	320

struct vmk_kexec_excl {
	vmk_paddr_t base;
	vmk_paddr_t end;		/* exclusive */
	uint32_t kind;			/* enum vmk_kexec_excl_kind */
	char reason[VMK_KEXEC_REASON_LEN];
};

/*
 * A segment request. The segment occupies [base, base + memsz) with
 * base % align == phase, min <= base, base + memsz <= max, and, if
 * boundary is set, the segment does not cross a multiple of boundary.
 * memsz is rounded up to a page; align is raised to at least a page.
 */
struct vmk_kexec_req {
	const char *name;		/* "kernel", "initrd", ... (kept by pointer) */
	vmk_size_t bufsz;		/* bytes of data copied in */
	vmk_size_t memsz;		/* bytes reserved (>= bufsz; the tail is zeroed) */
	vmk_size_t align;		/* power of two; 0 = page */
	vmk_paddr_t phase;		/* offset from an aligned address; page multiple < align */
	vmk_size_t boundary;		/* 0, or a power of two the segment must not cross */
	vmk_paddr_t min;		/* lowest base */
	vmk_paddr_t max;		/* highest end (exclusive); 0 = no limit */
	enum vmk_kexec_dir dir;
	const char *note;		/* the rule that set the window, for "why here" (may be NULL) */
};

struct vmk_kexec_seg {
	struct vmk_kexec_req req;	/* as requested */
	vmk_paddr_t base;		/* where it went */
	vmk_size_t memsz;		/* page-rounded memsz actually reserved */
	char why[VMK_KEXEC_WHY_LEN];	/* "top-down: highest fit below ..." */
};

struct vmk_kexec_plan {
	struct vmk_rangeset ram;	/* memory segments may use, before exclusions */
	struct vmk_rangeset blocked;	/* union of the excluded ranges (merged) */
	struct vmk_kexec_excl *excl;	/* excluded ranges, sorted by base, with reasons */
	size_t nexcl;
	size_t excl_cap;
	struct vmk_kexec_seg *seg;	/* placed segments, in placement order */
	size_t nseg;
	size_t seg_cap;
	enum vmk_kexec_dir dir;		/* global direction (TOP_DOWN or BOTTOM_UP) */
	char err[VMK_KEXEC_ERR_LEN];	/* what the last failing call found, "" if none */
	/* When a segment does not fit: the largest hole in its window and anywhere. */
	struct vmk_range fail_window_hole;
	struct vmk_range fail_any_hole;
};

/* Capacities of the convenience storage below. */
#ifndef VMK_KEXEC_MAX_RAM
#define VMK_KEXEC_MAX_RAM	256
#endif
#ifndef VMK_KEXEC_MAX_EXCL
#define VMK_KEXEC_MAX_EXCL	512
#endif
#ifndef VMK_KEXEC_MAX_SEGS
#define VMK_KEXEC_MAX_SEGS	16
#endif

/* Storage for one plan of the default capacities (about 45 KiB). */
struct vmk_kexec_store {
	struct vmk_range ram[VMK_KEXEC_MAX_RAM];
	struct vmk_range blocked[VMK_KEXEC_MAX_EXCL];
	struct vmk_kexec_excl excl[VMK_KEXEC_MAX_EXCL];
	struct vmk_kexec_seg seg[VMK_KEXEC_MAX_SEGS];
};

/* ---- the plan and its memory model (plan.c) ---- */

/*
 * Initialise p over caller storage: ram_cap RAM ranges, excl_cap excluded
 * ranges (blocked needs excl_cap ranges too), seg_cap segments. The plan
 * starts empty, top-down. May be called at any time.
 */
void vmk_kexec_plan_init(struct vmk_kexec_plan *p,
			 struct vmk_range *ram, size_t ram_cap,
			 struct vmk_range *blocked, struct vmk_kexec_excl *excl,
			 size_t excl_cap, struct vmk_kexec_seg *seg, size_t seg_cap);

/* vmk_kexec_plan_init() over a struct vmk_kexec_store. */
void vmk_kexec_plan_init_store(struct vmk_kexec_plan *p, struct vmk_kexec_store *st);

/* Set the global direction (VMK_KEXEC_TOP_DOWN or VMK_KEXEC_BOTTOM_UP). */
void vmk_kexec_set_dir(struct vmk_kexec_plan *p, enum vmk_kexec_dir dir);

/*
 * Add [base, end) to the RAM segments may use. Returns 0, -VMK_EINVAL if
 * end < base, or -VMK_ENOSPC if the RAM table is full (plan unchanged,
 * p->err says so).
 */
int vmk_kexec_add_ram(struct vmk_kexec_plan *p, vmk_paddr_t base, vmk_paddr_t end);

/*
 * Keep [base, end) clear, for the reason printed from fmt. An identical
 * range of the same kind is recorded once. Returns 0, -VMK_EINVAL for
 * end < base or a bad kind, or -VMK_ENOSPC if the table is full (plan
 * unchanged).
 */
int vmk_kexec_exclude(struct vmk_kexec_plan *p, vmk_paddr_t base, vmk_paddr_t end,
		      unsigned int kind, const char *fmt, ...) VMK_PRINTF(5, 6);

/*
 * Limit the RAM to its intersection with [base, end) (used to confine a
 * kdump load to the crash kernel region). Returns 0.
 */
int vmk_kexec_clip_ram(struct vmk_kexec_plan *p, vmk_paddr_t base, vmk_paddr_t end);

/*
 * Walk the free holes (RAM minus excluded, trimmed to whole pages) in
 * ascending order (descending if top_down). fn returns false to stop.
 */
void vmk_kexec_for_each_hole(const struct vmk_kexec_plan *p, bool top_down,
			     bool (*fn)(void *arg, vmk_paddr_t base, vmk_paddr_t end),
			     void *arg);

/* Bytes in all holes. */
uint64_t vmk_kexec_free_bytes(const struct vmk_kexec_plan *p);

/* ---- placement (place.c) ---- */

/*
 * Place one segment. On success records it (and excludes its range for
 * every later segment), stores its base in *base (may be NULL) and
 * returns 0. Returns -VMK_EINVAL for a malformed request (p->err names
 * the field), -VMK_ENOSPC if the segment or exclusion table is full,
 * -VMK_ENOMEM if no hole fits: p->err names the segment and the largest
 * hole in its window and anywhere (also in p->fail_*). On failure the
 * plan is unchanged.
 */
int vmk_kexec_place(struct vmk_kexec_plan *p, const struct vmk_kexec_req *req,
		    vmk_paddr_t *base);

/* The placed segment named name, or NULL. */
const struct vmk_kexec_seg *vmk_kexec_find_seg(const struct vmk_kexec_plan *p,
						const char *name);

/*
 * Check a plan's invariants: segments inside RAM, aligned, in their
 * windows, not over any excluded range of another kind and not over each
 * other. Returns 0 or -VMK_EINVAL with p->err naming the broken rule.
 * (Used by tests and after loading plans from elsewhere.)
 */
int vmk_kexec_verify(struct vmk_kexec_plan *p);

/* ---- rendering (render.c) ---- */

/* Print the placement table and the excluded ranges (human readable). */
void vmk_kexec_render(const struct vmk_kexec_plan *p, struct vmk_out *out);

/* Print the plan as JSON: {"ram":[..],"segments":[..],"excluded":[..]}. */
void vmk_kexec_render_json(const struct vmk_kexec_plan *p, struct vmk_out *out);

/* The same fields without the enclosing braces, to embed in a larger object. */
void vmk_kexec_render_json_fields(const struct vmk_kexec_plan *p, struct vmk_out *out);

/* ---- sources of truth ---- */

/* Load kinds: a normal kexec (reboot into a new kernel) or a kdump load. */
enum vmk_kexec_mode {
	VMK_KEXEC_NORMAL,
	VMK_KEXEC_CRASH,
};

/* Options for reading a /proc/iomem-style tree. */
enum {
	/*
	 * Keep the running kernel's "Kernel code/data/bss/rodata" clear too.
	 * Off by default: a normal kexec replaces the running kernel and the
	 * segments are copied only after it stopped, so its image is free
	 * for the next one (this is what lets a kexec'd kernel land where
	 * the first one ran).
	 */
	VMK_KEXEC_KEEP_RUNNING_KERNEL = 1u << 0,
};

/*
 * Live boot state (live.c), as an in-kernel kexec_file_load sees it on
 * arm64: RAM = memblock memory except DRIVER_MANAGED regions (as Linux's
 * memblock walk and locate_mem_hole_callback skip driver-managed memory;
 * driver-managed System RAM resources are excluded too); excluded =
 * memblock reserved ("memblock
 * reserved": the UEFI memory map, ACPI tables, the device tree and the
 * running kernel all are) and NOMAP memory ("no-map"). If root is not
 * NULL, resources with a descriptor (Crash kernel, ACPI Tables, ACPI NVS,
 * reserved) that overlap RAM are excluded too, under their own names, so
 * the list says why. For a kdump load use vmk_kexec_plan_crash() instead.
 * Returns 0 or -VMK_ENOSPC (p->err says which table).
 */
int vmk_kexec_plan_from_live(struct vmk_kexec_plan *p, const struct vmk_memblock *mb,
			     const struct vmk_resource *root);

/*
 * A /proc/iomem tree (iomem.c), as user space sees it, nested entries
 * honoured. RAM = "System RAM" roots (as vmk_resource_walk_usable_ram
 * defines them); inside them every descendant that is not itself RAM is
 * excluded with its name: "reserved", "ACPI Tables", "ACPI Non-volatile
 * Storage", "Crash kernel", anything unknown. Nested "Kernel code/data/
 * bss/rodata" are overwritable unless flags has
 * VMK_KEXEC_KEEP_RUNNING_KERNEL. Returns 0 or -VMK_ENOSPC.
 */
int vmk_kexec_plan_from_resources(struct vmk_kexec_plan *p, const struct vmk_resource *root,
				  unsigned int flags);

/*
 * Find the "Crash kernel" resources (descriptor CRASH_KERNEL, any depth)
 * under root: the highest is the main region (Linux crashk_res), the next
 * highest the low one (crashk_low_res). Returns 0 or -VMK_ENOENT if there
 * is none. Takes no lock.
 */
int vmk_kexec_find_crash_regions(const struct vmk_resource *root, struct vmk_crash_region *cr);

/*
 * A firmware map (fwmap.c), sanitized or not, as the memory a kernel that
 * booted on it could hand to kexec: RAM = usable, boot-services (free
 * after ExitBootServices) and bootloader ranges; kept clear: bootloader
 * ranges (the EFI stub allocates the UEFI memory map it passes on as
 * EfiLoaderData), and every other RAM-backed kind (ACPI tables and NVS,
 * runtime services, soft-reserved), reserved, unusable, persistent and
 * no-map ranges, each with its kind. MMIO is not listed. Returns 0 or
 * -VMK_ENOSPC.
 */
int vmk_kexec_plan_from_fwmap(struct vmk_kexec_plan *p, const struct vmk_fwmap *m);

/*
 * Describe the plan's memory model to memblock as a booting kernel would
 * (memory = RAM, reserved = every excluded range), so that crashkernel=
 * can be reserved on a machine read from a file. Returns 0 or memblock's
 * error.
 */
int vmk_kexec_plan_to_memblock(const struct vmk_kexec_plan *p, struct vmk_memblock *mb);

/*
 * A kdump load: RAM = the crash kernel regions given (the low region of a
 * ",high" reservation included), nothing excluded yet. Segments go in the
 * first region (the main one), as Linux loads kdump segments only into
 * crashk_res; the others become usable memory of the crash kernel.
 */
int vmk_kexec_plan_crash(struct vmk_kexec_plan *p, const struct vmk_range *regions, size_t n);

/* ---- architecture conventions (bzimage.c, arm64_image.c, riscv64_image.c, load.c) ---- */

enum vmk_kexec_arch {
	VMK_KEXEC_ARCH_X86_64,
	VMK_KEXEC_ARCH_ARM64,
	VMK_KEXEC_ARCH_RISCV64,
};

/* Fields of an x86 bzImage setup header (Documentation/arch/x86/boot.rst). */
struct vmk_bzimage_info {
	uint16_t version;		/* boot protocol, e.g. 0x020f */
	uint8_t setup_sects;		/* 512-byte sectors of real-mode setup (0 read as 4) */
	uint8_t loadflags;
	uint8_t relocatable;		/* relocatable_kernel */
	uint8_t min_alignment;		/* log2, protocol 2.10+ */
	uint16_t xloadflags;		/* protocol 2.12+ */
	uint32_t kernel_alignment;	/* protocol 2.05+ */
	uint32_t initrd_addr_max;	/* highest address of the initrd's last byte */
	uint32_t cmdline_size;		/* longest command line without its NUL */
	uint32_t init_size;		/* bytes the kernel needs from its load address */
	uint64_t pref_address;		/* preferred (non-relocatable: only) load address */
	uint64_t setup_size;		/* (setup_sects + 1) * 512 */
	uint64_t kernel_size;		/* the protected-mode kernel: file size - setup_size */
};

#define VMK_BZ_LOADED_HIGH		0x01	/* loadflags */
#define VMK_XLF_KERNEL_64		(1u << 0)
#define VMK_XLF_CAN_BE_LOADED_ABOVE_4G	(1u << 1)
#define VMK_XLF_EFI_HANDOVER_32		(1u << 2)
#define VMK_XLF_EFI_HANDOVER_64		(1u << 3)
#define VMK_XLF_EFI_KEXEC		(1u << 4)

/*
 * Parse the setup header of a bzImage of len bytes. Returns 0, or
 * -VMK_EPARSE with err (errlen bytes, may be NULL) naming the field that
 * is wrong: short file, missing "HdrS" at 0x202, protocol older than
 * 2.05 (no relocation fields), kernel_alignment not a power of two,
 * setup larger than the file.
 */
int vmk_bzimage_parse(const void *img, size_t len, struct vmk_bzimage_info *bi,
		      char *err, size_t errlen);

/* Fields of an arm64 Image header (Documentation/arch/arm64/booting.rst). */
struct vmk_arm64_image_info {
	uint64_t text_offset;		/* load offset from a 2 MiB aligned base */
	uint64_t image_size;		/* effective size, bss included */
	uint64_t flags;
	bool big_endian;		/* flags bit 0 */
	uint32_t page_size;		/* flags bits 1-2: 0 unknown, else 4K/16K/64K */
	bool place_anywhere;		/* flags bit 3: 0 = as low as possible in DRAM */
	bool legacy;			/* image_size was 0 (before Linux 3.17) */
	uint64_t file_size;
};

#define VMK_ARM64_IMAGE_MAGIC		0x644d5241u	/* "ARM\x64" little endian */
#define VMK_ARM64_KERNEL_ALIGN		(2 * VMK_MiB)
#define VMK_ARM64_MAX_FDT_SIZE		(2 * VMK_MiB)

/* Parse an arm64 Image header. Returns 0 or -VMK_EPARSE with err naming the field. */
int vmk_arm64_image_parse(const void *img, size_t len, struct vmk_arm64_image_info *ai,
			  char *err, size_t errlen);

/* Fields of a riscv64 Image header (Documentation/arch/riscv/boot-image-header.rst). */
struct vmk_riscv64_image_info {
	uint64_t text_offset;		/* load offset from the start of RAM; 0: relocatable */
	uint64_t image_size;		/* effective size, bss included */
	uint64_t flags;			/* bit 0: big-endian; the rest reserved */
	uint32_t version;		/* major << 16 | minor */
	bool big_endian;
	bool legacy_magic;		/* header before 0.2: only "RISCV" at 0x30 */
	uint64_t file_size;
};

#define VMK_RISCV64_IMAGE_MAGIC2	0x05435352u	/* "RSC\x05" little endian, at 0x38 */
/* The kernel maps itself with 2 MiB pages: its physical base must be 2 MiB aligned. */
#define VMK_RISCV64_KERNEL_ALIGN	(2 * VMK_MiB)
#define VMK_RISCV64_MAX_FDT_SIZE	(2 * VMK_MiB)
#define VMK_RISCV64_MAX_TEXT_OFFSET	VMK_GiB
#define VMK_RISCV64_MAX_PA		(1ull << 56)

/*
 * Parse a riscv64 Image header. Returns 0 or -VMK_EPARSE with err naming
 * the field: short file, no "RSC\x05" at 0x38 (a header older than 0.2 may
 * have only "RISCV" at 0x30), reserved or big-endian flags, image_size 0 or
 * beyond 56 bits, text_offset not 0 or a power of two from 4 KiB to 1 GiB.
 * Any context.
 */
int vmk_riscv64_image_parse(const void *img, size_t len, struct vmk_riscv64_image_info *ri,
			    char *err, size_t errlen);

/* What a loader is asked to load. Sizes only: no data is copied. */
struct vmk_kexec_load {
	enum vmk_kexec_arch arch;
	enum vmk_kexec_mode mode;
	const void *kernel;		/* image bytes (at least the header) or NULL */
	size_t kernel_len;		/* bytes at kernel */
	uint64_t kernel_size;		/* total image size (file size); 0 = kernel_len */
	uint64_t initrd_size;		/* 0 = none */
	uint64_t dtb_size;		/* 0 = none (required on arm64 and riscv64) */
	const char *cmdline;		/* may be NULL */
	uint32_t ncpus;			/* for the kdump ELF header; 0 = 1 */
	const struct vmk_range *dump;	/* kdump: ranges the ELF core header lists */
	size_t ndump;
};

/*
 * Turn an image into segments and place them in p, in boot order.
 * x86-64: "boot_params" (zero page), "cmdline", "kernel" (aligned to
 * kernel_alignment, memsz = init_size, at or above pref_address),
 * "initrd" (below initrd_addr_max unless XLF_CAN_BE_LOADED_ABOVE_4G),
 * optional "dtb" (setup_data). arm64: "kernel" (2 MiB aligned base +
 * text_offset, image_size bytes), "initrd" (in a 1 GiB aligned window of
 * at most 32 GiB covering the kernel), "dtb" (8-byte aligned, <= 2 MiB,
 * not crossing a 2 MiB boundary; the command line goes inside it).
 * riscv64 (Linux's kexec_file): "kernel" (as low as possible, base aligned
 * to 2 MiB and to text_offset, image_size bytes), then "initrd" and "dtb"
 * (page aligned, <= 2 MiB, holds bootargs) above the kernel's end. A
 * kdump load adds "elfcorehdr". Returns 0, -VMK_EPARSE for a bad header,
 * -VMK_EINVAL for an impossible request (command line too long, missing
 * dtb on arm64 or riscv64) or the placement error of the first segment that does not
 * fit; p->err says which.
 */
int vmk_kexec_load_image(struct vmk_kexec_plan *p, const struct vmk_kexec_load *ld);

/* ---- crashkernel= (crashkernel.c, crash_reserve.c) ---- */

/* Per-architecture rules of the crash kernel reservation. */
struct vmk_crash_arch {
	vmk_size_t align;		/* x86-64: 16 MiB; arm64: 2 MiB */
	vmk_size_t fixed_align;		/* size@offset: offset alignment (both: align, as Linux 6.7+) */
	vmk_paddr_t low_min;		/* lowest address an automatic reservation takes */
	vmk_paddr_t low_max;		/* end of "low" memory (4 GiB; arm64: DMA limit) */
	vmk_paddr_t high_max;		/* end of the high search (0 = end of RAM) */
	vmk_size_t default_low;		/* low part of a ",high" reservation by default */
};

/* The rules of arch (Linux defaults; arm64 and riscv64 low_max assume a 4 GiB DMA zone). */
void vmk_crash_arch_defaults(enum vmk_kexec_arch arch, struct vmk_crash_arch *ca);

/* Syntax a crashkernel= value was written in. */
enum vmk_crashkernel_form {
	VMK_CK_NONE,		/* no crashkernel= at all */
	VMK_CK_SIZE,		/* size */
	VMK_CK_SIZE_OFFSET,	/* size@offset */
	VMK_CK_RANGES,		/* start-[end]:size[,...][@offset] */
	VMK_CK_HIGH,		/* size,high */
	VMK_CK_LOW,		/* size,low */
};

struct vmk_crashkernel {
	enum vmk_crashkernel_form form;
	uint64_t size;		/* bytes to reserve (0: the range list matched nothing) */
	uint64_t offset;	/* requested base if fixed */
	bool fixed;		/* an @offset other than 0 was given (Linux: @0 = automatic) */
	bool high;		/* reserve from the top, above low_max allowed */
	uint64_t low_size;	/* low part for ,high (default or from ,low; 0 = none) */
	bool low_given;		/* low_size came from crashkernel=Y,low */
	/*
	 * Text Linux skips unread: malformed text after the matching range of
	 * a list, or anything after an offset, or the rest of a list that
	 * reserves nothing (offset into the value, length; 0 length: none).
	 */
	size_t ignored_pos;
	size_t ignored_len;
};

/*
 * Parse one crashkernel= value (without "crashkernel=") of len bytes, as
 * Linux's parse_crashkernel() reads it. system_ram picks the entry of a
 * range list (rounded up to 128 MiB first, as Linux does) and bounds the
 * size (0 = unknown: no bound, and a range list matches nothing); every
 * entry up to the match must be smaller than the rounded RAM size. The
 * entries need not be sorted: the first one containing the RAM size wins,
 * and what follows it (up to an '@offset') is skipped, as is anything
 * after the offset (see ck->ignored_*). A size of 0 (the number 0, or a
 * list matching nothing) means no reservation; its offset is not checked.
 * Numbers are read like memparse() (0x hex, leading 0 octal) with
 * K/M/G/T/P/E suffixes. Returns 0 or -VMK_EPARSE / -VMK_EINVAL /
 * -VMK_ERANGE with err naming the problem and its column: empty value,
 * missing size, bad suffix, a malformed entry before the match, start >=
 * end, size >= RAM, offset not aligned to ca->fixed_align, overflow of
 * offset + size. Any context.
 */
int vmk_crashkernel_parse(const char *val, size_t len, uint64_t system_ram,
			  const struct vmk_crash_arch *ca, struct vmk_crashkernel *ck,
			  char *err, size_t errlen);

/*
 * Parse a whole command line as Linux does: the last plain crashkernel=
 * wins; without one, the last ",high" is used with the last ",low" (or
 * ca->default_low if none; "0,low" means no low part; after "0,high",
 * which reserves nothing, ",low" is not read); a ",low" alone is
 * ignored, and so is ",cma" (Linux 6.16+: it never replaces the plain
 * value). form is VMK_CK_NONE when nothing applies. Same returns.
 */
int vmk_crashkernel_parse_cmdline(const char *cmdline, uint64_t system_ram,
				  const struct vmk_crash_arch *ca, struct vmk_crashkernel *ck,
				  char *err, size_t errlen);

/* The crash kernel reservation made at boot. */
struct vmk_crash_region {
	struct vmk_range main;	/* crashk_res: where kdump segments go */
	struct vmk_range low;	/* crashk_low_res (empty if none) */
};

/*
 * Reserve the crash kernel in memblock at boot (before the hand-over).
 * Fixed (@offset): the range must be memory, free and not NOMAP.
 * Otherwise: ,high searches [low_max, high_max) first then falls back
 * below low_max; the plain form searches [low_min, low_max) first and
 * falls back above it, adding the default low part. Alignment is
 * ca->align; the memblock direction decides top or bottom. A low part is
 * reserved below low_max only when the main part ended up above it.
 * Returns 0 (cr->main empty when ck->size is 0), -VMK_ENOMEM (nothing
 * reserved, err says what did not fit), or -VMK_EEXIST/-VMK_EINVAL for
 * a fixed range that is reserved or not RAM. On failure memblock is
 * unchanged.
 */
int vmk_crashkernel_reserve(struct vmk_memblock *mb, const struct vmk_crashkernel *ck,
			    const struct vmk_crash_arch *ca, struct vmk_crash_region *cr,
			    char *err, size_t errlen);

/*
 * Show the reservation in the resource tree: link caller-owned nodes
 * (main, and low if cr->low is not empty; like Linux's static crashk_res)
 * as "Crash kernel", System RAM | BUSY, descriptor CRASH_KERNEL, at the
 * deepest place they fit (under their System RAM). Returns 0 or the
 * insert error (-VMK_EEXIST if a range straddles existing resources); on
 * error nothing is linked.
 */
int vmk_crashkernel_insert_resources(struct vmk_resource *root, const struct vmk_crash_region *cr,
				     struct vmk_resource *main, struct vmk_resource *low);

/*
 * The ranges a kdump must dump: ram minus the crash kernel regions minus
 * nomap (neither is the crashed kernel's memory). Reserved memory stays:
 * the crashed kernel's data lives there. Stores up to cap ranges in out,
 * the count in *n; returns 0 or -VMK_ENOSPC.
 */
int vmk_kdump_ranges(const struct vmk_rangeset *ram, const struct vmk_rangeset *nomap,
		     const struct vmk_crash_region *cr, struct vmk_range *out, size_t cap,
		     size_t *n);

/* Bytes of an ELF64 core header with nranges PT_LOADs and ncpus PT_NOTEs. */
uint64_t vmk_kdump_elfcorehdr_size(size_t nranges, uint32_t ncpus);

#endif /* VMKIT_KEXEC_H */
