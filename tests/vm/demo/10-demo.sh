# SPDX-License-Identifier: Apache-2.0
# `make demo`: from syscall to alert. kcap detect runs the default rules
# live while recording; a pod's container, run by Debian's runc with the
# annotations containerd's CRI plugin writes, misbehaves on a terminal; the
# alerts name its image and pod (read from runc's state, with a few lines of
# rules appending those fields to kcap's outputs); then host-side tricks.
# The alerts are printed and the recording is sent to the host. Everything
# between the DEMO markers is streamed to the terminal by run-guest.sh
# --demo.
. /lib/tap.sh
. /lib/detect-scenario.sh
. /lib/ct-bundle.sh

ID=d3e0c0de5ca1ab1e0123456789abcdef0123456789abcdef0123456789abcdef

echo "### DEMO BEGIN"
echo
echo "=== kcap demo: guest kernel $(uname -r), $(nproc) CPUs"
echo "=== 1. load the driver"
insmod "$KO" && ls -l /dev/kcap
scenario_setup
ct_setup
echo 'root:$6$kcapdemo$notarealhash:19000:0:99999:7:::' >"$CT_ROOTFS/etc/shadow"
chmod 600 "$CT_ROOTFS/etc/shadow"
# the container's entrypoint: a shell on a terminal that reads the shadow
# file, writes below /etc and calls out (the container shares the node's
# network: 127.0.0.1 is the node's)
CT_ROOT_RO=false ct_bundle $CT_DIR/demo shell true "$CT_CGROUP_POD/$ID" \
	'"sh", "-c", "cat /etc/shadow >/dev/null; echo pwned >>/etc/kcap-demo.conf; echo exfil | nc -w 1 127.0.0.1 8080; exit 0"' \
	"$(ct_pod_annotations shop-web)"
# a container the node ran before (runc's first start in a fresh guest is
# slow enough to keep kcap's metadata lookups from the CPU: 16-container)
WARM=c0de0000$(echo $ID | cut -c9-)
ct_bundle $CT_DIR/warm plain false "$CT_CGROUP_POD/$WARM" '"true"'
CT_QUIET=1 CT_PAUSE_US=0 ct_run runc $WARM $CT_DIR/warm /tmp/warm.out
cat >/tmp/demo_rules.yaml <<'EOF'
# The container's image and pod in the alerts of kcap's container rules.
- rule: Terminal shell in container
  output: image=%container.image pod=%k8s.ns.name/%k8s.pod.name
  override:
    output: append
- rule: Read sensitive file untrusted
  output: image=%container.image pod=%k8s.ns.name/%k8s.pod.name
  override:
    output: append
- rule: Write below etc
  output: image=%container.image pod=%k8s.ns.name/%k8s.pod.name
  override:
    output: append
- rule: Unexpected outbound connection from container
  output: image=%container.image pod=%k8s.ns.name/%k8s.pod.name
  override:
    output: append
EOF
echo "=== 2. kcap detect -R kcap_rules.yaml -R demo_rules.yaml -w demo.kcap (live rules + recording)"
kcap detect -R "$RULES" -R /tmp/demo_rules.yaml -w /tmp/demo.kcap >/tmp/demo.alerts 2>/tmp/demo.err &
detect_pid=$!
wait_for /tmp/demo.err capturing 10
echo "=== 3. a pod's container under runc: image $CT_IMAGE, pod $CT_NS/$CT_POD"
echo "       (runc create --console-socket, runc start: what containerd's shim does)"
echo "       its shell on a terminal: cat /etc/shadow; echo >> /etc/...; nc 127.0.0.1 8080"
nc -l -p 8080 >/dev/null 2>&1 &
listener=$!
CT_QUIET=1 ct_run runc $ID $CT_DIR/demo /tmp/demo-ct.out || sed 's/^/  runc: /' /tmp/demo-ct.out.rt
kill $listener 2>/dev/null
wait $listener 2>/dev/null
echo "=== 4. on the node: ptrace, setuid(0), programs run from /tmp and memory"
host_workload >/dev/null 2>&1
detect_stop
st=$?
echo "=== 5. alerts"
echo
sed 's/^/  /' /tmp/demo.alerts
echo
grep 'kcap detect:' /tmp/demo.err | sed 's/^/  /'
rmmod kcap
export_file demo.kcap /tmp/demo.kcap
echo
echo "=== 6. the recording is on the host: build/vm/$(uname -r)/export/demo.kcap"
echo "       build/bin/kcap read -r build/vm/$(uname -r)/export/demo.kcap | less"
echo "       build/bin/kcap detect -r build/vm/$(uname -r)/export/demo.kcap -R rules/kcap_rules.yaml"
echo "       the file carries its container table, so on this machine too:"
echo "       build/bin/kcap read -r build/vm/$(uname -r)/export/demo.kcap -p '%container.image %k8s.pod.name %proc.cmdline' 'container.id!=host and evt.type=execve'"
echo
echo "### DEMO END"
n=$(grep -c . /tmp/demo.alerts)
if [ $st -eq 0 ] && grep -q "A shell was spawned in a container.*image=$CT_IMAGE pod=$CT_NS/$CT_POD" /tmp/demo.alerts; then
	pass "demo: $n alerts, the pod's image and name in them"
else
	fail "demo: detect status $st, $n alerts, image and pod missing"
fi
# runc's own setup of the container (its mounts) is not an alert
n=$(grep -c "Namespace change" /tmp/demo.alerts)
check "demo: no alert for runc's setup of the container ($n)" [ "$n" -eq 0 ]
