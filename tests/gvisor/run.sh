#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# run.sh KCAP: gVisor sandboxes recorded by kcap's gVisor sink, on the host
# with Debian's runsc (packaging/build-deps.sh host installs it) and no kcap
# driver needed. kcap gvisor session-config writes the trace session;
# kcap record --gvisor-sink listens; two sandboxes run with that session:
#   - "runsc run" of a bundle whose root is the host's / (read-only) with a
#     terminal (under script(1)) and the annotations containerd's CRI
#     plugin writes (container and pod names, image), in a runsc root of
#     the test's own (--gvisor-root): sh reads /etc/shadow with cat, starts a
#     nested shell, and python3 connects a TCP socket to 10.1.2.3:80
#     (--network=none: the call fails, it is still recorded);
#   - "runsc do" (no terminal): getpid through a raw syscall point (sh's $$
#     is not a syscall: python3 calls os.getpid()).
# Then the capture file is checked: paths, argv, results, the gVisor flag
# and origin, container ids, mapped thread ids, and kcap detect fires the
# sensitive-file and terminal-shell rules of rules/kcap_rules.yaml on the
# sandboxed processes, and the container table of the file has the
# annotations read from runsc's state file; then live, kcap detect
# --gvisor-sink --gvisor-root while the first bundle runs again; then a
# sandbox started before kcap (no session, waiting for a trigger file on a
# bind mount) and kcap record --gvisor-attach: the session is created in
# it, its cat /etc/shadow after the trigger is recorded, and the session
# is removed at exit. Skipped, with the reason, where runsc cannot run
# (not root, no runsc, a kernel or container that refuses its sandbox).
# TAP lines, then "N passed, M failed"; non-zero exit on any failure.
set -uo pipefail
kcap=${1:?usage: run.sh KCAP}
kcap=$(realpath "$kcap")
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/result.sh"

skip() {
	echo "# SKIP gVisor host test: $*"
	echo "0 passed, 0 failed (skipped)"
	exit 0
}
[ "$(id -u)" = 0 ] || skip "needs root (runsc run, the sink socket)"
command -v runsc >/dev/null || skip "no runsc (packaging/build-deps.sh host installs it)"
command -v script >/dev/null || skip "no script(1) (util-linux) for the sandbox's terminal"
command -v python3 >/dev/null || skip "no python3"
probe=$(timeout 60 runsc --network=none do /bin/true 2>&1) ||
	skip "runsc cannot run a sandbox here: $(tail -1 <<<"$probe")"

tmp=$(mktemp -d /tmp/kcap-gvisor.XXXXXX)
id1=kcapgv-$$
rec=
# sandbox 1's runsc root: its state file is where kcap reads the annotations
rroot=$tmp/runsc-root
cleanup() {
	[ -n "$rec" ] && kill "$rec" 2>/dev/null && wait "$rec" 2>/dev/null
	timeout 30 runsc --root "$rroot" delete -force "$id1" >/dev/null 2>&1
	timeout 30 runsc --root "$rroot" delete -force "$id1-live" >/dev/null 2>&1
	timeout 30 runsc --root "$rroot" delete -force "$id1-att" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp" || exit 1

# has WHAT PATTERN FILE: a line of FILE matches the extended regex PATTERN
has() {
	grep -Eq -- "$2" "$3"
	result $? "$1"
}

sock=$tmp/gvisor.sock
"$kcap" gvisor session-config --sink "$sock" \
	--points openat,connect,socket,getpid,execve,read,write,fchdir,socketpair \
	-o session.json 2>err
result $? "kcap gvisor session-config writes the session"
python3 -c 'import json,sys; s=json.load(open("session.json"))["trace_session"];
assert s["name"] == "Default"
names = [p["name"] for p in s["points"]]
assert "syscall/openat/exit" in names and "syscall/sysno/39/enter" in names, names
assert all("container_id" in p["context_fields"] for p in s["points"])
assert s["sinks"][0]["config"]["endpoint"] == sys.argv[1]' "$sock" 2>err
result $? "the session: Default, named and raw points, context fields, the sink"

"$kcap" record --gvisor-sink "$sock" --gvisor-root "$rroot" -w out.kcap >rec.out 2>rec.err &
rec=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ]
result $? "kcap record --gvisor-sink listens on the socket"
expect_mode=$(stat -c %a "$sock")
[ "$expect_mode" = 600 ]
result $? "the socket is mode 0600 (got $expect_mode)"

# Sandbox 1: a bundle on the host's root, with a terminal.
mkdir bundle && (cd bundle && runsc spec) 2>err
result $? "runsc spec"
python3 - bundle/config.json <<'EOF' 2>err
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["root"] = {"path": "/", "readonly": True}
c["process"]["terminal"] = True
c["process"]["cwd"] = "/"
c["annotations"] = {
    "io.kubernetes.cri.container-name": "shop-web",
    "io.kubernetes.cri.image-name": "registry.example.org/shop/web:1.4.2",
    "io.kubernetes.cri.sandbox-name": "web-7d4b9c6f5-x2x9k",
    "io.kubernetes.cri.sandbox-namespace": "shop"}
c["process"]["args"] = ["sh", "-c",
    "cat /etc/shadow >/dev/null; sh -c 'echo nested'; "
    "python3 -c 'import socket; s = socket.socket(); s.settimeout(1); "
    "print(\"connect\", s.connect_ex((\"10.1.2.3\", 80)))'"]
json.dump(c, open(p, "w"))
EOF
result $? "bundle: host root read-only, terminal, CRI annotations, the workload"
(cd bundle && timeout 120 script -qec "runsc --root $rroot --network=none --ignore-cgroups \
	--pod-init-config=$tmp/session.json run --bundle $tmp/bundle $id1" /dev/null \
	</dev/null >"$tmp/sb1.out" 2>&1)
st=$?
grep -q nested sb1.out && grep -q '^connect ' sb1.out
result $? "sandbox 1 ran its workload (status $st)"
sed 's/^/# sandbox 1: /' sb1.out | tr -d '\r' | head -5

# Sandbox 2: runsc do, no terminal, a raw point.
timeout 120 runsc --network=none --pod-init-config="$tmp/session.json" do \
	python3 -c 'import os, socket; print("pid", os.getpid()); a, b = socket.socketpair()
os.fchdir(os.open("/etc", os.O_RDONLY)); os.write(a.fileno(), b"hello"); print(os.read(b.fileno(), 5))' \
	>sb2.out 2>&1 </dev/null
result $? "sandbox 2 (runsc do) ran"

sleep 0.5
kill -INT "$rec"
for _ in $(seq 100); do kill -0 "$rec" 2>/dev/null || break; sleep 0.1; done
wait "$rec"
st=$?
rec=
cp rec.err err
[ "$st" = 0 ]
result $? "kcap record stopped cleanly on SIGINT (status $st)"
[ ! -e "$sock" ]
result $? "the socket is removed at exit"
has "the recorder said it runs without the driver" "gVisor sandboxes' events only" rec.err

"$kcap" read -r out.kcap >events.txt 2>err
result $? "kcap read -r of the recording"
has "cat's exec: argv, exe, the sandbox container's id, the gVisor flag" \
	"execve\(filename=\"/usr/bin/cat\", argv=\[\"cat\", \"/etc/shadow\"\], .*exe=\"/usr/bin/cat\", comm=\"cat\", .*cgroup=\"gvisor:$id1\".*\) = 0 flags=gvisor" events.txt
has "the container's first process: sh with its argv and a terminal" \
	"execve\(filename=\"sh\", argv=\[\"sh\", \"-c\", \"cat /etc/shadow.*tty=[1-9].*cgroup=\"gvisor:$id1\"" events.txt
has "openat of /etc/shadow, resolved path and fd" \
	"openat\(dirfd=AT_FDCWD, name=\"/etc/shadow\", flags=O_RDONLY, mode=0, path=\"/etc/shadow\"\) = [0-9]+ flags=gvisor" events.txt
has "a failed open: no path, the errno" 'openat\(.*path=""\) = -[0-9]+ E[A-Z]+ flags=gvisor' events.txt
has "socket(AF_INET, SOCK_STREAM)" "socket\(domain=AF_INET, type=SOCK_STREAM.*\) = [0-9]+ flags=gvisor" events.txt
has "connect to 10.1.2.3:80 with its result" "connect\(fd=[0-9]+, addr=10\.1\.2\.3:80.*\) = -?[0-9]+" events.txt
has "getpid through the raw point: a generic syscall" "syscall getpid\(.*\) = [0-9]+ flags=gvisor" events.txt
has "socketpair through its named point: both descriptors" \
	"socketpair\(domain=AF_UNIX, type=SOCK_STREAM.*\) = 0 flags=gvisor" events.txt
has "fchdir: the descriptor's path" 'fchdir\(fd=[0-9]+, path="/etc"\) = 0 flags=gvisor' events.txt
has "write: the count, no data, truncated" 'write\(fd=[0-9]+, size=5, data=""\) = 5 flags=truncated,gvisor' events.txt
has "read: the result, no data, truncated" 'read\(fd=[0-9]+, size=5, data=""\) = 5 flags=truncated,gvisor' events.txt
has "fork and exit events" "proc_fork child_tid=[0-9]+ child_pid=[0-9]+ comm=" events.txt
has "exit events" "proc_exit code=0 comm=\"cat\"" events.txt
# every event is flagged, and its ids are mapped out of the host's range
awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^pid=/) { split($i, a, "="); if (a[2] < 2147483648) bad++ } }
	!/flags=.*gvisor/ { bad++ } END { exit bad > 0 }' events.txt
result $? "every event has the gVisor flag and a mapped pid (>= 2^31)"
# two sandboxes: two sandbox numbers in the ids (bits 22..30)
sbs=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^pid=/) { split($i, a, "="); print int((a[2] - 2147483648) / 4194304) } }' \
	events.txt | sort -u | wc -l)
[ "$sbs" = 2 ]
result $? "two sandboxes, two id ranges (got $sbs)"
# the runsc do sandbox's container id is runsc's own name for it
grep -q 'cgroup="gvisor:' events.txt && [ "$(grep -o 'cgroup="gvisor:[^"]*"' events.txt | sort -u | wc -l)" = 2 ]
result $? "two container ids"

"$kcap" export -r out.kcap -j >export.json 2>err
result $? "kcap export -j of the recording"
python3 - export.json <<'EOF' 2>err
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
body = [e for e in evs if "header" not in e]
assert body, "no events"
bad = [e for e in body if e.get("origin") != "ORIGIN_GVISOR"]
assert not bad, bad[:1]
assert any(e.get("container", {}).get("runtime") == "gvisor" for e in body)
EOF
result $? "export: every event has origin ORIGIN_GVISOR, containers of runtime gvisor"

"$kcap" detect -R "$top/rules/kcap_rules.yaml" -r out.kcap >alerts.txt 2>err
result $? "kcap detect -r of the recording"
has "the sensitive-file rule fires on cat in the sandbox" \
	"Warning Sensitive file opened for reading by a non-trusted program .*program=cat command=cat /etc/shadow file=/etc/shadow .*container_id=${id1:0:12}" alerts.txt
has "the terminal-shell rule fires on the sandbox's shell" \
	"Notice A shell was spawned in a container with an attached terminal .*proc=sh .*container_id=${id1:0:12}" alerts.txt
[ "$(grep -c 'container_id=' alerts.txt)" = "$(grep -c "container_id=${id1:0:12}" alerts.txt)" ]
result $? "nothing fires for the runsc do sandbox (no terminal, no sensitive file)"
sed 's/^/# /' alerts.txt | cut -c1-200

# The container table of the file: sandbox 1's annotations from runsc's
# state file under --gvisor-root; the runsc do sandbox (default root, no
# annotations) has none.
"$kcap" read -r out.kcap 'container.name = shop-web and k8s.pod.name = web-7d4b9c6f5-x2x9k and
	k8s.ns.name = shop and container.image.repository = registry.example.org/shop/web and
	container.image.tag = 1.4.2 and fd.name = /etc/shadow' >meta.txt 2>err
[ "$(grep -c 'name="/etc/shadow"' meta.txt)" -ge 1 ]
result $? "sandbox 1's events have container.name, image and k8s fields from runsc's state ($(wc -l <meta.txt) events)"
"$kcap" read -r out.kcap "container.id = ${id1:0:12} and container.name exists" >meta-all.txt 2>err
"$kcap" read -r out.kcap "container.id = ${id1:0:12}" >all1.txt 2>err
[ -s all1.txt ] && [ "$(wc -l <meta-all.txt)" = "$(wc -l <all1.txt)" ]
result $? "every event of sandbox 1 has its metadata in the file ($(wc -l <meta-all.txt) of $(wc -l <all1.txt))"

# Live: kcap detect --gvisor-sink while sandbox 1's bundle runs again.
id3=$id1-live
sock2=$tmp/gvisor-live.sock
"$kcap" gvisor session-config --sink "$sock2" -o live.json 2>err
result $? "session-config for the live run"
cat >meta.yaml <<'EOF'
- rule: Sandboxed shadow read
  desc: the container and pod of a sandboxed process, from runsc's state file
  condition: evt.type in (open, openat) and fd.name = /etc/shadow and container.id != host
  output: "meta name=%container.name image=%container.image.repository tag=%container.image.tag pod=%k8s.pod.name ns=%k8s.ns.name id=%container.id"
  priority: NOTICE
EOF
"$kcap" detect -R "$top/rules/kcap_rules.yaml" -R meta.yaml --gvisor-sink "$sock2" \
	--gvisor-root "$rroot" >live-alerts.txt 2>live.err &
rec=$!
for _ in $(seq 100); do [ -S "$sock2" ] && break; sleep 0.1; done
(cd bundle && timeout 120 script -qec "runsc --root $rroot --network=none --ignore-cgroups \
	--pod-init-config=$tmp/live.json run --bundle $tmp/bundle $id3" /dev/null \
	</dev/null >"$tmp/sb3.out" 2>&1)
timeout 30 runsc --root "$rroot" delete -force "$id3" >/dev/null 2>&1
sleep 0.5
kill -INT "$rec"
for _ in $(seq 100); do kill -0 "$rec" 2>/dev/null || break; sleep 0.1; done
wait "$rec"
st=$?
rec=
cp live.err err
[ "$st" = 0 ]
result $? "kcap detect --gvisor-sink stopped cleanly (status $st)"
has "live: the sensitive-file rule fires" \
	"Sensitive file opened for reading .*program=cat .*container_id=${id3:0:12}" live-alerts.txt
has "live: the terminal-shell rule fires" \
	"A shell was spawned in a container with an attached terminal .*proc=sh .*container_id=${id3:0:12}" live-alerts.txt
has "live: container and pod fields of the sandboxed process, from runsc's state (--gvisor-root)" \
	"meta name=shop-web image=registry.example.org/shop/web tag=1.4.2 pod=web-7d4b9c6f5-x2x9k ns=shop id=${id3:0:12}" live-alerts.txt

# --gvisor-attach: a sandbox already running when kcap starts.
id4=$id1-att
mkdir trig bundle-att && cp bundle/config.json bundle-att/
python3 - bundle-att/config.json "$tmp/trig" <<'EOF' 2>err
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["terminal"] = False
c["mounts"].append({"destination": "/trig", "type": "bind", "source": sys.argv[2],
                    "options": ["rbind", "ro"]})
c["process"]["args"] = ["sh", "-c",
    "while [ ! -e /trig/go ]; do sleep 0.2; done; cat /etc/shadow >/dev/null; "
    "touch /trig/done 2>/dev/null; sleep 120"]
json.dump(c, open(p, "w"))
EOF
result $? "bundle-att: waits for /trig/go, then reads /etc/shadow"
timeout 60 runsc --root "$rroot" --network=none --ignore-cgroups run --bundle "$tmp/bundle-att" \
	-detach "$id4" >sb4.out 2>&1
result $? "sandbox 4 started before kcap, without a trace session"
sock4=$tmp/gvisor-att.sock
"$kcap" record --gvisor-sink "$sock4" --gvisor-root "$rroot" --gvisor-attach -w att.kcap \
	>att.out 2>att.err &
rec=$!
for _ in $(seq 300); do grep -q "gvisor attach: sandbox $id4 .*: trace session created" att.err && break; sleep 0.1; done
cp att.err err
has "kcap record --gvisor-attach created the session in the running sandbox" \
	"gvisor attach: sandbox $id4 \($rroot\): trace session created" att.err
timeout 10 runsc --root "$rroot" trace list "$id4" >tl1.txt 2>&1
has "runsc trace list shows the session" '"Default"' tl1.txt
touch trig/go
sleep 2
kill -INT "$rec"
for _ in $(seq 100); do kill -0 "$rec" 2>/dev/null || break; sleep 0.1; done
wait "$rec"
st=$?
rec=
cp att.err err
[ "$st" = 0 ]
result $? "kcap record --gvisor-attach stopped cleanly (status $st)"
has "the session was removed at exit" "gvisor attach: trace session removed from 1 of 1 sandboxes" att.err
timeout 10 runsc --root "$rroot" trace list "$id4" >tl2.txt 2>&1
has "runsc trace list: no session left" 'SESSIONS \(0\)' tl2.txt
"$kcap" read -r att.kcap >att.txt 2>err
has "the attached sandbox's cat /etc/shadow is recorded, with its container id" \
	"openat\(dirfd=AT_FDCWD, name=\"/etc/shadow\".* = [0-9]+ flags=gvisor" att.txt
has "... and cat's exec, in the sandbox's container" \
	"execve\(filename=\"/usr/bin/cat\", argv=\[\"cat\", \"/etc/shadow\"\].*cgroup=\"gvisor:$id4\"" att.txt
"$kcap" detect -R "$top/rules/kcap_rules.yaml" -r att.kcap >att-alerts.txt 2>err
has "the sensitive-file rule fires on the attached sandbox" \
	"Sensitive file opened for reading .*program=cat .*container_id=${id4:0:12}" att-alerts.txt
timeout 30 runsc --root "$rroot" delete -force "$id4" >/dev/null 2>&1
"$kcap" record --gvisor-attach -n 1 >/dev/null 2>err
[ $? = 2 ] && grep -q "needs --gvisor-sink" err
result $? "--gvisor-attach without --gvisor-sink is a usage error"

echo "$((n - failed)) passed, $failed failed"
[ "$failed" = 0 ]
