// SPDX-License-Identifier: Apache-2.0
/*
 * The ioctl-vs-mmap race, made reliable with userfaultfd: an ioctl whose
 * argument page is missing blocks in the fault until we resolve it. If the
 * driver holds its session lock across that copy, an mmap of the device
 * (which runs under mmap_lock and takes the same lock) waits behind it;
 * resolving the fault then needs mmap_lock, which the mmap holds: on kernels
 * without per-VMA userfaultfd locking that is a deadlock. A correct driver
 * copies the argument before taking its lock, so the mmap returns at once.
 * Every wait here is bounded; a stuck state is reported and the reader
 * SIGKILLs itself (the fatal signal ends the faulting ioctl).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fuzz.h"

#define UFFD_WAIT_MS 5000	/* for anything stuck: a deadlock */

struct race {
	struct reader *rd;
	int uffd;
	uint8_t *page;			/* registered, never populated by us */
	struct kcap_interest src;	/* what the fault is resolved with */
	volatile int ioctl_done, mmap_done, copy_done;
	void *mapped;
};

static void *race_ioctl(void *arg)
{
	struct race *x = arg;

	if (ioctl(x->rd->fd, KCAP_IOC_SET_INTEREST, x->page))
		count_err(errno);
	x->ioctl_done = 1;
	return NULL;
}

static void *race_mmap(void *arg)
{
	struct race *x = arg;

	/* The supervisor watches this: our own process may stall on page
	 * faults (mmap_lock) while this mmap is stuck, so it cannot.
	 */
	__atomic_store_n(&fz->race_mmap_ms, now_ms(), __ATOMIC_RELAXED);
	x->mapped = mmap(NULL, x->rd->cfg.page_size, PROT_READ, MAP_SHARED,
			 x->rd->fd, (off_t)KCAP_MMAP_OFFSET(0));
	__atomic_store_n(&fz->race_mmap_ms, 0, __ATOMIC_RELAXED);
	if (x->mapped == MAP_FAILED)
		count_err(errno);
	x->mmap_done = 1;
	return NULL;
}

static void *race_copy(void *arg)
{
	struct race *x = arg;
	struct uffdio_copy c = {
		.dst = (uintptr_t)x->page, .src = (uintptr_t)&x->src,
		.len = x->rd->cfg.page_size,
	};

	if (ioctl(x->uffd, UFFDIO_COPY, &c))
		count_err(errno);
	x->copy_done = 1;
	return NULL;
}

static bool wait_flag(volatile int *flag, unsigned int ms)
{
	uint64_t until = now_ms() + ms;

	while (!*flag && now_ms() < until)
		sleep_ms(1);
	return *flag;
}

/* A missing page registered with a new userfaultfd; false if unavailable. */
static bool race_setup(struct race *x)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	size_t pg = x->rd->cfg.page_size;

	x->uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (x->uffd < 0)
		return false;
	x->page = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	reg.range.start = (uintptr_t)x->page;
	reg.range.len = pg;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (x->page == MAP_FAILED || ioctl(x->uffd, UFFDIO_API, &api) ||
	    ioctl(x->uffd, UFFDIO_REGISTER, &reg)) {
		if (x->page != MAP_FAILED)
			munmap(x->page, pg);
		close(x->uffd);
		return false;
	}
	/* The default interest, so a successful SET_INTEREST changes nothing. */
	memset(&x->src, 0xff, sizeof(x->src));
	x->src.flags = KCAP_INTEREST_LIFECYCLE;
	x->src.reserved = 0;
	return true;
}

/* Something stayed blocked in the kernel: report, then end this reader. */
static void __attribute__((noreturn)) race_stuck(const char *what)
{
	violation("ioctl-vs-mmap race: %s still blocked after %d s: deadlock (driver holds its lock across user copies)",
		  what, UFFD_WAIT_MS / 1000);
	kill(getpid(), SIGKILL);
	for (;;)
		pause();
}

void op_uffd_race(struct reader *rd, struct rng *r)
{
	static pthread_mutex_t busy = PTHREAD_MUTEX_INITIALIZER;
	static struct race x;	/* threads may outlive a failed wait */
	struct pollfd p;
	struct uffd_msg msg;
	pthread_t ti, tm, tc;

	(void)r;
	if (pthread_mutex_trylock(&busy))
		return;		/* one race at a time per reader */
	count_op(OP_UFFD_RACE);
	__atomic_store_n(&fz->racing, getpid(), __ATOMIC_RELAXED);
	memset(&x, 0, sizeof(x));
	x.rd = rd;
	if (!race_setup(&x)) {
		count_err(errno);
		count_add(&fz->uffd_skipped, 1);
		__atomic_store_n(&fz->racing, 0, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&busy);
		return;
	}
	pthread_create(&ti, NULL, race_ioctl, &x);
	/* Wait until the ioctl is parked in the fault on its argument. */
	p = (struct pollfd){ .fd = x.uffd, .events = POLLIN };
	if (poll(&p, 1, UFFD_WAIT_MS) != 1 || read(x.uffd, &msg, sizeof(msg)) != sizeof(msg)) {
		note("uffd race: the ioctl did not fault on its argument (done %d)", x.ioctl_done);
		if (!wait_flag(&x.ioctl_done, UFFD_WAIT_MS))
			race_stuck("SET_INTEREST without a fault");
		goto out;
	}
	pthread_create(&tm, NULL, race_mmap, &x);
	/* A stuck mmap is reported by the supervisor, which then kills us. */
	if (wait_flag(&x.mmap_done, UFFD_WAIT_MS))
		count_add(&fz->uffd_ok, 1);
	pthread_create(&tc, NULL, race_copy, &x);
	if (!wait_flag(&x.copy_done, UFFD_WAIT_MS))
		race_stuck("UFFDIO_COPY");
	if (!wait_flag(&x.ioctl_done, UFFD_WAIT_MS))
		race_stuck("SET_INTEREST");
	if (!wait_flag(&x.mmap_done, UFFD_WAIT_MS))
		race_stuck("mmap");
	pthread_join(tm, NULL);
	pthread_join(tc, NULL);
	if (x.mapped != MAP_FAILED)
		munmap(x.mapped, rd->cfg.page_size);
out:
	pthread_join(ti, NULL);
	munmap(x.page, rd->cfg.page_size);
	close(x.uffd);
	__atomic_store_n(&fz->racing, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&busy);
}
