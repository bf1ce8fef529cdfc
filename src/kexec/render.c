/* Printing a kexec plan: a table for people, JSON for tools. */
#include <vmkit/kexec.h>

void vmk_kexec_render(const struct vmk_kexec_plan *p, struct vmk_out *out)
{
	char s1[24], s2[24];

	vmk_out_printf(out, "kexec plan: %s; RAM %s in %zu range(s), %s free after placement\n",
		       p->dir == VMK_KEXEC_BOTTOM_UP ? "bottom-up" : "top-down",
		       vmk_fmt_size(s1, sizeof(s1), vmk_rangeset_total(&p->ram)), p->ram.n,
		       vmk_fmt_size(s2, sizeof(s2), vmk_kexec_free_bytes(p)));
	vmk_out_printf(out, "\n%-12s %-37s %-10s %-10s %s\n", "segment", "address range",
		       "size", "memsz", "why here");
	for (size_t i = 0; i < p->nseg; i++) {
		const struct vmk_kexec_seg *s = &p->seg[i];

		vmk_out_printf(out, "%-12s 0x%016llx-0x%016llx %-10s %-10s %s\n", s->req.name,
			       (unsigned long long)s->base,
			       (unsigned long long)(s->base + s->memsz - 1),
			       vmk_fmt_size(s1, sizeof(s1), s->req.bufsz),
			       vmk_fmt_size(s2, sizeof(s2), s->memsz), s->why);
	}
	vmk_out_printf(out, "\nexcluded (kept intact for the next kernel): %zu range(s)\n", p->nexcl);
	for (size_t i = 0; i < p->nexcl; i++) {
		const struct vmk_kexec_excl *e = &p->excl[i];

		vmk_out_printf(out, "  0x%016llx-0x%016llx %-10s %-14s %s\n",
			       (unsigned long long)e->base, (unsigned long long)(e->end - 1),
			       vmk_fmt_size(s1, sizeof(s1), e->end - e->base),
			       vmk_kexec_excl_kind_name(e->kind), e->reason);
	}
}

static void json_str(struct vmk_out *out, const char *s)
{
	vmk_out_json_string(out, s);
}

void vmk_kexec_render_json(const struct vmk_kexec_plan *p, struct vmk_out *out)
{
	vmk_out_puts(out, "{");
	vmk_kexec_render_json_fields(p, out);
	vmk_out_puts(out, "}\n");
}

void vmk_kexec_render_json_fields(const struct vmk_kexec_plan *p, struct vmk_out *out)
{
	vmk_out_printf(out, "\"direction\":\"%s\",\"free\":%llu,\"ram\":[",
		       p->dir == VMK_KEXEC_BOTTOM_UP ? "bottom-up" : "top-down",
		       (unsigned long long)vmk_kexec_free_bytes(p));
	for (size_t i = 0; i < p->ram.n; i++)
		vmk_out_printf(out, "%s{\"base\":%llu,\"size\":%llu}", i ? "," : "",
			       (unsigned long long)p->ram.r[i].base,
			       (unsigned long long)(p->ram.r[i].end - p->ram.r[i].base));
	vmk_out_puts(out, "],\"segments\":[");
	for (size_t i = 0; i < p->nseg; i++) {
		const struct vmk_kexec_seg *s = &p->seg[i];

		vmk_out_printf(out, "%s{\"name\":", i ? "," : "");
		json_str(out, s->req.name);
		vmk_out_printf(out, ",\"base\":%llu,\"size\":%llu,\"memsz\":%llu,\"align\":%llu,\"why\":",
			       (unsigned long long)s->base, (unsigned long long)s->req.bufsz,
			       (unsigned long long)s->memsz,
			       (unsigned long long)VMK_MAX(s->req.align, VMK_PAGE_SIZE));
		json_str(out, s->why);
		vmk_out_puts(out, "}");
	}
	vmk_out_puts(out, "],\"excluded\":[");
	for (size_t i = 0; i < p->nexcl; i++) {
		const struct vmk_kexec_excl *e = &p->excl[i];

		vmk_out_printf(out, "%s{\"base\":%llu,\"size\":%llu,\"kind\":\"%s\",\"reason\":",
			       i ? "," : "", (unsigned long long)e->base,
			       (unsigned long long)(e->end - e->base),
			       vmk_kexec_excl_kind_name(e->kind));
		json_str(out, e->reason);
		vmk_out_puts(out, "}");
	}
	vmk_out_puts(out, "]");
}
