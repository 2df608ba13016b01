// SPDX-License-Identifier: Apache-2.0
/*
 * The rule engine: lists, macros and rules compiled once (conditions and
 * exceptions into one filter tree per rule, outputs into segments), an
 * index from event type to the rules that can match it, and evaluation
 * with rendered alerts.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "rules.h"

#define MAX_RULES_FILE (16u << 20)

static const char *const prio_names[] = { "Emergency", "Alert",	 "Critical",	  "Error",
					  "Warning",   "Notice", "Informational", "Debug" };

const char *kcap_priority_name(enum kcap_priority p)
{
	return (unsigned int)p < 8 ? prio_names[p] : "Unknown";
}

int kcap_priority_parse(const char *s)
{
	int i;

	if (!s)
		return -EINVAL;
	for (i = 0; i < 8; i++)
		if (!strcasecmp(s, prio_names[i]))
			return i;
	if (!strcasecmp(s, "info"))
		return KCAP_PRIO_INFORMATIONAL;
	if (!strcasecmp(s, "warn"))
		return KCAP_PRIO_WARNING;
	return -EINVAL;
}

/* ---- Messages and locations ------------------------------------------------------- */

void kr_loc_at(const struct kloc *loc, const char *value, size_t off, unsigned int *line,
	       unsigned int *col)
{
	const char *t = loc->text, *p;
	size_t i, skip = 0, rest = 0;
	bool after = false;

	*line = loc->line;
	*col = loc->col;
	if (!t || !value)
		return;
	/* the n-th non-blank character of the value is the n-th one in the text */
	for (i = 0; value[i]; i++)
		if (value[i] != ' ' && value[i] != '\t' && value[i] != '\n')
			*(i < off ? &skip : &rest) += 1;
	if (!rest && skip) {
		/* past the last character: just after it */
		skip--;
		after = true;
	}
	p = t + loc->index;
	if (loc->style == YAML_LITERAL_SCALAR_STYLE ||
	    loc->style == YAML_FOLDED_SCALAR_STYLE)
		p += strcspn(p, "\n");
	else if (*p == '"' || *p == '\'')
		p++;
	for (;; p++) {
		if (!*p)
			return;
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			continue;
		if (!skip)
			break;
		skip--;
	}
	*line = 1;
	*col = 1;
	for (i = 0; t + i < p; i++) {
		if (t[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
	*col += after;
}

/* Errors kept in the text; more are counted in one last line. */
#define MAX_ERRORS 100

static void err_append(struct kcap_rules *r, const char *msg)
{
	size_t n = strlen(msg);
	char *p;

	if (r->nerrors++ > MAX_ERRORS)
		return;
	if (r->nerrors == MAX_ERRORS + 1)
		msg = "(more errors not shown)";
	n = strlen(msg);
	p = realloc(r->errtext, r->errlen + n + 2);
	if (!p)
		return;
	r->errtext = p;
	if (r->errlen)
		p[r->errlen++] = '\n';
	memcpy(p + r->errlen, msg, n + 1);
	r->errlen += n;
}

int kr_err(struct kcap_rules *r, const struct kloc *loc, const char *fmt, ...)
{
	char msg[1024];
	size_t n = 0;
	va_list ap;

	if (loc && loc->file)
		n = (size_t)snprintf(msg, sizeof(msg), "%s:%u:%u: ", loc->file, loc->line,
				     loc->col);
	if (n >= sizeof(msg))
		n = sizeof(msg) - 1;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	va_end(ap);
	err_append(r, msg);
	if (!r->compiling) {
		r->load_errlen = r->errlen;
		r->nload_errors = r->nerrors;
	}
	return -EINVAL;
}

void kr_errors_reset_compile(struct kcap_rules *r)
{
	r->errlen = r->load_errlen;
	r->nerrors = r->nload_errors;
	if (r->errtext)
		r->errtext[r->errlen] = '\0';
}

void kr_warn(struct kcap_rules *r, const char *fmt, ...)
{
	char *msg;
	void *p;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	p = realloc(r->warnings, (r->nwarnings + 1) * sizeof(*r->warnings));
	if (!p) {
		free(msg);
		return;
	}
	r->warnings = p;
	r->warnings[r->nwarnings++] = msg;
}

/* ---- The model ------------------------------------------------------------------------ */

int kr_cond_append(struct kcond *c, const char *text, const struct kloc *loc)
{
	size_t old = c->text ? strlen(c->text) : 0, add = strlen(text);
	char *t = realloc(c->text, old + add + 2);
	void *p;

	if (!t)
		return -ENOMEM;
	c->text = t;
	if (old)
		t[old++] = ' ';
	memcpy(t + old, text, add + 1);
	p = realloc(c->pieces, (c->npieces + 1) * sizeof(*c->pieces));
	if (!p)
		return -ENOMEM;
	c->pieces = p;
	c->pieces[c->npieces].start = old;
	c->pieces[c->npieces].loc = *loc;
	c->npieces++;
	return 0;
}

void kr_cond_free(struct kcond *c)
{
	free(c->text);
	free(c->pieces);
	memset(c, 0, sizeof(*c));
}

static void strings_free(char **v, size_t n)
{
	while (v && n)
		free(v[--n]);
	free(v);
}

void kr_exception_free(struct kexception *e)
{
	size_t i, j;

	free(e->name);
	strings_free(e->fields, e->nfields);
	strings_free(e->comps, e->ncomps);
	for (i = 0; i < e->nrows; i++) {
		for (j = 0; j < e->rows[i].ncols; j++)
			strings_free(e->rows[i].cols[j].v, e->rows[i].cols[j].n);
		free(e->rows[i].cols);
	}
	free(e->rows);
	memset(e, 0, sizeof(*e));
}

static void rule_uncompile(struct krule *ru)
{
	size_t i;

	kcap__filter_free(ru->f);
	ru->f = NULL;
	ru->nguards = 0;
	for (i = 0; i < ru->nsegs; i++) {
		free(ru->segs[i].text);
		free(ru->segs[i].ref.arg);
		free(ru->segs[i].field_name);
	}
	free(ru->segs);
	free(ru->fnames);
	free(ru->frefs);
	free(ru->ftypes);
	free(ru->fnumeric);
	ru->segs = NULL;
	ru->nsegs = 0;
	ru->fnames = NULL;
	ru->frefs = NULL;
	ru->ftypes = NULL;
	ru->fnumeric = NULL;
	ru->nfields = 0;
}

void kr_rule_free(struct krule *ru)
{
	size_t i;

	rule_uncompile(ru);
	free(ru->name);
	free(ru->desc);
	kr_cond_free(&ru->cond);
	free(ru->output);
	strings_free(ru->tags, ru->ntags);
	for (i = 0; i < ru->nexc; i++)
		kr_exception_free(&ru->exc[i]);
	free(ru->exc);
	memset(ru, 0, sizeof(*ru));
}

static const char *name_at(const struct kcap_rules *r, enum kr_kind kind, size_t i)
{
	switch (kind) {
	case KR_LIST:
		return r->lists[i].name;
	case KR_MACRO:
		return r->macros[i].name;
	default:
		return r->rules[i].name;
	}
}

static size_t name_hash(const char *s, size_t len)
{
	size_t h = 14695981039346656037ULL, i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

/* The slot holding @name, or the empty slot where it would go. */
static unsigned int *name_slot(const struct kcap_rules *r, enum kr_kind kind, const char *name,
			       size_t len)
{
	const struct knames *t = &r->names[kind];
	size_t h = name_hash(name, len);

	for (;; h++) {
		unsigned int *s = &t->slot[h & (t->cap - 1)];
		const char *n;

		if (!*s)
			return s;
		n = name_at(r, kind, *s - 1);
		if (!strncmp(n, name, len) && !n[len])
			return s;
	}
}

int kr_grow(void **v, size_t *cap, size_t n, size_t size)
{
	size_t c = *cap ? *cap * 2 : 16;
	void *p;

	if (n < *cap)
		return 0;
	p = realloc(*v, c * size);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = c;
	return 0;
}

int kr_index_add(struct kcap_rules *r, enum kr_kind kind, size_t i)
{
	struct knames *t = &r->names[kind];
	const char *name = name_at(r, kind, i);

	if ((t->n + 1) * 2 > t->cap) {
		struct knames old = *t;
		size_t k;

		t->cap = old.cap ? old.cap * 2 : 64;
		t->slot = calloc(t->cap, sizeof(*t->slot));
		if (!t->slot) {
			*t = old;
			return -ENOMEM;
		}
		for (k = 0; k < old.cap; k++)
			if (old.slot[k])
				*name_slot(r, kind, name_at(r, kind, old.slot[k] - 1),
					   strlen(name_at(r, kind, old.slot[k] - 1))) = old.slot[k];
		free(old.slot);
	}
	*name_slot(r, kind, name, strlen(name)) = (unsigned int)i + 1;
	t->n++;
	return 0;
}

static long find(const struct kcap_rules *r, enum kr_kind kind, const char *name, size_t len)
{
	if (!r->names[kind].cap)
		return -1;
	return (long)*name_slot(r, kind, name, len) - 1;
}

struct klist *kr_find_list(struct kcap_rules *r, const char *name, size_t len)
{
	long i = find(r, KR_LIST, name, len);

	return i < 0 ? NULL : &r->lists[i];
}

struct kmacro *kr_find_macro(struct kcap_rules *r, const char *name, size_t len)
{
	long i = find(r, KR_MACRO, name, len);

	return i < 0 ? NULL : &r->macros[i];
}

struct krule *kr_find_rule(struct kcap_rules *r, const char *name)
{
	long i = find(r, KR_RULE, name, strlen(name));

	return i < 0 ? NULL : &r->rules[i];
}

/* ---- Public: create, load --------------------------------------------------------------- */

struct kcap_rules *kcap_rules_new(void)
{
	struct kcap_rules *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->ctx = calloc(1, sizeof(*r->ctx));
	if (!r->ctx) {
		free(r);
		return NULL;
	}
	r->min_priority = KCAP_PRIO_DEBUG;
	return r;
}

void kr_uncompile(struct kcap_rules *r)
{
	size_t i;

	for (i = 0; i < r->nrules; i++)
		rule_uncompile(&r->rules[i]);
	for (i = 0; i < r->nmacros; i++) {
		kcap__filter_free(r->macros[i].f);
		r->macros[i].f = NULL;
		r->macros[i].state = 0;
	}
	for (i = 0; i < r->nlists; i++) {
		free(r->lists[i].expanded);
		r->lists[i].expanded = NULL;
		r->lists[i].nexpanded = 0;
	}
	for (i = 0; i < KEVT_KEYS; i++) {
		free(r->idx[i].v);
		r->idx[i].v = NULL;
		r->idx[i].n = 0;
		r->idx[i].cap = 0;
	}
	r->idx_all = false;
	strings_free(r->warnings, r->nwarnings);
	r->warnings = NULL;
	r->nwarnings = 0;
	r->compiled = false;
}

void kcap_rules_free(struct kcap_rules *r)
{
	size_t i;

	if (!r)
		return;
	kr_uncompile(r);
	for (i = 0; i < r->nrules; i++)
		kr_rule_free(&r->rules[i]);
	free(r->rules);
	for (i = 0; i < r->nmacros; i++) {
		free(r->macros[i].name);
		kr_cond_free(&r->macros[i].cond);
	}
	free(r->macros);
	for (i = 0; i < r->nlists; i++) {
		free(r->lists[i].name);
		strings_free(r->lists[i].items, r->lists[i].n);
	}
	free(r->lists);
	for (i = 0; i < r->nfiles; i++) {
		free(r->files[i].name);
		free(r->files[i].text);
	}
	free(r->files);
	free(r->errtext);
	for (i = 0; i < 3; i++)
		free(r->names[i].slot);
	free(r->ctx);
	free(r->out);
	free(r->vals);
	free(r);
}

int kcap_rules_load_string(struct kcap_rules *r, const char *name, const char *text)
{
	struct kfile *f;
	void *p;

	if (!r || !text)
		return -EINVAL;
	kr_uncompile(r);
	kr_errors_reset_compile(r);
	p = realloc(r->files, (r->nfiles + 1) * sizeof(*r->files));
	if (!p)
		return kr_err(r, NULL, "out of memory"), -ENOMEM;
	r->files = p;
	f = &r->files[r->nfiles];
	f->name = strdup(name ? name : "<string>");
	f->text = strdup(text);
	if (!f->name || !f->text) {
		free(f->name);
		free(f->text);
		return kr_err(r, NULL, "out of memory"), -ENOMEM;
	}
	r->nfiles++;
	return kr_load_yaml(r, f->name, f->text, strlen(f->text));
}

static int load_one_file(struct kcap_rules *r, const char *path)
{
	struct stat sb;
	char *text;
	ssize_t n;
	size_t got = 0;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		kr_err(r, NULL, "%s: %s", path, strerror(errno));
		return err;
	}
	if (fstat(fd, &sb) || sb.st_size > MAX_RULES_FILE) {
		close(fd);
		kr_err(r, NULL, "%s: larger than %u bytes", path, MAX_RULES_FILE);
		return -EFBIG;
	}
	text = malloc((size_t)sb.st_size + 1);
	if (!text) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)sb.st_size && (n = read(fd, text + got, (size_t)sb.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	text[got] = '\0';
	err = kcap_rules_load_string(r, path, text);
	free(text);
	return err;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int yaml_name(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' &&
	       ((n > 5 && !strcmp(d->d_name + n - 5, ".yaml")) ||
		(n > 4 && !strcmp(d->d_name + n - 4, ".yml")));
}

int kcap_rules_load_file(struct kcap_rules *r, const char *path)
{
	struct dirent **names;
	struct stat sb;
	int n, i, err = 0;
	char *full;

	if (!r || !path)
		return -EINVAL;
	if (stat(path, &sb) || !S_ISDIR(sb.st_mode))
		return load_one_file(r, path);
	n = scandir(path, &names, yaml_name, by_name);
	if (n < 0) {
		err = -errno;
		kr_err(r, NULL, "%s: %s", path, strerror(errno));
		return err;
	}
	if (!n) {
		free(names);
		kr_err(r, NULL, "%s: a directory without rules files (*.yaml)", path);
		return -ENOENT;
	}
	/* every file, also after one failed: all the errors at once */
	for (i = 0; i < n; i++) {
		int e = -ENOMEM;

		if (asprintf(&full, "%s/%s", path, names[i]->d_name) >= 0) {
			e = load_one_file(r, full);
			free(full);
		}
		if (e && !err)
			err = e;
		free(names[i]);
	}
	free(names);
	return err;
}

const char *kcap_rules_errmsg(const struct kcap_rules *r)
{
	return r && r->errtext ? r->errtext : "";
}

const char *kcap_rules_warning(const struct kcap_rules *r, unsigned int i)
{
	return r && i < r->nwarnings ? r->warnings[i] : NULL;
}

unsigned int kcap_rules_count(const struct kcap_rules *r, unsigned int *enabled)
{
	size_t i;
	unsigned int e = 0;

	for (i = 0; r && i < r->nrules; i++)
		e += r->rules[i].enabled && !r->rules[i].skipped;
	if (enabled)
		*enabled = e;
	return r ? (unsigned int)r->nrules : 0;
}

void kcap_rules_set_min_priority(struct kcap_rules *r, enum kcap_priority p)
{
	if (r)
		r->min_priority = (int)p;
}
