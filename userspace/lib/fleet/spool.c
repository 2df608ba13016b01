// SPDX-License-Identifier: Apache-2.0
/*
 * The publisher's on-disk spool (spool.h): capture files written with
 * libkcap's own writer (kcap_writer_*) and read back with its reader
 * (kcap_open_file()), so a spool segment is an ordinary capture file
 * (kcap read -r reads it). Segments are closed at spool_seg_size() so that
 * the oldest can be deleted once read back; the bound counts the closed
 * segments' sizes and the open one's bytes, its pending batch counted
 * as spool_pending_size() of its raw bytes (an upper bound: the batch is
 * flushed every spool_flush_size() bytes, and before an event is dropped,
 * so that an event is dropped only when the files are about full).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool.h"

#define SPOOL_FLUSH_BYTES (256u << 10)

int spool_seg_name(char *buf, size_t len, __u32 no, __u64 drops)
{
	int n = snprintf(buf, len, "spool-%08u-%llu.kcap", no, (unsigned long long)drops);

	return n < 0 || (size_t)n >= len ? -1 : n;
}

bool spool_seg_parse(const char *name, __u32 *no, __u64 *drops)
{
	unsigned int a;
	unsigned long long d;
	int end = 0;

	if (strncmp(name, "spool-", 6) || name[6] < '0' || name[6] > '9')
		return false;
	if (sscanf(name, "spool-%8u-%llu.kcap%n", &a, &d, &end) != 2 || !end || name[end])
		return false;
	*no = a;
	*drops = d;
	return true;
}

__u64 spool_seg_size(__u64 max)
{
	__u64 s = max / 8;

	return s < SPOOL_SEG_MIN ? SPOOL_SEG_MIN : s > SPOOL_SEG_MAX ? SPOOL_SEG_MAX : s;
}

bool spool_fits(__u64 used, __u64 max, __u64 len)
{
	return used <= max && len <= max - used;
}

__u64 spool_flush_size(__u64 seg_max)
{
	return seg_max / 4 < SPOOL_FLUSH_BYTES ? seg_max / 4 : SPOOL_FLUSH_BYTES;
}

int spool_seg_cmp(const void *a, const void *b)
{
	__u32 na = 0, nb = 0;
	__u64 d;

	spool_seg_parse(*(const char *const *)a, &na, &d);
	spool_seg_parse(*(const char *const *)b, &nb, &d);
	return na < nb ? -1 : na > nb;
}

static int seg_path(const struct fleet_spool *sp, const struct spool_seg *s, char *buf, size_t len)
{
	char name[SPOOL_NAME_MAX];

	spool_seg_name(name, sizeof(name), s->no, s->drops);
	return snprintf(buf, len, "%s/%s", sp->dir, name) >= (int)len ? -ENAMETOOLONG : 0;
}

/* Segments an earlier exporter left: how many, and their bytes. */
static int leftovers(const struct fleet_spool *sp, __u64 *bytes)
{
	DIR *d = opendir(sp->dir);
	struct dirent *e;
	int n = 0;

	*bytes = 0;
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		struct stat st;
		__u32 no;
		__u64 drops;

		if (!spool_seg_parse(e->d_name, &no, &drops))
			continue;
		n++;
		if (!fstatat(dirfd(d), e->d_name, &st, 0))
			*bytes += (__u64)st.st_size;
	}
	closedir(d);
	return n;
}

/* mkdir -p @path (mode 0700 for what it creates); 0 or -1 with errno. */
static int mkdirs(const char *path)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s", path);
	for (char *c = p + 1; *c; c++) {
		if (*c != '/')
			continue;
		*c = 0;
		if (mkdir(p, 0700) && errno != EEXIST)
			return -1;
		*c = '/';
	}
	return mkdir(p, 0700) && errno != EEXIST ? -1 : 0;
}

int spool_open(struct fleet_spool *sp, const char *dir, __u64 max, struct kcap *src, char *err,
	       size_t errlen)
{
	char lock[PATH_MAX];
	__u64 bytes;
	int n;

	memset(sp, 0, sizeof(*sp));
	sp->lock_fd = -1;
	if (snprintf(sp->dir, sizeof(sp->dir), "%s", dir) >= (int)sizeof(sp->dir)) {
		snprintf(err, errlen, "spool %s: path too long", dir);
		return -ENAMETOOLONG;
	}
	sp->max = max ?: SPOOL_DEFAULT_MAX;
	sp->seg_max = spool_seg_size(sp->max);
	sp->src = src;
	if (mkdirs(sp->dir)) {
		n = -errno;
		snprintf(err, errlen, "spool %s: %s", dir, strerror(errno));
		return n;
	}
	snprintf(lock, sizeof(lock), "%s/lock", sp->dir);
	sp->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (sp->lock_fd < 0) {
		n = -errno;
		snprintf(err, errlen, "spool %s: %s", dir, strerror(errno));
		return n;
	}
	if (flock(sp->lock_fd, LOCK_EX | LOCK_NB)) {
		snprintf(err, errlen, "spool %s: another exporter uses it", dir);
		spool_close(sp);
		return -EBUSY;
	}
	n = leftovers(sp, &bytes);
	if (n < 0) {
		snprintf(err, errlen, "spool %s: %s", dir, strerror(-n));
		spool_close(sp);
		return n;
	}
	if (n) {
		snprintf(err, errlen,
			 "spool %s holds %d segments (%llu bytes) an earlier exporter did not send "
			 "(killed?): read them with kcap read -r, then remove them, or use another "
			 "--spool",
			 dir, n, (unsigned long long)bytes);
		spool_close(sp);
		return -EEXIST;
	}
	return 0;
}

__u64 spool_pending_size(__u64 raw)
{
	/* columns and zstd can make incompressible events a little larger;
	 * the batch has its block and batch headers, the columns' prefix and a
	 * zstd frame (170 bytes for one 108-byte event), and the segment a
	 * closing block to come: once the batch is written, the reserve still
	 * counts the closing block, so the overhead must be counted apart */
	return raw + raw / 16 + SPOOL_BATCH_OVERHEAD + SPOOL_CLOSE_RESERVE;
}

__u64 spool_used(const struct fleet_spool *sp)
{
	struct kcap_writer_stats st = {0};

	if (!sp->w)
		return sp->closed_bytes;
	kcap_writer_stats(sp->w, &st, sizeof(st));
	return sp->closed_bytes + st.file_bytes + spool_pending_size(sp->cur_unflushed);
}

/* Closes the segment being written and queues it for reading back. */
static int close_cur(struct fleet_spool *sp, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct stat st;
	int ret = 0;

	if (!sp->w)
		return 0;
	if (kcap_writer_finish(sp->w)) {
		snprintf(err, errlen, "spool: %s", kcap_writer_errmsg(sp->w));
		ret = -EIO;
	}
	kcap_writer_close(sp->w);
	sp->w = NULL;
	sp->cur_unflushed = 0;
	seg_path(sp, &sp->cur, path, sizeof(path));
	sp->cur.bytes = stat(path, &st) ? 0 : (__u64)st.st_size;
	if (sp->len == sp->cap) {
		unsigned int cap = sp->cap ? sp->cap * 2 : 16;
		struct spool_seg *q = malloc(cap * sizeof(*q));

		if (!q) {
			snprintf(err, errlen, "spool: out of memory");
			return -ENOMEM;
		}
		for (unsigned int i = 0; i < sp->len; i++)
			q[i] = sp->q[(sp->head + i) % sp->cap];
		free(sp->q);
		sp->q = q;
		sp->head = 0;
		sp->cap = cap;
	}
	sp->q[(sp->head + sp->len++) % sp->cap] = sp->cur;
	sp->closed_bytes += sp->cur.bytes;
	return ret;
}

static int open_cur(struct fleet_spool *sp, char *err, size_t errlen)
{
	char path[PATH_MAX], werr[256];
	struct kcap_writer_opts wo = {
	    .sz = sizeof(wo),
	    .flags = KCAP_WRITER_NO_PROCS, /* the publisher sent its snapshot */
	    .source = sp->src,
	    .errbuf = werr,
	    .errbuf_sz = sizeof(werr)};

	sp->cur = (struct spool_seg){.no = sp->next_no++, .drops = sp->drops_pending};
	if (seg_path(sp, &sp->cur, path, sizeof(path))) {
		snprintf(err, errlen, "spool %s: path too long", sp->dir);
		return -ENAMETOOLONG;
	}
	sp->w = kcap_writer_open(path, &wo);
	if (!sp->w) {
		int e = errno;

		snprintf(err, errlen, "spool: %s", werr);
		return -(e ?: EIO);
	}
	{
		struct kcap_writer_stats st = {0};

		kcap_writer_stats(sp->w, &st, sizeof(st));
		sp->hdr_bytes = st.file_bytes;
	}
	sp->drops_pending = 0;
	sp->segments++;
	return 0;
}

/* Room for @len more bytes: 1, 0, or -errno (a failed flush). */
static int room(struct fleet_spool *sp, __u64 len, char *err, size_t errlen)
{
	__u64 used = spool_used(sp);
	int ret;

	/* the event joins the pending batch: counted as spool_pending_size() */
	len = spool_pending_size(len) - spool_pending_size(0);
	/* a new segment starts with its header blocks, as large as the last */
	if (!sp->w)
		used += sp->hdr_bytes + spool_pending_size(0);
	if (spool_fits(used, sp->max, len) || !sp->cur_unflushed)
		return spool_fits(used, sp->max, len);
	/* the pending batch was counted at its largest: count it written */
	ret = kcap_writer_flush(sp->w);
	if (ret) {
		snprintf(err, errlen, "spool: %s", kcap_writer_errmsg(sp->w));
		return ret;
	}
	sp->cur_unflushed = 0;
	return spool_fits(spool_used(sp), sp->max, len);
}

int spool_put(struct fleet_spool *sp, const struct kcap_event_hdr *ev, char *err, size_t errlen)
{
	__u64 used;
	int ret;

	/* once full, dropping until a segment was read back (not a smaller
	 * event squeezed in now and then: one run of drops, one notice) */
	if (!sp->full) {
		ret = room(sp, ev->len, err, errlen);
		if (ret < 0)
			return ret;
		sp->full = !ret;
	}
	if (sp->full) {
		sp->drops_pending++;
		sp->dropped++;
		return 1;
	}
	/* the drop count goes with the segment after the dropped events */
	if (sp->drops_pending && sp->w) {
		ret = close_cur(sp, err, errlen);
		if (ret)
			return ret;
	}
	if (!sp->w) {
		ret = open_cur(sp, err, errlen);
		if (ret)
			return ret;
	}
	ret = kcap_writer_write(sp->w, ev);
	if (ret) {
		snprintf(err, errlen, "spool: %s", kcap_writer_errmsg(sp->w));
		return ret;
	}
	sp->written++;
	sp->cur_unflushed += ev->len;
	if (sp->cur_unflushed >= spool_flush_size(sp->seg_max)) {
		ret = kcap_writer_flush(sp->w);
		if (ret) {
			snprintf(err, errlen, "spool: %s", kcap_writer_errmsg(sp->w));
			return ret;
		}
		sp->cur_unflushed = 0;
	}
	used = spool_used(sp);
	if (used > sp->peak_bytes)
		sp->peak_bytes = used;
	if (used - sp->closed_bytes >= sp->seg_max)
		return close_cur(sp, err, errlen);
	return 0;
}

void spool_tick(struct fleet_spool *sp)
{
	if (sp->w && !kcap_writer_tick(sp->w))
		sp->cur_unflushed = 0;
}

bool spool_empty(const struct fleet_spool *sp)
{
	return !sp->len && !sp->w && !sp->rd && !sp->drops_pending;
}

int spool_next(struct fleet_spool *sp, struct kcap **h, const struct kcap_event_hdr **ev,
	       __u64 *drops, char *err, size_t errlen)
{
	int ret;

	for (;;) {
		if (!sp->rd) {
			if (!sp->len) {
				if (sp->w) {
					/* what is being written is the oldest now */
					ret = close_cur(sp, err, errlen);
					if (ret)
						return ret;
					continue;
				}
				if (sp->drops_pending) {
					*drops = sp->drops_pending;
					sp->drops_pending = 0;
					return 1;
				}
				return -ENODATA;
			}
			sp->rd_seg = sp->q[sp->head];
			sp->head = (sp->head + 1) % sp->cap;
			sp->len--;
			seg_path(sp, &sp->rd_seg, sp->rd_path, sizeof(sp->rd_path));
			{
				char rerr[256];
				struct kcap_file_opts fo = {
				    .sz = sizeof(fo), .errbuf = rerr, .errbuf_sz = sizeof(rerr)};

				sp->rd = kcap_open_file(sp->rd_path, &fo);
				if (!sp->rd) {
					ret = -(errno ?: EIO);
					snprintf(err, errlen, "spool: %s", rerr);
					return ret;
				}
			}
			if (sp->rd_seg.drops) {
				*drops = sp->rd_seg.drops;
				sp->rd_seg.drops = 0;
				return 1;
			}
		}
		ret = kcap_next(sp->rd, ev);
		if (!ret) {
			*h = sp->rd;
			sp->read++;
			return 0;
		}
		if (ret != -ENODATA) {
			snprintf(err, errlen, "spool: %s", kcap_errmsg(sp->rd));
			return ret;
		}
		/* read back to its end: its events are the publisher's now */
		kcap_close(sp->rd);
		sp->rd = NULL;
		sp->closed_bytes -= sp->rd_seg.bytes;
		sp->full = false;
		if (unlink(sp->rd_path) && errno != ENOENT) {
			ret = -errno;
			snprintf(err, errlen, "spool: removing %s: %s", sp->rd_path,
				 strerror(errno));
			return ret;
		}
	}
}

void spool_close(struct fleet_spool *sp)
{
	if (sp->rd)
		kcap_close(sp->rd);
	sp->rd = NULL;
	if (sp->w) {
		kcap_writer_close(sp->w);
		sp->w = NULL;
	}
	free(sp->q);
	sp->q = NULL;
	if (sp->lock_fd >= 0)
		close(sp->lock_fd);
	sp->lock_fd = -1;
}
