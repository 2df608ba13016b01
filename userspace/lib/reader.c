// SPDX-License-Identifier: Apache-2.0
/*
 * The ring reader: validates records, merges the per-CPU rings by timestamp
 * and publishes the consumer tails in batches.
 *
 * Ordering (see kcap_abi.h): the producer writes a record, then
 * store-releases prod->head; we load-acquire the head, read records below
 * it, then store-release cons->tail once we no longer need them.
 *
 * Out-of-order protection: an event may become visible a little after its
 * timestamp was taken, on another CPU. We read the clock BEFORE loading the
 * heads and deliver only events older than that time minus the hold-back;
 * any event older than that limit is assumed visible already, so nothing
 * older can show up after we handed out a younger one.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kcap_internal.h"

struct kcap *kcap__alloc(void)
{
	struct kcap *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->fd = -1;
	h->holdback_ns = KCAP_DEFAULT_HOLDBACK_NS;
	h->poll_timeout_ms = KCAP_DEFAULT_POLL_TIMEOUT_MS;
	return h;
}

int kcap__err(struct kcap *h, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->errmsg, sizeof(h->errmsg), fmt, ap);
	va_end(ap);
	return err < 0 ? err : -err;
}

const char *kcap_errmsg(const struct kcap *h)
{
	return h ? h->errmsg : "no handle";
}

bool kcap__opts_valid(const void *opts, size_t known_sz, size_t user_sz)
{
	const unsigned char *p = opts;
	size_t i;

	if (!opts)
		return true;
	if (user_sz < sizeof(size_t))
		return false;
	for (i = known_sz; i < user_sz; i++)
		if (p[i])
			return false;
	return true;
}

int kcap__apply_reader_opts(struct kcap *h, const struct kcap_open_opts *opts)
{
	long long holdback = OPTS_GET(opts, holdback_ns, 0);
	int timeout = OPTS_GET(opts, poll_timeout_ms, 0);

	if (holdback < 0 && holdback != KCAP_HOLDBACK_NONE)
		return kcap__err(h, EINVAL, "holdback_ns %lld is negative", holdback);
	if (holdback == KCAP_HOLDBACK_NONE)
		h->holdback_ns = 0;
	else if (holdback > 0)
		h->holdback_ns = holdback;
	if (timeout < 0 && timeout != KCAP_POLL_NONBLOCK)
		return kcap__err(h, EINVAL, "poll_timeout_ms %d is negative", timeout);
	if (timeout)
		h->poll_timeout_ms = timeout;
	return 0;
}

struct kcap *kcap__open_mem(const struct kcap_mem_ring *rings, unsigned int nr,
			    const struct kcap_open_opts *opts)
{
	struct kcap *h;
	unsigned int i;
	int err;

	h = kcap__alloc();
	if (!h)
		return NULL;
	err = kcap__apply_reader_opts(h, opts);
	if (err)
		goto fail;
	h->rings = calloc(nr ? nr : 1, sizeof(*h->rings));
	if (!h->rings) {
		err = -ENOMEM;
		goto fail;
	}
	h->nr_rings = nr;
	for (i = 0; i < nr; i++) {
		struct kcap_ring *r = &h->rings[i];

		if (!rings[i].prod)
			continue;
		r->cons = rings[i].cons;
		r->prod = rings[i].prod;
		r->data = rings[i].data;
		r->size = rings[i].size;
		r->tail = __atomic_load_n(&r->cons->tail, __ATOMIC_RELAXED);
		r->published = r->tail;
		r->head = r->tail;
		r->present = true;
	}
	h->capturing = true;
	return h;
fail:
	free(h->rings);
	free(h);
	errno = -err;
	return NULL;
}

int kcap__record_check(const struct kcap_event_hdr *ev, __u64 avail, const char **why)
{
	const unsigned char *lens = (const unsigned char *)(ev + 1);
	__u64 sum;
	__u16 l;
	unsigned int i;

	if (avail < sizeof(*ev)) {
		*why = "truncated header";
		return -EBADMSG;
	}
	if (ev->len < sizeof(*ev)) {
		*why = "length smaller than the header";
		return -EBADMSG;
	}
	if (ev->len > KCAP_EVENT_MAX_LEN) {
		*why = "length above KCAP_EVENT_MAX_LEN";
		return -EBADMSG;
	}
	if (KCAP_ALIGN(ev->len) > avail) {
		*why = "record runs past the producer head";
		return -EBADMSG;
	}
	sum = sizeof(*ev) + 2ULL * ev->nparams;
	if (sum > ev->len) {
		*why = "parameter count does not fit the length";
		return -EBADMSG;
	}
	for (i = 0; i < ev->nparams; i++) {
		memcpy(&l, lens + 2 * i, sizeof(l));
		sum += l;
	}
	if (sum != ev->len) {
		*why = "parameter lengths do not add up to the length";
		return -EBADMSG;
	}
	return 0;
}

int kcap__ring_peek(struct kcap *h, struct kcap_ring *r, const struct kcap_event_hdr **ev)
{
	const struct kcap_event_hdr *e;
	const char *why = NULL;
	__u64 avail = r->head - r->tail;
	unsigned int cpu = (unsigned int)(r - h->rings);
	int err;

	*ev = NULL;
	if (!avail)
		return 0;
	if (avail > r->size || (r->tail & (KCAP_EVENT_ALIGN - 1)))
		return kcap__err(h, EBADMSG, "ring %u: head %llu and tail %llu are inconsistent",
				 cpu, (unsigned long long)r->head, (unsigned long long)r->tail);
	e = (const void *)(r->data + (r->tail & (r->size - 1)));
	err = kcap__record_check(e, avail, &why);
	if (err)
		return kcap__err(h, err, "ring %u: bad record at %llu (len %u, nparams %u): %s",
				 cpu, (unsigned long long)r->tail, e->len, e->nparams, why);
	*ev = e;
	return 0;
}

static void ring_publish(struct kcap_ring *r)
{
	if (r->tail == r->published)
		return;
	/* Pairs with the producer's load-acquire of cons->tail: our reads of
	 * the records below r->tail are done before it may reuse the space. */
	__atomic_store_n(&r->cons->tail, r->tail, __ATOMIC_RELEASE);
	r->published = r->tail;
}

static void publish_all(struct kcap *h)
{
	unsigned int i;

	for (i = 0; i < h->nr_rings; i++)
		if (h->rings[i].present)
			ring_publish(&h->rings[i]);
}

/* Frees the event handed out last time; publishes its ring's tail every
 * 1/16 of the ring so the producer gets space back without a store per
 * event. */
static void release_out(struct kcap *h)
{
	struct kcap_ring *r = h->out_ring;

	if (!r)
		return;
	r->tail += KCAP_ALIGN(h->out_len);
	h->out_ring = NULL;
	if (r->tail - r->published >= r->size / 16)
		ring_publish(r);
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/* A fresh view: the clock first, then every head (see the file comment). */
static int snapshot(struct kcap *h)
{
	__u64 now;
	unsigned int i;
	int err;

	h->draining = h->stopped;
	/* Rings of CPUs that came online since (none for memory rings). */
	if (h->fd >= 0) {
		err = kcap__live_map_new(h);
		if (err)
			return err;
	}
	now = now_ns();
	h->limit_ns = now > h->holdback_ns ? now - h->holdback_ns : 0;
	for (i = 0; i < h->nr_rings; i++) {
		struct kcap_ring *r = &h->rings[i];

		/* Pairs with the producer's store-release of prod->head:
		 * records below head are completely written. */
		if (r->present)
			r->head = __atomic_load_n(&r->prod->head, __ATOMIC_ACQUIRE);
	}
	return 0;
}

/* The oldest readable event over all rings, in *best. */
static int pick_oldest(struct kcap *h, struct kcap_ring **best_ring,
		       const struct kcap_event_hdr **best)
{
	unsigned int i;
	int err;

	*best = NULL;
	*best_ring = NULL;
	for (i = 0; i < h->nr_rings; i++) {
		struct kcap_ring *r = &h->rings[i];
		const struct kcap_event_hdr *ev;

		if (!r->present)
			continue;
		err = kcap__ring_peek(h, r, &ev);
		if (err)
			return err;
		if (ev && (!*best || ev->ts_ns < (*best)->ts_ns)) {
			*best = ev;
			*best_ring = r;
		}
	}
	return 0;
}

static bool deliverable(const struct kcap *h, const struct kcap_event_hdr *ev)
{
	return ev && (h->draining || ev->ts_ns <= h->limit_ns);
}

/* Waits for data, or until the held-back event @held may be delivered. */
static int wait_for_data(struct kcap *h, const struct kcap_event_hdr *held)
{
	struct pollfd pfd = { .fd = h->fd, .events = POLLIN };
	__u64 wait_ns = (__u64)h->poll_timeout_ms * 1000000ULL;
	struct timespec ts;
	int n;

	/* Give the producer its space back before we sleep. */
	publish_all(h);
	if (h->poll_timeout_ms < 0 || h->fd < 0)
		return -EAGAIN;
	if (held) {
		/* Data is there but too young: a timed wait until it is old
		 * enough; the fd would report readable at once. */
		__u64 due = held->ts_ns + h->holdback_ns;
		__u64 now = now_ns();
		__u64 left = due > now ? due - now : 0;

		if (left < wait_ns)
			wait_ns = left;
	}
	ts.tv_sec = (time_t)(wait_ns / 1000000000ULL);
	ts.tv_nsec = (long)(wait_ns % 1000000000ULL);
	n = ppoll(held ? NULL : &pfd, held ? 0 : 1, &ts, NULL);
	if (n < 0 && errno != EINTR)
		return kcap__err(h, errno, "%s: poll: %s", h->device, strerror(errno));
	return n < 0 ? -EAGAIN : 0;
}

int kcap_next(struct kcap *h, const struct kcap_event_hdr **ev)
{
	struct kcap_ring *r;
	const struct kcap_event_hdr *e;
	bool waited = false;
	int err;

	if (!h || !ev)
		return -EINVAL;
	*ev = NULL;
	if (h->broken)
		return h->broken;
	if (h->file)
		return kcap__file_next(h, ev);
	if (!h->rings)
		return kcap__err(h, EINVAL, "capture not started: call kcap_start() first");
	release_out(h);
	err = pick_oldest(h, &r, &e);
	for (;;) {
		if (err) {
			h->broken = err;
			return err;
		}
		if (deliverable(h, e))
			break;
		err = snapshot(h);
		if (!err)
			err = pick_oldest(h, &r, &e);
		if (err)
			continue;
		if (deliverable(h, e))
			break;
		if (h->draining) {
			publish_all(h);
			return -ENODATA;
		}
		if (waited)
			return -EAGAIN;
		err = wait_for_data(h, e);
		if (err)
			return err;
		waited = true;
	}
	h->out_ring = r;
	h->out_len = e->len;
	*ev = e;
	return 0;
}
