// SPDX-License-Identifier: Apache-2.0
/*
 * Container metadata in the state (userspace/lib/state/ctmeta.c,
 * container/worker.c) and the container.* and k8s.* fields: a thread whose
 * cgroup names a fixture container (tests/unit/fixtures/ct) gets its fields
 * once the lookup thread has read them, and not before; an unknown id stays
 * missing and is asked again after the retry interval, and found once its
 * state file appears; a capture file's events are never looked up; freeing
 * the state with lookups in flight is clean (ASan). Waits poll a condition
 * with a deadline of several seconds, never a fixed sleep.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kcap.h"
#include "kcap_detect.h"
#include "kcap_export.h"
#include "state/state.h"
#include "unit.h"
#include "evbuild.h"

#define FIX KCAP_TEST_FIXTURES "/ct"
#define RUNC_POD "e1f819fabf7946c4beb36aceb5cf7b814797aaf49c34b65db91b3290713d5c98"
#define RUNC_PRIV "6a7eb6766f747160e9d56fa45bdff3e33d5e395cf495401759fe8afe9a30278d"
#define RUNC_BIND "957948160df59db504b30e5cb46e232d6f56de902b68fc51c5a306fc075625a6"
#define CRUN_POD "499d924c47d83a79206b70213a07273ae03066b14c53aa39a6bfba2a9ab4ec8f"
#define DOCKER_WEB "3f9c2b7a5d6e4f1a8b0c9d2e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a"
#define ID64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define POD_UID "0f6e7a52-3c1d-4a7e-9b8f-2d5c6e7f8a9b"
#define PODMAN_PRIV "c5507a542432ddb54d9e092bb307c86fe57d633c5d8552220851b530de33f124"
#define CRIO_CT "2d8e4a6c0f1b3d5e7a9c1e3f5b7d9a2c4e6f8b0d2a4c6e8f0b2d4a6c8e0f1a3b"
#define CRIO_UID "3b8f2c1d-6e4a-4f9b-8c7d-1a2b3c4d5e6f"
#define WAIT_NS (10ull * 1000000000ull) /* deadline of every wait */





/* Thread @tid execs sh in cgroup @cg. */
static const struct kcap_event_hdr *exec_in(struct evb *e, __u32 tid, __u64 ts, const char *cg)
{
	static const char argv[] = "sh";
	struct p exec[] = { { S64(0) },	  { STR("/bin/sh") }, { argv, sizeof(argv) },
			    { STR("/") }, { STR("/bin/sh") }, { STR("sh") },
			    { U32(0) },	  { U32(0) },	      { U32(0) },
			    { U32(0) },	  { U32(0) },	      { U32(1) },
			    { U32(1) },	  { STR(cg) } };

	return mk_tid(e, KCAP_EVT_EXECVE, tid, ts, 14, exec);
}

/* Another event of thread @tid: a failed close. */
static const struct kcap_event_hdr *tick(struct evb *e, __u32 tid, __u64 ts)
{
	struct p clos[] = { { S64(-9) }, { S64(99) } };

	return mk_tid(e, KCAP_EVT_CLOSE, tid, ts, 2, clos);
}

static __u64 mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (__u64)t.tv_sec * 1000000000ull + (__u64)t.tv_nsec;
}

static void pause_1ms(void)
{
	struct timespec t = { 0, 1000000 };

	nanosleep(&t, NULL);
}

/* Field text of @fmt for @ev ("<NA>" when missing). */
static const char *render(struct kcap_state *st, struct kcap *h, const struct kcap_event_hdr *ev,
			  const char *fmt)
{
	static char out[4096];
	struct kcap_output *o = kcap_output_compile(fmt, NULL);

	assert_non_null(o);
	assert_true(kcap_output_render(o, st, h, ev, out, sizeof(out)) >= 0);
	kcap_output_free(o);
	return out;
}

static struct kcap_state *new_state_watch(const char *root, int mode, int watch)
{
	struct kcap_state_opts o = { .sz = sizeof(o),
				     .passwd = "/nonexistent",
				     .group = "/nonexistent",
				     .container_lookup = mode,
				     .container_root = root,
				     .container_watch = watch };
	struct kcap_state *st = kcap_state_new(&o);

	assert_non_null(st);
	return st;
}

static struct kcap_state *new_state(const char *root, int mode)
{
	return new_state_watch(root, mode, KCAP_CT_WATCH_ON);
}

/* Feeds events of @tid until field @fmt renders something other than
 * <NA>, at most WAIT_NS; returns the text. */
static const char *wait_field(struct kcap_state *st, __u32 tid, __u64 *ts, const char *fmt)
{
	__u64 deadline = mono_ns() + WAIT_NS;
	const struct kcap_event_hdr *ev;
	const char *s;
	struct evb e;

	for (;;) {
		ev = tick(&e, tid, ++*ts);
		assert_int_equal(kcap_state_update(st, NULL, ev), 0);
		s = render(st, NULL, ev, fmt);
		if (strcmp(s, "<NA>"))
			return s;
		if (mono_ns() > deadline)
			fail_msg("%s still missing after %llu s", fmt,
				 (unsigned long long)(WAIT_NS / 1000000000ull));
		pause_1ms();
	}
}

static void test_ctstate_fields(void **state)
{
	struct kcap_state *st = new_state(FIX, KCAP_CT_LOOKUP_ALWAYS);
	struct kcap_state_stats s;
	const struct kcap_event_hdr *ev;
	struct evb e;
	__u64 ts = 1000;
	bool known;

	(void)state;
	/* a containerd pod's container (cgroupfs naming): the cgroup gives the
	 * id and the pod UID at once, the rest comes from runc's state.json */
	ev = exec_in(&e, 101, ++ts, "0::/kubepods/besteffort/pod" POD_UID "/" RUNC_POD);
	assert_int_equal(kcap_state_update(st, NULL, ev), 0);
	/* not yet: the result is taken in at a later event, never waited for */
	assert_string_equal(render(st, NULL, ev, "%container.name %k8s.pod.name %k8s.pod.uid"),
			    "<NA> <NA> " POD_UID);
	kcap_state_stats(st, &s, sizeof(s));
	assert_int_equal(s.ct_lookups, 1);
	assert_int_equal(s.ct_events_nometa, 1);
	assert_int_equal(s.ct_events_nometa_first_s, 1);

	assert_string_equal(wait_field(st, 101, &ts, "%container.name"), "web");
	ev = tick(&e, 101, ++ts);
	assert_int_equal(kcap_state_update(st, NULL, ev), 0);
	assert_string_equal(render(st, NULL, ev,
				   "%container.id %container.type %container.image "
				   "%container.image.repository %container.image.tag "
				   "%container.image.digest %container.privileged %k8s.ns.name "
				   "%k8s.pod.name %k8s.pod.uid %container.image.id"),
			    "e1f819fabf79 cri registry.example.org/shop/web:1.4.2@sha256:"
			    "abababababababababababababababababababababababababababababababab "
			    "registry.example.org/shop/web 1.4.2 sha256:"
			    "abababababababababababababababababababababababababababababababab "
			    "false shop web-7d4b9c6f5-x2x9k " POD_UID " <NA>");
	kcap_state_stats(st, &s, sizeof(s));
	assert_int_equal(s.ct_lookups, 1); /* asked once, however many events waited */
	assert_int_equal(s.ct_found, 1);
	assert_int_equal(s.ct_failed, 0);
	assert_true(s.ct_events_nometa >= 1);
	assert_int_equal(kcap__ct_waited(st, RUNC_POD, &known), s.ct_events_nometa);
	assert_true(known);

	/* docker: mounts in Falco's form, by number and by glob */
	ev = exec_in(&e, 102, ++ts, "0::/system.slice/docker-" DOCKER_WEB ".scope");
	assert_int_equal(kcap_state_update(st, NULL, ev), 0);
	assert_string_equal(wait_field(st, 102, &ts, "%container.mounts"),
			    "/srv/www:/usr/share/nginx/html::false:rprivate,"
			    "/var/lib/docker/volumes/nginx-cache/_data:/var/cache/nginx::true:");
	ev = tick(&e, 102, ++ts);
	assert_int_equal(kcap_state_update(st, NULL, ev), 0);
	assert_string_equal(
	    render(st, NULL, ev,
		   "%container.type %container.name %container.image.repository "
		   "%container.image.tag %container.image.id %container.start_ts"),
	    "docker web nginx 1.25 "
	    "a8758716bb6aa4d90071160d27028fe4eaee7ce8166221a97d30440c8eac2be6 "
	    "1796047507123456789");
	assert_string_equal(render(st, NULL, ev,
				   "%container.mount[1]|%container.mount[/srv/*]|"
				   "%container.mount[/nothere]|%container.mount[7]|"
				   "%container.mount.dest[/srv/www]|"
				   "%container.mount.source[/var/cache/nginx]|"
				   "%container.mount.rdwr[0]|%container.mount.propagation[0]|"
				   "%container.mount.source[5]|%k8s.pod.name"),
			    "/var/lib/docker/volumes/nginx-cache/_data:/var/cache/nginx::true:|"
			    "/srv/www:/usr/share/nginx/html::false:rprivate|none|none|"
			    "/usr/share/nginx/html|/var/lib/docker/volumes/nginx-cache/_data|"
			    "false|rprivate|<NA>|<NA>");

	/* runc without a manager: a bare id in the cgroup; runc's state
	 * files say who keeps it */
	ev = exec_in(&e, 103, ++ts, "0::/" RUNC_PRIV);
	assert_int_equal(kcap_state_update(st, NULL, ev), 0);
	assert_string_equal(wait_field(st, 103, &ts, "%container.privileged"), "true");
	ev = tick(&e, 103, ++ts);
	assert_int_equal(kcap_state_update(st, NULL, ev), 0);
	assert_string_equal(render(st, NULL, ev, "%container.type"), "runc");
	{
		struct kcap_filter *f = kcap_filter_compile(
		    "container.privileged = true and container.type = runc", NULL);

		assert_non_null(f);
		assert_int_equal(kcap_filter_match(f, st, NULL, ev), 1);
		kcap_filter_free(f);
	}
	/* crun, and the host: nothing asked for a host thread */
	ev = exec_in(&e, 104, ++ts, "0::/kubepods/pod" POD_UID "/" CRUN_POD);
	assert_int_equal(kcap_state_update(st, NULL, ev), 0);
	assert_string_equal(wait_field(st, 104, &ts, "%k8s.ns.name"), "shop");
	kcap_state_stats(st, &s, sizeof(s));
	ev = exec_in(&e, 105, ++ts, "0::/user.slice/session-1.scope");
	assert_int_equal(kcap_state_update(st, NULL, ev), 0);
	assert_string_equal(render(st, NULL, ev, "%container.id %container.type %container.name"),
			    "host host <NA>");
	{
		struct kcap_state_stats s2;

		kcap_state_stats(st, &s2, sizeof(s2));
		assert_int_equal(s2.ct_lookups, s.ct_lookups);
		assert_int_equal(s2.ct_lookups, 4);
	}
	kcap_state_free(st);
}


/* podman's and CRI-O's containers, and the fields added with them. */
static void test_ctstate_podman_crio(void **state)
{
	struct kcap_state *st = new_state(FIX, KCAP_CT_LOOKUP_ALWAYS);
	const struct kcap_event_hdr *ev;
	struct evb e;
	__u64 ts = 1000;

	(void)state;
	ev = exec_in(&e, 701, ++ts, "0::/libpod_parent/libpod-" PODMAN_PRIV);
	assert_int_equal(kcap_state_update(st, NULL, ev), 0);
	assert_string_equal(wait_field(st, 701, &ts, "%container.name"), "kcap-priv");
	ev = tick(&e, 701, ++ts);
	assert_int_equal(kcap_state_update(st, NULL, ev), 0);
	assert_string_equal(render(st, NULL, ev,
				   "%container.type|%container.image|%container.privileged|"
				   "%container.cmdline|%container.ip|%k8s.pod.labels|"
				   "%k8s.pod.label.app|%k8s.pod.sandbox_id"),
			    "podman|localhost/kcap-busybox:1.0|true|/bin/sleep 600|<NA>|<NA>|<NA>|"
			    "<NA>");

	ev = exec_in(&e, 702, ++ts, "0::/kubepods/besteffort/pod" CRIO_UID "/crio-" CRIO_CT ".scope");
	assert_int_equal(kcap_state_update(st, NULL, ev), 0);
	assert_string_equal(wait_field(st, 702, &ts, "%k8s.pod.name"), "shop-api-6c9f7d8b4-q8kzt");
	ev = tick(&e, 702, ++ts);
	assert_int_equal(kcap_state_update(st, NULL, ev), 0);
	assert_string_equal(
	    render(st, NULL, ev,
		   "%container.type|%container.name|%container.image.repository|"
		   "%container.image.tag|%k8s.ns.name|%k8s.pod.uid|%container.ip|"
		   "%container.cmdline|%k8s.pod.sandbox_id|%k8s.pod.full_sandbox_id"),
	    "cri-o|api|quay.example.org/shop/api|2.3.1|shop|" CRIO_UID "|10.85.0.17|"
	    "/usr/bin/shop-api --listen :8080|7f3c9a1e5b2d|"
	    "7f3c9a1e5b2d4c6f8a0e1b3d5f7a9c2e4b6d8f0a1c3e5a7b9d2f4e6a8c0b1d3f");
	/* Falco's form: key order, io.kubernetes.* left out; one label by
	 * name, "" for one the pod does not have */
	assert_string_equal(render(st, NULL, ev,
				   "%k8s.pod.labels|%k8s.pod.label.tier|"
				   "%k8s.pod.label[app.kubernetes.io/name]|%k8s.pod.label[nope]|"
				   "%k8s.pod.label.io.kubernetes.pod.namespace"),
			    "app:shop-api, app.kubernetes.io/name:shop-api, "
			    "pod-template-hash:6c9f7d8b4, tier:backend|backend|shop-api||shop");
	{
		struct kcap_filter *f = kcap_filter_compile(
		    "k8s.pod.label.tier = backend and container.ip = 10.85.0.17 and "
		    "k8s.pod.labels contains \"app:shop-api\"",
		    NULL);

		assert_non_null(f);
		assert_int_equal(kcap_filter_match(f, st, NULL, ev), 1);
		kcap_filter_free(f);
	}

	/* the export carries them: Event.container in proto3 JSON */
	{
		char out[] = "/tmp/kcap-ctexport-XXXXXX", text[8192] = "";
		int fd = mkstemp(out);
		struct kcap_exporter *x;
		size_t n;
		FILE *fp;

		assert_true(fd >= 0);
		close(fd);
		{
			KCAP_OPTS(kcap_export_opts, o, .format = KCAP_EXPORT_JSON,
				  .flags = KCAP_EXPORT_BLOCK, .path = out, .state = st);

			x = kcap_exporter_open(&o);
		}
		assert_non_null(x);
		assert_int_equal(kcap_exporter_event(x, NULL, ev), 0);
		assert_int_equal(kcap_exporter_flush(x, 5000), 0);
		kcap_exporter_close(x);
		fp = fopen(out, "r");
		assert_non_null(fp);
		n = fread(text, 1, sizeof(text) - 1, fp);
		text[n] = 0;
		fclose(fp);
		unlink(out);
		assert_non_null(strstr(text, "\"podLabels\":[\"app:shop-api\",\"app.kubernetes.io/name:shop-api\","
					     "\"pod-template-hash:6c9f7d8b4\",\"tier:backend\"]"));
		assert_non_null(strstr(text, "\"ip\":\"10.85.0.17\""));
		assert_non_null(strstr(text, "\"cmdline\":\"/usr/bin/shop-api --listen :8080\""));
	}

	/* docker's health check, address and command */
	ev = exec_in(&e, 703, ++ts, "0::/system.slice/docker-" DOCKER_WEB ".scope");
	assert_int_equal(kcap_state_update(st, NULL, ev), 0);
	assert_string_equal(wait_field(st, 703, &ts, "%container.ip"), "172.17.0.2");
	ev = tick(&e, 703, ++ts);
	assert_int_equal(kcap_state_update(st, NULL, ev), 0);
	assert_string_equal(render(st, NULL, ev,
				   "%container.healthcheck|%container.cmdline|%k8s.pod.labels"),
			    "/bin/sh -c curl -f http://localhost/ || exit 1|"
			    "/docker-entrypoint.sh nginx -g daemon off;|<NA>");
	kcap_state_free(st);
}

/* ---- A scratch host root ------------------------------------------------------ */

static char scratch[64];

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int scratch_setup(void **state)
{
	(void)state;
	snprintf(scratch, sizeof(scratch), "/tmp/kcap-ctstate-XXXXXX");
	return mkdtemp(scratch) ? 0 : -1;
}

static int scratch_teardown(void **state)
{
	(void)state;
	return nftw(scratch, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	FILE *in = fopen(from, "rb"), *out;
	size_t n;

	assert_non_null(in);
	out = fopen(to, "wb");
	assert_non_null(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	assert_int_equal(fclose(out), 0);
}

/* An id no runtime knows: missing, not asked again while the answer is
 * fresh, asked again after the retry interval and found once its state
 * file is there (the watch is off: it would notice the file at once). */
static void test_ctstate_retry(void **state)
{
	struct kcap_state *st = new_state_watch(scratch, KCAP_CT_LOOKUP_ALWAYS, KCAP_CT_WATCH_OFF);
	const struct kcap_event_hdr *ev;
	struct kcap_state_stats s;
	char dir[PATH_MAX], path[PATH_MAX + 32];
	__u64 ts = 1000, deadline, t_failed;
	struct evb e;
	bool known;

	(void)state;
	ev = exec_in(&e, 201, ++ts, "0::/docker/" ID64);
	assert_int_equal(kcap_state_update(st, NULL, ev), 0);
	deadline = mono_ns() + WAIT_NS;
	do {
		ev = tick(&e, 201, ++ts);
		assert_int_equal(kcap_state_update(st, NULL, ev), 0);
		kcap_state_stats(st, &s, sizeof(s));
		if (mono_ns() > deadline)
			fail_msg("no failed lookup after 10 s");
		if (!s.ct_failed)
			pause_1ms();
	} while (!s.ct_failed);
	t_failed = mono_ns();
	assert_int_equal(s.ct_lookups, 1);
	assert_string_equal(render(st, NULL, ev, "%container.name %container.image"),
			    "<NA> <NA>");
	/* at once again: the fresh failure is not asked again */
	ev = tick(&e, 201, ++ts);
	assert_int_equal(kcap_state_update(st, NULL, ev), 0);
	kcap_state_stats(st, &s, sizeof(s));
	if (mono_ns() - t_failed < 500000000ull) /* well within the 1 s interval */
		assert_int_equal(s.ct_lookups, 1);
	assert_int_equal(kcap__ct_waited(st, ID64, &known), s.ct_events_nometa);
	assert_false(known);

	/* the runtime writes the container's files a moment later */
	snprintf(dir, sizeof(dir), "%s/var", scratch);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(dir, sizeof(dir), "%s/var/lib", scratch);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(dir, sizeof(dir), "%s/var/lib/docker", scratch);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(dir, sizeof(dir), "%s/var/lib/docker/containers", scratch);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(dir, sizeof(dir), "%s/var/lib/docker/containers/" ID64, scratch);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/hostconfig.json", dir);
	copy_file(FIX "/var/lib/docker/containers/" DOCKER_WEB "/hostconfig.json", path);
	snprintf(path, sizeof(path), "%s/config.v2.json", dir);
	copy_file(FIX "/var/lib/docker/containers/" DOCKER_WEB "/config.v2.json", path);

	assert_string_equal(wait_field(st, 201, &ts, "%container.image"), "nginx:1.25");
	assert_true(mono_ns() - t_failed >= 900000000ull); /* not before the interval */
	kcap_state_stats(st, &s, sizeof(s));
	assert_true(s.ct_lookups >= 2);
	assert_true(s.ct_failed >= 1);
	assert_int_equal(s.ct_found, 1);
	assert_int_equal(kcap__ct_waited(st, ID64, &known), s.ct_events_nometa);
	assert_true(known);
	kcap_state_free(st);
}

static void mkdirs(const char *rel)
{
	char path[PATH_MAX], *slash;

	snprintf(path, sizeof(path), "%s/%s", scratch, rel);
	for (slash = strchr(path + strlen(scratch) + 1, '/');; slash = strchr(slash + 1, '/')) {
		if (slash)
			*slash = '\0';
		assert_true(mkdir(path, 0755) == 0 || errno == EEXIST);
		if (!slash)
			break;
		*slash = '/';
	}
}

/* Ticks thread @tid (of a known container: each event takes the worker's
 * results in) until @id is cached (@want true) or not. */
static void tick_until_known(struct kcap_state *st, __u32 tid, __u64 *ts, const char *id,
			     bool want)
{
	__u64 deadline = mono_ns() + WAIT_NS;
	struct evb e;
	bool known;

	for (;;) {
		assert_int_equal(kcap_state_update(st, NULL, tick(&e, tid, ++*ts)), 0);
		kcap__ct_waited(st, id, &known);
		if (known == want)
			return;
		if (mono_ns() > deadline)
			fail_msg("%s still %s after 10 s", id, want ? "unknown" : "known");
		pause_1ms();
	}
}

/*
 * The watch (on by default): a live state starts it when seeded; a
 * container whose state file appears afterwards is looked up unasked and
 * its first event already has its fields; its directory deleted, it is
 * forgotten.
 */
static void test_ctstate_noticed(void **state)
{
	struct kcap_state *st = new_state(scratch, KCAP_CT_LOOKUP_LIVE);
	const struct kcap_event_hdr *ev;
	struct kcap_state_stats s, s2;
	char path[PATH_MAX + 64], tmp[PATH_MAX + 64];
	__u64 ts = 1000;
	struct evb e;
	bool known;

	(void)state;
	/* a container there before kcap: asked for at its first event */
	mkdirs("run/runc/" RUNC_PRIV);
	snprintf(path, sizeof(path), "%s/run/runc/" RUNC_PRIV "/state.json", scratch);
	copy_file(FIX "/run/runc/" RUNC_PRIV "/state.json", path);
	assert_int_equal(kcap_state_seed(st, NULL), 0);
	ev = exec_in(&e, 801, ++ts, "0::/" RUNC_PRIV);
	assert_int_equal(kcap_state_update(st, NULL, ev), 0);
	assert_string_equal(wait_field(st, 801, &ts, "%container.privileged"), "true");
	kcap_state_stats(st, &s, sizeof(s));
	assert_int_equal(s.ct_lookups, 1);

	/* a new one: runc renames its state.json into place */
	mkdirs("run/runc/" ID64);
	snprintf(tmp, sizeof(tmp), "%s/run/runc/" ID64 "/state.json.tmp", scratch);
	copy_file(FIX "/run/runc/" RUNC_POD "/state.json", tmp);
	snprintf(path, sizeof(path), "%s/run/runc/" ID64 "/state.json", scratch);
	assert_int_equal(rename(tmp, path), 0);
	tick_until_known(st, 801, &ts, ID64, true);
	kcap_state_stats(st, &s, sizeof(s));
	assert_true(s.ct_noticed >= 1);
	/* its first event has the fields; nothing was asked */
	ev = exec_in(&e, 802, ++ts, "0::/kubepods/besteffort/pod" POD_UID "/" ID64);
	assert_int_equal(kcap_state_update(st, NULL, ev), 0);
	assert_string_equal(render(st, NULL, ev, "%container.name %k8s.pod.name"),
			    "web web-7d4b9c6f5-x2x9k");
	kcap_state_stats(st, &s2, sizeof(s2));
	assert_int_equal(s2.ct_lookups, 1);
	assert_int_equal(s2.ct_events_nometa, s.ct_events_nometa);
	assert_int_equal(kcap__ct_waited(st, ID64, &known), 0);
	assert_true(known);

	/* runc deletes the directory: forgotten */
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/run/runc/" ID64, scratch);
	assert_int_equal(rmdir(path), 0);
	tick_until_known(st, 801, &ts, ID64, false);
	kcap_state_stats(st, &s, sizeof(s));
	assert_int_equal(s.ct_forgotten, 1);
	kcap_state_free(st);
}

/* A capture file's events are never looked up: not when the events come
 * with its handle, not after a seed from it, whatever the options say. */
static void test_ctstate_file(void **state)
{
	char path[PATH_MAX], err[256] = "";
	KCAP_OPTS(kcap_writer_opts, wo, .flags = KCAP_WRITER_NO_PROCS, .errbuf = err,
		  .errbuf_sz = sizeof(err));
	const struct kcap_event_hdr *ev;
	struct kcap_state_stats s;
	struct kcap_writer *w;
	struct kcap_state *st;
	struct kcap *h;
	struct evb e;
	__u64 deadline;
	unsigned int i;

	(void)state;
	snprintf(path, sizeof(path), "%s/one.kcap", scratch);
	w = kcap_writer_open(path, &wo);
	if (!w)
		fail_msg("kcap_writer_open: %s", err);
	ev = exec_in(&e, 301, 5000, "0::/" RUNC_PRIV);
	assert_int_equal(kcap_writer_write(w, ev), 0);
	assert_int_equal(kcap_writer_finish(w), 0);
	kcap_writer_close(w);
	h = kcap_open_file(path, NULL);
	assert_non_null(h);

	/* the events come with the file's handle */
	st = new_state(FIX, KCAP_CT_LOOKUP_ALWAYS);
	for (i = 0; i < 3; i++) {
		assert_int_equal(kcap_state_update(st, h, ev), 0);
		assert_string_equal(render(st, h, ev, "%container.id %container.privileged"),
				    "6a7eb6766f74 <NA>");
	}
	kcap_state_stats(st, &s, sizeof(s));
	assert_int_equal(s.ct_lookups, 0);
	assert_int_equal(s.ct_events_nometa, 0);
	kcap_state_free(st);

	/* seeded from the file, events then without a handle */
	st = new_state(FIX, KCAP_CT_LOOKUP_ALWAYS);
	assert_int_equal(kcap_state_seed(st, h), 0);
	assert_int_equal(kcap_state_update(st, NULL, ev), 0);
	deadline = mono_ns() + 200000000ull; /* time a lookup would have to answer */
	while (mono_ns() < deadline) {
		ev = tick(&e, 301, 6000);
		assert_int_equal(kcap_state_update(st, NULL, ev), 0);
		assert_string_equal(render(st, NULL, ev, "%container.privileged"), "<NA>");
		pause_1ms();
	}
	kcap_state_stats(st, &s, sizeof(s));
	assert_int_equal(s.ct_lookups, 0);
	kcap_state_free(st);
	kcap_close(h);
}

/* The modes: NEVER asks nothing; LIVE (the default) asks nothing for a
 * state that was not seeded from a live source. */
static void test_ctstate_modes(void **state)
{
	int modes[] = { KCAP_CT_LOOKUP_NEVER, KCAP_CT_LOOKUP_LIVE };
	const struct kcap_event_hdr *ev;
	struct kcap_state_stats s;
	struct kcap_state_opts bad = { .sz = sizeof(bad), .container_lookup = 3 };
	struct kcap_state_opts bad_watch = { .sz = sizeof(bad_watch), .container_watch = 2 };
	const char *roots[10] = { "a", "b", "c", "d", "e", "f", "g", "h", "i", NULL };
	struct kcap_state_opts many = { .sz = sizeof(many), .oci_roots = roots };
	struct evb e;
	unsigned int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct kcap_state *st = new_state(FIX, modes[i]);

		ev = exec_in(&e, 401, 10, "0::/" RUNC_PRIV);
		assert_int_equal(kcap_state_update(st, NULL, ev), 0);
		assert_string_equal(render(st, NULL, ev, "%container.privileged"), "<NA>");
		kcap_state_stats(st, &s, sizeof(s));
		assert_int_equal(s.ct_lookups, 0);
		kcap_state_free(st);
	}
	errno = 0;
	assert_null(kcap_state_new(&bad));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(kcap_state_new(&bad_watch));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(kcap_state_new(&many)); /* at most 8 roots */
	assert_int_equal(errno, EINVAL);
}

/* More unknown containers than the queue (256) and the table of waited ids
 * (1024) hold: a full table makes room by forgetting the failed id asked
 * longest ago, so a container seen after them all is still found (whether
 * asks beyond a full queue are dropped depends on the thread's pace: not
 * checked). */
static void test_ctstate_bounds(void **state)
{
	struct kcap_state *st = new_state(FIX, KCAP_CT_LOOKUP_ALWAYS);
	struct kcap_state_stats s;
	char cg[128];
	struct evb e;
	__u64 ts = 1000;
	unsigned int i;

	(void)state;
	for (i = 0; i < 1100; i++) {
		snprintf(cg, sizeof(cg), "0::/%064x", i + 1);
		assert_int_equal(kcap_state_update(st, NULL, exec_in(&e, 10000 + i, ++ts, cg)), 0);
	}
	kcap_state_stats(st, &s, sizeof(s));
	assert_true(s.ct_lookups <= 1100);
	assert_int_equal(s.ct_found, 0);
	assert_int_equal(kcap_state_update(st, NULL, exec_in(&e, 20000, ++ts, "0::/" RUNC_PRIV)),
			 0);
	assert_string_equal(wait_field(st, 20000, &ts, "%container.privileged"), "true");
	kcap_state_free(st);
}

/* kcap_state_free() with lookups queued and under way: the thread is
 * joined and every result freed (ASan reports leaks and races). */
static void test_ctstate_free_inflight(void **state)
{
	static const char *const ids[] = { RUNC_POD, RUNC_PRIV, RUNC_BIND, CRUN_POD, DOCKER_WEB,
					   ID64 };
	const char *roots[] = { "/run/runc", "/run/crun", NULL };
	unsigned int round, i;
	struct evb e;

	(void)state;
	for (round = 0; round < 20; round++) {
		struct kcap_state_opts o = { .sz = sizeof(o),
					     .passwd = "/nonexistent",
					     .container_lookup = KCAP_CT_LOOKUP_ALWAYS,
					     .container_root = FIX,
					     .oci_roots = roots };
		struct kcap_state *st = kcap_state_new(&o);
		char cg[128];

		assert_non_null(st);
		for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
			snprintf(cg, sizeof(cg), "0::/%s", ids[i]);
			assert_int_equal(kcap_state_update(st, NULL, exec_in(&e, 500 + i, 10 + i, cg)),
					 0);
		}
		/* some rounds let a few finish, so results wait unread too */
		for (i = 0; i < round % 4; i++)
			pause_1ms();
		kcap_state_free(st);
	}
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_ctstate_fields),
    cmocka_unit_test(test_ctstate_podman_crio),
    cmocka_unit_test_setup_teardown(test_ctstate_noticed, scratch_setup, scratch_teardown),
    cmocka_unit_test_setup_teardown(test_ctstate_retry, scratch_setup, scratch_teardown),
    cmocka_unit_test_setup_teardown(test_ctstate_file, scratch_setup, scratch_teardown),
    cmocka_unit_test(test_ctstate_modes),
    cmocka_unit_test(test_ctstate_bounds),
    cmocka_unit_test(test_ctstate_free_inflight),
};

UNIT_GROUP(ctstate, tests)
