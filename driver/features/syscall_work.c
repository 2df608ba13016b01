// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The syscall work flags moved from TIF_* to thread_info.syscall_work and
 * SYSCALL_WORK_* (5.11, the generic entry code).
 */
#include <linux/thread_info.h>

bool kcap_feature(void);
bool kcap_feature(void)
{
	return test_syscall_work(SYSCALL_EMU);
}
