// SPDX-License-Identifier: Apache-2.0
/*
 * The messages of kcap_open_nats()'s durable consumer into per node run
 * order (source.h): each node run (Kcap-Node, Kcap-Run) has its next
 * expected Kcap-Seq; a lower one is a re-send or a redelivery (acked,
 * dropped), a higher one waits until the gap is filled (a bounded number
 * of them; then the gap counts as lost). Instances sharing a durable share
 * it by node (lease.h): a message of a node another instance owns is given
 * back (a negative ack with a short delay, so the server hands it to
 * another instance), messages held for order are kept alive with
 * in-progress acks, and a held gap is given up only after two lease times
 * and a second: long enough for a message in another instance's hands, or
 * in a dead owner's, to come back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/export.h"
#include "source.h"

const char *fleet_hdr(natsMsg *m, const char *key)
{
	const char *v = NULL;

	return natsMsgHeader_Get(m, key, &v) == NATS_OK ? v : NULL;
}

/* A node run that starts after its first message (taken over, a durable
 * that went on without a lease, or a run whose first messages expired):
 * the thread table starts from the node's latest snapshot in the stream,
 * if it is of this run (the exporter publishes one every
 * --snapshot-interval); later snapshot messages of the run are ignored. */
static natsMsg *last_snapshot(struct nats_src *s, unsigned int node)
{
	char subject[FLEET_SUBJECT_MAX];
	natsMsg *m = NULL;
	const char *run;

	if (fleet_subject(subject, sizeof(subject), s->c.prefix, s->nodes[node].name,
			  "snapshot") < 0 ||
	    js_GetLastMsg(&m, s->c.js, s->c.stream, subject, NULL, NULL) != NATS_OK)
		return NULL;
	run = fleet_hdr(m, FLEET_HDR_RUN);
	if (run && !strcmp(run, s->nodes[node].run))
		return m;
	natsMsg_Destroy(m);
	return NULL;
}

static void seed_snapshot(struct nats_src *s, unsigned int node)
{
	struct node *n = &s->nodes[node];
	natsMsg *m = n->early_snap ? n->early_snap : last_snapshot(s, node);

	n->early_snap = NULL;
	if (m && !n->have_snapshot) {
		fleet_src_take_snapshot(s, node, m);
		s->st.seeded++;
	}
	natsMsg_Destroy(m);
}

/* The node run of @m, of a node this instance owns (@l), added when new;
 * -1 when @m has no such headers. */
static int node_of(struct nats_src *s, natsMsg *m, const struct fleet_lease *l)
{
	const char *name = fleet_hdr(m, FLEET_HDR_NODE), *run = fleet_hdr(m, FLEET_HDR_RUN);
	const char *seq = fleet_hdr(m, FLEET_HDR_SEQ);
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
	else if (strtoull(seq, NULL, 10) > 1)
		n->early_snap = last_snapshot(s, s->nr_nodes - 1);
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
	/* the run's start (its snapshot, seq 1) is not coming: its first
	 * messages expired (max age) or went to another instance; the table
	 * starts from the run's latest snapshot */
	if (s->nodes[node].next_seq == 1)
		seed_snapshot(s, node);
	s->nodes[node].next_seq = lowest;
	release_held(s, node);
}

/* Gaps open for two lease times and a second of fetching: what they miss is
 * not coming (handed out by a previous owner, or no longer in the stream). */
void fleet_src_give_up_gaps(struct nats_src *s)
{
	for (unsigned int i = 0; i < s->nr_held; i++)
		if (s->fetch_ms - s->held[i].at_ms >= 2ULL * s->ls.lease_ms + 1000) {
			skip_gap(s, s->held[i].node);
			i = (unsigned int)-1; /* the array changed: again */
		}
}

void fleet_msg_drop(natsMsg *m)
{
	natsMsg_Ack(m, NULL);
	natsMsg_Destroy(m);
}

/* Another instance's: to the server, which hands it out again. */
void fleet_msg_give_back(natsMsg *m, __u32 delay_ms)
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
	const char *seqs = fleet_hdr(m, FLEET_HDR_SEQ), *name = fleet_hdr(m, FLEET_HDR_NODE);
	struct fleet_lease *l;
	int node, own;
	__u64 seq;

	s->st.messages++;
	if (!name || !fleet_token_ok(name)) {
		fleet_msg_drop(m); /* not a kcap fleet message */
		return;
	}
	own = fleet_lease_get(&s->ls, name, &l);
	if (own != FLEET_MINE && own != FLEET_CLAIMED) {
		s->st.given_back++;
		fleet_msg_give_back(m, GIVE_BACK_DELAY_MS);
		return;
	}
	node = node_of(s, m, l);
	if (node < 0 || !seqs) {
		fleet_msg_drop(m); /* not a kcap fleet message */
		return;
	}
	seq = strtoull(seqs, NULL, 10);
	if (seq < s->nodes[node].next_seq) {
		if (seen(&s->nodes[node], seq)) {
			s->st.duplicates++;
			fleet_msg_drop(m);
		} else {
			s->st.reordered++; /* late: after its gap was given up */
			push_ready(s, m, (unsigned int)node, seq);
		}
		return;
	}
	for (unsigned int i = 0; i < s->nr_held; i++)
		if (s->held[i].node == (unsigned int)node && s->held[i].seq == seq) {
			s->st.duplicates++;
			fleet_msg_drop(m);
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

/* The container records of @sh into the node run's table. */
static void take_ct(struct nats_src *s, unsigned int node, const Kcap__V1__StreamHeader *sh)
{
	char why[192];
	int n;

	if (!sh || !sh->containers.len)
		return;
	n = fleet_ct_merge(&s->nodes[node].cts, &s->ctlog, sh->containers.data, sh->containers.len,
			   why, sizeof(why));
	if (n > 0)
		s->st.containers += (__u64)n;
	else if (n < 0)
		s->st.containers_bad++; /* the events go on, without those records */
}

void fleet_src_take_containers(struct nats_src *s, unsigned int node, natsMsg *m)
{
	Kcap__V1__Event *ev = kcap__v1__event__unpack(NULL, (size_t)natsMsg_GetDataLength(m),
						      (const uint8_t *)natsMsg_GetData(m));

	if (!ev)
		return;
	if (ev->body_case == KCAP__V1__EVENT__BODY_HEADER)
		take_ct(s, node, ev->header);
	kcap__v1__event__free_unpacked(ev, NULL);
}

/* A snapshot message: the node's machine, processes and users (the run's
 * first), its container records (every one: a later snapshot has those
 * of containers started since, if their messages were missed). */
void fleet_src_take_snapshot(struct nats_src *s, unsigned int node, natsMsg *m)
{
	Kcap__V1__Event *ev = kcap__v1__event__unpack(NULL, (size_t)natsMsg_GetDataLength(m),
						      (const uint8_t *)natsMsg_GetData(m));
	struct node *n = &s->nodes[node];
	Kcap__V1__StreamHeader *sh;

	if (!ev)
		return;
	sh = ev->body_case == KCAP__V1__EVENT__BODY_HEADER ? ev->header : NULL;
	take_ct(s, node, sh);
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

void fleet_src_take_drops(struct nats_src *s, natsMsg *m)
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
void fleet_src_note_progress(struct nats_src *s)
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
			fleet_msg_give_back(s->held[i].m, 0);
		else
			s->held[kept++] = s->held[i];
	}
	s->nr_held = kept;
	kept = 0;
	for (unsigned int i = 0; i < s->ready_len; i++) {
		struct held r = s->ready[(s->ready_head + i) % READY_CAP];

		if (s->nodes[r.node].retired)
			fleet_msg_give_back(r.m, 0);
		else
			s->ready[(s->ready_head + kept++) % READY_CAP] = r;
	}
	s->ready_len = kept;
}

/* Renews the leases, and keeps what is held from being redelivered: an
 * in-progress ack restarts a message's ack wait (the lease time). */
void fleet_src_keep_alive(struct nats_src *s)
{
	__u64 now = fleet_now_ms();

	if (fleet_leases_due(&s->ls)) {
		fleet_src_note_progress(s);
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
int fleet_src_fetch(struct nats_src *s, bool wait)
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
