# SPDX-License-Identifier: Apache-2.0
# Sourced by cases/16-container.sh and demo/10-demo.sh in the guest (busybox
# sh): OCI bundles on a static busybox rootfs, run by Debian's runc and crun
# (run-guest.sh puts them in the initramfs) the way containerd's shim runs
# them: `create` (a terminal goes to a --console-socket), then `start`.
#
# The guest's root is an initramfs, which cannot be pivot_root'ed away:
# both runtimes run with --no-pivot. cgroup v2 is mounted on /sys/fs/cgroup.

CT_DIR=/tmp/ct
CT_ROOTFS=$CT_DIR/rootfs
# Annotations containerd's CRI plugin writes into a pod container's spec.
CT_IMAGE=registry.example/team/shop:1.4
CT_POD=shop-7d9f8c6b5-x2k4q
CT_NS=shop
CT_POD_UID=3f1e2d4c-5b6a-4789-9abc-def012345678
CT_SANDBOX=5a9d0b1c2e3f405162738495a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f
CT_CGROUP_POD=/kubepods/besteffort/pod$CT_POD_UID

CT_ALL_CAPS='"CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_DAC_READ_SEARCH","CAP_FOWNER",
"CAP_FSETID","CAP_KILL","CAP_SETGID","CAP_SETUID","CAP_SETPCAP","CAP_LINUX_IMMUTABLE",
"CAP_NET_BIND_SERVICE","CAP_NET_BROADCAST","CAP_NET_ADMIN","CAP_NET_RAW","CAP_IPC_LOCK",
"CAP_IPC_OWNER","CAP_SYS_MODULE","CAP_SYS_RAWIO","CAP_SYS_CHROOT","CAP_SYS_PTRACE",
"CAP_SYS_PACCT","CAP_SYS_ADMIN","CAP_SYS_BOOT","CAP_SYS_NICE","CAP_SYS_RESOURCE",
"CAP_SYS_TIME","CAP_SYS_TTY_CONFIG","CAP_MKNOD","CAP_LEASE","CAP_AUDIT_WRITE",
"CAP_AUDIT_CONTROL","CAP_SETFCAP","CAP_MAC_OVERRIDE","CAP_MAC_ADMIN","CAP_SYSLOG",
"CAP_WAKE_ALARM","CAP_BLOCK_SUSPEND","CAP_AUDIT_READ","CAP_PERFMON","CAP_BPF",
"CAP_CHECKPOINT_RESTORE"'
# runc spec's defaults: three capabilities, masked and read-only /proc paths.
CT_DEFAULT_CAPS='"CAP_AUDIT_WRITE","CAP_KILL","CAP_NET_BIND_SERVICE"'
CT_MASKED='"maskedPaths": ["/proc/acpi","/proc/asound","/proc/kcore","/proc/keys",
"/proc/latency_stats","/proc/timer_list","/proc/timer_stats","/proc/sched_debug",
"/sys/firmware","/proc/scsi"],
"readonlyPaths": ["/proc/bus","/proc/fs","/proc/irq","/proc/sys","/proc/sysrq-trigger"],'

# The wall clock to the nanosecond, as the events' times (busybox's date
# has no %N; a file's mtime has).
ct_now() {
	touch $CT_DIR/.now
	stat -c %y $CT_DIR/.now | cut -d' ' -f2
}

# cgroup v2, /run for the runtimes' state, the shared busybox rootfs.
ct_setup() {
	mkdir -p /sys/fs/cgroup /run "$CT_ROOTFS/bin" "$CT_ROOTFS/proc" "$CT_ROOTFS/dev" \
		"$CT_ROOTFS/etc" "$CT_ROOTFS/data" "$CT_ROOTFS/tmp" "$CT_DIR/hostdir"
	grep -q ' /sys/fs/cgroup cgroup2 ' /proc/mounts || mount -t cgroup2 none /sys/fs/cgroup
	cp /bin/busybox "$CT_ROOTFS/bin/busybox"
	for a in sh cat true hostname sleep ls echo id nc; do
		ln -sf busybox "$CT_ROOTFS/bin/$a"
	done
	echo "shop" >"$CT_ROOTFS/etc/hostname"
	echo "root:x:0:0:root:/:/bin/sh" >"$CT_ROOTFS/etc/passwd"
	echo "hello from the host" >"$CT_DIR/hostdir/greeting"
}

# ct_pod_annotations NAME: the CRI plugin's annotations for container NAME
# of the pod.
ct_pod_annotations() {
	cat <<EOF
"annotations": {
	"io.kubernetes.cri.container-type": "container",
	"io.kubernetes.cri.container-name": "$1",
	"io.kubernetes.cri.image-name": "$CT_IMAGE",
	"io.kubernetes.cri.sandbox-id": "$CT_SANDBOX",
	"io.kubernetes.cri.sandbox-name": "$CT_POD",
	"io.kubernetes.cri.sandbox-namespace": "$CT_NS",
	"io.kubernetes.cri.sandbox-uid": "$CT_POD_UID"
},
EOF
}

# ct_bundle DIR KIND TERMINAL CGROUP ARGS [EXTRA]: DIR/config.json for the
# shared rootfs. KIND: "plain" (runc spec's capabilities, masked paths) or
# "privileged" (every capability, no masked path, no seccomp); TERMINAL:
# true or false; CGROUP: linux.cgroupsPath; ARGS: the process's args as JSON
# strings; EXTRA: more top-level members (annotations), ending with a comma;
# $CT_MOUNTS: more mounts, each followed by a comma; $CT_ROOT_RO: false for
# a writable root (default true).
ct_bundle() {
	dir=$1 kind=$2 term=$3 cg=$4 args=$5 extra=${6:-}
	mkdir -p "$dir"
	if [ "$kind" = privileged ]; then
		caps=$CT_ALL_CAPS masked=""
	else
		caps=$CT_DEFAULT_CAPS masked=$CT_MASKED
	fi
	cat >"$dir/config.json" <<EOF
{
"ociVersion": "1.0.2",
"process": {
	"terminal": $term,
	"user": {"uid": 0, "gid": 0},
	"args": [$args],
	"env": ["PATH=/bin", "TERM=xterm"],
	"cwd": "/",
	"capabilities": {"bounding": [$caps], "effective": [$caps], "permitted": [$caps]},
	"noNewPrivileges": true
},
"root": {"path": "$CT_ROOTFS", "readonly": ${CT_ROOT_RO:-true}},
"hostname": "shop",
$extra
"mounts": [
	$CT_MOUNTS
	{"destination": "/proc", "type": "proc", "source": "proc"},
	{"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
	 "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
	{"destination": "/dev/pts", "type": "devpts", "source": "devpts",
	 "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
	{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev"]}
],
"linux": {
	$masked
	"cgroupsPath": "$cg",
	"namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}]
}
}
EOF
}

# ct_run RUNTIME ID BUNDLE OUT: what a shim does: RUNTIME create (a
# terminal, if the bundle asks for one, is received by ct_console into OUT;
# otherwise the process's output goes to OUT), a pause, RUNTIME start, wait
# for the container's process to end, RUNTIME delete. 0 when every step
# succeeded; the runtime's messages in OUT.rt.
ct_run() {
	rt=$1 id=$2 bundle=$3 out=$4
	: >"$out"
	: >"$out.rt"
	con=""
	if grep -q '"terminal": true' "$bundle/config.json"; then
		sock=$CT_DIR/$id.sock
		ct_console "$sock" "$out" &
		con=$!
		i=0
		while [ ! -S "$sock" ] && [ $i -lt 50 ]; do
			usleep 100000
			i=$((i + 1))
		done
		"$rt" create --no-pivot --console-socket "$sock" --pid-file "$CT_DIR/$id.pid" \
			-b "$bundle" "$id" >>"$out.rt" 2>&1 </dev/null || { kill $con; return 1; }
	else
		"$rt" create --no-pivot --pid-file "$CT_DIR/$id.pid" -b "$bundle" "$id" \
			>"$out" 2>>"$out.rt" </dev/null || return 1
	fi
	# A container manager's pace between create and start. The metadata is
	# read in the background (kcap never delays an event): runc writes its
	# state at the end of create, and the entrypoint's exec after start has
	# it only if the lookup thread ran in between. In a TCG guest busy with
	# runc, kcap's threads got no CPU for seconds at times (2.5 s seen on
	# 7.2 with a 0.5 s pause); 2 s, times the kernel's slowdown (the debug
	# kernel's case limit is 3 times 120 s).
	usleep "${CT_PAUSE_US:-$((2000000 * ${kcap_case_limit:-120} / 120))}"
	[ -n "${CT_QUIET:-}" ] || echo "# $rt $id: start at $(ct_now)"
	"$rt" start "$id" >>"$out.rt" 2>&1 || return 1
	# the container's process (a zombie once it has exited: its parent, the
	# runtime, has gone; /init reaps it later)
	pid=$(cat "$CT_DIR/$id.pid")
	i=0
	while [ -e /proc/$pid ] && ! grep -q '^[0-9]* (.*) Z' /proc/$pid/stat 2>/dev/null &&
		[ $i -lt 300 ]; do
		usleep 100000
		i=$((i + 1))
	done
	[ -z "$con" ] || wait $con
	"$rt" delete -f "$id" >>"$out.rt" 2>&1
}
