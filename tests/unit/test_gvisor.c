// SPDX-License-Identifier: Apache-2.0
/*
 * The gVisor sink (userspace/lib/capture/gvisor.c) against fake sandboxes:
 * clients on a real unix SOCK_SEQPACKET socket that speak runsc's remote
 * sink protocol (handshake, 8-byte header, kcap.gvisor messages packed by
 * protobuf-c), with well-formed and malformed input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "capture/source.h"
#include "gvisor/kcap_gvisor.pb-c.h"
#include "kcap_detect.h"
#include "kcap_export.h"
#include "producer.h"
#include "unit.h"

#define MAX_LOG 32

struct gv_test {
	char dir[64];
	char path[128];
	struct kcap *h;
	char log[MAX_LOG][256];
	unsigned int nlog;
};

static void log_cb(void *arg, const char *msg)
{
	struct gv_test *t = arg;

	if (t->nlog < MAX_LOG)
		snprintf(t->log[t->nlog++], sizeof(t->log[0]), "%s", msg);
}

static bool logged(const struct gv_test *t, const char *what)
{
	unsigned int i;

	for (i = 0; i < t->nlog; i++)
		if (strstr(t->log[i], what))
			return true;
	return false;
}

static struct kcap *sink_open(struct gv_test *t, int hs_timeout_ms)
{
	KCAP_OPTS(kcap_gvisor_opts, o, .holdback_ns = KCAP_HOLDBACK_NONE, .poll_timeout_ms = 5,
		  .handshake_timeout_ms = hs_timeout_ms, .log = log_cb, .log_arg = t);

	t->h = kcap_open_gvisor(t->path, &o);
	assert_non_null(t->h);
	return t->h;
}

static int gv_setup(void **state)
{
	struct gv_test *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "/tmp/kcap-gvisor-XXXXXX");
	if (!mkdtemp(t->dir)) {
		free(t);
		return -1;
	}
	snprintf(t->path, sizeof(t->path), "%s/sink.sock", t->dir);
	*state = t;
	return 0;
}

static int gv_teardown(void **state)
{
	struct gv_test *t = *state;

	kcap_close(t->h);
	unlink(t->path);
	rmdir(t->dir);
	free(t);
	return 0;
}

/* Pumps the sink once (accepts, answers handshakes, reads). */
static void pump(struct kcap *h)
{
	const struct kcap_event_hdr *ev;
	int err = kcap_next(h, &ev);

	assert_true(err == 0 || err == -EAGAIN);
}

/* A connected client that has sent @hs (NULL: a version 1 handshake). */
static int client_raw(struct gv_test *t)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memcpy(sa.sun_path, t->path, strlen(t->path));
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void send_handshake(int fd, unsigned int version)
{
	Kcap__Gvisor__Handshake hs = KCAP__GVISOR__HANDSHAKE__INIT;
	unsigned char buf[16];
	size_t n;

	hs.version = version;
	n = kcap__gvisor__handshake__pack(&hs, buf);
	assert_int_equal(send(fd, buf, n, 0), (ssize_t)n);
}

/* Waits up to 2 s for a packet on @fd: its length, 0 at EOF, -1 on timeout. */
static ssize_t recv_wait(struct kcap *h, int fd, void *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int i;

	for (i = 0; i < 400; i++) {
		if (h)
			pump(h);
		if (poll(&p, 1, 5) == 1)
			return recv(fd, buf, len, MSG_DONTWAIT);
	}
	return -1;
}

/* A client that completed the handshake. */
static int client(struct gv_test *t)
{
	Kcap__Gvisor__Handshake *hs;
	unsigned char buf[64];
	int fd = client_raw(t);
	ssize_t n;

	send_handshake(fd, 1);
	n = recv_wait(t->h, fd, buf, sizeof(buf));
	assert_true(n > 0);
	hs = kcap__gvisor__handshake__unpack(NULL, (size_t)n, buf);
	assert_non_null(hs);
	assert_int_equal(hs->version, 1);
	kcap__gvisor__handshake__free_unpacked(hs, NULL);
	return fd;
}

/* Sends @msg as message @type with the header's size @hsize (8 normally;
 * the bytes past 8 are zero) and dropped count @dropped. */
static void send_msg_hdr(int fd, unsigned int type, __u32 dropped, unsigned int hsize,
			 const ProtobufCMessage *msg)
{
	size_t n = msg ? protobuf_c_message_get_packed_size(msg) : 0;
	unsigned char *buf = calloc(1, hsize + n + 1);

	assert_non_null(buf);
	buf[0] = (unsigned char)hsize;
	buf[1] = (unsigned char)(hsize >> 8);
	buf[2] = (unsigned char)type;
	buf[3] = (unsigned char)(type >> 8);
	memcpy(buf + 4, &dropped, 4);
	if (msg)
		protobuf_c_message_pack(msg, buf + hsize);
	assert_int_equal(send(fd, buf, hsize + n, 0), (ssize_t)(hsize + n));
	free(buf);
}

static void send_msg(int fd, unsigned int type, __u32 dropped, const ProtobufCMessage *msg)
{
	send_msg_hdr(fd, type, dropped, 8, msg);
}

static void send_bytes(int fd, const void *p, size_t n)
{
	assert_int_equal(send(fd, p, n, 0), (ssize_t)n);
}

/* The next event, waiting up to 2 s. */
static const struct kcap_event_hdr *next_ev(struct kcap *h)
{
	const struct kcap_event_hdr *ev = NULL;
	int i, err;

	for (i = 0; i < 400; i++) {
		err = kcap_next(h, &ev);
		if (!err)
			return ev;
		assert_int_equal(err, -EAGAIN);
	}
	fail_msg("no event from the gVisor sink");
	return NULL;
}

/* Nothing more within 50 ms. */
static void no_more(struct kcap *h)
{
	const struct kcap_event_hdr *ev;
	int i;

	for (i = 0; i < 10; i++)
		assert_int_equal(kcap_next(h, &ev), -EAGAIN);
}

static __u64 now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

static void str_param(const struct kcap_event_hdr *ev, const char *name, const char *want)
{
	char buf[4200];
	int i = kcap_event_param_index(ev, name);

	assert_true(i >= 0);
	assert_true(kcap_event_str(ev, (unsigned int)i, buf, sizeof(buf)) >= 0);
	assert_string_equal(buf, want);
}

static __s64 num_param(const struct kcap_event_hdr *ev, const char *name)
{
	int i = kcap_event_param_index(ev, name);
	__s64 v;

	assert_true(i >= 0);
	assert_int_equal(kcap_event_s64(ev, (unsigned int)i, &v), 0);
	return v;
}

static void argv_param(const struct kcap_event_hdr *ev, const char *name, const char *want)
{
	struct kcap_strarray it;
	char got[512] = "";
	const char *s;
	size_t len;
	int i = kcap_event_param_index(ev, name);

	assert_true(i >= 0);
	assert_int_equal(kcap_event_strarray(ev, (unsigned int)i, &it), 0);
	kcap_strarray_for_each(&it, s, len)
	{
		if (*got)
			strcat(got, " ");
		strncat(got, s, len);
	}
	assert_string_equal(got, want);
}

static Kcap__Gvisor__ContextData ctx(Kcap__Gvisor__Credentials *cr, int tid, int tgid,
				     __s64 time_ns)
{
	Kcap__Gvisor__ContextData cd = KCAP__GVISOR__CONTEXT_DATA__INIT;

	cd.time_ns = time_ns;
	cd.thread_id = tid;
	cd.thread_group_id = tgid;
	cd.container_id = "sandbox-one";
	cd.cwd = "/root";
	cd.process_name = "cat";
	cd.credentials = cr;
	return cd;
}

#define T(x) KCAP__GVISOR__MESSAGE_TYPE__MESSAGE_##x

/* Every converted point, in the driver's layouts. */
static void test_gvisor_convert(void **state)
{
	struct gv_test *t = *state;
	Kcap__Gvisor__Credentials cr = KCAP__GVISOR__CREDENTIALS__INIT;
	Kcap__Gvisor__ContextData cd;
	Kcap__Gvisor__Exit ok = KCAP__GVISOR__EXIT__INIT, enoent = KCAP__GVISOR__EXIT__INIT;
	Kcap__Gvisor__ContainerStart cs = KCAP__GVISOR__CONTAINER_START__INIT;
	Kcap__Gvisor__CloneInfo cl = KCAP__GVISOR__CLONE_INFO__INIT;
	Kcap__Gvisor__ExecveInfo ex = KCAP__GVISOR__EXECVE_INFO__INIT;
	Kcap__Gvisor__Open op = KCAP__GVISOR__OPEN__INIT;
	Kcap__Gvisor__Connect cn = KCAP__GVISOR__CONNECT__INIT;
	Kcap__Gvisor__Socket so = KCAP__GVISOR__SOCKET__INIT;
	Kcap__Gvisor__Syscall raw = KCAP__GVISOR__SYSCALL__INIT;
	Kcap__Gvisor__TaskExit te = KCAP__GVISOR__TASK_EXIT__INIT;
	char *args[] = { "/bin/sh", "-c", "cat /etc/shadow" }, *eargv[] = { "cat", "/etc/shadow" };
	char *env[] = { "PATH=/bin" };
	unsigned char addr[16] = { 2, 0, 0, 80, 10, 0, 0, 1 }; /* AF_INET 10.0.0.1:80 */
	const struct kcap_event_hdr *ev;
	struct kcap_container c;
	struct kcap_cpu_stats st = { .cpu = 0 };
	__s64 t0 = (__s64)now_ns(CLOCK_REALTIME);
	__u64 mono = now_ns(CLOCK_MONOTONIC);
	char line[1024];
	int fd;

	sink_open(t, 0);
	fd = client(t);
	cr.real_uid = 1000;
	cr.effective_uid = 0;
	cr.real_gid = 100;
	ok.result = 3;
	enoent.errorno = 2;

	/* container/start: the container's first process, with a terminal */
	cd = ctx(&cr, 1, 1, t0);
	cd.process_name = "sh";
	cs.context_data = &cd;
	cs.id = "sandbox-one";
	cs.cwd = "/root";
	cs.args = args;
	cs.n_args = 3;
	cs.env = env;
	cs.n_env = 1;
	cs.terminal = true;
	send_msg(fd, T(CONTAINER_START), 0, &cs.base);
	ev = next_ev(t->h);
	assert_int_equal(ev->type, KCAP_EVT_EXECVE);
	assert_true(ev->flags & KCAP_EVF_GVISOR);
	assert_int_equal(KCAP_GVISOR_ID(ev->tid), 1);
	assert_int_equal(KCAP_GVISOR_SANDBOX(ev->tid), 1);
	assert_true(ev->tid & 0x80000000u);
	/* CLOCK_REALTIME became CLOCK_MONOTONIC */
	assert_true(ev->ts_ns >= mono - 1000000000ULL && ev->ts_ns <= mono + 1000000000ULL);
	assert_int_equal(num_param(ev, "res"), 0);
	str_param(ev, "filename", "/bin/sh");
	argv_param(ev, "argv", "/bin/sh -c cat /etc/shadow");
	argv_param(ev, "env", "PATH=/bin");
	str_param(ev, "cwd", "/root");
	str_param(ev, "comm", "sh");
	str_param(ev, "cgroup", "gvisor:sandbox-one");
	assert_int_equal(num_param(ev, "uid"), 1000);
	assert_int_equal(num_param(ev, "euid"), 0);
	assert_int_equal(num_param(ev, "gid"), 100);
	assert_int_equal(num_param(ev, "vpid"), 1);
	assert_true(num_param(ev, "tty") != 0);
	assert_true(kcap_event_format(t->h, ev, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, " flags=gvisor"));
	/* kcap.v1 says where it came from */
	assert_true(kcap_event_to_json(t->h, ev, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "\"origin\":\"ORIGIN_GVISOR\""));
	assert_non_null(strstr(line, "\"flags\":16"));

	/* the state layer's container id from that cgroup */
	assert_int_equal(kcap_container_from_cgroup("gvisor:sandbox-one", &c), 0);
	assert_string_equal(c.id, "sandbox-one");
	assert_string_equal(c.short_id, "sandbox-one");
	assert_string_equal(c.runtime, "gvisor");
	assert_int_equal(kcap_container_from_cgroup("gvisor:bad/id", &c), -ENOENT);
	assert_string_equal(c.short_id, "host");

	/* sentry/clone: a proc_fork of the parent */
	cd = ctx(&cr, 1, 1, t0 + 1000);
	cl.context_data = &cd;
	cl.created_thread_id = 7;
	cl.created_thread_group_id = 7;
	send_msg(fd, T(SENTRY_CLONE), 0, &cl.base);
	ev = next_ev(t->h);
	assert_int_equal(ev->type, KCAP_EVT_PROC_FORK);
	assert_int_equal((__u32)num_param(ev, "child_tid"), KCAP_GVISOR_TID(1, 7));
	assert_int_equal((__u32)num_param(ev, "child_pid"), KCAP_GVISOR_TID(1, 7));

	/* sentry/execve */
	cd = ctx(&cr, 7, 7, t0 + 2000);
	ex.context_data = &cd;
	ex.binary_path = "/usr/bin/cat";
	ex.argv = eargv;
	ex.n_argv = 2;
	send_msg(fd, T(SENTRY_EXEC), 0, &ex.base);
	ev = next_ev(t->h);
	assert_int_equal(ev->type, KCAP_EVT_EXECVE);
	assert_int_equal(ev->pid, KCAP_GVISOR_TID(1, 7));
	str_param(ev, "exe", "/usr/bin/cat");
	str_param(ev, "comm", "cat");
	argv_param(ev, "argv", "cat /etc/shadow");
	assert_int_equal(num_param(ev, "vtid"), 7);
	str_param(ev, "cgroup", "gvisor:sandbox-one");

	/* openat: the entry side is skipped, the exit side converted with
	 * the path resolved against the cwd */
	cd = ctx(&cr, 7, 7, t0 + 3000);
	op.context_data = &cd;
	op.sysno = 257;
	op.fd = -100;
	op.pathname = "../etc/shadow";
	op.flags = 0;
	send_msg(fd, T(SYSCALL_OPEN), 0, &op.base);
	op.exit = &ok;
	send_msg(fd, T(SYSCALL_OPEN), 0, &op.base);
	ev = next_ev(t->h);
	assert_int_equal(ev->type, KCAP_EVT_OPENAT);
	assert_int_equal(num_param(ev, "res"), 3);
	assert_int_equal(num_param(ev, "dirfd"), -100);
	str_param(ev, "name", "../etc/shadow");
	str_param(ev, "path", "/root/../etc/shadow");
	/* absolute, failed: no path */
	op.pathname = "/nonexistent";
	op.exit = &enoent;
	op.sysno = 2;
	send_msg(fd, T(SYSCALL_OPEN), 0, &op.base);
	ev = next_ev(t->h);
	assert_int_equal(ev->type, KCAP_EVT_OPEN);
	assert_int_equal(num_param(ev, "res"), -2);
	str_param(ev, "path", "");

	/* socket and connect */
	so.context_data = &cd;
	so.exit = &ok;
	so.domain = 2;
	so.type = 1;
	send_msg(fd, T(SYSCALL_SOCKET), 0, &so.base);
	ev = next_ev(t->h);
	assert_int_equal(ev->type, KCAP_EVT_SOCKET);
	assert_int_equal(num_param(ev, "domain"), 2);
	assert_int_equal(num_param(ev, "res"), 3);
	cn.context_data = &cd;
	cn.exit = &enoent;
	cn.fd = 3;
	cn.address.data = addr;
	cn.address.len = sizeof(addr);
	send_msg(fd, T(SYSCALL_CONNECT), 0, &cn.base);
	ev = next_ev(t->h);
	assert_int_equal(ev->type, KCAP_EVT_CONNECT);
	assert_int_equal(num_param(ev, "fd"), 3);
	{
		struct kcap_sockaddr sa;

		assert_int_equal(kcap_event_sockaddr(ev, 2, &sa), 0);
		assert_int_equal(sa.port, 80);
		assert_int_equal(sa.addr[0], 10);
	}

	/* a raw syscall point: the generic event */
	raw.context_data = &cd;
	raw.exit = &ok;
	raw.sysno = 39;
	raw.arg1 = 11;
	raw.arg6 = 66;
	send_msg(fd, T(SYSCALL_RAW), 0, &raw.base);
	ev = next_ev(t->h);
	assert_int_equal(ev->type, KCAP_EVT_SYSCALL);
	assert_int_equal(kcap_event_syscall_nr(ev), 39);
	assert_int_equal(num_param(ev, "a0"), 11);
	assert_int_equal(num_param(ev, "a5"), 66);
	assert_int_equal(num_param(ev, "res"), 3);

	/* a message type from a newer gVisor: skipped, the connection stays */
	send_msg(fd, 38, 0, &raw.base);
	/* a longer header than kcap knows: the message starts at its size */
	te.context_data = &cd;
	te.exit_status = 256;
	send_msg_hdr(fd, T(SENTRY_TASK_EXIT), 0, 16, &te.base);
	ev = next_ev(t->h);
	assert_int_equal(ev->type, KCAP_EVT_PROC_EXIT);
	assert_int_equal(num_param(ev, "code"), 256);
	str_param(ev, "comm", "cat");
	no_more(t->h);

	assert_int_equal(kcap_cpu_stats(t->h, 0, &st), 0);
	assert_int_equal(st.events, 9);
	assert_int_equal(st.drops[KCAP_DROP_FULL], 0);
	assert_int_equal(kcap_nr_rings(t->h), 1);
	assert_int_equal(t->nlog, 0);
	close(fd);
}

/* The credential, descriptor and socket calls of named points. */
static void test_gvisor_convert_more(void **state)
{
	struct gv_test *t = *state;
	Kcap__Gvisor__ContextData cd = ctx(NULL, 3, 3, (__s64)now_ns(CLOCK_REALTIME));
	Kcap__Gvisor__Exit ok = KCAP__GVISOR__EXIT__INIT, eperm = KCAP__GVISOR__EXIT__INIT;
	Kcap__Gvisor__Setid si = KCAP__GVISOR__SETID__INIT;
	Kcap__Gvisor__Setresid sr = KCAP__GVISOR__SETRESID__INIT;
	Kcap__Gvisor__Dup du = KCAP__GVISOR__DUP__INIT;
	Kcap__Gvisor__Fcntl fc = KCAP__GVISOR__FCNTL__INIT;
	Kcap__Gvisor__Chroot ch = KCAP__GVISOR__CHROOT__INIT;
	Kcap__Gvisor__Bind bi = KCAP__GVISOR__BIND__INIT;
	Kcap__Gvisor__Accept ac = KCAP__GVISOR__ACCEPT__INIT;
	unsigned char un[] = { 1, 0, '/', 's' }; /* AF_UNIX "/s" */
	const struct kcap_event_hdr *ev;
	int fd;

	sink_open(t, 0);
	fd = client(t);
	ok.result = 7;
	eperm.errorno = 1;
	si.context_data = sr.context_data = du.context_data = fc.context_data = &cd;
	ch.context_data = bi.context_data = ac.context_data = &cd;

	si.exit = &eperm;
	si.sysno = 105;
	si.id = 0;
	send_msg(fd, T(SYSCALL_SETID), 0, &si.base);
	ev = next_ev(t->h);
	assert_int_equal(ev->type, KCAP_EVT_SETUID);
	assert_int_equal(num_param(ev, "res"), -1);
	assert_int_equal(num_param(ev, "uid"), 0);
	/* the capabilities after the call: not sent, left out */
	assert_int_equal(ev->nparams, 2);
	si.sysno = 112; /* setsid: no kcap event */
	send_msg(fd, T(SYSCALL_SETID), 0, &si.base);

	sr.exit = &ok;
	sr.sysno = 119;
	sr.rid = 1;
	sr.eid = 2;
	sr.sid = 3;
	send_msg(fd, T(SYSCALL_SETRESID), 0, &sr.base);
	ev = next_ev(t->h);
	assert_int_equal(ev->type, KCAP_EVT_SETRESGID);
	assert_int_equal(num_param(ev, "rgid"), 1);
	assert_int_equal(num_param(ev, "sgid"), 3);

	du.exit = &ok;
	du.sysno = 292;
	du.old_fd = 4;
	du.new_fd = 7;
	du.flags = 0x80000;
	send_msg(fd, T(SYSCALL_DUP), 0, &du.base);
	ev = next_ev(t->h);
	assert_int_equal(ev->type, KCAP_EVT_DUP3);
	assert_int_equal(num_param(ev, "oldfd"), 4);
	assert_int_equal(num_param(ev, "newfd"), 7);
	assert_int_equal(num_param(ev, "flags"), 0x80000);
	du.sysno = 32;
	send_msg(fd, T(SYSCALL_DUP), 0, &du.base);
	ev = next_ev(t->h);
	assert_int_equal(ev->type, KCAP_EVT_DUP);
	assert_int_equal(ev->nparams, 2);

	fc.exit = &ok;
	fc.fd = 3;
	fc.cmd = 1030; /* F_DUPFD_CLOEXEC */
	fc.args = 10;
	send_msg(fd, T(SYSCALL_FCNTL), 0, &fc.base);
	ev = next_ev(t->h);
	assert_int_equal(ev->type, KCAP_EVT_FCNTL);
	assert_int_equal(num_param(ev, "cmd"), 1030);
	assert_int_equal(num_param(ev, "arg"), 10);

	ch.exit = &eperm;
	ch.pathname = "/jail";
	send_msg(fd, T(SYSCALL_CHROOT), 0, &ch.base);
	ev = next_ev(t->h);
	assert_int_equal(ev->type, KCAP_EVT_CHROOT);
	str_param(ev, "path", "/jail");

	bi.exit = &ok;
	bi.fd = 3;
	bi.address.data = un;
	bi.address.len = sizeof(un);
	send_msg(fd, T(SYSCALL_BIND), 0, &bi.base);
	ev = next_ev(t->h);
	assert_int_equal(ev->type, KCAP_EVT_BIND);
	{
		struct kcap_sockaddr sa;

		assert_int_equal(kcap_event_sockaddr(ev, 2, &sa), 0);
		assert_string_equal(sa.path, "/s");
	}

	ac.exit = &ok;
	ac.sysno = 288;
	ac.fd = 3;
	ac.flags = 0x800;
	send_msg(fd, T(SYSCALL_ACCEPT), 0, &ac.base);
	ev = next_ev(t->h);
	assert_int_equal(ev->type, KCAP_EVT_ACCEPT4);
	assert_int_equal(num_param(ev, "res"), 7);
	assert_int_equal(num_param(ev, "flags"), 0x800);
	no_more(t->h);
	close(fd);
}

/* The raw bytes of parameter @name: its length, the bytes in *@p. */
static __u16 bytes_param(const struct kcap_event_hdr *ev, const char *name, const void **p)
{
	int i = kcap_event_param_index(ev, name);
	__u16 len;

	assert_true(i >= 0);
	assert_int_equal(kcap_event_param(ev, (unsigned int)i, p, &len), 0);
	return len;
}

/* read/write without data (truncated), socketpair, fchdir, a failed
 * execveat; the vector reads, setsid and a successful execveat counted. */
static void test_gvisor_convert_io(void **state)
{
	struct gv_test *t = *state;
	Kcap__Gvisor__ContextData cd = ctx(NULL, 4, 4, (__s64)now_ns(CLOCK_REALTIME));
	Kcap__Gvisor__Exit ok = KCAP__GVISOR__EXIT__INIT, zero = KCAP__GVISOR__EXIT__INIT,
			   enoent = KCAP__GVISOR__EXIT__INIT;
	Kcap__Gvisor__Read rd = KCAP__GVISOR__READ__INIT;
	Kcap__Gvisor__SocketPair sp = KCAP__GVISOR__SOCKET_PAIR__INIT;
	Kcap__Gvisor__Chdir fc = KCAP__GVISOR__CHDIR__INIT;
	Kcap__Gvisor__Execve ex = KCAP__GVISOR__EXECVE__INIT;
	Kcap__Gvisor__Setid si = KCAP__GVISOR__SETID__INIT;
	char *argv[] = { "x", "-y" };
	struct kcap_gvisor_stats gs;
	const struct kcap_event_hdr *ev;
	const void *p;
	__s32 fds[2];
	__u64 skipped;
	int fd;

	sink_open(t, 0);
	fd = client(t);
	ok.result = 12;
	enoent.errorno = 2;
	rd.context_data = sp.context_data = fc.context_data = ex.context_data = &cd;
	si.context_data = &cd;

	rd.exit = &ok;
	rd.sysno = 0;
	rd.fd = 5;
	rd.count = 4096;
	send_msg(fd, T(SYSCALL_READ), 0, &rd.base);
	ev = next_ev(t->h);
	assert_int_equal(ev->type, KCAP_EVT_READ);
	assert_int_equal(num_param(ev, "res"), 12);
	assert_int_equal(num_param(ev, "fd"), 5);
	assert_int_equal(num_param(ev, "size"), 4096);
	assert_int_equal(bytes_param(ev, "data", &p), 0);
	assert_int_equal(ev->flags, KCAP_EVF_GVISOR | KCAP_EVF_TRUNCATED);
	/* end of file: nothing was read, nothing was cut */
	rd.exit = &zero;
	send_msg(fd, T(SYSCALL_READ), 0, &rd.base);
	ev = next_ev(t->h);
	assert_int_equal(ev->type, KCAP_EVT_READ);
	assert_int_equal(ev->flags, KCAP_EVF_GVISOR);
	/* pwrite64: the offset; a write's data is its count, cut even when it failed */
	rd.exit = &enoent;
	rd.sysno = 18;
	rd.count = 10;
	rd.has_offset = 1;
	rd.offset = 512;
	send_msg(fd, T(SYSCALL_WRITE), 0, &rd.base);
	ev = next_ev(t->h);
	assert_int_equal(ev->type, KCAP_EVT_PWRITE64);
	assert_int_equal(num_param(ev, "res"), -2);
	assert_int_equal(num_param(ev, "pos"), 512);
	assert_int_equal(num_param(ev, "size"), 10);
	assert_int_equal(bytes_param(ev, "data", &p), 0);
	assert_int_equal(ev->flags, KCAP_EVF_GVISOR | KCAP_EVF_TRUNCATED);
	rd.sysno = 1;
	rd.count = 0;
	rd.exit = &zero;
	send_msg(fd, T(SYSCALL_WRITE), 0, &rd.base);
	ev = next_ev(t->h);
	assert_int_equal(ev->type, KCAP_EVT_WRITE);
	assert_int_equal(ev->flags, KCAP_EVF_GVISOR);

	/* counted, not converted: readv, setsid, a successful execveat */
	assert_int_equal(kcap_gvisor_stats(t->h, &gs), 0);
	skipped = gs.skipped;
	rd.sysno = 19;
	send_msg(fd, T(SYSCALL_READ), 0, &rd.base);
	si.exit = &ok;
	si.sysno = 112;
	send_msg(fd, T(SYSCALL_SETID), 0, &si.base);
	ex.exit = &zero;
	ex.sysno = 322;
	ex.pathname = "x";
	send_msg(fd, T(SYSCALL_EXECVE), 0, &ex.base);

	sp.exit = &zero;
	sp.domain = 1;
	sp.type = 1;
	sp.socket1 = 6;
	sp.socket2 = 7;
	send_msg(fd, T(SYSCALL_SOCKETPAIR), 0, &sp.base);
	ev = next_ev(t->h);
	assert_int_equal(ev->type, KCAP_EVT_SOCKETPAIR);
	assert_int_equal(num_param(ev, "domain"), 1);
	assert_int_equal(bytes_param(ev, "fds", &p), 8);
	memcpy(fds, p, 8);
	assert_int_equal(fds[0], 6);
	assert_int_equal(fds[1], 7);
	assert_int_equal(kcap_gvisor_stats(t->h, &gs), 0);
	assert_int_equal(gs.skipped, skipped + 3);

	fc.exit = &zero;
	fc.sysno = 81;
	fc.fd = 3;
	fc.fd_path = "/var/tmp";
	send_msg(fd, T(SYSCALL_CHDIR), 0, &fc.base);
	ev = next_ev(t->h);
	assert_int_equal(ev->type, KCAP_EVT_FCHDIR);
	assert_int_equal(num_param(ev, "fd"), 3);
	str_param(ev, "path", "/var/tmp");

	ex.exit = &enoent;
	ex.fd = 9;
	ex.flags = 0x1000; /* AT_EMPTY_PATH */
	ex.argv = argv;
	ex.n_argv = 2;
	send_msg(fd, T(SYSCALL_EXECVE), 0, &ex.base);
	ev = next_ev(t->h);
	assert_int_equal(ev->type, KCAP_EVT_EXECVEAT);
	assert_int_equal(num_param(ev, "res"), -2);
	assert_int_equal(num_param(ev, "dirfd"), 9);
	assert_int_equal(num_param(ev, "flags"), 0x1000);
	str_param(ev, "filename", "x");
	argv_param(ev, "argv", "x -y");
	str_param(ev, "cgroup", "gvisor:sandbox-one");
	no_more(t->h);
	close(fd);
}

struct hits {
	char rules[8][64];
	char ct[8][80];
	unsigned int n;
};

static int on_alert(void *ctx, const struct kcap_alert *a)
{
	struct hits *h = ctx;
	unsigned int i;

	if (h->n >= 8)
		return 0;
	snprintf(h->rules[h->n], sizeof(h->rules[0]), "%s", a->rule);
	for (i = 0; i < a->nr_fields; i++)
		if (!strcmp(a->field_names[i], "container.id"))
			snprintf(h->ct[h->n], sizeof(h->ct[0]), "%s", a->field_values[i]);
	h->n++;
	return 0;
}

/* kcap's own rules (rules/kcap_rules.yaml) on a sandbox's events: the
 * terminal shell and the sensitive file fire, with the sandbox's
 * container id (this needs no runsc: tests/gvisor/run.sh does it live). */
static void test_gvisor_rules(void **state)
{
	struct gv_test *t = *state;
	static const char id[] = "4f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a10";
	Kcap__Gvisor__Credentials cr = KCAP__GVISOR__CREDENTIALS__INIT;
	Kcap__Gvisor__ContextData cd;
	Kcap__Gvisor__ContainerStart cs = KCAP__GVISOR__CONTAINER_START__INIT;
	Kcap__Gvisor__CloneInfo cl = KCAP__GVISOR__CLONE_INFO__INIT;
	Kcap__Gvisor__ExecveInfo ex = KCAP__GVISOR__EXECVE_INFO__INIT;
	Kcap__Gvisor__Open op = KCAP__GVISOR__OPEN__INIT;
	Kcap__Gvisor__Exit ok = KCAP__GVISOR__EXIT__INIT;
	char *args[] = { "sh" }, *eargv[] = { "cat", "/etc/shadow" };
	struct kcap_state_opts so = { .sz = sizeof(so), .passwd = "/nonexistent" };
	struct kcap_rules *r = kcap_rules_new();
	struct kcap_state *st = kcap_state_new(&so);
	struct hits hits = { .n = 0 };
	__s64 t0 = (__s64)now_ns(CLOCK_REALTIME);
	int fd, i;

	assert_non_null(r);
	assert_non_null(st);
	assert_int_equal(kcap_rules_load_file(r, KCAP_TEST_CORPUS "/../../../rules/kcap_rules.yaml"), 0);
	assert_int_equal(kcap_rules_compile(r), 0);
	sink_open(t, 0);
	fd = client(t);
	cd = ctx(&cr, 1, 1, t0);
	cd.container_id = (char *)id;
	cd.process_name = "sh";
	cs.context_data = &cd;
	cs.id = (char *)id;
	cs.args = args;
	cs.n_args = 1;
	cs.terminal = true;
	send_msg(fd, T(CONTAINER_START), 0, &cs.base);
	cl.context_data = &cd;
	cl.created_thread_id = 2;
	cl.created_thread_group_id = 2;
	send_msg(fd, T(SENTRY_CLONE), 0, &cl.base);
	cd.thread_id = cd.thread_group_id = 2;
	ex.context_data = &cd;
	ex.binary_path = "/usr/bin/cat";
	ex.argv = eargv;
	ex.n_argv = 2;
	send_msg(fd, T(SENTRY_EXEC), 0, &ex.base);
	ok.result = 3;
	op.context_data = &cd;
	op.exit = &ok;
	op.sysno = 257;
	op.fd = -100;
	op.pathname = "/etc/shadow";
	send_msg(fd, T(SYSCALL_OPEN), 0, &op.base);
	for (i = 0; i < 4; i++) {
		const struct kcap_event_hdr *ev = next_ev(t->h);

		kcap_state_update(st, t->h, ev);
		assert_true(kcap_rules_eval(r, st, t->h, ev, on_alert, &hits) >= 0);
	}
	assert_int_equal(hits.n, 2);
	assert_string_equal(hits.rules[0], "Terminal shell in container");
	assert_string_equal(hits.ct[0], "4f2a9c1e8b7d");
	assert_string_equal(hits.rules[1], "Read sensitive file untrusted");
	assert_string_equal(hits.ct[1], "4f2a9c1e8b7d");
	kcap_rules_free(r);
	kcap_state_free(st);
	close(fd);
}

/* Packets read together come out in time order, whatever their arrival. */
static void test_gvisor_order(void **state)
{
	struct gv_test *t = *state;
	Kcap__Gvisor__ContextData cd;
	Kcap__Gvisor__Exit ok = KCAP__GVISOR__EXIT__INIT;
	Kcap__Gvisor__Syscall raw = KCAP__GVISOR__SYSCALL__INIT;
	KCAP_OPTS(kcap_gvisor_opts, o, .holdback_ns = 200000000LL, .poll_timeout_ms = 5);
	__s64 t0 = (__s64)now_ns(CLOCK_REALTIME);
	__u64 last = 0;
	int fd, i;

	t->h = kcap_open_gvisor(t->path, &o);
	assert_non_null(t->h);
	fd = client(t);
	raw.exit = &ok;
	raw.context_data = &cd;
	for (i = 0; i < 8; i++) {
		cd = ctx(NULL, 1, 1, t0 + (i % 2 ? 1 : -1) * 1000 * i);
		raw.sysno = (__u64)i;
		send_msg(fd, T(SYSCALL_RAW), 0, &raw.base);
	}
	for (i = 0; i < 8; i++) {
		const struct kcap_event_hdr *ev = next_ev(t->h);

		assert_true(ev->ts_ns >= last);
		last = ev->ts_ns;
	}
	close(fd);
}

/* A rising dropped count becomes a drop marker and counters. */
static void test_gvisor_drops(void **state)
{
	struct gv_test *t = *state;
	Kcap__Gvisor__ContextData cd = ctx(NULL, 2, 2, (__s64)now_ns(CLOCK_REALTIME));
	Kcap__Gvisor__TaskExit te = KCAP__GVISOR__TASK_EXIT__INIT;
	struct kcap_cpu_stats st = { .cpu = 0 };
	struct kcap_gvisor_stats gs;
	const struct kcap_event_hdr *ev;
	int fd;

	sink_open(t, 0);
	fd = client(t);
	te.context_data = &cd;
	send_msg(fd, T(SENTRY_TASK_EXIT), 0, &te.base);
	assert_int_equal(next_ev(t->h)->type, KCAP_EVT_PROC_EXIT);
	send_msg(fd, T(SENTRY_TASK_EXIT), 5, &te.base);
	ev = next_ev(t->h);
	assert_int_equal(ev->type, KCAP_EVT_DROP);
	assert_true(ev->flags & KCAP_EVF_GVISOR);
	assert_int_equal(num_param(ev, "lost_bulk"), 5);
	assert_int_equal(num_param(ev, "lost_protected"), 0);
	assert_int_equal(next_ev(t->h)->type, KCAP_EVT_PROC_EXIT);
	/* the same count again: nothing lost since */
	send_msg(fd, T(SENTRY_TASK_EXIT), 5, &te.base);
	assert_int_equal(next_ev(t->h)->type, KCAP_EVT_PROC_EXIT);
	/* the count wraps around like the sender's u32 */
	send_msg(fd, T(SENTRY_TASK_EXIT), 0xfffffffeu, &te.base);
	ev = next_ev(t->h);
	assert_int_equal(num_param(ev, "lost_bulk"), 0xfffffffeu - 5);
	next_ev(t->h);
	send_msg(fd, T(SENTRY_TASK_EXIT), 1, &te.base);
	ev = next_ev(t->h);
	assert_int_equal(ev->type, KCAP_EVT_DROP);
	assert_int_equal(num_param(ev, "lost_bulk"), 3);
	next_ev(t->h);
	assert_int_equal(kcap_cpu_stats(t->h, 0, &st), 0);
	assert_int_equal(st.drops[KCAP_DROP_FULL], 5ULL + (0xfffffffeu - 5) + 3);
	assert_true(kcap_cpu_stats(t->h, 1, &st) < 0);
	assert_int_equal(kcap_gvisor_stats(t->h, &gs), 0);
	assert_int_equal(gs.dropped, 5ULL + (0xfffffffeu - 5) + 3);
	assert_int_equal(gs.sandboxes, 1);
	close(fd);
}

/* Is @fd closed by the sink (EOF or reset within 2 s)? */
static bool closed_by_sink(struct gv_test *t, int fd)
{
	unsigned char buf[64];
	ssize_t n = recv_wait(t->h, fd, buf, sizeof(buf));

	return n == 0 || (n < 0 && errno == ECONNRESET);
}

/* Bad input closes that connection only, with a reason; others go on. */
static void test_gvisor_bad_input(void **state)
{
	struct gv_test *t = *state;
	Kcap__Gvisor__ContextData cd = ctx(NULL, 3, 3, (__s64)now_ns(CLOCK_REALTIME));
	Kcap__Gvisor__TaskExit te = KCAP__GVISOR__TASK_EXIT__INIT;
	static const unsigned char garbage[] = { 0x08, 0x00, 0x07, 0x00, 0, 0, 0, 0,
						 0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01 };
	static const unsigned char hdr_small[] = { 0x04, 0x00, 0x05, 0x00, 0, 0, 0, 0, 0x10, 0x01 };
	static const unsigned char hdr_past[] = { 0x40, 0x00, 0x05, 0x00, 0, 0, 0, 0, 0x10, 0x01 };
	static const unsigned char type0[] = { 0x08, 0x00, 0x00, 0x00, 0, 0, 0, 0 };
	static const unsigned char bad_hs[] = { 0xff, 0xff, 0xff };
	struct kcap_gvisor_stats gs;
	int good, fd;

	sink_open(t, 200);
	good = client(t);
	te.context_data = &cd;

	fd = client(t);
	send_bytes(fd, "\x08\x00\x05", 3);
	assert_true(closed_by_sink(t, fd));
	assert_true(logged(t, "packet shorter than its header"));
	close(fd);

	fd = client(t);
	send_bytes(fd, hdr_small, sizeof(hdr_small));
	assert_true(closed_by_sink(t, fd));
	assert_true(logged(t, "header size below 8"));
	close(fd);

	fd = client(t);
	send_bytes(fd, hdr_past, sizeof(hdr_past));
	assert_true(closed_by_sink(t, fd));
	assert_true(logged(t, "header size past the packet"));
	close(fd);

	fd = client(t);
	send_bytes(fd, type0, sizeof(type0));
	assert_true(closed_by_sink(t, fd));
	assert_true(logged(t, "message type 0"));
	close(fd);

	fd = client(t);
	send_bytes(fd, garbage, sizeof(garbage));
	assert_true(closed_by_sink(t, fd));
	assert_true(logged(t, "message does not parse"));
	close(fd);

	fd = client_raw(t);
	send_bytes(fd, bad_hs, sizeof(bad_hs));
	assert_true(closed_by_sink(t, fd));
	assert_true(logged(t, "handshake does not parse"));
	close(fd);

	/* version 0, spelt out (proto3 would send nothing for it) */
	fd = client_raw(t);
	send_bytes(fd, "\x08\x00", 2);
	assert_true(closed_by_sink(t, fd));
	assert_true(logged(t, "handshake version 0"));
	close(fd);

	/* a client that never handshakes: dropped after the timeout */
	fd = client_raw(t);
	assert_true(closed_by_sink(t, fd));
	assert_true(logged(t, "no handshake in time"));
	close(fd);

	/* the good client was never disturbed */
	send_msg(good, T(SENTRY_TASK_EXIT), 0, &te.base);
	assert_int_equal(next_ev(t->h)->type, KCAP_EVT_PROC_EXIT);
	no_more(t->h);
	assert_int_equal(kcap_gvisor_stats(t->h, &gs), 0);
	assert_int_equal(gs.rejected, 8);
	assert_int_equal(gs.sandboxes, 1);
	assert_int_equal(gs.events, 1);
	close(good);
}

/* Many sandboxes at once, each with its own id range. */
static void test_gvisor_many_clients(void **state)
{
	struct gv_test *t = *state;
	enum { N = 40, PER = 25 };
	Kcap__Gvisor__ContextData cd;
	Kcap__Gvisor__Exit ok = KCAP__GVISOR__EXIT__INIT;
	Kcap__Gvisor__Syscall raw = KCAP__GVISOR__SYSCALL__INIT;
	unsigned int seen[N + 1] = { 0 };
	int fds[N], i, k;

	sink_open(t, 0);
	for (i = 0; i < N; i++)
		fds[i] = client(t);
	raw.exit = &ok;
	raw.context_data = &cd;
	for (k = 0; k < PER; k++)
		for (i = 0; i < N; i++) {
			cd = ctx(NULL, 1, 1, (__s64)now_ns(CLOCK_REALTIME));
			raw.sysno = (__u64)i;
			send_msg(fds[i], T(SYSCALL_RAW), 0, &raw.base);
		}
	for (k = 0; k < N * PER; k++) {
		const struct kcap_event_hdr *ev = next_ev(t->h);
		unsigned int sb = KCAP_GVISOR_SANDBOX(ev->tid);

		assert_true(sb >= 1 && sb <= N);
		/* sandbox numbers follow the accept order */
		assert_int_equal(kcap_event_syscall_nr(ev), (int)sb - 1);
		seen[sb]++;
	}
	for (i = 1; i <= N; i++)
		assert_int_equal(seen[i], PER);
	no_more(t->h);
	for (i = 0; i < N; i++)
		close(fds[i]);
}

/* The socket: mode 0600, an existing path refused, removed at close;
 * kcap_stop() drains, then -ENODATA. */
static void test_gvisor_socket_life(void **state)
{
	struct gv_test *t = *state;
	Kcap__Gvisor__ContextData cd = ctx(NULL, 4, 4, (__s64)now_ns(CLOCK_REALTIME));
	Kcap__Gvisor__TaskExit te = KCAP__GVISOR__TASK_EXIT__INIT;
	KCAP_OPTS(kcap_gvisor_opts, o, .poll_timeout_ms = KCAP_POLL_NONBLOCK);
	const struct kcap_event_hdr *ev;
	char err[256] = "";
	struct stat sb;
	struct kcap *h;
	int fd;

	sink_open(t, 0);
	assert_int_equal(stat(t->path, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0600);
	o.errbuf = err;
	o.errbuf_sz = sizeof(err);
	errno = 0;
	assert_null(kcap_open_gvisor(t->path, &o));
	assert_int_equal(errno, EADDRINUSE);
	assert_non_null(strstr(err, t->path));
	assert_null(kcap_open_gvisor("", &o));
	assert_int_equal(errno, EINVAL);
	o.max_sandboxes = 600;
	assert_null(kcap_open_gvisor("/tmp/kcap-gvisor-unused.sock", &o));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(access("/tmp/kcap-gvisor-unused.sock", F_OK), -1);
	o.max_sandboxes = 0;

	/* a regular file in the way is never removed */
	{
		char other[160];
		int ffd;

		snprintf(other, sizeof(other), "%s/regular", t->dir);
		ffd = open(other, O_CREAT | O_WRONLY, 0600);
		assert_true(ffd >= 0);
		close(ffd);
		assert_null(kcap_open_gvisor(other, &o));
		assert_int_equal(errno, EADDRINUSE);
		assert_int_equal(access(other, F_OK), 0);
		unlink(other);
	}

	fd = client(t);
	te.context_data = &cd;
	send_msg(fd, T(SENTRY_TASK_EXIT), 0, &te.base);
	send_msg(fd, T(SENTRY_TASK_EXIT), 0, &te.base);
	/* wait until both were sent and can be read */
	usleep(20000);
	assert_int_equal(kcap_stop(t->h), 0);
	assert_int_equal(kcap_next(t->h, &ev), 0);
	assert_int_equal(kcap_next(t->h, &ev), 0);
	assert_int_equal(kcap_next(t->h, &ev), -ENODATA);
	close(fd);
	h = t->h;
	t->h = NULL;
	kcap_close(h);
	assert_int_equal(access(t->path, F_OK), -1);
	assert_int_equal(errno, ENOENT);

	/* a socket left by a killed recorder (bound, nobody listens): replaced */
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int sfd = socket(AF_UNIX, SOCK_SEQPACKET, 0);

		memcpy(sa.sun_path, t->path, strlen(t->path));
		assert_int_equal(bind(sfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		close(sfd);
		t->h = kcap_open_gvisor(t->path, &o);
		assert_non_null(t->h);
		assert_int_equal(stat(t->path, &sb), 0);
		assert_int_equal(sb.st_mode & 0777, 0600);
		fd = client(t);
		close(fd);
	}
}

/* gVisor events in a capture file keep their flag; a merge orders them
 * with another source's. */
static void test_gvisor_file_round_trip(void **state)
{
	struct gv_test *t = *state;
	Kcap__Gvisor__ContextData cd = ctx(NULL, 5, 5, (__s64)now_ns(CLOCK_REALTIME));
	Kcap__Gvisor__TaskExit te = KCAP__GVISOR__TASK_EXIT__INIT;
	char file[160], werr[256] = "";
	KCAP_OPTS(kcap_writer_opts, wo, .errbuf = werr, .errbuf_sz = sizeof(werr));
	const struct kcap_event_hdr *ev;
	struct kcap_writer *w;
	struct kcap *f;
	int fd, i, n = 0;

	sink_open(t, 0);
	fd = client(t);
	te.context_data = &cd;
	snprintf(file, sizeof(file), "%s/gv.kcap", t->dir);
	wo.source = t->h;
	w = kcap_writer_open(file, &wo);
	assert_non_null(w);
	for (i = 0; i < 3; i++)
		send_msg(fd, T(SENTRY_TASK_EXIT), i ? 2 : 0, &te.base);
	for (i = 0; i < 4; i++)
		assert_int_equal(kcap_writer_write(w, next_ev(t->h)), 0);
	assert_int_equal(kcap_writer_finish(w), 0);
	kcap_writer_close(w);
	f = kcap_open_file(file, NULL);
	assert_non_null(f);
	while (kcap_next(f, &ev) == 0) {
		assert_true(ev->flags & KCAP_EVF_GVISOR);
		assert_true(ev->tid & 0x80000000u);
		n++;
	}
	assert_int_equal(n, 4);
	kcap_close(f);
	unlink(file);
	close(fd);
}


/* Kernel events (rings in memory, CLOCK_MONOTONIC) and gVisor events
 * (CLOCK_REALTIME on the wire) merged: one stream in time order. */
static void test_gvisor_merge(void **state)
{
	struct gv_test *t = *state;
	Kcap__Gvisor__ContextData cd;
	Kcap__Gvisor__Exit ok = KCAP__GVISOR__EXIT__INIT;
	Kcap__Gvisor__Syscall raw = KCAP__GVISOR__SYSCALL__INIT;
	KCAP_OPTS(kcap_open_opts, mo, .holdback_ns = KCAP_HOLDBACK_NONE);
	KCAP_OPTS(kcap_gvisor_opts, go, .holdback_ns = KCAP_HOLDBACK_NONE,
		  .poll_timeout_ms = KCAP_POLL_NONBLOCK);
	static const __u64 args[6];
	struct kcap_mem_ring m;
	struct kcap *srcs[2], *h;
	struct tring r;
	__u64 mono = now_ns(CLOCK_MONOTONIC), wall = now_ns(CLOCK_REALTIME), last = 0;
	int fd, i, err, got = 0;

	assert_int_equal(tring_init(&r, 64 << 10, 0), 0);
	/* the kernel at -3, -1, +1 ms; the sandbox at -2, 0, +2 ms */
	for (i = 0; i < 3; i++)
		assert_int_equal(tring_syscall(&r, mono - 3000000 + (__u64)i * 2000000, 100, 100,
					       39, args, 0),
				 0);
	m = tring_mem(&r);
	srcs[0] = kcap__open_mem(&m, 1, &mo);
	assert_non_null(srcs[0]);
	t->h = kcap_open_gvisor(t->path, &go);
	assert_non_null(t->h);
	fd = client(t);
	raw.exit = &ok;
	raw.context_data = &cd;
	for (i = 0; i < 3; i++) {
		cd = ctx(NULL, 1, 1, (__s64)(wall - 2000000 + (__u64)i * 2000000));
		raw.sysno = 39;
		send_msg(fd, T(SYSCALL_RAW), 0, &raw.base);
	}
	usleep(20000);
	srcs[1] = t->h;
	t->h = NULL;
	h = kcap_open_merge(srcs, 2, NULL);
	assert_non_null(h);
	assert_int_equal(kcap_stop(h), 0);
	for (;;) {
		const struct kcap_event_hdr *ev;

		err = kcap_next(h, &ev);
		if (err == -EAGAIN)
			continue;
		if (err)
			break;
		assert_true(ev->ts_ns >= last);
		last = ev->ts_ns;
		/* alternating: kernel, gVisor, kernel, ... */
		assert_int_equal(!!(ev->flags & KCAP_EVF_GVISOR), got % 2);
		assert_int_equal(kcap_merge_last(h), got % 2);
		got++;
	}
	assert_int_equal(err, -ENODATA);
	assert_int_equal(got, 6);
	kcap_close(h);
	tring_fini(&r);
	close(fd);
}

/* Live: a gVisor event that arrives after a younger kernel event became
 * ready still comes out first: while the sink has nothing, the merge holds
 * the kernel's events for the sink's hold-back (its lag). */
static void test_gvisor_merge_late(void **state)
{
	struct gv_test *t = *state;
	Kcap__Gvisor__ContextData cd;
	Kcap__Gvisor__Exit ok = KCAP__GVISOR__EXIT__INIT;
	Kcap__Gvisor__Syscall raw = KCAP__GVISOR__SYSCALL__INIT;
	KCAP_OPTS(kcap_open_opts, mo, .holdback_ns = KCAP_HOLDBACK_NONE);
	KCAP_OPTS(kcap_gvisor_opts, go, .holdback_ns = 300000000,
		  .poll_timeout_ms = KCAP_POLL_NONBLOCK);
	static const __u64 args[6];
	const struct kcap_event_hdr *ev;
	struct kcap_mem_ring m;
	struct kcap *srcs[2], *h;
	struct tring r;
	__u64 mono = now_ns(CLOCK_MONOTONIC), wall = now_ns(CLOCK_REALTIME), deadline;
	int fd, err, got = 0, order[2] = { -1, -1 };

	assert_int_equal(tring_init(&r, 64 << 10, 0), 0);
	/* the kernel's event: now */
	assert_int_equal(tring_syscall(&r, mono, 100, 100, 39, args, 0), 0);
	m = tring_mem(&r);
	srcs[0] = kcap__open_mem(&m, 1, &mo);
	assert_non_null(srcs[0]);
	srcs[1] = kcap_open_gvisor(t->path, &go);
	assert_non_null(srcs[1]);
	h = kcap_open_merge(srcs, 2, NULL);
	assert_non_null(h);
	/* the sink has nothing yet: the kernel's event is held */
	assert_int_equal(kcap_next(h, &ev), -EAGAIN);
	/* the sandbox's event, 100 ms older, arrives late (the handshake is
	 * served through the sink's handle, which the merge owns) */
	t->h = srcs[1];
	fd = client(t);
	t->h = NULL;
	raw.exit = &ok;
	raw.context_data = &cd;
	cd = ctx(NULL, 1, 1, (__s64)(wall - 100000000));
	raw.sysno = 39;
	send_msg(fd, T(SYSCALL_RAW), 0, &raw.base);
	deadline = now_ns(CLOCK_MONOTONIC) + 3000000000ULL;
	while (got < 2 && now_ns(CLOCK_MONOTONIC) < deadline) {
		err = kcap_next(h, &ev);
		if (err == -EAGAIN)
			continue;
		assert_int_equal(err, 0);
		order[got++] = !!(ev->flags & KCAP_EVF_GVISOR);
	}
	assert_int_equal(got, 2);
	assert_int_equal(order[0], 1); /* gVisor's, the older, first */
	assert_int_equal(order[1], 0);
	/* once stopped, nothing is held */
	assert_int_equal(kcap_stop(h), 0);
	assert_int_equal(kcap_next(h, &ev), -ENODATA);
	kcap_close(h);
	tring_fini(&r);
	close(fd);
}

/* Random packets from many clients: no crash, no leak (ASan), and a good
 * client afterwards is served. Valid headers with random bodies and
 * types, random headers, random handshakes. */
static void test_gvisor_garbage(void **state)
{
	struct gv_test *t = *state;
	Kcap__Gvisor__ContextData cd = ctx(NULL, 9, 9, (__s64)now_ns(CLOCK_REALTIME));
	Kcap__Gvisor__TaskExit te = KCAP__GVISOR__TASK_EXIT__INIT;
	unsigned int seed = 15, k, j, len;
	unsigned char buf[512];
	struct kcap_gvisor_stats gs;
	int fd, good;

	sink_open(t, 100);
	for (k = 0; k < 60; k++) {
		fd = k % 3 == 2 ? client_raw(t) : client(t);
		for (j = 0; j < 20; j++) {
			len = (unsigned int)rand_r(&seed) % sizeof(buf);
			for (unsigned int b = 0; b < len; b++)
				buf[b] = (unsigned char)rand_r(&seed);
			if (k % 3 == 0 && len >= 8) {
				/* a well-formed header, a random body */
				buf[0] = 8;
				buf[1] = 0;
				buf[2] = (unsigned char)(1 + rand_r(&seed) % 40);
				buf[3] = 0;
			}
			if (send(fd, buf, len, MSG_NOSIGNAL) < 0)
				break; /* closed by the sink already */
		}
		pump(t->h);
		close(fd);
	}
	for (k = 0; k < 20; k++)
		pump(t->h);
	/* whatever parsed came out as events; drain them */
	while (kcap_next(t->h, &(const struct kcap_event_hdr *){ NULL }) == 0)
		;
	good = client(t);
	te.context_data = &cd;
	send_msg(good, T(SENTRY_TASK_EXIT), 0, &te.base);
	assert_int_equal(next_ev(t->h)->type, KCAP_EVT_PROC_EXIT);
	assert_int_equal(kcap_gvisor_stats(t->h, &gs), 0);
	assert_true(gs.rejected > 0);
	assert_int_equal(gs.sandboxes, 1);
	close(good);
}

/* A full queue stops reading the sandboxes (their sockets fill, gVisor
 * counts drops) but still answers a new sandbox's handshake. */
static void test_gvisor_queue_full(void **state)
{
	struct gv_test *t = *state;
	Kcap__Gvisor__ContextData cd = ctx(NULL, 2, 2, (__s64)now_ns(CLOCK_REALTIME));
	Kcap__Gvisor__TaskExit te = KCAP__GVISOR__TASK_EXIT__INIT;
	KCAP_OPTS(kcap_gvisor_opts, o, .holdback_ns = 60000000000LL,
		  .poll_timeout_ms = KCAP_POLL_NONBLOCK);
	const struct kcap_event_hdr *ev;
	struct kcap_gvisor_stats gs;
	unsigned char buf[256];
	size_t n;
	int fd, late, i, sent = 0, stuck = 0;

	t->h = kcap_open_gvisor(t->path, &o);
	assert_non_null(t->h);
	fd = client(t);
	te.context_data = &cd;
	n = protobuf_c_message_get_packed_size(&te.base);
	memset(buf, 0, 8);
	buf[0] = 8;
	buf[2] = T(SENTRY_TASK_EXIT);
	protobuf_c_message_pack(&te.base, buf + 8);
	/* send until the sink stops taking them: its queue is full */
	while (stuck < 200) {
		if (send(fd, buf, 8 + n, MSG_DONTWAIT) == (ssize_t)(8 + n)) {
			sent++;
			stuck = 0;
			continue;
		}
		assert_int_equal(kcap_next(t->h, &ev), -EAGAIN);
		assert_int_equal(kcap_gvisor_stats(t->h, &gs), 0);
		if (gs.events >= 65536)
			stuck++;
	}
	assert_int_equal(gs.events, 65536);
	assert_true(sent > 65536);
	/* a new sandbox is still answered */
	late = client(t);
	assert_int_equal(kcap_gvisor_stats(t->h, &gs), 0);
	assert_int_equal(gs.sandboxes, 2);
	assert_int_equal(gs.events, 65536);
	for (i = 0; i < 10; i++)
		assert_int_equal(kcap_next(t->h, &ev), -EAGAIN);
	assert_int_equal(gs.rejected, 0);
	close(late);
	close(fd);
}

/* Sandbox numbers wrap after 511 but never repeat a connected sandbox's. */
static void test_gvisor_sandbox_numbers(void **state)
{
	struct gv_test *t = *state;
	Kcap__Gvisor__ContextData cd = ctx(NULL, 1, 1, (__s64)now_ns(CLOCK_REALTIME));
	Kcap__Gvisor__TaskExit te = KCAP__GVISOR__TASK_EXIT__INIT;
	const struct kcap_event_hdr *ev;
	struct kcap_gvisor_stats gs;
	int first, fd, k;

	sink_open(t, 0);
	te.context_data = &cd;
	first = client(t); /* sandbox 1, stays */
	for (k = 2; k <= 511; k++) {
		fd = client(t);
		close(fd);
	}
	for (k = 0; k < 50; k++) {
		pump(t->h);
		assert_int_equal(kcap_gvisor_stats(t->h, &gs), 0);
		if (gs.sandboxes == 1)
			break;
	}
	assert_int_equal(gs.sandboxes, 1);
	assert_int_equal(gs.connections, 511);
	fd = client(t); /* 1 is taken: 2 */
	send_msg(fd, T(SENTRY_TASK_EXIT), 0, &te.base);
	ev = next_ev(t->h);
	assert_int_equal(KCAP_GVISOR_SANDBOX(ev->tid), 2);
	send_msg(first, T(SENTRY_TASK_EXIT), 0, &te.base);
	ev = next_ev(t->h);
	assert_int_equal(KCAP_GVISOR_SANDBOX(ev->tid), 1);
	close(fd);
	close(first);
}

static const struct CMUnitTest gvisor_tests[] = {
	cmocka_unit_test_setup_teardown(test_gvisor_convert, gv_setup, gv_teardown),
	cmocka_unit_test_setup_teardown(test_gvisor_convert_more, gv_setup, gv_teardown),
	cmocka_unit_test_setup_teardown(test_gvisor_convert_io, gv_setup, gv_teardown),
	cmocka_unit_test_setup_teardown(test_gvisor_rules, gv_setup, gv_teardown),
	cmocka_unit_test_setup_teardown(test_gvisor_order, gv_setup, gv_teardown),
	cmocka_unit_test_setup_teardown(test_gvisor_drops, gv_setup, gv_teardown),
	cmocka_unit_test_setup_teardown(test_gvisor_bad_input, gv_setup, gv_teardown),
	cmocka_unit_test_setup_teardown(test_gvisor_many_clients, gv_setup, gv_teardown),
	cmocka_unit_test_setup_teardown(test_gvisor_socket_life, gv_setup, gv_teardown),
	cmocka_unit_test_setup_teardown(test_gvisor_file_round_trip, gv_setup, gv_teardown),
	cmocka_unit_test_setup_teardown(test_gvisor_merge, gv_setup, gv_teardown),
	cmocka_unit_test_setup_teardown(test_gvisor_merge_late, gv_setup, gv_teardown),
	cmocka_unit_test_setup_teardown(test_gvisor_garbage, gv_setup, gv_teardown),
	cmocka_unit_test_setup_teardown(test_gvisor_sandbox_numbers, gv_setup, gv_teardown),
	cmocka_unit_test_setup_teardown(test_gvisor_queue_full, gv_setup, gv_teardown),
};

UNIT_GROUP(gvisor, gvisor_tests)
