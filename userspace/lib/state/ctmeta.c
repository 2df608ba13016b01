// SPDX-License-Identifier: Apache-2.0
/*
 * Container metadata for the threads of the table, without ever delaying an
 * event (docs/containers.md). The event path, single-threaded, owns a
 * bounded LRU cache of results (container/cache.c) and a bounded table of
 * the ids it is waiting for; container/worker.c's thread reads the state
 * files. When an event of a container thread finds no metadata, its id is
 * queued (once: an id in flight is not asked again) and the event goes on
 * without it; finished lookups are taken in at the next event of a
 * container thread. An id no runtime knows is asked again after
 * KST_CT_RETRY_NS (its state file may be written a moment later). The
 * worker also watches the runtimes' state directories (inotify) and
 * delivers containers as they appear, unasked, and those whose directory
 * is deleted, which are forgotten; the worker starts when a live state is
 * seeded, so that containers started afterwards are usually known before
 * their first event.
 *
 * Only live events are looked up: a capture file was recorded on another
 * machine, or earlier, and this machine's runtimes would name its
 * containers wrongly, so for a file handle nothing is looked up: the
 * fields come from the file's own container table (its CONTAINERS blocks,
 * capture/file_containers.c) as far as it has been read, or stay missing.
 *
 * A recorder hands what it learns to a capture file writer
 * (kcap_state_write_containers()): the ids found since the last call are
 * kept in a bounded list for it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture/capture.h"
#include "state.h"

#define KST_CT_CACHE 1024	     /* containers whose metadata is kept */
#define KST_CT_WAIT 1024	     /* ids waited for (in flight or failed) */
#define KST_CT_QUEUE 256	     /* ids queued for the worker */
#define KST_CT_RETRY_NS 1000000000ull /* a failed id is asked again after this */
#define KST_CT_BUCKETS 256
#define KST_CT_FRESH 1024	     /* ids found and not yet given to a writer */
#define KST_CT_TRIES 10		     /* retries a writer's call makes for a failed id */
#define KST_CT_RETRY_CHECK_NS 100000000ull /* a writer's call looks for them this often */

struct ctwait {
	struct ctwait *next;
	bool inflight;
	__u64 retry_at; /* CLOCK_MONOTONIC ns; 0: now */
	__u64 events;	/* events of the container while waited for */
	__u64 first_ts; /* the first of them (event clock) */
	unsigned int tries; /* lookups that failed */
	char id[65];
};

struct kst_ct {
	struct kcap_ct_paths paths;
	char *strs[4 + 2 * KCAP_CT_MAX_ROOTS]; /* the copied path strings */
	bool watch;			   /* KCAP_CT_WATCH_ON */
	struct kcap_ct_worker *worker;	   /* started at the first lookup */
	struct kcap_ct_cache *cache;
	struct ctwait *wait[KST_CT_BUCKETS];
	unsigned int nwait;
	bool failed; /* the worker or cache could not be made: no lookups */
	const struct kcap *h; /* the last handle checked ... */
	bool h_file;	      /* ... and whether it reads a file */
	/* found since the last kcap_state_write_containers(); more than
	 * KST_CT_FRESH: the writer is given every container of the table */
	char (*fresh)[KCAP_CT_ID_LEN];
	unsigned int nfresh;
	bool fresh_lost;
	__u64 retry_check; /* when a writer's call looks for retries next */
};

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

static unsigned int bucket(const char *id)
{
	__u32 h = 2166136261u;

	for (; *id; id++)
		h = (h ^ (unsigned char)*id) * 16777619u;
	return h & (KST_CT_BUCKETS - 1);
}

static struct ctwait **wait_link(struct kst_ct *ct, const char *id)
{
	struct ctwait **pp = &ct->wait[bucket(id)];

	for (; *pp; pp = &(*pp)->next)
		if (!strcmp((*pp)->id, id))
			break;
	return pp;
}

static void wait_remove(struct kst_ct *ct, struct ctwait **pp)
{
	struct ctwait *w = *pp;

	*pp = w->next;
	free(w);
	ct->nwait--;
}

static char *dup_opt(struct kst_ct *ct, unsigned int slot, const char *s)
{
	if (!s)
		return NULL;
	ct->strs[slot] = strdup(s);
	return ct->strs[slot];
}

int kst_ct_init(struct kcap_state *st, const struct kcap_state_opts *opts)
{
	const char *const *roots = OPTS_GET(opts, oci_roots, NULL);
	const char *const *runsc = OPTS_GET(opts, runsc_roots, NULL);
	const char *docker = OPTS_GET(opts, docker_root, NULL);
	const char *sroot = OPTS_GET(opts, storage_root, NULL);
	const char *srun = OPTS_GET(opts, storage_runroot, NULL);
	int watch = OPTS_GET(opts, container_watch, KCAP_CT_WATCH_ON);
	struct kst_ct *ct;
	unsigned int i;

	st->ct_mode = OPTS_GET(opts, container_lookup, KCAP_CT_LOOKUP_LIVE);
	if (st->ct_mode != KCAP_CT_LOOKUP_LIVE && st->ct_mode != KCAP_CT_LOOKUP_NEVER &&
	    st->ct_mode != KCAP_CT_LOOKUP_ALWAYS)
		return -EINVAL;
	if (watch != KCAP_CT_WATCH_ON && watch != KCAP_CT_WATCH_OFF)
		return -EINVAL;
	if (roots)
		for (i = 0; roots[i]; i++)
			if (i == KCAP_CT_MAX_ROOTS)
				return -EINVAL;
	if (runsc)
		for (i = 0; runsc[i]; i++)
			if (i == KCAP_CT_MAX_ROOTS)
				return -EINVAL;
	ct = calloc(1, sizeof(*ct));
	if (!ct)
		return -ENOMEM;
	ct->paths = kcap__ct_default_paths;
	ct->watch = watch == KCAP_CT_WATCH_ON;
	if (OPTS_GET(opts, container_root, NULL) &&
	    !(ct->paths.host_root = dup_opt(ct, 0, opts->container_root)))
		goto nomem;
	if (docker) /* "" skips docker */
		ct->paths.docker_root = docker[0] ? dup_opt(ct, 1, docker) : NULL;
	if (docker && docker[0] && !ct->paths.docker_root)
		goto nomem;
	if (sroot) /* "" skips it */
		ct->paths.storage_root = sroot[0] ? dup_opt(ct, 2, sroot) : NULL;
	if (srun)
		ct->paths.storage_runroot = srun[0] ? dup_opt(ct, 3, srun) : NULL;
	if ((sroot && sroot[0] && !ct->paths.storage_root) ||
	    (srun && srun[0] && !ct->paths.storage_runroot))
		goto nomem;
	if (roots) {
		for (i = 0; roots[i]; i++)
			if (!(ct->paths.oci_roots[i] = dup_opt(ct, 4 + i, roots[i])))
				goto nomem;
		ct->paths.oci_roots[i] = NULL;
	}
	if (runsc) {
		for (i = 0; runsc[i]; i++)
			if (!(ct->paths.runsc_roots[i] =
				  dup_opt(ct, 4 + KCAP_CT_MAX_ROOTS + i, runsc[i])))
				goto nomem;
		ct->paths.runsc_roots[i] = NULL;
	}
	st->ct = ct;
	return 0;
nomem:
	for (i = 0; i < sizeof(ct->strs) / sizeof(ct->strs[0]); i++)
		free(ct->strs[i]);
	free(ct);
	return -ENOMEM;
}

void kst_ct_free(struct kcap_state *st)
{
	struct kst_ct *ct = st->ct;
	unsigned int i;

	if (!ct)
		return;
	/* joins the thread: a lookup in flight finishes, its result is freed */
	kcap__ct_worker_free(ct->worker);
	kcap__ct_cache_free(ct->cache);
	for (i = 0; i < KST_CT_BUCKETS; i++)
		while (ct->wait[i])
			wait_remove(ct, &ct->wait[i]);
	for (i = 0; i < sizeof(ct->strs) / sizeof(ct->strs[0]); i++)
		free(ct->strs[i]);
	free(ct->fresh);
	free(ct);
	st->ct = NULL;
}

/* May this state look containers up for events of @h? */
static bool lookups_allowed(struct kcap_state *st, const struct kcap *h)
{
	struct kst_ct *ct = st->ct;
	const void *snap;
	size_t len;

	if (!ct || ct->failed || st->ct_mode == KCAP_CT_LOOKUP_NEVER || st->ct_file)
		return false;
	if (h) {
		if (h != ct->h) {
			ct->h = h;
			ct->h_file = kcap__procs(h, &snap, &len) != -EOPNOTSUPP;
		}
		if (ct->h_file)
			return false;
	}
	return st->ct_mode == KCAP_CT_LOOKUP_ALWAYS || st->live;
}

static bool start(struct kst_ct *ct)
{
	unsigned int flags = ct->watch ? KCAP_CT_WATCH : 0;

	if (ct->worker)
		return true;
	ct->cache = kcap__ct_cache_new(&ct->paths, KST_CT_CACHE);
	ct->worker = ct->cache ? kcap__ct_worker_new(&ct->paths, KST_CT_QUEUE, flags) : NULL;
	if (!ct->worker) {
		kcap__ct_cache_free(ct->cache);
		ct->cache = NULL;
		ct->failed = true;
	}
	return !ct->failed;
}

/* Takes in the worker's finished lookups. */
/* @id's metadata is new or changed: the next writer call hands it over. */
static void add_fresh(struct kst_ct *ct, const char *id)
{
	if (!ct->fresh)
		ct->fresh = malloc(KST_CT_FRESH * sizeof(*ct->fresh));
	if (ct->fresh && ct->nfresh < KST_CT_FRESH)
		snprintf(ct->fresh[ct->nfresh++], sizeof(ct->fresh[0]), "%s", id);
	else
		ct->fresh_lost = true;
}

static void drain(struct kcap_state *st)
{
	struct kst_ct *ct = st->ct;
	struct kcap_ct_result *list, *r;
	const struct kcap_ct_meta *old;
	struct ctwait **pp;

	list = kcap__ct_worker_results(ct->worker);
	for (r = list; r; r = r->next) {
		pp = wait_link(ct, r->meta.id);
		if (r->kind == KCAP_CT_GONE) {
			/* its directory was deleted: the container has ended */
			if (kcap__ct_cache_forget(ct->cache, r->meta.id))
				st->stats.ct_forgotten++;
			continue;
		}
		if (r->kind == KCAP_CT_NOTICED) {
			st->stats.ct_noticed++;
			/* a change to a known container keeps its count */
			old = kcap__ct_cache_find(ct->cache, r->meta.id);
			if (old)
				r->meta.waited_events = old->waited_events;
			if (*pp) {
				r->meta.waited_events = (*pp)->events;
				/* one in flight is removed when its answer comes */
				if (!(*pp)->inflight)
					wait_remove(ct, pp);
			}
			/* noticed by the watch: a capture file wants it too */
			add_fresh(ct, r->meta.id);
			kcap__ct_cache_insert(ct->cache, &r->meta);
			continue;
		}
		if (r->err) {
			st->stats.ct_failed++;
			if (*pp) {
				(*pp)->inflight = false;
				(*pp)->retry_at = now_ns() + KST_CT_RETRY_NS;
				(*pp)->tries++;
			}
			continue;
		}
		st->stats.ct_found++;
		if (*pp) {
			r->meta.waited_events = (*pp)->events;
			wait_remove(ct, pp);
		}
		add_fresh(ct, r->meta.id);
		kcap__ct_cache_insert(ct->cache, &r->meta);
	}
	kcap__ct_result_free(list);
}

/*
 * Makes room in a full table of waited ids: drops the failed one asked
 * longest ago (a container that has gone, or one no runtime of ours
 * keeps). False when every id is in flight.
 */
static bool wait_evict(struct kst_ct *ct)
{
	struct ctwait **pp, **best = NULL;
	unsigned int i;

	for (i = 0; i < KST_CT_BUCKETS; i++)
		for (pp = &ct->wait[i]; *pp; pp = &(*pp)->next)
			if (!(*pp)->inflight && (!best || (*pp)->retry_at < (*best)->retry_at))
				best = pp;
	if (!best)
		return false;
	wait_remove(ct, best);
	return true;
}

/* Asks the worker about @id unless it is in flight or failed a moment ago;
 * the id's wait entry, NULL when the table is full of ids in flight. */
static struct ctwait *request(struct kcap_state *st, const char *id)
{
	struct kst_ct *ct = st->ct;
	struct ctwait **pp = wait_link(ct, id), *w = *pp;

	if (!w) {
		if (ct->nwait >= KST_CT_WAIT && !wait_evict(ct)) {
			st->stats.ct_dropped++;
			return NULL;
		}
		w = calloc(1, sizeof(*w));
		if (!w)
			return NULL;
		memcpy(w->id, id, sizeof(w->id));
		pp = wait_link(ct, id); /* the eviction may have moved its chain's end */
		*pp = w;
		ct->nwait++;
	}
	if (!w->inflight && (!w->retry_at || now_ns() >= w->retry_at)) {
		if (kcap__ct_worker_request(ct->worker, id) == 0) {
			w->inflight = true;
			st->stats.ct_lookups++;
		} else {
			st->stats.ct_dropped++;
		}
	}
	return w;
}

void kst_ct_event(struct kcap_state *st, struct kcap *h, const struct kthread *t, __u64 ts)
{
	struct ctwait *w;

	if (!lookups_allowed(st, h) || !start(st->ct))
		return;
	drain(st);
	if (kcap__ct_cache_find(st->ct->cache, t->ct.id))
		return;
	st->stats.ct_events_nometa++;
	w = request(st, t->ct.id);
	if (!w)
		return;
	if (!w->events++)
		w->first_ts = ts;
	if (ts - w->first_ts < 1000000000ull)
		st->stats.ct_events_nometa_first_s++;
}

const struct kcap_ct_meta *kcap__ct_meta(struct kcap_state *st, struct kcap *h,
					 const struct kthread *t)
{
	const struct kcap_ct_meta *m;

	if (!t || !t->ct.id[0])
		return NULL;
	/* a recording's own table (NULL at once for a live handle) */
	m = kcap__container(h, t->ct.id);
	if (m || !lookups_allowed(st, h) || !start(st->ct))
		return m;
	m = kcap__ct_cache_find(st->ct->cache, t->ct.id);
	if (!m)
		request(st, t->ct.id);
	return m;
}

__u64 kcap__ct_waited(const struct kcap_state *st, const char *id, bool *known)
{
	struct kst_ct *ct = st->ct;
	const struct ctwait *w;
	const struct kcap_ct_meta *m;

	*known = false;
	if (!ct)
		return 0;
	if (ct->cache && (m = kcap__ct_cache_find(ct->cache, id))) {
		*known = true;
		return m->waited_events;
	}
	w = *wait_link(ct, id);
	return w ? w->events : 0;
}

void kst_ct_seeded(struct kcap_state *st)
{
	struct kthread *t;
	size_t i;

	if (st->ct_mode == KCAP_CT_LOOKUP_NEVER || !lookups_allowed(st, NULL))
		return;
	/* the watch starts now, containers or not: it notices the next ones */
	if (!start(st->ct))
		return;
	for (i = 0; i < st->nbuckets; i++)
		for (t = st->buckets[i]; t; t = t->next)
			if (t->ct.id[0] && !kcap__ct_cache_find(st->ct->cache, t->ct.id))
				request(st, t->ct.id);
}

/*
 * Retries, for a writer, the ids whose lookup failed a while ago (a state
 * file written a moment after the container's first event), KST_CT_TRIES
 * times: a recorder may see no further event of the container to retry it.
 */
static void retry_due(struct kcap_state *st)
{
	struct kst_ct *ct = st->ct;
	struct ctwait *w;
	__u64 now = 0;
	unsigned int i;

	for (i = 0; i < KST_CT_BUCKETS; i++)
		for (w = ct->wait[i]; w; w = w->next) {
			if (w->inflight || !w->retry_at || w->tries >= KST_CT_TRIES)
				continue;
			if (!now)
				now = now_ns();
			if (now >= w->retry_at)
				request(st, w->id);
		}
}

/* Every container a thread of @st is in, as cached now, to @fn (a writer
 * skips those it has as they are). */
static int write_table(struct kcap_state *st,
		       int (*fn)(void *ctx, const struct kcap_ct_meta *m), void *ctx)
{
	const struct kcap_ct_meta *m;
	struct kthread *t;
	size_t b;
	int err;

	for (b = 0; b < st->nbuckets; b++)
		for (t = st->buckets[b]; t; t = t->next)
			if (t->ct.id[0] && (m = kcap__ct_cache_find(st->ct->cache, t->ct.id)) &&
			    (err = fn(ctx, m)))
				return err;
	return 0;
}

static int to_writer(void *ctx, const struct kcap_ct_meta *m)
{
	return kcap__writer_container(ctx, m);
}

int kcap_state_write_containers(struct kcap_state *st, struct kcap_writer *w)
{
	if (!st || !w)
		return -EINVAL;
	return kcap__state_new_containers(st, to_writer, w);
}

int kcap__state_new_containers(struct kcap_state *st,
			       int (*fn)(void *ctx, const struct kcap_ct_meta *m), void *ctx)
{
	struct kst_ct *ct;
	const struct kcap_ct_meta *m;
	unsigned int i;
	int err;

	ct = st->ct;
	if (!ct || !ct->worker)
		return 0;
	/* cheap when nothing happened: an atomic load, a coarse clock read */
	drain(st);
	if (now_ns() >= ct->retry_check) {
		retry_due(st);
		ct->retry_check = now_ns() + KST_CT_RETRY_CHECK_NS;
	}
	if (!ct->nfresh && !ct->fresh_lost)
		return 0;
	if (ct->fresh_lost) {
		/* too many to list: every container of the table (the writer
		 * skips those it has as they are) */
		err = write_table(st, fn, ctx);
		if (err)
			return err;
		ct->fresh_lost = false;
	}
	for (i = 0; i < ct->nfresh; i++)
		if ((m = kcap__ct_cache_find(ct->cache, ct->fresh[i])) && (err = fn(ctx, m)))
			return err;
	ct->nfresh = 0;
	return 0;
}

int kcap_state_write_all_containers(struct kcap_state *st, struct kcap_writer *w)
{
	if (!st || !w)
		return -EINVAL;
	if (!st->ct || !st->ct->cache)
		return 0;
	/* no drain(): callable from an alert callback, nothing taken in */
	return write_table(st, to_writer, w);
}
