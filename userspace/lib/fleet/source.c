// SPDX-License-Identifier: Apache-2.0
/*
 * kcap_open_nats(): the fleet's stream as an event source (the ops table
 * of capture/source.h). A durable pull consumer fetches messages, which
 * order.c puts in each node run's order (and shares out by node among the
 * instances of the durable). A message is acked once its events were
 * handed out: the next kcap_next() after its last one. Snapshot messages
 * give the node's process table and user names (the procs and users ops
 * answer for the node of the last event), snapshots and containers
 * messages its container table (the container op, the same), drop
 * notices are counted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container/container.h"
#include "source.h"

static struct nats_src *to_src(const struct kcap *h)
{
	return container_of(h, struct nats_src, h);
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
		fleet_src_keep_alive(s);
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
			err = fleet_src_fetch(s, false);
			if (err)
				return err;
		}
		if (!s->ready_len) {
			err = fleet_src_fetch(s, true);
			if (err)
				return err;
			fleet_src_give_up_gaps(s);
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
			const char *kind = fleet_hdr(r.m, FLEET_HDR_KIND);

			s->ready_head = (s->ready_head + 1) % READY_CAP;
			s->ready_len--;
			if (kind && !strcmp(kind, "snapshot")) {
				fleet_src_take_snapshot(s, r.node, r.m);
				fleet_msg_drop(r.m);
				continue;
			}
			if (kind && !strcmp(kind, "containers")) {
				fleet_src_take_containers(s, r.node, r.m);
				fleet_msg_drop(r.m);
				continue;
			}
			if (kind && !strcmp(kind, "drops")) {
				fleet_src_take_drops(s, r.m);
				fleet_msg_drop(r.m);
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

/* Container @id as the node of the last event knows it. */
static const struct kcap_ct_meta *nats_container(struct kcap *h, const char *id)
{
	struct nats_src *s = to_src(h);
	struct node *n;

	if (s->last_node < 0)
		return NULL;
	n = &s->nodes[s->last_node];
	return n->cts ? kcap__ct_cache_find(n->cts, id) : NULL;
}

static int nats_ct_log(const struct kcap *h, const void **p, size_t *len)
{
	const struct nats_src *s = to_src(h);

	*p = s->ctlog.p;
	*len = s->ctlog.len;
	return 0;
}

static int nats_info(struct kcap *h, struct kcap_file_info *info)
{
	struct nats_src *s = to_src(h);

	if (s->last_node < 0)
		return kcap__err(h, ENODATA, "no event yet");
	*info = s->nodes[s->last_node].info;
	if (s->nodes[s->last_node].cts) {
		info->flags |= KCAP_FILE_CONTAINERS;
		info->nr_containers = kcap__ct_cache_size(s->nodes[s->last_node].cts);
	}
	return 0;
}

static void nats_close(struct kcap *h)
{
	struct nats_src *s = to_src(h);

	/* fetched but not handed out (entirely): negative acks, redelivered
	 * to the durable's other instances now rather than after the ack wait */
	if (s->ls.kv) {
		fleet_src_note_progress(s);
		fleet_leases_close(&s->ls);
	}
	if (s->cur)
		fleet_msg_give_back(s->cur, 0);
	for (unsigned int i = 0; i < s->nr_held; i++)
		fleet_msg_give_back(s->held[i].m, 0);
	for (unsigned int i = 0; s->ready && i < s->ready_len; i++)
		fleet_msg_give_back(s->ready[(s->ready_head + i) % READY_CAP].m, 0);
	for (unsigned int i = 0; i < s->nr_nodes; i++) {
		free(s->nodes[i].seen);
		natsMsg_Destroy(s->nodes[i].early_snap);
		free(s->nodes[i].procs);
		free(s->nodes[i].users);
		kcap__ct_cache_free(s->nodes[i].cts);
	}
	kbuf_free(&s->ctlog);
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
    .container = nats_container,
    .ct_log = nats_ct_log,
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
