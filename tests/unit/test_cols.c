// SPDX-License-Identifier: Apache-2.0
/*
 * The column encoding of capture file batches (userspace/lib/capture/
 * file_cols.c, format 1.3): the writer's records come back byte for byte,
 * files of format 1.2 (plain zstd batches) still read, a record the
 * encoding refuses goes into a plain batch, and corrupt columns are
 * rejected with one sentence naming the batch's offset, never read past.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "capture/file_format.h"
#include "evbuild.h"
#include "unit.h"

#define NR_EV 3000

struct ctmp {
	char dir[64];
	char path[128];
	char path2[128];
	/* the events written, back to back, each padded to 8 bytes */
	unsigned char *raw;
	size_t raw_len;
	unsigned int nr;
};

static int ct_setup(void **state)
{
	struct ctmp *t = test_calloc(1, sizeof(*t));

	snprintf(t->dir, sizeof(t->dir), "/tmp/kcap-unit-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/cols.kcap", t->dir);
	snprintf(t->path2, sizeof(t->path2), "%s/other.kcap", t->dir);
	t->raw = test_malloc(NR_EV * 512);
	*state = t;
	return 0;
}

static int ct_teardown(void **state)
{
	struct ctmp *t = *state;
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	assert_int_equal(system(cmd), 0);
	test_free(t->raw);
	test_free(t);
	return 0;
}

static void keep(struct ctmp *t, const struct kcap_event_hdr *h)
{
	size_t al = KCAP_ALIGN(h->len);

	memset(t->raw + t->raw_len, 0, al);
	memcpy(t->raw + t->raw_len, h, h->len);
	t->raw_len += al;
	t->nr++;
}

/*
 * Event @i of a varied stream: generic syscalls, decoded openat/execve
 * with strings, fork/exit, drop markers, an event type above the
 * reference table, events without parameters or with empty ones; four
 * CPUs whose timestamps interleave out of order, threads of several
 * processes, flags and the reserved field set now and then.
 */
static const struct kcap_event_hdr *varied(struct evb *e, unsigned int i)
{
	static const char *const names[] = { "/etc/passwd", "/tmp/kcap.file", "/etc/passwd",
					      "/usr/lib/x86_64-linux-gnu/libc.so.6" };
	const struct kcap_event_hdr *h;
	struct kcap_event_hdr *w;
	__u32 tid = 100 + i % 5, pid = i % 3 ? tid : 100;
	__u64 ts = 1000000000ULL + i * 700ULL - (i % 4) * 2000ULL; /* not monotonic */
	char arg[64];

	switch (i % 11) {
	case 0:
	case 1:
	case 2: {
		struct p ps[8] = { { U32(39) },	       { S64(1) },	 { S64(2) },
				   { S64((__s64)i) }, { S64(0) },	 { S64(0) },
				   { S64(0) },	       { S64(100 + i % 2) } };
		h = mk_ev(e, KCAP_EVT_SYSCALL, tid, pid, ts, 8, ps);
		break;
	}
	case 3: {
		struct p ps[5] = { { S64(-100) },
				   { STR(names[i % 4]) },
				   { U32(0) },
				   { U32(0644) },
				   { S64(3 + i % 2) } };
		h = mk_ev(e, KCAP_EVT_OPENAT, tid, pid, ts, 5, ps);
		break;
	}
	case 4: {
		struct p ps[2] = { { U32(tid + 1000) }, { S64(0) } };
		h = mk_ev(e, KCAP_EVT_PROC_FORK, tid, pid, ts, 2, ps);
		break;
	}
	case 5: {
		/* argv "sh", "-c", "echo N": NUL-separated */
		int k = snprintf(arg + 6, sizeof(arg) - 6, "echo %u", i);
		struct p ps[3] = { { STR("/bin/sh") }, { arg, 6 + (unsigned int)k }, { NULL, 0 } };

		memcpy(arg, "sh\0-c\0", 6);
		h = mk_ev(e, KCAP_EVT_PROC_EXEC, tid, pid, ts, 3, ps);
		break;
	}
	case 6: {
		struct p ps[2] = { { U32(1) }, { S64((__s64)i * 3) } };
		h = mk_ev(e, KCAP_EVT_DROP, tid, pid, ts, 2, ps);
		break;
	}
	case 7:
		h = mk_ev(e, KCAP_EVT_PROC_EXIT, tid, pid, ts, 0, NULL);
		break;
	case 8: {
		struct p ps[2] = { { S64(7) }, { NULL, 0 } };
		h = mk_ev(e, 5000 + i % 3, tid, pid, ts, 1 + i % 2, ps);
		break;
	}
	case 9: {
		/* the same type with fewer parameters than its previous event */
		struct p ps[3] = { { U32(39) }, { S64(1) }, { S64(2) } };
		h = mk_ev(e, KCAP_EVT_SYSCALL, tid, pid, ts, 3, ps);
		break;
	}
	default: {
		struct p ps[4] = { { STR(names[(i / 11) % 4]) }, { S64(-1) }, { NULL, 0 }, { S64(0) } };
		h = mk_ev(e, KCAP_EVT_OPENAT, tid, pid, ts, 4, ps);
		break;
	}
	}
	w = (struct kcap_event_hdr *)h;
	w->cpu = (__u16)(i % 4);
	if (i % 13 == 0)
		w->flags = KCAP_EVF_TRUNCATED | KCAP_EVF_COMPAT;
	if (i % 17 == 0)
		w->reserved = 0xdeadbeef;
	if (i % 101 == 0)
		w->tid = 0xfffffff0u; /* a large jump and back */
	return h;
}

/* Writes the varied events (@plain: compression 1); keeps them in @t. */
static void write_varied(struct ctmp *t, const char *path, bool plain, unsigned int per_batch)
{
	char err[256] = "";
	KCAP_OPTS(kcap_writer_opts, o,
		  .flags = KCAP_WRITER_NO_PROCS | (plain ? KCAP_WRITER_PLAIN : 0), .errbuf = err,
		  .errbuf_sz = sizeof(err));
	struct kcap_writer *w = kcap_writer_open(path, &o);
	struct evb e;
	unsigned int i;

	if (!w)
		fail_msg("kcap_writer_open: %s", err);
	t->raw_len = 0;
	t->nr = 0;
	for (i = 0; i < NR_EV; i++) {
		const struct kcap_event_hdr *h = varied(&e, i);

		keep(t, h);
		assert_int_equal(kcap_writer_write(w, h), 0);
		if (per_batch && i % per_batch == per_batch - 1)
			assert_int_equal(kcap_writer_flush(w), 0);
	}
	assert_int_equal(kcap_writer_finish(w), 0);
	kcap_writer_close(w);
}

/* Every record of @path equals the one written, byte for byte. */
static void check_identical(struct ctmp *t, const char *path)
{
	char err[256] = "";
	KCAP_OPTS(kcap_file_opts, o, .errbuf = err, .errbuf_sz = sizeof(err));
	struct kcap *h = kcap_open_file(path, &o);
	const struct kcap_event_hdr *ev;
	size_t off = 0;
	unsigned int n = 0;
	int r;

	if (!h)
		fail_msg("kcap_open_file: %s", err);
	while (!(r = kcap_next(h, &ev))) {
		const struct kcap_event_hdr *want = (const void *)(t->raw + off);

		assert_true(off < t->raw_len);
		assert_int_equal(ev->len, want->len);
		if (memcmp(ev, want, KCAP_ALIGN(want->len)))
			fail_msg("event %u differs", n);
		off += KCAP_ALIGN(want->len);
		n++;
	}
	assert_int_equal(r, -ENODATA);
	assert_int_equal(n, t->nr);
	kcap_close(h);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *p;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	p = test_malloc((size_t)n);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return p;
}

static void spew(const char *path, const void *p, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Counts the file's batches by compression (@by[0..2]); the first
 * batch's offset in *first_off. */
static void batches_by_comp(const unsigned char *p, size_t len, unsigned int by[3],
			    size_t *first_off)
{
	size_t off = KCAPF_HEADER_LEN;

	by[0] = by[1] = by[2] = 0;
	*first_off = 0;
	while (off + KCAPF_BLOCK_HDR_LEN <= len) {
		__u32 type, blen, comp;

		memcpy(&type, p + off, 4);
		memcpy(&blen, p + off + 4, 4);
		if (type == KCAPF_BLK_BATCH) {
			memcpy(&comp, p + off + KCAPF_BLOCK_HDR_LEN + 24, 4);
			assert_true(comp <= 2);
			by[comp]++;
			if (!*first_off)
				*first_off = off;
		}
		off += KCAPF_BLOCK_HDR_LEN + blen;
	}
}

static void test_cols_round_trip(void **state)
{
	struct ctmp *t = *state;
	unsigned int by[3], plain_by[3];
	unsigned char *p;
	size_t len, plain_len, first;

	/* one batch, and many small ones (references start over per batch) */
	write_varied(t, t->path, false, 0);
	check_identical(t, t->path);
	p = slurp(t->path, &len);
	batches_by_comp(p, len, by, &first);
	test_free(p);
	assert_int_equal(by[1] + by[0], 0);
	assert_true(by[2] >= 1);

	write_varied(t, t->path, false, 7);
	check_identical(t, t->path);

	/* the same events as plain zstd batches: read alike, a bigger file */
	write_varied(t, t->path2, true, 0);
	check_identical(t, t->path2);
	p = slurp(t->path2, &plain_len);
	batches_by_comp(p, plain_len, plain_by, &first);
	test_free(p);
	assert_int_equal(plain_by[2], 0);
	assert_true(plain_by[1] >= 1);
	write_varied(t, t->path, false, 0);
	p = slurp(t->path, &len);
	test_free(p);
	assert_true(len < plain_len);
}

/* A format 1.2 file: plain batches, header minor 2. */
static void test_cols_old_format(void **state)
{
	struct ctmp *t = *state;
	struct kcap_file_info fi;
	unsigned char *p;
	__u16 minor = 2;
	__u32 crc;
	size_t len;
	struct kcap *h;

	write_varied(t, t->path, true, 100);
	p = slurp(t->path, &len);
	memcpy(p + 10, &minor, 2);
	crc = kcapf_crc(p, 24);
	memcpy(p + 24, &crc, 4);
	spew(t->path, p, len);
	test_free(p);
	check_identical(t, t->path);
	h = kcap_open_file(t->path, NULL);
	assert_non_null(h);
	assert_int_equal(kcap_file_info(h, &fi, sizeof(fi)), 0);
	assert_int_equal(fi.format_major, 1);
	assert_int_equal(fi.format_minor, 2);
	kcap_close(h);
}

/* A record whose lengths do not add up: its batch is stored plain, the
 * others as columns, and the reader reports that record as before. */
static void test_cols_refused_record(void **state)
{
	struct ctmp *t = *state;
	KCAP_OPTS(kcap_writer_opts, o, .flags = KCAP_WRITER_NO_PROCS);
	struct kcap_writer *w = kcap_writer_open(t->path, &o);
	struct kcap_event_hdr *bad;
	const struct kcap_event_hdr *ev;
	unsigned int by[3], i, n = 0;
	unsigned char *p;
	size_t len, first;
	struct kcap *h;
	struct evb e;
	int r;

	assert_non_null(w);
	for (i = 0; i < 10; i++)
		assert_int_equal(kcap_writer_write(w, varied(&e, i)), 0);
	assert_int_equal(kcap_writer_flush(w), 0);
	bad = (struct kcap_event_hdr *)varied(&e, 0);
	bad->len -= 1; /* one byte short of its parameters */
	assert_int_equal(kcap_writer_write(w, bad), 0);
	assert_int_equal(kcap_writer_finish(w), 0);
	kcap_writer_close(w);
	p = slurp(t->path, &len);
	batches_by_comp(p, len, by, &first);
	test_free(p);
	assert_int_equal(by[2], 1);
	assert_int_equal(by[1], 1);
	h = kcap_open_file(t->path, NULL);
	assert_non_null(h);
	while (!(r = kcap_next(h, &ev)))
		n++;
	assert_int_equal(n, 10);
	assert_int_equal(r, -EBADMSG);
	assert_non_null(strstr(kcap_errmsg(h), "parameter lengths do not add up"));
	kcap_close(h);
}

/* The image of the first batch of @p, decompressed into a new buffer. */
static unsigned char *image_of(const unsigned char *p, size_t boff, size_t *ilen)
{
	const unsigned char *b = p + boff + KCAPF_BLOCK_HDR_LEN;
	__u32 blen, l32;
	unsigned char *img;
	size_t n;

	memcpy(&blen, p + boff + 4, 4);
	memcpy(&l32, b + KCAPF_BATCH_HDR_LEN, 4);
	img = test_malloc(l32);
	n = ZSTD_decompress(img, l32, b + KCAPF_BATCH_HDR_LEN + KCAPF_COLS_PREFIX,
			    blen - KCAPF_BATCH_HDR_LEN - KCAPF_COLS_PREFIX);
	assert_false(ZSTD_isError(n));
	assert_int_equal(n, l32);
	*ilen = l32;
	return img;
}

/*
 * Writes @path2: @p up to its first batch, then that batch with image
 * @img (@ilen bytes, recompressed; image length field @ilen_field), and
 * nothing after (no closing block).
 */
static void put_batch(struct ctmp *t, const unsigned char *p, size_t boff, const void *img,
		      size_t ilen, __u32 ilen_field)
{
	size_t cap = KCAPF_BATCH_HDR_LEN + KCAPF_COLS_PREFIX + ZSTD_compressBound(ilen), n;
	unsigned char *out = test_malloc(boff + KCAPF_BLOCK_HDR_LEN + cap);
	unsigned char *b = out + boff + KCAPF_BLOCK_HDR_LEN;

	memcpy(out, p, boff + KCAPF_BLOCK_HDR_LEN + KCAPF_BATCH_HDR_LEN);
	memcpy(b + KCAPF_BATCH_HDR_LEN, &ilen_field, 4);
	memset(b + KCAPF_BATCH_HDR_LEN + 4, 0, 4);
	n = ZSTD_compress(b + KCAPF_BATCH_HDR_LEN + KCAPF_COLS_PREFIX,
			  cap - KCAPF_BATCH_HDR_LEN - KCAPF_COLS_PREFIX, img, ilen, 1);
	assert_false(ZSTD_isError(n));
	n += KCAPF_BATCH_HDR_LEN + KCAPF_COLS_PREFIX;
	kcapf_block_hdr(out + boff, KCAPF_BLK_BATCH, b, (__u32)n);
	spew(t->path2, out, boff + KCAPF_BLOCK_HDR_LEN + n);
	test_free(out);
}

/* Reads @path2 to its end: -EBADMSG with @want in the message, which
 * names the batch's offset. */
static void expect_bad(struct ctmp *t, size_t boff, const char *want)
{
	struct kcap *h = kcap_open_file(t->path2, NULL);
	const struct kcap_event_hdr *ev;
	char at[64];
	int r;

	assert_non_null(h);
	while (!(r = kcap_next(h, &ev)))
		;
	if (r != -EBADMSG || !strstr(kcap_errmsg(h), want))
		fail_msg("want \"%s\", got %d \"%s\"", want, r, kcap_errmsg(h));
	snprintf(at, sizeof(at), "offset %zu: event batch: ", boff);
	if (!strstr(kcap_errmsg(h), at))
		fail_msg("\"%s\" does not name the batch's offset %zu", kcap_errmsg(h), boff);
	assert_null(strchr(kcap_errmsg(h), '\n'));
	kcap_close(h);
}

/* What a decode that succeeded built: records the reader may hand out
 * unchecked (file_read.c skips kcap__record_check for column batches). */
static void check_records(const unsigned char *raw, size_t len)
{
	const char *why = NULL;
	size_t pos = 0;

	while (pos < len) {
		const struct kcap_event_hdr *e = (const void *)(raw + pos);

		if (kcap__record_check(e, len - pos, &why))
			fail_msg("decoded record at byte %zu: %s", pos, why);
		pos += KCAP_ALIGN(e->len);
	}
}

static void test_cols_corrupt(void **state)
{
	struct ctmp *t = *state;
	unsigned char *p, *img, *bad, *raw;
	size_t len, boff, ilen, i;
	unsigned int by[3];
	struct kcapf_cols_rd rd = { 0 };
	__u32 l32;
	char why[160];

	write_varied(t, t->path, false, 0);
	p = slurp(t->path, &len);
	batches_by_comp(p, len, by, &boff);
	assert_true(boff > 0);
	img = image_of(p, boff, &ilen);
	bad = test_malloc(ilen + 64);

	/* unchanged: reads (no closing block) */
	put_batch(t, p, boff, img, ilen, (__u32)ilen);
	{
		struct kcap *h = kcap_open_file(t->path2, NULL);
		const struct kcap_event_hdr *ev;
		unsigned int n = 0;

		assert_non_null(h);
		while (!kcap_next(h, &ev))
			n++;
		assert_int_equal(n, NR_EV);
		kcap_close(h);
	}
	/* the batch's raw length 8 bytes short of its events, or 8 over: the
	 * reader (one event at a time) says so at the batch's end at the
	 * latest */
	{
		unsigned char *q = test_malloc(len);
		size_t at = boff + KCAPF_BLOCK_HDR_LEN + 20;
		__u32 rl;

		memcpy(q, p, len);
		memcpy(&rl, q + at, 4);
		rl -= 8;
		memcpy(q + at, &rl, 4);
		put_batch(t, q, boff, img, ilen, (__u32)ilen);
		expect_bad(t, boff, "the batch has");
		rl += 16;
		memcpy(q + at, &rl, 4);
		put_batch(t, q, boff, img, ilen, (__u32)ilen);
		expect_bad(t, boff, "the batch has");
		test_free(q);
	}
	/* the image length field disagrees with the frame */
	put_batch(t, p, boff, img, ilen, (__u32)ilen + 8);
	expect_bad(t, boff, "after decompression");
	put_batch(t, p, boff, img, ilen, 0xffffff00u);
	expect_bad(t, boff, "column image of");
	/* a stream length running past the image */
	memcpy(bad, img, ilen);
	l32 = (__u32)ilen;
	memcpy(bad + 4 * 7, &l32, 4);
	put_batch(t, p, boff, bad, ilen, (__u32)ilen);
	expect_bad(t, boff, "parameter data column of");
	/* bytes left over: the image one byte longer, the data stream too */
	memcpy(bad, img, ilen);
	bad[ilen] = 0;
	memcpy(&l32, bad + 4 * 7, 4);
	l32++;
	memcpy(bad + 4 * 7, &l32, 4);
	put_batch(t, p, boff, bad, ilen + 1, (__u32)ilen + 1);
	expect_bad(t, boff, "left over in the parameter data column");
	/* the image cut short */
	put_batch(t, p, boff, img, ilen - 1, (__u32)ilen - 1);
	expect_bad(t, boff, "runs past the image");
	/* a parameter copied from a reference the first event does not have */
	{
		size_t lens_off = KCAPF_COLS_HDR_LEN;

		for (i = 0; i < KCAPF_COLS_LENS; i++) {
			memcpy(&l32, img + 4 * i, 4);
			lens_off += l32;
		}
		memcpy(bad, img, ilen);
		bad[lens_off] = 0; /* event 0, parameter 0: "the reference's" */
		put_batch(t, p, boff, bad, ilen, (__u32)ilen);
		expect_bad(t, boff, "event 0: parameter 0 refers to a parameter");
	}
	/* a varint that never ends: the time stream all continuation bytes */
	memcpy(bad, img, ilen);
	memcpy(&l32, img, 4);
	memset(bad + KCAPF_COLS_HDR_LEN, 0xff, l32);
	put_batch(t, p, boff, bad, ilen, (__u32)ilen);
	expect_bad(t, boff, "bad time");

	/* every single-byte change and every cut of the image, decoded
	 * directly: 0 or -EBADMSG, never outside the buffers (ASan) */
	{
		__u64 first_ts;
		int r;

		memcpy(&first_ts, p + boff + KCAPF_BLOCK_HDR_LEN, 8);
		raw = test_malloc(t->raw_len);
		r = kcapf_cols_decode(&rd, img, ilen, t->nr, first_ts, raw, t->raw_len, why,
				      sizeof(why));
		if (r)
			fail_msg("decode: %s", why);
		assert_memory_equal(raw, t->raw, t->raw_len);
		for (i = 0; i < ilen; i += 1 + i / 64) {
			memcpy(bad, img, ilen);
			bad[i] ^= (unsigned char)(0x5a + i);
			r = kcapf_cols_decode(&rd, bad, ilen, t->nr, first_ts, raw, t->raw_len,
					      why, sizeof(why));
			assert_true(r == 0 || r == -EBADMSG);
			if (!r)
				check_records(raw, t->raw_len);
			r = kcapf_cols_decode(&rd, img, i, t->nr, first_ts, raw, t->raw_len, why,
					      sizeof(why));
			assert_int_equal(r, -EBADMSG);
		}
		/* one event more or fewer than the columns hold */
		assert_int_equal(kcapf_cols_decode(&rd, img, ilen, t->nr + 1, first_ts, raw, t->raw_len,
						    why, sizeof(why)),
				 -EBADMSG);
		assert_int_equal(kcapf_cols_decode(&rd, img, ilen, t->nr - 1, first_ts, raw, t->raw_len,
						    why, sizeof(why)),
				 -EBADMSG);
		/* a batch shorter than its events */
		assert_int_equal(kcapf_cols_decode(&rd, img, ilen, t->nr, first_ts, raw, t->raw_len - 8,
						    why, sizeof(why)),
				 -EBADMSG);
		test_free(raw);
		kcapf_cols_rd_free(&rd);
	}
	test_free(bad);
	test_free(img);
	test_free(p);
}

static const struct CMUnitTest cols_tests[] = {
	cmocka_unit_test_setup_teardown(test_cols_round_trip, ct_setup, ct_teardown),
	cmocka_unit_test_setup_teardown(test_cols_old_format, ct_setup, ct_teardown),
	cmocka_unit_test_setup_teardown(test_cols_refused_record, ct_setup, ct_teardown),
	cmocka_unit_test_setup_teardown(test_cols_corrupt, ct_setup, ct_teardown),
};

UNIT_GROUP(cols, cols_tests)
