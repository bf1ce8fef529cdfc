/* The debug dump and the invariant checker. */
#include "internal.h"

static void dump_type(const struct vmk_memblock_type *t, struct vmk_out *out)
{
	vmk_out_printf(out, " %s.cnt  = 0x%zx\n", t->name, t->cnt);
	for (size_t i = 0; i < t->cnt; i++) {
		const struct vmk_memblock_region *r = &t->regions[i];
		char node[24] = "";

		if (r->nid != VMK_NUMA_NO_NODE)
			vmk_snprintf(node, sizeof(node), " on node %d", (int)r->nid);
		vmk_out_printf(out, " %s[0x%zx]\t[0x%016llx-0x%016llx], 0x%016llx bytes%s flags: 0x%x\n",
			       t->name, i, (unsigned long long)r->base,
			       (unsigned long long)(vmk_memblock__end(r) - 1),
			       (unsigned long long)r->size, node, (unsigned int)r->flags);
	}
}

void vmk_memblock_dump(const struct vmk_memblock *mb, struct vmk_out *out)
{
	vmk_out_puts(out, "MEMBLOCK configuration:\n");
	vmk_out_printf(out, " memory size = 0x%016llx reserved size = 0x%016llx\n",
		       (unsigned long long)mb->memory.total_size,
		       (unsigned long long)mb->reserved.total_size);
	dump_type(&mb->memory, out);
	dump_type(&mb->reserved, out);
}

static void check_type(const struct vmk_memblock_type *t, bool is_memory)
{
	vmk_size_t total = 0;

	VMK_VERIFY(t->regions != NULL, "%s: no region array", t->name);
	VMK_VERIFY(t->cnt <= t->max, "%s: cnt %zu exceeds max %zu", t->name, t->cnt, t->max);
	for (size_t i = 0; i < t->cnt; i++) {
		const struct vmk_memblock_region *r = &t->regions[i];

		VMK_VERIFY(r->size != 0, "%s[%zu]: empty region", t->name, i);
		VMK_VERIFY(r->size <= VMK_PADDR_MAX - r->base,
			   "%s[%zu]: region wraps past the top of the address space", t->name, i);
		VMK_VERIFY(vmk_memblock__nid_ok(r->nid), "%s[%zu]: bad node %d", t->name, i,
			   (int)r->nid);
		if (is_memory)
			VMK_VERIFY(!(r->flags & ~VMK_MEMBLOCK__FLAGS_ALL),
				   "%s[%zu]: unknown flags 0x%x", t->name, i, (unsigned int)r->flags);
		else
			VMK_VERIFY(r->flags == 0 && r->nid == VMK_NUMA_NO_NODE,
				   "%s[%zu]: reserved region with flags or node", t->name, i);
		if (i > 0) {
			const struct vmk_memblock_region *p = &t->regions[i - 1];

			VMK_VERIFY(vmk_memblock__end(p) <= r->base,
				   "%s[%zu]: not sorted or overlaps its predecessor", t->name, i);
			VMK_VERIFY(vmk_memblock__end(p) != r->base || p->nid != r->nid ||
				   p->flags != r->flags,
				   "%s[%zu]: not merged with a compatible neighbour", t->name, i);
		}
		total += r->size;
	}
	VMK_VERIFY(total == t->total_size, "%s: total_size 0x%llx != sum of regions 0x%llx",
		   t->name, (unsigned long long)t->total_size, (unsigned long long)total);
}

void vmk_memblock_check(const struct vmk_memblock *mb)
{
	struct vmk_range own[2];
	size_t n;

	check_type(&mb->memory, true);
	check_type(&mb->reserved, false);
	n = vmk_memblock_own_arrays(mb, own);
	for (size_t i = 0; i < n; i++) {
		const struct vmk_memblock_type *t = &mb->reserved;
		size_t k = vmk_memblock__search(t, own[i].base);

		VMK_VERIFY(k < t->cnt && t->regions[k].base <= own[i].base &&
			   vmk_memblock__end(&t->regions[k]) >= own[i].end,
			   "an array memblock allocated at 0x%llx is not reserved",
			   (unsigned long long)own[i].base);
	}
}
