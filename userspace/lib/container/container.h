// SPDX-License-Identifier: Apache-2.0
/*
 * Container metadata from the state files container runtimes keep on the
 * node: docker's per-container JSON under its data root, containers/storage
 * (podman, CRI-O), the state directories of runc and crun (also the ones
 * containerd's runc shim uses) and the OCI bundle's config.json with the
 * annotations containerd's CRI plugin or CRI-O writes for a Kubernetes pod.
 * Files only: no daemon API, no network. A lookup worker thread reads them
 * for the event path and watches the state directories (inotify) to find
 * containers as they start. docs/containers.md says which file and key each
 * field comes from.
 *
 * Private to libkcap. The folder uses no other folder of the library.
 */
#ifndef KCAP_LIB_CONTAINER_H
#define KCAP_LIB_CONTAINER_H

#include <stdbool.h>
#include <stdint.h>

#include "internal.h"

/* Bounds: a value longer than its field is an error (-ENAMETOOLONG), never cut. */
#define KCAP_CT_ID_LEN 128	    /* runc accepts any [A-Za-z0-9_+.-] id; CRI ids are 64 hex */
#define KCAP_CT_NAME_LEN 256	    /* docker names, CRI container names */
#define KCAP_CT_IMAGE_LEN 512	    /* image reference as written (repository:tag@digest) */
#define KCAP_CT_TAG_LEN 128	    /* the distribution spec's tag limit */
#define KCAP_CT_DIGEST_LEN 136	    /* "sha512:" + 128 hex */
#define KCAP_CT_K8S_LEN 254	    /* DNS subdomain names (pod, namespace) */
#define KCAP_CT_UID_LEN 40	    /* a pod UID is a 36-character UUID */
#define KCAP_CT_PATH_LEN 1024	    /* a mount's source or destination */
#define KCAP_CT_MAX_MOUNTS 32	    /* mounts kept; nr_mounts_total counts them all */
#define KCAP_CT_MAX_ROOTS 8	    /* state directories searched */
#define KCAP_CT_MAX_FILE (4u << 20) /* a state or config file larger than this is refused */
#define KCAP_CT_IP_LEN 48	    /* an IPv4 or IPv6 address as text */
#define KCAP_CT_CMDLINE_LEN 512	    /* container.cmdline: longer ones are cut (display only) */
#define KCAP_CT_HEALTH_LEN 256	    /* container.healthcheck: longer ones are cut */
#define KCAP_CT_LABELS_LEN 2048	    /* pod labels kept, "key\0value\0" pairs */

struct kcap_ct_paths {
	/*
	 * Prepended to every path below and to the bundle paths the state
	 * files name: "/host" when kcap runs in a pod with the node's root
	 * mounted there. NULL or "" for none.
	 */
	const char *host_root;
	/* docker's data root (dockerd --data-root); NULL to skip docker */
	const char *docker_root;
	/*
	 * OCI runtime state directories (runc --root, crun --root), NULL-ended.
	 * A container directory with state.json is runc's; with status,
	 * crun's.
	 */
	const char *oci_roots[KCAP_CT_MAX_ROOTS + 1];
	/*
	 * containers/storage's graph root and run root (podman, CRI-O; see
	 * storage.c); NULL to skip. Searched after docker, before the OCI
	 * roots (which hold the same containers with less in them).
	 */
	const char *storage_root;
	const char *storage_runroot;
	/*
	 * gVisor's runsc roots (runsc --root), NULL-ended: a file
	 * "<id>_sandbox:<sandbox id>.state" per container (runsc.c). Searched
	 * last; not watched (a sandboxed container is looked up at its first
	 * event).
	 */
	const char *runsc_roots[KCAP_CT_MAX_ROOTS + 1];
};

/* Debian's defaults: docker.io's data root, runc's and crun's root as root,
 * the roots containerd's runc shim uses for the k8s.io and default
 * namespaces, containers/storage's roots as root (podman, CRI-O), and
 * runsc's root as root and those of containerd's runsc shim. */
KCAP_HIDDEN extern const struct kcap_ct_paths kcap__ct_default_paths;

struct kcap_ct_mount {
	char source[KCAP_CT_PATH_LEN];
	char dest[KCAP_CT_PATH_LEN];
	char propagation[16]; /* rprivate, rshared, slave, ...; "" when not set */
	bool rw;
};

struct kcap_ct_meta {
	char id[KCAP_CT_ID_LEN];
	char runtime[16];	       /* "docker", "podman", "cri-o", "runc", "crun", "runsc" */
	char name[KCAP_CT_NAME_LEN];   /* container.name */
	char image[KCAP_CT_IMAGE_LEN]; /* container.image, as the runtime recorded it */
	char image_repository[KCAP_CT_IMAGE_LEN];
	char image_tag[KCAP_CT_TAG_LEN];
	char image_digest[KCAP_CT_DIGEST_LEN];
	char image_id[KCAP_CT_DIGEST_LEN]; /* docker's image config digest, hex */
	bool privileged;
	uint64_t start_ts; /* ns since the epoch; 0 when unknown */
	char pod_name[KCAP_CT_K8S_LEN];
	char pod_namespace[KCAP_CT_K8S_LEN];
	char pod_uid[KCAP_CT_UID_LEN];
	char sandbox_id[KCAP_CT_ID_LEN];
	char container_type[16];      /* CRI: "container" or "sandbox" (the pause container) */
	unsigned int nr_mounts;	      /* entries in mounts */
	unsigned int nr_mounts_total; /* mounts the container has */
	/* the first KCAP_CT_MAX_MOUNTS, owned: kcap__ct_meta_release() frees them */
	struct kcap_ct_mount *mounts;
	char err[KCAP_ERRMSG_LEN]; /* why the last lookup failed */
	/* not the readers': events the consumer (state/) saw of this
	 * container before this result reached it; 0 from a lookup */
	uint64_t waited_events;
	/* added with podman and CRI-O; "" when the runtime does not record them */
	char ip[KCAP_CT_IP_LEN];	      /* container.ip */
	char cmdline[KCAP_CT_CMDLINE_LEN];    /* container.cmdline: the command, args */
	char healthcheck[KCAP_CT_HEALTH_LEN]; /* container.healthcheck (docker) */
	/*
	 * The pod's labels (k8s.pod.labels), sorted by key, as "key\0value\0"
	 * pairs in nr_pod_labels; nr_pod_labels_total counts those that did
	 * not fit too. has_pod_labels: the runtime records them (CRI-O).
	 */
	bool has_pod_labels;
	unsigned int nr_pod_labels, nr_pod_labels_total;
	char pod_labels[KCAP_CT_LABELS_LEN];
	/* the readers' own, while reading */
	unsigned char
	    ann_privileged; /* 0 none, 1 false, 2 true (io.podman.annotations.privileged) */
	bool crio;	    /* CRI-O's annotations seen */
};

/* kcap__ct_pod_label() - the value of pod label @key in @m, NULL if none. */
KCAP_HIDDEN const char *kcap__ct_pod_label(const struct kcap_ct_meta *m, const char *key);

/*
 * kcap__ct_lookup() - fills @out with the metadata of container @id from the
 * first runtime that knows it: docker's data root, containers/storage,
 * each OCI root in order, then each runsc root. @paths NULL means kcap__ct_default_paths. @out is overwritten
 * (release a previous result first); on success it owns its mounts
 * (kcap__ct_meta_release()), on failure it owns nothing. Returns 0, or a negative
 * errno with one sentence in @out->err: -ENOENT no runtime knows @id,
 * -EINVAL a bad id or a state file that is not what the runtime writes
 * (syntax, types), -ENAMETOOLONG a value longer than its field, -EFBIG a
 * file over KCAP_CT_MAX_FILE, -EAGAIN a file that grew while read (try
 * again), -ENOMEM, other errnos from reading the files (ELOOP, EACCES, ...).
 */
KCAP_HIDDEN int kcap__ct_lookup(const struct kcap_ct_paths *paths, const char *id,
				struct kcap_ct_meta *out);

/* kcap__ct_meta_release() - frees what @m owns (its mounts); @m stays valid, without mounts. */
KCAP_HIDDEN void kcap__ct_meta_release(struct kcap_ct_meta *m);

/*
 * kcap__ct_image_split() - container.image.repository, .tag and .digest from
 * an image reference ("host:5000/ns/app:1.2@sha256:..."): the digest after
 * '@', the tag after the last ':' that follows the last '/'. Returns 0 or
 * -ENAMETOOLONG.
 */
KCAP_HIDDEN int kcap__ct_image_split(struct kcap_ct_meta *m);

/* kcap__ct_parse_time() - RFC 3339 time ("2024-05-01T10:00:00.123456789Z",
 * or with a +hh:mm offset) as ns since the epoch. Returns 0 or -EINVAL. */
KCAP_HIDDEN int kcap__ct_parse_time(const char *s, uint64_t *ns);

/*
 * A bounded cache of kcap__ct_lookup() results, least recently used first
 * out. Not thread-safe; one per consumer.
 */
struct kcap_ct_cache;

#define KCAP_CT_CACHE_MAX 65536 /* entries; each about 6 KiB plus its mounts */

/* kcap__ct_cache_new() - a cache of at most @capacity containers looked up
 * under @paths (copied; the strings must outlive the cache; NULL for the
 * defaults). NULL on error, errno EINVAL (capacity 0 or over
 * KCAP_CT_CACHE_MAX) or ENOMEM. */
KCAP_HIDDEN struct kcap_ct_cache *kcap__ct_cache_new(const struct kcap_ct_paths *paths,
						     unsigned int capacity);
KCAP_HIDDEN void kcap__ct_cache_free(struct kcap_ct_cache *c);

/*
 * kcap__ct_cache_get() - @id's metadata, from the cache or looked up (and
 * then cached, evicting the least recently used entry when full). *@meta
 * belongs to the cache and stays valid until the next get or forget.
 * Returns 0 or kcap__ct_lookup()'s error, which is not cached (the
 * container may be found later); kcap__ct_cache_errmsg() says why.
 */
KCAP_HIDDEN int kcap__ct_cache_get(struct kcap_ct_cache *c, const char *id,
				   const struct kcap_ct_meta **meta);
KCAP_HIDDEN const char *kcap__ct_cache_errmsg(const struct kcap_ct_cache *c);

/* kcap__ct_cache_forget() - drops @id (its container is gone); false if not cached. */
KCAP_HIDDEN bool kcap__ct_cache_forget(struct kcap_ct_cache *c, const char *id);
KCAP_HIDDEN unsigned int kcap__ct_cache_size(const struct kcap_ct_cache *c);

/*
 * kcap__ct_cache_find() - @id's cached metadata (now the most recently
 * used), NULL when not cached; never looks up. Valid until the next get,
 * insert or forget.
 */
KCAP_HIDDEN const struct kcap_ct_meta *kcap__ct_cache_find(struct kcap_ct_cache *c, const char *id);

/*
 * kcap__ct_cache_insert() - caches @m, a successful lookup done elsewhere
 * (the worker's), replacing an entry of the same id and evicting the least
 * recently used one when full. The cache takes @m's mounts; @m is left
 * without them. Returns the cached copy.
 */
KCAP_HIDDEN const struct kcap_ct_meta *kcap__ct_cache_insert(struct kcap_ct_cache *c,
							     struct kcap_ct_meta *m);

/*
 * The lookup worker (worker.c): a thread running kcap__ct_lookup() for ids
 * queued by the event path, which never waits for a file. The event path
 * is the only caller of request and results (one consumer); the worker's
 * lock is held for a queue or list operation only, never during file I/O.
 */
struct kcap_ct_worker;

enum kcap_ct_result_kind {
	KCAP_CT_ASKED,	 /* the answer to kcap__ct_worker_request() */
	KCAP_CT_NOTICED, /* a container the watch saw appear or change: found (err 0) */
	KCAP_CT_GONE,	 /* a container directory the watch saw deleted (err -ENOENT) */
};

struct kcap_ct_result {
	struct kcap_ct_result *next;
	enum kcap_ct_result_kind kind;
	int err; /* kcap__ct_lookup()'s return; meta.id is the id asked for either way */
	struct kcap_ct_meta meta;
};

/* Watch the state roots with inotify and deliver containers as they appear
 * (watch.c); without it, the worker answers requests only. */
#define KCAP_CT_WATCH 1u

/* kcap__ct_worker_new() - starts the thread; at most @queue ids wait;
 * @flags 0 or KCAP_CT_WATCH (ignored where inotify cannot be had).
 * NULL with errno (EINVAL, ENOMEM, pthread_create()'s error). */
KCAP_HIDDEN struct kcap_ct_worker *kcap__ct_worker_new(const struct kcap_ct_paths *paths,
						       unsigned int queue, unsigned int flags);

/* kcap__ct_worker_rescan() - asks the thread to look every container of
 * the watched roots up, as after lost inotify events (IN_Q_OVERFLOW). */
KCAP_HIDDEN void kcap__ct_worker_rescan(struct kcap_ct_worker *w);

struct kcap_ct_counters {
	uint64_t noticed; /* KCAP_CT_NOTICED results delivered */
	uint64_t gone;	  /* KCAP_CT_GONE results delivered */
	uint64_t rescans; /* whole rescans (overflow, kcap__ct_worker_rescan()) */
	uint64_t dropped; /* noticed containers not looked up (too many waiting for a
			   * try) or results dropped (too many untaken) */
	bool watching;	  /* the inotify watch runs */
};

/* kcap__ct_worker_counters() - the watch's counters, read without the lock. */
KCAP_HIDDEN void kcap__ct_worker_counters(struct kcap_ct_worker *w, struct kcap_ct_counters *c);

/* kcap__ct_worker_request() - queues @id and returns at once: 0, -EAGAIN
 * when the queue is full, -EINVAL. Deduplication is the caller's (it knows
 * which ids are in flight). */
KCAP_HIDDEN int kcap__ct_worker_request(struct kcap_ct_worker *w, const char *id);

/* kcap__ct_worker_results() - the lookups finished and the containers
 * noticed or gone since the last call, oldest first, a list the caller owns
 * (kcap__ct_result_free()); NULL, without taking the lock, when none. */
KCAP_HIDDEN struct kcap_ct_result *kcap__ct_worker_results(struct kcap_ct_worker *w);
KCAP_HIDDEN void kcap__ct_result_free(struct kcap_ct_result *r);

/* kcap__ct_worker_free() - stops the thread (a lookup under way finishes
 * first), joins it, frees what is queued and unread. NULL is allowed. */
KCAP_HIDDEN void kcap__ct_worker_free(struct kcap_ct_worker *w);

#endif /* KCAP_LIB_CONTAINER_H */
