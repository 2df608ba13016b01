// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Tracepoint probes and the records they write.
 *
 * Every probe tests interest first (a bitmap for syscalls), then disables
 * preemption itself: up to 6.12 probes already run non-preemptible, but on
 * 7.2 the syscall tracepoints are faultable and the others run under SRCU,
 * both preemptible, and the ring of this CPU must have one writer at a time.
 */
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <linux/binfmts.h>
#include <linux/preempt.h>
#include <linux/timekeeping.h>
#include <linux/string.h>
#include <linux/rcupdate.h>
#include <asm/syscall.h>
#include <asm/unistd.h>
#ifdef CONFIG_IA32_EMULATION
#include <asm/unistd_32_ia32.h>
#endif

#include "kcap.h"
#include "compat.h"
#include "ring.h"
#include "record.h"
#include "fill.h"
#include "syscall_arity.h"

/* The reader's own events would feed back into its rings: none of them. */
static inline bool kcap_skip_task(const struct kcap_session *s)
{
	return current->tgid == s->reader_tgid;
}

static inline bool kcap_syscall_wanted(const unsigned long *bits, long nr)
{
	return nr >= 0 && nr < KCAP_SYSCALL_MAX && test_bit(nr, bits);
}

/* Arguments syscall @nr takes (syscall_arity.h); all six if unknown. */
static __always_inline unsigned int kcap_arity(long nr, bool compat)
{
#ifdef CONFIG_IA32_EMULATION
	if (compat)
		return (unsigned long)nr < ARRAY_SIZE(kcap_arity_32) ?
		       kcap_arity_32[nr] : 6;
#endif
	return (unsigned long)nr < ARRAY_SIZE(kcap_arity_64) ? kcap_arity_64[nr] : 6;
}

/*
 * A generic syscall record (ABI 3): the number, the arguments the syscall
 * takes, then at exit the result, each number in the fewest bytes that
 * sign-extend back to it (0 bytes for 0). Room for eight full numbers is
 * reserved; the record is committed at the length written.
 */
static void kcap_write_syscall(struct kcap_session *s, struct pt_regs *regs,
			       long nr, long ret, bool enter, bool compat)
{
	const unsigned int nargs = kcap_arity(nr, compat);
	const u16 np = 1 + nargs + !enter;
	const u32 len = KCAP_REC_LEN(np, np * sizeof(u64));
	unsigned long args[6] kcap_noinit;	/* all six set below */
	struct kcap_rec w kcap_noinit;	/* set by kcap_rec_begin() */
	unsigned int i;

	BUILD_BUG_ON(sizeof(args[0]) != sizeof(u64));
	syscall_get_arguments(current, regs, args);

	preempt_disable_notrace();
	if (kcap_rec_begin(&w, s, enter ? KCAP_EVT_SYSCALL_ENTER :
			   KCAP_EVT_SYSCALL, np, len, false)) {
		if (compat)
			w.hdr->flags |= KCAP_EVF_COMPAT;
		if (enter)
			w.hdr->flags |= KCAP_EVF_ENTER;
		kcap_rec_put_sint(&w, nr);
		for (i = 0; i < nargs; i++)
			kcap_rec_put_sint(&w, args[i]);
		if (!enter)
			kcap_rec_put_sint(&w, ret);
		kcap_rec_commit(&w);
	}
	preempt_enable_notrace();
}

/* execve or execveat, by either ABI: the calls the exec probe needs noted. */
static __always_inline bool kcap_exec_nr(long id, bool compat)
{
#ifdef CONFIG_IA32_EMULATION
	if (compat)
		return id == __NR_ia32_execve || id == __NR_ia32_execveat;
#endif
	return id == __NR_execve || id == __NR_execveat;
}

/*
 * The probes walk their tracepoint's set of sessions (tracepoints.c); the
 * set is read inside the tracepoint's read-side section, whose flavour
 * (RCU, SRCU, tasks-trace) depends on the kernel and the tracepoint: hence
 * the raw read.
 */
#define kcap_for_each_session(tp, s, set, i)                                 \
	for (set = rcu_dereference_raw(kcap_tp_sets[tp]), i = 0;              \
	     i < set->n && ((s = set->s[i]), true); i++)

static __always_inline void kcap_sys_enter(struct kcap_session *s,
					   struct pt_regs *regs, long id,
					   bool compat)
{
	if (unlikely(s->exec_track && kcap_exec_nr(id, compat))) {
		unsigned long args[6];

		syscall_get_arguments(current, regs, args);
		kcap_exec_enter(s, id, compat, args);
	}
	if (!s->enter_any)
		return;
	/* ia32 numbers are another table: their own bits select them. */
	if (compat ? !(s->interest_flags & KCAP_INTEREST_IA32_ENTER) ||
		     !kcap_syscall_wanted(s->ia32_bits, id) :
		     !kcap_syscall_wanted(s->enter_bits, id))
		return;
	if (kcap_skip_task(s))
		return;
	kcap_write_syscall(s, regs, id, 0, true, compat);
}

void kcap_probe_sys_enter(void *data, struct pt_regs *regs, long id)
{
	const struct kcap_tp_set *set;
	bool compat = in_ia32_syscall();
	struct kcap_session *s;
	unsigned int i;

	kcap_for_each_session(KCAP_TP_SYS_ENTER, s, set, i)
		kcap_sys_enter(s, regs, id, compat);
}

/* A selected syscall with an event type of its own (not generic). */
static __always_inline void kcap_sys_exit_decoded(struct kcap_session *s,
						  struct pt_regs *regs,
						  long ret, bool compat,
						  u16 type)
{
	struct kcap_exec_mark m kcap_noinit;	/* written by kcap_exec_take() */
	struct kcap_sc c kcap_noinit;	/* every field set below */

	syscall_get_arguments(current, regs, c.args);
	c.ret = ret;
	c.snaplen = s->snaplen;
	c.compat = compat;
	c.exec_args = true;
	if (type == KCAP_EVT_EXECVE || type == KCAP_EVT_EXECVEAT) {
		/* A successful exec was written by kcap_probe_exec(), with
		 * the new image's argv; the registers now belong to it. A
		 * failed one gives its note back here.
		 */
		if (s->exec_track)
			kcap_exec_take(s, &m);
		if (ret != 0)
			kcap_fill_exec(s, &c, type, NULL);
		return;
	}
	kcap_fill_syscall(s, &c, type);
}

/*
 * Kernels built with CONFIG_INIT_STACK_ALL_ZERO (Debian's) zero locals
 * where they are declared: the decoded path's live in its own function,
 * so neither a syscall no session selects nor a generic record pays for
 * them.
 */
static __always_inline void kcap_sys_exit(struct kcap_session *s,
					  struct pt_regs *regs, long nr,
					  long ret, bool compat)
{
	u16 type;

	/* emulated: not a syscall the kernel ran (compat.h) */
	if (!kcap_syscall_wanted(compat ? s->ia32_bits : s->exit_bits, nr) ||
	    kcap_skip_task(s) || unlikely(kcap_syscall_emulated()))
		return;
	type = kcap_syscall_event(nr, compat);
	if (!type)
		kcap_write_syscall(s, regs, nr, ret, false, compat);
	else
		kcap_sys_exit_decoded(s, regs, ret, compat, type);
}

void kcap_probe_sys_exit(void *data, struct pt_regs *regs, long ret)
{
	long nr = syscall_get_nr(current, regs);
	const struct kcap_tp_set *set;
	bool compat = in_ia32_syscall();
	struct kcap_session *s;
	unsigned int i;

	kcap_for_each_session(KCAP_TP_SYS_EXIT, s, set, i)
		kcap_sys_exit(s, regs, nr, ret, compat);
}

/* Runs in the parent, after the child is set up but before it runs. */
static void kcap_task_fork(struct kcap_session *s, struct task_struct *child)
{
	/* comm is a fixed array the task may rewrite: bounded copy. */
	u16 cl = strnlen(child->comm, TASK_COMM_LEN);
	u32 child_tid = child->pid, child_pid = child->tgid;
	struct kcap_rec w;

	if (kcap_skip_task(s))
		return;
	preempt_disable_notrace();
	if (kcap_rec_begin(&w, s, KCAP_EVT_PROC_FORK, 3,
			   KCAP_REC_LEN(3, 2 * sizeof(u32) + cl), true)) {
		kcap_rec_put(&w, &child_tid, sizeof(u32));
		kcap_rec_put(&w, &child_pid, sizeof(u32));
		kcap_rec_put(&w, child->comm, cl);
		kcap_rec_commit(&w);
	}
	preempt_enable_notrace();
}

void kcap_probe_fork(void *data, struct task_struct *parent,
		     struct task_struct *child)
{
	const struct kcap_tp_set *set;
	struct kcap_session *s;
	unsigned int i;

	kcap_for_each_session(KCAP_TP_FORK, s, set, i)
		kcap_task_fork(s, child);
}

/*
 * The decoded exec event this exec becomes (0 if not selected), from the
 * note its syscall entry left. Without one (an exec the kernel started, or
 * one entered before the capture) the registers are all there is: the ELF
 * loader has rewritten them to say execve, of the new image's ABI.
 */
static u16 kcap_exec_event(struct kcap_session *s, struct kcap_sc *c)
{
	struct kcap_exec_mark m;
	u16 type;

	memset(c->args, 0, sizeof(c->args));
	if (s->exec_track && kcap_exec_take(s, &m)) {
		c->compat = m.compat;
		c->args[0] = m.dirfd;
		c->args[4] = m.flags;
		c->exec_args = true;
	} else {
		m.nr = syscall_get_nr(current, task_pt_regs(current));
		c->compat = in_ia32_syscall();
		c->exec_args = false;
	}
	type = kcap_syscall_event(m.nr, c->compat);
	if (type != KCAP_EVT_EXECVE && type != KCAP_EVT_EXECVEAT)
		return 0;
	return kcap_syscall_wanted(c->compat ? s->ia32_bits : s->exit_bits,
				   m.nr) ? type : 0;
}

/*
 * Runs in the task after a successful exec, with the new image's comm and
 * mm. Writes the rich execve/execveat event when that syscall is selected,
 * otherwise the lifecycle proc_exec event.
 */
static void kcap_task_exec(struct kcap_session *s, struct task_struct *p,
			   pid_t old_pid, struct linux_binprm *bprm)
{
	struct kcap_sc c = { .snaplen = s->snaplen };
	u16 fl, cl, type;
	u32 old_tid = old_pid;
	struct kcap_rec w;

	/* Taken even for the reader, so that its note is given back. */
	type = kcap_exec_event(s, &c);
	if (kcap_skip_task(s))
		return;
	if (type) {
		kcap_fill_exec(s, &c, type, bprm);
		return;
	}
	if (!(s->interest_flags & KCAP_INTEREST_LIFECYCLE))
		return;
	fl = strnlen(bprm->filename, KCAP_SNAPLEN_MAX);
	cl = strnlen(p->comm, TASK_COMM_LEN);
	preempt_disable_notrace();
	if (kcap_rec_begin(&w, s, KCAP_EVT_PROC_EXEC, 3,
			   KCAP_REC_LEN(3, fl + sizeof(u32) + cl), true)) {
		kcap_rec_put(&w, bprm->filename, fl);
		kcap_rec_put(&w, &old_tid, sizeof(u32));
		kcap_rec_put(&w, p->comm, cl);
		kcap_rec_commit(&w);
	}
	preempt_enable_notrace();
}

void kcap_probe_exec(void *data, struct task_struct *p, pid_t old_pid,
		     struct linux_binprm *bprm)
{
	const struct kcap_tp_set *set;
	struct kcap_session *s;
	unsigned int i;

	kcap_for_each_session(KCAP_TP_EXEC, s, set, i)
		kcap_task_exec(s, p, old_pid, bprm);
}

/* Runs in the exiting task; exit_code is already set by do_exit(). */
static void kcap_task_exit(struct kcap_session *s, struct task_struct *p)
{
	u16 cl = strnlen(p->comm, TASK_COMM_LEN);
	s32 code = p->exit_code;
	struct kcap_rec w;

	if (s->exec_track)
		kcap_exec_forget(s, p);
	if (!(s->interest_flags & KCAP_INTEREST_LIFECYCLE) || kcap_skip_task(s))
		return;
	preempt_disable_notrace();
	if (kcap_rec_begin(&w, s, KCAP_EVT_PROC_EXIT, 2,
			   KCAP_REC_LEN(2, sizeof(s32) + cl), true)) {
		kcap_rec_put(&w, &code, sizeof(s32));
		kcap_rec_put(&w, p->comm, cl);
		kcap_rec_commit(&w);
	}
	preempt_enable_notrace();
}

#ifdef KCAP_HAS_SCHED_EXIT_GROUP_DEAD
void kcap_probe_exit(void *data, struct task_struct *p, bool group_dead)
#else
void kcap_probe_exit(void *data, struct task_struct *p)
#endif
{
	const struct kcap_tp_set *set;
	struct kcap_session *s;
	unsigned int i;

	kcap_for_each_session(KCAP_TP_EXIT, s, set, i)
		kcap_task_exit(s, p);
}
