#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# run-bench.sh [--quick] RELEASE: boot kernel RELEASE in one QEMU guest with
# `-icount shift=0,sleep=off -smp 1` (guest time = guest instructions) and
# run tests/bench/guest.sh: every workload under every configuration (no
# tracing, kcap producer only, kcap record -w, kcap detect with Falco's
# default rules, ftrace raw_syscalls, the Debian-packaged peer scap.ko +
# sysdig -w), then the drop-policy proof.
#
# A sibling of tests/vm/run-guest.sh (same initramfs layout, /init and TAP
# helpers) with the benchmark's own files: kbench, a static /bin/true, the
# peer's module and sysdig with its libraries. Output in build/bench/guest/:
# serial.log, results (the RESULT lines), export/ (capture files).
#
# Environment: KCAP_BENCH_TIMEOUT (seconds, default 2400), KCAP_QEMU_ARGS
# (extra QEMU options), KCAP_BENCH_CONFIGS (configurations in order,
# comma-separated), KCAP_FALCO_RULES (directory of Falco's rules files,
# default ../shared/falco-rules next to the repository),
# KCAP_KEEP=1 (keep the initramfs tree). For another benchmark guest
# (storm.sh): KCAP_BENCH_GUEST (its case script instead of guest.sh),
# KCAP_BENCH_MACHINE (QEMU's CPU options instead of the icount ones),
# KCAP_BENCH_BINS (more host programs for the guest, with their libraries).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
vm=$top/tests/vm
. "$vm/lib.sh"

mode=full
if [ "${1:-}" = --quick ]; then
	mode=quick
	shift
fi
[ $# -eq 1 ] || die "usage: run-bench.sh [--quick] RELEASE"
rel=$1
limit=${KCAP_BENCH_TIMEOUT:-2400}
out=${KCAP_BENCH_OUT:-$top/build/bench/guest}
ko=${KCAP_BENCH_KO:-$top/build/kmod/$rel/kcap.ko}
cli=$top/build/bin/kcap-static
kbench=$top/build/bench/kbench
ktrue=$top/build/bench/true
[ -s "$ko" ] || die "$rel: no $ko: run 'make module KERNEL=$rel'"
for f in "$cli" "$kbench" "$ktrue"; do
	[ -x "$f" ] || die "no ${f#"$top"/}: run 'make bench'"
done
vmlinuz=$("$vm/kernels.sh" image "$rel")

mkdir -p "$out"
root=$out/initramfs
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib,dev,proc,sys,tmp,cases,etc}
cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list-full); do
	[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done
cp "$vm/init.sh" "$root/init"
chmod 755 "$root/init"
cp "$vm/tap.sh" "$root/lib/tap.sh"
cp "$here/guest.lib" "$root/lib/bench.sh"
cp "$ko" "$root/lib/kcap.ko"
cp "${KCAP_BENCH_GUEST:-$here/guest.sh}" "$root/cases/90-bench.sh"
for b in ${KCAP_BENCH_BINS:-}; do
	add_bin "$(command -v "$b")" "$b"
done

add_bin "$cli" kcap
add_bin "$kbench" kbench
# Falco's default rules for the kcap-detect configuration (KCAP_FALCO_RULES:
# the directory of Falco's rules files, as for make test-falco).
falco_rules=${KCAP_FALCO_RULES:-$top/../shared/falco-rules}/falco_rules.yaml
if [ -s "$falco_rules" ]; then
	mkdir -p "$root/etc/kcap"
	cp "$falco_rules" "$root/etc/kcap/falco_rules.yaml"
else
	log "kcap detect left out: no $falco_rules (KCAP_FALCO_RULES)"
fi
rm -f "$root/bin/true"
cp "$ktrue" "$root/bin/true"

# The peer: the scap module DKMS built for this kernel, and sysdig.
peer_note=""
scap=$(modinfo -k "$rel" -F filename scap 2>/dev/null || true)
if [ -z "$scap" ] || [ ! -f "$scap" ]; then
	peer_note="no scap module for $rel (packaging/build-deps.sh bench installs falcosecurity-scap-dkms, whose DKMS build makes it)"
elif ! command -v sysdig >/dev/null; then
	peer_note="sysdig is not installed (packaging/build-deps.sh bench)"
else
	case "$scap" in
	*.xz) xz -dc "$scap" >"$root/lib/scap.ko" ;;
	*.zst) zstd -qdc "$scap" >"$root/lib/scap.ko" ;;
	*) cp "$scap" "$root/lib/scap.ko" ;;
	esac
	add_bin "$(command -v sysdig)" sysdig
	echo "root:x:0:0:root:/:/bin/sh" >"$root/etc/passwd"
	echo "root:x:0:" >"$root/etc/group"
fi
[ -z "$peer_note" ] || log "peer left out: $peer_note"
echo "${peer_note}" >"$out/peer-note"

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
	gzip -1 >"$out/initrd.gz"

serial=$out/serial.log
exports=$out/export.bin
rm -rf "$out/export"
: >"$serial"
: >"$exports"
start=$(date +%s)
qemu_pid=""
trap '[ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null; exit 130' INT TERM
# shellcheck disable=SC2086
timeout -k 5 "$limit" qemu-system-x86_64 -m 2048 ${KCAP_BENCH_MACHINE:--smp 1 -icount shift=0,sleep=off} \
	-display none -serial "file:$serial" -serial "file:$exports" -no-reboot \
	-kernel "$vmlinuz" -initrd "$out/initrd.gz" \
	-append "console=ttyS0 quiet panic=-1 panic_on_warn=1 oops=panic kcap_case_limit=$limit kcap_bench=$mode${KCAP_BENCH_ARGS:+ $KCAP_BENCH_ARGS}${KCAP_BENCH_CONFIGS:+ kcap_bench_configs=$KCAP_BENCH_CONFIGS}${KCAP_BENCH_ONLY:+ kcap_bench_only=$KCAP_BENCH_ONLY}${KCAP_BENCH_DROP:+ kcap_bench_drop=$KCAP_BENCH_DROP}" \
	${KCAP_QEMU_ARGS:-} </dev/null >"$out/qemu.log" 2>&1 &
qemu_pid=$!
rc=0
wait "$qemu_pid" || rc=$?
qemu_pid=""
trap - INT TERM
secs=$(( $(date +%s) - start ))

# Exported files (the capture files of the record and peer runs).
split_exports "$exports" "$out/export" "$rel"

tr -d '\r' <"$serial" | grep -E '^RESULT ' >"$out/results" || true
tr -d '\r' <"$serial" | grep -E '^not ok|^# ' >"$out/problems" || true
[ "${KCAP_KEEP:-0}" = 1 ] || rm -rf "$root" "$out/initrd.gz"
log "$rel: bench guest ran ${secs} s ($(wc -l <"$out/results") results); serial log: ${serial#"$top"/}"
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
	die "bench guest timed out after $limit s"
fi
grep -q '^### KCAP-GUEST DONE' <(tr -d '\r' <"$serial") || die "bench guest did not finish (qemu status $rc)"
if grep -qE 'Kernel panic|WARNING:|BUG:|Oops|Call Trace' "$serial"; then
	die "kernel problem in the bench guest: $(grep -m1 -E 'Kernel panic|WARNING:|BUG:|Oops|Call Trace' "$serial")"
fi
if [ -s "$out/problems" ]; then
	log "bench guest reported problems:"
	cat "$out/problems" >&2
fi
