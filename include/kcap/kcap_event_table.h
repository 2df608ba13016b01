/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The event table: event type -> name, flags, parameter names and types.
 * Compiled by the driver (to size records) and by libkcap (to decode them);
 * include it from exactly one file on each side.
 */
#ifndef _KCAP_EVENT_TABLE_H
#define _KCAP_EVENT_TABLE_H

#include "kcap_events.h"

#define KCAP_P(n, t, f) { .name = (n), .type = KCAP_PT_##t, .fmt = KCAP_PF_##f }
/*
 * A syscall has six arguments: an index past them fails the build (a
 * negative array size), here and for aux where aux names an argument
 * (every source but UMEM64, whose aux is an offset in the struct).
 */
#define KCAP_ARGIDX(a, ok) ((a) + 0 * sizeof(char[(ok) ? 1 : -1]))
/* A parameter with its source: see enum kcap_param_src. */
#define KCAP_PS(n, t, f, s, a, x) { .name = (n), .type = KCAP_PT_##t, \
	.fmt = KCAP_PF_##f, .src = KCAP_SRC_##s, \
	.arg = KCAP_ARGIDX(a, (a) < 6), \
	.aux = KCAP_ARGIDX(x, KCAP_SRC_##s == KCAP_SRC_UMEM64 || (x) < 6) }
#define KCAP_R(t)		KCAP_PS("res", t, DEC, RES, 0, 0)
#define KCAP_A(n, t, f, a)	KCAP_PS(n, t, f, ARG, a, 0)
#define KCAP_S(n, t, a)		KCAP_PS(n, t, DEC, USTR, a, 0)
#define KCAP_M(n, t, f, a, x)	KCAP_PS(n, t, f, UMEM64, a, x)
#define KCAP_F(n, a)		KCAP_PS(n, PATH, DEC, FDPATH, a, 0)
#define KCAP_FR(n)		KCAP_PS(n, PATH, DEC, FDPATH_RES, 0, 0)
#define KCAP_C(n, t, f)		KCAP_PS(n, t, f, CUSTOM, 0, 0)
#define KCAP_EDF_LIFE	(KCAP_EDF_LIFECYCLE | KCAP_EDF_PROTECTED)
#define KCAP_EDF_PROT	KCAP_EDF_PROTECTED
/* A decoded syscall row; nparams is counted from the list. */
#define KCAP_SYS(T, n, fl, ...) [KCAP_EVT_##T] = { .name = (n), \
	.flags = KCAP_EDF_SYSCALL | KCAP_EDF_DECODED | KCAP_EDF_##fl, \
	.nparams = sizeof((struct kcap_param_desc[]){ __VA_ARGS__ }) / \
		   sizeof(struct kcap_param_desc), \
	.params = { __VA_ARGS__ } }
#define KCAP_EDF_0	0
/* The thread's capability sets after the call (ABI 2.2). */
#define KCAP_CAPS \
	KCAP_PS("cap_inheritable", U64, HEX, CREDCAP, 0, 0), \
	KCAP_PS("cap_permitted", U64, HEX, CREDCAP, 0, 1), \
	KCAP_PS("cap_effective", U64, HEX, CREDCAP, 0, 2)
/*
 * The exec parameters ABI 2.2 appended: the environment (like argv), the
 * new credentials' capabilities, the executable's inode (number, ctime and
 * mtime in ns since the epoch, KCAP_EXE_* flags), the session and process
 * group ids in the process's pid namespace (as vpid).
 */
#define KCAP_EXEC_2_2 \
	KCAP_C("env", STRARRAY, DEC), \
	KCAP_C("cap_inheritable", U64, HEX), KCAP_C("cap_permitted", U64, HEX), \
	KCAP_C("cap_effective", U64, HEX), KCAP_C("exe_ino", U64, DEC), \
	KCAP_C("exe_ctime", U64, DEC), KCAP_C("exe_mtime", U64, DEC), \
	KCAP_C("exe_flags", U32, HEX), KCAP_C("sid", PID, DEC), \
	KCAP_C("vpgid", PID, DEC)
/* The local and peer addresses of a socket, from the kernel (ABI 2.2). */
#define KCAP_SOCK(fdarg, res) \
	KCAP_PS("local", SOCKADDR, DEC, SOCK_LOCAL, fdarg, res), \
	KCAP_PS("peer", SOCKADDR, DEC, SOCK_PEER, fdarg, res)

static const struct kcap_event_desc kcap_event_table[KCAP_EVT_NR] = {
	[KCAP_EVT_INVALID] = { .name = "invalid" },
	[KCAP_EVT_DROP] = {
		.name = "drop",
		.flags = KCAP_EDF_MARKER | KCAP_EDF_PROTECTED,
		.nparams = 2,
		.params = {
			KCAP_P("lost_bulk", U64, DEC),
			KCAP_P("lost_protected", U64, DEC),
		},
	},
	/*
	 * ABI 3: a record carries nr, the arguments the syscall takes (0 to
	 * 6, so nparams is 2..8 here, 1..7 for the entry side), then res;
	 * every number in 0 to 8 bytes, sign-extended (docs/abi.md).
	 */
	[KCAP_EVT_SYSCALL] = {
		.name = "syscall",
		.flags = KCAP_EDF_SYSCALL,
		.nparams = 8,
		.params = {
			KCAP_P("nr", SYSCALL_NR, DEC),
			KCAP_P("a0", U64, HEX),
			KCAP_P("a1", U64, HEX),
			KCAP_P("a2", U64, HEX),
			KCAP_P("a3", U64, HEX),
			KCAP_P("a4", U64, HEX),
			KCAP_P("a5", U64, HEX),
			KCAP_P("res", ERRNO, DEC),
		},
	},
	[KCAP_EVT_SYSCALL_ENTER] = {
		.name = "syscall_enter",
		.flags = KCAP_EDF_SYSCALL,
		.nparams = 7,
		.params = {
			KCAP_P("nr", SYSCALL_NR, DEC),
			KCAP_P("a0", U64, HEX),
			KCAP_P("a1", U64, HEX),
			KCAP_P("a2", U64, HEX),
			KCAP_P("a3", U64, HEX),
			KCAP_P("a4", U64, HEX),
			KCAP_P("a5", U64, HEX),
		},
	},
	[KCAP_EVT_PROC_FORK] = {
		.name = "proc_fork",
		.flags = KCAP_EDF_LIFECYCLE | KCAP_EDF_PROTECTED,
		.nparams = 3,
		.params = {
			KCAP_P("child_tid", PID, DEC),
			KCAP_P("child_pid", PID, DEC),
			KCAP_P("comm", STR, DEC),
		},
	},
	[KCAP_EVT_PROC_EXEC] = {
		.name = "proc_exec",
		.flags = KCAP_EDF_LIFECYCLE | KCAP_EDF_PROTECTED,
		.nparams = 3,
		.params = {
			KCAP_P("filename", PATH, DEC),
			KCAP_P("old_tid", PID, DEC),
			KCAP_P("comm", STR, DEC),
		},
	},
	[KCAP_EVT_PROC_EXIT] = {
		.name = "proc_exit",
		.flags = KCAP_EDF_LIFECYCLE | KCAP_EDF_PROTECTED,
		.nparams = 2,
		.params = {
			KCAP_P("code", S32, DEC),
			KCAP_P("comm", STR, DEC),
		},
	},

	/* ---- Decoded syscalls (exit side). The first param is the result. */

	/* Process. A successful exec is written from sched_process_exec (the
	 * new image's argv); a failed one from sys_exit. Custom filler. */
	KCAP_SYS(EXECVE, "execve", LIFE,
		 KCAP_R(ERRNO), KCAP_C("filename", PATH, DEC),
		 KCAP_C("argv", STRARRAY, DEC), KCAP_C("cwd", PATH, DEC),
		 KCAP_C("exe", PATH, DEC), KCAP_C("comm", STR, DEC),
		 KCAP_C("uid", UID, DEC), KCAP_C("gid", GID, DEC),
		 KCAP_C("euid", UID, DEC), KCAP_C("loginuid", UID, DEC),
		 KCAP_C("tty", U32, DEC), KCAP_C("vpid", PID, DEC),
		 KCAP_C("vtid", PID, DEC), KCAP_C("cgroup", PATH, DEC),
		 KCAP_EXEC_2_2),
	KCAP_SYS(EXECVEAT, "execveat", LIFE,
		 KCAP_R(ERRNO), KCAP_C("filename", PATH, DEC),
		 KCAP_C("argv", STRARRAY, DEC), KCAP_C("cwd", PATH, DEC),
		 KCAP_C("exe", PATH, DEC), KCAP_C("comm", STR, DEC),
		 KCAP_C("uid", UID, DEC), KCAP_C("gid", GID, DEC),
		 KCAP_C("euid", UID, DEC), KCAP_C("loginuid", UID, DEC),
		 KCAP_C("tty", U32, DEC), KCAP_C("vpid", PID, DEC),
		 KCAP_C("vtid", PID, DEC), KCAP_C("cgroup", PATH, DEC),
		 KCAP_C("dirfd", FD, DEC), KCAP_C("flags", U32, HEX),
		 KCAP_EXEC_2_2),
	/* Parent side: res is the child's tid; child side: res is 0. */
	KCAP_SYS(CLONE, "clone", LIFE, KCAP_R(ERRNO), KCAP_A("flags", U64, HEX, 0)),
	KCAP_SYS(CLONE3, "clone3", LIFE, KCAP_R(ERRNO),
		 KCAP_M("flags", U64, HEX, 0, 0), KCAP_A("size", U64, DEC, 1)),
	KCAP_SYS(FORK, "fork", LIFE, KCAP_R(ERRNO)),
	KCAP_SYS(VFORK, "vfork", LIFE, KCAP_R(ERRNO)),
	KCAP_SYS(KILL, "kill", 0, KCAP_R(ERRNO), KCAP_A("pid", S32, DEC, 0),
		 KCAP_A("sig", U32, DEC, 1)),
	KCAP_SYS(TKILL, "tkill", 0, KCAP_R(ERRNO), KCAP_A("tid", S32, DEC, 0),
		 KCAP_A("sig", U32, DEC, 1)),
	KCAP_SYS(TGKILL, "tgkill", 0, KCAP_R(ERRNO), KCAP_A("pid", S32, DEC, 0),
		 KCAP_A("tid", S32, DEC, 1), KCAP_A("sig", U32, DEC, 2)),
	KCAP_SYS(PTRACE, "ptrace", PROT, KCAP_R(ERRNO),
		 KCAP_A("request", U32, DEC, 0), KCAP_A("pid", S32, DEC, 1),
		 KCAP_A("addr", U64, HEX, 2), KCAP_A("data", U64, HEX, 3)),
	KCAP_SYS(PRCTL, "prctl", 0, KCAP_R(ERRNO), KCAP_A("option", U32, DEC, 0),
		 KCAP_A("arg2", U64, HEX, 1), KCAP_A("arg3", U64, HEX, 2)),
	KCAP_SYS(SETUID, "setuid", PROT, KCAP_R(ERRNO), KCAP_A("uid", UID, DEC, 0),
		 KCAP_CAPS),
	KCAP_SYS(SETGID, "setgid", PROT, KCAP_R(ERRNO), KCAP_A("gid", GID, DEC, 0)),
	KCAP_SYS(SETREUID, "setreuid", PROT, KCAP_R(ERRNO),
		 KCAP_A("ruid", UID, DEC, 0), KCAP_A("euid", UID, DEC, 1),
		 KCAP_CAPS),
	KCAP_SYS(SETREGID, "setregid", PROT, KCAP_R(ERRNO),
		 KCAP_A("rgid", GID, DEC, 0), KCAP_A("egid", GID, DEC, 1)),
	KCAP_SYS(SETRESUID, "setresuid", PROT, KCAP_R(ERRNO),
		 KCAP_A("ruid", UID, DEC, 0), KCAP_A("euid", UID, DEC, 1),
		 KCAP_A("suid", UID, DEC, 2), KCAP_CAPS),
	KCAP_SYS(SETRESGID, "setresgid", PROT, KCAP_R(ERRNO),
		 KCAP_A("rgid", GID, DEC, 0), KCAP_A("egid", GID, DEC, 1),
		 KCAP_A("sgid", GID, DEC, 2)),
	/* data: the user_cap_data_struct array (effective, permitted,
	 * inheritable): one for header version 1, two (64-bit
	 * capabilities) for versions 2 and 3. */
	KCAP_SYS(CAPSET, "capset", PROT, KCAP_R(ERRNO),
		 KCAP_PS("data", BYTES, HEX, UCAPDATA, 1, 0), KCAP_CAPS),
	KCAP_SYS(SETNS, "setns", PROT, KCAP_R(ERRNO), KCAP_A("fd", FD, DEC, 0),
		 KCAP_A("nstype", U32, HEX, 1), KCAP_F("path", 0)),
	KCAP_SYS(UNSHARE, "unshare", PROT, KCAP_R(ERRNO),
		 KCAP_A("flags", U64, HEX, 0)),
	KCAP_SYS(CHROOT, "chroot", PROT, KCAP_R(ERRNO), KCAP_S("path", PATH, 0)),

	/* Files. "path" is the absolute path the kernel resolved, when the
	 * call succeeded; "name" is what the caller passed. */
	KCAP_SYS(OPEN, "open", 0, KCAP_R(FD), KCAP_S("name", PATH, 0),
		 KCAP_A("flags", U32, HEX, 1), KCAP_A("mode", U32, OCT, 2),
		 KCAP_FR("path")),
	KCAP_SYS(OPENAT, "openat", 0, KCAP_R(FD), KCAP_A("dirfd", FD, DEC, 0),
		 KCAP_S("name", PATH, 1), KCAP_A("flags", U32, HEX, 2),
		 KCAP_A("mode", U32, OCT, 3), KCAP_FR("path")),
	KCAP_SYS(OPENAT2, "openat2", 0, KCAP_R(FD), KCAP_A("dirfd", FD, DEC, 0),
		 KCAP_S("name", PATH, 1), KCAP_M("flags", U64, HEX, 2, 0),
		 KCAP_M("mode", U64, OCT, 2, 1), KCAP_M("resolve", U64, HEX, 2, 2),
		 KCAP_FR("path")),
	KCAP_SYS(CREAT, "creat", 0, KCAP_R(FD), KCAP_S("name", PATH, 0),
		 KCAP_A("mode", U32, OCT, 1), KCAP_FR("path")),
	KCAP_SYS(CLOSE, "close", 0, KCAP_R(ERRNO), KCAP_A("fd", FD, DEC, 0)),
	KCAP_SYS(READ, "read", 0, KCAP_R(ERRNO), KCAP_A("fd", FD, DEC, 0),
		 KCAP_A("size", U64, DEC, 2), KCAP_PS("data", BYTES, DEC, UBUF_RES, 1, 0)),
	KCAP_SYS(WRITE, "write", 0, KCAP_R(ERRNO), KCAP_A("fd", FD, DEC, 0),
		 KCAP_A("size", U64, DEC, 2), KCAP_PS("data", BYTES, DEC, UBUF_ARG, 1, 2)),
	KCAP_SYS(PREAD64, "pread64", 0, KCAP_R(ERRNO), KCAP_A("fd", FD, DEC, 0),
		 KCAP_A("size", U64, DEC, 2), KCAP_A("pos", U64, DEC, 3),
		 KCAP_PS("data", BYTES, DEC, UBUF_RES, 1, 0)),
	KCAP_SYS(PWRITE64, "pwrite64", 0, KCAP_R(ERRNO), KCAP_A("fd", FD, DEC, 0),
		 KCAP_A("size", U64, DEC, 2), KCAP_A("pos", U64, DEC, 3),
		 KCAP_PS("data", BYTES, DEC, UBUF_ARG, 1, 2)),
	KCAP_SYS(READV, "readv", 0, KCAP_R(ERRNO), KCAP_A("fd", FD, DEC, 0),
		 KCAP_A("iovcnt", U32, DEC, 2), KCAP_PS("data", BYTES, DEC, UIOV_RES, 1, 2)),
	KCAP_SYS(WRITEV, "writev", 0, KCAP_R(ERRNO), KCAP_A("fd", FD, DEC, 0),
		 KCAP_A("iovcnt", U32, DEC, 2), KCAP_PS("data", BYTES, DEC, UIOV_ARG, 1, 2)),
	KCAP_SYS(UNLINK, "unlink", 0, KCAP_R(ERRNO), KCAP_S("path", PATH, 0)),
	KCAP_SYS(UNLINKAT, "unlinkat", 0, KCAP_R(ERRNO), KCAP_A("dirfd", FD, DEC, 0),
		 KCAP_S("path", PATH, 1), KCAP_A("flags", U32, HEX, 2)),
	KCAP_SYS(RENAME, "rename", 0, KCAP_R(ERRNO), KCAP_S("oldpath", PATH, 0),
		 KCAP_S("newpath", PATH, 1)),
	KCAP_SYS(RENAMEAT, "renameat", 0, KCAP_R(ERRNO),
		 KCAP_A("olddirfd", FD, DEC, 0), KCAP_S("oldpath", PATH, 1),
		 KCAP_A("newdirfd", FD, DEC, 2), KCAP_S("newpath", PATH, 3)),
	KCAP_SYS(RENAMEAT2, "renameat2", 0, KCAP_R(ERRNO),
		 KCAP_A("olddirfd", FD, DEC, 0), KCAP_S("oldpath", PATH, 1),
		 KCAP_A("newdirfd", FD, DEC, 2), KCAP_S("newpath", PATH, 3),
		 KCAP_A("flags", U32, HEX, 4)),
	KCAP_SYS(MKDIR, "mkdir", 0, KCAP_R(ERRNO), KCAP_S("path", PATH, 0),
		 KCAP_A("mode", U32, OCT, 1)),
	KCAP_SYS(MKDIRAT, "mkdirat", 0, KCAP_R(ERRNO), KCAP_A("dirfd", FD, DEC, 0),
		 KCAP_S("path", PATH, 1), KCAP_A("mode", U32, OCT, 2)),
	KCAP_SYS(RMDIR, "rmdir", 0, KCAP_R(ERRNO), KCAP_S("path", PATH, 0)),
	KCAP_SYS(LINK, "link", 0, KCAP_R(ERRNO), KCAP_S("oldpath", PATH, 0),
		 KCAP_S("newpath", PATH, 1)),
	KCAP_SYS(LINKAT, "linkat", 0, KCAP_R(ERRNO),
		 KCAP_A("olddirfd", FD, DEC, 0), KCAP_S("oldpath", PATH, 1),
		 KCAP_A("newdirfd", FD, DEC, 2), KCAP_S("newpath", PATH, 3),
		 KCAP_A("flags", U32, HEX, 4)),
	KCAP_SYS(SYMLINK, "symlink", 0, KCAP_R(ERRNO), KCAP_S("target", PATH, 0),
		 KCAP_S("linkpath", PATH, 1)),
	KCAP_SYS(SYMLINKAT, "symlinkat", 0, KCAP_R(ERRNO),
		 KCAP_S("target", PATH, 0), KCAP_A("newdirfd", FD, DEC, 1),
		 KCAP_S("linkpath", PATH, 2)),
	KCAP_SYS(CHMOD, "chmod", 0, KCAP_R(ERRNO), KCAP_S("path", PATH, 0),
		 KCAP_A("mode", U32, OCT, 1)),
	KCAP_SYS(FCHMOD, "fchmod", 0, KCAP_R(ERRNO), KCAP_A("fd", FD, DEC, 0),
		 KCAP_A("mode", U32, OCT, 1), KCAP_F("path", 0)),
	KCAP_SYS(FCHMODAT, "fchmodat", 0, KCAP_R(ERRNO), KCAP_A("dirfd", FD, DEC, 0),
		 KCAP_S("path", PATH, 1), KCAP_A("mode", U32, OCT, 2)),
	KCAP_SYS(CHOWN, "chown", 0, KCAP_R(ERRNO), KCAP_S("path", PATH, 0),
		 KCAP_A("uid", UID, DEC, 1), KCAP_A("gid", GID, DEC, 2)),
	KCAP_SYS(FCHOWN, "fchown", 0, KCAP_R(ERRNO), KCAP_A("fd", FD, DEC, 0),
		 KCAP_A("uid", UID, DEC, 1), KCAP_A("gid", GID, DEC, 2),
		 KCAP_F("path", 0)),
	KCAP_SYS(FCHOWNAT, "fchownat", 0, KCAP_R(ERRNO), KCAP_A("dirfd", FD, DEC, 0),
		 KCAP_S("path", PATH, 1), KCAP_A("uid", UID, DEC, 2),
		 KCAP_A("gid", GID, DEC, 3), KCAP_A("flags", U32, HEX, 4)),
	KCAP_SYS(LCHOWN, "lchown", 0, KCAP_R(ERRNO), KCAP_S("path", PATH, 0),
		 KCAP_A("uid", UID, DEC, 1), KCAP_A("gid", GID, DEC, 2)),
	KCAP_SYS(TRUNCATE, "truncate", 0, KCAP_R(ERRNO), KCAP_S("path", PATH, 0),
		 KCAP_A("length", S64, DEC, 1)),
	KCAP_SYS(FTRUNCATE, "ftruncate", 0, KCAP_R(ERRNO), KCAP_A("fd", FD, DEC, 0),
		 KCAP_A("length", S64, DEC, 1)),
	KCAP_SYS(DUP, "dup", 0, KCAP_R(FD), KCAP_A("oldfd", FD, DEC, 0)),
	KCAP_SYS(DUP2, "dup2", 0, KCAP_R(FD), KCAP_A("oldfd", FD, DEC, 0),
		 KCAP_A("newfd", FD, DEC, 1)),
	KCAP_SYS(DUP3, "dup3", 0, KCAP_R(FD), KCAP_A("oldfd", FD, DEC, 0),
		 KCAP_A("newfd", FD, DEC, 1), KCAP_A("flags", U32, HEX, 2)),
	KCAP_SYS(FCNTL, "fcntl", 0, KCAP_R(ERRNO), KCAP_A("fd", FD, DEC, 0),
		 KCAP_A("cmd", U32, DEC, 1), KCAP_A("arg", U64, HEX, 2)),
	KCAP_SYS(MOUNT, "mount", PROT, KCAP_R(ERRNO), KCAP_S("source", PATH, 0),
		 KCAP_S("target", PATH, 1), KCAP_S("fstype", STR, 2),
		 KCAP_A("flags", U64, HEX, 3)),
	KCAP_SYS(UMOUNT2, "umount2", PROT, KCAP_R(ERRNO),
		 KCAP_S("target", PATH, 0), KCAP_A("flags", U32, HEX, 1)),
	KCAP_SYS(MEMFD_CREATE, "memfd_create", 0, KCAP_R(FD),
		 KCAP_S("name", STR, 0), KCAP_A("flags", U32, HEX, 1)),
	/* res is the mapped address (or -errno). */
	KCAP_SYS(MMAP, "mmap", 0, KCAP_PS("res", ERRNO, HEX, RES, 0, 0),
		 KCAP_A("addr", U64, HEX, 0), KCAP_A("length", U64, DEC, 1),
		 KCAP_A("prot", U32, HEX, 2), KCAP_A("flags", U32, HEX, 3),
		 KCAP_A("fd", FD, DEC, 4), KCAP_A("offset", U64, DEC, 5)),
	KCAP_SYS(MPROTECT, "mprotect", 0, KCAP_R(ERRNO),
		 KCAP_A("addr", U64, HEX, 0), KCAP_A("length", U64, DEC, 1),
		 KCAP_A("prot", U32, HEX, 2)),
	KCAP_SYS(CHDIR, "chdir", 0, KCAP_R(ERRNO), KCAP_S("path", PATH, 0)),
	KCAP_SYS(FCHDIR, "fchdir", 0, KCAP_R(ERRNO), KCAP_A("fd", FD, DEC, 0),
		 KCAP_F("path", 0)),

	/* Network. Addresses are struct sockaddr as the caller passed or
	 * received them (AF_INET, AF_INET6, AF_UNIX decoded by libkcap). */
	KCAP_SYS(SOCKET, "socket", 0, KCAP_R(FD), KCAP_A("domain", U32, DEC, 0),
		 KCAP_A("type", U32, HEX, 1), KCAP_A("protocol", U32, DEC, 2)),
	KCAP_SYS(CONNECT, "connect", PROT, KCAP_R(ERRNO), KCAP_A("fd", FD, DEC, 0),
		 KCAP_PS("addr", SOCKADDR, DEC, USOCKADDR, 1, 2), KCAP_SOCK(0, 0)),
	KCAP_SYS(ACCEPT, "accept", PROT, KCAP_R(FD), KCAP_A("fd", FD, DEC, 0),
		 KCAP_PS("addr", SOCKADDR, DEC, USOCKADDR_PLEN, 1, 2),
		 KCAP_SOCK(0, 1)),
	KCAP_SYS(ACCEPT4, "accept4", PROT, KCAP_R(FD), KCAP_A("fd", FD, DEC, 0),
		 KCAP_PS("addr", SOCKADDR, DEC, USOCKADDR_PLEN, 1, 2),
		 KCAP_A("flags", U32, HEX, 3), KCAP_SOCK(0, 1)),
	KCAP_SYS(BIND, "bind", 0, KCAP_R(ERRNO), KCAP_A("fd", FD, DEC, 0),
		 KCAP_PS("addr", SOCKADDR, DEC, USOCKADDR, 1, 2)),
	KCAP_SYS(LISTEN, "listen", 0, KCAP_R(ERRNO), KCAP_A("fd", FD, DEC, 0),
		 KCAP_A("backlog", S32, DEC, 1)),
	KCAP_SYS(SENDTO, "sendto", 0, KCAP_R(ERRNO), KCAP_A("fd", FD, DEC, 0),
		 KCAP_A("size", U64, DEC, 2), KCAP_A("flags", U32, HEX, 3),
		 KCAP_PS("data", BYTES, DEC, UBUF_ARG, 1, 2),
		 KCAP_PS("addr", SOCKADDR, DEC, USOCKADDR, 4, 5)),
	KCAP_SYS(RECVFROM, "recvfrom", 0, KCAP_R(ERRNO), KCAP_A("fd", FD, DEC, 0),
		 KCAP_A("size", U64, DEC, 2), KCAP_A("flags", U32, HEX, 3),
		 KCAP_PS("data", BYTES, DEC, UBUF_RES, 1, 0),
		 KCAP_PS("addr", SOCKADDR, DEC, USOCKADDR_PLEN, 4, 5)),
	KCAP_SYS(SENDMSG, "sendmsg", 0, KCAP_R(ERRNO), KCAP_A("fd", FD, DEC, 0),
		 KCAP_A("flags", U32, HEX, 2),
		 KCAP_PS("data", BYTES, DEC, UMSG_ARG, 1, 0),
		 KCAP_PS("addr", SOCKADDR, DEC, UMSG_NAME, 1, 0)),
	KCAP_SYS(RECVMSG, "recvmsg", 0, KCAP_R(ERRNO), KCAP_A("fd", FD, DEC, 0),
		 KCAP_A("flags", U32, HEX, 2),
		 KCAP_PS("data", BYTES, DEC, UMSG_RES, 1, 0),
		 KCAP_PS("addr", SOCKADDR, DEC, UMSG_NAME, 1, 0)),
	KCAP_SYS(SHUTDOWN, "shutdown", 0, KCAP_R(ERRNO), KCAP_A("fd", FD, DEC, 0),
		 KCAP_A("how", U32, DEC, 1)),
	KCAP_SYS(SOCKETPAIR, "socketpair", 0, KCAP_R(ERRNO),
		 KCAP_A("domain", U32, DEC, 0), KCAP_A("type", U32, HEX, 1),
		 KCAP_A("protocol", U32, DEC, 2),
		 KCAP_PS("fds", BYTES, DEC, UINT2, 3, 0)),

	/* Kernel surface. */
	KCAP_SYS(INIT_MODULE, "init_module", PROT, KCAP_R(ERRNO),
		 KCAP_A("len", U64, DEC, 1), KCAP_S("uargs", STR, 2)),
	KCAP_SYS(FINIT_MODULE, "finit_module", PROT, KCAP_R(ERRNO),
		 KCAP_A("fd", FD, DEC, 0), KCAP_S("uargs", STR, 1),
		 KCAP_A("flags", U32, HEX, 2), KCAP_F("path", 0)),
	KCAP_SYS(DELETE_MODULE, "delete_module", PROT, KCAP_R(ERRNO),
		 KCAP_S("name", STR, 0), KCAP_A("flags", U32, HEX, 1)),
	KCAP_SYS(BPF, "bpf", PROT, KCAP_R(ERRNO), KCAP_A("cmd", U32, DEC, 0),
		 KCAP_A("size", U32, DEC, 2)),
	KCAP_SYS(PERF_EVENT_OPEN, "perf_event_open", PROT, KCAP_R(FD),
		 KCAP_A("pid", S32, DEC, 1), KCAP_A("cpu", S32, DEC, 2),
		 KCAP_A("group_fd", FD, DEC, 3), KCAP_A("flags", U64, HEX, 4)),
	KCAP_SYS(IOCTL, "ioctl", 0, KCAP_R(ERRNO), KCAP_A("fd", FD, DEC, 0),
		 KCAP_A("request", U32, HEX, 1), KCAP_A("arg", U64, HEX, 2)),
	KCAP_SYS(KEXEC_LOAD, "kexec_load", PROT, KCAP_R(ERRNO),
		 KCAP_A("entry", U64, HEX, 0), KCAP_A("nr_segments", U64, DEC, 1),
		 KCAP_A("flags", U64, HEX, 3)),
	KCAP_SYS(USERFAULTFD, "userfaultfd", PROT, KCAP_R(FD),
		 KCAP_A("flags", U32, HEX, 0)),
};

#undef KCAP_P
#undef KCAP_PS
#undef KCAP_R
#undef KCAP_A
#undef KCAP_S
#undef KCAP_M
#undef KCAP_F
#undef KCAP_FR
#undef KCAP_C
#undef KCAP_SYS
#undef KCAP_EDF_LIFE
#undef KCAP_EDF_PROT
#undef KCAP_EDF_0
#undef KCAP_CAPS
#undef KCAP_EXEC_2_2
#undef KCAP_SOCK

#endif /* _KCAP_EVENT_TABLE_H */
