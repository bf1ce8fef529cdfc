/* The diagnostics sink of the fwmap parsers and the sanitizer. */
#include <vmkit/fwmap.h>

void vmk_fwmap_diag_init(struct vmk_fwmap_diag *d, struct vmk_fwmap_msg *storage, size_t cap)
{
	vmk_memset(d, 0, sizeof(*d));
	d->msg = storage;
	d->cap = storage ? cap : 0;
}

void vmk_fwmap_diag_add(struct vmk_fwmap_diag *d, enum vmk_fwmap_sev sev,
			enum vmk_fwmap_where where, uint32_t at, const char *fmt, ...)
{
	struct vmk_fwmap_msg *m;
	va_list ap;

	if (!d)
		return;
	if (sev == VMK_FWMAP_ERR)
		d->errors++;
	else if (sev == VMK_FWMAP_WARN)
		d->warnings++;
	else
		d->infos++;
	if (d->n >= d->cap) {
		d->lost++;
		return;
	}
	m = &d->msg[d->n++];
	m->sev = (uint8_t)sev;
	m->where = (uint8_t)where;
	m->at = at;
	va_start(ap, fmt);
	vmk_vsnprintf(m->text, sizeof(m->text), fmt, ap);
	va_end(ap);
}

static const char *sev_name(unsigned int sev)
{
	switch (sev) {
	case VMK_FWMAP_ERR:
		return "error";
	case VMK_FWMAP_WARN:
		return "warning";
	default:
		return "note";
	}
}

void vmk_fwmap_diag_print(const struct vmk_fwmap_diag *d, struct vmk_out *out,
			  const char *name, enum vmk_fwmap_sev min_sev)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->n; i++) {
		const struct vmk_fwmap_msg *m = &d->msg[i];

		if (m->sev < min_sev)
			continue;
		if (name)
			vmk_out_printf(out, "%s: ", name);
		switch (m->where) {
		case VMK_FWMAP_AT_LINE:
			vmk_out_printf(out, "line %u: ", (unsigned int)m->at);
			break;
		case VMK_FWMAP_AT_ENTRY:
			vmk_out_printf(out, "entry %u: ", (unsigned int)m->at);
			break;
		case VMK_FWMAP_AT_OFFSET:
			vmk_out_printf(out, "offset %u: ", (unsigned int)m->at);
			break;
		default:
			break;
		}
		vmk_out_printf(out, "%s: %s\n", sev_name(m->sev), m->text);
	}
	if (d->lost)
		vmk_out_printf(out, "%s%s(%zu more messages not kept)\n",
			       name ? name : "", name ? ": " : "", d->lost);
}
