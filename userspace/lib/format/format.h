// SPDX-License-Identifier: Apache-2.0
/*
 * Decoding of the decoded syscall events (type >= 16): shared between
 * decode.c (parameters, typed accessors, the text form) and decode_names.c
 * (symbolic flag names). Private to libkcap and its unit tests.
 */
#ifndef KCAP_FORMAT_H
#define KCAP_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

#include "event/event.h"
#include "format/out.h"

/* How a parameter's number is shown besides its table format. */
enum kcap__sym {
	KCAP__SYM_NONE = 0,
	KCAP__SYM_OPEN_FLAGS,
	KCAP__SYM_FD_FLAGS,
	KCAP__SYM_DIRFD,
	KCAP__SYM_AT_FLAGS,
	KCAP__SYM_RENAME_FLAGS,
	KCAP__SYM_PROT,
	KCAP__SYM_MAP_FLAGS,
	KCAP__SYM_CLONE_FLAGS,
	KCAP__SYM_NS_FLAGS,
	KCAP__SYM_FAMILY,
	KCAP__SYM_SOCK_TYPE,
	KCAP__SYM_SOCK_FLAGS,
	KCAP__SYM_MSG_FLAGS,
	KCAP__SYM_MFD_FLAGS,
	KCAP__SYM_SIGNAL,
	KCAP__SYM_FCNTL_CMD,
	KCAP__SYM_PRCTL_OPT,
	KCAP__SYM_SHUT_HOW,
	KCAP__SYM_INT_PAIR, /* 8 bytes: two s32 (socketpair fds) */
	KCAP__SYM_PTRACE_REQ,
	KCAP__SYM_MODE, /* chmod's mode: S_ISUID|S_IRUSR|... as Falco writes it */
};

struct kcap__name {
	__u64 value;
	const char *name;
};

/* The symbolic decoding of parameter @param of event @type. */
KCAP_HIDDEN enum kcap__sym kcap__sym_of(unsigned int type, const char *param);

/*
 * kcap__fmt_aux() - what struct kcap__row_aux says of row @d of @type that
 * @h decodes with (the parameters' symbolic decodings, which are named
 * "size", where the parameters the thread table and the rule fields read
 * are): worked out once per table (the built-in one on first use, a
 * file's own in its row aux), so no event compares names. @scratch holds
 * it for a row nobody stores. kcap__fmt_aux_slow() is its out-of-line part.
 */
KCAP_HIDDEN const struct kcap__row_aux *kcap__fmt_aux_slow(const struct kcap *h, unsigned int type,
							   const struct kcap_event_desc *d,
							   struct kcap__row_aux *scratch);
/* names.c: the built-in table's, filled on first use (ready then) */
KCAP_HIDDEN extern struct kcap__row_aux kcap__builtin_aux[KCAP_EVT_NR];
KCAP_HIDDEN extern int kcap__builtin_aux_ready;

static inline const struct kcap__row_aux *kcap__fmt_aux(const struct kcap *h, unsigned int type,
							const struct kcap_event_desc *d,
							struct kcap__row_aux *scratch)
{
	/* a row of the built-in table, once worked out: no call */
	if (type < KCAP_EVT_NR && type != KCAP_EVT_INVALID && d == kcap__builtin_rows + type &&
	    __atomic_load_n(&kcap__builtin_aux_ready, __ATOMIC_ACQUIRE))
		return &kcap__builtin_aux[type];
	return kcap__fmt_aux_slow(h, type, d, scratch);
}

/* kcap__fmt_aux(), remembered in @ac for the next events of @type. */
static inline const struct kcap__row_aux *kcap__aux_cached(struct kcap__aux_cache *ac,
							   const struct kcap *h, unsigned int type,
							   const struct kcap_event_desc *d,
							   struct kcap__row_aux *scratch)
{
	const struct kcap__row_aux *a;
	__u64 s;

	if (type >= KCAP_EVT_NR)
		return kcap__fmt_aux(h, type, d, scratch);
	s = kcap__serial(h);
	if (ac->d[type] == d && ac->serial[type] == s)
		return ac->a[type];
	a = kcap__fmt_aux(h, type, d, scratch);
	if (a != scratch) {
		ac->d[type] = d;
		ac->serial[type] = s;
		ac->a[type] = a;
	}
	return a;
}

/* Writes @v decoded as @sym ("O_WRONLY|O_CREAT", "AT_FDCWD", "SIGKILL"). */
KCAP_HIDDEN void kcap__put_sym(struct kcap__out *o, enum kcap__sym sym, __u64 v);

/* The name of @v in a NULL-terminated table, or NULL. */
KCAP_HIDDEN const char *kcap__name_of(const struct kcap__name *t, __u64 v);

/*
 * kcap__format_decoded() - "NAME(p=v, ...) = RES" for a decoded syscall
 * event described by @d (of the handle with kcap__serial() @serial);
 * returns the length like snprintf().
 */
/* "name=" of parameter @i of an event described by @d ("pN=" past the table). */
static inline void kcap__put_param_label(struct kcap__out *o, const struct kcap_event_desc *d,
					 unsigned int i)
{
	if (i < d->nparams) {
		kcap__put_str(o, d->params[i].name);
	} else {
		kcap__put_char(o, 'p');
		kcap__put_u64(o, i);
	}
	kcap__put_char(o, '=');
}

KCAP_HIDDEN size_t kcap__format_decoded(const struct kcap_event_hdr *ev,
					const struct kcap_event_desc *d,
					const struct kcap__row_aux *aux, __u64 serial, char *buf,
					size_t len);


#endif /* KCAP_FORMAT_H */
