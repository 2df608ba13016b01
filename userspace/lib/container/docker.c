// SPDX-License-Identifier: Apache-2.0
/*
 * docker's per-container state, <data-root>/containers/<id>/:
 *
 *   config.v2.json  "Name" ("/web"), "Image" (the image config digest),
 *                   "Config": {"Image" (the reference as given to docker
 *                   run), "Labels"}, "State": {"StartedAt"}, "MountPoints":
 *                   {dest: {"Source", "Destination", "RW", "Propagation",
 *                   "Name", "Driver"}}
 *   hostconfig.json "Privileged"
 *
 * dockerd writes both when a container is created and rewrites them as its
 * state changes (docs/containers.md). A named volume of the local driver
 * may have no "Source": its data lives in <data-root>/volumes/<name>/_data.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ct.h"

static int docker_mount(const struct kcap_ct_paths *p, struct kcap_ct_meta *m, json_t *mp)
{
	json_t *src, *dst, *rw, *prop, *name, *driver;
	struct kcap_ct_mount *mt;
	int err, n;

	if (!json_is_object(mp))
		return ct_err(m, EINVAL, "config.v2.json: a mount point is not an object");
	if ((err = ct_get(m, mp, "Source", JSON_STRING, &src, "config.v2.json mount point")) ||
	    (err = ct_get(m, mp, "Destination", JSON_STRING, &dst, "config.v2.json mount point")) ||
	    (err = ct_get(m, mp, "RW", JSON_TRUE, &rw, "config.v2.json mount point")) ||
	    (err =
		 ct_get(m, mp, "Propagation", JSON_STRING, &prop, "config.v2.json mount point")) ||
	    (err = ct_get(m, mp, "Name", JSON_STRING, &name, "config.v2.json mount point")) ||
	    (err = ct_get(m, mp, "Driver", JSON_STRING, &driver, "config.v2.json mount point")))
		return err;
	if (!dst)
		return ct_err(m, EINVAL, "config.v2.json: a mount point has no Destination");
	if ((err = ct_mount_new(m, &mt)) || !mt)
		return err;
	mt->rw = rw && json_is_true(rw);
	if ((err = ct_copy(m, mt->dest, sizeof(mt->dest), json_string_value(dst),
			   json_string_length(dst), "a mount's destination")))
		return err;
	if (prop &&
	    (err = ct_copy(m, mt->propagation, sizeof(mt->propagation), json_string_value(prop),
			   json_string_length(prop), "a mount's propagation")))
		return err;
	if (src && json_string_length(src)) {
		err = ct_copy(m, mt->source, sizeof(mt->source), json_string_value(src),
			      json_string_length(src), "a mount's source");
	} else if (name && json_string_length(name) && driver &&
		   !strcmp(json_string_value(driver), "local")) {
		n = snprintf(mt->source, sizeof(mt->source), "%s/volumes/%s/_data", p->docker_root,
			     json_string_value(name));
		if (n < 0 || (size_t)n >= sizeof(mt->source))
			err = ct_err(m, ENAMETOOLONG, "a volume's path is longer than %zu bytes",
				     sizeof(mt->source) - 1);
	}
	return err;
}

static int docker_config(const struct kcap_ct_paths *p, struct kcap_ct_meta *m, json_t *cfg)
{
	json_t *config, *labels, *state, *mps, *v;
	char started[64], image_id[KCAP_CT_DIGEST_LEN];
	const char *key, *colon;
	int err;

	if ((err = ct_str(m, cfg, "Name", m->name, sizeof(m->name), "config.v2.json: Name")) ||
	    (err = ct_str(m, cfg, "Image", image_id, sizeof(image_id), "config.v2.json: Image")) ||
	    (err = ct_get(m, cfg, "Config", JSON_OBJECT, &config, "config.v2.json")) ||
	    (err = ct_str(m, config, "Image", m->image, sizeof(m->image),
			  "config.v2.json: Config.Image")) ||
	    (err = ct_get(m, config, "Labels", JSON_OBJECT, &labels, "config.v2.json Config")) ||
	    (err = ct_get(m, cfg, "State", JSON_OBJECT, &state, "config.v2.json")) ||
	    (err = ct_str(m, state, "StartedAt", started, sizeof(started),
			  "config.v2.json: State.StartedAt")) ||
	    (err = ct_get(m, cfg, "MountPoints", JSON_OBJECT, &mps, "config.v2.json")))
		return err;
	/* docker names start with '/' (the legacy link hierarchy); Falco drops it */
	if (m->name[0] == '/')
		memmove(m->name, m->name + 1, strlen(m->name));
	colon = strchr(image_id, ':');
	snprintf(m->image_id, sizeof(m->image_id), "%s", colon ? colon + 1 : image_id);
	/* Go's zero time: created, never started */
	if (started[0] && strncmp(started, "0001-01-01T", 11) &&
	    kcap__ct_parse_time(started, &m->start_ts))
		return ct_err(m, EINVAL, "config.v2.json: State.StartedAt is not an RFC 3339 time");
	json_object_foreach(labels, key, v) {
		if (!json_is_string(v))
			return ct_err(m, EINVAL, "config.v2.json: label \"%s\" is not a string",
				      key);
		if ((err = ct_annotation(m, key, json_string_value(v), json_string_length(v))))
			return err;
	}
	json_object_foreach(mps, key, v) {
		if ((err = docker_mount(p, m, v)))
			return err;
	}
	return 0;
}

int ct_docker(const struct kcap_ct_paths *p, const char *dir, struct kcap_ct_meta *m)
{
	char path[PATH_MAX];
	json_t *cfg, *host, *priv;
	int err;

	if (snprintf(path, sizeof(path), "%s/config.v2.json", dir) >= (int)sizeof(path))
		return ct_err(m, ENAMETOOLONG, "a state file's path is longer than PATH_MAX");
	err = ct_load(m, path, &cfg);
	if (err == -ENOENT)
		return 1;
	if (err)
		return err;
	snprintf(m->runtime, sizeof(m->runtime), "docker");
	err = docker_config(p, m, cfg);
	json_decref(cfg);
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/hostconfig.json", dir);
	err = ct_load(m, path, &host);
	if (err == -ENOENT)
		return ct_err(m, ENOENT, "%s: docker's container has no hostconfig.json", dir);
	if (err)
		return err;
	err = ct_get(m, host, "Privileged", JSON_TRUE, &priv, "hostconfig.json");
	if (!err)
		m->privileged = priv && json_is_true(priv);
	json_decref(host);
	return err;
}
