/*
 * kmap (include/vmkit/kmap.h): the kernel image by section with W^X, the
 * direct map from real firmware maps, the mapping report and its W^X
 * check, and failure injection with nothing leaked.
 *
 * Oracles are independent of the code under test: translations are read
 * with vmk_pmap_extract (not the walker the report uses); which firmware
 * entries are memory comes from the boot policy (vmk_boot_action_arch);
 * the expected memory type is restated here from the UEFI attribute bits.
 */
#include "kmem_util.h"

#include <vmkit/boot.h>
#include <vmkit/fwmap.h>
#include <vmkit/kmap.h>
#include <vmkit/resource.h>

#include "fwmap_test.h"
#include "sim.h"

#define RX	(VMK_PROT_READ | VMK_PROT_EXEC)
#define R	VMK_PROT_READ
#define RW	(VMK_PROT_READ | VMK_PROT_WRITE)
#define RWX	(VMK_PROT_READ | VMK_PROT_WRITE | VMK_PROT_EXEC)
#define MiB	(1ull << 20)
#define GiB	(1ull << 30)

static const enum vmk_pmap_arch_id arches[2] = { VMK_PMAP_ARCH_X86_64, VMK_PMAP_ARCH_ARM64 };

/* Where tests map images: 64 GiB into the test window, 2 MiB aligned. */
static vmk_vaddr_t image_va(void)
{
	return pmt_kva() + 64 * GiB;
}

static void expect_map(vmk_vaddr_t va, vmk_paddr_t pa, uint64_t size, uint32_t prot, enum vmk_memtype mt)
{
	struct vmk_pmap_mapping m;

	if (vmk_pmap_extract(vmk_pmap_kernel(), va, &m))
		fail_msg("%#llx: not mapped", (unsigned long long)va);
	if (m.pa != pa || (size && m.size != size) || m.prot != prot || m.memtype != mt || m.user)
		fail_msg("%#llx: pa %#llx size %#llx prot %u mt %u; want pa %#llx size %#llx prot %u mt %u",
			 (unsigned long long)va, (unsigned long long)m.pa, (unsigned long long)m.size, m.prot,
			 m.memtype, (unsigned long long)pa, (unsigned long long)size, prot, mt);
}

static void expect_unmapped(vmk_vaddr_t va)
{
	struct vmk_pmap_mapping m;

	if (!vmk_pmap_extract(vmk_pmap_kernel(), va, &m))
		fail_msg("%#llx: mapped (pa %#llx size %#llx), expected nothing", (unsigned long long)va,
			 (unsigned long long)m.pa, (unsigned long long)m.size);
}

/* ---- the image ---- */

/* text 4 MiB + 8 KiB r-x, rodata 2 MiB - 8 KiB r--, data 3 MiB rw-, bss 1 MiB rw-: all 2 MiB-aligned pieces. */
static const struct vmk_kmap_section img[4] = {
	{ 4 * MiB + 8192, RX, 0 },
	{ 2 * MiB - 8192, R, 0 },
	{ 3 * MiB, RW, 0 },
	{ 1 * MiB, RW, 0 },
};

static void test_image_by_section(void **st)
{
	(void)st;
	for (unsigned int a = 0; a < 2; a++) {
		vmk_vaddr_t va;
		struct vmk_kmap_report r;

		pmt_boot_arch(arches[a]);
		va = image_va();
		assert_int_equal(vmk_kmap_image(vmk_pmap_kernel(), va, PMT_DATA, img, 4), 0);
		/* text: two 2 MiB leaves, then two 4 KiB pages */
		expect_map(va, PMT_DATA, 2 * MiB, RX, VMK_MEMTYPE_WB);
		expect_map(va + 2 * MiB, PMT_DATA + 2 * MiB, 2 * MiB, RX, VMK_MEMTYPE_WB);
		expect_map(va + 4 * MiB + 4096, PMT_DATA + 4 * MiB + 4096, 4096, RX, VMK_MEMTYPE_WB);
		/* rodata: 4 KiB pages up to 6 MiB */
		expect_map(va + 4 * MiB + 8192, PMT_DATA + 4 * MiB + 8192, 4096, R, VMK_MEMTYPE_WB);
		expect_map(va + 6 * MiB - 4096, PMT_DATA + 6 * MiB - 4096, 4096, R, VMK_MEMTYPE_WB);
		/* data and bss are one rw- run: two 2 MiB leaves spanning both */
		expect_map(va + 6 * MiB, PMT_DATA + 6 * MiB, 2 * MiB, RW, VMK_MEMTYPE_WB);
		expect_map(va + 8 * MiB + 4096, PMT_DATA + 8 * MiB + 4096, 2 * MiB, RW, VMK_MEMTYPE_WB);
		expect_unmapped(va + 10 * MiB);
		expect_unmapped(va - 4096);
		/* The report agrees with the tables: 10 MiB, nothing W+X. */
		assert_int_equal(vmk_kmap_report(vmk_pmap_kernel(), 0, 0, &r), 0);
		assert_true(r.bytes == 10 * MiB);
		assert_int_equal(r.leaves, 2 + 2 + 510 + 2);
		assert_int_equal(r.wx_leaves, 0);
		assert_int_equal(r.user_leaves, 0);
		pmt_check(vmk_pmap_kernel());
		pmt_shutdown();
	}
}

/* An empty section (a linker script's empty .rodata, say) maps nothing and joins nothing. */
static void test_image_empty_section(void **st)
{
	static const struct vmk_kmap_section s[3] = {
		{ 2 * MiB, RX, 0 },
		{ 0, R, 0 },
		{ 2 * MiB, RW, 0 },
	};
	vmk_vaddr_t va;
	struct vmk_kmap_report r;

	(void)st;
	pmt_boot_arch(VMK_PMAP_ARCH_X86_64);
	va = image_va();
	assert_int_equal(vmk_kmap_image(vmk_pmap_kernel(), va, PMT_DATA, s, 3), 0);
	expect_map(va, PMT_DATA, 2 * MiB, RX, VMK_MEMTYPE_WB);
	expect_map(va + 2 * MiB, PMT_DATA + 2 * MiB, 2 * MiB, RW, VMK_MEMTYPE_WB);
	expect_unmapped(va + 4 * MiB);
	assert_int_equal(vmk_kmap_report(vmk_pmap_kernel(), 0, 0, &r), 0);
	assert_true(r.bytes == 4 * MiB);
	assert_int_equal(r.wx_leaves, 0);
	pmt_check(vmk_pmap_kernel());
	pmt_shutdown();
}

/*
 * Empty sections first in the image map nothing and shift nothing; a
 * NULL section list, sizes whose sum overflows and an image that would
 * wrap past 2^64 (virtually or physically) are refused, nothing mapped.
 */
static void test_image_empty_first_and_wraps(void **st)
{
	static const struct vmk_kmap_section s[4] = {
		{ 0, RW, 0 },
		{ 0, RX, 0 },
		{ 2 * MiB, RX, 0 },
		{ 2 * MiB, RW, 0 },
	};
	struct vmk_kmap_section huge[2] = { { ~0ull & ~0xfffull, R, 0 }, { 0x2000, R, 0 } };
	struct vmk_pmap_stats ps;
	vmk_vaddr_t va;

	(void)st;
	pmt_boot_arch(VMK_PMAP_ARCH_X86_64);
	va = image_va();
	assert_int_equal(vmk_kmap_image(vmk_pmap_kernel(), va, PMT_DATA, NULL, 1), -VMK_EINVAL);
	assert_int_equal(vmk_kmap_image(vmk_pmap_kernel(), va, PMT_DATA, huge, 2), -VMK_EINVAL);
	assert_int_equal(vmk_kmap_image(vmk_pmap_kernel(), 0xffffffffffffe000ull, PMT_DATA, s, 4), -VMK_EINVAL);
	assert_int_equal(vmk_kmap_image(vmk_pmap_kernel(), va, 0xffffffffffffe000ull, s, 4), -VMK_EINVAL);
	vmk_pmap_stats(vmk_pmap_kernel(), &ps);
	assert_int_equal(ps.resident, 0);
	assert_int_equal(vmk_kmap_image(vmk_pmap_kernel(), va, PMT_DATA, s, 4), 0);
	expect_map(va, PMT_DATA, 2 * MiB, RX, VMK_MEMTYPE_WB);
	expect_map(va + 2 * MiB, PMT_DATA + 2 * MiB, 2 * MiB, RW, VMK_MEMTYPE_WB);
	expect_unmapped(va + 4 * MiB);
	pmt_check(vmk_pmap_kernel());
	pmt_shutdown();
}

/* Misaligned physical placement: same layout, 4 KiB pages only, still W^X. */
static void test_image_misaligned_pa(void **st)
{
	struct vmk_pmap_stats ps;

	(void)st;
	pmt_boot_arch(VMK_PMAP_ARCH_X86_64);
	assert_int_equal(vmk_kmap_image(vmk_pmap_kernel(), image_va(), PMT_DATA + 4096, img, 4), 0);
	vmk_pmap_stats(vmk_pmap_kernel(), &ps);
	assert_int_equal(ps.mappings[1] + ps.mappings[2], 0);
	assert_int_equal(ps.mappings[0], 10 * MiB / 4096);
	expect_map(image_va(), PMT_DATA + 4096, 4096, RX, VMK_MEMTYPE_WB);
	expect_map(image_va() + 6 * MiB, PMT_DATA + 4096 + 6 * MiB, 4096, RW, VMK_MEMTYPE_WB);
	pmt_check(vmk_pmap_kernel());
	pmt_shutdown();
}

static void test_image_refuses(void **st)
{
	struct vmk_kmap_section bad[2] = { { 2 * MiB, RX, 0 }, { 4096, RWX, 0 } };
	struct vmk_kmap_section odd[1] = { { 4096 + 12, RW, 0 } };
	struct vmk_pmap_stats ps;

	(void)st;
	pmt_boot_arch(VMK_PMAP_ARCH_X86_64);
	/* A writable and executable section is refused before anything is mapped. */
	assert_int_equal(vmk_kmap_image(vmk_pmap_kernel(), image_va(), PMT_DATA, bad, 2), -VMK_EINVAL);
	assert_int_equal(vmk_kmap_image(vmk_pmap_kernel(), image_va(), PMT_DATA, odd, 1), -VMK_EINVAL);
	assert_int_equal(vmk_kmap_image(vmk_pmap_kernel(), image_va() + 12, PMT_DATA, img, 4), -VMK_EINVAL);
	vmk_pmap_stats(vmk_pmap_kernel(), &ps);
	assert_int_equal(ps.resident, 0);
	/* Something already mapped in the middle: -VMK_EEXIST, and the part mapped before it is gone. */
	assert_int_equal(vmk_pmap_enter(vmk_pmap_kernel(), image_va() + 7 * MiB, PMT_DATA, R, 0), 0);
	assert_int_equal(vmk_kmap_image(vmk_pmap_kernel(), image_va(), PMT_DATA, img, 4), -VMK_EEXIST);
	vmk_pmap_stats(vmk_pmap_kernel(), &ps);
	assert_int_equal(ps.resident, 1);
	expect_unmapped(image_va());
	expect_unmapped(image_va() + 4 * MiB);
	pmt_check(vmk_pmap_kernel());
	pmt_shutdown();
}

/*
 * Releasable sections (preloads) keep a spare in every large leaf that
 * touches them, including the leaf they share with data, and never get
 * a 1 GiB leaf (the same layout without the flag gets one):
 * vmk_kmem_bootstrap_free then demotes without allocating.
 */
static void test_image_releasable_spares(void **st)
{
	(void)st;
	for (unsigned int a = 0; a < 2; a++) {
		/* text 2M, rodata 2M, data 1M, preloads up to 2 GiB (physical [2G+5M, 4G)) */
		const uint64_t psize = 2 * GiB - 5 * MiB;
		struct vmk_kmap_section s[4] = {
			{ 2 * MiB, RX, 0 }, { 2 * MiB, R, 0 }, { 1 * MiB, RW, 0 }, { psize, RW, VMK_KMAP_RELEASABLE },
		};
		struct vmk_pmap_stats before, after;
		struct vmk_phys_stats p0, p1;
		vmk_vaddr_t va, pre;

		kmt_boot(arches[a]);
		va = kmt_boot_va();
		pre = va + 5 * MiB;
		/* Control: without the flag, the whole aligned GiB inside is one 1 GiB leaf, no spare. */
		vmk_pmap_stats(vmk_pmap_kernel(), &before);
		s[3].flags = 0;
		assert_int_equal(vmk_kmap_image(vmk_pmap_kernel(), va + 4 * GiB, PMT_DATA, s, 4), 0);
		vmk_pmap_stats(vmk_pmap_kernel(), &after);
		assert_int_equal(after.mappings[2] - before.mappings[2], 1);
		assert_int_equal(after.mappings[1] - before.mappings[1], 2 + 510);
		expect_map(va + 5 * GiB, PMT_DATA + GiB, GiB, RW, VMK_MEMTYPE_WB);
		assert_int_equal(vmk_pmap_remove(vmk_pmap_kernel(), va + 4 * GiB, va + 6 * GiB), 0);

		s[3].flags = VMK_KMAP_RELEASABLE;
		vmk_pmap_stats(vmk_pmap_kernel(), &before);
		assert_int_equal(vmk_kmap_image(vmk_pmap_kernel(), va, PMT_DATA, s, 4), 0);
		vmk_pmap_stats(vmk_pmap_kernel(), &after);
		/* rw- run [4M, 2G): 1022 2 MiB leaves, each with a spare; text and rodata have none */
		assert_int_equal(after.mappings[2] - before.mappings[2], 0);
		assert_int_equal(after.mappings[1] - before.mappings[1], 2 + 1022);
		assert_int_equal(after.spare_ptps - before.spare_ptps, 1022);
		expect_map(va + GiB, PMT_DATA + GiB, 2 * MiB, RW, VMK_MEMTYPE_WB);
		/* Free the preloads but their last page: spares only, no page-table page allocated. */
		vmk_phys_drain_all_quiescent();
		vmk_phys_get_stats(&p0);
		assert_int_equal(vmk_kmem_bootstrap_free(pre, psize - 4096), 0);
		vmk_phys_drain_all_quiescent();
		vmk_phys_get_stats(&p1);
		assert_true(p1.free == p0.free + (psize - 4096) / 4096);
		expect_map(va + 4 * MiB, PMT_DATA + 4 * MiB, 4096, RW, VMK_MEMTYPE_WB);	/* data stays */
		expect_unmapped(pre);
		expect_unmapped(pre + GiB);
		expect_map(pre + psize - 4096, PMT_DATA + 5 * MiB + psize - 4096, 4096, RW, VMK_MEMTYPE_WB);
		kmt_check();
		kmt_shutdown();
	}
}

/* ---- the report: W^X through the tables ---- */

static void test_report_flags_wx_mutant(void **st)
{
	(void)st;
	for (unsigned int a = 0; a < 2; a++) {
		struct vmk_kmap_report r;
		vmk_vaddr_t bad;

		pmt_boot_arch(arches[a]);
		assert_int_equal(vmk_kmap_image(vmk_pmap_kernel(), image_va(), PMT_DATA, img, 4), 0);
		assert_int_equal(vmk_kmap_report(vmk_pmap_kernel(), 0, 0, &r), 0);
		/* The mutant: one page writable and executable, entered through the pmap directly. */
		bad = image_va() + 300 * MiB;
		assert_int_equal(vmk_pmap_enter(vmk_pmap_kernel(), bad, PMT_DATA + 64 * MiB, RWX, 0), 0);
		assert_int_equal(vmk_kmap_report(vmk_pmap_kernel(), 0, 0, &r), 1);
		assert_int_equal(r.wx_leaves, 1);
		assert_true(r.wx_bytes == 4096);
		assert_true(r.wx_first == bad);
		/* A range that leaves it out is clean; one that cuts a 2 MiB leaf counts only its part. */
		assert_int_equal(vmk_kmap_report(vmk_pmap_kernel(), image_va(), image_va() + 10 * MiB, &r), 0);
		assert_int_equal(vmk_kmap_report(vmk_pmap_kernel(), image_va() + MiB, image_va() + 3 * MiB, &r), 0);
		assert_true(r.bytes == 2 * MiB);
		assert_int_equal(r.leaves, 2);
		/* A W+X 2 MiB block (a large mutant) counts its 2 MiB. */
		assert_int_equal(vmk_pmap_enter_large(vmk_pmap_kernel(), image_va() + 400 * MiB, PMT_DATA + 128 * MiB,
						      2 * MiB, RWX, 0), 0);
		assert_int_equal(vmk_kmap_report(vmk_pmap_kernel(), 0, 0, &r), 1);
		assert_int_equal(r.wx_leaves, 2);
		assert_true(r.wx_bytes == 2 * MiB + 4096);
		assert_int_equal(vmk_kmap_report(vmk_pmap_kernel(), 5, 5, &r), -VMK_EINVAL);
		pmt_shutdown();
	}
}

/* ---- the direct map on real firmware maps ---- */

struct realmap {
	const char *file;
	int how;		/* 0: binary UEFI (48-byte descriptors), 1: dmesg, 2: UEFI text, 3: /proc/iomem */
	enum vmk_pmap_arch_id arch;
	uint32_t policy;	/* enum vmk_boot_arch */
};

static const struct realmap realmaps[] = {
	{ "qemu-q35-ovmf-x86_64-256M.efimap", 0, VMK_PMAP_ARCH_X86_64, VMK_BOOT_ARCH_X86_64 },
	{ "qemu-q35-ovmf-x86_64-1G.efimap", 0, VMK_PMAP_ARCH_X86_64, VMK_BOOT_ARCH_X86_64 },
	{ "qemu-q35-ovmf-x86_64-4G.efimap", 0, VMK_PMAP_ARCH_X86_64, VMK_BOOT_ARCH_X86_64 },
	{ "qemu-virt-aavmf-aarch64-256M.efimap", 0, VMK_PMAP_ARCH_ARM64, VMK_BOOT_ARCH_ARM64 },
	{ "qemu-virt-aavmf-aarch64-1G.efimap", 0, VMK_PMAP_ARCH_ARM64, VMK_BOOT_ARCH_ARM64 },
	{ "qemu-virt-aavmf-aarch64-4G.efimap", 0, VMK_PMAP_ARCH_ARM64, VMK_BOOT_ARCH_ARM64 },
	{ "e820-x86-journal.txt", 1, VMK_PMAP_ARCH_X86_64, VMK_BOOT_ARCH_X86_64 },
	{ "e820-x86-linux3.16.txt", 1, VMK_PMAP_ARCH_X86_64, VMK_BOOT_ARCH_X86_64 },
	{ "e820-x86-qemu-i440fx.txt", 1, VMK_PMAP_ARCH_X86_64, VMK_BOOT_ARCH_X86_64 },
	{ "efi-x86-linux3.16.txt", 1, VMK_PMAP_ARCH_X86_64, VMK_BOOT_ARCH_X86_64 },
	{ "efi-x86-linux4.txt", 2, VMK_PMAP_ARCH_X86_64, VMK_BOOT_ARCH_X86_64 },
	{ "iomem-x86-centos6.txt", 3, VMK_PMAP_ARCH_X86_64, VMK_BOOT_ARCH_X86_64 },
	/* arm64's /proc/iomem names its NOMAP memory "reserved": the arm64 policy keeps it unmapped */
	{ "iomem-arm64-nested.txt", 3, VMK_PMAP_ARCH_ARM64, VMK_BOOT_ARCH_ARM64 },
};

static void iomem_to_fwmap(struct fm *f, const char *text, size_t len)
{
	enum { NODES = 8192 };
	struct vmk_resource *nodes = calloc(NODES, sizeof(*nodes));
	char *names = malloc(NODES * 64);
	struct vmk_resource_pool pool;
	struct vmk_resource root;
	struct vmk_resource_error err;

	assert_true(nodes && names);
	vmk_resource_pool_init(&pool, nodes, NODES, names, NODES * 64);
	vmk_iomem_root_init(&root);
	assert_int_equal(vmk_resource_parse(&root, &pool, text, len, &err), 0);
	assert_int_equal(vmk_resource_to_fwmap(&root, &f->m), 0);
	free(nodes);
	free(names);
}

static struct fm *load_map(const struct realmap *k)
{
	struct fm *f = fm_new(1024);
	char rel[256];
	size_t len, ds = 0;
	char *blob;

	snprintf(rel, sizeof(rel), "memmaps/%s", k->file);
	blob = th_read_data(rel, &len);
	if (k->how == 0) {
		assert_int_equal(vmk_fwmap_efi_guess_desc_size(blob, len, &ds), 0);
		assert_int_equal(vmk_fwmap_parse_efi(&f->m, blob, len, ds, 1, &f->d), 0);
	} else if (k->how == 1) {
		assert_int_equal(vmk_fwmap_parse_dmesg(&f->m, blob, len, &f->d), 0);
	} else if (k->how == 3) {
		iomem_to_fwmap(f, blob, len);
	} else {
		assert_int_equal(vmk_fwmap_parse_efi_text(&f->m, blob, len, &f->d), 0);
	}
	assert_int_equal(vmk_fwmap_sanitize(&f->m, NULL, &f->d), 0);
	free(blob);
	return f;
}

/* The memory type the firmware allows, restated from the UEFI cacheability bits. */
static enum vmk_memtype want_mt(const struct vmk_fwmap_entry *e, uint32_t format)
{
	if (format != VMK_FWMAP_FMT_EFI || (e->attr & 0x8))
		return VMK_MEMTYPE_WB;
	return (e->attr & 0x2) ? VMK_MEMTYPE_WC : VMK_MEMTYPE_UC;
}

static bool is_mem(const struct vmk_fwmap_entry *e, const struct fm *f, uint32_t policy)
{
	enum vmk_boot_action a = vmk_boot_action_arch(e, f->m.format, policy);

	return a == VMK_BOOT_FREE || a == VMK_BOOT_RESERVE;
}

/* Every page of the first and last 2 MiB of [s, t), and one per 2 MiB between, is unmapped. */
static void expect_hole(vmk_vaddr_t dmap, uint64_t s, uint64_t t)
{
	for (uint64_t pa = s; pa < t;) {
		uint64_t next = pa + 4096;

		expect_unmapped(dmap + pa);
		if (pa - s >= 2 * MiB && t - pa > 2 * MiB)
			next = VMK_MIN(pa + 2 * MiB, t - 2 * MiB);
		pa = next;
	}
}

static void check_direct(const struct realmap *k, const struct fm *f, vmk_vaddr_t dmap,
			 const struct vmk_kmap_direct_stats *ds, uint64_t *n1g, uint64_t *n2m)
{
	uint64_t mapped = 0;

	for (size_t i = 0; i < f->m.n; i++) {
		const struct vmk_fwmap_entry *e = &f->m.e[i];
		uint64_t s = VMK_ALIGN_UP(e->base, 4096), t = VMK_ALIGN_DOWN(e->base + e->size, 4096);

		if (s >= t)
			continue;
		if (!is_mem(e, f, k->policy)) {
			expect_hole(dmap, s, t);
			continue;
		}
		mapped += t - s;
		for (uint64_t pa = s; pa < t; pa += (pa + 2 * MiB < t ? 2 * MiB : 4096))
			expect_map(dmap + pa, pa, 0, RW, want_mt(e, f->m.format));
		expect_map(dmap + t - 4096, t - 4096, 0, RW, want_mt(e, f->m.format));
	}
	assert_true(ds->bytes == mapped);
	/* Large leaves wherever a whole aligned 1 GiB / 2 MiB lies in one run of equal memory type. */
	for (size_t i = 0; i < f->m.n;) {
		const struct vmk_fwmap_entry *e = &f->m.e[i];
		uint64_t s = e->base, t = e->base + e->size;
		enum vmk_memtype mt = want_mt(e, f->m.format);
		size_t j = i + 1;

		if (!is_mem(e, f, k->policy)) {
			i++;
			continue;
		}
		while (j < f->m.n && f->m.e[j].base == t && is_mem(&f->m.e[j], f, k->policy) &&
		       want_mt(&f->m.e[j], f->m.format) == mt) {
			t = f->m.e[j].base + f->m.e[j].size;
			j++;
		}
		i = j;
		s = VMK_ALIGN_UP(s, 2 * MiB);
		for (uint64_t pa = s; pa + 2 * MiB <= t;) {
			if (!(pa & (GiB - 1)) && pa + GiB <= t) {
				expect_map(dmap + pa, pa, GiB, RW, mt);
				(*n1g)++;
				pa += GiB;
			} else {
				expect_map(dmap + pa, pa, 2 * MiB, RW, mt);
				(*n2m)++;
				pa += 2 * MiB;
			}
		}
	}
}

static void test_direct_map_real_maps(void **st)
{
	uint64_t n1g = 0, n2m = 0;

	(void)st;
	for (size_t c = 0; c < VMK_ARRAY_SIZE(realmaps); c++) {
		const struct realmap *k = &realmaps[c];
		struct fm *f = load_map(k);
		struct vmk_kmap_direct_stats ds;
		struct vmk_kmap_report r;
		vmk_vaddr_t dmap;

		pmt_boot_arch(k->arch);
		dmap = pmt_kva();
		assert_int_equal(vmk_kmap_direct(vmk_pmap_kernel(), dmap, &f->m, k->policy, &ds), 0);
		check_direct(k, f, dmap, &ds, &n1g, &n2m);
		/* The report sees exactly the direct map: read-write, never executable. */
		assert_int_equal(vmk_kmap_report(vmk_pmap_kernel(), 0, 0, &r), 0);
		assert_true(r.bytes == ds.bytes);
		for (size_t i = 0; i < r.ncls; i++)
			assert_int_equal(r.cls[i].prot, RW);
		pmt_check(vmk_pmap_kernel());
		pmt_shutdown();
		fprintf(stderr, "%s: %llu bytes in %llu runs, %llu/%llu/%llu leaves of 4K/2M/1G\n", k->file,
			(unsigned long long)ds.bytes, (unsigned long long)ds.runs, (unsigned long long)ds.leaves[0],
			(unsigned long long)ds.leaves[1], (unsigned long long)ds.leaves[2]);
		free(f);
	}
	/* The 4 GiB maps have whole aligned gigabytes ([4G, 6G) on q35, [1G, 2G) and more on virt). */
	assert_true(n1g >= 4);
	assert_true(n2m > 100);
}

/* A no-map entry and a UC-only entry inside RAM: never under a large leaf, and the UC one not cached. */
static void test_direct_map_holes_and_types(void **st)
{
	struct fm *f = fm_new(16);
	struct vmk_fwmap_entry e[5] = {
		/* conventional WB, runtime data (NOMAP on both policies), conventional WB, conventional WC-only, MMIO */
		{ 0, GiB + 4096, VMK_MEM_USABLE, 7, 0xf, 0, 1 },
		{ GiB + 4096, 8192, VMK_MEM_RUNTIME_DATA, 6, 0x800000000000000full, VMK_FWMAP_F_RUNTIME, 2 },
		{ GiB + 12288, 3 * GiB - 12288, VMK_MEM_USABLE, 7, 0xf, 0, 3 },
		{ 4 * GiB, 2 * MiB, VMK_MEM_USABLE, 7, 0x3, 0, 4 },
		{ 4 * GiB + 2 * MiB, 2 * MiB, VMK_MEM_MMIO, 11, 0x1, 0, 5 },
	};
	struct vmk_kmap_direct_stats ds;

	(void)st;
	f->m.format = VMK_FWMAP_FMT_EFI;
	for (int i = 0; i < 5; i++)
		assert_int_equal(vmk_fwmap_add_entry(&f->m, &e[i]), 0);
	for (unsigned int a = 0; a < 2; a++) {
		vmk_vaddr_t d;

		pmt_boot_arch(arches[a]);
		d = pmt_kva();
		assert_int_equal(vmk_kmap_direct(vmk_pmap_kernel(), d, &f->m, a ? VMK_BOOT_ARCH_ARM64 : VMK_BOOT_ARCH_X86_64,
						 &ds), 0);
		expect_map(d, 0, GiB, RW, VMK_MEMTYPE_WB);
		/* the 2 MiB around the runtime pages is 4 KiB pages, the runtime pages themselves unmapped */
		expect_map(d + GiB, GiB, 4096, RW, VMK_MEMTYPE_WB);
		expect_unmapped(d + GiB + 4096);
		expect_unmapped(d + GiB + 8192);
		expect_map(d + GiB + 12288, GiB + 12288, 4096, RW, VMK_MEMTYPE_WB);
		expect_map(d + GiB + 2 * MiB, GiB + 2 * MiB, 2 * MiB, RW, VMK_MEMTYPE_WB);
		expect_map(d + 2 * GiB, 2 * GiB, GiB, RW, VMK_MEMTYPE_WB);
		expect_map(d + 3 * GiB, 3 * GiB, GiB, RW, VMK_MEMTYPE_WB);
		if (a == 0) {
			/* x86 policy: WC-only conventional memory is RAM, mapped write-combining */
			expect_map(d + 4 * GiB, 4 * GiB, 2 * MiB, RW, VMK_MEMTYPE_WC);
			assert_true(ds.bytes_by_memtype[VMK_MEMTYPE_WC] == 2 * MiB);
		} else {
			/* arm64 policy: conventional memory without WB is NOMAP */
			expect_unmapped(d + 4 * GiB);
		}
		expect_unmapped(d + 4 * GiB + 2 * MiB);
		assert_true(ds.bytes == 4 * GiB - 8192 + (a == 0 ? 2 * MiB : 0));
		pmt_check(vmk_pmap_kernel());
		pmt_shutdown();
	}
	free(f);
}

/* ---- failure injection: every allocation site, nothing leaked ---- */

struct leakcheck {
	uint64_t free, ptp, alloc;
	uint64_t other_ptp;	/* PTP frames outside the kernel pmap's counts (arm64: the empty user root) */
};

static void leak_snap(struct leakcheck *l)
{
	struct vmk_phys_stats ps;
	struct vmk_pmap_stats ks;

	vmk_phys_drain_all_quiescent();
	vmk_phys_get_stats(&ps);
	l->free = ps.free;
	l->ptp = ps.state[VMK_PAGE_PTP];
	l->alloc = ps.state[VMK_PAGE_ALLOC];
	vmk_pmap_stats(vmk_pmap_kernel(), &ks);
	l->other_ptp = l->ptp - ks.ptps - ks.spare_ptps - ks.reserve_ptps;
}

/*
 * After a failure: nothing mapped, and every frame that left the free
 * lists is a page-table page the kernel pmap counts (kernel PTPs stay,
 * by design; spares and reserve included).
 */
static void expect_clean(const struct leakcheck *l0, const char *what)
{
	struct vmk_pmap_stats ks;
	struct leakcheck l;

	leak_snap(&l);
	vmk_pmap_stats(vmk_pmap_kernel(), &ks);
	if (ks.resident || ks.mappings[0] || ks.mappings[1] || ks.mappings[2])
		fail_msg("%s: %llu pages still mapped", what, (unsigned long long)ks.resident);
	if (l.alloc != l0->alloc || l0->free - l.free != l.ptp - l0->ptp)
		fail_msg("%s: free %llu -> %llu, PTP %llu -> %llu, alloc %llu -> %llu", what,
			 (unsigned long long)l0->free, (unsigned long long)l.free, (unsigned long long)l0->ptp,
			 (unsigned long long)l.ptp, (unsigned long long)l0->alloc, (unsigned long long)l.alloc);
	if (l.other_ptp != l0->other_ptp)
		fail_msg("%s: %llu PTP frames, the kernel pmap holds %llu + %llu spare + %llu reserve", what,
			 (unsigned long long)l.ptp, (unsigned long long)ks.ptps, (unsigned long long)ks.spare_ptps,
			 (unsigned long long)ks.reserve_ptps);
	pmt_check(vmk_pmap_kernel());
}

static int run_image(const struct fm *f)
{
	static const struct vmk_kmap_section s[5] = {
		{ 4 * MiB + 8192, RX, 0 }, { 2 * MiB - 8192, R, 0 }, { 3 * MiB, RW, 0 }, { 1 * MiB, RW, 0 },
		{ 6 * MiB + 4096, RW, VMK_KMAP_RELEASABLE },
	};

	(void)f;
	return vmk_kmap_image(vmk_pmap_kernel(), image_va(), PMT_DATA, s, 5);
}

static int run_direct(const struct fm *f)
{
	return vmk_kmap_direct(vmk_pmap_kernel(), pmt_kva(), &f->m, VMK_BOOT_ARCH_X86_64, NULL);
}

static void test_fault_sweep(void **st)
{
	static const struct realmap q35 = { "qemu-q35-ovmf-x86_64-4G.efimap", 0, VMK_PMAP_ARCH_X86_64,
					     VMK_BOOT_ARCH_X86_64 };
	int (*const runs[2])(const struct fm *) = { run_image, run_direct };
	static const char *const names[2] = { "image", "direct map" };
	struct fm *f = load_map(&q35);

	(void)st;
	for (unsigned int a = 0; a < 2; a++) {
		for (unsigned int k = 0; k < 2; k++) {
			unsigned long n;

			/* A fresh machine each time: every table the call needs is allocated by it. */
			for (n = 0;; n++) {
				struct leakcheck l0;
				char what[96];
				int r;

				pmt_boot_arch(arches[a]);
				leak_snap(&l0);
				vmk_sim_fail_nth(n, NULL, false);
				r = runs[k](f);
				if (vmk_sim_faults_injected() == 0) {
					vmk_sim_fail_off();
					assert_int_equal(r, 0);
					pmt_shutdown();
					break;
				}
				vmk_sim_fail_off();
				snprintf(what, sizeof(what), "%s, %s, failure %lu", pmt_arch_name(arches[a]), names[k], n);
				if (r == 0) {
					/* A failure the pmap absorbed (a reserve refill): the mapping is complete. */
					pmt_check(vmk_pmap_kernel());
					pmt_shutdown();
					continue;
				}
				assert_int_equal(r, -VMK_ENOMEM);
				expect_clean(&l0, what);
				/* The same call succeeds once memory is there again, over the kept tables. */
				assert_int_equal(runs[k](f), 0);
				pmt_check(vmk_pmap_kernel());
				pmt_shutdown();
			}
			fprintf(stderr, "sweep %s %s: %lu allocation sites, all unwound\n", pmt_arch_name(arches[a]),
				names[k], n);
			assert_true(n >= 3);
		}
	}
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_image_by_section),
		cmocka_unit_test(test_image_empty_section),
		cmocka_unit_test(test_image_empty_first_and_wraps),
		cmocka_unit_test(test_image_misaligned_pa),
		cmocka_unit_test(test_image_refuses),
		cmocka_unit_test(test_image_releasable_spares),
		cmocka_unit_test(test_report_flags_wx_mutant),
		cmocka_unit_test(test_direct_map_real_maps),
		cmocka_unit_test(test_direct_map_holes_and_types),
		cmocka_unit_test(test_fault_sweep),
	};

	vmk_sim_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
