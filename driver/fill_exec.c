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

/* Write a d_path() result for @path in place (no reference taken). */
static u32 kcap_put_path(struct kcap_rec *w, const struct path *path)
{
	char *p = d_path(path, (char *)w->p, KCAP_PATH_MAX);
	u32 n;

	if (IS_ERR(p))
		return 0;
	n = strlen(p);
	memmove(w->p, p, n);
	return n;
}

/*
 * The working directory, read without taking references: the fs lock
 * makes the snapshot consistent, RCU keeps the dentry and mount alive
 * while d_path() walks them (as its own RCU walk does). Taking references
 * would mean a path_put(), which may sleep, in a non-preemptible probe.
 */
static u32 kcap_put_cwd(struct kcap_rec *w)
{
	struct fs_struct *fs = current->fs;
	struct path pwd;
	u32 n;

	if (!fs)
		return 0;
	rcu_read_lock();
#ifdef KCAP_HAS_FS_SEQLOCK
	read_seqlock_excl(&fs->seq);
	pwd = fs->pwd;
	read_sequnlock_excl(&fs->seq);
#else
	spin_lock(&fs->lock);
	pwd = fs->pwd;
	spin_unlock(&fs->lock);
#endif
	n = kcap_put_path(w, &pwd);
	rcu_read_unlock();
	return n;
}

/* The executable of the current mm; exe_file is RCU-managed. */
static u32 kcap_put_exe(struct kcap_rec *w)
{
	struct mm_struct *mm = current->mm;
	struct file *exe;
	u32 n = 0;

	if (!mm)
		return 0;
	rcu_read_lock();
	exe = rcu_dereference(mm->exe_file);
	if (exe)
		n = kcap_put_path(w, &exe->f_path);
	rcu_read_unlock();
	return n;
}

static u32 kcap_put_cgroup(struct kcap_rec *w, bool *trunc)
{
	int n;

	/* The css_set, hence the cgroup, is RCU-protected. */
	rcu_read_lock();
	n = cgroup_path(task_dfl_cgroup(current), (char *)w->p, KCAP_PATH_MAX);
	rcu_read_unlock();
	if (n < 0)
		return 0;
	if (n >= KCAP_PATH_MAX) {
		*trunc = true;
		return strnlen((char *)w->p, KCAP_PATH_MAX - 1);
	}
	return n;
}

/* argv of the new image: the NUL-separated strings at mm->arg_start. */
static u32 kcap_put_argv_mm(struct kcap_rec *w, bool *trunc, bool *fault)
{
	struct mm_struct *mm = current->mm;
	unsigned long len;

	if (!mm)
		return 0;
	len = mm->arg_end - mm->arg_start;
	if (mm->arg_end < mm->arg_start)
		return 0;
	if (len > KCAP_ARGV_MAX) {
		len = KCAP_ARGV_MAX;
		*trunc = true;
	}
	if (kcap_read_user(w->p, (const void __user *)mm->arg_start, len)) {
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
	bool trunc = false, fault = false;
	const struct cred *cred;
	struct tty_struct *tty;
	struct kcap_rec w;
	s64 res = c->ret;
	long n;

	/* Upper bound: five path-sized strings plus the numbers. */
	BUILD_BUG_ON(KCAP_REC_LEN(KCAP_MAX_PARAMS, sizeof(res) + 4 * KCAP_PATH_MAX +
				  KCAP_ARGV_MAX + TASK_COMM_LEN + 8 * sizeof(u32) +
				  sizeof(s64) + sizeof(u32)) > KCAP_EVENT_MAX_LEN);
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

	kcap_rec_done(&w, bprm ? kcap_put_argv_mm(&w, &trunc, &fault) :
		      kcap_put_argv_user(&w, uargv, c->compat, &trunc, &fault));
	kcap_rec_done(&w, kcap_put_cwd(&w));
	kcap_rec_done(&w, kcap_put_exe(&w));
	kcap_put_str(&w, current->comm, TASK_COMM_LEN);

	rcu_read_lock();
	cred = __task_cred(current);
	kcap_put_u32(&w, from_kuid_munged(&init_user_ns, cred->uid));
	kcap_put_u32(&w, from_kgid_munged(&init_user_ns, cred->gid));
	kcap_put_u32(&w, from_kuid_munged(&init_user_ns, cred->euid));
	rcu_read_unlock();
	kcap_put_u32(&w, from_kuid(&init_user_ns, audit_get_loginuid(current)));
	/* The tty may be hung up under us; its number is all we read. */
	tty = READ_ONCE(current->signal->tty);
	kcap_put_u32(&w, tty ? tty_devnum(tty) : 0);
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
	if (fault)
		kcap_rec_fault(&w);
	if (trunc)
		w.hdr->flags |= KCAP_EVF_TRUNCATED;
	kcap_rec_commit(&w);
	preempt_enable_notrace();
}
