// SPDX-License-Identifier: Apache-2.0
/*
 * stress_test: the ring protocol under concurrency. One writer per CPU,
 * pinned, makes N lseek() calls tagged with (MAGIC, writer, sequence) in
 * the unused argument registers, while this process reads concurrently from
 * a small ring that wraps many times. Checks, for every writer: each event
 * is intact (right syscall, tag, tid), sequence numbers strictly increase
 * (a thread's events stay in order across wrap-around and the merge), and
 * captured + counted drops add up to the calls made, exactly.
 *
 *   stress_test [CALLS_PER_WRITER]
 *
 * TAP on stdout; exit status 1 if a check failed. Run as root, kcap.ko loaded.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kcap.h"
#include "tap.h"

#define MAGIC 0x6b636170UL	/* "kcap" */
#define MAX_WRITERS 8

struct writer {
	pid_t pid;
	unsigned long seen, out_of_order, bad;
	long long last;
};

static void write_calls(unsigned int cpu, unsigned long n)
{
	cpu_set_t set;
	unsigned long i;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		_exit(2);
	for (i = 0; i < n; i++)
		/* a bad fd: EBADF at once; a generic record of 3 arguments */
		syscall(SYS_lseek, MAGIC, cpu, i);
	_exit(0);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Account one event to its writer; false if it belongs to none. */
static bool account(struct writer *w, unsigned int nw, const struct kcap_event_hdr *ev,
		    unsigned long *lost)
{
	__u64 a0, a1, a2;
	unsigned int i;

	if (ev->type == KCAP_EVT_DROP) {
		__u64 b = 0, p = 0;

		kcap_event_u64(ev, 0, &b);
		kcap_event_u64(ev, 1, &p);
		*lost += b + p;
		return true;
	}
	for (i = 0; i < nw; i++)
		if (ev->pid == (__u32)w[i].pid)
			break;
	if (i == nw)
		return false;
	if (ev->type != KCAP_EVT_SYSCALL || kcap_event_syscall_nr(ev) != SYS_lseek ||
	    kcap_event_u64(ev, 1, &a0) || kcap_event_u64(ev, 2, &a1) ||
	    kcap_event_u64(ev, 3, &a2) || a0 != MAGIC || a1 != i || ev->tid != ev->pid) {
		w[i].bad++;
		return true;
	}
	if ((long long)a2 <= w[i].last)
		w[i].out_of_order++;
	w[i].last = (long long)a2;
	w[i].seen++;
	return true;
}

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 0) : 20000;
	const unsigned int nrs[] = { SYS_lseek };
	struct writer w[MAX_WRITERS] = { 0 };
	unsigned long lost = 0, counted = 0, foreign = 0;
	const struct kcap_event_hdr *ev;
	unsigned int nw, i, done = 0;
	char errbuf[256] = "";
	double deadline;
	struct kcap *h;
	int err = 0, st;

	nw = (unsigned int)sysconf(_SC_NPROCESSORS_ONLN);
	if (nw > MAX_WRITERS)
		nw = MAX_WRITERS;
	/* 64 KiB rings: 20,000 records of about 56 bytes wrap each one 17 times. */
	KCAP_OPTS(kcap_open_opts, o, .ring_size = 64 << 10, .watermark = 4096,
		  .syscalls = nrs, .nr_syscalls = 1, .flags = KCAP_OPEN_NO_LIFECYCLE,
		  .holdback_ns = KCAP_HOLDBACK_NONE, .poll_timeout_ms = 10,
		  .errbuf = errbuf, .errbuf_sz = sizeof(errbuf));
	h = kcap_open_live(&o);
	if (!tap(h != NULL, errbuf, "open /dev/kcap with 64 KiB rings"))
		return tap_done();
	if (!tap(kcap_start(h) == 0, kcap_errmsg(h), "start"))
		return tap_done();
	for (i = 0; i < nw; i++) {
		w[i].last = -1;
		w[i].pid = fork();
		if (w[i].pid == 0)
			write_calls(i, n);
	}
	tap_diag("%u writers x %lu calls, reading concurrently", nw, n);

	deadline = now_s() + 120;
	while (now_s() < deadline) {
		err = kcap_next(h, &ev);
		if (err == -EAGAIN) {
			pid_t p;

			while ((p = waitpid(-1, &st, WNOHANG)) > 0)
				done++;
			if (done == nw)
				break;
			continue;
		}
		if (err)
			break;
		if (!account(w, nw, ev, &lost))
			foreign++;
	}
	/* Stop, then drain what is left. */
	kcap_stop(h);
	while ((err = kcap_next(h, &ev)) == 0 || err == -EAGAIN)
		if (!err && !account(w, nw, ev, &lost))
			foreign++;
	tap(err == -ENODATA, kcap_errmsg(h), "every record was well formed (reader ended with %d)",
	    err);
	while (waitpid(-1, &st, 0) > 0)
		done++;
	for (i = 0; i < kcap_nr_rings(h); i++) {
		struct kcap_cpu_stats cs;

		if (!kcap_cpu_stats(h, i, &cs))
			counted += cs.drops[KCAP_DROP_FULL] + cs.drops[KCAP_DROP_FULL_PROTECTED] +
				   cs.drops[KCAP_DROP_OTHER];
	}
	for (i = 0; i < nw; i++) {
		tap(w[i].bad == 0, NULL, "writer %u: every event intact (%lu bad)", i, w[i].bad);
		tap(w[i].out_of_order == 0, NULL, "writer %u: sequence strictly increasing (%lu out of order)",
		    i, w[i].out_of_order);
	}
	{
		unsigned long seen = 0;

		for (i = 0; i < nw; i++)
			seen += w[i].seen;
		tap_diag("captured %lu, lost per markers %lu, counted drops %lu, other events %lu",
			 seen, lost, counted, foreign);
		tap(seen + counted == nw * n, NULL,
		    "captured + counted drops = calls made (%lu + %lu = %lu)", seen, counted, nw * n);
		tap(lost <= counted, NULL, "drop markers never claim more than the counters");
	}
	kcap_close(h);
	return tap_done();
}
