/*
 * NUMA nodes for memblock.memory from firmware affinity, with the rules
 * Linux's NUMA init applies on each architecture (include/vmkit/boot.h).
 */
#include <vmkit/boot.h>

/* Does [b, e) overlap memblock.memory? */
static bool has_memory(const struct vmk_memblock *mb, vmk_paddr_t b, vmk_paddr_t e)
{
	for (size_t i = 0; i < mb->memory.cnt; i++) {
		const struct vmk_memblock_region *rg = &mb->memory.regions[i];

		if (rg->size && rg->base < e && rg->base + (rg->size - 1) >= b)
			return true;
	}
	return false;
}

/*
 * Does a range of another node than r[i]'s touch [b, e)? Ranges over no
 * memory do not count: numa_cleanup_meminfo moves them to
 * numa_reserved_meminfo before it joins a node's blocks.
 */
static bool other_node_in(const struct vmk_memblock *mb, const struct vmk_numa_range *r,
			  size_t n, size_t i, vmk_paddr_t b, vmk_paddr_t e)
{
	for (size_t k = 0; k < n; k++)
		if (r[k].nid != r[i].nid && r[k].base < e && r[k].end > b &&
		    has_memory(mb, r[k].base, r[k].end))
			return true;
	return false;
}

/* Bytes of memory with node nid (VMK_NUMA_NO_NODE: without one). */
static vmk_size_t memory_on(const struct vmk_memblock *mb, int nid)
{
	vmk_size_t sum = 0;

	for (size_t i = 0; i < mb->memory.cnt; i++)
		if (mb->memory.regions[i].nid == nid)
			sum += mb->memory.regions[i].size;
	return sum;
}

static int all_on(struct vmk_memblock *mb, int nid)
{
	return vmk_memblock_set_node(mb, 0, VMK_PADDR_MAX, nid);
}

int vmk_boot_numa_apply(struct vmk_memblock *mb, const struct vmk_numa_range *r, size_t n,
			uint32_t arch)
{
	bool used[VMK_MAX_DOMAINS] = { false };
	int err, nodes = 0;

	for (size_t i = 0; i < n; i++)
		if (r[i].nid < 0 || r[i].nid >= VMK_MAX_DOMAINS || r[i].end < r[i].base)
			return -VMK_EINVAL;
	/* Linux starts from no node (numa_init: MAX_NUMNODES everywhere). */
	err = all_on(mb, VMK_NUMA_NO_NODE);
	for (size_t i = 0; !err && i < n; i++) {
		err = vmk_memblock_set_node(mb, r[i].base, r[i].end - r[i].base, r[i].nid);
		/* x86: the gap to a later range of the same node, if no other node is in it. */
		for (size_t j = 0; !err && arch == VMK_BOOT_ARCH_X86_64 && j < n; j++) {
			vmk_paddr_t b = VMK_MIN(r[i].base, r[j].base), e = VMK_MAX(r[i].end, r[j].end);

			if (j != i && r[j].nid == r[i].nid && has_memory(mb, r[i].base, r[i].end) &&
			    has_memory(mb, r[j].base, r[j].end) && !other_node_in(mb, r, n, i, b, e))
				err = vmk_memblock_set_node(mb, b, e - b, r[i].nid);
		}
	}
	if (err)
		return err;
	if (n == 0 || (arch == VMK_BOOT_ARCH_X86_64 ? memory_on(mb, VMK_NUMA_NO_NODE) >= VMK_MiB
						    : memory_on(mb, VMK_NUMA_NO_NODE) != 0)) {
		err = all_on(mb, 0);
		return err ? err : 1;
	}
	for (size_t i = 0; i < mb->memory.cnt; i++)
		if (mb->memory.regions[i].nid >= 0 && !used[mb->memory.regions[i].nid]) {
			used[mb->memory.regions[i].nid] = true;
			nodes++;
		}
	return nodes;
}
