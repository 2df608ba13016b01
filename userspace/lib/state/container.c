// SPDX-License-Identifier: Apache-2.0
/*
 * Container identity from cgroup paths. Runtimes name a container's cgroup
 * after its 64-hex id:
 *   docker      /docker/<id>, /system.slice/docker-<id>.scope
 *   containerd  /kubepods/<qos>/pod<uid>/<id>,
 *               /kubepods.slice/kubepods-<qos>.slice/
 *                 kubepods-<qos>-pod<uid_with_underscores>.slice/cri-containerd-<id>.scope
 *   CRI-O       .../crio-<id>.scope
 *   podman      /machine.slice/libpod-<id>.scope, .../libpod-<id>
 * A bare 64-hex component under kubepods is a CRI container of an
 * unnamed runtime. container.id is the first 12 hex digits (Falco's
 * convention); "host" when no component matches.
 *
 * "gvisor:<id>" is not a cgroup path: libkcap's gVisor sink writes it as
 * the cgroup of a sandboxed process's exec (KCAP_EVF_GVISOR events), <id>
 * being the sandbox container's id (up to 64 of [A-Za-z0-9_.+-]: a CRI id
 * is 64 hex digits, runsc's own may be any name); runtime "gvisor".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kcap_detect.h"

#define ID_LEN 64

static bool is_hex_run(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

struct prefix {
	const char *prefix;
	const char *runtime;
};

static const struct prefix prefixes[] = {
	{ "docker-", "docker" },
	{ "cri-containerd-", "containerd" },
	{ "crio-", "cri-o" },
	{ "libpod-", "podman" },
};

/* One path component @s of @n bytes: a container id? */
static bool match_component(const char *s, size_t n, bool kube, struct kcap_container *c)
{
	size_t i, pl;

	if (n == ID_LEN && is_hex_run(s, n)) {
		memcpy(c->id, s, ID_LEN);
		snprintf(c->runtime, sizeof(c->runtime), "%s", kube ? "cri" : "docker");
		return true;
	}
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		pl = strlen(prefixes[i].prefix);
		if (n < pl + ID_LEN || strncmp(s, prefixes[i].prefix, pl) || !is_hex_run(s + pl, ID_LEN))
			continue;
		/* "<id>" or "<id>.scope"; not conmon's "libpod-conmon-<id>" */
		if (n != pl + ID_LEN && (n != pl + ID_LEN + 6 || strncmp(s + pl + ID_LEN, ".scope", 6)))
			continue;
		memcpy(c->id, s + pl, ID_LEN);
		snprintf(c->runtime, sizeof(c->runtime), "%s", prefixes[i].runtime);
		return true;
	}
	return false;
}

/* "pod<uid>" (cgroupfs) or "kubepods-<qos>-pod<uid_>.slice" (systemd). */
static void match_pod(const char *s, size_t n, struct kcap_container *c)
{
	const char *p = NULL;
	size_t i, len;

	for (i = 0; i + 3 <= n; i++)
		if (!strncmp(s + i, "pod", 3) && (i == 0 || s[i - 1] == '-'))
			p = s + i + 3;
	if (!p)
		return;
	len = (size_t)(s + n - p);
	if (len > 6 && !strncmp(p + len - 6, ".slice", 6))
		len -= 6;
	if (len != 36)
		return;
	for (i = 0; i < len; i++) {
		char ch = p[i] == '_' ? '-' : p[i];

		if (ch != '-' && !is_hex_run(&ch, 1))
			return;
		c->pod_uid[i] = ch;
	}
	c->pod_uid[len] = '\0';
}

/* "gvisor:<id>": 0, or -ENOENT if the id is empty, too long or not a name. */
static int from_gvisor(const char *id, struct kcap_container *c)
{
	size_t i, n = strlen(id);

	if (!n || n > ID_LEN)
		return -ENOENT;
	for (i = 0; i < n; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'z') ||
		      (id[i] >= 'A' && id[i] <= 'Z') || strchr("_.+-", id[i])))
			return -ENOENT;
	memcpy(c->id, id, n);
	memcpy(c->short_id, id, n < 12 ? n : 12);
	snprintf(c->runtime, sizeof(c->runtime), "gvisor");
	return 0;
}

int kcap_container_from_cgroup(const char *cgroup, struct kcap_container *c)
{
	const char *s = cgroup ? cgroup : "", *line, *comp;
	bool found = false;

	memset(c, 0, sizeof(*c));
	if (!strncmp(s, "gvisor:", 7)) {
		if (!from_gvisor(s + 7, c))
			return 0;
		memset(c, 0, sizeof(*c));
		snprintf(c->short_id, sizeof(c->short_id), "host");
		return -ENOENT;
	}
	for (line = s; *line && !found; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : "") {
		size_t llen = strcspn(line, "\n");
		bool kube = memmem(line, llen, "kubepods", 8) != NULL;

		for (comp = line; comp < line + llen;) {
			size_t n = strcspn(comp, "/\n");

			if (kube && !found)
				match_pod(comp, n, c);
			if (!found && match_component(comp, n, kube, c))
				found = true;
			comp += n + 1;
		}
		if (!found)
			c->pod_uid[0] = '\0';
	}
	if (!found) {
		memset(c, 0, sizeof(*c));
		snprintf(c->short_id, sizeof(c->short_id), "host");
		return -ENOENT;
	}
	memcpy(c->short_id, c->id, 12);
	c->short_id[12] = '\0';
	return 0;
}
