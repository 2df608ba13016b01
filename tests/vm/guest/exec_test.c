// SPDX-License-Identifier: Apache-2.0
/*
 * exec_test: exec events for every selection, and two decoders that read
 * the wrong thing before (regression tests of the node safety issue).
 *
 *   exec_test matrix     execve, execveat, execveat(AT_EMPTY_PATH) of a
 *                        memfd and a 64-bit -> 32-bit execve, each under
 *                        six selections (execve, execveat or both, with
 *                        and without lifecycle events): the right decoded
 *                        event exactly once, with the new image's argv,
 *                        or none (and proc_exec with lifecycle) when the
 *                        call is not selected
 *   exec_test capset     capset's data is as long as its header's
 *                        version says (12 bytes for v1, 24 for v3)
 *   exec_test ia32enter  entry events of ia32 syscalls follow the ia32
 *                        selection, not the x86_64 bits of the same number
 *   exec_test child TAG  the exec'd image: exits 0
 *
 * Needs /bin/exec_test (itself) and /bin/ia32_workload. Prints TAP on
 * stdout; exits 1 if any check failed. Run as root.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <time.h>
#include <unistd.h>

#include "kcap.h"
#include "evparam.h"
#include "tap.h"

#define SELF "/bin/exec_test"
#define IA32 "/bin/ia32_workload"
#define MAX_EVENTS 512

static struct kcap_event_hdr *evs[MAX_EVENTS];
static int nevs;
static int child_status;	/* of the last run_child() */
static int nall;		/* events of any process in the last run_child() */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long long num(const struct kcap_event_hdr *ev, const char *name)
{
	int i = kcap_event_param_index(ev, name);
	__s64 v = -0x7fffffff;

	if (i >= 0)
		kcap_event_s64(ev, (unsigned int)i, &v);
	return v;
}

/* Whether the raw bytes of parameter @name hold @needle (strarrays too). */
static bool has(const struct kcap_event_hdr *ev, const char *name, const char *needle)
{
	int i = kcap_event_param_index(ev, name);
	const void *p;
	__u16 len = 0;

	return i >= 0 && !kcap_event_param(ev, (unsigned int)i, &p, &len) &&
	       memmem(p, len, needle, strlen(needle)) != NULL;
}

static struct kcap *open_capture(const char *const *names, __u32 flags)
{
	static char errbuf[256];
	unsigned int nrs[8];
	size_t n = 0;
	struct kcap *h;

	for (; *names; names++)
		nrs[n++] = (unsigned int)kcap_syscall_nr(*names, KCAP_SC_X86_64);
	KCAP_OPTS(kcap_open_opts, o, .ring_size = 1 << 20, .syscalls = nrs, .nr_syscalls = n,
		  .flags = flags, .errbuf = errbuf, .errbuf_sz = sizeof(errbuf));
	h = kcap_open_live(&o);
	if (!h || kcap_start(h)) {
		tap(false, h ? kcap_errmsg(h) : errbuf, "start a capture");
		if (h)
			kcap_close(h);
		return NULL;
	}
	return h;
}

/*
 * Runs @fn in a child once the capture is running, then keeps the child's
 * events (until 150 ms after it was reaped with nothing more to read; the
 * reader holds events back 1 ms).
 */
static pid_t run_child(struct kcap *h, void (*fn)(const void *), const void *arg)
{
	const struct kcap_event_hdr *ev;
	double quiet = 0;
	int go[2], st, err;
	pid_t pid;
	char c = 0;

	while (nevs)
		free(evs[--nevs]);
	nall = 0;
	if (pipe(go))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(9);
		fn(arg);
		_exit(0);
	}
	close(go[0]);
	if (write(go[1], &c, 1) != 1)
		return -1;
	close(go[1]);
	waitpid(pid, &st, 0);
	child_status = st;
	while (!quiet || now_s() < quiet) {
		err = kcap_next(h, &ev);
		if (err == -EAGAIN) {
			if (!quiet)
				quiet = now_s() + 0.15;
			continue;
		}
		if (err) {
			tap_diag("kcap_next: %s", kcap_errmsg(h));
			break;
		}
		quiet = 0;
		nall++;
		if (ev->pid == (__u32)pid && nevs < MAX_EVENTS && (evs[nevs] = malloc(ev->len)))
			memcpy(evs[nevs++], ev, ev->len);
	}
	return pid;
}

static int count(unsigned int type)
{
	int i, n = 0;

	for (i = 0; i < nevs; i++)
		n += evs[i]->type == type;
	return n;
}

static const struct kcap_event_hdr *first(unsigned int type)
{
	int i;

	for (i = 0; i < nevs; i++)
		if (evs[i]->type == type)
			return evs[i];
	return NULL;
}

/* ---- matrix ----------------------------------------------------------------- */

enum exec_kind { K_EXECVE, K_EXECVEAT, K_MEMFD, K_IA32, K_NR };

static const char *const kind_names[K_NR] = {
	"execve", "execveat", "execveat(memfd, AT_EMPTY_PATH)", "execve of a 32-bit image",
};

static int memfd = -1;

static void do_exec(const void *arg)
{
	enum exec_kind k = *(const enum exec_kind *)arg;
	char *const argv[] = { "exec_test", "child", "kcap-exec-tag", NULL };
	char *const argv32[] = { "ia32_workload", "/tmp/kcap-exec-ia32", NULL };
	char *const envp[] = { NULL };

	switch (k) {
	case K_EXECVE:
		execve(SELF, argv, envp);
		break;
	case K_EXECVEAT:
		syscall(SYS_execveat, AT_FDCWD, SELF, argv, envp, 0);
		break;
	case K_MEMFD:
		syscall(SYS_execveat, memfd, "", argv, envp, AT_EMPTY_PATH);
		break;
	default:
		execve(IA32, argv32, envp);
		break;
	}
	_exit(errno);
}

/* A copy of this program in a memfd (not close-on-exec: argv's path). */
static int make_memfd(void)
{
	char buf[65536];
	ssize_t n;
	int in = open(SELF, O_RDONLY), fd = memfd_create("kcap-exec", 0);

	if (in < 0 || fd < 0)
		return -1;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n)
			return -1;
	close(in);
	return fd;
}

static void check_exec(enum exec_kind k, bool sel_execve, bool sel_execveat, bool lifecycle)
{
	const char *sel = sel_execve && sel_execveat ? "execve+execveat" :
			  sel_execve ? "execve" : "execveat";
	unsigned int want = k == K_EXECVE || k == K_IA32 ? KCAP_EVT_EXECVE : KCAP_EVT_EXECVEAT;
	bool selected = want == KCAP_EVT_EXECVE ? sel_execve : sel_execveat;
	const char *names[3] = { NULL, NULL, NULL };
	const struct kcap_event_hdr *e;
	char what[160];
	struct kcap *h;
	int n = 0, err;

	if (sel_execve)
		names[n++] = "execve";
	if (sel_execveat)
		names[n++] = "execveat";
	snprintf(what, sizeof(what), "%s, %s selected, lifecycle %s", kind_names[k], sel,
		 lifecycle ? "on" : "off");
	h = open_capture(names, lifecycle ? 0 : KCAP_OPEN_NO_LIFECYCLE);
	if (!h)
		return;
	run_child(h, do_exec, &k);
	kcap_close(h);
	/* The exec'd image exits 0; a failed exec exits with its errno (5.10
	 * refuses execveat(AT_EMPTY_PATH) of a memfd with ENOENT).
	 */
	err = WIFEXITED(child_status) ? WEXITSTATUS(child_status) : -1;
	if (err)
		tap_diag("%s: the exec failed (%s)", what, strerror(err));

	if (!selected) {
		tap(count(KCAP_EVT_EXECVE) + count(KCAP_EVT_EXECVEAT) == 0, NULL,
		    "%s: no exec event (%d execve, %d execveat)", what, count(KCAP_EVT_EXECVE),
		    count(KCAP_EVT_EXECVEAT));
		tap(count(KCAP_EVT_PROC_EXEC) == (lifecycle && !err ? 1 : 0), NULL,
		    "%s: %d proc_exec", what, count(KCAP_EVT_PROC_EXEC));
		return;
	}
	e = first(want);
	tap(count(want) == 1 && count(want == KCAP_EVT_EXECVE ? KCAP_EVT_EXECVEAT :
						    KCAP_EVT_EXECVE) == 0,
	    NULL, "%s: exactly one %s event (%d execve, %d execveat)", what,
	    want == KCAP_EVT_EXECVE ? "execve" : "execveat", count(KCAP_EVT_EXECVE),
	    count(KCAP_EVT_EXECVEAT));
	if (!e)
		return;
	tap(num(e, "res") == -err && !(e->flags & KCAP_EVF_COMPAT) &&
		    count(KCAP_EVT_PROC_EXEC) == 0,
	    NULL, "%s: res %lld, caller's ABI (flags %#x), no proc_exec besides", what,
	    num(e, "res"), e->flags);
	if (err)
		return;
	if (k == K_IA32)
		tap(has(e, "argv", "/tmp/kcap-exec-ia32"), str(e, "argv"),
		    "%s: the 32-bit image's argv", what);
	else
		tap(has(e, "argv", "kcap-exec-tag"), str(e, "argv"),
		    "%s: the new image's argv", what);
	if (k == K_EXECVEAT)
		tap(num(e, "dirfd") == AT_FDCWD && num(e, "flags") == 0, NULL,
		    "%s: dirfd AT_FDCWD, flags 0 (%lld, %#llx)", what, num(e, "dirfd"),
		    num(e, "flags"));
	if (k == K_MEMFD)
		tap(num(e, "dirfd") == memfd && num(e, "flags") == AT_EMPTY_PATH, NULL,
		    "%s: dirfd is the memfd, flags AT_EMPTY_PATH (%lld, %#llx)", what,
		    num(e, "dirfd"), num(e, "flags"));
}

static void do_failed_exec(const void *arg)
{
	char *const argv[] = { "kcap-missing", NULL };
	char *const envp[] = { NULL };

	(void)arg;
	if (chdir("/proc") == 0)
		execve("/nonexistent/kcap-missing", argv, envp);
}

/*
 * A failed exec is written at syscall exit with the caller's context: its
 * exe (a reference taken under RCU), its cwd (the lock-free fs read) and
 * its cgroup path (the kernfs walk).
 */
static void check_failed_exec_context(void)
{
	static const char *const names[] = { "execve", NULL };
	const struct kcap_event_hdr *e;
	char cg[256] = "/", line[256], exe[256], cwd[256], got[256];
	struct kcap *h;
	FILE *f;

	/* The cgroup v2 path of this process, if the hierarchy is mounted
	 * ("0::/path"); "/" otherwise, the root of the default hierarchy.
	 */
	f = fopen("/proc/self/cgroup", "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			snprintf(cg, sizeof(cg), "%s", line + 3);
			cg[strcspn(cg, "\n")] = '\0';
		}
	if (f)
		fclose(f);
	h = open_capture(names, KCAP_OPEN_NO_LIFECYCLE);
	if (!h)
		return;
	run_child(h, do_failed_exec, NULL);
	kcap_close(h);
	e = first(KCAP_EVT_EXECVE);
	if (!tap(e != NULL, NULL, "failed execve: an event"))
		return;
	snprintf(exe, sizeof(exe), "%s", str(e, "exe"));
	snprintf(cwd, sizeof(cwd), "%s", str(e, "cwd"));
	snprintf(got, sizeof(got), "%s", str(e, "cgroup"));
	tap(num(e, "res") == -ENOENT && !strcmp(exe, SELF) && !strcmp(cwd, "/proc") &&
		    !strcmp(got, cg),
	    NULL, "failed execve: res %lld, exe %s, cwd %s, cgroup %s (want -ENOENT, %s, /proc, %s)",
	    num(e, "res"), exe, cwd, got, SELF, cg);
}

static void cmd_matrix(void)
{
	static const bool sels[3][2] = { { true, false }, { false, true }, { true, true } };
	int k, s, l;

	memfd = make_memfd();
	if (!tap(memfd >= 0, strerror(errno), "a memfd copy of %s", SELF))
		return;
	for (k = 0; k < K_NR; k++)
		for (s = 0; s < 3; s++)
			for (l = 0; l < 2; l++)
				check_exec((enum exec_kind)k, sels[s][0], sels[s][1], l);
	check_failed_exec_context();
}

/* ---- capset ------------------------------------------------------------------ */

static void do_capset(const void *arg)
{
	struct __user_cap_header_struct hdr = { .version = *(const __u32 *)arg };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	syscall(SYS_capget, &hdr, data);
	syscall(SYS_capset, &hdr, data);
}

static void cmd_capset(void)
{
	static const __u32 versions[2] = { _LINUX_CAPABILITY_VERSION_1,
					   _LINUX_CAPABILITY_VERSION_3 };
	static const char *const names[] = { "capset", NULL };
	const struct kcap_event_hdr *e;
	const void *p;
	struct kcap *h;
	__u16 len;
	int v;

	for (v = 0; v < 2; v++) {
		h = open_capture(names, KCAP_OPEN_NO_LIFECYCLE);
		if (!h)
			return;
		run_child(h, do_capset, &versions[v]);
		kcap_close(h);
		e = first(KCAP_EVT_CAPSET);
		len = 0xffff;
		if (e)
			kcap_event_param(e, (unsigned int)kcap_event_param_index(e, "data"), &p,
					 &len);
		tap(e && num(e, "res") == 0 && len == (v ? 24 : 12), NULL,
		    "capset, header version %#x: res 0, %u bytes of data", versions[v], len);
	}
}

/* ---- ia32enter ------------------------------------------------------------- */

static void do_ia32(const void *arg)
{
	char *const argv32[] = { "ia32_workload", "/tmp/kcap-ia32-enter", NULL };
	char *const envp[] = { NULL };

	(void)arg;
	execve(IA32, argv32, envp);
}

/* Entry events with the compat flag, and how many are ia32 write (4). */
static void compat_enters(int *all, int *writes)
{
	int i;

	*all = *writes = 0;
	for (i = 0; i < nevs; i++) {
		if (evs[i]->type != KCAP_EVT_SYSCALL_ENTER || !(evs[i]->flags & KCAP_EVF_COMPAT))
			continue;
		(*all)++;
		*writes += num(evs[i], "nr") == 4;
	}
}

static void cmd_ia32enter(void)
{
	static const char *const write_only[] = { "write", NULL };
	static const char *const stat_only[] = { "stat", NULL };
	struct kcap *h;
	int all, writes;

	h = open_capture(write_only, KCAP_OPEN_ENTER | KCAP_OPEN_NO_LIFECYCLE);
	if (!h)
		return;
	run_child(h, do_ia32, NULL);
	kcap_close(h);
	compat_enters(&all, &writes);
	if (!tap(writes == 1 && all == 1, NULL,
		 "write selected with entry events: the ia32 write has one (%d of %d compat entries)",
		 writes, all)) {
		int i;

		tap_diag("child status %#x, %d events of any process", child_status, nall);
		for (i = 0; i < nevs; i++)
			tap_diag("event %d: type %u flags %#x nparams %u len %u nr %lld", i,
				 evs[i]->type, evs[i]->flags, evs[i]->nparams, evs[i]->len,
				 num(evs[i], "nr"));
	}

	/* x86_64 stat is number 4, ia32 write's number: not the same call. */
	h = open_capture(stat_only, KCAP_OPEN_ENTER | KCAP_OPEN_NO_LIFECYCLE);
	if (!h)
		return;
	run_child(h, do_ia32, NULL);
	kcap_close(h);
	compat_enters(&all, &writes);
	tap(all == 0, NULL, "stat selected with entry events: no ia32 entry event (%d)", all);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (!strcmp(cmd, "child"))
		return 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(cmd, "matrix"))
		cmd_matrix();
	else if (!strcmp(cmd, "capset"))
		cmd_capset();
	else if (!strcmp(cmd, "ia32enter"))
		cmd_ia32enter();
	else {
		fprintf(stderr, "usage: exec_test matrix|capset|ia32enter|child TAG\n");
		return 2;
	}
	return tap_done();
}
