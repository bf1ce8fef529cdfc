/*
 * Shared by the kmem and cross-layer API fuzzers: live kernel allocations
 * with stamps written and read through the kernel pmap and the simulated
 * MMU, and the end-of-input balance against a snapshot.
 */
#ifndef VMKIT_FUZZ_API_KMEM_H
#define VMKIT_FUZZ_API_KMEM_H

#include "fuzz_util.h"

#include <vmkit/kmem.h>
#include <vmkit/phys.h>
#include <vmkit/pmap.h>
#include "kmem_util.h"
#include "mmu.h"

#define KPG	4096ull
#define KMAXL	96

struct kalloc {
	vmk_vaddr_t va;
	vmk_size_t size;
	uint64_t serial;
};

static struct kalloc kl[KMAXL];
static size_t nkl;
static uint64_t kserial;

/* Host pointer of kernel address va (mapped), through the kernel pmap. */
static uint8_t *kptr(vmk_vaddr_t va)
{
	struct vmk_pmap_mapping m;

	FZ_CHECK(vmk_pmap_extract(vmk_pmap_kernel(), va, &m) == 0, "kernel address %#llx not mapped",
		 (unsigned long long)va);
	return vmk_sim_phys_to_virt(m.pa);
}

/* Pages of an allocation that get a stamp: at most 16 (first ones, last one). */
static size_t kpages(const struct kalloc *a)
{
	return (a->size + KPG - 1) / KPG;
}

static void kstamp_each(const struct kalloc *a, bool write)
{
	size_t n = kpages(a);

	for (size_t i = 0; i < n; i = (i < 15 || i == n - 1) ? i + 1 : n - 1) {
		vmk_vaddr_t va = a->va + i * KPG;
		uint64_t s;

		FZ_CHECK(vmk_sim_mmu_access(0, va, write ? VMK_MMU_WRITE : VMK_MMU_READ, NULL) == 0,
			 "kernel page %#llx of a live allocation faults", (unsigned long long)va);
		if (write) {
			memcpy(kptr(va), &a->serial, 8);
			continue;
		}
		memcpy(&s, kptr(va), 8);
		FZ_CHECK(s == a->serial, "page %#llx of allocation %llu holds %llu: overwritten",
			 (unsigned long long)va, (unsigned long long)a->serial, (unsigned long long)s);
	}
}

/* Record a new allocation: disjoint from the live ones, zeroed if asked, then stamped. */
static void kadd(vmk_vaddr_t va, vmk_size_t size, bool zero)
{
	struct kalloc *a = &kl[nkl];
	vmk_size_t rs = (size + KPG - 1) & ~(KPG - 1);

	FZ_CHECK(va % KPG == 0, "kmem address %#llx unaligned", (unsigned long long)va);
	for (size_t i = 0; i < nkl; i++)
		FZ_CHECK(va + rs <= kl[i].va || va >= kl[i].va + ((kl[i].size + KPG - 1) & ~(KPG - 1)),
			 "kmem [%#llx, +%#llx) overlaps a live allocation", (unsigned long long)va,
			 (unsigned long long)size);
	*a = (struct kalloc){ va, size, ++kserial };
	if (zero)
		for (size_t i = 0; i < kpages(a) && i < 16; i++) {
			uint64_t z[8];

			memcpy(z, kptr(va + i * KPG), sizeof(z));
			for (unsigned int k = 0; k < 8; k++)
				FZ_CHECK(z[k] == 0, "VMK_KM_ZERO memory at %#llx not zero", (unsigned long long)va);
		}
	kstamp_each(a, true);
	nkl++;
}

static void kfree_one(size_t i)
{
	kstamp_each(&kl[i], false);
	vmk_kmem_free(kl[i].va, kl[i].size);
	kl[i] = kl[--nkl];
}

/*
 * What must balance after everything is freed: allocated frames, mapped
 * kernel pages, KVA and arena bytes, pages kmem backs. Kernel page-table
 * pages are never freed, so frames may move from free to PTP only.
 */
static void kbalance(const struct kmt_snap *a, const char *what)
{
	struct kmt_snap b;

	kmt_snap(&b);
	FZ_CHECK(a->state[VMK_PAGE_ALLOC] == b.state[VMK_PAGE_ALLOC], "%s: ALLOC frames %llu -> %llu", what,
		 (unsigned long long)a->state[VMK_PAGE_ALLOC], (unsigned long long)b.state[VMK_PAGE_ALLOC]);
	FZ_CHECK(a->free + a->state[VMK_PAGE_PTP] == b.free + b.state[VMK_PAGE_PTP],
		 "%s: free+PTP %llu -> %llu", what, (unsigned long long)(a->free + a->state[VMK_PAGE_PTP]),
		 (unsigned long long)(b.free + b.state[VMK_PAGE_PTP]));
	FZ_CHECK(a->resident == b.resident && a->kva_alloc == b.kva_alloc && a->arena_alloc == b.arena_alloc &&
		 a->km.pages_backed == b.km.pages_backed, "%s: mappings or KVA not back (resident %llu -> %llu, "
		 "kva %llu -> %llu)", what, (unsigned long long)a->resident, (unsigned long long)b.resident,
		 (unsigned long long)a->kva_alloc, (unsigned long long)b.kva_alloc);
}

static void kcheck(const char *what)
{
	char msg[256];

	FZ_CHECK(vmk_kmem_check(msg, sizeof(msg)) == 0, "%s: kmem: %s", what, msg);
	FZ_CHECK(vmk_pmap_check(vmk_pmap_kernel(), msg, sizeof(msg)) == 0, "%s: kernel pmap: %s", what, msg);
	FZ_CHECK(vmk_sim_mmu_bbm_violations() == 0, "%s: break-before-make: %s", what, vmk_sim_mmu_bbm_msg());
}

#endif
