// SPDX-License-Identifier: Apache-2.0
/*
 * Appenders of the text formatters' output cursor (out.h): numbers are
 * written backwards into a small array, then copied once; strings are copied
 * in runs of bytes that need no escape.
 */
#include <arpa/inet.h>
#include <sys/socket.h>

#include "format/out.h"

static char hex_digit(unsigned int v)
{
	return "0123456789abcdef"[v & 15];
}

void kcap__put_mem_truncated(struct kcap__out *o, const void *p, size_t n)
{
	if (o->pos < o->len) {
		/* Keep the last byte of the buffer for the NUL. */
		size_t k = o->len - 1 - o->pos;

		if (k > n)
			k = n;
		if (k)
			memcpy(o->buf + o->pos, p, k);
		o->buf[o->pos + k] = '\0';
	}
	o->pos += n;
}

/* "00" to "99": two digits per division (a pid, a timestamp's nine
 * fraction digits: four divisions instead of nine). */
static const char digits2[] = "00010203040506070809101112131415161718192021222324252627282930"
			      "31323334353637383940414243444546474849505152535455565758596061"
			      "62636465666768697071727374757677787980818283848586878889909192"
			      "93949596979899";

/* @v in decimal, its last digit just before @end; returns its first. */
static inline char *dec_u64(char *end, __u64 v)
{
	while (v >= 100) {
		unsigned int r = (unsigned int)(v % 100);

		v /= 100;
		end -= 2;
		memcpy(end, digits2 + 2 * r, 2);
	}
	if (v >= 10) {
		end -= 2;
		memcpy(end, digits2 + 2 * v, 2);
	} else {
		*--end = (char)('0' + v);
	}
	return end;
}

void kcap__put_u64(struct kcap__out *o, __u64 v)
{
	char d[20]; /* 18446744073709551615 */
	char *p;

	/* short numbers (a pid, a CPU) straight into the buffer when they fit */
	if (v < 100000 && o->pos + 6 < o->len) {
		unsigned int n = v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : 5;

		dec_u64(o->buf + o->pos + n, v);
		o->pos += n;
		o->buf[o->pos] = '\0';
		return;
	}
	p = dec_u64(d + sizeof(d), v);
	kcap__put_mem(o, p, (size_t)(d + sizeof(d) - p));
}

void kcap__put_ip(struct kcap__out *o, unsigned int family, const __u8 *addr)
{
	char ip[INET6_ADDRSTRLEN], *p = ip;
	int i;

	if (family != AF_INET) {
		if (!inet_ntop(AF_INET6, addr, ip, sizeof(ip)))
			ip[0] = '\0';
		kcap__put_str(o, ip);
		return;
	}
	for (i = 0; i < 4; i++) {
		unsigned int v = addr[i];

		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
		*p++ = '.';
	}
	kcap__put_mem(o, ip, (size_t)(p - ip - 1));
}

void kcap__put_s64(struct kcap__out *o, __s64 v)
{
	if (v < 0) {
		kcap__put_char(o, '-');
		/* Negated as unsigned: INT64_MIN has no positive s64. */
		kcap__put_u64(o, 0 - (__u64)v);
		return;
	}
	kcap__put_u64(o, (__u64)v);
}

void kcap__put_hex(struct kcap__out *o, __u64 v)
{
	char d[16];
	size_t i = sizeof(d);

	do {
		d[--i] = hex_digit((unsigned int)v);
		v >>= 4;
	} while (v);
	kcap__put_mem(o, d + i, sizeof(d) - i);
}

void kcap__put_oct(struct kcap__out *o, __u64 v)
{
	char d[22]; /* 1777777777777777777777 */
	size_t i = sizeof(d);

	do {
		d[--i] = (char)('0' + (v & 7));
		v >>= 3;
	} while (v);
	kcap__put_mem(o, d + i, sizeof(d) - i);
}

void kcap__put_ts(struct kcap__out *o, __u64 ns)
{
	char d[30]; /* "18446744073.709551615" */
	__u32 frac = (__u32)(ns % 1000000000ULL), r;
	char *p;

	/* seconds, '.', then nine fraction digits: one, then four pairs */
	d[20] = '.';
	d[21] = (char)('0' + frac / 100000000u);
	r = frac % 100000000u;
	memcpy(d + 22, digits2 + 2 * (r / 1000000u), 2);
	memcpy(d + 24, digits2 + 2 * (r / 10000u % 100u), 2);
	memcpy(d + 26, digits2 + 2 * (r / 100u % 100u), 2);
	memcpy(d + 28, digits2 + 2 * (r % 100u), 2);
	p = dec_u64(d + 20, ns / 1000000000ULL);
	kcap__put_mem(o, p, (size_t)(d + sizeof(d) - p));
}

static bool needs_escape(unsigned char c)
{
	return c < 0x20 || c >= 0x7f || c == '"' || c == '\\';
}

void kcap__put_escaped(struct kcap__out *o, const unsigned char *p, size_t n)
{
	size_t i = 0, run;

	while (i < n) {
		for (run = i; run < n && !needs_escape(p[run]); run++)
			;
		kcap__put_mem(o, p + i, run - i);
		if (run == n)
			return;
		if (p[run] == '"' || p[run] == '\\') {
			char e[2] = {'\\', (char)p[run]};

			kcap__put_mem(o, e, sizeof(e));
		} else {
			char e[4] = {'\\', 'x', hex_digit(p[run] >> 4), hex_digit(p[run])};

			kcap__put_mem(o, e, sizeof(e));
		}
		i = run + 1;
	}
}

void kcap__put_hexbytes(struct kcap__out *o, const unsigned char *p, size_t n)
{
	char d[64];
	size_t i, k;

	while (n) {
		k = n < sizeof(d) / 2 ? n : sizeof(d) / 2;
		for (i = 0; i < k; i++) {
			d[2 * i] = hex_digit(p[i] >> 4);
			d[2 * i + 1] = hex_digit(p[i]);
		}
		kcap__put_mem(o, d, 2 * k);
		p += k;
		n -= k;
	}
}

void kcap__put_errno(struct kcap__out *o, __s64 v)
{
	const char *name = NULL;

	if (v < 0 && v >= -4095)
		name = strerrorname_np((int)-v);
	kcap__put_s64(o, v);
	if (name) {
		kcap__put_char(o, ' ');
		kcap__put_str(o, name);
	}
}
