// SPDX-License-Identifier: Apache-2.0
/*
 * Falco's rules file format read with libyaml: a sequence of `list`,
 * `macro` and `rule` items applied in order. `append: true` and `override:`
 * extend or replace what an earlier item defined; a rule item with only
 * `rule` and `enabled` switches an earlier rule on or off. Every error
 * names FILE:LINE:COL of the offending node.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "rules.h"

struct ydoc {
	struct kcap_rules *r;
	yaml_document_t doc;
	const char *file;
	const char *text;
};

static struct kloc loc_of(const struct ydoc *y, const yaml_node_t *n)
{
	struct kloc l = {
		.file = y->file,
		.text = y->text,
		.index = n->start_mark.index,
		.line = (unsigned int)n->start_mark.line + 1,
		.col = (unsigned int)n->start_mark.column + 1,
		.style = n->type == YAML_SCALAR_NODE ? (int)n->data.scalar.style : 0,
	};
	return l;
}

static int yerr(struct ydoc *y, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int yerr(struct ydoc *y, const yaml_node_t *n, const char *fmt, ...)
{
	struct kloc l = loc_of(y, n);
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return kr_err(y->r, &l, "%s", msg);
}

static yaml_node_t *get(struct ydoc *y, int id)
{
	return yaml_document_get_node(&y->doc, id);
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* The value node of @key in mapping @m, NULL if absent. */
static yaml_node_t *member(struct ydoc *y, yaml_node_t *m, const char *key)
{
	yaml_node_pair_t *p;

	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		const char *k = scalar(get(y, p->key));

		if (k && !strcmp(k, key))
			return get(y, p->value);
	}
	return NULL;
}

static int want_scalar(struct ydoc *y, yaml_node_t *n, const char *what, const char **out)
{
	*out = scalar(n);
	if (!*out)
		return yerr(y, n, "%s must be a string", what);
	return 0;
}

static int want_bool(struct ydoc *y, yaml_node_t *n, const char *what, bool *out)
{
	const char *s = scalar(n);

	if (s && (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcasecmp(s, "on")))
		*out = true;
	else if (s && (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcasecmp(s, "off")))
		*out = false;
	else
		return yerr(y, n, "%s must be true or false", what);
	return 0;
}

/* A sequence of scalars (or, if @scalar_ok, one scalar) into a new array. */
static int want_strings(struct ydoc *y, yaml_node_t *n, const char *what, bool scalar_ok,
			char ***out, size_t *nout)
{
	yaml_node_item_t *it;
	char **v;
	size_t k = 0;

	*out = NULL;
	*nout = 0;
	if (scalar_ok && n->type == YAML_SCALAR_NODE) {
		v = calloc(1, sizeof(*v));
		if (!v || !(v[0] = strdup(scalar(n)))) {
			free(v);
			return -ENOMEM;
		}
		*out = v;
		*nout = 1;
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return yerr(y, n, "%s must be a list", what);
	v = calloc((size_t)(n->data.sequence.items.top - n->data.sequence.items.start) + 1,
		   sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *e = get(y, *it);
		const char *s = scalar(e);

		if (!s) {
			while (k)
				free(v[--k]);
			free(v);
			return yerr(y, e, "%s must hold strings only", what);
		}
		v[k] = strdup(s);
		if (!v[k]) {
			while (k)
				free(v[--k]);
			free(v);
			return -ENOMEM;
		}
		k++;
	}
	*out = v;
	*nout = k;
	return 0;
}

static void free_strings(char **v, size_t n)
{
	while (n)
		free(v[--n]);
	free(v);
}

/* override: {key: append|replace}; returns 'a', 'r' or 0 for @key. */
static int override_of(struct ydoc *y, yaml_node_t *item, const char *key, int *how)
{
	yaml_node_t *o = member(y, item, "override"), *v;
	const char *s;

	*how = 0;
	if (!o)
		return 0;
	if (o->type != YAML_MAPPING_NODE)
		return yerr(y, o, "override must map keys to append or replace");
	v = member(y, o, key);
	if (!v)
		return 0;
	s = scalar(v);
	if (s && !strcmp(s, "append"))
		*how = 'a';
	else if (s && !strcmp(s, "replace"))
		*how = 'r';
	else
		return yerr(y, v, "override of %s must be append or replace", key);
	return 0;
}

static int load_list(struct ydoc *y, yaml_node_t *item, const char *name)
{
	struct kcap_rules *r = y->r;
	yaml_node_t *items = member(y, item, "items");
	struct klist *l = kr_find_list(r, name, strlen(name));
	bool append = false;
	char **v;
	size_t n, i;
	int how, err;

	if (member(y, item, "append") && (err = want_bool(y, member(y, item, "append"), "append",
							   &append)))
		return err;
	if ((err = override_of(y, item, "items", &how)))
		return err;
	append = append || how == 'a';
	if (!items)
		return yerr(y, item, "list '%s' has no items", name);
	if ((err = want_strings(y, items, "items", false, &v, &n)))
		return err;
	if (append) {
		void *p;

		if (!l) {
			free_strings(v, n);
			return yerr(y, item, "list '%s' appends to a list not defined before", name);
		}
		p = realloc(l->items, (l->n + n + 1) * sizeof(*l->items));
		if (!p) {
			free_strings(v, n);
			return -ENOMEM;
		}
		l->items = p;
		for (i = 0; i < n; i++)
			l->items[l->n++] = v[i];
		free(v);
		return 0;
	}
	if (!l) {
		if (kr_grow((void **)&r->lists, &r->lists_cap, r->nlists, sizeof(*r->lists))) {
			free_strings(v, n);
			return -ENOMEM;
		}
		l = &r->lists[r->nlists];
		memset(l, 0, sizeof(*l));
		l->name = strdup(name);
		if (!l->name || kr_index_add(r, KR_LIST, r->nlists++)) {
			free_strings(v, n);
			return -ENOMEM;
		}
	} else {
		free_strings(l->items, l->n);
	}
	l->items = v;
	l->n = n;
	l->loc = loc_of(y, item);
	return 0;
}

static int load_macro(struct ydoc *y, yaml_node_t *item, const char *name)
{
	struct kcap_rules *r = y->r;
	yaml_node_t *c = member(y, item, "condition");
	struct kmacro *m = kr_find_macro(r, name, strlen(name));
	struct kloc cl;
	bool append = false;
	const char *text;
	int how, err;

	if (member(y, item, "append") && (err = want_bool(y, member(y, item, "append"), "append",
							   &append)))
		return err;
	if ((err = override_of(y, item, "condition", &how)))
		return err;
	append = append || how == 'a';
	if (!c)
		return yerr(y, item, "macro '%s' has no condition", name);
	if ((err = want_scalar(y, c, "condition", &text)))
		return err;
	cl = loc_of(y, c);
	if (append) {
		if (!m)
			return yerr(y, item, "macro '%s' appends to a macro not defined before", name);
		return kr_cond_append(&m->cond, text, &cl);
	}
	if (!m) {
		if (kr_grow((void **)&r->macros, &r->macros_cap, r->nmacros, sizeof(*r->macros)))
			return -ENOMEM;
		m = &r->macros[r->nmacros];
		memset(m, 0, sizeof(*m));
		m->name = strdup(name);
		if (!m->name || kr_index_add(r, KR_MACRO, r->nmacros++))
			return -ENOMEM;
	} else {
		kr_cond_free(&m->cond);
	}
	m->loc = loc_of(y, item);
	return kr_cond_append(&m->cond, text, &cl);
}

/* One exception; @tmpl (same name, defined before) supplies absent fields. */
static int load_exception(struct ydoc *y, yaml_node_t *n, struct kexception *e,
			  const struct kexception *tmpl)
{
	yaml_node_t *name = member(y, n, "name"), *fields = member(y, n, "fields"),
		    *comps = member(y, n, "comps"), *values = member(y, n, "values");
	yaml_node_item_t *it, *jt;
	int err;

	memset(e, 0, sizeof(*e));
	e->loc = loc_of(y, n);
	if (!name || !scalar(name))
		return yerr(y, n, "an exception needs a name");
	e->name = strdup(scalar(name));
	if (!e->name)
		return -ENOMEM;
	if (!fields && !tmpl)
		return yerr(y, n, "exception '%s' has no fields", e->name);
	if (!fields) {
		e->single = tmpl->single;
		e->nfields = tmpl->nfields;
	} else {
		e->single = fields->type == YAML_SCALAR_NODE;
		if ((err = want_strings(y, fields, "fields", true, &e->fields, &e->nfields)))
			return err;
	}
	if (comps && (err = want_strings(y, comps, "comps", true, &e->comps, &e->ncomps)))
		return err;
	if (!e->single && e->ncomps && e->ncomps != e->nfields)
		return yerr(y, comps, "exception '%s': %zu comps for %zu fields", e->name,
			    e->ncomps, e->nfields);
	if (!values)
		return 0;
	if (values->type != YAML_SEQUENCE_NODE)
		return yerr(y, values, "exception '%s': values must be a list", e->name);
	for (it = values->data.sequence.items.start; it < values->data.sequence.items.top; it++) {
		yaml_node_t *row = get(y, *it);
		struct kexrow *rw;
		void *p = realloc(e->rows, (e->nrows + 1) * sizeof(*e->rows));

		if (!p)
			return -ENOMEM;
		e->rows = p;
		rw = &e->rows[e->nrows++];
		memset(rw, 0, sizeof(*rw));
		if (e->single) {
			/* fields: f; values: [a, b]: each value is one row of one column */
			rw->cols = calloc(1, sizeof(*rw->cols));
			if (!rw->cols)
				return -ENOMEM;
			rw->ncols = 1;
			if ((err = want_strings(y, row, "value", true, &rw->cols[0].v,
						&rw->cols[0].n)))
				return err;
			continue;
		}
		if (row->type != YAML_SEQUENCE_NODE)
			return yerr(y, row, "exception '%s': each value must be a list of %zu",
				    e->name, e->nfields);
		rw->cols = calloc(e->nfields, sizeof(*rw->cols));
		if (!rw->cols)
			return -ENOMEM;
		for (jt = row->data.sequence.items.start; jt < row->data.sequence.items.top; jt++) {
			if (rw->ncols == e->nfields)
				return yerr(y, row, "exception '%s': a value has more than %zu items",
					    e->name, e->nfields);
			if ((err = want_strings(y, get(y, *jt), "value", true,
						&rw->cols[rw->ncols].v, &rw->cols[rw->ncols].n)))
				return err;
			rw->ncols++;
		}
		if (rw->ncols != e->nfields)
			return yerr(y, row, "exception '%s': a value has %zu items for %zu fields",
				    e->name, rw->ncols, e->nfields);
	}
	return 0;
}

static int load_exceptions(struct ydoc *y, yaml_node_t *list, struct krule *ru)
{
	yaml_node_t *n = list;
	yaml_node_item_t *it;
	int err;

	if (list->type != YAML_SEQUENCE_NODE)
		return yerr(y, list, "exceptions must be a list");
	for (it = list->data.sequence.items.start; it < list->data.sequence.items.top; it++) {
		yaml_node_t *e = get(y, *it);
		struct kexception ex, *old = NULL;
		size_t i;
		void *p;

		if (e->type != YAML_MAPPING_NODE)
			return yerr(y, e, "an exception must be a mapping");
		n = member(y, e, "name");
		for (i = 0; n && scalar(n) && i < ru->nexc; i++)
			if (!strcmp(ru->exc[i].name, scalar(n)))
				old = &ru->exc[i];
		err = load_exception(y, e, &ex, old);
		if (err) {
			kr_exception_free(&ex);
			return err;
		}
		if (old) {
			/* same name again: its values are added */
			p = realloc(old->rows, (old->nrows + ex.nrows) * sizeof(*old->rows));
			if (!p) {
				kr_exception_free(&ex);
				return -ENOMEM;
			}
			old->rows = p;
			memcpy(old->rows + old->nrows, ex.rows, ex.nrows * sizeof(*ex.rows));
			old->nrows += ex.nrows;
			ex.nrows = 0;
			kr_exception_free(&ex);
			continue;
		}
		p = realloc(ru->exc, (ru->nexc + 1) * sizeof(*ru->exc));
		if (!p) {
			kr_exception_free(&ex);
			return -ENOMEM;
		}
		ru->exc = p;
		ru->exc[ru->nexc++] = ex;
	}
	return 0;
}

/* `append: true` or `override:` on rule @ru: change what the item names. */
static int amend_rule(struct ydoc *y, yaml_node_t *item, struct krule *ru, bool enabled)
{
	yaml_node_t *n;
	const char *s;
	int how, err, prio;

	if ((n = member(y, item, "condition"))) {
		struct kloc cl = loc_of(y, n);

		if ((err = override_of(y, item, "condition", &how)) ||
		    (err = want_scalar(y, n, "condition", &s)))
			return err;
		if (how == 'r')
			kr_cond_free(&ru->cond);
		if ((err = kr_cond_append(&ru->cond, s, &cl)))
			return err;
	}
	if ((n = member(y, item, "exceptions"))) {
		if ((err = override_of(y, item, "exceptions", &how)))
			return err;
		if (how == 'r') {
			while (ru->nexc)
				kr_exception_free(&ru->exc[--ru->nexc]);
		}
		if ((err = load_exceptions(y, n, ru)))
			return err;
	}
	if ((n = member(y, item, "output"))) {
		if ((err = override_of(y, item, "output", &how)) ||
		    (err = want_scalar(y, n, "output", &s)))
			return err;
		if (how == 'a') {
			size_t n = ru->output ? strlen(ru->output) : 0;
			char *o;

			/* one line, as Falco trims both: a folded (>) output ends
			 * with a newline */
			while (n && isspace((unsigned char)ru->output[n - 1]))
				n--;
			if (asprintf(&o, "%.*s %s", (int)n, ru->output ? ru->output : "", s) < 0)
				return -ENOMEM;
			free(ru->output);
			ru->output = o;
		} else {
			free(ru->output);
			ru->output = strdup(s);
			ru->output_loc = loc_of(y, n);
		}
	}
	if ((n = member(y, item, "desc")) && scalar(n)) {
		free(ru->desc);
		ru->desc = strdup(scalar(n));
	}
	if ((n = member(y, item, "priority"))) {
		prio = kcap_priority_parse(scalar(n));
		if (prio < 0)
			return yerr(y, n, "unknown priority '%s'", scalar(n) ?: "");
		ru->priority = prio;
	}
	if ((n = member(y, item, "tags"))) {
		char **t;
		size_t nt;

		if ((err = want_strings(y, n, "tags", false, &t, &nt)))
			return err;
		free_strings(ru->tags, ru->ntags);
		ru->tags = t;
		ru->ntags = nt;
	}
	if (member(y, item, "enabled"))
		ru->enabled = enabled;
	return 0;
}

/* A rule defined (or defined again: @ru, replaced in its place). */
static int define_rule(struct ydoc *y, yaml_node_t *item, struct krule *ru, const char *name,
		       bool enabled)
{
	struct kcap_rules *r = y->r;
	struct krule fresh;
	yaml_node_t *n;
	const char *s;
	int err, prio;

	memset(&fresh, 0, sizeof(fresh));
	fresh.name = strdup(name);
	fresh.enabled = enabled;
	fresh.loc = loc_of(y, item);
	err = -ENOMEM;
	if (!fresh.name)
		goto fail;
	if (!(n = member(y, item, "condition"))) {
		err = yerr(y, item, "rule '%s' has no condition", name);
		goto fail;
	}
	if ((err = want_scalar(y, n, "condition", &s)))
		goto fail;
	{
		struct kloc cl = loc_of(y, n);

		if ((err = kr_cond_append(&fresh.cond, s, &cl)))
			goto fail;
	}
	if (!(n = member(y, item, "output"))) {
		err = yerr(y, item, "rule '%s' has no output", name);
		goto fail;
	}
	if ((err = want_scalar(y, n, "output", &s)))
		goto fail;
	fresh.output = strdup(s);
	fresh.output_loc = loc_of(y, n);
	if (!(n = member(y, item, "priority"))) {
		err = yerr(y, item, "rule '%s' has no priority", name);
		goto fail;
	}
	prio = kcap_priority_parse(scalar(n));
	if (prio < 0) {
		err = yerr(y, n, "unknown priority '%s'", scalar(n) ?: "");
		goto fail;
	}
	fresh.priority = prio;
	if ((n = member(y, item, "desc")) && scalar(n))
		fresh.desc = strdup(scalar(n));
	if ((n = member(y, item, "warn_evttypes"))) {
		bool warn = true;

		if ((err = want_bool(y, n, "warn_evttypes", &warn)))
			goto fail;
		fresh.quiet_evttypes = !warn;
	}
	if ((n = member(y, item, "skip-if-unknown-filter")) &&
	    (err = want_bool(y, n, "skip-if-unknown-filter", &fresh.skip_unknown)))
		goto fail;
	if ((n = member(y, item, "tags")) &&
	    (err = want_strings(y, n, "tags", false, &fresh.tags, &fresh.ntags)))
		goto fail;
	if ((n = member(y, item, "exceptions")) && (err = load_exceptions(y, n, &fresh)))
		goto fail;
	if (ru) {
		/* a rule defined again replaces the earlier one, in its place */
		kr_rule_free(ru);
		*ru = fresh;
		return 0;
	}
	{
		if (kr_grow((void **)&r->rules, &r->rules_cap, r->nrules, sizeof(*r->rules))) {
			err = -ENOMEM;
			goto fail;
		}
		r->rules[r->nrules] = fresh;
		if (kr_index_add(r, KR_RULE, r->nrules)) {
			err = -ENOMEM;
			goto fail;
		}
		r->nrules++;
	}
	return 0;
fail:
	kr_rule_free(&fresh);
	return err;
}

static int load_rule(struct ydoc *y, yaml_node_t *item, const char *name)
{
	struct kcap_rules *r = y->r;
	struct krule *ru = kr_find_rule(r, name);
	yaml_node_t *n;
	bool append = false, enabled = true;
	int err;
	size_t nkeys = (size_t)(item->data.mapping.pairs.top - item->data.mapping.pairs.start);

	if ((n = member(y, item, "append")) && (err = want_bool(y, n, "append", &append)))
		return err;
	if ((n = member(y, item, "enabled")) && (err = want_bool(y, n, "enabled", &enabled)))
		return err;
	if ((n = member(y, item, "source")) && scalar(n) && strcmp(scalar(n), "syscall")) {
		kr_warn(r, "%s:%u: rule '%s' for source '%s' skipped (kcap evaluates syscall rules)",
			y->file, (unsigned int)item->start_mark.line + 1, name, scalar(n));
		return 0;
	}
	/* `- rule: X / enabled: false` alone switches an earlier rule */
	if (member(y, item, "enabled") && nkeys == 2) {
		if (!ru)
			return yerr(y, item, "rule '%s' is enabled/disabled but was not defined before",
				    name);
		ru->enabled = enabled;
		return 0;
	}
	if (append || member(y, item, "override")) {
		if (!ru)
			return yerr(y, item, "rule '%s' %s a rule not defined before", name,
				    append ? "appends to" : "overrides");
		return amend_rule(y, item, ru, enabled);
	}
	return define_rule(y, item, ru, name, enabled);
}

/* Keys of each item, as Falco's rules format defines them. */
static const char *const list_keys[] = { "list", "items", "append", "override", NULL };
static const char *const macro_keys[] = { "macro", "condition", "append", "override", NULL };
static const char *const rule_keys[] = {
	"rule",	      "desc",	      "condition",     "output",
	"priority",   "tags",	      "enabled",       "exceptions",
	"append",     "override",     "source",	       "warn_evttypes",
	"skip-if-unknown-filter",     "capture",       "capture_duration",
	NULL
};
/* required_engine_version: kcap follows Falco's current format and does
 * not compare versions; required_plugin_versions: kcap has no plugins (the
 * container fields the upstream files ask the container plugin for are
 * kcap's own). Both are accepted and ignored. */
static const char *const item_keys[] = { "list", "macro", "rule", "required_engine_version",
					 "required_plugin_versions", NULL };

/* Edit distance of two short words, capped at 3. */
static unsigned int distance(const char *a, const char *b)
{
	unsigned int row[64], i, j, prev, tmp;
	size_t la = strlen(a), lb = strlen(b);

	if (la >= 64 || lb >= 64)
		return 3;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			row[j] = prev + (a[i - 1] != b[j - 1]);
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			if (tmp + 1 < row[j])
				row[j] = tmp + 1;
			prev = tmp;
		}
	}
	return row[lb] < 3 ? row[lb] : 3;
}

/* The known word closest to @w, NULL if none is close. */
static const char *closest(const char *w, const char *const *known)
{
	const char *best = NULL;
	unsigned int d, bd = 3;

	for (; *known; known++) {
		d = distance(w, *known);
		if (d < bd) {
			bd = d;
			best = *known;
		}
	}
	return best;
}

/* Every key of @item is one of @keys; errors name the closest one. */
static int check_keys(struct ydoc *y, yaml_node_t *item, const char *kind, const char *name,
		      const char *const *keys)
{
	yaml_node_pair_t *p;
	int err = 0;

	for (p = item->data.mapping.pairs.start; p < item->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = get(y, p->key);
		const char *k = scalar(kn), *const *known, *hint;

		for (known = keys; k && *known && strcmp(*known, k); known++)
			;
		if (k && *known)
			continue;
		hint = k ? closest(k, keys) : NULL;
		err = yerr(y, kn, "unknown key '%s' in %s '%s'%s%s%s", k ? k : "?", kind, name,
			   hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
	}
	return err;
}

static int load_item(struct ydoc *y, yaml_node_t *item)
{
	static const struct {
		const char *kind;
		const char *const *keys;
		int (*load)(struct ydoc *y, yaml_node_t *item, const char *name);
	} kinds[] = { { "list", list_keys, load_list },
		      { "macro", macro_keys, load_macro },
		      { "rule", rule_keys, load_rule } };
	yaml_node_t *n;
	const char *name, *k, *hint;
	size_t i;
	int err;

	if (item->type != YAML_MAPPING_NODE)
		return yerr(y, item, "each item must be a mapping (list, macro or rule)");
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (!(n = member(y, item, kinds[i].kind)))
			continue;
		if (!(name = scalar(n)))
			return yerr(y, n, "a %s name must be a string", kinds[i].kind);
		if ((err = check_keys(y, item, kinds[i].kind, name, kinds[i].keys)))
			return err;
		return kinds[i].load(y, item, name);
	}
	if (member(y, item, "required_engine_version") || member(y, item, "required_plugin_versions"))
		return 0;
	k = item->data.mapping.pairs.start < item->data.mapping.pairs.top ?
		    scalar(get(y, item->data.mapping.pairs.start->key)) :
		    NULL;
	hint = k ? closest(k, item_keys) : NULL;
	return yerr(y, item, "unknown item%s%s%s: expected list, macro or rule%s%s%s", k ? " '" : "",
		    k ? k : "", k ? "'" : "", hint ? " (did you mean '" : "", hint ? hint : "",
		    hint ? "'?)" : "");
}

/*
 * Rules files nest a few levels (items, exceptions, values); libyaml's
 * loader takes quadratic time on deep nesting ("[[[[..."), so the events
 * are read once first and a file nested deeper than MAX_YAML_DEPTH is
 * rejected before it is loaded.
 */
#define MAX_YAML_DEPTH 32

static int check_depth(struct kcap_rules *r, const char *name, const char *text, size_t len)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	unsigned int depth = 0;
	int err = 0;

	if (!yaml_parser_initialize(&parser))
		return kr_err(r, NULL, "%s: out of memory for the YAML parser", name);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!err && yaml_parser_parse(&parser, &ev)) {
		yaml_event_type_t t = ev.type;

		if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) {
			if (++depth > MAX_YAML_DEPTH) {
				struct kloc l = { .file = name,
						  .line = (unsigned int)ev.start_mark.line + 1,
						  .col = (unsigned int)ev.start_mark.column + 1 };

				err = kr_err(r, &l, "YAML nested more than %d deep", MAX_YAML_DEPTH);
			}
		} else if (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT) {
			depth--;
		}
		yaml_event_delete(&ev);
		if (t == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&parser);
	return err; /* a syntax error is reported by the loader */
}

int kr_load_yaml(struct kcap_rules *r, const char *name, const char *text, size_t len)
{
	struct ydoc y = { .r = r, .file = name, .text = text };
	yaml_parser_t parser;
	yaml_node_t *root;
	yaml_node_item_t *it;
	int err = check_depth(r, name, text, len);

	if (err)
		return err;
	if (!yaml_parser_initialize(&parser))
		return kr_err(r, NULL, "%s: out of memory for the YAML parser", name);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	for (;;) {
		if (!yaml_parser_load(&parser, &y.doc)) {
			struct kloc l = { .file = name,
					  .line = (unsigned int)parser.problem_mark.line + 1,
					  .col = (unsigned int)parser.problem_mark.column + 1 };

			err = kr_err(r, &l, "YAML: %s%s%s", parser.problem ?: "syntax error",
				     parser.context ? " " : "", parser.context ?: "");
			break;
		}
		root = yaml_document_get_root_node(&y.doc);
		if (!root) {
			yaml_document_delete(&y.doc);
			break; /* end of the stream */
		}
		if (root->type == YAML_SEQUENCE_NODE) {
			/* an item in error is skipped: the next ones are still checked */
			for (it = root->data.sequence.items.start;
			     err != -ENOMEM && it < root->data.sequence.items.top; it++) {
				int e = load_item(&y, get(&y, *it));

				err = err && e != -ENOMEM ? err : e;
			}
		} else if (root->type != YAML_SCALAR_NODE || *scalar(root)) {
			err = yerr(&y, root, "a rules file is a list of items");
		}
		yaml_document_delete(&y.doc);
		if (err)
			break;
	}
	yaml_parser_delete(&parser);
	if (err == -ENOMEM)
		return kr_err(r, NULL, "%s: out of memory", name);
	return err;
}
