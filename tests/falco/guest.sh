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

# stop REC_PID: the recorder stops on SIGINT and writes its file out.
stop() {
	kill -INT "$1"
	wait "$1"
}

if [ -e /lib/scap.ko ]; then
	if check "insmod scap.ko" insmod /lib/scap.ko; then
		sysdig -w /tmp/attack.scap >/tmp/sd.out 2>&1 &
		rec=$!
		wait_file /tmp/attack.scap
		/bin/sh /lib/falco/attack.sh >/tmp/attack-sysdig.log 2>&1
		stop $rec
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
	/bin/sh /lib/falco/$w.sh >/tmp/$w-kcap.log 2>&1
	stop $rec
	check "kcap record wrote $w.kcap" test -s /tmp/$w.kcap || diag /tmp/rec.out
	export_file $w.kcap /tmp/$w.kcap
	rm -f /tmp/$w.kcap
done
echo "# attack workload output (kcap run):"
sed 's/^/# /' /tmp/attack-kcap.log
rmmod kcap
