#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# cli-help.sh KCAP: host-side check that the kcap CLI and every command it
# lists under "Commands:" print usage with --help and exit 0. TAP output,
# then "N passed, M failed"; non-zero exit on any failure.
set -uo pipefail
kcap=${1:?usage: cli-help.sh PATH-TO-KCAP}
n=0 failed=0

result() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "[host] ok $n - $2"
	else
		echo "[host] not ok $n - $2"
		failed=$((failed + 1))
	fi
}

# check_help WHAT ARGS...: ARGS print a usage text and succeed.
check_help() {
	local what=$1 out rc
	shift
	out=$("$kcap" "$@" 2>&1)
	rc=$?
	[ $rc -eq 0 ] && grep -qi 'usage' <<<"$out"
	result $? "$what prints usage (status $rc)"
}

check_help "kcap --help" --help
cmds=$("$kcap" --help 2>/dev/null |
	awk '/^[A-Za-z].*:$/ { in_cmds = /^Commands:$/; next }
	     in_cmds && /^  [a-z][a-z0-9-]+ / { print $1 }')
[ -n "$cmds" ]
result $? "kcap --help lists commands ($(echo $cmds))"
for cmd in $cmds; do
	check_help "kcap $cmd --help" "$cmd" --help
done
for sub in apparmor seccomp check; do
	check_help "kcap profile $sub --help" profile $sub --help
done
"$kcap" no-such-command >/dev/null 2>&1
rc=$?
[ $rc -ne 0 ]
result $? "kcap no-such-command fails (status $rc)"
echo "$((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]
