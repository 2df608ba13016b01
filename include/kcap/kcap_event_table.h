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
};

#undef KCAP_P

#endif /* _KCAP_EVENT_TABLE_H */
