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

/* An annotation or label: the CRI and kubelet keys fill their fields. */
int ct_annotation(struct kcap_ct_meta *m, const char *key, const char *value, size_t value_len);

/* The readers: 0, 1 when @dir holds no container of theirs, or an error. */
int ct_docker(const struct kcap_ct_paths *p, const char *dir, struct kcap_ct_meta *m);
int ct_oci(const struct kcap_ct_paths *p, const char *dir, struct kcap_ct_meta *m);

#endif /* KCAP_LIB_CONTAINER_CT_H */
