// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The generic syscall filler: one interpreter of the event table's parameter
 * sources (enum kcap_param_src), so a decoded syscall is a table row, not
 * code. Records are reserved at their upper bound and committed at the
 * length actually written.
 */
#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/dcache.h>
#include <linux/socket.h>
#include <linux/uio.h>
#include <linux/compat.h>
#include <linux/capability.h>
#include <net/compat.h>
#include <linux/preempt.h>
#include <asm/syscall.h>

#include <kcap/kcap_event_table.h>

#include "kcap.h"
#include "compat.h"
#include "record.h"
#include "umem.h"
#include "fill.h"

#define KCAP_SOCKADDR_MAX ((u32)sizeof(struct sockaddr_storage))
#define KCAP_IOV_MAX 64		/* iovec entries walked for data */

static inline void __user *kcap_uptr(unsigned long v)
{
	return (void __user *)v;
}

/* Upper bound of the bytes a parameter takes; also its read limit. */
static u32 kcap_param_max(const struct kcap_param_desc *p,
			  const struct kcap_sc *c)
{
	u32 snap = c->snaplen;

	switch (p->src) {
	case KCAP_SRC_RES:
	case KCAP_SRC_ARG:
	case KCAP_SRC_UMEM64:
		return kcap_param_type_size(p->type);
	case KCAP_SRC_USTR:
		return p->type == KCAP_PT_PATH ? KCAP_PATH_MAX : snap;
	case KCAP_SRC_UBUF_ARG:
		return min_t(u64, c->args[p->aux], snap);
	case KCAP_SRC_UBUF_RES:
		return c->ret > 0 ? min_t(u64, c->ret, snap) : 0;
	case KCAP_SRC_UIOV_ARG:
	case KCAP_SRC_UMSG_ARG:
		return snap;
	case KCAP_SRC_UIOV_RES:
	case KCAP_SRC_UMSG_RES:
		return c->ret > 0 ? min_t(u64, c->ret, snap) : 0;
	case KCAP_SRC_USOCKADDR:
	case KCAP_SRC_USOCKADDR_PLEN:
	case KCAP_SRC_UMSG_NAME:
		return KCAP_SOCKADDR_MAX;
	case KCAP_SRC_UINT2:
		return 2 * sizeof(int);
	case KCAP_SRC_FDPATH:
	case KCAP_SRC_FDPATH_RES:
		return KCAP_PATH_MAX;
	case KCAP_SRC_UCAPDATA:
		return 2 * sizeof(struct __user_cap_data_struct);
	case KCAP_SRC_SOCK_LOCAL:
	case KCAP_SRC_SOCK_PEER:
		return KCAP_SOCKADDR_MAX;
	case KCAP_SRC_CREDCAP:
		return sizeof(u64);
	default:
		return 0;
	}
}

/* Write the absolute path of @fd in place; returns its length. */
u32 kcap_put_fd_path(struct kcap_rec *w, long fd)
{
	struct file *f;
	int len;
	u32 n;

	if (fd < 0)
		return 0;
	/* Takes a reference: the fd table keeps its own, so our fput()
	 * is not the last one (if it is, fput() defers the release).
	 */
	f = fget(fd);
	if (!f)
		return 0;
	len = kcap_path(&f->f_path, (char *)w->p, KCAP_PATH_MAX);
	n = len > 0 ? len : 0;
	fput(f);
	return n;
}

/* Copy up to @max bytes of data described by a user iovec array. */
static u32 kcap_put_iov(struct kcap_rec *w, unsigned long uiov,
			unsigned long cnt, u32 max, bool compat, bool *fault)
{
	u32 done = 0;
	unsigned long i;

	for (i = 0; i < cnt && i < KCAP_IOV_MAX && done < max; i++) {
		unsigned long base, len;

		if (IS_ENABLED(CONFIG_COMPAT) && compat) {
			struct compat_iovec civ;

			if (kcap_read_user(&civ, kcap_uptr(uiov) + i * sizeof(civ),
					   sizeof(civ)))
				goto fault;
			base = civ.iov_base;
			len = civ.iov_len;
		} else {
			struct iovec iv;

			if (kcap_read_user(&iv, kcap_uptr(uiov) + i * sizeof(iv),
					   sizeof(iv)))
				goto fault;
			base = (unsigned long)iv.iov_base;
			len = iv.iov_len;
		}
		len = min_t(unsigned long, len, max - done);
		if (kcap_read_user(w->p + done, kcap_uptr(base), len))
			goto fault;
		done += len;
	}
	return done;
fault:
	*fault = true;
	return done;
}

/* Copy a sockaddr of @ilen bytes (as the caller gave it), at most @max. */
static u32 kcap_put_sockaddr(struct kcap_rec *w, unsigned long uaddr, int ilen,
			     u32 max, bool *fault)
{
	u32 n;

	if (!uaddr || ilen <= 0)
		return 0;
	n = min_t(u32, ilen, max);
	if (kcap_read_user(w->p, kcap_uptr(uaddr), n)) {
		*fault = true;
		return 0;
	}
	return n;
}

/* The parts of a msghdr the fillers need, native or compat layout. */
struct kcap_msg {
	unsigned long name, iov, iovlen;
	int namelen;
};

static int kcap_read_msghdr(unsigned long umsg, bool compat,
			    struct kcap_msg *m)
{
	if (IS_ENABLED(CONFIG_COMPAT) && compat) {
		struct compat_msghdr cm;

		if (kcap_read_user(&cm, kcap_uptr(umsg), sizeof(cm)))
			return -EFAULT;
		m->name = cm.msg_name;
		m->namelen = cm.msg_namelen;
		m->iov = cm.msg_iov;
		m->iovlen = cm.msg_iovlen;
	} else {
		struct user_msghdr um;

		if (kcap_read_user(&um, kcap_uptr(umsg), sizeof(um)))
			return -EFAULT;
		m->name = (unsigned long)um.msg_name;
		m->namelen = um.msg_namelen;
		m->iov = (unsigned long)um.msg_iov;
		m->iovlen = um.msg_iovlen;
	}
	return 0;
}

/*
 * capset's data: as many user_cap_data_struct as the header's version
 * says the kernel reads (one for version 1, two for 64-bit capability
 * versions 2 and 3); nothing for a version the kernel rejects.
 */
static u32 kcap_put_capdata(struct kcap_rec *w, unsigned long data,
			    unsigned long hdr, bool *fault)
{
	u32 version, n;

	if (!data || !hdr)
		return 0;
	if (kcap_read_user(&version, kcap_uptr(hdr), sizeof(version))) {
		*fault = true;
		return 0;
	}
	switch (version) {
	case _LINUX_CAPABILITY_VERSION_1:
		n = _LINUX_CAPABILITY_U32S_1;
		break;
	case _LINUX_CAPABILITY_VERSION_2:
	case _LINUX_CAPABILITY_VERSION_3:
		n = _LINUX_CAPABILITY_U32S_3;
		break;
	default:
		return 0;
	}
	n *= sizeof(struct __user_cap_data_struct);
	if (kcap_read_user(w->p, kcap_uptr(data), n)) {
		*fault = true;
		return 0;
	}
	return n;
}

/* Write one parameter in place, at most @max bytes. */
static void kcap_put_param(struct kcap_rec *w, const struct kcap_param_desc *p,
			   const struct kcap_sc *c, u32 max)
{
	unsigned long a = c->args[p->arg];
	bool fault = false, trunc = false;
	struct kcap_msg m kcap_noinit;	/* read only once kcap_read_msghdr() set it */
	u32 n = 0;
	long len;
	u64 v;
	int ilen;

	switch (p->src) {
	case KCAP_SRC_RES:
		v = c->ret;
		memcpy(w->p, &v, max);	/* little-endian: low bytes first */
		n = max;
		break;
	case KCAP_SRC_ARG:
		/* fds are C ints: sign-extend, as the kernel reads them. */
		v = p->type == KCAP_PT_FD ? (u64)(s64)(int)a : a;
		memcpy(w->p, &v, max);
		n = max;
		break;
	case KCAP_SRC_UMEM64:
		v = 0;
		if (a && kcap_read_user(&v, kcap_uptr(a) + 8 * p->aux, 8))
			fault = true;
		memcpy(w->p, &v, max);
		n = max;
		break;
	case KCAP_SRC_USTR:
		if (!a)
			break;
		len = kcap_read_ustr((char *)w->p, kcap_uptr(a), max, &trunc);
		if (len < 0)
			fault = true;
		else
			n = len;
		break;
	case KCAP_SRC_UBUF_ARG:
	case KCAP_SRC_UBUF_RES:
		if (!a || !max)
			break;
		trunc = (p->src == KCAP_SRC_UBUF_ARG ? c->args[p->aux] :
			 (unsigned long)c->ret) > max;
		if (kcap_read_user(w->p, kcap_uptr(a), max))
			fault = true;
		else
			n = max;
		break;
	case KCAP_SRC_UIOV_ARG:
	case KCAP_SRC_UIOV_RES:
		if (!a || !max)
			break;
		n = kcap_put_iov(w, a, c->args[p->aux], max, c->compat, &fault);
		trunc = n == max;
		break;
	case KCAP_SRC_USOCKADDR:
		n = kcap_put_sockaddr(w, a, (int)c->args[p->aux], max, &fault);
		break;
	case KCAP_SRC_USOCKADDR_PLEN:
		if (!a || !c->args[p->aux] || c->ret < 0)
			break;
		if (kcap_read_user(&ilen, kcap_uptr(c->args[p->aux]),
				   sizeof(ilen))) {
			fault = true;
			break;
		}
		n = kcap_put_sockaddr(w, a, ilen, max, &fault);
		break;
	case KCAP_SRC_UMSG_ARG:
	case KCAP_SRC_UMSG_RES:
	case KCAP_SRC_UMSG_NAME:
		if (!a || !max)
			break;
		if (kcap_read_msghdr(a, c->compat, &m)) {
			fault = true;
			break;
		}
		if (p->src != KCAP_SRC_UMSG_NAME) {
			n = kcap_put_iov(w, m.iov, m.iovlen, max, c->compat,
					 &fault);
			trunc = n == max;
		} else {
			n = kcap_put_sockaddr(w, m.name, m.namelen, max, &fault);
		}
		break;
	case KCAP_SRC_UINT2:
		if (!a || c->ret < 0)
			break;
		if (kcap_read_user(w->p, kcap_uptr(a), max))
			fault = true;
		else
			n = max;
		break;
	case KCAP_SRC_FDPATH:
		n = kcap_put_fd_path(w, (int)a);
		break;
	case KCAP_SRC_FDPATH_RES:
		n = kcap_put_fd_path(w, c->ret);
		break;
	case KCAP_SRC_UCAPDATA:
		n = kcap_put_capdata(w, a, c->args[p->aux], &fault);
		break;
	case KCAP_SRC_SOCK_LOCAL:
	case KCAP_SRC_SOCK_PEER:
		/* aux 1: the socket is the result (accept) */
		if (p->aux && c->ret < 0)
			break;
		n = kcap_put_sock_addr(w, p->aux ? c->ret : (long)(int)a,
				       p->src == KCAP_SRC_SOCK_PEER);
		break;
	case KCAP_SRC_CREDCAP:
		v = kcap_cred_cap(p->aux);
		memcpy(w->p, &v, sizeof(v));
		n = sizeof(v);
		break;
	default:
		break;
	}
	if (fault)
		kcap_rec_fault(w);
	if (trunc)
		w->hdr->flags |= KCAP_EVF_TRUNCATED;
	kcap_rec_done(w, n);
}

/* Bring the user memory the filler will read into RAM; may sleep. */
static void kcap_prefault_params(const struct kcap_event_desc *d,
				 const struct kcap_sc *c)
{
	unsigned int i;

	for (i = 0; i < d->nparams; i++) {
		const struct kcap_param_desc *p = &d->params[i];
		unsigned long a = c->args[p->arg];

		switch (p->src) {
		case KCAP_SRC_USTR:
			kcap_prefault_str(kcap_uptr(a), kcap_param_max(p, c));
			break;
		case KCAP_SRC_UBUF_ARG:
		case KCAP_SRC_UBUF_RES:
			kcap_prefault(kcap_uptr(a), kcap_param_max(p, c));
			break;
		case KCAP_SRC_USOCKADDR:
			kcap_prefault(kcap_uptr(a), KCAP_SOCKADDR_MAX);
			break;
		default:
			break;
		}
	}
}

/*
 * Start a record of row @d with an upper bound of @len bytes; preemption
 * disabled. False if it is dropped (and counted).
 */
static __always_inline bool kcap_fill_begin(struct kcap_rec *w, struct kcap_session *s,
					    u16 type, const struct kcap_event_desc *d,
					    u32 len, bool compat)
{
	/* The bound grows with the snaplen the reader chose: a row whose
	 * bound passes the record limit is dropped and counted, never built.
	 */
	if (unlikely(len > KCAP_EVENT_MAX_LEN)) {
		kcap_count_oversized(s);
		return false;
	}
	/* A small bound (read, write: the snaplen) is reserved in the ring
	 * and written in place, one copy fewer; a large one (paths: 8 KiB
	 * for openat, for a small record) is built aside and reserved at its
	 * exact size at commit.
	 */
	if (len <= KCAP_DIRECT_MAX) {
		if (!kcap_rec_begin(w, s, type, d->nparams, len,
				    d->flags & KCAP_EDF_PROTECTED))
			return false;
	} else if (!kcap_rec_begin_staged(w, s, type, d->nparams,
					  d->flags & KCAP_EDF_PROTECTED)) {
		return false;
	}
	if (compat)
		w->hdr->flags |= KCAP_EVF_COMPAT;
	return true;
}

/*
 * Rows whose parameters are 8-byte numbers (the result, arguments) and at
 * most one user buffer, last: read, write, pread64, pwrite64, ... They take
 * the short way below; kcap_fill_init() marks them from the table.
 */
static DECLARE_BITMAP(kcap_simple_rows, KCAP_EVT_NR);

void kcap_fill_init(void)
{
	unsigned int t, i;

	for (t = 0; t < KCAP_EVT_NR; t++) {
		const struct kcap_event_desc *d = &kcap_event_table[t];
		bool ok = d->nparams > 0;

		for (i = 0; ok && i < d->nparams; i++) {
			const struct kcap_param_desc *p = &d->params[i];

			if ((p->src == KCAP_SRC_RES || p->src == KCAP_SRC_ARG) &&
			    kcap_param_type_size(p->type) == sizeof(u64))
				continue;
			ok = i == d->nparams - 1u && (p->src == KCAP_SRC_UBUF_ARG ||
						      p->src == KCAP_SRC_UBUF_RES);
		}
		if (ok)
			__set_bit(t, kcap_simple_rows);
	}
}

/* kcap_fill_syscall() of a kcap_simple_rows row: the same record. */
static void kcap_fill_simple(struct kcap_session *s, struct kcap_sc *c, u16 type,
			     const struct kcap_event_desc *d)
{
	const unsigned int np = d->nparams;
	const struct kcap_param_desc *last = &d->params[np - 1];
	const bool ubuf = last->src == KCAP_SRC_UBUF_ARG ||
			  last->src == KCAP_SRC_UBUF_RES;
	const unsigned int nnum = np - ubuf;
	u32 umax = ubuf ? kcap_param_max(last, c) : 0;
	u32 len = KCAP_REC_LEN(np, nnum * sizeof(u64) + umax);
	struct kcap_rec w kcap_noinit;	/* set by kcap_rec_begin*() */
	unsigned int i;

	if (kcap_tp_may_fault() && umax)
		kcap_prefault(kcap_uptr(c->args[last->arg]), umax);
	preempt_disable_notrace();
	if (!kcap_fill_begin(&w, s, type, d, len, c->compat))
		goto out;
	for (i = 0; i < nnum; i++) {
		const struct kcap_param_desc *p = &d->params[i];
		unsigned long a = c->args[p->arg];
		/* fds are C ints: sign-extend, as the kernel reads them */
		u64 v = p->src == KCAP_SRC_RES ? (u64)c->ret :
			p->type == KCAP_PT_FD ? (u64)(s64)(int)a : a;

		memcpy(w.p, &v, sizeof(v));
		kcap_rec_done(&w, sizeof(v));
	}
	if (ubuf)
		kcap_put_param(&w, last, c, umax);
	kcap_rec_commit(&w);
out:
	preempt_enable_notrace();
}

void kcap_fill_syscall(struct kcap_session *s, struct kcap_sc *c, u16 type)
{
	const struct kcap_event_desc *d = &kcap_event_table[type];
	u32 max[KCAP_MAX_PARAMS] kcap_noinit;	/* [0, nparams) set, read */
	u32 len = KCAP_REC_LEN(d->nparams, 0);
	struct kcap_rec w kcap_noinit;	/* set by kcap_rec_begin*() */
	unsigned int i;

	if (test_bit(type, kcap_simple_rows)) {
		kcap_fill_simple(s, c, type, d);
		return;
	}

	for (i = 0; i < d->nparams; i++) {
		max[i] = kcap_param_max(&d->params[i], c);
		len += max[i];
	}
	if (kcap_tp_may_fault())
		kcap_prefault_params(d, c);

	preempt_disable_notrace();
	if (!kcap_fill_begin(&w, s, type, d, len, c->compat))
		goto out;
	for (i = 0; i < d->nparams; i++)
		kcap_put_param(&w, &d->params[i], c, max[i]);
	kcap_rec_commit(&w);
out:
	preempt_enable_notrace();
}
