// SPDX-License-Identifier: Apache-2.0
/*
 * kcap_fuzz: an interface fuzzer for /dev/kcap. For a time budget, reader
 * processes open the device with random configurations, read their rings
 * and are attacked by their own chaos threads (random ioctls and
 * arguments, mmap/mprotect/madvise/munmap, fork with mappings, poll, a
 * second open, tail flips and garbage, an ioctl-vs-mmap race through
 * userfaultfd), while workload processes make syscalls, CPU 1 goes offline
 * and online, and this supervisor SIGKILLs readers at random times and
 * starts new ones.
 *
 *   kcap_fuzz [--seed S] [--duration SECS] [--workloads N]
 *
 * Every random choice comes from the printed seed (each process and thread
 * derives its own stream from it), so `--seed S` replays the same choices;
 * the timing between CPUs is not replayed. Errors such as EINVAL, EFAULT,
 * EBUSY or ENOTTY are the expected answers and only counted; what fails the
 * run is a broken invariant (see kcap_fuzz/), a process that does not die
 * when killed, or a reader that crashes. TAP on stdout; exit status 1 on
 * failure. Run as root with kcap.ko loaded; the guest's kernel log is
 * checked by the case script.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kcap_fuzz/fuzz.h"
#include "tap.h"

#define NR_READERS 2		/* each with a session of its own (ABI 2.3) */
#define MAX_WORKLOADS 8

enum role { R_NONE, R_READER, R_WORKLOAD, R_HOTPLUG };

struct child {
	pid_t pid;
	enum role role;
	bool killed;		/* we sent SIGKILL */
};

/* + the hotplug process, and the final check's workload and reader */
static struct child kids[NR_READERS + MAX_WORKLOADS + 3];
static unsigned int nkids;

static void alarm_kill(int sig)
{
	unsigned int i;

	(void)sig;
	for (i = 0; i < nkids; i++)
		if (kids[i].pid > 0)
			kill(kids[i].pid, SIGKILL);
	(void)!write(STDOUT_FILENO, "not ok - kcap_fuzz overran its time (hang)\n", 43);
	cpu1_set_online(1);
	_exit(1);
}

static pid_t spawn(struct child *k, enum role role, uint64_t seed)
{
	pid_t pid = fork();

	if (pid == 0) {
		signal(SIGALRM, SIG_DFL);
		alarm(0);
		if (role == R_READER)
			reader_main(seed);
		if (role == R_WORKLOAD)
			workload_main(seed);
		hotplug_main(seed);
	}
	if (pid < 0) {
		violation("fork failed: %s", strerror(errno));
		return pid;
	}
	k->pid = pid;
	k->role = role;
	k->killed = false;
	return pid;
}

/* A child ended: readers may be killed by us or exit; nothing may crash. */
static void reaped(struct child *k, int st)
{
	static const char *const names[] = { "?", "reader", "workload", "hotplug" };
	bool ok = (WIFEXITED(st) && WEXITSTATUS(st) == 0) ||
		  (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL &&
		   (k->killed || k->role == R_READER));

	if (!ok)
		violation("%s %d ended with status %#x (crash?)", names[k->role],
			  (int)k->pid, st);
	k->pid = 0;
}

/*
 * The uffd race's mmap is stuck behind the faulting ioctl (an mmap takes
 * milliseconds, even in TCG): report it and kill the reader, whose fatal
 * signal ends the fault and so the wait.
 */
static void watch_race(void)
{
	uint64_t t = __atomic_load_n(&fz->race_mmap_ms, __ATOMIC_RELAXED);
	pid_t pid = fz->racing;
	unsigned int i;

	if (!pid || !t || now_ms() < t + 2000)
		return;
	count_add(&fz->uffd_blocked, 1);
	violation("ioctl-vs-mmap race: mmap waited 2 s behind an ioctl faulting on its argument (session lock held across user copies)");
	for (i = 0; i < nkids; i++)
		if (kids[i].pid == pid) {
			kids[i].killed = true;
			kill(pid, SIGKILL);
		}
	fz->race_mmap_ms = 0;
	fz->racing = 0;
}

static void reap_some(void)
{
	unsigned int i;
	int st;

	for (i = 0; i < nkids; i++)
		if (kids[i].pid > 0 && waitpid(kids[i].pid, &st, WNOHANG) == kids[i].pid)
			reaped(&kids[i], st);
}

/* Where a process that does not die is stuck: each thread's kernel stack. */
static void show_stuck(pid_t pid)
{
	char path[64], line[160];
	unsigned int tid;
	FILE *f;
	DIR *d;
	struct dirent *e;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	while (d && (e = readdir(d))) {
		if (sscanf(e->d_name, "%u", &tid) != 1)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%u/stack", (int)pid, tid);
		f = fopen(path, "r");
		tap_diag("stuck thread %u of %d:", tid, (int)pid);
		while (f && fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = 0;
			tap_diag("  %s", line);
		}
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
}

/* SIGKILL everything (SIGTERM to hotplug, so CPU 1 comes back) and reap. */
static bool stop_all(void)
{
	uint64_t until = now_ms() + 30000;
	bool all = true;
	unsigned int i;

	for (i = 0; i < nkids; i++) {
		if (kids[i].pid <= 0)
			continue;
		kids[i].killed = kids[i].role != R_HOTPLUG;
		kill(kids[i].pid, kids[i].killed ? SIGKILL : SIGTERM);
	}
	for (;;) {
		reap_some();
		all = true;
		for (i = 0; i < nkids; i++)
			all &= kids[i].pid <= 0;
		if (all || now_ms() > until)
			break;
		sleep_ms(20);
	}
	for (i = 0; i < nkids; i++)
		if (kids[i].pid > 0) {
			violation("pid %d (role %d) still alive 30 s after SIGKILL/SIGTERM: stuck in the kernel",
				  (int)kids[i].pid, kids[i].role);
			show_stuck(kids[i].pid);
		}
	return all;
}

/*
 * After the fuzz, with every fuzzing process gone and CPU 1 back: a
 * workload and an unattacked reader with the default configuration. The
 * device must still deliver events; the records that reader checked, 0 if
 * none in 20 s. (Whether the fuzzing readers read anything depends on how
 * fast the guest is: a slow debug kernel can kill every sane reader young.)
 */
static uint64_t final_read(uint64_t seed)
{
	struct child *w = &kids[nkids++], *rd = &kids[nkids++];
	uint64_t ev0 = fz->events;
	int st = 0;
	pid_t pid;

	alarm(60);
	if (spawn(w, R_WORKLOAD, seed_derive(seed, 20, 0)) < 0)
		return 0;
	pid = fork();
	if (pid == 0) {
		signal(SIGALRM, SIG_DFL);
		alarm(0);
		reader_final_main(20);
	}
	if (pid > 0) {
		rd->pid = pid;
		rd->role = R_READER;
		if (waitpid(pid, &st, 0) == pid)
			rd->pid = 0;
	}
	w->killed = true;
	kill(w->pid, SIGKILL);
	if (waitpid(w->pid, NULL, 0) == w->pid)
		w->pid = 0;
	alarm(0);
	if (pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return fz->events - ev0;
	return 0;
}

static void summary(uint64_t seed, unsigned int secs, bool reaped_all, int online_err,
		    uint64_t final)
{
	uint64_t ops = 0;
	unsigned int i;

	for (i = 0; i < OP_NR; i++) {
		tap_diag("%-18s %llu", fuzz_op_names[i], (unsigned long long)fz->ops[i]);
		ops += fz->ops[i];
	}
	tap_diag("events checked %llu (drop markers %llu), skimmed %llu, tail stores %llu, traps %llu",
		 (unsigned long long)fz->events, (unsigned long long)fz->markers,
		 (unsigned long long)fz->skimmed,
		 (unsigned long long)fz->flips, (unsigned long long)fz->traps);
	for (i = 0; i <= FUZZ_ERRNO_SLOTS; i++)
		if (fz->errs[i])
			tap_diag("errno %-3u %-16s %llu", i,
				 i < FUZZ_ERRNO_SLOTS ? strerrorname_np(i) : "(larger)",
				 (unsigned long long)fz->errs[i]);
	tap_diag("ioctl-vs-mmap races: mmap returned during the fault %llu times, blocked %llu",
		 (unsigned long long)fz->uffd_ok, (unsigned long long)fz->uffd_blocked);
	if (fz->uffd_skipped)
		tap_diag("userfaultfd unavailable %llu times: ioctl-vs-mmap race not run",
			 (unsigned long long)fz->uffd_skipped);
	tap(ops > 0, NULL, "%llu operations in %u s (seed %llu)",
	    (unsigned long long)ops, secs, (unsigned long long)seed);
	tap_diag("sane fuzzing readers checked %llu records", (unsigned long long)(fz->events - final));
	tap(final > 0, "no event in 20 s", "after the fuzz, an unattacked reader checked %llu records",
	    (unsigned long long)final);
	for (i = 0; i < fz->nviol && i < FUZZ_MAX_VIOL; i++)
		tap(false, NULL, "invariant: %s",
		    fz->viol[i][0] ? fz->viol[i] : "(text lost: its process was killed)");
	if (fz->nviol > FUZZ_MAX_VIOL)
		tap_diag("%u more violations not shown", fz->nviol - FUZZ_MAX_VIOL);
	tap(fz->nviol == 0, NULL, "no invariant broken (%u violations)", fz->nviol);
	tap(reaped_all, NULL, "every process ended when killed");
	tap(online_err == 0, strerror(online_err), "CPU 1 back online");
}

int main(int argc, char **argv)
{
	uint64_t seed = 0, deadline, next_kill, final = 0;
	unsigned int secs = 30, workloads = 3, gen = 0, i;
	bool reaped_all;
	struct rng r;
	int err;

	seed = seed_derive((uint64_t)time(NULL), getpid(), 0) % 1000000000;
	for (i = 1; i + 1 < (unsigned int)argc; i += 2) {
		if (!strcmp(argv[i], "--seed"))
			seed = strtoull(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--duration"))
			secs = strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--workloads"))
			workloads = strtoul(argv[i + 1], NULL, 0);
		else
			break;
	}
	if (i != (unsigned int)argc || workloads > MAX_WORKLOADS) {
		fprintf(stderr, "usage: kcap_fuzz [--seed S] [--duration SECS] [--workloads N<=8]\n");
		return 2;
	}
	printf("# kcap_fuzz seed %llu duration %u s (replay: kcap_fuzz --seed %llu --duration %u)\n",
	       (unsigned long long)seed, secs, (unsigned long long)seed, secs);
	fflush(stdout);
	fz = mmap(NULL, sizeof(*fz), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (fz == MAP_FAILED)
		return 2;
	rng_init(&r, seed_derive(seed, 0, 0));
	/* Last resort against a hang of the supervisor itself. */
	signal(SIGALRM, alarm_kill);
	alarm(secs + 90);

	spawn(&kids[nkids++], R_HOTPLUG, seed_derive(seed, 10, 0));
	for (i = 0; i < workloads; i++)
		spawn(&kids[nkids++], R_WORKLOAD, seed_derive(seed, 11, i));
	for (i = 0; i < NR_READERS; i++)
		kids[nkids++].role = R_READER;

	deadline = now_ms() + secs * 1000ULL;
	next_kill = now_ms() + 200 + rnd_below(&r, 3000);
	while (now_ms() < deadline) {
		watch_race();
		reap_some();
		for (i = 0; i < nkids; i++) {
			if (kids[i].pid > 0 || kids[i].role == R_HOTPLUG)
				continue;
			/* A workload never ends by itself; a reader often does. */
			gen++;
			spawn(&kids[i], kids[i].role, seed_derive(seed, 12 + kids[i].role, gen));
		}
		if (now_ms() >= next_kill) {
			i = nkids - 1 - rnd_below(&r, NR_READERS);
			/* Not while it runs the bounded ioctl-vs-mmap race. */
			if (kids[i].pid > 0 && kids[i].pid != fz->racing) {
				kids[i].killed = true;
				kill(kids[i].pid, SIGKILL);
				count_op(OP_READER_KILL);
			}
			next_kill = now_ms() + rnd_below(&r, 3000);
		}
		sleep_ms(10 + rnd_below(&r, 50));
	}
	reaped_all = stop_all();
	err = cpu1_set_online(1);
	if (err == EINVAL || err == ENOENT)	/* already online, or no hotplug */
		err = 0;
	alarm(0);
	if (reaped_all)
		final = final_read(seed);
	summary(seed, secs, reaped_all, err, final);
	return tap_done();
}
