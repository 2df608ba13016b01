/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* The fillers of decoded events: fill.c (generic), fill_exec.c (exec). */
#ifndef _KCAP_FILL_H
#define _KCAP_FILL_H

#include <linux/limits.h>

#include "kcap.h"
#include "record.h"

#define KCAP_PATH_MAX PATH_MAX		/* bytes of a path parameter */
#define KCAP_ARGV_MAX 4096		/* bytes of an exec's argv */

/* A syscall at exit, as the fillers see it. */
struct kcap_sc {
	unsigned long args[6];
	long ret;
	u32 snaplen;
	bool compat;		/* ia32 syscall */
	bool exec_args;		/* exec: args[] hold the call's arguments */
};

/* Whether syscall probes may fault (and sleep) on this kernel. */
static inline bool kcap_tp_may_fault(void)
{
#ifdef KCAP_HAS_FAULTABLE_SYSCALL_TP
	return true;
#else
	return false;
#endif
}

void kcap_fill_syscall(struct kcap_session *s, struct kcap_sc *c, u16 type);
/* Marks the event table rows the filler writes the short way (init). */
void kcap_fill_init(void);
u32 kcap_put_fd_path(struct kcap_rec *w, long fd);

/* fill_kobj.c: parameters from the kernel's objects (ABI 2.2). */
struct file;
u32 kcap_put_sock_addr(struct kcap_rec *w, long fd, bool peer);
u64 kcap_cred_cap(unsigned int which);
struct kcap_exe_info {
	u64 ino;
	u64 ctime;		/* ns since the epoch */
	u64 mtime;
	u32 flags;		/* KCAP_EXE_* */
};
void kcap_exe_info(struct file *exe, struct kcap_exe_info *x);

/* path.c */
struct path;
struct fs_struct;
/*
 * The path of @path into @buf (not NUL-terminated): its length, or a
 * negative errno; d_path() but on PREEMPT_RT (see path.c).
 */
int kcap_path(const struct path *path, char *buf, int len);
/* @fs's pwd and/or root without fs->lock (may be NULL); false if busy. */
bool kcap_fs_get(struct fs_struct *fs, struct path *pwd, struct path *root);
void kcap_path_init(void);

/* Exec: @bprm is set when called from sched_process_exec (success). */
struct linux_binprm;
void kcap_fill_exec(struct kcap_session *s, struct kcap_sc *c, u16 type,
		    struct linux_binprm *bprm);

/* syscall_map.c: decoded event type of a syscall, 0 if none. */
void kcap_syscall_map_init(void);
extern u8 kcap_type_x64[KCAP_SYSCALL_MAX];
extern u8 kcap_type_ia32[KCAP_SYSCALL_MAX];

/* Inline: every selected syscall asks, in the probe. */
static inline u16 kcap_syscall_event(long nr, bool compat)
{
	if (nr < 0 || nr >= KCAP_SYSCALL_MAX)
		return 0;
	return compat ? kcap_type_ia32[nr] : kcap_type_x64[nr];
}

#endif /* _KCAP_FILL_H */
