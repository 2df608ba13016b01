// SPDX-License-Identifier: Apache-2.0
/*
 * Container metadata (userspace/lib/container/): lookups over state files
 * Debian's runc 1.1.5 and crun 1.8.1 wrote for four containers each (plain,
 * Kubernetes pod annotations, privileged, bind mounts) and over docker files
 * written by hand from docker's on-disk format (tests/unit/fixtures/ct/
 * README.md); then bad input, each in a scratch host root: truncated JSON,
 * wrong types, huge values, missing files, symlink loops, FIFOs, deep
 * nesting, duplicate keys; and the bounded LRU cache of lookups.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "container/container.h"
#include "unit.h"

#define FIX KCAP_TEST_FIXTURES "/ct"

/* The ids the runtimes ran the fixture containers under. */
#define RUNC_PLAIN "61b0a049c9cd6e3388b45a9836ed64b6bf547cbd3e520668680d34c2ba97c750"
#define RUNC_POD "e1f819fabf7946c4beb36aceb5cf7b814797aaf49c34b65db91b3290713d5c98"
#define RUNC_PRIV "6a7eb6766f747160e9d56fa45bdff3e33d5e395cf495401759fe8afe9a30278d"
#define RUNC_BIND "957948160df59db504b30e5cb46e232d6f56de902b68fc51c5a306fc075625a6"
#define CRUN_PLAIN "ecfd452d3622fbc8ce4940ff29955a10892864994b1aaee1caa852c2809a6b94"
#define CRUN_POD "499d924c47d83a79206b70213a07273ae03066b14c53aa39a6bfba2a9ab4ec8f"
#define CRUN_PRIV "b1d3a94698da988acbb7677b95d8d40d07773f3bc16200adbb8e5d1edbf441b8"
#define CRUN_BIND "be012245a265680c1936248e9932a5a83408a6009055d5a5250d016b03a0c4e7"
#define DOCKER_WEB "3f9c2b7a5d6e4f1a8b0c9d2e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a"
#define DOCKER_PRIV "c0ffee0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
#define ID64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
/* podman 4.3.1 with runc 1.1.5 (fixtures README): kcap-web, kcap-priv */
#define PODMAN_WEB "eab399e61beb11c4ae56ab101a042d4b3ed54ef5ce3153122d8ae8fa2c4eb3a6"
#define PODMAN_PRIV "c5507a542432ddb54d9e092bb307c86fe57d633c5d8552220851b530de33f124"
#define PODMAN_IMAGE "40b22456540ad234f65f7e5ba0a219ea3aed9f738fb58b671aa94f658d42115a"
/* CRI-O, written by hand from its annotation keys: a pod's sandbox, its
 * container in containers/storage, another known to runc only */
#define CRIO_SB "7f3c9a1e5b2d4c6f8a0e1b3d5f7a9c2e4b6d8f0a1c3e5a7b9d2f4e6a8c0b1d3f"
#define CRIO_CT "2d8e4a6c0f1b3d5e7a9c1e3f5b7d9a2c4e6f8b0d2a4c6e8f0b2d4a6c8e0f1a3b"
#define CRIO_RUNC "9b1d3f5a7c9e2b4d6f8a0c2e4b6d8f1a3c5e7b9d0f2a4c6e8b1d3f5a7c9e0b2d"
#define CRIO_POD "shop-api-6c9f7d8b4-q8kzt"
#define CRIO_UID "3b8f2c1d-6e4a-4f9b-8c7d-1a2b3c4d5e6f"
/* Debian's runsc 20221219 (fixtures README): a plain container, a pod's
 * sandbox and a container of that pod (its file names the sandbox) */
#define RUNSC_PLAIN "5e7a9c1b3d5f7a9c1b3d5f7a9c1b3d5f7a9c1b3d5f7a9c1b3d5f7a9c1b3d5f7a"
#define RUNSC_SB "a3c1e5f7092b4d6f8a1c3e5f7092b4d6f8a1c3e5f7092b4d6f8a1c3e5f7092b4d"
#define RUNSC_CT "d4e6f8a0b2c4d6e8f0a2b4c6d8e0f2a4b6c8d0e2f4a6b8c0d2e4f6a8b0c2d4e6"

static struct kcap_ct_paths fixture_paths(const char *root)
{
	struct kcap_ct_paths p = kcap__ct_default_paths;

	p.host_root = root;
	return p;
}

static struct kcap_ct_meta *lookup(const char *root, const char *id, int want)
{
	struct kcap_ct_paths p = fixture_paths(root);
	struct kcap_ct_meta *m = calloc(1, sizeof(*m));
	int err;

	assert_non_null(m);
	err = kcap__ct_lookup(&p, id, m);
	if (err != want)
		fail_msg("lookup %s: %d, want %d (%s)", id, err, want, m->err);
	if (err) {
		/* a failed lookup owns nothing and says why */
		assert_true(m->err[0] != '\0');
		assert_null(m->mounts);
		assert_int_equal(m->nr_mounts, 0);
	}
	return m;
}

static void meta_free(struct kcap_ct_meta *m)
{
	kcap__ct_meta_release(m);
	free(m);
}

static uint64_t ts(const char *s)
{
	uint64_t ns = 0;

	assert_int_equal(kcap__ct_parse_time(s, &ns), 0);
	return ns;
}

static const struct kcap_ct_mount *find_mount(const struct kcap_ct_meta *m, const char *dest)
{
	unsigned int i;

	for (i = 0; i < m->nr_mounts; i++)
		if (!strcmp(m->mounts[i].dest, dest))
			return &m->mounts[i];
	fail_msg("no mount on %s", dest);
	return NULL;
}

static void expect_mount(const struct kcap_ct_meta *m, const char *dest, const char *src, bool rw,
			 const char *prop)
{
	const struct kcap_ct_mount *mt = find_mount(m, dest);

	assert_string_equal(mt->source, src);
	assert_int_equal(mt->rw, rw);
	assert_string_equal(mt->propagation, prop);
}

/* The same four containers, whichever runtime ran them. */
static void expect_plain(const struct kcap_ct_meta *m, const char *runtime, const char *created)
{
	assert_string_equal(m->runtime, runtime);
	assert_false(m->privileged);
	assert_string_equal(m->image, "");
	assert_string_equal(m->pod_name, "");
	assert_string_equal(m->name, "");
	assert_int_equal(m->start_ts, ts(created));
	/* runc spec's seven: /proc, /dev, /dev/pts, /dev/shm, /dev/mqueue, /sys, /sys/fs/cgroup */
	assert_int_equal(m->nr_mounts, 7);
	assert_int_equal(m->nr_mounts_total, 7);
	expect_mount(m, "/proc", "proc", true, "");
}

static void expect_pod(const struct kcap_ct_meta *m, const char *runtime)
{
	assert_string_equal(m->runtime, runtime);
	assert_string_equal(m->name, "web");
	assert_string_equal(m->pod_name, "web-7d4b9c6f5-x2x9k");
	assert_string_equal(m->pod_namespace, "shop");
	assert_string_equal(m->pod_uid, "0f6e7a52-3c1d-4a7e-9b8f-2d5c6e7f8a9b");
	assert_string_equal(m->container_type, "container");
	assert_string_equal(m->sandbox_id,
			    "5b1c0f0e3c2f4d9c8a7b6e5d4c3b2a1908f7e6d5c4b3a29180706f5e4d3c2b1a");
	assert_string_equal(m->image_repository, "registry.example.org/shop/web");
	assert_string_equal(m->image_tag, "1.4.2");
	assert_string_equal(
	    m->image_digest,
	    "sha256:abababababababababababababababababababababababababababababababab");
	assert_false(m->privileged);
}

static void expect_bind(const struct kcap_ct_meta *m)
{
	assert_false(m->privileged);
	assert_int_equal(m->nr_mounts, 9);
	expect_mount(m, "/data", "/srv/kcap-test/hostdir", true, "rslave");
	expect_mount(m, "/etc/hostname", "/srv/kcap-test/hostdir/f", false, "rprivate");
}

static void test_ct_runc(void **state)
{
	struct kcap_ct_meta *m;

	(void)state;
	m = lookup(FIX, RUNC_PLAIN, 0);
	assert_string_equal(m->id, RUNC_PLAIN);
	expect_plain(m, "runc", "2026-11-30T14:39:35.083526366Z");
	meta_free(m);
	m = lookup(FIX, RUNC_POD, 0);
	expect_pod(m, "runc");
	assert_int_equal(m->start_ts, 1796049575148920097ull);
	meta_free(m);
	m = lookup(FIX, RUNC_PRIV, 0);
	assert_true(m->privileged);
	meta_free(m);
	m = lookup(FIX, RUNC_BIND, 0);
	expect_bind(m);
	meta_free(m);
}

static void test_ct_runsc(void **state)
{
	struct kcap_ct_meta *m;

	(void)state;
	m = lookup(FIX, RUNSC_PLAIN, 0);
	assert_string_equal(m->runtime, "runsc");
	assert_string_equal(m->name, "");
	assert_string_equal(m->image, "");
	assert_string_equal(m->pod_name, "");
	assert_int_equal(m->start_ts, ts("2026-12-01T00:15:03.537372226Z"));
	assert_string_equal(m->cmdline, "sleep 600");
	/* runsc spec's three: /proc, /dev, /sys */
	assert_int_equal(m->nr_mounts, 3);
	expect_mount(m, "/sys", "/run/kcap-test/runsc/pl/sysfs", false, "");
	assert_false(m->privileged);
	meta_free(m);
	m = lookup(FIX, RUNSC_SB, 0);
	assert_string_equal(m->container_type, "sandbox");
	assert_string_equal(m->pod_name, "shop-web-7d4b9c6f5-x2x9k");
	meta_free(m);
	/* not "<id>_sandbox:<id>.state": found by the scan of the root */
	m = lookup(FIX, RUNSC_CT, 0);
	assert_string_equal(m->runtime, "runsc");
	assert_string_equal(m->name, "web");
	assert_string_equal(m->container_type, "container");
	assert_string_equal(m->sandbox_id, RUNSC_SB);
	assert_string_equal(m->pod_name, "shop-web-7d4b9c6f5-x2x9k");
	assert_string_equal(m->pod_namespace, "shop");
	assert_string_equal(m->pod_uid, "0f6e7a52-3c1d-4a7e-9b8f-2d5c6e7f8a9b");
	assert_string_equal(m->image, "registry.example.org/shop/web:1.4.2");
	assert_string_equal(m->image_repository, "registry.example.org/shop/web");
	assert_string_equal(m->image_tag, "1.4.2");
	assert_int_equal(m->start_ts, ts("2026-12-01T00:15:03.404708124Z"));
	meta_free(m);
}

static void test_ct_crun(void **state)
{
	struct kcap_ct_meta *m;

	(void)state;
	m = lookup(FIX, CRUN_PLAIN, 0);
	expect_plain(m, "crun", "2026-11-30T14:39:53.418680Z");
	expect_mount(m, "/sys", "sysfs", false, "");
	meta_free(m);
	m = lookup(FIX, CRUN_POD, 0);
	expect_pod(m, "crun");
	meta_free(m);
	m = lookup(FIX, CRUN_PRIV, 0);
	assert_true(m->privileged);
	expect_mount(m, "/sys", "sysfs", true, "");
	meta_free(m);
	m = lookup(FIX, CRUN_BIND, 0);
	expect_bind(m);
	meta_free(m);
}

static void test_ct_docker(void **state)
{
	struct kcap_ct_meta *m;

	(void)state;
	m = lookup(FIX, DOCKER_WEB, 0);
	assert_string_equal(m->runtime, "docker");
	assert_string_equal(m->name, "web");
	assert_string_equal(m->image, "nginx:1.25");
	assert_string_equal(m->image_repository, "nginx");
	assert_string_equal(m->image_tag, "1.25");
	assert_string_equal(m->image_digest, "");
	assert_string_equal(m->image_id,
			    "a8758716bb6aa4d90071160d27028fe4eaee7ce8166221a97d30440c8eac2be6");
	assert_int_equal(m->start_ts, ts("2026-11-30T14:05:07.123456789Z"));
	assert_false(m->privileged);
	assert_string_equal(m->pod_name, "");
	assert_int_equal(m->nr_mounts, 2);
	expect_mount(m, "/usr/share/nginx/html", "/srv/www", false, "rprivate");
	expect_mount(m, "/var/cache/nginx", "/var/lib/docker/volumes/nginx-cache/_data", true, "");
	assert_string_equal(m->cmdline, "/docker-entrypoint.sh nginx -g daemon off;");
	assert_string_equal(m->healthcheck, "/bin/sh -c curl -f http://localhost/ || exit 1");
	assert_string_equal(m->ip, "172.17.0.2");
	assert_false(m->has_pod_labels);
	meta_free(m);

	m = lookup(FIX, DOCKER_PRIV, 0);
	assert_true(m->privileged);
	assert_string_equal(m->name,
			    "k8s_debug_debug-0_ops_9d2c1b0a-8f7e-4d6c-b5a4-3f2e1d0c9b8a_0");
	assert_string_equal(m->pod_name, "debug-0");
	assert_string_equal(m->pod_namespace, "ops");
	assert_string_equal(m->pod_uid, "9d2c1b0a-8f7e-4d6c-b5a4-3f2e1d0c9b8a");
	/* a registry port is not a tag */
	assert_string_equal(m->image_repository, "registry.example.org:5000/tools/debug");
	assert_string_equal(m->image_tag, "");
	assert_string_equal(
	    m->image_digest,
	    "sha256:4b1f0e6c2a9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f");
	/* 15:10:00+01:00 */
	assert_int_equal(m->start_ts, ts("2026-11-30T14:10:00Z"));
	expect_mount(m, "/host", "/", true, "rslave");
	assert_string_equal(m->cmdline, "sh");
	assert_string_equal(m->healthcheck, "");
	assert_string_equal(m->ip, "");
	meta_free(m);
}

/* Labels of @m as "k=v;..." in their kept order. */
static const char *labels_text(const struct kcap_ct_meta *m)
{
	static char out[KCAP_CT_LABELS_LEN];
	const char *k = m->pod_labels, *v;
	size_t used = 0;
	unsigned int i;

	out[0] = '\0';
	for (i = 0; i < m->nr_pod_labels; i++, k = v + strlen(v) + 1) {
		v = k + strlen(k) + 1;
		used += (size_t)snprintf(out + used, sizeof(out) - used, "%s=%s;", k, v);
	}
	return out;
}

static void test_ct_podman(void **state)
{
	struct kcap_ct_paths p = fixture_paths(FIX);
	struct kcap_ct_meta *m;

	(void)state;
	m = lookup(FIX, PODMAN_WEB, 0);
	assert_string_equal(m->runtime, "podman");
	assert_string_equal(m->name, "kcap-web");		     /* containers.json */
	assert_string_equal(m->image, "localhost/kcap-busybox:1.0"); /* its metadata */
	assert_string_equal(m->image_repository, "localhost/kcap-busybox");
	assert_string_equal(m->image_tag, "1.0");
	assert_string_equal(m->image_id, PODMAN_IMAGE);
	assert_false(m->privileged);
	/* io.kubernetes.cri-o.Created, which podman writes too */
	assert_int_equal(m->start_ts, ts("2026-11-30T16:45:57.414355254Z"));
	assert_string_equal(m->cmdline, "/bin/sleep 600");
	assert_string_equal(m->pod_name, "");
	assert_string_equal(m->container_type, "");
	assert_false(m->has_pod_labels);
	assert_int_equal(m->nr_mounts, 10);
	expect_mount(m, "/etc/hosts",
		     "/run/containers/storage/overlay-containers/" PODMAN_WEB "/userdata/hosts",
		     true, "rprivate");
	expect_mount(m, "/sys", "sysfs", false, "");
	meta_free(m);

	m = lookup(FIX, PODMAN_PRIV, 0);
	assert_string_equal(m->runtime, "podman");
	assert_string_equal(m->name, "kcap-priv");
	assert_true(m->privileged);
	expect_mount(m, "/data", "/srv/kcap-test/hostdir", true, "rprivate");
	meta_free(m);

	/* without containers/storage, runc's state of the same containers:
	 * no name or image, privileged from podman's annotation */
	p.storage_root = p.storage_runroot = NULL;
	m = calloc(1, sizeof(*m));
	assert_non_null(m);
	assert_int_equal(kcap__ct_lookup(&p, PODMAN_PRIV, m), 0);
	assert_string_equal(m->runtime, "runc");
	assert_string_equal(m->name, "");
	assert_string_equal(m->image, "");
	assert_true(m->privileged);
	/* runc's own creation time, not the annotation's */
	assert_int_equal(m->start_ts, ts("2026-11-30T16:45:59.654826895Z"));
	kcap__ct_meta_release(m);
	assert_int_equal(kcap__ct_lookup(&p, PODMAN_WEB, m), 0);
	assert_false(m->privileged);
	meta_free(m);
}

static void test_ct_crio(void **state)
{
	struct kcap_ct_meta *m;

	(void)state;
	m = lookup(FIX, CRIO_CT, 0);
	assert_string_equal(m->runtime, "cri-o");
	assert_string_equal(m->name, "api"); /* Metadata, not the k8s_... storage name */
	assert_string_equal(m->image, "quay.example.org/shop/api:2.3.1");
	assert_string_equal(m->image_repository, "quay.example.org/shop/api");
	assert_string_equal(m->image_tag, "2.3.1");
	assert_string_equal(m->image_id,
			    "5f2c8e1a9b3d7f4e6a0c2b8d1e5f9a3c7b4d6e8f0a2c1b3d5e7f9a0b2c4d6e8f");
	assert_string_equal(m->pod_name, CRIO_POD);
	assert_string_equal(m->pod_namespace, "shop");
	assert_string_equal(m->pod_uid, CRIO_UID);
	assert_string_equal(m->sandbox_id, CRIO_SB);
	assert_string_equal(m->container_type, "container");
	assert_string_equal(m->ip, "10.85.0.17");
	assert_string_equal(m->cmdline, "/usr/bin/shop-api --listen :8080");
	assert_int_equal(m->start_ts, ts("2026-11-30T16:00:03.5Z"));
	assert_false(m->privileged);
	/* the pod's labels come from its sandbox, in key order */
	assert_true(m->has_pod_labels);
	assert_int_equal(m->nr_pod_labels, 7);
	assert_int_equal(m->nr_pod_labels_total, 7);
	assert_string_equal(labels_text(m),
			    "app=shop-api;app.kubernetes.io/name=shop-api;"
			    "io.kubernetes.pod.name=" CRIO_POD ";io.kubernetes.pod.namespace=shop;"
			    "io.kubernetes.pod.uid=" CRIO_UID ";pod-template-hash=6c9f7d8b4;"
			    "tier=backend;");
	assert_string_equal(kcap__ct_pod_label(m, "tier"), "backend");
	assert_null(kcap__ct_pod_label(m, "io.kubernetes.container.name"));
	assert_null(kcap__ct_pod_label(m, "nope"));
	meta_free(m);

	/* the sandbox: its Metadata name is the pod's, its labels its own */
	m = lookup(FIX, CRIO_SB, 0);
	assert_string_equal(m->runtime, "cri-o");
	assert_string_equal(m->container_type, "sandbox");
	assert_string_equal(m->name, CRIO_POD);
	assert_string_equal(m->image, "registry.k8s.io/pause:3.9");
	assert_int_equal(m->nr_pod_labels, 7);
	assert_string_equal(kcap__ct_pod_label(m, "app"), "shop-api");
	meta_free(m);

	/* known to runc only: the same annotations as state.json labels; the
	 * sandbox is still read from containers/storage for the labels */
	m = lookup(FIX, CRIO_RUNC, 0);
	assert_string_equal(m->runtime, "runc");
	assert_string_equal(m->name, "api");
	assert_string_equal(m->pod_name, CRIO_POD);
	assert_string_equal(m->image_tag, "2.3.1");
	assert_true(m->privileged); /* every capability, no seccomp, no masked path */
	assert_int_equal(m->start_ts, ts("2026-11-30T16:00:05.75Z")); /* runc's created */
	assert_int_equal(m->nr_pod_labels, 7);
	meta_free(m);
}

static void test_ct_ids(void **state)
{
	struct kcap_ct_paths p = fixture_paths(FIX);
	struct kcap_ct_meta *m;
	char long_id[KCAP_CT_ID_LEN + 2];

	(void)state;
	meta_free(lookup(FIX, ID64, -ENOENT));
	meta_free(lookup(FIX, "../../../etc", -EINVAL));
	meta_free(lookup(FIX, "a/b", -EINVAL));
	meta_free(lookup(FIX, "", -EINVAL));
	meta_free(lookup(FIX, "..", -EINVAL));
	memset(long_id, 'a', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	meta_free(lookup(FIX, long_id, -EINVAL));
	m = calloc(1, sizeof(*m));
	assert_non_null(m);
	assert_int_equal(kcap__ct_lookup(&p, NULL, m), -EINVAL);
	/* runc's root alone: docker's and crun's containers are not found */
	p.docker_root = NULL;
	p.oci_roots[1] = NULL;
	assert_int_equal(kcap__ct_lookup(&p, DOCKER_WEB, m), -ENOENT);
	assert_int_equal(kcap__ct_lookup(&p, CRUN_POD, m), -ENOENT);
	assert_int_equal(kcap__ct_lookup(&p, RUNC_POD, m), 0);
	meta_free(m);
}

static void test_ct_image_split(void **state)
{
	static const struct {
		const char *ref, *repo, *tag, *digest;
	} cases[] = {
	    {"busybox", "busybox", "", ""},
	    {"busybox:1.36", "busybox", "1.36", ""},
	    {"docker.io/library/nginx:latest", "docker.io/library/nginx", "latest", ""},
	    {"localhost:5000/app", "localhost:5000/app", "", ""},
	    {"localhost:5000/app:v2", "localhost:5000/app", "v2", ""},
	    {"app@sha256:00ff", "app", "", "sha256:00ff"},
	    {"h:1/a/b:t@sha256:aa", "h:1/a/b", "t", "sha256:aa"},
	    {"", "", "", ""},
	};
	struct kcap_ct_meta *m = calloc(1, sizeof(*m));
	size_t i;

	(void)state;
	assert_non_null(m);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(m->image, sizeof(m->image), "%s", cases[i].ref);
		assert_int_equal(kcap__ct_image_split(m), 0);
		assert_string_equal(m->image_repository, cases[i].repo);
		assert_string_equal(m->image_tag, cases[i].tag);
		assert_string_equal(m->image_digest, cases[i].digest);
	}
	/* a tag over 128 bytes does not fit */
	memset(m->image, 0, sizeof(m->image));
	strcpy(m->image, "app:");
	memset(m->image + 4, 't', 200);
	assert_int_equal(kcap__ct_image_split(m), -ENAMETOOLONG);
	meta_free(m);
}

static void test_ct_parse_time(void **state)
{
	static const char *const bad[] = {"",
					  "2026-11-30",
					  "2026-11-30T14:39:35",
					  "2026-13-01T00:00:00Z",
					  "2026-11-30T14:39:35.Z",
					  "2026-11-30T14:39:35Zjunk",
					  "1969-12-31T23:59:59Z",
					  "2026-11-30T14:39:35+0100",
					  "0001-01-01T00:00:00Z"};
	uint64_t ns;
	size_t i;

	(void)state;
	assert_int_equal(ts("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(ts("1970-01-01T00:00:01.5Z"), 1500000000ull);
	/* digits past the nanosecond are dropped */
	assert_int_equal(ts("1970-01-01T00:00:01.0000000019Z"), 1000000001ull);
	assert_int_equal(ts("1970-01-01T01:00:00+01:00"), 0);
	assert_int_equal(ts("1970-01-01T00:00:00-00:30"), 1800000000000ull);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (kcap__ct_parse_time(bad[i], &ns) != -EINVAL)
			fail_msg("\"%s\" parsed", bad[i]);
}

/* A scratch host root: created, filled by each test, removed. */
static char scratch[64];

static int scratch_setup(void **state)
{
	(void)state;
	snprintf(scratch, sizeof(scratch), "/tmp/kcap-ct-XXXXXX");
	return mkdtemp(scratch) ? 0 : -1;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int scratch_teardown(void **state)
{
	(void)state;
	return nftw(scratch, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Creates scratch/@rel's directories; returns the full path in @out. */
static void scratch_path(const char *rel, char *out, size_t len)
{
	char *slash;

	assert_true((size_t)snprintf(out, len, "%s/%s", scratch, rel) < len);
	for (slash = strchr(out + strlen(scratch) + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		assert_true(mkdir(out, 0700) == 0 || errno == EEXIST);
		*slash = '/';
	}
}

static void put(const char *rel, const char *data, size_t n)
{
	char path[PATH_MAX];
	FILE *f;

	scratch_path(rel, path, sizeof(path));
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void puts_file(const char *rel, const char *text)
{
	put(rel, text, strlen(text));
}

/* A fixture file's bytes (malloc'd, NUL-terminated). */
static char *slurp(const char *rel, size_t *n)
{
	char path[PATH_MAX];
	char *buf;
	FILE *f;
	long sz;

	snprintf(path, sizeof(path), "%s/%s", FIX, rel);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	sz = ftell(f);
	assert_true(sz > 0);
	rewind(f);
	buf = malloc((size_t)sz + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)sz, f), (size_t)sz);
	buf[sz] = '\0';
	fclose(f);
	*n = (size_t)sz;
	return buf;
}

#define RUNC_STATE "run/runc/" ID64 "/state.json"
#define CRUN_DIR "run/crun/" ID64

static void expect_err(int want, const char *needle)
{
	struct kcap_ct_meta *m = lookup(scratch, ID64, want);

	if (needle && !strstr(m->err, needle))
		fail_msg("error \"%s\" lacks \"%s\"", m->err, needle);
	meta_free(m);
}

static void test_ct_truncated(void **state)
{
	char path[PATH_MAX];
	size_t n;
	char *real = slurp("run/runc/" RUNC_POD "/state.json", &n);

	(void)state;
	/* the real file itself is accepted under another id */
	put(RUNC_STATE, real, n);
	expect_err(0, NULL);
	put(RUNC_STATE, real, n / 2);
	expect_err(-EINVAL, "line 1");
	put(RUNC_STATE, real, 0);
	expect_err(-EINVAL, NULL);
	free(real);
	scratch_path(RUNC_STATE, path, sizeof(path));
	assert_int_equal(unlink(path), 0);
	real = slurp("run/crun/" CRUN_POD "/config.json", &n);
	puts_file(CRUN_DIR "/status", "{\"created\": \"2026-11-30T14:39:53Z\", \"bundle\": \"\"}");
	put(CRUN_DIR "/config.json", real, n);
	expect_err(0, NULL);
	put(CRUN_DIR "/config.json", real, n - 3);
	expect_err(-EINVAL, "config.json");
	free(real);
}

static void test_ct_wrong_types(void **state)
{
	static const struct {
		const char *json, *needle;
	} runc[] = {
	    {"[]", "not a JSON object"},
	    {"{\"created\": 5, \"config\": {}}", "\"created\" is an integer"},
	    {"{\"created\": \"yesterday\", \"config\": {}}", "RFC 3339"},
	    {"{\"created\": \"2026-11-30T14:39:35Z\"}", "no \"config\""},
	    {"{\"created\": \"2026-11-30T14:39:35Z\", \"config\": []}", "\"config\" is an array"},
	    {"{\"created\": \"2026-11-30T14:39:35Z\", \"config\": {\"labels\": [1]}}", "label"},
	    {"{\"created\": \"2026-11-30T14:39:35Z\", \"config\": {\"mounts\": \"x\"}}", "mounts"},
	    {"{\"created\": \"2026-11-30T14:39:35Z\", \"config\": {\"mounts\": [7]}}", "mount"},
	    {"{\"created\": \"2026-11-30T14:39:35Z\", \"config\": {\"mounts\": [{\"source\": "
	     "\"/\"}]}}",
	     "destination"},
	    {"{\"created\": \"2026-11-30T14:39:35Z\", \"config\": {\"mounts\": [{\"destination\": "
	     "\"/x\", \"flags\": \"ro\"}]}}",
	     "\"flags\" is a string"},
	    {"{\"created\": \"2026-11-30T14:39:35Z\", \"config\": {\"capabilities\": "
	     "{\"Bounding\": "
	     "{}}}}",
	     "Bounding"},
	    /* mounts already kept are freed on the error after them */
	    {"{\"created\": \"2026-11-30T14:39:35Z\", \"config\": {\"mounts\": [{\"destination\": "
	     "\"/a\"}], \"seccomp\": 5}}",
	     "\"seccomp\" is an integer"},
	    {"{\"created\": \"2026-11-30T14:39:35Z\", \"created\": \"2026-11-30T14:39:36Z\", "
	     "\"config\": {}}",
	     "duplicate"},
	    {"{\"created\": \"2026-11-30T14:39:35Z\", \"config\": {\"labels\": "
	     "[\"io.kubernetes.cri.sandbox-name=a\\u0000b\"]}}",
	     "NUL"},
	};
	static const struct {
		const char *json, *needle;
	} crun[] = {
	    {"{\"annotations\": {\"io.kubernetes.cri.sandbox-name\": 3}}", "annotation"},
	    {"{\"annotations\": []}", "\"annotations\" is an array"},
	    {"{\"mounts\": [{\"destination\": \"/x\", \"options\": [\"ro\", 1]}]}", "option"},
	    {"{\"process\": {\"capabilities\": \"all\"}}", "capabilities"},
	    {"{\"linux\": {\"maskedPaths\": {}}}", "maskedPaths"},
	};
	char path[PATH_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(runc) / sizeof(runc[0]); i++) {
		puts_file(RUNC_STATE, runc[i].json);
		expect_err(-EINVAL, runc[i].needle);
	}
	scratch_path(RUNC_STATE, path, sizeof(path));
	assert_int_equal(unlink(path), 0);
	puts_file(CRUN_DIR "/status", "{\"created\": \"2026-11-30T14:39:53Z\"}");
	for (i = 0; i < sizeof(crun) / sizeof(crun[0]); i++) {
		puts_file(CRUN_DIR "/config.json", crun[i].json);
		expect_err(-EINVAL, crun[i].needle);
	}
	puts_file(CRUN_DIR "/config.json", "{}");
	puts_file(CRUN_DIR "/status", "{\"created\": [], \"bundle\": \"/b\"}");
	expect_err(-EINVAL, "created");
	puts_file(CRUN_DIR "/status", "{\"created\": \"2026-11-30T14:39:53Z\", \"bundle\": true}");
	expect_err(-EINVAL, "bundle");
}

static void test_ct_huge(void **state)
{
	const size_t big = 10000;
	char *json = malloc(big + 200), *p;

	(void)state;
	assert_non_null(json);
	/* an annotation value longer than its field */
	p = json + sprintf(json, "{\"created\": \"2026-11-30T14:39:35Z\", \"config\": {\"labels\": "
				 "[\"io.kubernetes.cri.sandbox-name=");
	memset(p, 'x', big);
	strcpy(p + big, "\"]}}");
	puts_file(RUNC_STATE, json);
	expect_err(-ENAMETOOLONG, "io.kubernetes.cri.sandbox-name");
	/* a mount path longer than KCAP_CT_PATH_LEN */
	p = json + sprintf(json, "{\"created\": \"2026-11-30T14:39:35Z\", \"config\": {\"mounts\": "
				 "[{\"destination\": \"/");
	memset(p, 'd', big);
	strcpy(p + big, "\"}]}}");
	puts_file(RUNC_STATE, json);
	expect_err(-ENAMETOOLONG, "destination");
	/* an unknown label of any length is skipped */
	p = json + sprintf(json, "{\"created\": \"2026-11-30T14:39:35Z\", \"config\": {\"labels\": "
				 "[\"");
	memset(p, 'k', big);
	strcpy(p + big, "=v\"]}}");
	puts_file(RUNC_STATE, json);
	expect_err(0, NULL);
	free(json);

	/* a file over KCAP_CT_MAX_FILE */
	json = malloc(KCAP_CT_MAX_FILE + 16);
	assert_non_null(json);
	memset(json, ' ', KCAP_CT_MAX_FILE + 16);
	memcpy(json, "{}", 2);
	put(RUNC_STATE, json, KCAP_CT_MAX_FILE + 16);
	expect_err(-EFBIG, "larger than");
	free(json);
}

static void test_ct_many_mounts(void **state)
{
	char *json = malloc(64 * 64 + 200), *p;
	struct kcap_ct_meta *m;
	int i;

	(void)state;
	assert_non_null(json);
	p = json +
	    sprintf(json, "{\"created\": \"2026-11-30T14:39:35Z\", \"config\": {\"mounts\": [");
	for (i = 0; i < 40; i++)
		p += sprintf(p, "%s{\"destination\": \"/m%d\", \"flags\": 1}", i ? "," : "", i);
	strcpy(p, "]}}");
	puts_file(RUNC_STATE, json);
	free(json);
	m = lookup(scratch, ID64, 0);
	assert_int_equal(m->nr_mounts, KCAP_CT_MAX_MOUNTS);
	assert_int_equal(m->nr_mounts_total, 40);
	assert_string_equal(m->mounts[KCAP_CT_MAX_MOUNTS - 1].dest, "/m31");
	assert_false(m->mounts[0].rw);
	meta_free(m);
}

static void test_ct_missing(void **state)
{
	char path[PATH_MAX];
	size_t n;
	char *spec;

	(void)state;
	/* crun's status without its config.json copy and no bundle */
	puts_file(CRUN_DIR "/status", "{\"created\": \"2026-11-30T14:39:53Z\", \"bundle\": "
				      "\"/run/kcap-test/bundle/gone\"}");
	expect_err(-ENOENT, "no config.json");
	/* ... the bundle's config.json is read instead */
	spec = slurp("run/kcap-test/bundle/pod/config.json", &n);
	put("run/kcap-test/bundle/gone/config.json", spec, n);
	free(spec);
	expect_err(0, NULL);
	/* docker's config.v2.json without hostconfig.json */
	spec = slurp("var/lib/docker/containers/" DOCKER_WEB "/config.v2.json", &n);
	put("var/lib/docker/containers/" ID64 "/config.v2.json", spec, n);
	free(spec);
	expect_err(-ENOENT, "hostconfig.json");
	/* ... even when another runtime knows the id: docker's half-written state is an error */
	puts_file(RUNC_STATE, "{\"created\": \"2026-11-30T14:39:35Z\", \"config\": {}}");
	expect_err(-ENOENT, "hostconfig.json");
	/* without docker's directory, runc's state is found */
	scratch_path("var/lib/docker/containers/" ID64 "/config.v2.json", path, sizeof(path));
	assert_int_equal(unlink(path), 0);
	expect_err(0, NULL);
}

static void test_ct_special_files(void **state)
{
	char path[PATH_MAX], deep[4200];
	size_t i;

	(void)state;
	/* a symlink loop */
	scratch_path(RUNC_STATE, path, sizeof(path));
	assert_int_equal(symlink("state.json", path), 0);
	expect_err(-ELOOP, "state.json");
	unlink(path);
	/* a FIFO must not block */
	assert_int_equal(mkfifo(path, 0600), 0);
	expect_err(-EINVAL, "not a regular file");
	unlink(path);
	/* a directory */
	assert_int_equal(mkdir(path, 0700), 0);
	expect_err(-EINVAL, "not a regular file");
	rmdir(path);
	/* nesting deeper than jansson's limit */
	for (i = 0; i < sizeof(deep) / 2 - 1; i++) {
		deep[i] = '[';
		deep[sizeof(deep) - 2 - i] = ']';
	}
	deep[sizeof(deep) - 1] = '\0';
	puts_file(RUNC_STATE, deep);
	expect_err(-EINVAL, NULL);
	/* a state.json that is a symlink to a real one is followed */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink(FIX "/run/runc/" RUNC_PRIV "/state.json", path), 0);
	expect_err(0, NULL);
}

/* A minimal runc state for id @id in the scratch root, one mount. */
static void put_state(const char *id)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "run/runc/%s/state.json", id);
	puts_file(rel, "{\"created\": \"2026-11-30T14:39:35Z\", \"config\": {\"mounts\": "
		       "[{\"destination\": \"/x\"}]}}");
}

static void rm_state(const char *id)
{
	char path[PATH_MAX], rel[256];

	snprintf(rel, sizeof(rel), "run/runc/%s/state.json", id);
	scratch_path(rel, path, sizeof(path));
	assert_int_equal(unlink(path), 0);
}

static struct kcap_ct_cache *cache_new(unsigned int capacity, struct kcap_ct_paths *p)
{
	struct kcap_ct_cache *c;

	*p = fixture_paths(scratch);
	c = kcap__ct_cache_new(p, capacity);
	assert_non_null(c);
	return c;
}

static int cache_get(struct kcap_ct_cache *c, const char *id)
{
	const struct kcap_ct_meta *m;
	int err = kcap__ct_cache_get(c, id, &m);

	if (err) {
		assert_null(m);
		assert_true(kcap__ct_cache_errmsg(c)[0] != '\0');
		return err;
	}
	assert_non_null(m);
	assert_string_equal(m->id, id);
	assert_int_equal(m->nr_mounts, 1);
	assert_string_equal(m->mounts[0].dest, "/x");
	return 0;
}

static void test_ct_cache_hit_forget(void **state)
{
	const struct kcap_ct_meta *a, *b;
	struct kcap_ct_paths p;
	struct kcap_ct_cache *c;

	(void)state;
	errno = 0;
	assert_null(kcap__ct_cache_new(NULL, 0));
	assert_int_equal(errno, EINVAL);
	assert_null(kcap__ct_cache_new(NULL, KCAP_CT_CACHE_MAX + 1));
	c = cache_new(4, &p);
	/* a failed lookup is not cached: the container is found once written */
	assert_int_equal(cache_get(c, "c1"), -ENOENT);
	assert_int_equal(kcap__ct_cache_size(c), 0);
	put_state("c1");
	assert_int_equal(kcap__ct_cache_get(c, "c1", &a), 0);
	assert_int_equal(kcap__ct_cache_size(c), 1);
	/* a hit reads no file */
	rm_state("c1");
	assert_int_equal(kcap__ct_cache_get(c, "c1", &b), 0);
	assert_ptr_equal(a, b);
	assert_int_equal(cache_get(c, "c1"), 0);
	/* forgotten, it is looked up again, and now missing */
	assert_true(kcap__ct_cache_forget(c, "c1"));
	assert_false(kcap__ct_cache_forget(c, "c1"));
	assert_int_equal(kcap__ct_cache_size(c), 0);
	assert_int_equal(cache_get(c, "c1"), -ENOENT);
	assert_int_equal(kcap__ct_cache_get(c, NULL, &a), -EINVAL);
	kcap__ct_cache_free(c);
	kcap__ct_cache_free(NULL);
}

static void test_ct_cache_lru(void **state)
{
	static const char *const ids[] = {"c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7"};
	struct kcap_ct_paths p;
	struct kcap_ct_cache *c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		put_state(ids[i]);
	c = cache_new(3, &p);
	assert_int_equal(cache_get(c, "c0"), 0);
	assert_int_equal(cache_get(c, "c1"), 0);
	assert_int_equal(cache_get(c, "c2"), 0);
	/* c0 used again: c1 is now the least recently used and goes first */
	assert_int_equal(cache_get(c, "c0"), 0);
	assert_int_equal(cache_get(c, "c3"), 0);
	assert_int_equal(kcap__ct_cache_size(c), 3);
	/* with the files gone, what is cached is still found, the evicted is not */
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		rm_state(ids[i]);
	assert_int_equal(cache_get(c, "c0"), 0);
	assert_int_equal(cache_get(c, "c2"), 0);
	assert_int_equal(cache_get(c, "c3"), 0);
	assert_int_equal(cache_get(c, "c1"), -ENOENT);
	kcap__ct_cache_free(c);

	/* many more ids than entries: the size stays bounded, the newest are kept */
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		put_state(ids[i]);
	c = cache_new(2, &p);
	for (i = 0; i < 4 * sizeof(ids) / sizeof(ids[0]); i++) {
		assert_int_equal(cache_get(c, ids[i % (sizeof(ids) / sizeof(ids[0]))]), 0);
		assert_true(kcap__ct_cache_size(c) <= 2);
	}
	assert_true(kcap__ct_cache_forget(c, "c7"));
	assert_true(kcap__ct_cache_forget(c, "c6"));
	assert_false(kcap__ct_cache_forget(c, "c5"));
	assert_int_equal(kcap__ct_cache_size(c), 0);
	assert_int_equal(cache_get(c, "c5"), 0);
	kcap__ct_cache_free(c);
}


/* ---- The watch: containers noticed as they appear (container/watch.c) ---------- */

#define WAIT_NS (10ull * 1000000000ull) /* deadline of every wait */
#define ID_A "a000000000000000000000000000000000000000000000000000000000000001"
#define ID_B "b000000000000000000000000000000000000000000000000000000000000002"
#define ID_C "c000000000000000000000000000000000000000000000000000000000000003"
#define ID_D "d000000000000000000000000000000000000000000000000000000000000004"

static uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void pause_ms(unsigned int ms)
{
	struct timespec t = {0, (long)ms * 1000000};

	nanosleep(&t, NULL);
}

/* Results taken from the worker and not yet looked at, oldest first. */
static struct kcap_ct_result *pending;

static void take(struct kcap_ct_worker *w)
{
	struct kcap_ct_result *list = kcap__ct_worker_results(w), **tail = &pending;

	while (*tail)
		tail = &(*tail)->next;
	*tail = list;
}

/* The first result of @kind for @id, taken off the pending list; NULL if none. */
static struct kcap_ct_result *find_result(enum kcap_ct_result_kind kind, const char *id)
{
	struct kcap_ct_result **pp, *r;

	for (pp = &pending; *pp; pp = &(*pp)->next)
		if ((*pp)->kind == kind && !strcmp((*pp)->meta.id, id)) {
			r = *pp;
			*pp = r->next;
			r->next = NULL;
			return r;
		}
	return NULL;
}

/* Waits for a result of @kind for @id (at most WAIT_NS); the caller frees it. */
static struct kcap_ct_result *wait_result(struct kcap_ct_worker *w, enum kcap_ct_result_kind kind,
					  const char *id)
{
	uint64_t deadline = mono_ns() + WAIT_NS;
	struct kcap_ct_result *r;

	for (;;) {
		take(w);
		if ((r = find_result(kind, id)))
			return r;
		if (mono_ns() > deadline)
			fail_msg("no result of kind %d for %s after 10 s", kind, id);
		pause_ms(1);
	}
}

static void drop_pending(void)
{
	kcap__ct_result_free(pending);
	pending = NULL;
}

/* Writes fixture @from to scratch/@rel the way runc and dockerd do: a
 * temporary file in the same directory, renamed into place. */
static void put_renamed(const char *from, const char *rel)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	size_t n;
	char *data = slurp(from, &n);

	scratch_path(rel, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	{
		FILE *f = fopen(tmp, "w");

		assert_non_null(f);
		assert_int_equal(fwrite(data, 1, n, f), n);
		assert_int_equal(fclose(f), 0);
	}
	assert_int_equal(rename(tmp, path), 0);
	free(data);
}

static void rm_tree(const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", scratch, rel);
	assert_int_equal(nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

static struct kcap_ct_worker *watch_new(struct kcap_ct_paths *p)
{
	struct kcap_ct_worker *w;
	struct kcap_ct_counters c;
	struct kcap_ct_result *r;

	*p = fixture_paths(scratch);
	w = kcap__ct_worker_new(p, 16, KCAP_CT_WATCH);
	assert_non_null(w);
	kcap__ct_worker_counters(w, &c);
	assert_true(c.watching);
	/* the thread starts the watch before its first answer: what appears
	 * after this answer is noticed, what was there before is not */
	assert_int_equal(kcap__ct_worker_request(w, "started"), 0);
	r = wait_result(w, KCAP_CT_ASKED, "started");
	assert_int_equal(r->err, -ENOENT);
	kcap__ct_result_free(r);
	return w;
}

/*
 * Frees @w, which must stop at once although its thread sleeps in poll(),
 * maybe until a retry 2.5 s away. Closing the inotify descriptor waits for
 * a kernel grace period: 0.3 to 50 ms here, once over 1 s on a loaded
 * machine; the bound stays under the longest retry.
 */
static void watch_free(struct kcap_ct_worker *w)
{
	uint64_t t0 = mono_ns();

	kcap__ct_worker_free(w);
	assert_true(mono_ns() - t0 < 2000000000ull);
	drop_pending();
}

/*
 * Containers appear in roots that did not exist when the watch started,
 * each the way its runtime writes it, and arrive without a request: runc's
 * state.json renamed into place; crun's status first, its config.json a
 * moment later and in two writes; docker's config.v2.json, then
 * hostconfig.json; podman's containers.json, then the container's
 * userdata/config.json. A deleted container directory arrives as gone.
 */
static void test_ct_watch_appear(void **state)
{
	struct kcap_ct_counters c;
	struct kcap_ct_paths p;
	struct kcap_ct_worker *w = watch_new(&p);
	struct kcap_ct_result *r;
	char path[PATH_MAX];
	uint64_t t0;
	size_t n;
	char *spec;
	FILE *f;

	(void)state;
	/* runc: the root and the container directory appear, then state.json */
	t0 = mono_ns();
	put_renamed("run/runc/" RUNC_POD "/state.json", "run/runc/" ID_A "/state.json");
	r = wait_result(w, KCAP_CT_NOTICED, ID_A);
	assert_true(mono_ns() - t0 < 2000000000ull);
	assert_int_equal(r->err, 0);
	assert_string_equal(r->meta.runtime, "runc");
	assert_string_equal(r->meta.name, "web");
	assert_string_equal(r->meta.pod_name, "web-7d4b9c6f5-x2x9k");
	kcap__ct_result_free(r);

	/* crun: status names a bundle that is not there; config.json comes
	 * later, half of it first */
	put_renamed("run/crun/" CRUN_POD "/status", "run/crun/" ID_B "/status");
	pause_ms(30);
	spec = slurp("run/crun/" CRUN_POD "/config.json", &n);
	scratch_path("run/crun/" ID_B "/config.json", path, sizeof(path));
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(spec, 1, n / 2, f), n / 2);
	assert_int_equal(fflush(f), 0);
	pause_ms(30);
	assert_int_equal(fwrite(spec + n / 2, 1, n - n / 2, f), n - n / 2);
	assert_int_equal(fclose(f), 0);
	free(spec);
	r = wait_result(w, KCAP_CT_NOTICED, ID_B);
	assert_string_equal(r->meta.runtime, "crun");
	assert_string_equal(r->meta.pod_namespace, "shop");
	kcap__ct_result_free(r);

	/* docker: found once hostconfig.json is there (privileged comes from it) */
	put_renamed("var/lib/docker/containers/" DOCKER_PRIV "/config.v2.json",
		    "var/lib/docker/containers/" ID_C "/config.v2.json");
	pause_ms(30);
	put_renamed("var/lib/docker/containers/" DOCKER_PRIV "/hostconfig.json",
		    "var/lib/docker/containers/" ID_C "/hostconfig.json");
	r = wait_result(w, KCAP_CT_NOTICED, ID_C);
	assert_string_equal(r->meta.runtime, "docker");
	assert_true(r->meta.privileged);
	kcap__ct_result_free(r);

	/* podman: containers.json first, then the container's spec */
	put_renamed("var/lib/containers/storage/overlay-containers/containers.json",
		    "var/lib/containers/storage/overlay-containers/containers.json");
	put_renamed("var/lib/containers/storage/overlay-containers/" PODMAN_WEB
		    "/userdata/config.json",
		    "var/lib/containers/storage/overlay-containers/" PODMAN_WEB
		    "/userdata/config.json");
	r = wait_result(w, KCAP_CT_NOTICED, PODMAN_WEB);
	assert_string_equal(r->meta.runtime, "podman");
	assert_string_equal(r->meta.name, "kcap-web");
	kcap__ct_result_free(r);

	/* deleted: gone */
	rm_tree("run/runc/" ID_A);
	r = wait_result(w, KCAP_CT_GONE, ID_A);
	assert_int_equal(r->err, -ENOENT);
	kcap__ct_result_free(r);
	rm_tree("var/lib/docker/containers/" ID_C);
	kcap__ct_result_free(wait_result(w, KCAP_CT_GONE, ID_C));

	kcap__ct_worker_counters(w, &c);
	assert_true(c.noticed >= 4);
	assert_int_equal(c.gone, 2);
	assert_int_equal(c.rescans, 0);
	/* nothing was asked */
	take(w);
	for (r = pending; r; r = r->next)
		assert_int_not_equal(r->kind, KCAP_CT_ASKED);
	watch_free(w);
}

/* A root deleted and made again is watched again; requests are still
 * answered next to the watch. */
static void test_ct_watch_root_again(void **state)
{
	struct kcap_ct_paths p;
	struct kcap_ct_worker *w;
	struct kcap_ct_result *r;

	(void)state;
	put_renamed("run/runc/" RUNC_PRIV "/state.json", "run/runc/" ID_A "/state.json");
	w = watch_new(&p);
	/* the answer to a request proves the watch has started */
	assert_int_equal(kcap__ct_worker_request(w, ID_A), 0);
	r = wait_result(w, KCAP_CT_ASKED, ID_A);
	assert_int_equal(r->err, 0);
	assert_true(r->meta.privileged);
	kcap__ct_result_free(r);
	/* already there at the start: not noticed */
	take(w);
	assert_null(find_result(KCAP_CT_NOTICED, ID_A));

	rm_tree("run/runc");
	kcap__ct_result_free(wait_result(w, KCAP_CT_GONE, ID_A));
	put_renamed("run/runc/" RUNC_POD "/state.json", "run/runc/" ID_D "/state.json");
	r = wait_result(w, KCAP_CT_NOTICED, ID_D);
	assert_string_equal(r->meta.name, "web");
	kcap__ct_result_free(r);
	watch_free(w);
}

/* What lost events (IN_Q_OVERFLOW) do: every root rescanned, so a
 * container the watch did not see arrive is found. */
static void test_ct_watch_rescan(void **state)
{
	struct kcap_ct_counters c;
	struct kcap_ct_paths p;
	struct kcap_ct_worker *w;
	struct kcap_ct_result *r;

	(void)state;
	put_renamed("run/crun/" CRUN_POD "/status", "run/crun/" ID_B "/status");
	put_renamed("run/crun/" CRUN_POD "/config.json", "run/crun/" ID_B "/config.json");
	w = watch_new(&p);
	assert_int_equal(kcap__ct_worker_request(w, "nothere"), 0);
	r = wait_result(w, KCAP_CT_ASKED, "nothere");
	assert_int_equal(r->err, -ENOENT);
	kcap__ct_result_free(r);
	take(w);
	assert_null(find_result(KCAP_CT_NOTICED, ID_B));
	kcap__ct_worker_rescan(w);
	r = wait_result(w, KCAP_CT_NOTICED, ID_B);
	assert_string_equal(r->meta.runtime, "crun");
	kcap__ct_result_free(r);
	kcap__ct_worker_counters(w, &c);
	assert_int_equal(c.rescans, 1);
	watch_free(w);
}

/*
 * Bounded: more new containers than the results kept untaken (1024) and
 * than lookups waiting for a try (256); what does not fit is counted as
 * dropped, and once the results are taken new ones arrive again.
 */
static void test_ct_watch_bound(void **state)
{
	const unsigned int total = 1100;
	struct kcap_ct_counters c;
	struct kcap_ct_paths p;
	struct kcap_ct_worker *w = watch_new(&p);
	struct kcap_ct_result *r;
	uint64_t deadline;
	unsigned int i, n = 0;
	char id[32];

	(void)state;
	for (i = 0; i < total; i++) {
		snprintf(id, sizeof(id), "bound%u", i);
		put_state(id);
	}
	deadline = mono_ns() + 3 * WAIT_NS;
	do {
		kcap__ct_worker_counters(w, &c);
		if (mono_ns() > deadline)
			fail_msg("%llu noticed, %llu dropped of %u", (unsigned long long)c.noticed,
				 (unsigned long long)c.dropped, total);
		pause_ms(5);
	} while (c.noticed + c.dropped < total);
	assert_true(c.noticed <= 1024);
	assert_true(c.dropped >= total - 1024);
	take(w);
	for (r = pending; r; r = r->next)
		n++;
	assert_int_equal(n, c.noticed);
	drop_pending();
	/* taken: room again */
	put_renamed("run/runc/" RUNC_POD "/state.json", "run/runc/" ID_A "/state.json");
	kcap__ct_result_free(wait_result(w, KCAP_CT_NOTICED, ID_A));
	watch_free(w);
}

/*
 * A real IN_Q_OVERFLOW: the thread answers requests before it reads the
 * watch, so while heavy lookups keep it busy more than the kernel queues
 * for an inotify instance (16384 events) happen; a container made after
 * the queue overflowed sends no event of its own and is found by the rescan
 * the overflow starts.
 */
static void test_ct_watch_overflow(void **state)
{
	const unsigned int files = 12000; /* two events each */
	const size_t heavy_len = 256u << 10;
	struct kcap_ct_counters c;
	struct kcap_ct_paths p;
	struct kcap_ct_worker *w = watch_new(&p);
	struct kcap_ct_result *r;
	char path[PATH_MAX], rel[256], *heavy, *q;
	unsigned int i;
	FILE *f;

	(void)state;
	/* a state file that takes a while to parse: many small labels */
	heavy = malloc(heavy_len + 256);
	assert_non_null(heavy);
	q = heavy + sprintf(heavy, "{\"created\": \"2026-11-30T14:39:35Z\", \"config\": "
				   "{\"labels\": [\"a=b\"");
	while ((size_t)(q - heavy) < heavy_len)
		q += sprintf(q, ",\"a=b\"");
	strcpy(q, "]}}");
	puts_file("run/runc/heavy/state.json", heavy);
	free(heavy);
	/* a watched container directory to make events in */
	put_renamed("run/runc/" RUNC_POD "/state.json", "run/runc/" ID_A "/state.json");
	kcap__ct_result_free(wait_result(w, KCAP_CT_NOTICED, ID_A));

	for (i = 0; i < files; i++) {
		if (!(i % 10))
			kcap__ct_worker_request(w, "heavy"); /* -EAGAIN when full: busy anyway */
		snprintf(rel, sizeof(rel), "run/runc/" ID_A "/f%u", i);
		scratch_path(rel, path, sizeof(path));
		f = fopen(path, "w");
		assert_non_null(f);
		assert_int_equal(fclose(f), 0);
	}
	kcap__ct_worker_request(w, "heavy");
	put_renamed("run/runc/" RUNC_PRIV "/state.json", "run/runc/" ID_D "/state.json");
	r = wait_result(w, KCAP_CT_NOTICED, ID_D);
	assert_true(r->meta.privileged);
	kcap__ct_result_free(r);
	kcap__ct_worker_counters(w, &c);
	if (!c.rescans)
		fail_msg("no overflow: %u files while the thread was busy", files);
	watch_free(w);
}

/* The first of @where that can be run, or NULL. */
static const char *find_prog(const char *const *where)
{
	for (; *where; where++)
		if (!access(*where, X_OK))
			return *where;
	return NULL;
}

/* Runs @prog with @args, stdio on /dev/null; its exit status. */
static int run_prog(const char *prog, const char *const *args)
{
	const char *argv[24];
	posix_spawn_file_actions_t fa;
	int status, i;
	pid_t pid;

	argv[0] = prog;
	for (i = 0; args[i] && i < 22; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawn(&pid, prog, &fa, NULL, (char *const *)argv, NULL)) {
		posix_spawn_file_actions_destroy(&fa);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A bundle in scratch/bundle: /bin/busybox as sleep, @rt's default spec
 * without a terminal, running sleep 30, with a CRI container-name
 * annotation. */
static void make_bundle(const char *rt, char *bundle, size_t len)
{
	char path[PATH_MAX];
	json_t *spec, *process;
	json_error_t jerr;
	size_t n;
	char *bb;
	FILE *in, *out;
	long sz;

	scratch_path("bundle/rootfs/bin/busybox", path, sizeof(path));
	in = fopen("/bin/busybox", "rb");
	assert_non_null(in);
	assert_int_equal(fseek(in, 0, SEEK_END), 0);
	sz = ftell(in);
	rewind(in);
	bb = malloc((size_t)sz);
	assert_non_null(bb);
	n = fread(bb, 1, (size_t)sz, in);
	fclose(in);
	assert_int_equal(n, (size_t)sz);
	out = fopen(path, "wb");
	assert_non_null(out);
	assert_int_equal(fwrite(bb, 1, n, out), n);
	assert_int_equal(fclose(out), 0);
	free(bb);
	assert_int_equal(chmod(path, 0755), 0);
	assert_true((size_t)snprintf(bundle, len, "%s/bundle", scratch) < len);
	snprintf(path, sizeof(path), "%s/rootfs/bin/sleep", bundle);
	assert_int_equal(symlink("busybox", path), 0);
	assert_int_equal(run_prog(rt, (const char *const[]){"spec", "--bundle", bundle, NULL}), 0);
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	spec = json_load_file(path, 0, &jerr);
	assert_non_null(spec);
	process = json_object_get(spec, "process");
	assert_non_null(process);
	json_object_set_new(process, "terminal", json_false());
	json_object_set_new(process, "args", json_pack("[ss]", "/bin/sleep", "30"));
	json_object_set_new(spec, "annotations",
			    json_pack("{ss}", "io.kubernetes.cri.container-name", "unit"));
	assert_int_equal(json_dump_file(spec, path, 0), 0);
	json_decref(spec);
}

/*
 * A real runtime (root only; skipped without it): a busybox container run
 * with its state under a root that does not exist yet is noticed, its
 * annotation read, and gone once deleted. @run: the argument lists that
 * start it, tried in turn until one succeeds; "%ROOT" and "%BUNDLE" are
 * replaced.
 */
static void real_runtime(const char *const *where, const char *name,
			 const char *const (*run)[16], size_t nrun)
{
	const char *rt = find_prog(where);
	char bundle[PATH_MAX / 2], root[PATH_MAX / 2];
	const char *id = "kcap-unit-watch", *args[16];
	struct kcap_ct_paths p = {0};
	struct kcap_ct_worker *w;
	struct kcap_ct_result *r;
	size_t i, k;
	uint64_t t0;
	int rc = -1;

	if (!rt || geteuid() != 0 || access("/bin/busybox", R_OK)) {
		printf("skipped: needs root, %s and /bin/busybox\n", name);
		skip();
	}
	make_bundle(rt, bundle, sizeof(bundle));
	snprintf(root, sizeof(root), "%s/state/%s", scratch, name);
	p.oci_roots[0] = root;
	w = kcap__ct_worker_new(&p, 16, KCAP_CT_WATCH);
	assert_non_null(w);
	/* the watch has started once a request is answered */
	assert_int_equal(kcap__ct_worker_request(w, "nothere"), 0);
	kcap__ct_result_free(wait_result(w, KCAP_CT_ASKED, "nothere"));
	t0 = mono_ns();
	for (i = 0; i < nrun && rc; i++) {
		for (k = 0; run[i][k]; k++)
			args[k] = !strcmp(run[i][k], "%ROOT")	  ? root :
				  !strcmp(run[i][k], "%BUNDLE") ? bundle :
				  !strcmp(run[i][k], "%RT")	  ? rt :
								    run[i][k];
		args[k] = NULL;
		rc = !strcmp(args[0], "-") ? -1 : run_prog(args[0], args + 1);
	}
	if (rc) {
		watch_free(w);
		printf("skipped: %s cannot run a container here\n", name);
		skip();
	}
	r = wait_result(w, KCAP_CT_NOTICED, id);
	printf("%s run -d to noticed: %.1f ms\n", name, (double)(mono_ns() - t0) / 1e6);
	assert_string_equal(r->meta.runtime, name);
	assert_string_equal(r->meta.name, "unit");
	assert_true(r->meta.start_ts > 0);
	kcap__ct_result_free(r);
	assert_int_equal(
	    run_prog(rt, (const char *const[]){"--root", root, "delete", "--force", id, NULL}), 0);
	kcap__ct_result_free(wait_result(w, KCAP_CT_GONE, id));
	watch_free(w);
}

static void test_ct_watch_runc(void **state)
{
	static const char *const where[] = {"/usr/sbin/runc", "/usr/bin/runc",
					    "/usr/local/sbin/runc", "/usr/local/bin/runc", NULL};
	static const char *const run[][16] = {
	    {"%RT", "--root", "%ROOT", "run", "-d", "--bundle", "%BUNDLE", "kcap-unit-watch", NULL},
	    {"%RT", "--root", "%ROOT", "run", "-d", "--no-pivot", "--bundle", "%BUNDLE",
	     "kcap-unit-watch", NULL},
	};

	(void)state;
	real_runtime(where, "runc", run, sizeof(run) / sizeof(run[0]));
}

/* crun 1.8.1 refuses a hybrid cgroup layout: then it runs without cgroups
 * in a private mount namespace with cgroup2 on /sys/fs/cgroup. */
static void test_ct_watch_crun(void **state)
{
	static const char *const where[] = {"/usr/bin/crun", "/usr/local/bin/crun", NULL};
	static const char *const run[][16] = {
	    {"%RT", "--root", "%ROOT", "run", "-d", "--bundle", "%BUNDLE", "kcap-unit-watch", NULL},
	    {"/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c",
	     "mount -t cgroup2 none /sys/fs/cgroup && exec \"$0\" --cgroup-manager=disabled "
	     "--root \"$1\" run -d --bundle \"$2\" kcap-unit-watch",
	     "%RT", "%ROOT", "%BUNDLE", NULL},
	};

	(void)state;
	real_runtime(where, "crun", run, sizeof(run) / sizeof(run[0]));
}


#define ST_DIR "var/lib/containers/storage/overlay-containers/"
#define ST_SPEC ST_DIR ID64 "/userdata/config.json"
#define ST_LIST ST_DIR "containers.json"
#define RUNC_LABELS(l)                                                                             \
	"{\"created\": \"2026-11-30T14:39:35Z\", \"config\": {\"labels\": [" l "]}}"

/* A lookup of ID64 in the scratch root that succeeds; the caller frees it. */
static struct kcap_ct_meta *found(void)
{
	return lookup(scratch, ID64, 0);
}

/* containers/storage: what podman writes, then each file wrong. */
static void test_ct_storage_bad(void **state)
{
	static const struct {
		const char *json, *needle;
		int err;
	} lists[] = {
	    {"{}", "not a JSON array", -EINVAL},
	    {"[1]", "not an object", -EINVAL},
	    {"[{\"id\": 5}]", "\"id\" is an integer", -EINVAL},
	    {"[{\"id\": \"" ID64 "\", \"names\": \"x\"}]", "\"names\" is a string", -EINVAL},
	    {"[{\"id\": \"" ID64 "\", \"names\": [7]}]", "a name is not a string", -EINVAL},
	    {"[{\"id\": \"" ID64 "\", \"image\": []}]", "\"image\" is an array", -EINVAL},
	    {"[{\"id\": \"" ID64 "\", \"metadata\": \"{oops\"}]", "metadata", -EINVAL},
	    {"[{\"id\": \"" ID64 "\", \"metadata\": \"{\\\"image-name\\\": 5}\"}]",
	     "image-name", -EINVAL},
	    {"[{\"id\": \"" ID64 "\"}, {\"id\": \"" ID64 "\", \"id\": \"x\"}]", "duplicate",
	     -EINVAL},
	};
	struct kcap_ct_meta *m;
	char name[400], json[600];
	size_t n, i;
	char *spec = slurp(ST_DIR PODMAN_WEB "/userdata/config.json", &n);

	(void)state;
	put(ST_SPEC, spec, n);
	free(spec);
	/* without containers.json: the spec alone */
	m = found();
	assert_string_equal(m->runtime, "podman");
	assert_string_equal(m->name, "");
	assert_string_equal(m->image, "");
	assert_string_equal(m->cmdline, "/bin/sleep 600");
	meta_free(m);
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		puts_file(ST_LIST, lists[i].json);
		expect_err(lists[i].err, lists[i].needle);
	}
	/* a name longer than the field */
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(json, sizeof(json), "[{\"id\": \"" ID64 "\", \"names\": [\"%s\"]}]", name);
	puts_file(ST_LIST, json);
	expect_err(-ENAMETOOLONG, "a name");
	/* no image name in the metadata: the image's first name in images.json */
	puts_file(ST_LIST, "[{\"id\": \"other\"}, {\"id\": \"" ID64 "\", \"names\": [\"n1\", "
			   "\"n2\"], \"image\": \"img1\", \"metadata\": \"{}\"}]");
	m = found();
	assert_string_equal(m->name, "n1");
	assert_string_equal(m->image_id, "img1");
	assert_string_equal(m->image, "");
	meta_free(m);
	puts_file("var/lib/containers/storage/overlay-images/images.json",
		  "[{\"id\": \"img1\", \"names\": [\"docker.io/library/x:2\"]}]");
	m = found();
	assert_string_equal(m->image, "docker.io/library/x:2");
	assert_string_equal(m->image_tag, "2");
	meta_free(m);
	puts_file("var/lib/containers/storage/overlay-images/images.json", "[{\"id\": \"img1\"");
	expect_err(-EINVAL, "images.json");

	/* only the run root's copy (CRI-O writes both): found there */
	rm_tree("var/lib/containers");
	spec = slurp(ST_DIR CRIO_CT "/userdata/config.json", &n);
	put("run/containers/storage/overlay-containers/" ID64 "/userdata/config.json", spec, n);
	free(spec);
	m = found();
	assert_string_equal(m->runtime, "cri-o");
	assert_string_equal(m->name, "api");
	assert_false(m->has_pod_labels); /* its sandbox is not there */
	meta_free(m);
	/* a spec that is not one */
	puts_file("run/containers/storage/overlay-containers/" ID64 "/userdata/config.json",
		  "{\"annotations\": {\"io.container.manager\": 1}}");
	expect_err(-EINVAL, "io.container.manager");
	puts_file("run/containers/storage/overlay-containers/" ID64 "/userdata/config.json",
		  "{\"process\": {\"args\": [\"a\", 2]}}");
	expect_err(-EINVAL, "argument");
	puts_file("run/containers/storage/overlay-containers/" ID64 "/userdata/config.json",
		  "{\"annotations\": {\"io.kubernetes.cri-o.Created\": \"yesterday\"}}");
	expect_err(-EINVAL, "RFC 3339");
}

/* CRI-O's annotations, wrong, and podman's privileged one. */
static void test_ct_annotations_bad(void **state)
{
	static const struct {
		const char *json, *needle;
		int err;
	} bad[] = {
	    {RUNC_LABELS("\"io.kubernetes.cri-o.Labels=oops\""), "io.kubernetes.cri-o.Labels",
	     -EINVAL},
	    {RUNC_LABELS("\"io.kubernetes.cri-o.Labels=[1]\""), "not a JSON object", -EINVAL},
	    {RUNC_LABELS("\"io.kubernetes.cri-o.Labels={\\\"a\\\": 1}\""), "label \"a\"",
	     -EINVAL},
	    {RUNC_LABELS("\"io.kubernetes.cri-o.Labels={\\\"a\\\": \\\"1\\\", "
			 "\\\"a\\\": \\\"2\\\"}\""),
	     "duplicate", -EINVAL},
	    {RUNC_LABELS("\"io.kubernetes.cri-o.Metadata={\\\"name\\\": 5}\""), "name", -EINVAL},
	    {RUNC_LABELS("\"io.kubernetes.cri-o.ImageRef=sha256:"
			 "0123456789012345678901234567890123456789012345678901234567890123"
			 "0123456789012345678901234567890123456789012345678901234567890123"
			 "0123456789012345678901234567890123456789012345678901234567890123\""),
	     "ImageRef", -ENAMETOOLONG},
	    {RUNC_LABELS("\"io.kubernetes.cri-o.IP.0="
			 "0123456789012345678901234567890123456789012345678901234567890123\""),
	     "IP.0", -ENAMETOOLONG},
	};
	struct kcap_ct_meta *m;
	char *json, *p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		puts_file(RUNC_STATE, bad[i].json);
		expect_err(bad[i].err, bad[i].needle);
	}
	/* more labels than fit: those that fit, in key order, all counted */
	json = malloc(200000);
	assert_non_null(json);
	p = json + sprintf(json, "{\"created\": \"2026-11-30T14:39:35Z\", \"config\": "
				 "{\"labels\": [\"io.kubernetes.cri-o.Labels={");
	for (i = 0; i < 2000; i++)
		p += sprintf(p, "%s\\\"k%04zu\\\": \\\"v\\\"", i ? ", " : "", 1999 - i);
	strcpy(p, "}\"]}}");
	puts_file(RUNC_STATE, json);
	free(json);
	m = found();
	assert_true(m->has_pod_labels);
	assert_int_equal(m->nr_pod_labels_total, 2000);
	assert_true(m->nr_pod_labels > 100 && m->nr_pod_labels < 2000);
	assert_string_equal(m->pod_labels, "k0000");
	assert_string_equal(kcap__ct_pod_label(m, "k0100"), "v");
	assert_null(kcap__ct_pod_label(m, "k1999"));
	meta_free(m);

	/* a CRI-O container whose sandbox names another container as its
	 * sandbox: followed once, no labels, no loop */
	puts_file(RUNC_STATE,
		  RUNC_LABELS("\"io.kubernetes.cri-o.ContainerType=container\", "
			      "\"io.kubernetes.cri-o.SandboxID=" ID_A "\""));
	puts_file("run/runc/" ID_A "/state.json",
		  RUNC_LABELS("\"io.kubernetes.cri-o.ContainerType=container\", "
			      "\"io.kubernetes.cri-o.SandboxID=" ID64 "\", "
			      "\"io.kubernetes.cri-o.Labels={}\""));
	m = found();
	assert_false(m->has_pod_labels);
	assert_string_equal(m->sandbox_id, ID_A);
	meta_free(m);
	/* a sandbox of the right type lends its labels */
	puts_file("run/runc/" ID_A "/state.json",
		  RUNC_LABELS("\"io.kubernetes.cri-o.ContainerType=sandbox\", "
			      "\"io.kubernetes.cri-o.Labels={\\\"app\\\": \\\"x\\\"}\""));
	m = found();
	assert_true(m->has_pod_labels);
	assert_string_equal(kcap__ct_pod_label(m, "app"), "x");
	meta_free(m);

	/* podman's privileged annotation wins over the spec's look */
	puts_file(RUNC_STATE, "{\"created\": \"2026-11-30T14:39:35Z\", \"config\": "
			      "{\"capabilities\": {\"Bounding\": [\"CAP_SYS_ADMIN\"]}}}");
	m = found();
	assert_true(m->privileged);
	meta_free(m);
	puts_file(RUNC_STATE, "{\"created\": \"2026-11-30T14:39:35Z\", \"config\": "
			      "{\"labels\": [\"io.podman.annotations.privileged=FALSE\"], "
			      "\"capabilities\": {\"Bounding\": [\"CAP_SYS_ADMIN\"]}}}");
	m = found();
	assert_false(m->privileged);
	meta_free(m);
	puts_file(RUNC_STATE, RUNC_LABELS("\"io.podman.annotations.privileged=TRUE\""));
	m = found();
	assert_true(m->privileged);
	meta_free(m);
}

/* docker's command, health check and address, wrong or long. */
static void test_ct_docker_extras(void **state)
{
	static const struct {
		const char *cfg, *needle;
		int err;
	} bad[] = {
	    {"{\"Args\": [1]}", "argument", -EINVAL},
	    {"{\"Path\": 1}", "Path", -EINVAL},
	    {"{\"Config\": {\"Healthcheck\": {\"Test\": [1]}}}", "Healthcheck.Test", -EINVAL},
	    {"{\"Config\": {\"Healthcheck\": []}}", "Healthcheck", -EINVAL},
	    {"{\"NetworkSettings\": {\"Networks\": {\"n\": 1}}}", "network n", -EINVAL},
	    {"{\"NetworkSettings\": {\"IPAddress\": "
	     "\"0123456789012345678901234567890123456789012345678901234567890123\"}}",
	     "IPAddress", -ENAMETOOLONG},
	};
	static const struct {
		const char *test, *want;
	} hc[] = {
	    {"[\"NONE\"]", "NONE"},
	    {"[\"CMD\", \"/bin/check\", \"-q\"]", "/bin/check -q"},
	    {"[\"CMD-SHELL\", \"exit 0\"]", "/bin/sh -c exit 0"},
	    {"[]", ""},
	};
	struct kcap_ct_meta *m;
	char json[20200];
	size_t i;

	(void)state;
	puts_file("var/lib/docker/containers/" ID64 "/hostconfig.json", "{}");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		puts_file("var/lib/docker/containers/" ID64 "/config.v2.json", bad[i].cfg);
		expect_err(bad[i].err, bad[i].needle);
	}
	for (i = 0; i < sizeof(hc) / sizeof(hc[0]); i++) {
		snprintf(json, sizeof(json),
			 "{\"Config\": {\"Healthcheck\": {\"Test\": %s}}, \"NetworkSettings\": "
			 "{\"IPAddress\": \"\", \"Networks\": {\"a\": {\"IPAddress\": \"\"}, "
			 "\"b\": {\"IPAddress\": \"fd00::5\"}}}}",
			 hc[i].test);
		puts_file("var/lib/docker/containers/" ID64 "/config.v2.json", json);
		m = found();
		assert_string_equal(m->healthcheck, hc[i].want);
		assert_string_equal(m->ip, "fd00::5");
		meta_free(m);
	}
	/* a command line longer than the field is cut, not an error */
	i = (size_t)sprintf(json, "{\"Path\": \"/bin/sh\", \"Args\": [\"-c\", \"");
	memset(json + i, 'x', 20000);
	strcpy(json + i + 20000, "\"]}");
	puts_file("var/lib/docker/containers/" ID64 "/config.v2.json", json);
	m = found();
	assert_int_equal(strlen(m->cmdline), KCAP_CT_CMDLINE_LEN - 1);
	assert_memory_equal(m->cmdline, "/bin/sh -c xxx", 14);
	meta_free(m);
}

#define RUNSC_STATE "var/run/runsc/" ID64 "_sandbox:" ID64 ".state"
#define RUNSC_OTHER "var/run/runsc/" ID64 "_sandbox:other-sandbox.state"
#define RUNSC_HEAD "{\"id\": \"" ID64 "\", \"createdAt\": \"2026-12-01T00:15:03Z\""

static void test_ct_runsc_bad(void **state)
{
	static const struct {
		const char *json, *needle;
	} bad[] = {
	    {"[]", "not a JSON object"},
	    {"{\"id\": 3}", "id"},
	    {"{\"id\": \"someone-else\", \"createdAt\": \"2026-12-01T00:15:03Z\"}", "is not"},
	    {"{\"id\": \"" ID64 "\"}", "no \"createdAt\""},
	    {"{\"id\": \"" ID64 "\", \"createdAt\": 17}", "createdAt"},
	    {"{\"id\": \"" ID64 "\", \"createdAt\": \"noon\"}", "RFC 3339"},
	    {RUNSC_HEAD ", \"spec\": []}", "\"spec\" is an array"},
	    {RUNSC_HEAD "}", "neither"},
	    {RUNSC_HEAD ", \"bundleDir\": 5}", "bundle"},
	    {RUNSC_HEAD ", \"spec\": {\"annotations\": {\"io.kubernetes.cri.sandbox-name\": 1}}}",
	     "annotation"},
	    {RUNSC_HEAD ", \"spec\": {\"mounts\": [{\"source\": \"/x\"}]}}", "destination"},
	    {RUNSC_HEAD ", \"spec\": {}, \"spec\": {}}", "duplicate"},
	};
	char path[PATH_MAX], *real, *big;
	struct kcap_ct_meta *m;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		puts_file(RUNSC_STATE, bad[i].json);
		expect_err(-EINVAL, bad[i].needle);
	}
	/* the real file, cut anywhere */
	real = slurp("var/run/runsc/" RUNSC_PLAIN "_sandbox:" RUNSC_PLAIN ".state", &n);
	for (i = 0; i < n; i += n / 7) {
		put(RUNSC_STATE, real, i);
		expect_err(-EINVAL, NULL);
	}
	free(real);
	/* no spec in the state: the bundle's config.json (under the host root) */
	puts_file(RUNSC_STATE, RUNSC_HEAD ", \"bundleDir\": \"/run/kcap-test/bundle/gone\"}");
	expect_err(-ENOENT, "no config.json");
	real = slurp("run/kcap-test/bundle/pod/config.json", &n);
	put("run/kcap-test/bundle/gone/config.json", real, n);
	free(real);
	m = lookup(scratch, ID64, 0);
	assert_string_equal(m->runtime, "runsc");
	assert_string_equal(m->pod_name, "web-7d4b9c6f5-x2x9k");
	meta_free(m);
	/* a FIFO, a directory and a symlink loop in the state file's place */
	scratch_path(RUNSC_STATE, path, sizeof(path));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkfifo(path, 0600), 0);
	expect_err(-EINVAL, "not a regular file");
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink(path, path), 0);
	expect_err(-ELOOP, ".state");
	assert_int_equal(unlink(path), 0);
	/* a file over KCAP_CT_MAX_FILE */
	big = malloc(KCAP_CT_MAX_FILE + 16);
	assert_non_null(big);
	memset(big, ' ', KCAP_CT_MAX_FILE + 16);
	memcpy(big, "{}", 2);
	put(RUNSC_OTHER, big, KCAP_CT_MAX_FILE + 16);
	free(big);
	expect_err(-EFBIG, "larger than");
	scratch_path(RUNSC_OTHER, path, sizeof(path));
	assert_int_equal(unlink(path), 0);
	/* names that only look like the id's: none of them is its file */
	puts_file("var/run/runsc/" ID64 "_sandbox:a:b.state", RUNSC_HEAD ", \"spec\": {}}");
	puts_file("var/run/runsc/" ID64 "_sandbox:.state", RUNSC_HEAD ", \"spec\": {}}");
	puts_file("var/run/runsc/" ID64 "x_sandbox:" ID64 ".state", RUNSC_HEAD ", \"spec\": {}}");
	puts_file("var/run/runsc/" ID64 "_sandbox:" ID64 ".lock", "");
	expect_err(-ENOENT, "no runtime knows");
	/* the container of another sandbox, found by the scan */
	puts_file(RUNSC_OTHER, RUNSC_HEAD ", \"spec\": {}}");
	expect_err(0, NULL);
	/* a root that is a file, not a directory: nothing there */
	scratch_path("var/run/runsc", path, sizeof(path));
	assert_int_equal(nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
	puts_file("var/run/runsc", "");
	expect_err(-ENOENT, "no runtime knows");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_ct_runc),
    cmocka_unit_test(test_ct_runsc),
    cmocka_unit_test(test_ct_crun),
    cmocka_unit_test(test_ct_docker),
    cmocka_unit_test(test_ct_podman),
    cmocka_unit_test(test_ct_crio),
    cmocka_unit_test(test_ct_ids),
    cmocka_unit_test(test_ct_image_split),
    cmocka_unit_test(test_ct_parse_time),
    cmocka_unit_test_setup_teardown(test_ct_truncated, scratch_setup, scratch_teardown),
    cmocka_unit_test_setup_teardown(test_ct_wrong_types, scratch_setup, scratch_teardown),
    cmocka_unit_test_setup_teardown(test_ct_huge, scratch_setup, scratch_teardown),
    cmocka_unit_test_setup_teardown(test_ct_many_mounts, scratch_setup, scratch_teardown),
    cmocka_unit_test_setup_teardown(test_ct_missing, scratch_setup, scratch_teardown),
    cmocka_unit_test_setup_teardown(test_ct_special_files, scratch_setup, scratch_teardown),
    cmocka_unit_test_setup_teardown(test_ct_cache_hit_forget, scratch_setup, scratch_teardown),
    cmocka_unit_test_setup_teardown(test_ct_cache_lru, scratch_setup, scratch_teardown),
    cmocka_unit_test_setup_teardown(test_ct_storage_bad, scratch_setup, scratch_teardown),
    cmocka_unit_test_setup_teardown(test_ct_annotations_bad, scratch_setup, scratch_teardown),
    cmocka_unit_test_setup_teardown(test_ct_docker_extras, scratch_setup, scratch_teardown),
    cmocka_unit_test_setup_teardown(test_ct_runsc_bad, scratch_setup, scratch_teardown),
    cmocka_unit_test_setup_teardown(test_ct_watch_appear, scratch_setup, scratch_teardown),
    cmocka_unit_test_setup_teardown(test_ct_watch_root_again, scratch_setup, scratch_teardown),
    cmocka_unit_test_setup_teardown(test_ct_watch_rescan, scratch_setup, scratch_teardown),
    cmocka_unit_test_setup_teardown(test_ct_watch_bound, scratch_setup, scratch_teardown),
    cmocka_unit_test_setup_teardown(test_ct_watch_overflow, scratch_setup, scratch_teardown),
    cmocka_unit_test_setup_teardown(test_ct_watch_runc, scratch_setup, scratch_teardown),
    cmocka_unit_test_setup_teardown(test_ct_watch_crun, scratch_setup, scratch_teardown),
};

UNIT_GROUP(container, tests)
