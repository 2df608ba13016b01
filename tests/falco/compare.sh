#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# compare.sh: the host part of `make test-falco`, on the files run-falco.sh
# brought back from the guest (build/falco/guest/export/).
#  1. Every rule of Falco's three upstream files, its condition expanded by
#     `kcap detect --print-conditions`, is evaluated on the attack workload
#     by sysdig (attack.scap, exit events: kcap records one event per system
#     call, at its exit) and by `kcap read` (attack.kcap). The SETS of
#     matched (proc.name, evt.type, fd.name) must be equal (pids, times and
#     ephemeral ports differ between the two runs and are left out or
#     masked; the recorders' own events are left out).
#  2. `kcap detect -R falco_rules.yaml` on attack.kcap raises every rule that
#     expected.txt gives a step, and none that it says cannot fire.
#  3. `kcap detect -R falco_rules.yaml` on benign.kcap raises nothing.
#  4. What a live `kcap detect` captures is enough: attack.kcap cut to the
#     syscalls `kcap detect --print-interest` selects for falco_rules.yaml,
#     and for the three files (`kcap read -e`, which keeps the lifecycle and
#     drop events, as the kernel does), raises the same alerts, line for
#     line, as the whole recording, and every event kept has the same
#     process, user and descriptor fields as in the whole recording (the
#     thread table's syscalls are part of the selection).
# A rule that fails 1 or 2 for a reason listed in known-diffs.txt is
# reported with that reason; any other failure fails the test. Writes
# docs/falco-compat.md, and each rule's matches under build/falco/compare/.
# Environment: KCAP_FALCO_RULES (directory of the rules files, default
# ../shared/falco-rules next to the repository).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
kcap=$top/build/bin/kcap
rdir=${KCAP_FALCO_RULES:-$top/../shared/falco-rules}
in=$top/build/falco/guest/export
work=$top/build/falco/compare
doc=$top/docs/falco-compat.md
files=(falco_rules.yaml falco-incubating_rules.yaml falco-sandbox_rules.yaml)
fmt='%proc.name|%evt.type|%fd.name'
# sysdig prints an event only if every field of -p has a value, unless the
# format starts with '*'.
sdfmt="*$fmt"

die() {
	echo "compare.sh: $*" >&2
	exit 1
}
[ -x "$kcap" ] || die "no $kcap (make cli)"
command -v sysdig >/dev/null || die "sysdig is not installed (packaging/build-deps.sh bench)"
for f in "${files[@]}"; do
	[ -s "$rdir/$f" ] || die "no $rdir/$f (KCAP_FALCO_RULES)"
done
for f in attack.scap attack.kcap benign.kcap; do
	[ -s "$in/$f" ] || die "no $in/$f: run make test-falco"
done
rm -rf "$work"
mkdir -p "$work/rules"
# Both recordings hold the whole attack workload, up to its last exec.
end='evt.type=execve and proc.cmdline="falco-attack end"'
sysdig -r "$in/attack.scap" "evt.dir=< and $end" | grep -q . ||
	die "attack.scap lacks the workload's last exec (falco-attack end): sysdig lost events"
"$kcap" read -r "$in/attack.kcap" "$end" | grep -q . ||
	die "attack.kcap lacks the workload's last exec (falco-attack end): kcap lost events"
sdver=$(sysdig --version | awk '{ print $NF }')
kernel=$(sed -n 's/^### KCAP-GUEST START \([^ ]*\).*/\1/p' "$in/../serial.txt" 2>/dev/null | head -1)

# known-diffs.txt and expected.txt: RULE<TAB>... lines, # comments.
declare -A known step why
while IFS=$'\t' read -r rule reason; do
	[ -n "$rule" ] && [ "${rule:0:1}" != "#" ] && known[$rule]=$reason
done <"$here/known-diffs.txt"
while IFS=$'\t' read -r rule what text; do
	[ -n "$rule" ] && [ "${rule:0:1}" != "#" ] || continue
	step[$rule]=$what
	why[$rule]=$text
done <"$here/expected.txt"

# The rules, each with the file that brings it (Falco's load order) and its
# expanded condition.
paths=()
: >"$work/conds.tsv"
for f in "${files[@]}"; do
	paths+=("$rdir/$f")
	"$kcap" detect --print-conditions "${paths[@]}" >"$work/all.tsv" ||
		die "kcap detect --print-conditions ${files[*]} failed"
	cut -f2 "$work/conds.tsv" >"$work/names"
	awk -F'\t' -v f="$f" -v names="$work/names" '
		BEGIN { while ((getline l <names) > 0) seen[l] = 1 }
		!($1 in seen) { print f "\t" $0 }' "$work/all.tsv" >>"$work/conds.tsv"
done

# Loading: every rule of the three files, and those kcap skips.
"$kcap" detect --validate "${paths[@]}" >"$work/validate.out" 2>&1 ||
	die "kcap detect --validate failed: $(cat "$work/validate.out")"
declare -A skipped
while read -r rule; do
	skipped[$rule]=1
done < <(sed -n "s/.*rule '\(.*\)' skipped.*/\1/p" "$work/validate.out")
# Fields kcap has without data yet ("no data yet" in kcap list-fields).
"$kcap" list-fields | awk '/no data yet/ { sub(/\[.*|\.NAME$/, "", $1); print $1 }' \
	>"$work/nodata-fields"

# Alerts: the default file alone (checked), and the three files (shown).
alerts() { # RECORDING RULES... -> rule names, one per alert
	local rec=$1
	shift
	local r args=()
	for r in "$@"; do args+=(-R "$r"); done
	"$kcap" detect -r "$rec" "${args[@]}" -j 2>"$work/detect.err" |
		sed -n 's/.*"rule":"\([^"]*\)".*/\1/p' || die "kcap detect: $(cat "$work/detect.err")"
}
alerts "$in/attack.kcap" "$rdir/${files[0]}" | sort | uniq -c >"$work/fired-default"
alerts "$in/attack.kcap" "${paths[@]}" | sort | uniq -c >"$work/fired-all"
alerts "$in/benign.kcap" "$rdir/${files[0]}" | sort | uniq -c >"$work/benign-default"
alerts "$in/benign.kcap" "${paths[@]}" | sort | uniq -c >"$work/benign-all"
count_in() { # FILE RULE -> alerts of RULE in FILE
	awk -v r="$2" '{ n = $1; sub(/^ *[0-9]+ /, ""); if ($0 == r) c = n } END { print c + 0 }' "$1"
}

# The matches of one engine as sorted unique (proc.name|evt.type|fd.name),
# ephemeral ports, pids in /proc paths and inode numbers masked, the
# recorders' own events left out.
normalize() {
	sed -E 's#/proc/[0-9]+#/proc/PID#g
		s/:(3[2-9][0-9]{3}|[4-6][0-9]{4})([^0-9]|$)/:EPHEMERAL\2/g
		s/:\[[0-9]+\]/:[INO]/g' |
		awk -F'|' '$1 != "sysdig" && $1 != "kcap"' | LC_ALL=C sort -u
}

failures=0
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}
n=0
declare -A n_agree n_known n_rejected n_rules n_fired n_loaded
rows=$work/rows
: >"$rows"
while IFS=$'\t' read -r file rule cond; do
	n=$((n + 1))
	n_rules[$file]=$(( ${n_rules[$file]:-0} + 1 ))
	d=$work/rules/$(printf '%03d' "$n")
	mkdir -p "$d"
	printf '%s\n%s\n' "$rule" "$cond" >"$d/condition"
	nodata=$(grep -oE '[a-z0-9_]+\.[a-z0-9_.]+' <<<"$cond" | LC_ALL=C sort -u |
		grep -xFf "$work/nodata-fields" | paste -sd' ' || true)
	loads=yes
	[ -z "${skipped[$rule]:-}" ] || loads="skipped (a field kcap does not have)"
	[ "$loads" != yes ] || n_loaded[$file]=$(( ${n_loaded[$file]:-0} + 1 ))

	# 1. sysdig against kcap read.
	agree=""
	used_known=0
	# (</dev/null: the loop reads the rules from standard input)
	if sysdig -r "$in/attack.scap" -p "$sdfmt" "evt.dir=< and ($cond)" </dev/null \
		>"$d/sysdig.raw" 2>"$d/sysdig.err"; then
		"$kcap" read -r "$in/attack.kcap" -p "$fmt" "$cond" </dev/null >"$d/kcap.raw" \
			2>"$d/kcap.err" ||
			fail "$rule: kcap read: $(head -c 300 "$d/kcap.err")"
		normalize <"$d/sysdig.raw" >"$d/sysdig"
		normalize <"$d/kcap.raw" >"$d/kcap"
		LC_ALL=C comm -23 "$d/sysdig" "$d/kcap" >"$d/only-sysdig"
		LC_ALL=C comm -13 "$d/sysdig" "$d/kcap" >"$d/only-kcap"
		ns=$(wc -l <"$d/sysdig")
		if [ ! -s "$d/only-sysdig" ] && [ ! -s "$d/only-kcap" ]; then
			agree="yes ($ns matched)"
			n_agree[$file]=$(( ${n_agree[$file]:-0} + 1 ))
		else
			diffs="$(wc -l <"$d/only-sysdig") only in sysdig, $(wc -l <"$d/only-kcap") only in kcap"
			if [ -n "${known[$rule]:-}" ]; then
				agree="no ($diffs): ${known[$rule]}"
				used_known=1
				n_known[$file]=$(( ${n_known[$file]:-0} + 1 ))
			else
				agree="**no** ($diffs), unexplained"
				fail "$rule: sysdig and kcap match different events ($diffs):"
				sed 's/^/  only sysdig: /' "$d/only-sysdig" | head -5 >&2
				sed 's/^/  only kcap:   /' "$d/only-kcap" | head -5 >&2
				[ -z "$nodata" ] || echo "  (fields without data in kcap yet: $nodata)" >&2
			fi
		fi
	else
		err=$(grep -v '^$' "$d/sysdig.err" | head -1 | cut -c1-160)
		agree="sysdig $sdver rejects it: \`${err//|/\\|}\`"
		n_rejected[$file]=$(( ${n_rejected[$file]:-0} + 1 ))
	fi

	# 2. Firing (the default file's rules are checked against expected.txt).
	if [ "$file" = "${files[0]}" ]; then
		fired=$(count_in "$work/fired-default" "$rule")
		st=${step[$rule]:-}
		case "$st" in
		"step "*)
			how="${st#step }: ${why[$rule]}"
			if [ "$fired" -gt 0 ]; then
				fires="yes ($fired), step $how"
			elif [ -n "${known[$rule]:-}" ]; then
				fires="no: ${known[$rule]} (step $how)"
				used_known=1
			else
				fires="**no** (step $how)"
				fail "$rule: did not fire on attack.kcap (step $how)"
			fi
			;;
		none)
			if [ "$fired" -gt 0 ]; then
				fires="**yes ($fired)** though ${why[$rule]}"
				fail "$rule: fired $fired times, but expected.txt says it cannot: ${why[$rule]}"
			else
				fires="no: ${why[$rule]}"
			fi
			;;
		*)
			fires="?"
			fail "$rule: not in tests/falco/expected.txt"
			;;
		esac
	else
		fired=$(count_in "$work/fired-all" "$rule")
		fires=$([ "$fired" -gt 0 ] && echo "yes ($fired)" || echo "no")
	fi
	if [ -n "${known[$rule]:-}" ] && [ $used_known = 0 ]; then
		echo "note: $rule: agrees with sysdig and fires as expected now: remove its line from known-diffs.txt (${known[$rule]})" >&2
	fi
	[ "$fired" -eq 0 ] || n_fired[$file]=$(( ${n_fired[$file]:-0} + 1 ))
	printf '%s\t%s\t%s\t%s\t%s\n' "$file" "$rule" "$loads" "$fires" "$agree" >>"$rows"
done <"$work/conds.tsv"

# 3. The benign workload.
if [ -s "$work/benign-default" ]; then
	fail "benign.kcap raised alerts with ${files[0]}:"
	cat "$work/benign-default" >&2
fi

# 4. The rules' syscall selection.
reduced=""
for set in default all; do
	if [ $set = default ]; then rset=("$rdir/${files[0]}"); else rset=("${paths[@]}"); fi
	args=()
	for r in "${rset[@]}"; do args+=(-R "$r"); done
	sel=$("$kcap" detect --print-interest "${rset[@]}" 2>"$work/interest.err") ||
		die "kcap detect --print-interest: $(cat "$work/interest.err")"
	if [ "$sel" = all ]; then
		fail "kcap detect selects every syscall for the $set rules"
		continue
	fi
	"$kcap" read -r "$in/attack.kcap" -e "$sel" -w "$work/attack-$set.kcap" ||
		die "kcap read -e (the $set rules' syscalls) failed"
	"$kcap" detect -r "$in/attack.kcap" "${args[@]}" >"$work/alerts-$set-whole" 2>/dev/null ||
		die "kcap detect on attack.kcap failed"
	"$kcap" detect -r "$work/attack-$set.kcap" "${args[@]}" >"$work/alerts-$set-cut" 2>/dev/null ||
		die "kcap detect on the cut attack.kcap failed"
	ev_whole=$("$kcap" info "$in/attack.kcap" | awk '$1 == "events:" { print $2; exit }')
	ev_cut=$("$kcap" info "$work/attack-$set.kcap" | awk '$1 == "events:" { print $2; exit }')
	n_sel=$(tr , '\n' <<<"$sel" | grep -c .)
	sfmt='%evt.time %evt.type %proc.pid %proc.ppid %proc.name %proc.pname %proc.exepath %proc.cwd %proc.cmdline %user.name %user.uid %fd.num %fd.name %fd.type %fd.sip %fd.sport'
	"$kcap" read -r "$in/attack.kcap" -e "$sel" -p "$sfmt" >"$work/fields-$set-whole" ||
		die "kcap read -e -p on attack.kcap failed"
	"$kcap" read -r "$work/attack-$set.kcap" -p "$sfmt" >"$work/fields-$set-cut" ||
		die "kcap read -p on the cut attack.kcap failed"
	if ! cmp -s "$work/fields-$set-whole" "$work/fields-$set-cut"; then
		fail "the $set rules' syscalls leave fields wrong (whole recording <, cut >):"
		diff "$work/fields-$set-whole" "$work/fields-$set-cut" | head -10 >&2
	fi
	n_alerts=$(wc -l <"$work/alerts-$set-whole")
	if cmp -s "$work/alerts-$set-whole" "$work/alerts-$set-cut"; then
		reduced="$reduced- $set rules ($( [ $set = default ] && echo "\`${files[0]}\`" || echo "the three files")): $n_sel syscalls selected; $ev_cut of the $ev_whole events kept; the same $n_alerts alerts, the same fields\n"
	else
		fail "the $set rules raise other alerts on attack.kcap cut to their $n_sel syscalls:"
		diff "$work/alerts-$set-whole" "$work/alerts-$set-cut" | head -10 >&2
	fi
done

# docs/falco-compat.md
{
	echo "<!-- SPDX-License-Identifier: Apache-2.0 -->"
	echo "<!-- Generated by tests/falco/compare.sh (make test-falco); do not edit. -->"
	echo "# Falco's upstream rules in kcap"
	echo
	src=$(grep -om1 'commit [0-9a-f]\{7,\}' "$rdir/README.md" 2>/dev/null || true)
	echo "Falco's rules (falcosecurity/rules${src:+ at $src}: \`falco_rules.yaml\`, then"
	echo "\`falco-incubating_rules.yaml\` and \`falco-sandbox_rules.yaml\`, Falco's load"
	echo "order) checked by \`make test-falco\` in one boot of Debian's kernel $kernel"
	echo "(tests/falco/README.md):"
	echo
	echo "- **loads**: the rule compiles in \`kcap detect\` (all three files loaded)."
	echo "- **fires**: \`kcap detect -r attack.kcap\` raises it on the guest's attack"
	echo "  workload (tests/falco/attack.sh; the step that triggers each rule is in"
	echo "  tests/falco/expected.txt), with the reason when it cannot. For the two"
	echo "  other files, whether it fired with the three files loaded (not checked)."
	echo "- **agrees with sysdig**: the rule's condition, macros and lists expanded"
	echo "  (\`kcap detect --print-conditions\`), evaluated by Debian's sysdig $sdver on"
	echo "  the same workload recorded with its scap.ko and by \`kcap read\` on kcap's"
	echo "  recording: the same set of (proc.name, evt.type, fd.name) matches. sysdig"
	echo "  sees exit events only (kcap records one event per system call, at its exit,"
	echo "  with the enter arguments). Known differences and their causes:"
	echo "  tests/falco/known-diffs.txt."
	echo
	echo "Live, \`kcap detect\` captures only the syscalls its rules can match and"
	echo "those its thread table needs (\`kcap detect --print-interest\`). The attack"
	echo "recording cut to that selection (\`kcap read -e\`, lifecycle events kept as"
	echo "the kernel keeps them) raises the same alerts, line for line:"
	echo
	printf '%b' "$reduced"
	echo
	echo "The benign workload (tests/falco/benign.sh) recorded by kcap raises"
	echo "$(awk '{ s += $1 } END { print s + 0 }' "$work/benign-default") alerts with \`falco_rules.yaml\` and" \
		"$(awk '{ s += $1 } END { print s + 0 }' "$work/benign-all") with the three files."
	echo
	echo "| file | rules | load | fire | agree with sysdig | known differences | sysdig rejects |"
	echo "|---|---|---|---|---|---|---|"
	for f in "${files[@]}"; do
		echo "| \`$f\` | ${n_rules[$f]:-0} | ${n_loaded[$f]:-0} | ${n_fired[$f]:-0} |" \
			"${n_agree[$f]:-0} | ${n_known[$f]:-0} | ${n_rejected[$f]:-0} |"
	done
	for f in "${files[@]}"; do
		echo
		echo "## \`$f\`"
		echo
		echo "| rule | loads | fires in the guest workload | agrees with sysdig |"
		echo "|---|---|---|---|"
		awk -F'\t' -v f="$f" '$1 == f { gsub(/\|/, "\\|", $2); print "| " $2 " | " $3 " | " $4 " | " $5 " |" }' "$rows"
	done
} >"$doc"

total=$(wc -l <"$rows")
echo "compare.sh: $total rules: $(awk '{ s += $1 } END { print s + 0 }' "$work/fired-default") alerts on attack.kcap" \
	"with ${files[0]}, $failures failures; ${doc#"$top"/} written" >&2
[ "$failures" -eq 0 ]
