// SPDX-License-Identifier: Apache-2.0
/*
 * The lookup worker: one thread that runs kcap__ct_lookup() for the ids the
 * event path asks about, so that reading state files never delays an
 * event. Requests go into a bounded ring of ids; results come back on a
 * list the event path takes whole. The mutex guards only the ring, the
 * retries and the list (a copy of an id, a pointer swap): the worker never
 * holds it while it reads files. An id not found yet is tried again by the
 * worker on a doubling schedule (container.h) before its failure is
 * reported: the waiting happens in pthread_cond_timedwait(), never in the
 * event path.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ct.h"

/* An id to look up again at @due (CLOCK_MONOTONIC ns); @tries so far,
 * the first at @first. */
struct ct_retry {
	uint64_t due;
	uint64_t first;
	unsigned int tries;
	char id[KCAP_CT_ID_LEN];
};

struct kcap_ct_worker {
	struct kcap_ct_paths paths;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	unsigned int cap, head, n; /* the ring: n ids from head */
	char (*ring)[KCAP_CT_ID_LEN];
	struct ct_retry *retry; /* ids to try again, unordered */
	unsigned int nretry;	/* at most cap */
	uint64_t window;	/* retried this long after the first attempt */
	struct kcap_ct_result *done; /* finished lookups, newest first */
	atomic_uint ndone;	     /* results on done: read without the lock */
	atomic_uint attempts;	     /* kcap__ct_lookup() calls begun */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Under the lock: the next id to look up into @r (tries 0 for a new
 * request), a due retry before a new request; waits until there is one.
 * False when the worker is to stop.
 */
static bool next_id(struct kcap_ct_worker *w, struct ct_retry *r)
{
	unsigned int i, first;
	struct timespec ts;
	uint64_t now;

	for (;;) {
		if (w->stop)
			return false;
		now = mono_ns();
		first = 0;
		for (i = 1; i < w->nretry; i++)
			if (w->retry[i].due < w->retry[first].due)
				first = i;
		if (w->nretry && w->retry[first].due <= now) {
			*r = w->retry[first];
			w->retry[first] = w->retry[--w->nretry];
			return true;
		}
		if (w->n) {
			memcpy(r->id, w->ring[w->head], KCAP_CT_ID_LEN);
			w->head = (w->head + 1) % w->cap;
			w->n--;
			r->tries = 0;
			r->first = now;
			return true;
		}
		if (!w->nretry) {
			pthread_cond_wait(&w->wake, &w->lock);
			continue;
		}
		ts.tv_sec = (time_t)(w->retry[first].due / 1000000000ull);
		ts.tv_nsec = (long)(w->retry[first].due % 1000000000ull);
		pthread_cond_timedwait(&w->wake, &w->lock, &ts);
	}
}

/* Schedules another try of @r (@r->tries failed so far) if its window and
 * the room allow; under the lock. */
static bool retry_later(struct kcap_ct_worker *w, const struct ct_retry *r)
{
	uint64_t now = mono_ns(), delay = KCAP_CT_RETRY_MAX_NS;

	if (now - r->first >= w->window || w->nretry == w->cap)
		return false;
	if (r->tries < 16 && (KCAP_CT_RETRY_FIRST_NS << (r->tries - 1)) < delay)
		delay = KCAP_CT_RETRY_FIRST_NS << (r->tries - 1);
	w->retry[w->nretry] = *r;
	w->retry[w->nretry++].due = now + delay;
	return true;
}

static void *worker_main(void *arg)
{
	struct kcap_ct_worker *w = arg;
	struct kcap_ct_result *r;
	struct ct_retry next;

	for (;;) {
		pthread_mutex_lock(&w->lock);
		if (!next_id(w, &next)) {
			pthread_mutex_unlock(&w->lock);
			return NULL;
		}
		pthread_mutex_unlock(&w->lock);

		/* the file I/O, without the lock */
		r = malloc(sizeof(*r));
		if (!r)
			continue; /* the id is not answered: the event path retries */
		atomic_fetch_add_explicit(&w->attempts, 1, memory_order_relaxed);
		r->err = kcap__ct_lookup(&w->paths, next.id, &r->meta);
		next.tries++;

		pthread_mutex_lock(&w->lock);
		if ((r->err == -ENOENT || r->err == -EAGAIN) && retry_later(w, &next)) {
			pthread_mutex_unlock(&w->lock);
			kcap__ct_meta_release(&r->meta);
			free(r);
			continue;
		}
		if (r->err)
			snprintf(r->meta.id, sizeof(r->meta.id), "%s", next.id);
		r->next = w->done;
		w->done = r;
		atomic_fetch_add_explicit(&w->ndone, 1, memory_order_release);
		pthread_mutex_unlock(&w->lock);
	}
}

struct kcap_ct_worker *kcap__ct_worker_new(const struct kcap_ct_paths *paths, unsigned int queue)
{
	struct kcap_ct_worker *w;
	pthread_condattr_t cattr;
	sigset_t all, old;
	int err;

	if (!queue || queue > KCAP_CT_CACHE_MAX) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->paths = paths ? *paths : kcap__ct_default_paths;
	w->cap = queue;
	w->ring = calloc(queue, sizeof(*w->ring));
	w->retry = calloc(queue, sizeof(*w->retry));
	if (!w->ring || !w->retry) {
		free(w->ring);
		free(w->retry);
		free(w);
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&w->lock, NULL);
	/* the retries' due times are CLOCK_MONOTONIC */
	pthread_condattr_init(&cattr);
	pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->wake, &cattr);
	pthread_condattr_destroy(&cattr);
	atomic_init(&w->ndone, 0);
	atomic_init(&w->attempts, 0);
	w->window = KCAP_CT_RETRY_WINDOW_NS;
	/* signals stay the caller's: a SIGINT must interrupt its poll(),
	 * not land on this thread */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&w->thread, NULL, worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->lock);
		free(w->ring);
		free(w->retry);
		free(w);
		errno = err;
		return NULL;
	}
	return w;
}

int kcap__ct_worker_request(struct kcap_ct_worker *w, const char *id)
{
	size_t n = strlen(id);

	if (!n || n >= KCAP_CT_ID_LEN)
		return -EINVAL;
	pthread_mutex_lock(&w->lock);
	if (w->n == w->cap) {
		pthread_mutex_unlock(&w->lock);
		return -EAGAIN;
	}
	memcpy(w->ring[(w->head + w->n) % w->cap], id, n + 1);
	w->n++;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

struct kcap_ct_result *kcap__ct_worker_results(struct kcap_ct_worker *w)
{
	struct kcap_ct_result *r;

	/* the common case, nothing finished: no lock */
	if (!atomic_load_explicit(&w->ndone, memory_order_acquire))
		return NULL;
	pthread_mutex_lock(&w->lock);
	r = w->done;
	w->done = NULL;
	atomic_store_explicit(&w->ndone, 0, memory_order_relaxed);
	pthread_mutex_unlock(&w->lock);
	return r;
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
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	/* a lookup under way finishes (its files are bounded) and is freed
	 * below; ids waiting for a retry are dropped */
	pthread_join(w->thread, NULL);
	kcap__ct_result_free(w->done);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w->ring);
	free(w->retry);
	free(w);
}

void kcap__ct_worker_retry_window(struct kcap_ct_worker *w, uint64_t ns)
{
	pthread_mutex_lock(&w->lock);
	w->window = ns;
	pthread_mutex_unlock(&w->lock);
}

unsigned int kcap__ct_worker_attempts(struct kcap_ct_worker *w)
{
	return atomic_load_explicit(&w->attempts, memory_order_relaxed);
}
