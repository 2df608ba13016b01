// SPDX-License-Identifier: Apache-2.0
/*
 * Container metadata for the threads of the table, without ever delaying an
 * event (docs/containers.md). The event path, single-threaded, owns a
 * bounded LRU cache of results (container/cache.c) and a bounded table of
 * the ids it is waiting for; container/worker.c's thread reads the state
 * files. When an event of a container thread finds no metadata, its id is
 * queued (once: an id in flight is not asked again) and the event goes on
 * without it; finished lookups are taken in at the next event of a
 * container thread. The worker looks an id no runtime knows yet up again
 * by itself for a while (container.h: the state file is written at the end
 * of the runtime's create); once it reports the failure, the id is asked
 * again at an event after KST_CT_RETRY_NS. The worker also looks up the
 * containers it sees appear in the runtimes' state directories, asked or
 * not: it is started at a live seed, so that it watches from the start.
 *
 * Only live events are looked up: a capture file was recorded on another
 * machine, or earlier, and this machine's runtimes would name its
 * containers wrongly, so for a file handle nothing is looked up and the
 * fields stay missing.
 */
#include <errno.h>
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

struct ctwait {
	struct ctwait *next;
	bool inflight;
	__u64 retry_at; /* CLOCK_MONOTONIC ns; 0: now */
	__u64 events;	/* events of the container while waited for */
	__u64 first_ts; /* the first of them (event clock) */
	char id[65];
};

struct kst_ct {
	struct kcap_ct_paths paths;
	char *strs[3 + KCAP_CT_MAX_ROOTS]; /* the copied path strings */
	struct kcap_ct_worker *worker;	   /* started at the first lookup */
	struct kcap_ct_cache *cache;
	struct ctwait *wait[KST_CT_BUCKETS];
	unsigned int nwait;
	bool failed; /* the worker or cache could not be made: no lookups */
	__u64 retry_window; /* the worker's; 0: its default */
	const struct kcap *h; /* the last handle checked ... */
	bool h_file;	      /* ... and whether it reads a file */
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
	const char *docker = OPTS_GET(opts, docker_root, NULL);
	struct kst_ct *ct;
	unsigned int i;

	st->ct_mode = OPTS_GET(opts, container_lookup, KCAP_CT_LOOKUP_LIVE);
	if (st->ct_mode != KCAP_CT_LOOKUP_LIVE && st->ct_mode != KCAP_CT_LOOKUP_NEVER &&
	    st->ct_mode != KCAP_CT_LOOKUP_ALWAYS)
		return -EINVAL;
	if (roots)
		for (i = 0; roots[i]; i++)
			if (i == KCAP_CT_MAX_ROOTS)
				return -EINVAL;
	ct = calloc(1, sizeof(*ct));
	if (!ct)
		return -ENOMEM;
	ct->paths = kcap__ct_default_paths;
	if (OPTS_GET(opts, container_root, NULL) &&
	    !(ct->paths.host_root = dup_opt(ct, 0, opts->container_root)))
		goto nomem;
	if (docker) /* "" skips docker */
		ct->paths.docker_root = docker[0] ? dup_opt(ct, 1, docker) : NULL;
	if (docker && docker[0] && !ct->paths.docker_root)
		goto nomem;
	if (roots) {
		for (i = 0; roots[i]; i++)
			if (!(ct->paths.oci_roots[i] = dup_opt(ct, 3 + i, roots[i])))
				goto nomem;
		ct->paths.oci_roots[i] = NULL;
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
	if (ct->worker)
		return true;
	ct->cache = kcap__ct_cache_new(&ct->paths, KST_CT_CACHE);
	ct->worker = ct->cache ? kcap__ct_worker_new(&ct->paths, KST_CT_QUEUE) : NULL;
	if (ct->worker && ct->retry_window)
		kcap__ct_worker_retry_window(ct->worker, ct->retry_window);
	if (!ct->worker) {
		kcap__ct_cache_free(ct->cache);
		ct->cache = NULL;
		ct->failed = true;
	}
	return !ct->failed;
}

/* Takes in the worker's finished lookups. */
static void drain(struct kcap_state *st)
{
	struct kst_ct *ct = st->ct;
	struct kcap_ct_result *list, *r;
	struct ctwait **pp;

	list = kcap__ct_worker_results(ct->worker);
	for (r = list; r; r = r->next) {
		pp = wait_link(ct, r->meta.id);
		if (r->err) {
			st->stats.ct_failed++;
			if (*pp) {
				(*pp)->inflight = false;
				(*pp)->retry_at = now_ns() + KST_CT_RETRY_NS;
			}
			continue;
		}
		/* (a container the worker saw appear, asked for by nobody yet,
		 * is cached without counting) */
		if (*pp) {
			st->stats.ct_found++;
			r->meta.waited_events = (*pp)->events;
			wait_remove(ct, pp);
		}
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

	if (!t || !t->ct.id[0] || !lookups_allowed(st, h) || !start(st->ct))
		return NULL;
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

void kcap__ct_retry_window(struct kcap_state *st, __u64 ns)
{
	if (st->ct)
		st->ct->retry_window = ns;
}

void kst_ct_seeded(struct kcap_state *st)
{
	struct kthread *t;
	size_t i;

	if (st->ct_mode == KCAP_CT_LOOKUP_NEVER || !lookups_allowed(st, NULL))
		return;
	/* the worker watches the runtimes' state directories from now on,
	 * containers or not */
	if (!start(st->ct))
		return;
	for (i = 0; i < st->nbuckets; i++)
		for (t = st->buckets[i]; t; t = t->next)
			if (t->ct.id[0] && start(st->ct) &&
			    !kcap__ct_cache_find(st->ct->cache, t->ct.id))
				request(st, t->ct.id);
}
