// SPDX-License-Identifier: Apache-2.0
/*
 * kcap_rules_compile(): lists expanded, macros
 * compiled on first use (shared between the rules that use them), each
 * enabled rule's condition and exceptions compiled into one filter, its
 * output into segments, and an index from event type to candidate rules.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

/* Each macro compiled inside another takes a few kilobytes of stack. */
#define MAX_MACRO_DEPTH 100
#define MAX_MACRO_DEPTH_S "100"

struct cctx {
	struct kcap_rules *r;
	const char *what; /* "rule 'x'" or "macro 'y'" for messages */
};

static int expand_list(struct kcap_rules *r, struct klist *l, unsigned int depth);

/* Appends list @l's expanded items (or @item itself) to @l's output. */
static int push_item(struct kcap_rules *r, struct klist *out, const char *item,
		     unsigned int depth)
{
	struct klist *sub = kr_find_list(r, item, strlen(item));
	void *p;
	size_t i;
	int err;

	if (sub && sub != out) {
		if ((err = expand_list(r, sub, depth + 1)))
			return err;
		for (i = 0; i < sub->nexpanded; i++)
			if ((err = push_item(r, out, sub->expanded[i], depth + 1)))
				return err;
		return 0;
	}
	p = realloc(out->expanded, (out->nexpanded + 1) * sizeof(*out->expanded));
	if (!p)
		return -ENOMEM;
	out->expanded = p;
	out->expanded[out->nexpanded++] = (char *)item;
	return 0;
}

static int expand_list(struct kcap_rules *r, struct klist *l, unsigned int depth)
{
	size_t i;
	int err;

	/* an empty list expands too: "x in (empty_list)" is "x in ()" */
	if (l->expanded)
		return 0;
	if (l->expanding || depth > 32)
		return kr_err(r, &l->loc, "list '%s' includes itself", l->name);
	l->expanding = true;
	for (i = 0; i < l->n; i++) {
		err = push_item(r, l, l->items[i], depth);
		if (err) {
			l->expanding = false;
			return err;
		}
	}
	l->expanding = false;
	if (!l->expanded)
		l->expanded = calloc(1, sizeof(*l->expanded));
	return 0;
}

static const char *const *env_list(void *ctx, const char *name, size_t len, size_t *n)
{
	struct cctx *c = ctx;
	struct klist *l = kr_find_list(c->r, name, len);

	if (!l)
		return NULL;
	*n = l->nexpanded;
	return (const char *const *)l->expanded;
}

static struct kfilter *compile_cond(struct kcap_rules *r, const struct kcond *cond,
				    const char *what);

static struct kfilter *env_macro(void *ctx, const char *name, size_t len, const char **err)
{
	struct cctx *c = ctx;
	struct kmacro *m = kr_find_macro(c->r, name, len);

	if (!m)
		return NULL;
	if (m->state == 1) {
		*err = "a macro that uses itself";
		return NULL;
	}
	if (m->state == 0) {
		char what[300];

		if (c->r->macro_depth >= MAX_MACRO_DEPTH) {
			*err = "macros nested more than " MAX_MACRO_DEPTH_S " deep";
			return NULL;
		}
		snprintf(what, sizeof(what), "macro '%s'", m->name);
		m->state = 1;
		c->r->macro_depth++;
		m->f = compile_cond(c->r, &m->cond, what);
		c->r->macro_depth--;
		m->state = 2;
	}
	if (!m->f) {
		*err = "(see the macro)";
		c->r->inner_err = true; /* reported once, with the macro */
		return NULL;
	}
	return kcap__filter_ref(m->f);
}

static struct kfilter *compile_cond(struct kcap_rules *r, const struct kcond *cond,
				    const char *what)
{
	struct cctx c = { .r = r, .what = what };
	struct kcond_env env = { .macro = env_macro, .list = env_list, .ctx = &c };
	char msg[512];
	size_t off = 0, i;
	struct kfilter *f;
	const struct kcpiece *pc;
	unsigned int line, col;

	if (!cond->text || !cond->npieces) {
		kr_err(r, NULL, "%s has no condition", what);
		r->inner_err = true;
		return NULL;
	}
	f = kcap__filter_compile(cond->text, &env, msg, sizeof(msg), &off);
	if (f)
		return f;
	if (r->inner_err)
		return NULL; /* a macro's error, already located */
	pc = &cond->pieces[0];
	for (i = 1; i < cond->npieces; i++)
		if (cond->pieces[i].start <= off)
			pc = &cond->pieces[i];
	kr_loc_at(&pc->loc, cond->text + pc->start, off - pc->start, &line, &col);
	{
		struct kloc at = { .file = pc->loc.file, .line = line, .col = col };

		kr_err(r, &at, "%s: condition: %s", what, msg);
	}
	r->inner_err = true;
	return NULL;
}

static const char *exc_comp(const struct kexception *e, size_t i)
{
	if (i < e->ncomps)
		return e->comps[i];
	return e->single ? "in" : "=";
}

/* An exception value naming a list stands for its items. */
static int exc_values(struct kcap_rules *r, const struct kexcol *col, const char ***vals,
		      size_t *n)
{
	size_t i, j;

	*vals = NULL;
	*n = 0;
	for (i = 0; i < col->n; i++) {
		struct klist *l = kr_find_list(r, col->v[i], strlen(col->v[i]));
		size_t add = l ? l->nexpanded : 1;
		void *p = realloc(*vals, (*n + add + 1) * sizeof(**vals));

		if (!p)
			return -ENOMEM;
		*vals = p;
		for (j = 0; j < add; j++)
			(*vals)[(*n)++] = l ? l->expanded[j] : col->v[i];
	}
	return 0;
}

/* OR over rows of AND over columns: "field comp value". */
static struct kfilter *compile_exception(struct kcap_rules *r, const struct krule *ru,
					 const struct kexception *e)
{
	struct kfilter **rows = calloc(e->nrows + 1, sizeof(*rows)), **cols = NULL;
	char msg[300];
	size_t i, j;

	if (!rows)
		return NULL;
	for (i = 0; i < e->nrows; i++) {
		cols = calloc(e->nfields + 1, sizeof(*cols));
		if (!cols)
			goto fail;
		for (j = 0; j < e->rows[i].ncols; j++) {
			const char **vals;
			size_t n;
			const char *field = e->fields ? e->fields[j] : NULL;

			if (!field) {
				kr_err(r, &e->loc, "rule '%s': exception '%s' has no fields",
				       ru->name, e->name);
				goto fail_cols;
			}
			if (exc_values(r, &e->rows[i].cols[j], &vals, &n))
				goto fail_cols;
			cols[j] = kcap__filter_cmp(field, exc_comp(e, j), vals, n, msg, sizeof(msg));
			free(vals);
			if (!cols[j]) {
				kr_err(r, &e->loc, "rule '%s': exception '%s': %s", ru->name,
				       e->name, msg);
				goto fail_cols;
			}
		}
		rows[i] = kcap__filter_bool(true, cols, e->rows[i].ncols);
		free(cols);
		cols = NULL;
		if (!rows[i])
			goto fail;
	}
	{
		struct kfilter *f = kcap__filter_bool(false, rows, e->nrows);

		free(rows);
		return f;
	}
fail_cols:
	for (j = 0; j < e->nfields; j++)
		kcap__filter_free(cols[j]);
	free(cols);
fail:
	for (i = 0; i < e->nrows; i++)
		kcap__filter_free(rows[i]);
	free(rows);
	r->inner_err = true;
	return NULL;
}

static bool add_seg(struct krule *ru, struct koutseg *s)
{
	void *p = realloc(ru->segs, (ru->nsegs + 1) * sizeof(*ru->segs));

	if (!p)
		return false;
	ru->segs = p;
	ru->segs[ru->nsegs++] = *s;
	return true;
}

/* "text %proc.name text %fd.name" into literal and field segments. */
/*
 * Falco's %container.info (rules before falcosecurity/rules 4.0 use it):
 * without -pk/-pc options Falco writes "%container.name (id=%container.id)"
 * in its place. Returns @o with every occurrence replaced (to free), or
 * NULL when there is none or on ENOMEM (*err).
 */
static char *container_info(const char *o, int *err)
{
	static const char key[] = "%container.info", rep[] = "%container.name (id=%container.id)";
	const char *p;
	size_t n = 0, len;
	char *out, *w;

	*err = 0;
	for (p = o; (p = strstr(p, key)); p += sizeof(key) - 1)
		n++;
	if (!n)
		return NULL;
	len = strlen(o) + n * (sizeof(rep) - sizeof(key)) + 1;
	out = malloc(len);
	if (!out) {
		*err = -ENOMEM;
		return NULL;
	}
	for (w = out, p = o; *p;) {
		if (!strncmp(p, key, sizeof(key) - 1)) {
			memcpy(w, rep, sizeof(rep) - 1);
			w += sizeof(rep) - 1;
			p += sizeof(key) - 1;
		} else {
			*w++ = *p++;
		}
	}
	*w = '\0';
	return out;
}

static int compile_output_text(struct kcap_rules *r, struct krule *ru, const char *o);

static int compile_output(struct kcap_rules *r, struct krule *ru)
{
	int err;
	char *sub = container_info(ru->output ? ru->output : "", &err);

	if (err)
		return err;
	err = compile_output_text(r, ru, sub ? sub : ru->output ? ru->output : "");
	free(sub);
	return err;
}

static int compile_output_text(struct kcap_rules *r, struct krule *ru, const char *o)
{
	const char *p = o, *lit = o;
	unsigned int unknown = 0;
	size_t i, j;

	while ((p = strchr(p, '%'))) {
		struct koutseg s;
		const char *why = NULL;
		size_t n = 0, used;

		memset(&s, 0, sizeof(s));
		if (p > lit) {
			s.text = strndup(lit, (size_t)(p - lit));
			if (!s.text || !add_seg(ru, &s))
				return -ENOMEM;
			memset(&s, 0, sizeof(s));
		}
		p++;
		while (p[n] && (p[n] == '.' || p[n] == '_' || (p[n] >= 'a' && p[n] <= 'z') ||
				(p[n] >= 'A' && p[n] <= 'Z') || (p[n] >= '0' && p[n] <= '9')))
			n++;
		if (p[n] == '[' && strchr(p + n, ']'))
			n = (size_t)(strchr(p + n, ']') - p) + 1;
		while (n && p[n - 1] == '.')
			n--;
		if (!n) {
			lit = p - 1;
			continue;
		}
		used = kcap__field_parse(p, &s.ref, &why);
		s.has_field = true;
		s.field_name = strndup(p, n);
		if (!s.field_name)
			return -ENOMEM;
		if (!used || used != n) {
			free(s.ref.arg);
			s.ref.arg = NULL;
			s.unknown = true;
			/* Falco refuses such a rule at load ("invalid formatting
			 * token"): an error, after the whole output is read */
			kr_err(r, &ru->output_loc, "rule '%s': output: unknown field %%%s", ru->name,
			       s.field_name);
			unknown++;
		}
		if (!add_seg(ru, &s))
			return -ENOMEM;
		p += n;
		lit = p;
	}
	if (*lit) {
		/* a folded YAML scalar ends in a newline: outputs are one line */
		size_t n = strlen(lit);

		while (n && (lit[n - 1] == '\n' || lit[n - 1] == ' '))
			n--;
		struct koutseg s = { .text = strndup(lit, n) };

		if (!s.text || !add_seg(ru, &s))
			return -ENOMEM;
	}
	if (unknown)
		return -EINVAL;
	/* output_fields: evt.time as a number (Falco's JSON writes it so,
	 * whether the output names it or not), then distinct known fields */
	ru->fnames = calloc(ru->nsegs + 2, sizeof(*ru->fnames));
	ru->frefs = calloc(ru->nsegs + 2, sizeof(*ru->frefs));
	ru->ftypes = calloc(ru->nsegs + 2, sizeof(*ru->ftypes));
	ru->fnumeric = calloc(ru->nsegs + 2, sizeof(*ru->fnumeric));
	if (!ru->fnames || !ru->frefs || !ru->ftypes || !ru->fnumeric)
		return -ENOMEM;
	ru->fnames[0] = "evt.time";
	ru->ftypes[0] = KCAP_FT_INT;
	ru->fnumeric[0] = 1;
	ru->nfields = 1;
	for (i = 0; i < ru->nsegs; i++) {
		enum kcap_field_type t;

		if (!ru->segs[i].has_field || ru->segs[i].unknown)
			continue;
		for (j = 0; j < ru->nfields && strcmp(ru->fnames[j], ru->segs[i].field_name); j++)
			;
		if (j < ru->nfields)
			continue;
		/* the type after transformers (len() is a number) */
		t = ru->segs[i].ref.type;
		ru->fnames[ru->nfields] = ru->segs[i].field_name;
		ru->frefs[ru->nfields] = &ru->segs[i].ref;
		ru->ftypes[ru->nfields] = t;
		ru->fnumeric[ru->nfields] = t == KCAP_FT_INT || t == KCAP_FT_BOOL;
		ru->nfields++;
	}
	return 0;
}

static int index_rule(struct kcap_rules *r, unsigned int ri)
{
	struct ktypeset ts;
	unsigned int k;

	kcap__filter_types(r->rules[ri].f, &ts);
	r->idx_all |= ts.all;
	if (ts.all && !r->rules[ri].quiet_evttypes)
		kr_warn(r, "%s:%u: rule '%s' names no event type and is checked on every event",
			r->rules[ri].loc.file, r->rules[ri].loc.line, r->rules[ri].name);
	for (k = 0; k < KEVT_KEYS; k++) {
		void *p;

		if (!ts.all && !(ts.bits[k / 64] & (1ULL << (k % 64))))
			continue;
		if (r->idx[k].n == r->idx[k].cap) {
			unsigned int cap = r->idx[k].cap ? r->idx[k].cap * 2 : 8;

			p = realloc(r->idx[k].v, cap * sizeof(*r->idx[k].v));
			if (!p)
				return -ENOMEM;
			r->idx[k].v = p;
			r->idx[k].cap = cap;
		}
		r->idx[k].v[r->idx[k].n++] = ri;
	}
	return 0;
}

/* One enabled rule: its condition, exceptions, output, index entry. */
/* Is the first error written after @from an unknown field (a word with a
 * dot that is neither a field nor a macro)? */
static bool unknown_field_error(const struct kcap_rules *r, size_t from)
{
	const char *e = r->errtext ? r->errtext + from : "", *m;
	size_t n;

	if (strstr(e, ": unknown field '"))
		return true;
	m = strstr(e, ": undefined macro '");
	if (!m)
		return false;
	m += strlen(": undefined macro '");
	n = strcspn(m, "'\n");
	return memchr(m, '.', n) != NULL;
}

static int compile_rule(struct kcap_rules *r, size_t i)
{
	struct krule *ru = &r->rules[i];
	size_t j, errlen, nerrors;
	char what[300];
	int err;

	snprintf(what, sizeof(what), "rule '%s'", ru->name);
	r->inner_err = false;
	errlen = r->errlen;
	nerrors = r->nerrors;
	ru->skipped = false;
	ru->f = compile_cond(r, &ru->cond, what);
	if (!ru->f && ru->skip_unknown && unknown_field_error(r, errlen)) {
		/* Falco: such a rule is skipped, with a warning (a field of a
		 * plugin that is not loaded, of a newer engine) */
		r->errlen = errlen;
		r->nerrors = nerrors;
		if (r->errtext)
			r->errtext[errlen] = '\0';
		ru->skipped = true;
		kr_warn(r, "%s:%u: rule '%s' skipped: its condition uses a field this engine does not have (skip-if-unknown-filter)",
			ru->loc.file, ru->loc.line, ru->name);
		return 0;
	}
	if (!ru->f)
		return -EINVAL;
	for (j = 0; j < ru->nexc; j++) {
		struct kfilter *e;

		if (!ru->exc[j].nrows)
			continue;
		e = compile_exception(r, ru, &ru->exc[j]);
		if (!e)
			return r->inner_err ? -EINVAL : -ENOMEM;
		ru->f = kcap__filter_and_not(ru->f, e);
		if (!ru->f)
			return -ENOMEM;
	}
	if ((err = compile_output(r, ru)))
		return err;
	ru->nguards = kcap__filter_guards(ru->f, ru->guards);
	if ((err = kcap__filter_prepare(ru->f)))
		return err;
	return index_rule(r, (unsigned int)i);
}

/* Every rule and macro, so that one call reports every error. */
static int compile_all(struct kcap_rules *r)
{
	int err, ret = 0;
	size_t i;

	for (i = 0; i < r->nlists; i++)
		if ((err = expand_list(r, &r->lists[i], 0)))
			return err;
	for (i = 0; i < r->nrules; i++) {
		if (!r->rules[i].enabled || r->rules[i].priority > r->min_priority)
			continue;
		err = compile_rule(r, i);
		if (err == -ENOMEM)
			return err;
		ret = ret ?: err;
	}
	/* unused macros are checked too: a typo there is still a typo */
	for (i = 0; i < r->nmacros; i++) {
		struct cctx c = { .r = r };
		const char *merr = NULL;
		struct kfilter *f;

		if (r->macros[i].state)
			continue;
		r->inner_err = false;
		f = env_macro(&c, r->macros[i].name, strlen(r->macros[i].name), &merr);
		if (!f)
			ret = -EINVAL;
		kcap__filter_free(f);
	}
	return ret;
}

int kcap_rules_compile(struct kcap_rules *r)
{
	int err;

	if (!r)
		return -EINVAL;
	kr_uncompile(r);
	kr_errors_reset_compile(r);
	r->compiling = true;
	err = compile_all(r);
	if (err == -ENOMEM)
		kr_err(r, NULL, "out of memory");
	r->compiling = false;
	if (!err && r->nerrors)
		err = -EINVAL; /* the loads failed */
	r->compiled = !err;
	return err;
}
