# SPDX-License-Identifier: Apache-2.0
# Capture files with the real driver: a known workload recorded with
# kcap record -w (cleanly stopped, with forced drops, and SIGKILLed), read
# back in the guest, then sent to the host (export_file), where
# tests/vm/host/50-capture.sh reads them with the host's kcap.
. /lib/tap.sh

# record_bg FILE ARGS...: start kcap record -w FILE in the background and
# wait until it writes (the file appears once capture has started).
record_bg() {
	f=$1
	shift
	rm -f "$f"
	kcap record -w "$f" "$@" >/tmp/rec.out 2>/tmp/rec.err &
	rec=$!
	i=0
	while [ ! -s "$f" ] && [ $i -lt 100 ]; do
		usleep 100000
		i=$((i + 1))
	done
}

# stop_rec SIGNAL: stop the recorder, return its exit status.
stop_rec() {
	kill -"$1" "$rec"
	wait "$rec"
}

check "insmod kcap.ko" insmod $KO

# The guest's user and group names: the recording stores them (format
# 1.1), and the host, which has no such user, reads them from the file.
mkdir -p /etc
printf 'root:x:0:0:root:/tmp:/bin/sh\nkcapdemo:x:4242:4242::/tmp:/bin/sh\n' >/etc/passwd
printf 'root:x:0:\nkcapgrp:x:4242:\n' >/etc/group

# 1. A clean recording of a known workload.
record_bg /tmp/cap.kcap -e getppid,openat
capture_load 1000 50 5 >/tmp/load.out
stop_rec INT
st=$?
if [ $st -eq 0 ] && [ -s /tmp/cap.kcap ]; then
	pass "kcap record -w: stopped by SIGINT, status 0"
else
	fail "kcap record -w: status $st"
	diag /tmp/rec.err
fi
diag /tmp/rec.err
pid=$(sed -n 's/^pid=//p' /tmp/load.out)
kcap read -r /tmp/cap.kcap >/tmp/read.out 2>/tmp/read.err
n=$(grep -c " pid=$pid tid=$pid syscall getppid(" /tmp/read.out)
if [ "$n" -eq 1000 ]; then
	pass "guest: kcap read finds the 1000 getppid calls"
else
	fail "guest: kcap read finds the 1000 getppid calls (got $n)"
	diag /tmp/read.err
fi
kcap info /tmp/cap.kcap >/tmp/info.out 2>&1
if grep -q '^closed: *cleanly' /tmp/info.out; then
	pass "guest: kcap info: closed cleanly"
else
	fail "guest: kcap info: closed cleanly"
	diag /tmp/info.out
fi
if grep -q '^names: *2 users, 2 groups' /tmp/info.out; then
	pass "guest: the recording holds this machine's 2 users and 2 groups"
else
	fail "guest: the recording's user and group names"
	diag /tmp/info.out
fi

# 2. Drops: a small ring and a stopped recorder.
record_bg /tmp/drop.kcap -e getppid --buffer-size 64K
kill -STOP "$rec"
capture_load 30000 0 0 >/dev/null
kill -CONT "$rec"
usleep 300000
stop_rec INT
st=$?
if [ $st -eq 0 ]; then
	pass "kcap record -w with drops: status 0"
else
	fail "kcap record -w with drops: status $st"
	diag /tmp/rec.err
fi
diag /tmp/rec.err

# 3. A recorder killed with SIGKILL after the workload: at most the last
# second is lost, and the workload is older than that. The recorder writes
# a batch at least every second without being asked: wait until the
# workload's events are in the file (read while it is written), then kill.
# A fixed sleep failed once on the debug kernel under a loaded host (the
# recorder had not run yet); the deadline only bounds a broken recorder.
record_bg /tmp/killed.kcap -e getppid
capture_load 1000 0 0 >/tmp/killed-load.out
kpid=$(sed -n 's/^pid=//p' /tmp/killed-load.out)
i=0
while [ $i -lt 120 ]; do
	sleep 1
	i=$((i + 1))
	n=$(kcap read -r /tmp/killed.kcap 2>/dev/null | grep -c " pid=$kpid tid=$kpid syscall getppid(")
	[ "$n" -ge 1000 ] && break
done
echo "# SIGKILL after $i s, $n of the workload's events on disk"
stop_rec KILL
kcap info /tmp/killed.kcap >/tmp/killed-info.out 2>&1
if grep -q '^closed: *NOT cleanly' /tmp/killed-info.out; then
	pass "guest: SIGKILLed recording: kcap info says not closed cleanly"
else
	fail "guest: SIGKILLed recording: kcap info says not closed cleanly"
	diag /tmp/killed-info.out
fi
# 4. Names: a program run as uid and gid 4242 (kcapdemo, kcapgrp here);
# execve's exit event carries the new credentials.
record_bg /tmp/names.kcap -e openat,execve
detect_helper runas 4242 cat /proc/version >/dev/null
stop_rec INT
n=$(kcap read -r /tmp/names.kcap 'user.uid = 4242 and user.name = kcapdemo and group.name = kcapgrp and evt.type = openat' 2>&1 | grep -c .)
if [ "$n" -ge 1 ]; then
	pass "guest: uid 4242 is kcapdemo, gid 4242 kcapgrp ($n openat events)"
else
	fail "guest: user.name and group.name of uid/gid 4242"
	kcap read -r /tmp/names.kcap 2>&1 | tail -5 | sed 's/^/# /'
fi
# 5. proc.tty as Falco encodes it: the tty_nr the kernel itself reports in
# /proc/PID/stat for a shell on a pty (detect_helper pty) is what kcap says.
record_bg /tmp/tty.kcap -e openat,execve
detect_helper pty sh -c 'cat /proc/self/stat >/tmp/stat.out' >/dev/null
stop_rec INT
set -- $(cat /tmp/stat.out)
tpid=$1 tty_nr=$7
# The last openat of that process (its first ones, in detect_helper before
# TIOCSCTTY, have no controlling tty yet).
got=$(kcap read -r /tmp/tty.kcap -p '%proc.tty' "proc.pid = $tpid and evt.type = openat" 2>&1 |
	tail -1)
if [ -n "$tty_nr" ] && [ "$tty_nr" != 0 ] && [ "$got" = "$tty_nr" ]; then
	pass "guest: proc.tty of a shell on a pty is /proc/PID/stat's tty_nr ($got)"
else
	fail "guest: proc.tty $got, /proc/$tpid/stat says tty_nr ${tty_nr:-?}"
fi
check "rmmod kcap" rmmod kcap

for f in cap.kcap drop.kcap killed.kcap names.kcap load.out killed-load.out read.out; do
	export_file "$f" "/tmp/$f"
done
