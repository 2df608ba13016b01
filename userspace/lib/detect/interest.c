// SPDX-License-Identifier: Apache-2.0
/*
 * kcap_rules_syscalls(), kcap_filter_syscalls(): the smallest set of
 * syscalls a live capture must select so that a rule set (or a filter)
 * sees every event it can match, with correct process and descriptor
 * fields. It is the union of
 *  - the event types the conditions can match: the event-type index of
 *    kcap__filter_types() (evt.type = X, evt.type in (...), through macros,
 *    and/or; a condition that does not pin evt.type in every branch, such
 *    as "not evt.type = open" or "evt.type != open", can match anything,
 *    and then every syscall is needed), and
 *  - the types kcap_state_update() changes the thread and descriptor tables
 *    on (kcap__state_types: fork/clone, exec, the fd-creating, -changing
 *    and -closing calls, cwd, credentials and capabilities),
 * as x86_64 syscall numbers (a decoded event type by its syscall's name, a
 * generic one by number). Lifecycle events (fork, exec, exit) are needed
 * by the thread table in any case and are not syscalls.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "detect.h"
#include "rules.h"
#include "state/state.h"

/* The x86_64 syscall of event-type key @k; -1 for the driver's own and
 * lifecycle events, which no syscall bit selects. */
static int key_syscall(unsigned int k)
{
	const struct kcap_event_desc *d;

	if (k >= 256)
		return k - 256 < KCAP_SYSCALL_MAX ? (int)(k - 256) : -1;
	d = kcap_event_desc(k);
	if (!d || !(d->flags & KCAP_EDF_DECODED) || !d->name)
		return -1;
	return kcap_syscall_nr(d->name, KCAP_SC_X86_64);
}

/* @ts plus the thread table's types, as syscall numbers into @nrs
 * (ascending); the count, -ERANGE if @max is too small. */
static int typeset_syscalls(const struct ktypeset *ts, unsigned int *nrs, size_t max)
{
	__u64 sel[KCAP_SYSCALL_WORDS] = { 0 };
	unsigned int k, nr;
	size_t n = 0;
	int s;

	for (k = 0; kcap__state_types[k] != KCAP_EVT_INVALID; k++) {
		s = key_syscall(kcap__state_types[k]);
		if (s >= 0)
			sel[s / 64] |= 1ULL << (s % 64);
	}
	for (k = 0; k < KEVT_KEYS; k++) {
		if (!(ts->bits[k / 64] & (1ULL << (k % 64))))
			continue;
		s = key_syscall(k);
		if (s >= 0)
			sel[s / 64] |= 1ULL << (s % 64);
	}
	for (nr = 0; nr < KCAP_SYSCALL_MAX; nr++) {
		if (!(sel[nr / 64] & (1ULL << (nr % 64))))
			continue;
		if (n == max)
			return -ERANGE;
		nrs[n++] = nr;
	}
	return (int)n;
}

int kcap_rules_syscalls(const struct kcap_rules *r, unsigned int *nrs, size_t max, bool *all)
{
	struct ktypeset ts;
	unsigned int k;

	if (!r || !all || (max && !nrs) || !r->compiled)
		return -EINVAL;
	*all = r->idx_all;
	if (*all)
		return 0;
	memset(&ts, 0, sizeof(ts));
	for (k = 0; k < KEVT_KEYS; k++)
		if (r->idx[k].n)
			ts.bits[k / 64] |= 1ULL << (k % 64);
	return typeset_syscalls(&ts, nrs, max);
}

int kcap__filter_syscalls(const struct ktypeset *ts, unsigned int *nrs, size_t max, bool *all)
{
	*all = ts->all;
	if (*all)
		return 0;
	return typeset_syscalls(ts, nrs, max);
}
