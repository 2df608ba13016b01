# SPDX-License-Identifier: Apache-2.0
# kcap-case-not-on: debug
# kcap-case-only-on: 6.1.0-[0-9][0-9]-amd64 6.1.0-[0-9][0-9][0-9]-amd64 7.*
# The flight recorder: kcap detect --flight-recorder keeps the last seconds
# of every event in memory (bounded) while a long benign workload runs;
# then an attack (a download, a chmod, an exec from /tmp) fires a rule, and
# the alert names a flight file that holds the attack's preceding events,
# on which kcap detect -r fires the same rule. Memory stayed under the
# bound; the benign part alone wrote no flight file.
. /lib/tap.sh
. /lib/detect-scenario.sh

insmod "$KO" || { fail "insmod"; exit 1; }
scenario_setup
fdir=/tmp/flight
rm -rf $fdir
# 3 s window, at most 1 MB, 1 s after the last alert.
detect_start /tmp/fl -j --flight-recorder 3,1 --flight-dir $fdir --flight-after 1

# Benign, for longer than the window: the memory must stay bounded.
end=$(($(cut -d. -f1 /proc/uptime) + 4))
while [ "$(cut -d. -f1 /proc/uptime)" -lt $end ]; do
	benign_workload
	cat /etc/passwd /etc/hostname /proc/self/status >/dev/null 2>&1
done
n=$(ls $fdir 2>/dev/null | wc -l)
check "a long benign workload: no flight file ($n)" [ "$n" = 0 ]

# The attack: download a program, make it executable, run it from /tmp.
# The client's stdin stays open (busybox nc may stop at its EOF before the
# whole file came: a truncated program, seen on 5.10); the server closes
# the connection once it has sent the file.
nc -l -p 8090 </bin/busybox >/dev/null 2>&1 &
srv=$!
usleep 200000
sleep 2 | nc 127.0.0.1 8090 >/tmp/dropper
kill $srv 2>/dev/null
if cmp -s /bin/busybox /tmp/dropper; then
	pass "the download is complete"
else
	fail "the download is complete ($(wc -c </tmp/dropper) of $(wc -c </bin/busybox) bytes)"
fi
chmod 755 /tmp/dropper
/tmp/dropper true
usleep 1200000
detect_stop
check "detect exits 0" [ $? -eq 0 ]
rm -f /tmp/dropper
diag /tmp/fl.err

line=$(grep '"rule":"Execution from temporary directory or memory"' /tmp/fl.alerts | head -1)
f=$(echo "$line" | sed -n 's/.*"flight_file":"\([^"]*\)".*/\1/p')
if [ -n "$f" ] && [ -s "$f" ]; then
	pass "the alert names its flight file ($f)"
else
	fail "the alert names its flight file"
	diag /tmp/fl.alerts
	ls -l $fdir
fi
if [ -n "$f" ] && kcap read -r "$f" >/tmp/fl.txt 2>&1; then
	for what in "connect.*8090" "chmod.*/tmp/dropper" "execve.*/tmp/dropper"; do
		if grep -q "$what" /tmp/fl.txt; then
			pass "the flight file holds the attack's '$what'"
		else
			fail "the flight file holds the attack's '$what'"
		fi
	done
	echo "# flight file: $(wc -l </tmp/fl.txt) events, the first: $(head -1 /tmp/fl.txt)"
else
	fail "kcap read of the flight file"
	diag /tmp/fl.txt
fi
if [ -n "$f" ] &&
   kcap detect -r "$f" -R "$RULES" -j 2>/dev/null | grep -q '"rule":"Execution from temporary directory or memory"'; then
	pass "kcap detect -r on the flight file fires the same rule"
else
	fail "kcap detect -r on the flight file fires the same rule"
fi
peak=$(sed -n 's/.*memory peak \([0-9]*\) KiB.*/\1/p' /tmp/fl.err)
gone=$(sed -n 's/.* \([0-9]*\) chunks left the window.*/\1/p' /tmp/fl.err)
if [ -n "$peak" ] && [ "$peak" -le 1024 ] && [ "${gone:-0}" -gt 0 ]; then
	pass "flight memory stayed under 1 MB (peak $peak KiB; $gone chunks left the 3 s window)"
else
	fail "flight memory stayed under 1 MB (peak ${peak:-?} KiB, ${gone:-?} chunks left the window)"
fi
check "rmmod kcap" rmmod kcap
