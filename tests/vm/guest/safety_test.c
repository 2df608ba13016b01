// SPDX-License-Identifier: Apache-2.0
/*
 * safety_test: what a reader can do to the driver through the device file,
 * checked in a guest with kcap.ko loaded (regression tests of the node
 * safety bugs; each fails on the driver before the fix).
 *
 *   safety_test tailflip SECONDS  a thread on CPU 1 flips a 64 KiB ring's
 *                                 tail between "empty" and "full" while a
 *                                 CPU 0 workload fills it: no WARN (the
 *                                 guest runs with panic_on_warn=1), drops
 *                                 counted, every record well-formed
 *   safety_test ioctlmmap         an ioctl whose argument faults (held by
 *                                 userfaultfd) while another thread mmaps
 *                                 the device: both finish
 *   safety_test mapflags          MADV_DOFORK cannot make a fork copy the
 *                                 rings; a private read-only map of the
 *                                 consumer page cannot become writable
 *   safety_test bigring           rings larger than memory: a clear
 *                                 ENOMEM, no OOM kill of a bystander
 *   safety_test lateonline        rings only for online CPUs; CPU 1 gets
 *                                 one when it comes online mid-capture
 *
 * Prints TAP on stdout; exits 1 if any check failed. Run as root.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/userfaultfd.h>
#include <time.h>
#include <unistd.h>

#include <kcap/kcap_abi.h>
#include <kcap/kcap_events.h>

#include "kcap.h"

#include "tap.h"

#define DEV "/dev/kcap"
/* A getppid record (ABI 3): header, 2 lengths, nr (1 byte), the parent's
 * pid (below PID_MAX_LIMIT, 2^22: at most 3 bytes): 40 bytes of ring. */
#define KCAP_EVENT_HDR_SYSCALL_LEN \
	(sizeof(struct kcap_event_hdr) + 2 * sizeof(__u16) + 1 + 3)

static long page;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static int open_dev(void)
{
	int fd = open(DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		tap(false, strerror(errno), "open %s", DEV);
	return fd;
}

/* Select only @nr at exit, lifecycle off. */
static int select_one(int fd, unsigned int nr)
{
	struct kcap_interest in;

	memset(&in, 0, sizeof(in));
	in.exit_bits[nr / 64] = 1ULL << (nr % 64);
	return ioctl(fd, KCAP_IOC_SET_INTEREST, &in);
}

/* getppid @n times on CPU @cpu, in a child (the reader's own are skipped). */
static void getppid_on(int cpu, int n)
{
	pid_t child = fork();
	int i, st;

	if (child == 0) {
		pin(cpu);
		for (i = 0; i < n; i++)
			syscall(SYS_getppid);
		_exit(0);
	}
	waitpid(child, &st, 0);
}

/* ---- tailflip ---------------------------------------------------------- */

struct ring_map {
	struct kcap_ring_cons *cons;
	const struct kcap_ring_prod *prod;
	const unsigned char *data;
	__u64 size;
};

static volatile int flip_stop;

static int map_ring(int fd, unsigned int cpu, __u64 size, struct ring_map *m)
{
	off_t off = (off_t)KCAP_MMAP_OFFSET(cpu);
	void *c, *p;

	c = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	if (c == MAP_FAILED)
		return -errno;
	p = mmap(NULL, page + 2 * size, PROT_READ, MAP_SHARED, fd, off + page);
	if (p == MAP_FAILED)
		return -errno;
	m->cons = c;
	m->prod = p;
	m->data = (const unsigned char *)p + page;
	m->size = size;
	return 0;
}

static void unmap_ring(struct ring_map *m)
{
	munmap(m->cons, page);
	munmap((void *)m->prod, page + 2 * m->size);
}

/* From CPU 1: the tail says "empty", then "full", as fast as it can. */
static void *flipper(void *arg)
{
	struct ring_map *m = arg;
	unsigned long n = 0;

	pin(1);
	while (!flip_stop) {
		__u64 head = __atomic_load_n(&m->prod->head, __ATOMIC_ACQUIRE);

		__atomic_store_n(&m->cons->tail, head, __ATOMIC_RELEASE);
		__atomic_store_n(&m->cons->tail, head - m->size, __ATOMIC_RELEASE);
		if ((++n & 1023) == 0)
			__atomic_store_n(&m->cons->tail, head + 12345, __ATOMIC_RELEASE);
	}
	return (void *)n;
}

/*
 * With a sane tail again, the records written from @from on are
 * well-formed: the drop marker for what the flips cost, then getppid.
 */
static int check_records(const struct ring_map *m, __u64 from, unsigned long *nrec,
			 unsigned long *markers)
{
	__u64 head = __atomic_load_n(&m->prod->head, __ATOMIC_ACQUIRE), pos;

	for (pos = from; pos < head;) {
		const struct kcap_event_hdr *h =
			(const void *)(m->data + (pos & (m->size - 1)));

		if (h->len < sizeof(*h) || h->len > KCAP_EVENT_MAX_LEN ||
		    (h->type != KCAP_EVT_SYSCALL && h->type != KCAP_EVT_DROP))
			return -1;
		if (h->type == KCAP_EVT_DROP)
			(*markers)++;
		pos += KCAP_ALIGN(h->len);
		(*nrec)++;
	}
	return pos == head ? 0 : -1;
}

static int cmd_tailflip(int secs)
{
	struct ring_map m;
	pthread_t th;
	__u64 size = 64 << 10, drops = 0;
	struct kcap_cpu_stats st;
	unsigned long nrec = 0, markers = 0;
	pid_t worker;
	void *flips;
	double end;
	int fd, i;

	fd = open_dev();
	if (fd < 0)
		return 1;
	if (!tap(ioctl(fd, KCAP_IOC_SET_RING_SIZE, &size) == 0, strerror(errno),
		 "64 KiB rings") ||
	    !tap(select_one(fd, SYS_getppid) == 0, strerror(errno), "select getppid") ||
	    !tap(ioctl(fd, KCAP_IOC_START) == 0, strerror(errno), "start") ||
	    !tap(map_ring(fd, 0, size, &m) == 0, strerror(errno), "map CPU 0's ring"))
		return 1;
	/* The workload is another process: the reader's own are skipped. */
	worker = fork();
	if (worker == 0) {
		pin(0);
		end = now_s() + secs;
		while (now_s() < end) {
			for (i = 0; i < 1000; i++)
				syscall(SYS_getppid);
		}
		_exit(0);
	}
	pthread_create(&th, NULL, flipper, &m);
	waitpid(worker, &i, 0);
	flip_stop = 1;
	pthread_join(th, &flips);
	memset(&st, 0, sizeof(st));
	st.cpu = 0;
	ioctl(fd, KCAP_IOC_GET_STATS, &st);
	for (i = 0; i < KCAP_DROP_NR_SLOTS; i++)
		drops += st.drops[i];
	tap(true, NULL, "getppid on CPU 0 for %d s while CPU 1 flipped the tail %lu times", secs,
	    (unsigned long)flips);
	tap(drops > 0, NULL, "the flips made the producer drop: %llu events, %llu drops",
	    (unsigned long long)st.events, (unsigned long long)drops);
	/* A sane tail again: the producer writes whole records. */
	__atomic_store_n(&m.cons->tail, st.head, __ATOMIC_RELEASE);
	getppid_on(0, 10);
	i = check_records(&m, st.head, &nrec, &markers);
	tap(i == 0 && nrec == 11 && markers == 1, NULL,
	    "after the flips: a drop marker, then the 10 new getppid, all well-formed (%lu records, %lu markers)",
	    nrec, markers);
	ioctl(fd, KCAP_IOC_STOP);
	close(fd);
	return 0;
}

/* ---- ioctlmmap ------------------------------------------------------------ */

struct uffd_ctx {
	int uffd;
	void *area;
	volatile int faulted;
	volatile int mmap_done;
	volatile int ioctl_done;
	int ioctl_ret, ioctl_err;
	int dev;
};

/* Holds the fault until the mmap had its chance, then resolves it. */
static void *uffd_handler(void *arg)
{
	struct uffd_ctx *c = arg;
	struct pollfd pfd = { .fd = c->uffd, .events = POLLIN };
	struct uffd_msg msg;
	static char src[65536] __attribute__((aligned(4096)));
	struct uffdio_copy cp;
	struct kcap_interest *in;
	double until;

	if (poll(&pfd, 1, 5000) != 1 || read(c->uffd, &msg, sizeof(msg)) != sizeof(msg))
		return NULL;
	c->faulted = 1;
	/* The mmap thread starts now; give it time to block (or finish). */
	until = now_s() + 1;
	while (!c->mmap_done && now_s() < until)
		usleep(1000);
	/* UFFDIO_COPY copies a whole page: the interest at its start. */
	memset(src, 0, sizeof(src));
	in = (struct kcap_interest *)src;
	in->flags = KCAP_INTEREST_LIFECYCLE;
	memset(&cp, 0, sizeof(cp));
	cp.dst = (unsigned long)c->area;
	cp.src = (unsigned long)src;
	cp.len = page;
	ioctl(c->uffd, UFFDIO_COPY, &cp);
	return NULL;
}

static void *ioctl_thread(void *arg)
{
	struct uffd_ctx *c = arg;

	c->ioctl_ret = ioctl(c->dev, KCAP_IOC_SET_INTEREST, c->area);
	c->ioctl_err = errno;
	c->ioctl_done = 1;
	return NULL;
}

static void *mmap_thread(void *arg)
{
	struct uffd_ctx *c = arg;

	/* Rings are not allocated: ENODEV, but only after the lock. */
	mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, c->dev, 0);
	c->mmap_done = 1;
	return NULL;
}

static int cmd_ioctlmmap(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	struct uffd_ctx c = { 0 };
	pthread_t th_h, th_i, th_m;
	double until;

	c.dev = open_dev();
	if (c.dev < 0)
		return 1;
	c.uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	if (!tap(c.uffd >= 0 && ioctl(c.uffd, UFFDIO_API, &api) == 0, strerror(errno),
		 "userfaultfd"))
		return 1;
	c.area = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(&reg, 0, sizeof(reg));
	reg.range.start = (unsigned long)c.area;
	reg.range.len = page;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (!tap(ioctl(c.uffd, UFFDIO_REGISTER, &reg) == 0, strerror(errno),
		 "register the argument page"))
		return 1;
	pthread_create(&th_h, NULL, uffd_handler, &c);
	pthread_create(&th_i, NULL, ioctl_thread, &c);
	until = now_s() + 5;
	while (!c.faulted && now_s() < until)
		usleep(1000);
	if (!tap(c.faulted, NULL, "the ioctl's argument faulted into userfaultfd"))
		return 1;
	pthread_create(&th_m, NULL, mmap_thread, &c);
	until = now_s() + 10;
	while (!(c.mmap_done && c.ioctl_done) && now_s() < until)
		usleep(10000);
	if (!tap(c.mmap_done && c.ioctl_done, NULL,
		 "ioctl and mmap both finished (mmap %s, ioctl %s)",
		 c.mmap_done ? "done" : "stuck", c.ioctl_done ? "done" : "stuck")) {
		/* Deadlocked threads cannot be joined: leave without them. */
		fflush(stdout);
		_exit(1);
	}
	tap(c.ioctl_ret == 0, strerror(c.ioctl_err), "the ioctl succeeded once its page arrived");
	pthread_join(th_h, NULL);
	pthread_join(th_i, NULL);
	pthread_join(th_m, NULL);
	close(c.dev);
	return 0;
}

/* ---- mapflags ------------------------------------------------------------- */

static int cmd_mapflags(void)
{
	__u64 size = 64 << 10;
	struct ring_map m;
	void *ro;
	pid_t pid;
	int fd, st;

	fd = open_dev();
	if (fd < 0)
		return 1;
	if (!tap(ioctl(fd, KCAP_IOC_SET_RING_SIZE, &size) == 0 &&
		 select_one(fd, SYS_getppid) == 0 && ioctl(fd, KCAP_IOC_START) == 0,
		 strerror(errno), "start a capture") ||
	    !tap(map_ring(fd, 0, size, &m) == 0, strerror(errno), "map CPU 0's ring"))
		return 1;

	/* MADV_DOFORK must not undo the driver's don't-copy. */
	madvise(m.cons, page, MADV_DOFORK);
	madvise((void *)m.prod, page + 2 * size, MADV_DOFORK);
	pid = fork();
	if (pid == 0) {
		/* Reading an unmapped address kills the child: the proof. */
		volatile __u64 t = m.cons->tail;
		volatile __u64 h = m.prod->head;

		(void)t;
		(void)h;
		_exit(0);
	}
	waitpid(pid, &st, 0);
	tap(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, NULL,
	    "after MADV_DOFORK a forked child still has no ring mapping (status %#x)", st);

	ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE, fd, (off_t)KCAP_MMAP_OFFSET(0));
	if (tap(ro != MAP_FAILED, strerror(errno), "private read-only map of the consumer page")) {
		int ret = mprotect(ro, page, PROT_READ | PROT_WRITE);

		tap(ret != 0, "mprotect succeeded", "it cannot be made writable later (%s)",
		    ret ? strerror(errno) : "writable");
	}
	ioctl(fd, KCAP_IOC_STOP);
	close(fd);
	return 0;
}

/* ---- bigring -------------------------------------------------------------- */

#define CG "/sys/fs/cgroup"
#define CG_MEM CG "/kcap-safety"

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY), ok;

	ok = fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

/* Join a cgroup v2 group with a memory limit of @limit. */
static int join_memcg(const char *limit)
{
	char pid[32];

	if (access(CG "/cgroup.controllers", F_OK))
		mount("none", CG, "cgroup2", 0, NULL);
	mkdir(CG_MEM, 0755);
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (write_file(CG "/cgroup.subtree_control", "+memory") ||
	    write_file(CG_MEM "/memory.max", limit) ||
	    write_file(CG_MEM "/cgroup.procs", pid))
		return -1;
	return 0;
}

/* start with rings of @size on a fresh open: 0 or the errno. */
static int try_start(__u64 size)
{
	int fd = open_dev(), err = 0;

	if (fd < 0)
		return ENODEV;
	if (ioctl(fd, KCAP_IOC_SET_RING_SIZE, &size) || ioctl(fd, KCAP_IOC_START))
		err = errno;
	close(fd);
	return err;
}

static int cmd_bigring(void)
{
	int go[2], st, err;
	pid_t bystander;
	char c = 0;

	/* More than half of memory in all: refused before allocating. */
	err = try_start(512ULL << 20);
	tap(err == ENOMEM, err ? strerror(err) : "started",
	    "512 MiB rings per CPU: ENOMEM at once");

	/* Ring memory is charged to the reader's memory cgroup, and its
	 * allocation fails fast: 2 x 64 MiB rings in a 96 MiB group where
	 * a bystander holds 32 MiB end in ENOMEM, not in the group's OOM
	 * killer taking the bystander.
	 */
	if (!tap(join_memcg("96M") == 0, strerror(errno), "join a cgroup with memory.max 96M"))
		return 1;
	if (pipe(go))
		return 1;
	bystander = fork();
	if (bystander == 0) {
		size_t n = 32 << 20;
		char *p = malloc(n);

		if (p)
			memset(p, 1, n);
		if (write(go[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	if (read(go[0], &c, 1) != 1)
		return 1;
	err = try_start(64ULL << 20);
	tap(err == ENOMEM, err ? strerror(err) : "started",
	    "2 x 64 MiB rings in the 96 MiB group: ENOMEM");
	tap(waitpid(bystander, &st, WNOHANG) == 0, NULL,
	    "the bystander in the same group is alive");
	kill(bystander, SIGKILL);
	waitpid(bystander, &st, 0);
	err = try_start(1 << 20);
	tap(err == 0, strerror(err), "a 1 MiB capture starts in the group afterwards");
	return 0;
}

/* ---- lateonline --------------------------------------------------------- */

static int set_online(int cpu, int on)
{
	char path[64];
	int fd, ok;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", cpu);
	fd = open(path, O_WRONLY);
	ok = fd >= 0 && write(fd, on ? "1" : "0", 1) == 1;
	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

/* libkcap maps a ring the driver added mid-capture and reads it. */
static int lateonline_libkcap(void)
{
	static const unsigned int nrs[] = { SYS_getppid };
	const struct kcap_event_hdr *ev;
	char errbuf[256] = "";
	unsigned int on_cpu1 = 0;
	struct kcap *h;
	double end;
	int err;
	KCAP_OPTS(kcap_open_opts, o, .ring_size = 1 << 20, .syscalls = nrs, .nr_syscalls = 1,
		  .flags = KCAP_OPEN_NO_LIFECYCLE, .errbuf = errbuf, .errbuf_sz = sizeof(errbuf));

	if (!tap(set_online(1, 0) == 0, strerror(errno), "CPU 1 offline again"))
		return 1;
	h = kcap_open_live(&o);
	if (!tap(h && kcap_start(h) == 0, h ? kcap_errmsg(h) : errbuf,
		 "libkcap capture started with CPU 1 offline"))
		return 1;
	tap(set_online(1, 1) == 0, strerror(errno), "CPU 1 back online");
	getppid_on(1, 100);
	end = now_s() + 5;
	while (on_cpu1 < 100 && now_s() < end) {
		err = kcap_next(h, &ev);
		if (err == -EAGAIN)
			continue;
		if (err)
			break;
		on_cpu1 += ev->cpu == 1;
	}
	tap(on_cpu1 == 100, kcap_errmsg(h), "libkcap read the 100 getppid of CPU 1's new ring (%u)",
	    on_cpu1);
	kcap_close(h);
	return 0;
}

/* Rings exist for online CPUs only; one coming online later gets one. */
static int cmd_lateonline(void)
{
	struct kcap_config cfg;
	__u64 size = 1 << 20;
	unsigned int cpu, mapped = 0, absent = 0;
	int fd;

	if (!tap(set_online(1, 0) == 0, strerror(errno), "CPU 1 offline"))
		return 1;
	fd = open_dev();
	if (fd < 0)
		return 1;
	if (!tap(ioctl(fd, KCAP_IOC_SET_RING_SIZE, &size) == 0 &&
		 select_one(fd, SYS_getppid) == 0 && ioctl(fd, KCAP_IOC_START) == 0 &&
		 ioctl(fd, KCAP_IOC_GET_CONFIG, &cfg) == 0,
		 strerror(errno), "start a capture"))
		return 1;
	for (cpu = 0; cpu < cfg.nr_rings; cpu++) {
		void *p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			       (off_t)KCAP_MMAP_OFFSET(cpu));

		if (p != MAP_FAILED) {
			mapped++;
			munmap(p, page);
		} else if (errno == ENXIO) {
			absent++;
		}
	}
	tap(mapped == 1 && absent == cfg.nr_rings - 1, NULL,
	    "only CPU 0 has a ring (%u mapped, %u absent of %u possible)", mapped, absent,
	    cfg.nr_rings);

	if (!tap(set_online(1, 1) == 0, strerror(errno), "CPU 1 back online"))
		return 1;
	getppid_on(1, 100);
	{
		struct ring_map m;
		__u64 head;
		int err = map_ring(fd, 1, size, &m);

		head = err ? 0 : __atomic_load_n(&m.prod->head, __ATOMIC_ACQUIRE);
		tap(!err && head == 100 * KCAP_ALIGN(KCAP_EVENT_HDR_SYSCALL_LEN), strerror(-err),
		    "CPU 1 got a ring when it came online: its 100 getppid are there (%llu bytes)",
		    (unsigned long long)head);
		/* The mappings hold the device open. */
		if (!err)
			unmap_ring(&m);
	}
	ioctl(fd, KCAP_IOC_STOP);
	close(fd);
	return lateonline_libkcap();
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	page = sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(cmd, "tailflip") && argc > 2)
		cmd_tailflip(atoi(argv[2]));
	else if (!strcmp(cmd, "ioctlmmap"))
		cmd_ioctlmmap();
	else if (!strcmp(cmd, "mapflags"))
		cmd_mapflags();
	else if (!strcmp(cmd, "bigring"))
		cmd_bigring();
	else if (!strcmp(cmd, "lateonline"))
		cmd_lateonline();
	else {
		fprintf(stderr, "usage: safety_test tailflip SECONDS|ioctlmmap|mapflags|bigring|lateonline\n");
		return 2;
	}
	return tap_done();
}
