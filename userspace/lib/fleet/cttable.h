// SPDX-License-Identifier: Apache-2.0
/*
 * Container records through the fleet (cttable.c), private to fleet/ and
 * the unit tests. Records are those of a capture file's CONTAINERS block
 * (capture/file_containers.c: each after its u32 length), so a payload
 * sent is a CONTAINERS payload: u32 count, then the records.
 *
 * Publisher side: the table of what was published, the latest record of
 * each container id (at most KCAPF_MAX_CONTAINERS, the least recently
 * changed dropped first), fed from the source's CONTAINERS payloads
 * (kcapf_file_containers()) as they grow; records new or changed since
 * the last call wait in @pending for a "containers" message, and a
 * snapshot carries the whole table.
 *
 * Consumer side: fleet_ct_merge() puts a payload's records into a node
 * run's container cache, and the new or changed ones into the source's
 * log (what a writer copies into a capture file).
 */
#ifndef KCAP_FLEET_CTTABLE_H
#define KCAP_FLEET_CTTABLE_H

#include "capture/file_format.h"

struct kcap_ct_cache;

struct fleet_ct {
	char *id;
	unsigned char *rec; /* the record, its u32 length first */
	size_t len;
	__u64 seq; /* when it last changed */
};

struct fleet_cts {
	struct fleet_ct *e;
	unsigned int n;
	__u64 seq;
	size_t log_off;	     /* source payload bytes taken so far */
	struct kbuf pending; /* records new or changed, not yet published */
	unsigned int nr_pending;
};

/*
 * fleet_cts_take() - the payloads of @log (@len bytes, each after its u32
 * length, as kcapf_file_containers() gives them) past what was taken:
 * records new or changed into the table and @pending. 0, -ENOMEM, or
 * -EBADMSG with a reason in @why.
 */
KCAP_HIDDEN int fleet_cts_take(struct fleet_cts *t, const void *log, size_t len, char *why,
			       size_t whylen);

/*
 * fleet_cts_put() - container @m's record into the table (and @pending if
 * new or changed). 0 or -ENOMEM.
 */
struct kcap_ct_meta;
KCAP_HIDDEN int fleet_cts_put(struct fleet_cts *t, const struct kcap_ct_meta *m);

/*
 * fleet_cts_all() - every record of the table, oldest change first, into
 * @recs (records only, no count); their number.
 */
KCAP_HIDDEN unsigned int fleet_cts_all(const struct fleet_cts *t, struct kbuf *recs);

/*
 * fleet_ct_chunk() - a CONTAINERS payload into @out (emptied first) of the
 * records of @recs (@len bytes, records only) from *@off on, as many as fit
 * in @budget bytes (at least one); *@off moves past them. The number of
 * records (0: none left).
 */
KCAP_HIDDEN unsigned int fleet_ct_chunk(const void *recs, size_t len, size_t *off, size_t budget,
					struct kbuf *out);

KCAP_HIDDEN void fleet_cts_free(struct fleet_cts *t);

/*
 * fleet_ct_merge() - the records of CONTAINERS payload @p (@len bytes)
 * into @cache (created when NULL, KCAPF_MAX_CONTAINERS): each replaces
 * the one of its id; the new or changed ones also into @log as one
 * payload after its u32 length (up to KCAPF_MAX_CT_LOG bytes). The
 * number of records new or changed, -ENOMEM, or -EBADMSG with a reason
 * in @why.
 */
KCAP_HIDDEN int fleet_ct_merge(struct kcap_ct_cache **cache, struct kbuf *log, const void *p,
			       size_t len, char *why, size_t whylen);

#endif /* KCAP_FLEET_CTTABLE_H */
