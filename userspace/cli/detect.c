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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "fleet.h"
#include "kcap_detect.h"
#include "kcap_export.h"

static const char detect_usage[] =
	"Usage: kcap detect [-r FILE] [-R RULES]... [-j] [-n N] [-p PRIORITY] [-w OUT]\n"
	"                   [--gvisor-sink PATH [--gvisor-attach]] [--gvisor-root DIR]...\n"
	"       kcap detect --from URL [--durable NAME] [--instance ID] [--lease S]\n"
	"                   [--node NAME] [--idle-exit S] [-R RULES]... [-j] [-n N]\n"
	"                   [-p PRIORITY]\n"
	"       kcap detect --validate RULES...\n"
	"       kcap detect --print-conditions RULES...\n"
	"       kcap detect --print-interest [-p PRIORITY] RULES...\n"
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
	"                         (the syscalls the rules select, see below)\n"
	"      --all-syscalls     live: capture every syscall, not only those the\n"
	"                         rules and the process table need\n"
	CONTAINER_ROOT_HELP
	NICE_HELP
	GVISOR_HELP
	"      --flight-recorder SECONDS[,MB]\n"
	"                         keep the last SECONDS of events in memory (at most\n"
	"                         MB, default 256, compressed); when an alert fires,\n"
	"                         write them and the --flight-after seconds after it\n"
	"                         to a capture file in --flight-dir, named in the\n"
	"                         alert (text: \"flight_file=PATH\"; JSON: flight_file).\n"
	"                         Alerts close together share a file. Live: every\n"
	"                         syscall is captured, not only what the rules need\n"
	"      --flight-dir DIR   where flight files go (created if missing);\n"
	"                         default /var/lib/kcap/flight\n"
	"      --flight-after SECONDS\n"
	"                         how long a flight file goes on after its last\n"
	"                         alert (default 5)\n"
	"      --flight-keep FILES[,MB]\n"
	"                         keep at most FILES flight files and MB bytes in\n"
	"                         the directory, removing the oldest (default 100,1024)\n"
	"      --validate         check the rules files given as arguments and exit\n"
	"      --print-conditions print \"RULE<TAB>CONDITION\" for every rule of the\n"
	"                         files given as arguments, the condition on one line\n"
	"                         with macros and lists expanded as Falco does (for\n"
	"                         other engines of the filter language), and exit\n"
	"      --print-interest   print the syscalls a live capture selects for the\n"
	"                         rules files given as arguments (comma-separated, as\n"
	"                         kcap record -e takes them), or \"all\", and exit\n"
	FLEET_SRC_HELP
	"                         With --from, -j alerts name the node as hostname.\n"
	"  -h, --help             show this help\n"
	"Live, only the syscalls the enabled rules can match (their evt.type values)\n"
	"and those the process and descriptor tables need (fork, exec, the calls\n"
	"that open, duplicate or close descriptors, chdir, credentials) are captured,\n"
	"with the fork, exec and exit events; a rule whose condition does not\n"
	"restrict evt.type (a warning says which) makes it every syscall.\n"
	"A summary (events; live also the kernel's drops and the container metadata\n"
	"lookups with the events that had no metadata yet; alerts per rule) goes to\n"
	"stderr at the end. Live capture stops on SIGINT or SIGTERM. Alerts are\n"
	"written one line at a time, so kcap detect | head -1 ends after the first\n"
	"(SIGPIPE, as for every kcap command). A capture file that was not closed\n"
	"cleanly is read up to its last complete block, with a warning; progress on\n"
	"stderr when it is a terminal and stdout is not. Container metadata\n"
	"(container.name, .image, k8s.pod.name, ...) is read in the background for\n"
	"live events, so the first events of a new container may show <NA> for it;\n"
	"with -r nothing is looked up: the fields come from the file's container\n"
	"table, written by the recorder.\n"
	"Exit status: 0, 1 runtime error (also a failed write of the alerts), 2 bad\n"
	"arguments or invalid rules.\n";

enum {
	OPT_VALIDATE = OPT_COMMAND,
	OPT_PRINT_CONDITIONS,
	OPT_PRINT_INTEREST,
	OPT_ALL_SYSCALLS,
	OPT_FLIGHT,
	OPT_FLIGHT_DIR,
	OPT_FLIGHT_AFTER,
	OPT_FLIGHT_KEEP,
};

static const struct option detect_opts[] = {
	{ "read", required_argument, NULL, 'r' },
	{ "rules", required_argument, NULL, 'R' },
	{ "json", no_argument, NULL, 'j' },
	{ "count", required_argument, NULL, 'n' },
	{ "priority", required_argument, NULL, 'p' },
	{ "write", required_argument, NULL, 'w' },
	CONTAINER_ROOT_LONG_OPT,
	NICE_LONG_OPT,
	GVISOR_LONG_OPTS,
	FLEET_SRC_LONG_OPTS,
	{ "validate", no_argument, NULL, OPT_VALIDATE },
	{ "print-conditions", no_argument, NULL, OPT_PRINT_CONDITIONS },
	{ "print-interest", no_argument, NULL, OPT_PRINT_INTEREST },
	{ "all-syscalls", no_argument, NULL, OPT_ALL_SYSCALLS },
	{ "flight-recorder", required_argument, NULL, OPT_FLIGHT },
	{ "flight-dir", required_argument, NULL, OPT_FLIGHT_DIR },
	{ "flight-after", required_argument, NULL, OPT_FLIGHT_AFTER },
	{ "flight-keep", required_argument, NULL, OPT_FLIGHT_KEEP },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct run {
	bool json;
	/* the capture file's machine; "" live: the encoder names this one */
	char hostname[256];
	const char *node; /* --from: the node of the event, for JSON's hostname */
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
	struct kcap_flight *flight; /* --flight-recorder */
	char flight_path[PATH_MAX + 128];
};

/* The alert as Falco's JSON alert line, by libkcap's encoder. */
static int print_alert_json(struct run *r, const struct kcap_alert *a)
{
	struct kcap_alert fa = *a;
	int n;

	if (r->node)
		fa.hostname = r->node;
	else if (r->hostname[0])
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
	struct kcap_alert fa;
	char *out = NULL;

	count_alert(r, a->rule);
	if (r->flight) {
		/* The flight file holds the window before the matched event. */
		fa = *a;
		if (a->ev && !kcap_flight_trigger(r->flight, a->ev->ts_ns, a->rule, r->flight_path,
						  sizeof(r->flight_path))) {
			fa.flight_file = r->flight_path;
			if (!r->json && asprintf(&out, "%s flight_file=%s", a->output,
						 r->flight_path) > 0)
				fa.output = out;
		} else {
			fprintf(stderr, "kcap detect: %s\n", kcap_flight_errmsg(r->flight));
		}
		a = &fa;
	}
	if (r->json)
		return print_alert_json(r, a);
	print_alert_text(r, a);
	free(out);
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

/* The syscalls the rules need (kcap_rules_syscalls()) into @nrs; the
 * count, -1 for every syscall, or -2 after printing an error. */
static int rules_syscalls(const struct kcap_rules *r, unsigned int *nrs)
{
	bool all;
	int n = kcap_rules_syscalls(r, nrs, KCAP_SYSCALL_MAX, &all);

	if (n < 0) {
		fprintf(stderr, "kcap detect: the rules' syscalls: %s\n", strerror(-n));
		return -2;
	}
	return all ? -1 : n;
}

/* --print-interest: the rules' syscalls as one -e list, or "all". */
static int print_interest(struct kcap_rules *r, const char **paths, unsigned int n)
{
	static unsigned int nrs[KCAP_SYSCALL_MAX];
	const char *name;
	int i, cnt, err;

	if (!n)
		return usage_error("detect", "--print-interest needs rules files");
	err = load_rules(r, paths, n, true);
	if (err)
		return err;
	cnt = rules_syscalls(r, nrs);
	if (cnt == -2)
		return EXIT_RUNTIME;
	if (cnt < 0) {
		fprintf(stderr, "kcap detect: every syscall (a rule names no event type)\n");
		return output_ok(puts("all") >= 0 && !fflush(stdout)) ? 0 : EXIT_RUNTIME;
	}
	for (i = 0; i < cnt; i++) {
		name = kcap_syscall_name(nrs[i], KCAP_SC_X86_64);
		if (name)
			printf("%s%s", i ? "," : "", name);
		else
			printf("%s%u", i ? "," : "", nrs[i]);
	}
	putchar('\n');
	fprintf(stderr, "kcap detect: %d syscalls, and the fork, exec and exit events\n", cnt);
	return output_ok(!ferror(stdout) && !fflush(stdout)) ? 0 : EXIT_RUNTIME;
}

struct detect_args {
	const char *rules[64];
	unsigned int nrules;
	const char *in; /* -r */
	struct kcap_fleet_opts fo; /* --from */
	const char *out; /* -w */
	const char *container_root; /* --container-root */
	struct cli_gvisor gv; /* --gvisor-* */
	unsigned long long count;
	int prio; /* -1: all */
	bool json;
	bool validate;
	bool print_conditions;
	bool print_interest;
	bool all_syscalls;
	char defpath[PATH_MAX]; /* the default rules file, when found next to the tool */
	/* --flight-*: window (0: off), memory, after, kept files and bytes */
	unsigned long long flight_secs, flight_mb, flight_after, flight_keep, flight_keep_mb;
	const char *flight_dir;
};

/* "N" or "N,M" with each in its range; M keeps its value when absent. */
static bool parse_pair(const char *s, unsigned long long min1, unsigned long long max1,
		       unsigned long long *v1, unsigned long long min2, unsigned long long max2,
		       unsigned long long *v2)
{
	char first[32];
	const char *comma = strchr(s, ',');
	size_t n = comma ? (size_t)(comma - s) : strlen(s);

	if (n == 0 || n >= sizeof(first))
		return false;
	memcpy(first, s, n);
	first[n] = 0;
	if (!parse_u64(first, min1, max1, v1))
		return false;
	return !comma || parse_u64(comma + 1, min2, max2, v2);
}

/* Options and arguments into @a; CLI_CONTINUE, or the exit status. */
static int parse_args(int argc, char **argv, struct detect_args *a)
{
	int c, i, err;

	memset(a, 0, sizeof(*a));
	a->fo.sz = sizeof(a->fo);
	a->prio = -1;
	a->flight_mb = 256;
	a->flight_after = 5;
	a->flight_keep = 100;
	a->flight_keep_mb = 1024;
	a->flight_dir = "/var/lib/kcap/flight";
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
		case OPT_GVISOR_SINK:
		case OPT_GVISOR_ROOT:
		case OPT_GVISOR_ATTACH:
		case OPT_GVISOR_HOLDBACK:
			if ((i = parse_gvisor_opt("detect", c, optarg, &a->gv)) != CLI_CONTINUE)
				return i;
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
		case OPT_NICE:
			if (parse_nice_opt("detect", optarg) != CLI_CONTINUE)
				return EXIT_USAGE;
			break;
		case OPT_VALIDATE:
			a->validate = true;
			break;
		case OPT_PRINT_CONDITIONS:
			a->print_conditions = true;
			break;
		case OPT_FLIGHT:
			if (!parse_pair(optarg, 1, 86400, &a->flight_secs, 1, 1 << 20, &a->flight_mb))
				return usage_error("detect",
						   "--flight-recorder %s: need SECONDS (1 to 86400)[,MB]",
						   optarg);
			break;
		case OPT_FLIGHT_DIR:
			if (!*optarg)
				return usage_error("detect", "--flight-dir: empty");
			a->flight_dir = optarg;
			break;
		case OPT_FLIGHT_AFTER:
			if (!parse_u64(optarg, 0, 3600, &a->flight_after))
				return usage_error("detect", "--flight-after %s: need 0 to 3600 seconds",
						   optarg);
			break;
		case OPT_FLIGHT_KEEP:
			if (!parse_pair(optarg, 1, 1000000, &a->flight_keep, 1, 1ULL << 30,
					&a->flight_keep_mb))
				return usage_error("detect", "--flight-keep %s: need FILES[,MB]", optarg);
			break;
		case OPT_PRINT_INTEREST:
			a->print_interest = true;
			break;
		case OPT_ALL_SYSCALLS:
			a->all_syscalls = true;
			break;
		case 'h':
			fputs(detect_usage, stdout);
			return 0;
		default:
			err = fleet_conn_opt("detect", c, optarg, &a->fo);
			if (err > 0)
				return err;
			if (!err)
				break;
			return bad_option("detect", argc, argv, "r:R:jn:p:w:h");
		}
	}
	if (a->validate + a->print_conditions + a->print_interest > 1)
		return usage_error("detect",
				   "one of --validate, --print-conditions, --print-interest");
	if (a->validate || a->print_conditions || a->print_interest) {
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
	if (a->fo.url && (a->in || a->out || a->gv.sink || a->all_syscalls || a->flight_secs))
		return usage_error("detect", "--from reads a fleet: no -r, -w, --gvisor-sink, "
				   "--all-syscalls, --flight-recorder");
	if (!a->fo.url && (a->fo.durable || a->fo.node || a->fo.idle_ms || a->fo.stream ||
			   a->fo.instance || a->fo.lease_ms ||
			   a->fo.subject || a->fo.creds || a->fo.nkey || a->fo.user || a->fo.tls_ca))
		return usage_error("detect", "the NATS options need --from URL");
	if (a->in && a->gv.sink)
		return usage_error("detect", "--gvisor-sink is for live capture, not -r");
	if (check_gvisor_opts("detect", &a->gv) != CLI_CONTINUE)
		return EXIT_USAGE;
	if (a->in && a->all_syscalls)
		return usage_error("detect", "--all-syscalls is for live capture, not -r");
	if (a->flight_secs && a->flight_mb < 1)
		return usage_error("detect", "--flight-recorder: MB must be at least 1");
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
static struct kcap *open_source(const struct detect_args *a, struct run *run,
				 const struct kcap_rules *r)
{
	static unsigned int nrs[KCAP_SYSCALL_MAX];
	char errbuf[512];
	struct kcap *h;
	int n = -1;

	if (a->fo.url)
		return fleet_open_source("detect", (struct kcap_fleet_opts *)&a->fo);
	if (a->in) {
		KCAP_OPTS(kcap_file_opts, fo);
		struct kcap_file_info fi;

		h = open_capture("detect", a->in, &fo);
		if (h && !kcap_file_info(h, &fi, sizeof(fi)))
			snprintf(run->hostname, sizeof(run->hostname), "%s", fi.hostname);
		return h;
	}
	/* the flight recorder keeps every event, not only the rules' */
	if (!a->all_syscalls && !a->flight_secs) {
		n = rules_syscalls(r, nrs);
		if (n == -2)
			return NULL;
	}
	{
		KCAP_OPTS(kcap_open_opts, lo, .errbuf = errbuf, .errbuf_sz = sizeof(errbuf));

		/* only what the rules and the thread table need (-1: all) */
		if (n >= 0) {
			lo.syscalls = nrs;
			lo.nr_syscalls = (size_t)n;
		}
		h = open_live_sources("detect", &lo, &a->gv);
	}
	if (!h)
		return NULL;
	if (n >= 0)
		fprintf(stderr, "kcap detect: %d syscalls selected for the rules\n", n);
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

/* mkdir -p @dir, new directories mode 0700; 0 or an errno. */
static int make_dirs(const char *dir)
{
	char p[PATH_MAX];
	size_t i, n = strlen(dir);

	if (n >= sizeof(p))
		return ENAMETOOLONG;
	memcpy(p, dir, n + 1);
	for (i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != 0)
			continue;
		p[i] = 0;
		if (mkdir(p, 0700) && errno != EEXIST)
			return errno;
		p[i] = dir[i];
	}
	return 0;
}

/* A new flight file gets the container table first. */
static int flight_dump_open(void *ctx, struct kcap_writer *w)
{
	return kcap_state_write_all_containers(ctx, w);
}

/* --flight-recorder: the recorder for @h's events; 0 or the exit status. */
static int open_flight(const struct detect_args *a, struct run *run, struct kcap *h,
		       struct kcap_state *st)
{
	char errbuf[512];
	int e;
	KCAP_OPTS(kcap_flight_opts, fo, .dir = a->flight_dir,
		  .window_ns = a->flight_secs * 1000000000ULL, .max_bytes = a->flight_mb << 20,
		  .after_ns = a->flight_after * 1000000000ULL, .keep_files = (__u32)a->flight_keep,
		  .keep_bytes = a->flight_keep_mb << 20, .dump_open = flight_dump_open,
		  .dump_ctx = st);

	e = make_dirs(a->flight_dir);
	if (e) {
		fprintf(stderr, "kcap detect: --flight-dir %s: %s\n", a->flight_dir, strerror(e));
		return EXIT_RUNTIME;
	}
	run->flight = kcap_flight_new(h, &fo, errbuf, sizeof(errbuf));
	if (!run->flight) {
		fprintf(stderr, "kcap detect: %s\n", errbuf);
		return EXIT_RUNTIME;
	}
	return 0;
}

/* Opens the source, seeds the thread table from it, opens -w and starts a
 * live capture; 0 or the exit status. */
static int start_source(const struct detect_args *a, struct run *run, struct kcap_state *st,
			const struct kcap_rules *r, struct kcap **h, struct kcap_writer **w)
{
	int err;

	*h = open_source(a, run, r);
	if (!*h)
		return EXIT_RUNTIME;
	/* a fleet's nodes: each table seeded at the node's first event */
	if (a->fo.url)
		return 0;
	err = kcap_state_seed(st, *h);
	if (err)
		fprintf(stderr, "kcap detect: process snapshot: %s (continuing)\n", strerror(-err));
	if (a->out) {
		*w = open_writer(a->out, *h);
		if (!*w)
			return EXIT_RUNTIME;
	}
	if (a->flight_secs) {
		err = open_flight(a, run, *h, st);
		if (err)
			return err;
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
	bool file = a->in || a->fo.url, stopping = false;
	struct kcap_state *first = st;
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
			/* -w: the containers learnt so far, for the file's table */
			if (w) {
				kcap_state_write_containers(st, w);
				kcap_writer_tick(w);
			}
			if (run->flight && kcap_flight_tick(run->flight, (__u64)(mono_seconds() * 1e9)))
				fprintf(stderr, "kcap detect: %s\n", kcap_flight_errmsg(run->flight));
			check_stdout_reader();
			continue;
		}
		if (err == -ENODATA) {
			if (a->in)
				report_file_end("detect", h, a->in, run->events);
			if (w)
				kcap_state_write_containers(st, w);
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
		if (run->flight && kcap_flight_add(run->flight, ev))
			fprintf(stderr, "kcap detect: %s\n", kcap_flight_errmsg(run->flight));
		if (a->fo.url) {
			st = fleet_node_state(h, first, &run->node);
			if (!st) {
				fprintf(stderr, "kcap detect: out of memory for a node's table\n");
				return EXIT_RUNTIME;
			}
		}
		kcap_state_update(st, h, ev);
		/* what the state has just learnt goes before the batch this
		 * event is in: the file has it from where the live rules had it */
		if (w && kcap_state_write_containers(st, w)) {
			fprintf(stderr, "kcap detect: %s: out of memory for the container table\n",
				kcap_writer_path(w));
			return EXIT_RUNTIME;
		}
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
		"kcap detect: containers: %llu lookups, %llu found, %llu failed, %llu dropped, "
		"%llu noticed as they started; %llu events without metadata, %llu of them in a "
		"container's first second\n",
		(unsigned long long)s.ct_lookups, (unsigned long long)s.ct_found,
		(unsigned long long)s.ct_failed, (unsigned long long)s.ct_dropped,
		(unsigned long long)s.ct_noticed, (unsigned long long)s.ct_events_nometa,
		(unsigned long long)s.ct_events_nometa_first_s);
}

/* The end: totals (after a clean run), container lookups and drops (live),
 * the -w file closed, alerts per rule on stderr. Returns the exit status. */
static int finish(struct run *run, const struct kcap_state *st, struct kcap *h, bool live,
		  struct kcap_writer *w, int status)
{
	__u64 drops[KCAP_DROP_NR_SLOTS];
	struct kcap_flight_stats fs;
	unsigned int i;

	if (run->flight) {
		/* An open flight file ends with the events so far. */
		kcap_flight_stats(run->flight, &fs, sizeof(fs));
		if (kcap_flight_free(run->flight) && !status) {
			fprintf(stderr, "kcap detect: flight recorder: the last flight file failed\n");
			status = EXIT_RUNTIME;
		}
		run->flight = NULL;
		fprintf(stderr,
			"kcap detect: flight recorder: %llu flight files (%llu alerts, %llu shared a "
			"file), %llu events written; memory peak %llu KiB, %llu chunks left the "
			"window, %llu dropped for the memory bound; %llu old files removed\n",
			(unsigned long long)(fs.alerts - fs.alerts_shared),
			(unsigned long long)fs.alerts, (unsigned long long)fs.alerts_shared,
			(unsigned long long)fs.events_dumped, (unsigned long long)(fs.mem_peak >> 10),
			(unsigned long long)fs.evicted_age, (unsigned long long)fs.evicted_mem,
			(unsigned long long)fs.files_removed);
	}

	if (!status && !run->out_failed) {
		fprintf(stderr, "kcap detect: %llu events, %llu alerts\n", run->events,
			run->alerts);
		if (live) /* a file's containers are never looked up */
			print_ct_stats(st);
	}
	if (live && sum_drops(h, drops) == 0)
		fprintf(stderr,
			"kcap detect: drops: full=%llu full_protected=%llu fault=%llu other=%llu\n",
			(unsigned long long)drops[KCAP_DROP_FULL],
			(unsigned long long)drops[KCAP_DROP_FULL_PROTECTED],
			(unsigned long long)drops[KCAP_DROP_FAULT],
			(unsigned long long)drops[KCAP_DROP_OTHER]);
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
	volatile int *stop;
	struct run run;
	double t0;
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
	if (a.print_interest) {
		ret = print_interest(r, a.rules, a.nrules);
		goto out;
	}
	ret = load_rules(r, a.rules, a.nrules, false);
	if (ret)
		goto out;
	st = cli_state_new(a.container_root, &a.gv);
	if (!st) {
		fprintf(stderr, "kcap detect: out of memory\n");
		ret = EXIT_RUNTIME;
		goto out;
	}
	/* before the capture starts: a SIGINT right after "capturing" stops
	 * it (a shell's background job starts with SIGINT ignored) */
	stop = install_stop_signals();
	ret = start_source(&a, &run, st, r, &h, &w);
	if (ret)
		goto out;
	progress_init(&run.pr, "detect", h, 0, 0, true);
	run.pr.on = run.pr.on && a.in;
	t0 = mono_seconds();
	ret = run_events(h, st, r, &run, w, &a, stop);
	progress_end(&run.pr, run.events, false);
	if (a.fo.url) /* the end: --idle-exit, unless -n or a signal */
		fleet_source_summary("detect", h, run.events, mono_seconds() - t0,
				     *stop || (a.count && run.events >= a.count)
					 ? 0
					 : a.fo.idle_ms / 1000.0);
	ret = finish(&run, st, h, !a.in && !a.fo.url, w, ret);
	fleet_node_states_free(st);
out:
	kcap_flight_free(run.flight);
	free(run.line);
	kcap_writer_close(w);
	close_live_sources(h);
	kcap_state_free(st);
	kcap_rules_free(r);
	return ret;
}
