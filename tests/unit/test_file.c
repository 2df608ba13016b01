// SPDX-License-Identifier: Apache-2.0
/*
 * Capture files (userspace/lib/capture/file_write.c, file_read.c) and the
 * merge of several sources (capture/merge.c): round trip, rotation,
 * seeking by time, the file's own event table, write errors and every
 * corruption class a reader must report by offset (or skip, for unknown
 * blocks and a missing closing block).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>

#include "capture/file_format.h"
#include "kcap_detect.h"
#include "producer.h"
#include "unit.h"

#define TS0 1000000000ULL
#define STEP 1000ULL

struct ftmp {
	char dir[64];
	char path[128];
};

static int ft_setup(void **state)
{
	struct ftmp *t = test_calloc(1, sizeof(*t));

	snprintf(t->dir, sizeof(t->dir), "/tmp/kcap-unit-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/cap.kcap", t->dir);
	*state = t;
	return 0;
}

static int ft_teardown(void **state)
{
	struct ftmp *t = *state;
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	assert_int_equal(system(cmd), 0);
	test_free(t);
	return 0;
}

/* A generic syscall event (8 params) in @buf; returns its header. */
static const struct kcap_event_hdr *mk_event(unsigned char *buf, __u64 ts, __u32 tid, __u32 nr,
					     __s64 res)
{
	struct kcap_event_hdr *h = (void *)buf;
	__u16 lens[8] = { 4, 8, 8, 8, 8, 8, 8, 8 };
	unsigned char *p = buf + sizeof(*h) + sizeof(lens);
	__u64 a = 0x1000 + tid;
	int i;

	memset(h, 0, sizeof(*h));
	h->ts_ns = ts;
	h->tid = tid;
	h->pid = tid;
	h->type = KCAP_EVT_SYSCALL;
	h->nparams = 8;
	h->cpu = (__u16)(tid % 2);
	memcpy(buf + sizeof(*h), lens, sizeof(lens));
	memcpy(p, &nr, 4);
	p += 4;
	for (i = 0; i < 6; i++, p += 8)
		memcpy(p, &a, 8);
	memcpy(p, &res, 8);
	p += 8;
	h->len = (__u32)(p - buf);
	return h;
}

/* Writes @n events, a batch every @per_batch (0: writer's choice). */
static void write_events(const char *path, unsigned int n, unsigned int per_batch,
			 const struct kcap_writer_opts *o)
{
	unsigned char buf[256] __attribute__((aligned(8)));
	char err[256] = "";
	struct kcap_writer *w;
	KCAP_OPTS(kcap_writer_opts, def, .flags = KCAP_WRITER_NO_PROCS, .errbuf = err,
		  .errbuf_sz = sizeof(err));
	unsigned int i;

	w = kcap_writer_open(path, o ? o : &def);
	assert_non_null(w);
	for (i = 0; i < n; i++) {
		assert_int_equal(kcap_writer_write(w, mk_event(buf, TS0 + i * STEP, 100 + i % 7,
							       i % 300, (__s64)i)),
				 0);
		if (per_batch && i % per_batch == per_batch - 1)
			assert_int_equal(kcap_writer_flush(w), 0);
	}
	assert_int_equal(kcap_writer_finish(w), 0);
	kcap_writer_close(w);
}

static struct kcap *open_ok(const char *path, __u64 start, __u64 end)
{
	char err[256] = "";
	KCAP_OPTS(kcap_file_opts, o, .start_ns = start, .end_ns = end, .errbuf = err,
		  .errbuf_sz = sizeof(err));
	struct kcap *h = kcap_open_file(path, &o);

	if (!h)
		fail_msg("kcap_open_file: %s", err);
	return h;
}

/* Reads to the end; returns the count, checks order and content. */
static unsigned int read_all(struct kcap *h, int *last_err)
{
	const struct kcap_event_hdr *ev;
	unsigned int n = 0;
	__u64 prev = 0;
	int err;

	while (!(err = kcap_next(h, &ev))) {
		__u64 res;

		assert_true(ev->ts_ns >= prev);
		prev = ev->ts_ns;
		assert_int_equal(kcap_event_u64(ev, 7, &res), 0);
		assert_int_equal(res, (ev->ts_ns - TS0) / STEP);
		n++;
	}
	*last_err = err;
	return n;
}

static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* 1 if @expr matches @ev with @st, which saw it first. */
static int match_expr(struct kcap_state *st, struct kcap *h, const struct kcap_event_hdr *ev,
		      const char *expr)
{
	struct kcap_filter *f = kcap_filter_compile(expr, NULL);
	int m;

	assert_non_null(f);
	m = kcap_filter_match(f, st, h, ev);
	kcap_filter_free(f);
	return m;
}

/*
 * user.name and group.name of a capture file are the recording machine's:
 * the writer stores its passwd and group names (USERS block, format 1.1),
 * a copy keeps them, a reader uses them instead of its own machine's, and
 * a file without them (format 1.0) names only root.
 */
static void test_user_names(void **state)
{
	struct ftmp *t = *state;
	unsigned char buf[256] __attribute__((aligned(8)));
	char passwd[PATH_MAX], group[PATH_MAX], copy[PATH_MAX], err[256] = "";
	const struct kcap_event_hdr *ev;
	struct kcap_file_info fi;
	struct kcap_writer *w;
	struct kcap_state *st;
	struct kcap *h;
	KCAP_OPTS(kcap_writer_opts, o, .passwd = passwd, .group = group, .errbuf = err,
		  .errbuf_sz = sizeof(err));
	KCAP_OPTS(kcap_writer_opts, co, .errbuf = err, .errbuf_sz = sizeof(err));

	(void)state;
	snprintf(passwd, sizeof(passwd), "%s/passwd", t->dir);
	snprintf(group, sizeof(group), "%s/group", t->dir);
	snprintf(copy, sizeof(copy), "%s/copy.kcap", t->dir);
	/* uid 0 is "toor" there (the first of two entries, as getpwuid()
	 * answers); comments, short and bad lines are skipped */
	put_file(passwd, "# comment\ntoor:x:0:0:recorded root:/root:/bin/sh\n"
			 "root:x:0:0::/root:/bin/sh\nbroken line\nnoid:x::0::/:/bin/sh\n"
			 "alice:x:1000:1000::/home/alice:/bin/sh\n");
	put_file(group, "wheel:x:0:alice\nstaff:x:50:\n");
	/* the writer's snapshot has this process (uid 0 and gid 0 as root) */
	w = kcap_writer_open(t->path, &o);
	if (!w)
		fail_msg("kcap_writer_open: %s", err);
	assert_int_equal(kcap_writer_write(w, mk_event(buf, TS0, (__u32)getpid(), 39, 0)), 0);
	assert_int_equal(kcap_writer_finish(w), 0);
	kcap_writer_close(w);

	h = open_ok(t->path, 0, 0);
	assert_int_equal(kcap_file_info(h, &fi, sizeof(fi)), 0);
	assert_int_equal(fi.format_minor, 4);
	assert_true(fi.flags & KCAP_FILE_NAMES);
	assert_int_equal(fi.nr_users, 3);
	assert_int_equal(fi.nr_groups, 2);
	/* a copy keeps the recorded names, not this machine's */
	co.source = h;
	w = kcap_writer_open(copy, &co);
	if (!w)
		fail_msg("kcap_writer_open (copy): %s", err);
	assert_int_equal(kcap_next(h, &ev), 0);
	assert_int_equal(kcap_writer_write(w, ev), 0);
	assert_int_equal(kcap_writer_finish(w), 0);
	kcap_writer_close(w);
	kcap_close(h);

	h = open_ok(copy, 0, 0);
	assert_int_equal(kcap_file_info(h, &fi, sizeof(fi)), 0);
	assert_true(fi.flags & KCAP_FILE_NAMES);
	assert_int_equal(fi.nr_users, 3);
	st = kcap_state_new(NULL);
	assert_non_null(st);
	assert_int_equal(kcap_state_seed(st, h), 0);
	assert_int_equal(kcap_next(h, &ev), 0);
	assert_int_equal(kcap_state_update(st, h, ev), 0);
	if (getuid() == 0 && getgid() == 0)
		assert_int_equal(match_expr(st, h, ev, "user.name = toor and group.name = wheel"), 1);
	kcap_state_free(st);
	kcap_close(h);

	/* format 1.0 (the sample corpus): no names but root's */
	h = open_ok(KCAP_TEST_CORPUS "/guest-clean.kcap", 0, 0);
	assert_int_equal(kcap_file_info(h, &fi, sizeof(fi)), 0);
	assert_int_equal(fi.format_minor, 0);
	assert_false(fi.flags & KCAP_FILE_NAMES);
	kcap_close(h);
}

static void test_round_trip(void **state)
{
	struct ftmp *t = *state;
	struct kcap_file_info fi;
	unsigned char buf[256] __attribute__((aligned(8)));
	const struct kcap_event_hdr *ev;
	__u64 counts[8];
	char line[512];
	struct kcap *h;
	int err;
	KCAP_OPTS(kcap_writer_opts, o, .level = 5);

	/* With the /proc snapshot this time. */
	write_events(t->path, 20000, 0, &o);
	h = open_ok(t->path, 0, 0);
	assert_int_equal(kcap_file_info(h, &fi, sizeof(fi)), 0);
	assert_int_equal(fi.flags & (KCAP_FILE_CLOSED | KCAP_FILE_INDEXED),
			 KCAP_FILE_CLOSED | KCAP_FILE_INDEXED);
	assert_int_equal(fi.nr_events, 20000);
	assert_int_equal(fi.first_ts, TS0);
	assert_int_equal(fi.last_ts, TS0 + 19999 * STEP);
	assert_true(fi.nr_threads > 0);
	assert_true(fi.stored_bytes < fi.raw_bytes);
	assert_true(fi.hostname[0]);
	assert_int_equal(kcap_file_type_counts(h, counts, 8), 0);
	assert_int_equal(counts[KCAP_EVT_SYSCALL], 20000);
	assert_int_equal(kcap_next(h, &ev), 0);
	assert_memory_equal(ev, mk_event(buf, TS0, 100, 0, 0), ev->len);
	assert_true(kcap_event_format(h, ev, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "syscall read("));
	assert_int_equal(read_all(h, &err), 19999);
	assert_int_equal(err, -ENODATA);
	kcap_close(h);
}

static void test_seek(void **state)
{
	struct ftmp *t = *state;
	const struct kcap_event_hdr *ev;
	struct kcap *h;
	int err;

	write_events(t->path, 10000, 100, NULL);
	h = open_ok(t->path, TS0 + 5050 * STEP, TS0 + 5149 * STEP);
	assert_int_equal(kcap_next(h, &ev), 0);
	assert_int_equal(ev->ts_ns, TS0 + 5050 * STEP);
	assert_int_equal(read_all(h, &err), 99);
	assert_int_equal(err, -ENODATA);
	kcap_close(h);
	/* A window after the last event: nothing, at once. */
	h = open_ok(t->path, TS0 + 20000 * STEP, 0);
	assert_int_equal(kcap_next(h, &ev), -ENODATA);
	kcap_close(h);
}

static void test_rotation(void **state)
{
	struct ftmp *t = *state;
	char name[160];
	unsigned int i, total = 0, n;
	struct kcap *h;
	int err;
	KCAP_OPTS(kcap_writer_opts, o, .flags = KCAP_WRITER_NO_PROCS, .rotate_bytes = 1,
		  .rotate_keep = 3);

	write_events(t->path, 5000, 500, &o);
	/* 10 batches, a new file after each: .0 .. .9, then .10 (empty) that
	 * the close finishes; only the last 3 are kept. */
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "%s.%u", t->path, i);
		if (access(name, F_OK))
			continue;
		h = open_ok(name, 0, 0);
		n = read_all(h, &err);
		assert_int_equal(err, -ENODATA);
		total += n;
		kcap_close(h);
		assert_true(i >= 8 && i <= 10);
	}
	assert_true(access(t->path, F_OK) != 0);
	assert_int_equal(total, 1000);
}

static void test_write_error(void **state)
{
	char err[256] = "";
	KCAP_OPTS(kcap_writer_opts, o, .flags = KCAP_WRITER_NO_PROCS, .errbuf = err,
		  .errbuf_sz = sizeof(err));

	(void)state;
	if (access("/dev/full", W_OK))
		skip();
	assert_null(kcap_writer_open("/dev/full", &o));
	assert_int_equal(errno, ENOSPC);
	assert_non_null(strstr(err, "No space left"));
}

/* ---- Corruption ------------------------------------------------------------ */

static unsigned char *slurp(const char *path, size_t *len)
{
	struct stat sb;
	unsigned char *p;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &sb), 0);
	p = test_malloc((size_t)sb.st_size + 64);
	assert_int_equal(read(fd, p, (size_t)sb.st_size), sb.st_size);
	close(fd);
	*len = (size_t)sb.st_size;
	return p;
}

static void spit(const char *path, const void *p, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, len), (ssize_t)len);
	close(fd);
}

/* Offset of the @nth block of @type, or 0. */
static size_t find_block(const unsigned char *p, size_t len, __u32 type, unsigned int nth)
{
	size_t off = KCAPF_HEADER_LEN;
	__u32 t, l;

	while (off + KCAPF_BLOCK_HDR_LEN <= len) {
		memcpy(&t, p + off, 4);
		memcpy(&l, p + off + 4, 4);
		if (t == type && !nth--)
			return off;
		off += KCAPF_BLOCK_HDR_LEN + l;
	}
	return 0;
}

/* Opens @path and reads to the end; returns the error of open or read. */
static int try_read(const char *path, char *msg, size_t msglen, unsigned int *n)
{
	const struct kcap_event_hdr *ev;
	KCAP_OPTS(kcap_file_opts, o, .errbuf = msg, .errbuf_sz = msglen);
	struct kcap *h = kcap_open_file(path, &o);
	int err;

	*n = 0;
	if (!h)
		return -errno;
	while (!(err = kcap_next(h, &ev)))
		(*n)++;
	snprintf(msg, msglen, "%s", kcap_errmsg(h));
	kcap_close(h);
	return err;
}

static void test_bad_magic(void **state)
{
	struct ftmp *t = *state;
	unsigned char *p;
	size_t len;
	char msg[256];
	unsigned int n;

	write_events(t->path, 100, 0, NULL);
	p = slurp(t->path, &len);
	p[0] = 'X';
	spit(t->path, p, len);
	assert_int_equal(try_read(t->path, msg, sizeof(msg), &n), -EBADMSG);
	assert_non_null(strstr(msg, "offset 0: not a kcap capture file"));
	test_free(p);
}

static void test_bad_checksum(void **state)
{
	struct ftmp *t = *state;
	unsigned char *p;
	size_t len, off;
	char msg[256], want[64];
	unsigned int n;

	write_events(t->path, 1000, 250, NULL);
	p = slurp(t->path, &len);
	off = find_block(p, len, KCAPF_BLK_BATCH, 2);
	assert_true(off > 0);
	p[off + KCAPF_BLOCK_HDR_LEN + 40] ^= 0x55;
	spit(t->path, p, len);
	assert_int_equal(try_read(t->path, msg, sizeof(msg), &n), -EBADMSG);
	assert_int_equal(n, 500);
	snprintf(want, sizeof(want), "offset %zu: block checksum mismatch", off);
	assert_non_null(strstr(msg, want));
	test_free(p);
}

static void test_truncated_block(void **state)
{
	struct ftmp *t = *state;
	struct kcap_file_info fi;
	unsigned char *p;
	size_t len, off;
	char msg[256];
	unsigned int n;
	struct kcap *h;
	int err;

	write_events(t->path, 1000, 250, NULL);
	p = slurp(t->path, &len);
	off = find_block(p, len, KCAPF_BLK_BATCH, 3);
	spit(t->path, p, off + 100); /* a killed writer: the last batch torn */
	assert_int_equal(try_read(t->path, msg, sizeof(msg), &n), -ENODATA);
	assert_int_equal(n, 750);
	h = open_ok(t->path, 0, 0);
	read_all(h, &err);
	assert_int_equal(kcap_file_info(h, &fi, sizeof(fi)), 0);
	assert_int_equal(fi.flags & (KCAP_FILE_CLOSED | KCAP_FILE_TRUNCATED), KCAP_FILE_TRUNCATED);
	assert_int_equal(fi.end_offset, off);
	assert_int_equal(fi.nr_events, 750);
	kcap_close(h);
	test_free(p);
}

static void test_missing_closing_block(void **state)
{
	struct ftmp *t = *state;
	struct kcap_file_info fi;
	__u64 counts[4];
	unsigned char *p;
	size_t len, off;
	struct kcap *h;
	int err;

	write_events(t->path, 1000, 250, NULL);
	p = slurp(t->path, &len);
	off = find_block(p, len, KCAPF_BLK_END, 0);
	assert_true(off > 0);
	spit(t->path, p, off);
	h = open_ok(t->path, 0, 0);
	assert_int_equal(read_all(h, &err), 1000);
	assert_int_equal(err, -ENODATA);
	assert_int_equal(kcap_file_info(h, &fi, sizeof(fi)), 0);
	assert_int_equal(fi.flags, KCAP_FILE_NAMES); /* not closed, not indexed */
	assert_int_equal(fi.nr_events, 1000);
	assert_int_equal(kcap_file_type_counts(h, counts, 4), -ENODATA);
	kcap_close(h);
	test_free(p);
}

static void test_oversized_length(void **state)
{
	struct ftmp *t = *state;
	unsigned char *p;
	size_t len, off;
	__u32 big = 0x7fffffff, crc;
	char msg[256];
	unsigned int n;

	write_events(t->path, 1000, 250, NULL);
	p = slurp(t->path, &len);
	off = find_block(p, len, KCAPF_BLK_BATCH, 1);
	memcpy(p + off + 4, &big, 4);
	crc = kcapf_crc(p + off, 12);
	memcpy(p + off + 12, &crc, 4);
	spit(t->path, p, len);
	assert_int_equal(try_read(t->path, msg, sizeof(msg), &n), -EBADMSG);
	assert_int_equal(n, 250);
	assert_non_null(strstr(msg, "above the limit"));
	test_free(p);
}

static void test_unknown_block_skipped(void **state)
{
	struct ftmp *t = *state;
	unsigned char *p, *q, hdr[KCAPF_BLOCK_HDR_LEN];
	const char payload[] = "a block from a future kcap";
	size_t len, off;
	char msg[256];
	unsigned int n;

	write_events(t->path, 1000, 250, NULL);
	p = slurp(t->path, &len);
	off = find_block(p, len, KCAPF_BLK_BATCH, 1);
	q = test_malloc(len + sizeof(hdr) + sizeof(payload));
	kcapf_block_hdr(hdr, 9999, payload, sizeof(payload));
	memcpy(q, p, off);
	memcpy(q + off, hdr, sizeof(hdr));
	memcpy(q + off + sizeof(hdr), payload, sizeof(payload));
	/* Cut the closing block: its index offsets moved. */
	memcpy(q + off + sizeof(hdr) + sizeof(payload), p + off,
	       find_block(p, len, KCAPF_BLK_END, 0) - off);
	spit(t->path, q, find_block(p, len, KCAPF_BLK_END, 0) + sizeof(hdr) + sizeof(payload));
	assert_int_equal(try_read(t->path, msg, sizeof(msg), &n), -ENODATA);
	assert_int_equal(n, 1000);
	test_free(p);
	test_free(q);
}

/*
 * Format 1.4: metadata blocks of KCAPF_ZMETA_MIN bytes or more (the event
 * table here) are written zstd-compressed inside a ZMETA block, which the
 * reader unwraps; a ZMETA block wrong in any way is refused with one line
 * (checksums recomputed: the parser, not the CRC, must catch it).
 */
static void test_zmeta(void **state)
{
	static const struct {
		unsigned int field; /* 0: inner type, 1: raw length, 2: a frame byte */
		__u32 value;
		const char *want;
	} bad[] = {
		{ 0, KCAPF_BLK_BATCH, "compressed metadata block holds a block of type 4" },
		{ 0, KCAPF_BLK_ZMETA, "compressed metadata block holds a block of type 9" },
		{ 1, 1, "compressed metadata block (type 2): " },
		{ 1, 0, "compressed metadata block (type 2): a length other than its header's" },
		{ 1, KCAPF_MAX_BLOCK + 1, "is above the limit" },
		{ 2, 0, "compressed metadata block (type 2): " },
	};
	struct ftmp *t = *state;
	unsigned char *p, *q;
	size_t len, off, i;
	__u32 plen, inner, raw, v;
	char msg[256];
	unsigned int n;

	write_events(t->path, 1000, 250, NULL);
	p = slurp(t->path, &len);
	off = find_block(p, len, KCAPF_BLK_ZMETA, 0);
	assert_true(off > 0);
	assert_int_equal(find_block(p, len, KCAPF_BLK_EVENT_TABLE, 0), 0);
	memcpy(&plen, p + off + 4, 4);
	memcpy(&inner, p + off + KCAPF_BLOCK_HDR_LEN, 4);
	memcpy(&raw, p + off + KCAPF_BLOCK_HDR_LEN + 4, 4);
	assert_int_equal(inner, KCAPF_BLK_EVENT_TABLE);
	assert_true(plen < raw / 2);
	/* one standard zstd frame of the table's payload */
	assert_int_equal(ZSTD_getFrameContentSize(p + off + KCAPF_BLOCK_HDR_LEN + 8, plen - 8),
			 raw);
	assert_int_equal(try_read(t->path, msg, sizeof(msg), &n), -ENODATA);
	assert_int_equal(n, 1000);
	q = test_malloc(len);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unsigned char *pl = q + off + KCAPF_BLOCK_HDR_LEN;

		memcpy(q, p, len);
		v = bad[i].field == 1 && bad[i].value == 1 ? raw - 1 :
		    bad[i].field == 1 && bad[i].value == 0 ? raw + 1 : bad[i].value;
		if (bad[i].field == 2)
			pl[8] ^= 0xff; /* the frame's magic number */
		else
			memcpy(pl + 4 * bad[i].field, &v, 4);
		kcapf_block_hdr(q + off, KCAPF_BLK_ZMETA, pl, plen);
		spit(t->path, q, len);
		assert_int_equal(try_read(t->path, msg, sizeof(msg), &n), -EBADMSG);
		assert_int_equal(n, 0);
		if (!strstr(msg, bad[i].want) || strchr(msg, '\n'))
			fail_msg("case %zu: want \"%s\", got \"%s\"", i, bad[i].want, msg);
	}
	test_free(p);
	test_free(q);
	/* KCAP_WRITER_PLAIN (for older readers): the table stays plain */
	{
		KCAP_OPTS(kcap_writer_opts, o, .flags = KCAP_WRITER_NO_PROCS | KCAP_WRITER_PLAIN);

		write_events(t->path, 10, 0, &o);
		p = slurp(t->path, &len);
		assert_int_equal(find_block(p, len, KCAPF_BLK_ZMETA, 0), 0);
		assert_true(find_block(p, len, KCAPF_BLK_EVENT_TABLE, 0) > 0);
		assert_int_equal(try_read(t->path, msg, sizeof(msg), &n), -ENODATA);
		assert_int_equal(n, 10);
		test_free(p);
	}
}

/* A file written with another event table decodes with that table. */
/* A file whose own table names type 2 "oldcall" (one u32 \"x\"); one event at @ts. */
static void write_oldcall_file(const char *path, __u64 ts)
{
	unsigned char hdr[KCAPF_HEADER_LEN] = { 0 }, bh[KCAPF_BLOCK_HDR_LEN];
	unsigned char evb[256] __attribute__((aligned(8)));
	const struct kcap_event_hdr *ev;
	struct kbuf f = { 0 }, b = { 0 };
	__u32 crc, v32;
	__u16 v16;

	memcpy(hdr, KCAPF_MAGIC, 8);
	v16 = 1;
	memcpy(hdr + 8, &v16, 2);
	v32 = KCAPF_BYTE_ORDER;
	memcpy(hdr + 12, &v32, 4);
	v32 = KCAPF_HEADER_LEN;
	memcpy(hdr + 16, &v32, 4);
	crc = kcapf_crc(hdr, 24);
	memcpy(hdr + 24, &crc, 4);
	kbuf_put(&f, hdr, sizeof(hdr));
	/* Table: type 2 is "oldcall" with one parameter "x" (u32). */
	kbuf_u16(&b, 0);
	kbuf_u16(&b, 9);
	kbuf_u32(&b, 1);
	kbuf_u16(&b, KCAP_EVT_SYSCALL);
	kbuf_u16(&b, 1);
	kbuf_u32(&b, 0);
	kbuf_str(&b, "oldcall");
	kbuf_u16(&b, KCAP_PT_U32);
	kbuf_u16(&b, KCAP_PF_HEX);
	kbuf_str(&b, "x");
	kcapf_block_hdr(bh, KCAPF_BLK_EVENT_TABLE, b.p, (__u32)b.len);
	kbuf_put(&f, bh, sizeof(bh));
	kbuf_put(&f, b.p, b.len);
	/* One uncompressed batch with one event. */
	ev = mk_event(evb, ts, 1, 0xabc, 0);
	b.len = 0;
	kbuf_u64(&b, ts);
	kbuf_u64(&b, ts);
	kbuf_u32(&b, 1);
	kbuf_u32(&b, (__u32)KCAP_ALIGN(ev->len));
	kbuf_u32(&b, KCAPF_COMP_NONE);
	kbuf_u32(&b, 0);
	memset(evb + ev->len, 0, KCAP_ALIGN(ev->len) - ev->len);
	kbuf_put(&b, evb, KCAP_ALIGN(ev->len));
	kcapf_block_hdr(bh, KCAPF_BLK_BATCH, b.p, (__u32)b.len);
	kbuf_put(&f, bh, sizeof(bh));
	kbuf_put(&f, b.p, b.len);
	assert_false(f.oom || b.oom);
	spit(path, f.p, f.len);
	kbuf_free(&f);
	kbuf_free(&b);
}

static void test_own_event_table(void **state)
{
	struct ftmp *t = *state;
	const struct kcap_event_hdr *ev;
	char line[512];
	struct kcap *h;

	write_oldcall_file(t->path, 5);
	h = open_ok(t->path, 0, 0);
	assert_int_equal(kcap_next(h, &ev), 0);
	assert_true(kcap_event_format(h, ev, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "oldcall x=0xabc"));
	assert_string_equal(kcap_handle_event_desc(h, KCAP_EVT_SYSCALL)->name, "oldcall");
	assert_null(kcap_handle_event_desc(h, KCAP_EVT_PROC_FORK));
	assert_int_equal(kcap_next(h, &ev), -ENODATA);
	kcap_close(h);
}

/* A file whose own table describes kill(2) with its signal parameter named
 * @sig, and one kill(pid 7, signal 9) event at @ts. */
static void write_kill_file(const char *path, __u64 ts, const char *sig)
{
	unsigned char hdr[KCAPF_HEADER_LEN] = { 0 }, bh[KCAPF_BLOCK_HDR_LEN];
	unsigned char evb[64] __attribute__((aligned(8)));
	struct kcap_event_hdr *ev = (void *)evb;
	struct kbuf f = { 0 }, b = { 0 };
	__u16 lens[3] = { 8, 4, 4 };
	__s64 res = 0;
	__s32 pid = 7;
	__u32 crc, v32, signo = 9;
	__u16 v16;

	memcpy(hdr, KCAPF_MAGIC, 8);
	v16 = 1;
	memcpy(hdr + 8, &v16, 2);
	v32 = KCAPF_BYTE_ORDER;
	memcpy(hdr + 12, &v32, 4);
	v32 = KCAPF_HEADER_LEN;
	memcpy(hdr + 16, &v32, 4);
	crc = kcapf_crc(hdr, 24);
	memcpy(hdr + 24, &crc, 4);
	kbuf_put(&f, hdr, sizeof(hdr));
	kbuf_u16(&b, KCAP_ABI_MAJOR);
	kbuf_u16(&b, KCAP_ABI_MINOR);
	kbuf_u32(&b, 1);
	kbuf_u16(&b, KCAP_EVT_KILL);
	kbuf_u16(&b, 3);
	kbuf_u32(&b, KCAP_EDF_SYSCALL | KCAP_EDF_DECODED);
	kbuf_str(&b, "kill");
	kbuf_u16(&b, KCAP_PT_ERRNO);
	kbuf_u16(&b, KCAP_PF_DEC);
	kbuf_str(&b, "res");
	kbuf_u16(&b, KCAP_PT_S32);
	kbuf_u16(&b, KCAP_PF_DEC);
	kbuf_str(&b, "pid");
	kbuf_u16(&b, KCAP_PT_U32);
	kbuf_u16(&b, KCAP_PF_DEC);
	kbuf_str(&b, sig);
	kcapf_block_hdr(bh, KCAPF_BLK_EVENT_TABLE, b.p, (__u32)b.len);
	kbuf_put(&f, bh, sizeof(bh));
	kbuf_put(&f, b.p, b.len);
	memset(evb, 0, sizeof(evb));
	ev->ts_ns = ts;
	ev->tid = ev->pid = 1;
	ev->type = KCAP_EVT_KILL;
	ev->nparams = 3;
	memcpy(evb + sizeof(*ev), lens, sizeof(lens));
	memcpy(evb + sizeof(*ev) + 6, &res, 8);
	memcpy(evb + sizeof(*ev) + 14, &pid, 4);
	memcpy(evb + sizeof(*ev) + 18, &signo, 4);
	ev->len = sizeof(*ev) + 22;
	b.len = 0;
	kbuf_u64(&b, ts);
	kbuf_u64(&b, ts);
	kbuf_u32(&b, 1);
	kbuf_u32(&b, (__u32)KCAP_ALIGN(ev->len));
	kbuf_u32(&b, KCAPF_COMP_NONE);
	kbuf_u32(&b, 0);
	kbuf_put(&b, evb, KCAP_ALIGN(ev->len));
	kcapf_block_hdr(bh, KCAPF_BLK_BATCH, b.p, (__u32)b.len);
	kbuf_put(&f, bh, sizeof(bh));
	kbuf_put(&f, b.p, b.len);
	assert_false(f.oom || b.oom);
	spit(path, f.p, f.len);
	kbuf_free(&f);
	kbuf_free(&b);
}

/* The formatter's symbolic names follow each event's own table (worked out
 * once per table row, not per event): a merge of two files whose kill rows
 * name the signal differently, read twice, then one file alone. */
static void test_table_symbols(void **state)
{
	struct ftmp *t = *state;
	const struct kcap_event_hdr *ev;
	char a[160], b[160], line[512];
	struct kcap *src[2], *h;
	int round, i;

	snprintf(a, sizeof(a), "%s/sig.kcap", t->dir);
	snprintf(b, sizeof(b), "%s/signal.kcap", t->dir);
	write_kill_file(a, TS0, "sig");
	write_kill_file(b, TS0 + 1, "signal");
	for (round = 0; round < 2; round++) {
		src[0] = open_ok(a, 0, 0);
		src[1] = open_ok(b, 0, 0);
		h = kcap_open_merge(src, 2, NULL);
		assert_non_null(h);
		for (i = 0; i < 2; i++) {
			assert_int_equal(kcap_next(h, &ev), 0);
			assert_true(kcap_event_format(h, ev, line, sizeof(line)) > 0);
			/* "sig" is decoded by name for kill, any other name is not */
			assert_non_null(strstr(line, i ? "kill(pid=7, signal=9) = 0"
						      : "kill(pid=7, sig=SIGKILL) = 0"));
		}
		assert_int_equal(kcap_next(h, &ev), -ENODATA);
		kcap_close(h);
	}
	h = open_ok(b, 0, 0);
	assert_int_equal(kcap_next(h, &ev), 0);
	assert_true(kcap_event_format(h, ev, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "kill(pid=7, signal=9) = 0"));
	/* the built-in table's kill row decodes sig */
	assert_true(kcap_event_format(NULL, ev, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "kill(pid=7, sig=SIGKILL) = 0"));
	kcap_close(h);
}

/* Events i < @n with i % 2 == @parity, at TS0 + i * STEP (result i). */
static void write_half(const char *path, unsigned int n, unsigned int parity)
{
	unsigned char buf[256] __attribute__((aligned(8)));
	KCAP_OPTS(kcap_writer_opts, o, .flags = KCAP_WRITER_NO_PROCS);
	struct kcap_writer *w = kcap_writer_open(path, &o);
	unsigned int i;

	assert_non_null(w);
	for (i = parity; i < n; i += 2)
		assert_int_equal(kcap_writer_write(w, mk_event(buf, TS0 + i * STEP, 100 + i % 7,
							       i % 300, (__s64)i)),
				 0);
	assert_int_equal(kcap_writer_finish(w), 0);
	kcap_writer_close(w);
}

/* Two files of interleaved events read as one stream, in time order. */
static void test_merge_files(void **state)
{
	struct ftmp *t = *state;
	char a[160], b[160];
	struct kcap *src[2], *h;
	const struct kcap_event_hdr *ev;
	unsigned int n = 0;
	int err;

	snprintf(a, sizeof(a), "%s/a.kcap", t->dir);
	snprintf(b, sizeof(b), "%s/b.kcap", t->dir);
	write_half(a, 5000, 0);
	write_half(b, 5000, 1);
	src[0] = open_ok(a, 0, 0);
	src[1] = open_ok(b, 0, 0);
	h = kcap_open_merge(src, 2, NULL);
	assert_non_null(h);
	assert_int_equal(kcap_merge_last(h), -ENODATA);
	while (!(err = kcap_next(h, &ev))) {
		__u64 res;

		assert_int_equal(ev->ts_ns, TS0 + n * STEP);
		assert_int_equal(kcap_event_u64(ev, 7, &res), 0);
		assert_int_equal(res, n);
		/* the source of the event: even i from a, odd from b */
		assert_int_equal(kcap_merge_last(h), (int)(n % 2));
		n++;
	}
	assert_int_equal(err, -ENODATA);
	assert_int_equal(n, 5000);
	assert_int_equal(kcap_next(h, &ev), -ENODATA);
	assert_int_equal(kcap_fd(h), -EBADF);
	assert_int_equal(kcap_merge_last(src[0]), -EINVAL);
	kcap_close(h); /* closes both files (ASan: no leak) */

	/* Bad arguments: nothing is taken over. */
	src[0] = open_ok(a, 0, 0);
	errno = 0;
	assert_null(kcap_open_merge(src, 0, NULL));
	assert_int_equal(errno, EINVAL);
	assert_null(kcap_open_merge(NULL, 1, NULL));
	src[1] = NULL;
	assert_null(kcap_open_merge(src, 2, NULL));
	assert_int_equal(errno, EINVAL);
	{
		struct kcap_merge_opts bad = { .sz = 1 };

		assert_null(kcap_open_merge(src, 1, &bad));
		assert_int_equal(errno, EINVAL);
	}
	kcap_close(src[0]);
}

/* Each event decodes with its own source's table; a source with nothing yet
 * (-EAGAIN) does not hold back the others; the merge ends when all do. */
static void test_merge_sources(void **state)
{
	struct ftmp *t = *state;
	char a[160], b[160], line[512];
	KCAP_OPTS(kcap_open_opts, mo, .holdback_ns = KCAP_HOLDBACK_NONE,
		  .poll_timeout_ms = KCAP_POLL_NONBLOCK);
	const struct kcap_event_hdr *ev;
	struct kcap *src[3], *h;
	struct kcap_mem_ring m;
	struct tring r;
	__u64 args[6] = { 0 };

	snprintf(a, sizeof(a), "%s/old.kcap", t->dir);
	snprintf(b, sizeof(b), "%s/new.kcap", t->dir);
	write_oldcall_file(a, TS0 + 1);
	write_half(b, 3, 0); /* TS0 and TS0 + 2 * STEP */
	assert_int_equal(tring_init(&r, 64 << 10, 0), 0);
	m = tring_mem(&r);
	src[0] = open_ok(a, 0, 0);
	src[1] = open_ok(b, 0, 0);
	src[2] = kcap__open_mem(&m, 1, &mo);
	assert_non_null(src[2]);
	h = kcap_open_merge(src, 3, NULL);
	assert_non_null(h);
	assert_int_equal(kcap_start(h), 0);

	assert_int_equal(kcap_next(h, &ev), 0);
	assert_int_equal(ev->ts_ns, TS0);
	assert_int_equal(kcap_merge_last(h), 1);
	assert_string_equal(kcap_handle_event_desc(h, KCAP_EVT_SYSCALL)->name, "syscall");
	assert_int_equal(kcap_next(h, &ev), 0);
	assert_int_equal(ev->ts_ns, TS0 + 1);
	assert_int_equal(kcap_merge_last(h), 0);
	assert_string_equal(kcap_handle_event_desc(h, KCAP_EVT_SYSCALL)->name, "oldcall");
	assert_true(kcap_event_format(h, ev, line, sizeof(line)) > 0);
	assert_non_null(strstr(line, "oldcall x=0xabc"));
	/* The rings get an event while the merge holds TS0 + 2 * STEP. */
	assert_int_equal(tring_syscall(&r, TS0 + 3 * STEP, 9, 9, 39, args, 9), 0);
	assert_int_equal(kcap_next(h, &ev), 0);
	assert_int_equal(ev->ts_ns, TS0 + 2 * STEP);
	assert_int_equal(kcap_next(h, &ev), 0);
	assert_int_equal(ev->ts_ns, TS0 + 3 * STEP);
	assert_int_equal(kcap_merge_last(h), 2);
	/* Both files ended; the rings are live and empty. */
	assert_int_equal(kcap_next(h, &ev), -EAGAIN);
	assert_int_equal(kcap_stop(h), 0);
	assert_int_equal(kcap_next(h, &ev), -ENODATA);
	kcap_close(h);
	tring_fini(&r);
}

/* Opens @len bytes of @p as a pipe a child process writes in small pieces. */
static struct kcap *open_pipe(const unsigned char *p, size_t len, pid_t *child)
{
	KCAP_OPTS(kcap_file_opts, o);
	int fds[2];

	assert_int_equal(pipe(fds), 0);
	*child = fork();
	assert_true(*child >= 0);
	if (*child == 0) {
		size_t off = 0;

		close(fds[0]);
		while (off < len) {
			size_t n = len - off < 1000 ? len - off : 1000;

			if (write(fds[1], p + off, n) != (ssize_t)n)
				_exit(1);
			off += n;
		}
		_exit(0);
	}
	close(fds[1]);
	return kcap_open_file_fd(fds[0], "pipe", &o);
}

static void reap(pid_t child)
{
	int status;

	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
}

/* A capture read from a pipe: every event, in order; a cut stream reads up to
 * its last complete block and says so; concatenated captures are flagged. */
static void test_stream(void **state)
{
	struct ftmp *t = *state;
	struct kcap_file_info fi;
	unsigned char *p, *two;
	size_t len;
	pid_t child;
	struct kcap *h;
	int err;

	write_events(t->path, 3000, 500, NULL);
	p = slurp(t->path, &len);

	h = open_pipe(p, len, &child);
	assert_non_null(h);
	assert_int_equal(read_all(h, &err), 3000);
	assert_int_equal(err, -ENODATA);
	assert_int_equal(kcap_file_info(h, &fi, sizeof(fi)), 0);
	assert_true(fi.flags & KCAP_FILE_STREAM);
	assert_true(fi.flags & KCAP_FILE_CLOSED);
	assert_false(fi.flags & (KCAP_FILE_TRUNCATED | KCAP_FILE_TRAILING));
	assert_int_equal(fi.nr_events, 3000);
	kcap_close(h);
	reap(child);

	/* cut inside the fourth batch */
	h = open_pipe(p, find_block(p, len, KCAPF_BLK_BATCH, 3) + 100, &child);
	assert_non_null(h);
	assert_int_equal(read_all(h, &err), 1500);
	assert_int_equal(err, -ENODATA);
	assert_int_equal(kcap_file_info(h, &fi, sizeof(fi)), 0);
	assert_true(fi.flags & KCAP_FILE_TRUNCATED);
	assert_false(fi.flags & KCAP_FILE_CLOSED);
	kcap_close(h);
	reap(child);

	/* cat a a: the first copy is read, the rest flagged (file and pipe) */
	two = test_malloc(2 * len);
	memcpy(two, p, len);
	memcpy(two + len, p, len);
	spit(t->path, two, 2 * len);
	h = open_ok(t->path, 0, 0);
	assert_int_equal(read_all(h, &err), 3000);
	assert_int_equal(kcap_file_info(h, &fi, sizeof(fi)), 0);
	assert_true(fi.flags & KCAP_FILE_TRAILING);
	assert_int_equal(fi.end_offset, len - KCAPF_TRAILER_LEN);
	kcap_close(h);
	h = open_pipe(two, 2 * len, &child);
	assert_non_null(h);
	assert_int_equal(read_all(h, &err), 3000);
	assert_int_equal(kcap_file_info(h, &fi, sizeof(fi)), 0);
	assert_true(fi.flags & KCAP_FILE_TRAILING);
	kcap_close(h);
	reap(child);

	/* a directory */
	errno = 0;
	assert_null(kcap_open_file(t->dir, NULL));
	assert_int_equal(errno, EISDIR);
	test_free(two);
	test_free(p);
}

/* Copies a capture through the writer with @flags, the source given. */
static int copy_file(const char *from, const char *to, __u32 flags, bool finish,
		     char *msg, size_t msglen)
{
	KCAP_OPTS(kcap_file_opts, fo);
	const struct kcap_event_hdr *ev;
	struct kcap *src = kcap_open_file(from, &fo);
	struct kcap_writer *w;
	int err = 0;

	assert_non_null(src);
	{
		KCAP_OPTS(kcap_writer_opts, wo, .flags = flags, .source = src, .errbuf = msg,
			  .errbuf_sz = msglen);

		w = kcap_writer_open(to, &wo);
	}
	if (!w) {
		err = -errno;
		kcap_close(src);
		return err;
	}
	while (!kcap_next(src, &ev))
		assert_int_equal(kcap_writer_write(w, ev), 0);
	if (finish)
		err = kcap_writer_finish(w);
	kcap_writer_close(w);
	kcap_close(src);
	return err;
}

/* The writer never overwrites its source (same path, symlink, hard link). */
static void test_writer_refuses_input(void **state)
{
	struct ftmp *t = *state;
	char sym[160], hard[160], msg[256] = "";
	struct kcap *h;
	int err;

	write_events(t->path, 2000, 500, NULL);
	snprintf(sym, sizeof(sym), "%s/sym.kcap", t->dir);
	snprintf(hard, sizeof(hard), "%s/hard.kcap", t->dir);
	assert_int_equal(symlink(t->path, sym), 0);
	assert_int_equal(link(t->path, hard), 0);
	assert_int_equal(copy_file(t->path, t->path, 0, true, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "refusing to overwrite the input"));
	assert_int_equal(copy_file(t->path, sym, 0, true, msg, sizeof(msg)), -EINVAL);
	assert_int_equal(copy_file(sym, hard, KCAP_WRITER_ATOMIC, true, msg, sizeof(msg)),
			 -EINVAL);
	h = open_ok(t->path, 0, 0);
	assert_int_equal(read_all(h, &err), 2000);
	kcap_close(h);
}

static bool exists(const char *path)
{
	struct stat sb;

	return !stat(path, &sb);
}

/* KCAP_WRITER_ATOMIC: the name appears only when the file was finished; an
 * unfinished copy leaves nothing (or NAME.partial), never a clean-looking
 * file with part of the events; no temporary file is left behind. */
static void test_writer_atomic(void **state)
{
	struct ftmp *t = *state;
	char out[160], partial[180], msg[256] = "", cmd[256];
	struct kcap_file_info fi;
	unsigned int n;
	struct kcap *h;
	int err;
	FILE *p;

	write_events(t->path, 2000, 500, NULL);
	snprintf(out, sizeof(out), "%s/out.kcap", t->dir);
	snprintf(partial, sizeof(partial), "%s.partial", out);
	assert_int_equal(copy_file(t->path, out, KCAP_WRITER_ATOMIC, false, msg, sizeof(msg)), 0);
	assert_false(exists(out));
	assert_int_equal(copy_file(t->path, out, KCAP_WRITER_ATOMIC | KCAP_WRITER_KEEP_PARTIAL,
				   false, msg, sizeof(msg)),
			 0);
	assert_false(exists(out));
	assert_true(exists(partial));
	h = open_ok(partial, 0, 0);
	n = read_all(h, &err);
	assert_true(n < 2000);
	assert_int_equal(kcap_file_info(h, &fi, sizeof(fi)), 0);
	assert_false(fi.flags & KCAP_FILE_CLOSED);
	kcap_close(h);
	assert_int_equal(copy_file(t->path, out, KCAP_WRITER_ATOMIC, true, msg, sizeof(msg)), 0);
	h = open_ok(out, 0, 0);
	assert_int_equal(read_all(h, &err), 2000);
	assert_int_equal(kcap_file_info(h, &fi, sizeof(fi)), 0);
	assert_true(fi.flags & KCAP_FILE_CLOSED);
	kcap_close(h);
	/* only cap.kcap, out.kcap, out.kcap.partial: no temporary file left */
	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", t->dir);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%u", &n), 1);
	pclose(p);
	assert_int_equal(n, 3);
}

struct snap {
	char list[8192];
	size_t len;
	unsigned int n;
};

static int snap_one(void *ctx, const struct kcap_proc_entry *e)
{
	struct snap *s = ctx;

	s->len += (size_t)snprintf(s->list + s->len, sizeof(s->list) - s->len, "%u/%u %s %s|",
				   e->pid, e->tid, e->comm, e->exe);
	s->n++;
	return s->len < sizeof(s->list) - 1 ? 0 : -ENOSPC;
}

/* A copy keeps the recorded machine's process snapshot, start and stop
 * times and machine, not this host's (a guest recording as the source). */
static void test_copy_keeps_metadata(void **state)
{
	struct ftmp *t = *state;
	const char *src = KCAP_TEST_CORPUS "/guest-clean.kcap";
	struct kcap_file_info a, b;
	struct snap sa = { .len = 0 }, sb = { .len = 0 };
	char msg[256] = "";
	struct kcap *h;

	assert_int_equal(copy_file(src, t->path, KCAP_WRITER_ATOMIC, true, msg, sizeof(msg)), 0);
	h = open_ok(src, 0, 0);
	assert_int_equal(kcap_file_info(h, &a, sizeof(a)), 0);
	assert_int_equal(kcap_procs_foreach(h, snap_one, &sa), 0);
	kcap_close(h);
	h = open_ok(t->path, 0, 0);
	assert_int_equal(kcap_file_info(h, &b, sizeof(b)), 0);
	assert_int_equal(kcap_procs_foreach(h, snap_one, &sb), 0);
	kcap_close(h);
	assert_true(sa.n > 0);
	assert_int_equal(sa.n, sb.n);
	assert_string_equal(sa.list, sb.list);
	assert_int_equal(a.nr_threads, b.nr_threads);
	assert_int_equal(a.start_ns, b.start_ns);
	assert_int_equal(a.stop_ns, b.stop_ns);
	assert_int_equal(a.boot_wall_ns, b.boot_wall_ns);
	assert_string_equal(a.hostname, b.hostname);
	assert_string_equal(a.kernel_release, b.kernel_release);
	assert_int_equal(a.nr_events, b.nr_events);
}

static const struct CMUnitTest file_tests[] = {
	cmocka_unit_test_setup_teardown(test_round_trip, ft_setup, ft_teardown),
	cmocka_unit_test_setup_teardown(test_user_names, ft_setup, ft_teardown),
	cmocka_unit_test_setup_teardown(test_seek, ft_setup, ft_teardown),
	cmocka_unit_test_setup_teardown(test_rotation, ft_setup, ft_teardown),
	cmocka_unit_test_setup_teardown(test_write_error, ft_setup, ft_teardown),
	cmocka_unit_test_setup_teardown(test_bad_magic, ft_setup, ft_teardown),
	cmocka_unit_test_setup_teardown(test_bad_checksum, ft_setup, ft_teardown),
	cmocka_unit_test_setup_teardown(test_truncated_block, ft_setup, ft_teardown),
	cmocka_unit_test_setup_teardown(test_missing_closing_block, ft_setup, ft_teardown),
	cmocka_unit_test_setup_teardown(test_oversized_length, ft_setup, ft_teardown),
	cmocka_unit_test_setup_teardown(test_unknown_block_skipped, ft_setup, ft_teardown),
	cmocka_unit_test_setup_teardown(test_zmeta, ft_setup, ft_teardown),
	cmocka_unit_test_setup_teardown(test_own_event_table, ft_setup, ft_teardown),
	cmocka_unit_test_setup_teardown(test_table_symbols, ft_setup, ft_teardown),
	cmocka_unit_test_setup_teardown(test_stream, ft_setup, ft_teardown),
	cmocka_unit_test_setup_teardown(test_writer_refuses_input, ft_setup, ft_teardown),
	cmocka_unit_test_setup_teardown(test_writer_atomic, ft_setup, ft_teardown),
	cmocka_unit_test_setup_teardown(test_copy_keeps_metadata, ft_setup, ft_teardown),
	cmocka_unit_test_setup_teardown(test_merge_files, ft_setup, ft_teardown),
	cmocka_unit_test_setup_teardown(test_merge_sources, ft_setup, ft_teardown),
};

UNIT_GROUP(file, file_tests)
