// SPDX-License-Identifier: Apache-2.0
/*
 * The .kcap capture file format, as written by writer.c and read by file.c.
 * docs/capture-format.md describes every byte; keep the two in step.
 *
 *   file header (32 bytes)
 *   block*                 16-byte block header + payload
 *   trailer (16 bytes)     only after a closing (END) block
 *
 * All numbers are little-endian; strings are a __u16 length and the bytes
 * (no NUL). A block's payload may grow at its end in a later minor format
 * version: readers ignore bytes after the fields they know.
 */
#ifndef KCAP_FILE_FORMAT_H
#define KCAP_FILE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "source.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the capture file code assumes a little-endian host"
#endif

#define KCAPF_MAGIC "KCAP\r\n\x1a\n" /* 8 bytes; catches text-mode mangling */
#define KCAPF_MAGIC_LEN 8
#define KCAPF_TRAILER_MAGIC "KCAPEND\n"
#define KCAPF_VERSION_MAJOR 1
#define KCAPF_VERSION_MINOR 4
#define KCAPF_BYTE_ORDER 0x01020304u
#define KCAPF_HEADER_LEN 32
#define KCAPF_BLOCK_HDR_LEN 16
#define KCAPF_TRAILER_LEN 16

/* Block types. Readers skip types they do not know. */
enum kcapf_block_type {
	KCAPF_BLK_MACHINE = 1,
	KCAPF_BLK_EVENT_TABLE = 2,
	KCAPF_BLK_PROCS = 3,
	KCAPF_BLK_BATCH = 4,
	KCAPF_BLK_DROPS = 5,
	KCAPF_BLK_END = 6,
	KCAPF_BLK_USERS = 7, /* format 1.1 */
	KCAPF_BLK_CONTAINERS = 8, /* format 1.2 */
	KCAPF_BLK_ZMETA = 9, /* format 1.4: a metadata block, zstd-compressed */
};

/*
 * ZMETA payload: u32 type of the block it holds (EVENT_TABLE, PROCS, USERS
 * or CONTAINERS), u32 that block's payload length, then one zstd frame of
 * that payload. A reader unwraps it where it stands and reads the inner
 * block as if it were written plain. A writer wraps a metadata block of at
 * least KCAPF_ZMETA_MIN bytes when that makes it smaller.
 */
#define KCAPF_ZMETA_HDR_LEN 8
#define KCAPF_ZMETA_MIN 128

/* BATCH compression. */
#define KCAPF_COMP_NONE 0
#define KCAPF_COMP_ZSTD 1
#define KCAPF_COMP_ZSTD_COLS 2 /* format 1.3: columns (file_cols.c), then zstd */

/* Limits every reader enforces; a writer never exceeds them. */
#define KCAPF_MAX_BLOCK (32u << 20) /* payload bytes of one block */
#define KCAPF_MAX_BATCH_RAW (16u << 20) /* uncompressed bytes of one batch */
#define KCAPF_MAX_TYPES 4096 /* event type numbers below this */
#define KCAPF_MAX_STR 4096 /* bytes of one string */
#define KCAPF_MAX_DROPS (1u << 20) /* drop records kept in memory */
#define KCAPF_MAX_NAMES (1u << 20) /* users, and groups, in a USERS block */
#define KCAPF_MAX_CT_RECORDS 4096 /* container records in one CONTAINERS block */
#define KCAPF_MAX_CONTAINERS 4096 /* containers a reader or writer keeps (LRU) */
#define KCAPF_MAX_CT_LOG (64u << 20) /* CONTAINERS payload bytes a reader keeps for a copy */

/* Writer defaults. */
#define KCAPF_BATCH_TARGET (1u << 20) /* raw bytes before a batch is flushed */
#define KCAPF_PROCS_TARGET (1u << 20) /* payload bytes of one PROCS block */
#define KCAPF_BATCH_HDR_LEN 32
#define KCAPF_INDEX_ENTRY_LEN 32
#define KCAPF_CPUSTATS_LEN 88
#define KCAPF_DROP_LEN 24

/* ---- Encoding ------------------------------------------------------------- */

/* A growing output buffer; an allocation failure is sticky in @oom. */
struct kbuf {
	unsigned char *p;
	size_t len;
	size_t cap;
	bool oom;
};

KCAP_HIDDEN bool kbuf_reserve(struct kbuf *b, size_t more);
KCAP_HIDDEN void kbuf_put(struct kbuf *b, const void *p, size_t len);
KCAP_HIDDEN void kbuf_u16(struct kbuf *b, __u16 v);
KCAP_HIDDEN void kbuf_u32(struct kbuf *b, __u32 v);
KCAP_HIDDEN void kbuf_u64(struct kbuf *b, __u64 v);
/* A string cut to KCAPF_MAX_STR bytes; NULL is the empty string. */
KCAP_HIDDEN void kbuf_str(struct kbuf *b, const char *s);
KCAP_HIDDEN void kbuf_strn(struct kbuf *b, const void *s, size_t len);
KCAP_HIDDEN void kbuf_free(struct kbuf *b);

/* ---- Decoding ------------------------------------------------------------- */

/* A bounds-checked cursor over a payload; any overrun sets @bad. */
struct kparse {
	const unsigned char *p;
	size_t len;
	size_t pos;
	bool bad;
};

KCAP_HIDDEN const void *kp_bytes(struct kparse *k, size_t len);
KCAP_HIDDEN __u16 kp_u16(struct kparse *k);
KCAP_HIDDEN __u32 kp_u32(struct kparse *k);
KCAP_HIDDEN __u64 kp_u64(struct kparse *k);
/* A string into @buf (NUL-terminated, cut to @bufsz - 1); false if bad. */
KCAP_HIDDEN bool kp_str(struct kparse *k, char *buf, size_t bufsz);
/* A string's bytes, not copied; NULL if bad. */
KCAP_HIDDEN const char *kp_strp(struct kparse *k, __u16 *len);

/* CRC-32 (zlib's, ISO-HDLC polynomial) of @len bytes. */
KCAP_HIDDEN __u32 kcapf_crc(const void *p, size_t len);

/* Encodes a block header for @type and @payload into @hdr. */
KCAP_HIDDEN void kcapf_block_hdr(unsigned char hdr[KCAPF_BLOCK_HDR_LEN], __u32 type,
				 const void *payload, __u32 len);

/* ---- Column encoding of a batch (file_cols.c, format 1.3) ----------------- */

/* The data of a KCAPF_COMP_ZSTD_COLS batch: u32 image length, u32 reserved,
 * then one zstd frame of the image: KCAPF_COLS_NR u32 stream lengths, then
 * the streams in this order. */
#define KCAPF_COLS_PREFIX 8
#define KCAPF_COLS_NR 8
#define KCAPF_COLS_HDR_LEN (4 * KCAPF_COLS_NR)
#define KCAPF_COLS_LENS 6 /* the parameter-length stream; DATA is 7 */
#define KCAPF_COLS_REFS 4096 /* event types below this have a reference */
#define KCAPF_COLS_KEEP (8u << 20) /* a reader's buffers kept between batches */

/* The largest image of a batch of @raw_len bytes (a reader's limit). */
KCAP_HIDDEN size_t kcapf_cols_bound(size_t raw_len);
/* Scratch bytes kcapf_cols_encode() needs for @nev events of @raw_len. */
static inline size_t kcapf_cols_scratch(size_t raw_len, size_t nev)
{
	return KCAPF_COLS_HDR_LEN + 37 * nev + 3 * (raw_len / 2) + raw_len;
}
/*
 * Encodes the @nev raw records of @raw (@raw_len bytes, as a batch holds
 * them) into @out (@cap >= kcapf_cols_scratch()); @first is the batch's
 * first timestamp, @refs scratch of KCAPF_COLS_REFS entries. 0 with
 * *out_len set, or -EINVAL if a record is not well formed (lengths that do
 * not add up, padding that is not zero): the batch is then stored plain.
 */
KCAP_HIDDEN int kcapf_cols_encode(const void *raw, size_t raw_len, __u32 nev, __u64 first,
				  unsigned char *out, size_t cap, size_t *out_len, __u32 *refs);
/*
 * Reading a column batch one event at a time (file_read.c): no batch of raw
 * records is built. An event of type T is rebuilt in one of two buffers
 * kept for T (the previous event of T, its reference, in the other); an
 * event that repeats the previous one of its type is that buffer with the
 * new header fields written over it, not a copy. The event handed out
 * stays valid until the next call.
 */
struct kcapf_cols_slot {
	unsigned char *buf[2];
	__u32 cap[2];
	__u32 gen; /* the batch whose event of this type buf[cur] holds */
	unsigned int cur;
};

/* A bounds-checked stream of the image. */
struct kcapf_col {
	const unsigned char *p; /* next byte */
	const unsigned char *end;
};

struct kcapf_cols_rd {
	struct kcapf_col c[KCAPF_COLS_NR];
	__u64 pts;
	__u32 ptid;
	__u32 n, nev; /* events rebuilt, events in the batch */
	size_t pos, raw_len; /* raw bytes of the events so far, of the batch */
	__u32 gen; /* batch number, from 1 */
	struct kcapf_cols_slot *slots; /* by type: the types seen, grown on use */
	unsigned int nslots;
	size_t mem; /* bytes in the slots' buffers */
	unsigned char *tmp; /* types without a reference */
	size_t tmp_cap;
};

/* Starts on a batch's image of @nev events, @raw_len raw bytes, first
 * timestamp @first; 0, or -EBADMSG with one sentence in @why. */
KCAP_HIDDEN int kcapf_cols_begin(struct kcapf_cols_rd *r, const void *img, size_t img_len,
				 __u32 nev, __u64 first, size_t raw_len, char *why, size_t whylen);
/*
 * The next event: 1 with *ev set, 0 after the last one (the image and the
 * raw length checked to end there), -EBADMSG with one sentence in @why,
 * -ENOMEM. Never reads outside the image. kcapf_cols_next() takes the
 * usual event inline (one that repeats the previous event of its type)
 * and hands every other case to kcapf_cols_next_slow().
 */
KCAP_HIDDEN int kcapf_cols_next_slow(struct kcapf_cols_rd *r, const struct kcap_event_hdr **ev,
				     char *why, size_t whylen);

/* A LEB128 value of one to three bytes; false (the slow path decides) if
 * it runs past the stream or is longer. */
static inline __attribute__((always_inline)) bool kcapf_varint3(const unsigned char **pp,
								const unsigned char *end,
								__u64 *v)
{
	const unsigned char *p = *pp;

	if (p < end && p[0] < 0x80) {
		*v = p[0];
		*pp = p + 1;
		return true;
	}
	if (p + 1 < end && p[1] < 0x80) {
		*v = (__u64)(p[0] & 0x7f) | (__u64)p[1] << 7;
		*pp = p + 2;
		return true;
	}
	if (p + 2 < end && p[2] < 0x80 && (p[1] & 0x80)) {
		*v = (__u64)(p[0] & 0x7f) | (__u64)(p[1] & 0x7f) << 7 | (__u64)p[2] << 14;
		*pp = p + 3;
		return true;
	}
	return false;
}

static inline int kcapf_cols_next(struct kcapf_cols_rd *r, const struct kcap_event_hdr **ev,
				  char *why, size_t whylen)
{
	const unsigned char *p0, *p1, *p2, *p3, *p4, *p5 = r->c[5].p;
	struct kcapf_cols_slot *s;
	struct kcap_event_hdr *e;
	__u64 dt, type, dtid, dpid, cpu;
	size_t len;
	__u32 tid;

	/* a repeat's parameter count is 0: anything else goes the slow way
	 * before its header columns are read */
	if (p5 >= r->c[5].end || *p5 != 0 || r->n == r->nev)
		return kcapf_cols_next_slow(r, ev, why, whylen);
	p0 = r->c[0].p;
	p1 = r->c[1].p;
	p2 = r->c[2].p;
	p3 = r->c[3].p;
	p4 = r->c[4].p;
	if (!kcapf_varint3(&p0, r->c[0].end, &dt) || !kcapf_varint3(&p1, r->c[1].end, &type) ||
	    type >= r->nslots || !kcapf_varint3(&p2, r->c[2].end, &dtid) || dtid > 0xffffffffu ||
	    !kcapf_varint3(&p3, r->c[3].end, &dpid) || dpid > 0xffffffffu ||
	    !kcapf_varint3(&p4, r->c[4].end, &cpu) || cpu > 0xffff)
		return kcapf_cols_next_slow(r, ev, why, whylen);
	s = &r->slots[type];
	if (s->gen != r->gen)
		return kcapf_cols_next_slow(r, ev, why, whylen);
	e = (struct kcap_event_hdr *)s->buf[s->cur];
	len = KCAP_ALIGN(e->len);
	/* r->pos may pass r->raw_len here (nothing is written there): the
	 * slow path and the batch's end report it */
	/* the reference itself, this event's header fields over it (zigzag
	 * deltas: time from the previous event, tid from the previous
	 * event's, pid from the tid) */
	r->pts += (__u64)((__s64)(dt >> 1) ^ -(__s64)(dt & 1));
	tid = r->ptid + ((__u32)(dtid >> 1) ^ -(__u32)(dtid & 1));
	r->ptid = tid;
	e->ts_ns = r->pts;
	e->tid = tid;
	e->pid = tid + ((__u32)(dpid >> 1) ^ -(__u32)(dpid & 1));
	e->cpu = (__u16)cpu;
	r->c[0].p = p0;
	r->c[1].p = p1;
	r->c[2].p = p2;
	r->c[3].p = p3;
	r->c[4].p = p4;
	r->c[5].p = p5 + 1;
	r->pos += len;
	r->n++;
	*ev = e;
	return 1;
}

KCAP_HIDDEN void kcapf_cols_rd_free(struct kcapf_cols_rd *r);

/*
 * Rebuilds the @nev raw records (exactly @raw_len bytes) from an image into
 * @raw with a reader @r (zeroed before its first use, freed by the caller);
 * 0, or -EBADMSG with one sentence in @why, -ENOMEM. Never reads or writes
 * outside @img and @raw.
 */
KCAP_HIDDEN int kcapf_cols_decode(struct kcapf_cols_rd *r, const void *img, size_t img_len,
				  __u32 nev, __u64 first, unsigned char *raw, size_t raw_len,
				  char *why, size_t whylen);

/* ---- Event tables (table.c) ------------------------------------------------ */

/* An event table read from a file: rows indexed by type, strings owned. */
struct kcap_table {
	struct kcap_event_desc *rows;
	unsigned int nr; /* rows[0 .. nr - 1]; a row without name is unused */
	struct kcap__row_aux *aux; /* nr of them, the formatter's (capture.h) */
	char *strings;
	__u16 abi_major;
	__u16 abi_minor;
};

/* Serializes the table @h decodes with (the built-in one for NULL). */
KCAP_HIDDEN void kcapf_table_encode(const struct kcap *h, struct kbuf *b);
/* Parses an EVENT_TABLE payload; 0 or -EBADMSG with a reason in *why. */
KCAP_HIDDEN int kcapf_table_decode(struct kcap_table *t, const void *p, size_t len,
				   const char **why);
KCAP_HIDDEN void kcapf_table_free(struct kcap_table *t);
/* The table of a file handle, NULL for live handles (file.c). */
KCAP_HIDDEN const struct kcap_table *kcapf_handle_table(const struct kcap *h);

/* ---- Process snapshot (procs.c) --------------------------------------------- */

/*
 * Reads every thread of /proc (@proc_root, "/proc" normally) and its open
 * descriptors; calls @emit with each encoded PROCS payload of about
 * KCAPF_PROCS_TARGET bytes. Unreadable entries (a thread that exits, a
 * process of another user) are kept with empty fields.
 */
KCAP_HIDDEN int kcapf_procs_snapshot(const char *proc_root,
				     int (*emit)(void *ctx, const void *p, size_t len), void *ctx);

/* ---- User and group names (file_users.c) ------------------------------------ */

/* A USERS payload from a passwd and a group file (NULL: /etc/passwd,
 * /etc/group; a missing file is an empty table). 0 or -errno. */
KCAP_HIDDEN int kcapf_users_encode(struct kbuf *b, const char *passwd, const char *group);
/*
 * Checks a USERS payload and calls @fn (if non-NULL) for each name, users
 * first (@group false); @name is not NUL-terminated. The counts go to
 * @nr_users and @nr_groups (if non-NULL). 0 or -EBADMSG.
 */
KCAP_HIDDEN int kcapf_users_foreach(const void *p, size_t len,
				    void (*fn)(void *ctx, bool group, __u32 id, const char *name,
					       size_t n),
				    void *ctx, __u32 *nr_users, __u32 *nr_groups);

/* ---- Container table (file_containers.c) ------------------------------------ */

struct kcap_ct_meta;

/* Appends one CONTAINERS record (u32 length, then the fields) for @m. */
KCAP_HIDDEN void kcapf_ct_encode(struct kbuf *b, const struct kcap_ct_meta *m);
/*
 * Checks a CONTAINERS payload and calls @fn (if non-NULL) with each record
 * decoded into a scratch struct kcap_ct_meta that @fn may take (its mounts
 * with it: kcap__ct_cache_insert()) or leave, and with the record's bytes
 * (its u32 length included). 0, or -EBADMSG with one sentence in @why, or
 * @fn's negative return.
 */
KCAP_HIDDEN int kcapf_ct_foreach(const void *p, size_t len,
				 int (*fn)(void *ctx, struct kcap_ct_meta *m, const void *rec,
					   size_t reclen),
				 void *ctx, char *why, size_t whylen);
/* The CONTAINERS payloads a source took in so far (a file's read so far,
 * a NATS stream's from its snapshot and containers messages), each after
 * its u32 length (ops->ct_log); -EOPNOTSUPP for other sources. */
KCAP_HIDDEN int kcapf_file_containers(const struct kcap *h, const void **p, size_t *len);

/*
 * A container table: the latest record of each container id (at most
 * KCAPF_MAX_CONTAINERS, the least recently changed dropped first), and in
 * @pending the records new or changed since its holder last emptied it.
 * A writer's (file_write.c: the CONTAINERS block before the next batch,
 * the whole table again in each rotated file) and a fleet publisher's
 * (fleet/cttable.h: containers messages, the table in each snapshot).
 * All zeroes: empty.
 */
struct kcapf_ct {
	char *id;
	unsigned char *rec; /* the record, its u32 length first */
	size_t len;
	__u64 seq; /* when it last changed */
};

struct kcapf_cts {
	struct kcapf_ct *e; /* room for KCAPF_MAX_CONTAINERS once one is in */
	unsigned int n;
	__u64 seq;
	size_t log_off;	     /* source payload bytes taken so far (kcapf_cts_take()) */
	struct kbuf pending; /* records new or changed, each after its u32 length */
	unsigned int nr_pending;
};

/*
 * Container @m's record (kcapf_ct_encode()) into @t, and into @t->pending
 * unless @t holds it as it is. 0 or -ENOMEM (the container then leaves
 * @t; @t->pending may have its oom set).
 */
KCAP_HIDDEN int kcapf_cts_put(struct kcapf_cts *t, const struct kcap_ct_meta *m);
/*
 * The records of the payloads of @log (@len bytes, each after its u32
 * length, as kcapf_file_containers() gives them) past @t->log_off into @t
 * as kcapf_cts_put() puts one; @t->log_off moves past each payload taken
 * whole (not past one cut short at the end). 0, or -ENOMEM or -EBADMSG with
 * one sentence in @why.
 */
KCAP_HIDDEN int kcapf_cts_take(struct kcapf_cts *t, const void *log, size_t len, char *why,
			       size_t whylen);
/* Frees what @t holds and empties it. */
KCAP_HIDDEN void kcapf_cts_free(struct kcapf_cts *t);

#endif /* KCAP_FILE_FORMAT_H */
