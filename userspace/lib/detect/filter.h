// SPDX-License-Identifier: Apache-2.0
/*
 * Private to filter.c (the parser and the tree) and filter_cmp.c (values,
 * transformers and comparisons): one compiled condition.
 */
#ifndef KCAP_FILTER_H
#define KCAP_FILTER_H

#include <regex.h>

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
	OP_INTERSECTS,
	OP_CONTAINS,
	OP_ICONTAINS,
	OP_BCONTAINS,
	OP_STARTSWITH,
	OP_BSTARTSWITH,
	OP_ENDSWITH,
	OP_GLOB,
	OP_IGLOB,
	OP_PMATCH,
	OP_REGEX,
	OP_EXISTS,
};

/* Field transformers, applied innermost first: tolower(basename(fd.name)). */
enum xform { XF_TOLOWER = 1, XF_TOUPPER, XF_B64, XF_BASENAME, XF_LEN };
#define MAX_XF 8

/* A field with its transformers: a check's left side, or val(...) on the right. */
struct koperand {
	struct kfieldref ref;
	unsigned char xf[MAX_XF];
	unsigned int nxf;
};

/* One value on the right of a check, converted once for the left side's type. */
struct cval {
	char *s; /* the text (bytes for bcontains/bstartswith) */
	size_t len;
	__s64 n;
	bool is_num;
	bool is_ip;  /* an address or a network for an IP field */
	__u8 family; /* 4 or 6 */
	__u8 bits;   /* prefix length */
	__u8 addr[16];
	regex_t *re; /* regex: compiled, anchored at both ends */
};

/*
 * A condition as a program (filter_eval.c): its checks in order, each with
 * where to go when it is true and when it is false, so that evaluating
 * "a and (b or not c)" visits the checks only, not the and/or/not nodes
 * above them. A shared node (a macro) is one step of its users' programs
 * and has its own.
 */
enum kstep_kind { KS_CHECK, KS_SHARED, KS_TRUE, KS_FALSE };
#define KS_END_TRUE 0xfffffffeu
#define KS_END_FALSE 0xffffffffu

struct kstep {
	struct kfilter *node;
	enum kstep_kind kind;
	unsigned int on_true, on_false; /* next step, or KS_END_* */
};

struct kfilter {
	unsigned int refs;
	enum nkind kind;
	struct kfilter **kids;
	size_t nkids;
	struct koperand lhs;
	enum op op;
	struct cval *vals;
	size_t nvals;
	bool sorted;		/* vals sorted by (len, bytes): in/intersects on text */
	bool simple;		/* one value, no transformer, no val(): kcap__cmp_prepare() */
	bool eq_text;		/* ... and =, !=, in or intersects on text */
	bool num1;		/* ... and = != < <= > >= on a number, one value */
	__u64 lens;		/* eq_text: bit min(len, 63) of each value's length */
	bool str1;		/* ... and (b)startswith, endswith, (b)contains one text */
	/* evt.type =, != or in: the event keys (kcap__evt_key()) whose name is
	 * one of the values, tested instead when the key names the event
	 * (kcap__evctx_key_exact()); NULL for other checks */
	__u64 *tkeys;
	struct koperand *rhs;	/* val(field): compared with another field */
	struct ktypeset *types; /* kcap__filter_types() of a shared node, once */
	struct kmemo memo; /* a shared node's result for the event */
	struct kstep *prog; /* kcap__filter_prepare(): a root or a shared node */
	unsigned int nprog;
};

/* The operator named @w, -1 if none. */
KCAP_HIDDEN int kcap__op_parse(const char *w, size_t n);
KCAP_HIDDEN const char *kcap__op_name(enum op op);
/* The transformer named @w, 0 if none. */
KCAP_HIDDEN int kcap__xf_parse(const char *w, size_t n);
/* The type of an operand after its transformers. */
KCAP_HIDDEN enum kcap_field_type kcap__operand_type(const struct koperand *o);
/* Whether @op applies to @o (NULL) or the reason it does not. */
KCAP_HIDDEN const char *kcap__op_check(const struct kfilter *f);
/* Adds value @s (@len bytes) to check @f, converted; NULL or why not. */
KCAP_HIDDEN const char *kcap__add_val(struct kfilter *f, const char *s, size_t len);
KCAP_HIDDEN void kcap__cval_free(struct cval *v);
/* After the list of an in/intersects check on text: sorts it for binary
 * search (Falco's lists have hundreds of items). */
KCAP_HIDDEN void kcap__sort_vals(struct kfilter *f);
/* After a check is complete: notes which evaluation it can take. */
KCAP_HIDDEN void kcap__cmp_prepare(struct kfilter *f);
/* Is text @x one of @f's values (=, !=: equal to the value)? A sorted
 * list is searched. */
KCAP_HIDDEN bool kcap__eq_text(const struct kfilter *f, const struct kval *x);
/* A str1 check: does text @x start with, end with, contain the value? */
KCAP_HIDDEN bool kcap__cmp_str1(const struct kfilter *f, const struct kval *x);
/* A simple check with another operator (globs and regexes need a buffer). */
KCAP_HIDDEN bool kcap__any_literal(const struct kfilter *f, const struct kval *x);
/* A check with transformers, val(), exists, a field of several values. */
KCAP_HIDDEN bool kcap__eval_general(const struct kfilter *f, struct kevctx *c);

/* cmp_one() of a number with one number. */
static inline bool kcap__cmp_num(enum op op, __s64 x, __s64 n)
{
	switch (op) {
	case OP_LT:
		return x < n;
	case OP_LE:
		return x <= n;
	case OP_GT:
		return x > n;
	case OP_GE:
		return x >= n;
	default: /* OP_EQ, OP_NE: equal */
		return x == n;
	}
}

/* Is check @f true for the event of @c? Inline: the evaluator's steps are
 * mostly checks of one field against literal values. */
static inline bool kcap__eval_cmp(const struct kfilter *f, struct kevctx *c)
{
	struct kval x;
	bool any;

	if (!f->simple)
		return kcap__eval_general(f, c);
	if (f->tkeys && (c->key_state == 2 ? c->key_exact : kcap__evctx_key_exact(c))) {
		any = (f->tkeys[c->key / 64] >> (c->key % 64)) & 1;
		return f->op == OP_NE ? !any : any;
	}
	if (!kcap__field_value(c, &f->lhs.ref, &x))
		return false; /* a missing field matches nothing, != included */
	if (f->num1 && (x.type == KCAP_FT_INT || x.type == KCAP_FT_BOOL))
		any = kcap__cmp_num(f->op, x.n, f->vals[0].n);
	else if (f->eq_text && x.type == KCAP_FT_STR)
		any = (f->lens & (1ULL << (x.len < 63 ? x.len : 63))) && kcap__eq_text(f, &x);
	else if (f->str1 && x.type == KCAP_FT_STR)
		any = kcap__cmp_str1(f, &x);
	else
		any = kcap__any_literal(f, &x);
	return f->op == OP_NE ? !any : any;
}

#endif /* KCAP_FILTER_H */
