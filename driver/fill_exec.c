// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * execve/execveat: the one filler that is code rather than a table row. A
 * successful exec is written from sched_process_exec, where argv is the new
 * image's (read from the new mm); a failed one from sys_exit, where argv is
 * still the caller's array. Both carry the process context detection
 * engines need: cwd, exe, credentials, login uid, tty, pid-namespace ids and
 * the cgroup.
 */
#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/mm.h>
#include <linux/binfmts.h>
#include <linux/cred.h>
#include <linux/audit.h>
#include <linux/tty.h>
#include <linux/fs_struct.h>
#include <linux/path.h>
#include <linux/dcache.h>
#include <linux/cgroup.h>
#include <linux/rcupdate.h>
#include <linux/preempt.h>
#include <linux/file.h>
#include <linux/kernfs.h>
#include <linux/uaccess.h>
#include <linux/seqlock.h>
#include <linux/string.h>

#include <kcap/kcap_event_table.h>

#include "kcap.h"
#include "record.h"
#include "umem.h"
#include "fill.h"

#define KCAP_ARGV_COUNT_MAX 1024

static void kcap_put_u32(struct kcap_rec *w, u32 v)
{
	kcap_rec_put(w, &v, sizeof(v));
}

static void kcap_put_str(struct kcap_rec *w, const char *s, size_t max)
{
	kcap_rec_put(w, s, strnlen(s, max));
}

/* Write the path of @path in place (kcap_path(): no sleeping lock). */
static u32 kcap_put_path(struct kcap_rec *w, const struct path *path)
{
	int n = kcap_path(path, (char *)w->p, KCAP_PATH_MAX);

	return n > 0 ? n : 0;
}

/*
 * The working directory, read without taking references: RCU keeps the
 * dentry and mount alive while d_path() walks them (as its own RCU walk
 * does). Taking references would mean a path_put(), which may sleep, in a
 * non-preemptible probe.
 */
static u32 kcap_put_cwd(struct kcap_rec *w)
{
	struct fs_struct *fs = current->fs;
	struct path pwd;
	u32 n = 0;

	if (!fs)
		return 0;
	rcu_read_lock();
	if (kcap_fs_get(fs, &pwd, NULL))
		n = kcap_put_path(w, &pwd);
	rcu_read_unlock();
	return n;
}

/*
 * The executable, with a reference: the file the exec just opened (@bprm
 * holds one too), or for a failed exec the mm's exe_file, taken under RCU.
 * Since 6.7 files are SLAB_TYPESAFE_BY_RCU: get_file_rcu() rechecks that
 * the pointer still names the file it counted. fput() from here only
 * queues the final release.
 */
static struct file *kcap_exe_get(struct linux_binprm *bprm)
{
	struct mm_struct *mm = current->mm;
	struct file *exe;

	if (bprm && bprm->file)
		return get_file(bprm->file);
	if (!mm)
		return NULL;
	rcu_read_lock();
#ifdef KCAP_HAS_FILE_RCU_PTR
	exe = get_file_rcu(&mm->exe_file);
#else
	exe = rcu_dereference(mm->exe_file);
	if (exe && !get_file_rcu(exe))
		exe = NULL;
#endif
	rcu_read_unlock();
	return exe;
}

/* A kernfs node's parent and name; RCU pointers since 6.15. */
#ifdef KCAP_HAS_KERNFS_RCU_PARENT
#define kcap_kn_parent(kn) rcu_dereference((kn)->__parent)
#define kcap_kn_name(kn) rcu_dereference((kn)->name)
#else
#define kcap_kn_parent(kn) ((kn)->parent)
#define kcap_kn_name(kn) ((kn)->name)
#endif

#define KCAP_CGROUP_DEPTH 32

/*
 * Copy @max bytes at most of a kernel string that a concurrent rename may
 * free (kernfs names are not RCU-freed before 6.15): a nofault copy, so a
 * race gives a wrong name, never a fault or a KASAN report.
 */
static u32 kcap_copy_name(char *dst, const char *src, u32 max)
{
	u32 n;

	for (n = 0; n < max; n++) {
		if (copy_from_kernel_nofault(dst + n, src + n, 1) || !dst[n])
			break;
	}
	return n;
}

/*
 * The path of current's cgroup (v2 hierarchy) from its root, built by
 * walking kernfs nodes. cgroup_path() takes kernfs_rename_lock, a
 * sleeping lock on PREEMPT_RT. A cgroup's ancestors never change (cgroup
 * rename stays within the parent) and hold references to each other; RCU
 * keeps current's cgroup alive.
 */
static u32 kcap_put_cgroup(struct kcap_rec *w, bool *trunc)
{
	struct kernfs_node *chain[KCAP_CGROUP_DEPTH], *kn;
	char *out = (char *)w->p;
	u32 n = 0;
	int depth = 0;

	rcu_read_lock();
	kn = task_dfl_cgroup(current)->kn;
	/* The hierarchy's root has no parent and stands for "/". */
	for (; kn && kcap_kn_parent(kn); kn = kcap_kn_parent(kn)) {
		if (depth == KCAP_CGROUP_DEPTH) {
			*trunc = true;
			break;
		}
		chain[depth++] = kn;
	}
	if (!depth)
		out[n++] = '/';
	while (depth-- > 0 && n < KCAP_PATH_MAX - 1) {
		out[n++] = '/';
		n += kcap_copy_name(out + n, kcap_kn_name(chain[depth]),
				    KCAP_PATH_MAX - 1 - n);
	}
	rcu_read_unlock();
	return n;
}

/*
 * current's controlling tty as a device number. The tty is pinned the
 * way get_current_tty() does it (a reference under siglock), but with a
 * trylock: siglock sleeps on PREEMPT_RT. 0 if none, or if the lock was
 * busy. tty_kref_put() only queues the release.
 */
static u32 kcap_tty_devnum(void)
{
	/* Only current itself replaces its sighand (exec, unshare). */
	struct sighand_struct *sh = rcu_dereference_protected(current->sighand, 1);
	struct tty_struct *tty;
	unsigned long flags;
	u32 dev = 0;

	if (!spin_trylock_irqsave(&sh->siglock, flags))
		return 0;
	tty = tty_kref_get(current->signal->tty);
	spin_unlock_irqrestore(&sh->siglock, flags);
	if (tty) {
		dev = tty_devnum(tty);
		tty_kref_put(tty);
	}
	return dev;
}

/*
 * argv (or with @env the environment) of the new image: the NUL-separated
 * strings between mm->arg_start and arg_end (env_start, env_end).
 */
static u32 kcap_put_argv_mm(struct kcap_rec *w, bool env, bool *trunc,
			    bool *fault)
{
	struct mm_struct *mm = current->mm;
	unsigned long start, end, len;

	if (!mm)
		return 0;
	start = env ? mm->env_start : mm->arg_start;
	end = env ? mm->env_end : mm->arg_end;
	if (end < start)
		return 0;
	len = end - start;
	if (len > KCAP_ARGV_MAX) {
		len = KCAP_ARGV_MAX;
		*trunc = true;
	}
	if (kcap_read_user(w->p, (const void __user *)start, len)) {
		*fault = true;
		return 0;
	}
	return len;
}

/* argv of a failed exec: the caller's pointer array, still intact. */
static u32 kcap_put_argv_user(struct kcap_rec *w, unsigned long uargv,
			      bool compat, bool *trunc, bool *fault)
{
	u32 done = 0;
	int i;

	if (!uargv)
		return 0;
	for (i = 0; i < KCAP_ARGV_COUNT_MAX; i++) {
		unsigned long ptr = 0;
		u32 psize = compat ? 4 : 8;
		bool cut;
		long n;

		if (kcap_read_user(&ptr, (const void __user *)(uargv + i * psize),
				   psize)) {
			*fault = true;
			break;
		}
		if (!ptr)
			break;
		if (done >= KCAP_ARGV_MAX) {
			*trunc = true;
			break;
		}
		n = kcap_read_ustr((char *)w->p + done,
				   (const char __user *)ptr,
				   KCAP_ARGV_MAX - done, &cut);
		if (n < 0) {
			*fault = true;
			break;
		}
		done += n;
		if (cut || done >= KCAP_ARGV_MAX) {
			*trunc = true;
			break;
		}
		w->p[done++] = '\0';
	}
	return done;
}

void kcap_fill_exec(struct kcap_session *s, struct kcap_sc *c, u16 type,
		    struct linux_binprm *bprm)
{
	const struct kcap_event_desc *d = &kcap_event_table[type];
	bool at = type == KCAP_EVT_EXECVEAT;
	unsigned long ufile = c->args[at ? 1 : 0];
	unsigned long uargv = c->args[at ? 2 : 1];
	unsigned long uenvp = c->args[at ? 3 : 2];
	bool trunc = false, fault = false;
	struct kcap_exe_info xi = { 0 };
	const struct cred *cred;
	struct file *exe;
	struct kcap_rec w;
	s64 res = c->ret;
	u64 v;
	long n;

	/*
	 * Upper bound: four paths (filename, cwd, exe, cgroup), argv and env,
	 * comm, eleven u32 (ids, tty, execveat's flags, exe_flags, sid, vpgid)
	 * and eight 64-bit numbers (res, dirfd, three capability sets, the
	 * exe's inode and times).
	 */
	BUILD_BUG_ON(KCAP_REC_LEN(KCAP_MAX_PARAMS, 4 * KCAP_PATH_MAX +
				  2 * KCAP_ARGV_MAX + TASK_COMM_LEN +
				  11 * sizeof(u32) + 8 * sizeof(u64)) >
		     KCAP_EVENT_MAX_LEN);
	if (!bprm && kcap_tp_may_fault())
		kcap_prefault_str((const char __user *)ufile, KCAP_PATH_MAX);

	preempt_disable_notrace();
	/* Built aside: its bound (five paths) is far above its usual size. */
	if (!kcap_rec_begin_staged(&w, s, type, d->nparams, true)) {
		preempt_enable_notrace();
		return;
	}
	if (c->compat)
		w.hdr->flags |= KCAP_EVF_COMPAT;
	kcap_rec_put(&w, &res, sizeof(res));

	if (bprm) {
		kcap_put_str(&w, bprm->filename, KCAP_PATH_MAX);
	} else {
		n = ufile ? kcap_read_ustr((char *)w.p,
					   (const char __user *)ufile,
					   KCAP_PATH_MAX, &trunc) : 0;
		if (n < 0) {
			fault = true;
			n = 0;
		}
		kcap_rec_done(&w, n);
	}

	kcap_rec_done(&w, bprm ? kcap_put_argv_mm(&w, false, &trunc, &fault) :
		      kcap_put_argv_user(&w, uargv, c->compat, &trunc, &fault));
	kcap_rec_done(&w, kcap_put_cwd(&w));
	exe = kcap_exe_get(bprm);
	kcap_rec_done(&w, exe ? kcap_put_path(&w, &exe->f_path) : 0);
	if (exe) {
		kcap_exe_info(exe, &xi);
		fput(exe);
	}
	kcap_put_str(&w, current->comm, TASK_COMM_LEN);

	rcu_read_lock();
	cred = __task_cred(current);
	kcap_put_u32(&w, from_kuid_munged(&init_user_ns, cred->uid));
	kcap_put_u32(&w, from_kgid_munged(&init_user_ns, cred->gid));
	kcap_put_u32(&w, from_kuid_munged(&init_user_ns, cred->euid));
	rcu_read_unlock();
	kcap_put_u32(&w, from_kuid(&init_user_ns, audit_get_loginuid(current)));
	kcap_put_u32(&w, kcap_tty_devnum());
	kcap_put_u32(&w, task_tgid_vnr(current));
	kcap_put_u32(&w, task_pid_vnr(current));
	kcap_rec_done(&w, kcap_put_cgroup(&w, &trunc));

	if (at) {
		/* After a successful exec the registers hold the new image's
		 * state: dirfd and flags come from the note taken at the
		 * syscall's entry, and are unknown without one.
		 */
		if (c->exec_args) {
			s64 dirfd = (int)c->args[0];

			kcap_rec_put(&w, &dirfd, sizeof(dirfd));
			kcap_put_u32(&w, c->args[4]);
		} else {
			kcap_rec_done(&w, 0);
			kcap_rec_done(&w, 0);
		}
	}

	/* ABI 2.2: env, capabilities, the exe's inode, session and group. */
	kcap_rec_done(&w, bprm ? kcap_put_argv_mm(&w, true, &trunc, &fault) :
		      kcap_put_argv_user(&w, uenvp, c->compat, &trunc, &fault));
	for (n = 0; n < 3; n++) {
		v = kcap_cred_cap(n);
		kcap_rec_put(&w, &v, sizeof(v));
	}
	kcap_rec_put(&w, &xi.ino, sizeof(xi.ino));
	kcap_rec_put(&w, &xi.ctime, sizeof(xi.ctime));
	kcap_rec_put(&w, &xi.mtime, sizeof(xi.mtime));
	kcap_put_u32(&w, xi.flags);
	kcap_put_u32(&w, task_session_vnr(current));
	kcap_put_u32(&w, task_pgrp_vnr(current));
	if (fault)
		kcap_rec_fault(&w);
	if (trunc)
		w.hdr->flags |= KCAP_EVF_TRUNCATED;
	kcap_rec_commit(&w);
	preempt_enable_notrace();
}
