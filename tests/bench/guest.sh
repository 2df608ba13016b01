# SPDX-License-Identifier: Apache-2.0
#
# The benchmark guest's case (installed as /cases/90-bench.sh by
# run-bench.sh; busybox sh). Runs every workload under every configuration in
# this one boot and prints "RESULT ..." lines; capture files go to the host
# with export_file. $kcap_bench (kernel argument): "full" or "quick" (tiny
# sizes, for `make test`).
. /lib/tap.sh
. /lib/bench.sh

mode=${kcap_bench:-full}
only=$(echo "${kcap_bench_only:-}" | tr , ' ')
configs=$(echo "${kcap_bench_configs:-none,gated-none,kcap-producer,kcap-lifecycle,kcap-producer-2s,kcap-producer-4s,kcap-producer+1small,kcap-record,kcap-detect,ftrace,peer,none}" | tr , ' ')
ifconfig lo 127.0.0.1 up 2>/dev/null || ip link set lo up

# Operations per workload: about 20 to 60 million guest instructions each
# without tracing.
if [ "$mode" = quick ]; then
	sizes="getppid:200 openclose:50 read:100 pipe:50 fork:5 exec:5 tcp:5"
else
	sizes="getppid:100000 openclose:10000 read:40000 pipe:10000 fork:400 exec:300 tcp:1000"
fi
if [ -n "$only" ]; then
	keep=""
	for s in $sizes; do
		case " $only " in *" ${s%%:*} "*) keep="$keep $s" ;; esac
	done
	sizes=$keep
fi
# The producer-only ring holds a whole run.
ring=64M
# Capture files exported for the host part and the size comparison.
exported="getppid openclose read pipe fork exec tcp"

echo "RESULT kind=guest kernel=$(uname -r) version=$(uname -v | tr ' ' _) mode=$mode"
check "insmod kcap.ko" insmod $KO
if [ -e /lib/scap.ko ]; then
	peer=1
	echo "RESULT kind=peer_info module=$(modinfo -F version /lib/scap.ko 2>/dev/null | tr ' ' _)" \
	     "sysdig=$(sysdig --version 2>/dev/null | awk '{print $NF}')"
else
	peer=0
	echo "RESULT kind=peer_missing reason=no_scap.ko_in_the_guest"
fi

# kcap detect runs Falco's default rules file when run-bench.sh found it.
falco_rules=/etc/kcap/falco_rules.yaml
if [ -s $falco_rules ]; then
	echo "RESULT kind=detect_info rules=falco_rules.yaml" \
	     "syscalls=$(kcap detect --print-interest $falco_rules 2>/dev/null | tr , '\n' | grep -c .)"
else
	echo "RESULT kind=detect_missing reason=no_falco_rules_in_the_guest"
fi

# One untimed pass first: the first run of a workload in a fresh kernel pays
# for slab and page-cache growth that later runs do not.
for s in $sizes; do
	kbench run warmup ${s%%:*} $(( ${s#*:} / 10 + 1 )) >/dev/null
done
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing

# kcap record of the fork, exec and exit events alone (getsid only, a
# syscall no workload makes; the lifecycle events are always kept), the
# workload timed as in the other kbench run configurations: LABEL W N.
run_lifecycle() {
	rm -f /tmp/lc.kcap
	kcap record -e getsid -w /tmp/lc.kcap >/tmp/rec.out 2>/tmp/rec.err &
	rec=$!
	wait_file /tmp/lc.kcap
	runtime $rec; rt=$rt_ns
	kbench run "$1" "$2" "$3"
	runtime $rec
	echo "RESULT kind=reader cfg=$1 wl=$2 n=$3 ns=$((rt_ns - rt))"
	kill -INT $rec
	wait $rec
	kcap info /tmp/lc.kcap >/tmp/info.out 2>&1
	ev=$(awk '$1 == "events:" { print $2; exit }' /tmp/info.out)
	echo "RESULT kind=capture cfg=$1 wl=$2 n=$3 events=$ev"
	rm -f /tmp/lc.kcap
}

# ftrace's raw_syscalls events into its ring: LABEL W N.
run_ftrace() {
	t=/sys/kernel/tracing
	echo >$t/trace
	echo 1 >$t/events/raw_syscalls/enable
	kbench run "$1" "$2" "$3"
	echo 0 >$t/events/raw_syscalls/enable
	echo "RESULT kind=capture cfg=$1 wl=$2 n=$3" \
	     "$(awk '$1 == "entries:" { e = $2 } $1 == "overrun:" { o = $2 }
		     $1 == "bytes:" { b = $2 }
		     END { printf "events=%d dropped=%d ring_bytes=%d", e + o, o, b }' \
		     $t/per_cpu/cpu0/stats)"
	echo >$t/trace
}

# Workload by workload, every configuration back to back (no tracing first
# and last), so that slow drifts of kernel state (TIME_WAIT sockets, slab)
# hit all configurations of a workload alike.
for s in $sizes; do
	w=${s%%:*}
	n=${s#*:}
	pass_n=0
	for cfg in $configs; do
		case $cfg in
		none)
			pass_n=$((pass_n + 1))
			kbench run "none$pass_n" $w $n
			;;
		gated-none)
			# kbench producer's process tree, no capture: the
			# baseline of the kcap-producer configurations
			kbench producer $w $n $ring 0
			;;
		kcap-producer)
			kbench producer $w $n $ring
			;;
		kcap-producer-2s | kcap-producer-4s)
			# Several sessions at once (ABI 2.3), each every
			# syscall, each its own ring ($ring: 4 x 64M of 2G).
			k=${cfg#kcap-producer-}
			kbench producer $w $n $ring ${k%s} same
			;;
		kcap-producer+1small)
			kbench producer $w $n $ring 2 small
			;;
		kcap-lifecycle)
			run_lifecycle kcap-lifecycle $w $n
			;;
		kcap-record | kcap-record-s*)
			# kcap-record-sN (not in the default list): snaplen N
			snap=""
			[ $cfg = kcap-record ] || snap="-s ${cfg#kcap-record-s}"
			rm -f /tmp/$w.kcap
			kcap record -w /tmp/$w.kcap $snap >/tmp/rec.out 2>/tmp/rec.err &
			rec=$!
			wait_file /tmp/$w.kcap
			runtime $rec; rt=$rt_ns
			kbench run $cfg $w $n
			runtime $rec
			echo "RESULT kind=reader cfg=$cfg wl=$w n=$n ns=$((rt_ns - rt))"
			kill -INT $rec
			wait $rec
			kcap info /tmp/$w.kcap >/tmp/info.out 2>&1
			ev=$(awk '$1 == "events:" { print $2; exit }' /tmp/info.out)
			dr=$(awk '/^  cpu / { d += $5 + $6 + $8 } END { print d + 0 }' /tmp/info.out)
			echo "RESULT kind=capture cfg=$cfg wl=$w n=$n events=$ev dropped=$dr" \
			     "file_bytes=$(wc -c </tmp/$w.kcap)"
			# (the first workload of the list too: " $exported ")
			case "$cfg: $exported " in
			"kcap-record:"*" $w "*) export_file "$w.kcap" /tmp/$w.kcap ;;
			esac
			rm -f /tmp/$w.kcap
			;;
		kcap-detect)
			# live detection with Falco's rules: only the syscalls
			# they and the thread table need are captured
			[ -s $falco_rules ] || continue
			kcap detect -R $falco_rules >/tmp/det.out 2>/tmp/det.err &
			det=$!
			wait_text /tmp/det.err "capturing"
			# start-up digested (the snapshot, the shell's forks)
			settle $det
			runtime $det; rt=$rt_ns
			kbench run kcap-detect $w $n
			runtime $det
			echo "RESULT kind=reader cfg=kcap-detect wl=$w n=$n ns=$((rt_ns - rt))"
			kill -INT $det
			wait $det
			ev=$(sed -n 's/^kcap detect: \([0-9]*\) events, .*/\1/p' /tmp/det.err)
			al=$(sed -n 's/^kcap detect: [0-9]* events, \([0-9]*\) alerts.*/\1/p' /tmp/det.err)
			sc=$(sed -n 's/^kcap detect: \([0-9]*\) syscalls selected.*/\1/p' /tmp/det.err)
			dr=$(sed -n 's/^kcap detect: drops: full=\([0-9]*\) full_protected=\([0-9]*\) fault=\([0-9]*\) other=\([0-9]*\).*/\1 \2 \3 \4/p' \
				/tmp/det.err | awk '{ print $1 + $2 + $3 + $4 }')
			echo "RESULT kind=capture cfg=kcap-detect wl=$w n=$n events=${ev:-0}" \
			     "dropped=${dr:-?} alerts=${al:-0} syscalls=${sc:-all}"
			[ -n "$ev" ] || diag /tmp/det.err
			;;
		ftrace)
			run_ftrace ftrace $w $n
			;;
		peer)
			[ $peer = 1 ] || continue
			if ! insmod /lib/scap.ko 2>/tmp/scap.err; then
				echo "RESULT kind=peer_missing reason=insmod_failed:$(tr ' ' _ </tmp/scap.err | head -c 200)"
				peer=0
				continue
			fi
			rm -f /tmp/$w.scap
			sysdig -v -w /tmp/$w.scap >/tmp/sd.out 2>&1 &
			rec=$!
			wait_file /tmp/$w.scap
			runtime $rec; rt=$rt_ns
			kbench run peer $w $n
			runtime $rec
			echo "RESULT kind=reader cfg=peer wl=$w n=$n ns=$((rt_ns - rt))"
			kill -INT $rec
			wait $rec
			rmmod scap
			ev=$(sed -n 's/.*Driver Events:\([0-9]*\).*/\1/p' /tmp/sd.out | tail -1)
			dr=$(sed -n 's/.*Driver Drops:\([0-9]*\).*/\1/p' /tmp/sd.out | tail -1)
			echo "RESULT kind=capture cfg=peer wl=$w n=$n driver_events=${ev:-0}" \
			     "dropped=${dr:-0} file_bytes=$(wc -c </tmp/$w.scap)"
			[ -n "$ev" ] || diag /tmp/sd.out
			case " $exported " in
			*" $w "*) export_file "$w.scap" /tmp/$w.scap ;;
			esac
			rm -f /tmp/$w.scap
			;;
		esac
	done
done

# ---- lifecycle events against ftrace, round by round (issue 18, row 2) ----
# One run of fork or exec costs thousands of instructions more or less than
# the next (the two no-tracing runs of the loop above differ by that much),
# as much as the difference measured. So: ROUNDS rounds of no tracing, kcap's
# lifecycle events and ftrace's raw_syscalls, the two in turn first, each
# round compared within itself (report.awk: medians, and how many rounds
# agree). Row 2 is about the producer: neither ring is read while the
# workload runs, and all three run in one process tree (kbench producer:
# the timed process a child forked before any capture, which alone costs a
# fork or an exec thousands of instructions over kbench run's; 0 sessions
# for no tracing and for ftrace).
ab_run() { # LABEL W N [lifecycle]
	if [ $# = 4 ]; then
		kbench producer $2 $3 $ring 1 lifecycle
	else
		kbench producer $2 $3 $ring 0
	fi | sed -n "s/^RESULT kind=run cfg=[a-z-]* /RESULT kind=run cfg=$1 /p"
}
ab_ftrace() { # LABEL W N
	t=/sys/kernel/tracing
	echo >$t/trace
	echo 1 >$t/events/raw_syscalls/enable
	ab_run "$@"
	echo 0 >$t/events/raw_syscalls/enable
	echo >$t/trace
}
if [ -n "${kcap_bench_ab:-}" ]; then
	ab=$kcap_bench_ab
elif [ "$mode" = quick ]; then
	ab=1
else
	ab=7
fi
case " $configs " in *" kcap-lifecycle "*) ;; *) ab=0 ;; esac
case " $configs " in *" ftrace "*) ;; *) ab=0 ;; esac
for s in $sizes; do
	w=${s%%:*}
	n=${s#*:}
	case $w in fork | exec) ;; *) continue ;; esac
	r=1
	while [ $r -le "$ab" ]; do
		ab_run "ab$r-none" $w $n
		if [ $((r % 2)) = 1 ]; then
			ab_run "ab$r-lifecycle" $w $n lifecycle
			ab_ftrace "ab$r-ftrace" $w $n
		else
			ab_ftrace "ab$r-ftrace" $w $n
			ab_run "ab$r-lifecycle" $w $n lifecycle
		fi
		r=$((r + 1))
	done
	echo "RESULT kind=ab wl=$w rounds=$ab"
done

# ---- the drop policy: a 64 KiB ring overloaded while the reader waits ------
if [ "${kcap_bench_drop:-1}" = 0 ]; then
	rounds=0
elif [ "$mode" = quick ]; then
	rounds=3 burst=600
else
	rounds=10 burst=2000
fi
for label in noexec all; do
	[ "$rounds" -gt 0 ] || break
	kbench dropproof 64M $rounds $burst $label | sed 's/kind=dropproof/kind=dropref/'
	kbench dropproof 64K $rounds $burst $label
done

rmmod kcap
pass "benchmark ran ($mode)"
