#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# run-falco.sh RELEASE: boot kernel RELEASE once in QEMU and run
# tests/falco/guest.sh there: the attack workload under sysdig (the
# Debian-packaged scap.ko) and under kcap record, the benign workload under
# kcap record. Capture files land in build/falco/guest/export/
# (attack.scap, attack.kcap, benign.kcap), the serial log next to them.
#
# A sibling of tests/bench/run-bench.sh (same initramfs layout, /init and
# TAP helpers), without -icount: nothing is timed here.
# Environment: KCAP_FALCO_KO (kcap.ko, default build/kmod/RELEASE/kcap.ko),
# KCAP_FALCO_TIMEOUT (seconds, default 600), KCAP_QEMU_ARGS, KCAP_ACCEL
# (QEMU -accel value, default "tcg,thread=single"), KCAP_KEEP=1.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
vm=$top/tests/vm
. "$vm/lib.sh"

[ $# -eq 1 ] || die "usage: run-falco.sh RELEASE"
rel=$1
limit=${KCAP_FALCO_TIMEOUT:-600}
# The guest's case ends well before QEMU's limit, so that a hung case still
# shows its output and the kernel log.
case_limit=$((limit * 2 / 3))
out=$top/build/falco/guest
ko=${KCAP_FALCO_KO:-$top/build/kmod/$rel/kcap.ko}
cli=$top/build/bin/kcap-static
attack=$top/build/falco/falco-attack
[ -s "$ko" ] || die "$rel: no $ko: run 'make module KERNEL=$rel'"
for f in "$cli" "$attack"; do
	[ -x "$f" ] || die "no ${f#"$top"/}: run 'make test-falco'"
done
vmlinuz=$("$vm/kernels.sh" image "$rel")

mkdir -p "$out"
root=$out/initramfs
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib/falco,dev,proc,sys,tmp,cases,etc,root}
cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list-full); do
	[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done
cp "$vm/init.sh" "$root/init"
chmod 755 "$root/init"
cp "$vm/tap.sh" "$root/lib/tap.sh"
cp "$ko" "$root/lib/kcap.ko"
cp "$here/guest.sh" "$root/cases/50-falco.sh"
cp "$here/attack.sh" "$here/benign.sh" "$root/lib/falco/"
cp "$cli" "$root/bin/kcap"
cp "$attack" "$root/bin/falco-attack"
# The users the rules name (System user interactive: nobody).
printf '%s\n' root:x:0:0:root:/root:/bin/sh daemon:x:1:1:daemon:/:/bin/false \
	nobody:x:65534:65534:nobody:/:/bin/false >"$root/etc/passwd"
printf '%s\n' root:x:0: daemon:x:1: nogroup:x:65534: >"$root/etc/group"
printf '%s\n' 'root:*:19000:0:99999:7:::' 'nobody:*:19000:0:99999:7:::' >"$root/etc/shadow"
chmod 640 "$root/etc/shadow"


# The second engine: the scap module DKMS built for this kernel, and sysdig.
scap=$(modinfo -k "$rel" -F filename scap 2>/dev/null || true)
if [ -z "$scap" ] || [ ! -f "$scap" ]; then
	die "no scap module for $rel (packaging/build-deps.sh bench installs falcosecurity-scap-dkms, whose DKMS build makes it)"
fi
command -v sysdig >/dev/null || die "sysdig is not installed (packaging/build-deps.sh bench)"
case "$scap" in
*.xz) xz -dc "$scap" >"$root/lib/scap.ko" ;;
*.zst) zstd -qdc "$scap" >"$root/lib/scap.ko" ;;
*) cp "$scap" "$root/lib/scap.ko" ;;
esac
add_bin "$(command -v sysdig)" sysdig

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
	gzip -1 >"$out/initrd.gz"

serial=$out/serial.log
exports=$out/export.bin
rm -rf "$out/export"
: >"$serial"
: >"$exports"
start=$(date +%s)
# loglevel=5 (not quiet): should a soft lockup or RCU stall ever show up
# here again (once, on a loaded machine: both vCPUs, during the benign
# workload), its report comes with every CPU's stack.
# Single-threaded TCG, as the guest matrix (run-guest.sh): under
# multi-threaded TCG, code the kernel patches in itself while another vCPU
# runs it (static keys and tracepoints: insmod scap.ko and kcap.ko, sysdig
# and kcap record starting) once gave the matrix a spurious "Oops: int3";
# this guest, still multi-threaded, ended twice on loaded machines: once
# with a soft lockup report, once (CI) by a reboot 20 s into its run with
# no DONE line. KCAP_ACCEL overrides it.
qemu_pid=""
trap '[ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null; exit 130' INT TERM
timeout -k 5 "$limit" qemu-system-x86_64 -accel "${KCAP_ACCEL:-tcg,thread=single}" \
	-m 1024 -smp 2 \
	-display none -serial "file:$serial" -serial "file:$exports" -no-reboot \
	-kernel "$vmlinuz" -initrd "$out/initrd.gz" \
	-append "console=ttyS0 loglevel=5 softlockup_all_cpu_backtrace=1 panic=-1 panic_on_warn=1 oops=panic kcap_case_limit=$case_limit" \
	${KCAP_QEMU_ARGS:-} </dev/null >"$out/qemu.log" 2>&1 &
qemu_pid=$!
rc=0
wait "$qemu_pid" || rc=$?
qemu_pid=""
trap - INT TERM
secs=$(( $(date +%s) - start ))
split_exports "$exports" "$out/export" "$rel"
[ "${KCAP_KEEP:-0}" = 1 ] || rm -rf "$root" "$out/initrd.gz"
log "$rel: falco guest ran ${secs} s; serial log: ${serial#"$top"/}"
tr -d '\r' <"$serial" >"$out/serial.txt"
# A failed boot shows the end of its serial log here: CI keeps no files.
show_tail() {
	echo "run-falco.sh: the last 80 lines of the guest's serial log:" >&2
	tail -n 80 "$out/serial.txt" | sed 's/^/  | /' >&2
}
if [ $rc -eq 124 ] || [ $rc -eq 137 ] || [ $secs -ge "$limit" ]; then
	show_tail
	die "falco guest timed out after $limit s"
fi
if ! grep -q '^### KCAP-GUEST DONE' "$out/serial.txt"; then
	show_tail
	die "falco guest did not finish (qemu status $rc)"
fi
if grep -qE 'Kernel panic|WARNING:|BUG:|Oops|Call Trace' "$out/serial.txt"; then
	show_tail
	die "kernel problem in the falco guest: $(grep -m1 -E 'Kernel panic|WARNING:|BUG:|Oops|Call Trace' "$out/serial.txt")"
fi
if grep -E '^not ok' "$out/serial.txt" >&2; then
	die "the falco guest case failed (above)"
fi
for f in attack.scap attack.kcap benign.kcap; do
	[ -s "$out/export/$f" ] || die "the guest exported no $f"
done
