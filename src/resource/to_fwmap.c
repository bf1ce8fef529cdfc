/*
 * From a resource tree (typically parsed /proc/iomem text) to normalized
 * firmware-map entries: what memory the running kernel was told about,
 * reconstructed from what it published.
 */
#include <vmkit/fwmap.h>

#include "internal.h"

struct conv {
	struct vmk_fwmap *m;
	size_t first;		/* m->n on entry: entries before it are not ours to merge */
	size_t base_pos;	/* pre-order position of the RAM root being cut */
};

/* The map kind of a resource with a descriptor, or VMK_MEM_NONE to skip it. */
static uint32_t desc_kind(int32_t desc)
{
	switch (desc) {
	case VMK_RES_DESC_ACPI_TABLES:
		return VMK_MEM_ACPI_RECLAIM;
	case VMK_RES_DESC_ACPI_NV_STORAGE:
		return VMK_MEM_ACPI_NVS;
	case VMK_RES_DESC_PERSISTENT_MEMORY:
	case VMK_RES_DESC_PERSISTENT_MEMORY_LEGACY:
		return VMK_MEM_PERSISTENT;
	case VMK_RES_DESC_SOFT_RESERVED:
		return VMK_MEM_SOFT_RESERVED;
	case VMK_RES_DESC_DEVICE_PRIVATE_MEMORY:
		return VMK_MEM_NONE;	/* device memory behind ZONE_DEVICE, not a firmware range */
	default:
		/* reserved, crash kernel, and descriptors newer than this code */
		return VMK_MEM_RESERVED;
	}
}

/*
 * E820 kinds Linux names but gives no descriptor: without this they would
 * look like device windows and vanish from the map.
 */
static uint32_t named_kind(const struct vmk_resource *r)
{
	if (!r->name)
		return VMK_MEM_NONE;
	if (vmk_strcmp(r->name, "Unusable memory") == 0)
		return VMK_MEM_UNUSABLE;
	if (vmk_strcmp(r->name, "Unknown E820 type") == 0)
		return VMK_MEM_RESERVED;
	return VMK_MEM_NONE;
}

static int append(struct conv *c, vmk_paddr_t s, vmk_paddr_t e, uint32_t kind, uint32_t flags,
		  size_t pos)
{
	struct vmk_fwmap *m = c->m;
	struct vmk_fwmap_entry ent = { 0 };
	struct vmk_fwmap_entry *last = m->n > c->first ? &m->e[m->n - 1] : NULL;
	uint64_t merged;

	if (s == 0 && e == VMK_PADDR_MAX)
		return -VMK_ERANGE;
	if (last && last->kind == kind && last->flags == flags && last->base + last->size == s &&
	    !vmk_add_overflow(last->size, e - s + 1, &merged)) {
		last->size = merged;
		return 0;
	}
	ent.base = s;
	ent.size = e - s + 1;
	ent.kind = kind;
	ent.flags = flags;
	ent.src = pos > UINT32_MAX ? UINT32_MAX : (uint32_t)pos;
	return vmk_fwmap_add_entry(m, &ent);
}

static int ram_piece(void *arg, vmk_paddr_t s, vmk_paddr_t e, const struct vmk_resource *ex,
		     size_t pos)
{
	struct conv *c = arg;

	if (!ex)
		return append(c, s, e, VMK_MEM_USABLE, 0, c->base_pos);
	/* Nested in System RAM: RAM in use, which the flag keeps saying. */
	return append(c, s, e, ex->desc != VMK_RES_DESC_NONE ? desc_kind(ex->desc)
							    : VMK_MEM_RESERVED,
		      VMK_FWMAP_F_IN_RAM, c->base_pos + pos);
}

int vmk_resource_to_fwmap(const struct vmk_resource *root, struct vmk_fwmap *m)
{
	struct conv c = { m, m->n, 0 };
	const struct vmk_resource *r, *skip_to = NULL;
	size_t pos = 0;
	uint32_t kind;
	int ret = 0;

	/* Step over every node (even skipped subtrees) so pos stays exact. */
	for (r = vmk_resource_next(root, root); r; r = vmk_resource_next(root, r)) {
		pos++;
		if (skip_to) {
			if (r != skip_to)
				continue;
			skip_to = NULL;
		}
		if (vmk_resource_is_ram(r)) {
			c.base_pos = pos;
			ret = vmk_resource__ram_pieces(r, ram_piece, &c);
		} else if (r->desc == VMK_RES_DESC_NONE && (kind = named_kind(r)) != VMK_MEM_NONE) {
			ret = append(&c, r->start, r->end, kind, 0, pos);
		} else if (vmk_resource_may_hold_ram(r)) {
			continue;	/* look inside */
		} else if (r->desc != VMK_RES_DESC_NONE) {
			kind = desc_kind(r->desc);
			if (kind != VMK_MEM_NONE)
				ret = append(&c, r->start, r->end, kind, 0, pos);
		}
		/* else: driver-managed RAM, skipped with everything in it */
		if (ret)
			break;
		skip_to = vmk_resource_next_skip(root, r);
		if (!skip_to)
			break;
	}
	if (ret)
		m->n = c.first;
	return ret;
}
