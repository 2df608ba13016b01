# SPDX-License-Identifier: Apache-2.0
#
# The Falco guest's case (installed as /cases/50-falco.sh by run-falco.sh;
# busybox sh). In this one boot: the attack workload (attack.sh) under
# sysdig with scap.ko, then under kcap record with kcap.ko, then the benign
# workload (benign.sh) under kcap record. The three capture files go to the
# host (export_file), where compare.sh evaluates the rules on them.
. /lib/tap.sh

ip link set lo up
ip addr add 1.2.3.4/32 dev lo

# wait_file FILE: until a recorder has created FILE (capture started), at
# most 60 s (the guest may share the host with the guest matrix).
wait_file() {
	i=0
	while [ ! -s "$1" ] && [ $i -lt 1200 ]; do
		usleep 50000
		i=$((i + 1))
	done
}

# alive PID: the process exists and is not a zombie.
alive() {
	[ -e /proc/$1 ] && ! grep -q '^State:.*Z' /proc/$1/status 2>/dev/null
}

# stop REC_PID NAME: the recorder stops on SIGINT and writes its file out,
# within 60 s (else it is killed and the test fails). A second first, so
# that it has read the workload's last events.
stop() {
	sleep 1
	kill -INT "$1"
	i=0
	while alive "$1" && [ $i -lt 600 ]; do
		usleep 100000
		i=$((i + 1))
	done
	if ! check "$2 stopped on SIGINT" test $i -lt 600; then
		cat /proc/$1/stack 2>/dev/null | sed 's/^/# /'
		kill -KILL "$1"
	fi
	wait "$1"
}

# run_workload NAME LOG: /lib/falco/NAME.sh (by path: busybox sh runs a bare
# applet name as /proc/self/exe, named "exe"), at most 120 s; a workload
# that does not finish fails, with the end of its log.
run_workload() {
	timeout 120 /bin/sh /lib/falco/$1.sh >$2 2>&1
	if ! check "$1 workload finished" test $? = 0; then
		tail -20 $2 | sed 's/^/# /'
	fi
}

if [ -e /lib/scap.ko ]; then
	if check "insmod scap.ko" insmod /lib/scap.ko; then
		sysdig -w /tmp/attack.scap >/tmp/sd.out 2>&1 &
		rec=$!
		wait_file /tmp/attack.scap
		run_workload attack /tmp/attack-sysdig.log
		stop $rec sysdig
		check "sysdig wrote attack.scap" test -s /tmp/attack.scap || diag /tmp/sd.out
		rmmod scap
		export_file attack.scap /tmp/attack.scap
		rm -f /tmp/attack.scap
	fi
else
	echo "# no scap.ko: the sysdig run is left out"
fi

check "insmod kcap.ko" insmod $KO
for w in attack benign; do
	kcap record -w /tmp/$w.kcap >/tmp/rec.out 2>&1 &
	rec=$!
	wait_file /tmp/$w.kcap
	run_workload $w /tmp/$w-kcap.log
	stop $rec "kcap record"
	check "kcap record wrote $w.kcap" test -s /tmp/$w.kcap || diag /tmp/rec.out
	export_file $w.kcap /tmp/$w.kcap
	rm -f /tmp/$w.kcap
done
rmmod kcap
