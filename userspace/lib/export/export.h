// SPDX-License-Identifier: Apache-2.0
/*
 * libkcap export internals: events and alerts as kcap.v1 protobuf-c
 * messages (pb.c), protobuf-c messages and alerts as JSON (json.c), shared
 * by the exporter (exporter.c) and the unit tests.
 */
#ifndef KCAP_EXPORT_INTERNAL_H
#define KCAP_EXPORT_INTERNAL_H

#include <protobuf-c/protobuf-c.h>

#include "kcap/v1/event.pb-c.h"
#include "kcap_detect.h"
#include "kcap_export.h"
#include "internal.h"

/* The schema version written in StreamHeader (proto/README.md). */
#define KCAP_SCHEMA "kcap.v1"
#define KCAP_SCHEMA_MINOR 5

/*
 * Scratch memory for one message: strings, sub-messages and arrays that
 * the protobuf-c structs point to. Reset before each event.
 */
struct export_arena {
	unsigned char *mem;
	size_t size;
	size_t used;
};

KCAP_HIDDEN int export_arena_init(struct export_arena *a, size_t size);
KCAP_HIDDEN void export_arena_free(struct export_arena *a);
KCAP_HIDDEN void *export_alloc(struct export_arena *a, size_t n);

/* What the exporter knows about the capture, for every event. */
struct export_ctx {
	__s64 boot_wall_ns;
	Kcap__V1__Source source;
	bool process; /* fill Event.process and Event.container */
	struct kcap_state *state; /* from which, if set */
};

/* Arena bytes the process context of @ev needs beyond the event's own. */
KCAP_HIDDEN size_t export_process_size(const struct export_ctx *c, struct kcap *h,
				       const struct kcap_event_hdr *ev);

/*
 * export_event_msg() - @ev as a kcap.v1.Event in @msg (and the memory of
 * @a). Returns 0, -ENOMEM if the arena is too small, -EBADMSG if the
 * record's lengths do not add up.
 */
KCAP_HIDDEN int export_event_msg(const struct export_ctx *c, struct kcap *h,
				 const struct kcap_event_hdr *ev, struct export_arena *a,
				 Kcap__V1__Event *msg);

/* export_alert_msg() - @al as a kcap.v1.Alert. */
KCAP_HIDDEN int export_alert_msg(const struct kcap_alert *al, const char *hostname,
				 struct export_arena *a, Kcap__V1__Alert *msg);

/* The context of @h: live (now) or a capture file's boot time. */
/* The kcap.v1 family of an event type, Event's body member name ("exec",
 * "open", "params" for the other decoded syscalls): NATS subjects. */
KCAP_HIDDEN const char *kcap__export_family(unsigned int type);
KCAP_HIDDEN void export_ctx_init(struct export_ctx *c, struct kcap *h);

/* A growing output buffer for JSON. */
struct export_buf {
	char *p;
	size_t len;
	size_t cap;
	bool oom;
};

KCAP_HIDDEN void export_buf_free(struct export_buf *b);

/* export_json_msg() - append @m in the proto3 JSON mapping (one line, no
 * newline). -ENOMEM on allocation failure. */
KCAP_HIDDEN int export_json_msg(struct export_buf *b, const ProtobufCMessage *m);

/* export_json_alert() - append @m in Falco's JSON alert format. */
KCAP_HIDDEN int export_json_alert(struct export_buf *b, const Kcap__V1__Alert *m);

/* Copies @len bytes of @s as a NUL-terminated valid UTF-8 string (each
 * invalid byte becomes U+FFFD, a NUL ends the string); NULL if @a is full. */
KCAP_HIDDEN char *export_utf8(struct export_arena *a, const void *s, size_t len);

#endif /* KCAP_EXPORT_INTERNAL_H */
