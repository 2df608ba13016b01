// SPDX-License-Identifier: Apache-2.0
/*
 * kcap: command-line front end of libkcap. The command table and the
 * dispatch; each command lives in its own file, the helpers they share in
 * common.c.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#ifndef KCAP_TOOL_VERSION
#define KCAP_TOOL_VERSION "1.0.0"
#endif

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "record", cmd_record, "capture live events, one line per event on stdout" },
	{ "stats", cmd_stats, "show the driver's configuration and per-CPU counters" },
	{ "list-syscalls", cmd_list_syscalls, "list the syscall names kcap knows" },
	{ "list-events", cmd_list_events, "list the event types and their parameters" },
	{ "read", cmd_read, "print or filter a capture file (kcap record -w)" },
	{ "info", cmd_info, "describe a capture file" },
	{ "driver", cmd_driver, "status, check, load and unload the kernel module" },
	{ "detect", cmd_detect, "run detection rules (Falco format) live or on a file" },
	{ "list-fields", cmd_list_fields, "list the fields detection rules can use" },
	{ "export", cmd_export, "stream events as protobuf or JSON (file, socket, listener)" },
};

static void print_usage(void)
{
	size_t i;

	fputs("Usage: kcap COMMAND [OPTIONS]\n"
	      "Capture Linux syscalls and process lifecycle events with the kcap driver.\n"
	      "\n"
	      "Commands:\n",
	      stdout);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		printf("  %-14s %s\n", commands[i].name, commands[i].summary);
	fputs("\n"
	      "Options:\n"
	      "  -h, --help     show this help (kcap COMMAND --help for a command)\n"
	      "  -V, --version  show the tool, library and ABI versions\n"
	      "\n"
	      "Exit status: 0 success, 1 runtime error, 2 bad arguments.\n",
	      stdout);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;
	unsigned int v = kcap_lib_version();
	size_t i;

	if (!cmd)
		return usage_error(NULL, "no command given");
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		print_usage();
		return 0;
	}
	if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
		printf("kcap %s (libkcap %u.%u.%u, ABI %u.%u)\n", KCAP_TOOL_VERSION, v / 10000,
		       v / 100 % 100, v % 100, KCAP_ABI_MAJOR, KCAP_ABI_MINOR);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(cmd, commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	return usage_error(NULL, "unknown command '%s'", cmd);
}
