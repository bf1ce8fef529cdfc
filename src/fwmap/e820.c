/*
 * x86 E820: type mapping and the binary table (INT 15h AX=E820h entries,
 * 20 bytes, or 24 with the ACPI 3.0 extended attributes).
 */
#include "fwmap_internal.h"

uint32_t vmk_e820_kind(uint32_t type)
{
	switch (type) {
	case VMK_E820_RAM:
		return VMK_MEM_USABLE;
	case VMK_E820_ACPI:
		return VMK_MEM_ACPI_RECLAIM;
	case VMK_E820_NVS:
		return VMK_MEM_ACPI_NVS;
	case VMK_E820_UNUSABLE:
	case VMK_E820_DISABLED:		/* ACPI 6: "the OS shall not use" */
		return VMK_MEM_UNUSABLE;
	case VMK_E820_PMEM:
	case VMK_E820_PRAM:
		return VMK_MEM_PERSISTENT;
	case VMK_E820_SOFT_RESERVED:
		return VMK_MEM_SOFT_RESERVED;
	default:
		/* 2, undefined types and the OEM range 0xf0000000..: never RAM. */
		return VMK_MEM_RESERVED;
	}
}

/* True for the types ACPI or Linux define (others get a warning). */
static bool e820_type_known(uint32_t type)
{
	return (type >= VMK_E820_RAM && type <= VMK_E820_PMEM) ||
	       type == VMK_E820_PRAM || type == (uint32_t)VMK_E820_SOFT_RESERVED ||
	       type >= 0xf0000000u;
}

const char *vmk_e820_type_name(uint32_t type, char *buf, size_t size)
{
	switch (type) {
	case VMK_E820_RAM:
		return "usable";
	case VMK_E820_RESERVED:
		return "reserved";
	case VMK_E820_ACPI:
		return "ACPI data";
	case VMK_E820_NVS:
		return "ACPI NVS";
	case VMK_E820_UNUSABLE:
		return "unusable";
	case VMK_E820_SOFT_RESERVED:
		return "soft reserved";
	case VMK_E820_PMEM:
	case VMK_E820_PRAM:
		vmk_snprintf(buf, size, "persistent (type %u)", (unsigned int)type);
		return buf;
	default:
		vmk_snprintf(buf, size, "type %u", (unsigned int)type);
		return buf;
	}
}

static int parse_entries(struct vmk_fwmap *m, const unsigned char *p, size_t len,
			 size_t esz, struct vmk_fwmap_diag *diag)
{
	size_t i, count = len / esz;
	int err = 0;

	for (i = 0; i < count; i++, p += esz) {
		uint32_t at = (uint32_t)(i + 1);
		struct vmk_fwmap_entry ent = {
			.base = vmk_fwmap__le64(p),
			.size = vmk_fwmap__le64(p + 8),
			.fw_type = vmk_fwmap__le32(p + 16),
			.src = at,
		};

		if (esz == 24) {
			ent.attr = vmk_fwmap__le32(p + 20);
			if (!(ent.attr & VMK_E820_XATTR_ENABLED)) {
				/* ACPI 3.0: bit 0 clear means "ignore this entry". */
				vmk_fwmap_diag_add(diag, VMK_FWMAP_WARN, VMK_FWMAP_AT_ENTRY, at,
						   "extended attributes 0x%x: entry disabled, ignored",
						   (unsigned int)ent.attr);
				continue;
			}
			if (ent.attr & VMK_E820_XATTR_NONVOLATILE)
				ent.flags |= VMK_FWMAP_F_NV;
		}
		if (ent.size == 0) {
			vmk_fwmap_diag_add(diag, VMK_FWMAP_WARN, VMK_FWMAP_AT_ENTRY, at,
					   "zero-length range at 0x%llx ignored",
					   (unsigned long long)ent.base);
			continue;
		}
		if (ent.size - 1 > VMK_PADDR_MAX - ent.base) {
			vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_ENTRY, at,
					   "range 0x%llx + 0x%llx wraps past the top of the address space",
					   (unsigned long long)ent.base, (unsigned long long)ent.size);
			err = -VMK_EPARSE;
			continue;
		}
		if (!e820_type_known(ent.fw_type))
			vmk_fwmap_diag_add(diag, VMK_FWMAP_WARN, VMK_FWMAP_AT_ENTRY, at,
					   "undefined E820 type %u treated as reserved",
					   (unsigned int)ent.fw_type);
		ent.kind = vmk_e820_kind(ent.fw_type);
		if (!err && vmk_fwmap__push(m, &ent)) {
			vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_ENTRY, at,
					   "map full (%zu entries)", m->cap);
			return -VMK_ENOSPC;
		}
	}
	return err;
}

/*
 * How well the table reads with entry size esz: the number of entries a
 * BIOS could have written (defined type, non-zero length, no wrap, and for
 * 24 bytes extended attributes with only the defined bits 0-1 set).
 * -1 if len is not a multiple of esz.
 */
static long e820_score(const unsigned char *p, size_t len, size_t esz)
{
	long good = 0;

	if (len % esz)
		return -1;
	for (size_t off = 0; off < len; off += esz) {
		uint64_t base = vmk_fwmap__le64(p + off), size = vmk_fwmap__le64(p + off + 8);
		uint32_t type = vmk_fwmap__le32(p + off + 16);

		/* OEM and Linux-internal types are legal but no evidence. */
		if (size == 0 || size - 1 > VMK_PADDR_MAX - base || !e820_type_known(type) ||
		    type == (uint32_t)VMK_E820_SOFT_RESERVED || type >= 0xf0000000u)
			continue;
		if (esz == 24 && (vmk_fwmap__le32(p + off + 20) & ~3u) != 0)
			continue;
		good++;
	}
	return good;
}

int vmk_fwmap_e820_guess_entry_size(const void *buf, size_t len, size_t *entry_size)
{
	long s20, s24;

	if (len && !buf)
		return -VMK_EINVAL;
	s20 = e820_score(buf, len, 20);
	s24 = e820_score(buf, len, 24);
	if (s20 < 0 && s24 < 0)
		return -VMK_EPARSE;
	if (s24 < 0 || (s20 >= 0 && len == 0)) {
		*entry_size = 20;
		return 0;
	}
	if (s20 < 0) {
		*entry_size = 24;
		return 0;
	}
	/* Both divide the table: every entry must read well under one size only. */
	if (s24 == (long)(len / 24) && s20 != (long)(len / 20)) {
		*entry_size = 24;
		return 0;
	}
	if (s20 == (long)(len / 20) && s24 != (long)(len / 24)) {
		*entry_size = 20;
		return 0;
	}
	*entry_size = s24 * 20 > s20 * 24 ? 24 : 20;
	return -VMK_EEXIST;
}

int vmk_fwmap_parse_e820(struct vmk_fwmap *m, const void *buf, size_t len,
			 size_t entry_size, struct vmk_fwmap_diag *diag)
{
	struct vmk_fwmap__undo u;
	int err;

	if (len && !buf)
		return -VMK_EINVAL;
	if (entry_size == 0) {
		err = vmk_fwmap_e820_guess_entry_size(buf, len, &entry_size);
		if (err == -VMK_EEXIST) {
			vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_NONE, 0,
					   "E820 table of %zu bytes reads as %zu 20-byte or %zu 24-byte "
					   "entries and nothing tells which: give the entry size",
					   len, len / 20, len / 24);
			return -VMK_EINVAL;
		}
		if (err == 0 && len % 20 == 0 && len % 24 == 0 && len)
			vmk_fwmap_diag_add(diag, VMK_FWMAP_WARN, VMK_FWMAP_AT_NONE, 0,
					   "E820 entry size guessed: %zu bytes (%zu entries): only they "
					   "all read as valid entries", entry_size, len / entry_size);
		if (err == -VMK_EPARSE)
			entry_size = 20;	/* the size check below reports it */
	}
	if (entry_size != 20 && entry_size != 24) {
		vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_NONE, 0,
				   "E820 entry size %zu is neither 20 nor 24", entry_size);
		return -VMK_EINVAL;
	}
	if (len % entry_size) {
		vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_OFFSET,
				   (uint32_t)(len - len % entry_size),
				   "table of %zu bytes is not a whole number of %zu-byte entries",
				   len, entry_size);
		return -VMK_EINVAL;
	}
	vmk_fwmap__begin(m, &u);
	err = parse_entries(m, buf, len, entry_size, diag);
	if (!err)
		vmk_fwmap__set_format(m, VMK_FWMAP_FMT_E820, VMK_FWMAP_AT_ENTRY);
	return vmk_fwmap__end(m, &u, err);
}
