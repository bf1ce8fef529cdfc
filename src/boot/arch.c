/*
 * The per-architecture part of the boot policy.
 *
 * x86-64 follows the table in boot.h (e820__memblock_setup and the E820
 * resources). arm64 follows Linux arm64: drivers/firmware/efi/efi-init.c
 * reserve_regions() puts every UEFI region whose attributes allow a
 * cacheable or write-combining mapping (is_memory: WB, WT or WC) into
 * memblock.memory, marks the ones that are not usable RAM NOMAP, and
 * reserves ACPI reclaim memory; arch/arm64/kernel/setup.c
 * request_standard_resources() then makes one /proc/iomem resource per
 * memblock memory region, "reserved" for NOMAP ones and "System RAM" for
 * the others, and reserve_memblock_reserved_regions() nests memblock's
 * reservations in System RAM as "reserved".
 */
#include <vmkit/boot.h>

uint32_t vmk_boot_guess_arch(const struct vmk_fwmap *m)
{
	/* E820 exists only on x86: even a map without low RAM is x86. */
	if (m->format == VMK_FWMAP_FMT_E820)
		return VMK_BOOT_ARCH_X86_64;
	/* x86 firmware always leaves RAM below 1 MiB (real-mode trampoline). */
	for (size_t i = 0; i < m->n; i++)
		if (vmk_mem_kind_is_ram(m->e[i].kind) && m->e[i].base < VMK_MiB)
			return VMK_BOOT_ARCH_X86_64;
	return VMK_BOOT_ARCH_ARM64;
}

/* Linux efi-init.c is_usable_memory(): RAM once boot services have exited. */
static bool efi_usable(uint32_t type, uint64_t attr)
{
	switch (type) {
	case VMK_EFI_LOADER_CODE:
	case VMK_EFI_LOADER_DATA:
	case VMK_EFI_ACPI_RECLAIM:
	case VMK_EFI_BOOT_SERVICES_CODE:
	case VMK_EFI_BOOT_SERVICES_DATA:
	case VMK_EFI_CONVENTIONAL:
	case VMK_EFI_PERSISTENT:
		return attr & VMK_EFI_MEMORY_WB;
	default:
		return false;
	}
}

static enum vmk_boot_action arm64_efi_action(const struct vmk_fwmap_entry *e)
{
	/* is_memory() */
	if (!(e->attr & (VMK_EFI_MEMORY_WB | VMK_EFI_MEMORY_WT | VMK_EFI_MEMORY_WC)))
		return VMK_BOOT_SKIP;
	/* Soft-reserved memory is left out for dax/hotplug (efi_soft_reserve_enabled). */
	if (e->attr & VMK_EFI_MEMORY_SP)
		return VMK_BOOT_SKIP;
	if (!efi_usable(e->fw_type, e->attr))
		return VMK_BOOT_NOMAP;
	switch (e->fw_type) {
	case VMK_EFI_ACPI_RECLAIM:	/* "keep ACPI reclaim memory intact for kexec etc." */
	case VMK_EFI_LOADER_CODE:	/* the kernel, initrd and device tree live here */
	case VMK_EFI_LOADER_DATA:
		return VMK_BOOT_RESERVE;
	default:
		return VMK_BOOT_FREE;
	}
}

enum vmk_boot_action vmk_boot_action_arch(const struct vmk_fwmap_entry *e, uint32_t format,
					  uint32_t arch)
{
	if (arch != VMK_BOOT_ARCH_ARM64)
		return vmk_boot_action(e, format);
	if (format == VMK_FWMAP_FMT_EFI)
		return arm64_efi_action(e);
	/*
	 * An arm64 /proc/iomem names exactly the NOMAP memblock regions
	 * "reserved" at the top level (request_standard_resources): memory.
	 */
	if (format == VMK_FWMAP_FMT_NONE && e->kind == VMK_MEM_RESERVED &&
	    !(e->flags & VMK_FWMAP_F_IN_RAM))
		return VMK_BOOT_NOMAP;
	return vmk_boot_action(e, format);
}

int vmk_boot_memblock_from_fwmap_arch(struct vmk_memblock *mb, const struct vmk_fwmap *m,
				      uint32_t arch)
{
	if (arch != VMK_BOOT_ARCH_ARM64)
		return vmk_boot_memblock_from_fwmap(mb, m);
	for (size_t i = 0; i < m->n; i++) {
		const struct vmk_fwmap_entry *e = &m->e[i];
		enum vmk_boot_action act = vmk_boot_action_arch(e, m->format, arch);
		uint32_t flags = 0;
		int err;

		if (act == VMK_BOOT_SKIP)
			continue;
		if (e->flags & VMK_FWMAP_F_MIRROR)
			flags |= VMK_MEMBLOCK_MIRROR;
		if (act == VMK_BOOT_NOMAP)
			flags |= VMK_MEMBLOCK_NOMAP;
		err = vmk_memblock_add_node(mb, e->base, e->size, VMK_NUMA_NO_NODE, flags);
		if (!err && act == VMK_BOOT_RESERVE)
			err = vmk_memblock_reserve(mb, e->base, e->size);
		if (err)
			return err;
	}
	return 0;
}

int vmk_boot_resources_from_memblock(struct vmk_resource *root, struct vmk_resource_pool *pool,
				     const struct vmk_memblock *mb)
{
	for (size_t i = 0; i < mb->memory.cnt; i++) {
		const struct vmk_memblock_region *r = &mb->memory.regions[i];
		bool nomap = r->flags & VMK_MEMBLOCK_NOMAP;
		vmk_paddr_t end = r->base + r->size, start, last;
		struct vmk_resource *res, *conflict;

		/*
		 * System RAM covers the whole pages inside the region
		 * (memblock_region_memory_*_pfn); reserved the pages it
		 * touches (memblock_region_reserved_*_pfn).
		 */
		if (nomap) {
			start = VMK_ALIGN_DOWN(r->base, VMK_PAGE_SIZE);
			last = end > VMK_ALIGN_DOWN(VMK_PADDR_MAX, VMK_PAGE_SIZE) ?
			       VMK_PADDR_MAX : VMK_ALIGN_UP(end, VMK_PAGE_SIZE) - 1;
		} else {
			if (r->base > VMK_ALIGN_DOWN(VMK_PADDR_MAX, VMK_PAGE_SIZE))
				continue;
			start = VMK_ALIGN_UP(r->base, VMK_PAGE_SIZE);
			if (VMK_ALIGN_DOWN(end, VMK_PAGE_SIZE) <= start)
				continue;
			last = VMK_ALIGN_DOWN(end, VMK_PAGE_SIZE) - 1;
		}
		res = vmk_resource_alloc(pool, start, last, nomap ? "reserved" : "System RAM",
					 nomap ? VMK_RES_MEM : VMK_RES_SYSTEM_RAM | VMK_RES_BUSY,
					 VMK_RES_DESC_NONE);
		if (!res)
			return -VMK_ENOMEM;
		if (vmk_resource_request(root, res, &conflict)) {
			vmk_resource_free(pool, res);
			return -VMK_EINVAL;
		}
	}
	return 0;
}
