// SPDX-License-Identifier: Apache-2.0
/*
 * kcap stats: the driver's version and configuration, and per-CPU ring
 * counters. Counters belong to the rings of a session (an open file of
 * /dev/kcap), so with -d the command runs a capture of its own for a while
 * (events are counted, not printed) and then reports; `kcap driver status`
 * lists every session's totals.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char stats_usage[] =
	"Usage: kcap stats [-d SECONDS] [-e SYSCALL[,..]] [--buffer-size SIZE]\n"
	"                  [--no-lifecycle] [--enter] [--nice N]\n"
	"Print the driver's ABI version and configuration. With -d, capture for\n"
	"SECONDS (events are counted, not printed), then print per-CPU counters:\n"
	"online, events, bytes, head, tail and drops by cause.\n"
	"Counters belong to a session: -d runs one of its own beside any other\n"
	"reader (`kcap driver status` lists every session with its totals).\n"
	"\n"
	"  -d, --duration SECONDS capture this long before printing counters\n"
	"  -e, --syscalls LIST    as for kcap record; default all\n"
	"  -s, --snaplen BYTES    as for kcap record\n"
	"      --buffer-size SIZE as for kcap record\n"
	"      --no-lifecycle     as for kcap record\n"
	"      --enter            as for kcap record\n"
	"      --nice N           as for kcap record (with -d)\n"
	"  -h, --help             show this help\n";

static const struct option stats_opts[] = {
	{ "duration", required_argument, NULL, 'd' },
	CAPTURE_LONG_OPTS,
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void print_config(struct kcap *h)
{
	struct kcap_version v;
	struct kcap_config cfg;

	if (!kcap_driver_version(h, &v))
		printf("driver ABI %u.%u\n", v.major, v.minor);
	if (kcap_config(h, &cfg)) {
		printf("config: unavailable: %s\n", kcap_errmsg(h));
		return;
	}
	printf("config: ring_size=%llu watermark=%llu snaplen=%u page_size=%u rings=%u "
	       "capturing=%s rings_allocated=%s\n",
	       (unsigned long long)cfg.ring_size, (unsigned long long)cfg.watermark, cfg.snaplen,
	       cfg.page_size, cfg.nr_rings, cfg.flags & KCAP_CFG_CAPTURING ? "yes" : "no",
	       cfg.flags & KCAP_CFG_RINGS ? "yes" : "no");
}

static int print_cpus(struct kcap *h)
{
	struct kcap_cpu_stats st;
	unsigned int cpu;

	printf("%-4s %-6s %12s %14s %14s %14s %10s %10s %10s %10s\n", "cpu", "online", "events",
	       "bytes", "head", "tail", "full", "full_prot", "fault", "other");
	for (cpu = 0; cpu < kcap_nr_rings(h); cpu++) {
		if (kcap_cpu_stats(h, cpu, &st)) {
			fprintf(stderr, "kcap: %s\n", kcap_errmsg(h));
			return EXIT_RUNTIME;
		}
		printf("%-4u %-6s %12llu %14llu %14llu %14llu %10llu %10llu %10llu %10llu\n", cpu,
		       st.online ? "yes" : "no", (unsigned long long)st.events,
		       (unsigned long long)st.bytes, (unsigned long long)st.head,
		       (unsigned long long)st.tail, (unsigned long long)st.drops[KCAP_DROP_FULL],
		       (unsigned long long)st.drops[KCAP_DROP_FULL_PROTECTED],
		       (unsigned long long)st.drops[KCAP_DROP_FAULT],
		       (unsigned long long)st.drops[KCAP_DROP_OTHER]);
	}
	return 0;
}

/* Captures for @secs, counting events; returns a negative errno on failure. */
static int count_events(struct kcap *h, double secs, unsigned long long *seen)
{
	const struct kcap_event_hdr *ev;
	volatile int *stop = install_stop_signals();
	double end = mono_seconds() + secs;
	int err = kcap_start(h);

	while (!err && !*stop && mono_seconds() < end) {
		err = kcap_next(h, &ev);
		if (!err)
			(*seen)++;
		else if (err == -EAGAIN)
			err = 0;
	}
	if (!err)
		err = kcap_stop(h);
	while (!err) {
		err = kcap_next(h, &ev);
		if (!err)
			(*seen)++;
	}
	return err == -ENODATA ? 0 : err;
}

int cmd_stats(int argc, char **argv)
{
	static unsigned int nrs[KCAP_SYSCALL_MAX];
	unsigned long long secs = 0, seen = 0;
	char errbuf[256] = "";
	struct kcap *h;
	int c, err, status;
	KCAP_OPTS(kcap_open_opts, o, .errbuf = errbuf, .errbuf_sz = sizeof(errbuf));

	optind = 0;
	while ((c = getopt_long(argc, argv, "+d:e:s:h", stats_opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(stats_usage, stdout);
			return 0;
		case 'd':
			if (!parse_u64(optarg, 1, 86400, &secs))
				return usage_error("stats", "-d %s: need 1..86400 seconds", optarg);
			break;
		case '?':
			return bad_option("stats", argc, argv, "+d:e:s:h");
		default:
			err = parse_capture_opt("stats", c, optarg, &o, nrs);
			if (err)
				return err;
		}
	}
	if (optind < argc)
		return usage_error("stats", "unexpected argument '%s'", argv[optind]);
	if (!secs)
		o.flags |= KCAP_OPEN_QUERY_ONLY;
	h = kcap_open_live(&o);
	if (!h) {
		live_open_error("stats", errbuf);
		return EXIT_RUNTIME;
	}
	if (secs)
		reader_priority("stats");
	print_config(h);
	if (!secs) {
		printf("no capture on this open file: run `kcap stats -d SECONDS` for per-CPU counters\n");
		kcap_close(h);
		return 0;
	}
	err = count_events(h, (double)secs, &seen);
	if (err) {
		fprintf(stderr, "kcap: %s\n", kcap_errmsg(h));
		kcap_close(h);
		return EXIT_RUNTIME;
	}
	printf("captured %llu events in %llu s\n", seen, secs);
	status = print_cpus(h);
	kcap_close(h);
	return status;
}
