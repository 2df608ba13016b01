// SPDX-License-Identifier: Apache-2.0
/*
 * kcap export: live events (or a capture file's, -r) as a stream of
 * kcap.v1.Event messages, protobuf or JSON, to stdout, a file or one
 * client of a loopback TCP or unix listener (libkcap's exporter). A thread
 * table (kcap_state), seeded from /proc or the file's process snapshot and
 * updated with every event, gives each event its process and container.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "kcap_detect.h"
#include "kcap_export.h"

static const char export_usage[] =
	"Usage: kcap export [-r FILE] [--format pb|json | -j] [-w OUT | --listen ADDR]\n"
	"                   [-n N] [--queue SIZE] [--linger SECONDS]\n"
	"                   [-e SYSCALL[,..]] [-s SNAPLEN] [--buffer-size SIZE]\n"
	"                   [--no-lifecycle] [--enter]\n"
	"Write events as kcap.v1.Event protobuf messages (proto/kcap/v1/), each\n"
	"preceded by its length as a varint, or as one JSON object per line (the\n"
	"proto3 JSON mapping). The stream starts with a header message; drops\n"
	"(the driver's, or the consumer's being too slow) come as drop notices.\n"
	"Every event carries its process (comm, exe, args, cwd, ids, cgroup) and\n"
	"container, from a thread table kept current from the events.\n"
	"\n"
	"  -r, --read FILE        export a capture file (kcap record -w) instead of\n"
	"                         live events; nothing is dropped, the consumer is waited for\n"
	"      --format FMT       pb (default) or json; -j is --format json\n"
	"  -w, --write OUT        write to OUT instead of stdout\n"
	"      --listen ADDR      serve the stream to one client at a time:\n"
	"                         tcp:127.0.0.1:PORT (loopback only; port 0: any, printed\n"
	"                         on stderr), unix:PATH (stream socket), unixpacket:PATH\n"
	"                         (seqpacket, one message per packet, no length prefix)\n"
	"  -n, --count N          stop after N events\n"
	"      --queue SIZE       output buffered before messages are dropped (live),\n"
	"                         64K..4G, default 8M\n"
	"      --linger SECONDS   at the end, wait this long for the consumer to take\n"
	"                         what is buffered (default 5; -r: until taken)\n"
	"  -e, -s, --buffer-size, --no-lifecycle, --enter   live capture, as kcap record\n"
	"  -h, --help             show this help\n"
	"Decode with: protoc --decode kcap.v1.Event -I proto kcap/v1/event.proto\n"
	"(one message), or any protobuf library's delimited reader.\n";

enum { OPT_FORMAT = OPT_COMMAND, OPT_LISTEN, OPT_QUEUE, OPT_LINGER };

static const struct option export_opts[] = {
	{ "read", required_argument, NULL, 'r' },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "write", required_argument, NULL, 'w' },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "count", required_argument, NULL, 'n' },
	{ "queue", required_argument, NULL, OPT_QUEUE },
	{ "linger", required_argument, NULL, OPT_LINGER },
	CAPTURE_LONG_OPTS,
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct export_args {
	const char *in; /* -r */
	unsigned long long count;
	int linger_ms; /* -1: until taken */
	bool live_opts; /* a live capture option was given */
	struct kcap_open_opts open; /* live capture */
	struct kcap_export_opts xo;
	unsigned int nrs[KCAP_SYSCALL_MAX]; /* -e: open.syscalls points here */
	char errbuf[256]; /* open's and xo's */
};

/* An export option into @a; 0, or the exit status after a message. */
static int parse_opt(int c, struct export_args *a, bool *linger_set)
{
	unsigned long long v;
	int err;

	switch (c) {
	case 'r':
		a->in = optarg;
		return 0;
	case 'j':
		a->xo.format = KCAP_EXPORT_JSON;
		return 0;
	case OPT_FORMAT:
		if (!strcmp(optarg, "pb") || !strcmp(optarg, "protobuf"))
			a->xo.format = KCAP_EXPORT_PB;
		else if (!strcmp(optarg, "json"))
			a->xo.format = KCAP_EXPORT_JSON;
		else
			return usage_error("export", "--format %s: need pb or json", optarg);
		return 0;
	case 'w':
		a->xo.path = optarg;
		return 0;
	case OPT_LISTEN:
		if (strncmp(optarg, "tcp:", 4) && strncmp(optarg, "unix:", 5) &&
		    strncmp(optarg, "unixpacket:", 11))
			return usage_error("export",
					   "--listen %s: need tcp:127.0.0.1:PORT, unix:PATH "
					   "or unixpacket:PATH",
					   optarg);
		a->xo.listen = optarg;
		return 0;
	case 'n':
		if (!parse_u64(optarg, 1, ~0ULL, &a->count))
			return usage_error("export", "-n %s: need a positive number", optarg);
		return 0;
	case OPT_QUEUE:
		if (!parse_size(optarg, &v) || v < (64ULL << 10) || v > (4ULL << 30))
			return usage_error("export", "--queue %s: need a size from 64K to 4G", optarg);
		a->xo.buffer_bytes = v;
		return 0;
	case OPT_LINGER:
		if (!parse_u64(optarg, 0, 86400, &v))
			return usage_error("export", "--linger %s: need seconds (0..86400)", optarg);
		a->linger_ms = (int)v * 1000;
		*linger_set = true;
		return 0;
	case '?':
		return usage_error("export", "bad option");
	default:
		err = parse_capture_opt("export", c, optarg, &a->open, a->nrs);
		a->live_opts = true;
		return err;
	}
}

/* Options and arguments into @a; CLI_CONTINUE, or the exit status. */
static int parse_args(int argc, char **argv, struct export_args *a)
{
	bool linger_set = false;
	int c, err;

	memset(a, 0, sizeof(*a));
	a->linger_ms = 5000;
	a->open.sz = sizeof(a->open);
	a->open.errbuf = a->errbuf;
	a->open.errbuf_sz = sizeof(a->errbuf);
	a->xo.sz = sizeof(a->xo);
	a->xo.errbuf = a->errbuf;
	a->xo.errbuf_sz = sizeof(a->errbuf);
	optind = 0;
	while ((c = getopt_long(argc, argv, "+r:jw:n:e:s:h", export_opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(export_usage, stdout);
			return 0;
		}
		err = parse_opt(c, a, &linger_set);
		if (err)
			return err;
	}
	if (optind < argc)
		return usage_error("export", "unexpected argument '%s'", argv[optind]);
	if (a->xo.path && a->xo.listen)
		return usage_error("export", "-w and --listen exclude each other");
	if (a->in && a->live_opts)
		return usage_error("export",
				   "-e, -s, --buffer-size, --no-lifecycle and --enter are for live "
				   "capture, not -r");
	if (a->in) {
		/* A file waits for its consumer instead of dropping. */
		a->xo.flags |= KCAP_EXPORT_BLOCK;
		if (!linger_set)
			a->linger_ms = -1;
	}
	return CLI_CONTINUE;
}

/* The capture file (-r) or the live driver; NULL after printing why. */
static struct kcap *open_source(struct export_args *a)
{
	struct kcap *h;

	if (a->in) {
		KCAP_OPTS(kcap_file_opts, fo, .errbuf = a->errbuf, .errbuf_sz = sizeof(a->errbuf));

		h = kcap_open_file(a->in, &fo);
	} else {
		h = kcap_open_live(&a->open);
	}
	if (!h)
		fprintf(stderr, "kcap: %s\n", a->errbuf);
	return h;
}

/*
 * The thread table every event's process and container come from, seeded
 * before the capture starts: threads born later come from fork events,
 * threads missed in between from /proc on first sight. NULL after
 * printing why.
 */
static struct kcap_state *new_thread_table(struct kcap *h)
{
	struct kcap_state *threads = kcap_state_new(NULL);
	int err;

	if (!threads) {
		fprintf(stderr, "kcap: thread table: %s\n", strerror(errno));
		return NULL;
	}
	err = kcap_state_seed(threads, h);
	if (err)
		fprintf(stderr, "kcap: process snapshot: %s (process fields fill in as events "
			"come)\n", strerror(-err));
	return threads;
}

/* The exporter of @h's events; NULL after printing why, *status set. */
static struct kcap_exporter *open_exporter(struct export_args *a, struct kcap *h,
					   struct kcap_state *threads, int *status)
{
	struct kcap_exporter *x;
	int err;

	a->xo.source = h;
	a->xo.state = threads;
	x = kcap_exporter_open(&a->xo);
	if (!x) {
		err = errno;
		fprintf(stderr, "kcap: %s\n", a->errbuf);
		*status = err == EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
		return NULL;
	}
	if (a->xo.listen)
		fprintf(stderr, "kcap: export listening on %s\n", kcap_exporter_address(x));
	return x;
}

/* Exports until -n, the end of the source, a signal or an error. */
static int pump_events(struct kcap *h, struct kcap_exporter *x, struct kcap_state *st,
		       const struct export_args *a, volatile int *stop, unsigned long long *seen)
{
	const struct kcap_event_hdr *ev;
	int err = 0;

	while (!*stop && (!a->count || *seen < a->count)) {
		err = kcap_next(h, &ev);
		if (err == -EAGAIN) {
			err = kcap_exporter_poll(x, 0);
			if (err)
				break;
			continue;
		}
		if (err)
			break;
		err = kcap_state_update(st, h, ev);
		if (!err)
			err = kcap_exporter_event(x, h, ev);
		if (err)
			break;
		(*seen)++;
	}
	if (!a->in && (!err || err == -EAGAIN) && !kcap_stop(h)) {
		/* Export what was captured before the stop, unless -n is reached. */
		err = 0;
		while (!err && (!a->count || *seen < a->count)) {
			err = kcap_next(h, &ev);
			if (!err)
				err = kcap_state_update(st, h, ev);
			if (!err)
				err = kcap_exporter_event(x, h, ev);
			if (!err)
				(*seen)++;
		}
	}
	return err == -ENODATA ? 0 : err;
}

/* Starts a live capture and exports until the end; 0 or EXIT_RUNTIME. */
static int run(struct kcap *h, struct kcap_exporter *x, struct kcap_state *threads,
	       const struct export_args *a, volatile int *stop, unsigned long long *seen)
{
	int err = a->in ? 0 : kcap_start(h);

	if (err) {
		fprintf(stderr, "kcap: %s\n", kcap_errmsg(h));
		return EXIT_RUNTIME;
	}
	err = pump_events(h, x, threads, a, stop, seen);
	if (err) {
		fprintf(stderr, "kcap: %s\n",
			*kcap_exporter_errmsg(x) ? kcap_exporter_errmsg(x) : kcap_errmsg(h));
		return EXIT_RUNTIME;
	}
	return 0;
}

/* The end: what is buffered goes out (up to --linger), then the summary on
 * stderr. Returns the exit status. */
static int finish(struct kcap_exporter *x, const struct export_args *a, unsigned long long seen,
		  int status)
{
	struct kcap_export_stats st;
	int err = kcap_exporter_flush(x, a->linger_ms);

	if (err && err != -EINTR && !status) {
		fprintf(stderr, "kcap: %s\n", kcap_exporter_errmsg(x));
		status = err == -ETIMEDOUT ? status : EXIT_RUNTIME;
	}
	kcap_exporter_stats(x, &st, sizeof(st));
	fprintf(stderr,
		"kcap: export: %llu events, %llu messages, %llu written (%llu bytes), "
		"%llu dropped (slow consumer), %llu clients\n",
		seen, (unsigned long long)st.messages, (unsigned long long)st.written,
		(unsigned long long)st.bytes, (unsigned long long)st.dropped,
		(unsigned long long)st.clients);
	return status;
}

int cmd_export(int argc, char **argv)
{
	struct export_args a;
	unsigned long long seen = 0;
	struct kcap_exporter *x = NULL;
	struct kcap_state *threads = NULL;
	volatile int *stop;
	struct kcap *h;
	int status;

	status = parse_args(argc, argv, &a);
	if (status != CLI_CONTINUE)
		return status;
	stop = install_stop_signals();
	status = EXIT_RUNTIME;
	h = open_source(&a);
	if (!h)
		return status;
	threads = new_thread_table(h);
	if (threads)
		x = open_exporter(&a, h, threads, &status);
	if (x) {
		status = run(h, x, threads, &a, stop, &seen);
		status = finish(x, &a, seen, status);
	}
	kcap_exporter_close(x);
	kcap_state_free(threads);
	kcap_close(h);
	return status;
}
