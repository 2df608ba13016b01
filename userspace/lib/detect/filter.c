// SPDX-License-Identifier: Apache-2.0
/*
 * Rule conditions: Falco's filter language, parsed once into a tree whose
 * checks hold a resolved field and pre-converted values (filter_cmp.c),
 * then evaluated per event without re-parsing.
 *
 *   expr    := and ("or" and)*
 *   and     := unary ("and" unary)*
 *   unary   := "not" unary | "(" expr ")" | check | MACRO
 *   check   := operand "exists" | operand OP right | operand LISTOP "(" items ")"
 *   operand := FIELD | XFORM "(" operand ")"
 *   right   := VALUE | "val(" operand ")" | XFORM "(" operand ")"
 *   items   := [item ("," item)*]      an item naming a list stands for its items
 *   OP      := = == != < <= > >= contains icontains bcontains startswith
 *              bstartswith endswith glob iglob regex
 *   LISTOP  := in intersects pmatch
 *   XFORM   := tolower toupper b64 basename len
 *   VALUE   := "quoted" | 'quoted' | bareword
 * A quoted value, or a list item written with its quotes ('"10.0.0.0/8"'),
 * is compared without them; \" \' \\ \n \t \xHH are escapes inside quotes.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"

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

static void operand_free(struct koperand *o)
{
	if (o)
		free(o->ref.arg);
}

void kcap__filter_free(struct kfilter *f)
{
	size_t i;

	if (!f || --f->refs)
		return;
	for (i = 0; i < f->nkids; i++)
		kcap__filter_free(f->kids[i]);
	free(f->kids);
	for (i = 0; i < f->nvals; i++)
		kcap__cval_free(&f->vals[i]);
	free(f->vals);
	operand_free(&f->lhs);
	operand_free(f->rhs);
	free(f->rhs);
	free(f->types);
	free(f->tkeys);
	free(f->prog);
	free(f);
}

bool kcap__filter_stateful(const struct kfilter *f)
{
	size_t i;

	if (f->kind == N_CMP)
		return kcap__field_stateful(&f->lhs.ref) ||
		       (f->rhs && kcap__field_stateful(&f->rhs->ref));
	for (i = 0; i < f->nkids; i++)
		if (kcap__filter_stateful(f->kids[i]))
			return true;
	return false;
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

/* ---- Quoted strings ------------------------------------------------------------- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * The quoted string at @s (its first character is the quote) unescaped
 * into @out (room for strlen(s) bytes); returns the bytes of @s used, 0 if
 * the closing quote is missing.
 */
static size_t unquote(const char *s, char *out, size_t *n)
{
	char q = s[0];
	size_t i = 1;

	*n = 0;
	for (; s[i] && s[i] != q; i++) {
		if (s[i] != '\\' || !s[i + 1]) {
			out[(*n)++] = s[i];
			continue;
		}
		i++;
		if (s[i] == 'x' && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			out[(*n)++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else {
			out[(*n)++] = s[i] == 'n'   ? '\n'
				      : s[i] == 't' ? '\t'
				      : s[i] == 'r' ? '\r'
						    : s[i];
		}
	}
	return s[i] == q ? i + 1 : 0;
}

/* A value or list item: a whole quoted item loses its quotes. */
static const char *add_item(struct kfilter *f, const char *s, size_t len)
{
	const char *why;
	char *tmp;
	size_t n;

	if (!len || (s[0] != '"' && s[0] != '\'') || s[len - 1] != s[0] || len < 2)
		return kcap__add_val(f, s, len);
	tmp = malloc(len + 1);
	if (!tmp)
		return "out of memory";
	if (unquote(s, tmp, &n) != len) {
		free(tmp);
		return kcap__add_val(f, s, len);
	}
	why = kcap__add_val(f, tmp, n);
	free(tmp);
	return why;
}

struct kfilter *kcap__filter_cmp(const char *field, const char *op, const char *const *vals,
				 size_t n, char *err, size_t errlen)
{
	struct kfilter *f = node(N_CMP);
	const char *why = NULL;
	size_t i, used;
	int o;

	if (!f)
		return NULL;
	used = kcap__field_parse(field, &f->lhs.ref, &why);
	if (!used || field[used]) {
		snprintf(err, errlen, "unknown field '%s'%s%s", field, why ? ": " : "",
			 why ? why : "");
		kcap__filter_free(f);
		return NULL;
	}
	o = kcap__op_parse(op, strlen(op));
	if (o < 0) {
		snprintf(err, errlen, "unknown comparison operator '%s'", op);
		kcap__filter_free(f);
		return NULL;
	}
	f->op = (enum op)o;
	if ((why = kcap__op_check(f))) {
		snprintf(err, errlen, "%s %s: %s", field, op, why);
		kcap__filter_free(f);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if ((why = add_item(f, vals[i], strlen(vals[i])))) {
			snprintf(err, errlen, "%s %s '%s'", field, why, vals[i]);
			kcap__filter_free(f);
			return NULL;
		}
	}
	kcap__cmp_prepare(f);
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

static size_t word_len(const char *s)
{
	size_t n = 0;

	while (word_char(s[n]))
		n++;
	return n;
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
	size_t start = p->pos, n = 0, used;
	char q = p->s[p->pos], *out;

	out = malloc(strlen(p->s + p->pos) + 1);
	if (!out)
		return perr(p, start, "out of memory");
	if (q == '"' || q == '\'') {
		used = unquote(p->s + p->pos, out, &n);
		if (!used) {
			free(out);
			return perr(p, start, "unterminated string");
		}
		p->pos += used;
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

/* A list's items, or a bareword or quoted item as written. */
static bool list_item(struct parser *p, struct kfilter *f)
{
	size_t at, len, nl = 0, i;
	const char *const *items = NULL;
	const char *why = NULL;
	char *v;

	skip_ws(p);
	at = p->pos;
	v = value(p, ",()", &len);
	if (!v)
		return false;
	if (p->s[at] != '"' && p->s[at] != '\'' && p->env && p->env->list)
		items = p->env->list(p->env->ctx, v, len, &nl);
	if (items) {
		for (i = 0; i < nl && !why; i++)
			why = add_item(f, items[i], strlen(items[i]));
	} else {
		why = kcap__add_val(f, v, len);
	}
	free(v);
	if (why)
		perr(p, at, "%s %s", f->lhs.ref.name, why);
	return !why;
}

static struct kfilter *parse_list(struct parser *p, struct kfilter *f)
{
	skip_ws(p);
	if (p->s[p->pos] != '(')
		return perr(p, p->pos, "expected '(' and a list of values after %s",
			    kcap__op_name(f->op));
	p->pos++;
	skip_ws(p);
	if (p->s[p->pos] == ')') {
		p->pos++;
		return f;
	}
	for (;;) {
		if (!list_item(p, f))
			return NULL;
		skip_ws(p);
		if (p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->s[p->pos] == ')') {
			p->pos++;
			kcap__sort_vals(f);
			return f;
		}
		return perr(p, p->pos, "expected ',' or ')' in a list of values");
	}
}

/* The word at @at is a call: a name followed by '('; its '(' offset or 0. */
static size_t call_paren(const struct parser *p, size_t at, size_t n)
{
	size_t j = at + n;

	if (!n)
		return 0;
	if (p->s[j] == '(')
		return j;
	if (!kcap__xf_parse(p->s + at, n) && strncmp(p->s + at, "val", n))
		return 0;
	while (isspace((unsigned char)p->s[j]))
		j++;
	return p->s[j] == '(' ? j : 0;
}

static bool parse_operand(struct parser *p, struct koperand *o, unsigned int depth);

/* XFORM "(" operand ")" at @at, the '(' at @paren. */
static bool parse_xform(struct parser *p, struct koperand *o, size_t at, size_t paren,
			unsigned int depth)
{
	size_t n = word_len(p->s + at);
	int xf = kcap__xf_parse(p->s + at, n);

	if (!xf)
		return perr(p, at,
			    "unknown transformer '%.*s' (known: tolower, toupper, b64, "
			    "basename, len)",
			    (int)n, p->s + at),
		       false;
	if (depth >= MAX_XF)
		return perr(p, at, "more than %d transformers", MAX_XF), false;
	p->pos = paren + 1;
	if (!parse_operand(p, o, depth + 1))
		return false;
	skip_ws(p);
	if (p->s[p->pos] != ')')
		return perr(p, p->pos, "expected ')' after the field of %.*s()", (int)n, p->s + at),
		       false;
	p->pos++;
	if (kcap__operand_type(o) != KCAP_FT_STR && kcap__operand_type(o) != KCAP_FT_IP)
		return perr(p, at, "transformer %.*s() needs a string field", (int)n, p->s + at),
		       false;
	o->xf[o->nxf++] = (unsigned char)xf;
	return true;
}

static bool parse_operand(struct parser *p, struct koperand *o, unsigned int depth)
{
	const char *why = NULL;
	size_t at, n, paren, used;

	skip_ws(p);
	at = p->pos;
	n = word_len(p->s + at);
	paren = call_paren(p, at, n);
	if (paren)
		return parse_xform(p, o, at, paren, depth);
	used = kcap__field_parse(p->s + at, &o->ref, &why);
	if (!used) {
		if (why)
			return perr(p, at, "field %.*s: %s", (int)n, p->s + at, why), false;
		return perr(p, at, "unknown field '%.*s'", (int)n, p->s + at), false;
	}
	p->pos = at + used;
	return true;
}

/* The comparison operator at the cursor. */
static int parse_op(struct parser *p, const struct kfilter *f)
{
	static const char *const syms[] = {"==", "!=", "<=", ">=", "=", "<", ">"};
	size_t i, at, n;
	int op;

	skip_ws(p);
	at = p->pos;
	for (i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		if (!strncmp(p->s + at, syms[i], strlen(syms[i]))) {
			p->pos += strlen(syms[i]);
			return kcap__op_parse(syms[i], strlen(syms[i]));
		}
	}
	n = word_len(p->s + at);
	op = n ? kcap__op_parse(p->s + at, n) : -1;
	if (op >= 0) {
		p->pos += n;
		return op;
	}
	if (n)
		perr(p, at, "unknown operator '%.*s' after %s", (int)n, p->s + at, f->lhs.ref.name);
	else
		perr(p, at, "expected a comparison operator after %s", f->lhs.ref.name);
	return -1;
}

/* The right side: val(operand), XFORM(operand) or a value. */
static struct kfilter *parse_right(struct parser *p, struct kfilter *f)
{
	size_t at, n, paren, len;
	const char *why;
	char *v;

	skip_ws(p);
	at = p->pos;
	n = word_len(p->s + at);
	paren = call_paren(p, at, n);
	if (paren) {
		f->rhs = calloc(1, sizeof(*f->rhs));
		if (!f->rhs)
			return perr(p, at, "out of memory");
		if (n == 3 && !strncmp(p->s + at, "val", 3)) {
			p->pos = paren + 1;
			if (!parse_operand(p, f->rhs, 0))
				return NULL;
			skip_ws(p);
			if (p->s[p->pos] != ')')
				return perr(p, p->pos, "expected ')' after the field of val()");
			p->pos++;
		} else if (!parse_xform(p, f->rhs, at, paren, 0)) {
			return NULL;
		}
		why = kcap__op_check(f);
		return why ? perr(p, at, "%s %s: %s", f->lhs.ref.name, kcap__op_name(f->op), why)
			   : f;
	}
	if (p->s[at] == '(' && f->op == OP_EQ)
		return perr(p, at, "a list of values needs 'in', not '='");
	v = value(p, "()", &len);
	if (!v)
		return NULL;
	why = kcap__add_val(f, v, len);
	free(v);
	if (why)
		return perr(p, at, "%s %s", f->lhs.ref.name, why);
	return f;
}

static struct kfilter *parse_check(struct parser *p, struct kfilter *f)
{
	size_t at;
	const char *why;
	int op;

	skip_ws(p);
	at = p->pos;
	op = parse_op(p, f);
	if (op < 0)
		return NULL;
	f->op = (enum op)op;
	if ((why = kcap__op_check(f)))
		return perr(p, at, "%s %s: %s", f->lhs.ref.name, kcap__op_name(f->op), why);
	if (f->op == OP_EXISTS)
		return f;
	if (f->op == OP_IN || f->op == OP_INTERSECTS || f->op == OP_PMATCH)
		return parse_list(p, f);
	return parse_right(p, f);
}

static struct kfilter *parse_or(struct parser *p);

static bool looks_like_field(const char *s, size_t n)
{
	static const char *const classes[] = {"evt.",	"proc.",   "user.",
					      "group.", "fd.",	   "container.",
					      "k8s.",	"thread.", "spawned_process."};
	size_t i;

	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (n > strlen(classes[i]) && !strncmp(s, classes[i], strlen(classes[i])))
			return true;
	return false;
}

/* A check whose operand starts at @at. */
static struct kfilter *check_at(struct parser *p, size_t at)
{
	struct kfilter *f = node(N_CMP), *kid;

	if (!f)
		return perr(p, at, "out of memory");
	p->pos = at;
	kid = parse_operand(p, &f->lhs, 0) ? parse_check(p, f) : NULL;
	if (!kid)
		kcap__filter_free(f);
	else
		kcap__cmp_prepare(kid);
	return kid;
}

/* A word that is neither a field nor a transformer: a macro. */
static struct kfilter *macro_at(struct parser *p, size_t at, size_t n)
{
	const char *merr = NULL;
	struct kfilter *kid;

	if (p->env && p->env->macro) {
		kid = p->env->macro(p->env->ctx, p->s + at, n, &merr);
		if (kid) {
			p->pos = at + n;
			return kid;
		}
		if (merr)
			return perr(p, at, "%s", merr);
	}
	if (looks_like_field(p->s + at, n))
		return perr(p, at, "unknown field '%.*s'", (int)n, p->s + at);
	return perr(p, at, "undefined macro '%.*s'", (int)n, p->s + at);
}

static struct kfilter *parse_unary(struct parser *p);

static struct kfilter *parse_group(struct parser *p, size_t at, bool negate)
{
	struct kfilter *f, *kid;

	if (negate) {
		kid = parse_unary(p);
		if (!kid)
			return NULL;
		f = node(N_NOT);
		if (!f || !add_kid(f, kid))
			return perr(p, at, "out of memory");
		return f;
	}
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
	return f;
}

static struct kfilter *parse_unary(struct parser *p)
{
	struct kfieldref ref = {.arg = NULL};
	struct kfilter *f;
	const char *why = NULL;
	size_t at, n, used;

	skip_ws(p);
	at = p->pos;
	if (++p->depth > 200)
		return perr(p, at, "condition nested too deeply");
	if (keyword(p, "not") || p->s[at] == '(') {
		f = parse_group(p, at, p->pos != at);
		p->depth--;
		return f;
	}
	if (!p->s[at])
		return perr(p, at, "unexpected end of condition");
	if (!word_char(p->s[at]))
		return perr(p, at, "unexpected '%c'", p->s[at]);
	p->depth--;
	n = word_len(p->s + at);
	if (call_paren(p, at, n))
		return check_at(p, at);
	used = kcap__field_parse(p->s + at, &ref, &why);
	free(ref.arg);
	if (used)
		return check_at(p, at);
	if (why)
		return perr(p, at, "field %.*s: %s", (int)n, p->s + at, why);
	return macro_at(p, at, n);
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
	struct parser p = {.s = text, .env = env, .err = err, .errlen = errlen};
	struct kfilter *f = parse_or(&p);

	if (f) {
		skip_ws(&p);
		if (p.s[p.pos]) {
			kcap__filter_free(f);
			f = perr(&p, p.pos,
				 p.s[p.pos] == ')' ? "unbalanced ')'"
						   : "expected 'and', 'or' or the end");
		}
	}
	if (!f && !p.failed)
		perr(&p, p.pos, "out of memory");
	if (err_off)
		*err_off = p.err_pos;
	return f;
}

/* ---- Rule prefilter ------------------------------------------------------------- */

/* The shared nodes of @f's conjunction: the kids of its "and", and of the
 * "and"s of its own among them. */
static void guards(const struct kfilter *f, const struct kmemo **g, unsigned int *n)
{
	size_t i;

	for (i = 0; i < f->nkids && *n < KCAP_GUARDS; i++) {
		const struct kfilter *k = f->kids[i];

		if (k->refs > 1)
			g[(*n)++] = &k->memo;
		else if (k->kind == N_AND)
			guards(k, g, n);
	}
}

unsigned int kcap__filter_guards(const struct kfilter *f, const struct kmemo **g)
{
	unsigned int n = 0;

	if (f->kind == N_AND)
		guards(f, g, &n);
	return n;
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
	/* an ia32 call x86_64 has not (socketcall): key 0 */
	if (nr < 0 && kcap_syscall_nr(name, KCAP_SC_IA32) >= 0)
		set_key(ts, 0);
	/* a number no table names: key 0 past the keys, else its own */
	if (!strcmp(name, "syscall")) {
		set_key(ts, 0);
		for (t = 0; t < KEVT_KEYS - 256; t++)
			if (!kcap_syscall_name(t, KCAP_SC_X86_64))
				set_key(ts, 256 + t);
	}
}

static void types_of(const struct kfilter *f, struct ktypeset *ts);

/* Macros used many times are shared nodes: their set is computed once, or
 * a macro using the previous one twice, 24 deep, would be walked 2^24 times. */
void kcap__filter_types(struct kfilter *f, struct ktypeset *ts)
{
	if (f->types) {
		*ts = *f->types;
		return;
	}
	types_of(f, ts);
	if (f->refs > 1) {
		f->types = malloc(sizeof(*f->types));
		if (f->types)
			*f->types = *ts;
	}
}

static void types_of(const struct kfilter *f, struct ktypeset *ts)
{
	struct ktypeset k;
	size_t i, j;

	memset(ts, 0, sizeof(*ts));
	ts->all = true;
	switch (f->kind) {
	case N_CMP:
		if (f->lhs.ref.id != F_EVT_TYPE || f->lhs.nxf || f->rhs ||
		    (f->op != OP_EQ && f->op != OP_IN && f->op != OP_INTERSECTS))
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
