// SPDX-License-Identifier: Apache-2.0
/*
 * Falco's rules language (userspace/lib/detect/filter*.c, fields.c,
 * rules*.c): every operator and transformer matching and not matching,
 * val(), quoted list items, network fields, loader errors (unknown keys,
 * all errors at once), bounded abuse (deep macro chains, macros used
 * twice per level, deep YAML, 50,000 rules) and Falco's upstream rules
 * files from $KCAP_FALCO_RULES (default KCAP_FALCO_RULES_DIR), and the
 * syscalls a live capture selects for rules and filters.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "kcap_detect.h"
#include "unit.h"
#include "evbuild.h"





/* bash (100) execs "cat L2V0Yy9zaGFkb3c=" (101), which opens /etc/shadow
 * (fd 3, O_WRONLY|O_CREAT|O_TRUNC, mode 0755) and connects to 10.0.0.1:443. */
struct world {
	struct kcap_state *st;
	struct evb e, e_open, e_conn;
	const struct kcap_event_hdr *open_ev, *conn_ev;
};

static void world_init(struct world *w)
{
	static const char argv[] = "cat\0L2V0Yy9zaGFkb3c=";
	struct {
		__u16 family, port;
		__u32 addr;
		__u8 zero[8];
	} sin = { AF_INET, htons(443), htonl(0x0a000001), { 0 } };
	struct p fork[] = { { U32(101) }, { U32(101) }, { STR("bash") } };
	struct p exec[] = { { S64(0) },	      { STR("/bin/cat") }, { argv, sizeof(argv) },
			    { STR("/root") }, { STR("/bin/cat") }, { STR("cat") },
			    { U32(0) },	      { U32(0) },	   { U32(0) },
			    { U32(0) },	      { U32(0) },	   { U32(7) },
			    { U32(7) },	      { STR("/") } };
	struct p open[] = { { S64(3) },	   { S64(-100) }, { STR("shadow") },
			    { S64(01101) }, { U32(0755) }, { STR("/etc/shadow") } };
	struct p sock[] = { { S64(4) }, { S64(AF_INET) }, { S64(1) }, { S64(0) } };
	struct p conn[] = { { S64(0) }, { S64(4) }, { &sin, sizeof(sin) } };
	struct kcap_state_opts o = { .sz = sizeof(o), .passwd = "/nonexistent" };

	w->st = kcap_state_new(&o);
	assert_non_null(w->st);
	kcap_state_update(w->st, NULL, mk_tid(&w->e, KCAP_EVT_PROC_FORK, 100, 10, 3, fork));
	kcap_state_update(w->st, NULL, mk_tid(&w->e, KCAP_EVT_EXECVE, 101, 20, 14, exec));
	w->open_ev = mk_tid(&w->e_open, KCAP_EVT_OPENAT, 101, 30, 6, open);
	kcap_state_update(w->st, NULL, w->open_ev);
	kcap_state_update(w->st, NULL, mk_tid(&w->e, KCAP_EVT_SOCKET, 101, 40, 4, sock));
	w->conn_ev = mk_tid(&w->e_conn, KCAP_EVT_CONNECT, 101, 50, 3, conn);
	kcap_state_update(w->st, NULL, w->conn_ev);
}

/* 1 if @cond matches @ev, 0 if not; fails the test if it does not compile. */
static int match(struct world *w, const struct kcap_event_hdr *ev, const char *cond)
{
	char err[256] = "";
	KCAP_OPTS(kcap_filter_opts, o, .errbuf = err, .errbuf_sz = sizeof(err));
	struct kcap_filter *f = kcap_filter_compile(cond, &o);
	int ret;

	if (!f)
		fail_msg("'%s': %s", cond, err);
	ret = kcap_filter_match(f, w->st, NULL, ev);
	kcap_filter_free(f);
	return ret;
}

static void expect_filter_error(const char *cond, const char *msg)
{
	char err[256] = "";
	KCAP_OPTS(kcap_filter_opts, o, .errbuf = err, .errbuf_sz = sizeof(err));

	assert_null(kcap_filter_compile(cond, &o));
	if (!strstr(err, msg))
		fail_msg("'%s': got '%s', want '%s'", cond, err, msg);
}

/* Each operator, with a value that matches and one that does not. */
static void test_operators(void **state)
{
	static const char *const yes_no[][2] = {
		{ "fd.name = /etc/shadow", "fd.name = /etc/passwd" },
		{ "fd.name != /etc/passwd", "fd.name != /etc/shadow" },
		{ "fd.num < 4", "fd.num < 3" },
		{ "fd.num <= 3", "fd.num <= 2" },
		{ "fd.num > 2", "fd.num > 3" },
		{ "fd.num >= 3", "fd.num >= 4" },
		{ "fd.name contains sha", "fd.name contains passwd" },
		{ "fd.name icontains SHAD", "fd.name icontains PASS" },
		{ "fd.name bcontains 736861", "fd.name bcontains 00" },
		{ "fd.name startswith /etc/", "fd.name startswith /tmp/" },
		{ "fd.name bstartswith 2f657463", "fd.name bstartswith 2f746d70" },
		{ "fd.name endswith dow", "fd.name endswith wd" },
		{ "fd.name in (/etc/passwd, /etc/shadow)", "fd.name in (/etc/passwd)" },
		{ "fd.name intersects (/etc/shadow, x)", "fd.name intersects (x, y)" },
		{ "fd.name pmatch (/usr, /etc)", "fd.name pmatch (/et)" },
		{ "fd.name pmatch (/e*c)", "fd.name pmatch (/e*c/x)" },
		{ "fd.name exists", "fd.sip exists" },
		{ "fd.name glob '/etc/*ad?w'", "fd.name glob '/ETC/*'" },
		{ "fd.name iglob '/ETC/*'", "fd.name iglob '/tmp/*'" },
		{ "fd.name regex '/etc/[a-z]+'", "fd.name regex '/etc'" },
		{ "proc.name regex 'c(a|u)t'", "proc.name regex 'c.'" },
		/* transformers */
		{ "toupper(proc.name) = CAT", "toupper(proc.name) = cat" },
		{ "tolower(toupper(proc.name)) = cat", "tolower(proc.name) = CAT" },
		{ "basename(fd.name) = shadow", "basename(proc.cwd) = root" },
		{ "basename(proc.cwd) = \"\"", "basename(fd.name) = etc" },
		{ "len(fd.name) = 11", "len(fd.name) > 11" },
		{ "b64(proc.args) = /etc/shadow", "b64(proc.name) exists" },
		{ "len(b64(proc.args)) = 11", "len(proc.args) = 11" },
		/* val(): field to field, transformers on both sides */
		{ "proc.name = val(proc.name)", "proc.name = val(proc.pname)" },
		{ "proc.name != val(proc.pname)", "proc.pid < val(proc.ppid)" },
		{ "tolower(proc.name) = tolower(proc.exe)", "toupper(proc.name) = val(proc.name)" },
		{ "len(fd.name) > val(fd.num)", "fd.num = val(proc.pid)" },
		/* quoting and escapes */
		{ "fd.name = \"/etc/sha\\x64ow\"", "fd.name = '/etc/sha\\x64'" },
		{ "fd.name in ('/etc/shadow', \"x\")", "fd.name in ('\"/etc/shadow\"')" },
		/* fields this work added */
		{ "evt.arg.flags contains O_TRUNC", "evt.arg.flags contains O_APPEND" },
		{ "evt.is_open_exec = true", "evt.is_open_read = true" },
		{ "evt.args contains \"name=shadow\"", "evt.args contains \"name=passwd\"" },
		{ "proc.aexe[0] = cat", "proc.pexe = cat" },
		{ "proc.aexepath[0] = /bin/cat", "proc.aexe[1] = cat" },
		{ "fd.nameraw = shadow", "fd.nameraw = /etc/shadow" },
		{ "not container.image.repository exists", "container.image.repository exists" },
		{ "not proc.sname exists and not k8s.ns.name exists", "proc.env contains x" },
	};
	struct world w;
	size_t i;

	(void)state;
	world_init(&w);
	for (i = 0; i < sizeof(yes_no) / sizeof(yes_no[0]); i++) {
		if (match(&w, w.open_ev, yes_no[i][0]) != 1)
			fail_msg("should match: %s", yes_no[i][0]);
		if (match(&w, w.open_ev, yes_no[i][1]) != 0)
			fail_msg("should not match: %s", yes_no[i][1]);
	}
	kcap_state_free(w.st);
}

/* Sockets: Falco's client/server/local/remote ends, ports, networks. */
static void test_network_fields(void **state)
{
	static const char *const yes[] = {
		"fd.sip = 10.0.0.1 and fd.sport = 443 and fd.dip = 10.0.0.1",
		"fd.rip = 10.0.0.1 and fd.rport = 443 and not fd.lip exists",
		"fd.ip = 10.0.0.1 and fd.port = 443",
		"fd.net = 10.0.0.0/8 and fd.snet in (\"192.168.0.0/16\", \"10.0.0.0/8\")",
		"fd.rnet = 10.0.0.0/24 and not fd.cnet exists",
		"fd.connected = true and fd.sockfamily = ip and fd.l4proto = tcp",
		"fd.sip in (10.0.0.1, ::1) and not fd.sip = 10.0.0.2",
		"fd.net = 10.0.0.1/32 and fd.snet in (\"172.16.0.0/12\", \"10.0.0.0/30\")",
	};
	static const char *const no[] = {
		"fd.net = 192.168.0.0/16",
		"fd.net = 10.0.0.2/32",
		"fd.snet in (\"172.16.0.0/12\", \"10.0.0.2/31\", \"::1/128\")",
		"fd.snet = 10.0.0.0/31 and fd.sip = 10.0.0.0",
		"fd.sip.name exists",
		"fd.name_changed = true",
	};
	struct world w;
	size_t i;

	(void)state;
	world_init(&w);
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (match(&w, w.conn_ev, yes[i]) != 1)
			fail_msg("should match: %s", yes[i]);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (match(&w, w.conn_ev, no[i]) != 0)
			fail_msg("should not match: %s", no[i]);
	kcap_state_free(w.st);
}

static void test_filter_errors(void **state)
{
	(void)state;
	expect_filter_error("fd.name like x", "unknown operator 'like' after fd.name");
	expect_filter_error("upper(fd.name) = X", "unknown transformer 'upper'");
	expect_filter_error("tolower(fd.num) = 1", "tolower() needs a string field");
	expect_filter_error("fd.num contains 1", "a string operator on a number");
	expect_filter_error("fd.name = val(fd.num)", "compares a number with a string");
	expect_filter_error("fd.name regex '[a-'", "not a valid regular expression");
	expect_filter_error("fd.name bcontains xyz", "expects hexadecimal bytes");
	expect_filter_error("fd.sip = 10.0.0", "expects an IP address or network");
	expect_filter_error("val(fd.name) = x", "unknown transformer 'val'");
}

/* Loads @text and compiles it; returns the number of error lines. */
static unsigned int load_errors(struct kcap_rules *r, const char *name, const char *text)
{
	const char *m;
	unsigned int n = 0;

	kcap_rules_load_string(r, name, text);
	kcap_rules_compile(r);
	m = kcap_rules_errmsg(r);
	if (*m)
		for (n = 1; (m = strchr(m, '\n')); m++)
			n++;
	return n;
}

static void test_quoted_list_items(void **state)
{
	struct kcap_rules *r = kcap_rules_new();
	struct world w;
	int hits;

	(void)state;
	world_init(&w);
	assert_int_equal(load_errors(r, "q.yaml",
				     "- list: nets\n  items: ['\"10.0.0.0/8\"', '\"172.16.0.0/12\"']\n"
				     "- list: files\n  items: ['\"/etc/shadow\"', passwd]\n"
				     "- rule: q\n  desc: d\n  priority: info\n  output: o\n"
				     "  condition: evt.type = connect and fd.snet in (nets)\n"
				     "- rule: f\n  desc: d\n  priority: info\n  output: o\n"
				     "  condition: evt.type = openat and fd.name in (files)\n"),
			 0);
	hits = kcap_rules_eval(r, w.st, NULL, w.conn_ev, NULL, NULL);
	assert_int_equal(hits, 1);
	assert_int_equal(kcap_rules_eval(r, w.st, NULL, w.open_ev, NULL, NULL), 1);
	kcap_rules_free(r);
	kcap_state_free(w.st);
}

static void test_loader_errors(void **state)
{
	struct kcap_rules *r = kcap_rules_new();
	const char *m;

	(void)state;
	/* every error of both files, each with FILE:LINE:COL */
	load_errors(r, "a.yaml",
		    "- required_engine_version: 0.57.0\n"
		    "- required_plugin_versions:\n    - name: container\n      version: 0.4.0\n"
		    "- rule: a\n  desc: d\n  condition: proc.name = x\n  output: o\n"
		    "  priority: info\n  enbaled: false\n"
		    "- macro: m\n  condtion: x\n"
		    "- rul: x\n");
	assert_int_equal(load_errors(r, "b.yaml",
				     "- rule: b\n  desc: d\n  condition: proc.nam = x\n  output: o\n"
				     "  priority: info\n"
				     "- rule: c\n  desc: d\n  condition: fd.name like x\n  output: o\n"
				     "  priority: info\n"),
			 5);
	m = kcap_rules_errmsg(r);
	assert_non_null(strstr(m, "a.yaml:10:3: unknown key 'enbaled' in rule 'a' "
				  "(did you mean 'enabled'?)"));
	assert_non_null(strstr(m, "a.yaml:12:3: unknown key 'condtion' in macro 'm' "
				  "(did you mean 'condition'?)"));
	assert_non_null(strstr(m, "a.yaml:13:3: unknown item 'rul': expected list, macro or "
				  "rule (did you mean 'rule'?)"));
	assert_non_null(strstr(m, "b.yaml:3:14: rule 'b': condition: unknown field 'proc.nam'"));
	assert_non_null(strstr(m, "b.yaml:8:22: rule 'c': condition: unknown operator 'like'"));
	kcap_rules_free(r);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Text of @n rules/macros made by @line(i) into a malloc'd buffer. */
static char *gen(unsigned int n, size_t each, void (*line)(char *, size_t, unsigned int))
{
	char *text = malloc((size_t)n * each + 1024), *p = text;
	unsigned int i;

	assert_non_null(text);
	*p = '\0';
	for (i = 0; i < n; i++) {
		line(p, each, i);
		p += strlen(p);
	}
	return text;
}

static void chain_line(char *p, size_t len, unsigned int i)
{
	if (!i)
		snprintf(p, len, "- macro: m0\n  condition: proc.name = x\n");
	else
		snprintf(p, len, "- macro: m%u\n  condition: m%u\n", i, i - 1);
}

static void twice_line(char *p, size_t len, unsigned int i)
{
	if (!i)
		snprintf(p, len, "- macro: m0\n  condition: evt.type = open\n");
	else
		snprintf(p, len, "- macro: m%u\n  condition: m%u and (m%u or proc.name = x)\n", i,
			 i - 1, i - 1);
}

static void rule_line(char *p, size_t len, unsigned int i)
{
	snprintf(p, len,
		 "- rule: r%u\n  desc: d\n  condition: evt.type = openat and proc.name = p%u\n"
		 "  output: \"o %%proc.name\"\n  priority: info\n",
		 i, i);
}

static void test_abuse_bounded(void **state)
{
	struct kcap_rules *r;
	unsigned int n;
	char *text;
	double t0;

	(void)state;
	/* a 10,000-deep macro chain: an error, not a stack overflow */
	text = gen(10000, 64, chain_line);
	strcat(text, "- rule: r\n  desc: d\n  condition: m9999\n  output: o\n  priority: info\n");
	r = kcap_rules_new();
	t0 = now_s();
	assert_int_equal(load_errors(r, "deep.yaml", text), 1);
	print_message("10,000-deep macro chain: rejected in %.3f s\n", now_s() - t0);
	assert_non_null(strstr(kcap_rules_errmsg(r), "macros nested more than 100 deep"));
	kcap_rules_free(r);
	free(text);
	/* each macro uses the previous one twice: compiled once each */
	text = gen(24, 96, twice_line);
	strcat(text, "- rule: r\n  desc: d\n  condition: m23\n  output: o\n  priority: info\n");
	r = kcap_rules_new();
	t0 = now_s();
	assert_int_equal(load_errors(r, "twice.yaml", text), 0);
	print_message("24 levels of macros used twice: %.3f s\n", now_s() - t0);
	assert_null(kcap_rules_warning(r, 0)); /* the event type is known: openat */
	kcap_rules_free(r);
	free(text);
	/* YAML nested 100,000 deep */
	text = malloc(200001 + 64);
	assert_non_null(text);
	strcpy(text, "- rule: x\n  desc: ");
	n = (unsigned int)strlen(text);
	memset(text + n, '[', 100000);
	memset(text + n + 100000, ']', 100000);
	strcpy(text + n + 200000, "\n");
	r = kcap_rules_new();
	t0 = now_s();
	assert_int_equal(load_errors(r, "nest.yaml", text), 1);
	print_message("YAML nested 100,000 deep: rejected in %.3f s\n", now_s() - t0);
	assert_non_null(strstr(kcap_rules_errmsg(r), "nest.yaml:2:39: YAML nested more than 32"));
	kcap_rules_free(r);
	free(text);
	/* 50,000 rules */
	text = gen(50000, 160, rule_line);
	r = kcap_rules_new();
	t0 = now_s();
	assert_int_equal(load_errors(r, "many.yaml", text), 0);
	print_message("50,000 rules: loaded and compiled in %.3f s (sanitizers on)\n",
		      now_s() - t0);
	assert_int_equal(kcap_rules_count(r, NULL), 50000);
	kcap_rules_free(r);
	free(text);
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = malloc((size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	text[n] = '\0';
	fclose(f);
	return text;
}

/* The rule items of a file: lines starting "- rule:". */
static unsigned int count_rules(const char *text)
{
	unsigned int n = !strncmp(text, "- rule:", 7);
	const char *p = text;

	while ((p = strstr(p, "\n- rule:"))) {
		n++;
		p++;
	}
	return n;
}

static void test_falco_upstream_rules(void **state)
{
	static const char *const files[] = { "falco_rules.yaml", "falco-incubating_rules.yaml",
					     "falco-sandbox_rules.yaml" };
	const char *dir = getenv("KCAP_FALCO_RULES") ?: KCAP_FALCO_RULES_DIR;
	struct kcap_rules *all = kcap_rules_new();
	unsigned int i, want = 0, en;
	char path[4096];

	(void)state;
	for (i = 0; i < 3; i++) {
		struct kcap_rules *r = kcap_rules_new();
		char *text;

		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		text = read_text(path);
		if (!text) {
			print_message("skipped: Falco rules not found in %s\n", dir);
			kcap_rules_free(r);
			kcap_rules_free(all);
			return;
		}
		if (load_errors(r, files[i], text))
			fail_msg("%s", kcap_rules_errmsg(r));
		assert_int_equal(kcap_rules_count(r, &en), count_rules(text));
		print_message("%s alone: %u rules loaded (%u enabled), 0 errors\n", files[i],
			      kcap_rules_count(r, NULL), en);
		want += count_rules(text);
		kcap_rules_load_string(all, files[i], text);
		kcap_rules_free(r);
		free(text);
	}
	if (kcap_rules_compile(all))
		fail_msg("%s", kcap_rules_errmsg(all));
	assert_int_equal(kcap_rules_count(all, &en), want);
	print_message("all three in Falco's order: %u rules loaded (%u enabled), 0 errors\n",
		      kcap_rules_count(all, NULL), en);
	kcap_rules_free(all);
}

/* ---- The syscalls a live capture selects for rules (kcap_rules_syscalls) ---- */

/* What kcap_state_update() needs whatever the rules: fork/clone, exec, the
 * calls that create, duplicate or close descriptors, cwd, credentials. */
static const char *const state_syscalls[] = {
	"clone", "clone3", "fork", "vfork", "execve", "execveat", "open", "openat",
	"openat2", "creat", "memfd_create", "socket", "socketpair", "connect", "sendto",
	"accept", "accept4", "bind", "dup", "dup2", "dup3", "fcntl", "close", "chdir",
	"fchdir", "setuid", "setreuid", "setresuid", "capset", "setgid", "setregid",
	"setresgid",
};
#define NSTATE (sizeof(state_syscalls) / sizeof(state_syscalls[0]))

static bool has_syscall(const unsigned int *nrs, int n, const char *name)
{
	int nr = kcap_syscall_nr(name, KCAP_SC_X86_64), i;

	assert_true(nr >= 0);
	for (i = 0; i < n; i++)
		if (nrs[i] == (unsigned int)nr)
			return true;
	return false;
}

/* The syscalls of one rule @cond (after the macros in @pre), -1: all. */
static int rule_syscalls(const char *pre, const char *cond, int min_prio, unsigned int *nrs)
{
	struct kcap_rules *r = kcap_rules_new();
	char text[4096];
	bool all = false;
	int n;

	snprintf(text, sizeof(text),
		 "%s- rule: r\n  desc: d\n  priority: warning\n  output: o\n  condition: %s\n",
		 pre, cond);
	if (min_prio >= 0)
		kcap_rules_set_min_priority(r, (enum kcap_priority)min_prio);
	if (load_errors(r, "i.yaml", text))
		fail_msg("%s", kcap_rules_errmsg(r));
	n = kcap_rules_syscalls(r, nrs, KCAP_SYSCALL_MAX, &all);
	assert_true(n >= 0);
	kcap_rules_free(r);
	return all ? -1 : n;
}

/* Exactly the thread table's syscalls plus @extra (NULL-terminated). */
static void expect_exact(const unsigned int *nrs, int n, const char *const *extra)
{
	size_t i, nextra = 0;

	for (i = 0; i < NSTATE; i++)
		if (!has_syscall(nrs, n, state_syscalls[i]))
			fail_msg("%s missing", state_syscalls[i]);
	for (; extra[nextra]; nextra++)
		if (!has_syscall(nrs, n, extra[nextra]))
			fail_msg("%s missing", extra[nextra]);
	/* nothing else: the extras are not state syscalls here */
	assert_int_equal(n, (int)(NSTATE + nextra));
	for (i = 1; i < (size_t)n; i++)
		assert_true(nrs[i - 1] < nrs[i]);
}

static void test_interest_synthetic(void **state)
{
	static unsigned int nrs[KCAP_SYSCALL_MAX];
	static const char macros[] =
		"- macro: spawned_process\n"
		"  condition: evt.type in (execve, execveat) and evt.dir=<\n"
		"- macro: signal\n  condition: evt.type in (kill, tkill)\n"
		"- macro: other\n  condition: proc.name = sh\n";
	struct kcap_rules *r;
	bool all;
	int n;

	(void)state;
	n = rule_syscalls("", "evt.type = unlinkat and proc.name = sh", -1, nrs);
	expect_exact(nrs, n, (const char *const[]){ "unlinkat", NULL });
	assert_false(has_syscall(nrs, n, "read"));
	assert_false(has_syscall(nrs, n, "unlink"));
	n = rule_syscalls("", "evt.type in (ptrace, getppid)", -1, nrs);
	/* getppid has no decoded event: its generic one by number */
	expect_exact(nrs, n, (const char *const[]){ "ptrace", "getppid", NULL });
	n = rule_syscalls("", "evt.type = kill or (evt.type = mkdir and fd.name = /x)", -1, nrs);
	expect_exact(nrs, n, (const char *const[]){ "kill", "mkdir", NULL });
	/* and: the intersection; not evt.type inside an and constrains nothing */
	n = rule_syscalls("", "evt.type in (kill, tkill) and not evt.type = tkill", -1, nrs);
	expect_exact(nrs, n, (const char *const[]){ "kill", "tkill", NULL });
	n = rule_syscalls("", "evt.type in (kill, rmdir) and evt.type in (rmdir, tgkill)", -1,
			  nrs);
	expect_exact(nrs, n, (const char *const[]){ "rmdir", NULL });
	/* macros expand, in and out of other macros */
	n = rule_syscalls(macros, "spawned_process and proc.name = sh", -1, nrs);
	expect_exact(nrs, n, (const char *const[]){ NULL });
	n = rule_syscalls(macros, "(signal or spawned_process) and other", -1, nrs);
	expect_exact(nrs, n, (const char *const[]){ "kill", "tkill", NULL });
	/* nothing pins evt.type: every syscall */
	assert_int_equal(rule_syscalls("", "proc.name = sh", -1, nrs), -1);
	assert_int_equal(rule_syscalls("", "not evt.type = open", -1, nrs), -1);
	assert_int_equal(rule_syscalls("", "evt.type != open", -1, nrs), -1);
	assert_int_equal(rule_syscalls("", "not evt.type in (open, kill)", -1, nrs), -1);
	assert_int_equal(rule_syscalls("", "evt.type = kill or proc.name = sh", -1, nrs), -1);
	assert_int_equal(rule_syscalls(macros, "signal or other", -1, nrs), -1);
	/* a rule below the priority is not compiled and selects nothing */
	n = rule_syscalls("", "proc.name = sh", KCAP_PRIO_ERROR, nrs);
	expect_exact(nrs, n, (const char *const[]){ NULL });

	r = kcap_rules_new();
	assert_int_equal(kcap_rules_syscalls(r, nrs, KCAP_SYSCALL_MAX, &all), -EINVAL);
	assert_int_equal(load_errors(r, "i.yaml",
				     "- rule: a\n  desc: d\n  priority: info\n  output: o\n"
				     "  condition: proc.name = sh\n  enabled: false\n"
				     "- rule: b\n  desc: d\n  priority: info\n  output: o\n"
				     "  condition: evt.type = kill\n"),
			 0);
	/* a disabled rule selects nothing */
	n = kcap_rules_syscalls(r, nrs, KCAP_SYSCALL_MAX, &all);
	assert_false(all);
	expect_exact(nrs, n, (const char *const[]){ "kill", NULL });
	assert_int_equal(kcap_rules_syscalls(r, nrs, 3, &all), -ERANGE);
	kcap_rules_free(r);
}

/* The filter of kcap record/export: the same analysis. */
static void test_interest_filter(void **state)
{
	static unsigned int nrs[KCAP_SYSCALL_MAX];
	struct kcap_filter *f;
	bool all;
	int n;

	(void)state;
	f = kcap_filter_compile("evt.type in (rename, renameat) and proc.name = sh", NULL);
	assert_non_null(f);
	n = kcap_filter_syscalls(f, nrs, KCAP_SYSCALL_MAX, &all);
	assert_false(all);
	expect_exact(nrs, n, (const char *const[]){ "rename", "renameat", NULL });
	kcap_filter_free(f);
	f = kcap_filter_compile("proc.name = sh or evt.type = kill", NULL);
	assert_non_null(f);
	assert_int_equal(kcap_filter_syscalls(f, nrs, KCAP_SYSCALL_MAX, &all), 0);
	assert_true(all);
	kcap_filter_free(f);
}

/* Names after "evt.type in (" or "evt.type=" in @cond, each checked. */
static void check_named(const char *rule, const char *cond, const unsigned int *nrs, int n)
{
	const char *p = cond, *e;
	char name[64];
	size_t len;

	while ((p = strstr(p, "evt.type"))) {
		p += 8;
		while (*p == ' ')
			p++;
		if (!strncmp(p, "in (", 4)) {
			p += 4;
			e = strchr(p, ')');
		} else if (*p == '=') {
			p++;
			while (*p == ' ')
				p++;
			e = p + strcspn(p, " )");
		} else {
			continue;
		}
		while (p < e) {
			len = strcspn(p, ", )");
			if (len && len < sizeof(name)) {
				memcpy(name, p, len);
				name[len] = '\0';
				if (kcap_syscall_nr(name, KCAP_SC_X86_64) >= 0 &&
				    !has_syscall(nrs, n, name))
					fail_msg("rule '%s' names %s, not selected", rule, name);
			}
			p += len;
			p += strspn(p, ", ");
		}
	}
}

/* Falco's default rules: a set, not all, with every syscall their
 * conditions name and what the thread table needs, and not the busy calls
 * no rule names. */
static void test_interest_falco(void **state)
{
	static unsigned int nrs[KCAP_SYSCALL_MAX];
	const char *dir = getenv("KCAP_FALCO_RULES") ?: KCAP_FALCO_RULES_DIR;
	struct kcap_rules *r = kcap_rules_new();
	unsigned int i, total;
	const char *name;
	char path[4096], *text, *cond;
	bool all = true;
	size_t k;
	int n;

	(void)state;
	snprintf(path, sizeof(path), "%s/falco_rules.yaml", dir);
	text = read_text(path);
	if (!text) {
		print_message("skipped: Falco rules not found in %s\n", dir);
		kcap_rules_free(r);
		return;
	}
	if (load_errors(r, "falco_rules.yaml", text))
		fail_msg("%s", kcap_rules_errmsg(r));
	n = kcap_rules_syscalls(r, nrs, KCAP_SYSCALL_MAX, &all);
	assert_false(all);
	assert_true(n > (int)NSTATE && n < 100);
	for (k = 0; k < NSTATE; k++)
		assert_true(has_syscall(nrs, n, state_syscalls[k]));
	total = kcap_rules_count(r, NULL);
	for (i = 0; i < total; i++) {
		cond = kcap_rules_condition(r, i, &name, NULL);
		assert_non_null(cond);
		check_named(name, cond, nrs, n);
		free(cond);
	}
	/* named by its rules: */
	assert_true(has_syscall(nrs, n, "init_module"));
	assert_true(has_syscall(nrs, n, "symlinkat"));
	assert_true(has_syscall(nrs, n, "linkat"));
	assert_true(has_syscall(nrs, n, "ptrace"));
	assert_true(has_syscall(nrs, n, "sendmsg"));
	static const char *const never[] = { "read", "write", "getppid", "mmap", "pread64",
					     "futex", "readv", "writev", "recvfrom" };
	for (k = 0; k < sizeof(never) / sizeof(never[0]); k++)
		assert_false(has_syscall(nrs, n, never[k]));
	print_message("falco_rules.yaml: %d syscalls selected\n", n);
	kcap_rules_free(r);
	free(text);
}

/* kcap_rules_condition(): macros and lists written out as Falco does. */
static void test_condition_expanded(void **state)
{
	struct kcap_rules *r = kcap_rules_new();
	const char *name;
	bool enabled;
	char *c;

	(void)state;
	assert_int_equal(load_errors(r, "x.yaml",
				     "- list: shells\n  items: [sh, bash]\n"
				     "- list: none\n  items: []\n"
				     "- list: more\n  items: [shells, '\"a b\"', zsh]\n"
				     "- macro: spawned\n  condition: evt.type in (execve, execveat)\n"
				     "- macro: sh\n  condition: proc.name in (more, none)\n"
				     "- rule: r\n  desc: d\n  priority: info\n  output: o\n"
				     "  condition: >\n    spawned\n    and sh and proc.pname = sh\n"
				     "    and not proc.name in (none, shells)\n"
				     "  enabled: false\n"
				     "- rule: e\n  desc: d\n  priority: info\n  output: o\n"
				     "  condition: evt.type = openat\n"
				     "  exceptions:\n"
				     "    - name: two\n      fields: [proc.name, fd.name]\n"
				     "      comps: [=, startswith]\n"
				     "      values: [[cat, /etc], [ls, \"/a b\"]]\n"
				     "    - name: one\n      fields: proc.name\n      values: [shells]\n"),
			 0);
	c = kcap_rules_condition(r, 0, &name, &enabled);
	assert_non_null(c);
	assert_string_equal(name, "r");
	assert_false(enabled);
	/* nested and empty lists, a macro named like a value (sh), one line */
	assert_string_equal(c, "(evt.type in (execve, execveat)) and (proc.name in (sh, bash, "
			       "\"a b\", zsh)) and proc.pname = sh and not proc.name in (sh, bash)");
	free(c);
	/* exceptions: "and not (...)", one row per value set, lists expanded */
	c = kcap_rules_condition(r, 1, &name, &enabled);
	assert_non_null(c);
	assert_true(enabled);
	assert_string_equal(c, "(evt.type = openat) and not ((proc.name = cat and fd.name "
			       "startswith /etc) or (proc.name = ls and fd.name startswith \"/a b\")) "
			       "and not ((proc.name in (sh, bash)))");
	free(c);
	assert_null(kcap_rules_condition(r, 2, &name, NULL));
	assert_int_equal(errno, ENOENT);
	kcap_rules_free(r);
}

static const struct CMUnitTest rules_tests[] = {
	cmocka_unit_test(test_operators),
	cmocka_unit_test(test_network_fields),
	cmocka_unit_test(test_filter_errors),
	cmocka_unit_test(test_quoted_list_items),
	cmocka_unit_test(test_loader_errors),
	cmocka_unit_test(test_abuse_bounded),
	cmocka_unit_test(test_falco_upstream_rules),
	cmocka_unit_test(test_condition_expanded),
	cmocka_unit_test(test_interest_synthetic),
	cmocka_unit_test(test_interest_filter),
	cmocka_unit_test(test_interest_falco),
};

UNIT_GROUP(rules, rules_tests)
