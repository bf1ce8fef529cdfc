/*
 * vmkit memmap: the main job. Ingest a firmware memory map, sanitize it,
 * run memblock over it, reserve what a kernel would (low memory on x86,
 * the kernel image, firmware tables per the boot policy), and print the
 * sanitized map, memblock's regions, the resource tree in /proc/iomem
 * format and a summary. --json prints the same as one JSON document.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmkit/boot.h>
#include <vmkit/kexec.h>

#include "commands.h"
#include "json.h"
#include "machine.h"
#include "sim.h"
#include "util.h"

/* Resource nodes: at least this many, more for big maps (sized from the map). */
#define POOL_NODES	8192

/* --reserve ranges at most (a memblock dump of a whole early boot fits). */
#define MEMMAP_MAX_RESERVE	1024

enum arch { ARCH_AUTO, ARCH_X86_64, ARCH_ARM64 };

struct memmap_opts {
	enum machine_src src;
	const char *path;
	bool json;
	enum arch arch;
	uint64_t kernel_size;
	uint64_t kernel_addr;
	bool kernel_fixed;
	bool kernel_given;	/* --kernel-size or --kernel-addr: placing it is required */
	uint64_t reserve_low;
	bool reserve_low_set;
	unsigned int phys_bits;
	size_t desc_size;
	size_t e820_size;	/* --e820-entry-size: 20 or 24, 0 guessed */
	char crashkernel[512];	/* "crashkernel=A crashkernel=B", or "" */
	size_t nreserve;	/* --reserve START-END, inclusive, in order */
	uint64_t reserve[MEMMAP_MAX_RESERVE][2];
};

struct summary {
	uint64_t ram, usable, reserved, nomap;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: vmkit memmap [SOURCE] [options]\n"
"\n"
"Ingest a firmware memory map, run memblock over it, reserve what a kernel\n"
"would, and print the sanitized map, memblock's regions, the resource tree\n"
"(/proc/iomem format) and a summary. Without a SOURCE, the embedded default\n"
"machine (QEMU q35, 4 GiB, OVMF UEFI map) is used.\n"
"\n"
"SOURCE (one of):\n"
"  --e820 FILE        binary E820 table (20/24-byte entries) or E820 dmesg text\n"
"  --efi FILE         binary UEFI memory map (descriptor array) or 'efi: mem' text\n"
"  --dtb FILE         flattened device tree (/memory, /reserved-memory, /memreserve/)\n"
"  --iomem FILE       Linux /proc/iomem text\n"
"  --dmesg FILE       a whole dmesg or journal: E820 lines, else EFI lines, else\n"
"                     a memblock=debug dump (device-tree boots); NUMA nodes from\n"
"                     its 'ACPI: SRAT: Node' lines (--dtb: numa-node-id)\n"
"  --machine FILE     any of the above, detected from the content\n"
"\n"
"options:\n"
"  --json             one JSON document (stable keys: usable_bytes, reserved_bytes,\n"
"                     nomap_bytes, ram_bytes, regions, memblock, resources, ...)\n"
"  --arch ARCH        x86_64 or arm64 (default: x86_64 for an E820 map or RAM below 1 MiB)\n"
"  --kernel-size SIZE kernel image to reserve (default 16M; 0: none)\n"
"  --kernel-addr ADDR place the kernel image here (default: lowest 2 MiB-aligned\n"
"                     free address at or above 16 MiB on x86_64, DRAM start on arm64)\n"
"  --reserve-low SIZE reserve [0, SIZE) (default 64K on x86_64, as Linux does)\n"
"  --reserve START-END  memblock_reserve [START, END] (inclusive, as Linux's\n"
"                     memblock debug lines print it) before the crash kernel is\n"
"                     placed: what else the kernel had reserved by then; repeatable\n"
"  --crashkernel SPEC reserve crashkernel=SPEC (forms: SIZE, SIZE@OFFSET,\n"
"                     RANGE:SIZE,..., SIZE,high, SIZE,low; repeat for ,high + ,low)\n"
"                     and show it as \"Crash kernel\" in /proc/iomem\n"
"  --phys-bits N      physical address width for sanitizing (default 52)\n"
"  --desc-size N      UEFI descriptor size (default: guessed)\n"
"  --e820-entry-size N  binary E820 entry size, 20 or 24 (default: guessed)\n"
"  --help             this text\n"
"\n"
"Exit status: 0 done; 1 bad input data, a kernel image asked for (--kernel-size,\n"
"--kernel-addr) that does not fit, or a crash kernel this machine cannot hold;\n"
"2 bad usage.\n");
}

/* "START-END" (inclusive, hex with 0x or decimal) into o->reserve. */
static bool parse_range(const char *v, struct memmap_opts *o)
{
	char *dash, *end1, *end2;
	unsigned long long b, e;

	if (o->nreserve == MEMMAP_MAX_RESERVE) {
		tool_error(NULL, 0, "--reserve: more than %d ranges", MEMMAP_MAX_RESERVE);
		return false;
	}
	dash = strchr(v, '-');
	b = strtoull(v, &end1, 0);
	e = dash ? strtoull(dash + 1, &end2, 0) : 0;
	if (!dash || end1 != dash || dash[1] == 0 || *end2 || b > e || v[0] == '-' || dash[1] == '-') {
		tool_error(NULL, 0, "--reserve: '%s' is not START-END (inclusive, START <= END)", v);
		return false;
	}
	o->reserve[o->nreserve][0] = b;
	o->reserve[o->nreserve][1] = e;
	o->nreserve++;
	return true;
}

static int parse_args(int argc, char **argv, struct memmap_opts *o)
{
	struct tool_seen seen = { .n = 0 };

	memset(o, 0, sizeof(*o));
	o->kernel_size = 16 * VMK_MiB;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		enum machine_src src;
		uint64_t n;
		int r;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			exit(0);
		}
		/* Every option once, except --crashkernel (,high + ,low); sources below. */
		if (strcmp(a, "--crashkernel") && strcmp(a, "--reserve") && !machine_src_from_option(a, &src) &&
		    !tool_seen_once(&seen, a))
			return -1;
		if (!strcmp(a, "--json")) {
			o->json = true;
			continue;
		}
		r = machine_src_take(a, v, o->path, &o->src, &o->path);
		if (r < 0)
			return -1;
		if (r) {
			i++;
			continue;
		}
		if (!v) {
			tool_error(NULL, 0, "unknown option or missing value: '%s' (see --help)", a);
			return -1;
		}
		if (!strcmp(a, "--arch")) {
			if (!strcmp(v, "x86_64") || !strcmp(v, "x86-64") || !strcmp(v, "amd64"))
				o->arch = ARCH_X86_64;
			else if (!strcmp(v, "arm64") || !strcmp(v, "aarch64"))
				o->arch = ARCH_ARM64;
			else {
				tool_error(NULL, 0, "--arch: '%s' is not x86_64 or arm64", v);
				return -1;
			}
		} else if (!strcmp(a, "--kernel-size")) {
			if (!tool_parse_size(a, v, &o->kernel_size))
				return -1;
			o->kernel_given = true;
		} else if (!strcmp(a, "--kernel-addr")) {
			if (!tool_parse_size(a, v, &o->kernel_addr))
				return -1;
			o->kernel_fixed = true;
			o->kernel_given = true;
		} else if (!strcmp(a, "--reserve-low")) {
			if (!tool_parse_size(a, v, &o->reserve_low))
				return -1;
			o->reserve_low_set = true;
		} else if (!strcmp(a, "--crashkernel")) {
			size_t used = strlen(o->crashkernel);
			int n2 = snprintf(o->crashkernel + used, sizeof(o->crashkernel) - used,
					  "%scrashkernel=%s", used ? " " : "", v);

			if (n2 < 0 || (size_t)n2 >= sizeof(o->crashkernel) - used) {
				tool_error(NULL, 0, "--crashkernel: too long");
				return -1;
			}
		} else if (!strcmp(a, "--reserve")) {
			if (!parse_range(v, o))
				return -1;
		} else if (!strcmp(a, "--phys-bits")) {
			if (!tool_parse_size(a, v, &n) || n < 32 || n > 64) {
				tool_error(NULL, 0, "--phys-bits: '%s' is not a width from 32 to 64", v);
				return -1;
			}
			o->phys_bits = (unsigned int)n;
		} else if (!strcmp(a, "--desc-size")) {
			if (!tool_parse_size(a, v, &n) || n < VMK_EFI_DESC_MIN_SIZE || n % 8 || n > 4096) {
				tool_error(NULL, 0, "--desc-size: '%s' is not a UEFI descriptor size (>= 40, multiple of 8)", v);
				return -1;
			}
			o->desc_size = (size_t)n;
		} else if (!strcmp(a, "--e820-entry-size")) {
			if (!tool_parse_size(a, v, &n) || (n != 20 && n != 24)) {
				tool_error(NULL, 0, "--e820-entry-size: '%s' is not 20 or 24", v);
				return -1;
			}
			o->e820_size = (size_t)n;
		} else {
			tool_error(NULL, 0, "unknown option '%s' (see --help)", a);
			return -1;
		}
		i++;
	}
	if (o->desc_size && o->e820_size) {
		tool_error(NULL, 0, "--desc-size and --e820-entry-size exclude each other (one map)");
		return -1;
	}
	if (o->kernel_fixed && o->kernel_size == 0) {
		tool_error(NULL, 0, "--kernel-addr with --kernel-size 0 places nothing");
		return -1;
	}
	if (o->kernel_fixed && o->kernel_size - 1 > VMK_PADDR_MAX - o->kernel_addr) {
		tool_error(NULL, 0, "--kernel-addr 0x%llx + --kernel-size 0x%llx runs past the top of the address space",
			(unsigned long long)o->kernel_addr, (unsigned long long)o->kernel_size);
		return -1;
	}
	if (o->kernel_fixed && o->kernel_addr % VMK_PAGE_SIZE) {
		tool_error(NULL, 0, "--kernel-addr 0x%llx is not page aligned",
			(unsigned long long)o->kernel_addr);
		return -1;
	}
	return 0;
}

static struct summary summarize(const struct vmk_memblock *mb)
{
	struct summary s = { 0 };

	s.ram = vmk_memblock_phys_mem_size(mb);
	s.usable = vmk_memblock_free_size(mb);
	for (size_t i = 0; i < mb->memory.cnt; i++)
		if (mb->memory.regions[i].flags & VMK_MEMBLOCK_NOMAP)
			s.nomap += mb->memory.regions[i].size;
	s.reserved = s.ram - s.usable - s.nomap;
	return s;
}

static void print_size_line(const char *label, uint64_t bytes)
{
	char h[32];

	printf("  %-10s %16llu bytes  %s\n", label, (unsigned long long)bytes,
	       vmk_fmt_size(h, sizeof(h), bytes));
}

static void json_regions(struct json *j, const struct vmk_memblock_type *t)
{
	json_begin_array(j);
	for (size_t i = 0; i < t->cnt; i++) {
		const struct vmk_memblock_region *r = &t->regions[i];

		json_begin_object(j);
		json_kv_u64(j, "base", r->base);
		json_kv_u64(j, "size", r->size);
		json_kv_u64(j, "flags", r->flags);
		json_key(j, "nid");
		json_i64(j, r->nid);
		json_end_object(j);
	}
	json_end_array(j);
}

static void print_json(const struct machine *mc, const struct vmk_memblock *mb,
		       const struct vmk_resource *root, const struct summary *s,
		       const char *arch, vmk_paddr_t kbase, uint64_t ksize,
		       const struct vmk_crash_region *crash)
{
	struct json j;
	struct vmk_out out;

	json_init(&j, stdout);
	json_begin_object(&j);
	json_kv_str(&j, "source", mc->path);
	json_kv_str(&j, "format", mc->format_name);
	json_kv_str(&j, "arch", arch);
	json_kv_u64(&j, "entries_read", mc->entries_read);
	json_kv_u64(&j, "ram_bytes", s->ram);
	json_kv_u64(&j, "usable_bytes", s->usable);
	json_kv_u64(&j, "reserved_bytes", s->reserved);
	json_kv_u64(&j, "nomap_bytes", s->nomap);
	json_key(&j, "kernel");
	json_begin_object(&j);
	json_kv_u64(&j, "base", kbase);
	json_kv_u64(&j, "size", ksize);
	json_end_object(&j);
	json_key(&j, "crashkernel");
	json_begin_object(&j);
	json_kv_u64(&j, "base", crash->main.base);
	json_kv_u64(&j, "size", crash->main.end - crash->main.base);
	json_kv_u64(&j, "low_base", crash->low.base);
	json_kv_u64(&j, "low_size", crash->low.end - crash->low.base);
	json_end_object(&j);
	json_key(&j, "regions");
	json_begin_array(&j);
	for (size_t i = 0; i < mc->map.n; i++) {
		const struct vmk_fwmap_entry *e = &mc->map.e[i];

		json_begin_object(&j);
		json_kv_u64(&j, "base", e->base);
		json_kv_u64(&j, "size", e->size);
		json_kv_str(&j, "kind", vmk_mem_kind_name(e->kind));
		json_kv_u64(&j, "fw_type", e->fw_type);
		json_kv_u64(&j, "attr", e->attr);
		json_kv_u64(&j, "flags", e->flags);
		json_end_object(&j);
	}
	json_end_array(&j);
	json_key(&j, "memblock");
	json_begin_object(&j);
	json_key(&j, "memory");
	json_regions(&j, &mb->memory);
	json_key(&j, "reserved");
	json_regions(&j, &mb->reserved);
	json_end_object(&j);
	json_key(&j, "resources");
	json_raw_value(&j);
	fflush(stdout);
	tool_out_file(&out, stdout);
	vmk_resource_render_json(root, &out);
	json_key(&j, "warnings");
	json_begin_array(&j);
	for (size_t i = 0; i < mc->diag.n; i++)
		if (mc->diag.msg[i].sev >= VMK_FWMAP_WARN)
			json_str(&j, mc->diag.msg[i].text);
	json_end_array(&j);
	json_end_object(&j);
	json_finish(&j);
}

static void print_text(const struct machine *mc, const struct vmk_memblock *mb,
		       const struct vmk_resource *root, const struct summary *s,
		       const char *arch, vmk_paddr_t kbase, uint64_t ksize)
{
	struct vmk_out out;
	char h[32];

	tool_out_file(&out, stdout);
	printf("vmkit memmap: %s (%s, %zu entries read, %zu after sanitizing, %s)\n\n",
	       mc->path, mc->format_name, mc->entries_read, mc->map.n, arch);
	printf("Firmware map (sanitized):\n");
	vmk_fwmap_render_table(&mc->map, &out);
	if (mc->diag.warnings) {
		printf("\nWarnings:\n");
		vmk_fwmap_diag_print(&mc->diag, &out, mc->path, VMK_FWMAP_WARN);
	}
	printf("\nmemblock:\n");
	vmk_memblock_dump(mb, &out);
	if (ksize)
		printf("\nKernel image: [mem 0x%016llx-0x%016llx] %s\n", (unsigned long long)kbase,
		       (unsigned long long)(kbase + ksize - 1), vmk_fmt_size(h, sizeof(h), ksize));
	printf("\n/proc/iomem:\n");
	vmk_resource_render(root, &out);
	printf("\nSummary:\n");
	print_size_line("RAM", s->ram);
	print_size_line("usable", s->usable);
	print_size_line("reserved", s->reserved);
	print_size_line("no-map", s->nomap);
}

int vmkit_cmd_memmap(int argc, char **argv)
{
	static struct vmk_memblock mb;
	static struct vmk_resource crash_res[2];
	struct vmk_crash_region crash = { { 0, 0 }, { 0, 0 } };
	struct memmap_opts o;
	struct machine mc;
	struct vmk_resource root;
	struct vmk_resource_pool pool;
	struct vmk_resource *nodes = NULL;
	char *names = NULL;
	size_t npool;
	vmk_paddr_t kbase = 0;
	const char *arch;
	struct summary s;
	int ret = 1, err;

	if (parse_args(argc, argv, &o))
		return 2;
	if (o.path ? machine_load(&mc, o.path, o.src, o.phys_bits,
				   o.desc_size ? o.desc_size : o.e820_size)
		   : machine_load_default(&mc, o.phys_bits)) {
		machine_free(&mc);
		return 1;
	}
	if (o.arch == ARCH_AUTO)
		o.arch = vmk_boot_guess_arch(&mc.map) == VMK_BOOT_ARCH_X86_64 ? ARCH_X86_64 : ARCH_ARM64;
	arch = o.arch == ARCH_X86_64 ? "x86_64" : "arm64";
	if (!o.reserve_low_set)
		o.reserve_low = o.arch == ARCH_X86_64 ? 64 * VMK_KiB : 0;

	vmk_memblock_init(&mb);
	vmk_memblock_allow_resize(&mb, machine_back_ram(&mc.map));
	err = vmk_boot_memblock_from_fwmap_arch(&mb, &mc.map, o.arch == ARCH_X86_64 ?
						VMK_BOOT_ARCH_X86_64 : VMK_BOOT_ARCH_ARM64);
	if (!err && o.reserve_low)
		err = vmk_memblock_reserve(&mb, 0, o.reserve_low);
	if (err) {
		tool_error(mc.path, 0, "memblock: %s", vmk_strerror(err));
		goto out;
	}
	/* Nodes as Linux's NUMA init gives them from the source's affinity, if it states one. */
	if (machine_numa_apply(&mc, &mb, o.arch == ARCH_X86_64))
		goto out;
	if (vmk_memblock_phys_mem_size(&mb) == 0) {
		tool_error(mc.path, 0, "the map holds no RAM (%zu entries, none of them memory)",
			   mc.map.n);
		goto out;
	}
	if (o.kernel_size) {
		vmk_paddr_t min = o.arch == ARCH_X86_64 ? 16 * VMK_MiB : vmk_memblock_start_of_dram(&mb);

		kbase = o.kernel_addr;
		err = vmk_boot_reserve_kernel(&mb, o.kernel_size, 2 * VMK_MiB, min,
					      o.kernel_fixed, &kbase);
		if (err && o.kernel_fixed) {
			tool_error(mc.path, 0, "kernel image [0x%llx-0x%llx] is not inside free memory (%s)",
				   (unsigned long long)o.kernel_addr,
				   (unsigned long long)(o.kernel_addr + o.kernel_size - 1),
				   vmk_strerror(err));
			goto out;
		} else if (err && o.kernel_given) {
			tool_error(mc.path, 0, "no free memory for a %llu-byte kernel image at or above 0x%llx (%s)",
				   (unsigned long long)o.kernel_size, (unsigned long long)min,
				   vmk_strerror(err));
			goto out;
		} else if (err) {
			/* The default image is only an illustration: the map still matters. */
			tool_warning(mc.path, 0, "no free memory for the default %llu-byte kernel image at or "
				     "above 0x%llx (%s): no kernel image placed",
				     (unsigned long long)o.kernel_size, (unsigned long long)min,
				     vmk_strerror(err));
			o.kernel_size = 0;
			kbase = 0;
		}
	}
	for (size_t i = 0; i < o.nreserve; i++) {
		uint64_t b = o.reserve[i][0], e = o.reserve[i][1];

		/* memblock_reserve() of a range ending at 2^64 - 1 is not representable. */
		err = e == UINT64_MAX ? -VMK_EINVAL : vmk_memblock_reserve(&mb, b, e - b + 1);
		if (err) {
			tool_error(NULL, 0, "--reserve 0x%llx-0x%llx: %s", (unsigned long long)b,
				   (unsigned long long)e, vmk_strerror(err));
			goto out;
		}
	}
	if (o.crashkernel[0]) {
		struct vmk_crash_arch ca;
		struct vmk_crashkernel ck;
		char why[200];

		vmk_crash_arch_defaults(o.arch == ARCH_X86_64 ? VMK_KEXEC_ARCH_X86_64 : VMK_KEXEC_ARCH_ARM64,
					&ca);
		if (vmk_crashkernel_parse_cmdline(o.crashkernel, vmk_memblock_phys_mem_size(&mb), &ca,
						  &ck, why, sizeof(why))) {
			tool_error(NULL, 0, "--crashkernel: %s", why);
			/* Well-formed without a RAM size: it is this machine that does not fit (data). */
			ret = vmk_crashkernel_parse_cmdline(o.crashkernel, 0, &ca, &ck, NULL, 0) ? 2 : 1;
			goto out;
		}
		if (ck.ignored_len)
			tool_warning(NULL, 0, "--crashkernel: '%s': %zu characters ignored, as Linux "
				     "ignores them", o.crashkernel, ck.ignored_len);
		if (vmk_crashkernel_reserve(&mb, &ck, &ca, &crash, why, sizeof(why))) {
			tool_error(mc.path, 0, "%s", why);
			goto out;
		}
	}
	/* One node per map entry and per reservation (and its split), plus room. */
	npool = VMK_MAX((size_t)POOL_NODES, 2 * (mc.map.n + mb.reserved.cnt) + 64);
	nodes = calloc(npool, sizeof(*nodes));
	names = malloc(npool * 8);
	if (!nodes || !names) {
		tool_error(NULL, 0, "out of memory");
		goto out;
	}
	vmk_resource_pool_init(&pool, nodes, npool, names, npool * 8);
	vmk_iomem_root_init(&root);
	/* x86: Linux's /proc/iomem shows its E820 table byte for byte (mc.exact). */
	err = o.arch == ARCH_X86_64 ? vmk_boot_resources_from_fwmap(&root, &pool, &mc.exact)
				    : vmk_boot_resources_from_memblock(&root, &pool, &mb);
	if (!err && crash.main.end > crash.main.base)
		err = vmk_crashkernel_insert_resources(&root, &crash, &crash_res[0], &crash_res[1]);
	if (!err)
		err = vmk_boot_resources_add_reserved(&root, &pool, &mb, kbase, o.kernel_size);
	if (err) {
		tool_error(NULL, 0, "resource tree: %s", vmk_strerror(err));
		goto out;
	}
	vmk_memblock_check(&mb);
	vmk_resource_check(&root);
	s = summarize(&mb);
	if (o.json)
		print_json(&mc, &mb, &root, &s, arch, kbase, o.kernel_size, &crash);
	else
		print_text(&mc, &mb, &root, &s, arch, kbase, o.kernel_size);
	ret = 0;
out:
	free(nodes);
	free(names);
	machine_free(&mc);
	vmk_sim_ram_reset();
	return ret;
}
