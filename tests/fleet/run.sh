#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# run.sh KCAP MKCAPTURE: the fleet transport (docs/fleet.md) against real
# nats-server processes (Debian's nats-server, packaging/build-deps.sh
# host) on loopback ports chosen free, data in a temporary directory, each
# server under a timeout and killed by pid at the end:
#   - one server: kcap fleet init (create, check, a differing stream
#     refused); a capture file exported with --to, read back by record
#     --from (kcap read output equal to the original's) and detect --from
#     (alerts equal to kcap detect -r's); one event per message and batches,
#     figures printed;
#   - a three-server JetStream cluster (R3 stream): one server killed
#     while the exporter publishes, brought back; every event arrives once
#     and in order (record --from equal to the original);
#   - bad input: an unreachable URL, wrong credentials, a stream of another
#     configuration, an event over the server's max_payload: one-line
#     errors, non-zero status, no hang (every command under a timeout).
# TAP lines, then "N passed, M failed"; non-zero exit on any failure.
set -uo pipefail
kcap=${1:?usage: run.sh KCAP MKCAPTURE}
mkcapture=${2:?usage: run.sh KCAP MKCAPTURE}
kcap=$(realpath "$kcap") mkcapture=$(realpath "$mkcapture")
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/result.sh"

if ! command -v nats-server >/dev/null; then
	echo "# SKIP fleet test: no nats-server (packaging/build-deps.sh host installs it)"
	echo "0 passed, 0 failed (skipped)"
	exit 0
fi
if ! "$kcap" fleet --help >/dev/null 2>&1; then
	echo "not ok 1 - $kcap has no fleet command"
	exit 1
fi

tmp=$(mktemp -d /tmp/kcap-fleet.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp" || exit 1

lines() { grep -c . "$@"; }
# free_port: a loopback TCP port nobody listens on now
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# server NAME ARGS...: starts nats-server (at most 5 minutes), pid in srv_NAME
declare -A srv
server() {
	local name=$1
	shift
	timeout 300 nats-server -a 127.0.0.1 "$@" >"$name.log" 2>&1 &
	srv[$name]=$!
	pids+=($!)
}
# wait_port PORT: until a server answers there (10 s)
wait_port() {
	for _ in $(seq 100); do
		(exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
stop_server() {
	kill "${srv[$1]}" 2>/dev/null
	wait "${srv[$1]}" 2>/dev/null
}
k() { timeout 60 "$kcap" "$@"; }

cp "$top/tests/fuzz/corpus/guest-clean.kcap" a.kcap
"$mkcapture" a.kcap big.kcap 300 || { echo "not ok 1 - mkcapture"; exit 1; }
cat >rules.yaml <<'YAML'
- rule: every openat
  desc: test rule, one alert per openat
  condition: evt.type = openat
  output: "openat by %proc.name (%fd.name) parent %proc.pname"
  priority: WARNING
YAML
"$kcap" read -r big.kcap >big.txt
nbig=$(lines big.txt)
"$kcap" detect -r big.kcap -R rules.yaml >alerts.want 2>/dev/null
echo "# big.kcap: $nbig events, $(lines alerts.want) alerts of the test rule"

# ---- one server ----
p1=$(free_port)
u1=nats://127.0.0.1:$p1
server one -js -p "$p1" -sd "$tmp/one"
wait_port "$p1"
result $? "nats-server with JetStream on $u1"

k fleet init --to "$u1" 2>err
result $? "kcap fleet init creates the stream ($(cat err))"
k fleet init --to "$u1" 2>err
result $? "kcap fleet init again: the stream is as configured"
k fleet init --to "$u1" --max-age 3600 2>err
st=$?
[ $st = 1 ] && [ "$(lines err)" = 1 ] && grep -q 'exists with another configuration: max age' err
result $? "kcap fleet init with another max age: one-line error, status $st ($(cat err))"

k export -r big.kcap --to "$u1" --node n1 2>x1.err
st=$?
echo "# batches: $(cat x1.err)"
[ $st = 0 ] && grep -q "^kcap export: $nbig events" x1.err
result $? "export --to: $nbig events published and acknowledged (status $st)"

k record --from "$u1" --node n1 --durable rec1 --idle-exit 2 -w r1.kcap 2>r1.err
st=$?
"$kcap" read -r r1.kcap >r1.txt 2>/dev/null
[ $st = 0 ] && cmp -s big.txt r1.txt
result $? "record --from: kcap read of the recording equals the original ($(lines r1.txt) of $nbig lines; $(cat r1.err))"

k detect --from "$u1" --durable det1 --idle-exit 2 -R rules.yaml >alerts.got 2>d1.err
st=$?
[ $st = 0 ] && [ -s alerts.want ] && cmp -s alerts.want alerts.got
result $? "detect --from: the alerts of detect -r ($(lines alerts.got) of $(lines alerts.want))"

# the durable remembers: a second run of the same consumer gets nothing new
k detect --from "$u1" --durable det1 --idle-exit 1 -R rules.yaml >alerts.again 2>/dev/null
[ ! -s alerts.again ]
result $? "detect --from the same durable again: nothing redelivered ($(lines alerts.again) alerts)"

# a consumer stopped mid-stream (-n, inside a message) and started again on
# its durable: nothing lost; what it had handed out of the message it was in
# comes again (at-least-once: that message is acked only when done)
k record --from "$u1" --node n1 --durable rs -n 100000 -w rs1.kcap 2>/dev/null
k record --from "$u1" --node n1 --durable rs --idle-exit 2 -w rs2.kcap 2>/dev/null
for f in rs1 rs2; do "$kcap" read -r $f.kcap 2>/dev/null; done >rs.txt
sort -u rs.txt >rs.u
dup=$(($(lines rs.txt) - $(lines rs.u)))
sort -u big.txt | cmp -s - rs.u && [ "$dup" -le 256 ] &&
	head -100000 big.txt | cmp -s - <("$kcap" read -r rs1.kcap 2>/dev/null) &&
	tail -n +$((100001 - dup)) big.txt | cmp -s - <("$kcap" read -r rs2.kcap 2>/dev/null)
result $? "record --from stopped at 100000 events and restarted: every event, in order, $dup again (at most one message of 256)"

"$mkcapture" a.kcap b1.kcap 30 || { echo "not ok - mkcapture"; exit 1; }
nb1=$("$kcap" read -r b1.kcap | grep -c .)
k export -r b1.kcap --to "$u1" --node n3 --batch 1 2>x3.err
st=$?
echo "# one event per message: $(cat x3.err)"
[ $st = 0 ] && grep -q "^kcap export: $nb1 events, $((nb1 + 1)) messages" x3.err
result $? "export --to --batch 1: one message per event, and the snapshot (status $st)"

# ---- bad input ----
dead=$(free_port)
t0=$SECONDS
k export -r big.kcap --to "nats://127.0.0.1:$dead" 2>err
st=$?
[ $st = 1 ] && [ "$(lines err)" = 1 ] && grep -q 'no server reachable' err && [ $((SECONDS - t0)) -lt 30 ]
result $? "export --to an unreachable URL: one-line error, status $st, $((SECONDS - t0)) s ($(cat err))"
k detect --from "nats://127.0.0.1:$dead" 2>err >/dev/null
st=$?
[ $st = 1 ] && [ "$(lines err)" = 2 ] && grep -q 'no server reachable' err
result $? "detect --from an unreachable URL: status $st ($(tail -1 err))"
k export -r big.kcap --to "nats://127.0.0.1:99999" 2>err
st=$?
[ $st = 2 ] && [ "$(lines err)" = 1 ]
result $? "export --to a bad port: usage error, status $st ($(cat err))"

pa=$(free_port)
server auth -js -p "$pa" -sd "$tmp/auth" --user kcap --pass right
wait_port "$pa"
k fleet init --to "nats://127.0.0.1:$pa" --user kcap --password wrong 2>err
st=$?
[ $st = 1 ] && [ "$(lines err)" = 1 ] && grep -q 'authorization' err
result $? "wrong password: one-line error, status $st ($(cat err))"
k fleet init --to "nats://127.0.0.1:$pa" --user kcap --password right 2>err
result $? "right password: kcap fleet init works"
stop_server auth

pm=$(free_port)
printf 'listen: 127.0.0.1:%s\nmax_payload: 2048\njetstream { store_dir: "%s" }\n' "$pm" "$tmp/small" >small.conf
server small -c small.conf
wait_port "$pm"
k fleet init --to "nats://127.0.0.1:$pm" 2>/dev/null
k export -r big.kcap --to "nats://127.0.0.1:$pm" --node n4 2>err
st=$?
[ $st = 1 ] && grep -q "max_payload" err
result $? "a snapshot or event over max_payload: status $st ($(tail -1 err))"
stop_server small

# ---- three-server cluster, R3 ----
c1=$(free_port) c2=$(free_port) c3=$(free_port)
r1=$(free_port) r2=$(free_port) r3=$(free_port)
routes=nats://127.0.0.1:$r1,nats://127.0.0.1:$r2,nats://127.0.0.1:$r3
for i in 1 2 3; do
	eval "cp=\$c$i rp=\$r$i"
	server "c$i" -js -p "$cp" -sd "$tmp/c$i" -n "n$i" --cluster_name kcapt \
		--cluster "nats://127.0.0.1:$rp" --routes "$routes"
done
wait_port "$c1" && wait_port "$c2" && wait_port "$c3"
uc=nats://127.0.0.1:$c1,127.0.0.1:$c2,127.0.0.1:$c3
ok=1
for _ in $(seq 100); do
	k fleet init --to "$uc" --replicas 3 2>init.err && { ok=0; break; }
	sleep 0.3
done
[ $ok = 0 ]
result $? "three servers: kcap fleet init --replicas 3 ($(cat init.err))"

"$mkcapture" a.kcap huge.kcap 600 || { echo "not ok - mkcapture"; exit 1; }
"$kcap" read -r huge.kcap >huge.txt
nhuge=$(lines huge.txt)
t0=$(date +%s.%N)
k export -r huge.kcap --to "$uc" --node c --batch 64 --max-pending 16 2>xc.err &
xp=$!
sleep 0.5
kill -0 $xp 2>/dev/null
result $? "the exporter is still publishing when server 2 is killed"
stop_server c2
sleep 2
server c2 -js -p "$c2" -sd "$tmp/c2" -n n2 --cluster_name kcapt \
	--cluster "nats://127.0.0.1:$r2" --routes "$routes"
wait $xp
st=$?
echo "# cluster, one server killed and restarted: $(cat xc.err)"
[ $st = 0 ] && grep -q "^kcap export: $nhuge events" xc.err
result $? "export to the cluster while a server restarts: $nhuge events acknowledged (status $st, ${SECONDS}s)"
k record --from "$uc" --node c --durable crec --idle-exit 3 -w rc.kcap 2>rc.err
st=$?
"$kcap" read -r rc.kcap >rc.txt 2>/dev/null
[ $st = 0 ] && cmp -s huge.txt rc.txt
result $? "record --from the cluster: every event once, in order ($(lines rc.txt) of $nhuge; $(cat rc.err))"

echo "$((n - failed)) passed, $failed failed"
[ "$failed" = 0 ]
