// SPDX-License-Identifier: Apache-2.0
/*
 * kcap read: print a capture file the way live capture prints events, or
 * write a filtered copy of it (-w), optionally for a time window only.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char read_usage[] =
	"Usage: kcap read -r FILE [--start T] [--end T] [-n N] [-e SYSCALL[,..]]\n"
	"                 [-w OUT [-z LEVEL]]\n"
	"Print the events of a capture file (kcap record -w) as live capture prints\n"
	"them, one line per event; with -w, write the selected events to a new\n"
	"capture file instead (same machine info, event table and drop records).\n"
	"\n"
	"  -r, --read FILE        the capture file\n"
	"      --start T          only events at or after T\n"
	"      --end T            only events at or before T\n"
	"                         T is SECONDS[.NANOS] as printed in event lines,\n"
	"                         or +SECONDS[.FRACTION] after the first event\n"
	"  -n, --count N          stop after N events\n"
	"  -e, --syscalls LIST    only these syscalls' events (names or numbers);\n"
	"                         process lifecycle and drop events are always kept\n"
	"  -w, --write OUT        write a filtered capture file\n"
	"  -z, --level LEVEL      zstd level for -w (1..19, default 1)\n"
	"  -h, --help             show this help\n"
	"A file that was not closed cleanly (a killed recorder) is read up to its\n"
	"last complete block, with a warning on stderr.\n";

enum { OPT_START = OPT_COMMAND, OPT_END };

static const struct option read_opts[] = {
	{ "read", required_argument, NULL, 'r' },
	{ "start", required_argument, NULL, OPT_START },
	{ "end", required_argument, NULL, OPT_END },
	{ "count", required_argument, NULL, 'n' },
	{ "syscalls", required_argument, NULL, 'e' },
	{ "write", required_argument, NULL, 'w' },
	{ "level", required_argument, NULL, 'z' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct time_arg {
	bool set;
	bool relative;
	unsigned long long ns;
};

/* SECONDS[.NANOS] or +SECONDS[.FRACTION] into @t. */
static bool parse_time(const char *s, struct time_arg *t)
{
	unsigned long long secs, frac = 0;
	char whole[32], *dot;
	size_t i, n;

	t->relative = *s == '+';
	if (t->relative)
		s++;
	if (strlen(s) >= sizeof(whole))
		return false;
	snprintf(whole, sizeof(whole), "%s", s);
	dot = strchr(whole, '.');
	if (dot) {
		*dot++ = '\0';
		n = strlen(dot);
		if (!n || n > 9)
			return false;
		for (i = 0; i < 9; i++) {
			if (i < n && (dot[i] < '0' || dot[i] > '9'))
				return false;
			frac = frac * 10 + (i < n ? (unsigned long long)(dot[i] - '0') : 0);
		}
	}
	if (!parse_u64(whole, 0, 1ULL << 33, &secs))
		return false;
	t->ns = secs * 1000000000ULL + frac;
	t->set = true;
	return true;
}

/* The first event's time, for +SECONDS; 0 if the file has none. */
static unsigned long long first_ts(const char *path)
{
	KCAP_OPTS(kcap_file_opts, o);
	const struct kcap_event_hdr *ev;
	struct kcap_file_info fi;
	struct kcap *h = kcap_open_file(path, &o);
	unsigned long long ts = 0;

	if (!h)
		return 0;
	if (!kcap_file_info(h, &fi, sizeof(fi)) && (fi.flags & KCAP_FILE_INDEXED))
		ts = fi.first_ts;
	else if (!kcap_next(h, &ev))
		ts = ev->ts_ns;
	kcap_close(h);
	return ts;
}

/* Event types whose filter verdict is cached (they do not change within a
 * file: the verdict of a type depends on the file's event table only). */
#define FILTER_TYPES 256
enum { TYPE_UNKNOWN, TYPE_KEEP, TYPE_DROP, TYPE_BY_NR };

struct filter {
	bool on;
	unsigned char nrs[KCAP_SYSCALL_MAX];
	unsigned char by_type[FILTER_TYPES]; /* TYPE_*, filled lazily */
};

/* The verdict for every event of type @d: lifecycle and marker events pass,
 * decoded syscalls by their name, generic syscall events by number. */
static unsigned char type_verdict(const struct filter *f, const struct kcap_event_hdr *ev,
				  const struct kcap_event_desc *d)
{
	int nr;

	if (!d || d->flags & (KCAP_EDF_LIFECYCLE | KCAP_EDF_MARKER))
		return TYPE_KEEP;
	if (ev->type == KCAP_EVT_SYSCALL || ev->type == KCAP_EVT_SYSCALL_ENTER)
		return TYPE_BY_NR;
	nr = kcap_syscall_nr(d->name, KCAP_SC_X86_64);
	return nr >= 0 && nr < KCAP_SYSCALL_MAX && f->nrs[nr] ? TYPE_KEEP : TYPE_DROP;
}

/* Lifecycle and marker events always pass; syscall events by number (or,
 * for events named after a syscall, by name). */
static bool keep(struct kcap *h, struct filter *f, const struct kcap_event_hdr *ev)
{
	const struct kcap_event_desc *d;
	const __u16 *lens;
	const char *name;
	unsigned char v;
	int nr;

	if (!f->on)
		return true;
	v = ev->type < FILTER_TYPES ? f->by_type[ev->type] : TYPE_UNKNOWN;
	if (v == TYPE_UNKNOWN) {
		d = kcap_handle_event_desc(h, ev->type);
		v = type_verdict(f, ev, d);
		if (ev->type < FILTER_TYPES)
			f->by_type[ev->type] = v;
	}
	if (v != TYPE_BY_NR)
		return v == TYPE_KEEP;
	/* The number is parameter 0 (docs/abi.md: the lengths, then the
	 * bytes); kcap_next() checked that the lengths add up. */
	lens = (const __u16 *)(ev + 1);
	if (ev->nparams >= 1 && lens[0] == sizeof(__u32)) {
		__u32 nr32;

		memcpy(&nr32, lens + ev->nparams, sizeof(nr32));
		nr = nr32 > 0x7fffffff ? -1 : (int)nr32;
	} else {
		nr = kcap_event_syscall_nr(ev);
	}
	if (nr >= 0 && (ev->flags & KCAP_EVF_COMPAT)) {
		name = kcap_syscall_name((unsigned int)nr, KCAP_SC_IA32);
		nr = name ? kcap_syscall_nr(name, KCAP_SC_X86_64) : -1;
	}
	return nr >= 0 && nr < KCAP_SYSCALL_MAX && f->nrs[nr];
}

static void warn_unclean(struct kcap *h, const char *path)
{
	struct kcap_file_info fi;

	if (kcap_file_info(h, &fi, sizeof(fi)) || (fi.flags & KCAP_FILE_CLOSED))
		return;
	fprintf(stderr, "kcap: %s: not closed cleanly (%s at offset %llu); read up to there\n",
		path, fi.flags & KCAP_FILE_TRUNCATED ? "a block cut short" : "no closing block",
		(unsigned long long)fi.end_offset);
}

int cmd_read(int argc, char **argv)
{
	static unsigned int nrs[KCAP_SYSCALL_MAX];
	static struct filter flt;
	struct write_opts ro = { 0 };
	struct time_arg start = { 0 }, end = { 0 };
	const char *in = NULL, *bad;
	unsigned long long count = 0, seen = 0, base = 0;
	const struct kcap_event_hdr *ev;
	struct kcap_writer *w = NULL;
	char errbuf[256] = "";
	struct kcap *h;
	int c, i, n, err, status = 0;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+r:n:e:w:z:h", read_opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(read_usage, stdout);
			return 0;
		case 'r':
			in = optarg;
			break;
		case 'n':
			if (!parse_u64(optarg, 1, ~0ULL, &count))
				return usage_error("read", "-n %s: need a positive number", optarg);
			break;
		case OPT_START:
		case OPT_END:
			if (!parse_time(optarg, c == OPT_START ? &start : &end))
				return usage_error("read", "%s %s: need SECONDS[.NANOS] or +SECONDS",
						   c == OPT_START ? "--start" : "--end", optarg);
			break;
		case 'e':
			n = parse_syscalls(optarg, nrs, &bad);
			if (n < 0)
				return *bad ? usage_error("read", "unknown syscall '%s' in -e", bad)
					    : usage_error("read", "-e needs at least one syscall");
			flt.on = true;
			for (i = 0; i < n; i++)
				flt.nrs[nrs[i]] = 1;
			break;
		case 'w':
		case 'z':
			err = parse_write_opt("read", c, optarg, &ro);
			if (err)
				return err;
			break;
		default:
			return usage_error("read", "bad option");
		}
	}
	if (optind < argc)
		return usage_error("read", "unexpected argument '%s'", argv[optind]);
	if (!in)
		return usage_error("read", "no capture file: give -r FILE");
	if (ro.level && !ro.path)
		return usage_error("read", "-z needs -w OUT");
	if (start.relative || end.relative)
		base = first_ts(in);
	{
		KCAP_OPTS(kcap_file_opts, o, .errbuf = errbuf, .errbuf_sz = sizeof(errbuf),
			  .start_ns = start.set ? start.ns + (start.relative ? base : 0) : 0,
			  .end_ns = end.set ? end.ns + (end.relative ? base : 0) : 0);

		h = kcap_open_file(in, &o);
	}
	if (!h) {
		fprintf(stderr, "kcap: %s\n", errbuf);
		return EXIT_RUNTIME;
	}
	if (ro.path) {
		KCAP_OPTS(kcap_writer_opts, wo, .level = ro.level, .source = h,
			  .flags = KCAP_WRITER_NO_PROCS, .errbuf = errbuf,
			  .errbuf_sz = sizeof(errbuf));

		w = kcap_writer_open(ro.path, &wo);
		if (!w) {
			fprintf(stderr, "kcap: %s\n", errbuf);
			kcap_close(h);
			return EXIT_RUNTIME;
		}
	}
	while (!count || seen < count) {
		err = kcap_next(h, &ev);
		if (err)
			break;
		if (!keep(h, &flt, ev))
			continue;
		seen++;
		if (w) {
			if (kcap_writer_write(w, ev))
				break;
			continue;
		}
		if (!print_event(h, ev))
			break;
	}
	if (err && err != -ENODATA) {
		fprintf(stderr, "kcap: %s\n", kcap_errmsg(h));
		status = EXIT_RUNTIME;
	} else if (err == -ENODATA) {
		warn_unclean(h, in);
	}
	if (w && (kcap_writer_finish(w) || (status == 0 && *kcap_writer_errmsg(w)))) {
		fprintf(stderr, "kcap: %s\n", kcap_writer_errmsg(w));
		status = EXIT_RUNTIME;
	}
	kcap_writer_close(w);
	if (fflush(stdout) && errno != EPIPE)
		status = EXIT_RUNTIME;
	kcap_close(h);
	return status;
}
