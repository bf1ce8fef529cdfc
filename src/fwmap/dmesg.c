/*
 * A memory map out of a whole dmesg or journal: the E820 map if there is
 * one, else the "efi: mem.." map, else the memory of a memblock=debug dump
 * (a device-tree boot prints no map), else, for a text that is no log, the
 * memblock debugfs lists. On x86 the kernel builds its E820 table
 * from the UEFI map (the EFI stub converts it) and then edits it, so when
 * both are printed the E820 lines are the map the kernel actually used.
 */
#include "fwmap_internal.h"

/* True if text holds at least one "efi: mem.." line (well formed or not). */
static bool has_efi_lines(const char *text, size_t len)
{
	struct vmk_fwmap probe;
	int r;

	/* A map with no room: ENOSPC or EPARSE means a mem line was seen. */
	vmk_fwmap_init(&probe, NULL, 0);
	r = vmk_fwmap_parse_efi_text(&probe, text, len, NULL);
	return r != -VMK_ENOENT && r != -VMK_EINVAL;
}

/*
 * Does the log come from a device-tree boot? The kernel names the DT's
 * model first thing, and the EFI code says it found no UEFI.
 */
static bool is_dt_boot(const char *text, size_t len)
{
	struct vmk_str all = { text, len }, rest;

	return vmk_fwmap__after(all, "Machine model: ", &rest) || vmk_fwmap__after(all, "efi: UEFI not found", &rest);
}

int vmk_fwmap_parse_dmesg(struct vmk_fwmap *m, const char *text, size_t len,
			  struct vmk_fwmap_diag *diag)
{
	struct vmk_fwmap__undo u;
	int r;

	if (len && !text)
		return -VMK_EINVAL;
	vmk_fwmap__begin(m, &u);
	/* Probe quietly, so a fall back to EFI reports only EFI's messages. */
	r = vmk_fwmap_parse_e820_text(m, text, len, NULL);
	if (r == -VMK_ENOENT) {
		r = vmk_fwmap_parse_efi_text(m, text, len, NULL);
		if (r == -VMK_ENOENT) {
			/* A device-tree boot: no map, but memblock=debug dumps what Linux read. */
			r = vmk_fwmap_parse_memblock_dump(m, text, len, diag);
			if (r != -VMK_ENOENT)
				return r;
			if (is_dt_boot(text, len)) {
				vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_NONE, 0,
						   "a device-tree boot log: no map in it (boot with "
						   "memblock=debug, or give the DTB with --dtb)");
				return -VMK_ENOENT;
			}
			/* Not a log at all: memblock's debugfs lists, if that is what it holds. */
			r = vmk_fwmap_parse_memblock_debugfs(m, text, len, NULL);
			if (r != -VMK_ENOENT) {
				vmk_fwmap__end(m, &u, -VMK_EPARSE);
				return vmk_fwmap_parse_memblock_debugfs(m, text, len, diag);
			}
			vmk_fwmap_diag_add(diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_NONE, 0,
					   "no memory map in the text: neither BIOS-e820 nor efi mem lines "
					   "nor a memblock=debug dump nor memblock debugfs regions");
			return r;
		}
		vmk_fwmap__end(m, &u, -VMK_EPARSE);
		return vmk_fwmap_parse_efi_text(m, text, len, diag);
	}
	vmk_fwmap__end(m, &u, -VMK_EPARSE);
	r = vmk_fwmap_parse_e820_text(m, text, len, diag);
	if (has_efi_lines(text, len))
		vmk_fwmap_diag_add(diag, VMK_FWMAP_WARN, VMK_FWMAP_AT_NONE, 0,
				   "efi mem lines ignored: the E820 map is the map the kernel used");
	return r;
}
