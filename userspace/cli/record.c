// SPDX-License-Identifier: Apache-2.0
/* kcap record: live capture, one text line per event on stdout. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fleet.h"
#include "kcap_detect.h"

static const char record_usage[] =
	"Usage: kcap record [-n N] [-e SYSCALL[,SYSCALL..]] [-s SNAPLEN]\n"
	"                   [--buffer-size BYTES|NK|NM] [--no-lifecycle] [--enter] [--nice N]\n"
	"                   [-w FILE [-z LEVEL] [-C MB] [-G SECONDS] [-W N]]\n"
	"                   [--gvisor-sink PATH [--gvisor-attach]] [--gvisor-root DIR]...\n"
	"                   [FILTER]\n"
	"       kcap record --from URL -w FILE [--durable NAME] [--instance ID] [--lease S]\n"
	"                   [--node NAME] [--idle-exit S]\n"
	"Capture live events and print one line per event on stdout:\n"
	"  SECONDS.NANOS cpu=C pid=P tid=T syscall NAME(a0=.., .., a5=..) = RESULT\n"
	"  SECONDS.NANOS cpu=C pid=P tid=T proc_fork|proc_exec|proc_exit|drop NAME=VALUE..\n"
	"Stops after N events or on SIGINT/SIGTERM, then prints a summary of events\n"
	"and drops on stderr. FILTER, an expression in Falco's filter syntax (the\n"
	"rest of the command line, as kcap read), keeps only matching events:\n"
	"  kcap record -e openat,execve 'proc.name=sh and fd.name startswith /etc'\n"
	"-e selects in the kernel (cheap); FILTER is evaluated here on every event\n"
	"that passes -e, with a thread table so proc.* fields work.\n"
	"\n"
	"  -n, --count N          stop after N events\n"
	"  -e, --syscalls LIST    capture only these syscalls (names or numbers,\n"
	"                         comma-separated; see kcap list-syscalls); default:\n"
	"                         all, or with FILTER those whose events it can match\n"
	"                         and those the thread table needs (unless FILTER\n"
	"                         does not restrict evt.type)\n"
	"  -s, --snaplen BYTES    bytes kept of strings and buffers (max 16384)\n"
	"      --buffer-size SIZE ring size per CPU, a power of two, 64K..1G\n"
	"      --no-lifecycle     no fork/exec/exit events\n"
	"      --enter            also an event at syscall entry\n"
	NICE_HELP
	"  -w, --write FILE       write a capture file instead (read it with kcap read\n"
	"                         -r FILE); progress on stderr when it is a terminal.\n"
	"                         FILE is written in place, batch by batch: if the\n"
	"                         recorder is killed or the disk fills, FILE stays\n"
	"                         readable up to its last batch (kcap info says it was\n"
	"                         not closed cleanly). Copies (kcap read -w) instead\n"
	"                         appear only when complete. FILE also stores the\n"
	"                         container runtimes' metadata of the containers\n"
	"                         recorded (name, image, pod, ...) as it is learnt,\n"
	"                         so kcap detect -r FILE has the container.* and\n"
	"                         k8s.* fields on any machine\n"
	"  -z, --level LEVEL      zstd level 1..19 for -w (default 1)\n"
	"  -C MB                  with -w: a new file every MB million bytes\n"
	"  -G SECONDS             with -w: a new file every SECONDS\n"
	"  -W N                   with -C/-G: keep only the last N files\n"
	"                         (rotated files are FILE.0, FILE.1, ...)\n"
	CONTAINER_ROOT_HELP
	GVISOR_HELP
	FLEET_SRC_HELP
	"  -h, --help             show this help\n";

static const struct option record_opts[] = {
	{"count", required_argument, NULL, 'n'}, CAPTURE_LONG_OPTS,
	{"write", required_argument, NULL, 'w'}, {"level", required_argument, NULL, 'z'},
	CONTAINER_ROOT_LONG_OPT,		     GVISOR_LONG_OPTS,
	FLEET_SRC_LONG_OPTS,
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

int cmd_record(int argc, char **argv)
{
	static unsigned int nrs[KCAP_SYSCALL_MAX];
	char errbuf[256] = "";
	unsigned long long count = 0, seen = 0;
	const struct kcap_event_hdr *ev;
	__u64 drops[KCAP_DROP_NR_SLOTS];
	volatile int *stop;
	bool out_ok = true;
	struct kcap_filter *expr;
	struct kcap_state *st = NULL;
	struct kcap *h;
	int c, err, status = 0;
	KCAP_OPTS(kcap_open_opts, o, .errbuf = errbuf, .errbuf_sz = sizeof(errbuf));
	struct write_opts ro = { 0 };
	const char *container_root = NULL;
	struct cli_gvisor gv = { 0 };
	struct kcap_fleet_opts fo = { .sz = sizeof(fo) };

	optind = 0;
	while ((c = getopt_long(argc, argv, "+n:e:s:w:z:C:G:W:h", record_opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(record_usage, stdout);
			return 0;
		case OPT_CONTAINER_ROOT:
			if ((status = parse_container_root("record", optarg)) != CLI_CONTINUE)
				return status;
			status = 0;
			container_root = optarg;
			break;
		case OPT_GVISOR_SINK:
		case OPT_GVISOR_ROOT:
		case OPT_GVISOR_ATTACH:
		case OPT_GVISOR_HOLDBACK:
			if ((status = parse_gvisor_opt("record", c, optarg, &gv)) != CLI_CONTINUE)
				return status;
			status = 0;
			break;
		case 'n':
			if (!parse_u64(optarg, 1, ~0ULL, &count))
				return usage_error("record", "-n %s: need a positive number",
						   optarg);
			break;
		case '?':
			return bad_option("record", argc, argv, "+n:e:s:w:z:C:G:W:h");
		case 'w':
		case 'z':
		case 'C':
		case 'G':
		case 'W':
			err = parse_write_opt("record", c, optarg, &ro);
			if (err)
				return err;
			break;
		default:
			err = fleet_conn_opt("record", c, optarg, &fo);
			if (err >= 0) {
				if (err)
					return err;
				break;
			}
			err = parse_capture_opt("record", c, optarg, &o, nrs);
			if (err)
				return err;
		}
	}
	if (check_gvisor_opts("record", &gv) != CLI_CONTINUE)
		return EXIT_USAGE;
	if (!ro.path && (ro.level || ro.rotate_bytes || ro.rotate_secs || ro.keep))
		return usage_error("record", "-z, -C, -G and -W need -w FILE");
	if (ro.keep && !ro.rotate_bytes && !ro.rotate_secs)
		return usage_error("record", "-W needs -C or -G");
	expr = parse_filter_args("record", argc, argv, optind, &status);
	if (status)
		return status;
	filter_interest(expr, &o, nrs);
	if (fo.url) {
		if (!ro.path || expr || ro.rotate_bytes || ro.rotate_secs)
			return usage_error("record", "--from needs -w FILE (no FILTER, -C, -G)");
		stop = install_stop_signals();
		h = fleet_open_source("record", &fo);
		if (!h)
			return EXIT_RUNTIME;
		status = fleet_record(h, ro.path, count, stop, fo.idle_ms / 1000.0);
		kcap_close(h);
		return status;
	}
	if (fo.stream || fo.subject || fo.node || fo.durable || fo.idle_ms || fo.instance ||
	    fo.lease_ms || fo.creds ||
	    fo.nkey || fo.user || fo.tls_ca)
		return usage_error("record", "the NATS options need --from URL");

	stop = install_stop_signals();
	h = open_live_sources("record", &o, &gv);
	if (!h) {
		kcap_filter_free(expr);
		return EXIT_RUNTIME;
	}
	if ((expr && kcap_filter_needs_state(expr)) || ro.path) {
		/* proc.* fields: threads from /proc now, then from the events;
		 * with -w, the containers' metadata for the file (its
		 * container table) */
		st = cli_state_new(container_root, &gv);
		if (!st || kcap_state_seed(st, h) < 0)
			fprintf(stderr,
				"kcap record: process snapshot: %s (%s fill in as events "
				"come)\n",
				strerror(errno), expr ? "process fields" : "containers");
	}
	err = kcap_start(h);
	if (err) {
		fprintf(stderr, "kcap: %s\n", kcap_errmsg(h));
		status = EXIT_RUNTIME;
		goto out;
	}
	if (ro.path) {
		status = record_to_file(h, &ro, count, stop, expr, st);
		goto out;
	}
	while (out_ok && !*stop && (!count || seen < count)) {
		err = kcap_next(h, &ev);
		if (err == -EAGAIN) {
			print_flush();
			fflush(stdout);
			check_stdout_reader();
			continue;
		}
		if (err)
			break;
		stdout_reader_tick();
		if (!keep_event(expr, st, h, ev))
			continue;
		out_ok = print_event(h, ev);
		seen++;
	}
	if (!err || err == -EAGAIN) {
		err = kcap_stop(h);
		/* Print what was captured before the stop, unless -n is reached. */
		while (!err && out_ok && (!count || seen < count)) {
			err = kcap_next(h, &ev);
			if (!err && keep_event(expr, st, h, ev)) {
				out_ok = print_event(h, ev);
				seen++;
			}
		}
	}
	if (err && err != -ENODATA && err != -EAGAIN) {
		fprintf(stderr, "kcap: %s\n", kcap_errmsg(h));
		status = EXIT_RUNTIME;
	}
	if (sum_drops(h, drops) == 0)
		fprintf(stderr,
			"kcap: %llu events, drops: full=%llu full_protected=%llu fault=%llu "
			"other=%llu\n",
			seen, (unsigned long long)drops[KCAP_DROP_FULL],
			(unsigned long long)drops[KCAP_DROP_FULL_PROTECTED],
			(unsigned long long)drops[KCAP_DROP_FAULT],
			(unsigned long long)drops[KCAP_DROP_OTHER]);
out:
	close_live_sources(h);
	kcap_state_free(st);
	kcap_filter_free(expr);
	return status;
}
