// SPDX-License-Identifier: Apache-2.0
/*
 * Node leases of the instances sharing a durable consumer (lease.h). The
 * server is the only coordinator: every claim and renewal is a key-value
 * write conditional on the revision read (kvStore_Create for a key never
 * written, kvStore_Update with the revision otherwise), so of two instances
 * claiming one node only one succeeds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lease.h"

/* keys nobody renews go away after a day (the bucket's age limit) */
#define LEASE_BUCKET_TTL_NS (24LL * 3600 * 1000000000)

__u64 fleet_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (__u64)t.tv_sec * 1000 + (__u64)t.tv_nsec / 1000000;
}

int fleet_leases_open(struct fleet_leases *ls, struct fleet_conn *c, const char *durable,
		      const char *id, __u32 lease_ms, char *err, size_t errlen)
{
	char bucket[FLEET_TOKEN_MAX + 8], host[64] = "";
	jsStreamInfo *si = NULL;
	kvConfig cfg;
	natsStatus st;

	memset(ls, 0, sizeof(*ls));
	ls->lease_ms = lease_ms;
	snprintf(ls->durable, sizeof(ls->durable), "%s", durable);
	if (id)
		snprintf(ls->id, sizeof(ls->id), "%s", id);
	else if (!gethostname(host, sizeof(host) - 1))
		snprintf(ls->id, sizeof(ls->id), "%s-%d", host, (int)getpid());
	else
		snprintf(ls->id, sizeof(ls->id), "pid-%d", (int)getpid());
	snprintf(bucket, sizeof(bucket), "%s_owners", c->stream);
	st = js_KeyValue(&ls->kv, c->js, bucket);
	if (st == NATS_NOT_FOUND) {
		kvConfig_Init(&cfg);
		cfg.Bucket = bucket;
		cfg.Description = "kcap: node -> instance of a shared durable consumer";
		cfg.History = 1;
		cfg.TTL = LEASE_BUCKET_TTL_NS; /* libnats passes it on as the max age, ns */
		cfg.StorageType = js_FileStorage;
		/* as safe as the events it hands out */
		if (js_GetStreamInfo(&si, c->js, c->stream, NULL, NULL) == NATS_OK)
			cfg.Replicas = si->Config->Replicas;
		st = js_CreateKeyValue(&ls->kv, c->js, &cfg);
		if (si)
			jsStreamInfo_Destroy(si);
	}
	if (st != NATS_OK) {
		const char *why = nats_GetLastError(NULL);

		snprintf(err, errlen, "lease bucket %s: %s", bucket,
			 why && *why ? why : natsStatus_GetText(st));
		return fleet_status_errno(st) ?: -EIO;
	}
	return 0;
}

static struct fleet_lease *lease_of(struct fleet_leases *ls, const char *node)
{
	struct fleet_lease *l;

	for (unsigned int i = 0; i < ls->n; i++)
		if (!strcmp(ls->l[i].node, node))
			return &ls->l[i];
	if (ls->n == ls->cap) {
		unsigned int cap = ls->cap ? ls->cap * 2 : 16;

		l = realloc(ls->l, cap * sizeof(*l));
		if (!l)
			return NULL;
		ls->l = l;
		ls->cap = cap;
	}
	l = &ls->l[ls->n++];
	memset(l, 0, sizeof(*l));
	snprintf(l->node, sizeof(l->node), "%s", node);
	return l;
}

static void key_of(const struct fleet_leases *ls, const struct fleet_lease *l, char *key,
		   size_t len)
{
	snprintf(key, len, "%s.%s", ls->durable, l->node);
}

/* "ID\nRUN NEXT": @id "" frees the key. */
static int value_of(const struct fleet_lease *l, const char *id, char *buf, size_t len)
{
	return snprintf(buf, len, "%s\n%s %llu", id, l->run, (unsigned long long)l->next_seq);
}

/* The owner's id of a value into @id, its progress into the claim fields. */
static void parse_value(struct fleet_lease *l, const char *v, int len, char *id, size_t idlen)
{
	char buf[FLEET_INSTANCE_MAX + FLEET_RUN_MAX + 32], run[FLEET_RUN_MAX];
	unsigned long long next;
	char *nl;
	size_t k;

	snprintf(buf, sizeof(buf), "%.*s", len, v);
	nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	k = strnlen(buf, idlen - 1);
	memcpy(id, buf, k);
	id[k] = '\0';
	l->prev_run[0] = '\0';
	l->prev_next = 0;
	if (nl && sscanf(nl + 1, "%23s %llu", run, &next) == 2) {
		snprintf(l->prev_run, sizeof(l->prev_run), "%s", run);
		l->prev_next = next;
	}
}

/* Writes this instance's value: a create (@rev 0) or an update of @rev. */
static natsStatus claim(struct fleet_leases *ls, struct fleet_lease *l, uint64_t rev)
{
	char key[2 * FLEET_TOKEN_MAX + 2], val[FLEET_INSTANCE_MAX + FLEET_RUN_MAX + 32];
	uint64_t nrev = 0;
	natsStatus st;
	int n;

	key_of(ls, l, key, sizeof(key));
	l->run[0] = '\0';
	l->next_seq = 0;
	n = value_of(l, ls->id, val, sizeof(val));
	st = rev ? kvStore_Update(&nrev, ls->kv, key, val, n, rev)
		 : kvStore_Create(&nrev, ls->kv, key, val, n);
	if (st != NATS_OK)
		return st;
	l->mine = true;
	l->rev = nrev;
	l->free_seen_ms = 0;
	ls->owned++;
	ls->claims++;
	return NATS_OK;
}

/* A free key is claimed after a wait of a tenth of the lease per node owned
 * already: an instance with fewer nodes gets there first. */
static bool my_turn(struct fleet_leases *ls, struct fleet_lease *l, __u64 now)
{
	if (!l->free_seen_ms)
		l->free_seen_ms = now;
	return now - l->free_seen_ms >= (__u64)ls->owned * (ls->lease_ms / 10);
}

int fleet_lease_get(struct fleet_leases *ls, const char *node, struct fleet_lease **lease)
{
	struct fleet_lease *l = lease_of(ls, node);
	char key[2 * FLEET_TOKEN_MAX + 2], owner[FLEET_INSTANCE_MAX];
	__u64 now = fleet_now_ms();
	kvEntry *e = NULL;
	natsStatus st;
	uint64_t rev;

	if (!l)
		return -ENOMEM;
	*lease = l;
	if (l->mine)
		return FLEET_MINE;
	/* a free key waiting for this instance's turn: not read at every message */
	if (l->free_seen_ms && now - l->checked_ms < 50)
		return FLEET_OTHER;
	/* another's lease: read again a few times per lease time */
	if (l->rev && !l->free_seen_ms && now - l->checked_ms < ls->lease_ms / 4 &&
	    now - l->rev_seen_ms < ls->lease_ms)
		return FLEET_OTHER;
	l->checked_ms = now;
	key_of(ls, l, key, sizeof(key));
	st = kvStore_Get(&e, ls->kv, key);
	if (st == NATS_NOT_FOUND) {
		l->prev_run[0] = '\0';
		l->prev_next = 0;
		if (!my_turn(ls, l, now))
			return FLEET_OTHER;
		st = claim(ls, l, 0);
		return st == NATS_OK ? FLEET_CLAIMED : FLEET_OTHER;
	}
	if (st != NATS_OK)
		return fleet_status_errno(st) ?: -EIO;
	rev = kvEntry_Revision(e);
	parse_value(l, kvEntry_Value(e), kvEntry_ValueLen(e), owner, sizeof(owner));
	kvEntry_Destroy(e);
	if (!owner[0] || !strcmp(owner, ls->id)) {
		/* free, or this instance's own before a restart */
		if (owner[0] || my_turn(ls, l, now))
			return claim(ls, l, rev) == NATS_OK ? FLEET_CLAIMED : FLEET_OTHER;
		return FLEET_OTHER;
	}
	l->free_seen_ms = 0;
	if (rev != l->rev) {
		l->rev = rev;
		l->rev_seen_ms = now;
		return FLEET_OTHER;
	}
	if (now - l->rev_seen_ms < ls->lease_ms)
		return FLEET_OTHER;
	/* not renewed for a lease time: its owner is gone */
	if (claim(ls, l, rev) != NATS_OK)
		return FLEET_OTHER;
	ls->takeovers++;
	return FLEET_CLAIMED;
}

bool fleet_leases_due(const struct fleet_leases *ls)
{
	return ls->owned && fleet_now_ms() - ls->renewed_ms >= ls->lease_ms / 3;
}

static void lose(struct fleet_leases *ls, struct fleet_lease *l,
		 void (*lost)(void *ctx, struct fleet_lease *l), void *ctx)
{
	l->mine = false;
	l->rev = 0;
	ls->owned--;
	ls->lost++;
	lost(ctx, l);
}

void fleet_leases_renew(struct fleet_leases *ls, void (*lost)(void *ctx, struct fleet_lease *l),
			void *ctx)
{
	char key[2 * FLEET_TOKEN_MAX + 2], val[FLEET_INSTANCE_MAX + FLEET_RUN_MAX + 32];
	__u64 now = fleet_now_ms(), last = ls->renewed_ms;
	uint64_t nrev;
	natsStatus st;
	int n;

	ls->renewed_ms = now;
	for (unsigned int i = 0; i < ls->n; i++) {
		struct fleet_lease *l = &ls->l[i];

		if (!l->mine)
			continue;
		key_of(ls, l, key, sizeof(key));
		n = value_of(l, ls->id, val, sizeof(val));
		st = kvStore_Update(&nrev, ls->kv, key, val, n, l->rev);
		if (st == NATS_OK) {
			l->rev = nrev;
			continue;
		}
		/* the revision moved: another instance took the node; no
		 * answer for a lease time: another may have */
		if (st == NATS_ERR || now - last >= ls->lease_ms)
			lose(ls, l, lost, ctx);
		else
			ls->renewed_ms = last; /* again at the next call */
	}
}

void fleet_leases_close(struct fleet_leases *ls)
{
	char key[2 * FLEET_TOKEN_MAX + 2], val[FLEET_INSTANCE_MAX + FLEET_RUN_MAX + 32];
	uint64_t nrev;
	int n;

	for (unsigned int i = 0; ls->kv && i < ls->n; i++) {
		struct fleet_lease *l = &ls->l[i];

		if (!l->mine)
			continue;
		key_of(ls, l, key, sizeof(key));
		n = value_of(l, "", val, sizeof(val));
		kvStore_Update(&nrev, ls->kv, key, val, n, l->rev);
	}
	if (ls->kv)
		kvStore_Destroy(ls->kv);
	free(ls->l);
	memset(ls, 0, sizeof(*ls));
}
