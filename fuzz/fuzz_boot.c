/*
 * libFuzzer target: the whole boot path of `vmkit memmap` on arbitrary
 * bytes. The first byte picks the parser; whatever parses is sanitized,
 * fed to memblock and the resource tree by the boot policy, and every
 * invariant is checked (memblock and resource checkers panic, and the
 * simulator's panic aborts, which libFuzzer reports).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vmkit/boot.h>

#include "sim.h"

static struct vmk_fwmap_entry ents[1024];
static struct vmk_resource nodes[2048];
static char names[1];
static struct vmk_memblock mb;

static int parse(struct vmk_fwmap *m, unsigned int how, const uint8_t *d, size_t n)
{
	size_t dsz;

	switch (how % 6) {
	case 0:
		return vmk_fwmap_parse_e820(m, d, n - n % 20, 20, NULL);
	case 1:
		return vmk_fwmap_parse_e820(m, d, n - n % 24, 24, NULL);
	case 2:
		if (vmk_fwmap_efi_guess_desc_size(d, n, &dsz))
			dsz = 48;
		return vmk_fwmap_parse_efi(m, d, n - n % dsz, dsz, 1, NULL);
	case 3:
		return vmk_fwmap_parse_e820_text(m, (const char *)d, n, NULL);
	case 4:
		return vmk_fwmap_parse_efi_text(m, (const char *)d, n, NULL);
	default:
		return vmk_fwmap_parse_dmesg(m, (const char *)d, n, NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool installed;
	struct vmk_fwmap m;
	struct vmk_resource_pool pool;
	struct vmk_resource root;
	vmk_paddr_t kbase;
	size_t bad;

	if (!installed) {
		vmk_sim_install();
		installed = true;
	}
	if (size < 1)
		return 0;
	vmk_fwmap_init(&m, ents, 300);	/* parse at most 300; sanitize gets the rest as room */
	if (parse(&m, data[0], data + 1, size - 1))
		return 0;
	m.cap = VMK_ARRAY_SIZE(ents);
	if (vmk_fwmap_sanitize(&m, NULL, NULL))
		return 0;
	if (vmk_fwmap_check(&m, 0, &bad))
		abort();
	vmk_memblock_init(&mb);
	if (vmk_boot_memblock_from_fwmap(&mb, &m) == 0) {
		vmk_memblock_check(&mb);
		kbase = 0;
		if (vmk_boot_reserve_kernel(&mb, 2 * VMK_MiB, 2 * VMK_MiB, 16 * VMK_MiB, false, &kbase))
			kbase = 0;
		vmk_memblock_check(&mb);
		/* Accounting: free + reserved-in-memory + nomap never exceeds memory. */
		if (vmk_memblock_free_size(&mb) > vmk_memblock_phys_mem_size(&mb))
			abort();
		vmk_resource_pool_init(&pool, nodes, VMK_ARRAY_SIZE(nodes), names, 0);
		vmk_iomem_root_init(&root);
		if (vmk_boot_resources_from_fwmap(&root, &pool, &m) == 0)
			vmk_boot_resources_add_reserved(&root, &pool, &mb, kbase, kbase ? 2 * VMK_MiB : 0);
		vmk_resource_check(&root);
	}
	return 0;
}
