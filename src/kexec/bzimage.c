/*
 * Just enough of the x86 boot protocol (Documentation/arch/x86/boot.rst)
 * to size and align a bzImage's segments: the setup header at 0x1f1.
 */
#include "internal.h"

#define BZ_SETUP_SECTS		0x1f1
#define BZ_BOOT_FLAG		0x1fe
#define BZ_HEADER		0x202
#define BZ_VERSION		0x206
#define BZ_LOADFLAGS		0x211
#define BZ_INITRD_ADDR_MAX	0x22c	/* 2.03+ */
#define BZ_KERNEL_ALIGNMENT	0x230	/* 2.05+ */
#define BZ_RELOCATABLE		0x234	/* 2.05+ */
#define BZ_MIN_ALIGNMENT	0x235	/* 2.10+ */
#define BZ_XLOADFLAGS		0x236	/* 2.12+ */
#define BZ_CMDLINE_SIZE		0x238	/* 2.06+ */
#define BZ_PREF_ADDRESS		0x258	/* 2.10+ */
#define BZ_INIT_SIZE		0x260	/* 2.10+ */
#define BZ_HEADER_END		0x268


int vmk_kexec__hdr_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vmk_vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -VMK_EPARSE;
}

int vmk_bzimage_parse(const void *img, size_t len, struct vmk_bzimage_info *bi,
		      char *err, size_t errlen)
{
	const uint8_t *b = img;
	uint32_t magic;

	vmk_memset(bi, 0, sizeof(*bi));
	if (!img || len < BZ_HEADER_END)
		return vmk_kexec__hdr_fail(err, errlen, "bzImage: %zu bytes is too short for a setup header "
			    "(need 0x%x)", len, BZ_HEADER_END);
	magic = (uint32_t)vmk_kexec__le(b, BZ_HEADER, 4);
	if (magic != 0x53726448u)	/* "HdrS" */
		return vmk_kexec__hdr_fail(err, errlen, "bzImage: no \"HdrS\" magic at 0x202 (found 0x%08x): "
			    "not a Linux x86 boot image", magic);
	if (vmk_kexec__le(b, BZ_BOOT_FLAG, 2) != 0xaa55)
		return vmk_kexec__hdr_fail(err, errlen, "bzImage: boot_flag at 0x1fe is 0x%04llx, not 0xaa55",
			    (unsigned long long)vmk_kexec__le(b, BZ_BOOT_FLAG, 2));
	bi->version = (uint16_t)vmk_kexec__le(b, BZ_VERSION, 2);
	bi->setup_sects = b[BZ_SETUP_SECTS] ? b[BZ_SETUP_SECTS] : 4;
	bi->loadflags = b[BZ_LOADFLAGS];
	bi->setup_size = ((uint64_t)bi->setup_sects + 1) * 512;
	if (bi->setup_size > len)
		return vmk_kexec__hdr_fail(err, errlen, "bzImage: setup_sects %u means %llu bytes of setup, "
			    "but the file has only %zu", bi->setup_sects,
			    (unsigned long long)bi->setup_size, len);
	bi->kernel_size = len - bi->setup_size;
	bi->initrd_addr_max = bi->version >= 0x0203 ? (uint32_t)vmk_kexec__le(b, BZ_INITRD_ADDR_MAX, 4)
						     : 0x37ffffff;
	if (bi->version >= 0x0205) {
		bi->kernel_alignment = (uint32_t)vmk_kexec__le(b, BZ_KERNEL_ALIGNMENT, 4);
		bi->relocatable = b[BZ_RELOCATABLE];
		if (bi->relocatable && !VMK_IS_POW2(bi->kernel_alignment))
			return vmk_kexec__hdr_fail(err, errlen, "bzImage: kernel_alignment 0x%x at 0x230 is not "
				    "a power of two", bi->kernel_alignment);
	}
	bi->cmdline_size = bi->version >= 0x0206 ? (uint32_t)vmk_kexec__le(b, BZ_CMDLINE_SIZE, 4) : 255;
	if (bi->version >= 0x020a) {
		bi->min_alignment = b[BZ_MIN_ALIGNMENT];
		bi->pref_address = vmk_kexec__le(b, BZ_PREF_ADDRESS, 8);
		bi->init_size = (uint32_t)vmk_kexec__le(b, BZ_INIT_SIZE, 4);
		if (bi->init_size == 0)
			return vmk_kexec__hdr_fail(err, errlen, "bzImage: init_size at 0x260 is 0");
		if (bi->min_alignment >= 64)
			return vmk_kexec__hdr_fail(err, errlen, "bzImage: min_alignment 2^%u at 0x235 is absurd",
				    bi->min_alignment);
	}
	if (bi->version >= 0x020c)
		bi->xloadflags = (uint16_t)vmk_kexec__le(b, BZ_XLOADFLAGS, 2);
	return 0;
}
