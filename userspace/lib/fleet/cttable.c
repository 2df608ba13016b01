// SPDX-License-Identifier: Apache-2.0
/*
 * Container records through the fleet (cttable.h): what the publisher has
 * published of its source's container table, payloads of a size a
 * message takes, and the consumer's merge into a node run's cache.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container/container.h"
#include "cttable.h"

static int by_seq(const void *a, const void *b)
{
	const struct kcapf_ct *x = *(const struct kcapf_ct *const *)a;
	const struct kcapf_ct *y = *(const struct kcapf_ct *const *)b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

unsigned int fleet_cts_all(const struct kcapf_cts *t, struct kbuf *recs)
{
	const struct kcapf_ct **v;
	unsigned int i;

	if (!t->n)
		return 0;
	v = malloc(t->n * sizeof(*v));
	if (!v) {
		recs->oom = true;
		return 0;
	}
	for (i = 0; i < t->n; i++)
		v[i] = &t->e[i];
	qsort(v, t->n, sizeof(*v), by_seq);
	for (i = 0; i < t->n; i++)
		kbuf_put(recs, v[i]->rec, v[i]->len);
	free(v);
	return t->n;
}

unsigned int fleet_ct_chunk(const void *recs, size_t len, size_t *off, size_t budget,
			    struct kbuf *out)
{
	const unsigned char *p = recs;
	unsigned int n = 0;
	__u32 rl;

	out->len = 0;
	kbuf_u32(out, 0);
	while (*off + 4 <= len) {
		memcpy(&rl, p + *off, 4);
		if (rl > len - *off - 4)
			break; /* not a record: the rest is left */
		if (n && out->len + 4 + rl > budget)
			break;
		kbuf_put(out, p + *off, 4 + (size_t)rl);
		*off += 4 + (size_t)rl;
		n++;
	}
	if (!out->oom)
		memcpy(out->p, &n, 4);
	return n;
}

struct merge {
	struct kcap_ct_cache *cache;
	struct kbuf recs, cur;
	unsigned int n;
};

static int merge_one(void *ctx, struct kcap_ct_meta *m, const void *rec, size_t len)
{
	struct merge *g = ctx;
	const struct kcap_ct_meta *have = kcap__ct_cache_find(g->cache, m->id);

	if (have) {
		g->cur.len = 0;
		kcapf_ct_encode(&g->cur, have);
		if (g->cur.oom)
			return -ENOMEM;
		if (g->cur.len == len && !memcmp(g->cur.p, rec, len))
			return 0; /* known as it is */
	}
	kcap__ct_cache_insert(g->cache, m);
	kbuf_put(&g->recs, rec, len);
	g->n++;
	return g->recs.oom ? -ENOMEM : 0;
}

int fleet_ct_merge(struct kcap_ct_cache **cache, struct kbuf *log, const void *p, size_t len,
		   char *why, size_t whylen)
{
	struct merge g = {0};
	int err;

	err = kcapf_ct_foreach(p, len, NULL, NULL, why, whylen);
	if (err)
		return err;
	if (!*cache)
		*cache = kcap__ct_cache_new(NULL, KCAPF_MAX_CONTAINERS);
	if (!*cache) {
		snprintf(why, whylen, "container table: out of memory");
		return -ENOMEM;
	}
	g.cache = *cache;
	err = kcapf_ct_foreach(p, len, merge_one, &g, why, whylen);
	if (!err && g.n && log->len + 8 + g.recs.len <= KCAPF_MAX_CT_LOG) {
		kbuf_u32(log, (__u32)(4 + g.recs.len));
		kbuf_u32(log, g.n);
		kbuf_put(log, g.recs.p, g.recs.len);
		if (log->oom)
			err = -ENOMEM;
	}
	if (err == -ENOMEM)
		snprintf(why, whylen, "container table: out of memory");
	kbuf_free(&g.recs);
	kbuf_free(&g.cur);
	return err ? err : (int)g.n;
}
