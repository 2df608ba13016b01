// SPDX-License-Identifier: Apache-2.0
/*
 * kcap gvisor session-config: the trace session runsc needs to send its
 * sandboxes' events to kcap's gVisor sink (kcap record|detect|export
 * --gvisor-sink), as the JSON runsc --pod-init-config reads (written by
 * gvisor_session.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define DEFAULT_POINTS_HELP                                                               \
	"open,openat,creat,\n"                                                             \
	"                       close,dup,dup2,dup3,fcntl,chdir,fchdir,chroot,socket,\n"  \
	"                       connect,bind,accept,accept4,socketpair,execve,\n"         \
	"                       execveat,setuid,setgid,setresuid,setresgid"

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


static int session_config(const char *sink, const unsigned int *nrs, int n, bool lifecycle,
			  const char *out)
{
	FILE *f = out ? fopen(out, "w") : stdout;

	if (!f) {
		fprintf(stderr, "kcap gvisor: %s: %s\n", out, strerror(errno));
		return EXIT_RUNTIME;
	}
	gvisor_session_write(f, sink, nrs, n, lifecycle);
	if (out ? fclose(f) : fflush(f)) {
		fprintf(stderr, "kcap gvisor: %s: %s\n", out ? out : "stdout", strerror(errno));
		return EXIT_RUNTIME;
	}
	return 0;
}

int cmd_gvisor(int argc, char **argv)
{
	static unsigned int nrs[KCAP_SYSCALL_MAX];
	const char *sink = NULL, *out = NULL, *bad, *problem;
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
	problem = gvisor_sink_problem(sink);
	if (problem)
		return usage_error("gvisor", "--sink %s: %s", sink, problem);
	n = points ? parse_syscalls(points, nrs, &bad) : gvisor_default_points(nrs);
	if (n < 0)
		return usage_error("gvisor", "--points: unknown syscall '%s' (see kcap list-syscalls)",
				   bad);
	return session_config(sink, nrs, n, lifecycle, out);
}
