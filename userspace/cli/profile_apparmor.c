// SPDX-License-Identifier: Apache-2.0
/*
 * kcap profile: AppArmor profiles, written from the model and read back
 * (with AppArmor's path globs) for `kcap profile check`.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"

/* AppArmor's own @{pid} (tunables/kernelvars): 1 to 7 digits, no leading 0. */
static const char pid_var[] =
	"@{pid}={[1-9],[1-9][0-9],[1-9][0-9][0-9],[1-9][0-9][0-9][0-9],"
	"[1-9][0-9][0-9][0-9][0-9],[1-9][0-9][0-9][0-9][0-9][0-9],"
	"[1-4][0-9][0-9][0-9][0-9][0-9][0-9]}";

/* A path needs quotes when it holds a blank, a comma or a quote-worthy byte. */
static bool needs_quotes(const char *s)
{
	for (; *s; s++)
		if (isspace((unsigned char)*s) || *s == ',' || *s == '#')
			return true;
	return false;
}

/* The Cx target of an exec rule on @glob: the child whose path gives it. */
static const char *cx_target(const char *glob, const struct prof_child *kids, size_t nkids)
{
	char g[8192];
	size_t i;

	for (i = 0; i < nkids; i++)
		if (kids[i].used && !prof_generalise(kids[i].path, 0, g, sizeof(g)) && !strcmp(g, glob))
			return kids[i].name;
	return NULL;
}

/* The rules of @p, each line indented by @in. */
static void write_rules(const struct prof *p, FILE *out, const char *in,
			const struct prof_child *kids, size_t nkids)
{
	unsigned int f, t, c;
	char perms[8];
	size_t i;
	bool any;

	any = false;
	for (c = 0; c < PROF_CAPS; c++) {
		if (!p->caps[c])
			continue;
		if (!any)
			fprintf(out, "%s# capabilities its privileged syscalls used\n", in);
		any = true;
		fprintf(out, "%scapability %s,\n", in, prof_cap_name(c));
	}
	if (any)
		fprintf(out, "\n");

	any = false;
	for (f = 0; f < PROF_NET_FAMILIES; f++)
		for (t = 0; t < PROF_NET_TYPES; t++) {
			if (!p->net[f][t])
				continue;
			if (!any)
				fprintf(out, "%s# sockets it made, by family and type\n", in);
			any = true;
			fprintf(out, "%snetwork %s %s,\n", in, prof_family_name(f), prof_type_name(t));
		}
	if (any)
		fprintf(out, "\n");

	if (p->nfiles)
		fprintf(out, "%s# files, directories and programs\n", in);
	for (i = 0; i < p->nfiles; i++) {
		unsigned int bits = p->files[i].perms;
		const char *target = NULL;

		/* AppArmor grants a for an O_APPEND open, but checks each
		 * write() on the descriptor as w (Debian's 6.1: DENIED
		 * requested_mask="w"): an append-only file needs w to work */
		if ((bits & PROF_A) && !(bits & PROF_W)) {
			fprintf(out, "%s# append-only: a would do for the open, write() needs w\n", in);
			bits |= PROF_W;
		}
		if (bits & PROF_CX) {
			target = cx_target(p->files[i].glob, kids, nkids);
			if (target)
				fprintf(out, "%s# runs under the child profile %s below (--cx)\n", in,
					target);
			else
				bits &= ~(unsigned int)PROF_CX; /* cannot happen: ix then */
		}
		prof_perms_str(bits, perms);
		fprintf(out, needs_quotes(p->files[i].glob) ? "%s\"%s\" %s" : "%s%s %s", in,
			p->files[i].glob, perms);
		fprintf(out, target ? " -> %s,\n" : ",\n", target);
	}
}

int prof_write_apparmor_cx(const struct prof *p, FILE *out, const char *name, const char *attach,
			   const struct prof_source *src, const struct prof_child *kids,
			   size_t nkids)
{
	size_t i;

	fprintf(out,
		"# AppArmor profile learned by kcap from %s\n"
		"# (kcap profile apparmor %s): %llu events read, %llu processes selected%s.\n"
		"# Every rule comes from a successful event of the recording: a read gives\n"
		"# r, a write or creation w (an append-only open too), an executed program ix,\n"
		"# a mapped executable mr, a listed directory its path with a trailing /.\n"
		"# Per-run names are generalised (/proc/@{pid}/, [0-9]* for a pid or a\n"
		"# long number and ?????? for a mkstemp suffix below /tmp, /var/tmp,\n"
		"# /dev/shm and /run); nothing is widened to a whole tree.\n",
		src->capture, src->selection, src->events, src->processes,
		src->drops ? ", WITH DROPPED EVENTS: rules may be missing" : "");
	fprintf(out, "abi <abi/3.0>,\n\n%s\n\n", pid_var);
	fprintf(out, "profile %s", name);
	if (attach)
		fprintf(out, needs_quotes(attach) ? " \"%s\"" : " %s", attach);
	fprintf(out, " {\n");
	write_rules(p, out, "  ", kids, nkids);
	for (i = 0; i < nkids; i++) {
		if (!kids[i].used)
			continue;
		fprintf(out,
			"\n  # child profile (--cx %s): what the program did after the exec\n"
			"  # a Cx rule allows, and its children, learnt by the same rules\n"
			"  profile %s {\n",
			kids[i].path, kids[i].name);
		write_rules(&kids[i].model, out, "    ", NULL, 0);
		fprintf(out, "  }\n");
	}
	fprintf(out, "}\n");
	return ferror(out) ? -EIO : 0;
}

int prof_write_apparmor(const struct prof *p, FILE *out, const char *name, const char *attach,
			const struct prof_source *src)
{
	return prof_write_apparmor_cx(p, out, name, attach, src, NULL, 0);
}

/* ---- Globs ---------------------------------------------------------------------- */

/* The '}' closing the '{' at g[0], or NULL. */
static const char *brace_end(const char *g)
{
	int depth = 0;

	for (; *g; g++) {
		if (*g == '\\' && g[1]) {
			g++;
			continue;
		}
		if (*g == '{')
			depth++;
		else if (*g == '}' && !--depth)
			return g;
	}
	return NULL;
}

static bool match_class(const char **gp, char c)
{
	const char *g = *gp + 1;
	bool neg = false, hit = false;

	if (*g == '^') {
		neg = true;
		g++;
	}
	while (*g && *g != ']') {
		char lo = *g, hi;

		if (lo == '\\' && g[1])
			lo = *++g;
		hi = lo;
		if (g[1] == '-' && g[2] && g[2] != ']') {
			hi = g[2];
			g += 2;
		}
		if (c >= lo && c <= hi)
			hit = true;
		g++;
	}
	*gp = *g ? g + 1 : g;
	return hit != neg;
}

bool aa_glob_match(const char *g, const char *p)
{
	while (*g) {
		switch (*g) {
		case '*':
			if (g[1] == '*') {
				const char *rest = g + 2;

				for (;; p++) {
					if (aa_glob_match(rest, p))
						return true;
					if (!*p)
						return false;
				}
			}
			for (;; p++) {
				if (aa_glob_match(g + 1, p))
					return true;
				if (!*p || *p == '/')
					return false;
			}
		case '?':
			if (!*p || *p == '/')
				return false;
			g++;
			p++;
			break;
		case '[':
			if (!*p || *p == '/' || !match_class(&g, *p))
				return false;
			p++;
			break;
		case '{': {
			const char *end = brace_end(g), *alt = g + 1, *a;
			int depth = 0;

			if (!end)
				return false;
			/* each alternative followed by the rest of the glob */
			for (a = alt; a <= end; a++) {
				if (*a == '\\' && a < end) {
					a++;
					continue;
				}
				if (*a == '{')
					depth++;
				else if (*a == '}' && a < end)
					depth--;
				if ((*a == ',' && !depth) || a == end) {
					size_t al = (size_t)(a - alt), rl = strlen(end + 1);
					char *buf = malloc(al + rl + 1);
					bool ok;

					if (!buf)
						return false;
					memcpy(buf, alt, al);
					memcpy(buf + al, end + 1, rl + 1);
					ok = aa_glob_match(buf, p);
					free(buf);
					if (ok)
						return true;
					alt = a + 1;
				}
			}
			return false;
		}
		case '\\':
			if (g[1])
				g++;
			/* fall through */
		default:
			if (*g != *p)
				return false;
			g++;
			p++;
		}
	}
	return !*p;
}

/* ---- Reading a profile ---------------------------------------------------------- */

struct aa_var {
	char name[64];
	char *value; /* "{a,b}" or the one value */
};

struct aa_reader {
	struct aa_profile *ap; /* the profile of the file */
	struct aa_profile *cur; /* the one whose rules are read: ap or a child */
	bool done; /* ap's closing brace read */
	struct aa_var vars[32];
	size_t nvars;
	char *err;
	size_t errlen;
	unsigned int line;
	int depth;
};

static int rd_error(struct aa_reader *r, const char *fmt, ...)
{
	int n = snprintf(r->err, r->errlen, "line %u: ", r->line);
	va_list ap;

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < r->errlen)
		vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* @s with every @{var} replaced by its value; NULL (message set) if unknown. */
static char *expand_vars(struct aa_reader *r, const char *s)
{
	size_t cap = strlen(s) + 1, n = 0;
	char *out = malloc(cap);

	while (out && *s) {
		const char *add = s;
		size_t al = 1, adv = 1;

		if (s[0] == '\\' && s[1]) {
			al = adv = 2;
		} else if (s[0] == '@' && s[1] == '{') {
			const char *end = strchr(s, '}');
			size_t i, nl = end ? (size_t)(end - s - 2) : 0;

			for (i = 0; end && i < r->nvars; i++)
				if (strlen(r->vars[i].name) == nl && !memcmp(r->vars[i].name, s + 2, nl))
					break;
			if (!end || i == r->nvars) {
				rd_error(r, "unknown variable in %s", s);
				free(out);
				return NULL;
			}
			add = r->vars[i].value;
			al = strlen(add);
			adv = (size_t)(end + 1 - s);
		}
		if (n + al + 1 > cap) {
			char *o;

			cap = 2 * (n + al + 1);
			o = realloc(out, cap);
			if (!o) {
				free(out);
				return NULL;
			}
			out = o;
		}
		memcpy(out + n, add, al);
		n += al;
		s += adv;
	}
	if (out)
		out[n] = '\0';
	return out;
}

static int set_var(struct aa_reader *r, char *line)
{
	char *eq = strchr(line, '='), *end = strchr(line, '}'), *v, *q;
	size_t nl, cap, n = 0;
	struct aa_var *var;
	bool plus;

	if (!eq || !end || end > eq || (size_t)(end - line - 2) >= sizeof(var->name))
		return rd_error(r, "bad variable assignment");
	plus = eq > line && eq[-1] == '+';
	nl = (size_t)(end - line - 2);
	if (plus || r->nvars == sizeof(r->vars) / sizeof(r->vars[0]))
		return rd_error(r, "%s", plus ? "+= is not supported" : "too many variables");
	var = &r->vars[r->nvars];
	memcpy(var->name, line + 2, nl);
	var->name[nl] = '\0';
	/* values separated by blanks become one alternation */
	cap = strlen(eq) + 3;
	var->value = malloc(cap);
	if (!var->value)
		return -ENOMEM;
	var->value[n++] = '{';
	for (v = strtok_r(eq + 1, " \t", &q); v; v = strtok_r(NULL, " \t", &q)) {
		size_t l = strlen(v);

		if (n > 1)
			var->value[n++] = ',';
		memcpy(var->value + n, v, l);
		n += l;
	}
	var->value[n++] = '}';
	var->value[n] = '\0';
	r->nvars++;
	return 0;
}

static unsigned int parse_perms(const char *s, bool *ok)
{
	unsigned int perms = 0;

	*ok = *s != '\0';
	for (; *s; s++) {
		switch (*s) {
		case 'r':
			perms |= PROF_R;
			break;
		case 'w':
			perms |= PROF_W | PROF_A;
			break;
		case 'a':
			perms |= PROF_A;
			break;
		case 'm':
			perms |= PROF_M;
			break;
		case 'l':
			perms |= PROF_L;
			break;
		case 'k':
			break;
		case 'x':
			perms |= PROF_IX;
			break;
		case 'c': case 'C':
			/* a transition to a child profile */
			perms |= PROF_CX;
			/* fall through */
		case 'p': case 'P':
			/* a transition to another profile */
			perms |= PROF_PX;
			/* fall through */
		case 'i': case 'u': case 'U':
			if (!strchr(s, 'x'))
				*ok = false;
			break;
		default:
			*ok = false;
		}
	}
	return perms;
}

static int add_file_rule(struct aa_reader *r, const char *path, const char *perms,
			 const char *target)
{
	struct aa_profile *ap = r->cur;
	struct prof_file *f;
	unsigned int bits;
	bool ok;
	char *g;

	bits = parse_perms(perms, &ok);
	if (!ok)
		return rd_error(r, "bad permissions '%s'", perms);
	if (target && !(bits & PROF_PX))
		return rd_error(r, "'-> %s' without a P or C exec permission", target);
	g = expand_vars(r, path);
	if (!g)
		return -EINVAL;
	f = realloc(ap->files, (ap->nfiles + 1) * sizeof(*f));
	if (!f) {
		free(g);
		return -ENOMEM;
	}
	ap->files = f;
	f[ap->nfiles].target = target ? strdup(target) : NULL;
	if (target && !f[ap->nfiles].target) {
		free(g);
		return -ENOMEM;
	}
	f[ap->nfiles].glob = g;
	f[ap->nfiles].perms = bits;
	ap->nfiles++;
	return 0;
}

/* Splits @s into blank-separated words (a "quoted" word keeps its blanks). */
static size_t split_words(char *s, char **w, size_t max)
{
	size_t n = 0;

	while (*s && n < max) {
		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		if (*s == '"') {
			w[n++] = ++s;
			while (*s && *s != '"')
				s++;
		} else {
			w[n++] = s;
			while (*s && !isspace((unsigned char)*s))
				s++;
		}
		if (*s)
			*s++ = '\0';
	}
	return n;
}

static int parse_rule(struct aa_reader *r, char *s)
{
	struct aa_profile *ap = r->cur;
	char *w[16];
	size_t n, i;
	int v;

	n = split_words(s, w, 16);
	if (!n)
		return 0;
	i = 0;
	if (!strcmp(w[0], "allow") || !strcmp(w[0], "audit"))
		i++;
	if (i < n && (!strcmp(w[i], "deny") || !strcmp(w[i], "owner")))
		return rd_error(r, "'%s' rules are not supported by kcap profile check", w[i]);
	if (i == n)
		return rd_error(r, "empty rule");
	if (!strcmp(w[i], "abi"))
		return 0;
	if (!strcmp(w[i], "capability")) {
		if (i + 1 == n)
			return rd_error(r, "a rule for every capability is not supported");
		for (i++; i < n; i++) {
			v = prof_cap_number(w[i]);
			if (v < 0)
				return rd_error(r, "unknown capability '%s'", w[i]);
			ap->caps[v] = true;
		}
		return 0;
	}
	if (!strcmp(w[i], "network")) {
		int fam, type;

		if (i + 1 == n) {
			ap->net_all = true;
			return 0;
		}
		fam = prof_family_number(w[i + 1]);
		if (fam < 0)
			return rd_error(r, "unknown network family '%s'", w[i + 1]);
		if (i + 2 == n) {
			ap->net[fam][PROF_NET_TYPES] = true;
			return 0;
		}
		type = prof_type_number(w[i + 2]);
		if (type < 0 || i + 3 != n)
			return rd_error(r, "bad network rule");
		ap->net[fam][type] = true;
		return 0;
	}
	if (!strcmp(w[i], "file") && i + 1 == n)
		return add_file_rule(r, "/**", "rwmlix", NULL);
	if ((w[i][0] == '/' || w[i][0] == '@') && i + 2 == n)
		return add_file_rule(r, w[i], w[i + 1], NULL);
	/* an exec transition with a target: PATH Cx -> NAME */
	if ((w[i][0] == '/' || w[i][0] == '@') && i + 4 == n && !strcmp(w[i + 2], "->"))
		return add_file_rule(r, w[i], w[i + 1], w[i + 3]);
	return rd_error(r, "rule not supported by kcap profile check: %s", w[i]);
}

/* "profile NAME [ATTACH] [flags=...]" or "ATTACH": the file's profile
 * (depth 0) or a child profile inside it (depth 1). */
static int parse_header(struct aa_reader *r, char *s)
{
	struct aa_profile *ap = r->ap, *c;
	char *w[8];
	size_t n, i = 0;

	if (r->done)
		return rd_error(r, "one profile per file");
	if (r->depth > 1)
		return rd_error(r, "child profiles nested more than one level deep are not supported");
	if (r->depth == 1) {
		c = realloc(ap->children, (ap->nchildren + 1) * sizeof(*c));
		if (!c)
			return -ENOMEM;
		ap->children = c;
		ap = &c[ap->nchildren++];
		memset(ap, 0, sizeof(*ap));
	}
	n = split_words(s, w, 8);
	if (n && w[0][0] == '^')
		return rd_error(r, "hats are not supported by kcap profile check");
	if (n && !strcmp(w[0], "profile")) {
		if (n < 2)
			return rd_error(r, "profile without a name");
		ap->name = strdup(w[1]);
		i = 2;
	}
	if (i < n && strncmp(w[i], "flags=", 6)) {
		ap->attach = expand_vars(r, w[i]);
		if (!ap->attach)
			return -EINVAL;
		if (!ap->name)
			ap->name = strdup(w[i]);
		i++;
	}
	if (!ap->name)
		return r->depth ? rd_error(r, "child profile without a name") : -ENOMEM;
	r->cur = ap;
	r->depth++;
	return 0;
}

static void release_one(struct aa_profile *ap)
{
	size_t i;

	for (i = 0; i < ap->nfiles; i++) {
		free(ap->files[i].glob);
		free(ap->files[i].target);
	}
	free(ap->files);
	free(ap->name);
	free(ap->attach);
}

int aa_parse(const char *text, struct aa_profile *ap, char *err, size_t errlen)
{
	struct aa_reader r = { .ap = ap, .err = err, .errlen = errlen };
	char *copy = strdup(text), *line, *next;
	int rc = 0;
	size_t i;

	memset(ap, 0, sizeof(*ap));
	if (!copy)
		return -ENOMEM;
	for (line = copy; line && !rc; line = next) {
		char *s, *e;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		r.line++;
		for (s = line; isspace((unsigned char)*s); s++)
			;
		if (!strncmp(s, "#include", 8) || !strncmp(s, "include", 7)) {
			rc = rd_error(&r, "include is not supported by kcap profile check");
			break;
		}
		if (*s == '#' || !*s)
			continue;
		e = s + strlen(s);
		while (e > s && isspace((unsigned char)e[-1]))
			*--e = '\0';
		if (s[0] == '@' && s[1] == '{' && strchr(s, '=')) {
			if (r.depth)
				rc = rd_error(&r, "variables inside a profile are not supported");
			else
				rc = set_var(&r, s);
		} else if (e[-1] == '{') {
			e[-1] = '\0';
			rc = parse_header(&r, s);
		} else if (!strcmp(s, "}")) {
			if (!r.depth)
				rc = rd_error(&r, "unbalanced '}'");
			else if (--r.depth)
				r.cur = ap;
			else
				r.done = true;
		} else if (e[-1] == ',') {
			e[-1] = '\0';
			if (!r.depth && strncmp(s, "abi", 3))
				rc = rd_error(&r, "rule outside a profile");
			else
				rc = parse_rule(&r, s);
		} else {
			rc = rd_error(&r, "not a rule (no trailing ','): %s", s);
		}
	}
	if (!rc && !r.done) {
		snprintf(err, errlen, "no complete profile (profile NAME PATH { ... })");
		rc = -EINVAL;
	}
	for (i = 0; i < r.nvars; i++)
		free(r.vars[i].value);
	free(copy);
	if (rc)
		aa_release(ap);
	return rc;
}

void aa_release(struct aa_profile *ap)
{
	size_t i;

	for (i = 0; i < ap->nchildren; i++)
		release_one(&ap->children[i]);
	free(ap->children);
	release_one(ap);
	memset(ap, 0, sizeof(*ap));
}

bool aa_allows_file(const struct aa_profile *ap, const char *path, unsigned int perms)
{
	unsigned int have = 0;
	size_t i;

	for (i = 0; i < ap->nfiles && (have & perms) != perms; i++)
		if (aa_glob_match(ap->files[i].glob, path))
			have |= ap->files[i].perms;
	return (have & perms) == perms;
}

bool aa_exec_px(const struct aa_profile *ap, const char *path)
{
	size_t i;

	for (i = 0; i < ap->nfiles; i++)
		if ((ap->files[i].perms & PROF_PX) && aa_glob_match(ap->files[i].glob, path))
			return true;
	return false;
}

int aa_exec_child(const struct aa_profile *ap, const char *path)
{
	size_t i, k;

	for (i = 0; i < ap->nfiles; i++) {
		const struct prof_file *f = &ap->files[i];

		if (!(f->perms & PROF_CX) || !aa_glob_match(f->glob, path))
			continue;
		for (k = 0; k < ap->nchildren; k++) {
			const struct aa_profile *c = &ap->children[k];

			if (f->target ? !strcmp(c->name, f->target)
				      : c->attach && aa_glob_match(c->attach, path))
				return (int)k;
		}
		return -1;
	}
	return -1;
}

bool aa_allows_net(const struct aa_profile *ap, unsigned int family, unsigned int type)
{
	if (ap->net_all)
		return true;
	if (family >= PROF_NET_FAMILIES)
		return false;
	return ap->net[family][PROF_NET_TYPES] || (type < PROF_NET_TYPES && ap->net[family][type]);
}

bool aa_allows_cap(const struct aa_profile *ap, unsigned int cap)
{
	return cap < PROF_CAPS && ap->caps[cap];
}
