// SPDX-License-Identifier: Apache-2.0
/*
 * kcap_fuzz helpers: the PRNG, the shared counters, violation reports and a
 * memory toucher that survives SIGBUS/SIGSEGV.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"

struct fuzz_shared *fz;

const char *const fuzz_op_names[OP_NR] = {
	[OP_IOCTL_RANDOM] = "ioctl-random", [OP_SET_BAD] = "set-bad-value",
	[OP_MMAP_RANDOM] = "mmap-random", [OP_MPROTECT] = "mprotect",
	[OP_MADVISE] = "madvise", [OP_MUNMAP] = "munmap-piece",
	[OP_FORK_MAPPED] = "fork-mapped", [OP_POLL] = "poll",
	[OP_REOPEN] = "reopen", [OP_START_STOP] = "stop-start",
	[OP_STATS] = "get-stats", [OP_TAIL_WRITE] = "tail-write",
	[OP_UFFD_RACE] = "uffd-ioctl-mmap", [OP_FLIP_BURST] = "tail-flip-burst",
	[OP_READ_PASS] = "read-pass", [OP_READER_START] = "reader-start",
	[OP_READER_KILL] = "reader-sigkill", [OP_READER_CLOSE] = "reader-close",
	[OP_HOTPLUG] = "cpu-hotplug", [OP_WORKLOAD] = "workload-round",
};

/* splitmix64 of the inputs: independent streams from one printed seed. */
uint64_t seed_derive(uint64_t seed, uint64_t a, uint64_t b)
{
	uint64_t z = seed ^ (a * 0x9e3779b97f4a7c15ULL) ^ (b << 32) ^ b;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void rng_init(struct rng *r, uint64_t seed)
{
	r->s = seed ? seed : 0x2545f4914f6cdd1dULL;
}

uint64_t rnd(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dULL;
}

uint64_t rnd_below(struct rng *r, uint64_t n)
{
	return n ? rnd(r) % n : 0;
}

bool chance(struct rng *r, unsigned int one_in)
{
	return rnd_below(r, one_in) == 0;
}

void count_add(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

void count_op(enum fuzz_op op)
{
	count_add(&fz->ops[op], 1);
}

void count_err(int err)
{
	if (err < 0 || err >= FUZZ_ERRNO_SLOTS)
		err = FUZZ_ERRNO_SLOTS;
	count_add(&fz->errs[err], 1);
}

void note(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	n = snprintf(buf, sizeof(buf), "# [%d] ", (int)getpid());
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	(void)!write(STDOUT_FILENO, buf, n);
}

void violation(const char *fmt, ...)
{
	char msg[240];
	va_list ap;
	uint32_t i;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	note("VIOLATION: %s", msg);
	i = __atomic_fetch_add(&fz->nviol, 1, __ATOMIC_RELAXED);
	if (i < FUZZ_MAX_VIOL)
		memcpy(fz->viol[i], msg, sizeof(msg));
}

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * The touching thread's escape point; NULL when not touching. volatile:
 * the compiler would otherwise drop the store as dead before the loop.
 */
static __thread sigjmp_buf *volatile touch_jb;

static void touch_trap(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (touch_jb)
		siglongjmp(*touch_jb, sig);
	/* A fault outside touch_range(): a real crash, say where, die of it. */
	note("signal %d at address %p (code %d) outside the toucher",
	     sig, si->si_addr, si->si_code);
	signal(sig, SIG_DFL);
	raise(sig);
}

void touch_setup(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = touch_trap;
	sa.sa_flags = SA_NODEFER | SA_SIGINFO;
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
}

int touch_range(volatile uint8_t *p, size_t len, bool write)
{
	long pg = sysconf(_SC_PAGESIZE);
	sigjmp_buf jb;
	size_t off;
	int sig;

	sig = sigsetjmp(jb, 1);
	if (sig) {
		touch_jb = NULL;
		count_add(&fz->traps, 1);
		return sig;
	}
	touch_jb = &jb;
	for (off = 0; off < len; off += pg) {
		uint8_t v = p[off];

		if (write)
			p[off] = v;
	}
	touch_jb = NULL;
	return 0;
}
