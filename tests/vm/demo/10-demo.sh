# SPDX-License-Identifier: Apache-2.0
# `make demo`: from syscall to alert. kcap detect runs the default rules
# live while recording; a container-like process (docker-named cgroup,
# new namespaces, a terminal) misbehaves; the alerts are printed and the
# recording is sent to the host. Everything between the DEMO markers is
# streamed to the terminal by run-guest.sh --demo.
. /lib/tap.sh
. /lib/detect-scenario.sh

echo "### DEMO BEGIN"
echo
echo "=== kcap demo: guest kernel $(uname -r), $(nproc) CPUs"
echo "=== 1. load the driver"
insmod "$KO" && ls -l /dev/kcap
scenario_setup
echo "=== 2. kcap detect -R kcap_rules.yaml -w demo.kcap (live rules + recording)"
detect_start /tmp/demo
echo "=== 3. a container: cgroup system.slice/docker-$CID12....scope, unshare -u -m,"
echo "       a shell on a pseudo-terminal: cat /etc/shadow; echo >> /etc/...; nc 127.0.0.1 8080"
attack_workload >/dev/null 2>&1
detect_stop
st=$?
echo "=== 4. alerts"
echo
sed 's/^/  /' /tmp/demo.alerts
echo
grep 'kcap detect:' /tmp/demo.err | sed 's/^/  /'
rmmod kcap
export_file demo.kcap /tmp/demo.kcap
echo
echo "=== 5. the recording is on the host: build/vm/$(uname -r)/export/demo.kcap"
echo "       build/bin/kcap read -r build/vm/$(uname -r)/export/demo.kcap | less"
echo "       build/bin/kcap detect -r build/vm/$(uname -r)/export/demo.kcap -R rules/kcap_rules.yaml"
echo
echo "### DEMO END"
n=$(grep -c . /tmp/demo.alerts)
if [ $st -eq 0 ] && [ "$n" -gt 0 ]; then
	pass "demo: $n alerts"
else
	fail "demo: detect status $st, $n alerts"
fi
