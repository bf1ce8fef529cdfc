/* Tests of the image header parsers and the x86-64 / arm64 loaders. */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bzimage_parse),
		cmocka_unit_test(test_x86_loader),
		cmocka_unit_test(test_x86_kdump_load),
		cmocka_unit_test(test_arm64_parse),
		cmocka_unit_test(test_arm64_loader),
	};

	vmk_sim_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
