// SPDX-License-Identifier: Apache-2.0
/*
 * kcap: command-line front end of libkcap. The command table and the
 * dispatch; each command lives in its own file, the helpers they share in
 * common.c.
 */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "fleet.h"

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
	{ "fleet", cmd_fleet, "the NATS JetStream stream of a fleet of exporters" },
	{ "profile", cmd_profile, "AppArmor and seccomp profiles learned from a recording" },
	{ "gvisor", cmd_gvisor, "gVisor sandboxes: the trace session runsc needs for kcap" },
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
	      "  -h, --help     show this help (kcap help COMMAND, or kcap COMMAND --help,\n"
	      "                 for a command)\n"
	      "  -V, --version  show the tool, library and ABI versions\n"
	      "\n"
	      "Capture files: -r FILE reads one (- for standard input), -w FILE writes\n"
	      "one. A copy of a file (kcap read -w) appears under its name only when it\n"
	      "is complete; a live recording (kcap record -w) is written in place.\n"
	      "\n"
	      "Exit status: 0 success, 1 runtime error (also: a write to the output\n"
	      "failed), 2 bad arguments; a command whose output pipe is closed (| head)\n"
	      "ends at once by SIGPIPE, status 141 in the shell.\n",
	      stdout);
}

/*
 * A command started with stdin, stdout or stderr closed would open its
 * files on those numbers and print into them: fill the gap with /dev/null,
 * read-only for stdout so that printing fails (and says so) as it would on
 * the closed descriptor.
 */
static void guard_std_fds(void)
{
	static const int modes[3] = {O_RDONLY, O_RDONLY, O_WRONLY};
	int fd;

	for (fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) >= 0)
			continue;
		if (open("/dev/null", modes[fd]) != fd)
			return;
	}
}

static int run(const struct command *c, int argc, char **argv)
{
	int status = c->run(argc, argv);

	return status ? status : check_output(c->name);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;
	unsigned int v = kcap_lib_version();
	size_t i;

	guard_std_fds();
	/* One behaviour on a closed output pipe for every command, whatever
	 * the parent ignored: SIGPIPE's default action. Sockets are written
	 * with MSG_NOSIGNAL (the exporter) and report EPIPE as an error. */
	signal(SIGPIPE, SIG_DFL);
	/* The commands print one line about a bad option (bad_option()). */
	opterr = 0;
	if (!cmd)
		return usage_error(NULL, "no command given");
	if (!strcmp(cmd, "help") && argc > 2 &&
	    (!strcmp(argv[2], "-h") || !strcmp(argv[2], "--help"))) {
		print_usage();
		return check_output(NULL);
	}
	if (!strcmp(cmd, "help") && argc > 2) {
		/* kcap help COMMAND: kcap COMMAND --help */
		char *help_argv[] = {argv[2], "--help", NULL};

		for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			if (!strcmp(argv[2], commands[i].name))
				return run(&commands[i], 2, help_argv);
		return usage_error(NULL, "unknown command '%s'", argv[2]);
	}
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		print_usage();
		return check_output(NULL);
	}
	if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
		printf("kcap %s (libkcap %u.%u.%u, ABI %u.%u)\n", KCAP_TOOL_VERSION, v / 10000,
		       v / 100 % 100, v % 100, KCAP_ABI_MAJOR, KCAP_ABI_MINOR);
		return check_output(NULL);
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(cmd, commands[i].name))
			return run(&commands[i], argc - 1, argv + 1);
	return usage_error(NULL, "unknown command '%s'", cmd);
}
