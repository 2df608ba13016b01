// SPDX-License-Identifier: Apache-2.0
/*
 * The NATS options export and fleet share, and export's NATS event loop
 * (fleet.c). Private to cli/.
 */
#ifndef KCAP_CLI_FLEET_H
#define KCAP_CLI_FLEET_H

#include "kcap_detect.h"
#include "kcap_fleet.h"

enum {
	OPT_FLEET_TO = OPT_COMMAND + 20,
	OPT_FLEET_STREAM,
	OPT_FLEET_SUBJECT,
	OPT_FLEET_NODE,
	OPT_FLEET_CREDS,
	OPT_FLEET_NKEY,
	OPT_FLEET_USER,
	OPT_FLEET_PASSWORD,
	OPT_FLEET_TLS_CA,
	OPT_FLEET_DURABLE,
	OPT_FLEET_IDLE,
	OPT_FLEET_SPOOL,
	OPT_FLEET_SPOOL_MAX,
	OPT_FLEET_SNAPSHOT,
	OPT_FLEET_INSTANCE,
	OPT_FLEET_LEASE,
};

/* The publisher's own options (kcap export --to). */
#define FLEET_PUB_LONG_OPTS                                                 \
	{ "spool", required_argument, NULL, OPT_FLEET_SPOOL },              \
	{ "spool-max", required_argument, NULL, OPT_FLEET_SPOOL_MAX },      \
	{ "snapshot-interval", required_argument, NULL, OPT_FLEET_SNAPSHOT }

/* The live export's spool when --spool is not given. */
#define FLEET_SPOOL_DIR "/var/lib/kcap/spool"

#define FLEET_PUB_HELP                                                                             \
	"      --spool DIR        while the cluster does not answer, keep the events in\n"         \
	"                         capture files in DIR and publish them from there, in\n"          \
	"                         order, when it answers again (live default\n"                    \
	"                         " FLEET_SPOOL_DIR "; -r: none, the file waits); a DIR\n"      \
	"                         an earlier exporter left events in is refused\n"               \
	"      --spool-max SIZE   the spool's bound (default 256M); events beyond it are\n"      \
	"                         dropped, counted and told in a drop notice\n"                    \
	"      --snapshot-interval SECONDS  a snapshot message (processes, users) this\n"     \
	"                         often (default 60; 0: only the first)\n"

/* The connection options both sides share (after --to or --from). */
#define FLEET_COMMON_LONG_OPTS                                        \
	{ "stream", required_argument, NULL, OPT_FLEET_STREAM },      \
	{ "subject", required_argument, NULL, OPT_FLEET_SUBJECT },    \
	{ "node", required_argument, NULL, OPT_FLEET_NODE },          \
	{ "creds", required_argument, NULL, OPT_FLEET_CREDS },        \
	{ "nkey", required_argument, NULL, OPT_FLEET_NKEY },          \
	{ "user", required_argument, NULL, OPT_FLEET_USER },          \
	{ "password", required_argument, NULL, OPT_FLEET_PASSWORD },  \
	{ "tls-ca", required_argument, NULL, OPT_FLEET_TLS_CA }

#define FLEET_CONN_LONG_OPTS { "to", required_argument, NULL, OPT_FLEET_TO }, FLEET_COMMON_LONG_OPTS

/* The consumers' options (kcap record, kcap detect): --from URL. */
#define FLEET_SRC_LONG_OPTS                                           \
	{ "from", required_argument, NULL, OPT_FLEET_TO },            \
	FLEET_COMMON_LONG_OPTS,                                       \
	{ "durable", required_argument, NULL, OPT_FLEET_DURABLE },    \
	{ "idle-exit", required_argument, NULL, OPT_FLEET_IDLE },      \
	{ "instance", required_argument, NULL, OPT_FLEET_INSTANCE },  \
	{ "lease", required_argument, NULL, OPT_FLEET_LEASE }

#define FLEET_SRC_HELP                                                                             \
	"      --from URL         read the events of a fleet from NATS JetStream\n"                \
	"                         (nats://HOST:PORT[,...], docs/fleet.md) through a\n"             \
	"                         durable pull consumer; --stream, --subject as for\n"             \
	"                         kcap export --to\n"                                              \
	"      --durable NAME     consumer name (default kcap); instances with the\n"              \
	"                         same name share the nodes out: each node's events\n"             \
	"                         go to one of them, which holds a lease on it\n"                  \
	"      --instance ID      this instance's name in the leases (default:\n"                  \
	"                         host name and process id)\n"                                     \
	"      --lease SECONDS    a node whose instance has not renewed its lease\n"               \
	"                         for this long goes to another (default 10); the\n"               \
	"                         durable's ack wait: the same for all its instances\n"            \
	"      --node NAME        only this node's events\n"                                       \
	"      --idle-exit SECONDS  end after this long without a message\n" FLEET_CONN_HELP

#define FLEET_CONN_HELP                                                                            \
	"NATS connection (as the NATS tools name them):\n"                                         \
	"      --creds FILE       user credentials (JWT and nkey seed, .creds)\n"                  \
	"      --nkey FILE        nkey seed file, with its public key (U...) on\n"                 \
	"                         a line of its own\n"                                             \
	"      --user NAME, --password PASSWORD   user and password\n"                             \
	"      --tls-ca FILE      CA certificates to verify the servers (TLS)\n"

/* A connection option into @o: 0, -1 if @c is not one, or EXIT_USAGE. */
int fleet_conn_opt(const char *cmd, int c, const char *arg, struct kcap_fleet_opts *o);

/* kcap export --to: @h's events (until -n @count, the end of a file or
 * *@stop) to the publisher of @o; then up to @linger_ms (< 0: no limit)
 * for the acknowledgements. Returns the exit status. */
int fleet_export(struct kcap *h, struct kcap_fleet_opts *o, bool file, unsigned long long count,
		 volatile int *stop, int linger_ms);

/* --from URL: the stream as a source (kcap_open_nats()); NULL after
 * printing why. */
struct kcap *fleet_open_source(const char *cmd, struct kcap_fleet_opts *o);

/* The thread table of the node of @h's last event: @first for the first
 * node, a new one for each other, seeded from the node's snapshot at its
 * first event; the node's name in *@name. NULL when out of memory. */
struct kcap_state *fleet_node_state(struct kcap *h, struct kcap_state *first, const char **name);
void fleet_node_states_free(struct kcap_state *first);

/* The consumer's counters on stderr: "kcap CMD: ... events/s" over @secs
 * less @idle_secs (the --idle-exit wait when it ended the run), and a line
 * about the node runs seeded from a later snapshot if any. */
void fleet_source_summary(const char *cmd, struct kcap *h, unsigned long long events, double secs,
			  double idle_secs);

/* kcap record --from -w PATH: one node's events into a capture file with
 * that node's machine and snapshot; @idle_secs: --idle-exit. Returns the
 * exit status. */
int fleet_record(struct kcap *h, const char *path, unsigned long long count, volatile int *stop,
		 double idle_secs);

int cmd_fleet(int argc, char **argv);

#endif /* KCAP_CLI_FLEET_H */
