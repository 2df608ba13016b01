/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Writing one record into this CPU's ring: reserve an upper bound, write the
 * parameters with a cursor, commit the length actually written.
 */
#ifndef _KCAP_RECORD_H
#define _KCAP_RECORD_H

#include <linux/timekeeping.h>
#include <linux/smp.h>

#include "kcap.h"
#include "ring.h"

/* Length of a record with @nparams params of @data bytes in total. */
#define KCAP_REC_LEN(nparams, data) \
	((u32)(sizeof(struct kcap_event_hdr) + (nparams) * sizeof(u16) + (data)))

/* The ring of this CPU; preemption must be disabled. */
static inline struct kcap_ring *kcap_this_ring(struct kcap_session *s)
{
	return s->rings[smp_processor_id()];
}

void kcap_write_drop_marker(struct kcap_ring *r, u64 ts);

/* A record being written: reserved space, lengths array, write cursor. */
struct kcap_rec {
	struct kcap_ring *ring;
	struct kcap_event_hdr *hdr;
	u16 *lens;
	u8 *p;
	unsigned int i;
};

/*
 * Start a record of @np params and @len bytes on this CPU's ring, after any
 * pending drop marker. Preemption must be disabled. False if dropped.
 */
static inline bool kcap_rec_begin(struct kcap_rec *w, struct kcap_session *s,
				  u16 type, u16 np, u32 len, bool protected)
{
	struct kcap_ring *r = kcap_this_ring(s);
	u64 ts = ktime_get_ns();

	if (unlikely(r->lost_bulk | r->lost_protected))
		kcap_write_drop_marker(r, ts);
	w->hdr = kcap_ring_reserve(r, len, protected);
	if (!w->hdr)
		return false;
	w->ring = r;
	w->lens = kcap_event_start(w->hdr, type, np, len, ts, r->cpu);
	w->p = (u8 *)(w->lens + np);
	w->i = 0;
	return true;
}

static inline void kcap_rec_put(struct kcap_rec *w, const void *src, u16 n)
{
	w->lens[w->i++] = n;
	memcpy(w->p, src, n);
	w->p += n;
}

/* A parameter written in place at w->p: close it with its length. */
static inline void kcap_rec_done(struct kcap_rec *w, u32 n)
{
	w->lens[w->i++] = n;
	w->p += n;
}

/* Mark the record: a user-memory read failed, its parameter is empty. */
static inline void kcap_rec_fault(struct kcap_rec *w)
{
	w->hdr->flags |= KCAP_EVF_FAULT;
	w->ring->prod->drops[KCAP_DROP_FAULT]++;
}

/* Publish the record; its length is what was written, at most reserved. */
static inline void kcap_rec_commit(struct kcap_rec *w)
{
	w->hdr->len = w->p - (u8 *)w->hdr;
	kcap_ring_commit(w->ring, w->hdr->len);
}

#endif /* _KCAP_RECORD_H */
