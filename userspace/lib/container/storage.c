// SPDX-License-Identifier: Apache-2.0
/*
 * containers/storage, the store podman and CRI-O keep their containers in
 * (a graph root, /var/lib/containers/storage, and a run root,
 * /run/containers/storage, as root):
 *
 *   overlay-containers/<id>/userdata/config.json
 *         the OCI spec the manager generated and the runtime (crun, runc)
 *         ran: mounts, process args, capabilities, and the annotations,
 *         "io.container.manager" ("libpod" for podman, "cri-o"),
 *         io.podman.annotations.* (privileged) or CRI-O's
 *         io.kubernetes.cri-o.* (image, metadata, labels, sandbox, ...).
 *         podman writes it in the graph root, CRI-O in both.
 *   overlay-containers/containers.json
 *         [{"id", "names": [name], "image": image id, "created",
 *           "metadata": "{\"image-name\": reference, \"name\": ...}"}]
 *   overlay-images/images.json
 *         [{"id", "names": [references], "digest"}]
 *
 * podman's own state (start time, health, networks) is in its libpod
 * database, a BoltDB file kcap does not read. docs/containers.md says which
 * field comes from which key.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ct.h"

/* The entry of id @id in the JSON array file @path, a new reference in
 * *@out (NULL when the file or the entry is missing). */
static int find_entry(struct kcap_ct_meta *m, const char *path, const char *id, json_t **out)
{
	json_t *root, *e, *eid;
	size_t i;
	int err;

	*out = NULL;
	err = ct_load_array(m, path, &root);
	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	json_array_foreach(root, i, e) {
		if (!json_is_object(e)) {
			json_decref(root);
			return ct_err(m, EINVAL, "%s: an entry is not an object", path);
		}
		if ((err = ct_get(m, e, "id", JSON_STRING, &eid, path))) {
			json_decref(root);
			return err;
		}
		if (eid && !strcmp(json_string_value(eid), id)) {
			*out = json_incref(e);
			break;
		}
	}
	json_decref(root);
	return 0;
}

/* The first string of array member @key of @obj, or NULL. */
static int first_name(struct kcap_ct_meta *m, json_t *obj, const char *what, json_t **name)
{
	json_t *names;
	int err;

	*name = NULL;
	if ((err = ct_get(m, obj, "names", JSON_ARRAY, &names, what)))
		return err;
	if (!names || !json_array_size(names))
		return 0;
	*name = json_array_get(names, 0);
	if (!json_is_string(*name))
		return ct_err(m, EINVAL, "%s: a name is not a string", what);
	return 0;
}

/* Name, image, image id and creation time from containers.json and
 * images.json, where the annotations did not give them. */
static int storage_lists(const struct kcap_ct_paths *p, const char *id, struct kcap_ct_meta *m)
{
	char path[PATH_MAX], when[64];
	json_t *c = NULL, *img = NULL, *name, *image, *md = NULL;
	const char *what = "containers.json";
	json_error_t jerr;
	json_t *mds;
	int err;

	if ((err = ct_path(p, m, path, "%s/overlay-containers/containers.json", p->storage_root)) ||
	    (err = find_entry(m, path, id, &c)) || !c)
		return err;
	if ((err = first_name(m, c, what, &name)))
		goto out;
	if (name && !m->name[0] &&
	    (err = ct_copy(m, m->name, sizeof(m->name), json_string_value(name),
			   json_string_length(name), "containers.json: a name")))
		goto out;
	if ((err = ct_get(m, c, "image", JSON_STRING, &image, what)))
		goto out;
	if (image && !m->image_id[0] &&
	    (err = ct_copy(m, m->image_id, sizeof(m->image_id), json_string_value(image),
			   json_string_length(image), "containers.json: the image id")))
		goto out;
	if (!m->start_ts) {
		if ((err = ct_str(m, c, "created", when, sizeof(when), "containers.json: created")))
			goto out;
		if (when[0] && kcap__ct_parse_time(when, &m->start_ts)) {
			err = ct_err(m, EINVAL, "containers.json: created is not an RFC 3339 time");
			goto out;
		}
	}
	if (m->image[0])
		goto out;
	/* podman's metadata: a JSON text in a string, with the reference as given */
	if ((err = ct_get(m, c, "metadata", JSON_STRING, &mds, what)))
		goto out;
	if (mds) {
		md = json_loadb(json_string_value(mds), json_string_length(mds),
				JSON_REJECT_DUPLICATES, &jerr);
		if (!json_is_object(md)) {
			err = ct_err(m, EINVAL, "containers.json: metadata is not a JSON object");
			goto out;
		}
		if ((err = ct_str(m, md, "image-name", m->image, sizeof(m->image),
				  "containers.json: metadata image-name")))
			goto out;
	}
	if (m->image[0] || !m->image_id[0])
		goto out;
	/* else the image's first name */
	if ((err = ct_path(p, m, path, "%s/overlay-images/images.json", p->storage_root)) ||
	    (err = find_entry(m, path, m->image_id, &img)) || !img)
		goto out;
	if ((err = first_name(m, img, "images.json", &name)))
		goto out;
	if (name)
		err = ct_copy(m, m->image, sizeof(m->image), json_string_value(name),
			      json_string_length(name), "images.json: a name");
out:
	json_decref(md);
	json_decref(img);
	json_decref(c);
	return err;
}

int ct_storage(const struct kcap_ct_paths *p, const char *id, struct kcap_ct_meta *m)
{
	const char *roots[] = {p->storage_root, p->storage_runroot};
	json_t *spec = NULL, *ann, *mgr;
	char path[PATH_MAX];
	size_t i;
	int err = -ENOENT;

	for (i = 0; i < 2 && err == -ENOENT; i++) {
		if (!roots[i])
			continue;
		if ((err = ct_path(p, m, path, "%s/overlay-containers/%s/userdata/config.json",
				   roots[i], id)) == 0)
			err = ct_load(m, path, &spec);
	}
	if (err == -ENOENT)
		return 1;
	if (err)
		return err;
	/* who made it: podman says "libpod", CRI-O "cri-o" */
	snprintf(m->runtime, sizeof(m->runtime), "podman");
	err = ct_get(m, spec, "annotations", JSON_OBJECT, &ann, "config.json");
	if (!err)
		err = ct_get(m, ann, "io.container.manager", JSON_STRING, &mgr, "annotations");
	if (!err && mgr && !strcmp(json_string_value(mgr), "cri-o"))
		snprintf(m->runtime, sizeof(m->runtime), "cri-o");
	if (!err)
		err = ct_oci_spec(m, spec);
	json_decref(spec);
	if (err)
		return err;
	if (m->crio && !strcmp(m->runtime, "podman"))
		snprintf(m->runtime, sizeof(m->runtime), "cri-o");
	if (!p->storage_root)
		return 0;
	return storage_lists(p, id, m);
}
