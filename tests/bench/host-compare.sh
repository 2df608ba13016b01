#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# host-compare.sh OLD_TREE NEW_TREE [CAPTURE...]: user-space instruction
# counts (valgrind --tool=callgrind, repeatable) of two built trees of this
# repository side by side, for a refactoring that must not cost anything:
# libkcap's decoding (kbench-decode next|params|format), `kcap read -r`,
# `kcap export -r` (pb and JSON) and `kcap detect -r` with the shipped rules,
# on each capture (default: the sample captures in tests/fuzz/corpus/).
# Each tree needs `make all bench-bins`. Prints one table row per capture
# and command: old, new, change in percent.
set -euo pipefail
old=${1:?usage: host-compare.sh OLD_TREE NEW_TREE [CAPTURE...]}
new=${2:?usage: host-compare.sh OLD_TREE NEW_TREE [CAPTURE...]}
shift 2
top=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -gt 0 ] || set -- "$top/tests/fuzz/corpus/guest-clean.kcap" "$top/tests/fuzz/corpus/guest-drops.kcap"
rules=$top/rules/kcap_rules.yaml

ir() {
	valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
		sed -n 's/.*Collected : \([0-9]*\).*/\1/p' | tail -1
}

# count TREE WHAT CAPTURE: instructions of one measurement in TREE.
count() {
	local k=$1/build/bin/kcap d=$1/build/bench/kbench-decode f=$3
	case $2 in
	lib_next | lib_params | lib_format) ir "$d" "${2#lib_}" "$f" ;;
	read) ir "$k" read -r "$f" ;;
	export_pb) ir "$k" export -r "$f" -w /dev/null ;;
	export_json) ir "$k" export -r "$f" -j -w /dev/null ;;
	detect) ir "$k" detect -r "$f" -R "$rules" ;;
	esac
}

echo "| capture | measurement | old | new | change |"
echo "|---|---|---:|---:|---:|"
for f in "$@"; do
	for m in lib_next lib_params lib_format read export_pb export_json detect; do
		a=$(count "$old" $m "$f")
		b=$(count "$new" $m "$f")
		printf '| %s | %s | %s | %s | %+.2f%% |\n' "$(basename "$f")" "$m" "$a" "$b" \
			"$(echo "scale=4; ($b - $a) * 100 / $a" | bc)"
	done
done
