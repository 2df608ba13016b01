// SPDX-License-Identifier: Apache-2.0
/*
 * Event decoding with the shared event table: parameter access and the
 * one-line text format.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <kcap/kcap_event_table.h>

#include "decode.h"

const struct kcap_event_desc *kcap_event_desc(unsigned int type)
{
	if (type == KCAP_EVT_INVALID || type >= KCAP_EVT_NR)
		return NULL;
	return &kcap_event_table[type];
}

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

int kcap_event_param_index(const struct kcap_event_hdr *ev, const char *name)
{
	const struct kcap_event_desc *d = ev ? kcap_event_desc(ev->type) : NULL;
	unsigned int i;

	if (!d || !name)
		return -ENOENT;
	for (i = 0; i < d->nparams && i < ev->nparams; i++)
		if (!strcmp(d->params[i].name, name))
			return (int)i;
	return -ENOENT;
}

static int param_number(const struct kcap_event_hdr *ev, unsigned int i, __u64 *u, bool sign)
{
	const void *p;
	__u16 len, v16;
	__u32 v32;
	int err = kcap_event_param(ev, i, &p, &len);

	if (err)
		return err;
	switch (len) {
	case 2:
		memcpy(&v16, p, 2);
		*u = sign ? (__u64)(__s64)(__s16)v16 : v16;
		return 0;
	case 4:
		memcpy(&v32, p, 4);
		*u = sign ? (__u64)(__s64)(__s32)v32 : v32;
		return 0;
	case 8:
		memcpy(u, p, 8);
		return 0;
	default:
		return -EMSGSIZE;
	}
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

	if (!ev || (ev->type != KCAP_EVT_SYSCALL && ev->type != KCAP_EVT_SYSCALL_ENTER))
		return -EINVAL;
	if (param_number(ev, 0, &nr, false) || nr > 0x7fffffff)
		return -EBADMSG;
	return (int)nr;
}

/* ---- Formatting ----------------------------------------------------------- */

/* An output cursor that counts what would have been written, like snprintf. */
static void put_escaped(struct kcap__out *o, const unsigned char *p, size_t len, bool strarray)
{
	size_t i;

	kcap__put(o, strarray ? "[\"" : "\"");
	for (i = 0; i < len; i++) {
		unsigned char c = p[i];

		if (strarray && c == '\0')
			kcap__put(o, i + 1 < len ? "\", \"" : "");
		else if (c == '"' || c == '\\')
			kcap__put(o, "\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			kcap__put(o, "%c", c);
		else
			kcap__put(o, "\\x%02x", c);
	}
	kcap__put(o, strarray ? "\"]" : "\"");
}

static void put_errno(struct kcap__out *o, __s64 v)
{
	const char *name = NULL;

	if (v < 0 && v >= -4095)
		name = strerrorname_np((int)-v);
	if (name)
		kcap__put(o, "%lld %s", (long long)v, name);
	else
		kcap__put(o, "%lld", (long long)v);
}

static void put_param(struct kcap__out *o, const struct kcap_event_hdr *ev, unsigned int i,
		      const struct kcap_param_desc *pd)
{
	const void *p;
	__u16 len;
	__u64 u;
	__s64 s;

	if (kcap_event_param(ev, i, &p, &len)) {
		kcap__put(o, "?");
		return;
	}
	switch (pd ? pd->type : KCAP_PT_BYTES) {
	case KCAP_PT_STR:
	case KCAP_PT_PATH:
	case KCAP_PT_BYTES:
	case KCAP_PT_SOCKADDR:
		put_escaped(o, p, len, false);
		return;
	case KCAP_PT_STRARRAY:
		put_escaped(o, p, len, true);
		return;
	case KCAP_PT_S32:
	case KCAP_PT_S64:
	case KCAP_PT_FD:
	case KCAP_PT_ERRNO:
		if (kcap_event_s64(ev, i, &s))
			break;
		if (pd->type == KCAP_PT_ERRNO)
			put_errno(o, s);
		else
			kcap__put(o, "%lld", (long long)s);
		return;
	default:
		if (kcap_event_u64(ev, i, &u))
			break;
		if (pd->fmt == KCAP_PF_HEX)
			kcap__put(o, "0x%llx", (unsigned long long)u);
		else if (pd->fmt == KCAP_PF_OCT)
			kcap__put(o, "0%llo", (unsigned long long)u);
		else
			kcap__put(o, "%llu", (unsigned long long)u);
		return;
	}
	put_escaped(o, p, len, false);
}

static void put_syscall(struct kcap__out *o, const struct kcap_event_hdr *ev,
			const struct kcap_event_desc *d)
{
	bool compat = ev->flags & KCAP_EVF_COMPAT;
	int nr = kcap_event_syscall_nr(ev);
	const char *name = nr >= 0 ? kcap_syscall_name((unsigned int)nr,
						       compat ? KCAP_SC_IA32 : KCAP_SC_X86_64)
				   : NULL;
	unsigned int i, last = ev->nparams < d->nparams ? ev->nparams : d->nparams;
	bool has_res = ev->type == KCAP_EVT_SYSCALL && last == d->nparams;

	if (name)
		kcap__put(o, " %s(", name);
	else
		kcap__put(o, " syscall_%d(", nr);
	if (has_res)
		last--;
	for (i = 1; i < last; i++) {
		kcap__put(o, "%s%s=", i > 1 ? ", " : "", d->params[i].name);
		put_param(o, ev, i, &d->params[i]);
	}
	kcap__put(o, ")");
	if (has_res) {
		kcap__put(o, " = ");
		put_param(o, ev, last, &d->params[last]);
	}
}

static const char *const flag_names[] = { "compat", "truncated", "fault", "enter" };

int kcap_event_format(const struct kcap *h, const struct kcap_event_hdr *ev, char *buf,
		      size_t len)
{
	const struct kcap_event_desc *d;
	struct kcap__out o = { .buf = buf, .len = len };
	unsigned int i, sep = 0;

	if (!ev || (!buf && len))
		return -EINVAL;
	if (len)
		buf[0] = '\0';
	d = kcap__desc(h, ev->type);
	kcap__put(&o, "%llu.%09llu cpu=%u pid=%u tid=%u ", (unsigned long long)(ev->ts_ns / 1000000000ULL),
	    (unsigned long long)(ev->ts_ns % 1000000000ULL), ev->cpu, ev->pid, ev->tid);
	if (!d) {
		kcap__put(&o, "type_%u(", ev->type);
		for (i = 0; i < ev->nparams; i++) {
			kcap__put(&o, "%sp%u=", i ? ", " : "", i);
			put_param(&o, ev, i, NULL);
		}
		kcap__put(&o, ")");
	} else {
		if (d->flags & KCAP_EDF_DECODED) {
			/* "openat(dirfd=AT_FDCWD, ...) = 3", see decode.c */
			size_t room = o.pos < o.len ? o.len - o.pos : 0;

			o.pos += kcap__format_decoded(ev, d, room ? o.buf + o.pos : NULL, room);
		} else if (d->flags & KCAP_EDF_SYSCALL && ev->nparams >= 1) {
			kcap__put(&o, "%s", d->name);
			put_syscall(&o, ev, d);
		} else {
			kcap__put(&o, "%s", d->name);
			for (i = 0; i < ev->nparams; i++) {
				if (i < d->nparams)
					kcap__put(&o, " %s=", d->params[i].name);
				else
					kcap__put(&o, " p%u=", i);
				put_param(&o, ev, i, i < d->nparams ? &d->params[i] : NULL);
			}
		}
	}
	for (i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++) {
		if (ev->flags & (1u << i)) {
			kcap__put(&o, "%s%s", sep ? "," : " flags=", flag_names[i]);
			sep = 1;
		}
	}
	if (o.pos > 0x7fffffff)
		return -EOVERFLOW;
	return (int)o.pos;
}
