// SPDX-License-Identifier: Apache-2.0
/*
 * One check of a condition: the operators and transformers of Falco's
 * filter language, values converted once for the field they are compared
 * with, and the comparison per event.
 *
 * regex uses POSIX extended expressions (regcomp), anchored at both ends:
 * Falco's regex is RE2 in POSIX mode (egrep syntax, no backreferences) with
 * a full match, which ERE with ^( )$ gives without another library.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"

static const struct {
	const char *word;
	enum op op;
} ops[] = {
    {"==", OP_EQ},
    {"!=", OP_NE},
    {"<=", OP_LE},
    {">=", OP_GE},
    {"=", OP_EQ},
    {"<", OP_LT},
    {">", OP_GT},
    {"in", OP_IN},
    {"intersects", OP_INTERSECTS},
    {"contains", OP_CONTAINS},
    {"icontains", OP_ICONTAINS},
    {"bcontains", OP_BCONTAINS},
    {"startswith", OP_STARTSWITH},
    {"bstartswith", OP_BSTARTSWITH},
    {"endswith", OP_ENDSWITH},
    {"glob", OP_GLOB},
    {"iglob", OP_IGLOB},
    {"pmatch", OP_PMATCH},
    {"regex", OP_REGEX},
    {"exists", OP_EXISTS},
};

static const char *const xforms[] = {NULL, "tolower", "toupper", "b64", "basename", "len"};

int kcap__op_parse(const char *w, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strlen(ops[i].word) == n && !strncmp(ops[i].word, w, n))
			return (int)ops[i].op;
	return -1;
}

const char *kcap__op_name(enum op op)
{
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (ops[i].op == op)
			return ops[i].word;
	return "?";
}

int kcap__xf_parse(const char *w, size_t n)
{
	size_t i;

	for (i = 1; i < sizeof(xforms) / sizeof(xforms[0]); i++)
		if (strlen(xforms[i]) == n && !strncmp(xforms[i], w, n))
			return (int)i;
	return 0;
}

enum kcap_field_type kcap__operand_type(const struct koperand *o)
{
	if (o->nxf && o->xf[o->nxf - 1] == XF_LEN)
		return KCAP_FT_INT;
	return o->ref.type;
}

const char *kcap__op_check(const struct kfilter *f)
{
	enum kcap_field_type t = kcap__operand_type(&f->lhs);
	bool num = t == KCAP_FT_INT || t == KCAP_FT_BOOL;

	if (num && f->op != OP_EQ && f->op != OP_NE && f->op != OP_LT && f->op != OP_LE &&
	    f->op != OP_GT && f->op != OP_GE && f->op != OP_IN && f->op != OP_INTERSECTS &&
	    f->op != OP_EXISTS)
		return "a string operator on a number";
	if (f->rhs) {
		enum kcap_field_type r = kcap__operand_type(f->rhs);

		if (f->op == OP_REGEX || f->op == OP_BCONTAINS || f->op == OP_BSTARTSWITH)
			return "needs a literal value, not val()";
		if (num != (r == KCAP_FT_INT || r == KCAP_FT_BOOL))
			return "compares a number with a string";
	}
	return NULL;
}

void kcap__cval_free(struct cval *v)
{
	free(v->s);
	if (v->re) {
		regfree(v->re);
		free(v->re);
	}
}

/* "CAFEBABE" into bytes; false if not an even number of hex digits. */
static bool unhex(struct cval *v)
{
	size_t i;

	if (v->len % 2)
		return false;
	for (i = 0; i < v->len; i += 2) {
		char pair[3] = {v->s[i], v->s[i + 1], '\0'}, *end;

		if (!isxdigit((unsigned char)pair[0]) || !isxdigit((unsigned char)pair[1]))
			return false;
		v->s[i / 2] = (char)strtoul(pair, &end, 16);
	}
	v->len /= 2;
	return true;
}

/* "10.0.0.0/8", "::1", "192.168.1.1" */
static bool parse_net(const char *s, __u8 *family, __u8 *addr, __u8 *bits)
{
	char tmp[64], *slash, *end;
	long b;

	if (strlen(s) >= sizeof(tmp))
		return false;
	strcpy(tmp, s);
	slash = strchr(tmp, '/');
	if (slash)
		*slash = '\0';
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, tmp, addr) == 1)
		*family = 4;
	else if (inet_pton(AF_INET6, tmp, addr) == 1)
		*family = 6;
	else
		return false;
	*bits = *family == 4 ? 32 : 128;
	if (!slash)
		return true;
	b = strtol(slash + 1, &end, 10);
	if (end == slash + 1 || *end || b < 0 || b > *bits)
		return false;
	*bits = (__u8)b;
	return true;
}

static const char *compile_regex(struct cval *v)
{
	static char msg[160];
	char *pat;
	int err;

	v->re = calloc(1, sizeof(*v->re));
	if (!v->re || asprintf(&pat, "^(%s)$", v->s) < 0) {
		free(v->re);
		v->re = NULL;
		return "out of memory";
	}
	err = regcomp(v->re, pat, REG_EXTENDED | REG_NOSUB);
	free(pat);
	if (!err)
		return NULL;
	snprintf(msg, sizeof(msg), "is not a valid regular expression: ");
	regerror(err, v->re, msg + strlen(msg), sizeof(msg) - strlen(msg));
	free(v->re);
	v->re = NULL;
	return msg;
}

static const char *convert(const struct kfilter *f, struct cval *v)
{
	enum kcap_field_type t = kcap__operand_type(&f->lhs);
	char *end;

	errno = 0;
	v->n = strtoll(v->s, &end, 0);
	v->is_num = v->len && !*end && !errno;
	if (f->op == OP_BCONTAINS || f->op == OP_BSTARTSWITH)
		return unhex(v) ? NULL : "expects hexadecimal bytes";
	if (f->op == OP_REGEX)
		return compile_regex(v);
	if (t == KCAP_FT_BOOL) {
		if (!strcmp(v->s, "true") || !strcmp(v->s, "false"))
			v->n = !strcmp(v->s, "true");
		else if (!v->is_num)
			return "expects true or false";
		v->is_num = true;
	} else if (t == KCAP_FT_INT && !v->is_num) {
		return "expects a number";
	} else if (t == KCAP_FT_IP &&
		   (f->op == OP_EQ || f->op == OP_NE || f->op == OP_IN || f->op == OP_INTERSECTS)) {
		if (!parse_net(v->s, &v->family, v->addr, &v->bits))
			return "expects an IP address or network";
		v->is_ip = true;
	}
	return NULL;
}

const char *kcap__add_val(struct kfilter *f, const char *s, size_t len)
{
	struct cval *v;
	const char *why;
	void *p;

	p = realloc(f->vals, (f->nvals + 1) * sizeof(*f->vals));
	if (!p)
		return "out of memory";
	f->vals = p;
	v = &f->vals[f->nvals];
	memset(v, 0, sizeof(*v));
	v->s = strndup(s, len);
	if (!v->s)
		return "out of memory";
	v->len = len;
	why = convert(f, v);
	if (why) {
		kcap__cval_free(v);
		return why;
	}
	f->nvals++;
	return NULL;
}

/* ---- Transformers ------------------------------------------------------------------ */

static int b64_digit(unsigned char c)
{
	const char *set = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(set, c) : NULL;

	return p ? (int)(p - set) : -1;
}

/* Base64 in @buf decoded in place (the output is never longer). */
static bool b64_decode(char *buf, size_t *len)
{
	size_t i, out = 0, n = *len;
	unsigned int acc = 0, bits = 0;

	while (n && buf[n - 1] == '=')
		n--;
	if (*len % 4 || *len - n > 2)
		return false;
	for (i = 0; i < n; i++) {
		int d = b64_digit((unsigned char)buf[i]);

		if (d < 0)
			return false;
		acc = (acc << 6) | (unsigned int)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[out++] = (char)((acc >> bits) & 0xff);
		}
	}
	*len = out;
	return true;
}

/* @v transformed by @o's transformers, in @buf when they change it. */
static bool transform(const struct koperand *o, struct kval *v, char *buf, size_t buflen)
{
	unsigned int i;
	size_t k;

	for (i = 0; i < o->nxf; i++) {
		const char *slash;

		if (o->xf[i] == XF_LEN) {
			v->n = (__s64)v->len;
			v->type = KCAP_FT_INT;
			return true;
		}
		if (o->xf[i] == XF_BASENAME) {
			slash = memrchr(v->s, '/', v->len);
			if (slash) {
				v->len -= (size_t)(slash + 1 - v->s);
				v->s = slash + 1;
			}
			continue;
		}
		if (v->s != buf) {
			v->len = v->len < buflen ? v->len : buflen - 1;
			memmove(buf, v->s, v->len);
			v->s = buf;
		}
		if (o->xf[i] == XF_B64 && !b64_decode(buf, &v->len))
			return false;
		for (k = 0; o->xf[i] != XF_B64 && k < v->len; k++)
			buf[k] = (char)(o->xf[i] == XF_TOLOWER ? tolower((unsigned char)buf[k])
							       : toupper((unsigned char)buf[k]));
	}
	return true;
}

static bool operand_get(struct kevctx *c, const struct koperand *o, unsigned int nth,
			struct kval *v, char *buf, size_t buflen)
{
	return kcap__field_get(c, &o->ref, nth, v) && transform(o, v, buf, buflen);
}

/* ---- Comparisons -------------------------------------------------------------------- */

/* memmem() for the short needles of rules ("/.ssh/", "id_rsa") in short
 * haystacks (paths, command lines): its setup costs more than the search. */
static bool contains(const char *h, size_t hl, const char *n, size_t nl)
{
	const char *p = h, *end = h + hl;

	if (!nl)
		return true;
	while (nl <= (size_t)(end - p)) {
		p = memchr(p, n[0], (size_t)(end - p) - nl + 1);
		if (!p)
			return false;
		if (!memcmp(p + 1, n + 1, nl - 1))
			return true;
		p++;
	}
	return false;
}

static bool icontains(const char *h, size_t hl, const char *n, size_t nl)
{
	size_t i, j;

	for (i = 0; i + nl <= hl; i++) {
		for (j = 0;
		     j < nl && tolower((unsigned char)h[i + j]) == tolower((unsigned char)n[j]);
		     j++)
			;
		if (j == nl)
			return true;
	}
	return false;
}

/* One path component of @pat against one of @s (a glob when it has one). */
static bool comp_match(const char *pat, size_t pl, const char *s, size_t sl)
{
	char p[256], t[256];

	if (!memchr(pat, '*', pl) && !memchr(pat, '?', pl) && !memchr(pat, '[', pl))
		return pl == sl && !memcmp(pat, s, pl);
	if (pl >= sizeof(p) || sl >= sizeof(t))
		return false;
	memcpy(p, pat, pl);
	p[pl] = '\0';
	memcpy(t, s, sl);
	t[sl] = '\0';
	return !fnmatch(p, t, 0);
}

/* Is @v a path prefix of @s, component by component? */
static bool pmatch(const char *s, size_t len, const struct cval *v)
{
	const char *p = v->s, *pend = v->s + v->len, *q = s, *qend = s + len;

	for (;;) {
		const char *pc, *qc;

		while (p < pend && *p == '/')
			p++;
		while (q < qend && *q == '/')
			q++;
		if (p == pend)
			return true;
		if (q == qend)
			return false;
		pc = memchr(p, '/', (size_t)(pend - p)) ?: pend;
		qc = memchr(q, '/', (size_t)(qend - q)) ?: qend;
		if (!comp_match(p, (size_t)(pc - p), q, (size_t)(qc - q)))
			return false;
		p = pc;
		q = qc;
	}
}

/*
 * A plain dotted IPv4 address ("127.0.0.1", the state's socket ends) of
 * @n bytes of @s into @addr; false for anything else (parse_net() then
 * decides), so "01.2.3.4" and "1.2.3" go the long way. Accepts what
 * inet_pton(AF_INET) accepts (the unit test's oracle), a part at a time.
 */
bool kcap__ip4_fast(const char *s, size_t n, __u8 *addr)
{
	const char *e = s + n;
	unsigned int part = 0, v, d;

	if (n < 7 || n > 15)
		return false;
	for (;;) {
		if (s == e || (d = (unsigned int)(unsigned char)*s - '0') > 9)
			return false;
		v = d;
		s++;
		if (s < e && (d = (unsigned int)(unsigned char)*s - '0') <= 9) {
			if (!v)
				return false; /* a leading zero */
			v = v * 10 + d;
			s++;
			if (s < e && (d = (unsigned int)(unsigned char)*s - '0') <= 9) {
				v = v * 10 + d;
				s++;
				if (v > 255)
					return false;
			}
		}
		addr[part++] = (__u8)v;
		if (part == 4)
			return s == e;
		if (s == e || *s != '.')
			return false;
		s++;
	}
}

/* The address (and prefix length) text @x holds; false if none. */
static bool val_net(const struct kval *x, __u8 *fam, __u8 *addr, __u8 *bits)
{
	char tmp[64];

	if (kcap__ip4_fast(x->s, x->len, addr)) {
		*fam = 4;
		*bits = 32;
		return true;
	}
	if (x->len >= sizeof(tmp))
		return false;
	memcpy(tmp, x->s, x->len);
	tmp[x->len] = '\0';
	return parse_net(tmp, fam, addr, bits);
}

/* Is address @addr of family @fam inside network @v? */
static bool net_has(__u8 fam, const __u8 *addr, const struct cval *v)
{
	__u8 full, rest;

	if (fam != v->family)
		return false;
	full = v->bits / 8;
	rest = v->bits % 8;
	if (memcmp(addr, v->addr, full))
		return false;
	return !rest || !((addr[full] ^ v->addr[full]) & (0xff << (8 - rest)));
}

static bool ip_in(const struct kval *x, const struct cval *v)
{
	__u8 addr[16] = {0}, fam, bits;

	return val_net(x, &fam, addr, &bits) && net_has(fam, addr, v);
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

/* A NUL-terminated copy of @x for fnmatch() and regexec(). */
static const char *cstr(const struct kval *x, char *tmp, size_t len)
{
	if (x->len >= len || memchr(x->s, '\0', x->len))
		return NULL;
	memcpy(tmp, x->s, x->len);
	tmp[x->len] = '\0';
	return tmp;
}

static bool cmp_str(enum op op, const struct kval *x, const struct cval *v, char *tmp,
		    size_t tmplen)
{
	const char *z;

	switch (op) {
	case OP_CONTAINS:
	case OP_BCONTAINS:
		return contains(x->s, x->len, v->s, v->len);
	case OP_ICONTAINS:
		return icontains(x->s, x->len, v->s, v->len);
	case OP_STARTSWITH:
	case OP_BSTARTSWITH:
		return x->len >= v->len && !memcmp(x->s, v->s, v->len);
	case OP_ENDSWITH:
		return x->len >= v->len && !memcmp(x->s + x->len - v->len, v->s, v->len);
	case OP_GLOB:
	case OP_IGLOB:
		z = cstr(x, tmp, tmplen);
		return z && !fnmatch(v->s, z, op == OP_IGLOB ? FNM_CASEFOLD : 0);
	case OP_PMATCH:
		return pmatch(x->s, x->len, v);
	case OP_REGEX:
		z = cstr(x, tmp, tmplen);
		return z && v->re && !regexec(v->re, z, 0, NULL, 0);
	default:
		return false;
	}
}

/* Does value @x satisfy the check against value @v? (OP_NE: equal) */
static bool cmp_one(enum op op, const struct kval *x, const struct cval *v, char *tmp,
		    size_t tmplen)
{
	bool num = x->type == KCAP_FT_INT || x->type == KCAP_FT_BOOL;

	switch (op) {
	case OP_EQ:
	case OP_NE:
	case OP_IN:
	case OP_INTERSECTS:
		if (v->is_ip)
			return ip_in(x, v);
		return num ? x->n == v->n : x->len == v->len && !memcmp(x->s, v->s, v->len);
	case OP_LT:
		return order(x, v) < 0;
	case OP_LE:
		return order(x, v) <= 0;
	case OP_GT:
		return order(x, v) > 0;
	case OP_GE:
		return order(x, v) >= 0;
	case OP_EXISTS:
		return true;
	default:
		return !num && cmp_str(op, x, v, tmp, tmplen);
	}
}

/* The right side of a val() check as a value. */
static bool rhs_value(const struct kfilter *f, struct kevctx *c, struct cval *v, char *buf,
		      size_t buflen)
{
	struct kval y;

	if (!operand_get(c, f->rhs, 0, &y, buf, buflen))
		return false;
	memset(v, 0, sizeof(*v));
	v->s = (char *)y.s;
	v->len = y.len;
	v->n = y.n;
	v->is_num = y.type == KCAP_FT_INT || y.type == KCAP_FT_BOOL;
	return true;
}

static int val_cmp(const void *a, const void *b)
{
	const struct cval *x = a, *y = b;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->s, y->s, x->len);
}

void kcap__sort_vals(struct kfilter *f)
{
	enum kcap_field_type t = kcap__operand_type(&f->lhs);
	size_t i;

	if ((f->op != OP_IN && f->op != OP_INTERSECTS) || t != KCAP_FT_STR || f->nvals < 8)
		return;
	for (i = 0; i < f->nvals; i++)
		if (f->vals[i].is_ip || f->vals[i].re)
			return;
	qsort(f->vals, f->nvals, sizeof(*f->vals), val_cmp);
	f->sorted = true;
}

/* Is text @x one of the sorted values? */
static bool in_sorted(const struct kfilter *f, const struct kval *x)
{
	size_t lo = 0, hi = f->nvals;
	struct cval key = { .s = (char *)x->s, .len = x->len };

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = val_cmp(&f->vals[mid], &key);

		if (!c)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* Is text @x equal to one of the values? */
bool kcap__eq_text(const struct kfilter *f, const struct kval *x)
{
	__u8 addr[16] = {0}, fam, bits;
	int net = 0; /* @x as an address: 0 not parsed yet, 1 parsed, -1 none */
	size_t i;

	if (f->sorted)
		return in_sorted(f, x);
	for (i = 0; i < f->nvals; i++) {
		const struct cval *v = &f->vals[i];

		if (v->is_ip) {
			/* parsed once for all the networks of the list */
			if (!net)
				net = val_net(x, &fam, addr, &bits) ? 1 : -1;
			if (net > 0 && net_has(fam, addr, v))
				return true;
		} else if (v->len == x->len && (!v->len || v->s[0] == x->s[0]) &&
			   !memcmp(x->s, v->s, v->len)) {
			return true;
		}
	}
	return false;
}

static bool any_val(const struct kfilter *f, const struct kval *x, const struct cval *rv, char *tmp,
		    size_t tmplen)
{
	size_t i;

	if (rv)
		return cmp_one(f->op, x, rv, tmp, tmplen);
	if (f->sorted && x->type == KCAP_FT_STR)
		return in_sorted(f, x);
	if ((f->op == OP_EQ || f->op == OP_NE || f->op == OP_IN || f->op == OP_INTERSECTS) &&
	    x->type != KCAP_FT_INT && x->type != KCAP_FT_BOOL)
		return kcap__eq_text(f, x);
	for (i = 0; i < f->nvals; i++)
		if (cmp_one(f->op, x, &f->vals[i], tmp, tmplen))
			return true;
	return false;
}

void kcap__cmp_prepare(struct kfilter *f)
{
	size_t i;

	f->simple = f->op != OP_EXISTS && !f->rhs && !f->lhs.nxf && !kcap__field_multi(&f->lhs.ref);
	f->eq_text = f->simple && kcap__operand_type(&f->lhs) == KCAP_FT_STR &&
		     (f->op == OP_EQ || f->op == OP_NE || f->op == OP_IN || f->op == OP_INTERSECTS);
	f->lens = 0;
	for (i = 0; f->eq_text && i < f->nvals; i++) {
		size_t l = f->vals[i].len < 63 ? f->vals[i].len : 63;

		f->lens |= f->vals[i].is_ip ? ~0ULL : 1ULL << l;
	}
	f->str1 = f->simple && f->nvals == 1 && kcap__operand_type(&f->lhs) == KCAP_FT_STR &&
		  (f->op == OP_STARTSWITH || f->op == OP_BSTARTSWITH || f->op == OP_ENDSWITH ||
		   f->op == OP_CONTAINS || f->op == OP_BCONTAINS);
	free(f->tkeys);
	f->tkeys = NULL;
	if (f->eq_text && f->op != OP_INTERSECTS && f->lhs.ref.id == F_EVT_TYPE &&
	    f->lhs.ref.idx < 0 && !f->lhs.ref.arg && (f->tkeys = calloc(KEVT_KEYS / 64, 8))) {
		const struct kkeyname *kn = kcap__key_names();
		unsigned int k;

		/* the keys whose name is a value, by the check's own comparison */
		for (k = 1; k < KEVT_KEYS; k++) {
			struct kval x = { .type = KCAP_FT_STR, .s = kn[k].s, .len = kn[k].len };

			if (x.s && (f->lens & (1ULL << (x.len < 63 ? x.len : 63))) && kcap__eq_text(f, &x))
				f->tkeys[k / 64] |= 1ULL << (k % 64);
		}
	}
	f->num1 = f->simple && f->nvals == 1 && !f->vals[0].is_ip &&
		  (kcap__operand_type(&f->lhs) == KCAP_FT_INT ||
		   kcap__operand_type(&f->lhs) == KCAP_FT_BOOL) &&
		  (f->op == OP_EQ || f->op == OP_NE || f->op == OP_LT || f->op == OP_LE ||
		   f->op == OP_GT || f->op == OP_GE);
}

bool kcap__cmp_str1(const struct kfilter *f, const struct kval *x)
{
	const struct cval *v = &f->vals[0];

	switch (f->op) {
	case OP_STARTSWITH:
	case OP_BSTARTSWITH:
		return x->len >= v->len && !memcmp(x->s, v->s, v->len);
	case OP_ENDSWITH:
		return x->len >= v->len && !memcmp(x->s + x->len - v->len, v->s, v->len);
	default: /* OP_CONTAINS, OP_BCONTAINS */
		return contains(x->s, x->len, v->s, v->len);
	}
}

/* A simple check with another operator: globs and regexes need a buffer. */
bool kcap__any_literal(const struct kfilter *f, const struct kval *x)
{
	char tmp[4096];

	return any_val(f, x, NULL, tmp, sizeof(tmp));
}

/* Transformers, val(), exists, fields of several values (proc.aname). */
bool kcap__eval_general(const struct kfilter *f, struct kevctx *c)
{
	char tmp[4096], lbuf[4096], rbuf[4096];
	struct cval rv;
	struct kval x;
	unsigned int nth;
	bool any = false;

	if (f->op == OP_EXISTS)
		return operand_get(c, &f->lhs, 0, &x, lbuf, sizeof(lbuf));
	if (f->rhs && !rhs_value(f, c, &rv, rbuf, sizeof(rbuf)))
		return false;
	for (nth = 0; operand_get(c, &f->lhs, nth, &x, lbuf, sizeof(lbuf)); nth++) {
		if (any_val(f, &x, f->rhs ? &rv : NULL, tmp, sizeof(tmp))) {
			any = true;
			break;
		}
	}
	if (f->op == OP_NE)
		return nth > 0 && !any; /* a missing field matches nothing */
	return any;
}
