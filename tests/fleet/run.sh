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
#   - container tables (MKCTCAPTURE, tests/cli/mkctcapture): a capture
#     with containers exported, its table in the snapshot or in a
#     containers message; detect --from prints the container fields as
#     detect -r does, record --from writes the table into its file; a
#     publisher given a thread table's lookups (CTPUBLISH, as a live
#     exporter) publishes the metadata they find;
#   - several instances on one durable: the recording exported as four
#     nodes, three detect --from sharing the nodes out (each node's alerts
#     those of detect -r, from one instance), then one instance killed
#     mid-stream (the others take its nodes over, every alert there, figures
#     printed); two record --from of one node on one durable;
#   - a three-server JetStream cluster (R3 stream): one server killed
#     while the exporter publishes, brought back; every event arrives once
#     and in order (record --from equal to the original);
#   - bad input: an unreachable URL, wrong credentials, a stream of another
#     configuration, an event over the server's max_payload: one-line
#     errors, non-zero status, no hang (every command under a timeout);
#   - the spool (export --spool, a throttled pipe as a live-like source):
#     all three cluster servers stopped during an export (the spool's size
#     printed), then back: record --from equal to the original; a 64 KiB
#     spool over a long outage: drops counted, told in a drop notice,
#     counted by record and detect --from, the rest in order; a server
#     restarting every second: nothing lost, the exporter's peak RSS
#     bounded; a killed exporter's spool refused at the next start; bad
#     --spool and --spool-max;
#   - periodic snapshots: a consumer joining a run after its first messages
#     expired (max age 2 s) seeds from the run's latest snapshot.
# TAP lines, then "N passed, M failed"; non-zero exit on any failure.
set -uo pipefail
kcap=${1:?usage: run.sh KCAP MKCAPTURE [MKCTCAPTURE CTPUBLISH]}
mkcapture=${2:?usage: run.sh KCAP MKCAPTURE [MKCTCAPTURE CTPUBLISH]}
mkctcapture=${3:-} ctpublish=${4:-}
kcap=$(realpath "$kcap") mkcapture=$(realpath "$mkcapture")
[ -n "$mkctcapture" ] && mkctcapture=$(realpath "$mkctcapture")
[ -n "$ctpublish" ] && ctpublish=$(realpath "$ctpublish")
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

# ---- container tables ----
# A capture with a container table (tests/cli/mkctcapture, as
# tests/cli/run.sh makes it) through the stream: detect --from prints the
# recorded container.* and k8s.* fields as detect -r does on the file, and
# record --from writes the table into its capture file. ct.kcap has the
# table before its first batch (in the exporter's snapshot), ctlate.kcap
# after it (a containers message, before the events that need it).
t_ct=$SECONDS
cp "$top/tests/cli/fixtures/ctrules.yaml" ctrules.yaml
if [ -z "$mkctcapture" ]; then
	result 1 "container tables: run.sh needs MKCTCAPTURE (tests/cli/mkctcapture)"
elif ! "$mkctcapture" "$top/tests/unit/fixtures/ct" ct.kcap 2>err ||
	! "$mkctcapture" "$top/tests/unit/fixtures/ct" ctlate.kcap late 2>>err; then
	result 1 "mkctcapture: $(head -1 err)"
else
	for c in ct ctlate; do
		"$kcap" detect -r $c.kcap -R ctrules.yaml >$c.want 2>/dev/null
		k export -r $c.kcap --to "$u1" --node $c 2>$c.xerr
		st=$?
		echo "# $c.kcap: $(cat $c.xerr)"
		recs=$(sed -n 's/.* \([0-9]*\) container records (\([0-9]*\) containers messages)$/\1 \2/p' $c.xerr)
		# every record once; ctlate's in a containers message
		if [ $c = ct ]; then want_recs="4 0"; else want_recs="4 1"; fi
		[ $st = 0 ] && [ "$recs" = "$want_recs" ]
		result $? "export --to of $c.kcap: 4 container records, in the snapshot or a containers message after the first batch ($recs; status $st)"
		k detect --from "$u1" --node $c --durable ctd-$c --idle-exit 1 -R ctrules.yaml \
			>$c.got 2>$c.derr
		st=$?
		[ $st = 0 ] && [ "$(lines $c.want)" = 4 ] && grep -q 'name=web repo=nginx tag=1.25' $c.want &&
			cmp -s $c.want $c.got
		result $? "detect --from of $c.kcap: container and k8s fields as detect -r prints them ($(grep -c '<NA> repo=<NA> tag=<NA>' $c.got) of $(lines $c.got) without name and image, $(grep -c '<NA> repo=<NA> tag=<NA>' $c.want) in detect -r's; status $st)"
		k record --from "$u1" --node $c --durable ctr-$c --idle-exit 1 -w $c.rec.kcap 2>$c.rerr
		st=$?
		"$kcap" info $c.rec.kcap >$c.info 2>&1
		"$kcap" detect -r $c.rec.kcap -R ctrules.yaml >$c.rgot 2>/dev/null
		[ $st = 0 ] && grep -q '^containers: *4 ' $c.info && cmp -s $c.want $c.rgot &&
			"$kcap" read -r $c.kcap | cmp -s - <("$kcap" read -r $c.rec.kcap)
		result $? "record --from of $c.kcap: kcap info shows the 4 containers ($(grep '^containers:' $c.info)), detect -r on the recording as on the original, status $st"
	done
	# as a live exporter: the same events without a table, the metadata
	# from a thread table's lookups (tests/fleet/ctpublish)
	if [ -z "$ctpublish" ]; then
		result 1 "container lookups: run.sh needs CTPUBLISH (tests/fleet/ctpublish)"
	elif "$mkctcapture" "$top/tests/unit/fixtures/ct" ctnone.kcap none 2>err; then
		"$kcap" detect -r ctnone.kcap -R ctrules.yaml >ctnone.want 2>/dev/null
		timeout 60 "$ctpublish" "$top/tests/unit/fixtures/ct" ctnone.kcap "$u1" ctlive >ctnone.out 2>&1
		st=$?
		k detect --from "$u1" --node ctlive --durable ctd-live --idle-exit 1 -R ctrules.yaml \
			>ctnone.got 2>/dev/null
		# the file's own detect -r has none; the stream's are ct.kcap's
		[ $st = 0 ] && [ "$(grep -c 'name=<NA> repo=<NA>' ctnone.want)" = 4 ] &&
			cmp -s <(cut -d' ' -f2- ct.want) <(cut -d' ' -f2- ctnone.got)
		result $? "publisher with a thread table's lookups (kcap_fleet_opts.state): detect --from prints the looked-up container fields, as detect -r on ct.kcap ($(cat ctnone.out); status $st)"
	else
		result 1 "mkctcapture none: $(head -1 err)"
	fi
fi
echo "# container tables: $((SECONDS - t_ct)) s"

# ---- several instances on one durable ----
# a recording exported as four nodes to a stream of their own; instances on
# one durable share the nodes out (leases, docs/fleet.md "Work sharing"):
# every node's events go to one instance, in order; an instance killed
# mid-stream loses its nodes to the others after the lease time
t_share=$SECONDS
"$mkcapture" a.kcap mid.kcap 100 || { echo "not ok - mkcapture"; exit 1; }
"$kcap" read -r mid.kcap >mid.txt
sh=(--stream SHARE --subject share)
k fleet init --to "$u1" "${sh[@]}" 2>/dev/null
for i in 1 2 3 4; do
	k export -r mid.kcap --to "$u1" "${sh[@]}" --node "s$i" 2>/dev/null || echo "# export s$i failed"
done
jq -c 'del(.hostname)' <("$kcap" detect -r mid.kcap -R rules.yaml -j 2>/dev/null) >want.json
jq -r .time want.json | sort >want.times

# consume NAME N CMD ARGS...: N instances of kcap CMD --from on durable NAME,
# stdout in NAME.I.out, stderr in NAME.I.err, pids (of timeout) in ipid[I]
declare -a ipid
consume() {
	local name=$1 n=$2 cmd=$3
	shift 3
	for i in $(seq "$n"); do
		timeout 120 "$kcap" "$cmd" --from "$u1" "${sh[@]}" --durable "$name" --lease 3 \
			--idle-exit 3 "${@//@I/$i}" >"$name.$i.out" 2>"$name.$i.err" &
		ipid[$i]=$!
		pids+=($!)
	done
}
# finished N: waits for the instances; non-zero if one failed
finished() {
	local st=0
	for i in $(seq "$1"); do wait "${ipid[$i]}" || st=1; done
	return $st
}
# node_alerts NAME NODE: that node's alerts of all instances, without hostname
node_alerts() {
	cat "$1".*.out | jq -R -c "fromjson? | select(.hostname == \"$2\") | del(.hostname)"
}
summaries() {
	for i in $(seq "$2"); do
		echo "# instance $i$([ "$i" = "${3:-}" ] && echo " (killed)"): $(grep -h 'events from' "$1.$i.err")"
		grep -v 'events from\|events, [0-9]* alerts\|rules (\|^kcap detect:   ' "$1.$i.err" | sed 's/^/#   /'
	done
}

# two record --from of one node on one durable (one of them gets it all),
# and three detect --from on another durable, at the same time
consume share 3 detect -R rules.yaml -j
share_pids=("${ipid[@]}")
consume rsh 2 record --node s1 -w rsh.@I.kcap
finished 2
st=$?
for i in 1 2; do [ -s "rsh.$i.kcap" ] && "$kcap" read -r "rsh.$i.kcap" 2>/dev/null; done >rsh.txt
summaries rsh 2
[ $st = 0 ] && cmp -s mid.txt rsh.txt
result $? "two record --from, one node, one durable: one recording has it all, in order ($(lines rsh.txt) of $(lines mid.txt) lines)"

ipid=("" "${share_pids[@]}")
finished 3
st=$?
summaries share 3
owners=0
for i in 1 2 3; do grep -q . "share.$i.out" && owners=$((owners + 1)); done
for s in s1 s2 s3 s4; do
	node_alerts share "$s" | cmp -s - want.json || st=1
	[ "$(grep -l "\"hostname\":\"$s\"" share.*.out | lines)" = 1 ] || st=1
done
[ $st = 0 ] && [ $owners -ge 2 ]
result $? "3 detect --from, 4 nodes, one durable: each node's alerts are detect -r's, from one instance; $owners instances had nodes"

# the same, one instance killed (SIGKILL: it gives no lease back) mid-stream
consume kill 3 detect -R rules.yaml -j
victim=
for _ in $(seq 400); do
	for i in 1 2 3; do
		[ "$(lines "kill.$i.out")" -ge 1000 ] && { victim=$i; break 2; }
	done
	sleep 0.05
done
# kcap's pid, under its timeout
[ -n "$victim" ] && kill -KILL "$(pgrep -P "${ipid[$victim]}")"
t0=$(date +%s.%N)
vnodes=$([ -n "$victim" ] && jq -R -r 'fromjson? | .hostname' "kill.$victim.out" | sort -u)
for _ in $(seq 400); do
	for i in 1 2 3; do
		[ "$i" != "$victim" ] && for s in $vnodes; do
			grep -q "\"hostname\":\"$s\"" "kill.$i.out" && break 3
		done
	done
	sleep 0.05
done
took=$(echo "$(date +%s.%N) - $t0" | bc)
st=0
for i in 1 2 3; do [ "$i" = "$victim" ] || wait "${ipid[$i]}" || st=1; done
wait "${ipid[$victim]}"
summaries kill 3 "$victim"
for s in s1 s2 s3 s4; do
	node_alerts kill "$s" | jq -r .time >kill.times
	sort -u kill.times | cmp -s - want.times || st=1
	same=$(node_alerts kill "$s" | LC_ALL=C sort -u | LC_ALL=C comm -12 - <(LC_ALL=C sort want.json) | lines)
	echo "# node $s: $(sort -u kill.times | lines) of $(lines want.times) alerts, $(($(lines kill.times) - $(sort -u kill.times | lines))) twice, $same as detect -r's (the others after a takeover: the table seeded from the snapshot)"
done
echo "# several instances on one durable: $((SECONDS - t_share)) s"
[ $st = 0 ] && [ -n "$vnodes" ]
result $? "instance ${victim:-?} killed at $(lines "kill.${victim:-1}.out") alerts (nodes $(echo $vnodes)): the others took over after $took s, every alert there (status $st)"

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

# ---- the spool (kcap export --spool) ----
"$mkcapture" a.kcap mid.kcap 100 || { echo "not ok - mkcapture"; exit 1; }
"$kcap" read -r mid.kcap >mid.txt
nmid=$(lines mid.txt)
rm -f err
# throttle FILE SECONDS: FILE on stdout, its first 4 KiB (about the header
# blocks: 2.9 KB in format 1.4, whose metadata is compressed) at once, the
# rest in 200 pieces over SECONDS: a live-like source for export -r - (the
# events come as the file does)
throttle() {
	python3 -c '
import sys, time
d = open(sys.argv[1], "rb").read()
out = sys.stdout.buffer
out.write(d[:4096])
out.flush()
step = max(1, (len(d) - 4096 + 199) // 200)
for i in range(4096, len(d), step):
    time.sleep(float(sys.argv[2]) / 200)
    out.write(d[i:i + step])
    out.flush()
' "$1" "$2" 2>/dev/null
}
# publishing DIR: waits (10 s) until the exporter spooling into DIR is
# past its start (the spool is opened after the first snapshot is acked)
publishing() {
	for _ in $(seq 100); do
		[ -e "$1/lock" ] && return 0
		sleep 0.1
	done
	return 1
}
# segs DIR: the spool segments in DIR; spool_bytes DIR: their bytes
segs() { ls "$1" 2>/dev/null | grep -c '^spool-.*\.kcap$'; }
spool_bytes() { du -sb "$1" 2>/dev/null | cut -f1; }
start_cluster() {
	for i in 1 2 3; do
		eval "cp=\$c$i rp=\$r$i"
		server "c$i" -js -p "$cp" -sd "$tmp/c$i" -n "n$i" --cluster_name kcapt \
			--cluster "nats://127.0.0.1:$rp" --routes "$routes"
	done
}
# contiguous WANT GOT: GOT is WANT with one run of lines left out (or none);
# prints how many lines are missing
contiguous() {
	python3 -c '
import sys
a = open(sys.argv[1]).read().splitlines(); b = open(sys.argv[2]).read().splitlines()
k = 0
while k < len(b) and a[k] == b[k]: k += 1
m = 0
while m < len(b) - k and a[-1 - m] == b[-1 - m]: m += 1
print(len(a) - len(b))
sys.exit(0 if k + m == len(b) else 1)
' "$1" "$2"
}

# all three servers of the cluster stopped while an export runs: the spool
# fills, the servers come back, it is published from the spool in order
throttle mid.kcap 5 | timeout 120 "$kcap" export -r - --to "$uc" --node sp --spool "$tmp/sp" \
	2>xs.err &
xp=$!
publishing "$tmp/sp"
sleep 1
for i in 1 2 3; do stop_server "c$i"; done
sizes=""
for _ in 1 2 3 4 5; do
	sleep 0.5
	sizes="$sizes $(spool_bytes "$tmp/sp")"
done
nseg=$(segs "$tmp/sp")
echo "# spool size every 0.5 s during the outage (bytes):$sizes; $nseg segments"
start_cluster
wait $xp
st=$?
echo "# all servers stopped for 2.5 s: $(cat xs.err)"
spooled=$(sed -n 's/.* \([0-9]*\) events spooled, \([0-9]*\) published from it.*/\1 \2/p' xs.err)
set -- $spooled
[ $st = 0 ] && grep -q "^kcap export: $nmid events" xs.err && [ "${1:-0}" -gt 0 ] &&
	[ "$1" = "${2:-}" ] && [ "$(segs "$tmp/sp")" = 0 ] && [ "$nseg" -gt 0 ]
result $? "export while all servers are stopped: ${1:-0} events spooled ($nseg segments), all published from the spool when they came back, segments removed (status $st)"
# the cluster may still be electing its leaders: a consumer (and the
# durable's lease bucket) is created once it answers
for _ in $(seq 20); do
	k record --from "$uc" --node sp --durable sprec --idle-exit 3 -w rsp.kcap 2>rsp.err
	st=$?
	grep -q 'consumer sprec on stream\|lease bucket' rsp.err || break
	sleep 0.5
done
"$kcap" read -r rsp.kcap >rsp.txt 2>/dev/null
[ $st = 0 ] && cmp -s mid.txt rsp.txt
result $? "record --from after the outage: kcap read equals the original, in order ($(lines rsp.txt) of $nmid; $(cat rsp.err))"

# a spool too small for the outage: the events beyond it are dropped,
# counted, told in a drop notice; the consumer counts them; the rest is
# there, in order, with one run of events missing (those dropped)
throttle mid.kcap 3.5 | k export -r - --to "$u1" --node sd --spool "$tmp/sd" --spool-max 64K \
	2>xd.err &
xp=$!
publishing "$tmp/sd"
sleep 0.5
stop_server one
sleep 2.5
server one -js -p "$p1" -sd "$tmp/one"
wait $xp
st=$?
wait_port "$p1"
echo "# a 64 KiB spool, server stopped for 2.5 s: $(cat xd.err)"
drops=$(sed -n 's/.* \([0-9]*\) dropped (spool full).*/\1/p' xd.err)
k record --from "$u1" --node sd --durable sdrec --idle-exit 1 -w rsd.kcap 2>rsd.err
"$kcap" read -r rsd.kcap >rsd.txt 2>/dev/null
missing=$(contiguous mid.txt rsd.txt)
cst=$?
k detect --from "$u1" --node sd --durable sddet --idle-exit 1 -R rules.yaml >/dev/null 2>dsd.err
[ $st = 0 ] && [ "${drops:-0}" -gt 0 ] && grep -q ", $drops dropped by the exporters" rsd.err &&
	grep -q ", $drops dropped by the exporters" dsd.err && [ "$missing" = "$drops" ] && [ $cst = 0 ]
result $? "spool full: $drops events dropped and told in a drop notice, counted by record and detect --from ($(tr '\n' ' ' <rsd.err)); $missing missing, one run, the rest in order"

# a server restarting every second during an export: it finishes, every
# event arrives, the exporter's memory stays bounded
throttle mid.kcap 4.5 | timeout 120 "$kcap" export -r - --to "$u1" --node sl --spool "$tmp/sl" \
	2>xl.err &
xp=$!
publishing "$tmp/sl"
kp=$(pgrep -P $xp kcap)
for _ in 1 2 3 4; do
	sleep 0.5
	stop_server one
	sleep 0.5
	server one -js -p "$p1" -sd "$tmp/one"
done
hwm=0
while kill -0 "$kp" 2>/dev/null; do
	h=$(awk '/^VmHWM:/ { print $2 }' /proc/"$kp"/status 2>/dev/null)
	[ -n "$h" ] && hwm=$h
	sleep 0.2
done
wait $xp
st=$?
wait_port "$p1"
echo "# server restarted 4 times: $(cat xl.err); exporter peak RSS ${hwm} kB"
k record --from "$u1" --node sl --durable slrec --idle-exit 1 -w rsl.kcap 2>rsl.err
"$kcap" read -r rsl.kcap >rsl.txt 2>/dev/null
[ $st = 0 ] && cmp -s mid.txt rsl.txt && [ "$hwm" -gt 0 ] && [ "$hwm" -lt 65536 ]
result $? "a server restarting in a loop: the export finishes, every event once in order, peak RSS ${hwm} kB < 64 MiB ($(cat rsl.err))"

# a spool an exporter left (killed during an outage) is refused at the next
# start, saying what is there
throttle mid.kcap 4 | timeout 120 "$kcap" export -r - --to "$u1" --node sk --spool "$tmp/sk" \
	2>/dev/null &
xp=$!
publishing "$tmp/sk"
sleep 0.3
stop_server one
sleep 1
kp=$(pgrep -P $xp kcap)
[ -n "$kp" ] && kill -9 "$kp"
wait $xp 2>/dev/null
server one -js -p "$p1" -sd "$tmp/one"
wait_port "$p1"
left=$(segs "$tmp/sk")
k export -r b1.kcap --to "$u1" --node sk --spool "$tmp/sk" 2>err
st=$?
[ $st = 1 ] && [ "$(lines err)" = 1 ] && [ "$left" -gt 0 ] && grep -q "earlier exporter" err
result $? "a killed exporter's spool ($left segments) refused at the next start: status $st ($(cat err))"

# periodic snapshots: a consumer that joins a node's run after its first
# messages expired (max age 2 s) seeds the node's state from the latest
# snapshot: the recording has the process table
k fleet init --to "$u1" --stream SNAP --subject snap --max-age 2 --duplicate-window 1 2>err
throttle mid.kcap 4 | k export -r - --to "$u1" --stream SNAP --subject snap --node sn \
	--snapshot-interval 1 2>xn.err
st=$?
nsnap=$(sed -n "s/.*; \([0-9]*\) snapshots, .*/\1/p" xn.err)
k record --from "$u1" --stream SNAP --subject snap --node sn --durable snrec --idle-exit 1 --lease 1 \
	-w rsn.kcap 2>rsn.err
"$kcap" read -r rsn.kcap >rsn.txt 2>/dev/null
"$kcap" info rsn.kcap >rsn.info 2>&1
echo "# joined late: $(grep snapshot: rsn.info); $(tr '\n' ' ' <rsn.err)"
[ $st = 0 ] && [ "${nsnap:-0}" -ge 3 ] && grep -q 'seeded from their latest snapshot' rsn.err &&
	grep -q '^snapshot: *[1-9][0-9]* threads' rsn.info && [ "$(lines rsn.txt)" -lt "$nmid" ] &&
	[ "$(lines rsn.txt)" -gt 0 ] && tail -n "$(lines rsn.txt)" mid.txt | cmp -s - rsn.txt
result $? "--snapshot-interval 1: $nsnap snapshots; a consumer joining after the first messages expired seeds from the latest ($(lines rsn.txt) of $nmid events, the last ones, in order)"

for bad in 0 garbage 12Q 1K; do
	k export -r b1.kcap --to "$u1" --node sb --spool "$tmp/sb" --spool-max "$bad" 2>err
	st=$?
	[ $st = 2 ] && [ "$(lines err)" = 1 ] && grep -q -- '--spool-max' err
	result $? "--spool-max $bad: usage error, status $st ($(cat err))"
done
k export -r b1.kcap --to "$u1" --node sb --spool "$tmp/big.kcap/spool" 2>err
st=$?
[ $st = 1 ] && [ "$(lines err)" = 1 ] && grep -q 'spool' err
result $? "--spool under a file: one-line error, status $st ($(cat err))"
k export -r b1.kcap --spool "$tmp/sb" 2>err
st=$?
[ $st = 2 ] && [ "$(lines err)" = 1 ]
result $? "--spool without --to: usage error, status $st ($(cat err))"

echo "$((n - failed)) passed, $failed failed"
[ "$failed" = 0 ]
