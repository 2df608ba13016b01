# SPDX-License-Identifier: Apache-2.0
# kcap-case-not-on: debug
# Both sources in one boot: kcap.ko and kcap's gVisor sink merged into one
# time-ordered stream. kcap record (-e openat,execve for the kernel side)
# with --gvisor-sink; a host process opens a marker file, a runsc sandbox
# (Debian's runsc, ptrace platform, the guest's / read-only as its root)
# runs cat /etc/shadow, then a host process opens a second marker. The
# capture file holds the kernel's events (no gvisor flag) and the sandbox's
# (flags=gvisor, mapped pids, cgroup gvisor:<id>), in time order: before <
# the sandbox's open of /etc/shadow < after; each source's events are in
# time order and the sandbox's are at most 1 s late behind the kernel's
# (the live merge orders across sources up to delivery delay: in this TCG
# guest gVisor's events reached the sink up to about 0.1 s after their
# time, the number is printed). kcap detect -r fires the sensitive-file
# rule on the sandboxed cat.
#
# The guest's / is the initramfs (rootfs), which pivot_root refuses, and
# runsc pivots into its sandbox root; a plain chroot elsewhere will not do
# either, as a chrooted process may not create the user namespace runsc's
# sandbox starts in. So runsc runs in a mount namespace of its own whose /
# is a bind mount of / moved on top of it (switch_root's way: the root is
# then a mount with a parent, and not a chroot), where /tmp, /proc and /dev
# are the same mounts.
. /lib/tap.sh

command -v runsc >/dev/null || { fail "runsc is not in the guest (run-guest.sh copies it)"; exit 1; }
insmod "$KO" || { fail "insmod"; exit 1; }

mkdir -p /etc
echo 'root:$6$kcap$guest:19000:0:99999:7:::' >/etc/shadow
chmod 600 /etc/shadow
echo before >/tmp/host-before
echo after >/tmp/host-after
ID=gvguest
B=/tmp/gvbundle
mkdir -p $B /tmp/runsc-root /tmp/gvroot
cat >$B/config.json <<'JSON'
{"ociVersion": "1.0.0",
 "process": {"user": {"uid": 0, "gid": 0}, "args": ["/bin/sh", "-c", "cat /etc/shadow >/dev/null; echo sandboxed"],
  "env": ["PATH=/bin:/sbin:/usr/bin:/usr/sbin"], "cwd": "/",
  "capabilities": {"bounding": ["CAP_DAC_OVERRIDE"], "effective": ["CAP_DAC_OVERRIDE"], "permitted": ["CAP_DAC_OVERRIDE"]}},
 "root": {"path": "/", "readonly": true},
 "hostname": "gvguest",
 "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"}],
 "linux": {"namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"},
                          {"type": "uts"}, {"type": "mount"}]}}
JSON

kcap gvisor session-config --sink /tmp/gv.sock --points openat,execve -o /tmp/gv-session.json
check "kcap gvisor session-config" [ -s /tmp/gv-session.json ]
kcap record -e openat,execve --gvisor-sink /tmp/gv.sock -w /tmp/merged.kcap \
	>/tmp/rec.out 2>/tmp/rec.err &
rec=$!
i=0
while [ ! -S /tmp/gv.sock ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "kcap record listens on the sink with the driver loaded" [ -S /tmp/gv.sock ]
sleep 0.5

cat /tmp/host-before >/dev/null
t0=$(cut -d' ' -f1 /proc/uptime)
# in_root CMD...: CMD with / a bind mount of the guest's / (see above)
in_root() {
	unshare -m sh -c 'mount --make-rprivate / 2>/dev/null; mount --rbind / /tmp/gvroot &&
		cd /tmp/gvroot && mount -o move /tmp/gvroot / && exec chroot . "$@"' sh "$@"
}
in_root runsc --root /tmp/runsc-root --network=none --ignore-cgroups \
	--pod-init-config=/tmp/gv-session.json run --bundle /tmp/gvbundle gvguest >/tmp/sb.out 2>&1
st=$?
t1=$(cut -d' ' -f1 /proc/uptime)
echo "# sandbox: status $st, $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
grep -q sandboxed /tmp/sb.out
check "the sandbox ran its workload (status $st)" [ $? -eq 0 ]
[ $st -eq 0 ] || diag /tmp/sb.out
cat /tmp/host-after >/dev/null
sleep 0.5
kill -INT $rec
wait $rec
check "kcap record stopped cleanly" [ $? -eq 0 ]
diag /tmp/rec.err
in_root runsc --root /tmp/runsc-root delete -force gvguest >/dev/null 2>&1

kcap read -r /tmp/merged.kcap >/tmp/merged.txt 2>/tmp/read.err
check "kcap read -r of the merged file" [ $? -eq 0 ]
# line numbers of the three opens
lb=$(grep -n 'openat(.*name="/tmp/host-before"' /tmp/merged.txt | grep -v 'flags=.*gvisor' | head -1 | cut -d: -f1)
lg=$(grep -n 'openat(.*name="/etc/shadow".* flags=gvisor' /tmp/merged.txt | head -1 | cut -d: -f1)
la=$(grep -n 'openat(.*name="/tmp/host-after"' /tmp/merged.txt | grep -v 'flags=.*gvisor' | head -1 | cut -d: -f1)
check "the kernel's open of the first marker (line ${lb:-none})" [ -n "$lb" ]
check "the sandbox's open of /etc/shadow, flagged gvisor (line ${lg:-none})" [ -n "$lg" ]
check "the kernel's open of the second marker (line ${la:-none})" [ -n "$la" ]
in_order() {
	[ -n "$lb" ] && [ -n "$lg" ] && [ -n "$la" ] && [ "$lb" -lt "$lg" ] && [ "$lg" -lt "$la" ]
}
check "one stream in time order: before < sandbox < after" in_order
# Each source's events in time order, strictly; across the two, the live
# merge orders up to the sandbox's delivery delay (docs/gvisor.md): a
# gVisor event that reached the sink after younger kernel events had been
# handed out follows them. Such inversions are counted and measured here,
# and must be gVisor events behind kernel ones by less than 1 s.
awk '{ g = / flags=.*gvisor/ ? "gvisor" : "kernel"; t = $1 + 0
       if (t < last[g]) own++
       last[g] = t
       if (NR > 1 && t < max) { n++; d = max - t; if (d > worst) worst = d
         if (g != "gvisor" || maxsrc != "kernel") other++ }
       if (t >= max) { max = t; maxsrc = g } }
     END { printf "# %d events behind a younger one of the other source, at most %.6f s; " \
                  "%d out of order within their source\n", n, worst, own
           exit own > 0 || other > 0 || worst >= 1 }' /tmp/merged.txt >/tmp/order.txt
st=$?
cat /tmp/order.txt
check "each source in time order, gVisor's at most 1 s late ($(wc -l </tmp/merged.txt) events)" \
	[ $st -eq 0 ]
grep -q 'cgroup="gvisor:gvguest"' /tmp/merged.txt
check "the sandbox's exec carries its container id" [ $? -eq 0 ]
ng=$(grep -c 'flags=.*gvisor' /tmp/merged.txt)
nk=$(grep -vc 'flags=.*gvisor' /tmp/merged.txt)
echo "# $nk kernel events, $ng gVisor events"
kcap detect -R /lib/kcap_rules.yaml -r /tmp/merged.kcap >/tmp/alerts.txt 2>/tmp/detect.err
grep -q 'Sensitive file opened for reading .*file=/etc/shadow .*container_id=gvguest' /tmp/alerts.txt
st=$?
check "kcap detect -r: the sensitive-file rule fires on the sandboxed cat" [ $st -eq 0 ]
[ $st -eq 0 ] || { diag /tmp/alerts.txt; diag /tmp/detect.err; grep 'flags=.*gvisor' /tmp/merged.txt | cut -c1-400 | sed 's/^/# /'; }
rmmod kcap
