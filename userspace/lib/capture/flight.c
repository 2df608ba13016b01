// SPDX-License-Identifier: Apache-2.0
/*
 * The flight recorder: the last window of events in memory, as zstd
 * compressed chunks of raw records, and a capture file of that window plus
 * a while after it when an alert fires (kcap_flight_*(), kcap.h).
 *
 * Memory: events are appended to a raw chunk; a chunk is compressed when it
 * holds FLIGHT_CHUNK_RAW bytes or its first event is FLIGHT_CHUNK_NS old,
 * and kept in a FIFO. The FIFO drops its oldest chunk when the chunk's last
 * event left the window, or when the compressed bytes plus the open raw
 * chunk would pass max_bytes (counted: evicted_mem; the window is then
 * shorter than asked and the dump says so through its first event).
 *
 * A dump is written with the ordinary capture writer (kcap_writer_*), so a
 * flight file is a capture file like any other: the retained chunks are
 * decompressed and their events of the window written, then every later
 * event until the dump's end (alert time + after). An alert while a dump is
 * open moves its end and shares the file. The file is written under a
 * temporary name and renamed when finished (KCAP_WRITER_ATOMIC), so the
 * path an alert names appears complete. After each dump, the directory's
 * flight files beyond keep_files or keep_bytes are removed, oldest first.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "internal.h"

#define FLIGHT_CHUNK_RAW (256u << 10) /* raw bytes per chunk */
#define FLIGHT_CHUNK_NS 250000000ULL  /* a chunk is compressed at this age */
#define FLIGHT_SUFFIX ".kcap"
#define FLIGHT_PREFIX "kcap-flight-"

struct flight_chunk {
	struct flight_chunk *next;
	__u64 first_ts, last_ts;
	size_t raw_len; /* decompressed size */
	size_t len;	/* compressed bytes that follow */
	unsigned char data[];
};

struct kcap_flight {
	struct kcap *src;
	__u64 window_ns, after_ns, max_bytes, keep_bytes;
	unsigned int keep_files;
	int level;
	int (*dump_open)(void *ctx, struct kcap_writer *w);
	void *dump_ctx;
	char dir[PATH_MAX];
	/* retained compressed chunks, oldest first */
	struct flight_chunk *head, *tail;
	__u64 comp_bytes;
	/* the open raw chunk */
	unsigned char *raw;
	size_t raw_len;
	__u64 raw_first, raw_last;
	ZSTD_CCtx *cctx;
	ZSTD_DCtx *dctx;
	/* the dump being written */
	struct kcap_writer *dump;
	__u64 dump_end;
	char dump_path[PATH_MAX + 64];
	__u64 last_ts;
	struct kcap_flight_stats st;
	char err[KCAP_ERRMSG_LEN];
};

static int flight_err(struct kcap_flight *f, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int flight_err(struct kcap_flight *f, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->err, sizeof(f->err), fmt, ap);
	va_end(ap);
	return err < 0 ? err : -err;
}

static __u64 mem_now(const struct kcap_flight *f)
{
	return f->comp_bytes + f->raw_len;
}

static void note_peak(struct kcap_flight *f)
{
	f->st.mem_bytes = mem_now(f);
	if (f->st.mem_bytes > f->st.mem_peak)
		f->st.mem_peak = f->st.mem_bytes;
}

static void drop_oldest(struct kcap_flight *f)
{
	struct flight_chunk *c = f->head;

	f->head = c->next;
	if (!f->head)
		f->tail = NULL;
	f->comp_bytes -= c->len;
	f->st.chunks--;
	free(c);
}

/* Old chunks out of the window, then oldest out until @more bytes fit. */
static void evict(struct kcap_flight *f, __u64 now_ts, __u64 more)
{
	while (f->head && f->head->last_ts + f->window_ns < now_ts) {
		drop_oldest(f);
		f->st.evicted_age++;
	}
	while (f->head && mem_now(f) + more > f->max_bytes) {
		drop_oldest(f);
		f->st.evicted_mem++;
	}
}

/* Compress the open raw chunk into the FIFO. */
static int seal(struct kcap_flight *f)
{
	size_t bound, n;
	struct flight_chunk *c;

	if (!f->raw_len)
		return 0;
	bound = ZSTD_compressBound(f->raw_len);
	c = malloc(sizeof(*c) + bound);
	if (!c)
		return flight_err(f, ENOMEM, "flight recorder: out of memory");
	n = ZSTD_compressCCtx(f->cctx, c->data, bound, f->raw, f->raw_len, f->level);
	if (ZSTD_isError(n)) {
		free(c);
		return flight_err(f, EIO, "flight recorder: zstd: %s", ZSTD_getErrorName(n));
	}
	/* Give back what compression saved. */
	{
		struct flight_chunk *s = realloc(c, sizeof(*c) + n);

		if (s)
			c = s;
	}
	c->next = NULL;
	c->first_ts = f->raw_first;
	c->last_ts = f->raw_last;
	c->raw_len = f->raw_len;
	c->len = n;
	f->raw_len = 0;
	evict(f, f->last_ts, n);
	if (f->tail)
		f->tail->next = c;
	else
		f->head = c;
	f->tail = c;
	f->comp_bytes += n;
	f->st.chunks++;
	note_peak(f);
	return 0;
}

struct kcap_flight *kcap_flight_new(struct kcap *src, const struct kcap_flight_opts *opts,
				    char *errbuf, size_t errbuf_sz)
{
	struct kcap_flight *f;
	const char *dir = OPTS_GET(opts, dir, NULL);
	struct stat sb;

	if (!opts || !kcap__opts_valid(opts, sizeof(*opts), opts->sz) || !dir || !*dir ||
	    strlen(dir) >= PATH_MAX || !OPTS_GET(opts, window_ns, 0) ||
	    OPTS_GET(opts, max_bytes, 0) < 2 * FLIGHT_CHUNK_RAW ||
	    OPTS_GET(opts, level, 0) < 0 || OPTS_GET(opts, level, 0) > 19) {
		if (errbuf && errbuf_sz)
			snprintf(errbuf, errbuf_sz,
				 "flight recorder: need a directory, a window and at least %u KiB of memory",
				 2 * FLIGHT_CHUNK_RAW >> 10);
		errno = EINVAL;
		return NULL;
	}
	{
		int e = 0;

		if (stat(dir, &sb))
			e = errno;
		else if (!S_ISDIR(sb.st_mode))
			e = ENOTDIR;
		else if (access(dir, W_OK | X_OK))
			e = errno;
		if (e) {
			if (errbuf && errbuf_sz)
				snprintf(errbuf, errbuf_sz, "flight recorder: %s: %s", dir,
					 strerror(e));
			errno = e;
			return NULL;
		}
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		goto oom;
	f->src = src;
	f->window_ns = opts->window_ns;
	f->after_ns = OPTS_GET(opts, after_ns, 0);
	f->max_bytes = opts->max_bytes;
	f->keep_files = OPTS_GET(opts, keep_files, 0);
	f->keep_bytes = OPTS_GET(opts, keep_bytes, 0);
	f->level = OPTS_GET(opts, level, 0) ? opts->level : 1;
	f->dump_open = OPTS_GET(opts, dump_open, NULL);
	f->dump_ctx = OPTS_GET(opts, dump_ctx, NULL);
	snprintf(f->dir, sizeof(f->dir), "%s", dir);
	f->raw = malloc(FLIGHT_CHUNK_RAW + KCAP_EVENT_MAX_LEN);
	f->cctx = ZSTD_createCCtx();
	f->dctx = ZSTD_createDCtx();
	if (!f->raw || !f->cctx || !f->dctx) {
		kcap_flight_free(f);
		goto oom;
	}
	return f;
oom:
	if (errbuf && errbuf_sz)
		snprintf(errbuf, errbuf_sz, "flight recorder: out of memory");
	errno = ENOMEM;
	return NULL;
}

/*
 * A flight file name: kcap-flight-<UTC time>-<n>-<rule, [A-Za-z0-9_-]
 * only>.kcap, n counting up from 0 until the name is free (another
 * recorder, or an alert in the same millisecond). Names sort by time.
 */
static int dump_name(struct kcap_flight *f, const char *rule, char *buf, size_t len)
{
	char t[32], r[48];
	struct timespec ts;
	struct tm tm;
	size_t i, n = 0;
	unsigned int seq;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(t, sizeof(t), "%Y%m%dT%H%M%S", &tm);
	for (i = 0; rule && rule[i] && n + 1 < sizeof(r); i++) {
		char c = rule[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_')
			r[n++] = c;
		else if (n && r[n - 1] != '-')
			r[n++] = '-';
	}
	while (n && r[n - 1] == '-')
		n--;
	r[n] = 0;
	for (seq = 0; seq < 10000; seq++) {
		n = (size_t)snprintf(buf, len, "%s/" FLIGHT_PREFIX "%s.%03ldZ-%04u-%s" FLIGHT_SUFFIX,
				     f->dir, t, ts.tv_nsec / 1000000, seq, r[0] ? r : "alert");
		if (n >= len)
			return -ENAMETOOLONG;
		if (access(buf, F_OK))
			return 0;
	}
	return -EEXIST;
}

/* The records of @p[@len] (a chunk's, as appended) with ts >= @from, to the dump. */
static int write_from(struct kcap_flight *f, const unsigned char *p, size_t len, __u64 from)
{
	size_t off;
	int err;

	for (off = 0; off + sizeof(struct kcap_event_hdr) <= len;) {
		const struct kcap_event_hdr *ev = (const void *)(p + off);

		if (ev->ts_ns >= from) {
			err = kcap_writer_write(f->dump, ev);
			if (err)
				return err;
			f->st.events_dumped++;
		}
		off += KCAP_ALIGN(ev->len);
	}
	return 0;
}

/* Write the retained events with ts >= @from, then the open chunk's. */
static int dump_window(struct kcap_flight *f, __u64 from)
{
	unsigned char *buf = NULL;
	size_t cap = 0;
	int err = 0;

	for (struct flight_chunk *c = f->head; c && !err; c = c->next) {
		size_t n;

		if (c->last_ts < from)
			continue;
		if (c->raw_len > cap) {
			unsigned char *nb = realloc(buf, c->raw_len);

			if (!nb) {
				err = flight_err(f, ENOMEM, "flight recorder: out of memory");
				break;
			}
			buf = nb;
			cap = c->raw_len;
		}
		n = ZSTD_decompressDCtx(f->dctx, buf, cap, c->data, c->len);
		if (ZSTD_isError(n) || n != c->raw_len) {
			err = flight_err(f, EIO, "flight recorder: a chunk does not decompress");
			break;
		}
		err = write_from(f, buf, n, from);
	}
	free(buf);
	if (!err)
		err = write_from(f, f->raw, f->raw_len, from);
	if (err && !f->err[0])
		flight_err(f, err, "flight recorder: %s", kcap_writer_errmsg(f->dump));
	return err;
}

struct flight_file {
	char name[NAME_MAX + 1];
	__u64 size;
};

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct flight_file *)a)->name, ((const struct flight_file *)b)->name);
}

/* Remove the oldest flight files (names sort by time) past the limits. */
static void prune(struct kcap_flight *f)
{
	struct flight_file *v = NULL;
	size_t n = 0, cap = 0, i, plen = strlen(FLIGHT_PREFIX), slen = strlen(FLIGHT_SUFFIX);
	__u64 total = 0;
	struct dirent *e;
	char path[PATH_MAX + NAME_MAX + 2];
	struct stat sb;
	DIR *d;

	if (!f->keep_files && !f->keep_bytes)
		return;
	d = opendir(f->dir);
	if (!d)
		return;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);

		if (l <= plen + slen || strncmp(e->d_name, FLIGHT_PREFIX, plen) ||
		    strcmp(e->d_name + l - slen, FLIGHT_SUFFIX))
			continue;
		snprintf(path, sizeof(path), "%s/%s", f->dir, e->d_name);
		if (lstat(path, &sb) || !S_ISREG(sb.st_mode))
			continue;
		if (n == cap) {
			struct flight_file *nv = realloc(v, (cap ? cap * 2 : 16) * sizeof(*v));

			if (!nv)
				break;
			v = nv;
			cap = cap ? cap * 2 : 16;
		}
		snprintf(v[n].name, sizeof(v[n].name), "%s", e->d_name);
		v[n].size = (__u64)sb.st_size;
		total += v[n].size;
		n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), by_name);
	/* Never the newest: the file an alert just named. */
	for (i = 0; i + 1 < n; i++) {
		if ((!f->keep_files || n - i <= f->keep_files) &&
		    (!f->keep_bytes || total <= f->keep_bytes))
			break;
		snprintf(path, sizeof(path), "%s/%s", f->dir, v[i].name);
		if (!unlink(path)) {
			total -= v[i].size;
			f->st.files_removed++;
		}
	}
	free(v);
}

static int dump_finish(struct kcap_flight *f)
{
	int err;

	if (!f->dump)
		return 0;
	err = kcap_writer_finish(f->dump);
	if (err)
		flight_err(f, err, "flight recorder: %s: %s", f->dump_path,
			   kcap_writer_errmsg(f->dump));
	kcap_writer_close(f->dump);
	f->dump = NULL;
	if (!err)
		f->st.dumps++;
	prune(f);
	return err;
}

int kcap_flight_add(struct kcap_flight *f, const struct kcap_event_hdr *ev)
{
	size_t len;
	int err;

	if (!f || !ev || ev->len < sizeof(*ev) || ev->len > KCAP_EVENT_MAX_LEN)
		return -EINVAL;
	len = KCAP_ALIGN(ev->len);
	if (ev->ts_ns > f->last_ts)
		f->last_ts = ev->ts_ns;
	if (f->dump) {
		if (ev->ts_ns > f->dump_end) {
			err = dump_finish(f);
			if (err)
				return err;
		} else {
			err = kcap_writer_write(f->dump, ev);
			if (err)
				return flight_err(f, err, "flight recorder: %s: %s", f->dump_path,
						  kcap_writer_errmsg(f->dump));
			f->st.events_dumped++;
		}
	}
	if (f->raw_len && (f->raw_len + len > FLIGHT_CHUNK_RAW ||
			   ev->ts_ns > f->raw_first + FLIGHT_CHUNK_NS)) {
		err = seal(f);
		if (err)
			return err;
	}
	if (!f->raw_len)
		f->raw_first = ev->ts_ns;
	f->raw_last = ev->ts_ns;
	memcpy(f->raw + f->raw_len, ev, ev->len);
	memset(f->raw + f->raw_len + ev->len, 0, len - ev->len);
	f->raw_len += len;
	f->st.events++;
	evict(f, f->last_ts, 0);
	note_peak(f);
	return 0;
}

int kcap_flight_trigger(struct kcap_flight *f, __u64 ts_ns, const char *rule, char *path,
			size_t path_sz)
{
	__u64 from;
	int err;

	if (!f || !path || !path_sz)
		return -EINVAL;
	f->st.alerts++;
	if (!f->dump) {
		KCAP_OPTS(kcap_writer_opts, wo, .flags = KCAP_WRITER_ATOMIC | KCAP_WRITER_KEEP_PARTIAL,
			  .source = f->src, .level = 3);
		char msg[KCAP_ERRMSG_LEN] = "";

		wo.errbuf = msg;
		wo.errbuf_sz = sizeof(msg);
		err = dump_name(f, rule, f->dump_path, sizeof(f->dump_path));
		if (err)
			return flight_err(f, err, "flight recorder: no free file name in %s: %s",
					  f->dir, strerror(-err));
		f->dump = kcap_writer_open(f->dump_path, &wo);
		if (!f->dump)
			return flight_err(f, errno, "flight recorder: %s", msg);
		from = ts_ns > f->window_ns ? ts_ns - f->window_ns : 0;
		err = f->dump_open ? f->dump_open(f->dump_ctx, f->dump) : 0;
		if (err)
			flight_err(f, err, "flight recorder: %s: preparing the file failed",
				   f->dump_path);
		else
			err = dump_window(f, from);
		if (err) {
			kcap_writer_close(f->dump);
			f->dump = NULL;
			return err;
		}
		f->dump_end = ts_ns + f->after_ns;
	} else {
		f->st.alerts_shared++;
		if (ts_ns + f->after_ns > f->dump_end)
			f->dump_end = ts_ns + f->after_ns;
	}
	snprintf(path, path_sz, "%s", f->dump_path);
	return 0;
}

int kcap_flight_tick(struct kcap_flight *f, __u64 now_ns)
{
	if (!f)
		return -EINVAL;
	if (f->dump && now_ns > f->dump_end)
		return dump_finish(f);
	if (f->dump)
		kcap_writer_tick(f->dump);
	return 0;
}

int kcap_flight_stats(const struct kcap_flight *f, struct kcap_flight_stats *st, size_t sz)
{
	if (!f || !st || !sz)
		return -EINVAL;
	memset(st, 0, sz);
	memcpy(st, &f->st, sz < sizeof(f->st) ? sz : sizeof(f->st));
	return 0;
}

const char *kcap_flight_errmsg(const struct kcap_flight *f)
{
	return f ? f->err : "no flight recorder";
}

int kcap_flight_free(struct kcap_flight *f)
{
	int err;

	if (!f)
		return 0;
	err = dump_finish(f);
	while (f->head)
		drop_oldest(f);
	free(f->raw);
	ZSTD_freeCCtx(f->cctx);
	ZSTD_freeDCtx(f->dctx);
	free(f);
	return err;
}
