// SPDX-License-Identifier: Apache-2.0
/*
 * The flight recorder (kcap_flight_*): the window a dump holds, alerts
 * sharing a dump, the memory bound, removal of old flight files, bad
 * options. Dumps are read back with kcap_open_file().
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kcap.h"
#include "unit.h"

#define MS 1000000ULL
#define SEC 1000000000ULL

struct fl {
	char dir[64];
};

static int fl_setup(void **state)
{
	struct fl *t = test_calloc(1, sizeof(*t));

	snprintf(t->dir, sizeof(t->dir), "/tmp/kcap-flight-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	*state = t;
	return 0;
}

static int fl_teardown(void **state)
{
	struct fl *t = *state;
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	assert_int_equal(system(cmd), 0);
	test_free(t);
	return 0;
}

/* A generic syscall event at @ts; @noise fills its arguments with
 * pseudo-random bits (hard to compress). */
static const struct kcap_event_hdr *ev_at(unsigned char *buf, __u64 ts, __u32 tid, bool noise)
{
	struct kcap_event_hdr *h = (void *)buf;
	__u16 lens[8] = { 4, 8, 8, 8, 8, 8, 8, 8 };
	unsigned char *p = buf + sizeof(*h) + sizeof(lens);
	static __u64 x = 88172645463325252ULL;
	__u32 nr = 39;
	int i;

	memset(h, 0, sizeof(*h));
	h->ts_ns = ts;
	h->tid = tid;
	h->pid = tid;
	h->type = KCAP_EVT_SYSCALL;
	h->nparams = 8;
	memcpy(buf + sizeof(*h), lens, sizeof(lens));
	memcpy(p, &nr, 4);
	p += 4;
	for (i = 0; i < 7; i++, p += 8) {
		__u64 a = ts;

		if (noise) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			a = x;
		}
		memcpy(p, &a, 8);
	}
	h->len = (__u32)(p - buf);
	return h;
}

static struct kcap_flight *new_flight(const char *dir, __u64 window, __u64 after, __u64 max,
				      __u32 keep)
{
	char err[256] = "";
	KCAP_OPTS(kcap_flight_opts, o, .dir = dir, .window_ns = window, .after_ns = after,
		  .max_bytes = max, .keep_files = keep);
	struct kcap_flight *f = kcap_flight_new(NULL, &o, err, sizeof(err));

	if (!f)
		fail_msg("kcap_flight_new: %s", err);
	return f;
}

/* Events of a flight file: count, first and last time. */
static unsigned int read_dump(const char *path, __u64 *first, __u64 *last)
{
	char err[256] = "";
	KCAP_OPTS(kcap_file_opts, o, .errbuf = err, .errbuf_sz = sizeof(err));
	struct kcap *h = kcap_open_file(path, &o);
	const struct kcap_event_hdr *ev;
	unsigned int n = 0;
	__u64 prev = 0;

	if (!h)
		fail_msg("kcap_open_file %s: %s", path, err);
	while (kcap_next(h, &ev) == 0) {
		assert_true(ev->ts_ns >= prev);
		if (!n)
			*first = ev->ts_ns;
		*last = prev = ev->ts_ns;
		n++;
	}
	kcap_close(h);
	return n;
}

static unsigned int count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += !strncmp(e->d_name, "kcap-flight-", 12) &&
		     strstr(e->d_name, ".kcap") &&
		     !strcmp(strstr(e->d_name, ".kcap"), ".kcap");
	closedir(d);
	return n;
}

/* Events every ms for 10 s, an alert at 5 s: the dump holds 3 s .. 5.5 s. */
static void test_flight_window(void **state)
{
	struct fl *t = *state;
	unsigned char buf[256] __attribute__((aligned(8)));
	struct kcap_flight *f = new_flight(t->dir, 2 * SEC, 500 * MS, 64ULL << 20, 0);
	struct kcap_flight_stats st;
	char path[4200] = "", path2[4200] = "";
	__u64 ts, first = 0, last = 0;

	for (ts = SEC; ts <= 11 * SEC; ts += MS) {
		assert_int_equal(kcap_flight_add(f, ev_at(buf, ts, 7, false)), 0);
		if (ts == 6 * SEC) {
			assert_int_equal(kcap_flight_trigger(f, ts, "Read sensitive file!", path,
							     sizeof(path)),
					 0);
			assert_non_null(strstr(path, "-Read-sensitive-file.kcap"));
			/* Not there until the dump is complete. */
			assert_int_not_equal(access(path, F_OK), 0);
		}
		/* A second alert 300 ms later shares the file, and moves its end. */
		if (ts == 6 * SEC + 300 * MS) {
			assert_int_equal(kcap_flight_trigger(f, ts, "Other", path2, sizeof(path2)), 0);
			assert_string_equal(path, path2);
		}
	}
	assert_int_equal(kcap_flight_stats(f, &st, sizeof(st)), 0);
	assert_int_equal(st.dumps, 1);
	assert_int_equal(st.alerts, 2);
	assert_int_equal(st.alerts_shared, 1);
	assert_int_equal(st.events, 10001);
	/* Older chunks left the window: memory holds about 2 s, not 10. */
	assert_true(st.evicted_age > 0);
	assert_int_equal(access(path, F_OK), 0);
	/* 4 s .. 6.8 s: 2 s before the first alert, 500 ms after the second. */
	assert_int_equal(read_dump(path, &first, &last), 2801);
	assert_int_equal(first, 4 * SEC);
	assert_int_equal(last, 6 * SEC + 800 * MS);
	assert_int_equal(st.events_dumped, 2801);
	assert_int_equal(kcap_flight_free(f), 0);
}

/* The memory bound holds for incompressible events; the window is cut. */
static void test_flight_memory_bound(void **state)
{
	struct fl *t = *state;
	unsigned char buf[256] __attribute__((aligned(8)));
	const __u64 max = 1ULL << 20;
	struct kcap_flight *f = new_flight(t->dir, 3600 * SEC, 0, max, 0);
	struct kcap_flight_stats st;
	char path[4200];
	__u64 ts, first = 0, last = 0;
	unsigned int n;

	for (ts = SEC; ts < SEC + 100000 * 10000ULL; ts += 10000)
		assert_int_equal(kcap_flight_add(f, ev_at(buf, ts, 9, true)), 0);
	assert_int_equal(kcap_flight_stats(f, &st, sizeof(st)), 0);
	assert_true(st.mem_peak <= max);
	assert_true(st.evicted_mem > 0);
	assert_int_equal(st.evicted_age, 0);
	assert_int_equal(kcap_flight_trigger(f, ts - 10000, "bound", path, sizeof(path)), 0);
	assert_int_equal(kcap_flight_free(f), 0);
	/* What was kept: fewer than all, the newest ones, in order. */
	n = read_dump(path, &first, &last);
	assert_true(n > 1000 && n < 100000);
	assert_int_equal(last, ts - 10000);
}

/* keep_files 2: after four dumps, the two newest flight files remain. */
static void test_flight_prune(void **state)
{
	struct fl *t = *state;
	unsigned char buf[256] __attribute__((aligned(8)));
	struct kcap_flight *f = new_flight(t->dir, 100 * MS, 10 * MS, 4ULL << 20, 2);
	struct kcap_flight_stats st;
	char path[4][4200];
	__u64 ts;
	int k = 0;

	for (ts = SEC; ts <= 5 * SEC; ts += MS) {
		assert_int_equal(kcap_flight_add(f, ev_at(buf, ts, 3, false)), 0);
		if (ts % SEC == 500 * MS && k < 4) {
			assert_int_equal(kcap_flight_trigger(f, ts, "r", path[k], sizeof(path[k])), 0);
			k++;
		}
	}
	assert_int_equal(kcap_flight_stats(f, &st, sizeof(st)), 0);
	assert_int_equal(st.dumps, 4);
	assert_int_equal(st.files_removed, 2);
	assert_int_equal(count_files(t->dir), 2);
	assert_int_not_equal(access(path[0], F_OK), 0);
	assert_int_not_equal(access(path[1], F_OK), 0);
	assert_int_equal(access(path[2], F_OK), 0);
	assert_int_equal(access(path[3], F_OK), 0);
	assert_int_equal(kcap_flight_free(f), 0);
}

/* An idle source: kcap_flight_tick() past the end finishes the dump. */
static void test_flight_tick(void **state)
{
	struct fl *t = *state;
	unsigned char buf[256] __attribute__((aligned(8)));
	struct kcap_flight *f = new_flight(t->dir, SEC, 100 * MS, 4ULL << 20, 0);
	char path[4200];
	__u64 first = 0, last = 0;

	assert_int_equal(kcap_flight_add(f, ev_at(buf, 5 * SEC, 3, false)), 0);
	assert_int_equal(kcap_flight_trigger(f, 5 * SEC, "idle", path, sizeof(path)), 0);
	assert_int_equal(kcap_flight_tick(f, 5 * SEC + 50 * MS), 0);
	assert_int_not_equal(access(path, F_OK), 0);
	assert_int_equal(kcap_flight_tick(f, 5 * SEC + 200 * MS), 0);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(read_dump(path, &first, &last), 1);
	assert_int_equal(kcap_flight_free(f), 0);
}

static void test_flight_bad_opts(void **state)
{
	struct fl *t = *state;
	char err[256] = "", file[128];
	KCAP_OPTS(kcap_flight_opts, o, .dir = "/nonexistent/kcap", .window_ns = SEC,
		  .max_bytes = 8ULL << 20);
	FILE *fp;

	assert_null(kcap_flight_new(NULL, &o, err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, "/nonexistent/kcap"));
	snprintf(file, sizeof(file), "%s/plain", t->dir);
	fp = fopen(file, "w");
	assert_non_null(fp);
	fclose(fp);
	o.dir = file;
	assert_null(kcap_flight_new(NULL, &o, err, sizeof(err)));
	assert_int_equal(errno, ENOTDIR);
	o.dir = t->dir;
	o.max_bytes = 1000;
	assert_null(kcap_flight_new(NULL, &o, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	o.max_bytes = 8ULL << 20;
	o.window_ns = 0;
	assert_null(kcap_flight_new(NULL, &o, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_null(kcap_flight_new(NULL, NULL, err, sizeof(err)));
	assert_int_equal(kcap_flight_add(NULL, NULL), -EINVAL);
	assert_int_equal(kcap_flight_free(NULL), 0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_flight_window, fl_setup, fl_teardown),
	cmocka_unit_test_setup_teardown(test_flight_memory_bound, fl_setup, fl_teardown),
	cmocka_unit_test_setup_teardown(test_flight_prune, fl_setup, fl_teardown),
	cmocka_unit_test_setup_teardown(test_flight_tick, fl_setup, fl_teardown),
	cmocka_unit_test_setup_teardown(test_flight_bad_opts, fl_setup, fl_teardown),
};

const struct CMUnitTest *unit_flight(size_t *n)
{
	*n = sizeof(tests) / sizeof(tests[0]);
	return tests;
}
