#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# host.sh EXPORT_DIR: the host part of `make bench`. For each workload whose
# kcap and peer captures the guest exported (WORKLOAD.kcap, WORKLOAD.scap,
# recorded in the same guest run), prints RESULT lines with:
#  - file sizes: kcap's file, the peer's file as written and gzip'd;
#  - decoding cost in instructions (valgrind --tool=callgrind, repeatable):
#    libkcap (kbench-decode next|params|format), `kcap read -r FILE`
#    to /dev/null, `kcap read -e` with a filter matching nothing, and
#    `sysdig -r FILE FILTER` with a filter matching nothing; each minus the
#    same command stopped after one event (start-up is not decoding);
#  - the wall-clock time of one plain run of the kcap read and sysdig
#    commands.
# Environment: KCAP (the host's kcap CLI), KBENCH_DECODE.
set -uo pipefail
dir=$1
kcap=${KCAP:?}
decode=${KBENCH_DECODE:?}
# A syscall none of the workloads makes, and a process name none has.
nomatch_sc=reboot
nomatch_sd="proc.name=kbench-nomatch"

# ir CMD...: instructions callgrind counts for CMD (output to /dev/null).
ir() {
	valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
		sed -n 's/.*Collected : \([0-9]*\).*/\1/p' | tail -1
}
# wall CMD...: nanoseconds of one run.
wall() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1
	t1=$(date +%s%N)
	echo $((t1 - t0))
}

echo "RESULT kind=host_info valgrind=$(valgrind --version 2>/dev/null | tr ' ' _)" \
     "sysdig=$(sysdig --version 2>/dev/null | awk '{print $NF}')" \
     "cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1 | tr ' ' _)"
for kf in "$dir"/*.kcap; do
	[ -e "$kf" ] || continue
	w=$(basename "$kf" .kcap)
	sf=$dir/$w.scap
	kev=$("$kcap" info "$kf" 2>/dev/null | awk '$1 == "events:" { print $2; exit }')
	line="RESULT kind=host wl=$w kcap_events=${kev:-0} kcap_file=$(stat -c %s "$kf")"
	# libkcap's own decoding, and the CLI.
	for m in next params format; do
		line="$line lib_${m}_ir=$(ir "$decode" "$m" "$kf")"
	done
	line="$line kread_ir=$(ir "$kcap" read -r "$kf")"
	line="$line kread1_ir=$(ir "$kcap" read -r "$kf" -n 1)"
	line="$line kreadnone_ir=$(ir "$kcap" read -r "$kf" -e $nomatch_sc)"
	line="$line kread_ns=$(wall "$kcap" read -r "$kf")"
	line="$line kreadnone_ns=$(wall "$kcap" read -r "$kf" -e $nomatch_sc)"
	if [ -s "$sf" ] && command -v sysdig >/dev/null; then
		# Every event sysdig reads, internal ones included (-D).
		sev=$(sysdig -D -r "$sf" -p '%evt.num' 2>/dev/null | grep -c '^[0-9]')
		line="$line sd_events=$sev sd_file=$(stat -c %s "$sf") sd_gz=$(gzip -c "$sf" | wc -c)"
		line="$line sd_ir=$(ir sysdig -r "$sf" "$nomatch_sd")"
		line="$line sd1_ir=$(ir sysdig -r "$sf" -n 1)"
		line="$line sd_ns=$(wall sysdig -r "$sf" "$nomatch_sd")"
	fi
	echo "$line"
done
