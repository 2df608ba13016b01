// SPDX-License-Identifier: Apache-2.0
/*
 * The rule set as loaded (rules_yaml.c fills it, rules.c compiles and
 * evaluates it). Private to libkcap.
 */
#ifndef KCAP_RULES_INTERNAL_H
#define KCAP_RULES_INTERNAL_H

#include "detect/detect.h"

/* Where a scalar starts in a loaded file, to turn offsets into line:col. */
struct kloc {
	const char *file; /* name, owned by kcap_rules.files */
	const char *text; /* the file's text */
	size_t index; /* byte offset of the scalar's first character */
	unsigned int line; /* 1-based */
	unsigned int col;
	int style; /* yaml_scalar_style_t */
};

/* A condition, possibly made of appended pieces from several places. */
struct kcond {
	char *text;
	size_t npieces;
	struct kcpiece {
		size_t start; /* offset in text */
		struct kloc loc;
	} *pieces;
};

struct klist {
	char *name;
	char **items;
	size_t n;
	char **expanded; /* items with list names replaced, at compile time */
	size_t nexpanded;
	bool expanding;
	struct kloc loc;
};

struct kmacro {
	char *name;
	struct kcond cond;
	struct kfilter *f;
	int state; /* 0 not compiled, 1 compiling, 2 compiled */
	struct kloc loc;
};

struct kexception {
	char *name;
	char **fields;
	size_t nfields;
	bool single; /* fields: was a scalar */
	char **comps;
	size_t ncomps;
	/* values[row][col] is a list of strings (a scalar is a list of one) */
	struct kexrow {
		size_t ncols;
		struct kexcol {
			char **v;
			size_t n;
		} *cols;
	} *rows;
	size_t nrows;
	struct kloc loc;
};

struct koutseg {
	char *text; /* literal */
	struct kfieldref ref; /* when has_field */
	bool has_field;
	bool unknown; /* an unknown field: rendered <NA> */
	char *field_name;
};

struct krule {
	char *name;
	char *desc;
	struct kcond cond;
	char *output;
	struct kloc output_loc;
	int priority;
	bool quiet_evttypes; /* warn_evttypes: false */
	bool skip_unknown; /* skip-if-unknown-filter: true */
	bool skipped; /* ... and its condition named an unknown field */
	char **tags;
	size_t ntags;
	bool enabled;
	struct kexception *exc;
	size_t nexc;
	struct kloc loc;
	/* compiled */
	struct kfilter *f;
	const struct kmemo *guards[KCAP_GUARDS]; /* kcap__filter_guards(f) */
	unsigned int nguards;
	struct koutseg *segs;
	size_t nsegs;
	/* the alert's output fields: evt.time (frefs[0] NULL: the wall
	 * clock in ns), then each field the output names, once */
	const char **fnames;
	const struct kfieldref **frefs;
	enum kcap_field_type *ftypes;
	unsigned char *fnumeric; /* KCAP_FT_INT or KCAP_FT_BOOL */
	size_t nfields;
};

/* Names to positions in lists, macros or rules: open addressing, i + 1 per
 * slot (0 empty), so that a file of 50,000 rules loads in linear time. */
struct knames {
	unsigned int *slot;
	size_t cap; /* a power of two, or 0 */
	size_t n;
};

enum kr_kind { KR_LIST, KR_MACRO, KR_RULE };

struct kcap_rules {
	struct knames names[3]; /* by enum kr_kind */
	struct klist *lists;
	size_t nlists, lists_cap;
	struct kmacro *macros;
	size_t nmacros, macros_cap;
	struct krule *rules;
	size_t nrules, rules_cap;
	struct kfile {
		char *name;
		char *text;
	} *files;
	size_t nfiles;
	/* every error of the loads and of the last compile, one per line */
	char *errtext;
	size_t errlen;
	size_t nerrors;
	size_t load_errlen; /* what the loads wrote, kept across compiles */
	size_t nload_errors;
	bool inner_err; /* a macro's error is already reported */
	bool compiling; /* errors now are the compile's */
	char **warnings;
	size_t nwarnings;
	bool compiled;
	unsigned int macro_depth; /* macros being compiled, one inside the other */
	int min_priority;
	/* index: candidate rules per event key, in file order */
	struct kidx {
		unsigned int *v;
		unsigned int n;
		unsigned int cap;
	} idx[KEVT_KEYS];
	bool idx_all; /* some rule names no event type: in every idx[] */
	__u64 nevents;
	struct kevctx *ctx;
	char *out;
	size_t outcap;
	char **vals;
	size_t valscap;
};

/* Adds an error ("FILE:LINE:COL: what" with @loc); returns -EINVAL. */
KCAP_HIDDEN int kr_err(struct kcap_rules *r, const struct kloc *loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Drops the errors of the last compile, keeping the loads' ones. */
KCAP_HIDDEN void kr_errors_reset_compile(struct kcap_rules *r);
KCAP_HIDDEN void kr_warn(struct kcap_rules *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
KCAP_HIDDEN void kr_loc_at(const struct kloc *loc, const char *value, size_t off,
			   unsigned int *line, unsigned int *col);
KCAP_HIDDEN int kr_cond_append(struct kcond *c, const char *text, const struct kloc *loc);
KCAP_HIDDEN void kr_cond_free(struct kcond *c);
KCAP_HIDDEN void kr_exception_free(struct kexception *e);
KCAP_HIDDEN void kr_rule_free(struct krule *ru);
KCAP_HIDDEN void kr_uncompile(struct kcap_rules *r);
KCAP_HIDDEN struct klist *kr_find_list(struct kcap_rules *r, const char *name, size_t len);
KCAP_HIDDEN struct kmacro *kr_find_macro(struct kcap_rules *r, const char *name, size_t len);
KCAP_HIDDEN struct krule *kr_find_rule(struct kcap_rules *r, const char *name);
/* Room for one more of @n items of @size in *@v (capacity doubling). */
KCAP_HIDDEN int kr_grow(void **v, size_t *cap, size_t n, size_t size);
/* Indexes item @i of @kind (appended last) by its name; 0 or -ENOMEM. */
KCAP_HIDDEN int kr_index_add(struct kcap_rules *r, enum kr_kind kind, size_t i);

/* rules_yaml.c: parse one YAML document into @r (file text kept in r->files). */
KCAP_HIDDEN int kr_load_yaml(struct kcap_rules *r, const char *name, const char *text,
			     size_t len);

#endif /* KCAP_RULES_INTERNAL_H */
