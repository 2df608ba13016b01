// SPDX-License-Identifier: Apache-2.0
/*
 * libkcap internals shared by the library's files and its unit tests.
 * Nothing here is exported from libkcap.so.
 */
#ifndef KCAP_INTERNAL_H
#define KCAP_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>

#include "kcap.h"

#define KCAP_HIDDEN __attribute__((visibility("hidden")))

#define KCAP_ERRMSG_LEN 256

/* One ring as the reader sees it. */
struct kcap_ring {
	struct kcap_ring_cons *cons;
	const struct kcap_ring_prod *prod;
	const unsigned char *data; /* data_size bytes, mapped twice */
	__u64 size;
	__u64 head; /* producer head at the last snapshot */
	__u64 tail; /* next record to read (local, not yet published) */
	__u64 published; /* last value stored to cons->tail */
	bool present; /* false: the CPU is not possible, nothing mapped */
	/* live mappings, for munmap() */
	void *cons_map;
	void *prod_map;
	size_t prod_map_len;
};

struct kcap {
	int fd; /* -1 for rings in memory */
	char device[128];
	struct kcap_version version;
	struct kcap_ring *rings;
	unsigned int nr_rings;
	__u32 rings_gen; /* producer pages' rings_gen when rings were last mapped */
	__u64 ring_size; /* data bytes per live ring */
	unsigned int page_size;
	__u64 holdback_ns; /* 0: none */
	int poll_timeout_ms; /* < 0: never wait */
	bool capturing;
	bool stopped; /* kcap_stop() was called: drain then -ENODATA */
	bool draining; /* the current head snapshot was taken after stop */
	__u64 limit_ns; /* deliver events with ts_ns <= limit_ns */
	/* the event handed out by kcap_next(), released at the next call */
	struct kcap_ring *out_ring;
	__u32 out_len;
	int broken; /* sticky error after a malformed record */
	char errmsg[KCAP_ERRMSG_LEN];
	struct kcap_file *file; /* a capture file being read (file.c), else NULL */
};

/* A ring in memory, laid out like the driver's (see kcap_abi.h). */
struct kcap_mem_ring {
	struct kcap_ring_cons *cons;
	const struct kcap_ring_prod *prod;
	const void *data; /* size bytes, followed by the same bytes again */
	__u64 size;
};

/* Maps the rings the driver added since the start (live.c). */
KCAP_HIDDEN int kcap__live_map_new(struct kcap *h);

/*
 * kcap__open_mem() - a reader over rings in memory, for unit tests: the same
 * merge and validation code as a live handle, no device. kcap_stop() marks
 * the capture stopped; waits never block.
 */
KCAP_HIDDEN struct kcap *kcap__open_mem(const struct kcap_mem_ring *rings, unsigned int nr,
					const struct kcap_open_opts *opts);

/* Options: true if the caller's struct is usable (unknown tail bytes zero). */
KCAP_HIDDEN bool kcap__opts_valid(const void *opts, size_t known_sz, size_t user_sz);

KCAP_HIDDEN int kcap__err(struct kcap *h, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

KCAP_HIDDEN struct kcap *kcap__alloc(void);
KCAP_HIDDEN int kcap__apply_reader_opts(struct kcap *h, const struct kcap_open_opts *opts);

/* Validates the record at @r's tail against the head snapshot. */
KCAP_HIDDEN int kcap__ring_peek(struct kcap *h, struct kcap_ring *r,
				const struct kcap_event_hdr **ev);

/* Checks a record's lengths; returns 0 or -EBADMSG with a reason in @why. */
KCAP_HIDDEN int kcap__record_check(const struct kcap_event_hdr *ev, __u64 avail,
				   const char **why);

/* Capture files (file.c): kcap_next(), kcap_cpu_stats() and kcap_close()
 * hand over to these when h->file is set. */
struct kcap_file;
KCAP_HIDDEN int kcap__file_next(struct kcap *h, const struct kcap_event_hdr **ev);
KCAP_HIDDEN int kcap__file_cpu_stats(struct kcap *h, unsigned int cpu, struct kcap_cpu_stats *st);
KCAP_HIDDEN void kcap__file_free(struct kcap_file *f);
/* kcap_open_file() on an open descriptor (tests, fuzzing); takes @fd. */
KCAP_HIDDEN struct kcap *kcap__open_file_fd(int fd, const char *name,
					    const struct kcap_file_opts *opts);

/* The event table row of @type as @h decodes it (file.c). */
KCAP_HIDDEN const struct kcap_event_desc *kcap__desc(const struct kcap *h, unsigned int type);

#define OPTS_HAS(opts, field)                                                        \
	((opts) && (opts)->sz >= offsetof(__typeof__(*(opts)), field) + sizeof((opts)->field))
#define OPTS_GET(opts, field, fallback) (OPTS_HAS(opts, field) ? (opts)->field : (fallback))

#endif /* KCAP_INTERNAL_H */
