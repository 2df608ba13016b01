// SPDX-License-Identifier: Apache-2.0
/*
 * The lookup worker: one thread that runs kcap__ct_lookup() for the ids the
 * event path asks about, so that reading state files never delays an
 * event. Requests go into a bounded ring of ids; results come back on a
 * list the event path takes whole. The mutex guards only the ring and the
 * list (a copy of an id, a pointer swap): the worker never holds it while
 * it reads files.
 *
 * With KCAP_CT_WATCH the same thread also watches the runtimes' state
 * directories with inotify (watch.c) and looks up each container whose
 * directory or state file appears, delivering it as a result nobody asked
 * for, so that its metadata is usually cached before its first event; a
 * deleted container directory is delivered as "gone". The thread sleeps in
 * poll() on the inotify descriptor and an eventfd that requests and
 * kcap__ct_worker_free() write, so it stops promptly.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "ct.h"

/* Results nobody asked for waiting to be taken: past this, new ones are
 * dropped (the event path asks for those containers at their first event). */
#define UNASKED_MAX 1024

struct kcap_ct_worker {
	struct kcap_ct_paths paths;
	pthread_t thread;
	pthread_mutex_t lock;
	int efd; /* eventfd: a request, a rescan or stop */
	atomic_bool stop;
	atomic_bool rescan;	   /* kcap__ct_worker_rescan() */
	unsigned int cap, head, n; /* the ring: n ids from head */
	char (*ring)[KCAP_CT_ID_LEN];
	struct kcap_ct_result *done; /* finished lookups, newest first */
	atomic_uint ndone;	     /* results on done: read without the lock */
	unsigned int unasked;	     /* noticed or gone results on done */
	struct ct_watch *watch;	     /* NULL without KCAP_CT_WATCH */
	atomic_ullong noticed, gone, rescans, dropped;
};

uint64_t ct_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void wake(struct kcap_ct_worker *w)
{
	uint64_t one = 1;
	ssize_t n;

	/* nonblocking: a full counter already wakes the thread */
	do
		n = write(w->efd, &one, sizeof(one));
	while (n < 0 && errno == EINTR);
}

/* Puts @r on the list; false (and @r freed) when it is an unasked result
 * and too many of those wait already. */
static bool deliver(struct kcap_ct_worker *w, struct kcap_ct_result *r)
{
	pthread_mutex_lock(&w->lock);
	if (r->kind != KCAP_CT_ASKED) {
		if (w->unasked >= UNASKED_MAX) {
			pthread_mutex_unlock(&w->lock);
			atomic_fetch_add(&w->dropped, 1);
			kcap__ct_result_free(r);
			return false;
		}
		w->unasked++;
	}
	r->next = w->done;
	w->done = r;
	atomic_fetch_add_explicit(&w->ndone, 1, memory_order_release);
	pthread_mutex_unlock(&w->lock);
	return true;
}

int ct_worker_notice(struct kcap_ct_worker *w, const char *id)
{
	struct kcap_ct_result *r = calloc(1, sizeof(*r));
	int err;

	if (!r)
		return -ENOMEM;
	err = kcap__ct_lookup(&w->paths, id, &r->meta);
	if (err) {
		free(r); /* owns nothing on failure */
		return err;
	}
	r->kind = KCAP_CT_NOTICED;
	if (deliver(w, r))
		atomic_fetch_add(&w->noticed, 1);
	return 0;
}

void ct_worker_gone(struct kcap_ct_worker *w, const char *id)
{
	struct kcap_ct_result *r = calloc(1, sizeof(*r));

	if (!r)
		return;
	r->kind = KCAP_CT_GONE;
	r->err = -ENOENT;
	snprintf(r->meta.id, sizeof(r->meta.id), "%s", id);
	if (deliver(w, r))
		atomic_fetch_add(&w->gone, 1);
}

void ct_worker_counted_rescan(struct kcap_ct_worker *w)
{
	atomic_fetch_add(&w->rescans, 1);
}

void ct_worker_counted_drop(struct kcap_ct_worker *w)
{
	atomic_fetch_add(&w->dropped, 1);
}

/* Takes the next queued id into @id; false when none. */
static bool pop(struct kcap_ct_worker *w, char *id)
{
	bool got = false;

	pthread_mutex_lock(&w->lock);
	if (w->n) {
		memcpy(id, w->ring[w->head], KCAP_CT_ID_LEN);
		w->head = (w->head + 1) % w->cap;
		w->n--;
		got = true;
	}
	pthread_mutex_unlock(&w->lock);
	return got;
}

static void ask(struct kcap_ct_worker *w, const char *id)
{
	struct kcap_ct_result *r;

	/* the file I/O, without the lock */
	r = malloc(sizeof(*r));
	if (!r)
		return; /* the id is not answered: the event path retries */
	r->kind = KCAP_CT_ASKED;
	r->err = kcap__ct_lookup(&w->paths, id, &r->meta);
	if (r->err)
		snprintf(r->meta.id, sizeof(r->meta.id), "%s", id);
	deliver(w, r);
}

static void *worker_main(void *arg)
{
	struct kcap_ct_worker *w = arg;
	char id[KCAP_CT_ID_LEN];
	struct pollfd pfd[2];
	uint64_t count;
	int timeout, nfd;

	if (w->watch)
		ct_watch_start(w->watch);
	while (!atomic_load(&w->stop)) {
		/* asked ids first: an event is waiting for them */
		if (pop(w, id)) {
			ask(w, id);
			continue;
		}
		if (w->watch) {
			if (atomic_exchange(&w->rescan, false))
				ct_watch_rescan(w->watch);
			ct_watch_events(w->watch);
			timeout = ct_watch_due(w->watch);
		} else {
			timeout = -1;
		}
		pthread_mutex_lock(&w->lock);
		if (w->n)
			timeout = 0;
		pthread_mutex_unlock(&w->lock);
		if (atomic_load(&w->stop) || atomic_load(&w->rescan))
			timeout = 0;
		pfd[0] = (struct pollfd){.fd = w->efd, .events = POLLIN};
		nfd = 1;
		if (w->watch && ct_watch_fd(w->watch) >= 0) {
			pfd[1] = (struct pollfd){.fd = ct_watch_fd(w->watch), .events = POLLIN};
			nfd = 2;
		}
		if (timeout && poll(pfd, (nfds_t)nfd, timeout) < 0 && errno != EINTR)
			break; /* cannot happen with valid descriptors; stop rather than spin */
		if (pfd[0].revents & POLLIN)
			while (read(w->efd, &count, sizeof(count)) < 0 && errno == EINTR)
				;
	}
	return NULL;
}

struct kcap_ct_worker *kcap__ct_worker_new(const struct kcap_ct_paths *paths, unsigned int queue,
					   unsigned int flags)
{
	struct kcap_ct_worker *w;
	sigset_t all, old;
	int err;

	if (!queue || queue > KCAP_CT_CACHE_MAX || (flags & ~KCAP_CT_WATCH)) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->paths = paths ? *paths : kcap__ct_default_paths;
	w->cap = queue;
	w->ring = calloc(queue, sizeof(*w->ring));
	w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!w->ring || w->efd < 0) {
		err = w->ring ? errno : ENOMEM;
		goto fail;
	}
	if (flags & KCAP_CT_WATCH) {
		/* without inotify (ENOSYS, EMFILE) the worker still answers requests */
		w->watch = ct_watch_new(w, &w->paths);
		if (!w->watch && errno == ENOMEM) {
			err = ENOMEM;
			goto fail;
		}
	}
	pthread_mutex_init(&w->lock, NULL);
	atomic_init(&w->ndone, 0);
	/* signals stay the caller's: a SIGINT must interrupt its poll(),
	 * not land on this thread */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&w->thread, NULL, worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		pthread_mutex_destroy(&w->lock);
		goto fail;
	}
	return w;
fail:
	ct_watch_free(w->watch);
	if (w->efd >= 0)
		close(w->efd);
	free(w->ring);
	free(w);
	errno = err;
	return NULL;
}

int kcap__ct_worker_request(struct kcap_ct_worker *w, const char *id)
{
	size_t n = strlen(id);
	bool was_empty;

	if (!n || n >= KCAP_CT_ID_LEN)
		return -EINVAL;
	pthread_mutex_lock(&w->lock);
	if (w->n == w->cap) {
		pthread_mutex_unlock(&w->lock);
		return -EAGAIN;
	}
	memcpy(w->ring[(w->head + w->n) % w->cap], id, n + 1);
	was_empty = !w->n++;
	pthread_mutex_unlock(&w->lock);
	/* a non-empty ring is seen before the thread sleeps again */
	if (was_empty)
		wake(w);
	return 0;
}

struct kcap_ct_result *kcap__ct_worker_results(struct kcap_ct_worker *w)
{
	struct kcap_ct_result *r, *next, *oldest = NULL;

	/* the common case, nothing finished: no lock */
	if (!atomic_load_explicit(&w->ndone, memory_order_acquire))
		return NULL;
	pthread_mutex_lock(&w->lock);
	r = w->done;
	w->done = NULL;
	w->unasked = 0;
	atomic_store_explicit(&w->ndone, 0, memory_order_relaxed);
	pthread_mutex_unlock(&w->lock);
	/* oldest first: a container noticed and then gone ends gone */
	for (; r; r = next) {
		next = r->next;
		r->next = oldest;
		oldest = r;
	}
	return oldest;
}

void kcap__ct_worker_rescan(struct kcap_ct_worker *w)
{
	atomic_store(&w->rescan, true);
	wake(w);
}

void kcap__ct_worker_counters(struct kcap_ct_worker *w, struct kcap_ct_counters *c)
{
	c->noticed = atomic_load(&w->noticed);
	c->gone = atomic_load(&w->gone);
	c->rescans = atomic_load(&w->rescans);
	c->dropped = atomic_load(&w->dropped);
	c->watching = w->watch != NULL;
}

void kcap__ct_result_free(struct kcap_ct_result *r)
{
	struct kcap_ct_result *next;

	for (; r; r = next) {
		next = r->next;
		kcap__ct_meta_release(&r->meta);
		free(r);
	}
}

void kcap__ct_worker_free(struct kcap_ct_worker *w)
{
	if (!w)
		return;
	atomic_store(&w->stop, true);
	wake(w);
	/* a lookup under way finishes (its files are bounded) and is freed below */
	pthread_join(w->thread, NULL);
	kcap__ct_result_free(w->done);
	ct_watch_free(w->watch);
	close(w->efd);
	pthread_mutex_destroy(&w->lock);
	free(w->ring);
	free(w);
}
