// SPDX-License-Identifier: Apache-2.0
/*
 * kcap fleet init: the JetStream stream of a fleet (docs/fleet.md); and
 * kcap export --to nats://...: the export's connection options and its
 * event loop onto libkcap's publisher. Built with -DKCAP_NO_NATS for
 * kcap-static (Debian ships no static libnats): the commands then say so.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fleet.h"

static const char fleet_usage[] =
    "Usage: kcap fleet init --to URL [--stream NAME] [--subject PREFIX]\n"
    "                       [--replicas N] [--max-age SECONDS] [--max-bytes SIZE]\n"
    "                       [--duplicate-window SECONDS] [CONNECTION OPTIONS]\n"
    "Create the NATS JetStream stream a fleet of kcap exporters publishes into\n"
    "(subjects PREFIX.>, limits retention, file storage), or check that the\n"
    "existing one has that configuration: a stream that differs is an error\n"
    "naming the first difference (exit 1).\n"
    "\n"
    "      --to URL           nats://HOST:PORT[,HOST:PORT...] (tls:// for TLS)\n"
    "      --stream NAME      stream name (default KCAP)\n"
    "      --subject PREFIX   subject prefix (default kcap)\n"
    "      --replicas N       copies of each message, 1 to 5 (default 1; 3 for a\n"
    "                         three-server cluster)\n"
    "      --max-age SECONDS  discard messages older than this (default: never)\n"
    "      --max-bytes SIZE   discard the oldest beyond this size (default: no limit)\n"
    "      --duplicate-window SECONDS  re-sends with a message id seen within this\n"
    "                         window are dropped (default 120)\n" FLEET_CONN_HELP
    "  -h, --help             show this help\n";

enum { OPT_REPLICAS = OPT_COMMAND + 40, OPT_MAX_AGE, OPT_MAX_BYTES, OPT_DUP };

static const struct option fleet_opts[] = {
    FLEET_CONN_LONG_OPTS,
    {"replicas", required_argument, NULL, OPT_REPLICAS},
    {"max-age", required_argument, NULL, OPT_MAX_AGE},
    {"max-bytes", required_argument, NULL, OPT_MAX_BYTES},
    {"duplicate-window", required_argument, NULL, OPT_DUP},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* 1 to @max seconds into *@ms: 0 or EXIT_USAGE. */
static int seconds_opt(const char *cmd, const char *opt, const char *arg, unsigned int max,
		       __u32 *ms)
{
	unsigned long long v;

	if (!parse_u64(arg, 1, max, &v))
		return usage_error(cmd, "%s %s: need 1 to %u seconds", opt, arg, max);
	*ms = (__u32)v * 1000;
	return 0;
}

int fleet_conn_opt(const char *cmd, int c, const char *arg, struct kcap_fleet_opts *o)
{
	switch (c) {
	case OPT_FLEET_TO:
		if (strncmp(arg, "nats://", 7) && strncmp(arg, "tls://", 6))
			return usage_error(cmd, "%s: need nats://HOST:PORT[,HOST:PORT...]", arg);
		o->url = arg;
		return 0;
	case OPT_FLEET_STREAM:
		o->stream = arg;
		return 0;
	case OPT_FLEET_SUBJECT:
		o->subject = arg;
		return 0;
	case OPT_FLEET_NODE:
		o->node = arg;
		return 0;
	case OPT_FLEET_CREDS:
		o->creds = arg;
		return 0;
	case OPT_FLEET_NKEY:
		o->nkey = arg;
		return 0;
	case OPT_FLEET_USER:
		o->user = arg;
		return 0;
	case OPT_FLEET_PASSWORD:
		o->password = arg;
		return 0;
	case OPT_FLEET_TLS_CA:
		o->tls_ca = arg;
		return 0;
	case OPT_FLEET_DURABLE:
		o->durable = arg;
		return 0;
	case OPT_FLEET_IDLE:
		return seconds_opt(cmd, "--idle-exit", arg, 86400, &o->idle_ms);
	case OPT_FLEET_INSTANCE:
		if (!*arg || strlen(arg) > 100 || strchr(arg, '\n'))
			return usage_error(cmd, "--instance: 1 to 100 characters, one line");
		o->instance = arg;
		return 0;
	case OPT_FLEET_SPOOL:
		if (!*arg)
			return usage_error(cmd, "--spool: need a directory");
		o->spool_dir = arg;
		return 0;
	case OPT_FLEET_SPOOL_MAX: {
		unsigned long long v;

		if (!parse_size(arg, &v) || v < (64ULL << 10))
			return usage_error(cmd, "--spool-max %s: need a size of at least 64K", arg);
		o->spool_max = v;
		return 0;
	}
	case OPT_FLEET_SNAPSHOT: {
		unsigned long long v;

		if (!parse_u64(arg, 0, 86400, &v))
			return usage_error(cmd, "--snapshot-interval %s: need 0 to 86400 seconds",
					   arg);
		o->snapshot_secs = (__u32)v;
		return 0;
	}
	case OPT_FLEET_LEASE:
		return seconds_opt(cmd, "--lease", arg, 3600, &o->lease_ms);
	default:
		return -1;
	}
}

#ifdef KCAP_NO_NATS
static int no_nats(const char *cmd)
{
	fprintf(stderr,
		"kcap %s: this kcap is linked statically, without the NATS client (there is "
		"no static libnats): use the dynamically linked kcap\n",
		cmd);
	return EXIT_RUNTIME;
}
#endif

int cmd_fleet(int argc, char **argv)
{
	struct kcap_fleet_opts o = {.sz = sizeof(o)};
	unsigned long long v;
	char errbuf[512];
	int c, err;

	if (argc > 1 && !strcmp(argv[1], "init")) {
		argc--;
		argv++;
	} else if (argc < 2 || (strcmp(argv[1], "-h") && strcmp(argv[1], "--help"))) {
		return usage_error("fleet", "need the subcommand init");
	}
	optind = 0;
	while ((c = getopt_long(argc, argv, "+h", fleet_opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(fleet_usage, stdout);
			return 0;
		}
		if (c == '?')
			return bad_option("fleet", argc, argv, "+h");
		switch (c) {
		case OPT_REPLICAS:
			if (!parse_u64(optarg, 1, 5, &v))
				return usage_error("fleet", "--replicas %s: need 1 to 5", optarg);
			o.replicas = (__u32)v;
			break;
		case OPT_MAX_AGE:
			if (!parse_u64(optarg, 1, 100ULL * 365 * 86400, &o.max_age_secs))
				return usage_error("fleet", "--max-age %s: need seconds", optarg);
			break;
		case OPT_MAX_BYTES:
			if (!parse_size(optarg, &v) || !v)
				return usage_error("fleet", "--max-bytes %s: need a size", optarg);
			o.max_bytes = v;
			break;
		case OPT_DUP:
			if (!parse_u64(optarg, 1, 86400, &v))
				return usage_error(
				    "fleet", "--duplicate-window %s: need 1 to 86400", optarg);
			o.dup_window_secs = (__u32)v;
			break;
		default:
			err = fleet_conn_opt("fleet", c, optarg, &o);
			if (err)
				return err < 0 ? EXIT_USAGE : err;
		}
	}
	if (optind != argc)
		return usage_error("fleet", "init takes no argument %s", argv[optind]);
	if (!o.url)
		return usage_error("fleet", "init needs --to URL");
#ifdef KCAP_NO_NATS
	(void)errbuf;
	return no_nats("fleet");
#else
	o.errbuf = errbuf;
	o.errbuf_sz = sizeof(errbuf);
	err = kcap_fleet_init(&o);
	if (err) {
		fprintf(stderr, "kcap fleet: %s\n", errbuf);
		return err == -EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
	}
	fprintf(stderr, "kcap fleet: stream %s ready (subjects %s.>)\n",
		o.stream ? o.stream : KCAP_FLEET_STREAM,
		o.subject ? o.subject : KCAP_FLEET_SUBJECT);
	return 0;
#endif
}

int fleet_export(struct kcap *h, struct kcap_fleet_opts *o, bool file, unsigned long long count,
		 volatile int *stop, int linger_ms)
{
#ifdef KCAP_NO_NATS
	(void)h, (void)o, (void)file, (void)count, (void)stop, (void)linger_ms;
	return no_nats("export");
#else
	const struct kcap_event_hdr *ev;
	struct kcap_publisher_stats st;
	struct kcap_state *threads = NULL;
	struct kcap_publisher *p;
	unsigned long long n = 0;
	char errbuf[512];
	double t0, t;
	int err = 0, status = 0;

	o->errbuf = errbuf;
	o->errbuf_sz = sizeof(errbuf);
	if (!file) {
		/* live: a thread table whose container lookups give the
		 * metadata the snapshots and containers messages carry (a
		 * capture file has its own table) */
		threads = export_thread_table(h, KCAP_CT_LOOKUP_LIVE);
		if (!threads)
			return EXIT_RUNTIME;
		o->state = threads;
	}
	p = kcap_publisher_open(h, o);
	if (!p) {
		fprintf(stderr, "kcap export: %s\n", errbuf);
		kcap_state_free(threads);
		return errno == EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
	}
	if (!file && kcap_start(h)) {
		fprintf(stderr, "kcap export: %s\n", kcap_errmsg(h));
		kcap_publisher_close(p);
		kcap_state_free(threads);
		return EXIT_RUNTIME;
	}
	t0 = mono_seconds();
	while (!*stop && (!count || n < count)) {
		err = kcap_next(h, &ev);
		if (err == -EAGAIN) {
			err = kcap_publisher_tick(p);
			if (err)
				break;
			continue;
		}
		if (err)
			break;
		if (threads && (err = kcap_state_update(threads, h, ev))) {
			fprintf(stderr, "kcap export: thread table: %s\n", strerror(-err));
			status = EXIT_RUNTIME;
			err = 0;
			break;
		}
		err = kcap_publisher_event(p, h, ev);
		if (err)
			break;
		n++;
	}
	if (err == -ENODATA || err == -EAGAIN)
		err = 0;
	if (err) {
		fprintf(stderr, "kcap export: %s\n",
			*kcap_publisher_errmsg(p) ? kcap_publisher_errmsg(p) : kcap_errmsg(h));
		status = EXIT_RUNTIME;
	}
	err = kcap_publisher_flush(p, linger_ms);
	if (err && !status) {
		fprintf(stderr, "kcap export: %s\n", kcap_publisher_errmsg(p));
		status = EXIT_RUNTIME;
	}
	t = mono_seconds() - t0;
	kcap_publisher_stats(p, &st, sizeof(st));
	fprintf(stderr,
		"kcap export: %llu events, %llu messages (%llu bytes, %.1f bytes/event), "
		"%llu acked, %llu resent, %llu duplicates; %.3f s, %.0f events/s; %llu snapshots, "
		"%llu container records (%llu containers messages)\n",
		n, (unsigned long long)st.messages, (unsigned long long)st.bytes,
		n ? (double)st.bytes / (double)n : 0.0, (unsigned long long)st.acked,
		(unsigned long long)st.resent, (unsigned long long)st.duplicates, t,
		t > 0 ? (double)n / t : 0.0, (unsigned long long)st.snapshots,
		(unsigned long long)st.ct_records, (unsigned long long)st.ct_messages);
	if (o->spool_dir)
		fprintf(
		    stderr,
		    "kcap export: spool: %llu outages, %llu events spooled, %llu published from "
		    "it, %llu dropped (spool full), largest %llu bytes; written at %.0f events/s, "
		    "read back and published at %.0f events/s\n",
		    (unsigned long long)st.outages, (unsigned long long)st.spooled,
		    (unsigned long long)st.unspooled, (unsigned long long)st.spool_drops,
		    (unsigned long long)st.spool_peak,
		    st.spool_ns ? (double)st.spooled * 1e9 / (double)st.spool_ns : 0.0,
		    st.unspool_ns ? (double)st.unspooled * 1e9 / (double)st.unspool_ns : 0.0);
	kcap_publisher_close(p);
	kcap_state_free(threads);
	return status;
#endif
}

struct kcap *fleet_open_source(const char *cmd, struct kcap_fleet_opts *o)
{
#ifdef KCAP_NO_NATS
	(void)o;
	no_nats(cmd);
	return NULL;
#else
	char errbuf[512];
	struct kcap *h;

	o->errbuf = errbuf;
	o->errbuf_sz = sizeof(errbuf);
	h = kcap_open_nats(o);
	if (!h)
		fprintf(stderr, "kcap %s: %s\n", cmd, errbuf);
	o->errbuf = NULL;
	o->errbuf_sz = 0;
	return h;
#endif
}

/* The thread tables of the nodes, by kcap_nats_node() index. */
static struct kcap_state **node_states;
static unsigned int nr_node_states;

struct kcap_state *fleet_node_state(struct kcap *h, struct kcap_state *first, const char **name)
{
#ifdef KCAP_NO_NATS
	(void)h, (void)name;
	return first;
#else
	int node = kcap_nats_node(h, name);
	struct kcap_state_opts so = {.sz = sizeof(so), .container_lookup = KCAP_CT_LOOKUP_NEVER};

	if (node < 0)
		return first;
	if ((unsigned int)node >= nr_node_states) {
		unsigned int n = (unsigned int)node + 16;
		struct kcap_state **a = realloc(node_states, n * sizeof(*a));

		if (!a)
			return NULL;
		memset(a + nr_node_states, 0, (n - nr_node_states) * sizeof(*a));
		node_states = a;
		nr_node_states = n;
	}
	if (!node_states[node]) {
		/* node 0 is the caller's table; each node's is seeded from its
		 * snapshot, at its first event */
		node_states[node] = node ? kcap_state_new(&so) : first;
		if (!node_states[node])
			return NULL;
		kcap_state_seed(node_states[node], h);
	}
	return node_states[node];
#endif
}

void fleet_node_states_free(struct kcap_state *first)
{
	for (unsigned int i = 0; i < nr_node_states; i++)
		if (node_states[i] != first)
			kcap_state_free(node_states[i]);
	free(node_states);
	node_states = NULL;
	nr_node_states = 0;
}

void fleet_source_summary(const char *cmd, struct kcap *h, unsigned long long events, double secs,
			  double idle_secs)
{
#ifdef KCAP_NO_NATS
	(void)cmd, (void)h, (void)events, (void)secs, (void)idle_secs;
#else
	struct kcap_nats_stats ns;

	if (kcap_nats_stats(h, &ns, sizeof(ns)))
		return;
	if (secs > idle_secs)
		secs -= idle_secs;
	fprintf(stderr,
		"kcap %s: %llu events from %u node runs; %llu messages, %llu duplicates "
		"dropped, %llu reordered, %llu lost in gaps, %llu dropped by the exporters; "
		"%llu given back to other instances, %llu nodes claimed (%llu taken over), "
		"%llu lost; %.3f s busy, %.0f events/s\n",
		cmd, events, ns.nodes, (unsigned long long)ns.messages,
		(unsigned long long)ns.duplicates, (unsigned long long)ns.reordered,
		(unsigned long long)ns.gaps, (unsigned long long)ns.drops,
		(unsigned long long)ns.given_back, (unsigned long long)ns.claims,
		(unsigned long long)ns.takeovers, (unsigned long long)ns.lost, secs,
		secs > 0 ? (double)events / secs : 0.0);
	if (ns.seeded)
		fprintf(stderr,
			"kcap %s: --from: %u node runs joined after their start, seeded from "
			"their latest snapshot\n",
			cmd, ns.seeded);
	if (ns.containers || ns.containers_bad)
		fprintf(stderr,
			"kcap %s: --from: %llu container records taken in (the nodes' container "
			"tables)%s\n",
			cmd, (unsigned long long)ns.containers,
			ns.containers_bad ? "; malformed container payloads skipped" : "");
#endif
}

int fleet_record(struct kcap *h, const char *path, unsigned long long count, volatile int *stop,
		 double idle_secs)
{
#ifdef KCAP_NO_NATS
	(void)h, (void)path, (void)count, (void)stop, (void)idle_secs;
	return no_nats("record");
#else
	const struct kcap_event_hdr *ev;
	struct kcap_writer *w = NULL;
	double t0 = mono_seconds();
	unsigned long long n = 0;
	const char *node = NULL, *first = NULL;
	char errbuf[512];
	int err = 0, status = 0;

	while (!*stop && (!count || n < count)) {
		err = kcap_next(h, &ev);
		if (err == -EAGAIN) {
			if (w)
				kcap_writer_tick(w);
			continue;
		}
		if (err)
			break;
		kcap_nats_node(h, &node);
		if (!w) {
			KCAP_OPTS(kcap_writer_opts, wo, .source = h, .errbuf = errbuf,
				  .errbuf_sz = sizeof(errbuf));

			/* opened at the first event: the node's snapshot is known */
			w = kcap_writer_open(path, &wo);
			if (!w) {
				fprintf(stderr, "kcap record: %s\n", errbuf);
				return EXIT_RUNTIME;
			}
			first = node;
		} else if (strcmp(first, node)) {
			fprintf(stderr,
				"kcap record: events of nodes %s and %s: a capture file holds one "
				"machine's (--node NAME)\n",
				first, node);
			status = EXIT_RUNTIME;
			break;
		}
		if (kcap_writer_write(w, ev)) {
			fprintf(stderr, "kcap record: %s\n", kcap_writer_errmsg(w));
			status = EXIT_RUNTIME;
			break;
		}
		n++;
	}
	if (err && err != -ENODATA && err != -EAGAIN && !status) {
		fprintf(stderr, "kcap record: %s\n", kcap_errmsg(h));
		status = EXIT_RUNTIME;
	}
	if (w && kcap_writer_finish(w) && !status) {
		fprintf(stderr, "kcap record: %s\n", kcap_writer_errmsg(w));
		status = EXIT_RUNTIME;
	}
	kcap_writer_close(w);
	fleet_source_summary("record", h, n, mono_seconds() - t0,
			     err == -ENODATA ? idle_secs : 0);
	if (!w && !status)
		fprintf(stderr, "kcap record: no events: %s not written\n", path);
	return status;
#endif
}
