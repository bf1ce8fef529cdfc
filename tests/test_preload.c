/*
 * Preloaded data: the record list, and its release through
 * kmem_bootstrap_free (seed 000): release under a boot 2 MiB mapping,
 * delete by full name vs basename, module unload.
 */
#include "kmem_util.h"
#include <vmkit/preload.h>

#define PG	4096ull
#define S2M	(2ull << 20)
/* Frames of the boot region: inside the test machine's RESERVED memory. */
#define BOOT_PA	((2ull << 30) + (64ull << 20))

static const enum vmk_pmap_arch_id arches[] = { VMK_PMAP_ARCH_X86_64, VMK_PMAP_ARCH_ARM64 };
static uint64_t listbuf[512];

/* Map the boot region [B, B + n * 2 MiB) with 2 MiB blocks keeping spare PTPs, as a loader hand-off. */
static vmk_vaddr_t map_boot(unsigned int n2m, uint32_t flags)
{
	vmk_vaddr_t b = kmt_boot_va();

	for (unsigned int i = 0; i < n2m; i++)
		assert_int_equal(vmk_pmap_enter_large(vmk_pmap_kernel(), b + i * S2M, BOOT_PA + i * S2M, S2M,
						      VMK_PROT_READ | VMK_PROT_WRITE,
						      VMK_PMAP_ENTER_WIRED | flags), 0);
	return b;
}

static void build_list(struct vmk_preload *pl, vmk_vaddr_t b)
{
	assert_int_equal(vmk_preload_init(pl, listbuf, sizeof(listbuf)), 0);
	assert_int_equal(vmk_preload_add_file(pl, "/boot/kernel/kernel", VMK_PRELOAD_TYPE_KERNEL, b, 0x10000), 0);
	assert_int_equal(vmk_preload_add_record(pl, VMK_MODINFO_METADATA | 1, "howto", 6), 0);
	assert_int_equal(vmk_preload_add_file(pl, "/boot/kernel/foo.ko", VMK_PRELOAD_TYPE_MODULE, b + 0x10123, 0x300000), 0);
	assert_int_equal(vmk_preload_add_file(pl, "/boot/modules/bar.ko", VMK_PRELOAD_TYPE_MODULE, b + 0x310000, 0x5000), 0);
	assert_int_equal(vmk_preload_add_record(pl, VMK_MODINFO_ARGS, "x=1", 4), 0);
}

static uint64_t free_frames(void)
{
	struct vmk_phys_stats st;

	vmk_phys_drain_all_quiescent();
	vmk_phys_get_stats(&st);
	return st.free;
}

static void test_records(void **st)
{
	struct vmk_preload pl, p2;
	vmk_preload_file f;
	uint32_t len;
	size_t bad;
	int n = 0;

	(void)st;
	build_list(&pl, 0xffff800000000000ull);
	f = vmk_preload_search_by_name(&pl, "/boot/kernel/foo.ko");
	assert_true(f != VMK_PRELOAD_NONE);
	assert_string_equal(vmk_preload_type(&pl, f), VMK_PRELOAD_TYPE_MODULE);
	assert_int_equal(vmk_preload_size(&pl, f), 0x300000);
	assert_int_equal(vmk_preload_search_by_name(&pl, "foo.ko"), VMK_PRELOAD_NONE);
	f = vmk_preload_search_by_type(&pl, VMK_PRELOAD_TYPE_MODULE, VMK_PRELOAD_NONE);
	assert_string_equal(vmk_preload_name(&pl, f), "/boot/kernel/foo.ko");
	f = vmk_preload_search_by_type(&pl, VMK_PRELOAD_TYPE_MODULE, f);
	assert_string_equal(vmk_preload_name(&pl, f), "/boot/modules/bar.ko");
	assert_string_equal(vmk_preload_search_info(&pl, f, VMK_MODINFO_ARGS, &len), "x=1");
	assert_int_equal(len, 4);
	assert_null(vmk_preload_search_info(&pl, vmk_preload_search_by_name(&pl, "/boot/kernel/foo.ko"),
					    VMK_MODINFO_ARGS, NULL));
	for (f = vmk_preload_next(&pl, VMK_PRELOAD_NONE); f != VMK_PRELOAD_NONE; f = vmk_preload_next(&pl, f))
		n++;
	assert_int_equal(n, 3);
	/* A loader's list parses back; damaged ones are refused at the bad record. */
	assert_int_equal(vmk_preload_parse(&p2, listbuf, pl.len, &bad), 0);
	assert_int_equal(p2.len, pl.len);
	assert_int_equal(vmk_preload_parse(&p2, listbuf, pl.len - 8, &bad), -VMK_EPARSE);
	((uint32_t *)listbuf)[1] = 0x7fffffff;	/* NAME length beyond the buffer */
	assert_int_equal(vmk_preload_parse(&p2, listbuf, pl.len, &bad), -VMK_EPARSE);
	assert_int_equal(bad, 0);
	/* A full buffer appends nothing. */
	assert_int_equal(vmk_preload_init(&pl, listbuf, 64), 0);
	assert_int_equal(vmk_preload_add_file(&pl, "/a", "t", 1, 1), -VMK_ENOSPC);
	assert_int_equal(pl.len, 8);
	/* Refused, list unchanged: no buffer, a misaligned or too small one, empty names, reserved record types. */
	assert_int_equal(vmk_preload_init(&p2, NULL, 64), -VMK_EINVAL);
	assert_int_equal(vmk_preload_init(&p2, (uint8_t *)listbuf + 4, 64), -VMK_EINVAL);
	assert_int_equal(vmk_preload_init(&p2, listbuf, 4), -VMK_EINVAL);
	assert_int_equal(vmk_preload_parse(&p2, NULL, 64, &bad), -VMK_EINVAL);
	assert_int_equal(vmk_preload_parse(&p2, (uint8_t *)listbuf + 4, 64, &bad), -VMK_EINVAL);
	assert_int_equal(vmk_preload_init(&pl, listbuf, sizeof(listbuf)), 0);
	assert_int_equal(vmk_preload_add_record(&pl, VMK_MODINFO_ARGS, "x", 2), -VMK_EINVAL);	/* no file yet */
	assert_int_equal(vmk_preload_add_file(&pl, "", "t", 1, 1), -VMK_EINVAL);
	assert_int_equal(vmk_preload_add_file(&pl, "/a", NULL, 1, 1), -VMK_EINVAL);
	assert_int_equal(vmk_preload_add_file(&pl, "/a", "t", 1, 1), 0);
	len = (uint32_t)pl.len;
	assert_int_equal(vmk_preload_add_record(&pl, VMK_MODINFO_NAME, "/b", 3), -VMK_EINVAL);
	assert_int_equal(vmk_preload_add_record(&pl, VMK_MODINFO_END, NULL, 0), -VMK_EINVAL);
	assert_int_equal(vmk_preload_add_record(&pl, VMK_MODINFO_ARGS, NULL, 2), -VMK_EINVAL);
	assert_int_equal(pl.len, len);
	assert_int_equal(vmk_preload_add_record(&pl, VMK_MODINFO_ARGS, "x=2", 4), 0);
	assert_string_equal(vmk_preload_search_info(&pl, vmk_preload_search_by_name(&pl, "/a"), VMK_MODINFO_ARGS,
						    NULL), "x=2");
}

/*
 * Seed 000: a preloaded file under boot 2 MiB mappings is freed: frames
 * to phys (exactly the whole pages inside it), mappings removed with the
 * blocks demoted from their spares (no allocation: every pmap allocation
 * fails during the call), the partial head and tail pages and the rest of
 * the blocks keep their frames, and the KVA can be allocated again.
 */
static void test_seed_preload_release_under_2m(void **st)
{
	(void)st;
	for (unsigned int a = 0; a < 2; a++) {
		struct vmk_preload pl;
		struct vmk_pmap_mapping m;
		struct vmk_mmu_walk w;
		vmk_vaddr_t b, start, end, x;
		uint64_t f0, ptp0;
		char msg[200];

		kmt_boot(arches[a]);
		b = map_boot(3, VMK_PMAP_ENTER_KEEP_SPARE);
		build_list(&pl, b);
		for (vmk_vaddr_t v = b; v < b + 3 * S2M; v += 64 * PG)
			assert_int_equal(vmk_sim_mmu_access(0, v, VMK_MMU_READ, NULL), 0);
		start = b + 0x11000;
		end = b + 0x310000;
		f0 = free_frames();
		ptp0 = pmt_ptp_pages();
		vmk_sim_fail_nth(0, "pmap", true);
		assert_int_equal(vmk_preload_delete_name(&pl, "/boot/kernel/foo.ko"), 0);
		vmk_sim_fail_off();
		assert_int_equal(free_frames() - f0, (end - start) / PG);
		assert_int_equal(pmt_ptp_pages(), ptp0);
		/* Head and tail partial pages, and the rest of the blocks, keep their frames. */
		for (vmk_vaddr_t v = b; v < b + 3 * S2M; v += PG) {
			int r = vmk_pmap_extract(vmk_pmap_kernel(), v, &m);

			if (v >= start && v < end) {
				assert_int_equal(r, -VMK_ENOENT);
				assert_int_equal(vmk_sim_mmu_probe(0, v, VMK_MMU_READ, &w), VMK_MMU_FAULT_TRANSLATION);
			} else {
				assert_int_equal(r, 0);
				assert_int_equal(m.pa, BOOT_PA + (v - b));
			}
		}
		assert_int_equal(vmk_sim_tlb_audit(msg, sizeof(msg)), 0);
		/* The third block was not touched: still one 2 MiB mapping. */
		assert_int_equal(vmk_pmap_extract(vmk_pmap_kernel(), b + 2 * S2M, &m), 0);
		assert_int_equal(m.size, S2M);
		assert_int_equal(vmk_pmap_extract(vmk_pmap_kernel(), b, &m), 0);
		assert_int_equal(m.size, PG);
		/* Exactly that KVA can be allocated again. */
		assert_int_equal(vmk_vmem_xalloc(vmk_kmem_kva_arena(), end - start, 0, 0, 0, start, end, 0, &x), 0);
		assert_int_equal(x, start);
		vmk_vmem_xfree(vmk_kmem_kva_arena(), x, end - start);
		/* The file is gone from the list. */
		assert_int_equal(vmk_preload_search_by_name(&pl, "/boot/kernel/foo.ko"), VMK_PRELOAD_NONE);
		assert_int_equal(vmk_preload_search_by_type(&pl, VMK_PRELOAD_TYPE_MODULE, VMK_PRELOAD_NONE),
				 vmk_preload_search_by_name(&pl, "/boot/modules/bar.ko"));
		kmt_check();
		kmt_shutdown();
	}
}

/* Seed 000's linker bug: a basename matches nothing and frees nothing; so does a second delete. */
static void test_seed_delete_full_name_vs_basename(void **st)
{
	struct vmk_preload pl;
	vmk_vaddr_t b;
	uint64_t f0;

	(void)st;
	kmt_boot(VMK_PMAP_ARCH_X86_64);
	b = map_boot(2, VMK_PMAP_ENTER_KEEP_SPARE);
	build_list(&pl, b);
	f0 = free_frames();
	assert_int_equal(vmk_preload_delete_name(&pl, "foo.ko"), -VMK_ENOENT);
	assert_int_equal(free_frames(), f0);
	assert_true(vmk_preload_search_by_name(&pl, "/boot/kernel/foo.ko") != VMK_PRELOAD_NONE);
	assert_int_equal(vmk_preload_delete_name(&pl, "/boot/kernel/foo.ko"), 0);
	assert_int_equal(free_frames() - f0, (0x310000 - 0x11000) / PG);
	f0 = free_frames();
	assert_int_equal(vmk_preload_delete_name(&pl, "/boot/kernel/foo.ko"), -VMK_ENOENT);
	assert_int_equal(free_frames(), f0);
	kmt_check();
	kmt_shutdown();
}

/* kldunload by basename: the linker deletes by the loader's full path, so the memory is freed. */
static void test_unload_module_frees(void **st)
{
	struct vmk_preload pl;
	vmk_vaddr_t b;
	uint64_t f0;

	(void)st;
	kmt_boot(VMK_PMAP_ARCH_ARM64);
	b = map_boot(2, VMK_PMAP_ENTER_KEEP_SPARE);
	build_list(&pl, b);
	f0 = free_frames();
	assert_int_equal(vmk_preload_unload_module(&pl, "bar.ko"), 0);
	assert_int_equal(free_frames() - f0, 5);
	assert_int_equal(vmk_preload_search_by_name(&pl, "/boot/modules/bar.ko"), VMK_PRELOAD_NONE);
	assert_int_equal(vmk_preload_unload_module(&pl, "bar.ko"), -VMK_ENOENT);
	assert_int_equal(vmk_preload_unload_module(&pl, "kernel"), -VMK_EBUSY);
	assert_int_equal(vmk_preload_unload_module(&pl, "/boot/kernel/foo.ko"), 0);
	kmt_check();
	kmt_shutdown();
}

/*
 * A boot block without a spare PTP cannot be demoted without allocating:
 * kmem says so loudly. (While the pmap still gives every kernel block a
 * spare, an unflagged block is demoted from its spare like a flagged one.)
 */
static void test_missing_spare_panics(void **st)
{
	struct vmk_pmap_stats ps;
	vmk_vaddr_t b;
	uint64_t ptp0;

	(void)st;
	kmt_boot(VMK_PMAP_ARCH_X86_64);
	b = map_boot(1, 0);
	vmk_pmap_stats(vmk_pmap_kernel(), &ps);
	ptp0 = pmt_ptp_pages();
	if (ps.spare_ptps == 0) {
		assert_panics(vmk_kmem_bootstrap_free(b + PG, 4 * PG), "spare PTP is missing");
	} else {
		assert_int_equal(vmk_kmem_bootstrap_free(b + PG, 4 * PG), 0);
		assert_int_equal(pmt_ptp_pages(), ptp0);
		vmk_pmap_stats(vmk_pmap_kernel(), &ps);
		assert_int_equal(ps.spare_ptps, 0);
	}
	kmt_shutdown();
}

static void test_bootstrap_free_errors(void **st)
{
	vmk_vaddr_t b, va;
	uint64_t f0;

	(void)st;
	kmt_boot(VMK_PMAP_ARCH_X86_64);
	b = map_boot(1, VMK_PMAP_ENTER_KEEP_SPARE);
	va = vmk_kmem_malloc(PG, 0);
	/* kmem's own memory is not boot memory. */
	assert_int_equal(vmk_kmem_bootstrap_free(va, PG), -VMK_EINVAL);
	/* Unmapped: nothing changes. */
	f0 = free_frames();
	assert_int_equal(vmk_kmem_bootstrap_free(b + S2M - PG, 2 * PG), -VMK_ENOENT);
	assert_int_equal(free_frames(), f0);
	/* Less than a page after rounding inward: nothing to do. */
	assert_int_equal(vmk_kmem_bootstrap_free(b + 0x10, PG), 0);
	assert_int_equal(free_frames(), f0);
	/* Twice: the second finds the pages unmapped. */
	assert_int_equal(vmk_kmem_bootstrap_free(b + PG, PG), 0);
	assert_int_equal(free_frames(), f0 + 1);
	assert_int_equal(vmk_kmem_bootstrap_free(b + PG, PG), -VMK_ENOENT);
	/* A boot-window mapping of a frame the allocator handed out (not RESERVED): refused, kept. */
	{
		struct vmk_page *pg = vmk_page_alloc(0, VMK_POOL_DEFAULT, 0);
		vmk_vaddr_t v = b + 4 * S2M;
		struct vmk_pmap_mapping m;

		assert_non_null(pg);
		assert_int_equal(vmk_pmap_enter(vmk_pmap_kernel(), v, vmk_page_to_pa(pg), VMK_PROT_READ | VMK_PROT_WRITE,
						VMK_PMAP_ENTER_WIRED), 0);
		assert_int_equal(vmk_kmem_bootstrap_free(v, PG), -VMK_EINVAL);
		assert_int_equal(vmk_pmap_extract(vmk_pmap_kernel(), v, &m), 0);
		assert_int_equal(vmk_page_state(pg), VMK_PAGE_ALLOC);
		assert_int_equal(vmk_pmap_remove(vmk_pmap_kernel(), v, v + PG), 0);
		vmk_page_free(pg);
	}
	vmk_kmem_free(va, PG);
	kmt_check();
	kmt_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_seed_preload_release_under_2m),
		cmocka_unit_test(test_seed_delete_full_name_vs_basename),
		cmocka_unit_test(test_unload_module_frees),
		cmocka_unit_test(test_missing_spare_panics),
		cmocka_unit_test(test_bootstrap_free_errors),
	};

	vmk_sim_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
