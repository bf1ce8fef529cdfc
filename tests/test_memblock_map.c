/*
 * memblock over a real firmware map: the UEFI map of a QEMU q35 machine
 * with 4 GiB (tests/data/memmaps/qemu-q35-ovmf-x86_64-4G.txt), fed the way
 * an arm64-style EFI boot does it: usable types (Loader*, BootServices*,
 * Conventional) are memory; runtime services and ACPI NVS are memory
 * marked NOMAP; ACPI reclaim is memory and reserved; Reserved and MMIO are
 * only reserved (they stick out of memory). The expected figures below were
 * worked out from the file's lines by hand (merging touching entries of the
 * same treatment), not by running memblock.
 */
#include "memblock_util.h"

static struct vmk_memblock mb;

static void load_map(void)
{
	size_t len, pos = 0;
	char *text = th_read_data("memmaps/qemu-q35-ovmf-x86_64-4G.txt", &len);
	struct vmk_str line;
	int lines = 0;

	vmk_memblock_init(&mb);
	while (vmk_next_line(text, len, &pos, &line)) {
		char buf[256], name[32];
		unsigned long long first, last;
		int type;

		if (line.len == 0 || line.p[0] == '#')
			continue;
		assert_true(line.len < sizeof(buf));
		memcpy(buf, line.p, line.len);
		buf[line.len] = '\0';
		assert_int_equal(sscanf(buf, "%d %31s phys %llx-%llx", &type, name, &first, &last), 4);
		lines++;
		vmk_size_t size = last - first + 1;

		switch (type) {
		case 1: case 2: case 3: case 4: case 7:		/* usable after ExitBootServices */
			assert_int_equal(vmk_memblock_add(&mb, first, size), 0);
			break;
		case 5: case 6: case 10:			/* runtime services, ACPI NVS */
			assert_int_equal(vmk_memblock_add(&mb, first, size), 0);
			assert_int_equal(vmk_memblock_mark_nomap(&mb, first, size), 0);
			break;
		case 9:						/* ACPI reclaim: keep the tables */
			assert_int_equal(vmk_memblock_add(&mb, first, size), 0);
			assert_int_equal(vmk_memblock_reserve(&mb, first, size), 0);
			break;
		default:					/* Reserved, MMIO */
			assert_int_equal(vmk_memblock_reserve(&mb, first, size), 0);
			break;
		}
	}
	assert_int_equal(lines, 130);
	free(text);
	vmk_memblock_check(&mb);
}

static void test_q35_4g_lists(void **state)
{
	(void)state;
	vmk_sim_install();
	load_map();
	EXPECT(&mb.memory,
	       { 0x0, 0xa0000, NN, 0 },
	       { 0x100000, 0x706000, NN, 0 },
	       { 0x806000, 0x2000, NN, VMK_MEMBLOCK_NOMAP },
	       { 0x808000, 0x8000, NN, 0 },
	       { 0x810000, 0xf0000, NN, VMK_MEMBLOCK_NOMAP },
	       { 0x900000, 0x7e1a0000, NN, 0 },
	       { 0x7eaa0000, 0x102000, NN, VMK_MEMBLOCK_NOMAP },
	       { 0x7eba2000, 0x94a000, NN, 0 },
	       { 0x7f4ec000, 0x200000, NN, VMK_MEMBLOCK_NOMAP },
	       { 0x7f76c000, 0x12000, NN, 0 },
	       { 0x7f77e000, 0x80000, NN, VMK_MEMBLOCK_NOMAP },
	       { 0x7f7fe000, 0x6f6000, NN, 0 },
	       { 0x7fef4000, 0x10c000, NN, VMK_MEMBLOCK_NOMAP },
	       { 0x100000000, 0x80000000, NN, 0 });
	/* the Reserved entry right below the ACPI tables merges with them */
	EXPECT(&mb.reserved,
	       { 0x7f6ec000, 0x92000, NN, 0 },
	       { 0xb0000000, 0x10000000, NN, 0 },
	       { 0xffc00000, 0x400000, NN, 0 });
	assert_true(vmk_memblock_phys_mem_size(&mb) == 0xfff20000);
	/* free = the usable entries: 1046926 pages */
	assert_true(vmk_memblock_free_size(&mb) == 1046926ULL * VMK_PAGE_SIZE);
	assert_true(vmk_memblock_start_of_dram(&mb) == 0);
	assert_true(vmk_memblock_end_of_dram(&mb) == 0x180000000ULL);
	assert_false(vmk_memblock_is_map_memory(&mb, 0x7fef4000));
	assert_true(vmk_memblock_is_memory(&mb, 0x7fef4000));
	assert_false(vmk_memblock_is_memory(&mb, 0xb0000000));
	assert_true(vmk_memblock_is_region_reserved(&mb, 0xafffffff, 2));
}

static void test_q35_4g_walk_and_alloc(void **state)
{
	static const struct vmk_range usable[] = {
		{ 0x0, 0xa0000 }, { 0x100000, 0x806000 }, { 0x808000, 0x810000 },
		{ 0x900000, 0x7eaa0000 }, { 0x7eba2000, 0x7f4ec000 },
		{ 0x7f7fe000, 0x7fef4000 }, { 0x100000000, 0x180000000 },
	};
	uint64_t idx;
	vmk_paddr_t b, e, pa;
	size_t i = 0;

	(void)state;
	vmk_sim_install();
	load_map();
	vmk_memblock_foreach_free(&mb, idx, NN, b, e, NULL) {
		assert_true(i < VMK_ARRAY_SIZE(usable));
		assert_true(b == usable[i].base && e == usable[i].end);
		i++;
	}
	assert_int_equal(i, VMK_ARRAY_SIZE(usable));
	/* 16 MiB, 2 MiB aligned, top-down: the top of RAM above 4 GiB */
	assert_int_equal(vmk_memblock_alloc(&mb, 16 * VMK_MiB, 2 * VMK_MiB, &pa), 0);
	assert_true(pa == 0x17f000000ULL);
	/* below 4 GiB, 1 MiB aligned: the highest usable range there is [0x7f7fe000, 0x7fef4000) */
	vmk_memblock_set_current_limit(&mb, 0x100000000ULL);
	assert_int_equal(vmk_memblock_alloc(&mb, VMK_MiB, VMK_MiB, &pa), 0);
	assert_true(pa == 0x7fd00000);
	/* bottom-up: page 0 is usable memory here, and memblock may return it */
	vmk_memblock_set_bottom_up(&mb, true);
	assert_int_equal(vmk_memblock_alloc(&mb, VMK_PAGE_SIZE, 0, &pa), 0);
	assert_true(pa == 0);
	/* bottom-up, 2 MiB aligned: [0, 0xa0000) is too small, [1 MiB, ...) rounds up to 2 MiB */
	assert_int_equal(vmk_memblock_alloc(&mb, 2 * VMK_MiB, 2 * VMK_MiB, &pa), 0);
	assert_true(pa == 0x200000);
	vmk_memblock_check(&mb);
	assert_true(vmk_memblock_free_size(&mb) ==
		    1046926ULL * VMK_PAGE_SIZE - 16 * VMK_MiB - VMK_MiB - VMK_PAGE_SIZE - 2 * VMK_MiB);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_q35_4g_lists),
		cmocka_unit_test(test_q35_4g_walk_and_alloc),
	};

	vmk_sim_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
