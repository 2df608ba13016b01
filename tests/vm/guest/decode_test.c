// SPDX-License-Identifier: Apache-2.0
/*
 * decode_test: the decoded syscall events (ABI 2), checked field by field
 * inside a guest with kcap.ko loaded.
 *
 *   decode_test events          a forked workload performs each decoded
 *                               family with distinctive arguments; every
 *                               decoded field is asserted
 *   decode_test ia32 PROGRAM    a 32-bit static program's openat/write/close
 *                               come as the same decoded types, flagged compat
 *   decode_test strace          one workload under strace -f and under kcap:
 *                               results, fds, paths and sizes of every call
 *                               both saw must agree
 *   decode_test kobj            ABI 2.2, what the driver reads from the
 *                               kernel's objects: socket addresses after
 *                               connect and accept (IPv4, IPv6, unix),
 *                               capability sets, and at exec the
 *                               environment, the exe's inode and flags
 *                               (memfd; with OVERLAY, a mounted overlay,
 *                               the upper layer), the session and group
 *
 * Prints TAP on stdout; exits 1 if any check failed. Run as root.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <time.h>
#include <unistd.h>

#include "kcap.h"
#include "evparam.h"
#include "tap.h"

#define DATA "kcap-decode-data"
#define PTRACE_PEEKDATA_NR 2	/* <sys/ptrace.h> clashes with linux headers */
#define MS_NOSUID_NR 2		/* likewise <sys/mount.h> */
#define DATA_LEN 16
#define MAX_EVENTS 8192

/* What the workload did, in a shared page, for the checks. */
struct shared {
	char dir[64];
	pid_t pid, fork_child, exec_child;
	int port, port6;
	long fd_open, fd_creat, fd_read, fd_dup, fd_dup2, fd_dup3, fd_fcntl, fd_memfd;
	long srv, cli, conn, s6, connect6_res, pair[2];
	unsigned long mmap_addr, unpaged;
	pid_t vfork_child, clone3_child;
	long fd_surf;
	uid_t uid;
	gid_t gid;
	int done;
};

static struct shared *sh;

/* ---- events kept for the checks ------------------------------------------- */

static struct kcap_event_hdr *evs[MAX_EVENTS];
static int nevs;

static void keep(const struct kcap_event_hdr *ev)
{
	if (nevs < MAX_EVENTS && (evs[nevs] = malloc(ev->len)))
		memcpy(evs[nevs++], ev, ev->len);
}

static __s64 num(const struct kcap_event_hdr *ev, const char *name)
{
	int i = kcap_event_param_index(ev, name);
	__s64 v = -0x7fffffff;

	if (i >= 0)
		kcap_event_s64(ev, (unsigned int)i, &v);
	return v;
}

static __s64 res(const struct kcap_event_hdr *ev)
{
	__s64 r = -0x7fffffff;

	kcap_event_res(ev, &r);
	return r;
}

static __u16 plen(const struct kcap_event_hdr *ev, const char *name)
{
	int i = kcap_event_param_index(ev, name);
	const void *p;
	__u16 len = 0xffff;

	if (i >= 0)
		kcap_event_param(ev, (unsigned int)i, &p, &len);
	return len;
}

/* The first event of @type by @pid whose string @name is @val (NULL: any). */
static const struct kcap_event_hdr *find(unsigned int type, pid_t pid, const char *name,
					 const char *val)
{
	int i;

	for (i = 0; i < nevs; i++)
		if (evs[i]->type == type && evs[i]->pid == (__u32)pid &&
		    (!name || !strcmp(str(evs[i], name), val)))
			return evs[i];
	return NULL;
}

/* The first event of @type by @pid whose number @name is @val. */
static const struct kcap_event_hdr *find_num(unsigned int type, pid_t pid, const char *name,
					     __s64 val)
{
	int i;

	for (i = 0; i < nevs; i++)
		if (evs[i]->type == type && evs[i]->pid == (__u32)pid && num(evs[i], name) == val)
			return evs[i];
	return NULL;
}

static char line[8192];

static const char *show(const struct kcap_event_hdr *ev)
{
	if (!ev)
		return "no such event";
	kcap_event_format(NULL, ev, line, sizeof(line));
	return line;
}

/* One check on an event: found and @ok. The event's text is the detail. */
#define CHECK(ev, ok, ...) tap((ev) && (ok), show(ev), __VA_ARGS__)

/* ---- the workload ---------------------------------------------------------- */

static void path(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", sh->dir, name);
}

static void net_workload(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(sh->port) };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(sh->port6),
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	char buf[64];
	struct iovec iov = { .iov_base = "msg-data", .iov_len = 8 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int sv[2];

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sh->srv = socket(AF_INET, SOCK_STREAM, 0);
	bind((int)sh->srv, (struct sockaddr *)&a, sizeof(a));
	listen((int)sh->srv, 5);
	sh->cli = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (connect((int)sh->cli, (struct sockaddr *)&a, sizeof(a)))
		return; /* no loopback: the checks say so, accept4 would block */
	sh->conn = accept4((int)sh->srv, (struct sockaddr *)&from, &fl, SOCK_CLOEXEC);
	sendto((int)sh->cli, "ping-data", 9, 0, NULL, 0);
	recvfrom((int)sh->conn, buf, sizeof(buf), 0, NULL, NULL);
	sendmsg((int)sh->cli, &mh, 0);
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	recvmsg((int)sh->conn, &mh, 0);
	shutdown((int)sh->cli, SHUT_WR);
	close((int)sh->conn);
	close((int)sh->cli);
	close((int)sh->srv);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	sh->pair[0] = sv[0];
	sh->pair[1] = sv[1];
	close(sv[0]);
	close(sv[1]);
	sh->s6 = socket(AF_INET6, SOCK_STREAM, 0);
	if (sh->s6 >= 0) {
		sh->connect6_res = connect((int)sh->s6, (struct sockaddr *)&a6, sizeof(a6)) ? -errno : 0;
		close((int)sh->s6);
	}
}

static void file_workload(void)
{
	char p1[128], p2[128], p3[128], p4[128], sub[128], buf[128];
	struct iovec wv[2] = { { "ab", 2 }, { "cde", 3 } };
	struct iovec rv[1] = { { buf, sizeof(buf) } };

	mkdir(sh->dir, 0751);
	chdir(sh->dir);
	path(p1, sizeof(p1), "file-one");
	sh->fd_open = syscall(SYS_openat, AT_FDCWD, p1, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	write((int)sh->fd_open, DATA, DATA_LEN);
	writev((int)sh->fd_open, wv, 2);
	sh->fd_dup = dup((int)sh->fd_open);
	sh->fd_dup2 = dup2((int)sh->fd_open, 100);
	sh->fd_dup3 = dup3((int)sh->fd_open, 101, O_CLOEXEC);
	sh->fd_fcntl = fcntl((int)sh->fd_open, F_DUPFD_CLOEXEC, 110);
	close((int)sh->fd_dup);
	close(100);
	close(101);
	close((int)sh->fd_fcntl);
	close((int)sh->fd_open);
	sh->fd_read = syscall(SYS_openat, AT_FDCWD, p1, O_RDONLY);
	read((int)sh->fd_read, buf, 100);
	lseek((int)sh->fd_read, 0, SEEK_SET);
	readv((int)sh->fd_read, rv, 1);
	close((int)sh->fd_read);
	path(p2, sizeof(p2), "creat-file");
	sh->fd_creat = syscall(SYS_creat, p2, 0600);
	close((int)sh->fd_creat);
	path(p3, sizeof(p3), "link-one");
	syscall(SYS_link, p1, p3);
	path(p4, sizeof(p4), "link-two");
	syscall(SYS_rename, p3, p4);
	path(p3, sizeof(p3), "sym-one");
	syscall(SYS_symlink, p1, p3);
	syscall(SYS_chmod, p1, 0604);
	syscall(SYS_chown, p1, sh->uid, sh->gid);
	syscall(SYS_truncate, p1, 7L);
	path(sub, sizeof(sub), "sub-dir");
	syscall(SYS_mkdir, sub, 0700);
	syscall(SYS_rmdir, sub);
	syscall(SYS_unlink, p4);
	syscall(SYS_unlink, p3);
	syscall(SYS_unlink, p2);
	syscall(SYS_unlink, p1);
	path(p1, sizeof(p1), "missing");
	syscall(SYS_openat, AT_FDCWD, p1, O_RDONLY);
	syscall(SYS_close, -1);
	syscall(SYS_openat, AT_FDCWD, (char *)1, O_RDONLY);
}

static void proc_workload(const char *self)
{
	char name[64], argv2[64];
	char *const bad_argv[] = { "kcap-missing", NULL };
	void *m;
	pid_t c;

	syscall(SYS_kill, getpid(), 0);
	syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), 0);
	prctl(PR_SET_NAME, "kcapdec", 0, 0, 0);
	syscall(SYS_setuid, getuid());
	syscall(SYS_unshare, CLONE_SYSVSEM);
	m = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	sh->mmap_addr = (unsigned long)m;
	mprotect(m, 4096, PROT_READ);
	snprintf(name, sizeof(name), "kcap-memfd-%d", getpid());
	sh->fd_memfd = syscall(SYS_memfd_create, name, MFD_CLOEXEC);
	close((int)sh->fd_memfd);
	syscall(SYS_chdir, "/");
	rmdir(sh->dir);
	c = fork();
	if (c == 0)
		_exit(0);
	sh->fork_child = c;
	waitpid(c, NULL, 0);
	snprintf(name, sizeof(name), "/nonexistent-kcap-%d", getpid());
	execve(name, bad_argv, NULL);
	snprintf(argv2, sizeof(argv2), "kcap-argv-%d", getpid());
	c = fork();
	if (c == 0) {
		char *const argv[] = { "decode_test", "__exec", argv2, NULL };

		execve(self, argv, NULL);
		_exit(9);
	}
	sh->exec_child = c;
	waitpid(c, NULL, 0);
}


/*
 * The rest of the decoded surface, mostly with failing calls whose result
 * is known, and a buffer the syscall never touches, mapped from a file and
 * never read: not resident when kcap reads it at syscall exit.
 */
static void surface_workload(void)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC };
	struct clone_args ca = { .exit_signal = SIGCHLD };
	char *const argv[] = { "kcap-execveat", NULL };
	char p[96], buf[DATA_LEN];
	void *m;
	pid_t c;
	int fd;

	mkdir(sh->dir, 0700);	/* proc_workload removed it */
	path(p, sizeof(p), "surface");
	sh->fd_surf = open(p, O_CREAT | O_RDWR | O_TRUNC, 0600);
	pwrite((int)sh->fd_surf, DATA, DATA_LEN, 100);
	pread((int)sh->fd_surf, buf, DATA_LEN, 100);
	/* A page-cache page of that file, mapped but never faulted in. */
	m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, (int)sh->fd_surf, 0);
	sh->unpaged = (unsigned long)m;
	if (m != MAP_FAILED)
		syscall(SYS_write, -1, m + 100, DATA_LEN);
	close((int)sh->fd_surf);
	unlink(p);
	syscall(SYS_openat2, AT_FDCWD, "/nonexistent-kcap-openat2", &how, sizeof(how));
	syscall(SYS_execveat, AT_FDCWD, "/nonexistent-kcap-execveat", argv, NULL, 0);
	syscall(SYS_ptrace, PTRACE_PEEKDATA_NR, 1, 0, 0);
	path(p, sizeof(p), "mnt");
	mkdir(p, 0700);
	syscall(SYS_mount, "kcapfs", p, "tmpfs", MS_NOSUID_NR, NULL);
	syscall(SYS_umount2, p, 0);
	rmdir(p);
	rmdir(sh->dir);
	syscall(SYS_init_module, NULL, 0, "kcaparg=1");
	syscall(SYS_finit_module, -1, "kcaparg=2", 0);
	syscall(SYS_delete_module, "kcap_no_such_module", O_NONBLOCK);
	syscall(SYS_bpf, 9999, NULL, 0);
	syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0);
	syscall(SYS_kexec_load, 0, 0, NULL, 0x12340000UL);
	syscall(SYS_ioctl, -1, 0x5401, 0);
	syscall(SYS_setns, -1, 0);
	syscall(SYS_chroot, "/nonexistent-kcap-chroot");
	fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	if (fd >= 0)
		close(fd);
	c = vfork();
	if (c == 0)
		_exit(0);
	sh->vfork_child = c;
	waitpid(c, NULL, 0);
	c = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
	if (c == 0)
		_exit(0);
	sh->clone3_child = c;
	waitpid(c, NULL, 0);
}

static void workload(const char *self)
{
	sh->pid = getpid();
	sh->uid = getuid();
	sh->gid = getgid();
	snprintf(sh->dir, sizeof(sh->dir), "/tmp/kcap-decode-%d", getpid());
	sh->port = 20000 + getpid() % 10000;
	sh->port6 = sh->port + 1;
	file_workload();
	net_workload();
	proc_workload(self);
	surface_workload();
	sh->done = 1;
	_exit(0);
}

/* ---- capture ---------------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct kcap *open_capture(const char *const *names, __u32 snaplen)
{
	static unsigned int nrs[128];
	static char errbuf[256];
	struct kcap *h;
	size_t n = 0;

	for (; *names; names++) {
		int nr = kcap_syscall_nr(*names, KCAP_SC_X86_64);

		if (nr >= 0 && n < 128)
			nrs[n++] = (unsigned int)nr;
	}
	KCAP_OPTS(kcap_open_opts, o, .ring_size = 4 << 20, .snaplen = snaplen, .syscalls = nrs,
		  .nr_syscalls = n, .errbuf = errbuf, .errbuf_sz = sizeof(errbuf));
	h = kcap_open_live(&o);
	if (!tap(h != NULL, errbuf, "open /dev/kcap"))
		return NULL;
	if (!tap(kcap_start(h) == 0, kcap_errmsg(h), "start the capture")) {
		kcap_close(h);
		return NULL;
	}
	return h;
}

/* Keeps every event of @child's process tree until its exit (or 20 s). */
static void collect(struct kcap *h, pid_t child)
{
	const struct kcap_event_hdr *ev;
	double deadline = now_s() + 20;
	pid_t pids[16] = { child };
	int np = 1, i, err;
	bool ended = false;

	while (!ended && now_s() < deadline) {
		err = kcap_next(h, &ev);
		if (err == -EAGAIN)
			continue;
		if (err)
			break;
		for (i = 0; i < np && pids[i] != (pid_t)ev->pid; i++)
			;
		if (i == np)
			continue;
		keep(ev);
		if (ev->type == KCAP_EVT_PROC_FORK && np < 16) {
			__s64 c = num(ev, "child_pid");

			pids[np++] = (pid_t)c;
		}
		if (ev->type == KCAP_EVT_PROC_EXIT && ev->pid == (__u32)child)
			ended = true;
	}
	tap(ended, NULL, "saw the workload's exit (%d events kept)", nevs);
}

/* ---- checks ----------------------------------------------------------------- */

static void check_files(pid_t w)
{
	const struct kcap_event_hdr *e;
	char p1[128], p[128];

	path(p1, sizeof(p1), "file-one");
	e = find(KCAP_EVT_MKDIR, w, "path", sh->dir);
	CHECK(e, res(e) == 0 && num(e, "mode") == 0751, "mkdir(dir, 0751) = 0");
	e = find(KCAP_EVT_CHDIR, w, "path", sh->dir);
	CHECK(e, res(e) == 0, "chdir(dir) = 0");
	e = find(KCAP_EVT_OPENAT, w, "name", p1);
	CHECK(e, res(e) == sh->fd_open && num(e, "dirfd") == AT_FDCWD &&
			 num(e, "flags") == (O_WRONLY | O_CREAT | O_TRUNC) && num(e, "mode") == 0640 &&
			 !strcmp(str(e, "path"), p1) && !(e->flags & KCAP_EVF_COMPAT),
	      "openat(AT_FDCWD, file, O_WRONLY|O_CREAT|O_TRUNC, 0640) = fd, path resolved");
	e = find_num(KCAP_EVT_WRITE, w, "size", DATA_LEN);
	CHECK(e, res(e) == DATA_LEN && num(e, "fd") == sh->fd_open && !strcmp(str(e, "data"), DATA),
	      "write(fd, \"%s\", %d) = %d with the data", DATA, DATA_LEN, DATA_LEN);
	e = find(KCAP_EVT_WRITEV, w, NULL, NULL);
	CHECK(e, res(e) == 5 && num(e, "iovcnt") == 2 && !strcmp(str(e, "data"), "abcde"),
	      "writev(fd, [\"ab\", \"cde\"], 2) = 5 with the data");
	e = find(KCAP_EVT_DUP, w, NULL, NULL);
	CHECK(e, res(e) == sh->fd_dup && num(e, "oldfd") == sh->fd_open, "dup(fd) = %ld", sh->fd_dup);
	e = find(KCAP_EVT_DUP2, w, NULL, NULL);
	CHECK(e, res(e) == 100 && num(e, "newfd") == 100, "dup2(fd, 100) = 100");
	e = find(KCAP_EVT_DUP3, w, NULL, NULL);
	CHECK(e, res(e) == 101 && num(e, "flags") == O_CLOEXEC, "dup3(fd, 101, O_CLOEXEC) = 101");
	e = find_num(KCAP_EVT_FCNTL, w, "cmd", F_DUPFD_CLOEXEC);
	CHECK(e, res(e) == sh->fd_fcntl && num(e, "arg") == 110, "fcntl(fd, F_DUPFD_CLOEXEC, 110)");
	e = find_num(KCAP_EVT_CLOSE, w, "fd", sh->fd_open);
	CHECK(e, res(e) == 0, "close(fd) = 0");
	e = find_num(KCAP_EVT_READ, w, "size", 100);
	CHECK(e, res(e) == DATA_LEN + 5 && num(e, "fd") == sh->fd_read &&
			 !memcmp(str(e, "data"), DATA "abcde", 21) && plen(e, "data") == 21,
	      "read(fd, buf, 100) = 21 with the bytes read");
	e = find(KCAP_EVT_READV, w, NULL, NULL);
	CHECK(e, res(e) == 21 && plen(e, "data") == 21, "readv(fd, iov, 1) = 21 with the data");
	path(p, sizeof(p), "creat-file");
	e = find(KCAP_EVT_CREAT, w, "name", p);
	CHECK(e, res(e) == sh->fd_creat && num(e, "mode") == 0600 && !strcmp(str(e, "path"), p),
	      "creat(file, 0600) = fd");
	e = find(KCAP_EVT_LINK, w, "oldpath", p1);
	path(p, sizeof(p), "link-one");
	CHECK(e, res(e) == 0 && !strcmp(str(e, "newpath"), p), "link(file, link-one) = 0");
	e = find(KCAP_EVT_RENAME, w, "oldpath", p);
	path(p, sizeof(p), "link-two");
	CHECK(e, res(e) == 0 && !strcmp(str(e, "newpath"), p), "rename(link-one, link-two) = 0");
	e = find(KCAP_EVT_SYMLINK, w, "target", p1);
	path(p, sizeof(p), "sym-one");
	CHECK(e, res(e) == 0 && !strcmp(str(e, "linkpath"), p), "symlink(file, sym-one) = 0");
	e = find(KCAP_EVT_CHMOD, w, "path", p1);
	CHECK(e, res(e) == 0 && num(e, "mode") == 0604, "chmod(file, 0604) = 0");
	e = find(KCAP_EVT_CHOWN, w, "path", p1);
	CHECK(e, res(e) == 0 && num(e, "uid") == sh->uid && num(e, "gid") == sh->gid,
	      "chown(file, uid, gid) = 0");
	e = find(KCAP_EVT_TRUNCATE, w, "path", p1);
	CHECK(e, res(e) == 0 && num(e, "length") == 7, "truncate(file, 7) = 0");
	path(p, sizeof(p), "sub-dir");
	e = find(KCAP_EVT_MKDIR, w, "path", p);
	CHECK(e, res(e) == 0 && num(e, "mode") == 0700, "mkdir(sub-dir, 0700) = 0");
	e = find(KCAP_EVT_RMDIR, w, "path", p);
	CHECK(e, res(e) == 0, "rmdir(sub-dir) = 0");
	e = find(KCAP_EVT_UNLINK, w, "path", p1);
	CHECK(e, res(e) == 0, "unlink(file) = 0");
	path(p, sizeof(p), "missing");
	e = find(KCAP_EVT_OPENAT, w, "name", p);
	CHECK(e, res(e) == -ENOENT && plen(e, "path") == 0, "openat(missing) = -ENOENT, no path");
	e = find_num(KCAP_EVT_CLOSE, w, "fd", -1);
	CHECK(e, res(e) == -EBADF, "close(-1) = -EBADF");
	e = find_num(KCAP_EVT_OPENAT, w, "res", -EFAULT);
	CHECK(e, plen(e, "name") == 0 && (e->flags & KCAP_EVF_FAULT),
	      "openat((char *)1) = -EFAULT with an empty name and the fault flag");
}

static void check_net(pid_t w)
{
	const struct kcap_event_hdr *e;
	struct kcap_sockaddr sa;
	char want[64];

	snprintf(want, sizeof(want), "127.0.0.1:%d", sh->port);
	e = find_num(KCAP_EVT_SOCKET, w, "res", sh->srv);
	CHECK(e, num(e, "domain") == AF_INET && num(e, "type") == SOCK_STREAM,
	      "socket(AF_INET, SOCK_STREAM, 0) = fd");
	e = find(KCAP_EVT_BIND, w, NULL, NULL);
	CHECK(e, res(e) == 0 && !kcap_event_sockaddr(e, 2, &sa) && sa.family == AF_INET &&
			 sa.port == sh->port && !memcmp(sa.addr, "\x7f\0\0\x01", 4),
	      "bind(fd, %s) = 0", want);
	e = find(KCAP_EVT_LISTEN, w, NULL, NULL);
	CHECK(e, res(e) == 0 && num(e, "backlog") == 5, "listen(fd, 5) = 0");
	e = find(KCAP_EVT_CONNECT, w, NULL, NULL);
	CHECK(e, res(e) == 0 && num(e, "fd") == sh->cli && !kcap_event_sockaddr(e, 2, &sa) &&
			 sa.port == sh->port && strstr(show(e), want),
	      "connect(fd, %s) = 0, printed as %s", want, want);
	e = find(KCAP_EVT_ACCEPT4, w, NULL, NULL);
	CHECK(e, res(e) == sh->conn && num(e, "flags") == SOCK_CLOEXEC &&
			 !kcap_event_sockaddr(e, 2, &sa) && sa.family == AF_INET,
	      "accept4(fd, peer, SOCK_CLOEXEC) = conn with the peer's address");
	e = find(KCAP_EVT_SENDTO, w, NULL, NULL);
	CHECK(e, res(e) == 9 && !strcmp(str(e, "data"), "ping-data") && plen(e, "addr") == 0,
	      "sendto(fd, \"ping-data\", 9, 0, NULL) = 9");
	e = find(KCAP_EVT_RECVFROM, w, NULL, NULL);
	CHECK(e, res(e) == 9 && num(e, "size") == 64 && !strcmp(str(e, "data"), "ping-data"),
	      "recvfrom(conn, buf, 64) = 9 with the data");
	e = find(KCAP_EVT_SENDMSG, w, NULL, NULL);
	CHECK(e, res(e) == 8 && !strcmp(str(e, "data"), "msg-data"), "sendmsg = 8 with the data");
	e = find(KCAP_EVT_RECVMSG, w, NULL, NULL);
	CHECK(e, res(e) == 8 && !strcmp(str(e, "data"), "msg-data"), "recvmsg = 8 with the data");
	e = find(KCAP_EVT_SHUTDOWN, w, NULL, NULL);
	CHECK(e, res(e) == 0 && num(e, "how") == SHUT_WR, "shutdown(fd, SHUT_WR) = 0");
	e = find(KCAP_EVT_SOCKETPAIR, w, NULL, NULL);
	{
		const void *p = NULL;
		__s32 fds[2] = { -1, -1 };
		__u16 len = 0;

		if (e)
			kcap_event_param(e, 4, &p, &len);
		if (len == 8)
			memcpy(fds, p, 8);
		CHECK(e, res(e) == 0 && num(e, "domain") == AF_UNIX && fds[0] == sh->pair[0] &&
				 fds[1] == sh->pair[1],
		      "socketpair(AF_UNIX, SOCK_STREAM, 0) = 0, fds [%ld, %ld]", sh->pair[0],
		      sh->pair[1]);
	}
	if (sh->s6 < 0) {
		tap_skip("connect([::1])", "no IPv6 sockets in this kernel");
		return;
	}
	snprintf(want, sizeof(want), "[::1]:%d", sh->port6);
	e = find_num(KCAP_EVT_CONNECT, w, "fd", sh->s6);
	CHECK(e, res(e) == sh->connect6_res && !kcap_event_sockaddr(e, 2, &sa) &&
			 sa.family == AF_INET6 && sa.port == sh->port6 && strstr(show(e), want),
	      "connect(fd, %s) = %ld (the address decoded whatever the result)", want,
	      sh->connect6_res);
}

static void check_proc(const char *self, pid_t w)
{
	const struct kcap_event_hdr *e;
	struct kcap_strarray it;
	char want[64], argv2[64];
	const char *s;
	size_t n;
	int k = 0, ok = 0;

	e = find_num(KCAP_EVT_KILL, w, "pid", w);
	CHECK(e, res(e) == 0 && num(e, "sig") == 0, "kill(self, 0) = 0");
	e = find_num(KCAP_EVT_TGKILL, w, "pid", w);
	CHECK(e, res(e) == 0 && num(e, "tid") == w && num(e, "sig") == 0, "tgkill(self, self, 0)");
	e = find_num(KCAP_EVT_PRCTL, w, "option", PR_SET_NAME);
	CHECK(e, res(e) == 0, "prctl(PR_SET_NAME) = 0");
	e = find(KCAP_EVT_SETUID, w, NULL, NULL);
	CHECK(e, res(e) == 0 && num(e, "uid") == sh->uid, "setuid(getuid()) = 0");
	e = find(KCAP_EVT_UNSHARE, w, NULL, NULL);
	CHECK(e, res(e) == 0 && num(e, "flags") == CLONE_SYSVSEM, "unshare(CLONE_SYSVSEM) = 0");
	e = find_num(KCAP_EVT_MMAP, w, "res", (__s64)sh->mmap_addr);
	CHECK(e, num(e, "prot") == (PROT_READ | PROT_EXEC) && num(e, "length") == 4096 &&
			 num(e, "flags") == (MAP_PRIVATE | MAP_ANONYMOUS) && num(e, "fd") == -1 &&
			 strstr(show(e), "prot=PROT_READ|PROT_EXEC"),
	      "mmap(NULL, 4096, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_ANONYMOUS) = addr");
	e = find_num(KCAP_EVT_MPROTECT, w, "addr", (__s64)sh->mmap_addr);
	CHECK(e, res(e) == 0 && num(e, "prot") == PROT_READ, "mprotect(addr, 4096, PROT_READ)");
	snprintf(want, sizeof(want), "kcap-memfd-%d", w);
	e = find(KCAP_EVT_MEMFD_CREATE, w, "name", want);
	CHECK(e, res(e) == sh->fd_memfd && num(e, "flags") == MFD_CLOEXEC, "memfd_create(%s)", want);
	e = find_num(KCAP_EVT_CLONE, w, "res", sh->fork_child);
	CHECK(e, e && e->pid == (__u32)w, "fork (clone) in the parent: res = child %d",
	      sh->fork_child);
	e = find_num(KCAP_EVT_CLONE, sh->fork_child, "res", 0);
	CHECK(e, e && e->tid == (__u32)sh->fork_child, "fork (clone) in the child: res = 0");
	snprintf(want, sizeof(want), "/nonexistent-kcap-%d", w);
	e = find(KCAP_EVT_EXECVE, w, "filename", want);
	CHECK(e, res(e) == -ENOENT && strstr(show(e), "argv=[\"kcap-missing\"]"),
	      "execve(missing) = -ENOENT with filename and argv");
	snprintf(argv2, sizeof(argv2), "kcap-argv-%d", w);
	e = find_num(KCAP_EVT_EXECVE, sh->exec_child, "res", 0);
	if (e && !kcap_event_strarray(e, 2, &it)) {
		kcap_strarray_for_each(&it, s, n)
		{
			const char *want_s = k == 0 ? "decode_test" : k == 1 ? "__exec" : argv2;

			ok += k < 3 && n == strlen(want_s) && !memcmp(s, want_s, n);
			k++;
		}
	}
	CHECK(e, ok == 3 && k == 3, "execve(self) = 0 with the new image's argv");
	CHECK(e, !strcmp(str(e, "filename"), self) && !strcmp(str(e, "exe"), self) &&
			 !strcmp(str(e, "cwd"), "/") && !strcmp(str(e, "comm"), "decode_test") &&
			 num(e, "uid") == sh->uid && num(e, "gid") == sh->gid &&
			 num(e, "euid") == geteuid() && num(e, "vpid") == sh->exec_child,
	      "execve: filename, exe, cwd, comm, uid, gid, euid, vpid");
	tap(!find(KCAP_EVT_PROC_EXEC, sh->exec_child, NULL, NULL), NULL,
	    "the rich execve replaces proc_exec");
}


/* Whether this kernel's syscall probes may fault pages in (7.x). */
static bool probes_may_fault(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	uname(&u);
	sscanf(u.release, "%d.%d", &major, &minor);
	return major > 6 || (major == 6 && minor >= 13);
}

static void check_surface(pid_t w)
{
	const struct kcap_event_hdr *e;
	char want[96];

	e = find_num(KCAP_EVT_PWRITE64, w, "fd", sh->fd_surf);
	CHECK(e, res(e) == DATA_LEN && num(e, "pos") == 100 && num(e, "size") == DATA_LEN &&
			 plen(e, "data") == DATA_LEN,
	      "pwrite64(fd, DATA, 16, 100) = 16 with the data");
	e = find_num(KCAP_EVT_PREAD64, w, "fd", sh->fd_surf);
	CHECK(e, res(e) == DATA_LEN && num(e, "pos") == 100 && plen(e, "data") == DATA_LEN,
	      "pread64(fd, buf, 16, 100) = 16 with the data read");
	e = find_num(KCAP_EVT_WRITE, w, "fd", -1);
	if (probes_may_fault())
		CHECK(e, res(e) == -EBADF && plen(e, "data") == DATA_LEN &&
				 !(e->flags & KCAP_EVF_FAULT),
		      "write(-1, unpaged, 16): the page is faulted in, data captured");
	else
		CHECK(e, res(e) == -EBADF && plen(e, "data") == 0 && (e->flags & KCAP_EVF_FAULT),
		      "write(-1, unpaged, 16): empty data, fault flagged, no warning");
	e = find(KCAP_EVT_OPENAT2, w, "name", "/nonexistent-kcap-openat2");
	CHECK(e, res(e) == -ENOENT && num(e, "flags") == (O_RDONLY | O_CLOEXEC) &&
			 num(e, "resolve") == 0 && num(e, "dirfd") == AT_FDCWD,
	      "openat2(missing, {O_CLOEXEC}) = -ENOENT with open_how decoded");
	e = find(KCAP_EVT_EXECVEAT, w, "filename", "/nonexistent-kcap-execveat");
	CHECK(e, res(e) == -ENOENT && num(e, "dirfd") == AT_FDCWD && num(e, "flags") == 0 &&
			 strstr(show(e), "\"kcap-execveat\""),
	      "execveat(AT_FDCWD, missing) = -ENOENT with dirfd, flags, argv");
	e = find_num(KCAP_EVT_PTRACE, w, "pid", 1);
	CHECK(e, res(e) < 0 && num(e, "request") == PTRACE_PEEKDATA_NR,
	      "ptrace(PEEKDATA, 1) fails, request and pid decoded");
	path(want, sizeof(want), "mnt");
	e = find(KCAP_EVT_MOUNT, w, "target", want);
	CHECK(e, res(e) == 0 && !strcmp(str(e, "source"), "kcapfs") &&
			 !strcmp(str(e, "fstype"), "tmpfs") && num(e, "flags") == MS_NOSUID_NR,
	      "mount(kcapfs, %s, tmpfs, MS_NOSUID) = 0", want);
	e = find(KCAP_EVT_UMOUNT2, w, "target", want);
	CHECK(e, res(e) == 0, "umount2(%s) = 0", want);
	e = find(KCAP_EVT_INIT_MODULE, w, "uargs", "kcaparg=1");
	CHECK(e, res(e) < 0 && num(e, "len") == 0, "init_module(NULL, 0, \"kcaparg=1\") fails");
	e = find(KCAP_EVT_FINIT_MODULE, w, "uargs", "kcaparg=2");
	CHECK(e, res(e) == -EBADF && num(e, "fd") == -1, "finit_module(-1) = -EBADF");
	e = find(KCAP_EVT_DELETE_MODULE, w, "name", "kcap_no_such_module");
	CHECK(e, res(e) == -ENOENT && num(e, "flags") == O_NONBLOCK,
	      "delete_module(missing, O_NONBLOCK) = -ENOENT");
	e = find_num(KCAP_EVT_BPF, w, "cmd", 9999);
	CHECK(e, res(e) < 0, "bpf(9999) fails, cmd decoded");
	e = find(KCAP_EVT_PERF_EVENT_OPEN, w, NULL, NULL);
	CHECK(e, res(e) < 0 && num(e, "pid") == 0 && num(e, "cpu") == -1 &&
			 num(e, "group_fd") == -1,
	      "perf_event_open(NULL, 0, -1, -1) fails, args decoded");
	e = find(KCAP_EVT_KEXEC_LOAD, w, NULL, NULL);
	CHECK(e, res(e) < 0 && num(e, "flags") == 0x12340000, "kexec_load(flags 0x12340000) fails");
	e = find_num(KCAP_EVT_IOCTL, w, "fd", -1);
	CHECK(e, res(e) == -EBADF && num(e, "request") == 0x5401, "ioctl(-1, TCGETS) = -EBADF");
	e = find_num(KCAP_EVT_SETNS, w, "fd", -1);
	CHECK(e, res(e) == -EBADF, "setns(-1, 0) = -EBADF");
	e = find(KCAP_EVT_CHROOT, w, "path", "/nonexistent-kcap-chroot");
	CHECK(e, res(e) == -ENOENT, "chroot(missing) = -ENOENT");
	e = find_num(KCAP_EVT_USERFAULTFD, w, "flags", O_CLOEXEC);
	CHECK(e, e != NULL, "userfaultfd(O_CLOEXEC) decoded");
	e = find_num(KCAP_EVT_VFORK, w, "res", sh->vfork_child);
	CHECK(e, sh->vfork_child > 0, "vfork in the parent: res = child %d", sh->vfork_child);
	e = find_num(KCAP_EVT_CLONE3, w, "res", sh->clone3_child);
	CHECK(e, sh->clone3_child > 0 && num(e, "flags") == 0 &&
			 num(e, "size") == sizeof(struct clone_args),
	      "clone3 in the parent: res = child %d, flags and size", sh->clone3_child);
	e = find_num(KCAP_EVT_CLONE3, sh->clone3_child, "res", 0);
	CHECK(e, e != NULL, "clone3 in the child: res = 0");
}

static int test_events(const char *self)
{
	static const char *const names[] = {
		"openat", "creat", "close", "read", "write", "readv", "writev", "dup", "dup2",
		"dup3", "fcntl", "link", "rename", "symlink", "chmod", "chown", "truncate",
		"mkdir", "rmdir", "unlink", "chdir", "socket", "bind", "listen", "connect",
		"accept4", "sendto", "recvfrom", "sendmsg", "recvmsg", "shutdown", "socketpair",
		"kill", "tgkill", "prctl", "setuid", "unshare", "mmap", "mprotect",
		"memfd_create", "clone", "clone3", "fork", "vfork", "execve", "pread64",
		"pwrite64", "openat2", "execveat", "ptrace", "mount", "umount2", "init_module",
		"finit_module", "delete_module", "bpf", "perf_event_open", "kexec_load",
		"ioctl", "setns", "chroot", "userfaultfd", NULL
	};
	struct kcap *h;
	pid_t w;
	int st;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return tap(false, strerror(errno), "shared page"), tap_done();
	h = open_capture(names, 256);
	if (!h)
		return tap_done();
	w = fork();
	if (w == 0)
		workload(self);
	collect(h, w);
	waitpid(w, &st, 0);
	tap(sh->done && WIFEXITED(st) && !WEXITSTATUS(st), NULL, "the workload ran to its end");
	tap_diag("workload %d, fork child %d, exec child %d, dir %s", w, sh->fork_child,
		 sh->exec_child, sh->dir);
	check_files(w);
	check_net(w);
	check_proc(self, w);
	check_surface(w);
	kcap_stop(h);
	kcap_close(h);
	return tap_done();
}

static int test_ia32(const char *prog)
{
	static const char *const names[] = { "openat", "write", "close", "getpid", NULL };
	const struct kcap_event_hdr *e;
	char p[64];
	struct kcap *h;
	pid_t w;
	int st, i;
	bool getpid_seen = false;

	snprintf(p, sizeof(p), "/tmp/kcap-ia32-%d", getpid());
	h = open_capture(names, 256);
	if (!h)
		return tap_done();
	w = fork();
	if (w == 0) {
		execl(prog, prog, p, (char *)NULL);
		_exit(9);
	}
	collect(h, w);
	waitpid(w, &st, 0);
	tap(WIFEXITED(st) && !WEXITSTATUS(st), NULL, "%s ran (status 0x%x)", prog, st);
	e = find(KCAP_EVT_OPENAT, w, "name", p);
	CHECK(e, (e->flags & KCAP_EVF_COMPAT) && res(e) >= 0 && num(e, "dirfd") == AT_FDCWD &&
			 (num(e, "flags") & 03) == O_WRONLY && num(e, "mode") == 0600,
	      "ia32 openat is a decoded openat event flagged compat");
	e = find(KCAP_EVT_WRITE, w, "data", "ia32-data");
	CHECK(e, (e->flags & KCAP_EVF_COMPAT) && res(e) == 9 && num(e, "size") == 9,
	      "ia32 write is a decoded write event flagged compat");
	e = find_num(KCAP_EVT_CLOSE, w, "res", 0);
	CHECK(e, (e->flags & KCAP_EVF_COMPAT), "ia32 close is a decoded close event flagged compat");
	for (i = 0; i < nevs; i++)
		if (evs[i]->type == KCAP_EVT_SYSCALL && evs[i]->pid == (__u32)w &&
		    (evs[i]->flags & KCAP_EVF_COMPAT) && kcap_event_syscall_nr(evs[i]) == 20)
			getpid_seen = true;
	tap(getpid_seen, NULL, "ia32 getpid is a generic event with ia32 nr 20, flagged compat");
	unlink(p);
	kcap_stop(h);
	kcap_close(h);
	return tap_done();
}

/* ---- syscalls a ptrace tracer emulates (PTRACE_SYSEMU) ----------------------- */

/*
 * gVisor's ptrace platform, User-Mode Linux and other emulators stop their
 * tracee at each syscall's entry with PTRACE_SYSEMU and answer it
 * themselves: the kernel never runs the call, its sys_enter tracepoint does
 * not fire, but sys_exit does, with the tracee's registers and the tracer's
 * answer. Such a call must not be recorded as the kernel's. The child opens
 * a file that exists: emulated, the tracer answers -ENOENT (so the test
 * knows the call was emulated), then getppid (where the tracer detaches:
 * that call is still skipped, but its exit no longer says so), then opens
 * the file again, for real.
 */
static int test_sysemu(void)
{
	static const char *const names[] = { "openat", NULL };
	const struct kcap_event_hdr *e;
	char p[64];
	struct kcap *h;
	pid_t w;
	int st, i, ghosts = 0, fd;
	long nr = -1;
	bool stopped;

	snprintf(p, sizeof(p), "/tmp/kcap-sysemu-%d", getpid());
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	if (!tap(fd >= 0, strerror(errno), "create %s", p))
		return tap_done();
	close(fd);
	h = open_capture(names, 256);
	if (!h)
		return tap_done();
	w = fork();
	if (w == 0) {
		long r;

		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		raise(SIGSTOP);
		r = syscall(SYS_openat, AT_FDCWD, p, O_RDONLY);
		if (r != -1 || errno != ENOENT)
			_exit(3); /* not emulated */
		syscall(SYS_getppid);
		r = syscall(SYS_openat, AT_FDCWD, p, O_RDONLY);
		_exit(r >= 0 ? 0 : 4);
	}
	stopped = waitpid(w, &st, 0) == w && WIFSTOPPED(st);
	/* to the openat's entry, which the tracer answers */
	if (stopped && !ptrace(PTRACE_SYSEMU, w, NULL, NULL) && waitpid(w, &st, 0) == w &&
	    WIFSTOPPED(st)) {
		nr = ptrace(PTRACE_PEEKUSER, w, offsetof(struct user_regs_struct, orig_rax), NULL);
		ptrace(PTRACE_POKEUSER, w, offsetof(struct user_regs_struct, rax), (void *)(long)-ENOENT);
		/* to getppid's entry, then let it go */
		if (!ptrace(PTRACE_SYSEMU, w, NULL, NULL) && waitpid(w, &st, 0) == w && WIFSTOPPED(st))
			ptrace(PTRACE_DETACH, w, NULL, NULL);
	}
	tap(nr == SYS_openat, NULL, "the tracer stopped the child at openat's entry (nr %ld)", nr);
	collect(h, w);
	waitpid(w, &st, 0);
	tap(WIFEXITED(st) && !WEXITSTATUS(st), NULL,
	    "the child's first openat was emulated (-ENOENT), its second ran (status 0x%x)", st);
	for (i = 0; i < nevs; i++)
		if (evs[i]->type == KCAP_EVT_OPENAT && evs[i]->pid == (__u32)w &&
		    !strcmp(str(evs[i], "name"), p))
			ghosts += res(evs[i]) < 0;
	e = find(KCAP_EVT_OPENAT, w, "name", p);
	CHECK(e, res(e) >= 0, "the openat the kernel ran is recorded");
	tap(ghosts == 0, NULL, "the emulated openat is not (%d recorded with a failure)", ghosts);
	unlink(p);
	kcap_stop(h);
	kcap_close(h);
	return tap_done();
}

/* ---- differential test against strace ---------------------------------------- */

/* The workload strace and kcap both watch: fixed calls, no output. */
static int diff_workload(const char *file)
{
	char missing[128];
	long fd;

	snprintf(missing, sizeof(missing), "%s-missing", file);
	fd = syscall(SYS_openat, AT_FDCWD, file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	syscall(SYS_write, fd, "diff-data", 9);
	syscall(SYS_close, fd);
	fd = syscall(SYS_openat, AT_FDCWD, file, O_RDONLY);
	syscall(SYS_read, fd, (char[32]){ 0 }, 32);
	syscall(SYS_close, fd);
	syscall(SYS_openat, AT_FDCWD, missing, O_RDONLY);
	syscall(SYS_unlink, file);
	syscall(SYS_close, -1);
	return 0;
}

/* One strace line: "PID name(args) = RES ...". */
struct sline {
	pid_t pid;
	char name[16];
	char path[128]; /* first quoted argument (openat, unlink) */
	long long a0, alast; /* first and last numeric argument */
	long long res;
	char err[24]; /* "= -1 ENOENT": the errno name */
};

static bool parse_strace(const char *l, struct sline *o)
{
	const char *p, *q, *eq = NULL, *cp;
	int n = 0;

	memset(o, 0, sizeof(*o));
	if (sscanf(l, "%d %15[a-z0-9_](%n", &o->pid, o->name, &n) != 2 || !n)
		return false;
	p = l + n;
	/* strace pads the result column: "write(3, "x", 1)     = 1" */
	for (q = strstr(p, " = "); q; q = strstr(q + 1, " = "))
		eq = q;
	if (!eq || sscanf(eq + 3, "%lld %23[A-Z0-9]", &o->res, o->err) < 1)
		return false;
	for (cp = eq; cp > p && *cp != ')'; cp--)
		;
	eq = cp;
	q = strchr(p, '"');
	if (q && q < eq) {
		const char *e = strchr(q + 1, '"');

		if (e && e - q - 1 < (long)sizeof(o->path))
			memcpy(o->path, q + 1, (size_t)(e - q - 1));
	}
	o->a0 = strncmp(p, "AT_FDCWD", 8) ? strtoll(p, NULL, 0) : AT_FDCWD;
	for (q = eq; q > p && q[-1] != ' ' && q[-1] != '('; q--)
		;
	o->alast = strtoll(q, NULL, 0);
	return true;
}

static unsigned int type_of(const char *name)
{
	static const struct {
		const char *n;
		unsigned int t;
	} map[] = { { "openat", KCAP_EVT_OPENAT }, { "write", KCAP_EVT_WRITE },
		    { "read", KCAP_EVT_READ },	   { "close", KCAP_EVT_CLOSE },
		    { "unlink", KCAP_EVT_UNLINK } };
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i].n, name))
			return map[i].t;
	return 0;
}

/* Compares one strace line with the kcap event of the same call. */
static bool same_call(const struct sline *l, const struct kcap_event_hdr *e, char *why, size_t n)
{
	const char *e_err = res(e) < 0 && res(e) >= -4095 ? strerrorname_np((int)-res(e)) : NULL;
	bool ok = l->res == -1 && l->err[0] ? e_err && !strcmp(e_err, l->err) : res(e) == l->res;

	switch (e->type) {
	case KCAP_EVT_OPENAT:
		ok = ok && !strcmp(str(e, "name"), l->path) && l->a0 == AT_FDCWD;
		break;
	case KCAP_EVT_UNLINK:
		ok = ok && !strcmp(str(e, "path"), l->path);
		break;
	case KCAP_EVT_WRITE:
	case KCAP_EVT_READ:
		ok = ok && num(e, "fd") == l->a0 && num(e, "size") == l->alast;
		break;
	case KCAP_EVT_CLOSE:
		ok = ok && num(e, "fd") == l->a0;
		break;
	}
	snprintf(why, n, "strace: %s(%s %lld .. %lld) = %lld; kcap: %s", l->name, l->path, l->a0,
		 l->alast, l->res, show(e));
	return ok;
}

static int test_strace(const char *self)
{
	static const char *const names[] = { "openat", "write", "read", "close", "unlink", NULL };
	char out[64], file[64], buf[512], why[9000];
	int used[MAX_EVENTS] = { 0 };
	int st, i, compared = 0, bad = 0;
	struct sline l;
	struct kcap *h;
	FILE *f;
	pid_t w;

	if (access("/bin/strace", X_OK)) {
		tap_skip("strace and kcap agree", "no strace in the guest");
		return tap_done();
	}
	snprintf(out, sizeof(out), "/tmp/kcap-strace-%d.txt", getpid());
	snprintf(file, sizeof(file), "/tmp/kcap-diff-%d", getpid());
	h = open_capture(names, 256);
	if (!h)
		return tap_done();
	w = fork();
	if (w == 0) {
		execl("/bin/strace", "strace", "-f", "-qq", "-e", "trace=openat,write,read,close,unlink",
		      "-o", out, self, "__diff", file, (char *)NULL);
		_exit(9);
	}
	collect(h, w);
	waitpid(w, &st, 0);
	kcap_stop(h);
	tap(WIFEXITED(st) && !WEXITSTATUS(st), NULL, "strace ran the workload (status 0x%x)", st);
	f = fopen(out, "r");
	if (!tap(f != NULL, strerror(errno), "read strace's output"))
		return kcap_close(h), tap_done();
	while (fgets(buf, sizeof(buf), f)) {
		const struct kcap_event_hdr *e = NULL;
		unsigned int t;

		buf[strcspn(buf, "\n")] = '\0';
		if (!parse_strace(buf, &l) || !(t = type_of(l.name)))
			continue;
		/* kcap's next unmatched event of the same call by the same thread,
		 * after its exec (strace's child runs untraced before it) */
		for (i = 0; i < nevs; i++)
			if (evs[i]->type == KCAP_EVT_PROC_EXEC && evs[i]->tid == (__u32)l.pid)
				break;
		for (i = i < nevs ? i : 0; i < nevs && !e; i++)
			if (!used[i] && evs[i]->type == t && evs[i]->tid == (__u32)l.pid) {
				used[i] = 1;
				e = evs[i];
			}
		compared++;
		if (!e) {
			bad++;
			tap(false, buf, "kcap saw strace's call of pid %d", l.pid);
		} else if (!same_call(&l, e, why, sizeof(why))) {
			bad++;
			tap(false, why, "strace and kcap agree on %s of pid %d", l.name, l.pid);
		}
	}
	fclose(f);
	unlink(out);
	tap(compared >= 9 && !bad, NULL, "strace and kcap agree on all %d calls both saw (%d differ)",
	    compared, bad);
	kcap_close(h);
	return tap_done();
}

/* ---- ABI 2.2: parameters read from the kernel's objects ------------------------ */

struct kshared {
	int port, port6, cli_port, cli6_port, has6;
	long srv, cli, conn, srv6, cli6, conn6, usrv, ucli, uconn;
	char upath[64];
	pid_t exec_child, memfd_child, lower_child, upper_child;
	char ovl[64];
	__u64 cap_before, cap_after;
	int capset_res, memfd_res, done;
};

static struct kshared *ks;

static int local_port(long fd)
{
	struct sockaddr_storage ss;
	socklen_t l = sizeof(ss);

	if (getsockname((int)fd, (struct sockaddr *)&ss, &l))
		return -1;
	return ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
						((struct sockaddr_in *)&ss)->sin_port);
}

/* The effective set of this thread (capget), as one number. */
static __u64 cap_eff(void)
{
	struct __user_cap_header_struct hd = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = { { 0 } };

	if (syscall(SYS_capget, &hd, d))
		return 0;
	return d[0].effective | (__u64)d[1].effective << 32;
}

static void kobj_workload(const char *self)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(ks->port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(ks->port6),
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_un u = { .sun_family = AF_UNIX };
	struct __user_cap_header_struct hd = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = { { 0 } };
	char env1[64];
	char *const argv[] = { "decode_test", "__exec", "kobj", NULL };
	char *const fail_env[] = { "KCAP_ENV_FAIL=1", NULL };
	pid_t c;

	/* IPv4: the client's port comes from the kernel (autobind) */
	ks->srv = socket(AF_INET, SOCK_STREAM, 0);
	bind((int)ks->srv, (struct sockaddr *)&a, sizeof(a));
	listen((int)ks->srv, 5);
	ks->cli = socket(AF_INET, SOCK_STREAM, 0);
	if (!connect((int)ks->cli, (struct sockaddr *)&a, sizeof(a))) {
		ks->cli_port = local_port(ks->cli);
		ks->conn = accept((int)ks->srv, NULL, NULL);
	}
	/* IPv6 */
	ks->srv6 = socket(AF_INET6, SOCK_STREAM, 0);
	if (ks->srv6 >= 0 && !bind((int)ks->srv6, (struct sockaddr *)&a6, sizeof(a6)) &&
	    !listen((int)ks->srv6, 5)) {
		ks->cli6 = socket(AF_INET6, SOCK_STREAM, 0);
		if (!connect((int)ks->cli6, (struct sockaddr *)&a6, sizeof(a6))) {
			ks->cli6_port = local_port(ks->cli6);
			ks->conn6 = accept4((int)ks->srv6, NULL, NULL, 0);
			ks->has6 = ks->conn6 >= 0;
		}
	}
	/* unix */
	snprintf(u.sun_path, sizeof(u.sun_path), "%s", ks->upath);
	unlink(ks->upath);
	ks->usrv = socket(AF_UNIX, SOCK_STREAM, 0);
	bind((int)ks->usrv, (struct sockaddr *)&u, sizeof(u));
	listen((int)ks->usrv, 5);
	ks->ucli = socket(AF_UNIX, SOCK_STREAM, 0);
	if (!connect((int)ks->ucli, (struct sockaddr *)&u, sizeof(u)))
		ks->uconn = accept((int)ks->usrv, NULL, NULL);
	unlink(ks->upath);
	/* capset: drop CAP_NET_RAW from the effective set */
	ks->cap_before = cap_eff();
	if (!syscall(SYS_capget, &hd, d)) {
		d[0].effective &= ~(1u << CAP_NET_RAW);
		ks->capset_res = (int)syscall(SYS_capset, &hd, d);
	}
	ks->cap_after = cap_eff();
	/* a failed exec: the caller's environment */
	execve("/nonexistent-kcap-kobj", argv, fail_env);
	/* exec in a new session: sid and pgid are the child's pid */
	c = fork();
	if (c == 0) {
		char *const envp[] = { env1, "KCAP_B=2", NULL };

		snprintf(env1, sizeof(env1), "KCAP_ENV_TEST=env-%d", getpid());
		setsid();
		execve(self, argv, envp);
		_exit(9);
	}
	ks->exec_child = c;
	waitpid(c, NULL, 0);
	/* fexecve of a memfd holding this program */
	c = fork();
	if (c == 0) {
		char buf[65536];
		int in = open(self, O_RDONLY), fd = (int)syscall(SYS_memfd_create, "kcap-exe", 0);
		ssize_t n;

		char ro[64];

		while (in >= 0 && fd >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
			if (write(fd, buf, (size_t)n) != n)
				_exit(8);
		/* a descriptor open for writing makes exec fail (ETXTBSY, 5.10) */
		snprintf(ro, sizeof(ro), "/proc/self/fd/%d", fd);
		in = open(ro, O_RDONLY);
		close(fd);
		syscall(SYS_execveat, in, "", argv, fail_env, AT_EMPTY_PATH);
		/* what glibc's fexecve() falls back to */
		snprintf(ro, sizeof(ro), "/proc/self/fd/%d", in);
		execve(ro, argv, fail_env);
		_exit(9);
	}
	ks->memfd_child = c;
	waitpid(c, &ks->memfd_res, 0);
	/* on an overlay: a program of the lower layer, one copied up */
	for (int k = 0; ks->ovl[0] && k < 2; k++) {
		char exe[128];

		snprintf(exe, sizeof(exe), "%s/%s", ks->ovl, k ? "upper_exe" : "lower_exe");
		c = fork();
		if (c == 0) {
			execve(exe, argv, fail_env);
			_exit(9);
		}
		*(k ? &ks->upper_child : &ks->lower_child) = c;
		waitpid(c, NULL, 0);
	}
	ks->done = 1;
	_exit(0);
}

static bool sa_is(const struct kcap_event_hdr *e, const char *name, int family, int port)
{
	struct kcap_sockaddr sa;
	int i = e ? kcap_event_param_index(e, name) : -1;
	static const __u8 lo6[16] = { [15] = 1 };

	if (i < 0 || kcap_event_sockaddr(e, (unsigned int)i, &sa) || sa.family != family ||
	    sa.port != port)
		return false;
	return family == AF_INET ? !memcmp(sa.addr, "\x7f\0\0\x01", 4) : !memcmp(sa.addr, lo6, 16);
}

static bool sa_path(const struct kcap_event_hdr *e, const char *name, const char *path)
{
	struct kcap_sockaddr sa;
	int i = e ? kcap_event_param_index(e, name) : -1;

	return i >= 0 && !kcap_event_sockaddr(e, (unsigned int)i, &sa) &&
	       sa.family == AF_UNIX && !strcmp(sa.path, path);
}

/* A strarray parameter holds @want as one of its strings. */
static bool has_string(const struct kcap_event_hdr *e, const char *name, const char *want)
{
	struct kcap_strarray it;
	const char *s;
	size_t n;
	int i = e ? kcap_event_param_index(e, name) : -1;

	if (i < 0 || kcap_event_strarray(e, (unsigned int)i, &it))
		return false;
	kcap_strarray_for_each(&it, s, n)
	if (n == strlen(want) && !memcmp(s, want, n))
		return true;
	return false;
}

/* A hex field of /proc/self/status (CapPrm, CapEff, CapInh). */
static __u64 status_hex(const char *key)
{
	char l[256];
	unsigned long long v = 0;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(l, sizeof(l), f))
		if (!strncmp(l, key, strlen(key)) && l[strlen(key)] == ':')
			v = strtoull(l + strlen(key) + 1, NULL, 16);
	if (f)
		fclose(f);
	return v;
}

static __u64 ns_of(struct timespec t)
{
	return (__u64)t.tv_sec * 1000000000ULL + (__u64)t.tv_nsec;
}

static int test_kobj(const char *self, const char *ovl)
{
	static const char *const names[] = { "socket", "bind", "listen", "connect", "accept",
					     "accept4", "capset", "execve", "execveat",
					     "setsid", "memfd_create", NULL };
	const struct kcap_event_hdr *e;
	struct kcap *h;
	struct stat st;
	char want[64];
	__u64 prm = status_hex("CapPrm"), eff = status_hex("CapEff");
	pid_t w;
	int wst;

	ks = mmap(NULL, sizeof(*ks), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ks == MAP_FAILED)
		return tap(false, strerror(errno), "shared page"), tap_done();
	ks->port = 30000 + getpid() % 10000;
	ks->port6 = ks->port + 1;
	snprintf(ks->upath, sizeof(ks->upath), "/tmp/kcap-kobj-%d.sock", getpid());
	ks->srv = ks->cli = ks->conn = ks->srv6 = ks->cli6 = ks->conn6 = -1;
	ks->usrv = ks->ucli = ks->uconn = -1;
	snprintf(ks->ovl, sizeof(ks->ovl), "%s", ovl ? ovl : "");
	if (stat(self, &st))
		return tap(false, strerror(errno), "stat %s", self), tap_done();
	h = open_capture(names, 256);
	if (!h)
		return tap_done();
	w = fork();
	if (w == 0)
		kobj_workload(self);
	collect(h, w);
	waitpid(w, &wst, 0);
	tap(ks->done && WIFEXITED(wst) && !WEXITSTATUS(wst), NULL, "the workload ran to its end");
	tap_diag("workload %d, exec child %d, memfd child %d, client ports %d %d",
		 w, ks->exec_child, ks->memfd_child, ks->cli_port, ks->cli6_port);

	e = find_num(KCAP_EVT_CONNECT, w, "fd", ks->cli);
	CHECK(e, res(e) == 0 && sa_is(e, "local", AF_INET, ks->cli_port) &&
			 sa_is(e, "peer", AF_INET, ks->port),
	      "connect(127.0.0.1:%d): local 127.0.0.1:%d (the kernel's choice), peer the server",
	      ks->port, ks->cli_port);
	e = find_num(KCAP_EVT_ACCEPT, w, "res", ks->conn);
	CHECK(e, ks->conn >= 0 && plen(e, "addr") == 0 && sa_is(e, "peer", AF_INET, ks->cli_port) &&
			 sa_is(e, "local", AF_INET, ks->port),
	      "accept(srv, NULL, NULL): no caller buffer, the client 127.0.0.1:%d from the socket",
	      ks->cli_port);
	if (!ks->has6) {
		tap_skip("IPv6 connect and accept4", "no IPv6 loopback in this guest");
	} else {
		e = find_num(KCAP_EVT_CONNECT, w, "fd", ks->cli6);
		CHECK(e, res(e) == 0 && sa_is(e, "local", AF_INET6, ks->cli6_port) &&
				 sa_is(e, "peer", AF_INET6, ks->port6),
		      "connect([::1]:%d): local [::1]:%d, peer the server", ks->port6, ks->cli6_port);
		e = find_num(KCAP_EVT_ACCEPT4, w, "res", ks->conn6);
		CHECK(e, plen(e, "addr") == 0 && sa_is(e, "peer", AF_INET6, ks->cli6_port) &&
				 sa_is(e, "local", AF_INET6, ks->port6),
		      "accept4(srv6, NULL, NULL, 0): the client [::1]:%d from the socket",
		      ks->cli6_port);
	}
	e = find_num(KCAP_EVT_CONNECT, w, "fd", ks->ucli);
	CHECK(e, res(e) == 0 && sa_path(e, "peer", ks->upath), "unix connect: peer %s", ks->upath);
	e = find_num(KCAP_EVT_ACCEPT, w, "res", ks->uconn);
	CHECK(e, ks->uconn >= 0 && sa_path(e, "local", ks->upath),
	      "unix accept(NULL): local %s", ks->upath);
	e = find(KCAP_EVT_CAPSET, w, NULL, NULL);
	CHECK(e, res(e) == ks->capset_res && ks->capset_res == 0 &&
			 (__u64)num(e, "cap_effective") == ks->cap_after &&
			 ks->cap_after == (ks->cap_before & ~(1ULL << CAP_NET_RAW)) &&
			 (__u64)num(e, "cap_permitted") == prm && num(e, "cap_inheritable") == 0,
	      "capset dropping CAP_NET_RAW: cap_effective %#llx after, permitted %#llx",
	      (unsigned long long)ks->cap_after, (unsigned long long)prm);
	e = find_num(KCAP_EVT_EXECVE, w, "res", -ENOENT);
	CHECK(e, has_string(e, "env", "KCAP_ENV_FAIL=1"),
	      "failed execve: env is the caller's array");
	e = find_num(KCAP_EVT_EXECVE, ks->exec_child, "res", 0);
	snprintf(want, sizeof(want), "KCAP_ENV_TEST=env-%d", ks->exec_child);
	CHECK(e, has_string(e, "env", want) && has_string(e, "env", "KCAP_B=2"),
	      "execve: env of the new image (%s KCAP_B=2)", want);
	CHECK(e, (__u64)num(e, "cap_permitted") == prm && (__u64)num(e, "cap_effective") == eff &&
			 num(e, "cap_inheritable") == 0,
	      "execve as root: cap_permitted %#llx and cap_effective %#llx as /proc/self/status",
	      (unsigned long long)prm, (unsigned long long)eff);
	CHECK(e, (__u64)num(e, "exe_ino") == (__u64)st.st_ino &&
			 (__u64)num(e, "exe_ctime") == ns_of(st.st_ctim) &&
			 (__u64)num(e, "exe_mtime") == ns_of(st.st_mtim) && num(e, "exe_flags") == 0,
	      "execve: exe_ino %llu, exe_ctime and exe_mtime as stat(2), exe_flags 0",
	      (unsigned long long)st.st_ino);
	CHECK(e, num(e, "sid") == ks->exec_child && num(e, "vpgid") == ks->exec_child,
	      "execve after setsid(): sid and vpgid are the child's pid %d", ks->exec_child);
	e = find_num(KCAP_EVT_EXECVEAT, ks->memfd_child, "res", 0);
	if (!e)
		e = find_num(KCAP_EVT_EXECVE, ks->memfd_child, "res", 0);
	for (int i = 0; !e && i < nevs; i++)
		if (evs[i]->pid == (__u32)ks->memfd_child)
			tap_diag("memfd child (status %#x): %s", ks->memfd_res, show(evs[i]));
	CHECK(e, WIFEXITED(ks->memfd_res) && !WEXITSTATUS(ks->memfd_res) &&
			 num(e, "exe_flags") == KCAP_EXE_FROM_MEMFD &&
			 !strncmp(str(e, "exe"), "/memfd:kcap-exe", 15),
	      "fexecve(memfd): exe_flags KCAP_EXE_FROM_MEMFD, exe %s", e ? str(e, "exe") : "?");
	if (!ovl) {
		tap_skip("exe_flags on an overlay", "no overlayfs in this guest");
	} else {
		e = find_num(KCAP_EVT_EXECVE, ks->lower_child, "res", 0);
		CHECK(e, num(e, "exe_flags") == 0, "exec of a lower-layer program: exe_flags 0");
		e = find_num(KCAP_EVT_EXECVE, ks->upper_child, "res", 0);
		CHECK(e, num(e, "exe_flags") == KCAP_EXE_UPPER_LAYER,
		      "exec of a program copied to the upper layer: exe_flags KCAP_EXE_UPPER_LAYER");
	}
	e = find_num(KCAP_EVT_EXECVE, w, "res", -ENOENT);
	CHECK(e, num(e, "sid") == getsid(0) && num(e, "vpgid") == getpgid(0),
	      "failed execve: the workload's sid and vpgid (the test's: %d, %d)", getsid(0),
	      getpgid(0));
	kcap_stop(h);
	kcap_close(h);
	return tap_done();
}

int main(int argc, char **argv)
{
	char self[256];
	ssize_t n;

	if (argc == 3 && !strcmp(argv[1], "__exec"))
		return 0;
	if ((argc == 2 || argc == 3) && !strcmp(argv[1], "kobj")) {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n <= 0)
			return tap(false, strerror(errno), "find /proc/self/exe"), tap_done();
		self[n] = '\0';
		return test_kobj(self, argc == 3 ? argv[2] : NULL);
	}
	if (argc == 3 && !strcmp(argv[1], "ia32"))
		return test_ia32(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "sysemu"))
		return test_sysemu();
	if (argc == 3 && !strcmp(argv[1], "__diff"))
		return diff_workload(argv[2]);
	if (argc == 2 && (!strcmp(argv[1], "events") || !strcmp(argv[1], "strace"))) {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n <= 0)
			return tap(false, strerror(errno), "find /proc/self/exe"), tap_done();
		self[n] = '\0';
		return argv[1][0] == 'e' ? test_events(self) : test_strace(self);
	}
	fprintf(stderr, "usage: decode_test events | ia32 PROGRAM | sysemu | strace | kobj [OVERLAY]\n");
	return 2;
}
