// SPDX-License-Identifier: Apache-2.0
/*
 * Source: gVisor sandboxes' trace sink (kcap_open_gvisor()).
 *
 * runsc's remote sink ("runsc trace", a session from --pod-init-config)
 * connects to a unix SOCK_SEQPACKET socket, one connection per sandbox.
 * Each side first sends a Handshake message (version 1, no header); then
 * every packet from the sandbox is an 8-byte little-endian header (u16
 * header size, u16 message type, u32 cumulative count of points the
 * sandbox dropped) followed, at the header size, by one protobuf message
 * of that type (proto/gvisor/kcap_gvisor.proto, gVisor's field numbers).
 *
 * Every packet is checked: a packet shorter than the header, a header size
 * below 8 or past the packet, message type 0, a message that does not
 * parse, a packet cut by the receive buffer, or a handshake that is not one
 * closes that connection, with the reason given to the log callback; the
 * other connections and the listener go on. Message types kcap does not
 * know (newer releases add some) and syscall points' entry side are
 * skipped and counted. A connection that has not handshaken within the
 * timeout is closed.
 *
 * Messages become kcap event records with the parameter layouts the driver
 * writes for the same event types, so everything above the capture layer
 * works unchanged: container/start and sentry/execve an execve (the
 * container's first process and every exec), sentry/clone a proc_fork,
 * sentry/task_exit a proc_exit, syscall/open|openat|creat open, openat,
 * creat, connect, socket, close, chdir, a failed execve, setuid, setgid,
 * setresuid, setresgid, dup, dup2, dup3, fcntl, chroot, bind, accept,
 * accept4, and raw syscall points the generic syscall event. Each record is flagged KCAP_EVF_GVISOR
 * and its tid and pid are the sandbox's mapped with KCAP_GVISOR_TID() (the
 * sandbox's own ids are execve's vtid and vpid); execve's cgroup parameter
 * is "gvisor:" and the container id, from which the state layer takes
 * container.id. gVisor's timestamps are CLOCK_REALTIME, turned into
 * kcap's CLOCK_MONOTONIC with the offset between the two clocks when the
 * packet is read. An increase of a connection's dropped count becomes a
 * drop marker before that packet's event, and is counted as a full-ring
 * drop in the source's one set of counters (CPU 0).
 *
 * Converted records wait in a queue ordered by timestamp and are handed
 * out once they have been queued for the hold-back time, so that packets
 * of several sandboxes and threads arriving close together come out in
 * time order. The queue is bounded: when it is full, the sockets are not
 * read, the sandboxes' socket buffers fill and gVisor counts what it
 * drops, which then arrives as drop markers.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "source.h"
#include "gvisor/kcap_gvisor.pb-c.h"

#define GV_HDR_SIZE 8
#define GV_VERSION 1
#define GV_PKT_MAX (1u << 20) /* largest packet accepted */
#define GV_QUEUE_MAX 65536 /* records waiting */
#define GV_QUEUE_BYTES (64u << 20)
#define GV_BATCH 256 /* packets read from a connection per round */
#define GV_PUMP_NS 1000000ULL /* sockets read at least this often */
#define GV_PATH_MAX 4096 /* as the driver: paths, argv, env */
#define GV_COMM_LEN 16
#define GV_MAX_CT 16 /* containers remembered per connection */
#define GV_TTY_PTS0 (136u << 20) /* /dev/pts/0 as the driver encodes a tty */

struct gv_ct {
	char id[128];
	bool terminal;
};

struct gv_conn {
	int fd;
	unsigned int sb; /* sandbox number, 1..511 */
	bool handshaken;
	bool have_dropped;
	__u32 dropped; /* the last cumulative count seen */
	__u64 accepted_ns;
	unsigned int nct, ct_next;
	struct gv_ct ct[GV_MAX_CT];
};

struct gv_rec {
	__u64 ts;
	__u64 seq; /* arrival order, for equal timestamps */
	__u64 ready_ns; /* hold-back over: the older of ts and arrival + it */
	struct kcap_event_hdr *ev;
};

struct rb {
	const struct kcap_event_desc *d;
	unsigned int type;
	__u16 flags;
	unsigned char *p[KCAP_MAX_PARAMS];
	__u32 len[KCAP_MAX_PARAMS];
	unsigned char data[KCAP_EVENT_MAX_LEN];
	size_t used;
	bool nospace;
};

struct kcap_gvisor {
	struct kcap h;
	char *path;
	int lfd;
	struct gv_conn *conns;
	unsigned int nconns, max_clients;
	unsigned int next_sb;
	struct gv_rec *q; /* min-heap by (ts, seq) */
	size_t qn, qcap, qbytes;
	struct kcap_event_hdr *out; /* handed out last, freed at the next call */
	__u64 holdback_ns, hs_timeout_ns;
	int poll_ms;
	bool stopped;
	__u64 seq;
	__s64 wall_off; /* CLOCK_REALTIME - CLOCK_MONOTONIC at the last read */
	__u64 last_pump_ns;
	unsigned char *pkt;
	void (*log)(void *arg, const char *msg);
	void *log_arg;
	struct kcap_gvisor_stats st;
	struct rb rb; /* the record being built */
	char pathbuf[GV_PATH_MAX + 1];
};

static struct kcap_gvisor *to_gv(const struct kcap *h)
{
	return container_of(h, struct kcap_gvisor, h);
}

static __u64 clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

static void gv_log(struct kcap_gvisor *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void gv_log(struct kcap_gvisor *g, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!g->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	g->log(g->log_arg, msg);
}

/* ---- The queue: a binary min-heap ---- */

static bool rec_less(const struct gv_rec *a, const struct gv_rec *b)
{
	return a->ts < b->ts || (a->ts == b->ts && a->seq < b->seq);
}

static bool queue_full(const struct kcap_gvisor *g)
{
	return g->qn >= GV_QUEUE_MAX || g->qbytes >= GV_QUEUE_BYTES;
}

static int queue_push(struct kcap_gvisor *g, struct kcap_event_hdr *ev, __u64 now)
{
	struct gv_rec r = { .ts = ev->ts_ns, .seq = g->seq++, .ev = ev };
	size_t i;

	/* from the event's own time, so that the kernel's events, which the
	 * merge holds as long (gv_lag()), and this sink's agree on what is
	 * old enough; from the arrival if the time is ahead of it */
	r.ready_ns = (ev->ts_ns < now ? ev->ts_ns : now) + g->holdback_ns;

	if (g->qn == g->qcap) {
		size_t ncap = g->qcap ? g->qcap * 2 : 256;
		struct gv_rec *nq = realloc(g->q, ncap * sizeof(*nq));

		if (!nq)
			return -ENOMEM;
		g->q = nq;
		g->qcap = ncap;
	}
	i = g->qn++;
	while (i && rec_less(&r, &g->q[(i - 1) / 2])) {
		g->q[i] = g->q[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	g->q[i] = r;
	g->qbytes += ev->len;
	return 0;
}

static struct kcap_event_hdr *queue_pop(struct kcap_gvisor *g)
{
	struct kcap_event_hdr *ev = g->q[0].ev;
	struct gv_rec last;
	size_t i = 0, c;

	g->qbytes -= ev->len;
	last = g->q[--g->qn];
	while ((c = 2 * i + 1) < g->qn) {
		if (c + 1 < g->qn && rec_less(&g->q[c + 1], &g->q[c]))
			c++;
		if (!rec_less(&g->q[c], &last))
			break;
		g->q[i] = g->q[c];
		i = c;
	}
	if (g->qn)
		g->q[i] = last;
	return ev;
}

/* ---- Records in the driver's layouts ---- */

static void rb_init(struct rb *b, unsigned int type)
{
	b->d = kcap_event_desc(type);
	b->type = type;
	b->flags = KCAP_EVF_GVISOR;
	b->used = 0;
	b->nospace = false;
	memset(b->len, 0, sizeof(b->len));
}

static int rb_idx(const struct rb *b, const char *name)
{
	unsigned int i;

	for (i = 0; i < b->d->nparams; i++)
		if (!strcmp(b->d->params[i].name, name))
			return (int)i;
	return -1;
}

/* The room left for one more variable-size parameter. */
static size_t rb_room(const struct rb *b)
{
	size_t fixed = sizeof(struct kcap_event_hdr) + 2 * b->d->nparams + b->used;

	return fixed + 256 < KCAP_EVENT_MAX_LEN ? KCAP_EVENT_MAX_LEN - fixed - 256 : 0;
}

static void rb_put(struct rb *b, const char *name, const void *v, size_t n)
{
	int i = rb_idx(b, name);

	if (i < 0 || !n) /* empty: its length stays 0 */
		return;
	if (n > sizeof(b->data) - b->used) {
		b->nospace = true;
		return;
	}
	b->p[i] = b->data + b->used;
	memcpy(b->p[i], v, n);
	b->len[i] = (__u32)n;
	b->used += n;
}

static void rb_num(struct rb *b, const char *name, __u64 v)
{
	int i = rb_idx(b, name);
	__u32 v32 = (__u32)v;

	if (i < 0)
		return;
	if (kcap_param_type_size(b->d->params[i].type) == 4)
		rb_put(b, name, &v32, 4);
	else
		rb_put(b, name, &v, 8);
}

static void rb_str(struct rb *b, const char *name, const char *s, size_t n)
{
	size_t room = rb_room(b);

	if (n > GV_PATH_MAX)
		n = GV_PATH_MAX, b->flags |= KCAP_EVF_TRUNCATED;
	if (n > room)
		n = room, b->flags |= KCAP_EVF_TRUNCATED;
	rb_put(b, name, s, n);
}

/* NUL-terminated strings back to back, cut at GV_PATH_MAX like argv. */
static void rb_strarray(struct rb *b, const char *name, char *const *v, size_t n)
{
	unsigned char buf[GV_PATH_MAX];
	size_t i, used = 0, l, room = rb_room(b);

	if (room > sizeof(buf))
		room = sizeof(buf);
	for (i = 0; i < n; i++) {
		l = strlen(v[i]) + 1;
		if (used + l > room) {
			b->flags |= KCAP_EVF_TRUNCATED;
			break;
		}
		memcpy(buf + used, v[i], l);
		used += l;
	}
	rb_put(b, name, buf, used);
}

/* The record, in freshly allocated memory. */
static struct kcap_event_hdr *rb_finish(struct kcap_gvisor *g, struct rb *b, __u64 ts, __u32 tid,
				       __u32 pid)
{
	struct kcap_event_hdr *ev;
	unsigned char *p;
	unsigned int i, n;
	size_t len;

	/* trailing numbers gVisor does not give (execve's capabilities,
	 * executable inode, session ids) are left out, as in an older
	 * driver's record: missing, not zero */
	n = b->d->nparams;
	while (n && !b->len[n - 1] && kcap_param_type_size(b->d->params[n - 1].type))
		n--;
	len = sizeof(struct kcap_event_hdr) + 2 * n + b->used;
	if (b->nospace || len > KCAP_EVENT_MAX_LEN) {
		kcap__err(&g->h, EMSGSIZE, "gvisor: a %s record does not fit", b->d->name);
		return NULL;
	}
	ev = calloc(1, len);
	if (!ev)
		return NULL;
	ev->ts_ns = ts;
	ev->tid = tid;
	ev->pid = pid;
	ev->len = (__u32)len;
	ev->type = (__u16)b->type;
	ev->nparams = (__u16)n;
	ev->flags = b->flags;
	p = (unsigned char *)(ev + 1);
	for (i = 0; i < n; i++) {
		__u16 l = (__u16)b->len[i];

		memcpy(p + 2 * i, &l, 2);
	}
	p += 2 * n;
	for (i = 0; i < n; i++) {
		if (b->len[i])
			memcpy(p, b->p[i], b->len[i]);
		p += b->len[i];
	}
	return ev;
}

/* ---- Messages to records ---- */

/* What every message shares: time, ids, the sandbox. */
struct gv_ctx {
	struct kcap_gvisor *g;
	struct gv_conn *c;
	const Kcap__Gvisor__ContextData *cd; /* NULL: no context fields */
	__u64 ts;
	__u32 tid, pid;
	__u64 now;
};

static void ctx_init(struct gv_ctx *x, struct kcap_gvisor *g, struct gv_conn *c,
		     const Kcap__Gvisor__ContextData *cd, __u64 now)
{
	x->g = g;
	x->c = c;
	x->cd = cd;
	x->now = now;
	/* gVisor's CLOCK_REALTIME to CLOCK_MONOTONIC; the arrival time
	 * without a time field or with one before boot */
	x->ts = now;
	if (cd && cd->time_ns > g->wall_off && cd->time_ns - g->wall_off > 0)
		x->ts = (__u64)(cd->time_ns - g->wall_off);
	x->tid = KCAP_GVISOR_TID(c->sb, cd ? (__u32)cd->thread_id : 0);
	x->pid = KCAP_GVISOR_TID(c->sb, cd ? (__u32)cd->thread_group_id : 0);
}

static int emit(struct gv_ctx *x, struct rb *b)
{
	struct kcap_event_hdr *ev = rb_finish(x->g, b, x->ts, x->tid, x->pid);
	int err;

	if (!ev)
		return x->g->h.errmsg[0] ? -EMSGSIZE : -ENOMEM;
	err = queue_push(x->g, ev, x->now);
	if (err) {
		free(ev);
		return err;
	}
	x->g->st.events++;
	x->g->st.bytes += ev->len;
	return 0;
}

static struct gv_ct *ct_find(struct gv_conn *c, const char *id)
{
	unsigned int i;

	for (i = 0; i < c->nct; i++)
		if (!strcmp(c->ct[i].id, id))
			return &c->ct[i];
	return NULL;
}

static void ct_note(struct gv_conn *c, const char *id, bool terminal)
{
	struct gv_ct *ct = ct_find(c, id);

	if (!ct) {
		if (c->nct < GV_MAX_CT)
			ct = &c->ct[c->nct++];
		else
			ct = &c->ct[c->ct_next++ % GV_MAX_CT];
		snprintf(ct->id, sizeof(ct->id), "%s", id);
	}
	ct->terminal = terminal;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/* execveat's own parameters (a failed execveat) */
struct gv_execat {
	__s64 dirfd;
	__u32 flags;
};

/* An execve record (execveat with @at): a container's first process or an
 * exec in it. */
static int put_exec(struct gv_ctx *x, __s64 res, const char *filename, char *const *argv,
		    size_t argc, char *const *env, size_t envc, const char *cwd,
		    const char *exe, const char *comm, const char *ctid,
		    const struct gv_execat *at)
{
	struct rb *const b = &x->g->rb;
	const Kcap__Gvisor__ContextData *cd = x->cd;
	char cg[160];
	struct gv_ct *ct;

	rb_init(b, at ? KCAP_EVT_EXECVEAT : KCAP_EVT_EXECVE);
	if (at) {
		rb_num(b, "dirfd", (__u64)at->dirfd);
		rb_num(b, "flags", at->flags);
	}
	rb_num(b, "res", (__u64)res);
	rb_str(b, "filename", filename, strlen(filename));
	rb_strarray(b, "argv", argv, argc);
	rb_str(b, "cwd", cwd, strlen(cwd));
	rb_str(b, "exe", exe, strlen(exe));
	rb_str(b, "comm", comm, strnlen(comm, GV_COMM_LEN - 1));
	if (cd && cd->credentials) {
		rb_num(b, "uid", cd->credentials->real_uid);
		rb_num(b, "gid", cd->credentials->real_gid);
		rb_num(b, "euid", cd->credentials->effective_uid);
	}
	/* gVisor reports no login uid: unset, as the kernel's for a process
	 * outside a login session; the per-process terminal is the
	 * container's (container/start's terminal flag) */
	rb_num(b, "loginuid", 0xffffffffu);
	ct = ctid && *ctid ? ct_find(x->c, ctid) : NULL;
	rb_num(b, "tty", ct && ct->terminal ? GV_TTY_PTS0 : 0);
	if (cd) {
		rb_num(b, "vpid", (__u32)cd->thread_group_id);
		rb_num(b, "vtid", (__u32)cd->thread_id);
	}
	if (ctid && *ctid) {
		snprintf(cg, sizeof(cg), "gvisor:%s", ctid);
		rb_str(b, "cgroup", cg, strlen(cg));
	}
	if (env)
		rb_strarray(b, "env", env, envc);
	return emit(x, b);
}

static const char *ctx_str(const char *s)
{
	return s ? s : "";
}

static int conv_container_start(struct gv_ctx *x, const Kcap__Gvisor__ContainerStart *m)
{
	const char *ctid = *ctx_str(m->id) ? m->id : x->cd ? ctx_str(x->cd->container_id) : "";
	const char *file = m->n_args ? m->args[0] : "";

	ct_note(x->c, ctid, m->terminal);
	return put_exec(x, 0, file, m->args, m->n_args, m->env, m->n_env,
			*ctx_str(m->cwd) ? m->cwd : x->cd ? ctx_str(x->cd->cwd) : "", file,
			x->cd && *ctx_str(x->cd->process_name) ? x->cd->process_name : base_name(file),
			ctid, NULL);
}

static int conv_exec(struct gv_ctx *x, const Kcap__Gvisor__ExecveInfo *m)
{
	const char *path = ctx_str(m->binary_path);

	/* the context's process name is the one before the exec; the new
	 * one is the file's base name, as the kernel sets it */
	return put_exec(x, 0, path, m->argv, m->n_argv, m->n_env ? m->env : NULL, m->n_env,
			x->cd ? ctx_str(x->cd->cwd) : "", path, base_name(path),
			x->cd ? ctx_str(x->cd->container_id) : NULL, NULL);
}

static int conv_clone(struct gv_ctx *x, const Kcap__Gvisor__CloneInfo *m)
{
	struct rb *const b = &x->g->rb;
	const char *comm = x->cd ? ctx_str(x->cd->process_name) : "";

	rb_init(b, KCAP_EVT_PROC_FORK);
	rb_num(b, "child_tid", KCAP_GVISOR_TID(x->c->sb, (__u32)m->created_thread_id));
	rb_num(b, "child_pid", KCAP_GVISOR_TID(x->c->sb, (__u32)m->created_thread_group_id));
	rb_str(b, "comm", comm, strnlen(comm, GV_COMM_LEN - 1));
	return emit(x, b);
}

static int conv_exit(struct gv_ctx *x, const Kcap__Gvisor__TaskExit *m)
{
	struct rb *const b = &x->g->rb;
	const char *comm = x->cd ? ctx_str(x->cd->process_name) : "";

	rb_init(b, KCAP_EVT_PROC_EXIT);
	rb_num(b, "code", (__u32)m->exit_status);
	rb_str(b, "comm", comm, strnlen(comm, GV_COMM_LEN - 1));
	return emit(x, b);
}

static __s64 exit_res(const Kcap__Gvisor__Exit *e)
{
	return e->errorno ? -e->errorno : e->result;
}

/* The path the kernel would resolve: absolute as given, or below the
 * directory fd's path or the cwd (gVisor sends no resolved path). */
static size_t resolve(char *buf, size_t sz, const char *dir, const char *name)
{
	int n;

	if (name[0] == '/' || !*dir)
		n = snprintf(buf, sz, "%s", name);
	else
		n = snprintf(buf, sz, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/",
			     name);
	return n < 0 ? 0 : (size_t)n < sz ? (size_t)n : sz - 1;
}

#define AT_FDCWD_ (-100)

static int conv_open(struct gv_ctx *x, const Kcap__Gvisor__Open *m)
{
	struct rb *const b = &x->g->rb;
	char *path = x->g->pathbuf;
	const char *name = ctx_str(m->pathname);
	__s64 res = exit_res(m->exit);
	unsigned int type;
	size_t n;

	switch (m->sysno) {
	case 2:
		type = KCAP_EVT_OPEN;
		break;
	case 85:
		type = KCAP_EVT_CREAT;
		break;
	default:
		type = KCAP_EVT_OPENAT;
	}
	rb_init(b, type);
	rb_num(b, "res", (__u64)res);
	if (type == KCAP_EVT_OPENAT)
		rb_num(b, "dirfd", (__u64)m->fd);
	rb_str(b, "name", name, strlen(name));
	rb_num(b, "flags", m->flags);
	rb_num(b, "mode", m->mode);
	if (res >= 0) {
		const char *dir = m->fd == AT_FDCWD_ || type != KCAP_EVT_OPENAT
					  ? (x->cd ? ctx_str(x->cd->cwd) : "")
					  : ctx_str(m->fd_path);

		n = resolve(path, sizeof(x->g->pathbuf), dir, name);
		rb_str(b, "path", path, n);
	}
	return emit(x, b);
}

static int conv_connect(struct gv_ctx *x, const Kcap__Gvisor__Connect *m)
{
	struct rb *const b = &x->g->rb;

	rb_init(b, KCAP_EVT_CONNECT);
	rb_num(b, "res", (__u64)exit_res(m->exit));
	rb_num(b, "fd", (__u64)m->fd);
	rb_put(b, "addr", m->address.data,
	       m->address.len < 128 ? m->address.len : 128);
	return emit(x, b);
}

static int conv_socket(struct gv_ctx *x, const Kcap__Gvisor__Socket *m)
{
	struct rb *const b = &x->g->rb;

	rb_init(b, KCAP_EVT_SOCKET);
	rb_num(b, "res", (__u64)exit_res(m->exit));
	rb_num(b, "domain", (__u32)m->domain);
	rb_num(b, "type", (__u32)m->type);
	rb_num(b, "protocol", (__u32)m->protocol);
	return emit(x, b);
}

static int conv_close(struct gv_ctx *x, const Kcap__Gvisor__Close *m)
{
	struct rb *const b = &x->g->rb;

	rb_init(b, KCAP_EVT_CLOSE);
	rb_num(b, "res", (__u64)exit_res(m->exit));
	rb_num(b, "fd", (__u64)m->fd);
	return emit(x, b);
}

static int conv_chdir(struct gv_ctx *x, const Kcap__Gvisor__Chdir *m)
{
	struct rb *const b = &x->g->rb;
	const char *p = ctx_str(m->pathname);

	if (m->sysno == 81) { /* fchdir: the descriptor's path, if sent */
		p = ctx_str(m->fd_path);
		rb_init(b, KCAP_EVT_FCHDIR);
		rb_num(b, "res", (__u64)exit_res(m->exit));
		rb_num(b, "fd", (__u64)m->fd);
		rb_str(b, "path", p, strlen(p));
		return emit(x, b);
	}
	rb_init(b, KCAP_EVT_CHDIR);
	rb_num(b, "res", (__u64)exit_res(m->exit));
	rb_str(b, "path", p, strlen(p));
	return emit(x, b);
}

/*
 * read, pread64, write, pwrite64: gVisor sends the descriptor and the
 * count, never the data, so "data" is empty and, when the driver would
 * have carried bytes (read: the result; write: the count), the record is
 * KCAP_EVF_TRUNCATED, as a parameter cut to a snaplen of 0. The vector
 * calls (readv, preadv, preadv2, writev, ...) share the message with no
 * iovec count kcap's readv/writev carry: counted, not converted.
 */
static int conv_rw(struct gv_ctx *x, const Kcap__Gvisor__Read *m, bool write)
{
	struct rb *const b = &x->g->rb;
	__s64 res = exit_res(m->exit);
	unsigned int type;

	switch (m->sysno) {
	case 0:
	case 1:
		type = write ? KCAP_EVT_WRITE : KCAP_EVT_READ;
		break;
	case 17:
	case 18:
		type = write ? KCAP_EVT_PWRITE64 : KCAP_EVT_PREAD64;
		break;
	default:
		x->g->st.skipped++;
		return 1;
	}
	rb_init(b, type);
	rb_num(b, "res", (__u64)res);
	rb_num(b, "fd", (__u64)m->fd);
	rb_num(b, "size", m->count);
	if (type == KCAP_EVT_PREAD64 || type == KCAP_EVT_PWRITE64)
		rb_num(b, "pos", (__u64)m->offset);
	if (write ? m->count > 0 : res > 0)
		b->flags |= KCAP_EVF_TRUNCATED;
	return emit(x, b);
}

static int conv_read(struct gv_ctx *x, const Kcap__Gvisor__Read *m)
{
	return conv_rw(x, m, false);
}

static int conv_write(struct gv_ctx *x, const Kcap__Gvisor__Read *m)
{
	return conv_rw(x, m, true);
}

/* socketpair: the two descriptors as the driver reads them, two s32 */
static int conv_socketpair(struct gv_ctx *x, const Kcap__Gvisor__SocketPair *m)
{
	struct rb *const b = &x->g->rb;
	__s64 res = exit_res(m->exit);
	__s32 fds[2] = { m->socket1, m->socket2 };

	rb_init(b, KCAP_EVT_SOCKETPAIR);
	rb_num(b, "res", (__u64)res);
	rb_num(b, "domain", (__u32)m->domain);
	rb_num(b, "type", (__u32)m->type);
	rb_num(b, "protocol", (__u32)m->protocol);
	if (res >= 0)
		rb_put(b, "fds", fds, sizeof(fds));
	return emit(x, b);
}

static int conv_setid(struct gv_ctx *x, const Kcap__Gvisor__Setid *m)
{
	struct rb *const b = &x->g->rb;

	if (m->sysno != 105 && m->sysno != 106) { /* setsid: no kcap event */
		x->g->st.skipped++;
		return 1;
	}
	rb_init(b, m->sysno == 105 ? KCAP_EVT_SETUID : KCAP_EVT_SETGID);
	rb_num(b, "res", (__u64)exit_res(m->exit));
	rb_num(b, m->sysno == 105 ? "uid" : "gid", m->id);
	return emit(x, b);
}

static int conv_setresid(struct gv_ctx *x, const Kcap__Gvisor__Setresid *m)
{
	struct rb *const b = &x->g->rb;
	bool uid = m->sysno == 117;

	if (!uid && m->sysno != 119) {
		x->g->st.skipped++;
		return 1;
	}
	rb_init(b, uid ? KCAP_EVT_SETRESUID : KCAP_EVT_SETRESGID);
	rb_num(b, "res", (__u64)exit_res(m->exit));
	rb_num(b, uid ? "ruid" : "rgid", m->rid);
	rb_num(b, uid ? "euid" : "egid", m->eid);
	rb_num(b, uid ? "suid" : "sgid", m->sid);
	return emit(x, b);
}

static int conv_fcntl(struct gv_ctx *x, const Kcap__Gvisor__Fcntl *m)
{
	struct rb *const b = &x->g->rb;

	rb_init(b, KCAP_EVT_FCNTL);
	rb_num(b, "res", (__u64)exit_res(m->exit));
	rb_num(b, "fd", (__u64)(__s64)m->fd);
	rb_num(b, "cmd", (__u32)m->cmd);
	rb_num(b, "arg", (__u64)m->args);
	return emit(x, b);
}

static int conv_dup(struct gv_ctx *x, const Kcap__Gvisor__Dup *m)
{
	struct rb *const b = &x->g->rb;
	unsigned int type = m->sysno == 33 ? KCAP_EVT_DUP2 : m->sysno == 292 ? KCAP_EVT_DUP3
										: KCAP_EVT_DUP;

	rb_init(b, type);
	rb_num(b, "res", (__u64)exit_res(m->exit));
	rb_num(b, "oldfd", (__u64)(__s64)m->old_fd);
	if (type != KCAP_EVT_DUP)
		rb_num(b, "newfd", (__u64)(__s64)m->new_fd);
	if (type == KCAP_EVT_DUP3)
		rb_num(b, "flags", m->flags);
	return emit(x, b);
}

static int conv_chroot(struct gv_ctx *x, const Kcap__Gvisor__Chroot *m)
{
	struct rb *const b = &x->g->rb;
	const char *p = ctx_str(m->pathname);

	rb_init(b, KCAP_EVT_CHROOT);
	rb_num(b, "res", (__u64)exit_res(m->exit));
	rb_str(b, "path", p, strlen(p));
	return emit(x, b);
}

static int conv_bind(struct gv_ctx *x, const Kcap__Gvisor__Bind *m)
{
	struct rb *const b = &x->g->rb;

	rb_init(b, KCAP_EVT_BIND);
	rb_num(b, "res", (__u64)exit_res(m->exit));
	rb_num(b, "fd", (__u64)(__s64)m->fd);
	rb_put(b, "addr", m->address.data, m->address.len < 128 ? m->address.len : 128);
	return emit(x, b);
}

static int conv_accept(struct gv_ctx *x, const Kcap__Gvisor__Accept *m)
{
	struct rb *const b = &x->g->rb;
	bool four = m->sysno == 288;

	rb_init(b, four ? KCAP_EVT_ACCEPT4 : KCAP_EVT_ACCEPT);
	rb_num(b, "res", (__u64)exit_res(m->exit));
	rb_num(b, "fd", (__u64)(__s64)m->fd);
	rb_put(b, "addr", m->address.data, m->address.len < 128 ? m->address.len : 128);
	if (four)
		rb_num(b, "flags", (__u32)m->flags);
	return emit(x, b);
}

/*
 * A failed execve or execveat. A successful one is sentry/execve's
 * execve record: gVisor reports the new image there (binary path, argv,
 * env), and one exec record per exec is what the process table counts on,
 * so the syscall's successful exit is skipped, execveat's too (its
 * execve record then stands for it, without dirfd and flags).
 */
static int conv_sys_execve(struct gv_ctx *x, const Kcap__Gvisor__Execve *m)
{
	struct gv_execat at = { .dirfd = m->fd, .flags = m->flags };
	__s64 res = exit_res(m->exit);

	if (res >= 0 || (m->sysno != 59 && m->sysno != 322)) {
		x->g->st.skipped++;
		return 1;
	}
	return put_exec(x, res, ctx_str(m->pathname), m->argv, m->n_argv, NULL, 0,
			x->cd ? ctx_str(x->cd->cwd) : "", "",
			x->cd ? ctx_str(x->cd->process_name) : "",
			x->cd ? ctx_str(x->cd->container_id) : NULL,
			m->sysno == 322 ? &at : NULL);
}

static int conv_raw(struct gv_ctx *x, const Kcap__Gvisor__Syscall *m)
{
	struct rb *const b = &x->g->rb;

	rb_init(b, KCAP_EVT_SYSCALL);
	rb_num(b, "nr", m->sysno);
	rb_num(b, "a0", m->arg1);
	rb_num(b, "a1", m->arg2);
	rb_num(b, "a2", m->arg3);
	rb_num(b, "a3", m->arg4);
	rb_num(b, "a4", m->arg5);
	rb_num(b, "a5", m->arg6);
	rb_num(b, "res", (__u64)exit_res(m->exit));
	return emit(x, b);
}

/* A drop marker for @lost points the sandbox could not send. */
static int put_drop(struct gv_ctx *x, __u64 lost)
{
	struct rb *const b = &x->g->rb;

	rb_init(b, KCAP_EVT_DROP);
	rb_num(b, "lost_bulk", lost);
	rb_num(b, "lost_protected", 0);
	x->g->st.dropped += lost;
	return emit(x, b);
}

/*
 * One message: 0 converted, 1 skipped (entry side, a type or call kcap has
 * no event for), -EBADMSG unparsable (reason in *why), other < 0 errors.
 */
#define UNPACK(T, fn)                                                                     \
	T *m = fn(NULL, len, data);                                                       \
	if (!m) {                                                                         \
		*why = "message does not parse";                                          \
		return -EBADMSG;                                                          \
	}

#define CONVERT_IF(T, fn, freefn, conv, skip)                                            \
	do {                                                                              \
		UNPACK(T, fn);                                                            \
		if (skip) {                                                               \
			x->g->st.skipped++;                                               \
			ctx_init(x, x->g, x->c, m->context_data, x->now);                 \
			err = drops ? put_drop(x, drops) : 1;                             \
			freefn(m, NULL);                                                  \
			return err;                                                       \
		}                                                                         \
		ctx_init(x, x->g, x->c, m->context_data, x->now);                         \
		err = drops ? put_drop(x, drops) : 0;                                     \
		if (!err)                                                                 \
			err = conv(x, m);                                                 \
		freefn(m, NULL);                                                          \
		return err;                                                               \
	} while (0)
/* lifecycle points */
#define CONVERT(T, fn, freefn, conv) CONVERT_IF(T, fn, freefn, conv, false)
/* syscall points: the exit side only (the entry side has no "exit") */
#define CONVERT_SC(T, fn, freefn, conv) CONVERT_IF(T, fn, freefn, conv, !m->exit)

static int convert(struct gv_ctx *x, unsigned int type, const unsigned char *data, size_t len,
		   __u64 drops, const char **why)
{
	int err;

	switch (type) {
	case KCAP__GVISOR__MESSAGE_TYPE__MESSAGE_CONTAINER_START:
		CONVERT(Kcap__Gvisor__ContainerStart, kcap__gvisor__container_start__unpack,
			kcap__gvisor__container_start__free_unpacked, conv_container_start);
	case KCAP__GVISOR__MESSAGE_TYPE__MESSAGE_SENTRY_CLONE:
		CONVERT(Kcap__Gvisor__CloneInfo, kcap__gvisor__clone_info__unpack,
			kcap__gvisor__clone_info__free_unpacked, conv_clone);
	case KCAP__GVISOR__MESSAGE_TYPE__MESSAGE_SENTRY_EXEC:
		CONVERT(Kcap__Gvisor__ExecveInfo, kcap__gvisor__execve_info__unpack,
			kcap__gvisor__execve_info__free_unpacked, conv_exec);
	case KCAP__GVISOR__MESSAGE_TYPE__MESSAGE_SENTRY_EXIT_NOTIFY_PARENT:
		/* the same exit as task_exit, seen from the parent: checked,
		 * not converted (one proc_exit per thread) */
		{
			UNPACK(Kcap__Gvisor__TaskExit, kcap__gvisor__task_exit__unpack);
			kcap__gvisor__task_exit__free_unpacked(m, NULL);
			x->g->st.skipped++;
			return 1;
		}
	case KCAP__GVISOR__MESSAGE_TYPE__MESSAGE_SENTRY_TASK_EXIT:
		CONVERT(Kcap__Gvisor__TaskExit, kcap__gvisor__task_exit__unpack,
			kcap__gvisor__task_exit__free_unpacked, conv_exit);
	case KCAP__GVISOR__MESSAGE_TYPE__MESSAGE_SYSCALL_RAW:
		CONVERT_SC(Kcap__Gvisor__Syscall, kcap__gvisor__syscall__unpack,
			kcap__gvisor__syscall__free_unpacked, conv_raw);
	case KCAP__GVISOR__MESSAGE_TYPE__MESSAGE_SYSCALL_OPEN:
		CONVERT_SC(Kcap__Gvisor__Open, kcap__gvisor__open__unpack,
			kcap__gvisor__open__free_unpacked, conv_open);
	case KCAP__GVISOR__MESSAGE_TYPE__MESSAGE_SYSCALL_CLOSE:
		CONVERT_SC(Kcap__Gvisor__Close, kcap__gvisor__close__unpack,
			kcap__gvisor__close__free_unpacked, conv_close);
	case KCAP__GVISOR__MESSAGE_TYPE__MESSAGE_SYSCALL_CONNECT:
		CONVERT_SC(Kcap__Gvisor__Connect, kcap__gvisor__connect__unpack,
			kcap__gvisor__connect__free_unpacked, conv_connect);
	case KCAP__GVISOR__MESSAGE_TYPE__MESSAGE_SYSCALL_EXECVE:
		CONVERT_SC(Kcap__Gvisor__Execve, kcap__gvisor__execve__unpack,
			kcap__gvisor__execve__free_unpacked, conv_sys_execve);
	case KCAP__GVISOR__MESSAGE_TYPE__MESSAGE_SYSCALL_SOCKET:
		CONVERT_SC(Kcap__Gvisor__Socket, kcap__gvisor__socket__unpack,
			kcap__gvisor__socket__free_unpacked, conv_socket);
	case KCAP__GVISOR__MESSAGE_TYPE__MESSAGE_SYSCALL_CHDIR:
		CONVERT_SC(Kcap__Gvisor__Chdir, kcap__gvisor__chdir__unpack,
			kcap__gvisor__chdir__free_unpacked, conv_chdir);
	case KCAP__GVISOR__MESSAGE_TYPE__MESSAGE_SYSCALL_SETID:
		CONVERT_SC(Kcap__Gvisor__Setid, kcap__gvisor__setid__unpack,
			   kcap__gvisor__setid__free_unpacked, conv_setid);
	case KCAP__GVISOR__MESSAGE_TYPE__MESSAGE_SYSCALL_SETRESID:
		CONVERT_SC(Kcap__Gvisor__Setresid, kcap__gvisor__setresid__unpack,
			   kcap__gvisor__setresid__free_unpacked, conv_setresid);
	case KCAP__GVISOR__MESSAGE_TYPE__MESSAGE_SYSCALL_FCNTL:
		CONVERT_SC(Kcap__Gvisor__Fcntl, kcap__gvisor__fcntl__unpack,
			   kcap__gvisor__fcntl__free_unpacked, conv_fcntl);
	case KCAP__GVISOR__MESSAGE_TYPE__MESSAGE_SYSCALL_DUP:
		CONVERT_SC(Kcap__Gvisor__Dup, kcap__gvisor__dup__unpack,
			   kcap__gvisor__dup__free_unpacked, conv_dup);
	case KCAP__GVISOR__MESSAGE_TYPE__MESSAGE_SYSCALL_CHROOT:
		CONVERT_SC(Kcap__Gvisor__Chroot, kcap__gvisor__chroot__unpack,
			   kcap__gvisor__chroot__free_unpacked, conv_chroot);
	case KCAP__GVISOR__MESSAGE_TYPE__MESSAGE_SYSCALL_BIND:
		CONVERT_SC(Kcap__Gvisor__Bind, kcap__gvisor__bind__unpack,
			   kcap__gvisor__bind__free_unpacked, conv_bind);
	case KCAP__GVISOR__MESSAGE_TYPE__MESSAGE_SYSCALL_ACCEPT:
		CONVERT_SC(Kcap__Gvisor__Accept, kcap__gvisor__accept__unpack,
			   kcap__gvisor__accept__free_unpacked, conv_accept);
	case KCAP__GVISOR__MESSAGE_TYPE__MESSAGE_SYSCALL_READ:
		CONVERT_SC(Kcap__Gvisor__Read, kcap__gvisor__read__unpack,
			   kcap__gvisor__read__free_unpacked, conv_read);
	case KCAP__GVISOR__MESSAGE_TYPE__MESSAGE_SYSCALL_WRITE:
		CONVERT_SC(Kcap__Gvisor__Read, kcap__gvisor__read__unpack,
			   kcap__gvisor__read__free_unpacked, conv_write);
	case KCAP__GVISOR__MESSAGE_TYPE__MESSAGE_SYSCALL_SOCKETPAIR:
		CONVERT_SC(Kcap__Gvisor__SocketPair, kcap__gvisor__socket_pair__unpack,
			   kcap__gvisor__socket_pair__free_unpacked, conv_socketpair);
	default:
		/* a type kcap has no event for, or a newer release's */
		x->g->st.skipped++;
		if (drops) {
			ctx_init(x, x->g, x->c, NULL, x->now);
			return put_drop(x, drops);
		}
		return 1;
	}
}

/* ---- Connections ---- */

static void conn_close(struct kcap_gvisor *g, unsigned int i, const char *why)
{
	if (why) {
		gv_log(g, "gvisor sink: sandbox %u: %s, connection closed", g->conns[i].sb, why);
		g->st.rejected++;
	}
	close(g->conns[i].fd);
	g->conns[i] = g->conns[--g->nconns];
}

/* The next sandbox number no connected sandbox has (numbers wrap after
 * 511; at most 511 are connected). */
static unsigned int next_sandbox(struct kcap_gvisor *g)
{
	unsigned int sb, i;

	for (;;) {
		sb = g->next_sb;
		g->next_sb = g->next_sb % 511 + 1;
		for (i = 0; i + 1 < g->nconns; i++)
			if (g->conns[i].sb == sb)
				break;
		if (i + 1 >= g->nconns)
			return sb;
	}
}

static void accept_all(struct kcap_gvisor *g, __u64 now)
{
	struct gv_conn *c;
	int fd;

	for (;;) {
		fd = accept4(g->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (g->nconns >= g->max_clients) {
			gv_log(g, "gvisor sink: %u sandboxes connected, another one refused",
			       g->nconns);
			g->st.rejected++;
			close(fd);
			continue;
		}
		c = &g->conns[g->nconns++];
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->sb = next_sandbox(g);
		c->accepted_ns = now;
		g->st.connections++;
	}
}

static int handshake(struct kcap_gvisor *g, struct gv_conn *c, size_t n, const char **why)
{
	Kcap__Gvisor__Handshake *hs = kcap__gvisor__handshake__unpack(NULL, n, g->pkt), mine;
	unsigned char out[16];
	size_t len;
	__u32 v;

	if (!hs) {
		*why = "handshake does not parse";
		return -EBADMSG;
	}
	v = hs->version;
	kcap__gvisor__handshake__free_unpacked(hs, NULL);
	if (v < GV_VERSION) {
		*why = "handshake version 0";
		return -EBADMSG;
	}
	kcap__gvisor__handshake__init(&mine);
	mine.version = GV_VERSION;
	len = kcap__gvisor__handshake__pack(&mine, out);
	if (send(c->fd, out, len, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)len) {
		*why = "handshake reply not sent";
		return -EIO;
	}
	c->handshaken = true;
	return 0;
}

/* One packet of connection @c: 0, or < 0 with the reason for closing it. */
static int packet(struct kcap_gvisor *g, struct gv_conn *c, size_t n, __u64 now,
		  const char **why)
{
	struct gv_ctx x = { .g = g, .c = c, .now = now };
	__u16 hsize, type;
	__u32 dropped, lost = 0;
	int err;

	if (!c->handshaken)
		return handshake(g, c, n, why);
	if (n < GV_HDR_SIZE) {
		*why = "packet shorter than its header";
		return -EBADMSG;
	}
	hsize = (__u16)(g->pkt[0] | g->pkt[1] << 8);
	type = (__u16)(g->pkt[2] | g->pkt[3] << 8);
	dropped = (__u32)g->pkt[4] | (__u32)g->pkt[5] << 8 | (__u32)g->pkt[6] << 16 |
		  (__u32)g->pkt[7] << 24;
	if (hsize < GV_HDR_SIZE || hsize > n) {
		*why = hsize < GV_HDR_SIZE ? "header size below 8" : "header size past the packet";
		return -EBADMSG;
	}
	if (type == KCAP__GVISOR__MESSAGE_TYPE__MESSAGE_UNKNOWN) {
		*why = "message type 0";
		return -EBADMSG;
	}
	if (c->have_dropped)
		lost = dropped - c->dropped; /* wraps like the sender's count */
	else
		lost = dropped; /* points lost before this connection's first */
	c->dropped = dropped;
	c->have_dropped = true;
	g->st.packets++;
	err = convert(&x, type, g->pkt + hsize, n - hsize, lost, why);
	if (err == -EMSGSIZE) {
		*why = "record too large";
		return err;
	}
	return err < 0 ? err : 0;
}

/* Reads what connection @i has, up to a batch; false if it was closed. */
static bool conn_read(struct kcap_gvisor *g, unsigned int i, __u64 now, int *fatal)
{
	struct gv_conn *c = &g->conns[i];
	const char *why = NULL;
	unsigned int k;
	ssize_t n;
	int err;

	/* a full queue stops the reading, but never a handshake: a sandbox
	 * waits for the answer before it starts */
	for (k = 0; k < GV_BATCH && (!c->handshaken || !queue_full(g)); k++) {
		n = recv(c->fd, g->pkt, GV_PKT_MAX, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return true;
			conn_close(g, i, "receive failed");
			return false;
		}
		if (n == 0) {
			/* the sandbox closed its end (it exited) */
			conn_close(g, i, c->handshaken ? NULL : "closed before the handshake");
			return false;
		}
		if ((size_t)n > GV_PKT_MAX) {
			conn_close(g, i, "packet larger than 1 MiB");
			return false;
		}
		err = packet(g, c, (size_t)n, now, &why);
		if (err == -ENOMEM) {
			*fatal = kcap__err(&g->h, ENOMEM, "gvisor sink: out of memory");
			return true;
		}
		if (err) {
			conn_close(g, i, why ? why : "bad packet");
			return false;
		}
	}
	return true;
}

/* Accepts, expires handshakes, reads every connection once; 0 or < 0. */
static int pump(struct kcap_gvisor *g)
{
	__u64 now = clock_ns(CLOCK_MONOTONIC);
	unsigned int i;
	int fatal = 0;

	g->wall_off = (__s64)(clock_ns(CLOCK_REALTIME) - now);
	if (g->lfd >= 0)
		accept_all(g, now);
	for (i = 0; i < g->nconns;) {
		struct gv_conn *c = &g->conns[i];

		if (!c->handshaken && now - c->accepted_ns > g->hs_timeout_ns) {
			conn_close(g, i, "no handshake in time");
			continue;
		}
		if (!conn_read(g, i, now, &fatal))
			continue;
		if (fatal)
			return fatal;
		i++;
	}
	return 0;
}

static int gv_wait(struct kcap_gvisor *g, int ms)
{
	struct pollfd *p = alloca((g->nconns + 1) * sizeof(*p));
	unsigned int n = 0, i;

	if (g->lfd >= 0)
		p[n++] = (struct pollfd){ .fd = g->lfd, .events = POLLIN };
	for (i = 0; i < g->nconns; i++)
		if (!queue_full(g) || !g->conns[i].handshaken)
			p[n++] = (struct pollfd){ .fd = g->conns[i].fd, .events = POLLIN };
	/* an unanswered handshake times out: wake for it */
	for (i = 0; i < g->nconns; i++)
		if (!g->conns[i].handshaken && (ms < 0 || ms > 100))
			ms = 100;
	if (poll(p, n, ms) < 0 && errno != EINTR)
		return kcap__err(&g->h, errno, "gvisor sink: poll: %s", strerror(errno));
	return 0;
}

static int gv_next(struct kcap *h, const struct kcap_event_hdr **ev)
{
	struct kcap_gvisor *g = to_gv(h);
	__u64 now, ready;
	int err, round, ms;

	free(g->out);
	g->out = NULL;
	for (round = 0; round < 2; round++) {
		now = clock_ns(CLOCK_MONOTONIC);
		/* the sockets are read when the queue has nothing ready, and
		 * at least every GV_PUMP_NS while it hands out what it has:
		 * not two syscalls per event */
		if (round || !g->qn || now - g->last_pump_ns >= GV_PUMP_NS ||
		    (!g->stopped && g->q[0].ready_ns > now)) {
			err = pump(g);
			if (err)
				return err;
			g->last_pump_ns = now;
			now = clock_ns(CLOCK_MONOTONIC);
		}
		if (g->qn && (g->stopped || g->q[0].ready_ns <= now)) {
			g->out = queue_pop(g);
			*ev = g->out;
			return 0;
		}
		if (g->stopped)
			return -ENODATA;
		if (round || g->poll_ms < 0)
			break;
		ms = g->poll_ms;
		if (g->qn) {
			ready = g->q[0].ready_ns;
			if ((int)((ready - now + 999999) / 1000000) < ms)
				ms = (int)((ready - now + 999999) / 1000000);
		}
		err = gv_wait(g, ms);
		if (err)
			return err;
	}
	return -EAGAIN;
}

static int gv_stop(struct kcap *h)
{
	to_gv(h)->stopped = true;
	return 0;
}

static int gv_start(struct kcap *h)
{
	to_gv(h)->stopped = false;
	return 0;
}

static int gv_fd(const struct kcap *h)
{
	return to_gv(h)->lfd;
}

static unsigned int gv_nr_cpus(const struct kcap *h)
{
	(void)h;
	return 1;
}

static int gv_cpu_stats(struct kcap *h, unsigned int cpu, struct kcap_cpu_stats *st)
{
	struct kcap_gvisor *g = to_gv(h);

	if (cpu)
		return kcap__err(h, EINVAL, "gvisor sink: CPU %u: the sink has one set of counters",
				 cpu);
	st->online = 1;
	st->events = g->st.events;
	st->bytes = g->st.bytes;
	st->drops[KCAP_DROP_FULL] = g->st.dropped;
	return 0;
}

static void gv_close(struct kcap *h)
{
	struct kcap_gvisor *g = to_gv(h);

	while (g->nconns)
		conn_close(g, g->nconns - 1, NULL);
	if (g->lfd >= 0) {
		close(g->lfd);
		unlink(g->path);
	}
	while (g->qn)
		free(queue_pop(g));
	free(g->out);
	free(g->q);
	free(g->conns);
	free(g->pkt);
	free(g->path);
	free(g);
}

static __u64 gv_lag(const struct kcap *h)
{
	const struct kcap_gvisor *g = to_gv(h);

	return g->stopped ? 0 : g->holdback_ns;
}

static const struct kcap_source_ops gvisor_ops = {
	.kind = "gvisor",
	.next = gv_next,
	.close = gv_close,
	.start = gv_start,
	.stop = gv_stop,
	.fd = gv_fd,
	.nr_cpus = gv_nr_cpus,
	.cpu_stats = gv_cpu_stats,
	.lag_ns = gv_lag,
};

static struct kcap *open_fail(struct kcap_gvisor *g, const struct kcap_gvisor_opts *opts, int err,
			      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static struct kcap *open_fail(struct kcap_gvisor *g, const struct kcap_gvisor_opts *opts, int err,
			      const char *fmt, ...)
{
	char *buf = OPTS_GET(opts, errbuf, NULL);
	size_t sz = OPTS_GET(opts, errbuf_sz, 0);
	va_list ap;

	if (buf && sz) {
		va_start(ap, fmt);
		vsnprintf(buf, sz, fmt, ap);
		va_end(ap);
	}
	if (g) {
		if (g->lfd >= 0) {
			close(g->lfd);
			unlink(g->path);
		}
		free(g->conns);
		free(g->pkt);
		free(g->path);
		free(g);
	}
	errno = err;
	return NULL;
}

static int bind_0600(int fd, const struct sockaddr_un *sa)
{
	mode_t old = umask(0177);
	int err = bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) ? errno : 0;

	umask(old);
	return err;
}

/* Is @sa a unix socket file that refuses connections (nobody listens)? */
static bool stale_socket(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, err;

	if (lstat(sa->sun_path, &st) || !S_ISSOCK(st.st_mode))
		return false;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	err = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) ? errno : 0;
	close(fd);
	return err == ECONNREFUSED;
}

struct kcap *kcap_open_gvisor(const char *path, const struct kcap_gvisor_opts *opts)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct kcap_gvisor *g;
	long long hb;
	int err;

	if (opts && (opts->sz < sizeof(size_t) ||
		     !kcap__opts_valid(opts, sizeof(*opts), opts->sz)))
		return open_fail(NULL, opts, EINVAL, "gvisor sink: bad options");
	if (!path || !*path || strlen(path) >= sizeof(sa.sun_path))
		return open_fail(NULL, opts, EINVAL, "gvisor sink: %s: socket path empty or above %zu bytes",
				 path ? path : "(null)", sizeof(sa.sun_path) - 1);
	g = calloc(1, sizeof(*g));
	if (!g)
		return open_fail(NULL, opts, ENOMEM, "gvisor sink: out of memory");
	kcap__init(&g->h, &gvisor_ops);
	g->lfd = -1;
	g->next_sb = 1;
	g->max_clients = OPTS_GET(opts, max_sandboxes, 0) ? OPTS_GET(opts, max_sandboxes, 0) : 64;
	hb = OPTS_GET(opts, holdback_ns, 0);
	g->holdback_ns = hb == KCAP_HOLDBACK_NONE ? 0 : hb > 0 ? (__u64)hb : KCAP_GVISOR_HOLDBACK_NS;
	g->poll_ms = OPTS_GET(opts, poll_timeout_ms, 0) ? OPTS_GET(opts, poll_timeout_ms, 0)
							: KCAP_DEFAULT_POLL_TIMEOUT_MS;
	g->hs_timeout_ns = (__u64)(OPTS_GET(opts, handshake_timeout_ms, 0)
					   ? OPTS_GET(opts, handshake_timeout_ms, 0)
					   : 5000) * 1000000ULL;
	g->log = OPTS_GET(opts, log, NULL);
	g->log_arg = OPTS_GET(opts, log_arg, NULL);
	if (g->max_clients > 511)
		return open_fail(g, opts, EINVAL, "gvisor sink: at most 511 sandboxes");
	g->path = strdup(path);
	g->conns = calloc(g->max_clients, sizeof(*g->conns));
	g->pkt = malloc(GV_PKT_MAX);
	if (!g->path || !g->conns || !g->pkt)
		return open_fail(g, opts, ENOMEM, "gvisor sink: out of memory");
	g->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (g->lfd < 0)
		return open_fail(g, opts, errno, "gvisor sink: socket: %s", strerror(errno));
	memcpy(sa.sun_path, path, strlen(path));
	/* created with mode 0600 (umask 0177 around bind): only root's
	 * sandboxes connect, and nothing sees a wider mode first */
	err = bind_0600(g->lfd, &sa);
	if (err == EADDRINUSE && stale_socket(&sa)) {
		/* a socket nobody listens on (a recorder that was killed):
		 * replaced; any other file is left alone */
		unlink(path);
		err = bind_0600(g->lfd, &sa);
	}
	if (err) {
		close(g->lfd);
		g->lfd = -1;
		return open_fail(g, opts, err, "gvisor sink: %s: %s", path, strerror(err));
	}
	if (listen(g->lfd, 64))
		return open_fail(g, opts, errno, "gvisor sink: %s: listen: %s", path,
				 strerror(errno));
	return &g->h;
}

int kcap_gvisor_stats(const struct kcap *h, struct kcap_gvisor_stats *st)
{
	if (!kcap__is(h, &gvisor_ops) || !st)
		return -EINVAL;
	*st = to_gv(h)->st;
	st->sandboxes = to_gv(h)->nconns;
	return 0;
}
