# SPDX-License-Identifier: Apache-2.0
# `make demo`: load kcap.ko and record a small workload. Everything between
# the DEMO markers is streamed to the terminal by run-guest.sh --demo.
. /lib/tap.sh

echo "### DEMO BEGIN"
echo
echo "=== kcap demo: guest kernel $(uname -r), $(nproc) CPUs"
echo
echo "=== insmod kcap.ko"
insmod $KO && ls -l /dev/kcap
echo
echo "=== workload: ls, cat, sh -c and sleep in a loop"
(while :; do
	ls / >/dev/null
	cat /proc/version >/dev/null
	sh -c 'echo hello >/tmp/demo.txt'
	usleep 20000
done) &
load=$!
echo
echo "=== kcap record -n 40"
timeout 60 kcap record -n 40
st=$?
kill $load 2>/dev/null
wait $load 2>/dev/null
echo
echo "=== kcap record exited with status $st; rmmod kcap"
rmmod kcap
echo
echo "### DEMO END"
if [ $st -eq 0 ]; then
	pass "demo recorded 40 events"
else
	fail "demo recorded 40 events (status $st)"
fi
