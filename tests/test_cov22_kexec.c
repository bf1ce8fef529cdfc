/*
 * Crash kernel edges no other test reaches: the low "Crash kernel"
 * resource conflicting after the main one went in (nothing stays
 * linked), a region without a main part, a low part with no node for it;
 * vmk_crashkernel_reserve with a hand-filled request (a size that
 * overflows, no error buffer) and a fixed range over no-map memory;
 * vmk_kdump_ranges without no-map ranges and with no room. Each checks the
 * result and that the tree, memblock or output are as the contract says.
 */
#include "harness.h"
#include <vmkit/kexec.h>
#include <vmkit/memblock.h>
#include <vmkit/resource.h>

#define MiB VMK_MiB
#define GiB VMK_GiB

static void render(struct vmk_resource *root, char *buf, size_t cap)
{
	struct vmk_outbuf ob;

	vmk_outbuf_init(&ob, buf, cap);
	vmk_resource_render(root, &ob.out);
}

static void test_insert_resources(void **state)
{
	static struct vmk_resource nodes[16];
	static char names[512];
	static const char iomem[] =
		"00000000-7fffffff : System RAM\n"
		"  5f000000-60ffffff : Reserved\n"
		"100000000-1ffffffff : System RAM\n";
	struct vmk_resource_pool pool;
	struct vmk_resource root, crash, crash_low;
	struct vmk_resource_error rerr;
	struct vmk_crash_region cr = { { 0x70000000, 0x80000000 }, { 0x60000000, 0x68000000 } };
	struct vmk_crash_region none = { { 0x1000, 0x1000 }, { 0, 0 } };
	char before[512], after[512];

	(void)state;
	vmk_resource_pool_init(&pool, nodes, 16, names, sizeof(names));
	vmk_iomem_root_init(&root);
	assert_int_equal(vmk_resource_parse(&root, &pool, iomem, strlen(iomem), &rerr), 0);
	render(&root, before, sizeof(before));
	/* The low part straddles "Reserved": refused, and the main part that went in first is taken out. */
	assert_int_equal(vmk_crashkernel_insert_resources(&root, &cr, &crash, &crash_low), -VMK_EEXIST);
	render(&root, after, sizeof(after));
	assert_string_equal(before, after);
	vmk_resource_check(&root);
	/* No main part: nothing to insert. */
	assert_int_equal(vmk_crashkernel_insert_resources(&root, &none, &crash, &crash_low), -VMK_EINVAL);
	render(&root, after, sizeof(after));
	assert_string_equal(before, after);
	/* No node for the low part: only the main part is shown. */
	assert_int_equal(vmk_crashkernel_insert_resources(&root, &cr, &crash, NULL), 0);
	render(&root, after, sizeof(after));
	assert_string_equal(after,
		"00000000-7fffffff : System RAM\n"
		"  5f000000-60ffffff : Reserved\n"
		"  70000000-7fffffff : Crash kernel\n"
		"100000000-1ffffffff : System RAM\n");
	vmk_resource_check(&root);
}

static struct vmk_memblock mb;

static void machine(void)
{
	vmk_memblock_init(&mb);
	assert_int_equal(vmk_memblock_add(&mb, 0, 2 * GiB), 0);
	assert_int_equal(vmk_memblock_reserve(&mb, 16 * MiB, 32 * MiB), 0);
}

static void dump(char *buf, size_t cap)
{
	struct vmk_outbuf ob;

	vmk_outbuf_init(&ob, buf, cap);
	vmk_memblock_dump(&mb, &ob.out);
}

static void test_reserve_hand_filled(void **state)
{
	static char before[4096], after[4096];
	struct vmk_crash_arch x86;
	struct vmk_crashkernel ck;
	struct vmk_crash_region cr;
	char err[128];

	(void)state;
	vmk_crash_arch_defaults(VMK_KEXEC_ARCH_X86_64, &x86);
	machine();
	dump(before, sizeof(before));
	/* A size the parser would never produce: refused before rounding wraps. */
	memset(&ck, 0, sizeof(ck));
	ck.form = VMK_CK_SIZE;
	ck.size = UINT64_MAX - 100;
	assert_int_equal(vmk_crashkernel_reserve(&mb, &ck, &x86, &cr, err, sizeof(err)), -VMK_EINVAL);
	assert_non_null(strstr(err, "size overflows"));
	/* The same without an error buffer: the code alone. */
	assert_int_equal(vmk_crashkernel_reserve(&mb, &ck, &x86, &cr, NULL, 0), -VMK_EINVAL);
	assert_true(cr.main.end == cr.main.base);
	/* Nothing asked: nothing reserved, the message cleared. */
	ck.form = VMK_CK_NONE;
	strcpy(err, "stale");
	assert_int_equal(vmk_crashkernel_reserve(&mb, &ck, &x86, &cr, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	/* A fixed range over no-map memory: memory, not reserved, and still refused. */
	assert_int_equal(vmk_memblock_mark_nomap(&mb, GiB, 64 * MiB), 0);
	dump(before, sizeof(before));
	memset(&ck, 0, sizeof(ck));
	ck.form = VMK_CK_SIZE_OFFSET;
	ck.fixed = true;
	ck.offset = GiB;
	ck.size = 32 * MiB;
	assert_int_equal(vmk_crashkernel_reserve(&mb, &ck, &x86, &cr, err, sizeof(err)), -VMK_ENOMEM);
	assert_non_null(strstr(err, "cannot reserve 0x40000000-0x41ffffff"));
	assert_true(cr.main.end == cr.main.base);
	dump(after, sizeof(after));
	assert_string_equal(before, after);
	vmk_memblock_check(&mb);
}

static void test_kdump_ranges(void **state)
{
	struct vmk_range ramst[4], out[4];
	struct vmk_rangeset ram;
	struct vmk_crash_region cr = { { 0x1000000, 0x2000000 }, { 0, 0 } };
	size_t n = 99;

	(void)state;
	vmk_rangeset_init(&ram, ramst, 4);
	assert_int_equal(vmk_rangeset_add(&ram, 0, GiB), 0);
	assert_int_equal(vmk_rangeset_add(&ram, 2 * GiB, 3 * GiB), 0);
	/* No no-map list, no low part. */
	assert_int_equal(vmk_kdump_ranges(&ram, NULL, &cr, out, 4, &n), 0);
	assert_int_equal(n, 3);
	assert_true(out[0].base == 0 && out[0].end == 0x1000000);
	assert_true(out[1].base == 0x2000000 && out[1].end == GiB);
	assert_true(out[2].base == 2 * GiB && out[2].end == 3 * GiB);
	/* No room for the RAM itself: -VMK_ENOSPC and no ranges. */
	assert_int_equal(vmk_kdump_ranges(&ram, NULL, &cr, out, 1, &n), -VMK_ENOSPC);
	assert_int_equal(n, 0);
}

/*
 * /proc/iomem as the plan's source: every name of the running kernel's
 * image is kept with KEEP_RUNNING_KERNEL (and overwritable without it), a
 * nested resource without a name is excluded as "<BAD>"; tables that are
 * too small give -VMK_ENOSPC at the RAM root, at the kernel image and at
 * a nested resource.
 */
static void test_plan_from_resources(void **state)
{
	static struct vmk_resource nodes[16], noname;
	static char names[512];
	static const char iomem[] =
		"00000000-0fffffff : System RAM\n"
		"  01000000-011fffff : Kernel code\n"
		"  01200000-012fffff : Kernel rodata\n"
		"  01300000-013fffff : Kernel data\n"
		"  01400000-014fffff : Kernel bss\n"
		"20000000-2fffffff : System RAM\n"
		"  20000000-201fffff : Kernel image\n";
	static struct vmk_kexec_store st;
	struct vmk_resource_pool pool;
	struct vmk_resource root;
	struct vmk_resource_error rerr;
	struct vmk_kexec_plan p;
	struct vmk_range ram[2], blocked[8];
	struct vmk_kexec_excl excl[8];
	struct vmk_kexec_seg seg[2];
	const char *kept[] = { "Kernel code", "Kernel rodata", "Kernel data", "Kernel bss", "Kernel image" };

	(void)state;
	vmk_resource_pool_init(&pool, nodes, 16, names, sizeof(names));
	vmk_iomem_root_init(&root);
	assert_int_equal(vmk_resource_parse(&root, &pool, iomem, strlen(iomem), &rerr), 0);
	vmk_kexec_plan_init_store(&p, &st);
	assert_int_equal(vmk_kexec_plan_from_resources(&p, &root, VMK_KEXEC_KEEP_RUNNING_KERNEL), 0);
	assert_int_equal(p.nexcl, 5);
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(p.excl[i].kind, VMK_KEXEC_EXCL_KERNEL);
		assert_non_null(strstr(p.excl[i].reason, kept[i]));
		assert_non_null(strstr(p.excl[i].reason, "running kernel, kept"));
	}
	vmk_kexec_plan_init_store(&p, &st);
	assert_int_equal(vmk_kexec_plan_from_resources(&p, &root, 0), 0);
	assert_int_equal(p.nexcl, 0);
	assert_int_equal(vmk_kexec_free_bytes(&p), 0x20000000);
	/* Tables too small: the second RAM root, the second kernel range. */
	vmk_kexec_plan_init(&p, ram, 1, blocked, excl, 8, seg, 2);
	assert_int_equal(vmk_kexec_plan_from_resources(&p, &root, 0), -VMK_ENOSPC);
	vmk_kexec_plan_init(&p, ram, 2, blocked, excl, 1, seg, 2);
	assert_int_equal(vmk_kexec_plan_from_resources(&p, &root, VMK_KEXEC_KEEP_RUNNING_KERNEL), -VMK_ENOSPC);
	assert_int_equal(p.nexcl, 1);
	/* A nested resource without a name (built by hand): excluded as <BAD>; no room for it: -VMK_ENOSPC. */
	vmk_resource_init(&noname, 0x28000000, 0x28000fff, NULL, VMK_RES_MEM | VMK_RES_BUSY, VMK_RES_DESC_NONE);
	assert_int_equal(vmk_resource_insert(&root, &noname, NULL), 0);
	vmk_kexec_plan_init_store(&p, &st);
	assert_int_equal(vmk_kexec_plan_from_resources(&p, &root, 0), 0);
	assert_int_equal(p.nexcl, 1);
	assert_non_null(strstr(p.excl[0].reason, "<BAD> (nested in System RAM)"));
	assert_true(p.excl[0].base == 0x28000000 && p.excl[0].end == 0x28001000);
	vmk_kexec_plan_init(&p, ram, 2, blocked, excl, 0, seg, 2);
	assert_int_equal(vmk_kexec_plan_from_resources(&p, &root, 0), -VMK_ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_insert_resources),
		cmocka_unit_test(test_reserve_hand_filled),
		cmocka_unit_test(test_kdump_ranges),
		cmocka_unit_test(test_plan_from_resources),
	};

	vmk_sim_install();
	vmk_sim_ram_add(0, 4 * GiB);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
