/*
 * Architecture loaders: turn a kernel image and its companions into
 * segment requests with the placement rules each boot protocol sets,
 * and place them in boot order.
 */
#include <vmkit/kexec.h>

/* Lowest addresses kexec-tools and Linux's kexec_file use on x86-64. */
#define X86_MIN_BOOTPARAM_ADDR	0x3000
#define X86_MIN_KERNEL_ADDR	0x100000
#define X86_MIN_INITRD_ADDR	0x1000000
/* " elfcorehdr=0x<16 hex digits>" appended to a kdump command line. */
#define ELFCOREHDR_ARG_LEN	30
/* Room a loader adds to the device tree for /chosen (bootargs, initrd, seeds). */
#define DTB_EXTRA_SPACE		0x1000

static int err(struct vmk_kexec_plan *p, int code, const char *fmt, ...) VMK_PRINTF(3, 4);
static int err(struct vmk_kexec_plan *p, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmk_vsnprintf(p->err, sizeof(p->err), fmt, ap);
	va_end(ap);
	return code;
}

uint64_t vmk_kdump_elfcorehdr_size(size_t nranges, uint32_t ncpus)
{
	/* ELF64 header, one PT_NOTE per CPU, vmcoreinfo, kernel text, RAM. */
	uint64_t phdrs = (uint64_t)ncpus + 2 + nranges;

	return VMK_ALIGN_UP(64 + 56 * phdrs, VMK_PAGE_SIZE);
}

static size_t cmdline_len(const struct vmk_kexec_load *ld)
{
	size_t n = ld->cmdline ? vmk_strlen(ld->cmdline) : 0;

	return ld->mode == VMK_KEXEC_CRASH ? n + ELFCOREHDR_ARG_LEN : n;
}

static int place_elfcorehdr(struct vmk_kexec_plan *p, const struct vmk_kexec_load *ld)
{
	struct vmk_kexec_req r = { 0 };

	if (ld->mode != VMK_KEXEC_CRASH)
		return 0;
	r.name = "elfcorehdr";
	r.bufsz = r.memsz = vmk_kdump_elfcorehdr_size(ld->ndump, ld->ncpus ? ld->ncpus : 1);
	r.note = "ELF core header of the crashed kernel's memory, in the crash region";
	return vmk_kexec_place(p, &r, NULL);
}

static int load_x86_64(struct vmk_kexec_plan *p, const struct vmk_kexec_load *ld)
{
	struct vmk_bzimage_info bi;
	struct vmk_kexec_req r;
	size_t clen = cmdline_len(ld);
	uint64_t fsize = ld->kernel_size ? ld->kernel_size : ld->kernel_len;
	bool above4g;
	int ret;

	ret = vmk_bzimage_parse(ld->kernel, ld->kernel_len, &bi, p->err, sizeof(p->err));
	if (ret)
		return ret;
	if (fsize < bi.setup_size)
		return err(p, -VMK_EPARSE, "bzImage: file is %llu bytes, less than its %llu bytes "
			   "of setup", (unsigned long long)fsize, (unsigned long long)bi.setup_size);
	bi.kernel_size = fsize - bi.setup_size;
	if (bi.version < 0x020c || !(bi.xloadflags & VMK_XLF_KERNEL_64))
		return err(p, -VMK_EINVAL, "bzImage: boot protocol %u.%02u without XLF_KERNEL_64: "
			   "no 64-bit entry point (need 2.12+)", bi.version >> 8, bi.version & 0xff);
	if (!(bi.loadflags & VMK_BZ_LOADED_HIGH))
		return err(p, -VMK_EINVAL, "bzImage: LOADED_HIGH is clear: a zImage must load at "
			   "0x10000, which kexec does not do");
	if (clen > bi.cmdline_size)
		return err(p, -VMK_EINVAL, "command line is %zu bytes%s; this kernel takes at most "
			   "%u (cmdline_size)", clen,
			   ld->mode == VMK_KEXEC_CRASH ? " with elfcorehdr=" : "", bi.cmdline_size);
	above4g = bi.xloadflags & VMK_XLF_CAN_BE_LOADED_ABOVE_4G;

	ret = place_elfcorehdr(p, ld);
	if (ret)
		return ret;

	vmk_memset(&r, 0, sizeof(r));
	r.name = "boot_params";
	r.bufsz = r.memsz = 4096;
	r.align = 16;
	r.min = X86_MIN_BOOTPARAM_ADDR;
	/*
	 * boot.rst: only XLF_CAN_BE_LOADED_ABOVE_4G lets the kernel, boot_params,
	 * cmdline and ramdisk lie above 4 GiB.
	 */
	r.max = above4g ? 0 : 4 * VMK_GiB;
	r.note = above4g ? "zero page with the setup header, at or above 0x3000"
			 : "zero page, at or above 0x3000, below 4 GiB (no XLF_CAN_BE_LOADED_ABOVE_4G)";
	ret = vmk_kexec_place(p, &r, NULL);
	if (ret)
		return ret;

	vmk_memset(&r, 0, sizeof(r));
	r.name = "cmdline";
	r.bufsz = r.memsz = clen + 1;
	r.min = X86_MIN_BOOTPARAM_ADDR;
	if (!above4g) {
		r.max = 4 * VMK_GiB;
		r.note = "below 4 GiB: cmd_line_ptr is 32 bits";
	} else {
		r.note = "ext_cmd_line_ptr allows it above 4 GiB";
	}
	ret = vmk_kexec_place(p, &r, NULL);
	if (ret)
		return ret;

	vmk_memset(&r, 0, sizeof(r));
	r.name = "kernel";
	r.bufsz = bi.kernel_size;
	r.memsz = VMK_MAX((uint64_t)bi.init_size, bi.kernel_size);
	if (bi.relocatable) {
		r.align = bi.kernel_alignment;
		r.min = VMK_MAX(bi.pref_address, (uint64_t)X86_MIN_KERNEL_ADDR);
		r.max = above4g ? 0 : 4 * VMK_GiB;
		r.note = above4g ? "memsz = init_size, aligned to kernel_alignment, at or above pref_address"
				 : "memsz = init_size, aligned to kernel_alignment, at or above "
				   "pref_address, below 4 GiB";
	} else {
		/* Not relocatable: only its pref_address will do. */
		r.min = bi.pref_address ? bi.pref_address : X86_MIN_KERNEL_ADDR;
		if (!VMK_IS_ALIGNED(r.min, VMK_PAGE_SIZE))
			return err(p, -VMK_EPARSE, "bzImage: pref_address 0x%llx is not page aligned",
				   (unsigned long long)r.min);
		r.max = r.min + VMK_ALIGN_UP(r.memsz, VMK_PAGE_SIZE);
		r.note = "not relocatable: must run at pref_address";
	}
	ret = vmk_kexec_place(p, &r, NULL);
	if (ret)
		return ret;

	if (ld->initrd_size) {
		vmk_memset(&r, 0, sizeof(r));
		r.name = "initrd";
		r.bufsz = r.memsz = ld->initrd_size;
		r.min = X86_MIN_INITRD_ADDR;
		if (above4g) {
			r.note = "XLF_CAN_BE_LOADED_ABOVE_4G: anywhere above 16 MiB";
		} else {
			r.max = (uint64_t)bi.initrd_addr_max + 1;
			r.note = "at or below initrd_addr_max";
		}
		ret = vmk_kexec_place(p, &r, NULL);
		if (ret)
			return ret;
	}
	if (ld->dtb_size) {
		vmk_memset(&r, 0, sizeof(r));
		r.name = "dtb";
		r.bufsz = r.memsz = ld->dtb_size;
		r.min = X86_MIN_BOOTPARAM_ADDR;
		r.note = "SETUP_DTB setup_data (64-bit pointer)";
		ret = vmk_kexec_place(p, &r, NULL);
		if (ret)
			return ret;
	}
	return 0;
}

static int load_arm64(struct vmk_kexec_plan *p, const struct vmk_kexec_load *ld)
{
	struct vmk_arm64_image_info ai;
	struct vmk_kexec_req r;
	uint64_t fsize = ld->kernel_size ? ld->kernel_size : ld->kernel_len;
	vmk_paddr_t kbase, kend;
	uint64_t dtbsz;
	int ret;

	ret = vmk_arm64_image_parse(ld->kernel, ld->kernel_len, &ai, p->err, sizeof(p->err));
	if (ret)
		return ret;
	if (ai.legacy)
		return err(p, -VMK_EINVAL, "arm64 Image: image_size is 0 (a kernel older than "
			   "3.17): its effective size, bss included, is unknown");
	if (fsize > ai.image_size)
		return err(p, -VMK_EPARSE, "arm64 Image: the file (%llu bytes) is larger than "
			   "image_size (%llu)", (unsigned long long)fsize,
			   (unsigned long long)ai.image_size);
	if (!ld->dtb_size)
		return err(p, -VMK_EINVAL, "arm64: a device tree is required (the kernel is "
			   "entered with its address in x0)");
	dtbsz = ld->dtb_size + cmdline_len(ld) + 1 + DTB_EXTRA_SPACE;
	if (dtbsz > VMK_ARM64_MAX_FDT_SIZE)
		return err(p, -VMK_EINVAL, "arm64: the device tree with its command line is %llu "
			   "bytes; booting.rst allows at most 2 MiB", (unsigned long long)dtbsz);

	vmk_memset(&r, 0, sizeof(r));
	r.name = "kernel";
	r.bufsz = fsize;
	r.memsz = ai.image_size;
	r.align = VMK_ARM64_KERNEL_ALIGN;
	r.phase = ai.text_offset;
	if (ai.place_anywhere) {
		r.max = 1ull << 48;
		r.note = "2 MiB base + text_offset; flags bit 3: anywhere in 48-bit PA";
	} else {
		r.dir = VMK_KEXEC_BOTTOM_UP;
		r.note = "2 MiB base + text_offset; flags bit 3 clear: as low in DRAM as possible";
	}
	ret = vmk_kexec_place(p, &r, &kbase);
	if (ret)
		return ret;
	kend = kbase + VMK_ALIGN_UP(ai.image_size, VMK_PAGE_SIZE);

	ret = place_elfcorehdr(p, ld);
	if (ret)
		return ret;

	if (ld->initrd_size) {
		/*
		 * Inside some 1 GiB aligned window of at most 32 GiB that also
		 * covers the Image: at most 32 GiB above the kernel's 1 GiB
		 * line and no lower than 32 GiB below the kernel's end.
		 */
		vmk_memset(&r, 0, sizeof(r));
		r.name = "initrd";
		r.bufsz = r.memsz = ld->initrd_size;
		r.min = kend > 32 * VMK_GiB ? VMK_ALIGN_UP(kend - 32 * VMK_GiB, VMK_GiB) : 0;
		r.max = VMK_ALIGN_DOWN(kbase, VMK_GiB) + 32 * VMK_GiB;
		r.note = "in a 1 GiB aligned window of up to 32 GiB covering the kernel";
		ret = vmk_kexec_place(p, &r, NULL);
		if (ret)
			return ret;
	}

	vmk_memset(&r, 0, sizeof(r));
	r.name = "dtb";
	r.bufsz = ld->dtb_size;
	r.memsz = dtbsz;
	r.align = 8;
	r.boundary = VMK_ARM64_MAX_FDT_SIZE;
	r.note = "8-byte aligned, <= 2 MiB, not crossing 2 MiB; holds bootargs";
	return vmk_kexec_place(p, &r, NULL);
}

/*
 * riscv64, as Linux's kexec_file loads an Image: the kernel as low as
 * possible, then the kdump header, initrd and device tree above its end.
 */
static int load_riscv64(struct vmk_kexec_plan *p, const struct vmk_kexec_load *ld)
{
	struct vmk_riscv64_image_info ri;
	struct vmk_kexec_req r;
	uint64_t fsize = ld->kernel_size ? ld->kernel_size : ld->kernel_len;
	vmk_paddr_t kbase, kend;
	uint64_t dtbsz;
	int ret;

	ret = vmk_riscv64_image_parse(ld->kernel, ld->kernel_len, &ri, p->err, sizeof(p->err));
	if (ret)
		return ret;
	if (fsize > ri.image_size)
		return err(p, -VMK_EPARSE, "riscv64 Image: the file (%llu bytes) is larger than "
			   "image_size (%llu)", (unsigned long long)fsize,
			   (unsigned long long)ri.image_size);
	if (!ld->dtb_size)
		return err(p, -VMK_EINVAL, "riscv64: a device tree is required (the kernel is "
			   "entered with its address in a1)");
	dtbsz = ld->dtb_size + cmdline_len(ld) + 1 + DTB_EXTRA_SPACE;
	if (dtbsz > VMK_RISCV64_MAX_FDT_SIZE)
		return err(p, -VMK_EINVAL, "riscv64: the device tree with its command line is %llu "
			   "bytes; the kernel maps at most 2 MiB of it", (unsigned long long)dtbsz);

	vmk_memset(&r, 0, sizeof(r));
	r.name = "kernel";
	r.bufsz = fsize;
	r.memsz = ri.image_size;
	/*
	 * Linux aligns to text_offset; the kernel maps itself with 2 MiB
	 * pages, so a relocatable one (text_offset 0) still needs 2 MiB.
	 */
	r.align = VMK_MAX((uint64_t)VMK_RISCV64_KERNEL_ALIGN, ri.text_offset);
	r.dir = VMK_KEXEC_BOTTOM_UP;
	r.note = ri.text_offset > VMK_RISCV64_KERNEL_ALIGN
		 ? "as low as possible, aligned to text_offset (Linux kexec_file)"
		 : "as low as possible, 2 MiB aligned (the kernel maps itself with 2 MiB pages)";
	ret = vmk_kexec_place(p, &r, &kbase);
	if (ret)
		return ret;
	kend = kbase + VMK_ALIGN_UP(ri.image_size, VMK_PAGE_SIZE);

	if (ld->mode == VMK_KEXEC_CRASH) {
		vmk_memset(&r, 0, sizeof(r));
		r.name = "elfcorehdr";
		r.bufsz = r.memsz = vmk_kdump_elfcorehdr_size(ld->ndump, ld->ncpus ? ld->ncpus : 1);
		r.min = kend;
		r.note = "ELF core header of the crashed kernel's memory, above the kernel";
		ret = vmk_kexec_place(p, &r, NULL);
		if (ret)
			return ret;
	}
	if (ld->initrd_size) {
		vmk_memset(&r, 0, sizeof(r));
		r.name = "initrd";
		r.bufsz = r.memsz = ld->initrd_size;
		r.min = kend;
		r.note = "above the kernel's end (Linux kexec_file)";
		ret = vmk_kexec_place(p, &r, NULL);
		if (ret)
			return ret;
	}
	vmk_memset(&r, 0, sizeof(r));
	r.name = "dtb";
	r.bufsz = ld->dtb_size;
	r.memsz = dtbsz;
	r.min = kend;
	r.note = "page aligned, <= 2 MiB, above the kernel's end; holds bootargs";
	return vmk_kexec_place(p, &r, NULL);
}

int vmk_kexec_load_image(struct vmk_kexec_plan *p, const struct vmk_kexec_load *ld)
{
	if (!ld->kernel)
		return err(p, -VMK_EINVAL, "no kernel image");
	switch (ld->arch) {
	case VMK_KEXEC_ARCH_X86_64:
		return load_x86_64(p, ld);
	case VMK_KEXEC_ARCH_ARM64:
		return load_arm64(p, ld);
	case VMK_KEXEC_ARCH_RISCV64:
		return load_riscv64(p, ld);
	}
	return err(p, -VMK_EINVAL, "unknown architecture %d", (int)ld->arch);
}
