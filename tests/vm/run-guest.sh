#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# run-guest.sh [--demo] RELEASE: boot kernel RELEASE in a QEMU (TCG) guest
# with kcap.ko, the kcap CLI and the guest test programs, run the case
# scripts of tests/vm/cases/ (--demo: tests/vm/demo/, streamed to the
# terminal) and report.
#
# Prints every result line prefixed with the release, then "N passed, M
# failed"; exits non-zero on any failure, a guest timeout, a case that never
# reported, or a kernel panic/WARNING/BUG/Oops/Call Trace in the log; a
# lockdep, KASAN, UBSAN, KFENCE, sleeping-in-atomic, list-corruption or
# preemption-count report is named in the failure.
#
# The debug kernel (release *-kcapdebug: KASAN, lockdep, UBSAN under TCG) gets
# 2 GiB instead of 1, KCAP_DEBUG_SLOWDOWN (default 3) times the boot and case
# limits, and loglevel=5 so that lockdep's reports reach the serial log
# even if the guest never gets to dump its kernel log. The rt kernel boots
# with noirqdebug (see below).
#
# Environment: KCAP_VM_TIMEOUT (seconds per boot, default 300: the 6.1
# guest's cases take about 200 s, more on a loaded machine), KCAP_CASES
# (case names to run, e.g. "10-spine 30-busy"; default all), KCAP_KEEP=1
# (keep the initramfs tree and image under build/vm/RELEASE/), KCAP_FALCO_RULES
# (directory of Falco's rules files for 16-container, default
# ../shared/falco-rules next to the repository), KCAP_QEMU_ARGS
# (extra QEMU options for experiments, e.g. "-icount shift=0,sleep=off"),
# KCAP_ACCEL (QEMU -accel value, default "tcg,thread=single"),
# KCAP_APPEND (extra kernel arguments: runs only the cases whose header has
# the line "# kcap-append: ARGS" with exactly these ARGS, output under
# build/vm/RELEASE/append-ARGS/; without it those cases are left out),
# KCAP_GUEST_ENV ("NAME=VALUE ..." appended to the kernel command line: the
# guest's /init and cases get them as environment variables, e.g.
# KCAP_FUZZ_SECS for 85-fuzz, or kernel parameters such as loglevel=8;
# unlike KCAP_APPEND it selects no cases),
# KCAP_OTHER_KO (a kcap.ko built for another kernel, /lib/kcap-other.ko in
# the guest; default: one of build/kmod/*/kcap.ko for another release).
# The serial log is always kept: build/vm/RELEASE/serial.log.
#
# Files a case sends with export_file (tap.sh) travel over a second serial
# port into build/vm/RELEASE/export/; after the guest, tests/vm/host/NAME.sh
# (if present) checks them on the host for case NAME and reports TAP lines
# as case "NAME-host".
set -euo pipefail
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

demo=0
if [ "${1:-}" = --demo ]; then
	demo=1
	shift
fi
[ $# -eq 1 ] || die "usage: run-guest.sh [--demo] RELEASE"
rel=$1
limit=${KCAP_VM_TIMEOUT:-300}
mem=1024
kargs=""
case "$rel" in
*-kcapdebug)
	slow=${KCAP_DEBUG_SLOWDOWN:-3}
	limit=$((limit * slow))
	mem=2048
	kargs=" loglevel=5 kcap_case_limit=$((120 * slow))" ;;
*-rt-*)
	# PREEMPT_RT threads every interrupt handler; under TCG the emulated
	# UART's handler then often finds nothing pending, and after 99,900 such
	# interrupts the kernel disables IRQ 3 ("irq 3: nobody cared"), the
	# export port's: export_file then blocks forever. Not a kcap matter.
	kargs=" noirqdebug" ;;
esac
append=${KCAP_APPEND:-}
guest_env=${KCAP_GUEST_ENV:-}
[[ "$guest_env" =~ ^([[:space:]]*[A-Za-z_][A-Za-z0-9_.]*=[A-Za-z0-9._-]*)*[[:space:]]*$ ]] ||
	die "KCAP_GUEST_ENV: expected NAME=VALUE words, got '$guest_env'"
out=$top/build/vm/$rel
[ -z "$append" ] || out=$out/append-$(printf %s "$append" | tr -c 'A-Za-z0-9.=_-' _)
ko=$top/build/kmod/$rel/kcap.ko
cli=$top/build/bin/kcap-static
bins=$top/build/vm/guest
serial=$out/serial.log
exports=$out/export.bin
casedir=$here/cases
[ $demo = 0 ] || casedir=$here/demo

[ -s "$ko" ] || die "$rel: no ${ko#"$top"/}: run 'make module KERNEL=$rel'"
# busybox-static's binary: it needs no libraries in the guest.
busybox=/bin/busybox
[ -x "$busybox" ] || die "busybox missing: run packaging/build-deps.sh vm"
vmlinuz=$("$here/kernels.sh" image "$rel")

# ---- initramfs ----------------------------------------------------------
mkdir -p "$out"
root=$out/initramfs
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib,dev,proc,sys,tmp,cases}
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list-full); do
	[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done
cp "$here/init.sh" "$root/init"
chmod 755 "$root/init"
cp "$here/tap.sh" "$root/lib/tap.sh"
# kcap detect's default rules and the scenario of 80-detect and the demo.
cp "$top/rules/kcap_rules.yaml" "$root/lib/kcap_rules.yaml"
cp "$here/detect-scenario.sh" "$root/lib/detect-scenario.sh"
cp "$ko" "$root/lib/kcap.ko"
# The kernel's overlayfs module (kernels.sh keeps it), for 15-decode.
kdir=$(dirname "$vmlinuz")
if [ -s "$kdir/overlay.ko" ]; then
	cp "$kdir/overlay.ko" "$root/lib/overlay.ko"
else
	cat "$kdir/overlay.none" >"$root/lib/overlay.none" 2>/dev/null || echo "unknown" >"$root/lib/overlay.none"
fi
# A module built for another kernel of the matrix, for `kcap driver check`.
other=${KCAP_OTHER_KO:-}
if [ -z "$other" ]; then
	for o in "$top"/build/kmod/*/kcap.ko; do
		[ -s "$o" ] && [ "$o" != "$ko" ] && other=$o && break
	done
fi
[ -z "$other" ] || cp "$other" "$root/lib/kcap-other.ko"

if [ -x "$cli" ]; then
	add_bin "$cli" kcap
else
	log "warning: no ${cli#"$top"/}; cases using kcap will fail"
fi
if [ -d "$bins" ]; then
	for b in "$bins"/*; do
		[ -f "$b" ] && [ -x "$b" ] && add_bin "$b" "$(basename "$b")"
	done
fi
# strace and its libraries, for the differential test of 15-decode.
if command -v strace >/dev/null; then
	add_bin "$(command -v strace)" strace
fi
[ -d "$bins" ] && [ -n "$(ls -A "$bins")" ] ||
	log "warning: no guest programs in ${bins#"$top"/}"

expected=""
for c in "$casedir"/[0-9]*.sh; do
	[ -e "$c" ] || continue
	name=$(basename "$c" .sh)
	if [ -n "${KCAP_CASES:-}" ] && ! [[ " $KCAP_CASES " == *" $name "* ]]; then
		continue
	fi
	[ "$(sed -n 's/^# kcap-append: //p' "$c")" = "$append" ] || continue
	cp "$c" "$root/cases/"
	expected="$expected $name"
done
[ -n "$expected" ] || die "no case to run in ${casedir#"$top"/}"
# Debian's runc and crun with their libraries (about 12 MB), the bundles'
# helpers and Falco's upstream rules files, for the container case, the
# profile case (runc with a learnt seccomp JSON) and the demo.
if [[ " $expected " == *" 16-container "* ]] || [[ " $expected " == *" 45-profile "* ]] ||
	[ $demo = 1 ]; then
	for rt in runc crun; do
		command -v $rt >/dev/null || die "$rt missing: run packaging/build-deps.sh vm"
		add_bin "$(command -v $rt)" $rt
	done
	cp "$here/ct-bundle.sh" "$root/lib/ct-bundle.sh"
	# the kernel's config, when its package has one (what runc needs)
	[ ! -s "$kdir/config" ] || cp "$kdir/config" "$root/lib/kernel.config"
	falco=${KCAP_FALCO_RULES:-$top/../shared/falco-rules}
	mkdir -p "$root/lib/falco"
	for f in falco_rules.yaml falco-incubating_rules.yaml; do
		if [ -s "$falco/$f" ]; then
			cp "$falco/$f" "$root/lib/falco/$f"
		elif [ $demo = 0 ]; then
			log "warning: no $falco/$f (KCAP_FALCO_RULES): 16-container will fail"
		fi
	done
fi
# Debian's runsc (a static binary, about 24 MB) for the merged stream of
# kcap.ko and the gVisor sink in one boot.
if [[ " $expected " == *" 17-gvisor "* ]]; then
	command -v runsc >/dev/null || die "runsc missing: run packaging/build-deps.sh host"
	add_bin "$(command -v runsc)" runsc
fi
# Debian's apparmor_parser (it links only libc) and the policy ABI file the
# generated profiles name, for the profile case: it loads them in the guest.
if [[ " $expected " == *" 45-profile "* ]]; then
	command -v apparmor_parser >/dev/null || die "apparmor_parser missing: run packaging/build-deps.sh"
	add_bin "$(command -v apparmor_parser)" apparmor_parser
	mkdir -p "$root/etc/apparmor.d/abi"
	cp /etc/apparmor.d/abi/3.0 "$root/etc/apparmor.d/abi/3.0"
fi
# stress-ng and its libraries (about 30 MB) only for the storm case.
if [[ " $expected " == *" 90-storm "* ]] && command -v stress-ng >/dev/null; then
	add_bin "$(command -v stress-ng)" stress-ng
	mkdir -p "$root/etc"
	echo "root:x:0:0:root:/tmp:/bin/sh" >"$root/etc/passwd"
	echo "root:x:0:" >"$root/etc/group"
fi
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
	gzip -1 >"$out/initrd.gz"

# ---- boot ---------------------------------------------------------------
rm -f "$serial" "$exports"
rm -rf "$out/export"
: >"$serial"
: >"$exports"
start=$(date +%s)
qemu_pid=""
stop_qemu() {
	# Only the timeout/QEMU pair this script started.
	[ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null || true
}
trap 'stop_qemu; exit 130' INT TERM
# One host thread runs both vCPUs (KCAP_ACCEL overrides): with multi-
# threaded TCG, the kernel patching its own code (text_poke, when kcap
# registers or unregisters a tracepoint) once ended in a spurious
# "Oops: int3" in the 6.12 guest; single-threaded TCG orders
# cross-modifying code like hardware does, and was no slower here.
timeout -k 5 "$limit" qemu-system-x86_64 -accel "${KCAP_ACCEL:-tcg,thread=single}" \
	-m "$mem" -smp 2 -display none \
	-serial "file:$serial" -serial "file:$exports" -no-reboot \
	-kernel "$vmlinuz" -initrd "$out/initrd.gz" \
	-append "console=ttyS0 quiet panic=-1 panic_on_warn=1 oops=panic$kargs${append:+ $append}${guest_env:+ $guest_env}" \
	${KCAP_QEMU_ARGS:-} \
	</dev/null >"$out/qemu.log" 2>&1 &
qemu_pid=$!
if [ $demo = 1 ]; then
	tail -n +1 -f --pid="$qemu_pid" "$serial" | tr -d '\r' |
		awk '/^### DEMO BEGIN/ { show = 1; next }
		     /^### DEMO END/ { show = 0 }
		     show { print; fflush() }'
fi
qemu_rc=0
wait "$qemu_pid" || qemu_rc=$?
qemu_pid=""
trap - INT TERM
secs=$(( $(date +%s) - start ))

# ---- exported files and host-side checks ----------------------------------
hostlog=$out/host.log
: >"$hostlog"
split_exports "$exports" "$out/export" "$rel"
for name in $expected; do
	hc=$here/host/$name.sh
	[ -f "$hc" ] || continue
	expected="$expected $name-host"
	{
		echo "### CASE $name-host BEGIN"
		hst=0
		KCAP="$top/build/bin/kcap" timeout 300 bash "$hc" "$out/export" 2>&1 || hst=$?
		echo "### CASE $name-host END $hst"
	} >>"$hostlog"
done

# ---- report -------------------------------------------------------------
timed_out=0
[ $qemu_rc -ne 124 ] && [ $qemu_rc -ne 137 ] || timed_out=1
tr -d '\r' <"$serial" | cat - "$hostlog" | awk -v rel="$rel" -v expected="$expected" \
	-v timed_out=$timed_out -v limit="$limit" -v qemu_rc=$qemu_rc '
	function result(ok, what) {
		n++
		if (ok) passed++; else failed++
		printf "[%s] %s %d - %s\n", rel, ok ? "ok" : "not ok", n, what
	}
	/^### CASE .* BEGIN$/ { cur = $3; began[cur] = 1; fails[cur] = 0; tests[cur] = 0; indiag = 0; next }
	/^### CASE .* END / {
		ended[$3] = 1
		if ($5 != 0 && fails[$3] == 0)
			result(0, $3 ": case exited with status " $5)
		else if (tests[$3] == 0)
			result(0, $3 ": case reported no result")
		cur = ""; next
	}
	/^### DMESG BEGIN/ { cur = ""; next }
	/^### KCAP-GUEST DONE/ { done = 1; next }
	# The debug checks name their reports (each kind once).
	function report(kind) {
		if (!(kind in seen)) {
			seen[kind] = 1
			reps[++nrep] = kind " report: " $0
		}
	}
	/possible circular locking|possible recursive locking|inconsistent lock state|lock inversion dependency|bad unlock balance|held lock freed|lock held when returning to user|non-static key|suspicious RCU usage|DEBUG_LOCKS_WARN_ON|lockdep is turned off|turning off the locking correctness validator|MAX_LOCKDEP_[A-Z_]* too low/ {
		report("lockdep")
	}
	/BUG: KASAN/ { report("KASAN") }
	/UBSAN:/ { report("UBSAN") }
	/BUG: KFENCE/ { report("KFENCE") }
	/sleeping function called from invalid context|scheduling while atomic|Voluntary context switch within RCU/ {
		report("sleep in atomic context")
	}
	/list_add corruption|list_del corruption|list_add double add/ { report("list corruption") }
	/in preemptible \[|exited with preempt_count|leaked lock or atomic/ {
		report("preemption")
	}
	/Kernel panic|WARNING:|BUG:|Oops|Call Trace/ { if (!kbad) kbad = $0 }
	cur != "" && /^(not )?ok( |$)/ {
		ok = ($1 == "ok")
		line = $0
		sub(/^(not )?ok *[0-9]* *-? */, "", line)
		tests[cur]++
		if (!ok) fails[cur]++
		result(ok, cur ": " line)
		indiag = !ok
		next
	}
	cur != "" && indiag && /^#/ { printf "[%s]   %s\n", rel, $0; next }
	END {
		nexp = split(expected, names, " ")
		for (i = 1; i <= nexp; i++)
			if (!ended[names[i]])
				result(0, names[i] ": case never reported" \
				       (began[names[i]] ? " (started, did not finish)" : ""))
		if (timed_out)
			result(0, "guest: timed out after " limit " s")
		else if (!done)
			result(0, "guest: stopped before the end of its run (qemu status " qemu_rc ")")
		for (i = 1; i <= nrep; i++)
			result(0, "kernel: " reps[i])
		if (kbad != "" && nrep == 0)
			result(0, "kernel: " kbad)
		printf "%d passed, %d failed\n", passed, failed
		print passed + 0, failed + 0 > "/dev/stderr"
	}' 2>"$out/result"
read -r passed failed <"$out/result"
echo "$passed $failed $secs $timed_out" >"$out/result"
# The guest's own clock per case (init.sh), slowest first.
case_times=$(tr -d '\r' <"$serial" | awk '/^### CASE .* END [0-9]+ [0-9.]+$/ { print $6, $3 }' |
	sort -rn | awk '{ printf "%s%s %.0f s", (NR > 1 ? ", " : ""), $2, $1 }')
log "$rel: guest ran ${secs} s${case_times:+ ($case_times)}; serial log: ${serial#"$top"/}"
if [ "${KCAP_KEEP:-0}" != 1 ]; then
	rm -rf "$root" "$out/initrd.gz"
fi
[ "$failed" -eq 0 ]
