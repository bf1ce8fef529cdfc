/*
 * The UEFI stage: what the kernel asks of the firmware before it takes
 * the machine over. It finds the ACPI tables, lets the architecture
 * allocate what it needs, places a "preloaded module" (the loader's job),
 * reads the final memory map and exits boot services; then it never
 * calls the firmware again.
 */
#include <vmkit/fwmap.h>

#include "efi.h"
#include "kernel.h"

struct boot_info boot_info;

/* The module the loader stage preloads: the kernel later gives its pages back. */
#define MODULE_PAGES	24

static void efi_puts(struct efi_system_table *st, const char *s)
{
	char16 buf[128];
	size_t n = 0;

	while (*s) {
		if (*s == '\n' && n < 126)
			buf[n++] = '\r';
		buf[n++] = (char16)*s++;
		if (n >= 126 || !*s) {
			buf[n] = 0;
			st->con_out->output_string(st->con_out, buf);
			n = 0;
		}
	}
}

static bool guid_eq(const struct efi_guid *a, const struct efi_guid *b)
{
	return vmk_memcmp(a, b, sizeof(*a)) == 0;
}

static void find_tables(struct efi_system_table *st, struct boot_info *bi)
{
	static const struct efi_guid acpi = EFI_ACPI20_GUID, dtb = EFI_DTB_GUID;

	for (uint64_t i = 0; i < st->nr_tables; i++) {
		if (guid_eq(&st->tables[i].guid, &acpi))
			bi->rsdp_pa = (uint64_t)(uintptr_t)st->tables[i].table;
		else if (guid_eq(&st->tables[i].guid, &dtb))
			bi->dtb_pa = (uint64_t)(uintptr_t)st->tables[i].table;
	}
}

efi_status efi_main(efi_handle image, struct efi_system_table *st);

efi_status efi_main(efi_handle image, struct efi_system_table *st)
{
	struct efi_boot_services *bs = st->boot_services;
	struct boot_info *bi = &boot_info;
	uint64_t key, size, addr;
	efi_status s;

	bs->set_watchdog_timer(0, 0, 0, NULL);
	efi_puts(st, "vmkit-kernel: UEFI entry\n");
	bi->image_pa = (uint64_t)(uintptr_t)__ImageBase;
	bi->image_size = pe_image_size(__ImageBase);
	find_tables(st, bi);
	acpi_read_madt(bi);
	/* A device tree (AAVMF installs one when QEMU gives no ACPI tables): read now, while mapped. */
	if (bi->dtb_pa && !dt_read(&bi->dt, (const void *)(uintptr_t)bi->dtb_pa) && !bi->rsdp_pa &&
	    bi->dt.ncpus) {
		bi->ncpus = bi->dt.ncpus;
		for (unsigned int i = 0; i < bi->ncpus; i++)
			bi->cpu_hwid[i] = bi->dt.mpidr[i];
		bi->cpus_from_dt = true;
	}
	bi->dt.pa = bi->dtb_pa;
	if (bs->allocate_pages(EFI_ALLOCATE_ANY, EFI_LOADER_DATA, MODULE_PAGES, &addr) != EFI_SUCCESS) {
		efi_puts(st, "vmkit-kernel: cannot allocate the module\n");
		return EFI_ERR(9);
	}
	bi->module_pa = addr;
	bi->module_size = MODULE_PAGES * 4096ull;
	for (uint64_t i = 0; i < bi->module_size; i += 8)
		*(volatile uint64_t *)(uintptr_t)(addr + i) = 0x6d6f64756c650000ull | (i >> 12);
	if (arch_pre_ebs(st, bi)) {
		efi_puts(st, "vmkit-kernel: architecture set-up failed\n");
		return EFI_ERR(9);
	}
	efi_puts(st, "vmkit-kernel: exiting boot services\n");
	/* Nothing that may allocate between GetMemoryMap and ExitBootServices. */
	for (;;) {
		size = sizeof(bi->map);
		s = bs->get_memory_map(&size, bi->map, &key, &bi->desc_size, &bi->desc_version);
		if (s != EFI_SUCCESS)
			return s;
		bi->ebs_tries++;
		s = bs->exit_boot_services(image, key);
		if (s == EFI_SUCCESS)
			break;
		if (s != EFI_INVALID_PARAMETER || bi->ebs_tries > 8)
			return s;
	}
	bi->map_size = size;
	arch_go_high(bi);
	return EFI_SUCCESS;	/* not reached */
}

/* ---- the map the firmware gave us, in a form `vmkit` reads back ---- */

static void dump_efi_map(const struct boot_info *bi)
{
	unsigned int n = (unsigned int)(bi->map_size / bi->desc_size);

	kprintf("efi: memory map: %u descriptors of %llu bytes, version %u (after %u ExitBootServices tries)\n",
		n, (unsigned long long)bi->desc_size, bi->desc_version, bi->ebs_tries);
	for (unsigned int i = 0; i < n; i++) {
		const uint8_t *d = bi->map + i * bi->desc_size;
		uint32_t type;
		uint64_t pa, pages, attr;

		vmk_memcpy(&type, d, 4);
		vmk_memcpy(&pa, d + 8, 8);
		vmk_memcpy(&pages, d + 24, 8);
		vmk_memcpy(&attr, d + 32, 8);
		kprintf("efi: mem%02u: type=%u, attr=0x%llx, range=[0x%016llx-0x%016llx) (%lluMB)\n", i, type,
			(unsigned long long)attr, (unsigned long long)pa,
			(unsigned long long)(pa + pages * 4096), (unsigned long long)(pages >> 8));
	}
	kprintf("efi: end of memory map\n");
}

int firmware_map(struct vmk_fwmap *fw, struct vmk_fwmap_diag *diag, unsigned int *nsrc)
{
	const struct boot_info *bi = &boot_info;

	dump_efi_map(bi);
	*nsrc = (unsigned int)(bi->map_size / bi->desc_size);
	return vmk_fwmap_parse_efi(fw, bi->map, bi->map_size, bi->desc_size, bi->desc_version, diag);
}
