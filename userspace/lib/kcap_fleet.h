// SPDX-License-Identifier: Apache-2.0
/*
 * libkcap fleet: events of many nodes through NATS JetStream (docs/fleet.md).
 *
 * A node publishes its events (kcap_publisher_*) as kcap.v1 messages on
 * subjects PREFIX.<node>.<family> of one JetStream stream, with publish
 * acknowledgements and retries (an outage spools to disk, or is waited out); every
 * message carries a Nats-Msg-Id (node, run, sequence) so the stream's
 * duplicate window drops re-sends. Consumers read the stream through a
 * durable pull consumer as an ordinary event source (kcap_open_nats()):
 * per node in publishing order, each event once, with the node's process
 * snapshot for its thread state. kcap_fleet_init() creates or checks the
 * stream.
 */
#ifndef KCAP_KCAP_FLEET_H
#define KCAP_KCAP_FLEET_H

#include "kcap.h"

struct kcap_state;

#ifdef __cplusplus
extern "C" {
#endif

#define KCAP_FLEET_STREAM "KCAP"  /* default stream name */
#define KCAP_FLEET_SUBJECT "kcap" /* default subject prefix */
#define KCAP_FLEET_LEASE_MS 10000 /* default lease of a consumer instance on a node */

struct kcap_fleet_opts {
	/* size of this struct, for forward/backward compatibility */
	size_t sz;
	/* nats://HOST:PORT[,HOST:PORT...] (also tls://); required */
	const char *url;
	/* stream name (NULL: KCAP_FLEET_STREAM) and subject prefix (NULL:
	 * KCAP_FLEET_SUBJECT; one or more dot-separated tokens) */
	const char *stream;
	const char *subject;
	/* this node's name in subjects and message ids (publisher; NULL: the
	 * host name), or the only node read (consumer; NULL: all) */
	const char *node;
	/* credentials as NATS names them: a .creds file (JWT and nkey seed),
	 * an nkey seed file, user and password; a CA file for TLS */
	const char *creds;
	const char *nkey;
	const char *user;
	const char *password;
	const char *tls_ca;
	/* connect and JetStream API timeout, ms (0: 5000) */
	int timeout_ms;
	/* publisher: events per message (0: 256; 1: one event per message) and
	 * bytes per message (0: 64K, at most the server's max_payload) */
	__u32 batch_events;
	__u32 batch_bytes;
	/* publisher: messages awaiting their acknowledgement (0: 64) */
	__u32 max_pending;
	/* publisher: a message not acknowledged within this many ms is sent
	 * again (0: 2000) */
	__u32 ack_wait_ms;
	/* consumer: durable name (NULL: "kcap"; letters, digits, _ and -);
	 * consumers with the same name share its messages by node (see
	 * kcap_open_nats()) */
	const char *durable;
	/* consumer: kcap_next() says -ENODATA (the end) after this many ms
	 * without a message; 0: never, -EAGAIN when idle */
	__u32 idle_ms;
	/* kcap_fleet_init(): replicas (0: 1), maximum age (s, 0: unlimited),
	 * maximum bytes (0: unlimited), duplicate window (s, 0: 120) */
	__u32 replicas;
	__u64 max_age_secs;
	__u64 max_bytes;
	__u32 dup_window_secs;
	/* if non-NULL, receives the error message of a failed open or init */
	char *errbuf;
	size_t errbuf_sz;
	/* publisher: while the cluster does not answer (not connected, or no
	 * acknowledgement for twice ack_wait_ms with max_pending messages
	 * out), events go to capture files in this directory (created if
	 * missing; one exporter at a time) and are published from there, in
	 * order and with the message ids they would have had, when it answers
	 * again. NULL: no spool, the publisher waits (kcap_publisher_event()
	 * blocks). A directory holding an earlier exporter's unsent spool is
	 * refused. */
	const char *spool_dir;
	/* publisher: the spool's bound in bytes (0: 256 MiB); events beyond it
	 * are dropped, counted and reported in a drop notice (Kcap-Kind: drops)
	 * in their place in the sequence */
	__u64 spool_max;
	/* publisher: a snapshot message (machine, processes, users) every this
	 * many seconds besides the first (0: only the first) */
	__u32 snapshot_secs;
	/* consumer: this instance's name among those sharing the durable
	 * (NULL: host name and process id) */
	const char *instance;
	/* consumer: lease time, ms (0: KCAP_FLEET_LEASE_MS, at least 1000): a
	 * node whose owner has not renewed its lease for this long is taken
	 * over; also the consumer's ack wait (an existing durable with
	 * another one is refused: instances of a durable use the same) */
	__u32 lease_ms;
	/* publisher: a thread table (kcap_detect.h) the caller keeps current
	 * with the events it publishes, with container lookups (live export):
	 * the container metadata it learns is published as a capture file's
	 * container table is, in snapshots and containers messages (see
	 * docs/fleet.md). NULL: the source's table only (a capture file's). */
	struct kcap_state *state;
	size_t : 0;
};
#define kcap_fleet_opts__last_field state

/*
 * kcap_fleet_init() - create the stream of @opts (subjects PREFIX.>,
 * limits retention, file storage, replicas, max age and bytes, duplicate
 * window) or, if it exists, check that its configuration is that one.
 * 0; -EEXIST when it exists with another configuration, -EHOSTUNREACH when
 * no server answers, -EACCES for refused credentials, another negative
 * errno otherwise; the reason in @opts->errbuf.
 */
KCAP_API int kcap_fleet_init(const struct kcap_fleet_opts *opts);

/* The publishing side of a node. Not thread-safe. */
struct kcap_publisher;

/*
 * kcap_publisher_open() - connect to the cluster, check that the stream
 * takes the node's subjects and publish the node's snapshot (machine, the
 * process table of @src: a capture file's PROCS block, else this host's
 * /proc, user names, and the container table: a capture file's as read
 * so far, and what @opts->state learnt). NULL with errno set on error, the reason in
 * @opts->errbuf (EHOSTUNREACH: no server reachable, EACCES: credentials
 * refused, ENOENT: no such stream).
 */
KCAP_API struct kcap_publisher *kcap_publisher_open(struct kcap *src,
						    const struct kcap_fleet_opts *opts);

/* kcap_publisher_event() - queue one event of @h; a full message is
 * published. Container records @src read since (a capture file's
 * CONTAINERS blocks) or opts->state learnt are published before it, in a
 * containers message (docs/fleet.md). Blocks while max_pending messages await acknowledgement;
 * while the cluster does not answer (reconnecting), spools the event
 * (opts->spool_dir) or, without a spool, blocks. */
KCAP_API int kcap_publisher_event(struct kcap_publisher *p, struct kcap *h,
				  const struct kcap_event_hdr *ev);

/* kcap_publisher_tick() - call when idle: publishes a message older than
 * 100 ms, sends again what was not acknowledged, publishes from the spool
 * and the periodic snapshot. */
KCAP_API int kcap_publisher_tick(struct kcap_publisher *p);

/* kcap_publisher_flush() - publish everything queued (the spool too) and
 * wait until all of it is acknowledged, at most @timeout_ms (< 0: no
 * limit). -ETIMEDOUT if messages are still unacknowledged or spooled then
 * (the spool's files stay). */
KCAP_API int kcap_publisher_flush(struct kcap_publisher *p, int timeout_ms);

struct kcap_publisher_stats {
	__u64 events;	   /* given to kcap_publisher_event() */
	__u64 messages;	   /* published, each counted once */
	__u64 acked;	   /* acknowledged by the stream */
	__u64 duplicates;  /* acknowledged as duplicates (a re-send already stored) */
	__u64 resent;	   /* sent again after a failure or timeout */
	__u64 bytes;	   /* payload bytes of the messages, each counted once */
	__u64 outages;	   /* times the cluster stopped answering */
	__u64 spooled;	   /* events written to the spool */
	__u64 unspooled;   /* events read back from the spool and published */
	__u64 spool_drops; /* events dropped, the spool full (drop notices) */
	__u64 spool_peak;  /* the spool's largest size, bytes */
	__u64 snapshots;   /* snapshot messages published */
	__u64 spool_ns;	   /* time spent writing to the spool */
	__u64 unspool_ns;  /* time spent reading it back and publishing */
	__u64 ct_messages; /* containers messages published (records after a snapshot) */
	__u64 ct_records;  /* container records published, in snapshots and those */
};

/* kcap_publisher_stats() - counters since open; @sz: sizeof(*st). */
KCAP_API int kcap_publisher_stats(const struct kcap_publisher *p, struct kcap_publisher_stats *st,
				  size_t sz);

/* kcap_publisher_errmsg() - one sentence about the last failure. */
KCAP_API const char *kcap_publisher_errmsg(const struct kcap_publisher *p);

/* kcap_publisher_close() - disconnect and free @p (call
 * kcap_publisher_flush() first: what is unacknowledged is lost). */
KCAP_API void kcap_publisher_close(struct kcap_publisher *p);

/*
 * kcap_open_nats() - an event source reading the stream of @opts through
 * the durable pull consumer opts->durable (created if missing), acked after
 * each message's events were handed out. Events come per node in the order
 * published, each once (re-sends and redeliveries dropped by node, run and
 * sequence); nodes interleave as their messages arrive. kcap__procs() of
 * the handle is the snapshot of the node of the last event (see
 * kcap_nats_node()), and the container metadata of its events that node's
 * container table (from its snapshots and containers messages). Instances on one durable share it by node: each node
 * is handed out by one instance, which holds a lease on it in the
 * key-value bucket STREAM_owners and renews it while kcap_next() is called
 * (at least every third of opts->lease_ms); messages of other instances'
 * nodes go back to the server. A node whose owner stopped renewing is
 * taken over after the lease time, its thread table seeded from the node's
 * latest snapshot (docs/fleet.md). NULL with errno set on error, the reason
 * in opts->errbuf.
 */
KCAP_API struct kcap *kcap_open_nats(const struct kcap_fleet_opts *opts);

/*
 * kcap_nats_node() - the node of the event kcap_next() returned last: an
 * index from 0, stable for the handle's life, one per node and exporter
 * run (a restarted exporter is a new index: its thread state starts
 * again); @name, if non-NULL, its name. -EINVAL if @h is not a NATS
 * source, -ENODATA before the first event.
 */
KCAP_API int kcap_nats_node(struct kcap *h, const char **name);

struct kcap_nats_stats {
	__u64 messages;	  /* fetched from the consumer */
	__u64 events;	  /* handed out */
	__u64 duplicates; /* messages dropped as already seen */
	__u64 reordered;  /* messages held until an earlier one came */
	__u64 gaps;	  /* messages never seen (a sequence skipped after waiting) */
	__u64 drops;	  /* events the publishers reported lost (drop notices) */
	__u32 nodes;	  /* node runs seen */
	/* node runs joined after their start, seeded from their latest
	 * snapshot message */
	__u32 seeded;
	__u32 owned;	  /* nodes this instance holds the lease of now */
	__u64 given_back; /* messages of other instances' nodes given back */
	__u64 claims;	  /* node leases taken: free ones, and taken over */
	__u64 takeovers;  /* node leases taken from an instance that stopped renewing */
	__u64 lost;	  /* node leases another instance took from this one */
	/* container records new or changed, from snapshots and containers
	 * messages (the nodes' container tables) */
	__u64 containers;
	__u64 containers_bad; /* malformed container payloads, skipped */
};

/* kcap_nats_stats() - counters of a kcap_open_nats() handle. */
KCAP_API int kcap_nats_stats(const struct kcap *h, struct kcap_nats_stats *st, size_t sz);

#ifdef __cplusplus
}
#endif

#endif /* KCAP_KCAP_FLEET_H */
