// SPDX-License-Identifier: Apache-2.0
/*
 * The lookup worker: one thread that runs kcap__ct_lookup() for the ids the
 * event path asks about, so that reading state files never delays an
 * event. Requests go into a bounded ring of ids; results come back on a
 * list the event path takes whole. The mutex guards only the ring and the
 * list (a copy of an id, a pointer swap): the worker never holds it while
 * it reads files.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct.h"

struct kcap_ct_worker {
	struct kcap_ct_paths paths;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	unsigned int cap, head, n; /* the ring: n ids from head */
	char (*ring)[KCAP_CT_ID_LEN];
	struct kcap_ct_result *done; /* finished lookups, newest first */
	atomic_uint ndone;	     /* results on done: read without the lock */
};

static void *worker_main(void *arg)
{
	struct kcap_ct_worker *w = arg;
	char id[KCAP_CT_ID_LEN];
	struct kcap_ct_result *r;

	for (;;) {
		pthread_mutex_lock(&w->lock);
		while (!w->n && !w->stop)
			pthread_cond_wait(&w->wake, &w->lock);
		if (w->stop) {
			pthread_mutex_unlock(&w->lock);
			return NULL;
		}
		memcpy(id, w->ring[w->head], sizeof(id));
		w->head = (w->head + 1) % w->cap;
		w->n--;
		pthread_mutex_unlock(&w->lock);

		/* the file I/O, without the lock */
		r = malloc(sizeof(*r));
		if (!r)
			continue; /* the id is not answered: the event path retries */
		r->err = kcap__ct_lookup(&w->paths, id, &r->meta);
		if (r->err)
			snprintf(r->meta.id, sizeof(r->meta.id), "%s", id);

		pthread_mutex_lock(&w->lock);
		r->next = w->done;
		w->done = r;
		atomic_fetch_add_explicit(&w->ndone, 1, memory_order_release);
		pthread_mutex_unlock(&w->lock);
	}
}

struct kcap_ct_worker *kcap__ct_worker_new(const struct kcap_ct_paths *paths, unsigned int queue)
{
	struct kcap_ct_worker *w;
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
	if (!w->ring) {
		free(w);
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	atomic_init(&w->ndone, 0);
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
	/* a lookup under way finishes (its files are bounded) and is freed below */
	pthread_join(w->thread, NULL);
	kcap__ct_result_free(w->done);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w->ring);
	free(w);
}
