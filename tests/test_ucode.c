/*
 * Microcode bundle (seed 000's motivating case): scan, pick, copy, apply
 * through the simulated MSR, release every cpu_microcode preload; exact
 * page counts, the kept copy intact, nothing leaked; malformed bundles,
 * no match and release disabled free nothing.
 */
#include "kmem_util.h"
#include "ucode_gen.h"
#include "ucode_msr.h"
#include <vmkit/ucode.h>

#define PG	4096ull
#define S2M	(2ull << 20)
#define BOOT_PA	((2ull << 30) + (64ull << 20))
#define SIG	0x000906eau
#define PF	0x02u

static uint64_t listbuf[512];
static uint8_t bundle1[64 << 10], bundle2[16 << 10];
static size_t len1, len2, best_off, best_len;

/* Bundle 1: four updates; the best for SIG/PF (rev 0xf4) matches through its extended table. */
static void make_bundles(void)
{
	struct ucode_spec s[] = {
		{ .sig = SIG, .pf = PF, .rev = 0xc0, .data_size = 2000 - 48 * 0 + 0, .pad = 0 },
		{ .sig = 0x000806ecu, .pf = 0xff, .rev = 0xf8, .data_size = 4000 },
		{ .sig = 0x000a0652u, .pf = 0x20, .rev = 0xf4, .data_size = 9000, .next = 2,
		  .ext_sig = { 0x000806ecu, SIG }, .ext_pf = { 0x94, PF | 0x08 } },
		{ .sig = SIG, .pf = 0x01, .rev = 0xff, .data_size = 3000 },	/* other platform */
	};

	len1 = 0;
	for (unsigned int i = 0; i < VMK_ARRAY_SIZE(s); i++) {
		size_t n;

		s[i].data_size = (s[i].data_size + 3) & ~3u;
		while ((ucode_size(&s[i])) % 16)
			s[i].data_size += 4;
		n = ucode_gen(&s[i], bundle1 + len1, i + 1);
		if (i == 2) {
			best_off = len1;
			best_len = n;
		}
		len1 += n;
	}
	{
		struct ucode_spec t = { .sig = SIG, .pf = PF, .rev = 0xd0, .data_size = 5008 };

		while (ucode_size(&t) % 16)
			t.data_size += 4;
		len2 = ucode_gen(&t, bundle2, 99);
	}
}

/* The loader: map the boot region (2 MiB blocks with spares), copy the files in, build the list. */
static void load(struct vmk_preload *pl, vmk_vaddr_t *u1, vmk_vaddr_t *u2)
{
	vmk_vaddr_t b = kmt_boot_va();

	for (unsigned int i = 0; i < 3; i++)
		assert_int_equal(vmk_pmap_enter_large(vmk_pmap_kernel(), b + i * S2M, BOOT_PA + i * S2M, S2M,
						      VMK_PROT_READ | VMK_PROT_WRITE,
						      VMK_PMAP_ENTER_WIRED | VMK_PMAP_ENTER_KEEP_SPARE), 0);
	*u1 = b + 0x20010;
	*u2 = b + 0x140000;
	memcpy(vmk_sim_phys_to_virt(BOOT_PA + (*u1 - b)), bundle1, len1);
	memcpy(vmk_sim_phys_to_virt(BOOT_PA + (*u2 - b)), bundle2, len2);
	assert_int_equal(vmk_preload_init(pl, listbuf, sizeof(listbuf)), 0);
	assert_int_equal(vmk_preload_add_file(pl, "/boot/kernel/kernel", VMK_PRELOAD_TYPE_KERNEL, b, 0x20000), 0);
	assert_int_equal(vmk_preload_add_file(pl, "/boot/firmware/intel-ucode.bin", VMK_PRELOAD_TYPE_UCODE, *u1, len1), 0);
	assert_int_equal(vmk_preload_add_file(pl, "/boot/firmware/intel-ucode-extra.bin", VMK_PRELOAD_TYPE_UCODE, *u2,
					      len2), 0);
	assert_int_equal(vmk_preload_add_file(pl, "/boot/kernel/foo.ko", VMK_PRELOAD_TYPE_MODULE, b + 0x180000, 0x3000), 0);
}

static uint64_t inner_pages(vmk_vaddr_t a, size_t len)
{
	vmk_vaddr_t s = (a + PG - 1) & ~(PG - 1), e = (a + len) & ~(PG - 1);

	return e > s ? (e - s) / PG : 0;
}

static uint64_t free_frames(void)
{
	struct vmk_phys_stats st;

	vmk_phys_drain_all_quiescent();
	vmk_phys_get_stats(&st);
	return st.free;
}

static void read_kva(void *dst, vmk_vaddr_t va, size_t len)
{
	struct vmk_pmap_mapping m;

	for (size_t i = 0; i < len; i++) {
		assert_int_equal(vmk_pmap_extract(vmk_pmap_kernel(), va + i, &m), 0);
		((uint8_t *)dst)[i] = *(uint8_t *)vmk_sim_phys_to_virt(m.pa);
	}
}

static void test_seed_microcode_bundle(void **st)
{
	static uint8_t copy[64 << 10];

	(void)st;
	make_bundles();
	for (unsigned int a = 0; a < 2; a++) {
		struct vmk_sim_ucode_cpu cpu = { .id = { SIG, PF }, .rev = 0x80 };
		enum vmk_pmap_arch_id arch = a ? VMK_PMAP_ARCH_ARM64 : VMK_PMAP_ARCH_X86_64;
		struct vmk_ucode_result r;
		struct vmk_ucode_ops ops;
		struct vmk_preload pl;
		vmk_vaddr_t u1, u2;
		uint64_t f0, alloc0, want;

		kmt_boot(arch);
		load(&pl, &u1, &u2);
		vmk_sim_ucode_ops(&cpu, &ops);
		/* kmem's first unit grows page tables once: grow them before counting. */
		vmk_kmem_free(vmk_kmem_malloc(PG, 0), PG);
		f0 = free_frames();
		alloc0 = pmt_alloc_pages();
		if (vmk_ucode_load(&pl, &cpu.id, &ops, true, &r) != 0)
			fail_msg("ucode load: %s", r.err);
		assert_true(r.applied);
		assert_int_equal(r.old_rev, 0x80);
		assert_int_equal(r.new_rev, 0xf4);
		assert_int_equal(cpu.applied, 1);
		/* Every cpu_microcode file released, exactly its whole pages; the others stay. */
		want = inner_pages(u1, len1) + inner_pages(u2, len2);
		assert_int_equal(r.files_released, 2);
		assert_int_equal(r.pages_released, want);
		assert_int_equal(vmk_preload_search_by_type(&pl, VMK_PRELOAD_TYPE_UCODE, VMK_PRELOAD_NONE), VMK_PRELOAD_NONE);
		assert_true(vmk_preload_search_by_name(&pl, "/boot/kernel/foo.ko") != VMK_PRELOAD_NONE);
		/* The copy: page aligned, intact, the only memory kmem kept. */
		assert_int_equal(r.copy & (PG - 1), 0);
		assert_int_equal(r.copy_size, best_len);
		read_kva(copy, r.copy, best_len);
		assert_memory_equal(copy, bundle1 + best_off, best_len);
		assert_int_equal(free_frames() - f0 + (pmt_alloc_pages() - alloc0), want);
		/* Running it again: nothing newer, nothing more freed. */
		{
			vmk_vaddr_t kept = r.copy;

			f0 = free_frames();
			assert_int_equal(vmk_ucode_load(&pl, &cpu.id, &ops, true, &r), -VMK_ENOENT);
			assert_int_equal(free_frames(), f0);
			vmk_kmem_free(kept, (best_len + PG - 1) & ~(PG - 1));
		}
		kmt_check();
		kmt_shutdown();
	}
}

static void test_release_disabled_or_no_match(void **st)
{
	struct vmk_sim_ucode_cpu cpu = { .id = { SIG, PF }, .rev = 0x80 }, other = { .id = { 0x50657u, 1 }, .rev = 1 };
	struct vmk_ucode_result r;
	struct vmk_ucode_ops ops;
	struct vmk_preload pl;
	vmk_vaddr_t u1, u2;
	uint64_t f0;

	(void)st;
	make_bundles();
	kmt_boot(VMK_PMAP_ARCH_X86_64);
	load(&pl, &u1, &u2);
	f0 = free_frames();
	vmk_sim_ucode_ops(&other, &ops);
	assert_int_equal(vmk_ucode_load(&pl, &other.id, &ops, true, &r), -VMK_ENOENT);
	assert_non_null(strstr(r.err, "no update"));
	assert_false(r.applied);
	assert_int_equal(free_frames(), f0);
	vmk_sim_ucode_ops(&cpu, &ops);
	assert_int_equal(vmk_ucode_load(&pl, &cpu.id, &ops, false, &r), 0);
	assert_true(r.applied);
	assert_int_equal(r.files_released, 0);
	assert_true(vmk_preload_search_by_type(&pl, VMK_PRELOAD_TYPE_UCODE, VMK_PRELOAD_NONE) != VMK_PRELOAD_NONE);
	/* The simulated MSR refuses an update that is not newer. */
	assert_int_equal(ops.apply(ops.ctx, r.copy, r.copy_size), -VMK_EEXIST);
	assert_int_equal(cpu.refused, 1);
	vmk_kmem_free(r.copy, (r.copy_size + PG - 1) & ~(PG - 1));
	kmt_check();
	kmt_shutdown();
}

static void corrupt_and_expect(size_t off, uint32_t val, const char *why, bool fix_sum)
{
	struct vmk_sim_ucode_cpu cpu = { .id = { SIG, PF }, .rev = 0x80 };
	struct vmk_ucode_result r;
	struct vmk_ucode_ops ops;
	struct vmk_preload pl;
	vmk_vaddr_t u1, u2;
	uint64_t f0;

	make_bundles();
	memcpy(bundle1 + off, &val, 4);
	if (fix_sum) {
		/* Keep the update's checksum right, so the check under test is the one that fails. */
		uint32_t sum = 0, v, c;

		memcpy(&c, bundle1 + best_off + 16, 4);
		for (size_t i = 0; i < best_len; i += 4) {
			memcpy(&v, bundle1 + best_off + i, 4);
			sum += v;
		}
		c -= sum;
		memcpy(bundle1 + best_off + 16, &c, 4);
	}
	kmt_boot(VMK_PMAP_ARCH_X86_64);
	load(&pl, &u1, &u2);
	vmk_sim_ucode_ops(&cpu, &ops);
	f0 = free_frames();
	assert_int_equal(vmk_ucode_load(&pl, &cpu.id, &ops, true, &r), -VMK_EPARSE);
	if (!strstr(r.err, why))
		fail_msg("error \"%s\" lacks \"%s\"", r.err, why);
	assert_false(r.applied);
	assert_int_equal(cpu.applied, 0);
	assert_int_equal(free_frames(), f0);
	kmt_check();
	kmt_shutdown();
}

static void test_malformed_bundle_stops(void **st)
{
	(void)st;
	make_bundles();
	/* The third update (the best) has a bad word in its data: checksum. */
	corrupt_and_expect(best_off + 100, 0x12345678, "checksum", false);
	make_bundles();
	corrupt_and_expect(best_off + 0, 2, "header version 2", false);
	make_bundles();
	corrupt_and_expect(best_off + 32, (uint32_t)best_len + 4, "multiple of 16", false);
	make_bundles();
	corrupt_and_expect(best_off + 32, (uint32_t)(len1 - best_off) + 4096, "runs past the bundle", false);
	make_bundles();
	corrupt_and_expect(best_off + best_len - 44, 200, "extended signature table claims", true);
}

static int refuse_apply(void *ctx, vmk_vaddr_t va, vmk_size_t len)
{
	(void)ctx; (void)va; (void)len;
	return -VMK_EINVAL;
}

/* The CPU refuses the chosen update: -VMK_EBUSY saying so, the kernel copy freed, no file released. */
static void test_cpu_refuses(void **st)
{
	struct vmk_sim_ucode_cpu cpu = { .id = { SIG, PF }, .rev = 0x80 };
	struct vmk_ucode_result r;
	struct vmk_ucode_ops ops;
	struct vmk_preload pl;
	struct kmt_snap s0;
	vmk_vaddr_t u1, u2;
	uint64_t f0;

	(void)st;
	make_bundles();
	kmt_boot(VMK_PMAP_ARCH_X86_64);
	load(&pl, &u1, &u2);
	vmk_sim_ucode_ops(&cpu, &ops);
	ops.apply = refuse_apply;
	/* Warm up: the kernel page tables a first copy needs stay (they are never freed). */
	vmk_kmem_free(vmk_kmem_malloc((best_len + PG - 1) & ~(PG - 1), VMK_KM_ZERO), (best_len + PG - 1) & ~(PG - 1));
	f0 = free_frames();
	kmt_snap(&s0);
	assert_int_equal(vmk_ucode_load(&pl, &cpu.id, &ops, true, &r), -VMK_EBUSY);
	if (!strstr(r.err, "the CPU refused revision 0xf4 (running 0x80): -"))
		fail_msg("error \"%s\"", r.err);
	assert_false(r.applied);
	assert_true(r.copy == 0 && r.copy_size == 0);
	assert_int_equal(r.files_released, 0);
	kmt_same(&s0, "refused update");
	assert_int_equal(free_frames(), f0);
	assert_true(vmk_preload_search_by_type(&pl, VMK_PRELOAD_TYPE_UCODE, VMK_PRELOAD_NONE) != VMK_PRELOAD_NONE);
	kmt_check();
	kmt_shutdown();
}

/* An update whose header or body is not mapped is malformed, not a fault. */
static void test_verify_unmapped(void **st)
{
	char err[128];
	vmk_size_t tot = 0;
	vmk_vaddr_t b, u1, u2, edge;
	struct vmk_preload pl;
	struct ucode_spec sp = { .sig = SIG, .pf = PF, .rev = 1, .data_size = 2000 };

	(void)st;
	make_bundles();
	kmt_boot(VMK_PMAP_ARCH_X86_64);
	load(&pl, &u1, &u2);
	b = kmt_boot_va();
	assert_int_equal(vmk_ucode_verify(b + 3 * S2M, 4096, &tot, err, sizeof(err)), -VMK_EPARSE);
	assert_string_equal(err, "update header not mapped");
	/* A whole header in the last mapped bytes, its body past them. */
	while (ucode_size(&sp) % 16)
		sp.data_size += 4;
	edge = b + 3 * S2M - 48;
	ucode_gen(&sp, bundle2, 7);
	memcpy(vmk_sim_phys_to_virt(BOOT_PA + (edge - b)), bundle2, 48);
	assert_int_equal(vmk_ucode_verify(edge, ucode_size(&sp), &tot, err, sizeof(err)), -VMK_EPARSE);
	assert_string_equal(err, "update not mapped");
	/* The same update wholly mapped passes. */
	assert_int_equal(vmk_ucode_verify(u2, len2, &tot, err, sizeof(err)), 0);
	assert_int_equal(tot, len2);
	kmt_check();
	kmt_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_microcode_bundle),
		cmocka_unit_test(test_release_disabled_or_no_match),
		cmocka_unit_test(test_malformed_bundle_stops),
		cmocka_unit_test(test_cpu_refuses),
		cmocka_unit_test(test_verify_unmapped),
	};

	vmk_sim_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
