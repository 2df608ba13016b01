// SPDX-License-Identifier: Apache-2.0
/*
 * The column encoding of a BATCH (compression 2, format 1.3): before zstd,
 * the batch's raw records are split into eight streams (time deltas, types,
 * thread ids, pids, CPUs, the rarely changing header fields, parameter
 * lengths, parameter bytes), and a parameter equal to the same parameter of
 * the previous event of the same type is not stored again. The reader
 * rebuilds the raw records byte for byte. docs/capture-format.md describes
 * every byte.
 *
 * Why: consecutive records of a workload differ mostly in their timestamp;
 * zstd at the recording level (1) stores the changing timestamp bytes of
 * every record and matches the rest, 2.6 to 3 bytes per event. As columns
 * the repeats are long runs it stores almost for free.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file_format.h"

#define HDR_LEN sizeof(struct kcap_event_hdr)

static inline bool eq_bytes(const unsigned char *a, const unsigned char *b, size_t l)
{
	__u64 x, y;

	if (l != 8)
		return !memcmp(a, b, l);
	memcpy(&x, a, 8);
	memcpy(&y, b, 8);
	return x == y;
}

/*
 * Two records of the same length at 8-byte aligned places, zero padded:
 * equal from their parameter count on (the parameter count, flags,
 * reserved field, parameter lengths and bytes)? The length is equal.
 */
static inline bool same_body(const struct kcap_event_hdr *a, const struct kcap_event_hdr *b)
{
	const unsigned char *pa = (const unsigned char *)a, *pb = (const unsigned char *)b;
	size_t n = KCAP_ALIGN(a->len);

	if (a->len != b->len || a->nparams != b->nparams || a->flags != b->flags ||
	    a->reserved != b->reserved)
		return false;
	return !memcmp(pa + HDR_LEN, pb + HDR_LEN, n - HDR_LEN);
}

static inline unsigned char *put_varint(unsigned char *p, __u64 v)
{
	if (v < 0x80) {
		*p++ = (unsigned char)v;
		return p;
	}
	while (v >= 0x80) {
		*p++ = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	*p++ = (unsigned char)v;
	return p;
}

static __u64 zigzag64(__s64 v)
{
	return ((__u64)v << 1) ^ (__u64)(v >> 63);
}

static __u32 zigzag32(__s32 v)
{
	return ((__u32)v << 1) ^ (__u32)(v >> 31);
}

static __s64 unzigzag64(__u64 v)
{
	return (__s64)(v >> 1) ^ -(__s64)(v & 1);
}

static __s32 unzigzag32(__u32 v)
{
	return (__s32)(v >> 1) ^ -(__s32)(v & 1);
}

size_t kcapf_cols_bound(size_t raw_len)
{
	return KCAPF_COLS_HDR_LEN + raw_len + raw_len / 2;
}

/* Parameter @i of a well-formed record: its length and bytes. */
struct params {
	const unsigned char *lens;
	const unsigned char *data;
	unsigned int n;
};

static void params_of(const struct kcap_event_hdr *e, struct params *p)
{
	p->n = e->nparams;
	p->lens = (const unsigned char *)(e + 1);
	p->data = p->lens + 2 * (size_t)p->n;
}

static __u16 len_at(const unsigned char *lens, unsigned int i)
{
	__u16 l;

	memcpy(&l, lens + 2 * (size_t)i, 2);
	return l;
}

int kcapf_cols_encode(const void *raw, size_t raw_len, __u32 nev, __u64 first,
		      unsigned char *out, size_t cap, size_t *out_len, __u32 *refs)
{
	const unsigned char *r = raw;
	unsigned char *s[KCAPF_COLS_NR], *start[KCAPF_COLS_NR];
	size_t pos = 0, off;
	__u64 pts = first;
	__u32 ptid = 0, n = 0, l32;
	unsigned int c;

	/* regions: each stream's worst case, compacted at the end */
	off = KCAPF_COLS_HDR_LEN;
	{
		static const unsigned char per_ev[KCAPF_COLS_NR] = { 10, 3, 5, 5, 3, 11, 0, 0 };

		for (c = 0; c < KCAPF_COLS_NR; c++) {
			start[c] = s[c] = out + off;
			if (c < KCAPF_COLS_LENS)
				off += (size_t)per_ev[c] * nev;
			else if (c == KCAPF_COLS_LENS)
				off += 3 * (raw_len / 2);
			else
				off += raw_len;
		}
	}
	if (off > cap || (size_t)nev * HDR_LEN > raw_len)
		return -EINVAL;
	memset(refs, 0, KCAPF_COLS_REFS * sizeof(*refs));
	while (pos < raw_len) {
		const struct kcap_event_hdr *e = (const void *)(r + pos);
		const struct kcap_event_hdr *ref = NULL;
		struct params p, q = { 0 };
		const unsigned char *d, *rd;
		__u64 sum;
		unsigned int i;

		if (raw_len - pos < HDR_LEN || e->len < HDR_LEN || e->len > KCAP_EVENT_MAX_LEN ||
		    KCAP_ALIGN(e->len) > raw_len - pos || n == nev)
			return -EINVAL;
		if (e->type < KCAPF_COLS_REFS && refs[e->type])
			ref = (const void *)(r + refs[e->type] - 1);
		s[0] = put_varint(s[0], zigzag64((__s64)(e->ts_ns - pts)));
		pts = e->ts_ns;
		s[1] = put_varint(s[1], e->type);
		s[2] = put_varint(s[2], zigzag32((__s32)(e->tid - ptid)));
		ptid = e->tid;
		s[3] = put_varint(s[3], zigzag32((__s32)(e->pid - e->tid)));
		s[4] = put_varint(s[4], e->cpu);
		if (ref && same_body(e, ref)) {
			/* the reference's body: checked when it was encoded */
			*s[5]++ = 0;
			refs[e->type] = (__u32)pos + 1;
			pos += KCAP_ALIGN(e->len);
			n++;
			continue;
		}
		params_of(e, &p);
		sum = HDR_LEN + 2ULL * p.n;
		if (sum > e->len)
			return -EINVAL;
		for (i = 0; i < p.n; i++)
			sum += len_at(p.lens, i);
		if (sum != e->len)
			return -EINVAL; /* not a well-formed record: the caller stores it plain */
		for (i = e->len; i < KCAP_ALIGN(e->len); i++)
			if (r[pos + i])
				return -EINVAL; /* padding that is not zero */
		if (ref)
			params_of(ref, &q);
		s[5] = put_varint(s[5], (__u32)e->nparams + 1);
		s[5] = put_varint(s[5], (__u32)(e->flags ^ (ref ? ref->flags : 0)));
		s[5] = put_varint(s[5], e->reserved ^ (ref ? ref->reserved : 0));
		d = p.data;
		rd = q.data;
		for (i = 0; i < p.n; i++) {
			__u16 l = len_at(p.lens, i);

			if (i < q.n && len_at(q.lens, i) == l && eq_bytes(d, rd, l)) {
				*s[6]++ = 0; /* the reference's */
			} else {
				s[6] = put_varint(s[6], (__u32)l + 1);
				memcpy(s[7], d, l);
				s[7] += l;
			}
			d += l;
			if (i < q.n)
				rd += len_at(q.lens, i);
		}
		if (e->type < KCAPF_COLS_REFS)
			refs[e->type] = (__u32)pos + 1;
		pos += KCAP_ALIGN(e->len);
		n++;
	}
	if (n != nev)
		return -EINVAL;
	/* compact: the streams back to back after their lengths */
	off = KCAPF_COLS_HDR_LEN;
	for (c = 0; c < KCAPF_COLS_NR; c++) {
		size_t len = (size_t)(s[c] - start[c]);

		memmove(out + off, start[c], len);
		l32 = (__u32)len;
		memcpy(out + 4 * c, &l32, 4);
		off += len;
	}
	*out_len = off;
	return 0;
}

#define col kcapf_col

/* A LEB128 value of at most @max; false if it runs past the stream, is
 * longer than 10 bytes or above @max. Inlined: the streams' cursors stay
 * in registers. */
static inline __attribute__((always_inline)) bool get_varint(struct col *c, __u64 max,
							       __u64 *v)
{
	const unsigned char *p = c->p;
	unsigned int shift = 0;
	__u64 x;

	if (p < c->end && *p < 0x80) {
		x = *p++;
	} else if (p + 1 < c->end && !(p[1] & 0x80)) {
		x = (__u64)(p[0] & 0x7f) | (__u64)p[1] << 7;
		p += 2;
	} else {
		x = 0;
		for (;;) {
			unsigned char b;

			if (p >= c->end || shift > 63)
				return false;
			b = *p++;
			if (shift == 63 && b > 1)
				return false;
			x |= (__u64)(b & 0x7f) << shift;
			if (!(b & 0x80))
				break;
			shift += 7;
		}
	}
	if (x > max)
		return false;
	c->p = p;
	*v = x;
	return true;
}

static const char *const col_name[KCAPF_COLS_NR] = {
	"time", "type", "thread id", "pid", "cpu", "header", "parameter length", "parameter data",
};

#define BAD(...)                                                                            \
	do {                                                                                \
		snprintf(why, whylen, __VA_ARGS__);                                         \
		return -EBADMSG;                                                            \
	} while (0)

int kcapf_cols_begin(struct kcapf_cols_rd *r, const void *img, size_t img_len, __u32 nev,
		     __u64 first, size_t raw_len, char *why, size_t whylen)
{
	const unsigned char *im = img;
	size_t off = KCAPF_COLS_HDR_LEN;
	unsigned int k;
	__u32 l32;

	r->n = r->nev = 0; /* a failed start leaves no event to read */
	if (img_len < KCAPF_COLS_HDR_LEN)
		BAD("column image of %zu bytes is shorter than its header", img_len);
	for (k = 0; k < KCAPF_COLS_NR; k++) {
		memcpy(&l32, im + 4 * k, 4);
		if (l32 > img_len - off)
			BAD("%s column of %u bytes runs past the image (%zu bytes)", col_name[k], l32,
			    img_len);
		r->c[k].p = im + off;
		r->c[k].end = im + off + l32;
		off += l32;
	}
	if (off != img_len)
		BAD("columns take %zu bytes of a %zu-byte image", off, img_len);
	r->pts = first;
	r->ptid = 0;
	r->nev = nev;
	r->pos = 0;
	r->raw_len = raw_len;
	/* A file of many types of long events keeps at most this much
	 * between batches. */
	if (r->mem > KCAPF_COLS_KEEP)
		kcapf_cols_rd_free(r);
	/* a new batch: no event has a reference yet (a new generation; the
	 * slots start over when the count wraps) */
	if (++r->gen == 0) {
		for (k = 0; k < r->nslots; k++)
			r->slots[k].gen = 0;
		r->gen = 1;
	}
	return 0;
}

void kcapf_cols_rd_free(struct kcapf_cols_rd *r)
{
	unsigned int t;

	if (r->slots)
		for (t = 0; t < r->nslots; t++) {
			free(r->slots[t].buf[0]);
			free(r->slots[t].buf[1]);
		}
	free(r->slots);
	free(r->tmp);
	r->slots = NULL;
	r->nslots = 0;
	r->tmp = NULL;
	r->tmp_cap = 0;
	r->mem = 0;
}

/* Buffer @b of @s (or the reader's scratch, @s NULL) grown to @need
 * bytes; NULL if out of memory. */
static __attribute__((noinline)) unsigned char *grow_room(struct kcapf_cols_rd *r,
							   struct kcapf_cols_slot *s,
							   unsigned int b, size_t need)
{
	unsigned char **buf = s ? &s->buf[b] : &r->tmp;
	size_t cap = s ? s->cap[b] : r->tmp_cap, ncap;
	unsigned char *p;

	if (need <= cap)
		return *buf;
	ncap = cap ? cap : 256;
	while (ncap < need)
		ncap *= 2;
	p = realloc(*buf, ncap);
	if (!p)
		return NULL;
	*buf = p;
	r->mem += ncap - cap;
	if (s)
		s->cap[b] = (__u32)ncap;
	else
		r->tmp_cap = ncap;
	return p;
}

/* Do the parameter lengths at @cl (a copy: not consumed) say that each
 * of the event's parameters is its reference's @q, or as long as it? */
static bool same_shape(struct col cl, const struct params *q)
{
	unsigned int i;
	__u64 v;

	for (i = 0; i < q->n; i++)
		if (!get_varint(&cl, KCAP_EVENT_MAX_LEN + 1, &v) || (v && v - 1 != len_at(q->lens, i)))
			return false;
	return true;
}

/* Slots up to type @type (< KCAPF_COLS_REFS): -ENOMEM or 0. */
static __attribute__((noinline)) int grow_slots(struct kcapf_cols_rd *r, unsigned int type)
{
	unsigned int n = r->nslots ? r->nslots : 64;
	struct kcapf_cols_slot *p;

	while (n <= type)
		n *= 2;
	p = realloc(r->slots, n * sizeof(*p));
	if (!p)
		return -ENOMEM;
	memset(p + r->nslots, 0, (n - r->nslots) * sizeof(*p));
	r->slots = p;
	r->nslots = n;
	return 0;
}

/* ... with room for @need bytes. */
static inline unsigned char *room(struct kcapf_cols_rd *r, struct kcapf_cols_slot *s,
				  unsigned int b, size_t need)
{
	if (s && need <= s->cap[b])
		return s->buf[b];
	return grow_room(r, s, b, need);
}

int kcapf_cols_next_slow(struct kcapf_cols_rd *r, const struct kcap_event_hdr **ev, char *why,
			 size_t whylen)
{
	struct col *c = r->c, cl, cd;
	struct kcapf_cols_slot *s = NULL;
	const struct kcap_event_hdr *ref = NULL;
	struct kcap_event_hdr h;
	struct params q = { 0 };
	const unsigned char *rd, *run_src;
	unsigned char *out;
	size_t avail = r->pos < r->raw_len ? r->raw_len - r->pos : 0, len, cap, lim, run_at;
	__u32 n = r->n;
	unsigned int i, b = 0, k;
	__u64 v;

	if (n == r->nev) {
		if (r->pos != r->raw_len)
			BAD("%u events make %zu bytes, the batch has %zu", r->nev, r->pos,
			    r->raw_len);
		for (k = 0; k < KCAPF_COLS_NR; k++)
			if (c[k].p != c[k].end)
				BAD("%zu bytes left over in the %s column",
				    (size_t)(c[k].end - c[k].p), col_name[k]);
		return 0;
	}
	if (!get_varint(&c[0], ~0ULL, &v))
		BAD("event %u: bad %s", n, col_name[0]);
	r->pts += (__u64)unzigzag64(v);
	if (!get_varint(&c[1], 0xffff, &v))
		BAD("event %u: bad %s", n, col_name[1]);
	h.type = (__u16)v;
	if (!get_varint(&c[2], 0xffffffffu, &v))
		BAD("event %u: bad %s", n, col_name[2]);
	h.tid = r->ptid + (__u32)unzigzag32((__u32)v);
	r->ptid = h.tid;
	if (!get_varint(&c[3], 0xffffffffu, &v))
		BAD("event %u: bad %s", n, col_name[3]);
	h.pid = h.tid + (__u32)unzigzag32((__u32)v);
	if (!get_varint(&c[4], 0xffff, &v))
		BAD("event %u: bad %s", n, col_name[4]);
	h.cpu = (__u16)v;
	if (h.type < KCAPF_COLS_REFS) {
		if (h.type >= r->nslots && grow_slots(r, h.type))
			return -ENOMEM;
		s = &r->slots[h.type];
		if (s->gen == r->gen)
			ref = (const void *)s->buf[s->cur];
	}
	if (!get_varint(&c[5], 0x10000, &v))
		BAD("event %u: bad parameter count", n);
	if (v == 0) {
		struct kcap_event_hdr *e;

		/* the reference itself, this event's header fields over it */
		if (!ref)
			BAD("event %u: repeats the previous event of type %u, which it "
			    "does not have", n, h.type);
		len = KCAP_ALIGN(ref->len);
		if (len > avail)
			BAD("event %u: %zu bytes run past the batch (%zu bytes)", n, len,
			    r->raw_len);
		e = (void *)s->buf[s->cur];
		e->ts_ns = r->pts;
		e->tid = h.tid;
		e->pid = h.pid;
		e->cpu = h.cpu;
		r->pos += len;
		r->n++;
		*ev = e;
		return 1;
	}
	if (ref) {
		params_of(ref, &q);
		b = s->cur ^ 1;
	}
	h.ts_ns = r->pts;
	h.nparams = (__u16)(v - 1);
	if (!get_varint(&c[5], 0xffff, &v))
		BAD("event %u: bad flags", n);
	h.flags = (__u16)(v ^ (ref ? ref->flags : 0));
	if (!get_varint(&c[5], 0xffffffffu, &v))
		BAD("event %u: bad reserved field", n);
	h.reserved = (__u32)v ^ (ref ? ref->reserved : 0);
	if (ref && h.nparams == q.n && KCAP_ALIGN(ref->len) <= avail && same_shape(c[6], &q)) {
		/* Every parameter the reference's or as long as it: the
		 * reference's buffer with the new bytes written over it
		 * (nothing else is copied). */
		unsigned char *e = s->buf[s->cur], *d = e + HDR_LEN + 2 * (size_t)h.nparams;

		cl = c[6];
		cd = c[7];
		for (i = 0; i < h.nparams; i++) {
			__u16 l = len_at(q.lens, i);

			get_varint(&cl, KCAP_EVENT_MAX_LEN + 1, &v); /* same_shape() read it */
			if (v) {
				if (l > (size_t)(cd.end - cd.p))
					BAD("event %u: parameter %u: %s column is short", n, i,
					    col_name[7]);
				memcpy(d, cd.p, l);
				cd.p += l;
			}
			d += l;
		}
		c[6] = cl;
		c[7] = cd;
		h.len = ref->len;
		memcpy(e, &h, sizeof(h));
		r->pos += KCAP_ALIGN(h.len);
		r->n++;
		*ev = (const void *)e;
		return 1;
	}
	len = HDR_LEN + 2 * (size_t)h.nparams;
	if (len > KCAP_EVENT_MAX_LEN || len > avail)
		BAD("event %u: %u parameters do not fit (%zu bytes left of %zu)", n, h.nparams,
		    avail, r->raw_len);
	out = room(r, s, b, KCAP_ALIGN(len));
	if (!out)
		return -ENOMEM;
	cap = s ? s->cap[b] : r->tmp_cap;
	lim = avail < KCAP_EVENT_MAX_LEN ? avail : KCAP_EVENT_MAX_LEN;
	rd = q.data;
	/* the two streams the loop reads, in registers */
	cl = c[6];
	cd = c[7];
	/* Parameters whose bytes lie back to back in their source (the
	 * reference's, or the data stream) are copied as one run. */
	run_src = NULL;
	run_at = len;
	for (i = 0; i < h.nparams; i++) {
		const unsigned char *from;
		__u16 l;

		if (!get_varint(&cl, KCAP_EVENT_MAX_LEN + 1, &v))
			BAD("event %u: bad length of parameter %u", n, i);
		if (v == 0) {
			if (i >= q.n)
				BAD("event %u: parameter %u refers to a parameter the previous "
				    "event of type %u does not have", n, i, h.type);
			l = len_at(q.lens, i);
			from = rd;
		} else {
			l = (__u16)(v - 1);
			if (l > (size_t)(cd.end - cd.p))
				BAD("event %u: parameter %u: %s column is short", n, i,
				    col_name[7]);
			from = cd.p;
			cd.p += l;
		}
		if (l > lim - len)
			BAD("event %u: parameter %u (%u bytes) runs past the event or batch", n,
			    i, l);
		/* room for the bytes and the padding (the reference is in the
		 * other buffer: it does not move; the run so far goes first) */
		if (KCAP_ALIGN(len + l) > cap) {
			if (run_src)
				memcpy(out + run_at, run_src, len - run_at);
			run_src = NULL;
			out = grow_room(r, s, b, KCAP_ALIGN(len + l));
			if (!out)
				return -ENOMEM;
			cap = s ? s->cap[b] : r->tmp_cap;
		}
		if (!run_src || run_src + (len - run_at) != from) {
			if (run_src)
				memcpy(out + run_at, run_src, len - run_at);
			run_src = from;
			run_at = len;
		}
		memcpy(out + HDR_LEN + 2 * (size_t)i, &l, 2);
		len += l;
		if (i < q.n)
			rd += len_at(q.lens, i);
	}
	if (run_src)
		memcpy(out + run_at, run_src, len - run_at);
	c[6] = cl;
	c[7] = cd;
	if (KCAP_ALIGN(len) > avail)
		BAD("event %u: %zu bytes run past the batch (%zu bytes)", n, len, r->raw_len);
	h.len = (__u32)len;
	memcpy(out, &h, sizeof(h));
	/* the padding: at most 7 bytes (no memset call) */
	for (k = (unsigned int)len; k < KCAP_ALIGN(len); k++)
		out[k] = 0;
	if (s) {
		s->cur = b;
		s->gen = r->gen;
	}
	r->pos += KCAP_ALIGN(len);
	r->n++;
	*ev = (const void *)out;
	return 1;
}

int kcapf_cols_decode(struct kcapf_cols_rd *r, const void *img, size_t img_len, __u32 nev,
		      __u64 first, unsigned char *raw, size_t raw_len, char *why, size_t whylen)
{
	const struct kcap_event_hdr *e;
	size_t pos = 0, len;
	int ret;

	ret = kcapf_cols_begin(r, img, img_len, nev, first, raw_len, why, whylen);
	if (ret)
		return ret;
	while ((ret = kcapf_cols_next(r, &e, why, whylen)) == 1) {
		len = KCAP_ALIGN(e->len);
		/* a repeat is checked against raw_len at the batch's end only */
		if (len > raw_len - pos)
			BAD("event %u: %zu bytes run past the batch (%zu bytes)", r->n - 1, len,
			    raw_len);
		memcpy(raw + pos, e, len);
		pos += len;
	}
	if (ret == -ENOMEM)
		snprintf(why, whylen, "out of memory");
	return ret;
}
