/*
 * The crash kernel reservation at boot: memblock first, then the resource
 * tree, then the ranges a kdump must dump.
 */
#include <vmkit/kexec.h>
#include <vmkit/memblock.h>
#include <vmkit/resource.h>

static int cerr(char *err, size_t errlen, int code, const char *fmt, ...) VMK_PRINTF(4, 5);
static int cerr(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vmk_vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

static int reserve_fixed(struct vmk_memblock *mb, vmk_paddr_t base, vmk_size_t size,
			 struct vmk_range *out, char *err, size_t errlen)
{
	vmk_paddr_t got;
	int ret;

	if (!vmk_memblock_is_region_memory(mb, base, size))
		return cerr(err, errlen, -VMK_EINVAL, "crashkernel: 0x%llx-0x%llx is not all RAM",
			    (unsigned long long)base, (unsigned long long)(base + size - 1));
	if (vmk_memblock_is_region_reserved(mb, base, size))
		return cerr(err, errlen, -VMK_EEXIST, "crashkernel: 0x%llx-0x%llx is already "
			    "reserved", (unsigned long long)base, (unsigned long long)(base + size - 1));
	/* Allocating exactly [base, base + size) also refuses NOMAP memory. */
	ret = vmk_memblock_alloc_range(mb, size, VMK_PAGE_SIZE, base, base + size,
				       VMK_NUMA_NO_NODE, VMK_MEMBLOCK_ALLOC_NOLIMIT, &got);
	if (ret || got != base)
		return cerr(err, errlen, ret ? ret : -VMK_ENOMEM, "crashkernel: cannot reserve "
			    "0x%llx-0x%llx (no-map memory, or no memory for memblock's arrays)",
			    (unsigned long long)base, (unsigned long long)(base + size - 1));
	out->base = base;
	out->end = base + size;
	return 0;
}

static bool try_alloc(struct vmk_memblock *mb, vmk_size_t size, vmk_size_t align,
		      vmk_paddr_t lo, vmk_paddr_t hi, struct vmk_range *out)
{
	vmk_paddr_t got;

	/*
	 * Never the first page: Linux's memblock skips it, and crashk_res
	 * starting at 0 reads as "no crash kernel" everywhere after.
	 */
	lo = VMK_MAX(lo, VMK_PAGE_SIZE);
	if (lo >= hi)
		return false;
	if (vmk_memblock_alloc_range(mb, size, align, lo, hi, VMK_NUMA_NO_NODE,
				     VMK_MEMBLOCK_ALLOC_NOLIMIT, &got))
		return false;
	out->base = got;
	out->end = got + size;
	return true;
}

int vmk_crashkernel_reserve(struct vmk_memblock *mb, const struct vmk_crashkernel *ck,
			    const struct vmk_crash_arch *ca, struct vmk_crash_region *cr,
			    char *err, size_t errlen)
{
	vmk_paddr_t high_max;
	vmk_size_t size, low;
	char s[24];

	vmk_memset(cr, 0, sizeof(*cr));
	if (err && errlen)
		err[0] = '\0';
	if (ck->form == VMK_CK_NONE || ck->form == VMK_CK_LOW || ck->size == 0)
		return 0;
	if (ck->size > VMK_PADDR_MAX - VMK_PAGE_MASK)
		return cerr(err, errlen, -VMK_EINVAL, "crashkernel: size overflows");
	size = VMK_ALIGN_UP(ck->size, VMK_PAGE_SIZE);
	if (ck->fixed)
		return reserve_fixed(mb, ck->offset, size, &cr->main, err, errlen);

	high_max = ca->high_max ? ca->high_max : vmk_memblock_end_of_dram(mb);
	low = 0;
	if (ck->high) {
		/* ,high: from the top; below low_max only if nothing is free above. */
		if (!try_alloc(mb, size, ca->align, ca->low_max, high_max, &cr->main) &&
		    !try_alloc(mb, size, ca->align, ca->low_min, ca->low_max, &cr->main))
			goto nomem;
		low = ck->low_size;
	} else {
		/* Plain: low memory first, then above it with a default low part. */
		if (!try_alloc(mb, size, ca->align, ca->low_min, ca->low_max, &cr->main)) {
			if (!try_alloc(mb, size, ca->align, ca->low_max, high_max, &cr->main))
				goto nomem;
			low = ca->default_low;
		}
	}
	/* Devices that DMA only below low_max need some crash memory there. */
	if (cr->main.base >= ca->low_max && low) {
		low = VMK_ALIGN_UP(low, VMK_PAGE_SIZE);
		if (!try_alloc(mb, low, ca->align, 0, ca->low_max, &cr->low)) {
			VMK_VERIFY(vmk_memblock_free(mb, cr->main.base, size) == 0,
				   "crashkernel: cannot undo the main reservation");
			vmk_memset(cr, 0, sizeof(*cr));
			return cerr(err, errlen, -VMK_ENOMEM, "crashkernel: no %s of low memory "
				    "(below 0x%llx) for the crash kernel's DMA",
				    vmk_fmt_size(s, sizeof(s), low), (unsigned long long)ca->low_max);
		}
	}
	return 0;
nomem:
	vmk_memset(cr, 0, sizeof(*cr));
	return cerr(err, errlen, -VMK_ENOMEM, "crashkernel: no free %s block aligned to %s "
		    "(largest free range is smaller, or an allocation failed)",
		    vmk_fmt_size(s, sizeof(s), size),
		    vmk_fmt_size((char[24]){ 0 }, 24, ca->align));
}

int vmk_crashkernel_insert_resources(struct vmk_resource *root, const struct vmk_crash_region *cr,
				     struct vmk_resource *main, struct vmk_resource *low)
{
	int ret;

	if (cr->main.end <= cr->main.base)
		return -VMK_EINVAL;
	vmk_resource_init(main, cr->main.base, cr->main.end - 1, "Crash kernel",
			  VMK_RES_SYSTEM_RAM | VMK_RES_BUSY, VMK_RES_DESC_CRASH_KERNEL);
	ret = vmk_resource_insert(root, main, NULL);
	if (ret || cr->low.end <= cr->low.base || !low)
		return ret;
	vmk_resource_init(low, cr->low.base, cr->low.end - 1, "Crash kernel",
			  VMK_RES_SYSTEM_RAM | VMK_RES_BUSY, VMK_RES_DESC_CRASH_KERNEL);
	ret = vmk_resource_insert(root, low, NULL);
	if (ret)
		vmk_resource_remove(main);
	return ret;
}

int vmk_kdump_ranges(const struct vmk_rangeset *ram, const struct vmk_rangeset *nomap,
		     const struct vmk_crash_region *cr, struct vmk_range *out, size_t cap,
		     size_t *n)
{
	struct vmk_rangeset s;
	int ret = 0;

	vmk_rangeset_init(&s, out, cap);
	for (size_t i = 0; i < ram->n && !ret; i++)
		ret = vmk_rangeset_add(&s, ram->r[i].base, ram->r[i].end);
	for (size_t i = 0; nomap && i < nomap->n && !ret; i++)
		ret = vmk_rangeset_remove(&s, nomap->r[i].base, nomap->r[i].end);
	if (!ret && cr->main.end > cr->main.base)
		ret = vmk_rangeset_remove(&s, cr->main.base, cr->main.end);
	if (!ret && cr->low.end > cr->low.base)
		ret = vmk_rangeset_remove(&s, cr->low.base, cr->low.end);
	*n = ret ? 0 : s.n;
	return ret;
}
