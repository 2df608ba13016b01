#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Host side of 80-detect: kcap detect -r on the guest's recordings finds
# what live detection found (the thread table seeded from the file's
# process snapshot), and nothing in the benign one.
set -u
dir=$1
top=$(cd "$(dirname "$0")/../../.." && pwd)
rules=$top/rules/kcap_rules.yaml
. "$(dirname "$0")/tap.sh"

out=$("$KCAP" detect -r "$dir/80-benign.kcap" -R "$rules" -j 2>/dev/null)
[ -z "$out" ] && ok "benign recording: no alert" || notok "benign recording: no alert: $out"
live=$(grep -o '"rule":"[^"]*"' "$dir/80-attack.alerts" | sort -u)
file=$("$KCAP" detect -r "$dir/80-attack.kcap" -R "$rules" -j 2>/dev/null |
	grep -o '"rule":"[^"]*"' | sort -u)
[ -n "$live" ] && [ "$live" = "$file" ] && ok "attack recording: the same rules fire as live" ||
	notok "attack recording: live [$live] file [$file]"
"$KCAP" detect -r "$dir/80-attack.kcap" -R "$rules" 2>/dev/null | grep -q "container_id=4f1ac0de5ca1" &&
	ok "text output names the container" || notok "text output names the container"
echo "1..$n"
