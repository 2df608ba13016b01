#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# matrix.sh module SPEC...   build kcap.ko for each kernel
# matrix.sh test SPEC...     build kcap.ko and run the guest cases for each
#                            kernel, then write docs/kernels.md
#
# SPEC: "host", "all", a suite name or a kernel release prefix (see
# kernels.sh). The host's suite builds on the host, every other suite in its
# cached chroot. One kernel's failure does not stop the others; the exit
# status is non-zero if any kernel failed.
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
status=0
rows=""
while read -r suite rel; do
	build=ok
	passed=- failed=- secs=-
	"$here/build-module.sh" "$suite" "$rel" </dev/null || build=failed
	if [ $build = ok ] && [ "$mode" = test ]; then
		passed=0 failed=0 secs=0
		if append_groups | grep -qx '(none)'; then
			"$here/run-guest.sh" "$rel" </dev/null || status=1
			read -r passed failed secs _ <"$top/build/vm/$rel/result" || true
		fi
		# Cases that need other kernel arguments: one more short boot
		# per "# kcap-append:" line (run-guest.sh), results added up.
		while read -r args; do
			[ "$args" != "(none)" ] || continue
			KCAP_APPEND=$args "$here/run-guest.sh" "$rel" </dev/null || status=1
			read -r p f s _ <"$top/build/vm/$rel/append-$(printf %s "$args" | tr -c 'A-Za-z0-9.=_-' _)/result" ||
				continue
			[[ "$passed$failed$secs" =~ ^[0-9]+$ ]] || continue
			passed=$((passed + p)) failed=$((failed + f)) secs=$((secs + s))
		done < <(append_groups)
		secs="$secs s"
	fi
	[ $build = ok ] || status=1
	rows="$rows$suite|$rel|$(suite_cc "$suite" "$rel")|$build|$passed|$failed|$secs"$'\n'
done <<<"$kernels"

if [ "$mode" = test ]; then
	"$here/kernels-md.sh" "$top/docs/kernels.md" <<<"$rows"
	echo
	echo "Kernel matrix (docs/kernels.md):"
	printf '%s' "$rows" | awk -F'|' '{ printf "  %-9s %-24s build %-6s passed %-3s failed %s\n", $1, $2, $4, $5, $6 }'
fi
exit $status
