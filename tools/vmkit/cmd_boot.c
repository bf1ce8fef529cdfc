/*
 * vmkit boot: simulate a whole boot on a machine description and report
 * it (phases and their times, /proc/iomem, buddyinfo, kernel mappings by
 * size and permission, memory accounting), as text or JSON, and draw
 * physical memory as an SVG picture. Format: docs/boot-sim.md.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd_boot.h"
#include "util.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: vmkit boot [MACHINE] [--json] [--svg FILE] [--eager]\n"
"\n"
"Simulate a whole boot on a machine description (docs/boot-sim.md; examples\n"
"in examples/machines/): the firmware map, memblock with NUMA nodes, the\n"
"kernel image and preloaded files, crashkernel= from the command line,\n"
"/proc/iomem, the hand-over to the page allocator, the kernel page tables\n"
"(direct map, image by section with W^X), then kmem, per-CPU areas and the\n"
"microcode bundle when the build has the kmem layer. Prints each phase with\n"
"its time, /proc/iomem, /proc/buddyinfo, the kernel mappings by size and\n"
"permission, and the memory accounting (every byte of RAM in exactly one\n"
"category). Without MACHINE, the embedded default machine (QEMU q35, 4 GiB,\n"
"OVMF map, a kernel, two modules and a microcode bundle) boots.\n"
"\n"
"  --json       one JSON document (keys: machine, arch, cpus, nodes, cmdline,\n"
"               firmware_format, phases, total_ns, kernel, preloads, crashkernel,\n"
"               accounting, mappings, mapping_regions, mapped_bytes_total,\n"
"               wx_bytes, unmapped_bytes, phys, iomem)\n"
"  --svg FILE   also write a picture of physical memory after boot\n"
"  --eager      initialise every page record at the hand-over (default: lazily)\n"
"  --help       this text\n");
}

int vmkit_cmd_boot(int argc, char **argv)
{
	const char *path = NULL, *svg = NULL;
	bool json = false, eager = false, embedded;
	struct machine_desc *d = calloc(1, sizeof(*d));
	struct boot *b = calloc(1, sizeof(*b));
	char dir[MD_PATH_MAX] = "";
	int ret = 1;

	if (!d || !b) {
		fprintf(stderr, "vmkit boot: out of memory\n");
		free(d);
		free(b);
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			ret = 0;
			goto out;
		} else if (!strcmp(a, "--json")) {
			json = true;
		} else if (!strcmp(a, "--eager")) {
			eager = true;
		} else if (!strcmp(a, "--svg")) {
			if (i + 1 >= argc || svg) {
				fprintf(stderr, "vmkit boot: --svg needs one FILE\n");
				ret = 2;
				goto out;
			}
			svg = argv[++i];
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "vmkit boot: unknown option '%s' (see --help)\n", a);
			ret = 2;
			goto out;
		} else if (path) {
			fprintf(stderr, "vmkit boot: give one MACHINE only\n");
			ret = 2;
			goto out;
		} else {
			path = a;
		}
	}
	embedded = !path;
	if (embedded) {
		b->name = "<embedded q35-4G>";
		if (machine_desc_parse(d, b->name, (const char *)vmkit_default_boot, vmkit_default_boot_len))
			goto out;
	} else {
		size_t len;
		char *text = tool_read_file(path, &len);
		const char *slash = strrchr(path, '/');
		int r;

		if (!text)
			goto out;
		b->name = path;
		if (slash)
			snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
		if (slash == path)
			snprintf(dir, sizeof(dir), "/");
		r = machine_desc_parse(d, path, text, len);
		free(text);
		if (r)
			goto out;
	}
	if (boot_run(b, d, dir, embedded, eager))
		goto out_boot;
	if (json)
		boot_print_json(b, stdout);
	else
		boot_print_text(b, stdout);
	fflush(stdout);
	if (svg && boot_write_svg(b, svg))
		goto out_boot;
	ret = 0;
out_boot:
	boot_free(b);
out:
	free(d);
	free(b);
	return ret;
}
