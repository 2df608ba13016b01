// SPDX-License-Identifier: Apache-2.0
/*
 * kcap_exporter: messages framed for a file, stdout, or one client of a
 * loopback TCP or unix listener, behind a bounded buffer.
 *
 * The buffer holds whole frames back to back (buf[head..tail)) and their
 * lengths (lens[lh..lt)); cur_off bytes of the first frame are written.
 * Output never blocks the caller (unless KCAP_EXPORT_BLOCK): a frame that
 * does not fit is dropped and counted, and a DropNotice goes into the
 * stream before the next frame that fits. A listener client that goes away
 * mid-frame loses the rest of that frame only; the next client starts at a
 * frame boundary with a fresh StreamHeader.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>

#include "export.h"

/* Room kept for a DropNotice in a full buffer. */
#define NOTICE_RESERVE 128
/* Write when this much is queued, or when the last write is this old. */
#define PUMP_BYTES (64U << 10)
#define PUMP_NS 10000000LL

struct kcap_exporter {
	enum kcap_export_format format;
	__u32 flags;
	int out_fd; /* file, stdout, fd: -1 with a listener */
	bool own_fd;
	int saved_fl; /* stdout's file status flags to restore, or -1 */
	int listen_fd;
	int client_fd;
	int sock_type; /* SOCK_STREAM or SOCK_SEQPACKET for listeners */
	bool packets; /* one message per send(), no length prefix */
	bool is_sock; /* out_fd or client is a socket: send(MSG_NOSIGNAL) */
	char unix_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char address[128];

	unsigned char *buf;
	size_t cap, head, tail, cur_off;
	__u32 *lens;
	size_t lens_cap, lh, lt;

	unsigned char *hdr; /* the StreamHeader frame, sent to each client first */
	size_t hdr_len, hdr_off;
	bool hdr_pending;

	struct export_ctx ctx;
	struct export_arena arena;
	struct export_buf json;
	char hostname[256];
	__u64 seq;
	__u64 pending_drops, first_drop_ns, last_drop_ns;
	long long last_pump_ns;
	int broken;
	struct kcap_export_stats st;
	char errmsg[KCAP_ERRMSG_LEN];
};

static int xerr(struct kcap_exporter *x, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int xerr(struct kcap_exporter *x, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->errmsg, sizeof(x->errmsg), fmt, ap);
	va_end(ap);
	return err;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static size_t varint(unsigned char *p, size_t v)
{
	size_t n = 0;

	do {
		p[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	return n;
}

/* ---- The buffer --------------------------------------------------------- */

/* Room for a frame of @n bytes, keeping @reserve free; NULL if none. */
static unsigned char *room(struct kcap_exporter *x, size_t n, size_t reserve)
{
	size_t used = x->tail - x->head;

	if (n + reserve > x->cap - used)
		return NULL;
	if (x->lt == x->lens_cap) {
		if (x->lh) {
			memmove(x->lens, x->lens + x->lh, (x->lt - x->lh) * sizeof(*x->lens));
			x->lt -= x->lh;
			x->lh = 0;
		} else {
			size_t cap = x->lens_cap ? 2 * x->lens_cap : 1024;
			__u32 *l = realloc(x->lens, cap * sizeof(*l));

			if (!l)
				return NULL;
			x->lens = l;
			x->lens_cap = cap;
		}
	}
	if (x->cap - x->tail < n) {
		memmove(x->buf, x->buf + x->head, used);
		x->head = 0;
		x->tail = used;
	}
	return x->buf + x->tail;
}

static void commit(struct kcap_exporter *x, size_t n)
{
	x->tail += n;
	x->lens[x->lt++] = (__u32)n;
	x->st.messages++;
	x->st.queued_bytes = x->tail - x->head;
	if (x->st.queued_bytes > x->st.max_queued_bytes)
		x->st.max_queued_bytes = x->st.queued_bytes;
}

static void consume(struct kcap_exporter *x, size_t n)
{
	x->head += n;
	x->cur_off += n;
	while (x->lh < x->lt && x->cur_off >= x->lens[x->lh]) {
		x->cur_off -= x->lens[x->lh++];
		x->st.written++;
	}
	if (x->head == x->tail) {
		x->head = x->tail = x->cur_off = 0;
		x->lh = x->lt = 0;
	}
	x->st.queued_bytes = x->tail - x->head;
}

/* ---- Output ---------------------------------------------------------------- */

static void client_gone(struct kcap_exporter *x)
{
	close(x->client_fd);
	x->client_fd = -1;
	if (x->cur_off) {
		/* The rest of a cut frame would corrupt the next client's stream. */
		size_t rest = x->lens[x->lh] - x->cur_off;

		x->st.lost_partial++;
		consume(x, rest);
	}
}

static void try_accept(struct kcap_exporter *x)
{
	int fd;

	if (x->listen_fd < 0 || x->client_fd >= 0)
		return;
	fd = accept4(x->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	x->client_fd = fd;
	x->st.clients++;
	x->hdr_pending = true;
	x->hdr_off = 0;
}

static int out_fd(const struct kcap_exporter *x)
{
	return x->listen_fd >= 0 ? x->client_fd : x->out_fd;
}

static ssize_t out_write(struct kcap_exporter *x, int fd, const void *p, size_t n)
{
	if (x->is_sock)
		return send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	return write(fd, p, n);
}

/* A write failed with @e: a listener drops its client, a file is broken. */
static int out_failed(struct kcap_exporter *x, int e)
{
	if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR)
		return 0;
	if (x->listen_fd >= 0) {
		client_gone(x);
		return 0;
	}
	x->broken = -e;
	return xerr(x, -e, "writing the export stream: %s", strerror(e));
}

/* Writes what the output takes now. 0 or a negative errno (file broken). */
static int pump(struct kcap_exporter *x)
{
	ssize_t n;
	size_t len;
	int fd;

	if (x->broken)
		return x->broken;
	x->last_pump_ns = now_ns();
	try_accept(x);
	fd = out_fd(x);
	if (fd < 0)
		return 0;
	while (x->hdr_pending) {
		n = out_write(x, fd, x->hdr + x->hdr_off, x->hdr_len - x->hdr_off);
		if (n < 0)
			return out_failed(x, errno);
		x->hdr_off += (size_t)n;
		x->st.bytes += (__u64)n;
		x->hdr_pending = x->hdr_off < x->hdr_len;
	}
	while (x->head < x->tail) {
		len = x->packets ? x->lens[x->lh] : x->tail - x->head;
		n = out_write(x, fd, x->buf + x->head, len);
		if (n < 0)
			return out_failed(x, errno);
		x->st.bytes += (__u64)n;
		consume(x, (size_t)n);
	}
	return 0;
}

/* Waits up to @ms for the output to take data (or a client to come). */
static int wait_out(struct kcap_exporter *x, int ms)
{
	struct pollfd p = { .fd = out_fd(x), .events = POLLOUT };

	if (p.fd < 0) {
		p.fd = x->listen_fd;
		p.events = POLLIN;
	}
	if (poll(&p, 1, ms) < 0 && errno == EINTR)
		return -EINTR;
	return 0;
}

static bool idle(const struct kcap_exporter *x)
{
	return x->head == x->tail && !x->hdr_pending;
}

int kcap_exporter_poll(struct kcap_exporter *x, int timeout_ms)
{
	int err = pump(x);

	if (err || !timeout_ms || (idle(x) && x->listen_fd < 0))
		return err;
	if (idle(x) && x->client_fd >= 0)
		return 0;
	err = wait_out(x, timeout_ms);
	return err ? err : pump(x);
}

int kcap_exporter_flush(struct kcap_exporter *x, int timeout_ms)
{
	long long end = now_ns() + timeout_ms * 1000000LL;
	int err, left;

	for (;;) {
		err = pump(x);
		if (err || idle(x))
			return err;
		left = timeout_ms < 0 ? -1 : (int)((end - now_ns()) / 1000000);
		if (timeout_ms >= 0 && left <= 0)
			return xerr(x, -ETIMEDOUT, "%llu bytes not taken by the consumer in time",
				    (unsigned long long)(x->tail - x->head));
		err = wait_out(x, left < 0 || left > 100 ? 100 : left);
		if (err)
			return err;
	}
}

/* ---- Framing ------------------------------------------------------------- */

/* Encodes @m into a frame; *out: where it is (in the buffer or @tmp). */
static int frame(struct kcap_exporter *x, const ProtobufCMessage *m, bool alert, size_t reserve,
		 unsigned char **at, size_t *n)
{
	size_t size, pre;
	unsigned char *p;
	int err;

	if (x->format == KCAP_EXPORT_JSON) {
		x->json.len = 0;
		err = alert ? export_json_alert(&x->json, (const Kcap__V1__Alert *)m)
			    : export_json_msg(&x->json, m);
		if (err)
			return err;
		size = x->json.len + !x->packets;
		p = room(x, size, reserve);
		if (!p)
			return -ENOSPC;
		memcpy(p, x->json.p, x->json.len);
		if (!x->packets)
			p[size - 1] = '\n';
	} else {
		unsigned char v[10];

		size = protobuf_c_message_get_packed_size(m);
		pre = x->packets ? 0 : varint(v, size);
		p = room(x, pre + size, reserve);
		if (!p)
			return -ENOSPC;
		memcpy(p, v, pre);
		protobuf_c_message_pack(m, p + pre);
		size += pre;
	}
	*at = p;
	*n = size;
	return 0;
}

static int queue_notice(struct kcap_exporter *x)
{
	Kcap__V1__DropNotice dn = KCAP__V1__DROP_NOTICE__INIT;
	Kcap__V1__Event ev = KCAP__V1__EVENT__INIT;
	unsigned char *p;
	size_t n;
	int err;

	dn.reason = KCAP__V1__DROP_REASON__DROP_REASON_EXPORT_BACKPRESSURE;
	dn.count = x->pending_drops;
	dn.first_mono_ns = x->first_drop_ns;
	dn.last_mono_ns = x->last_drop_ns;
	dn.total_dropped = x->st.dropped;
	ev.mono_ns = x->last_drop_ns;
	ev.time_ns = x->last_drop_ns ? (uint64_t)(x->ctx.boot_wall_ns + (__s64)x->last_drop_ns) : 0;
	ev.source = x->ctx.source;
	ev.name = "export_drop";
	ev.seq = ++x->seq;
	ev.body_case = KCAP__V1__EVENT__BODY_DROP;
	ev.drop = &dn;
	err = frame(x, &ev.base, false, 0, &p, &n);
	if (err)
		return err;
	commit(x, n);
	x->st.drop_notices++;
	x->pending_drops = 0;
	return 0;
}

/* Queues message @m (an Event, or an Alert for JSON) at time @ts. */
static int queue(struct kcap_exporter *x, const ProtobufCMessage *m, bool alert, __u64 ts)
{
	unsigned char *p;
	size_t n;
	int err;

	for (;;) {
		err = x->pending_drops ? queue_notice(x) : 0;
		if (!err)
			err = frame(x, m, alert, NOTICE_RESERVE, &p, &n);
		if (err != -ENOSPC || !(x->flags & KCAP_EXPORT_BLOCK))
			break;
		err = pump(x);
		if (!err && x->head != x->tail)
			err = wait_out(x, 100);
		if (err)
			return err;
	}
	if (err == -ENOSPC) {
		if (!x->pending_drops++)
			x->first_drop_ns = ts;
		x->last_drop_ns = ts;
		x->st.dropped++;
		err = 0;
	} else if (!err) {
		commit(x, n);
	} else {
		return xerr(x, err, "encoding a message: %s", strerror(-err));
	}
	if (x->tail - x->head >= PUMP_BYTES || now_ns() - x->last_pump_ns >= PUMP_NS)
		return pump(x);
	return x->broken;
}

int kcap_exporter_event(struct kcap_exporter *x, struct kcap *h, const struct kcap_event_hdr *ev)
{
	Kcap__V1__Event msg;
	int err;

	if (x->broken)
		return x->broken;
	err = export_arena_init(&x->arena, 16 * (size_t)ev->len + 16384 +
						   export_process_size(&x->ctx, h, ev));
	if (!err)
		err = export_event_msg(&x->ctx, h, ev, &x->arena, &msg);
	if (err)
		return xerr(x, err, "event type %u at %llu: %s", ev->type,
			    (unsigned long long)ev->ts_ns,
			    err == -EBADMSG ? "malformed record" : strerror(-err));
	msg.seq = ++x->seq;
	return queue(x, &msg.base, false, ev->ts_ns);
}

int kcap_exporter_alert(struct kcap_exporter *x, const struct kcap_alert *a)
{
	Kcap__V1__Event msg = KCAP__V1__EVENT__INIT;
	Kcap__V1__Alert al;
	int err;

	if (x->broken)
		return x->broken;
	if (!a || !kcap__opts_valid(a, sizeof(*a), a->sz))
		return xerr(x, -EINVAL, "alert: bad kcap_alert (sz)");
	err = export_arena_init(&x->arena, 65536);
	if (!err)
		err = export_alert_msg(a, x->hostname, &x->arena, &al);
	if (err)
		return xerr(x, err, "alert: %s", strerror(-err));
	msg.time_ns = al.time_ns;
	msg.source = KCAP__V1__SOURCE__SOURCE_RULES;
	msg.name = "alert";
	msg.seq = ++x->seq;
	msg.body_case = KCAP__V1__EVENT__BODY_ALERT;
	msg.alert = &al;
	if (x->format == KCAP_EXPORT_JSON)
		return queue(x, &al.base, true, 0);
	return queue(x, &msg.base, false, 0);
}

/* ---- Opening ----------------------------------------------------------------- */

static void read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");

	buf[0] = '\0';
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* The StreamHeader frame, kept apart and sent first to every consumer. */
static int make_header(struct kcap_exporter *x, struct kcap *src)
{
	Kcap__V1__StreamHeader sh = KCAP__V1__STREAM_HEADER__INIT;
	Kcap__V1__Event ev = KCAP__V1__EVENT__INIT;
	struct kcap_file_info fi;
	struct kcap_version v;
	struct utsname u;
	char boot_id[64], producer[32];
	unsigned int lv = kcap_lib_version();
	struct timespec now;
	unsigned char *p;
	size_t n;
	int err;

	sh.schema = KCAP_SCHEMA;
	sh.schema_minor = KCAP_SCHEMA_MINOR;
	sh.abi_major = KCAP_ABI_MAJOR;
	sh.abi_minor = KCAP_ABI_MINOR;
	if (src && kcap_file_info(src, &fi, sizeof(fi)) == 0) {
		snprintf(x->hostname, sizeof(x->hostname), "%s", fi.hostname);
		sh.kernel_release = fi.kernel_release;
		sh.kernel_version = fi.kernel_version;
		sh.arch = fi.arch;
		sh.nr_cpus = fi.nr_cpus;
		sh.abi_major = fi.abi_major;
		sh.abi_minor = fi.abi_minor;
	} else {
		uname(&u);
		snprintf(x->hostname, sizeof(x->hostname), "%s", u.nodename);
		sh.kernel_release = u.release;
		sh.kernel_version = u.version;
		sh.arch = u.machine;
		read_line("/proc/sys/kernel/random/boot_id", boot_id, sizeof(boot_id));
		sh.boot_id = boot_id;
		sh.nr_cpus = src ? kcap_nr_rings(src) : 0;
		if (!sh.nr_cpus)
			sh.nr_cpus = (uint32_t)sysconf(_SC_NPROCESSORS_CONF);
		if (src && kcap_driver_version(src, &v) == 0) {
			sh.abi_major = v.major;
			sh.abi_minor = v.minor;
		}
	}
	sh.hostname = x->hostname;
	sh.boot_wall_ns = x->ctx.boot_wall_ns;
	snprintf(producer, sizeof(producer), "libkcap %u.%u.%u", lv / 10000, lv / 100 % 100,
		 lv % 100);
	sh.producer = producer;
	sh.format = x->format == KCAP_EXPORT_JSON ? "json" : "pb";
	ev.source = x->ctx.source;
	ev.name = "header";
	clock_gettime(CLOCK_REALTIME, &now);
	ev.time_ns = (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
	ev.body_case = KCAP__V1__EVENT__BODY_HEADER;
	ev.header = &sh;
	/* Encoded through the buffer, then moved out of it. */
	err = frame(x, &ev.base, false, 0, &p, &n);
	if (err)
		return err;
	x->hdr = malloc(n);
	if (!x->hdr)
		return -ENOMEM;
	memcpy(x->hdr, p, n);
	x->hdr_len = n;
	x->hdr_pending = true;
	return 0;
}

/* "[::1]" or "127.0.0.1" or "localhost": a loopback address. */
static int parse_tcp(struct kcap_exporter *x, const char *spec, struct sockaddr_storage *ss,
		     socklen_t *sl)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	char host[64];
	const char *colon = strrchr(spec, ':');
	char *end;
	unsigned long port;
	size_t hl;

	if (!colon || colon == spec || !colon[1])
		return xerr(x, -EINVAL, "listen address '%s': need tcp:HOST:PORT", spec);
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (*end || errno || port > 65535 || colon[1] < '0' || colon[1] > '9')
		return xerr(x, -EINVAL, "listen address 'tcp:%s': bad port '%s' (0..65535)", spec,
			    colon + 1);
	hl = (size_t)(colon - spec);
	if (hl >= sizeof(host))
		return xerr(x, -EINVAL, "listen address 'tcp:%s': host too long", spec);
	memcpy(host, spec, hl);
	host[hl] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (!strcmp(host, "localhost"))
		strcpy(host, "127.0.0.1");
	if (host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			return xerr(x, -EINVAL, "listen address 'tcp:%s': bad IPv6 address", spec);
		if (!IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
			goto not_loopback;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*sl = sizeof(*s6);
		return 0;
	}
	if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
		return xerr(x, -EINVAL,
			    "listen address 'tcp:%s': HOST must be an IP address (127.0.0.1, [::1])",
			    spec);
	if ((ntohl(s4->sin_addr.s_addr) >> 24) != 127)
		goto not_loopback;
	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	*sl = sizeof(*s4);
	return 0;
not_loopback:
	return xerr(x, -EINVAL,
		    "listen address 'tcp:%s': only loopback addresses (the stream is not "
		    "authenticated; put a TLS proxy in front for remote consumers)",
		    spec);
}

static int open_listener(struct kcap_exporter *x, const char *spec)
{
	struct sockaddr_storage ss;
	struct sockaddr_un *su = (struct sockaddr_un *)&ss;
	socklen_t sl = 0;
	const char *path = NULL;
	struct stat sb;
	int fd, one = 1, err;

	x->sock_type = SOCK_STREAM;
	if (!strncmp(spec, "tcp:", 4)) {
		err = parse_tcp(x, spec + 4, &ss, &sl);
		if (err)
			return err;
	} else if (!strncmp(spec, "unix:", 5) || !strncmp(spec, "unixpacket:", 11)) {
		if (spec[4] != ':')
			x->sock_type = SOCK_SEQPACKET;
		path = strchr(spec, ':') + 1;
		if (!*path || strlen(path) >= sizeof(su->sun_path))
			return xerr(x, -EINVAL, "listen address '%s': need a socket path of 1..%zu "
				    "bytes", spec, sizeof(su->sun_path) - 1);
		memset(su, 0, sizeof(*su));
		su->sun_family = AF_UNIX;
		strcpy(su->sun_path, path);
		sl = sizeof(*su);
	} else {
		return xerr(x, -EINVAL,
			    "listen address '%s': need tcp:HOST:PORT, unix:PATH or unixpacket:PATH",
			    spec);
	}
	x->packets = x->sock_type == SOCK_SEQPACKET;
	fd = socket(ss.ss_family, x->sock_type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return xerr(x, -errno, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* A socket file left by an exporter that died is replaced; one that
	 * still answers is another exporter's. */
	if (path && lstat(path, &sb) == 0 && S_ISSOCK(sb.st_mode)) {
		int probe = socket(AF_UNIX, x->sock_type | SOCK_CLOEXEC, 0);

		if (probe >= 0 && connect(probe, (struct sockaddr *)su, sl) == 0) {
			close(probe);
			close(fd);
			return xerr(x, -EADDRINUSE, "%s: another program listens there", path);
		}
		if (probe >= 0)
			close(probe);
		unlink(path);
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, 4)) {
		err = errno;
		close(fd);
		return xerr(x, -err, "listen on %s: %s", spec, strerror(err));
	}
	x->listen_fd = fd;
	x->is_sock = true;
	if (path) {
		/* The stream shows every process's activity: owner only. */
		chmod(path, 0600);
		snprintf(x->unix_path, sizeof(x->unix_path), "%s", path);
		snprintf(x->address, sizeof(x->address), "%s", path);
	} else {
		char ip[INET6_ADDRSTRLEN];

		sl = sizeof(ss);
		getsockname(fd, (struct sockaddr *)&ss, &sl);
		if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

			inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
			snprintf(x->address, sizeof(x->address), "[%s]:%u", ip,
				 ntohs(s6->sin6_port));
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

			inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
			snprintf(x->address, sizeof(x->address), "%s:%u", ip, ntohs(s4->sin_port));
		}
	}
	return 0;
}

static int open_output(struct kcap_exporter *x, const struct kcap_export_opts *o)
{
	const char *path = OPTS_GET(o, path, NULL);
	const char *listen_spec = OPTS_GET(o, listen, NULL);
	int fd = OPTS_GET(o, fd, 0);
	struct stat sb;

	if (listen_spec && ((path && strcmp(path, "-")) || fd > 0))
		return xerr(x, -EINVAL, "give a file or a listen address, not both");
	if (listen_spec)
		return open_listener(x, listen_spec);
	if (fd > 0) {
		x->out_fd = fd;
	} else if (path && strcmp(path, "-")) {
		x->out_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (x->out_fd < 0)
			return xerr(x, -errno, "%s: %s", path, strerror(errno));
		x->own_fd = true;
	} else {
		x->out_fd = STDOUT_FILENO;
	}
	if (fstat(x->out_fd, &sb))
		return xerr(x, -errno, "output: %s", strerror(errno));
	x->is_sock = S_ISSOCK(sb.st_mode);
	if (S_ISSOCK(sb.st_mode)) {
		int type = 0;
		socklen_t tl = sizeof(type);

		getsockopt(x->out_fd, SOL_SOCKET, SO_TYPE, &type, &tl);
		x->packets = type == SOCK_SEQPACKET;
	}
	/* A pipe or socket consumer can be slow: write without waiting, and
	 * put the descriptor back the way it was when done. */
	if (S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode)) {
		x->saved_fl = fcntl(x->out_fd, F_GETFL);
		if (x->saved_fl >= 0 && !(x->flags & KCAP_EXPORT_BLOCK))
			fcntl(x->out_fd, F_SETFL, x->saved_fl | O_NONBLOCK);
	}
	return 0;
}

struct kcap_exporter *kcap_exporter_open(const struct kcap_export_opts *o)
{
	struct kcap_exporter *x;
	__u64 cap;
	int err;

	if (o && !kcap__opts_valid(o, sizeof(*o), o->sz)) {
		errno = EINVAL;
		return NULL;
	}
	x = calloc(1, sizeof(*x));
	if (!x) {
		errno = ENOMEM;
		return NULL;
	}
	x->out_fd = x->listen_fd = x->client_fd = -1;
	x->saved_fl = -1;
	x->format = OPTS_GET(o, format, KCAP_EXPORT_PB);
	x->flags = OPTS_GET(o, flags, 0);
	cap = OPTS_GET(o, buffer_bytes, 0);
	if (!cap)
		cap = KCAP_EXPORT_DEFAULT_BUFFER;
	export_ctx_init(&x->ctx, OPTS_GET(o, source, NULL));
	x->ctx.process = !(x->flags & KCAP_EXPORT_NO_PROCESS);
	x->ctx.state = OPTS_GET(o, state, NULL);
	if (x->format != KCAP_EXPORT_PB && x->format != KCAP_EXPORT_JSON) {
		err = xerr(x, -EINVAL, "unknown export format %d", (int)x->format);
	} else if (cap < 64 * 1024 || cap > (1ULL << 32)) {
		err = xerr(x, -EINVAL, "export buffer of %llu bytes: must be 64K..4G",
			   (unsigned long long)cap);
	} else {
		x->cap = (size_t)cap;
		x->buf = malloc(x->cap);
		err = x->buf ? open_output(x, o) : -ENOMEM;
	}
	if (!err)
		err = make_header(x, OPTS_GET(o, source, NULL));
	if (err) {
		if (o && OPTS_HAS(o, errbuf_sz) && o->errbuf && o->errbuf_sz)
			snprintf(o->errbuf, o->errbuf_sz, "%s",
				 x->errmsg[0] ? x->errmsg : strerror(-err));
		kcap_exporter_close(x);
		errno = -err;
		return NULL;
	}
	x->last_pump_ns = now_ns();
	return x;
}

int kcap_exporter_stats(const struct kcap_exporter *x, struct kcap_export_stats *st, size_t sz)
{
	if (!x || !st)
		return -EINVAL;
	memcpy(st, &x->st, sz < sizeof(x->st) ? sz : sizeof(x->st));
	if (sz > sizeof(x->st))
		memset((char *)st + sizeof(x->st), 0, sz - sizeof(x->st));
	return 0;
}

const char *kcap_exporter_address(const struct kcap_exporter *x)
{
	return x->address;
}

const char *kcap_exporter_errmsg(const struct kcap_exporter *x)
{
	return x->errmsg;
}

void kcap_exporter_close(struct kcap_exporter *x)
{
	if (!x)
		return;
	if (x->saved_fl >= 0)
		fcntl(x->out_fd, F_SETFL, x->saved_fl);
	if (x->own_fd)
		close(x->out_fd);
	if (x->client_fd >= 0)
		close(x->client_fd);
	if (x->listen_fd >= 0)
		close(x->listen_fd);
	if (x->unix_path[0])
		unlink(x->unix_path);
	export_arena_free(&x->arena);
	export_buf_free(&x->json);
	free(x->hdr);
	free(x->lens);
	free(x->buf);
	free(x);
}

/* ---- Encoders without an exporter ---------------------------------------------- */

static int to_out(const struct export_buf *b, char *buf, size_t len)
{
	if (len)
		snprintf(buf, len, "%s", b->len ? b->p : "");
	return (int)b->len;
}

int kcap_event_to_pb(struct kcap *h, const struct kcap_event_hdr *ev, void *buf, size_t len)
{
	struct export_arena a = { 0 };
	struct export_ctx c;
	Kcap__V1__Event msg;
	size_t n;
	int err;

	export_ctx_init(&c, h);
	err = export_arena_init(&a, 16 * (size_t)ev->len + 16384);
	if (!err)
		err = export_event_msg(&c, h, ev, &a, &msg);
	if (!err) {
		n = protobuf_c_message_get_packed_size(&msg.base);
		if (n <= len)
			protobuf_c_message_pack(&msg.base, buf);
		err = (int)n;
	}
	export_arena_free(&a);
	return err;
}

int kcap_event_to_json(struct kcap *h, const struct kcap_event_hdr *ev, char *buf, size_t len)
{
	struct export_arena a = { 0 };
	struct export_buf b = { 0 };
	struct export_ctx c;
	Kcap__V1__Event msg;
	int err;

	export_ctx_init(&c, h);
	err = export_arena_init(&a, 16 * (size_t)ev->len + 16384);
	if (!err)
		err = export_event_msg(&c, h, ev, &a, &msg);
	if (!err)
		err = export_json_msg(&b, &msg.base);
	if (!err)
		err = to_out(&b, buf, len);
	export_buf_free(&b);
	export_arena_free(&a);
	return err;
}

static int alert_encode(const struct kcap_alert *al, bool json, void *buf, size_t len)
{
	struct export_arena a = { 0 };
	struct export_buf b = { 0 };
	Kcap__V1__Alert m;
	struct utsname u;
	size_t n;
	int err;

	if (!al || !kcap__opts_valid(al, sizeof(*al), al->sz))
		return -EINVAL;
	uname(&u);
	err = export_arena_init(&a, 65536);
	if (!err)
		err = export_alert_msg(al, u.nodename, &a, &m);
	if (!err && json) {
		err = export_json_alert(&b, &m);
		if (!err)
			err = to_out(&b, buf, len);
	} else if (!err) {
		n = protobuf_c_message_get_packed_size(&m.base);
		if (n <= len)
			protobuf_c_message_pack(&m.base, buf);
		err = (int)n;
	}
	export_buf_free(&b);
	export_arena_free(&a);
	return err;
}

int kcap_alert_to_json(const struct kcap_alert *a, char *buf, size_t len)
{
	return alert_encode(a, true, buf, len);
}

int kcap_alert_to_pb(const struct kcap_alert *a, void *buf, size_t len)
{
	return alert_encode(a, false, buf, len);
}
