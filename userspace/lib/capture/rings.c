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

#include "source.h"

int kcap__rings_init(struct kcap *h, struct kcap_rings *rs, const struct kcap_open_opts *opts)
{
	long long holdback = OPTS_GET(opts, holdback_ns, 0);
	int timeout = OPTS_GET(opts, poll_timeout_ms, 0);

	rs->poll_fd = -1;
	rs->holdback_ns = KCAP_DEFAULT_HOLDBACK_NS;
	rs->poll_timeout_ms = KCAP_DEFAULT_POLL_TIMEOUT_MS;
	if (holdback < 0 && holdback != KCAP_HOLDBACK_NONE)
		return kcap__err(h, EINVAL, "holdback_ns %lld is negative", holdback);
	if (holdback == KCAP_HOLDBACK_NONE)
		rs->holdback_ns = 0;
	else if (holdback > 0)
		rs->holdback_ns = holdback;
	if (timeout < 0 && timeout != KCAP_POLL_NONBLOCK)
		return kcap__err(h, EINVAL, "poll_timeout_ms %d is negative", timeout);
	if (timeout)
		rs->poll_timeout_ms = timeout;
	return 0;
}

static int ring_peek(struct kcap *h, struct kcap_rings *rs, struct kcap_ring *r,
		     const struct kcap_event_hdr **ev)
{
	const struct kcap_event_hdr *e;
	const char *why = NULL;
	__u64 avail = r->head - r->tail;
	unsigned int cpu = (unsigned int)(r - rs->rings);
	int err;

	*ev = r->peeked;
	if (*ev || !avail)
		return 0;
	if (avail > r->size || (r->tail & (KCAP_EVENT_ALIGN - 1)))
		return kcap__err(h, EBADMSG, "ring %u: head %llu and tail %llu are inconsistent",
				 cpu, (unsigned long long)r->head, (unsigned long long)r->tail);
	e = (const void *)(r->data + (r->tail & (r->size - 1)));
	err = kcap__record_check(e, avail, &why);
	if (err)
		return kcap__err(h, err, "ring %u: bad record at %llu (len %u, nparams %u): %s",
				 cpu, (unsigned long long)r->tail, e->len, e->nparams, why);
	*ev = r->peeked = e;
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

void kcap__rings_publish(struct kcap_rings *rs)
{
	unsigned int i;

	for (i = 0; i < rs->nr_rings; i++)
		if (rs->rings[i].present)
			ring_publish(&rs->rings[i]);
}

/* Frees the event handed out last time; publishes its ring's tail every
 * 1/16 of the ring so the producer gets space back without a store per
 * event. */
static void release_out(struct kcap_rings *rs)
{
	struct kcap_ring *r = rs->out_ring;

	if (!r)
		return;
	r->tail += KCAP_ALIGN(rs->out_len);
	r->peeked = NULL;
	rs->out_ring = NULL;
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
static int snapshot(struct kcap *h, struct kcap_rings *rs)
{
	__u64 now;
	unsigned int i;
	int err;

	rs->draining = rs->stopped;
	/* Rings of CPUs that came online since (none for memory rings). */
	if (rs->refresh) {
		err = rs->refresh(h);
		if (err)
			return err;
	}
	now = now_ns();
	rs->limit_ns = now > rs->holdback_ns ? now - rs->holdback_ns : 0;
	for (i = 0; i < rs->nr_rings; i++) {
		struct kcap_ring *r = &rs->rings[i];

		/* Pairs with the producer's store-release of prod->head:
		 * records below head are completely written. */
		if (r->present)
			r->head = __atomic_load_n(&r->prod->head, __ATOMIC_ACQUIRE);
	}
	rs->rescan = true;
	return 0;
}

/* The oldest readable event over all rings, in *best: a linear scan. */
static inline __attribute__((always_inline)) int pick_scan(struct kcap *h, struct kcap_rings *rs, struct kcap_ring **best_ring,
		     const struct kcap_event_hdr **best)
{
	unsigned int i;
	int err;

	*best = NULL;
	*best_ring = NULL;
	for (i = 0; i < rs->nr_rings; i++) {
		struct kcap_ring *r = &rs->rings[i];
		const struct kcap_event_hdr *ev;

		/* the record checked already, or none: no call */
		ev = r->peeked;
		if (!ev) {
			if (!r->present || r->head == r->tail)
				continue;
			err = ring_peek(h, rs, r, &ev);
			if (err)
				return err;
		}
		if (kcap__before(ev, *best)) {
			*best = ev;
			*best_ring = r;
		}
	}
	return 0;
}

/* Above this many rings the oldest record is kept at the top of a heap. */
#define KCAP_RINGS_HEAP_MIN 8

static bool heap_less(const struct kcap_rings *rs, unsigned int a, unsigned int b)
{
	__u64 ta = rs->rings[a].peeked->ts_ns, tb = rs->rings[b].peeked->ts_ns;

	return ta < tb || (ta == tb && a < b);
}

static void heap_down(struct kcap_rings *rs, unsigned int i)
{
	unsigned int *hp = rs->heap, n = rs->nheap, x = hp[i], c;

	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n && heap_less(rs, hp[c + 1], hp[c]))
			c++;
		if (!heap_less(rs, hp[c], x))
			break;
		hp[i] = hp[c];
		i = c;
	}
	hp[i] = x;
}

static void heap_up(struct kcap_rings *rs, unsigned int i)
{
	unsigned int *hp = rs->heap, x = hp[i], p;

	while (i && heap_less(rs, x, hp[p = (i - 1) / 2])) {
		hp[i] = hp[p];
		i = p;
	}
	hp[i] = x;
}

/*
 * The same with a heap. Only the ring of the event handed out last can
 * have lost its checked record, and it is the top: checked again in place
 * (or taken out when empty). Rings out of the heap get data only with a
 * new head snapshot, after which they are looked at once.
 */
static __attribute__((noinline)) int pick_heap(struct kcap *h, struct kcap_rings *rs, struct kcap_ring **best_ring,
		     const struct kcap_event_hdr **best)
{
	const struct kcap_event_hdr *ev;
	unsigned int i;
	int err;

	if (!rs->heap) {
		rs->heap = calloc(rs->nr_rings, sizeof(*rs->heap));
		if (!rs->heap)
			return kcap__err(h, ENOMEM, "out of memory");
		rs->rescan = true;
	}
	while (rs->nheap) {
		struct kcap_ring *t = &rs->rings[rs->heap[0]];

		if (t->peeked)
			break;
		if (t->present && t->head != t->tail) {
			err = ring_peek(h, rs, t, &ev);
			if (err)
				return err;
			heap_down(rs, 0);
			break;
		}
		t->in_heap = false;
		rs->heap[0] = rs->heap[--rs->nheap];
		if (rs->nheap)
			heap_down(rs, 0);
	}
	if (rs->rescan) {
		rs->rescan = false;
		for (i = 0; i < rs->nr_rings; i++) {
			struct kcap_ring *r = &rs->rings[i];

			if (r->in_heap || !r->present || r->head == r->tail)
				continue;
			if (!r->peeked) {
				err = ring_peek(h, rs, r, &ev);
				if (err)
					return err;
			}
			r->in_heap = true;
			rs->heap[rs->nheap++] = i;
			heap_up(rs, rs->nheap - 1);
		}
	}
	if (!rs->nheap) {
		*best = NULL;
		*best_ring = NULL;
		return 0;
	}
	*best_ring = &rs->rings[rs->heap[0]];
	*best = (*best_ring)->peeked;
	return 0;
}

static inline __attribute__((always_inline)) int
pick_oldest(struct kcap *h, struct kcap_rings *rs, struct kcap_ring **best_ring,
	    const struct kcap_event_hdr **best)
{
	if (rs->nr_rings <= KCAP_RINGS_HEAP_MIN)
		return pick_scan(h, rs, best_ring, best);
	return pick_heap(h, rs, best_ring, best);
}

void kcap__rings_fini(struct kcap_rings *rs)
{
	free(rs->heap);
	rs->heap = NULL;
	rs->nheap = 0;
}

static bool deliverable(const struct kcap_rings *rs, const struct kcap_event_hdr *ev)
{
	return ev && (rs->draining || ev->ts_ns <= rs->limit_ns);
}

/* Waits for data, or until the held-back event @held may be delivered. */
static int wait_for_data(struct kcap *h, struct kcap_rings *rs,
			 const struct kcap_event_hdr *held)
{
	struct pollfd pfd = { .fd = rs->poll_fd, .events = POLLIN };
	__u64 wait_ns = (__u64)rs->poll_timeout_ms * 1000000ULL;
	struct timespec ts;
	int n;

	/* Give the producer its space back before we sleep. */
	kcap__rings_publish(rs);
	if (rs->poll_timeout_ms < 0 || rs->poll_fd < 0)
		return -EAGAIN;
	if (held) {
		/* Data is there but too young: a timed wait until it is old
		 * enough (polling the fd instead would return at once while a
		 * ring is past its watermark), and half a hold-back more: a
		 * steady stream would otherwise wake the reader for the next
		 * few events each time (in a guest, every 31 reads of a 1-byte
		 * read loop), and each wake-up costs more than the events it
		 * hands out. Events wait at most 1.5 hold-backs. */
		__u64 due = held->ts_ns + rs->holdback_ns + rs->holdback_ns / 2;
		__u64 now = now_ns();
		__u64 left = due > now ? due - now : 0;

		if (left < wait_ns)
			wait_ns = left;
	}
	ts.tv_sec = (time_t)(wait_ns / 1000000000ULL);
	ts.tv_nsec = (long)(wait_ns % 1000000000ULL);
	n = ppoll(held ? NULL : &pfd, held ? 0 : 1, &ts, NULL);
	if (n < 0 && errno != EINTR)
		return kcap__err(h, errno, "%s: poll: %s", rs->name, strerror(errno));
	return n < 0 ? -EAGAIN : 0;
}

int kcap__rings_next(struct kcap *h, struct kcap_rings *rs, const struct kcap_event_hdr **ev)
{
	struct kcap_ring *r;
	const struct kcap_event_hdr *e;
	bool waited = false;
	int err;

	if (!rs->rings)
		return kcap__err(h, EINVAL, "capture not started: call kcap_start() first");
	release_out(rs);
	err = pick_oldest(h, rs, &r, &e);
	for (;;) {
		if (err) {
			h->broken = err;
			return err;
		}
		if (deliverable(rs, e))
			break;
		err = snapshot(h, rs);
		if (!err)
			err = pick_oldest(h, rs, &r, &e);
		if (err)
			continue;
		if (deliverable(rs, e))
			break;
		if (rs->draining) {
			kcap__rings_publish(rs);
			return -ENODATA;
		}
		if (waited)
			return -EAGAIN;
		err = wait_for_data(h, rs, e);
		if (err)
			return err;
		waited = true;
	}
	rs->out_ring = r;
	rs->out_len = e->len;
	*ev = e;
	return 0;
}

int kcap__rings_cpu_stats(struct kcap *h, struct kcap_rings *rs, unsigned int cpu,
			  struct kcap_cpu_stats *st)
{
	const struct kcap_ring *r;

	if (cpu >= rs->nr_rings)
		return kcap__err(h, EINVAL, "CPU %u: there are %u rings", cpu, rs->nr_rings);
	r = &rs->rings[cpu];
	if (!r->present)
		return 0;
	st->online = 1;
	st->head = __atomic_load_n(&r->prod->head, __ATOMIC_ACQUIRE);
	st->tail = __atomic_load_n(&r->cons->tail, __ATOMIC_RELAXED);
	st->events = r->prod->events;
	st->bytes = r->prod->bytes;
	memcpy(st->drops, r->prod->drops, sizeof(st->drops));
	return 0;
}
