/* vmkit: the command-line tool. Dispatches to tools/vmkit/cmd_*.c. */
#include <stdio.h>
#include <string.h>

#include <vmkit/version.h>

#include "commands.h"
#include "sim.h"
#include "util.h"

/* Each subcommand adds one line here and one declaration above the table. */
int vmkit_cmd_memmap(int argc, char **argv);
int vmkit_cmd_iomem(int argc, char **argv);
int vmkit_cmd_kexec_plan(int argc, char **argv);
int vmkit_cmd_phys(int argc, char **argv);
int vmkit_cmd_ptdump(int argc, char **argv);
int vmkit_cmd_boot(int argc, char **argv);
int vmkit_cmd_stress(int argc, char **argv);

static const struct vmkit_cmd commands[] = {
	{ "boot", vmkit_cmd_boot, "simulate a whole boot on a machine description: phases, /proc/iomem, buddyinfo, mappings, accounting, --svg" },
	{ "memmap", vmkit_cmd_memmap, "ingest a firmware memory map, run memblock, print map, regions, /proc/iomem, summary" },
	{ "iomem", vmkit_cmd_iomem, "parse /proc/iomem text and render it back, as JSON or as usable RAM" },
	{ "kexec-plan", vmkit_cmd_kexec_plan, "place kexec/kdump segments in memory the next kernel does not need" },
	{ "phys", vmkit_cmd_phys, "boot a machine up to the page allocator: boot report, buddyinfo, frame states" },
	{ "stress", vmkit_cmd_stress, "soak: a random workload over every layer on several simulated CPUs, checked and balanced" },
	{ "ptdump", vmkit_cmd_ptdump, "boot a simulated machine and dump its page tables (ptdump style)" },
	{ NULL, NULL, NULL },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: vmkit <command> [options]   (vmkit <command> --help for details)\n"
		"       vmkit --version\n\ncommands:\n");
	for (const struct vmkit_cmd *c = commands; c->name; c++)
		fprintf(f, "  %-12s %s\n", c->name, c->summary);
	/*
	 * The one text of the exit statuses, the JSON conventions and the
	 * environment: the manual's EXIT STATUS, JSON and ENVIRONMENT
	 * sections are made from it
	 * (tools/mkman.sh), the docs point here.
	 */
	fprintf(f, "\nexit status:\n"
		"  0  success\n"
		"  1  bad input data: the message names the file and the line or entry\n"
		"     (FILE:LINE: error: ...); also the cases a command's --help adds\n"
		"  2  bad usage: an unknown option, a missing or malformed value, an option\n"
		"     given twice, two options that contradict each other\n"
		"\njson:\n"
		"  With --json a command prints one JSON document on standard output\n"
		"  instead of text; its --help names the keys (docs/tool.md has the\n"
		"  schemas). The keys are a stable interface: new keys may be added,\n"
		"  existing keys keep their names and meanings. Numbers are decimal\n"
		"  integers, addresses and sizes in bytes, unless the command's --help\n"
		"  says otherwise. A range is base and size, or start and end: the end\n"
		"  of a /proc/iomem entry is inclusive (as in /proc/iomem), any other\n"
		"  end exclusive. Strings read from the input are escaped so that the\n"
		"  output is valid JSON whatever bytes the input held.\n"
		"\nenvironment:\n"
		"  VMK_SIM_LOG  set and not 0: the library's own log messages (memblock\n"
		"               growing its arrays, frames marked bad, ...) go to standard\n"
		"               error as 'vmkit LEVEL: message'\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		if (argc > 2) {
			tool_error(NULL, 0, "--version takes no arguments");
			return 2;
		}
		printf("vmkit %s\n", vmk_version());
		return 0;
	}
	vmk_sim_install();
	for (const struct vmkit_cmd *c = commands; c->name; c++) {
		static char name[64];

		if (strcmp(argv[1], c->name))
			continue;
		snprintf(name, sizeof(name), "vmkit %s", c->name);
		tool_set_command(name);
		return c->fn(argc - 1, argv + 1);
	}
	tool_error(NULL, 0, "unknown command '%s'", argv[1]);
	usage(stderr);
	return 2;
}
