// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Syscall tracepoints became faultable (7.x): probes run preemptible and may
 * take page faults, so fillers fault user memory in before the ring section.
 */
#include <linux/tracepoint.h>

#ifndef TRACE_EVENT_SYSCALL
#error "syscall tracepoints are not faultable on this kernel"
#endif

int kcap_feature(void);
int kcap_feature(void)
{
	return 0;
}
