/*
 * The riscv64 Image header (Documentation/arch/riscv/boot-image-header.rst):
 * 64 bytes at the start of the Image, little endian, laid out like the
 * arm64 one so that one loader can read both.
 */
#include "internal.h"

#define IMG_TEXT_OFFSET		0x08
#define IMG_IMAGE_SIZE		0x10
#define IMG_FLAGS		0x18
#define IMG_VERSION		0x20
#define IMG_MAGIC		0x30	/* "RISCV\0\0\0", deprecated since header 0.2 */
#define IMG_MAGIC2		0x38	/* "RSC\x05", where arm64 has its magic */
#define IMG_HEADER_SIZE		0x40

/* Header 0.2 introduced magic2; older headers only have "RISCV" at 0x30. */
#define VERSION_0_2		0x2u
#define MAGIC_RISCV		0x5643534952ull	/* "RISCV" little endian */

int vmk_riscv64_image_parse(const void *img, size_t len, struct vmk_riscv64_image_info *ri,
			    char *err, size_t errlen)
{
	const uint8_t *b = img;
	uint32_t magic2;

	vmk_memset(ri, 0, sizeof(*ri));
	if (!img || len < IMG_HEADER_SIZE)
		return vmk_kexec__hdr_fail(err, errlen, "riscv64 Image: %zu bytes is too short for "
					   "the 64-byte header", len);
	magic2 = (uint32_t)vmk_kexec__le(b, IMG_MAGIC2, 4);
	ri->version = (uint32_t)vmk_kexec__le(b, IMG_VERSION, 4);
	if (magic2 != VMK_RISCV64_IMAGE_MAGIC2) {
		/* A header older than 0.2 is recognised by its first magic alone. */
		if (ri->version >= VERSION_0_2 || vmk_kexec__le(b, IMG_MAGIC, 8) != MAGIC_RISCV)
			return vmk_kexec__hdr_fail(err, errlen, "riscv64 Image: no \"RSC\\x05\" magic "
						   "at 0x38 (found 0x%08x): not a riscv64 Image",
						   magic2);
		ri->legacy_magic = true;
	}
	ri->text_offset = vmk_kexec__le(b, IMG_TEXT_OFFSET, 8);
	ri->image_size = vmk_kexec__le(b, IMG_IMAGE_SIZE, 8);
	ri->flags = vmk_kexec__le(b, IMG_FLAGS, 8);
	ri->file_size = len;
	ri->big_endian = ri->flags & 1;
	if (ri->flags >> 1)
		return vmk_kexec__hdr_fail(err, errlen, "riscv64 Image: flags 0x%llx set reserved "
					   "bits 1-63", (unsigned long long)ri->flags);
	if (ri->big_endian)
		return vmk_kexec__hdr_fail(err, errlen, "riscv64 Image: flags bit 0 says big-endian; "
					   "the loaders here start little-endian kernels");
	if (ri->image_size == 0)
		return vmk_kexec__hdr_fail(err, errlen, "riscv64 Image: image_size is 0: the "
					   "kernel's effective size, bss included, is unknown");
	if (ri->image_size > VMK_RISCV64_MAX_PA)
		return vmk_kexec__hdr_fail(err, errlen, "riscv64 Image: image_size 0x%llx is larger "
					   "than the 56-bit physical address space",
					   (unsigned long long)ri->image_size);
	/*
	 * Linux's kexec_file aligns the load address to text_offset (0 for a
	 * relocatable kernel, 2 MiB otherwise on RV64), so it must be a power
	 * of two; a boot loader puts the kernel text_offset bytes into RAM.
	 */
	if (ri->text_offset & (ri->text_offset - 1) ||
	    (ri->text_offset && ri->text_offset < VMK_PAGE_SIZE) ||
	    ri->text_offset > VMK_RISCV64_MAX_TEXT_OFFSET)
		return vmk_kexec__hdr_fail(err, errlen, "riscv64 Image: text_offset 0x%llx is not 0 "
					   "or a power of two from 4 KiB to 1 GiB",
					   (unsigned long long)ri->text_offset);
	return 0;
}
