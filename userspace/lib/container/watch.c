// SPDX-License-Identifier: Apache-2.0
/*
 * Noticing containers as they start: inotify on the runtimes' state roots
 * (docker's <data-root>/containers, each OCI root, containers/storage's
 * overlay-containers), run by the lookup worker's thread (worker.c).
 *
 *   - A directory with a container id's name appearing in a root gets a
 *     watch of its own (and, in containers/storage, its userdata/); the
 *     container is looked up a moment later, and again whenever one of the
 *     runtimes' state files in it is written or renamed into place (runc
 *     renames state.json, crun writes status and config.json, dockerd
 *     renames config.v2.json at create and again at start).
 *   - A lookup that finds a file missing, half-written or changing
 *     (-ENOENT, -EINVAL, -EAGAIN) is tried again after 10, 40, 160, 640 ms
 *     and 2.5 s, and at the next write in the directory.
 *   - A container directory deleted from a root is delivered as gone.
 *   - A root that does not exist (yet) is waited for with a watch on its
 *     deepest existing ancestor; when it appears it is scanned, and when it
 *     is deleted the ancestor is watched again.
 *   - IN_Q_OVERFLOW (events lost) rescans every root.
 *
 * Containers already there when the watch starts are not looked up: the
 * state's seed asks for those that run. Memory is bounded: at most
 * CT_WATCH_MAX container directories are watched (past that a new one is
 * still looked up when it appears, without a watch of its own) and
 * CT_TRY_MAX lookups wait for a retry.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ct.h"

#define CT_WATCH_MAX 4096	   /* container directories watched */
#define CT_TRY_MAX 256		   /* containers waiting for a (re)try */
#define CT_TRY_FIRST_NS 2000000ull /* after a directory or file appears: 2 ms */
#define CT_ROOTS (KCAP_CT_MAX_ROOTS + 3)

/*
 * What each kind of watch asks for. One directory may hold several roles
 * (an ancestor of one root may be another root), so masks are only ever
 * added to (IN_MASK_ADD), never replaced.
 */
#define PARENT_MASK (IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
#define ROOT_MASK (PARENT_MASK | IN_DELETE | IN_MOVED_FROM)
#define CT_MASK (IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR)

static const uint64_t backoff_ns[] = {10000000ull, 40000000ull, 160000000ull, 640000000ull,
				      2500000000ull};

enum wkind { W_ROOT, W_PARENT, W_CT, W_CTSUB };

struct wentry {
	int wd;
	enum wkind kind;
	unsigned int root;
	char id[KCAP_CT_ID_LEN]; /* W_CT, W_CTSUB */
};

struct wroot {
	char path[PATH_MAX];
	bool storage; /* containers/storage: state files in <id>/userdata */
	bool armed;   /* watched itself, not through an ancestor */
};

struct wtry {
	char id[KCAP_CT_ID_LEN];
	uint64_t due;
	unsigned int attempt;
};

struct ct_watch {
	struct kcap_ct_worker *w;
	int fd;
	unsigned int nroots;
	struct wroot roots[CT_ROOTS];
	struct wentry *ent;
	unsigned int nent, capent;
	unsigned int nct; /* W_CT and W_CTSUB entries */
	struct wtry tries[CT_TRY_MAX];
	unsigned int ntries;
};

static int watch(struct ct_watch *cw, const char *path, uint32_t mask)
{
	return inotify_add_watch(cw->fd, path, mask | IN_MASK_ADD);
}

/* Files whose writing may make a container readable. */
static bool state_file(const char *name)
{
	static const char *const names[] = {"state.json", "status", "config.json", "config.v2.json",
					    "hostconfig.json"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return true;
	return false;
}

static bool add_root(struct ct_watch *cw, const struct kcap_ct_paths *p, const char *a,
		     const char *b, bool storage)
{
	struct wroot *r = &cw->roots[cw->nroots];
	const char *host = p->host_root ? p->host_root : "";
	int n;

	if (cw->nroots == CT_ROOTS)
		return false;
	n = snprintf(r->path, sizeof(r->path), "%s%s%s", host, a, b);
	if (n < 0 || (size_t)n >= sizeof(r->path))
		return false; /* never found by a lookup either */
	r->storage = storage;
	cw->nroots++;
	return true;
}

struct ct_watch *ct_watch_new(struct kcap_ct_worker *w, const struct kcap_ct_paths *p)
{
	struct ct_watch *cw = calloc(1, sizeof(*cw));
	size_t i;

	if (!cw)
		return NULL;
	cw->w = w;
	cw->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (cw->fd < 0) {
		int err = errno;

		free(cw);
		errno = err;
		return NULL;
	}
	if (p->docker_root)
		add_root(cw, p, p->docker_root, "/containers", false);
	if (p->storage_root)
		add_root(cw, p, p->storage_root, "/overlay-containers", true);
	if (p->storage_runroot)
		add_root(cw, p, p->storage_runroot, "/overlay-containers", true);
	for (i = 0; i < KCAP_CT_MAX_ROOTS && p->oci_roots[i]; i++)
		add_root(cw, p, p->oci_roots[i], "", false);
	return cw;
}

void ct_watch_free(struct ct_watch *cw)
{
	if (!cw)
		return;
	close(cw->fd); /* drops every watch */
	free(cw->ent);
	free(cw);
}

int ct_watch_fd(const struct ct_watch *cw)
{
	return cw->fd;
}

static struct wentry *ent_add(struct ct_watch *cw, int wd, enum wkind kind, unsigned int root,
			      const char *id)
{
	struct wentry *e;
	unsigned int i;

	for (i = 0; i < cw->nent; i++)
		if (cw->ent[i].wd == wd && cw->ent[i].kind == kind && cw->ent[i].root == root &&
		    !strcmp(cw->ent[i].id, id ? id : ""))
			return &cw->ent[i];
	if (cw->nent == cw->capent) {
		unsigned int cap = cw->capent ? cw->capent * 2 : 16;

		e = realloc(cw->ent, cap * sizeof(*e));
		if (!e)
			return NULL;
		cw->ent = e;
		cw->capent = cap;
	}
	e = &cw->ent[cw->nent++];
	memset(e, 0, sizeof(*e));
	e->wd = wd;
	e->kind = kind;
	e->root = root;
	if (id)
		snprintf(e->id, sizeof(e->id), "%s", id);
	if (kind == W_CT || kind == W_CTSUB)
		cw->nct++;
	return e;
}

static bool wd_used(const struct ct_watch *cw, int wd)
{
	unsigned int i;

	for (i = 0; i < cw->nent; i++)
		if (cw->ent[i].wd == wd)
			return true;
	return false;
}

/* Removes entry @i; drops its watch unless another entry shares it. */
static void ent_del(struct ct_watch *cw, unsigned int i, bool rm_watch)
{
	int wd = cw->ent[i].wd;

	if (cw->ent[i].kind == W_CT || cw->ent[i].kind == W_CTSUB)
		cw->nct--;
	cw->ent[i] = cw->ent[--cw->nent];
	if (rm_watch && !wd_used(cw, wd))
		inotify_rm_watch(cw->fd, wd);
}

/* Schedules a lookup of @id after @delay ns; a file event restarts the backoff. */
static void try_at(struct ct_watch *cw, const char *id, uint64_t delay)
{
	uint64_t due = ct_now_ns() + delay;
	unsigned int i;

	for (i = 0; i < cw->ntries; i++)
		if (!strcmp(cw->tries[i].id, id)) {
			if (due < cw->tries[i].due)
				cw->tries[i].due = due;
			cw->tries[i].attempt = 0;
			return;
		}
	if (cw->ntries == CT_TRY_MAX) {
		ct_worker_counted_drop(cw->w); /* asked for at its first event instead */
		return;
	}
	snprintf(cw->tries[cw->ntries].id, KCAP_CT_ID_LEN, "%s", id);
	cw->tries[cw->ntries].due = due;
	cw->tries[cw->ntries].attempt = 0;
	cw->ntries++;
}

static void try_drop(struct ct_watch *cw, const char *id)
{
	unsigned int i;

	for (i = 0; i < cw->ntries; i++)
		if (!strcmp(cw->tries[i].id, id)) {
			cw->tries[i] = cw->tries[--cw->ntries];
			return;
		}
}

/* Watches container directory @root/@id (and its userdata/ in
 * containers/storage) and schedules its lookup. */
static void ct_add(struct ct_watch *cw, unsigned int root, const char *id)
{
	char path[PATH_MAX];
	int wd, n;

	try_at(cw, id, CT_TRY_FIRST_NS);
	if (cw->nct >= CT_WATCH_MAX)
		return;
	n = snprintf(path, sizeof(path), "%s/%s", cw->roots[root].path, id);
	if (n < 0 || (size_t)n >= sizeof(path))
		return;
	wd = watch(cw, path, CT_MASK);
	if (wd < 0 || !ent_add(cw, wd, W_CT, root, id))
		return;
	if (!cw->roots[root].storage || (size_t)n + sizeof("/userdata") > sizeof(path))
		return;
	strcat(path, "/userdata");
	wd = watch(cw, path, CT_MASK);
	if (wd >= 0)
		ent_add(cw, wd, W_CTSUB, root, id);
}

/* Forgets container @id of @root: its watches, its retry. */
static void ct_del(struct ct_watch *cw, unsigned int root, const char *id)
{
	unsigned int i = 0;

	while (i < cw->nent) {
		struct wentry *e = &cw->ent[i];

		if ((e->kind == W_CT || e->kind == W_CTSUB) && e->root == root &&
		    !strcmp(e->id, id))
			ent_del(cw, i, true);
		else
			i++;
	}
	try_drop(cw, id);
}

/* Looks up every container directory in @root. */
static void scan(struct ct_watch *cw, unsigned int root)
{
	struct dirent *de;
	struct stat st;
	DIR *d = opendir(cw->roots[root].path);

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!ct_valid_id(de->d_name))
			continue;
		/* containers.json has an id's letters: directories only */
		if (de->d_type == DT_UNKNOWN &&
		    (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		     !S_ISDIR(st.st_mode)))
			continue;
		if (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN)
			ct_add(cw, root, de->d_name);
	}
	closedir(d);
}

/*
 * Watches @root, or while it is missing its deepest existing ancestor.
 * @scan_new: look up what the root holds when it is (newly) watched.
 */
static void arm(struct ct_watch *cw, unsigned int root, bool scan_new)
{
	struct wroot *r = &cw->roots[root];
	char path[PATH_MAX], next[PATH_MAX];
	unsigned int i, depth;
	struct stat st;
	char *slash;
	int wd;

	/* bounded: each round watches a deeper ancestor, or the root */
	for (depth = 0; depth < PATH_MAX / 2; depth++) {
		wd = watch(cw, r->path, ROOT_MASK);
		if (wd >= 0) {
			/* the ancestor's watch is not needed any more */
			i = 0;
			while (i < cw->nent)
				if (cw->ent[i].kind == W_PARENT && cw->ent[i].root == root)
					ent_del(cw, i, true);
				else
					i++;
			if (ent_add(cw, wd, W_ROOT, root, NULL)) {
				r->armed = true;
				if (scan_new)
					scan(cw, root);
			}
			return;
		}
		r->armed = false;
		snprintf(path, sizeof(path), "%s", r->path);
		wd = -1;
		while (wd < 0 && (slash = strrchr(path, '/'))) {
			/* the component under the ancestor tried next */
			snprintf(next, sizeof(next), "%s", path);
			if (slash == path)
				slash[1] = '\0';
			else
				*slash = '\0';
			wd = watch(cw, path, PARENT_MASK);
			if (wd < 0 && slash == path)
				return;
		}
		if (wd < 0 || !ent_add(cw, wd, W_PARENT, root, NULL))
			return;
		/*
		 * A directory made between the failed watch of @next and the
		 * watch of its parent sends no event: look again.
		 */
		if (stat(next, &st))
			return;
		scan_new = true; /* what appears on the way is new */
	}
}

void ct_watch_start(struct ct_watch *cw)
{
	unsigned int i;

	for (i = 0; i < cw->nroots; i++)
		arm(cw, i, false);
}

void ct_watch_rescan(struct ct_watch *cw)
{
	unsigned int i;

	ct_worker_counted_rescan(cw->w);
	for (i = 0; i < cw->nroots; i++) {
		if (cw->roots[i].armed)
			scan(cw, i);
		else
			arm(cw, i, true);
	}
}

/* The root of watch @e is gone (deleted or moved): wait for it again. */
static void root_gone(struct ct_watch *cw, unsigned int root)
{
	unsigned int i = 0;

	while (i < cw->nent)
		if (cw->ent[i].root == root && cw->ent[i].kind != W_PARENT)
			ent_del(cw, i, true);
		else
			i++;
	cw->roots[root].armed = false;
	arm(cw, root, true);
}

static void handle(struct ct_watch *cw, const struct inotify_event *ev)
{
	struct wentry snap[8];
	unsigned int i, n = 0, k;
	const char *name = ev->len ? ev->name : "";
	bool isdir = ev->mask & IN_ISDIR;

	/* a watch may serve several roles (two roots with one missing ancestor) */
	for (i = 0; i < cw->nent && n < sizeof(snap) / sizeof(snap[0]); i++)
		if (cw->ent[i].wd == ev->wd)
			snap[n++] = cw->ent[i];
	for (k = 0; k < n; k++) {
		struct wentry *e = &snap[k];

		switch (e->kind) {
		case W_ROOT:
			if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
				root_gone(cw, e->root);
			} else if (isdir && ct_valid_id(name)) {
				if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
					ct_add(cw, e->root, name);
				} else if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) {
					ct_del(cw, e->root, name);
					ct_worker_gone(cw->w, name);
				}
			}
			break;
		case W_PARENT:
			/* a directory on the way to the root, or the ancestor gone */
			if ((isdir && (ev->mask & (IN_CREATE | IN_MOVED_TO))) ||
			    (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED))) {
				for (i = 0; i < cw->nent; i++)
					if (cw->ent[i].wd == ev->wd &&
					    cw->ent[i].kind == W_PARENT &&
					    cw->ent[i].root == e->root) {
						ent_del(cw, i, !(ev->mask & IN_IGNORED));
						break;
					}
				arm(cw, e->root, true);
			}
			break;
		case W_CT:
		case W_CTSUB:
			if (ev->mask & IN_IGNORED) {
				for (i = 0; i < cw->nent; i++)
					if (cw->ent[i].wd == ev->wd && cw->ent[i].kind == e->kind &&
					    !strcmp(cw->ent[i].id, e->id)) {
						ent_del(cw, i, false);
						break;
					}
			} else if (e->kind == W_CT && cw->roots[e->root].storage && isdir &&
				   !strcmp(name, "userdata") &&
				   (ev->mask & (IN_CREATE | IN_MOVED_TO))) {
				ct_add(cw, e->root, e->id);
			} else if (!isdir && (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) &&
				   state_file(name)) {
				try_at(cw, e->id, CT_TRY_FIRST_NS);
			}
			break;
		}
	}
}

/* Runs the lookups whose time has come. */
static void run_due(struct ct_watch *cw)
{
	uint64_t now = ct_now_ns();
	unsigned int i = 0;
	int err;

	while (i < cw->ntries) {
		struct wtry *t = &cw->tries[i];

		if (t->due > now) {
			i++;
			continue;
		}
		err = ct_worker_notice(cw->w, t->id);
		if ((err == -ENOENT || err == -EINVAL || err == -EAGAIN) &&
		    t->attempt < sizeof(backoff_ns) / sizeof(backoff_ns[0])) {
			t->due = ct_now_ns() + backoff_ns[t->attempt++];
			i++;
			continue;
		}
		/* found, or given up: the event path asks at its first event */
		cw->tries[i] = cw->tries[--cw->ntries];
	}
}

void ct_watch_events(struct ct_watch *cw)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t len;
	char *p;

	for (;;) {
		len = read(cw->fd, buf, sizeof(buf));
		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0)
			break; /* EAGAIN: nothing more */
		for (p = buf; p < buf + len; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			if (ev->mask & IN_Q_OVERFLOW)
				ct_watch_rescan(cw);
			else
				handle(cw, ev);
		}
	}
	run_due(cw);
}

int ct_watch_due(const struct ct_watch *cw)
{
	uint64_t now = ct_now_ns(), next = UINT64_MAX, ms;
	unsigned int i;

	for (i = 0; i < cw->ntries; i++)
		if (cw->tries[i].due < next)
			next = cw->tries[i].due;
	if (next == UINT64_MAX)
		return -1;
	if (next <= now)
		return 0;
	ms = (next - now + 999999) / 1000000;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}
