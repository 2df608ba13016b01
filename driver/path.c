// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The path of a file for an event (fd paths, exe, cwd).
 *
 * d_path() everywhere but PREEMPT_RT. There its reads of rename_lock and
 * mount_lock, and its locked retry, can take those locks, which sleep on
 * PREEMPT_RT, while probes run with preemption off: "scheduling while
 * atomic", found by 90-storm when a rename raced with an fd path. On
 * PREEMPT_RT the path is walked here without any lock: dentry names up to
 * the mount root under RCU (as d_path()'s own first pass reads them),
 * across mounts through the head of the kernel's private struct mount
 * (checked against d_path() when the module loads), and validated by
 * rename_lock's sequence count, read raw (never waiting for a writer). A
 * walk that races with a rename gives an empty path, never a lock.
 */
#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/path.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/seqlock.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "kcap.h"
#include "fill.h"

/*
 * The head of struct mount (fs/mount.h, private to fs/): the vfsmount a
 * path names is embedded right after these three fields, the same from
 * 5.10 to 7.x. kcap_path_init() checks it before the walk is used.
 */
struct kcap_mount_head {
	struct hlist_node mnt_hash;
	struct kcap_mount_head *mnt_parent;
	struct dentry *mnt_mountpoint;
	struct vfsmount mnt;
};

static bool kcap_walk_ok;

static struct kcap_mount_head *kcap_real_mount(const struct vfsmount *m)
{
	return container_of(m, struct kcap_mount_head, mnt);
}

bool kcap_fs_get(struct fs_struct *fs, struct path *pwd, struct path *root)
{
#ifdef KCAP_HAS_FS_SEQLOCK
	seqcount_t *sc = &fs->seq.seqcount.seqcount;
#else
	seqcount_t *sc = &fs->seq.seqcount;
#endif
	unsigned int seq, tries;

	for (tries = 0; tries < 4; tries++) {
		/* Pairs with the writer's write_seqcount_begin()/end(). */
		seq = raw_read_seqcount(sc);
		if (seq & 1)
			continue;
		if (pwd)
			*pwd = fs->pwd;
		if (root)
			*root = fs->root;
		if (!read_seqcount_retry(sc, seq))
			return true;
	}
	return false;
}

/* @name's bytes before @end; false if it does not fit or changed. */
static bool kcap_prepend_name(char **end, char *start, const struct dentry *d)
{
	/* As prepend_name(): the pointer, then a length that may be stale. */
	const char *name = smp_load_acquire(&d->d_name.name);
	u32 len = READ_ONCE(d->d_name.len), i;
	char *p;

	if (len + 1 > (u32)(*end - start))
		return false;
	p = *end - len;
	for (i = 0; i < len; i++) {
		char c = READ_ONCE(name[i]);

		if (!c)
			return false;
		p[i] = c;
	}
	*--p = '/';
	*end = p;
	return true;
}

/*
 * @path relative to @root into @buf, at its start; the length, or a
 * negative errno (a rename meanwhile, outside the root, too long).
 * Under rcu_read_lock().
 */
static int kcap_walk(const struct path *path, const struct path *root, char *buf, int len)
{
	seqcount_t *sc = &rename_lock.seqcount.seqcount;
	struct kcap_mount_head *m = kcap_real_mount(path->mnt);
	struct kcap_mount_head *root_m = kcap_real_mount(root->mnt);
	const struct dentry *d = path->dentry;
	char *end = buf + len, *p = end;
	unsigned int seq, steps = 0;
	int n;

	seq = raw_read_seqcount(sc);
	if (seq & 1)
		return -EAGAIN;
	while (d != root->dentry || m != root_m) {
		if (++steps > 4096)
			return -ELOOP;
		if (d == m->mnt.mnt_root) {
			struct kcap_mount_head *up = READ_ONCE(m->mnt_parent);

			if (up == m)
				return -ENOENT; /* not under our root */
			d = READ_ONCE(m->mnt_mountpoint);
			m = up;
			continue;
		}
		if (IS_ROOT(d))
			return -ENOENT; /* disconnected */
		if (!kcap_prepend_name(&p, buf, d))
			return -ENAMETOOLONG;
		d = READ_ONCE(d->d_parent);
	}
	if (read_seqcount_retry(sc, seq))
		return -EAGAIN;
	if (p == end) {
		if (p == buf)
			return -ENAMETOOLONG;
		*--p = '/';
	}
	n = end - p;
	if (d_unlinked(path->dentry) && n + 10 <= len) {
		memmove(buf, p, n);
		memcpy(buf + n, " (deleted)", 10);
		return n + 10;
	}
	memmove(buf, p, n);
	return n;
}

/* The path of @path without any lock (see the file comment). */
static int kcap_path_nolock(const struct path *path, char *buf, int len)
{
	const struct dentry *d = path->dentry;
	struct fs_struct *fs = current->fs;
	struct path root;
	char *p;
	int n;

	/* Pipes, sockets, memfd: names made up by d_dname, without locks. */
	if (d->d_op && d->d_op->d_dname &&
	    (!IS_ROOT(d) || d != path->mnt->mnt_root)) {
		p = d->d_op->d_dname(path->dentry, buf, len);
		if (IS_ERR(p))
			return PTR_ERR(p);
		n = strlen(p);
		memmove(buf, p, n);
		return n;
	}
	if (!kcap_walk_ok || !fs)
		return -EOPNOTSUPP;
	rcu_read_lock();
	n = kcap_fs_get(fs, NULL, &root) ? kcap_walk(path, &root, buf, len) : -EAGAIN;
	rcu_read_unlock();
	return n;
}

int kcap_path(const struct path *path, char *buf, int len)
{
	char *p;
	int n;

	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		return kcap_path_nolock(path, buf, len);
	p = d_path(path, buf, len);
	if (IS_ERR(p))
		return PTR_ERR(p);
	n = strlen(p);
	memmove(buf, p, n);
	return n;
}

/*
 * PREEMPT_RT: use the lock-free walk only if it gives what d_path() gives
 * for paths across a mount (the struct mount head is as assumed).
 */
void kcap_path_init(void)
{
	static const char *const probes[] = { "/proc/self", "/dev/null", "/sys/kernel", "/" };
	char *a, *b;
	struct path p, root;
	unsigned int i, agree = 0;
	int na;

	if (!IS_ENABLED(CONFIG_PREEMPT_RT) || !current->fs)
		return;
	a = kmalloc(2 * PATH_MAX, GFP_KERNEL);
	if (!a)
		return;
	b = a + PATH_MAX;
	get_fs_root(current->fs, &root);
	for (i = 0; i < ARRAY_SIZE(probes); i++) {
		char *want;
		bool same;

		if (kern_path(probes[i], 0, &p))
			continue;
		want = d_path(&p, b, PATH_MAX);
		rcu_read_lock();
		na = kcap_walk(&p, &root, a, PATH_MAX);
		rcu_read_unlock();
		same = !IS_ERR(want) && na > 0 && na == (int)strlen(want) && !memcmp(a, want, na);
		path_put(&p);
		if (!same) {
			agree = 0;
			break;
		}
		agree++;
	}
	path_put(&root);
	kfree(a);
	kcap_walk_ok = agree >= 2;
	if (!kcap_walk_ok)
		pr_warn(KCAP_MODNAME ": PREEMPT_RT: file paths stay empty (mount layout not as expected)\n");
}
