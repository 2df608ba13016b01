// SPDX-License-Identifier: Apache-2.0
/*
 * Several sources as one time-ordered stream (kcap_open_merge()): kernel
 * sessions, capture files, and the sources later issues add (gVisor's sink,
 * a network stream), in any mix. Each source already delivers its own
 * events in time order; the merge keeps the next event of every source and
 * hands out the oldest, with the comparison the ring reader uses
 * (kcap__before()).
 *
 * A source with nothing to deliver yet (-EAGAIN, a quiet live session)
 * does not stall the others: the merge hands out what it holds and asks
 * that source again at the next call. Strict order therefore holds across
 * sources that never return -EAGAIN (files). A live source whose events
 * arrive late by nature (gVisor's sink: a sandbox sends a point after its
 * time, and the sink holds its events back for that) says how late
 * (ops->lag_ns): while it has nothing to give, the merge hands out no
 * event younger than that lag, so that kernel and gVisor events come out
 * in time order whenever gVisor's delivery stays within the lag. Between
 * other live sources a late event can come after a younger one, as between
 * two hosts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "source.h"

struct kcap_merge {
	struct kcap h;
	unsigned int n;
	int last; /* source of the event handed out last, -1 if none */
	struct kcap **src;
	const struct kcap_event_hdr **pending; /* next event of each source */
	bool *ended; /* -ENODATA seen */
	unsigned char *procs; /* the concatenated snapshots (merge_procs) */
	size_t procs_len;
};

static struct kcap_merge *to_merge(const struct kcap *h)
{
	return container_of(h, struct kcap_merge, h);
}

static int src_err(struct kcap *h, unsigned int i, int err)
{
	struct kcap_merge *m = to_merge(h);

	return kcap__err(h, err, "source %u (%s): %s", i, m->src[i]->ops->kind,
			 kcap_errmsg(m->src[i]));
}

/* True if an event of time @ts must wait: a source that is late by
 * nature has nothing yet and @ts is within its lag. */
static bool held(const struct kcap_merge *m, __u64 ts)
{
	struct timespec now;
	__u64 lag, max = 0, t;
	unsigned int i;

	for (i = 0; i < m->n; i++) {
		if (m->ended[i] || m->pending[i] || !m->src[i]->ops->lag_ns)
			continue;
		lag = m->src[i]->ops->lag_ns(m->src[i]);
		if (lag > max)
			max = lag;
	}
	if (!max)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &now);
	t = (__u64)now.tv_sec * 1000000000ULL + (__u64)now.tv_nsec;
	return ts + max > t;
}

static int merge_next(struct kcap *h, const struct kcap_event_hdr **ev)
{
	struct kcap_merge *m = to_merge(h);
	unsigned int i, live = 0;
	int best = -1, err;

	/* The event handed out last stays valid until its source's next call. */
	if (m->last >= 0)
		m->pending[m->last] = NULL;
	m->last = -1;
	for (i = 0; i < m->n; i++) {
		if (m->ended[i])
			continue;
		live++;
		if (!m->pending[i]) {
			err = kcap_next(m->src[i], &m->pending[i]);
			if (err == -ENODATA) {
				m->ended[i] = true;
				live--;
				continue;
			}
			if (err == -EAGAIN)
				continue;
			if (err) {
				h->broken = src_err(h, i, err);
				return h->broken;
			}
		}
		if (kcap__before(m->pending[i], best < 0 ? NULL : m->pending[best]))
			best = (int)i;
	}
	if (best < 0)
		return live ? -EAGAIN : -ENODATA;
	if (held(m, m->pending[best]->ts_ns))
		return -EAGAIN;
	m->last = best;
	*ev = m->pending[best];
	return 0;
}

static int merge_start(struct kcap *h)
{
	struct kcap_merge *m = to_merge(h);
	unsigned int i;
	int err, first = 0;

	for (i = 0; i < m->n; i++) {
		err = kcap_start(m->src[i]);
		if (err && !first)
			first = src_err(h, i, err);
		if (!err)
			m->ended[i] = false;
	}
	return first;
}

static int merge_stop(struct kcap *h)
{
	struct kcap_merge *m = to_merge(h);
	unsigned int i;
	int err, first = 0;

	for (i = 0; i < m->n; i++) {
		err = kcap_stop(m->src[i]);
		if (err && !first)
			first = src_err(h, i, err);
	}
	return first;
}

static unsigned int merge_nr_cpus(const struct kcap *h)
{
	struct kcap_merge *m = to_merge(h);
	unsigned int i, n, max = 0;

	for (i = 0; i < m->n; i++) {
		n = kcap_nr_rings(m->src[i]);
		if (n > max)
			max = n;
	}
	return max;
}

/* The counters of @cpu added up over the sources that have it. */
static int merge_cpu_stats(struct kcap *h, unsigned int cpu, struct kcap_cpu_stats *st)
{
	struct kcap_merge *m = to_merge(h);
	struct kcap_cpu_stats one;
	unsigned int i, k, found = 0;
	int err, first = 0;

	for (i = 0; i < m->n; i++) {
		if (cpu >= kcap_nr_rings(m->src[i]))
			continue;
		err = kcap_cpu_stats(m->src[i], cpu, &one);
		if (err) {
			if (!first)
				first = src_err(h, i, err);
			continue;
		}
		found++;
		st->online |= one.online;
		st->events += one.events;
		st->bytes += one.bytes;
		for (k = 0; k < sizeof(st->drops) / sizeof(st->drops[0]); k++)
			st->drops[k] += one.drops[k];
	}
	if (found)
		return 0;
	return first ? first : kcap__err(h, EINVAL, "CPU %u: no source has it", cpu);
}

static const struct kcap_event_desc *merge_desc(const struct kcap *h, unsigned int type)
{
	struct kcap_merge *m = to_merge(h);

	return kcap__desc(m->last >= 0 ? m->src[m->last] : NULL, type);
}

static struct kcap__row_aux *merge_row_aux(const struct kcap *h, unsigned int type)
{
	struct kcap_merge *m = to_merge(h);

	return kcap__row_aux(m->last >= 0 ? m->src[m->last] : NULL, type);
}

/* The snapshots of every source that has one, one after the other. */
static int merge_procs(const struct kcap *h, const void **p, size_t *len)
{
	struct kcap_merge *m = to_merge(h);
	unsigned char *buf = NULL, *nb;
	size_t total = 0, l;
	const void *one;
	unsigned int i, with = 0;
	int err;

	for (i = 0; i < m->n; i++) {
		err = kcap__procs(m->src[i], &one, &l);
		if (err == -EOPNOTSUPP)
			continue;
		with++;
		if (err || !l)
			continue;
		nb = realloc(buf, total + l);
		if (!nb) {
			free(buf);
			return -ENOMEM;
		}
		buf = nb;
		memcpy(buf + total, one, l);
		total += l;
	}
	if (!with) {
		free(buf);
		return -EOPNOTSUPP;
	}
	free(m->procs);
	m->procs = buf;
	m->procs_len = total;
	*p = m->procs;
	*len = m->procs_len;
	return total ? 0 : -ENODATA;
}

/* The names of the first recording that has them (recordings of several
 * machines merged: the first one's). */
static int merge_users(const struct kcap *h, const void **p, size_t *len)
{
	struct kcap_merge *m = to_merge(h);
	int err, ret = -EOPNOTSUPP;
	unsigned int i;

	for (i = 0; i < m->n; i++) {
		if (!m->src[i]->ops->users)
			continue;
		err = m->src[i]->ops->users(m->src[i], p, len);
		if (!err)
			return 0;
		ret = err;
	}
	return ret;
}

/* A container's recorded metadata: the source of the last event first
 * (recordings of several machines may know the same id differently). */
static const struct kcap_ct_meta *merge_container(struct kcap *h, const char *id)
{
	struct kcap_merge *m = to_merge(h);
	const struct kcap_ct_meta *ct;
	int last = kcap_merge_last(h);
	unsigned int i;

	if (last >= 0 && (unsigned int)last < m->n &&
	    (ct = kcap__container(m->src[last], id)))
		return ct;
	for (i = 0; i < m->n; i++)
		if ((int)i != last && (ct = kcap__container(m->src[i], id)))
			return ct;
	return NULL;
}

/* The metadata of the first source that is a recording. */
static int merge_info(struct kcap *h, struct kcap_file_info *info)
{
	struct kcap_merge *m = to_merge(h);
	unsigned int i;

	for (i = 0; i < m->n; i++)
		if (!kcap_file_info(m->src[i], info, sizeof(*info)))
			return 0;
	return kcap__err(h, EINVAL, "no source of the merge is a capture file");
}

static void merge_close(struct kcap *h)
{
	struct kcap_merge *m = to_merge(h);
	unsigned int i;

	for (i = 0; i < m->n; i++)
		kcap_close(m->src[i]);
	free(m->src);
	free(m->pending);
	free(m->ended);
	free(m->procs);
	free(m);
}

static const struct kcap_source_ops merge_ops = {
	.kind = "merge",
	.next = merge_next,
	.close = merge_close,
	.start = merge_start,
	.stop = merge_stop,
	.nr_cpus = merge_nr_cpus,
	.cpu_stats = merge_cpu_stats,
	.desc = merge_desc,
	.row_aux = merge_row_aux,
	.procs = merge_procs,
	.users = merge_users,
	.container = merge_container,
	.info = merge_info,
};

struct kcap *kcap_open_merge(struct kcap *const *srcs, unsigned int n,
			     const struct kcap_merge_opts *opts)
{
	struct kcap_merge *m;
	unsigned int i;

	if (!srcs || !n || n > KCAP_MERGE_MAX ||
	    (opts && (opts->sz < sizeof(size_t) ||
		      !kcap__opts_valid(opts, sizeof(*opts), opts->sz)))) {
		errno = EINVAL;
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (!srcs[i]) {
			errno = EINVAL;
			return NULL;
		}
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		goto oom;
	kcap__init(&m->h, &merge_ops);
	m->n = n;
	m->last = -1;
	m->src = calloc(n, sizeof(*m->src));
	m->pending = calloc(n, sizeof(*m->pending));
	m->ended = calloc(n, sizeof(*m->ended));
	if (!m->src || !m->pending || !m->ended)
		goto oom;
	memcpy(m->src, srcs, n * sizeof(*srcs));
	return &m->h;
oom:
	if (m) {
		free(m->src);
		free(m->pending);
		free(m->ended);
		free(m);
	}
	errno = ENOMEM;
	return NULL;
}

int kcap_merge_last(const struct kcap *h)
{
	if (!kcap__is(h, &merge_ops))
		return -EINVAL;
	return to_merge(h)->last >= 0 ? to_merge(h)->last : -ENODATA;
}
