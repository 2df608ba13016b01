/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Writing one record into this CPU's ring: reserve an upper bound, write the
 * parameters with a cursor, commit the length actually written.
 */
#ifndef _KCAP_RECORD_H
#define _KCAP_RECORD_H

#include <linux/timekeeping.h>
#include <linux/smp.h>
#include <linux/bitops.h>

#include "kcap.h"
#include "ring.h"

/* Length of a record with @nparams params of @data bytes in total. */
#define KCAP_REC_LEN(nparams, data) \
	((u32)(sizeof(struct kcap_event_hdr) + (nparams) * sizeof(u16) + (data)))

/* The ring of this CPU; preemption must be disabled. */
static __always_inline struct kcap_ring *kcap_this_ring(struct kcap_session *s)
{
	return s->rings[smp_processor_id()];
}

void kcap_write_drop_marker(struct kcap_ring *r, void *hdr, u64 ts);

/* A record whose upper bound passes KCAP_EVENT_MAX_LEN: lost, counted. */
static __always_inline void kcap_count_oversized(struct kcap_session *s)
{
	struct kcap_ring *r = kcap_this_ring(s);

	if (likely(r)) {
		r->prod->drops[KCAP_DROP_OTHER]++;
		r->lost_bulk++;
	} else {
		s->lost_noring[smp_processor_id()]++;
	}
}

/*
 * This CPU came online but its ring could not be allocated: the event is
 * lost, and counted (GET_STATS reports it as KCAP_DROP_OTHER). False.
 */
static __always_inline bool kcap_count_noring(struct kcap_session *s)
{
	s->lost_noring[smp_processor_id()]++;
	return false;
}

/*
 * Records whose upper bound is at most this are reserved in the ring at
 * the bound and written in place; larger bounds (paths, argv) are staged
 * and reserved at their exact size.
 */
#define KCAP_DIRECT_MAX 1024

/* Bytes of a drop marker record. */
#define KCAP_MARKER_LEN KCAP_REC_LEN(2, 2 * sizeof(u64))

/*
 * A record being written: where it is built, its lengths array, a write
 * cursor. A staged record is built in the ring's scratch buffer and copied
 * into the ring at commit, at its exact size: for records whose upper bound
 * (paths, argv) is far above their usual size.
 */
struct kcap_rec {
	struct kcap_ring *ring;
	struct kcap_event_hdr *hdr;
	u16 *lens;
	u8 *p;
	unsigned int i;
	bool staged;
	bool protected;
};

/*
 * Room for @len bytes on @r, after any pending drop marker. Marker and
 * record are reserved together, from one read of the tail, so markers
 * never eat the space of the events they stand for and nothing the reader
 * does to the tail can make the marker not fit after all. NULL (and the
 * event counted) if there is no room.
 */
static __always_inline void *kcap_rec_reserve(struct kcap_ring *r, u32 len,
				     bool protected, u64 ts)
{
	bool marker = r->lost_bulk | r->lost_protected;
	u32 pre = marker ? KCAP_ALIGN(KCAP_MARKER_LEN) : 0;
	void *rec;

	if (unlikely(len > KCAP_EVENT_MAX_LEN)) {
		r->prod->drops[KCAP_DROP_OTHER]++;
		r->lost_bulk++;
		return NULL;
	}
	rec = kcap_ring_try_reserve(r, pre + len, protected);
	if (unlikely(!rec)) {
		kcap_ring_count_drop(r, protected);
		return NULL;
	}
	if (unlikely(marker)) {
		kcap_write_drop_marker(r, rec, ts);
		rec += pre;
	}
	return rec;
}

static __always_inline void kcap_rec_init(struct kcap_rec *w, struct kcap_ring *r,
				 void *hdr, u16 type, u16 np, u32 len, u64 ts,
				 bool protected)
{
	w->ring = r;
	w->hdr = hdr;
	w->lens = kcap_event_start(hdr, type, np, len, ts, r->cpu);
	w->p = (u8 *)(w->lens + np);
	w->i = 0;
	w->protected = protected;
}

/*
 * Start a record of @np params and at most @len bytes directly in this
 * CPU's ring. Preemption must be disabled. False if dropped.
 */
static __always_inline bool kcap_rec_begin(struct kcap_rec *w, struct kcap_session *s,
				  u16 type, u16 np, u32 len, bool protected)
{
	struct kcap_ring *r = kcap_this_ring(s);
	u64 ts = ktime_get_ns();
	void *hdr;

	if (unlikely(!r))
		return kcap_count_noring(s);
	hdr = kcap_rec_reserve(r, len, protected, ts);
	if (!hdr)
		return false;
	kcap_rec_init(w, r, hdr, type, np, len, ts, protected);
	w->staged = false;
	return true;
}

/*
 * Start a staged record (built in the scratch buffer, at most
 * KCAP_EVENT_MAX_LEN bytes). Preemption must be disabled from here to the
 * commit: the scratch buffer belongs to this CPU.
 */
static __always_inline bool kcap_rec_begin_staged(struct kcap_rec *w,
					 struct kcap_session *s, u16 type,
					 u16 np, bool protected)
{
	struct kcap_ring *r = kcap_this_ring(s);

	if (unlikely(!r))
		return kcap_count_noring(s);
	kcap_rec_init(w, r, r->scratch, type, np, 0, ktime_get_ns(),
		      protected);
	w->staged = true;
	return true;
}

static __always_inline void kcap_rec_put(struct kcap_rec *w, const void *src, u16 n)
{
	w->lens[w->i++] = n;
	memcpy(w->p, src, n);
	w->p += n;
}

/*
 * A number in the fewest bytes that sign-extend back to it: 0 bytes for
 * 0, 8 at most (generic syscall records, ABI 3). Eight bytes are stored
 * and the record advances by the length: the caller reserved 8 bytes for
 * each number. The bytes past the record's length are padding, which
 * readers ignore (docs/abi.md).
 */
static __always_inline void kcap_rec_put_sint(struct kcap_rec *w, u64 v)
{
	u16 n = v ? (fls64(v ^ (u64)((s64)v >> 63)) + 8) >> 3 : 0;

	memcpy(w->p, &v, sizeof(v));	/* x86: little-endian */
	w->lens[w->i++] = n;
	w->p += n;
}

/* A parameter written in place at w->p: close it with its length. */
static __always_inline void kcap_rec_done(struct kcap_rec *w, u32 n)
{
	w->lens[w->i++] = n;
	w->p += n;
}

/* Mark the record: a user-memory read failed, its parameter is empty. */
static __always_inline void kcap_rec_fault(struct kcap_rec *w)
{
	w->hdr->flags |= KCAP_EVF_FAULT;
	w->ring->prod->drops[KCAP_DROP_FAULT]++;
}

/*
 * Publish the record at the length actually written; a staged one is
 * first copied into the ring, if it fits.
 */
static __always_inline void kcap_rec_commit(struct kcap_rec *w)
{
	u32 len = w->p - (u8 *)w->hdr;
	void *dst;

	w->hdr->len = len;
	if (w->staged) {
		dst = kcap_rec_reserve(w->ring, len, w->protected,
				       w->hdr->ts_ns);
		if (!dst)
			return;
		memcpy(dst, w->hdr, len);
	}
	kcap_ring_commit(w->ring, len);
}

#endif /* _KCAP_RECORD_H */
