// SPDX-License-Identifier: Apache-2.0
/*
 * The formatters' output cursor and appenders (userspace/lib/out.c, out.h):
 * each appender against snprintf() at the extremes of its range, the
 * snprintf() contract at every buffer length (count, prefix, NUL, nothing
 * written past the end), and kcap_event_format() cut at every length.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "format/format.h"
#include "unit.h"

#define GUARD 0x5a
#define MAXLEN 512

/* Fills @buf with the guard byte and returns a cursor over its first @len bytes. */
static struct kcap__out cursor(char *buf, size_t len)
{
	memset(buf, GUARD, MAXLEN + 16);
	return (struct kcap__out){ .buf = len ? buf : NULL, .len = len };
}

/* Checks the snprintf() contract of a cursor of @len bytes that wrote @want. */
static void assert_contract(const char *buf, size_t len, size_t pos, const char *want)
{
	size_t n = strlen(want), kept = n < len ? n : len - 1, i;

	assert_int_equal(pos, n);
	if (len) {
		assert_memory_equal(buf, want, kept);
		assert_int_equal(buf[kept], '\0');
	}
	for (i = len; i < MAXLEN + 16; i++)
		assert_int_equal((unsigned char)buf[i], GUARD);
}

static void test_numbers(void **state)
{
	static const __u64 u[] = { 0, 1, 7, 8, 9, 10, 15, 16, 99, 100, 4095, 0x7fffffff, 0x80000000,
				   0xffffffff, 0x100000000ULL, 999999999999999999ULL,
				   1000000000000000000ULL, INT64_MAX, (__u64)INT64_MAX + 1, UINT64_MAX };
	static const __s64 s[] = { 0, 1, -1, 9, -9, 10, -10, -100, -4095, INT32_MIN, INT32_MAX,
				   INT64_MAX, INT64_MIN, INT64_MIN + 1 };
	char buf[MAXLEN + 16], want[64];
	struct kcap__out o;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		o = cursor(buf, MAXLEN);
		kcap__put_u64(&o, u[i]);
		snprintf(want, sizeof(want), "%" PRIu64, (uint64_t)u[i]);
		assert_contract(buf, MAXLEN, o.pos, want);

		o = cursor(buf, MAXLEN);
		kcap__put_hex(&o, u[i]);
		snprintf(want, sizeof(want), "%" PRIx64, (uint64_t)u[i]);
		assert_contract(buf, MAXLEN, o.pos, want);

		o = cursor(buf, MAXLEN);
		kcap__put_oct(&o, u[i]);
		snprintf(want, sizeof(want), "%" PRIo64, (uint64_t)u[i]);
		assert_contract(buf, MAXLEN, o.pos, want);

		o = cursor(buf, MAXLEN);
		kcap__put_ts(&o, u[i]);
		snprintf(want, sizeof(want), "%" PRIu64 ".%09" PRIu64, (uint64_t)u[i] / 1000000000,
			 (uint64_t)u[i] % 1000000000);
		assert_contract(buf, MAXLEN, o.pos, want);
	}
	/* the two-digit writer: both sides of every power of ten, and a
	 * pseudo-random sweep, against printf */
	{
		__u64 p10 = 1, x = 0x9e3779b97f4a7c15ULL, v;
		unsigned int k;

		for (k = 0; k < 20 + 4000; k++) {
			if (k < 20) {
				v = p10 - 1 + (k & 1) * 2; /* 10^n - 1 and 10^n + 1 */
				p10 *= 10;
			} else {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				v = x >> (k % 64);
			}
			o = cursor(buf, MAXLEN);
			kcap__put_u64(&o, v);
			snprintf(want, sizeof(want), "%" PRIu64, (uint64_t)v);
			assert_contract(buf, MAXLEN, o.pos, want);
			o = cursor(buf, MAXLEN);
			kcap__put_ts(&o, v);
			snprintf(want, sizeof(want), "%" PRIu64 ".%09" PRIu64, (uint64_t)v / 1000000000,
				 (uint64_t)v % 1000000000);
			assert_contract(buf, MAXLEN, o.pos, want);
		}
	}
	for (i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		o = cursor(buf, MAXLEN);
		kcap__put_s64(&o, s[i]);
		snprintf(want, sizeof(want), "%" PRId64, (int64_t)s[i]);
		assert_contract(buf, MAXLEN, o.pos, want);
	}
}

static void test_strings(void **state)
{
	static const unsigned char raw[] = { 'a', '"', 'b', '\\', 0, 0x1f, ' ', '~', 0x7f, 0x80, 0xff };
	unsigned char many[100];
	char buf[MAXLEN + 16], want[MAXLEN];
	struct kcap__out o;
	size_t i;

	(void)state;
	o = cursor(buf, MAXLEN);
	kcap__put_escaped(&o, raw, sizeof(raw));
	assert_contract(buf, MAXLEN, o.pos, "a\\\"b\\\\\\x00\\x1f ~\\x7f\\x80\\xff");

	o = cursor(buf, MAXLEN);
	kcap__put_escaped(&o, raw, 0);
	kcap__put_str(&o, "");
	kcap__put_mem(&o, "x", 0);
	assert_contract(buf, MAXLEN, o.pos, "");

	/* More bytes than the hex appender converts at a time. */
	for (i = 0; i < sizeof(many); i++)
		many[i] = (unsigned char)(i * 7);
	o = cursor(buf, MAXLEN);
	kcap__put_hexbytes(&o, many, sizeof(many));
	for (i = 0; i < sizeof(many); i++)
		snprintf(want + 2 * i, 3, "%02x", many[i]);
	assert_contract(buf, MAXLEN, o.pos, want);

	o = cursor(buf, MAXLEN);
	kcap__put_char(&o, 'c');
	kcap__put_str(&o, "str");
	kcap__put_mem(&o, "memory", 3);
	assert_contract(buf, MAXLEN, o.pos, "cstrmem");
}

/* One of every appender, written into a cursor of @len bytes. */
static size_t put_all(char *buf, size_t len)
{
	static const unsigned char s[] = "q\"\\\x01z";
	struct kcap__out o = cursor(buf, len);

	kcap__put_ts(&o, 1234567890123ULL);
	kcap__put_char(&o, ' ');
	kcap__put_s64(&o, INT64_MIN);
	kcap__put_str(&o, " 0x");
	kcap__put_hex(&o, UINT64_MAX);
	kcap__put_str(&o, " 0");
	kcap__put_oct(&o, 0755);
	kcap__put_char(&o, ' ');
	kcap__put_u64(&o, 0);
	kcap__put_mem(&o, " \"", 2);
	kcap__put_escaped(&o, s, sizeof(s) - 1);
	kcap__put_str(&o, "\" ");
	kcap__put_hexbytes(&o, s, sizeof(s) - 1);
	return o.pos;
}

static void test_every_length(void **state)
{
	static const char want[] = "1234.567890123 -9223372036854775808 0xffffffffffffffff 0755 0 "
				   "\"q\\\"\\\\\\x01z\" 71225c017a";
	char buf[MAXLEN + 16];
	size_t len;

	(void)state;
	for (len = 0; len <= sizeof(want) + 1; len++)
		assert_contract(buf, len, put_all(buf, len), want);
}

/* An event built in memory: header, lengths, parameter bytes. */
static const struct kcap_event_hdr *build(unsigned char *b, __u16 type, __u16 flags,
					  unsigned int n, const void *const *p, const __u16 *len)
{
	struct kcap_event_hdr *h = (struct kcap_event_hdr *)b;
	unsigned char *lens = b + sizeof(*h), *data = lens + 2 * n;
	unsigned int i;

	*h = (struct kcap_event_hdr){ .ts_ns = UINT64_MAX, .tid = UINT32_MAX, .pid = 0,
				      .type = type, .nparams = (__u16)n, .cpu = 65535,
				      .flags = flags };
	for (i = 0; i < n; i++) {
		memcpy(lens + 2 * i, &len[i], 2);
		memcpy(data, p[i], len[i]);
		data += len[i];
	}
	h->len = (__u32)(data - b);
	return h;
}

/* kcap_event_format() at every buffer length agrees with its full output. */
static void assert_format_every_length(const struct kcap_event_hdr *ev, const char *want)
{
	char full[MAXLEN], buf[MAXLEN + 16];
	int n = kcap_event_format(NULL, ev, full, sizeof(full));
	size_t len;

	assert_string_equal(full, want);
	assert_int_equal(n, (int)strlen(want));
	for (len = 0; len <= strlen(want) + 1; len++) {
		memset(buf, GUARD, sizeof(buf));
		n = kcap_event_format(NULL, ev, len ? buf : NULL, len);
		assert_contract(buf, len, (size_t)n, want);
	}
}

static void test_format_every_length(void **state)
{
	_Alignas(8) unsigned char b[1024];
	const __s64 res = -2, fd = -100, big = INT64_MIN;
	const __u32 flags = 01101, mode = 0644;
	const __u64 nr_getppid = 64 /* ia32 */, zero = 0, max = UINT64_MAX;
	const char path[] = { '/', 't', '"', '\n' };
	const void *openat[] = { &res, &fd, path, &flags, &mode };
	const __u16 openat_len[] = { 8, 8, 4, 4, 4 };
	const void *sys[] = { &nr_getppid, &max, &zero, &zero, &zero, &zero, &zero, &big };
	const __u16 sys_len[] = { 8, 8, 8, 8, 8, 8, 8, 8 };
	const void *unknown[] = { path, &max };
	const __u16 unknown_len[] = { 4, 8 };

	(void)state;
	assert_format_every_length(
		build(b, KCAP_EVT_OPENAT, KCAP_EVF_TRUNCATED, 5, openat, openat_len),
		"18446744073.709551615 cpu=65535 pid=0 tid=4294967295 openat(dirfd=AT_FDCWD, "
		"name=\"/t\\\"\\x0a\"..., flags=O_WRONLY|O_CREAT|O_TRUNC, mode=0644) = -2 ENOENT "
		"flags=truncated");
	assert_format_every_length(
		build(b, KCAP_EVT_SYSCALL, KCAP_EVF_COMPAT | KCAP_EVF_FAULT, 8, sys, sys_len),
		"18446744073.709551615 cpu=65535 pid=0 tid=4294967295 syscall "
		"getppid(a0=0xffffffffffffffff, a1=0x0, a2=0x0, a3=0x0, a4=0x0, a5=0x0) = "
		"-9223372036854775808 flags=compat,fault");
	assert_format_every_length(build(b, 9999, 0, 2, unknown, unknown_len),
				   "18446744073.709551615 cpu=65535 pid=0 tid=4294967295 "
				   "type_9999(p0=\"/t\\\"\\x0a\", p1=\"\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\")");
}

struct fresh {
	const struct kcap_event_hdr *ev;
	char out[MAXLEN];
};

/* kcap_event_format() in a thread of its own: nothing kept from before. */
static void *format_fresh(void *arg)
{
	struct fresh *f = arg;

	kcap_event_format(NULL, f->ev, f->out, sizeof(f->out));
	return NULL;
}

/*
 * The formatter keeps each parameter's text for the next event of the row
 * (format/decoded.c): a run of openat events whose parameters repeat,
 * change once, change all the time (the result) or are too long to keep
 * formats as a thread that kept nothing does, at every buffer length too;
 * an event cut short (truncated) between them neither uses nor spoils it.
 */
static void test_param_cache(void **state)
{
	static const __s64 fds[] = { -100, 3, 7 }, res[] = { 3, -2, 5, 4 };
	static const __u32 flags[] = { 0, 01101, 02000000 }, modes[] = { 0, 0644 };
	static const char *const names[] = {
		"/etc/passwd", "/tmp/a", "/0123456789/0123456789/0123456789/01234", /* 39 */
		"/0123456789/0123456789/0123456789/0123456", /* 41: not kept */
	};
	_Alignas(8) unsigned char b[1024];
	char full[MAXLEN], buf[MAXLEN + 16];
	unsigned int i;
	size_t len;

	(void)state;
	for (i = 0; i < 300; i++) {
		const char *name = names[(i / 3) % 4];
		const void *p[] = { &res[i % 4], &fds[(i / 7) % 3], name, &flags[(i / 11) % 3],
				    &modes[(i / 2) % 2] };
		const __u16 l[] = { 8, 8, (__u16)strlen(name), 4, 4 };
		const struct kcap_event_hdr *ev =
			build(b, KCAP_EVT_OPENAT, i % 37 == 36 ? KCAP_EVF_TRUNCATED : 0, 5, p, l);
		struct fresh f = { .ev = ev };
		pthread_t t;
		int n = kcap_event_format(NULL, ev, full, sizeof(full));

		assert_true(n > 0 && n < MAXLEN);
		assert_int_equal(pthread_create(&t, NULL, format_fresh, &f), 0);
		assert_int_equal(pthread_join(t, NULL), 0);
		assert_string_equal(full, f.out);
		if (i % 10)
			continue;
		for (len = 0; len <= strlen(full) + 1; len++) {
			memset(buf, GUARD, sizeof(buf));
			n = kcap_event_format(NULL, ev, len ? buf : NULL, len);
			assert_contract(buf, len, (size_t)n, full);
		}
	}
}

/* kcap__put_sym() keeps the last text of each bit-table decoding: the
 * kept text is the text, whatever came between, cut like any other at every
 * length; a text too long to keep (every clone flag) is written whole. */
static void test_sym_cache(void **state)
{
	static const __u64 vals[] = { 0x1200011, 0x3d0f00, 0x1200011, ~0ULL, 0, ~0ULL, 0x3d0f00 };
	char first[sizeof(vals) / sizeof(vals[0])][MAXLEN], buf[MAXLEN + 16];
	struct kcap__out o;
	size_t i, j, len;

	(void)state;
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		o = cursor(buf, MAXLEN);
		kcap__put_sym(&o, KCAP__SYM_CLONE_FLAGS, vals[i]);
		assert_true(o.pos > 0 && o.pos < MAXLEN);
		memcpy(first[i], buf, o.pos + 1);
		for (j = 0; j < i; j++)
			if (vals[j] == vals[i])
				assert_string_equal(first[j], first[i]);
		for (len = 0; len <= strlen(first[i]) + 1; len++) {
			o = cursor(buf, len);
			kcap__put_sym(&o, KCAP__SYM_CLONE_FLAGS, vals[i]);
			assert_contract(buf, len, o.pos, first[i]);
		}
	}
	assert_true(strlen(first[3]) > 118); /* every flag: not kept */
	assert_string_equal(first[0], "CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD");
}

/* kcap__put_ip() against glibc's inet_ntop(): every value of each IPv4
 * byte (in each position), IPv6 forms, and the contract at every length. */
static void test_ip(void **state)
{
	static const __u8 v6[][16] = {
		{ 0 },
		{ [15] = 1 },
		{ 0xfe, 0x80, [15] = 1 },
		{ [10] = 0xff, [11] = 0xff, 192, 168, 1, 2 },
		{ 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6 },
	};
	char buf[MAXLEN + 16], want[INET6_ADDRSTRLEN];
	struct kcap__out o;
	__u8 a[4];
	size_t i, len;
	unsigned int v, pos;

	(void)state;
	for (pos = 0; pos < 4; pos++) {
		for (v = 0; v < 256; v++) {
			a[0] = 10, a[1] = 0, a[2] = 200, a[3] = 7;
			a[pos] = (__u8)v;
			o = cursor(buf, MAXLEN);
			kcap__put_ip(&o, AF_INET, a);
			assert_non_null(inet_ntop(AF_INET, a, want, sizeof(want)));
			assert_contract(buf, MAXLEN, o.pos, want);
		}
	}
	for (i = 0; i < sizeof(v6) / sizeof(v6[0]); i++) {
		o = cursor(buf, MAXLEN);
		kcap__put_ip(&o, AF_INET6, v6[i]);
		assert_non_null(inet_ntop(AF_INET6, v6[i], want, sizeof(want)));
		assert_contract(buf, MAXLEN, o.pos, want);
	}
	a[0] = 255, a[1] = 255, a[2] = 255, a[3] = 255;
	for (len = 0; len < 20; len++) {
		o = cursor(buf, len);
		kcap__put_ip(&o, AF_INET, a);
		assert_contract(buf, len, o.pos, "255.255.255.255");
	}
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_numbers),
	cmocka_unit_test(test_ip),
	cmocka_unit_test(test_sym_cache),
	cmocka_unit_test(test_param_cache),
	cmocka_unit_test(test_strings),
	cmocka_unit_test(test_every_length),
	cmocka_unit_test(test_format_every_length),
};

UNIT_GROUP(out, tests)
