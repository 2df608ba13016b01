// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Parameters read from the kernel's own objects rather than from the
 * caller's memory (ABI 2.2): a socket's local and peer addresses, the
 * thread's capability sets, the executable's inode. Everything here runs
 * in a non-preemptible probe: no sleeping locks, and what another task may
 * free under us is read with copy_from_kernel_nofault().
 */
#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/cred.h>
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/dcache.h>
#include <linux/net.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/un.h>
#include <linux/uaccess.h>
#include <linux/string.h>
#include <uapi/linux/magic.h>
#include <net/sock.h>
#include <net/inet_sock.h>
#include <net/af_unix.h>

#include <kcap/kcap_events.h>

#include "kcap.h"
#include "record.h"
#include "fill.h"

static u32 kcap_put_sin(struct kcap_rec *w, __be32 addr, __be16 port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = port,
		.sin_addr.s_addr = addr,
	};

	memcpy(w->p, &sin, sizeof(sin));
	return sizeof(sin);
}

#if IS_ENABLED(CONFIG_IPV6)
static u32 kcap_put_sin6(struct kcap_rec *w, const struct in6_addr *addr,
			 __be16 port)
{
	struct sockaddr_in6 sin6 = {
		.sin6_family = AF_INET6,
		.sin6_port = port,
	};

	memcpy(&sin6.sin6_addr, addr, sizeof(*addr));
	memcpy(w->p, &sin6, sizeof(sin6));
	return sizeof(sin6);
}
#endif

/*
 * A unix socket's bound address (a struct sockaddr_un of addr->len bytes).
 * Our own socket's address is pinned by the file reference; a peer may be
 * released under us (unix_getname() takes the state lock, which sleeps on
 * PREEMPT_RT), so everything behind the peer pointer is read nofault.
 */
static u32 kcap_put_unix(struct kcap_rec *w, struct sock *sk, bool peer)
{
	struct unix_address *ua;
	struct sock *other;
	int len;

	if (peer) {
		other = READ_ONCE(unix_sk(sk)->peer);
		if (!other || copy_from_kernel_nofault(&ua, &unix_sk(other)->addr,
						       sizeof(ua)))
			return 0;
	} else {
		/* pairs with the release in unix_bind(): addr's contents are set */
		ua = smp_load_acquire(&unix_sk(sk)->addr);
	}
	if (!ua || copy_from_kernel_nofault(&len, &ua->len, sizeof(len)) ||
	    len <= (int)sizeof(sa_family_t) || len > (int)sizeof(struct sockaddr_un))
		return 0;
	if (copy_from_kernel_nofault(w->p, ua->name, len))
		return 0;
	return len;
}

/*
 * The local (or peer) address of the socket at @fd as a struct sockaddr,
 * read from the socket itself: after connect() the local address and port
 * the kernel chose, after accept() the client's address even when the
 * caller passed no buffer. Empty if @fd is not a socket or has no such
 * address (an unconnected socket has no peer). The fields are read
 * without the socket lock, as sk_diag does: a concurrent change gives an
 * old or new value, never a fault.
 */
u32 kcap_put_sock_addr(struct kcap_rec *w, long fd, bool peer)
{
	struct socket *sock;
	struct sock *sk;
	u32 n = 0;
	int err;

	if (fd < 0 || fd > INT_MAX)
		return 0;
	sock = sockfd_lookup(fd, &err);
	if (!sock)
		return 0;
	sk = sock->sk;
	if (!sk)
		goto out;
	switch (sk->sk_family) {
	case AF_INET:
		if (peer) {
			if (READ_ONCE(sk->sk_dport))
				n = kcap_put_sin(w, READ_ONCE(sk->sk_daddr),
						 READ_ONCE(sk->sk_dport));
		} else {
			__be32 a = READ_ONCE(sk->sk_rcv_saddr);

			if (!a)
				a = READ_ONCE(inet_sk(sk)->inet_saddr);
			n = kcap_put_sin(w, a, READ_ONCE(inet_sk(sk)->inet_sport));
		}
		break;
#if IS_ENABLED(CONFIG_IPV6)
	case AF_INET6:
		if (peer) {
			if (READ_ONCE(sk->sk_dport))
				n = kcap_put_sin6(w, &sk->sk_v6_daddr,
						  READ_ONCE(sk->sk_dport));
		} else {
			n = kcap_put_sin6(w, &sk->sk_v6_rcv_saddr,
					  READ_ONCE(inet_sk(sk)->inet_sport));
		}
		break;
#endif
	case AF_UNIX:
		n = kcap_put_unix(w, sk, peer);
		break;
	default:
		break;
	}
out:
	/* fput() of a reference the fd table also holds: never the last. */
	sockfd_put(sock);
	return n;
}

static u64 kcap_cap_u64(const kernel_cap_t *c)
{
#ifdef KCAP_HAS_KERNEL_CAP_VAL
	return c->val;
#else
	return c->cap[0] | (u64)c->cap[1] << 32;
#endif
}

/* current's capability set @which: 0 inheritable, 1 permitted, 2 effective. */
u64 kcap_cred_cap(unsigned int which)
{
	const struct cred *cred = current_cred();

	switch (which) {
	case 0:
		return kcap_cap_u64(&cred->cap_inheritable);
	case 1:
		return kcap_cap_u64(&cred->cap_permitted);
	default:
		return kcap_cap_u64(&cred->cap_effective);
	}
}

static u64 kcap_ts_ns(struct timespec64 ts)
{
	return ts.tv_sec < 0 ? 0 : (u64)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/*
 * Whether @d (an overlayfs dentry) has its data on the upper layer.
 * overlayfs keeps the upper dentry right after the VFS inode in its
 * private struct ovl_inode (as Falco's driver reads it); that pointer is
 * only trusted when the exported d_real() names the same dentry, so a
 * kernel whose layout differs answers "no", never a bad dereference.
 */
static bool kcap_ovl_upper(struct dentry *d, struct inode *inode)
{
	struct dentry *upper, *real;

	if (copy_from_kernel_nofault(&upper, (char *)inode + sizeof(*inode),
				     sizeof(upper)) || !upper)
		return false;
#ifdef KCAP_HAS_D_REAL_TYPE
	real = d_real(d, D_REAL_METADATA);
#else
	real = d_real(d, NULL);
#endif
	return real == upper;
}

/*
 * A memfd: an unhashed pseudo dentry (its own parent) named "memfd:..." on
 * the internal tmpfs or hugetlbfs mount. A root dentry is never renamed,
 * so its name is stable.
 */
static bool kcap_is_memfd(struct dentry *d)
{
	unsigned long magic = d->d_sb->s_magic;

	return (magic == TMPFS_MAGIC || magic == HUGETLBFS_MAGIC) &&
	       IS_ROOT(d) && !strncmp(d->d_name.name, "memfd:", 6);
}

void kcap_exe_info(struct file *exe, struct kcap_exe_info *x)
{
	struct dentry *d = exe->f_path.dentry;
	struct inode *inode = file_inode(exe);

	x->ino = inode->i_ino;
#ifdef KCAP_HAS_INODE_GET_CTIME
	x->ctime = kcap_ts_ns(inode_get_ctime(inode));
#else
	x->ctime = kcap_ts_ns(inode->i_ctime);
#endif
#ifdef KCAP_HAS_INODE_GET_MTIME
	x->mtime = kcap_ts_ns(inode_get_mtime(inode));
#else
	x->mtime = kcap_ts_ns(inode->i_mtime);
#endif
	x->flags = 0;
	if (inode->i_sb->s_magic == OVERLAYFS_SUPER_MAGIC && d_is_reg(d) &&
	    kcap_ovl_upper(d, inode))
		x->flags |= KCAP_EXE_UPPER_LAYER;
	if (kcap_is_memfd(d))
		x->flags |= KCAP_EXE_FROM_MEMFD;
}
