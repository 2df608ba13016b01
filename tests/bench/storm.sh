#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# storm.sh: the syscall-storm benchmark (issue 18, row 4), run by bench.sh
# (make bench) after the main guest. One boot of the host's Debian kernel
# with two vCPUs (multi-threaded TCG: -icount with two vCPUs did not get
# through the boot here in 6 minutes), storm-guest.sh inside: the
# same stress-ng storm under kcap record (every syscall), kcap detect
# (Falco's default rules) and the peer (scap.ko + sysdig -w), default rings,
# the capturing process at the stressors' priority. Writes the fragment
# build/bench/storm.md for docs/benchmarks.md.
#
# Environment: KCAP_STORM_SECS (the storm's guest seconds, default 8; quick
# mode 2).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/vm/lib.sh"
out=${KCAP_BENCH_OUT:-$top/build/bench}
mode=${KCAP_BENCH_MODE:-full}
secs=${KCAP_STORM_SECS:-8}
[ "$mode" != quick ] || secs=${KCAP_STORM_SECS:-2}
command -v stress-ng >/dev/null || die "no stress-ng (packaging/build-deps.sh vm)"
read -r _ rel <<<"$("$top/tests/vm/kernels.sh" resolve host)"

KCAP_BENCH_OUT=$out/storm KCAP_BENCH_GUEST=$here/storm-guest.sh KCAP_BENCH_BINS=stress-ng \
	KCAP_BENCH_MACHINE="-smp 2 -accel tcg,thread=multi" KCAP_BENCH_ARGS="kcap_storm_secs=$secs" \
	KCAP_BENCH_TIMEOUT=${KCAP_BENCH_TIMEOUT:-1500} "$here/run-bench.sh" "$rel"

res=$out/storm/results
cat "$res"
LC_ALL=C awk -v secs="$secs" -f "$here/storm.awk" "$res" >"$out/storm.md"
log "wrote ${out#"$top"/}/storm.md"
