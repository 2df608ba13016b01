# SPDX-License-Identifier: Apache-2.0
# Several sessions at once (ABI 2.3): kcap detect runs with its rules while
# two kcap record sessions capture, one every syscall and one only getsid
# (and a fourth recorder is killed with SIGKILL in the middle).
# Each session gets the counted workload's every getsid call (captured +
# counted drops = calls), each leaves out its own reader's events but not
# the other readers', the rules still fire, the holder and sessions files
# list all three with their counters, and rmmod is refused until the last
# one is closed.
. /lib/tap.sh
. /lib/detect-scenario.sh

insmod "$KO" || { fail "insmod"; exit 1; }
scenario_setup
holder=/sys/class/misc/kcap/holder
sessions=/sys/class/misc/kcap/sessions

detect_start /tmp/s-detect -j
kcap record -w /tmp/s-all.kcap >/dev/null 2>/tmp/s-all.err &
all=$!
kcap record -w /tmp/s-getsid.kcap -e getsid --no-lifecycle >/dev/null 2>/tmp/s-getsid.err &
gs=$!
# kcap record creates its file once its capture has started.
wait_for $holder "^$all " 20 && wait_for $holder "^$gs " 20
i=0
while { [ ! -s /tmp/s-all.kcap ] || [ ! -s /tmp/s-getsid.kcap ]; } && [ $i -lt 100 ]; do
	usleep 100000
	i=$((i + 1))
done
n=$(grep -c . $holder)
c=$(grep -c ' capturing ' $sessions)
if [ "$n" = 3 ] && [ "$c" = 3 ]; then
	pass "three sessions open and capturing at once (holder: $(tr '\n' ';' <$holder))"
else
	fail "three sessions open and capturing at once ($n holder lines, $c capturing)"
	diag $holder
	diag $sessions
	diag /tmp/s-all.err
	diag /tmp/s-getsid.err
fi
kcap driver status >/tmp/ds.out 2>&1
if grep -q '^sessions: *3$' /tmp/ds.out && [ "$(grep -c ' capturing ' /tmp/ds.out)" = 3 ]; then
	pass "kcap driver status lists the three sessions"
else
	fail "kcap driver status lists the three sessions"
	diag /tmp/ds.out
fi
if rmmod kcap 2>/tmp/rmmod.err; then
	fail "rmmod refused while three sessions are open"
	insmod "$KO"
else
	pass "rmmod refused while three sessions are open"
fi

t() { echo "# $1 at $(cut -d' ' -f1 /proc/uptime) s"; }
t "sessions started"
# A fourth reader, killed while the others read: they must not notice.
kcap record -w /tmp/s-killed.kcap >/dev/null 2>/tmp/s-killed.err &
victim=$!
wait_for $holder "^$victim " 20
(usleep 300000; kill -KILL $victim) &
storm_load 1000 2 >/tmp/load.out 2>&1
echo "load_status=$?" >>/tmp/load.out
t "storm_load done"
wait $victim 2>/dev/null
check "a fourth session, killed with SIGKILL while the others read, is gone" \
	sh -c "! grep -q '^$victim ' $holder"
attack_workload
t "attack done"
cat $sessions >/tmp/sessions.during
kill -INT $all $gs
wait $all
st1=$?
wait $gs
st2=$?
detect_stop
st3=$?
t "readers stopped"
check "the three readers stop cleanly ($st1 $st2 $st3)" [ "$st1$st2$st3" = 000 ]
diag /tmp/sessions.during

# Each session's counters are its own: all three wrote events.
busy=$(awk '$6 > 0' /tmp/sessions.during | wc -l)
check "each session counted events of its own ($busy of 3)" [ "$busy" = 3 ]

# counted NAME FILE: getsid events of storm_load + counted drops = calls.
pid=$(sed -n 's/^pid=//p' /tmp/load.out)
calls=$(sed -n 's/^calls=//p' /tmp/load.out)
counted() {
	if ! kcap info "$2" >/tmp/info.out 2>&1 || ! kcap read -r "$2" >/tmp/read.txt 2>&1; then
		fail "$1: kcap info and kcap read of $2"
		diag /tmp/info.out
		return
	fi
	got=$(grep -c " pid=$pid tid=$pid syscall getsid(" /tmp/read.txt)
	set -- "$1" $(awk '$1 == "cpu" { f += $5; p += $6; o += $8; n++ }
		END { if (n) print f + 0, p + 0, o + 0 }' /tmp/info.out)
	if [ -n "$calls" ] && [ "$((got + ${2:-0} + ${3:-0} + ${4:-0}))" = "$calls" ]; then
		pass "$1: captured + counted drops = calls ($got + $2 + $3 + $4 = $calls)"
	else
		fail "$1: captured + counted drops = calls ($got + ${2:-?} + ${3:-?} + ${4:-?} != ${calls:-?})"
		diag /tmp/info.out
	fi
}
if grep -q '^load_status=0$' /tmp/load.out; then
	pass "storm_load ran ($calls getsid calls)"
	counted "every-syscall session" /tmp/s-all.kcap
	mv /tmp/read.txt /tmp/all.txt
	counted "getsid session" /tmp/s-getsid.kcap
else
	fail "storm_load ran"
	diag /tmp/load.out
	kcap read -r /tmp/s-all.kcap >/tmp/all.txt 2>&1
fi

t "files counted"
# Own reader's events out, the other readers' in (/tmp/all.txt: counted's).
own=$(grep -c " pid=$all " /tmp/all.txt)
other=$(grep -c " pid=$gs " /tmp/all.txt)
det=$(grep -c " pid=$detect_pid " /tmp/all.txt)
what="every-syscall session: none of its reader's events ($own), the other readers' there ($other, $det)"
if [ "$own" = 0 ] && [ "$other" -gt 0 ] && [ "$det" -gt 0 ]; then
	pass "$what"
else
	fail "$what"
fi

# The rules fired in detect's session while the others recorded.
for rule in "Read sensitive file untrusted" "Write below etc" "PTRACE attached to process"; do
	if grep -q "\"rule\":\"$rule\"" /tmp/s-detect.alerts; then
		pass "detect beside two recorders: $rule fires"
	else
		fail "detect beside two recorders: $rule fires"
		diag /tmp/s-detect.err
	fi
done

i=0
while [ $i -lt 50 ] && ! grep -qx none $holder; do
	usleep 100000
	i=$((i + 1))
done
check "holder says none once every session is closed" grep -qx none $holder
check "sessions lists nothing once every session is closed" [ -z "$(cat $sessions)" ]
check "rmmod kcap after the last session" rmmod kcap
