// SPDX-License-Identifier: Apache-2.0
/*
 * Typed access to an event's parameters: raw bytes, numbers, strings, the
 * result of a decoded event, string arrays. Every read is bounded by the
 * record's own lengths.
 */
#include <errno.h>
#include <string.h>

#include "event.h"

int kcap_event_param(const struct kcap_event_hdr *ev, unsigned int i, const void **ptr,
		     __u16 *len)
{
	const unsigned char *lens, *p;
	__u64 off;
	__u16 l = 0;
	unsigned int j;

	if (!ev || !ptr || !len)
		return -EINVAL;
	if (i >= ev->nparams)
		return -ERANGE;
	if (sizeof(*ev) + 2ULL * ev->nparams > ev->len)
		return -EBADMSG;
	lens = (const unsigned char *)(ev + 1);
	off = sizeof(*ev) + 2ULL * ev->nparams;
	for (j = 0; j <= i; j++) {
		off += l;
		memcpy(&l, lens + 2 * j, sizeof(l));
	}
	if (off + l > ev->len)
		return -EBADMSG;
	p = (const unsigned char *)ev + off;
	*ptr = p;
	*len = l;
	return 0;
}

/* A generic syscall's parameter @name: nr, a0.. as many as the record has
 * arguments (ABI 3), res last; -ENOENT if it has none such. */
int kcap__generic_idx(const struct kcap_event_hdr *ev, const char *name)
{
	unsigned int res = ev->type == KCAP_EVT_SYSCALL, n = ev->nparams;

	if (!strcmp(name, "nr"))
		return n ? 0 : -ENOENT;
	if (res && !strcmp(name, "res"))
		return n >= 2 ? (int)n - 1 : -ENOENT;
	if (name[0] == 'a' && name[1] >= '0' && name[1] <= '5' && !name[2] &&
	    (unsigned int)(name[1] - '0') + 1 + res < n)
		return name[1] - '0' + 1;
	return -ENOENT;
}

int kcap_event_param_index(const struct kcap_event_hdr *ev, const char *name)
{
	const struct kcap_event_desc *d = ev ? kcap_event_desc(ev->type) : NULL;
	unsigned int i;

	if (!d || !name)
		return -ENOENT;
	if (kcap__generic(ev))
		return kcap__generic_idx(ev, name);
	for (i = 0; i < d->nparams && i < ev->nparams; i++)
		if (!strcmp(d->params[i].name, name))
			return (int)i;
	return -ENOENT;
}

/* The result of a decoded event described by @d: parameter 0. */
int kcap__read_res(const struct kcap_event_hdr *ev, const struct kcap_event_desc *d, __s64 *res)
{
	const void *p;
	__u16 len;
	__u64 v;
	int err;

	if (!d || !(d->flags & KCAP_EDF_DECODED) || !d->nparams)
		return -EINVAL;
	err = kcap_event_param(ev, 0, &p, &len);
	if (err)
		return err;
	/* A 4-byte result (a pid) is signed too: -errno on failure. */
	if (!kcap__read_num(p, len, len == 4 ? 4 : 8, true, &v))
		return -EMSGSIZE;
	*res = (__s64)v;
	return 0;
}

int kcap_event_res(const struct kcap_event_hdr *ev, __s64 *res)
{
	if (!ev || !res)
		return -EINVAL;
	return kcap__read_res(ev, kcap_event_desc(ev->type), res);
}

static int param_number(const struct kcap_event_hdr *ev, unsigned int i, __u64 *u, bool sign)
{
	const void *p;
	__u16 len;
	int err = kcap_event_param(ev, i, &p, &len);

	if (err)
		return err;
	/* A generic syscall's numbers take only the bytes they need (ABI 3). */
	if (kcap__generic(ev))
		return kcap__read_sint(p, len, u) ? 0 : -EMSGSIZE;
	return kcap__read_num(p, len, len, sign, u) ? 0 : -EMSGSIZE;
}

int kcap_event_u64(const struct kcap_event_hdr *ev, unsigned int i, __u64 *out)
{
	if (!out)
		return -EINVAL;
	return param_number(ev, i, out, false);
}

int kcap_event_s64(const struct kcap_event_hdr *ev, unsigned int i, __s64 *out)
{
	__u64 u;
	int err;

	if (!out)
		return -EINVAL;
	err = param_number(ev, i, &u, true);
	if (!err)
		*out = (__s64)u;
	return err;
}

int kcap_event_str(const struct kcap_event_hdr *ev, unsigned int i, char *buf, size_t bufsz)
{
	const void *p;
	__u16 len;
	size_t n;
	int err;

	if (!buf || !bufsz)
		return -EINVAL;
	err = kcap_event_param(ev, i, &p, &len);
	if (err)
		return err;
	n = len < bufsz - 1 ? len : bufsz - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return len;
}

int kcap_event_syscall_nr(const struct kcap_event_hdr *ev)
{
	__u64 nr;

	const unsigned char *b;
	__u64 off;
	__u16 l;

	if (!ev || !kcap__generic(ev))
		return -EINVAL;
	/* parameter 0, read in place: the filters and the rules' type index
	 * ask for it on every generic event */
	off = sizeof(*ev) + 2ULL * ev->nparams;
	if (!ev->nparams || off > ev->len)
		return -EBADMSG;
	b = (const unsigned char *)(ev + 1);
	memcpy(&l, b, sizeof(l));
	if (off + l > ev->len || !kcap__read_sint((const unsigned char *)ev + off, l, &nr) ||
	    nr > 0x7fffffff)
		return -EBADMSG;
	return (int)nr;
}

/*
 * A generic syscall event (docs/abi.md): the number, the arguments the
 * syscall takes (ABI 3; all six in ABI 2 records), then, at exit, the
 * result. One pass over the lengths.
 */
int kcap_event_syscall(const struct kcap_event_hdr *ev, struct kcap_syscall *sc)
{
	const unsigned char *lens, *p;
	unsigned int i, n, nargs;
	__u64 off, v;
	__u16 l;

	if (!ev || !sc || !kcap__generic(ev))
		return -EINVAL;
	memset(sc, 0, sizeof(*sc));
	sc->has_res = ev->type == KCAP_EVT_SYSCALL;
	n = ev->nparams;
	if (n < 1u + sc->has_res || n - 1 - sc->has_res > 6)
		return -EBADMSG;
	nargs = n - 1 - sc->has_res;
	if (sizeof(*ev) + 2ULL * n > ev->len)
		return -EBADMSG;
	lens = (const unsigned char *)(ev + 1);
	off = sizeof(*ev) + 2ULL * n;
	p = (const unsigned char *)ev;
	for (i = 0; i < n; i++) {
		memcpy(&l, lens + 2 * i, sizeof(l));
		if (off + l > ev->len || !kcap__read_sint(p + off, l, &v))
			return -EBADMSG;
		off += l;
		if (i == 0) {
			if (v > 0x7fffffff)
				return -EBADMSG;
			sc->nr = (int)v;
		} else if (i <= nargs) {
			sc->args[i - 1] = v;
		} else {
			sc->res = (__s64)v;
		}
	}
	sc->nargs = nargs;
	return 0;
}

/* ---- String arrays --------------------------------------------------------- */

int kcap_event_strarray(const struct kcap_event_hdr *ev, unsigned int i, struct kcap_strarray *it)
{
	const void *p;
	__u16 len;
	int err;

	if (!it)
		return -EINVAL;
	memset(it, 0, sizeof(*it));
	err = kcap_event_param(ev, i, &p, &len);
	if (err)
		return err;
	it->p = p;
	it->len = len;
	return 0;
}

int kcap_strarray_next(struct kcap_strarray *it, const char **s, size_t *len)
{
	size_t n;

	if (!it || !s || !len)
		return -EINVAL;
	if (it->off >= it->len)
		return 0;
	n = strnlen((const char *)it->p + it->off, it->len - it->off);
	*s = (const char *)it->p + it->off;
	*len = n;
	if (it->off + n == it->len) {
		/* The last string has no terminating NUL: it was cut. */
		it->off = it->len;
		return 2;
	}
	it->off += (__u32)n + 1;
	return 1;
}
