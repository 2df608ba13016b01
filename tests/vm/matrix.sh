#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# matrix.sh module SPEC...   build kcap.ko for each kernel
# matrix.sh test SPEC...     build kcap.ko and run the guest cases for each
#                            kernel, then write docs/kernels.md
#
# SPEC: "host", "all", a suite name or a kernel release prefix (see
# kernels.sh). The host's suite builds on the host, every other suite in its
# cached chroot. Kernels are tested KCAP_JOBS at a time (default: the number
# of CPUs). One kernel's failure does not stop the others; the exit status is
# non-zero if any kernel failed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

mode=${1:-}
[ "$mode" = module ] || [ "$mode" = test ] || die "usage: matrix.sh module|test SPEC..."
shift
[ $# -gt 0 ] || set -- host

deps=vm
for spec in "$@"; do
	case "$spec" in
	host|"$(host_suite)") ;;
	rt|debug) deps="$deps $spec" ;;
	*) deps="$deps matrix" ;;
	esac
done
"$top/packaging/build-deps.sh" $deps

# The distinct "# kcap-append: ARGS" lines of the selected cases.
append_groups() {
	local c
	for c in "$here"/cases/[0-9]*.sh; do
		[ -n "${KCAP_CASES:-}" ] && ! [[ " $KCAP_CASES " == *" $(basename "$c" .sh) "* ]] &&
			continue
		sed -n 's/^# kcap-append: //p' "$c" | grep . || echo "(none)"
	done | sort -u
}

kernels=$("$here/kernels.sh" resolve "$@")

# build_kernel SUITE RELEASE: kcap.ko for it; "ok" or "failed" in
# build/vm/RELEASE/matrix.build.
build_kernel() {
	local res=ok
	"$here/build-module.sh" "$1" "$2" </dev/null || res=failed
	echo $res >"$top/build/vm/$2/matrix.build"
}

# test_kernel SUITE RELEASE: boot and test one kernel whose module is built;
# its docs/kernels.md row goes to build/vm/RELEASE/matrix.row and its status
# (0 or 1) to matrix.status.
test_kernel() {
	local suite=$1 rel=$2 build passed=- failed=- secs=- st=0 p f s args
	local dir=$top/build/vm/$rel
	build=$(cat "$dir/matrix.build")
	if [ "$build" = ok ] && [ "$mode" = test ]; then
		passed=0 failed=0 secs=0
		if append_groups | grep -qx '(none)'; then
			"$here/run-guest.sh" "$rel" </dev/null || st=1
			read -r passed failed secs _ <"$dir/result" || true
		fi
		# Cases that need other kernel arguments: one more short boot
		# per "# kcap-append:" line (run-guest.sh), results added up.
		while read -r args; do
			[ "$args" != "(none)" ] || continue
			KCAP_APPEND=$args "$here/run-guest.sh" "$rel" </dev/null || st=1
			read -r p f s _ <"$dir/append-$(printf %s "$args" | tr -c 'A-Za-z0-9.=_-' _)/result" ||
				continue
			[[ "$passed$failed$secs" =~ ^[0-9]+$ ]] || continue
			passed=$((passed + p)) failed=$((failed + f)) secs=$((secs + s))
		done < <(append_groups)
		secs="$secs s"
	fi
	[ "$build" = ok ] || st=1
	echo "$suite|$rel|$(suite_cc "$suite" "$rel")|$build|$passed|$failed|$secs" >"$dir/matrix.row"
	echo $st >"$dir/matrix.status"
}

# each_kernel FUNC: FUNC SUITE RELEASE for every kernel, KCAP_JOBS at a time
# (default: one per CPU; a guest is one emulator thread), each one's output
# printed in one piece when it ends. The debug kernel, the slowest by far,
# starts first so that the others fill the other lanes meanwhile.
each_kernel() {
	local fn=$1 jobs=${KCAP_JOBS:-$(nproc)} running=0 suite rel order
	order=$(grep -- '-kcapdebug$' <<<"$kernels" || true)
	order=$(printf '%s\n%s' "$order" "$(grep -v -- '-kcapdebug$' <<<"$kernels" || true)" | grep .)
	while read -r suite rel; do
		mkdir -p "$top/build/vm/$rel"
		if [ "$jobs" -le 1 ]; then
			$fn "$suite" "$rel"
			continue
		fi
		if [ $running -ge "$jobs" ]; then
			wait -n || true
			running=$((running - 1))
		fi
		(
			$fn "$suite" "$rel" >"$top/build/vm/$rel/matrix.$fn.log" 2>&1
			cat "$top/build/vm/$rel/matrix.$fn.log"
		) &
		running=$((running + 1))
	done <<<"$order"
	wait
}

# Every module first: a guest takes another kernel's kcap.ko for `kcap
# driver check`, which must not be in the middle of its build.
while read -r suite rel; do
	rm -f "$top/build/vm/$rel/matrix.build" "$top/build/vm/$rel/matrix.status"
done <<<"$kernels"
each_kernel build_kernel
each_kernel test_kernel

status=0
rows=""
while read -r suite rel; do
	dir=$top/build/vm/$rel
	[ "$(cat "$dir/matrix.status" 2>/dev/null)" = 0 ] || status=1
	rows="$rows$(cat "$dir/matrix.row" 2>/dev/null || echo "$suite|$rel|-|failed|-|-|-")"$'\n'
done <<<"$kernels"

if [ "$mode" = test ]; then
	"$here/kernels-md.sh" "$top/docs/kernels.md" <<<"$rows"
	echo
	echo "Kernel matrix (docs/kernels.md):"
	printf '%s' "$rows" | awk -F'|' '{ printf "  %-9s %-24s build %-6s passed %-3s failed %s\n", $1, $2, $4, $5, $6 }'
fi
exit $status
