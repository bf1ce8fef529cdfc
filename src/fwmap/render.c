/* Rendering a map: a readable table, and Linux's E820 dmesg form. */
#include "fwmap_internal.h"

static const struct {
	uint32_t flag;
	const char *name;
} flag_names[] = {
	{ VMK_FWMAP_F_NOMAP, "nomap" },
	{ VMK_FWMAP_F_REUSABLE, "reusable" },
	{ VMK_FWMAP_F_RUNTIME, "runtime" },
	{ VMK_FWMAP_F_MIRROR, "mirror" },
	{ VMK_FWMAP_F_MEMRESERVE, "memreserve" },
	{ VMK_FWMAP_F_SP, "sp" },
	{ VMK_FWMAP_F_NV, "nv" },
	{ VMK_FWMAP_F_RO, "ro" },
	{ VMK_FWMAP_F_XP, "xp" },
};

static void render_raw(const struct vmk_fwmap *m, const struct vmk_fwmap_entry *e,
		       struct vmk_out *out)
{
	char buf[160];

	switch (m->format) {
	case VMK_FWMAP_FMT_E820:
		vmk_out_printf(out, "  e820 %s", vmk_e820_type_name(e->fw_type, buf, sizeof(buf)));
		if (e->attr)
			vmk_out_printf(out, " xattr 0x%llx", (unsigned long long)e->attr);
		break;
	case VMK_FWMAP_FMT_EFI:
		vmk_out_printf(out, "  %s", vmk_efi_type_name(e->fw_type));
		if (e->fw_type >= VMK_EFI_MAX_TYPE)
			vmk_out_printf(out, "(0x%x)", (unsigned int)e->fw_type);
		if (e->attr)
			vmk_out_printf(out, " %s", vmk_efi_attr_string(e->attr, buf, sizeof(buf)));
		break;
	default:
		break;
	}
}

void vmk_fwmap_render_table(const struct vmk_fwmap *m, struct vmk_out *out)
{
	char size[32];
	size_t i, f;

	for (i = 0; i < m->n; i++) {
		const struct vmk_fwmap_entry *e = &m->e[i];
		uint64_t last = e->size ? e->base + (e->size - 1) : e->base;
		const char *sep = "  [";

		vmk_out_printf(out, "  0x%016llx-0x%016llx  %-13s %10s",
			       (unsigned long long)e->base, (unsigned long long)last,
			       vmk_mem_kind_name(e->kind), vmk_fmt_size(size, sizeof(size), e->size));
		render_raw(m, e, out);
		for (f = 0; f < VMK_ARRAY_SIZE(flag_names); f++) {
			if (e->flags & flag_names[f].flag) {
				vmk_out_printf(out, "%s%s", sep, flag_names[f].name);
				sep = ",";
			}
		}
		vmk_out_puts(out, sep[0] == ',' ? "]\n" : "\n");
	}
}

void vmk_fwmap_render_e820(const struct vmk_fwmap *m, struct vmk_out *out, const char *prefix)
{
	char buf[48];
	size_t i;

	for (i = 0; i < m->n; i++) {
		const struct vmk_fwmap_entry *e = &m->e[i];
		uint32_t type = m->format == VMK_FWMAP_FMT_E820 ? e->fw_type
								: vmk_mem_kind_e820_type(e->kind);
		uint64_t last = e->size ? e->base + (e->size - 1) : e->base;

		vmk_out_printf(out, "%s: [mem 0x%016llx-0x%016llx] %s\n",
			       prefix ? prefix : "BIOS-e820", (unsigned long long)e->base,
			       (unsigned long long)last, vmk_e820_type_name(type, buf, sizeof(buf)));
	}
}
