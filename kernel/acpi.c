/*
 * ACPI: from the RSDP to the MADT, for the CPUs (x86 Local APIC entries,
 * arm64 GICC entries) and the x86 Local APIC address. Runs before EBS,
 * where the firmware identity-maps the tables.
 */
#include "kernel.h"

static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static bool sig(const uint8_t *p, const char *s)
{
	return p[0] == s[0] && p[1] == s[1] && p[2] == s[2] && p[3] == s[3];
}

static void madt(struct boot_info *bi, const uint8_t *t)
{
	uint32_t len = rd32(t + 4);

	bi->lapic_pa = rd32(t + 36);
	for (uint32_t off = 44; off + 2 <= len;) {
		const uint8_t *e = t + off;

		if (e[1] < 2)
			break;
		if (e[0] == 0 && (rd32(e + 4) & 1) && bi->ncpus < KERNEL_MAX_CPUS)
			bi->cpu_hwid[bi->ncpus++] = e[3];		/* Local APIC: APIC ID */
		else if (e[0] == 0x0b && (rd32(e + 12) & 1) && bi->ncpus < KERNEL_MAX_CPUS)
			bi->cpu_hwid[bi->ncpus++] = (uint32_t)rd64(e + 68);	/* GICC: MPIDR */
		off += e[1];
	}
}

void acpi_read_madt(struct boot_info *bi)
{
	const uint8_t *rsdp = (const uint8_t *)(uintptr_t)bi->rsdp_pa, *xsdt;
	uint32_t len;

	bi->ncpus = 0;
	if (rsdp && rsdp[15] >= 2 && rd64(rsdp + 24)) {
		xsdt = (const uint8_t *)(uintptr_t)rd64(rsdp + 24);
		len = rd32(xsdt + 4);
		for (uint32_t off = 36; off + 8 <= len; off += 8) {
			const uint8_t *t = (const uint8_t *)(uintptr_t)rd64(xsdt + off);

			if (sig(t, "APIC"))
				madt(bi, t);
		}
	}
	if (!bi->ncpus) {
		bi->ncpus = 1;
		bi->cpu_hwid[0] = 0;
	}
}
