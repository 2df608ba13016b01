// SPDX-License-Identifier: Apache-2.0
/*
 * Export (userspace/lib/export/): every event type of the table as a
 * kcap.v1.Event packed and unpacked again by protobuf-c, its parameters in
 * the right family fields; JSON output checked by a strict JSON parser;
 * Falco-format alerts, filled by hand and straight from kcap_rules_eval();
 * exporter options refused with a reason; back-pressure: a consumer that
 * reads nothing costs drops, never a wait, and the drops come back as a
 * DropNotice in the stream.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/utsname.h>

#include "export/export.h"
#include "kcap_detect.h"
#include "unit.h"

struct evbuf {
	union {
		struct kcap_event_hdr hdr;
		unsigned char bytes[4096];
	};
};

/* A plausible value of each parameter type; returns its length. */
static unsigned int sample(__u16 type, unsigned int i, unsigned char *out)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(8080) };
	__u64 v = 1000 + i;

	switch (type) {
	case KCAP_PT_U16:
		memcpy(out, &v, 2);
		return 2;
	case KCAP_PT_U32:
	case KCAP_PT_S32:
	case KCAP_PT_PID:
	case KCAP_PT_UID:
	case KCAP_PT_GID:
	case KCAP_PT_SYSCALL_NR:
		memcpy(out, &v, 4);
		return 4;
	case KCAP_PT_STR:
	case KCAP_PT_PATH:
		return (unsigned int)sprintf((char *)out, "/tmp/p%u", i);
	case KCAP_PT_BYTES:
		memcpy(out, "\x00\x01\xff", 3);
		return 3;
	case KCAP_PT_SOCKADDR:
		sin.sin_addr.s_addr = htonl(0x7f000001);
		memcpy(out, &sin, sizeof(sin));
		return sizeof(sin);
	case KCAP_PT_STRARRAY:
		memcpy(out, "/bin/ls\0-l\0/tmp\0", 16);
		return 16;
	default:
		memcpy(out, &v, 8);
		return 8;
	}
}

static const struct kcap_event_hdr *build(struct evbuf *b, unsigned int type)
{
	const struct kcap_event_desc *d = kcap_event_desc(type);
	unsigned char *lens = b->bytes + sizeof(b->hdr), *data;
	unsigned int i;

	memset(b, 0, sizeof(*b));
	b->hdr = (struct kcap_event_hdr){ .ts_ns = 5000000000ULL, .tid = 43, .pid = 42,
					  .type = (__u16)type, .nparams = (__u16)d->nparams,
					  .cpu = 1 };
	data = lens + 2 * d->nparams;
	for (i = 0; i < d->nparams; i++) {
		__u16 l = (__u16)sample(d->params[i].type, i, data);

		memcpy(lens + 2 * i, &l, 2);
		data += l;
	}
	if (type != KCAP_EVT_SYSCALL && type != KCAP_EVT_SYSCALL_ENTER && d->nparams &&
	    !strcmp(d->params[0].name, "res")) {
		/* a successful exec returns 0; everything else 3 */
		__s64 res = type == KCAP_EVT_EXECVE || type == KCAP_EVT_EXECVEAT ? 0 : 3;

		memcpy(lens + 2 * d->nparams, &res, 8);
	}
	b->hdr.len = (__u32)(data - b->bytes);
	return &b->hdr;
}

static Kcap__V1__Event *roundtrip(const struct kcap_event_hdr *ev)
{
	static unsigned char buf[65536];
	int n = kcap_event_to_pb(NULL, ev, buf, sizeof(buf));

	assert_true(n > 0 && n <= (int)sizeof(buf));
	return kcap__v1__event__unpack(NULL, (size_t)n, buf);
}

/* Every parameter of a family-mapped event has a field of its name. */
static void test_every_param_has_a_field(void **state)
{
	unsigned int t, i;
	struct export_arena a = { 0 };
	struct export_ctx c = { 0 };

	(void)state;
	assert_int_equal(export_arena_init(&a, 1 << 20), 0);
	for (t = 1; t < KCAP_EVT_NR; t++) {
		const struct kcap_event_desc *d = kcap_event_desc(t);
		struct evbuf b;
		Kcap__V1__Event msg;
		const ProtobufCMessage *sub;

		if (!d || !d->name)
			continue;
		a.used = 0;
		assert_int_equal(export_event_msg(&c, NULL, build(&b, t), &a, &msg), 0);
		if (msg.body_case == KCAP__V1__EVENT__BODY_SYSCALL ||
		    msg.body_case == KCAP__V1__EVENT__BODY_PARAMS)
			continue;
		if (msg.body_case == KCAP__V1__EVENT__BODY__NOT_SET)
			fail_msg("%s: no family", d->name);
		sub = msg.exec ? &msg.exec->base : NULL; /* any union member */
		for (i = 0; i < d->nparams; i++)
			if (!protobuf_c_message_descriptor_get_field_by_name(sub->descriptor,
									     d->params[i].name))
				fail_msg("%s: parameter %s has no field in %s", d->name,
					 d->params[i].name, sub->descriptor->name);
	}
	export_arena_free(&a);
}

/* Every event type packs, unpacks and keeps its header fields. */
static void test_roundtrip_all_types(void **state)
{
	unsigned int t, n = 0;

	(void)state;
	for (t = 1; t < KCAP_EVT_NR; t++) {
		const struct kcap_event_desc *d = kcap_event_desc(t);
		struct evbuf b;
		Kcap__V1__Event *m;

		if (!d || !d->name)
			continue;
		m = roundtrip(build(&b, t));
		if (!m)
			fail_msg("%s: does not unpack", d->name);
		assert_string_equal(m->name, d->name);
		assert_int_equal(m->type, t);
		assert_int_equal(m->pid, 42);
		assert_int_equal(m->tid, 43);
		assert_int_equal(m->cpu, 1);
		assert_int_equal(m->mono_ns, 5000000000ULL);
		if ((d->flags & KCAP_EDF_DECODED) && t > KCAP_EVT_EXECVEAT)
			assert_int_equal(m->res, 3);
		kcap__v1__event__free_unpacked(m, NULL);
		n++;
	}
	assert_true(n >= 90);
}

static void test_family_fields(void **state)
{
	struct evbuf b;
	Kcap__V1__Event *m;

	(void)state;
	m = roundtrip(build(&b, KCAP_EVT_EXECVE));
	assert_int_equal(m->body_case, KCAP__V1__EVENT__BODY_EXEC);
	assert_int_equal(m->exec->n_argv, 3);
	assert_string_equal(m->exec->argv[1], "-l");
	assert_string_equal(m->exec->filename, "/tmp/p1");
	assert_int_equal(m->exec->uid, 1006);
	assert_string_equal(m->process->exe, "/tmp/p4");
	assert_int_equal(m->process->n_args, 2);
	kcap__v1__event__free_unpacked(m, NULL);

	m = roundtrip(build(&b, KCAP_EVT_OPENAT));
	assert_int_equal(m->body_case, KCAP__V1__EVENT__BODY_OPEN);
	assert_int_equal(m->open->res, 3);
	assert_int_equal(m->open->dirfd, 1001);
	assert_string_equal(m->open->name, "/tmp/p2");
	assert_int_equal(m->open->flags, 1003);
	assert_string_equal(m->open->path, "/tmp/p5");
	kcap__v1__event__free_unpacked(m, NULL);

	m = roundtrip(build(&b, KCAP_EVT_CONNECT));
	assert_int_equal(m->body_case, KCAP__V1__EVENT__BODY_NET);
	assert_string_equal(m->net->addr->ip, "127.0.0.1");
	assert_int_equal(m->net->addr->port, 8080);
	assert_int_equal(m->net->addr->family, AF_INET);
	kcap__v1__event__free_unpacked(m, NULL);

	m = roundtrip(build(&b, KCAP_EVT_WRITE));
	assert_int_equal(m->body_case, KCAP__V1__EVENT__BODY_IO);
	assert_int_equal(m->io->direction, KCAP__V1__IO_EVENT__DIRECTION__DIRECTION_WRITE);
	assert_int_equal(m->io->data.len, 3);
	assert_memory_equal(m->io->data.data, "\x00\x01\xff", 3);
	kcap__v1__event__free_unpacked(m, NULL);

	m = roundtrip(build(&b, KCAP_EVT_SETRESUID));
	assert_int_equal(m->body_case, KCAP__V1__EVENT__BODY_SETID);
	assert_int_equal(m->setid->ruid, 1001);
	assert_int_equal(m->setid->suid, 1003);
	kcap__v1__event__free_unpacked(m, NULL);

	m = roundtrip(build(&b, KCAP_EVT_MOUNT));
	assert_int_equal(m->body_case, KCAP__V1__EVENT__BODY_MOUNT);
	assert_string_equal(m->mount->fstype, "/tmp/p3");
	kcap__v1__event__free_unpacked(m, NULL);

	m = roundtrip(build(&b, KCAP_EVT_SOCKETPAIR));
	assert_int_equal(m->body_case, KCAP__V1__EVENT__BODY_SOCKET);
	kcap__v1__event__free_unpacked(m, NULL);

	m = roundtrip(build(&b, KCAP_EVT_PRCTL));
	assert_int_equal(m->body_case, KCAP__V1__EVENT__BODY_PARAMS);
	assert_int_equal(m->params->n_params, 3);
	assert_string_equal(m->params->params[0]->name, "option");
	kcap__v1__event__free_unpacked(m, NULL);

	m = roundtrip(build(&b, KCAP_EVT_SYSCALL));
	assert_int_equal(m->body_case, KCAP__V1__EVENT__BODY_SYSCALL);
	assert_int_equal(m->syscall->nr, 1000);
	assert_int_equal(m->syscall->n_args, 6);
	kcap__v1__event__free_unpacked(m, NULL);

	{
		/* ABI 3: read(3, 0x7ffc12345678, 1) = 1, nr 0 in no bytes */
		static const __u16 lens[5] = { 0, 1, 6, 1, 1 };
		static const unsigned char data[9] = { 3, 0x78, 0x56, 0x34, 0x12, 0xfc, 0x7f, 1, 1 };
		union {
			struct kcap_event_hdr h;
			unsigned char b[64];
		} r = { .h = { .ts_ns = 1, .tid = 2, .pid = 2, .type = KCAP_EVT_SYSCALL,
			       .nparams = 5 } };

		memcpy(r.b + sizeof(r.h), lens, sizeof(lens));
		memcpy(r.b + sizeof(r.h) + sizeof(lens), data, sizeof(data));
		r.h.len = (__u32)(sizeof(r.h) + sizeof(lens) + sizeof(data));
		m = roundtrip(&r.h);
		assert_int_equal(m->body_case, KCAP__V1__EVENT__BODY_SYSCALL);
		assert_int_equal(m->syscall->nr, 0);
		assert_string_equal(m->syscall->name, "read");
		assert_int_equal(m->syscall->n_args, 3);
		assert_int_equal(m->syscall->args[1], 0x7ffc12345678ULL);
		assert_int_equal(m->syscall->res, 1);
		kcap__v1__event__free_unpacked(m, NULL);
	}

	m = roundtrip(build(&b, KCAP_EVT_DROP));
	assert_int_equal(m->body_case, KCAP__V1__EVENT__BODY_DROP);
	assert_int_equal(m->drop->count, 1000 + 1001);
	kcap__v1__event__free_unpacked(m, NULL);
}

/* ---- a strict JSON parser (RFC 8259), enough to reject bad output ---- */

static const char *ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static const char *jvalue(const char *p, int depth);

static const char *jstring(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p != '"') {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
						return NULL;
				p += 4;
			} else if (!strchr("\"\\/bfnrt", *p) || !*p) {
				return NULL;
			}
		}
		p++;
	}
	return p + 1;
}

static const char *jvalue(const char *p, int depth)
{
	p = ws(p);
	if (depth > 64)
		return NULL;
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		bool obj = *p == '{';

		p = ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (obj) {
				p = jstring(ws(p));
				if (!p || *(p = ws(p)) != ':')
					return NULL;
				p++;
			}
			p = jvalue(p, depth + 1);
			if (!p)
				return NULL;
			p = ws(p);
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	if (*p == '"')
		return jstring(p);
	if (!strncmp(p, "true", 4) || !strncmp(p, "null", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	if (*p == '-')
		p++;
	if (*p < '0' || *p > '9')
		return NULL;
	if (*p == '0' && p[1] >= '0' && p[1] <= '9')
		return NULL;
	while (*p >= '0' && *p <= '9')
		p++;
	return p;
}

static bool json_valid(const char *s)
{
	const char *end = jvalue(s, 0);

	return end && !*ws(end);
}

static void test_json_all_types(void **state)
{
	static char buf[65536];
	unsigned int t;

	(void)state;
	assert_false(json_valid("{\"a\":}"));
	assert_false(json_valid("{\"a\":\"\x01\"}"));
	for (t = 1; t < KCAP_EVT_NR; t++) {
		struct evbuf b;
		int n;

		if (!kcap_event_desc(t) || !kcap_event_desc(t)->name)
			continue;
		n = kcap_event_to_json(NULL, build(&b, t), buf, sizeof(buf));
		assert_true(n > 0 && n < (int)sizeof(buf));
		if (!json_valid(buf))
			fail_msg("type %u: invalid JSON: %s", t, buf);
		/* proto3 JSON: lowerCamelCase, 64-bit as strings */
		assert_non_null(strstr(buf, "\"monoNs\":\"5000000000\""));
	}
}

static void test_json_mapping(void **state)
{
	static char buf[65536];
	struct evbuf b;
	struct kcap_event_hdr *ev;
	unsigned char *lens;
	__u16 l;

	(void)state;
	kcap_event_to_json(NULL, build(&b, KCAP_EVT_WRITE), buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"data\":\"AAH/\"")); /* base64 */
	assert_non_null(strstr(buf, "\"direction\":\"DIRECTION_WRITE\"")); /* enum name */
	assert_non_null(strstr(buf, "\"io\":{"));
	/* A path with a quote, a control byte and invalid UTF-8. */
	ev = (struct kcap_event_hdr *)build(&b, KCAP_EVT_UNLINK);
	lens = b.bytes + sizeof(b.hdr);
	l = 6;
	memcpy(lens + 2, &l, 2);
	memcpy(lens + 4 + 8, "a\"\x01\xff\n/", 6);
	ev->len = (__u32)(sizeof(b.hdr) + 4 + 8 + 6);
	kcap_event_to_json(NULL, ev, buf, sizeof(buf));
	assert_true(json_valid(buf));
	assert_non_null(strstr(buf, "\"path\":\"a\\\"\\u0001\xef\xbf\xbd\\n/\""));
}

/*
 * An alert filled by hand, under the struct's earlier name: Falco's JSON
 * (numbers and booleans bare where flagged, "<NA>" as null, a flagged value
 * that is not a number quoted) and kcap.v1.Alert.
 */
static void test_alert_json(void **state)
{
	static const char *const names[] = { "proc.name", "proc.pid",	"fd.name",
					     "evt.failed", "fd.sport", "proc.tty" };
	static const char *const vals[] = { "bash", "4242", "/etc/shadow", "false", "<NA>", "01" };
	static const unsigned char num[] = { 0, 1, 0, 1, 1, 1 };
	static const char *const tags[] = { "filesystem", "mitre_credential_access" };
	char buf[4096];
	Kcap__V1__Alert *m;
	int n;
	KCAP_OPTS(kcap_export_alert, al, .time_ns = 1700000000123456789LL,
		  .rule = "Read sensitive file", .priority = 4 /* Warning */,
		  .output = "Sensitive file opened (file=/etc/shadow)", .tags = tags, .nr_tags = 2,
		  .nr_fields = 6, .field_names = names, .field_values = vals, .field_numeric = num,
		  .hostname = "node-1");

	(void)state;
	/* "output" is Falco's text line: local time of day, priority, output */
	setenv("TZ", "UTC", 1);
	tzset();
	n = kcap_alert_to_json(&al, buf, sizeof(buf));
	assert_true(n > 0 && n < (int)sizeof(buf));
	assert_true(json_valid(buf));
	assert_string_equal(buf,
			    "{\"hostname\":\"node-1\","
			    "\"output\":\"22:13:20.123456789: Warning "
			    "Sensitive file opened (file=/etc/shadow)\","
			    "\"priority\":\"Warning\",\"rule\":\"Read sensitive file\","
			    "\"source\":\"syscall\","
			    "\"tags\":[\"filesystem\",\"mitre_credential_access\"],"
			    "\"time\":\"2023-11-14T22:13:20.123456789Z\","
			    "\"output_fields\":{\"proc.name\":\"bash\",\"proc.pid\":4242,"
			    "\"fd.name\":\"/etc/shadow\",\"evt.failed\":false,\"fd.sport\":null,"
			    "\"proc.tty\":\"01\"}}");
	n = kcap_alert_to_pb(&al, buf, sizeof(buf));
	assert_true(n > 0);
	m = kcap__v1__alert__unpack(NULL, (size_t)n, (uint8_t *)buf);
	assert_non_null(m);
	assert_int_equal(m->priority, KCAP__V1__PRIORITY__PRIORITY_WARNING);
	assert_int_equal(m->n_output_fields, 6);
	assert_string_equal(m->output_fields[1]->key, "proc.pid");
	assert_string_equal(m->output_fields[4]->value, "<NA>");
	assert_int_equal(m->n_numeric_fields, 4);
	kcap__v1__alert__free_unpacked(m, NULL);
}

static void expect_refused(const struct kcap_export_opts *o, const char *why)
{
	struct kcap_exporter *x = kcap_exporter_open(o);

	assert_null(x);
	assert_int_equal(errno, EINVAL);
	if (!strstr(o->errbuf, why))
		fail_msg("'%s' does not say '%s'", o->errbuf, why);
}

static void test_bad_options(void **state)
{
	char err[256];
	KCAP_OPTS(kcap_export_opts, o, .errbuf = err, .errbuf_sz = sizeof(err));

	(void)state;
	o.listen = "tcp:0.0.0.0:9000";
	expect_refused(&o, "only loopback");
	o.listen = "tcp:127.0.0.1:99999";
	expect_refused(&o, "bad port");
	o.listen = "tcp:127.0.0.1";
	expect_refused(&o, "need tcp:HOST:PORT");
	o.listen = "udp:127.0.0.1:53";
	expect_refused(&o, "need tcp:HOST:PORT, unix:PATH or unixpacket:PATH");
	o.listen = "unix:";
	expect_refused(&o, "socket path");
	o.listen = "tcp:127.0.0.1:0";
	o.path = "/tmp/x";
	expect_refused(&o, "not both");
	o.listen = NULL;
	o.path = NULL;
	o.format = 7;
	expect_refused(&o, "unknown export format");
	o.format = KCAP_EXPORT_JSON;
	o.buffer_bytes = 1000;
	expect_refused(&o, "must be 64K..4G");
}

/* Reads one varint-delimited frame from @p; returns its length. */
static size_t frame_at(const unsigned char *p, size_t avail, const unsigned char **msg)
{
	size_t n = 0, i = 0;
	unsigned int shift = 0;

	while (i < avail) {
		n |= (size_t)(p[i] & 0x7f) << shift;
		shift += 7;
		if (!(p[i++] & 0x80))
			break;
	}
	*msg = p + i;
	return i + n <= avail ? n : (size_t)-1;
}

static void test_backpressure(void **state)
{
	static unsigned char in[4 << 20];
	struct kcap_export_stats st;
	struct kcap_exporter *x;
	const unsigned char *msg;
	size_t got = 0, off, n;
	__u64 notified = 0, events = 0;
	struct evbuf b;
	int sv[2], i;
	ssize_t r;
	KCAP_OPTS(kcap_export_opts, o, .buffer_bytes = 64 << 10);

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	o.fd = sv[0];
	x = kcap_exporter_open(&o);
	assert_non_null(x);
	build(&b, KCAP_EVT_OPENAT);
	/* Nobody reads: the socket buffer and the 64K fill up, then drops. */
	for (i = 0; i < 20000; i++)
		assert_int_equal(kcap_exporter_event(x, NULL, &b.hdr), 0);
	kcap_exporter_stats(x, &st, sizeof(st));
	assert_true(st.dropped > 0);
	assert_true(st.max_queued_bytes <= 64 << 10);
	/* The consumer catches up: the next event is preceded by a notice. */
	do {
		r = read(sv[1], in + got, sizeof(in) - got);
		if (r > 0)
			got += (size_t)r;
		kcap_exporter_poll(x, 10);
	} while (r > 0 && kcap_exporter_stats(x, &st, sizeof(st)) == 0 && st.queued_bytes);
	assert_int_equal(kcap_exporter_event(x, NULL, &b.hdr), 0);
	assert_int_equal(kcap_exporter_flush(x, 1000), 0);
	shutdown(sv[0], SHUT_WR);
	while ((r = read(sv[1], in + got, sizeof(in) - got)) > 0)
		got += (size_t)r;
	kcap_exporter_stats(x, &st, sizeof(st));
	for (off = 0; off < got; off = (size_t)(msg - in) + n) {
		Kcap__V1__Event *m;

		n = frame_at(in + off, got - off, &msg);
		assert_true(n != (size_t)-1);
		m = kcap__v1__event__unpack(NULL, n, msg);
		assert_non_null(m);
		if (m->body_case == KCAP__V1__EVENT__BODY_DROP) {
			assert_int_equal(m->drop->reason,
					 KCAP__V1__DROP_REASON__DROP_REASON_EXPORT_BACKPRESSURE);
			notified += m->drop->count;
		} else if (m->body_case == KCAP__V1__EVENT__BODY_OPEN) {
			events++;
		}
		kcap__v1__event__free_unpacked(m, NULL);
	}
	assert_int_equal(notified, st.dropped);
	assert_int_equal(events + st.dropped, 20001);
	assert_true(st.drop_notices >= 1);
	kcap_exporter_close(x);
	close(sv[0]);
	close(sv[1]);
}

/* ---- process context from a thread table ------------------------------------ */

/* An event of @type from @tid with the parameters @v[i] of @l[i] bytes. */
static const struct kcap_event_hdr *mkev(struct evbuf *b, unsigned int type, __u32 tid,
					 unsigned int n, const void *const *v,
					 const unsigned int *l)
{
	unsigned int i, off = sizeof(b->hdr) + 2 * n;

	memset(b, 0, sizeof(*b));
	b->hdr = (struct kcap_event_hdr){ .ts_ns = 1000 + tid, .tid = tid, .pid = tid,
					  .type = (__u16)type, .nparams = (__u16)n };
	for (i = 0; i < n; i++) {
		__u16 len = (__u16)l[i];

		memcpy(b->bytes + sizeof(b->hdr) + 2 * i, &len, 2);
		memcpy(b->bytes + off, v[i], len);
		off += len;
	}
	b->hdr.len = off;
	return &b->hdr;
}

#define CG "/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope"

/*
 * sh (200) forks 201, which execs "cat -n /etc/hosts" in a docker cgroup
 * and opens /etc/hosts: with a thread table the openat, which carries no
 * process data itself, gets the exec'd image, credentials and container,
 * and the fork's child its parent's; without one, pid and tid only.
 */
static void test_process_from_state(void **state)
{
	static const char argv[] = "cat\0-n\0/etc/hosts";
	__s64 zero = 0, fd = 3, dirfd = -100, flags = 0;
	__u32 child = 201, uid = 1000, gid = 100, lu = 1000, tty = 0, vpid = 201, mode = 0;
	const void *fork_v[] = { &child, &child, "sh" };
	const unsigned int fork_l[] = { 4, 4, 2 };
	const void *exec_v[] = { &zero, "/bin/cat", argv,  "/srv", "/bin/cat", "cat", &uid,
				 &gid,	&uid,	    &lu,   &tty,   &vpid,      &vpid, CG };
	const unsigned int exec_l[] = { 8, 8, sizeof(argv), 4, 8, 3, 4, 4, 4, 4, 4, 4, 4,
					sizeof(CG) - 1 };
	const void *open_v[] = { &fd, &dirfd, "/etc/hosts", &flags, &mode, "/etc/hosts" };
	const unsigned int open_l[] = { 8, 8, 10, 8, 4, 10 };
	struct kcap_state_opts so = { .sz = sizeof(so), .passwd = "/nonexistent" };
	struct kcap_state *st = kcap_state_new(&so);
	static unsigned char out[65536];
	const unsigned char *msg;
	struct kcap_exporter *x;
	struct evbuf b;
	Kcap__V1__Event *m;
	size_t n;
	int sv[2], k;
	ssize_t got;
	KCAP_OPTS(kcap_export_opts, o, .flags = KCAP_EXPORT_BLOCK, .state = st);

	(void)state;
	assert_non_null(st);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	o.fd = sv[0];
	x = kcap_exporter_open(&o);
	assert_non_null(x);
	mkev(&b, KCAP_EVT_PROC_FORK, 200, 3, fork_v, fork_l);
	assert_int_equal(kcap_state_update(st, NULL, &b.hdr), 0);
	assert_int_equal(kcap_exporter_event(x, NULL, &b.hdr), 0);
	mkev(&b, KCAP_EVT_EXECVE, 201, 14, exec_v, exec_l);
	assert_int_equal(kcap_state_update(st, NULL, &b.hdr), 0);
	assert_int_equal(kcap_exporter_event(x, NULL, &b.hdr), 0);
	mkev(&b, KCAP_EVT_OPENAT, 201, 6, open_v, open_l);
	assert_int_equal(kcap_state_update(st, NULL, &b.hdr), 0);
	assert_int_equal(kcap_exporter_event(x, NULL, &b.hdr), 0);
	assert_int_equal(kcap_exporter_flush(x, 1000), 0);
	kcap_exporter_close(x);
	close(sv[0]);
	got = read(sv[1], out, sizeof(out));
	close(sv[1]);
	assert_true(got > 0);

	/* header, fork, exec, openat */
	msg = out;
	for (k = 0; k < 4; k++) {
		const unsigned char *p = msg;

		n = frame_at(p, (size_t)(out + got - p), &msg);
		assert_true(n != (size_t)-1);
		m = kcap__v1__event__unpack(NULL, n, msg);
		assert_non_null(m);
		msg += n;
		if (k == 1) {
			assert_int_equal(m->body_case, KCAP__V1__EVENT__BODY_FORK);
			assert_string_equal(m->process->comm, "sh");
			assert_null(m->container);
		} else if (k == 3) {
			Kcap__V1__Process *p = m->process;

			assert_int_equal(m->body_case, KCAP__V1__EVENT__BODY_OPEN);
			assert_non_null(p);
			assert_int_equal(p->pid, 201);
			assert_int_equal(p->ppid, 200);
			assert_string_equal(p->comm, "cat");
			assert_string_equal(p->exe, "/bin/cat");
			assert_int_equal(p->n_args, 2);
			assert_string_equal(p->args[0], "-n");
			assert_string_equal(p->args[1], "/etc/hosts");
			assert_string_equal(p->cwd, "/srv");
			assert_int_equal(p->uid, 1000);
			assert_int_equal(p->gid, 100);
			assert_int_equal(p->loginuid, 1000);
			assert_int_equal(p->vpid, 201);
			assert_string_equal(p->cgroup, CG);
			assert_non_null(m->container);
			assert_string_equal(m->container->id, "0123456789ab");
			assert_string_equal(m->container->runtime, "docker");
			assert_int_equal(strlen(m->container->full_id), 64);
		}
		kcap__v1__event__free_unpacked(m, NULL);
	}
	assert_true(msg == out + got);

	/* Without a table the openat knows its pid and tid only. */
	m = roundtrip(mkev(&b, KCAP_EVT_OPENAT, 201, 6, open_v, open_l));
	assert_int_equal(m->process->pid, 201);
	assert_string_equal(m->process->comm, "");
	assert_null(m->container);
	kcap__v1__event__free_unpacked(m, NULL);
	/* ... and an exec event its own image and container. */
	m = roundtrip(mkev(&b, KCAP_EVT_EXECVE, 201, 14, exec_v, exec_l));
	assert_string_equal(m->process->exe, "/bin/cat");
	assert_non_null(m->container);
	assert_string_equal(m->container->id, "0123456789ab");
	kcap__v1__event__free_unpacked(m, NULL);
	kcap_state_free(st);
}

/* ---- alerts straight from the rule engine ------------------------------------ */

struct encoded {
	unsigned int n;
	char output[512];
	char json[4096];
	unsigned char pb[4096];
	int pb_len;
	struct kcap_exporter *x;
};

/* The kcap_rules_eval() callback: the alert goes to the encoders and the
 * exporter as it is (its pointers are valid here only). */
static int encode_alert(void *ctx, const struct kcap_alert *a)
{
	struct encoded *e = ctx;
	int n;

	e->n++;
	assert_int_equal(a->sz, sizeof(*a));
	assert_true(a->wall_ns == a->time_ns);
	assert_non_null(a->ev);
	assert_int_equal(a->field_types[0], KCAP_FT_INT);
	snprintf(e->output, sizeof(e->output), "%s", a->output);
	n = kcap_alert_to_json(a, e->json, sizeof(e->json));
	assert_true(n > 0 && n < (int)sizeof(e->json));
	e->pb_len = kcap_alert_to_pb(a, e->pb, sizeof(e->pb));
	assert_true(e->pb_len > 0 && e->pb_len <= (int)sizeof(e->pb));
	assert_int_equal(kcap_exporter_alert(e->x, a), 0);
	return 0;
}

/*
 * The openat of test_process_from_state's cat matches a rule; the alert
 * kcap_rules_eval() hands out is encoded without conversion: Falco's JSON
 * (evt.time first, as a number, once although the output names it too),
 * the same line from a JSON exporter, and a kcap.v1.Alert.
 */
static void test_alert_from_rules(void **state)
{
	static const char rules[] =
		"- rule: Hosts read\n"
		"  desc: d\n"
		"  condition: evt.type = openat and fd.name = /etc/hosts\n"
		"  output: \"%proc.name read %fd.name (pid=%proc.pid failed=%evt.failed"
		" sport=%fd.sport container=%container.id at %evt.time)\"\n"
		"  priority: WARNING\n"
		"  tags: [filesystem, \"quote\\\"d\"]\n";
	static const char argv[] = "cat\0-n\0/etc/hosts";
	__s64 zero = 0, fd = 3, dirfd = -100, flags = 0;
	__u32 child = 201, uid = 1000, gid = 100, lu = 1000, tty = 0, vpid = 201, mode = 0;
	const void *fork_v[] = { &child, &child, "sh" };
	const unsigned int fork_l[] = { 4, 4, 2 };
	const void *exec_v[] = { &zero, "/bin/cat", argv,  "/srv", "/bin/cat", "cat", &uid,
				 &gid,	&uid,	    &lu,   &tty,   &vpid,      &vpid, CG };
	const unsigned int exec_l[] = { 8, 8, sizeof(argv), 4, 8, 3, 4, 4, 4, 4, 4, 4, 4,
					sizeof(CG) - 1 };
	const void *open_v[] = { &fd, &dirfd, "/etc/hosts", &flags, &mode, "/etc/hosts" };
	const unsigned int open_l[] = { 8, 8, 10, 8, 4, 10 };
	const unsigned int types[] = { KCAP_EVT_PROC_FORK, KCAP_EVT_EXECVE, KCAP_EVT_OPENAT };
	const unsigned int tids[] = { 200, 201, 201 }, nparams[] = { 3, 14, 6 };
	const void *const *vals[] = { fork_v, exec_v, open_v };
	const unsigned int *lens[] = { fork_l, exec_l, open_l };
	struct kcap_state_opts so = { .sz = sizeof(so), .passwd = "/nonexistent" };
	struct kcap_state *st = kcap_state_new(&so);
	struct kcap_rules *r = kcap_rules_new();
	static struct encoded e;
	char expect[4096], line[8192], prefix[64];
	const char *out_at;
	struct tm tm;
	struct utsname u;
	Kcap__V1__Alert *m;
	struct evbuf b;
	int sv[2], k;
	ssize_t got;
	KCAP_OPTS(kcap_export_opts, o, .format = KCAP_EXPORT_JSON, .flags = KCAP_EXPORT_BLOCK);

	(void)state;
	assert_non_null(st);
	assert_non_null(r);
	assert_int_equal(kcap_rules_load_string(r, "t.yaml", rules), 0);
	assert_int_equal(kcap_rules_compile(r), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	o.fd = sv[0];
	memset(&e, 0, sizeof(e));
	e.x = kcap_exporter_open(&o);
	assert_non_null(e.x);
	for (k = 0; k < 3; k++) {
		mkev(&b, types[k], tids[k], nparams[k], vals[k], lens[k]);
		assert_int_equal(kcap_state_update(st, NULL, &b.hdr), 0);
		assert_int_equal(kcap_rules_eval(r, st, NULL, &b.hdr, encode_alert, &e), k == 2);
	}
	assert_int_equal(e.n, 1);
	assert_int_equal(kcap_exporter_flush(e.x, 1000), 0);
	kcap_exporter_close(e.x);
	close(sv[0]);
	got = read(sv[1], line, sizeof(line) - 1);
	close(sv[1]);
	assert_true(got > 0);
	line[got] = '\0';

	/* "output" starts with Falco's "TIME: Priority " in local time */
	localtime_r(&(time_t){ 0 }, &tm);
	snprintf(prefix, sizeof(prefix), "%02d:%02d:%02d.000001201: Warning ", tm.tm_hour,
		 tm.tm_min, tm.tm_sec);
	/* the output names evt.time in local time: check up to there */
	out_at = "cat read /etc/hosts (pid=201 failed=false sport=<NA> container=0123456789ab at ";
	assert_memory_equal(e.output, out_at, strlen(out_at));
	assert_true(json_valid(e.json));
	uname(&u);
	snprintf(expect, sizeof(expect),
		 "{\"hostname\":\"%s\",\"output\":\"%s%s\",\"priority\":\"Warning\","
		 "\"rule\":\"Hosts read\",\"source\":\"syscall\","
		 "\"tags\":[\"filesystem\",\"quote\\\"d\"],"
		 "\"time\":\"1970-01-01T00:00:00.000001201Z\","
		 "\"output_fields\":{\"evt.time\":1201,\"proc.name\":\"cat\","
		 "\"fd.name\":\"/etc/hosts\",\"proc.pid\":201,\"evt.failed\":false,"
		 "\"fd.sport\":null,\"container.id\":\"0123456789ab\"}}",
		 u.nodename, prefix, e.output);
	assert_string_equal(e.json, expect);
	/* the exporter: its StreamHeader line, then the same alert line */
	assert_non_null(strchr(line, '\n'));
	strcat(expect, "\n");
	assert_string_equal(strchr(line, '\n') + 1, expect);

	m = kcap__v1__alert__unpack(NULL, (size_t)e.pb_len, e.pb);
	assert_non_null(m);
	assert_int_equal(m->time_ns, 1201);
	assert_string_equal(m->rule, "Hosts read");
	assert_int_equal(m->priority, KCAP__V1__PRIORITY__PRIORITY_WARNING);
	assert_string_equal(m->output, e.output);
	assert_string_equal(m->source, "syscall");
	assert_string_equal(m->hostname, u.nodename);
	assert_int_equal(m->n_tags, 2);
	assert_string_equal(m->tags[0], "filesystem");
	assert_string_equal(m->tags[1], "quote\"d");
	assert_int_equal(m->n_output_fields, 7);
	{
		static const char *const keys[] = { "evt.time",	  "proc.name",	"fd.name",
						    "proc.pid",	  "evt.failed", "fd.sport",
						    "container.id" };
		static const char *const values[] = { "1201",  "cat",  "/etc/hosts",  "201",
						      "false", "<NA>", "0123456789ab" };

		for (k = 0; k < 7; k++) {
			assert_string_equal(m->output_fields[k]->key, keys[k]);
			assert_string_equal(m->output_fields[k]->value, values[k]);
		}
	}
	assert_int_equal(m->n_numeric_fields, 4);
	assert_string_equal(m->numeric_fields[0], "evt.time");
	assert_string_equal(m->numeric_fields[1], "proc.pid");
	assert_string_equal(m->numeric_fields[2], "evt.failed");
	assert_string_equal(m->numeric_fields[3], "fd.sport");
	kcap__v1__alert__free_unpacked(m, NULL);
	kcap_rules_free(r);
	kcap_state_free(st);
}

static const struct CMUnitTest export_tests[] = {
	cmocka_unit_test(test_every_param_has_a_field),
	cmocka_unit_test(test_roundtrip_all_types),
	cmocka_unit_test(test_family_fields),
	cmocka_unit_test(test_json_all_types),
	cmocka_unit_test(test_json_mapping),
	cmocka_unit_test(test_alert_json),
	cmocka_unit_test(test_bad_options),
	cmocka_unit_test(test_backpressure),
	cmocka_unit_test(test_process_from_state),
	cmocka_unit_test(test_alert_from_rules),
};

UNIT_GROUP(export, export_tests)
