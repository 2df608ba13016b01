// SPDX-License-Identifier: Apache-2.0
/*
 * kcap_event_format(): any event as one line of text. Decoded syscalls are
 * written by decoded.c; generic syscall events as name(args) = result;
 * lifecycle events as name param=value...
 */
#include <errno.h>
#include <string.h>

#include "format.h"

/* NUL-separated strings as ["a", "b"]; a NUL at the very end adds nothing. */
static void put_strings(struct kcap__out *o, const unsigned char *p, size_t len)
{
	const unsigned char *end = p + len, *nul;

	kcap__put_str(o, "[\"");
	while ((nul = memchr(p, '\0', (size_t)(end - p)))) {
		kcap__put_escaped(o, p, (size_t)(nul - p));
		p = nul + 1;
		if (p < end)
			kcap__put_str(o, "\", \"");
	}
	kcap__put_escaped(o, p, (size_t)(end - p));
	kcap__put_str(o, "\"]");
}

/*
 * Parameter @i of @ev, the parameters taken in order (i = 0, 1, ...) in one
 * walk of their lengths: its bytes with *@l set, or NULL (with *@l 0) if
 * the lengths run past the record, as kcap_event_param() says. @at: the
 * walk's offset, 0 before parameter 0.
 */
static const void *param_next(const struct kcap_event_hdr *ev, unsigned int i, __u64 *at,
			      __u16 *l)
{
	__u16 n;

	if (i == 0)
		*at = sizeof(*ev) + 2ULL * ev->nparams;
	else if (*at != ~0ULL)
		*at += *l;
	*l = 0;
	if (*at == ~0ULL || *at > ev->len)
		goto bad;
	memcpy(&n, (const unsigned char *)(ev + 1) + 2 * i, sizeof(n));
	if (*at + n > ev->len)
		goto bad;
	*l = n;
	return (const unsigned char *)ev + *at;
bad:
	*at = ~0ULL;
	return NULL;
}

/* A parameter of @len bytes at @p (NULL: its lengths run past the record,
 * printed "?"). */
static void put_param(struct kcap__out *o, const void *p, __u16 len,
		      const struct kcap_param_desc *pd)
{
	__u64 u;

	if (!p) {
		kcap__put_char(o, '?');
		return;
	}
	switch (pd ? pd->type : KCAP_PT_BYTES) {
	case KCAP_PT_STR:
	case KCAP_PT_PATH:
	case KCAP_PT_BYTES:
	case KCAP_PT_SOCKADDR:
		kcap__put_quoted(o, p, len);
		return;
	case KCAP_PT_STRARRAY:
		put_strings(o, p, len);
		return;
	case KCAP_PT_S32:
	case KCAP_PT_S64:
	case KCAP_PT_FD:
	case KCAP_PT_ERRNO:
		if (!kcap__read_num(p, len, len, true, &u))
			break;
		if (pd->type == KCAP_PT_ERRNO)
			kcap__put_errno(o, (__s64)u);
		else
			kcap__put_s64(o, (__s64)u);
		return;
	default:
		if (!kcap__read_num(p, len, len, false, &u))
			break;
		if (pd->fmt == KCAP_PF_HEX) {
			kcap__put_str(o, "0x");
			kcap__put_hex(o, u);
		} else if (pd->fmt == KCAP_PF_OCT) {
			kcap__put_char(o, '0');
			kcap__put_oct(o, u);
		} else {
			kcap__put_u64(o, u);
		}
		return;
	}
	kcap__put_quoted(o, p, len);
}

static void put_syscall(struct kcap__out *o, const struct kcap_event_hdr *ev)
{
	struct kcap_syscall sc;
	const char *name = NULL;
	unsigned int i;

	kcap__put_char(o, ' ');
	if (kcap_event_syscall(ev, &sc)) {
		kcap__put_str(o, "syscall_?(?)");
		return;
	}
	name = kcap_syscall_name((unsigned int)sc.nr,
				 ev->flags & KCAP_EVF_COMPAT ? KCAP_SC_IA32 : KCAP_SC_X86_64);
	if (name) {
		kcap__put_str(o, name);
	} else {
		kcap__put_str(o, "syscall_");
		kcap__put_s64(o, sc.nr);
	}
	kcap__put_char(o, '(');
	for (i = 0; i < sc.nargs; i++) {
		kcap__put_str(o, i ? ", a" : "a");
		kcap__put_char(o, (char)('0' + i));
		kcap__put_str(o, "=0x");
		kcap__put_hex(o, sc.args[i]);
	}
	kcap__put_char(o, ')');
	if (sc.has_res) {
		kcap__put_str(o, " = ");
		kcap__put_errno(o, sc.res);
	}
}

static const char *const flag_names[] = { "compat", "truncated", "fault", "enter", "gvisor" };

int kcap_event_format(const struct kcap *h, const struct kcap_event_hdr *ev, char *buf,
		      size_t len)
{
	const struct kcap_event_desc *d;
	struct kcap__out o = { .buf = buf, .len = len };
	unsigned int i, sep = 0;
	const void *pp;
	__u64 at = 0;
	__u16 l = 0;

	if (!ev || (!buf && len))
		return -EINVAL;
	if (len)
		buf[0] = '\0';
	d = kcap__desc(h, ev->type);
	kcap__put_ts(&o, ev->ts_ns);
	kcap__put_str(&o, " cpu=");
	kcap__put_u64(&o, ev->cpu);
	kcap__put_str(&o, " pid=");
	kcap__put_u64(&o, ev->pid);
	kcap__put_str(&o, " tid=");
	kcap__put_u64(&o, ev->tid);
	kcap__put_char(&o, ' ');
	if (!d) {
		kcap__put_str(&o, "type_");
		kcap__put_u64(&o, ev->type);
		kcap__put_char(&o, '(');
		for (i = 0; i < ev->nparams; i++) {
			kcap__put_str(&o, i ? ", p" : "p");
			kcap__put_u64(&o, i);
			kcap__put_char(&o, '=');
			pp = param_next(ev, i, &at, &l);
			put_param(&o, pp, l, NULL);
		}
		kcap__put_char(&o, ')');
	} else {
		if (d->flags & KCAP_EDF_DECODED) {
			/* "openat(dirfd=AT_FDCWD, ...) = 3", see decode.c */
			size_t room = o.pos < o.len ? o.len - o.pos : 0;
			struct kcap__row_aux scratch;
			const struct kcap__row_aux *aux = kcap__fmt_aux(h, ev->type, d, &scratch);

			o.pos += kcap__format_decoded(ev, d, aux, kcap__serial(h),
						      room ? o.buf + o.pos : NULL, room);
		} else if (d->flags & KCAP_EDF_SYSCALL && kcap__generic(ev)) {
			kcap__put_str(&o, d->name);
			put_syscall(&o, ev);
		} else {
			/* The built-in table's unused rows (types 7..15) have no
			 * name; printf("%s") showed them as "(null)", kept so. */
			kcap__put_str(&o, d->name ? d->name : "(null)");
			for (i = 0; i < ev->nparams; i++) {
				kcap__put_char(&o, ' ');
				kcap__put_param_label(&o, d, i);
				pp = param_next(ev, i, &at, &l);
				put_param(&o, pp, l, i < d->nparams ? &d->params[i] : NULL);
			}
		}
	}
	for (i = 0; ev->flags && i < sizeof(flag_names) / sizeof(flag_names[0]); i++) {
		if (ev->flags & (1u << i)) {
			kcap__put_str(&o, sep ? "," : " flags=");
			kcap__put_str(&o, flag_names[i]);
			sep = 1;
		}
	}
	if (o.pos > 0x7fffffff)
		return -EOVERFLOW;
	return (int)o.pos;
}
