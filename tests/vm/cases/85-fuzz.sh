# SPDX-License-Identifier: Apache-2.0
# kcap-case-time: KCAP_FUZZ_SECS 20
# The interface fuzzer (guest/kcap_fuzz.c) for $KCAP_FUZZ_SECS seconds (20
# on 6.1 and the debug kernel, 10 on the other kernels of the matrix, where
# it repeats 6.1's run on other kernel code; `make fuzz-driver` for long runs):
# random ioctls, mmaps, tail corruption, fork, reader SIGKILLs and CPU
# hotplug under a syscall workload. $KCAP_FUZZ_SEED replays a run's random
# choices (the seed is printed). No kernel report, and the module unloads.
. /lib/tap.sh

secs=${KCAP_FUZZ_SECS:-}
if [ -z "$secs" ]; then
	case "$(uname -r)" in
	6.1.0-*-rt-*) secs=10 ;;
	6.1.*) secs=20 ;;
	*) secs=10 ;;
	esac
fi
check "insmod kcap.ko" insmod $KO
before=$(dmesg | wc -l)
run_tap kcap_fuzz --duration "$secs" ${KCAP_FUZZ_SEED:+--seed "$KCAP_FUZZ_SEED"}
# The seed and the counts, also when everything passed (run_tap shows
# them only after a failure).
grep -qE '^not ok' /tmp/tap.out || grep '^#' /tmp/tap.out

dmesg | tail -n +$((before + 1)) >/tmp/fuzz.dmesg
if grep -qE 'WARNING:|BUG:|Oops|Call Trace|blocked for more than|kcap.*(error|fail)' \
	/tmp/fuzz.dmesg; then
	fail "no kernel report during the fuzz run"
	diag /tmp/fuzz.dmesg
else
	pass "no kernel report during the fuzz run"
fi
check "CPU 1 online" grep -qx 1 /sys/devices/system/cpu/cpu1/online
# Orphaned fork children may still hold a mapping for a moment.
i=0
while [ $i -lt 100 ] && ! grep -qx none /sys/class/misc/kcap/holder 2>/dev/null; do
	usleep 100000
	i=$((i + 1))
done
check "rmmod kcap (every file and mapping released)" rmmod kcap
