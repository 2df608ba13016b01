// SPDX-License-Identifier: Apache-2.0
/*
 * kcap export: live events (or a capture file's, -r) as a stream of
 * kcap.v1.Event messages, protobuf or JSON, to stdout, a file or one
 * client of a loopback TCP or unix listener (libkcap's exporter). A thread
 * table (kcap_state), seeded from /proc or the file's process snapshot and
 * updated with every event, gives each event its process and container.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "fleet.h"
#include "kcap_detect.h"
#include "kcap_export.h"

static const char export_usage[] =
	"Usage: kcap export [-r FILE] [--format pb|json | -j]\n"
	"                   [-w OUT | --split DIR | --listen ADDR] [-n N] [--queue SIZE]\n"
	"                   [--linger SECONDS] [--keep-partial]\n"
	"                   [-e SYSCALL[,..]] [-s SNAPLEN] [--buffer-size SIZE]\n"
	"                   [--no-lifecycle] [--enter] [--nice N]\n"
	"                   [--gvisor-sink PATH [--gvisor-root DIR]... [--gvisor-attach]]\n"
	"                   [--to nats://H:P[,H:P...] [--stream NAME] [--subject PREFIX]\n"
	"                    [--node NAME] [--batch N] [--max-pending N] [--spool DIR]\n"
	"                    [--spool-max SIZE] [--snapshot-interval SECONDS]] [FILTER]\n"
	"Write events as kcap.v1.Event protobuf messages (proto/kcap/v1/), each\n"
	"preceded by its length as a varint, or as one JSON object per line (the\n"
	"proto3 JSON mapping). The stream starts with a header message; drops\n"
	"(the driver's, or the consumer's being too slow) come as drop notices.\n"
	"Every event carries its process (comm, exe, args, cwd, ids, cgroup) and\n"
	"container, from a thread table kept current from the events.\n"
	"\n"
	"  -r, --read FILE        export a capture file (kcap record -w) instead of\n"
	"                         live events; nothing is dropped, the consumer is waited\n"
	"                         for; - reads standard input\n"
	"      --format FMT       pb (default) or json; -j is --format json\n"
	"  -w, --write OUT        write to OUT instead of stdout; with -r, OUT appears\n"
	"                         only when complete (never onto FILE itself)\n"
	"      --split DIR        pb: each message in a file of its own instead, without\n"
	"                         the length prefix: DIR/00000000.pb (the header),\n"
	"                         DIR/00000001.pb, ...; DIR is new or empty; with -r it\n"
	"                         appears only when complete, live it fills as it goes\n"
	"      --keep-partial     with -r and -w (or --split): on failure keep what was\n"
	"                         written as OUT.partial\n"
	"      --listen ADDR      serve the stream to one client at a time:\n"
	"                         tcp:127.0.0.1:PORT (loopback only; port 0: any, printed\n"
	"                         on stderr), unix:PATH (stream socket), unixpacket:PATH\n"
	"                         (seqpacket, one message per packet, no length prefix)\n"
	"  -n, --count N          stop after N events\n"
	"      --queue SIZE       output buffered before messages are dropped (live),\n"
	"                         64K..4G, default 8M\n"
	"      --linger SECONDS   at the end, wait this long for the consumer to take\n"
	"                         what is buffered (default 5; -r: until taken)\n"
	"  -e, --syscalls LIST    only these syscalls' events (live: selected in the\n"
	"                         kernel; -r: lifecycle and drop events are kept)\n"
	"  -s, --buffer-size, --no-lifecycle, --enter, --nice   live capture, as kcap record\n"
	GVISOR_SINK_HELP
	"      --gvisor-root DIR, --gvisor-attach   as kcap record: the runsc roots\n"
	"                         whose running sandboxes --gvisor-attach watches\n"
	"      --gvisor-holdback MS  as kcap record (1..10000, default 50)\n"
	"      --to URL           publish to NATS JetStream instead (docs/fleet.md):\n"
	"                         nats://HOST:PORT[,HOST:PORT...]; the stream must exist\n"
	"                         (kcap fleet init); each message, on PREFIX.NODE.FAMILY\n"
	"                         (FAMILY \"mixed\" for several), holds kcap.v1.Event\n"
	"                         messages with their raw records, length-delimited,\n"
	"                         and is acknowledged by the stream or sent again with\n"
	"                         the same Nats-Msg-Id; a snapshot message (processes,\n"
	"                         users) comes first\n"
	"      --stream NAME      stream (default KCAP); --subject PREFIX (default kcap)\n"
	"      --node NAME        node name in subjects and ids (default: host name)\n"
	"      --batch N          events per message, 1..4096 (default 256)\n"
	"      --max-pending N    messages awaiting acknowledgement (default 64)\n"
	FLEET_PUB_HELP
	FLEET_CONN_HELP
	"  -h, --help             show this help\n"
	"FILTER is an expression in Falco's filter syntax, the rest of the command\n"
	"line (kcap read --help): only matching events are exported; live without\n"
	"-e, only the syscalls FILTER can match and those the thread table needs are\n"
	"captured (all when FILTER does not restrict evt.type).\n"
	"A capture file that was not closed cleanly is exported up to its last\n"
	"complete block, with a warning; progress on stderr when it is a terminal.\n"
	"The stream (stdout, -w) is protobuf's delimited format: read it with a\n"
	"protobuf library's delimited reader (Python: proto/README.md). protoc\n"
	"--decode reads one message; in kcap's source tree (installed: -I\n"
	"/usr/share/kcap/proto instead of -I proto):\n"
	"  $ kcap export -r capture.kcap --split msgs\n"
	"  $ protoc --decode=kcap.v1.Event -I proto kcap/v1/event.proto <msgs/00000001.pb\n";

enum {
	OPT_FORMAT = OPT_COMMAND,
	OPT_LISTEN,
	OPT_QUEUE,
	OPT_LINGER,
	OPT_KEEP_PARTIAL,
	OPT_SPLIT,
	OPT_BATCH,
	OPT_MAX_PENDING
};

static const struct option export_opts[] = {
	{ "read", required_argument, NULL, 'r' },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "write", required_argument, NULL, 'w' },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "count", required_argument, NULL, 'n' },
	{ "queue", required_argument, NULL, OPT_QUEUE },
	{ "linger", required_argument, NULL, OPT_LINGER },
	{ "keep-partial", no_argument, NULL, OPT_KEEP_PARTIAL },
	{ "split", required_argument, NULL, OPT_SPLIT },
	CAPTURE_LONG_OPTS,
	GVISOR_LONG_OPTS,
	FLEET_CONN_LONG_OPTS,
	FLEET_PUB_LONG_OPTS,
	{ "batch", required_argument, NULL, OPT_BATCH },
	{ "max-pending", required_argument, NULL, OPT_MAX_PENDING },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct export_args {
	const char *in; /* -r */
	unsigned long long count;
	int linger_ms; /* -1: until taken */
	bool live_opts; /* a live capture option other than -e was given */
	bool keep_partial;
	const char *split_dir; /* --split */
	struct cli_gvisor gv; /* --gvisor-sink */
	bool split_failed;     /* split_drain() failed (and said why) */
	struct export_split split;
	char *syscalls; /* -e: kernel-side live, syscall_filter on a file */
	struct syscall_filter sc;
	struct kcap_filter *expr;   /* the FILTER argument */
	char tmp[PATH_MAX];	    /* -r -w: the file written, renamed to -w at the end */
	struct kcap_open_opts open; /* live capture */
	struct kcap_export_opts xo;
	struct kcap_fleet_opts fo; /* --to */
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
	case OPT_GVISOR_SINK:
	case OPT_GVISOR_ROOT:
	case OPT_GVISOR_ATTACH:
	case OPT_GVISOR_HOLDBACK:
		return parse_gvisor_opt("export", c, optarg, &a->gv) == CLI_CONTINUE ? 0 : EXIT_USAGE;
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
	case OPT_KEEP_PARTIAL:
		a->keep_partial = true;
		return 0;
	case OPT_SPLIT:
		a->split_dir = optarg;
		return 0;
	case OPT_BATCH:
		if (!parse_u64(optarg, 1, 4096, &v))
			return usage_error("export", "--batch %s: need 1 to 4096", optarg);
		a->fo.batch_events = (__u32)v;
		return 0;
	case OPT_MAX_PENDING:
		if (!parse_u64(optarg, 1, 4096, &v))
			return usage_error("export", "--max-pending %s: need 1 to 4096", optarg);
		a->fo.max_pending = (__u32)v;
		return 0;
	case 'e':
		a->syscalls = optarg;
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
			return usage_error("export", "--queue %s: need a size from 64K to 4G",
					   optarg);
		a->xo.buffer_bytes = v;
		return 0;
	case OPT_LINGER:
		if (!parse_u64(optarg, 0, 86400, &v))
			return usage_error("export", "--linger %s: need seconds (0..86400)",
					   optarg);
		a->linger_ms = (int)v * 1000;
		*linger_set = true;
		return 0;
	default:
		err = fleet_conn_opt("export", c, optarg, &a->fo);
		if (err >= 0)
			return err;
		err = parse_capture_opt("export", c, optarg, &a->open, a->nrs);
		a->live_opts = true;
		return err;
	}
}

/* Options and arguments into @a; CLI_CONTINUE, or the exit status. */
static int parse_args(int argc, char **argv, struct export_args *a)
{
	bool linger_set = false, snapshot_set = false;
	int c, err;

	memset(a, 0, sizeof(*a));
	a->linger_ms = 5000;
	a->open.sz = sizeof(a->open);
	a->open.errbuf = a->errbuf;
	a->open.errbuf_sz = sizeof(a->errbuf);
	a->xo.sz = sizeof(a->xo);
	a->xo.errbuf = a->errbuf;
	a->xo.errbuf_sz = sizeof(a->errbuf);
	a->fo.sz = sizeof(a->fo);
	a->fo.snapshot_secs = 60;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+r:jw:n:e:s:h", export_opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(export_usage, stdout);
			return 0;
		}
		if (c == '?')
			return bad_option("export", argc, argv, "+r:jw:n:e:s:h");
		err = parse_opt(c, a, &linger_set);
		if (err)
			return err;
		snapshot_set |= c == OPT_FLEET_SNAPSHOT;
	}
	if (!!a->xo.path + !!a->xo.listen + !!a->split_dir + !!a->fo.url > 1)
		return usage_error("export", "-w, --split, --listen and --to exclude each other");
	if (!a->fo.url && (a->fo.batch_events || a->fo.max_pending || a->fo.stream ||
			   a->fo.subject || a->fo.node || a->fo.creds || a->fo.nkey ||
			   a->fo.user || a->fo.tls_ca || a->fo.spool_dir || a->fo.spool_max ||
			   snapshot_set))
		return usage_error("export", "the NATS options need --to URL");
	if (a->fo.url && (a->xo.format != KCAP_EXPORT_PB || a->split_dir))
		return usage_error("export", "--to publishes protobuf messages of its own: "
				   "no -j, no --split");
	if (a->split_dir && a->xo.format != KCAP_EXPORT_PB)
		return usage_error("export",
				   "--split writes protobuf messages; JSON is one per line already");
	if (a->in && a->gv.sink)
		return usage_error("export", "--gvisor-sink is for live capture, not -r");
	if (check_gvisor_opts("export", &a->gv) != CLI_CONTINUE)
		return EXIT_USAGE;
	if (a->in && a->live_opts)
		return usage_error("export",
				   "-s, --buffer-size, --no-lifecycle, --enter and --nice are for live "
				   "capture, not -r");
	if (a->keep_partial && !(a->in && (a->xo.path || a->split_dir)))
		return usage_error("export", "--keep-partial needs -r FILE and -w OUT or --split DIR");
	if (a->syscalls) {
		err = a->in ? syscall_filter_parse("export", a->syscalls, &a->sc)
			    : parse_capture_opt("export", 'e', a->syscalls, &a->open, a->nrs);
		if (err)
			return err;
	}
	a->expr = parse_filter_args("export", argc, argv, optind, &err);
	if (err)
		return err;
	if (a->fo.url && (a->expr || a->syscalls))
		return usage_error("export", "--to publishes every event (the consumers filter): "
				   "no FILTER, no -e");
	if (!a->in)
		filter_interest(a->expr, &a->open, a->nrs);
	/* live events cannot wait for the cluster: they spool by default */
	if (a->fo.url && !a->in && !a->fo.spool_dir)
		a->fo.spool_dir = FLEET_SPOOL_DIR;
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
	if (a->in) {
		KCAP_OPTS(kcap_file_opts, fo);

		return open_capture("export", a->in, &fo);
	}
	return open_live_sources("export", &a->open, &a->gv);
}

/*
 * -r FILE -w OUT: OUT appears when the export is complete. The exporter
 * writes a temporary file beside OUT (.OUT.XXXXXX), renamed over OUT at
 * the end (commit_output()). Writing onto FILE itself, also through a
 * link, is refused. 0, or the exit status after a message.
 */
static int open_output(struct export_args *a)
{
	const char *out = a->xo.path, *base = strrchr(out, '/');
	struct stat si, so;
	int fd;

	if (strcmp(a->in, "-") && !stat(a->in, &si) && !stat(out, &so) && si.st_dev == so.st_dev &&
	    si.st_ino == so.st_ino) {
		fprintf(stderr,
			"kcap export: %s: is the file being read: refusing to overwrite "
			"the input\n",
			out);
		return EXIT_RUNTIME;
	}
	/* written in place, as the exporter does without -r */
	if (out_in_place(out))
		return 0;
	base = base ? base + 1 : out;
	if (snprintf(a->tmp, sizeof(a->tmp), "%.*s.%s.XXXXXX", (int)(base - out), out, base) >=
	    (int)sizeof(a->tmp)) {
		fprintf(stderr, "kcap export: %s: name too long\n", out);
		return EXIT_RUNTIME;
	}
	fd = mkostemp(a->tmp, O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "kcap export: %s: %s\n", out, strerror(errno));
		a->tmp[0] = '\0';
		return EXIT_RUNTIME;
	}
	a->xo.fd = fd;
	a->xo.path = NULL;
	return 0;
}

/* The end of -r -w: the file renamed to OUT after a clean run, else
 * removed (or kept as OUT.partial). Returns the exit status. */
static int commit_output(struct export_args *a, const char *out, int status)
{
	char partial[PATH_MAX + 16];

	if (!a->tmp[0])
		return status;
	if (a->xo.fd > 0 && close(a->xo.fd) && !status) {
		fprintf(stderr, "kcap export: writing output: %s\n", strerror(errno));
		status = EXIT_RUNTIME;
	}
	if (!status && rename(a->tmp, out)) {
		fprintf(stderr, "kcap export: %s: %s\n", out, strerror(errno));
		status = EXIT_RUNTIME;
	}
	if (!status)
		return status;
	snprintf(partial, sizeof(partial), "%s.partial", out);
	if (a->keep_partial && !rename(a->tmp, partial)) {
		fprintf(stderr, "kcap export: %s not written; what was, is in %s\n", out, partial);
		return status;
	}
	unlink(a->tmp);
	fprintf(stderr, "kcap export: %s not written\n", out);
	return status;
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
		fprintf(stderr, "kcap export: %s\n", a->errbuf);
		*status = err == EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
		return NULL;
	}
	if (a->xo.listen)
		fprintf(stderr, "kcap export: listening on %s\n", kcap_exporter_address(x));
	return x;
}

/* What the event loop counts. */
struct pump {
	unsigned long long read; /* events from the source */
	unsigned long long seen; /* exported */
	bool at_end;		 /* the file was read to its end */
	struct file_progress pr;
};

/* One event: the thread table, the selection, the exporter. */
static int export_one(struct kcap *h, struct kcap_exporter *x, struct kcap_state *st,
		      struct export_args *a, const struct kcap_event_hdr *ev, struct pump *p)
{
	int err = kcap_state_update(st, h, ev);

	p->read++;
	progress_tick(&p->pr, p->read, ev->ts_ns);
	if (err)
		return err;
	if (!syscall_filter_keep(h, &a->sc, ev) ||
	    (a->expr && kcap_filter_match(a->expr, st, h, ev) != 1))
		return 0;
	err = kcap_exporter_event(x, h, ev);
	if (!err)
		p->seen++;
	return err;
}

/* --split: the messages written so far into their files. 0, or -EIO after
 * a message (a->split_failed). */
static int split_now(struct export_args *a)
{
	if (!a->split_dir || !split_drain(&a->split))
		return 0;
	a->split_failed = true;
	return -EIO;
}

/* Exports until -n, the end of the source, a signal or an error. */
static int pump_events(struct kcap *h, struct kcap_exporter *x, struct kcap_state *st,
		       struct export_args *a, volatile int *stop, struct pump *p)
{
	const struct kcap_event_hdr *ev;
	int err = 0;

	while (!*stop && (!a->count || p->seen < a->count)) {
		err = kcap_next(h, &ev);
		if (err == -EAGAIN) {
			if (!a->xo.path && !a->xo.listen && a->xo.fd <= 0)
				check_stdout_reader();
			err = kcap_exporter_poll(x, 0);
			if (!err)
				err = split_now(a);
			if (err)
				break;
			continue;
		}
		if (err)
			break;
		if (!a->in && !a->xo.path && !a->xo.listen && a->xo.fd <= 0)
			stdout_reader_tick();
		err = export_one(h, x, st, a, ev, p);
		if (!err && !(p->read % 64))
			err = split_now(a);
		if (err)
			break;
	}
	if (a->in && *stop && !err) {
		fprintf(stderr, "kcap export: interrupted\n");
		return -EINTR;
	}
	if (!a->in && (!err || err == -EAGAIN) && !kcap_stop(h)) {
		/* Export what was captured before the stop, unless -n is reached. */
		err = 0;
		while (!err && (!a->count || p->seen < a->count)) {
			err = kcap_next(h, &ev);
			if (!err)
				err = export_one(h, x, st, a, ev, p);
		}
	}
	p->at_end = a->in && err == -ENODATA;
	return err == -ENODATA ? 0 : err;
}

/* Starts a live capture and exports until the end; 0 or EXIT_RUNTIME. */
static int run(struct kcap *h, struct kcap_exporter *x, struct kcap_state *threads,
	       struct export_args *a, volatile int *stop, struct pump *p)
{
	int err = a->in ? 0 : kcap_start(h);

	if (err) {
		fprintf(stderr, "kcap export: %s\n", kcap_errmsg(h));
		return EXIT_RUNTIME;
	}
	progress_init(&p->pr, "export", h, 0, 0, !a->xo.path && !a->xo.listen && a->xo.fd <= 0);
	p->pr.on = p->pr.on && a->in;
	err = pump_events(h, x, threads, a, stop, p);
	progress_end(&p->pr, p->read, false);
	if (err == -EINTR || a->split_failed)
		return EXIT_RUNTIME;
	if (err) {
		fprintf(stderr, "kcap export: %s\n",
			*kcap_exporter_errmsg(x) ? kcap_exporter_errmsg(x) : kcap_errmsg(h));
		return EXIT_RUNTIME;
	}
	if (p->at_end)
		report_file_end("export", h, a->in, p->read);
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
		fprintf(stderr, "kcap export: %s\n", kcap_exporter_errmsg(x));
		status = err == -ETIMEDOUT ? status : EXIT_RUNTIME;
	}
	kcap_exporter_stats(x, &st, sizeof(st));
	fprintf(stderr,
		"kcap export: %llu events, %llu messages, %llu written (%llu bytes), "
		"%llu dropped (slow consumer), %llu clients\n",
		seen, (unsigned long long)st.messages, (unsigned long long)st.written,
		(unsigned long long)st.bytes, (unsigned long long)st.dropped,
		(unsigned long long)st.clients);
	return status;
}

int cmd_export(int argc, char **argv)
{
	static struct export_args a;
	struct pump p = {0};
	struct kcap_exporter *x = NULL;
	struct kcap_state *threads = NULL;
	const char *out = NULL;
	volatile int *stop;
	struct kcap *h;
	int status;

	status = parse_args(argc, argv, &a);
	if (status != CLI_CONTINUE)
		goto out;
	out = a.xo.path;
	if (a.in && a.xo.path && strcmp(a.xo.path, "-")) {
		status = open_output(&a);
		if (status)
			goto out;
	}
	if (a.split_dir) {
		status = split_open(&a.split, a.split_dir, a.in != NULL);
		if (status)
			goto out;
		a.xo.fd = a.split.fd;
	}
	stop = install_stop_signals();
	status = EXIT_RUNTIME;
	h = open_source(&a);
	if (!h)
		goto out;
	if (a.fo.url) {
		status = fleet_export(h, &a.fo, a.in != NULL, a.count, stop,
				      a.linger_ms < 0 ? 60000 : a.linger_ms);
		kcap_close(h);
		goto out;
	}
	/* the export schema carries no container metadata yet: no lookups */
	threads = export_thread_table(h, KCAP_CT_LOOKUP_NEVER);
	if (threads)
		x = open_exporter(&a, h, threads, &status);
	if (x) {
		status = run(h, x, threads, &a, stop, &p);
		status = finish(x, &a, p.seen, status);
	}
	kcap_exporter_close(x);
	kcap_state_free(threads);
	close_live_sources(h);
out:
	status = commit_output(&a, out, status);
	if (a.split.dir)
		status = split_close(&a.split, status, a.keep_partial);
	kcap_filter_free(a.expr);
	return status;
}
