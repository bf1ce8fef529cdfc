/* A firmware memory map as a source of truth for kexec placement. */
#include <vmkit/kexec.h>
#include <vmkit/fwmap.h>

static bool usable_ram(uint32_t kind)
{
	return kind == VMK_MEM_USABLE || kind == VMK_MEM_BOOT_SERVICES ||
	       kind == VMK_MEM_BOOTLOADER;
}

static unsigned int excl_kind(uint32_t kind)
{
	switch (kind) {
	case VMK_MEM_ACPI_RECLAIM:
		return VMK_KEXEC_EXCL_ACPI_TABLES;
	case VMK_MEM_ACPI_NVS:
		return VMK_KEXEC_EXCL_ACPI_NVS;
	case VMK_MEM_BOOTLOADER:
		return VMK_KEXEC_EXCL_UEFI_MMAP;
	case VMK_MEM_RUNTIME_CODE:
	case VMK_MEM_RUNTIME_DATA:
	case VMK_MEM_PAL_CODE:
		return VMK_KEXEC_EXCL_FIRMWARE;
	case VMK_MEM_NOMAP:
		return VMK_KEXEC_EXCL_NOMAP;
	case VMK_MEM_RESERVED:
		return VMK_KEXEC_EXCL_RESERVED;
	default:
		return VMK_KEXEC_EXCL_OTHER;
	}
}

int vmk_kexec_plan_from_fwmap(struct vmk_kexec_plan *p, const struct vmk_fwmap *m)
{
	int ret;

	for (size_t i = 0; i < m->n; i++) {
		const struct vmk_fwmap_entry *e = &m->e[i];
		vmk_paddr_t end = e->base + e->size;

		if (end < e->base)	/* an entry ending exactly at 2^64 */
			end = VMK_PADDR_MAX;
		if (usable_ram(e->kind) && !(e->flags & VMK_FWMAP_F_NOMAP)) {
			ret = vmk_kexec_add_ram(p, e->base, end);
			if (ret)
				return ret;
		}
	}
	for (size_t i = 0; i < m->n; i++) {
		const struct vmk_fwmap_entry *e = &m->e[i];
		vmk_paddr_t end = e->base + e->size;

		if (end < e->base)
			end = VMK_PADDR_MAX;
		if (e->kind == VMK_MEM_MMIO || e->kind == VMK_MEM_MMIO_PORT)
			continue;
		if (usable_ram(e->kind) && e->kind != VMK_MEM_BOOTLOADER &&
		    !(e->flags & VMK_FWMAP_F_NOMAP))
			continue;
		if (e->kind == VMK_MEM_BOOTLOADER)
			ret = vmk_kexec_exclude(p, e->base, end, VMK_KEXEC_EXCL_UEFI_MMAP,
						"EFI loader data (UEFI memory map)");
		else
			ret = vmk_kexec_exclude(p, e->base, end, excl_kind(e->kind), "%s (%s %u)",
						vmk_mem_kind_name(e->kind),
						m->format == VMK_FWMAP_FMT_EFI ? "EFI type" : "type",
						e->fw_type);
		if (ret)
			return ret;
	}
	return 0;
}
