// SPDX-License-Identifier: Apache-2.0
/*
 * kcap_rules_condition(): a rule's condition as one self-contained text,
 * macros replaced by their parenthesised conditions and list names in value
 * lists by their items, the way Falco expands them before compiling. Other
 * engines of the same filter language can then evaluate it (the
 * differential test runs it through sysdig). Works on the loaded text only;
 * the compiled filters are not involved.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

/* Macros inside macros deeper than this are refused (a cycle). */
#define MAX_EXPAND_DEPTH 100
/* Value lists nested in parentheses deeper than this are copied as they are. */
#define MAX_PARENS 256

struct sbuf {
	char *s;
	size_t len, cap;
	int err;
};

static void put(struct sbuf *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (b->len + n + 1 > cap)
			cap *= 2;
		p = realloc(b->s, cap);
		if (!p) {
			b->err = -ENOMEM;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void puts_(struct sbuf *b, const char *s)
{
	put(b, s, strlen(s));
}

static bool is_punct(char c)
{
	return strchr("()'\",=<>!", c) != NULL;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A list item as a value: as it is when it is one word or already quoted,
 * otherwise double-quoted. */
static void put_item(struct sbuf *b, const char *item)
{
	const char *p;
	bool plain = *item != '\0';

	if (*item == '"' || *item == '\'') {
		puts_(b, item);
		return;
	}
	for (p = item; *p && plain; p++)
		plain = !is_space(*p) && !is_punct(*p);
	if (plain) {
		puts_(b, item);
		return;
	}
	put(b, "\"", 1);
	for (p = item; *p; p++) {
		if (*p == '"' || *p == '\\')
			put(b, "\\", 1);
		put(b, p, 1);
	}
	put(b, "\"", 1);
}

/* The items of list @l, each after ", " unless it is the first (*@any). */
static void put_list(struct sbuf *b, const struct klist *l, bool *any)
{
	char *const *v = l->expanded ? l->expanded : l->items;
	size_t n = l->expanded ? l->nexpanded : l->n, i;

	for (i = 0; i < n; i++) {
		if (*any)
			put(b, ", ", 2);
		*any = true;
		put_item(b, v[i]);
	}
}

static bool opens_list(const char *w, size_t n)
{
	return (n == 2 && !memcmp(w, "in", 2)) || (n == 10 && !memcmp(w, "intersects", 10)) ||
	       (n == 6 && !memcmp(w, "pmatch", 6));
}

/* An operator whose right side is one value: a word there is a value, not
 * a macro (proc.aname = etckeeper, with a macro etckeeper). */
static bool takes_value(const char *w, size_t n)
{
	static const char *const ops[] = { "contains",	  "icontains", "bcontains", "startswith",
					   "bstartswith", "endswith",  "glob",	    "iglob",
					   "regex" };
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strlen(ops[i]) == n && !memcmp(w, ops[i], n))
			return true;
	return false;
}

/*
 * Copies condition @s to @b with macros and lists expanded. Inside the
 * parentheses after in, intersects or pmatch, items are written again
 * separated by ", " (an empty list adds nothing, as in Falco); elsewhere a
 * word naming a macro becomes its parenthesised condition, unless it is the
 * value of a comparison.
 */
static void expand(struct kcap_rules *r, const char *s, struct sbuf *b, unsigned int depth)
{
	struct {
		bool list; /* the parentheses of a value list */
		bool any;  /* an item was written in them */
	} paren[MAX_PARENS];
	unsigned int nparen = 0, deep = 0; /* deep: levels past MAX_PARENS */
	bool after_list_op = false, value = false;

	if (depth > MAX_EXPAND_DEPTH) {
		b->err = -ELOOP;
		return;
	}
	while (*s && !b->err) {
		bool in_list = !deep && nparen && paren[nparen - 1].list;
		bool *any = in_list ? &paren[nparen - 1].any : NULL;
		const char *w = s;
		size_t n;

		if (is_space(*s) || (in_list && *s == ',')) {
			/* one line: folded YAML scalars end in newlines */
			if (!in_list && b->len && b->s[b->len - 1] != ' ' &&
			    b->s[b->len - 1] != '(')
				put(b, " ", 1);
			s++;
			continue;
		}
		if (*s == '"' || *s == '\'') {
			char q = *s++;

			while (*s && *s != q)
				s += (*s == '\\' && s[1]) ? 2 : 1;
			s += *s == q;
			if (in_list && *any)
				put(b, ", ", 2);
			if (in_list)
				*any = true;
			put(b, w, (size_t)(s - w));
			after_list_op = value = false;
			continue;
		}
		if (is_punct(*s)) {
			if (*s == '(') {
				if (nparen < MAX_PARENS && !deep) {
					paren[nparen].list = after_list_op;
					paren[nparen++].any = false;
				} else {
					deep++;
				}
			} else if (*s == ')') {
				if (deep)
					deep--;
				else if (nparen)
					nparen--;
			}
			value = strchr("=<>", *s) != NULL;
			put(b, s++, 1);
			after_list_op = false;
			continue;
		}
		while (*s && !is_space(*s) && !is_punct(*s))
			s++;
		n = (size_t)(s - w);
		if (in_list) {
			const struct klist *l = kr_find_list(r, w, n);

			if (l) {
				put_list(b, l, any);
			} else {
				if (*any)
					put(b, ", ", 2);
				*any = true;
				put(b, w, n);
			}
		} else if (value) {
			put(b, w, n);
		} else {
			const struct kmacro *m = kr_find_macro(r, w, n);

			if (m && m->cond.text) {
				put(b, "(", 1);
				expand(r, m->cond.text, b, depth + 1);
				while (b->len && b->s[b->len - 1] == ' ')
					b->s[--b->len] = '\0';
				put(b, ")", 1);
			} else {
				put(b, w, n);
			}
		}
		after_list_op = opens_list(w, n);
		value = !value && takes_value(w, n);
	}
}

/* Falco's reading of exceptions: "and not ((f1 cmp v1 and f2 cmp v2) or ...)". */
static void put_exceptions(struct kcap_rules *r, const struct krule *ru, struct sbuf *b)
{
	size_t i, j, k, row;

	for (i = 0; i < ru->nexc; i++) {
		const struct kexception *e = &ru->exc[i];

		if (!e->nrows || !e->fields)
			continue;
		puts_(b, " and not (");
		for (row = 0; row < e->nrows; row++) {
			puts_(b, row ? " or (" : "(");
			for (j = 0; j < e->rows[row].ncols && j < e->nfields; j++) {
				const struct kexcol *col = &e->rows[row].cols[j];
				const char *comp = j < e->ncomps ? e->comps[j] : e->single ? "in" : "=";
				bool many = !strcmp(comp, "in") || !strcmp(comp, "intersects") ||
					    !strcmp(comp, "pmatch");

				if (j)
					puts_(b, " and ");
				puts_(b, e->fields[j]);
				put(b, " ", 1);
				puts_(b, comp);
				puts_(b, many ? " (" : " ");
				bool any = false;

				for (k = 0; k < col->n; k++) {
					const struct klist *l =
					    kr_find_list(r, col->v[k], strlen(col->v[k]));

					if (l) {
						put_list(b, l, &any);
					} else {
						if (any)
							put(b, ", ", 2);
						any = true;
						put_item(b, col->v[k]);
					}
				}
				if (many)
					put(b, ")", 1);
			}
			put(b, ")", 1);
		}
		put(b, ")", 1);
	}
}

char *kcap_rules_condition(struct kcap_rules *r, unsigned int i, const char **name, bool *enabled)
{
	struct sbuf b = { 0 };
	const struct krule *ru;

	if (!r || i >= r->nrules) {
		errno = ENOENT;
		return NULL;
	}
	ru = &r->rules[i];
	if (name)
		*name = ru->name;
	if (enabled)
		*enabled = ru->enabled;
	puts_(&b, "");
	if (ru->cond.text) {
		if (ru->nexc)
			put(&b, "(", 1);
		expand(r, ru->cond.text, &b, 0);
		while (b.len && b.s[b.len - 1] == ' ')
			b.s[--b.len] = '\0';
		if (ru->nexc)
			put(&b, ")", 1);
	}
	put_exceptions(r, ru, &b);
	if (b.err) {
		free(b.s);
		errno = -b.err;
		return NULL;
	}
	return b.s;
}
