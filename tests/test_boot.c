/* Tests of src/boot: the firmware-map -> memblock/resource policy. */
#include "harness.h"

#include <vmkit/boot.h>

static struct vmk_memblock mb;
static struct vmk_fwmap_entry ents[64];
static struct vmk_fwmap map;
static struct vmk_resource nodes[128];
static char names[4096];
static struct vmk_resource_pool pool;
static struct vmk_resource root;

static int setup(void **state)
{
	(void)state;
	vmk_sim_install();
	vmk_memblock_init(&mb);
	vmk_fwmap_init(&map, ents, 64);
	vmk_resource_pool_init(&pool, nodes, 128, names, sizeof(names));
	vmk_iomem_root_init(&root);
	return 0;
}

static void add(vmk_paddr_t base, vmk_size_t size, uint32_t kind)
{
	assert_int_equal(vmk_fwmap_add(&map, base, size, kind, 0), 0);
}

static bool region_has(const struct vmk_memblock_type *t, vmk_paddr_t base, vmk_size_t size,
		       uint32_t flags)
{
	for (size_t i = 0; i < t->cnt; i++)
		if (t->regions[i].base <= base &&
		    base + size <= t->regions[i].base + t->regions[i].size)
			return (t->regions[i].flags & flags) == flags;
	return false;
}

static void test_policy_table(void **state)
{
	struct vmk_fwmap_entry e = { .base = 0, .size = 4096 };

	(void)state;
	static const struct { uint32_t kind; enum vmk_boot_action act; const char *name; } want[] = {
		{ VMK_MEM_USABLE, VMK_BOOT_FREE, "System RAM" },
		{ VMK_MEM_BOOT_SERVICES, VMK_BOOT_FREE, "System RAM" },
		{ VMK_MEM_BOOTLOADER, VMK_BOOT_RESERVE, "System RAM" },
		{ VMK_MEM_UNACCEPTED, VMK_BOOT_RESERVE, "System RAM" },
		{ VMK_MEM_ACPI_RECLAIM, VMK_BOOT_RESERVE, "ACPI Tables" },
		{ VMK_MEM_ACPI_NVS, VMK_BOOT_NOMAP, "ACPI Non-volatile Storage" },
		{ VMK_MEM_RUNTIME_CODE, VMK_BOOT_NOMAP, "Reserved" },
		{ VMK_MEM_RUNTIME_DATA, VMK_BOOT_NOMAP, "Reserved" },
		{ VMK_MEM_NOMAP, VMK_BOOT_NOMAP, "Reserved" },
		{ VMK_MEM_RESERVED, VMK_BOOT_SKIP, "Reserved" },
		{ VMK_MEM_SOFT_RESERVED, VMK_BOOT_SKIP, "Soft Reserved" },
		{ VMK_MEM_PERSISTENT, VMK_BOOT_SKIP, "Persistent Memory" },
		{ VMK_MEM_UNUSABLE, VMK_BOOT_SKIP, "Unusable memory" },
		{ VMK_MEM_MMIO, VMK_BOOT_SKIP, "Reserved" },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		e.kind = want[i].kind;
		assert_int_equal(vmk_boot_action(&e, VMK_FWMAP_FMT_EFI), want[i].act);
		assert_string_equal(vmk_boot_resource_name(&e, VMK_FWMAP_FMT_EFI), want[i].name);
	}
	/* Device-tree reserved-memory is RAM in use; a NOMAP flag always wins. */
	e.kind = VMK_MEM_RESERVED;
	assert_int_equal(vmk_boot_action(&e, VMK_FWMAP_FMT_FDT), VMK_BOOT_RESERVE);
	assert_string_equal(vmk_boot_resource_name(&e, VMK_FWMAP_FMT_FDT), "System RAM");
	e.kind = VMK_MEM_USABLE;
	e.flags = VMK_FWMAP_F_NOMAP;
	assert_int_equal(vmk_boot_action(&e, VMK_FWMAP_FMT_FDT), VMK_BOOT_NOMAP);
	/* ... and no-map RAM is not System RAM a kexec loader may use. */
	assert_string_equal(vmk_boot_resource_name(&e, VMK_FWMAP_FMT_FDT), "Reserved");
	e.kind = VMK_MEM_BOOTLOADER;
	assert_string_equal(vmk_boot_resource_name(&e, VMK_FWMAP_FMT_EFI), "Reserved");
	e.kind = VMK_MEM_USABLE;
	/* Carved out of RAM (nested /proc/iomem entry): memory, reserved. */
	e.flags = VMK_FWMAP_F_IN_RAM;
	e.kind = VMK_MEM_RESERVED;
	assert_int_equal(vmk_boot_action(&e, VMK_FWMAP_FMT_NONE), VMK_BOOT_RESERVE);
	assert_string_equal(vmk_boot_resource_name(&e, VMK_FWMAP_FMT_NONE), "System RAM");
	e.kind = VMK_MEM_ACPI_NVS;
	assert_int_equal(vmk_boot_action(&e, VMK_FWMAP_FMT_NONE), VMK_BOOT_NOMAP);
	e.flags = 0;
	/* Legacy type-12 persistent memory keeps Linux's name. */
	e.kind = VMK_MEM_PERSISTENT;
	e.fw_type = VMK_E820_PRAM;
	assert_string_equal(vmk_boot_resource_name(&e, VMK_FWMAP_FMT_E820), "Persistent Memory (legacy)");
}

static void test_memblock_from_fwmap(void **state)
{
	(void)state;
	add(0x0, 0x9f000, VMK_MEM_USABLE);
	add(0x100000, 0x100000, VMK_MEM_BOOTLOADER);
	add(0x200000, 0x1000, VMK_MEM_ACPI_NVS);
	add(0x201000, 0x10000, VMK_MEM_ACPI_RECLAIM);
	add(0x300000, 0x100000, VMK_MEM_RESERVED);
	add(0x400000, 0x400000, VMK_MEM_BOOT_SERVICES);
	assert_int_equal(vmk_boot_memblock_from_fwmap(&mb, &map), 0);
	vmk_memblock_check(&mb);
	assert_true(vmk_memblock_is_memory(&mb, 0x0));
	assert_false(vmk_memblock_is_memory(&mb, 0x300000));	/* reserved: not RAM */
	assert_true(region_has(&mb.memory, 0x200000, 0x1000, VMK_MEMBLOCK_NOMAP));
	assert_false(vmk_memblock_is_map_memory(&mb, 0x200000));
	assert_true(vmk_memblock_is_region_reserved(&mb, 0x100000, 0x100000));
	assert_true(vmk_memblock_is_region_reserved(&mb, 0x201000, 0x10000));
	assert_false(vmk_memblock_is_region_reserved(&mb, 0x400000, 0x400000));
	assert_int_equal(vmk_memblock_phys_mem_size(&mb), 0x9f000 + 0x100000 + 0x1000 + 0x10000 + 0x400000);
	assert_int_equal(vmk_memblock_free_size(&mb), 0x9f000 + 0x400000);
}

static void test_reserve_kernel(void **state)
{
	vmk_paddr_t pa;

	(void)state;
	add(0x0, 0x9f000, VMK_MEM_USABLE);
	add(0x100000, 0x7f00000, VMK_MEM_USABLE);		/* up to 128 MiB */
	add(0x1100000, 0x100000, VMK_MEM_ACPI_NVS);		/* hole at 17 MiB */
	assert_int_equal(vmk_fwmap_sanitize(&map, NULL, NULL), 0);
	assert_int_equal(vmk_boot_memblock_from_fwmap(&mb, &map), 0);
	/* Lowest 2 MiB-aligned free place at or above 16 MiB that fits 4 MiB: 18 MiB. */
	assert_int_equal(vmk_boot_reserve_kernel(&mb, 4 * VMK_MiB, 2 * VMK_MiB, 16 * VMK_MiB, false, &pa), 0);
	assert_int_equal(pa, 18 * VMK_MiB);
	assert_true(vmk_memblock_is_region_reserved(&mb, pa, 4 * VMK_MiB));
	assert_false(mb.bottom_up);	/* direction restored */
	/* Fixed: over the NOMAP hole or the kernel is refused, nothing reserved. */
	vmk_size_t before = vmk_memblock_reserved_size(&mb);

	pa = 0x1000000;
	assert_int_equal(vmk_boot_reserve_kernel(&mb, 2 * VMK_MiB, 0, 0, true, &pa), -VMK_EBUSY);
	pa = 20 * VMK_MiB;
	assert_int_equal(vmk_boot_reserve_kernel(&mb, 2 * VMK_MiB, 0, 0, true, &pa), -VMK_EBUSY);
	pa = 0x7f00000;
	assert_int_equal(vmk_boot_reserve_kernel(&mb, 2 * VMK_MiB, 0, 0, true, &pa), -VMK_EBUSY);
	assert_int_equal(vmk_memblock_reserved_size(&mb), before);
	pa = 64 * VMK_MiB;
	assert_int_equal(vmk_boot_reserve_kernel(&mb, 2 * VMK_MiB, 0, 0, true, &pa), 0);
	assert_int_equal(vmk_memblock_reserved_size(&mb), before + 2 * VMK_MiB);
	/* Impossible requests. */
	assert_int_equal(vmk_boot_reserve_kernel(&mb, 0, 0, 0, false, &pa), -VMK_EINVAL);
	assert_int_equal(vmk_boot_reserve_kernel(&mb, 4096, 3, 0, false, &pa), -VMK_EINVAL);
	assert_int_equal(vmk_boot_reserve_kernel(&mb, VMK_GiB, 0, 0, false, &pa), -VMK_ENOMEM);
	pa = UINT64_MAX - 4095;
	assert_int_equal(vmk_boot_reserve_kernel(&mb, 8192, 0, 0, true, &pa), -VMK_EINVAL);
}

static const char *render(void)
{
	static char buf[8192];
	struct vmk_outbuf ob;

	vmk_outbuf_init(&ob, buf, sizeof(buf));
	vmk_resource_render(&root, &ob.out);
	assert_false(ob.overflow);
	return buf;
}

static void test_resources(void **state)
{
	vmk_paddr_t pa;

	(void)state;
	add(0x0, 0x9f000, VMK_MEM_USABLE);
	add(0x9f000, 0x1000, VMK_MEM_RESERVED);
	add(0x100000, 0x100000, VMK_MEM_BOOT_SERVICES);	/* one System RAM with the next */
	add(0x200000, 0x3e00000, VMK_MEM_USABLE);
	add(0x4000000, 0x10000, VMK_MEM_ACPI_RECLAIM);
	add(0x4010000, 0x1000, VMK_MEM_ACPI_NVS);
	assert_int_equal(vmk_boot_memblock_from_fwmap(&mb, &map), 0);
	assert_int_equal(vmk_memblock_reserve(&mb, 0, 0x10000), 0);
	assert_int_equal(vmk_boot_reserve_kernel(&mb, 2 * VMK_MiB, 2 * VMK_MiB, 16 * VMK_MiB, false, &pa), 0);
	assert_int_equal(vmk_boot_resources_from_fwmap(&root, &pool, &map), 0);
	assert_int_equal(vmk_boot_resources_add_reserved(&root, &pool, &mb, pa, 2 * VMK_MiB), 0);
	assert_string_equal(render(),
		"00000000-0009efff : System RAM\n"
		"  00000000-0000ffff : reserved\n"
		"0009f000-0009ffff : Reserved\n"
		"00100000-03ffffff : System RAM\n"
		"  01000000-011fffff : Kernel image\n"
		"04000000-0400ffff : ACPI Tables\n"
		"04010000-04010fff : ACPI Non-volatile Storage\n");
	assert_true(vmk_resource_check(&root) > 0);
}

/* A reservation around an existing child: only the gaps become "reserved". */
static void test_resources_around_existing_child(void **state)
{
	static struct vmk_resource crash;
	struct vmk_resource *conflict;

	(void)state;
	add(0x0, 0x10000000, VMK_MEM_USABLE);
	assert_int_equal(vmk_boot_memblock_from_fwmap(&mb, &map), 0);
	/* One merged memblock reservation 0x3f00000-0x6100000 holding the crash kernel. */
	assert_int_equal(vmk_memblock_reserve(&mb, 0x3f00000, 0x100000), 0);
	assert_int_equal(vmk_memblock_reserve(&mb, 0x4000000, 0x2000000), 0);
	assert_int_equal(vmk_memblock_reserve(&mb, 0x6000000, 0x100000), 0);
	assert_int_equal(mb.reserved.cnt, 1);
	assert_int_equal(vmk_boot_resources_from_fwmap(&root, &pool, &map), 0);
	vmk_resource_init(&crash, 0x4000000, 0x5ffffff, "Crash kernel",
			  VMK_RES_SYSTEM_RAM | VMK_RES_BUSY, VMK_RES_DESC_CRASH_KERNEL);
	assert_int_equal(vmk_resource_insert(&root, &crash, &conflict), 0);
	assert_int_equal(vmk_boot_resources_add_reserved(&root, &pool, &mb, 0, 0), 0);
	assert_string_equal(render(),
		"00000000-0fffffff : System RAM\n"
		"  03f00000-03ffffff : reserved\n"
		"  04000000-05ffffff : Crash kernel\n"
		"  06000000-060fffff : reserved\n");
	vmk_resource_check(&root);
}

/*
 * Reservations nest page-rounded, each filling only what earlier ones left,
 * as Linux's reserve_memblock_reserved_regions() (PFN_DOWN/PFN_UP, then
 * reserve_region_with_split) does: the numbers are the virt-dt-1G oracle
 * run's (tests/data/linux), where Linux shows exactly these two entries.
 */
static void test_resources_reserved_page_rounded(void **state)
{
	(void)state;
	add(0x40000000, 0x40000000, VMK_MEM_USABLE);
	assert_int_equal(vmk_boot_memblock_from_fwmap(&mb, &map), 0);
	assert_int_equal(vmk_memblock_reserve(&mb, 0x7fdce380, 0x7fdf2100 - 0x7fdce380), 0);
	assert_int_equal(vmk_memblock_reserve(&mb, 0x7fdf2c80, 0x7fdfcffc - 0x7fdf2c80), 0);
	assert_int_equal(vmk_boot_resources_from_fwmap(&root, &pool, &map), 0);
	assert_int_equal(vmk_boot_resources_add_reserved(&root, &pool, &mb, 0, 0), 0);
	assert_string_equal(render(),
		"40000000-7fffffff : System RAM\n"
		"  7fdce000-7fdf2fff : reserved\n"
		"  7fdf3000-7fdfcfff : reserved\n");
	vmk_resource_check(&root);
}

/* Running out of resource nodes is an error, never a crash. */
static void test_resources_pool_exhausted(void **state)
{
	struct vmk_resource few[2];
	struct vmk_resource_pool small;

	(void)state;
	add(0x0, 0x1000, VMK_MEM_USABLE);
	add(0x2000, 0x1000, VMK_MEM_RESERVED);
	add(0x4000, 0x1000, VMK_MEM_USABLE);
	vmk_resource_pool_init(&small, few, 2, NULL, 0);
	assert_int_equal(vmk_boot_resources_from_fwmap(&root, &small, &map), -VMK_ENOMEM);
	vmk_resource_check(&root);
	vmk_iomem_root_init(&root);
	vmk_sim_fail_nth(0, "resource.alloc", false);
	assert_int_equal(vmk_boot_resources_from_fwmap(&root, &pool, &map), -VMK_ENOMEM);
	vmk_sim_fail_off();
	assert_null(root.child);
}

/*
 * A reservation across several top-level resources nests only inside the
 * System RAM ones, starting where each begins (past a gap); one above
 * every resource adds nothing; a kernel image outside System RAM (in
 * "Reserved", or in a gap) is not shown.
 */
static void test_resources_reserved_spans(void **state)
{
	(void)state;
	add(0x0, 0x100000, VMK_MEM_USABLE);
	add(0x100000, 0x100000, VMK_MEM_RESERVED);
	add(0x200000, 0x200000, VMK_MEM_USABLE);
	add(0x800000, 0x100000, VMK_MEM_USABLE);
	assert_int_equal(vmk_boot_memblock_from_fwmap(&mb, &map), 0);
	assert_int_equal(vmk_memblock_reserve(&mb, 0x80000, 0x200000), 0);
	assert_int_equal(vmk_memblock_reserve(&mb, 0x700000, 0x180000), 0);
	assert_int_equal(vmk_memblock_reserve(&mb, 0x10000000, 0x1000), 0);
	assert_int_equal(vmk_boot_resources_from_fwmap(&root, &pool, &map), 0);
	assert_int_equal(vmk_boot_resources_add_reserved(&root, &pool, &mb, 0x150000, 0x10000), 0);
	assert_int_equal(vmk_boot_resources_add_reserved(&root, &pool, &mb, 0x600000, 0x10000), 0);
	assert_int_equal(vmk_boot_resources_add_reserved(&root, &pool, &mb, 0x20000000, 0x10000), 0);
	assert_string_equal(render(),
		"00000000-000fffff : System RAM\n"
		"  00080000-000fffff : reserved\n"
		"00100000-001fffff : Reserved\n"
		"00200000-003fffff : System RAM\n"
		"  00200000-0027ffff : reserved\n"
		"00800000-008fffff : System RAM\n"
		"  00800000-0087ffff : reserved\n");
	vmk_resource_check(&root);
}

/* No node for the kernel image or for a reservation: -VMK_ENOMEM, the tree as it was. */
static void test_resources_reserved_no_node(void **state)
{
	static char before[8192];

	(void)state;
	add(0x0, 0x1000000, VMK_MEM_USABLE);
	assert_int_equal(vmk_boot_memblock_from_fwmap(&mb, &map), 0);
	assert_int_equal(vmk_memblock_reserve(&mb, 0x10000, 0x10000), 0);
	assert_int_equal(vmk_boot_resources_from_fwmap(&root, &pool, &map), 0);
	snprintf(before, sizeof(before), "%s", render());
	vmk_sim_fail_nth(0, "resource.alloc", false);
	assert_int_equal(vmk_boot_resources_add_reserved(&root, &pool, &mb, 0x200000, 0x200000), -VMK_ENOMEM);
	vmk_sim_fail_off();
	assert_string_equal(render(), before);
	vmk_sim_fail_nth(0, "resource.alloc", false);
	assert_int_equal(vmk_boot_resources_add_reserved(&root, &pool, &mb, 0, 0), -VMK_ENOMEM);
	vmk_sim_fail_off();
	assert_string_equal(render(), before);
	vmk_resource_check(&root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_policy_table, setup),
		cmocka_unit_test_setup(test_memblock_from_fwmap, setup),
		cmocka_unit_test_setup(test_reserve_kernel, setup),
		cmocka_unit_test_setup(test_resources, setup),
		cmocka_unit_test_setup(test_resources_around_existing_child, setup),
		cmocka_unit_test_setup(test_resources_pool_exhausted, setup),
		cmocka_unit_test_setup(test_resources_reserved_page_rounded, setup),
		cmocka_unit_test_setup(test_resources_reserved_spans, setup),
		cmocka_unit_test_setup(test_resources_reserved_no_node, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
