/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The producer side of a kcap ring, inlined into the probes.
 *
 * Callers run with preemption disabled (they disable it themselves: on 7.2
 * probes are preemptible), on the CPU that owns the ring, and never from
 * NMI or IRQ context, so a ring has exactly one writer at a time and the
 * hot path needs no atomics: only the release store of head and the acquire
 * load of tail that pair with the reader (see docs/abi.md).
 */
#ifndef _KCAP_RING_H
#define _KCAP_RING_H

#include <linux/irq_work.h>
#include <linux/string.h>
#include <asm/barrier.h>

#include "kcap.h"

/* Bytes in use; a tail the reader corrupted reads as a full ring. */
static __always_inline u64 kcap_ring_used(const struct kcap_ring *r, u64 head)
{
	/* Pairs with the reader's store-release of tail after it read the
	 * records: their space may be overwritten only after this load.
	 */
	u64 tail = smp_load_acquire(&r->cons->tail);
	u64 used = head - tail;

	return used > r->mask + 1 ? r->mask + 1 : used;
}

/*
 * Where a record of @len bytes would go, or NULL if it does not fit. Bulk
 * events may fill the ring up to bulk_limit only, keeping the rest for
 * protected (lifecycle, marker) events. Counts nothing. The tail is read
 * exactly once: a reader that rewrites it concurrently can only make this
 * reservation fail, never make the space it returned shrink afterwards.
 */
static __always_inline void *kcap_ring_try_reserve(struct kcap_ring *r, u32 len,
					  bool protected)
{
	u64 head = r->prod->head;	/* only this CPU's producer writes it */
	u64 limit = protected ? r->mask + 1 : r->bulk_limit;
	u64 fill = kcap_ring_used(r, head) + KCAP_ALIGN(len);

	if (unlikely(fill > limit))
		return NULL;
	r->fill = fill;		/* for the watermark test at commit */
	return r->data + (head & r->mask);
}

/* Count an event that found no room. */
static __always_inline void kcap_ring_count_drop(struct kcap_ring *r, bool protected)
{
	if (protected) {
		r->prod->drops[KCAP_DROP_FULL_PROTECTED]++;
		r->lost_protected++;
	} else {
		r->prod->drops[KCAP_DROP_FULL]++;
		r->lost_bulk++;
	}
}

/* Publish the record reserved last; it must be @len bytes long. */
static __always_inline void kcap_ring_commit(struct kcap_ring *r, u32 len)
{
	u64 head = r->prod->head + KCAP_ALIGN(len);

	r->prod->events++;
	r->prod->bytes += KCAP_ALIGN(len);
	/* Pairs with the reader's load-acquire of head: the record's bytes
	 * are visible before the head that covers them.
	 */
	smp_store_release(&r->prod->head, head);

	/* The fill seen at reserve time: no second look at the tail. */
	if (r->fill < r->watermark)
		return;
	/* Order the head store before the load of wakeup_armed; pairs with
	 * smp_mb() in kcap_rings_readable(), so either the reader sees
	 * the new head or we see its armed flag. Paid only above watermark.
	 */
	smp_mb();
	if (READ_ONCE(r->wakeup_armed)) {
		WRITE_ONCE(r->wakeup_armed, false);
		/* Wakes the reader from irq_work, never from the probe. */
		irq_work_queue(&r->wakeup_work);
	}
}

/* Fill in a record header; the caller writes params after it. */
static __always_inline u16 *kcap_event_start(void *rec, u16 type, u16 nparams,
				    u32 len, u64 ts, unsigned int cpu)
{
	struct kcap_event_hdr *h = rec;

	h->ts_ns = ts;
	h->tid = current->pid;
	h->pid = current->tgid;
	h->len = len;
	h->type = type;
	h->nparams = nparams;
	h->cpu = cpu;
	h->flags = 0;
	h->reserved = 0;
	return (u16 *)(h + 1);
}

#endif /* _KCAP_RING_H */
