// SPDX-License-Identifier: Apache-2.0
/*
 * kcap__ct_lookup(): a container id to its metadata, asking each runtime's
 * state directory in turn: docker first, then containers/storage (podman,
 * CRI-O), then the OCI runtimes' roots, since a container of the first
 * three also has an OCI state directory, with less in it; gVisor's runsc
 * roots last (docker's files know more of a docker container runsc ran).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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
    .storage_root = "/var/lib/containers/storage", /* containers/storage's graphroot */
    .storage_runroot = "/run/containers/storage",  /* and runroot, as root */
    .runsc_roots =
	{
	    "/var/run/runsc",		     /* runsc's --root as root */
	    "/run/containerd/runsc/k8s.io",  /* containerd's runsc shim, CRI namespace */
	    "/run/containerd/runsc/default", /* ctr's namespace */
	    NULL,
	},
};

bool ct_valid_id(const char *id)
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

/* try_dir()'s shape for ct_storage(), which finds its files by id. */
static int storage_reader(const struct kcap_ct_paths *p, const char *dir, struct kcap_ct_meta *m)
{
	(void)dir;
	return ct_storage(p, m->id, m);
}

/*
 * A CRI-O container's own labels are kubelet's (io.kubernetes.*); the
 * pod's labels are its sandbox's: looked up once (a sandbox's own sandbox
 * id is itself). A sandbox that cannot be read leaves the labels unknown,
 * not the lookup failed.
 */
static int lookup(const struct kcap_ct_paths *p, const char *id, struct kcap_ct_meta *out,
		  bool follow);

static int sandbox_labels(const struct kcap_ct_paths *p, struct kcap_ct_meta *m, int err,
			  bool follow)
{
	struct kcap_ct_meta *sb;

	if (err || !follow || !m->crio || strcmp(m->container_type, "container") ||
	    !m->sandbox_id[0] || !strcmp(m->sandbox_id, m->id))
		return err;
	m->has_pod_labels = false;
	m->nr_pod_labels = m->nr_pod_labels_total = 0;
	sb = malloc(sizeof(*sb));
	if (!sb)
		return 0;
	/* not followed further: a sandbox naming another is not one */
	if (!lookup(p, m->sandbox_id, sb, false) && !strcmp(sb->container_type, "sandbox")) {
		m->has_pod_labels = sb->has_pod_labels;
		m->nr_pod_labels = sb->nr_pod_labels;
		m->nr_pod_labels_total = sb->nr_pod_labels_total;
		memcpy(m->pod_labels, sb->pod_labels, sizeof(m->pod_labels));
	}
	kcap__ct_meta_release(sb);
	free(sb);
	return 0;
}

int kcap__ct_lookup(const struct kcap_ct_paths *paths, const char *id, struct kcap_ct_meta *out)
{
	return lookup(paths ? paths : &kcap__ct_default_paths, id, out, true);
}

static int lookup(const struct kcap_ct_paths *p, const char *id, struct kcap_ct_meta *out,
		  bool follow)
{
	char dir[PATH_MAX];
	size_t i;
	int err;

	memset(out, 0, sizeof(*out));
	if (!id || !ct_valid_id(id))
		return ct_err(out, EINVAL, "not a container id");
	if (p->docker_root) {
		if ((err = ct_path(p, out, dir, "%s/containers/%s", p->docker_root, id)))
			return err;
		err = try_dir(p, id, dir, ct_docker, out);
		if (err <= 0)
			return err;
	}
	if (p->storage_root || p->storage_runroot) {
		err = try_dir(p, id, NULL, storage_reader, out);
		if (err <= 0)
			return sandbox_labels(p, out, err, follow);
	}
	for (i = 0; i < KCAP_CT_MAX_ROOTS && p->oci_roots[i]; i++) {
		if ((err = ct_path(p, out, dir, "%s/%s", p->oci_roots[i], id)))
			return err;
		err = try_dir(p, id, dir, ct_oci, out);
		if (err <= 0)
			return sandbox_labels(p, out, err, follow);
	}
	for (i = 0; i < KCAP_CT_MAX_ROOTS && p->runsc_roots[i]; i++) {
		if ((err = ct_path(p, out, dir, "%s", p->runsc_roots[i])))
			return err;
		err = try_dir(p, id, dir, ct_runsc, out);
		if (err <= 0)
			return err;
	}
	kcap__ct_meta_release(out);
	memset(out, 0, sizeof(*out));
	return ct_err(out, ENOENT, "no runtime knows container %s", id);
}
