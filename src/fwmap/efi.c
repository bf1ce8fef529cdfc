/*
 * The binary UEFI memory map: EFI_MEMORY_DESCRIPTORs as GetMemoryMap()
 * returns them, stepped by the firmware's DescriptorSize (which is
 * larger than the 40-byte structure on most firmware, 48 on edk2), so
 * that fields added by later versions are skipped.
 *
 *   offset 0  u32 Type
 *   offset 4  u32 (padding)
 *   offset 8  u64 PhysicalStart   (4 KiB aligned)
 *   offset 16 u64 VirtualStart
 *   offset 24 u64 NumberOfPages   (4 KiB pages)
 *   offset 32 u64 Attribute
 */
#include "fwmap_internal.h"

#define MAX_PAGES	((uint64_t)1 << (64 - VMK_EFI_PAGE_SHIFT))

struct efi_desc {
	uint32_t type;
	uint32_t pad;
	uint64_t phys;
	uint64_t virt;
	uint64_t pages;
	uint64_t attr;
};

static void load_desc(const unsigned char *p, struct efi_desc *d)
{
	d->type = vmk_fwmap__le32(p);
	d->pad = vmk_fwmap__le32(p + 4);
	d->phys = vmk_fwmap__le64(p + 8);
	d->virt = vmk_fwmap__le64(p + 16);
	d->pages = vmk_fwmap__le64(p + 24);
	d->attr = vmk_fwmap__le64(p + 32);
}

static bool type_defined(uint32_t type)
{
	return type < VMK_EFI_MAX_TYPE || type >= VMK_EFI_OEM_FIRST;
}

/* Size in bytes of d, or 0 if the page count overflows or the range wraps. */
static uint64_t desc_bytes(const struct efi_desc *d)
{
	uint64_t size;

	if (d->pages == 0 || d->pages > MAX_PAGES)
		return 0;
	size = d->pages == MAX_PAGES ? 0 : d->pages << VMK_EFI_PAGE_SHIFT;
	if (size == 0 || size - 1 > VMK_PADDR_MAX - d->phys)
		return 0;	/* 2^64 bytes or wrapping: not representable */
	return size;
}

static bool desc_size_ok(size_t desc_size)
{
	return desc_size >= VMK_EFI_DESC_MIN_SIZE && desc_size % 8 == 0;
}

int vmk_fwmap_parse_efi(struct vmk_fwmap *m, const void *buf, size_t len,
			size_t desc_size, uint32_t desc_version,
			struct vmk_fwmap_diag *diag)
{
	const unsigned char *p = buf;
	struct vmk_fwmap__undo u;
	size_t i, count;
	int err = 0;

	if (!desc_size_ok(desc_size)) {
		vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_NONE, 0,
				   "descriptor size %zu: must be at least %u and a multiple of 8",
				   desc_size, VMK_EFI_DESC_MIN_SIZE);
		return -VMK_EINVAL;
	}
	if (len && !buf)
		return -VMK_EINVAL;
	if (desc_version != VMK_EFI_DESC_VERSION)
		vmk_fwmap_diag_add(diag, VMK_FWMAP_WARN, VMK_FWMAP_AT_NONE, 0,
				   "descriptor version %u (expected %u): reading the version 1 fields",
				   (unsigned int)desc_version, VMK_EFI_DESC_VERSION);
	vmk_fwmap__begin(m, &u);
	count = len / desc_size;
	if (len % desc_size) {
		vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_OFFSET, (uint32_t)(count * desc_size),
				   "%zu trailing bytes: not a whole %zu-byte descriptor",
				   len % desc_size, desc_size);
		err = -VMK_EPARSE;
	}
	for (i = 0; i < count && err != -VMK_ENOSPC; i++, p += desc_size) {
		uint32_t at = (uint32_t)(i + 1);
		struct efi_desc d;
		struct vmk_fwmap_entry ent;
		uint64_t unknown;

		load_desc(p, &d);
		if (d.pages == 0) {
			vmk_fwmap_diag_add(diag, VMK_FWMAP_WARN, VMK_FWMAP_AT_ENTRY, at,
					   "descriptor with 0 pages at 0x%llx ignored",
					   (unsigned long long)d.phys);
			continue;
		}
		ent = (struct vmk_fwmap_entry){
			.base = d.phys, .size = desc_bytes(&d), .fw_type = d.type,
			.attr = d.attr, .src = at,
		};
		if (ent.size == 0) {
			vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_ENTRY, at,
					   "0x%llx pages at 0x%llx run past the top of the address space",
					   (unsigned long long)d.pages, (unsigned long long)d.phys);
			err = -VMK_EPARSE;
			continue;
		}
		if (d.phys & ((1u << VMK_EFI_PAGE_SHIFT) - 1))
			vmk_fwmap_diag_add(diag, VMK_FWMAP_WARN, VMK_FWMAP_AT_ENTRY, at,
					   "PhysicalStart 0x%llx is not 4 KiB aligned",
					   (unsigned long long)d.phys);
		if (!type_defined(d.type))
			vmk_fwmap_diag_add(diag, VMK_FWMAP_WARN, VMK_FWMAP_AT_ENTRY, at,
					   "undefined memory type %u treated as reserved",
					   (unsigned int)d.type);
		unknown = d.attr & ~vmk_fwmap__efi_known_attrs();
		if (unknown)
			vmk_fwmap_diag_add(diag, VMK_FWMAP_WARN, VMK_FWMAP_AT_ENTRY, at,
					   "undefined attribute bits 0x%llx",
					   (unsigned long long)unknown);
		ent.kind = vmk_efi_kind(d.type, d.attr);
		ent.flags = vmk_fwmap__efi_flags(d.attr);
		if (err)
			continue;	/* keep reporting, store nothing more */
		if (vmk_fwmap__push(m, &ent)) {
			vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_ENTRY, at,
					   "map full (%zu entries)", m->cap);
			err = -VMK_ENOSPC;
		}
	}
	if (!err) {
		vmk_fwmap__set_format(m, VMK_FWMAP_FMT_EFI, VMK_FWMAP_AT_ENTRY);
		m->efi_desc_version = desc_version;
	}
	return vmk_fwmap__end(m, &u, err);
}

/* Would a firmware have written this descriptor? */
static bool plausible(const unsigned char *p)
{
	struct efi_desc d;

	load_desc(p, &d);
	return d.pad == 0 && type_defined(d.type) &&
	       (d.phys & ((1u << VMK_EFI_PAGE_SHIFT) - 1)) == 0 &&
	       desc_bytes(&d) != 0 &&
	       (d.attr & ~vmk_fwmap__efi_known_attrs()) == 0;
}

/*
 * Every descriptor plausible under desc_size (loose); with strict, the
 * bytes past the 40 the descriptor defines are zero too, as firmware
 * leaves its padding.
 */
static bool size_fits(const unsigned char *p, size_t len, size_t desc_size, bool strict)
{
	size_t off;

	if (len == 0 || len % desc_size)
		return false;
	for (off = 0; off < len; off += desc_size) {
		if (!plausible(p + off))
			return false;
		if (!strict)
			continue;
		for (size_t k = VMK_EFI_DESC_MIN_SIZE; k < desc_size; k++)
			if (p[off + k])
				return false;
	}
	return true;
}

#define GUESS_MAX	((256 - VMK_EFI_DESC_MIN_SIZE) / 8 + 1)

/*
 * The sizes that explain the blob: strictly (zero padding) if any size
 * does, else loosely; a size that is a multiple of another candidate is
 * dropped, since reading with it would skip the descriptors in between.
 * Returns the count, sizes ascending in out[].
 */
static size_t candidates(const unsigned char *p, size_t len, size_t out[GUESS_MAX])
{
	size_t n = 0;

	for (int strict = 1; strict >= 0 && n == 0; strict--) {
		for (size_t s = VMK_EFI_DESC_MIN_SIZE; s <= 256; s += 8) {
			bool multiple = false;

			for (size_t k = 0; k < n; k++)
				multiple |= s % out[k] == 0;
			if (!multiple && size_fits(p, len, s, strict))
				out[n++] = s;
		}
	}
	return n;
}

int vmk_fwmap_efi_guess_desc_size(const void *buf, size_t len, size_t *desc_size)
{
	size_t c[GUESS_MAX], n;

	if (!buf || !len)
		return -VMK_EPARSE;
	n = candidates(buf, len, c);
	if (n == 0)
		return -VMK_EPARSE;
	*desc_size = c[0];
	return n == 1 ? 0 : -VMK_EEXIST;
}

int vmk_fwmap_parse_efi_guess(struct vmk_fwmap *m, const void *buf, size_t len,
			      struct vmk_fwmap_diag *diag)
{
	size_t c[GUESS_MAX], n;

	if (len && !buf)
		return -VMK_EINVAL;
	n = len ? candidates(buf, len, c) : 0;
	if (n == 0) {
		vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_NONE, 0,
				   "not a UEFI memory map: no descriptor size from 40 to 256 "
				   "explains its %zu bytes (give the size)", len);
		return -VMK_EPARSE;
	}
	if (n > 1) {
		char list[64];
		struct vmk_outbuf ob;

		vmk_outbuf_init(&ob, list, sizeof(list));
		for (size_t k = 0; k < n; k++)
			vmk_out_printf(&ob.out, "%s%zu", k ? ", " : "", c[k]);
		vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_NONE, 0,
				   "ambiguous UEFI descriptor size: %s bytes all fit the %zu bytes "
				   "(give the size)", list, len);
		return -VMK_EEXIST;
	}
	vmk_fwmap_diag_add(diag, VMK_FWMAP_WARN, VMK_FWMAP_AT_NONE, 0,
			   "UEFI descriptor size guessed: %zu bytes (%zu descriptors)",
			   c[0], len / c[0]);
	return vmk_fwmap_parse_efi(m, buf, len, c[0], VMK_EFI_DESC_VERSION, diag);
}
