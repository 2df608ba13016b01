// SPDX-License-Identifier: Apache-2.0
/*
 * The publisher's state, shared by publish.c (window, encoding, snapshot)
 * and publisher.c (the public calls). Private to fleet/.
 */
#ifndef KCAP_FLEET_PUBLISH_H
#define KCAP_FLEET_PUBLISH_H

#include <pthread.h>

#include "capture/file_format.h"
#include "cttable.h"
#include "fleet.h"
#include "spool.h"

enum { SLOT_FREE, SLOT_SENT, SLOT_ACKED, SLOT_FAILED };

/* One message of the window, kept until acknowledged. */
struct pub_slot {
	__u64 seq;
	int state; /* SLOT_*, under the lock (on_ack() writes it) */
	__u64 sent_ms;
	const char *kind;
	char subject[FLEET_SUBJECT_MAX];
	unsigned char *data;
	size_t len, cap;
};

struct kcap_publisher {
	struct fleet_conn c;
	char node[FLEET_TOKEN_MAX];
	__u64 run; /* this exporter run: wall clock ns at open */
	char run_str[24];
	int ack_wait_ms;
	/* the window: seq base .. next_seq - 1 in win[seq % nwin] */
	struct pub_slot *win;
	unsigned int nwin;
	__u64 base, next_seq;
	__u64 last_ack_ms;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* the message being filled */
	struct kbuf msg;
	unsigned int nmsg;
	__u64 batch_ms;
	char family[FLEET_TOKEN_MAX];
	unsigned int batch_events;
	size_t batch_bytes;
	unsigned char *scratch;
	size_t scratch_cap;
	bool outage;
	/* the spool (opts->spool_dir): in use from an outage until it is
	 * read back to its end; events dropped there, told in the sequence */
	struct fleet_spool *sp;
	bool spooling;
	__u64 notice_pending;
	/* periodic snapshots of src (0: none after the first) */
	struct kcap *src;
	__u64 snapshot_ms, last_snapshot_ms;
	/* the container records published (cttable.h): the source's, and
	 * those the caller's thread table learns (opts->state) */
	struct kcapf_cts cts;
	struct kcap_state *state;
	struct kcap_publisher_stats st;
	char errmsg[KCAP_ERRMSG_LEN];
};

/* libnats' thread: a message was acknowledged or failed (@closure: p). */
KCAP_HIDDEN void pub_on_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure);
KCAP_HIDDEN bool pub_connected(struct kcap_publisher *p);
KCAP_HIDDEN bool pub_window_full(struct kcap_publisher *p);
KCAP_HIDDEN int pub_retry(struct kcap_publisher *p);
KCAP_HIDDEN int pub_message(struct kcap_publisher *p, const char *kind, const char *family,
			    const void *data, size_t len, unsigned int events);
KCAP_HIDDEN int pub_add_event(struct kcap_publisher *p, struct kcap *h,
			      const struct kcap_event_hdr *ev);
KCAP_HIDDEN int pub_flush_batch(struct kcap_publisher *p);
KCAP_HIDDEN bool pub_batch_old(const struct kcap_publisher *p);
KCAP_HIDDEN int pub_snapshot(struct kcap_publisher *p, struct kcap *src);
/* pub_containers() - the container records of the source (@src) not yet
 * published, in "containers" messages (the open message goes first);
 * -EAGAIN (what is left waits) while the cluster does not answer. */
KCAP_HIDDEN int pub_containers(struct kcap_publisher *p, struct kcap *src);
/* pub_drop_notice() - a drops message for @count events lost here;
 * -EAGAIN (nothing published) while the cluster does not answer. */
KCAP_HIDDEN int pub_drop_notice(struct kcap_publisher *p, __u64 count);

#endif /* KCAP_FLEET_PUBLISH_H */
