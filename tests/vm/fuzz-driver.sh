#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# fuzz-driver.sh DURATION SEED SPEC...: run only the guest case 85-fuzz
# (the interface fuzzer, guest/kcap_fuzz.c) for DURATION seconds on each
# kernel of SPEC (default host; see kernels.sh). SEED "" picks one; it is
# printed, and the same SEED replays the fuzzer's random choices.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

[ $# -ge 2 ] || die "usage: fuzz-driver.sh DURATION SEED [SPEC...]"
duration=$1 seed=$2
shift 2
[ $# -gt 0 ] || set -- host
[[ "$duration" =~ ^[0-9]+$ ]] && [ "$duration" -gt 0 ] || die "DURATION: seconds, got '$duration'"
[ -n "$seed" ] || seed=$(( (RANDOM << 15 | RANDOM) % 1000000000 ))
[[ "$seed" =~ ^[0-9]+$ ]] || die "SEED: a decimal number, got '$seed'"

deps=vm
for spec in "$@"; do
	[ "$spec" = host ] || [ "$spec" = "$(host_suite)" ] || deps=matrix
done
"$top/packaging/build-deps.sh" $deps

log "fuzzing for $duration s per kernel, seed $seed"
status=0
while read -r suite rel; do
	if ! "$here/build-module.sh" "$suite" "$rel" </dev/null; then
		status=1
		continue
	fi
	# The fuzzer's own time, its 30 s of cleanup and the boot.
	KCAP_CASES=85-fuzz KCAP_VM_TIMEOUT=$((duration + 240)) \
		KCAP_GUEST_ENV="KCAP_FUZZ_SECS=$duration KCAP_FUZZ_SEED=$seed" \
		"$here/run-guest.sh" "$rel" </dev/null || status=1
done < <("$here/kernels.sh" resolve "$@")
log "seed $seed; replay: make fuzz-driver DURATION=$duration SEED=$seed KERNELS=\"$*\""
exit $status
