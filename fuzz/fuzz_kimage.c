/*
 * libFuzzer target: kernel image headers (x86 bzImage setup header, arm64
 * and riscv64 Image headers) and the loader that turns them into placed
 * segments. Every input goes through all three parsers. Byte 0: bit 0
 * picks x86-64 (0) or an Image loader (1: riscv64 when the image carries
 * a riscv64 magic, else arm64), bit 1 a kdump load, bit 2 the placement
 * direction, bits 3-4 the RAM layout, bits 5-7 initrd, dtb and command
 * line; the rest is the image (header only; the file size is the
 * input's). Properties:
 *  - a parse that succeeds agrees with an independent reading of the
 *    header fields (magic, setup size, alignment rules, flags, sizes); a
 *    failure has a message; the riscv64 parser accepts exactly the
 *    headers the boot-image-header.rst rules allow;
 *  - a riscv64 kernel segment is based on a multiple of 2 MiB and of
 *    text_offset and spans image_size;
 *  - a load that succeeds places every segment inside RAM, outside the
 *    excluded ranges, not overlapping another, aligned as requested,
 *    inside its window and not crossing its boundary; a failure leaves
 *    a message in the plan.
 */
#include "fuzz_util.h"

#include <vmkit/kexec.h>
#include "sim.h"

static struct vmk_kexec_store st;
static struct vmk_kexec_plan plan;

static void check_bz(const uint8_t *b, size_t n, int r, const struct vmk_bzimage_info *bi, const char *err)
{
	unsigned int sects;

	if (r) {
		FZ_CHECK(r == -VMK_EPARSE && err[0], "error %d without a message", r);
		return;
	}
	FZ_CHECK(n >= 0x268 && fz_le(b + 0x202, 4) == 0x53726448u && fz_le(b + 0x1fe, 2) == 0xaa55, "no header");
	sects = b[0x1f1] ? b[0x1f1] : 4;
	FZ_CHECK(bi->setup_size == (sects + 1) * 512ull && bi->setup_size <= n &&
		 bi->kernel_size == n - bi->setup_size, "setup size");
	FZ_CHECK(bi->version == fz_le(b + 0x206, 2), "version");
	if (bi->version >= 0x205 && bi->relocatable)
		FZ_CHECK(bi->kernel_alignment && !(bi->kernel_alignment & (bi->kernel_alignment - 1)),
			 "kernel_alignment %#x", bi->kernel_alignment);
	if (bi->version >= 0x20a)
		FZ_CHECK(bi->init_size == fz_le(b + 0x260, 4) && bi->init_size && bi->min_alignment < 64 &&
			 bi->pref_address == fz_le(b + 0x258, 8), "2.10 fields");
}

static void check_arm64(const uint8_t *b, size_t n, int r, const struct vmk_arm64_image_info *ai,
			const char *err)
{
	if (r) {
		FZ_CHECK(r == -VMK_EPARSE && err[0], "error %d without a message", r);
		return;
	}
	FZ_CHECK(n >= 64 && fz_le(b + 0x38, 4) == VMK_ARM64_IMAGE_MAGIC && ai->file_size == n, "header");
	if (fz_le(b + 0x10, 8) == 0) {
		FZ_CHECK(ai->legacy && ai->text_offset == 0x80000, "legacy image");
		return;
	}
	FZ_CHECK(!ai->legacy && ai->text_offset == fz_le(b + 8, 8) && ai->image_size == fz_le(b + 0x10, 8) &&
		 ai->flags == fz_le(b + 0x18, 8), "fields");
	FZ_CHECK(ai->flags < 16 && ai->text_offset < VMK_ARM64_KERNEL_ALIGN && ai->text_offset % 4096 == 0 &&
		 ai->image_size <= (1ull << 48), "limits");
	FZ_CHECK(ai->big_endian == (ai->flags & 1) && ai->place_anywhere == ((ai->flags >> 3) & 1),
		 "flag bits");
}

/*
 * Documentation/arch/riscv/boot-image-header.rst, read byte by byte: magic2
 * "RSC\x05" at 0x38, or (version before 0.2) "RISCV\0\0\0" at 0x30; flags
 * 0 (bit 0 big-endian is refused, the rest reserved); an image_size that
 * fits 56 physical address bits; text_offset 0 or a power of two in
 * [4 KiB, 1 GiB].
 */
static bool rv_magic(const uint8_t *b, size_t n)
{
	return n >= 64 && (!memcmp(b + 0x38, "RSC\x05", 4) ||
			   (fz_le(b + 0x20, 4) < 2 && !memcmp(b + 0x30, "RISCV\0\0\0", 8)));
}

static void check_riscv64(const uint8_t *b, size_t n, int r, const struct vmk_riscv64_image_info *ri,
			  const char *err)
{
	uint64_t to, isz;
	bool ok;

	if (n < 64) {
		FZ_CHECK(r == -VMK_EPARSE && err[0], "short image accepted");
		return;
	}
	to = fz_le(b + 0x08, 8);
	isz = fz_le(b + 0x10, 8);
	ok = rv_magic(b, n) && fz_le(b + 0x18, 8) == 0 && isz && isz <= (1ull << 56) &&
	     (to == 0 || (to >= 4096 && to <= (1ull << 30) && __builtin_popcountll(to) == 1));
	if (r) {
		FZ_CHECK(r == -VMK_EPARSE && err[0], "error %d without a message", r);
		FZ_CHECK(!ok, "valid riscv64 header refused: %s", err);
		return;
	}
	FZ_CHECK(ok, "invalid riscv64 header accepted (text_offset %#llx image_size %#llx flags %#llx)",
		 (unsigned long long)to, (unsigned long long)isz, (unsigned long long)fz_le(b + 0x18, 8));
	FZ_CHECK(ri->text_offset == to && ri->image_size == isz && ri->flags == 0 && !ri->big_endian &&
		 ri->version == fz_le(b + 0x20, 4) && ri->file_size == n, "fields");
	FZ_CHECK(ri->legacy_magic == !!memcmp(b + 0x38, "RSC\x05", 4), "legacy magic");
}

static bool in_ram(const struct vmk_range *ram, size_t n, uint64_t b, uint64_t e)
{
	for (size_t i = 0; i < n; i++)
		if (b >= ram[i].base && e <= ram[i].end)
			return true;
	return false;
}

static void check_plan(const struct vmk_range *ram, size_t nram, const struct vmk_range *ex, size_t nex)
{
	for (size_t i = 0; i < plan.nseg; i++) {
		const struct vmk_kexec_seg *s = &plan.seg[i];
		const struct vmk_kexec_req *q = &s->req;
		uint64_t b = s->base, e = s->base + s->memsz, align = q->align ? q->align : 4096;

		FZ_CHECK(e > b && s->memsz >= q->memsz && s->memsz % 4096 == 0 && b % 4096 == 0,
			 "segment %s size", q->name);
		FZ_CHECK(in_ram(ram, nram, b, e), "segment %s [%#llx, %#llx) outside RAM", q->name,
			 (unsigned long long)b, (unsigned long long)e);
		for (size_t k = 0; k < nex; k++)
			FZ_CHECK(e <= ex[k].base || b >= ex[k].end, "segment %s in an excluded range", q->name);
		for (size_t k = 0; k < i; k++)
			FZ_CHECK(e <= plan.seg[k].base || b >= plan.seg[k].base + plan.seg[k].memsz,
				 "segments %s and %s overlap", q->name, plan.seg[k].req.name);
		FZ_CHECK((b - q->phase) % align == 0, "segment %s misaligned", q->name);
		FZ_CHECK(b >= q->min && (!q->max || e <= q->max), "segment %s outside its window", q->name);
		if (q->boundary)
			FZ_CHECK(b / q->boundary == (e - 1) / q->boundary, "segment %s crosses its boundary",
				 q->name);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct vmk_range layouts[4][3] = {
		{ { 0x100000, 0xc0000000 }, { 0x100000000, 0x180000000 } },
		{ { 0x40000000, 0x140000000 } },
		{ { 0x1000, 0x9f000 }, { 0x100000, 0x8000000 } },
		{ { 0x80000000, 0x80400000 }, { 0x880000000, 0x1000000000 } },
	};
	static const struct vmk_range excl[2] = { { 0x1000000, 0x2000000 }, { 0x100000000, 0x100200000 } };
	struct vmk_bzimage_info bi;
	struct vmk_arm64_image_info ai;
	struct vmk_riscv64_image_info ri;
	struct vmk_kexec_load ld;
	struct vmk_range dump[1] = { { 0x100000, 0x8000000 } };
	const struct vmk_range *ram;
	size_t nram;
	char err[160];
	uint8_t sel;
	int r;

	if (size < 1)
		return 0;
	sel = data[0];
	data++;
	size--;
	err[0] = 0;
	r = vmk_bzimage_parse(data, size, &bi, err, sizeof(err));
	check_bz(data, size, r, &bi, err);
	err[0] = 0;
	r = vmk_arm64_image_parse(data, size, &ai, err, sizeof(err));
	check_arm64(data, size, r, &ai, err);
	err[0] = 0;
	r = vmk_riscv64_image_parse(data, size, &ri, err, sizeof(err));
	check_riscv64(data, size, r, &ri, err);

	ram = layouts[(sel >> 3) & 3];
	nram = ram[1].end ? 2 : 1;
	vmk_kexec_plan_init_store(&plan, &st);
	vmk_kexec_set_dir(&plan, sel & 4 ? VMK_KEXEC_BOTTOM_UP : VMK_KEXEC_TOP_DOWN);
	for (size_t i = 0; i < nram; i++)
		FZ_CHECK(vmk_kexec_add_ram(&plan, ram[i].base, ram[i].end) == 0, "add_ram");
	for (size_t i = 0; i < 2; i++)
		FZ_CHECK(vmk_kexec_exclude(&plan, excl[i].base, excl[i].end, VMK_KEXEC_EXCL_RESERVED, "fw") == 0,
			 "exclude");
	memset(&ld, 0, sizeof(ld));
	ld.arch = !(sel & 1) ? VMK_KEXEC_ARCH_X86_64 : rv_magic(data, size) ? VMK_KEXEC_ARCH_RISCV64
									 : VMK_KEXEC_ARCH_ARM64;
	ld.mode = sel & 2 ? VMK_KEXEC_CRASH : VMK_KEXEC_NORMAL;
	ld.kernel = data;
	ld.kernel_len = size;
	ld.initrd_size = sel & 0x20 ? 0 : 0x1000000;
	ld.dtb_size = sel & 0x40 ? 0 : 0x10000;
	ld.cmdline = sel & 0x80 ? "console=ttyS0 root=/dev/vda" : NULL;
	ld.ncpus = 4;
	ld.dump = dump;
	ld.ndump = 1;
	r = vmk_kexec_load_image(&plan, &ld);
	if (r) {
		FZ_CHECK(plan.err[0], "load failed (%d) without a message", r);
		return 0;
	}
	check_plan(ram, nram, excl, 2);
	if (ld.arch == VMK_KEXEC_ARCH_RISCV64) {
		uint64_t al = ri.text_offset > (2u << 20) ? ri.text_offset : 2u << 20;

		FZ_CHECK(plan.nseg >= 2 && !strcmp(plan.seg[0].req.name, "kernel") &&
			 plan.seg[0].base % al == 0 && plan.seg[0].memsz >= ri.image_size,
			 "riscv64 kernel segment at %#llx (text_offset %#llx)",
			 (unsigned long long)plan.seg[0].base, (unsigned long long)ri.text_offset);
	}
	return 0;
}
