/*
 * API-sequence fuzzer across the layers: kmem allocations, physical pages
 * allocated for a user address space, mappings of them (managed, shared
 * between addresses) in a user pmap, unmaps, reverse-map removals
 * (vmk_pmap_remove_all), frees, with injected failures anywhere where the
 * input asks. Models: the live kernel allocations (stamped, read back
 * through the MMU), the user pages (each stamped with its serial) and
 * the user page table. After every operation a user read of every
 * mapped model address goes through the simulated MMU and must reach the
 * page the model says (its stamp), an unmapped one must fault; a page is
 * only freed once no mapping is left (remove_all must leave none). Every
 * 8 operations and at the end: kmem, both pmaps and break-before-make
 * checks. At the end everything is unmapped and freed, the user pmap
 * destroyed, and frames, mappings, KVA and arenas balance.
 */
#include "fuzz_api_kmem.h"

#define UVA	0x40000000ull
#define NUVA	64
#define MAXU	32

struct upage {
	vmk_paddr_t pa;
	uint64_t serial;
};

static struct upage up[MAXU];
static size_t nup;
static int umap[NUVA];	/* index into up[], or -1 */

static void umap_check(struct vmk_pmap *pm)
{
	for (size_t i = 0; i < NUVA; i++) {
		struct vmk_mmu_walk w;
		int f = vmk_sim_mmu_access(0, UVA + i * KPG, VMK_MMU_READ | VMK_MMU_USER, &w);

		if (umap[i] < 0) {
			FZ_CHECK(f == VMK_MMU_FAULT_TRANSLATION, "user page %zu unmapped but reads (%d)", i, f);
			continue;
		}
		FZ_CHECK(f == 0 && w.pa == up[umap[i]].pa, "user page %zu: fault %d pa %#llx, model %#llx", i, f,
			 (unsigned long long)w.pa, (unsigned long long)up[umap[i]].pa);
		FZ_CHECK(!memcmp(vmk_sim_phys_to_virt(w.pa), &up[umap[i]].serial, 8), "user page %zu: wrong contents", i);
	}
	(void)pm;
}

static void unmap_pa(vmk_paddr_t pa)
{
	for (size_t i = 0; i < NUVA; i++)
		if (umap[i] >= 0 && up[umap[i]].pa == pa)
			umap[i] = -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool booted;
	struct fz_in in = { data, size };
	struct vmk_pmap *pm;
	struct kmt_snap start;
	unsigned int steps = 0;

	if (!booted) {
		kmt_boot(VMK_PMAP_ARCH_X86_64);
		booted = true;
	}
	nkl = nup = 0;
	for (size_t i = 0; i < NUVA; i++)
		umap[i] = -1;
	kmt_snap(&start);
	FZ_CHECK(vmk_pmap_create(&pm) == 0, "create");
	vmk_pmap_activate(pm, 0);
	while (in.n && steps++ < 80) {
		uint8_t op = fz_u8(&in) % 8, f = fz_u8(&in), a = fz_u8(&in);
		size_t i = a % NUVA;
		int r;

		if (f & 1)
			vmk_sim_fail_nth((f >> 1) & 7, f & 0x10 ? "phys" : "", (f & 0x20) != 0);
		switch (op) {
		case 0: {
			vmk_size_t sz = 1 + fz_u32(&in) % (256u << 10);
			vmk_vaddr_t va = nkl < KMAXL ? vmk_kmem_malloc(sz, a & 1 ? VMK_KM_ZERO : 0) : 0;

			vmk_sim_fail_off();
			if (va)
				kadd(va, sz, a & 1);
			break;
		}
		case 1:
			vmk_sim_fail_off();
			if (nkl)
				kfree_one(a % nkl);
			break;
		case 2: {
			struct vmk_page *p = nup < MAXU ? vmk_page_alloc(VMK_DOMAIN_RR, 0, a & 1 ? VMK_ALLOC_ZERO : 0) : NULL;

			vmk_sim_fail_off();
			if (p) {
				up[nup] = (struct upage){ vmk_page_to_pa(p), ++kserial };
				for (size_t k = 0; k < nup; k++)
					FZ_CHECK(up[k].pa != up[nup].pa, "a live user page allocated twice");
				memcpy(vmk_sim_phys_to_virt(up[nup].pa), &up[nup].serial, 8);
				nup++;
			}
			break;
		}
		case 3:
		case 4: {
			size_t k;

			if (!nup) {
				vmk_sim_fail_off();
				break;
			}
			k = fz_u8(&in) % nup;
			r = vmk_pmap_enter(pm, UVA + i * KPG, up[k].pa, VMK_PROT_READ | (a & 0x80 ? VMK_PROT_WRITE : 0),
					   VMK_PMAP_ENTER_MANAGED);
			vmk_sim_fail_off();
			FZ_CHECK(r == 0 || r == -VMK_ENOMEM, "enter: %d", r);
			if (!r)
				umap[i] = (int)k;
			break;
		}
		case 5: {
			size_t n = 1 + fz_u8(&in) % 16;

			r = vmk_pmap_remove(pm, UVA + i * KPG, UVA + VMK_MIN(i + n, (size_t)NUVA) * KPG);
			vmk_sim_fail_off();
			FZ_CHECK(r == 0 || r == -VMK_ENOMEM, "remove: %d", r);
			for (size_t k = i; !r && k < VMK_MIN(i + n, (size_t)NUVA); k++)
				umap[k] = -1;
			break;
		}
		case 6:
		default:
			vmk_sim_fail_off();
			if (nup) {
				size_t k = a % nup;

				vmk_pmap_remove_all(up[k].pa);
				unmap_pa(up[k].pa);
				if (op == 7) {
					/* Nothing maps it now: free it, and move the last page into its slot. */
					FZ_CHECK(!memcmp(vmk_sim_phys_to_virt(up[k].pa), &up[k].serial, 8),
						 "user page overwritten");
					vmk_page_free(vmk_pa_to_page(up[k].pa));
					up[k] = up[--nup];
					for (size_t v = 0; v < NUVA; v++)
						if (umap[v] == (int)nup)
							umap[v] = (int)k;
				}
			}
			break;
		}
		umap_check(pm);
		if (steps % 8 == 0) {
			char msg[256];

			kcheck("step");
			FZ_CHECK(vmk_pmap_check(pm, msg, sizeof(msg)) == 0, "user pmap: %s", msg);
		}
	}
	FZ_CHECK(vmk_pmap_remove(pm, UVA, UVA + NUVA * KPG) == 0, "remove all");
	vmk_pmap_activate(vmk_pmap_kernel(), 0);
	vmk_pmap_destroy(pm);
	while (nup) {
		nup--;
		vmk_page_free(vmk_pa_to_page(up[nup].pa));
	}
	while (nkl)
		kfree_one(nkl - 1);
	kcheck("end");
	kbalance(&start, "end");
	return 0;
}
