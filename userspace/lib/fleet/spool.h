// SPDX-License-Identifier: Apache-2.0
/*
 * The publisher's on-disk spool (spool.c): while the cluster does not
 * answer, a node's events go to capture files (segments) in a directory,
 * up to a bound in bytes; they are read back oldest first when it answers
 * again. Events over the bound are dropped and counted; the count is
 * kept with the next segment (its name) so the drop notice goes out in
 * its place in the sequence. Private to fleet/ and the unit tests.
 */
#ifndef KCAP_FLEET_SPOOL_H
#define KCAP_FLEET_SPOOL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "internal.h"
#include "kcap.h"

#define SPOOL_DEFAULT_MAX (256ULL << 20)
#define SPOOL_SEG_MIN (64ULL << 10)
#define SPOOL_SEG_MAX (16ULL << 20)
#define SPOOL_NAME_MAX 64
#define SPOOL_CLOSE_RESERVE 4096 /* a segment's closing block */
#define SPOOL_BATCH_OVERHEAD 256 /* a written batch's bytes beyond its events */

/* One segment: spool-NO-DROPS.kcap, DROPS the events dropped before it. */
struct spool_seg {
	__u32 no;
	__u64 drops;
	__u64 bytes; /* its size once closed */
};

struct fleet_spool {
	char dir[PATH_MAX - SPOOL_NAME_MAX - 2];
	int lock_fd;
	__u64 max;	  /* bound of all segments' bytes */
	__u64 seg_max;	  /* a segment is closed at this size */
	struct kcap *src; /* the events' source (the writer's machine, table) */
	/* closed segments, oldest first: q[(head + i) % cap] */
	struct spool_seg *q;
	unsigned int head, len, cap;
	__u64 closed_bytes;
	/* the segment being written */
	struct kcap_writer *w;
	struct spool_seg cur;
	__u64 cur_unflushed; /* raw bytes given since the last flush */
	__u64 hdr_bytes;     /* the header blocks of the last segment opened */
	__u32 next_no;
	/* the segment being read back */
	struct kcap *rd;
	struct spool_seg rd_seg; /* its drops cleared once told */
	char rd_path[PATH_MAX];
	/* events dropped since the last one written; full: dropping until a
	 * segment is read back */
	__u64 drops_pending;
	bool full;
	/* counters */
	__u64 written, read, dropped, peak_bytes;
	__u32 segments;
};

/* ---- Pure parts (tests/unit/test_fleet.c) ---- */

/* spool_seg_name() - "spool-%08u-%llu.kcap" into @buf; length or -1. */
KCAP_HIDDEN int spool_seg_name(char *buf, size_t len, __u32 no, __u64 drops);
/* spool_seg_parse() - a segment's name back; false if @name is not one. */
KCAP_HIDDEN bool spool_seg_parse(const char *name, __u32 *no, __u64 *drops);
/* spool_seg_size() - the size at which a segment is closed for @max:
 * an eighth of it, from SPOOL_SEG_MIN to SPOOL_SEG_MAX. */
KCAP_HIDDEN __u64 spool_seg_size(__u64 max);
/* spool_flush_size() - raw bytes after which the open segment's batch
 * is written (a quarter of a segment, at most 256 KiB). */
KCAP_HIDDEN __u64 spool_flush_size(__u64 seg_max);
/* spool_pending_size() - what @raw bytes of pending batch take at most
 * in the file, and the segment's closing block. */
KCAP_HIDDEN __u64 spool_pending_size(__u64 raw);
/* spool_fits() - @len more bytes on @used stay within @max. */
KCAP_HIDDEN bool spool_fits(__u64 used, __u64 max, __u64 len);
/* spool_seg_cmp() - qsort order of segment names: by NO, oldest first. */
KCAP_HIDDEN int spool_seg_cmp(const void *a, const void *b);

/* ---- The spool ---- */

/*
 * spool_open() - use @dir (created with its parents if missing, mode
 * 0700; locked against a second exporter) with the bound @max (0:
 * SPOOL_DEFAULT_MAX). A directory holding segments of an earlier exporter
 * is refused (-EEXIST).
 * 0 or -errno with the reason in @err.
 */
KCAP_HIDDEN int spool_open(struct fleet_spool *sp, const char *dir, __u64 max, struct kcap *src,
			   char *err, size_t errlen);
KCAP_HIDDEN void spool_close(struct fleet_spool *sp);

/* spool_used() - bytes of the spool now (closed segments and the one
 * being written, its pending batch counted raw). */
KCAP_HIDDEN __u64 spool_used(const struct fleet_spool *sp);

/* spool_put() - append @ev: 0, 1 when dropped (the bound), or -errno
 * with the reason in @err. */
KCAP_HIDDEN int spool_put(struct fleet_spool *sp, const struct kcap_event_hdr *ev, char *err,
			  size_t errlen);

/* spool_tick() - call when idle: the writer's periodic flush. */
KCAP_HIDDEN void spool_tick(struct fleet_spool *sp);

/*
 * spool_next() - the oldest spooled item: 0 with *@h, *@ev an event (valid
 * until the next call), or 1 with *@drops the events dropped at this
 * point; -ENODATA when the spool is empty; another -errno with the reason
 * in @err. A segment read to its end is deleted.
 */
KCAP_HIDDEN int spool_next(struct fleet_spool *sp, struct kcap **h,
			   const struct kcap_event_hdr **ev, __u64 *drops, char *err,
			   size_t errlen);

/* spool_empty() - nothing spooled, nothing dropped unreported. */
KCAP_HIDDEN bool spool_empty(const struct fleet_spool *sp);

#endif /* KCAP_FLEET_SPOOL_H */
