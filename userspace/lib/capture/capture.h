// SPDX-License-Identifier: Apache-2.0
/*
 * What the capture subsystem offers the layers above it (event/, format/,
 * state/, detect/, export/) beyond the public API. The handle's layout and
 * the sources stay private to capture/ (source.h).
 */
#ifndef KCAP_CAPTURE_H
#define KCAP_CAPTURE_H

#include "internal.h"

/* The event table row of @type for the event @h handed out last: a file's
 * own table, the built-in one otherwise (also for @h NULL). */
KCAP_HIDDEN const struct kcap_event_desc *kcap__desc(const struct kcap *h, unsigned int type);
/* The built-in table itself (kcap_event_desc(t) is kcap__builtin_rows + t). */
KCAP_HIDDEN extern const struct kcap_event_desc *const kcap__builtin_rows;

/*
 * The parameters the thread table (state/) and the rule fields (detect/)
 * read by name: their index in a row is looked up once per table
 * (kcap__row_aux.pidx), not with strcmp() per event. kcap__pnames[] (format/
 * names.c) holds the names, in this order.
 */
enum kcap__pname {
	KP_FD, KP_PATH, KP_NAME, KP_FLAGS, KP_MODE, KP_COMM, KP_ADDR, KP_LOCAL, KP_PEER,
	KP_OLDFD, KP_CMD, KP_DOMAIN, KP_TYPE, KP_FDS, KP_EXE, KP_FILENAME, KP_ARGV, KP_CWD,
	KP_UID, KP_EUID, KP_GID, KP_LOGINUID, KP_TTY, KP_VPID, KP_VTID, KP_CGROUP, KP_ENV,
	KP_EXE_INO, KP_EXE_CTIME, KP_EXE_MTIME, KP_EXE_FLAGS, KP_SID, KP_VPGID,
	KP_CHILD_TID, KP_CHILD_PID, KP_CAP_INHERITABLE, KP_CAP_PERMITTED, KP_CAP_EFFECTIVE,
	KP_RUID, KP_SUID, KP_RGID, KP_EGID, KP_SGID,
	KP_NR
};
KCAP_HIDDEN extern const char *const kcap__pnames[KP_NR];

/*
 * What format/ works out from a table row's parameter names (for itself,
 * the thread table and the rule fields), kept next to the row so that it
 * is done once per table and not per event. capture/ only stores it:
 * zeroed means not worked out yet.
 */
struct kcap__row_aux {
	bool done;
	__u32 size_mask;	   /* parameters named "size" */
	__u8 sym[KCAP_MAX_PARAMS]; /* enum kcap__sym of each parameter */
	signed char pidx[KP_NR];   /* the parameter named kcap__pnames[n], -1: none */
	bool builtin_name;	   /* named as the built-in table's row of its type */
};

/* A number no other handle opened by this process has (0 for NULL): with a
 * row's address, what identifies a row a reader may have remembered (a
 * closed handle's table can be allocated again at the same address). */
KCAP_HIDDEN __u64 kcap__serial(const struct kcap *h);

/* Row auxes (kcap__fmt_aux()) a long-lived reader remembers per event type:
 * the thread table, the rule engine's context (kcap__aux_cached()). */
struct kcap__aux_cache {
	__u64 serial[KCAP_EVT_NR];
	const struct kcap_event_desc *d[KCAP_EVT_NR];
	const struct kcap__row_aux *a[KCAP_EVT_NR];
};

/* The row aux of @type for the event @h handed out last (as kcap__desc());
 * NULL when that row is the built-in table's or has no storage. */
KCAP_HIDDEN struct kcap__row_aux *kcap__row_aux(const struct kcap *h, unsigned int type);

/* The process snapshot @h carries, PROCS payloads each after its u32
 * length; -ENODATA if it should have one but has not (a file without);
 * -EOPNOTSUPP if the source takes its processes from this host's /proc. */
KCAP_HIDDEN int kcap__procs(const struct kcap *h, const void **p, size_t *len);

/* The user and group names of the machine @h was recorded on: @fn for each
 * (users first, @group false; @name not NUL-terminated). -ENODATA for a
 * recording without them (written before format 1.1), -EOPNOTSUPP for a
 * source whose names are this host's (live, memory). */
KCAP_HIDDEN int kcap__users_foreach(const struct kcap *h,
				    void (*fn)(void *ctx, bool group, __u32 id, const char *name,
					       size_t n),
				    void *ctx);

/* The same from this machine's passwd- and group-format files (NULL:
 * /etc/passwd, /etc/group; a missing file has no names), parsed as the
 * writer stores them. 0 or -errno. */
KCAP_HIDDEN int kcap__users_from_files(const char *passwd, const char *group,
				       void (*fn)(void *ctx, bool group, __u32 id,
						  const char *name, size_t n),
				       void *ctx);

/* The USERS payload @h carries, as kcap__procs() its PROCS payloads:
 * -ENODATA for a recording without, -EOPNOTSUPP for this host's names. */
KCAP_HIDDEN int kcap__users(const struct kcap *h, const void **p, size_t *len);
struct kcap_ct_meta;
/*
 * kcap__container() - the metadata a recording carries for container @id
 * (the CONTAINERS blocks of a capture file read so far; a merge asks the
 * source of the last event first), NULL if none or @h is not a recording.
 * Valid until the next kcap_next().
 */
KCAP_HIDDEN const struct kcap_ct_meta *kcap__container(struct kcap *h, const char *id);
/* kcap__writer_container() - queues @m for the CONTAINERS block written
 * before the writer's next batch (file_write.c); an unchanged record is
 * not written again. 0 or -ENOMEM. */
struct kcap_writer;
KCAP_HIDDEN int kcap__writer_container(struct kcap_writer *w, const struct kcap_ct_meta *m);
/* The ia32 interest bits selecting the same calls by name as @exit_bits
 * (syscalls.c). */
KCAP_HIDDEN void kcap__ia32_interest(const __u64 *exit_bits, __u64 *ia32_bits);

#endif /* KCAP_CAPTURE_H */
