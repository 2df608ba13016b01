// SPDX-License-Identifier: Apache-2.0
/*
 * Private to fleet/ and the unit tests: the pure parts (URLs, subject
 * tokens, message ids) and the connection set-up the publisher, the
 * source and kcap_fleet_init() share.
 */
#ifndef KCAP_FLEET_FLEET_H
#define KCAP_FLEET_FLEET_H

#include <nats/nats.h>

#include "internal.h"
#include "kcap_fleet.h"

#define FLEET_MAX_SERVERS 16
#define FLEET_TOKEN_MAX 64 /* a node name, a family */
#define FLEET_SUBJECT_MAX 256

/* Message headers besides Nats-Msg-Id (docs/fleet.md). */
#define FLEET_HDR_NODE "Kcap-Node"
#define FLEET_HDR_RUN "Kcap-Run"
#define FLEET_HDR_SEQ "Kcap-Seq"
#define FLEET_HDR_KIND "Kcap-Kind" /* "events", "snapshot", "containers", "drops" */

/* The servers of a nats:// URL list, each as "nats://HOST:PORT". */
struct fleet_servers {
	char *url[FLEET_MAX_SERVERS];
	int n;
};

/*
 * fleet_parse_url() - "nats://H:P[,H:P...]" (each item may repeat the
 * scheme; tls:// asks for TLS; a missing port is 4222) into @s. 0, or
 * -EINVAL with the reason in @why (a static string). fleet_servers_free()
 * after success.
 */
KCAP_HIDDEN int fleet_parse_url(const char *url, struct fleet_servers *s, bool *tls,
				const char **why);
KCAP_HIDDEN void fleet_servers_free(struct fleet_servers *s);

/* fleet_token_ok() - @t is one subject token: 1..FLEET_TOKEN_MAX-1 chars
 * of [A-Za-z0-9_-]. fleet_prefix_ok(): dot-separated such tokens. */
KCAP_HIDDEN bool fleet_token_ok(const char *t);
KCAP_HIDDEN bool fleet_prefix_ok(const char *p);

/* fleet_subject() - "PREFIX.NODE.FAMILY" into @buf; the length, or -1 if
 * it does not fit. */
KCAP_HIDDEN int fleet_subject(char *buf, size_t len, const char *prefix, const char *node,
			      const char *family);

/* fleet_msg_id() - "NODE.RUN.SEQ", the Nats-Msg-Id of a message: unique
 * per node and exporter run, equal for re-sends. Length or -1. */
KCAP_HIDDEN int fleet_msg_id(char *buf, size_t len, const char *node, __u64 run, __u64 seq);

/* fleet_node_name() - @node, else this host's name made a subject token
 * (characters outside the token set become '_'), into @buf. */
KCAP_HIDDEN int fleet_node_name(char *buf, size_t len, const char *node);

/* A connection and its JetStream context. */
struct fleet_conn {
	natsConnection *nc;
	jsCtx *js;
	natsOptions *o;
	struct fleet_servers servers;
	const char *stream;
	const char *prefix;
	int timeout_ms;
};

/* fleet_connect() - connect with the options' URL and credentials;
 * @reconnect: keep reconnecting for ever after a loss (the publisher).
 * @js_opts may be NULL. 0 or -errno with the reason in @err. */
KCAP_HIDDEN int fleet_connect(struct fleet_conn *c, const struct kcap_fleet_opts *opts,
			      bool reconnect, jsOptions *js_opts, char *err, size_t errlen);
KCAP_HIDDEN void fleet_disconnect(struct fleet_conn *c);

/* fleet_status_errno() - a natsStatus as a negative errno. */
KCAP_HIDDEN int fleet_status_errno(natsStatus s);

#endif /* KCAP_FLEET_FLEET_H */
