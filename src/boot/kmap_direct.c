/*
 * kmap: the direct map of all RAM, from the firmware map. What is memory
 * is the boot policy's decision (include/vmkit/boot.h), so the direct
 * map and memblock never disagree; the memory type is the firmware's.
 * Adjacent entries of one memory type form one run, so a 1 GiB leaf can
 * span the pieces of RAM a firmware map splits by type (conventional,
 * boot services, ACPI reclaim), while a no-map or device range between
 * them ends the run: no leaf ever covers it.
 */
#include <vmkit/boot.h>

#include "kmap_internal.h"

enum vmk_memtype vmk_kmap_memtype(const struct vmk_fwmap_entry *e, uint32_t format)
{
	/* Only UEFI says how a range may be cached; the other formats describe write-back RAM. */
	if (format != VMK_FWMAP_FMT_EFI || (e->attr & VMK_EFI_MEMORY_WB))
		return VMK_MEMTYPE_WB;
	/*
	 * No WT memory type in the pmap: WT-only memory is mapped uncached,
	 * never cached; an entry with no cacheability bit allows no caching.
	 */
	return (e->attr & VMK_EFI_MEMORY_WC) ? VMK_MEMTYPE_WC : VMK_MEMTYPE_UC;
}

static bool mapped(const struct vmk_fwmap_entry *e, uint32_t format, uint32_t arch)
{
	enum vmk_boot_action a = vmk_boot_action_arch(e, format, arch);

	return a == VMK_BOOT_FREE || a == VMK_BOOT_RESERVE;
}

struct dmap {
	struct vmk_pmap *k;
	vmk_vaddr_t base;
	const struct vmk_fwmap *m;
	uint32_t arch;
};

/*
 * The run starting at entry *i (the first mapped entry at or after it):
 * [*start, *end), memory type *mt; *i moves past it. Returns false when
 * no entry is left.
 */
static bool next_run(const struct dmap *d, size_t *i, vmk_paddr_t *start, vmk_paddr_t *end, enum vmk_memtype *mt)
{
	const struct vmk_fwmap *m = d->m;

	for (; *i < m->n; (*i)++) {
		const struct vmk_fwmap_entry *e = &m->e[*i];
		vmk_paddr_t s, t;

		if (!mapped(e, m->format, d->arch))
			continue;
		*mt = vmk_kmap_memtype(e, m->format);
		s = VMK_ALIGN_UP(e->base, VMK_PAGE_SIZE);
		t = e->base + e->size;	/* may be 0: an entry ending at 2^64 */
		for ((*i)++; *i < m->n; (*i)++) {
			const struct vmk_fwmap_entry *f = &m->e[*i];

			if (f->base != t || !mapped(f, m->format, d->arch) || vmk_kmap_memtype(f, m->format) != *mt)
				break;
			t = f->base + f->size;
		}
		t = t ? VMK_ALIGN_DOWN(t, VMK_PAGE_SIZE) : VMK_ALIGN_DOWN(~(vmk_paddr_t)0, VMK_PAGE_SIZE);
		if (s >= t)
			continue;
		*start = s;
		*end = t;
		return true;
	}
	return false;
}

/* Unmap the runs mapped before [upto, ...) of the failing run, and its first done bytes. */
static void unwind(const struct dmap *d, vmk_paddr_t upto, vmk_size_t done)
{
	vmk_paddr_t s, t;
	enum vmk_memtype mt;
	size_t i = 0;

	while (next_run(d, &i, &s, &t, &mt) && s < upto)
		(void)vmk_pmap_remove(d->k, d->base + s, d->base + t);
	if (done)
		(void)vmk_pmap_remove(d->k, d->base + upto, d->base + upto + done);
}

int vmk_kmap_direct(struct vmk_pmap *kernel, vmk_vaddr_t dmap_base, const struct vmk_fwmap *m,
		    uint32_t boot_arch, struct vmk_kmap_direct_stats *st)
{
	struct dmap d = { kernel, dmap_base, m, boot_arch };
	struct vmk_kmap_direct_stats local;
	vmk_paddr_t s, t;
	enum vmk_memtype mt;
	size_t i = 0;

	if (!st)
		st = &local;
	vmk_memset(st, 0, sizeof(*st));
	if (!kernel || !m || (dmap_base & (VMK_GiB - 1)))
		return -VMK_EINVAL;
	/*
	 * Every address first: a run wrapping past 2^64 found after earlier
	 * runs were mapped would leave them mapped, since a range ending at
	 * 2^64 cannot be removed ([va, 0) is not a range to the pmap).
	 */
	while (next_run(&d, &i, &s, &t, &mt))
		if (dmap_base + s < dmap_base || dmap_base + (t - 1) < dmap_base)
			return -VMK_EINVAL;
	i = 0;
	while (next_run(&d, &i, &s, &t, &mt)) {
		struct vmk_kmap__run r;
		vmk_size_t done;
		int err;

		vmk_memset(&r, 0, sizeof(r));
		r.va = dmap_base + s;
		r.pa = s;
		r.size = t - s;
		r.prot = VMK_PROT_READ | VMK_PROT_WRITE;
		r.memtype = mt;
		if (r.va < dmap_base) {
			err = -VMK_EINVAL;	/* the address wraps past the top of the address space */
			done = 0;
		} else {
			err = vmk_kmap__map_run(kernel, &r, &done);
		}
		if (err) {
			unwind(&d, s, done);
			vmk_memset(st, 0, sizeof(*st));
			return err;
		}
		st->bytes += r.size;
		st->bytes_by_memtype[mt] += r.size;
		st->runs++;
		for (int l = 0; l < 3; l++)
			st->leaves[l] += r.leaves[l];
	}
	return 0;
}
