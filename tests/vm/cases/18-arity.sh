# SPDX-License-Identifier: Apache-2.0
# ABI 3 generic syscall records carry only the arguments a syscall takes
# (driver/syscall_arity.h, generated from one kernel's source). The oracle
# is the running kernel's own syscall metadata: for every syscall that came
# as a generic record, the argument count must equal the fields after
# __syscall_nr in tracefs' events/syscalls/sys_enter_NAME/format.
. /lib/tap.sh

check "insmod kcap.ko" insmod $KO
T=/sys/kernel/tracing
mountpoint -q $T || mount -t tracefs nodev $T 2>/dev/null

kcap record -w /tmp/ar.kcap >/tmp/ar.out 2>&1 &
rec=$!
i=0
while [ ! -s /tmp/ar.kcap ] && [ $i -lt 200 ]; do usleep 50000; i=$((i + 1)); done
# A mixed workload: busybox applets make dozens of distinct syscalls.
for n in 1 2 3; do
	ls -l / /proc/self/ >/dev/null
	cat /proc/version /proc/self/status >/dev/null
	find /lib -name 'tap*' >/dev/null
	dd if=/dev/zero of=/tmp/ar.dd bs=4k count=4 2>/dev/null
	sleep 0.1
	ps >/dev/null
	date >/dev/null
	uname -a >/dev/null
	stat /tmp >/dev/null
	df >/dev/null 2>&1
	ln -sf /tmp/ar.dd /tmp/ar.ln
	readlink /tmp/ar.ln >/dev/null
	chmod 600 /tmp/ar.dd
	touch /tmp/ar.dd
	rm -f /tmp/ar.ln /tmp/ar.dd
done
sleep 1
kill -INT $rec
wait $rec
check "kcap record wrote the workload" test -s /tmp/ar.kcap || diag /tmp/ar.out

# "NAME NARGS" for every distinct generic exit record.
kcap read -r /tmp/ar.kcap 2>/dev/null | awk '
	/ syscall [a-z0-9_]+\(/ {
		s = $0
		sub(/.* syscall /, "", s)
		name = s
		sub(/\(.*/, "", name)
		args = s
		sub(/^[^(]*\(/, "", args)
		sub(/\).*/, "", args)
		n = args == "" ? 0 : gsub(/a[0-5]=/, "", args)
		print name, n
	}' | sort -u >/tmp/ar.seen
checked=0
bad=""
nometa=0
first=""
while read -r name n; do
	f=$T/events/syscalls/sys_enter_$name/format
	if [ ! -f "$f" ]; then
		nometa=$((nometa + 1))
		continue
	fi
	# The arguments: the fields after __syscall_nr. Kernels from 6.18 on
	# add the user strings they read (__data_loc fields): not arguments.
	want=$(awk '/__syscall_nr/ { on = 1; next }
		on && /field:/ && !/__data_loc/ { c++ } END { print c + 0 }' "$f")
	checked=$((checked + 1))
	if [ "$n" != "$want" ]; then
		bad="$bad $name:$n/$want"
		[ -n "$first" ] || first=$f
	fi
done </tmp/ar.seen
if [ $checked -ge 15 ] && [ -z "$bad" ]; then
	pass "arguments of $checked distinct generic syscalls match the kernel's metadata ($nometa without metadata)"
else
	fail "arguments of generic syscalls vs the kernel's metadata: $checked checked; differ (recorded/kernel):$bad"
	diag /tmp/ar.seen
	[ -z "$first" ] || diag "$first"
fi

rm -f /tmp/ar.kcap
check "rmmod kcap" rmmod kcap
