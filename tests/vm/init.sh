#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# /init of the test guest (busybox sh). Runs every case script in /cases in
# order, each between "### CASE name BEGIN" and "### CASE name END status secs"
# markers on the serial console, dumps the kernel log, then powers off.
# run-guest.sh reads these markers; keep them in step with it.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
# Kernel arguments of the form NAME=VALUE (run-guest.sh's KCAP_GUEST_ENV)
# arrive here as environment variables, and the cases inherit them.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
# Each case gets at most this long before the guest moves on.
case_limit=${kcap_case_limit:-120}

echo "### KCAP-GUEST START $(uname -r)"
for c in /cases/[0-9]*.sh; do
	[ -e "$c" ] || continue
	name=$(basename "$c" .sh)
	# "# kcap-case-not-on: debug" in a case's header: the debug kernel
	# (KASAN, lockdep, kmemleak; 3 to 5 times slower) runs the cases that
	# drive the driver, not those about user-space behaviour.
	if grep -q '^# kcap-case-not-on: debug' "$c"; then
		case "$(uname -r)" in
		*-kcapdebug)
			echo "### CASE $name BEGIN"
			echo "ok 1 - $name # SKIP user-space behaviour: not on the debug kernel"
			echo "### CASE $name END 0 0.0"
			continue ;;
		esac
	fi
	# "# kcap-case-only-on: GLOB..." in a case's header: a case about
	# user-space behaviour over the driver's plain capture runs on the
	# kernels whose release matches a GLOB, not on every kernel.
	only=$(sed -n 's/^# kcap-case-only-on: //p' "$c")
	if [ -n "$only" ]; then
		hit=""
		set -f
		for g in $only; do
			# shellcheck disable=SC2254
			case "$(uname -r)" in $g) hit=1 ;; esac
		done
		set +f
		if [ -z "$hit" ]; then
			echo "### CASE $name BEGIN"
			echo "ok 1 - $name # SKIP user-space behaviour: proven on $only"
			echo "### CASE $name END 0 0.0"
			continue
		fi
	fi
	# "# kcap-case-time: VAR DEFAULT" in a case's header: it runs for $VAR
	# (DEFAULT if unset) seconds on top of the usual limit.
	limit=$case_limit
	extra=$(sed -n 's/^# kcap-case-time: //p' "$c")
	if [ -n "$extra" ]; then
		set -- $extra
		eval "secs=\${$1:-$2}"
		limit=$((case_limit + secs))
	fi
	echo "### CASE $name BEGIN"
	cd /tmp
	t0=$(cut -d' ' -f1 /proc/uptime)
	timeout "$limit" sh "$c" </dev/null 2>&1
	st=$?
	# The case's wall time (guest clock) follows its status.
	echo "### CASE $name END $st $(awk -v t0="$t0" '{ printf "%.1f", $1 - t0 }' /proc/uptime)"
done
echo "### DMESG BEGIN"
dmesg
echo "### DMESG END"
echo "### KCAP-GUEST DONE"
sync
poweroff -f
