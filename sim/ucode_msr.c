/* The simulated microcode MSRs (see ucode_msr.h). */
#include <string.h>

#include <vmkit/pmap.h>
#include "sim.h"
#include "ucode_msr.h"

static int32_t cur_rev(void *ctx)
{
	return ((struct vmk_sim_ucode_cpu *)ctx)->rev;
}

static int apply(void *ctx, vmk_vaddr_t va, vmk_size_t len)
{
	struct vmk_sim_ucode_cpu *c = ctx;
	struct vmk_pmap_mapping m;
	uint32_t h[12];
	uint8_t *p;

	if ((va & VMK_PAGE_MASK) || len < sizeof(h) || vmk_pmap_extract(vmk_pmap_kernel(), va, &m) ||
	    !(p = vmk_sim_phys_to_virt(m.pa))) {
		c->refused++;
		return -VMK_EFAULT;
	}
	memcpy(h, p, sizeof(h));
	if ((int32_t)h[1] <= c->rev) {
		c->refused++;
		return -VMK_EEXIST;
	}
	c->rev = (int32_t)h[1];
	c->applied++;
	return 0;
}

void vmk_sim_ucode_ops(struct vmk_sim_ucode_cpu *cpu, struct vmk_ucode_ops *ops)
{
	ops->current_rev = cur_rev;
	ops->apply = apply;
	ops->ctx = cpu;
}
