// SPDX-License-Identifier: Apache-2.0
/*
 * Detection (userspace/lib/container.c, state*.c, fields.c, filter.c,
 * rules*.c): container ids of each runtime, the condition language (every
 * operator, precedence, lists, macros, exceptions, malformed input with
 * FILE:LINE:COL), state from fork/exec/open/connect/close and alerts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "kcap_detect.h"
#include "detect/detect.h"
#include "unit.h"
#include "evbuild.h"

#define ID64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void expect_ct(const char *cg, int ret, const char *id, const char *rt, const char *pod)
{
	struct kcap_container c;

	assert_int_equal(kcap_container_from_cgroup(cg, &c), ret);
	assert_string_equal(c.short_id, id);
	assert_string_equal(c.runtime, rt);
	assert_string_equal(c.pod_uid, pod);
}

static void test_container_ids(void **state)
{
	(void)state;
	expect_ct("0::/docker/" ID64, 0, "0123456789ab", "docker", "");
	expect_ct("0::/system.slice/docker-" ID64 ".scope", 0, "0123456789ab", "docker", "");
	expect_ct("0::/kubepods/besteffort/pod8dd2a4c1-3c43-4a4e-9c1a-0f9a4a0b5d1e/" ID64, 0,
		  "0123456789ab", "cri", "8dd2a4c1-3c43-4a4e-9c1a-0f9a4a0b5d1e");
	expect_ct("0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-"
		  "pod8dd2a4c1_3c43_4a4e_9c1a_0f9a4a0b5d1e.slice/cri-containerd-" ID64 ".scope",
		  0, "0123456789ab", "containerd", "8dd2a4c1-3c43-4a4e-9c1a-0f9a4a0b5d1e");
	expect_ct("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-"
		  "pod8dd2a4c1_3c43_4a4e_9c1a_0f9a4a0b5d1e.slice/crio-" ID64 ".scope",
		  0, "0123456789ab", "cri-o", "8dd2a4c1-3c43-4a4e-9c1a-0f9a4a0b5d1e");
	expect_ct("0::/machine.slice/libpod-" ID64 ".scope/container", 0, "0123456789ab", "podman",
		  "");
	expect_ct("12:pids:/user.slice\n0::/user.slice/user-1000.slice/session-2.scope", -ENOENT,
		  "host", "", "");
	expect_ct("0::/machine.slice/libpod-conmon-" ID64 ".scope", -ENOENT, "host", "", "");
	expect_ct("0::/docker/0123", -ENOENT, "host", "", "");
	expect_ct(NULL, -ENOENT, "host", "", "");
}

/* ---- Events built by hand ---------------------------------------------------------- */





struct hits {
	unsigned int n;
	char rule[8][64];
	char out[8][512];
};

static int on_alert(void *ctx, const struct kcap_alert *a)
{
	struct hits *h = ctx;

	if (h->n < 8) {
		snprintf(h->rule[h->n], sizeof(h->rule[0]), "%s", a->rule);
		snprintf(h->out[h->n], sizeof(h->out[0]), "%s", a->output);
	}
	h->n++;
	return 0;
}

/* Compiles one rule with condition @cond; returns 0 or the compile error. */
static int one_rule(struct kcap_rules **r, const char *prefix, const char *cond,
		    const char *output)
{
	char text[4096];

	*r = kcap_rules_new();
	assert_non_null(*r);
	snprintf(text, sizeof(text),
		 "%s- rule: t\n  desc: d\n  condition: %s\n  output: \"%s\"\n  priority: WARNING\n",
		 prefix, cond, output ? output : "hit %proc.name");
	if (kcap_rules_load_string(*r, "t.yaml", text))
		return -1;
	return kcap_rules_compile(*r);
}

/* A small world: bash (100, parent init 1) in a docker container execs cat;
 * cat opens /etc/shadow (fd 3) and connects a socket (fd 4). */
struct world {
	struct kcap_state *st;
	struct evb e;
	const struct kcap_event_hdr *exec_ev, *open_ev, *connect_ev, *close_ev;
	struct evb e_exec, e_open, e_conn, e_close;
};

static void world_init(struct world *w)
{
	static const char argv[] = "cat\0/etc/shadow";
	struct kcap_sockaddr_in {
		__u16 family;
		__u16 port;
		__u32 addr;
		__u8 zero[8];
	} sin = { AF_INET, htons(443), htonl(0x0a000001), { 0 } };
	struct p fork[] = { { U32(101) }, { U32(101) }, { STR("bash") } };
	struct p exec[] = { { S64(0) },
			    { STR("/bin/cat") },
			    { argv, sizeof(argv) },
			    { STR("/root") },
			    { STR("/bin/cat") },
			    { STR("cat") },
			    { U32(1000) },
			    { U32(1000) },
			    { U32(1000) },
			    { U32(1000) },
			    { U32((136 << 20) | 1) }, /* /dev/pts/1, the kernel's dev_t */
			    { U32(7) },
			    { U32(7) },
			    { STR("/system.slice/docker-" ID64 ".scope") } };
	struct p open[] = { { S64(3) },	  { S64(-100) }, { STR("shadow") },
			    { S64(0) },	  { U32(0) },	 { STR("/etc/shadow") } };
	struct p sock[] = { { S64(4) }, { S64(AF_INET) }, { S64(1) }, { S64(0) } };
	struct p conn[] = { { S64(0) }, { S64(4) }, { &sin, sizeof(sin) } };
	struct p clos[] = { { S64(0) }, { S64(3) } };
	struct kcap_state_opts o = { .sz = sizeof(o), .passwd = "/nonexistent" };

	w->st = kcap_state_new(&o);
	assert_non_null(w->st);
	/* pid 100 is unknown: the table creates it on first sight */
	assert_int_equal(kcap_state_update(w->st, NULL,
					   mk_ev(&w->e, KCAP_EVT_PROC_FORK, 100, 100, 10, 3, fork)),
			 0);
	w->exec_ev = mk_ev(&w->e_exec, KCAP_EVT_EXECVE, 101, 101, 20, 14, exec);
	assert_int_equal(kcap_state_update(w->st, NULL, w->exec_ev), 0);
	w->open_ev = mk_ev(&w->e_open, KCAP_EVT_OPENAT, 101, 101, 30, 6, open);
	assert_int_equal(kcap_state_update(w->st, NULL, w->open_ev), 0);
	assert_int_equal(kcap_state_update(w->st, NULL,
					   mk_ev(&w->e, KCAP_EVT_SOCKET, 101, 101, 40, 4, sock)),
			 0);
	w->connect_ev = mk_ev(&w->e_conn, KCAP_EVT_CONNECT, 101, 101, 50, 3, conn);
	assert_int_equal(kcap_state_update(w->st, NULL, w->connect_ev), 0);
	w->close_ev = mk_ev(&w->e_close, KCAP_EVT_CLOSE, 101, 101, 60, 2, clos);
}

/* Does @cond match event @ev of world @w? */
static bool matches(struct world *w, const struct kcap_event_hdr *ev, const char *cond)
{
	struct kcap_rules *r;
	struct hits h = { 0 };
	int ret = one_rule(&r, "", cond, NULL);

	if (ret)
		fail_msg("%s: %s", cond, kcap_rules_errmsg(r));
	assert_true(kcap_rules_eval(r, w->st, NULL, ev, on_alert, &h) >= 0);
	kcap_rules_free(r);
	return h.n > 0;
}

static void test_fields_and_operators(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	assert_true(matches(&w, w.open_ev, "evt.type = openat"));
	assert_true(matches(&w, w.open_ev, "evt.type=openat and evt.dir=<"));
	assert_false(matches(&w, w.open_ev, "evt.type = openat and evt.dir = >"));
	assert_true(matches(&w, w.open_ev, "fd.name = /etc/shadow and fd.num = 3"));
	assert_true(matches(&w, w.open_ev, "fd.directory = /etc and fd.filename = shadow"));
	assert_true(matches(&w, w.open_ev, "fd.typechar = f and fd.type = file"));
	assert_true(matches(&w, w.open_ev, "evt.is_open_read = true and evt.is_open_write = false"));
	assert_true(matches(&w, w.open_ev, "evt.res = SUCCESS and evt.rawres = 3 and not evt.failed = true"));
	assert_true(matches(&w, w.open_ev, "proc.name = cat and proc.pname = bash"));
	assert_true(matches(&w, w.open_ev, "proc.cmdline = \"cat /etc/shadow\""));
	assert_true(matches(&w, w.open_ev, "proc.args = /etc/shadow and proc.exe = cat"));
	assert_true(matches(&w, w.open_ev, "proc.exepath = /bin/cat and proc.cwd = /root/"));
	assert_true(matches(&w, w.open_ev, "proc.pid = 101 and proc.ppid = 100 and proc.vpid = 7"));
	assert_true(matches(&w, w.open_ev, "proc.aname[0] = cat and proc.aname[1] = bash"));
	assert_true(matches(&w, w.open_ev, "proc.aname = bash and not proc.aname = cat"));
	/* Falco's encoding of /dev/pts/1: /proc/PID/stat's tty_nr */
	assert_true(matches(&w, w.open_ev, "proc.tty = 34817 and user.uid = 1000"));
	assert_true(matches(&w, w.open_ev, "user.loginuid = 1000 and group.gid = 1000"));
	assert_true(matches(&w, w.open_ev, "container.id = 0123456789ab and container.type = docker"));
	assert_false(matches(&w, w.open_ev, "k8s.pod.uid exists"));
	assert_true(matches(&w, w.open_ev, "evt.arg.name = shadow and evt.arg[2] = shadow"));
	assert_true(matches(&w, w.open_ev, "evt.rawarg.dirfd = -100 and evt.arg.dirfd = -100"));
	/* operators */
	assert_true(matches(&w, w.open_ev, "fd.name != /etc/passwd"));
	assert_true(matches(&w, w.open_ev, "fd.num < 4 and fd.num <= 3 and fd.num > 2 and fd.num >= 3"));
	assert_false(matches(&w, w.open_ev, "fd.num > 3"));
	assert_true(matches(&w, w.open_ev, "fd.name in (/etc/passwd, /etc/shadow)"));
	assert_false(matches(&w, w.open_ev, "fd.name in ()"));
	assert_true(matches(&w, w.open_ev, "fd.name contains sha and fd.name icontains SHAD"));
	assert_true(matches(&w, w.open_ev, "fd.name startswith /etc/ and fd.name endswith dow"));
	assert_true(matches(&w, w.open_ev, "fd.name glob '/etc/*ad?w'"));
	assert_false(matches(&w, w.open_ev, "fd.name glob '/tmp/*'"));
	assert_true(matches(&w, w.open_ev, "fd.name pmatch (/usr, /etc)"));
	assert_false(matches(&w, w.open_ev, "fd.name pmatch (/et)"));
	assert_true(matches(&w, w.open_ev, "fd.name exists and not fd.sip exists"));
	/* precedence: and binds tighter than or; not tighter than and */
	assert_true(matches(&w, w.open_ev, "evt.type = close or evt.type = openat and fd.num = 3"));
	assert_false(matches(&w, w.open_ev, "(evt.type = close or evt.type = openat) and fd.num = 4"));
	assert_true(matches(&w, w.open_ev, "not evt.type = close and not (fd.num = 4)"));
	/* sockets */
	assert_true(matches(&w, w.connect_ev, "fd.typechar = 4 and fd.dip = 10.0.0.1 and fd.dport = 443"));
	assert_true(matches(&w, w.connect_ev, "fd.l4proto = tcp and fd.name = \"0.0.0.0:0->10.0.0.1:443\""));
	assert_true(matches(&w, w.connect_ev, "evt.arg.addr = 10.0.0.1:443"));
	/* exec */
	assert_true(matches(&w, w.exec_ev, "evt.type = execve and proc.name = cat and container.id != host"));
	/* an ABI 2.1 exec: the 2.2 data is missing, not zero or false */
	assert_false(matches(&w, w.exec_ev, "thread.cap_effective exists or proc.env exists"));
	assert_false(matches(&w, w.exec_ev, "proc.is_exe_upper_layer exists or proc.sid exists"));
	assert_false(matches(&w, w.exec_ev, "proc.is_exe_from_memfd = false"));
	/* close: the descriptor is still known while rules look at the close */
	assert_int_equal(kcap_state_update(w.st, NULL, w.close_ev), 0);
	assert_true(matches(&w, w.close_ev, "evt.type = close and fd.name = /etc/shadow"));
	assert_int_equal(kcap_state_update(w.st, NULL, w.connect_ev), 0);
	assert_false(matches(&w, w.open_ev, "evt.type = openat and fd.name = /etc/shadow and fd.num = 3 and fd.type = ipv4"));
	kcap_state_free(w.st);
}

/*
 * ABI 2.2 data: exec's env, capabilities, exe inode and flags, session and
 * group ids; connect's and accept's socket addresses from the kernel;
 * capset's capability sets. (The world above is an ABI 2.1 recording:
 * these fields are missing there, not zero.)
 */
/* A generic syscall as the ABI 3 driver writes it: dup2(-1, 0x80) = -9,
 * numbers in the bytes they need. */
static void test_abi3_generic_fields(void **state)
{
	static const unsigned char nr = 33, a0 = 0xff, a1[2] = { 0x80, 0 }, res = 0xf7;
	struct p ps[] = { { &nr, 1 }, { &a0, 1 }, { a1, 2 }, { &res, 1 } };
	struct world w;
	struct evb e;
	const struct kcap_event_hdr *ev;

	(void)state;
	world_init(&w);
	ev = mk_ev(&e, KCAP_EVT_SYSCALL, 101, 101, 70, 4, ps);
	assert_true(matches(&w, ev, "evt.type = dup2 and evt.dir = <"));
	assert_true(matches(&w, ev, "evt.rawres = -9 and evt.failed = true and evt.res = EBADF"));
	assert_true(matches(&w, ev, "evt.rawarg.a0 = -1 and evt.rawarg.a1 = 128"));
	assert_true(matches(&w, ev, "evt.rawarg.res = -9"));
	assert_false(matches(&w, ev, "evt.rawarg.a2 exists"));
	assert_true(matches(&w, ev, "proc.name = cat"));
	kcap_state_free(w.st);
}

static void test_abi_2_2_fields(void **state)
{
	static const char argv[] = "payload\0-x";
	static const char env[] = "HOME=/root\0GLIBC_TUNABLES=glibc.malloc=1\0PATH=/bin";
	struct sin {
		__u16 family;
		__u16 port;
		__u32 addr;
		__u8 zero[8];
	} dst = { AF_INET, htons(443), htonl(0x0a000001), { 0 } },
	  loc = { AF_INET, htons(40000), htonl(0x0a000002), { 0 } },
	  srv = { AF_INET, htons(8080), htonl(0x7f000001), { 0 } },
	  cli = { AF_INET, htons(51000), htonl(0x7f000001), { 0 } };
	__u64 caps_root = (1ULL << 41) - 1, eff = (1ULL << 0) | (1ULL << 21) | (1ULL << 16);
	struct p exec[] = { { S64(0) },
			    { STR("/memfd:payload") },
			    { argv, sizeof(argv) },
			    { STR("/tmp") },
			    { STR("/memfd:payload (deleted)") },
			    { STR("payload") },
			    { U32(0) },
			    { U32(0) },
			    { U32(0) },
			    { U32(0) },
			    { U32(0) },
			    { U32(7) },
			    { U32(7) },
			    { STR("/") },
			    { env, sizeof(env) },
			    { &(__u64){ 0 }, 8 },
			    { &caps_root, 8 },
			    { &eff, 8 },
			    { &(__u64){ 4242 }, 8 },
			    { &(__u64){ 1000000000ULL }, 8 },
			    { &(__u64){ 2000000000ULL }, 8 },
			    { U32(KCAP_EXE_FROM_MEMFD | KCAP_EXE_UPPER_LAYER) },
			    { U32(7) },
			    { U32(5) } };
	struct p sock[] = { { S64(4) }, { S64(AF_INET) }, { S64(1) }, { S64(0) } };
	struct p conn[] = { { S64(0) }, { S64(4) }, { &dst, sizeof(dst) },
			    { &loc, sizeof(loc) }, { &dst, sizeof(dst) } };
	/* accept(3, NULL, NULL) = 5: no caller buffer, the kernel's tuple */
	struct p acc[] = { { S64(5) }, { S64(3) }, { NULL, 0 }, { &srv, sizeof(srv) },
			   { &cli, sizeof(cli) } };
	struct p capset[] = { { S64(0) }, { NULL, 0 }, { &(__u64){ 0 }, 8 },
			      { &(__u64){ 1ULL << 12 }, 8 }, { &(__u64){ 1ULL << 12 }, 8 } };
	struct kcap_state_opts o = { .sz = sizeof(o), .passwd = "/nonexistent" };
	const struct kcap_event_hdr *ev;
	struct world w;
	struct evb e, e2;

	(void)state;
	w.st = kcap_state_new(&o);
	assert_non_null(w.st);
	ev = mk_ev(&e, KCAP_EVT_EXECVE, 101, 101, 20, 24, exec);
	assert_int_equal(kcap_state_update(w.st, NULL, ev), 0);
	assert_true(matches(&w, ev, "proc.env icontains GLIBC_TUNABLES"));
	assert_true(matches(&w, ev, "proc.env = \"HOME=/root GLIBC_TUNABLES=glibc.malloc=1 PATH=/bin\""));
	assert_true(matches(&w, ev, "proc.env[HOME] = /root and not proc.env[NOPE] exists"));
	assert_true(matches(&w, ev, "thread.cap_effective = \"CAP_CHOWN CAP_SYS_MODULE CAP_SYS_ADMIN\""));
	assert_true(matches(&w, ev, "thread.cap_effective icontains sys_module"));
	assert_true(matches(&w, ev, "thread.cap_permitted contains CAP_CHECKPOINT_RESTORE"));
	assert_true(matches(&w, ev, "thread.cap_inheritable = \"\""));
	assert_true(matches(&w, ev, "proc.is_exe_from_memfd = true and proc.is_exe_upper_layer = true"));
	assert_true(matches(&w, ev, "proc.exe_ino = 4242 and proc.exe_ino.ctime = 1000000000"));
	assert_true(matches(&w, ev, "proc.exe_ino.mtime = 2000000000"));
	assert_true(matches(&w, ev, "proc.sid = 7 and proc.is_sid_leader = true and proc.sname = payload"));
	assert_true(matches(&w, ev, "proc.vpgid = 5 and proc.is_vpgid_leader = false"));
	assert_false(matches(&w, ev, "proc.vpgid.name exists"));
	ev = mk_ev(&e2, KCAP_EVT_SOCKET, 101, 101, 30, 4, sock);
	assert_int_equal(kcap_state_update(w.st, NULL, ev), 0);
	ev = mk_ev(&e2, KCAP_EVT_CONNECT, 101, 101, 40, 5, conn);
	assert_int_equal(kcap_state_update(w.st, NULL, ev), 0);
	assert_true(matches(&w, ev, "fd.sip = 10.0.0.1 and fd.sport = 443 and fd.cip = 10.0.0.2"));
	assert_true(matches(&w, ev, "fd.cport = 40000 and fd.lip = 10.0.0.2 and fd.rport = 443"));
	assert_true(matches(&w, ev, "fd.name = \"10.0.0.2:40000->10.0.0.1:443\""));
	ev = mk_ev(&e2, KCAP_EVT_ACCEPT, 101, 101, 50, 5, acc);
	assert_int_equal(kcap_state_update(w.st, NULL, ev), 0);
	assert_true(matches(&w, ev, "fd.num = 5 and fd.cip = 127.0.0.1 and fd.cport = 51000"));
	assert_true(matches(&w, ev, "fd.sport = 8080 and fd.lport = 8080 and fd.rport = 51000"));
	assert_true(matches(&w, ev, "fd.name = \"127.0.0.1:51000->127.0.0.1:8080\""));
	ev = mk_ev(&e2, KCAP_EVT_CAPSET, 101, 101, 60, 5, capset);
	assert_int_equal(kcap_state_update(w.st, NULL, ev), 0);
	assert_true(matches(&w, ev, "thread.cap_effective = CAP_NET_ADMIN"));
	/* a bound socket: its own address is the server's end, as in Falco */
	{
		struct p s6[] = { { S64(6) }, { S64(AF_INET) }, { S64(1) }, { S64(0) } };
		struct p bind[] = { { S64(0) }, { S64(6) }, { &srv, sizeof(srv) } };

		ev = mk_ev(&e2, KCAP_EVT_SOCKET, 101, 101, 65, 4, s6);
		assert_int_equal(kcap_state_update(w.st, NULL, ev), 0);
		ev = mk_ev(&e2, KCAP_EVT_BIND, 101, 101, 66, 3, bind);
		assert_int_equal(kcap_state_update(w.st, NULL, ev), 0);
		assert_true(matches(&w, ev, "fd.name = \"127.0.0.1:8080\" and fd.sip = 127.0.0.1"));
		assert_true(matches(&w, ev, "fd.sport = 8080 and fd.lport = 8080 and fd.connected = false"));
		assert_false(matches(&w, ev, "fd.cip exists or fd.rip exists or fd.cport exists"));
	}
	/* evt.arg renders as Falco does; evt.rawarg stays a number */
	{
		struct p pt[] = { { S64(0) }, { U32(16) }, { S64(200) }, { S64(0) }, { S64(0) } };
		struct p kill[] = { { S64(0) }, { S64(200) }, { U32(9) } };
		struct p chmod[] = { { S64(0) }, { STR("/tmp/x") }, { U32(04755) } };

		ev = mk_ev(&e2, KCAP_EVT_PTRACE, 101, 101, 70, 5, pt);
		assert_true(matches(&w, ev, "evt.arg.request = PTRACE_ATTACH and evt.rawarg.request = 16"));
		ev = mk_ev(&e2, KCAP_EVT_KILL, 101, 101, 71, 3, kill);
		assert_true(matches(&w, ev, "evt.arg.sig = SIGKILL and evt.rawarg.sig = 9"));
		ev = mk_ev(&e2, KCAP_EVT_CHMOD, 101, 101, 72, 3, chmod);
		assert_true(matches(&w, ev, "evt.arg.mode contains S_ISUID and evt.rawarg.mode = 2541"));
		assert_true(matches(&w, ev, "evt.arg.mode = \"S_ISUID|S_IRUSR|S_IWUSR|S_IXUSR|S_IRGRP|S_IXGRP|S_IROTH|S_IXOTH\""));
	}
	kcap_state_free(w.st);
}

/* What older releases of Falco's rules use: %container.info, empty lists. */
static void test_older_falco_rules(void **state)
{
	struct world w;
	struct kcap_rules *r;
	struct hits h = { 0 };

	(void)state;
	world_init(&w);
	assert_int_equal(one_rule(&r, "- list: c2_ips\n  items: []\n",
				  "evt.type = connect and not fd.sip in (c2_ips)",
				  "connect %proc.name %container.info"),
			 0);
	assert_int_equal(kcap_rules_eval(r, w.st, NULL, w.connect_ev, on_alert, &h), 1);
	/* without -pk/-pc, Falco writes "%container.name (id=%container.id)" */
	assert_non_null(strstr(h.out[0], "connect cat <NA> (id=0123456789ab)"));
	kcap_rules_free(r);
	h.n = 0;
	assert_int_equal(one_rule(&r, "- list: c2_ips\n  items: []\n",
				  "evt.type = connect and fd.sip in (c2_ips)", NULL),
			 0);
	assert_int_equal(kcap_rules_eval(r, w.st, NULL, w.connect_ev, on_alert, &h), 0);
	kcap_rules_free(r);
	kcap_state_free(w.st);
}

static void test_lists_macros_exceptions(void **state)
{
	struct world w;
	struct kcap_rules *r;
	struct hits h = { 0 };
	const char *rules =
		"- list: l1\n  items: [/etc/passwd]\n"
		"- list: l2\n  items: [l1, \"/etc/shadow\"]\n"
		"- macro: m1\n  condition: fd.name in (l2)\n"
		"- macro: m2\n  condition: m1 and proc.name = cat\n"
		"- rule: r1\n  desc: d\n  condition: evt.type = openat and m2\n"
		"  output: \"read %fd.name by %proc.name (%proc.aname[1]) %container.name\"\n"
		"  priority: warning\n  tags: [a, b]\n"
		"  exceptions:\n"
		"    - name: by_user\n      fields: [user.uid, proc.pname]\n"
		"      comps: [=, in]\n      values:\n        - [1000, [zsh]]\n"
		"- rule: r2\n  desc: d\n  condition: evt.type = openat\n  output: x\n  priority: debug\n"
		"- rule: r2\n  enabled: false\n";

	(void)state;
	world_init(&w);
	r = kcap_rules_new();
	assert_int_equal(kcap_rules_load_string(r, "a.yaml", rules), 0);
	assert_int_equal(kcap_rules_compile(r), 0);
	assert_int_equal(kcap_rules_eval(r, w.st, NULL, w.open_ev, on_alert, &h), 1);
	assert_string_equal(h.rule[0], "r1");
	assert_string_equal(h.out[0], "read /etc/shadow by cat (bash) <NA>");
	assert_int_equal(kcap_rules_eval(r, w.st, NULL, w.connect_ev, on_alert, &h), 0);
	/* an exception row that matches suppresses the alert */
	assert_int_equal(kcap_rules_load_string(
				 r, "b.yaml",
				 "- rule: r1\n  exceptions:\n    - name: by_user\n"
				 "      values:\n        - [1000, [zsh, bash]]\n  override:\n"
				 "    exceptions: append\n"),
			 0);
	assert_int_equal(kcap_rules_compile(r), 0);
	assert_int_equal(kcap_rules_eval(r, w.st, NULL, w.open_ev, on_alert, &h), 0);
	/* an output appended to a folded one stays on one line */
	assert_int_equal(kcap_rules_load_string(
				 r, "f.yaml",
				 "- rule: r3\n  desc: d\n  condition: evt.type = openat and m2\n"
				 "  output: >\n    read %fd.name\n    by %proc.name\n  priority: debug\n"
				 "- rule: r3\n  output: >\n    (appended)\n  override:\n"
				 "    output: append\n"),
			 0);
	assert_int_equal(kcap_rules_compile(r), 0);
	h.n = 0;
	assert_int_equal(kcap_rules_eval(r, w.st, NULL, w.open_ev, on_alert, &h), 1);
	assert_string_equal(h.rule[0], "r3");
	assert_string_equal(h.out[0], "read /etc/shadow by cat (appended)");
	assert_int_equal(kcap_rules_load_string(r, "g.yaml", "- rule: r3\n  enabled: false\n"), 0);
	/* append to a list and a condition */
	assert_int_equal(kcap_rules_load_string(
				 r, "c.yaml",
				 "- rule: r2\n  enabled: true\n"
				 "- rule: r2\n  condition: and fd.name in (l1)\n  append: true\n"
				 "- list: l1\n  items: [/etc/shadow]\n  append: true\n"),
			 0);
	assert_int_equal(kcap_rules_compile(r), 0);
	h.n = 0;
	assert_int_equal(kcap_rules_eval(r, w.st, NULL, w.open_ev, on_alert, &h), 1);
	assert_string_equal(h.rule[0], "r2");
	kcap_rules_set_min_priority(r, KCAP_PRIO_WARNING);
	assert_int_equal(kcap_rules_compile(r), 0);
	assert_int_equal(kcap_rules_eval(r, w.st, NULL, w.open_ev, on_alert, &h), 0);
	kcap_rules_free(r);
	kcap_state_free(w.st);
}

static void expect_error(const char *prefix, const char *cond, const char *msg)
{
	struct kcap_rules *r;

	assert_int_not_equal(one_rule(&r, prefix, cond, NULL), 0);
	if (!strstr(kcap_rules_errmsg(r), msg))
		fail_msg("'%s': got '%s', want '%s'", cond, kcap_rules_errmsg(r), msg);
	kcap_rules_free(r);
}

static void test_malformed(void **state)
{
	(void)state;
	/* condition errors point into the file: line 3, column of the problem */
	expect_error("", "proc.nam = x", "t.yaml:3:14: rule 't': condition: unknown field 'proc.nam'");
	expect_error("", "proc.name = x and", "t.yaml:3:31: rule 't': condition: unexpected end");
	expect_error("", "proc.name = x or (fd.num = 1", "expected ')'");
	expect_error("", "proc.name = x)", "unbalanced ')'");
	expect_error("", "proc.name", "expected a comparison operator");
	expect_error("", "proc.name = 'x", "unterminated string");
	expect_error("", "proc.pid = abc", "t.yaml:3:25: rule 't': condition: proc.pid expects a number");
	expect_error("", "proc.name in (a, b", "expected ',' or ')'");
	expect_error("", "no_such_macro", "undefined macro 'no_such_macro'");
	expect_error("", "evt.arg = 1", "evt.arg needs a parameter name");
	expect_error("", "proc.aname[x] = a", "must be a number");
	expect_error("- macro: m\n  condition: fd.nme = 1\n", "m",
		     "t.yaml:2:14: macro 'm': condition: unknown field 'fd.nme'");
	expect_error("- macro: m\n  condition: m\n", "m", "a macro that uses itself");
	expect_error("- rule: x\n  desc: d\n", "a", "t.yaml:1:3: rule 'x' has no condition");
	expect_error("- rule: x\n  condition: a\n  output: o\n  priority: LOUD\n", "a",
		     "t.yaml:4:13: unknown priority 'LOUD'");
	expect_error("- list: l\n  items: x\n", "a", "t.yaml:2:10: items must be a list");
	expect_error("- nothing: x\n", "a", "t.yaml:1:3: unknown item");
	expect_error("- rule: [\n", "a", "t.yaml:");
	expect_error("- macro: m\n  condition: a\n  append: true\n", "a",
		     "appends to a macro not defined before");
	expect_error("- list: l\n  items: [a]\n  append: maybe\n", "a", "append must be true or false");
}

static void test_multiline_location(void **state)
{
	struct kcap_rules *r = kcap_rules_new();

	(void)state;
	assert_int_equal(kcap_rules_load_string(r, "m.yaml",
						"- rule: x\n  desc: d\n  condition: >\n"
						"    evt.type = openat\n    and proc.nmae = x\n"
						"  output: o\n  priority: info\n"),
			 0);
	assert_int_not_equal(kcap_rules_compile(r), 0);
	assert_string_equal(kcap_rules_errmsg(r),
			    "m.yaml:5:9: rule 'x': condition: unknown field 'proc.nmae'");
	kcap_rules_free(r);
}

static void test_type_index(void **state)
{
	struct world w;
	struct kcap_rules *r;
	struct hits h = { 0 };

	(void)state;
	world_init(&w);
	assert_int_equal(one_rule(&r, "", "proc.name = cat", NULL), 0);
	/* a rule without an event type is checked everywhere, with a warning */
	assert_non_null(kcap_rules_warning(r, 0));
	assert_int_equal(kcap_rules_eval(r, w.st, NULL, w.connect_ev, on_alert, &h), 1);
	kcap_rules_free(r);
	assert_int_equal(one_rule(&r, "", "evt.type in (connect, close) or evt.type = execve", NULL), 0);
	assert_null(kcap_rules_warning(r, 0));
	assert_int_equal(kcap_rules_eval(r, w.st, NULL, w.open_ev, on_alert, &h), 0);
	assert_int_equal(kcap_rules_eval(r, w.st, NULL, w.connect_ev, on_alert, &h), 1);
	kcap_rules_free(r);
	kcap_state_free(w.st);
}

static void test_state_lifecycle(void **state)
{
	struct kcap_state_opts o = { .sz = sizeof(o), .max_threads = 4, .passwd = "/nonexistent" };
	struct kcap_state *st = kcap_state_new(&o);
	struct kcap_state_stats s;
	struct evb e;
	unsigned int i;

	(void)state;
	assert_non_null(st);
	for (i = 0; i < 10; i++) {
		struct p fork[] = { { U32(1000 + i) }, { U32(1000 + i) }, { STR("sh") } };

		kcap_state_update(st, NULL, mk_ev(&e, KCAP_EVT_PROC_FORK, 1, 1, 10 + i, 3, fork));
	}
	kcap_state_stats(st, &s, sizeof(s));
	assert_true(s.threads <= 4);
	assert_true(s.threads_evicted > 0);
	{
		struct p ex[] = { { S64(0) }, { STR("sh") } };

		kcap_state_update(st, NULL, mk_ev(&e, KCAP_EVT_PROC_EXIT, 1009, 1009, 50, 2, ex));
		kcap_state_update(st, NULL, mk_ev(&e, KCAP_EVT_DROP, 0, 0, 51, 0, NULL));
	}
	kcap_state_stats(st, &s, sizeof(s));
	assert_int_equal(s.threads_reaped, 1);
	kcap_state_free(st);
}

/* kcap_state_thread(): the table's view of a thread, read-only. */
static void test_state_thread_lookup(void **state)
{
	struct kcap_state_stats before, after;
	struct kcap_thread_info t;
	struct world w;
	struct { __u32 tid, pid; } small;

	(void)state;
	world_init(&w);
	kcap_state_stats(w.st, &before, sizeof(before));
	assert_int_equal(kcap_state_thread(w.st, 101, &t, sizeof(t)), 0);
	assert_int_equal(t.tid, 101);
	assert_int_equal(t.pid, 101);
	assert_int_equal(t.ppid, 100);
	assert_string_equal(t.comm, "cat");
	assert_string_equal(t.exe, "/bin/cat");
	assert_int_equal(t.argv_len, sizeof("cat\0/etc/shadow"));
	assert_memory_equal(t.argv, "cat\0/etc/shadow", t.argv_len);
	assert_string_equal(t.cwd, "/root");
	assert_int_equal(t.uid, 1000);
	assert_int_equal(t.euid, 1000);
	assert_int_equal(t.gid, 1000);
	assert_int_equal(t.loginuid, 1000);
	assert_int_equal(t.tty, (136 << 20) | 1);
	assert_int_equal(t.vpid, 7);
	assert_int_equal(t.exited, 0);
	assert_string_equal(t.user, ""); /* no passwd file */
	assert_string_equal(t.cgroup, "/system.slice/docker-" ID64 ".scope");
	assert_string_equal(t.container.short_id, "0123456789ab");
	assert_string_equal(t.container.id, ID64);
	assert_string_equal(t.container.runtime, "docker");
	/* the parent, known from its fork event only: its comm, no image */
	assert_int_equal(kcap_state_thread(w.st, 100, &t, sizeof(t)), 0);
	assert_string_equal(t.comm, "bash");
	assert_string_equal(t.exe, "");
	assert_string_equal(t.container.short_id, "host");
	assert_int_equal(t.loginuid, 0xffffffffu);
	/* unknown threads are not added by a lookup; a shorter struct works */
	assert_int_equal(kcap_state_thread(w.st, 4242, &t, sizeof(t)), -ENOENT);
	assert_int_equal(kcap_state_thread(w.st, 101, (struct kcap_thread_info *)&small,
					   sizeof(small)),
			 0);
	assert_int_equal(small.tid, 101);
	assert_int_equal(kcap_state_thread(NULL, 101, &t, sizeof(t)), -EINVAL);
	kcap_state_stats(w.st, &after, sizeof(after));
	assert_int_equal(after.threads, before.threads);
	assert_int_equal(after.misses, before.misses);
	kcap_state_free(w.st);
}

/* kcap_filter_*: the same answer as a rule with that condition, for events
 * of the selected types and of others; syntax errors name the column. */
static void test_filter_api(void **state)
{
	static const char *const conds[] = {
		"evt.type = openat",
		"evt.type = close",
		"evt.type in (openat, connect) and proc.name = cat",
		"proc.name = cat and fd.name startswith /etc/",
		"not evt.type = openat",
		"evt.type = close or fd.num = 3",
		"fd.typechar = 4 and fd.dport = 443",
	};
	char err[256] = "";
	KCAP_OPTS(kcap_filter_opts, o, .errbuf = err, .errbuf_sz = sizeof(err));
	struct world w;
	unsigned int i, j;

	(void)state;
	world_init(&w);
	for (i = 0; i < sizeof(conds) / sizeof(conds[0]); i++) {
		const struct kcap_event_hdr *evs[] = { w.open_ev, w.connect_ev, w.exec_ev };
		struct kcap_filter *f = kcap_filter_compile(conds[i], &o);

		assert_non_null(f);
		for (j = 0; j < 3; j++)
			assert_int_equal(kcap_filter_match(f, w.st, NULL, evs[j]),
					 matches(&w, evs[j], conds[i]) ? 1 : 0);
		kcap_filter_free(f);
	}
	/* what needs the thread table, and the same answers without it when
	 * nothing does */
	{
		static const struct {
			const char *cond;
			bool state;
		} ns[] = {
			{ "evt.type = openat", false },
			{ "evt.type in (openat, connect) and evt.res = SUCCESS", false },
			{ "evt.rawarg.flags > 0 or evt.num > 2", false },
			{ "not evt.is_open_read = true", false },
			{ "evt.type = openat and proc.name = cat", true },
			{ "fd.name startswith /etc/", true },
			{ "evt.type = openat and (evt.num = 0 or user.uid = 0)", true },
			{ "evt.rawtime > 0", true },
			{ "evt.type = val(proc.name)", true },
		};
		const struct kcap_event_hdr *evs[] = { w.open_ev, w.connect_ev, w.exec_ev };

		for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
			struct kcap_filter *f = kcap_filter_compile(ns[i].cond, &o), *g;

			assert_non_null(f);
			if (kcap_filter_needs_state(f) != ns[i].state)
				fail_msg("%s: needs state %d", ns[i].cond, !ns[i].state);
			g = kcap_filter_compile(ns[i].cond, &o);
			for (j = 0; !ns[i].state && j < 3; j++)
				assert_int_equal(kcap_filter_match(f, NULL, NULL, evs[j]),
						 kcap_filter_match(g, w.st, NULL, evs[j]));
			kcap_filter_free(f);
			kcap_filter_free(g);
		}
		assert_false(kcap_filter_needs_state(NULL));
	}
	errno = 0;
	assert_null(kcap_filter_compile("fd.name = ", &o));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "column"));
	assert_null(kcap_filter_compile("foo.bar = 1", &o));
	assert_non_null(strstr(err, "foo.bar"));
	assert_null(kcap_filter_compile(NULL, NULL));
	assert_int_equal(kcap_filter_match(NULL, w.st, NULL, w.open_ev), -EINVAL);
	kcap_filter_free(NULL);
	kcap_state_free(w.st);
}

/*
 * evt.type checks are answered from the event's key (kcap__evt_key()) when
 * the key names the event: the same answers as comparing the extracted
 * name, which tolower() (no key test: a transformer) still does.
 */
static void test_evt_type_keys(void **state)
{
	static const char *const sets[] = {
		"openat", "open", "execve", "procexit", "proc_exec", "proc_exit", "proc_fork",
		"syscall", "dup2", "getppid", "openat, close", "open, openat, openat2",
		"execve, execveat", "syscall, dup2", "reboot", "socketcall",
	};
	static const unsigned char nr_dup2 = 33, nr_unnamed[2] = { 0xe8, 0x03 }; /* 1000 */
	static const unsigned char nr_open32 = 5, res0 = 0;
	static const unsigned char nr_gpp = 110, nr_sockcall32 = 102;
	const struct p dup2[] = { { &nr_dup2, 1 }, { &res0, 1 } };
	const struct p unnamed[] = { { nr_unnamed, 2 }, { &res0, 1 } };
	const struct p open32[] = { { &nr_open32, 1 }, { &res0, 1 } };
	const struct p gpp[] = { { &nr_gpp, 1 }, { &res0, 1 } };
	const struct p sockcall32[] = { { &nr_sockcall32, 1 }, { &res0, 1 } };
	const struct p none[] = { { NULL, 0 } };
	struct evb e[9];
	const struct kcap_event_hdr *evs[9];
	const char *const want[9] = { "dup2", "syscall", "open", "getppid", "execve", "procexit",
				      "proc_fork", "socketcall", NULL };
	struct world w;
	unsigned int i, j, k, n = 0;
	char c1[128], c2[128];

	(void)state;
	world_init(&w);
	evs[n++] = mk_ev(&e[0], KCAP_EVT_SYSCALL, 101, 101, 10, 2, dup2);
	evs[n++] = mk_ev(&e[1], KCAP_EVT_SYSCALL, 101, 101, 11, 2, unnamed);
	evs[n] = mk_ev(&e[2], KCAP_EVT_SYSCALL, 101, 101, 12, 2, open32);
	e[2].u.h.flags |= KCAP_EVF_COMPAT; /* ia32's open: 5 */
	n++;
	evs[n++] = mk_ev(&e[3], KCAP_EVT_SYSCALL_ENTER, 101, 101, 13, 2, gpp);
	evs[n++] = mk_ev(&e[4], KCAP_EVT_PROC_EXEC, 101, 101, 14, 0, none);
	evs[n++] = mk_ev(&e[5], KCAP_EVT_PROC_EXIT, 101, 101, 15, 0, none);
	evs[n++] = mk_ev(&e[6], KCAP_EVT_PROC_FORK, 101, 101, 16, 0, none);
	evs[n] = mk_ev(&e[7], KCAP_EVT_SYSCALL, 101, 101, 17, 2, sockcall32);
	e[7].u.h.flags |= KCAP_EVF_COMPAT;
	n++;
	evs[n++] = w.open_ev;
	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		for (k = 0; k < 3; k++) {
			struct kcap_filter *f1, *f2;
			static const char *const fmt[3][2] = {
				{ "evt.type in (%s)", "tolower(evt.type) in (%s)" },
				{ "not evt.type in (%s)", "not tolower(evt.type) in (%s)" },
				{ "evt.type = %s", "tolower(evt.type) = %s" },
			};

			if (k == 2 && strchr(sets[i], ','))
				continue;
			snprintf(c1, sizeof(c1), fmt[k][0], sets[i]);
			snprintf(c2, sizeof(c2), fmt[k][1], sets[i]);
			f1 = kcap_filter_compile(c1, NULL);
			f2 = kcap_filter_compile(c2, NULL);
			assert_non_null(f1);
			assert_non_null(f2);
			for (j = 0; j < n; j++) {
				int a = kcap_filter_match(f1, w.st, NULL, evs[j]);
				int b = kcap_filter_match(f2, w.st, NULL, evs[j]);

				if (a != b)
					fail_msg("%s: %d, %s: %d (event %u)", c1, a, c2, b, j);
				/* and the name itself, where it is one of the set */
				if (k == 0 && want[j] && !strcmp(sets[i], want[j]))
					assert_int_equal(a, 1);
			}
			kcap_filter_free(f1);
			kcap_filter_free(f2);
		}
	}
	/* != of one name */
	{
		struct kcap_filter *f = kcap_filter_compile("evt.type != openat", NULL);

		assert_int_equal(kcap_filter_match(f, w.st, NULL, w.open_ev), 0);
		assert_int_equal(kcap_filter_match(f, w.st, NULL, evs[0]), 1);
		kcap_filter_free(f);
	}
	kcap_state_free(w.st);
}

/* kcap_output_*: Falco-style output formats rendered with the fields. */
static void test_output_api(void **state)
{
	char err[256] = "", buf[256];
	KCAP_OPTS(kcap_output_opts, o, .errbuf = err, .errbuf_sz = sizeof(err));
	const char *want = "cat opened /etc/shadow (openat) 100% fd=3";
	struct kcap_output *out;
	struct world w;

	(void)state;
	world_init(&w);
	out = kcap_output_compile("%proc.name opened %fd.name (%evt.type) 100% fd=%fd.num", &o);
	assert_non_null(out);
	assert_int_equal(kcap_output_render(out, w.st, NULL, w.open_ev, buf, sizeof(buf)),
			 (int)strlen(want));
	assert_string_equal(buf, want);
	/* snprintf's contract */
	assert_int_equal(kcap_output_render(out, w.st, NULL, w.open_ev, buf, 5), (int)strlen(want));
	assert_string_equal(buf, "cat ");
	assert_int_equal(kcap_output_render(out, w.st, NULL, w.open_ev, NULL, 0), (int)strlen(want));
	/* without state: no process or descriptor */
	kcap_output_render(out, NULL, NULL, w.open_ev, buf, sizeof(buf));
	assert_string_equal(buf, "<NA> opened <NA> (openat) 100% fd=<NA>");
	assert_true(kcap_output_needs_state(out));
	kcap_output_free(out);
	/* evt.* but the time: the same text without the thread table */
	out = kcap_output_compile("%evt.type %evt.res %evt.arg.flags %evt.num", &o);
	assert_non_null(out);
	assert_false(kcap_output_needs_state(out));
	{
		char with[256];

		kcap_output_render(out, w.st, NULL, w.open_ev, with, sizeof(with));
		kcap_output_render(out, NULL, NULL, w.open_ev, buf, sizeof(buf));
		/* evt.num counts the renders: one more the second time */
		assert_int_equal(strncmp(with, buf, strrchr(with, ' ') - with), 0);
	}
	kcap_output_free(out);
	out = kcap_output_compile("%evt.time %evt.type", &o);
	assert_true(kcap_output_needs_state(out));
	kcap_output_free(out);
	assert_false(kcap_output_needs_state(NULL));
	errno = 0;
	assert_null(kcap_output_compile("x %foo.bar y", &o));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "column 3: unknown field %foo.bar"));
	assert_int_equal(kcap_output_render(NULL, w.st, NULL, w.open_ev, buf, sizeof(buf)), -EINVAL);
	kcap_output_free(NULL);
	kcap_state_free(w.st);
}

/*
 * The IPv4 text parser the IP checks try first accepts exactly what
 * inet_pton(AF_INET) accepts, with the same bytes: fixed cases, then
 * random strings of digits and dots (and a few others).
 */
static void test_ip4_fast(void **state)
{
	static const char *const cases[] = {
		"127.0.0.1", "0.0.0.0", "255.255.255.255", "256.1.1.1", "01.2.3.4", "1.2.3",
		"1.2.3.4.", "1..2.3", "1.2.3.4 ", "00.0.0.0", "1.2.3.04", "100.200.10.0",
		"1.2.3.1000", "999.1.1.1", "", ".1.2.3.4", "10.0.0.1/8", "1.2.3.a", "1.2.3.-1",
		"1.2.3.4.5", "300.300.300.300", "9.99.199.249", "0.00.0.0",
	};
	static const char alphabet[] = "0123456789012345678901234567890123456789....x/";
	char buf[24];
	unsigned int seed = 18;
	__u8 addr[4];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]) + 50000; i++) {
		const char *s = buf;
		struct in_addr ia;
		bool want, got;

		if (i < sizeof(cases) / sizeof(cases[0])) {
			s = cases[i];
		} else {
			size_t n = (size_t)(rand_r(&seed) % 17);

			for (size_t k = 0; k < n; k++)
				buf[k] = alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
			buf[n] = '\0';
		}
		want = inet_pton(AF_INET, s, &ia) == 1;
		memset(addr, 0xee, sizeof(addr));
		got = kcap__ip4_fast(s, strlen(s), addr);
		if (got != want)
			fail_msg("kcap__ip4_fast(\"%s\") = %d, inet_pton %d", s, got, want);
		if (got)
			assert_memory_equal(addr, &ia, 4);
	}
	/* the length counts, not a NUL */
	assert_true(kcap__ip4_fast("1.2.3.45", 7, addr));
	assert_memory_equal(addr, "\x01\x02\x03\x04", 4);
	assert_false(kcap__ip4_fast("1.2.3.4", 6, addr));
}

static const struct CMUnitTest detect_tests[] = {
	cmocka_unit_test(test_filter_api),
	cmocka_unit_test(test_evt_type_keys),
	cmocka_unit_test(test_ip4_fast),
	cmocka_unit_test(test_output_api),
	cmocka_unit_test(test_container_ids),
	cmocka_unit_test(test_fields_and_operators),
	cmocka_unit_test(test_abi_2_2_fields),
	cmocka_unit_test(test_abi3_generic_fields),
	cmocka_unit_test(test_older_falco_rules),
	cmocka_unit_test(test_lists_macros_exceptions),
	cmocka_unit_test(test_malformed),
	cmocka_unit_test(test_multiline_location),
	cmocka_unit_test(test_type_index),
	cmocka_unit_test(test_state_lifecycle),
	cmocka_unit_test(test_state_thread_lookup),
};

UNIT_GROUP(detect, detect_tests)
