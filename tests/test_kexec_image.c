/* Tests of the image header parsers and the x86-64 / arm64 / riscv64 loaders. */
#include "harness.h"
#include <vmkit/kexec.h>

#define MiB VMK_MiB
#define GiB VMK_GiB

static struct vmk_kexec_store st;
static struct vmk_kexec_plan plan;
static uint8_t img[0x4000];

static void put(uint8_t *b, size_t off, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		b[off + i] = (uint8_t)(v >> (8 * i));
}

/* A bzImage setup header as boot.rst lays it out. */
static void make_bzimage(uint16_t version, uint16_t xlf, uint8_t reloc, uint32_t initrd_max)
{
	memset(img, 0, sizeof(img));
	img[0x1f1] = 3;				/* setup_sects: 4 * 512 bytes of setup */
	put(img, 0x1fe, 0xaa55, 2);
	memcpy(img + 0x202, "HdrS", 4);
	put(img, 0x206, version, 2);
	img[0x211] = 0x01;			/* LOADED_HIGH */
	put(img, 0x22c, initrd_max, 4);
	put(img, 0x230, 2 * MiB, 4);		/* kernel_alignment */
	img[0x234] = reloc;
	img[0x235] = 21;
	put(img, 0x236, xlf, 2);
	put(img, 0x238, 2047, 4);		/* cmdline_size */
	put(img, 0x258, 16 * MiB, 8);		/* pref_address */
	put(img, 0x260, 32 * MiB, 4);		/* init_size */
}

static void make_arm64(uint64_t text_offset, uint64_t image_size, uint64_t flags)
{
	memset(img, 0, sizeof(img));
	put(img, 0x08, text_offset, 8);
	put(img, 0x10, image_size, 8);
	put(img, 0x18, flags, 8);
	put(img, 0x38, 0x644d5241, 4);
}

/* A riscv64 Image header as boot-image-header.rst lays it out (version 0.2). */
static void make_riscv64(uint64_t text_offset, uint64_t image_size, uint64_t flags)
{
	memset(img, 0, sizeof(img));
	put(img, 0x00, 0x0000006f, 4);		/* code0: j . (never run here) */
	put(img, 0x08, text_offset, 8);
	put(img, 0x10, image_size, 8);
	put(img, 0x18, flags, 8);
	put(img, 0x20, 0x2, 4);			/* version 0.2 */
	memcpy(img + 0x30, "RISCV\0\0\0", 8);
	memcpy(img + 0x38, "RSC\x05", 4);
}

static struct vmk_kexec_plan *fresh(void)
{
	vmk_kexec_plan_init_store(&plan, &st);
	return &plan;
}

static void test_bzimage_parse(void **state)
{
	struct vmk_bzimage_info bi;
	char err[200];

	(void)state;
	make_bzimage(0x020f, VMK_XLF_KERNEL_64 | VMK_XLF_CAN_BE_LOADED_ABOVE_4G, 1, 0x7fffffff);
	assert_int_equal(vmk_bzimage_parse(img, sizeof(img), &bi, err, sizeof(err)), 0);
	assert_int_equal(bi.version, 0x020f);
	assert_int_equal(bi.setup_sects, 3);
	assert_true(bi.setup_size == 2048 && bi.kernel_size == sizeof(img) - 2048);
	assert_int_equal(bi.kernel_alignment, 2 * MiB);
	assert_int_equal(bi.init_size, 32 * MiB);
	assert_true(bi.pref_address == 16 * MiB);
	assert_int_equal(bi.cmdline_size, 2047);
	assert_int_equal(bi.initrd_addr_max, 0x7fffffff);
	assert_int_equal(bi.xloadflags, VMK_XLF_KERNEL_64 | VMK_XLF_CAN_BE_LOADED_ABOVE_4G);
	/* setup_sects 0 means 4. */
	img[0x1f1] = 0;
	assert_int_equal(vmk_bzimage_parse(img, sizeof(img), &bi, err, sizeof(err)), 0);
	assert_true(bi.setup_size == 5 * 512);
	/* Malformed headers. */
	assert_int_equal(vmk_bzimage_parse(img, 0x100, &bi, err, sizeof(err)), -VMK_EPARSE);
	assert_non_null(strstr(err, "too short"));
	make_bzimage(0x020f, 1, 1, 0);
	img[0x203] = 'X';
	assert_int_equal(vmk_bzimage_parse(img, sizeof(img), &bi, err, sizeof(err)), -VMK_EPARSE);
	assert_non_null(strstr(err, "no \"HdrS\" magic at 0x202"));
	make_bzimage(0x020f, 1, 1, 0);
	put(img, 0x1fe, 0x1234, 2);
	assert_int_equal(vmk_bzimage_parse(img, sizeof(img), &bi, err, sizeof(err)), -VMK_EPARSE);
	assert_non_null(strstr(err, "boot_flag"));
	make_bzimage(0x020f, 1, 1, 0);
	img[0x1f1] = 200;
	assert_int_equal(vmk_bzimage_parse(img, sizeof(img), &bi, err, sizeof(err)), -VMK_EPARSE);
	assert_non_null(strstr(err, "setup_sects 200"));
	make_bzimage(0x020f, 1, 1, 0);
	put(img, 0x230, 3 * MiB, 4);
	assert_int_equal(vmk_bzimage_parse(img, sizeof(img), &bi, err, sizeof(err)), -VMK_EPARSE);
	assert_non_null(strstr(err, "kernel_alignment"));
	make_bzimage(0x020f, 1, 1, 0);
	put(img, 0x260, 0, 4);
	assert_int_equal(vmk_bzimage_parse(img, sizeof(img), &bi, err, sizeof(err)), -VMK_EPARSE);
	assert_non_null(strstr(err, "init_size"));
}

/* RAM 4 KiB-640 KiB and 1 MiB-2 GiB, ACPI tables in the last MiB. */
static struct vmk_kexec_plan *pc(void)
{
	struct vmk_kexec_plan *p = fresh();

	vmk_kexec_add_ram(p, 0x1000, 0x9f000);
	vmk_kexec_add_ram(p, 0x100000, 0x80000000);
	vmk_kexec_exclude(p, 0x7ff00000, 0x80000000, VMK_KEXEC_EXCL_ACPI_TABLES, "ACPI Tables");
	return p;
}

static void test_x86_loader(void **state)
{
	struct vmk_kexec_load ld = { 0 };
	struct vmk_kexec_plan *p;

	(void)state;
	make_bzimage(0x020f, VMK_XLF_KERNEL_64 | VMK_XLF_CAN_BE_LOADED_ABOVE_4G, 1, 0x37ffffff);
	ld.arch = VMK_KEXEC_ARCH_X86_64;
	ld.kernel = img;
	ld.kernel_len = sizeof(img);
	ld.kernel_size = 8 * MiB;
	ld.initrd_size = 64 * MiB;
	ld.cmdline = "console=ttyS0 root=/dev/vda";
	p = pc();
	assert_int_equal(vmk_kexec_load_image(p, &ld), 0);
	/* Top-down by hand: below the ACPI tables at 0x7ff00000. */
	assert_true(vmk_kexec_find_seg(p, "boot_params")->base == 0x7feff000);
	assert_true(vmk_kexec_find_seg(p, "cmdline")->base == 0x7fefe000);
	assert_true(vmk_kexec_find_seg(p, "kernel")->base == 0x7de00000);	/* 2 MiB aligned */
	assert_true(vmk_kexec_find_seg(p, "kernel")->memsz == 32 * MiB);	/* init_size */
	assert_true(vmk_kexec_find_seg(p, "kernel")->req.bufsz == 8 * MiB - 2048);
	assert_true(vmk_kexec_find_seg(p, "initrd")->base == 0x79e00000);	/* above 4G allowed */
	assert_int_equal(vmk_kexec_verify(p), 0);

	/* Without XLF_CAN_BE_LOADED_ABOVE_4G the initrd stays under initrd_addr_max. */
	make_bzimage(0x020f, VMK_XLF_KERNEL_64, 1, 0x37ffffff);
	p = pc();
	assert_int_equal(vmk_kexec_load_image(p, &ld), 0);
	assert_true(vmk_kexec_find_seg(p, "initrd")->base == 0x34000000);
	assert_true(vmk_kexec_find_seg(p, "cmdline")->base + 4096 <= 4 * GiB);
	/*
	 * boot.rst: only XLF_CAN_BE_LOADED_ABOVE_4G lets "kernel/boot_params/
	 * cmdline/ramdisk" above 4 GiB. With RAM up there, all four stay below:
	 * boot_params and cmdline at the top of the low RAM (under the ACPI
	 * tables), the kernel at the next 2 MiB line below.
	 */
	p = pc();
	vmk_kexec_add_ram(p, 4 * GiB, 8 * GiB);
	assert_int_equal(vmk_kexec_load_image(p, &ld), 0);
	assert_true(vmk_kexec_find_seg(p, "boot_params")->base == 0x7feff000);
	assert_true(vmk_kexec_find_seg(p, "cmdline")->base == 0x7fefe000);
	assert_true(vmk_kexec_find_seg(p, "kernel")->base == 0x7de00000);
	assert_true(vmk_kexec_find_seg(p, "initrd")->base == 0x34000000);
	assert_int_equal(vmk_kexec_verify(p), 0);

	/* A file size below the setup sectors, no image at all, an unknown architecture: refused, nothing placed. */
	ld.kernel_size = 600;
	p = pc();
	assert_int_equal(vmk_kexec_load_image(p, &ld), -VMK_EPARSE);
	assert_non_null(strstr(p->err, "bzImage: file is 600 bytes, less than its"));
	assert_int_equal(p->nseg, 0);
	ld.kernel_size = 8 * MiB;
	ld.kernel = NULL;
	assert_int_equal(vmk_kexec_load_image(p, &ld), -VMK_EINVAL);
	assert_string_equal(p->err, "no kernel image");
	ld.kernel = img;
	ld.arch = (enum vmk_kexec_arch)7;
	assert_int_equal(vmk_kexec_load_image(p, &ld), -VMK_EINVAL);
	assert_string_equal(p->err, "unknown architecture 7");
	assert_int_equal(p->nseg, 0);
	ld.arch = VMK_KEXEC_ARCH_X86_64;

	/* Bottom-up: everything as low as the minimum addresses allow. */
	p = pc();
	vmk_kexec_set_dir(p, VMK_KEXEC_BOTTOM_UP);
	assert_int_equal(vmk_kexec_load_image(p, &ld), 0);
	assert_true(vmk_kexec_find_seg(p, "boot_params")->base == 0x3000);
	assert_true(vmk_kexec_find_seg(p, "cmdline")->base == 0x4000);
	assert_true(vmk_kexec_find_seg(p, "kernel")->base == 16 * MiB);	/* pref_address */
	assert_true(vmk_kexec_find_seg(p, "initrd")->base == 48 * MiB);	/* after the kernel */
	assert_int_equal(vmk_kexec_verify(p), 0);

	/* Not relocatable: exactly at pref_address, or a clear error. */
	make_bzimage(0x020f, VMK_XLF_KERNEL_64, 0, 0x37ffffff);
	p = pc();
	assert_int_equal(vmk_kexec_load_image(p, &ld), 0);
	assert_true(vmk_kexec_find_seg(p, "kernel")->base == 16 * MiB);
	assert_non_null(strstr(vmk_kexec_find_seg(p, "kernel")->why, "fixed address"));
	p = pc();
	vmk_kexec_exclude(p, 20 * MiB, 21 * MiB, VMK_KEXEC_EXCL_RESERVED, "reserved");
	assert_int_equal(vmk_kexec_load_image(p, &ld), -VMK_ENOMEM);
	assert_non_null(strstr(p->err, "segment 'kernel'"));
	assert_non_null(strstr(p->err, "blocked by reserved 'reserved' 0x1400000-0x14fffff"));

	/* Command line longer than cmdline_size. */
	make_bzimage(0x020f, VMK_XLF_KERNEL_64, 1, 0x37ffffff);
	put(img, 0x238, 10, 4);
	p = pc();
	assert_int_equal(vmk_kexec_load_image(p, &ld), -VMK_EINVAL);
	assert_non_null(strstr(p->err, "cmdline_size"));
	/* Old protocol, no 64-bit entry. */
	make_bzimage(0x0209, 0, 1, 0x37ffffff);
	p = pc();
	assert_int_equal(vmk_kexec_load_image(p, &ld), -VMK_EINVAL);
	assert_non_null(strstr(p->err, "2.12"));
	/* Not a bzImage at all. */
	make_arm64(0, 32 * MiB, 0xa);
	p = pc();
	assert_int_equal(vmk_kexec_load_image(p, &ld), -VMK_EPARSE);
	assert_non_null(strstr(p->err, "HdrS"));
}

static void test_x86_kdump_load(void **state)
{
	struct vmk_kexec_load ld = { 0 };
	struct vmk_range crash = { 0x70000000, 0x80000000 };
	struct vmk_range dump[3] = { { 0x1000, 0x9f000 }, { 0x100000, 0x70000000 } };
	struct vmk_kexec_plan *p = fresh();

	(void)state;
	make_bzimage(0x020f, VMK_XLF_KERNEL_64 | VMK_XLF_CAN_BE_LOADED_ABOVE_4G, 1, 0x7fffffff);
	ld.arch = VMK_KEXEC_ARCH_X86_64;
	ld.mode = VMK_KEXEC_CRASH;
	ld.kernel = img;
	ld.kernel_len = sizeof(img);
	ld.initrd_size = 32 * MiB;
	ld.cmdline = "irqpoll nr_cpus=1";
	ld.ncpus = 4;
	ld.dump = dump;
	ld.ndump = 2;
	assert_int_equal(vmk_kexec_plan_crash(p, &crash, 1), 0);
	assert_int_equal(vmk_kexec_load_image(p, &ld), 0);
	assert_int_equal(p->nseg, 5);
	assert_true(vmk_kexec_find_seg(p, "elfcorehdr")->base == 0x7ffff000);
	/* elfcorehdr= is appended to the command line. */
	assert_true(vmk_kexec_find_seg(p, "cmdline")->req.bufsz == strlen(ld.cmdline) + 30 + 1);
	for (size_t i = 0; i < p->nseg; i++)
		assert_true(p->seg[i].base >= crash.base && p->seg[i].base + p->seg[i].memsz <= crash.end);
	assert_int_equal(vmk_kexec_verify(p), 0);
	/* A crash region too small for the kernel's init_size. */
	p = fresh();
	crash.end = crash.base + 16 * MiB;
	vmk_kexec_plan_crash(p, &crash, 1);
	assert_int_equal(vmk_kexec_load_image(p, &ld), -VMK_ENOMEM);
	assert_non_null(strstr(p->err, "segment 'kernel'"));
	p = fresh();
	assert_int_equal(vmk_kexec_plan_crash(p, &crash, 0), -VMK_EINVAL);
}

static void test_arm64_parse(void **state)
{
	struct vmk_arm64_image_info ai;
	char err[200];

	(void)state;
	make_arm64(0, 32 * MiB, 0xa);
	assert_int_equal(vmk_arm64_image_parse(img, sizeof(img), &ai, err, sizeof(err)), 0);
	assert_true(ai.image_size == 32 * MiB && ai.text_offset == 0);
	assert_true(ai.place_anywhere && !ai.big_endian && ai.page_size == 4096);
	make_arm64(0x80000, 32 * MiB, 0x7);	/* BE, 64K pages, as low as possible */
	assert_int_equal(vmk_arm64_image_parse(img, sizeof(img), &ai, err, sizeof(err)), 0);
	assert_true(ai.big_endian && ai.page_size == 65536 && !ai.place_anywhere);
	make_arm64(0, 0, 0);
	assert_int_equal(vmk_arm64_image_parse(img, sizeof(img), &ai, err, sizeof(err)), 0);
	assert_true(ai.legacy && ai.text_offset == 0x80000);
	assert_int_equal(vmk_arm64_image_parse(img, 63, &ai, err, sizeof(err)), -VMK_EPARSE);
	assert_non_null(strstr(err, "too short"));
	make_arm64(0, 32 * MiB, 0xa);
	img[0x3b] = 0x65;
	assert_int_equal(vmk_arm64_image_parse(img, sizeof(img), &ai, err, sizeof(err)), -VMK_EPARSE);
	assert_non_null(strstr(err, "magic at 0x38"));
	make_arm64(0, 32 * MiB, 0x1a);
	assert_int_equal(vmk_arm64_image_parse(img, sizeof(img), &ai, err, sizeof(err)), -VMK_EPARSE);
	assert_non_null(strstr(err, "reserved bits"));
	make_arm64(0x200000, 32 * MiB, 0xa);
	assert_int_equal(vmk_arm64_image_parse(img, sizeof(img), &ai, err, sizeof(err)), -VMK_EPARSE);
	assert_non_null(strstr(err, "text_offset"));
}

/* arm64 virt: RAM 0x40000000-0x80000000, firmware reserved at its start. */
static struct vmk_kexec_plan *virt(void)
{
	struct vmk_kexec_plan *p = fresh();

	vmk_kexec_add_ram(p, 0x40000000, 0x80000000);
	vmk_kexec_exclude(p, 0x40000000, 0x40010000, VMK_KEXEC_EXCL_RESERVED, "reserved");
	return p;
}

static void test_arm64_loader(void **state)
{
	struct vmk_kexec_load ld = { 0 };
	struct vmk_kexec_plan *p;
	const struct vmk_kexec_seg *k, *d;

	(void)state;
	ld.arch = VMK_KEXEC_ARCH_ARM64;
	ld.kernel = img;
	ld.kernel_len = sizeof(img);
	ld.kernel_size = 20 * MiB;
	ld.initrd_size = 16 * MiB - 0x8000;
	ld.dtb_size = 64 * 1024;
	ld.cmdline = "console=ttyAMA0";

	/* Bit 3 clear: the kernel as low in DRAM as possible (bottom-up). */
	make_arm64(0, 32 * MiB, 0x2);
	p = virt();
	assert_int_equal(vmk_kexec_load_image(p, &ld), 0);
	k = vmk_kexec_find_seg(p, "kernel");
	assert_true(k->base == 0x40200000);
	assert_true(vmk_kexec_find_seg(p, "initrd")->base == 0x7f008000);
	d = vmk_kexec_find_seg(p, "dtb");
	/* Right below the initrd would cross 0x7f000000: moved below the line. */
	assert_true(d->memsz == 0x12000);
	assert_true(d->base == 0x7efee000);
	assert_int_equal(vmk_kexec_verify(p), 0);

	/* Bit 3 set: anywhere, so the global top-down direction applies. */
	make_arm64(0, 32 * MiB, 0xa);
	p = virt();
	assert_int_equal(vmk_kexec_load_image(p, &ld), 0);
	assert_true(vmk_kexec_find_seg(p, "kernel")->base == 0x7e000000);
	/* text_offset: a 2 MiB aligned base plus the offset. */
	make_arm64(0x80000, 32 * MiB, 0x2);
	p = virt();
	assert_int_equal(vmk_kexec_load_image(p, &ld), 0);
	assert_true(vmk_kexec_find_seg(p, "kernel")->base == 0x40080000);
	assert_int_equal(vmk_kexec_verify(p), 0);

	/* The initrd must share a 32 GiB window with the kernel. */
	make_arm64(0, 32 * MiB, 0x2);
	p = fresh();
	vmk_kexec_add_ram(p, 0x40000000, 0x80000000);
	vmk_kexec_add_ram(p, 40 * GiB, 41 * GiB);
	assert_int_equal(vmk_kexec_load_image(p, &ld), 0);
	assert_true(vmk_kexec_find_seg(p, "initrd")->base + 16 * MiB <= 33 * GiB);

	/* Errors. */
	p = virt();
	ld.dtb_size = 2 * MiB;
	assert_int_equal(vmk_kexec_load_image(p, &ld), -VMK_EINVAL);
	assert_non_null(strstr(p->err, "at most 2 MiB"));
	ld.dtb_size = 0;
	assert_int_equal(vmk_kexec_load_image(p, &ld), -VMK_EINVAL);
	assert_non_null(strstr(p->err, "device tree is required"));
	ld.dtb_size = 4096;
	ld.kernel_size = 64 * MiB;
	assert_int_equal(vmk_kexec_load_image(p, &ld), -VMK_EPARSE);
	assert_non_null(strstr(p->err, "larger than image_size"));
	ld.kernel_size = 0;
	make_arm64(0, 0, 0);
	assert_int_equal(vmk_kexec_load_image(p, &ld), -VMK_EINVAL);
	assert_non_null(strstr(p->err, "3.17"));
	make_bzimage(0x020f, 1, 1, 0);
	assert_int_equal(vmk_kexec_load_image(p, &ld), -VMK_EPARSE);
	assert_non_null(strstr(p->err, "ARM\\x64"));
	assert_int_equal(p->nseg, 0);
}

static void riscv64_parse_fails(size_t len, const char *want)
{
	struct vmk_riscv64_image_info ri;
	char err[200] = "";

	assert_int_equal(vmk_riscv64_image_parse(img, len, &ri, err, sizeof(err)), -VMK_EPARSE);
	if (!strstr(err, want))
		fail_msg("riscv64 header: error \"%s\" does not say \"%s\"", err, want);
}

static void test_riscv64_parse(void **state)
{
	struct vmk_riscv64_image_info ri;
	char err[200];

	(void)state;
	/* Linux's RV64 head.S: text_offset 2 MiB; a relocatable kernel has 0. */
	make_riscv64(0x200000, 24 * MiB, 0);
	assert_int_equal(vmk_riscv64_image_parse(img, sizeof(img), &ri, err, sizeof(err)), 0);
	assert_true(ri.text_offset == 0x200000 && ri.image_size == 24 * MiB);
	assert_true(ri.version == 2 && !ri.legacy_magic && !ri.big_endian);
	make_riscv64(0, 24 * MiB, 0);
	assert_int_equal(vmk_riscv64_image_parse(img, 64, &ri, err, sizeof(err)), 0);
	assert_true(ri.text_offset == 0 && ri.file_size == 64);
	/* Header 0.1: "RISCV" at 0x30 is its only magic. */
	make_riscv64(0x200000, 24 * MiB, 0);
	put(img, 0x20, 0x1, 4);
	memset(img + 0x38, 0, 4);
	assert_int_equal(vmk_riscv64_image_parse(img, sizeof(img), &ri, err, sizeof(err)), 0);
	assert_true(ri.legacy_magic);

	/* Malformed headers: each names what is wrong. */
	riscv64_parse_fails(63, "too short for the 64-byte header");
	make_riscv64(0x200000, 24 * MiB, 0);
	img[0x3b] = 0x06;
	riscv64_parse_fails(sizeof(img), "no \"RSC\\x05\" magic at 0x38");
	/* From 0.2 on, the old magic alone is not enough. */
	make_riscv64(0x200000, 24 * MiB, 0);
	memset(img + 0x38, 0, 4);
	riscv64_parse_fails(sizeof(img), "magic at 0x38");
	/* An arm64 Image is not a riscv64 one. */
	make_arm64(0, 32 * MiB, 0xa);
	riscv64_parse_fails(sizeof(img), "found 0x644d5241");
	make_riscv64(0x200000, 0, 0);
	riscv64_parse_fails(sizeof(img), "image_size is 0");
	make_riscv64(0x200000, 1ull << 57, 0);
	riscv64_parse_fails(sizeof(img), "56-bit");
	make_riscv64(0x200000, 24 * MiB, 1);
	riscv64_parse_fails(sizeof(img), "big-endian");
	make_riscv64(0x200000, 24 * MiB, 0x4);
	riscv64_parse_fails(sizeof(img), "reserved bits 1-63");
	make_riscv64(0x300000, 24 * MiB, 0);
	riscv64_parse_fails(sizeof(img), "text_offset 0x300000");
	make_riscv64(0x800, 24 * MiB, 0);
	riscv64_parse_fails(sizeof(img), "text_offset 0x800");
	make_riscv64(2 * GiB, 24 * MiB, 0);
	riscv64_parse_fails(sizeof(img), "text_offset 0x80000000");
	make_riscv64(0x200000, 24 * MiB, 0);
	assert_int_equal(vmk_riscv64_image_parse(NULL, 64, &ri, NULL, 0), -VMK_EPARSE);
}

/* QEMU virt riscv64: RAM from 2 GiB, OpenSBI's first 512 KiB no-map. */
static struct vmk_kexec_plan *rv_virt(void)
{
	struct vmk_kexec_plan *p = fresh();

	vmk_kexec_add_ram(p, 0x80000000, 0xc0000000);
	vmk_kexec_exclude(p, 0x80000000, 0x80080000, VMK_KEXEC_EXCL_NOMAP, "reserved");
	return p;
}

static void test_riscv64_loader(void **state)
{
	static const struct vmk_range dumped[] = { { 0x80080000, 0xb0000000 } };
	struct vmk_kexec_load ld = { 0 };
	struct vmk_kexec_plan *p;
	const struct vmk_kexec_seg *k, *i, *d;
	struct vmk_range crash = { 0xb0000000, 0xc0000000 };

	(void)state;
	ld.arch = VMK_KEXEC_ARCH_RISCV64;
	ld.kernel = img;
	ld.kernel_len = sizeof(img);
	ld.kernel_size = 20 * MiB;
	ld.initrd_size = 16 * MiB - 0x8000;
	ld.dtb_size = 64 * 1024;
	ld.cmdline = "console=ttyS0";

	/* As low as possible on a 2 MiB boundary: past OpenSBI's range, at 0x80200000. */
	make_riscv64(0x200000, 24 * MiB + 0x1000, 0);
	p = rv_virt();
	assert_int_equal(vmk_kexec_load_image(p, &ld), 0);
	k = vmk_kexec_find_seg(p, "kernel");
	assert_true(k->base == 0x80200000);
	assert_true(k->memsz == 24 * MiB + 0x1000 && k->req.bufsz == 20 * MiB);
	/* initrd and dtb above the kernel, top-down (the plan's direction). */
	i = vmk_kexec_find_seg(p, "initrd");
	d = vmk_kexec_find_seg(p, "dtb");
	assert_true(i->base == 0xc0000000 - 16 * MiB + 0x8000);
	assert_true(d->base + d->memsz == i->base && VMK_IS_ALIGNED(d->base, 4096));
	assert_true(d->memsz == VMK_ALIGN_UP(64 * 1024 + 14 + 1 + 0x1000, 4096));
	assert_int_equal(vmk_kexec_verify(p), 0);

	/* --bottom-up: initrd and dtb right after the kernel's end, not below it. */
	p = rv_virt();
	vmk_kexec_set_dir(p, VMK_KEXEC_BOTTOM_UP);
	assert_int_equal(vmk_kexec_load_image(p, &ld), 0);
	k = vmk_kexec_find_seg(p, "kernel");
	assert_true(vmk_kexec_find_seg(p, "initrd")->base == k->base + k->memsz);
	assert_int_equal(vmk_kexec_verify(p), 0);

	/* A relocatable kernel (text_offset 0) still gets 2 MiB alignment. */
	make_riscv64(0, 24 * MiB, 0);
	p = rv_virt();
	assert_int_equal(vmk_kexec_load_image(p, &ld), 0);
	assert_true(vmk_kexec_find_seg(p, "kernel")->base == 0x80200000);
	/* A text_offset above 2 MiB is the alignment (Linux's kexec_file). */
	make_riscv64(0x1000000, 24 * MiB, 0);
	p = rv_virt();
	assert_int_equal(vmk_kexec_load_image(p, &ld), 0);
	assert_true(vmk_kexec_find_seg(p, "kernel")->base == 0x81000000);

	/* The kernel's 2 MiB base must be free: a hole of 0x1ff000 bytes below does not do. */
	make_riscv64(0x200000, 24 * MiB, 0);
	p = fresh();
	vmk_kexec_add_ram(p, 0x80001000, 0x80200000);
	vmk_kexec_add_ram(p, 0x84000000, 0x90000000);
	assert_int_equal(vmk_kexec_load_image(p, &ld), 0);
	assert_true(vmk_kexec_find_seg(p, "kernel")->base == 0x84000000);

	/* kdump: everything in the crash region, the core header above the kernel. */
	p = fresh();
	assert_int_equal(vmk_kexec_plan_crash(p, &crash, 1), 0);
	ld.mode = VMK_KEXEC_CRASH;
	ld.dump = dumped;
	ld.ndump = 1;
	assert_int_equal(vmk_kexec_load_image(p, &ld), 0);
	k = vmk_kexec_find_seg(p, "kernel");
	assert_true(k->base == 0xb0000000);
	assert_true(vmk_kexec_find_seg(p, "elfcorehdr")->base >= k->base + k->memsz);
	assert_true(vmk_kexec_find_seg(p, "elfcorehdr")->base + 4096 <= 0xc0000000);
	assert_int_equal(vmk_kexec_verify(p), 0);
	ld.mode = VMK_KEXEC_NORMAL;
	ld.dump = NULL;
	ld.ndump = 0;

	/* Errors: status and message, nothing placed. */
	p = rv_virt();
	ld.dtb_size = 0;
	assert_int_equal(vmk_kexec_load_image(p, &ld), -VMK_EINVAL);
	assert_non_null(strstr(p->err, "device tree is required"));
	ld.dtb_size = 2 * MiB;
	assert_int_equal(vmk_kexec_load_image(p, &ld), -VMK_EINVAL);
	assert_non_null(strstr(p->err, "at most 2 MiB"));
	ld.dtb_size = 4096;
	ld.kernel_size = 64 * MiB;
	assert_int_equal(vmk_kexec_load_image(p, &ld), -VMK_EPARSE);
	assert_non_null(strstr(p->err, "larger than image_size"));
	ld.kernel_size = 0;
	make_riscv64(0x200000, 0, 0);
	assert_int_equal(vmk_kexec_load_image(p, &ld), -VMK_EPARSE);
	assert_non_null(strstr(p->err, "image_size is 0"));
	make_bzimage(0x020f, 1, 1, 0);
	assert_int_equal(vmk_kexec_load_image(p, &ld), -VMK_EPARSE);
	assert_non_null(strstr(p->err, "RSC\\x05"));
	/* RAM too small for the kernel: the placement error names the segment. */
	make_riscv64(0x200000, 24 * MiB, 0);
	p = fresh();
	vmk_kexec_add_ram(p, 0x80000000, 0x81000000);
	assert_int_equal(vmk_kexec_load_image(p, &ld), -VMK_ENOMEM);
	assert_non_null(strstr(p->err, "segment 'kernel'"));
	assert_int_equal(p->nseg, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bzimage_parse),
		cmocka_unit_test(test_x86_loader),
		cmocka_unit_test(test_x86_kdump_load),
		cmocka_unit_test(test_arm64_parse),
		cmocka_unit_test(test_arm64_loader),
		cmocka_unit_test(test_riscv64_parse),
		cmocka_unit_test(test_riscv64_loader),
	};

	vmk_sim_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
