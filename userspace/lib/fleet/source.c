// SPDX-License-Identifier: Apache-2.0
/*
 * kcap_open_nats(): the fleet's stream as an event source (the ops table
 * of capture/source.h). A durable pull consumer fetches messages; each
 * node run (Kcap-Node, Kcap-Run) has its next expected Kcap-Seq: a lower
 * one is a re-send or a redelivery (acked, dropped), a higher one waits
 * until the gap is filled (a bounded number of them; then the gap counts
 * as lost). A message is acked once its events were handed out: the next
 * kcap_next() after its last one. Snapshot messages give the node's
 * process table and user names (the procs and users ops answer for the
 * node of the last event), drop notices are counted.
 *
 * Instances sharing a durable share it by node (lease.h): a message of a
 * node another instance owns is given back (a negative ack with a short
 * delay, so the server hands it to another instance), messages held for
 * order are kept alive with in-progress acks, and a held gap is given up
 * only after two lease times and a second: long enough for a message in
 * another instance's hands, or in a dead owner's, to come back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture/source.h"
#include "export/export.h"
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
	bool retired; /* its lease went to another instance */
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
};

static struct nats_src *to_src(const struct kcap *h)
{
	return container_of(h, struct nats_src, h);
}

static const char *hdr(natsMsg *m, const char *key)
{
	const char *v = NULL;

	return natsMsgHeader_Get(m, key, &v) == NATS_OK ? v : NULL;
}

static void take_snapshot(struct nats_src *s, unsigned int node, natsMsg *m);

/* A node run that starts after its first message (taken over, or a durable
 * that went on without a lease): the thread table starts from the node's
 * latest snapshot in the stream, if it is of this run. */
static void seed_snapshot(struct nats_src *s, unsigned int node)
{
	char subject[FLEET_SUBJECT_MAX];
	natsMsg *m = NULL;
	const char *run;

	if (fleet_subject(subject, sizeof(subject), s->c.prefix, s->nodes[node].name,
			  "snapshot") < 0 ||
	    js_GetLastMsg(&m, s->c.js, s->c.stream, subject, NULL, NULL) != NATS_OK)
		return;
	run = hdr(m, FLEET_HDR_RUN);
	if (run && !strcmp(run, s->nodes[node].run))
		take_snapshot(s, node, m);
	natsMsg_Destroy(m);
}

/* The node run of @m, of a node this instance owns (@l), added when new;
 * -1 when @m has no such headers. */
static int node_of(struct nats_src *s, natsMsg *m, const struct fleet_lease *l)
{
	const char *name = hdr(m, FLEET_HDR_NODE), *run = hdr(m, FLEET_HDR_RUN);
	const char *seq = hdr(m, FLEET_HDR_SEQ);
	struct node *n;

	if (!name || !run || !seq || strlen(name) >= FLEET_TOKEN_MAX || strlen(run) >= 24)
		return -1;
	for (unsigned int i = 0; i < s->nr_nodes; i++)
		if (!s->nodes[i].retired && !strcmp(s->nodes[i].name, name) &&
		    !strcmp(s->nodes[i].run, run))
			return (int)i;
	if (s->nr_nodes >= MAX_NODES)
		return -1;
	n = &s->nodes[s->nr_nodes];
	memset(n, 0, sizeof(*n));
	n->seen = calloc(SEEN_WIN, sizeof(*n->seen));
	if (!n->seen)
		return -1;
	strcpy(n->name, name);
	strcpy(n->run, run);
	/* a run starts at 1 (its snapshot), or where the previous owner of
	 * the node stopped */
	n->next_seq = !strcmp(run, l->prev_run) && l->prev_next ? l->prev_next : 1;
	snprintf(n->info.hostname, sizeof(n->info.hostname), "%s", name);
	s->st.nodes = ++s->nr_nodes;
	if (n->next_seq > 1)
		seed_snapshot(s, s->nr_nodes - 1);
	return (int)(s->nr_nodes - 1);
}

static bool seen(const struct node *n, __u64 seq)
{
	/* older than the window: not known, handed out (again) */
	return n->seen[seq % SEEN_WIN] == seq;
}

static void push_ready(struct nats_src *s, natsMsg *m, unsigned int node, __u64 seq)
{
	unsigned int i = (s->ready_head + s->ready_len) % READY_CAP;

	s->nodes[node].seen[seq % SEEN_WIN] = seq;
	s->ready[i] = (struct held){m, node, seq, 0};
	s->ready_len++;
}

/* Moves held messages that are now next to the ready queue. */
static void release_held(struct nats_src *s, unsigned int node)
{
	bool moved = true;

	while (moved) {
		moved = false;
		for (unsigned int i = 0; i < s->nr_held; i++) {
			if (s->held[i].node != node || s->held[i].seq != s->nodes[node].next_seq)
				continue;
			push_ready(s, s->held[i].m, node, s->held[i].seq);
			s->nodes[node].next_seq++;
			s->held[i] = s->held[--s->nr_held];
			moved = true;
			break;
		}
	}
}

/* The gap of @node before its lowest held message is given up. */
static void skip_gap(struct nats_src *s, unsigned int node)
{
	__u64 lowest = 0;

	for (unsigned int i = 0; i < s->nr_held; i++)
		if (s->held[i].node == node && (!lowest || s->held[i].seq < lowest))
			lowest = s->held[i].seq;
	if (!lowest)
		return;
	s->st.gaps += lowest - s->nodes[node].next_seq;
	s->nodes[node].next_seq = lowest;
	release_held(s, node);
}

/* Gaps open for two lease times and a second of fetching: what they miss is
 * not coming (handed out by a previous owner, or no longer in the stream). */
static void give_up_gaps(struct nats_src *s)
{
	for (unsigned int i = 0; i < s->nr_held; i++)
		if (s->fetch_ms - s->held[i].at_ms >= 2ULL * s->ls.lease_ms + 1000) {
			skip_gap(s, s->held[i].node);
			i = (unsigned int)-1; /* the array changed: again */
		}
}

static void drop_msg(natsMsg *m)
{
	natsMsg_Ack(m, NULL);
	natsMsg_Destroy(m);
}

/* Another instance's: to the server, which hands it out again. */
static void give_back(natsMsg *m, __u32 delay_ms)
{
	if (delay_ms)
		natsMsg_NakWithDelay(m, delay_ms, NULL);
	else
		natsMsg_Nak(m, NULL);
	natsMsg_Destroy(m);
}

/* One fetched message into the order of its node run, if this instance
 * owns its node; given back otherwise. */
static void sort_msg(struct nats_src *s, natsMsg *m)
{
	const char *seqs = hdr(m, FLEET_HDR_SEQ), *name = hdr(m, FLEET_HDR_NODE);
	struct fleet_lease *l;
	int node, own;
	__u64 seq;

	s->st.messages++;
	if (!name || !fleet_token_ok(name)) {
		drop_msg(m); /* not a kcap fleet message */
		return;
	}
	own = fleet_lease_get(&s->ls, name, &l);
	if (own != FLEET_MINE && own != FLEET_CLAIMED) {
		s->st.given_back++;
		give_back(m, GIVE_BACK_DELAY_MS);
		return;
	}
	node = node_of(s, m, l);
	if (node < 0 || !seqs) {
		drop_msg(m); /* not a kcap fleet message */
		return;
	}
	seq = strtoull(seqs, NULL, 10);
	if (seq < s->nodes[node].next_seq) {
		if (seen(&s->nodes[node], seq)) {
			s->st.duplicates++;
			drop_msg(m);
		} else {
			s->st.reordered++; /* late: after its gap was given up */
			push_ready(s, m, (unsigned int)node, seq);
		}
		return;
	}
	for (unsigned int i = 0; i < s->nr_held; i++)
		if (s->held[i].node == (unsigned int)node && s->held[i].seq == seq) {
			s->st.duplicates++;
			drop_msg(m);
			return;
		}
	if (seq > s->nodes[node].next_seq) {
		s->st.reordered++;
		s->held[s->nr_held++] = (struct held){m, (unsigned int)node, seq, s->fetch_ms};
		if (s->nr_held >= MAX_HELD)
			skip_gap(s, s->held[0].node);
		return;
	}
	push_ready(s, m, (unsigned int)node, seq);
	s->nodes[node].next_seq++;
	release_held(s, (unsigned int)node);
}

/* A snapshot message: the node's machine, processes and users. */
static void take_snapshot(struct nats_src *s, unsigned int node, natsMsg *m)
{
	Kcap__V1__Event *ev = kcap__v1__event__unpack(NULL, (size_t)natsMsg_GetDataLength(m),
						      (const uint8_t *)natsMsg_GetData(m));
	struct node *n = &s->nodes[node];
	Kcap__V1__StreamHeader *sh;

	if (!ev)
		return;
	sh = ev->body_case == KCAP__V1__EVENT__BODY_HEADER ? ev->header : NULL;
	if (sh && !n->have_snapshot) {
		n->procs = malloc(sh->procs.len + 1);
		n->users = malloc(sh->users.len + 1);
		if (n->procs && n->users) {
			if (sh->procs.len)
				memcpy(n->procs, sh->procs.data, sh->procs.len);
			if (sh->users.len)
				memcpy(n->users, sh->users.data, sh->users.len);
			n->procs_len = sh->procs.len;
			n->users_len = sh->users.len;
			n->have_snapshot = true;
		}
		snprintf(n->info.hostname, sizeof(n->info.hostname), "%s", sh->hostname);
		snprintf(n->info.kernel_release, sizeof(n->info.kernel_release), "%s",
			 sh->kernel_release);
		snprintf(n->info.arch, sizeof(n->info.arch), "%s", sh->arch);
		n->info.boot_wall_ns = sh->boot_wall_ns;
		n->info.nr_cpus = sh->nr_cpus;
		n->info.abi_major = (__u16)sh->abi_major;
		n->info.abi_minor = (__u16)sh->abi_minor;
		n->info.nr_users = sh->users.len ? 1 : 0;
	}
	kcap__v1__event__free_unpacked(ev, NULL);
}

static void take_drops(struct nats_src *s, natsMsg *m)
{
	Kcap__V1__Event *ev = kcap__v1__event__unpack(NULL, (size_t)natsMsg_GetDataLength(m),
						      (const uint8_t *)natsMsg_GetData(m));

	if (!ev)
		return;
	if (ev->body_case == KCAP__V1__EVENT__BODY_DROP)
		s->st.drops += ev->drop->count;
	kcap__v1__event__free_unpacked(ev, NULL);
}

/* The progress of each owned node for its lease: the latest run and the
 * first of its sequences not completely handed out (the message being
 * handed out, those ready, the next expected). */
static void note_progress(struct nats_src *s)
{
	for (unsigned int i = 0; i < s->nr_nodes; i++) {
		struct node *n = &s->nodes[i];
		struct fleet_lease *l;
		__u64 next = n->next_seq;

		if (n->retired || fleet_lease_get(&s->ls, n->name, &l) != FLEET_MINE)
			continue;
		if (l->run[0] && strtoull(l->run, NULL, 16) > strtoull(n->run, NULL, 16))
			continue; /* an older run of the node */
		if (s->cur && s->cur_node == i && s->cur_seq < next)
			next = s->cur_seq;
		for (unsigned int j = 0; j < s->ready_len; j++) {
			const struct held *r = &s->ready[(s->ready_head + j) % READY_CAP];

			if (r->node == i && r->seq < next)
				next = r->seq;
		}
		snprintf(l->run, sizeof(l->run), "%s", n->run);
		l->next_seq = next;
	}
}

/* Another instance took @l's node: what is held or ready of it goes back
 * (the message being handed out is finished). */
static void lost_node(void *ctx, struct fleet_lease *l)
{
	struct nats_src *s = ctx;
	unsigned int kept = 0;

	for (unsigned int i = 0; i < s->nr_nodes; i++)
		if (!strcmp(s->nodes[i].name, l->node))
			s->nodes[i].retired = true;
	for (unsigned int i = 0; i < s->nr_held; i++) {
		if (s->nodes[s->held[i].node].retired)
			give_back(s->held[i].m, 0);
		else
			s->held[kept++] = s->held[i];
	}
	s->nr_held = kept;
	kept = 0;
	for (unsigned int i = 0; i < s->ready_len; i++) {
		struct held r = s->ready[(s->ready_head + i) % READY_CAP];

		if (s->nodes[r.node].retired)
			give_back(r.m, 0);
		else
			s->ready[(s->ready_head + kept++) % READY_CAP] = r;
	}
	s->ready_len = kept;
}

/* Renews the leases, and keeps what is held from being redelivered: an
 * in-progress ack restarts a message's ack wait (the lease time). */
static void keep_alive(struct nats_src *s)
{
	__u64 now = fleet_now_ms();

	if (fleet_leases_due(&s->ls)) {
		note_progress(s);
		fleet_leases_renew(&s->ls, lost_node, s);
	}
	if (now - s->alive_ms < s->ls.lease_ms / 3)
		return;
	s->alive_ms = now;
	if (s->cur)
		natsMsg_InProgress(s->cur, NULL);
	for (unsigned int i = 0; i < s->nr_held; i++)
		natsMsg_InProgress(s->held[i].m, NULL);
	for (unsigned int i = 0; i < s->ready_len; i++)
		natsMsg_InProgress(s->ready[(s->ready_head + i) % READY_CAP].m, NULL);
}

/*
 * Fetches what comes within FETCH_WAIT_MS (@wait; that time counts as
 * waiting for a gap) or PREFETCH_MS. 0, or -errno.
 *
 * The server keeps a request until it expires, and messages it sends at
 * the end may come after the fetch returned: they wait in the
 * subscription. libnats 3.4.1 collects waiting ones first and then loops
 * until its count equals the batch less them: with more than half a batch
 * waiting it writes past its list (heap corruption). So waiting messages
 * are taken one per fetch (a batch of 1 stops at the first) before a new
 * request is made.
 */
static int fetch(struct nats_src *s, bool wait)
{
	natsMsgList list = {0};
	__u64 t0 = fleet_now_ms();
	jsFetchRequest req;
	int pending = 0;
	natsStatus st;

	jsFetchRequest_Init(&req);
	natsSubscription_GetPending(s->sub, &pending, NULL);
	req.Batch = pending ? 1 : FETCH_BATCH;
	if (s->ready_len + s->nr_held + req.Batch >= READY_CAP)
		return 0; /* no room now: after the ready ones are handed out */
	req.Expires = (wait ? FETCH_WAIT_MS : PREFETCH_MS) * 1000000LL;
	st = natsSubscription_FetchRequest(&list, s->sub, &req);
	if (wait)
		s->fetch_ms += fleet_now_ms() - t0;
	if (st == NATS_TIMEOUT || st == NATS_NOT_FOUND)
		return 0;
	/* a status the server answered a request with (409: too many
	 * requests waiting, ...) passes; the tenth in a row does not */
	if (st == NATS_ERR && ++s->fetch_errors < 10)
		return 0;
	if (st != NATS_OK)
		return kcap__err(&s->h, -fleet_status_errno(st), "fetching from %s: %s",
				 s->c.stream, nats_GetLastError(NULL));
	s->fetch_errors = 0;
	s->idle_since_ms = fleet_now_ms();
	for (int i = 0; i < list.Count; i++) {
		sort_msg(s, list.Msgs[i]);
		list.Msgs[i] = NULL;
	}
	natsMsgList_Destroy(&list);
	return 0;
}

static __u64 get_varint(const unsigned char **p, const unsigned char *end, bool *bad)
{
	__u64 v = 0;

	for (int shift = 0; *p < end && shift < 64; shift += 7) {
		unsigned char b = *(*p)++;

		v |= (__u64)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	*bad = true;
	return 0;
}

/* The record (Event field 15) of the Event at @p, @n bytes. */
static int find_record(const unsigned char *p, size_t n, const unsigned char **rec, size_t *len)
{
	const unsigned char *end = p + n;
	bool bad = false;

	while (p < end && !bad) {
		__u64 key = get_varint(&p, end, &bad), l;

		switch (key & 7) {
		case 0:
			get_varint(&p, end, &bad);
			break;
		case 1:
			p += 8;
			break;
		case 5:
			p += 4;
			break;
		case 2:
			l = get_varint(&p, end, &bad);
			if (bad || l > (__u64)(end - p))
				return -EBADMSG;
			if (key >> 3 == 15) {
				*rec = p;
				*len = (size_t)l;
				return 0;
			}
			p += l;
			break;
		default:
			return -EBADMSG;
		}
	}
	return -EBADMSG;
}

static int nats_next(struct kcap *h, const struct kcap_event_hdr **out)
{
	struct nats_src *s = to_src(h);
	const unsigned char *rec;
	size_t len;
	int err;

	for (;;) {
		if (s->cur && s->pos < s->end) {
			bool bad = false;
			__u64 n = get_varint(&s->pos, s->end, &bad);

			if (bad || n > (__u64)(s->end - s->pos) ||
			    find_record(s->pos, (size_t)n, &rec, &len) ||
			    len < sizeof(struct kcap_event_hdr)) {
				s->pos = s->end;
				return kcap__err(h, EBADMSG, "a malformed event message from %s",
						 s->nodes[s->cur_node].name);
			}
			s->pos += n;
			if (s->rec_cap < ((len + 7) & ~(size_t)7)) {
				free(s->rec);
				s->rec = aligned_alloc(8, (len + 7) & ~(size_t)7);
				s->rec_cap = s->rec ? (len + 7) & ~(size_t)7 : 0;
				if (!s->rec)
					return kcap__err(h, ENOMEM, "out of memory");
			}
			memcpy(s->rec, rec, len);
			/* padded as in a ring, for the record check */
			memset((char *)s->rec + len, 0, ((len + 7) & ~(size_t)7) - len);
			err =
			    kcap__record_check(s->rec, (len + 7) & ~(size_t)7, (const char **)&rec);
			if (err)
				return kcap__err(h, EBADMSG, "a malformed record from %s: %s",
						 s->nodes[s->cur_node].name, (const char *)rec);
			s->last_node = (int)s->cur_node;
			s->st.events++;
			*out = s->rec;
			return 0;
		}
		keep_alive(s);
		if (s->cur) {
			/* its events were handed out: processed */
			natsMsg_Ack(s->cur, NULL);
			natsMsg_Destroy(s->cur);
			s->cur = NULL;
		}
		/* other instances share the durable: fetch before the ready
		 * queue runs dry, the server hands this instance's nodes'
		 * messages to whoever asks (room: see READY_CAP) */
		if (s->ready_len && s->ready_len < FETCH_BATCH && s->st.given_back) {
			err = fetch(s, false);
			if (err)
				return err;
		}
		if (!s->ready_len) {
			err = fetch(s, true);
			if (err)
				return err;
			give_up_gaps(s);
			if (!s->ready_len) {
				/* the end, unless a held gap is still to be given up */
				if (s->idle_ms && !s->nr_held &&
				    fleet_now_ms() - s->idle_since_ms >= s->idle_ms)
					return -ENODATA;
				return -EAGAIN;
			}
		}
		s->idle_since_ms = fleet_now_ms();
		{
			struct held r = s->ready[s->ready_head];
			const char *kind = hdr(r.m, FLEET_HDR_KIND);

			s->ready_head = (s->ready_head + 1) % READY_CAP;
			s->ready_len--;
			if (kind && !strcmp(kind, "snapshot")) {
				take_snapshot(s, r.node, r.m);
				drop_msg(r.m);
				continue;
			}
			if (kind && !strcmp(kind, "drops")) {
				take_drops(s, r.m);
				drop_msg(r.m);
				continue;
			}
			s->cur = r.m;
			s->cur_node = r.node;
			s->cur_seq = r.seq;
			s->pos = (const unsigned char *)natsMsg_GetData(r.m);
			s->end = s->pos + natsMsg_GetDataLength(r.m);
		}
	}
}

static int nats_procs(const struct kcap *h, const void **p, size_t *len)
{
	const struct nats_src *s = to_src(h);
	const struct node *n;

	if (s->last_node < 0)
		return -ENODATA;
	n = &s->nodes[s->last_node];
	if (!n->have_snapshot)
		return -ENODATA;
	*p = n->procs;
	*len = n->procs_len;
	return 0;
}

static int nats_users(const struct kcap *h, const void **p, size_t *len)
{
	const struct nats_src *s = to_src(h);
	const struct node *n;

	if (s->last_node < 0)
		return -ENODATA;
	n = &s->nodes[s->last_node];
	if (!n->have_snapshot || !n->users_len)
		return -ENODATA;
	*p = n->users;
	*len = n->users_len;
	return 0;
}

static int nats_info(struct kcap *h, struct kcap_file_info *info)
{
	struct nats_src *s = to_src(h);

	if (s->last_node < 0)
		return kcap__err(h, ENODATA, "no event yet");
	*info = s->nodes[s->last_node].info;
	return 0;
}

static void nats_close(struct kcap *h)
{
	struct nats_src *s = to_src(h);

	/* fetched but not handed out (entirely): negative acks, redelivered
	 * to the durable's other instances now rather than after the ack wait */
	if (s->ls.kv) {
		note_progress(s);
		fleet_leases_close(&s->ls);
	}
	if (s->cur)
		give_back(s->cur, 0);
	for (unsigned int i = 0; i < s->nr_held; i++)
		give_back(s->held[i].m, 0);
	for (unsigned int i = 0; s->ready && i < s->ready_len; i++)
		give_back(s->ready[(s->ready_head + i) % READY_CAP].m, 0);
	for (unsigned int i = 0; i < s->nr_nodes; i++) {
		free(s->nodes[i].seen);
		free(s->nodes[i].procs);
		free(s->nodes[i].users);
	}
	if (s->c.nc)
		natsConnection_FlushTimeout(s->c.nc, 1000); /* the acks and naks */
	if (s->sub)
		natsSubscription_Destroy(s->sub);
	fleet_disconnect(&s->c);
	free(s->nodes);
	free(s->held);
	free(s->ready);
	free(s->rec);
	free(s);
}

static const struct kcap_source_ops nats_ops = {
    .kind = "nats",
    .recorded = true,
    .next = nats_next,
    .close = nats_close,
    .procs = nats_procs,
    .users = nats_users,
    .info = nats_info,
};

struct kcap *kcap_open_nats(const struct kcap_fleet_opts *opts)
{
	char *errbuf = OPTS_GET(opts, errbuf, NULL), local[KCAP_ERRMSG_LEN];
	size_t errlen = errbuf ? OPTS_GET(opts, errbuf_sz, 0) : sizeof(local);
	char filter[FLEET_SUBJECT_MAX];
	const char *node = OPTS_GET(opts, node, NULL);
	__u32 lease_ms = OPTS_GET(opts, lease_ms, 0) ?: KCAP_FLEET_LEASE_MS;
	jsSubOptions so;
	jsErrCode jerr = 0;
	struct nats_src *s;
	natsStatus st;
	int err;

	if (!errbuf || !errlen) {
		errbuf = local;
		errlen = sizeof(local);
	}
	if (!opts || !kcap__opts_valid(opts, sizeof(*opts), opts->sz)) {
		snprintf(errbuf, errlen, "bad options");
		errno = EINVAL;
		return NULL;
	}
	if (node && !fleet_token_ok(node)) {
		snprintf(errbuf, errlen, "node %s: letters, digits, _ and - only", node);
		errno = EINVAL;
		return NULL;
	}
	if (OPTS_GET(opts, durable, NULL) && !fleet_token_ok(opts->durable)) {
		snprintf(errbuf, errlen, "durable %s: letters, digits, _ and - only",
			 opts->durable);
		errno = EINVAL;
		return NULL;
	}
	if (lease_ms < 1000) {
		snprintf(errbuf, errlen, "lease %u ms: at least 1000", lease_ms);
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s) {
		s->nodes = calloc(MAX_NODES, sizeof(*s->nodes));
		s->held = calloc(MAX_HELD, sizeof(*s->held));
		s->ready = calloc(READY_CAP, sizeof(*s->ready));
	}
	if (!s || !s->nodes || !s->held || !s->ready) {
		snprintf(errbuf, errlen, "out of memory");
		if (s)
			nats_close(&s->h);
		errno = ENOMEM;
		return NULL;
	}
	kcap__init(&s->h, &nats_ops);
	s->last_node = -1;
	s->idle_ms = OPTS_GET(opts, idle_ms, 0);
	s->idle_since_ms = fleet_now_ms();
	err = fleet_connect(&s->c, opts, false, NULL, errbuf, errlen);
	if (err)
		goto fail;
	snprintf(filter, sizeof(filter), "%s.%s.>", s->c.prefix, node ? node : "*");
	jsSubOptions_Init(&so);
	so.Stream = s->c.stream;
	so.Config.Durable = OPTS_GET(opts, durable, NULL) ?: "kcap";
	so.Config.AckPolicy = js_AckExplicit;
	so.Config.DeliverPolicy = js_DeliverAll;
	/* a message an instance holds gets in-progress acks; one it had
	 * when it died comes back after this */
	so.Config.AckWait = (int64_t)lease_ms * 1000000LL;
	so.Config.MaxAckPending = 4096;
	so.Config.FilterSubject = filter;
	st = js_PullSubscribe(&s->sub, s->c.js, filter, so.Config.Durable, NULL, &so, &jerr);
	if (st != NATS_OK) {
		snprintf(errbuf, errlen, "consumer %s on stream %s: %s", so.Config.Durable,
			 s->c.stream, nats_GetLastError(NULL));
		err = fleet_status_errno(st);
		goto fail;
	}
	err = fleet_leases_open(&s->ls, &s->c, so.Config.Durable, OPTS_GET(opts, instance, NULL),
				lease_ms, errbuf, errlen);
	if (err)
		goto fail;
	return &s->h;
fail:
	nats_close(&s->h);
	errno = -err;
	return NULL;
}

int kcap_nats_node(struct kcap *h, const char **name)
{
	struct nats_src *s;

	if (!kcap__is(h, &nats_ops))
		return -EINVAL;
	s = to_src(h);
	if (s->last_node < 0)
		return -ENODATA;
	if (name)
		*name = s->nodes[s->last_node].name;
	return s->last_node;
}

int kcap_nats_stats(const struct kcap *h, struct kcap_nats_stats *st, size_t sz)
{
	struct nats_src *s;

	if (!kcap__is(h, &nats_ops) || !st)
		return -EINVAL;
	s = to_src(h);
	s->st.owned = s->ls.owned;
	s->st.claims = s->ls.claims;
	s->st.takeovers = s->ls.takeovers;
	s->st.lost = s->ls.lost;
	memset(st, 0, sz);
	memcpy(st, &s->st, sz < sizeof(*st) ? sz : sizeof(*st));
	return 0;
}
