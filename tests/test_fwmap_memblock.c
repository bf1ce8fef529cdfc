/*
 * Linux's memblock debugfs lists (/sys/kernel/debug/memblock/memory and
 * reserved) as a map source, in the pre-6.4 and 6.4+ forms, as `head` and
 * `grep .` print the two files together.
 */
#include "fwmap_test.h"

#include <vmkit/boot.h>

/* QEMU virt 1 GiB as a 6.x arm64 kernel shows it (NOMAP flash and runtime). */
static const char *const head_6x =
	"==> /sys/kernel/debug/memblock/memory <==\n"
	"   0: 0x0000000004000000..0x0000000007ffffff    0 NOMAP\n"
	"   1: 0x0000000040000000..0x000000007c43ffff    0 NONE\n"
	"   2: 0x000000007c440000..0x000000007c72ffff    0 NOMAP\n"
	"   3: 0x000000007c730000..0x000000007fbfffff    0 NONE\n"
	"   4: 0x000000007fc00000..0x000000007ffdffff    0 NOMAP\n"
	"   5: 0x000000007ffe0000..0x000000007fffffff    0 NONE\n"
	"\n"
	"==> /sys/kernel/debug/memblock/reserved <==\n"
	"   0: 0x0000000040000000..0x0000000041ffffff    x NONE\n"
	"   1: 0x000000007c430000..0x000000007c43ffff    x NONE\n"
	"   2: 0x00000000fe000000..0x00000000fe00ffff    x NONE\n";

static void test_head_6x(void **state)
{
	struct fm *f = fm_new(64);
	static struct vmk_memblock mb;

	(void)state;
	FM_PARSE_TEXT(f, vmk_fwmap_parse_memblock_debugfs, head_6x, 0);
	assert_int_equal(f->m.n, 8);
	fm_expect(f, 0, 0x4000000, 0x4000000, VMK_MEM_NOMAP);
	fm_expect(f, 1, 0x40000000, 0x3c440000, VMK_MEM_USABLE);
	fm_expect(f, 2, 0x7c440000, 0x2f0000, VMK_MEM_NOMAP);
	/* reserved inside memory: RAM in use; outside (0xfe000000): left out */
	fm_expect(f, 6, 0x40000000, 0x2000000, VMK_MEM_RESERVED);
	assert_int_equal(f->m.e[6].flags, VMK_FWMAP_F_IN_RAM);
	assert_int_equal(f->m.e[6].src, 10);
	fm_expect(f, 7, 0x7c430000, 0x10000, VMK_MEM_RESERVED);
	assert_true(fm_has(f, VMK_FWMAP_INFO, 12, "outside memory is left out"));
	assert_int_equal(vmk_fwmap_sanitize(&f->m, NULL, &f->d), 0);
	/* the same memblock as the kernel had: size, NOMAP, reservations */
	vmk_sim_install();
	vmk_memblock_init(&mb);
	assert_int_equal(vmk_boot_memblock_from_fwmap_arch(&mb, &f->m, VMK_BOOT_ARCH_ARM64), 0);
	assert_true(vmk_memblock_phys_mem_size(&mb) == 0x44000000);
	assert_false(vmk_memblock_is_map_memory(&mb, 0x7c440000));
	assert_true(vmk_memblock_is_reserved(&mb, 0x41ffffff));
	assert_true(vmk_memblock_is_reserved(&mb, 0x7c430000));
	assert_false(vmk_memblock_is_memory(&mb, 0xfe000000));
	free(f);
}

static void test_old_form_and_grep(void **state)
{
	struct fm *f = fm_new(64);
	/* before 6.4: no node, no flag; prefixes from grep over the two files */
	const char *text =
		"/sys/kernel/debug/memblock/memory:   0: 0x0000000000001000..0x000000000009efff\n"
		"/sys/kernel/debug/memblock/memory:   1: 0x0000000000100000..0x000000007ffdffff\n"
		"/sys/kernel/debug/memblock/reserved:   0: 0x0000000000000000..0x0000000000000fff\n"
		"/sys/kernel/debug/memblock/reserved:   1: 0x000000000009e000..0x0000000000100fff\n";

	(void)state;
	FM_PARSE_TEXT(f, vmk_fwmap_parse_memblock_debugfs, text, 0);
	/* [0, 4K) lies below memory and the hole between is no memory: left out */
	assert_int_equal(f->m.n, 4);
	fm_expect(f, 0, 0x1000, 0x9e000, VMK_MEM_USABLE);
	fm_expect(f, 1, 0x100000, 0x7fee0000, VMK_MEM_USABLE);
	fm_expect(f, 2, 0x9e000, 0x1000, VMK_MEM_RESERVED);	/* the tail of memory[0] */
	assert_int_equal(f->m.e[2].flags, VMK_FWMAP_F_IN_RAM);
	fm_expect(f, 3, 0x100000, 0x1000, VMK_MEM_RESERVED);	/* the head of memory[1] */
	assert_int_equal(f->m.e[3].flags, VMK_FWMAP_F_IN_RAM);
	free(f);
}

/* The rarer rejections and flags of the debugfs lists, each naming its line. */
static void test_debugfs_rare_lines(void **state)
{
	struct fm *f = fm_new(64);

	(void)state;
	FM_PARSE_TEXT(f, vmk_fwmap_parse_memblock_debugfs,
		      "   0: 0x0000000000000000..0xffffffffffffffff\n", -VMK_EPARSE);
	assert_true(fm_has(f, VMK_FWMAP_ERR, 1, "covers all 2^64 bytes"));
	/* After an error the later lines are still checked, but nothing is added. */
	vmk_fwmap_diag_init(&f->d, f->msg, VMK_ARRAY_SIZE(f->msg));
	FM_PARSE_TEXT(f, vmk_fwmap_parse_memblock_debugfs,
		      "   0: 0x0000000000002000..0x0000000000001000\n"
		      "   1: 0x0000000000003000..0x0000000000003fff\n"
		      "   2: 0x0000000000003800..0x0000000000004fff\n", -VMK_EPARSE);
	assert_true(fm_has(f, VMK_FWMAP_ERR, 1, "malformed"));
	assert_true(fm_has(f, VMK_FWMAP_ERR, 3, "below the end of the previous one"));
	assert_int_equal(f->m.n, 0);
	/* Memory listed after reserved: the two files in the wrong order. */
	vmk_fwmap_diag_init(&f->d, f->msg, VMK_ARRAY_SIZE(f->msg));
	FM_PARSE_TEXT(f, vmk_fwmap_parse_memblock_debugfs,
		      "memory:\n   0: 0x0000000000001000..0x0000000000001fff\n"
		      "reserved:\n   0: 0x0000000000001000..0x00000000000010ff\n"
		      "memory:\n   1: 0x0000000000002000..0x0000000000002fff\n", -VMK_EPARSE);
	assert_true(fm_has(f, VMK_FWMAP_ERR, 6, "give memory first"));
	assert_int_equal(f->m.n, 0);
	/* MIRROR carried; driver-managed memory (kmem, virtio-mem) is no boot memory. */
	vmk_fwmap_diag_init(&f->d, f->msg, VMK_ARRAY_SIZE(f->msg));
	FM_PARSE_TEXT(f, vmk_fwmap_parse_memblock_debugfs,
		      "   0: 0x0000000000001000..0x0000000000001fff    0 MIRROR\n"
		      "   1: 0x0000000100000000..0x000000013fffffff    1 DRV_MNG\n", 0);
	assert_int_equal(f->m.n, 1);
	fm_expect(f, 0, 0x1000, 0x1000, VMK_MEM_USABLE);
	assert_int_equal(f->m.e[0].flags, VMK_FWMAP_F_MIRROR);
	assert_true(fm_has(f, VMK_FWMAP_INFO, 2, "driver-managed memory skipped"));
	free(f);
}

/* A map too small: -VMK_ENOSPC naming the line, for memory and for reserved, map unchanged. */
static void test_debugfs_map_full(void **state)
{
	struct fm *f = fm_new(1);

	(void)state;
	FM_PARSE_TEXT(f, vmk_fwmap_parse_memblock_debugfs,
		      "   0: 0x0000000000001000..0x0000000000001fff\n"
		      "   1: 0x0000000000003000..0x0000000000003fff\n", -VMK_ENOSPC);
	assert_true(fm_has(f, VMK_FWMAP_ERR, 2, "map full (1 entries)"));
	assert_int_equal(f->m.n, 0);
	vmk_fwmap_diag_init(&f->d, f->msg, VMK_ARRAY_SIZE(f->msg));
	FM_PARSE_TEXT(f, vmk_fwmap_parse_memblock_debugfs,
		      "memory:\n   0: 0x0000000000001000..0x0000000000001fff\n"
		      "reserved:\n   0: 0x0000000000001000..0x00000000000010ff\n", -VMK_ENOSPC);
	assert_true(fm_has(f, VMK_FWMAP_ERR, 4, "map full"));
	assert_int_equal(f->m.n, 0);
	free(f);
}

static void test_errors_and_dmesg_fallback(void **state)
{
	struct fm *f = fm_new(64);

	(void)state;
	FM_PARSE_TEXT(f, vmk_fwmap_parse_memblock_debugfs,
		      "   0: 0x0000000000001000..0x000000000009efff\n"
		      "   1: 0x0000000000100000..0x00000000000fffff\n", -VMK_EPARSE);
	assert_true(fm_has(f, VMK_FWMAP_ERR, 2, "malformed"));
	FM_PARSE_TEXT(f, vmk_fwmap_parse_memblock_debugfs,
		      "   0: 0x0000000000100000..0x00000000001fffff\n"
		      "   1: 0x0000000000001000..0x000000000009efff\n", -VMK_EPARSE);
	assert_true(fm_has(f, VMK_FWMAP_ERR, 2, "below the end of the previous one"));
	FM_PARSE_TEXT(f, vmk_fwmap_parse_memblock_debugfs,
		      "reserved:\n   0: 0x0000000000001000..0x000000000009efff\n", -VMK_ENOENT);
	FM_PARSE_TEXT(f, vmk_fwmap_parse_memblock_debugfs, "hello\n", -VMK_ENOENT);
	assert_int_equal(f->m.n, 0);
	/* a text that is no log: the whole-dmesg entry point finds the lists */
	vmk_fwmap_diag_init(&f->d, f->msg, VMK_ARRAY_SIZE(f->msg));
	FM_PARSE_TEXT(f, vmk_fwmap_parse_dmesg, head_6x, 0);
	assert_int_equal(f->m.n, 8);
	free(f);
}

/* memblock=debug's dump in a log (a device-tree boot's only record of memory): the last dump with memory. */
static void test_memblock_dump(void **state)
{
	struct fm *f = fm_new(64);
	const char *text =
		"[    0.000000] Machine model: linux,dummy-virt\n"
		"[    0.000000] MEMBLOCK configuration:\n"
		"[    0.000000]  memory size = 0x0000000000000000 reserved size = 0x0000000000000000\n"
		"[    0.000000]  memory[0x0]\t[0x0000000000000000-0xffffffffffffffff], 0x0000000000000000 bytes on node 0 flags: 0x0\n"
		"[    0.000000]  reserved.cnt  = 0x1\n"
		"[    0.000000] MEMBLOCK configuration:\n"
		"[    0.000000]  memory.cnt  = 0x3\n"
		"[    0.000000]  memory[0x0]\t[0x0000000004000000-0x0000000007ffffff], 0x0000000004000000 bytes on node 0 flags: 0x4\n"
		"[    0.000000]  memory[0x1]\t[0x0000000040000000-0x000000007fffffff], 0x0000000040000000 bytes flags: 0x2\n"
		"[    0.000000]  memory[0x2]\t[0x0000000080000000-0x00000000bfffffff], 0x0000000040000000 bytes flags: 0x8\n"
		"[    0.000000]  reserved.cnt  = 0x1\n"
		"[    0.000000]  reserved[0x0]\t[0x0000000040000000-0x0000000040ffffff], 0x0000000001000000 bytes flags: 0x0\n";

	(void)state;
	FM_PARSE_TEXT(f, vmk_fwmap_parse_memblock_dump, text, 0);
	assert_int_equal(f->m.n, 2);
	fm_expect(f, 0, 0x4000000, 0x4000000, VMK_MEM_NOMAP);
	fm_expect(f, 1, 0x40000000, 0x40000000, VMK_MEM_USABLE);
	assert_int_equal(f->m.e[1].flags, VMK_FWMAP_F_MIRROR);
	assert_int_equal(f->m.e[1].src, 9);
	assert_true(fm_has(f, VMK_FWMAP_INFO, 10, "driver-managed"));
	/* The whole-dmesg entry point takes it when there is neither E820 nor EFI. */
	f->m.n = 0;
	FM_PARSE_TEXT(f, vmk_fwmap_parse_dmesg, text, 0);
	assert_int_equal(f->m.n, 2);
	/* Only the empty dump: nothing; a malformed memory line: an error naming it. */
	f->m.n = 0;
	FM_PARSE_TEXT(f, vmk_fwmap_parse_memblock_dump,
		      "MEMBLOCK configuration:\n memory[0x0]\t[0x0-0xffffffffffffffff], 0x0 bytes flags: 0x0\n",
		      -VMK_ENOENT);
	FM_PARSE_TEXT(f, vmk_fwmap_parse_memblock_dump,
		      "MEMBLOCK configuration:\n memory[0x0]\t[0x1000-0x1fff], 0x1000 bytes flags: 0x0\n"
		      " memory[0x1]\t[0x3000-0x2fff], 0x1000 bytes flags: 0x0\n", -VMK_EPARSE);
	assert_true(fm_has(f, VMK_FWMAP_ERR, 3, "malformed"));
	assert_int_equal(f->m.n, 0);
	/* A device-tree log without a dump: the message says what is missing. */
	FM_PARSE_TEXT(f, vmk_fwmap_parse_dmesg, "[    0.000000] Machine model: linux,dummy-virt\n", -VMK_ENOENT);
	assert_true(fm_has(f, VMK_FWMAP_ERR, 0, "device-tree boot log"));
	free(f);
	/* A map of one entry for two memory regions: -VMK_ENOSPC naming the line, map unchanged. */
	f = fm_new(1);
	FM_PARSE_TEXT(f, vmk_fwmap_parse_memblock_dump, text, -VMK_ENOSPC);
	assert_true(fm_has(f, VMK_FWMAP_ERR, 9, "map full (1 entries)"));
	assert_int_equal(f->m.n, 0);
	free(f);
}

/*
 * A dump the log lost lines of (memblock=debug overflows the log buffer;
 * a log cut off mid-dump) or whose lines were mixed up is an error naming
 * the line, never a map with memory missing or an older dump's memory.
 */
static void test_memblock_dump_damaged(void **state)
{
	struct fm *f = fm_new(64);
#define HDR "[    0.000000] MEMBLOCK configuration:\n"
#define CNT2 "[    0.000000]  memory.cnt  = 0x2\n"
#define M0 "[    0.000000]  memory[0x0]\t[0x0000000040000000-0x000000007fffffff], 0x0000000040000000 bytes on node 0 flags: 0x0\n"
#define M1 "[    0.000000]  memory[0x1]\t[0x0000000080000000-0x00000000bfffffff], 0x0000000040000000 bytes on node 0 flags: 0x0\n"
#define M1_LOW "[    0.000000]  memory[0x1]\t[0x0000000050000000-0x00000000bfffffff], 0x0000000070000000 bytes on node 0 flags: 0x0\n"
#define M2 "[    0.000000]  memory[0x2]\t[0x0000000080000000-0x00000000bfffffff], 0x0000000040000000 bytes on node 0 flags: 0x0\n"
#define RCNT "[    0.000000]  reserved.cnt  = 0x0\n"

	(void)state;
	/* The whole dump: both regions. */
	FM_PARSE_TEXT(f, vmk_fwmap_parse_memblock_dump, HDR CNT2 M0 M1 RCNT, 0);
	assert_int_equal(f->m.n, 2);
	/* memory.cnt says 2, one memory line before reserved.cnt (line 4). */
	f->m.n = 0;
	FM_PARSE_TEXT(f, vmk_fwmap_parse_memblock_dump, HDR CNT2 M0 RCNT, -VMK_EPARSE);
	assert_true(fm_has(f, VMK_FWMAP_ERR, 4, "memory"));
	assert_int_equal(f->m.n, 0);
	/* The log ends in the middle of the dump. */
	FM_PARSE_TEXT(f, vmk_fwmap_parse_memblock_dump, HDR CNT2 M0, -VMK_EPARSE);
	assert_int_equal(f->m.n, 0);
	/* A dropped line: memory[0x1] missing, memory[0x2] follows memory[0x0] (line 4). */
	FM_PARSE_TEXT(f, vmk_fwmap_parse_memblock_dump, HDR CNT2 M0 M2 RCNT, -VMK_EPARSE);
	assert_true(fm_has(f, VMK_FWMAP_ERR, 4, "memory[0x2]"));
	assert_int_equal(f->m.n, 0);
	/* Regions out of order or overlapping (memblock keeps them sorted and disjoint). */
	FM_PARSE_TEXT(f, vmk_fwmap_parse_memblock_dump, HDR CNT2 M0 M1_LOW RCNT, -VMK_EPARSE);
	assert_true(fm_has(f, VMK_FWMAP_ERR, 4, "below the end"));
	assert_int_equal(f->m.n, 0);
	/* The last dump's memory line is malformed: an error, not the earlier dump's memory. */
	FM_PARSE_TEXT(f, vmk_fwmap_parse_memblock_dump,
		      HDR CNT2 M0 M1 RCNT HDR "[    0.000000]  memory.cnt  = 0x1\n"
		      "[    0.000000]  memory[0x0]\t[0x0000000040000000-0x00000000bfff\n" RCNT,
		      -VMK_EPARSE);
	assert_true(fm_has(f, VMK_FWMAP_ERR, 8, "malformed"));
	assert_int_equal(f->m.n, 0);
	free(f);
#undef HDR
#undef CNT2
#undef M0
#undef M1
#undef M1_LOW
#undef M2
#undef RCNT
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_head_6x),
		cmocka_unit_test(test_old_form_and_grep),
		cmocka_unit_test(test_errors_and_dmesg_fallback),
		cmocka_unit_test(test_debugfs_rare_lines),
		cmocka_unit_test(test_debugfs_map_full),
		cmocka_unit_test(test_memblock_dump),
		cmocka_unit_test(test_memblock_dump_damaged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
