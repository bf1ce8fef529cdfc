/*
 * vmkit iomem FILE: parse a /proc/iomem text, render it back (identical for
 * a well-formed file), as JSON, or as the usable RAM a kexec loader sees.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmkit/resource.h>

#include "commands.h"
#include "util.h"

int vmkit_cmd_iomem(int argc, char **argv);

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vmkit iomem [--json | --usable] FILE\n"
		"\n"
		"Parse FILE as /proc/iomem text (every nesting level; two spaces of indent\n"
		"per level) and print it back in the exact /proc/iomem format. A bad line is\n"
		"reported as FILE:LINE: error: ... with exit status 1. FILE '-' is stdin.\n"
		"\n"
		"  --json     print the tree as JSON: nested objects with start, end\n"
		"             (inclusive, decimal), name, flags, desc and children\n"
		"  --usable   print the RAM a kexec loader may use: System RAM minus the\n"
		"             nested entries that are not RAM (reserved, ACPI, crash kernel)\n"
		"  --help     this text\n");
}

struct usable_total {
	uint64_t bytes;
	bool all;	/* the pieces cover all 2^64 bytes (bytes wrapped to 0) */
};

static int print_usable(void *arg, vmk_paddr_t start, vmk_paddr_t end,
			const struct vmk_resource *res)
{
	struct usable_total *total = arg;
	uint64_t before = total->bytes;

	(void)res;
	printf("%08llx-%08llx : usable\n", (unsigned long long)start, (unsigned long long)end);
	/* Pieces are disjoint: the sum wraps only when it is exactly 2^64. */
	total->bytes += end - start + 1;
	if (total->bytes <= before)
		total->all = true;
	return 0;
}

int vmkit_cmd_iomem(int argc, char **argv)
{
	struct vmk_resource root, *nodes;
	struct vmk_resource_pool pool;
	struct vmk_resource_error err;
	struct vmk_out out;

	tool_out_file(&out, stdout);
	const char *path = NULL;
	bool json = false, usable = false;
	char *text, *names;
	size_t len, lines = 1, i;
	int ret, a;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--help") || !strcmp(argv[a], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[a], "--json") || !strcmp(argv[a], "--usable")) {
			bool *flag = argv[a][2] == 'j' ? &json : &usable;

			if (*flag) {
				tool_error(NULL, 0, "%s given twice", argv[a]);
				return 2;
			}
			*flag = true;
		} else if (argv[a][0] == '-' && argv[a][1]) {
			tool_error(NULL, 0, "unknown option '%s'", argv[a]);
			usage(stderr);
			return 2;
		} else if (path) {
			tool_error(NULL, 0, "more than one FILE");
			return 2;
		} else {
			path = argv[a];
		}
	}
	if (json && usable) {
		tool_error(NULL, 0, "--json and --usable exclude each other");
		return 2;
	}
	if (!path) {
		tool_error(NULL, 0, "no FILE given");
		usage(stderr);
		return 2;
	}
	text = tool_read_file(path, &len);
	if (!text) {
		/* tool_read_file said why */
		return 1;
	}
	/* At most one node per line and every name fits in the text's size. */
	for (i = 0; i < len; i++)
		lines += text[i] == '\n';
	nodes = calloc(lines, sizeof(*nodes));
	names = malloc(len + lines + 1);
	if (!nodes || !names) {
		tool_error(NULL, 0, "out of memory");
		free(nodes);
		free(names);
		free(text);
		return 1;
	}
	vmk_resource_pool_init(&pool, nodes, lines, names, len + lines + 1);
	vmk_iomem_root_init(&root);
	ret = vmk_resource_parse(&root, &pool, text, len, &err);
	if (ret) {
		tool_error(path, err.line, "%s", err.msg);
		ret = 1;
	} else if (json) {
		vmk_resource_render_json(&root, &out);
		fputc('\n', stdout);
	} else if (usable) {
		struct usable_total total = { 0, false };

		vmk_resource_walk_usable_ram(&root, 0, VMK_PADDR_MAX, print_usable, &total);
		if (total.all)
			printf("total usable: 18446744073709551616 bytes\n");
		else
			printf("total usable: %llu bytes\n", (unsigned long long)total.bytes);
	} else {
		vmk_resource_render(&root, &out);
	}
	free(names);
	free(nodes);
	free(text);
	if (fflush(stdout) != 0)
		ret = 1;
	return ret;
}
