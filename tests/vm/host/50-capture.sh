#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Host side of cases/50-capture.sh: reads the capture files the guest
# recorded with the real driver, using the host's kcap ($KCAP), and prints
# TAP. $1 is the directory run-guest.sh stored the exported files in.
set -u
dir=$1
kcap=${KCAP:?}
. "$(dirname "$0")/tap.sh"

for f in cap.kcap drop.kcap killed.kcap names.kcap load.out killed-load.out read.out; do
	if [ ! -s "$dir/$f" ]; then
		notok "exported file $f arrived"
		exit 1
	fi
done
ok "the guest's capture files arrived on the host"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pid=$(sed -n 's/^pid=//p' "$dir/load.out")

# ---- the recording machine's names --------------------------------------------
# uid/gid 4242 is kcapdemo/kcapgrp in the guest's files only: the host's
# reader names them from the capture file, not from its own tables.
if getent passwd 4242 >/dev/null || getent group 4242 >/dev/null; then
	ok "# skip: this host has a uid or gid 4242 of its own"
else
	got=$("$kcap" read -r "$dir/names.kcap" 'user.uid = 4242 and user.name = kcapdemo and group.name = kcapgrp and evt.type = openat' 2>"$tmp/names.err" | grep -c .)
	if [ "${got:-0}" -ge 1 ]; then
		ok "host: the guest's uid 4242 is user.name kcapdemo, group.name kcapgrp ($got openat events)"
	else
		notok "host: user.name/group.name of the guest's uid 4242 from the capture file"
		diag "$tmp/names.err"
	fi
fi

# ---- the clean recording ----------------------------------------------------
if "$kcap" read -r "$dir/cap.kcap" >"$tmp/read.out" 2>"$tmp/read.err"; then
	ok "kcap read -r cap.kcap: status 0"
else
	notok "kcap read -r cap.kcap"
	diag "$tmp/read.err"
fi
if cmp -s "$tmp/read.out" "$dir/read.out"; then
	ok "host and guest print the same $(wc -l <"$tmp/read.out") lines"
else
	notok "host and guest print the same lines"
	diff "$dir/read.out" "$tmp/read.out" | head -20 | sed 's/^/# /'
fi
expect "1000 getppid events of the workload, decoded" \
	"$(grep -c " pid=$pid tid=$pid syscall getppid(.*) = [0-9]" "$tmp/read.out")" 1000
expect "50 openat events of the workload, = -2 ENOENT" \
	"$(grep -c " pid=$pid tid=$pid openat(.*) = -2 ENOENT" "$tmp/read.out")" 50
expect "5 proc_fork events of the workload" \
	"$(grep -c " pid=$pid tid=$pid proc_fork child_tid=" "$tmp/read.out")" 5
expect "5 proc_exec events of /bin/true" \
	"$(grep -c ' proc_exec filename="/bin/true"' "$tmp/read.out")" 5
expect "no undecoded event or parameter" \
	"$(grep -cE ' type_[0-9]+\(|=\?' "$tmp/read.out")" 0
expect "no syscall event outside the -e filter" \
	"$(grep ' syscall ' "$tmp/read.out" | grep -cvE ' syscall (getppid|openat)\(')" 0

"$kcap" info "$dir/cap.kcap" >"$tmp/info.out" 2>&1
st=$?
expect "kcap info cap.kcap: status 0" $st 0
if grep -q '^closed: *cleanly' "$tmp/info.out"; then
	ok "kcap info: closed cleanly"
else
	notok "kcap info: closed cleanly"
	diag "$tmp/info.out"
fi
events=$(sed -n 's/^events: *\([0-9]*\) in .*/\1/p' "$tmp/info.out")
expect "kcap info counts every line kcap read prints" "$events" "$(wc -l <"$tmp/read.out")"
# The recorder drained its rings: the driver's final per-CPU event counts
# (saved in the closing block) add up to the events in the file.
live=$(awk '/^  cpu / { s += $3 } END { print s + 0 }' "$tmp/info.out")
expect "events in the file = the driver's event counters" "$events" "$live"
grep -E '^(file|machine|driver|capture|events|compression):' "$tmp/info.out" | sed 's/^/# /'

# ---- seeking and filtering ---------------------------------------------------
ts=$(grep " pid=$pid tid=$pid syscall getppid(" "$tmp/read.out" | sed -n '500s/ .*//p')
"$kcap" read -r "$dir/cap.kcap" --start "$ts" -n 1 >"$tmp/seek.out"
expect "--start T: the first event is at T" "$(cut -d' ' -f1 "$tmp/seek.out")" "$ts"
"$kcap" read -r "$dir/cap.kcap" -e openat -w "$tmp/f.kcap" 2>"$tmp/f.err"
"$kcap" read -r "$tmp/f.kcap" >"$tmp/f.out" 2>>"$tmp/f.err"
expect "kcap read -e openat -w: 50 openat events of the workload" \
	"$(grep -c " pid=$pid tid=$pid openat(" "$tmp/f.out")" 50
expect "kcap read -e openat -w: no getppid event" "$(grep -c ' getppid(' "$tmp/f.out")" 0

# ---- drops --------------------------------------------------------------------
"$kcap" info "$dir/drop.kcap" >"$tmp/dinfo.out" 2>&1
expect "kcap info drop.kcap: status 0" $? 0
drops=$(awk '/^  cpu / { s += $5 + $6 } END { print s + 0 }' "$tmp/dinfo.out")
recs=$(sed -n 's/^drop records: \([0-9]*\):.*/\1/p' "$tmp/dinfo.out")
rec_sum=$(sed -n 's/^drop records: [0-9]*: full=\([0-9]*\) full_protected=\([0-9]*\).*/\1 \2/p' \
	"$tmp/dinfo.out" | awk '{ print $1 + $2 }')
lost=$(sed -n 's/^drop markers: lost_bulk=\([0-9]*\) lost_protected=\([0-9]*\)/\1 \2/p' \
	"$tmp/dinfo.out" | awk '{ print $1 + $2 }')
if [ "${drops:-0}" -gt 0 ] && [ "${recs:-0}" -gt 0 ]; then
	ok "drops recorded: $drops in the driver's counters, $recs drop records"
else
	notok "drops recorded (counters $drops, records $recs)"
	diag "$tmp/dinfo.out"
fi
expect "drop records add up to the driver's drop counters" "$rec_sum" "$drops"
if [ "${lost:-0}" -gt 0 ]; then
	ok "in-stream drop markers in the file (lost $lost)"
else
	notok "in-stream drop markers in the file"
fi

# ---- the SIGKILLed recorder -----------------------------------------------------
kpid=$(sed -n 's/^pid=//p' "$dir/killed-load.out")
"$kcap" info "$dir/killed.kcap" >"$tmp/kinfo.out" 2>&1
st=$?
if [ $st -eq 0 ] && grep -q '^closed: *NOT cleanly' "$tmp/kinfo.out"; then
	ok "SIGKILLed recording: kcap info reads it, says not closed cleanly"
else
	notok "SIGKILLed recording: kcap info (status $st)"
	diag "$tmp/kinfo.out"
fi
"$kcap" read -r "$dir/killed.kcap" >"$tmp/kread.out" 2>"$tmp/kread.err"
expect "SIGKILLed recording: all 1000 getppid events (older than the flush interval)" \
	"$(grep -c " pid=$kpid tid=$kpid syscall getppid(" "$tmp/kread.out")" 1000
if grep -q 'not closed cleanly' "$tmp/kread.err"; then
	ok "kcap read warns that the file was not closed cleanly"
else
	notok "kcap read warns that the file was not closed cleanly"
fi
