# SPDX-License-Identifier: Apache-2.0
# Sourced by cases/80-detect.sh and demo/10-demo.sh in the guest (busybox
# sh): a container-like process and the behaviours of kcap's default rules.
#
# The "container" is a cgroup v2 directory named the way docker names one
# under systemd (system.slice/docker-<64 hex>.scope); the attack runs in it,
# in new UTS and mount namespaces (unshare), with a pseudo-terminal.

CID=4f1ac0de5ca1ab1e0123456789abcdef0123456789abcdef0123456789abcdef
CID12=4f1ac0de5ca1
CG=/sys/fs/cgroup/system.slice/docker-$CID.scope
RULES=/lib/kcap_rules.yaml

scenario_setup() {
	mkdir -p /etc
	mkdir -p /sys/fs/cgroup
	grep -q cgroup2 /proc/mounts || mount -t cgroup2 none /sys/fs/cgroup
	mkdir -p "$CG"
	ifconfig lo 127.0.0.1 up
	echo 'root:$6$kcapdemo$notarealhash:19000:0:99999:7:::' >/etc/shadow
	chmod 600 /etc/shadow
	echo 'demo:x:1000:1000:demo:/tmp:/bin/sh' >>/etc/passwd
}

# detect_start OUT_PREFIX [ARGS]: kcap detect with the default rules in the
# background, recording to OUT_PREFIX.kcap; alerts in OUT_PREFIX.alerts.
detect_start() {
	out=$1
	shift
	kcap detect -R "$RULES" -w "$out.kcap" "$@" >"$out.alerts" 2>"$out.err" &
	detect_pid=$!
	i=0
	while ! grep -q capturing "$out.err" 2>/dev/null && [ $i -lt 100 ]; do
		usleep 100000
		i=$((i + 1))
	done
}

detect_stop() {
	usleep 300000
	kill -INT "$detect_pid"
	wait "$detect_pid"
}

# What a package manager, an operator's shell and normal network use do.
benign_workload() {
	nc -l -p 8081 >/dev/null 2>&1 &
	listener=$!
	mkdir -p /tmp/pkg/usr/share/doc/demo
	i=0
	while [ $i -lt 30 ]; do
		echo "data $i" >/tmp/pkg/usr/share/doc/demo/f$i.new
		mv /tmp/pkg/usr/share/doc/demo/f$i.new /tmp/pkg/usr/share/doc/demo/f$i
		i=$((i + 1))
	done
	cat /tmp/pkg/usr/share/doc/demo/f1 >/dev/null
	rm -rf /tmp/pkg
	sh -c 'ls / >/dev/null; cat /etc/passwd /etc/hostname >/dev/null 2>&1; id >/dev/null; uname -a >/dev/null'
	echo hello | nc -w 1 127.0.0.1 8081
	kill $listener 2>/dev/null
	wait $listener 2>/dev/null
}

# The story: a shell with a terminal in the container reads /etc/shadow,
# writes below /etc and calls out; then host-side tricks.
attack_workload() {
	nc -l -p 8080 >/dev/null 2>&1 &
	listener=$!
	usleep 100000
	sh -c "echo \$\$ >$CG/cgroup.procs; exec unshare -u -m detect_helper pty sh -c \
		'cat /etc/shadow >/dev/null; echo pwned >>/etc/kcap-demo.conf; \
		 echo exfil | nc -w 1 127.0.0.1 8080; exit 0'"
	kill $listener 2>/dev/null
	wait $listener 2>/dev/null
	host_workload
}

# Host-side tricks: ptrace, setuid(0), programs run from /tmp and memory,
# a write below a binary directory.
host_workload() {
	detect_helper ptrace
	detect_helper setuid
	cp /bin/busybox /tmp/dropper && /tmp/dropper true
	detect_helper memfd /bin/busybox
	echo x >/usr/bin/kcap-evil
	rm -f /usr/bin/kcap-evil /tmp/dropper /etc/kcap-demo.conf
}

# A kernel module load attempted by a program that is not a module loader:
# a copy of kcap.ko under another name (refused: kcap is loaded, EEXIST),
# then a corrupt image (ENOEXEC). Output: detect_helper's result lines.
module_workload() {
	cp "$KO" /tmp/rootkit.ko
	detect_helper module /tmp/rootkit.ko
	rm -f /tmp/rootkit.ko
}
