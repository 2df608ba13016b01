// SPDX-License-Identifier: Apache-2.0
/*
 * libkcap detection: process snapshots, container identity, the thread and
 * descriptor state kept current from events, Falco-compatible fields and
 * the rule engine (Falco's YAML rules format). Installed as
 * <kcap/kcap_detect.h>; same conventions as kcap.h.
 *
 * A typical consumer:
 *
 *	struct kcap_state *st = kcap_state_new(NULL);
 *	struct kcap_rules *r = kcap_rules_new();
 *	kcap_rules_load_file(r, "rules/kcap_rules.yaml");
 *	kcap_rules_compile(r);
 *	kcap_state_seed(st, h);
 *	while (kcap_next(h, &ev) == 0) {
 *		kcap_state_update(st, h, ev);
 *		kcap_rules_eval(r, st, h, ev, on_alert, ctx);
 *	}
 */
#ifndef KCAP_KCAP_DETECT_H
#define KCAP_KCAP_DETECT_H

#include "kcap.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Process snapshots ----------------------------------------------------- */

struct kcap_proc_fd {
	__s32 fd;
	const char *target; /* readlink of /proc/PID/fd/N: "/etc/passwd", "socket:[12]" */
};

/* One thread, as /proc described it. Strings are NUL-terminated. */
struct kcap_proc_entry {
	__u32 tid;
	__u32 pid;
	__u32 ppid;
	__u32 uid[4]; /* real, effective, saved, fs */
	__u32 gid[4];
	const char *comm;
	const char *exe;
	const char *argv; /* NUL-separated, argv_len bytes */
	size_t argv_len;
	const char *cwd;
	const char *cgroup; /* /proc/PID/cgroup as read, lines joined by '\n' */
	__u32 nr_fds; /* listed with the thread group leader only */
	const struct kcap_proc_fd *fds;
};

typedef int (*kcap_proc_fn)(void *ctx, const struct kcap_proc_entry *p);

/*
 * kcap_procs_foreach() - call @fn for each thread of a process snapshot:
 * the PROCS block of capture file @h, or /proc now when @h is NULL or a
 * live handle. A non-zero return of @fn stops the walk and is returned.
 * Returns 0, or a negative errno (-ENODATA: the file has no snapshot).
 */
KCAP_API int kcap_procs_foreach(struct kcap *h, kcap_proc_fn fn, void *ctx);

/* ---- Containers -------------------------------------------------------------- */

struct kcap_container {
	char id[65]; /* full 64-hex id; "" on the host */
	char short_id[16]; /* Falco's container.id: 12 hex, or "host" */
	char runtime[16]; /* docker, containerd, cri-o, podman, cri, gvisor; "" on the host */
	char pod_uid[40]; /* Kubernetes pod UID (dashes), or "" */
};

/*
 * kcap_container_from_cgroup() - container identity from a cgroup path or
 * a whole /proc/PID/cgroup text (docker, containerd and CRI with cgroupfs
 * or systemd naming, CRI-O, podman), or "gvisor:ID", the cgroup the gVisor
 * sink gives a sandboxed exec (the sandbox container's id, any name of up
 * to 64 characters). Returns 0 when a container was found, -ENOENT
 * otherwise (@c then says "host").
 */
KCAP_API int kcap_container_from_cgroup(const char *cgroup, struct kcap_container *c);

/* ---- Thread and descriptor state ----------------------------------------------- */

struct kcap_state;

struct kcap_state_opts {
	/* size of this struct, for forward/backward compatibility */
	size_t sz;
	/* most threads kept; 0: 65536. Beyond it the oldest exited, then
	 * the least recently seen thread is evicted (counted). */
	__u32 max_threads;
	/* most descriptors kept per process; 0: 4096 */
	__u32 max_fds;
	/* user names of live events come from this passwd file; NULL:
	 * /etc/passwd. A capture file's own names (format 1.1) are used for
	 * its events; for an older file without them, these files if named,
	 * else no names. */
	const char *passwd;
	/* group names, the same way; NULL: /etc/group */
	const char *group;
	/*
	 * Container metadata (container.name, .image, k8s.pod.name, ...) is
	 * read from the runtimes' state files by a background thread, never
	 * delaying an event; until it arrives the fields are missing
	 * (docs/containers.md). container_lookup: KCAP_CT_LOOKUP_LIVE (0)
	 * for live events only (a state seeded from a live handle or /proc),
	 * KCAP_CT_LOOKUP_NEVER, or KCAP_CT_LOOKUP_ALWAYS (also events fed
	 * without kcap_state_seed()). Events of a capture file are never
	 * looked up: this machine's runtimes do not know its containers.
	 */
	int container_lookup;
	/* prepended to every runtime path: "/host" when the node's root is
	 * mounted there (a DaemonSet pod); NULL or "": none */
	const char *container_root;
	/* docker's data root; NULL: /var/lib/docker; "": do not look in docker */
	const char *docker_root;
	/* OCI runtime state directories (runc, crun, containerd's shim),
	 * NULL-ended, at most 8; NULL: /run/runc, /run/crun,
	 * /run/containerd/runc/k8s.io, /run/containerd/runc/default */
	const char *const *oci_roots;
	/* containers/storage's graph root and run root (podman, CRI-O);
	 * NULL: /var/lib/containers/storage, /run/containers/storage; "":
	 * do not look there */
	const char *storage_root;
	const char *storage_runroot;
	/* KCAP_CT_WATCH_ON (0): a live state watches the runtimes' state
	 * directories (inotify) and looks up containers as they appear;
	 * KCAP_CT_WATCH_OFF: only when their events ask */
	int container_watch;
	/* gVisor's runsc roots (runsc --root), NULL-ended, at most 8, for
	 * sandboxed containers (container.id of a KCAP_EVF_GVISOR event);
	 * NULL: /var/run/runsc, /run/containerd/runsc/k8s.io,
	 * /run/containerd/runsc/default */
	const char *const *runsc_roots;
	size_t : 0;
};
#define kcap_state_opts__last_field runsc_roots

/* kcap_state_opts.container_watch */
#define KCAP_CT_WATCH_ON 0
#define KCAP_CT_WATCH_OFF 1

/* kcap_state_opts.container_lookup */
#define KCAP_CT_LOOKUP_LIVE 0
#define KCAP_CT_LOOKUP_NEVER 1
#define KCAP_CT_LOOKUP_ALWAYS 2

/* kcap_state_new() - an empty state; NULL with errno set on error (EINVAL:
 * bad options, ENOMEM). @opts may be NULL: the default limits, /etc/passwd and
 * /etc/group. */
KCAP_API struct kcap_state *kcap_state_new(const struct kcap_state_opts *opts);

/*
 * kcap_state_seed() - fill the thread table from @h's process snapshot
 * (capture files) or from /proc (live handles, @h NULL) and take the wall
 * clock offset used for evt.time from the file or this machine.
 */
KCAP_API int kcap_state_seed(struct kcap_state *st, struct kcap *h);

/*
 * kcap_state_update() - apply @ev (fork, exec, exit, open, socket,
 * connect, accept, dup, close, chdir, setuid...) to the tables. Changes an
 * event makes to the thread it came from that rules should see as "before"
 * (a closed descriptor, an exited thread, new credentials) take effect at
 * the next call, so call this before evaluating rules on @ev.
 */
KCAP_API int kcap_state_update(struct kcap_state *st, struct kcap *h,
			       const struct kcap_event_hdr *ev);

struct kcap_state_stats {
	__u64 threads; /* in the table now */
	__u64 fds;
	__u64 threads_added;
	__u64 threads_reaped; /* exited and removed */
	__u64 threads_evicted; /* removed because the table was full */
	__u64 fds_evicted;
	__u64 misses; /* events from a thread the table did not know */
	/* container metadata lookups (docs/containers.md) */
	__u64 ct_lookups; /* ids given to the lookup thread */
	__u64 ct_found; /* lookups that found the container */
	__u64 ct_failed; /* lookups that did not (asked again after 1 s) */
	__u64 ct_dropped; /* not asked: the queue or the table of waited ids full */
	__u64 ct_events_nometa; /* events of a container before its metadata arrived */
	/* ... of them, in the first second after kcap saw the container's first event */
	__u64 ct_events_nometa_first_s;
	/* lookups the state-directory watch (inotify) delivered unasked: a
	 * container appearing, or its state files rewritten */
	__u64 ct_noticed;
	/* cached containers dropped because the watch saw their directory deleted */
	__u64 ct_forgotten;
};

/* kcap_state_stats() - counters; @sz: sizeof(*s) as the caller knows it. */
KCAP_API int kcap_state_stats(const struct kcap_state *st, struct kcap_state_stats *s, size_t sz);

/* One thread as the table knows it. Strings are NUL-terminated ("" when
 * unknown) and stay valid until the next call that changes the state. */
struct kcap_thread_info {
	__u32 tid;
	__u32 pid;
	__u32 ppid;
	__u32 vpid; /* in the thread's own pid namespace */
	__u32 vtid;
	__u32 uid; /* real */
	__u32 euid;
	__u32 gid;
	__u32 loginuid; /* (__u32)-1: not set */
	__u32 tty; /* controlling terminal's device number, 0: none */
	__u32 exited; /* 1 from its exit event until the next update */
	const char *comm;
	const char *exe;
	const char *argv; /* NUL-separated, argv_len bytes, argv[0] first */
	size_t argv_len;
	const char *cwd;
	const char *cgroup;
	const char *user; /* name of uid, "" if unknown */
	struct kcap_container container; /* short_id "host" outside containers */
};

/*
 * kcap_state_thread() - what the table knows about thread @tid, into @ti;
 * @sz: sizeof(*ti) as the caller knows it. Read-only: a lookup never adds
 * a thread. Returns 0, -ENOENT for an unknown thread, -EINVAL.
 */
KCAP_API int kcap_state_thread(const struct kcap_state *st, __u32 tid,
			       struct kcap_thread_info *ti, size_t sz);

/*
 * kcap_state_write_containers() - hands capture file writer @w the
 * container metadata @st has learnt since the last call (at the first
 * call, all of it): @w writes it in a CONTAINERS block before its next
 * batch, so that a reader of the file gets the container.* and k8s.*
 * fields without looking anything up (docs/containers.md). Takes in the
 * lookups that finished and asks again, up to ten times a second apart,
 * about containers not found yet. Call it after each kcap_state_update()
 * (with nothing new it costs an atomic load and a coarse clock read: the
 * metadata then enters the file where the state learnt it) and when no
 * event comes (kcap_next() said -EAGAIN). Never waits for a lookup.
 * Returns 0, -EINVAL, -ENOMEM.
 */
KCAP_API int kcap_state_write_containers(struct kcap_state *st, struct kcap_writer *w);

/*
 * kcap_state_write_all_containers() - hands @w the metadata of every
 * container a thread of @st is in, as known now (nothing is taken in or
 * looked up, so an alert callback may call it): for a file opened later
 * than the others, e.g. a flight recorder's (kcap_flight_opts.dump_open).
 * Returns 0, -EINVAL, -ENOMEM.
 */
KCAP_API int kcap_state_write_all_containers(struct kcap_state *st, struct kcap_writer *w);

KCAP_API void kcap_state_free(struct kcap_state *st);

/* ---- Fields -------------------------------------------------------------------- */

enum kcap_field_type {
	KCAP_FT_STR = 0,
	KCAP_FT_INT = 1, /* signed 64-bit */
	KCAP_FT_BOOL = 2,
	KCAP_FT_IP = 3, /* printed as text, compared as text */
};

/* kcap_field_info.flags */
#define KCAP_FF_INDEX 0x1 /* takes [N] */
#define KCAP_FF_NAME 0x2 /* takes .name or [name] (evt.arg.name) */
#define KCAP_FF_ANY 0x4 /* without [N], a check matches any of its values */
#define KCAP_FF_NODATA 0x8 /* kcap has no data for it yet: always missing, <NA> */

struct kcap_field_info {
	const char *name;
	enum kcap_field_type type;
	__u32 flags;
	const char *desc;
};

/* kcap_field_at() - field @i of the built-in field table, NULL past the end. */
KCAP_API const struct kcap_field_info *kcap_field_at(unsigned int i);

/* ---- Filter expressions -------------------------------------------------- */

/*
 * One condition in the rules' language (Falco's filter syntax: fields,
 * operators, and, or, not, parentheses), without macros or lists:
 *   proc.name = sh and evt.type in (openat, execve) and fd.name startswith /etc
 * compiled once, then matched against each event.
 */
struct kcap_filter;

struct kcap_filter_opts {
	/* size of this struct, for forward/backward compatibility */
	size_t sz;
	/* if non-NULL, receives "filter, column N: what is wrong" on failure */
	char *errbuf;
	size_t errbuf_sz;
	size_t : 0;
};
#define kcap_filter_opts__last_field errbuf_sz

/* kcap_filter_compile() - NULL with errno set (EINVAL: a syntax error, an
 * unknown field or operator, bad options; ENOMEM). @opts may be NULL. */
KCAP_API struct kcap_filter *kcap_filter_compile(const char *expr,
						 const struct kcap_filter_opts *opts);

/*
 * kcap_filter_match() - 1 if @ev matches, 0 if not, -EINVAL for NULL
 * arguments. @st (may be NULL: process and descriptor fields are then
 * missing) should have seen the event first (kcap_state_update()); @h
 * gives the event table and clock (NULL: built-in table).
 */
KCAP_API int kcap_filter_match(struct kcap_filter *f, struct kcap_state *st, struct kcap *h,
			       const struct kcap_event_hdr *ev);

/*
 * kcap_filter_syscalls() - the x86_64 syscalls a live capture must select
 * for @f: those whose events it can match (its evt.type values) and those
 * kcap_state_update() needs for correct process and descriptor fields, as
 * kcap_rules_syscalls() says. For kcap_open_opts.syscalls.
 */
KCAP_API int kcap_filter_syscalls(const struct kcap_filter *f, unsigned int *nrs, size_t max,
				  bool *all);

/*
 * kcap_filter_needs_state() - whether matching @f reads what a struct
 * kcap_state keeps: process, thread, descriptor, user, container fields,
 * or evt.time/evt.rawtime (the wall clock of the recording). When it does
 * not, kcap_filter_match() with a NULL state gives the same answers, and a
 * tool can skip kcap_state_update() for its events. False for NULL.
 */
KCAP_API bool kcap_filter_needs_state(const struct kcap_filter *f);

/* kcap_filter_free() - NULL is allowed. */
KCAP_API void kcap_filter_free(struct kcap_filter *f);

/* ---- Output formats ------------------------------------------------------- */

/*
 * A Falco-style output format: text with %field references,
 *   "%evt.time %proc.name (%proc.pid) %evt.type %fd.name"
 * compiled once and rendered per event with the rules' fields; a field
 * without a value prints <NA>.
 */
struct kcap_output;

struct kcap_output_opts {
	/* size of this struct, for forward/backward compatibility */
	size_t sz;
	/* if non-NULL, receives "output, column N: what is wrong" on failure */
	char *errbuf;
	size_t errbuf_sz;
	size_t : 0;
};
#define kcap_output_opts__last_field errbuf_sz

/* kcap_output_compile() - NULL with errno set (EINVAL: an unknown field,
 * bad options; ENOMEM). @opts may be NULL. A lone "%" is literal text. */
KCAP_API struct kcap_output *kcap_output_compile(const char *fmt,
						 const struct kcap_output_opts *opts);

/*
 * kcap_output_render() - @ev in format @o into @buf (snprintf's contract:
 * returns the length of the whole text, writes at most @len bytes with the
 * NUL). @st and @h as for kcap_filter_match(). -EINVAL for NULL arguments.
 */
KCAP_API int kcap_output_render(struct kcap_output *o, struct kcap_state *st, struct kcap *h,
				const struct kcap_event_hdr *ev, char *buf, size_t len);

/* kcap_output_needs_state() - as kcap_filter_needs_state(), for the
 * fields of format @o. */
KCAP_API bool kcap_output_needs_state(const struct kcap_output *o);

/* kcap_output_free() - NULL is allowed. */
KCAP_API void kcap_output_free(struct kcap_output *o);

/* ---- Rules --------------------------------------------------------------------- */

struct kcap_rules;

enum kcap_priority {
	KCAP_PRIO_EMERGENCY = 0,
	KCAP_PRIO_ALERT,
	KCAP_PRIO_CRITICAL,
	KCAP_PRIO_ERROR,
	KCAP_PRIO_WARNING,
	KCAP_PRIO_NOTICE,
	KCAP_PRIO_INFORMATIONAL,
	KCAP_PRIO_DEBUG,
};

/* kcap_priority_name() - "Warning" etc.; kcap_priority_parse(): the
 * priority (case-insensitive, Falco's names and aliases) or -EINVAL. */
KCAP_API const char *kcap_priority_name(enum kcap_priority p);
KCAP_API int kcap_priority_parse(const char *s);

/* kcap_rules_new() - an empty rule set; NULL with errno set on error. */
KCAP_API struct kcap_rules *kcap_rules_new(void);

/*
 * kcap_rules_load_file() / kcap_rules_load_string() - add the lists,
 * macros and rules of a Falco-format YAML document (items apply in order:
 * append, override and enabled-only items change earlier ones). A file
 * name that is a directory loads its *.yaml files in name order (-ENOENT
 * if it has none; every file even after one fails). Errors
 * are reported as "FILE:LINE:COL: what" by kcap_rules_errmsg(); an item in
 * error is skipped and the next ones are still checked, so one load
 * reports every error of the file. Unknown keys are errors.
 */
KCAP_API int kcap_rules_load_file(struct kcap_rules *r, const char *path);
KCAP_API int kcap_rules_load_string(struct kcap_rules *r, const char *name, const char *text);

/*
 * kcap_rules_compile() - resolve lists and macros and compile every
 * enabled rule's condition, exceptions and output once, and index rules by
 * event type. Unknown fields, undefined macros and syntax errors fail with
 * FILE:LINE:COL; every rule and macro is checked, so all errors are
 * reported at once. Warnings (a rule that matches every event type) are kept
 * and read with kcap_rules_warning().
 */
KCAP_API int kcap_rules_compile(struct kcap_rules *r);

/* kcap_rules_errmsg() - every error of the loads and of the last compile,
 * one per line ("" if none). A compile fails if a load failed. */
KCAP_API const char *kcap_rules_errmsg(const struct kcap_rules *r);

/* kcap_rules_warning() - warning @i after compiling, NULL past the end. */
KCAP_API const char *kcap_rules_warning(const struct kcap_rules *r, unsigned int i);

/* kcap_rules_count() - rules loaded and, in *enabled, those enabled. */
KCAP_API unsigned int kcap_rules_count(const struct kcap_rules *r, unsigned int *enabled);

/*
 * kcap_rules_condition() - rule @i's (load order) condition as one line:
 * macros replaced by their parenthesised conditions, list names in value
 * lists by their items, exceptions appended as "and not (...)", the way
 * Falco expands them; for other engines of the same filter language. Call
 * after kcap_rules_compile() (nested lists are expanded then). *@name and
 * *@enabled (either may be NULL) describe the rule. Returns a string the
 * caller frees; NULL with errno ENOENT past the last rule, ENOMEM, or ELOOP
 * for macros nested more than 100 deep.
 */
KCAP_API char *kcap_rules_condition(struct kcap_rules *r, unsigned int i, const char **name,
				    bool *enabled);

/* kcap_rules_set_min_priority() - skip rules below @p (default: debug). */
KCAP_API void kcap_rules_set_min_priority(struct kcap_rules *r, enum kcap_priority p);

/*
 * kcap_rules_syscalls() - the x86_64 syscalls a live capture must select
 * (kcap_open_opts.syscalls) for the compiled rules to see every event they
 * can match, with correct fields: the syscalls of the event types some
 * enabled rule's condition names (evt.type = X, evt.type in (...), through
 * macros, and, or), and those kcap_state_update() needs (fork and clone,
 * exec, the calls that create, duplicate or close descriptors, chdir,
 * credentials and capabilities). Lifecycle events (fork, exec, exit) are
 * needed too (kcap_open_opts without KCAP_OPEN_NO_LIFECYCLE). When some
 * rule's condition does not restrict evt.type in every branch ("not
 * evt.type = open", "evt.type != open", a rule on proc.name only), every
 * syscall is needed: *@all is set and 0 returned. Else *@all is false and
 * the numbers go to @nrs in ascending order; returns how many, -ERANGE if
 * @max is too small (KCAP_SYSCALL_MAX always suffices), -EINVAL if @r is
 * not compiled.
 */
KCAP_API int kcap_rules_syscalls(const struct kcap_rules *r, unsigned int *nrs, size_t max,
				 bool *all);

/*
 * A rule match: what kcap_rules_eval() hands its callback, and what the
 * alert encoders and kcap_exporter_alert() of <kcap/kcap_export.h> take as
 * they are (kcap_export_alert is another name for this struct). From
 * kcap_rules_eval(), every pointer is valid during the callback only;
 * filled by hand, declare it with KCAP_OPTS(kcap_alert, ...).
 */
struct kcap_alert {
	/* size of this struct, for forward/backward compatibility */
	size_t sz;
	union {
		__s64 time_ns; /* the event's time, ns since the epoch */
		__s64 wall_ns; /* the same; the name detection callbacks knew first */
	};
	const char *rule;
	enum kcap_priority priority;
	const char *output; /* the rendered output line */
	const char *const *tags;
	unsigned int nr_tags;
	/*
	 * Output fields, "proc.name" = "bash", as text; "<NA>": the event has
	 * no value (null in Falco's JSON). kcap_rules_eval() gives evt.time
	 * first, as ns since the epoch (as Falco's JSON does), then each field
	 * the output names, once.
	 */
	unsigned int nr_fields;
	const char *const *field_names;
	const char *const *field_values;
	/* optional: non-zero where a value is a number or true/false
	 * (unquoted in JSON); the encoders read this, not field_types */
	const unsigned char *field_numeric;
	/* optional: each value's type (kcap_rules_eval() fills it) */
	const enum kcap_field_type *field_types;
	const char *source; /* NULL: "syscall" */
	/* NULL: the exporter's source's machine (kcap_exporter_alert()), this
	 * machine (the encoders); kcap_rules_eval() leaves it NULL */
	const char *hostname;
	/* the event that matched (kcap_rules_eval()), or NULL */
	const struct kcap_event_hdr *ev;
	/* optional: the flight recorder's file holding the events before this
	 * alert (kcap_flight_trigger()); the encoders write it as flight_file */
	const char *flight_file;
	size_t : 0;
};
#define kcap_alert__last_field flight_file

/* Returns 0 to go on, anything else to stop evaluating this event. */
typedef int (*kcap_alert_fn)(void *ctx, const struct kcap_alert *a);

/*
 * kcap_rules_eval() - evaluate the rules that can match @ev's type (call
 * kcap_state_update() first) and call @fn for each match; @fn may hand the
 * alert to kcap_exporter_alert() or the alert encoders as it is, and must
 * not update @st (the event's field values are read once and kept for all
 * the rules). Returns the number of matches, or a negative errno.
 */
KCAP_API int kcap_rules_eval(struct kcap_rules *r, struct kcap_state *st, struct kcap *h,
			     const struct kcap_event_hdr *ev, kcap_alert_fn fn, void *ctx);

KCAP_API void kcap_rules_free(struct kcap_rules *r);

#ifdef __cplusplus
}
#endif

#endif /* KCAP_KCAP_DETECT_H */
