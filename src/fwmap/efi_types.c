/*
 * UEFI memory types and attributes: what each type means to the OS, and
 * their names.
 *
 * Usability after ExitBootServices (UEFI 2.10, table 7.10 "Memory Type
 * Usage after ExitBootServices()"):
 *
 *   type                        kind            after ExitBootServices
 *   0  EfiReservedMemoryType    reserved        never use
 *   1  EfiLoaderCode            bootloader      free RAM once the OS is done with the loader
 *   2  EfiLoaderData            bootloader      free RAM once the OS consumed what it holds
 *   3  EfiBootServicesCode      boot-services   free RAM
 *   4  EfiBootServicesData      boot-services   free RAM (Linux keeps some for quirks)
 *   5  EfiRuntimeServicesCode   runtime-code    keep, mapped, across SetVirtualAddressMap
 *   6  EfiRuntimeServicesData   runtime-data    keep, mapped
 *   7  EfiConventionalMemory    usable          free RAM (soft-reserved if EFI_MEMORY_SP)
 *   8  EfiUnusableMemory        unusable        never use: errors detected
 *   9  EfiACPIReclaimMemory     acpi-reclaim    keep until the ACPI tables are parsed, then RAM
 *  10  EfiACPIMemoryNVS         acpi-nvs        keep forever (saved across S3/S4)
 *  11  EfiMemoryMappedIO        mmio            not RAM; map for runtime services if RUNTIME
 *  12  EfiMemoryMappedIOPortSpace mmio-port     not RAM
 *  13  EfiPalCode               pal-code        keep (Itanium firmware)
 *  14  EfiPersistentMemory      persistent      pmem: for the NVDIMM driver, not the allocator
 *  15  EfiUnacceptedMemoryType  unaccepted      RAM after the guest accepts it (TDX, SEV-SNP)
 *  16..0x6fffffff               reserved        undefined: treated as reserved
 *  0x70000000..0x7fffffff OEM   reserved
 *  0x80000000..0xffffffff OS    reserved        (OS loader types; vmkit does not interpret them)
 */
#include "fwmap_internal.h"

uint32_t vmk_efi_kind(uint32_t type, uint64_t attr)
{
	switch (type) {
	case VMK_EFI_LOADER_CODE:
	case VMK_EFI_LOADER_DATA:
		return VMK_MEM_BOOTLOADER;
	case VMK_EFI_BOOT_SERVICES_CODE:
	case VMK_EFI_BOOT_SERVICES_DATA:
		return VMK_MEM_BOOT_SERVICES;
	case VMK_EFI_RUNTIME_SERVICES_CODE:
		return VMK_MEM_RUNTIME_CODE;
	case VMK_EFI_RUNTIME_SERVICES_DATA:
		return VMK_MEM_RUNTIME_DATA;
	case VMK_EFI_CONVENTIONAL:
		/* Specific-purpose memory is left to drivers (Linux: "Soft Reserved"). */
		return (attr & VMK_EFI_MEMORY_SP) ? VMK_MEM_SOFT_RESERVED : VMK_MEM_USABLE;
	case VMK_EFI_UNUSABLE:
		return VMK_MEM_UNUSABLE;
	case VMK_EFI_ACPI_RECLAIM:
		return VMK_MEM_ACPI_RECLAIM;
	case VMK_EFI_ACPI_NVS:
		return VMK_MEM_ACPI_NVS;
	case VMK_EFI_MMIO:
		return VMK_MEM_MMIO;
	case VMK_EFI_MMIO_PORT:
		return VMK_MEM_MMIO_PORT;
	case VMK_EFI_PAL_CODE:
		return VMK_MEM_PAL_CODE;
	case VMK_EFI_PERSISTENT:
		return VMK_MEM_PERSISTENT;
	case VMK_EFI_UNACCEPTED:
		return VMK_MEM_UNACCEPTED;
	default:
		return VMK_MEM_RESERVED;
	}
}

static const char *const uefi_names[VMK_EFI_MAX_TYPE] = {
	"EfiReservedMemoryType", "EfiLoaderCode", "EfiLoaderData",
	"EfiBootServicesCode", "EfiBootServicesData", "EfiRuntimeServicesCode",
	"EfiRuntimeServicesData", "EfiConventionalMemory", "EfiUnusableMemory",
	"EfiACPIReclaimMemory", "EfiACPIMemoryNVS", "EfiMemoryMappedIO",
	"EfiMemoryMappedIOPortSpace", "EfiPalCode", "EfiPersistentMemory",
	"EfiUnacceptedMemoryType",
};

const char *vmk_efi_type_name(uint32_t type)
{
	if (type < VMK_EFI_MAX_TYPE)
		return uefi_names[type];
	if (type >= (uint32_t)VMK_EFI_OS_FIRST)
		return "EfiOsType";
	if (type >= VMK_EFI_OEM_FIRST)
		return "EfiOemType";
	return "EfiUndefined";
}

/* Linux 4.x names (19 columns); 5.x shortened some (13 columns). */
static const char *const linux_names[VMK_EFI_MAX_TYPE] = {
	"Reserved", "Loader Code", "Loader Data", "Boot Code", "Boot Data",
	"Runtime Code", "Runtime Data", "Conventional Memory", "Unusable Memory",
	"ACPI Reclaim Memory", "ACPI Memory NVS", "Memory Mapped I/O",
	"MMIO Port Space", "PAL Code", "Persistent Memory", "Unaccepted",
};

static const char *const linux_short_names[VMK_EFI_MAX_TYPE] = {
	"Reserved", "Loader Code", "Loader Data", "Boot Code", "Boot Data",
	"Runtime Code", "Runtime Data", "Conventional", "Unusable",
	"ACPI Reclaim", "ACPI Mem NVS", "MMIO", "MMIO Port", "PAL Code",
	"Persistent", "Unaccepted",
};

const char *vmk_efi_type_linux_name(uint32_t type)
{
	return type < VMK_EFI_MAX_TYPE ? linux_names[type] : NULL;
}

int vmk_fwmap__efi_type_from_linux(struct vmk_str name, uint32_t *type)
{
	uint32_t t;

	for (t = 0; t < VMK_EFI_MAX_TYPE; t++) {
		if (vmk_str_ieq(name, linux_names[t]) || vmk_str_ieq(name, linux_short_names[t]) ||
		    vmk_str_ieq(name, uefi_names[t])) {
			*type = t;
			return 0;
		}
	}
	return -VMK_ENOENT;
}

static const struct {
	uint64_t bit;
	const char *name;	/* UEFI name without EFI_MEMORY_ */
	const char *col;	/* Linux's column label */
} attr_names[] = {
	{ VMK_EFI_MEMORY_UC, "UC", "UC" },
	{ VMK_EFI_MEMORY_WC, "WC", "WC" },
	{ VMK_EFI_MEMORY_WT, "WT", "WT" },
	{ VMK_EFI_MEMORY_WB, "WB", "WB" },
	{ VMK_EFI_MEMORY_UCE, "UCE", "UCE" },
	{ VMK_EFI_MEMORY_WP, "WP", "WP" },
	{ VMK_EFI_MEMORY_RP, "RP", "RP" },
	{ VMK_EFI_MEMORY_XP, "XP", "XP" },
	{ VMK_EFI_MEMORY_NV, "NV", "NV" },
	{ VMK_EFI_MEMORY_MORE_RELIABLE, "MORE_RELIABLE", "MR" },
	{ VMK_EFI_MEMORY_RO, "RO", "RO" },
	{ VMK_EFI_MEMORY_SP, "SP", "SP" },
	{ VMK_EFI_MEMORY_CPU_CRYPTO, "CPU_CRYPTO", "CC" },
	{ VMK_EFI_MEMORY_HOT_PLUGGABLE, "HOT_PLUGGABLE", "HP" },
	{ VMK_EFI_MEMORY_ISA_VALID, "ISA_VALID", "ISA" },
	{ VMK_EFI_MEMORY_RUNTIME, "RUNTIME", "RUN" },
};

uint64_t vmk_fwmap__efi_known_attrs(void)
{
	uint64_t known = VMK_EFI_MEMORY_ISA_MASK;
	size_t i;

	for (i = 0; i < VMK_ARRAY_SIZE(attr_names); i++)
		known |= attr_names[i].bit;
	return known;
}

int vmk_fwmap__efi_attr_from_col(struct vmk_str col, uint64_t *bit)
{
	size_t i;

	for (i = 0; i < VMK_ARRAY_SIZE(attr_names); i++) {
		if (vmk_str_eq(col, attr_names[i].col) || vmk_str_eq(col, attr_names[i].name)) {
			*bit = attr_names[i].bit;
			return 0;
		}
	}
	return -VMK_ENOENT;
}

const char *vmk_efi_attr_string(uint64_t attr, char *buf, size_t size)
{
	struct vmk_outbuf ob;
	const char *sep = "";
	uint64_t unknown = attr & ~vmk_fwmap__efi_known_attrs();
	size_t i;

	vmk_outbuf_init(&ob, buf, size);
	for (i = 0; i < VMK_ARRAY_SIZE(attr_names); i++) {
		if (attr & attr_names[i].bit) {
			vmk_out_printf(&ob.out, "%s%s", sep, attr_names[i].name);
			sep = "|";
		}
	}
	if (attr & VMK_EFI_MEMORY_ISA_MASK) {
		vmk_out_printf(&ob.out, "%sISA=0x%llx", sep,
			       (unsigned long long)((attr & VMK_EFI_MEMORY_ISA_MASK) >> 44));
		sep = "|";
	}
	if (unknown)
		vmk_out_printf(&ob.out, "%s0x%llx", sep, (unsigned long long)unknown);
	return buf;
}

uint32_t vmk_fwmap__efi_flags(uint64_t attr)
{
	uint32_t f = 0;

	if (attr & VMK_EFI_MEMORY_RUNTIME)
		f |= VMK_FWMAP_F_RUNTIME;
	if (attr & VMK_EFI_MEMORY_MORE_RELIABLE)
		f |= VMK_FWMAP_F_MIRROR;
	if (attr & VMK_EFI_MEMORY_SP)
		f |= VMK_FWMAP_F_SP;
	if (attr & VMK_EFI_MEMORY_NV)
		f |= VMK_FWMAP_F_NV;
	if (attr & VMK_EFI_MEMORY_RO)
		f |= VMK_FWMAP_F_RO;
	if (attr & VMK_EFI_MEMORY_XP)
		f |= VMK_FWMAP_F_XP;
	return f;
}
