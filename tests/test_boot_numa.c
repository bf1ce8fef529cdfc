/*
 * NUMA nodes from firmware affinity with Linux's rules (vmk_boot_numa_apply,
 * include/vmkit/boot.h), and the CLI reading them from a log's SRAT lines.
 * The cases are the ones the Linux oracle met (docs/linux-oracle.md):
 * x86 SRAT with a gap merged (pc-bios-4G-numa), arm64 ACPI with NOMAP
 * flash outside the SRAT (virt-efi-1G-numa: Linux fakes one node).
 */
#include "memblock_util.h"
#include "cli_util.h"

#include <vmkit/boot.h>

#include <unistd.h>

#define M VMK_MiB
#define G VMK_GiB

static struct vmk_memblock mb;

static int setup(void **state)
{
	(void)state;
	vmk_sim_install();
	vmk_memblock_init(&mb);
	return 0;
}

/* x86: node 0 in two SRAT ranges around a hole, node 1 above; all covered. */
static void test_x86_srat(void **state)
{
	static const struct vmk_numa_range r[] = {
		{ 0, 0xa0000, 0 }, { 0x100000, 2 * G, 0 }, { 2 * G, 3 * G, 1 }, { 4 * G, 5 * G, 1 },
	};
	const struct exp_region e[] = {
		{ 0x1000, 0x9e000, 0, 0 },
		/* The ISA hole is memory here: it lies between node 0's ranges, so it is node 0's. */
		{ 0xa0000, 2 * G - 0xa0000, 0, 0 },
		{ 2 * G, 3 * G - 0x20000 - 2 * G, 1, 0 },
		{ 4 * G, 1 * G, 1, 0 },
	};

	(void)state;
	assert_int_equal(vmk_memblock_add(&mb, 0x1000, 0x9e000), 0);
	assert_int_equal(vmk_memblock_add(&mb, 0xa0000, 0x60000), 0);
	assert_int_equal(vmk_memblock_add(&mb, 0x100000, 3 * G - 0x20000 - 0x100000), 0);
	assert_int_equal(vmk_memblock_add(&mb, 4 * G, 1 * G), 0);
	assert_int_equal(vmk_boot_numa_apply(&mb, r, 4, VMK_BOOT_ARCH_X86_64), 2);
	expect_list(&mb.memory, e, sizeof(e) / sizeof(e[0]));
}

/* x86: a gap with another node's range inside is not merged; less than 1 MiB uncovered stays without a node. */
static void test_x86_gap_and_cover(void **state)
{
	static const struct vmk_numa_range r[] = {
		{ 0, 1 * G, 0 }, { 1 * G + 2 * M, 2 * G, 1 }, { 2 * G, 3 * G, 0 },
	};
	const struct exp_region e[] = {
		{ 0, 1 * G, 0, 0 },
		{ 1 * G, 512 * VMK_KiB, NN, 0 },
		{ 1 * G + 2 * M, 1 * G - 2 * M, 1, 0 },
		{ 2 * G, 1 * G, 0, 0 },
	};

	(void)state;
	assert_int_equal(vmk_memblock_add(&mb, 0, 1 * G + 512 * VMK_KiB), 0);
	assert_int_equal(vmk_memblock_add(&mb, 1 * G + 2 * M, 2 * G - 2 * M), 0);
	assert_int_equal(vmk_boot_numa_apply(&mb, r, 3, VMK_BOOT_ARCH_X86_64), 2);
	expect_list(&mb.memory, e, sizeof(e) / sizeof(e[0]));
}

/*
 * x86: an SRAT range over no memory (a hotplug slot of node 1 between two
 * ranges of node 0) does not stop node 0's ranges merging: numa_cleanup_meminfo
 * moves blocks that overlap no memblock.memory to numa_reserved_meminfo
 * before it joins blocks.
 */
static void test_x86_gap_with_memoryless_range(void **state)
{
	static const struct vmk_numa_range r[] = {
		{ 0, 1 * G, 0 }, { 1536 * M, 1600 * M, 1 }, { 2 * G, 3 * G, 0 }, { 3 * G, 4 * G, 1 },
	};
	const struct exp_region e[] = {
		{ 0, 1536 * M, 0, 0 }, { 1600 * M, 3 * G - 1600 * M, 0, 0 }, { 3 * G, 1 * G, 1, 0 },
	};

	(void)state;
	assert_int_equal(vmk_memblock_add(&mb, 0, 1536 * M), 0);
	assert_int_equal(vmk_memblock_add(&mb, 1600 * M, 4 * G - 1600 * M), 0);
	assert_int_equal(vmk_boot_numa_apply(&mb, r, 4, VMK_BOOT_ARCH_X86_64), 2);
	expect_list(&mb.memory, e, sizeof(e) / sizeof(e[0]));
}

/* x86: 1 MiB or more without a node drops the SRAT (numa_meminfo_cover_memory): all node 0. */
static void test_x86_uncovered(void **state)
{
	static const struct vmk_numa_range r[] = { { 0, 1 * G, 0 }, { 1 * G, 2 * G - M, 1 } };
	const struct exp_region e[] = { { 0, 2 * G, 0, 0 } };

	(void)state;
	assert_int_equal(vmk_memblock_add(&mb, 0, 2 * G), 0);
	assert_int_equal(vmk_boot_numa_apply(&mb, r, 2, VMK_BOOT_ARCH_X86_64), 1);
	expect_list(&mb.memory, e, 1);
}

/* arm64: one region outside the SRAT (NOMAP flash) drops it all, as virt-efi-1G-numa showed. */
static void test_arm64_invalid_memblk(void **state)
{
	static const struct vmk_numa_range r[] = { { 1 * G, 1536 * M, 0 }, { 1536 * M, 2 * G, 1 } };
	const struct exp_region drop[] = {
		{ 64 * M, 64 * M, 0, VMK_MEMBLOCK_NOMAP }, { 1 * G, 1 * G, 0, 0 },
	};
	const struct exp_region keep[] = { { 1 * G, 512 * M, 0, 0 }, { 1536 * M, 512 * M, 1, 0 } };

	(void)state;
	assert_int_equal(vmk_memblock_add_node(&mb, 64 * M, 64 * M, NN, VMK_MEMBLOCK_NOMAP), 0);
	assert_int_equal(vmk_memblock_add(&mb, 1 * G, 1 * G), 0);
	assert_int_equal(vmk_boot_numa_apply(&mb, r, 2, VMK_BOOT_ARCH_ARM64), 1);
	expect_list(&mb.memory, drop, 2);
	/* Without the flash both nodes stay (and the x86 rule would keep them too). */
	assert_int_equal(vmk_memblock_remove(&mb, 64 * M, 64 * M), 0);
	assert_int_equal(vmk_boot_numa_apply(&mb, r, 2, VMK_BOOT_ARCH_ARM64), 2);
	expect_list(&mb.memory, keep, 2);
}

/* No affinity: node 0 everywhere; bad input: -VMK_EINVAL and nothing changed. */
static void test_none_and_bad(void **state)
{
	static const struct vmk_numa_range bad_nid[] = { { 0, G, VMK_MAX_DOMAINS } };
	static const struct vmk_numa_range bad_range[] = { { G, 0, 0 } };
	const struct exp_region none[] = { { 0, G, NN, 0 } };
	const struct exp_region zero[] = { { 0, G, 0, 0 } };

	(void)state;
	assert_int_equal(vmk_memblock_add(&mb, 0, G), 0);
	assert_int_equal(vmk_boot_numa_apply(&mb, bad_nid, 1, VMK_BOOT_ARCH_X86_64), -VMK_EINVAL);
	assert_int_equal(vmk_boot_numa_apply(&mb, bad_range, 1, VMK_BOOT_ARCH_ARM64), -VMK_EINVAL);
	expect_list(&mb.memory, none, 1);
	assert_int_equal(vmk_boot_numa_apply(&mb, NULL, 0, VMK_BOOT_ARCH_ARM64), 1);
	expect_list(&mb.memory, zero, 1);
}

/* The CLI: SRAT lines of a log give memblock its nodes. */
static void test_cli_srat_lines(void **state)
{
	static const char text[] =
		"[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable\n"
		"[    0.000000] BIOS-e820: [mem 0x0000000000100000-0x000000007fffffff] usable\n"
		"[    0.000000] ACPI: SRAT: Node 0 PXM 0 [mem 0x00000000-0x0009ffff]\n"
		"[    0.000000] ACPI: SRAT: Node 0 PXM 0 [mem 0x00100000-0x3fffffff]\n"
		"[    0.000000] ACPI: SRAT: Node 1 PXM 1 [mem 0x40000000-0x7fffffff] hotplug\n";
	char path[] = "/tmp/vmkit-numa-XXXXXX";
	int fd = mkstemp(path);
	const char *args[] = { "memmap", "--dmesg", path, "--kernel-size", "0", NULL };
	struct cli_result r;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
	close(fd);
	r = cli_run(args);
	unlink(path);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "[0x0000000000100000-0x000000003fffffff], 0x000000003ff00000 bytes "
				      "on node 0 flags: 0x0\n"));
	assert_non_null(strstr(r.out, "[0x0000000040000000-0x000000007fffffff], 0x0000000040000000 bytes "
				      "on node 1 flags: 0x0\n"));
	cli_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_x86_srat, setup),
		cmocka_unit_test_setup(test_x86_gap_and_cover, setup),
		cmocka_unit_test_setup(test_x86_gap_with_memoryless_range, setup),
		cmocka_unit_test_setup(test_x86_uncovered, setup),
		cmocka_unit_test_setup(test_arm64_invalid_memblk, setup),
		cmocka_unit_test_setup(test_none_and_bad, setup),
		cmocka_unit_test(test_cli_srat_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
