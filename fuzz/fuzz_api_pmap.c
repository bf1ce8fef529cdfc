/*
 * API-sequence fuzzer for pmap: a user address space of 4 MiB (two 2 MiB
 * blocks' worth) on the simulated MMU. The input is a sequence of 4 KiB
 * enters (any protection, managed or not, wired, no-replace), whole-run
 * enters that can promote, 2 MiB block enters, removes, protection
 * changes and explicit demotions, with injected allocation failures where
 * the input asks. The model is a per-page table (mapped, pa, prot).
 * Checked after every operation: vmk_pmap_check(), break-before-make and
 * interrupt-window rules (and every 16 operations and at the end the TLB
 * audit: no stale translation on any CPU); every page of the touched range translates through the
 * simulated MMU (TLB first) as the model says, reads and writes allowed
 * or faulting accordingly, and vmk_pmap_extract agrees; a failed
 * operation changed neither mappings nor counts. At the end everything is
 * removed and the pmap destroyed: no page-table page, PV chunk or page
 * leaked (phys counts back at their start).
 * VMK_FUZZ_ARCH=arm64|riscv64 picks the architecture (default x86_64).
 */
#include "fuzz_util.h"

#include <vmkit/phys.h>
#include <vmkit/pmap.h>
#include "mmu.h"
#include "pmap_util.h"

#define UVA	0x40000000ull
#define NP	1024
#define PG	4096ull
#define S2M	(2ull << 20)

struct pte {
	bool mapped;
	vmk_paddr_t pa;
	uint32_t prot;
};

static struct vmk_pmap *pm;
static struct pte model[NP], saved[NP];
static uint64_t base_ptp, base_alloc;

static const uint32_t prots[] = {
	VMK_PROT_READ, VMK_PROT_READ | VMK_PROT_WRITE, VMK_PROT_READ | VMK_PROT_EXEC,
	VMK_PROT_READ | VMK_PROT_WRITE | VMK_PROT_EXEC,
};

/* The TLB audit (every CPU's every entry) is the slow part: not on every step. */
static void sim_checks(const char *op, bool audit)
{
	char msg[256];

	FZ_CHECK(vmk_pmap_check(pm, msg, sizeof(msg)) == 0, "%s: pmap: %s", op, msg);
	FZ_CHECK(!audit || vmk_sim_tlb_audit(msg, sizeof(msg)) == 0, "%s: TLB audit: %s", op, msg);
	FZ_CHECK(vmk_sim_mmu_bbm_violations() == 0, "%s: break-before-make: %s", op, vmk_sim_mmu_bbm_msg());
	FZ_CHECK(vmk_sim_intr_violations() == 0, "%s: interrupt window: %s", op, vmk_sim_intr_msg());
}

/* Pages [lo, hi) against the model (every stride-th one), through the MMU and extract. */
static void compare(size_t lo, size_t hi, size_t stride, const char *op)
{
	for (size_t i = lo; i < hi && i < NP; i += stride) {
		vmk_vaddr_t va = UVA + i * PG;
		struct vmk_mmu_walk w;
		struct vmk_pmap_mapping m;
		int f = vmk_sim_mmu_access(0, va + 8, VMK_MMU_READ | VMK_MMU_USER, &w);
		int e = vmk_pmap_extract(pm, va, &m);

		if (!model[i].mapped) {
			FZ_CHECK(f == VMK_MMU_FAULT_TRANSLATION, "%s: page %zu unmapped but access gives %d", op, i, f);
			FZ_CHECK(e == -VMK_ENOENT, "%s: page %zu unmapped but extract finds it", op, i);
			continue;
		}
		FZ_CHECK(f == 0 && w.pa == model[i].pa + 8, "%s: page %zu: fault %d pa %#llx, model %#llx", op, i, f,
			 (unsigned long long)w.pa, (unsigned long long)model[i].pa);
		FZ_CHECK(e == 0 && m.pa == model[i].pa && m.prot == model[i].prot,
			 "%s: page %zu: extract %d pa %#llx prot %u, model %#llx prot %u", op, i, e,
			 (unsigned long long)m.pa, m.prot, (unsigned long long)model[i].pa, model[i].prot);
		f = vmk_sim_mmu_access(0, va, VMK_MMU_WRITE | VMK_MMU_USER, NULL);
		FZ_CHECK((f == 0) == ((model[i].prot & VMK_PROT_WRITE) != 0), "%s: page %zu write: %d", op, i, f);
	}
}

static void set_fault(uint8_t f)
{
	if (f & 1)
		vmk_sim_fail_nth((f >> 1) & 7, f & 0x10 ? "phys" : "", (f & 0x20) != 0);
}

static void boot(void)
{
	const char *a = getenv("VMK_FUZZ_ARCH");
	enum vmk_pmap_arch_id arch = VMK_PMAP_ARCH_X86_64;

	if (a && !strcmp(a, "arm64"))
		arch = VMK_PMAP_ARCH_ARM64;
	else if (a && !strcmp(a, "riscv64"))
		arch = VMK_PMAP_ARCH_RISCV64;
	pmt_boot_arch(arch);
	base_ptp = pmt_ptp_pages();
	base_alloc = pmt_alloc_pages();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool booted;
	struct fz_in in = { data, size };
	struct vmk_pmap_stats s0, s1;
	unsigned int steps = 0;

	if (!booted) {
		boot();
		booted = true;
	}
	FZ_CHECK(vmk_pmap_create(&pm) == 0, "create");
	vmk_pmap_activate(pm, 0);
	memset(model, 0, sizeof(model));
	while (in.n && steps++ < 60) {
		uint8_t op = fz_u8(&in) % 7, f = fz_u8(&in), a = fz_u8(&in);
		size_t i = fz_u32(&in) % NP, n = 1 + fz_u8(&in) % 64, lo = i, hi = VMK_MIN(i + n, (size_t)NP);
		uint32_t prot = prots[a & 3];
		uint32_t flags = (a & 4 ? VMK_PMAP_ENTER_MANAGED : 0) | (a & 8 ? VMK_PMAP_ENTER_WIRED : 0);
		int r = 0;

		memcpy(saved, model, sizeof(model));
		pmt_map_stats(pm, &s0);
		set_fault(f);
		switch (op) {
		case 0:
		case 1: {
			vmk_paddr_t pa = PMT_DATA + (fz_u32(&in) % 8192) * PG;

			flags |= a & 16 ? VMK_PMAP_ENTER_NOREPLACE : 0;
			r = vmk_pmap_enter(pm, UVA + i * PG, pa, prot, flags);
			hi = i + 1;
			if (!r)
				model[i] = (struct pte){ true, pa, prot };
			else if (r == -VMK_EEXIST)
				FZ_CHECK(model[i].mapped && (flags & VMK_PMAP_ENTER_NOREPLACE), "enter: EEXIST");
			break;
		}
		case 2: {
			/* A whole 2 MiB run of contiguous pages: promotable. */
			size_t b = (i / 512) * 512;
			vmk_paddr_t pa = PMT_DATA + (fz_u8(&in) % 8) * S2M;

			lo = b;
			hi = b + 512;
			r = vmk_pmap_remove(pm, UVA + b * PG, UVA + hi * PG);
			if (r)
				break;
			for (size_t k = b; k < hi; k++)
				model[k].mapped = false;
			memcpy(saved, model, sizeof(model));
			pmt_map_stats(pm, &s0);
			for (size_t k = b; k < hi && !r; k++) {
				r = vmk_pmap_enter(pm, UVA + k * PG, pa + (k - b) * PG, prot, flags);
				if (!r)
					model[k] = (struct pte){ true, pa + (k - b) * PG, prot };
			}
			if (r) {
				/* Each enter is its own operation: what went in stays. */
				memcpy(saved, model, sizeof(model));
				pmt_map_stats(pm, &s0);
			}
			break;
		}
		case 3: {
			size_t b = (i / 512) * 512;
			vmk_paddr_t pa = PMT_DATA + (fz_u8(&in) % 8) * S2M;

			lo = b;
			hi = b + 512;
			r = vmk_pmap_enter_large(pm, UVA + b * PG, pa, S2M, prot, flags);
			if (!r)
				for (size_t k = b; k < hi; k++)
					model[k] = (struct pte){ true, pa + (k - b) * PG, prot };
			break;
		}
		case 4:
			r = vmk_pmap_remove(pm, UVA + lo * PG, UVA + hi * PG);
			for (size_t k = lo; !r && k < hi; k++)
				model[k].mapped = false;
			break;
		case 5: {
			uint32_t p = a & 32 ? VMK_PROT_NONE : prot;

			r = vmk_pmap_protect(pm, UVA + lo * PG, UVA + hi * PG, p);
			for (size_t k = lo; !r && k < hi; k++) {
				if (!p)
					model[k].mapped = false;
				else
					model[k].prot = p;
			}
			break;
		}
		default:
			r = vmk_pmap_demote(pm, UVA + (i / 512) * 512 * PG);
			lo = (i / 512) * 512;
			hi = lo + 512;
			if (r == -VMK_ENOENT || r == -VMK_EINVAL)
				r = 0;	/* nothing there to demote */
			break;
		}
		vmk_sim_fail_off();
		if (r) {
			FZ_CHECK(r == -VMK_ENOMEM || r == -VMK_EEXIST, "op %u: %d", op, r);
			pmt_map_stats(pm, &s1);
			s0.promotions = s1.promotions;
			s0.demotions = s1.demotions;
			s0.promotion_failures = s1.promotion_failures;
			FZ_CHECK(memcmp(saved, model, sizeof(model)) == 0, "op %u: model changed", op);
			FZ_CHECK(s1.resident == s0.resident && s1.wired == s0.wired && s1.pv_entries == s0.pv_entries &&
				 !memcmp(s1.mappings, s0.mappings, sizeof(s0.mappings)), "op %u failed (%d) but changed the mappings", op, r);
		}
		sim_checks("step", steps % 16 == 0);
		compare(lo, hi, hi - lo > 32 ? 31 : 1, "step");
	}
	compare(0, NP, 1, "end");
	FZ_CHECK(vmk_pmap_remove(pm, UVA, UVA + NP * PG) == 0, "remove all");
	pmt_map_stats(pm, &s1);
	FZ_CHECK(s1.resident == 0 && s1.pv_entries == 0, "mappings left after removing everything");
	sim_checks("end", true);
	vmk_pmap_activate(vmk_pmap_kernel(), 0);
	vmk_pmap_destroy(pm);
	vmk_phys_drain_all_quiescent();
	FZ_CHECK(pmt_ptp_pages() == base_ptp && pmt_alloc_pages() == base_alloc,
		 "leak: %llu PTP pages (start %llu), %llu allocated (start %llu)",
		 (unsigned long long)pmt_ptp_pages(), (unsigned long long)base_ptp,
		 (unsigned long long)pmt_alloc_pages(), (unsigned long long)base_alloc);
	return 0;
}
