/*
 * Internal helpers shared by the fwmap parsers (not a public header).
 */
#ifndef VMKIT_FWMAP_INTERNAL_H
#define VMKIT_FWMAP_INTERNAL_H

#include <vmkit/fwmap.h>
#include <vmkit/platform.h>

/* Little-endian loads from a byte buffer of any alignment. */
static inline uint32_t vmk_fwmap__le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t vmk_fwmap__le64(const unsigned char *p)
{
	return (uint64_t)vmk_fwmap__le32(p) | (uint64_t)vmk_fwmap__le32(p + 4) << 32;
}

/* Drop n characters from the front of s (at most s->len). */
static inline void vmk_fwmap__skip(struct vmk_str *s, size_t n)
{
	if (n > s->len)
		n = s->len;
	s->p += n;
	s->len -= n;
}

/* Drop leading white space. */
static inline void vmk_fwmap__skip_ws(struct vmk_str *s)
{
	while (s->len && vmk_isspace((unsigned char)s->p[0]))
		vmk_fwmap__skip(s, 1);
}

/* If s starts with the NUL-terminated t, drop it and return true. */
bool vmk_fwmap__eat(struct vmk_str *s, const char *t);

/* Like vmk_fwmap__eat, ignoring case. */
bool vmk_fwmap__ieat(struct vmk_str *s, const char *t);

/*
 * Parse a hexadecimal number with an optional 0x prefix at the start of s
 * and drop it. Returns 0, -VMK_EPARSE (no digit) or -VMK_ERANGE.
 */
int vmk_fwmap__hex(struct vmk_str *s, uint64_t *v);

/* Parse a decimal number at the start of s and drop it. Same returns. */
int vmk_fwmap__dec(struct vmk_str *s, uint64_t *v);

/*
 * Append an entry to m in a parser: the same as vmk_fwmap_add_entry but
 * without validation (the parser checked).
 */
int vmk_fwmap__push(struct vmk_fwmap *m, const struct vmk_fwmap_entry *ent);

/*
 * Start and finish a parse that appends to m: vmk_fwmap__begin notes
 * where the map was; vmk_fwmap__end restores it if err != 0 and returns
 * err.
 */
struct vmk_fwmap__undo {
	size_t n;
	uint32_t format;
	uint32_t efi_desc_version;
	uint32_t src_where;
};

/* After a successful parse: record the format unless the map has one. */
void vmk_fwmap__set_format(struct vmk_fwmap *m, uint32_t format, uint32_t src_where);
void vmk_fwmap__begin(const struct vmk_fwmap *m, struct vmk_fwmap__undo *u);
int vmk_fwmap__end(struct vmk_fwmap *m, const struct vmk_fwmap__undo *u, int err);

/*
 * Strip what Linux log tools put before a kernel message: a "<6>" syslog
 * level, a journalctl or syslog "Mon DD HH:MM:SS host kernel: " prefix, a
 * "[    0.000000]" timestamp, and "kernel: " alone. Returns the message.
 */
struct vmk_str vmk_fwmap__log_message(struct vmk_str line);

/* Find needle in s and return the text after it; false if absent. */
bool vmk_fwmap__after(struct vmk_str s, const char *needle, struct vmk_str *rest);

/*
 * Read an E820 type name as Linux prints it at the start of *s and drop
 * it. Returns true and the type, or false if no known name is there (*s
 * unchanged). *unknown is set for Linux's "Unknown E820 type", which names
 * no number (type 0 is returned).
 */
bool vmk_fwmap__e820_name(struct vmk_str *s, uint32_t *type, bool *unknown);

/* EFI type from a name Linux or UEFI uses ("Boot Data", "ACPI Mem NVS"). */
int vmk_fwmap__efi_type_from_linux(struct vmk_str name, uint32_t *type);

/* Every EFI_MEMORY_* bit UEFI defines (ISA mask included). */
uint64_t vmk_fwmap__efi_known_attrs(void);

/* Attribute bit of a Linux column label ("RUN", "MR", "WB", ...). */
int vmk_fwmap__efi_attr_from_col(struct vmk_str col, uint64_t *bit);

/* VMK_FWMAP_F_* flags that EFI attribute bits imply. */
uint32_t vmk_fwmap__efi_flags(uint64_t attr);

#endif /* VMKIT_FWMAP_INTERNAL_H */
