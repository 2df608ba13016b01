// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The tracepoints kcap hooks: found by name at load. Each has one probe
 * for all sessions, registered while some session needs it: the probe
 * walks the tracepoint's set of sessions, so a session adds a bitmap test
 * to the syscalls it does not select, not a second probe call (the
 * tracepoint's call, the probe's prologue, the syscall number and ABI
 * looked up again).
 */
#include <linux/tracepoint.h>
#include <linux/string.h>
#include <linux/mutex.h>
#include <linux/delay.h>
#include <linux/rcupdate.h>
#include <linux/binfmts.h>
#include <trace/events/sched.h>
#include <trace/events/syscalls.h>

#include "kcap.h"
#include "fill.h"

static const char *const kcap_tp_names[KCAP_TP_NR] = {
	[KCAP_TP_SYS_ENTER] = "sys_enter",
	[KCAP_TP_SYS_EXIT] = "sys_exit",
	[KCAP_TP_FORK] = "sched_process_fork",
	[KCAP_TP_EXEC] = "sched_process_exec",
	[KCAP_TP_EXIT] = "sched_process_exit",
};

static void *const kcap_tp_probes[KCAP_TP_NR] = {
	[KCAP_TP_SYS_ENTER] = (void *)kcap_probe_sys_enter,
	[KCAP_TP_SYS_EXIT] = (void *)kcap_probe_sys_exit,
	[KCAP_TP_FORK] = (void *)kcap_probe_fork,
	[KCAP_TP_EXEC] = (void *)kcap_probe_exec,
	[KCAP_TP_EXIT] = (void *)kcap_probe_exit,
};

static struct tracepoint *kcap_tps[KCAP_TP_NR];

/*
 * Each tracepoint's published set and its two buffers. Every change builds
 * the unpublished buffer, publishes it and, before kcap_tp_lock is let go,
 * waits until no probe can still read the old one
 * (tracepoint_synchronize_unregister(): the probes read the set inside the
 * tracepoint's own read-side section, whichever flavour the kernel uses).
 * So the next change may rewrite it, and a session left out of a set is
 * out of reach of every probe when its stop returns.
 */
static struct kcap_tp_set kcap_tp_bufs[KCAP_TP_NR][2];
struct kcap_tp_set __rcu *kcap_tp_sets[KCAP_TP_NR];
static DEFINE_MUTEX(kcap_tp_lock);
static unsigned long kcap_tp_on;	/* bit per tracepoint: probe registered */

/*
 * Never called: fails the build if a probe's prototype stops matching its
 * tracepoint (the registration below goes through void *), so a feature
 * probe that misfires cannot produce a module that calls probes wrongly.
 */
static inline int __maybe_unused kcap_probe_typecheck(void)
{
	return register_trace_sys_enter(kcap_probe_sys_enter, NULL) |
	       register_trace_sys_exit(kcap_probe_sys_exit, NULL) |
	       register_trace_sched_process_fork(kcap_probe_fork, NULL) |
	       register_trace_sched_process_exec(kcap_probe_exec, NULL) |
	       register_trace_sched_process_exit(kcap_probe_exit, NULL);
}

static void kcap_tp_lookup(struct tracepoint *tp, void *priv)
{
	int i;

	for (i = 0; i < KCAP_TP_NR; i++)
		if (!strcmp(tp->name, kcap_tp_names[i]))
			kcap_tps[i] = tp;
}

static struct kcap_tp_set *kcap_tp_cur(int tp)
{
	return rcu_dereference_protected(kcap_tp_sets[tp],
					 lockdep_is_held(&kcap_tp_lock));
}

/* Publishes tp's set with s added or taken out (if there). */
static void kcap_tp_update(int tp, struct kcap_session *s, bool add)
{
	struct kcap_tp_set *cur = kcap_tp_cur(tp);
	struct kcap_tp_set *next = &kcap_tp_bufs[tp][cur == &kcap_tp_bufs[tp][0]];
	unsigned int i;

	next->n = 0;
	for (i = 0; i < cur->n; i++)
		if (cur->s[i] != s)
			next->s[next->n++] = cur->s[i];
	if (add && next->n < KCAP_SESSIONS_MAX)
		next->s[next->n++] = s;
	rcu_assign_pointer(kcap_tp_sets[tp], next);
}

/*
 * Unregisters the probe of a tracepoint no session needs. A failure (on
 * 5.10 an allocation failure under memory pressure) is logged, not WARNed:
 * a stop must never be a crash under panic_on_warn. The probe then stays,
 * walking an empty set, until a later stop or the module's exit retries.
 */
static void kcap_tp_release(int tp)
{
	int ret;

	if (!test_bit(tp, &kcap_tp_on) || kcap_tp_cur(tp)->n)
		return;
	ret = tracepoint_probe_unregister(kcap_tps[tp], kcap_tp_probes[tp], NULL);
	if (ret)
		pr_err_ratelimited(KCAP_MODNAME ": unregistering the %s probe: %d\n",
				   kcap_tp_names[tp], ret);
	else
		__clear_bit(tp, &kcap_tp_on);
}

/* Takes s out of its sets; the caller waits for the probes. */
static void kcap_probes_remove(struct kcap_session *s)
{
	int i;

	for (i = 0; i < KCAP_TP_NR; i++) {
		if (!__test_and_clear_bit(i, &s->registered))
			continue;
		kcap_tp_update(i, s, false);
		kcap_tp_release(i);
	}
}

/* Puts the session in the sets its interest needs; all or nothing. */
int kcap_probes_register(struct kcap_session *s)
{
	bool want[KCAP_TP_NR] = {
		[KCAP_TP_SYS_ENTER] = s->enter_any || s->exec_track,
		[KCAP_TP_SYS_EXIT] = true,
		[KCAP_TP_FORK] = s->interest_flags & KCAP_INTEREST_LIFECYCLE,
		/* A selected exec syscall needs them whatever the flags: see
		 * exec_mark.c.
		 */
		[KCAP_TP_EXEC] = (s->interest_flags & KCAP_INTEREST_LIFECYCLE) ||
				 s->exec_track,
		[KCAP_TP_EXIT] = (s->interest_flags & KCAP_INTEREST_LIFECYCLE) ||
				 s->exec_track,
	};
	int i, ret = 0;

	mutex_lock(&kcap_tp_lock);
	for (i = 0; i < KCAP_TP_NR; i++) {
		if (!want[i])
			continue;
		/* Never more sessions than a set holds: max_sessions caps it. */
		if (kcap_tp_cur(i)->n >= KCAP_SESSIONS_MAX) {
			ret = -EBUSY;
			break;
		}
		if (!test_bit(i, &kcap_tp_on)) {
			ret = tracepoint_probe_register(kcap_tps[i],
							kcap_tp_probes[i], NULL);
			if (ret)
				break;
			__set_bit(i, &kcap_tp_on);
		}
		kcap_tp_update(i, s, true);
		__set_bit(i, &s->registered);
	}
	tracepoint_synchronize_unregister();
	if (ret) {
		kcap_probes_remove(s);
		tracepoint_synchronize_unregister();
	}
	mutex_unlock(&kcap_tp_lock);
	return ret;
}

/* Takes the session out and waits until no probe can still write for it. */
void kcap_probes_unregister(struct kcap_session *s)
{
	if (!s->registered)
		return;
	mutex_lock(&kcap_tp_lock);
	kcap_probes_remove(s);
	tracepoint_synchronize_unregister();
	mutex_unlock(&kcap_tp_lock);
}

/* Finds every tracepoint kcap hooks; -ENOENT (and a log line) if one is missing. */
int kcap_tracepoints_init(void)
{
	int i;

	for (i = 0; i < KCAP_TP_NR; i++)
		RCU_INIT_POINTER(kcap_tp_sets[i], &kcap_tp_bufs[i][0]);
	for_each_kernel_tracepoint(kcap_tp_lookup, NULL);
	for (i = 0; i < KCAP_TP_NR; i++) {
		if (!kcap_tps[i]) {
			pr_err(KCAP_MODNAME ": tracepoint %s not found\n",
			       kcap_tp_names[i]);
			return -ENOENT;
		}
	}
	return 0;
}

/*
 * At module exit no session is left; a probe whose unregistering failed
 * at a stop must go now, before its code does.
 */
void kcap_tracepoints_exit(void)
{
	int i, tries;

	mutex_lock(&kcap_tp_lock);
	for (i = 0; i < KCAP_TP_NR; i++)
		for (tries = 0; tries < 100 && test_bit(i, &kcap_tp_on); tries++) {
			kcap_tp_release(i);
			if (test_bit(i, &kcap_tp_on))
				msleep(20);
		}
	tracepoint_synchronize_unregister();
	mutex_unlock(&kcap_tp_lock);
}
