// SPDX-License-Identifier: Apache-2.0
/*
 * The PROCS block: a snapshot of every thread in /proc when a capture file
 * starts, so a reader knows the processes that were already running (their
 * command line, executable, working directory, credentials, cgroup and open
 * files) before the first event mentions them.
 *
 *   u32 nr_threads
 *   nr_threads x { u32 tid, pid, ppid, uid[4], gid[4] (real, effective,
 *                  saved, fs), str comm, exe, argv (NUL-separated), cwd,
 *                  cgroup, u32 nr_fds, nr_fds x { s32 fd, str target } }
 *
 * Open descriptors are listed once per process, with its leader (tid ==
 * pid); the other threads have nr_fds = 0.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file_format.h"

#define PROCS_MAX_FDS 65536 /* descriptors listed per process */

struct snap {
	const char *root;
	struct kbuf b;
	__u32 nr;
	int (*emit)(void *ctx, const void *p, size_t len);
	void *ctx;
};

/* Reads up to @len - 1 bytes of a /proc file; returns the length read. */
static size_t read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	size_t got = 0;

	buf[0] = '\0';
	if (fd < 0)
		return 0;
	while (got < len - 1) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	return got;
}

static void put_link(struct kbuf *b, const char *path)
{
	char target[KCAPF_MAX_STR];
	ssize_t n = readlink(path, target, sizeof(target));

	kbuf_strn(b, target, n > 0 ? (size_t)n : 0);
}

static void put_status_ids(struct kbuf *b, const char *status, const char *key)
{
	const char *p = strstr(status, key);
	unsigned int v[4] = { 0, 0, 0, 0 };
	int i;

	if (p)
		sscanf(p + strlen(key), "%u %u %u %u", &v[0], &v[1], &v[2], &v[3]);
	for (i = 0; i < 4; i++)
		kbuf_u32(b, v[i]);
}

static __u32 status_u32(const char *status, const char *key)
{
	const char *p = strstr(status, key);
	unsigned int v = 0;

	if (p)
		sscanf(p + strlen(key), "%u", &v);
	return v;
}

static void put_fds(struct snap *s, const char *pdir)
{
	char path[512];
	size_t count_at = s->b.len;
	struct dirent *de;
	__u32 n = 0;
	DIR *d;

	kbuf_u32(&s->b, 0);
	snprintf(path, sizeof(path), "%s/fd", pdir);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d)) && n < PROCS_MAX_FDS) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);

		if (de->d_name[0] < '0' || de->d_name[0] > '9' || *end)
			continue;
		snprintf(path, sizeof(path), "%s/fd/%s", pdir, de->d_name);
		kbuf_u32(&s->b, (__u32)fd);
		put_link(&s->b, path);
		n++;
	}
	closedir(d);
	if (!s->b.oom)
		memcpy(s->b.p + count_at, &n, sizeof(n));
}

static int flush(struct snap *s)
{
	int err;

	if (!s->nr)
		return 0;
	if (s->b.oom)
		return -ENOMEM;
	memcpy(s->b.p, &s->nr, sizeof(s->nr));
	err = s->emit(s->ctx, s->b.p, s->b.len);
	s->b.len = 0;
	s->nr = 0;
	kbuf_u32(&s->b, 0);
	return err;
}

static int add_thread(struct snap *s, const char *pdir, const char *tdir, __u32 pid, __u32 tid)
{
	char status[4096], buf[KCAPF_MAX_STR], path[512];
	size_t n;

	snprintf(path, sizeof(path), "%s/status", tdir);
	if (!read_small(path, status, sizeof(status)))
		return 0; /* gone */
	kbuf_u32(&s->b, tid);
	kbuf_u32(&s->b, pid);
	kbuf_u32(&s->b, status_u32(status, "\nPPid:"));
	put_status_ids(&s->b, status, "\nUid:");
	put_status_ids(&s->b, status, "\nGid:");
	snprintf(path, sizeof(path), "%s/comm", tdir);
	n = read_small(path, buf, sizeof(buf));
	kbuf_strn(&s->b, buf, n && buf[n - 1] == '\n' ? n - 1 : n);
	snprintf(path, sizeof(path), "%s/exe", pdir);
	put_link(&s->b, path);
	snprintf(path, sizeof(path), "%s/cmdline", pdir);
	n = read_small(path, buf, sizeof(buf));
	kbuf_strn(&s->b, buf, n);
	snprintf(path, sizeof(path), "%s/cwd", pdir);
	put_link(&s->b, path);
	snprintf(path, sizeof(path), "%s/cgroup", pdir);
	n = read_small(path, buf, sizeof(buf));
	kbuf_strn(&s->b, buf, n && buf[n - 1] == '\n' ? n - 1 : n);
	if (tid == pid)
		put_fds(s, pdir);
	else
		kbuf_u32(&s->b, 0);
	s->nr++;
	if (s->b.len >= KCAPF_PROCS_TARGET)
		return flush(s);
	return 0;
}

static int add_process(struct snap *s, __u32 pid)
{
	char pdir[256], tdir[512];
	struct dirent *de;
	int err = 0;
	DIR *d;

	snprintf(pdir, sizeof(pdir), "%s/%u", s->root, pid);
	snprintf(tdir, sizeof(tdir), "%s/task", pdir);
	d = opendir(tdir);
	if (!d)
		return 0;
	while (!err && (de = readdir(d))) {
		char *end;
		unsigned long tid = strtoul(de->d_name, &end, 10);

		if (de->d_name[0] < '0' || de->d_name[0] > '9' || *end)
			continue;
		snprintf(tdir, sizeof(tdir), "%s/task/%lu", pdir, tid);
		err = add_thread(s, pdir, tdir, pid, (__u32)tid);
	}
	closedir(d);
	return err;
}

int kcapf_procs_snapshot(const char *proc_root, int (*emit)(void *ctx, const void *p, size_t len),
			 void *ctx)
{
	struct snap s = { .root = proc_root, .emit = emit, .ctx = ctx };
	struct dirent *de;
	int err = 0;
	DIR *d = opendir(proc_root);

	if (!d)
		return -errno;
	kbuf_u32(&s.b, 0);
	while (!err && (de = readdir(d))) {
		char *end;
		unsigned long pid = strtoul(de->d_name, &end, 10);

		if (de->d_name[0] < '0' || de->d_name[0] > '9' || *end)
			continue;
		err = add_process(&s, (__u32)pid);
	}
	closedir(d);
	if (!err)
		err = flush(&s);
	kbuf_free(&s.b);
	return err;
}
