// SPDX-License-Identifier: Apache-2.0
/*
 * OCI runtimes' state directories, one directory per container id:
 *
 *   runc  <root>/<id>/state.json: "created" (RFC 3339) and "config", the
 *         libcontainer configuration runc applied: mounts with MS_* flags,
 *         capabilities, seccomp, masked paths, and "labels" holding
 *         "bundle=<path>" and every annotation of the bundle's config.json
 *         as "key=value". Everything is read from this one file, so the
 *         bundle need not be visible (another mount namespace, deleted).
 *   crun  <root>/<id>/status: "created" and "bundle"; <root>/<id>/config.json,
 *         crun's copy of the bundle's OCI config.json (read from the bundle
 *         when the copy is missing).
 *
 * container.privileged has no flag in an OCI spec. What docker --privileged,
 * a Kubernetes privileged securityContext (containerd's CRI plugin) and
 * podman --privileged all do to the spec is: every capability, no seccomp
 * profile, no masked paths. kcap calls a container privileged when its
 * bounding set has CAP_SYS_ADMIN, it has no seccomp profile and no masked
 * path (docs/containers.md).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

#include "ct.h"

static int add_mount(struct kcap_ct_meta *m, json_t *src, json_t *dst, bool rw, const char *prop)
{
	struct kcap_ct_mount *mt;
	int err;

	if (!dst)
		return ct_err(m, EINVAL, "a mount has no destination");
	if ((err = ct_mount_new(m, &mt)) || !mt)
		return err;
	mt->rw = rw;
	snprintf(mt->propagation, sizeof(mt->propagation), "%s", prop);
	if (src && (err = ct_copy(m, mt->source, sizeof(mt->source), json_string_value(src),
				  json_string_length(src), "a mount's source")))
		return err;
	return ct_copy(m, mt->dest, sizeof(mt->dest), json_string_value(dst),
		       json_string_length(dst), "a mount's destination");
}

static const char *const oci_propagations[] = {"private", "rprivate", "shared",	    "rshared",
					       "slave",	  "rslave",   "unbindable", "runbindable"};

/* One OCI mount: {"destination", "source", "type", "options": [...]}. */
static int oci_mount(struct kcap_ct_meta *m, json_t *mt)
{
	json_t *src, *dst, *opts, *o;
	const char *prop = "", *s;
	bool rw = true;
	size_t i, k;
	int err;

	if (!json_is_object(mt))
		return ct_err(m, EINVAL, "config.json: a mount is not an object");
	if ((err = ct_get(m, mt, "destination", JSON_STRING, &dst, "config.json mount")) ||
	    (err = ct_get(m, mt, "source", JSON_STRING, &src, "config.json mount")) ||
	    (err = ct_get(m, mt, "options", JSON_ARRAY, &opts, "config.json mount")))
		return err;
	json_array_foreach(opts, i, o) {
		if (!json_is_string(o))
			return ct_err(m, EINVAL, "config.json: a mount option is not a string");
		s = json_string_value(o);
		/* the last of conflicting options wins, as in mount(8) */
		if (!strcmp(s, "ro"))
			rw = false;
		else if (!strcmp(s, "rw"))
			rw = true;
		for (k = 0; k < sizeof(oci_propagations) / sizeof(oci_propagations[0]); k++)
			if (!strcmp(s, oci_propagations[k]))
				prop = oci_propagations[k];
	}
	return add_mount(m, src, dst, rw, prop);
}

/* Does string array @arr hold @s? */
static bool has_string(json_t *arr, const char *s)
{
	json_t *v;
	size_t i;

	json_array_foreach(arr, i, v) {
		if (json_is_string(v) && !strcmp(json_string_value(v), s))
			return true;
	}
	return false;
}

int ct_oci_spec(struct kcap_ct_meta *m, json_t *spec)
{
	json_t *ann, *v, *mounts, *process, *args, *caps, *bounding, *lnx, *seccomp, *masked;
	const char *key;
	size_t i;
	int err;

	if ((err = ct_get(m, spec, "annotations", JSON_OBJECT, &ann, "config.json")))
		return err;
	json_object_foreach(ann, key, v) {
		if (!json_is_string(v))
			return ct_err(m, EINVAL, "config.json: annotation \"%s\" is not a string",
				      key);
		if ((err = ct_annotation(m, key, json_string_value(v), json_string_length(v))))
			return err;
	}
	if ((err = ct_get(m, spec, "mounts", JSON_ARRAY, &mounts, "config.json")))
		return err;
	json_array_foreach(mounts, i, v) {
		if ((err = oci_mount(m, v)))
			return err;
	}
	if ((err = ct_get(m, spec, "process", JSON_OBJECT, &process, "config.json")) ||
	    (err = ct_get(m, process, "args", JSON_ARRAY, &args, "config.json process")))
		return err;
	/* container.cmdline: the process's arguments, cut to fit */
	m->cmdline[0] = '\0';
	json_array_foreach(args, i, v) {
		if (!json_is_string(v))
			return ct_err(m, EINVAL, "config.json: a process argument is not a string");
		ct_append(m->cmdline, sizeof(m->cmdline), json_string_value(v));
	}
	if ((err = ct_get(m, process, "capabilities", JSON_OBJECT, &caps, "config.json process")) ||
	    (err =
		 ct_get(m, caps, "bounding", JSON_ARRAY, &bounding, "config.json capabilities")) ||
	    (err = ct_get(m, spec, "linux", JSON_OBJECT, &lnx, "config.json")) ||
	    (err = ct_get(m, lnx, "seccomp", JSON_OBJECT, &seccomp, "config.json linux")) ||
	    (err = ct_get(m, lnx, "maskedPaths", JSON_ARRAY, &masked, "config.json linux")))
		return err;
	ct_privileged(m, has_string(bounding, "CAP_SYS_ADMIN") && !seccomp &&
			     (!masked || !json_array_size(masked)));
	return 0;
}

static int created(struct kcap_ct_meta *m, json_t *st, const char *file)
{
	char when[64];
	int err;

	if ((err = ct_str(m, st, "created", when, sizeof(when), file)))
		return err;
	if (!when[0])
		return ct_err(m, EINVAL, "%s: no \"created\" time", file);
	if (kcap__ct_parse_time(when, &m->start_ts))
		return ct_err(m, EINVAL, "%s: \"created\" is not an RFC 3339 time", file);
	return 0;
}

/* A libcontainer mount: {"source", "destination", "flags", "propagation_flags"}. */
static int lc_mount(struct kcap_ct_meta *m, json_t *mt)
{
	static const struct {
		unsigned long flag;
		const char *name;
	} props[] = {{MS_PRIVATE, "private"},
		     {MS_SHARED, "shared"},
		     {MS_SLAVE, "slave"},
		     {MS_UNBINDABLE, "unbindable"}};
	json_t *src, *dst, *flags, *pflags, *v;
	const char *prop = "";
	char rprop[16];
	unsigned long f;
	size_t i, k;
	int err;

	if (!json_is_object(mt))
		return ct_err(m, EINVAL, "state.json: a mount is not an object");
	if ((err = ct_get(m, mt, "destination", JSON_STRING, &dst, "state.json mount")) ||
	    (err = ct_get(m, mt, "source", JSON_STRING, &src, "state.json mount")) ||
	    (err = ct_get(m, mt, "flags", JSON_INTEGER, &flags, "state.json mount")) ||
	    (err = ct_get(m, mt, "propagation_flags", JSON_ARRAY, &pflags, "state.json mount")))
		return err;
	json_array_foreach(pflags, i, v) {
		if (!json_is_integer(v))
			return ct_err(m, EINVAL,
				      "state.json: a propagation flag is not an integer");
		f = (unsigned long)json_integer_value(v);
		for (k = 0; k < sizeof(props) / sizeof(props[0]); k++)
			if (f & props[k].flag) {
				snprintf(rprop, sizeof(rprop), "%s%s", f & MS_REC ? "r" : "",
					 props[k].name);
				prop = rprop;
			}
	}
	return add_mount(m, src, dst, !(flags && (json_integer_value(flags) & MS_RDONLY)), prop);
}

/* runc's state.json. */
static int runc_state(struct kcap_ct_meta *m, json_t *st)
{
	json_t *config, *labels, *mounts, *caps, *bounding, *seccomp, *masked, *v;
	const char *s, *eq;
	char key[64];
	size_t i;
	int err;

	snprintf(m->runtime, sizeof(m->runtime), "runc");
	if ((err = created(m, st, "state.json")) ||
	    (err = ct_get(m, st, "config", JSON_OBJECT, &config, "state.json")))
		return err;
	if (!config)
		return ct_err(m, EINVAL, "state.json: no \"config\"");
	if ((err = ct_get(m, config, "labels", JSON_ARRAY, &labels, "state.json config")))
		return err;
	json_array_foreach(labels, i, v) {
		if (!json_is_string(v))
			return ct_err(m, EINVAL, "state.json: a label is not a string");
		s = json_string_value(v);
		eq = strchr(s, '=');
		if (!eq)
			continue;
		/* longer keys are none of the annotations ct_annotation() knows */
		if ((size_t)(eq - s) >= sizeof(key))
			continue;
		memcpy(key, s, (size_t)(eq - s));
		key[eq - s] = '\0';
		err = ct_annotation(m, key, eq + 1, json_string_length(v) - (size_t)(eq - s) - 1);
		if (err)
			return err;
	}
	if ((err = ct_get(m, config, "mounts", JSON_ARRAY, &mounts, "state.json config")))
		return err;
	json_array_foreach(mounts, i, v) {
		if ((err = lc_mount(m, v)))
			return err;
	}
	if ((err = ct_get(m, config, "capabilities", JSON_OBJECT, &caps, "state.json config")) ||
	    (err = ct_get(m, caps, "Bounding", JSON_ARRAY, &bounding, "state.json capabilities")) ||
	    (err = ct_get(m, config, "seccomp", JSON_OBJECT, &seccomp, "state.json config")) ||
	    (err = ct_get(m, config, "mask_paths", JSON_ARRAY, &masked, "state.json config")))
		return err;
	ct_privileged(m, has_string(bounding, "CAP_SYS_ADMIN") && !seccomp &&
			     (!masked || !json_array_size(masked)));
	return 0;
}

/* crun's status, and the spec crun copied next to it (or the bundle's). */
static int crun_status(const struct kcap_ct_paths *p, const char *dir, struct kcap_ct_meta *m,
		       json_t *st)
{
	char bundle[PATH_MAX], path[PATH_MAX];
	json_t *spec;
	int err;

	snprintf(m->runtime, sizeof(m->runtime), "crun");
	if ((err = created(m, st, "status")) ||
	    (err = ct_str(m, st, "bundle", bundle, sizeof(bundle), "status: the bundle")))
		return err;
	if (snprintf(path, sizeof(path), "%s/config.json", dir) >= (int)sizeof(path))
		return ct_err(m, ENAMETOOLONG, "a state file's path is longer than PATH_MAX");
	err = ct_load(m, path, &spec);
	if (err == -ENOENT && bundle[0]) {
		if ((err = ct_path(p, m, path, "%s/config.json", bundle)))
			return err;
		err = ct_load(m, path, &spec);
	}
	if (err == -ENOENT)
		return ct_err(m, ENOENT, "%s: crun's container has no config.json", dir);
	if (err)
		return err;
	err = ct_oci_spec(m, spec);
	json_decref(spec);
	return err;
}

int ct_oci(const struct kcap_ct_paths *p, const char *dir, struct kcap_ct_meta *m)
{
	char path[PATH_MAX];
	json_t *st;
	int err;

	if (snprintf(path, sizeof(path), "%s/state.json", dir) >= (int)sizeof(path))
		return ct_err(m, ENAMETOOLONG, "a state file's path is longer than PATH_MAX");
	err = ct_load(m, path, &st);
	if (!err) {
		err = runc_state(m, st);
		json_decref(st);
		return err;
	}
	if (err != -ENOENT)
		return err;
	snprintf(path, sizeof(path), "%s/status", dir);
	err = ct_load(m, path, &st);
	if (err == -ENOENT)
		return 1;
	if (err)
		return err;
	err = crun_status(p, dir, m, st);
	json_decref(st);
	return err;
}
