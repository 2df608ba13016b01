// SPDX-License-Identifier: Apache-2.0
/*
 * Container records through the fleet (cttable.c), private to fleet/ and
 * the unit tests. Records are those of a capture file's CONTAINERS block
 * (capture/file_containers.c: each after its u32 length), so a payload
 * sent is a CONTAINERS payload: u32 count, then the records.
 *
 * Publisher side: the table of what was published, a struct kcapf_cts
 * (capture/file_format.h: the latest record of each container id, at most
 * KCAPF_MAX_CONTAINERS, the least recently changed dropped first), fed
 * with kcapf_cts_take() from the source's CONTAINERS payloads
 * (kcapf_file_containers()) as they grow and with kcapf_cts_put() from a
 * thread table; records new or changed wait in its @pending for a
 * "containers" message, and a snapshot carries the whole table.
 *
 * Consumer side: fleet_ct_merge() puts a payload's records into a node
 * run's container cache, and the new or changed ones into the source's
 * log (what a writer copies into a capture file).
 */
#ifndef KCAP_FLEET_CTTABLE_H
#define KCAP_FLEET_CTTABLE_H

#include "capture/file_format.h"

struct kcap_ct_cache;

/*
 * fleet_cts_all() - every record of table @t, oldest change first, into
 * @recs (records only, no count); their number.
 */
KCAP_HIDDEN unsigned int fleet_cts_all(const struct kcapf_cts *t, struct kbuf *recs);

/*
 * fleet_ct_chunk() - a CONTAINERS payload into @out (emptied first) of the
 * records of @recs (@len bytes, records only) from *@off on, as many as fit
 * in @budget bytes (at least one); *@off moves past them. The number of
 * records (0: none left).
 */
KCAP_HIDDEN unsigned int fleet_ct_chunk(const void *recs, size_t len, size_t *off, size_t budget,
					struct kbuf *out);

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
