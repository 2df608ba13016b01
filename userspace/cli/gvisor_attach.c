// SPDX-License-Identifier: Apache-2.0
/*
 * --gvisor-attach: kcap's trace session in the gVisor sandboxes that were
 * running before kcap started (a sandbox connects to its sink once, when
 * it starts: one started while kcap was down, or with a session whose
 * kcap has since restarted, sends nothing to this kcap otherwise).
 *
 * A thread, for each runsc root: `runsc --root R list` (its text table:
 * ID, PID, STATUS, ...), and for each running sandbox (a container whose
 * state file is R/<id>_sandbox:<id>.state: `trace create` wants the
 * sandbox's id, not that of another container in it)
 * `runsc --root R trace create --force --config FILE <id>`, FILE holding
 * kcap gvisor session-config's session "Default" for the sink. --force
 * replaces a session of that name, so a sandbox started with
 * --pod-init-config (the same session name) never sends its points twice.
 * runsc returns after the sandbox has connected and the sink has answered
 * its handshake, which the command's event loop does meanwhile: hence the
 * thread. At the end, `runsc trace delete --name Default <id>` for each
 * sandbox attached, so that none keeps sending to a socket nobody reads.
 *
 * Each runsc runs with a deadline (RUNSC_TIMEOUT_MS, then SIGKILL to that
 * child alone); its output is read bounded. Messages go to stderr, one
 * line per sandbox.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define RUNSC_TIMEOUT_MS 30000
#define RUNSC_OUT_MAX (1u << 20) /* runsc list's output read at most */
#define ATTACH_MAX 1024		 /* sandboxes attached (and detached at exit) */

extern char **environ;

static const char *const default_roots[] = {
	"/var/run/runsc", "/run/containerd/runsc/k8s.io", "/run/containerd/runsc/default", NULL
};

struct attached {
	const char *root;
	char id[129];
};

struct gvisor_attach {
	const char *cmd;
	const char *roots[CLI_GVISOR_MAX_ROOTS + 1];
	char session[PATH_MAX]; /* the session file, removed at the end */
	pthread_t thread;
	_Atomic int stop; /* the end came: kill a runsc under way */
	struct attached *done;
	unsigned int ndone;
};

static void say(const struct gvisor_attach *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(const struct gvisor_attach *a, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "kcap %s: gvisor attach: %s\n", a->cmd, line);
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* The last non-empty line of @s, in place. */
static const char *last_line(char *s)
{
	size_t n = strlen(s);
	char *nl;

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	nl = strrchr(s, '\n');
	return nl ? nl + 1 : s;
}

/*
 * Runs runsc with @argv; its stdout into @out[@outsz] (NUL-terminated, cut
 * to fit: *@cut), its stderr's end into @err[@errsz]. Returns its exit
 * status, or -1 with the reason in @err (not started, killed at the
 * deadline or at the end).
 */
static int run_runsc(struct gvisor_attach *a, char *const argv[], char *out, size_t outsz,
		     bool *cut, char *err, size_t errsz)
{
	int opipe[2] = { -1, -1 }, epipe[2] = { -1, -1 }, status, rc = -1;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	size_t olen = 0, elen = 0;
	struct pollfd p[2];
	struct timespec t0;
	sigset_t none, dfl;
	bool killed = false;
	pid_t pid;
	ssize_t n;

	*out = *err = '\0';
	*cut = false;
	if (pipe2(opipe, O_CLOEXEC) || pipe2(epipe, O_CLOEXEC)) {
		snprintf(err, errsz, "pipe: %s", strerror(errno));
		goto close;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, opipe[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, epipe[1], STDERR_FILENO);
	/* this thread blocks the stop signals; runsc gets them back */
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGTERM);
	sigaddset(&dfl, SIGPIPE);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	errno = posix_spawnp(&pid, "runsc", &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (errno) {
		snprintf(err, errsz, "cannot run runsc: %s", strerror(errno));
		goto close;
	}
	close(opipe[1]);
	close(epipe[1]);
	opipe[1] = epipe[1] = -1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	p[0] = (struct pollfd){ .fd = opipe[0], .events = POLLIN };
	p[1] = (struct pollfd){ .fd = epipe[0], .events = POLLIN };
	while (p[0].fd >= 0 || p[1].fd >= 0) {
		if (!killed && (a->stop || ms_since(&t0) > RUNSC_TIMEOUT_MS)) {
			kill(pid, SIGKILL); /* our own child only */
			killed = true;
		}
		if (poll(p, 2, 100) < 0 && errno != EINTR)
			break;
		if (p[0].fd >= 0 && p[0].revents) {
			char sink[512];
			size_t room = outsz - 1 - olen;

			n = read(p[0].fd, room ? out + olen : sink, room ? room : sizeof(sink));
			if (n <= 0) {
				p[0].fd = -1;
			} else if (room) {
				olen += (size_t)n;
			} else {
				*cut = true;
			}
		}
		if (p[1].fd >= 0 && p[1].revents) {
			/* keep the end: the reason is runsc's last line */
			if (elen + 256 >= errsz) {
				memmove(err, err + elen - errsz / 2, errsz / 2);
				elen = errsz / 2;
			}
			n = read(p[1].fd, err + elen, errsz - 1 - elen);
			if (n <= 0)
				p[1].fd = -1;
			else
				elen += (size_t)n;
		}
	}
	out[olen] = '\0';
	err[elen] = '\0';
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (killed)
		snprintf(err, errsz, "%s", a->stop ? "stopped at the end" : "timed out (30 s)");
	else if (WIFEXITED(status))
		rc = WEXITSTATUS(status);
	else
		snprintf(err, errsz, "killed by signal %d", WTERMSIG(status));
close:
	if (opipe[0] >= 0)
		close(opipe[0]);
	if (opipe[1] >= 0)
		close(opipe[1]);
	if (epipe[0] >= 0)
		close(epipe[0]);
	if (epipe[1] >= 0)
		close(epipe[1]);
	return rc;
}

/* Is @id, listed in @root, a sandbox (its own first container)? */
static bool is_sandbox(const char *root, const char *id)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s_sandbox:%s.state", root, id, id) >=
	    (int)sizeof(path))
		return false;
	return !access(path, F_OK);
}

/* runsc's rule for ids, so that nothing else reaches its command line. */
static bool valid_id(const char *s, size_t n)
{
	size_t i;

	if (!n || n >= sizeof(((struct attached *)0)->id) || (n <= 2 && s[0] == '.'))
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || strchr("_+-.", s[i])))
			return false;
	return true;
}

static void attach_one(struct gvisor_attach *a, const char *root, const char *id)
{
	char out[4096], err[4096];
	char *argv[] = { "runsc", "--root", (char *)root, "trace", "create", "--force",
			 "--config", a->session, (char *)id, NULL };
	struct attached *t;
	bool cut;
	int rc;

	if (a->ndone == ATTACH_MAX) {
		say(a, "sandbox %s (%s): not attached, %d sandboxes are", id, root, ATTACH_MAX);
		return;
	}
	rc = run_runsc(a, argv, out, sizeof(out), &cut, err, sizeof(err));
	if (rc) {
		say(a, "sandbox %s (%s): runsc trace create failed: %s", id, root,
		    *err ? last_line(err) : "no message");
		return;
	}
	t = &a->done[a->ndone++];
	t->root = root;
	snprintf(t->id, sizeof(t->id), "%s", id);
	say(a, "sandbox %s (%s): trace session created", id, root);
}

/* `runsc list`'s table: "ID PID STATUS BUNDLE CREATED OWNER", a header first. */
static void attach_root(struct gvisor_attach *a, const char *root)
{
	char *out = malloc(RUNSC_OUT_MAX), err[4096], id[129];
	char *argv[] = { "runsc", "--root", (char *)root, "list", NULL };
	const char *line, *f[3];
	size_t len[3], k;
	unsigned int found = 0;
	bool cut;
	int rc;

	if (!out) {
		say(a, "%s: out of memory", root);
		return;
	}
	rc = run_runsc(a, argv, out, RUNSC_OUT_MAX, &cut, err, sizeof(err));
	if (rc) {
		say(a, "%s: runsc list failed: %s", root, *err ? last_line(err) : "no message");
		free(out);
		return;
	}
	if (cut)
		say(a, "%s: runsc list printed more than %u bytes; the rest is not read", root,
		    RUNSC_OUT_MAX);
	line = strchr(out, '\n'); /* past the header */
	for (; line && *line && !a->stop; line = strchr(line, '\n')) {
		const char *s = ++line;

		for (k = 0; k < 3; k++) {
			s += strspn(s, " \t");
			f[k] = s;
			len[k] = strcspn(s, " \t\n");
			s += len[k];
		}
		if (!valid_id(f[0], len[0]) || len[2] != 7 || strncmp(f[2], "running", 7))
			continue;
		memcpy(id, f[0], len[0]);
		id[len[0]] = '\0';
		if (!is_sandbox(root, id))
			continue; /* another container of a sandbox listed too */
		found++;
		attach_one(a, root, id);
	}
	if (!found && !a->stop)
		say(a, "%s: no running sandbox", root);
	free(out);
}

static void *attach_thread(void *arg)
{
	struct gvisor_attach *a = arg;
	unsigned int i;

	for (i = 0; a->roots[i] && !a->stop; i++)
		attach_root(a, a->roots[i]);
	return NULL;
}

struct gvisor_attach *gvisor_attach_start(const char *cmd, const struct cli_gvisor *g)
{
	static unsigned int nrs[KCAP_SYSCALL_MAX];
	const char *const *roots = g->nroots ? g->roots : default_roots;
	struct gvisor_attach *a = calloc(1, sizeof(*a));
	const char *tmp = getenv("TMPDIR");
	sigset_t block, old;
	unsigned int i, n = 0;
	struct stat sb;
	FILE *f;
	int fd;

	if (!a || !(a->done = calloc(ATTACH_MAX, sizeof(*a->done)))) {
		fprintf(stderr, "kcap %s: --gvisor-attach: out of memory\n", cmd);
		free(a);
		return NULL;
	}
	a->cmd = cmd;
	/* roots that do not exist have no sandbox (and runsc would create them) */
	for (i = 0; roots[i]; i++)
		if (!stat(roots[i], &sb) && S_ISDIR(sb.st_mode))
			a->roots[n++] = roots[i];
	if (snprintf(a->session, sizeof(a->session), "%s/kcap-gvisor-session.XXXXXX",
		     tmp && *tmp ? tmp : "/tmp") >= (int)sizeof(a->session) ||
	    (fd = mkstemp(a->session)) < 0) {
		fprintf(stderr, "kcap %s: --gvisor-attach: the session file: %s\n", cmd,
			strerror(errno));
		goto fail;
	}
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		goto fail_file;
	}
	gvisor_session_write(f, g->sink, nrs, gvisor_default_points(nrs), true);
	if (fclose(f)) {
		fprintf(stderr, "kcap %s: --gvisor-attach: %s: %s\n", cmd, a->session,
			strerror(errno));
		goto fail_file;
	}
	if (!n)
		say(a, "none of the runsc roots exists: no sandbox to attach");
	/* SIGINT and SIGTERM stay the event loop's */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	errno = pthread_create(&a->thread, NULL, attach_thread, a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (errno) {
		fprintf(stderr, "kcap %s: --gvisor-attach: %s\n", cmd, strerror(errno));
		goto fail_file;
	}
	return a;
fail_file:
	unlink(a->session);
fail:
	free(a->done);
	free(a);
	return NULL;
}

void gvisor_attach_end(struct gvisor_attach *a)
{
	char out[4096], err[4096];
	unsigned int i, removed = 0;
	bool cut;

	if (!a)
		return;
	a->stop = 1;
	pthread_join(a->thread, NULL);
	/* runs again with stop off: the deletions must finish */
	a->stop = 0;
	for (i = 0; i < a->ndone; i++) {
		char *argv[] = { "runsc", "--root", (char *)a->done[i].root, "trace", "delete",
				 "--name", "Default", a->done[i].id, NULL };

		if (!run_runsc(a, argv, out, sizeof(out), &cut, err, sizeof(err)))
			removed++;
		else
			say(a, "sandbox %s: runsc trace delete failed (gone?): %s",
			    a->done[i].id, *err ? last_line(err) : "no message");
	}
	if (a->ndone)
		say(a, "trace session removed from %u of %u sandboxes", removed, a->ndone);
	unlink(a->session);
	free(a->done);
	free(a);
}
