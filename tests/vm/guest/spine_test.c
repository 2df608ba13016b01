// SPDX-License-Identifier: Apache-2.0
/*
 * spine_test: the driver's spine, checked inside a guest with kcap.ko loaded.
 *
 *   spine_test events         a pinned child's syscalls and lifecycle, decoded
 *   spine_test ioctl          ioctl and mmap validation, sessions, the holder file
 *   spine_test hotplug        capture across CPU1 going offline and back (2 vCPUs)
 *   spine_test hold SECONDS   hold the device mapped, print "holding", sleep
 *
 * Prints TAP on stdout; exits 1 if any check failed. Run as root.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kcap.h"
#include "tap.h"

#define DEV "/dev/kcap"
#define HOLDER "/sys/class/misc/kcap/holder"
#define SESSIONS "/sys/class/misc/kcap/sessions"
#define MAX_SESSIONS "/sys/module/kcap/parameters/max_sessions"
#define MARK 0x6b636170ULL /* "kcap" in a0 of the workload's getppid calls */
#define WRITE_LEN 1234
#define EXIT_CODE 7

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct kcap *open_capture(const unsigned int *nrs, size_t n, bool lifecycle)
{
	static char errbuf[256];
	struct kcap *h;
	KCAP_OPTS(kcap_open_opts, o, .ring_size = 1 << 20, .syscalls = nrs, .nr_syscalls = n,
		  .flags = lifecycle ? 0 : KCAP_OPEN_NO_LIFECYCLE, .errbuf = errbuf,
		  .errbuf_sz = sizeof(errbuf));

	h = kcap_open_live(&o);
	if (!tap(h != NULL, errbuf, "open %s", DEV))
		return NULL;
	if (!tap(kcap_start(h) == 0, kcap_errmsg(h), "start the capture")) {
		kcap_close(h);
		return NULL;
	}
	return h;
}

static void check_no_drops(struct kcap *h)
{
	struct kcap_cpu_stats st;
	unsigned long long drops = 0;
	char detail[256] = "";
	unsigned int cpu, i;

	for (cpu = 0; cpu < kcap_nr_rings(h); cpu++) {
		if (kcap_cpu_stats(h, cpu, &st)) {
			snprintf(detail, sizeof(detail), "%s", kcap_errmsg(h));
			drops = ~0ULL;
			break;
		}
		for (i = 0; i < KCAP_DROP_NR_SLOTS; i++) {
			if (st.drops[i] && !*detail)
				snprintf(detail, sizeof(detail), "cpu %u: %llu drops of cause %u",
					 cpu, (unsigned long long)st.drops[i], i);
			drops += st.drops[i];
		}
	}
	tap(drops == 0, detail, "no drops on any of %u CPUs", kcap_nr_rings(h));
}

static __u64 arg(const struct kcap_event_hdr *ev, unsigned int i)
{
	__u64 v = 0;

	kcap_event_u64(ev, i, &v);
	return v;
}

/* ---- events ---------------------------------------------------------------- */

/* The exec'd workload: pinned to one CPU, a known sequence of syscalls. */
static int workload(const char *path)
{
	char buf[WRITE_LEN];
	cpu_set_t set;
	long fd;
	int i;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
	for (i = 0; i < 3; i++)
		syscall(SYS_getppid);
	fd = syscall(SYS_openat, AT_FDCWD, path, O_CREAT | O_WRONLY, 0600);
	if (fd < 0)
		_exit(2);
	memset(buf, 'k', sizeof(buf));
	if (syscall(SYS_write, fd, buf, sizeof(buf)) != WRITE_LEN)
		_exit(3);
	syscall(SYS_close, fd);
	unlink(path);
	_exit(EXIT_CODE);
}

/* What the reader saw of the workload. */
struct seen {
	int getppid, bad_getppid;
	__u64 getppid_res;
	unsigned int getppid_len, getppid_np;
	bool openat, write, close, fork, exec, exit;
	__s64 fd;
	__s64 openat_dirfd, openat_flags, openat_mode, write_fd, write_size, close_fd;
	char openat_name[64], openat_path[64];
	bool write_data_ok;
	__s64 openat_res, write_res, close_res;
	__u64 ts_first_getppid, ts_openat, ts_write, ts_close;
	__s64 exit_code;
	unsigned long own, other_nr, total, order_breaks;
};

/* Decoded parameter @name of @ev as a signed number (-999 if absent). */
static __s64 dnum(const struct kcap_event_hdr *ev, const char *name)
{
	int i = kcap_event_param_index(ev, name);
	__s64 v = -999;

	if (i >= 0)
		kcap_event_s64(ev, (unsigned int)i, &v);
	return v;
}

static void dstr(const struct kcap_event_hdr *ev, const char *name, char *buf, size_t n)
{
	int i = kcap_event_param_index(ev, name);

	buf[0] = '\0';
	if (i >= 0)
		kcap_event_str(ev, (unsigned int)i, buf, n);
}

static bool write_data_is_ours(const struct kcap_event_hdr *ev)
{
	int i = kcap_event_param_index(ev, "data");
	const unsigned char *p;
	const void *vp;
	__u16 len = 0, k;

	if (i < 0 || kcap_event_param(ev, (unsigned int)i, &vp, &len) || !len)
		return false;
	p = vp;
	for (k = 0; k < len; k++)
		if (p[k] != 'k')
			return false;
	/* snaplen bytes at most, all of them ours */
	return len <= WRITE_LEN;
}

static void note_decoded(struct seen *s, const struct kcap_event_hdr *ev)
{
	__s64 res = 0;

	kcap_event_res(ev, &res);
	switch (ev->type) {
	case KCAP_EVT_OPENAT:
		if (dnum(ev, "flags") != (O_CREAT | O_WRONLY))
			return; /* not ours (process start-up) */
		s->openat = true;
		s->fd = res;
		s->openat_res = res;
		s->ts_openat = ev->ts_ns;
		s->openat_dirfd = dnum(ev, "dirfd");
		s->openat_flags = dnum(ev, "flags");
		s->openat_mode = dnum(ev, "mode");
		dstr(ev, "name", s->openat_name, sizeof(s->openat_name));
		dstr(ev, "path", s->openat_path, sizeof(s->openat_path));
		return;
	case KCAP_EVT_WRITE:
		if (dnum(ev, "size") != WRITE_LEN)
			return;
		s->write = true;
		s->write_res = res;
		s->ts_write = ev->ts_ns;
		s->write_fd = dnum(ev, "fd");
		s->write_size = dnum(ev, "size");
		s->write_data_ok = write_data_is_ours(ev);
		return;
	case KCAP_EVT_CLOSE:
		if (s->openat && dnum(ev, "fd") == s->fd) {
			s->close = true;
			s->close_res = res;
			s->ts_close = ev->ts_ns;
			s->close_fd = dnum(ev, "fd");
		}
		return;
	default:
		s->other_nr++;
	}
}

static void note_event(struct seen *s, const struct kcap_event_hdr *ev, pid_t launcher,
		       pid_t child)
{
	struct kcap_syscall sc;
	__s64 res = 0;
	int nr;

	s->total++;
	if (ev->pid == (__u32)getpid())
		s->own++;
	if (ev->type == KCAP_EVT_PROC_FORK && ev->pid == (__u32)launcher &&
	    arg(ev, 0) == (__u64)child && arg(ev, 1) == (__u64)child)
		s->fork = true;
	if (ev->pid != (__u32)child || ev->tid != (__u32)child)
		return;
	if (ev->type == KCAP_EVT_PROC_EXEC)
		s->exec = true;
	if (ev->type == KCAP_EVT_PROC_EXIT) {
		s->exit = true;
		kcap_event_s64(ev, 0, &s->exit_code);
	}
	if (ev->type >= KCAP_EVT_EXECVE) {
		note_decoded(s, ev);
		return;
	}
	if (ev->type != KCAP_EVT_SYSCALL)
		return;
	nr = kcap_event_syscall_nr(ev);
	res = kcap_event_syscall(ev, &sc) ? -1 : sc.res;
	if (nr == SYS_getppid) {
		if (!s->getppid++)
			s->ts_first_getppid = ev->ts_ns;
		s->getppid_res = (__u64)res;
		s->getppid_len = ev->len;
		s->getppid_np = ev->nparams;
		if (res != launcher)
			s->bad_getppid++;
	} else {
		/* openat, write and close come as decoded events in ABI 2 */
		s->other_nr++;
	}
}

static int test_events(const char *self)
{
	static const unsigned int nrs[] = { SYS_getppid, SYS_openat, SYS_write, SYS_close };
	const struct kcap_event_hdr *ev;
	struct seen s = { 0 };
	char path[64], d[160];
	int pfd[2], st = 0, err = 0;
	pid_t launcher, child = 0;
	__u64 last_ts = 0;
	double deadline;
	struct kcap *h;

	h = open_capture(nrs, 4, true);
	if (!h)
		return tap_done();
	snprintf(path, sizeof(path), "/tmp/kcap-spine-%d", getpid());
	if (pipe(pfd))
		return tap(false, strerror(errno), "pipe"), tap_done();
	/* The launcher forks the workload (the holder's own fork would not be
	 * captured: the driver excludes the holding process). */
	launcher = fork();
	if (launcher == 0) {
		pid_t c = fork();

		if (c == 0) {
			execl(self, self, "__workload", path, (char *)NULL);
			_exit(4);
		}
		if (write(pfd[1], &c, sizeof(c)) != sizeof(c))
			_exit(5);
		waitpid(c, &st, 0);
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 6);
	}
	close(pfd[1]);
	if (launcher < 0 || read(pfd[0], &child, sizeof(child)) != sizeof(child))
		return tap(false, strerror(errno), "start the workload"), tap_done();
	close(pfd[0]);

	deadline = now_s() + 15;
	while (!s.exit && now_s() < deadline) {
		err = kcap_next(h, &ev);
		if (err == -EAGAIN) {
			err = 0;
			continue;
		}
		if (err)
			break;
		if (ev->ts_ns < last_ts)
			s.order_breaks++;
		last_ts = ev->ts_ns;
		note_event(&s, ev, launcher, child);
	}
	waitpid(launcher, &st, 0);
	tap(!err, kcap_errmsg(h), "read events without error");
	tap(WIFEXITED(st) && WEXITSTATUS(st) == EXIT_CODE, NULL, "workload pid %d exited %d",
	    child, EXIT_CODE);
	tap_diag("%lu events read, launcher %d, workload %d", s.total, launcher, child);
	snprintf(d, sizeof(d), "saw %d, %d with res != %d (last res %lld)", s.getppid,
		 s.bad_getppid, launcher, (long long)s.getppid_res);
	tap(s.getppid == 3 && !s.bad_getppid, d, "getppid x3 from the workload, res = its parent");
	snprintf(d, sizeof(d), "%u parameters, %u bytes", s.getppid_np, s.getppid_len);
	/* 32 header + 2 lengths + nr (1 byte) + a pid (at most 4 bytes) */
	tap(s.getppid_np == 2 && s.getppid_len <= 41, d,
	    "getppid is an ABI 3 generic record: nr and res only, in the bytes they need");
	snprintf(d, sizeof(d), "seen %d dirfd=%lld name='%s' flags=0x%llx mode=0%llo res=%lld path='%s'",
		 s.openat, (long long)s.openat_dirfd, s.openat_name,
		 (unsigned long long)s.openat_flags, (unsigned long long)s.openat_mode,
		 (long long)s.openat_res, s.openat_path);
	tap(s.openat && s.openat_dirfd == AT_FDCWD && !strcmp(s.openat_name, path) &&
		    s.openat_flags == (O_CREAT | O_WRONLY) && s.openat_mode == 0600 &&
		    s.openat_res >= 0 && !strcmp(s.openat_path, path),
	    d, "openat(AT_FDCWD, \"%s\", O_CREAT|O_WRONLY, 0600) = fd, decoded", path);
	snprintf(d, sizeof(d), "seen %d fd=%lld size=%lld res=%lld data ok %d (fd %lld)", s.write,
		 (long long)s.write_fd, (long long)s.write_size, (long long)s.write_res,
		 s.write_data_ok, (long long)s.fd);
	tap(s.write && s.write_fd == s.fd && s.write_size == WRITE_LEN && s.write_res == WRITE_LEN &&
		    s.write_data_ok,
	    d, "write(fd, \"kkk...\", %d) = %d, decoded with its data", WRITE_LEN, WRITE_LEN);
	tap(s.close && s.close_res == 0 && s.close_fd == s.fd, NULL, "close(fd) = 0, decoded");
	tap(s.ts_first_getppid && s.ts_first_getppid <= s.ts_openat && s.ts_openat <= s.ts_write &&
		    s.ts_write <= s.ts_close,
	    NULL, "getppid, openat, write, close in timestamp order");
	snprintf(d, sizeof(d), "%lu timestamps went backwards", s.order_breaks);
	tap(!s.order_breaks, d, "all events in non-decreasing timestamp order");
	snprintf(d, sizeof(d), "%lu events with another syscall number", s.other_nr);
	tap(!s.other_nr, d, "only syscalls of the interest set");
	tap(s.fork, NULL, "proc_fork from the launcher with child_tid = child_pid = %d", child);
	tap(s.exec, NULL, "proc_exec of the workload");
	snprintf(d, sizeof(d), "seen %d code %lld", s.exit, (long long)s.exit_code);
	tap(s.exit && (s.exit_code == EXIT_CODE || s.exit_code == EXIT_CODE << 8), d,
	    "proc_exit of the workload with its exit code");
	if (s.exit)
		tap_diag("proc_exit code is reported as %lld", (long long)s.exit_code);
	snprintf(d, sizeof(d), "%lu events from pid %d", s.own, getpid());
	tap(!s.own, d, "no event from the reader's own process");
	check_no_drops(h);
	tap(kcap_stop(h) == 0, kcap_errmsg(h), "stop the capture");
	kcap_close(h);
	return tap_done();
}

/* ---- ioctl --------------------------------------------------------------- */

static void expect_errno(int fd, unsigned long req, void *argp, int want, const char *what)
{
	char d[128];
	int r = ioctl(fd, req, argp);
	int e = r ? errno : 0;

	snprintf(d, sizeof(d), "got %d (%s)", r, r ? strerror(e) : "success");
	tap(r == -1 && e == want, d, "%s -> %s", what, want ? strerror(want) : "0");
}

static void expect_ok(int fd, unsigned long req, void *argp, const char *what)
{
	int r = ioctl(fd, req, argp);

	tap(r == 0, r ? strerror(errno) : NULL, "%s succeeds", what);
}

static bool same_config(const struct kcap_config *a, const struct kcap_config *b)
{
	return a->ring_size == b->ring_size && a->snaplen == b->snaplen &&
	       a->watermark == b->watermark && a->nr_rings == b->nr_rings;
}

/* Lines of a sysfs file that name this process ("PID ..." first); -1 unreadable. */
static int lines_naming_me(const char *path, unsigned int pid_field)
{
	char line[512];
	unsigned int f[2];
	int n = 0;
	FILE *fp = fopen(path, "r");

	if (!fp)
		return -1;
	while (fgets(line, sizeof(line), fp))
		if (sscanf(line, "%u %u", &f[0], &f[1]) >= (int)pid_field + 1 &&
		    f[pid_field] == (unsigned int)getpid())
			n++;
	fclose(fp);
	return n;
}

/*
 * ABI 2.3: every open is a session of its own, up to the max_sessions
 * parameter; the open after that gets EBUSY. Sessions do not share
 * configuration, and the holder and sessions files list each one.
 */
static void test_holder_and_busy(int fd)
{
	struct kcap_config c1, c2;
	unsigned int max = 0, i, n = 0;
	int fds[64], e = 0, h, l;
	__u32 snap = 64;
	FILE *f;
	char d[192];

	f = fopen(MAX_SESSIONS, "r");
	if (!f || fscanf(f, "%u", &max) != 1)
		max = 0;
	if (f)
		fclose(f);
	tap(max >= 8 && max <= 64, NULL, "max_sessions is %u (at least 8)", max);
	if (max < 2 || max > 64)
		return;
	/* This process holds one session already (@fd). */
	for (i = 0; i < max; i++) {
		fds[i] = open(DEV, O_RDWR);
		if (fds[i] < 0) {
			e = errno;
			break;
		}
		n++;
	}
	snprintf(d, sizeof(d), "%u more opens succeeded, then %s", n, e ? strerror(e) : "none failed");
	tap(n == max - 1 && e == EBUSY, d, "%u sessions open at once, the next open -> EBUSY", max);
	h = lines_naming_me(HOLDER, 0);
	l = lines_naming_me(SESSIONS, 1);
	snprintf(d, sizeof(d), "holder %d, sessions %d lines", h, l);
	tap(h == (int)n + 1 && l == (int)n + 1, d, "%s and %s list every session of pid %d",
	    HOLDER, SESSIONS, getpid());
	if (n > 0) {
		expect_ok(fds[0], KCAP_IOC_SET_SNAPLEN, &snap, "SET_SNAPLEN 64 on a second session");
		expect_ok(fd, KCAP_IOC_GET_CONFIG, &c1, "GET_CONFIG of the first session");
		expect_ok(fds[0], KCAP_IOC_GET_CONFIG, &c2, "GET_CONFIG of the second session");
		tap(c2.snaplen == 64 && c1.snaplen != 64, NULL,
		    "sessions keep their own configuration (snaplen %u and %u)", c1.snaplen,
		    c2.snaplen);
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	h = lines_naming_me(HOLDER, 0);
	tap(h == 1, NULL, "after closing them, %s names this process once (%d)", HOLDER, h);
}

static int test_ioctl(void)
{
	struct kcap_config cfg0, cfg;
	struct kcap_interest in;
	struct kcap_version v;
	struct kcap_cpu_stats st;
	__u64 rs, wm = 64 << 10;
	__u32 snap;
	long page = sysconf(_SC_PAGESIZE);
	void *m;
	int fd;

	fd = open(DEV, O_RDWR);
	if (!tap(fd >= 0, strerror(errno), "open %s", DEV))
		return tap_done();
	expect_ok(fd, KCAP_IOC_GET_VERSION, &v, "GET_VERSION");
	tap(v.major == KCAP_ABI_MAJOR, NULL, "driver ABI %u.%u has major %u", v.major, v.minor,
	    KCAP_ABI_MAJOR);
	expect_ok(fd, KCAP_IOC_GET_CONFIG, &cfg0, "GET_CONFIG");
	tap_diag("config: ring_size %llu snaplen %u watermark %llu rings %u page %u flags 0x%x",
		 (unsigned long long)cfg0.ring_size, cfg0.snaplen,
		 (unsigned long long)cfg0.watermark, cfg0.nr_rings, cfg0.page_size, cfg0.flags);

	rs = 3 << 16;
	expect_errno(fd, KCAP_IOC_SET_RING_SIZE, &rs, EINVAL, "SET_RING_SIZE 192K (not 2^n)");
	rs = KCAP_RING_SIZE_MIN / 2;
	expect_errno(fd, KCAP_IOC_SET_RING_SIZE, &rs, EINVAL, "SET_RING_SIZE below the minimum");
	rs = KCAP_RING_SIZE_MAX * 2;
	expect_errno(fd, KCAP_IOC_SET_RING_SIZE, &rs, EINVAL, "SET_RING_SIZE above the maximum");
	snap = KCAP_SNAPLEN_MAX + 1;
	expect_errno(fd, KCAP_IOC_SET_SNAPLEN, &snap, EINVAL, "SET_SNAPLEN above the maximum");
	expect_errno(fd, _IO(KCAP_IOC_MAGIC, 0x7f), NULL, ENOTTY, "unknown ioctl");
	st = (struct kcap_cpu_stats){ .cpu = 999999 };
	expect_errno(fd, KCAP_IOC_GET_STATS, &st, EINVAL, "GET_STATS cpu=999999");
	expect_errno(fd, KCAP_IOC_SET_INTEREST, (void *)1, EFAULT, "SET_INTEREST bad pointer");
	memset(&in, 0, sizeof(in));
	in.reserved = 1;
	expect_errno(fd, KCAP_IOC_SET_INTEREST, &in, EINVAL, "SET_INTEREST reserved != 0");
	expect_ok(fd, KCAP_IOC_GET_CONFIG, &cfg, "GET_CONFIG after the rejected calls");
	tap(same_config(&cfg0, &cfg), NULL, "rejected calls left the config unchanged");

	m = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, KCAP_MMAP_OFFSET(0));
	tap(m == MAP_FAILED && (errno == ENODEV || errno == EINVAL),
	    m == MAP_FAILED ? strerror(errno) : "mapped", "mmap before START fails");
	if (m == MAP_FAILED)
		tap_diag("mmap before START: %s", errno == ENODEV ? "ENODEV" : strerror(errno));
	else
		munmap(m, (size_t)page);

	test_holder_and_busy(fd);

	rs = 1 << 20;
	expect_ok(fd, KCAP_IOC_SET_RING_SIZE, &rs, "SET_RING_SIZE 1M");
	memset(&in, 0, sizeof(in));
	in.exit_bits[SYS_getppid / 64] = 1ULL << (SYS_getppid % 64);
	expect_ok(fd, KCAP_IOC_SET_INTEREST, &in, "SET_INTEREST getppid");
	expect_ok(fd, KCAP_IOC_START, NULL, "START");
	expect_ok(fd, KCAP_IOC_GET_CONFIG, &cfg, "GET_CONFIG while capturing");
	tap(cfg.ring_size == rs && (cfg.flags & KCAP_CFG_CAPTURING) && (cfg.flags & KCAP_CFG_RINGS),
	    NULL, "config says 1M rings, capturing, rings allocated (flags 0x%x)", cfg.flags);
	expect_errno(fd, KCAP_IOC_SET_RING_SIZE, &rs, EBUSY, "SET_RING_SIZE while capturing");
	snap = 128;
	expect_errno(fd, KCAP_IOC_SET_SNAPLEN, &snap, EBUSY, "SET_SNAPLEN while capturing");
	expect_errno(fd, KCAP_IOC_SET_INTEREST, &in, EBUSY, "SET_INTEREST while capturing");
	expect_errno(fd, KCAP_IOC_SET_WATERMARK, &wm, EBUSY, "SET_WATERMARK while capturing");

	m = mmap(NULL, (size_t)page + 2 * rs, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 KCAP_MMAP_OFFSET(0) + page);
	tap(m == MAP_FAILED && errno == EPERM, m == MAP_FAILED ? strerror(errno) : "mapped",
	    "writable mmap of the producer area -> EPERM");
	if (m != MAP_FAILED)
		munmap(m, (size_t)page + 2 * rs);
	m = mmap(NULL, (size_t)page + 2 * rs, PROT_READ, MAP_SHARED, fd, KCAP_MMAP_OFFSET(0) + page);
	if (tap(m != MAP_FAILED, strerror(errno), "read-only mmap of ring 0's producer area")) {
		const struct kcap_ring_prod *p = m;

		tap(p->data_size == rs, NULL, "producer page says data_size %llu",
		    (unsigned long long)p->data_size);
		munmap(m, (size_t)page + 2 * rs);
	}
	m = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, KCAP_MMAP_OFFSET(0));
	tap(m != MAP_FAILED, strerror(errno), "read-write mmap of ring 0's consumer page");
	if (m != MAP_FAILED)
		munmap(m, (size_t)page);
	m = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 KCAP_MMAP_OFFSET(cfg.nr_rings));
	tap(m == MAP_FAILED, "mapped", "mmap of ring %u (past the last) fails", cfg.nr_rings);
	if (m == MAP_FAILED)
		tap_diag("mmap past the last ring: %s", strerror(errno));
	else
		munmap(m, (size_t)page);

	expect_ok(fd, KCAP_IOC_STOP, NULL, "STOP");
	expect_errno(fd, KCAP_IOC_SET_RING_SIZE, &rs, EBUSY, "SET_RING_SIZE after START+STOP");
	expect_ok(fd, KCAP_IOC_SET_SNAPLEN, &snap, "SET_SNAPLEN 128 after STOP");
	st = (struct kcap_cpu_stats){ .cpu = 0 };
	expect_ok(fd, KCAP_IOC_GET_STATS, &st, "GET_STATS cpu 0 after STOP");
	st = (struct kcap_cpu_stats){ .cpu = cfg.nr_rings };
	expect_errno(fd, KCAP_IOC_GET_STATS, &st, EINVAL, "GET_STATS cpu = nr_rings");
	close(fd);
	return tap_done();
}

/* ---- hotplug ------------------------------------------------------------- */

#define CPU1_ONLINE "/sys/devices/system/cpu/cpu1/online"

/* Shared with the workload child. */
struct hp_shared {
	volatile int phase;
	volatile int pin; /* CPU to pin to, -1: leave as is */
	volatile int quit;
};

static int set_cpu1_online(int on)
{
	int fd = open(CPU1_ONLINE, O_WRONLY);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, on ? "1" : "0", 1) != 1)
		err = -errno;
	close(fd);
	return err;
}

static void hp_workload(struct hp_shared *sh)
{
	cpu_set_t set;

	while (!sh->quit) {
		int pin = sh->pin;

		if (pin >= 0) {
			CPU_ZERO(&set);
			CPU_SET(pin, &set);
			/* Retried until CPU1 is active again after onlining. */
			if (!sched_setaffinity(0, sizeof(set), &set))
				sh->pin = -1;
		}
		/* lseek (3 arguments, a bad fd): the tags are recorded (ABI 3
		 * records only the arguments a syscall takes) */
		syscall(SYS_lseek, MARK, sh->phase, 0);
		usleep(2000);
	}
	_exit(0);
}

/* Reads until @want workload events of @phase on @cpu (-1: any) or @secs. */
static int hp_read(struct kcap *h, pid_t child, int phase, int cpu, int want, double secs,
		   unsigned long *counts)
{
	const struct kcap_event_hdr *ev;
	double end = now_s() + secs;
	int got = 0, err;

	while (got < want && now_s() < end) {
		err = kcap_next(h, &ev);
		if (err == -EAGAIN)
			continue;
		if (err)
			return err;
		if (ev->type != KCAP_EVT_SYSCALL || ev->pid != (__u32)child || arg(ev, 1) != MARK)
			continue;
		if (arg(ev, 2) < 3)
			counts[arg(ev, 2) * 2 + (ev->cpu == 1)]++;
		if ((int)arg(ev, 2) == phase && (cpu < 0 || ev->cpu == cpu))
			got++;
	}
	return got;
}

static int test_hotplug(void)
{
	static const unsigned int nrs[] = { SYS_lseek };
	unsigned long counts[6] = { 0 }; /* [phase * 2 + on_cpu1] */
	struct kcap_cpu_stats st;
	struct kcap_config cfg;
	struct hp_shared *sh;
	struct kcap *h;
	unsigned long before;
	pid_t child;
	int r, st_err;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2 || access(CPU1_ONLINE, W_OK)) {
		tap_skip("capture across CPU hotplug", "needs 2 online CPUs and a hotpluggable cpu1");
		return tap_done();
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return tap(false, strerror(errno), "shared page"), tap_done();
	sh->phase = 0;
	sh->pin = 1;
	h = open_capture(nrs, 1, false);
	if (!h)
		return tap_done();
	child = fork();
	if (child == 0)
		hp_workload(sh);

	/* Phase 0 on CPU1: make sure events arrive, then let more pile up
	 * in ring 1 unread while CPU1 goes away. */
	r = hp_read(h, child, 0, 1, 3, 5, counts);
	tap(r >= 3, r < 0 ? kcap_errmsg(h) : NULL, "events from CPU1 before offlining (%d)", r);
	usleep(300 * 1000);
	before = counts[1];
	r = set_cpu1_online(0);
	tap(r == 0, strerror(-r), "take CPU1 offline while capturing");
	sh->phase = 1;
	st_err = kcap_cpu_stats(h, 1, &st);
	tap(!st_err && !st.online, st_err ? kcap_errmsg(h) : NULL,
	    "GET_STATS says CPU1 is offline (online=%u)", st.online);

	r = hp_read(h, child, 1, -1, 20, 6, counts);
	tap(counts[1] > before, NULL,
	    "events left in ring 1 before offlining were read afterwards (%lu more)",
	    counts[1] - before);
	tap(r >= 20, r < 0 ? kcap_errmsg(h) : NULL, "events kept arriving with CPU1 offline (%d)",
	    r);
	tap(counts[3] == 0, NULL, "no event from CPU1 while it was offline");

	r = set_cpu1_online(1);
	tap(r == 0, strerror(-r), "bring CPU1 back online");
	sh->pin = 1;
	sh->phase = 2;
	r = hp_read(h, child, 2, 1, 5, 8, counts);
	tap(r >= 5, r < 0 ? kcap_errmsg(h) : NULL, "events from ring 1 after CPU1 came back (%d)",
	    r);
	tap(kcap_config(h, &cfg) == 0 && (cfg.flags & KCAP_CFG_CAPTURING), kcap_errmsg(h),
	    "capture still running after the hotplug");
	st_err = kcap_cpu_stats(h, 1, &st);
	tap(!st_err && st.online, st_err ? kcap_errmsg(h) : NULL, "GET_STATS says CPU1 is online");
	tap_diag("workload events: phase0 %lu+%lu(cpu1) phase1 %lu+%lu phase2 %lu+%lu", counts[0],
		 counts[1], counts[2], counts[3], counts[4], counts[5]);
	sh->quit = 1;
	waitpid(child, NULL, 0);
	check_no_drops(h);
	kcap_close(h);
	set_cpu1_online(1);
	return tap_done();
}

/* ---- hold ------------------------------------------------------------------ */

static int hold(unsigned int secs)
{
	static const unsigned int none[1];
	char errbuf[256] = "";
	struct kcap *h;
	KCAP_OPTS(kcap_open_opts, o, .syscalls = none, .nr_syscalls = 0,
		  .flags = KCAP_OPEN_NO_LIFECYCLE, .errbuf = errbuf, .errbuf_sz = sizeof(errbuf));

	h = kcap_open_live(&o);
	if (!h) {
		fprintf(stderr, "spine_test hold: %s\n", errbuf);
		return 1;
	}
	if (kcap_start(h)) {
		fprintf(stderr, "spine_test hold: %s\n", kcap_errmsg(h));
		kcap_close(h);
		return 1;
	}
	printf("holding %s with %u rings mapped for %u s\n", DEV, kcap_nr_rings(h), secs);
	fflush(stdout);
	sleep(secs);
	kcap_close(h);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: spine_test events|ioctl|hotplug|hold SECONDS\n");
	return 2;
}

int main(int argc, char **argv)
{
	char self[256];
	ssize_t n;

	if (argc == 3 && !strcmp(argv[1], "__workload"))
		return workload(argv[2]);
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "events") && argc == 2) {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n <= 0)
			return tap(false, strerror(errno), "find /proc/self/exe"), tap_done();
		self[n] = '\0';
		return test_events(self);
	}
	if (!strcmp(argv[1], "ioctl") && argc == 2)
		return test_ioctl();
	if (!strcmp(argv[1], "hotplug") && argc == 2)
		return test_hotplug();
	if (!strcmp(argv[1], "hold") && argc == 3 && atoi(argv[2]) > 0)
		return hold((unsigned int)atoi(argv[2]));
	return usage();
}
