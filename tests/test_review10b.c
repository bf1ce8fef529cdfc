/*
 * Review of the kernel bootstrap mappings (include/vmkit/kmap.h): the
 * direct map's memory types as the callers feed it (a map sanitized with
 * merge_ignores_attr, as vmkit boot and the demo kernel do), the memory
 * type of a UEFI entry that allows no caching, and the W^X report at the
 * 1 GiB level and in a user address space.
 *
 * Oracles are restated from the UEFI attribute bits and read back with
 * vmk_pmap_extract, not with the code under test.
 */
#include "kmem_util.h"

#include <vmkit/boot.h>
#include <vmkit/fwmap.h>
#include <vmkit/kmap.h>

#include "fwmap_test.h"
#include "sim.h"

#define RW	(VMK_PROT_READ | VMK_PROT_WRITE)
#define RWX	(VMK_PROT_READ | VMK_PROT_WRITE | VMK_PROT_EXEC)
#define MiB	(1ull << 20)
#define GiB	(1ull << 30)
#define ALLC	0xfull		/* UC WC WT WB */

static const enum vmk_pmap_arch_id arches[2] = { VMK_PMAP_ARCH_X86_64, VMK_PMAP_ARCH_ARM64 };
static const uint32_t policies[2] = { VMK_BOOT_ARCH_X86_64, VMK_BOOT_ARCH_ARM64 };

static int memtype_at(vmk_vaddr_t va, enum vmk_memtype *mt)
{
	struct vmk_pmap_mapping m;
	int r = vmk_pmap_extract(vmk_pmap_kernel(), va, &m);

	if (!r)
		*mt = m.memtype;
	return r;
}

/*
 * Conventional memory the firmware allows only write-combining (or only
 * uncached) access to, right after write-back conventional memory. vmkit
 * boot and the kernel sanitize with merge_ignores_attr before the direct
 * map; the direct map must still give each range the firmware's type:
 * never WB for the WC-only range (x86), and on arm64 (non-WB memory is
 * NOMAP) the WC-only range is not mapped while the WB RAM is.
 */
static void test_direct_map_types_survive_merge(void **st)
{
	(void)st;
	for (unsigned int order = 0; order < 2; order++) {
		for (unsigned int a = 0; a < 2; a++) {
			struct vmk_fwmap_sanitize_opts so = { .merge_ignores_attr = true };
			struct fm *f = fm_new(16);
			/* order 0: WB then WC-only; order 1: WC-only then WB */
			struct vmk_fwmap_entry wb = { order ? 2 * GiB : GiB, GiB, VMK_MEM_USABLE, 7, ALLC, 0, 1 };
			struct vmk_fwmap_entry wc = { order ? GiB : 2 * GiB, GiB, VMK_MEM_USABLE, 7, 0x3, 0, 2 };
			enum vmk_memtype mt;
			vmk_vaddr_t d;

			f->m.format = VMK_FWMAP_FMT_EFI;
			assert_int_equal(vmk_fwmap_add_entry(&f->m, &wb), 0);
			assert_int_equal(vmk_fwmap_add_entry(&f->m, &wc), 0);
			assert_int_equal(vmk_fwmap_sanitize(&f->m, &so, &f->d), 0);
			pmt_boot_arch(arches[a]);
			d = pmt_kva();
			assert_int_equal(vmk_kmap_direct(vmk_pmap_kernel(), d, &f->m, policies[a], NULL), 0);
			/* the WB RAM is mapped write-back */
			if (memtype_at(d + wb.base, &mt) || mt != VMK_MEMTYPE_WB)
				fail_msg("%s order %u: WB RAM at %#llx not mapped write-back", pmt_arch_name(arches[a]),
					 order, (unsigned long long)wb.base);
			if (a == 0) {
				if (memtype_at(d + wc.base + GiB - 4096, &mt) || mt != VMK_MEMTYPE_WC)
					fail_msg("x86_64 order %u: WC-only RAM mapped with memory type %d, not WC", order,
						 (int)mt);
			} else if (!memtype_at(d + wc.base, &mt) || !memtype_at(d + wc.base + GiB - 4096, &mt)) {
				fail_msg("arm64 order %u: WC-only (NOMAP) RAM mapped, memory type %d", order, (int)mt);
			}
			pmt_check(vmk_pmap_kernel());
			pmt_shutdown();
			free(f);
		}
	}
}

/*
 * kmap.h: "write-back when a UEFI entry allows WB ..., else
 * write-combining when it allows WC, else uncached". An entry with no
 * cacheability bit allows no write-back.
 */
static void test_memtype_no_cache_bits(void **st)
{
	struct vmk_fwmap_entry e = { 0, GiB, VMK_MEM_USABLE, 7, 0, 0, 1 };

	(void)st;
	assert_int_equal(vmk_kmap_memtype(&e, VMK_FWMAP_FMT_EFI), VMK_MEMTYPE_UC);
	e.attr = VMK_EFI_MEMORY_RUNTIME;	/* a non-cacheability bit alone allows no caching either */
	assert_int_equal(vmk_kmap_memtype(&e, VMK_FWMAP_FMT_EFI), VMK_MEMTYPE_UC);
	e.attr = VMK_EFI_MEMORY_WT;
	assert_int_equal(vmk_kmap_memtype(&e, VMK_FWMAP_FMT_EFI), VMK_MEMTYPE_UC);
	e.attr = VMK_EFI_MEMORY_WC | VMK_EFI_MEMORY_UC;
	assert_int_equal(vmk_kmap_memtype(&e, VMK_FWMAP_FMT_EFI), VMK_MEMTYPE_WC);
	e.attr = ALLC;
	assert_int_equal(vmk_kmap_memtype(&e, VMK_FWMAP_FMT_EFI), VMK_MEMTYPE_WB);
	/* E820 and the others describe write-back RAM whatever their attr holds */
	e.attr = 0;
	assert_int_equal(vmk_kmap_memtype(&e, VMK_FWMAP_FMT_E820), VMK_MEMTYPE_WB);
}

/* A W+X 1 GiB leaf is reported with its bytes, also through a range that cuts it. */
static void test_report_wx_1g(void **st)
{
	(void)st;
	for (unsigned int a = 0; a < 2; a++) {
		struct vmk_kmap_report r;
		vmk_vaddr_t va;

		pmt_boot_arch(arches[a]);
		va = pmt_kva() + 4 * GiB;
		assert_int_equal(vmk_pmap_enter_large(vmk_pmap_kernel(), va, GiB, GiB, RWX, 0), 0);
		assert_int_equal(vmk_kmap_report(vmk_pmap_kernel(), 0, 0, &r), 1);
		assert_int_equal(r.wx_leaves, 1);
		assert_true(r.wx_bytes == GiB);
		assert_true(r.wx_first == va);
		assert_int_equal(vmk_kmap_report(vmk_pmap_kernel(), va + GiB - 4096, va + GiB + 4096, &r), 1);
		assert_true(r.wx_bytes == 4096);
		assert_int_equal(r.cls[0].page_size, GiB);
		pmt_shutdown();
	}
}

/*
 * A user address space: a W+X user page is reported (and counted as a
 * user leaf), and the kernel's mappings (x86 shares the root's top half)
 * are not this pmap's.
 */
static void test_report_wx_user(void **st)
{
	(void)st;
	for (unsigned int a = 0; a < 2; a++) {
		struct vmk_kmap_report r;
		struct vmk_pmap *u;

		pmt_boot_arch(arches[a]);
		assert_int_equal(vmk_pmap_enter(vmk_pmap_kernel(), pmt_kva(), PMT_DATA, RWX, 0), 0);
		assert_int_equal(vmk_pmap_create(&u), 0);
		assert_int_equal(vmk_pmap_enter(u, 0x400000, PMT_DATA + 4096, RWX, 0), 0);
		assert_int_equal(vmk_pmap_enter(u, 0x600000, PMT_DATA + 8192, RW, 0), 0);
		assert_int_equal(vmk_kmap_report(u, 0, 0, &r), 1);
		assert_int_equal(r.leaves, 2);
		assert_int_equal(r.user_leaves, 2);
		assert_int_equal(r.wx_leaves, 1);
		assert_true(r.wx_first == 0x400000);
		assert_int_equal(vmk_pmap_remove(u, 0x400000, 0x401000), 0);
		assert_int_equal(vmk_kmap_report(u, 0, 0, &r), 0);
		assert_int_equal(r.leaves, 1);
		vmk_pmap_destroy(u);
		pmt_shutdown();
	}
}

/*
 * An image ending at the top of the address space (a kernel window
 * ending at 2^64, which the pmap and vmk_kmap_image's checks allow) is
 * mapped, section by section. The pmap cannot take a block ending at
 * 2^64, so the last 2 MiB is 4 KiB pages; the releasable section's other
 * block keeps its spare.
 */
static void test_image_at_top(void **st)
{
	(void)st;
	for (unsigned int a = 0; a < 2; a++) {
		struct pmt_opts o = { .arch = arches[a], .kva_top = true };
		struct vmk_kmap_section s[2] = {
			{ 2 * MiB, VMK_PROT_READ | VMK_PROT_EXEC, 0 },
			{ 4 * MiB, RW, VMK_KMAP_RELEASABLE },
		};
		vmk_vaddr_t va = (vmk_vaddr_t)0 - 6 * MiB;
		struct vmk_pmap_stats before, after;
		struct vmk_pmap_mapping m;
		int r;

		pmt_boot(&o);
		vmk_pmap_stats(vmk_pmap_kernel(), &before);
		r = vmk_kmap_image(vmk_pmap_kernel(), va, PMT_DATA, s, 2);
		if (r)
			fail_msg("%s: image ending at 2^64: %d", pmt_arch_name(arches[a]), r);
		vmk_pmap_stats(vmk_pmap_kernel(), &after);
		assert_int_equal(vmk_pmap_extract(vmk_pmap_kernel(), va, &m), 0);
		assert_true(m.size == 2 * MiB && m.prot == (VMK_PROT_READ | VMK_PROT_EXEC));
		assert_int_equal(vmk_pmap_extract(vmk_pmap_kernel(), va + 2 * MiB, &m), 0);
		assert_true(m.size == 2 * MiB && m.prot == RW && m.pa == PMT_DATA + 2 * MiB);
		assert_int_equal(vmk_pmap_extract(vmk_pmap_kernel(), (vmk_vaddr_t)0 - 4096, &m), 0);
		/* (the pmap may promote the last 512 pages into a block itself) */
		if (m.prot != RW || m.pa != PMT_DATA + 6 * MiB - 4096)
			fail_msg("last page: pa %#llx size %#llx prot %u", (unsigned long long)m.pa,
				 (unsigned long long)m.size, m.prot);
		assert_true(after.resident - before.resident == 6 * MiB / 4096);
		/* the releasable section's first block was entered with its spare */
		assert_true(after.spare_ptps - before.spare_ptps >= 1);
		pmt_check(vmk_pmap_kernel());
		pmt_shutdown();
	}
}

/*
 * A direct map whose second run wraps past 2^64 (dmap_base 1 GiB below
 * the top, RAM at 0 and 2 GiB): -VMK_EINVAL "with nothing of the direct
 * map mapped" (kmap.h), not the first gigabyte left behind.
 */
static void test_direct_map_wrap_refused(void **st)
{
	struct pmt_opts o = { .arch = VMK_PMAP_ARCH_X86_64, .kva_top = true };
	struct fm *f = fm_new(8);
	struct vmk_pmap_stats ps;

	(void)st;
	f->m.format = VMK_FWMAP_FMT_E820;
	assert_int_equal(vmk_fwmap_add(&f->m, 0, GiB, VMK_MEM_USABLE, 0), 0);
	assert_int_equal(vmk_fwmap_add(&f->m, 2 * GiB, 4096, VMK_MEM_USABLE, 0), 0);
	pmt_boot(&o);
	assert_int_equal(vmk_kmap_direct(vmk_pmap_kernel(), (vmk_vaddr_t)0 - GiB, &f->m, VMK_BOOT_ARCH_X86_64, NULL),
			 -VMK_EINVAL);
	vmk_pmap_stats(vmk_pmap_kernel(), &ps);
	if (ps.resident)
		fail_msg("%llu pages left mapped after -VMK_EINVAL", (unsigned long long)ps.resident);
	pmt_check(vmk_pmap_kernel());
	pmt_shutdown();
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_direct_map_types_survive_merge),
		cmocka_unit_test(test_memtype_no_cache_bits),
		cmocka_unit_test(test_report_wx_1g),
		cmocka_unit_test(test_report_wx_user),
		cmocka_unit_test(test_image_at_top),
		cmocka_unit_test(test_direct_map_wrap_refused),
	};

	vmk_sim_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
