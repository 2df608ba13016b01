// SPDX-License-Identifier: Apache-2.0
/*
 * The kcap tool: its commands, and the helpers more than one command uses
 * (common.c). A command file depends on this header and libkcap only.
 */
#ifndef KCAP_CLI_H
#define KCAP_CLI_H

#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "kcap.h"

struct kcap_filter;
struct kcap_state;

/* Exit codes. */
#define EXIT_RUNTIME 1 /* the capture failed (driver missing, busy, ...) */
#define EXIT_USAGE 2 /* bad arguments */
/* A command's argument parser: go on (anything else is the exit status). */
#define CLI_CONTINUE (-1)

/* The commands, one file each (main.c dispatches). */
int cmd_record(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_list_syscalls(int argc, char **argv);
int cmd_list_events(int argc, char **argv);
int cmd_read(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_driver(int argc, char **argv);
int cmd_detect(int argc, char **argv);
int cmd_list_fields(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_gvisor(int argc, char **argv);

/* ---- Arguments ---------------------------------------------------------------- */

/* Prints "kcap CMD: MESSAGE" and a hint to --help; returns EXIT_USAGE. */
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * getopt_long() returned '?' (main.c turns getopt's own message off):
 * one line naming the unknown option or the missing argument, the hint to
 * --help; returns EXIT_USAGE. @optstring as given to getopt_long().
 */
int bad_option(const char *cmd, int argc, char *const argv[], const char *optstring);

/* Whole decimal number in [min, max]; false if @s is not one. */
bool parse_u64(const char *s, unsigned long long min, unsigned long long max,
	       unsigned long long *out);

/* BYTES, NK, NM or NG; false on a malformed size. */
bool parse_size(const char *s, unsigned long long *out);

/*
 * Comma-separated syscall names (or numbers) into @nrs (room for
 * KCAP_SYSCALL_MAX). Returns the count, or -1 with the bad name in *bad.
 */
int parse_syscalls(char *list, unsigned int *nrs, const char **bad);

/* Live capture options (record, stats, export): getopt values of the long
 * ones; a command's own long-only options start at OPT_COMMAND. */
enum {
	OPT_BUFFER_SIZE = 256,
	OPT_NO_LIFECYCLE,
	OPT_ENTER,
	OPT_CONTAINER_ROOT,
	OPT_GVISOR_SINK,
	OPT_GVISOR_ROOT,
	OPT_GVISOR_ATTACH,
	OPT_GVISOR_HOLDBACK,
	OPT_NICE,
	OPT_COMMAND
};

/*
 * gVisor (record, detect, export; docs/gvisor.md): --gvisor-sink PATH
 * listens for sandboxes' trace sinks, their events merged in time order
 * with the kernel's; --gvisor-root DIR (several) names runsc's state
 * roots, where container metadata of sandboxed containers is read
 * (record, detect).
 */
#define CLI_GVISOR_MAX_ROOTS 8
struct cli_gvisor {
	const char *sink; /* --gvisor-sink; NULL: no gVisor source */
	const char *roots[CLI_GVISOR_MAX_ROOTS + 1]; /* --gvisor-root, NULL-ended */
	unsigned int nroots;
	bool attach; /* --gvisor-attach */
	long long holdback_ns; /* --gvisor-holdback; 0: the library's default */
};
#define GVISOR_SINK_LONG_OPT { "gvisor-sink", required_argument, NULL, OPT_GVISOR_SINK }
#define GVISOR_ATTACH_LONG_OPTS                                                  \
	{ "gvisor-root", required_argument, NULL, OPT_GVISOR_ROOT },             \
	{ "gvisor-attach", no_argument, NULL, OPT_GVISOR_ATTACH },               \
	{ "gvisor-holdback", required_argument, NULL, OPT_GVISOR_HOLDBACK }
#define GVISOR_LONG_OPTS GVISOR_SINK_LONG_OPT, GVISOR_ATTACH_LONG_OPTS
#define GVISOR_SINK_HELP                                                                 \
	"      --gvisor-sink PATH listen on the unix socket PATH (created mode 0600,\n"    \
	"                         removed at exit) for gVisor sandboxes' trace sinks\n"    \
	"                         (runsc --pod-init-config; kcap gvisor session-config)\n" \
	"                         and merge their events with the kernel's; without\n"     \
	"                         /dev/kcap, the sandboxes' events alone\n"
#define GVISOR_ROOT_HELP                                                               \
	"      --gvisor-root DIR  runsc's state root (runsc --root), for the container\n" \
	"                         metadata of sandboxed containers and --gvisor-attach;\n" \
	"                         several allowed, at most 8; default /var/run/runsc\n"   \
	"                         and containerd's runsc shim roots\n"                    \
	"                         /run/containerd/runsc/{k8s.io,default}\n"
#define GVISOR_ATTACH_HELP                                                               \
	"      --gvisor-attach    also watch the sandboxes already running in the runsc\n" \
	"                         roots: runsc trace create --force of the session\n"     \
	"                         \"Default\" (kcap gvisor session-config's points, the\n"  \
	"                         sink PATH) in each, removed again at exit\n"
#define GVISOR_HOLDBACK_HELP                                                             \
	"      --gvisor-holdback MS  hand out a sandbox's event, and hold the kernel's\n"  \
	"                         events, until they are MS old (1..10000, default\n"     \
	"                         50): gVisor's points arrive after their time, and\n"    \
	"                         within MS the merged stream stays in time order\n"
#define GVISOR_HELP GVISOR_SINK_HELP GVISOR_ROOT_HELP GVISOR_ATTACH_HELP GVISOR_HOLDBACK_HELP

/* A --gvisor-* option @c into @g: CLI_CONTINUE, or EXIT_USAGE after a message. */
int parse_gvisor_opt(const char *cmd, int c, const char *arg, struct cli_gvisor *g);
/* The --gvisor-* options together: CLI_CONTINUE, or EXIT_USAGE after a message. */
int check_gvisor_opts(const char *cmd, const struct cli_gvisor *g);

/*
 * The live source of a command: the driver's session (@o), with
 * @g->sink also the gVisor sink merged with it, or the sink alone when
 * the driver is not loaded (said on stderr). NULL after printing why.
 * Then the reader's priority (--nice, reader_priority()).
 */
struct kcap *open_live_sources(const char *cmd, struct kcap_open_opts *o,
			       const struct cli_gvisor *g);

/* Closes @h (NULL allowed); after open_live_sources() with --gvisor-attach,
 * first removes the trace sessions it created (gvisor_attach_end()). */
void close_live_sources(struct kcap *h);

/*
 * --gvisor-attach (gvisor_attach.c): a thread lists the running sandboxes
 * of @g's runsc roots (runsc list) and creates kcap's trace session in
 * each (runsc trace create), saying so on stderr, while the caller reads
 * the sink: a sandbox connects and waits for the sink's handshake before
 * runsc returns. NULL after printing why (nothing started).
 */
struct gvisor_attach;
struct gvisor_attach *gvisor_attach_start(const char *cmd, const struct cli_gvisor *g);
/* Joins the thread (a runsc still running is killed), deletes the sessions
 * it created (runsc trace delete), frees @a; NULL allowed. */
void gvisor_attach_end(struct gvisor_attach *a);

/* kcap gvisor's session JSON (gvisor_session.c): the session "Default" with points
 * for syscalls @nrs[@n] (and the lifecycle points) and a remote sink on
 * @sink, to @f. */
void gvisor_session_write(FILE *f, const char *sink, const unsigned int *nrs, int n,
			  bool lifecycle);
/* kcap gvisor session-config's default syscalls into @nrs; their count. */
int gvisor_default_points(unsigned int *nrs);
/* Why @sink cannot be a sink path in the session JSON, or NULL. */
const char *gvisor_sink_problem(const char *sink);

/*
 * --nice N (record, detect, export, stats): the live reader's nice value.
 * By default a reader started at nice 0 lowers its own to -10 (when it may:
 * root, CAP_SYS_NICE), so that a syscall storm of processes at the default
 * priority does not starve it into dropping events (docs/benchmarks.md,
 * the storm table); --nice N sets N instead (--nice 0 keeps the default
 * priority). parse_nice_opt() checks N (EXIT_USAGE after a message,
 * else CLI_CONTINUE); reader_priority() applies it once the capture is open.
 */
#define NICE_LONG_OPT { "nice", required_argument, NULL, OPT_NICE }
#define NICE_HELP                                                                    \
	"      --nice N           the reader's nice value, -20..19; default: -10 when\n" \
	"                         started at 0 and allowed (root), so that a syscall\n"  \
	"                         storm does not starve it into dropping events\n"
int parse_nice_opt(const char *cmd, const char *arg);
void reader_priority(const char *cmd);

/* --container-root DIR (detect, record): where the node's runtime state
 * files are, for container.* and k8s.* fields of live events. */
#define CONTAINER_ROOT_LONG_OPT { "container-root", required_argument, NULL, OPT_CONTAINER_ROOT }
#define CONTAINER_ROOT_HELP                                                              \
	"      --container-root DIR\n"                                                      \
	"                         live: read container.* and k8s.* fields from the\n"       \
	"                         runtimes' state files under DIR, the node's root as\n"    \
	"                         mounted in a pod (e.g. /host); default /\n"

/* --container-root's argument: an existing directory, else EXIT_USAGE
 * after a message; CLI_CONTINUE when good. */
int parse_container_root(const char *cmd, const char *arg);

/* The thread table of a command that evaluates fields; container metadata
 * of live events read under @container_root (NULL: /), runsc's roots from
 * @g (NULL or none given: the defaults). NULL with errno. */
struct kcap_state *cli_state_new(const char *container_root, const struct cli_gvisor *g);

/* kcap export's thread table (also with --to), container lookups
 * @ct_lookup (KCAP_CT_LOOKUP_*), seeded from @h (a failure only said on
 * stderr); NULL after printing why. */
struct kcap_state *export_thread_table(struct kcap *h, int ct_lookup);

/* Their entries in a command's getopt_long() table (with -e and -s). */
#define CAPTURE_LONG_OPTS                                                   \
	{ "syscalls", required_argument, NULL, 'e' },                       \
	{ "snaplen", required_argument, NULL, 's' },                        \
	{ "buffer-size", required_argument, NULL, OPT_BUFFER_SIZE },        \
	{ "no-lifecycle", no_argument, NULL, OPT_NO_LIFECYCLE },            \
	{ "enter", no_argument, NULL, OPT_ENTER },                          \
	NICE_LONG_OPT

/*
 * A capture option (-e, -s, --buffer-size, --no-lifecycle, --enter, --nice) into
 * @o; @nrs holds the -e list. Returns 0 or EXIT_USAGE after printing the
 * error.
 */
int parse_capture_opt(const char *cmd, int c, char *arg, struct kcap_open_opts *o,
		      unsigned int *nrs);

/* Writing a capture file (record -w, read -w): where and how. */
struct write_opts {
	const char *path;
	int level; /* zstd level, 0: default */
	unsigned long long rotate_bytes; /* -C, 0: no rotation by size */
	unsigned int rotate_secs; /* -G */
	unsigned int keep; /* -W */
};

/*
 * Whether output @path exists and is not a regular file (/dev/null, a
 * FIFO): such an output is written in place, never replaced by a temporary
 * file renamed over it (as root that would put a file where /dev/null was).
 */
bool out_in_place(const char *path);

/* Parses -w, -z, -C, -G, -W into @wo; EXIT_USAGE after a message. */
int parse_write_opt(const char *cmd, int c, const char *arg, struct write_opts *wo);

/* ---- Running ------------------------------------------------------------------ */

/*
 * Installs SIGINT/SIGTERM handlers that set the flag returned here.
 * SIGPIPE keeps its default action (main.c): every command ends at once,
 * status 141, when the reader of its output goes away.
 */
volatile int *install_stop_signals(void);

/*
 * While waiting for live events: if standard output is a pipe whose
 * reader is gone, end as a write to it would (SIGPIPE), instead of
 * waiting for the next line to print.
 */
void check_stdout_reader(void);

/*
 * The same check once every 256 calls: for each event of a loop whose
 * events keep coming (and may print nothing, as detect without alerts or
 * record with a filter that matches none), so that a gone reader ends it
 * within a few hundred events, not only when the rings are idle (a poll()
 * per 256 events costs a few nanoseconds an event).
 */
void stdout_reader_tick(void);

/*
 * The end of a command's output: flushes stdout; if a write to it failed
 * (disk full, /dev/full, closed), prints "kcap CMD: writing output: REASON"
 * and returns EXIT_RUNTIME, else 0. main.c calls it after every command
 * that succeeded; a command that prints a lot stops at its first failed
 * write (print_event() returns false).
 */
int check_output(const char *cmd);

/* Returns @ok; when false, notes errno as the reason of the failed write to
 * stdout that check_output() reports (stdio does not keep it). */
bool output_ok(bool ok);

/* The libkcap error of a failed kcap_open_live(), in one line; a missing
 * driver gets the same advice from every command. */
void live_open_error(const char *cmd, const char *errbuf);

/* Seconds on the monotonic clock, for rates and durations. */
double mono_seconds(void);

/* Prints @ev as one line (kcap_event_format()); false if stdout is gone.
 * The lines go to stdout in blocks (at once on a terminal): print_flush()
 * writes what is pending (check_output() does); false if that failed. */
bool print_event(const struct kcap *h, const struct kcap_event_hdr *ev);
bool print_flush(void);

/* ---- Capture files as input ----------------------------------------------------- */

/* Opens capture file @path for reading, "-" standard input (a pipe is read
 * forward only); NULL after printing why. */
struct kcap *open_capture(const char *cmd, const char *path, const struct kcap_file_opts *o);

/*
 * After reading @path to its end: warns on stderr when the capture was not
 * closed cleanly (how many events were recovered: @events) or when bytes
 * follow its end (two captures concatenated: where it ends).
 */
void report_file_end(const char *cmd, struct kcap *h, const char *path, unsigned long long events);

/* The syscall selection of -e on a capture file: lifecycle and marker
 * events always pass, syscall events by number or name. */
struct syscall_filter {
	bool on;
	unsigned char nrs[KCAP_SYSCALL_MAX];
	unsigned char by_type[256]; /* the verdict per event type, filled lazily */
};

/* -e LIST into @f; 0 or EXIT_USAGE after a message. */
int syscall_filter_parse(const char *cmd, char *list, struct syscall_filter *f);

/* syscall_filter.by_type: the verdict of every event of a type, or that
 * its syscall number decides (generic events). */
enum { SC_TYPE_UNKNOWN, SC_TYPE_KEEP, SC_TYPE_DROP, SC_TYPE_BY_NR };

/* syscall_filter_keep() past the verdicts cached per type. */
bool syscall_filter_slow(struct kcap *h, struct syscall_filter *f, const struct kcap_event_hdr *ev);

/* Whether @ev passes @f (always if @f is off). Called for every event of a
 * file: the cached verdicts and a generic event's number (parameter 0,
 * docs/abi.md: the lengths, then the bytes; kcap_next() checked that they
 * add up) are read here, the rest in syscall_filter_slow(). */
static inline bool syscall_filter_keep(struct kcap *h, struct syscall_filter *f,
				       const struct kcap_event_hdr *ev)
{
	unsigned char v;
	__u16 len0;
	__u32 nr;

	if (!f->on)
		return true;
	v = ev->type < sizeof(f->by_type) ? f->by_type[ev->type] : SC_TYPE_UNKNOWN;
	if (v == SC_TYPE_KEEP || v == SC_TYPE_DROP)
		return v == SC_TYPE_KEEP;
	if (v == SC_TYPE_BY_NR && !(ev->flags & KCAP_EVF_COMPAT) && ev->nparams >= 1) {
		const unsigned char *p = (const unsigned char *)(ev + 1) + 2 * ev->nparams;

		memcpy(&len0, ev + 1, sizeof(len0));
		/* ABI 3: numbers below 128 in one byte (most syscalls) */
		if (len0 == 1)
			return p[0] < 0x80 && f->nrs[p[0]];
		if (len0 == 2) {
			nr = (__u32)p[0] | (__u32)p[1] << 8;
			return nr < KCAP_SYSCALL_MAX && f->nrs[nr];
		}
		if (len0 == sizeof(nr)) {
			memcpy(&nr, p, sizeof(nr));
			return nr < KCAP_SYSCALL_MAX && f->nrs[nr];
		}
	}
	return syscall_filter_slow(h, f, ev);
}

/*
 * A filter expression in Falco's syntax from the arguments argv[first..]
 * (joined with spaces, as tcpdump does). NULL with *status 0 when there
 * are none; NULL with *status EXIT_USAGE after a message when it does not
 * compile.
 */
struct kcap_filter *parse_filter_args(const char *cmd, int argc, char **argv, int first,
				      int *status);

/* Sums every ring's drop counters of live handle @h into @drops (by enum
 * kcap_drop_cause); 0 or a negative errno. */
int sum_drops(struct kcap *h, __u64 drops[KCAP_DROP_NR_SLOTS]);

/* Live capture with a FILTER and no -e: only the syscalls @expr can match
 * and the thread table needs (kcap_filter_syscalls()) into @o, the numbers
 * in @nrs (KCAP_SYSCALL_MAX of them); @o unchanged when it needs all. */
void filter_interest(struct kcap_filter *expr, struct kcap_open_opts *o, unsigned int *nrs);

/* The thread table @st (may be NULL) sees @ev, then whether it matches
 * @expr (NULL: every event does). */
bool keep_event(struct kcap_filter *expr, struct kcap_state *st, struct kcap *h,
		const struct kcap_event_hdr *ev);

/*
 * Progress of reading a capture file on stderr, when it is a terminal:
 * events, percent (by time, when the file has an index), rate; at most
 * four updates a second. progress_end() clears the line and, with
 * @summary, prints "kcap CMD: N events in S s (R/s)" (terminal only too).
 */
struct file_progress {
	bool on;
	bool shown;
	const char *cmd;
	double t0, last;
	unsigned long long lo, hi; /* the time range read, for the percentage */
};

/* @prints: the command prints to stdout (no progress when it is a terminal too). */
void progress_init(struct file_progress *p, const char *cmd, struct kcap *h,
		   unsigned long long start, unsigned long long end, bool prints);
void progress_show(struct file_progress *p, unsigned long long events, unsigned long long ts);
/* Every event: a look at the clock every 1024 events when progress is on. */
static inline void progress_tick(struct file_progress *p, unsigned long long events,
				 unsigned long long ts)
{
	if (p->on && !(events & 1023))
		progress_show(p, events, ts);
}
void progress_end(struct file_progress *p, unsigned long long events, bool summary);

/* ---- record's own helper (record_file.c, used by record.c only) ----------------- */

/* Writes @h's events (those matching @expr, if any, with thread table
 * @st) to a capture file until -n, a signal or an error; prints errors and
 * a summary on stderr; returns the exit status. */
int record_to_file(struct kcap *h, const struct write_opts *wo, unsigned long long count,
		   volatile int *stop, struct kcap_filter *expr, struct kcap_state *st);

/* ---- export's own helper (export_split.c, used by export.c only) -------------- */

/* --split DIR: the protobuf stream cut into one file per message. */
struct export_split {
	const char *dir;	  /* DIR as given */
	char path[PATH_MAX];	  /* where the files go: DIR, or a temporary beside it */
	bool tmp;		  /* path is renamed to DIR at the end (-r) */
	int fd;			  /* the delimited stream, as the exporter writes it */
	unsigned long long off;	  /* stream bytes split so far */
	unsigned long long count; /* files written */
	unsigned char *buf;	  /* the stream from off on, have bytes of cap */
	size_t have, cap;
};

/* Prepares DIR (@atomic: it appears when complete, else written in place)
 * and the stream file (s->fd, for kcap_export_opts.fd); 0, or the exit
 * status after a message. */
int split_open(struct export_split *s, const char *dir, bool atomic);

/* Writes the complete messages the stream file holds now; 0 or the exit
 * status after a message. */
int split_drain(struct export_split *s);

/* The end: with @status 0, the last messages and (atomic) the rename to
 * DIR; else the temporary directory is removed, or with @keep_partial
 * renamed to DIR.partial. Returns the exit status. */
int split_close(struct export_split *s, int status, bool keep_partial);

#endif /* KCAP_CLI_H */
