/*
 * The memory model of a kexec plan: the RAM segments may use and the
 * ranges inside it that must stay intact, each with a reason.
 */
#include <vmkit/kexec.h>

static const char *const kind_names[VMK_KEXEC_EXCL_NKINDS] = {
	[VMK_KEXEC_EXCL_RESERVED] = "reserved",
	[VMK_KEXEC_EXCL_NOMAP] = "no-map",
	[VMK_KEXEC_EXCL_ACPI_TABLES] = "acpi-tables",
	[VMK_KEXEC_EXCL_ACPI_NVS] = "acpi-nvs",
	[VMK_KEXEC_EXCL_UEFI_MMAP] = "uefi-memmap",
	[VMK_KEXEC_EXCL_FIRMWARE] = "firmware",
	[VMK_KEXEC_EXCL_DTB] = "dtb",
	[VMK_KEXEC_EXCL_CMDLINE] = "cmdline",
	[VMK_KEXEC_EXCL_CRASH_KERNEL] = "crash-kernel",
	[VMK_KEXEC_EXCL_KERNEL] = "running-kernel",
	[VMK_KEXEC_EXCL_SEGMENT] = "segment",
	[VMK_KEXEC_EXCL_OTHER] = "other",
};

const char *vmk_kexec_excl_kind_name(unsigned int kind)
{
	return kind < VMK_KEXEC_EXCL_NKINDS ? kind_names[kind] : "?";
}

void vmk_kexec_plan_init(struct vmk_kexec_plan *p,
			 struct vmk_range *ram, size_t ram_cap,
			 struct vmk_range *blocked, struct vmk_kexec_excl *excl,
			 size_t excl_cap, struct vmk_kexec_seg *seg, size_t seg_cap)
{
	vmk_memset(p, 0, sizeof(*p));
	vmk_rangeset_init(&p->ram, ram, ram_cap);
	/* blocked is the merged union of excl: it never needs more slots. */
	vmk_rangeset_init(&p->blocked, blocked, excl_cap);
	p->excl = excl;
	p->excl_cap = excl_cap;
	p->seg = seg;
	p->seg_cap = seg_cap;
	p->dir = VMK_KEXEC_TOP_DOWN;
}

void vmk_kexec_plan_init_store(struct vmk_kexec_plan *p, struct vmk_kexec_store *st)
{
	vmk_kexec_plan_init(p, st->ram, VMK_ARRAY_SIZE(st->ram), st->blocked, st->excl,
			    VMK_ARRAY_SIZE(st->excl), st->seg, VMK_ARRAY_SIZE(st->seg));
}

void vmk_kexec_set_dir(struct vmk_kexec_plan *p, enum vmk_kexec_dir dir)
{
	p->dir = dir == VMK_KEXEC_BOTTOM_UP ? VMK_KEXEC_BOTTOM_UP : VMK_KEXEC_TOP_DOWN;
}

int vmk_kexec_add_ram(struct vmk_kexec_plan *p, vmk_paddr_t base, vmk_paddr_t end)
{
	int ret;

	if (end < base) {
		vmk_snprintf(p->err, sizeof(p->err), "RAM range 0x%llx-0x%llx ends before it starts",
			     (unsigned long long)base, (unsigned long long)end);
		return -VMK_EINVAL;
	}
	ret = vmk_rangeset_add(&p->ram, base, end);
	if (ret)
		vmk_snprintf(p->err, sizeof(p->err), "RAM table full (%zu ranges) at 0x%llx",
			     p->ram.cap, (unsigned long long)base);
	return ret;
}

static int excl_cmp(const struct vmk_kexec_excl *a, vmk_paddr_t base, vmk_paddr_t end,
		    unsigned int kind)
{
	if (a->base != base)
		return a->base < base ? -1 : 1;
	if (a->end != end)
		return a->end < end ? -1 : 1;
	if (a->kind != kind)
		return a->kind < kind ? -1 : 1;
	return 0;
}

int vmk_kexec_exclude(struct vmk_kexec_plan *p, vmk_paddr_t base, vmk_paddr_t end,
		      unsigned int kind, const char *fmt, ...)
{
	struct vmk_kexec_excl *e;
	va_list ap;
	size_t i;
	int c = 1;

	if (end < base || kind >= VMK_KEXEC_EXCL_NKINDS) {
		vmk_snprintf(p->err, sizeof(p->err), "bad exclusion 0x%llx-0x%llx kind %u",
			     (unsigned long long)base, (unsigned long long)end, kind);
		return -VMK_EINVAL;
	}
	if (end == base)
		return 0;
	/* Sorted insert keeps the rendered list and the checks deterministic. */
	for (i = 0; i < p->nexcl; i++) {
		c = excl_cmp(&p->excl[i], base, end, kind);
		if (c >= 0)
			break;
	}
	if (i < p->nexcl && c == 0)
		return 0;
	if (p->nexcl == p->excl_cap) {
		vmk_snprintf(p->err, sizeof(p->err), "exclusion table full (%zu ranges) at 0x%llx",
			     p->excl_cap, (unsigned long long)base);
		return -VMK_ENOSPC;
	}
	/* Cannot fail: blocked has as many slots as excl and merges. */
	VMK_VERIFY(vmk_rangeset_add(&p->blocked, base, end) == 0,
		   "kexec: blocked set smaller than the exclusion table");
	vmk_memmove(&p->excl[i + 1], &p->excl[i], (p->nexcl - i) * sizeof(p->excl[0]));
	e = &p->excl[i];
	e->base = base;
	e->end = end;
	e->kind = kind;
	va_start(ap, fmt);
	vmk_vsnprintf(e->reason, sizeof(e->reason), fmt, ap);
	va_end(ap);
	p->nexcl++;
	return 0;
}

int vmk_kexec_clip_ram(struct vmk_kexec_plan *p, vmk_paddr_t base, vmk_paddr_t end)
{
	/* Removing a prefix and a suffix never splits a range: no ENOSPC. */
	if (base > 0)
		VMK_VERIFY(vmk_rangeset_remove(&p->ram, 0, base) == 0, "kexec: clip split a range");
	if (end < VMK_PADDR_MAX)
		VMK_VERIFY(vmk_rangeset_remove(&p->ram, end, VMK_PADDR_MAX) == 0,
			   "kexec: clip split a range");
	return 0;
}

/* Emit [base, end) trimmed to whole pages; returns false if fn asked to stop. */
static bool emit(vmk_paddr_t base, vmk_paddr_t end,
		 bool (*fn)(void *arg, vmk_paddr_t base, vmk_paddr_t end), void *arg)
{
	vmk_paddr_t b, e;

	if (base > VMK_PADDR_MAX - VMK_PAGE_MASK)
		return true;
	b = VMK_ALIGN_UP(base, VMK_PAGE_SIZE);
	e = VMK_ALIGN_DOWN(end, VMK_PAGE_SIZE);
	if (b >= e)
		return true;
	return fn(arg, b, e);
}

static bool walk_up(const struct vmk_kexec_plan *p, const struct vmk_range *r,
		    bool (*fn)(void *, vmk_paddr_t, vmk_paddr_t), void *arg)
{
	vmk_paddr_t cur = r->base;

	for (size_t j = 0; j < p->blocked.n; j++) {
		const struct vmk_range *b = &p->blocked.r[j];

		if (b->end <= cur)
			continue;
		if (b->base >= r->end)
			break;
		if (b->base > cur && !emit(cur, b->base, fn, arg))
			return false;
		cur = b->end;
		if (cur >= r->end)
			return true;
	}
	return emit(cur, r->end, fn, arg);
}

static bool walk_down(const struct vmk_kexec_plan *p, const struct vmk_range *r,
		      bool (*fn)(void *, vmk_paddr_t, vmk_paddr_t), void *arg)
{
	vmk_paddr_t cur = r->end;

	for (size_t j = p->blocked.n; j-- > 0;) {
		const struct vmk_range *b = &p->blocked.r[j];

		if (b->base >= cur)
			continue;
		if (b->end <= r->base)
			break;
		if (b->end < cur && !emit(b->end, cur, fn, arg))
			return false;
		cur = b->base;
		if (cur <= r->base)
			return true;
	}
	return emit(r->base, cur, fn, arg);
}

void vmk_kexec_for_each_hole(const struct vmk_kexec_plan *p, bool top_down,
			     bool (*fn)(void *arg, vmk_paddr_t base, vmk_paddr_t end),
			     void *arg)
{
	if (!top_down) {
		for (size_t i = 0; i < p->ram.n; i++)
			if (!walk_up(p, &p->ram.r[i], fn, arg))
				return;
	} else {
		for (size_t i = p->ram.n; i-- > 0;)
			if (!walk_down(p, &p->ram.r[i], fn, arg))
				return;
	}
}

static bool sum_hole(void *arg, vmk_paddr_t base, vmk_paddr_t end)
{
	*(uint64_t *)arg += end - base;
	return true;
}

uint64_t vmk_kexec_free_bytes(const struct vmk_kexec_plan *p)
{
	uint64_t t = 0;

	vmk_kexec_for_each_hole(p, false, sum_hole, &t);
	return t;
}

int vmk_kexec_plan_crash(struct vmk_kexec_plan *p, const struct vmk_range *regions, size_t n)
{
	int ret;

	if (n == 0 || regions[0].end <= regions[0].base) {
		vmk_snprintf(p->err, sizeof(p->err),
			     "kdump load: no crash kernel region (crashkernel= not reserved)");
		return -VMK_EINVAL;
	}
	/* Segments go only into the main region, like Linux's crashk_res walk. */
	ret = vmk_kexec_add_ram(p, regions[0].base, regions[0].end);
	VMK_UNUSED(n);
	return ret;
}
