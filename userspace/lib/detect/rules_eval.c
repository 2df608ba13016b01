// SPDX-License-Identifier: Apache-2.0
/*
 * kcap_rules_eval(): the compiled rules that can match an event's type
 * (the index built by rules_compile.c) evaluated against it, and an alert
 * with the rendered output and output fields for each that matches, ready
 * for the exporter's encoders as it is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

static bool out_put(struct kcap_rules *r, size_t *pos, const char *s, size_t n)
{
	if (*pos + n + 1 > r->outcap) {
		size_t cap = (*pos + n + 1) * 2;
		char *p = realloc(r->out, cap);

		if (!p)
			return false;
		r->out = p;
		r->outcap = cap;
	}
	memcpy(r->out + *pos, s, n);
	*pos += n;
	r->out[*pos] = '\0';
	return true;
}

static int alert(struct kcap_rules *r, const struct krule *ru, struct kevctx *c,
		 kcap_alert_fn fn, void *ctx)
{
	__s64 wall = (c->st ? c->st->boot_wall_ns : 0) + (__s64)c->ev->ts_ns;
	struct kcap_alert a;
	char val[4096];
	size_t pos = 0, i, *offs;
	int ret;

	offs = calloc(ru->nfields + 1, sizeof(*offs));
	if (!offs)
		return -ENOMEM;
	/* the output, then each field's value after it, NUL-separated */
	for (i = 0; i < ru->nsegs; i++) {
		const struct koutseg *s = &ru->segs[i];
		size_t n;

		if (!s->has_field) {
			n = strlen(s->text);
			if (!out_put(r, &pos, s->text, n))
				goto oom;
			continue;
		}
		n = s->unknown ? (size_t)snprintf(val, sizeof(val), "<NA>") :
				 kcap__field_render(c, &s->ref, val, sizeof(val));
		if (!out_put(r, &pos, val, n))
			goto oom;
	}
	if (!out_put(r, &pos, "", 0))
		goto oom;
	pos++;
	for (i = 0; i < ru->nfields; i++) {
		size_t n = ru->frefs[i] ? kcap__field_render(c, ru->frefs[i], val, sizeof(val))
					: (size_t)snprintf(val, sizeof(val), "%lld", (long long)wall);

		offs[i] = pos;
		if (!out_put(r, &pos, val, n))
			goto oom;
		pos++;
		if (!out_put(r, &pos, "", 0))
			goto oom;
	}
	if (r->valscap < ru->nfields + 1) {
		void *p = realloc(r->vals, (ru->nfields + 1) * sizeof(*r->vals));

		if (!p)
			goto oom;
		r->vals = p;
		r->valscap = ru->nfields + 1;
	}
	for (i = 0; i < ru->nfields; i++)
		r->vals[i] = r->out + offs[i];
	free(offs);
	memset(&a, 0, sizeof(a));
	a.sz = sizeof(a);
	a.time_ns = wall;
	a.rule = ru->name;
	a.priority = (enum kcap_priority)ru->priority;
	a.output = r->out;
	a.tags = (const char *const *)ru->tags;
	a.nr_tags = (unsigned int)ru->ntags;
	a.nr_fields = (unsigned int)ru->nfields;
	a.field_names = ru->fnames;
	a.field_values = (const char *const *)r->vals;
	a.field_numeric = ru->fnumeric;
	a.field_types = ru->ftypes;
	a.source = "syscall";
	a.ev = c->ev;
	ret = fn ? fn(ctx, &a) : 0;
	return ret;
oom:
	free(offs);
	return -ENOMEM;
}

/* "open_write and container and ...": one of them already false for this
 * event (another rule evaluated it) */
static bool known_false(const struct krule *ru, __u64 num)
{
	unsigned int i;

	for (i = 0; i < ru->nguards; i++)
		if (ru->guards[i]->num == num && !ru->guards[i]->val)
			return true;
	return false;
}

int kcap_rules_eval(struct kcap_rules *r, struct kcap_state *st, struct kcap *h,
		    const struct kcap_event_hdr *ev, kcap_alert_fn fn, void *ctx)
{
	const struct kidx *ix;
	unsigned int i, key;
	int matches = 0, ret;

	if (!r || !ev)
		return -EINVAL;
	if (!r->compiled)
		return -EINVAL;
	r->nevents++;
	key = kcap__evt_key(ev);
	ix = &r->idx[key];
	if (!ix->n)
		return 0;
	kcap__evctx_init(r->ctx, st, h, ev, r->nevents);
	r->ctx->key = key;
	r->ctx->key_state = 1;
	for (i = 0; i < ix->n; i++) {
		const struct krule *ru = &r->rules[ix->v[i]];

		if (known_false(ru, r->ctx->num))
			continue;
		r->ctx->nbuf = 0;
		if (!kcap__filter_eval(ru->f, r->ctx))
			continue;
		matches++;
		ret = alert(r, ru, r->ctx, fn, ctx);
		if (ret < 0)
			return ret;
		if (ret)
			break;
	}
	return matches;
}
