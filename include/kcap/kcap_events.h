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
	KCAP_EVT_SYSCALL = 2,		/* generic syscall, exit side */
	KCAP_EVT_SYSCALL_ENTER = 3,	/* generic syscall, entry side */
	KCAP_EVT_PROC_FORK = 4,		/* sched_process_fork */
	KCAP_EVT_PROC_EXEC = 5,		/* sched_process_exec */
	KCAP_EVT_PROC_EXIT = 6,		/* sched_process_exit */
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

#define KCAP_MAX_PARAMS 16

struct kcap_param_desc {
	const char *name;
	__u16 type;		/* enum kcap_param_type */
	__u16 fmt;		/* enum kcap_param_fmt */
};

struct kcap_event_desc {
	const char *name;
	__u32 flags;		/* KCAP_EDF_* */
	__u32 nparams;
	struct kcap_param_desc params[KCAP_MAX_PARAMS];
};

#endif /* _KCAP_EVENTS_H */
