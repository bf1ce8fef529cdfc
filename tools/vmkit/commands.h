/* Subcommands of the vmkit tool: each lives in tools/vmkit/cmd_<name>.c. */
#ifndef VMKIT_TOOL_COMMANDS_H
#define VMKIT_TOOL_COMMANDS_H

/*
 * A subcommand: argv[0] is the subcommand name. Returns the process exit
 * status: 0 on success, 1 for bad input data, 2 for bad usage.
 */
typedef int (*vmkit_cmd_fn)(int argc, char **argv);

struct vmkit_cmd {
	const char *name;
	vmkit_cmd_fn fn;
	const char *summary;
};

#endif
