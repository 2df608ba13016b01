// SPDX-License-Identifier: Apache-2.0
/*
 * Event decoding (userspace/lib/event.c, syscalls.c): table lookups, syscall
 * names, parameter getters and the one-line format of every event type.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "producer.h"
#include "unit.h"

struct efix {
	struct tring r;
	struct kcap *h;
	char line[512];
};

static int setup(void **state)
{
	struct efix *f = test_calloc(1, sizeof(*f));
	struct kcap_mem_ring m;
	KCAP_OPTS(kcap_open_opts, o, .holdback_ns = KCAP_HOLDBACK_NONE);

	assert_int_equal(tring_init(&f->r, 64 << 10, 1), 0);
	m = tring_mem(&f->r);
	f->h = kcap__open_mem(&m, 1, &o);
	assert_non_null(f->h);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct efix *f = *state;

	kcap_close(f->h);
	tring_fini(&f->r);
	test_free(f);
	return 0;
}

/* Reads back the event just written and formats it. */
static const struct kcap_event_hdr *next_line(struct efix *f)
{
	const struct kcap_event_hdr *ev;
	int n;

	assert_int_equal(kcap_next(f->h, &ev), 0);
	n = kcap_event_format(f->h, ev, f->line, sizeof(f->line));
	assert_int_equal(n, (int)strlen(f->line));
	return ev;
}

static void test_event_desc(void **state)
{
	const struct kcap_event_desc *d = kcap_event_desc(KCAP_EVT_SYSCALL);

	(void)state;
	assert_non_null(d);
	assert_string_equal(d->name, "syscall");
	assert_int_equal(d->nparams, 8);
	assert_string_equal(d->params[7].name, "res");
	assert_string_equal(kcap_event_desc(KCAP_EVT_PROC_EXIT)->name, "proc_exit");
	assert_string_equal(kcap_event_desc(KCAP_EVT_DROP)->name, "drop");
	assert_null(kcap_event_desc(KCAP_EVT_INVALID));
	assert_null(kcap_event_desc(KCAP_EVT_NR));
	assert_null(kcap_event_desc(60000));
}

static void test_syscall_names(void **state)
{
	(void)state;
	assert_string_equal(kcap_syscall_name(257, KCAP_SC_X86_64), "openat");
	assert_string_equal(kcap_syscall_name(0, KCAP_SC_X86_64), "read");
	assert_string_equal(kcap_syscall_name(110, KCAP_SC_X86_64), "getppid");
	assert_string_equal(kcap_syscall_name(5, KCAP_SC_IA32), "open");
	assert_string_equal(kcap_syscall_name(64, KCAP_SC_IA32), "getppid");
	assert_null(kcap_syscall_name(5000, KCAP_SC_X86_64));
	assert_null(kcap_syscall_name(1, (enum kcap_syscall_abi)7));
	assert_int_equal(kcap_syscall_nr("openat", KCAP_SC_X86_64), 257);
	assert_int_equal(kcap_syscall_nr("write", KCAP_SC_X86_64), 1);
	assert_int_equal(kcap_syscall_nr("getppid", KCAP_SC_IA32), 64);
	assert_int_equal(kcap_syscall_nr("syscall_999", KCAP_SC_X86_64), 999);
	assert_int_equal(kcap_syscall_nr("syscall_", KCAP_SC_X86_64), -ENOENT);
	assert_int_equal(kcap_syscall_nr("syscall_5000", KCAP_SC_X86_64), -ENOENT);
	assert_int_equal(kcap_syscall_nr("no_such_call", KCAP_SC_X86_64), -ENOENT);
	assert_int_equal(kcap_syscall_nr(NULL, KCAP_SC_X86_64), -ENOENT);
	assert_true(kcap_syscall_max(KCAP_SC_X86_64) > 334);
	assert_true(kcap_syscall_max(KCAP_SC_IA32) > 384);
}

static void test_format_syscall(void **state)
{
	struct efix *f = *state;
	const __u64 a[6] = { 0xffffff9c, 0x7ffc0000, 0x241, 0x1a4, 0, 0 };
	const struct kcap_event_hdr *ev;

	assert_int_equal(tring_syscall(&f->r, 12000000100ULL, 43, 42, 257, a, 3), 0);
	ev = next_line(f);
	assert_string_equal(f->line, "12.000000100 cpu=1 pid=42 tid=43 syscall openat(a0=0xffffff9c, "
				     "a1=0x7ffc0000, a2=0x241, a3=0x1a4, a4=0x0, a5=0x0) = 3");
	assert_int_equal(kcap_event_syscall_nr(ev), 257);
	assert_int_equal(kcap_event_param_index(ev, "res"), 7);
	assert_int_equal(kcap_event_param_index(ev, "nope"), -ENOENT);

	assert_int_equal(tring_syscall(&f->r, 13000000000ULL, 43, 42, 257, a, -2), 0);
	next_line(f);
	assert_non_null(strstr(f->line, " syscall openat(a0=0xffffff9c, "));
	assert_non_null(strstr(f->line, ") = -2 ENOENT"));

	assert_int_equal(tring_syscall(&f->r, 14000000000ULL, 43, 42, 999, NULL, 0), 0);
	next_line(f);
	assert_non_null(strstr(f->line, " syscall syscall_999(a0=0x0,"));
}

static void test_format_compat_flags(void **state)
{
	struct efix *f = *state;
	__u32 nr = 5;
	__u64 z = 0;
	__s64 res = -13;
	struct tparam p[8] = { { &nr, 4 }, { &z, 8 }, { &z, 8 }, { &z, 8 },
			       { &z, 8 }, { &z, 8 }, { &z, 8 }, { &res, 8 } };

	assert_int_equal(tring_write(&f->r, KCAP_EVT_SYSCALL, 1, 2, 2,
				     KCAP_EVF_COMPAT | KCAP_EVF_FAULT, 8, p),
			 0);
	next_line(f);
	assert_string_equal(f->line, "0.000000001 cpu=1 pid=2 tid=2 syscall open(a0=0x0, a1=0x0, "
				     "a2=0x0, a3=0x0, a4=0x0, a5=0x0) = -13 EACCES "
				     "flags=compat,fault");
}

static void test_format_enter(void **state)
{
	struct efix *f = *state;
	__u32 nr = 1;
	__u64 a[6] = { 3, 0x1000, 1234, 0, 0, 0 };
	struct tparam p[7] = { { &nr, 4 } };
	unsigned int i;

	for (i = 0; i < 6; i++)
		p[1 + i] = (struct tparam){ &a[i], 8 };
	assert_int_equal(tring_write(&f->r, KCAP_EVT_SYSCALL_ENTER, 5, 9, 9, KCAP_EVF_ENTER, 7, p),
			 0);
	next_line(f);
	assert_string_equal(f->line, "0.000000005 cpu=1 pid=9 tid=9 syscall_enter write(a0=0x3, "
				     "a1=0x1000, a2=0x4d2, a3=0x0, a4=0x0, a5=0x0) flags=enter");
}

static void test_format_lifecycle(void **state)
{
	struct efix *f = *state;
	__u32 ctid = 44, cpid = 44, old = 43;
	__s32 code = 256;
	struct tparam fork[3] = { { &ctid, 4 }, { &cpid, 4 }, { "sh", 2 } };
	struct tparam exec[3] = { { "/bin/ls", 7 }, { &old, 4 }, { "l\"s", 3 } };
	struct tparam ex[2] = { { &code, 4 }, { "ls\n", 3 } };
	const struct kcap_event_hdr *ev;
	char s[8];

	assert_int_equal(tring_write(&f->r, KCAP_EVT_PROC_FORK, 1, 43, 43, 0, 3, fork), 0);
	assert_int_equal(tring_write(&f->r, KCAP_EVT_PROC_EXEC, 2, 44, 44, 0, 3, exec), 0);
	assert_int_equal(tring_write(&f->r, KCAP_EVT_PROC_EXIT, 3, 44, 44, 0, 2, ex), 0);
	next_line(f);
	assert_string_equal(f->line,
			    "0.000000001 cpu=1 pid=43 tid=43 proc_fork child_tid=44 child_pid=44 "
			    "comm=\"sh\"");
	next_line(f);
	assert_string_equal(f->line, "0.000000002 cpu=1 pid=44 tid=44 proc_exec filename=\"/bin/ls\" "
				     "old_tid=43 comm=\"l\\\"s\"");
	ev = next_line(f);
	assert_string_equal(f->line,
			    "0.000000003 cpu=1 pid=44 tid=44 proc_exit code=256 comm=\"ls\\x0a\"");
	assert_int_equal(kcap_event_str(ev, 1, s, sizeof(s)), 3);
	assert_string_equal(s, "ls\n");
	assert_int_equal(kcap_event_str(ev, 1, s, 2), 3);
	assert_string_equal(s, "l");
}

static void test_format_unknown_and_short(void **state)
{
	struct efix *f = *state;
	__u16 v = 7;
	struct tparam p[1] = { { &v, 2 } };
	char small[16];
	int n;
	const struct kcap_event_hdr *ev;

	assert_int_equal(tring_write(&f->r, 250, 1, 1, 1, 0, 1, p), 0);
	ev = next_line(f);
	assert_string_equal(f->line, "0.000000001 cpu=1 pid=1 tid=1 type_250(p0=\"\\x07\\x00\")");
	n = kcap_event_format(NULL, ev, small, sizeof(small));
	assert_int_equal(n, (int)strlen(f->line));
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_int_equal(kcap_event_format(NULL, NULL, small, sizeof(small)), -EINVAL);
}

static void test_param_getters(void **state)
{
	struct efix *f = *state;
	__s32 code = -1;
	__u16 u16 = 0xfffe;
	struct tparam p[3] = { { &code, 4 }, { &u16, 2 }, { "abc", 3 } };
	const struct kcap_event_hdr *ev;
	const void *ptr;
	__u16 len;
	__u64 u;
	__s64 s;

	assert_int_equal(tring_write(&f->r, KCAP_EVT_PROC_EXIT, 1, 1, 1, 0, 3, p), 0);
	ev = next_line(f);
	assert_int_equal(kcap_event_s64(ev, 0, &s), 0);
	assert_int_equal(s, -1);
	assert_int_equal(kcap_event_u64(ev, 0, &u), 0);
	assert_int_equal(u, 0xffffffffULL);
	assert_int_equal(kcap_event_u64(ev, 1, &u), 0);
	assert_int_equal(u, 0xfffe);
	assert_int_equal(kcap_event_s64(ev, 1, &s), 0);
	assert_int_equal(s, -2);
	assert_int_equal(kcap_event_u64(ev, 2, &u), -EMSGSIZE);
	assert_int_equal(kcap_event_param(ev, 2, &ptr, &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(ptr, "abc", 3);
	assert_int_equal(kcap_event_param(ev, 3, &ptr, &len), -ERANGE);
	assert_int_equal(kcap_event_syscall_nr(ev), -EINVAL);
}

/* ABI 3 generic records: only the syscall's arguments, numbers in the
 * bytes they need; kcap_event_syscall(), the getters and the line. */
static void test_abi3_generic(void **state)
{
	struct efix *f = *state;
	const __u64 rd[3] = { 3, 0x7ffc12345678ULL, 1 };
	const __u64 neg[2] = { ~0ULL, 0x80 };
	const struct kcap_event_hdr *ev;
	struct kcap_syscall sc;
	__u64 u;
	__s64 s;

	/* the widths: 0 for 0, sign-extension decides where 0x80 needs two */
	assert_int_equal(tsint_len(0), 0);
	assert_int_equal(tsint_len(0x7f), 1);
	assert_int_equal(tsint_len(0x80), 2);
	assert_int_equal(tsint_len(~0ULL), 1);
	assert_int_equal(tsint_len((__u64)-129), 2);
	assert_int_equal(tsint_len(0x7ffc12345678ULL), 6);
	assert_int_equal(tsint_len(0x8000000000000000ULL), 8);

	/* getppid: no arguments; 32 header + 2 lengths + 1 + 2 bytes */
	assert_int_equal(tring_syscall3(&f->r, 1, 7, 7, true, 110, 0, NULL, 1234), 0);
	ev = next_line(f);
	assert_int_equal(ev->len, 32 + 4 + 1 + 2);
	assert_string_equal(f->line, "0.000000001 cpu=1 pid=7 tid=7 syscall getppid() = 1234");
	assert_int_equal(kcap_event_syscall(ev, &sc), 0);
	assert_int_equal(sc.nr, 110);
	assert_int_equal(sc.nargs, 0);
	assert_true(sc.has_res);
	assert_int_equal(sc.res, 1234);
	assert_int_equal(kcap_event_param_index(ev, "res"), 1);
	assert_int_equal(kcap_event_param_index(ev, "a0"), -ENOENT);

	/* read(3, buf, 1) = 1: nr 0 in no bytes, a pointer in six */
	assert_int_equal(tring_syscall3(&f->r, 2, 7, 7, true, 0, 3, rd, 1), 0);
	ev = next_line(f);
	assert_int_equal(ev->len, 32 + 10 + 0 + 1 + 6 + 1 + 1);
	assert_string_equal(f->line, "0.000000002 cpu=1 pid=7 tid=7 syscall read(a0=0x3, "
				     "a1=0x7ffc12345678, a2=0x1) = 1");
	assert_int_equal(kcap_event_syscall_nr(ev), 0);
	assert_int_equal(kcap_event_param_index(ev, "a2"), 3);
	assert_int_equal(kcap_event_param_index(ev, "a3"), -ENOENT);
	assert_int_equal(kcap_event_param_index(ev, "res"), 4);
	assert_int_equal(kcap_event_u64(ev, 2, &u), 0);
	assert_int_equal(u, 0x7ffc12345678ULL);

	/* negative numbers: -1 in one byte, -9 EBADF as the result */
	assert_int_equal(tring_syscall3(&f->r, 3, 7, 7, true, 33, 2, neg, -9), 0);
	ev = next_line(f);
	assert_string_equal(f->line, "0.000000003 cpu=1 pid=7 tid=7 syscall dup2(a0=0xffffffffffffffff, "
				     "a1=0x80) = -9 EBADF");
	assert_int_equal(kcap_event_s64(ev, 1, &s), 0);
	assert_int_equal(s, -1);
	assert_int_equal(kcap_event_u64(ev, 2, &u), 0);
	assert_int_equal(u, 0x80);
	assert_int_equal(kcap_event_syscall(ev, &sc), 0);
	assert_int_equal(sc.res, -9);
	assert_int_equal(sc.args[0], ~0ULL);

	/* the entry side: no result */
	assert_int_equal(tring_syscall3(&f->r, 4, 7, 7, false, 1, 3, rd, 0), 0);
	ev = next_line(f);
	assert_string_equal(f->line, "0.000000004 cpu=1 pid=7 tid=7 syscall_enter write(a0=0x3, "
				     "a1=0x7ffc12345678, a2=0x1) flags=enter");
	assert_int_equal(kcap_event_syscall(ev, &sc), 0);
	assert_false(sc.has_res);
	assert_int_equal(sc.nargs, 3);
	assert_int_equal(kcap_event_param_index(ev, "res"), -ENOENT);
}

/* Generic records that no driver writes: refused, one bad line, no crash. */
static void test_abi3_generic_bad(void **state)
{
	struct efix *f = *state;
	__u64 v[10] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	struct tparam nine[9], wide[2] = { { &v[0], 1 }, { v, 9 } }, none[1] = { { v, 0 } };
	const struct kcap_event_hdr *ev;
	struct kcap_syscall sc;
	unsigned int i;

	for (i = 0; i < 9; i++)
		nine[i] = (struct tparam){ &v[i], 1 };
	/* seven arguments */
	assert_int_equal(tring_write(&f->r, KCAP_EVT_SYSCALL, 1, 1, 1, 0, 9, nine), 0);
	ev = next_line(f);
	assert_int_equal(kcap_event_syscall(ev, &sc), -EBADMSG);
	assert_non_null(strstr(f->line, " syscall syscall_?(?)"));
	/* a nine-byte number */
	assert_int_equal(tring_write(&f->r, KCAP_EVT_SYSCALL, 2, 1, 1, 0, 2, wide), 0);
	ev = next_line(f);
	assert_int_equal(kcap_event_syscall(ev, &sc), -EBADMSG);
	assert_int_equal(kcap_event_u64(ev, 1, &v[9]), -EMSGSIZE);
	/* an exit record without its result */
	assert_int_equal(tring_write(&f->r, KCAP_EVT_SYSCALL, 3, 1, 1, 0, 1, none), 0);
	ev = next_line(f);
	assert_int_equal(kcap_event_syscall(ev, &sc), -EBADMSG);
	assert_int_equal(kcap_event_syscall(NULL, &sc), -EINVAL);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_event_desc),
	cmocka_unit_test(test_syscall_names),
	cmocka_unit_test_setup_teardown(test_format_syscall, setup, teardown),
	cmocka_unit_test_setup_teardown(test_format_compat_flags, setup, teardown),
	cmocka_unit_test_setup_teardown(test_format_enter, setup, teardown),
	cmocka_unit_test_setup_teardown(test_format_lifecycle, setup, teardown),
	cmocka_unit_test_setup_teardown(test_format_unknown_and_short, setup, teardown),
	cmocka_unit_test_setup_teardown(test_param_getters, setup, teardown),
	cmocka_unit_test_setup_teardown(test_abi3_generic, setup, teardown),
	cmocka_unit_test_setup_teardown(test_abi3_generic_bad, setup, teardown),
};

UNIT_GROUP(event, tests)
