// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The tracepoints kcap hooks: found by name at load, a session's probes
 * registered for what its interest needs and unregistered before it goes.
 */
#include <linux/tracepoint.h>
#include <linux/string.h>
#include <linux/binfmts.h>
#include <trace/events/sched.h>
#include <trace/events/syscalls.h>

#include "kcap.h"
#include "fill.h"

enum kcap_tp {
	KCAP_TP_SYS_ENTER,
	KCAP_TP_SYS_EXIT,
	KCAP_TP_FORK,
	KCAP_TP_EXEC,
	KCAP_TP_EXIT,
	KCAP_TP_NR
};

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

/* Register the probes the session's interest needs; all or nothing. */
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
	int i, ret;

	for (i = 0; i < KCAP_TP_NR; i++) {
		if (!want[i])
			continue;
		/* The session is the probe's data: probes read no globals. */
		ret = tracepoint_probe_register(kcap_tps[i], kcap_tp_probes[i], s);
		if (ret) {
			kcap_probes_unregister(s);
			return ret;
		}
		__set_bit(i, &s->registered);
	}
	return 0;
}

/* Unregister and wait until no probe of this session can still run. */
void kcap_probes_unregister(struct kcap_session *s)
{
	int i, ret;

	if (!s->registered)
		return;
	/*
	 * A failure here (on 5.10 an allocation failure under memory
	 * pressure) is logged, not WARNed: a stop must never be a crash
	 * under panic_on_warn.
	 */
	for (i = 0; i < KCAP_TP_NR; i++) {
		if (!__test_and_clear_bit(i, &s->registered))
			continue;
		ret = tracepoint_probe_unregister(kcap_tps[i], kcap_tp_probes[i], s);
		if (ret)
			pr_err_ratelimited(KCAP_MODNAME ": unregistering the %s probe: %d\n",
					   kcap_tp_names[i], ret);
	}
	tracepoint_synchronize_unregister();
}

/* Finds every tracepoint kcap hooks; -ENOENT (and a log line) if one is missing. */
int kcap_tracepoints_init(void)
{
	int i;

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
