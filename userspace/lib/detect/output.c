// SPDX-License-Identifier: Apache-2.0
/*
 * kcap_output_*(): a Falco-style output format, "%proc.name opened
 * %fd.name (%evt.type)", compiled once into literal and field segments and
 * rendered per event with the rule engine's fields: what `kcap read -p`
 * prints and what tools use to show selected fields of events.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"

struct oseg {
	const char *text; /* literal: points into kcap_output.fmt */
	size_t len;
	struct kfieldref ref;
	bool field;
};

struct kcap_output {
	char *fmt;
	struct oseg *segs;
	size_t nsegs;
	struct kevctx *ctx;
	__u64 nevents;
};

/* Length of the field name at @p ("proc.aname[2]", "evt.arg.name"). */
static size_t field_len(const char *p)
{
	size_t n = 0;

	while (p[n] == '.' || p[n] == '_' || (p[n] >= 'a' && p[n] <= 'z') ||
	       (p[n] >= 'A' && p[n] <= 'Z') || (p[n] >= '0' && p[n] <= '9'))
		n++;
	if (p[n] == '[' && strchr(p + n, ']'))
		n = (size_t)(strchr(p + n, ']') - p) + 1;
	while (n && p[n - 1] == '.')
		n--;
	return n;
}

static int add(struct kcap_output *o, const struct oseg *s)
{
	void *p = realloc(o->segs, (o->nsegs + 1) * sizeof(*o->segs));

	if (!p)
		return -ENOMEM;
	o->segs = p;
	o->segs[o->nsegs++] = *s;
	return 0;
}

static int parse(struct kcap_output *o, char *msg, size_t msglen)
{
	const char *p = o->fmt, *lit = o->fmt, *why = NULL;
	struct oseg s;
	size_t n;

	while ((p = strchr(p, '%'))) {
		n = field_len(p + 1);
		if (!n) {
			p++;
			continue;
		}
		memset(&s, 0, sizeof(s));
		if (p > lit) {
			s.text = lit;
			s.len = (size_t)(p - lit);
			if (add(o, &s))
				return -ENOMEM;
			memset(&s, 0, sizeof(s));
		}
		if (kcap__field_parse(p + 1, &s.ref, &why) != n) {
			free(s.ref.arg);
			snprintf(msg, msglen, "output, column %zu: unknown field %%%.*s%s%s",
				 (size_t)(p - o->fmt) + 1, (int)n, p + 1, why ? ": " : "",
				 why ? why : "");
			return -EINVAL;
		}
		s.field = true;
		if (add(o, &s)) {
			free(s.ref.arg);
			return -ENOMEM;
		}
		p += 1 + n;
		lit = p;
	}
	if (*lit) {
		memset(&s, 0, sizeof(s));
		s.text = lit;
		s.len = strlen(lit);
		return add(o, &s);
	}
	return 0;
}

struct kcap_output *kcap_output_compile(const char *fmt, const struct kcap_output_opts *opts)
{
	char *errbuf = OPTS_GET(opts, errbuf, NULL);
	size_t errbuf_sz = OPTS_GET(opts, errbuf_sz, 0);
	char msg[256] = "bad arguments";
	struct kcap_output *o = NULL;
	int err = -EINVAL;

	if (!fmt || (opts && (opts->sz < sizeof(size_t) ||
			      !kcap__opts_valid(opts, sizeof(*opts), opts->sz))))
		goto fail;
	err = -ENOMEM;
	snprintf(msg, sizeof(msg), "out of memory");
	o = calloc(1, sizeof(*o));
	if (!o || !(o->fmt = strdup(fmt)) || !(o->ctx = calloc(1, sizeof(*o->ctx))))
		goto fail;
	err = parse(o, msg, sizeof(msg));
	if (!err)
		return o;
fail:
	if (errbuf && errbuf_sz)
		snprintf(errbuf, errbuf_sz, "%s", msg);
	kcap_output_free(o);
	errno = -err;
	return NULL;
}

int kcap_output_render(struct kcap_output *o, struct kcap_state *st, struct kcap *h,
		       const struct kcap_event_hdr *ev, char *buf, size_t len)
{
	char val[4096];
	size_t pos = 0, i, n;

	if (!o || !ev || (!buf && len))
		return -EINVAL;
	if (len)
		buf[0] = '\0';
	kcap__evctx_init(o->ctx, st, h, ev, ++o->nevents);
	for (i = 0; i < o->nsegs; i++) {
		const struct oseg *s = &o->segs[i];
		const char *p = s->text;

		n = s->len;
		if (s->field) {
			o->ctx->nbuf = 0;
			n = kcap__field_render(o->ctx, &s->ref, val, sizeof(val));
			p = val;
		}
		if (pos < len) {
			size_t room = len - pos - 1;

			memcpy(buf + pos, p, n < room ? n : room);
			buf[pos + (n < room ? n : room)] = '\0';
		}
		pos += n;
	}
	return pos > 0x7fffffff ? -EOVERFLOW : (int)pos;
}

bool kcap_output_needs_state(const struct kcap_output *o)
{
	size_t i;

	for (i = 0; o && i < o->nsegs; i++)
		if (o->segs[i].field && kcap__field_stateful(&o->segs[i].ref))
			return true;
	return false;
}

void kcap_output_free(struct kcap_output *o)
{
	size_t i;

	if (!o)
		return;
	for (i = 0; i < o->nsegs; i++)
		free(o->segs[i].ref.arg);
	free(o->segs);
	free(o->ctx);
	free(o->fmt);
	free(o);
}
