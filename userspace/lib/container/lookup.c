// SPDX-License-Identifier: Apache-2.0
/*
 * kcap__ct_lookup(): a container id to its metadata, asking each runtime's
 * state directory in turn (docker first: its containers also have an OCI
 * state directory, with less in it).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ct.h"

const struct kcap_ct_paths kcap__ct_default_paths = {
    .host_root = NULL,
    .docker_root = "/var/lib/docker",
    .oci_roots =
	{
	    "/run/runc",		    /* runc's --root as root */
	    "/run/crun",		    /* crun's --root as root */
	    "/run/containerd/runc/k8s.io",  /* containerd's runc shim, CRI namespace */
	    "/run/containerd/runc/default", /* ctr's namespace */
	    NULL,
	},
};

/* runc's rule for ids: letters, digits, '_', '+', '-', '.'; never "." or "..". */
static bool valid_id(const char *id)
{
	size_t n = strlen(id), i;

	if (!n || n >= KCAP_CT_ID_LEN || !strcmp(id, ".") || !strcmp(id, ".."))
		return false;
	for (i = 0; i < n; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z') ||
		      (id[i] >= '0' && id[i] <= '9') || strchr("_+-.", id[i])))
			return false;
	return true;
}

/*
 * Runs one reader on @dir into @m, cleared first so nothing of an earlier
 * try remains. On failure @m owns nothing and keeps the error sentence.
 */
static int try_dir(const struct kcap_ct_paths *p, const char *id, char *dir,
		   int (*reader)(const struct kcap_ct_paths *, const char *, struct kcap_ct_meta *),
		   struct kcap_ct_meta *m)
{
	int err;

	kcap__ct_meta_release(m);
	memset(m, 0, sizeof(*m));
	snprintf(m->id, sizeof(m->id), "%s", id);
	err = reader(p, dir, m);
	if (!err)
		err = kcap__ct_image_split(m);
	if (err)
		kcap__ct_meta_release(m);
	return err;
}

int kcap__ct_lookup(const struct kcap_ct_paths *paths, const char *id, struct kcap_ct_meta *out)
{
	const struct kcap_ct_paths *p = paths ? paths : &kcap__ct_default_paths;
	char dir[PATH_MAX];
	size_t i;
	int err;

	memset(out, 0, sizeof(*out));
	if (!id || !valid_id(id))
		return ct_err(out, EINVAL, "not a container id");
	if (p->docker_root) {
		if ((err = ct_path(p, out, dir, "%s/containers/%s", p->docker_root, id)))
			return err;
		err = try_dir(p, id, dir, ct_docker, out);
		if (err <= 0)
			return err;
	}
	for (i = 0; i < KCAP_CT_MAX_ROOTS && p->oci_roots[i]; i++) {
		if ((err = ct_path(p, out, dir, "%s/%s", p->oci_roots[i], id)))
			return err;
		err = try_dir(p, id, dir, ct_oci, out);
		if (err <= 0)
			return err;
	}
	kcap__ct_meta_release(out);
	memset(out, 0, sizeof(*out));
	return ct_err(out, ENOENT, "no runtime knows container %s", id);
}
