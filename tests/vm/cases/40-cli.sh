# SPDX-License-Identifier: Apache-2.0
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
if [ $st -ne 0 ] && [ $st -lt 126 ] && [ "$errlines" -eq 1 ] && [ ! -s /tmp/rec.out ]; then
	pass "kcap without the driver: one-line error, status $st"
else
	fail "kcap without the driver: one-line error (status $st, $errlines lines)"
	diag /tmp/rec.err
fi
