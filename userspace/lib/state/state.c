// SPDX-License-Identifier: Apache-2.0
/*
 * The thread table and per-process descriptor tables, seeded from a process
 * snapshot and kept current from events, so that a rule on an event knows
 * the process, its parents, its user, its container and what a descriptor
 * refers to.
 *
 * Memory is bounded: exited threads are removed one event later (rules on
 * the exit event still see them), the thread table and each descriptor
 * table have limits, and what is evicted to respect them is counted.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "capture/capture.h"
#include "state.h"

#define DEF_MAX_THREADS 65536
#define DEF_MAX_FDS 4096
#define NOVAL 0xffffffffu

static size_t hash(__u32 tid, size_t n)
{
	return (tid * 2654435761u) & (n - 1);
}

void kst_setstr(char **dst, const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (!p)
		return; /* keep the old value */
	memcpy(p, s, n);
	p[n] = '\0';
	free(*dst);
	*dst = p;
}

void kst_setmem(char **dst, size_t *dlen, const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (!p)
		return;
	memcpy(p, s, n);
	p[n] = '\0';
	free(*dst);
	*dst = p;
	*dlen = n;
}

/* ---- Descriptor tables ---------------------------------------------------------- */

void kst_fd_setname(struct kcap_state *st, struct kfd *f, const char *s, size_t n)
{
	if (!f->name && st->spare && n < st->spare_cap) {
		memcpy(st->spare, s, n);
		st->spare[n] = '\0';
		f->name = st->spare;
		st->spare = NULL;
		return;
	}
	kst_setstr(&f->name, s, n);
}

static void fd_clear(struct kfd *f)
{
	free(f->name);
	memset(f, 0, sizeof(*f));
}

void kst_fdt_put(struct kfdtab *t)
{
	unsigned int i;

	if (!t || --t->refs)
		return;
	for (i = 0; i < t->n; i++)
		free(t->v[i].name);
	free(t->v);
	free(t);
}

struct kfdtab *kst_fdt_copy(const struct kfdtab *src)
{
	struct kfdtab *t = calloc(1, sizeof(*t));
	unsigned int i;

	if (!t)
		return NULL;
	t->refs = 1;
	if (!src || !src->n)
		return t;
	t->v = calloc(src->n, sizeof(*t->v));
	if (!t->v)
		return t;
	t->cap = src->n;
	for (i = 0; i < src->n; i++) {
		t->v[i] = src->v[i];
		t->v[i].name = src->v[i].name ? strdup(src->v[i].name) : NULL;
	}
	t->n = src->n;
	return t;
}

struct kfd *kcap__fd(const struct kthread *th, __s32 fd)
{
	unsigned int i;

	if (!th || !th->fdt)
		return NULL;
	for (i = 0; i < th->fdt->n; i++)
		if (th->fdt->v[i].fd == fd)
			return &th->fdt->v[i];
	return NULL;
}

static struct kfdtab *fdt_of(struct kcap_state *st, struct kthread *th)
{
	struct kthread *leader;

	if (th->fdt)
		return th->fdt;
	leader = th->tid != th->pid ? kcap__thread(st, th->pid) : NULL;
	if (leader && leader->fdt) {
		th->fdt = leader->fdt;
		th->fdt->refs++;
	} else {
		th->fdt = kst_fdt_copy(NULL);
	}
	return th->fdt;
}

/* The entry for @fd, emptied (a new descriptor replaces an old one). */
struct kfd *kst_fd_add(struct kcap_state *st, struct kthread *th, __s32 fd, char typechar)
{
	struct kfdtab *t = fdt_of(st, th);
	struct kfd *f;

	if (!t || fd < 0)
		return NULL;
	f = kcap__fd(th, fd);
	if (!f) {
		if (t->n >= st->max_fds) {
			/* evict the oldest entry of the table */
			free(t->v[0].name);
			memmove(t->v, t->v + 1, (t->n - 1) * sizeof(*t->v));
			t->n--;
			st->stats.fds_evicted++;
		}
		if (t->n == t->cap) {
			unsigned int cap = t->cap ? t->cap * 2 : 16;
			void *p = realloc(t->v, cap * sizeof(*t->v));

			if (!p)
				return NULL;
			t->v = p;
			t->cap = cap;
		}
		f = &t->v[t->n++];
		memset(f, 0, sizeof(*f));
	} else {
		fd_clear(f);
	}
	f->fd = fd;
	f->typechar = typechar;
	return f;
}

void kst_fd_remove(struct kcap_state *st, __u32 tid, __s32 fd)
{
	struct kthread *th = kcap__thread(st, tid);
	struct kfd *f = kcap__fd(th, fd);
	struct kfdtab *t;

	if (!f)
		return;
	t = th->fdt;
	if (f->name && !st->spare) {
		st->spare = f->name;
		st->spare_cap = strlen(f->name) + 1;
	} else {
		free(f->name);
	}
	memmove(f, f + 1, (size_t)(t->v + t->n - (f + 1)) * sizeof(*f));
	t->n--;
}

/* Falco's typechar of a /proc/PID/fd link target. */
static char typechar_of_target(const char *t)
{
	if (t[0] == '/')
		return strncmp(t, "/memfd:", 7) ? 'f' : 'm';
	if (!strncmp(t, "socket:", 7))
		return 'o';
	if (!strncmp(t, "pipe:", 5))
		return 'p';
	if (strstr(t, "eventfd"))
		return 'e';
	if (strstr(t, "eventpoll"))
		return 'l';
	if (strstr(t, "inotify"))
		return 'i';
	if (strstr(t, "signalfd"))
		return 's';
	if (strstr(t, "timerfd"))
		return 't';
	return 'o';
}

/* ---- The thread table ---------------------------------------------------------------- */

struct kthread *kcap__thread(const struct kcap_state *st, __u32 tid)
{
	struct kthread *t;

	for (t = st->buckets[hash(tid, st->nbuckets)]; t; t = t->next)
		if (t->tid == tid)
			return t;
	return NULL;
}

static void thread_free(struct kthread *t)
{
	free(t->exe);
	free(t->argv);
	free(t->cwd);
	free(t->cgroup);
	free(t->env);
	kst_fdt_put(t->fdt);
	free(t);
}

void kst_thread_remove(struct kcap_state *st, __u32 tid)
{
	struct kthread **pp = &st->buckets[hash(tid, st->nbuckets)], *t;

	for (; (t = *pp); pp = &t->next) {
		if (t->tid == tid) {
			*pp = t->next;
			thread_free(t);
			st->stats.threads--;
			return;
		}
	}
}

/* Makes room when the table is full: every exited thread, then the least
 * recently seen eighth of the table. */
static void make_room(struct kcap_state *st)
{
	__u64 cutoff = 0, *ts;
	size_t i, n = 0;
	struct kthread *t;

	for (i = 0; i < st->nbuckets; i++)
		for (t = st->buckets[i]; t; t = t->next)
			if (t->exited)
				t->last_ts = 0;
	ts = malloc(st->stats.threads * sizeof(*ts));
	if (ts) {
		for (i = 0; i < st->nbuckets; i++)
			for (t = st->buckets[i]; t; t = t->next)
				ts[n++] = t->last_ts;
		/* an eighth of the table: the (n / 8)-th smallest timestamp */
		for (i = 0; i <= n / 8 && i < n; i++) {
			size_t j, m = i;

			for (j = i + 1; j < n; j++)
				if (ts[j] < ts[m])
					m = j;
			cutoff = ts[m];
			ts[m] = ts[i];
			ts[i] = cutoff;
		}
		free(ts);
	}
	for (i = 0; i < st->nbuckets; i++) {
		struct kthread **pp = &st->buckets[i];

		while ((t = *pp)) {
			if (t->last_ts <= cutoff) {
				*pp = t->next;
				thread_free(t);
				st->stats.threads--;
				st->stats.threads_evicted++;
			} else {
				pp = &t->next;
			}
		}
	}
}

struct kthread *kst_thread_new(struct kcap_state *st, __u32 tid, __u32 pid)
{
	struct kthread *t;
	size_t b;

	kst_thread_remove(st, tid);
	if (st->stats.threads >= st->max_threads)
		make_room(st);
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->tid = tid;
	t->pid = pid;
	t->vpid = pid;
	t->vtid = tid;
	t->loginuid = NOVAL;
	snprintf(t->ct.short_id, sizeof(t->ct.short_id), "host");
	b = hash(tid, st->nbuckets);
	t->next = st->buckets[b];
	st->buckets[b] = t;
	st->stats.threads++;
	st->stats.threads_added++;
	return t;
}

void kst_set_cgroup(struct kthread *t, const char *cg, size_t n)
{
	kst_setstr(&t->cgroup, cg, n);
	kcap_container_from_cgroup(t->cgroup, &t->ct);
}

/* A thread the table does not know; on a live system, from /proc. */
static void fill_from_proc(struct kthread *t)
{
	char path[64], buf[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/task/%u/comm", t->pid, t->tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(t->comm));
	close(fd);
	if (n > 0) {
		memcpy(t->comm, buf, (size_t)n < sizeof(t->comm) ? (size_t)n : sizeof(t->comm) - 1);
		t->comm[strcspn(t->comm, "\n")] = '\0';
	}
	snprintf(path, sizeof(path), "/proc/%u/exe", t->pid);
	n = readlink(path, buf, sizeof(buf));
	if (n > 0)
		kst_setstr(&t->exe, buf, (size_t)n);
	snprintf(path, sizeof(path), "/proc/%u/cwd", t->pid);
	n = readlink(path, buf, sizeof(buf));
	if (n > 0)
		kst_setstr(&t->cwd, buf, (size_t)n);
	snprintf(path, sizeof(path), "/proc/%u/cmdline", t->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf));
		close(fd);
		if (n > 0)
			kst_setmem(&t->argv, &t->argv_len, buf, (size_t)n);
	}
	snprintf(path, sizeof(path), "/proc/%u/cgroup", t->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0)
			kst_set_cgroup(t, buf, (size_t)n - (buf[n - 1] == '\n'));
	}
	snprintf(path, sizeof(path), "/proc/%u/status", t->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			char *p;

			buf[n] = '\0';
			if ((p = strstr(buf, "\nPPid:")))
				t->ppid = (__u32)strtoul(p + 6, NULL, 10);
			if ((p = strstr(buf, "\nUid:")))
				sscanf(p + 5, "%u %u", &t->uid, &t->euid);
			if ((p = strstr(buf, "\nGid:")))
				sscanf(p + 5, "%u", &t->gid);
		}
	}
}

struct kthread *kst_thread_get(struct kcap_state *st, const struct kcap_event_hdr *ev)
{
	struct kthread *t = kcap__thread(st, ev->tid);

	if (t)
		return t;
	st->stats.misses++;
	t = kst_thread_new(st, ev->tid, ev->pid);
	if (t && st->live)
		fill_from_proc(t);
	return t;
}

/* ---- Users ------------------------------------------------------------------------------ */

static void add_name(void *ctx, bool group, __u32 id, const char *name, size_t n)
{
	struct kcap_state *st = ctx;
	size_t *nr = &st->nr_names[group];
	struct kname *p;

	if (*nr == st->cap_names[group]) {
		size_t cap = *nr ? 2 * *nr : 64;

		p = realloc(st->names[group], cap * sizeof(*p));
		if (!p)
			return;
		st->names[group] = p;
		st->cap_names[group] = cap;
	}
	p = st->names[group];
	p[*nr].id = id;
	p[*nr].seq = (__u32)*nr;
	p[*nr].name = strndup(name, n);
	if (p[*nr].name)
		(*nr)++;
}

static int name_cmp(const void *a, const void *b)
{
	const struct kname *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void clear_names(struct kcap_state *st)
{
	size_t g, i;

	for (g = 0; g < 2; g++) {
		for (i = 0; i < st->nr_names[g]; i++)
			free(st->names[g][i].name);
		free(st->names[g]);
		st->names[g] = NULL;
		st->nr_names[g] = 0;
		st->cap_names[g] = 0;
	}
}

static void sort_names(struct kcap_state *st)
{
	size_t g;

	for (g = 0; g < 2; g++)
		if (st->nr_names[g])
			qsort(st->names[g], st->nr_names[g], sizeof(*st->names[g]), name_cmp);
}

/* The first name of @id (passwd order, as getpwuid() answers), else root
 * for 0. */
static const char *name_of(const struct kcap_state *st, int group, __u32 id)
{
	const struct kname *v = st->names[group];
	size_t lo = 0, hi = st->nr_names[group];

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < st->nr_names[group] && v[lo].id == id)
		return v[lo].name;
	return id == 0 ? "root" : NULL;
}

const char *kcap__user_name(const struct kcap_state *st, __u32 uid)
{
	return name_of(st, 0, uid);
}

const char *kcap__group_name(const struct kcap_state *st, __u32 gid)
{
	return name_of(st, 1, gid);
}

/* ---- Public calls ---------------------------------------------------------------------- */

struct kcap_state *kcap_state_new(const struct kcap_state_opts *opts)
{
	struct kcap_state *st;
	int err;

	if (opts && !kcap__opts_valid(opts, sizeof(*opts), opts->sz)) {
		errno = EINVAL;
		return NULL;
	}
	st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	st->max_threads = OPTS_GET(opts, max_threads, 0) ?: DEF_MAX_THREADS;
	st->max_fds = OPTS_GET(opts, max_fds, 0) ?: DEF_MAX_FDS;
	for (st->nbuckets = 1024; st->nbuckets < st->max_threads; st->nbuckets *= 2)
		;
	st->buckets = calloc(st->nbuckets, sizeof(*st->buckets));
	if (!st->buckets) {
		free(st);
		return NULL;
	}
	err = kst_ct_init(st, opts);
	if (err) {
		free(st->buckets);
		free(st);
		errno = -err;
		return NULL;
	}
	st->names_given = OPTS_GET(opts, passwd, NULL) || OPTS_GET(opts, group, NULL);
	kcap__users_from_files(OPTS_GET(opts, passwd, NULL), OPTS_GET(opts, group, NULL), add_name,
			       st);
	sort_names(st);
	return st;
}

void kcap_state_free(struct kcap_state *st)
{
	size_t i;
	struct kthread *t, *n;

	if (!st)
		return;
	kst_ct_free(st);
	for (i = 0; i < st->nbuckets; i++)
		for (t = st->buckets[i]; t; t = n) {
			n = t->next;
			thread_free(t);
		}
	clear_names(st);
	free(st->buckets);
	free(st->spare);
	free(st);
}

int kcap_state_stats(const struct kcap_state *st, struct kcap_state_stats *out, size_t sz)
{
	struct kcap_state_stats all, *s = &all;
	size_t i;
	struct kthread *t;

	if (!st || !out)
		return -EINVAL;
	*s = st->stats;
	s->fds = 0;
	for (i = 0; i < st->nbuckets; i++)
		for (t = st->buckets[i]; t; t = t->next)
			if (t->fdt && t->tid == t->pid)
				s->fds += t->fdt->n;
	memset(out, 0, sz);
	memcpy(out, &all, sz < sizeof(all) ? sz : sizeof(all));
	return 0;
}

static int seed_one(void *ctx, const struct kcap_proc_entry *p)
{
	struct kcap_state *st = ctx;
	struct kthread *t = kst_thread_new(st, p->tid, p->pid);
	__u32 i;

	if (!t)
		return -ENOMEM;
	t->ppid = p->ppid;
	t->uid = p->uid[0];
	t->euid = p->uid[1];
	t->gid = p->gid[0];
	snprintf(t->comm, sizeof(t->comm), "%s", p->comm);
	kst_setstr(&t->exe, p->exe, strlen(p->exe));
	kst_setmem(&t->argv, &t->argv_len, p->argv, p->argv_len);
	kst_setstr(&t->cwd, p->cwd, strlen(p->cwd));
	kst_set_cgroup(t, p->cgroup, strlen(p->cgroup));
	for (i = 0; i < p->nr_fds; i++) {
		struct kfd *f = kst_fd_add(st, t, p->fds[i].fd, typechar_of_target(p->fds[i].target));

		if (f)
			f->name = strdup(p->fds[i].target);
	}
	return 0;
}

int kcap_state_seed(struct kcap_state *st, struct kcap *h)
{
	struct kcap_file_info fi;
	struct timespec rt, mono;
	const void *snap;
	size_t len;
	int err;

	if (!st)
		return -EINVAL;
	/* A recorded source (a file) carries its own snapshot and clock. */
	if (h && kcap__procs(h, &snap, &len) != -EOPNOTSUPP) {
		if (kcap_file_info(h, &fi, sizeof(fi)) == 0)
			st->boot_wall_ns = fi.boot_wall_ns;
		/* its containers are not this machine's: no lookups */
		st->ct_file = true;
		/* ... and the recording machine's names: this machine's would
		 * name its users wrongly. A file without them (before format
		 * 1.1) names none, unless kcap_state_opts named the files. */
		if (!st->names_given || kcap__users_foreach(h, NULL, NULL) == 0) {
			clear_names(st);
			kcap__users_foreach(h, add_name, st);
			sort_names(st);
		}
		err = kcap_procs_foreach(h, seed_one, st);
		return err == -ENODATA ? 0 : err;
	}
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	st->boot_wall_ns = ((__s64)rt.tv_sec - mono.tv_sec) * 1000000000LL + rt.tv_nsec - mono.tv_nsec;
	st->live = true;
	err = kcap_procs_foreach(NULL, seed_one, st);
	if (!err)
		kst_ct_seeded(st);
	return err;
}

int kcap_state_thread(const struct kcap_state *st, __u32 tid, struct kcap_thread_info *ti,
		      size_t sz)
{
	const struct kthread *t;
	struct kcap_thread_info v;
	const char *user;

	if (!st || !ti)
		return -EINVAL;
	t = kcap__thread(st, tid);
	if (!t)
		return -ENOENT;
	user = kcap__user_name(st, t->uid);
	v = (struct kcap_thread_info){
		.tid = t->tid,
		.pid = t->pid,
		.ppid = t->ppid,
		.vpid = t->vpid,
		.vtid = t->vtid,
		.uid = t->uid,
		.euid = t->euid,
		.gid = t->gid,
		.loginuid = t->loginuid,
		.tty = t->tty,
		.exited = t->exited,
		.comm = t->comm,
		.exe = t->exe ? t->exe : "",
		.argv = t->argv ? t->argv : "",
		.argv_len = t->argv ? t->argv_len : 0,
		.cwd = t->cwd ? t->cwd : "",
		.cgroup = t->cgroup ? t->cgroup : "",
		.user = user ? user : "",
		.container = t->ct,
	};
	memcpy(ti, &v, sz < sizeof(v) ? sz : sizeof(v));
	if (sz > sizeof(v))
		memset((char *)ti + sizeof(v), 0, sz - sizeof(v));
	return 0;
}
