// SPDX-License-Identifier: Apache-2.0
/*
 * Event sources: one handle (struct kcap), one ops table per kind of source.
 *
 * Every source embeds a struct kcap and implements struct kcap_source_ops:
 * the live kernel session (live.c), the capture file (file_read.c), rings in
 * memory for unit tests (mem.c) and the time-ordered merge of other sources
 * (merge.c). The public functions in handle.c dispatch through the table, so
 * a new source (gVisor's sink, a network stream) is one new file and never
 * touches the others. The live and memory sources share the ring reader
 * (rings.c).
 *
 * Private to capture/, the unit tests and the sources of layers above
 * capture (fleet/source.c: a NATS stream); the other layers only use the
 * public API plus kcap__procs() and the kind checks below.
 */
#ifndef KCAP_CAPTURE_SOURCE_H
#define KCAP_CAPTURE_SOURCE_H

#include "capture.h"

struct kcap_source_ops {
	const char *kind; /* "live", "file", "memory", "merge", "nats" */
	/* events of another machine that the source describes (info, procs,
	 * users): a writer copies those instead of this host's (fleet/) */
	bool recorded;
	/* Required: the next event in time order, valid until the next call
	 * (see kcap_next()); and freeing everything the source holds. */
	int (*next)(struct kcap *h, const struct kcap_event_hdr **ev);
	void (*close)(struct kcap *h);
	/* Optional; a NULL member means the default given. */
	int (*start)(struct kcap *h); /* 0 */
	int (*stop)(struct kcap *h); /* 0 */
	int (*fd)(const struct kcap *h); /* -EBADF: nothing to poll */
	unsigned int (*nr_cpus)(const struct kcap *h); /* 0 */
	/* counters of @cpu; @st is zeroed with st->cpu set (-ENODATA) */
	int (*cpu_stats)(struct kcap *h, unsigned int cpu, struct kcap_cpu_stats *st);
	/* the table row of @type for the event kcap_next() returned last
	 * (the built-in table) */
	const struct kcap_event_desc *(*desc)(const struct kcap *h, unsigned int type);
	/* the formatter's storage for that row (NULL: none, the built-in table) */
	struct kcap__row_aux *(*row_aux)(const struct kcap *h, unsigned int type);
	/* the process snapshot, PROCS payloads each after its u32 length,
	 * or -ENODATA (see kcap__procs(); NULL: this host's /proc) */
	int (*procs)(const struct kcap *h, const void **p, size_t *len);
	/* the recording machine's USERS payload, or -ENODATA (see
	 * kcap__users_foreach(); NULL: this host's names) */
	int (*users)(const struct kcap *h, const void **p, size_t *len);
	/* the recorded metadata of container @id (a capture file's container
	 * table as far as it was read), NULL if none (kcap__container(); NULL:
	 * none, this host's runtimes are asked elsewhere) */
	const struct kcap_ct_meta *(*container)(struct kcap *h, const char *id);
	/* the CONTAINERS payloads taken in so far, each after its u32
	 * length, growing at the end only (kcapf_file_containers(): what a
	 * writer copies; NULL: -EOPNOTSUPP) */
	int (*ct_log)(const struct kcap *h, const void **p, size_t *len);
	/* the recording's metadata (kcap_file_info(); NULL: -EINVAL) */
	int (*info)(struct kcap *h, struct kcap_file_info *info);
	/* how long after its time (CLOCK_MONOTONIC) an event of this live
	 * source may still be handed out: while the source has nothing to
	 * give, a merge holds the other sources' events younger than that
	 * (NULL, 0: none; the kernel's rings order themselves) */
	__u64 (*lag_ns)(const struct kcap *h);
};

struct kcap {
	const struct kcap_source_ops *ops;
	__u64 serial; /* unique per handle opened (kcap__serial()) */
	int broken; /* sticky error after a malformed record */
	char errmsg[KCAP_ERRMSG_LEN];
};

/* Initialises the common part of a source's handle. */
KCAP_HIDDEN void kcap__init(struct kcap *h, const struct kcap_source_ops *ops);

/* Which kind of source @h is (NULL-safe). */
KCAP_HIDDEN bool kcap__is(const struct kcap *h, const struct kcap_source_ops *ops);
extern KCAP_HIDDEN const struct kcap_source_ops kcap__live_ops;
extern KCAP_HIDDEN const struct kcap_source_ops kcap__file_ops;

/* True if candidate @a goes before the best so far @b (NULL: none yet); on
 * equal timestamps the earlier candidate stays first. The one comparison
 * every merge makes: the rings of a session, the sources of a merge. */
static inline bool kcap__before(const struct kcap_event_hdr *a, const struct kcap_event_hdr *b)
{
	return a && (!b || a->ts_ns < b->ts_ns);
}

/* Checks a record's lengths; returns 0 or -EBADMSG with a reason in @why. */
KCAP_HIDDEN int kcap__record_check(const struct kcap_event_hdr *ev, __u64 avail,
				   const char **why);

/* ---- The ring reader (rings.c), shared by the live and memory sources ---- */

/* One ring as the reader sees it. */
struct kcap_ring {
	struct kcap_ring_cons *cons;
	const struct kcap_ring_prod *prod;
	const unsigned char *data; /* data_size bytes, mapped twice */
	__u64 size;
	__u64 head; /* producer head at the last snapshot */
	__u64 tail; /* next record to read (local, not yet published) */
	__u64 published; /* last value stored to cons->tail */
	/* the record at tail, checked once: each kcap_next() compares every
	 * ring's oldest record, and checking them all again per event cost
	 * one record check per ring per event */
	const struct kcap_event_hdr *peeked;
	bool in_heap; /* in kcap_rings.heap (many rings) */
	bool present; /* false: the CPU is not possible, nothing mapped */
	/* live mappings, for munmap() */
	void *cons_map;
	void *prod_map;
	size_t prod_map_len;
};

struct kcap_rings {
	struct kcap_ring *rings;
	unsigned int nr_rings;
	int poll_fd; /* -1: never wait (rings in memory) */
	const char *name; /* for messages: the device */
	__u64 holdback_ns; /* 0: none */
	int poll_timeout_ms; /* < 0: never wait */
	bool stopped; /* kcap_stop() was called: drain then -ENODATA */
	bool draining; /* the current head snapshot was taken after stop */
	__u64 limit_ns; /* deliver events with ts_ns <= limit_ns */
	/* the event handed out by kcap_next(), released at the next call */
	struct kcap_ring *out_ring;
	__u32 out_len;
	/* called before each head snapshot (live: map rings of CPUs that
	 * came online); may be NULL */
	int (*refresh)(struct kcap *h);
	/* with more than KCAP_RINGS_HEAP_MIN rings: the rings that have a
	 * checked record, a min-heap by its time (ties: lower ring first),
	 * so that picking the oldest costs log(rings), not rings */
	unsigned int *heap;
	unsigned int nheap;
	bool rescan; /* a snapshot was taken: rings out of the heap may have data */
};

/* Defaults, then the reader options of @opts (hold-back, poll timeout). */
KCAP_HIDDEN int kcap__rings_init(struct kcap *h, struct kcap_rings *rs,
				 const struct kcap_open_opts *opts);
KCAP_HIDDEN int kcap__rings_next(struct kcap *h, struct kcap_rings *rs,
				 const struct kcap_event_hdr **ev);
/* Frees what the reader allocated (not the rings). */
KCAP_HIDDEN void kcap__rings_fini(struct kcap_rings *rs);
/* Counters straight from a ring's producer page (memory rings). */
KCAP_HIDDEN int kcap__rings_cpu_stats(struct kcap *h, struct kcap_rings *rs, unsigned int cpu,
				      struct kcap_cpu_stats *st);
/* Publishes every consumed tail (before a wait, at stop). */
KCAP_HIDDEN void kcap__rings_publish(struct kcap_rings *rs);

/* The descriptor a file source reads, -1 for other sources (file_read.c). */
KCAP_HIDDEN int kcap__file_fd(const struct kcap *h);

/* ---- Sources for tests ---- */

/* A ring in memory, laid out like the driver's (see kcap_abi.h). */
struct kcap_mem_ring {
	struct kcap_ring_cons *cons;
	const struct kcap_ring_prod *prod;
	const void *data; /* size bytes, followed by the same bytes again */
	__u64 size;
};

/*
 * kcap__open_mem() - a reader over rings in memory, for unit tests: the same
 * merge and validation code as a live handle, no device. kcap_stop() marks
 * the capture stopped; waits never block.
 */
KCAP_HIDDEN struct kcap *kcap__open_mem(const struct kcap_mem_ring *rings, unsigned int nr,
					const struct kcap_open_opts *opts);


#endif /* KCAP_CAPTURE_SOURCE_H */
