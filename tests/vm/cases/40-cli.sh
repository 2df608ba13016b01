# SPDX-License-Identifier: Apache-2.0
# kcap-case-not-on: debug
# kcap-case-only-on: 6.1.0-[0-9][0-9]-amd64 6.1.0-[0-9][0-9][0-9]-amd64 7.*
# The kcap CLI records filtered events, and explains a missing driver.
. /lib/tap.sh

check "insmod kcap.ko" insmod $KO
command -v kcap >/dev/null || fail "kcap CLI is in the guest"
start_load
timeout 60 kcap record -n 20 -e getppid,openat >/tmp/rec.out 2>/tmp/rec.err
st=$?
stop_load
lines=$(grep -c . /tmp/rec.out)
if [ $st -eq 0 ] && [ "$lines" -ge 20 ]; then
	pass "kcap record -n 20 -e getppid,openat prints $lines lines"
else
	fail "kcap record -n 20 -e getppid,openat (status $st, $lines lines)"
	diag /tmp/rec.out
	diag /tmp/rec.err
fi
if grep -qE 'getppid|openat' /tmp/rec.out; then
	pass "recorded events name getppid or openat"
else
	fail "recorded events name getppid or openat"
fi
# Lifecycle events (fork, exec, exit) come with any filter; syscall events
# must all be ones the filter names.
other=$(grep ' syscall ' /tmp/rec.out | grep -vcE ' syscall (getppid|openat)\(')
if [ "$lines" -gt 0 ] && [ "$other" -eq 0 ]; then
	pass "no syscall event outside the -e filter"
else
	fail "no syscall event outside the -e filter ($other other)"
	diag /tmp/rec.out
fi
# A filter expression (Falco syntax) on live capture: only matching events,
# fd.name and proc.exe from the thread table; printed and written with -w.
# The workload's busybox execs itself through /proc/self/exe, so its comm
# (proc.name, as in Falco) is "exe"; proc.exe (argv[0]) says cat.
flt='evt.type=openat and fd.name=/proc/version and proc.exe=cat'
start_load
timeout 30 kcap record -n 20 "$flt" >/tmp/rec.out 2>/tmp/rec.err
st=$?
timeout 30 kcap record -n 20 -w /tmp/flt.kcap "$flt" 2>/tmp/recw.err
stw=$?
stop_load
other=$(grep -vc ' openat(' /tmp/rec.out)
if [ $st -eq 0 ] && [ "$(grep -c . /tmp/rec.out)" -eq 20 ] && [ "$other" -eq 0 ]; then
	pass "kcap record FILTER: 20 openat events of /proc/version, nothing else"
else
	fail "kcap record FILTER (status $st, $other other lines)"
	diag /tmp/rec.out
	diag /tmp/rec.err
fi
kcap read -r /tmp/flt.kcap >/tmp/flt.out 2>&1
if [ $stw -eq 0 ] && [ "$(grep -c ' openat(' /tmp/flt.out)" -eq 20 ] &&
   [ "$(grep -c . /tmp/flt.out)" -eq 20 ]; then
	pass "kcap record -w FILTER: the file holds the 20 matching events only"
else
	fail "kcap record -w FILTER (status $stw)"
	diag /tmp/recw.err
	diag /tmp/flt.out
fi
# Live detect ends when its output pipe closes: at the next alert (SIGPIPE,
# status 141), or, with no alert coming, while it waits for events.
cat >/tmp/openat.yaml <<'YAML'
- rule: every openat
  desc: one alert per openat
  condition: evt.type = openat
  output: "openat by %proc.name"
  priority: WARNING
- rule: never
  desc: matches nothing
  condition: evt.type = openat and proc.name = no-such-process
  output: "never"
  priority: WARNING
YAML
sed -n '/^- rule: never/,$p' /tmp/openat.yaml >/tmp/never.yaml
# SIGKILL at the timeout: a command that missed its reader's end says 137.
start_load
(timeout -s KILL 30 kcap detect -R /tmp/openat.yaml 2>/tmp/det.err; echo $? >/tmp/det.st) |
	head -1 >/tmp/det.out
(timeout -s KILL 30 kcap detect -R /tmp/never.yaml 2>/tmp/det2.err; echo $? >/tmp/det2.st) | sleep 1
(timeout -s KILL 30 kcap record proc.name=no-such-process 2>/tmp/rec3.err; echo $? >/tmp/rec3.st) |
	sleep 1
stop_load
if [ "$(cat /tmp/det.st)" = 141 ] && [ "$(grep -c 'openat by' /tmp/det.out)" = 1 ]; then
	pass "kcap detect | head -1: one alert, then SIGPIPE (141)"
else
	fail "kcap detect | head -1 (status $(cat /tmp/det.st), want 141)"
	diag /tmp/det.err
fi
# The load keeps events coming: the end of the reader is noticed between
# events, not only when the rings are idle.
if [ "$(cat /tmp/det2.st)" = 141 ]; then
	pass "kcap detect without alerts, events flowing, ends when its reader goes (141, not the timeout)"
else
	fail "kcap detect without alerts, reader gone (status $(cat /tmp/det2.st), want 141)"
	diag /tmp/det2.err
fi
if [ "$(cat /tmp/rec3.st)" = 141 ]; then
	pass "kcap record with a filter that matches nothing ends when its reader goes (141)"
else
	fail "kcap record matching nothing, reader gone (status $(cat /tmp/rec3.st), want 141)"
	diag /tmp/rec3.err
fi
# Not root: /dev/kcap is 0600 root, the CLI says so in one line.
timeout 30 detect_helper runas 1000 kcap record -n 1 >/tmp/rec.out 2>/tmp/rec.err
st=$?
if [ $st -eq 1 ] && [ "$(grep -c . /tmp/rec.err)" -eq 1 ] && grep -q 'needs root' /tmp/rec.err; then
	pass "kcap as a non-root user: one-line 'needs root' error, status 1"
else
	fail "kcap as a non-root user (status $st)"
	diag /tmp/rec.err
fi
check "rmmod kcap" rmmod kcap

timeout 30 kcap record -n 1 >/tmp/rec.out 2>/tmp/rec.err
st=$?
errlines=$(grep -c . /tmp/rec.err)
if [ $st -ne 0 ] && [ $st -lt 126 ] && [ "$errlines" -eq 1 ] && [ ! -s /tmp/rec.out ] &&
   grep -q 'kcap driver load' /tmp/rec.err; then
	pass "kcap without the driver: one-line error naming kcap driver load, status $st"
else
	fail "kcap without the driver: one-line error (status $st, $errlines lines)"
	diag /tmp/rec.err
fi
for cmd in "stats" "detect -R /tmp/never.yaml" "export -n 1"; do
	timeout 30 kcap $cmd >/dev/null 2>/tmp/rec.err
	st=$?
	if [ $st -eq 1 ] &&
	   grep -q 'not loaded.*kcap driver load' /tmp/rec.err; then
		pass "kcap $cmd without the driver: the same advice (status $st)"
	else
		fail "kcap $cmd without the driver (status $st)"
		diag /tmp/rec.err
	fi
done
