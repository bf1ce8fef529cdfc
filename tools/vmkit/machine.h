/*
 * Loading a machine description (a firmware memory map in any format the
 * fwmap parsers read) into a normalized, sanitized map. Hosted.
 */
#ifndef VMKIT_TOOL_MACHINE_H
#define VMKIT_TOOL_MACHINE_H

#include <stdio.h>
#include <vmkit/boot.h>
#include <vmkit/fwmap.h>
#include <vmkit/lib.h>

#include "util.h"

enum machine_src {
	MACHINE_AUTO = 0,	/* detect from the content */
	MACHINE_E820,		/* binary E820 table (20- or 24-byte entries) or E820 dmesg text */
	MACHINE_EFI,		/* binary UEFI descriptor array or "efi: mem" text */
	MACHINE_DTB,		/* flattened device tree blob */
	MACHINE_IOMEM,		/* /proc/iomem text */
	MACHINE_DMESG,		/* a whole dmesg/journal: E820 or EFI lines */
};

#define MACHINE_MAX_NUMA	64

struct machine {
	struct vmk_fwmap map;		/* sanitized */
	/*
	 * The same entries sanitized without page alignment (page_size 1):
	 * byte-exact, as Linux x86 keeps its E820 table and shows it in
	 * /proc/iomem (00001000-0009fbff : System RAM).
	 */
	struct vmk_fwmap exact;
	struct vmk_fwmap_diag diag;	/* parse and sanitize messages */
	size_t entries_read;		/* entries before sanitizing */
	const char *format_name;	/* "efi", "e820", "e820-text", ... */
	const char *path;		/* the file, or "<embedded>" */
	/*
	 * NUMA affinity the source states: a log's "ACPI: SRAT: Node N PXM P
	 * [mem A-B]" lines, a DTB's numa-node-id memory nodes (nnuma 0: none).
	 */
	struct vmk_numa_range numa[MACHINE_MAX_NUMA];
	size_t nnuma;
};

/* The source kind an option names (--e820, --efi, --dtb, --iomem, --dmesg, --machine). */
bool machine_src_from_option(const char *opt, enum machine_src *src);

/*
 * A command line's source option opt with its FILE value (NULL when none
 * follows): returns 1 when opt names a source, set in *src and *path; 0
 * when it names none; -1 after an error message (no FILE, or another
 * source given already: other names it, NULL when there is none).
 */
int machine_src_take(const char *opt, const char *value, const char *other, enum machine_src *src,
		     const char **path);

/* Name of a source kind ("--efi" ...), for messages. */
const char *machine_src_option(enum machine_src src);

/*
 * Parse buf (len bytes) as src into mc and sanitize it with address width
 * phys_bits (0: default). On failure prints "PATH:LINE: error: ..."
 * messages to stderr and returns -1; returns 0 on success. efi_desc_size
 * is the entry size of a binary map: a UEFI descriptor size, or 20 or 24
 * for an E820 table; 0 guesses it.
 */
int machine_parse(struct machine *mc, const char *path, const void *buf, size_t len,
		  enum machine_src src, unsigned int phys_bits, size_t efi_desc_size);

/*
 * Print mc's parse and sanitize messages of severity min_sev and above to
 * stderr as "FILE:LINE: warning: ..." / "FILE: error: entry N: ...".
 */
void machine_print_diag(const struct machine *mc, enum vmk_fwmap_sev min_sev);

/* Read path and machine_parse() it. */
int machine_load(struct machine *mc, const char *path, enum machine_src src,
		 unsigned int phys_bits, size_t efi_desc_size);

/* The built-in default machine (QEMU q35, 4 GiB, OVMF: a UEFI map). */
int machine_load_default(struct machine *mc, unsigned int phys_bits);

/*
 * Back the map's RAM (and reserved ranges) with simulated RAM, one host
 * mapping per cluster of ranges less than 1 GiB apart, so memblock can grow
 * its arrays and every allocation memblock can make is contiguous in the
 * direct map. Returns false if there is nothing to back or the host cannot
 * map a cluster that holds RAM.
 */
bool machine_back_ram(const struct vmk_fwmap *m);

/*
 * Give mb's memory the NUMA nodes of mc's affinity, by Linux's rules for
 * x86 (arch_x86 true) or arm64 (vmk_boot_numa_apply(): dropped affinity
 * makes all node 0). A source that states no affinity leaves memory
 * without a node (where Linux's dummy_numa_init says node 0). Returns 0,
 * or -1 after an error message.
 */
int machine_numa_apply(const struct machine *mc, struct vmk_memblock *mb, bool arch_x86);

/* Free what machine_parse() allocated. */
void machine_free(struct machine *mc);

#endif
