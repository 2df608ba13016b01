# SPDX-License-Identifier: Apache-2.0
#
# The storm benchmark's guest case (installed as /cases/90-bench.sh by
# run-bench.sh for storm.sh; busybox sh): the same stress-ng storm on the
# guest's two CPUs, once under each configuration, default rings:
#   kcap-record  kcap record -w of every syscall (its default priority:
#                nice -10)
#   kcap-record-nice0  the same with --nice 0
#   kcap-detect  kcap detect with Falco's default rules (nice -10; only what its
#                rules and thread table need is selected in the kernel)
#   peer         the Debian-packaged peer: scap.ko + sysdig -w (nice 0, as
#                it runs by default)
# Prints "RESULT kind=storm ..." lines: events captured and lost.
. /lib/tap.sh
. /lib/bench.sh

secs=${kcap_storm_secs:-8}
# One of each: process, file, socket, pipe, io_uring, signal, ... stressors
# (exec refuses to run as root, so fork/clone/vfork stand for the process
# kind).
stressors="fork clone vfork open dentry getdent pipe sock udp io-uring signal
	kill futex poll epoll timer dup eventfd"
# two of each on the two CPUs
args=""
for s in $stressors; do args="$args --$s 2"; done
ifconfig lo 127.0.0.1 up 2>/dev/null || ip link set lo up

echo "RESULT kind=storm_info kernel=$(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo)" \
     "secs=$secs stressors=$(echo $stressors | wc -w)"
check "insmod kcap.ko" insmod $KO

# storm NAME: the stressors for $secs s; their summary line in /tmp/NAME.sng
storm() {
	stress-ng $args --timeout $secs --temp-path /tmp >/tmp/$1.sng 2>&1
	st=$?
	# "dispatching hogs: 2 fork, 2 clone, ...": the instances started
	echo "RESULT kind=storm_load cfg=$1 status=$st started=$(sed -n 's/.*dispatching hogs: //p' /tmp/$1.sng |
		tr ',' '\n' | awk '{ n += $1 } END { print n + 0 }')"
	[ $st = 0 ] || sed 's/^/# /' /tmp/$1.sng | tail -5
}

# record CFG [OPTION]: kcap record of every syscall: captured and lost (the
# final counters).
record() {
	rm -f /tmp/storm.kcap
	kcap record -w /tmp/storm.kcap ${2:-} >/dev/null 2>/tmp/rec.err &
	rec=$!
	wait_file /tmp/storm.kcap
	storm $1
	kill -INT $rec
	wait $rec
	if kcap info /tmp/storm.kcap >/tmp/info.out 2>&1; then
		ev=$(awk '$1 == "events:" { print $2; exit }' /tmp/info.out)
		set -- $1 $(awk '$1 == "cpu" { f += $5; p += $6; o += $8 } END { print f + 0, p + 0, o + 0 }' /tmp/info.out)
		echo "RESULT kind=storm cfg=$1 events=$ev lost=$(($2 + $3 + $4))" \
		     "lost_bulk=$2 lost_protected=$3 lost_other=$4 file_bytes=$(wc -c </tmp/storm.kcap)"
		pass "$1 through the storm: $ev events, $(($2 + $3 + $4)) lost"
	else
		fail "$1 through the storm"
		diag /tmp/info.out
		diag /tmp/rec.err
	fi
	rm -f /tmp/storm.kcap
}
# kcap's default: the reader lowers its nice value to -10 (cli.h)
record kcap-record
# the same at the stressors' priority
record kcap-record-nice0 --nice=0

# kcap detect with Falco's rules: every event it selects is one its rules or
# its state need, so every loss counts.
falco_rules=/etc/kcap/falco_rules.yaml
if [ -s $falco_rules ]; then
	kcap detect -R $falco_rules >/tmp/det.out 2>/tmp/det.err &
	det=$!
	wait_text /tmp/det.err "capturing"
	storm kcap-detect
	kill -INT $det
	wait $det
	ev=$(sed -n 's/^kcap detect: \([0-9]*\) events, .*/\1/p' /tmp/det.err)
	al=$(sed -n 's/^kcap detect: [0-9]* events, \([0-9]*\) alerts.*/\1/p' /tmp/det.err)
	set -- $(sed -n 's/^kcap detect: drops: full=\([0-9]*\) full_protected=\([0-9]*\) fault=\([0-9]*\) other=\([0-9]*\).*/\1 \2 \4/p' /tmp/det.err)
	sc=$(sed -n 's/^kcap detect: \([0-9]*\) syscalls selected.*/\1/p' /tmp/det.err)
	if [ -n "$ev" ] && [ $# = 3 ]; then
		echo "RESULT kind=storm cfg=kcap-detect events=$ev lost=$(($1 + $2 + $3))" \
		     "lost_bulk=$1 lost_protected=$2 lost_other=$3 alerts=${al:-0} syscalls=${sc:-all}"
		pass "kcap detect through the storm: $ev events, $(($1 + $2 + $3)) lost"
	else
		fail "kcap detect through the storm"
		diag /tmp/det.err
	fi
else
	echo "RESULT kind=storm_missing cfg=kcap-detect reason=no_falco_rules_in_the_guest"
fi
rmmod kcap

# The peer: its driver counts the events it saw and those it dropped.
if [ -e /lib/scap.ko ] && insmod /lib/scap.ko 2>/tmp/scap.err; then
	rm -f /tmp/storm.scap
	sysdig -v -w /tmp/storm.scap >/tmp/sd.out 2>&1 &
	sd=$!
	wait_file /tmp/storm.scap
	storm peer
	kill -INT $sd
	wait $sd
	rmmod scap
	ev=$(sed -n 's/.*Driver Events:\([0-9]*\).*/\1/p' /tmp/sd.out | tail -1)
	dr=$(sed -n 's/.*Driver Drops:\([0-9]*\).*/\1/p' /tmp/sd.out | tail -1)
	if [ -n "$ev" ]; then
		echo "RESULT kind=storm cfg=peer driver_events=$ev lost=${dr:-0}" \
		     "file_bytes=$(wc -c </tmp/storm.scap)"
		pass "peer through the storm: $ev driver events, ${dr:-0} dropped"
	else
		fail "peer through the storm"
		diag /tmp/sd.out
	fi
	rm -f /tmp/storm.scap
else
	echo "RESULT kind=storm_missing cfg=peer reason=no_scap.ko_or_insmod_failed"
fi
pass "storm benchmark ran"
