// SPDX-License-Identifier: Apache-2.0
/*
 * The EVENT_TABLE block: the event table a capture was written with, so a
 * later libkcap decodes old files with their own names, parameter types and
 * formats (docs/capture-format.md).
 *
 *   u16 abi_major, u16 abi_minor, u32 nr_rows
 *   nr_rows x { u16 type, u16 nparams, u32 flags, str name,
 *               nparams x { u16 type, u16 fmt, str name } }
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "file_format.h"

static void encode_row(struct kbuf *b, unsigned int type, const struct kcap_event_desc *d)
{
	unsigned int i, n = d->nparams < KCAP_MAX_PARAMS ? d->nparams : KCAP_MAX_PARAMS;

	kbuf_u16(b, (__u16)type);
	kbuf_u16(b, (__u16)n);
	kbuf_u32(b, d->flags);
	kbuf_str(b, d->name);
	for (i = 0; i < n; i++) {
		kbuf_u16(b, d->params[i].type);
		kbuf_u16(b, d->params[i].fmt);
		kbuf_str(b, d->params[i].name);
	}
}

void kcapf_table_encode(const struct kcap *h, struct kbuf *b)
{
	const struct kcap_table *t = kcapf_handle_table(h);
	unsigned int type, n = 0;
	size_t count_at;

	kbuf_u16(b, t ? t->abi_major : KCAP_ABI_MAJOR);
	kbuf_u16(b, t ? t->abi_minor : KCAP_ABI_MINOR);
	count_at = b->len;
	kbuf_u32(b, 0);
	if (t) {
		for (type = 1; type < t->nr; type++) {
			if (t->rows[type].name) {
				encode_row(b, type, &t->rows[type]);
				n++;
			}
		}
	} else {
		for (type = 1; type < KCAP_EVT_NR; type++) {
			const struct kcap_event_desc *d = kcap_event_desc(type);

			if (d && d->name) {
				encode_row(b, type, d);
				n++;
			}
		}
	}
	if (!b->oom)
		memcpy(b->p + count_at, &n, sizeof(n));
}

/* Copies a string into the arena; NULL if the payload was bad. */
static const char *take_str(struct kparse *k, char **arena)
{
	__u16 len = 0;
	const char *p = kp_strp(k, &len);
	char *s = *arena;

	if (!p)
		return NULL;
	memcpy(s, p, len);
	s[len] = '\0';
	*arena += len + 1;
	return s;
}

int kcapf_table_decode(struct kcap_table *t, const void *p, size_t len, const char **why)
{
	struct kparse k = { .p = p, .len = len };
	__u32 nr, i, j, max_type = 0;
	char *arena;

	memset(t, 0, sizeof(*t));
	t->abi_major = kp_u16(&k);
	t->abi_minor = kp_u16(&k);
	nr = kp_u32(&k);
	if (k.bad || nr > KCAPF_MAX_TYPES) {
		*why = "event table: bad row count";
		return -EBADMSG;
	}
	/* Every string is at least its 2-byte length in the payload and
	 * takes one more byte (the NUL) here: the arena is bounded by len. */
	t->strings = malloc(len + 1);
	t->rows = calloc(KCAPF_MAX_TYPES, sizeof(*t->rows));
	if (!t->strings || !t->rows) {
		kcapf_table_free(t);
		*why = "event table: out of memory";
		return -ENOMEM;
	}
	arena = t->strings;
	for (i = 0; i < nr; i++) {
		__u16 type = kp_u16(&k), np = kp_u16(&k);
		__u32 flags = kp_u32(&k);
		struct kcap_event_desc *d;

		if (k.bad || type == 0 || type >= KCAPF_MAX_TYPES || np > KCAP_MAX_PARAMS) {
			*why = "event table: bad row (type or parameter count out of range)";
			goto bad;
		}
		d = &t->rows[type];
		if (d->name) {
			*why = "event table: type listed twice";
			goto bad;
		}
		d->flags = flags;
		d->nparams = np;
		d->name = take_str(&k, &arena);
		for (j = 0; j < np; j++) {
			d->params[j].type = kp_u16(&k);
			d->params[j].fmt = (__typeof__(d->params[j].fmt))kp_u16(&k);
			d->params[j].name = take_str(&k, &arena);
		}
		if (k.bad || !d->name) {
			*why = "event table: row runs past the block";
			goto bad;
		}
		/* The formatter reads a syscall row's first parameter as the
		 * syscall number. */
		if ((flags & KCAP_EDF_SYSCALL) && !np) {
			*why = "event table: a syscall row without parameters";
			goto bad;
		}
		if (type > max_type)
			max_type = type;
	}
	t->nr = max_type + 1;
	t->aux = calloc(t->nr, sizeof(*t->aux));
	if (!t->aux) {
		kcapf_table_free(t);
		*why = "event table: out of memory";
		return -ENOMEM;
	}
	return 0;
bad:
	kcapf_table_free(t);
	return -EBADMSG;
}

void kcapf_table_free(struct kcap_table *t)
{
	free(t->rows);
	free(t->aux);
	free(t->strings);
	memset(t, 0, sizeof(*t));
}
