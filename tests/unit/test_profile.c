// SPDX-License-Identifier: Apache-2.0
/*
 * kcap profile's model (userspace/cli/profile_*.c): the generalisation of
 * paths, AppArmor's globs, profiles written and read back, accepted by
 * Debian's apparmor_parser -Q, and the seccomp JSON and BPF (the BPF
 * installed in a child, where a left-out syscall gets EPERM).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kcap.h"
#include "profile.h"
#include "unit.h"

static void expect_gen(const char *path, unsigned int pid, const char *want)
{
	char out[512];

	assert_int_equal(prof_generalise(path, pid, out, sizeof(out)), 0);
	assert_string_equal(out, want);
	assert_null(strstr(out, "**"));
}

static void test_generalise_proc(void **state)
{
	(void)state;
	expect_gen("/proc/1234/status", 1234, "/proc/@{pid}/status");
	/* another process's pid too: the program reads /proc of its children */
	expect_gen("/proc/77/cmdline", 1234, "/proc/@{pid}/cmdline");
	expect_gen("/proc/1234/task/1240/stat", 1234, "/proc/@{pid}/task/@{pid}/stat");
	expect_gen("/proc/1234", 1234, "/proc/@{pid}");
	expect_gen("/proc/self/status", 1234, "/proc/self/status");
	expect_gen("/proc/sys/kernel/pid_max", 1234, "/proc/sys/kernel/pid_max");
	expect_gen("/proc/12ab/x", 1234, "/proc/12ab/x");
}

static void test_generalise_temp(void **state)
{
	(void)state;
	expect_gen("/tmp/out-4242.tmp", 4242, "/tmp/out-[0-9]*.tmp");
	/* a short number that is not the pid stays */
	expect_gen("/tmp/out-42.tmp", 4242, "/tmp/out-42.tmp");
	expect_gen("/tmp/session-123456/sock", 1, "/tmp/session-[0-9]*/sock");
	expect_gen("/tmp/tmp.Ab3xYz", 1, "/tmp/tmp.??????");
	expect_gen("/var/tmp/cache-k9QzT1.db", 1, "/var/tmp/cache-??????.db");
	expect_gen("/dev/shm/Ab3xYz", 1, "/dev/shm/??????");
	expect_gen("/run/app/abc123.pid", 1, "/run/app/??????.pid");
	/* one class only, or not 6 long, or not between separators: a word */
	expect_gen("/tmp/config", 1, "/tmp/config");
	expect_gen("/tmp/abcdef", 1, "/tmp/abcdef");
	expect_gen("/tmp/Ab3xYzq", 1, "/tmp/Ab3xYzq");
	expect_gen("/tmp/xAb3xYz", 1, "/tmp/xAb3xYz");
	/* only below the temporary directories */
	expect_gen("/etc/app-123456.conf", 1, "/etc/app-123456.conf");
	expect_gen("/usr/lib/x86_64-linux-gnu/libc.so.6", 1, "/usr/lib/x86_64-linux-gnu/libc.so.6");
	expect_gen("/tmpfoo/123456", 1, "/tmpfoo/123456");
}

static void test_generalise_escape(void **state)
{
	char out[16];

	(void)state;
	expect_gen("/etc/a*b?[c]{d}", 1, "/etc/a\\*b\\?\\[c\\]\\{d\\}");
	expect_gen("/etc/@{x}", 1, "/etc/\\@\\{x\\}");
	expect_gen("/etc/mail@host", 1, "/etc/mail@host");
	expect_gen("/tmp/x*-99999", 1, "/tmp/x\\*-[0-9]*");
	assert_int_equal(prof_generalise("/usr/lib/very/long/path", 1, out, sizeof(out)),
			 -ENAMETOOLONG);
}

static void test_glob(void **state)
{
	(void)state;
	assert_true(aa_glob_match("/etc/passwd", "/etc/passwd"));
	assert_false(aa_glob_match("/etc/passwd", "/etc/passwd2"));
	assert_true(aa_glob_match("/tmp/*.log", "/tmp/a.log"));
	assert_true(aa_glob_match("/tmp/*.log", "/tmp/.log"));
	assert_false(aa_glob_match("/tmp/*.log", "/tmp/d/a.log"));
	assert_true(aa_glob_match("/tmp/**.log", "/tmp/d/a.log"));
	assert_true(aa_glob_match("/tmp/??????", "/tmp/Ab3xYz"));
	assert_false(aa_glob_match("/tmp/??????", "/tmp/Ab3xY"));
	assert_false(aa_glob_match("/tmp/?", "/tmp//"));
	assert_true(aa_glob_match("/tmp/out-[0-9]*.tmp", "/tmp/out-4242.tmp"));
	assert_false(aa_glob_match("/tmp/out-[0-9]*.tmp", "/tmp/out-x.tmp"));
	assert_true(aa_glob_match("/tmp/[^a]", "/tmp/b"));
	assert_false(aa_glob_match("/tmp/[^a]", "/tmp/a"));
	assert_true(aa_glob_match("/etc/{passwd,group}", "/etc/group"));
	assert_false(aa_glob_match("/etc/{passwd,group}", "/etc/shadow"));
	assert_true(aa_glob_match("/a/{b,c{d,e}}/f", "/a/ce/f"));
	assert_true(aa_glob_match("/etc/a\\*b", "/etc/a*b"));
	assert_false(aa_glob_match("/etc/a\\*b", "/etc/axb"));
}

/* The model of a small workload, and the profile text of it. */
static void small_model(struct prof *p, bool reverse)
{
	static const struct {
		const char *path;
		unsigned int perms;
	} files[] = {
		{ "/etc/app.conf", PROF_R },
		{ "/proc/4242/status", PROF_R },
		{ "/tmp/out-4242.tmp", PROF_W },
		{ "/var/log/app.log", PROF_A },
		{ "/srv/data/", PROF_R },
		{ "/usr/bin/helper", PROF_M | PROF_R | PROF_IX },
		{ "/usr/lib/libx.so.1", PROF_M | PROF_R },
		{ "/srv/with space,comma", PROF_R },
		{ "/usr/bin/other", PROF_PX },
	};
	size_t n = sizeof(files) / sizeof(files[0]), i;

	prof_init(p);
	for (i = 0; i < n; i++) {
		size_t k = reverse ? n - 1 - i : i;

		assert_int_equal(prof_add_file(p, files[k].path, 4242, files[k].perms), 0);
	}
	/* the same rule twice is one rule; relative paths are not rules */
	assert_int_equal(prof_add_file(p, "/etc/app.conf", 4242, PROF_R), 0);
	assert_int_equal(prof_add_file(p, "relative", 4242, PROF_R), 0);
	assert_int_equal(p->nfiles, n);
	prof_add_net(p, 2, 2);
	prof_add_net(p, 1, 1);
	prof_add_net(p, 99, 1); /* unknown: ignored */
	prof_add_cap(p, 0);
	prof_add_cap(p, 10);
}

static char *profile_text(const struct prof *p)
{
	struct prof_source src = { .capture = "test.kcap", .selection = "--exe /usr/bin/app",
				   .events = 10, .processes = 1 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(prof_write_apparmor(p, f, "app", "/usr/bin/app", &src), 0);
	fclose(f);
	return buf;
}

static void test_apparmor_roundtrip(void **state)
{
	struct aa_profile ap;
	struct prof p, q;
	char *text, *text2, err[256];

	(void)state;
	small_model(&p, false);
	small_model(&q, true);
	text = profile_text(&p);
	text2 = profile_text(&q);
	/* deterministic: the order of events does not matter */
	assert_string_equal(text, text2);
	assert_non_null(strstr(text, "\n  /proc/@{pid}/status r,\n"));
	assert_non_null(strstr(text, "\n  /tmp/out-[0-9]*.tmp w,\n"));
	/* append-only: w, which write() on the descriptor needs */
	assert_non_null(strstr(text, "append-only: a would do for the open, write() needs w\n  /var/log/app.log w,\n"));
	assert_non_null(strstr(text, "\n  /usr/bin/helper mrix,\n"));
	assert_non_null(strstr(text, "\n  \"/srv/with space,comma\" r,\n"));
	assert_non_null(strstr(text, "\n  network inet dgram,\n"));
	assert_non_null(strstr(text, "\n  capability net_bind_service,\n"));
	assert_null(strstr(text, "**"));

	assert_int_equal(aa_parse(text, &ap, err, sizeof(err)), 0);
	assert_string_equal(ap.name, "app");
	assert_string_equal(ap.attach, "/usr/bin/app");
	assert_true(aa_allows_file(&ap, "/proc/77/status", PROF_R));
	assert_false(aa_allows_file(&ap, "/proc/self/status", PROF_R));
	assert_false(aa_allows_file(&ap, "/proc/77/environ", PROF_R));
	assert_true(aa_allows_file(&ap, "/tmp/out-99.tmp", PROF_W));
	assert_false(aa_allows_file(&ap, "/tmp/out-99.tmp", PROF_R));
	assert_true(aa_allows_file(&ap, "/var/log/app.log", PROF_A));
	assert_true(aa_allows_file(&ap, "/var/log/app.log", PROF_W));
	assert_false(aa_allows_file(&ap, "/var/log/app.log", PROF_R));
	assert_true(aa_allows_file(&ap, "/srv/data/", PROF_R));
	assert_false(aa_allows_file(&ap, "/srv/data/x", PROF_R));
	assert_true(aa_allows_file(&ap, "/usr/bin/helper", PROF_IX | PROF_M | PROF_R));
	assert_false(aa_allows_file(&ap, "/bin/sh", PROF_IX));
	/* --px: Px, a program running under its own profile */
	assert_non_null(strstr(text, "\n  /usr/bin/other Px,\n"));
	assert_true(aa_allows_file(&ap, "/usr/bin/other", PROF_IX));
	assert_true(aa_exec_px(&ap, "/usr/bin/other"));
	assert_false(aa_exec_px(&ap, "/usr/bin/helper"));
	assert_false(aa_allows_file(&ap, "/etc/shadow", PROF_R));
	assert_true(aa_allows_file(&ap, "/srv/with space,comma", PROF_R));
	assert_true(aa_allows_net(&ap, 2, 2));
	assert_false(aa_allows_net(&ap, 2, 1));
	assert_false(aa_allows_net(&ap, 10, 2));
	assert_true(aa_allows_cap(&ap, 0));
	assert_false(aa_allows_cap(&ap, 21));
	aa_release(&ap);
	free(text);
	free(text2);
	prof_release(&p);
	prof_release(&q);
}

/* A parent with a child profile (--cx /usr/lib/app/my helper). */
static char *cx_text(struct prof *p, struct prof_child *kid)
{
	struct prof_source src = { .capture = "test.kcap", .selection = "--exe /usr/bin/app",
				   .events = 10, .processes = 2 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	prof_init(p);
	memset(kid, 0, sizeof(*kid));
	kid->path = "/usr/lib/app/my helper";
	assert_int_equal(prof_child_name(kid->path, kid->name, sizeof(kid->name)), 0);
	assert_string_equal(kid->name, "my_helper");
	kid->used = true;
	assert_int_equal(prof_add_file(p, "/etc/app.conf", 10, PROF_R), 0);
	assert_int_equal(prof_add_file(p, kid->path, 10, PROF_CX), 0);
	prof_add_net(p, 2, 2);
	/* the child: its own program mapped, a file, a socket, a pid file */
	assert_int_equal(prof_add_file(&kid->model, kid->path, 11, PROF_M | PROF_R), 0);
	assert_int_equal(prof_add_file(&kid->model, "/srv/helper.db", 11, PROF_R | PROF_W), 0);
	assert_int_equal(prof_add_file(&kid->model, "/tmp/helper-11.pid", 11, PROF_W), 0);
	prof_add_net(&kid->model, 1, 1);
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(prof_write_apparmor_cx(p, f, "app", "/usr/bin/app", &src, kid, 1), 0);
	fclose(f);
	return buf;
}

static void test_apparmor_cx(void **state)
{
	struct aa_profile ap;
	struct prof_child kid;
	struct prof p;
	char *text, err[256], name[32];

	(void)state;
	text = cx_text(&p, &kid);
	assert_non_null(strstr(text, "\n  \"/usr/lib/app/my helper\" Cx -> my_helper,\n"));
	assert_non_null(strstr(text, "\n  profile my_helper {\n"));
	assert_non_null(strstr(text, "\n    \"/usr/lib/app/my helper\" mr,\n"));
	assert_non_null(strstr(text, "\n    /srv/helper.db rw,\n"));
	/* generalised by the same rules */
	assert_non_null(strstr(text, "\n    /tmp/helper-[0-9]*.pid w,\n"));
	assert_non_null(strstr(text, "\n    network unix stream,\n"));
	/* the child closes before the parent */
	assert_non_null(strstr(text, "\n  }\n}\n"));

	assert_int_equal(aa_parse(text, &ap, err, sizeof(err)), 0);
	assert_string_equal(ap.name, "app");
	assert_int_equal(ap.nchildren, 1);
	assert_string_equal(ap.children[0].name, "my_helper");
	assert_null(ap.children[0].attach);
	/* the parent's rules are not the child's, and the other way round */
	assert_true(aa_allows_file(&ap, "/etc/app.conf", PROF_R));
	assert_false(aa_allows_file(&ap.children[0], "/etc/app.conf", PROF_R));
	assert_false(aa_allows_file(&ap, "/srv/helper.db", PROF_R));
	assert_true(aa_allows_file(&ap.children[0], "/srv/helper.db", PROF_R | PROF_W));
	assert_true(aa_allows_file(&ap.children[0], "/tmp/helper-4242.pid", PROF_W));
	assert_true(aa_allows_net(&ap, 2, 2));
	assert_false(aa_allows_net(&ap.children[0], 2, 2));
	assert_true(aa_allows_net(&ap.children[0], 1, 1));
	/* the exec: x in the parent, then the child confines it */
	assert_true(aa_allows_file(&ap, "/usr/lib/app/my helper", PROF_IX));
	assert_true(aa_exec_px(&ap, "/usr/lib/app/my helper"));
	assert_int_equal(aa_exec_child(&ap, "/usr/lib/app/my helper"), 0);
	assert_int_equal(aa_exec_child(&ap, "/usr/bin/other"), -1);
	assert_true(aa_allows_file(&ap.children[0], "/usr/lib/app/my helper", PROF_M | PROF_R));
	aa_release(&ap);

	/* a Cx rule naming no child of the file: no switch (another policy) */
	assert_int_equal(aa_parse("profile a /a {\n  /b Cx -> nope,\n  profile c {\n  }\n}\n", &ap,
				  err, sizeof(err)), 0);
	assert_int_equal(aa_exec_child(&ap, "/b"), -1);
	assert_true(aa_exec_px(&ap, "/b"));
	aa_release(&ap);
	/* Cx without a target: the child attached to the path */
	assert_int_equal(aa_parse("profile a /a {\n  /b/* Cx,\n  profile c /b/c {\n  }\n"
				  "  profile d /b/d {\n  }\n}\n", &ap, err, sizeof(err)), 0);
	assert_int_equal(aa_exec_child(&ap, "/b/d"), 1);
	assert_int_equal(aa_exec_child(&ap, "/b/c"), 0);
	assert_int_equal(aa_exec_child(&ap, "/b/e"), -1);
	aa_release(&ap);

	/* names: the file name, made an identifier */
	assert_int_equal(prof_child_name("/usr/bin/.hidden-x", name, sizeof(name)), 0);
	assert_string_equal(name, "_hidden-x");
	assert_int_equal(prof_child_name("/usr/bin/a+b@c", name, sizeof(name)), 0);
	assert_string_equal(name, "a_b_c");
	assert_int_equal(prof_child_name("/usr/bin/", name, sizeof(name)), -EINVAL);
	free(text);
	prof_release(&p);
	prof_release(&kid.model);
}

static void expect_parse_error(const char *text, const char *want)
{
	struct aa_profile ap;
	char err[256] = "";

	assert_int_equal(aa_parse(text, &ap, err, sizeof(err)), -EINVAL);
	if (!strstr(err, want))
		fail_msg("error '%s' does not say '%s'", err, want);
}

static void test_apparmor_parse_errors(void **state)
{
	(void)state;
	expect_parse_error("profile a /a {\n  /etc/x r\n}\n", "line 2: not a rule");
	expect_parse_error("profile a /a {\n  /etc/x rq,\n}\n", "line 2: bad permissions");
	expect_parse_error("profile a /a {\n  deny /etc/x r,\n}\n", "line 2: 'deny'");
	expect_parse_error("profile a /a {\n  @{nope}/x r,\n}\n", "line 2: unknown variable");
	expect_parse_error("profile a /a {\n  network inet bogus,\n}\n", "line 2: bad network");
	expect_parse_error("#include <tunables/global>\nprofile a {\n}\n", "line 1: include");
	expect_parse_error("profile a /a {\n  /etc/x r,\n", "no complete profile");
	expect_parse_error("/etc/x r,\n", "line 1: rule outside a profile");
	/* child profiles: one level, named, no hats; a target needs P or C */
	expect_parse_error("profile a /a {\n  profile b {\n    profile c {\n", "line 3: child profiles nested");
	expect_parse_error("profile a /a {\n  profile {\n  }\n}\n", "line 2: profile without a name");
	expect_parse_error("profile a /a {\n  ^hat {\n  }\n}\n", "line 2: hats");
	expect_parse_error("profile a /a {\n  /b ix -> c,\n}\n", "line 2: '-> c' without");
	expect_parse_error("profile a /a {\n  profile b {\n  }\n", "no complete profile");
	expect_parse_error("profile a /a {\n}\nprofile b /b {\n}\n", "line 3: one profile per file");
}

/* Debian's apparmor_parser accepts what kcap writes (compiles it, loads nothing). */
static void test_apparmor_parser_accepts(void **state)
{
	char path[] = "/tmp/kcap-unit-aa-XXXXXX", cmd[256];
	struct prof p;
	char *text;
	FILE *f;
	int fd, st;

	(void)state;
	if (system("command -v apparmor_parser >/dev/null 2>&1")) {
		/* packaging/build-deps.sh installs it: make test must not get here */
		print_message("apparmor_parser missing: run packaging/build-deps.sh; check skipped\n");
		skip();
	}
	small_model(&p, false);
	/* the escapes of every special character, the generalised forms */
	assert_int_equal(prof_add_file(&p, "/etc/a*b?[c]{d}^e\"f", 1, PROF_R), 0);
	assert_int_equal(prof_add_file(&p, "/tmp/tmp.Ab3xYz", 1, PROF_W), 0);
	assert_int_equal(prof_add_file(&p, "/proc/4242/task/4243/comm", 1, PROF_R | PROF_W), 0);
	assert_int_equal(prof_add_file(&p, "/srv/link", 1, PROF_L), 0);
	text = profile_text(&p);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "apparmor_parser -Q -K %s >/dev/null 2>%s.err", path, path);
	st = system(cmd);
	if (st) {
		snprintf(cmd, sizeof(cmd), "cat %s.err >&2", path);
		if (system(cmd))
			print_message("(no error output)\n");
		print_message("%s", text);
	}
	snprintf(cmd, sizeof(cmd), "%s.err", path);
	unlink(cmd);
	unlink(path);
	free(text);
	prof_release(&p);
	assert_int_equal(st, 0);
}

/* apparmor_parser accepts a profile with a child profile (Cx). */
static void test_apparmor_parser_accepts_cx(void **state)
{
	char path[] = "/tmp/kcap-unit-aacx-XXXXXX", cmd[256];
	struct prof_child kid;
	struct prof p;
	char *text;
	FILE *f;
	int fd, st;

	(void)state;
	if (system("command -v apparmor_parser >/dev/null 2>&1")) {
		print_message("apparmor_parser missing: run packaging/build-deps.sh; check skipped\n");
		skip();
	}
	text = cx_text(&p, &kid);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "apparmor_parser -Q -K %s >/dev/null 2>%s.err", path, path);
	st = system(cmd);
	if (st) {
		snprintf(cmd, sizeof(cmd), "cat %s.err >&2", path);
		if (system(cmd))
			print_message("(no error output)\n");
		print_message("%s", text);
	}
	snprintf(cmd, sizeof(cmd), "%s.err", path);
	unlink(cmd);
	unlink(path);
	free(text);
	prof_release(&p);
	prof_release(&kid.model);
	assert_int_equal(st, 0);
}

static void test_seccomp_json(void **state)
{
	struct sc_profile sp;
	char *buf = NULL, err[256];
	size_t len = 0;
	struct prof p;
	FILE *f;
	int nr;

	(void)state;
	prof_init(&p);
	assert_int_equal(prof_add_syscall(&p, PROF_ABI_X86_64, "openat"), 0);
	assert_int_equal(prof_add_syscall(&p, PROF_ABI_X86_64, "read"), 0);
	assert_int_equal(prof_add_syscall(&p, PROF_ABI_X86_64, "no_such_call"), -ENOENT);
	f = open_memstream(&buf, &len);
	assert_int_equal(prof_write_seccomp_json(&p, f), 0);
	fclose(f);
	assert_null(strstr(buf, "SCMP_ARCH_X86\""));
	assert_non_null(strstr(buf, "\"defaultAction\": \"SCMP_ACT_ERRNO\""));
	assert_int_equal(sc_parse(buf, &sp, err, sizeof(err)), 0);
	assert_true(sp.arch[PROF_ABI_X86_64]);
	assert_false(sp.arch[PROF_ABI_IA32]);
	nr = kcap_syscall_nr("openat", KCAP_SC_X86_64);
	assert_true(sp.allowed[PROF_ABI_X86_64][nr]);
	nr = kcap_syscall_nr("mkdir", KCAP_SC_X86_64);
	assert_false(sp.allowed[PROF_ABI_X86_64][nr]);
	free(buf);

	/* ia32 adds its architecture and its names (socketcall has no x86_64 number) */
	assert_int_equal(prof_add_syscall(&p, PROF_ABI_IA32, "socketcall"), 0);
	buf = NULL;
	f = open_memstream(&buf, &len);
	assert_int_equal(prof_write_seccomp_json(&p, f), 0);
	fclose(f);
	assert_non_null(strstr(buf, "\"SCMP_ARCH_X86\""));
	assert_non_null(strstr(buf, "\"socketcall\""));
	assert_int_equal(sc_parse(buf, &sp, err, sizeof(err)), 0);
	assert_true(sp.arch[PROF_ABI_IA32]);
	assert_true(sp.allowed[PROF_ABI_IA32][kcap_syscall_nr("socketcall", KCAP_SC_IA32)]);
	free(buf);
	assert_int_equal(sc_parse("{\"syscalls\": 3}", &sp, err, sizeof(err)), -EINVAL);
	assert_int_equal(sc_parse("{", &sp, err, sizeof(err)), -EINVAL);
	prof_release(&p);
}

/* The BPF, installed in a child: everything but mkdir allowed. */
static void test_seccomp_bpf(void **state)
{
	static struct sock_filter insns[8192];
	struct sock_fprog prog = { .filter = insns };
	char path[] = "/tmp/kcap-unit-bpf-XXXXXX", err[256] = "";
	unsigned int nr, max = kcap_syscall_max(KCAP_SC_X86_64);
	struct prof p;
	ssize_t n;
	pid_t pid;
	int fd, st;

	(void)state;
	prof_init(&p);
	for (nr = 0; nr < max && nr < PROF_NR_MAX; nr++) {
		const char *name = kcap_syscall_name(nr, KCAP_SC_X86_64);

		if (name && strcmp(name, "mkdir") && strcmp(name, "mkdirat"))
			assert_int_equal(prof_add_syscall(&p, PROF_ABI_X86_64, name), 0);
	}
	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(prof_write_seccomp_bpf(&p, fd, err, sizeof(err)), 0);
	n = pread(fd, insns, sizeof(insns), 0);
	close(fd);
	assert_true(n > 0 && n % (ssize_t)sizeof(insns[0]) == 0 && n < (ssize_t)sizeof(insns));
	prog.len = (unsigned short)(n / (ssize_t)sizeof(insns[0]));
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
			_exit(10);
		if (getppid() <= 0)
			_exit(11);
		if (mkdir("/tmp/kcap-unit-never", 0700) == 0 || errno != EPERM)
			_exit(12);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	prof_release(&p);
}

static const struct CMUnitTest profile_tests[] = {
	cmocka_unit_test(test_generalise_proc),
	cmocka_unit_test(test_generalise_temp),
	cmocka_unit_test(test_generalise_escape),
	cmocka_unit_test(test_glob),
	cmocka_unit_test(test_apparmor_roundtrip),
	cmocka_unit_test(test_apparmor_parse_errors),
	cmocka_unit_test(test_apparmor_parser_accepts),
	cmocka_unit_test(test_apparmor_cx),
	cmocka_unit_test(test_apparmor_parser_accepts_cx),
	cmocka_unit_test(test_seccomp_json),
	cmocka_unit_test(test_seccomp_bpf),
};

UNIT_GROUP(profile, profile_tests)
