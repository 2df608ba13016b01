// SPDX-License-Identifier: Apache-2.0
/*
 * kcap_state_update(): what each event changes in the thread and descriptor
 * tables. Events are exit-side, so a result says whether the call worked.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "event/event.h"
#include "format/format.h"
#include "format/out.h"
#include "state.h"

#define NOVAL 0xffffffffu
#define CLONE_THREAD_FLAG 0x00010000ULL
#define O_DIRECTORY_FLAG 0200000
#define F_DUPFD_CMD 0
#define F_DUPFD_CLOEXEC_CMD 1030

/* An event being applied, its parameters found once (update_begin()). */
struct evp {
	const struct kcap_event_hdr *ev;
	const struct kcap_event_desc *d;
	unsigned int n; /* parameters below n lie within the record */
	const unsigned char *ptr[KCAP_MAX_PARAMS];
	__u16 len[KCAP_MAX_PARAMS];
	const signed char *pi; /* the row's kcap__row_aux.pidx */
	struct kcap__row_aux scratch; /* for a row nobody stores */
};


/* The parameter named kcap__pnames[@k], -1 if the event has none. */
static int pidx(const struct evp *e, enum kcap__pname k)
{
	int i = e->pi[k];

	return i < (int)e->ev->nparams ? i : -1;
}

static bool p_s64(const struct evp *e, enum kcap__pname name, __s64 *v)
{
	int i = pidx(e, name);
	__u64 u;

	/* kcap_event_s64()'s reading: a generic syscall's numbers take the
	 * bytes they need (ABI 3), a decoded event's 2, 4 or 8 */
	if (i < 0 || (unsigned int)i >= e->n)
		return false;
	if (kcap__generic(e->ev) ? !kcap__read_sint(e->ptr[i], e->len[i], &u)
				 : !kcap__read_num(e->ptr[i], e->len[i], e->len[i], true, &u))
		return false;
	*v = (__s64)u;
	return true;
}

static bool p_u32(const struct evp *e, enum kcap__pname name, __u32 *v)
{
	__s64 x;

	if (!p_s64(e, name, &x))
		return false;
	*v = (__u32)x;
	return true;
}

static bool p_u64(const struct evp *e, enum kcap__pname name, __u64 *v)
{
	__s64 x;

	if (!p_s64(e, name, &x))
		return false;
	*v = (__u64)x;
	return true;
}

/* The capability sets an exec, capset or setuid event reports (ABI 2.2). */
static void on_caps(struct kthread *t, const struct evp *e)
{
	static const enum kcap__pname names[3] = {
		KP_CAP_INHERITABLE, KP_CAP_PERMITTED, KP_CAP_EFFECTIVE,
	};
	__u64 v[3];
	int i;

	for (i = 0; i < 3; i++)
		if (!p_u64(e, names[i], &v[i]))
			return;
	memcpy(t->cap, v, sizeof(v));
	t->has_caps = true;
}

static const char *p_bytes(const struct evp *e, enum kcap__pname name, __u16 *len)
{
	int i = pidx(e, name);

	if (i < 0 || (unsigned int)i >= e->n)
		return NULL;
	*len = e->len[i];
	return (const char *)e->ptr[i];
}

/* kcap_event_sockaddr() from the parameters already walked */
static bool p_sockaddr(const struct evp *e, enum kcap__pname name, struct kcap_sockaddr *sa)
{
	int i = pidx(e, name);

	if (i < 0 || (unsigned int)i >= e->n)
		return false;
	return kcap__parse_sockaddr(e->ptr[i], e->len[i], sa) == 0;
}

/* "1.2.3.4" or "::1" (with "%SCOPE" if set) of @sa into @ip, its port
 * into *port. */
static void sa_ip(const struct kcap_sockaddr *sa, char ip[48], __u16 *port)
{
	/* The texts of the last few addresses, per thread (a pure function
	 * of the bytes, so any handle may use them): a connection's two ends
	 * and the next connection's are mostly the same addresses. */
	static __thread struct {
		__u16 family;
		__u8 len;
		__u8 addr[16];
		char text[48];
	} last[4];
	struct kcap__out o = { .buf = ip, .len = 48 };
	size_t n = sa->family == AF_INET ? 4 : 16;
	unsigned int k = (sa->addr[3] ^ sa->addr[15]) & 3;

	ip[0] = '\0';
	*port = sa->port;
	if (sa->family != AF_INET && sa->family != AF_INET6)
		return;
	if (sa->family == AF_INET6 && sa->scope_id) {
		kcap__put_ip(&o, sa->family, sa->addr);
		kcap__put_char(&o, '%');
		kcap__put_u64(&o, sa->scope_id);
		return;
	}
	if (last[k].family == sa->family && !memcmp(last[k].addr, sa->addr, n)) {
		memcpy(ip, last[k].text, last[k].len + 1u);
		return;
	}
	kcap__put_ip(&o, sa->family, sa->addr);
	if (o.pos >= sizeof(last[k].text))
		return;
	last[k].family = sa->family;
	last[k].len = (__u8)o.pos;
	memcpy(last[k].addr, sa->addr, n);
	memcpy(last[k].text, ip, o.pos + 1);
}

/* "SIP:SPORT->DIP:DPORT" of an IPv4 or IPv6 socket (0.0.0.0 or :: for an
 * end not known yet). */
static void fd_set_name(struct kcap_state *st, struct kfd *f)
{
	const char *any = f->typechar == '6' ? "::" : "0.0.0.0";
	char name[160];
	struct kcap__out o = { .buf = name, .len = sizeof(name) };

	if (f->typechar != '4' && f->typechar != '6')
		return;
	kcap__put_str(&o, f->sip[0] ? f->sip : any);
	kcap__put_char(&o, ':');
	kcap__put_u64(&o, f->sport);
	kcap__put_mem(&o, "->", 2);
	kcap__put_str(&o, f->dip[0] ? f->dip : any);
	kcap__put_char(&o, ':');
	kcap__put_u64(&o, f->dport);
	kst_fd_setname(st, f, name, o.pos < sizeof(name) ? o.pos : sizeof(name) - 1);
}

static char typechar_of_family(unsigned int family)
{
	switch (family) {
	case AF_INET:
		return '4';
	case AF_INET6:
		return '6';
	case AF_UNIX:
		return 'u';
	default:
		return 'o';
	}
}

static void on_fork(struct kcap_state *st, struct kthread *parent, __u32 tid, __u32 pid, __u64 ts)
{
	struct kthread *c;
	bool thread = pid == parent->pid;

	if (!tid)
		return;
	c = kst_thread_new(st, tid, pid);
	if (!c)
		return;
	c->ppid = thread ? parent->ppid : parent->pid;
	c->uid = parent->uid;
	c->euid = parent->euid;
	c->gid = parent->gid;
	c->loginuid = parent->loginuid;
	c->tty = parent->tty;
	c->last_ts = ts;
	c->start_ts = thread ? parent->start_ts : ts;
	memcpy(c->comm, parent->comm, sizeof(c->comm));
	if (parent->exe)
		kst_setstr(&c->exe, parent->exe, strlen(parent->exe));
	if (parent->argv)
		kst_setmem(&c->argv, &c->argv_len, parent->argv, parent->argv_len);
	if (parent->cwd)
		kst_setstr(&c->cwd, parent->cwd, strlen(parent->cwd));
	if (parent->cgroup)
		kst_setstr(&c->cgroup, parent->cgroup, strlen(parent->cgroup));
	if (parent->env)
		kst_setmem(&c->env, &c->env_len, parent->env, parent->env_len);
	c->has_caps = parent->has_caps;
	memcpy(c->cap, parent->cap, sizeof(c->cap));
	c->has_exe_info = parent->has_exe_info;
	c->exe_ino = parent->exe_ino;
	c->exe_ctime = parent->exe_ctime;
	c->exe_mtime = parent->exe_mtime;
	c->exec_ts = parent->exec_ts;
	c->exe_flags = parent->exe_flags;
	c->sid = parent->sid;
	c->vpgid = parent->vpgid;
	c->ct = parent->ct;
	/* vpid: the parent's namespace view is the best guess until exec */
	c->vpid = thread ? parent->vpid : pid;
	c->vtid = tid;
	if (thread && parent->fdt) {
		c->fdt = parent->fdt;
		c->fdt->refs++;
	} else {
		c->fdt = kst_fdt_copy(parent->fdt);
	}
}

static void on_exec(struct kcap_state *st, struct kthread *t, const struct evp *e)
{
	const char *s;
	__u16 n;

	if ((s = p_bytes(e, KP_EXE, &n)) && n)
		kst_setstr(&t->exe, s, n);
	else if ((s = p_bytes(e, KP_FILENAME, &n)))
		kst_setstr(&t->exe, s, n);
	if ((s = p_bytes(e, KP_ARGV, &n)))
		kst_setmem(&t->argv, &t->argv_len, s, n);
	else if (e->ev->type == KCAP_EVT_PROC_EXEC && t->exe)
		kst_setmem(&t->argv, &t->argv_len, t->exe, strlen(t->exe));
	if ((s = p_bytes(e, KP_CWD, &n)) && n)
		kst_setstr(&t->cwd, s, n);
	if ((s = p_bytes(e, KP_COMM, &n))) {
		if (n >= sizeof(t->comm))
			n = sizeof(t->comm) - 1;
		memcpy(t->comm, s, n);
		t->comm[n] = '\0';
	}
	p_u32(e, KP_UID, &t->uid);
	p_u32(e, KP_EUID, &t->euid);
	p_u32(e, KP_GID, &t->gid);
	p_u32(e, KP_LOGINUID, &t->loginuid);
	p_u32(e, KP_TTY, &t->tty);
	p_u32(e, KP_VPID, &t->vpid);
	p_u32(e, KP_VTID, &t->vtid);
	if ((s = p_bytes(e, KP_CGROUP, &n)) && n)
		kst_set_cgroup(t, s, n);
	/* ABI 2.2; a proc_exec event (no credentials) keeps what the
	 * execve event of the same exec set. */
	if ((s = p_bytes(e, KP_ENV, &n)))
		kst_setmem(&t->env, &t->env_len, s, n);
	else if (e->ev->type != KCAP_EVT_PROC_EXEC) {
		free(t->env);
		t->env = NULL;
		t->env_len = 0;
	}
	on_caps(t, e);
	if (p_u64(e, KP_EXE_INO, &t->exe_ino)) {
		t->has_exe_info = true;
		p_u64(e, KP_EXE_CTIME, &t->exe_ctime);
		p_u64(e, KP_EXE_MTIME, &t->exe_mtime);
		p_u32(e, KP_EXE_FLAGS, &t->exe_flags);
		p_u32(e, KP_SID, &t->sid);
		p_u32(e, KP_VPGID, &t->vpgid);
		t->exec_ts = e->ev->ts_ns + (__u64)st->boot_wall_ns;
	} else if (e->ev->type != KCAP_EVT_PROC_EXEC) {
		t->has_exe_info = false;
	}
}

static void on_open(struct kcap_state *st, struct kthread *t, const struct evp *e, __s64 res)
{
	const char *s;
	__u16 n = 0;
	__s64 flags = 0;
	struct kfd *f;

	p_s64(e, KP_FLAGS, &flags);
	f = kst_fd_add(st, t, (__s32)res, flags & O_DIRECTORY_FLAG ? 'd' : 'f');
	if (!f)
		return;
	/* The kernel's absolute path; a pseudo file's ("net:[4026531840]",
	 * "anon_inode:[...]") is not a path: the name it was opened by is
	 * what Falco calls it (/proc/self/ns/net). */
	s = p_bytes(e, KP_PATH, &n);
	if (!s || !n || s[0] != '/')
		s = p_bytes(e, KP_NAME, &n);
	if (s)
		kst_fd_setname(st, f, s, n);
}

static void on_socket(struct kcap_state *st, struct kthread *t, const struct evp *e, __s64 res)
{
	__s64 dom = 0, type = 0;
	struct kfd *f;

	p_s64(e, KP_DOMAIN, &dom);
	p_s64(e, KP_TYPE, &type);
	f = kst_fd_add(st, t, (__s32)res, typechar_of_family((unsigned int)dom));
	if (!f)
		return;
	switch (type & 0xf) {
	case SOCK_STREAM:
		f->l4 = IPPROTO_TCP;
		break;
	case SOCK_DGRAM:
		f->l4 = IPPROTO_UDP;
		break;
	case SOCK_RAW:
		f->l4 = 255;
		break;
	}
	if (f->typechar == 'u')
		kst_setstr(&f->name, "", 0);
}

/*
 * connect, sendto: the remote end of @fd; accept: @fd is new, from
 * @listener. Since ABI 2.2 connect and accept carry the socket's own
 * "local" and "peer" addresses, read by the driver from the kernel's
 * socket: they win over the caller's "addr" (accept's is empty when the
 * caller passed no buffer; connect's says nothing of the local end).
 */
static void on_peer(struct kcap_state *st, struct kthread *t, const struct evp *e, __s32 fd,
		    const struct kfd *listener)
{
	struct kcap_sockaddr sa, lo, pe;
	bool has_sa = p_sockaddr(e, KP_ADDR, &sa) && sa.family;
	bool has_lo = p_sockaddr(e, KP_LOCAL, &lo) && lo.family;
	bool has_pe = p_sockaddr(e, KP_PEER, &pe) && pe.family;
	unsigned int family;
	struct kfd *f = kcap__fd(t, fd);

	if (has_pe)
		family = pe.family;
	else if (has_lo)
		family = lo.family;
	else if (has_sa)
		family = sa.family;
	else
		return;
	if (!f || f->typechar != typechar_of_family(family)) {
		__u8 l4 = f ? f->l4 : (listener ? listener->l4 : 0);

		f = kst_fd_add(st, t, fd, typechar_of_family(family));
		if (!f)
			return;
		f->l4 = l4 ? l4 : IPPROTO_TCP;
	}
	if (family == AF_UNIX) {
		const char *path = has_sa && sa.family == AF_UNIX ? sa.path :
				   has_pe && pe.path[0] ? pe.path :
				   has_lo ? lo.path : "";

		kst_setstr(&f->name, path, strlen(path));
		return;
	}
	if (listener) {
		/* accepted: the client is the source, we are the destination */
		if (has_pe)
			sa_ip(&pe, f->sip, &f->sport);
		else if (has_sa)
			sa_ip(&sa, f->sip, &f->sport);
		if (has_lo) {
			sa_ip(&lo, f->dip, &f->dport);
		} else {
			memcpy(f->dip, listener->dip, sizeof(f->dip));
			f->dport = listener->dport;
		}
		f->bound = false;
		f->l4 = listener->l4 ? listener->l4 : IPPROTO_TCP;
		f->accepted = true;
	} else {
		if (f->bound && !has_lo) {
			/* bound before connecting: its address is the client's end */
			memcpy(f->sip, f->dip, sizeof(f->sip));
			f->sport = f->dport;
		}
		f->bound = false;
		if (has_pe)
			sa_ip(&pe, f->dip, &f->dport);
		else if (has_sa)
			sa_ip(&sa, f->dip, &f->dport);
		if (has_lo)
			sa_ip(&lo, f->sip, &f->sport);
	}
	fd_set_name(st, f);
}

static void on_dup(struct kcap_state *st, struct kthread *t, __s32 oldfd, __s32 newfd)
{
	struct kfd *o = kcap__fd(t, oldfd), copy, *f;

	if (!o || oldfd == newfd)
		return;
	copy = *o;
	f = kst_fd_add(st, t, newfd, copy.typechar); /* may move the table */
	if (!f)
		return;
	o = kcap__fd(t, oldfd);
	if (!o)
		return;
	f->l4 = o->l4;
	f->accepted = o->accepted;
	f->bound = o->bound;
	f->sport = o->sport;
	f->dport = o->dport;
	memcpy(f->sip, o->sip, sizeof(f->sip));
	memcpy(f->dip, o->dip, sizeof(f->dip));
	f->name = o->name ? strdup(o->name) : NULL;
}

static void on_chdir(struct kthread *t, const struct evp *e)
{
	const char *s;
	__u16 n;
	char *joined;

	if (!(s = p_bytes(e, KP_PATH, &n)) || !n)
		return;
	if (s[0] == '/' || !t->cwd) {
		kst_setstr(&t->cwd, s, n);
		return;
	}
	if (asprintf(&joined, "%s/%.*s", t->cwd, (int)n, s) < 0)
		return;
	free(t->cwd);
	t->cwd = joined;
}

static void cred_later(struct kcap_state *st, struct kthread *t, const struct evp *e, int kind)
{
	static const enum kcap__pname names[2][3] = {
		{ KP_RUID, KP_EUID, KP_SUID },
		{ KP_RGID, KP_EGID, KP_SGID },
	};
	int i;

	st->pending_cred_tid = t->tid;
	st->pending_cred_kind = kind;
	for (i = 0; i < 3; i++) {
		__u32 v = NOVAL;

		p_u32(e, names[kind - 1][i], &v);
		st->pending_cred[i] = v;
	}
	/* setuid(x)/setgid(x): the effective id, and the real one for root */
	if (e->ev->type == KCAP_EVT_SETUID || e->ev->type == KCAP_EVT_SETGID) {
		__u32 v = NOVAL;

		p_u32(e, kind == 1 ? KP_UID : KP_GID, &v);
		st->pending_cred[1] = v;
		if (t->euid == 0)
			st->pending_cred[0] = v;
	}
}

static void apply_pending(struct kcap_state *st)
{
	struct kthread *t;

	if (st->pending_close_tid) {
		kst_fd_remove(st, st->pending_close_tid, st->pending_close_fd);
		st->pending_close_tid = 0;
	}
	if (st->pending_cred_kind && (t = kcap__thread(st, st->pending_cred_tid))) {
		__u32 *r = st->pending_cred_kind == 1 ? &t->uid : &t->gid;
		__u32 *eff = st->pending_cred_kind == 1 ? &t->euid : NULL;

		if (st->pending_cred[0] != NOVAL)
			*r = st->pending_cred[0];
		if (eff && st->pending_cred[1] != NOVAL)
			*eff = st->pending_cred[1];
	}
	st->pending_cred_kind = 0;
	if (st->pending_exit) {
		kst_thread_remove(st, st->pending_exit);
		st->stats.threads_reaped++;
		st->pending_exit = 0;
	}
}

/* A parent first seen at its fork event: the event names it. */
static void on_proc_fork(struct kcap_state *st, struct kthread *t, struct evp *e)
{
	__u32 a = 0, b = 0;
	const char *s;
	__u16 n;

	if (!t->comm[0] && (s = p_bytes(e, KP_COMM, &n)) && n < sizeof(t->comm)) {
		memcpy(t->comm, s, n);
		t->comm[n] = '\0';
	}
	if (p_u32(e, KP_CHILD_TID, &a) && p_u32(e, KP_CHILD_PID, &b) && !kcap__thread(st, a))
		on_fork(st, t, a, b, e->ev->ts_ns);
}

/* Without lifecycle events, the parent's result names the child. */
static void on_clone(struct kcap_state *st, struct kthread *t, struct evp *e, __s64 res)
{
	__s64 v = 0;

	if (res > 0 && !kcap__thread(st, (__u32)res)) {
		p_s64(e, KP_FLAGS, &v);
		on_fork(st, t, (__u32)res, v & CLONE_THREAD_FLAG ? t->pid : (__u32)res,
			e->ev->ts_ns);
	}
}

static void on_memfd(struct kcap_state *st, struct kthread *t, struct evp *e, __s64 res)
{
	struct kfd *f = kst_fd_add(st, t, (__s32)res, 'm');
	__u16 n;
	const char *s = p_bytes(e, KP_NAME, &n);
	char name[300];

	if (f && s) {
		snprintf(name, sizeof(name), "memfd:%.*s", (int)n, s);
		kst_setstr(&f->name, name, strlen(name));
	}
}

static void on_socketpair(struct kcap_state *st, struct kthread *t, struct evp *e)
{
	__u16 n;
	const char *s = p_bytes(e, KP_FDS, &n);
	__s32 fds[2];

	if (s && n == 8) {
		memcpy(fds, s, 8);
		kst_fd_add(st, t, fds[0], 'u');
		kst_fd_add(st, t, fds[1], 'u');
	}
}

/* sendto names the peer of an unconnected socket. */
static void on_sendto(struct kcap_state *st, struct kthread *t, struct evp *e, __s32 fd)
{
	struct kfd *f = kcap__fd(t, fd);

	if (!f || !f->dip[0])
		on_peer(st, t, e, fd, NULL);
}

/* The accepted descriptor inherits the listener's local end. */
static void on_accept(struct kcap_state *st, struct kthread *t, struct evp *e, __s32 lfd,
		      __s32 fd)
{
	struct kfd *l = kcap__fd(t, lfd), copy;

	memset(&copy, 0, sizeof(copy));
	if (l)
		copy = *l;
	copy.name = NULL;
	on_peer(st, t, e, fd, &copy);
}

static void on_bind(struct kthread *t, struct evp *e, __s32 fd)
{
	struct kfd *f = kcap__fd(t, fd);
	struct kcap_sockaddr sa;

	if (f && p_sockaddr(e, KP_ADDR, &sa)) {
		if (sa.family == AF_UNIX) {
			kst_setstr(&f->name, sa.path, strlen(sa.path));
		} else if (sa.family == AF_INET || sa.family == AF_INET6) {
			/* a bound (listening) socket: Falco names it by its own
			 * address, the server's end (fd.sip, fd.sport) */
			char name[160];

			sa_ip(&sa, f->dip, &f->dport);
			f->bound = true;
			snprintf(name, sizeof(name), "%s:%u", f->dip, f->dport);
			kst_setstr(&f->name, name, strlen(name));
		}
	}
}

/* The thread of @ev, with the desc and result of the event; NULL if the
 * event changes nothing (a drop marker, an unknown type) or on ENOMEM. */
static struct kthread *update_begin(struct kcap_state *st, struct kcap *h,
				    const struct kcap_event_hdr *ev, struct evp *e, __s64 *res,
				    int *err)
{
	struct kthread *t;

	*err = 0;
	apply_pending(st);
	if (ev->type == KCAP_EVT_DROP || !ev->tid)
		return NULL;
	e->d = kcap_handle_event_desc(h, ev->type);
	if (!e->d)
		return NULL;
	t = kst_thread_get(st, ev);
	if (!t) {
		*err = -ENOMEM;
		return NULL;
	}
	t->last_ts = ev->ts_ns;
	/* no case below reads a generic syscall's parameters */
	if (kcap__generic(ev)) {
		static const signed char none[KP_NR] = { [0 ... KP_NR - 1] = -1 };

		e->n = 0;
		e->pi = none;
		return t;
	}
	e->n = kcap__param_walk(ev, e->ptr, e->len, KCAP_MAX_PARAMS);
	e->pi = kcap__aux_cached(&st->auxc, h, ev->type, e->d, &e->scratch)->pidx;
	if (e->d->flags & KCAP_EDF_DECODED) {
		const struct kcap_event_desc *b = kcap_event_desc(ev->type);
		__u64 v;

		/* kcap_event_res(): parameter 0 of a type the built-in table
		 * decodes, a 4-byte result (a pid) signed too */
		if (b && (b->flags & KCAP_EDF_DECODED) && b->nparams && e->n &&
		    kcap__read_num(e->ptr[0], e->len[0], e->len[0] == 4 ? 4 : 8, true, &v))
			*res = (__s64)v;
	}
	return t;
}

/* Every case of kcap_state_update()'s switch below but the lifecycle
 * events: keep the two in step (a missing type leaves fields wrong when a
 * capture selects syscalls by rules, detect/interest.c). */
const unsigned short kcap__state_types[] = {
	KCAP_EVT_CLONE, KCAP_EVT_CLONE3, KCAP_EVT_FORK, KCAP_EVT_VFORK,
	KCAP_EVT_EXECVE, KCAP_EVT_EXECVEAT,
	KCAP_EVT_OPEN, KCAP_EVT_OPENAT, KCAP_EVT_OPENAT2, KCAP_EVT_CREAT,
	KCAP_EVT_MEMFD_CREATE, KCAP_EVT_SOCKET, KCAP_EVT_SOCKETPAIR, KCAP_EVT_CONNECT,
	KCAP_EVT_SENDTO, KCAP_EVT_ACCEPT, KCAP_EVT_ACCEPT4, KCAP_EVT_BIND,
	KCAP_EVT_DUP, KCAP_EVT_DUP2, KCAP_EVT_DUP3, KCAP_EVT_FCNTL, KCAP_EVT_CLOSE,
	KCAP_EVT_CHDIR, KCAP_EVT_FCHDIR,
	KCAP_EVT_SETUID, KCAP_EVT_SETREUID, KCAP_EVT_SETRESUID, KCAP_EVT_CAPSET,
	KCAP_EVT_SETGID, KCAP_EVT_SETREGID, KCAP_EVT_SETRESGID,
	KCAP_EVT_INVALID,
};

/* What each event type changes: one case, one handler. */
int kcap_state_update(struct kcap_state *st, struct kcap *h, const struct kcap_event_hdr *ev)
{
	struct evp e; /* not zeroed: update_begin() sets what is read */
	struct kthread *t;
	__s64 res = -1, v = 0, w = 0;
	int err;

	e.ev = ev;
	e.d = NULL;
	e.n = 0;

	if (!st || !ev)
		return -EINVAL;
	t = update_begin(st, h, ev, &e, &res, &err);
	if (!t)
		return err;
	switch (ev->type) {
	case KCAP_EVT_PROC_FORK:
		on_proc_fork(st, t, &e);
		break;
	case KCAP_EVT_CLONE:
	case KCAP_EVT_CLONE3:
	case KCAP_EVT_FORK:
	case KCAP_EVT_VFORK:
		on_clone(st, t, &e, res);
		break;
	case KCAP_EVT_EXECVE:
	case KCAP_EVT_EXECVEAT:
		if (res == 0)
			on_exec(st, t, &e);
		break;
	case KCAP_EVT_PROC_EXEC:
		on_exec(st, t, &e);
		break;
	case KCAP_EVT_PROC_EXIT:
		t->exited = true;
		st->pending_exit = t->tid;
		break;
	case KCAP_EVT_OPEN:
	case KCAP_EVT_OPENAT:
	case KCAP_EVT_OPENAT2:
	case KCAP_EVT_CREAT:
		if (res >= 0)
			on_open(st, t, &e, res);
		break;
	case KCAP_EVT_MEMFD_CREATE:
		if (res >= 0)
			on_memfd(st, t, &e, res);
		break;
	case KCAP_EVT_SOCKET:
		if (res >= 0)
			on_socket(st, t, &e, res);
		break;
	case KCAP_EVT_SOCKETPAIR:
		if (res == 0)
			on_socketpair(st, t, &e);
		break;
	case KCAP_EVT_CONNECT:
		if ((res == 0 || res == -EINPROGRESS) && p_s64(&e, KP_FD, &v))
			on_peer(st, t, &e, (__s32)v, NULL);
		break;
	case KCAP_EVT_SENDTO:
		if (res >= 0 && p_s64(&e, KP_FD, &v))
			on_sendto(st, t, &e, (__s32)v);
		break;
	case KCAP_EVT_ACCEPT:
	case KCAP_EVT_ACCEPT4:
		if (res >= 0 && p_s64(&e, KP_FD, &v))
			on_accept(st, t, &e, (__s32)v, (__s32)res);
		break;
	case KCAP_EVT_BIND:
		if (res == 0 && p_s64(&e, KP_FD, &v))
			on_bind(t, &e, (__s32)v);
		break;
	case KCAP_EVT_DUP:
	case KCAP_EVT_DUP2:
	case KCAP_EVT_DUP3:
		if (res >= 0 && p_s64(&e, KP_OLDFD, &v))
			on_dup(st, t, (__s32)v, (__s32)res);
		break;
	case KCAP_EVT_FCNTL:
		if (res >= 0 && p_s64(&e, KP_CMD, &w) &&
		    (w == F_DUPFD_CMD || w == F_DUPFD_CLOEXEC_CMD) && p_s64(&e, KP_FD, &v))
			on_dup(st, t, (__s32)v, (__s32)res);
		break;
	case KCAP_EVT_CLOSE:
		if (res == 0 && p_s64(&e, KP_FD, &v)) {
			st->pending_close_tid = t->tid;
			st->pending_close_fd = (__s32)v;
		}
		break;
	case KCAP_EVT_CHDIR:
	case KCAP_EVT_FCHDIR:
		if (res == 0)
			on_chdir(t, &e);
		break;
	case KCAP_EVT_SETUID:
	case KCAP_EVT_SETREUID:
	case KCAP_EVT_SETRESUID:
		if (res == 0) {
			cred_later(st, t, &e, 1);
			on_caps(t, &e);
		}
		break;
	case KCAP_EVT_CAPSET:
		if (res == 0)
			on_caps(t, &e);
		break;
	case KCAP_EVT_SETGID:
	case KCAP_EVT_SETREGID:
	case KCAP_EVT_SETRESGID:
		if (res == 0)
			cred_later(st, t, &e, 2);
		break;
	default:
		break;
	}
	/* after the event's own changes (an exec may name a new cgroup) */
	if (t->ct.id[0] && st->ct_mode != KCAP_CT_LOOKUP_NEVER)
		kst_ct_event(st, h, t, ev->ts_ns);
	return 0;
}
