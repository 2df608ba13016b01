// SPDX-License-Identifier: Apache-2.0
/*
 * kcap_open_live() (userspace/lib/live.c) without a driver: option
 * validation and the error for a missing device.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "capture/source.h"
#include "unit.h"

#define NO_DEV "/nonexistent/kcap-unit-test"

/* Expects kcap_open_live(@o) to fail with @err and a message containing @msg. */
static void expect_fail(struct kcap_open_opts *o, int err, const char *msg)
{
	char buf[KCAP_ERRMSG_LEN] = "";

	if (o->sz >= offsetof(struct kcap_open_opts, errbuf_sz) + sizeof(size_t)) {
		o->errbuf = buf;
		o->errbuf_sz = sizeof(buf);
	}
	errno = 0;
	assert_null(kcap_open_live(o));
	assert_int_equal(errno, err);
	if (msg)
		assert_non_null(strstr(buf, msg));
}

static void test_missing_device(void **state)
{
	KCAP_OPTS(kcap_open_opts, o, .device = NO_DEV);

	(void)state;
	expect_fail(&o, ENOENT, NO_DEV " not found: the kcap driver is not loaded "
				"(try: insmod kcap.ko)");
}

static void test_bad_sz(void **state)
{
	KCAP_OPTS(kcap_open_opts, o, .device = NO_DEV);

	(void)state;
	o.sz = 4;
	expect_fail(&o, EINVAL, NULL);
}

static void test_nonzero_tail(void **state)
{
	struct {
		struct kcap_open_opts o;
		char future[16];
	} big;
	char buf[KCAP_ERRMSG_LEN] = "";

	(void)state;
	memset(&big, 0, sizeof(big));
	big.o.sz = sizeof(big);
	big.o.device = NO_DEV;
	big.o.errbuf = buf;
	big.o.errbuf_sz = sizeof(buf);
	/* A zeroed tail is fine: the call gets as far as the device. */
	errno = 0;
	assert_null(kcap_open_live(&big.o));
	assert_int_equal(errno, ENOENT);
	big.future[3] = 1;
	errno = 0;
	assert_null(kcap_open_live(&big.o));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(buf, "unknown non-zero fields"));
}

static void test_bad_ring_size(void **state)
{
	KCAP_OPTS(kcap_open_opts, o, .device = NO_DEV, .ring_size = 3 << 20);

	(void)state;
	expect_fail(&o, EINVAL, "not a power of two");
	o.ring_size = 4096;
	expect_fail(&o, EINVAL, "outside");
	o.ring_size = 2ULL << 30;
	expect_fail(&o, EINVAL, "outside");
}

static void test_bad_snaplen(void **state)
{
	KCAP_OPTS(kcap_open_opts, o, .device = NO_DEV, .snaplen = KCAP_SNAPLEN_MAX + 1);

	(void)state;
	expect_fail(&o, EINVAL, "snaplen 16385 is above 16384");
}

static void test_bad_reader_opts(void **state)
{
	KCAP_OPTS(kcap_open_opts, o, .device = NO_DEV, .holdback_ns = -5);

	(void)state;
	expect_fail(&o, EINVAL, "holdback_ns");
	o.holdback_ns = 0;
	o.poll_timeout_ms = -7;
	expect_fail(&o, EINVAL, "poll_timeout_ms");
	o.poll_timeout_ms = 0;
	o.flags = 0x100;
	expect_fail(&o, EINVAL, "unknown open flags");
}

static void test_null_handle(void **state)
{
	const struct kcap_event_hdr *ev;
	struct kcap_cpu_stats st;

	(void)state;
	assert_int_equal(kcap_next(NULL, &ev), -EINVAL);
	assert_int_equal(kcap_start(NULL), -EINVAL);
	assert_int_equal(kcap_stop(NULL), -EINVAL);
	assert_int_equal(kcap_cpu_stats(NULL, 0, &st), -EINVAL);
	assert_int_equal(kcap_fd(NULL), -EBADF);
	assert_string_equal(kcap_errmsg(NULL), "no handle");
	assert_true(kcap_lib_version() >= 10000);
	kcap_close(NULL);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_missing_device), cmocka_unit_test(test_bad_sz),
	cmocka_unit_test(test_nonzero_tail),   cmocka_unit_test(test_bad_ring_size),
	cmocka_unit_test(test_bad_snaplen),    cmocka_unit_test(test_bad_reader_opts),
	cmocka_unit_test(test_null_handle),
};

UNIT_GROUP(open, tests)
