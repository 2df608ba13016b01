// SPDX-License-Identifier: Apache-2.0
/*
 * Events built by hand for the detection and state tests: a header and
 * parameters { value, length } laid out as the driver writes them.
 */
#ifndef KCAP_UNIT_EVBUILD_H
#define KCAP_UNIT_EVBUILD_H

#include <string.h>

#include "kcap.h"

struct evb {
	union {
		struct kcap_event_hdr h;
		unsigned char b[4096];
	} u;
};

struct p {
	const void *v;
	unsigned int len; /* 0 with v == NULL: empty */
};

static inline const struct kcap_event_hdr *mk_ev(struct evb *e, unsigned int type, __u32 tid,
						 __u32 pid, __u64 ts, unsigned int n,
						 const struct p *ps)
{
	unsigned char *b = (unsigned char *)e; /* the whole buffer, not the header */
	unsigned int i, off = sizeof(struct kcap_event_hdr) + 2 * n;

	memset(e, 0, sizeof(*e));
	e->u.h.ts_ns = ts;
	e->u.h.tid = tid;
	e->u.h.pid = pid;
	e->u.h.type = (__u16)type;
	e->u.h.nparams = (__u16)n;
	for (i = 0; i < n; i++) {
		__u16 l = (__u16)ps[i].len;

		memcpy(b + sizeof(struct kcap_event_hdr) + 2 * i, &l, 2);
		if (l)
			memcpy(b + off, ps[i].v, l);
		off += l;
	}
	e->u.h.len = off;
	return &e->u.h;
}

/* A single-threaded process's event: pid = tid. */
static inline const struct kcap_event_hdr *mk_tid(struct evb *e, unsigned int type, __u32 tid,
						  __u64 ts, unsigned int n, const struct p *ps)
{
	return mk_ev(e, type, tid, tid, ts, n, ps);
}

#define S64(x) ((const void *)&(__s64){ (x) }), 8
#define U32(x) ((const void *)&(__u32){ (x) }), 4
#define STR(s) (s), (unsigned int)strlen(s)

#endif /* KCAP_UNIT_EVBUILD_H */
