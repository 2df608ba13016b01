// SPDX-License-Identifier: Apache-2.0
/*
 * Rule conditions: Falco's filter language, parsed once into a tree whose
 * checks hold a resolved field and pre-converted values, then evaluated
 * per event without re-parsing.
 *
 *   expr    := and ("or" and)*
 *   and     := unary ("and" unary)*
 *   unary   := "not" unary | "(" expr ")" | check | MACRO
 *   check   := FIELD "exists" | FIELD OP VALUE | FIELD ("in"|"pmatch") "(" items ")"
 *   items   := [item ("," item)*]      an item naming a list stands for its items
 *   OP      := = == != < <= > >= contains icontains startswith endswith glob
 *   VALUE   := "quoted" | 'quoted' | bareword
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"

enum nkind { N_AND, N_OR, N_NOT, N_CMP };

enum op {
	OP_EQ,
	OP_NE,
	OP_LT,
	OP_LE,
	OP_GT,
	OP_GE,
	OP_IN,
	OP_CONTAINS,
	OP_ICONTAINS,
	OP_STARTSWITH,
	OP_ENDSWITH,
	OP_GLOB,
	OP_EXISTS,
	OP_PMATCH,
};

static const struct {
	const char *word;
	enum op op;
} ops[] = {
	{ "==", OP_EQ },
	{ "!=", OP_NE },
	{ "<=", OP_LE },
	{ ">=", OP_GE },
	{ "=", OP_EQ },
	{ "<", OP_LT },
	{ ">", OP_GT },
	{ "in", OP_IN },
	{ "contains", OP_CONTAINS },
	{ "icontains", OP_ICONTAINS },
	{ "startswith", OP_STARTSWITH },
	{ "endswith", OP_ENDSWITH },
	{ "glob", OP_GLOB },
	{ "exists", OP_EXISTS },
	{ "pmatch", OP_PMATCH },
};

struct cval {
	char *s;
	size_t len;
	__s64 n;
	bool is_num;
};

struct kfilter {
	unsigned int refs;
	enum nkind kind;
	struct kfilter **kids;
	size_t nkids;
	struct kfieldref ref;
	enum op op;
	struct cval *vals;
	size_t nvals;
};

struct parser {
	const char *s;
	size_t pos;
	const struct kcond_env *env;
	char *err;
	size_t errlen;
	size_t err_pos;
	bool failed;
	unsigned int depth;
};

static void *perr(struct parser *p, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void *perr(struct parser *p, size_t at, const char *fmt, ...)
{
	va_list ap;

	if (p->failed)
		return NULL;
	p->failed = true;
	p->err_pos = at;
	va_start(ap, fmt);
	vsnprintf(p->err, p->errlen, fmt, ap);
	va_end(ap);
	return NULL;
}

/* ---- Nodes --------------------------------------------------------------------- */

void kcap__filter_free(struct kfilter *f)
{
	size_t i;

	if (!f || --f->refs)
		return;
	for (i = 0; i < f->nkids; i++)
		kcap__filter_free(f->kids[i]);
	free(f->kids);
	for (i = 0; i < f->nvals; i++)
		free(f->vals[i].s);
	free(f->vals);
	free(f->ref.arg);
	free(f);
}

struct kfilter *kcap__filter_ref(struct kfilter *f)
{
	if (f)
		f->refs++;
	return f;
}

static struct kfilter *node(enum nkind k)
{
	struct kfilter *f = calloc(1, sizeof(*f));

	if (f) {
		f->refs = 1;
		f->kind = k;
	}
	return f;
}

static bool add_kid(struct kfilter *f, struct kfilter *kid)
{
	void *p = realloc(f->kids, (f->nkids + 1) * sizeof(*f->kids));

	if (!p) {
		kcap__filter_free(kid);
		return false;
	}
	f->kids = p;
	f->kids[f->nkids++] = kid;
	return true;
}

struct kfilter *kcap__filter_bool(bool is_and, struct kfilter **kids, size_t n)
{
	struct kfilter *f = node(is_and ? N_AND : N_OR);
	size_t i;

	for (i = 0; i < n; i++) {
		if (!f || !add_kid(f, kids[i])) {
			for (i++; i < n; i++)
				kcap__filter_free(kids[i]);
			kcap__filter_free(f);
			return NULL;
		}
	}
	return f;
}

struct kfilter *kcap__filter_and_not(struct kfilter *a, struct kfilter *b)
{
	struct kfilter *n = node(N_NOT), *kids[2];

	if (!n || !add_kid(n, b)) {
		kcap__filter_free(n);
		kcap__filter_free(a);
		return NULL;
	}
	kids[0] = a;
	kids[1] = n;
	return kcap__filter_bool(true, kids, 2);
}

/* Adds value @s (@len bytes) to check @f, converted for its field. */
static bool add_val(struct kfilter *f, const char *s, size_t len, const char **why)
{
	enum kcap_field_type t = kcap__field_type(f->ref.id);
	struct cval *v;
	char *end;
	void *p;

	p = realloc(f->vals, (f->nvals + 1) * sizeof(*f->vals));
	if (!p) {
		*why = "out of memory";
		return false;
	}
	f->vals = p;
	v = &f->vals[f->nvals];
	memset(v, 0, sizeof(*v));
	v->s = strndup(s, len);
	if (!v->s) {
		*why = "out of memory";
		return false;
	}
	v->len = len;
	errno = 0;
	v->n = strtoll(v->s, &end, 0);
	v->is_num = len && !*end && !errno;
	if (t == KCAP_FT_BOOL) {
		v->is_num = true;
		if (!strcmp(v->s, "true"))
			v->n = 1;
		else if (!strcmp(v->s, "false"))
			v->n = 0;
		else if (!v->is_num) {
			free(v->s);
			*why = "expects true or false";
			return false;
		}
	} else if (t == KCAP_FT_INT && !v->is_num) {
		free(v->s);
		*why = "expects a number";
		return false;
	}
	f->nvals++;
	return true;
}

struct kfilter *kcap__filter_cmp(const char *field, const char *op, const char *const *vals,
				 size_t n, char *err, size_t errlen)
{
	struct kfilter *f = node(N_CMP);
	const char *why = NULL;
	size_t i, used;

	if (!f)
		return NULL;
	used = kcap__field_parse(field, &f->ref, &why);
	if (!used || field[used]) {
		snprintf(err, errlen, "unknown field '%s'%s%s", field, why ? ": " : "", why ? why : "");
		kcap__filter_free(f);
		return NULL;
	}
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(op, ops[i].word))
			break;
	if (i == sizeof(ops) / sizeof(ops[0])) {
		snprintf(err, errlen, "unknown comparison operator '%s'", op);
		kcap__filter_free(f);
		return NULL;
	}
	f->op = ops[i].op;
	for (i = 0; i < n; i++) {
		if (!add_val(f, vals[i], strlen(vals[i]), &why)) {
			snprintf(err, errlen, "%s %s '%s'", field, why, vals[i]);
			kcap__filter_free(f);
			return NULL;
		}
	}
	return f;
}

/* ---- Parser ------------------------------------------------------------------- */

static void skip_ws(struct parser *p)
{
	while (isspace((unsigned char)p->s[p->pos]))
		p->pos++;
}

static bool word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-';
}

/* The keyword @w at the cursor, followed by a non-word character. */
static bool keyword(struct parser *p, const char *w)
{
	size_t n = strlen(w);

	if (strncmp(p->s + p->pos, w, n) || word_char(p->s[p->pos + n]))
		return false;
	p->pos += n;
	return true;
}

/* A quoted string or a bareword into *out (malloc'd); stops at @stops. */
static char *value(struct parser *p, const char *stops, size_t *len)
{
	size_t start = p->pos, n = 0;
	char q = p->s[p->pos], *out;

	out = malloc(strlen(p->s + p->pos) + 1);
	if (!out)
		return perr(p, start, "out of memory");
	if (q == '"' || q == '\'') {
		for (p->pos++; p->s[p->pos] && p->s[p->pos] != q; p->pos++) {
			if (p->s[p->pos] == '\\' && p->s[p->pos + 1])
				p->pos++;
			out[n++] = p->s[p->pos];
		}
		if (p->s[p->pos] != q) {
			free(out);
			return perr(p, start, "unterminated string");
		}
		p->pos++;
	} else {
		while (p->s[p->pos] && !isspace((unsigned char)p->s[p->pos]) &&
		       !strchr(stops, p->s[p->pos]))
			out[n++] = p->s[p->pos++];
		if (!n) {
			free(out);
			return perr(p, start, "expected a value");
		}
	}
	out[n] = '\0';
	*len = n;
	return out;
}

static struct kfilter *parse_list(struct parser *p, struct kfilter *f)
{
	const char *why = NULL;

	skip_ws(p);
	if (p->s[p->pos] != '(')
		return perr(p, p->pos, "expected '(' and a list of values");
	p->pos++;
	skip_ws(p);
	if (p->s[p->pos] == ')') {
		p->pos++;
		return f;
	}
	for (;;) {
		size_t at, len, nl = 0, i;
		const char *const *items;
		char *v;

		skip_ws(p);
		at = p->pos;
		v = value(p, ",()", &len);
		if (!v)
			return NULL;
		items = p->s[at] != '"' && p->s[at] != '\'' && p->env && p->env->list ?
				p->env->list(p->env->ctx, v, len, &nl) :
				NULL;
		if (items) {
			for (i = 0; i < nl; i++)
				if (!add_val(f, items[i], strlen(items[i]), &why))
					break;
		} else {
			add_val(f, v, len, &why);
		}
		free(v);
		if (why)
			return perr(p, at, "%s %s", kcap__field_name(f->ref.id), why);
		skip_ws(p);
		if (p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->s[p->pos] == ')') {
			p->pos++;
			return f;
		}
		return perr(p, p->pos, "expected ',' or ')' in a list of values");
	}
}

static struct kfilter *parse_check(struct parser *p, size_t at, struct kfilter *f)
{
	const char *why = NULL;
	size_t i, len;
	char *v;

	skip_ws(p);
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		const char *w = ops[i].word;

		if (isalpha((unsigned char)w[0]) ? keyword(p, w) :
						  !strncmp(p->s + p->pos, w, strlen(w))) {
			if (!isalpha((unsigned char)w[0]))
				p->pos += strlen(w);
			break;
		}
	}
	if (i == sizeof(ops) / sizeof(ops[0]))
		return perr(p, p->pos, "expected a comparison operator after %s",
			    kcap__field_name(f->ref.id));
	f->op = ops[i].op;
	if (f->op == OP_EXISTS)
		return f;
	if (f->op == OP_IN || f->op == OP_PMATCH)
		return parse_list(p, f);
	skip_ws(p);
	at = p->pos;
	if (p->s[at] == '(' && f->op == OP_EQ)
		return perr(p, at, "a list of values needs 'in', not '='");
	v = value(p, "()", &len);
	if (!v)
		return NULL;
	add_val(f, v, len, &why);
	free(v);
	if (why)
		return perr(p, at, "%s %s", kcap__field_name(f->ref.id), why);
	return f;
}

static struct kfilter *parse_or(struct parser *p);

static bool looks_like_field(const char *s, size_t n)
{
	static const char *const classes[] = { "evt.",	 "proc.",      "user.", "group.",
					       "fd.",	 "container.", "k8s.",	"thread.",
					       "spawned_process." };
	size_t i;

	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (n > strlen(classes[i]) && !strncmp(s, classes[i], strlen(classes[i])))
			return true;
	return false;
}

static struct kfilter *parse_unary(struct parser *p)
{
	struct kfilter *f, *kid;
	const char *why = NULL;
	size_t at, n, used;

	skip_ws(p);
	at = p->pos;
	if (++p->depth > 200)
		return perr(p, at, "condition nested too deeply");
	if (keyword(p, "not")) {
		kid = parse_unary(p);
		if (!kid)
			return NULL;
		f = node(N_NOT);
		if (!f || !add_kid(f, kid))
			return perr(p, at, "out of memory");
		p->depth--;
		return f;
	}
	if (p->s[at] == '(') {
		p->pos++;
		f = parse_or(p);
		if (!f)
			return NULL;
		skip_ws(p);
		if (p->s[p->pos] != ')') {
			kcap__filter_free(f);
			return perr(p, p->pos, "expected ')'");
		}
		p->pos++;
		p->depth--;
		return f;
	}
	if (!p->s[at])
		return perr(p, at, "unexpected end of condition");
	if (!word_char(p->s[at]))
		return perr(p, at, "unexpected '%c'", p->s[at]);
	f = node(N_CMP);
	if (!f)
		return perr(p, at, "out of memory");
	used = kcap__field_parse(p->s + at, &f->ref, &why);
	for (n = 0; word_char(p->s[at + n]); n++)
		;
	if (used) {
		p->pos = at + used;
		p->depth--;
		kid = parse_check(p, at, f);
		if (!kid)
			kcap__filter_free(f);
		return kid;
	}
	kcap__filter_free(f);
	if (why)
		return perr(p, at, "field %.*s: %s", (int)n, p->s + at, why);
	if (p->env && p->env->macro) {
		const char *merr = NULL;

		kid = p->env->macro(p->env->ctx, p->s + at, n, &merr);
		if (kid) {
			p->pos = at + n;
			p->depth--;
			return kid;
		}
		if (merr)
			return perr(p, at, "%s", merr);
	}
	if (looks_like_field(p->s + at, n))
		return perr(p, at, "unknown field '%.*s'", (int)n, p->s + at);
	return perr(p, at, "undefined macro '%.*s'", (int)n, p->s + at);
}

static struct kfilter *parse_chain(struct parser *p, bool is_and)
{
	struct kfilter *first, *f, *kid;

	first = is_and ? parse_unary(p) : parse_chain(p, true);
	if (!first)
		return NULL;
	skip_ws(p);
	if (!keyword(p, is_and ? "and" : "or"))
		return first;
	f = node(is_and ? N_AND : N_OR);
	if (!f || !add_kid(f, first)) {
		kcap__filter_free(f);
		return perr(p, p->pos, "out of memory");
	}
	do {
		kid = is_and ? parse_unary(p) : parse_chain(p, true);
		if (!kid || !add_kid(f, kid)) {
			kcap__filter_free(f);
			return perr(p, p->pos, "out of memory");
		}
		skip_ws(p);
	} while (keyword(p, is_and ? "and" : "or"));
	return f;
}

static struct kfilter *parse_or(struct parser *p)
{
	return parse_chain(p, false);
}

struct kfilter *kcap__filter_compile(const char *text, const struct kcond_env *env, char *err,
				     size_t errlen, size_t *err_off)
{
	struct parser p = { .s = text, .env = env, .err = err, .errlen = errlen };
	struct kfilter *f = parse_or(&p);

	if (f) {
		skip_ws(&p);
		if (p.s[p.pos]) {
			kcap__filter_free(f);
			f = perr(&p, p.pos, p.s[p.pos] == ')' ? "unbalanced ')'" :
								"expected 'and', 'or' or the end");
		}
	}
	if (!f && !p.failed)
		perr(&p, p.pos, "out of memory");
	if (err_off)
		*err_off = p.err_pos;
	return f;
}

/* ---- Evaluation ------------------------------------------------------------------- */

static bool icontains(const char *h, size_t hl, const char *n, size_t nl)
{
	size_t i, j;

	for (i = 0; i + nl <= hl; i++) {
		for (j = 0; j < nl && tolower((unsigned char)h[i + j]) == tolower((unsigned char)n[j]);
		     j++)
			;
		if (j == nl)
			return true;
	}
	return false;
}

static bool pmatch(const char *s, size_t len, const struct cval *v)
{
	size_t l = v->len;

	while (l > 1 && v->s[l - 1] == '/')
		l--;
	if (len < l || memcmp(s, v->s, l))
		return false;
	return len == l || s[l] == '/' || v->s[l - 1] == '/';
}

static int order(const struct kval *x, const struct cval *v)
{
	char tmp[32], *end;
	long long n;

	if (x->type == KCAP_FT_INT || x->type == KCAP_FT_BOOL)
		return x->n < v->n ? -1 : x->n > v->n;
	if (v->is_num && x->len && x->len < sizeof(tmp)) {
		memcpy(tmp, x->s, x->len);
		tmp[x->len] = '\0';
		n = strtoll(tmp, &end, 0);
		if (!*end)
			return n < v->n ? -1 : n > v->n;
	}
	n = memcmp(x->s, v->s, x->len < v->len ? x->len : v->len);
	if (n)
		return n < 0 ? -1 : 1;
	return x->len < v->len ? -1 : x->len > v->len;
}

static bool cmp_one(const struct kfilter *f, const struct kval *x, char *tmp, size_t tmplen)
{
	bool num = x->type == KCAP_FT_INT || x->type == KCAP_FT_BOOL;
	size_t i;

	for (i = 0; i < f->nvals; i++) {
		const struct cval *v = &f->vals[i];

		switch (f->op) {
		case OP_EQ:
		case OP_NE:
		case OP_IN:
			if (num ? x->n == v->n : x->len == v->len && !memcmp(x->s, v->s, v->len))
				return true;
			break;
		case OP_LT:
			return order(x, v) < 0;
		case OP_LE:
			return order(x, v) <= 0;
		case OP_GT:
			return order(x, v) > 0;
		case OP_GE:
			return order(x, v) >= 0;
		case OP_CONTAINS:
			if (!num && memmem(x->s, x->len, v->s, v->len))
				return true;
			break;
		case OP_ICONTAINS:
			if (!num && icontains(x->s, x->len, v->s, v->len))
				return true;
			break;
		case OP_STARTSWITH:
			if (!num && x->len >= v->len && !memcmp(x->s, v->s, v->len))
				return true;
			break;
		case OP_ENDSWITH:
			if (!num && x->len >= v->len && !memcmp(x->s + x->len - v->len, v->s, v->len))
				return true;
			break;
		case OP_GLOB:
			if (!num && x->len < tmplen) {
				memcpy(tmp, x->s, x->len);
				tmp[x->len] = '\0';
				if (!fnmatch(v->s, tmp, 0))
					return true;
			}
			break;
		case OP_PMATCH:
			if (!num && pmatch(x->s, x->len, v))
				return true;
			break;
		case OP_EXISTS:
			return true;
		}
	}
	return false;
}

static bool eval_cmp(const struct kfilter *f, struct kevctx *c)
{
	char tmp[4096];
	struct kval x;
	unsigned int nth;
	bool any = false;

	if (f->op == OP_EXISTS)
		return kcap__field_get(c, &f->ref, 0, &x);
	for (nth = 0; kcap__field_get(c, &f->ref, nth, &x); nth++) {
		if (cmp_one(f, &x, tmp, sizeof(tmp))) {
			any = true;
			break;
		}
	}
	if (f->op == OP_NE)
		return nth > 0 && !any; /* a missing field matches nothing */
	return any;
}

bool kcap__filter_eval(const struct kfilter *f, struct kevctx *c)
{
	size_t i;

	switch (f->kind) {
	case N_AND:
		for (i = 0; i < f->nkids; i++)
			if (!kcap__filter_eval(f->kids[i], c))
				return false;
		return true;
	case N_OR:
		for (i = 0; i < f->nkids; i++)
			if (kcap__filter_eval(f->kids[i], c))
				return true;
		return false;
	case N_NOT:
		return !kcap__filter_eval(f->kids[0], c);
	case N_CMP:
		return eval_cmp(f, c);
	}
	return false;
}

/* ---- Event-type index ------------------------------------------------------------- */

unsigned int kcap__evt_key(const struct kcap_event_hdr *ev)
{
	int nr;

	if (ev->type != KCAP_EVT_SYSCALL && ev->type != KCAP_EVT_SYSCALL_ENTER)
		return ev->type < 256 ? ev->type : 0;
	nr = kcap_event_syscall_nr(ev);
	if (nr >= 0 && (ev->flags & KCAP_EVF_COMPAT)) {
		const char *name = kcap_syscall_name((unsigned int)nr, KCAP_SC_IA32);

		nr = name ? kcap_syscall_nr(name, KCAP_SC_X86_64) : -1;
	}
	return nr >= 0 && nr < KEVT_KEYS - 256 ? 256 + (unsigned int)nr : 0;
}

static void set_key(struct ktypeset *ts, unsigned int k)
{
	ts->bits[k / 64] |= 1ULL << (k % 64);
}

static void add_type_name(struct ktypeset *ts, const char *name)
{
	unsigned int t;
	int nr;

	for (t = 1; t < KCAP_EVT_NR; t++) {
		const struct kcap_event_desc *d = kcap_event_desc(t);

		if (d && d->name && !strcmp(d->name, name) && t != KCAP_EVT_SYSCALL &&
		    t != KCAP_EVT_SYSCALL_ENTER)
			set_key(ts, t);
	}
	if (!strcmp(name, "execve"))
		set_key(ts, KCAP_EVT_PROC_EXEC);
	if (!strcmp(name, "procexit"))
		set_key(ts, KCAP_EVT_PROC_EXIT);
	nr = kcap_syscall_nr(name, KCAP_SC_X86_64);
	if (nr >= 0 && nr < KEVT_KEYS - 256)
		set_key(ts, 256 + (unsigned int)nr);
}

void kcap__filter_types(const struct kfilter *f, struct ktypeset *ts)
{
	struct ktypeset k;
	size_t i, j;

	memset(ts, 0, sizeof(*ts));
	ts->all = true;
	switch (f->kind) {
	case N_CMP:
		if (f->ref.id != F_EVT_TYPE || (f->op != OP_EQ && f->op != OP_IN))
			return;
		ts->all = false;
		for (i = 0; i < f->nvals; i++)
			add_type_name(ts, f->vals[i].s);
		return;
	case N_AND:
		for (i = 0; i < f->nkids; i++) {
			kcap__filter_types(f->kids[i], &k);
			if (k.all)
				continue;
			if (ts->all) {
				*ts = k;
				continue;
			}
			for (j = 0; j < KEVT_KEYS / 64; j++)
				ts->bits[j] &= k.bits[j];
		}
		return;
	case N_OR:
		ts->all = false;
		for (i = 0; i < f->nkids; i++) {
			kcap__filter_types(f->kids[i], &k);
			if (k.all) {
				ts->all = true;
				return;
			}
			for (j = 0; j < KEVT_KEYS / 64; j++)
				ts->bits[j] |= k.bits[j];
		}
		return;
	case N_NOT:
		return;
	}
}
