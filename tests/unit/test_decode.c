// SPDX-License-Identifier: Apache-2.0
/*
 * Decoded syscall events (userspace/lib/decode.c, decode_names.c): the text
 * form of each parameter type on hand-built event bytes, malformed lengths,
 * truncation and fault flags, socket addresses of every family, argv
 * iteration, and the ia32 interest mapping (syscalls.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "format/format.h"
#include "unit.h"

/* An event built in memory: header, lengths, parameter bytes. */
struct evbuf {
	union {
		struct kcap_event_hdr hdr;
		unsigned char bytes[4096];
	};
	char line[1024];
};

struct dp {
	const void *p;
	int len; /* -1: strlen(p) */
};

static const struct kcap_event_hdr *build(struct evbuf *b, __u16 type, __u16 flags, unsigned int n,
					  const struct dp *ps)
{
	unsigned char *lens = b->bytes + sizeof(b->hdr), *data = lens + 2 * n;
	unsigned int i;

	memset(b, 0, sizeof(*b));
	b->hdr = (struct kcap_event_hdr){ .ts_ns = 12000000100ULL, .tid = 43, .pid = 42,
					  .type = type, .nparams = (__u16)n, .cpu = 1,
					  .flags = flags };
	for (i = 0; i < n; i++) {
		__u16 l = (__u16)(ps[i].len < 0 ? strlen(ps[i].p) : (size_t)ps[i].len);

		memcpy(lens + 2 * i, &l, 2);
		memcpy(data, ps[i].p, l);
		data += l;
	}
	b->hdr.len = (__u32)(data - b->bytes);
	return &b->hdr;
}

/* Formats and returns the part after "pid=42 tid=43 ". */
static const char *fmt(struct evbuf *b)
{
	static const char head[] = "12.000000100 cpu=1 pid=42 tid=43 ";
	int n = kcap_event_format(NULL, &b->hdr, b->line, sizeof(b->line));

	assert_int_equal(n, (int)strlen(b->line));
	assert_memory_equal(b->line, head, sizeof(head) - 1);
	return b->line + sizeof(head) - 1;
}

#define S64(v) (&(const __s64){ (v) }), 8
#define U32(v) (&(const __u32){ (v) }), 4
#define S32(v) (&(const __s32){ (v) }), 4
#define U64(v) (&(const __u64){ (v) }), 8
#define STR(s) (s), -1

static void test_openat(void **state)
{
	struct evbuf b;
	const struct kcap_event_hdr *ev;
	struct dp p[6] = { { S64(3) },	       { S64(-100) },	   { STR("/tmp/x") },
			   { U32(0x241) },     { U32(0644) },	   { STR("/tmp/x") } };
	__s64 res;

	(void)state;
	ev = build(&b, KCAP_EVT_OPENAT, 0, 6, p);
	assert_string_equal(fmt(&b), "openat(dirfd=AT_FDCWD, name=\"/tmp/x\", "
				     "flags=O_WRONLY|O_CREAT|O_TRUNC, mode=0644, path=\"/tmp/x\") = 3");
	assert_int_equal(kcap_event_res(ev, &res), 0);
	assert_int_equal(res, 3);

	/* A failed call: errno name, empty resolved path. */
	p[0] = (struct dp){ S64(-2) };
	p[1] = (struct dp){ S64(7) };
	p[3] = (struct dp){ U32(02000000 | 0200000 | 0100000) };
	p[4] = (struct dp){ U32(0) };
	p[5] = (struct dp){ "", 0 };
	build(&b, KCAP_EVT_OPENAT, 0, 6, p);
	assert_string_equal(fmt(&b), "openat(dirfd=7, name=\"/tmp/x\", "
				     "flags=O_RDONLY|O_LARGEFILE|O_DIRECTORY|O_CLOEXEC, mode=0, "
				     "path=\"\") = -2 ENOENT");

	/* A faulting name pointer: empty name, the fault flag. */
	p[0] = (struct dp){ S64(-14) };
	p[1] = (struct dp){ S64(-100) };
	p[2] = (struct dp){ "", 0 };
	p[3] = (struct dp){ U32(2 | 0x40000000) };
	build(&b, KCAP_EVT_OPENAT, KCAP_EVF_FAULT, 6, p);
	assert_string_equal(fmt(&b), "openat(dirfd=AT_FDCWD, name=\"\", flags=O_RDWR|0x40000000, "
				     "mode=0, path=\"\") = -14 EFAULT flags=fault");
}

static void test_bad_lengths(void **state)
{
	struct evbuf b;
	const struct kcap_event_hdr *ev;
	struct dp p[6] = { { "abc", 3 }, { U32(5) }, { STR("n") },
			   { U64(1) },	 { "", 0 },  { STR("p") } };
	__s64 res;

	(void)state;
	ev = build(&b, KCAP_EVT_OPENAT, KCAP_EVF_COMPAT, 6, p);
	assert_string_equal(fmt(&b), "openat(dirfd=<bad len 4>, name=\"n\", flags=<bad len 8>, "
				     "mode=<bad len 0>, path=\"p\") = <bad len 3> flags=compat");
	assert_int_equal(kcap_event_res(ev, &res), -EMSGSIZE);

	/* Fewer parameters than the table, and more. */
	build(&b, KCAP_EVT_CLOSE, 0, 1, p);
	assert_string_equal(fmt(&b), "close() = <bad len 3>");
	p[0] = (struct dp){ S64(0) };
	p[1] = (struct dp){ S64(4) };
	p[2] = (struct dp){ "\x01\xff", 2 };
	build(&b, KCAP_EVT_CLOSE, 0, 3, p);
	assert_string_equal(fmt(&b), "close(fd=4, p2=\"\\x01\\xff\") = 0");

	/* Lengths that run past the record: nothing is read out of bounds. */
	build(&b, KCAP_EVT_CLOSE, 0, 2, p);
	b.hdr.len -= 4;
	assert_string_equal(fmt(&b), "close(fd=?) = 0");
	b.hdr.nparams = 2000; /* lengths alone would run past the record */
	assert_true(kcap_event_format(NULL, &b.hdr, b.line, sizeof(b.line)) > 0);
	assert_non_null(strstr(b.line, "close(fd=?, p2=?, p3=?, "));
}

static void test_data_and_truncation(void **state)
{
	struct evbuf b;
	struct dp p[4] = { { S64(5) }, { S64(3) }, { U64(100) }, { "ab\n\x7f\"\\", 6 } };

	(void)state;
	/* read: 5 bytes read but 6 kept is still printed as kept. */
	build(&b, KCAP_EVT_READ, 0, 4, p);
	assert_string_equal(fmt(&b), "read(fd=3, size=100, data=\"ab\\x0a\\x7f\\\"\\\\\") = 5");
	/* read: 100 bytes read, 6 kept (snaplen): cut. */
	p[0] = (struct dp){ S64(100) };
	build(&b, KCAP_EVT_READ, KCAP_EVF_TRUNCATED, 4, p);
	assert_string_equal(fmt(&b), "read(fd=3, size=100, data=\"ab\\x0a\\x7f\\\"\\\\\"...) = 100 "
				     "flags=truncated");
	/* a failed read has no data */
	p[0] = (struct dp){ S64(-9) };
	p[3] = (struct dp){ "", 0 };
	build(&b, KCAP_EVT_READ, 0, 4, p);
	assert_string_equal(fmt(&b), "read(fd=3, size=100, data=\"\") = -9 EBADF");
	/* write: size from the argument */
	p[0] = (struct dp){ S64(3) };
	p[2] = (struct dp){ U64(3) };
	p[3] = (struct dp){ "xyz", 3 };
	build(&b, KCAP_EVT_WRITE, 0, 4, p);
	assert_string_equal(fmt(&b), "write(fd=3, size=3, data=\"xyz\") = 3");
	p[2] = (struct dp){ U64(4096) };
	build(&b, KCAP_EVT_WRITE, KCAP_EVF_TRUNCATED, 4, p);
	assert_string_equal(fmt(&b), "write(fd=3, size=4096, data=\"xyz\"...) = 3 flags=truncated");
}

static void test_strings_truncated_and_argv(void **state)
{
	static const char argv[] = "/bin/echo\0hello world\0\x01";
	struct evbuf b;
	struct dp p[14] = {
		{ S64(0) },	      { STR("/bin/echo") }, { argv, sizeof(argv) - 1 },
		{ STR("/tmp") },      { STR("/bin/echo") }, { STR("echo") },
		{ U32(1000) },	      { U32(1000) },	    { U32(0) },
		{ U32(4294967295u) }, { U32(0x8801) },	    { U32(7) },
		{ U32(7) },	      { STR("/user.slice") },
	};
	const struct kcap_event_hdr *ev;
	struct kcap_strarray it;
	const char *s;
	size_t n;
	int k = 0, last = 0;

	(void)state;
	/* The last string misses its NUL: cut. */
	ev = build(&b, KCAP_EVT_EXECVE, KCAP_EVF_TRUNCATED, 14, p);
	assert_string_equal(fmt(&b), "execve(filename=\"/bin/echo\"..., argv=[\"/bin/echo\", "
				     "\"hello world\", \"\\x01\"...], cwd=\"/tmp\"..., exe=\"/bin/echo\"..., "
				     "comm=\"echo\"..., uid=1000, gid=1000, euid=0, "
				     "loginuid=4294967295, tty=34817, vpid=7, vtid=7, "
				     "cgroup=\"/user.slice\"...) = 0 flags=truncated");
	assert_int_equal(kcap_event_strarray(ev, 2, &it), 0);
	kcap_strarray_for_each(&it, s, n)
	{
		if (k == 0)
			assert_memory_equal(s, "/bin/echo", n);
		if (k == 1)
			assert_memory_equal(s, "hello world", n);
		k++;
	}
	assert_int_equal(k, 3);
	assert_int_equal(kcap_event_strarray(ev, 2, &it), 0);
	while ((k = kcap_strarray_next(&it, &s, &n)) > 0)
		last = k;
	assert_int_equal(last, 2);

	/* Complete argv, no flag: no marks. */
	p[2] = (struct dp){ argv, sizeof(argv) - 2 };
	ev = build(&b, KCAP_EVT_EXECVE, 0, 14, p);
	assert_non_null(strstr(fmt(&b), "argv=[\"/bin/echo\", \"hello world\"], cwd=\"/tmp\", "));
	assert_int_equal(kcap_event_strarray(ev, 2, &it), 0);
	assert_int_equal(kcap_strarray_next(&it, &s, &n), 1);
	assert_int_equal(kcap_strarray_next(&it, &s, &n), 1);
	assert_int_equal(kcap_strarray_next(&it, &s, &n), 0);
	/* Empty argv (a fault). */
	p[2] = (struct dp){ "", 0 };
	ev = build(&b, KCAP_EVT_EXECVE, KCAP_EVF_FAULT, 14, p);
	assert_non_null(strstr(fmt(&b), "argv=[], "));
	assert_int_equal(kcap_event_strarray(ev, 2, &it), 0);
	assert_int_equal(kcap_strarray_next(&it, &s, &n), 0);
	assert_int_equal(kcap_event_strarray(ev, 99, &it), -ERANGE);
}

static const struct kcap_event_hdr *connect_ev(struct evbuf *b, const void *sa, int len)
{
	struct dp p[3] = { { S64(0) }, { S64(5) }, { sa, len } };

	return build(b, KCAP_EVT_CONNECT, 0, 3, p);
}

static void test_sockaddr(void **state)
{
	struct evbuf b;
	struct kcap_sockaddr sa;
	const struct kcap_event_hdr *ev;
	unsigned char in4[16] = { 2, 0, 0x1f, 0x90, 127, 0, 0, 1 };
	unsigned char in6[28] = { 10, 0, 0x1f, 0x91 };
	unsigned char un[2 + 12] = { 1, 0, '/', 't', 'm', 'p', '/', 's', '"', 0, 'x' };
	unsigned char abs[2 + 5] = { 1, 0, 0, 'a', 0, 'b', '\n' };
	unsigned char nl[12] = { 16, 0 };
	char text[64];

	(void)state;
	ev = connect_ev(&b, in4, sizeof(in4));
	assert_string_equal(fmt(&b), "connect(fd=5, addr=127.0.0.1:8080) = 0");
	assert_int_equal(kcap_event_sockaddr(ev, 2, &sa), 0);
	assert_int_equal(sa.family, AF_INET);
	assert_int_equal(sa.port, 8080);
	assert_memory_equal(sa.addr, "\x7f\0\0\x01", 4);
	assert_int_equal(kcap_sockaddr_format(&sa, text, sizeof(text)), 14);
	assert_string_equal(text, "127.0.0.1:8080");
	connect_ev(&b, in4, 7);
	assert_string_equal(fmt(&b), "connect(fd=5, addr=<bad len 7>) = 0");

	in6[8 + 15] = 1;
	ev = connect_ev(&b, in6, sizeof(in6));
	assert_string_equal(fmt(&b), "connect(fd=5, addr=[::1]:8081) = 0");
	assert_int_equal(kcap_event_sockaddr(ev, 2, &sa), 0);
	assert_int_equal(sa.family, AF_INET6);
	assert_int_equal(sa.port, 8081);
	in6[24] = 3;
	connect_ev(&b, in6, sizeof(in6));
	assert_string_equal(fmt(&b), "connect(fd=5, addr=[::1%3]:8081) = 0");
	connect_ev(&b, in6, 24);
	assert_string_equal(fmt(&b), "connect(fd=5, addr=[::1]:8081) = 0");
	connect_ev(&b, in6, 23);
	assert_string_equal(fmt(&b), "connect(fd=5, addr=<bad len 23>) = 0");

	ev = connect_ev(&b, un, sizeof(un));
	assert_string_equal(fmt(&b), "connect(fd=5, addr=\"/tmp/s\\\"\") = 0");
	assert_int_equal(kcap_event_sockaddr(ev, 2, &sa), 0);
	assert_int_equal(sa.family, AF_UNIX);
	assert_int_equal(sa.abstract, 0);
	assert_string_equal(sa.path, "/tmp/s\"");
	ev = connect_ev(&b, abs, sizeof(abs));
	assert_string_equal(fmt(&b), "connect(fd=5, addr=\"@a\\x00b\\x0a\") = 0");
	assert_int_equal(kcap_event_sockaddr(ev, 2, &sa), 0);
	assert_int_equal(sa.abstract, 1);
	assert_int_equal(sa.path_len, 4);
	assert_memory_equal(sa.path, "a\0b\n", 4);
	connect_ev(&b, un, 2);
	assert_string_equal(fmt(&b), "connect(fd=5, addr=\"\") = 0");
	{
		unsigned char big[2 + 120] = { 1, 0, '/' };

		ev = connect_ev(&b, big, sizeof(big));
		assert_string_equal(fmt(&b), "connect(fd=5, addr=<bad len 122>) = 0");
		assert_int_equal(kcap_event_sockaddr(ev, 2, &sa), -EBADMSG);
	}

	ev = connect_ev(&b, nl, sizeof(nl));
	assert_string_equal(fmt(&b), "connect(fd=5, addr={family=AF_NETLINK}) = 0");
	assert_int_equal(kcap_event_sockaddr(ev, 2, &sa), -EAFNOSUPPORT);
	assert_int_equal(sa.family, 16);
	nl[0] = 200;
	connect_ev(&b, nl, sizeof(nl));
	assert_string_equal(fmt(&b), "connect(fd=5, addr={family=200}) = 0");
	ev = connect_ev(&b, "", 0);
	assert_string_equal(fmt(&b), "connect(fd=5, addr=NULL) = 0");
	assert_int_equal(kcap_event_sockaddr(ev, 2, &sa), -ENODATA);
	ev = connect_ev(&b, in4, 1);
	assert_string_equal(fmt(&b), "connect(fd=5, addr=<bad len 1>) = 0");
	assert_int_equal(kcap_event_sockaddr(ev, 2, &sa), -EBADMSG);
	assert_int_equal(kcap_event_sockaddr(ev, 3, &sa), -ERANGE);
}

static void test_symbols(void **state)
{
	struct evbuf b;
	const struct kcap_event_hdr *ev;
	__s32 fds[2] = { 3, 4 };
	__s64 res;

	(void)state;
	{
		struct dp p[7] = { { S64(0x7f0000001000) }, { U64(0) },	     { U64(4096) },
				   { U32(5) },		    { U32(0x22) },    { S64(-1) },
				   { U64(0) } };

		build(&b, KCAP_EVT_MMAP, 0, 7, p);
		assert_string_equal(fmt(&b), "mmap(addr=0x0, length=4096, prot=PROT_READ|PROT_EXEC, "
					     "flags=MAP_PRIVATE|MAP_ANONYMOUS, fd=-1, offset=0) = "
					     "0x7f0000001000");
		p[0] = (struct dp){ S64(-12) };
		p[3] = (struct dp){ U32(0) };
		p[4] = (struct dp){ U32(0x100000 | 0x1 | 0x400000) };
		build(&b, KCAP_EVT_MMAP, 0, 7, p);
		assert_non_null(strstr(fmt(&b), "prot=PROT_NONE, flags=MAP_SHARED|"
						"MAP_FIXED_NOREPLACE|0x400000, fd=-1, offset=0) = "
						"-12 ENOMEM"));
	}
	{
		struct dp p[2] = { { S64(1234) }, { U64(0x1200000 | 17) } };

		ev = build(&b, KCAP_EVT_CLONE, 0, 2, p);
		assert_string_equal(fmt(&b), "clone(flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|"
					     "SIGCHLD) = 1234");
		assert_int_equal(kcap_event_res(ev, &res), 0);
		assert_int_equal(res, 1234);
		p[0] = (struct dp){ U32((__u32)-11) }; /* a 4-byte result is signed too */
		ev = build(&b, KCAP_EVT_CLONE, 0, 2, p);
		assert_non_null(strstr(fmt(&b), ") = <bad len 4>"));
		assert_int_equal(kcap_event_res(ev, &res), 0);
		assert_int_equal(res, -11);
	}
	{
		struct dp p[2] = { { S64(-1) }, { U64(0x10000000 | 0x80) } };

		build(&b, KCAP_EVT_UNSHARE, 0, 2, p);
		assert_string_equal(fmt(&b), "unshare(flags=CLONE_NEWUSER|CLONE_NEWTIME) = -1 EPERM");
		p[1] = (struct dp){ U64(0) };
		build(&b, KCAP_EVT_UNSHARE, 0, 2, p);
		assert_string_equal(fmt(&b), "unshare(flags=0x0) = -1 EPERM");
	}
	{
		struct dp p[5] = { { S64(0) }, { U32(1) }, { U32(1 | 02000000) }, { U32(0) },
				   { fds, 8 } };

		build(&b, KCAP_EVT_SOCKETPAIR, 0, 5, p);
		assert_string_equal(fmt(&b), "socketpair(domain=AF_UNIX, type=SOCK_STREAM|SOCK_CLOEXEC, "
					     "protocol=0, fds=[3, 4]) = 0");
		p[4] = (struct dp){ fds, 5 };
		build(&b, KCAP_EVT_SOCKETPAIR, 0, 5, p);
		assert_non_null(strstr(fmt(&b), "fds=<bad len 5>) = 0"));
	}
	{
		struct dp p[4] = { { S64(6) }, { U32(10) }, { U32(2 | 04000) }, { U32(17) } };

		build(&b, KCAP_EVT_SOCKET, 0, 4, p);
		assert_string_equal(fmt(&b), "socket(domain=AF_INET6, type=SOCK_DGRAM|SOCK_NONBLOCK, "
					     "protocol=17) = 6");
	}
	{
		struct dp p[3] = { { S64(0) }, { S32(77) }, { U32(9) } };

		build(&b, KCAP_EVT_KILL, 0, 3, p);
		assert_string_equal(fmt(&b), "kill(pid=77, sig=SIGKILL) = 0");
		p[2] = (struct dp){ U32(0) };
		build(&b, KCAP_EVT_KILL, 0, 3, p);
		assert_string_equal(fmt(&b), "kill(pid=77, sig=0) = 0");
	}
	{
		struct dp p[4] = { { S64(0) }, { U32(15) }, { U64(0x1000) }, { U64(0) } };

		build(&b, KCAP_EVT_PRCTL, 0, 4, p);
		assert_string_equal(fmt(&b), "prctl(option=PR_SET_NAME, arg2=0x1000, arg3=0x0) = 0");
	}
	{
		struct dp p[4] = { { S64(0) }, { S64(-100) }, { STR("d") }, { U32(0x200) } };

		build(&b, KCAP_EVT_UNLINKAT, 0, 4, p);
		assert_string_equal(fmt(&b), "unlinkat(dirfd=AT_FDCWD, path=\"d\", flags=AT_REMOVEDIR) = 0");
	}
	{
		struct dp p[4] = { { S64(9) }, { S64(3) }, { U32(1030) }, { U64(9) } };

		build(&b, KCAP_EVT_FCNTL, 0, 4, p);
		assert_string_equal(fmt(&b), "fcntl(fd=3, cmd=F_DUPFD_CLOEXEC, arg=0x9) = 9");
		p[2] = (struct dp){ U32(5000) };
		build(&b, KCAP_EVT_FCNTL, 0, 4, p);
		assert_string_equal(fmt(&b), "fcntl(fd=3, cmd=0x1388, arg=0x9) = 9");
	}
	{
		struct dp p[3] = { { S64(4) }, { STR("kcap\x01") }, { U32(1) } };

		build(&b, KCAP_EVT_MEMFD_CREATE, 0, 3, p);
		assert_string_equal(fmt(&b), "memfd_create(name=\"kcap\\x01\", flags=MFD_CLOEXEC) = 4");
	}
}

static bool bit(const __u64 *bits, int nr)
{
	return nr >= 0 && (bits[nr / 64] >> (nr % 64)) & 1;
}

static void test_ia32_interest(void **state)
{
	static const char *const chosen[] = { "chown", "setuid", "fcntl", "openat", "mmap",
					      "truncate", "write" };
	__u64 exit_bits[KCAP_SYSCALL_WORDS] = { 0 }, ia32[KCAP_SYSCALL_WORDS] = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(chosen) / sizeof(chosen[0]); i++) {
		int nr = kcap_syscall_nr(chosen[i], KCAP_SC_X86_64);

		assert_true(nr >= 0);
		exit_bits[nr / 64] |= 1ULL << (nr % 64);
	}
	kcap__ia32_interest(exit_bits, ia32);
	assert_true(bit(ia32, 182)); /* chown */
	assert_true(bit(ia32, 212)); /* chown32 */
	assert_true(bit(ia32, 23)); /* setuid */
	assert_true(bit(ia32, 213)); /* setuid32 */
	assert_true(bit(ia32, 55)); /* fcntl */
	assert_true(bit(ia32, 221)); /* fcntl64 */
	assert_true(bit(ia32, 295)); /* openat */
	assert_true(bit(ia32, 90)); /* mmap */
	assert_true(bit(ia32, 192)); /* mmap2 */
	assert_true(bit(ia32, 92)); /* truncate */
	assert_true(bit(ia32, 193)); /* truncate64 */
	assert_true(bit(ia32, 4)); /* write */
	assert_false(bit(ia32, 3)); /* read */
	assert_false(bit(ia32, 20)); /* getpid */
	assert_false(bit(ia32, 5)); /* open */
	{
		int n = 0;

		for (i = 0; i < KCAP_SYSCALL_MAX; i++)
			n += bit(ia32, (int)i);
		assert_int_equal(n, 12);
	}
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_openat),
	cmocka_unit_test(test_bad_lengths),
	cmocka_unit_test(test_data_and_truncation),
	cmocka_unit_test(test_strings_truncated_and_argv),
	cmocka_unit_test(test_sockaddr),
	cmocka_unit_test(test_symbols),
	cmocka_unit_test(test_ia32_interest),
};

UNIT_GROUP(decode, tests)
