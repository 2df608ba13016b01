// SPDX-License-Identifier: Apache-2.0
/*
 * kcap_publisher_*: open (connect, check the stream, publish the
 * snapshot), events, idle ticks, the final flush and the counters. The
 * window and encoding are publish.c's, the spool spool.c's.
 *
 * Order with a spool: an event that found the cluster gone stays in the
 * open message (encoded, with the window's next sequence to come); the
 * events after it go to the spool, until the spool has been read back to
 * its end. Reading back publishes through the same open message and
 * window, so the messages get the sequences (and Nats-Msg-Id) that follow
 * those already sent; what the window had sent stays in memory and is
 * sent again first. Nothing is published around the spool while it holds
 * anything: per node, the stream's order is the events' order.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "publish.h"

static __u64 mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (__u64)t.tv_sec * 1000000000ULL + (__u64)t.tv_nsec;
}

static __u64 mono_ms(void)
{
	return mono_ns() / 1000000;
}

/* The stream exists and takes PREFIX.NODE.*; 0 or -errno with a reason. */
static int check_stream(struct kcap_publisher *p, char *err, size_t len)
{
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	char want[FLEET_SUBJECT_MAX];
	natsStatus s = js_GetStreamInfo(&si, p->c.js, p->c.stream, NULL, &jerr);
	bool ok = false;

	if (s != NATS_OK) {
		if (s == NATS_NOT_FOUND) {
			snprintf(err, len, "stream %s does not exist (kcap fleet init creates it)",
				 p->c.stream);
			return -ENOENT;
		}
		snprintf(err, len, "stream %s: %s", p->c.stream, nats_GetLastError(NULL));
		return fleet_status_errno(s);
	}
	snprintf(want, sizeof(want), "%s.>", p->c.prefix);
	for (int i = 0; i < si->Config->SubjectsLen; i++)
		ok |= !strcmp(si->Config->Subjects[i], want);
	jsStreamInfo_Destroy(si);
	if (!ok) {
		snprintf(err, len, "stream %s does not take the subjects %s", p->c.stream, want);
		return -EINVAL;
	}
	return 0;
}

struct kcap_publisher *kcap_publisher_open(struct kcap *src, const struct kcap_fleet_opts *opts)
{
	char *errbuf = OPTS_GET(opts, errbuf, NULL), local[KCAP_ERRMSG_LEN];
	size_t errlen = errbuf ? OPTS_GET(opts, errbuf_sz, 0) : sizeof(local);
	struct kcap_publisher *p;
	struct timespec now;
	jsOptions jo;
	int err;

	if (!errbuf || !errlen) {
		errbuf = local;
		errlen = sizeof(local);
	}
	if (!opts || !kcap__opts_valid(opts, sizeof(*opts), opts->sz)) {
		snprintf(errbuf, errlen, "bad options");
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(errbuf, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	err = fleet_node_name(p->node, sizeof(p->node), OPTS_GET(opts, node, NULL));
	if (err) {
		snprintf(errbuf, errlen, "node name %s: letters, digits, _ and - only",
			 OPTS_GET(opts, node, NULL) ?: "(host name)");
		goto fail;
	}
	p->batch_events = OPTS_GET(opts, batch_events, 0) ?: 256;
	p->batch_bytes = OPTS_GET(opts, batch_bytes, 0) ?: 65536;
	p->nwin = OPTS_GET(opts, max_pending, 0) ?: 64;
	p->ack_wait_ms = (int)(OPTS_GET(opts, ack_wait_ms, 0) ?: 2000);
	p->win = calloc(p->nwin, sizeof(*p->win));
	if (!p->win) {
		err = -ENOMEM;
		snprintf(errbuf, errlen, "out of memory");
		goto fail;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	p->run = (__u64)now.tv_sec * 1000000000ULL + (__u64)now.tv_nsec;
	snprintf(p->run_str, sizeof(p->run_str), "%llx", (unsigned long long)p->run);
	p->base = p->next_seq = 1;
	jsOptions_Init(&jo);
	jo.PublishAsync.MaxPending = 4 * (int64_t)p->nwin;
	jo.PublishAsync.AckHandler = pub_on_ack;
	jo.PublishAsync.AckHandlerClosure = p;
	err = fleet_connect(&p->c, opts, true, &jo, errbuf, errlen);
	if (err)
		goto fail;
	if ((size_t)natsConnection_GetMaxPayload(p->c.nc) < p->batch_bytes + 4096)
		p->batch_bytes = (size_t)natsConnection_GetMaxPayload(p->c.nc) / 2;
	err = check_stream(p, errbuf, errlen);
	if (err)
		goto fail;
	p->last_ack_ms = mono_ms();
	p->state = OPTS_GET(opts, state, NULL);
	err = pub_snapshot(p, src);
	if (err == -EAGAIN) {
		snprintf(errbuf, errlen, "the stream does not acknowledge the snapshot");
		err = -ETIMEDOUT;
		goto fail;
	}
	if (err) {
		snprintf(errbuf, errlen, "%s", p->errmsg);
		goto fail;
	}
	p->src = src;
	p->snapshot_ms = (__u64)OPTS_GET(opts, snapshot_secs, 0) * 1000;
	p->last_snapshot_ms = mono_ms();
	if (OPTS_GET(opts, spool_dir, NULL)) {
		p->sp = calloc(1, sizeof(*p->sp));
		if (!p->sp) {
			err = -ENOMEM;
			snprintf(errbuf, errlen, "out of memory");
			goto fail;
		}
		err = spool_open(p->sp, OPTS_GET(opts, spool_dir, NULL),
				 OPTS_GET(opts, spool_max, 0), src, errbuf, errlen);
		if (err) {
			free(p->sp);
			p->sp = NULL;
			goto fail;
		}
	}
	return p;
fail:
	kcap_publisher_close(p);
	errno = -err;
	return NULL;
}

/* Waits (the cluster is gone, no spool) until the open message is out. */
static int wait_out(struct kcap_publisher *p)
{
	int err;

	for (;;) {
		err = pub_flush_batch(p);
		if (err != -EAGAIN)
			return err;
		usleep(50000);
	}
}

/* The open message is full (or @all: holds anything): publish it. */
static int flush_full(struct kcap_publisher *p, bool all)
{
	if (!p->nmsg || (!all && p->nmsg < p->batch_events && p->msg.len < p->batch_bytes))
		return 0;
	return pub_flush_batch(p);
}

/*
 * Publishes from the spool, oldest first, up to @budget events (0: until
 * it is empty) or until the cluster stops answering again. When it is
 * read back to its end (and its last message is out), publishing goes
 * direct again. 0, or a hard error.
 */
static int unspool_some(struct kcap_publisher *p, __u64 budget)
{
	const struct kcap_event_hdr *ev;
	struct kcap *h;
	__u64 drops;
	int err;

	for (__u64 n = 0; !budget || n < budget; n++) {
		err = flush_full(p, p->notice_pending != 0);
		if (!err && p->notice_pending) {
			err = pub_drop_notice(p, p->notice_pending);
			if (!err)
				p->notice_pending = 0;
		}
		/* the source is ahead of the spool: its container records
		 * read since go before the spooled events (early, not late) */
		if (!err)
			err = pub_containers(p, p->src);
		if (err)
			return err == -EAGAIN ? 0 : err;
		err = spool_next(p->sp, &h, &ev, &drops, p->errmsg, sizeof(p->errmsg));
		if (err == 1) {
			p->notice_pending = drops;
			continue;
		}
		if (err == -ENODATA) {
			err = flush_full(p, true);
			if (err)
				return err == -EAGAIN ? 0 : err;
			p->spooling = false;
			p->outage = false;
			return 0;
		}
		if (err)
			return err;
		p->st.unspooled++;
		/* encoded into the open message even when it cannot go now */
		err = pub_add_event(p, h, ev);
		if (err && err != -EAGAIN)
			return err;
	}
	return 0;
}

static int unspool(struct kcap_publisher *p, __u64 budget)
{
	__u64 t0 = mono_ns();
	int err = unspool_some(p, budget);

	p->st.unspool_ns += mono_ns() - t0;
	return err;
}

static int spool_event(struct kcap_publisher *p, const struct kcap_event_hdr *ev)
{
	__u64 t0 = mono_ns();
	int err = spool_put(p->sp, ev, p->errmsg, sizeof(p->errmsg));

	p->st.spool_ns += mono_ns() - t0;
	if (err < 0)
		return err;
	if (err == 1)
		p->st.spool_drops++;
	else
		p->st.spooled++;
	/* reading back outpaces the events: a message's worth per event */
	return unspool(p, p->batch_events);
}

/* The periodic snapshot, in sequence (not while spooling: it would jump
 * the spooled events; the next one after the spool is read back). */
static int snapshot_due(struct kcap_publisher *p)
{
	int err;

	if (!p->snapshot_ms || p->spooling || mono_ms() - p->last_snapshot_ms < p->snapshot_ms)
		return 0;
	err = flush_full(p, true);
	if (!err)
		err = pub_snapshot(p, p->src);
	if (!err)
		p->last_snapshot_ms = mono_ms();
	return err == -EAGAIN ? 0 : err;
}

int kcap_publisher_event(struct kcap_publisher *p, struct kcap *h, const struct kcap_event_hdr *ev)
{
	int err;

	if (!p || !ev)
		return -EINVAL;
	p->st.events++;
	if (p->spooling)
		return spool_event(p, ev);
	err = snapshot_due(p);
	if (err)
		return err;
	/* container records read before this event: before it, in sequence */
	err = pub_containers(p, p->src);
	while (err == -EAGAIN && !p->sp) {
		usleep(50000);
		err = pub_containers(p, p->src);
	}
	if (err == -EAGAIN) {
		/* they wait for the spool to be read back, and so does this event */
		p->spooling = true;
		return spool_event(p, ev);
	}
	if (err)
		return err;
	err = pub_add_event(p, h, ev);
	if (err != -EAGAIN)
		return err;
	if (!p->sp)
		return wait_out(p);
	/* this event waits in the open message; the next ones in the spool */
	p->spooling = true;
	return 0;
}

int kcap_publisher_tick(struct kcap_publisher *p)
{
	int err;

	if (!p)
		return -EINVAL;
	err = pub_retry(p);
	if (err)
		return err;
	if (p->spooling) {
		/* idle (a live source polls 100 ms): read back for up to 50 ms
		 * while it goes, not a fixed few events per poll */
		__u64 end = mono_ms() + 50, before;

		spool_tick(p->sp);
		do {
			before = p->st.unspooled;
			err = unspool(p, p->batch_events);
		} while (!err && p->spooling && p->st.unspooled > before && mono_ms() < end);
		return err;
	}
	err = snapshot_due(p);
	if (!err && pub_batch_old(p)) {
		err = pub_flush_batch(p);
		if (err == -EAGAIN)
			err = p->sp ? (p->spooling = true, 0) : 0;
	}
	return err;
}

int kcap_publisher_flush(struct kcap_publisher *p, int timeout_ms)
{
	__u64 end = mono_ms() + (__u64)(timeout_ms < 0 ? 0 : timeout_ms);
	int err;

	if (!p)
		return -EINVAL;
	for (;;) {
		if (p->spooling) {
			err = unspool(p, 0);
			if (err)
				return err;
		}
		err = p->nmsg ? pub_flush_batch(p) : 0;
		if (err && err != -EAGAIN)
			return err;
		err = pub_retry(p);
		if (err)
			return err;
		if (!p->spooling && !p->nmsg && p->base == p->next_seq)
			return 0;
		if (timeout_ms >= 0 && mono_ms() >= end) {
			if (p->spooling)
				snprintf(p->errmsg, sizeof(p->errmsg),
					 "%llu messages not acknowledged and %llu events still "
					 "spooled (in %.128s) after %d ms",
					 (unsigned long long)(p->next_seq - p->base),
					 (unsigned long long)(p->st.spooled - p->st.unspooled),
					 p->sp->dir, timeout_ms);
			else
				snprintf(p->errmsg, sizeof(p->errmsg),
					 "%llu messages not acknowledged after %d ms",
					 (unsigned long long)(p->next_seq - p->base), timeout_ms);
			return -ETIMEDOUT;
		}
		usleep(10000);
	}
}

int kcap_publisher_stats(const struct kcap_publisher *p, struct kcap_publisher_stats *st, size_t sz)
{
	if (!p || !st)
		return -EINVAL;
	memset(st, 0, sz);
	memcpy(st, &p->st, sz < sizeof(p->st) ? sz : sizeof(p->st));
	if (p->sp && sz >= offsetof(struct kcap_publisher_stats, spool_peak) + sizeof(__u64))
		st->spool_peak = p->sp->peak_bytes;
	return 0;
}

const char *kcap_publisher_errmsg(const struct kcap_publisher *p)
{
	return p ? p->errmsg : "";
}

void kcap_publisher_close(struct kcap_publisher *p)
{
	if (!p)
		return;
	fleet_disconnect(&p->c);
	if (p->sp) {
		spool_close(p->sp);
		free(p->sp);
	}
	for (unsigned int i = 0; p->win && i < p->nwin; i++)
		free(p->win[i].data);
	free(p->win);
	kbuf_free(&p->msg);
	kcapf_cts_free(&p->cts);
	free(p->scratch);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p);
}
