/*
 * The normalized memory kinds: names, overlap priority and the predicates
 * that tell what an OS may do with each.
 */
#include <vmkit/fwmap.h>

struct kind_info {
	const char *name;
	unsigned char prio;	/* overlap priority; higher wins */
	unsigned char flags;
};

#define K_USABLE_CLASS	0x1	/* trimmed inward by sanitize */
#define K_AFTER_EBS	0x2	/* ordinary RAM once ExitBootServices returned */
#define K_RAM		0x4	/* backed by RAM the OS owns in some form */

/*
 * The priority order, most restrictive first: unusable > mmio > mmio-port
 * > acpi-nvs > runtime-code > runtime-data > pal-code > nomap > reserved >
 * acpi-reclaim > persistent > soft-reserved > unaccepted > bootloader >
 * boot-services > usable. A kind that forbids more (touching it at all,
 * mapping it, reusing it ever) beats one that forbids less, so that
 * resolving an overlap never hands out a byte some firmware entry said to
 * keep. Every kind has its own rank so the result is independent of the
 * input order.
 */
static const struct kind_info kinds[VMK_MEM_NKINDS] = {
	[VMK_MEM_NONE]		= { "none", 0, 0 },
	[VMK_MEM_USABLE]	= { "usable", 1, K_USABLE_CLASS | K_AFTER_EBS | K_RAM },
	[VMK_MEM_BOOT_SERVICES]	= { "boot-services", 2, K_USABLE_CLASS | K_AFTER_EBS | K_RAM },
	[VMK_MEM_BOOTLOADER]	= { "bootloader", 3, K_USABLE_CLASS | K_AFTER_EBS | K_RAM },
	[VMK_MEM_UNACCEPTED]	= { "unaccepted", 4, K_USABLE_CLASS | K_RAM },
	[VMK_MEM_SOFT_RESERVED]	= { "soft-reserved", 5, K_RAM },
	[VMK_MEM_PERSISTENT]	= { "persistent", 6, 0 },
	[VMK_MEM_ACPI_RECLAIM]	= { "acpi-reclaim", 7, K_RAM },
	[VMK_MEM_RESERVED]	= { "reserved", 8, 0 },
	[VMK_MEM_NOMAP]		= { "nomap", 9, 0 },
	[VMK_MEM_PAL_CODE]	= { "pal-code", 10, 0 },
	[VMK_MEM_RUNTIME_DATA]	= { "runtime-data", 11, K_RAM },
	[VMK_MEM_RUNTIME_CODE]	= { "runtime-code", 12, K_RAM },
	[VMK_MEM_ACPI_NVS]	= { "acpi-nvs", 13, K_RAM },
	[VMK_MEM_MMIO_PORT]	= { "mmio-port", 14, 0 },
	[VMK_MEM_MMIO]		= { "mmio", 15, 0 },
	[VMK_MEM_UNUSABLE]	= { "unusable", 16, 0 },
};

static const struct kind_info *info(uint32_t kind)
{
	return kind < VMK_MEM_NKINDS ? &kinds[kind] : NULL;
}

const char *vmk_mem_kind_name(uint32_t kind)
{
	const struct kind_info *k = info(kind);

	return k ? k->name : "invalid";
}

uint32_t vmk_mem_kind_from_name(struct vmk_str s)
{
	uint32_t k;

	for (k = VMK_MEM_NONE + 1; k < VMK_MEM_NKINDS; k++)
		if (vmk_str_ieq(s, kinds[k].name))
			return k;
	return VMK_MEM_NONE;
}

unsigned int vmk_mem_kind_priority(uint32_t kind)
{
	const struct kind_info *k = info(kind);

	return k ? k->prio : 0;
}

bool vmk_mem_kind_usable_after_ebs(uint32_t kind)
{
	const struct kind_info *k = info(kind);

	return k && (k->flags & K_AFTER_EBS);
}

bool vmk_mem_kind_usable_class(uint32_t kind)
{
	const struct kind_info *k = info(kind);

	return k && (k->flags & K_USABLE_CLASS);
}

bool vmk_mem_kind_is_ram(uint32_t kind)
{
	const struct kind_info *k = info(kind);

	return k && (k->flags & K_RAM);
}

uint32_t vmk_mem_kind_e820_type(uint32_t kind)
{
	switch (kind) {
	case VMK_MEM_USABLE:
	case VMK_MEM_BOOT_SERVICES:
	case VMK_MEM_BOOTLOADER:
		return VMK_E820_RAM;
	case VMK_MEM_ACPI_RECLAIM:
		return VMK_E820_ACPI;
	case VMK_MEM_ACPI_NVS:
		return VMK_E820_NVS;
	case VMK_MEM_UNUSABLE:
		return VMK_E820_UNUSABLE;
	case VMK_MEM_PERSISTENT:
		return VMK_E820_PMEM;
	case VMK_MEM_SOFT_RESERVED:
		return VMK_E820_SOFT_RESERVED;
	default:
		/* Linux's efi_arch_mem_reserve/e820 conversion: everything else is reserved. */
		return VMK_E820_RESERVED;
	}
}
