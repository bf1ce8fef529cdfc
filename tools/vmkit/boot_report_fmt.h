/*
 * What `vmkit boot`'s report (cmd_boot_report.c) and the demo kernel's
 * print of it (kernel/report.c) must compute and spell alike, since
 * kernel/check-boot.sh requires the two reports to be byte for byte
 * equal: the accounting categories' names, the mapping-class columns, and
 * the RESERVED bytes the categories are split from. Header-only and
 * freestanding (no libc): the kernel compiles it too.
 */
#ifndef VMKIT_TOOL_BOOT_REPORT_FMT_H
#define VMKIT_TOOL_BOOT_REPORT_FMT_H

#include <stdint.h>

#include <vmkit/phys.h>
#include <vmkit/pmap.h>

/* The accounting categories' names, in the report's order (enum boot_cat). */
static const char *const boot_report_cat_names[] = {
	"free", "free_nofree_pool", "kernel_image", "preloads_kept", "page_array", "page_tables",
	"nofree", "percpu", "allocated_other", "crash_kernel", "firmware_reserved",
	"early_reserved", "reserved_other", "nomap", "bad", "unmanaged",
};

/* A protection as "rw-" into buf (4 bytes); returns buf. Any context. */
static inline const char *boot_report_prot(uint32_t p, char *buf)
{
	buf[0] = 'r';
	buf[1] = p & VMK_PROT_WRITE ? 'w' : '-';
	buf[2] = p & VMK_PROT_EXEC ? 'x' : '-';
	buf[3] = 0;
	return buf;
}

/* A leaf size as "1G", "2M" or "4K". Any context. */
static inline const char *boot_report_size(uint64_t s)
{
	return s == VMK_GiB ? "1G" : s == 2 * VMK_MiB ? "2M" : "4K";
}

/* A memory type's name ("WB", "UC", "WC", "DEVICE"; "?" for another). Any context. */
static inline const char *boot_report_memtype(unsigned int mt)
{
	static const char *const n[] = { "WB", "UC", "WC", "DEVICE" };

	return mt < 4 ? n[mt] : "?";
}

/*
 * Bytes of RESERVED frames in [start, end), looked at without initialising
 * records that wait to be initialised. After the boot; the caller keeps
 * the frames' states still.
 */
static inline uint64_t boot_report_reserved_in(uint64_t start, uint64_t end)
{
	uint64_t n = 0, pa = VMK_ALIGN_UP(start, VMK_PAGE_SIZE);

	end = VMK_ALIGN_DOWN(end, VMK_PAGE_SIZE);
	while (pa < end) {
		struct vmk_phys_peek pk;
		uint64_t next;

		if (vmk_phys_peek(pa, &pk)) {
			pa += VMK_PAGE_SIZE;
			continue;
		}
		next = VMK_MIN(pk.run_end, end);
		if (pk.state == VMK_PAGE_RESERVED)
			n += next - pa;
		pa = next;
	}
	return n;
}

#endif
