/*
 * kmem_bootstrap_free: give boot-time memory (preloaded data, kernel
 * image slack) back: mappings removed (boot large mappings demoted from
 * their spare page-table pages, never by allocating), frames to phys, and
 * only then the KVA to the root arena.
 */
#include "kmem_internal.h"

#define G vmk_kmem__g

#define BF_CHUNK	64

/*
 * Page-table pages the kernel pmap holds: in its tables, as spares and in
 * its demotion reserve. A demotion from a spare or from the reserve only
 * moves a page between these; any growth is a page taken from phys. (The
 * kernel pmap's own counters, not phys's frame counts: those sum per-CPU
 * deltas of every domain, microseconds per call, twice per 2 MiB freed.)
 */
static uint64_t ptp_pages(struct vmk_pmap *k)
{
	struct vmk_pmap_stats st;

	vmk_pmap_stats(k, &st);
	return st.ptps + st.spare_ptps + st.reserve_ptps;
}

/*
 * Every demotion must consume the block's spare: a demotion that did not
 * (the pmap took a page-table page from its reserve or from phys) or a
 * new page-table page means the spare was missing, and freeing preloads
 * must never depend on memory being available.
 */
static void check_spares(struct vmk_pmap *k, const struct vmk_pmap_stats *before, uint64_t ptps, vmk_vaddr_t v)
{
	struct vmk_pmap_stats after;

	vmk_pmap_stats(k, &after);
	if (after.ptps + after.spare_ptps + after.reserve_ptps > ptps ||
	    before->spare_ptps - after.spare_ptps < after.demotions - before->demotions)
		vmk_panic("kmem_bootstrap_free: demoting the boot mapping around %#llx did not use a spare: "
			  "its spare PTP is missing", (unsigned long long)v);
}

/* Every page of [start, end) is mapped over a RESERVED frame (one walk per mapping, not per page). */
static int verify(struct vmk_pmap *k, vmk_vaddr_t start, vmk_vaddr_t end)
{
	for (vmk_vaddr_t v = start; v < end;) {
		struct vmk_pmap_mapping m;
		vmk_vaddr_t stop;

		if (vmk_pmap_extract(k, v, &m) != 0)
			return -VMK_ENOENT;
		stop = VMK_MIN(end, VMK_ALIGN_DOWN(v, m.size) + m.size);
		for (vmk_paddr_t pa = VMK_ALIGN_DOWN(m.pa, VMK_PAGE_SIZE); v < stop; v += VMK_PAGE_SIZE, pa += VMK_PAGE_SIZE) {
			struct vmk_page *pg = vmk_pa_to_page(pa);

			if (!pg || vmk_page_state(pg) != VMK_PAGE_RESERVED)
				return -VMK_EINVAL;
		}
	}
	return 0;
}

static void free_frames(vmk_paddr_t base, vmk_paddr_t end)
{
	int err = vmk_phys_bootstrap_free(base, end);

	VMK_VERIFY(err == 0, "kmem_bootstrap_free: phys refused frames %#llx-%#llx (%d)",
		   (unsigned long long)base, (unsigned long long)end, err);
	__atomic_fetch_add(&G.bootstrap_freed, (end - base) / VMK_PAGE_SIZE, __ATOMIC_RELAXED);
}

/* Remove [v, v + n pages) and free its frames in physically contiguous runs. */
static void release_pages(struct vmk_pmap *k, vmk_vaddr_t v, uint64_t n)
{
	vmk_paddr_t pas[BF_CHUNK];
	uint64_t ptps = ptp_pages(k);
	struct vmk_pmap_stats before;
	vmk_paddr_t rb, re;
	int err;

	vmk_pmap_stats(k, &before);
	for (uint64_t i = 0; i < n; i++) {
		struct vmk_pmap_mapping m;

		VMK_VERIFY(vmk_pmap_extract(k, v + i * VMK_PAGE_SIZE, &m) == 0, "kmem_bootstrap_free: %#llx unmapped",
			   (unsigned long long)(v + i * VMK_PAGE_SIZE));
		pas[i] = m.pa;
	}
	err = vmk_pmap_remove(k, v, v + n * VMK_PAGE_SIZE);
	VMK_VERIFY(err == 0, "kmem_bootstrap_free: removing %#llx failed (%d)", (unsigned long long)v, err);
	check_spares(k, &before, ptps, v);
	rb = pas[0];
	re = rb + VMK_PAGE_SIZE;
	for (uint64_t i = 1; i < n; i++) {
		if (pas[i] == re) {
			re += VMK_PAGE_SIZE;
			continue;
		}
		free_frames(rb, re);
		rb = pas[i];
		re = rb + VMK_PAGE_SIZE;
	}
	free_frames(rb, re);
}

int vmk_kmem_bootstrap_free(vmk_vaddr_t va, vmk_size_t size)
{
	struct vmk_pmap *k = vmk_pmap_kernel();
	vmk_vaddr_t start = VMK_ALIGN_UP(va, VMK_PAGE_SIZE), end, v;
	int err;

	if (!G.ready || !k || va + size < va || start < va)
		return -VMK_EINVAL;
	end = VMK_ALIGN_DOWN(va + size, VMK_PAGE_SIZE);
	if (start >= end)
		return 0;
	if (start < G.end && G.start < end)
		return -VMK_EINVAL;
	err = verify(k, start, end);
	if (err)
		return err;
	for (v = start; v < end;) {
		struct vmk_pmap_mapping m;
		vmk_vaddr_t lb;

		VMK_VERIFY(vmk_pmap_extract(k, v, &m) == 0, "kmem_bootstrap_free: %#llx unmapped", (unsigned long long)v);
		lb = VMK_ALIGN_DOWN(v, m.size);
		if (m.size > VMK_PAGE_SIZE && lb == v && v + m.size <= end) {
			/* A whole large mapping: no demotion, one physical run. */
			uint64_t ptps = ptp_pages(k);

			err = vmk_pmap_remove(k, v, v + m.size);
			VMK_VERIFY(err == 0 && ptp_pages(k) <= ptps, "kmem_bootstrap_free: removing the block at %#llx",
				   (unsigned long long)v);
			free_frames(m.pa, m.pa + m.size);
			v += m.size;
		} else {
			/* Pages up to the next 2 MiB boundary (a cut block is demoted once). */
			vmk_vaddr_t stop = VMK_MIN(end, VMK_ALIGN_DOWN(v, VMK_KMEM_UNIT) + VMK_KMEM_UNIT);
			uint64_t n = VMK_MIN((stop - v) / VMK_PAGE_SIZE, (uint64_t)BF_CHUNK);

			release_pages(k, v, n);
			v += n * VMK_PAGE_SIZE;
		}
	}
	/* Last: the KVA, whose mappings are gone, becomes allocatable. */
	return vmk_vmem_add(&G.kva, start, end - start);
}
