/*
 * Reading the Linux oracle's stored runs (tests/data/linux/<run>/, made by
 * `make linux-oracle`, docs/linux-oracle.md) and vmkit's output in the same
 * shapes, so the agreement tests compare like with like.
 */
#ifndef VMKIT_TEST_LINUX_ORACLE_H
#define VMKIT_TEST_LINUX_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A list of text lines (owned copies). */
struct lo_lines {
	char **s;
	size_t n, cap;
};

void lo_lines_add(struct lo_lines *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void lo_lines_free(struct lo_lines *l);
bool lo_lines_has(const struct lo_lines *l, const char *s);

/*
 * The /proc/iomem entries of text that come from firmware and memblock
 * (names: System RAM, Reserved, reserved, ACPI Tables, ACPI Non-volatile
 * Storage, Unusable memory, Persistent Memory*, Soft Reserved, Crash
 * kernel, RAM buffer), as "start-end : name" lines indented two spaces per
 * level of in-scope ancestors. Every other entry (PCI and device windows,
 * ROMs, the kernel's own sections) is out of scope: dropped, and its
 * in-scope children move up to the nearest in-scope ancestor.
 */
void lo_iomem_scope(const char *text, struct lo_lines *out);

/* Is name one of the in-scope names above? */
bool lo_iomem_in_scope(const char *name);

/*
 * The memory regions of the last "MEMBLOCK configuration:" dump that has
 * any (x86 dumps before and after its NUMA init; arm64 first dumps an empty
 * memblock) in a memblock=debug log (or of vmk_memblock_dump() output) as
 * "[0xbase-0xlast] node N flags: 0xF" lines ("node -": none). out is
 * replaced.
 */
void lo_memblock_memory(const char *text, struct lo_lines *out);

/*
 * memblock.reserved as it was when the kernel placed its crash kernel, out
 * of a memblock=debug log: the last "MEMBLOCK configuration:" dump's
 * reserved regions, then every memblock_reserve (added) and
 * memblock_phys_free / memblock_free (taken out) line after it, up to the
 * first line that mentions crashkernel other than a command line. The
 * reservations of the crash kernel itself (crash: "0xbase-0xlast" lines,
 * from Linux's "Crash kernel" entries) are left out. Disjoint ranges,
 * sorted, as "0xbase-0xlast".
 */
void lo_reserved_before_crash(const char *log, const struct lo_lines *crash, struct lo_lines *out);

/* The text after the line "header" up to the next empty line (malloc'ed). */
char *lo_section(const char *text, const char *header);

/* Value of "key: value" in a provenance file (malloc'ed), or NULL. */
char *lo_prov(const char *prov, const char *key);

#define LO_WHO	64

/* A piece of Linux's memblock.reserved and who reserved it. */
struct lo_piece {
	unsigned long long a, b;	/* inclusive */
	char who[LO_WHO];		/* the function; "" if reserved before memblock=debug took effect */
	bool alloc;			/* through memblock_alloc* (who called that), not memblock_reserve */
};

struct lo_pieces {
	struct lo_piece *p;
	size_t n, cap;
};

/*
 * Linux's memblock.reserved at the end of early boot, in pieces by who
 * reserved each byte (the latest memblock_reserve line over it; for one a
 * memblock_alloc* made, the caller its debug line names). debugfs: the
 * arm64 debugfs "reserved" list, the final state; NULL (x86 keeps no
 * memblock): the log's last dump replayed with the reserve and free lines
 * after it, up to "Memory: ... available" (memblock_free_all). Touching
 * pieces of one owner are one.
 */
void lo_reserved_pieces(const char *log, const char *debugfs, struct lo_pieces *out);
void lo_pieces_free(struct lo_pieces *p);

/* The reserved regions of the last memblock dump in text as "[0xA-0xB] node - flags: 0xF"; out is replaced. */
void lo_memblock_reserved(const char *text, struct lo_lines *out);

#endif
