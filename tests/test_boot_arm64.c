/*
 * The arm64 boot policy against what Linux arm64 does on the real maps of
 * tests/data/memmaps: the QEMU virt (AAVMF) UEFI maps and the arm64
 * /proc/iomem sample. Expected memblock sizes and /proc/iomem top levels
 * were worked out by hand from the .txt listings with Linux's rules
 * (efi-init.c is_memory/is_usable_memory, reserve_regions; setup.c
 * request_standard_resources, reserve_memblock_reserved_regions): the
 * 64 MiB flash (MMIO, WC) is NOMAP memory shown as "reserved", the RTC
 * (MMIO, UC only) is not memory, runtime code/data are NOMAP "reserved",
 * and ACPI reclaim nests as "reserved" inside System RAM.
 */
#include "fwmap_test.h"

#include <vmkit/boot.h>

static struct vmk_memblock mb;
static struct vmk_resource nodes[512];
static char names[16384];
static struct vmk_resource_pool pool;
static struct vmk_resource root;
static char out[16384];

static int setup(void **state)
{
	(void)state;
	vmk_sim_install();
	vmk_memblock_init(&mb);
	vmk_resource_pool_init(&pool, nodes, VMK_ARRAY_SIZE(nodes), names, sizeof(names));
	vmk_iomem_root_init(&root);
	return 0;
}

/* Parse and sanitize a map file as the tool does. */
static struct fm *load_efimap(const char *name)
{
	struct fm *f = fm_new(1024);
	struct vmk_fwmap_sanitize_opts opts = { .merge_ignores_attr = true };
	char rel[256];
	size_t len;
	char *blob;

	snprintf(rel, sizeof(rel), "memmaps/%s", name);
	blob = th_read_data(rel, &len);
	assert_int_equal(vmk_fwmap_parse_efi(&f->m, blob, len, 48, 1, &f->d), 0);
	assert_int_equal(vmk_fwmap_sanitize(&f->m, &opts, &f->d), 0);
	free(blob);
	return f;
}

/* The top level of the tree, one "start-end : name" a line. */
static const char *top_level(void)
{
	size_t o = 0;

	out[0] = '\0';
	for (const struct vmk_resource *c = root.child; c; c = c->sibling)
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%08llx-%08llx : %s\n",
				      (unsigned long long)c->start, (unsigned long long)c->end,
				      c->name);
	return out;
}

/* True if the System RAM holding addr has a "reserved" child covering [s, e]. */
static bool nested_reserved(vmk_paddr_t s, vmk_paddr_t e)
{
	for (const struct vmk_resource *c = root.child; c; c = c->sibling) {
		if (c->start > s || c->end < e)
			continue;
		if (strcmp(c->name, "System RAM"))
			return false;
		for (const struct vmk_resource *k = c->child; k; k = k->sibling)
			if (!strcmp(k->name, "reserved") && k->start <= s && e <= k->end)
				return true;
	}
	return false;
}

static void boot_arm64(const struct fm *f)
{
	assert_int_equal(vmk_boot_guess_arch(&f->m), VMK_BOOT_ARCH_ARM64);
	assert_int_equal(vmk_boot_memblock_from_fwmap_arch(&mb, &f->m, VMK_BOOT_ARCH_ARM64), 0);
	vmk_memblock_check(&mb);
	assert_int_equal(vmk_boot_resources_from_memblock(&root, &pool, &mb), 0);
	assert_int_equal(vmk_boot_resources_add_reserved(&root, &pool, &mb, 0, 0), 0);
	vmk_resource_check(&root);
}

static void check_virt(const char *file, uint64_t ram_top, uint64_t memblock_size)
{
	struct fm *f = load_efimap(file);
	char want[1024];
	uint64_t b = ram_top - 0x40000000;	/* offset of the firmware's area below the top */

	(void)b;
	boot_arm64(f);
	/* Linux: 64 MiB of flash + all the RAM */
	assert_true(vmk_memblock_phys_mem_size(&mb) == memblock_size);
	snprintf(want, sizeof(want),
		 "04000000-07ffffff : reserved\n"
		 "40000000-%08llx : System RAM\n"
		 "%08llx-%08llx : reserved\n"
		 "%08llx-%08llx : System RAM\n"
		 "%08llx-%08llx : reserved\n"
		 "%08llx-%08llx : System RAM\n",
		 (unsigned long long)(ram_top - 0x3bc0001),
		 (unsigned long long)(ram_top - 0x3bc0000), (unsigned long long)(ram_top - 0x38d0001),
		 (unsigned long long)(ram_top - 0x38d0000), (unsigned long long)(ram_top - 0x400001),
		 (unsigned long long)(ram_top - 0x400000), (unsigned long long)(ram_top - 0x20001),
		 (unsigned long long)(ram_top - 0x20000), (unsigned long long)(ram_top - 1));
	assert_string_equal(top_level(), want);
	/* ACPI reclaim: memory, reserved, nested as "reserved" in System RAM */
	assert_true(vmk_memblock_is_reserved(&mb, ram_top - 0x3bd0000));
	assert_true(nested_reserved(ram_top - 0x3bd0000, ram_top - 0x3bc0001));
	/* the RTC (MMIO, UC only) is not memory; the flash is, NOMAP */
	assert_false(vmk_memblock_is_memory(&mb, 0x9010000));
	assert_true(vmk_memblock_is_memory(&mb, 0x4000000));
	assert_false(vmk_memblock_is_map_memory(&mb, 0x4000000));
	free(f);
}

static void test_virt_256m(void **state)
{
	(void)state;
	check_virt("qemu-virt-aavmf-aarch64-256M.efimap", 0x50000000, 0x14000000);
}

static void test_virt_1g(void **state)
{
	(void)state;
	check_virt("qemu-virt-aavmf-aarch64-1G.efimap", 0x80000000, 0x44000000);
}

static void test_virt_4g(void **state)
{
	(void)state;
	check_virt("qemu-virt-aavmf-aarch64-4G.efimap", 0x140000000, 0x104000000);
}

static void test_x86_policy_differs(void **state)
{
	struct fm *f = load_efimap("qemu-virt-aavmf-aarch64-1G.efimap");

	(void)state;
	/* the x86 table leaves the flash out and keeps runtime code as RAM kinds */
	assert_int_equal(vmk_boot_memblock_from_fwmap_arch(&mb, &f->m, VMK_BOOT_ARCH_X86_64), 0);
	assert_true(vmk_memblock_phys_mem_size(&mb) == 0x40000000);
	free(f);
}

static void test_iomem_arm64_sample(void **state)
{
	struct fm *f = fm_new(256);
	struct vmk_resource_error err;
	struct vmk_resource_pool p2;
	struct vmk_resource r2, n2[64];
	char nm2[4096];
	size_t len;
	char *text = th_read_data("memmaps/iomem-arm64-nested.txt", &len);

	(void)state;
	vmk_resource_pool_init(&p2, n2, VMK_ARRAY_SIZE(n2), nm2, sizeof(nm2));
	vmk_iomem_root_init(&r2);
	assert_int_equal(vmk_resource_parse(&r2, &p2, text, len, &err), 0);
	assert_int_equal(vmk_resource_to_fwmap(&r2, &f->m), 0);
	assert_int_equal(vmk_fwmap_sanitize(&f->m, NULL, &f->d), 0);
	boot_arm64(f);
	/* top-level "reserved" on arm64 is NOMAP memory: 2 MiB + 8 KiB + the RAM */
	assert_true(vmk_memblock_phys_mem_size(&mb) == 0x200000 + 0x2000 + 0xb000000);
	assert_string_equal(top_level(),
			    "10000000-101fffff : reserved\n"
			    "10201000-10202fff : reserved\n"
			    "14000000-1effffff : System RAM\n");
	/* the nested "reserved" ranges stay nested */
	assert_true(nested_reserved(0x14154000, 0x14154fff));
	assert_true(nested_reserved(0x141c0000, 0x14bcffff));
	assert_true(nested_reserved(0x16370000, 0x1686ffff));
	assert_true(nested_reserved(0x17350000, 0x17377fff));
	/* the old kernel's code and data are RAM for the next one (kexec's view) */
	assert_false(vmk_memblock_is_reserved(&mb, 0x14c10000));
	assert_false(vmk_memblock_is_reserved(&mb, 0x16870000));
	free(text);
	free(f);
}

static void test_e820_is_x86(void **state)
{
	struct fm *f = fm_new(16);
	const char *text =
		"BIOS-e820: [mem 0x0000000040000000-0x000000007fffffff] usable\n"
		"BIOS-e820: [mem 0x0000000080000000-0x000000008fffffff] reserved\n";

	(void)state;
	/* no RAM below 1 MiB, but E820 exists only on x86 */
	FM_PARSE_TEXT(f, vmk_fwmap_parse_e820_text, text, 0);
	assert_int_equal(vmk_boot_guess_arch(&f->m), VMK_BOOT_ARCH_X86_64);
	/* the same ranges from a device tree would be arm64 */
	f->m.format = VMK_FWMAP_FMT_FDT;
	assert_int_equal(vmk_boot_guess_arch(&f->m), VMK_BOOT_ARCH_ARM64);
	free(f);
}

/*
 * Region flags carried into memblock (MIRROR on both policies, UEFI
 * hot-pluggable memory on x86's), and the edges of the System RAM
 * resources: a region smaller than a page or in the last page of the
 * address space gives none; a full pool or a conflicting resource fails.
 */
static void test_flags_and_resource_edges(void **state)
{
	static struct vmk_fwmap_entry ents[8];
	struct vmk_fwmap m;
	struct vmk_resource_pool none;
	struct vmk_resource clash;
	const struct vmk_resource *r;

	(void)state;
	vmk_fwmap_init(&m, ents, VMK_ARRAY_SIZE(ents));
	assert_int_equal(vmk_fwmap_add(&m, 0x40000000, 0x40000000, VMK_MEM_USABLE, VMK_FWMAP_F_MIRROR), 0);
	assert_int_equal(vmk_fwmap_add(&m, 0x100000000ull, 0x40000000, VMK_MEM_USABLE, 0), 0);
	m.format = VMK_FWMAP_FMT_EFI;
	m.e[0].fw_type = m.e[1].fw_type = VMK_EFI_CONVENTIONAL;
	m.e[0].attr = VMK_EFI_MEMORY_WB;	/* arm64 takes only memory with a cacheable attribute */
	m.e[1].attr = VMK_EFI_MEMORY_WB | VMK_EFI_MEMORY_HOT_PLUGGABLE;
	assert_int_equal(vmk_boot_memblock_from_fwmap_arch(&mb, &m, VMK_BOOT_ARCH_X86_64), 0);
	assert_int_equal(mb.memory.cnt, 2);
	assert_int_equal(mb.memory.regions[0].flags, VMK_MEMBLOCK_MIRROR);
	assert_int_equal(mb.memory.regions[1].flags, VMK_MEMBLOCK_HOTPLUG);
	vmk_memblock_init(&mb);
	assert_int_equal(vmk_boot_memblock_from_fwmap_arch(&mb, &m, VMK_BOOT_ARCH_ARM64), 0);
	assert_int_equal(mb.memory.cnt, 2);
	assert_int_equal(mb.memory.regions[0].flags, VMK_MEMBLOCK_MIRROR);

	/* A sub-page region and one in the last page: no System RAM for either. */
	assert_int_equal(vmk_memblock_add(&mb, 0x1000100, 0x100), 0);
	assert_int_equal(vmk_memblock_add(&mb, 0xfffffffffffff800ull, 0x7ff), 0);
	assert_int_equal(vmk_boot_resources_from_memblock(&root, &pool, &mb), 0);
	r = vmk_resource_next(&root, &root);
	assert_non_null(r);
	assert_true(r->start == 0x40000000 && r->end == 0x7fffffff);
	r = vmk_resource_next(&root, r);
	assert_non_null(r);
	assert_true(r->start == 0x100000000ull && r->end == 0x13fffffffull);
	assert_null(vmk_resource_next(&root, r));

	/* No node left: -VMK_ENOMEM. A resource in the way: -VMK_EINVAL, node returned. */
	vmk_iomem_root_init(&root);
	vmk_resource_pool_init(&none, NULL, 0, NULL, 0);
	assert_int_equal(vmk_boot_resources_from_memblock(&root, &none, &mb), -VMK_ENOMEM);
	vmk_resource_init(&clash, 0x3ffff000, 0x40000fff, "clash", VMK_RES_MEM, 0);
	assert_int_equal(vmk_resource_request(&root, &clash, NULL), 0);
	size_t nfree = pool.nfree;
	assert_int_equal(vmk_boot_resources_from_memblock(&root, &pool, &mb), -VMK_EINVAL);
	assert_int_equal(pool.nfree, nfree);
	/* The firmware-map view likewise: a conflicting range, an empty pool. */
	assert_int_equal(vmk_boot_resources_from_fwmap(&root, &pool, &m), -VMK_EINVAL);
	assert_int_equal(pool.nfree, nfree);
	vmk_iomem_root_init(&root);
	assert_int_equal(vmk_boot_resources_from_fwmap(&root, &none, &m), -VMK_ENOMEM);
	assert_null(vmk_resource_next(&root, &root));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_virt_256m, setup),
		cmocka_unit_test_setup(test_flags_and_resource_edges, setup),
		cmocka_unit_test_setup(test_virt_1g, setup),
		cmocka_unit_test_setup(test_virt_4g, setup),
		cmocka_unit_test_setup(test_x86_policy_differs, setup),
		cmocka_unit_test_setup(test_iomem_arm64_sample, setup),
		cmocka_unit_test_setup(test_e820_is_x86, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
