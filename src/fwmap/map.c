/* Maps in caller storage: init, programmatic add, totals, invariant check. */
#include "fwmap_internal.h"

void vmk_fwmap_init(struct vmk_fwmap *m, struct vmk_fwmap_entry *storage, size_t cap)
{
	m->e = storage;
	m->n = 0;
	m->cap = storage ? cap : 0;
	m->format = VMK_FWMAP_FMT_NONE;
	m->efi_desc_version = 0;
	m->src_where = VMK_FWMAP_AT_NONE;
}

void vmk_fwmap_clear(struct vmk_fwmap *m)
{
	m->n = 0;
	m->format = VMK_FWMAP_FMT_NONE;
	m->efi_desc_version = 0;
	m->src_where = VMK_FWMAP_AT_NONE;
}

void vmk_fwmap__set_format(struct vmk_fwmap *m, uint32_t format, uint32_t src_where)
{
	if (m->format != VMK_FWMAP_FMT_NONE)
		return;
	m->format = format;
	m->src_where = src_where;
}

int vmk_fwmap__push(struct vmk_fwmap *m, const struct vmk_fwmap_entry *ent)
{
	if (m->n >= m->cap)
		return -VMK_ENOSPC;
	m->e[m->n++] = *ent;
	return 0;
}

int vmk_fwmap_add_entry(struct vmk_fwmap *m, const struct vmk_fwmap_entry *ent)
{
	if (ent->kind == VMK_MEM_NONE || ent->kind >= VMK_MEM_NKINDS || ent->size == 0)
		return -VMK_EINVAL;
	/* The last byte base + size - 1 must not wrap; ending at 2^64 is fine. */
	if (ent->size - 1 > VMK_PADDR_MAX - ent->base)
		return -VMK_EOVERFLOW;
	return vmk_fwmap__push(m, ent);
}

int vmk_fwmap_add(struct vmk_fwmap *m, vmk_paddr_t base, vmk_size_t size,
		  uint32_t kind, uint32_t flags)
{
	struct vmk_fwmap_entry ent = {
		.base = base, .size = size, .kind = kind, .flags = flags,
	};

	return vmk_fwmap_add_entry(m, &ent);
}

void vmk_fwmap__begin(const struct vmk_fwmap *m, struct vmk_fwmap__undo *u)
{
	u->n = m->n;
	u->format = m->format;
	u->efi_desc_version = m->efi_desc_version;
	u->src_where = m->src_where;
}

int vmk_fwmap__end(struct vmk_fwmap *m, const struct vmk_fwmap__undo *u, int err)
{
	if (err) {
		m->n = u->n;
		m->format = u->format;
		m->efi_desc_version = u->efi_desc_version;
		m->src_where = u->src_where;
	}
	return err;
}

static void sat_add(vmk_size_t *acc, vmk_size_t v, bool *sat)
{
	if (vmk_add_overflow(*acc, v, acc)) {
		*acc = UINT64_MAX;
		*sat = true;
	}
}

void vmk_fwmap_totals(const struct vmk_fwmap *m, struct vmk_fwmap_totals *t)
{
	size_t i;

	vmk_memset(t, 0, sizeof(*t));
	for (i = 0; i < m->n; i++) {
		const struct vmk_fwmap_entry *e = &m->e[i];
		uint32_t k = e->kind < VMK_MEM_NKINDS ? e->kind : VMK_MEM_NONE;

		sat_add(&t->bytes[k], e->size, &t->saturated);
		t->count[k]++;
		sat_add(&t->total_bytes, e->size, &t->saturated);
		if (k == VMK_MEM_NOMAP || (e->flags & VMK_FWMAP_F_NOMAP))
			sat_add(&t->nomap_bytes, e->size, &t->saturated);
	}
}

vmk_size_t vmk_fwmap_bytes(const struct vmk_fwmap *m, uint32_t kind)
{
	vmk_size_t sum = 0;
	bool sat = false;
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->e[i].kind == kind)
			sat_add(&sum, m->e[i].size, &sat);
	return sum;
}

int vmk_fwmap_check(const struct vmk_fwmap *m, vmk_size_t page_size, size_t *bad)
{
	vmk_paddr_t prev_last = 0;
	size_t i;

	if (page_size == 0)
		page_size = VMK_PAGE_SIZE;
	if (!VMK_IS_POW2(page_size))
		return -VMK_EINVAL;
	for (i = 0; i < m->n; i++) {
		const struct vmk_fwmap_entry *e = &m->e[i];
		bool ok = e->size != 0 && e->kind != VMK_MEM_NONE &&
			  e->kind < VMK_MEM_NKINDS &&
			  e->size - 1 <= VMK_PADDR_MAX - e->base &&
			  VMK_IS_ALIGNED(e->base, page_size) &&
			  VMK_IS_ALIGNED(e->size, page_size) &&
			  (i == 0 || e->base > prev_last);

		if (!ok) {
			if (bad)
				*bad = i;
			return -VMK_EINVAL;
		}
		prev_last = e->base + (e->size - 1);
	}
	return 0;
}
