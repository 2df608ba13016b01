// SPDX-License-Identifier: Apache-2.0
/*
 * kcap detect: run Falco-format rules on live events or a capture file and
 * print one alert per match (Falco's text line, or its JSON alert object
 * from libkcap's encoder); --validate checks rules files without running
 * them.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "kcap_detect.h"
#include "kcap_export.h"

static const char detect_usage[] =
	"Usage: kcap detect [-r FILE] [-R RULES]... [-j] [-n N] [-p PRIORITY] [-w OUT]\n"
	"       kcap detect --validate RULES...\n"
	"Evaluate detection rules (Falco's YAML format: rule, macro, list, append,\n"
	"override, exceptions) on live events or on a capture file and print one\n"
	"alert per match: \"TIME: Priority OUTPUT\", or Falco-compatible JSON with -j.\n"
	"\n"
	"  -r, --read FILE        read a capture file (kcap record -w) instead of live\n"
	"  -R, --rules PATH       a rules file, or a directory of *.yaml files; may be\n"
	"                         repeated (later files append to earlier ones);\n"
	"                         default: $KCAP_RULES, /etc/kcap/kcap_rules.yaml,\n"
	"                         or rules/kcap_rules.yaml next to the tool\n"
	"  -j, --json             one JSON object per alert\n"
	"  -n, --count N          stop after N events\n"
	"  -p, --priority P       skip rules below priority P (e.g. warning)\n"
	"  -w, --write OUT        live: also record the events to capture file OUT\n"
	"      --validate         check the rules files given as arguments and exit\n"
	"  -h, --help             show this help\n"
	"A summary (events, alerts per rule) goes to stderr at the end. Live capture\n"
	"stops on SIGINT or SIGTERM. Exit status: 0, 1 runtime error, 2 bad\n"
	"arguments or invalid rules.\n";

enum { OPT_VALIDATE = OPT_COMMAND };

static const struct option detect_opts[] = {
	{ "read", required_argument, NULL, 'r' },
	{ "rules", required_argument, NULL, 'R' },
	{ "json", no_argument, NULL, 'j' },
	{ "count", required_argument, NULL, 'n' },
	{ "priority", required_argument, NULL, 'p' },
	{ "write", required_argument, NULL, 'w' },
	{ "validate", no_argument, NULL, OPT_VALIDATE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct run {
	bool json;
	/* the capture file's machine; "" live: the encoder names this one */
	char hostname[256];
	char *line; /* the JSON line, grown to fit */
	size_t line_cap;
	unsigned long long alerts;
	struct rule_count {
		const char *rule;
		unsigned long long n;
	} counts[256];
	unsigned int ncounts;
};

/* The alert as Falco's JSON alert line, by libkcap's encoder. */
static int print_alert_json(struct run *r, const struct kcap_alert *a)
{
	struct kcap_alert fa = *a;
	int n;

	if (r->hostname[0])
		fa.hostname = r->hostname;
	n = kcap_alert_to_json(&fa, r->line, r->line_cap);
	if (n >= 0 && (size_t)n >= r->line_cap) {
		char *p = realloc(r->line, (size_t)n + 1);

		if (!p)
			return -ENOMEM;
		r->line = p;
		r->line_cap = (size_t)n + 1;
		n = kcap_alert_to_json(&fa, r->line, r->line_cap);
	}
	if (n < 0)
		return n;
	puts(r->line);
	return 0;
}

static int on_alert(void *ctx, const struct kcap_alert *a)
{
	struct run *r = ctx;
	time_t secs = (time_t)(a->time_ns / 1000000000LL);
	long ns = (long)(a->time_ns % 1000000000LL);
	struct tm tm;
	unsigned int i;

	r->alerts++;
	for (i = 0; i < r->ncounts && strcmp(r->counts[i].rule, a->rule); i++)
		;
	if (i == r->ncounts && i < sizeof(r->counts) / sizeof(r->counts[0])) {
		r->counts[i].rule = a->rule;
		r->counts[i].n = 0;
		r->ncounts++;
	}
	if (i < r->ncounts)
		r->counts[i].n++;
	if (r->json)
		return print_alert_json(r, a);
	localtime_r(&secs, &tm);
	printf("%02d:%02d:%02d.%09ld: %s %s\n", tm.tm_hour, tm.tm_min, tm.tm_sec, ns,
	       kcap_priority_name(a->priority), a->output);
	return 0;
}

/* The default rules file: $KCAP_RULES, /etc/kcap, or next to the tool. */
static const char *default_rules(char *buf, size_t len)
{
	const char *env = getenv("KCAP_RULES");
	static const char *const rel[] = { "/../rules/kcap_rules.yaml",
					   "/../../rules/kcap_rules.yaml",
					   "/../share/kcap/rules/kcap_rules.yaml" };
	char exe[PATH_MAX];
	ssize_t n;
	size_t i;

	if (env && *env)
		return env;
	if (!access("/etc/kcap/kcap_rules.yaml", R_OK))
		return "/etc/kcap/kcap_rules.yaml";
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0';
	for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		snprintf(buf, len, "%s%s", exe, rel[i]);
		if (!access(buf, R_OK))
			return buf;
	}
	return NULL;
}

static int load_rules(struct kcap_rules *r, const char **paths, unsigned int n, bool quiet)
{
	unsigned int i, total, enabled;
	const char *w;

	for (i = 0; i < n; i++) {
		if (kcap_rules_load_file(r, paths[i])) {
			fprintf(stderr, "kcap detect: %s\n", kcap_rules_errmsg(r));
			return EXIT_USAGE;
		}
	}
	if (kcap_rules_compile(r)) {
		fprintf(stderr, "kcap detect: %s\n", kcap_rules_errmsg(r));
		return EXIT_USAGE;
	}
	for (i = 0; (w = kcap_rules_warning(r, i)); i++)
		fprintf(stderr, "kcap detect: warning: %s\n", w);
	total = kcap_rules_count(r, &enabled);
	if (!quiet)
		fprintf(stderr, "kcap detect: %u rules (%u enabled) from %u file%s\n", total,
			enabled, n, n == 1 ? "" : "s");
	return 0;
}

static int validate(struct kcap_rules *r, const char **paths, unsigned int n)
{
	unsigned int total, enabled, i;
	int err;

	if (!n)
		return usage_error("detect", "--validate needs rules files");
	err = load_rules(r, paths, n, true);
	if (err)
		return err;
	total = kcap_rules_count(r, &enabled);
	for (i = 0; i < n; i++)
		printf("%s: ok\n", paths[i]);
	printf("%u rules (%u enabled)\n", total, enabled);
	return 0;
}

static int run_events(struct kcap *h, struct kcap_state *st, struct kcap_rules *r,
		      struct run *run, struct kcap_writer *w, bool file,
		      unsigned long long count, volatile int *stop)
{
	const struct kcap_event_hdr *ev;
	unsigned long long n = 0;
	bool stopping = false;
	int err;

	for (;;) {
		if (!stopping && !file && (*stop || (count && n >= count))) {
			kcap_stop(h);
			stopping = true;
		}
		if (file && (*stop || (count && n >= count)))
			break;
		err = kcap_next(h, &ev);
		if (err == -EAGAIN) {
			if (w)
				kcap_writer_tick(w);
			continue;
		}
		if (err == -ENODATA)
			break;
		if (err) {
			fprintf(stderr, "kcap detect: %s\n", kcap_errmsg(h));
			return EXIT_RUNTIME;
		}
		n++;
		if (w && kcap_writer_write(w, ev)) {
			fprintf(stderr, "kcap detect: %s\n", kcap_writer_errmsg(w));
			return EXIT_RUNTIME;
		}
		kcap_state_update(st, h, ev);
		err = kcap_rules_eval(r, st, h, ev, on_alert, run);
		if (err < 0) {
			fprintf(stderr, "kcap detect: rule evaluation: %s\n", strerror(-err));
			return EXIT_RUNTIME;
		}
		if (run->alerts && !run->json)
			fflush(stdout);
	}
	fflush(stdout);
	fprintf(stderr, "kcap detect: %llu events, %llu alerts\n", n, run->alerts);
	return 0;
}

int cmd_detect(int argc, char **argv)
{
	const char *rules[64], *in = NULL, *out = NULL;
	unsigned int nrules = 0, i;
	unsigned long long count = 0;
	bool do_validate = false;
	struct kcap_rules *r = NULL;
	struct kcap_state *st = NULL;
	struct kcap_writer *w = NULL;
	struct kcap *h = NULL;
	struct run run;
	char errbuf[512], defpath[PATH_MAX];
	int c, ret, prio = -1;

	memset(&run, 0, sizeof(run));
	optind = 1;
	while ((c = getopt_long(argc, argv, "r:R:jn:p:w:h", detect_opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			in = optarg;
			break;
		case 'R':
			if (nrules == sizeof(rules) / sizeof(rules[0]))
				return usage_error("detect", "too many -R");
			rules[nrules++] = optarg;
			break;
		case 'j':
			run.json = true;
			break;
		case 'n':
			if (!parse_u64(optarg, 1, ~0ULL, &count))
				return usage_error("detect", "bad count '%s'", optarg);
			break;
		case 'p':
			prio = kcap_priority_parse(optarg);
			if (prio < 0)
				return usage_error("detect", "unknown priority '%s'", optarg);
			break;
		case 'w':
			out = optarg;
			break;
		case OPT_VALIDATE:
			do_validate = true;
			break;
		case 'h':
			fputs(detect_usage, stdout);
			return 0;
		default:
			return usage_error("detect", "bad option");
		}
	}
	r = kcap_rules_new();
	if (!r) {
		fprintf(stderr, "kcap detect: out of memory\n");
		return EXIT_RUNTIME;
	}
	if (do_validate) {
		for (i = (unsigned int)optind; i < (unsigned int)argc && nrules < 64; i++)
			rules[nrules++] = argv[i];
		ret = validate(r, rules, nrules);
		kcap_rules_free(r);
		return ret;
	}
	if (optind < argc) {
		kcap_rules_free(r);
		return usage_error("detect", "unexpected argument '%s'", argv[optind]);
	}
	if (in && out) {
		kcap_rules_free(r);
		return usage_error("detect", "-w records live capture; use kcap read -w for files");
	}
	if (!nrules) {
		rules[0] = default_rules(defpath, sizeof(defpath));
		if (!rules[0]) {
			kcap_rules_free(r);
			return usage_error("detect", "no rules file: give -R RULES");
		}
		nrules = 1;
	}
	if (prio >= 0)
		kcap_rules_set_min_priority(r, (enum kcap_priority)prio);
	ret = load_rules(r, rules, nrules, false);
	if (ret)
		goto out;
	st = kcap_state_new(NULL);
	if (!st) {
		fprintf(stderr, "kcap detect: out of memory\n");
		ret = EXIT_RUNTIME;
		goto out;
	}
	if (in) {
		KCAP_OPTS(kcap_file_opts, fo, .errbuf = errbuf, .errbuf_sz = sizeof(errbuf));
		struct kcap_file_info fi;

		h = kcap_open_file(in, &fo);
		if (!h) {
			fprintf(stderr, "kcap detect: %s\n", errbuf);
			ret = EXIT_RUNTIME;
			goto out;
		}
		if (!kcap_file_info(h, &fi, sizeof(fi)))
			snprintf(run.hostname, sizeof(run.hostname), "%s", fi.hostname);
	} else {
		KCAP_OPTS(kcap_open_opts, lo, .errbuf = errbuf, .errbuf_sz = sizeof(errbuf));

		h = kcap_open_live(&lo);
		if (!h) {
			fprintf(stderr, "kcap detect: %s\n", errbuf);
			ret = EXIT_RUNTIME;
			goto out;
		}
	}
	ret = kcap_state_seed(st, h);
	if (ret)
		fprintf(stderr, "kcap detect: process snapshot: %s (continuing)\n", strerror(-ret));
	if (out) {
		KCAP_OPTS(kcap_writer_opts, wo, .source = h, .errbuf = errbuf,
			  .errbuf_sz = sizeof(errbuf));

		w = kcap_writer_open(out, &wo);
		if (!w) {
			fprintf(stderr, "kcap detect: %s\n", errbuf);
			ret = EXIT_RUNTIME;
			goto out;
		}
	}
	if (!in && (ret = kcap_start(h))) {
		fprintf(stderr, "kcap detect: %s\n", kcap_errmsg(h));
		ret = EXIT_RUNTIME;
		goto out;
	}
	if (!in)
		fprintf(stderr, "kcap detect: capturing%s%s\n", out ? " to " : "", out ? out : "");
	ret = run_events(h, st, r, &run, w, in != NULL, count, install_stop_signals());
	if (w && kcap_writer_finish(w) && !ret) {
		fprintf(stderr, "kcap detect: %s\n", kcap_writer_errmsg(w));
		ret = EXIT_RUNTIME;
	}
	for (i = 0; i < run.ncounts; i++)
		fprintf(stderr, "kcap detect:   %llu x %s\n", run.counts[i].n, run.counts[i].rule);
out:
	free(run.line);
	kcap_writer_close(w);
	kcap_close(h);
	kcap_state_free(st);
	kcap_rules_free(r);
	return ret;
}
