// SPDX-License-Identifier: Apache-2.0
/*
 * The publisher: a node's events as kcap.v1 messages on JetStream.
 *
 * Events are encoded (kcap_event_to_pb() plus Event.record, the raw
 * record) into a message of up to batch_events events, published
 * asynchronously on PREFIX.<node>.<family> ("mixed" when a message holds
 * several families) with Nats-Msg-Id NODE.RUN.SEQ. A window of max_pending
 * messages keeps a copy of each until its acknowledgement: libnats calls
 * on_ack() on its own thread, which only marks the slot; the caller's
 * thread sends failed and timed-out ones again with the same id (the
 * stream's duplicate window drops a re-send that was stored after all).
 * A consumer restores the order of re-sent messages from Kcap-Seq.
 *
 * While the cluster is unreachable (not connected, or nothing acknowledged
 * for twice ack_wait with a full window) the caller waits: the open message
 * keeps its events until it can go (publisher.c).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture/capture.h"
#include "capture/file_format.h"
#include "export/export.h"
#include "fleet.h"
#include "publish.h"
#include "state/state.h"

static __u64 now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (__u64)t.tv_sec * 1000 + (__u64)t.tv_nsec / 1000000;
}

static void set_err(struct kcap_publisher *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_err(struct kcap_publisher *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->errmsg, sizeof(p->errmsg), fmt, ap);
	va_end(ap);
}

void pub_on_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
	struct kcap_publisher *p = closure;
	const char *v = NULL;
	struct pub_slot *s;
	__u64 seq;

	(void)js;
	(void)pae;
	/* the message is ours to free, whatever the outcome */
	if (natsMsgHeader_Get(msg, FLEET_HDR_SEQ, &v) != NATS_OK || !v) {
		natsMsg_Destroy(msg);
		return;
	}
	seq = strtoull(v, NULL, 10);
	natsMsg_Destroy(msg);
	pthread_mutex_lock(&p->lock);
	s = &p->win[seq % p->nwin];
	if (s->seq == seq && s->state == SLOT_SENT) {
		if (pa) {
			s->state = SLOT_ACKED;
			p->st.acked++;
			if (pa->Duplicate)
				p->st.duplicates++;
			p->last_ack_ms = now_ms();
		} else {
			s->state = SLOT_FAILED;
		}
	}
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

/* Sends slot @s (new or again); the caller holds no lock. 0, or -EAGAIN
 * when the connection refused it (left FAILED, sent again later). */
static int send_slot(struct kcap_publisher *p, struct pub_slot *s)
{
	char id[FLEET_SUBJECT_MAX], seq[24];
	jsPubOptions po;
	natsMsg *m = NULL;
	natsStatus st;

	fleet_msg_id(id, sizeof(id), p->node, p->run, s->seq);
	snprintf(seq, sizeof(seq), "%llu", (unsigned long long)s->seq);
	st = natsMsg_Create(&m, s->subject, NULL, (const char *)s->data, (int)s->len);
	if (st == NATS_OK)
		st = natsMsgHeader_Set(m, FLEET_HDR_NODE, p->node);
	if (st == NATS_OK)
		st = natsMsgHeader_Set(m, FLEET_HDR_RUN, p->run_str);
	if (st == NATS_OK)
		st = natsMsgHeader_Set(m, FLEET_HDR_SEQ, seq);
	if (st == NATS_OK)
		st = natsMsgHeader_Set(m, FLEET_HDR_KIND, s->kind);
	jsPubOptions_Init(&po);
	po.MsgId = id;
	po.MaxWait = p->ack_wait_ms;
	pthread_mutex_lock(&p->lock);
	s->state = SLOT_SENT;
	s->sent_ms = now_ms();
	pthread_mutex_unlock(&p->lock);
	if (st == NATS_OK)
		st = js_PublishMsgAsync(p->c.js, &m, &po);
	natsMsg_Destroy(m); /* NULL once libnats took it */
	if (st == NATS_OK)
		return 0;
	pthread_mutex_lock(&p->lock);
	if (s->state == SLOT_SENT)
		s->state = SLOT_FAILED;
	pthread_mutex_unlock(&p->lock);
	/* while reconnecting libnats knows no max_payload: not the message's fault */
	if (st == NATS_MAX_PAYLOAD && pub_connected(p) &&
	    natsConnection_GetMaxPayload(p->c.nc) > 0 &&
	    s->len > (size_t)natsConnection_GetMaxPayload(p->c.nc)) {
		set_err(p, "a message of %zu bytes is over the server's max_payload", s->len);
		return -EMSGSIZE;
	}
	return -EAGAIN;
}

bool pub_connected(struct kcap_publisher *p)
{
	return natsConnection_Status(p->c.nc) == NATS_CONN_STATUS_CONNECTED;
}

/*
 * Sends again what failed or waited too long, oldest first, and moves the
 * window's base past acknowledged slots. 0, or a hard error.
 */
int pub_retry(struct kcap_publisher *p)
{
	__u64 now = now_ms();
	int err;

	pthread_mutex_lock(&p->lock);
	while (p->base < p->next_seq && p->win[p->base % p->nwin].state == SLOT_ACKED) {
		p->win[p->base % p->nwin].state = SLOT_FREE;
		p->base++;
	}
	pthread_mutex_unlock(&p->lock);
	if (!pub_connected(p))
		return 0;
	for (__u64 q = p->base; q < p->next_seq; q++) {
		struct pub_slot *s = &p->win[q % p->nwin];
		bool again;

		pthread_mutex_lock(&p->lock);
		/* a failed one again after 50 ms: a cluster electing a leader
		 * fails them at once, in a loop otherwise */
		again = (s->state == SLOT_FAILED && now - s->sent_ms >= 50) ||
			(s->state == SLOT_SENT && now - s->sent_ms > 2ULL * p->ack_wait_ms);
		pthread_mutex_unlock(&p->lock);
		if (!again)
			continue;
		p->st.resent++;
		err = send_slot(p, s);
		if (err == -EAGAIN)
			return 0;
		if (err)
			return err;
	}
	return 0;
}

/* Waits up to @ms for an acknowledgement or failure. */
static void wait_acks(struct kcap_publisher *p, int ms)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_nsec += (long)ms * 1000000L;
	t.tv_sec += t.tv_nsec / 1000000000L;
	t.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&p->lock);
	pthread_cond_timedwait(&p->cond, &p->lock, &t);
	pthread_mutex_unlock(&p->lock);
}

bool pub_window_full(struct kcap_publisher *p)
{
	return p->next_seq - p->base >= p->nwin;
}

/*
 * Publishes @data as the next message (a copy is kept until acknowledged).
 * Waits for room in the window while the cluster answers; returns -EAGAIN
 * (nothing published) when it stopped answering: the caller waits.
 */
int pub_message(struct kcap_publisher *p, const char *kind, const char *family, const void *data,
		size_t len, unsigned int events)
{
	struct pub_slot *s;
	int err;

	for (;;) {
		err = pub_retry(p);
		if (err)
			return err;
		if (!pub_window_full(p))
			break;
		if (!pub_connected(p) || now_ms() - p->last_ack_ms > 2ULL * p->ack_wait_ms)
			return -EAGAIN;
		wait_acks(p, 20);
	}
	s = &p->win[p->next_seq % p->nwin];
	if (s->cap < len) {
		void *n = realloc(s->data, len);

		if (!n) {
			set_err(p, "out of memory for a message of %zu bytes", len);
			return -ENOMEM;
		}
		s->data = n;
		s->cap = len;
	}
	memcpy(s->data, data, len);
	s->len = len;
	s->seq = p->next_seq++;
	s->kind = kind;
	fleet_subject(s->subject, sizeof(s->subject), p->c.prefix, p->node, family);
	p->st.messages++;
	p->st.bytes += len;
	(void)events;
	err = send_slot(p, s);
	return err == -EAGAIN ? 0 : err;
}

/* ---- Encoding ------------------------------------------------------------- */

static int put_varint(struct kbuf *b, __u64 v)
{
	unsigned char t[10];
	int n = 0;

	do {
		t[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	kbuf_put(b, t, (size_t)n);
	return n;
}

static size_t varint_len(__u64 v)
{
	size_t n = 1;

	while (v > 0x7f) {
		v >>= 7;
		n++;
	}
	return n;
}

/* One event into the open message: length, Event, Event.record. */
static int encode_event(struct kcap_publisher *p, struct kcap *h, const struct kcap_event_hdr *ev)
{
	size_t rec = ev->len, extra = 1 + varint_len(rec) + rec;
	int n;

	for (;;) {
		n = kcap_event_to_pb(h, ev, p->scratch, p->scratch_cap);
		if (n < 0) {
			set_err(p, "encoding an event: %s", strerror(-n));
			return n;
		}
		if ((size_t)n <= p->scratch_cap)
			break;
		free(p->scratch);
		p->scratch_cap = (size_t)n * 2;
		p->scratch = malloc(p->scratch_cap);
		if (!p->scratch) {
			p->scratch_cap = 0;
			set_err(p, "out of memory encoding an event");
			return -ENOMEM;
		}
	}
	put_varint(&p->msg, (size_t)n + extra);
	kbuf_put(&p->msg, p->scratch, (size_t)n);
	kbuf_put(&p->msg, "\x7a", 1); /* field 15, length-delimited */
	put_varint(&p->msg, rec);
	kbuf_put(&p->msg, ev, rec);
	if (p->msg.oom) {
		set_err(p, "out of memory for a message");
		return -ENOMEM;
	}
	return 0;
}

/* The open message goes out (or, the cluster gone, waits for it). */
int pub_flush_batch(struct kcap_publisher *p)
{
	int err;

	if (!p->nmsg)
		return 0;
	for (;;) {
		err = pub_message(p, "events", p->family, p->msg.p, p->msg.len, p->nmsg);
		if (err != -EAGAIN)
			break;
		/* the events are encoded already: they wait here, in order */
		if (!p->outage) {
			p->outage = true;
			p->st.outages++;
		}
		return -EAGAIN;
	}
	p->msg.len = 0;
	p->nmsg = 0;
	return err;
}

int pub_add_event(struct kcap_publisher *p, struct kcap *h, const struct kcap_event_hdr *ev)
{
	const char *fam = kcap__export_family(ev->type);
	int err;

	if (p->nmsg && strcmp(p->family, fam) && strcmp(p->family, "mixed"))
		snprintf(p->family, sizeof(p->family), "mixed");
	else if (!p->nmsg)
		snprintf(p->family, sizeof(p->family), "%s", fam);
	if (!p->nmsg)
		p->batch_ms = now_ms();
	err = encode_event(p, h, ev);
	if (err)
		return err;
	p->nmsg++;
	if (p->nmsg >= p->batch_events || p->msg.len >= p->batch_bytes)
		return pub_flush_batch(p);
	return 0;
}

bool pub_batch_old(const struct kcap_publisher *p)
{
	return p->nmsg && now_ms() - p->batch_ms >= 100;
}

/* ---- Snapshot -------------------------------------------- */

static int snap_procs(void *ctx, const void *data, size_t len)
{
	struct kbuf *b = ctx;

	kbuf_u32(b, (__u32)len);
	kbuf_put(b, data, len);
	return b->oom ? -ENOMEM : 0;
}

static int put_meta(void *ctx, const struct kcap_ct_meta *m)
{
	return kcapf_cts_put(ctx, m);
}

/* The source's container payloads read since the last call, and what the
 * caller's thread table learnt, into the table (new or changed records
 * pending). 0 or -errno. */
static int take_containers(struct kcap_publisher *p, struct kcap *src)
{
	const void *log;
	char why[192];
	size_t len;
	int err;

	if (p->state) {
		err = kcap__state_new_containers(p->state, put_meta, &p->cts);
		if (err) {
			set_err(p, "container table: %s", strerror(-err));
			return err;
		}
	}
	if (kcapf_file_containers(src, &log, &len) || len == p->cts.log_off)
		return 0;
	err = kcapf_cts_take(&p->cts, log, len, why, sizeof(why));
	if (err)
		set_err(p, "%s", why);
	return err;
}

/* An Event with a StreamHeader holding only the schema, the node and
 * CONTAINERS payload @ct, into @out. 0 or -ENOMEM. */
static int containers_event(struct kcap_publisher *p, const struct kbuf *ct, struct kbuf *out)
{
	Kcap__V1__StreamHeader sh = KCAP__V1__STREAM_HEADER__INIT;
	Kcap__V1__Event ev = KCAP__V1__EVENT__INIT;
	size_t n;

	sh.schema = KCAP_SCHEMA;
	sh.schema_minor = KCAP_SCHEMA_MINOR;
	sh.node = p->node;
	sh.containers.data = ct->p;
	sh.containers.len = ct->len;
	ev.name = "containers";
	ev.body_case = KCAP__V1__EVENT__BODY_HEADER;
	ev.header = &sh;
	n = kcap__v1__event__get_packed_size(&ev);
	out->len = 0;
	if (!kbuf_reserve(out, n))
		return -ENOMEM;
	out->len = kcap__v1__event__pack(&ev, out->p);
	return 0;
}

int pub_containers(struct kcap_publisher *p, struct kcap *src)
{
	struct kbuf ct = {0}, out = {0};
	size_t off = 0;
	unsigned int n, sent = 0;
	int err;

	err = take_containers(p, src);
	if (err || !p->cts.nr_pending)
		return err;
	/* the events before the records came go first, as in a file */
	err = pub_flush_batch(p);
	while (!err && off < p->cts.pending.len) {
		size_t at = off;

		n = fleet_ct_chunk(p->cts.pending.p, p->cts.pending.len, &off, p->batch_bytes, &ct);
		if (!n) {
			off = p->cts.pending.len;
			break;
		}
		err = ct.oom ? -ENOMEM : containers_event(p, &ct, &out);
		if (!err)
			err = pub_message(p, "containers", "containers", out.p, out.len, 0);
		if (err) {
			off = at;
			break;
		}
		p->st.ct_messages++;
		p->st.ct_records += n;
		sent += n;
	}
	/* what was published leaves the pending records */
	memmove(p->cts.pending.p, p->cts.pending.p + off, p->cts.pending.len - off);
	p->cts.pending.len -= off;
	p->cts.nr_pending -= sent;
	if (err == -ENOMEM && !p->errmsg[0])
		set_err(p, "container table: out of memory");
	kbuf_free(&ct);
	kbuf_free(&out);
	return err;
}

/* The header Event of the snapshot message (machine, procs, users, the
 * container table or its first part). */
int pub_snapshot(struct kcap_publisher *p, struct kcap *src)
{
	Kcap__V1__StreamHeader sh = KCAP__V1__STREAM_HEADER__INIT;
	Kcap__V1__Event ev = KCAP__V1__EVENT__INIT;
	struct kbuf procs = {0}, users = {0}, cts = {0}, ct = {0};
	struct kcap_file_info fi;
	const void *q;
	struct kbuf out = {0};
	unsigned int nct = 0, first = 0;
	size_t n, ct_off = 0;
	int err;

	sh.schema = KCAP_SCHEMA;
	sh.schema_minor = KCAP_SCHEMA_MINOR;
	sh.abi_major = KCAP_ABI_MAJOR;
	sh.abi_minor = KCAP_ABI_MINOR;
	sh.node = p->node;
	sh.hostname = p->node;
	sh.format = "pb";
	if (src && kcap_file_info(src, &fi, sizeof(fi)) == 0) {
		sh.hostname = fi.hostname;
		sh.kernel_release = fi.kernel_release;
		sh.arch = fi.arch;
		sh.nr_cpus = fi.nr_cpus;
		sh.boot_wall_ns = fi.boot_wall_ns;
		sh.abi_major = fi.abi_major;
		sh.abi_minor = fi.abi_minor;
	}
	err = kcap__procs(src, &q, &n);
	if (err == -EOPNOTSUPP)
		err = kcapf_procs_snapshot("/proc", snap_procs, &procs);
	else if (!err)
		kbuf_put(&procs, q, n);
	if (err && err != -ENODATA)
		goto out;
	err = kcap__users(src, &q, &n);
	if (err == -EOPNOTSUPP)
		err = kcapf_users_encode(&users, NULL, NULL);
	else if (!err)
		kbuf_put(&users, q, n);
	if (err && err != -ENODATA)
		goto out;
	/* the whole container table: as much as the server's max_payload
	 * leaves room for here (a consumer that joins late seeds from this
	 * message alone), the rest in containers messages right after */
	err = take_containers(p, src);
	if (err)
		goto out;
	nct = fleet_cts_all(&p->cts, &cts);
	if (nct) {
		size_t room = (size_t)natsConnection_GetMaxPayload(p->c.nc);
		size_t budget = p->batch_bytes;

		if (room > procs.len + users.len + 8192 + budget)
			budget = room - procs.len - users.len - 8192;
		first = fleet_ct_chunk(cts.p, cts.len, &ct_off, budget, &ct);
	}
	err = -ENOMEM;
	if (procs.oom || users.oom || cts.oom || ct.oom)
		goto out;
	sh.procs.data = procs.p;
	sh.procs.len = procs.len;
	sh.users.data = users.p;
	sh.users.len = users.len;
	if (first) {
		sh.containers.data = ct.p;
		sh.containers.len = ct.len;
	}
	ev.name = "header";
	ev.body_case = KCAP__V1__EVENT__BODY_HEADER;
	ev.header = &sh;
	n = kcap__v1__event__get_packed_size(&ev);
	if (!kbuf_reserve(&out, n))
		goto out;
	out.len = kcap__v1__event__pack(&ev, out.p);
	err = pub_message(p, "snapshot", "snapshot", out.p, out.len, 0);
	if (!err) {
		p->st.snapshots++;
		p->st.ct_records += first;
		/* pending now: the records the snapshot had no room for */
		p->cts.pending.len = 0;
		kbuf_put(&p->cts.pending, cts.p + ct_off, cts.len - ct_off);
		p->cts.nr_pending = nct - first;
		if (p->cts.pending.oom)
			err = -ENOMEM;
	}
out:
	if (err && err != -EAGAIN && !p->errmsg[0])
		set_err(p, "process snapshot: %s", strerror(-err));
	kbuf_free(&procs);
	kbuf_free(&users);
	kbuf_free(&cts);
	kbuf_free(&ct);
	kbuf_free(&out);
	return err;
}

int pub_drop_notice(struct kcap_publisher *p, __u64 count)
{
	Kcap__V1__DropNotice dn = KCAP__V1__DROP_NOTICE__INIT;
	Kcap__V1__Event ev = KCAP__V1__EVENT__INIT;
	unsigned char buf[128];
	size_t n;

	/* the exporter's own buffer (the spool) was full */
	dn.reason = KCAP__V1__DROP_REASON__DROP_REASON_EXPORT_BACKPRESSURE;
	dn.count = count;
	ev.name = "drop";
	ev.body_case = KCAP__V1__EVENT__BODY_DROP;
	ev.drop = &dn;
	n = kcap__v1__event__get_packed_size(&ev);
	if (n > sizeof(buf))
		return -EMSGSIZE;
	n = kcap__v1__event__pack(&ev, buf);
	return pub_message(p, "drops", "drops", buf, n, 0);
}
