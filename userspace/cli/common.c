// SPDX-License-Identifier: Apache-2.0
/*
 * The helpers more than one kcap command uses: argument parsing and usage
 * errors, the live capture and capture file options, stop signals, the
 * monotonic clock, output checks, the one-line event print, capture files
 * as input (standard input, how they ended, -e and filter expressions on
 * them) and the progress line.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "kcap_detect.h"

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

int bad_option(const char *cmd, int argc, char *const argv[], const char *optstring)
{
	const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "";
	const char *c;
	int len;

	if (!optopt)
		return usage_error(cmd, "unknown option '%s'", arg);
	if (!strncmp(arg, "--", 2)) {
		c = strchr(arg, '=');
		len = c ? (int)(c - arg) : (int)strlen(arg);
		return usage_error(
		    cmd, c ? "option '%.*s' takes no argument" : "option '%.*s' needs an argument",
		    len, arg);
	}
	c = optopt < 256 && optopt != ':' ? strchr(optstring, optopt) : NULL;
	if (c && c[1] == ':')
		return usage_error(cmd, "option -%c needs an argument", optopt);
	if (optopt > ' ' && optopt < 127)
		return usage_error(cmd, "unknown option -%c", optopt);
	return usage_error(cmd, "unknown option '%s'", arg);
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

int parse_capture_opt(const char *cmd, int c, char *arg, struct kcap_open_opts *o,
		      unsigned int *nrs)
{
	unsigned long long v;
	const char *bad;
	int n;

	switch (c) {
	case 'e':
		n = parse_syscalls(arg, nrs, &bad);
		if (n < 0)
			return *bad ? usage_error(cmd, "unknown syscall '%s' in -e", bad)
				    : usage_error(cmd, "-e needs at least one syscall");
		o->syscalls = nrs;
		o->nr_syscalls = (size_t)n;
		return 0;
	case 's':
		if (!parse_u64(arg, 1, KCAP_SNAPLEN_MAX, &v))
			return usage_error(cmd, "-s %s: snaplen must be 1..%u bytes", arg,
					   KCAP_SNAPLEN_MAX);
		o->snaplen = (__u32)v;
		return 0;
	case OPT_BUFFER_SIZE:
		if (!parse_size(arg, &v) || (v & (v - 1)) || v < KCAP_RING_SIZE_MIN ||
		    v > KCAP_RING_SIZE_MAX)
			return usage_error(
			    cmd, "--buffer-size %s: must be a power of two from 64K to 1G", arg);
		o->ring_size = v;
		return 0;
	case OPT_NO_LIFECYCLE:
		o->flags |= KCAP_OPEN_NO_LIFECYCLE;
		return 0;
	case OPT_ENTER:
		o->flags |= KCAP_OPEN_ENTER;
		return 0;
	case OPT_NICE:
		return parse_nice_opt(cmd, arg) == CLI_CONTINUE ? 0 : EXIT_USAGE;
	default:
		return usage_error(cmd, "bad option");
	}
}

/* --nice's value; READER_NICE_UNSET: the default (see cli.h). */
#define READER_NICE_UNSET 100
#define READER_NICE_DEFAULT -10
static int reader_nice = READER_NICE_UNSET;

int parse_nice_opt(const char *cmd, const char *arg)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < -20 || v > 19) {
		usage_error(cmd, "--nice %s: must be -20..19", arg);
		return EXIT_USAGE;
	}
	reader_nice = (int)v;
	return CLI_CONTINUE;
}

void reader_priority(const char *cmd)
{
	int cur;

	if (reader_nice != READER_NICE_UNSET) {
		if (setpriority(PRIO_PROCESS, 0, reader_nice))
			fprintf(stderr, "kcap %s: --nice %d: %s (the reader keeps nice %d)\n", cmd,
				reader_nice, strerror(errno), getpriority(PRIO_PROCESS, 0));
		return;
	}
	/* Only from the default priority: a user who started us under nice
	 * chose another one. Not allowed (not root): stays at 0, silently. */
	errno = 0;
	cur = getpriority(PRIO_PROCESS, 0);
	if (!errno && cur == 0)
		(void)setpriority(PRIO_PROCESS, 0, READER_NICE_DEFAULT);
}

bool out_in_place(const char *path)
{
	struct stat sb;

	return !stat(path, &sb) && !S_ISREG(sb.st_mode);
}

int parse_write_opt(const char *cmd, int c, const char *arg, struct write_opts *wo)
{
	unsigned long long v;

	switch (c) {
	case 'w':
		if (!*arg)
			return usage_error(cmd, "-w needs a file name");
		wo->path = arg;
		return 0;
	case 'z':
		if (!parse_u64(arg, 1, 19, &v))
			return usage_error(cmd, "-z %s: the zstd level is 1..19", arg);
		wo->level = (int)v;
		return 0;
	case 'C':
		if (!parse_u64(arg, 1, 1000000, &v))
			return usage_error(cmd, "-C %s: need 1..1000000 (million bytes)", arg);
		wo->rotate_bytes = v * 1000000ULL;
		return 0;
	case 'G':
		if (!parse_u64(arg, 1, 86400 * 365, &v))
			return usage_error(cmd, "-G %s: need a number of seconds", arg);
		wo->rotate_secs = (unsigned int)v;
		return 0;
	case 'W':
		if (!parse_u64(arg, 1, 1000000, &v))
			return usage_error(cmd, "-W %s: need a positive number of files", arg);
		wo->keep = (unsigned int)v;
		return 0;
	default:
		return usage_error(cmd, "bad option");
	}
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
	return &stop_flag;
}

void check_stdout_reader(void)
{
	static int is_pipe = -1;
	struct pollfd p = {.fd = STDOUT_FILENO};
	struct stat st;

	if (is_pipe < 0)
		is_pipe = !fstat(STDOUT_FILENO, &st) && S_ISFIFO(st.st_mode);
	/* A pipe's write end polls POLLERR once its last reader closed. */
	if (is_pipe && poll(&p, 1, 0) == 1 && (p.revents & POLLERR))
		raise(SIGPIPE);
}

void stdout_reader_tick(void)
{
	static unsigned int n;

	if ((++n & 255) == 0)
		check_stdout_reader();
}

static int out_errno; /* the first failed write to stdout */

bool output_ok(bool ok)
{
	if (!ok && !out_errno)
		out_errno = errno;
	return ok;
}

int check_output(const char *cmd)
{
	int err = 0;

	print_flush(); /* a failure is stdout's error, reported below */
	if (fflush(stdout))
		err = errno;
	else if (ferror(stdout))
		err = out_errno ? out_errno : EIO;
	if (!err)
		return 0;
	fprintf(stderr, "kcap%s%s: writing output: %s\n", cmd ? " " : "", cmd ? cmd : "",
		strerror(err));
	return EXIT_RUNTIME;
}

void live_open_error(const char *cmd, const char *errbuf)
{
	if (errno == ENOENT && access("/dev/kcap", F_OK))
		fprintf(stderr,
			"kcap %s: the kcap driver is not loaded (no /dev/kcap): load it with "
			"`kcap driver load` (as root)\n",
			cmd);
	else
		fprintf(stderr, "kcap %s: %s\n", cmd, errbuf);
}

static void gvisor_log(void *arg, const char *msg)
{
	fprintf(stderr, "kcap %s: %s\n", (const char *)arg, msg);
}

static struct kcap *open_sources(const char *cmd, struct kcap_open_opts *o,
				 const char *gvisor_sink, long long holdback_ns)
{
	char gerr[256] = "";
	KCAP_OPTS(kcap_gvisor_opts, go, .log = gvisor_log, .log_arg = (void *)cmd, .errbuf = gerr,
		  .errbuf_sz = sizeof(gerr), .holdback_ns = holdback_ns);
	struct kcap *srcs[2], *m;

	if (!gvisor_sink) {
		srcs[0] = kcap_open_live(o);
		if (!srcs[0])
			live_open_error(cmd, o->errbuf);
		return srcs[0];
	}
	srcs[0] = kcap_open_live(o);
	if (!srcs[0] && !(errno == ENOENT && access(o->device ? o->device : "/dev/kcap", F_OK))) {
		live_open_error(cmd, o->errbuf);
		return NULL;
	}
	/* merged: the live session waits for data, the sink never does */
	if (srcs[0])
		go.poll_timeout_ms = KCAP_POLL_NONBLOCK;
	srcs[1] = kcap_open_gvisor(gvisor_sink, &go);
	if (!srcs[1]) {
		fprintf(stderr, "kcap %s: %s\n", cmd, gerr);
		kcap_close(srcs[0]);
		return NULL;
	}
	if (!srcs[0]) {
		fprintf(stderr, "kcap %s: no kcap driver (/dev/kcap): gVisor sandboxes' events only\n",
			cmd);
		return srcs[1];
	}
	m = kcap_open_merge(srcs, 2, NULL);
	if (!m) {
		fprintf(stderr, "kcap %s: merging the kernel and gVisor sources: %s\n", cmd,
			strerror(errno));
		kcap_close(srcs[0]);
		kcap_close(srcs[1]);
	}
	return m;
}

double mono_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * print_event()'s lines, formatted straight into a block that goes to
 * stdout when the next line might not fit (one stdio call per block, not
 * per line); on a terminal, at every line. A line is cut at LINE_MAX - 1
 * bytes as before.
 */
#define LINE_CAP 4096
static struct {
	char b[4 * LINE_CAP];
	size_t pos;
	int tty; /* -1: not known yet */
} ob = { .tty = -1 };

bool print_flush(void)
{
	size_t n = ob.pos;

	ob.pos = 0;
	return !n || output_ok(fwrite_unlocked(ob.b, 1, n, stdout) == n);
}

bool print_event(const struct kcap *h, const struct kcap_event_hdr *ev)
{
	char *line;
	size_t len;
	int n;

	if (ob.pos + LINE_CAP > sizeof(ob.b) && !print_flush())
		return false;
	line = ob.b + ob.pos;
	n = kcap_event_format(h, ev, line, LINE_CAP);
	if (n < 0)
		return true;
	/* the line as cut to fit, its NUL made the newline (the text escapes
	 * every control byte, so it holds no NUL) */
	len = (size_t)n < LINE_CAP ? (size_t)n : LINE_CAP - 1;
	line[len] = '\n';
	ob.pos += len + 1;
	if (ob.tty < 0)
		ob.tty = isatty(STDOUT_FILENO);
	return !ob.tty || print_flush();
}

struct kcap *open_capture(const char *cmd, const char *path, const struct kcap_file_opts *o)
{
	char errbuf[512] = "";
	struct kcap_file_opts fo = *o;
	struct kcap *h;
	int fd;

	fo.errbuf = errbuf;
	fo.errbuf_sz = sizeof(errbuf);
	if (strcmp(path, "-")) {
		h = kcap_open_file(path, &fo);
	} else {
		fd = dup(STDIN_FILENO);
		h = fd < 0 ? NULL : kcap_open_file_fd(fd, "standard input", &fo);
		if (fd < 0)
			snprintf(errbuf, sizeof(errbuf), "standard input: %s", strerror(errno));
	}
	if (!h)
		fprintf(stderr, "kcap %s: %s\n", cmd, errbuf);
	return h;
}

void report_file_end(const char *cmd, struct kcap *h, const char *path, unsigned long long events)
{
	struct kcap_file_info fi;

	/* the events first: a warning about the file's end comes after them
	 * in a log that takes both streams */
	print_flush();
	fflush(stdout);
	if (!strcmp(path, "-"))
		path = "standard input";
	if (kcap_file_info(h, &fi, sizeof(fi)))
		return;
	if (!(fi.flags & KCAP_FILE_CLOSED))
		fprintf(stderr,
			"kcap %s: %s: not closed cleanly (%s at offset %llu): %llu events "
			"recovered, read up to there\n",
			cmd, path,
			fi.flags & KCAP_FILE_TRUNCATED ? "a block cut short" : "no closing block",
			(unsigned long long)fi.end_offset, events);
	if (fi.flags & KCAP_FILE_TRAILING)
		fprintf(stderr,
			"kcap %s: %s: the capture ends at offset %llu; the %llu bytes after it "
			"(another capture appended?) were not read\n",
			cmd, path, (unsigned long long)fi.end_offset,
			(unsigned long long)(fi.file_bytes - fi.end_offset));
}

int syscall_filter_parse(const char *cmd, char *list, struct syscall_filter *f)
{
	static unsigned int nrs[KCAP_SYSCALL_MAX];
	const char *bad;
	int i, n = parse_syscalls(list, nrs, &bad);

	if (n < 0)
		return *bad ? usage_error(cmd, "unknown syscall '%s' in -e", bad)
			    : usage_error(cmd, "-e needs at least one syscall");
	f->on = true;
	for (i = 0; i < n; i++)
		f->nrs[nrs[i]] = 1;
	return 0;
}

/* The verdict for every event of type @d: lifecycle and marker events pass,
 * decoded syscalls by their name, generic syscall events by number. The
 * verdict of a type depends on the file's event table only, so it is
 * cached per type. */
static unsigned char type_verdict(const struct syscall_filter *f, const struct kcap_event_hdr *ev,
				  const struct kcap_event_desc *d)
{
	int nr;

	if (!d || d->flags & (KCAP_EDF_LIFECYCLE | KCAP_EDF_MARKER))
		return SC_TYPE_KEEP;
	if (ev->type == KCAP_EVT_SYSCALL || ev->type == KCAP_EVT_SYSCALL_ENTER)
		return SC_TYPE_BY_NR;
	nr = kcap_syscall_nr(d->name, KCAP_SC_X86_64);
	return nr >= 0 && nr < KCAP_SYSCALL_MAX && f->nrs[nr] ? SC_TYPE_KEEP : SC_TYPE_DROP;
}

bool syscall_filter_slow(struct kcap *h, struct syscall_filter *f, const struct kcap_event_hdr *ev)
{
	const size_t ntypes = sizeof(f->by_type);
	const char *name;
	unsigned char v;
	int nr;

	if (!f->on)
		return true;
	v = ev->type < ntypes ? f->by_type[ev->type] : SC_TYPE_UNKNOWN;
	if (v == SC_TYPE_UNKNOWN) {
		v = type_verdict(f, ev, kcap_handle_event_desc(h, ev->type));
		if (ev->type < ntypes)
			f->by_type[ev->type] = v;
	}
	if (v != SC_TYPE_BY_NR)
		return v == SC_TYPE_KEEP;
	/* syscall_filter_keep() read the usual widths in place already */
	nr = kcap_event_syscall_nr(ev);
	if (nr >= 0 && (ev->flags & KCAP_EVF_COMPAT)) {
		name = kcap_syscall_name((unsigned int)nr, KCAP_SC_IA32);
		nr = name ? kcap_syscall_nr(name, KCAP_SC_X86_64) : -1;
	}
	return nr >= 0 && nr < KCAP_SYSCALL_MAX && f->nrs[nr];
}

struct kcap_filter *parse_filter_args(const char *cmd, int argc, char **argv, int first,
				      int *status)
{
	char errbuf[512] = "", *expr;
	size_t len = 1, off = 0;
	struct kcap_filter *f;
	int i;
	KCAP_OPTS(kcap_filter_opts, fo, .errbuf = errbuf, .errbuf_sz = sizeof(errbuf));

	*status = 0;
	if (first >= argc)
		return NULL;
	for (i = first; i < argc; i++)
		len += strlen(argv[i]) + 1;
	expr = malloc(len);
	if (!expr) {
		fprintf(stderr, "kcap %s: out of memory\n", cmd);
		*status = EXIT_RUNTIME;
		return NULL;
	}
	for (i = first; i < argc; i++)
		off += (size_t)sprintf(expr + off, "%s%s", i > first ? " " : "", argv[i]);
	f = kcap_filter_compile(expr, &fo);
	free(expr);
	if (!f)
		*status = usage_error(cmd, "%s", errbuf[0] ? errbuf : strerror(errno));
	return f;
}

/* Sums every ring's drop counters into @drops; 0 or a negative errno. */
int sum_drops(struct kcap *h, __u64 drops[KCAP_DROP_NR_SLOTS])
{
	struct kcap_cpu_stats st;
	unsigned int cpu, i;
	int err;

	memset(drops, 0, KCAP_DROP_NR_SLOTS * sizeof(drops[0]));
	for (cpu = 0; cpu < kcap_nr_rings(h); cpu++) {
		err = kcap_cpu_stats(h, cpu, &st);
		if (err)
			return err;
		for (i = 0; i < KCAP_DROP_NR_SLOTS; i++)
			drops[i] += st.drops[i];
	}
	return 0;
}

void filter_interest(struct kcap_filter *expr, struct kcap_open_opts *o, unsigned int *nrs)
{
	bool all;
	int n;

	if (!expr || o->syscalls)
		return;
	n = kcap_filter_syscalls(expr, nrs, KCAP_SYSCALL_MAX, &all);
	if (n < 0 || all)
		return;
	o->syscalls = nrs;
	o->nr_syscalls = (size_t)n;
}

bool keep_event(struct kcap_filter *expr, struct kcap_state *st, struct kcap *h,
		const struct kcap_event_hdr *ev)
{
	if (st)
		kcap_state_update(st, h, ev);
	return !expr || kcap_filter_match(expr, st, h, ev) == 1;
}

void progress_init(struct file_progress *p, const char *cmd, struct kcap *h,
		   unsigned long long start, unsigned long long end, bool prints)
{
	struct kcap_file_info fi;

	memset(p, 0, sizeof(*p));
	p->cmd = cmd;
	p->on = isatty(STDERR_FILENO) == 1 && !(prints && isatty(STDOUT_FILENO) == 1);
	p->t0 = p->last = mono_seconds();
	if (!p->on || kcap_file_info(h, &fi, sizeof(fi)) || !(fi.flags & KCAP_FILE_INDEXED))
		return;
	p->lo = start > fi.first_ts ? start : fi.first_ts;
	p->hi = end && end < fi.last_ts ? end : fi.last_ts;
	if (p->hi <= p->lo)
		p->lo = p->hi = 0;
}

void progress_show(struct file_progress *p, unsigned long long events, unsigned long long ts)
{
	double now, dt;

	now = mono_seconds();
	if (now - p->last < 0.25)
		return;
	p->last = now;
	dt = now - p->t0;
	fprintf(stderr, "\rkcap %s: %llu events", p->cmd, events);
	if (p->hi && ts >= p->lo)
		fprintf(stderr, ", %.0f%%",
			100.0 * (double)((ts < p->hi ? ts : p->hi) - p->lo) /
			    (double)(p->hi - p->lo));
	fprintf(stderr, ", %.0f events/s   ", dt > 0 ? (double)events / dt : 0.0);
	p->shown = true;
}

void progress_end(struct file_progress *p, unsigned long long events, bool summary)
{
	double dt = mono_seconds() - p->t0;

	if (p->shown)
		fputs("\r\033[K", stderr);
	p->shown = false;
	if (p->on && summary)
		fprintf(stderr, "kcap %s: %llu events in %.1f s (%.0f events/s)\n", p->cmd, events,
			dt, dt > 0 ? (double)events / dt : 0.0);
}

int parse_container_root(const char *cmd, const char *arg)
{
	struct stat sb;

	if (stat(arg, &sb) || !S_ISDIR(sb.st_mode))
		return usage_error(cmd, "--container-root %s: not a directory", arg);
	return CLI_CONTINUE;
}

struct kcap_state *cli_state_new(const char *container_root, const struct cli_gvisor *g)
{
	struct kcap_state_opts o = { .sz = sizeof(o), .container_root = container_root };

	if (g && g->nroots)
		o.runsc_roots = g->roots;
	return kcap_state_new(&o);
}

/*
 * kcap export's thread table, where every event's process and container
 * come from, seeded before the capture starts: threads born later come
 * from fork events, threads missed in between from /proc on first sight.
 */
struct kcap_state *export_thread_table(struct kcap *h, int ct_lookup)
{
	struct kcap_state_opts o = { .sz = sizeof(o), .container_lookup = ct_lookup };
	struct kcap_state *threads = kcap_state_new(&o);
	int err;

	if (!threads) {
		fprintf(stderr, "kcap export: thread table: %s\n", strerror(errno));
		return NULL;
	}
	err = kcap_state_seed(threads, h);
	if (err)
		fprintf(stderr, "kcap export: process snapshot: %s (%s)\n", strerror(-err),
			ct_lookup == KCAP_CT_LOOKUP_NEVER ?
				"process fields fill in as events come" :
				"containers of processes started before are learnt from their "
				"next events");
	return threads;
}

int parse_gvisor_opt(const char *cmd, int c, const char *arg, struct cli_gvisor *g)
{
	struct stat sb;

	switch (c) {
	case OPT_GVISOR_SINK:
		g->sink = arg;
		break;
	case OPT_GVISOR_ATTACH:
		g->attach = true;
		break;
	case OPT_GVISOR_HOLDBACK: {
		char *end;
		long v;

		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || end == arg || *end || v < 1 || v > 10000)
			return usage_error(cmd, "--gvisor-holdback %s: not a number of ms in 1..10000",
					   arg);
		g->holdback_ns = (long long)v * 1000000;
		break;
	}
	case OPT_GVISOR_ROOT:
		if (g->nroots == CLI_GVISOR_MAX_ROOTS)
			return usage_error(cmd, "at most %d --gvisor-root", CLI_GVISOR_MAX_ROOTS);
		/* a root that does not exist yet is fine: runsc creates it */
		if (!stat(arg, &sb) && !S_ISDIR(sb.st_mode))
			return usage_error(cmd, "--gvisor-root %s: not a directory", arg);
		g->roots[g->nroots++] = arg;
		g->roots[g->nroots] = NULL;
		break;
	}
	return CLI_CONTINUE;
}

/* The --gvisor-attach of this process's one live source. */
static struct gvisor_attach *live_attach;

void close_live_sources(struct kcap *h)
{
	gvisor_attach_end(live_attach);
	live_attach = NULL;
	kcap_close(h);
}

int check_gvisor_opts(const char *cmd, const struct cli_gvisor *g)
{
	const char *problem;

	if (!g->attach)
		return CLI_CONTINUE;
	if (!g->sink)
		return usage_error(cmd, "--gvisor-attach needs --gvisor-sink PATH");
	/* the session names the sink for runsc, which runs elsewhere */
	problem = gvisor_sink_problem(g->sink);
	if (problem)
		return usage_error(cmd, "--gvisor-attach: --gvisor-sink %s: %s", g->sink, problem);
	return CLI_CONTINUE;
}

struct kcap *open_live_sources(const char *cmd, struct kcap_open_opts *o,
			       const struct cli_gvisor *g)
{
	struct kcap *h = open_sources(cmd, o, g ? g->sink : NULL, g ? g->holdback_ns : 0);

	if (h && g && g->sink && g->attach) {
		live_attach = gvisor_attach_start(cmd, g);
		if (!live_attach) {
			kcap_close(h);
			return NULL;
		}
	}

	if (h)
		reader_priority(cmd);
	return h;
}
