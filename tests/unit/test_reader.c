// SPDX-License-Identifier: Apache-2.0
/*
 * The reader (userspace/lib/reader.c) driven through kcap__open_mem() by the
 * test producer: merge order, wrap-around, full rings, hold-back, batched
 * tail publication, drop markers and malformed records.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "producer.h"
#include "unit.h"

#define NR 3

struct fix {
	struct tring r[NR];
	struct kcap *h;
};

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

static struct kcap *open_rings(struct fix *f, unsigned int n, long long holdback)
{
	struct kcap_mem_ring m[NR];
	unsigned int i;
	KCAP_OPTS(kcap_open_opts, o, .holdback_ns = holdback);

	for (i = 0; i < n; i++)
		m[i] = tring_mem(&f->r[i]);
	f->h = kcap__open_mem(m, n, &o);
	assert_non_null(f->h);
	return f->h;
}

static int setup_size(void **state, __u64 size)
{
	struct fix *f = test_calloc(1, sizeof(*f));
	unsigned int i;

	for (i = 0; i < NR; i++)
		assert_int_equal(tring_init(&f->r[i], size, i), 0);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_size(state, 64 << 10);
}

static int setup_small(void **state)
{
	return setup_size(state, 4096);
}

static int teardown(void **state)
{
	struct fix *f = *state;
	unsigned int i;

	kcap_close(f->h);
	for (i = 0; i < NR; i++)
		tring_fini(&f->r[i]);
	test_free(f);
	return 0;
}

static __u64 arg(const struct kcap_event_hdr *ev, unsigned int i)
{
	__u64 v = 0;

	assert_int_equal(kcap_event_u64(ev, i, &v), 0);
	return v;
}

static void test_merge_order(void **state)
{
	struct fix *f = *state;
	static const __u64 ts0[] = { 10, 40, 70 }, ts1[] = { 20, 50 }, ts2[] = { 5, 30, 60 };
	const struct kcap_event_hdr *ev;
	__u64 last = 0;
	unsigned int i, n = 0;

	/* CPU 1 writes its (older) events after CPU 0 wrote younger ones. */
	for (i = 0; i < 3; i++)
		assert_int_equal(tring_syscall(&f->r[0], ts0[i], 1, 1, 39, NULL, 1), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(tring_syscall(&f->r[2], ts2[i], 3, 3, 39, NULL, 1), 0);
	for (i = 0; i < 2; i++)
		assert_int_equal(tring_syscall(&f->r[1], ts1[i], 2, 2, 39, NULL, 1), 0);
	open_rings(f, NR, KCAP_HOLDBACK_NONE);
	while (kcap_next(f->h, &ev) == 0) {
		assert_true(ev->ts_ns >= last);
		assert_int_equal(ev->cpu, ev->tid - 1);
		last = ev->ts_ns;
		n++;
	}
	assert_int_equal(n, 8);
	assert_int_equal(last, 70);
	assert_int_equal(kcap_next(f->h, &ev), -EAGAIN);
	assert_null(ev);
	assert_int_equal(kcap_stop(f->h), 0);
	assert_int_equal(kcap_next(f->h, &ev), -ENODATA);
}

/*
 * Many rings (a big node): the reader keeps the rings' oldest records in a
 * heap. Five rounds, each written by a random subset of 40 rings with
 * timestamps that interleave and tie across rings, each drained before the
 * next (rings leave the heap when empty and come back after a snapshot):
 * every event once, in time order, ties in ring order; then a bad record in
 * one ring is reported.
 */
static void test_many_rings(void **state)
{
	enum { N = 40 };
	struct tring r[N];
	struct kcap_mem_ring m[N];
	const struct kcap_event_hdr *ev;
	KCAP_OPTS(kcap_open_opts, o, .holdback_ns = KCAP_HOLDBACK_NONE);
	struct kcap *h;
	unsigned int i, k, round, written = 0, got = 0, seed = 12345, last_cpu = 0;
	__u64 last = 0, base = 1000;
	int err;

	(void)state;
	for (i = 0; i < N; i++) {
		assert_int_equal(tring_init(&r[i], 16 << 10, i), 0);
		m[i] = tring_mem(&r[i]);
	}
	h = kcap__open_mem(m, N, &o);
	assert_non_null(h);
	for (round = 0; round < 5; round++) {
		for (i = 0; i < N; i++) {
			__u64 t = base;

			seed = seed * 1103515245 + 12345;
			if ((seed >> 16) % 3 == 0)
				continue; /* this ring writes nothing this round */
			for (k = 0; k < 1 + (seed >> 8) % 8; k++) {
				seed = seed * 1103515245 + 12345;
				t += 10 * ((seed >> 16) % 4); /* steps of 0 to 30: ties */
				assert_int_equal(tring_syscall(&r[i], t, i + 1, i + 1, 39, NULL, 0), 0);
				written++;
			}
		}
		while ((err = kcap_next(h, &ev)) == 0) {
			assert_true(ev->ts_ns > last || (ev->ts_ns == last && ev->cpu >= last_cpu) ||
				    !got);
			assert_int_equal(ev->tid, ev->cpu + 1);
			last = ev->ts_ns;
			last_cpu = ev->cpu;
			got++;
		}
		assert_int_equal(err, -EAGAIN);
		assert_int_equal(got, written);
		base = last + 1;
	}
	assert_true(written > 300);
	/* a good record in ring 3, a bad one in ring 17 (in the heap after
	 * the next snapshot): the reader says which ring */
	{
		struct kcap_event_hdr bad = { .ts_ns = base + 5, .len = 200 };

		assert_int_equal(tring_syscall(&r[3], base, 4, 4, 39, NULL, 0), 0);
		tring_write_raw(&r[17], &bad, sizeof(bad), 64);
	}
	assert_int_equal(kcap_next(h, &ev), -EBADMSG);
	assert_non_null(strstr(kcap_errmsg(h), "ring 17: bad record"));
	assert_int_equal(kcap_next(h, &ev), -EBADMSG);
	kcap_close(h);
	for (i = 0; i < N; i++)
		tring_fini(&r[i]);
}

static void test_wrap_around(void **state)
{
	struct fix *f = *state;
	const struct kcap_event_hdr *ev;
	__u64 args[6] = { 0 };
	unsigned int i, crossed = 0;

	open_rings(f, 1, KCAP_HOLDBACK_NONE);
	for (i = 0; i < 300; i++) {
		__u64 pos = f->r[0].prod.head & (f->r[0].size - 1);

		args[0] = i;
		args[5] = ~(__u64)i;
		assert_int_equal(tring_syscall(&f->r[0], 100 + i, 7, 7, 1, args, i), 0);
		assert_int_equal(kcap_next(f->h, &ev), 0);
		if (pos + ev->len > f->r[0].size)
			crossed++;
		assert_int_equal(ev->ts_ns, 100 + i);
		assert_int_equal(arg(ev, 1), i);
		assert_int_equal(arg(ev, 6), ~(__u64)i);
		assert_int_equal(arg(ev, 7), i);
	}
	assert_true(crossed > 0);
	assert_int_equal(kcap_next(f->h, &ev), -EAGAIN);
	assert_int_equal(f->r[0].cons.tail, f->r[0].prod.head);
}

static void test_full_ring(void **state)
{
	struct fix *f = *state;
	const struct kcap_event_hdr *ev;
	struct kcap_cpu_stats st;
	unsigned int n = 0, got = 0;

	open_rings(f, 1, KCAP_HOLDBACK_NONE);
	while (tring_syscall(&f->r[0], 1000 + n, 1, 1, 0, NULL, n) == 0)
		n++;
	assert_true(n > 30);
	assert_true(tring_free(&f->r[0]) < 112);
	assert_int_equal(kcap_cpu_stats(f->h, 0, &st), 0);
	assert_int_equal(st.drops[KCAP_DROP_FULL], 1);
	assert_int_equal(st.events, n);
	while (kcap_next(f->h, &ev) == 0) {
		assert_int_equal(ev->ts_ns, 1000 + got);
		got++;
	}
	assert_int_equal(got, n);
	assert_int_equal(tring_free(&f->r[0]), f->r[0].size);
	assert_int_equal(tring_syscall(&f->r[0], 5000, 1, 1, 0, NULL, 0), 0);
}

static void test_holdback(void **state)
{
	struct fix *f = *state;
	const struct kcap_event_hdr *ev;
	__u64 now = mono_ns();

	open_rings(f, 2, 50 * 1000000LL);
	/* CPU 0's young event is seen first; CPU 1's older one shows up late. */
	assert_int_equal(tring_syscall(&f->r[0], now - 10 * 1000000ULL, 1, 1, 0, NULL, 0), 0);
	assert_int_equal(kcap_next(f->h, &ev), -EAGAIN);
	assert_int_equal(tring_syscall(&f->r[1], now - 20 * 1000000ULL, 2, 2, 0, NULL, 0), 0);
	assert_int_equal(kcap_next(f->h, &ev), -EAGAIN);
	usleep(60 * 1000);
	assert_int_equal(kcap_next(f->h, &ev), 0);
	assert_int_equal(ev->cpu, 1);
	assert_int_equal(kcap_next(f->h, &ev), 0);
	assert_int_equal(ev->cpu, 0);
	assert_int_equal(kcap_next(f->h, &ev), -EAGAIN);
}

static void test_holdback_stop_drains(void **state)
{
	struct fix *f = *state;
	const struct kcap_event_hdr *ev;

	open_rings(f, 1, 10 * 1000000000LL);
	assert_int_equal(tring_syscall(&f->r[0], mono_ns(), 1, 1, 0, NULL, 0), 0);
	assert_int_equal(kcap_next(f->h, &ev), -EAGAIN);
	assert_int_equal(kcap_stop(f->h), 0);
	assert_int_equal(kcap_next(f->h, &ev), 0);
	assert_int_equal(kcap_next(f->h, &ev), -ENODATA);
	assert_int_equal(kcap_next(f->h, &ev), -ENODATA);
}

static void test_batched_tail(void **state)
{
	struct fix *f = *state;
	struct tring *r = &f->r[0];
	const struct kcap_event_hdr *ev;
	unsigned int i, published_early = 0;

	open_rings(f, 1, KCAP_HOLDBACK_NONE);
	for (i = 0; i < 200; i++)
		assert_int_equal(tring_syscall(r, 10 + i, 1, 1, 0, NULL, 0), 0);
	for (i = 0; i < 200; i++) {
		__u64 at;

		assert_int_equal(kcap_next(f->h, &ev), 0);
		at = (__u64)((const unsigned char *)ev - r->data);
		/* Never published past the event in use. */
		assert_true(r->cons.tail <= at);
		if (i == 1)
			assert_int_equal(r->cons.tail, 0);
		if (r->cons.tail)
			published_early = 1;
	}
	/* Published in batches while reading, not only at the end. */
	assert_true(published_early);
	assert_true(r->cons.tail < r->prod.head);
	assert_int_equal(kcap_next(f->h, &ev), -EAGAIN);
	assert_int_equal(r->cons.tail, r->prod.head);
}

static void test_drop_marker(void **state)
{
	struct fix *f = *state;
	const struct kcap_event_hdr *ev;
	struct kcap_cpu_stats st;
	char line[256];

	open_rings(f, 2, KCAP_HOLDBACK_NONE);
	f->r[1].prod.drops[KCAP_DROP_FULL] = 5;
	f->r[1].prod.drops[KCAP_DROP_FULL_PROTECTED] = 1;
	assert_int_equal(tring_drop(&f->r[1], 77, 5, 1), 0);
	assert_int_equal(kcap_next(f->h, &ev), 0);
	assert_int_equal(ev->type, KCAP_EVT_DROP);
	assert_int_equal(arg(ev, 0), 5);
	assert_int_equal(arg(ev, 1), 1);
	assert_true(kcap_event_format(f->h, ev, line, sizeof(line)) > 0);
	assert_string_equal(line, "0.000000077 cpu=1 pid=0 tid=0 drop lost_bulk=5 lost_protected=1");
	assert_int_equal(kcap_cpu_stats(f->h, 1, &st), 0);
	assert_int_equal(st.cpu, 1);
	assert_int_equal(st.drops[KCAP_DROP_FULL], 5);
	assert_int_equal(st.drops[KCAP_DROP_FULL_PROTECTED], 1);
	assert_int_equal(st.events, 1);
	assert_int_equal(kcap_cpu_stats(f->h, 2, &st), -EINVAL);
	assert_non_null(strstr(kcap_errmsg(f->h), "2 rings"));
}

/* Writes one bad record to ring 0 and expects a clean -EBADMSG. */
static void expect_bad(struct fix *f, struct kcap_event_hdr *hdr, size_t len, __u64 advance,
		       const char *why)
{
	const struct kcap_event_hdr *ev = (const void *)1;

	tring_write_raw(&f->r[0], hdr, len, advance);
	open_rings(f, 1, KCAP_HOLDBACK_NONE);
	assert_int_equal(kcap_next(f->h, &ev), -EBADMSG);
	assert_null(ev);
	assert_non_null(strstr(kcap_errmsg(f->h), "bad record"));
	assert_non_null(strstr(kcap_errmsg(f->h), why));
	assert_int_equal(kcap_next(f->h, &ev), -EBADMSG);
}

static void test_bad_len_small(void **state)
{
	struct kcap_event_hdr h = { .ts_ns = 1, .len = 8, .type = KCAP_EVT_SYSCALL };

	expect_bad(*state, &h, sizeof(h), 32, "smaller than the header");
}

static void test_bad_len_big(void **state)
{
	struct kcap_event_hdr h = { .ts_ns = 1, .len = KCAP_EVENT_MAX_LEN + 8 };

	expect_bad(*state, &h, sizeof(h), 32, "above KCAP_EVENT_MAX_LEN");
}

static void test_bad_len_past_head(void **state)
{
	struct kcap_event_hdr h = { .ts_ns = 1, .len = 200 };

	expect_bad(*state, &h, sizeof(h), 64, "past the producer head");
}

static void test_bad_nparams(void **state)
{
	struct kcap_event_hdr h = { .ts_ns = 1, .len = 40, .nparams = 100 };

	expect_bad(*state, &h, sizeof(h), 40, "parameter count");
}

static void test_bad_param_lengths(void **state)
{
	unsigned char rec[48] = { 0 };
	struct kcap_event_hdr h = { .ts_ns = 1, .len = 44, .nparams = 2 };
	__u16 l[2] = { 4, 9 }; /* 32 + 4 + 13 = 49, not 44 */

	memcpy(rec, &h, sizeof(h));
	memcpy(rec + sizeof(h), l, sizeof(l));
	expect_bad(*state, (void *)rec, sizeof(rec), 48, "do not add up");
}

static void test_bad_head(void **state)
{
	struct fix *f = *state;
	const struct kcap_event_hdr *ev;

	f->r[0].prod.head = 3 * f->r[0].size;
	open_rings(f, 1, KCAP_HOLDBACK_NONE);
	assert_int_equal(kcap_next(f->h, &ev), -EBADMSG);
	assert_non_null(strstr(kcap_errmsg(f->h), "inconsistent"));
}

static void test_absent_ring(void **state)
{
	struct fix *f = *state;
	struct kcap_mem_ring m[2] = { tring_mem(&f->r[0]), { 0 } };
	const struct kcap_event_hdr *ev;
	KCAP_OPTS(kcap_open_opts, o, .holdback_ns = KCAP_HOLDBACK_NONE);

	assert_int_equal(tring_syscall(&f->r[0], 5, 1, 1, 0, NULL, 0), 0);
	f->h = kcap__open_mem(m, 2, &o);
	assert_non_null(f->h);
	assert_int_equal(kcap_nr_rings(f->h), 2);
	assert_int_equal(kcap_next(f->h, &ev), 0);
	assert_int_equal(kcap_next(f->h, &ev), -EAGAIN);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_merge_order, setup, teardown),
	cmocka_unit_test(test_many_rings),
	cmocka_unit_test_setup_teardown(test_wrap_around, setup_small, teardown),
	cmocka_unit_test_setup_teardown(test_full_ring, setup_small, teardown),
	cmocka_unit_test_setup_teardown(test_holdback, setup, teardown),
	cmocka_unit_test_setup_teardown(test_holdback_stop_drains, setup, teardown),
	cmocka_unit_test_setup_teardown(test_batched_tail, setup, teardown),
	cmocka_unit_test_setup_teardown(test_drop_marker, setup, teardown),
	cmocka_unit_test_setup_teardown(test_bad_len_small, setup, teardown),
	cmocka_unit_test_setup_teardown(test_bad_len_big, setup, teardown),
	cmocka_unit_test_setup_teardown(test_bad_len_past_head, setup, teardown),
	cmocka_unit_test_setup_teardown(test_bad_nparams, setup, teardown),
	cmocka_unit_test_setup_teardown(test_bad_param_lengths, setup, teardown),
	cmocka_unit_test_setup_teardown(test_bad_head, setup, teardown),
	cmocka_unit_test_setup_teardown(test_absent_ring, setup, teardown),
};

UNIT_GROUP(reader, tests)
