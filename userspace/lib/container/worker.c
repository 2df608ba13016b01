// SPDX-License-Identifier: Apache-2.0
/*
 * The lookup worker: one thread that runs kcap__ct_lookup() for the ids the
 * event path asks about, so that reading state files never delays an
 * event. Requests go into a bounded ring of ids; results come back on a
 * list the event path takes whole. The mutex guards only the ring, the
 * retries and the list (a copy of an id, a pointer swap): the worker never
 * holds it while it reads files.
 *
 * An id not found yet is tried again by the worker on a doubling schedule
 * (container.h) before its failure is reported. And the worker watches the
 * OCI runtimes' state directories (inotify): a container directory created
 * there is looked up on the same schedule before any event asks for it, so
 * that its metadata is known when its first process execs even where kcap
 * learns of the container only at that exec (crun moves the process into
 * the cgroup after the clone). A root that does not exist yet is watched
 * once it does (checked every second), and what it holds by then is looked
 * up too. The waiting happens in poll(), never in the event path.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "ct.h"

/* A state directory missing at the start is watched once it appears:
 * tried again this often. */
#define CT_REWATCH_NS 1000000000ull

/* An id to look up again at @due (CLOCK_MONOTONIC ns); @tries so far,
 * the first at @first. @watched: seen in a state directory, not asked
 * for: its failure is not reported. */
struct ct_retry {
	uint64_t due;
	uint64_t first;
	unsigned int tries;
	bool watched;
	char id[KCAP_CT_ID_LEN];
};

struct kcap_ct_worker {
	struct kcap_ct_paths paths;
	pthread_t thread;
	pthread_mutex_t lock;
	int wake_fd; /* eventfd: a request or the stop */
	int ino_fd;  /* inotify on the OCI roots; -1 without */
	int root_wd[KCAP_CT_MAX_ROOTS]; /* -1: not watched (yet) */
	uint64_t rewatch_at;
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

static void watch_found(struct kcap_ct_worker *w, const char *id, size_t len);

/* The container directories already in root @path, when its watch came
 * after the runtime had created it (and the first container's directory
 * with it). Without the lock. */
static void scan_root(struct kcap_ct_worker *w, const char *path)
{
	struct dirent *de;
	DIR *d = opendir(path);

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
			continue;
		pthread_mutex_lock(&w->lock);
		watch_found(w, de->d_name, strlen(de->d_name));
		pthread_mutex_unlock(&w->lock);
	}
	closedir(d);
}

/*
 * Watches the OCI roots not watched yet (a runtime creates its root at its
 * first container); @scan: look up what a root newly watched holds already.
 * Worker thread only, without the lock; the first call comes before the
 * thread exists (the seed covers the containers there then).
 */
static void watch_roots(struct kcap_ct_worker *w, bool scan)
{
	const char *hr = w->paths.host_root ? w->paths.host_root : "";
	char path[PATH_MAX];
	unsigned int i;

	if (w->ino_fd < 0)
		return;
	for (i = 0; i < KCAP_CT_MAX_ROOTS && w->paths.oci_roots[i]; i++) {
		if (w->root_wd[i] >= 0)
			continue;
		if (snprintf(path, sizeof(path), "%s%s", hr, w->paths.oci_roots[i]) >=
		    (int)sizeof(path))
			continue;
		w->root_wd[i] = inotify_add_watch(w->ino_fd, path,
						  IN_CREATE | IN_MOVED_TO | IN_ONLYDIR);
		if (w->root_wd[i] >= 0 && scan)
			scan_root(w, path);
	}
	w->rewatch_at = mono_ns() + CT_REWATCH_NS;
}

static bool roots_missing(const struct kcap_ct_worker *w)
{
	unsigned int i;

	if (w->ino_fd < 0)
		return false;
	for (i = 0; i < KCAP_CT_MAX_ROOTS && w->paths.oci_roots[i]; i++)
		if (w->root_wd[i] < 0)
			return true;
	return false;
}

/* Under the lock: @id, seen in a state directory, is looked up soon. */
static void watch_found(struct kcap_ct_worker *w, const char *id, size_t len)
{
	struct ct_retry *r;
	uint64_t now = mono_ns();

	if (!len || len >= KCAP_CT_ID_LEN || w->nretry == w->cap)
		return;
	r = &w->retry[w->nretry++];
	memset(r, 0, sizeof(*r));
	memcpy(r->id, id, len);
	r->watched = true;
	r->first = now;
	/* the directory comes first, the state file a moment later */
	r->due = now + KCAP_CT_RETRY_FIRST_NS;
	r->tries = 1;
}

/* Reads the inotify events (without the lock), then queues the new
 * container directories (with it). */
static void read_watch(struct kcap_ct_worker *w)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t n;
	char *p;
	unsigned int i;

	while ((n = read(w->ino_fd, buf, sizeof(buf))) > 0) {
		pthread_mutex_lock(&w->lock);
		for (p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			if (ev->mask & IN_IGNORED) { /* a root went away */
				for (i = 0; i < KCAP_CT_MAX_ROOTS; i++)
					if (w->root_wd[i] == ev->wd)
						w->root_wd[i] = -1;
				continue;
			}
			if ((ev->mask & IN_ISDIR) && ev->len)
				watch_found(w, ev->name, strnlen(ev->name, ev->len));
		}
		pthread_mutex_unlock(&w->lock);
	}
}

/*
 * Under the lock: the next id to look up into @r, a due retry before a new
 * request (tries 0); false when there is none, with the milliseconds to
 * wait in *@timeout (-1: until woken).
 */
static bool next_id(struct kcap_ct_worker *w, struct ct_retry *r, int *timeout)
{
	unsigned int i, first = 0;
	uint64_t now = mono_ns(), until = 0;

	for (i = 1; i < w->nretry; i++)
		if (w->retry[i].due < w->retry[first].due)
			first = i;
	if (w->nretry && w->retry[first].due <= now) {
		*r = w->retry[first];
		w->retry[first] = w->retry[--w->nretry];
		return true;
	}
	if (w->n) {
		memset(r, 0, sizeof(*r));
		memcpy(r->id, w->ring[w->head], KCAP_CT_ID_LEN);
		w->head = (w->head + 1) % w->cap;
		w->n--;
		r->first = now;
		return true;
	}
	if (w->nretry)
		until = w->retry[first].due;
	if (roots_missing(w) && (!until || w->rewatch_at < until))
		until = w->rewatch_at;
	*timeout = !until ? -1 : until <= now ? 0 : (int)((until - now + 999999) / 1000000);
	return false;
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

/* Waits up to @timeout ms for a request, the stop or a new container
 * directory; without the lock. */
static void wait_work(struct kcap_ct_worker *w, int timeout)
{
	struct pollfd pfd[2] = { { .fd = w->wake_fd, .events = POLLIN },
				 { .fd = w->ino_fd, .events = POLLIN } };
	uint64_t v;

	if (poll(pfd, w->ino_fd >= 0 ? 2 : 1, timeout) > 0) {
		if ((pfd[0].revents & POLLIN) && read(w->wake_fd, &v, sizeof(v)) < 0)
			v = 0; /* EAGAIN: another read took it */
		if (w->ino_fd >= 0 && (pfd[1].revents & POLLIN))
			read_watch(w);
	}
	if (roots_missing(w) && mono_ns() >= w->rewatch_at)
		watch_roots(w, true);
}

static void *worker_main(void *arg)
{
	struct kcap_ct_worker *w = arg;
	struct kcap_ct_result *r;
	struct ct_retry next;
	int timeout;

	for (;;) {
		pthread_mutex_lock(&w->lock);
		if (w->stop) {
			pthread_mutex_unlock(&w->lock);
			return NULL;
		}
		if (!next_id(w, &next, &timeout)) {
			pthread_mutex_unlock(&w->lock);
			wait_work(w, timeout);
			continue;
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
		if (r->err && next.watched) { /* nobody asked: nothing to report */
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

static void worker_release(struct kcap_ct_worker *w)
{
	if (w->ino_fd >= 0)
		close(w->ino_fd);
	if (w->wake_fd >= 0)
		close(w->wake_fd);
	free(w->ring);
	free(w->retry);
	free(w);
}

struct kcap_ct_worker *kcap__ct_worker_new(const struct kcap_ct_paths *paths, unsigned int queue)
{
	struct kcap_ct_worker *w;
	sigset_t all, old;
	unsigned int i;
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
	w->ino_fd = -1;
	for (i = 0; i < KCAP_CT_MAX_ROOTS; i++)
		w->root_wd[i] = -1;
	w->ring = calloc(queue, sizeof(*w->ring));
	w->retry = calloc(queue, sizeof(*w->retry));
	w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!w->ring || !w->retry || w->wake_fd < 0) {
		err = w->wake_fd < 0 ? errno : ENOMEM;
		worker_release(w);
		errno = err;
		return NULL;
	}
	/* without inotify (no room for another instance) the worker still
	 * answers requests */
	w->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	/* the roots there now are watched before the first event */
	watch_roots(w, false);
	pthread_mutex_init(&w->lock, NULL);
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
		pthread_mutex_destroy(&w->lock);
		worker_release(w);
		errno = err;
		return NULL;
	}
	return w;
}

static void wake(struct kcap_ct_worker *w)
{
	uint64_t one = 1;

	/* EAGAIN only when the counter is about to overflow: awake anyway */
	if (write(w->wake_fd, &one, sizeof(one)) < 0)
		return;
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
	pthread_mutex_unlock(&w->lock);
	wake(w);
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
	pthread_mutex_unlock(&w->lock);
	wake(w);
	/* a lookup under way finishes (its files are bounded) and is freed
	 * below; ids waiting for a retry are dropped */
	pthread_join(w->thread, NULL);
	kcap__ct_result_free(w->done);
	pthread_mutex_destroy(&w->lock);
	worker_release(w);
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
