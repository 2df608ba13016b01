// SPDX-License-Identifier: Apache-2.0
/*
 * The container table of capture files (CONTAINERS blocks, format 1.2;
 * capture/file_containers.c): a recorder's state hands what its lookups
 * found in the fixture runtimes' files (tests/unit/fixtures/ct) to the
 * writer with kcap_state_write_containers(); a state reading the file back
 * gets container.* and k8s.* from the file's table, from the block on,
 * with a later record of the same id replacing the earlier, and never
 * looks anything up; the JSON export carries the same; a copy keeps the
 * table; malformed CONTAINERS blocks are refused with one sentence; files
 * of format 1.0 and 1.1 still read, without a table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "kcap.h"
#include "kcap_detect.h"
#include "kcap_export.h"
#include "capture/capture.h"
#include "capture/file_format.h"
#include "container/container.h"
#include "unit.h"
#include "evbuild.h"

#define FIX KCAP_TEST_FIXTURES "/ct"
#define RUNC_POD "e1f819fabf7946c4beb36aceb5cf7b814797aaf49c34b65db91b3290713d5c98"
#define RUNC_PRIV "6a7eb6766f747160e9d56fa45bdff3e33d5e395cf495401759fe8afe9a30278d"
#define CRUN_POD "499d924c47d83a79206b70213a07273ae03066b14c53aa39a6bfba2a9ab4ec8f"
#define DOCKER_WEB "3f9c2b7a5d6e4f1a8b0c9d2e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a"
#define ID64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define POD_UID "0f6e7a52-3c1d-4a7e-9b8f-2d5c6e7f8a9b"
#define WAIT_NS (10ull * 1000000000ull)

static const char *const cgroups[] = {
	"0::/kubepods/besteffort/pod" POD_UID "/" RUNC_POD,
	"0::/system.slice/docker-" DOCKER_WEB ".scope",
	"0::/" RUNC_PRIV,
	"0::/kubepods/pod" POD_UID "/" CRUN_POD,
	"0::/user.slice/session-1.scope",
};
#define NR_THREADS 5
#define TID0 700

static char dir[64];

static int dir_setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/kcap-ctfile-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int dir_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

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

static struct kcap_state *new_state(const char *root, int mode)
{
	struct kcap_state_opts o = { .sz = sizeof(o),
				     .passwd = "/nonexistent",
				     .group = "/nonexistent",
				     .container_lookup = mode,
				     .container_root = root };
	struct kcap_state *st = kcap_state_new(&o);

	assert_non_null(st);
	return st;
}

static struct kcap_writer *writer(const char *path, struct kcap *src)
{
	static char err[256];
	KCAP_OPTS(kcap_writer_opts, wo, .flags = KCAP_WRITER_NO_PROCS, .source = src,
		  .passwd = "/nonexistent", .group = "/nonexistent", .errbuf = err,
		  .errbuf_sz = sizeof(err));
	struct kcap_writer *w = kcap_writer_open(path, &wo);

	if (!w)
		fail_msg("kcap_writer_open: %s", err);
	return w;
}

/* One event of every thread, each time @ts later, fed to @st and @w. */
static void round_of(struct kcap_state *st, struct kcap_writer *w, __u64 *ts, bool exec)
{
	struct evb e;
	const struct kcap_event_hdr *ev;
	unsigned int i;

	for (i = 0; i < NR_THREADS; i++) {
		ev = exec ? exec_in(&e, TID0 + i, ++*ts, cgroups[i]) : tick(&e, TID0 + i, ++*ts);
		if (st)
			assert_int_equal(kcap_state_update(st, NULL, ev), 0);
		assert_int_equal(kcap_writer_write(w, ev), 0);
	}
}

/*
 * Records @path as a recorder does: batch 1 before any lookup answered
 * (no table yet), the table, batch 2, a changed record of RUNC_PRIV
 * (name "renamed"), batch 3. Returns the events' timestamps' bounds in
 * @b1_end and @b2_end.
 */
static void record(const char *path, __u64 *b1_end, __u64 *b2_end)
{
	struct kcap_state *st = new_state(FIX, KCAP_CT_LOOKUP_ALWAYS);
	struct kcap_writer *w = writer(path, NULL);
	struct kcap_writer_stats ws;
	struct kcap_state_stats s;
	__u64 ts = 1000, deadline = mono_ns() + WAIT_NS;
	struct kcap_ct_meta copy;
	struct evb e;

	round_of(st, w, &ts, true);
	assert_int_equal(kcap_writer_flush(w), 0);
	*b1_end = ts;
	/* the lookups answer in the background; the recorder hands each
	 * result over as it comes */
	for (;;) {
		assert_int_equal(kcap_state_write_containers(st, w), 0);
		kcap_state_stats(st, &s, sizeof(s));
		if (s.ct_found == 4)
			break;
		if (mono_ns() > deadline)
			fail_msg("%llu of 4 containers found", (unsigned long long)s.ct_found);
		assert_int_equal(kcap_state_update(st, NULL, tick(&e, TID0, 10)), 0);
		usleep(1000);
	}
	assert_int_equal(kcap_state_write_containers(st, w), 0);
	/* all known as they are: nothing queued twice */
	assert_int_equal(kcap_state_write_containers(st, w), 0);
	round_of(st, w, &ts, false);
	assert_int_equal(kcap_writer_flush(w), 0);
	*b2_end = ts;
	kcap_writer_stats(w, &ws, sizeof(ws));
	assert_int_equal(ws.containers, 4);

	/* an update: the same id with another name */
	{
		struct kcap_thread_info ti;

		assert_int_equal(kcap_state_thread(st, TID0 + 2, &ti, sizeof(ti)), 0);
		assert_string_equal(ti.container.id, RUNC_PRIV);
	}
	memset(&copy, 0, sizeof(copy));
	snprintf(copy.id, sizeof(copy.id), "%s", RUNC_PRIV);
	snprintf(copy.runtime, sizeof(copy.runtime), "runc");
	snprintf(copy.name, sizeof(copy.name), "renamed");
	copy.privileged = true;
	assert_int_equal(kcap__writer_container(w, &copy), 0);
	round_of(st, w, &ts, false);
	assert_int_equal(kcap_writer_finish(w), 0);
	kcap_writer_stats(w, &ws, sizeof(ws));
	assert_int_equal(ws.containers, 5);
	kcap_writer_close(w);
	kcap_state_free(st);
}

#define FIELDS                                                                                  \
	"%container.id|%container.type|%container.name|%container.image.repository|"          \
	"%container.image.tag|%container.privileged|%k8s.pod.name|%k8s.ns.name|%k8s.pod.uid|" \
	"%container.mounts|%container.start_ts"

static const char *const expect_known[NR_THREADS] = {
	"e1f819fabf79|cri|web|registry.example.org/shop/web|1.4.2|false|web-7d4b9c6f5-x2x9k|shop|"
	POD_UID "|",
	"3f9c2b7a5d6e|docker|web|nginx|1.25|false|<NA>|<NA>|<NA>|"
	"/srv/www:/usr/share/nginx/html::false:rprivate,"
	"/var/lib/docker/volumes/nginx-cache/_data:/var/cache/nginx::true:|1796047507123456789",
	"6a7eb6766f74|runc|",
	"499d924c47d8|cri|web|registry.example.org/shop/web|1.4.2|false|web-7d4b9c6f5-x2x9k|shop|"
	POD_UID "|proc:/proc::true:,tmpfs:/dev::true:,",
	"host|host|<NA>|<NA>|<NA>|<NA>|<NA>|<NA>|<NA>|<NA>|<NA>",
};

/* Reads @path back with a state that can look nothing up; checks the
 * fields of each batch's events. */
static void check_read(const char *path, __u64 b1_end, __u64 b2_end)
{
	struct kcap_state *st = new_state("/nonexistent", KCAP_CT_LOOKUP_ALWAYS);
	const struct kcap_event_hdr *ev;
	struct kcap_file_info fi;
	struct kcap_state_stats s;
	struct kcap *h = kcap_open_file(path, NULL);
	unsigned int n = 0, i;
	const char *out;

	assert_non_null(h);
	assert_int_equal(kcap_state_seed(st, h), 0);
	while (kcap_next(h, &ev) == 0) {
		assert_int_equal(kcap_state_update(st, h, ev), 0);
		i = ev->tid - TID0;
		assert_true(i < NR_THREADS);
		out = render(st, h, ev, FIELDS);
		n++;
		if (ev->ts_ns <= b1_end) {
			/* before the table: only what the cgroup says */
			if (i == 0)
				assert_string_equal(out, "e1f819fabf79|cri|<NA>|<NA>|<NA>|<NA>|<NA>|"
							 "<NA>|" POD_UID "|<NA>|<NA>");
			continue;
		}
		if (i == 2) {
			assert_string_equal(render(st, h, ev, "%container.name %container.privileged"),
					    ev->ts_ns <= b2_end ? "<NA> true" : "renamed true");
			continue;
		}
		if (strncmp(out, expect_known[i], strlen(expect_known[i])))
			fail_msg("tid %u at %llu: %s", ev->tid, (unsigned long long)ev->ts_ns, out);
		if (i == 3)
			assert_string_equal(render(st, h, ev, "%k8s.pod.name %container.image.tag"),
					    "web-7d4b9c6f5-x2x9k 1.4.2");
	}
	assert_int_equal(n, 3 * NR_THREADS);
	assert_int_equal(kcap_file_info(h, &fi, sizeof(fi)), 0);
	assert_int_equal(fi.format_minor, 4);
	assert_true(fi.flags & KCAP_FILE_CONTAINERS);
	assert_int_equal(fi.nr_containers, 4);
	kcap_state_stats(st, &s, sizeof(s));
	assert_int_equal(s.ct_lookups, 0);
	kcap_state_free(st);
	kcap_close(h);
}

static void test_ctfile_round_trip(void **state)
{
	char path[PATH_MAX];
	__u64 b1, b2;

	(void)state;
	snprintf(path, sizeof(path), "%s/ct.kcap", dir);
	record(path, &b1, &b2);
	check_read(path, b1, b2);

	/* a time window: the index jumps over the first two batches, not
	 * over the container table between them (the threads' cgroups were
	 * in the skipped execs: the table is checked as the handle has it) */
	{
		KCAP_OPTS(kcap_file_opts, fo, .start_ns = b2 + 1);
		struct kcap *h = kcap_open_file(path, &fo);
		const struct kcap_event_hdr *ev;
		struct kcap_file_info fi;
		unsigned int n = 0;

		assert_non_null(h);
		assert_int_equal(kcap_file_info(h, &fi, sizeof(fi)), 0);
		assert_true(fi.flags & KCAP_FILE_INDEXED);
		while (kcap_next(h, &ev) == 0) {
			assert_true(ev->ts_ns > b2);
			n++;
		}
		assert_int_equal(n, NR_THREADS);
		assert_non_null(kcap__container(h, RUNC_POD));
		assert_string_equal(kcap__container(h, RUNC_POD)->pod_name, "web-7d4b9c6f5-x2x9k");
		assert_non_null(kcap__container(h, RUNC_PRIV));
		assert_string_equal(kcap__container(h, RUNC_PRIV)->name, "renamed");
		assert_int_equal(kcap_file_info(h, &fi, sizeof(fi)), 0);
		assert_int_equal(fi.nr_containers, 4);
		kcap_close(h);
	}
}

static void test_ctfile_copy(void **state)
{
	char path[PATH_MAX], copy[PATH_MAX];
	const struct kcap_event_hdr *ev;
	struct kcap_writer *w;
	struct kcap *h;
	__u64 b1, b2;

	(void)state;
	snprintf(path, sizeof(path), "%s/ct.kcap", dir);
	snprintf(copy, sizeof(copy), "%s/copy.kcap", dir);
	record(path, &b1, &b2);
	h = kcap_open_file(path, NULL);
	assert_non_null(h);
	w = writer(copy, h);
	while (kcap_next(h, &ev) == 0) {
		assert_int_equal(kcap_writer_write(w, ev), 0);
		/* the source's batches, one for one */
		if (ev->ts_ns == b1 || ev->ts_ns == b2)
			assert_int_equal(kcap_writer_flush(w), 0);
	}
	assert_int_equal(kcap_writer_finish(w), 0);
	kcap_writer_close(w);
	kcap_close(h);
	check_read(copy, b1, b2);
}

/* The JSON export of the file: Event.container with the runtime's fields. */
static void test_ctfile_export(void **state)
{
	char path[PATH_MAX], out[PATH_MAX], *text;
	struct kcap_state *st = new_state("/nonexistent", KCAP_CT_LOOKUP_ALWAYS);
	const struct kcap_event_hdr *ev;
	struct kcap_exporter *x;
	struct kcap *h;
	__u64 b1, b2;
	FILE *f;
	long len;

	(void)state;
	snprintf(path, sizeof(path), "%s/ct.kcap", dir);
	snprintf(out, sizeof(out), "%s/out.json", dir);
	record(path, &b1, &b2);
	h = kcap_open_file(path, NULL);
	assert_non_null(h);
	assert_int_equal(kcap_state_seed(st, h), 0);
	{
		KCAP_OPTS(kcap_export_opts, o, .format = KCAP_EXPORT_JSON,
			  .flags = KCAP_EXPORT_BLOCK, .path = out, .source = h, .state = st);

		x = kcap_exporter_open(&o);
	}
	assert_non_null(x);
	while (kcap_next(h, &ev) == 0) {
		assert_int_equal(kcap_state_update(st, h, ev), 0);
		assert_int_equal(kcap_exporter_event(x, h, ev), 0);
	}
	assert_int_equal(kcap_exporter_flush(x, 5000), 0);
	kcap_exporter_close(x);
	kcap_state_free(st);
	kcap_close(h);

	f = fopen(out, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)len + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	assert_non_null(strstr(text, "\"schemaMinor\":5"));
	assert_non_null(strstr(text, "\"podName\":\"web-7d4b9c6f5-x2x9k\""));
	assert_non_null(strstr(text, "\"podNamespace\":\"shop\""));
	assert_non_null(strstr(text, "\"imageRepository\":\"registry.example.org/shop/web\""));
	/* the fields of the record's tail, through the file to the export */
	assert_non_null(strstr(text, "\"ip\":\"172.17.0.2\""));
	assert_non_null(strstr(text, "\"healthcheck\":\"/bin/sh -c curl -f http://localhost/ || exit 1\""));
	assert_non_null(strstr(text, "\"cmdline\":\"/docker-entrypoint.sh nginx -g daemon off;\""));
	assert_non_null(strstr(text, "\"mounts\":[{\"source\":\"/srv/www\","
				     "\"dest\":\"/usr/share/nginx/html\",\"propagation\":\"rprivate\"}"));
	assert_non_null(strstr(text, "\"mountsTotal\":2"));
	assert_non_null(strstr(text, "\"startTs\":\"1796047507123456789\""));
	assert_non_null(strstr(text, "\"name\":\"renamed\""));
	assert_non_null(strstr(text, "\"type\":\"runc\",\"privileged\":true"));
	free(text);
}

/* ---- Malformed tables ------------------------------------------------------ */

static void meta_of(struct kcap_ct_meta *m, const char *id)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->id, sizeof(m->id), "%s", id);
	snprintf(m->runtime, sizeof(m->runtime), "runc");
	snprintf(m->name, sizeof(m->name), "NAMEX");
}

/* A file whose CONTAINERS block, before the first batch, holds @m. */
static void write_one(const char *path, const struct kcap_ct_meta *m)
{
	struct kcap_writer *w = writer(path, NULL);
	struct evb e;

	assert_int_equal(kcap__writer_container(w, m), 0);
	assert_int_equal(kcap_writer_write(w, tick(&e, 1, 5)), 0);
	assert_int_equal(kcap_writer_finish(w), 0);
	kcap_writer_close(w);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *p;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	p = malloc((size_t)n);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return p;
}

static void spill(const char *path, const unsigned char *p, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, len, f), len);
	fclose(f);
}

/* The offset of the CONTAINERS block's header in @p, plain or compressed
 * (a ZMETA block holding it: format 1.4). */
static size_t find_block(const unsigned char *p, size_t len)
{
	size_t off = KCAPF_HEADER_LEN;
	__u32 type, blen, inner;

	while (off + KCAPF_BLOCK_HDR_LEN <= len) {
		memcpy(&type, p + off, 4);
		memcpy(&blen, p + off + 4, 4);
		if (type == KCAPF_BLK_CONTAINERS)
			return off;
		memcpy(&inner, p + off + KCAPF_BLOCK_HDR_LEN, 4);
		if (type == KCAPF_BLK_ZMETA && inner == KCAPF_BLK_CONTAINERS)
			return off;
		off += KCAPF_BLOCK_HDR_LEN + blen;
	}
	fail_msg("no CONTAINERS block");
	return 0;
}

/* The payload of the CONTAINERS block at @off of @file, unpacked if it is
 * a ZMETA block; its length in *plen. free() it. */
static unsigned char *ct_payload(const unsigned char *file, size_t off, size_t *plen)
{
	__u32 type, blen, raw;
	unsigned char *p;

	memcpy(&type, file + off, 4);
	memcpy(&blen, file + off + 4, 4);
	if (type == KCAPF_BLK_CONTAINERS) {
		p = malloc(blen);
		assert_non_null(p);
		memcpy(p, file + off + KCAPF_BLOCK_HDR_LEN, blen);
		*plen = blen;
		return p;
	}
	memcpy(&raw, file + off + KCAPF_BLOCK_HDR_LEN + 4, 4);
	p = malloc(raw);
	assert_non_null(p);
	assert_int_equal(ZSTD_decompress(p, raw, file + off + KCAPF_BLOCK_HDR_LEN + 8, blen - 8),
			 raw);
	*plen = raw;
	return p;
}

/* Opening and reading @path fails with one line naming @what. */
static void refused(const char *path, const char *what)
{
	char err[256] = "";
	KCAP_OPTS(kcap_file_opts, fo, .errbuf = err, .errbuf_sz = sizeof(err));
	const struct kcap_event_hdr *ev;
	struct kcap *h = kcap_open_file(path, &fo);
	int r = 0;

	if (h) {
		while ((r = kcap_next(h, &ev)) == 0)
			;
		snprintf(err, sizeof(err), "%s", kcap_errmsg(h));
		kcap_close(h);
		assert_int_not_equal(r, -ENODATA);
	}
	if (!strstr(err, what) || !strstr(err, "container table") || strchr(err, '\n'))
		fail_msg("want \"%s\", got \"%s\"", what, err);
}

/* Rewrites the block at @off with payload @pl of @plen bytes (checksums
 * recomputed: the parser, not the CRC, must catch it). */
static void rewrite(const char *path, const unsigned char *file, size_t len, size_t off,
		    const unsigned char *pl, size_t plen)
{
	__u32 old;
	unsigned char *out = malloc(len + plen + 64);
	size_t rest;

	assert_non_null(out);
	memcpy(&old, file + off + 4, 4);
	rest = off + KCAPF_BLOCK_HDR_LEN + old;
	memcpy(out, file, off);
	kcapf_block_hdr(out + off, KCAPF_BLK_CONTAINERS, pl, (__u32)plen);
	memcpy(out + off + KCAPF_BLOCK_HDR_LEN, pl, plen);
	/* what follows (batch, END, trailer) stays; the trailer's offset may
	 * now be wrong, which the reader survives by scanning */
	memcpy(out + off + KCAPF_BLOCK_HDR_LEN + plen, file + rest, len - rest);
	spill(path, out, off + KCAPF_BLOCK_HDR_LEN + plen + (len - rest));
	free(out);
}

static int take_tail(void *ctx, struct kcap_ct_meta *m, const void *rec, size_t reclen)
{
	(void)rec;
	(void)reclen;
	*(struct kcap_ct_meta *)ctx = *m;
	m->mounts = NULL; /* ownership moved to ctx */
	return 0;
}

/* The record's tail (podman/CRI-O era fields) round-trips; a record
 * without it reads with them empty; bad label bytes are refused. */
static void test_ctfile_record_tail(void **state)
{
	static const char labels[] = "app\0shop\0tier\0web\0";
	struct kcap_ct_meta m, out;
	struct kbuf b = { 0 };
	char why[256] = "";
	size_t cut;
	__u32 v;

	(void)state;
	memset(&m, 0, sizeof(m));
	snprintf(m.id, sizeof(m.id), "%s", "abc123");
	snprintf(m.runtime, sizeof(m.runtime), "crio");
	snprintf(m.ip, sizeof(m.ip), "10.88.0.7");
	snprintf(m.cmdline, sizeof(m.cmdline), "nginx -g daemon off;");
	snprintf(m.healthcheck, sizeof(m.healthcheck), "curl -f localhost");
	memcpy(m.pod_labels, labels, sizeof(labels) - 1);
	m.has_pod_labels = true;
	m.nr_pod_labels = 2;
	m.nr_pod_labels_total = 3;
	kbuf_u32(&b, 1);
	kcapf_ct_encode(&b, &m);
	assert_false(b.oom);
	memset(&out, 0, sizeof(out));
	assert_int_equal(kcapf_ct_foreach(b.p, b.len, take_tail, &out, why, sizeof(why)), 0);
	assert_string_equal(out.ip, "10.88.0.7");
	assert_string_equal(out.cmdline, "nginx -g daemon off;");
	assert_string_equal(out.healthcheck, "curl -f localhost");
	assert_true(out.has_pod_labels);
	assert_int_equal(out.nr_pod_labels, 2);
	assert_int_equal(out.nr_pod_labels_total, 3);
	assert_memory_equal(out.pod_labels, labels, sizeof(labels) - 1);
	assert_string_equal(kcap__ct_pod_label(&out, "tier"), "web");

	/* an earlier 1.2 record: no tail (cut it and its length) */
	cut = strlen("10.88.0.7") + strlen("nginx -g daemon off;") + strlen("curl -f localhost") +
	      3 * 2 + 3 * 4 + 2 + sizeof(labels) - 1;
	memcpy(&v, b.p + 4, 4);
	v -= (__u32)cut;
	memcpy(b.p + 4, &v, 4);
	memset(&out, 0, sizeof(out));
	assert_int_equal(kcapf_ct_foreach(b.p, b.len - cut, take_tail, &out, why, sizeof(why)), 0);
	assert_string_equal(out.id, "abc123");
	assert_string_equal(out.ip, "");
	assert_int_equal(out.nr_pod_labels, 0);

	/* labels that are not nr pairs */
	v += (__u32)cut;
	memcpy(b.p + 4, &v, 4);
	b.p[b.len - 1] = 'x';
	assert_int_equal(kcapf_ct_foreach(b.p, b.len, take_tail, &out, why, sizeof(why)), -EBADMSG);
	assert_non_null(strstr(why, "pod labels"));
	free(b.p);
}

static void test_ctfile_garbage(void **state)
{
	char path[PATH_MAX], bad[PATH_MAX];
	struct kcap_ct_meta m;
	unsigned char *file, *pl, *orig;
	size_t len, off, plen, at;
	__u32 v;

	(void)state;
	snprintf(path, sizeof(path), "%s/one.kcap", dir);
	snprintf(bad, sizeof(bad), "%s/bad.kcap", dir);
	meta_of(&m, RUNC_PRIV);
	write_one(path, &m);
	file = slurp(path, &len);
	off = find_block(file, len);
	orig = ct_payload(file, off, &plen);
	pl = malloc(plen + 8);
	assert_non_null(pl);

	/* a valid table reads */
	{
		struct kcap *h = kcap_open_file(path, NULL);
		struct kcap_file_info fi;

		assert_non_null(h);
		assert_int_equal(kcap_file_info(h, &fi, sizeof(fi)), 0);
		assert_int_equal(fi.nr_containers, 1);
		assert_non_null(kcap__container(h, RUNC_PRIV));
		assert_string_equal(kcap__container(h, RUNC_PRIV)->name, "NAMEX");
		assert_null(kcap__container(h, CRUN_POD));
		kcap_close(h);
	}
	/* count above the limit */
	memcpy(pl, orig, plen);
	v = KCAPF_MAX_CT_RECORDS + 1;
	memcpy(pl, &v, 4);
	rewrite(bad, file, len, off, pl, plen);
	refused(bad, "4097 records, at most 4096");
	/* a record longer than the block */
	memcpy(pl, orig, plen);
	v = (__u32)plen;
	memcpy(pl + 4, &v, 4);
	rewrite(bad, file, len, off, pl, plen);
	refused(bad, "record 0: its length runs past the block");
	/* a cut record: the strings run past its end */
	memcpy(pl, orig, plen);
	v = 70;
	memcpy(pl + 4, &v, 4);
	rewrite(bad, file, len, off, pl, 78);
	refused(bad, "runs past the record");
	/* an id that is not one (a '/') */
	memcpy(pl, orig, plen);
	pl[8 + 2 + 3] = '/';
	rewrite(bad, file, len, off, pl, plen);
	refused(bad, "is not a container id");
	/* a NUL inside the name */
	memcpy(pl, orig, plen);
	at = (size_t)(memmem(pl, plen, "NAMEX", 5) ? (unsigned char *)memmem(pl, plen, "NAMEX", 5) - pl : 0);
	assert_true(at > 0);
	pl[at + 2] = '\0';
	rewrite(bad, file, len, off, pl, plen);
	refused(bad, "name holds a NUL byte");
	/* a name longer than its field: 300 bytes where 255 fit */
	{
		unsigned char big[4096];
		__u16 l = 300;
		size_t nl = at - 2, tail = plen - (at + 5);

		memcpy(big, pl, nl);
		memcpy(big + nl, &l, 2);
		memset(big + nl + 2, 'a', 300);
		memcpy(big + nl + 2 + 300, orig + at + 5, tail);
		v = (__u32)(plen - 8 + 295);
		memcpy(big + 4, &v, 4);
		rewrite(bad, file, len, off, big, plen + 295);
		refused(bad, "name is 300 bytes, at most 255");
	}
	/* more mounts than are kept */
	memcpy(pl, orig, plen);
	v = 33;
	memcpy(pl + plen - 24, &v, 4); /* nr_mounts, before the 20-byte empty tail */
	memcpy(pl + plen - 28, &v, 4); /* nr_mounts_total */
	rewrite(bad, file, len, off, pl, plen);
	refused(bad, "33 mounts of 33, at most 32");
	/* more mounts than the container has */
	memcpy(pl, orig, plen);
	v = 2;
	memcpy(pl + plen - 24, &v, 4); /* nr_mounts */
	rewrite(bad, file, len, off, pl, plen);
	refused(bad, "2 mounts of 0");
	/* a short payload: no count */
	rewrite(bad, file, len, off, pl, 2);
	refused(bad, "no record count");
	free(pl);
	free(orig);
	free(file);
}

/*
 * Rotation: each file starts with every container the writer knows; a
 * merge of the files answers for a container from any of them, the
 * source of the last event first.
 */
static void test_ctfile_rotation(void **state)
{
	char base[PATH_MAX], p0[PATH_MAX + 4], p1[PATH_MAX + 4], err[256] = "";
	KCAP_OPTS(kcap_writer_opts, wo, .flags = KCAP_WRITER_NO_PROCS, .rotate_bytes = 1,
		  .passwd = "/nonexistent", .group = "/nonexistent", .errbuf = err,
		  .errbuf_sz = sizeof(err));
	const struct kcap_event_hdr *ev;
	struct kcap_file_info fi;
	struct kcap_ct_meta a, b;
	struct kcap_writer *w;
	struct kcap *h[2], *m;
	struct evb e;
	unsigned int i, n;

	(void)state;
	snprintf(base, sizeof(base), "%s/rot.kcap", dir);
	snprintf(p0, sizeof(p0), "%s.0", base);
	snprintf(p1, sizeof(p1), "%s.1", base);
	meta_of(&a, RUNC_POD);
	meta_of(&b, CRUN_POD);
	snprintf(b.name, sizeof(b.name), "second");
	w = kcap_writer_open(base, &wo);
	if (!w)
		fail_msg("kcap_writer_open: %s", err);
	assert_int_equal(kcap__writer_container(w, &a), 0);
	assert_int_equal(kcap_writer_write(w, tick(&e, 1, 10)), 0);
	assert_int_equal(kcap_writer_flush(w), 0); /* the batch, then FILE.1 */
	assert_int_equal(kcap__writer_container(w, &b), 0);
	assert_int_equal(kcap_writer_write(w, tick(&e, 1, 20)), 0);
	assert_int_equal(kcap_writer_finish(w), 0);
	kcap_writer_close(w);

	for (i = 0; i < 2; i++) {
		h[i] = kcap_open_file(i ? p1 : p0, NULL);
		assert_non_null(h[i]);
		for (n = 0; kcap_next(h[i], &ev) == 0; n++)
			;
		assert_int_equal(n, 1);
		assert_int_equal(kcap_file_info(h[i], &fi, sizeof(fi)), 0);
		assert_int_equal(fi.nr_containers, i + 1);
		assert_non_null(kcap__container(h[i], RUNC_POD));
		kcap_close(h[i]);
	}
	h[0] = kcap_open_file(p0, NULL);
	h[1] = kcap_open_file(p1, NULL);
	assert_non_null(h[0]);
	assert_non_null(h[1]);
	m = kcap_open_merge(h, 2, NULL);
	assert_non_null(m);
	while (kcap_next(m, &ev) == 0)
		;
	assert_non_null(kcap__container(m, CRUN_POD));
	assert_string_equal(kcap__container(m, CRUN_POD)->name, "second");
	assert_string_equal(kcap__container(m, RUNC_POD)->name, "NAMEX");
	assert_null(kcap__container(m, RUNC_PRIV));
	kcap_close(m);
}

/* Copies fixture file @from to @to. */
static void copy_file(const char *from, const char *to)
{
	size_t len;
	unsigned char *p = slurp(from, &len);

	spill(to, p, len);
	free(p);
}

/*
 * A recorder that sees no further event of a container still gets it into
 * the file when the runtime writes its state a moment after the first
 * lookup: kcap_state_write_containers() alone asks again.
 */
static void test_ctfile_writer_retry(void **state)
{
	static const char *const sub[] = { "var", "var/lib", "var/lib/docker",
					   "var/lib/docker/containers",
					   "var/lib/docker/containers/" ID64 };
	char path[PATH_MAX], p[PATH_MAX + 64];
	struct kcap_state *st = new_state(dir, KCAP_CT_LOOKUP_ALWAYS);
	struct kcap_state_stats s;
	struct kcap_writer *w;
	const struct kcap_event_hdr *ev;
	struct kcap *h;
	struct evb e;
	__u64 deadline;
	unsigned int i;

	(void)state;
	snprintf(path, sizeof(path), "%s/retry.kcap", dir);
	w = writer(path, NULL);
	ev = exec_in(&e, 51, 100, "0::/docker/" ID64);
	assert_int_equal(kcap_state_update(st, NULL, ev), 0);
	assert_int_equal(kcap_writer_write(w, ev), 0);
	/* no runtime knows it yet */
	deadline = mono_ns() + WAIT_NS;
	do {
		assert_int_equal(kcap_state_write_containers(st, w), 0);
		kcap_state_stats(st, &s, sizeof(s));
		if (mono_ns() > deadline)
			fail_msg("no failed lookup after 10 s");
		usleep(1000);
	} while (!s.ct_failed);
	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, sub[i]);
		assert_int_equal(mkdir(p, 0755), 0);
	}
	snprintf(p, sizeof(p), "%s/%s/hostconfig.json", dir, sub[4]);
	copy_file(FIX "/var/lib/docker/containers/" DOCKER_WEB "/hostconfig.json", p);
	snprintf(p, sizeof(p), "%s/%s/config.v2.json", dir, sub[4]);
	copy_file(FIX "/var/lib/docker/containers/" DOCKER_WEB "/config.v2.json", p);
	/* no event of the container any more: the writer's calls retry (or
	 * the watch notices the files: either way the writer gets it) */
	deadline = mono_ns() + WAIT_NS;
	do {
		assert_int_equal(kcap_state_write_containers(st, w), 0);
		kcap_state_stats(st, &s, sizeof(s));
		if (mono_ns() > deadline)
			fail_msg("not found after 10 s of kcap_state_write_containers()");
		usleep(1000);
	} while (!s.ct_found && !s.ct_noticed);
	assert_int_equal(kcap_state_write_containers(st, w), 0);
	assert_int_equal(kcap_writer_write(w, tick(&e, 51, 200)), 0);
	assert_int_equal(kcap_writer_finish(w), 0);
	kcap_writer_close(w);
	kcap_state_free(st);

	st = new_state("/nonexistent", KCAP_CT_LOOKUP_ALWAYS);
	h = kcap_open_file(path, NULL);
	assert_non_null(h);
	assert_int_equal(kcap_state_seed(st, h), 0);
	for (i = 0; kcap_next(h, &ev) == 0; i++) {
		assert_int_equal(kcap_state_update(st, h, ev), 0);
		assert_string_equal(render(st, h, ev, "%container.image %container.type"),
				    "nginx:1.25 docker");
	}
	assert_int_equal(i, 2);
	kcap_state_free(st);
	kcap_close(h);
}

/* Files of format 1.0 and 1.1 (the sample corpus) read as before: no
 * container table, container.name missing, nothing looked up. */
static void test_ctfile_old_versions(void **state)
{
	static const char *const files[] = { KCAP_TEST_CORPUS "/guest-clean.kcap",
					     KCAP_TEST_CORPUS "/guest-names.kcap" };
	const struct kcap_event_hdr *ev;
	struct kcap_file_info fi;
	unsigned int i, n;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct kcap *h = kcap_open_file(files[i], NULL);
		struct kcap_state *st = new_state("/nonexistent", KCAP_CT_LOOKUP_ALWAYS);

		assert_non_null(h);
		assert_int_equal(kcap_state_seed(st, h), 0);
		for (n = 0; kcap_next(h, &ev) == 0; n++) {
			assert_int_equal(kcap_state_update(st, h, ev), 0);
			assert_string_equal(render(st, h, ev, "%container.name"), "<NA>");
		}
		assert_true(n > 0);
		assert_int_equal(kcap_file_info(h, &fi, sizeof(fi)), 0);
		assert_int_equal(fi.format_minor, i);
		assert_false(fi.flags & KCAP_FILE_CONTAINERS);
		assert_int_equal(fi.nr_containers, 0);
		kcap_state_free(st);
		kcap_close(h);
	}
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_ctfile_round_trip, dir_setup, dir_teardown),
    cmocka_unit_test_setup_teardown(test_ctfile_copy, dir_setup, dir_teardown),
    cmocka_unit_test_setup_teardown(test_ctfile_record_tail, dir_setup, dir_teardown),
    cmocka_unit_test_setup_teardown(test_ctfile_export, dir_setup, dir_teardown),
    cmocka_unit_test_setup_teardown(test_ctfile_garbage, dir_setup, dir_teardown),
    cmocka_unit_test_setup_teardown(test_ctfile_rotation, dir_setup, dir_teardown),
    cmocka_unit_test_setup_teardown(test_ctfile_writer_retry, dir_setup, dir_teardown),
    cmocka_unit_test(test_ctfile_old_versions),
};

UNIT_GROUP(ctfile, tests)
