// SPDX-License-Identifier: Apache-2.0
/*
 * Private to userspace/lib/container/: bounded file reading, typed and
 * bounded access to JSON values (jansson), the error sentence, and the
 * per-runtime readers lookup.c dispatches to.
 */
#ifndef KCAP_LIB_CONTAINER_CT_H
#define KCAP_LIB_CONTAINER_CT_H

#include <jansson.h>
#include <limits.h>

#include "container.h"

/* Sets @m->err and returns -@err. */
int ct_err(struct kcap_ct_meta *m, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* @buf = host_root + printf(@fmt): -ENAMETOOLONG past PATH_MAX. */
int ct_path(const struct kcap_ct_paths *p, struct kcap_ct_meta *m, char *buf, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * The JSON object in file @path, at most KCAP_CT_MAX_FILE bytes, a regular
 * file (a FIFO or device is refused without blocking). -ENOENT is returned
 * without touching @m->err so callers can try the next place.
 */
int ct_load(struct kcap_ct_meta *m, const char *path, json_t **root);
/* The same for a file holding a JSON array. */
int ct_load_array(struct kcap_ct_meta *m, const char *path, json_t **root);

/*
 * Member @key of object @obj if it has type @type; *@out NULL when absent
 * or JSON null; -EINVAL (message names @what) for another type.
 */
int ct_get(struct kcap_ct_meta *m, json_t *obj, const char *key, json_type type, json_t **out,
	   const char *what);

/* String member @key copied into @dst[@len] ("" when absent or null). */
int ct_str(struct kcap_ct_meta *m, json_t *obj, const char *key, char *dst, size_t len,
	   const char *what);

/* @src copied into @dst[@len]; -ENAMETOOLONG when it does not fit. */
int ct_copy(struct kcap_ct_meta *m, char *dst, size_t len, const char *src, size_t n,
	    const char *what);

/*
 * The next mount's slot, zeroed, counted in nr_mounts_total and nr_mounts;
 * *@mt NULL (and 0) once KCAP_CT_MAX_MOUNTS are kept, -ENOMEM.
 */
int ct_mount_new(struct kcap_ct_meta *m, struct kcap_ct_mount **mt);

/*
 * An annotation or label: the CRI (containerd, CRI-O), kubelet and podman
 * keys fill their fields.
 */
int ct_annotation(struct kcap_ct_meta *m, const char *key, const char *value, size_t value_len);

/* container.privileged from the spec's look (@looks) unless an annotation said. */
void ct_privileged(struct kcap_ct_meta *m, bool looks);

/* @src appended to @dst[@len] after a space, cut to fit (display fields). */
void ct_append(char *dst, size_t len, const char *src);

/* The pod labels of JSON object @labels (io.kubernetes.cri-o.Labels), sorted. */
int ct_pod_labels(struct kcap_ct_meta *m, json_t *labels, const char *what);

/* runc's rule for ids: letters, digits, '_', '+', '-', '.'; never "." or "..". */
bool ct_valid_id(const char *id);

/* An OCI runtime spec (config.json): annotations, mounts, command,
 * privileged (oci.c). */
int ct_oci_spec(struct kcap_ct_meta *m, json_t *spec);

/* The readers: 0, 1 when @dir holds no container of theirs, or an error. */
int ct_docker(const struct kcap_ct_paths *p, const char *dir, struct kcap_ct_meta *m);
int ct_oci(const struct kcap_ct_paths *p, const char *dir, struct kcap_ct_meta *m);
/* gVisor's runsc: @m->id's state file in runsc root @dir. */
int ct_runsc(const struct kcap_ct_paths *p, const char *dir, struct kcap_ct_meta *m);
/* containers/storage (podman, CRI-O): @id under p->storage_root/_runroot. */
int ct_storage(const struct kcap_ct_paths *p, const char *id, struct kcap_ct_meta *m);

/* The lookup worker's side of the watch (worker.c, watch.c). */
struct ct_watch;
uint64_t ct_now_ns(void);
struct ct_watch *ct_watch_new(struct kcap_ct_worker *w, const struct kcap_ct_paths *p);
void ct_watch_free(struct ct_watch *cw);
void ct_watch_start(struct ct_watch *cw);
int ct_watch_fd(const struct ct_watch *cw);
void ct_watch_events(struct ct_watch *cw);
void ct_watch_rescan(struct ct_watch *cw);
/* ms until the next retry is due, -1 when none */
int ct_watch_due(const struct ct_watch *cw);
/* Looks @id up and delivers it as noticed: 0 or kcap__ct_lookup()'s error. */
int ct_worker_notice(struct kcap_ct_worker *w, const char *id);
void ct_worker_gone(struct kcap_ct_worker *w, const char *id);
void ct_worker_counted_rescan(struct kcap_ct_worker *w);
void ct_worker_counted_drop(struct kcap_ct_worker *w);

#endif /* KCAP_LIB_CONTAINER_CT_H */
