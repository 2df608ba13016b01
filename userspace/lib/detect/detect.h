// SPDX-License-Identifier: Apache-2.0
/*
 * Private to libkcap's detect/ folder (fields.c, filter.c, rules*.c), the
 * exporter and their unit tests: field extraction and compiled conditions.
 */
#ifndef KCAP_DETECT_H
#define KCAP_DETECT_H

#include "capture/capture.h"
#include "state/state.h"

/* ---- Fields (fields.c) --------------------------------------------------------- */

/* kcap__field_get() dispatches by family ranges: keep the evt.* ids from
 * F_EVT_TYPE to F_EVT_HOSTNAME and the fd.* ids from F_FD_NUM to F_FD_SOCKFAMILY;
 * the others are the thread's (proc.*, thread.*, user.*, group.*,
 * container.*, k8s.*). */
enum kfield_id {
	F_EVT_TYPE,
	F_EVT_TIME,
	F_EVT_RAWTIME,
	F_EVT_NUM,
	F_EVT_CPU,
	F_EVT_RES,
	F_EVT_RAWRES,
	F_EVT_FAILED,
	F_EVT_DIR,
	F_EVT_ARG,
	F_EVT_RAWARG,
	F_EVT_ARGS,
	F_EVT_IS_OPEN_READ,
	F_EVT_IS_OPEN_WRITE,
	F_EVT_IS_OPEN_EXEC,
	F_EVT_HOSTNAME,
	F_PROC_NAME,
	F_PROC_EXE,
	F_PROC_EXEPATH,
	F_PROC_CMDLINE,
	F_PROC_ARGS,
	F_PROC_PID,
	F_PROC_TID,
	F_PROC_PPID,
	F_PROC_PNAME,
	F_PROC_PEXE,
	F_PROC_PEXEPATH,
	F_PROC_PCMDLINE,
	F_PROC_ANAME,
	F_PROC_AEXE,
	F_PROC_AEXEPATH,
	F_PROC_APID,
	F_PROC_TTY,
	F_PROC_CWD,
	F_PROC_VPID,
	/* ABI 2.2 exec data */
	F_PROC_SNAME,
	F_PROC_SID,
	F_PROC_IS_SID_LEADER,
	F_PROC_VPGID,
	F_PROC_VPGID_NAME,
	F_PROC_VPGID_EXE,
	F_PROC_IS_VPGID_LEADER,
	F_PROC_DURATION,
	F_PROC_ENV,
	F_PROC_EXE_INO,
	F_PROC_EXE_INO_CTIME,
	F_PROC_EXE_INO_MTIME,
	F_PROC_EXE_INO_CTIME_DPS,
	F_PROC_IS_EXE_UPPER,
	F_PROC_IS_EXE_MEMFD,
	F_THREAD_CAP_EFFECTIVE,
	F_THREAD_CAP_PERMITTED,
	F_THREAD_CAP_INHERITABLE,
	F_PROC_NODATA, /* fields kcap has no data for: always missing */
	F_USER_UID,
	F_USER_NAME,
	F_USER_LOGINUID,
	F_USER_LOGINNAME,
	F_GROUP_NAME,
	F_GROUP_GID,
	F_FD_NUM,
	F_FD_NAME,
	F_FD_NAMERAW,
	F_FD_TYPE,
	F_FD_TYPECHAR,
	F_FD_DIRECTORY,
	F_FD_FILENAME,
	F_FD_CIP,
	F_FD_SIP,
	F_FD_LIP,
	F_FD_RIP,
	F_FD_IP,
	F_FD_CPORT,
	F_FD_SPORT,
	F_FD_LPORT,
	F_FD_RPORT,
	F_FD_PORT,
	F_FD_L4PROTO,
	F_FD_CONNECTED,
	F_FD_SOCKFAMILY,
	F_CONTAINER_ID,
	F_CONTAINER_FULL_ID,
	F_CONTAINER_TYPE,
	F_K8S_POD_UID,
	F_CT_NAME, /* from the runtimes' state files (kcap__ct_meta()) */
	F_CT_IMAGE,
	F_CT_IMAGE_REPO,
	F_CT_IMAGE_TAG,
	F_CT_IMAGE_DIGEST,
	F_CT_IMAGE_ID,
	F_CT_PRIVILEGED,
	F_CT_MOUNTS,
	F_CT_MOUNT,
	F_CT_MOUNT_SOURCE,
	F_CT_MOUNT_DEST,
	F_CT_MOUNT_MODE,
	F_CT_MOUNT_RDWR,
	F_CT_MOUNT_PROPAGATION,
	F_CT_START_TS,
	F_K8S_POD_NAME,
	F_K8S_NS_NAME,
	F_CT_IP,
	F_CT_CMDLINE,
	F_CT_HEALTHCHECK,
	F_K8S_POD_LABELS,
	F_K8S_POD_LABEL,
	F_K8S_POD_SANDBOX_ID,
	F_K8S_POD_FULL_SANDBOX_ID,
	F_NR
};

/* A field reference as written: the field and its [N] or [name] argument. */
struct kfieldref {
	enum kfield_id id;
	int idx; /* [N]; -1 none */
	char *arg; /* evt.arg.NAME / [NAME]; NULL none */
	const char *name; /* the field's name in the table */
	__u32 flags; /* the field's KCAP_FF_* */
	enum kcap_field_type type;
};

/* One extracted value. */
struct kval {
	enum kcap_field_type type;
	const char *s; /* KCAP_FT_STR, KCAP_FT_IP: not NUL-terminated */
	size_t len;
	__s64 n; /* KCAP_FT_INT, KCAP_FT_BOOL */
};

/* What an event's fields are extracted from. */
struct kevctx {
	struct kcap_state *st;
	struct kcap *h;
	const struct kcap_event_hdr *ev;
	const struct kcap_event_desc *desc;
	struct kthread *th;
	const struct kcap_ct_meta *ctm; /* th's container metadata, once asked (ctm_done) */
	bool ctm_done;
	struct kfd *fd;
	struct kfd tmpfd; /* a failed open's path, an fd the table does not know */
	char tmpname[4096];
	bool fd_done;
	/* per event, computed on first use: rules ask for them again and again */
	const char *type_name; /* evt.type */
	size_t type_len;
	signed char open_rw; /* -1 unknown, else bit 0 read, bit 1 write */
	/* the row's aux (parameters by name: kcap__row_aux.pidx), once asked */
	const struct kcap__row_aux *aux;
	struct kcap__row_aux pscratch; /* for a row nobody stores */
	struct kcap__aux_cache auxc; /* across events */
	/* kcap__evt_key() of the event, and whether evt.type is the name the
	 * key stands for (kcap__key_names()): key_state 0 not worked out yet,
	 * 1 the key is known, 2 exactness known too */
	unsigned int key;
	unsigned char key_state;
	bool key_exact;
	__u64 num;
	char buf[4][4096]; /* scratch, one per value in use */
	unsigned int nbuf;
	char typechar[2]; /* fd.typechar */
	/* Values of the fields without an argument, by field id, kept for the
	 * event once extracted: a rule set asks for fd.name and proc.name
	 * dozens of times per event. fc_done: extracted (fc_ok: and present);
	 * a value built in a scratch buffer is copied to keep[] first. */
	__u64 fc_done[(F_NR + 63) / 64];
	__u64 fc_ok[(F_NR + 63) / 64];
	struct kval fc[F_NR];
	char keep[16384];
	size_t nkeep;
	/* The last number rendered by name (O_RDONLY|O_CLOEXEC), kept across
	 * events, which repeat it: the context is calloc'd, param[0] is 0
	 * until then. */
	struct {
		unsigned int type;
		__s64 n;
		char param[32];
		char text[256];
	} lastsym;
};

KCAP_HIDDEN void kcap__evctx_init(struct kevctx *c, struct kcap_state *st, struct kcap *h,
				  const struct kcap_event_hdr *ev, __u64 num);

/* Parses "proc.aname[2]", "evt.arg.uid" at @s; returns bytes used, 0 if no field. */
KCAP_HIDDEN size_t kcap__field_parse(const char *s, struct kfieldref *ref, const char **err);
KCAP_HIDDEN bool kcap__field_multi(const struct kfieldref *ref);
/* Does @ref read the thread table (or the recording's wall clock)? */
KCAP_HIDDEN bool kcap__field_stateful(const struct kfieldref *ref);

/*
 * Value number @nth of a field (more than one only for kcap__field_multi()
 * fields). Returns true with @v set, false when there is no such value.
 */
KCAP_HIDDEN bool kcap__field_get(struct kevctx *c, const struct kfieldref *ref, unsigned int nth,
				 struct kval *v);

/* kcap__field_get(@c, @ref, 0, @v), with the value the event already has
 * read inline. */
static inline bool kcap__field_value(struct kevctx *c, const struct kfieldref *ref,
				     struct kval *v)
{
	unsigned int w = ref->id / 64;
	__u64 bit = 1ULL << (ref->id % 64);

	if (!(c->fc_done[w] & bit) || ref->idx >= 0 || ref->arg)
		return kcap__field_get(c, ref, 0, v);
	if (!(c->fc_ok[w] & bit))
		return false;
	*v = c->fc[ref->id];
	return true;
}

/* The value as text ("<NA>" when absent) into @buf; returns the length. */
KCAP_HIDDEN size_t kcap__field_render(struct kevctx *c, const struct kfieldref *ref, char *buf,
				      size_t len);

/* The evt.type names of an event (one or two: "openat" decoded, syscall). */
KCAP_HIDDEN const char *kcap__evt_type(struct kevctx *c);

/* Whether evt.type of the event is kcap__key_names()[c->key] (sets
 * c->key and c->key_exact). */
KCAP_HIDDEN bool kcap__evctx_key_exact(struct kevctx *c);

/* The evt.type every event of key k has (kcap__evt_key()), NULL for none,
 * with its length: decoded types by the built-in table, syscalls by the
 * x86_64 table ("syscall" for a number it does not name). */
struct kkeyname {
	const char *s;
	size_t len;
};
KCAP_HIDDEN const struct kkeyname *kcap__key_names(void);

/* ---- Conditions (filter.c) ------------------------------------------------------- */

struct kfilter;
struct kcond_env; /* rules.c: macros and lists by name */

/*
 * A shared node (a macro: refs > 1) is evaluated once per event, its
 * result kept for the other rules that use it: num is the event
 * (kevctx.num, unique per event of the one context that evaluates the
 * tree), val the result.
 */
struct kmemo {
	__u64 num;
	bool val;
};

/* Set of event-type keys a condition can match: decoded and lifecycle
 * types 0..255, generic syscalls 256 + nr. */
#define KEVT_KEYS 1024
struct ktypeset {
	__u64 bits[KEVT_KEYS / 64];
	bool all;
};

/* The key of @ev in a ktypeset. */
KCAP_HIDDEN unsigned int kcap__evt_key(const struct kcap_event_hdr *ev);

/* Resolver callbacks of the parser (rules.c provides macros and lists). */
struct kcond_env {
	/* a macro's compiled condition, NULL if unknown; may set *err */
	struct kfilter *(*macro)(void *ctx, const char *name, size_t len, const char **err);
	/* a list's items, NULL if unknown */
	const char *const *(*list)(void *ctx, const char *name, size_t len, size_t *n);
	void *ctx;
};

/*
 * Parses and compiles @text. On error returns NULL, *err_off is the byte
 * offset in @text and @err holds the message.
 */
KCAP_HIDDEN struct kfilter *kcap__filter_compile(const char *text, const struct kcond_env *env,
						 char *err, size_t errlen, size_t *err_off);
/* A shared reference to a macro's filter in another filter. */
KCAP_HIDDEN struct kfilter *kcap__filter_ref(struct kfilter *f);
/* a and not b (exceptions); takes both references. */
KCAP_HIDDEN struct kfilter *kcap__filter_and_not(struct kfilter *a, struct kfilter *b);
/* Builds the programs kcap__filter_eval() runs (for @f and the shared nodes
 * under it), once the tree is complete; 0 or -ENOMEM. */
KCAP_HIDDEN int kcap__filter_prepare(struct kfilter *f);
/* Is @f (prepared) true for the event of @c? Shared nodes keep their
 * result for the event (c->num): the tree is evaluated by this context
 * only. */
KCAP_HIDDEN bool kcap__filter_eval(struct kfilter *f, struct kevctx *c);
KCAP_HIDDEN void kcap__filter_types(struct kfilter *f, struct ktypeset *ts);
/* interest.c: kcap_filter_syscalls() for the type set @ts of a filter. */
KCAP_HIDDEN int kcap__filter_syscalls(const struct ktypeset *ts, unsigned int *nrs, size_t max,
				      bool *all);
/* The memos of the shared nodes @f's conjunction is made of (open_write
 * and container in "open_write and container and ..."), up to
 * KCAP_GUARDS, into @g; returns how many. When one of them is already
 * false for an event, so is @f. */
#define KCAP_GUARDS 4
KCAP_HIDDEN unsigned int kcap__filter_guards(const struct kfilter *f, const struct kmemo **g);
KCAP_HIDDEN void kcap__filter_free(struct kfilter *f);
/* Does any check of @f read a kcap__field_stateful() field? */
KCAP_HIDDEN bool kcap__filter_stateful(const struct kfilter *f);
/* filter_cmp.c: "a.b.c.d" (exactly that) of @n bytes of @s into @addr. */
KCAP_HIDDEN bool kcap__ip4_fast(const char *s, size_t n, __u8 *addr);

/* A comparison node built directly (exceptions): field OP values. */
KCAP_HIDDEN struct kfilter *kcap__filter_cmp(const char *field, const char *op,
					     const char *const *vals, size_t n, char *err,
					     size_t errlen);
KCAP_HIDDEN struct kfilter *kcap__filter_bool(bool is_and, struct kfilter **kids, size_t n);

#endif /* KCAP_DETECT_H */
