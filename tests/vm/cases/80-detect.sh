# SPDX-License-Identifier: Apache-2.0
# kcap detect with the default rules on the real driver: a benign workload
# raises nothing; each rule fires on its workload with the expected output
# fields (container id, process, file, connection, module load attempts). The recordings go to
# the host (host/80-detect.sh runs kcap detect -r on them).
. /lib/tap.sh
. /lib/detect-scenario.sh

insmod "$KO" || { fail "insmod"; exit 1; }
scenario_setup

detect_start /tmp/benign -j
benign_workload
detect_stop
check "detect (benign) exits 0" [ $? -eq 0 ]
n=$(grep -c '"rule"' /tmp/benign.alerts)
check "benign workload: no alert ($n)" [ "$n" -eq 0 ]
[ "$n" -eq 0 ] || diag /tmp/benign.alerts

detect_start /tmp/attack -j
attack_workload
module_workload >/tmp/module.out
detect_stop
check "detect (attack) exits 0" [ $? -eq 0 ]
diag /tmp/attack.err

# expect RULE PATTERN...: an alert of RULE whose line holds every PATTERN
expect() {
	rule=$1
	shift
	line=$(grep "\"rule\":\"$rule\"" /tmp/attack.alerts | grep -F -e "$1" | head -1)
	for p in "$@"; do
		case "$line" in
		*"$p"*) ;;
		*) fail "$rule: alert with '$p'"; diag /tmp/attack.alerts; return ;;
		esac
	done
	pass "$rule fires ($*)"
}
expect "Terminal shell in container" "container_id=$CID12" "proc=sh" '"container.id":"'$CID12 \
	'"user.name":"root"'
expect "Read sensitive file untrusted" "file=/etc/shadow" "command=exe /etc/shadow" "container_id=$CID12"
expect "Write below etc" "file=/etc/kcap-demo.conf" "container_id=$CID12"
expect "Unexpected outbound connection from container" "sip=127.0.0.1" "sport=8080" \
	"container_id=$CID12" "proto=tcp"
expect "Namespace change in container" "syscall=unshare" "container_id=$CID12"
expect "PTRACE attached to process" "cmdline=detect_helper ptrace" "container_id=host"
expect "Non-root process sets uid to root" "user_uid=1000" "syscall=setuid"
expect "Execution from temporary directory or memory" "exe=/tmp/dropper"
expect "Execution from temporary directory or memory" "exe=/memfd:payload"
expect "Write below binary dir" "file=/usr/bin/kcap-evil"
# module loads fail here (kcap is loaded; a broken image): attempts fire too
diag /tmp/module.out
expect "Linux kernel module load" "syscall=finit_module" "res=EEXIST" \
	"module_file=/tmp/rootkit.ko" "cmdline=detect_helper module /tmp/rootkit.ko" \
	"container_id=host" '"evt.res":"EEXIST"'
expect "Linux kernel module load" "syscall=init_module" "res=ENOEXEC" "user=root"
check "no alert for kcap itself" sh -c "! grep -q '\"proc.name\":\"kcap\"' /tmp/attack.alerts"

export_file 80-benign.kcap /tmp/benign.kcap
export_file 80-attack.kcap /tmp/attack.kcap
export_file 80-attack.alerts /tmp/attack.alerts
rmmod kcap
