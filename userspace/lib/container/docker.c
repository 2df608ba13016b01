// SPDX-License-Identifier: Apache-2.0
/*
 * docker's per-container state, <data-root>/containers/<id>/:
 *
 *   config.v2.json  "Name" ("/web"), "Image" (the image config digest),
 *                   "Path" and "Args" (the command), "Config": {"Image"
 *                   (the reference as given to docker run), "Labels",
 *                   "Healthcheck": {"Test"}}, "State": {"StartedAt"},
 *                   "NetworkSettings": {"IPAddress", "Networks": {name:
 *                   {"IPAddress"}}}, "MountPoints": {dest: {"Source",
 *                   "Destination", "RW", "Propagation", "Name", "Driver"}}
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

/* container.cmdline: "Path" and "Args" joined by spaces, as Falco does. */
static int docker_cmdline(struct kcap_ct_meta *m, json_t *cfg)
{
	json_t *path, *args, *v;
	size_t i;
	int err;

	if ((err = ct_get(m, cfg, "Path", JSON_STRING, &path, "config.v2.json")) ||
	    (err = ct_get(m, cfg, "Args", JSON_ARRAY, &args, "config.v2.json")))
		return err;
	if (path)
		ct_append(m->cmdline, sizeof(m->cmdline), json_string_value(path));
	json_array_foreach(args, i, v) {
		if (!json_is_string(v))
			return ct_err(m, EINVAL, "config.v2.json: an argument is not a string");
		ct_append(m->cmdline, sizeof(m->cmdline), json_string_value(v));
	}
	return 0;
}

/*
 * container.healthcheck from Config.Healthcheck.Test: ["CMD", args...] is
 * the args, ["CMD-SHELL", cmd] is "/bin/sh -c cmd", ["NONE"] (disabled)
 * is "NONE"; an empty Test (inherited from the image, not recorded here)
 * leaves it missing.
 */
static int docker_health(struct kcap_ct_meta *m, json_t *config)
{
	json_t *hc, *test, *v;
	const char *kind;
	size_t i;
	int err;

	if ((err = ct_get(m, config, "Healthcheck", JSON_OBJECT, &hc, "config.v2.json Config")) ||
	    (err = ct_get(m, hc, "Test", JSON_ARRAY, &test, "config.v2.json Healthcheck")))
		return err;
	json_array_foreach(test, i, v) {
		if (!json_is_string(v))
			return ct_err(m, EINVAL, "config.v2.json: Healthcheck.Test is not strings");
	}
	if (!json_array_size(test))
		return 0;
	kind = json_string_value(json_array_get(test, 0));
	if (!strcmp(kind, "NONE")) {
		snprintf(m->healthcheck, sizeof(m->healthcheck), "NONE");
	} else if (!strcmp(kind, "CMD-SHELL")) {
		ct_append(m->healthcheck, sizeof(m->healthcheck), "/bin/sh -c");
		for (i = 1; i < json_array_size(test); i++)
			ct_append(m->healthcheck, sizeof(m->healthcheck),
				  json_string_value(json_array_get(test, i)));
	} else if (!strcmp(kind, "CMD")) {
		for (i = 1; i < json_array_size(test); i++)
			ct_append(m->healthcheck, sizeof(m->healthcheck),
				  json_string_value(json_array_get(test, i)));
	}
	return 0;
}

/* container.ip: NetworkSettings.IPAddress (the default bridge), else the
 * first network's address. */
static int docker_ip(struct kcap_ct_meta *m, json_t *cfg)
{
	json_t *ns, *nets, *net;
	const char *name;
	int err;

	if ((err = ct_get(m, cfg, "NetworkSettings", JSON_OBJECT, &ns, "config.v2.json")) ||
	    (err = ct_str(m, ns, "IPAddress", m->ip, sizeof(m->ip),
			  "config.v2.json: NetworkSettings.IPAddress")) ||
	    (err = ct_get(m, ns, "Networks", JSON_OBJECT, &nets, "config.v2.json NetworkSettings")))
		return err;
	json_object_foreach(nets, name, net) {
		if (m->ip[0])
			break;
		if (!json_is_object(net))
			return ct_err(m, EINVAL, "config.v2.json: network %s is not an object",
				      name);
		if ((err = ct_str(m, net, "IPAddress", m->ip, sizeof(m->ip),
				  "config.v2.json: a network's IPAddress")))
			return err;
	}
	return 0;
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
	if ((err = docker_cmdline(m, cfg)) || (err = docker_health(m, config)))
		return err;
	return docker_ip(m, cfg);
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
