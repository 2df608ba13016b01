# SPDX-License-Identifier: Apache-2.0
# kcap-case-not-on: debug
# kcap-case-only-on: 5.* 6.1.0-[0-9][0-9]-amd64 6.1.0-[0-9][0-9][0-9]-amd64 6.12.* 7.*
# Containers of real runtimes: Debian's runc and crun run OCI bundles on a
# busybox rootfs (ct-bundle.sh) while `kcap detect` runs live with Falco's
# upstream rules files, unchanged, plus a small rules file of ours that
# appends the container fields to two of Falco's outputs and prints every
# container exec's fields. Checks: a pod container (containerd's CRI
# annotations) with a terminal fires "Terminal shell in container" with the
# image and pod; a privileged container fires "Launch Privileged Container";
# benign containers fire neither; container.* and k8s.* come from the
# runtimes' state files (runc's state.json, crun's status and config.json).
# The library's counts of events that had no metadata yet go out as a
# diagnostic line.
. /lib/tap.sh
. /lib/ct-bundle.sh

FALCO=/lib/falco
for f in falco_rules.yaml falco-incubating_rules.yaml; do
	[ -s "$FALCO/$f" ] || { fail "Falco's $f is not in the guest (KCAP_FALCO_RULES)"; exit 1; }
done
for rt in runc crun ct_console ct_execfd; do
	command -v $rt >/dev/null || { fail "$rt is not in the guest"; exit 1; }
done

# Both runtimes re-execute themselves from a sealed memfd copy (their
# defence against CVE-2019-5736) with execveat(fd, "", AT_EMPTY_PATH). The
# 5.10 guest refuses that with ENOENT (detect_helper's memfd step knows it
# too), so neither can start a container there: checked here, before kcap
# is loaded, so that kcap cannot be the cause.
if ! ct_execfd /bin/busybox true 2>/tmp/execfd.err; then
	diag /tmp/execfd.err
	pass "# SKIP this kernel cannot run runc or crun: $(cat /tmp/execfd.err)"
	exit 0
fi
# runc 1.1.5 sets a cgroup v2 container's device rules with a BPF program;
# a kernel without CONFIG_CGROUP_BPF (the debug kernel) cannot run it, and
# crun, which does without, runs runc's containers there.
R1=runc
if grep -q '^# CONFIG_CGROUP_BPF is not set' /lib/kernel.config 2>/dev/null; then
	R1=crun
	echo "# no CONFIG_CGROUP_BPF: crun runs runc's containers"
fi

# container ids: 64 hex, as containerd makes them
ID_POD_RUNC=c0de0001a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c
ID_POD_CRUN=c0de0002a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c
ID_PRIV=c0de0003a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c
ID_BIND=c0de0004a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c

ct_setup
# the pod's container with a terminal, its entrypoint a shell
ct_bundle $CT_DIR/pod shell true "$CT_CGROUP_POD/$ID_POD_RUNC" '"sh", "-c", "hostname"' \
	"$(ct_pod_annotations shop-web)"
# crun moves its container's process into the cgroup after the clone, so
# kcap learns of the container only at the entrypoint's exec: the metadata
# is there because the lookup thread saw /run/crun/<id> appear (inotify).
ct_bundle $CT_DIR/podc shell true "$CT_CGROUP_POD/$ID_POD_CRUN" '"sh", "-c", "hostname"' \
	"$(ct_pod_annotations shop-worker)"
# a privileged pod container (a node agent's)
ct_bundle $CT_DIR/priv privileged false "$CT_CGROUP_POD/$ID_PRIV" '"hostname"' \
	"$(ct_pod_annotations node-agent)"
# a benign container (no terminal, not privileged) with a host bind mount
CT_MOUNTS='{"destination": "/data", "type": "bind", "source": "'$CT_DIR/hostdir'",
	 "options": ["rbind", "rw", "rslave"]},' \
	ct_bundle $CT_DIR/bind plain false "/$ID_BIND" '"cat", "/data/greeting"'

cat >/tmp/ct_rules.yaml <<'EOF'
- rule: Terminal shell in container
  output: image=%container.image.repository ns=%k8s.ns.name pod=%k8s.pod.name container_id=%container.id
  override:
    output: append

- rule: Launch Privileged Container
  output: image=%container.image container_id=%container.id privileged=%container.privileged
  override:
    output: append

- rule: kcap test runtime mount
  desc: the OCI runtimes' own mounts in the container, for kcap_rules.yaml's oci_runtime_setup
  condition: evt.type = mount and evt.dir=< and container.id != host
  output: ctmount exe=%proc.exepath name=%proc.name container_id=%container.id
  priority: DEBUG

- rule: kcap test container exec
  desc: every program started in a container, with its container's fields
  condition: evt.type in (execve, execveat) and evt.dir=< and container.id != host
  output: >
    ctexec id=%container.id full_id=%container.full_id type=%container.type
    name=%container.name image=%container.image repo=%container.image.repository
    tag=%container.image.tag privileged=%container.privileged pod=%k8s.pod.name
    ns=%k8s.ns.name pod_uid=%k8s.pod.uid proc=%proc.name vpid=%proc.vpid
    mounts=%container.mounts
  priority: INFO
EOF

# A container before kcap starts, as on a node that has run some: runc's
# first start in a fresh guest (its Go runtime's pages, /run/runc, the
# kubepods cgroups) once kept kcap's lookup thread from the CPU for seconds
# (6.12, 7.2), so that the first pod's entrypoint ran before its metadata.
ct_bundle $CT_DIR/warm plain false "$CT_CGROUP_POD/c0de0000a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c" '"true"'
CT_QUIET=1 CT_PAUSE_US=0 ct_run $R1 c0de0000a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c \
	$CT_DIR/warm /tmp/warm.out || { fail "$R1: a container before kcap"; diag /tmp/warm.out.rt; }

insmod "$KO" || { fail "insmod"; exit 1; }
kcap detect -j -R $FALCO/falco_rules.yaml -R $FALCO/falco-incubating_rules.yaml \
	-R /tmp/ct_rules.yaml -w /tmp/ct.kcap >/tmp/ct.alerts 2>/tmp/ct.err &
det=$!
wait_for /tmp/ct.err capturing 30 || { fail "kcap detect did not start"; diag /tmp/ct.err; }

run() {
	t0=$(cut -d' ' -f1 /proc/uptime)
	echo "# $1 $2: create at $(ct_now)"
	if ct_run "$@"; then
		pass "$1 $3: create, start, delete ($(awk -v t0="$t0" '{ printf "%.1f", $1 - t0 }' /proc/uptime) s)"
	else
		fail "$1 $3: create, start, delete"
		diag "$4.rt"
	fi
}
run $R1 $ID_POD_RUNC $CT_DIR/pod /tmp/pod-runc.out
run crun $ID_POD_CRUN $CT_DIR/podc /tmp/pod-crun.out
run $R1 $ID_PRIV $CT_DIR/priv /tmp/priv.out
run crun $ID_BIND $CT_DIR/bind /tmp/bind.out
check "pod container's terminal shows its hostname" grep -q shop /tmp/pod-runc.out
check "bind-mounted host file read in the container" grep -q "hello from the host" /tmp/bind.out

usleep 500000
kill -INT $det
wait $det
check "kcap detect exits 0" [ $? -eq 0 ]
grep 'kcap detect:' /tmp/ct.err | sed 's/^/# /'
# The recording, its alerts and the rules go to the host, where
# host/16-container.sh replays it with no runtime knowing the containers.
export_file 16-ct.kcap /tmp/ct.kcap
export_file 16-ct.alerts /tmp/ct.alerts
export_file 16-ct_rules.yaml /tmp/ct_rules.yaml

# alerts RULE ID: the alerts of RULE naming container ID (its 12 hex)
alerts() {
	grep "\"rule\":\"$1\"" /tmp/ct.alerts | grep -F "id=$(ctid "$2")"
}
# expect_fields ID PROC PATTERN...: the first exec of PROC as the container's
# pid 1 (not the runtime's own execs in the container, which come before)
# has every PATTERN
expect_fields() {
	id=$1 proc=$2
	shift 2
	line=$(alerts "kcap test container exec" "$id" | grep -F " proc=$proc vpid=1 " | head -1)
	for p in "$@"; do
		case "$line" in
		*"$p"*) ;;
		*) fail "container $(echo "$id" | cut -c1-12): '$p' at its first exec"
		   echo "# ${line:-no exec alert}"
		   return ;;
		esac
	done
	pass "container $(echo "$id" | cut -c1-12): $*"
}

ctid() { echo "$1" | cut -c1-12; }

for id in $ID_POD_RUNC $ID_POD_CRUN; do
	rt=$R1
	[ $id = $ID_POD_RUNC ] || rt=crun
	line=$(alerts "Terminal shell in container" $id | head -1)
	for p in "process=sh" "command=sh -c hostname" "image=registry.example/team/shop" \
		"ns=$CT_NS" "pod=$CT_POD"; do
		case "$line" in
		*"$p"*) pass "$rt: Terminal shell in container with $p" ;;
		*) fail "$rt: Terminal shell in container with $p"; echo "# ${line:-no such alert}"
		   # the container's execs, for the timeline
		   alerts "kcap test container exec" $id | grep -o '"output":"[^|]*' | cut -c11-200 |
			sed 's/^/# /' ;;
		esac
	done
done
line=$(alerts "Launch Privileged Container" $ID_PRIV | head -1)
case "$line" in
*"image=$CT_IMAGE container_id=$(ctid $ID_PRIV) privileged=true"*)
	pass "Launch Privileged Container ($R1) with image=$CT_IMAGE" ;;
*) fail "Launch Privileged Container ($R1)"; echo "# ${line:-no such alert}" ;;
esac
for id in $ID_BIND $ID_POD_RUNC $ID_POD_CRUN; do
	n=$(alerts "Launch Privileged Container" $id | grep -c .)
	# (meaningful: expect_fields below finds container.privileged=false known)
	check "no Launch Privileged Container for $(ctid $id) ($n)" [ "$n" -eq 0 ]
done
for id in $ID_BIND $ID_PRIV; do
	n=$(alerts "Terminal shell in container" $id | grep -c .)
	check "no Terminal shell in container for $(ctid $id) ($n)" [ "$n" -eq 0 ]
done

expect_fields $ID_POD_RUNC sh "id=$(ctid $ID_POD_RUNC) " "full_id=$ID_POD_RUNC" "type=cri" \
	"name=shop-web" "image=$CT_IMAGE" "repo=registry.example/team/shop" "tag=1.4" \
	"privileged=false" "pod=$CT_POD" "ns=$CT_NS" "pod_uid=$CT_POD_UID"
expect_fields $ID_POD_CRUN sh "full_id=$ID_POD_CRUN" "type=cri" "name=shop-worker" \
	"image=$CT_IMAGE" "pod=$CT_POD" "ns=$CT_NS" "pod_uid=$CT_POD_UID" "privileged=false"
expect_fields $ID_PRIV hostname "full_id=$ID_PRIV" "name=node-agent" "privileged=true" \
	"pod=$CT_POD"
expect_fields $ID_BIND cat "full_id=$ID_BIND" "type=crun" "privileged=false" \
	"$CT_DIR/hostdir:/data::true:rslave" "name=<NA>" "pod=<NA>"

# what mounts in a container before its entrypoint runs (runc, crun)
grep -o 'ctmount exe=.* name=[^ ]*' /tmp/ct.alerts | sort | uniq -c | sed 's/^/# /'

# the library's counts: events of containers before their metadata arrived
grep 'kcap detect: containers:' /tmp/ct.err | sed 's/^kcap detect: /# nometa /'
check "kcap detect reports its container lookups" \
	grep -q 'kcap detect: containers: [0-9]* lookups, [0-9]* found' /tmp/ct.err
if grep -q '"rule"' /tmp/ct.alerts && [ "$(grep -c '"rule"' /tmp/ct.alerts)" -lt 200 ]; then
	grep -o '"output":"[^"]*' /tmp/ct.alerts | cut -c11-300 | sed 's/^/# alert: /' >/tmp/ct.show
	[ -z "${KCAP_CT_VERBOSE:-}" ] || cat /tmp/ct.show
fi
for id in $ID_POD_RUNC $ID_POD_CRUN $ID_PRIV $ID_BIND; do
	runc delete -f $id >/dev/null 2>&1
	crun delete -f $id >/dev/null 2>&1
done
rmmod kcap
