# SPDX-License-Identifier: Apache-2.0
# Twenty load/unload cycles leave a working module behind.
. /lib/tap.sh

bad=""
i=1
while [ $i -le 20 ]; do
	if ! insmod $KO 2>/tmp/err; then
		bad="insmod #$i: $(cat /tmp/err)"
		break
	fi
	if [ ! -c /dev/kcap ]; then
		bad="no /dev/kcap after insmod #$i"
		break
	fi
	if ! rmmod kcap 2>/tmp/err; then
		bad="rmmod #$i: $(cat /tmp/err)"
		break
	fi
	if [ -e /dev/kcap ]; then
		bad="/dev/kcap still there after rmmod #$i"
		break
	fi
	i=$((i + 1))
done
if [ -z "$bad" ]; then
	pass "20 insmod/rmmod cycles, /dev/kcap comes and goes"
else
	fail "20 insmod/rmmod cycles: $bad"
	loaded && rmmod kcap
fi

check "insmod after the cycles" insmod $KO
start_load
timeout 60 kcap record -n 5 >/tmp/rec.out 2>&1
st=$?
stop_load
if [ $st -eq 0 ] && [ -s /tmp/rec.out ]; then
	pass "kcap record -n 5 after the cycles"
else
	fail "kcap record -n 5 after the cycles (status $st)"
	diag /tmp/rec.out
fi
check "rmmod kcap" rmmod kcap
