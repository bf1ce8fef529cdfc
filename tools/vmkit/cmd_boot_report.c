/*
 * vmkit boot: the report. Memory accounting puts every byte of RAM
 * (memblock memory, NOMAP included) in exactly one category, from the
 * allocator's per-state frame counts split by what the boot placed where;
 * the mapping report walks the kernel page tables over the whole kernel
 * address space (vmk_kmap_report), so it shows what the tables hold, not
 * what the boot meant to put there.
 */
#include <stdlib.h>
#include <string.h>

#include <vmkit/boot.h>
#include <vmkit/kmap.h>
#include <vmkit/phys.h>
#include <vmkit/pmap.h>

#include "boot_report_fmt.h"
#include "cmd_boot.h"
#include "json.h"
#include "util.h"

_Static_assert(CAT_N == sizeof(boot_report_cat_names) / sizeof(boot_report_cat_names[0]), "one name per category");

const char *boot_cat_name(enum boot_cat c)
{
	return boot_report_cat_names[c];
}

struct label {
	uint64_t start, end;
	enum boot_cat cat;
};

#define MAX_LABELS 4096

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * The labelled ranges, in priority order (an earlier label wins where
 * they overlap): the kernel image, preloads, the crash kernel, the
 * early reservation, firmware-reserved RAM.
 */
static size_t labels(const struct boot *b, struct label *l)
{
	size_t n = 0;

	l[n++] = (struct label){ b->kbase, b->kbase + b->ksize, CAT_KERNEL };
	/* A freed preload's partial head and tail pages stay reserved: still preload. */
	for (size_t i = 0; i < b->npre; i++)
		l[n++] = (struct label){ b->pre[i].pa, b->pre[i].pa + VMK_ALIGN_UP(b->pre[i].size, VMK_PAGE_SIZE),
						 CAT_PRELOAD };
	if (b->crash.main.end > b->crash.main.base)
		l[n++] = (struct label){ b->crash.main.base, b->crash.main.end, CAT_CRASH };
	if (b->crash.low.end > b->crash.low.base)
		l[n++] = (struct label){ b->crash.low.base, b->crash.low.end, CAT_CRASH };
	if (b->early_size)
		l[n++] = (struct label){ b->early_base, b->early_base + b->early_size, CAT_EARLY };
	for (size_t i = 0; i < b->mc.map.n && n < MAX_LABELS; i++) {
		const struct vmk_fwmap_entry *e = &b->mc.map.e[i];

		if (vmk_boot_action(e, b->mc.map.format) == VMK_BOOT_RESERVE)
			l[n++] = (struct label){ e->base, e->base + e->size, CAT_FW_RESERVED };
	}
	return n;
}

int boot_account(const struct boot *b, struct boot_accounting *a)
{
	const struct vmk_phys_boot_report *br = vmk_phys_boot_report();
	struct vmk_phys_stats st;
	struct label *l = malloc(MAX_LABELS * sizeof(*l));
	uint64_t *pts = malloc(2 * MAX_LABELS * sizeof(*pts));
	uint64_t resv, alloc, labelled = 0;
	size_t n, np = 0;
	int ret = 0;

	memset(a, 0, sizeof(*a));
	if (!l || !pts) {
		free(l);
		free(pts);
		return -1;
	}
	vmk_phys_get_stats(&st);
	a->bytes[CAT_FREE] = (st.state[VMK_PAGE_FREE] + st.state[VMK_PAGE_PCPU]) * VMK_PAGE_SIZE;
	a->bytes[CAT_FREE_NOFREE_POOL] = st.state[VMK_PAGE_NOFREE_POOL] * VMK_PAGE_SIZE;
	a->bytes[CAT_PAGE_TABLES] = st.state[VMK_PAGE_PTP] * VMK_PAGE_SIZE;
	a->bytes[CAT_NOFREE] = st.state[VMK_PAGE_NOFREE] * VMK_PAGE_SIZE;
	a->bytes[CAT_BAD] = st.state[VMK_PAGE_BAD] * VMK_PAGE_SIZE;
	alloc = st.state[VMK_PAGE_ALLOC] * VMK_PAGE_SIZE;
	a->bytes[CAT_PERCPU] = VMK_MIN(b->percpu_bytes, alloc);
	a->bytes[CAT_ALLOC] = alloc - a->bytes[CAT_PERCPU];
	if (b->percpu_bytes > alloc)
		ret = -1;
	a->bytes[CAT_NOMAP] = br->nomap;
	a->bytes[CAT_UNMANAGED] = br->partial + br->driver_managed;

	/* Reserved frames: split by label over the elementary intervals of the labels' ends. */
	resv = st.state[VMK_PAGE_RESERVED] * VMK_PAGE_SIZE;
	n = labels(b, l);
	for (size_t i = 0; i < n; i++) {
		pts[np++] = l[i].start;
		pts[np++] = l[i].end;
	}
	qsort(pts, np, sizeof(*pts), cmp_u64);
	for (size_t i = 0; i + 1 < np; i++) {
		uint64_t x = pts[i], y = pts[i + 1], got;

		if (x == y)
			continue;
		for (size_t k = 0; k < n; k++) {
			if (l[k].start <= x && y <= l[k].end) {
				got = boot_report_reserved_in(x, y);
				a->bytes[l[k].cat] += got;
				labelled += got;
				break;
			}
		}
	}
	a->bytes[CAT_PAGE_ARRAY] = br->page_array;
	if (labelled + br->page_array > resv)
		ret = -1;
	else
		a->bytes[CAT_OTHER_RESERVED] = resv - labelled - br->page_array;
	a->ram = b->ram;
	for (int c = 0; c < CAT_N; c++)
		a->sum += a->bytes[c];
	free(l);
	free(pts);
	return ret;
}

/* ---- mappings by size and permission ---- */

/* Mapped bytes and leaves of one region the boot made, read from the page tables. */
struct region_rep {
	const char *name;
	uint64_t va, size, bytes, leaves;
};

/*
 * The whole kernel address space through the page tables
 * (vmk_kmap_report over [0, 2^64)), then each region the boot mapped
 * (direct map, image and preloads, kmem window): what is mapped anywhere
 * else shows as "elsewhere". *unmapped: pages of the image and preload
 * range that are not mapped (released preloads).
 */
static size_t mappings(const struct boot *b, struct vmk_kmap_report *all, struct region_rep *reg,
		       uint64_t *unmapped)
{
	struct vmk_pmap *kp = vmk_pmap_kernel();
	uint64_t in_regions = 0;
	size_t n = 0;

	memset(all, 0, sizeof(*all));
	*unmapped = 0;
	if (!kp || vmk_kmap_report(kp, 0, 0, all) < 0)
		return 0;
	for (size_t i = 0; i < b->nvr; i++) {
		struct vmk_kmap_report r;

		if (vmk_kmap_report(kp, b->vr[i].va, b->vr[i].va + b->vr[i].size, &r) < 0)
			continue;
		reg[n++] = (struct region_rep){ b->vr[i].what, b->vr[i].va, b->vr[i].size, r.bytes, r.leaves };
		in_regions += r.bytes;
		if (b->vr[i].va == b->kva)
			*unmapped = b->vr[i].size - r.bytes;
	}
	reg[n++] = (struct region_rep){ "elsewhere", 0, 0, all->bytes - in_regions, 0 };
	return n;
}

static double total_ns(const struct boot *b)
{
	double t = 0;

	for (int p = 0; p < PH_NPHASES; p++)
		t += b->ph[p].ns;
	return t;
}

static unsigned int node_count(const struct boot *b)
{
	unsigned int n = 0;

	for (size_t i = 0; i < b->nmem; i++)
		if (b->mem[i].nid >= 0 && (unsigned int)b->mem[i].nid + 1 > n)
			n = (unsigned int)b->mem[i].nid + 1;
	return n ? n : 1;
}

void boot_print_text(const struct boot *b, FILE *f)
{
	struct vmk_out out;
	struct boot_accounting a;
	struct vmk_kmap_report all;
	struct region_rep reg[BOOT_MAX_VRANGES + 1];
	uint64_t unmapped;
	size_t nreg;
	char h[32], pb[4];
	int acc;

	tool_out_file(&out, f);
	fprintf(f, "vmkit boot: %s: %s, %u CPUs, %u NUMA node(s), %s of RAM\n", b->name,
		b->d->arch == MD_ARCH_X86_64 ? "x86_64" : "arm64", b->d->cpus, node_count(b),
		vmk_fmt_size(h, sizeof(h), b->ram));
	if (b->d->cmdline[0])
		fprintf(f, "command line: %s\n", b->d->cmdline);
	fprintf(f, "\nphases:\n");
	for (int p = 0; p < PH_NPHASES; p++) {
		if (b->ph[p].ran)
			fprintf(f, "  %-11s %10.3f ms  %s\n", boot_phase_name(p), b->ph[p].ns / 1e6, b->ph[p].note);
		else
			fprintf(f, "  %-11s %10s     %s\n", boot_phase_name(p), "-", b->ph[p].why ? b->ph[p].why : "not run");
	}
	fprintf(f, "  %-11s %10.3f ms\n", "total", total_ns(b) / 1e6);

	fprintf(f, "\nkernel image: [0x%llx-0x%llx] %s at VA 0x%llx (text %llu K, rodata %llu K, data %llu K, bss %llu K)\n",
		(unsigned long long)b->kbase, (unsigned long long)(b->kbase + b->ksize - 1),
		vmk_fmt_size(h, sizeof(h), b->ksize), (unsigned long long)b->kva,
		(unsigned long long)b->sect_size[0] >> 10, (unsigned long long)b->sect_size[1] >> 10,
		(unsigned long long)b->sect_size[2] >> 10, (unsigned long long)b->sect_size[3] >> 10);
	for (size_t i = 0; i < b->npre; i++)
		fprintf(f, "preload: %-40s %-14s [0x%llx-0x%llx] %s%s\n", b->pre[i].mod->path, b->pre[i].mod->type,
			(unsigned long long)b->pre[i].pa, (unsigned long long)(b->pre[i].pa + b->pre[i].size - 1),
			vmk_fmt_size(h, sizeof(h), b->pre[i].size), b->pre[i].freed ? " (freed)" : " (kept)");
	fprintf(f, "\nthe loader's records (after boot):\n");
	vmk_preload_print(&b->pl, &out);
	if (b->crash.main.end > b->crash.main.base)
		fprintf(f, "crash kernel: [0x%llx-0x%llx]%s\n", (unsigned long long)b->crash.main.base,
			(unsigned long long)(b->crash.main.end - 1), b->crash.low.end > b->crash.low.base ? " + low" : "");

	fprintf(f, "\n/proc/iomem:\n");
	vmk_resource_render(&b->root, &out);
	fprintf(f, "\n/proc/buddyinfo:\n");
	vmk_phys_print_buddyinfo(&out);

	fprintf(f, "\nkernel mappings by size and permission (the page tables of the whole kernel address space):\n"
		"  %-4s %-4s %-6s %10s %12s\n", "size", "prot", "type", "mappings", "bytes");
	nreg = mappings(b, &all, reg, &unmapped);
	for (size_t i = 0; i < all.ncls; i++)
		fprintf(f, "  %-4s %-4s %-6s %10llu %12s\n", boot_report_size(all.cls[i].page_size),
			boot_report_prot(all.cls[i].prot, pb), boot_report_memtype(all.cls[i].memtype),
			(unsigned long long)all.cls[i].leaves, vmk_fmt_size(h, sizeof(h), all.cls[i].bytes));
	fprintf(f, "  W^X: %s\n", all.wx_leaves ? "VIOLATED: pages both writable and executable"
					     : "no page is both writable and executable");
	for (size_t i = 0; i < nreg; i++) {
		if (reg[i].size)
			fprintf(f, "  %-34s [0x%016llx-0x%016llx] %10s mapped\n", reg[i].name,
				(unsigned long long)reg[i].va, (unsigned long long)(reg[i].va + reg[i].size - 1),
				vmk_fmt_size(h, sizeof(h), reg[i].bytes));
		else
			fprintf(f, "  %-34s %41s %10s mapped\n", reg[i].name, "", vmk_fmt_size(h, sizeof(h), reg[i].bytes));
	}
	if (unmapped)
		fprintf(f, "  unmapped inside the image and preloads: %llu bytes\n", (unsigned long long)unmapped);

	acc = boot_account(b, &a);
	fprintf(f, "\nmemory accounting (every byte of RAM in exactly one category):\n");
	for (int c = 0; c < CAT_N; c++)
		fprintf(f, "  %-18s %16llu  %10s\n", boot_cat_name(c), (unsigned long long)a.bytes[c],
			vmk_fmt_size(h, sizeof(h), a.bytes[c]));
	fprintf(f, "  %-18s %16llu  %10s\n", "sum", (unsigned long long)a.sum, vmk_fmt_size(h, sizeof(h), a.sum));
	fprintf(f, "  %-18s %16llu  %10s  %s\n", "RAM", (unsigned long long)a.ram, vmk_fmt_size(h, sizeof(h), a.ram),
		!acc && a.sum == a.ram ? "(equal)" : "MISMATCH");
}

void boot_print_json(const struct boot *b, FILE *f)
{
	struct json j;
	struct vmk_out out;
	struct boot_accounting a;
	struct vmk_kmap_report all;
	struct region_rep reg[BOOT_MAX_VRANGES + 1];
	uint64_t unmapped;
	size_t nreg;
	char pb[4];
	int acc;

	tool_out_file(&out, f);
	json_init(&j, f);
	json_begin_object(&j);
	json_kv_str(&j, "machine", b->name);
	json_kv_str(&j, "arch", b->d->arch == MD_ARCH_X86_64 ? "x86_64" : "arm64");
	json_kv_u64(&j, "cpus", b->d->cpus);
	json_kv_u64(&j, "nodes", node_count(b));
	json_kv_str(&j, "cmdline", b->d->cmdline);
	json_kv_str(&j, "firmware_format", b->mc.format_name);
	json_key(&j, "phases");
	json_begin_array(&j);
	for (int p = 0; p < PH_NPHASES; p++) {
		json_begin_object(&j);
		json_kv_str(&j, "name", boot_phase_name(p));
		json_key(&j, "ran");
		json_bool(&j, b->ph[p].ran);
		json_kv_u64(&j, "ns", (uint64_t)b->ph[p].ns);
		json_kv_str(&j, b->ph[p].ran ? "note" : "why", b->ph[p].ran ? b->ph[p].note : b->ph[p].why ? b->ph[p].why : "not run");
		json_end_object(&j);
	}
	json_end_array(&j);
	json_kv_u64(&j, "total_ns", (uint64_t)total_ns(b));
	json_key(&j, "kernel");
	json_begin_object(&j);
	json_kv_u64(&j, "base", b->kbase);
	json_kv_u64(&j, "size", b->ksize);
	json_kv_hex(&j, "va", b->kva);
	json_kv_u64(&j, "text", b->sect_size[0]);
	json_kv_u64(&j, "rodata", b->sect_size[1]);
	json_kv_u64(&j, "data", b->sect_size[2]);
	json_kv_u64(&j, "bss", b->sect_size[3]);
	json_end_object(&j);
	json_key(&j, "preloads");
	json_begin_array(&j);
	for (size_t i = 0; i < b->npre; i++) {
		json_begin_object(&j);
		json_kv_str(&j, "name", b->pre[i].mod->path);
		json_kv_str(&j, "type", b->pre[i].mod->type);
		json_kv_u64(&j, "base", b->pre[i].pa);
		json_kv_u64(&j, "size", b->pre[i].size);
		json_key(&j, "freed");
		json_bool(&j, b->pre[i].freed);
		json_kv_u64(&j, "freed_bytes", b->pre[i].freed_bytes);
		json_end_object(&j);
	}
	json_end_array(&j);
	json_key(&j, "crashkernel");
	json_begin_object(&j);
	json_kv_u64(&j, "base", b->crash.main.base);
	json_kv_u64(&j, "size", b->crash.main.end - b->crash.main.base);
	json_kv_u64(&j, "low_base", b->crash.low.base);
	json_kv_u64(&j, "low_size", b->crash.low.end - b->crash.low.base);
	json_end_object(&j);

	acc = boot_account(b, &a);
	json_key(&j, "accounting");
	json_begin_object(&j);
	json_kv_u64(&j, "ram", a.ram);
	json_kv_u64(&j, "sum", a.sum);
	json_key(&j, "consistent");
	json_bool(&j, !acc && a.sum == a.ram);
	json_key(&j, "categories");
	json_begin_object(&j);
	for (int c = 0; c < CAT_N; c++)
		json_kv_u64(&j, boot_cat_name(c), a.bytes[c]);
	json_end_object(&j);
	json_end_object(&j);

	nreg = mappings(b, &all, reg, &unmapped);
	json_key(&j, "mappings");
	json_begin_array(&j);
	for (size_t i = 0; i < all.ncls; i++) {
		json_begin_object(&j);
		json_kv_u64(&j, "page_size", all.cls[i].page_size);
		json_kv_str(&j, "prot", boot_report_prot(all.cls[i].prot, pb));
		json_kv_str(&j, "memtype", boot_report_memtype(all.cls[i].memtype));
		json_kv_u64(&j, "count", all.cls[i].leaves);
		json_kv_u64(&j, "bytes", all.cls[i].bytes);
		json_end_object(&j);
	}
	json_end_array(&j);
	json_key(&j, "mapping_regions");
	json_begin_array(&j);
	for (size_t i = 0; i < nreg; i++) {
		json_begin_object(&j);
		json_kv_str(&j, "name", reg[i].name);
		json_kv_hex(&j, "va", reg[i].va);
		json_kv_u64(&j, "size", reg[i].size);
		json_kv_u64(&j, "mapped_bytes", reg[i].bytes);
		json_end_object(&j);
	}
	json_end_array(&j);
	json_kv_u64(&j, "mapped_bytes_total", all.bytes);
	json_kv_u64(&j, "wx_bytes", all.wx_bytes);
	json_kv_u64(&j, "unmapped_bytes", unmapped);
	json_key(&j, "phys");
	json_raw_value(&j);
	vmk_phys_print_json(&out);
	json_key(&j, "iomem");
	json_raw_value(&j);
	vmk_resource_render_json(&b->root, &out);
	json_end_object(&j);
	json_finish(&j);
}
