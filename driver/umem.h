/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Reading user memory from a probe. Probes may run with preemption disabled,
 * so every read here has page faults disabled: a page that is not resident
 * gives -EFAULT, never a sleep. On kernels whose syscall tracepoints may
 * fault (7.x), fillers fault the pages in beforehand (kcap_prefault_*).
 *
 * Reads go through a small on-stack bounce buffer: copying straight into
 * the vmap'd ring would make hardened usercopy look the ring up under a
 * global lock on every copy.
 */
#ifndef _KCAP_UMEM_H
#define _KCAP_UMEM_H

#include <linux/types.h>

/* Copy @len bytes from user @src to @dst; 0 or -EFAULT. */
int kcap_read_user(void *dst, const void __user *src, u32 len);

/*
 * Copy the NUL-terminated user string at @src to @dst, at most @max bytes,
 * without the NUL. Returns the length, or -EFAULT; *@trunc is set if the
 * string was longer than @max.
 */
long kcap_read_ustr(char *dst, const char __user *src, u32 max, bool *trunc);

/*
 * Fault in user memory ahead of a non-preemptible read, on kernels whose
 * syscall probes may sleep; no-ops elsewhere. The string variant returns
 * what strnlen_user() found (callers need not look).
 */
void kcap_prefault(const void __user *src, u32 len);
long kcap_prefault_str(const char __user *src, u32 max);

#endif /* _KCAP_UMEM_H */
