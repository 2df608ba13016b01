// SPDX-License-Identifier: Apache-2.0
/*
 * kcap_filter_*(): one condition in the rules' language (Falco's filter
 * syntax) compiled once and matched against events, for tools that select
 * events (`kcap read/export/record 'proc.name=sh and evt.type=openat'`)
 * without a rules file. The same compiler and fields as the rule engine.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "detect.h"

struct kcap_filter {
	struct kfilter *f;
	struct kevctx *ctx;
	__u64 nevents;
	struct ktypeset types;
};

struct kcap_filter *kcap_filter_compile(const char *expr, const struct kcap_filter_opts *opts)
{
	char *errbuf = OPTS_GET(opts, errbuf, NULL);
	size_t errbuf_sz = OPTS_GET(opts, errbuf_sz, 0), off = 0;
	char msg[256] = "";
	struct kcap_filter *f;

	if (!expr || (opts && (opts->sz < sizeof(size_t) ||
			       !kcap__opts_valid(opts, sizeof(*opts), opts->sz)))) {
		if (errbuf && errbuf_sz)
			snprintf(errbuf, errbuf_sz, "kcap_filter_compile: bad arguments");
		errno = EINVAL;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (f)
		f->ctx = calloc(1, sizeof(*f->ctx));
	if (!f || !f->ctx) {
		free(f);
		if (errbuf && errbuf_sz)
			snprintf(errbuf, errbuf_sz, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	f->f = kcap__filter_compile(expr, NULL, msg, sizeof(msg), &off);
	if (!f->f) {
		if (errbuf && errbuf_sz)
			snprintf(errbuf, errbuf_sz, "filter, column %zu: %s", off + 1, msg);
		free(f->ctx);
		free(f);
		errno = EINVAL;
		return NULL;
	}
	if (kcap__filter_prepare(f->f)) {
		if (errbuf && errbuf_sz)
			snprintf(errbuf, errbuf_sz, "out of memory");
		kcap_filter_free(f);
		errno = ENOMEM;
		return NULL;
	}
	kcap__filter_types(f->f, &f->types);
	return f;
}

int kcap_filter_match(struct kcap_filter *f, struct kcap_state *st, struct kcap *h,
		      const struct kcap_event_hdr *ev)
{
	unsigned int key;

	if (!f || !ev)
		return -EINVAL;
	f->nevents++;
	/* evt.type = X in every branch: other types cannot match */
	key = kcap__evt_key(ev);
	if (!f->types.all && !(f->types.bits[key / 64] & (1ULL << (key % 64))))
		return 0;
	kcap__evctx_init(f->ctx, st, h, ev, f->nevents);
	f->ctx->key = key;
	f->ctx->key_state = 1;
	return kcap__filter_eval(f->f, f->ctx) ? 1 : 0;
}

int kcap_filter_syscalls(const struct kcap_filter *f, unsigned int *nrs, size_t max, bool *all)
{
	if (!f || !all || (max && !nrs))
		return -EINVAL;
	return kcap__filter_syscalls(&f->types, nrs, max, all);
}

bool kcap_filter_needs_state(const struct kcap_filter *f)
{
	return f && kcap__filter_stateful(f->f);
}

void kcap_filter_free(struct kcap_filter *f)
{
	if (!f)
		return;
	kcap__filter_free(f->f);
	free(f->ctx);
	free(f);
}
