/*
 * fwmap: firmware memory maps, parsed into normalized entries and sanitized.
 *
 * Every firmware format (x86 E820 table or its Linux dmesg text, the UEFI
 * memory map or Linux's "efi: mem.." text, a device tree via the hosted
 * adapter sim/fwmap_fdt.h) becomes an array of struct vmk_fwmap_entry:
 * [base, base + size), a normalized kind, and the raw firmware type and
 * attribute bits kept for whoever needs them. vmk_fwmap_sanitize() then
 * turns whatever the firmware said into a sorted, non-overlapping,
 * page-aligned map in which every byte has the most restrictive kind any
 * input entry gave it.
 *
 * No function allocates: entries and diagnostics live in caller-provided
 * arrays. Parsers append to the map; on any error they leave the map as
 * they found it and return a negative VMK_E* code, with the reasons (line
 * or entry number, message) in the optional diagnostics sink.
 *
 * None of these functions takes a lock; a map is owned by one caller.
 */
#ifndef VMKIT_FWMAP_H
#define VMKIT_FWMAP_H

#include <vmkit/lib.h>

/* ------------------------------------------------------------------ */
/* Normalized kinds                                                    */
/* ------------------------------------------------------------------ */

/*
 * What the OS may do with a range. The numeric values are stable (they
 * index tables and appear in saved maps); the names from
 * vmk_mem_kind_name() are the stable identifiers used in JSON output.
 */
enum vmk_mem_kind {
	VMK_MEM_NONE = 0,		/* "none": not a kind; no entry covers it */
	VMK_MEM_USABLE,			/* "usable": free RAM */
	VMK_MEM_RESERVED,		/* "reserved": firmware/device reserved */
	VMK_MEM_ACPI_RECLAIM,		/* "acpi-reclaim": ACPI tables; RAM once parsed */
	VMK_MEM_ACPI_NVS,		/* "acpi-nvs": ACPI non-volatile storage, keep forever */
	VMK_MEM_UNUSABLE,		/* "unusable": errors detected (bad RAM), or disabled */
	VMK_MEM_PERSISTENT,		/* "persistent": pmem (E820 7 and legacy 12, EFI 14) */
	VMK_MEM_SOFT_RESERVED,		/* "soft-reserved": EFI_MEMORY_SP, for drivers only */
	VMK_MEM_BOOTLOADER,		/* "bootloader": EFI Loader*; RAM once the kernel consumed it */
	VMK_MEM_BOOT_SERVICES,		/* "boot-services": EFI BootServices*; RAM after ExitBootServices */
	VMK_MEM_RUNTIME_CODE,		/* "runtime-code": EFI runtime services code */
	VMK_MEM_RUNTIME_DATA,		/* "runtime-data": EFI runtime services data */
	VMK_MEM_MMIO,			/* "mmio": memory-mapped I/O */
	VMK_MEM_MMIO_PORT,		/* "mmio-port": memory-mapped I/O port space */
	VMK_MEM_PAL_CODE,		/* "pal-code": Itanium PAL code, firmware-owned */
	VMK_MEM_UNACCEPTED,		/* "unaccepted": TDX/SEV-SNP RAM to accept before use */
	VMK_MEM_NOMAP,			/* "nomap": device-tree no-map reserved-memory */
	VMK_MEM_NKINDS
};

/*
 * Stable lowercase identifier of a kind ("usable", "acpi-nvs", ...);
 * "invalid" for a value out of range. Callable any time.
 */
const char *vmk_mem_kind_name(uint32_t kind);

/*
 * The kind whose vmk_mem_kind_name() equals s (case-insensitive), or
 * VMK_MEM_NONE if there is none. Callable any time.
 */
uint32_t vmk_mem_kind_from_name(struct vmk_str s);

/*
 * Overlap priority of a kind: when entries overlap, the byte goes to the
 * kind with the higher priority (the more restrictive one). Every kind has
 * a distinct priority, from usable (lowest) up to unusable (highest); see
 * docs/fwmap.md for the whole order. VMK_MEM_NONE and out-of-range values
 * have priority 0. Callable any time.
 */
unsigned int vmk_mem_kind_priority(uint32_t kind);

/*
 * True if the OS may use memory of this kind as ordinary RAM once it has
 * called ExitBootServices (usable, bootloader after the kernel consumed
 * what the loader left, boot-services). Unaccepted memory is not: it must
 * be accepted first. Callable any time.
 */
bool vmk_mem_kind_usable_after_ebs(uint32_t kind);

/*
 * True for the "usable class": kinds that are (or may become) allocatable
 * RAM and are therefore trimmed inward to page boundaries by sanitize
 * (usable, bootloader, boot-services, unaccepted). Every other kind is
 * "reserved class" and is widened outward. Callable any time.
 */
bool vmk_mem_kind_usable_class(uint32_t kind);

/*
 * True if the range is backed by RAM the OS owns in some form (usable
 * class plus ACPI reclaim/NVS, runtime code/data, soft-reserved): what a
 * kernel would call "System RAM" at some point of its life. Reserved,
 * unusable, persistent, MMIO, PAL and no-map are not. Callable any time.
 */
bool vmk_mem_kind_is_ram(uint32_t kind);

/* ------------------------------------------------------------------ */
/* Entries and maps                                                    */
/* ------------------------------------------------------------------ */

/* Entry flags (normalized; the raw bits stay in attr). */
enum {
	VMK_FWMAP_F_NOMAP = 1u << 0,	/* must not be mapped (DT no-map, EFI runtime on arm64) */
	VMK_FWMAP_F_REUSABLE = 1u << 1,	/* DT reusable: the OS may use it until a driver claims it */
	VMK_FWMAP_F_RUNTIME = 1u << 2,	/* EFI_MEMORY_RUNTIME: mapped for runtime services */
	VMK_FWMAP_F_MIRROR = 1u << 3,	/* EFI_MEMORY_MORE_RELIABLE (address-range mirroring) */
	VMK_FWMAP_F_MEMRESERVE = 1u << 4, /* from a DT /memreserve/ block entry */
	VMK_FWMAP_F_SP = 1u << 5,	/* EFI_MEMORY_SP: specific-purpose memory */
	VMK_FWMAP_F_NV = 1u << 6,	/* EFI_MEMORY_NV: non-volatile */
	VMK_FWMAP_F_RO = 1u << 7,	/* EFI_MEMORY_RO: read-only */
	VMK_FWMAP_F_XP = 1u << 8,	/* EFI_MEMORY_XP: not executable */
	VMK_FWMAP_F_IN_RAM = 1u << 9,	/* carved out of RAM (a /proc/iomem entry nested in System RAM) */
};

/*
 * One range. size is never 0 in a parsed map and base + size never wraps
 * past 2^64 (the last byte is base + size - 1 <= UINT64_MAX).
 */
struct vmk_fwmap_entry {
	vmk_paddr_t base;
	vmk_size_t size;
	uint32_t kind;		/* enum vmk_mem_kind */
	uint32_t fw_type;	/* raw type: E820 type, EFI_MEMORY_TYPE, 0 for DT/manual */
	uint64_t attr;		/* raw attribute bits: EFI_MEMORY_*, E820 extended attributes */
	uint32_t flags;		/* VMK_FWMAP_F_* */
	uint32_t src;		/* 1-based input line or entry number; 0 if added by code */
};

/* Which firmware format the raw fw_type/attr of a map's entries come from. */
enum vmk_fwmap_format {
	VMK_FWMAP_FMT_NONE = 0,	/* entries added by code */
	VMK_FWMAP_FMT_E820,	/* fw_type is an E820 type, attr the ACPI 3.0 extended attributes */
	VMK_FWMAP_FMT_EFI,	/* fw_type is an EFI_MEMORY_TYPE, attr EFI_MEMORY_* bits */
	VMK_FWMAP_FMT_FDT,	/* device tree: fw_type 0 */
};

/* A map in caller-provided storage: entries e[0 .. n) of e[0 .. cap). */
struct vmk_fwmap {
	struct vmk_fwmap_entry *e;
	size_t n;
	size_t cap;
	uint32_t format;	/* enum vmk_fwmap_format, set by the first parser used */
	uint32_t efi_desc_version;	/* descriptor version of a binary UEFI map, else 0 */
	uint32_t src_where;	/* enum vmk_fwmap_where: what entries' src numbers count */
};

/* Initialise an empty map over storage[0 .. cap). Callable any time. */
void vmk_fwmap_init(struct vmk_fwmap *m, struct vmk_fwmap_entry *storage, size_t cap);

/* Remove every entry (storage and format are kept). */
void vmk_fwmap_clear(struct vmk_fwmap *m);

/*
 * Append [base, base + size) of 'kind' with flags, raw fw_type 0 and
 * attr 0, src 0. Returns 0; -VMK_EINVAL if kind is not a valid kind or
 * size is 0; -VMK_EOVERFLOW if base + size wraps past 2^64 (an entry may
 * end exactly at 2^64); -VMK_ENOSPC if the map is full (unchanged).
 */
int vmk_fwmap_add(struct vmk_fwmap *m, vmk_paddr_t base, vmk_size_t size,
		  uint32_t kind, uint32_t flags);

/*
 * Append a fully described entry (its fields copied as given). Same
 * returns as vmk_fwmap_add().
 */
int vmk_fwmap_add_entry(struct vmk_fwmap *m, const struct vmk_fwmap_entry *ent);

/* Per-kind totals over a map. */
struct vmk_fwmap_totals {
	vmk_size_t bytes[VMK_MEM_NKINDS];	/* indexed by kind */
	size_t count[VMK_MEM_NKINDS];		/* entries of each kind */
	vmk_size_t nomap_bytes;			/* kind NOMAP or flag NOMAP */
	vmk_size_t total_bytes;			/* all entries */
	bool saturated;				/* a sum overflowed and was clamped to UINT64_MAX */
};

/*
 * Sum sizes by kind. On an unsanitized map overlapping bytes count once
 * per entry; sanitize first for byte-exact figures. Callable any time.
 */
void vmk_fwmap_totals(const struct vmk_fwmap *m, struct vmk_fwmap_totals *t);

/* Bytes of one kind in the map (same caveat as vmk_fwmap_totals). */
vmk_size_t vmk_fwmap_bytes(const struct vmk_fwmap *m, uint32_t kind);

/* ------------------------------------------------------------------ */
/* Diagnostics                                                         */
/* ------------------------------------------------------------------ */

enum vmk_fwmap_sev {
	VMK_FWMAP_INFO = 0,	/* what sanitize did (merged, split) */
	VMK_FWMAP_WARN = 1,	/* accepted but suspicious, or changed */
	VMK_FWMAP_ERR = 2,	/* the input is malformed; the parser failed */
};

/* Where a message points. */
enum vmk_fwmap_where {
	VMK_FWMAP_AT_NONE = 0,
	VMK_FWMAP_AT_LINE,	/* 1-based line of a text input */
	VMK_FWMAP_AT_ENTRY,	/* 1-based entry (descriptor) of a binary table */
	VMK_FWMAP_AT_OFFSET,	/* byte offset into a binary blob */
};

#define VMK_FWMAP_MSG_LEN	120

struct vmk_fwmap_msg {
	uint8_t sev;		/* enum vmk_fwmap_sev */
	uint8_t where;		/* enum vmk_fwmap_where */
	uint32_t at;		/* line, entry or offset number */
	char text[VMK_FWMAP_MSG_LEN];	/* NUL-terminated, truncated if longer */
};

/*
 * A diagnostics sink over caller-provided msg[0 .. cap). Messages that do
 * not fit are counted in 'lost' (the counters still count them).
 */
struct vmk_fwmap_diag {
	struct vmk_fwmap_msg *msg;
	size_t n;
	size_t cap;
	size_t errors;		/* every ERR reported, stored or not */
	size_t warnings;	/* every WARN reported, stored or not */
	size_t infos;		/* every INFO reported, stored or not */
	size_t lost;		/* messages not stored for lack of room */
};

/* Initialise an empty sink over storage[0 .. cap) (cap may be 0). */
void vmk_fwmap_diag_init(struct vmk_fwmap_diag *d, struct vmk_fwmap_msg *storage, size_t cap);

/*
 * Record a message. d may be NULL (then nothing happens). Used by the
 * parsers; public so that adapters (sim/fwmap_fdt.c) and callers can add
 * their own.
 */
void vmk_fwmap_diag_add(struct vmk_fwmap_diag *d, enum vmk_fwmap_sev sev,
			enum vmk_fwmap_where where, uint32_t at, const char *fmt, ...)
	VMK_PRINTF(5, 6);

/*
 * Print the messages with severity >= min_sev, one a line:
 * "<name>: line 12: error: <text>" (name may be NULL), then a line saying
 * how many were lost if any. Callable any time.
 */
void vmk_fwmap_diag_print(const struct vmk_fwmap_diag *d, struct vmk_out *out,
			  const char *name, enum vmk_fwmap_sev min_sev);

/* ------------------------------------------------------------------ */
/* x86 E820                                                            */
/* ------------------------------------------------------------------ */

/* E820 types (ACPI "Address Range Types", plus Linux's type 12). */
enum {
	VMK_E820_RAM = 1,
	VMK_E820_RESERVED = 2,
	VMK_E820_ACPI = 3,
	VMK_E820_NVS = 4,
	VMK_E820_UNUSABLE = 5,
	VMK_E820_DISABLED = 6,
	VMK_E820_PMEM = 7,
	VMK_E820_PRAM = 12,			/* legacy NVDIMM before ACPI 6 */
};
/* Beyond INT_MAX, which an ISO C11 enumeration constant cannot be. */
#define VMK_E820_SOFT_RESERVED	0xefffffffu	/* Linux-internal: EFI_MEMORY_SP */

/* ACPI 3.0 extended attributes (the 24-byte entry's last dword). */
#define VMK_E820_XATTR_ENABLED		0x1u	/* clear: the OS must ignore the entry */
#define VMK_E820_XATTR_NONVOLATILE	0x2u

/* Normalized kind of an E820 type (unknown and OEM types: reserved). */
uint32_t vmk_e820_kind(uint32_t type);

/*
 * Parse a binary E820 table: len bytes of entries of entry_size bytes
 * (20: base, length, type; 24: plus the ACPI 3.0 extended attributes),
 * little-endian, as INT 15h AX=E820h returns them or Linux's boot_params
 * e820_table holds them. entry_size 0 means "decide": see
 * vmk_fwmap_e820_guess_entry_size(); when both sizes divide len the choice
 * is reported as a warning, and when the evidence does not decide the
 * parse fails with -VMK_EINVAL and an error asking for the size (use an
 * explicit size when you know it).
 * Entries with extended attribute bit 0 clear are skipped with a warning
 * (ACPI: "the OS shall ignore"); zero-length entries are skipped with a
 * warning; entries whose end wraps past 2^64 are errors. Appends to m.
 * Returns 0; -VMK_EINVAL for a bad entry_size or len not a multiple of
 * it; -VMK_EPARSE if an entry is bad; -VMK_ENOSPC if m is full. On error
 * m is unchanged.
 */
int vmk_fwmap_parse_e820(struct vmk_fwmap *m, const void *buf, size_t len,
			 size_t entry_size, struct vmk_fwmap_diag *diag);

/*
 * Decide the entry size of a binary E820 table of len bytes from evidence:
 * a size that does not divide len is out; when both do, the size under
 * which every entry reads as one a BIOS writes (defined type, non-zero
 * length, no wrap; for 24 bytes, extended attributes with only bits 0-1
 * set) wins if the other size fails that. Returns 0 and
 * *entry_size; -VMK_EPARSE if neither size divides len; -VMK_EEXIST if
 * the evidence does not decide (*entry_size is then the size with more
 * valid entries). An empty table is 20. Callable any time.
 */
int vmk_fwmap_e820_guess_entry_size(const void *buf, size_t len, size_t *entry_size);

/*
 * Parse Linux's E820 dmesg text (every form since 2.6: "BIOS-e820:
 * [mem a-b] type", the old "BIOS-e820: a - b (type)", 6.x "System RAM" /
 * "device reserved" with "[gap ...]" lines, with or without "[ time]" or
 * journalctl prefixes) and apply the "e820: update/remove" edit lines in
 * order. Other lines are skipped. A line that names itself a map line
 * but is malformed is an error naming its line. If the text holds more
 * than one "BIOS-e820" block (several boots), the last one wins, with a
 * warning. Appends to m. Returns 0; -VMK_ENOENT if no E820 line was found;
 * -VMK_EPARSE on malformed lines; -VMK_ENOSPC if m is full. On error m is
 * unchanged.
 */
int vmk_fwmap_parse_e820_text(struct vmk_fwmap *m, const char *text, size_t len,
			      struct vmk_fwmap_diag *diag);

/* Name Linux prints for an E820 type ("usable", "ACPI data", "type 9"...). */
const char *vmk_e820_type_name(uint32_t type, char *buf, size_t size);

/* ------------------------------------------------------------------ */
/* UEFI memory map                                                     */
/* ------------------------------------------------------------------ */

/* EFI_MEMORY_TYPE */
enum {
	VMK_EFI_RESERVED = 0,
	VMK_EFI_LOADER_CODE = 1,
	VMK_EFI_LOADER_DATA = 2,
	VMK_EFI_BOOT_SERVICES_CODE = 3,
	VMK_EFI_BOOT_SERVICES_DATA = 4,
	VMK_EFI_RUNTIME_SERVICES_CODE = 5,
	VMK_EFI_RUNTIME_SERVICES_DATA = 6,
	VMK_EFI_CONVENTIONAL = 7,
	VMK_EFI_UNUSABLE = 8,
	VMK_EFI_ACPI_RECLAIM = 9,
	VMK_EFI_ACPI_NVS = 10,
	VMK_EFI_MMIO = 11,
	VMK_EFI_MMIO_PORT = 12,
	VMK_EFI_PAL_CODE = 13,
	VMK_EFI_PERSISTENT = 14,
	VMK_EFI_UNACCEPTED = 15,
	VMK_EFI_MAX_TYPE = 16,			/* first undefined standard type */
	VMK_EFI_OEM_FIRST = 0x70000000u,	/* 0x70000000..0x7fffffff: OEM */
};
/* Beyond INT_MAX, which an ISO C11 enumeration constant cannot be. */
#define VMK_EFI_OS_FIRST	0x80000000u	/* 0x80000000..0xffffffff: OS loaders */

/* EFI_MEMORY_* attribute bits */
#define VMK_EFI_MEMORY_UC		((uint64_t)1 << 0)
#define VMK_EFI_MEMORY_WC		((uint64_t)1 << 1)
#define VMK_EFI_MEMORY_WT		((uint64_t)1 << 2)
#define VMK_EFI_MEMORY_WB		((uint64_t)1 << 3)
#define VMK_EFI_MEMORY_UCE		((uint64_t)1 << 4)
#define VMK_EFI_MEMORY_WP		((uint64_t)1 << 12)
#define VMK_EFI_MEMORY_RP		((uint64_t)1 << 13)
#define VMK_EFI_MEMORY_XP		((uint64_t)1 << 14)
#define VMK_EFI_MEMORY_NV		((uint64_t)1 << 15)
#define VMK_EFI_MEMORY_MORE_RELIABLE	((uint64_t)1 << 16)
#define VMK_EFI_MEMORY_RO		((uint64_t)1 << 17)
#define VMK_EFI_MEMORY_SP		((uint64_t)1 << 18)
#define VMK_EFI_MEMORY_CPU_CRYPTO	((uint64_t)1 << 19)
#define VMK_EFI_MEMORY_HOT_PLUGGABLE	((uint64_t)1 << 20)
#define VMK_EFI_MEMORY_ISA_VALID	((uint64_t)1 << 62)
#define VMK_EFI_MEMORY_RUNTIME		((uint64_t)1 << 63)
#define VMK_EFI_MEMORY_ISA_MASK		((uint64_t)0xffff << 44)

#define VMK_EFI_PAGE_SHIFT	12
#define VMK_EFI_DESC_MIN_SIZE	40	/* sizeof(EFI_MEMORY_DESCRIPTOR) */
#define VMK_EFI_DESC_VERSION	1

/*
 * Normalized kind of an EFI memory type with its attributes:
 * Conventional -> usable (soft-reserved if EFI_MEMORY_SP), Loader* ->
 * bootloader, BootServices* -> boot-services, Runtime* -> runtime
 * code/data, ACPI reclaim/NVS, Unusable, MMIO, MMIO port, PAL code,
 * Persistent, Unaccepted; Reserved, OEM and OS types and undefined
 * types -> reserved. Callable any time.
 */
uint32_t vmk_efi_kind(uint32_t type, uint64_t attr);

/* UEFI name of a type ("EfiConventionalMemory"; "EfiOemType"; "EfiOsType"; "EfiUndefined"). */
const char *vmk_efi_type_name(uint32_t type);

/* Linux's 19-column name of a type ("Conventional Memory"), or NULL. */
const char *vmk_efi_type_linux_name(uint32_t type);

/*
 * Render attribute bits as "UC|WC|WT|WB|RUNTIME" into buf (known names,
 * then "ISA=0x..", then "0x.." for unknown bits); "" for 0. Returns buf.
 */
const char *vmk_efi_attr_string(uint64_t attr, char *buf, size_t size);

/*
 * Parse a binary UEFI memory map: len bytes of descriptors stepped by
 * desc_size (as GetMemoryMap returned it: >= 40 and a multiple of 8) with
 * descriptor version desc_version (1 is the only defined one; others get
 * a warning and are parsed as version 1 prefixes). Descriptors with 0
 * pages are skipped with a warning; a range that wraps past 2^64 or whose
 * page count overflows is an error naming the descriptor. Trailing bytes
 * shorter than a descriptor are an error. Appends to m and sets
 * m->efi_desc_version. Returns 0; -VMK_EINVAL for a bad desc_size;
 * -VMK_EPARSE on a bad descriptor; -VMK_ENOSPC if m is full. On error m is
 * unchanged.
 */
int vmk_fwmap_parse_efi(struct vmk_fwmap *m, const void *buf, size_t len,
			size_t desc_size, uint32_t desc_version,
			struct vmk_fwmap_diag *diag);

/*
 * Guess the descriptor size of a headerless descriptor array (such as the
 * .efimap files) among the multiples of 8 from 40 to 256: a size fits if
 * it divides len and every descriptor is plausible under it (page-aligned
 * start, non-zero page count that does not overflow, known type or OEM/OS
 * type, no undefined attribute bits, zero reserved dword). Sizes whose
 * padding past the 40 defined bytes is all zero are preferred; a size
 * that is a multiple of a fitting smaller one is dropped (it would skip
 * the descriptors in between). Returns 0 and *desc_size when exactly one
 * size remains; -VMK_EEXIST when several do (*desc_size is the smallest;
 * ambiguous, ask for the size); -VMK_EPARSE if none fits. Callable any
 * time.
 */
int vmk_fwmap_efi_guess_desc_size(const void *buf, size_t len, size_t *desc_size);

/*
 * vmk_fwmap_parse_efi() of a headerless descriptor array whose size is
 * guessed with vmk_fwmap_efi_guess_desc_size(): the guess is reported as a
 * warning naming the size and the descriptor count, so no descriptor is
 * ever swallowed silently. Returns as vmk_fwmap_parse_efi(), or
 * -VMK_EPARSE (no size fits) / -VMK_EEXIST (several sizes fit: the error
 * lists them) with m unchanged.
 */
int vmk_fwmap_parse_efi_guess(struct vmk_fwmap *m, const void *buf, size_t len,
			      struct vmk_fwmap_diag *diag);

/*
 * Parse Linux's "efi: mem.." dmesg lines: the 3.x form "efi: mem15:
 * type=10, attr=0xf, range=[a-b) (0MB)" and the 4.x+ form "efi: mem19:
 * [Boot Data          |RUN|  |  |...|WB|WT|WC|UC] range=[a-b) (0MB)"
 * (ranges are half-open). Other lines are skipped; a malformed mem line is
 * an error naming its line. Appends to m. Returns 0; -VMK_ENOENT if no
 * mem line was found; -VMK_EPARSE on malformed lines; -VMK_ENOSPC if m is
 * full. On error m is unchanged.
 */
int vmk_fwmap_parse_efi_text(struct vmk_fwmap *m, const char *text, size_t len,
			     struct vmk_fwmap_diag *diag);

/*
 * Parse Linux's memblock debugfs lists (/sys/kernel/debug/memblock/memory
 * and .../reserved): "   0: 0x0000000040000000..0x000000007c43ffff" and
 * the 6.4+ form with a node ("0" or "x") and a flag name ("NONE",
 * "NOMAP", "MIRROR", "DRV_MNG", ...). One text may hold both lists, memory
 * first, switched by a header line naming "reserved"/"memory" (as
 * `head` of both files prints them) or by "...memblock/
 * reserved:" prefixes (as grep prints them); without a header the lines
 * are memory. Memory regions become usable entries (NOMAP ones kind nomap,
 * MIRROR ones VMK_FWMAP_F_MIRROR; DRV_MNG ones are skipped with a note);
 * the parts of reserved regions inside memory become reserved entries with
 * VMK_FWMAP_F_IN_RAM (RAM in use); parts outside memory describe no memory
 * and are left out (with a note). src is the
 * line in the text. Appends to m. Returns 0; -VMK_ENOENT if there is no
 * memory region; -VMK_EPARSE for a malformed region line, an unsorted or
 * overlapping list, or memory after reserved; -VMK_ENOSPC if m is full.
 * On error m is unchanged. Callable any time.
 */
int vmk_fwmap_parse_memblock_debugfs(struct vmk_fwmap *m, const char *text, size_t len,
				     struct vmk_fwmap_diag *diag);

/*
 * Parse the memory regions of the last memblock=debug dump with memory in
 * a kernel log ("MEMBLOCK configuration:", then " memory[0xN]\t[0xA-0xB],
 * 0xS bytes [on node N ]flags: 0xF"): the record of memory a device-tree
 * boot leaves in its log. Regions become usable entries (NOMAP ones kind
 * nomap, MIRROR ones VMK_FWMAP_F_MIRROR, DRIVER_MANAGED ones skipped with
 * a note); reserved regions are not read (they mix firmware reservations
 * with the kernel's allocations). src is the line. Appends to m. Returns
 * 0; -VMK_ENOENT if no dump has a memory region; -VMK_EPARSE for a
 * malformed memory line; -VMK_ENOSPC if m is full. On error m is
 * unchanged. Callable any time.
 */
int vmk_fwmap_parse_memblock_dump(struct vmk_fwmap *m, const char *text, size_t len,
				  struct vmk_fwmap_diag *diag);

/* ------------------------------------------------------------------ */
/* Whole dmesg                                                         */
/* ------------------------------------------------------------------ */

/*
 * Find a memory map in a whole dmesg (or journal) text: the E820 map if
 * there is one (on x86 it is the kernel's map; if EFI lines are there too
 * a warning says they were ignored), else the "efi: mem.." map, else the
 * memory of a memblock=debug dump (a device-tree boot prints no map:
 * vmk_fwmap_parse_memblock_dump()), else (a text that is no log) the
 * memblock debugfs lists. Appends to m. Returns what the chosen parser
 * returns; -VMK_ENOENT if the text holds none of them (the message says
 * what a device-tree boot log lacks when the text is one). On error m is
 * unchanged.
 */
int vmk_fwmap_parse_dmesg(struct vmk_fwmap *m, const char *text, size_t len,
			  struct vmk_fwmap_diag *diag);

/* ------------------------------------------------------------------ */
/* Sanitizing                                                          */
/* ------------------------------------------------------------------ */

enum vmk_fwmap_beyond {
	VMK_FWMAP_BEYOND_CLIP = 0,	/* clip entries at the address-width limit (warn) */
	VMK_FWMAP_BEYOND_DROP,		/* drop entries that cross the limit (warn) */
	VMK_FWMAP_BEYOND_REFUSE,	/* fail with -VMK_ERANGE, map unchanged */
};

struct vmk_fwmap_sanitize_opts {
	unsigned int phys_bits;		/* address width; 0: VMK_PHYS_ADDR_BITS; 64: no limit */
	uint32_t beyond;		/* enum vmk_fwmap_beyond */
	vmk_size_t page_size;		/* power of two; 0: VMK_PAGE_SIZE; 1: no alignment */
	bool merge_ignores_attr;	/* merge same-kind neighbours even if attr/fw_type differ (UEFI: same best caching and SP) */
};

/*
 * Sanitize m in place: drop zero-length entries; apply the address-width
 * limit; sort; resolve overlaps so that every byte gets the kind of
 * highest vmk_mem_kind_priority() among the entries covering it (ties
 * between entries of the same kind go to the larger flags, then attr,
 * then fw_type, so the result does not depend on the input order),
 * splitting a lower-priority entry around a higher-priority one inside
 * it; trim usable-class entries inward and widen reserved-class entries
 * outward to page_size boundaries and resolve the overlaps that creates;
 * merge adjacent entries with the same kind, flags (and attr/fw_type
 * unless merge_ignores_attr; even then, in a UEFI map, the best caching
 * the attributes allow (WB, WC, WT, else none) and the SP bit must agree,
 * as the direct map's memory type and the boot policy read them). Afterwards the map is sorted by base,
 * entries do not overlap, every entry is page-aligned and non-empty.
 * What changed is reported to diag (INFO for overlaps resolved, WARN for
 * clipped/dropped entries).
 *
 * Resolving overlaps needs working room in m's storage: when the sorted
 * input overlaps, cap must be >= n + F + (n + 9) / 10 where F is the
 * resolved count (F <= 2n - 1), so cap >= 3n + n / 10 + 1 always
 * suffices (vmk_fwmap_sanitize_cap()); an overlap-free input needs none.
 * Returns 0; -VMK_ENOSPC if the room is missing (m then holds the same
 * entries, possibly reordered by base); -VMK_ERANGE for BEYOND_REFUSE
 * with an entry beyond the limit (m unchanged); -VMK_EINVAL for bad opts.
 * opts may be NULL for the defaults. Runs in O(n log n).
 */
int vmk_fwmap_sanitize(struct vmk_fwmap *m, const struct vmk_fwmap_sanitize_opts *opts,
		       struct vmk_fwmap_diag *diag);

/* A capacity with which vmk_fwmap_sanitize() never fails for want of room for n entries. */
size_t vmk_fwmap_sanitize_cap(size_t n);

/*
 * Check the sanitize postconditions: sorted, non-overlapping, non-empty,
 * valid kinds, no wrap, aligned to page_size (0: VMK_PAGE_SIZE, 1: none).
 * Returns 0, or -VMK_EINVAL and the 0-based index of the first bad entry in
 * *bad (bad may be NULL). Callable any time.
 */
int vmk_fwmap_check(const struct vmk_fwmap *m, vmk_size_t page_size, size_t *bad);

/* ------------------------------------------------------------------ */
/* Rendering                                                           */
/* ------------------------------------------------------------------ */

/*
 * Render a table, one entry a line:
 * "  0x0000000000000000-0x000000000009efff  usable          636 KiB  <raw>"
 * with inclusive ends, the kind name, a human size and the raw firmware
 * type/attributes when the map has a format. Callable any time.
 */
void vmk_fwmap_render_table(const struct vmk_fwmap *m, struct vmk_out *out);

/*
 * Render in Linux's E820 dmesg form, one line per entry:
 * "BIOS-e820: [mem 0x0000000000000000-0x000000000009efff] usable", using
 * the raw E820 type for E820 maps and the kind's E820 equivalent for the
 * others, so vmk_fwmap_parse_e820_text() reads it back. prefix replaces
 * "BIOS-e820" if not NULL. Callable any time.
 */
void vmk_fwmap_render_e820(const struct vmk_fwmap *m, struct vmk_out *out, const char *prefix);

/* E820 type that best represents a kind (usable -> 1, acpi-reclaim -> 3, ...). */
uint32_t vmk_mem_kind_e820_type(uint32_t kind);

#endif /* VMKIT_FWMAP_H */
