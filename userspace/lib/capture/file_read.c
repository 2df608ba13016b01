// SPDX-License-Identifier: Apache-2.0
/*
 * The capture file reader behind kcap_open_file(): the same handle and
 * kcap_next() as a live capture, fed from the file's zstd batches (raw
 * records, or from format 1.3 columns rebuilt into raw records by
 * file_cols.c) and decoded with the file's own event table. Format:
 * file_format.h and docs/capture-format.md.
 *
 * Every length read from the file is checked against the file size and
 * the limits in file_format.h before anything is allocated or read, so a
 * corrupt or hostile file gives an error naming the byte offset, never a
 * crash, a hang or an unbounded allocation.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "container/container.h"
#include "file_format.h"

struct idx_entry {
	__u64 off;
	__u64 first;
	__u64 last;
	__u32 nr_events;
	__u32 raw_len;
};

struct kcap_file {
	struct kcap h;
	int fd;
	bool stream; /* a pipe or socket: read forward only, size unknown */
	__u64 spos; /* stream: bytes consumed so far */
	/* stream: the block last read, still in blk (read_front() stops at
	 * the first batch, next_batch() reads it again) */
	bool cached;
	__u64 cached_off;
	unsigned char cached_hdr[KCAPF_BLOCK_HDR_LEN];
	char name[256];
	char why[160]; /* a column batch's error */
	__u64 size;
	__u64 off; /* next block */
	struct kcap_file_info info;
	struct kcap_table table;
	bool have_table;
	unsigned char *blk; /* the current block's payload */
	size_t blk_cap;
	unsigned char *zblk; /* a ZMETA block's compressed payload (format 1.4) */
	size_t zblk_cap;
	__u32 disk_len; /* the payload length of the block last read, on disk */
	unsigned char *raw; /* the current batch, decompressed */
	size_t raw_cap;
	unsigned char *img; /* a column batch's image (format 1.3) */
	size_t img_cap;
	struct kcapf_cols_rd cols; /* its reader */
	bool in_cols; /* the current batch is read from cols, not raw */
	size_t raw_len;
	size_t raw_pos;
	__u64 batch_off;
	ZSTD_DCtx *dctx;
	__u64 start_ns;
	__u64 end_ns;
	struct idx_entry *index;
	__u32 nr_index;
	struct kcap_cpu_stats *cpustats;
	__u32 nr_cpustats;
	__u64 *type_counts; /* KCAPF_MAX_TYPES entries, from the closing block */
	struct kcap_file_drop *drops;
	size_t nr_drops;
	size_t cap_drops;
	bool eof;
	struct kbuf procs; /* PROCS payloads, each after its u32 length */
	struct kbuf users; /* the USERS payload (format 1.1), if any */
	bool have_users;
	/* the container table (format 1.2): the latest record of each id
	 * reached so far, and every CONTAINERS payload read, each after its
	 * u32 length (what a copy writes) */
	struct kcap_ct_cache *cts;
	struct kbuf ctlog;
};

static struct kcap_file *to_file(const struct kcap *h)
{
	return container_of(h, struct kcap_file, h);
}

/*
 * The fuzzing build (tests/fuzz) accepts any checksum, so that mutated
 * inputs reach the parsers behind it instead of stopping at the CRC.
 */
static bool crc_ok(__u32 computed, __u32 stored)
{
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
	(void)computed;
	(void)stored;
	return true;
#else
	return computed == stored;
#endif
}

static int ferr(struct kcap *h, int err, __u64 off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int ferr(struct kcap *h, int err, __u64 off, const char *fmt, ...)
{
	char what[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return kcap__err(h, err, "%s: offset %llu: %s", to_file(h)->name, (unsigned long long)off,
			 what);
}

/*
 * A stream (pipe, socket) is read forward only: reading at @off first skips
 * to it. Returns the bytes read before the end of the stream (up to @len),
 * or a negative errno. The reader never goes back: the header and the
 * blocks are read in order, and a stream has no trailer to look at.
 */
static ssize_t stream_read(struct kcap *h, void *buf, size_t len, __u64 off)
{
	struct kcap_file *f = to_file(h);
	unsigned char skip[4096];
	size_t done = 0;
	ssize_t n;

	if (off < f->spos)
		return ferr(h, EINVAL, off, "a stream cannot be read backwards (at %llu)",
			    (unsigned long long)f->spos);
	while (f->spos < off) {
		size_t want = off - f->spos < sizeof(skip) ? off - f->spos : sizeof(skip);

		n = read(f->fd, skip, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ferr(h, errno, f->spos, "read error: %s", strerror(errno));
		if (n == 0)
			return 0;
		f->spos += (__u64)n;
	}
	while (done < len) {
		n = read(f->fd, (char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ferr(h, errno, f->spos, "read error: %s", strerror(errno));
		if (n == 0)
			break;
		done += (size_t)n;
		f->spos += (__u64)n;
	}
	f->info.file_bytes = f->spos;
	return (ssize_t)done;
}

static int read_at(struct kcap *h, void *buf, size_t len, __u64 off)
{
	size_t done = 0;
	ssize_t n;

	if (to_file(h)->stream) {
		n = stream_read(h, buf, len, off);
		if (n < 0)
			return (int)n;
		if ((size_t)n < len)
			return ferr(h, EBADMSG, off + (size_t)n, "unexpected end of file");
		return 0;
	}

	while (done < len) {
		n = pread(to_file(h)->fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ferr(h, errno, off + done, "read error: %s", strerror(errno));
		if (n == 0)
			return ferr(h, EBADMSG, off + done, "unexpected end of file");
		done += (size_t)n;
	}
	return 0;
}

static int grow(struct kcap *h, unsigned char **buf, size_t *cap, size_t need)
{
	unsigned char *p;

	if (need <= *cap)
		return 0;
	p = realloc(*buf, need);
	if (!p)
		return kcap__err(h, ENOMEM, "out of memory for a %zu-byte block", need);
	*buf = p;
	*cap = need;
	return 0;
}

static void mark_truncated(struct kcap_file *f, __u64 off)
{
	f->info.flags |= KCAP_FILE_TRUNCATED;
	f->info.end_offset = off;
	f->eof = true;
}

/*
 * Reads the block at @off into f->blk. Returns 1 with *type and *len set,
 * 0 at the end of the data (end of file, or a block cut short by the end of
 * the file: a writer that was killed), or a negative errno.
 */
/* read_block() on a stream: the end shows as a short read. */
static int read_block_stream(struct kcap *h, __u64 off, unsigned char *hdr, __u32 *len)
{
	struct kcap_file *f = to_file(h);
	ssize_t n;
	__u32 hcrc;
	int err;

	if (f->cached && off == f->cached_off) {
		memcpy(hdr, f->cached_hdr, KCAPF_BLOCK_HDR_LEN);
		memcpy(len, hdr + 4, 4);
		return 1;
	}
	f->cached = false;
	n = stream_read(h, hdr, KCAPF_BLOCK_HDR_LEN, off);
	if (n <= 0) {
		f->info.end_offset = off;
		f->eof = true;
		return (int)n;
	}
	if (n < KCAPF_BLOCK_HDR_LEN) {
		mark_truncated(f, off);
		return 0;
	}
	memcpy(len, hdr + 4, 4);
	memcpy(&hcrc, hdr + 12, 4);
	if (!crc_ok(kcapf_crc(hdr, 12), hcrc))
		return ferr(h, EBADMSG, off, "block header checksum mismatch");
	if (*len > KCAPF_MAX_BLOCK)
		return ferr(h, EBADMSG, off, "block length %u is above the limit of %u bytes", *len,
			    KCAPF_MAX_BLOCK);
	err = grow(h, &f->blk, &f->blk_cap, *len ? *len : 1);
	if (err)
		return err;
	n = stream_read(h, f->blk, *len, off + KCAPF_BLOCK_HDR_LEN);
	if (n < 0)
		return (int)n;
	if ((size_t)n < *len) {
		mark_truncated(f, off);
		return 0;
	}
	f->cached = true;
	f->cached_off = off;
	memcpy(f->cached_hdr, hdr, KCAPF_BLOCK_HDR_LEN);
	return 1;
}

/*
 * A ZMETA block (format 1.4) just read: its inner block's payload, unpacked,
 * takes its place in f->blk, and *type and *len become the inner block's.
 * 1, or an error naming what is wrong. A stream's cached block is dropped
 * (the payload it would repeat is gone; read_front() never stops at one).
 */
static int unwrap_meta(struct kcap *h, __u64 off, __u32 *type, __u32 *len)
{
	struct kcap_file *f = to_file(h);
	unsigned char *t;
	__u32 inner, raw;
	size_t n, tc;
	int err;

	f->cached = false;
	if (*len < KCAPF_ZMETA_HDR_LEN)
		return ferr(h, EBADMSG, off, "compressed metadata block of %u bytes", *len);
	memcpy(&inner, f->blk, 4);
	memcpy(&raw, f->blk + 4, 4);
	if (inner != KCAPF_BLK_EVENT_TABLE && inner != KCAPF_BLK_PROCS &&
	    inner != KCAPF_BLK_USERS && inner != KCAPF_BLK_CONTAINERS)
		return ferr(h, EBADMSG, off, "compressed metadata block holds a block of type %u",
			    inner);
	if (raw > KCAPF_MAX_BLOCK)
		return ferr(h, EBADMSG, off,
			    "compressed metadata block of %u bytes is above the limit of %u", raw,
			    KCAPF_MAX_BLOCK);
	err = grow(h, &f->zblk, &f->zblk_cap, raw ? raw : 1);
	if (err)
		return err;
	n = ZSTD_decompressDCtx(f->dctx, f->zblk, raw, f->blk + KCAPF_ZMETA_HDR_LEN,
				*len - KCAPF_ZMETA_HDR_LEN);
	if (ZSTD_isError(n) || n != raw)
		return ferr(h, EBADMSG, off, "compressed metadata block (type %u): %s", inner,
			    ZSTD_isError(n) ? ZSTD_getErrorName(n) : "a length other than its header's");
	/* the unpacked payload becomes the current block */
	t = f->blk;
	f->blk = f->zblk;
	f->zblk = t;
	tc = f->blk_cap;
	f->blk_cap = f->zblk_cap;
	f->zblk_cap = tc;
	*type = inner;
	*len = raw;
	return 1;
}

static int read_block(struct kcap *h, __u64 off, __u32 *type, __u32 *len)
{
	struct kcap_file *f = to_file(h);
	unsigned char hdr[KCAPF_BLOCK_HDR_LEN];
	__u32 crc, hcrc;
	int err;

	if (f->stream) {
		err = read_block_stream(h, off, hdr, len);
		if (err <= 0)
			return err;
		memcpy(type, hdr, 4);
		memcpy(&crc, hdr + 8, 4);
		goto check;
	}
	if (off >= f->size) {
		f->info.end_offset = off;
		f->eof = true;
		return 0;
	}
	if (f->size - off < sizeof(hdr)) {
		mark_truncated(f, off);
		return 0;
	}
	err = read_at(h, hdr, sizeof(hdr), off);
	if (err)
		return err;
	memcpy(type, hdr, 4);
	memcpy(len, hdr + 4, 4);
	memcpy(&crc, hdr + 8, 4);
	memcpy(&hcrc, hdr + 12, 4);
	if (!crc_ok(kcapf_crc(hdr, 12), hcrc))
		return ferr(h, EBADMSG, off, "block header checksum mismatch");
	if (*len > KCAPF_MAX_BLOCK)
		return ferr(h, EBADMSG, off, "block length %u is above the limit of %u bytes", *len,
			    KCAPF_MAX_BLOCK);
	if (f->size - off - sizeof(hdr) < *len) {
		mark_truncated(f, off);
		return 0;
	}
	err = grow(h, &f->blk, &f->blk_cap, *len ? *len : 1);
	if (!err)
		err = read_at(h, f->blk, *len, off + sizeof(hdr));
	if (err)
		return err;
check:
	if (!crc_ok(kcapf_crc(f->blk, *len), crc))
		return ferr(h, EBADMSG, off, "block checksum mismatch (type %u, %u bytes)", *type,
			    *len);
	f->disk_len = *len;
	return *type == KCAPF_BLK_ZMETA ? unwrap_meta(h, off, type, len) : 1;
}

static int parse_machine(struct kcap *h, __u64 off, __u32 len)
{
	struct kcap_file_info *i = &to_file(h)->info;
	struct kparse k = { .p = to_file(h)->blk, .len = len };

	i->boot_wall_ns = (__s64)kp_u64(&k);
	i->start_ns = kp_u64(&k);
	i->nr_cpus = kp_u32(&k);
	i->abi_major = kp_u16(&k);
	i->abi_minor = kp_u16(&k);
	i->snaplen = kp_u32(&k);
	kp_u32(&k);
	kp_str(&k, i->hostname, sizeof(i->hostname));
	kp_str(&k, i->kernel_release, sizeof(i->kernel_release));
	kp_str(&k, i->kernel_version, sizeof(i->kernel_version));
	kp_str(&k, i->arch, sizeof(i->arch));
	kp_str(&k, i->writer, sizeof(i->writer));
	if (k.bad)
		return ferr(h, EBADMSG, off, "machine block: a field runs past the block");
	return 0;
}

static int parse_table(struct kcap *h, __u64 off, __u32 len)
{
	struct kcap_file *f = to_file(h);
	const char *why = "";
	int err;

	if (f->have_table)
		return 0; /* the first one describes the file */
	err = kcapf_table_decode(&f->table, f->blk, len, &why);
	if (err)
		return ferr(h, err, off, "%s", why);
	f->have_table = true;
	return 0;
}

static int parse_procs(struct kcap *h, __u64 off, __u32 len)
{
	struct kparse k = { .p = to_file(h)->blk, .len = len };
	__u32 n = kp_u32(&k), i, j, nfds;
	__u16 sl;

	for (i = 0; i < n && !k.bad; i++) {
		kp_bytes(&k, 4 * 11); /* tid, pid, ppid, uid[4], gid[4] */
		for (j = 0; j < 5; j++)
			kp_strp(&k, &sl); /* comm, exe, argv, cwd, cgroup */
		nfds = kp_u32(&k);
		for (j = 0; j < nfds && !k.bad; j++) {
			kp_u32(&k);
			kp_strp(&k, &sl);
		}
		to_file(h)->info.nr_fds += k.bad ? 0 : nfds;
	}
	if (k.bad)
		return ferr(h, EBADMSG, off, "process snapshot: record %u runs past the block", i);
	to_file(h)->info.nr_threads += n;
	kbuf_u32(&to_file(h)->procs, len);
	kbuf_put(&to_file(h)->procs, to_file(h)->blk, len);
	return 0;
}

static int parse_drops(struct kcap *h, __u64 off, __u32 len)
{
	struct kcap_file *f = to_file(h);
	struct kparse k = { .p = f->blk, .len = len };
	__u32 n = kp_u32(&k), i;

	kp_u32(&k);
	if (k.bad || n > (len - k.pos) / KCAPF_DROP_LEN)
		return ferr(h, EBADMSG, off, "drop block: %u records do not fit in %u bytes", n, len);
	for (i = 0; i < n; i++) {
		struct kcap_file_drop d;

		d.ts_ns = kp_u64(&k);
		d.cpu = kp_u32(&k);
		d.cause = kp_u32(&k);
		d.count = kp_u64(&k);
		if (f->nr_drops >= KCAPF_MAX_DROPS)
			continue; /* documented limit: later records are not kept */
		if (f->nr_drops == f->cap_drops) {
			size_t cap = f->cap_drops ? f->cap_drops * 2 : 64;
			void *p = realloc(f->drops, cap * sizeof(*f->drops));

			if (!p)
				return kcap__err(h, ENOMEM, "out of memory for drop records");
			f->drops = p;
			f->cap_drops = cap;
		}
		f->drops[f->nr_drops++] = d;
	}
	return 0;
}

/* The closing block: totals, batch index, final counters, counts by type. */
static int parse_end(struct kcap *h, __u64 off, __u32 len)
{
	struct kcap_file *f = to_file(h);
	struct kcap_file_info *i = &f->info;
	struct kparse k = { .p = f->blk, .len = len };
	__u32 nb, nc, nt, j;

	if (f->index)
		return 0;
	i->stop_ns = kp_u64(&k);
	i->nr_events = kp_u64(&k);
	i->raw_bytes = kp_u64(&k);
	i->stored_bytes = kp_u64(&k);
	i->first_ts = kp_u64(&k);
	i->last_ts = kp_u64(&k);
	nb = kp_u32(&k);
	nc = kp_u32(&k);
	nt = kp_u32(&k);
	kp_u32(&k);
	if (k.bad || (__u64)nb * KCAPF_INDEX_ENTRY_LEN + (__u64)nc * KCAPF_CPUSTATS_LEN +
				 (__u64)nt * 16 > len - k.pos)
		return ferr(h, EBADMSG, off, "closing block: counts do not fit in %u bytes", len);
	f->index = calloc(nb ? nb : 1, sizeof(*f->index));
	f->cpustats = calloc(nc ? nc : 1, sizeof(*f->cpustats));
	f->type_counts = calloc(KCAPF_MAX_TYPES, sizeof(*f->type_counts));
	if (!f->index || !f->cpustats || !f->type_counts)
		return kcap__err(h, ENOMEM, "out of memory for the index");
	for (j = 0; j < nb; j++) {
		struct idx_entry *e = &f->index[j];

		e->off = kp_u64(&k);
		e->first = kp_u64(&k);
		e->last = kp_u64(&k);
		e->nr_events = kp_u32(&k);
		e->raw_len = kp_u32(&k);
	}
	for (j = 0; j < nc; j++) {
		struct kcap_cpu_stats *s = &f->cpustats[j];

		s->cpu = kp_u32(&k);
		s->online = kp_u32(&k);
		s->events = kp_u64(&k);
		s->bytes = kp_u64(&k);
		memcpy(s->drops, kp_bytes(&k, sizeof(s->drops)), sizeof(s->drops));
	}
	for (j = 0; j < nt; j++) {
		__u32 t = kp_u32(&k);

		kp_u32(&k);
		if (t < KCAPF_MAX_TYPES)
			f->type_counts[t] = kp_u64(&k);
		else
			kp_u64(&k);
	}
	f->nr_index = nb;
	f->nr_cpustats = nc;
	i->nr_batches = nb;
	i->flags |= KCAP_FILE_CLOSED | KCAP_FILE_INDEXED;
	return 0;
}

static int parse_users(struct kcap *h, __u64 off, __u32 len)
{
	struct kcap_file *f = to_file(h);
	__u32 nu, ng;

	if (kcapf_users_foreach(f->blk, len, NULL, NULL, &nu, &ng))
		return ferr(h, EBADMSG, off, "user and group names: a record runs past the block");
	f->users.len = 0;
	kbuf_put(&f->users, f->blk, len);
	if (f->users.oom)
		return ferr(h, ENOMEM, off, "user and group names: out of memory");
	f->have_users = true;
	f->info.flags |= KCAP_FILE_NAMES;
	f->info.nr_users = nu;
	f->info.nr_groups = ng;
	return 0;
}

static int take_container(void *ctx, struct kcap_ct_meta *m, const void *rec, size_t len)
{
	(void)rec;
	(void)len;
	kcap__ct_cache_insert(ctx, m);
	return 0;
}

/*
 * A CONTAINERS block: checked whole first, then each record replaces the
 * one of the same id; from here on, events of the container get it.
 */
static int parse_containers(struct kcap *h, __u64 off, __u32 len)
{
	struct kcap_file *f = to_file(h);
	char why[192];
	int err;

	err = kcapf_ct_foreach(f->blk, len, NULL, NULL, why, sizeof(why));
	if (err)
		return ferr(h, -err, off, "%s", why);
	if (!f->cts)
		f->cts = kcap__ct_cache_new(NULL, KCAPF_MAX_CONTAINERS);
	if (!f->cts)
		return ferr(h, ENOMEM, off, "container table: out of memory");
	kcapf_ct_foreach(f->blk, len, take_container, f->cts, why, sizeof(why));
	/* for a copy; bounded like the table itself (documented limit) */
	if (f->ctlog.len + 4 + (size_t)len <= KCAPF_MAX_CT_LOG) {
		kbuf_u32(&f->ctlog, len);
		kbuf_put(&f->ctlog, f->blk, len);
		if (f->ctlog.oom)
			return ferr(h, ENOMEM, off, "container table: out of memory");
	}
	f->info.flags |= KCAP_FILE_CONTAINERS;
	f->info.nr_containers = kcap__ct_cache_size(f->cts);
	return 0;
}

/* Metadata blocks; batches are handled by the caller. */
static int parse_meta(struct kcap *h, __u32 type, __u64 off, __u32 len)
{
	switch (type) {
	case KCAPF_BLK_MACHINE:
		return parse_machine(h, off, len);
	case KCAPF_BLK_EVENT_TABLE:
		return parse_table(h, off, len);
	case KCAPF_BLK_PROCS:
		return parse_procs(h, off, len);
	case KCAPF_BLK_DROPS:
		return parse_drops(h, off, len);
	case KCAPF_BLK_END:
		return parse_end(h, off, len);
	case KCAPF_BLK_USERS:
		return parse_users(h, off, len);
	case KCAPF_BLK_CONTAINERS:
		return parse_containers(h, off, len);
	default:
		return 0; /* unknown: skipped (forward compatibility) */
	}
}

static int parse_header(struct kcap *h)
{
	struct kcap_file *f = to_file(h);
	unsigned char hdr[KCAPF_HEADER_LEN];
	__u16 major, minor;
	__u32 bom, hlen, crc;
	int err;

	if (f->stream) {
		ssize_t n = stream_read(h, hdr, sizeof(hdr), 0);

		if (n < 0)
			return (int)n;
		if ((size_t)n < sizeof(hdr))
			return ferr(h, EBADMSG, 0, "%zd bytes is too short for a kcap capture file",
				    n);
	} else if (f->size < KCAPF_HEADER_LEN) {
		return ferr(h, EBADMSG, 0, "%llu bytes is too short for a kcap capture file",
			    (unsigned long long)f->size);
	} else {
		err = read_at(h, hdr, sizeof(hdr), 0);
		if (err)
			return err;
	}
	if (memcmp(hdr, KCAPF_MAGIC, KCAPF_MAGIC_LEN))
		return ferr(h, EBADMSG, 0, "not a kcap capture file (bad magic)");
	memcpy(&major, hdr + 8, 2);
	memcpy(&minor, hdr + 10, 2);
	memcpy(&bom, hdr + 12, 4);
	memcpy(&hlen, hdr + 16, 4);
	memcpy(&crc, hdr + 24, 4);
	if (!crc_ok(kcapf_crc(hdr, 24), crc))
		return ferr(h, EBADMSG, 24, "file header checksum mismatch");
	if (bom != KCAPF_BYTE_ORDER)
		return ferr(h, EBADMSG, 12, "byte order mark 0x%08x: only little-endian files exist",
			    bom);
	if (major != KCAPF_VERSION_MAJOR)
		return ferr(h, EPROTO, 8,
			    "format version %u.%u: this libkcap reads version %u.x; use a newer kcap",
			    major, minor, KCAPF_VERSION_MAJOR);
	if (hlen < KCAPF_HEADER_LEN || hlen > 4096 || hlen > f->size)
		return ferr(h, EBADMSG, 16, "header length %u is out of range", hlen);
	f->info.format_major = major;
	f->info.format_minor = minor;
	f->off = hlen;
	return 0;
}

/* Loads the closing block through the trailer; failures just mean "scan". */
static void load_trailer(struct kcap *h)
{
	struct kcap_file *f = to_file(h);
	unsigned char t[KCAPF_TRAILER_LEN];
	__u64 end_off;
	__u32 type, len;

	if (f->stream || f->size < f->off + KCAPF_BLOCK_HDR_LEN + KCAPF_TRAILER_LEN ||
	    read_at(h, t, sizeof(t), f->size - sizeof(t)) ||
	    memcmp(t + 8, KCAPF_TRAILER_MAGIC, 8))
		return;
	memcpy(&end_off, t, 8);
	if (end_off < f->off || end_off > f->size - sizeof(t) - KCAPF_BLOCK_HDR_LEN)
		return;
	if (read_block(h, end_off, &type, &len) == 1 && type == KCAPF_BLK_END &&
	    !parse_end(h, end_off, len))
		goto out;
	/* A bad closing block is reported when reading reaches it. */
	free(f->index);
	free(f->cpustats);
	free(f->type_counts);
	f->index = NULL;
	f->cpustats = NULL;
	f->type_counts = NULL;
	f->nr_index = f->nr_cpustats = 0;
	f->info.flags &= ~(__u32)(KCAP_FILE_CLOSED | KCAP_FILE_INDEXED);
	memset(&f->info.stop_ns, 0, sizeof(f->info.stop_ns));
out:
	f->eof = false;
	f->info.flags &= ~(__u32)KCAP_FILE_TRUNCATED;
	h->errmsg[0] = '\0';
}

/*
 * Moves to the batch at @target (from the index), skipping the batches on
 * the way unread but not the container table: the CONTAINERS blocks
 * between are read, so an event after the jump has the metadata its
 * container had there. A block header that is not valid ends the walk
 * early: the jump is taken anyway, as before format 1.2.
 */
static int skip_to(struct kcap *h, __u64 target)
{
	struct kcap_file *f = to_file(h);
	unsigned char hdr[KCAPF_BLOCK_HDR_LEN];
	__u32 type, len, hcrc;
	int r;

	while (f->off < target && target - f->off >= KCAPF_BLOCK_HDR_LEN &&
	       !read_at(h, hdr, sizeof(hdr), f->off)) {
		memcpy(&type, hdr, 4);
		memcpy(&len, hdr + 4, 4);
		memcpy(&hcrc, hdr + 12, 4);
		if (!crc_ok(kcapf_crc(hdr, 12), hcrc) || len > target - f->off - KCAPF_BLOCK_HDR_LEN)
			break;
		if (type == KCAPF_BLK_CONTAINERS || type == KCAPF_BLK_ZMETA) {
			__u32 ilen;

			r = read_block(h, f->off, &type, &ilen);
			if (r < 0)
				return r;
			if (r == 0)
				break;
			r = type == KCAPF_BLK_CONTAINERS ? parse_containers(h, f->off, ilen) : 0;
			if (r)
				return r;
		}
		f->off += KCAPF_BLOCK_HDR_LEN + len;
	}
	h->errmsg[0] = '\0';
	f->off = target;
	return 0;
}

/* Reads the blocks before the first batch, then seeks by the index. */
static int read_front(struct kcap *h)
{
	struct kcap_file *f = to_file(h);
	__u32 type, len, j;
	int r;

	for (;;) {
		r = read_block(h, f->off, &type, &len);
		if (r <= 0)
			break;
		if (type == KCAPF_BLK_BATCH || type == KCAPF_BLK_END)
			break;
		r = parse_meta(h, type, f->off, len);
		if (r)
			return r;
		f->off += KCAPF_BLOCK_HDR_LEN + f->disk_len;
	}
	if (r < 0)
		return r;
	if (!f->have_table)
		return ferr(h, EBADMSG, f->off, "no event table before the first event batch");
	if (f->start_ns && f->index) {
		for (j = 0; j < f->nr_index; j++) {
			if (f->index[j].last >= f->start_ns)
				break;
		}
		if (j < f->nr_index && f->index[j].off > f->off && f->index[j].off < f->size)
			return skip_to(h, f->index[j].off);
		else if (j == f->nr_index)
			f->eof = true;
	}
	return 0;
}

/* A column batch (format 1.3): the image, then the raw records from it. */
static int load_cols(struct kcap *h, __u64 off, const unsigned char *data, size_t dlen,
		     __u64 first, __u32 nev, __u32 raw_len)
{
	struct kcap_file *f = to_file(h);
	char why[160];
	__u32 ilen;
	size_t n;
	int err;

	if (dlen < KCAPF_COLS_PREFIX)
		return ferr(h, EBADMSG, off, "event batch: %zu bytes of column data", dlen);
	memcpy(&ilen, data, 4);
	if (ilen < KCAPF_COLS_HDR_LEN || ilen > kcapf_cols_bound(raw_len))
		return ferr(h, EBADMSG, off,
			    "event batch: column image of %u bytes for %u raw bytes (%u..%zu)", ilen,
			    raw_len, KCAPF_COLS_HDR_LEN, kcapf_cols_bound(raw_len));
	err = grow(h, &f->img, &f->img_cap, ilen);
	if (err)
		return err;
	n = ZSTD_decompressDCtx(f->dctx, f->img, ilen, data + KCAPF_COLS_PREFIX,
				dlen - KCAPF_COLS_PREFIX);
	if (ZSTD_isError(n))
		return ferr(h, EBADMSG, off, "event batch: zstd: %s", ZSTD_getErrorName(n));
	if (n != ilen)
		return ferr(h, EBADMSG, off,
			    "event batch: %zu bytes after decompression, %u expected", n, ilen);
	if (kcapf_cols_begin(&f->cols, f->img, ilen, nev, first, raw_len, why, sizeof(why)))
		return ferr(h, EBADMSG, off, "event batch: %s", why);
	return 0;
}

static int load_batch(struct kcap *h, __u64 off, __u32 len, bool *skip)
{
	struct kcap_file *f = to_file(h);
	struct kparse k = { .p = f->blk, .len = len };
	__u64 first = kp_u64(&k), last = kp_u64(&k);
	__u32 nev = kp_u32(&k), raw_len = kp_u32(&k), comp = kp_u32(&k);
	const void *data;
	size_t dlen, n;
	int err;

	kp_u32(&k);
	if (k.bad)
		return ferr(h, EBADMSG, off, "event batch: header runs past the block");
	if (raw_len > KCAPF_MAX_BATCH_RAW || raw_len % KCAP_EVENT_ALIGN)
		return ferr(h, EBADMSG, off, "event batch: raw length %u is not a multiple of %u up to %u",
			    raw_len, KCAP_EVENT_ALIGN, KCAPF_MAX_BATCH_RAW);
	if (!(f->info.flags & KCAP_FILE_INDEXED)) {
		if (!f->info.nr_batches || first < f->info.first_ts)
			f->info.first_ts = first;
		if (last > f->info.last_ts)
			f->info.last_ts = last;
		f->info.nr_batches++;
		f->info.nr_events += nev;
		f->info.raw_bytes += raw_len;
		f->info.stored_bytes += len - KCAPF_BATCH_HDR_LEN;
	}
	*skip = (f->start_ns && last < f->start_ns) || (f->end_ns && first > f->end_ns);
	if (*skip)
		return 0;
	dlen = len - k.pos;
	data = kp_bytes(&k, dlen);
	if (comp == KCAPF_COMP_ZSTD_COLS) {
		/* its events are rebuilt one at a time (file_next()) */
		err = load_cols(h, off, data, dlen, first, nev, raw_len);
		if (err)
			return err;
		f->in_cols = true;
		f->batch_off = off;
		return 0;
	}
	err = grow(h, &f->raw, &f->raw_cap, raw_len ? raw_len : 1);
	if (err)
		return err;
	if (comp == KCAPF_COMP_NONE) {
		if (dlen != raw_len)
			return ferr(h, EBADMSG, off, "event batch: %zu stored bytes, %u expected",
				    dlen, raw_len);
		memcpy(f->raw, data, dlen);
	} else if (comp == KCAPF_COMP_ZSTD) {
		n = ZSTD_decompressDCtx(f->dctx, f->raw, raw_len, data, dlen);
		if (ZSTD_isError(n))
			return ferr(h, EBADMSG, off, "event batch: zstd: %s", ZSTD_getErrorName(n));
		if (n != raw_len)
			return ferr(h, EBADMSG, off, "event batch: %zu bytes after decompression, %u expected",
				    n, raw_len);
	} else {
		return ferr(h, EBADMSG, off, "event batch: unknown compression %u", comp);
	}
	f->raw_len = raw_len;
	f->raw_pos = 0;
	f->batch_off = off;
	return 0;
}

/*
 * After the closing block comes the 16-byte trailer and nothing else; more
 * (two captures concatenated, appended garbage) is flagged, not read.
 */
static void check_trailing(struct kcap *h)
{
	struct kcap_file *f = to_file(h);
	unsigned char t[KCAPF_TRAILER_LEN + 1];

	if (f->stream) {
		if (stream_read(h, t, sizeof(t), f->off) > KCAPF_TRAILER_LEN)
			f->info.flags |= KCAP_FILE_TRAILING;
		return;
	}
	if (f->size > f->off + KCAPF_TRAILER_LEN)
		f->info.flags |= KCAP_FILE_TRAILING;
}

/* The next block with events; 0 with raw_len set, -ENODATA at the end.
 * Not inlined: file_next()'s per-event path stays a leaf without a frame. */
static __attribute__((noinline)) int next_batch(struct kcap *h)
{
	struct kcap_file *f = to_file(h);
	__u32 type, len;
	bool skip;
	int r;

	while (!f->eof) {
		__u64 off = f->off;

		r = read_block(h, off, &type, &len);
		if (r <= 0)
			return r ? r : -ENODATA;
		f->off += KCAPF_BLOCK_HDR_LEN + f->disk_len;
		if (type == KCAPF_BLK_BATCH) {
			r = load_batch(h, off, len, &skip);
			if (r)
				return r;
			if (!skip)
				return 0;
			continue;
		}
		r = parse_meta(h, type, off, len);
		if (r)
			return r;
		if (type == KCAPF_BLK_END) {
			f->info.flags |= KCAP_FILE_CLOSED;
			f->info.end_offset = f->off;
			f->eof = true;
			check_trailing(h);
		}
	}
	return -ENODATA;
}

/* A batch's record that kcap__record_check() refused: the error. */
static __attribute__((noinline, cold)) int bad_record(struct kcap *h, int err, const char *why)
{
	struct kcap_file *f = to_file(h);

	h->broken = ferr(h, err, f->batch_off, "event batch: event at byte %zu: %s", f->raw_pos,
			 why);
	return h->broken;
}

/* A column batch that kcapf_cols_next() refused: its error, the handle broken. */
static __attribute__((noinline, cold)) int bad_cols(struct kcap *h, int err)
{
	struct kcap_file *f = to_file(h);

	if (err == -ENOMEM)
		h->broken = kcap__err(h, ENOMEM, "out of memory");
	else
		h->broken = ferr(h, -err, f->batch_off, "event batch: %s", f->why);
	f->in_cols = false;
	return h->broken;
}

static int file_next(struct kcap *h, const struct kcap_event_hdr **ev)
{
	struct kcap_file *f = to_file(h);
	int err;

	for (;;) {
		/* a column batch: its records are well formed by construction */
		while (f->in_cols) {
			err = kcapf_cols_next(&f->cols, ev, f->why, sizeof(f->why));
			if (err == 1) {
				if (!(f->start_ns | f->end_ns))
					return 0;
				if (f->start_ns && (*ev)->ts_ns < f->start_ns)
					continue;
				if (f->end_ns && (*ev)->ts_ns > f->end_ns)
					continue;
				return 0;
			}
			if (err)
				return bad_cols(h, err);
			f->in_cols = false;
		}
		while (f->raw_pos < f->raw_len) {
			const struct kcap_event_hdr *e = (const void *)(f->raw + f->raw_pos);
			const char *why = NULL;

			err = kcap__record_check(e, f->raw_len - f->raw_pos, &why);
			if (err)
				return bad_record(h, err, why);
			f->raw_pos += KCAP_ALIGN(e->len);
			if (f->start_ns && e->ts_ns < f->start_ns)
				continue;
			if (f->end_ns && e->ts_ns > f->end_ns)
				continue;
			*ev = e;
			return 0;
		}
		f->raw_len = f->raw_pos = 0;
		err = next_batch(h);
		if (err == -ENODATA)
			return err;
		if (err) {
			h->broken = err;
			return err;
		}
	}
}

static unsigned int file_nr_cpus(const struct kcap *h)
{
	return to_file(h)->nr_cpustats;
}

static int file_cpu_stats(struct kcap *h, unsigned int cpu, struct kcap_cpu_stats *st)
{
	struct kcap_file *f = to_file(h);

	if (cpu >= f->nr_cpustats)
		return kcap__err(h, f->nr_cpustats ? EINVAL : ENODATA,
				 f->nr_cpustats ? "CPU %u: the file has counters of %u CPUs" :
						  "no final counters (CPU %u): the file was not closed cleanly%.0u",
				 cpu, f->nr_cpustats);
	*st = f->cpustats[cpu];
	return 0;
}

static void file_close(struct kcap *h)
{
	struct kcap_file *f = to_file(h);

	if (f->fd >= 0)
		close(f->fd);
	kcapf_table_free(&f->table);
	kbuf_free(&f->procs);
	kbuf_free(&f->users);
	kcap__ct_cache_free(f->cts);
	kbuf_free(&f->ctlog);
	ZSTD_freeDCtx(f->dctx);
	free(f->blk);
	free(f->zblk);
	free(f->raw);
	free(f->img);
	kcapf_cols_rd_free(&f->cols);
	free(f->index);
	free(f->cpustats);
	free(f->type_counts);
	free(f->drops);
	free(f);
}

static const struct kcap_event_desc *file_desc(const struct kcap *h, unsigned int type)
{
	const struct kcap_file *f = to_file(h);

	if (!f->have_table)
		return kcap_event_desc(type);
	if (type == 0 || type >= f->table.nr || !f->table.rows[type].name)
		return NULL;
	return &f->table.rows[type];
}

/* The aux storage is filled lazily by the formatter: a cache of the
 * table, which is why a const handle hands it out writable. */
static struct kcap__row_aux *file_row_aux(const struct kcap *h, unsigned int type)
{
	struct kcap_file *f = to_file(h);

	if (!f->have_table || type == 0 || type >= f->table.nr || !f->table.rows[type].name)
		return NULL;
	return &f->table.aux[type];
}

static int file_procs(const struct kcap *h, const void **p, size_t *len)
{
	const struct kcap_file *f = to_file(h);

	if (f->procs.oom)
		return -ENODATA;
	*p = f->procs.p;
	*len = f->procs.len;
	return 0;
}

static int file_users(const struct kcap *h, const void **p, size_t *len)
{
	const struct kcap_file *f = to_file(h);

	if (!f->have_users)
		return -ENODATA;
	*p = f->users.p;
	*len = f->users.len;
	return 0;
}

static const struct kcap_ct_meta *file_container(struct kcap *h, const char *id)
{
	struct kcap_file *f = to_file(h);

	return f->cts ? kcap__ct_cache_find(f->cts, id) : NULL;
}

static int file_ct_log(const struct kcap *h, const void **p, size_t *len)
{
	*p = to_file(h)->ctlog.p;
	*len = to_file(h)->ctlog.len;
	return 0;
}

int kcapf_file_containers(const struct kcap *h, const void **p, size_t *len)
{
	if (!h || !h->ops->ct_log)
		return -EOPNOTSUPP;
	return h->ops->ct_log(h, p, len);
}

static int file_info(struct kcap *h, struct kcap_file_info *info)
{
	*info = to_file(h)->info;
	return 0;
}

const struct kcap_source_ops kcap__file_ops = {
	.kind = "file",
	.next = file_next,
	.close = file_close,
	.nr_cpus = file_nr_cpus,
	.cpu_stats = file_cpu_stats,
	.desc = file_desc,
	.row_aux = file_row_aux,
	.procs = file_procs,
	.users = file_users,
	.container = file_container,
	.ct_log = file_ct_log,
	.info = file_info,
};

static int check_fopts(struct kcap *h, const struct kcap_file_opts *opts)
{
	if (opts && opts->sz < sizeof(size_t))
		return kcap__err(h, EINVAL, "kcap_file_opts: sz %zu is too small", opts->sz);
	if (opts && !kcap__opts_valid(opts, sizeof(*opts), opts->sz))
		return kcap__err(h, EINVAL, "kcap_file_opts: unknown non-zero fields");
	return 0;
}

struct kcap *kcap_open_file_fd(int fd, const char *name, const struct kcap_file_opts *opts)
{
	char *errbuf = OPTS_GET(opts, errbuf, NULL);
	size_t errbuf_sz = OPTS_GET(opts, errbuf_sz, 0);
	struct kcap_file *f = calloc(1, sizeof(*f));
	struct kcap *h;
	struct stat sb;
	int err;

	if (!f) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	h = &f->h;
	kcap__init(h, &kcap__file_ops);
	f->fd = fd;
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->start_ns = OPTS_GET(opts, start_ns, 0);
	f->end_ns = OPTS_GET(opts, end_ns, 0);
	f->dctx = ZSTD_createDCtx();
	err = check_fopts(h, opts);
	if (!err && !f->dctx)
		err = kcap__err(h, ENOMEM, "out of memory");
	if (!err && fstat(fd, &sb))
		err = kcap__err(h, errno, "%s: %s", name, strerror(errno));
	if (!err && S_ISDIR(sb.st_mode))
		err = kcap__err(h, EISDIR, "%s: is a directory", name);
	else if (!err && !S_ISREG(sb.st_mode) && !S_ISFIFO(sb.st_mode) && !S_ISSOCK(sb.st_mode) &&
		 !S_ISCHR(sb.st_mode))
		err = kcap__err(h, EINVAL, "%s: not a file, pipe or socket", name);
	if (!err) {
		f->stream = !S_ISREG(sb.st_mode);
		if (f->stream)
			f->info.flags |= KCAP_FILE_STREAM;
		f->size = f->stream ? ~0ULL : (__u64)sb.st_size;
		f->info.file_bytes = f->stream ? 0 : f->size;
		err = parse_header(h);
	}
	if (!err) {
		load_trailer(h);
		err = read_front(h);
	}
	if (!err)
		return h;
	if (errbuf && errbuf_sz)
		snprintf(errbuf, errbuf_sz, "%s", h->errmsg);
	kcap_close(h);
	errno = -err;
	return NULL;
}

struct kcap *kcap_open_file(const char *path, const struct kcap_file_opts *opts)
{
	char *errbuf = OPTS_GET(opts, errbuf, NULL);
	size_t errbuf_sz = OPTS_GET(opts, errbuf_sz, 0);
	int fd, err;

	if (!path) {
		errno = EINVAL;
		return NULL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		if (errbuf && errbuf_sz)
			snprintf(errbuf, errbuf_sz, "%s: %s", path, strerror(err));
		errno = err;
		return NULL;
	}
	return kcap_open_file_fd(fd, path, opts);
}


int kcap_file_type_counts(struct kcap *h, __u64 *counts, unsigned int n)
{
	unsigned int t;

	if (!h || !counts)
		return -EINVAL;
	if (!kcap__is(h, &kcap__file_ops))
		return kcap__err(h, EINVAL, "not a capture file handle");
	if (!to_file(h)->type_counts)
		return kcap__err(h, ENODATA, "%s: no closing block: the file was not closed cleanly",
				 to_file(h)->name);
	for (t = 0; t < n; t++)
		counts[t] = t < KCAPF_MAX_TYPES ? to_file(h)->type_counts[t] : 0;
	return 0;
}

int kcap_file_drops(struct kcap *h, const struct kcap_file_drop **drops, size_t *n)
{
	if (!h || !drops || !n)
		return -EINVAL;
	if (!kcap__is(h, &kcap__file_ops))
		return kcap__err(h, EINVAL, "not a capture file handle");
	*drops = to_file(h)->drops;
	*n = to_file(h)->nr_drops;
	return 0;
}

int kcap__file_fd(const struct kcap *h)
{
	return kcap__is(h, &kcap__file_ops) ? to_file(h)->fd : -1;
}

const struct kcap_table *kcapf_handle_table(const struct kcap *h)
{
	return kcap__is(h, &kcap__file_ops) && to_file(h)->have_table ? &to_file(h)->table : NULL;
}
