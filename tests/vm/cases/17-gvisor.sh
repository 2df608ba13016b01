# SPDX-License-Identifier: Apache-2.0
# kcap-case-not-on: debug
# kcap-case-only-on: 7.*
# Both worlds in one stream: one kcap record with the driver (kcap.ko)
# and a gVisor sink while Debian's runsc (the host's static binary) runs a
# sandbox in this guest. A host process reads a marker file before and
# after the sandbox, the sandbox reads /etc/shadow and a file of its own.
# The sandbox's reads never reach the kernel's syscall tracepoints (its
# syscalls are gVisor's); they come through the sink. Checks: the kernel's
# events of the host process and gVisor's events of the sandbox are in one
# recording, in time order (host marker, sandbox reads, host marker), the
# sandbox's flagged and with its container id, the host's not; kcap detect
# on that recording fires the sensitive-file rule on a host process and on
# the sandboxed one, each with its own container (none, the sandbox).
. /lib/tap.sh

command -v runsc >/dev/null || { fail "runsc is not in the guest"; exit 1; }
insmod "$KO" || { fail "insmod"; exit 1; }
d=/tmp/gv
rm -rf $d
mkdir -p $d /var/run /etc
echo "root:*:19000:0:99999:7:::" >/etc/shadow
echo "inside" >$d/sandbox-file
echo "before" >$d/marker-before
echo "after" >$d/marker-after

# runsc's gofer pivot_roots, which the initramfs root refuses, and the
# kernel refuses a user namespace to a chrooted process: the sandbox runs
# with a tmpfs root, the guest's folders bound in, moved onto / in a mount
# namespace of its own.
nr=/tmp/gvroot
mkdir -p $nr
mount -t tmpfs gvroot $nr
for dir in bin sbin lib lib64 usr etc tmp dev; do
	[ -d /$dir ] || continue
	mkdir -p $nr/$dir
	mount --bind /$dir $nr/$dir
done
mkdir -p $nr/proc $nr/sys $nr/var/run
mount -t proc proc $nr/proc
mount -t sysfs sys $nr/sys
cat >$d/runsc-root <<EOS
#!/bin/sh
exec unshare -m sh -c 'cd $nr && mount --move . / && exec chroot . runsc "\$@"' sh "\$@"
EOS
chmod +x $d/runsc-root

check "kcap gvisor session-config" \
	kcap gvisor session-config --sink $d/sink.sock -o $d/session.json
kcap record --gvisor-sink $d/sink.sock --gvisor-holdback 1000 -w $d/merged.kcap >$d/rec.out 2>$d/rec.err &
rec=$!
i=0
while [ ! -S $d/sink.sock ] && [ $i -lt 300 ]; do usleep 100000; i=$((i + 1)); done
check "kcap record listens on the sink" [ -S $d/sink.sock ]
# the driver's session is on: a getpid of ours is recorded before going on
sleep 1

cat $d/marker-before >/dev/null
cat /etc/shadow >/dev/null
t0=$(cut -d' ' -f1 /proc/uptime)
timeout 120 $d/runsc-root --network=none --ignore-cgroups --pod-init-config=$d/session.json \
	do /bin/busybox sh -c "cat /etc/shadow $d/sandbox-file" >$d/sb.out 2>$d/sb.err
st=$?
t1=$(cut -d' ' -f1 /proc/uptime)
check "the sandbox ran (status $st, $t0 -> $t1 s)" [ "$st" = 0 ]
[ "$st" = 0 ] || diag $d/sb.err
check "the sandbox read the file" grep -q inside $d/sb.out
cat $d/marker-after >/dev/null
sleep 0.5
kill -INT $rec
wait $rec
st=$?
check "kcap record stopped cleanly (status $st)" [ "$st" = 0 ]
[ "$st" = 0 ] || diag $d/rec.err

kcap read -r $d/merged.kcap >$d/events.txt 2>$d/read.err
check "kcap read -r of the merged recording" [ $? = 0 ]
# line numbers: the file's order, which is time order
line() { grep -n -m1 -E "$1" $d/events.txt | cut -d: -f1; }
before=$(line "openat\(.*name=\"$d/marker-before\".*\) = [0-9]+$")
inside=$(line "openat\(.*name=\"$d/sandbox-file\".*\) = [0-9]+ flags=gvisor")
shadow=$(line "openat\(.*name=\"/etc/shadow\".*\) = [0-9]+ flags=gvisor")
after=$(line "openat\(.*name=\"$d/marker-after\".*\) = [0-9]+$")
check "the host's read before the sandbox: a kernel event, no gVisor flag (line $before)" [ -n "$before" ]
check "the sandbox's reads: gVisor events (lines $shadow, $inside)" [ -n "$inside" ] && [ -n "$shadow" ]
check "the host's read after the sandbox: a kernel event (line $after)" [ -n "$after" ]
check "time order across both sources: $before < $shadow < $inside < $after" \
	[ "${before:-0}" -lt "${shadow:-0}" ] && [ "${shadow:-0}" -lt "${inside:-0}" ] && [ "${inside:-0}" -lt "${after:-0}" ]
# timestamps never go back in the whole merged file
awk '{ if ($1 + 0 < last) { bad++; print prev; print } last = $1 + 0; prev = $0 } END { exit bad > 0 }' \
	$d/events.txt >$d/back.txt
check "timestamps never decrease over the $(wc -l <$d/events.txt) events" [ $? = 0 ]
head -20 $d/back.txt | cut -c1-300 | sed 's/^/# back: /'
g=$(grep -c 'flags=gvisor' $d/events.txt)
k=$(grep -vc 'flags=gvisor' $d/events.txt)
check "both sources: $k kernel events, $g gVisor events" [ "$g" -gt 0 ] && [ "$k" -gt 0 ]
# the sandbox's cat: no host process read /tmp/gv/sandbox-file by that name
# (runsc's gofer opens it for the sandbox, relative to a directory of its
# own; the ptrace platform's stub thread "makes" the call, but the kernel
# does not run it: PTRACE_SYSEMU, whose exits the driver leaves out)
n=$(grep "name=\"$d/sandbox-file\"" $d/events.txt | grep -vc 'flags=gvisor')
check "the sandbox's open is not in the kernel's events by its path ($n)" [ "$n" = 0 ]
grep "name=\"$d/sandbox-file\"" $d/events.txt | grep -v 'flags=gvisor' | cut -c1-300 | sed 's/^/# kernel: /'
check "the sandbox's exec: busybox with the sandbox's container id" \
	grep -qE 'execve\(.*argv=\["/bin/busybox", "sh", "-c".*cgroup="gvisor:[^"]+".*flags=gvisor' $d/events.txt
[ -z "$inside" ] && diag $d/events.txt

kcap detect -R /lib/kcap_rules.yaml -r $d/merged.kcap >$d/alerts.txt 2>$d/detect.err
check "kcap detect -r of the merged recording" [ $? = 0 ]
# (busybox's applets re-execute /proc/self/exe: the host's cat is "exe")
host=$(grep -cE 'Sensitive file opened.*command=[a-z]+ /etc/shadow file=/etc/shadow .*container_id=host' $d/alerts.txt)
sb=$(grep -cE "Sensitive file opened.*command=[a-z]+ /etc/shadow $d/sandbox-file file=/etc/shadow .*container_id=runsc-[0-9]+" $d/alerts.txt)
check "the sensitive-file rule fires on the host's cat ($host)" [ "$host" -ge 1 ]
check "and on the sandboxed cat, with the sandbox's container id ($sb)" [ "$sb" -ge 1 ]
sed "s/^/# /" $d/alerts.txt | grep -v "attached with ptrace" | cut -c1-600
for m in $(awk '$2 ~ "^/tmp/gvroot" { print $2 }' /proc/mounts | sort -r); do umount $m; done
rmmod kcap
