// SPDX-License-Identifier: Apache-2.0
/*
 * Private to fleet/: which instance of a shared durable consumer handles a
 * node (docs/fleet.md, "Work sharing"). A JetStream key-value bucket,
 * STREAM_owners, holds a key DURABLE.NODE per node; its value names the
 * owning instance and the progress of the node's run ("ID\nRUN NEXT"). The
 * owner renews it (an update conditional on the revision it wrote) every
 * third of the lease time; another instance takes the node over when the
 * revision has not changed for a whole lease time, measured on its own
 * monotonic clock (no clock is compared between machines). A clean close
 * frees the keys, keeping the progress for the next owner.
 */
#ifndef KCAP_FLEET_LEASE_H
#define KCAP_FLEET_LEASE_H

#include "fleet.h"

#define FLEET_INSTANCE_MAX 128
#define FLEET_RUN_MAX 24

enum fleet_owner {
	FLEET_OTHER,   /* another instance owns it, or may claim it first */
	FLEET_MINE,    /* this instance owns it */
	FLEET_CLAIMED, /* this instance has just claimed it */
};

struct fleet_lease {
	char node[FLEET_TOKEN_MAX];
	bool mine;
	uint64_t rev;	    /* the revision last written or seen */
	__u64 rev_seen_ms;  /* when rev was first seen (another's lease) */
	__u64 checked_ms;   /* when the key was last read */
	__u64 free_seen_ms; /* when the key was first seen free; 0: not */
	/* the progress written with the lease: the run handed out, and the
	 * first of its sequences not completely handed out */
	char run[FLEET_RUN_MAX];
	__u64 next_seq;
	/* at a claim: the previous owner's progress (run "" if none) */
	char prev_run[FLEET_RUN_MAX];
	__u64 prev_next;
};

struct fleet_leases {
	kvStore *kv;
	char id[FLEET_INSTANCE_MAX];
	char durable[FLEET_TOKEN_MAX];
	__u32 lease_ms;
	struct fleet_lease *l;
	unsigned int n, cap;
	unsigned int owned;
	__u64 renewed_ms; /* last renewal round */
	__u64 claims, takeovers, lost;
};

/* fleet_now_ms() - CLOCK_MONOTONIC in ms. */
KCAP_HIDDEN __u64 fleet_now_ms(void);

/* fleet_leases_open() - the bucket of @c's stream (created with the
 * stream's replicas if missing), instance @id (NULL: host name and pid).
 * 0 or -errno with the reason in @err. */
KCAP_HIDDEN int fleet_leases_open(struct fleet_leases *ls, struct fleet_conn *c,
				  const char *durable, const char *id, __u32 lease_ms, char *err,
				  size_t errlen);

/* fleet_lease_get() - whether this instance owns @node: claims it when the
 * key is free (after a wait growing with the nodes it owns already, so
 * instances starting together share the nodes out) or its owner's lease
 * lapsed. Returns an enum fleet_owner, or -errno if the bucket failed;
 * *@lease: the node's entry. */
KCAP_HIDDEN int fleet_lease_get(struct fleet_leases *ls, const char *node,
				struct fleet_lease **lease);

/* fleet_leases_due() - true when the owned leases are to be renewed. */
KCAP_HIDDEN bool fleet_leases_due(const struct fleet_leases *ls);

/* fleet_leases_renew() - renew each owned lease with its run and next_seq;
 * a lease another instance took is no longer owned and @lost is called
 * with it. */
KCAP_HIDDEN void fleet_leases_renew(struct fleet_leases *ls,
				    void (*lost)(void *ctx, struct fleet_lease *l), void *ctx);

/* fleet_leases_close() - free the owned keys (keeping the progress) and
 * the handle. */
KCAP_HIDDEN void fleet_leases_close(struct fleet_leases *ls);

#endif /* KCAP_FLEET_LEASE_H */
