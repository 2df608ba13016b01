// SPDX-License-Identifier: Apache-2.0
/*
 * The capture file writer: raw events are copied as they are into a batch
 * buffer; each batch is turned into columns (file_cols.c), compressed with
 * zstd and written as one checksummed block; a closing block indexes the
 * batches. Format: file_format.h and docs/capture-format.md.
 *
 * Crash safety: a batch is written at least every flush_ms (1 s), with one
 * writev() per block, so a killed writer loses at most the pending batch
 * and leaves at most one torn block at the end, which readers detect and
 * stop before. After a write error the file is cut back to its last
 * complete block.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "container/container.h"
#include "file_format.h"

#define WRITER_CHECK_EVERY 64 /* events between clock reads */
#define STR_(x) #x
#define STR(x) STR_(x)
#define WRITER_NAME                                                                         \
	"libkcap " STR(KCAP_LIB_MAJOR) "." STR(KCAP_LIB_MINOR) "." STR(KCAP_LIB_PATCH)

struct kcap_writer {
	char *passwd; /* the names' files (NULL: /etc/passwd, /etc/group) */
	char *group;
	char base[PATH_MAX];
	char path[PATH_MAX + 16];
	char tmp[PATH_MAX + 32]; /* KCAP_WRITER_ATOMIC: the name written to */
	int fd;
	bool finished; /* kcap_writer_finish() succeeded */
	__u64 off; /* bytes of the current file, all complete blocks */
	int level;
	__u32 flags;
	__u64 rotate_bytes;
	__u32 rotate_secs;
	__u32 rotate_keep;
	__u64 flush_ns;
	struct kcap *src;
	bool rotating;
	unsigned int seq; /* number of the current file when rotating */
	__u64 opened_ns; /* when the current file was opened */
	__u64 start_ns; /* capture start (the first file) */
	/* the pending batch */
	unsigned char *raw;
	size_t raw_len;
	__u32 batch_events;
	__u64 batch_first;
	__u64 batch_last;
	__u64 batch_since; /* clock when its first event arrived */
	unsigned int since_check;
	ZSTD_CCtx *cctx;
	unsigned char *zbuf;
	size_t zcap;
	bool plain; /* batches as raw records (format 1.2 and before) */
	unsigned char *cols; /* the batch as columns */
	size_t cols_cap;
	__u32 *refs; /* per event type: the previous record's offset + 1 */
	/* the current file's index and counts */
	struct kbuf index;
	__u32 nr_batches;
	__u64 file_events, file_raw, file_stored, file_first, file_last;
	__u64 type_counts[KCAPF_MAX_TYPES];
	/* drop counters of a live source */
	struct kcap_cpu_stats *last;
	unsigned int nr_cpus;
	struct kbuf drops;
	__u32 nr_drops;
	/* the container table (file_format.h), written again at the start
	 * of each rotated file; its pending records go in the CONTAINERS
	 * block before the next batch; a file source's payloads copied so
	 * far: cts.log_off */
	struct kcapf_cts cts;
	struct kcap_writer_stats st;
	int broken;
	char errmsg[KCAP_ERRMSG_LEN];
};

static __u64 clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

static int werr(struct kcap_writer *w, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int werr(struct kcap_writer *w, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->errmsg, sizeof(w->errmsg), fmt, ap);
	va_end(ap);
	return err < 0 ? err : -err;
}

static bool src_is_live(const struct kcap_writer *w)
{
	return w->src && !kcap__is(w->src, &kcap__file_ops) && !w->src->ops->recorded;
}

/* Writes one block; on failure cuts the file back and breaks the writer. */
static int write_block(struct kcap_writer *w, __u32 type, const void *p, size_t len)
{
	unsigned char hdr[KCAPF_BLOCK_HDR_LEN];
	struct iovec iov[2];
	size_t total = sizeof(hdr) + len, done = 0;
	ssize_t n;

	if (w->broken)
		return w->broken;
	if (len > KCAPF_MAX_BLOCK)
		return w->broken = werr(w, EFBIG, "%s: a %zu-byte block is above the limit", w->path,
					len);
	kcapf_block_hdr(hdr, type, p, (__u32)len);
	while (done < total) {
		int cnt = 0;

		if (done < sizeof(hdr)) {
			iov[cnt].iov_base = hdr + done;
			iov[cnt++].iov_len = sizeof(hdr) - done;
			iov[cnt].iov_base = (void *)p;
			iov[cnt++].iov_len = len;
		} else {
			iov[cnt].iov_base = (unsigned char *)p + (done - sizeof(hdr));
			iov[cnt++].iov_len = total - done;
		}
		n = writev(w->fd, iov, cnt);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? errno : EIO;

			/* Leave the file readable up to its last complete block. */
			if (ftruncate(w->fd, (off_t)w->off))
				err = err ? err : errno;
			return w->broken = werr(w, err, "%s: write failed at offset %llu: %s",
						w->path, (unsigned long long)w->off,
						strerror(err));
		}
		done += (size_t)n;
	}
	w->off += total;
	w->st.file_bytes += total;
	return 0;
}

static int write_header(struct kcap_writer *w)
{
	unsigned char h[KCAPF_HEADER_LEN] = { 0 };
	__u16 major = KCAPF_VERSION_MAJOR, minor = KCAPF_VERSION_MINOR;
	__u32 bom = KCAPF_BYTE_ORDER, len = KCAPF_HEADER_LEN, crc;
	ssize_t n;

	memcpy(h, KCAPF_MAGIC, KCAPF_MAGIC_LEN);
	memcpy(h + 8, &major, 2);
	memcpy(h + 10, &minor, 2);
	memcpy(h + 12, &bom, 4);
	memcpy(h + 16, &len, 4);
	/* h[20..23]: flags, none defined */
	crc = kcapf_crc(h, 24);
	memcpy(h + 24, &crc, 4);
	do {
		n = write(w->fd, h, sizeof(h));
	} while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(h))
		return w->broken = werr(w, n < 0 ? errno : EIO, "%s: writing the header: %s",
					w->path, strerror(n < 0 ? errno : EIO));
	w->off = sizeof(h);
	w->st.file_bytes += sizeof(h);
	return 0;
}

/* The source describes the machine its events come from (a capture file,
 * a fleet stream): the file gets that machine, not this one. */
static bool src_recorded(const struct kcap_writer *w)
{
	return kcap__is(w->src, &kcap__file_ops) || (w->src && w->src->ops->recorded);
}

static int write_machine(struct kcap_writer *w)
{
	struct kcap_file_info fi;
	struct kbuf b = { 0 };
	int err;

	memset(&fi, 0, sizeof(fi));
	if (src_recorded(w)) {
		kcap_file_info(w->src, &fi, sizeof(fi));
	} else {
		struct utsname u;
		struct kcap_version v;
		struct kcap_config cfg;

		fi.boot_wall_ns = (__s64)(clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC));
		fi.start_ns = w->start_ns;
		fi.nr_cpus = w->src ? kcap_nr_rings(w->src) : 0;
		if (!fi.nr_cpus)
			fi.nr_cpus = (__u32)sysconf(_SC_NPROCESSORS_CONF);
		if (w->src && !kcap_driver_version(w->src, &v)) {
			fi.abi_major = v.major;
			fi.abi_minor = v.minor;
		}
		if (kcap__is(w->src, &kcap__live_ops) && !kcap_config(w->src, &cfg))
			fi.snaplen = cfg.snaplen;
		gethostname(fi.hostname, sizeof(fi.hostname) - 1);
		if (!uname(&u)) {
			snprintf(fi.kernel_release, sizeof(fi.kernel_release), "%.127s", u.release);
			snprintf(fi.kernel_version, sizeof(fi.kernel_version), "%.255s", u.version);
			snprintf(fi.arch, sizeof(fi.arch), "%.63s", u.machine);
		}
	}
	snprintf(fi.writer, sizeof(fi.writer), "%s", WRITER_NAME);
	kbuf_u64(&b, (__u64)fi.boot_wall_ns);
	kbuf_u64(&b, fi.start_ns);
	kbuf_u32(&b, fi.nr_cpus);
	kbuf_u16(&b, fi.abi_major);
	kbuf_u16(&b, fi.abi_minor);
	kbuf_u32(&b, fi.snaplen);
	kbuf_u32(&b, 0);
	kbuf_str(&b, fi.hostname);
	kbuf_str(&b, fi.kernel_release);
	kbuf_str(&b, fi.kernel_version);
	kbuf_str(&b, fi.arch);
	kbuf_str(&b, fi.writer);
	err = b.oom ? werr(w, ENOMEM, "out of memory") : write_block(w, KCAPF_BLK_MACHINE, b.p, b.len);
	kbuf_free(&b);
	return err;
}

/*
 * A metadata block (event table, process snapshot, names, containers):
 * wrapped in a ZMETA block, zstd at the file's level, when that is smaller
 * (format 1.4: the table and a small snapshot were 10 of a short
 * capture's 19 KB); plain otherwise, and always with KCAP_WRITER_PLAIN.
 */
static int write_meta(struct kcap_writer *w, __u32 type, const void *p, size_t len)
{
	size_t cap, csize;
	unsigned char *z;
	__u32 v;
	int err;

	if (len < KCAPF_ZMETA_MIN || w->plain || w->broken)
		return write_block(w, type, p, len);
	cap = KCAPF_ZMETA_HDR_LEN + ZSTD_compressBound(len);
	z = malloc(cap);
	if (!z)
		return w->broken = werr(w, ENOMEM, "out of memory");
	csize = ZSTD_compressCCtx(w->cctx, z + KCAPF_ZMETA_HDR_LEN, cap - KCAPF_ZMETA_HDR_LEN, p,
				  len, w->level);
	if (ZSTD_isError(csize) || KCAPF_ZMETA_HDR_LEN + csize >= len) {
		free(z);
		return write_block(w, type, p, len);
	}
	memcpy(z, &type, 4);
	v = (__u32)len;
	memcpy(z + 4, &v, 4);
	err = write_block(w, KCAPF_BLK_ZMETA, z, KCAPF_ZMETA_HDR_LEN + csize);
	free(z);
	return err;
}

static int write_table(struct kcap_writer *w)
{
	struct kbuf b = { 0 };
	int err;

	kcapf_table_encode(w->src, &b);
	err = b.oom ? werr(w, ENOMEM, "out of memory") :
		      write_meta(w, KCAPF_BLK_EVENT_TABLE, b.p, b.len);
	kbuf_free(&b);
	return err;
}

static int emit_procs(void *ctx, const void *p, size_t len)
{
	return write_meta(ctx, KCAPF_BLK_PROCS, p, len);
}

int kcap__writer_container(struct kcap_writer *w, const struct kcap_ct_meta *m)
{
	if (!w || !m || !m->id[0])
		return -EINVAL;
	return kcapf_cts_put(&w->cts, m);
}

/* A file source's container payloads read since the last call. */
static int copy_source_containers(struct kcap_writer *w)
{
	const void *all;
	char why[192];
	size_t len;
	int err;

	if (kcapf_file_containers(w->src, &all, &len))
		return 0;
	err = kcapf_cts_take(&w->cts, all, len, why, sizeof(why));
	if (err)
		return w->broken = werr(w, -err, "%s: %s", w->path, why);
	return 0;
}

/* The CONTAINERS block of the records queued, before a batch or the end. */
static int flush_containers(struct kcap_writer *w)
{
	struct kbuf b = { 0 };
	int err;

	err = copy_source_containers(w);
	if (err)
		return err;
	if (!w->cts.nr_pending)
		return 0;
	if (w->cts.pending.oom)
		return w->broken = werr(w, ENOMEM, "out of memory for the container table");
	kbuf_u32(&b, w->cts.nr_pending);
	kbuf_put(&b, w->cts.pending.p, w->cts.pending.len);
	err = b.oom ? (w->broken = werr(w, ENOMEM, "out of memory for the container table")) :
		      write_meta(w, KCAPF_BLK_CONTAINERS, b.p, b.len);
	kbuf_free(&b);
	if (err)
		return err;
	w->st.containers += w->cts.nr_pending;
	w->cts.pending.len = 0;
	w->cts.nr_pending = 0;
	return 0;
}

/* A new file of a rotated series: every container known, again. */
static void ct_requeue_all(struct kcap_writer *w)
{
	unsigned int i;

	w->cts.pending.len = 0;
	w->cts.nr_pending = 0;
	for (i = 0; i < w->cts.n; i++) {
		kbuf_put(&w->cts.pending, w->cts.e[i].rec, w->cts.e[i].len);
		w->cts.nr_pending++;
	}
}

/*
 * The USERS block: a recording source's own (none if it has none: a copy of
 * a file written before format 1.1 must not get this machine's names), else
 * this machine's passwd and group files.
 */
static int write_users(struct kcap_writer *w)
{
	struct kbuf b = { 0 };
	const void *p;
	size_t len;
	int err = -EOPNOTSUPP;

	if (w->src && w->src->ops->users)
		err = w->src->ops->users(w->src, &p, &len);
	if (err != -EOPNOTSUPP)
		return err ? 0 : write_meta(w, KCAPF_BLK_USERS, p, len);
	err = kcapf_users_encode(&b, w->passwd, w->group);
	if (err)
		err = werr(w, -err, "%s: user and group names: %s", w->path, strerror(-err));
	else
		err = write_meta(w, KCAPF_BLK_USERS, b.p, b.len);
	kbuf_free(&b);
	return err;
}

static void path_of(struct kcap_writer *w, unsigned int seq, char *buf, size_t len)
{
	if (w->rotating)
		snprintf(buf, len, "%s.%u", w->base, seq);
	else
		snprintf(buf, len, "%s", w->base);
}

/* Refuses to write onto the source file (same inode: also a link to it). */
static int check_not_source(struct kcap_writer *w, const char *path)
{
	struct stat in, out;
	int fd = kcap__file_fd(w->src);

	if (fd < 0 || fstat(fd, &in) || stat(path, &out))
		return 0;
	if (in.st_dev == out.st_dev && in.st_ino == out.st_ino)
		return w->broken = werr(w, EINVAL, "%s: is the file being read: refusing to "
					"overwrite the input", path);
	return 0;
}

/* The capture's stop time: now for live events, the source's for a copy. */
static __u64 stop_time(struct kcap_writer *w)
{
	struct kcap_file_info fi;

	if (kcap__is(w->src, &kcap__file_ops) && !kcap_file_info(w->src, &fi, sizeof(fi)))
		return fi.stop_ns ? fi.stop_ns : (fi.last_ts > w->file_last ? fi.last_ts : w->file_last);
	return clock_ns(CLOCK_MONOTONIC);
}

/* A new temporary name beside @w->path: DIR/.NAME.XXXXXX.tmp. */
static int open_tmp(struct kcap_writer *w)
{
	const char *slash = strrchr(w->path, '/');
	int dlen = slash ? (int)(slash - w->path + 1) : 0;
	unsigned int i;

	for (i = 0; i < 100; i++) {
		snprintf(w->tmp, sizeof(w->tmp), "%.*s.%s.%06x.tmp", dlen, w->path,
			 w->path + dlen, (unsigned int)(random() & 0xffffff));
		w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (w->fd >= 0 || errno != EEXIST)
			break;
	}
	if (w->fd < 0)
		return w->broken = werr(w, errno, "%s: %s", w->tmp, strerror(errno));
	return 0;
}

/* The source's process snapshot, copied block by block (file sources). */
static int copy_source_procs(struct kcap_writer *w)
{
	const unsigned char *p;
	const void *all;
	size_t len, off = 0;
	__u32 n;
	int err;

	err = kcap__procs(w->src, &all, &len);
	if (err)
		return err == -ENODATA ? 0 : err;
	p = all;
	while (off + 4 <= len) {
		memcpy(&n, p + off, 4);
		if (n > len - off - 4)
			break;
		err = write_meta(w, KCAPF_BLK_PROCS, p + off + 4, n);
		if (err)
			return err;
		off += 4 + (size_t)n;
	}
	return 0;
}

static int open_file(struct kcap_writer *w)
{
	int err;

	path_of(w, w->seq, w->path, sizeof(w->path));
	err = check_not_source(w, w->path);
	if (err)
		return err;
	if (w->flags & KCAP_WRITER_ATOMIC) {
		err = open_tmp(w);
		if (err)
			return err;
	} else {
		w->fd = open(w->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (w->fd < 0)
			return w->broken = werr(w, errno, "%s: %s", w->path, strerror(errno));
	}
	w->st.files++;
	w->opened_ns = clock_ns(CLOCK_MONOTONIC);
	w->off = 0;
	w->index.len = 0;
	w->nr_batches = 0;
	w->file_events = w->file_raw = w->file_stored = 0;
	w->file_first = w->file_last = 0;
	memset(w->type_counts, 0, sizeof(w->type_counts));
	if (w->rotating && w->rotate_keep && w->seq >= w->rotate_keep) {
		char old[sizeof(w->path)];

		path_of(w, w->seq - w->rotate_keep, old, sizeof(old));
		unlink(old);
	}
	ct_requeue_all(w);
	err = write_header(w);
	if (!err)
		err = write_machine(w);
	if (!err)
		err = write_table(w);
	if (!err)
		err = write_users(w);
	if (!err && !(w->flags & KCAP_WRITER_NO_PROCS)) {
		/* a copy keeps the recorded machine's processes, not ours */
		if (src_recorded(w))
			err = copy_source_procs(w);
		else
			err = kcapf_procs_snapshot("/proc", emit_procs, w);
		if (err && !w->broken)
			err = werr(w, err, "%s: process snapshot: %s", w->path, strerror(-err));
	}
	return err;
}

/*
 * The batch's data after its header: the columns and their zstd frame, or
 * (records the column encoding refuses, or a plain writer) one zstd frame
 * of the raw records. Sets *comp and returns the data's length.
 */
static size_t compress_batch(struct kcap_writer *w, __u32 *comp)
{
	unsigned char *out = w->zbuf + KCAPF_BATCH_HDR_LEN;
	size_t cap = w->zcap - KCAPF_BATCH_HDR_LEN, ilen, csize;
	__u32 l32, zero = 0;

	if (!w->plain && !kcapf_cols_encode(w->raw, w->raw_len, w->batch_events, w->batch_first,
					    w->cols, w->cols_cap, &ilen, w->refs)) {
		csize = ZSTD_compressCCtx(w->cctx, out + KCAPF_COLS_PREFIX,
					  cap - KCAPF_COLS_PREFIX, w->cols, ilen, w->level);
		if (ZSTD_isError(csize))
			return csize;
		l32 = (__u32)ilen;
		memcpy(out, &l32, 4);
		memcpy(out + 4, &zero, 4);
		*comp = KCAPF_COMP_ZSTD_COLS;
		return KCAPF_COLS_PREFIX + csize;
	}
	*comp = KCAPF_COMP_ZSTD;
	return ZSTD_compressCCtx(w->cctx, out, cap, w->raw, w->raw_len, w->level);
}

static int flush_batch(struct kcap_writer *w)
{
	unsigned char *h;
	size_t csize;
	__u32 comp = KCAPF_COMP_ZSTD, raw_len = (__u32)w->raw_len, zero = 0;
	int err;

	if (w->broken)
		return w->broken;
	if (!w->batch_events)
		return 0;
	/* what was learnt about containers goes before the events it is for */
	err = flush_containers(w);
	if (err)
		return err;
	csize = compress_batch(w, &comp);
	if (ZSTD_isError(csize))
		return w->broken = werr(w, EIO, "zstd: %s", ZSTD_getErrorName(csize));
	h = w->zbuf;
	memcpy(h, &w->batch_first, 8);
	memcpy(h + 8, &w->batch_last, 8);
	memcpy(h + 16, &w->batch_events, 4);
	memcpy(h + 20, &raw_len, 4);
	memcpy(h + 24, &comp, 4);
	memcpy(h + 28, &zero, 4);
	kbuf_u64(&w->index, w->off);
	kbuf_u64(&w->index, w->batch_first);
	kbuf_u64(&w->index, w->batch_last);
	kbuf_u32(&w->index, w->batch_events);
	kbuf_u32(&w->index, raw_len);
	if (w->index.oom)
		return w->broken = werr(w, ENOMEM, "out of memory for the batch index");
	err = write_block(w, KCAPF_BLK_BATCH, w->zbuf, KCAPF_BATCH_HDR_LEN + csize);
	if (err)
		return err;
	if (!w->nr_batches || w->batch_first < w->file_first)
		w->file_first = w->batch_first;
	if (w->batch_last > w->file_last)
		w->file_last = w->batch_last;
	w->nr_batches++;
	w->file_events += w->batch_events;
	w->file_raw += w->raw_len;
	w->file_stored += csize;
	w->st.stored_bytes += csize;
	w->raw_len = 0;
	w->batch_events = 0;
	return 0;
}

/* Turns the live source's counter changes into drop records. */
static void sample_drops(struct kcap_writer *w, __u64 now)
{
	unsigned int cpu, c, n = src_is_live(w) ? kcap_nr_rings(w->src) : 0;

	if (n && !w->last) {
		w->last = calloc(n, sizeof(*w->last));
		w->nr_cpus = w->last ? n : 0;
	}
	for (cpu = 0; cpu < w->nr_cpus; cpu++) {
		struct kcap_cpu_stats st;

		if (kcap_cpu_stats(w->src, cpu, &st))
			continue;
		for (c = 0; c < KCAP_DROP_NR_SLOTS; c++) {
			__u64 d = st.drops[c] - w->last[cpu].drops[c];

			if (!d || st.drops[c] < w->last[cpu].drops[c])
				continue;
			kbuf_u64(&w->drops, now);
			kbuf_u32(&w->drops, cpu);
			kbuf_u32(&w->drops, c);
			kbuf_u64(&w->drops, d);
			w->nr_drops++;
			w->st.drops += d;
		}
		w->last[cpu] = st;
	}
}

static int flush_drops(struct kcap_writer *w)
{
	struct kbuf b = { 0 };
	int err;

	if (!w->nr_drops)
		return 0;
	kbuf_u32(&b, w->nr_drops);
	kbuf_u32(&b, 0);
	kbuf_put(&b, w->drops.p, w->drops.len);
	err = (b.oom || w->drops.oom) ? werr(w, ENOMEM, "out of memory") :
					write_block(w, KCAPF_BLK_DROPS, b.p, b.len);
	kbuf_free(&b);
	w->drops.len = 0;
	w->nr_drops = 0;
	return err;
}

static int write_end(struct kcap_writer *w)
{
	struct kbuf b = { 0 };
	__u32 nr_types = 0, t, ncpu = 0, cpu;
	__u64 end_off = w->off;
	unsigned char trailer[KCAPF_TRAILER_LEN];
	struct kcap_cpu_stats st;
	size_t at;
	ssize_t n;
	int err;

	for (t = 0; t < KCAPF_MAX_TYPES; t++)
		nr_types += w->type_counts[t] != 0;
	kbuf_u64(&b, stop_time(w));
	kbuf_u64(&b, w->file_events);
	kbuf_u64(&b, w->file_raw);
	kbuf_u64(&b, w->file_stored);
	kbuf_u64(&b, w->file_first);
	kbuf_u64(&b, w->file_last);
	kbuf_u32(&b, w->nr_batches);
	at = b.len;
	kbuf_u32(&b, 0);
	kbuf_u32(&b, nr_types);
	kbuf_u32(&b, 0);
	kbuf_put(&b, w->index.p, w->index.len);
	n = w->src ? kcap_nr_rings(w->src) : 0;
	for (cpu = 0; cpu < (__u32)n; cpu++) {
		if (w->last && cpu < w->nr_cpus)
			st = w->last[cpu];
		else if (kcap_cpu_stats(w->src, cpu, &st))
			continue;
		kbuf_u32(&b, cpu);
		kbuf_u32(&b, st.online);
		kbuf_u64(&b, st.events);
		kbuf_u64(&b, st.bytes);
		kbuf_put(&b, st.drops, sizeof(st.drops));
		ncpu++;
	}
	if (!b.oom)
		memcpy(b.p + at, &ncpu, 4);
	for (t = 0; t < KCAPF_MAX_TYPES; t++) {
		if (!w->type_counts[t])
			continue;
		kbuf_u32(&b, t);
		kbuf_u32(&b, 0);
		kbuf_u64(&b, w->type_counts[t]);
	}
	err = b.oom ? werr(w, ENOMEM, "out of memory") : write_block(w, KCAPF_BLK_END, b.p, b.len);
	kbuf_free(&b);
	if (err)
		return err;
	memcpy(trailer, &end_off, 8);
	memcpy(trailer + 8, KCAPF_TRAILER_MAGIC, 8);
	do {
		n = write(w->fd, trailer, sizeof(trailer));
	} while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(trailer))
		return w->broken = werr(w, n < 0 ? errno : EIO, "%s: writing the trailer: %s",
					w->path, strerror(n < 0 ? errno : EIO));
	w->off += sizeof(trailer);
	w->st.file_bytes += sizeof(trailer);
	return 0;
}

/* An atomic file that will not be completed: removed, or kept as .partial. */
static void drop_tmp(struct kcap_writer *w)
{
	char partial[sizeof(w->path) + 8];

	if (!w->tmp[0])
		return;
	if (w->flags & KCAP_WRITER_KEEP_PARTIAL) {
		snprintf(partial, sizeof(partial), "%s.partial", w->path);
		if (!rename(w->tmp, partial)) {
			w->tmp[0] = '\0';
			return;
		}
	}
	unlink(w->tmp);
	w->tmp[0] = '\0';
}

/*
 * Closes the current file: pending batch, drops, closing block; an atomic
 * file is flushed to disk and renamed to its name only if all that worked.
 */
static int close_file(struct kcap_writer *w)
{
	bool atomic = w->flags & KCAP_WRITER_ATOMIC;
	int err = flush_batch(w);

	sample_drops(w, clock_ns(CLOCK_MONOTONIC));
	if (!err)
		err = flush_drops(w);
	if (!err)
		err = flush_containers(w);
	if (!err)
		err = write_end(w);
	if (!err && atomic && fsync(w->fd))
		err = w->broken = werr(w, errno, "%s: fsync: %s", w->tmp, strerror(errno));
	if (close(w->fd) && !err)
		err = w->broken = werr(w, errno, "%s: close: %s", w->path, strerror(errno));
	w->fd = -1;
	if (atomic && !err && rename(w->tmp, w->path))
		err = w->broken = werr(w, errno, "%s: renaming %s: %s", w->path, w->tmp,
				       strerror(errno));
	if (atomic && err)
		drop_tmp(w);
	else if (atomic)
		w->tmp[0] = '\0';
	return err;
}

static int maybe_rotate(struct kcap_writer *w, __u64 now)
{
	int err;

	if (!w->rotating || w->broken)
		return w->broken;
	if (!(w->rotate_bytes && w->off >= w->rotate_bytes) &&
	    !(w->rotate_secs && now - w->opened_ns >= w->rotate_secs * 1000000000ULL))
		return 0;
	err = close_file(w);
	if (err)
		return err;
	w->seq++;
	return open_file(w);
}

/* Writes the batch and what goes with it: drop records, rotation. */
static int flush_all(struct kcap_writer *w)
{
	__u64 now = clock_ns(CLOCK_MONOTONIC);
	int err = flush_batch(w);

	if (err)
		return err;
	sample_drops(w, now);
	err = flush_drops(w);
	if (err)
		return err;
	return maybe_rotate(w, now);
}

static int check_wopts(const struct kcap_writer_opts *opts, char *msg, size_t len)
{
	int level = OPTS_GET(opts, level, 0);

	if (opts && opts->sz < sizeof(size_t)) {
		snprintf(msg, len, "kcap_writer_opts: sz %zu is too small", opts->sz);
		return -EINVAL;
	}
	if (opts && !kcap__opts_valid(opts, sizeof(*opts), opts->sz)) {
		snprintf(msg, len, "kcap_writer_opts: unknown non-zero fields");
		return -EINVAL;
	}
	if (level < 0 || level > ZSTD_maxCLevel()) {
		snprintf(msg, len, "zstd level %d is outside 1..%d", level, ZSTD_maxCLevel());
		return -EINVAL;
	}
	if (OPTS_GET(opts, flags, 0) &
	    ~(__u32)(KCAP_WRITER_NO_PROCS | KCAP_WRITER_ATOMIC | KCAP_WRITER_KEEP_PARTIAL |
		     KCAP_WRITER_PLAIN)) {
		snprintf(msg, len, "unknown writer flags 0x%x", OPTS_GET(opts, flags, 0));
		return -EINVAL;
	}
	return 0;
}

struct kcap_writer *kcap_writer_open(const char *path, const struct kcap_writer_opts *opts)
{
	struct kcap_writer *w;
	struct stat sb;
	char *errbuf = OPTS_GET(opts, errbuf, NULL);
	size_t errbuf_sz = OPTS_GET(opts, errbuf_sz, 0);
	char msg[KCAP_ERRMSG_LEN] = "";
	const char *passwd, *group;
	__u32 flush_ms;
	int err;

	if (!path || !*path || strlen(path) >= PATH_MAX) {
		snprintf(msg, sizeof(msg), "capture file name is empty or too long");
		err = -EINVAL;
		goto fail;
	}
	err = check_wopts(opts, msg, sizeof(msg));
	if (err)
		goto fail;
	w = calloc(1, sizeof(*w));
	if (!w) {
		err = -ENOMEM;
		snprintf(msg, sizeof(msg), "out of memory");
		goto fail;
	}
	w->fd = -1;
	snprintf(w->base, sizeof(w->base), "%s", path);
	w->level = OPTS_GET(opts, level, 0) ? OPTS_GET(opts, level, 0) : 1;
	w->flags = OPTS_GET(opts, flags, 0);
	/* Not a regular file (/dev/null, a FIFO): written in place; a
	 * rename() would put a file in its place (as root, /dev/null
	 * itself, which once broke every compiler probe on a build host). */
	if ((w->flags & KCAP_WRITER_ATOMIC) && !stat(path, &sb) && !S_ISREG(sb.st_mode))
		w->flags &= ~(__u32)(KCAP_WRITER_ATOMIC | KCAP_WRITER_KEEP_PARTIAL);
	w->plain = w->flags & KCAP_WRITER_PLAIN;
	w->rotate_bytes = OPTS_GET(opts, rotate_bytes, 0);
	w->rotate_secs = OPTS_GET(opts, rotate_secs, 0);
	w->rotate_keep = OPTS_GET(opts, rotate_keep, 0);
	w->rotating = w->rotate_bytes || w->rotate_secs;
	flush_ms = OPTS_GET(opts, flush_ms, 0);
	w->flush_ns = (flush_ms ? flush_ms : 1000) * 1000000ULL;
	w->src = OPTS_GET(opts, source, NULL);
	w->start_ns = clock_ns(CLOCK_MONOTONIC);
	passwd = OPTS_GET(opts, passwd, NULL);
	group = OPTS_GET(opts, group, NULL);
	w->passwd = passwd ? strdup(passwd) : NULL;
	w->group = group ? strdup(group) : NULL;

	w->raw = malloc(KCAPF_BATCH_TARGET + KCAP_EVENT_MAX_LEN);
	/* room for the columns' frame, never smaller than the raw records' */
	w->zcap = KCAPF_BATCH_HDR_LEN + KCAPF_COLS_PREFIX +
		  ZSTD_compressBound(kcapf_cols_bound(KCAPF_BATCH_TARGET + KCAP_EVENT_MAX_LEN));
	w->zbuf = malloc(w->zcap);
	w->cols_cap = kcapf_cols_scratch(KCAPF_BATCH_TARGET + KCAP_EVENT_MAX_LEN,
					 (KCAPF_BATCH_TARGET + KCAP_EVENT_MAX_LEN) /
						 sizeof(struct kcap_event_hdr));
	w->cols = malloc(w->cols_cap);
	w->refs = malloc(KCAPF_COLS_REFS * sizeof(*w->refs));
	w->cctx = ZSTD_createCCtx();
	if (!w->raw || !w->zbuf || !w->cols || !w->refs || !w->cctx || (passwd && !w->passwd) ||
	    (group && !w->group))
		err = werr(w, ENOMEM, "out of memory");
	else
		err = open_file(w);
	if (!err)
		return w;
	snprintf(msg, sizeof(msg), "%s", w->errmsg);
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	kcap_writer_close(w);
fail:
	if (errbuf && errbuf_sz)
		snprintf(errbuf, errbuf_sz, "%s", msg);
	errno = -err;
	return NULL;
}

int kcap_writer_write(struct kcap_writer *w, const struct kcap_event_hdr *ev)
{
	static const __u64 zero8;
	size_t al;
	__u64 now;
	int err;

	if (!w || !ev)
		return -EINVAL;
	if (w->broken)
		return w->broken;
	if (ev->len < sizeof(*ev) || ev->len > KCAP_EVENT_MAX_LEN)
		return werr(w, EINVAL, "event length %u is outside %zu..%u", ev->len, sizeof(*ev),
			    KCAP_EVENT_MAX_LEN);
	al = KCAP_ALIGN(ev->len);
	if (w->raw_len && w->raw_len + al > KCAPF_BATCH_TARGET) {
		err = flush_all(w);
		if (err)
			return err;
	}
	if (!w->batch_events) {
		w->batch_first = w->batch_last = ev->ts_ns;
		w->batch_since = clock_ns(CLOCK_MONOTONIC);
		w->since_check = 0;
	}
	/* Zero the padding with one store (al >= 32, padding < 8 bytes),
	 * then copy the record over the front of it: no memset call per event.
	 */
	memcpy(w->raw + w->raw_len + al - sizeof(zero8), &zero8, sizeof(zero8));
	memcpy(w->raw + w->raw_len, ev, ev->len);
	w->raw_len += al;
	w->batch_events++;
	if (ev->ts_ns < w->batch_first)
		w->batch_first = ev->ts_ns;
	if (ev->ts_ns > w->batch_last)
		w->batch_last = ev->ts_ns;
	w->type_counts[ev->type < KCAPF_MAX_TYPES ? ev->type : 0]++;
	w->st.events++;
	w->st.raw_bytes += al;
	if (++w->since_check >= WRITER_CHECK_EVERY) {
		w->since_check = 0;
		now = clock_ns(CLOCK_MONOTONIC);
		if (now - w->batch_since >= w->flush_ns)
			return flush_all(w);
	}
	return 0;
}

int kcap_writer_tick(struct kcap_writer *w)
{
	__u64 now;

	if (!w)
		return -EINVAL;
	if (w->broken)
		return w->broken;
	now = clock_ns(CLOCK_MONOTONIC);
	if (w->batch_events && now - w->batch_since >= w->flush_ns)
		return flush_all(w);
	if (!w->batch_events && now - w->opened_ns >= w->flush_ns) {
		sample_drops(w, now);
		if (flush_drops(w))
			return w->broken;
	}
	return maybe_rotate(w, now);
}

int kcap_writer_flush(struct kcap_writer *w)
{
	if (!w)
		return -EINVAL;
	return flush_all(w);
}

int kcap_writer_stats(const struct kcap_writer *w, struct kcap_writer_stats *st, size_t sz)
{
	if (!w || !st)
		return -EINVAL;
	memset(st, 0, sz);
	memcpy(st, &w->st, sz < sizeof(w->st) ? sz : sizeof(w->st));
	return 0;
}

const char *kcap_writer_path(const struct kcap_writer *w)
{
	return w ? w->path : "";
}

const char *kcap_writer_errmsg(const struct kcap_writer *w)
{
	return w ? w->errmsg : "no writer";
}

static void copy_source_drops(struct kcap_writer *w)
{
	const struct kcap_file_drop *d;
	size_t n, i;

	if (!kcap__is(w->src, &kcap__file_ops) || kcap_file_drops(w->src, &d, &n))
		return;
	for (i = 0; i < n; i++) {
		kbuf_u64(&w->drops, d[i].ts_ns);
		kbuf_u32(&w->drops, d[i].cpu);
		kbuf_u32(&w->drops, d[i].cause);
		kbuf_u64(&w->drops, d[i].count);
		w->nr_drops++;
	}
}

int kcap_writer_finish(struct kcap_writer *w)
{
	int err;

	if (!w)
		return -EINVAL;
	if (w->fd < 0)
		return w->broken;
	if (w->broken && (w->flags & KCAP_WRITER_ATOMIC)) {
		/* never rename a file that missed events */
		close(w->fd);
		w->fd = -1;
		drop_tmp(w);
		return w->broken;
	}
	copy_source_drops(w);
	err = close_file(w);
	if (err && !w->broken)
		w->broken = err;
	w->finished = !w->broken;
	return w->broken;
}

void kcap_writer_close(struct kcap_writer *w)
{
	if (!w)
		return;
	if (w->flags & KCAP_WRITER_ATOMIC) {
		if (w->fd >= 0) {
			close(w->fd);
			w->fd = -1;
		}
		drop_tmp(w);
	} else {
		kcap_writer_finish(w);
	}
	ZSTD_freeCCtx(w->cctx);
	free(w->raw);
	free(w->zbuf);
	free(w->cols);
	free(w->refs);
	free(w->last);
	kbuf_free(&w->index);
	kbuf_free(&w->drops);
	kcapf_cts_free(&w->cts);
	free(w->passwd);
	free(w->group);
	free(w);
}
