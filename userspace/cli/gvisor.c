// SPDX-License-Identifier: Apache-2.0
/*
 * kcap gvisor session-config: the trace session runsc needs to send its
 * sandboxes' events to kcap's gVisor sink (kcap record|detect|export
 * --gvisor-sink), as the JSON runsc --pod-init-config reads. Points are
 * chosen from the syscalls kcap captures: the named point where gVisor has
 * one whose message kcap converts, the raw syscall points otherwise; every
 * point asks for all context fields (time, ids, container, credentials,
 * cwd, name), which kcap's events and rules need.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define DEFAULT_POINTS                                                                    \
	"open,openat,creat,close,dup,dup2,dup3,fcntl,chdir,chroot,socket,connect,bind,"   \
	"accept,accept4,execve,setuid,setgid,setresuid,setresgid"
#define DEFAULT_POINTS_HELP                                                               \
	"open,openat,creat,\n"                                                             \
	"                       close,dup,dup2,dup3,fcntl,chdir,chroot,socket,connect,\n"  \
	"                       bind,accept,accept4,execve,setuid,setgid,setresuid,\n"     \
	"                       setresgid"

static const char gvisor_usage[] =
	"Usage: kcap gvisor session-config --sink PATH [--points LIST] [--no-lifecycle]\n"
	"                                  [-o FILE]\n"
	"Helpers for gVisor sandboxes (docs/gvisor.md).\n"
	"\n"
	"Commands:\n"
	"  session-config   write the trace session for runsc --pod-init-config\n"
	"                   (JSON): the session \"Default\" with a remote sink on\n"
	"                   PATH, where kcap record|detect|export --gvisor-sink\n"
	"                   listens, and the points for LIST\n"
	"\n"
	"Options:\n"
	"  -s, --sink PATH      the sink socket, an absolute path (required)\n"
	"  -p, --points LIST    syscalls (names, comma-separated, as kcap record -e)\n"
	"                       whose points are enabled: those kcap decodes from\n"
	"                       gVisor's named points (the default list) use them,\n"
	"                       any other syscall its raw points (generic syscall\n"
	"                       events); default: " DEFAULT_POINTS_HELP "\n"
	"      --no-lifecycle   leave out container/start, sentry/clone,\n"
	"                       sentry/execve and sentry/task_exit (the exec, fork\n"
	"                       and exit events the process table needs)\n"
	"  -o, --output FILE    write FILE instead of stdout\n"
	"  -h, --help           show this help\n"
	"Example, on a node (runsc as the runtime's handler, see docs/gvisor.md):\n"
	"  $ kcap gvisor session-config --sink /run/kcap/gvisor.sock -o /etc/kcap/gvisor.json\n"
	"  $ kcap detect --gvisor-sink /run/kcap/gvisor.sock &\n"
	"  $ runsc --pod-init-config=/etc/kcap/gvisor.json ... run ...\n"
	"The sink must be listening before a sandbox starts: runsc fails to start\n"
	"one whose sink it cannot connect to.\n";

static const struct option gvisor_opts[] = {
	{ "sink", required_argument, NULL, 's' },
	{ "points", required_argument, NULL, 'p' },
	{ "no-lifecycle", no_argument, NULL, OPT_NO_LIFECYCLE },
	{ "output", required_argument, NULL, 'o' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};


/* Named points whose messages the sink converts, with their optional
 * fields (as runsc 20221219 and later list them: runsc trace metadata). */
static const struct named {
	const char *name;
	const char *optional;
} named[] = {
	{ "open", "" },
	{ "openat", "\"fd_path\"" },
	{ "creat", "\"fd_path\"" },
	{ "close", "\"fd_path\"" },
	{ "dup", "\"fd_path\"" },
	{ "dup2", "\"fd_path\"" },
	{ "dup3", "\"fd_path\"" },
	{ "fcntl", "\"fd_path\"" },
	{ "chdir", "" },
	{ "chroot", "" },
	{ "socket", "" },
	{ "connect", "\"fd_path\"" },
	{ "bind", "\"fd_path\"" },
	{ "accept", "\"fd_path\"" },
	{ "accept4", "\"fd_path\"" },
	{ "execve", "" },
	{ "setuid", "" },
	{ "setgid", "" },
	{ "setresuid", "" },
	{ "setresgid", "" },
};

static const char context[] = "\"context_fields\":[\"time\",\"thread_id\",\"task_start_time\","
			      "\"group_id\",\"thread_group_start_time\",\"container_id\","
			      "\"credentials\",\"cwd\",\"process_name\"]";

static const struct named *find_named(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (!strcmp(named[i].name, name))
			return &named[i];
	return NULL;
}

static void point(FILE *f, bool *first, const char *name, const char *optional)
{
	fprintf(f, "%s\n    {\"name\":\"%s\",%s%s%s%s}", *first ? "" : ",", name,
		*optional ? "\"optional_fields\":[" : "", optional, *optional ? "]," : "", context);
	*first = false;
}

static int session_config(const char *sink, const unsigned int *nrs, int n, bool lifecycle,
			  const char *out)
{
	FILE *f = out ? fopen(out, "w") : stdout;
	bool first = true;
	char pt[64];
	int i;

	if (!f) {
		fprintf(stderr, "kcap gvisor: %s: %s\n", out, strerror(errno));
		return EXIT_RUNTIME;
	}
	fprintf(f, "{\"trace_session\":{\"name\":\"Default\",\"points\":[");
	if (lifecycle) {
		point(f, &first, "container/start", "\"env\"");
		point(f, &first, "sentry/clone", "");
		point(f, &first, "sentry/execve", "");
		point(f, &first, "sentry/task_exit", "");
	}
	for (i = 0; i < n; i++) {
		const char *name = kcap_syscall_name(nrs[i], KCAP_SC_X86_64);
		const struct named *nm = name ? find_named(name) : NULL;

		if (nm) {
			snprintf(pt, sizeof(pt), "syscall/%s/exit", name);
			point(f, &first, pt, nm->optional);
			continue;
		}
		/* a raw exit point has context data only with its entry point */
		snprintf(pt, sizeof(pt), "syscall/sysno/%u/enter", nrs[i]);
		point(f, &first, pt, "");
		snprintf(pt, sizeof(pt), "syscall/sysno/%u/exit", nrs[i]);
		point(f, &first, pt, "");
	}
	fprintf(f, "\n  ],\n  \"sinks\":[{\"name\":\"remote\",\"config\":{\"endpoint\":\"%s\"}}]}}\n",
		sink);
	if (out ? fclose(f) : fflush(f)) {
		fprintf(stderr, "kcap gvisor: %s: %s\n", out ? out : "stdout", strerror(errno));
		return EXIT_RUNTIME;
	}
	return 0;
}

int cmd_gvisor(int argc, char **argv)
{
	static unsigned int nrs[KCAP_SYSCALL_MAX];
	char defpoints[] = DEFAULT_POINTS;
	const char *sink = NULL, *out = NULL, *bad, *p;
	char *points = NULL;
	bool lifecycle = true;
	int c, n;

	if (argc < 2)
		return usage_error("gvisor", "a command is needed: session-config");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(gvisor_usage, stdout);
		return 0;
	}
	if (strcmp(argv[1], "session-config"))
		return usage_error("gvisor", "unknown command '%s'", argv[1]);
	optind = 2;
	while ((c = getopt_long(argc, argv, "s:p:o:h", gvisor_opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(gvisor_usage, stdout);
			return 0;
		case 's':
			sink = optarg;
			break;
		case 'p':
			points = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case OPT_NO_LIFECYCLE:
			lifecycle = false;
			break;
		default:
			return bad_option("gvisor", argc, argv, "s:p:o:h");
		}
	}
	if (optind < argc)
		return usage_error("gvisor", "unexpected argument '%s'", argv[optind]);
	if (!sink)
		return usage_error("gvisor", "--sink PATH is required");
	if (sink[0] != '/')
		return usage_error("gvisor", "--sink %s: an absolute path is needed (runsc "
					     "connects from its own directory)", sink);
	if (strlen(sink) > 107)
		return usage_error("gvisor", "--sink: a unix socket path has at most 107 bytes");
	for (p = sink; *p; p++)
		if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
			return usage_error("gvisor", "--sink: quotes, backslashes and control "
						     "characters are not supported in the path");
	n = parse_syscalls(points ? points : defpoints, nrs, &bad);
	if (n < 0)
		return usage_error("gvisor", "--points: unknown syscall '%s' (see kcap list-syscalls)",
				   bad);
	return session_config(sink, nrs, n, lifecycle, out);
}
