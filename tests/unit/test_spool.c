// SPDX-License-Identifier: Apache-2.0
/*
 * The publisher's on-disk spool (userspace/lib/fleet/spool.c) without a
 * server: segment names, the sizes it rotates and flushes at, its bound;
 * events written and read back in order across segments, the segments
 * deleted once read, events over the bound dropped and told after the
 * last one kept, a second user of the directory and an earlier
 * exporter's leftovers refused.
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
#include <sys/stat.h>
#include <unistd.h>

#include "fleet/spool.h"
#include "unit.h"

static void test_spool_names(void **state)
{
	char buf[SPOOL_NAME_MAX];
	const char *names[] = {"spool-00000010-0.kcap", "spool-00000002-7.kcap",
			       "spool-00000009-0.kcap"};
	__u32 no;
	__u64 drops;

	(void)state;
	assert_int_equal(spool_seg_name(buf, sizeof(buf), 3, 12345), 25);
	assert_string_equal(buf, "spool-00000003-12345.kcap");
	assert_true(spool_seg_parse(buf, &no, &drops));
	assert_int_equal(no, 3);
	assert_int_equal(drops, 12345);
	assert_int_equal(spool_seg_name(buf, 8, 3, 0), -1);
	/* not segments: the lock, a writer's temporary, other files */
	assert_false(spool_seg_parse("lock", &no, &drops));
	assert_false(spool_seg_parse("spool-00000001-0.kcap.tmp", &no, &drops));
	assert_false(spool_seg_parse("spool-x-0.kcap", &no, &drops));
	assert_false(spool_seg_parse("spool-00000001.kcap", &no, &drops));
	assert_false(spool_seg_parse("spool--1-0.kcap", &no, &drops));
	/* read back oldest first: by number */
	qsort(names, 3, sizeof(names[0]), spool_seg_cmp);
	assert_string_equal(names[0], "spool-00000002-7.kcap");
	assert_string_equal(names[1], "spool-00000009-0.kcap");
	assert_string_equal(names[2], "spool-00000010-0.kcap");
}

static void test_spool_sizes(void **state)
{
	(void)state;
	/* an eighth of the bound, within 64 KiB .. 16 MiB */
	assert_int_equal(spool_seg_size(64 << 10), SPOOL_SEG_MIN);
	assert_int_equal(spool_seg_size(8ULL << 20), 1 << 20);
	assert_int_equal(spool_seg_size(SPOOL_DEFAULT_MAX), SPOOL_SEG_MAX);
	assert_int_equal(spool_seg_size(1ULL << 40), SPOOL_SEG_MAX);
	assert_int_equal(spool_flush_size(SPOOL_SEG_MIN), 16 << 10);
	assert_int_equal(spool_flush_size(SPOOL_SEG_MAX), 256 << 10);
	assert_int_equal(spool_pending_size(0), SPOOL_BATCH_OVERHEAD + SPOOL_CLOSE_RESERVE);
	assert_int_equal(spool_pending_size(1600),
			 1700 + SPOOL_BATCH_OVERHEAD + SPOOL_CLOSE_RESERVE);
	assert_true(spool_fits(0, 100, 100));
	assert_false(spool_fits(1, 100, 100));
	assert_false(spool_fits(101, 100, 0));
	assert_true(spool_fits(0, ~0ULL, ~0ULL));
	assert_false(spool_fits(2, ~0ULL, ~0ULL - 1));
}

/* A syscall event whose last parameter (res) is @i. */
static const struct kcap_event_hdr *mk(unsigned char *buf, __u64 i)
{
	struct kcap_event_hdr *h = (void *)buf;
	__u16 lens[8] = {4, 8, 8, 8, 8, 8, 8, 8};
	unsigned char *p = buf + sizeof(*h) + sizeof(lens);
	__u32 nr = (__u32)(i % 300);
	/* varied enough not to compress to nothing */
	__u64 a = i * 0x9e3779b97f4a7c15ULL;

	memset(h, 0, sizeof(*h));
	h->ts_ns = 1000000 + i * 1000;
	h->tid = h->pid = 100 + (__u32)(i % 7);
	h->type = KCAP_EVT_SYSCALL;
	h->nparams = 8;
	memcpy(buf + sizeof(*h), lens, sizeof(lens));
	memcpy(p, &nr, 4);
	p += 4;
	for (int k = 0; k < 6; k++, p += 8, a = a * 31 + 7)
		memcpy(p, &a, 8);
	memcpy(p, &i, 8);
	p += 8;
	h->len = (__u32)(p - buf);
	return h;
}

static __u64 res_of(const struct kcap_event_hdr *ev)
{
	__u64 v = 0;

	assert_int_equal(kcap_event_u64(ev, 7, &v), 0);
	return v;
}

struct tdir {
	char dir[64];
};

static int dir_setup(void **state)
{
	struct tdir *t = test_calloc(1, sizeof(*t));

	snprintf(t->dir, sizeof(t->dir), "/tmp/kcap-spool-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	*state = t;
	return 0;
}

static int dir_teardown(void **state)
{
	struct tdir *t = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", t->dir);
	assert_int_equal(system(cmd), 0);
	test_free(t);
	return 0;
}

/* Segments in @dir now. */
static int nsegs(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	__u32 no;
	__u64 drops;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += spool_seg_parse(e->d_name, &no, &drops);
	closedir(d);
	return n;
}

/* The bytes of the segments in @dir now. */
static __u64 disk_bytes(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;
	__u32 no;
	__u64 drops, n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (spool_seg_parse(e->d_name, &no, &drops) && !fstatat(dirfd(d), e->d_name, &st, 0))
			n += (__u64)st.st_size;
	closedir(d);
	return n;
}

static void test_spool_order(void **state)
{
	struct tdir *t = *state;
	unsigned char buf[256] __attribute__((aligned(8)));
	const struct kcap_event_hdr *ev;
	struct fleet_spool sp, other;
	char err[512] = "";
	struct kcap *h;
	__u64 drops, i, n = 60000;
	int r;

	assert_int_equal(spool_open(&sp, t->dir, 8ULL << 20, NULL, err, sizeof(err)), 0);
	/* one exporter per directory */
	assert_int_equal(spool_open(&other, t->dir, 0, NULL, err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, "another exporter"));
	for (i = 0; i < n; i++)
		assert_int_equal(spool_put(&sp, mk(buf, i), err, sizeof(err)), 0);
	assert_true(sp.segments > 2); /* rotated at 1 MiB */
	assert_int_equal(sp.dropped, 0);
	assert_true(spool_used(&sp) <= 8ULL << 20);
	assert_false(spool_empty(&sp));
	/* half read back, then more written: still one order */
	for (i = 0; i < n / 2; i++) {
		assert_int_equal(spool_next(&sp, &h, &ev, &drops, err, sizeof(err)), 0);
		assert_int_equal(res_of(ev), i);
	}
	for (i = n; i < n + 1000; i++)
		assert_int_equal(spool_put(&sp, mk(buf, i), err, sizeof(err)), 0);
	for (i = n / 2; i < n + 1000; i++) {
		r = spool_next(&sp, &h, &ev, &drops, err, sizeof(err));
		if (r)
			fail_msg("event %llu: %d %s", (unsigned long long)i, r, err);
		assert_int_equal(res_of(ev), i);
	}
	assert_int_equal(spool_next(&sp, &h, &ev, &drops, err, sizeof(err)), -ENODATA);
	assert_true(spool_empty(&sp));
	assert_int_equal(sp.written, n + 1000);
	assert_int_equal(sp.read, n + 1000);
	/* each segment deleted once read */
	assert_int_equal(nsegs(t->dir), 0);
	spool_close(&sp);
}

static void test_spool_bound(void **state)
{
	struct tdir *t = *state;
	unsigned char buf[256] __attribute__((aligned(8)));
	const struct kcap_event_hdr *ev;
	struct fleet_spool sp;
	char err[512] = "";
	struct kcap *h;
	__u64 drops = 0, i, kept = 0, used, max = 128 << 10;
	int r;

	assert_int_equal(spool_open(&sp, t->dir, max, NULL, err, sizeof(err)), 0);
	for (i = 0; i < 20000; i++) {
		r = spool_put(&sp, mk(buf, i), err, sizeof(err));
		assert_true(r == 0 || r == 1);
		kept += !r;
		/* full once: every later event dropped too */
		if (r == 0)
			assert_int_equal(kept, i + 1);
		assert_true(spool_used(&sp) <= max);
		assert_true(disk_bytes(t->dir) <= max);
	}
	assert_true(kept > 1000 && kept < 20000);
	assert_int_equal(sp.dropped, 20000 - kept);
	assert_true(sp.peak_bytes <= max);
	assert_true(sp.peak_bytes > max - 4096 - 1000); /* full: within a reserve and an event */
	assert_true(disk_bytes(t->dir) <= max);
	/* the events kept, in order, then the drop count */
	for (i = 0; i < kept; i++) {
		assert_int_equal(spool_next(&sp, &h, &ev, &drops, err, sizeof(err)), 0);
		assert_int_equal(res_of(ev), i);
	}
	assert_int_equal(spool_next(&sp, &h, &ev, &drops, err, sizeof(err)), 1);
	assert_int_equal(drops, 20000 - kept);
	assert_int_equal(spool_next(&sp, &h, &ev, &drops, err, sizeof(err)), -ENODATA);
	assert_true(spool_empty(&sp));

	/* full again, one event dropped; a segment read back makes room for
	 * more: the drop count comes after the events before it and before
	 * those after it */
	for (i = 0; spool_put(&sp, mk(buf, i), err, sizeof(err)) == 0; i++)
		;
	kept = i;
	used = spool_used(&sp);
	for (i = 0; spool_used(&sp) >= used; i++) {
		assert_true(i < kept);
		assert_int_equal(spool_next(&sp, &h, &ev, &drops, err, sizeof(err)), 0);
		assert_int_equal(res_of(ev), i);
	}
	for (__u64 k = 0; k < 5; k++)
		assert_int_equal(spool_put(&sp, mk(buf, 100000 + k), err, sizeof(err)), 0);
	for (; i < kept; i++) {
		assert_int_equal(spool_next(&sp, &h, &ev, &drops, err, sizeof(err)), 0);
		assert_int_equal(res_of(ev), i);
	}
	assert_int_equal(spool_next(&sp, &h, &ev, &drops, err, sizeof(err)), 1);
	assert_int_equal(drops, 1);
	for (__u64 k = 0; k < 5; k++) {
		assert_int_equal(spool_next(&sp, &h, &ev, &drops, err, sizeof(err)), 0);
		assert_int_equal(res_of(ev), 100000 + k);
	}
	assert_int_equal(spool_next(&sp, &h, &ev, &drops, err, sizeof(err)), -ENODATA);
	spool_close(&sp);

	assert_int_equal(spool_open(&sp, t->dir, max, NULL, err, sizeof(err)), 0);
	for (i = 0; i < 10; i++)
		assert_int_equal(spool_put(&sp, mk(buf, i), err, sizeof(err)), 0);
	spool_close(&sp); /* an exporter that stopped with events spooled */
	assert_int_equal(nsegs(t->dir), 1);
	assert_int_equal(spool_open(&sp, t->dir, max, NULL, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "earlier exporter"));
}

static void test_spool_bad_dir(void **state)
{
	struct tdir *t = *state;
	struct fleet_spool sp;
	char err[512] = "", path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/file", t->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/file/spool", t->dir);
	assert_int_equal(spool_open(&sp, path, 0, NULL, err, sizeof(err)), -ENOTDIR);
	assert_non_null(strstr(err, "Not a directory"));
	/* missing parents are made, as for the live default */
	snprintf(path, sizeof(path), "%s/a/b/spool", t->dir);
	assert_int_equal(spool_open(&sp, path, 0, NULL, err, sizeof(err)), 0);
	spool_close(&sp);
}

static const struct CMUnitTest spool_tests[] = {
    cmocka_unit_test(test_spool_names),
    cmocka_unit_test(test_spool_sizes),
    cmocka_unit_test_setup_teardown(test_spool_order, dir_setup, dir_teardown),
    cmocka_unit_test_setup_teardown(test_spool_bound, dir_setup, dir_teardown),
    cmocka_unit_test_setup_teardown(test_spool_bad_dir, dir_setup, dir_teardown),
};

UNIT_GROUP(spool, spool_tests)
