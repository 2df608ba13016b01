// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Which exec syscall a task is in, from its entry to its outcome.
 *
 * By the time sched_process_exec fires, the ELF loader has rewritten the
 * task's registers for the new image: orig_ax reads __NR_execve (or the
 * ia32 execve) whatever the caller used, and the arguments are zeroed. So
 * the sys_enter probe notes the call (number, ABI, execveat's dirfd and
 * flags) in a small per-session table keyed by task, and the exec probe
 * (success) or the sys_exit probe (failure) takes the note back. The exit
 * probe forgets the note of a task that dies in between, so no note
 * outlives its task and a reused task_struct never finds a stale one.
 *
 * A note is claimed with cmpxchg() on its task pointer and then touched by
 * its owner only, so the table needs no lock; probes may run on any CPU.
 */
#include <linux/hash.h>
#include <linux/sched.h>
#include <linux/atomic.h>
#include <linux/string.h>

#include "kcap.h"

#define KCAP_EXEC_WAYS 8	/* slots probed per task */

static struct kcap_exec_mark *kcap_exec_find(struct kcap_session *s,
					     struct task_struct *t)
{
	u32 h = hash_ptr(t, KCAP_EXEC_MARK_BITS);
	unsigned int i;

	for (i = 0; i < KCAP_EXEC_WAYS; i++) {
		struct kcap_exec_mark *m =
			&s->exec_marks[(h + i) & (KCAP_EXEC_MARKS - 1)];

		if (READ_ONCE(m->task) == t)
			return m;
	}
	return NULL;
}

/* Note that current enters exec syscall @nr with @args. */
void kcap_exec_enter(struct kcap_session *s, long nr, bool compat,
		     const unsigned long *args)
{
	struct task_struct *t = current;
	struct kcap_exec_mark *m = kcap_exec_find(s, t);
	u32 h = hash_ptr(t, KCAP_EXEC_MARK_BITS);
	unsigned int i;

	for (i = 0; !m && i < KCAP_EXEC_WAYS; i++) {
		struct kcap_exec_mark *c =
			&s->exec_marks[(h + i) & (KCAP_EXEC_MARKS - 1)];

		/* Claim a free slot; pairs with the release in take/forget. */
		if (!READ_ONCE(c->task) && !cmpxchg(&c->task, NULL, t))
			m = c;
	}
	if (!m) {
		/* Eight execs in flight on one hash chain: the exec probe
		 * falls back to the registers. Counted, never silent.
		 */
		atomic_long_inc(&s->exec_marks_full);
		return;
	}
	m->nr = nr;
	m->compat = compat;
	m->dirfd = (int)args[0];
	m->flags = args[4];
}

/* Take current's note back; false if there is none. */
bool kcap_exec_take(struct kcap_session *s, struct kcap_exec_mark *out)
{
	struct kcap_exec_mark *m = kcap_exec_find(s, current);

	if (!m)
		return false;
	out->nr = m->nr;
	out->compat = m->compat;
	out->dirfd = m->dirfd;
	out->flags = m->flags;
	/* Fields read before the slot is given away; pairs with the
	 * cmpxchg() claim in kcap_exec_enter().
	 */
	smp_store_release(&m->task, NULL);
	return true;
}

/* Drop the note of @t, which is exiting. */
void kcap_exec_forget(struct kcap_session *s, struct task_struct *t)
{
	struct kcap_exec_mark *m = kcap_exec_find(s, t);

	if (!m)
		return;
	/* Pairs with the cmpxchg() claim in kcap_exec_enter(). */
	smp_store_release(&m->task, NULL);
}
