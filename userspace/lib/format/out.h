// SPDX-License-Identifier: Apache-2.0
/*
 * The output cursor of the text formatters (event.c, decode.c,
 * decode_names.c) and its appenders, one per kind of value. They replace one
 * vsnprintf() per field, which cost most of kcap_event_format()'s time.
 *
 * The contract is snprintf()'s, kept after every call: pos counts every byte
 * that would have been written; nothing is written at or past buf[len]; when
 * len > 0, buf holds the first min(pos, len - 1) bytes of the text and a NUL.
 * Private to libkcap and its unit tests.
 */
#ifndef KCAP_OUT_H
#define KCAP_OUT_H

#include <stddef.h>
#include <string.h>

#include <linux/types.h>

#include "internal.h"

struct kcap__out {
	char *buf;
	size_t len;
	size_t pos;
};

/* What fits of @n bytes of @p, when they do not all fit (out.c). */
KCAP_HIDDEN void kcap__put_mem_truncated(struct kcap__out *o, const void *p, size_t n);

/*
 * @n bytes of @p as they are. Inline: nearly every call fits, and a constant
 * @n (a literal's) turns the memcpy() into a move.
 */
static inline void kcap__put_mem(struct kcap__out *o, const void *p, size_t n)
{
	if (o->pos + n < o->len) {
		memcpy(o->buf + o->pos, p, n);
		o->buf[o->pos + n] = '\0';
		o->pos += n;
	} else {
		kcap__put_mem_truncated(o, p, n);
	}
}

/* A NUL-terminated string. */
static inline void kcap__put_str(struct kcap__out *o, const char *s)
{
	kcap__put_mem(o, s, strlen(s));
}

/* One character. */
static inline void kcap__put_char(struct kcap__out *o, char c)
{
	kcap__put_mem(o, &c, 1);
}

/* Decimal, like "%llu" and "%lld". */
KCAP_HIDDEN void kcap__put_u64(struct kcap__out *o, __u64 v);
KCAP_HIDDEN void kcap__put_s64(struct kcap__out *o, __s64 v);

/* Lower-case hex digits without a prefix, like "%llx". */
KCAP_HIDDEN void kcap__put_hex(struct kcap__out *o, __u64 v);

/* Octal digits without a prefix, like "%llo". */
KCAP_HIDDEN void kcap__put_oct(struct kcap__out *o, __u64 v);

/*
 * An IP address as inet_ntop() writes it: "10.0.0.1" for AF_INET (4 bytes
 * of @addr, network order; without inet_ntop(), whose IPv4 path is a
 * sprintf() per call), "fe80::1" for AF_INET6 (16 bytes).
 */
KCAP_HIDDEN void kcap__put_ip(struct kcap__out *o, unsigned int family, const __u8 *addr);

/* A timestamp in nanoseconds as seconds and nine digits: "12.000000100". */
KCAP_HIDDEN void kcap__put_ts(struct kcap__out *o, __u64 ns);

/*
 * @n bytes of @p, escaped for a double-quoted string: '"' and '\' get a
 * backslash, other bytes outside ' '..'~' become "\xHH".
 */
KCAP_HIDDEN void kcap__put_escaped(struct kcap__out *o, const unsigned char *p, size_t n);

/* @n bytes of @p as two lower-case hex digits each: "00ff". */
/* A double-quoted escaped string: "a\\"b". */
static inline void kcap__put_quoted(struct kcap__out *o, const unsigned char *p, size_t n)
{
	kcap__put_char(o, '"');
	kcap__put_escaped(o, p, n);
	kcap__put_char(o, '"');
}

/* A signed result, with the errno name if it is -1..-4095: "-2 ENOENT". */
KCAP_HIDDEN void kcap__put_errno(struct kcap__out *o, __s64 v);

KCAP_HIDDEN void kcap__put_hexbytes(struct kcap__out *o, const unsigned char *p, size_t n);

#endif /* KCAP_OUT_H */
