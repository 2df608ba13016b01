// SPDX-License-Identifier: Apache-2.0
/*
 * libkcap export: events, drop notices and rule alerts as kcap.v1 protobuf
 * messages (proto/kcap/v1/) or their JSON form, to a file, stdout, a
 * loopback TCP listener or a unix socket. Installed as <kcap/kcap_export.h>;
 * same conventions as kcap.h.
 *
 *	KCAP_OPTS(kcap_export_opts, o, .format = KCAP_EXPORT_PB, .source = h);
 *	struct kcap_exporter *x = kcap_exporter_open(&o);
 *	while (kcap_next(h, &ev) == 0)
 *		kcap_exporter_event(x, h, ev);
 *	kcap_exporter_flush(x, 1000);
 *	kcap_exporter_close(x);
 *
 * Stream format: every message is a kcap.v1.Event. The first one (and the
 * first one each new listener client gets) carries a StreamHeader; drop
 * notices and alerts are Events too. "pb": each message preceded by its
 * length as a varint (protobuf's delimited format; on a seqpacket socket
 * one message per packet, no length). "json": one JSON object per line
 * (per packet on seqpacket), the proto3 JSON mapping of Event, except
 * alerts, written in Falco's JSON alert format.
 *
 * Back-pressure: output is non-blocking behind a bounded buffer. When the
 * consumer is slower than the events, whole messages are dropped, counted,
 * and reported in the stream by a DropNotice as soon as there is room, so
 * the ring reader never waits on the consumer (unless KCAP_EXPORT_BLOCK).
 */
#ifndef KCAP_KCAP_EXPORT_H
#define KCAP_KCAP_EXPORT_H

#include "kcap.h"
#include "kcap_detect.h"

#ifdef __cplusplus
extern "C" {
#endif

struct kcap_exporter;

enum kcap_export_format {
	KCAP_EXPORT_PB = 0, /* varint length-delimited kcap.v1.Event */
	KCAP_EXPORT_JSON = 1, /* one JSON object per line */
};

/* kcap_export_opts.flags */
#define KCAP_EXPORT_BLOCK 0x1 /* never drop: wait for the consumer (capture files) */
#define KCAP_EXPORT_NO_PROCESS 0x2 /* leave Event.process and .container empty */

#define KCAP_EXPORT_DEFAULT_BUFFER (8ULL << 20)

struct kcap_export_opts {
	/* size of this struct, for forward/backward compatibility */
	size_t sz;
	enum kcap_export_format format;
	/* KCAP_EXPORT_* */
	__u32 flags;
	/* a file to create (truncated); NULL or "-": standard output */
	const char *path;
	/*
	 * listen instead, one client at a time (a new client gets the stream
	 * from a StreamHeader on; messages that arrive while nobody is
	 * connected wait in the buffer): "tcp:HOST:PORT" (HOST a loopback
	 * address: the stream is not authenticated; PORT 0 picks one, see
	 * kcap_exporter_address()), "unix:PATH" (stream socket) or
	 * "unixpacket:PATH" (SOCK_SEQPACKET, one message per packet)
	 */
	const char *listen;
	/* if > 0 (and neither path nor listen is set), write to this open
	 * descriptor; it is not closed */
	int fd;
	/* bytes of output buffered before messages are dropped; 0: 8 MiB */
	__u64 buffer_bytes;
	/* where the events come from (machine info for the StreamHeader, the
	 * wall clock offset): a live or capture file handle; NULL: this machine */
	struct kcap *source;
	/* if non-NULL, receives the error message when kcap_exporter_open() fails */
	char *errbuf;
	size_t errbuf_sz;
	/*
	 * thread state (<kcap/kcap_detect.h>) to fill Event.process and
	 * Event.container of every event from; the caller keeps it current
	 * with kcap_state_update() before each kcap_exporter_event(). NULL:
	 * only what an event carries itself (exec: the new image; fork and
	 * exit: the comm)
	 */
	struct kcap_state *state;
	size_t : 0;
};
#define kcap_export_opts__last_field state

/*
 * kcap_exporter_open() - open the output (create the file, or bind and
 * listen) and queue the StreamHeader. Returns NULL with errno set (EINVAL
 * bad options, EADDRINUSE, EACCES, ...) and the reason in opts->errbuf.
 * @opts may be NULL: protobuf frames to standard output, this machine's
 * clock and the built-in event table, no thread table.
 */
KCAP_API struct kcap_exporter *kcap_exporter_open(const struct kcap_export_opts *opts);

/*
 * kcap_exporter_event() - queue @ev (read from @h) as one message and write
 * what the output takes without waiting. Returns 0 (also when the message
 * was dropped for back-pressure: see kcap_exporter_stats()), -EBADMSG for a
 * malformed record, -EPIPE when a file or stdout consumer went away, or
 * another negative errno on a write error.
 */
KCAP_API int kcap_exporter_event(struct kcap_exporter *x, struct kcap *h,
				 const struct kcap_event_hdr *ev);

/*
 * Alerts are struct kcap_alert of <kcap/kcap_detect.h>, as kcap_rules_eval()
 * hands them out. kcap_export_alert is its earlier name, kept so that code
 * written against it builds unchanged.
 */
#define kcap_export_alert kcap_alert
#define kcap_export_alert__last_field kcap_alert__last_field

/*
 * kcap_exporter_alert() - queue an alert (straight from a kcap_rules_eval()
 * callback, or filled by hand); like kcap_exporter_event().
 */
KCAP_API int kcap_exporter_alert(struct kcap_exporter *x, const struct kcap_alert *a);

/*
 * kcap_exporter_poll() - write what is queued, accept a listener client;
 * waits up to @timeout_ms (0: not at all, -1: no limit) for the output to
 * take more. Call it when the event source is idle. 0 or a negative errno.
 */
KCAP_API int kcap_exporter_poll(struct kcap_exporter *x, int timeout_ms);

/*
 * kcap_exporter_flush() - write everything queued, waiting up to
 * @timeout_ms in total (-1: no limit). 0, or -ETIMEDOUT with data left.
 */
KCAP_API int kcap_exporter_flush(struct kcap_exporter *x, int timeout_ms);

struct kcap_export_stats {
	__u64 messages; /* queued: events, alerts, drop notices (not headers) */
	__u64 dropped; /* dropped for back-pressure */
	__u64 drop_notices; /* DropNotice messages queued */
	__u64 written; /* messages completely written */
	__u64 bytes; /* bytes written */
	__u64 queued_bytes; /* waiting now */
	__u64 max_queued_bytes; /* the most ever waiting */
	__u64 clients; /* listener clients accepted */
	__u64 lost_partial; /* messages cut by a client going away */
};

/* kcap_exporter_stats() - counters; @sz: sizeof(*st) as the caller knows it. */
KCAP_API int kcap_exporter_stats(const struct kcap_exporter *x, struct kcap_export_stats *st,
				 size_t sz);

/* kcap_exporter_address() - the listener's address ("127.0.0.1:40321",
 * "/run/kcap.sock"), "" without one. */
KCAP_API const char *kcap_exporter_address(const struct kcap_exporter *x);

/* kcap_exporter_errmsg() - one sentence about the last failure ("" if none). */
KCAP_API const char *kcap_exporter_errmsg(const struct kcap_exporter *x);

/* kcap_exporter_close() - close the output (nothing more is written: call
 * kcap_exporter_flush() first) and free @x. */
KCAP_API void kcap_exporter_close(struct kcap_exporter *x);

/*
 * Encoders, without an exporter: one message into @buf (no length prefix,
 * no newline). They return the full length like snprintf() (the output is
 * complete only if it is < @len for JSON, <= @len for protobuf), or a
 * negative errno. @h gives the wall clock offset and event table; NULL:
 * this machine, the built-in table.
 */
KCAP_API int kcap_event_to_pb(struct kcap *h, const struct kcap_event_hdr *ev, void *buf,
			      size_t len);
KCAP_API int kcap_event_to_json(struct kcap *h, const struct kcap_event_hdr *ev, char *buf,
				size_t len);
/* An alert in Falco's JSON alert format: hostname, output (Falco's text
 * line: "HH:MM:SS.nnnnnnnnn: Priority " in local time, then the rule's
 * output), priority, rule, source, tags, time (RFC 3339, UTC, nanoseconds),
 * output_fields ("<NA>" values as null; numbers and booleans flagged in
 * field_numeric unquoted). kcap.v1.Alert's output has no such prefix: its
 * time and priority are fields of their own. */
KCAP_API int kcap_alert_to_json(const struct kcap_alert *a, char *buf, size_t len);
/* An alert as a kcap.v1.Alert message. */
KCAP_API int kcap_alert_to_pb(const struct kcap_alert *a, void *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* KCAP_KCAP_EXPORT_H */
