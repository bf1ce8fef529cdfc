/* What each firmware memory kind becomes in memblock and /proc/iomem. */
#include <vmkit/boot.h>

enum vmk_boot_action vmk_boot_action(const struct vmk_fwmap_entry *e, uint32_t format)
{
	if (e->flags & VMK_FWMAP_F_NOMAP)
		return VMK_BOOT_NOMAP;
	switch (e->kind) {
	case VMK_MEM_USABLE:
	case VMK_MEM_BOOT_SERVICES:
		return VMK_BOOT_FREE;
	case VMK_MEM_BOOTLOADER:	/* the kernel, initrd and memory map live here */
	case VMK_MEM_UNACCEPTED:	/* must be accepted before first use */
	case VMK_MEM_ACPI_RECLAIM:	/* tables: reclaimable only once parsed */
		return VMK_BOOT_RESERVE;
	case VMK_MEM_ACPI_NVS:		/* firmware owns it across sleep states */
	case VMK_MEM_RUNTIME_CODE:	/* mapped by the EFI runtime page tables only */
	case VMK_MEM_RUNTIME_DATA:
	case VMK_MEM_NOMAP:
		return VMK_BOOT_NOMAP;
	default:
		/*
		 * Carved out of RAM (a /proc/iomem entry nested in System RAM,
		 * device-tree reserved-memory without no-map): RAM in use.
		 */
		if ((e->flags & VMK_FWMAP_F_IN_RAM) ||
		    (e->kind == VMK_MEM_RESERVED && format == VMK_FWMAP_FMT_FDT))
			return VMK_BOOT_RESERVE;
		return VMK_BOOT_SKIP;
	}
}

const char *vmk_boot_resource_name(const struct vmk_fwmap_entry *e, uint32_t format)
{
	/*
	 * A reservation carved out of RAM shows as System RAM; the memblock
	 * reservation nests a "reserved" child in it, as arm64 kernels do.
	 */
	if (e->kind == VMK_MEM_RESERVED && vmk_boot_action(e, format) == VMK_BOOT_RESERVE)
		return "System RAM";
	switch (e->kind) {
	case VMK_MEM_USABLE:
	case VMK_MEM_BOOT_SERVICES:
	case VMK_MEM_BOOTLOADER:
	case VMK_MEM_UNACCEPTED:
		/*
		 * RAM flagged no-map is not in the direct map and memblock has
		 * no reservation to nest in it: as System RAM a kexec loader
		 * would place segments there (arm64 shows it as reserved).
		 */
		if (e->flags & VMK_FWMAP_F_NOMAP)
			return "Reserved";
		return "System RAM";
	case VMK_MEM_ACPI_RECLAIM:
		return "ACPI Tables";
	case VMK_MEM_ACPI_NVS:
		return "ACPI Non-volatile Storage";
	case VMK_MEM_SOFT_RESERVED:
		return "Soft Reserved";
	case VMK_MEM_PERSISTENT:
		return (format == VMK_FWMAP_FMT_E820 && e->fw_type == VMK_E820_PRAM) ?
			"Persistent Memory (legacy)" : "Persistent Memory";
	case VMK_MEM_UNUSABLE:
		return "Unusable memory";
	default:
		return "Reserved";
	}
}
