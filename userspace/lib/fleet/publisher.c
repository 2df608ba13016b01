// SPDX-License-Identifier: Apache-2.0
/*
 * kcap_publisher_*: open (connect, check the stream, publish the
 * snapshot), events, idle ticks, the final flush and the counters. The
 * window and encoding are publish.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "publish.h"

static __u64 mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (__u64)t.tv_sec * 1000 + (__u64)t.tv_nsec / 1000000;
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
	err = pub_snapshot(p, src);
	if (err) {
		snprintf(errbuf, errlen, "%s", p->errmsg);
		goto fail;
	}
	return p;
fail:
	kcap_publisher_close(p);
	errno = -err;
	return NULL;
}

/* Waits (the cluster is gone) until the open message is out. */
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

int kcap_publisher_event(struct kcap_publisher *p, struct kcap *h, const struct kcap_event_hdr *ev)
{
	int err;

	if (!p || !ev)
		return -EINVAL;
	p->st.events++;
	err = pub_add_event(p, h, ev);
	return err == -EAGAIN ? wait_out(p) : err;
}

int kcap_publisher_tick(struct kcap_publisher *p)
{
	int err;

	if (!p)
		return -EINVAL;
	err = pub_retry(p);
	if (!err && pub_batch_old(p)) {
		err = pub_flush_batch(p);
		if (err == -EAGAIN)
			err = 0;
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
		err = p->nmsg ? pub_flush_batch(p) : 0;
		if (err && err != -EAGAIN)
			return err;
		err = pub_retry(p);
		if (err)
			return err;
		if (!p->nmsg && p->base == p->next_seq)
			return 0;
		if (timeout_ms >= 0 && mono_ms() >= end) {
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
	for (unsigned int i = 0; p->win && i < p->nwin; i++)
		free(p->win[i].data);
	free(p->win);
	kbuf_free(&p->msg);
	free(p->scratch);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p);
}
