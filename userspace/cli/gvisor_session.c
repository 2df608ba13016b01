// SPDX-License-Identifier: Apache-2.0
/*
 * The trace session JSON runsc reads (--pod-init-config, runsc trace
 * create --config): kcap gvisor session-config writes it, --gvisor-attach
 * (gvisor_attach.c) hands it to runsc. Points are chosen from the syscalls
 * kcap captures: the named point where gVisor has one whose message kcap
 * converts, the raw syscall points otherwise; every point asks for all
 * context fields (time, ids, container, credentials, cwd, name), which
 * kcap's events and rules need.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define DEFAULT_POINTS                                                                    \
	"open,openat,creat,close,dup,dup2,dup3,fcntl,chdir,fchdir,chroot,socket,connect,"  \
	"bind,accept,accept4,socketpair,execve,execveat,setuid,setgid,setresuid,setresgid"

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
	{ "read", "\"fd_path\"" },
	{ "write", "\"fd_path\"" },
	{ "pread64", "\"fd_path\"" },
	{ "pwrite64", "\"fd_path\"" },
	{ "socketpair", "" },
	{ "fchdir", "\"fd_path\"" },
	{ "execveat", "\"fd_path\"" },
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

void gvisor_session_write(FILE *f, const char *sink, const unsigned int *nrs, int n,
			  bool lifecycle)
{
	bool first = true;
	char pt[64];
	int i;

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
}

int gvisor_default_points(unsigned int *nrs)
{
	char defpoints[] = DEFAULT_POINTS;
	const char *bad;

	return parse_syscalls(defpoints, nrs, &bad);
}

const char *gvisor_sink_problem(const char *sink)
{
	const char *p;

	if (sink[0] != '/')
		return "an absolute path is needed (runsc connects from its own directory)";
	if (strlen(sink) > 107)
		return "a unix socket path has at most 107 bytes";
	for (p = sink; *p; p++)
		if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
			return "quotes, backslashes and control characters are not supported in "
			       "the path";
	return NULL;
}

