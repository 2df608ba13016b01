// SPDX-License-Identifier: Apache-2.0
/*
 * kcap: command-line front end of libkcap. Dispatches subcommands and holds
 * the argument helpers they share.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#ifndef KCAP_TOOL_VERSION
#define KCAP_TOOL_VERSION "1.0.0"
#endif

static const char main_usage[] =
	"Usage: kcap COMMAND [OPTIONS]\n"
	"Capture Linux syscalls and process lifecycle events with the kcap driver.\n"
	"\n"
	"Commands:\n"
	"  record         capture live events, one line per event on stdout\n"
	"  stats          show the driver's configuration and per-CPU counters\n"
	"  list-syscalls  list the syscall names kcap knows\n"
	"  list-events    list the event types and their parameters\n"
	"  read           print or filter a capture file (kcap record -w)\n"
	"  info           describe a capture file\n"
	"  driver         status, check, load and unload the kernel module\n"
	"  detect         run detection rules (Falco format) live or on a file\n"
	"  list-fields    list the fields detection rules can use\n"
	"  export         stream events as protobuf or JSON (file, socket, listener)\n"
	"\n"
	"Options:\n"
	"  -h, --help     show this help (kcap COMMAND --help for a command)\n"
	"  -V, --version  show the tool, library and ABI versions\n"
	"\n"
	"Exit status: 0 success, 1 runtime error, 2 bad arguments.\n";

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "kcap%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see kcap%s%s --help)\n", cmd ? " " : "", cmd ? cmd : "");
	return EXIT_USAGE;
}

bool parse_u64(const char *s, unsigned long long min, unsigned long long max,
	       unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool parse_size(const char *s, unsigned long long *out)
{
	char *end;
	unsigned long long v;
	unsigned int shift = 0;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return false;
	if (*end == 'k' || *end == 'K')
		shift = 10;
	else if (*end == 'm' || *end == 'M')
		shift = 20;
	else if (*end == 'g' || *end == 'G')
		shift = 30;
	else if (*end)
		return false;
	if (shift && end[1])
		return false;
	if (v > (~0ULL >> shift))
		return false;
	*out = v << shift;
	return true;
}

int parse_syscalls(char *list, unsigned int *nrs, const char **bad)
{
	char *save = NULL, *tok;
	unsigned long long v;
	int n = 0, nr, i;

	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (parse_u64(tok, 0, KCAP_SYSCALL_MAX - 1, &v))
			nr = (int)v;
		else
			nr = kcap_syscall_nr(tok, KCAP_SC_X86_64);
		if (nr < 0) {
			*bad = tok;
			return -1;
		}
		for (i = 0; i < n && nrs[i] != (unsigned int)nr; i++)
			;
		if (i == n && n < KCAP_SYSCALL_MAX)
			nrs[n++] = (unsigned int)nr;
	}
	if (!n) {
		*bad = "";
		return -1;
	}
	return n;
}

static volatile int stop_flag;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

volatile int *install_stop_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a signal ends the poll() wait at once. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return &stop_flag;
}

static const char list_usage[] = "Usage: kcap list-syscalls [--ia32]\n"
				 "Print \"NUMBER NAME\" for every syscall kcap can name, x86_64\n"
				 "numbering (or ia32 with --ia32). Use the names with record -e.\n";

int cmd_list_syscalls(int argc, char **argv)
{
	enum kcap_syscall_abi abi = KCAP_SC_X86_64;
	unsigned int nr, max;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--ia32")) {
			abi = KCAP_SC_IA32;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(list_usage, stdout);
			return 0;
		} else {
			return usage_error("list-syscalls", "unexpected argument '%s'", argv[i]);
		}
	}
	max = kcap_syscall_max(abi);
	for (nr = 0; nr < max; nr++)
		if (kcap_syscall_name(nr, abi))
			printf("%u %s\n", nr, kcap_syscall_name(nr, abi));
	return fflush(stdout) ? EXIT_RUNTIME : 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;
	unsigned int v = kcap_lib_version();

	if (!cmd)
		return usage_error(NULL, "no command given");
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		fputs(main_usage, stdout);
		return 0;
	}
	if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
		printf("kcap %s (libkcap %u.%u.%u, ABI %u.%u)\n", KCAP_TOOL_VERSION, v / 10000,
		       v / 100 % 100, v % 100, KCAP_ABI_MAJOR, KCAP_ABI_MINOR);
		return 0;
	}
	if (!strcmp(cmd, "record"))
		return cmd_record(argc - 1, argv + 1);
	if (!strcmp(cmd, "stats"))
		return cmd_stats(argc - 1, argv + 1);
	if (!strcmp(cmd, "list-syscalls"))
		return cmd_list_syscalls(argc - 1, argv + 1);
	if (!strcmp(cmd, "list-events"))
		return cmd_list_events(argc - 1, argv + 1);
	if (!strcmp(cmd, "read"))
		return cmd_read(argc - 1, argv + 1);
	if (!strcmp(cmd, "info"))
		return cmd_info(argc - 1, argv + 1);
	if (!strcmp(cmd, "driver"))
		return cmd_driver(argc - 1, argv + 1);
	if (!strcmp(cmd, "detect"))
		return cmd_detect(argc - 1, argv + 1);
	if (!strcmp(cmd, "list-fields"))
		return cmd_list_fields(argc - 1, argv + 1);
	if (!strcmp(cmd, "export"))
		return cmd_export(argc - 1, argv + 1);
	return usage_error(NULL, "unknown command '%s'", cmd);
}
