/*
 * vmkit kexec-plan: where would kexec put the next kernel on this machine?
 * Reads a /proc/iomem text or a firmware map, turns a kernel image (or
 * just its size) and its companions into segments with the boot
 * protocol's rules, places them, and prints the table and what was kept
 * clear. With --crashkernel it reserves the crash kernel as the booting
 * kernel would and plans the kdump load into it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <vmkit/fwmap.h>
#include <vmkit/kexec.h>
#include <vmkit/memblock.h>
#include <vmkit/resource.h>

#include "commands.h"
#include "util.h"
#include "machine.h"
#include "sim.h"

int vmkit_cmd_kexec_plan(int argc, char **argv);

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vmkit kexec-plan (--iomem FILE | --machine FILE) --kernel FILE|SIZE\n"
		"                        [--arch x86_64|arm64|riscv64] [--initrd FILE|SIZE] [--dtb FILE|SIZE]\n"
		"                        [--cmdline STRING] [--crashkernel SPEC]... [--kdump]\n"
		"                        [--keep-kernel] [--top-down | --bottom-up] [--json]\n"
		"\n"
		"Plan a kexec load: place the kernel, initrd, device tree, boot parameters\n"
		"and command line in memory that is really free for the next kernel (RAM\n"
		"minus reserved, no-map, ACPI, firmware ranges, nested /proc/iomem entries)\n"
		"and print each segment's address range and why it went there.\n"
		"\n"
		"  --iomem FILE        a /proc/iomem text (nested entries are honoured; - is stdin)\n"
		"  --machine FILE      a firmware map: a raw UEFI memory map (.efimap) or a\n"
		"                      dmesg/journal text with BIOS-e820 or efi: mem lines (- is stdin)\n"
		"  --arch A            x86_64 (bzImage rules, default), arm64 or riscv64 (their\n"
		"                      Image rules)\n"
		"  --kernel FILE|SIZE  the image (its header is parsed) or a size such as 30M\n"
		"                      for a synthetic image (x86_64: relocatable, init_size =\n"
		"                      SIZE, 2 MiB alignment; arm64: image_size = SIZE, anywhere;\n"
		"                      riscv64: image_size = SIZE, text_offset 2 MiB)\n"
		"  --initrd FILE|SIZE  initramfs (file or size)\n"
		"  --dtb FILE|SIZE     device tree (required for arm64 and riscv64)\n"
		"  --cmdline STRING    the next kernel's command line\n"
		"  --crashkernel SPEC  reserve crashkernel=SPEC (repeat for ,high and ,low) and\n"
		"                      plan a kdump load into the crash kernel region; an --iomem\n"
		"                      that has a \"Crash kernel\" region is used as it is (the\n"
		"                      running kernel reserved it) and SPEC is not reserved again\n"
		"  --kdump             plan a kdump load into the --iomem's \"Crash kernel\" region\n"
		"  --keep-kernel       with --iomem: keep the running kernel's image clear too\n"
		"  --top-down          highest addresses first (default)\n"
		"  --bottom-up         lowest addresses first\n"
		"  --json              print JSON: segments (name, base, size, memsz, ...) and\n"
		"                      excluded (base, size, kind, reason)\n"
		"\n"
		"Options may be given once, except --crashkernel.\n"
		"Exit status: 0 planned, 1 bad input data or nothing fits, 2 bad usage.\n");
}

/* FILE or SIZE: a file's size, or a size with K/M/G. Returns 0, 1 (bad), 2 (usage). */
static int file_or_size(const char *opt, const char *arg, uint64_t *size, bool *is_file)
{
	struct stat sb;
	struct vmk_str s = { arg, strlen(arg) };
	size_t used;

	*is_file = false;
	if (stat(arg, &sb) == 0) {
		if (!S_ISREG(sb.st_mode)) {
			/* A device such as /dev/zero would be read forever. */
			tool_error(arg, 0, "%s: not a regular file", opt);
			return 1;
		}
		*size = (uint64_t)sb.st_size;
		*is_file = true;
		return 0;
	}
	if (vmk_parse_size(s, size, &used) == 0 && used == s.len && *size > 0)
		return 0;
	tool_error(NULL, 0, "%s %s: no such file, and not a size like 16M", opt, arg);
	return 2;
}

static void put(uint8_t *b, size_t off, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		b[off + i] = (uint8_t)(v >> (8 * i));
}

/*
 * An input map must be something that ends: a regular file (/proc files
 * are), a pipe or stdin ("-"); not a device or a directory. Returns 0 or 1.
 */
static int input_ok(const char *opt, const char *path)
{
	struct stat sb;

	if (stat(path, &sb) == 0 && (S_ISCHR(sb.st_mode) || S_ISBLK(sb.st_mode) ||
				     S_ISDIR(sb.st_mode))) {
		tool_error(path, 0, "%s: not a regular file", opt);
		return 1;
	}
	return 0;
}

static const char *arch_name(enum vmk_kexec_arch arch)
{
	return arch == VMK_KEXEC_ARCH_ARM64 ? "arm64" : arch == VMK_KEXEC_ARCH_RISCV64 ? "riscv64" : "x86_64";
}

/* A header for a kernel given only by its size. */
static void synth_kernel(enum vmk_kexec_arch arch, uint64_t size, uint8_t *img, size_t len)
{
	memset(img, 0, len);
	if (arch == VMK_KEXEC_ARCH_RISCV64) {
		put(img, 0x08, 2 * VMK_MiB, 8);		/* text_offset, as Linux's RV64 head.S */
		put(img, 0x10, size, 8);		/* image_size */
		put(img, 0x20, 0x2, 4);			/* header version 0.2 */
		memcpy(img + 0x30, "RISCV\0\0\0", 8);
		put(img, 0x38, VMK_RISCV64_IMAGE_MAGIC2, 4);
		return;
	}
	if (arch == VMK_KEXEC_ARCH_ARM64) {
		put(img, 0x10, size, 8);		/* image_size */
		put(img, 0x18, 0xa, 8);			/* LE, 4K pages, anywhere */
		put(img, 0x38, VMK_ARM64_IMAGE_MAGIC, 4);
		return;
	}
	img[0x1f1] = 3;
	put(img, 0x1fe, 0xaa55, 2);
	memcpy(img + 0x202, "HdrS", 4);
	put(img, 0x206, 0x020f, 2);
	img[0x211] = VMK_BZ_LOADED_HIGH;
	put(img, 0x22c, 0x7fffffff, 4);
	put(img, 0x230, 2 * VMK_MiB, 4);
	img[0x234] = 1;
	img[0x235] = 21;
	put(img, 0x236, VMK_XLF_KERNEL_64 | VMK_XLF_CAN_BE_LOADED_ABOVE_4G, 2);
	put(img, 0x238, 2047, 4);
	put(img, 0x258, 16 * VMK_MiB, 8);
	put(img, 0x260, size > 0xffffffffull ? 0xffffffffull : size, 4);
}

static int load_iomem(struct vmk_kexec_plan *p, const char *path, unsigned int flags,
		      struct vmk_resource *root, struct vmk_resource_pool *pool)
{
	static struct vmk_resource nodes[8192];
	static char names[1 << 18];
	struct vmk_resource_error rerr;
	size_t len;
	char *text = tool_read_file(path, &len);
	int ret;

	if (!text) {
		/* tool_read_file said why */
		return 1;
	}
	vmk_resource_pool_init(pool, nodes, VMK_ARRAY_SIZE(nodes), names, sizeof(names));
	vmk_iomem_root_init(root);
	ret = vmk_resource_parse(root, pool, text, len, &rerr);
	free(text);
	if (ret) {
		tool_error(path, rerr.line, "%s", rerr.msg);
		return 1;
	}
	ret = vmk_kexec_plan_from_resources(p, root, flags);
	if (ret) {
		tool_error(path, 0, "%s", p->err);
		return 1;
	}
	if (p->ram.n == 0) {
		tool_error(path, 0, "no System RAM in this /proc/iomem");
		return 1;
	}
	return 0;
}

static int load_machine(struct vmk_kexec_plan *p, const char *path)
{
	struct machine mc;
	int ret;

	/* Any firmware map the tool reads (UEFI, E820, device tree, dmesg, iomem). */
	if (machine_load(&mc, path, MACHINE_AUTO, 0, 0)) {
		machine_free(&mc);
		return 1;
	}
	/* The parser's warnings, as every command reading a map prints them. */
	machine_print_diag(&mc, VMK_FWMAP_WARN);
	ret = vmk_kexec_plan_from_fwmap(p, &mc.map);
	machine_free(&mc);
	if (ret || p->ram.n == 0) {
		tool_error(path, 0, "%s", ret ? p->err : "no usable RAM");
		return 1;
	}
	return 0;
}

/* Warn about text of a crashkernel= value that Linux skips unread. */
static void warn_ignored(const char *spec, const struct vmk_crashkernel *ck)
{
	const char *v = strstr(spec, "crashkernel=");

	if (!ck->ignored_len || !v)
		return;
	/* The chosen value is one of the words; find it by its parsed position. */
	for (; v; v = strstr(v + 1, "crashkernel=")) {
		const char *val = v + strlen("crashkernel=");
		size_t len = strcspn(val, " ");

		if (ck->ignored_pos + ck->ignored_len <= len) {
			tool_warning(NULL, 0, "crashkernel=%.*s: '%.*s' ignored, as Linux ignores it",
				     (int)len, val, (int)ck->ignored_len, val + ck->ignored_pos);
			return;
		}
	}
}

/*
 * Parse crashkernel= for this machine. Returns 0, 1 when the value is
 * fine but not for this machine (a size >= RAM), 2 when it is malformed.
 */
static int parse_crash(const char *spec, uint64_t ram, const struct vmk_crash_arch *ca,
		       struct vmk_crashkernel *ck)
{
	struct vmk_crashkernel any;
	char err[256];

	if (!vmk_crashkernel_parse_cmdline(spec, ram, ca, ck, err, sizeof(err))) {
		warn_ignored(spec, ck);
		return 0;
	}
	tool_error(NULL, 0, "%s", err);
	/* Well-formed when RAM is unknown: the machine is what does not fit. */
	return vmk_crashkernel_parse_cmdline(spec, 0, ca, &any, NULL, 0) ? 2 : 1;
}

/* The ranges a kdump dumps: RAM minus the crash regions and no-map ranges. */
static int dump_ranges(const struct vmk_kexec_plan *p, const struct vmk_crash_region *cr,
		       struct vmk_range *dump, size_t cap, size_t *ndump)
{
	struct vmk_range nst[VMK_KEXEC_MAX_EXCL];
	struct vmk_rangeset nomap;

	vmk_rangeset_init(&nomap, nst, VMK_ARRAY_SIZE(nst));
	for (size_t i = 0; i < p->nexcl; i++)
		if (p->excl[i].kind == VMK_KEXEC_EXCL_NOMAP)
			vmk_rangeset_add(&nomap, p->excl[i].base, p->excl[i].end);
	if (vmk_kdump_ranges(&p->ram, &nomap, cr, dump, cap, ndump)) {
		tool_error(NULL, 0, "too many ranges to dump");
		return 1;
	}
	return 0;
}

/* Reserve crashkernel= on a memblock made from the plan, as the booting kernel would. */
static int reserve_crash(struct vmk_kexec_plan *p, const char *spec, enum vmk_kexec_arch arch,
			 struct vmk_crash_region *cr)
{
	static struct vmk_memblock mb;
	struct vmk_crash_arch ca;
	struct vmk_crashkernel ck;
	char err[256];
	int ret;

	vmk_crash_arch_defaults(arch, &ca);
	ret = parse_crash(spec, vmk_rangeset_total(&p->ram), &ca, &ck);
	if (ret)
		return ret;
	if (ck.form == VMK_CK_NONE || ck.size == 0) {
		tool_error(NULL, 0, "%s: reserves nothing on this machine (%s of RAM)", spec,
			   vmk_fmt_size(err, sizeof(err), vmk_rangeset_total(&p->ram)));
		return 1;
	}
	for (size_t i = 0; i < p->ram.n; i++)
		vmk_sim_ram_add(p->ram.r[i].base, p->ram.r[i].end - p->ram.r[i].base);
	vmk_memblock_init(&mb);
	vmk_memblock_allow_resize(&mb, true);
	ret = vmk_kexec_plan_to_memblock(p, &mb);
	if (!ret)
		ret = vmk_crashkernel_reserve(&mb, &ck, &ca, cr, err, sizeof(err));
	if (ret) {
		tool_error(NULL, 0, "%s", err[0] ? err : vmk_strerror(ret));
		return 1;
	}
	return 0;
}

static const char *need_arg(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc) {
		tool_error(NULL, 0, "%s needs an argument", argv[*i]);
		return NULL;
	}
	return argv[++*i];
}

int vmkit_cmd_kexec_plan(int argc, char **argv)
{
	static struct vmk_kexec_store st, crash_st;
	static struct vmk_kexec_plan plan, cplan;
	static struct vmk_range dump[4096];
	static struct vmk_resource root;
	static struct vmk_resource_pool pool;
	static uint8_t synth[0x4000];
	const char *iomem = NULL, *machine = NULL, *kernel = NULL, *initrd = NULL, *dtb = NULL;
	const char *cmdline = NULL;
	char ckspec[1024] = "";
	enum vmk_kexec_arch arch = VMK_KEXEC_ARCH_X86_64;
	enum vmk_kexec_dir dir = VMK_KEXEC_TOP_DOWN;
	bool json = false, keep = false, kdump = false, kfile, existing = false;
	struct vmk_kexec_load ld;
	struct vmk_crash_region cr = { 0 };
	struct vmk_kexec_plan *p = &plan;
	struct tool_seen seen = { .n = 0 };
	struct vmk_out o;

	tool_out_file(&o, stdout);
	uint64_t ksize = 0, sz;
	size_t ndump = 0, klen = 0;
	char *kbuf = NULL;
	int ret;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		}
		/* Every option but --crashkernel once; the two directions exclude each other. */
		if (strcmp(a, "--crashkernel") && !tool_seen_once(&seen, a))
			return 2;
		if (!strcmp(a, "--json")) {
			json = true;
		} else if (!strcmp(a, "--top-down") || !strcmp(a, "--bottom-up")) {
			if (tool_seen_has(&seen, a[2] == 't' ? "--bottom-up" : "--top-down")) {
				tool_error(NULL, 0, "--top-down and --bottom-up exclude each other");
				return 2;
			}
			dir = a[2] == 't' ? VMK_KEXEC_TOP_DOWN : VMK_KEXEC_BOTTOM_UP;
		} else if (!strcmp(a, "--keep-kernel")) {
			keep = true;
		} else if (!strcmp(a, "--kdump")) {
			kdump = true;
		} else if (!strcmp(a, "--iomem") || !strcmp(a, "--machine") || !strcmp(a, "--arch") ||
			   !strcmp(a, "--kernel") || !strcmp(a, "--initrd") || !strcmp(a, "--dtb") ||
			   !strcmp(a, "--cmdline") || !strcmp(a, "--crashkernel")) {
			v = need_arg(argc, argv, &i);
			if (!v)
				return 2;
			if (!strcmp(a, "--iomem"))
				iomem = v;
			else if (!strcmp(a, "--machine"))
				machine = v;
			else if (!strcmp(a, "--kernel"))
				kernel = v;
			else if (!strcmp(a, "--initrd"))
				initrd = v;
			else if (!strcmp(a, "--dtb"))
				dtb = v;
			else if (!strcmp(a, "--cmdline"))
				cmdline = v;
			else if (!strcmp(a, "--crashkernel")) {
				size_t n = strlen(ckspec);

				if (n + strlen(v) + 14 >= sizeof(ckspec)) {
					tool_error(NULL, 0, "too many --crashkernel");
					return 2;
				}
				snprintf(ckspec + n, sizeof(ckspec) - n, "%scrashkernel=%s", n ? " " : "", v);
			} else if (!strcmp(v, "x86_64") || !strcmp(v, "x86-64") || !strcmp(v, "amd64")) {
				arch = VMK_KEXEC_ARCH_X86_64;
			} else if (!strcmp(v, "arm64") || !strcmp(v, "aarch64")) {
				arch = VMK_KEXEC_ARCH_ARM64;
			} else if (!strcmp(v, "riscv64") || !strcmp(v, "riscv")) {
				arch = VMK_KEXEC_ARCH_RISCV64;
			} else {
				tool_error(NULL, 0, "--arch %s: use x86_64, arm64 or riscv64", v);
				return 2;
			}
		} else {
			tool_error(NULL, 0, "unknown option '%s'", a);
			usage(stderr);
			return 2;
		}
	}
	if (!!iomem == !!machine) {
		tool_error(NULL, 0, "give exactly one of --iomem FILE or --machine FILE");
		return 2;
	}
	if (!kernel) {
		tool_error(NULL, 0, "--kernel FILE|SIZE is required");
		return 2;
	}
	if (kdump && !iomem) {
		tool_error(NULL, 0, "--kdump uses the Crash kernel region of an --iomem file; with "
			   "--machine give --crashkernel SPEC");
		return 2;
	}

	memset(&ld, 0, sizeof(ld));
	ld.arch = arch;
	ld.cmdline = cmdline;
	ld.ncpus = 1;
	ret = file_or_size("--kernel", kernel, &ksize, &kfile);
	if (ret)
		return ret;
	if (kfile) {
		kbuf = tool_read_file(kernel, &klen);
		if (!kbuf) {
			/* tool_read_file said why */
			return 1;
		}
		ld.kernel = kbuf;
		ld.kernel_len = klen;
	} else {
		synth_kernel(arch, ksize, synth, sizeof(synth));
		ld.kernel = synth;
		ld.kernel_len = sizeof(synth);
		/* The synthetic header describes a file of SIZE bytes (x86-64: plus the setup). */
		ld.kernel_size = ksize;
		if (arch == VMK_KEXEC_ARCH_X86_64 && vmk_add_overflow(ksize, 2048, &ld.kernel_size)) {
			tool_error(NULL, 0, "--kernel %s: too large", kernel);
			return 1;
		}
	}
	if (initrd && (ret = file_or_size("--initrd", initrd, &sz, &kfile)) != 0)
		goto out;
	ld.initrd_size = initrd ? sz : 0;
	if (dtb && (ret = file_or_size("--dtb", dtb, &sz, &kfile)) != 0)
		goto out;
	ld.dtb_size = dtb ? sz : 0;

	ret = input_ok(iomem ? "--iomem" : "--machine", iomem ? iomem : machine);
	if (ret)
		goto out;
	vmk_kexec_plan_init_store(&plan, &st);
	ret = iomem ? load_iomem(&plan, iomem, keep ? VMK_KEXEC_KEEP_RUNNING_KERNEL : 0, &root, &pool)
		    : load_machine(&plan, machine);
	if (ret)
		goto out;
	vmk_kexec_set_dir(&plan, dir);

	/*
	 * A /proc/iomem of a running kernel shows the crash kernel it reserved
	 * at boot: a kdump load goes there, nothing is reserved again.
	 */
	if ((kdump || ckspec[0]) && iomem && vmk_kexec_find_crash_regions(&root, &cr) == 0) {
		existing = true;
		if (ckspec[0])
			tool_warning(iomem, 0, "has a Crash kernel region (0x%llx-0x%llx): the kdump "
				     "load goes there and %s is not reserved again",
				     (unsigned long long)cr.main.base,
				     (unsigned long long)(cr.main.end - 1), ckspec);
	} else if (kdump) {
		tool_error(iomem, 0, "no Crash kernel region (the kernel did not reserve "
			   "crashkernel=); give --crashkernel SPEC to reserve one");
		ret = 1;
		goto out;
	} else if (ckspec[0]) {
		ret = reserve_crash(&plan, ckspec, arch, &cr);
		if (ret)
			goto out;
	}
	if (existing || ckspec[0]) {
		ret = dump_ranges(&plan, &cr, dump, VMK_ARRAY_SIZE(dump), &ndump);
		if (ret)
			goto out;
		vmk_kexec_plan_init_store(&cplan, &crash_st);
		vmk_kexec_set_dir(&cplan, dir);
		vmk_kexec_plan_crash(&cplan, &cr.main, 1);
		ld.mode = VMK_KEXEC_CRASH;
		ld.dump = dump;
		ld.ndump = ndump;
		p = &cplan;
	}
	ret = vmk_kexec_load_image(p, &ld);
	if (ret) {
		/* A bad header is the kernel file's fault; anything else the map's. */
		tool_error(ret == -VMK_EPARSE && kbuf ? kernel : iomem ? iomem : machine, 0, "%s", p->err);
		ret = 1;
		goto out;
	}
	VMK_VERIFY(vmk_kexec_verify(p) == 0, "kexec-plan: %s", p->err);

	if (json) {
		vmk_out_printf(&o, "{\"arch\":\"%s\",\"mode\":\"%s\",\"crash_region\":\"%s\",",
			       arch_name(arch),
			       p == &cplan ? "kdump" : "kexec",
			       p != &cplan ? "none" : existing ? "existing" : "reserved");
		vmk_kexec_render_json_fields(p, &o);
		if (p == &cplan) {
			vmk_out_printf(&o, ",\"crashkernel\":{\"base\":%llu,\"size\":%llu,"
				       "\"low_base\":%llu,\"low_size\":%llu},\"dump\":[",
				       (unsigned long long)cr.main.base,
				       (unsigned long long)(cr.main.end - cr.main.base),
				       (unsigned long long)cr.low.base,
				       (unsigned long long)(cr.low.end - cr.low.base));
			for (size_t i = 0; i < ndump; i++)
				vmk_out_printf(&o, "%s{\"base\":%llu,\"size\":%llu}", i ? "," : "",
					       (unsigned long long)dump[i].base,
					       (unsigned long long)(dump[i].end - dump[i].base));
			vmk_out_puts(&o, "]");
		}
		vmk_out_puts(&o, "}\n");
	} else {
		char s[24];

		printf("%s %s load from %s\n", arch_name(arch),
		       p == &cplan ? "kdump" : "kexec", iomem ? iomem : machine);
		if (p == &cplan) {
			printf("crash kernel (%s): 0x%016llx-0x%016llx (%s)",
			       existing ? "reserved by the running kernel" : ckspec,
			       (unsigned long long)cr.main.base, (unsigned long long)(cr.main.end - 1),
			       vmk_fmt_size(s, sizeof(s), cr.main.end - cr.main.base));
			if (cr.low.end > cr.low.base)
				printf(", low 0x%016llx-0x%016llx (%s)", (unsigned long long)cr.low.base,
				       (unsigned long long)(cr.low.end - 1),
				       vmk_fmt_size(s, sizeof(s), cr.low.end - cr.low.base));
			printf("\nranges the kdump dumps (RAM minus crash kernel and no-map): %zu\n", ndump);
			for (size_t i = 0; i < ndump; i++)
				printf("  0x%016llx-0x%016llx %s\n", (unsigned long long)dump[i].base,
				       (unsigned long long)(dump[i].end - 1),
				       vmk_fmt_size(s, sizeof(s), dump[i].end - dump[i].base));
			printf("\n");
		}
		vmk_kexec_render(p, &o);
	}
	ret = 0;
out:
	free(kbuf);
	return ret;
}
