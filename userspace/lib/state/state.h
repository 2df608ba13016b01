// SPDX-License-Identifier: Apache-2.0
/*
 * Private to libkcap's state/ folder and the layers above it (detect/,
 * export/) and their unit tests: the thread and descriptor tables.
 */
#ifndef KCAP_STATE_H
#define KCAP_STATE_H

#include "internal.h"
#include "capture/capture.h"
#include "kcap_detect.h"
#include "container/container.h"


struct kfd {
	__s32 fd;
	char typechar; /* Falco's fd.typechar: f 4 6 u p e s l i t m d o */
	__u8 l4; /* IPPROTO_TCP, IPPROTO_UDP, 255 raw; 0 unknown */
	bool accepted; /* from accept(): the local end is the server (dip) */
	bool bound; /* bound, not connected: dip:dport is its own (server) address */
	__u16 sport;
	__u16 dport;
	char sip[48];
	char dip[48];
	char *name; /* path, "sip:sport->dip:dport", unix path */
};

struct kfdtab {
	unsigned int refs; /* threads sharing it (one process) */
	unsigned int n;
	unsigned int cap;
	struct kfd *v;
};

struct kthread {
	struct kthread *next; /* hash chain */
	__u32 tid;
	__u32 pid;
	__u32 ppid;
	__u32 vpid;
	__u32 vtid;
	__u32 uid;
	__u32 euid;
	__u32 gid;
	__u32 loginuid;
	__u32 tty;
	bool exited;
	char comm[17];
	char *exe; /* full path of the executable */
	char *argv; /* NUL-separated, argv_len bytes */
	size_t argv_len;
	char *cwd;
	char *cgroup;
	struct kcap_container ct;
	struct kfdtab *fdt;
	__u64 last_ts;
	__u64 start_ts; /* its fork, monotonic ns; 0 unknown (proc.duration) */
	/* ABI 2.2 exec data (has_* false: unknown, e.g. an older capture) */
	bool has_caps;
	bool has_exe_info;
	__u64 cap[3]; /* inheritable, permitted, effective */
	char *env; /* NUL-separated, env_len bytes; NULL if unknown */
	size_t env_len;
	__u64 exe_ino;
	__u64 exe_ctime; /* ns since the epoch */
	__u64 exe_mtime;
	__u64 exec_ts; /* wall ns of the exec (proc.exe_ino.ctime_duration_proc_start) */
	__u32 exe_flags; /* KCAP_EXE_* */
	__u32 sid; /* pid namespace view, as vpid */
	__u32 vpgid;
};

struct kcap_state {
	struct kthread **buckets;
	size_t nbuckets; /* power of two */
	__u32 max_threads;
	__u32 max_fds;
	struct kcap_state_stats stats;
	/* the name buffer of the last descriptor closed, for the next open's
	 * (kst_fd_setname()): an open+close loop allocates nothing */
	char *spare;
	size_t spare_cap;
	struct kcap__aux_cache auxc; /* the rows' parameters by name */
	__s64 boot_wall_ns;
	bool live; /* threads the table misses are looked up in /proc */
	/* deferred to the next update: see kcap_state_update() */
	__u32 pending_exit;
	__u32 pending_close_tid;
	__s32 pending_close_fd;
	__u32 pending_cred_tid;
	int pending_cred_kind; /* 0 none, 1 uid, 2 gid */
	__u32 pending_cred[3]; /* real, effective, saved; -1 unchanged */
	/* user [0] and group [1] names, sorted by id (then file order) */
	struct kname {
		__u32 id;
		__u32 seq;
		char *name;
	} *names[2];
	size_t nr_names[2];
	size_t cap_names[2];
	bool names_given; /* kcap_state_opts named the files */
	/* container metadata (ctmeta.c) */
	struct kst_ct *ct;
	int ct_mode;  /* KCAP_CT_LOOKUP_* */
	bool ct_file; /* seeded from a capture file: never look up */
};

KCAP_HIDDEN struct kthread *kcap__thread(const struct kcap_state *st, __u32 tid);
KCAP_HIDDEN struct kfd *kcap__fd(const struct kthread *th, __s32 fd);
KCAP_HIDDEN const char *kcap__user_name(const struct kcap_state *st, __u32 uid);
KCAP_HIDDEN const char *kcap__group_name(const struct kcap_state *st, __u32 gid);

/* The event types kcap_state_update() changes the tables on (their
 * syscalls must be captured for correct process and descriptor fields),
 * KCAP_EVT_INVALID-terminated; the lifecycle events come on top. */
KCAP_HIDDEN extern const unsigned short kcap__state_types[];

/* Table primitives (state.c) for the event handlers (state_events.c). */
KCAP_HIDDEN void kst_setstr(char **dst, const char *s, size_t n);
/* kst_setstr() of @f's name, in the spare buffer if it fits. */
KCAP_HIDDEN void kst_fd_setname(struct kcap_state *st, struct kfd *f, const char *s, size_t n);
KCAP_HIDDEN void kst_setmem(char **dst, size_t *dlen, const char *s, size_t n);
KCAP_HIDDEN void kst_set_cgroup(struct kthread *t, const char *cg, size_t n);
KCAP_HIDDEN struct kfdtab *kst_fdt_copy(const struct kfdtab *src);
KCAP_HIDDEN void kst_fdt_put(struct kfdtab *t);
KCAP_HIDDEN struct kfd *kst_fd_add(struct kcap_state *st, struct kthread *th, __s32 fd,
				   char typechar);
KCAP_HIDDEN void kst_fd_remove(struct kcap_state *st, __u32 tid, __s32 fd);
KCAP_HIDDEN struct kthread *kst_thread_new(struct kcap_state *st, __u32 tid, __u32 pid);
KCAP_HIDDEN struct kthread *kst_thread_get(struct kcap_state *st, const struct kcap_event_hdr *ev);
KCAP_HIDDEN void kst_thread_remove(struct kcap_state *st, __u32 tid);

/* Container metadata (ctmeta.c; docs/containers.md). */
KCAP_HIDDEN int kst_ct_init(struct kcap_state *st, const struct kcap_state_opts *opts);
KCAP_HIDDEN void kst_ct_free(struct kcap_state *st);
/* An event of container thread @t (t->ct.id set), time @ts: takes in
 * finished lookups, counts the event if its metadata is still missing and
 * asks the worker. Never waits for a file. */
KCAP_HIDDEN void kst_ct_event(struct kcap_state *st, struct kcap *h, const struct kthread *t,
			      __u64 ts);
/* After a live seed: asks about every container of the snapshot at once
 * (queued, not waited for), so their first events more often find it. */
KCAP_HIDDEN void kst_ct_seeded(struct kcap_state *st);
/*
 * kcap__ct_meta() - the metadata of @t's container, NULL when not known yet
 * (then asked for, unless in flight), on the host, or when lookups are off
 * (a capture file's events, KCAP_CT_LOOKUP_NEVER). Valid until the next
 * kcap_state_update().
 */
KCAP_HIDDEN const struct kcap_ct_meta *kcap__ct_meta(struct kcap_state *st, struct kcap *h,
						     const struct kthread *t);
/*
 * kcap__state_new_containers() - kcap_state_write_containers() for any
 * taker: @fn gets the metadata @st learnt since the last call (takes in
 * finished lookups, retries those due; a thread table too large to list
 * what is new: every container of it). 0 or @fn's negative return.
 */
KCAP_HIDDEN int kcap__state_new_containers(struct kcap_state *st,
					   int (*fn)(void *ctx, const struct kcap_ct_meta *m),
					   void *ctx);
/* kcap__ct_waited() - events of container @id (64 hex) counted before its
 * metadata arrived; *@known: whether it has. */
KCAP_HIDDEN __u64 kcap__ct_waited(const struct kcap_state *st, const char *id, bool *known);

#endif /* KCAP_STATE_H */
