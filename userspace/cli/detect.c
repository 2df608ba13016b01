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
	"       kcap detect --print-conditions RULES...\n"
	"Evaluate detection rules (Falco's YAML format: rule, macro, list, append,\n"
	"override, exceptions) on live events or on a capture file and print one\n"
	"alert per match: \"TIME: Priority OUTPUT\", or Falco-compatible JSON with -j.\n"
	"\n"
	"  -r, --read FILE        read a capture file (kcap record -w) instead of live;\n"
	"                         - reads standard input\n"
	"  -R, --rules PATH       a rules file, or a directory of *.yaml files; may be\n"
	"                         repeated (later files append to earlier ones);\n"
	"                         default: $KCAP_RULES, /etc/kcap/kcap_rules.yaml,\n"
	"                         or rules/kcap_rules.yaml next to the tool\n"
	"  -j, --json             one JSON object per alert\n"
	"  -n, --count N          stop after N events\n"
	"  -p, --priority P       skip rules below priority P (e.g. warning)\n"
	"  -w, --write OUT        live: also record the events to capture file OUT\n"
	CONTAINER_ROOT_HELP
	"      --validate         check the rules files given as arguments and exit\n"
	"      --print-conditions print \"RULE<TAB>CONDITION\" for every rule of the\n"
	"                         files given as arguments, the condition on one line\n"
	"                         with macros and lists expanded as Falco does (for\n"
	"                         other engines of the filter language), and exit\n"
	"  -h, --help             show this help\n"
	"A summary (events, container metadata lookups and events that had no\n"
	"metadata yet, alerts per rule) goes to stderr at the end. Live capture\n"
	"stops on SIGINT or SIGTERM. Alerts are written one line at a time, so\n"
	"kcap detect | head -1 ends after the first (SIGPIPE, as for every kcap\n"
	"command). A capture file that was not closed cleanly is read up to its\n"
	"last complete block, with a warning; progress on stderr when it is a\n"
	"terminal and stdout is not. Container metadata (container.name, .image,\n"
	"k8s.pod.name, ...) is read in the background for live events, so the first\n"
	"events of a new container show <NA> for it; with -r it is not looked up\n"
	"(this machine's runtimes do not know the file's containers): <NA>.\n"
	"Exit status: 0, 1 runtime error (also a failed write of the alerts), 2 bad\n"
	"arguments or invalid rules.\n";

enum { OPT_VALIDATE = OPT_COMMAND, OPT_PRINT_CONDITIONS };

static const struct option detect_opts[] = {
	{ "read", required_argument, NULL, 'r' },
	{ "rules", required_argument, NULL, 'R' },
	{ "json", no_argument, NULL, 'j' },
	{ "count", required_argument, NULL, 'n' },
	{ "priority", required_argument, NULL, 'p' },
	{ "write", required_argument, NULL, 'w' },
	CONTAINER_ROOT_LONG_OPT,
	{ "validate", no_argument, NULL, OPT_VALIDATE },
	{ "print-conditions", no_argument, NULL, OPT_PRINT_CONDITIONS },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct run {
	bool json;
	/* the capture file's machine; "" live: the encoder names this one */
	char hostname[256];
	char *line; /* the JSON line, grown to fit */
	size_t line_cap;
	bool out_failed; /* a write to stdout failed: stop (main.c says why) */
	struct file_progress pr;
	unsigned long long events;
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
	r->out_failed = !output_ok(puts(r->line) >= 0 && !fflush(stdout));
	return 0;
}

/* Falco's text line: "TIME: Priority OUTPUT", local time. */
static void print_alert_text(struct run *r, const struct kcap_alert *a)
{
	time_t secs = (time_t)(a->time_ns / 1000000000LL);
	long ns = (long)(a->time_ns % 1000000000LL);
	struct tm tm;

	localtime_r(&secs, &tm);
	r->out_failed =
	    !output_ok(printf("%02d:%02d:%02d.%09ld: %s %s\n", tm.tm_hour, tm.tm_min, tm.tm_sec, ns,
			      kcap_priority_name(a->priority), a->output) >= 0 &&
		       !fflush(stdout));
}

/* Counts an alert of @rule for the summary (the first 256 rules by name). */
static void count_alert(struct run *r, const char *rule)
{
	unsigned int i;

	r->alerts++;
	for (i = 0; i < r->ncounts && strcmp(r->counts[i].rule, rule); i++)
		;
	if (i == r->ncounts && i < sizeof(r->counts) / sizeof(r->counts[0])) {
		r->counts[i].rule = rule;
		r->counts[i].n = 0;
		r->ncounts++;
	}
	if (i < r->ncounts)
		r->counts[i].n++;
}

static int on_alert(void *ctx, const struct kcap_alert *a)
{
	struct run *r = ctx;

	count_alert(r, a->rule);
	if (r->json)
		return print_alert_json(r, a);
	print_alert_text(r, a);
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

/* Every line of the rules' error text, each as one message. */
static void print_rule_errors(struct kcap_rules *r)
{
	const char *p = kcap_rules_errmsg(r), *nl;

	while (*p) {
		nl = strchr(p, '\n');
		fprintf(stderr, "kcap detect: %.*s\n", nl ? (int)(nl - p) : (int)strlen(p), p);
		if (!nl)
			break;
		p = nl + 1;
	}
}

/* Loads every file even after a failure, then compiles: all the errors of
 * all files at once, each with its file:line:column. */
static int load_rules(struct kcap_rules *r, const char **paths, unsigned int n, bool quiet)
{
	unsigned int i, total, enabled;
	const char *w;
	int failed = 0;

	for (i = 0; i < n; i++)
		failed |= kcap_rules_load_file(r, paths[i]) != 0;
	if (kcap_rules_compile(r) || failed) {
		print_rule_errors(r);
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

/* --print-conditions: each rule, tab, its expanded condition. */
static int print_conditions(struct kcap_rules *r, const char **paths, unsigned int n)
{
	unsigned int total, i;
	const char *name;
	char *cond;
	int err;

	if (!n)
		return usage_error("detect", "--print-conditions needs rules files");
	err = load_rules(r, paths, n, true);
	if (err)
		return err;
	total = kcap_rules_count(r, NULL);
	for (i = 0; i < total; i++) {
		cond = kcap_rules_condition(r, i, &name, NULL);
		if (!cond) {
			fprintf(stderr, "kcap detect: rule %u: %s\n", i, strerror(errno));
			return EXIT_RUNTIME;
		}
		if (!output_ok(printf("%s\t%s\n", name, cond) >= 0)) {
			free(cond);
			return EXIT_RUNTIME;
		}
		free(cond);
	}
	return output_ok(!fflush(stdout)) ? 0 : EXIT_RUNTIME;
}

struct detect_args {
	const char *rules[64];
	unsigned int nrules;
	const char *in; /* -r */
	const char *out; /* -w */
	const char *container_root; /* --container-root */
	unsigned long long count;
	int prio; /* -1: all */
	bool json;
	bool validate;
	bool print_conditions;
	char defpath[PATH_MAX]; /* the default rules file, when found next to the tool */
};

/* Options and arguments into @a; CLI_CONTINUE, or the exit status. */
static int parse_args(int argc, char **argv, struct detect_args *a)
{
	int c, i;

	memset(a, 0, sizeof(*a));
	a->prio = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "r:R:jn:p:w:h", detect_opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			a->in = optarg;
			break;
		case OPT_CONTAINER_ROOT:
			if ((i = parse_container_root("detect", optarg)) != CLI_CONTINUE)
				return i;
			a->container_root = optarg;
			break;
		case 'R':
			if (a->nrules == sizeof(a->rules) / sizeof(a->rules[0]))
				return usage_error("detect", "too many -R");
			a->rules[a->nrules++] = optarg;
			break;
		case 'j':
			a->json = true;
			break;
		case 'n':
			if (!parse_u64(optarg, 1, ~0ULL, &a->count))
				return usage_error("detect", "bad count '%s'", optarg);
			break;
		case 'p':
			a->prio = kcap_priority_parse(optarg);
			if (a->prio < 0)
				return usage_error("detect", "unknown priority '%s'", optarg);
			break;
		case 'w':
			a->out = optarg;
			break;
		case OPT_VALIDATE:
			a->validate = true;
			break;
		case OPT_PRINT_CONDITIONS:
			a->print_conditions = true;
			break;
		case 'h':
			fputs(detect_usage, stdout);
			return 0;
		default:
			return bad_option("detect", argc, argv, "r:R:jn:p:w:h");
		}
	}
	if (a->validate && a->print_conditions)
		return usage_error("detect", "--validate or --print-conditions, not both");
	if (a->validate || a->print_conditions) {
		/* the arguments are the rules files to check */
		for (i = optind; i < argc && a->nrules < sizeof(a->rules) / sizeof(a->rules[0]);
		     i++)
			a->rules[a->nrules++] = argv[i];
		return CLI_CONTINUE;
	}
	if (optind < argc)
		return usage_error("detect", "unexpected argument '%s'", argv[optind]);
	if (a->in && a->out)
		return usage_error("detect", "-w records live capture; use kcap read -w for files");
	if (!a->nrules) {
		a->rules[0] = default_rules(a->defpath, sizeof(a->defpath));
		if (!a->rules[0])
			return usage_error("detect", "no rules file: give -R RULES");
		a->nrules = 1;
	}
	return CLI_CONTINUE;
}

/* The capture file (-r; its machine names the alerts) or the live driver;
 * NULL after printing why. */
static struct kcap *open_source(const struct detect_args *a, struct run *run)
{
	char errbuf[512];
	struct kcap *h;

	if (a->in) {
		KCAP_OPTS(kcap_file_opts, fo);
		struct kcap_file_info fi;

		h = open_capture("detect", a->in, &fo);
		if (h && !kcap_file_info(h, &fi, sizeof(fi)))
			snprintf(run->hostname, sizeof(run->hostname), "%s", fi.hostname);
		return h;
	}
	{
		KCAP_OPTS(kcap_open_opts, lo, .errbuf = errbuf, .errbuf_sz = sizeof(errbuf));

		h = kcap_open_live(&lo);
	}
	if (!h)
		live_open_error("detect", errbuf);
	return h;
}

/* -w: the capture file the live events are also written to; NULL after
 * printing why. */
static struct kcap_writer *open_writer(const char *path, struct kcap *h)
{
	char errbuf[512];
	struct kcap_writer *w;
	KCAP_OPTS(kcap_writer_opts, wo, .source = h, .errbuf = errbuf, .errbuf_sz = sizeof(errbuf));

	w = kcap_writer_open(path, &wo);
	if (!w)
		fprintf(stderr, "kcap detect: %s\n", errbuf);
	return w;
}

/* Opens the source, seeds the thread table from it, opens -w and starts a
 * live capture; 0 or the exit status. */
static int start_source(const struct detect_args *a, struct run *run, struct kcap_state *st,
			struct kcap **h, struct kcap_writer **w)
{
	int err;

	*h = open_source(a, run);
	if (!*h)
		return EXIT_RUNTIME;
	err = kcap_state_seed(st, *h);
	if (err)
		fprintf(stderr, "kcap detect: process snapshot: %s (continuing)\n", strerror(-err));
	if (a->out) {
		*w = open_writer(a->out, *h);
		if (!*w)
			return EXIT_RUNTIME;
	}
	if (a->in)
		return 0;
	if (kcap_start(*h)) {
		fprintf(stderr, "kcap detect: %s\n", kcap_errmsg(*h));
		return EXIT_RUNTIME;
	}
	fprintf(stderr, "kcap detect: capturing%s%s\n", a->out ? " to " : "", a->out ? a->out : "");
	return 0;
}

/*
 * The event loop: each event (also written to -w) updates the thread table
 * and goes through the rules, until -n, a signal or the end of the file;
 * live capture drains the rings after the stop. 0 or EXIT_RUNTIME.
 */
static int run_events(struct kcap *h, struct kcap_state *st, struct kcap_rules *r, struct run *run,
		      struct kcap_writer *w, const struct detect_args *a, volatile int *stop)
{
	const struct kcap_event_hdr *ev;
	bool file = a->in != NULL, stopping = false;
	int err;

	for (;;) {
		bool enough = *stop || (a->count && run->events >= a->count);

		if (!stopping && !file && enough) {
			kcap_stop(h);
			stopping = true;
		}
		if (file && enough)
			break;
		err = kcap_next(h, &ev);
		if (err == -EAGAIN) {
			if (w)
				kcap_writer_tick(w);
			check_stdout_reader();
			continue;
		}
		if (err == -ENODATA) {
			if (file)
				report_file_end("detect", h, a->in, run->events);
			break;
		}
		if (err) {
			fprintf(stderr, "kcap detect: %s\n", kcap_errmsg(h));
			return EXIT_RUNTIME;
		}
		run->events++;
		progress_tick(&run->pr, run->events, ev->ts_ns);
		if (!file)
			stdout_reader_tick();
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
		if (run->out_failed)
			break;
	}
	return 0;
}

/* The container metadata lookups of a live run (docs/containers.md):
 * how many events of containers had no metadata yet. */
static void print_ct_stats(const struct kcap_state *st)
{
	struct kcap_state_stats s;

	if (kcap_state_stats(st, &s, sizeof(s)))
		return;
	fprintf(stderr,
		"kcap detect: containers: %llu lookups, %llu found, %llu failed, %llu dropped; "
		"%llu events without metadata, %llu of them in a container's first second\n",
		(unsigned long long)s.ct_lookups, (unsigned long long)s.ct_found,
		(unsigned long long)s.ct_failed, (unsigned long long)s.ct_dropped,
		(unsigned long long)s.ct_events_nometa,
		(unsigned long long)s.ct_events_nometa_first_s);
}

/* The end: totals (after a clean run), container lookups (live), the -w
 * file closed, alerts per rule on stderr. Returns the exit status. */
static int finish(const struct run *run, const struct kcap_state *st, struct kcap_writer *w,
		  int status, bool live)
{
	unsigned int i;

	if (!status && !run->out_failed) {
		fprintf(stderr, "kcap detect: %llu events, %llu alerts\n", run->events,
			run->alerts);
		if (live) /* a file's containers are never looked up */
			print_ct_stats(st);
	}
	if (w && kcap_writer_finish(w) && !status) {
		fprintf(stderr, "kcap detect: %s\n", kcap_writer_errmsg(w));
		status = EXIT_RUNTIME;
	}
	for (i = 0; i < run->ncounts; i++)
		fprintf(stderr, "kcap detect:   %llu x %s\n", run->counts[i].n,
			run->counts[i].rule);
	return status;
}

int cmd_detect(int argc, char **argv)
{
	struct detect_args a;
	struct kcap_rules *r;
	struct kcap_state *st = NULL;
	struct kcap_writer *w = NULL;
	struct kcap *h = NULL;
	struct run run;
	int ret;

	ret = parse_args(argc, argv, &a);
	if (ret != CLI_CONTINUE)
		return ret;
	memset(&run, 0, sizeof(run));
	run.json = a.json;
	r = kcap_rules_new();
	if (!r) {
		fprintf(stderr, "kcap detect: out of memory\n");
		return EXIT_RUNTIME;
	}
	if (a.validate) {
		ret = validate(r, a.rules, a.nrules);
		goto out;
	}
	if (a.print_conditions) {
		ret = print_conditions(r, a.rules, a.nrules);
		goto out;
	}
	if (a.prio >= 0)
		kcap_rules_set_min_priority(r, (enum kcap_priority)a.prio);
	ret = load_rules(r, a.rules, a.nrules, false);
	if (ret)
		goto out;
	st = cli_state_new(a.container_root);
	if (!st) {
		fprintf(stderr, "kcap detect: out of memory\n");
		ret = EXIT_RUNTIME;
		goto out;
	}
	ret = start_source(&a, &run, st, &h, &w);
	if (ret)
		goto out;
	progress_init(&run.pr, "detect", h, 0, 0, true);
	run.pr.on = run.pr.on && a.in;
	ret = run_events(h, st, r, &run, w, &a, install_stop_signals());
	progress_end(&run.pr, run.events, false);
	ret = finish(&run, st, w, ret, !a.in);
out:
	free(run.line);
	kcap_writer_close(w);
	kcap_close(h);
	kcap_state_free(st);
	kcap_rules_free(r);
	return ret;
}
