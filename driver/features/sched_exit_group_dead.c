// SPDX-License-Identifier: GPL-2.0 OR MIT
/* sched_process_exit gained a "bool group_dead" argument (7.x). */
#include <linux/mm.h>
#include <linux/sched.h>
#include <trace/events/sched.h>

static void probe(void *data, struct task_struct *p, bool group_dead)
{
}

int kcap_feature(void);
int kcap_feature(void)
{
	return register_trace_sched_process_exit(probe, NULL);
}
