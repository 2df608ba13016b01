// SPDX-License-Identifier: Apache-2.0
/*
 * kbench: the workloads of `make bench` and kcap's producer-only
 * configuration. Static; runs in the benchmark guest, where
 * `-icount shift=0,sleep=off -smp 1` makes a CLOCK_MONOTONIC nanosecond one
 * guest instruction.
 *
 *   kbench list                          workload names and syscalls per op
 *   kbench run CFG WORKLOAD N            time N operations (after a warm-up)
 *   kbench producer WORKLOAD N RING [SESSIONS [same|small|lifecycle]]
 *                                        capture on (libkcap, every syscall,
 *                                        lifecycle events), the workload in
 *                                        a child, the ring drained after it;
 *                                        with SESSIONS (2 to 4) that many
 *                                        sessions at once, the others alike
 *                                        (same) or selecting only getsid
 *                                        (small); 0: the same process tree,
 *                                        no capture (the baseline); 1
 *                                        lifecycle: only the fork, exec and
 *                                        exit events (getsid selected)
 *   kbench dropproof RING ROUNDS BURST [all|noexec]
 *                                        overload a RING-byte ring: ROUNDS
 *                                        times BURST getppid calls then a
 *                                        fork+exec(/bin/true)+exit; the
 *                                        reader reads only afterwards
 *                                        (noexec: execve not selected, so
 *                                        exec is the proc_exec event);
 *                                        counts only the events of its own
 *                                        processes (generated= is what they
 *                                        made, others= the rest)
 *
 * Every result is one line "RESULT key=value ..." on stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "kcap.h"

#define TRUE_PATH "/bin/true"
#define OPEN_PATH "/tmp/kbench.file"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "kbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* ---- workloads ------------------------------------------------------------ */

struct wl_state {
	int fd, pipefd[2], lfd;
	pid_t reader;
	struct sockaddr_in addr;
	char buf[4096];
};

static void wait_child(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
}

static void op_getppid(struct wl_state *s)
{
	(void)s;
	syscall(SYS_getppid);
}

static void setup_open(struct wl_state *s)
{
	int fd = open(OPEN_PATH, O_CREAT | O_WRONLY, 0644);

	(void)s;
	if (fd < 0)
		die("create " OPEN_PATH);
	close(fd);
}

static void op_open(struct wl_state *s)
{
	int fd = open(OPEN_PATH, O_RDONLY);

	(void)s;
	if (fd < 0)
		die("open");
	close(fd);
}

static void setup_read(struct wl_state *s)
{
	s->fd = open("/dev/zero", O_RDONLY);
	if (s->fd < 0)
		die("open /dev/zero");
}

static void op_read(struct wl_state *s)
{
	if (read(s->fd, s->buf, 1) != 1)
		die("read");
}

static void teardown_fd(struct wl_state *s)
{
	close(s->fd);
}

static void setup_pipe(struct wl_state *s)
{
	if (pipe(s->pipefd) < 0)
		die("pipe");
	s->reader = fork();
	if (s->reader < 0)
		die("fork");
	if (s->reader == 0) {
		close(s->pipefd[1]);
		while (read(s->pipefd[0], s->buf, sizeof(s->buf)) > 0)
			;
		_exit(0);
	}
	close(s->pipefd[0]);
	memset(s->buf, 'x', sizeof(s->buf));
}

static void op_pipe(struct wl_state *s)
{
	if (write(s->pipefd[1], s->buf, sizeof(s->buf)) != (ssize_t)sizeof(s->buf))
		die("write");
}

static void teardown_pipe(struct wl_state *s)
{
	close(s->pipefd[1]);
	wait_child(s->reader);
}

static void op_fork(struct wl_state *s)
{
	pid_t pid = fork();

	(void)s;
	if (pid < 0)
		die("fork");
	if (pid == 0)
		_exit(0);
	wait_child(pid);
}

static void op_exec(struct wl_state *s)
{
	static char *const argv[] = { "true", NULL };
	static char *const envp[] = { NULL };
	pid_t pid = fork();

	(void)s;
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		execve(TRUE_PATH, argv, envp);
		_exit(127);
	}
	wait_child(pid);
}

static void setup_tcp(struct wl_state *s)
{
	socklen_t len = sizeof(s->addr);
	int one = 1;

	s->lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (s->lfd < 0)
		die("socket");
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&s->addr, 0, sizeof(s->addr));
	s->addr.sin_family = AF_INET;
	s->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s->lfd, (struct sockaddr *)&s->addr, sizeof(s->addr)) < 0 ||
	    getsockname(s->lfd, (struct sockaddr *)&s->addr, &len) < 0 ||
	    listen(s->lfd, 64) < 0)
		die("listen on loopback (is lo up?)");
}

static void op_tcp(struct wl_state *s)
{
	int c = socket(AF_INET, SOCK_STREAM, 0), a;

	if (c < 0)
		die("socket");
	if (connect(c, (struct sockaddr *)&s->addr, sizeof(s->addr)) < 0)
		die("connect");
	a = accept(s->lfd, NULL, NULL);
	if (a < 0)
		die("accept");
	close(c);
	close(a);
}

static void teardown_tcp(struct wl_state *s)
{
	close(s->lfd);
}

struct workload {
	const char *name;
	const char *what;
	/* syscall events of the timed process per op (0: not a fixed count) */
	unsigned int calls;
	/* and once per run, outside the timed loop (set-up, tear-down, and
	 * the producer's go byte when it is a read) */
	unsigned int extra;
	/* the syscall numbers those are */
	int nr[5];
	void (*setup)(struct wl_state *);
	void (*op)(struct wl_state *);
	void (*teardown)(struct wl_state *);
};

static const struct workload workloads[] = {
	{ "getppid", "getppid()", 1, 0, { SYS_getppid, -1 }, NULL, op_getppid, NULL },
	{ "openclose", "open()+close() of one file", 2, 2, { SYS_openat, SYS_close, -1 },
	  setup_open, op_open, NULL },
	{ "read", "read() 1 byte from /dev/zero", 1, 1, { SYS_read, -1 }, setup_read, op_read,
	  teardown_fd },
	{ "pipe", "write() 4 KiB to a pipe with a reader", 0, 0, { -1 }, setup_pipe, op_pipe,
	  teardown_pipe },
	{ "fork", "fork()+_exit()+wait", 0, 0, { -1 }, NULL, op_fork, NULL },
	{ "exec", "fork()+execve(static /bin/true)+wait", 0, 0, { -1 }, NULL, op_exec, NULL },
	{ "tcp", "TCP connect+accept+close on loopback", 5, 2,
	  { SYS_socket, SYS_connect, SYS_accept, SYS_close, -1 }, setup_tcp, op_tcp, teardown_tcp },
};
#define NR_WORKLOADS (sizeof(workloads) / sizeof(workloads[0]))

static const struct workload *find_workload(const char *name)
{
	for (size_t i = 0; i < NR_WORKLOADS; i++)
		if (!strcmp(workloads[i].name, name))
			return &workloads[i];
	fprintf(stderr, "kbench: unknown workload '%s' (kbench list)\n", name);
	exit(2);
}

/* Warm-up operations before the timed ones: caches, page tables, dentries. */
static unsigned long warmup_of(unsigned long n)
{
	return n / 50 < 10 ? 10 : n / 50;
}

/* Run @w: warm-up, then @n timed operations. Returns the timed ns. */
static uint64_t run_workload(const struct workload *w, unsigned long n)
{
	struct wl_state *s = calloc(1, sizeof(*s));
	unsigned long i, warm = warmup_of(n);
	uint64_t t0, t1;

	if (!s)
		die("calloc");
	if (w->setup)
		w->setup(s);
	for (i = 0; i < warm; i++)
		w->op(s);
	t0 = now_ns();
	for (i = 0; i < n; i++)
		w->op(s);
	t1 = now_ns();
	if (w->teardown)
		w->teardown(s);
	free(s);
	return t1 - t0;
}

static void print_run(const char *cfg, const struct workload *w, unsigned long n, uint64_t ns)
{
	printf("RESULT kind=run cfg=%s wl=%s n=%lu ns=%" PRIu64 " per_op=%.1f\n", cfg, w->name, n,
	       ns, (double)ns / n);
	fflush(stdout);
}

/* ---- capture (producer only) ---------------------------------------------- */

struct counts {
	uint64_t events, bytes, markers, lost_bulk, lost_prot;
	uint64_t child_events, child_wl_calls; /* of the timed process */
	uint64_t forks, execs, exits, getppids;
	uint64_t others; /* events of processes outside the given pid set */
	uint64_t st_events, st_bytes, st_drops[KCAP_DROP_NR_SLOTS];
};

/* Is @ev one of @w's syscalls, decoded (named by its type) or generic? */
static bool is_wl_call(struct kcap *h, const struct workload *w, const struct kcap_event_hdr *ev)
{
	const struct kcap_event_desc *d = kcap_handle_event_desc(h, ev->type);
	int nr = kcap_event_syscall_nr(ev);

	for (int i = 0; i < 5 && w && w->nr[i] >= 0; i++) {
		const char *name = kcap_syscall_name(w->nr[i], KCAP_SC_X86_64);

		if (nr >= 0 ? nr == w->nr[i] : d && name && !strcmp(d->name, name))
			return true;
	}
	return false;
}

/* Capture every syscall (but execve/execveat with @no_exec: exec is then
 * the lifecycle proc_exec event) and the lifecycle events. */
/*
 * Every syscall (@only == NULL), or only the @n_only syscalls in @only (plus
 * the lifecycle events).
 */
static struct kcap *open_capture(unsigned long long ring, const unsigned int *only,
				 size_t n_only)
{
	char err[256] = "";
	KCAP_OPTS(kcap_open_opts, o, .ring_size = ring, .holdback_ns = KCAP_HOLDBACK_NONE,
		  .poll_timeout_ms = KCAP_POLL_NONBLOCK, .errbuf = err, .errbuf_sz = sizeof(err));
	struct kcap *h;

	if (only) {
		o.syscalls = only;
		o.nr_syscalls = n_only;
	}
	h = kcap_open_live(&o);

	if (!h) {
		fprintf(stderr, "kbench: kcap_open_live: %s\n", err);
		exit(1);
	}
	if (kcap_start(h) < 0) {
		fprintf(stderr, "kbench: kcap_start: %s\n", kcap_errmsg(h));
		exit(1);
	}
	return h;
}

/* Is @pid one of the @n in @set? */
static bool in_set(const pid_t *set, size_t n, __u32 pid)
{
	for (size_t i = 0; i < n; i++)
		if ((__u32)set[i] == pid)
			return true;
	return false;
}

/*
 * Stop, drain every ring and count; @pid is the timed process. With @set,
 * only the events of the @n_set processes in it are counted; the others
 * (lifecycle events of any process on the machine, kernel threads too) go
 * to c->others, and the first few are printed on stderr.
 */
static void drain(struct kcap *h, pid_t pid, const struct workload *w, const pid_t *set,
		  size_t n_set, struct counts *c)
{
	const struct kcap_event_hdr *ev;
	char line[256];
	int rc;

	memset(c, 0, sizeof(*c));
	kcap_stop(h);
	while ((rc = kcap_next(h, &ev)) == 0 || rc == -EAGAIN) {
		if (rc == -EAGAIN)
			continue;
		c->bytes += KCAP_ALIGN(ev->len);
		if (ev->type == KCAP_EVT_DROP) {
			__u64 v;

			c->markers++;
			if (kcap_event_u64(ev, 0, &v) == 0)
				c->lost_bulk += v;
			if (kcap_event_u64(ev, 1, &v) == 0)
				c->lost_prot += v;
			continue;
		}
		if (set && !in_set(set, n_set, ev->pid)) {
			if (c->others++ < 10 &&
			    kcap_event_format(h, ev, line, sizeof(line)) >= 0)
				fprintf(stderr, "kbench: not the workload's: %s\n", line);
			continue;
		}
		c->events++;
		switch (ev->type) {
		case KCAP_EVT_PROC_FORK:
			c->forks++;
			break;
		case KCAP_EVT_PROC_EXEC:
		case KCAP_EVT_EXECVE:
			if (ev->type == KCAP_EVT_PROC_EXEC || kcap_event_res(ev, &(__s64){ 0 }) == 0)
				c->execs++;
			break;
		case KCAP_EVT_PROC_EXIT:
			c->exits++;
			break;
		}
		if (kcap_event_syscall_nr(ev) == SYS_getppid)
			c->getppids++;
		if (ev->pid == (__u32)pid) {
			c->child_events++;
			if (is_wl_call(h, w, ev))
				c->child_wl_calls++;
		}
	}
	if (rc != -ENODATA) {
		fprintf(stderr, "kbench: kcap_next: %s\n", kcap_errmsg(h));
		exit(1);
	}
	for (unsigned int cpu = 0; cpu < kcap_nr_rings(h); cpu++) {
		struct kcap_cpu_stats st;

		if (kcap_cpu_stats(h, cpu, &st) < 0)
			continue;
		c->st_events += st.events;
		c->st_bytes += st.bytes;
		for (int i = 0; i < KCAP_DROP_NR_SLOTS; i++)
			c->st_drops[i] += st.drops[i];
	}
}

/*
 * Fork a child that waits for a go byte: it exists before the capture (so
 * it does not inherit, and copy at each of its forks, the reader's ring
 * mappings) and starts once the capture runs. Returns 0 in the child, once
 * released; in the parent the child's pid, *go_fd the end to release it by.
 */
static pid_t fork_gated(int *go_fd)
{
	int go[2];
	char byte;
	pid_t pid;

	if (pipe(go) < 0)
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		/* (no close of go[1] here: it could fall inside the capture) */
		if (read(go[0], &byte, 1) != 1)
			_exit(1);
		return 0;
	}
	close(go[0]);
	*go_fd = go[1];
	return pid;
}

static void release_gated(int go_fd)
{
	const char byte = 0;

	if (write(go_fd, &byte, 1) != 1)
		die("write");
}

/*
 * @nsess sessions (ABI 2.3) capture at once: the first every syscall and the
 * lifecycle events; the others the same (@small false) or only getsid, a
 * syscall no workload makes (@small true). The first session's events are
 * the ones reported. @lifecycle: one session of getsid only, that is the
 * fork, exec and exit events alone (issue 18, row 2).
 */
static int cmd_producer(const char *wname, unsigned long n, unsigned long long ring,
			unsigned int nsess, bool small, bool lifecycle)
{
	static const unsigned int only_getsid[] = { SYS_getsid };
	const struct workload *w = find_workload(wname);
	uint64_t *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct kcap *h[4];
	struct counts c, c2;
	char cfg[32];
	pid_t pid;
	int go;

	if (shared == MAP_FAILED)
		die("mmap");
	if (nsess > 4) {
		fprintf(stderr, "kbench: 0 to 4 sessions\n");
		return 2;
	}
	if (nsess == 0)
		snprintf(cfg, sizeof(cfg), "gated-none");
	else if (lifecycle)
		snprintf(cfg, sizeof(cfg), "kcap-lifecycle");
	else if (nsess == 1)
		snprintf(cfg, sizeof(cfg), "kcap-producer");
	else if (small)
		snprintf(cfg, sizeof(cfg), "kcap-producer+%usmall", nsess - 1);
	else
		snprintf(cfg, sizeof(cfg), "kcap-producer-%us", nsess);
	pid = fork_gated(&go);
	if (pid == 0) {
		shared[0] = run_workload(w, n);
		_exit(0);
	}
	for (unsigned int i = 0; i < nsess; i++)
		h[i] = (i && small) || lifecycle ? open_capture(ring, only_getsid, 1) :
						   open_capture(ring, NULL, 0);
	release_gated(go);
	wait_child(pid);
	if (nsess == 0) {
		/* The same process tree, no capture: the baseline of the others. */
		print_run(cfg, w, n, shared[0]);
		return 0;
	}
	drain(h[0], pid, w, NULL, 0, &c);
	for (unsigned int i = 1; i < nsess; i++) {
		drain(h[i], pid, w, NULL, 0, &c2);
		/* Same interest, same events; getsid only: none of the workload's. */
		if (small ? c2.child_wl_calls != 0 : c2.child_wl_calls != c.child_wl_calls)
			fprintf(stderr, "kbench: session %u saw %" PRIu64 " workload calls, session 1 %" PRIu64 "\n",
				i + 1, c2.child_wl_calls, c.child_wl_calls);
		kcap_close(h[i]);
	}
	kcap_close(h[0]);
	print_run(cfg, w, n, shared[0]);
	/* The timed process made warm-up + n operations. */
	printf("RESULT kind=capture cfg=%s wl=%s n=%lu ring=%llu events=%" PRIu64
	       " bytes=%" PRIu64 " markers=%" PRIu64 " dropped=%" PRIu64 " lost_bulk=%" PRIu64
	       " lost_protected=%" PRIu64 " wl_calls=%" PRIu64 " wl_expected=%lu\n",
	       cfg, w->name, n, ring, c.events, c.bytes, c.markers,
	       c.st_drops[KCAP_DROP_FULL] + c.st_drops[KCAP_DROP_FULL_PROTECTED] +
		       c.st_drops[KCAP_DROP_OTHER], c.lost_bulk,
	       c.lost_prot, c.child_wl_calls, w->calls ? (n + warmup_of(n)) * w->calls + w->extra : 0);
	return 0;
}

/*
 * The overloaded ring: bursts of bulk events and lifecycle events. The pid
 * of each child goes to @pids[r].
 */
static void dropproof_child(unsigned long rounds, unsigned long burst, pid_t *pids)
{
	static char *const argv[] = { "true", NULL };
	static char *const envp[] = { NULL };

	for (unsigned long r = 0; r < rounds; r++) {
		pid_t pid;

		for (unsigned long i = 0; i < burst; i++)
			syscall(SYS_getppid);
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			execve(TRUE_PATH, argv, envp);
			_exit(127);
		}
		pids[r] = pid;
		wait_child(pid);
	}
}

static int cmd_dropproof(unsigned long long ring, unsigned long rounds, unsigned long burst,
			 const char *label)
{
	/* The workload's processes: the gated child, then its children. */
	pid_t *set = mmap(NULL, (rounds + 1) * sizeof(pid_t), PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct kcap *h;
	struct counts c;
	pid_t pid;
	int go;

	if (set == MAP_FAILED)
		die("mmap");
	pid = fork_gated(&go);
	if (pid == 0) {
		dropproof_child(rounds, burst, set + 1);
		_exit(0);
	}
	set[0] = pid;
	/* Only syscalls nothing else in the guest makes while this runs:
	 * getppid (bulk), and execve for "all" (the decoded exec event); fork
	 * and exit come as lifecycle events either way, of every process, so
	 * only the workload's own are counted.
	 */
	static const unsigned int with_exec[] = { SYS_getppid, SYS_execve };
	h = open_capture(ring, with_exec, strcmp(label, "noexec") ? 2 : 1);
	release_gated(go);
	wait_child(pid);
	drain(h, pid, NULL, set, rounds + 1, &c);
	kcap_close(h);
	/* Each round: BURST getppid, a fork, an exec and the child's exit;
	 * then the gated child's exit.
	 */
	printf("RESULT kind=dropproof label=%s ring=%llu rounds=%lu burst=%lu generated=%lu"
	       " events=%" PRIu64 " others=%" PRIu64
	       " bytes=%" PRIu64 " getppid=%" PRIu64 " forks=%" PRIu64 " execs=%" PRIu64
	       " exits=%" PRIu64 " markers=%" PRIu64 " lost_bulk=%" PRIu64 " lost_protected=%" PRIu64
	       " drop_full=%" PRIu64 " drop_full_protected=%" PRIu64 " drop_other=%" PRIu64 "\n",
	       label, ring, rounds, burst, rounds * (burst + 3) + 1, c.events, c.others, c.bytes,
	       c.getppids, c.forks, c.execs, c.exits, c.markers, c.lost_bulk, c.lost_prot,
	       c.st_drops[KCAP_DROP_FULL], c.st_drops[KCAP_DROP_FULL_PROTECTED],
	       c.st_drops[KCAP_DROP_OTHER]);
	return 0;
}

static unsigned long long parse_num(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	if (*end == 'K' || *end == 'k')
		v <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		v <<= 20, end++;
	if (*end || end == s) {
		fprintf(stderr, "kbench: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static int usage(void)
{
	fprintf(stderr, "usage: kbench list | run CFG WORKLOAD N |\n"
			"       producer WORKLOAD N RING [SESSIONS [same|small|lifecycle]] |\n"
			"       dropproof RING ROUNDS BURST [LABEL]\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "list")) {
		for (size_t i = 0; i < NR_WORKLOADS; i++)
			printf("%s\t%u\t%s\n", workloads[i].name, workloads[i].calls,
			       workloads[i].what);
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "run")) {
		const struct workload *w = find_workload(argv[3]);
		unsigned long n = parse_num(argv[4]);

		print_run(argv[2], w, n, run_workload(w, n));
		return 0;
	}
	if ((argc == 5 || argc == 6 || argc == 7) && !strcmp(argv[1], "producer"))
		return cmd_producer(argv[2], parse_num(argv[3]), parse_num(argv[4]),
				    argc >= 6 ? (unsigned int)parse_num(argv[5]) : 1,
				    argc == 7 && !strcmp(argv[6], "small"),
				    argc == 7 && !strcmp(argv[6], "lifecycle"));
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "dropproof"))
		return cmd_dropproof(parse_num(argv[2]), parse_num(argv[3]), parse_num(argv[4]),
				     argc == 6 ? argv[5] : "all");
	return usage();
}
