// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The record helpers' cold path (record.h): the drop marker written in
 * front of a record when the ring lost events since the last one.
 */
#include "kcap.h"
#include "ring.h"
#include "record.h"

/*
 * Report the events this ring lost since the last marker, before the next
 * record, so a reader sees where in the stream the gap is. Written at
 * @hdr, which kcap_rec_reserve() reserved together with that record.
 */
noinline void kcap_write_drop_marker(struct kcap_ring *r, void *hdr, u64 ts)
{
	struct kcap_rec w;

	kcap_rec_init(&w, r, hdr, KCAP_EVT_DROP, 2, KCAP_MARKER_LEN, ts, true);
	w.staged = false;
	kcap_rec_put(&w, &r->lost_bulk, sizeof(u64));
	kcap_rec_put(&w, &r->lost_protected, sizeof(u64));
	r->lost_bulk = 0;
	r->lost_protected = 0;
	kcap_rec_commit(&w);
}
