# SPDX-License-Identifier: Apache-2.0
#
# Shared helpers of the host-side packaging tests (sourced). Results are TAP
# lines prefixed with "[pkg]"; finish() prints "N passed, M failed" and sets
# the exit status.

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tap_n=0
tap_failed=0

pass() {
	tap_n=$((tap_n + 1))
	echo "[pkg] ok $tap_n - $*"
}

fail() {
	tap_n=$((tap_n + 1))
	tap_failed=$((tap_failed + 1))
	echo "[pkg] not ok $tap_n - $*"
}

# diag FILE: a command's output as diagnostics (at most 20 lines).
diag() {
	head -n 20 "$1" | sed 's/^/[pkg]   # /'
}

# check WHAT CMD...: one result from a command's exit status.
check() {
	local what=$1 log rc=0
	shift
	log=$(mktemp)
	"$@" >"$log" 2>&1 || rc=$?
	if [ $rc -eq 0 ]; then
		pass "$what"
	else
		fail "$what (status $rc)"
		diag "$log"
	fi
	rm -f "$log"
	return $rc
}

# Release of the host's installed linux-headers-amd64 (DKMS and sign-file
# build against it; the host kernel itself loads no module).
headers_release() {
	local dep
	for dep in $(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null | tr ',' ' '); do
		case "$dep" in
		linux-headers-*) echo "${dep#linux-headers-}"; return 0 ;;
		esac
	done
	return 1
}

# Version of the kcap packages: PACKAGE_VERSION of dkms.conf.
kcap_version() {
	sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf"
}

finish() {
	echo "[pkg] $((tap_n - tap_failed)) passed, $tap_failed failed"
	[ $tap_failed -eq 0 ]
}
