/*
 * The boot report `vmkit boot` prints (tools/vmkit/cmd_boot_report.c,
 * docs/boot-sim.md), printed by the real kernel on its serial console
 * after the boot: /proc/buddyinfo, the kernel mappings by size and
 * permission from a walk of the page tables the CPU runs on, and the
 * memory accounting (every byte of RAM in exactly one category).
 * Before it, the kernel's layout as machine-description lines
 * ("boot: machine: ..."), so that `vmkit boot` on the host runs the same
 * boot in the simulator from the UEFI map this kernel printed;
 * kernel/check-boot.sh requires both reports to be byte for byte equal.
 * The categories are computed as the tool computes them, from the
 * allocator's frame states and what the boot placed where.
 */
#include <vmkit/boot.h>
#include <vmkit/fwmap.h>
#include <vmkit/kmap.h>
#include <vmkit/phys.h>
#include <vmkit/pmap.h>

#include "kernel.h"
#include "../tools/vmkit/boot_report_fmt.h"

/* In the tool's order (enum boot_cat, boot_report_cat_names). */
enum cat {
	C_FREE, C_FREE_NOFREE_POOL, C_KERNEL, C_PRELOAD, C_PAGE_ARRAY, C_PAGE_TABLES, C_NOFREE, C_PERCPU,
	C_ALLOC, C_CRASH, C_FW_RESERVED, C_EARLY, C_OTHER_RESERVED, C_NOMAP, C_BAD, C_UNMANAGED, C_N
};
_Static_assert(C_N == sizeof(boot_report_cat_names) / sizeof(boot_report_cat_names[0]), "one name per category");

struct label {
	uint64_t start, end;
	enum cat cat;
};

#define MAX_LABELS	(KERNEL_MAX_FWMAP + 2)
static struct label labels[MAX_LABELS];
static uint64_t points[2 * MAX_LABELS];

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * The tool's labels, in its priority order: the kernel image, the early
 * reservation (x86: the first MiB), firmware-reserved RAM. This kernel
 * has no preloads placed after its image (its module is loader memory,
 * so firmware-reserved) and no crash kernel.
 */
static size_t make_labels(const struct kernel_layout *l)
{
	size_t n = 0;

	labels[n++] = (struct label){ l->image_pa, l->image_pa + l->image_size, C_KERNEL };
	if (arch_low_reserve)
		labels[n++] = (struct label){ 0, arch_low_reserve, C_EARLY };
	for (size_t i = 0; i < l->fwmap->n && n < MAX_LABELS; i++) {
		const struct vmk_fwmap_entry *e = &l->fwmap->e[i];

		if (vmk_boot_action(e, l->fwmap->format) == VMK_BOOT_RESERVE)
			labels[n++] = (struct label){ e->base, e->base + e->size, C_FW_RESERVED };
	}
	return n;
}

/* The accounting; false if a category would go negative. */
static bool account(const struct kernel_layout *l, uint64_t *bytes)
{
	const struct vmk_phys_boot_report *br = vmk_phys_boot_report();
	struct vmk_phys_stats st;
	uint64_t resv, alloc, labelled = 0;
	size_t n, np = 0;
	bool ok = true;

	vmk_memset(bytes, 0, C_N * sizeof(*bytes));
	vmk_phys_get_stats(&st);
	bytes[C_FREE] = (st.state[VMK_PAGE_FREE] + st.state[VMK_PAGE_PCPU]) * VMK_PAGE_SIZE;
	bytes[C_FREE_NOFREE_POOL] = st.state[VMK_PAGE_NOFREE_POOL] * VMK_PAGE_SIZE;
	bytes[C_PAGE_TABLES] = st.state[VMK_PAGE_PTP] * VMK_PAGE_SIZE;
	bytes[C_NOFREE] = st.state[VMK_PAGE_NOFREE] * VMK_PAGE_SIZE;
	bytes[C_BAD] = st.state[VMK_PAGE_BAD] * VMK_PAGE_SIZE;
	alloc = st.state[VMK_PAGE_ALLOC] * VMK_PAGE_SIZE;
	bytes[C_PERCPU] = VMK_MIN(l->percpu_bytes, alloc);
	bytes[C_ALLOC] = alloc - bytes[C_PERCPU];
	ok = l->percpu_bytes <= alloc;
	bytes[C_NOMAP] = br->nomap;
	bytes[C_UNMANAGED] = br->partial + br->driver_managed;

	resv = st.state[VMK_PAGE_RESERVED] * VMK_PAGE_SIZE;
	n = make_labels(l);
	for (size_t i = 0; i < n; i++) {
		points[np++] = labels[i].start;
		points[np++] = labels[i].end;
	}
	vmk_sort(points, np, sizeof(points[0]), cmp_u64);
	for (size_t i = 0; i + 1 < np; i++) {
		uint64_t x = points[i], y = points[i + 1], got;

		if (x == y)
			continue;
		for (size_t k = 0; k < n; k++) {
			if (labels[k].start <= x && y <= labels[k].end) {
				got = boot_report_reserved_in(x, y);
				bytes[labels[k].cat] += got;
				labelled += got;
				break;
			}
		}
	}
	bytes[C_PAGE_ARRAY] = br->page_array;
	if (labelled + br->page_array > resv)
		ok = false;
	else
		bytes[C_OTHER_RESERVED] = resv - labelled - br->page_array;
	return ok;
}

/* The description lines `vmkit boot` reads (docs/boot-sim.md): everything but the firmware map. */
static void print_machine(const struct kernel_layout *l)
{
	char pb[4];

	kprintf("boot: machine: name vmkit-kernel\n");
	kprintf("boot: machine: arch %s\n", l->pc->arch == VMK_PMAP_ARCH_RISCV64 ? "riscv64" :
		arch_boot_policy ? "arm64" : "x86_64");
	kprintf("boot: machine: cpus %u\n", l->ncpus);
	kprintf("boot: machine: percpu 0x%llx rendezvous\n", (unsigned long long)l->percpu_size);
	kprintf("boot: machine: image 0x%llx 0x%llx", (unsigned long long)l->image_pa,
		(unsigned long long)l->image_va);
	for (unsigned int i = 0; i < l->nsect; i++)
		kprintf(" %s:0x%llx", boot_report_prot(l->sect[i].prot, pb), (unsigned long long)l->sect[i].size);
	kprintf("\n");
	for (unsigned int i = 0; i < boot_state.ndev; i++)
		kprintf("boot: machine: device 0x%llx 0x%llx 0x%llx %s\n", (unsigned long long)boot_state.dev[i].va,
			(unsigned long long)boot_state.dev[i].pa, (unsigned long long)boot_state.dev[i].size,
			boot_state.dev[i].memtype == VMK_MEMTYPE_UC ? "uc" : "device");
	kprintf("boot: machine: boot-services late\n");
	kprintf("boot: machine: pmap 1g=%s", l->pc->large_1g ? "yes" : "no");
	if (l->pc->tmp_va)
		kprintf(" tmp=0x%llx dmap=0x%llx", (unsigned long long)l->pc->tmp_va,
			(unsigned long long)(l->pc->dmap_end - l->pc->dmap_base));
	kprintf("\n");
	kprintf("boot: machine: kmem 0x%llx 0x%llx\n", (unsigned long long)l->kmem_base,
		(unsigned long long)l->kmem_size);
}

struct region {
	const char *name;
	uint64_t va, size;
};

void boot_report(const struct kernel_layout *l)
{
	struct vmk_pmap *kp = vmk_pmap_kernel();
	static struct vmk_kmap_report all, r;
	struct region reg[3 + KERNEL_MAX_DEVICES];
	uint64_t bytes[C_N], sum = 0, top = 0, in_regions = 0, unmapped = 0;
	unsigned int nreg = 0;
	char h[32], pb[4];
	bool ok;

	print_machine(l);
	kprintf("boot: report (as vmkit boot prints it):\n");
	kprintf("/proc/buddyinfo:\n");
	vmk_phys_print_buddyinfo(&kout);

	kprintf("\nkernel mappings by size and permission (the page tables of the whole kernel address space):\n"
		"  %-4s %-4s %-6s %10s %12s\n", "size", "prot", "type", "mappings", "bytes");
	vmk_memset(&all, 0, sizeof(all));
	vmk_kmap_report(kp, 0, 0, &all);
	for (size_t i = 0; i < all.ncls; i++)
		kprintf("  %-4s %-4s %-6s %10llu %12s\n", boot_report_size(all.cls[i].page_size),
			boot_report_prot(all.cls[i].prot, pb), boot_report_memtype(all.cls[i].memtype),
			(unsigned long long)all.cls[i].leaves,
			vmk_fmt_size(h, sizeof(h), all.cls[i].bytes));
	kprintf("  W^X: %s\n", all.wx_leaves ? "VIOLATED: pages both writable and executable"
					   : "no page is both writable and executable");
	/* The regions in the tool's order: direct map, image, devices, kmem window. */
	for (size_t i = 0; i < l->fwmap->n; i++)
		top = VMK_MAX(top, l->fwmap->e[i].base + l->fwmap->e[i].size);
	reg[nreg++] = (struct region){ "direct map", arch_dmap_base, VMK_ALIGN_UP(top, VMK_GiB) };
	reg[nreg++] = (struct region){ "kernel image and preloaded files", l->image_va, l->image_size };
	for (unsigned int i = 0; i < boot_state.ndev; i++)
		reg[nreg++] = (struct region){ "device registers", boot_state.dev[i].va, boot_state.dev[i].size };
	reg[nreg++] = (struct region){ "kmem window", l->kmem_base, l->kmem_size };
	for (unsigned int i = 0; i < nreg; i++) {
		vmk_memset(&r, 0, sizeof(r));
		vmk_kmap_report(kp, reg[i].va, reg[i].va + reg[i].size, &r);
		in_regions += r.bytes;
		kprintf("  %-34s [0x%016llx-0x%016llx] %10s mapped\n", reg[i].name, (unsigned long long)reg[i].va,
			(unsigned long long)(reg[i].va + reg[i].size - 1), vmk_fmt_size(h, sizeof(h), r.bytes));
		if (reg[i].va == l->image_va)
			unmapped = reg[i].size - r.bytes;
	}
	kprintf("  %-34s %41s %10s mapped\n", "elsewhere", "", vmk_fmt_size(h, sizeof(h), all.bytes - in_regions));
	if (unmapped)
		kprintf("  unmapped inside the image and preloads: %llu bytes\n", (unsigned long long)unmapped);

	ok = account(l, bytes);
	kprintf("\nmemory accounting (every byte of RAM in exactly one category):\n");
	for (int c = 0; c < C_N; c++) {
		kprintf("  %-18s %16llu  %10s\n", boot_report_cat_names[c], (unsigned long long)bytes[c],
			vmk_fmt_size(h, sizeof(h), bytes[c]));
		sum += bytes[c];
	}
	kprintf("  %-18s %16llu  %10s\n", "sum", (unsigned long long)sum, vmk_fmt_size(h, sizeof(h), sum));
	kprintf("  %-18s %16llu  %10s  %s\n", "RAM", (unsigned long long)l->ram, vmk_fmt_size(h, sizeof(h), l->ram),
		ok && sum == l->ram ? "(equal)" : "MISMATCH");
	kprintf("boot: end of report\n");
}
