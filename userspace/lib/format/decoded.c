// SPDX-License-Identifier: Apache-2.0
/*
 * Decoded syscall events (type >= 16, KCAP_EDF_DECODED) as one line:
 *   openat(dirfd=AT_FDCWD, name="/tmp/x", flags=O_WRONLY|O_CREAT, ...) = 3
 * and socket addresses as text.
 *
 * Every parameter is checked against its type's size before it is read: a
 * wrong length prints "<bad len N>", never reads past the parameter.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "event/event.h"
#include "format.h"

/* What a parameter of the wrong length shows: "<bad len 3>". */
static void put_bad_len(struct kcap__out *o, __u16 len)
{
	kcap__put_str(o, "<bad len ");
	kcap__put_u64(o, len);
	kcap__put_char(o, '>');
}

static void put_sockaddr_parsed(struct kcap__out *o, const struct kcap_sockaddr *sa)
{
	switch (sa->family) {
	case AF_INET_:
		kcap__put_ip(o, AF_INET, sa->addr);
		kcap__put_char(o, ':');
		kcap__put_u64(o, sa->port);
		return;
	case AF_INET6_:
		kcap__put_char(o, '[');
		kcap__put_ip(o, AF_INET6, sa->addr);
		if (sa->scope_id) {
			kcap__put_char(o, '%');
			kcap__put_u64(o, sa->scope_id);
		}
		kcap__put_str(o, "]:");
		kcap__put_u64(o, sa->port);
		return;
	case AF_UNIX_:
		kcap__put_str(o, sa->abstract ? "\"@" : "\"");
		kcap__put_escaped(o, (const unsigned char *)sa->path, sa->path_len);
		kcap__put_char(o, '"');
		return;
	default:
		kcap__put_str(o, "{family=");
		kcap__put_sym(o, KCAP__SYM_FAMILY, sa->family);
		kcap__put_char(o, '}');
	}
}

int kcap_sockaddr_format(const struct kcap_sockaddr *sa, char *buf, size_t len)
{
	struct kcap__out o = { .buf = buf, .len = len };

	if (!sa || (!buf && len))
		return -EINVAL;
	if (len)
		buf[0] = '\0';
	put_sockaddr_parsed(&o, sa);
	return o.pos > 0x7fffffff ? -EOVERFLOW : (int)o.pos;
}

static void put_sockaddr(struct kcap__out *o, const unsigned char *p, __u16 len)
{
	struct kcap_sockaddr sa;
	int err = kcap__parse_sockaddr(p, len, &sa);

	if (err == -ENODATA)
		kcap__put_str(o, "NULL");
	else if (err == -EBADMSG)
		put_bad_len(o, len);
	else
		put_sockaddr_parsed(o, &sa);
}

static void put_strarray(struct kcap__out *o, const unsigned char *p, __u16 len, bool cut)
{
	struct kcap_strarray it = { .p = p, .len = len };
	const char *s;
	size_t n;
	int r, k = 0;

	kcap__put_char(o, '[');
	while ((r = kcap_strarray_next(&it, &s, &n)) > 0) {
		if (k++)
			kcap__put_str(o, ", ");
		kcap__put_quoted(o, (const unsigned char *)s, n);
		if (r == 2) {
			kcap__put_str(o, "...");
			cut = false;
		}
	}
	if (cut)
		kcap__put_str(o, k ? ", ...]" : "...]");
	else
		kcap__put_char(o, ']');
}

/* ---- Parameters ------------------------------------------------------------ */

/* What the formatter knows about an event besides its parameters. */
struct dctx {
	const struct kcap_event_hdr *ev;
	const struct kcap_event_desc *d;
	const struct kcap__row_aux *aux; /* the row's symbolic decodings */
	__s64 res;
	bool has_res;
	__s64 size; /* the "size" parameter, -1 if none */
	bool cut_explained; /* a BYTES parameter shows where the cut was */
	/* the first KCAP_MAX_PARAMS parameters, found in one walk of the
	 * lengths: nok of them in bounds, those up to ncached after them not */
	unsigned int nok, ncached;
	const unsigned char *pp[KCAP_MAX_PARAMS];
	__u16 pl[KCAP_MAX_PARAMS];
};

/* Finds the parameters once per event (kcap_event_param() walks the
 * lengths from the first one on every call). */
static void find_params(struct dctx *c)
{
	const struct kcap_event_hdr *ev = c->ev;

	c->ncached = ev->nparams < KCAP_MAX_PARAMS ? ev->nparams : KCAP_MAX_PARAMS;
	c->nok = kcap__param_walk(ev, c->pp, c->pl, KCAP_MAX_PARAMS);
}

/* kcap_event_param() of the event, from find_params(). */
static int dparam(const struct dctx *c, unsigned int i, const unsigned char **p, __u16 *len)
{
	const void *vp;

	if (i < c->nok) {
		*p = c->pp[i];
		*len = c->pl[i];
		return 0;
	}
	if (i < c->ncached)
		return -EBADMSG;
	if (kcap_event_param(c->ev, i, &vp, len))
		return -EBADMSG;
	*p = vp;
	return 0;
}

/* Bytes a data parameter should hold if nothing was cut, -1 if unknown. */
static __s64 bytes_expected(const struct dctx *c, const struct kcap_param_desc *pd)
{
	switch (pd->src) {
	case KCAP_SRC_UBUF_RES:
	case KCAP_SRC_UIOV_RES:
	case KCAP_SRC_UMSG_RES:
		return c->has_res ? (c->res > 0 ? c->res : 0) : -1;
	case KCAP_SRC_UBUF_ARG:
		return c->size;
	case KCAP_SRC_UIOV_ARG:
	case KCAP_SRC_UMSG_ARG:
		return c->has_res && c->res >= 0 ? c->res : -1;
	default:
		return -1;
	}
}

/* The symbolic decoding of parameter @i (none past the row). */
static enum kcap__sym sym_at(const struct dctx *c, unsigned int i)
{
	return i < c->d->nparams && i < KCAP_MAX_PARAMS ? (enum kcap__sym)c->aux->sym[i]
							: KCAP__SYM_NONE;
}

static void put_number(struct kcap__out *o, const struct dctx *c,
		       const struct kcap_param_desc *pd, unsigned int i, const void *p, __u16 len)
{
	unsigned int size = kcap_param_type_size(pd->type);
	bool is_res = i == 0;
	bool sign = kcap__type_signed(pd->type) || (is_res && size == 4);
	enum kcap__sym sym = sym_at(c, i);
	__u64 v;

	if (!kcap__read_num(p, len, size, sign, &v)) {
		put_bad_len(o, len);
		return;
	}
	if (sign && (__s64)v < 0 && (is_res || pd->type == KCAP_PT_ERRNO)) {
		kcap__put_errno(o, (__s64)v);
		return;
	}
	if (sym != KCAP__SYM_NONE && sym != KCAP__SYM_INT_PAIR) {
		kcap__put_sym(o, sym, v);
	} else if (pd->fmt == KCAP_PF_HEX) {
		kcap__put_str(o, "0x");
		kcap__put_hex(o, v);
	} else if (pd->fmt == KCAP_PF_OCT) {
		if (v)
			kcap__put_char(o, '0');
		kcap__put_oct(o, v);
	} else if (sign) {
		kcap__put_s64(o, (__s64)v);
	} else {
		kcap__put_u64(o, v);
	}
}

static void put_bytes(struct kcap__out *o, const struct dctx *c, const struct kcap_param_desc *pd,
		      unsigned int i, const unsigned char *p, __u16 len)
{
	__s64 want = bytes_expected(c, pd);
	bool cut = want >= 0 ? len < want
			     : (c->ev->flags & KCAP_EVF_TRUNCATED) && !c->cut_explained && len;
	__s32 fds[2];

	if (sym_at(c, i) == KCAP__SYM_INT_PAIR) {
		if (len == 8) {
			memcpy(fds, p, 8);
			kcap__put_char(o, '[');
			kcap__put_s64(o, fds[0]);
			kcap__put_str(o, ", ");
			kcap__put_s64(o, fds[1]);
			kcap__put_char(o, ']');
		} else if (!len) {
			kcap__put_str(o, "[]");
		} else {
			put_bad_len(o, len);
		}
		return;
	}
	if (pd->fmt == KCAP_PF_HEX) {
		kcap__put_hexbytes(o, p, len);
		if (!len)
			kcap__put_str(o, "\"\"");
	} else {
		kcap__put_quoted(o, p, len);
	}
	if (cut)
		kcap__put_str(o, "...");
}

/* A parameter of a type without a text form: "<16 bytes>". */
static void put_size(struct kcap__out *o, __u16 len)
{
	kcap__put_char(o, '<');
	kcap__put_u64(o, len);
	kcap__put_str(o, " bytes>");
}

static __attribute__((noinline)) void put_dparam(struct kcap__out *o, const struct dctx *c,
						  unsigned int i, const struct kcap_param_desc *pd)
{
	const unsigned char *p;
	__u16 len;
	bool cut;

	if (dparam(c, i, &p, &len)) {
		kcap__put_char(o, '?');
		return;
	}
	cut = (c->ev->flags & KCAP_EVF_TRUNCATED) && !c->cut_explained && len;
	switch (pd->type) {
	case KCAP_PT_STR:
	case KCAP_PT_PATH:
		kcap__put_quoted(o, p, len);
		if (cut)
			kcap__put_str(o, "...");
		return;
	case KCAP_PT_BYTES:
		put_bytes(o, c, pd, i, p, len);
		return;
	case KCAP_PT_SOCKADDR:
		put_sockaddr(o, p, len);
		return;
	case KCAP_PT_STRARRAY:
		put_strarray(o, p, len, cut);
		return;
	default:
		if (kcap_param_type_size(pd->type))
			put_number(o, c, pd, i, p, len);
		else
			put_size(o, len);
	}
}

static void scan_context(struct dctx *c)
{
	const struct kcap_event_desc *d = c->d;
	unsigned int i, n = c->ev->nparams < d->nparams ? c->ev->nparams : d->nparams;
	const unsigned char *p;
	__u16 len;
	__u64 v;

	c->size = -1;
	c->has_res = !kcap__read_res(c->ev, d, &c->res);
	for (i = 1; i < n; i++) {
		if (!(c->aux->size_mask & (1u << i)) || dparam(c, i, &p, &len))
			continue;
		if (kcap__read_num(p, len, kcap_param_type_size(d->params[i].type), false, &v) &&
		    v < (1ULL << 62))
			c->size = (__s64)v;
	}
	for (i = 1; i < n; i++) {
		__s64 want;

		if (d->params[i].type != KCAP_PT_BYTES || dparam(c, i, &p, &len))
			continue;
		want = bytes_expected(c, &d->params[i]);
		if (want >= 0 && len < want)
			c->cut_explained = true;
	}
}

/*
 * The text of each parameter of the last event of a row, kept per thread:
 * a parameter whose bytes are the same as there (an execve's credentials,
 * capabilities, executable and cgroup; an open's path and flags) is that
 * text again, label included, with no decoding. Only what depends on the
 * bytes alone is kept: not an event cut short (its texts show the cut),
 * not a data parameter (BYTES: shown by the size next to it), not a text
 * the buffer cut. Rows are told apart by their address and the handle's
 * serial (a table freed and allocated again at the same address is not
 * the same row), PC_ROWS of them by type.
 */
#define PC_ROWS 16
#define PC_BYTES 40
#define PC_TEXT 72
#define PC_SKIP 64

struct pc_row {
	const struct kcap_event_desc *d;
	__u64 serial;
	bool ok[KCAP_MAX_PARAMS];
	/* a parameter that changed twice in a row (a pid, a port) is not
	 * compared or kept for the next PC_SKIP events of the row */
	unsigned char changed[KCAP_MAX_PARAMS], skip[KCAP_MAX_PARAMS];
	struct {
		unsigned char blen, tlen;
		unsigned char b[PC_BYTES];
		char t[PC_TEXT];
	} p[KCAP_MAX_PARAMS];
};

static __thread struct pc_row pc[PC_ROWS];

static struct pc_row *pc_row_of(const struct kcap_event_hdr *ev, const struct kcap_event_desc *d,
				__u64 serial)
{
	struct pc_row *r = &pc[ev->type % PC_ROWS];

	if (r->d != d || r->serial != serial) {
		r->d = d;
		r->serial = serial;
		memset(r->ok, 0, sizeof(r->ok));
		memset(r->changed, 0, sizeof(r->changed));
		memset(r->skip, 0, sizeof(r->skip));
	}
	return r;
}

/* @len bytes at @a and @b the same? Numbers (4, 8) without a call. */
static inline bool same_bytes(const unsigned char *a, const unsigned char *b, __u16 len)
{
	__u64 x, y;
	__u32 u, v;

	switch (len) {
	case 8:
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		return x == y;
	case 4:
		memcpy(&u, a, 4);
		memcpy(&v, b, 4);
		return u == v;
	default:
		return !memcmp(a, b, len);
	}
}

/* Parameter @i past its row: its bytes as data. */
static const struct kcap_param_desc raw_param = { .name = "", .type = KCAP_PT_BYTES };

/* The row's description of parameter @i. */
static const struct kcap_param_desc *param_desc(const struct dctx *c, unsigned int i)
{
	return i < c->d->nparams ? &c->d->params[i] : &raw_param;
}

/* Parameter @i as @pre, "name=" when @label, and its value. */
static void put_param(struct kcap__out *o, struct dctx *c, struct pc_row *row, unsigned int i,
		      const char *pre, size_t npre, bool label)
{
	const struct kcap_param_desc *pd = param_desc(c, i);
	const unsigned char *p = NULL;
	size_t start = o->pos, n;
	__u16 len = 0;
	bool keep = i < KCAP_MAX_PARAMS && pd->type != KCAP_PT_BYTES && !dparam(c, i, &p, &len) &&
		    len <= PC_BYTES;

	if (keep && row->skip[i]) {
		row->skip[i]--;
		keep = false;
	} else if (keep && row->ok[i]) {
		if (row->p[i].blen == len && same_bytes(row->p[i].b, p, len)) {
			const char *t = row->p[i].t;
			size_t k;

			row->changed[i] = 0;
			n = row->p[i].tlen;
			if (o->pos + PC_TEXT >= o->len) {
				kcap__put_mem(o, t, n);
				return;
			}
			/* eight bytes at a time, past the end within t[] and the room */
			for (k = 0; k < n; k += 8)
				memcpy(o->buf + o->pos + k, t + k, 8);
			o->pos += n;
			o->buf[o->pos] = '\0';
			return;
		}
		if (++row->changed[i] >= 2) {
			row->changed[i] = 0;
			row->skip[i] = PC_SKIP;
			row->ok[i] = false;
			keep = false;
		}
	}
	kcap__put_mem(o, pre, npre);
	if (label)
		kcap__put_param_label(o, c->d, i);
	put_dparam(o, c, i, pd);
	if (!keep)
		return;
	n = o->pos - start;
	row->ok[i] = o->pos < o->len && n <= PC_TEXT;
	if (row->ok[i]) {
		memcpy(row->p[i].b, p, len);
		row->p[i].blen = (unsigned char)len;
		memcpy(row->p[i].t, o->buf + start, n);
		row->p[i].tlen = (unsigned char)n;
	}
}

size_t kcap__format_decoded(const struct kcap_event_hdr *ev, const struct kcap_event_desc *d,
			    const struct kcap__row_aux *aux, __u64 serial, char *buf, size_t len)
{
	struct kcap__out o = { .buf = buf, .len = len };
	struct dctx c; /* not zeroed: find_params() fills the arrays it reads */
	struct pc_row *row = NULL;
	unsigned int i;

	c.ev = ev;
	c.d = d;
	c.aux = aux;
	c.res = 0;
	c.has_res = false;
	c.cut_explained = false;
	find_params(&c);
	scan_context(&c);
	kcap__put_str(&o, d->name);
	kcap__put_char(&o, '(');
	/* Two loops: through put_param() with nothing to keep, every
	 * parameter of a cut event (the pipe's) cost 280 instructions more
	 * per event in callgrind. */
	if (buf && !(ev->flags & KCAP_EVF_TRUNCATED)) {
		row = pc_row_of(ev, d, serial);
		/* ", " before every parameter but the first: part of its kept text */
		for (i = 1; i < ev->nparams; i++)
			put_param(&o, &c, row, i, ", ", i > 1 ? 2 : 0, true);
		kcap__put_char(&o, ')');
		if (ev->nparams >= 1 && d->nparams >= 1)
			put_param(&o, &c, row, 0, " = ", 3, false);
		return o.pos;
	}
	for (i = 1; i < ev->nparams; i++) {
		if (i > 1)
			kcap__put_str(&o, ", ");
		kcap__put_param_label(&o, d, i);
		put_dparam(&o, &c, i, param_desc(&c, i));
	}
	kcap__put_char(&o, ')');
	if (ev->nparams >= 1 && d->nparams >= 1) {
		kcap__put_str(&o, " = ");
		put_dparam(&o, &c, 0, &d->params[0]);
	}
	return o.pos;
}
