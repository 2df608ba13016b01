// SPDX-License-Identifier: Apache-2.0
/*
 * kcap read: print a capture file the way live capture prints events (or
 * as JSON, or in a format of %fields), or write a filtered copy of it
 * (-w), optionally for a time window and a filter expression only.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "kcap_detect.h"
#include "kcap_export.h"

static const char read_usage[] =
	"Usage: kcap read -r FILE [--start T] [--end T] [-n N] [-e SYSCALL[,..]]\n"
	"                 [-j | -p FORMAT | -w OUT [-z LEVEL] [--keep-partial]] [FILTER]\n"
	"Print the events of a capture file (kcap record -w) as live capture prints\n"
	"them, one line per event; with -w, write the selected events to a new\n"
	"capture file instead (same machine info, process snapshot, capture start\n"
	"and stop, event table and drop records).\n"
	"\n"
	"  -r, --read FILE        the capture file; - reads standard input (a pipe:\n"
	"                         forward only)\n"
	"      --start T          only events at or after T\n"
	"      --end T            only events at or before T;\n"
	"                         T is SECONDS[.NANOS] as printed in event lines,\n"
	"                         +SECONDS[.FRACTION] after the first event, or a UTC\n"
	"                         time as kcap info prints it:\n"
	"                         \"YYYY-MM-DD HH:MM:SS[.NANOS] UTC\"\n"
	"  -n, --count N          stop after N events\n"
	"  -e, --syscalls LIST    only these syscalls' events (names or numbers);\n"
	"                         process lifecycle and drop events are always kept\n"
	"  -j, --json             one JSON object per event (as kcap export -j, without\n"
	"                         the process fields)\n"
	"  -p, --print FORMAT     one line per event in FORMAT, text with %field as in\n"
	"                         rule outputs: -p '%evt.time %proc.name %evt.type %fd.name'\n"
	"                         (kcap list-fields)\n"
	"  -w, --write OUT        write a filtered capture file; it appears as OUT only\n"
	"                         when complete (on an error or a signal nothing is left)\n"
	"  -z, --level LEVEL      zstd level for -w (1..19, default 1)\n"
	"      --keep-partial     with -w: on failure keep what was written as\n"
	"                         OUT.partial (not closed cleanly)\n"
	"  -h, --help             show this help\n"
	"FILTER is an expression in Falco's (sysdig's) filter syntax, the rest of the\n"
	"command line: kcap read -r F 'proc.name=sh and evt.type=openat'. Fields:\n"
	"kcap list-fields; process fields come from the file's process snapshot\n"
	"and the events before.\n"
	"A file that was not closed cleanly (a killed recorder) is read up to its\n"
	"last complete block, with a warning on stderr saying how many events were\n"
	"recovered; copying it with -w gives a cleanly closed file of those. Bytes\n"
	"after a capture's end (files concatenated) are not read, with a warning.\n"
	"Writing OUT onto FILE itself (also through a link) is refused. Progress\n"
	"and a summary go to stderr when it is a terminal.\n";

enum { OPT_START = OPT_COMMAND, OPT_END, OPT_KEEP_PARTIAL };

static const char read_optstring[] = "+r:n:e:jp:w:z:h";

static const struct option read_opts[] = {
	{ "read", required_argument, NULL, 'r' },
	{ "start", required_argument, NULL, OPT_START },
	{ "end", required_argument, NULL, OPT_END },
	{ "count", required_argument, NULL, 'n' },
	{ "syscalls", required_argument, NULL, 'e' },
	{ "json", no_argument, NULL, 'j' },
	{ "print", required_argument, NULL, 'p' },
	{ "write", required_argument, NULL, 'w' },
	{ "level", required_argument, NULL, 'z' },
	{ "keep-partial", no_argument, NULL, OPT_KEEP_PARTIAL },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* --start or --end as given: resolved against the file once it is open. */
struct time_arg {
	enum { T_NONE, T_MONO, T_REL, T_WALL } kind;
	long long ns; /* T_MONO, T_REL: nanoseconds; T_WALL: since the epoch */
};

/* "SECONDS[.FRACTION]" into nanoseconds; the rest of the string in *end. */
static bool parse_secs(const char *s, unsigned long long max_secs, unsigned long long *ns,
		       const char **end)
{
	unsigned long long secs = 0, frac = 0;
	int digits = 0, i;

	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		secs = secs * 10 + (unsigned long long)(*s - '0');
		if (secs > max_secs)
			return false;
	}
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++, digits++)
			if (digits < 9)
				frac = frac * 10 + (unsigned long long)(*s - '0');
		if (!digits || digits > 9)
			return false;
		for (i = digits; i < 9; i++)
			frac *= 10;
	}
	*ns = secs * 1000000000ULL + frac;
	*end = s;
	return true;
}

/* "YYYY-MM-DD HH:MM:SS[.NANOS][ UTC][ (...)]" (kcap info), or with a T. */
static bool parse_wall(const char *s, long long *ns)
{
	unsigned long long secs_ns;
	int y, mo, d, h, mi, n = 0;
	struct tm tm;
	const char *rest;
	time_t t;

	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10 ||
	    (s[10] != ' ' && s[10] != 'T'))
		return false;
	if (sscanf(s + 11, "%2d:%2d:%n", &h, &mi, &n) != 2 || n != 6)
		return false;
	if (!parse_secs(s + 17, 60, &secs_ns, &rest))
		return false;
	if (!strncmp(rest, " UTC", 4) || *rest == 'Z')
		rest += *rest == 'Z' ? 1 : 4;
	if (*rest && strncmp(rest, " (", 2))
		return false;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59)
		return false;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return false;
	*ns = (long long)t * 1000000000LL + (long long)secs_ns;
	return true;
}

static bool parse_time(const char *s, struct time_arg *t)
{
	unsigned long long ns;
	const char *end;

	if (parse_wall(s, &t->ns)) {
		t->kind = T_WALL;
		return true;
	}
	t->kind = *s == '+' ? T_REL : T_MONO;
	if (!parse_secs(s + (*s == '+'), 1ULL << 33, &ns, &end) || *end)
		return false;
	t->ns = (long long)ns;
	return true;
}

/* @t on the file's monotonic clock (@base: its first event, for +T); 0 if
 * before the capture's clock started. */
static unsigned long long resolve(const struct time_arg *t, long long boot_wall,
				  unsigned long long base)
{
	long long v;

	switch (t->kind) {
	case T_REL:
		return base + (unsigned long long)t->ns;
	case T_WALL:
		v = t->ns - boot_wall;
		return v > 0 ? (unsigned long long)v : 1;
	default:
		return (unsigned long long)t->ns;
	}
}

/* The first event's time (for +T) and the wall clock offset (for UTC
 * times) of a file that can be opened twice; false if it cannot be read. */
static bool probe_file(const char *path, unsigned long long *first, long long *boot_wall)
{
	KCAP_OPTS(kcap_file_opts, o);
	const struct kcap_event_hdr *ev;
	struct kcap_file_info fi;
	struct kcap *h = kcap_open_file(path, &o);

	if (!h)
		return false;
	*first = 0;
	if (!kcap_file_info(h, &fi, sizeof(fi))) {
		*boot_wall = fi.boot_wall_ns;
		if (fi.flags & KCAP_FILE_INDEXED)
			*first = fi.first_ts;
	}
	if (!*first && !kcap_next(h, &ev))
		*first = ev->ts_ns;
	kcap_close(h);
	return true;
}

struct read_args {
	const char *in;
	struct write_opts wo;
	bool keep_partial;
	bool json;
	const char *format; /* -p */
	struct time_arg start, end;
	unsigned long long count;
	struct syscall_filter sc; /* -e */
	struct kcap_filter *expr; /* the FILTER argument */
};

/* Options and arguments into @a; CLI_CONTINUE, or the exit status. */
static int parse_args(int argc, char **argv, struct read_args *a)
{
	int c, err;

	optind = 0;
	while ((c = getopt_long(argc, argv, read_optstring, read_opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(read_usage, stdout);
			return 0;
		case 'r':
			a->in = optarg;
			break;
		case 'n':
			if (!parse_u64(optarg, 1, ~0ULL, &a->count))
				return usage_error("read", "-n %s: need a positive number", optarg);
			break;
		case OPT_START:
		case OPT_END:
			if (!parse_time(optarg, c == OPT_START ? &a->start : &a->end))
				return usage_error("read",
						   "%s '%s': need SECONDS[.NANOS], +SECONDS or "
						   "\"YYYY-MM-DD HH:MM:SS[.NANOS] UTC\"",
						   c == OPT_START ? "--start" : "--end", optarg);
			break;
		case 'e':
			err = syscall_filter_parse("read", optarg, &a->sc);
			if (err)
				return err;
			break;
		case 'j':
			a->json = true;
			break;
		case 'p':
			a->format = optarg;
			break;
		case OPT_KEEP_PARTIAL:
			a->keep_partial = true;
			break;
		case 'w':
		case 'z':
			err = parse_write_opt("read", c, optarg, &a->wo);
			if (err)
				return err;
			break;
		default:
			return bad_option("read", argc, argv, read_optstring);
		}
	}
	if (!a->in)
		return usage_error("read", "no capture file: give -r FILE (- for standard input)");
	if (a->wo.level && !a->wo.path)
		return usage_error("read", "-z needs -w OUT");
	if (a->keep_partial && !a->wo.path)
		return usage_error("read", "--keep-partial needs -w OUT");
	if ((a->json || a->format) + (a->wo.path != NULL) > 1 || (a->json && a->format))
		return usage_error("read", "-j, -p and -w exclude each other");
	if (a->start.kind && a->start.kind == a->end.kind && a->start.ns > a->end.ns)
		return usage_error("read", "--start is after --end: the range is empty");
	a->expr = parse_filter_args("read", argc, argv, optind, &err);
	return err ? err : CLI_CONTINUE;
}

/* The time window on the file's clock: from the file itself, or from a
 * second open of it (+T and UTC times). 0 or EXIT_USAGE/EXIT_RUNTIME. */
static int window(const struct read_args *a, unsigned long long *start, unsigned long long *end)
{
	unsigned long long first = 0;
	long long boot_wall = 0;

	*start = *end = 0;
	if (!a->start.kind && !a->end.kind)
		return 0;
	if ((a->start.kind == T_REL || a->start.kind == T_WALL || a->end.kind == T_REL ||
	     a->end.kind == T_WALL) &&
	    !probe_file(a->in, &first, &boot_wall))
		return 0; /* the real open says why */
	if (a->start.kind)
		*start = resolve(&a->start, boot_wall, first);
	if (a->end.kind)
		*end = resolve(&a->end, boot_wall, first);
	if (a->start.kind && a->end.kind && *start > *end)
		return usage_error("read", "--start is after --end: the range is empty");
	return 0;
}

/* How the selected events go out: printed (text, JSON, -p) or written. */
struct sink {
	struct kcap_writer *w;
	struct kcap_output *fmt;
	bool json;
	char *buf;
	size_t cap;
};

/* One event out; false when the output failed (message printed for the
 * writer; stdout's by check_output()). */
static bool emit(struct sink *o, struct kcap *h, struct kcap_state *st,
		 const struct kcap_event_hdr *ev)
{
	int n;

	if (o->w) {
		if (!kcap_writer_write(o->w, ev))
			return true;
		fprintf(stderr, "kcap read: %s\n", kcap_writer_errmsg(o->w));
		return false;
	}
	if (!o->json && !o->fmt)
		return print_event(h, ev);
	for (;;) {
		n = o->json ? kcap_event_to_json(h, ev, o->buf, o->cap)
			    : kcap_output_render(o->fmt, st, h, ev, o->buf, o->cap);
		if (n < 0)
			return true;
		if ((size_t)n < o->cap)
			break;
		char *p = realloc(o->buf, (size_t)n + 1);

		if (!p) {
			fprintf(stderr, "kcap read: out of memory\n");
			return false;
		}
		o->buf = p;
		o->cap = (size_t)n + 1;
	}
	return output_ok(puts(o->buf) >= 0);
}

/* Opens -w OUT: complete or not at all (or OUT.partial); NULL after a
 * message. */
static struct kcap_writer *open_copy(const struct read_args *a, struct kcap *h)
{
	char errbuf[512] = "";
	struct kcap_writer *w;
	/* .source: the copy keeps the file's machine, snapshot, start and
	 * stop times and event table, and the library refuses to write it
	 * onto the file it reads. */
	KCAP_OPTS(kcap_writer_opts, wo, .level = a->wo.level, .source = h,
		  .flags = KCAP_WRITER_ATOMIC | (a->keep_partial ? KCAP_WRITER_KEEP_PARTIAL : 0),
		  .errbuf = errbuf, .errbuf_sz = sizeof(errbuf));

	w = kcap_writer_open(a->wo.path, &wo);
	if (!w)
		fprintf(stderr, "kcap read: %s\n", errbuf);
	return w;
}

/* A standard input's window, known at its first event: the header gave
 * the wall clock offset, the event the base of +T. */
static int stream_window(const struct read_args *a, struct kcap *h, unsigned long long first,
			 unsigned long long *start, unsigned long long *end)
{
	struct kcap_file_info fi;
	long long boot_wall = 0;

	if (!kcap_file_info(h, &fi, sizeof(fi)))
		boot_wall = fi.boot_wall_ns;
	*start = a->start.kind ? resolve(&a->start, boot_wall, first) : 0;
	*end = a->end.kind ? resolve(&a->end, boot_wall, first) : ~0ULL;
	if (*start > *end)
		return usage_error("read", "--start is after --end: the range is empty");
	return 0;
}

/* The events, selected, out; until -n, the end, a signal or an error.
 * 0, or the exit status after a message. */
static int run(struct read_args *a, struct kcap *h, struct kcap_state *st, struct sink *o,
	       unsigned long long start, unsigned long long end)
{
	bool late = !strcmp(a->in, "-") && (a->start.kind || a->end.kind);
	unsigned long long total = 0, seen = 0;
	volatile int *stop = o->w ? install_stop_signals() : NULL;
	const struct kcap_event_hdr *ev;
	struct file_progress pr;
	int err = 0, status = 0;

	progress_init(&pr, "read", h, start, end, !o->w);
	while (!a->count || seen < a->count) {
		if (stop && *stop) {
			progress_end(&pr, total, false);
			fprintf(stderr, "kcap read: interrupted\n");
			return EXIT_RUNTIME;
		}
		err = kcap_next(h, &ev);
		if (err)
			break;
		total++;
		progress_tick(&pr, total, ev->ts_ns);
		if (late && total == 1) {
			status = stream_window(a, h, ev->ts_ns, &start, &end);
			if (status)
				break;
		}
		if (late && (ev->ts_ns < start || ev->ts_ns > end))
			continue;
		if (st)
			kcap_state_update(st, h, ev);
		if (!syscall_filter_keep(h, &a->sc, ev))
			continue;
		if (a->expr && kcap_filter_match(a->expr, st, h, ev) != 1)
			continue;
		seen++;
		if (!emit(o, h, st, ev)) {
			/* stdout's failure is reported by main.c */
			status = o->w ? EXIT_RUNTIME : 0;
			err = 0;
			break;
		}
	}
	progress_end(&pr, total, true);
	if (err && err != -ENODATA) {
		print_flush(); /* the events read before the error, then the error */
		fflush(stdout);
		fprintf(stderr, "kcap read: %s\n", kcap_errmsg(h));
		status = EXIT_RUNTIME;
	} else if (err == -ENODATA) {
		report_file_end("read", h, a->in, total);
	}
	return status;
}

int cmd_read(int argc, char **argv)
{
	static struct read_args a;
	unsigned long long start = 0, end = 0;
	struct kcap_state *st = NULL;
	struct sink o = {.json = false};
	struct kcap *h = NULL;
	int status;

	memset(&a, 0, sizeof(a));
	status = parse_args(argc, argv, &a);
	if (status != CLI_CONTINUE)
		goto out;
	if (strcmp(a.in, "-")) {
		status = window(&a, &start, &end);
		if (status)
			goto out;
	}
	{
		KCAP_OPTS(kcap_file_opts, fo, .start_ns = start, .end_ns = end);

		h = open_capture("read", a.in, &fo);
	}
	status = EXIT_RUNTIME;
	if (!h)
		goto out;
	if (a.format) {
		char errbuf[512] = "";
		KCAP_OPTS(kcap_output_opts, oo, .errbuf = errbuf, .errbuf_sz = sizeof(errbuf));

		o.fmt = kcap_output_compile(a.format, &oo);
		if (!o.fmt) {
			status = usage_error("read", "-p: %s", errbuf);
			goto out;
		}
	}
	if ((a.expr && kcap_filter_needs_state(a.expr)) ||
	    (o.fmt && kcap_output_needs_state(o.fmt))) {
		/* proc.* and fd.* fields: the thread table, from the snapshot on
		 * (evt.* fields without it: the events alone) */
		st = kcap_state_new(NULL);
		if (!st || kcap_state_seed(st, h) < 0)
			fprintf(stderr,
				"kcap read: process snapshot: %s (process fields fill in as "
				"events come)\n",
				strerror(errno));
	}
	o.json = a.json;
	if (a.wo.path) {
		o.w = open_copy(&a, h);
		if (!o.w)
			goto out;
	}
	status = run(&a, h, st, &o, start, end);
	if (o.w && !status && kcap_writer_finish(o.w)) {
		fprintf(stderr, "kcap read: %s\n", kcap_writer_errmsg(o.w));
		status = EXIT_RUNTIME;
	}
	if (o.w && status)
		fprintf(stderr, "kcap read: %s not written%s%s%s\n", a.wo.path,
			a.keep_partial ? "; what was, is in " : "", a.keep_partial ? a.wo.path : "",
			a.keep_partial ? ".partial" : "");
out:
	kcap_writer_close(o.w);
	kcap_output_free(o.fmt);
	free(o.buf);
	kcap_state_free(st);
	kcap_filter_free(a.expr);
	kcap_close(h);
	return status;
}
