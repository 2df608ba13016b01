# SPDX-License-Identifier: Apache-2.0
#
# TAP helpers for guest case scripts, installed as /lib/tap.sh. A case prints
# "ok N - what" or "not ok N - what" per check, with "# ..." diagnostics
# after a failure; run-guest.sh numbers all cases' results together.

KO=/lib/kcap.ko
tap_n=0

pass() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $*"
}

fail() {
	tap_n=$((tap_n + 1))
	echo "not ok $tap_n - $*"
}

# diag FILE: show a command's output as TAP diagnostics.
diag() {
	sed 's/^/# /' "$1"
}

# check WHAT CMD...: one result from a command's exit status.
check() {
	what=$1
	shift
	if "$@" >/tmp/check.out 2>&1; then
		pass "$what"
	else
		fail "$what (status $?)"
		diag /tmp/check.out
	fi
}

loaded() {
	grep -q '^kcap ' /proc/modules
}

# run_tap PROGRAM ARGS...: run a TAP-printing test program and pass its
# results through; a missing program, a crash or a non-zero exit without a
# "not ok" line is reported as a failure of its own.
run_tap() {
	if ! command -v "$1" >/dev/null; then
		fail "$* (program not in the guest)"
		return
	fi
	"$@" >/tmp/tap.out 2>&1
	st=$?
	awk -v n=$tap_n -v what="$1 $2" '
		/^(not )?ok( |$)/ {
			res = ($1 == "not") ? "not ok" : "ok"
			sub(/^(not )?ok *[0-9]* *-? */, "")
			printf "%s %d - %s: %s\n", res, ++n, what, $0
		}' /tmp/tap.out
	tap_n=$((tap_n + $(grep -cE '^(not )?ok( |$)' /tmp/tap.out)))
	if [ $st -ne 0 ] && ! grep -qE '^not ok( |$)' /tmp/tap.out; then
		fail "$* exited with status $st"
		diag /tmp/tap.out
	elif ! grep -qE '^(not )?ok( |$)' /tmp/tap.out; then
		fail "$* printed no result"
		diag /tmp/tap.out
	elif grep -qE '^not ok( |$)' /tmp/tap.out; then
		grep '^#' /tmp/tap.out
	fi
}

# wait_for FILE TEXT SECONDS: wait until FILE contains TEXT.
wait_for() {
	i=0
	while [ $i -lt $(($3 * 10)) ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		usleep 100000
		i=$((i + 1))
	done
	return 1
}

# export_file NAME FILE: send FILE to the host over the second serial port
# (raw mode); run-guest.sh stores it as build/vm/RELEASE/export/NAME for
# the case's host-side check, tests/vm/host/CASE.sh.
export_file() {
	if [ ! -c /dev/ttyS1 ] || ! stty -F /dev/ttyS1 raw -echo 2>/dev/null; then
		fail "export $1: no usable /dev/ttyS1"
		return 1
	fi
	{
		printf 'KCAP-EXPORT %s %d\n' "$1" "$(($(wc -c <"$2")))"
		cat "$2"
	} >/dev/ttyS1
}

# A background workload touching getppid and openat; stop with stop_load.
start_load() {
	(while :; do sh -c 'cat /proc/version' >/dev/null; done) &
	load_pid=$!
}

stop_load() {
	kill "$load_pid" 2>/dev/null
	wait "$load_pid" 2>/dev/null
}
