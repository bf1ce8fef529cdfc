/*
 * The arm64 Image header (Documentation/arch/arm64/booting.rst): 64 bytes
 * at the start of the Image, little endian.
 */
#include "internal.h"

#define IMG_TEXT_OFFSET		0x08
#define IMG_IMAGE_SIZE		0x10
#define IMG_FLAGS		0x18
#define IMG_MAGIC		0x38
#define IMG_HEADER_SIZE		0x40



int vmk_arm64_image_parse(const void *img, size_t len, struct vmk_arm64_image_info *ai,
			  char *err, size_t errlen)
{
	static const uint32_t page_sizes[4] = { 0, 4096, 16384, 65536 };
	const uint8_t *b = img;
	uint32_t magic;

	vmk_memset(ai, 0, sizeof(*ai));
	if (!img || len < IMG_HEADER_SIZE)
		return vmk_kexec__hdr_fail(err, errlen, "arm64 Image: %zu bytes is too short for the 64-byte "
			    "header", len);
	magic = (uint32_t)vmk_kexec__le(b, IMG_MAGIC, 4);
	if (magic != VMK_ARM64_IMAGE_MAGIC)
		return vmk_kexec__hdr_fail(err, errlen, "arm64 Image: no \"ARM\\x64\" magic at 0x38 (found "
			    "0x%08x): not an arm64 Image", magic);
	ai->text_offset = vmk_kexec__le(b, IMG_TEXT_OFFSET, 8);
	ai->image_size = vmk_kexec__le(b, IMG_IMAGE_SIZE, 8);
	ai->flags = vmk_kexec__le(b, IMG_FLAGS, 8);
	ai->file_size = len;
	if (ai->image_size == 0) {
		/* Before 3.17: text_offset is 0x80000 in the kernel's endianness. */
		ai->legacy = true;
		ai->text_offset = 0x80000;
		return 0;
	}
	ai->big_endian = ai->flags & 1;
	ai->page_size = page_sizes[(ai->flags >> 1) & 3];
	ai->place_anywhere = (ai->flags >> 3) & 1;
	if (ai->flags >> 4)
		return vmk_kexec__hdr_fail(err, errlen, "arm64 Image: flags 0x%llx set reserved bits 4-63",
			    (unsigned long long)ai->flags);
	if (ai->text_offset >= VMK_ARM64_KERNEL_ALIGN ||
	    !VMK_IS_ALIGNED(ai->text_offset, VMK_PAGE_SIZE))
		return vmk_kexec__hdr_fail(err, errlen, "arm64 Image: text_offset 0x%llx is not a page multiple "
			    "below 2 MiB", (unsigned long long)ai->text_offset);
	if (ai->image_size > (1ull << 48))
		return vmk_kexec__hdr_fail(err, errlen, "arm64 Image: image_size 0x%llx is larger than the "
			    "48-bit physical address space", (unsigned long long)ai->image_size);
	return 0;
}
