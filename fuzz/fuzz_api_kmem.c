/*
 * API-sequence fuzzer for kmem: malloc (any size, domain, zeroing) and
 * contiguous allocations (window, alignment, boundary) and frees, with
 * injected failures anywhere (KVA, frames, page tables) where the input
 * asks. Every live allocation is stamped on its pages through the kernel
 * pmap and read back through the simulated MMU before it is freed (an
 * overlap or a wrong mapping shows); zeroed memory reads zero; a new
 * allocation overlaps no live one; a failed allocation leaves frames,
 * mappings, KVA and arenas as they were (kernel page-table pages it
 * added stay: they are never freed); kmem_check and the kernel
 * pmap check pass every 8 operations. At the end everything is freed
 * and frames, mappings, KVA and arenas balance.
 */
#include "fuzz_api_kmem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool booted;
	static const int domains[] = { 0, VMK_DOMAIN_LOCAL, VMK_DOMAIN_RR, 0 };
	struct fz_in in = { data, size };
	struct kmt_snap start, before;
	unsigned int steps = 0;

	if (!booted) {
		kmt_boot(VMK_PMAP_ARCH_X86_64);
		booted = true;
	}
	nkl = 0;
	kmt_snap(&start);
	while (in.n && steps++ < 80) {
		uint8_t op = fz_u8(&in) % 4, f = fz_u8(&in), a = fz_u8(&in);
		unsigned int flags = a & 1 ? VMK_KM_ZERO : 0;
		vmk_vaddr_t va = 0;
		vmk_size_t sz = 0;
		bool armed = f & 1;

		if (op < 2 && nkl == KMAXL)
			op = 2;
		if (armed && op < 2)
			kmt_snap(&before);
		if (armed)
			vmk_sim_fail_nth((f >> 1) & 15, "", (f & 0x20) != 0);
		switch (op) {
		case 0:
			sz = 1 + fz_u32(&in) % (a & 2 ? (4u << 20) : 64u << 10);
			va = vmk_kmem_malloc_domain(domains[(a >> 2) & 3], sz, flags);
			break;
		case 1: {
			vmk_paddr_t al = KPG << (fz_u8(&in) % 10), bd = fz_u8(&in) & 1 ? (2ull << 20) : 0;

			sz = KPG * (1 + fz_u8(&in) % 64);
			va = vmk_kmem_alloc_contig(sz, 0, VMK_PADDR_MAX, al, bd, 0, 0, flags);
			if (va) {
				struct vmk_pmap_mapping m;

				FZ_CHECK(vmk_pmap_extract(vmk_pmap_kernel(), va, &m) == 0 && m.pa % al == 0,
					 "contig allocation misaligned");
				for (vmk_size_t o = KPG; o < sz; o += KPG) {
					struct vmk_pmap_mapping m2;

					FZ_CHECK(vmk_pmap_extract(vmk_pmap_kernel(), va + o, &m2) == 0 &&
						 m2.pa == m.pa + o, "contig allocation not contiguous");
				}
				FZ_CHECK(!bd || m.pa / bd == (m.pa + sz - 1) / bd, "contig crosses its boundary");
			}
			break;
		}
		default:
			if (nkl)
				kfree_one(f % nkl);
			break;
		}
		vmk_sim_fail_off();
		if (op < 2) {
			if (va)
				kadd(va, sz, flags & VMK_KM_ZERO);
			else if (armed)
				kbalance(&before, "a failed allocation");
		}
		if (steps % 8 == 0)
			kcheck("step");
	}
	while (nkl)
		kfree_one(nkl - 1);
	kcheck("end");
	kbalance(&start, "end");
	return 0;
}
