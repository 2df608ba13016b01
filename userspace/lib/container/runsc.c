// SPDX-License-Identifier: Apache-2.0
/*
 * gVisor's runsc keeps one file per container in its root directory (runsc
 * --root; /var/run/runsc as root, /run/containerd/runsc/<namespace> under
 * containerd's runsc shim):
 *
 *   <root>/<container id>_sandbox:<sandbox id>.state
 *
 * a JSON object with "id", "spec" (the OCI runtime spec runsc ran: the
 * annotations of containerd's CRI plugin or CRI-O, mounts, process),
 * "bundleDir", "createdAt" (RFC 3339), "status", "sandbox": {"id", ...}
 * (release 20221219; later releases add members, read the same way). A
 * sandbox's first container has its own id as sandbox id; the other
 * containers of a pod name the pod's sandbox, so the file is found by
 * name: the usual "<id>_sandbox:<id>.state" first, else a bounded scan of
 * the root. Ids hold no ':', so "<id>_sandbox:" starts no other
 * container's file name.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ct.h"

/* Directory entries a scan reads before it gives up. */
#define CT_RUNSC_MAX_ENTRIES 65536

/* Is @name "<id>_sandbox:<sandbox id>.state"? */
static bool state_name(const char *name, const char *id)
{
	static const char mid[] = "_sandbox:", end[] = ".state";
	size_t il = strlen(id), nl = strlen(name), ml = sizeof(mid) - 1, el = sizeof(end) - 1;
	char sb[KCAP_CT_ID_LEN];

	if (nl <= il + ml + el || strncmp(name, id, il) || strncmp(name + il, mid, ml) ||
	    strcmp(name + nl - el, end) || nl - il - ml - el >= sizeof(sb))
		return false;
	memcpy(sb, name + il + ml, nl - il - ml - el);
	sb[nl - il - ml - el] = '\0';
	return ct_valid_id(sb);
}

/*
 * The path of @id's state file under @root into @path: 0, 1 when there is
 * none, or an error (a root that cannot be read, too many entries).
 */
static int find_state(const char *root, const char *id, struct kcap_ct_meta *m, char *path)
{
	struct dirent *de;
	unsigned int n = 0;
	int err = 1;
	DIR *d;

	if (snprintf(path, PATH_MAX, "%s/%s_sandbox:%s.state", root, id, id) >= PATH_MAX)
		return ct_err(m, ENAMETOOLONG, "a state file's path is longer than PATH_MAX");
	if (!access(path, F_OK))
		return 0;
	d = opendir(root);
	if (!d) {
		err = errno;
		if (err == ENOENT || err == ENOTDIR)
			return 1;
		return ct_err(m, err, "%s: %s", root, strerror(err));
	}
	while ((de = readdir(d))) {
		if (++n > CT_RUNSC_MAX_ENTRIES) {
			err = ct_err(m, E2BIG, "%s: more than %u entries", root,
				     CT_RUNSC_MAX_ENTRIES);
			break;
		}
		if (state_name(de->d_name, id)) {
			/* the root's path and the name each fit PATH_MAX: checked above */
			if (snprintf(path, PATH_MAX, "%s/%s", root, de->d_name) >= PATH_MAX)
				err = ct_err(m, ENAMETOOLONG,
					     "a state file's path is longer than PATH_MAX");
			else
				err = 0;
			break;
		}
	}
	closedir(d);
	return err;
}

static int runsc_state(const struct kcap_ct_paths *p, struct kcap_ct_meta *m, json_t *st)
{
	char when[64], id[KCAP_CT_ID_LEN], bundle[PATH_MAX], path[PATH_MAX];
	json_t *spec;
	int err;

	snprintf(m->runtime, sizeof(m->runtime), "runsc");
	if ((err = ct_str(m, st, "id", id, sizeof(id), "runsc state: the id")))
		return err;
	if (strcmp(id, m->id))
		return ct_err(m, EINVAL, "runsc state: \"id\" is not %s", m->id);
	if ((err = ct_str(m, st, "createdAt", when, sizeof(when), "runsc state")))
		return err;
	if (!when[0])
		return ct_err(m, EINVAL, "runsc state: no \"createdAt\" time");
	if (kcap__ct_parse_time(when, &m->start_ts))
		return ct_err(m, EINVAL, "runsc state: \"createdAt\" is not an RFC 3339 time");
	if ((err = ct_get(m, st, "spec", JSON_OBJECT, &spec, "runsc state")))
		return err;
	if (spec)
		return ct_oci_spec(m, spec);
	/* no copy of the spec: the bundle's */
	if ((err = ct_str(m, st, "bundleDir", bundle, sizeof(bundle), "runsc state: the bundle")))
		return err;
	if (!bundle[0])
		return ct_err(m, EINVAL, "runsc state: neither \"spec\" nor \"bundleDir\"");
	if ((err = ct_path(p, m, path, "%s/config.json", bundle)))
		return err;
	err = ct_load(m, path, &spec);
	if (err == -ENOENT)
		return ct_err(m, ENOENT, "%s: runsc's bundle has no config.json", bundle);
	if (err)
		return err;
	err = ct_oci_spec(m, spec);
	json_decref(spec);
	return err;
}

int ct_runsc(const struct kcap_ct_paths *p, const char *root, struct kcap_ct_meta *m)
{
	char path[PATH_MAX];
	json_t *st;
	int err;

	err = find_state(root, m->id, m, path);
	if (err)
		return err;
	err = ct_load(m, path, &st);
	/* deleted between the scan and the read: the container has gone */
	if (err == -ENOENT)
		return 1;
	if (err)
		return err;
	err = runsc_state(p, m, st);
	json_decref(st);
	return err;
}
