// SPDX-License-Identifier: Apache-2.0
/*
 * Private to event/ and the layers above it (format/, state/, export/):
 * bounded number reads and the parsers behind the public accessors.
 */
#ifndef KCAP_EVENT_H
#define KCAP_EVENT_H

#include <string.h>

#include "capture/capture.h"

/* Address families as the driver records them (Linux values). */
#define AF_UNIX_ 1
#define AF_INET_ 2
#define AF_INET6_ 10
#define SUN_PATH_MAX 108

/* Signed parameter types: S32, S64, ERRNO, FD. */
static inline bool kcap__type_signed(unsigned int type)
{
	return type == KCAP_PT_S32 || type == KCAP_PT_S64 || type == KCAP_PT_ERRNO ||
	       type == KCAP_PT_FD;
}

/*
 * A generic syscall event's number (ABI 3): 0 to 8 bytes, little-endian,
 * sign-extended; 0 bytes is 0. ABI 2's full-width numbers read the same.
 */
static inline bool kcap__read_sint(const void *p, __u16 len, __u64 *v)
{
	const unsigned char *b = p;
	__u64 x = 0;
	__s16 x16;
	__s32 x32;
	unsigned int sh, i;

	/* the usual widths with fixed-size loads (no memcpy call) */
	switch (len) {
	case 0:
		break;
	case 1:
		x = (__u64)(__s64)(signed char)b[0];
		break;
	case 2:
		memcpy(&x16, b, 2);
		x = (__u64)(__s64)x16;
		break;
	case 4:
		memcpy(&x32, b, 4);
		x = (__u64)(__s64)x32;
		break;
	case 8:
		memcpy(&x, b, 8);
		break;
	default:
		if (len > 8)
			return false;
		for (i = 0; i < len; i++)
			x |= (__u64)b[i] << (8 * i);
		sh = 64 - 8 * len;
		x = (__u64)((__s64)(x << sh) >> sh);
		break;
	}
	*v = x;
	return true;
}

static inline bool kcap__generic(const struct kcap_event_hdr *ev)
{
	return ev->type == KCAP_EVT_SYSCALL || ev->type == KCAP_EVT_SYSCALL_ENTER;
}

/*
 * The first @max (at most) parameters of @ev found in one walk of their
 * lengths, as kcap_event_param() checks them: @ptr and @len of those that
 * lie within the record (a prefix); returns how many do.
 */
static inline unsigned int kcap__param_walk(const struct kcap_event_hdr *ev,
					    const unsigned char **ptr, __u16 *len,
					    unsigned int max)
{
	const unsigned char *lens = (const unsigned char *)(ev + 1);
	unsigned int n = ev->nparams < max ? ev->nparams : max, i;
	__u64 off = sizeof(*ev) + 2ULL * ev->nparams;
	__u16 l;

	if (off > ev->len)
		return 0;
	for (i = 0; i < n; i++) {
		memcpy(&l, lens + 2 * i, sizeof(l));
		if (off + l > ev->len)
			break;
		ptr[i] = (const unsigned char *)ev + off;
		len[i] = l;
		off += l;
	}
	return i;
}

/* A @size-byte number (2, 4 or 8) at @p, sign-extended if @sign; false if
 * @len is not @size. */
static inline bool kcap__read_num(const void *p, __u16 len, unsigned int size, bool sign, __u64 *v)
{
	__u16 v16;
	__u32 v32;

	if (len != size)
		return false;
	switch (size) {
	case 2:
		memcpy(&v16, p, 2);
		*v = sign ? (__u64)(__s64)(__s16)v16 : v16;
		return true;
	case 4:
		memcpy(&v32, p, 4);
		*v = sign ? (__u64)(__s64)(__s32)v32 : v32;
		return true;
	case 8:
		memcpy(v, p, 8);
		return true;
	default:
		return false;
	}
}

/* A generic syscall's parameter @name: its index in @ev, or -ENOENT. */
KCAP_HIDDEN int kcap__generic_idx(const struct kcap_event_hdr *ev, const char *name);

/* The result (parameter 0) of a decoded event described by @d. */
KCAP_HIDDEN int kcap__read_res(const struct kcap_event_hdr *ev, const struct kcap_event_desc *d,
			       __s64 *res);

/* A KCAP_PT_SOCKADDR parameter's bytes; -ENODATA if empty. */
KCAP_HIDDEN int kcap__parse_sockaddr(const unsigned char *p, __u16 len, struct kcap_sockaddr *sa);

#endif /* KCAP_EVENT_H */
