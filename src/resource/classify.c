/*
 * Names, flags and descriptors: what a /proc/iomem name tells us, and the
 * names the renderers print.
 */
#include <vmkit/resource.h>

static bool str_is(const char *s, size_t len, const char *t)
{
	return vmk_str_eq((struct vmk_str){ s, len }, t);
}

static bool str_starts(const char *s, size_t len, const char *t)
{
	return vmk_str_starts((struct vmk_str){ s, len }, t);
}

void vmk_resource_classify(const char *s, size_t len, uint32_t type, uint32_t *flags,
			   int32_t *desc)
{
	uint32_t f = type & VMK_RES_TYPE_MASK;
	int32_t d = VMK_RES_DESC_NONE;

	if (str_is(s, len, "System RAM")) {
		f = VMK_RES_SYSTEM_RAM | VMK_RES_BUSY;
	} else if (str_starts(s, len, "System RAM")) {
		/* Linux names driver-added RAM "System RAM (kmem)", "System RAM (virtio_mem)". */
		f = VMK_RES_SYSTEM_RAM | VMK_RES_BUSY | VMK_RES_SYSRAM_DRIVER_MANAGED;
	} else if (str_is(s, len, "Kernel code") || str_is(s, len, "Kernel data") ||
		   str_is(s, len, "Kernel bss") || str_is(s, len, "Kernel rodata") ||
		   str_is(s, len, "Kernel image")) {
		/* "Kernel image" is riscv's parent of the code/data/bss entries. */
		f = VMK_RES_SYSTEM_RAM | VMK_RES_BUSY;
	} else if (str_is(s, len, "Crash kernel") || str_is(s, len, "Crash kernel (low)")) {
		f = VMK_RES_SYSTEM_RAM | VMK_RES_BUSY;
		d = VMK_RES_DESC_CRASH_KERNEL;
	} else if (str_is(s, len, "reserved") || str_is(s, len, "Reserved")) {
		f = VMK_RES_MEM;
		d = VMK_RES_DESC_RESERVED;
	} else if (str_is(s, len, "ACPI Tables")) {
		f = VMK_RES_MEM | VMK_RES_BUSY;
		d = VMK_RES_DESC_ACPI_TABLES;
	} else if (str_is(s, len, "ACPI Non-volatile Storage")) {
		f = VMK_RES_MEM | VMK_RES_BUSY;
		d = VMK_RES_DESC_ACPI_NV_STORAGE;
	} else if (str_is(s, len, "Persistent Memory (legacy)")) {
		f = VMK_RES_MEM;
		d = VMK_RES_DESC_PERSISTENT_MEMORY_LEGACY;
	} else if (str_is(s, len, "Persistent Memory")) {
		f = VMK_RES_MEM;
		d = VMK_RES_DESC_PERSISTENT_MEMORY;
	} else if (str_is(s, len, "Unusable memory")) {
		f = VMK_RES_MEM | VMK_RES_BUSY;	/* E820 type 5: no descriptor in Linux */
	} else if (str_is(s, len, "Soft Reserved")) {
		f = VMK_RES_MEM;
		d = VMK_RES_DESC_SOFT_RESERVED;
	} else if (str_starts(s, len, "CXL Window")) {
		f = VMK_RES_MEM;
		d = VMK_RES_DESC_CXL;
	} else if (str_starts(s, len, "PCI Bus ")) {
		f |= VMK_RES_WINDOW;
	}
	/* Everything else (PCI BARs, MMCONFIG, ROMs, devices) is plain root-type space. */
	*flags = f;
	*desc = d;
}

static const char *const desc_names[VMK_RES_DESC_COUNT] = {
	[VMK_RES_DESC_NONE] = "none",
	[VMK_RES_DESC_CRASH_KERNEL] = "crash_kernel",
	[VMK_RES_DESC_ACPI_TABLES] = "acpi_tables",
	[VMK_RES_DESC_ACPI_NV_STORAGE] = "acpi_nvs",
	[VMK_RES_DESC_PERSISTENT_MEMORY] = "persistent_memory",
	[VMK_RES_DESC_PERSISTENT_MEMORY_LEGACY] = "persistent_memory_legacy",
	[VMK_RES_DESC_DEVICE_PRIVATE_MEMORY] = "device_private_memory",
	[VMK_RES_DESC_RESERVED] = "reserved",
	[VMK_RES_DESC_SOFT_RESERVED] = "soft_reserved",
	[VMK_RES_DESC_CXL] = "cxl",
};

const char *vmk_resource_desc_name(int32_t desc)
{
	if (desc < 0 || desc >= VMK_RES_DESC_COUNT)
		return "unknown";
	return desc_names[desc];
}

const char *vmk_resource_flag_name(uint32_t bit)
{
	switch (bit) {
	case VMK_RES_IO: return "IO";
	case VMK_RES_MEM: return "MEM";
	case VMK_RES_REG: return "REG";
	case VMK_RES_IRQ: return "IRQ";
	case VMK_RES_DMA: return "DMA";
	case VMK_RES_BUS: return "BUS";
	case VMK_RES_PREFETCH: return "PREFETCH";
	case VMK_RES_READONLY: return "READONLY";
	case VMK_RES_CACHEABLE: return "CACHEABLE";
	case VMK_RES_MEM_64: return "MEM_64";
	case VMK_RES_WINDOW: return "WINDOW";
	case VMK_RES_SYSRAM: return "SYSRAM";
	case VMK_RES_SYSRAM_DRIVER_MANAGED: return "SYSRAM_DRIVER_MANAGED";
	case VMK_RES_SYSRAM_MERGEABLE: return "SYSRAM_MERGEABLE";
	case VMK_RES_EXCLUSIVE: return "EXCLUSIVE";
	case VMK_RES_DISABLED: return "DISABLED";
	case VMK_RES_UNSET: return "UNSET";
	case VMK_RES_AUTO: return "AUTO";
	case VMK_RES_BUSY: return "BUSY";
	default: return NULL;
	}
}
