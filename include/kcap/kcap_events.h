/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * kcap event types and the shape of the event table. The table itself is
 * in kcap_event_table.h; each side includes it in exactly one file.
 *
 * Adding a decoded event: one enum value here, one row in the table, one
 * filler in driver/, one decoder in userspace/ (see docs/abi.md).
 */
#ifndef _KCAP_EVENTS_H
#define _KCAP_EVENTS_H

#include <linux/types.h>

enum kcap_event_type {
	KCAP_EVT_INVALID = 0,
	KCAP_EVT_DROP = 1,		/* marker: events lost since the last one */
	KCAP_EVT_SYSCALL = 2,		/* generic syscall, exit side: nr, args, res */
	KCAP_EVT_SYSCALL_ENTER = 3,	/* generic syscall, entry side: nr, args */
	KCAP_EVT_PROC_FORK = 4,		/* sched_process_fork */
	KCAP_EVT_PROC_EXEC = 5,		/* sched_process_exec */
	KCAP_EVT_PROC_EXIT = 6,		/* sched_process_exit */
	/* 7 .. 15 reserved for more driver and lifecycle events */
	/* Decoded syscalls, exit side: arguments and result in one event. */
	KCAP_EVT_EXECVE = 16,
	KCAP_EVT_EXECVEAT = 17,
	KCAP_EVT_CLONE = 18,
	KCAP_EVT_CLONE3 = 19,
	KCAP_EVT_FORK = 20,
	KCAP_EVT_VFORK = 21,
	KCAP_EVT_KILL = 22,
	KCAP_EVT_TKILL = 23,
	KCAP_EVT_TGKILL = 24,
	KCAP_EVT_PTRACE = 25,
	KCAP_EVT_PRCTL = 26,
	KCAP_EVT_SETUID = 27,
	KCAP_EVT_SETGID = 28,
	KCAP_EVT_SETREUID = 29,
	KCAP_EVT_SETREGID = 30,
	KCAP_EVT_SETRESUID = 31,
	KCAP_EVT_SETRESGID = 32,
	KCAP_EVT_CAPSET = 33,
	KCAP_EVT_SETNS = 34,
	KCAP_EVT_UNSHARE = 35,
	KCAP_EVT_CHROOT = 36,
	KCAP_EVT_OPEN = 37,
	KCAP_EVT_OPENAT = 38,
	KCAP_EVT_OPENAT2 = 39,
	KCAP_EVT_CREAT = 40,
	KCAP_EVT_CLOSE = 41,
	KCAP_EVT_READ = 42,
	KCAP_EVT_WRITE = 43,
	KCAP_EVT_PREAD64 = 44,
	KCAP_EVT_PWRITE64 = 45,
	KCAP_EVT_READV = 46,
	KCAP_EVT_WRITEV = 47,
	KCAP_EVT_UNLINK = 48,
	KCAP_EVT_UNLINKAT = 49,
	KCAP_EVT_RENAME = 50,
	KCAP_EVT_RENAMEAT = 51,
	KCAP_EVT_RENAMEAT2 = 52,
	KCAP_EVT_MKDIR = 53,
	KCAP_EVT_MKDIRAT = 54,
	KCAP_EVT_RMDIR = 55,
	KCAP_EVT_LINK = 56,
	KCAP_EVT_LINKAT = 57,
	KCAP_EVT_SYMLINK = 58,
	KCAP_EVT_SYMLINKAT = 59,
	KCAP_EVT_CHMOD = 60,
	KCAP_EVT_FCHMOD = 61,
	KCAP_EVT_FCHMODAT = 62,
	KCAP_EVT_CHOWN = 63,
	KCAP_EVT_FCHOWN = 64,
	KCAP_EVT_FCHOWNAT = 65,
	KCAP_EVT_LCHOWN = 66,
	KCAP_EVT_TRUNCATE = 67,
	KCAP_EVT_FTRUNCATE = 68,
	KCAP_EVT_DUP = 69,
	KCAP_EVT_DUP2 = 70,
	KCAP_EVT_DUP3 = 71,
	KCAP_EVT_FCNTL = 72,
	KCAP_EVT_MOUNT = 73,
	KCAP_EVT_UMOUNT2 = 74,
	KCAP_EVT_MEMFD_CREATE = 75,
	KCAP_EVT_MMAP = 76,
	KCAP_EVT_MPROTECT = 77,
	KCAP_EVT_CHDIR = 78,
	KCAP_EVT_FCHDIR = 79,
	KCAP_EVT_SOCKET = 80,
	KCAP_EVT_CONNECT = 81,
	KCAP_EVT_ACCEPT = 82,
	KCAP_EVT_ACCEPT4 = 83,
	KCAP_EVT_BIND = 84,
	KCAP_EVT_LISTEN = 85,
	KCAP_EVT_SENDTO = 86,
	KCAP_EVT_RECVFROM = 87,
	KCAP_EVT_SENDMSG = 88,
	KCAP_EVT_RECVMSG = 89,
	KCAP_EVT_SHUTDOWN = 90,
	KCAP_EVT_SOCKETPAIR = 91,
	KCAP_EVT_INIT_MODULE = 92,
	KCAP_EVT_FINIT_MODULE = 93,
	KCAP_EVT_DELETE_MODULE = 94,
	KCAP_EVT_BPF = 95,
	KCAP_EVT_PERF_EVENT_OPEN = 96,
	KCAP_EVT_IOCTL = 97,
	KCAP_EVT_KEXEC_LOAD = 98,
	KCAP_EVT_USERFAULTFD = 99,
	KCAP_EVT_NR			/* first unused type */
};

/* How a parameter's bytes are to be read. Numbers are little-endian. */
enum kcap_param_type {
	KCAP_PT_NONE = 0,
	KCAP_PT_U16 = 1,
	KCAP_PT_U32 = 2,
	KCAP_PT_U64 = 3,
	KCAP_PT_S32 = 4,
	KCAP_PT_S64 = 5,
	KCAP_PT_SYSCALL_NR = 6,	/* __u32, x86_64 (or ia32 with EVF_COMPAT) */
	KCAP_PT_ERRNO = 7,	/* __s64 syscall result, negative is -errno */
	KCAP_PT_FD = 8,		/* __s64 */
	KCAP_PT_PID = 9,	/* __u32 */
	KCAP_PT_STR = 10,	/* bytes, no terminating NUL */
	KCAP_PT_PATH = 11,	/* like STR, a file system path */
	KCAP_PT_BYTES = 12,	/* raw buffer, at most snaplen bytes */
	KCAP_PT_SOCKADDR = 13,	/* struct sockaddr as the caller passed it */
	KCAP_PT_STRARRAY = 14,	/* NUL-terminated strings back to back */
	KCAP_PT_UID = 15,	/* __u32 */
	KCAP_PT_GID = 16,	/* __u32 */
	KCAP_PT_NR
};

/* Bytes of a fixed-size parameter type; 0 for a variable-size one. */
static inline __u32 kcap_param_type_size(__u32 type)
{
	switch (type) {
	case KCAP_PT_U16:
		return 2;
	case KCAP_PT_U32:
	case KCAP_PT_S32:
	case KCAP_PT_SYSCALL_NR:
	case KCAP_PT_PID:
	case KCAP_PT_UID:
	case KCAP_PT_GID:
		return 4;
	case KCAP_PT_U64:
	case KCAP_PT_S64:
	case KCAP_PT_ERRNO:
	case KCAP_PT_FD:
		return 8;
	default:
		return 0;
	}
}

/* How a number is best printed. */
enum kcap_param_fmt {
	KCAP_PF_DEC = 0,
	KCAP_PF_HEX = 1,
	KCAP_PF_OCT = 2,
};

/* kcap_event_desc.flags */
#define KCAP_EDF_PROTECTED	0x1	/* dropped only when the ring is full */
#define KCAP_EDF_SYSCALL	0x2	/* describes a syscall */
#define KCAP_EDF_LIFECYCLE	0x4	/* process lifecycle */
#define KCAP_EDF_MARKER		0x8	/* written by the driver about itself */
#define KCAP_EDF_DECODED	0x10	/* a decoded syscall (exit side) */

/* An exec's exe_flags parameter (ABI 2.2). */
#define KCAP_EXE_UPPER_LAYER	0x1	/* on an overlayfs upper layer */
#define KCAP_EXE_FROM_MEMFD	0x2	/* a memfd (memfd_create + fexecve) */

#define KCAP_MAX_PARAMS 32	/* 16 before ABI 2.2 */

/*
 * Where the driver takes a parameter from (the filler is one generic
 * interpreter of these). User space ignores src, arg and aux; they make a
 * decoded syscall one table row. "arg N" is the syscall's N-th argument.
 */
enum kcap_param_src {
	KCAP_SRC_CUSTOM = 0,	/* written by a dedicated filler */
	KCAP_SRC_RES = 1,	/* the syscall result */
	KCAP_SRC_ARG = 2,	/* arg N itself, 4 or 8 bytes by type */
	KCAP_SRC_USTR = 3,	/* NUL-terminated string at arg N */
	KCAP_SRC_UBUF_ARG = 4,	/* buffer at arg N, length arg aux, <= snaplen */
	KCAP_SRC_UBUF_RES = 5,	/* buffer at arg N, length = result, <= snaplen */
	KCAP_SRC_UIOV_ARG = 6,	/* iovec array at arg N, count arg aux */
	KCAP_SRC_UIOV_RES = 7,	/* same, data up to the result */
	KCAP_SRC_USOCKADDR = 8,	/* sockaddr at arg N, length arg aux */
	KCAP_SRC_USOCKADDR_PLEN = 9,	/* sockaddr at arg N, length at *arg aux */
	KCAP_SRC_UMSG_ARG = 10,	/* msghdr at arg N: iovec data, all of it */
	KCAP_SRC_UMSG_RES = 11,	/* msghdr at arg N: iovec data up to result */
	KCAP_SRC_UMSG_NAME = 12,	/* msghdr at arg N: msg_name */
	KCAP_SRC_UINT2 = 13,	/* two ints at arg N (pipe, socketpair) */
	KCAP_SRC_UMEM64 = 14,	/* __u64 at arg N + 8 * aux (open_how, clone_args) */
	KCAP_SRC_FDPATH = 15,	/* path of the file at fd arg N */
	KCAP_SRC_FDPATH_RES = 16,	/* path of the file at fd = result */
	KCAP_SRC_UCAPDATA = 17,	/* capset data at arg N, 1 or 2 structs by the
				 * version of the header at arg aux (ABI 2.1) */
	/* ABI 2.2: from the kernel's own objects, not from user memory */
	KCAP_SRC_SOCK_LOCAL = 18,	/* local address of the socket at fd arg N
					 * (aux 1: fd = the result), struct sockaddr */
	KCAP_SRC_SOCK_PEER = 19,	/* its peer's address, the same way */
	KCAP_SRC_CREDCAP = 20,	/* the thread's capability set after the call:
				 * aux 0 inheritable, 1 permitted, 2 effective */
};

struct kcap_param_desc {
	const char *name;
	__u16 type;		/* enum kcap_param_type */
	__u8 fmt;		/* enum kcap_param_fmt */
	__u8 src;		/* enum kcap_param_src */
	__u8 arg;
	__u8 aux;
	__u16 reserved;
};

struct kcap_event_desc {
	const char *name;
	__u32 flags;		/* KCAP_EDF_* */
	__u32 nparams;
	struct kcap_param_desc params[KCAP_MAX_PARAMS];
};

#endif /* _KCAP_EVENTS_H */
