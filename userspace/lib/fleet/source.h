// SPDX-License-Identifier: Apache-2.0
/*
 * Private to fleet/: the state of kcap_open_nats()'s source (source.c,
 * the ops) and its message handling (order.c: per node run order, leases
 * of a shared durable, fetching).
 */
#ifndef KCAP_FLEET_SOURCE_H
#define KCAP_FLEET_SOURCE_H

#include "capture/source.h"
#include "cttable.h"
#include "fleet.h"
#include "lease.h"

#define MAX_NODES 1024
#define MAX_HELD 4096 /* messages waiting for an earlier one, all nodes */
#define FETCH_BATCH 64
/* per node run, the sequences handed out lately: a message older than
 * the next expected one is a duplicate only if it is among them (with
 * instances sharing a durable, or a gap given up, it may come late) */
#define SEEN_WIN 4096
/* the ready queue: fetched into when there is room for a fetch besides
 * what is ready and held */
#define READY_CAP (MAX_HELD + FETCH_BATCH + 1)
#define GIVE_BACK_DELAY_MS 100
/* how long a fetch waits for its batch: with an empty ready queue, and
 * before it runs dry (other instances share the durable) */
#define FETCH_WAIT_MS 100
#define PREFETCH_MS 5

struct node {
	char name[FLEET_TOKEN_MAX];
	char run[24];
	__u64 next_seq;
	struct kcap_file_info info;
	void *procs, *users;
	size_t procs_len, users_len;
	bool have_snapshot;
	/* the node run's container table: from every snapshot (later ones
	 * too) and containers message (ops->container) */
	struct kcap_ct_cache *cts;
	bool retired; /* its lease went to another instance */
	/* met first at a later message than its start, with no progress from
	 * a lease: the run's latest snapshot then, in case its start is not
	 * coming (expired by max age), used if the gap before it is given up */
	natsMsg *early_snap;
	__u64 *seen;  /* SEEN_WIN sequences, by seq % SEEN_WIN */
};

struct held {
	natsMsg *m;
	unsigned int node;
	__u64 seq;
	__u64 at_ms; /* fetch_ms when it was fetched */
};

struct nats_src {
	struct kcap h;
	struct fleet_conn c;
	natsSubscription *sub;
	struct node *nodes;
	unsigned int nr_nodes;
	struct held *held; /* out of order */
	unsigned int nr_held;
	struct held *ready; /* in order, FIFO */
	unsigned int ready_head, ready_len;
	/* the message being handed out */
	natsMsg *cur;
	unsigned int cur_node;
	__u64 cur_seq;
	const unsigned char *pos, *end;
	int last_node; /* of the last event; -1: none */
	void *rec;     /* the last event's record, 8-byte aligned */
	size_t rec_cap;
	__u32 idle_ms;
	__u64 idle_since_ms;
	struct fleet_leases ls;
	__u64 alive_ms; /* last in-progress acks of what is held */
	/* the time spent waiting for the server in fetches: what a gap's age
	 * is measured in (the time spent handing out the events of earlier
	 * messages says nothing about a missing one) */
	__u64 fetch_ms;
	unsigned int fetch_errors; /* in a row */
	struct kcap_nats_stats st;
	/* the container records new or changed, all nodes, as CONTAINERS
	 * payloads each after its u32 length (ops->ct_log: what a writer
	 * copies; record --from holds one node) */
	struct kbuf ctlog;
};

/* fleet_hdr() - the value of header @key of @m, or NULL. */
KCAP_HIDDEN const char *fleet_hdr(natsMsg *m, const char *key);

/* fleet_msg_drop() - ack and free (a duplicate, or not the fleet's);
 * fleet_msg_give_back() - negative ack (after @delay_ms) and free. */
KCAP_HIDDEN void fleet_msg_drop(natsMsg *m);
KCAP_HIDDEN void fleet_msg_give_back(natsMsg *m, __u32 delay_ms);

/* fleet_src_fetch() - fetch into the ready queue and the held ones (@wait:
 * the ready queue is empty). 0 or -errno. */
KCAP_HIDDEN int fleet_src_fetch(struct nats_src *s, bool wait);

/* fleet_src_give_up_gaps() - release what waits for a gap open too long. */
KCAP_HIDDEN void fleet_src_give_up_gaps(struct nats_src *s);

/* fleet_src_keep_alive() - renew the leases, in-progress acks of what is
 * held; fleet_src_note_progress(): the owned nodes' progress into their
 * leases. */
KCAP_HIDDEN void fleet_src_keep_alive(struct nats_src *s);
KCAP_HIDDEN void fleet_src_note_progress(struct nats_src *s);

/* A snapshot message: the node's machine, processes and users (from the
 * run's first one), its container records (from every one); a containers
 * message: container records; a drop notice: counted. */
KCAP_HIDDEN void fleet_src_take_snapshot(struct nats_src *s, unsigned int node, natsMsg *m);
KCAP_HIDDEN void fleet_src_take_containers(struct nats_src *s, unsigned int node, natsMsg *m);
KCAP_HIDDEN void fleet_src_take_drops(struct nats_src *s, natsMsg *m);

#endif /* KCAP_FLEET_SOURCE_H */
