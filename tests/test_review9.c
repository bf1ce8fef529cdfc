/*
 * Review of issue 9 (memblock parity, firmware maps, kexec/kdump, the
 * tool): each test here failed before the fix it names.
 */
#include "harness.h"
#include <vmkit/kexec.h>
#include <vmkit/memblock.h>
#include <vmkit/resource.h>

#define MiB VMK_MiB
#define GiB VMK_GiB

/*
 * crashkernel=64M,high crashkernel=128M,low (or arm64's 128 MiB default
 * low part): the low region is the larger one. Linux loads kdump
 * segments into crashk_res, the high region; crashk_low_res is always
 * below it (reserve_crashkernel_generic reserves a low part only when
 * the main one is above CRASH_ADDR_LOW_MAX).
 */
static void test_crash_main_is_the_high_region(void **state)
{
	static struct vmk_resource nodes[16];
	static char names[512];
	static const char iomem[] =
		"00001000-0009efff : System RAM\n"
		"00100000-bffdffff : System RAM\n"
		"  70000000-77ffffff : Crash kernel\n"
		"100000000-23fffffff : System RAM\n"
		"  23c000000-23fffffff : Crash kernel\n";
	struct vmk_resource_pool pool;
	struct vmk_resource root;
	struct vmk_resource_error rerr;
	struct vmk_crash_region cr;

	(void)state;
	vmk_resource_pool_init(&pool, nodes, 16, names, sizeof(names));
	vmk_iomem_root_init(&root);
	assert_int_equal(vmk_resource_parse(&root, &pool, iomem, strlen(iomem), &rerr), 0);
	assert_int_equal(vmk_kexec_find_crash_regions(&root, &cr), 0);
	assert_true(cr.main.base == 0x23c000000ull && cr.main.end == 0x240000000ull);
	assert_true(cr.low.base == 0x70000000 && cr.low.end == 0x78000000);
}

/*
 * Linux parse_crashkernel_simple() reads "size@" with memparse() and no
 * check: a missing or non-numeric offset is base 0, i.e. placed
 * automatically ("256M@" reserves 256 MiB anywhere). Only the range
 * list form insists on a number after '@'.
 */
static void test_crashkernel_simple_empty_offset(void **state)
{
	struct vmk_crash_arch ca;
	struct vmk_crashkernel ck;
	char err[256];

	(void)state;
	vmk_crash_arch_defaults(VMK_KEXEC_ARCH_X86_64, &ca);
	assert_int_equal(vmk_crashkernel_parse("256M@", 5, 4 * GiB, &ca, &ck, err, sizeof(err)), 0);
	assert_true(ck.size == 256 * MiB && !ck.fixed && ck.offset == 0);
	assert_int_equal(vmk_crashkernel_parse("256M@auto", 9, 4 * GiB, &ca, &ck, err, sizeof(err)), 0);
	assert_true(ck.size == 256 * MiB && !ck.fixed && ck.offset == 0);
	assert_true(ck.ignored_len == 4);
	/* parse_crashkernel_mem: "Memory value expected after '@'". */
	assert_int_equal(vmk_crashkernel_parse("512M-:64M@", 10, 4 * GiB, &ca, &ck, err, sizeof(err)),
			 -VMK_EPARSE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crash_main_is_the_high_region),
		cmocka_unit_test(test_crashkernel_simple_empty_offset),
	};

	vmk_sim_install();
	vmk_sim_ram_add(0, 8 * GiB);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
