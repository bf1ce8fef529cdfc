/*
 * The few UEFI interfaces the demo kernel uses (UEFI 2.7), by hand:
 * no gnu-efi. The windows targets give the UEFI calling convention, so
 * the function pointers need no attribute. Unused members are opaque
 * pointers so the offsets stay right.
 */
#ifndef KERNEL_EFI_H
#define KERNEL_EFI_H

#include <stdint.h>
#include <stddef.h>

typedef uint64_t efi_status;
typedef uint16_t char16;
typedef void *efi_handle;

#define EFI_SUCCESS		0
#define EFI_ERR(n)		((1ull << 63) | (n))
#define EFI_INVALID_PARAMETER	EFI_ERR(2)
#define EFI_BUFFER_TOO_SMALL	EFI_ERR(5)

struct efi_guid {
	uint32_t d1;
	uint16_t d2, d3;
	uint8_t d4[8];
};

struct efi_table_header {
	uint64_t signature;
	uint32_t revision, header_size, crc32, reserved;
};

struct efi_simple_text_output {
	void *reset;
	efi_status (*output_string)(struct efi_simple_text_output *self, const char16 *s);
};

enum { EFI_ALLOCATE_ANY = 0, EFI_ALLOCATE_MAX_ADDRESS = 1, EFI_ALLOCATE_ADDRESS = 2 };
enum { EFI_LOADER_CODE = 1, EFI_LOADER_DATA = 2 };

struct efi_boot_services {
	struct efi_table_header hdr;
	void *raise_tpl, *restore_tpl;
	efi_status (*allocate_pages)(int type, int memtype, uint64_t pages, uint64_t *addr);
	efi_status (*free_pages)(uint64_t addr, uint64_t pages);
	efi_status (*get_memory_map)(uint64_t *size, void *buf, uint64_t *key, uint64_t *desc_size,
				     uint32_t *desc_version);
	void *allocate_pool, *free_pool;
	void *create_event, *set_timer, *wait_for_event, *signal_event, *close_event, *check_event;
	void *install_protocol, *reinstall_protocol, *uninstall_protocol, *handle_protocol, *reserved,
		*register_protocol_notify, *locate_handle, *locate_device_path, *install_config_table;
	void *load_image, *start_image, *exit;
	void *unload_image;
	efi_status (*exit_boot_services)(efi_handle image, uint64_t key);
	void *get_next_monotonic_count;
	efi_status (*stall)(uint64_t us);
	efi_status (*set_watchdog_timer)(uint64_t timeout, uint64_t code, uint64_t size, char16 *data);
};

struct efi_config_table {
	struct efi_guid guid;
	void *table;
};

struct efi_system_table {
	struct efi_table_header hdr;
	char16 *firmware_vendor;
	uint32_t firmware_revision;
	void *con_in_handle, *con_in;
	void *con_out_handle;
	struct efi_simple_text_output *con_out;
	void *std_err_handle, *std_err;
	void *runtime_services;
	struct efi_boot_services *boot_services;
	uint64_t nr_tables;
	struct efi_config_table *tables;
};

/* The ACPI 2.0 RSDP table GUID. */
#define EFI_ACPI20_GUID { 0x8868e871, 0xe4f1, 0x11d3, { 0xbc, 0x22, 0x00, 0x80, 0xc7, 0x3c, 0x88, 0x81 } }
/* The flattened device tree GUID. */
#define EFI_DTB_GUID { 0xb1b621d5, 0xf19c, 0x41a5, { 0x83, 0x0b, 0xd9, 0x15, 0x2c, 0x69, 0xaa, 0xe0 } }

#endif
